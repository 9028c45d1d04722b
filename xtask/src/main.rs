//! `cargo xtask`: development tasks for seccompy.
//!
//! - `cargo xtask headers`: fetch and unpack the newest Linux UAPI headers under `target/`.
//! - `cargo xtask syscalls`: regenerate the syscall tables and signatures of `seccompy-sys`
//!   (`--check`: fail on any difference instead).
//! - `cargo xtask check-abi`: regenerate the tables and fail on any difference, then
//!   compare every constant, size and offset of `seccompy-sys` with what C sees.
//! - `cargo xtask bench-bpf`: compare seccompy's compiled programs with libseccomp's and
//!   seccompiler's (length, instructions executed, cacheable syscalls, compile time, decisions);
//!   `--callgrind`: the instructions one compile costs seccompy and seccompiler instead.
//! - `cargo xtask bench-unotify`: round trip of a notified call through `seccompy::unotify`
//!   versus raw ioctls, with and without synchronous wake-up.
//! - `cargo xtask bench-trace`: `seccompy trace` (both modes) against untraced runs
//!   and `strace -f -c` on real syscall-heavy commands.
//! - `cargo xtask bench-agent`: round trip of a notified call answered by `seccompy::agent`
//!   versus raw ioctls, and with 50 containers served at once.
//! - `cargo xtask bench-kernel`: real syscall cost under seccompy's and libseccomp's
//!   docker-default programs and without a filter.
//! - `cargo xtask bench-size`: the stripped size of a program that only locks itself
//!   down (`examples/filter.rs`), and of the same program with seccompiler.

mod abi;
mod bench;
mod bench_agent;
mod bench_bpf;
mod bench_kernel;
mod bench_size;
mod bench_trace;
mod bench_unotify;
mod headers;
mod signatures;
mod syscalls;

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The C compiler: `$CC` if set (its first word the program, the others arguments),
/// else `cc`, the compiler rustc itself links with on Linux.
pub fn c_compiler() -> Command {
    c_compiler_from(std::env::var("CC").ok().as_deref())
}

/// [`c_compiler`] for the value `cc` of `$CC`.
fn c_compiler_from(cc: Option<&str>) -> Command {
    let mut words = cc.unwrap_or_default().split_whitespace();
    let mut command = Command::new(words.next().unwrap_or("cc"));
    command.args(words);
    command
}

/// A fresh, empty directory for one test: `target/xtask-test/<label>-<pid>-<n>`.
#[cfg(test)]
pub fn scratch_dir(label: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DIRS: AtomicUsize = AtomicUsize::new(0);
    let dir = workspace_root().join("target/xtask-test").join(format!(
        "{label}-{}-{}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory under target/");
    dir
}

const USAGE: &str = "usage: cargo xtask <headers|syscalls|check-abi|bench-bpf|bench-unotify|bench-agent|bench-kernel|bench-trace|bench-size>";

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
        Some("bench-trace") => bench_trace::run(&args[1..]),
        Some("bench-size") => bench_size::run_command(&args[1..]),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_compiler_is_cc_unless_cc_names_one() {
        let words = |cmd: Command| {
            std::iter::once(cmd.get_program())
                .chain(cmd.get_args())
                .map(|w| w.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(words(c_compiler_from(None)), ["cc"]);
        assert_eq!(words(c_compiler_from(Some(" "))), ["cc"]);
        assert_eq!(words(c_compiler_from(Some("clang"))), ["clang"]);
        assert_eq!(
            words(c_compiler_from(Some("ccache gcc -m64"))),
            ["ccache", "gcc", "-m64"]
        );
    }
}
