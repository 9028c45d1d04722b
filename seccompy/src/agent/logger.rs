//! The agent's log: one JSON object a line, in the order the events happened.
//!
//! Outside [`Agent::serve`](super::Agent::serve) every line is written at once.
//! While serving, the decisions of quick handlers (`errno`, `continue`) are
//! queued in memory, in order, before their answer, and written by a flusher
//! thread within [`COALESCE`] (with every line queued meanwhile: one `write`
//! for many calls), so that answering costs no system call for the log. Any
//! other line (a worked decision: `mknod`, `mount`, `sysinfo`, `kill`; a
//! listener's start or end; a refusal) is written, with all the lines queued
//! before it, before the agent goes on (for a decision: before its answer).
//! When serving stops, the queue is written out.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::describe::Args;
use super::handlers::What;

/// How long the flusher waits, once a line is queued, for more to write with it.
pub(crate) const COALESCE: Duration = Duration::from_millis(1);

/// A decision, as queued: formatted only when written.
pub(crate) struct DecisionRecord {
    pub time: Duration,
    pub container: Arc<str>,
    pub pid: u32,
    pub syscall: Syscall,
    pub args: Args,
    pub what: What,
    pub profile: Arc<str>,
}

/// A system call's name, or its number when the ABI has no name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syscall {
    /// Its name.
    Named(&'static str),
    /// `#nr`.
    Number(i32),
}

impl std::fmt::Display for Syscall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Syscall::Named(n) => f.write_str(n),
            Syscall::Number(nr) => write!(f, "#{nr}"),
        }
    }
}

enum Item {
    /// A line, serialized already (without its newline).
    Line(Vec<u8>),
    Decision(DecisionRecord),
}

#[derive(Default)]
struct Queue {
    items: Vec<Item>,
    /// Decisions of quick handlers wait in the queue (while serving).
    deferring: bool,
    /// The flusher waits on the condition variable.
    flusher_asleep: bool,
    stop: bool,
}

/// The log and its queue.
pub(crate) struct Log {
    writer: Mutex<Box<dyn Write + Send>>,
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Log {
    pub(crate) fn new(writer: Box<dyn Write + Send>) -> Log {
        Log {
            writer: Mutex::new(writer),
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        }
    }

    /// Logs an event (written at once, after the lines queued before it).
    pub(crate) fn event<T: serde::Serialize>(&self, event: &T) {
        let timed = Timed {
            time: Shown(&Time(now())),
            event,
        };
        if let Ok(line) = serde_json::to_vec(&timed) {
            self.push(Item::Line(line), true);
        }
    }

    /// Logs a decision: queued while serving when `quick`, written at once
    /// otherwise.
    pub(crate) fn decision(&self, record: DecisionRecord, quick: bool) {
        self.push(Item::Decision(record), !quick);
    }

    fn push(&self, item: Item, now: bool) {
        let mut q = lock(&self.queue);
        let was_empty = q.items.is_empty();
        q.items.push(item);
        if now || !q.deferring {
            drop(q);
            self.flush();
            return;
        }
        let wake = was_empty && q.flusher_asleep;
        if wake {
            q.flusher_asleep = false;
        }
        drop(q);
        if wake {
            self.wake.notify_one();
        }
    }

    /// Writes out the queue. The writer is taken first: lines are written in
    /// the order they were queued, whichever thread writes them.
    pub(crate) fn flush(&self) {
        let mut writer = lock(&self.writer);
        let items = std::mem::take(&mut lock(&self.queue).items);
        if items.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(items.len() * 160);
        for item in items {
            match item {
                Item::Line(line) => out.extend_from_slice(&line),
                Item::Decision(r) => {
                    let line = DecisionLine {
                        time: Shown(&Time(r.time)),
                        container: &r.container,
                        pid: r.pid,
                        syscall: Shown(&r.syscall),
                        args: Shown(&r.args),
                        decision: Shown(&r.what),
                        profile: &r.profile,
                    };
                    if serde_json::to_writer(&mut out, &line).is_err() {
                        continue;
                    }
                }
            }
            out.push(b'\n');
        }
        let _ = writer.write_all(&out);
        let _ = writer.flush();
    }

    /// Runs the flusher until [`stop_flusher`](Self::stop_flusher); decisions
    /// are queued meanwhile. The queue is written out when it returns.
    pub(crate) fn run_flusher(&self) {
        let mut q = lock(&self.queue);
        q.deferring = true;
        loop {
            if q.stop {
                q.stop = false;
                q.deferring = false;
                q.flusher_asleep = false;
                drop(q);
                self.flush();
                return;
            }
            if q.items.is_empty() {
                q.flusher_asleep = true;
                q = self.wake.wait(q).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            drop(q);
            std::thread::sleep(COALESCE);
            self.flush();
            q = lock(&self.queue);
        }
    }

    /// Makes [`run_flusher`](Self::run_flusher) write out the queue and return.
    pub(crate) fn stop_flusher(&self) {
        lock(&self.queue).stop = true;
        self.wake.notify_all();
    }
}

/// The time since the epoch.
pub(crate) fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A time since the epoch, shown as seconds with milliseconds.
struct Time(Duration);

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0.as_secs(), self.0.subsec_millis())
    }
}

