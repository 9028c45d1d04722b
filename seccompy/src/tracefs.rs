//! Counting a process tree's system calls in the kernel, without stopping them:
//! the `raw_syscalls:sys_enter` tracepoint in a private tracefs instance.
//!
//! [`SyscallRecorder::new`] creates an instance (`instances/seccompy-<pid>-<n>`,
//! so that several recorders and other tracers do not disturb each other) with
//! its own ring buffer, in which events are dropped rather than overwritten
//! when it is full (`options/overwrite` 0); [`follow`](SyscallRecorder::follow)
//! restricts the event to a process and, through `options/event-fork`, to every
//! task it and its descendants create; [`pump`](SyscallRecorder::pump) reads the
//! ring buffer's pages as they are (`per_cpu/cpu*/trace_pipe_raw`, no text
//! formatting: the event's layout comes from its `format` file and the pages'
//! from `events/header_page`) and counts calls by number and learned
//! arguments; [`finish`](SyscallRecorder::finish)
//! stops the instance, drains it and reports the events the ring buffer lost
//! (`per_cpu/cpu*/stats`: `overrun`, `commit overrun` and `dropped events`), so
//! a loss is detected, never assumed away. The instance is removed when the
//! recorder is dropped (or by a detached process: [`finish_detached`](SyscallRecorder::finish_detached));
//! the instances of recorders whose process died first
//! are removed by the next recorder.
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
//! Needs root (or write access to tracefs) in the initial pid namespace
//! (`set_event_pid` takes the pids of that namespace; in another one the
//! recorder is [`Unavailable`](TracefsError::Unavailable)); tracefs is mounted at
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

/// Where things are in the ring buffer's pages and in a `sys_enter` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    /// Bytes of a page (a sub-buffer) as `trace_pipe_raw` gives it.
    page: usize,
    /// Offset and size of the page header's `commit` (the data's length).
    commit: (usize, usize),
    /// Offset of the page's data.
    data: usize,
    /// The event's `common_type`.
    event_id: u16,
    /// Offset and size of the event's `id` (the call's number).
    id: (usize, usize),
    /// Offset of `args[0]` and the size of one argument.
    args: (usize, usize),
}

/// `commit` flags: events were lost before this page (and their count is
/// stored after the data).
const RB_MISSED_EVENTS: u64 = 1 << 31;
const RB_MISSED_STORED: u64 = 1 << 30;

