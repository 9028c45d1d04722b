//! The kernel's seccomp audit records (`AUDIT_SECCOMP`, type 1326), read as
//! they are logged: which call a filter killed, trapped or logged, seen from
//! outside the process.
//!
//! The kernel logs a record for every seccomp kill, for the actions a filter
//! installed with [`FilterFlags::LOG`](crate::FilterFlags::LOG) asks to log, and
//! for `LOG` returns, each as far as `/proc/sys/kernel/seccomp/actions_logged`
//! allows. [`AuditLog`] reads two places that carry them:
//! - the audit netlink socket's read-only log group (`AUDIT_NLGRP_READLOG`,
//!   Linux 3.16; needs `CAP_AUDIT_READ` and the initial network namespace):
//!   every record, whether an audit daemon runs or not, never rate-limited;
//! - the kernel log `/dev/kmsg`, where records land only when no audit daemon
//!   takes them, and then through the kernel's printk rate limit (a burst of
//!   ten per five seconds for the whole machine).
//!
//! A record counts from whichever source has it; both only show records
//! logged after [`AuditLog::open`]. The netlink group carries every audit
//! record of the machine, not only seccomp's: read regularly while waiting
//! for a long-running process, since a full socket buffer drops the newest
//! records (the kernel log drops the oldest instead).
//!
//! ```no_run
//! use std::process::Command;
//! use std::time::Duration;
//!
//! use seccompy::audit::AuditLog;
//!
//! let mut log = AuditLog::open();
//! let mut child = Command::new("some-sandboxed-program").spawn()?;
//! let pid = child.id();
//! child.wait()?;
//! if let Some(rec) = log.find(Duration::from_millis(500), |r| r.pid == pid) {
//!     println!("{:?} on {:?}", rec.action(), rec.syscall_name());
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # References
//! - [`seccomp(2)`](https://man7.org/linux/man-pages/man2/seccomp.2.html), on
//!   `actions_logged` and `SECCOMP_FILTER_FLAG_LOG`
//! - [`netlink(7)`](https://man7.org/linux/man-pages/man7/netlink.7.html), on
//!   `NETLINK_AUDIT`
//! - [`capabilities(7)`](https://man7.org/linux/man-pages/man7/capabilities.7.html),
//!   on `CAP_AUDIT_READ`

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use seccompy_bpf::Action;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_NLGRP_READLOG, AUDIT_SECCOMP};

/// The size of `struct nlmsghdr`.
const NLMSG_HDRLEN: usize = 16;

/// What one seccomp audit record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "AUDIT_SECCOMP")]
#[non_exhaustive]
pub struct Record {
    /// The process (thread group) that made the call.
    pub pid: u32,
    /// The call's `AUDIT_ARCH_*`.
    pub arch: u32,
    /// The call's number, as the filter saw it (`seccomp_data.nr` read
    /// unsigned: the kernel prints it signed, `syscall=-1` is `0xffff_ffff`).
    pub nr: u32,
    /// The filter's return value (`code=`).
    pub code: u32,
    /// The audit event's serial number (`audit(TIME:SERIAL)`), if the text
    /// had it: the same event read from both sources has the same one.
    pub serial: Option<u64>,
}

impl Record {
    /// Reads a record's text: the fields after `type=1326` in the kernel log or
    /// in `audit.log`, or the payload of a netlink message of that type.
    /// `None` when a field (`pid=`, `arch=`, `syscall=`, `code=`) is missing
    /// or malformed.
    #[must_use]
    pub fn parse(text: &str) -> Option<Record> {
        let field = |name: &str| text.split_whitespace().find_map(|w| w.strip_prefix(name));
        let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
        Some(Record {
            pid: field("pid=")?.parse().ok()?,
            arch: hex(field("arch=")?)?,
            nr: syscall_nr(field("syscall=")?)?,
            code: hex(field("code=")?)?,
            serial: text
                .split_once("audit(")
                .and_then(|(_, id)| id.split_once(')'))
                .and_then(|(id, _)| id.split_once(':'))
                .and_then(|(_, serial)| serial.parse().ok()),
        })
    }

    /// The filter's action, or `None` for a value that is no action.
    #[must_use]
    pub fn action(&self) -> Option<Action> {
        Action::from_raw(self.code)
    }

    /// The call's ABI, from its audit arch (and the x32 bit on x86_64), or
    /// `None` for an arch seccompy has no table for.
    #[must_use]
    pub fn abi(&self) -> Option<Abi> {
        Abi::of_call(self.arch, self.nr)
    }

    /// The call's name in its ABI, if known.
    #[must_use]
    pub fn syscall_name(&self) -> Option<&'static str> {
        self.abi()?.syscall_name(self.nr)
    }
}

