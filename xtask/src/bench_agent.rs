//! `cargo xtask bench-agent`: the round trip of a notified call answered by
//! `seccompy::agent`, against `bench-unotify`'s raw-ioctl supervisor in the
//! same run, and with many containers served at once.
//!
//! Each "container" is this binary re-executed (`bench-agent __target N`)
//! under a filter that sends `getppid(2)` to a listener, which is handed to the
//! agent exactly as a runtime does (a `ContainerProcessState` on the agent's
//! socket, the listener by `SCM_RIGHTS`); the runtime's work is only that
//! hand-over, so no runc is needed (nor root). The agent (in this process, two
//! workers) answers by a policy that refuses `getppid` with `EPERM`, logging
//! each decision to a file (or, for the second column, to nothing; for the
//! third, to nothing but journaling each call with an fd keeper, as
//! `--keeper` does); the raw supervisor answers with ioctls by hand. All with
//! synchronous wake-up.
//!
//! The target waits for a byte on its standard input, makes a thousand
//! warm-up calls, then times each of `N` calls and prints its mean, median,
//! 99.9th percentile and largest round trip and how many calls were answered.
//!
//! - Single: runs alternate between raw, agent (log file), agent (no log);
//!   figures are medians over `--runs` (default 7) of `--calls` calls (20000).
//!   Target: agent ≤ 1.2 × raw.
//! - Many: `--containers` (default 50) targets handed over, then started at
//!   once, `--calls-many` calls each (2000). Target: no call slower than 10 ×
//!   the single-container median, none lost. The same with the raw supervisor
//!   (one thread per target, receiving directly) right before, in each of
//!   `--rounds-many` rounds (3): what the machine allows. Each round prints
//!   both sides' lost calls, slowest call and worst 99.9th percentile, and
//!   the agent's tail over the raw receivers' tail.
//! - `--against SOCKET`: only hands `--runs` targets of `--calls` calls, one
//!   after the other, to an agent already running at `SOCKET` (a `seccompy
//!   agent` whose policy's profile `bench` refuses `getppid`), and prints
//!   each one's figures: for counting the agent's system calls (`strace -f -c`)
//!   or instructions (`valgrind --tool=callgrind`) per call, which two runs of
//!   different `--calls` give by difference.

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use seccompy::agent::keeper::run_keeper;
use seccompy::agent::{Agent, AgentConfig, ContainerProcessState, Policy, hand_over};
use seccompy::{CommandSeccompExt, SeccompOptions};

use crate::bench_bpf;
use crate::bench_unotify::{median, program, raw_supervisor};

