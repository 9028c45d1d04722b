//! The agent's log: one JSON object a line, in the order the events happened.
//!
//! Outside [`Agent::serve`](super::Agent::serve) every line is written at once.
//! While serving, the decisions of quick handlers (`errno`, `continue`) are
//! queued in memory before their answer, each listener in a queue of its own
//! (its [`Lane`]: no lock shared between listeners on the path of an answer),
//! and written by a flusher thread within about [`COALESCE`] (with every line
//! queued meanwhile: one `write` for many calls), so that answering costs no
//! system call for the log. Any other line (a worked decision: `mknod`,
//! `mount`, `sysinfo`, `kill`; a listener's start or end; a refusal) is
//! written, with all the lines queued before it, before the agent goes on (for
//! a decision: before its answer). When serving stops, the queues are written
//! out.
//!
//! The lines of one listener are in the order of its calls; the lines written
//! together are put in the order of their times (a line of one listener can
//! follow a later one of another's when it was queued while the other's was
//! being written).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::describe::Args;
use super::handlers::What;
use crate::counter::Counter;

/// How long the flusher waits, once a line is queued, for more to write with it.
pub(crate) const COALESCE: Duration = Duration::from_millis(1);

/// How many [`COALESCE`] periods with no line the flusher waits for one on
/// its timer before it sleeps until it is woken.
const IDLE_ROUNDS: u32 = 50;

/// A time on the monotonic clock (`CLOCK_MONOTONIC`, as [`Instant`](std::time::Instant)'s), in
/// nanoseconds: when a queued line happened, turned into the wall clock's
/// time by one subtraction when it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp(u64);

impl Stamp {
    /// Now.
    pub(crate) fn now() -> Stamp {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid timespec to write; CLOCK_MONOTONIC always exists.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        Stamp(
            (ts.tv_sec as u64)
                .wrapping_mul(1_000_000_000)
                .wrapping_add(ts.tv_nsec as u64),
        )
    }
}

/// A decision, as queued: formatted only when written. Its container and
/// profile are its listener's [`Lane`]'s.
pub(crate) struct DecisionRecord {
    pub time: Stamp,
    pub pid: u32,
    pub syscall: Syscall,
    pub args: Args,
    pub what: What,
}

/// A system call's name, or its number when the ABI has no name for it.
#[derive(Clone, Copy, Debug, Eq)]
pub(crate) enum Syscall {
    /// Its name.
    Named(&'static str),
    /// `#nr`.
    Number(i32),
}

impl PartialEq for Syscall {
    /// Names are the tables' `&'static str`s: the same name is most often
    /// the same pointer, compared at once.
    fn eq(&self, other: &Syscall) -> bool {
        match (self, other) {
            (Syscall::Named(a), Syscall::Named(b)) => same_str(a, b),
            (Syscall::Number(a), Syscall::Number(b)) => a == b,
            _ => false,
        }
    }
}

impl std::fmt::Display for Syscall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Syscall::Named(n) => f.write_str(n),
            Syscall::Number(nr) => write!(f, "#{nr}"),
        }
    }
}

/// A line, with the time it was queued.
struct Item {
    at: Stamp,
    what: Line,
}

enum Line {
    /// Serialized already (without its newline).
    Text(Vec<u8>),
    /// A decision of a listener not queued in its lane.
    Decision(DecisionRecord, Arc<Lane>),
}

/// One listener's queue of quick decisions, and what its lines share.
pub(crate) struct Lane {
    /// Unique among the lanes of the process: the text kept for a line's
    /// fields is that of this lane while the id is the same.
    id: u64,
    /// In the order of their times.
    queue: Mutex<Vec<DecisionRecord>>,
    /// `"container":…` as JSON, escaped once.
    container: Vec<u8>,
    /// `"profile":…` as JSON, escaped once.
    profile: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    /// Lines of no lane, queued only for as long as it takes to write them.
    items: Vec<Item>,
    stop: bool,
}

/// The writer, and what the thread writing reuses from one batch to the next.
struct Sink {
    writer: Box<dyn Write + Send>,
    /// The batch's lines of no lane.
    items: Vec<Item>,
    /// The batch's queues taken from the lanes, with their lanes.
    queues: Vec<(Arc<Lane>, Vec<DecisionRecord>)>,
    /// Empty queues, swapped with the lanes'.
    spares: Vec<Vec<DecisionRecord>>,
    /// The order of the batch's lines when they come from more than one
    /// queue: (time, queue, index), queue 0 being `items`.
    order: Vec<(Stamp, u32, u32)>,
    /// The batch's text.
    out: Vec<u8>,
    shown: Shown,
}

