//! The seccomp audit records (`type=1326`) the kernel logs, seen from outside.
//!
//! Two sources, both read at once so that a record counts from whichever carries it:
//! - the audit netlink multicast group `AUDIT_NLGRP_READLOG` (needs
//!   `CAP_AUDIT_READ`): every record, not rate-limited, whether or not an audit
//!   daemon runs;
//! - the kernel log `/dev/kmsg`, where records go only when no audit daemon
//!   runs, and then through `printk_ratelimit()` (ten messages per five seconds
//!   for the whole machine), so that records are lost when other tests log too.
//!
//! Both only show records logged after they were opened.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// `AUDIT_SECCOMP`, the record type of a logged seccomp action.
const AUDIT_SECCOMP: u16 = 1326;
/// `AUDIT_NLGRP_READLOG`, the multicast group of read-only log readers.
const AUDIT_NLGRP_READLOG: u32 = 1;

/// Where records are read from.
struct AuditLog {
    netlink: Option<OwnedFd>,
    kmsg: Option<OwnedFd>,
}

impl AuditLog {
    /// Opens every source this process can read, or `None` if none.
    fn open() -> Option<AuditLog> {
        let log = AuditLog {
            netlink: open_netlink(),
            kmsg: open_kmsg(),
        };
        (log.netlink.is_some() || log.kmsg.is_some()).then_some(log)
    }

    /// Appends the seccomp records of process `pid` read so far to `out`.
    fn read(&self, pid: libc::pid_t, out: &mut Vec<String>) {
        let needle = format!(" pid={pid} ");
        let mut keep = |rec: String| {
            if rec.contains(&needle) {
                out.push(rec);
            }
        };
        if let Some(fd) = &self.netlink {
            read_netlink(fd, &mut keep);
        }
        if let Some(fd) = &self.kmsg {
            read_kmsg(fd, &mut keep);
        }
    }
}

fn open_netlink() -> Option<OwnedFd> {
    // SAFETY: plain socket creation.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            libc::NETLINK_AUDIT,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: a new fd of ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: all-zero is a valid sockaddr_nl.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = 1 << (AUDIT_NLGRP_READLOG - 1);
    // SAFETY: binding our socket to an address of the size given.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    (rc == 0).then_some(fd)
}

fn open_kmsg() -> Option<OwnedFd> {
    // SAFETY: a NUL-terminated path.
    let fd = unsafe {
        libc::open(
            c"/dev/kmsg".as_ptr(),
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: a new fd of ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: seeking our own fd to the end of the log.
    unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_END) };
    Some(fd)
}

/// Reads every queued netlink message; passes on seccomp records as
/// `type=1326 <text>`, the way the kernel log shows them.
fn read_netlink(fd: &OwnedFd, keep: &mut impl FnMut(String)) {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        // SAFETY: reading into a valid buffer of the length given.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n <= 0 {
            // EAGAIN: nothing more now. ENOBUFS (records dropped because the
            // socket buffer overflowed) also ends this read; the caller retries.
            return;
        }
        let mut msg = &buf[..n as usize];
        while msg.len() >= 16 {
            let len = u32::from_ne_bytes(msg[0..4].try_into().unwrap()) as usize;
            let ty = u16::from_ne_bytes(msg[4..6].try_into().unwrap());
            if len < 16 || len > msg.len() {
                break;
            }
            if ty == AUDIT_SECCOMP {
                let text = String::from_utf8_lossy(&msg[16..len]);
                keep(format!("type={ty} {}", text.trim_end_matches('\0')));
            }
            // Messages are 4-byte aligned; the last one may lack its padding.
            msg = &msg[((len + 3) & !3).min(msg.len())..];
        }
    }
}

/// Reads every record logged to the kernel log since the last read.
fn read_kmsg(fd: &OwnedFd, keep: &mut impl FnMut(String)) {
    let mut buf = [0u8; 8192];
    loop {
        // SAFETY: reading one record into a valid buffer.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            if super::errno() == libc::EPIPE {
                continue; // Records were overwritten; read on.
            }
            return;
        }
        if n == 0 {
            return;
        }
        let rec = String::from_utf8_lossy(&buf[..n as usize]).into_owned();
        if rec.contains("type=1326") {
            keep(rec);
        }
    }
}

/// Runs `run` (which runs a child to its end and returns its pid) and collects
/// the child's seccomp records until they satisfy `want`. Runs a new child if
/// records were lost (the kernel log is rate-limited). `None` if no log can be
/// read here; panics if `want` is never satisfied.
pub fn logged_records(
    mut run: impl FnMut() -> libc::pid_t,
    want: impl Fn(&[String]) -> bool,
) -> Option<Vec<String>> {
    let mut last = Vec::new();
    for _ in 0..8 {
        let log = AuditLog::open()?;
        let pid = run();
        // The kernel's audit thread sends records after the child made its calls.
        let deadline = Instant::now() + Duration::from_millis(1500);
        last.clear();
        loop {
            log.read(pid, &mut last);
            if want(&last) {
                return Some(last);
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("the kernel never logged the expected records; last seen: {last:?}");
}