/// A private tracefs instance counting the `sys_enter` events of a process tree.
#[derive(Debug)]
pub struct SyscallRecorder {
    dir: PathBuf,
    /// `per_cpu/cpuN/trace_pipe_raw`, non-blocking.
    pipes: Vec<File>,
    layout: Layout,
    masks: BTreeMap<u64, [u64; 6]>,
    counts: BTreeMap<CallKey, u64>,
    /// Events lost or unreadable seen in the pages themselves.
    lost: u64,
    /// Whether a detached process removes the instance.
    detached: bool,
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
        if !in_initial_pid_namespace() {
            return Err(TracefsError::Unavailable {
                reason: "seccompy runs in a pid namespace, and tracefs follows processes by \
                         their pids in the initial one"
                    .into(),
            });
        }
        ensure_mounted()?;
        remove_stale();
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
            pipes: Vec::new(),
            layout: Layout {
                page: 0,
                commit: (0, 0),
                data: 0,
                event_id: 0,
                id: (0, 0),
                args: (0, 0),
            },
            masks: masks.iter().copied().collect(),
            counts: BTreeMap::new(),
            lost: 0,
            detached: false,
        };
        let event = rec.dir.join("events/raw_syscalls/sys_enter");
        if !event.join("enable").exists() {
            return Err(TracefsError::Unavailable {
                reason: "the kernel has no raw_syscalls:sys_enter event".into(),
            });
        }
        write_file(&rec.dir.join("tracing_on"), "0")?;
        write_file(&rec.dir.join("buffer_size_kb"), &buffer_kb.to_string())?;
        write_file(&rec.dir.join("options/overwrite"), "0")?;
        write_file(&rec.dir.join("options/event-fork"), "1")?;
        let page_kb = read_small(&rec.dir.join("buffer_subbuf_size_kb"))
            .ok()
            .and_then(|t| t.trim().parse::<usize>().ok());
        // Kernels before 6.8 have no sub-buffer size: a page.
        // SAFETY: sysconf has no memory-safety requirement.
        let page = page_kb.map_or_else(
            || usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096),
            |kb| kb * 1024,
        );
        let header = read_small(&Path::new(TRACEFS).join("events/header_page"))?;
        let format = read_small(&event.join("format"))?;
        rec.layout = layout(page, &header, &format).ok_or_else(|| TracefsError::Unavailable {
            reason: "unexpected layout of the ring buffer's pages or of sys_enter".into(),
        })?;
        let per_cpu = rec.dir.join("per_cpu");
        let cpus = std::fs::read_dir(&per_cpu).map_err(io_error(&per_cpu))?;
        for cpu in cpus {
            let path = cpu
                .map_err(io_error(&per_cpu))?
                .path()
                .join("trace_pipe_raw");
            let pipe = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)
                .map_err(io_error(&path))?;
            rec.pipes.push(pipe);
        }
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
    /// [`TracefsError::Io`] if reading `trace_pipe_raw` fails.
    pub fn pump(&mut self, timeout: Duration) -> Result<(), TracefsError> {
        let mut fds: Vec<libc::pollfd> = self
            .pipes
            .iter()
            .map(|p| libc::pollfd {
                fd: p.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a valid array of `fds.len()` pollfds.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        self.drain()
    }

    /// Reads every CPU's pages until none is left for now.
    fn drain(&mut self) -> Result<(), TracefsError> {
        let mut page = vec![0u8; self.layout.page];
        for i in 0..self.pipes.len() {
            loop {
                let mut pipe = &self.pipes[i];
                match pipe.read(&mut page) {
                    Ok(0) => break,
                    Ok(n) => {
                        let got = &page[..n];
                        self.count_page(got);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let path = self.dir.join("per_cpu").join("trace_pipe_raw");
                        return Err(io_error(&path)(e));
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts the events of one page.
    fn count_page(&mut self, page: &[u8]) {
        let l = self.layout;
        let Some(commit) = read_uint(page, l.commit.0, l.commit.1) else {
            self.lost += 1;
            return;
        };
        let size = (commit & !(RB_MISSED_EVENTS | RB_MISSED_STORED)) as usize;
        let end = l.data.saturating_add(size).min(page.len());
        if commit & RB_MISSED_EVENTS != 0 {
            let stored = (commit & RB_MISSED_STORED != 0)
                .then(|| read_uint(page, end, 8))
                .flatten();
            self.lost += stored.unwrap_or(1).max(1);
        }
        let mut pos = l.data;
        while pos + 4 <= end {
            let Some(header) = read_uint(page, pos, 4) else {
                break;
            };
            let type_len = header & 0x1f;
            let (data, next) = match type_len {
                // Padding: the rest of the page when its time delta is 0.
                29 => {
                    if header >> 5 == 0 {
                        break;
                    }
                    let Some(len) = read_uint(page, pos + 4, 4) else {
                        break;
                    };
                    (None, pos + 4 + len as usize)
                }
                // Time extend and time stamp: 8 bytes, no data.
                30 | 31 => (None, pos + 8),
                // A long event: its length (itself included) in the next word.
                0 => {
                    let Some(len) = read_uint(page, pos + 4, 4) else {
                        break;
                    };
                    let len = len as usize;
                    (Some((pos + 8, len.saturating_sub(4))), pos + 4 + len)
                }
                n => (Some((pos + 4, n as usize * 4)), pos + 4 + n as usize * 4),
            };
            if let Some((at, len)) = data {
                match page.get(at..(at + len).min(end)) {
                    Some(event) if at + len <= end => self.count_event(event),
                    _ => self.lost += 1,
                }
            }
            if next <= pos {
                break;
            }
            pos = next;
        }
    }

    /// Counts one event's call.
    fn count_event(&mut self, event: &[u8]) {
        let l = self.layout;
        if read_uint(event, 0, 2) != Some(u64::from(l.event_id)) {
            return;
        }
        let Some(raw) = read_uint(event, l.id.0, l.id.1) else {
            self.lost += 1;
            return;
        };
        // A negative `long` (a call made with -1): all ones.
        let nr = if l.id.1 < 8 && raw >> (l.id.1 * 8 - 1) & 1 == 1 {
            u64::MAX
        } else {
            raw
        };
        let mut args = [0; 6];
        if let Some(mask) = self.masks.get(&nr) {
            for (i, arg) in args.iter_mut().enumerate() {
                match read_uint(event, l.args.0 + i * l.args.1, l.args.1) {
                    Some(v) => *arg = v & mask[i],
                    None => {
                        self.lost += 1;
                        return;
                    }
                }
            }
        }
        *self.counts.entry((nr, args)).or_default() += 1;
    }

    /// Stops recording, reads what is left, and returns the counts and the
    /// events lost (the ring buffer's overruns and drops, and events that could
    /// not be read). The instance is removed before this returns.
    ///
    /// # Errors
    /// [`TracefsError::Io`].
    pub fn finish(mut self) -> Result<Recorded, TracefsError> {
        self.collect()
    }

    /// [`finish`](Self::finish), but the instance is removed by a detached
    /// process (in its own session, with no open fd) instead of the caller: removing an
    /// instance waits for the kernel's RCU grace periods (50 to 150 ms on a
    /// busy machine), which the caller then need not wait for. If that
    /// process cannot be started, the instance is removed here; if it dies
    /// first, the next recorder removes the instance.
    ///
    /// # Errors
    /// [`TracefsError::Io`].
    pub fn finish_detached(mut self) -> Result<Recorded, TracefsError> {
        let recorded = self.collect()?;
        self.pipes.clear();
        let Ok(path) = CString::new(self.dir.as_os_str().as_encoded_bytes()) else {
            return Ok(recorded);
        };
        // If the remover could not start, Drop removes the instance.
        self.detached = remove_detached(&[path]);
        Ok(recorded)
    }

    fn collect(&mut self) -> Result<Recorded, TracefsError> {
        write_file(&self.dir.join("tracing_on"), "0")?;
        self.drain()?;
        let mut lost = self.lost;
        let per_cpu = self.dir.join("per_cpu");
        let cpus = std::fs::read_dir(&per_cpu).map_err(io_error(&per_cpu))?;
        for cpu in cpus {
            let cpu = cpu.map_err(io_error(&per_cpu))?;
            let stats = cpu.path().join("stats");
            lost += lost_events(&read_small(&stats)?);
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
        self.pipes.clear();
        if self.detached {
            return;
        }
        let _ = std::fs::write(self.dir.join("tracing_on"), "0");
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The inode of the initial pid namespace (`PROC_PID_INIT_INO`).
const PROC_PID_INIT_INO: u64 = 0xefff_fffc;

/// Whether this process lives in the initial pid namespace, whose pids
/// `set_event_pid` takes.
fn in_initial_pid_namespace() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/pid").is_ok_and(|m| m.ino() == PROC_PID_INIT_INO)
}

/// Removes the instances of recorders whose process is gone (killed before
/// it could remove its own): `seccompy-<pid>-<n>` with no process `<pid>`.
/// A detached process removes them, as one may be in the middle of its
/// removal by its recorder's detached process (which this would wait for).
fn remove_stale() {
    let Ok(dirs) = std::fs::read_dir(Path::new(TRACEFS).join("instances")) else {
        return;
    };
    let mut stale = Vec::new();
    for dir in dirs.flatten() {
        let name = dir.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("seccompy-"))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, n)| n.parse::<u64>().ok().and(pid.parse::<libc::pid_t>().ok()))
        else {
            continue;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone
            && pid > 0
            && let Ok(path) = CString::new(dir.path().as_os_str().as_encoded_bytes())
        {
            stale.push(path);
        }
    }
    if !stale.is_empty() {
        remove_detached(&stale);
    }
}

/// Removes the directories `paths` from a detached process (in its own
/// session, with no open fd, so that no reader of the caller's pipes waits for
/// it); returns whether that process was started.
fn remove_detached(paths: &[CString]) -> bool {
    // SAFETY: between fork and _exit the children make only async-signal-safe
    // system calls on memory allocated before the fork.
    unsafe {
        let child = libc::fork();
        if child == 0 {
            if libc::fork() == 0 {
                if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
                    for fd in 0..1024 {
                        libc::close(fd);
                    }
                }
                libc::setsid();
                for path in paths {
                    libc::rmdir(path.as_ptr());
                }
            }
            libc::_exit(0);
        }
        if child < 0 {
            return false;
        }
        let mut status = 0;
        while libc::waitpid(child, &mut status, 0) < 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)
        {}
        true
    }
}

/// A native-endian unsigned integer of `size` bytes (1 to 8) at `at`.
fn read_uint(bytes: &[u8], at: usize, size: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(size)?)?;
    let mut buf = [0u8; 8];
    match size {
        1..=8 if cfg!(target_endian = "little") => buf[..size].copy_from_slice(b),
        1..=8 => buf[8 - size..].copy_from_slice(b),
        _ => return None,
    }
    Some(u64::from_ne_bytes(buf))
}

/// A tracefs file of at most 64 KiB, read in large reads: some tracefs files
/// (`events/header_page`) end their text at the first short read's length.
fn read_small(path: &Path) -> Result<String, TracefsError> {
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0;
    let mut file = File::open(path).map_err(io_error(path))?;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(path)(e)),
        }
    }
    buf.truncate(len);
    String::from_utf8(buf)
        .map_err(|e| io_error(path)(io::Error::new(io::ErrorKind::InvalidData, e.utf8_error())))
}

