//! Reading the target's memory, validated: [`TargetMemory`].
//!
//! A notification names its caller by pid. Between the notification and the
//! read, the caller may be killed and its pid reused by an unrelated process; a
//! read through the pid would then return that process's memory. So every read
//! here is followed by `SECCOMP_IOCTL_NOTIF_ID_VALID`: if the call is still
//! waiting, the caller was alive for the whole read and the pid was its own.
//! Only then are the bytes handed out; otherwise they are discarded.
//!
//! Memory is read with `process_vm_readv(2)` (Linux 3.2), falling back to
//! `/proc/<pid>/mem` where that call is missing or refused. Both need ptrace
//! access to the target (`PTRACE_MODE_ATTACH_REALCREDS`): the same user with a
//! dumpable target, or `CAP_SYS_PTRACE`.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::MemoryError;
use super::listener::Listener;
use super::notification::{NotifId, Notification};

/// Reads never cross a multiple of this, so that a read that faults at a page
/// boundary is cut there (every Linux page size is a multiple of 4096).
const CHUNK: u64 = 4096;

/// Set once `process_vm_readv` turned out to be missing (`ENOSYS`).
static NO_PROCESS_VM: AtomicBool = AtomicBool::new(false);

/// The memory of a notification's caller, read and validated against the
/// notification.
///
/// Every read is followed by a validity check of the notification; bytes are
/// handed out only if it passes ([`MemoryError::Invalid`] otherwise, with a
/// caller's buffer zeroed). Even then, the memory may change right after the
/// read: another thread of the target can rewrite it. A decision taken on it
/// must not let the kernel read it again (see
/// [`Response::continue_unchecked`](super::Response::continue_unchecked)): act
/// on the copy, in the supervisor.
#[derive(Clone, Copy, Debug)]
pub struct TargetMemory<'l> {
    listener: &'l Listener,
    id: NotifId,
    pid: libc::pid_t,
}

impl Listener {
    /// The memory of the caller of `notification`.
    #[must_use]
    pub fn memory(&self, notification: &Notification) -> TargetMemory<'_> {
        TargetMemory {
            listener: self,
            id: notification.id,
            pid: notification.tid().unwrap_or(0),
        }
    }
}

/// Bytes read from a target but not yet validated: [`PendingRead::validate`]
/// hands them out once the notification proved still pending.
#[derive(Debug)]
pub struct PendingRead<'l> {
    memory: TargetMemory<'l>,
    bytes: Vec<u8>,
}

impl PendingRead<'_> {
    /// How many bytes were read.
    #[must_use]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Checks that the notification is still pending, and only then returns the
    /// bytes.
    ///
    /// # Errors
    /// [`MemoryError::Invalid`] if the call no longer waits (the bytes are
    /// dropped); [`MemoryError::Io`] if the check itself failed.
    pub fn validate(mut self) -> Result<Vec<u8>, MemoryError> {
        match self.memory.validate() {
            Ok(()) => Ok(core::mem::take(&mut self.bytes)),
            Err(e) => {
                self.bytes.fill(0);
                Err(e)
            }
        }
    }
}

impl<'l> TargetMemory<'l> {
    /// The memory of `pid`, the caller of notification `id` on `listener`.
    #[must_use]
    pub fn new(listener: &'l Listener, id: NotifId, pid: libc::pid_t) -> TargetMemory<'l> {
        TargetMemory { listener, id, pid }
    }

    /// Fills `buf` from address `addr` of the target, then validates.
    ///
    /// # Errors
    /// [`MemoryError::Invalid`] if the call no longer waits,
    /// [`MemoryError::Fault`] if the range is not all readable, and the others
    /// of [`MemoryError`]. On any error `buf` is zeroed.
    #[doc(alias = "process_vm_readv")]
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        let result = self.read_exact_unvalidated(addr, buf);
        let result = result.and_then(|()| self.validate());
        if result.is_err() {
            buf.fill(0);
        }
        result
    }

