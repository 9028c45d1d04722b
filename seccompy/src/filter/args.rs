//! [`FilterArgs`]: the settings of a [`Filter`](crate::Filter).

use seccompy_sys::BPF_MAXINSNS;
use seccompy_sys::syscalls::Abi;

use super::action::FilterAction;

/// The ABI this crate is compiled for. Building `seccompy` for an architecture
/// without a seccomp ABI is a compile error here.
pub(crate) const HOST_ABI: Abi = match Abi::host() {
    Some(abi) => abi,
    None => panic!("seccompy does not know the seccomp ABI of this target architecture"),
};

/// The settings of a [`Filter`](crate::Filter).
///
/// ```
/// use seccompy::{FilterAction, FilterArgs};
///
/// let args = FilterArgs {
///     default_action: FilterAction::Errno { errno: libc::EPERM },
///     ..FilterArgs::default()
/// };
/// assert_eq!(args.max_instruction_count, 4096);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilterArgs {
    /// What happens to a call that no rule matches. Default:
    /// [`FilterAction::KillThread`].
    pub default_action: FilterAction,
    /// The ABI whose calls the filter decides, and whose numbers
    /// [`Filter::add_syscall_group`](crate::Filter::add_syscall_group) takes.
    /// Default: the ABI this crate is compiled for. More ABIs can be added with
    /// [`Filter::add_abi`](crate::Filter::add_abi).
    pub arch: seccompy_sys::syscalls::Abi,
    /// What happens to a call of any other ABI (on x86_64, this includes x32
    /// calls, which share the x86_64 audit arch). Default:
    /// [`FilterAction::KillThread`].
    pub arch_mismatch_action: FilterAction,
    /// The longest program [`Filter::compile`](crate::Filter::compile) may
    /// produce; at most the kernel's 4096. Default: 4096.
    pub max_instruction_count: usize,
}

impl Default for FilterArgs {
    fn default() -> Self {
        Self {
            default_action: FilterAction::KillThread,
            arch: HOST_ABI,
            arch_mismatch_action: FilterAction::KillThread,
            max_instruction_count: BPF_MAXINSNS,
        }
    }
}