/// One target's figures, in nanoseconds.
#[derive(Clone, Copy, Debug)]
struct Figures {
    mean: f64,
    p50: f64,
    p999: f64,
    max: f64,
    answered: u64,
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.first().is_some_and(|a| a == "__target") {
        return target(args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000));
    }
    if cfg!(debug_assertions) && std::env::var_os(bench_bpf::REEXEC_ENV).is_none() {
        return bench_bpf::rerun_release("bench-agent", args);
    }
    let (mut runs, mut calls, mut containers, mut calls_many, mut rounds_many) =
        (7usize, 20_000u64, 50usize, 2_000u64, 3usize);
    let mut against = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--against" {
            against = Some(it.next().ok_or("--against needs a socket")?);
            continue;
        }
        let mut value = || {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(format!("{a} needs a number"))
        };
        match a.as_str() {
            "--runs" => runs = value()?.max(1) as usize,
            "--calls" => calls = value()?,
            "--containers" => containers = value()?.max(1) as usize,
            "--calls-many" => calls_many = value()?,
            "--rounds-many" => rounds_many = value()?.max(1) as usize,
            other => return Err(format!("bench-agent: unknown option {other}")),
        }
    }
    if let Some(socket) = against {
        return drive(Path::new(socket), runs, calls);
    }
    let dir = std::env::temp_dir().join(format!("seccompy-bench-agent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = bench(&dir, runs, calls, (containers, calls_many, rounds_many));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench(dir: &Path, runs: usize, calls: u64, many: (usize, u64, usize)) -> Result<(), String> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!(
        "bench-agent: round trip of one notified getppid(2), sync wake-up, median of {runs} runs x {calls} calls, Linux {}",
        release.trim()
    );
    let policy = Policy::parse(r#"{"profiles": {"bench": {"getppid": {"errno": "EPERM"}}}}"#)
        .map_err(|e| e.to_string())?;
    let mut config = AgentConfig::default();
    config.policy = policy;
    config.workers = 2;
    let logged_sock = dir.join("logged.sock");
    let log = std::fs::File::create(dir.join("agent.log")).map_err(|e| e.to_string())?;
    let logged =
        Agent::bind(&logged_sock, config.clone(), Box::new(log)).map_err(|e| e.to_string())?;
    let quiet_sock = dir.join("quiet.sock");
    let quiet = Agent::bind(&quiet_sock, config.clone(), Box::new(std::io::sink()))
        .map_err(|e| e.to_string())?;
    let keeper_sock = dir.join("keeper.sock");
    let keeper_stop = Arc::new(AtomicBool::new(false));
    let keeper = {
        let (path, stop) = (keeper_sock.clone(), Arc::clone(&keeper_stop));
        std::thread::spawn(move || run_keeper(&path, &|| stop.load(Ordering::Relaxed)))
    };
    let kept_sock = dir.join("kept.sock");
    let mut kept_config = config.clone();
    kept_config.keeper = Some(keeper_sock.clone());
    let kept = (0..500)
        .find_map(|_| {
            let a = Agent::bind(&kept_sock, kept_config.clone(), Box::new(std::io::sink())).ok();
            if a.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            a
        })
        .ok_or("the keeper never came up");
    let result = match kept {
        Ok(kept) => bench_with(
            [
                (&logged, &logged_sock),
                (&quiet, &quiet_sock),
                (&kept, &kept_sock),
            ],
            (runs, calls, many),
        ),
        Err(e) => Err(e.to_string()),
    };
    keeper_stop.store(true, Ordering::Relaxed);
    keeper
        .join()
        .map_err(|_| "the keeper panicked")?
        .map_err(|e| format!("the keeper: {e}"))?;
    result
}

/// `runs` targets of `calls` calls each, one after the other, served by the
/// agent at `socket`.
fn drive(socket: &Path, runs: usize, calls: u64) -> Result<(), String> {
    let program = program()?;
    for run in 0..runs {
        let f = single_agent(&program, calls, socket, &format!("driven-{run}"))?;
        println!(
            "run {run}: {calls} calls, mean {:.2} µs, median {:.2} µs, slowest {:.1} µs, {} answered",
            f.mean / 1e3,
            f.p50 / 1e3,
            f.max / 1e3,
            f.answered
        );
        if f.answered != calls {
            return Err(format!("{} of {calls} calls answered", f.answered));
        }
    }
    Ok(())
}

/// The runs, with the agents bound (logging to a file, to nothing, and to
/// nothing with a keeper) and their sockets.
fn bench_with(
    agents: [(&Agent, &Path); 3],
    (runs, calls, (containers, calls_many, rounds_many)): (usize, u64, (usize, u64, usize)),
) -> Result<(), String> {
    let [
        (logged, logged_sock),
        (quiet, quiet_sock),
        (kept, kept_sock),
    ] = agents;
    let program = program()?;
    std::thread::scope(|s| -> Result<(), String> {
        let (stop_logged, stop_quiet, stop_kept) =
            (logged.stopper(), quiet.stopper(), kept.stopper());
        let a = s.spawn(|| logged.serve());
        let b = s.spawn(|| quiet.serve());
        let c = s.spawn(|| kept.serve());
        let result = (|| -> Result<(), String> {
            let mut raw = Vec::new();
            let mut agent_log = Vec::new();
            let mut agent_quiet = Vec::new();
            let mut agent_kept = Vec::new();
            let mut agent_max = Vec::new();
            for run in 0..runs {
                raw.push(single_raw(&program, calls)?.mean);
                let f = single_agent(&program, calls, logged_sock, &format!("log-{run}"))?;
                agent_log.push(f.mean);
                agent_max.push(f.max);
                agent_quiet
                    .push(single_agent(&program, calls, quiet_sock, &format!("quiet-{run}"))?.mean);
                agent_kept
                    .push(single_agent(&program, calls, kept_sock, &format!("kept-{run}"))?.mean);
            }
            let (raw, log, quiet, journaled) = (
                median(&mut raw),
                median(&mut agent_log),
                median(&mut agent_quiet),
                median(&mut agent_kept),
            );
            println!();
            println!("{:<28}{:>10}", "supervisor", "per call");
            println!("{:<28}{:>7.2} µs", "raw ioctls", raw / 1e3);
            println!("{:<28}{:>7.2} µs", "agent, log to a file", log / 1e3);
            println!("{:<28}{:>7.2} µs", "agent, no log", quiet / 1e3);
            println!("{:<28}{:>7.2} µs", "agent, no log, keeper", journaled / 1e3);
            println!();
            println!(
                "ratio: agent {:.3}x raw with its log, {:.3}x without (target <= 1.2); \
                 {:.3}x journaling with a keeper",
                log / raw,
                quiet / raw,
                journaled / raw
            );
            let single_median = single_p50(&program, calls, logged_sock)?;
            let raw_single_median = single_raw(&program, calls)?.p50;
            println!();
            println!(
                "{containers} containers at once, {calls_many} calls each, {rounds_many} rounds \
                 (raw receivers, then the agent logging to a file); \
                 single-container medians: raw {:.2} µs, agent {:.2} µs",
                raw_single_median / 1e3,
                single_median / 1e3
            );
            let total = containers as u64 * calls_many;
            let (mut lost, mut tail_ratios) = (0u64, Vec::new());
            for round in 0..rounds_many {
                let raw = Many::of(&many(&program, containers, calls_many, None)?, total);
                let agent = Many::of(
                    &many(&program, containers, calls_many, Some(logged_sock))?,
                    total,
                );
                println!("  round {round}:");
                raw.report("raw ioctls", raw_single_median);
                agent.report("agent", single_median);
                println!(
                    "    agent tail / raw tail: slowest {:.2}x, worst p99.9 {:.2}x",
                    agent.max / raw.max,
                    agent.p999 / raw.p999
                );
                lost += agent.lost + raw.lost;
                tail_ratios.push(agent.max / raw.max);
            }
            println!(
                "  lost calls: {lost} (target 0); agent's slowest over raw's slowest, median of \
                 the rounds: {:.2}x (the 10x target is out of reach when raw receivers \
                 alone miss it)",
                median(&mut tail_ratios)
            );
            Ok(())
        })();
        stop_logged.stop();
        stop_quiet.stop();
        stop_kept.stop();
        c.join()
            .map_err(|_| "the agent panicked")?
            .map_err(|e| e.to_string())?;
        a.join()
            .map_err(|_| "the agent panicked")?
            .map_err(|e| e.to_string())?;
        b.join()
            .map_err(|_| "the agent panicked")?
            .map_err(|e| e.to_string())?;
        result
    })
}

/// The figures of many targets served at once.
struct Many {
    lost: u64,
    calls: u64,
    /// The median of the targets' medians.
    p50: f64,
    /// The worst target's 99.9th percentile.
    p999: f64,
    /// The slowest call.
    max: f64,
}

impl Many {
    fn of(many: &[Figures], calls: u64) -> Many {
        let answered: u64 = many.iter().map(|f| f.answered).sum();
        let mut medians: Vec<f64> = many.iter().map(|f| f.p50).collect();
        Many {
            lost: calls.saturating_sub(answered),
            calls,
            p50: median(&mut medians),
            p999: many.iter().map(|f| f.p999).fold(0.0, f64::max),
            max: many.iter().map(|f| f.max).fold(0.0, f64::max),
        }
    }

    /// One line: `single_median` is the same supervisor's with one target.
    fn report(&self, who: &str, single_median: f64) {
        println!(
            "    {who:<11} {} of {} lost, median {:.2} µs, worst p99.9 {:.1} µs, \
             slowest {:.1} µs = {:.1}x its single-container median (target <= 10x)",
            self.lost,
            self.calls,
            self.p50 / 1e3,
            self.p999 / 1e3,
            self.max / 1e3,
            self.max / single_median,
        );
    }
}

/// A started target and its listener.
struct Started {
    child: Child,
    listener: std::os::fd::OwnedFd,
}

fn start(program: &seccompy::bpf::Program, calls: u64) -> Result<Started, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command
        .args(["bench-agent", "__target", &calls.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let spawned = command
        .spawn_with_listener(program.clone(), SeccompOptions::default())
        .map_err(|e| format!("spawning the target: {e}"))?;
    Ok(Started {
        child: spawned.child,
        listener: spawned.listener,
    })
}

/// Lets the target go and collects its figures.
fn go_and_collect(child: &mut Child) -> Result<Figures, String> {
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(b"g")
        .map_err(|e| e.to_string())?;
    collect(child)
}

fn collect(child: &mut Child) -> Result<Figures, String> {
    let mut out = String::new();
    child
        .stdout
        .take()
        .ok_or("no stdout")?
        .read_to_string(&mut out)
        .map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("the target failed: {status}"));
    }
    let v: Vec<f64> = out
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    match v[..] {
        [mean, p50, p999, max, answered] => Ok(Figures {
            mean,
            p50,
            p999,
            max,
            answered: answered as u64,
        }),
        _ => Err(format!("the target printed {out:?}")),
    }
}

