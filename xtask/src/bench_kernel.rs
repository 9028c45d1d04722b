//! `cargo xtask bench-kernel`: the real cost of system calls under Docker's
//! default profile as seccompy builds it (through its OCI path, runc's ENOSYS
//! stub included), as libseccomp builds it (linear and tree, exported alone),
//! under the floor program and without a filter, in one run. A benchmark that
//! prints tables, never a timed test.
//!
//! The floor is the smallest program that decides the measured calls exactly as
//! docker-default does and that the kernel must run on every one of them (it
//! loads an argument, which the action cache cannot evaluate): any filter with
//! docker-default's decisions runs on the uncached calls and costs at least about
//! as much, so the floor's overhead bounds what a compiler can gain. Its decisions
//! are checked against Docker's and seccompy's program before measuring.
//!
//! The programs come from `cargo xtask bench-bpf`'s code (`bench_bpf::docker_default`
//! and the libseccomp peer), which also leaves libseccomp's in `target/bench-bpf/`.
//! Each measurement is a forked child: it sets `no_new_privs`, installs one
//! program (none for the baseline), then for each call, after a warm-up, times
//! several batches of calls and keeps the fastest (a batch the machine's other
//! work interrupted is slower, never faster), and writes these to a pipe. This
//! process never installs a filter. The calls:
//!
//! - `getppid()`: allowed whatever its arguments, so the kernel's action cache
//!   skips the filter (outside the target);
//! - `personality(0xffffffff)`: allowed after an argument check;
//! - `socket(40, SOCK_STREAM, 0)`: denied (EPERM) by its first argument (AF_VSOCK);
//! - `syscall(1000)`: a number no table has.
//!
//! Rounds run each peer once, in an order that rotates; within a child the order
//! of the calls rotates too. Figures are medians over the rounds; the process and
//! its children are pinned to one CPU when the affinity mask allows it.
//!
//! The report: per call, the ns under each peer, the overhead over no filter, and
//! seccompy's overhead as a fraction of libseccomp-tree's against the target (at
//! most 0.60 on each uncached call); the same ratios from the fastest rounds (a
//! check on noise); where the overhead goes (the fixed cost seen on the cached
//! call, the cost of one instruction from linear vs tree); and each program's
//! emulated path per call, checked against what the children saw. Then the
//! floor's table: per call, its overhead, its fraction of libseccomp-tree's
//! (above 0.60 the target is out of reach of any filter on this machine),
//! seccompy's and libseccomp-tree's overheads beyond the floor (the part a
//! compiler can change) and their ratio, and the instructions each filter runs;
//! the same floor ratios from the fastest rounds; and the floor's breakdown: what
//! running a filter at all costs over a cached call (the floor, which runs on
//! getppid, against the cached programs), and what the extra instructions beyond
//! the floor's explain at the estimated cost per instruction.
//!
//! Options: `--rounds R` (default 11), `--calls N` per measurement (default
//! 200000), `--batches B` they are split into (default 200: batches of 1000 calls,
//! 0.1 to 0.7 ms, short enough that on a busy machine most run uninterrupted;
//! with 10 longer batches, time-slicing reached every batch and the medians
//! moved by hundreds of ns). Debug builds re-run themselves with `--release`
//! first.

use std::fmt::Write as _;
use std::time::Instant;

use seccompy_bpf::action::RetValue;
use seccompy_bpf::assembler::Assembler;
use seccompy_bpf::cache;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::validate::validate;
use seccompy_bpf::{Insn, Program};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{
    BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ACTION_FULL,
    SECCOMP_RET_ALLOW, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, seccomp_data,
};

use crate::bench::kernel_child::{CALLS, Call, measure};
use crate::bench::kernel_report::{self, NPEERS, PEERS, Row};
use crate::bench::libseccomp::{self, Optimize};
use crate::bench_bpf;

struct Options {
    rounds: usize,
    calls: u64,
    batches: u64,
}