/// The most bytes of text kept for the next batch.
const KEPT_TEXT: usize = 1 << 20;

/// The most lines of capacity, and spare queues, kept for the next batch.
const KEPT_LINES: usize = 1 << 13;
const KEPT_QUEUES: usize = 16;

/// The next [`Lane::id`].
static NEXT_LANE: Counter = Counter::new(0);

/// The log and its queues.
pub(crate) struct Log {
    writer: Mutex<Sink>,
    shared: Mutex<Shared>,
    lanes: Mutex<Vec<Arc<Lane>>>,
    /// Quick decisions wait in their lanes (while serving).
    deferring: AtomicBool,
    /// The flusher waits on `wake`, every queue empty.
    asleep: AtomicBool,
    wake: Condvar,
}

impl Log {
    pub(crate) fn new(writer: Box<dyn Write + Send>) -> Log {
        Log {
            writer: Mutex::new(Sink {
                writer,
                items: Vec::new(),
                queues: Vec::new(),
                spares: Vec::new(),
                order: Vec::new(),
                out: Vec::new(),
                shown: Shown::default(),
            }),
            shared: Mutex::new(Shared::default()),
            lanes: Mutex::new(Vec::new()),
            deferring: AtomicBool::new(false),
            asleep: AtomicBool::new(false),
            wake: Condvar::new(),
        }
    }

    /// A new listener's lane: its lines name `container` and `profile`.
    pub(crate) fn lane(&self, container: &str, profile: &str) -> Arc<Lane> {
        let json = |s| {
            let mut out = Vec::new();
            string(&mut out, s);
            out
        };
        let lane = Arc::new(Lane {
            id: NEXT_LANE.fetch_add(1),
            queue: Mutex::new(Vec::new()),
            container: json(container),
            profile: json(profile),
        });
        lock(&self.lanes).push(Arc::clone(&lane));
        lane
    }

    /// Logs an event (written at once, after the lines queued before it).
    pub(crate) fn event<T: serde::Serialize>(&self, event: &T) {
        let time = Time(now());
        let timed = Timed {
            time: Displayed(&time),
            event,
        };
        if let Ok(line) = serde_json::to_vec(&timed) {
            lock(&self.shared).items.push(Item {
                at: Stamp::now(),
                what: Line::Text(line),
            });
            self.flush();
        }
    }

    /// Logs a decision of `lane`'s listener: queued while serving when
    /// `quick`, written at once otherwise.
    pub(crate) fn decision(&self, lane: &Arc<Lane>, record: DecisionRecord, quick: bool) {
        let at = record.time;
        if !quick || !self.deferring.load(Ordering::Acquire) {
            lock(&self.shared).items.push(Item {
                at,
                what: Line::Decision(record, Arc::clone(lane)),
            });
            self.flush();
            return;
        }
        lock(&lane.queue).push(record);
        if self.asleep.load(Ordering::SeqCst) && self.asleep.swap(false, Ordering::SeqCst) {
            // Taken, so that the flusher is waiting (it holds the lock from
            // before it says it sleeps until it waits).
            drop(lock(&self.shared));
            self.wake.notify_one();
        }
    }