fn single_raw(program: &seccompy::bpf::Program, calls: u64) -> Result<Figures, String> {
    let mut t = start(program, calls)?;
    let listener = t.listener;
    let supervisor = std::thread::spawn(move || raw_supervisor(listener, true));
    let f = go_and_collect(&mut t.child)?;
    supervisor
        .join()
        .map_err(|_| "the raw supervisor panicked")??;
    Ok(f)
}

fn single_agent(
    program: &seccompy::bpf::Program,
    calls: u64,
    socket: &Path,
    id: &str,
) -> Result<Figures, String> {
    let mut t = start(program, calls)?;
    give(socket, &t, id)?;
    go_and_collect(&mut t.child)
}

/// The median round trip of one container alone.
fn single_p50(program: &seccompy::bpf::Program, calls: u64, socket: &Path) -> Result<f64, String> {
    Ok(single_agent(program, calls, socket, "single-median")?.p50)
}

/// Hands the target's listener to the agent, then closes ours.
fn give(socket: &Path, t: &Started, id: &str) -> Result<(), String> {
    let state = ContainerProcessState::new(id, t.child.id() as i32, "bench");
    hand_over(socket, &state, t.listener.as_fd()).map_err(|e| format!("hand-over: {e}"))?;
    Ok(())
}

/// `n` targets at once, served by the agent at `socket`, or each by a raw
/// supervisor thread of its own (`None`).
fn many(
    program: &seccompy::bpf::Program,
    n: usize,
    calls: u64,
    socket: Option<&Path>,
) -> Result<Vec<Figures>, String> {
    let mut started = Vec::new();
    let mut supervisors = Vec::new();
    for i in 0..n {
        let t = start(program, calls)?;
        match socket {
            Some(socket) => give(socket, &t, &format!("many-{i}"))?,
            None => {
                let listener = t.listener;
                supervisors.push(std::thread::spawn(move || raw_supervisor(listener, true)));
                started.push(t.child);
                continue;
            }
        }
        started.push(t.child);
    }
    // All at once.
    for child in &mut started {
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(b"g")
            .map_err(|e| e.to_string())?;
    }
    let figures = started.iter_mut().map(collect).collect();
    for s in supervisors {
        s.join().map_err(|_| "a raw supervisor panicked")??;
    }
    figures
}