impl Options {
    /// Calls per batch.
    fn batch(&self) -> u64 {
        self.calls / self.batches
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        rounds: 11,
        calls: 200_000,
        batches: 200,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .ok_or(format!("{a} needs a positive number"))
        };
        match a.as_str() {
            "--rounds" => o.rounds = value()? as usize,
            "--calls" => o.calls = value()?,
            "--batches" => o.batches = value()?,
            other => {
                return Err(format!(
                    "bench-kernel: unknown option {other:?} (--rounds R, --calls N, --batches B)"
                ));
            }
        }
    }
    if o.batches > o.calls {
        return Err("--batches cannot exceed --calls".into());
    }
    Ok(o)
}

pub fn run(args: &[String]) -> Result<(), String> {
    if cfg!(debug_assertions) && std::env::var_os(bench_bpf::REEXEC_ENV).is_none() {
        return bench_bpf::rerun_release("bench-kernel", args);
    }
    let opts = parse_options(args)?;
    if !cfg!(target_arch = "x86_64") {
        return Err("bench-kernel measures Docker's amd64 programs: run it on x86_64".into());
    }
    let t0 = Instant::now();

    let (title, spec, seccompy) = bench_bpf::docker_default()?;
    let peer = libseccomp::Peer::build(&crate::workspace_root().join("target").join("bench-bpf"))?;
    let linear = peer.run(&spec, Optimize::Linear, 1, "docker-default")?;
    let tree = peer.run(&spec, Optimize::Tree, 1, "docker-default")?;
    let floor = floor_program()?;
    check_floor(floor.insns(), seccompy.insns())?;
    let programs: [Option<&[Insn]>; NPEERS] = [
        None,
        Some(seccompy.insns()),
        Some(linear.program.insns()),
        Some(tree.program.insns()),
        Some(floor.insns()),
    ];

    let cpu = pin_to_one_cpu();
    let mut totals: [[Vec<u64>; NCALLS]; NPEERS] = Default::default();
    let mut results = [[None::<i64>; NCALLS]; NPEERS];
    for round in 0..opts.rounds {
        let mut order = CALLS;
        order.rotate_left(round % CALLS.len());
        for k in 0..PEERS.len() {
            let p = (round + k) % PEERS.len();
            let report = measure(programs[p], order, opts.batches, opts.batch())
                .map_err(|e| format!("{} child: {e}", PEERS[p]))?;
            for (c, call) in CALLS.into_iter().enumerate() {
                if p == 0 && call.skipped_unfiltered() {
                    continue;
                }
                totals[p][c].push(report.totals[c]);
                let seen = report.results[c];
                if results[p][c].is_some_and(|r| r != seen) {
                    return Err(format!(
                        "{} returned {} then {seen} for {}",
                        PEERS[p],
                        results[p][c].unwrap_or_default(),
                        call.label()
                    ));
                }
                results[p][c] = Some(seen);
            }
        }
    }

    let paths = paths(&programs, &results)?;
    let mut rows = Vec::new();
    let mut fastest_rows = Vec::new();
    let mut worst = (0.0f64, "", "");
    for (c, call) in CALLS.into_iter().enumerate() {
        let mut ns = [0.0; NPEERS];
        let mut fastest = [0.0; NPEERS];
        for p in 0..PEERS.len() {
            let base = if p == 0 && call.skipped_unfiltered() {
                CALLS.iter().position(|&x| x == Call::Unknown).unwrap_or(c)
            } else {
                c
            };
            let s = kernel_report::summarize(&totals[p][base], opts.batch())
                .ok_or("no samples (--rounds 0?)")?;
            ns[p] = s.median;
            fastest[p] = s.min;
            if s.spread > worst.0 {
                worst = (s.spread, PEERS[p], call.label());
            }
        }
        let row = Row {
            label: call.label().to_owned(),
            cacheable: call.cacheable(),
            ns,
            bare_baseline: call.skipped_unfiltered(),
            executed: std::array::from_fn(|p| {
                paths[p][c].and_then(|path| (!path.cached).then_some(path.executed))
            }),
        };
        fastest_rows.push(Row {
            ns: fastest,
            ..row.clone()
        });
        rows.push(row);
    }
    let details = details(&programs, &paths, &results);
    let breakdown = kernel_report::breakdown(&rows);

    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let read_sys = |path: &str| {
        std::fs::read_to_string(path).map_or_else(|_| "?".to_owned(), |s| s.trim().to_owned())
    };
    println!(
        "bench-kernel: syscall cost on Linux {}, x86_64; {title}; seccompy {} (OCI path), \
         libseccomp {} (linear and tree, export alone)",
        release.trim(),
        env!("CARGO_PKG_VERSION"),
        linear.version
    );
    println!(
        "medians of {} rounds; per round and call, each peer's fastest of {} batches of {} calls, \
         peers and calls interleaved, each measurement in a forked child with no_new_privs; {}; \
         bpf_jit_enable {}, spec_store_bypass: {}\n",
        opts.rounds,
        opts.batches,
        opts.batch(),
        cpu.map_or_else(|| "not pinned".to_owned(), |c| format!("pinned to CPU {c}")),
        read_sys("/proc/sys/net/core/bpf_jit_enable"),
        read_sys("/sys/devices/system/cpu/vulnerabilities/spec_store_bypass"),
    );
    print!("{}", kernel_report::table(&rows));
    println!(
        "  *: the filters deny this call before its body runs; without a filter it would \
         create a vsock socket, so its \"no filter\" figure is the bare call's (syscall(1000) \
         without a filter)"
    );
    println!(
        "  noise: the widest interquartile range over the rounds is {:.1}% of its median \
         ({} on {})",
        worst.0 * 100.0,
        worst.1,
        worst.2
    );
    print!("{}", kernel_report::target_line(&rows));
    print!(
        "{}",
        kernel_report::ratios_line("the same from each peer's fastest round", &fastest_rows)
    );
    println!(
        "\nfloor ({} insns, each call's path in the table): the smallest program that decides \
         these calls as docker-default does and that the kernel runs on every call (it loads \
         an argument, which the action cache cannot evaluate); its overhead is a lower bound \
         for any filter's with these decisions",
        floor.len()
    );
    print!("{}", kernel_report::floor_table(&rows));
    print!("{}", kernel_report::floor_line(&rows));
    print!(
        "{}",
        kernel_report::floor_ratios_line(
            "floor/tree from each peer's fastest round",
            &fastest_rows
        )
    );
    print!("{breakdown}");
    print!("{}", kernel_report::floor_breakdown(&rows));
    println!();
    print!("{details}");
    println!("\n(bench took {:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
}

/// The number of calls measured.
const NCALLS: usize = CALLS.len();

/// The floor: the smallest program that decides every call of [`CALLS`] as
/// Docker's default profile does on x86_64 and that the kernel must run on each:
///
/// ```text
///     ld nr; jeq socket ? (ld args[0]; jeq 40 ? ret ERRNO(EPERM) : ret ALLOW)
///          : jeq 1000 ? ret ERRNO(ENOSYS) : (ld args[0]; ret ALLOW)
/// ```
///
/// The allowed paths load an argument, so the kernel's action cache (which
/// evaluates only loads of the number and the arch) cannot skip it. It checks
/// neither the arch nor any other call: it is correct for these calls only.
fn floor_program() -> Result<Program, String> {
    let nr = std::mem::offset_of!(seccomp_data, nr) as u32;
    // x86_64 is little-endian: the low half of args[0] comes first.
    let arg0 = std::mem::offset_of!(seccomp_data, args) as u32;
    let load = BPF_LD | BPF_W | BPF_ABS;
    let jeq = BPF_JMP | BPF_JEQ | BPF_K;
    let ret = BPF_RET | BPF_K;
    let mut a = Assembler::new();
    let [socket, other, eperm, enosys, load_allow, allow] = [(); 6].map(|()| a.label());
    a.stmt(load, nr);
    a.jump(jeq, libc::SYS_socket as u32, socket, other);
    a.bind(socket);
    a.stmt(load, arg0);
    a.jump(jeq, libc::AF_VSOCK as u32, eperm, allow);
    a.bind(eperm);
    a.stmt(ret, SECCOMP_RET_ERRNO | libc::EPERM as u32);
    a.bind(other);
    a.jump(jeq, Call::Unknown.nr() as u32, enosys, load_allow);
    a.bind(enosys);
    a.stmt(ret, SECCOMP_RET_ERRNO | libc::ENOSYS as u32);
    a.bind(load_allow);
    a.stmt(load, arg0);
    a.bind(allow);
    a.stmt(ret, SECCOMP_RET_ALLOW);
    let program = a
        .finish()
        .map_err(|e| format!("assembling the floor: {e}"))?;
    validate(program.insns()).map_err(|e| format!("the floor program: {e}"))?;
    Ok(program)
}

/// Checks, before any measurement, that `floor` and docker-default's `docker`
/// program both make Docker's decision ([`Call::docker_decision`]) on every call
/// of [`CALLS`] on x86_64, and that the kernel's action cache skips `floor` on
/// none of them.
fn check_floor(floor: &[Insn], docker: &[Insn]) -> Result<(), String> {
    for call in CALLS {
        let data = call_data(call);
        let want = call.docker_decision();
        for (name, insns) in [("the floor", floor), ("seccompy's docker-default", docker)] {
            let got = emulate_for(insns, &data, ByteOrder::of(Abi::X86_64))
                .map_err(|e| format!("{name} on {}: {e}", call.label()))?
                .ret;
            if got != want {
                return Err(format!(
                    "{name} decides {} on {}, but Docker's default profile {}",
                    RetValue(got),
                    call.label(),
                    RetValue(want)
                ));
            }
        }
        if cache::is_const_allow(floor, data.arch, data.nr as u32) {
            return Err(format!(
                "the kernel would cache the floor's decision on {}: it would not run it",
                call.label()
            ));
        }
    }
    Ok(())
}

/// The `seccomp_data` the kernel hands the filters for `call` on x86_64.
fn call_data(call: Call) -> seccomp_data {
    seccomp_data {
        nr: call.nr() as i32,
        arch: Abi::X86_64.audit_arch(),
        instruction_pointer: 0,
        args: call.args(),
    }
}

/// One program's path for one call, from seccompy-bpf's emulator and cache model.
#[derive(Clone, Copy)]
struct Path {
    /// The program's return value.
    ret: u32,
    /// Instructions executed.
    executed: usize,
    /// Whether the kernel's action cache skips the filter for the call.
    cached: bool,
}

/// Each program's path for each call on x86_64 (`None` without a program), each
/// checked against what the call returned in the children.
fn paths(
    programs: &[Option<&[Insn]>; NPEERS],
    results: &[[Option<i64>; NCALLS]; NPEERS],
) -> Result<[[Option<Path>; NCALLS]; NPEERS], String> {
    let mut paths = [[None; NCALLS]; NPEERS];
    for (p, prog) in programs.iter().enumerate() {
        let Some(insns) = prog else { continue };
        for (c, call) in CALLS.into_iter().enumerate() {
            let data = call_data(call);
            let outcome = emulate_for(insns, &data, ByteOrder::of(Abi::X86_64))
                .map_err(|e| format!("{} on {}: {e}", PEERS[p], call.label()))?;
            if let Some(r) = results[p][c]
                && !agrees(outcome.ret, r)
            {
                return Err(format!(
                    "{} on {}: the program decides {} but the call returned {}",
                    PEERS[p],
                    call.label(),
                    RetValue(outcome.ret),
                    result_text(r)
                ));
            }
            paths[p][c] = Some(Path {
                ret: outcome.ret,
                executed: outcome.executed,
                cached: cache::is_const_allow(insns, data.arch, data.nr as u32),
            });
        }
    }
    Ok(paths)
}

/// The paths and the results the children saw, per program.
fn details(
    programs: &[Option<&[Insn]>; NPEERS],
    paths: &[[Option<Path>; NCALLS]; NPEERS],
    results: &[[Option<i64>; NCALLS]; NPEERS],
) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "per program (instructions executed on x86_64, emulated; \"cached\": the kernel's \
         action cache skips the filter) -> decision; the result the children saw:"
    )
    .unwrap();
    for (p, prog) in programs.iter().enumerate() {
        let length = prog.map_or_else(String::new, |insns| format!(" ({} insns)", insns.len()));
        writeln!(out, "  {}{length}", PEERS[p]).unwrap();
        for (c, call) in CALLS.into_iter().enumerate() {
            let seen = results[p][c].map_or_else(|| "not made".to_owned(), result_text);
            match paths[p][c] {
                None => writeln!(out, "    {:<28} {seen}", call.label()).unwrap(),
                Some(path) => {
                    let how = if path.cached {
                        "cached".to_owned()
                    } else {
                        format!("{} insns", path.executed)
                    };
                    writeln!(
                        out,
                        "    {:<28} {how:>9} -> {:<12} {seen}",
                        call.label(),
                        RetValue(path.ret).to_string()
                    )
                    .unwrap();
                }
            }
        }
    }
    out
}

