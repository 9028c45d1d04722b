//! `cargo xtask`: development tasks for seccompy.
//!
//! - `cargo xtask headers`: fetch and unpack the newest Linux UAPI headers under `target/`.
//! - `cargo xtask syscalls`: regenerate the syscall tables of `seccompy-sys`.
//! - `cargo xtask check-abi`: regenerate the tables and fail on any difference, then
//!   compare every constant, size and offset of `seccompy-sys` with what C sees.
//! - `cargo xtask bench-bpf`: compare seccompy's compiled programs with libseccomp's and
//!   seccompiler's (length, instructions executed, cacheable syscalls, compile time, decisions).
//! - `cargo xtask bench-unotify`: round trip of a notified call through `seccompy::unotify`
//!   versus raw ioctls, with and without synchronous wake-up.
//! - `cargo xtask bench-agent`: round trip of a notified call answered by `seccompy::agent`
//!   versus raw ioctls, and with 50 containers served at once.
//! - `cargo xtask bench-kernel`: real syscall cost under seccompy's and libseccomp's
//!   docker-default programs and without a filter.

mod abi;
mod bench;
mod bench_agent;
mod bench_bpf;
mod bench_kernel;
mod bench_unotify;
mod headers;
mod syscalls;

use std::path::PathBuf;
use std::process::ExitCode;

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

const USAGE: &str = "usage: cargo xtask <headers|syscalls|check-abi|bench-bpf|bench-unotify|bench-agent|bench-kernel>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("headers") => headers::ensure()
            .map(|v| println!("linux-libc-dev {v} in {}", headers::root().display())),
        Some("syscalls") if args.get(1).is_some_and(|a| a == "--check") => syscalls::check(),
        Some("syscalls") => syscalls::run(),
        Some("check-abi") => abi::run(),
        Some("bench-bpf") => bench_bpf::run(&args[1..]),
        Some("bench-unotify") => bench_unotify::run(&args[1..]),
        Some("bench-agent") => bench_agent::run(&args[1..]),
        Some("bench-kernel") => bench_kernel::run(&args[1..]),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::from(2)
        }
    }
}