/// The target: wait for the go, warm up, time each call; print mean, median,
/// 99.9th percentile, largest (ns) and the number of calls answered.
fn target(calls: u64) -> Result<(), String> {
    let mut go = [0u8; 1];
    std::io::stdin()
        .read_exact(&mut go)
        .map_err(|e| e.to_string())?;
    let call = || {
        // SAFETY: getppid takes no argument; the filter sends it to the listener.
        unsafe { libc::syscall(libc::SYS_getppid) }
    };
    for _ in 0..1000 {
        call();
    }
    let mut times = Vec::with_capacity(calls as usize);
    let mut answered = 0u64;
    let start = Instant::now();
    for _ in 0..calls {
        let t = Instant::now();
        let r = call();
        times.push(t.elapsed().as_nanos() as f64);
        // The agent refuses with EPERM, the raw supervisor returns 0.
        let errno = std::io::Error::last_os_error().raw_os_error();
        if r == 0 || (r == -1 && errno == Some(libc::EPERM)) {
            answered += 1;
        }
    }
    let mean = start.elapsed().as_nanos() as f64 / calls.max(1) as f64;
    let max = times.iter().copied().fold(0.0, f64::max);
    let (p50, p999) = if times.is_empty() {
        (0.0, 0.0)
    } else {
        let p50 = median(&mut times);
        (p50, times[(times.len() * 999 / 1000).min(times.len() - 1)])
    };
    println!("{mean} {p50} {p999} {max} {answered}");
    Ok(())
}