/// Whether a call's result agrees with the filter's return value: minus the errno
/// for ERRNO, not an error for ALLOW (other actions end the child instead).
fn agrees(ret: u32, result: i64) -> bool {
    match ret & SECCOMP_RET_ACTION_FULL {
        SECCOMP_RET_ERRNO => result == -i64::from(ret & SECCOMP_RET_DATA),
        SECCOMP_RET_ALLOW => result >= 0,
        _ => false,
    }
}

/// A call's result: the value, or the errno's name.
fn result_text(result: i64) -> String {
    let name = match -result {
        e if e <= 0 => return format!("returned {result}"),
        1 => "EPERM",
        13 => "EACCES",
        38 => "ENOSYS",
        97 => "EAFNOSUPPORT",
        e => return format!("errno {e}"),
    };
    name.to_owned()
}

/// Pins this process (and so its children) to the last CPU it may run on;
/// returns that CPU, or `None` when the mask cannot be read or set.
fn pin_to_one_cpu() -> Option<usize> {
    // SAFETY: cpu_set_t is plain data; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is a writable cpu_set_t of `size` bytes.
    if unsafe { libc::sched_getaffinity(0, size, &mut set) } != 0 {
        return None;
    }
    let cpu = (0..libc::CPU_SETSIZE as usize)
        .rev()
        // SAFETY: `c` is below CPU_SETSIZE, within the set.
        .find(|&c| unsafe { libc::CPU_ISSET(c, &set) })?;
    // SAFETY: as above.
    let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below CPU_SETSIZE, within the set.
    unsafe { libc::CPU_SET(cpu, &mut one) };
    // SAFETY: `one` is a valid cpu_set_t of `size` bytes.
    (unsafe { libc::sched_setaffinity(0, size, &one) } == 0).then_some(cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_parsed_and_checked() {
        let o = parse_options(&[]).unwrap();
        assert_eq!(
            (o.rounds, o.calls, o.batches, o.batch()),
            (11, 200_000, 200, 1_000)
        );
        let args: Vec<String> = ["--rounds", "3", "--calls", "500", "--batches", "4"]
            .map(String::from)
            .to_vec();
        let o = parse_options(&args).unwrap();
        assert_eq!((o.rounds, o.calls, o.batch()), (3, 500, 125));
        for bad in [
            &["--rounds"][..],
            &["--calls", "0"],
            &["--calls", "x"],
            &["--calls", "5", "--batches", "6"],
            &["--fast"],
        ] {
            let args: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(parse_options(&args).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn results_are_checked_against_decisions() {
        assert!(agrees(SECCOMP_RET_ERRNO | 1, -1));
        assert!(!agrees(SECCOMP_RET_ERRNO | 1, -38));
        assert!(!agrees(SECCOMP_RET_ERRNO | 38, 0));
        assert!(agrees(seccompy_sys::SECCOMP_RET_ALLOW, 0));
        assert!(agrees(seccompy_sys::SECCOMP_RET_ALLOW, 4242));
        assert!(!agrees(seccompy_sys::SECCOMP_RET_ALLOW, -1));
        assert!(!agrees(seccompy_sys::SECCOMP_RET_KILL_PROCESS, 0));
        assert_eq!(result_text(-1), "EPERM");
        assert_eq!(result_text(-38), "ENOSYS");
        assert_eq!(result_text(-5), "errno 5");
        assert_eq!(result_text(0), "returned 0");
        assert_eq!(result_text(17), "returned 17");
    }

    /// The floor decides each call as Docker does, through at most five
    /// instructions (socket(40) needs two loads, two tests and a return), and
    /// the kernel's action cache skips it on none.
    #[test]
    fn the_floor_decides_as_docker_default_and_is_never_cached() {
        let floor = floor_program().unwrap();
        let (_, _, docker) = crate::bench_bpf::docker_default().unwrap();
        check_floor(floor.insns(), docker.insns()).unwrap();
        for call in CALLS {
            let data = call_data(call);
            let out = emulate_for(floor.insns(), &data, ByteOrder::of(Abi::X86_64)).unwrap();
            assert!(out.executed <= 5, "{}: {}", call.label(), out.executed);
        }
    }

    #[test]
    fn a_wrong_or_cacheable_floor_is_refused() {
        let (_, _, docker) = crate::bench_bpf::docker_default().unwrap();
        let build = |socket_errno: u32, load_before_allow: bool| {
            let mut a = Assembler::new();
            let [socket, other, eperm, enosys, tail, allow] = [(); 6].map(|()| a.label());
            a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
            a.jump(
                BPF_JMP | BPF_JEQ | BPF_K,
                libc::SYS_socket as u32,
                socket,
                other,
            );
            a.bind(socket);
            a.stmt(BPF_LD | BPF_W | BPF_ABS, 16);
            a.jump(BPF_JMP | BPF_JEQ | BPF_K, 40, eperm, allow);
            a.bind(eperm);
            a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | socket_errno);
            a.bind(other);
            a.jump(BPF_JMP | BPF_JEQ | BPF_K, 1000, enosys, tail);
            a.bind(enosys);
            a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | libc::ENOSYS as u32);
            a.bind(tail);
            if load_before_allow {
                a.stmt(BPF_LD | BPF_W | BPF_ABS, 16);
            }
            a.bind(allow);
            a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
            a.finish().unwrap()
        };
        // Each differs from a correct floor in one point: socket(40)'s errno, or
        // allowed paths without the argument load (so the cache may skip them).
        let wrong = build(libc::EACCES as u32, true);
        let err = check_floor(wrong.insns(), docker.insns()).unwrap_err();
        assert!(err.starts_with("the floor decides"), "{err}");
        assert!(err.contains("socket"), "{err}");
        let cacheable = build(libc::EPERM as u32, false);
        let err = check_floor(cacheable.insns(), docker.insns()).unwrap_err();
        assert!(err.contains("would cache"), "{err}");
        check_floor(build(libc::EPERM as u32, true).insns(), docker.insns()).unwrap();
        // The docker-default program is held to Docker's decisions too.
        let floor = floor_program().unwrap();
        let err = check_floor(floor.insns(), wrong.insns()).unwrap_err();
        assert!(
            err.starts_with("seccompy's docker-default decides"),
            "{err}"
        );
    }

    /// Installed in a forked child (never in the test's process), the floor
    /// returns what it decides in the emulator.
    #[test]
    fn the_kernel_runs_the_floor_as_emulated() {
        let floor = floor_program().unwrap();
        let r = measure(Some(floor.insns()), CALLS, 2, 50).unwrap();
        for (c, call) in CALLS.into_iter().enumerate() {
            assert!(
                agrees(call.docker_decision(), r.results[c]),
                "{}: {}",
                call.label(),
                result_text(r.results[c])
            );
        }
    }
}
