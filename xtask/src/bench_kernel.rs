//! `cargo xtask bench-kernel`: the real cost of system calls under Docker's
//! default profile as seccompy builds it (through its OCI path, runc's ENOSYS
//! stub included), as libseccomp builds it (linear and tree, exported alone) and
//! without a filter, in one run. A benchmark that prints a table, never a timed
//! test.
//!
//! The programs come from `cargo xtask bench-bpf`'s code (`bench_bpf::docker_default`
//! and the libseccomp peer), which also leaves libseccomp's in `target/bench-bpf/`.
//! Each measurement is a forked child: it sets `no_new_privs`, installs one
//! program (none for the baseline), then times, for each call, a batch of calls
//! after a warm-up, and writes the totals to a pipe. This process never installs
//! a filter. The calls:
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
//! Options: `--rounds R` (default 11), `--calls N` per measurement (default
//! 200000). Debug builds re-run themselves with `--release` first.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Read as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use seccompy::FilterFlags;
use seccompy_bpf::Insn;
use seccompy_bpf::action::RetValue;
use seccompy_bpf::cache;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA, SECCOMP_RET_ERRNO, seccomp_data};

use crate::bench::kernel_report::{self, LINEAR, PEERS, Row, TREE};
use crate::bench::libseccomp::{self, Optimize};
use crate::bench_bpf;

/// Calls made before each timed batch.
const WARMUP: u64 = 2_000;

/// The calls measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Getppid,
    Personality,
    Socket,
    Unknown,
}

const CALLS: [Call; 4] = [
    Call::Getppid,
    Call::Personality,
    Call::Socket,
    Call::Unknown,
];

impl Call {
    fn label(self) -> &'static str {
        match self {
            Call::Getppid => "getppid()",
            Call::Personality => "personality(0xffffffff)",
            Call::Socket => "socket(40, SOCK_STREAM, 0)",
            Call::Unknown => "syscall(1000)",
        }
    }

    fn nr(self) -> libc::c_long {
        match self {
            Call::Getppid => libc::SYS_getppid,
            Call::Personality => libc::SYS_personality,
            Call::Socket => libc::SYS_socket,
            Call::Unknown => 1000,
        }
    }

    fn args(self) -> [u64; 6] {
        match self {
            Call::Getppid | Call::Unknown => [0; 6],
            Call::Personality => [0xffff_ffff, 0, 0, 0, 0, 0],
            Call::Socket => [40, libc::SOCK_STREAM as u64, 0, 0, 0, 0],
        }
    }

    /// The call the kernel's action cache is expected to take (outside the target).
    fn cacheable(self) -> bool {
        self == Call::Getppid
    }

    /// Whether the call is left out without a filter: unfiltered, `socket(40, ..)`
    /// would create a vsock socket, work the filters never let it reach. Its
    /// baseline is the bare call's, `syscall(1000)` without a filter.
    fn skipped_unfiltered(self) -> bool {
        self == Call::Socket
    }

    /// Makes the call: its result, or minus its errno. Allocation-free.
    fn invoke(self) -> i64 {
        let [a, b, c, ..] = self.args();
        // SAFETY: none of these calls takes a pointer or changes the process
        // (personality(0xffffffff) only reads the persona; socket(40, ..) is only
        // made under a filter that refuses it).
        let r = unsafe {
            libc::syscall(
                self.nr(),
                a as libc::c_long,
                b as libc::c_long,
                c as libc::c_long,
            )
        };
        if r == -1 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r
        }
    }
}

