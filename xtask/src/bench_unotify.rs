//! `cargo xtask bench-unotify`: the round trip of one notified system call,
//! answered through `seccompy::unotify` and through a raw-ioctl baseline written
//! here, in the same run, with and without synchronous wake-up.
//!
//! The target is this binary re-executed (`bench-unotify __target N`): under a
//! filter that sends `getppid(2)` to the listener, it makes a thousand warm-up
//! calls, then times `N` calls and prints the nanoseconds per call. The
//! supervisor answers each with 0:
//!
//! - `raw`: zero a `seccomp_notif`, `SECCOMP_IOCTL_NOTIF_RECV`,
//!   `SECCOMP_IOCTL_NOTIF_SEND`, directly on the fd;
//! - `listener`: `Listener::recv` and `Listener::respond`;
//! - `supervisor`: `Supervisor::run` with one worker.
//!
//! Runs alternate between the three so that drift in the machine's load hits
//! them alike; each figure is the median of the runs. Debug builds are re-run
//! with `--release` first. Options: `--runs R` (default 7), `--calls N`
//! (default 20000).

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use seccompy::sys::{SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, raw, seccomp_notif, seccomp_notif_resp};
use seccompy::unotify::{Listener, RecvError, Response, Supervisor};
use seccompy::{CommandSeccompExt, Filter, FilterAction, FilterArgs, SeccompOptions};

use crate::bench_bpf;

/// The implementations compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Impl {
    Raw,
    Listener,
    Supervisor,
}

const IMPLS: [Impl; 3] = [Impl::Raw, Impl::Listener, Impl::Supervisor];

pub fn run(args: &[String]) -> Result<(), String> {
    if args.first().is_some_and(|a| a == "__target") {
        return target(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000));
    }
    if cfg!(debug_assertions) && std::env::var_os(bench_bpf::REEXEC_ENV).is_none() {
        return bench_bpf::rerun_release("bench-unotify", args);
    }
    let mut runs = 7usize;
    let mut calls = 20_000u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{a} needs a number"))
        };
        match a.as_str() {
            "--runs" => runs = value()? as usize,
            "--calls" => calls = value()?,
            other => return Err(format!("bench-unotify: unknown option {other}")),
        }
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!(
        "bench-unotify: round trip of one notified getppid(2), median of {runs} runs x {calls} calls, Linux {}",
        release.trim()
    );
    let program = program()?;
    let mut table = Vec::new();
    for sync in [false, true] {
        let mut times: [Vec<f64>; 3] = Default::default();
        for _ in 0..runs {
            for (i, imp) in IMPLS.into_iter().enumerate() {
                times[i].push(one_run(&program, imp, sync, calls)?);
            }
        }
        let med = times.map(|mut t| median(&mut t));
        table.push((sync, med));
    }
    println!();
    println!(
        "{:<16}{:>12}{:>14}{:>14}",
        "mode", "raw ioctl", "Listener", "Supervisor"
    );
    for (sync, [raw, lis, sup]) in &table {
        println!(
            "{:<16}{:>9.2} µs{:>11.2} µs{:>11.2} µs",
            if *sync {
                "sync wake-up"
            } else {
                "no sync wake-up"
            },
            raw / 1e3,
            lis / 1e3,
            sup / 1e3
        );
    }
    println!();
    for (sync, [raw, lis, sup]) in &table {
        let mode = if *sync { "sync" } else { "no-sync" };
        println!(
            "ratio {mode}: Listener {:.3}x raw, Supervisor {:.3}x raw (target <= 1.1)",
            lis / raw,
            sup / raw
        );
    }
    Ok(())
}