/// The offset and size of `field` in a tracefs `format` text
/// (`field:long id;\toffset:8;\tsize:8;...`), matched by its last word
/// (`args` for `unsigned long args[6]`).
fn field(format: &str, name: &str) -> Option<(usize, usize)> {
    format.lines().find_map(|line| {
        let mut parts = line.trim().split(';').map(str::trim);
        let decl = parts.next()?.strip_prefix("field:")?.trim();
        let last = decl.rsplit([' ', '*']).next()?;
        let last = last.split('[').next()?;
        if last != name {
            return None;
        }
        let mut offset = None;
        let mut size = None;
        for p in parts {
            if let Some(v) = p.strip_prefix("offset:") {
                offset = v.parse().ok();
            } else if let Some(v) = p.strip_prefix("size:") {
                size = v.parse().ok();
            }
        }
        Some((offset?, size?))
    })
}

/// The layout from `events/header_page` and the event's `format`.
fn layout(page: usize, header: &str, format: &str) -> Option<Layout> {
    let commit = field(header, "commit")?;
    let data = field(header, "data")?.0;
    let event_id = format
        .lines()
        .find_map(|l| l.strip_prefix("ID:"))?
        .trim()
        .parse()
        .ok()?;
    let id = field(format, "id")?;
    let (args_at, args_size) = field(format, "args")?;
    let arg = args_size / 6;
    let sane = |(_, size): (usize, usize)| (1..=8).contains(&size);
    (sane(commit)
        && sane(id)
        && sane((0, arg))
        && data < page
        && field(format, "common_type")? == (0, 2))
        .then_some(Layout {
            page,
            commit,
            data,
            event_id,
            id,
            args: (args_at, arg),
        })
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

    const HEADER: &str = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\
        \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n\
        \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n\
        \tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";
    const FORMAT: &str = "name: sys_enter\nID: 443\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\
        \tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n";

    fn recorder(masks: &[(u64, [u64; 6])]) -> SyscallRecorder {
        SyscallRecorder {
            dir: PathBuf::from("/nonexistent"),
            pipes: Vec::new(),
            layout: layout(4096, HEADER, FORMAT).unwrap(),
            masks: masks.iter().copied().collect(),
            counts: BTreeMap::new(),
            lost: 0,
            detached: false,
        }
    }

    /// A sys_enter event's record: header (type_len 16) and 64 bytes.
    fn event(nr: i64, args: [u64; 6]) -> Vec<u8> {
        let mut e = (16u32 | (5 << 5)).to_ne_bytes().to_vec();
        e.extend_from_slice(&443u16.to_ne_bytes());
        e.extend_from_slice(&[0, 0]);
        e.extend_from_slice(&1234i32.to_ne_bytes());
        e.extend_from_slice(&nr.to_ne_bytes());
        for a in args {
            e.extend_from_slice(&a.to_ne_bytes());
        }
        e
    }

    fn page(records: &[Vec<u8>], flags: u64) -> Vec<u8> {
        let data: Vec<u8> = records.concat();
        let mut p = 0u64.to_ne_bytes().to_vec();
        p.extend_from_slice(&(data.len() as u64 | flags).to_ne_bytes());
        p.extend_from_slice(&data);
        p.resize(4096, 0);
        p
    }

    #[test]
    fn layouts_pages_and_stats_are_read() {
        let l = layout(4096, HEADER, FORMAT).unwrap();
        assert_eq!((l.commit, l.data, l.event_id), ((8, 8), 16, 443));
        assert_eq!((l.id, l.args), ((8, 8), (16, 8)));
        assert_eq!(layout(4096, HEADER, "ID: 1\n"), None);
        let mut rec = recorder(&[(41, [0xffff_ffff, 0xf, 0, 0, 0, 0])]);
        // A time extend, a socket call, a long (type_len 0) event, a read
        // call, then padding to the end.
        let time_extend = [30u32.to_ne_bytes(), 0u32.to_ne_bytes()].concat();
        let mut long = 0u32.to_ne_bytes().to_vec();
        long.extend_from_slice(&68u32.to_ne_bytes());
        long.extend_from_slice(&event(0, [0; 6])[4..]);
        let pad = [29u32.to_ne_bytes()].concat();
        let sock = event(41, [0xffff_ffff_0000_0002, 0x80801, 0, 7, 0, 0]);
        let p = page(&[time_extend, sock, long, event(-1, [0; 6]), pad], 0);
        rec.count_page(&p);
        assert_eq!(
            rec.counts,
            BTreeMap::from([
                ((0, [0; 6]), 1),
                ((41, [2, 1, 0, 0, 0, 0]), 1),
                ((u64::MAX, [0; 6]), 1)
            ])
        );
        assert_eq!(rec.lost, 0);
        // Missed events, their count stored after the data.
        let mut p = page(&[event(1, [0; 6])], RB_MISSED_EVENTS | RB_MISSED_STORED);
        p[16 + 68..16 + 76].copy_from_slice(&7u64.to_ne_bytes());
        rec.count_page(&p);
        assert_eq!(rec.lost, 7);
        // A record cut by the page's end is lost, not read past.
        let cut = page(&[event(1, [0; 6])], 0);
        let mut short = cut.clone();
        short[8..16].copy_from_slice(&40u64.to_ne_bytes());
        rec.count_page(&short);
        assert_eq!(rec.lost, 8);
        let stats = "entries: 0\noverrun: 3\ncommit overrun: 1\nbytes: 0\n\
                     oldest event ts:  2470.666085\ndropped events: 5\nread events: 50\n";
        assert_eq!(lost_events(stats), 9);
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
        // An instance left by a process that is gone is removed by the next.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        gone.wait().unwrap();
        let stale = Path::new(TRACEFS)
            .join("instances")
            .join(format!("seccompy-{}-0", gone.id()));
        std::fs::create_dir(&stale).unwrap();
        drop(SyscallRecorder::new(1024, &[]).unwrap());
        let start = std::time::Instant::now();
        while stale.exists() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!stale.exists(), "the stale instance is removed");
        // Removed by a detached process: soon, not at once.
        let rec = SyscallRecorder::new(1024, &[]).unwrap();
        let dir = rec.dir().to_path_buf();
        rec.finish_detached().unwrap();
        let start = std::time::Instant::now();
        while dir.exists() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!dir.exists(), "the detached process removes the instance");
    }
}