    /// Writes out the queues; says whether there was anything to write. The
    /// writer is taken first: whichever thread writes, a line taken from a
    /// queue is written before those taken after.
    pub(crate) fn flush(&self) -> bool {
        let mut sink = lock(&self.writer);
        let Sink {
            writer,
            items,
            queues,
            spares,
            order,
            out,
            shown,
        } = &mut *sink;
        items.append(&mut lock(&self.shared).items);
        // Each lane is held only for a swap with an empty queue: its
        // listener's thread, which may be waiting for it with a call to
        // answer, never waits for a copy (nor for this thread, should it lose
        // its CPU, beyond that swap).
        lock(&self.lanes).retain(|lane| {
            let mut queue = spares.pop().unwrap_or_default();
            std::mem::swap(&mut *lock(&lane.queue), &mut queue);
            if queue.is_empty() {
                spares.push(queue);
            } else {
                queues.push((Arc::clone(lane), queue));
            }
            // A lane only the log holds is of a listener gone.
            Arc::strong_count(lane) > 1
        });
        if items.is_empty() && queues.is_empty() {
            return false;
        }
        let (wall, mono) = (now().as_nanos() as u64, Stamp::now());
        // A decision's line, at the wall clock's time of its stamp.
        let decision = |out: &mut Vec<u8>, shown: &mut Shown, r: &DecisionRecord, lane: &Lane| {
            let time = wall.saturating_sub(mono.0.saturating_sub(r.time.0));
            decision_json(out, shown, r, lane, Duration::from_nanos(time));
            out.push(b'\n');
        };
        let item = |out: &mut Vec<u8>, shown: &mut Shown, item: &Item| match &item.what {
            Line::Text(line) => {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
            Line::Decision(r, lane) => decision(out, shown, r, lane),
        };
        out.clear();
        match (items.is_empty(), &queues[..]) {
            // One queue (one listener's calls, or the lines of no lane): in
            // its order.
            (true, [(lane, queue)]) => {
                for r in queue {
                    decision(out, shown, r, lane);
                }
            }
            (false, []) => {
                for i in items.iter() {
                    item(out, shown, i);
                }
            }
            // Many: in the order of their times, each queue's lines in theirs.
            _ => {
                order.clear();
                order.extend((items.iter().enumerate()).map(|(i, item)| (item.at, 0, i as u32)));
                for (k, (_, queue)) in queues.iter().enumerate() {
                    order.extend(
                        (queue.iter().enumerate()).map(|(i, r)| (r.time, k as u32 + 1, i as u32)),
                    );
                }
                order.sort_unstable();
                for &(_, k, i) in order.iter() {
                    let i = i as usize;
                    match k.checked_sub(1) {
                        None => item(out, shown, &items[i]),
                        Some(k) => {
                            let (lane, queue) = &queues[k as usize];
                            decision(out, shown, &queue[i], lane);
                        }
                    }
                }
                order.clear();
                order.shrink_to(KEPT_LINES);
            }
        }
        let _ = writer.write_all(out);
        let _ = writer.flush();
        out.clear();
        out.shrink_to(KEPT_TEXT);
        items.clear();
        items.shrink_to(KEPT_LINES);
        for (_, mut queue) in queues.drain(..) {
            if spares.len() < KEPT_QUEUES {
                queue.clear();
                queue.shrink_to(KEPT_LINES);
                spares.push(queue);
            }
        }
        true
    }

    fn lanes_empty(&self) -> bool {
        lock(&self.lanes).iter().all(|l| lock(&l.queue).is_empty())
    }

    /// Runs the flusher until [`stop_flusher`](Self::stop_flusher); quick
    /// decisions are queued meanwhile. The queues are written out when it
    /// returns.
    ///
    /// While lines keep coming it writes them every [`COALESCE`], woken by its
    /// timer alone; after [`IDLE_ROUNDS`] of them with nothing to write it
    /// waits to be woken by the next line queued. So a busy listener's thread
    /// wakes nobody: a wake-up would make the flusher's work compete for that
    /// thread's CPU.
    pub(crate) fn run_flusher(&self) {
        self.deferring.store(true, Ordering::Release);
        let mut shared = lock(&self.shared);
        let mut idle = IDLE_ROUNDS;
        loop {
            if shared.stop {
                shared.stop = false;
                self.deferring.store(false, Ordering::Release);
                self.asleep.store(false, Ordering::SeqCst);
                drop(shared);
                self.flush();
                return;
            }
            if idle >= IDLE_ROUNDS {
                self.asleep.store(true, Ordering::SeqCst);
                if shared.items.is_empty() && self.lanes_empty() {
                    shared = self
                        .wake
                        .wait(shared)
                        .unwrap_or_else(PoisonError::into_inner);
                    idle = 0;
                    continue;
                }
                self.asleep.store(false, Ordering::SeqCst);
            }
            drop(shared);
            std::thread::sleep(COALESCE);
            idle = if self.flush() { 0 } else { idle + 1 };
            shared = lock(&self.shared);
        }
    }

    /// Makes [`run_flusher`](Self::run_flusher) write out the queues and
    /// return.
    pub(crate) fn stop_flusher(&self) {
        lock(&self.shared).stop = true;
        self.wake.notify_all();
    }
}

/// The time since the epoch.
pub(crate) fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// The JSON text of a field's last value written, kept for the next line.
struct Memo<K>(Option<(K, Vec<u8>)>);

impl<K> Default for Memo<K> {
    fn default() -> Self {
        Memo(None)
    }
}

impl<K> Memo<K> {
    /// Writes the JSON text of a value: the one kept when `same` says the
    /// last value's key is its, `render`'s otherwise (kept with `key()`).
    fn write_with(
        &mut self,
        out: &mut Vec<u8>,
        same: impl FnOnce(&K) -> bool,
        key: impl FnOnce() -> K,
        render: impl FnOnce(&mut Vec<u8>),
    ) {
        match &mut self.0 {
            Some((last, json)) if same(last) => out.extend_from_slice(json),
            Some((last, json)) => {
                // The same buffer, written again.
                json.clear();
                render(json);
                out.extend_from_slice(json);
                *last = key();
            }
            None => {
                let mut json = Vec::with_capacity(128);
                render(&mut json);
                out.extend_from_slice(&json);
                self.0 = Some((key(), json));
            }
        }
    }
}

impl<K: PartialEq + Copy> Memo<K> {
    /// Writes `key`'s JSON text: the one kept when `key` is the last value,
    /// `render`'s otherwise.
    fn write(&mut self, out: &mut Vec<u8>, key: K, render: impl FnOnce(&mut Vec<u8>)) {
        self.write_with(out, |last| *last == key, || key, render);
    }
}

/// The text of the last line's fields, kept for the next (a listener's calls
/// are mostly the same call, from the same thread, decided alike, in the same
/// second): most lines are a few copies.
#[derive(Default)]
struct Shown {
    secs: Memo<u64>,
    /// `,"container":…,"pid":…,"syscall":…,"args":`, by lane, pid and call.
    head: Memo<(u64, u32, Syscall)>,
    args: Memo<([u64; 6], u8)>,
    /// `,"decision":…,"profile":…}`, by decision and lane.
    tail: Memo<(What, u64)>,
    scratch: String,
}

/// Writes the JSON object of a decision of `lane`'s listener made at `time`
/// (since the epoch), as serde would write a `DecisionLine`, without
/// `core::fmt` for the numbers and without formatting again the fields of the
/// line before (the flusher's work is most of the log's cost).
fn decision_json(
    out: &mut Vec<u8>,
    shown: &mut Shown,
    r: &DecisionRecord,
    lane: &Lane,
    time: Duration,
) {
    out.extend_from_slice(b"{\"time\":\"");
    let secs = time.as_secs();
    shown.secs.write(out, secs, |json| decimal(json, secs));
    let ms = time.subsec_millis();
    out.extend_from_slice(&[
        b'.',
        b'0' + (ms / 100) as u8,
        b'0' + (ms / 10 % 10) as u8,
        b'0' + (ms % 10) as u8,
        b'"',
    ]);
    shown.head.write(out, (lane.id, r.pid, r.syscall), |json| {
        json.extend_from_slice(b",\"container\":");
        json.extend_from_slice(&lane.container);
        json.extend_from_slice(b",\"pid\":");
        decimal(json, u64::from(r.pid));
        json.extend_from_slice(b",\"syscall\":");
        match r.syscall {
            Syscall::Named(name) => string(json, name),
            Syscall::Number(nr) => {
                json.extend_from_slice(b"\"#");
                if nr < 0 {
                    json.push(b'-');
                }
                decimal(json, u64::from(nr.unsigned_abs()));
                json.push(b'"');
            }
        }
        json.extend_from_slice(b",\"args\":");
    });
    match &r.args {
        Args::Text(text) => string(out, text),
        &Args::Hex(args, count) => shown.args.write(out, (args, count), |json| {
            json.push(b'"');
            for (i, &a) in args.iter().take(usize::from(count)).enumerate() {
                if i > 0 {
                    json.extend_from_slice(b", ");
                }
                hex(json, a);
            }
            json.push(b'"');
        }),
    }
    let scratch = &mut shown.scratch;
    shown.tail.write_with(
        out,
        |(what, id)| {
            *id == lane.id
                && match (what, &r.what) {
                    (What::Errno(a, x), What::Errno(b, y)) => a == b && same_str(x, y),
                    (What::Text(x), What::Text(y)) => same_str(x, y),
                    _ => false,
                }
        },
        || (r.what.clone(), lane.id),
        |json| {
            json.extend_from_slice(b",\"decision\":");
            match &r.what {
                What::Text(text) => string(json, text),
                what => {
                    scratch.clear();
                    let _ = std::fmt::Write::write_fmt(scratch, format_args!("{what}"));
                    string(json, scratch);
                }
            }
            json.extend_from_slice(b",\"profile\":");
            json.extend_from_slice(&lane.profile);
            json.push(b'}');
        },
    );
}

/// Whether two strings are equal; at once when they are the same string
/// (the names and reasons of most lines are `&'static`).
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// A JSON string.
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail, nor serializing a str.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn decimal(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `{:#x}`.
fn hex(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b"0123456789abcdef"[(v & 0xf) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(b"0x");
    out.extend_from_slice(&digits[i..]);
}

/// A time since the epoch, shown as seconds with milliseconds.
struct Time(Duration);

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0.as_secs(), self.0.subsec_millis())
    }
}