struct Options {
    rounds: usize,
    calls: u64,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        rounds: 11,
        calls: 200_000,
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
            other => {
                return Err(format!(
                    "bench-kernel: unknown option {other:?} (--rounds R, --calls N)"
                ));
            }
        }
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
    let programs: [Option<&[Insn]>; 4] = [
        None,
        Some(seccompy.insns()),
        Some(linear.program.insns()),
        Some(tree.program.insns()),
    ];

    let cpu = pin_to_one_cpu();
    let mut totals: [[Vec<u64>; 4]; 4] = Default::default();
    let mut results = [[None::<i64>; 4]; 4];
    for round in 0..opts.rounds {
        let mut order = CALLS;
        order.rotate_left(round % CALLS.len());
        for k in 0..PEERS.len() {
            let p = (round + k) % PEERS.len();
            let report = measure(programs[p], order, opts.calls)
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

    let mut rows = Vec::new();
    let mut worst = (0.0f64, "", "");
    for (c, call) in CALLS.into_iter().enumerate() {
        let mut ns = [0.0; 4];
        for p in 0..PEERS.len() {
            let base = if p == 0 && call.skipped_unfiltered() {
                CALLS.iter().position(|&x| x == Call::Unknown).unwrap_or(c)
            } else {
                c
            };
            let s = kernel_report::summarize(&totals[p][base], opts.calls)
                .ok_or("no samples (--rounds 0?)")?;
            ns[p] = s.median;
            if s.spread > worst.0 {
                worst = (s.spread, PEERS[p], call.label());
            }
        }
        rows.push(Row {
            label: call.label().to_owned(),
            cacheable: call.cacheable(),
            ns,
            bare_baseline: call.skipped_unfiltered(),
        });
    }
    let paths = paths(&programs, &results)?;
    let details = details(&programs, &paths, &results);
    let breakdown = breakdown(&rows, &paths);

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
        "medians of {} rounds x {} calls per measurement, peers and calls interleaved, each \
         measurement in a forked child with no_new_privs; {}; bpf_jit_enable {}, \
         spec_store_bypass: {}\n",
        opts.rounds,
        opts.calls,
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
    print!("{breakdown}");
    println!();
    print!("{details}");
    println!("\n(bench took {:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
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
    programs: &[Option<&[Insn]>; 4],
    results: &[[Option<i64>; 4]; 4],
) -> Result<[[Option<Path>; 4]; 4], String> {
    let mut paths = [[None; 4]; 4];
    for (p, prog) in programs.iter().enumerate() {
        let Some(insns) = prog else { continue };
        for (c, call) in CALLS.into_iter().enumerate() {
            let data = seccomp_data {
                nr: call.nr() as i32,
                arch: Abi::X86_64.audit_arch(),
                instruction_pointer: 0,
                args: call.args(),
            };
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

/// Where the overhead goes (see [`kernel_report::breakdown_text`]).
fn breakdown(rows: &[Row], paths: &[[Option<Path>; 4]; 4]) -> String {
    let fixed = rows
        .iter()
        .find(|r| r.cacheable)
        .map(|r| r.overheads()[kernel_report::TREE]);
    let uncached = || {
        rows.iter()
            .enumerate()
            .filter(|(_, r)| !r.cacheable)
            .filter_map(|(c, r)| Some((r, paths[LINEAR][c]?, paths[TREE][c]?)))
    };
    let slopes: Vec<f64> = uncached()
        .filter_map(|(r, l, t)| {
            let o = r.overheads();
            kernel_report::per_insn(o[LINEAR], l.executed, o[TREE], t.executed)
        })
        .collect();
    let slope = (!slopes.is_empty()).then(|| slopes.iter().sum::<f64>() / slopes.len() as f64);
    let floors: Vec<(&str, f64)> = match slope {
        Some(s) => uncached()
            .filter_map(|(r, _, t)| {
                let f = kernel_report::floor_ratio(r.overheads()[TREE], t.executed, s)?;
                Some((r.label.as_str(), f))
            })
            .collect(),
        None => Vec::new(),
    };
    kernel_report::breakdown_text(fixed, slope, &floors)
}

/// The paths and the results the children saw, per program.
fn details(
    programs: &[Option<&[Insn]>; 4],
    paths: &[[Option<Path>; 4]; 4],
    results: &[[Option<i64>; 4]; 4],
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
        seccompy_sys::SECCOMP_RET_ALLOW => result >= 0,
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

/// What one child measured, per call in [`CALLS`] order: the nanoseconds of the
/// timed batch, and the first call's result (0 for a call not made).
struct ChildReport {
    totals: [u64; 4],
    results: [i64; 4],
}

const REPORT_LEN: usize = 64;

/// Forks a child that installs `program` (none: no filter) and times each call
/// of `order`, `calls` times.
fn measure(program: Option<&[Insn]>, order: [Call; 4], calls: u64) -> Result<ChildReport, String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors owned by nobody else.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs only allocation-free, lock-free code (`child`) and
    // leaves through _exit, so no lock another thread held at the fork matters.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(rd);
        child(program, order, calls, wr.as_raw_fd());
    }
    drop(wr);
    let mut buf = [0u8; REPORT_LEN];
    let read = File::from(rd).read_exact(&mut buf);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is writable.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(describe_status(status));
    }
    read.map_err(|e| format!("reading the child's report: {e}"))?;
    Ok(decode(&buf))
}

/// A failed child's wait status in words.
fn describe_status(status: i32) -> String {
    if libc::WIFSIGNALED(status) {
        return format!("killed by signal {}", libc::WTERMSIG(status));
    }
    match libc::WEXITSTATUS(status) {
        10 => "setting no_new_privs failed".into(),
        11 => "installing the filter failed".into(),
        12 => "writing the report failed".into(),
        code => format!("exited with {code}"),
    }
}

fn decode(buf: &[u8; REPORT_LEN]) -> ChildReport {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&buf[i * 8..i * 8 + 8]);
        w
    };
    ChildReport {
        totals: std::array::from_fn(|i| u64::from_ne_bytes(word(i))),
        results: std::array::from_fn(|i| i64::from_ne_bytes(word(4 + i))),
    }
}

/// The child: no_new_privs, the filter, the timed batches, the report, `_exit`.
/// Allocation-free.
fn child(program: Option<&[Insn]>, order: [Call; 4], calls: u64, out: RawFd) -> ! {
    let code = (|| {
        if seccompy::set_no_new_privileges().is_err() {
            return 10;
        }
        if let Some(p) = program
            && seccompy::set_filter(FilterFlags::empty(), p).is_err()
        {
            return 11;
        }
        let mut buf = [0u8; REPORT_LEN];
        for call in order {
            if program.is_none() && call.skipped_unfiltered() {
                continue;
            }
            let i = call as usize;
            let first = call.invoke();
            for _ in 0..WARMUP {
                std::hint::black_box(call.invoke());
            }
            let t0 = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(call.invoke());
            }
            let ns = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
            buf[i * 8..i * 8 + 8].copy_from_slice(&ns.to_ne_bytes());
            buf[32 + i * 8..32 + i * 8 + 8].copy_from_slice(&first.to_ne_bytes());
        }
        let mut done = 0;
        while done < buf.len() {
            // SAFETY: writes from a live buffer to the pipe's write end.
            let n = unsafe { libc::write(out, buf[done..].as_ptr().cast(), buf.len() - done) };
            if n <= 0 {
                return 12;
            }
            done += n as usize;
        }
        0
    })();
    // SAFETY: ends the child at once, without running this process's exit handlers.
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_parsed_and_checked() {
        let o = parse_options(&[]).unwrap();
        assert_eq!((o.rounds, o.calls), (11, 200_000));
        let args: Vec<String> = ["--rounds", "3", "--calls", "500"]
            .map(String::from)
            .to_vec();
        let o = parse_options(&args).unwrap();
        assert_eq!((o.rounds, o.calls), (3, 500));
        for bad in [
            &["--rounds"][..],
            &["--calls", "0"],
            &["--calls", "x"],
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

    #[test]
    fn reports_round_trip_through_their_bytes() {
        let mut buf = [0u8; REPORT_LEN];
        let totals = [1u64, 2, u64::MAX, 40_000_000];
        let results = [7i64, 0, -1, -38];
        for i in 0..4 {
            buf[i * 8..i * 8 + 8].copy_from_slice(&totals[i].to_ne_bytes());
            buf[32 + i * 8..32 + i * 8 + 8].copy_from_slice(&results[i].to_ne_bytes());
        }
        let r = decode(&buf);
        assert_eq!((r.totals, r.results), (totals, results));
    }

    #[test]
    fn failed_children_are_described() {
        assert_eq!(describe_status(11 << 8), "installing the filter failed");
        assert_eq!(describe_status(libc::SIGSYS), "killed by signal 31");
        assert_eq!(describe_status(3 << 8), "exited with 3");
    }

    /// A child without a filter measures every call but the one it must not make;
    /// the unfiltered results are the kernel's own.
    #[test]
    fn an_unfiltered_child_measures_and_reports() {
        let r = measure(None, CALLS, 100).unwrap();
        let i = |c: Call| c as usize;
        assert!(r.totals[i(Call::Getppid)] > 0);
        assert!(r.totals[i(Call::Unknown)] > 0);
        assert_eq!(r.totals[i(Call::Socket)], 0);
        assert_eq!(r.results[i(Call::Socket)], 0);
        // SAFETY: getpid has no arguments and cannot fail.
        let me = i64::from(unsafe { libc::getpid() });
        assert_eq!(r.results[i(Call::Getppid)], me);
        assert_eq!(r.results[i(Call::Unknown)], -i64::from(libc::ENOSYS));
        assert!(r.results[i(Call::Personality)] >= 0);
    }

    /// Under seccompy's docker-default program (installed in the child only), the
    /// denied calls fail with the profile's errno and runc's ENOSYS stub.
    #[test]
    fn a_filtered_child_sees_the_programs_decisions() {
        let (_, _, prog) = bench_bpf::docker_default().unwrap();
        let r = measure(Some(prog.insns()), CALLS, 100).unwrap();
        let i = |c: Call| c as usize;
        assert!(CALLS.iter().all(|&c| r.totals[i(c)] > 0));
        // SAFETY: getpid has no arguments and cannot fail.
        let me = i64::from(unsafe { libc::getpid() });
        assert_eq!(r.results[i(Call::Getppid)], me);
        assert_eq!(r.results[i(Call::Socket)], -i64::from(libc::EPERM));
        assert_eq!(r.results[i(Call::Unknown)], -i64::from(libc::ENOSYS));
        assert!(r.results[i(Call::Personality)] >= 0);
    }
}