/// The target: warm up, then time `calls` notified calls; print ns per call.
fn target(calls: u64) -> Result<(), String> {
    let call = || {
        // SAFETY: getppid takes no argument; the filter sends it to the listener.
        unsafe { libc::syscall(libc::SYS_getppid) }
    };
    for _ in 0..1000 {
        call();
    }
    let start = Instant::now();
    for _ in 0..calls {
        if call() != 0 {
            return Err("the supervisor's answer was not 0".into());
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / calls as f64;
    println!("{ns}");
    Ok(())
}

/// Notify on getppid, allow the rest.
pub(crate) fn program() -> Result<seccompy::bpf::Program, String> {
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    filter.add_syscall("getppid", FilterAction::UserNotif);
    filter.compile().map_err(|e| e.to_string())
}

/// One target under one supervisor: the target's ns per call.
fn one_run(
    program: &seccompy::bpf::Program,
    imp: Impl,
    sync: bool,
    calls: u64,
) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command
        .args(["bench-unotify", "__target", &calls.to_string()])
        .stdout(Stdio::piped());
    let spawned = command
        .spawn_with_listener(program.clone(), SeccompOptions::default())
        .map_err(|e| format!("spawning the target: {e}"))?;
    let mut child = spawned.child;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let waiter = std::thread::spawn(move || -> Result<String, String> {
        let mut out = String::new();
        stdout.read_to_string(&mut out).map_err(|e| e.to_string())?;
        let status = wait(&mut child)?;
        if !status.success() {
            return Err(format!("the target failed: {status}"));
        }
        Ok(out)
    });
    match imp {
        Impl::Raw => raw_supervisor(spawned.listener, sync)?,
        Impl::Listener => {
            let listener = Listener::from(spawned.listener);
            listener.set_sync_wake_up(sync).map_err(|e| e.to_string())?;
            loop {
                match listener.recv() {
                    Ok(n) => {
                        // The target may be gone meanwhile: not an error here.
                        let _ = listener.respond(n.id, Response::value(0));
                    }
                    Err(RecvError::Gone) => continue,
                    Err(RecvError::Ended) => break,
                    Err(e) => return Err(e.to_string()),
                }
            }
        }
        Impl::Supervisor => {
            let listener = Listener::from(spawned.listener);
            listener.set_sync_wake_up(sync).map_err(|e| e.to_string())?;
            Supervisor::new(listener)
                .run(|_| Response::value(0))
                .map_err(|e| e.to_string())?;
        }
    }
    let out = waiter.join().map_err(|_| "the waiter panicked")??;
    out.trim()
        .parse()
        .map_err(|_| format!("the target printed {out:?}"))
}

fn wait(child: &mut Child) -> Result<std::process::ExitStatus, String> {
    child.wait().map_err(|e| e.to_string())
}

/// The baseline: the ioctls by hand, ending on ENOENT with POLLHUP.
pub(crate) fn raw_supervisor(listener: OwnedFd, sync: bool) -> Result<(), String> {
    let fd = listener.as_raw_fd();
    let flags = if sync {
        SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
    } else {
        0
    };
    // SAFETY: a listener fd; the flags go by value.
    if unsafe { raw::seccomp_ioctl_notif_set_flags(fd, flags) } != 0 {
        return Err(format!("SET_FLAGS: {}", std::io::Error::last_os_error()));
    }
    loop {
        let mut notif = seccomp_notif::default();
        // SAFETY: a zeroed, writable seccomp_notif.
        if unsafe { raw::seccomp_ioctl_notif_recv(fd, &mut notif) } != 0 {
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ENOENT) => {
                    let mut pfd = libc::pollfd {
                        fd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd.
                    unsafe { libc::poll(&mut pfd, 1, 0) };
                    if pfd.revents & libc::POLLHUP != 0 && pfd.revents & libc::POLLIN == 0 {
                        break;
                    }
                    continue;
                }
                _ => return Err(format!("RECV: {e}")),
            }
        }
        let resp = seccomp_notif_resp {
            id: notif.id,
            val: 0,
            error: 0,
            flags: 0,
        };
        // SAFETY: a valid seccomp_notif_resp.
        unsafe { raw::seccomp_ioctl_notif_send(fd, &resp) };
    }
    // `listener` is closed here.
    Ok(())
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