/// The number in a record's `syscall=` field. The kernel prints the call's
/// `int` number sign-extended to a `long` with `%ld` (`audit_seccomp` in
/// `kernel/auditsc.c`), so numbers with the top bit set come out negative
/// (`syscall=-2147483609`); `None` for text that is no 32-bit number either way.
fn syscall_nr(text: &str) -> Option<u32> {
    let n: i64 = text.parse().ok()?;
    if let Ok(signed) = i32::try_from(n) {
        return Some(signed as u32);
    }
    u32::try_from(n).ok()
}

/// A reader of seccomp audit records, opened before the processes of interest
/// run: only records logged after the opening are read.
#[derive(Debug)]
pub struct AuditLog {
    netlink: Option<OwnedFd>,
    kmsg: Option<std::fs::File>,
    /// Where datagrams and kernel log records are received.
    buf: Vec<u8>,
    /// The serials of the latest records passed on, so that a record read
    /// from both sources is passed on once.
    seen: VecDeque<u64>,
}

/// How many serials [`AuditLog`] remembers to drop a record's second copy.
const SEEN: usize = 256;

impl AuditLog {
    /// Opens whichever sources this process may read (possibly none: see
    /// [`is_readable`](Self::is_readable)).
    #[must_use]
    pub fn open() -> AuditLog {
        AuditLog {
            netlink: open_netlink(),
            kmsg: std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open("/dev/kmsg")
                .ok()
                .inspect(|file| {
                    // SAFETY: seeking our own fd to the log's end, so that only
                    // new records are read.
                    unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_END) };
                }),
            buf: Vec::new(),
            seen: VecDeque::new(),
        }
    }

    /// Whether a source could be opened (otherwise no record will ever be
    /// read).
    #[must_use]
    pub fn is_readable(&self) -> bool {
        self.netlink.is_some() || self.kmsg.is_some()
    }

    /// The records logged since the last read (or the opening).
    pub fn records(&mut self) -> Vec<Record> {
        let mut out = Vec::new();
        self.read(&mut |r| out.push(r));
        out
    }

    /// The first record (since the last read) for which `want` holds, waiting
    /// up to `wait` for it: the kernel's audit thread sends records after the
    /// call was made, possibly after the process was reaped. The other records
    /// read meanwhile are consumed ([`records`](Self::records) keeps them
    /// all). `None` at once when no source is readable.
    pub fn find(
        &mut self,
        wait: Duration,
        mut want: impl FnMut(&Record) -> bool,
    ) -> Option<Record> {
        if !self.is_readable() {
            return None;
        }
        let deadline = Instant::now() + wait;
        loop {
            let mut found = None;
            self.read(&mut |r| {
                if found.is_none() && want(&r) {
                    found = Some(r);
                }
            });
            if found.is_some() || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Passes every record queued on either source to `keep`, once.
    fn read(&mut self, keep: &mut dyn FnMut(Record)) {
        let seen = &mut self.seen;
        let mut keep = |r: Record| {
            if let Some(serial) = r.serial {
                if seen.contains(&serial) {
                    return;
                }
                if seen.len() == SEEN {
                    seen.pop_front();
                }
                seen.push_back(serial);
            }
            keep(r);
        };
        let keep = &mut keep;
        if self.buf.is_empty() {
            // A netlink datagram holds at most a page's worth of messages; a
            // kernel log record at most 8 KiB.
            self.buf.resize(1 << 16, 0);
        }
        if let Some(fd) = &self.netlink {
            read_netlink(fd, &mut self.buf, keep);
        }
        if let Some(file) = &mut self.kmsg {
            loop {
                match file.read(&mut self.buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let text = String::from_utf8_lossy(&self.buf[..n]);
                        if let Some((_, rest)) = text.split_once("type=1326")
                            && let Some(r) = Record::parse(rest)
                        {
                            keep(r);
                        }
                    }
                    // EPIPE: records were overwritten before being read; go on.
                    Err(e) if e.raw_os_error() == Some(libc::EPIPE) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
    }
}

/// A netlink audit socket in the read-log multicast group, or `None` where
/// that is refused (no `CAP_AUDIT_READ`, no audit in this kernel).
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
    // SAFETY: a new fd, ours alone.
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

/// Passes the seccomp records of every queued netlink message to `keep`.
fn read_netlink(fd: &OwnedFd, buf: &mut [u8], keep: &mut dyn FnMut(Record)) {
    loop {
        // SAFETY: receiving into a buffer of the length given.
        let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        let Ok(n) = usize::try_from(n) else {
            // EAGAIN: nothing more for now. ENOBUFS (the socket's buffer
            // overflowed and records were dropped): read on.
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOBUFS) {
                continue;
            }
            return;
        };
        if n == 0 {
            return;
        }
        for (ty, payload) in messages(&buf[..n]) {
            if ty == AUDIT_SECCOMP
                && let Some(r) = Record::parse(&String::from_utf8_lossy(payload))
            {
                keep(r);
            }
        }
    }
}

/// The (type, payload) of each netlink message in a datagram (headers in the
/// host's byte order, messages aligned to 4 bytes, the last one possibly
/// without its padding).
fn messages(mut buf: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = u32::from_ne_bytes(buf.get(0..4)?.try_into().ok()?) as usize;
        let ty = u16::from_ne_bytes(buf.get(4..6)?.try_into().ok()?);
        if len < NLMSG_HDRLEN || len > buf.len() {
            return None;
        }
        let payload = &buf[NLMSG_HDRLEN..len];
        buf = &buf[(len.next_multiple_of(4)).min(buf.len())..];
        Some((ty, payload))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "audit(1764343021.123:456): auid=4294967295 uid=0 gid=0 \
        ses=4294967295 subj=unconfined pid=4321 comm=\"mkdir\" exe=\"/usr/bin/mkdir\" \
        sig=31 arch=c000003e syscall=83 compat=0 ip=0x7f0011223344 code=0x80000000";

    #[test]
    fn records_are_read_from_their_text() {
        let r = Record::parse(TEXT).unwrap();
        assert_eq!(
            r,
            Record {
                pid: 4321,
                arch: 0xc000_003e,
                nr: 83,
                code: 0x8000_0000,
                serial: Some(456),
            }
        );
        // A field missing or malformed: no record.
        assert_eq!(Record::parse(&TEXT.replace("syscall=83", "")), None);
        assert_eq!(
            Record::parse(&TEXT.replace("arch=c000003e", "arch=zz")),
            None
        );
    }

    #[test]
    fn negative_numbers_are_the_unsigned_nr() {
        // The kernel prints `syscall=` signed: a filter that saw 0x80000027
        // logs -2147483609 (a line as the kernel writes it).
        let line = "audit: type=1326 audit(1764343021.123:457): auid=1000 uid=1000 gid=1000 \
            ses=2 subj=unconfined pid=77 comm=\"t\" exe=\"/t\" sig=31 arch=c000003e \
            syscall=-2147483609 compat=0 ip=0x401000 code=0x80000000";
        let r = Record::parse(line).unwrap();
        assert_eq!((r.pid, r.nr, r.serial), (77, 0x8000_0027, Some(457)));
        assert_eq!(r.abi(), Some(Abi::X32));
        // -1, the "no call" number, is an x86_64 call, as the filter sees it.
        let r = Record::parse(&TEXT.replace("syscall=83", "syscall=-1")).unwrap();
        assert_eq!((r.nr, r.abi()), (u32::MAX, Some(Abi::X86_64)));
        // Positive numbers up to u32::MAX (a 32-bit kernel's unsigned print) too;
        // past 32 bits, no record.
        let r = Record::parse(&TEXT.replace("syscall=83", "syscall=4294967295")).unwrap();
        assert_eq!(r.nr, u32::MAX);
        for bad in ["syscall=4294967296", "syscall=-2147483649", "syscall=x"] {
            assert_eq!(
                Record::parse(&TEXT.replace("syscall=83", bad)),
                None,
                "{bad}"
            );
        }
    }

    fn message(ty: u16, payload: &[u8], pad: bool) -> Vec<u8> {
        let len = NLMSG_HDRLEN + payload.len();
        let mut m = Vec::new();
        m.extend((len as u32).to_ne_bytes());
        m.extend(ty.to_ne_bytes());
        m.extend([0u8; 10]);
        m.extend(payload);
        if pad {
            m.resize(len.next_multiple_of(4), 0);
        }
        m
    }

    #[test]
    fn datagrams_are_cut_into_messages() {
        let mut buf = message(1300, b"abcde", true);
        buf.extend(message(AUDIT_SECCOMP, TEXT.as_bytes(), true));
        buf.extend(message(1320, b"xy", false));
        let got: Vec<(u16, &[u8])> = messages(&buf).collect();
        assert_eq!(
            got,
            [
                (1300, &b"abcde"[..]),
                (AUDIT_SECCOMP, TEXT.as_bytes()),
                (1320, &b"xy"[..])
            ]
        );
        // A length past the end or below the header ends the walk.
        let mut bad = message(1300, b"abcd", true);
        bad[0] = 200;
        assert_eq!(messages(&bad).count(), 0);
        bad[0] = 3;
        assert_eq!(messages(&bad).count(), 0);
    }
}
