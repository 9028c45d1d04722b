//! A resolved profile: what runc's filter decides, per ABI and syscall.

use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_X86_64, seccomp_data};

use super::enosys::EnosysStub;
use super::libseccomp::Decision;
use crate::action::Action;

/// The syscalls libseccomp has rules for on one ABI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AbiSyscalls {
    /// The ABI.
    pub abi: Abi,
    /// `(number, decision)`, sorted by number; other numbers get the default action.
    pub syscalls: Vec<(u32, Decision)>,
}

/// A profile resolved for one machine: the decisions of the filter runc would
/// install. See the [module documentation](super) for how it is derived.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Resolved {
    /// The architecture runc runs on (libseccomp's native one, first in `abis`).
    pub target: Abi,
    /// The action for calls no rule decides.
    pub default_action: Action,
    /// The action for calls of architectures outside `abis`: libseccomp's default,
    /// `SCMP_ACT_KILL`, which is `KillThread` (runc does not change it).
    pub bad_arch_action: Action,
    /// The filter's ABIs: the target, then the profile's architectures.
    pub abis: Vec<Abi>,
    /// The rules, per ABI, in the order of `abis`.
    pub syscalls: Vec<AbiSyscalls>,
    /// runc's ENOSYS stub, if runc adds one.
    pub enosys: Option<EnosysStub>,
    /// The profile's `flags` (they change logging and speculation, not decisions).
    pub flags: Vec<String>,
    /// The profile's `listenerPath`.
    pub listener_path: Option<String>,
    /// The profile's `listenerMetadata`.
    pub listener_metadata: Option<String>,
}

impl Resolved {
    /// The decision for `nr` on `abi`, if libseccomp has rules for it.
    #[must_use]
    pub fn decision(&self, abi: Abi, nr: u32) -> Option<&Decision> {
        let list = &self.syscalls.iter().find(|s| s.abi == abi)?.syscalls;
        let i = list.binary_search_by_key(&nr, |e| e.0).ok()?;
        list.get(i).map(|e| &e.1)
    }

    /// The ABI whose rules decide a call of audit arch `arch` and number `nr`, as
    /// libseccomp dispatches: under `AUDIT_ARCH_X86_64`, numbers with the x32 bit
    /// (but not -1) belong to x32 and get the bad-arch action when x32 is not in
    /// the filter, and x86_64's numbers get it when only x32 is.
    #[must_use]
    pub fn abi_of(&self, arch: u32, nr: u32) -> Option<Abi> {
        if arch == AUDIT_ARCH_X86_64 {
            return match Abi::of_call(arch, nr) {
                Some(abi) if self.abis.contains(&abi) => Some(abi),
                // An x32-only filter of libseccomp enters its x32 rules on
                // `A >= X32_SYSCALL_BIT` alone, which -1 passes.
                _ if nr == u32::MAX && self.abis.contains(&Abi::X32) => Some(Abi::X32),
                _ => None,
            };
        }
        self.abis.iter().copied().find(|a| a.audit_arch() == arch)
    }

    /// What the filter decides for a call of audit arch `arch`, number `nr` and
    /// arguments `args`: runc's ENOSYS stub first, then libseccomp's filter.
    #[must_use]
    pub fn decide(&self, arch: u32, nr: u32, args: &[u64; 6]) -> Action {
        if let Some(stub) = self.enosys.as_ref().filter(|s| s.enosys(arch, nr)) {
            return Action::Errno(stub.errno);
        }
        let Some(abi) = self.abi_of(arch, nr) else {
            return self.bad_arch_action;
        };
        self.decision(abi, nr).map_or(self.default_action, |d| {
            d.decide(abi, args, self.default_action)
        })
    }

    /// [`decide`](Self::decide) for a `seccomp_data`.
    #[must_use]
    pub fn evaluate(&self, data: &seccomp_data) -> Action {
        #[allow(clippy::cast_sign_loss)]
        self.decide(data.arch, data.nr as u32, &data.args)
    }

    /// What the filter decides for `name` called on `abi` with `args`, or `None`
    /// if the ABI has no such syscall.
    #[must_use]
    pub fn decide_name(&self, abi: Abi, name: &str, args: &[u64; 6]) -> Option<Action> {
        Some(self.decide(abi.audit_arch(), abi.syscall_nr(name)?, args))
    }
}
