//! A listener's journal of the calls received and not yet answered, in
//! memory shared with the fd keeper: a sealed memfd the agent maps and
//! deposits with the keeper beside the listener.
//!
//! Journaling a call is a few stores into the mapping (no system call, no
//! message to the keeper): a slot's fields, then its state set to
//! `RECEIVED`; after the answer the state goes back to `FREE`. The stores of a
//! process that dies stay in the memfd, which the keeper holds, so the next
//! agent, handed the memfd back with the listener, reads the slots still
//! `RECEIVED` and answers those calls that still wait
//! (`SECCOMP_IOCTL_NOTIF_ID_VALID`). A slot being written when its agent died
//! (`WRITING`) is a call not yet journaled, as when the agent dies between
//! `RECV` and journaling: that one is lost, as it would be with any journal.
//!
//! Every access to the mapping is atomic (the memory is shared with other
//! processes), and the memfd's size is sealed, so that no process can shrink
//! it under a mapping (a read past its end would be `SIGBUS`). The atomics
//! are 32 bits wide, which every target has (32-bit PowerPC and MIPS have no
//! 64-bit ones): a 64-bit field is two words, written before its slot's state
//! is set (`Release`) and read after it is seen (`Acquire`), by one writer.
//!
//! # Layout
//! A header slot (`MAGIC` in two words, the slot count), then [`SLOTS`] slots
//! of 32 32-bit words: state; id (two words, low first); pid; arch; nr; six
//! arguments (two words each); instruction pointer (two); padding (each slot
//! on its own two cache lines).
//!
//! # References
//! - [`memfd_create(2)`](https://man7.org/linux/man-pages/man2/memfd_create.2.html)
//! - [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html) (file seals)
//! - [`mmap(2)`](https://man7.org/linux/man-pages/man2/mmap.2.html)

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use super::fdpass::cvt;
use crate::sys::{seccomp_data, seccomp_notif};
use crate::unotify::Notification;

/// How many calls of one listener can be journaled at once (more at once are
/// answered without being journaled). Only the slots used are ever touched,
/// the lowest first: a listener whose calls are answered one at a time uses
/// one page of memory.
pub(crate) const SLOTS: usize = 4096;
/// 32-bit words per slot.
const WORDS: usize = 32;
const MAGIC: u64 = u64::from_le_bytes(*b"SCJRNL02");
const BYTES: usize = (SLOTS + 1) * WORDS * 4;

const FREE: u32 = 0;
const WRITING: u32 = 1;
const RECEIVED: u32 = 2;

/// Where a slot's fields are: their first word.
const ID: usize = 1;
const PID: usize = 3;
const ARCH: usize = 4;
const NR: usize = 5;
const ARGS: usize = 6;
const IP: usize = 18;

/// A listener's journal of the calls received and not yet answered: a sealed
/// memfd, mapped, that the agent deposits with the fd keeper beside the
/// listener, so that the next agent, handed it back, answers the calls the
/// previous one received and never answered.
///
/// Journaling a call ([`received`](Self::received), then
/// [`answered`](Self::answered)) is a few atomic stores, no system call. At
/// most 4096 calls of one listener are journaled at once (a call beyond them
/// is answered without being journaled); only the slots used are touched, the
/// lowest first.
///
/// # References
/// - [`memfd_create(2)`](https://man7.org/linux/man-pages/man2/memfd_create.2.html)
/// - [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html) (file seals)
#[derive(Debug)]
pub struct Journal {
    fd: OwnedFd,
    /// `BYTES` of shared, writable mapping of `fd`.
    words: NonNull<AtomicU32>,
}

// SAFETY: the mapping is only ever accessed through atomics, and it lives as
// long as the `Journal`.
unsafe impl Send for Journal {}
// SAFETY: as above.
unsafe impl Sync for Journal {}

/// A journaled call's slot, to mark it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalSlot(usize);

