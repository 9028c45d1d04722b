//! Raw Linux kernel ABI for seccomp: constants, structures, ioctl numbers, syscall
//! tables for every ABI, and thin `unsafe` wrappers.
//!
//! Everything here is hand-written from the kernel's UAPI headers (`linux/seccomp.h`,
//! `linux/filter.h`, `linux/bpf_common.h`, `linux/audit.h`, `asm/unistd*.h`) and
//! checked against them by `cargo xtask check-abi`. Names follow the kernel's.
//!
//! Most users want the safe `seccompy` crate, or `seccompy-bpf` to build programs;
//! this crate is for those who want only the raw FFI.
#![no_std]
#![deny(missing_docs)]

pub mod audit;
pub mod bpf;
pub mod seccomp;
pub mod syscalls;

pub use audit::*;
pub use bpf::*;
pub use seccomp::*;
