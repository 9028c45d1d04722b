//! Syscall numbers by name. [`Abi::syscall_nr`] answers from a hash index built at
//! compile time (see `seccompy-sys`'s `syscalls::name_index`, whose tests compare
//! every ABI's look-ups with a linear scan), so no run-time cache is needed:
//! [`NameCache`] only forwards, until its callers call [`Abi::syscall_nr`] directly.

use seccompy_sys::syscalls::Abi;

/// [`Abi::syscall_nr`], kept as a type for its present callers.
#[derive(Default)]
pub(crate) struct NameCache;

impl NameCache {
    /// A cache (it holds nothing).
    pub(crate) fn new() -> Self {
        Self
    }

    /// `abi.syscall_nr(name)`.
    pub(crate) fn nr(&mut self, abi: Abi, name: &str) -> Option<u32> {
        abi.syscall_nr(name)
    }
}
