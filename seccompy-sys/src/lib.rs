//! Raw Linux kernel ABI for seccomp: constants, structures, ioctl numbers, syscall
//! tables for every ABI, and thin `unsafe` wrappers.
//!
//! Everything here is hand-written from the kernel's UAPI headers (`linux/seccomp.h`,
//! `linux/filter.h`, `linux/bpf_common.h`, `linux/audit.h`, `linux/prctl.h`,
//! `linux/ptrace.h`, `asm/ioctl.h`, `asm/unistd*.h`) and checked against them by
//! `cargo xtask check-abi`; the layout of every structure is also asserted at
//! compile time. Names follow the kernel's. The syscall tables ([`syscalls`]) and
//! signatures ([`signatures`]) are generated from the kernel's headers by
//! `cargo xtask syscalls`.
//!
//! The constants and structures are re-exported at the crate root; the system call
//! wrappers live in [`raw`].
//!
//! Most users want the safe `seccompy` crate, or `seccompy-bpf` to build programs;
//! this crate is for those who want only the raw FFI.
//!
//! Everything but [`raw`] is plain data and builds for any target, with or without
//! an operating system; [`raw`] calls the C library and exists on Linux and
//! Android only.
#![no_std]
#![deny(missing_docs)]
// The syscall tables' name pool and index, and the signatures' text, are built
// by const fns from the generated data when the crate compiles. That takes more
// interpreter steps than rustc's `long_running_const_eval` lint expects on
// big-endian targets (every little-endian read is a byte swap there); the
// evaluation is bounded (it walks the generated data a fixed number of times).
#![allow(long_running_const_eval)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod audit;
pub mod bpf;
mod check_types;
pub mod ioctl;
pub mod kernel;
pub mod prctl;
pub mod ptrace;
#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg_attr(docsrs, doc(cfg(any(target_os = "linux", target_os = "android"))))]
pub mod raw;
pub mod seccomp;
pub mod signatures;
pub mod syscalls;

pub use audit::*;
pub use bpf::*;
pub use ioctl::*;
pub use kernel::KernelVersion;
pub use prctl::*;
pub use ptrace::*;
pub use seccomp::*;
