//! OCI runtime-spec and Docker seccomp profiles (feature `oci`).
//!
//! [`Profile::from_json`] parses the runtime-spec `linux.seccomp` object
//! (`defaultAction`, `defaultErrnoRet`, `architectures`, `flags`,
//! `listenerPath`, `listenerMetadata`, `syscalls` with `names`, `action`,
//! `errnoRet`, `args`) and Docker's extensions (`archMap`, `includes`/`excludes`
//! by `arches`, `caps` and `minKernel`, `name`, `comment`). [`resolve`](resolve()) turns it,
//! for one machine ([`ResolveOptions`]: architecture, capability set, kernel
//! version), into a [`Resolved`] filter: what runc would install, decided call by
//! call as libseccomp's filter plus runc's ENOSYS stub decide.
//! [`Resolved::to_policy`] states that filter as a [`Policy`](crate::Policy)
//! (the stub as per-ABI [number ranges](crate::Syscall::Range), libseccomp's
//! per-ABI rules [restricted to their ABI](crate::Rule::only_on)), which
//! [`compile`](crate::compile()) turns into a program deciding every call the
//! same way.
//!
//! ```
//! # #[cfg(feature = "oci")] {
//! use seccompy_bpf::Action;
//! use seccompy_bpf::oci::{KernelVersion, Profile, ResolveOptions, resolve};
//! use seccompy_sys::syscalls::Abi;
//!
//! let profile = Profile::from_json(r#"{
//!     "defaultAction": "SCMP_ACT_ERRNO",
//!     "syscalls": [{"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}]
//! }"#).unwrap();
//! let opts = ResolveOptions::new(Abi::X86_64, KernelVersion::new(6, 1));
//! let filter = resolve(&profile, &opts).unwrap().unwrap();
//! assert_eq!(filter.decide_name(Abi::X86_64, "read", &[0; 6]), Some(Action::Allow));
//! assert_eq!(filter.decide_name(Abi::X86_64, "open", &[0; 6]), Some(Action::Errno(1)));
//! // Above the profile's highest syscall (close, 3): runc's stub says ENOSYS.
//! assert_eq!(filter.decide_name(Abi::X86_64, "mmap", &[0; 6]), Some(Action::Errno(38)));
//!
//! // The same decisions from a BPF program.
//! let program = filter.to_policy().unwrap().compile().unwrap();
//! let mmap = seccompy_sys::seccomp_data {
//!     nr: 9,
//!     arch: Abi::X86_64.audit_arch(),
//!     instruction_pointer: 0,
//!     args: [0; 6],
//! };
//! let out = seccompy_bpf::emulate_for(program.insns(), &mmap, seccompy_bpf::ByteOrder::Little);
//! assert_eq!(out.unwrap().ret, Action::Errno(38).to_raw());
//! # }
//! ```
//!
//! # What is reproduced, and where it comes from
//!
//! The reference is Docker (moby/profiles `seccomp/seccomp_linux.go`,
//! `seccomp/seccomp.go`, `seccomp/kernel_linux.go`; default capabilities from moby
//! `oci/caps/defaults.go`), runc (`libcontainer/specconv/spec_linux.go`
//! `SetupSeccomp`, `libcontainer/seccomp/config.go`, `seccomp_linux.go`,
//! `patchbpf/enosys_linux.go`) and libseccomp 2.5 (`src/db.c`, `src/arch.c`,
//! `src/arch-x86.c`, `src/gen_bpf.c`); the libseccomp facts were also checked
//! against libseccomp 2.5.4's own output.
//!
//! Docker's stage ([`CapSet`], [`KernelVersion`]):
//! - `archMap`: the entry whose `architecture` is the machine's gives the
//!   architecture list (itself, then its `subArchitectures`); a profile with both
//!   `architectures` and `archMap` is refused. Docker's table has no entry key for
//!   MIPS o32 little-endian and LoongArch (its own names for them differ from the
//!   keys), so there the list stays empty.
//! - `excludes` drops a rule if the machine's Docker name (`amd64`, `x86`,
//!   `arm64`, ...) is in `arches`, if any of `caps` is in the bounding set, or if
//!   the kernel is at least `minKernel`; `includes` keeps a rule only if the name is
//!   in `arches` (when given), all of `caps` are in the set, and the kernel is at
//!   least `minKernel`. Capability strings are compared exactly (`CAP_SYS_ADMIN`).
//! - `minKernel` must be `"<kernel>.<major>"`, parts 0 to 255, not `0.0`; Docker
//!   rejects a bad one when decoding, whatever the rule's fate. `""` counts as 0.0,
//!   which every kernel meets. Only the kernel version and major revision are
//!   compared.
//! - No default action and no rule left means no filter at all ([`resolve`](resolve())
//!   returns `Ok(None)`), as runc then runs without seccomp.
//!
//! runc's stage:
//! - Actions: `SCMP_ACT_KILL` and `SCMP_ACT_KILL_THREAD` are `KillThread`,
//!   `SCMP_ACT_KILL_PROCESS` is `KillProcess`, `SCMP_ACT_TRAP` is `Trap(0)`.
//!   `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE` carry `errnoRet` (for the default action,
//!   `defaultErrnoRet`), `EPERM` (1) without one; runc keeps its low 16 bits.
//!   libseccomp refuses an errno of 4095 or more ([`ResolveError::BadErrno`]).
//!   An errno of 0 (`errnoRet: 0`, or 65536 once cut to 16 bits) is accepted,
//!   as runc and libseccomp accept `SCMP_ACT_ERRNO(0)`: the kernel then skips
//!   the call and returns 0 (`Action::Errno(0)`). `SCMP_ACT_NOTIFY` may not be the default action
//!   nor apply to `write`. Unknown strings are errors.
//! - A rule whose action equals the default action (data included) is skipped, as
//!   libseccomp would refuse it. A name libseccomp does not know at all is
//!   skipped silently; seccompy's syscall tables stand for libseccomp's here, so a
//!   runc built with an older libseccomp also drops names newer than it.
//! - Several conditions on one argument index in one rule: libseccomp refuses
//!   them, so runc adds each condition of that rule as a rule of its own, which
//!   makes them alternatives (OR), including the conditions on other arguments.
//! - An argument index past 5 is an error.
//! - The bad-arch action is libseccomp's default, `SCMP_ACT_KILL` (`KillThread`).
//!
//! libseccomp's stage (per architecture of the filter: the machine's, then the
//! profile's; one whose byte order differs from the machine's is an error, as
//! libseccomp refuses it):
//! - A name the architecture lacks gets no rule there.
//! - On i386, s390x, ppc, ppc64, ppc64le and MIPS o32 (big and little endian)
//!   ([`MULTIPLEXING_ABIS`]), the socket calls (`socket`, `bind`, ..., `sendmmsg`)
//!   and the SysV IPC calls (`semop`, ..., `shmctl`) ([`MULTIPLEXED`]) get a rule
//!   on `socketcall` or `ipc` (102 and 117; 4102 and 4117 on MIPS o32) where the
//!   condition on argument 0 is replaced by `arg0 == call number` (so socket
//!   families are not checked through `socketcall`), besides the rule on the
//!   direct syscall when the ABI has one. This is libseccomp 2.5's rewriting
//!   (checked against 2.5.4); libseccomp 2.6 can choose by kernel version
//!   instead, which is not reproduced.
//! - Comparisons are unsigned. On the architectures libseccomp treats as 32-bit
//!   (i386, arm, MIPS o32 and n32, ppc, and x32 too) it compares the low 32 bits of
//!   the argument with the low 32 bits of the value; elsewhere all 64 bits.
//! - `SCMP_CMP_MASKED_EQ` takes the mask from `value` and the datum from `valueTwo`,
//!   and libseccomp ANDs the datum with the mask: `(arg & value) == (valueTwo &
//!   value)`. A mask with no compared bit makes the condition always true.
//! - Several rules for one syscall: the first rule without conditions decides
//!   every call, whatever came before or after it (libseccomp clears earlier
//!   conditional rules and ignores later ones). Otherwise the conditional rules are
//!   alternatives; when rules with different actions can match the same call, or a
//!   range pattern hits a known merge defect of libseccomp's rule tree, the result
//!   depends on that tree's construction and [`resolve`](resolve()) returns
//!   [`ResolveError::Ambiguous`] rather than guess.
//! - Architecture dispatch: under `AUDIT_ARCH_X86_64`, numbers from `0x4000_0000`
//!   up (except -1) are x32 calls; without x32 in the filter they get the bad-arch
//!   action, and without x86_64 the others do.
//!
//! runc's ENOSYS stub ([`EnosysStub`]), unless the default action is `ALLOW`,
//! `LOG` or `TRACE` (or `defaultErrnoRet` equals the number
//! `SCMP_ACT_ERRNO(ENOSYS)`, an artefact of runc's check): for each architecture of
//! the filter, numbers above the highest syscall any rule names there (every rule
//! left after Docker's stage counts, even skipped ones; the multiplexed socket
//! and IPC names do not on the [`MULTIPLEXING_ABIS`], where libseccomp 2.5
//! resolves them to pseudo numbers, direct call or not) get
//! `ERRNO(ENOSYS)` before the filter runs. On x86_64 a number with bit 30 set is
//! compared with x32's highest and goes to the filter when x32 is not covered; on
//! s390x number 0 gets ENOSYS too. There is no special case for `clone3`: Docker's
//! profile itself gives it `ERRNO(ENOSYS)` without `CAP_SYS_ADMIN`.
//!
//! # Not reproduced
//!
//! - libseccomp also emits comparisons against its negative pseudo numbers for
//!   names an architecture lacks, multiplexed names without a direct call
//!   included (reachable only by calling `syscall(2)` with a
//!   number such as `0xffffd8b4`, and behind runc's stub in the usual setups).
//! - `SCMP_ARCH_S390` (31-bit s390) has no syscall table in seccompy: Linux 6.19
//!   removed 31-bit s390 programs, and the UAPI headers the tables come from no
//!   longer have its numbers. Resolved for a kernel of 6.19 or later, where no
//!   call can come from it, the architecture is left out (libseccomp, whose
//!   table stops at 6.18, would add checks no call reaches); for an older kernel,
//!   resolving a profile that needs it is an error
//!   ([`ResolveError::S390Compat`]).
//! - JSON keys are case-sensitive here; Go would also accept other cases.
//! - Conditional rules whose outcome depends on libseccomp's tree merge (see
//!   above) are refused rather than reproduced.
//! - Defects of libseccomp 2.5.4's BPF generation, found by running its output
//!   against this module on random profiles: the filter can compare a stale
//!   accumulator after falling through from one argument check to the next
//!   (rules split by runc over several arguments or words, such as
//!   `a0 == 0 || a0 > 0x1_0000_0000 || a0 < 255`, decide `a0 == 0xff` with the low
//!   word where the high word is meant), and an architecture whose first syscall
//!   block is a pseudo-syscall loses its syscall-number load, so every call of that
//!   architecture gets the default action. seccompy decides as libseccomp's rule
//!   database means, not as those programs do. On docker-default (x86_64 with x86
//!   and x32; default, all and no capabilities; kernels 6.18 and 4.4) the decisions
//!   equal those of libseccomp 2.5.4's program plus runc's stub on every number
//!   0..600 of each ABI with sampled arguments, apart from names libseccomp 2.5.4
//!   does not know or places differently (`map_shadow_stack` on x32).

