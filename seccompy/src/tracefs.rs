//! Counting a process tree's system calls in the kernel, without stopping them:
//! the `raw_syscalls:sys_enter` tracepoint in a private tracefs instance.
//!
//! [`SyscallRecorder::new`] creates an instance (`instances/seccompy-<pid>-<n>`,
//! so that several recorders and other tracers do not disturb each other) with
//! its own ring buffer, in which events are dropped rather than overwritten
//! when it is full (`options/overwrite` 0); [`follow`](SyscallRecorder::follow)
//! restricts the event to a process and, through `options/event-fork`, to every
//! task it and its descendants create; [`pump`](SyscallRecorder::pump) reads the
//! instance's `trace_pipe` (each line `sys_enter: NR n (...)`, the context
//! columns turned off) and counts calls by number; [`finish`](SyscallRecorder::finish)
//! stops the instance, drains it and reports the events the ring buffer lost
//! (`per_cpu/cpu*/stats`: `overrun`, `commit overrun` and `dropped events`), so
//! a loss is detected, never assumed away. The instance is removed when the
//! recorder is dropped.
//!
//! What the tracepoint cannot tell:
//! - the ABI: a 64-bit process's i386 calls (`int 0x80`) carry i386 numbers
//!   among the native ones (x32 numbers carry their `0x4000_0000` bit, so they
//!   stand apart). A caller that sends those calls to a seccomp supervisor
//!   knows them exactly and takes them out with [`residual`];
//! - calls seccomp refused: seccomp runs before the tracepoint, so a call
//!   failed or killed by a filter is not seen, and a notified call is seen
//!   only once its supervisor lets it continue.
//!
//! Needs root (or write access to tracefs); tracefs is mounted at
//! `/sys/kernel/tracing` if it is not there yet.
//!
//! # References
//! - [Event tracing, in the kernel's documentation](https://www.kernel.org/doc/html/latest/trace/events.html)
//! - [ftrace: instances, `set_event_pid`, `event-fork`, `per_cpu` stats](https://www.kernel.org/doc/html/latest/trace/ftrace.html)
//! - [`mount(2)`](https://man7.org/linux/man-pages/man2/mount.2.html)

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Where tracefs is looked for, and mounted if absent.
pub const TRACEFS: &str = "/sys/kernel/tracing";

/// The longest line of `trace_pipe` kept while waiting for its end.
const MAX_LINE: usize = 4096;

/// Why recording failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TracefsError {
    /// tracefs is not there and could not be mounted (not root, no tracefs in
    /// the kernel, no `raw_syscalls` events).
    #[error("tracefs is not available at {TRACEFS}: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
    /// A tracefs file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// A call as counted: its number as the tracepoint gives it (x32 numbers with
/// their bit) and its arguments ANDed with the masks given for that number
/// (all 0 for the other numbers).
pub type CallKey = (u64, [u64; 6]);

/// What a recording saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Calls by number and masked arguments.
    pub counts: BTreeMap<CallKey, u64>,
    /// Events the ring buffer lost; when not 0, `counts` may lack calls.
    pub lost: u64,
}