/// A JSON string written straight from `Display` (no `String` in between).
struct Shown<'a, T>(&'a T);

impl<T: std::fmt::Display> serde::Serialize for Shown<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// A log line: the time, then the event's fields.
#[derive(serde::Serialize)]
struct Timed<'a, T> {
    time: Shown<'a, Time>,
    #[serde(flatten)]
    event: &'a T,
}

/// The log line of one decision (fields in this order, as before).
#[derive(serde::Serialize)]
struct DecisionLine<'a> {
    time: Shown<'a, Time>,
    container: &'a str,
    pid: u32,
    syscall: Shown<'a, Syscall>,
    args: Shown<'a, Args>,
    decision: Shown<'a, What>,
    profile: &'a str,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unotify::Errno;

    /// A writer the test reads.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            lock(&self.0).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn lines(&self) -> Vec<serde_json::Value> {
            String::from_utf8(lock(&self.0).clone())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        }
    }

    fn record(pid: u32, what: What) -> DecisionRecord {
        DecisionRecord {
            time: now(),
            container: "c".into(),
            pid,
            syscall: Syscall::Named("getppid"),
            args: Args::Hex([0; 6]),
            what,
            profile: "p".into(),
        }
    }

    #[test]
    fn quick_decisions_wait_in_order_while_serving_the_rest_is_written_at_once() {
        let out = Shared::default();
        let log = Log::new(Box::new(out.clone()));
        // Not serving: written at once.
        log.decision(record(1, What::Errno(Errno::EPERM, "policy".into())), true);
        assert_eq!(out.lines().len(), 1);
        std::thread::scope(|s| {
            let flusher = s.spawn(|| log.run_flusher());
            while !lock(&log.queue).deferring {
                std::thread::yield_now();
            }
            log.decision(record(2, What::Errno(Errno::EPERM, "".into())), true);
            log.decision(record(3, "continue (the kernel decides)".into()), true);
            // A worked decision is written at once, after those queued before.
            log.decision(record(4, "emulated".into()), false);
            let lines = out.lines();
            let pids: Vec<_> = lines.iter().map(|l| l["pid"].clone()).collect();
            assert_eq!(pids, [1, 2, 3, 4]);
            assert_eq!(lines[0]["decision"], "errno EPERM (policy)");
            assert_eq!(lines[1]["decision"], "errno EPERM");
            assert_eq!(lines[1]["args"], "0x0, 0x0, 0x0, 0x0, 0x0, 0x0");
            assert_eq!(lines[2]["decision"], "continue (the kernel decides)");
            assert_eq!(lines[3]["syscall"], "getppid");
            // A quick one is written by the flusher, soon.
            log.decision(record(5, What::Errno(Errno::EPERM, "".into())), true);
            let start = std::time::Instant::now();
            while out.lines().len() < 5 {
                assert!(start.elapsed() < Duration::from_secs(10), "never flushed");
                std::thread::sleep(Duration::from_millis(1));
            }
            // And stopping writes out what is queued.
            log.decision(record(6, What::Errno(Errno::EPERM, "".into())), true);
            log.stop_flusher();
            flusher.join().unwrap();
            assert_eq!(out.lines().len(), 6);
        });
        // Not serving any more: written at once again.
        log.event(&serde_json::json!({"event": "x"}));
        assert_eq!(out.lines()[6]["event"], "x");
    }
}