mod caps;
mod database;
mod docker;
mod enosys;
mod error;
mod kernel;
pub mod learn;
mod libseccomp;
mod model;
mod names;
mod resolve;
mod resolved;
mod to_policy;

pub use caps::{CAPABILITIES, CapSet, DOCKER_DEFAULT, UnknownCapability};
pub use enosys::EnosysStub;
pub use error::{ParseError, ParseErrorKind, ResolveError};
pub use kernel::{KernelVersion, KernelVersionError, parse_min_kernel};
pub use learn::{LearnError, LearnedProfile};
pub use libseccomp::{ArgCmp, Decision, LibRule, MULTIPLEXED, MULTIPLEXING_ABIS};
pub use model::{ArchMapEntry, ArgCondition, Filter, Profile, SyscallRule};
pub use names::{
    ScmpAction, ScmpArch, ScmpOp, docker_arch_map_key, docker_arch_name, libseccomp_32bit,
};
pub use resolve::{ResolveOptions, resolve};
pub use resolved::{AbiSyscalls, Resolved};
pub use to_policy::ToPolicyError;

impl Profile {
    /// Parses a profile: the runtime-spec `linux.seccomp` object or a Docker
    /// profile file. Anything but a JSON object at the top level is refused
    /// ([`ParseErrorKind::NotAnObject`]).
    pub fn from_json(json: &str) -> Result<Self, ParseError> {
        error::require_object(json, "a seccomp profile")?;
        Ok(serde_json::from_str(json)?)
    }

    /// Parses an OCI bundle's `config.json` and returns its `linux.seccomp`
    /// object, or `None` if it has none. Anything but a JSON object at the top
    /// level is refused ([`ParseErrorKind::NotAnObject`]).
    pub fn from_oci_config_json(json: &str) -> Result<Option<Self>, ParseError> {
        error::require_object(json, "an OCI config.json")?;
        let config: model::OciConfig = serde_json::from_str(json)?;
        Ok(config.linux.and_then(|l| l.seccomp))
    }

    /// [`resolve`](resolve())s the profile.
    pub fn resolve(&self, opts: &ResolveOptions) -> Result<Option<Resolved>, ResolveError> {
        resolve::resolve(self, opts)
    }
}