/// A private tracefs instance counting the `sys_enter` events of a process tree.
#[derive(Debug)]
pub struct SyscallRecorder {
    dir: PathBuf,
    pipe: Option<File>,
    partial: Vec<u8>,
    masks: BTreeMap<u64, [u64; 6]>,
    counts: BTreeMap<CallKey, u64>,
    malformed: u64,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> TracefsError + '_ {
    move |source| TracefsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_file(path: &Path, value: &str) -> Result<(), TracefsError> {
    std::fs::write(path, value).map_err(io_error(path))
}

/// Mounts tracefs at [`TRACEFS`] unless it is there.
fn ensure_mounted() -> Result<(), TracefsError> {
    let base = Path::new(TRACEFS);
    if base.join("instances").is_dir() {
        return Ok(());
    }
    let unavailable = |reason: String| TracefsError::Unavailable { reason };
    let target = CString::new(TRACEFS).map_err(|e| unavailable(e.to_string()))?;
    let fs = c"tracefs";
    // SAFETY: every pointer is a valid NUL-terminated string; no data is passed.
    let r = unsafe {
        libc::mount(
            fs.as_ptr(),
            target.as_ptr(),
            fs.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if r != 0 {
        return Err(unavailable(format!(
            "not mounted, and mounting it failed: {}",
            io::Error::last_os_error()
        )));
    }
    if !base.join("instances").is_dir() {
        return Err(unavailable("mounted, but it has no instances".into()));
    }
    Ok(())
}

impl SyscallRecorder {
    /// Creates a private instance with a ring buffer of `buffer_kb` KiB per CPU,
    /// the `sys_enter` event ready but following no process yet. The calls
    /// numbered in `masks` are counted with their arguments ANDed with the
    /// masks; the others by number alone.
    ///
    /// # Errors
    /// [`TracefsError::Unavailable`] without tracefs or the right to create an
    /// instance; [`TracefsError::Io`] if setting it up fails.
    pub fn new(
        buffer_kb: usize,
        masks: &[(u64, [u64; 6])],
    ) -> Result<SyscallRecorder, TracefsError> {
        ensure_mounted()?;
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = Path::new(TRACEFS).join("instances").join(format!(
            "seccompy-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).map_err(|e| TracefsError::Unavailable {
            reason: format!("cannot create the instance {}: {e}", dir.display()),
        })?;
        // From here on, Drop removes the instance.
        let mut rec = SyscallRecorder {
            dir,
            pipe: None,
            partial: Vec::new(),
            masks: masks.iter().copied().collect(),
            counts: BTreeMap::new(),
            malformed: 0,
        };
        let event = rec.dir.join("events/raw_syscalls/sys_enter/enable");
        if !event.exists() {
            return Err(TracefsError::Unavailable {
                reason: "the kernel has no raw_syscalls:sys_enter event".into(),
            });
        }
        write_file(&rec.dir.join("tracing_on"), "0")?;
        write_file(&rec.dir.join("buffer_size_kb"), &buffer_kb.to_string())?;
        write_file(&rec.dir.join("options/overwrite"), "0")?;
        write_file(&rec.dir.join("options/context-info"), "0")?;
        write_file(&rec.dir.join("options/event-fork"), "1")?;
        let pipe_path = rec.dir.join("trace_pipe");
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&pipe_path)
            .map_err(io_error(&pipe_path))?;
        rec.pipe = Some(pipe);
        Ok(rec)
    }

    /// The instance's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts recording the calls of `pid` and of every task it creates from
    /// now on (and theirs). Calls the process makes before this are missed:
    /// stop it first (a seccomp notification on its `execve`, say).
    ///
    /// # Errors
    /// [`TracefsError::Io`].
    pub fn follow(&self, pid: libc::pid_t) -> Result<(), TracefsError> {
        write_file(&self.dir.join("set_event_pid"), &pid.to_string())?;
        write_file(&self.dir.join("events/raw_syscalls/sys_enter/enable"), "1")?;
        write_file(&self.dir.join("tracing_on"), "1")
    }

    /// Reads what the ring buffer holds, waiting up to `timeout` for data.
    ///
    /// # Errors
    /// [`TracefsError::Io`] if reading `trace_pipe` fails.
    pub fn pump(&mut self, timeout: Duration) -> Result<(), TracefsError> {
        let Some(pipe) = &self.pipe else {
            return Ok(());
        };
        let mut pfd = libc::pollfd {
            fd: pipe.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, ms) };
        self.drain()
    }

    /// Reads until the buffer is empty for now.
    fn drain(&mut self) -> Result<(), TracefsError> {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let Some(mut pipe) = self.pipe.as_ref() else {
                return Ok(());
            };
            match pipe.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    let chunk = &buf[..n];
                    self.feed(chunk);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&self.dir.join("trace_pipe"))(e)),
            }
        }
    }

    /// Counts the complete lines of `chunk` (with what the last read left).
    fn feed(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let line = &rest[..end];
            if self.partial.is_empty() {
                self.count_line(line);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.count_line(&whole);
            }
            rest = &rest[end + 1..];
        }
        if self.partial.len() + rest.len() <= MAX_LINE {
            self.partial.extend_from_slice(rest);
        } else {
            self.partial.clear();
            self.malformed += 1;
        }
    }

    fn count_line(&mut self, line: &[u8]) {
        match parse_call(line, &self.masks) {
            Some(key) => *self.counts.entry(key).or_default() += 1,
            None if line.is_empty() => {}
            None => self.malformed += 1,
        }
    }

    /// Stops recording, reads what is left, and returns the counts and the
    /// events lost (the ring buffer's overruns and drops, and lines that could
    /// not be read).
    ///
    /// # Errors
    /// [`TracefsError::Io`].
    pub fn finish(mut self) -> Result<Recorded, TracefsError> {
        write_file(&self.dir.join("tracing_on"), "0")?;
        self.drain()?;
        let mut lost = self.malformed;
        let per_cpu = self.dir.join("per_cpu");
        let cpus = std::fs::read_dir(&per_cpu).map_err(io_error(&per_cpu))?;
        for cpu in cpus {
            let cpu = cpu.map_err(io_error(&per_cpu))?;
            let stats = cpu.path().join("stats");
            let mut text = String::new();
            File::open(&stats)
                .and_then(|f| f.take(1 << 14).read_to_string(&mut text))
                .map_err(io_error(&stats))?;
            lost += lost_events(&text);
        }
        Ok(Recorded {
            counts: std::mem::take(&mut self.counts),
            lost,
        })
    }
}

