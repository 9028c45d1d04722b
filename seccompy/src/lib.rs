//! Safe Linux seccomp. This crate is being built; see the README's status table.
#![deny(missing_docs)]

pub use seccompy_bpf as bpf;
pub use seccompy_sys as sys;
