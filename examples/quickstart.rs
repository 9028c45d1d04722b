//! A tour of seccompy: compile Docker's default seccomp profile, look at the
//! program, run commands under it, and answer a call from a supervisor.
//!
//! `cargo run --example quickstart` (on Linux; the last two steps need a kernel
//! with seccomp user notification, 5.0 or later).

use std::error::Error;
use std::io::Read;
use std::process::{Command, Stdio};

use seccompy::unotify::{self, Errno, Response, Supervisor};
use seccompy::{CommandSeccompExt, Filter, FilterAction, FilterArgs, SeccompOptions};
use seccompy_bpf::oci::Profile;
use seccompy_bpf::{ByteOrder, Program, cache, disassemble, emulate_for};
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

/// Docker's default profile (moby/profiles, Apache-2.0), committed in the
/// repository with its licence (`profiles/`).
const DOCKER_DEFAULT: &str = include_str!("../profiles/docker-default.json");

fn main() -> Result<(), Box<dyn Error>> {
    let abi = Abi::host().ok_or("this host's ABI is not one seccomp knows")?;

    step("1. The kernel ABI: syscall tables for every ABI");
    for name in ["openat", "getppid", "socket"] {
        println!(
            "  {name:<8} is {:>4} on {abi}, {:>4} on i386, {:>4} on aarch64",
            show(abi.syscall_nr(name)),
            show(Abi::I386.syscall_nr(name)),
            show(Abi::Aarch64.syscall_nr(name)),
        );
    }

    step("2. Compile Docker's default profile");
    // This machine's ABI, Docker's default capabilities, the running kernel.
    let resolution = seccompy::oci::resolve_for_host(&Profile::from_json(DOCKER_DEFAULT)?)?
        .ok_or("the profile has no filter for this architecture")?;
    let started = std::time::Instant::now();
    let program: Program = resolution.compile()?;
    let took = started.elapsed();
    println!(
        "  Docker's default profile, resolved for {abi} with Docker's default capabilities, \
         compiled in {took:?}"
    );

    step("3. What the program does");
    let order = ByteOrder::of(abi);
    let (mut max, mut total) = (0, 0);
    for nr in 0..1024 {
        let data = seccomp_data {
            nr,
            arch: abi.audit_arch(),
            ..seccomp_data::default()
        };
        let executed = emulate_for(program.insns(), &data, order)?.executed;
        max = max.max(executed);
        total += executed;
    }
    let cached = cache::cached_syscalls(program.insns(), abi).len();
    println!(
        "  {} instructions; over syscall numbers 0..1023 it runs at most {max} and {:.1} \
         on average; the kernel can skip it for {cached} allowed {abi} syscalls",
        program.len(),
        total as f64 / 1024.0
    );
    println!("  the first lines of its disassembly:");
    for line in disassemble(program.insns(), abi).lines().take(14) {
        println!("    {line}");
    }

    step("4. Run commands under it");
    for argv in [&["uname", "-sr"][..], &["unshare", "--user", "true"][..]] {
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .seccomp(program.clone(), SeccompOptions::default())
            .output();
        match out {
            Ok(out) => println!(
                "  $ {}\n    {} {}",
                argv.join(" "),
                out.status,
                first_line(&out.stdout, &out.stderr)
            ),
            Err(e) => println!("  $ {}: could not run it: {e}", argv.join(" ")),
        }
    }

    step("5. Answer a call from a supervisor (user notification)");
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    filter
        .add_syscall("mkdir", FilterAction::UserNotif)
        .add_syscall("mkdirat", FilterAction::UserNotif);
    let dir = std::env::temp_dir().join("seccompy-quickstart");
    let mut command = Command::new("mkdir");
    command.arg(&dir).stderr(Stdio::piped());
    let unotify::Supervised {
        mut child,
        listener,
        ..
    } = unotify::spawn(&mut command, filter.compile()?, SeccompOptions::default())?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let waiter = std::thread::spawn(move || -> std::io::Result<_> {
        let mut err = String::new();
        stderr.read_to_string(&mut err)?;
        Ok((err, child.wait()?))
    });
    Supervisor::new(listener).run(|req| {
        let path_arg = usize::from(req.syscall_name() == Some("mkdirat"));
        let path = req
            .memory()
            .read_c_string(req.args[path_arg], 4096)
            .unwrap_or_default();
        println!(
            "  supervisor: pid {} asks for {}({path:?}): answering EROFS",
            req.pid,
            req.syscall_name().unwrap_or("?")
        );
        Response::errno(Errno::EROFS)
    })?;
    let (err, status) = waiter.join().map_err(|_| "the waiting thread panicked")??;
    println!("  mkdir: {status}, it said: {}", err.trim());
    Ok(())
}

fn step(title: &str) {
    println!("\n{title}");
}

fn show(nr: Option<u32>) -> String {
    nr.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

fn first_line(stdout: &[u8], stderr: &[u8]) -> String {
    let text = if stdout.is_empty() { stderr } else { stdout };
    String::from_utf8_lossy(text)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}