impl Drop for SyscallRecorder {
    fn drop(&mut self) {
        // The instance cannot be removed while a file of it is open.
        self.pipe = None;
        let _ = std::fs::write(self.dir.join("tracing_on"), "0");
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The call of a `sys_enter: NR n (a0, a1, a2, a3, a4, a5)` line, its
/// arguments (hexadecimal) read and masked if `masks` has its number (a
/// negative number, which the kernel gives for a call made with `-1`, is read
/// as `u64::MAX`).
fn parse_call(line: &[u8], masks: &BTreeMap<u64, [u64; 6]>) -> Option<CallKey> {
    const KEY: &[u8] = b"NR ";
    let at = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = &line[at..];
    let nr = if rest.first() == Some(&b'-') {
        u64::MAX
    } else {
        let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        std::str::from_utf8(&rest[..len]).ok()?.parse().ok()?
    };
    let mut args = [0; 6];
    if let Some(mask) = masks.get(&nr) {
        let open = rest.iter().position(|&b| b == b'(')? + 1;
        let close = rest.iter().rposition(|&b| b == b')')?;
        let list = std::str::from_utf8(rest.get(open..close)?).ok()?;
        let mut n = 0;
        for (i, hex) in list.split(", ").enumerate() {
            let arg = args.get_mut(i)?;
            *arg = u64::from_str_radix(hex, 16).ok()? & mask[i];
            n += 1;
        }
        if n != 6 {
            return None;
        }
    }
    Some((nr, args))
}

/// The events a `per_cpu/cpuN/stats` file says were lost.
fn lost_events(stats: &str) -> u64 {
    stats
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| matches!(k.trim(), "overrun" | "commit overrun" | "dropped events"))
        .filter_map(|(_, v)| v.trim().parse::<u64>().ok())
        .sum()
}

/// The calls the tracepoint saw that no supervisor was told of: `traced` less
/// `notified` ((call, count) pairs, every ABI's calls keyed as the tracepoint
/// keys them, since it tells no ABI), keeping the calls left above zero.
#[must_use]
pub fn residual(
    traced: &BTreeMap<CallKey, u64>,
    notified: impl IntoIterator<Item = (CallKey, u64)>,
) -> BTreeMap<CallKey, u64> {
    let mut left = traced.clone();
    for (nr, count) in notified {
        if let Some(c) = left.get_mut(&nr) {
            *c = c.saturating_sub(count);
        }
    }
    left.retain(|_, c| *c > 0);
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_stats_are_read() {
        let masks = BTreeMap::from([(41, [0xffff_ffff, 0xf, 0, 0, 0, 0])]);
        let parse = |l: &[u8]| parse_call(l, &masks);
        assert_eq!(
            parse(b"sys_enter: NR 257 (ffffff9c, 1, 0, 0, 0, 0)"),
            Some((257, [0; 6]))
        );
        assert_eq!(
            parse(b"  ls-12 [001] .....  1.5: sys_enter: NR 1073741824 (0)"),
            Some((0x4000_0000, [0; 6]))
        );
        assert_eq!(parse(b"sys_enter: NR -1 (0)"), Some((u64::MAX, [0; 6])));
        assert_eq!(
            parse(b"sys_enter: NR 41 (ffffffff00000002, 80801, 0, 7, 0, 0)"),
            Some((41, [2, 1, 0, 0, 0, 0]))
        );
        assert_eq!(parse(b"sys_enter: NR 41 (2, 1, 0)"), None);
        assert_eq!(parse(b"sys_enter: NR 41 (2, x, 0, 0, 0, 0)"), None);
        assert_eq!(parse(b"garbage"), None);
        let stats = "entries: 0\noverrun: 3\ncommit overrun: 1\nbytes: 0\n\
                     oldest event ts:  2470.666085\ndropped events: 5\nread events: 50\n";
        assert_eq!(lost_events(stats), 9);
    }

    #[test]
    fn lines_split_across_reads_are_counted_once() {
        let mut rec = SyscallRecorder {
            dir: PathBuf::from("/nonexistent"),
            pipe: None,
            partial: Vec::new(),
            masks: BTreeMap::new(),
            counts: BTreeMap::new(),
            malformed: 0,
        };
        rec.feed(b"sys_enter: NR 1 (0)\nsys_enter: N");
        rec.feed(b"R 2 (0)\nsys_enter: NR 1 (0)\n");
        assert_eq!(
            rec.counts,
            BTreeMap::from([((1, [0; 6]), 2), ((2, [0; 6]), 1)])
        );
        assert_eq!(rec.malformed, 0);
        rec.feed(&vec![b'x'; MAX_LINE + 1]);
        rec.feed(b"\n");
        assert_eq!(rec.malformed, 1);
    }

    #[test]
    fn notified_calls_are_taken_out() {
        let k = |nr: u64, a0: u64| (nr, [a0, 0, 0, 0, 0, 0]);
        let traced = BTreeMap::from([(k(1, 0), 5), (k(16, 1), 3), (k(16, 2), 1), (k(20, 0), 2)]);
        // Three of the four ioctls (16), with their arguments, notified; i386
        // getpid (20) notified twice, so no native writev; one write of five.
        let notified = [(k(16, 1), 3), (k(20, 0), 2), (k(1, 0), 1), (k(99, 0), 1)];
        let left = residual(&traced, notified);
        assert_eq!(left, BTreeMap::from([(k(1, 0), 4), (k(16, 2), 1)]));
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    #[ignore = "needs root and tracefs"]
    fn a_process_tree_is_recorded() {
        // SAFETY: geteuid cannot fail.
        assert_eq!(unsafe { libc::geteuid() }, 0, "this test needs root");
        let mut rec = SyscallRecorder::new(1024, &[]).expect("tracefs");
        let dir = rec.dir().to_path_buf();
        // A child stopped until followed: it waits for a byte on a pipe.
        let mut child = std::process::Command::new("sh")
            .args(["-c", "read x; /bin/true; /bin/true"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        rec.follow(child.id() as libc::pid_t).unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"\n").unwrap();
        child.wait().unwrap();
        rec.pump(Duration::from_millis(10)).unwrap();
        let got = rec.finish().unwrap();
        assert_eq!(got.lost, 0);
        // execve (59) twice, from the grandchildren; exit_group (231) thrice.
        assert!(
            got.counts.get(&(59, [0; 6])).copied().unwrap_or(0) >= 2,
            "{got:?}"
        );
        assert!(
            got.counts.get(&(231, [0; 6])).copied().unwrap_or(0) >= 3,
            "{got:?}"
        );
        assert!(!dir.exists(), "the instance is removed");
    }
}