    /// Reads `len` bytes from address `addr`, then validates.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_vec(&self, addr: u64, len: usize) -> Result<Vec<u8>, MemoryError> {
        self.start_read(addr, len)?.validate()
    }

    /// Reads `len` bytes from address `addr` without validating yet: the bytes
    /// stay in the [`PendingRead`] until [`PendingRead::validate`].
    ///
    /// [`read`](Self::read) is this and the validation in one step; this form
    /// lets a test, or a caller that does more work between, see that the bytes
    /// are reachable only through a validation that comes after the read.
    ///
    /// # Errors
    /// [`MemoryError::Fault`] if the range is not all readable, and the others
    /// of [`MemoryError`] (a failure is reported as [`MemoryError::Invalid`] if
    /// the call no longer waits).
    pub fn start_read(&self, addr: u64, len: usize) -> Result<PendingRead<'l>, MemoryError> {
        // `len` may come from the target: fail, do not abort, if it is absurd.
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).map_err(|_| MemoryError::Io {
            source: io::Error::from_raw_os_error(libc::ENOMEM),
        })?;
        bytes.resize(len, 0);
        if let Err(e) = self.read_exact_unvalidated(addr, &mut bytes) {
            bytes.fill(0);
            return Err(e);
        }
        Ok(PendingRead {
            memory: *self,
            bytes,
        })
    }

    /// Reads the NUL-terminated string at `addr`, of at most `max` bytes before
    /// the NUL, then validates.
    ///
    /// Reads page by page, so a string that ends right before an unmapped page
    /// is read, and stops at the NUL (pass `libc::PATH_MAX as usize` for paths).
    ///
    /// # Errors
    /// [`MemoryError::TooLong`] if no NUL comes within `max` bytes,
    /// [`MemoryError::Fault`] if the memory ends first, and as
    /// [`read`](Self::read).
    pub fn read_c_string(&self, addr: u64, max: usize) -> Result<CString, MemoryError> {
        let mut out: Vec<u8> = Vec::new();
        let limit = max.saturating_add(1);
        let mut cur = addr;
        let result = loop {
            if out.len() >= limit {
                break Err(MemoryError::TooLong { addr, max });
            }
            let to_boundary = CHUNK - cur % CHUNK;
            let want = usize::try_from(to_boundary)
                .unwrap_or(usize::MAX)
                .min(limit - out.len());
            let start = out.len();
            out.resize(start + want, 0);
            let n = match self.read_some(cur, &mut out[start..]) {
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            if let Some(pos) = out[start..start + n].iter().position(|&b| b == 0) {
                out.truncate(start + pos);
                break Ok(());
            }
            if n < want {
                break Err(MemoryError::Fault {
                    addr: cur + n as u64,
                    len: want - n,
                });
            }
            cur = match cur.checked_add(want as u64) {
                Some(c) => c,
                None => {
                    break Err(MemoryError::Fault {
                        addr: cur,
                        len: want,
                    });
                }
            };
        };
        let result = match result {
            Ok(()) => self.validate(),
            Err(e) => Err(self.prefer_invalid(e)),
        };
        match result {
            // `out` has no NUL: it was cut at the first one.
            Ok(()) => CString::new(out).map_err(|_| MemoryError::Fault { addr, len: 0 }),
            Err(e) => {
                out.fill(0);
                Err(e)
            }
        }
    }

    /// Writes `data` at address `addr` of the target, after checking that the
    /// notification is still pending. Uses `/proc/<pid>/mem`, opened before the
    /// check, so the write cannot reach another process that reused the pid.
    ///
    /// # Safety
    /// This cannot break the supervisor's own memory safety, but it changes the
    /// target behind its back, which its code cannot expect:
    /// - writes through `/proc/<pid>/mem` ignore page protections: read-only
    ///   data and code can be overwritten;
    /// - other threads of the target run on and may read or write the same
    ///   memory at the same moment; nothing orders the write with them;
    /// - a failed write may have written a prefix of `data`.
    ///
    /// The caller must know what the target has at `addr` and that changing it
    /// is what the target's call needs (for example a buffer the call is to fill,
    /// whose answer the supervisor emulates).
    ///
    /// # Errors
    /// [`MemoryError::Invalid`] if the call no longer waits (nothing written),
    /// [`MemoryError::Fault`] if the range is not mapped, and the others of
    /// [`MemoryError`].
    pub unsafe fn write(&self, addr: u64, data: &[u8]) -> Result<(), MemoryError> {
        let mem = self.open_mem(true)?;
        self.validate()?;
        match mem.write_all_at(data, addr) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.prefer_invalid(self.classify(e, addr, data.len()))),
        }
    }

    /// Checks that the notification is still pending.
    fn validate(&self) -> Result<(), MemoryError> {
        match self.listener.id_valid(self.id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(MemoryError::Invalid { id: self.id }),
            Err(e) => Err(MemoryError::Io {
                source: match e {
                    super::error::IdValidError::Io { source } => source,
                },
            }),
        }
    }

    /// Reports a failure as [`MemoryError::Invalid`] if the call no longer
    /// waits: the failure may come from the target's death.
    fn prefer_invalid(&self, e: MemoryError) -> MemoryError {
        match e {
            MemoryError::Invalid { .. } | MemoryError::NotVisible { .. } => e,
            e => match self.listener.id_valid(self.id) {
                Ok(false) => MemoryError::Invalid { id: self.id },
                _ => e,
            },
        }
    }

    /// Fills `buf` exactly, without validating; a short read is a fault.
    fn read_exact_unvalidated(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        let mut done = 0;
        while done < buf.len() {
            let at = addr.checked_add(done as u64).ok_or(MemoryError::Fault {
                addr,
                len: buf.len(),
            })?;
            let n = self
                .read_some(at, &mut buf[done..])
                .map_err(|e| self.prefer_invalid(e))?;
            if n == 0 {
                return Err(self.prefer_invalid(MemoryError::Fault {
                    addr: at,
                    len: buf.len() - done,
                }));
            }
            done += n;
        }
        Ok(())
    }

    /// One read of up to `buf.len()` bytes at `addr`, unvalidated: how many bytes
    /// were read (0 at a fault).
    fn read_some(&self, addr: u64, buf: &mut [u8]) -> Result<usize, MemoryError> {
        if self.pid == 0 {
            return Err(MemoryError::NotVisible { id: self.id });
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if !NO_PROCESS_VM.load(Ordering::Relaxed) {
            match self.process_vm_read(addr, buf) {
                Ok(n) => return Ok(n),
                Err(e) => match e.raw_os_error() {
                    Some(libc::ENOSYS) => NO_PROCESS_VM.store(true, Ordering::Relaxed),
                    // Refused (a seccomp filter of the supervisor, an LSM):
                    // try the other way.
                    Some(libc::EPERM) => {}
                    _ => return Err(self.classify(e, addr, buf.len())),
                },
            }
        }
        let mem = self.open_mem(false)?;
        match mem.read_at(buf, addr) {
            Ok(n) => Ok(n),
            Err(e) => match self.classify(e, addr, buf.len()) {
                MemoryError::Fault { .. } => Ok(0),
                other => Err(other),
            },
        }
    }

    fn process_vm_read(&self, addr: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(remote_base) = usize::try_from(addr) else {
            return Err(io::Error::from_raw_os_error(libc::EFAULT));
        };
        let local = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let remote = libc::iovec {
            iov_base: remote_base as *mut libc::c_void,
            iov_len: buf.len(),
        };
        loop {
            // SAFETY: `local` describes `buf`, writable for its length; `remote`
            // is only an address in the other process, never dereferenced here.
            let n = unsafe { libc::process_vm_readv(self.pid, &local, 1, &remote, 1, 0) };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e);
            }
        }
    }

    fn open_mem(&self, write: bool) -> Result<File, MemoryError> {
        if self.pid == 0 {
            return Err(MemoryError::NotVisible { id: self.id });
        }
        let path = format!("/proc/{}/mem", self.pid);
        std::fs::OpenOptions::new()
            .read(!write)
            .write(write)
            .open(path)
            .map_err(|e| self.prefer_invalid(self.classify(e, 0, 0)))
    }

    /// Maps an error of a read or write at `addr`.
    fn classify(&self, e: io::Error, addr: u64, len: usize) -> MemoryError {
        match e.raw_os_error() {
            Some(libc::EFAULT | libc::EIO) => MemoryError::Fault { addr, len },
            Some(libc::ESRCH | libc::ENOENT) => MemoryError::Invalid { id: self.id },
            Some(libc::EPERM | libc::EACCES) => MemoryError::Denied { source: e },
            _ => MemoryError::Io { source: e },
        }
    }
}