/// A JSON string written straight from `Display` (no `String` in between).
struct Displayed<'a, T>(&'a T);

impl<T: std::fmt::Display> serde::Serialize for Displayed<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// A log line: the time, then the event's fields.
#[derive(serde::Serialize)]
struct Timed<'a, T> {
    time: Displayed<'a, Time>,
    #[serde(flatten)]
    event: &'a T,
}

/// The log line of one decision, as [`decision_json`] writes it.
#[cfg(test)]
#[derive(serde::Serialize)]
struct DecisionLine<'a> {
    time: Displayed<'a, Time>,
    container: &'a str,
    pid: u32,
    syscall: Displayed<'a, Syscall>,
    args: Displayed<'a, Args>,
    decision: Displayed<'a, What>,
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
            time: Stamp::now(),
            pid,
            syscall: Syscall::Named("getppid"),
            args: Args::Hex([0; 6], 6),
            what,
        }
    }

    /// The decision lines are written as serde writes them.
    #[test]
    fn decision_lines_are_the_json_serde_writes() {
        let log = Log::new(Box::new(std::io::sink()));
        let records = [
            (
                record(7, What::Errno(Errno::EPERM, "policy".into())),
                "c",
                "p",
            ),
            // The same call and decision again: from the strings kept.
            (
                record(8, What::Errno(Errno::EPERM, "policy".into())),
                "c",
                "p",
            ),
            (
                DecisionRecord {
                    time: Stamp::now(),
                    pid: u32::MAX,
                    syscall: Syscall::Number(-5),
                    args: Args::Text("\"/tmp/\\d\", 0x1ff".into()),
                    what: What::Errno(Errno::new(4095).unwrap(), "path \"x\" unreadable".into()),
                },
                "we\"ird\n\u{7f}é",
                "",
            ),
            (
                DecisionRecord {
                    time: Stamp::now(),
                    pid: 0,
                    syscall: Syscall::Number(1234),
                    args: Args::Hex([0, u64::MAX, 0x10, 1, 0xdead_beef, 9], 6),
                    what: "emulated (totalram 1, freeram 0, totalswap 2)"
                        .to_string()
                        .into(),
                },
                "c",
                "p\\",
            ),
            (
                record(9, What::Errno(Errno::EACCES, "policy".into())),
                "c",
                "p",
            ),
            // The same pid, call and decision, of another lane with the same
            // names, and arguments cut short.
            (
                DecisionRecord {
                    args: Args::Hex([3, 4, 0, 0, 0, 0], 2),
                    ..record(9, What::Errno(Errno::EACCES, "policy".into()))
                },
                "c",
                "p",
            ),
            (
                DecisionRecord {
                    args: Args::Hex([0; 6], 0),
                    ..record(9, What::Errno(Errno::EACCES, "policy".into()))
                },
                "other",
                "q",
            ),
        ];
        let mut shown = Shown::default();
        let mut lanes = std::collections::HashMap::new();
        for ((r, container, profile), time) in records.iter().zip([
            Duration::ZERO,
            Duration::from_millis(1_765_000_000_006),
            Duration::from_millis(1_765_000_000_007),
            Duration::new(u64::MAX, 999_999_999),
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_millis(999),
        ]) {
            // One lane per container and profile: the text kept for a lane's
            // line is reused for the next of the same lane.
            let lane = lanes
                .entry((*container, *profile))
                .or_insert_with(|| log.lane(container, profile));
            let mut ours = Vec::new();
            decision_json(&mut ours, &mut shown, r, lane, time);
            let theirs = serde_json::to_vec(&DecisionLine {
                time: Displayed(&Time(time)),
                container,
                pid: r.pid,
                syscall: Displayed(&r.syscall),
                args: Displayed(&r.args),
                decision: Displayed(&r.what),
                profile,
            })
            .unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    /// One batch of many queues (lanes, and lines of no lane) is written in
    /// the order of the lines' times, each queue's lines in their order; a
    /// batch of one queue in that queue's order.
    #[test]
    fn a_batch_is_written_in_the_order_of_its_times() {
        let out = Shared::default();
        let log = Log::new(Box::new(out.clone()));
        let (a, b, c) = (log.lane("a", "p"), log.lane("b", "p"), log.lane("c", "p"));
        log.deferring.store(true, Ordering::Release);
        let at = |pid: u32, stamp: u64| DecisionRecord {
            time: Stamp(stamp),
            ..record(pid, What::Errno(Errno::EPERM, "".into()))
        };
        // Queued out of their times' order across the lanes; two of one time
        // in one lane stay in their order.
        log.decision(&b, at(2, 20), true);
        log.decision(&a, at(1, 10), true);
        log.decision(&c, at(4, 30), true);
        log.decision(&c, at(5, 30), true);
        log.decision(&a, at(3, 25), true);
        lock(&log.shared).items.push(Item {
            at: Stamp(15),
            what: Line::Text(br#"{"event":"x"}"#.to_vec()),
        });
        assert!(log.flush());
        let lines = out.lines();
        let order: Vec<_> = lines
            .iter()
            .map(|l| l["pid"].as_u64().map_or("x".to_string(), |p| p.to_string()))
            .collect();
        assert_eq!(order, ["1", "x", "2", "3", "4", "5"]);
        assert_eq!(lines[0]["container"], "a");
        assert_eq!(lines[2]["container"], "b");
        assert_eq!(lines[4]["container"], "c");
        // Nothing left: nothing written.
        assert!(!log.flush());
        // One queue alone, in its order (whatever the times).
        log.decision(&b, at(7, 90), true);
        log.decision(&b, at(8, 80), true);
        assert!(log.flush());
        let pids: Vec<_> = out.lines()[6..].iter().map(|l| l["pid"].clone()).collect();
        assert_eq!(pids, [7, 8]);
    }

    #[test]
    fn quick_decisions_wait_in_order_while_serving_the_rest_is_written_at_once() {
        let out = Shared::default();
        let log = Log::new(Box::new(out.clone()));
        let (a, b) = (log.lane("c", "p"), log.lane("c", "p"));
        // Not serving: written at once.
        log.decision(
            &a,
            record(1, What::Errno(Errno::EPERM, "policy".into())),
            true,
        );
        assert_eq!(out.lines().len(), 1);
        std::thread::scope(|s| {
            let flusher = s.spawn(|| log.run_flusher());
            while !log.deferring.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
            log.decision(&a, record(2, What::Errno(Errno::EPERM, "".into())), true);
            log.decision(&b, record(3, "continue (the kernel decides)".into()), true);
            log.decision(&a, record(4, What::Errno(Errno::EPERM, "".into())), true);
            // A worked decision is written at once, after those queued before
            // (of every listener).
            log.decision(&b, record(5, "emulated".into()), false);
            let lines = out.lines();
            let pids: Vec<_> = lines.iter().map(|l| l["pid"].clone()).collect();
            assert_eq!(pids, [1, 2, 3, 4, 5]);
            assert_eq!(lines[0]["decision"], "errno EPERM (policy)");
            assert_eq!(lines[1]["decision"], "errno EPERM");
            assert_eq!(lines[1]["args"], "0x0, 0x0, 0x0, 0x0, 0x0, 0x0");
            assert_eq!(lines[2]["decision"], "continue (the kernel decides)");
            assert_eq!(lines[4]["syscall"], "getppid");
            // A quick one is written by the flusher, soon.
            log.decision(&a, record(6, What::Errno(Errno::EPERM, "".into())), true);
            let start = std::time::Instant::now();
            while out.lines().len() < 6 {
                assert!(start.elapsed() < Duration::from_secs(10), "never flushed");
                std::thread::sleep(Duration::from_millis(1));
            }
            // And stopping writes out what is queued.
            log.decision(&b, record(7, What::Errno(Errno::EPERM, "".into())), true);
            log.stop_flusher();
            flusher.join().unwrap();
            assert_eq!(out.lines().len(), 7);
        });
        // Not serving any more: written at once again.
        log.event(&serde_json::json!({"event": "x"}));
        assert_eq!(out.lines()[7]["event"], "x");
        // A lane nobody holds any more is dropped once written out.
        drop(a);
        log.flush();
        assert_eq!(lock(&log.lanes).len(), 1);
    }
}
