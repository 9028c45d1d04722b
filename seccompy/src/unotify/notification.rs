//! What the kernel tells the supervisor about a call: [`Notification`] and its
//! [`NotifId`].

use core::fmt;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{seccomp_data, seccomp_notif};

/// The id of a notification: the kernel's cookie for one waiting call, unique
/// for the listener's lifetime.
///
/// Answers, `id_valid`, `add_fd` and memory validation name the call by it.
/// Ids of one listener grow by one for each notification (the first is random).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotifId(u64);

impl NotifId {
    /// An id as the kernel spells it, for example one read from a raw
    /// `seccomp_notif`.
    #[must_use]
    pub const fn from_raw(id: u64) -> NotifId {
        NotifId(id)
    }

    /// The raw id.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for NotifId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

/// One call waiting for the supervisor's answer, as
/// `SECCOMP_IOCTL_NOTIF_RECV` reports it.
///
/// Everything here is a copy the kernel took when the call was made: the
/// arguments are register values. Pointers among them point into the target's
/// memory, which the target (or another of its threads) can change at any time;
/// see [`TargetMemory`](super::TargetMemory) for reading it safely, and the
/// [module documentation](super#what-a-supervisor-can-and-cannot-decide) for what
/// a decision may rest on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Notification {
    /// The id to answer with.
    pub id: NotifId,
    /// The thread id of the caller in the listener's pid namespace, or 0 when the
    /// caller is not visible there (it lives in a pid namespace the reader of the
    /// notification cannot see).
    pub pid: u32,
    /// The `AUDIT_ARCH_*` value of the call's ABI.
    pub arch: u32,
    /// The system call number, as the ABI numbers it (x32 numbers carry
    /// [`X32_SYSCALL_BIT`](seccompy_sys::X32_SYSCALL_BIT)).
    pub nr: i32,
    /// The six argument registers.
    pub args: [u64; 6],
    /// The caller's instruction pointer at the time of the call.
    pub instruction_pointer: u64,
}

impl Notification {
    /// Reads a raw notification.
    #[must_use]
    pub const fn from_raw(raw: &seccomp_notif) -> Notification {
        Notification {
            id: NotifId(raw.id),
            pid: raw.pid,
            arch: raw.data.arch,
            nr: raw.data.nr,
            args: raw.data.args,
            instruction_pointer: raw.data.instruction_pointer,
        }
    }

    /// The call as a filter saw it.
    #[must_use]
    pub const fn data(&self) -> seccomp_data {
        seccomp_data {
            nr: self.nr,
            arch: self.arch,
            instruction_pointer: self.instruction_pointer,
            args: self.args,
        }
    }

    /// The ABI of the call, from its audit arch (and, on x86_64, the x32 bit of
    /// the number), or `None` for an arch seccompy has no table for.
    #[must_use]
    pub fn abi(&self) -> Option<Abi> {
        Abi::of_call(self.arch, self.nr as u32)
    }

    /// The name of the system call in its ABI (`"openat"`, `"mkdir"`, ...), or
    /// `None` if the ABI or the number is unknown.
    #[must_use]
    pub fn syscall_name(&self) -> Option<&'static str> {
        self.abi()?.syscall_name(self.nr as u32)
    }

    /// The caller's thread id as a `pid_t`, or `None` when it is not visible in
    /// the listener's pid namespace.
    #[must_use]
    pub fn tid(&self) -> Option<libc::pid_t> {
        match libc::pid_t::try_from(self.pid) {
            Ok(0) | Err(_) => None,
            Ok(pid) => Some(pid),
        }
    }
}

impl From<&seccomp_notif> for Notification {
    fn from(raw: &seccomp_notif) -> Self {
        Notification::from_raw(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::{
        AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_MIPSEL64N32, AUDIT_ARCH_X86_64,
        X32_SYSCALL_BIT,
    };

    fn notif(arch: u32, nr: u32) -> Notification {
        let raw = seccomp_notif {
            id: 7,
            pid: 42,
            flags: 0,
            data: seccomp_data {
                nr: nr as i32,
                arch,
                instruction_pointer: 0x1000,
                args: [1, 2, 3, 4, 5, 6],
            },
        };
        Notification::from_raw(&raw)
    }

    #[test]
    fn names_come_from_the_table_of_the_calls_abi() {
        // The same number means different calls under different ABIs.
        let x86_64 = Abi::X86_64.syscall_nr("mkdir").unwrap();
        let n = notif(AUDIT_ARCH_X86_64, x86_64);
        assert_eq!(n.abi(), Some(Abi::X86_64));
        assert_eq!(n.syscall_name(), Some("mkdir"));
        let i386 = notif(AUDIT_ARCH_I386, x86_64);
        assert_eq!(i386.syscall_name(), Abi::I386.syscall_name(x86_64));
        assert_ne!(i386.syscall_name(), Some("mkdir"));

        // x32 shares x86_64's audit arch; the bit in the number tells them apart.
        let x32 = Abi::X32.syscall_nr("openat").unwrap();
        assert_ne!(x32 & X32_SYSCALL_BIT, 0);
        let n = notif(AUDIT_ARCH_X86_64, x32);
        assert_eq!(n.abi(), Some(Abi::X32));
        assert_eq!(n.syscall_name(), Some("openat"));

        let a64 = Abi::Aarch64.syscall_nr("openat").unwrap();
        assert_eq!(
            notif(AUDIT_ARCH_AARCH64, a64).syscall_name(),
            Some("openat")
        );
        let n32 = Abi::Mipsel64n32.syscall_nr("read").unwrap();
        let n = notif(AUDIT_ARCH_MIPSEL64N32, n32);
        assert_eq!(n.abi(), Some(Abi::Mipsel64n32));
        assert_eq!(n.syscall_name(), Some("read"));
    }

    #[test]
    fn unknown_arches_and_numbers_have_no_name() {
        assert_eq!(notif(0xdead_beef, 0).abi(), None);
        assert_eq!(notif(0xdead_beef, 0).syscall_name(), None);
        assert_eq!(notif(AUDIT_ARCH_X86_64, 0x3fff_0000).syscall_name(), None);
    }

    #[test]
    fn minus_one_is_an_x86_64_call() {
        // -1 has the x32 bit but is the kernel's "no call" number: the filter
        // that notified saw it as an x86_64 call (Abi::of_call), and so does
        // the notification.
        let n = notif(AUDIT_ARCH_X86_64, u32::MAX);
        assert_eq!(n.abi(), Some(Abi::X86_64));
        assert_eq!(n.syscall_name(), None);
        assert_eq!(notif(AUDIT_ARCH_X86_64, u32::MAX - 1).abi(), Some(Abi::X32));
    }

    #[test]
    fn raw_fields_are_kept() {
        let n = notif(AUDIT_ARCH_X86_64, 2);
        assert_eq!(n.id, NotifId::from_raw(7));
        assert_eq!(n.id.get(), 7);
        assert_eq!(n.tid(), Some(42));
        assert_eq!(n.args, [1, 2, 3, 4, 5, 6]);
        assert_eq!(n.instruction_pointer, 0x1000);
        let d = n.data();
        assert_eq!((d.nr, d.arch, d.args[5]), (2, AUDIT_ARCH_X86_64, 6));
        let hidden = Notification { pid: 0, ..n };
        assert_eq!(hidden.tid(), None);
        assert_eq!(NotifId::from_raw(0x10).to_string(), "0x0000000000000010");
    }
}