impl Journal {
    /// A new, empty journal: a memfd of fixed, sealed size, mapped.
    ///
    /// # Errors
    /// `memfd_create(2)`, `ftruncate(2)`, `fcntl(2)` or `mmap(2)` failed.
    pub fn new() -> io::Result<Journal> {
        // SAFETY: a valid C string; a new fd or -1.
        let fd = cvt(unsafe {
            libc::memfd_create(
                c"seccompy-journal".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        })?;
        // SAFETY: a new fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain calls on our memfd.
        unsafe {
            cvt(libc::ftruncate(fd.as_raw_fd(), BYTES as libc::off_t))?;
            cvt(libc::fcntl(
                fd.as_raw_fd(),
                libc::F_ADD_SEALS,
                libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL,
            ))?;
        }
        let journal = Journal::map(fd)?;
        journal.put(0, 2, SLOTS as u64);
        journal
            .word(0, 1)
            .store((MAGIC >> 32) as u32, Ordering::Relaxed);
        // The magic's low word last: whoever sees it sees the whole header.
        journal.word(0, 0).store(MAGIC as u32, Ordering::Release);
        Ok(journal)
    }

    /// Maps a journal handed back by the keeper, after checking that it is
    /// one: a memfd sealed against shrinking, of the right size and header.
    ///
    /// # Errors
    /// `InvalidData` when it is not such a journal; the error of `fcntl(2)`,
    /// `fstat(2)` or `mmap(2)`.
    pub fn open(fd: OwnedFd) -> io::Result<Journal> {
        let invalid = |what| io::Error::new(io::ErrorKind::InvalidData, what);
        // SAFETY: plain call on our fd.
        let seals = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) })?;
        if seals & libc::F_SEAL_SHRINK == 0 {
            return Err(invalid("a journal whose size is not sealed"));
        }
        // SAFETY: an all-zero stat is valid; fstat fills it.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: our fd and a writable stat.
        cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
        if st.st_size != BYTES as libc::off_t {
            return Err(invalid("a journal of another size"));
        }
        let journal = Journal::map(fd)?;
        let magic_lo = journal.word(0, 0).load(Ordering::Acquire);
        let magic =
            u64::from(magic_lo) | (u64::from(journal.word(0, 1).load(Ordering::Relaxed)) << 32);
        if magic != MAGIC || journal.get(0, 2) != SLOTS as u64 {
            return Err(invalid("not a journal of this layout"));
        }
        Ok(journal)
    }

    fn map(fd: OwnedFd) -> io::Result<Journal> {
        // SAFETY: a new shared mapping of `BYTES` of our memfd, which is at
        // least that long and sealed against shrinking.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let words = NonNull::new(p.cast::<AtomicU32>()).ok_or_else(|| io::Error::other("mmap"))?;
        Ok(Journal { fd, words })
    }

    /// Word `w` of slot `slot` (slot 0 is the header; call slots are 1..).
    fn word(&self, slot: usize, w: usize) -> &AtomicU32 {
        debug_assert!(slot <= SLOTS && w < WORDS);
        // SAFETY: within the `BYTES` mapping (slot ≤ SLOTS, w < WORDS), which
        // is 4-aligned (page-aligned) and lives as long as `self`; an
        // `AtomicU32` may have any bit pattern.
        unsafe { &*self.words.as_ptr().add(slot * WORDS + w) }
    }

    /// Stores a 64-bit field in words `w` (low) and `w + 1` (high), relaxed:
    /// the slot's state, stored after, publishes it.
    fn put(&self, slot: usize, w: usize, v: u64) {
        self.word(slot, w).store(v as u32, Ordering::Relaxed);
        self.word(slot, w + 1)
            .store((v >> 32) as u32, Ordering::Relaxed);
    }

    /// Reads a 64-bit field stored by [`put`](Self::put), once its slot's
    /// state was read (acquire).
    fn get(&self, slot: usize, w: usize) -> u64 {
        let lo = self.word(slot, w).load(Ordering::Relaxed);
        let hi = self.word(slot, w + 1).load(Ordering::Relaxed);
        u64::from(lo) | (u64::from(hi) << 32)
    }

    /// Journals a received call: `None` when every slot is taken.
    pub fn received(&self, n: &Notification) -> Option<JournalSlot> {
        let slot = (1..=SLOTS).find(|&s| {
            let state = self.word(s, 0);
            state.load(Ordering::Relaxed) == FREE
                && state
                    .compare_exchange(FREE, WRITING, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
        })?;
        let word = |w, v| self.word(slot, w).store(v, Ordering::Relaxed);
        self.put(slot, ID, n.id.get());
        word(PID, n.pid);
        word(ARCH, n.arch);
        word(NR, n.nr as u32);
        for (k, &a) in n.args.iter().enumerate() {
            self.put(slot, ARGS + 2 * k, a);
        }
        self.put(slot, IP, n.instruction_pointer);
        self.word(slot, 0).store(RECEIVED, Ordering::Release);
        Some(JournalSlot(slot))
    }

    /// Marks a journaled call answered (its slot free again).
    pub fn answered(&self, slot: JournalSlot) {
        self.word(slot.0, 0).store(FREE, Ordering::Release);
    }

    /// The calls journaled and not marked answered (some may have been
    /// answered, or have gone, since: check before answering).
    #[must_use]
    pub fn pending(&self) -> Vec<Notification> {
        (1..=SLOTS)
            .filter(|&s| self.word(s, 0).load(Ordering::Acquire) == RECEIVED)
            .map(|s| {
                let word = |w| self.word(s, w).load(Ordering::Relaxed);
                let mut args = [0u64; 6];
                for (k, a) in args.iter_mut().enumerate() {
                    *a = self.get(s, ARGS + 2 * k);
                }
                Notification::from_raw(&seccomp_notif {
                    id: self.get(s, ID),
                    pid: word(PID),
                    flags: 0,
                    data: seccomp_data {
                        nr: word(NR) as i32,
                        arch: word(ARCH),
                        instruction_pointer: self.get(s, IP),
                        args,
                    },
                })
            })
            .collect()
    }

    /// Frees every slot (the calls of a previous agent, once answered).
    pub fn clear(&self) {
        for s in 1..=SLOTS {
            let state = self.word(s, 0);
            if state.load(Ordering::Relaxed) != FREE {
                state.store(FREE, Ordering::Release);
            }
        }
    }
}

impl AsFd for Journal {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // SAFETY: the mapping `map` made, unmapped once; nothing borrows it
        // past `self`.
        unsafe { libc::munmap(self.words.as_ptr().cast(), BYTES) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unotify::NotifId;

    fn notif(id: u64) -> Notification {
        Notification::from_raw(&seccomp_notif {
            id,
            pid: 4_000_000_000,
            flags: 0,
            data: seccomp_data {
                nr: -3,
                arch: 0xc000_003e,
                instruction_pointer: u64::MAX,
                args: [1, 2, 3, 4, 5, u64::MAX],
            },
        })
    }

    #[test]
    fn a_journal_handed_on_shows_the_calls_not_answered() {
        let journal = Journal::new().unwrap();
        let a = journal.received(&notif(7)).unwrap();
        let b = journal.received(&notif(8)).unwrap();
        let c = journal.received(&notif(9)).unwrap();
        journal.answered(b);
        // The lowest free slot is taken next.
        assert_eq!(journal.received(&notif(10)), Some(b));
        journal.answered(a);
        // Another mapping of the same memfd (as a restarted agent gets it).
        // SAFETY: a valid fd.
        let dup = unsafe { libc::fcntl(journal.as_fd().as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        // SAFETY: a new fd we own.
        let again = Journal::open(unsafe { OwnedFd::from_raw_fd(dup) }).unwrap();
        let mut ids: Vec<u64> = again.pending().iter().map(|n| n.id.get()).collect();
        ids.sort_unstable();
        assert_eq!(ids, [9, 10]);
        assert!(again.pending().contains(&notif(9)));
        journal.answered(c);
        assert_eq!(again.pending(), [notif(10)]);
        again.clear();
        assert!(journal.pending().is_empty());
        // Full: the next call is not journaled.
        for i in 0..SLOTS as u64 {
            assert!(journal.received(&notif(100 + i)).is_some());
        }
        assert_eq!(
            journal.received(&Notification {
                id: NotifId::from_raw(1),
                ..notif(1)
            }),
            None
        );
        assert_eq!(journal.pending().len(), SLOTS);
    }

    #[test]
    fn only_a_sealed_journal_of_this_layout_is_opened() {
        // A memfd of the right size, unsealed.
        // SAFETY: a valid C string.
        let fd = unsafe { libc::memfd_create(c"x".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: a new fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: our memfd.
        let r = unsafe { libc::ftruncate(fd.as_raw_fd(), BYTES as libc::off_t) };
        assert_eq!(r, 0);
        let e = Journal::open(fd).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        // A pipe is no memfd.
        let (r, _w) = std::io::pipe().unwrap();
        assert!(Journal::open(r.into()).is_err());
    }
}
