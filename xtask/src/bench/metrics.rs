//! Measurements of a program, all through seccompy-bpf's emulator, the same way for
//! every peer: instructions executed over syscall numbers, what the kernel's
//! action cache would skip (seccompy-bpf's cache model), and timing statistics.

use std::collections::BTreeMap;

use seccompy_bpf::Insn;
use seccompy_bpf::cache;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{SECCOMP_RET_ALLOW, seccomp_data};

use super::equiv::{self, Probe};

/// The syscall numbers the path statistics run over: `0..1024`.
pub const NRS: std::ops::Range<i32> = 0..1024;

/// Instructions executed over [`NRS`] under one ABI's arch, with zero arguments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathStats {
    /// The most instructions any number executed.
    pub max: usize,
    /// The mean over the numbers.
    pub mean: f64,
}

/// Runs `prog` for every number of [`NRS`] (zero arguments) under `abi`'s audit arch.
pub fn path_stats(prog: &[Insn], abi: Abi) -> Result<PathStats, String> {
    let mut max = 0;
    let mut sum = 0usize;
    for nr in NRS {
        let data = seccomp_data {
            nr,
            arch: abi.audit_arch(),
            ..seccomp_data::default()
        };
        let out = emulate_for(prog, &data, ByteOrder::of(abi))
            .map_err(|e| format!("emulating nr {nr}: {e}"))?;
        max = max.max(out.executed);
        sum += out.executed;
    }
    Ok(PathStats {
        max,
        mean: sum as f64 / NRS.len() as f64,
    })
}

/// How many syscalls of the x86_64 and i386 tables the kernel would cache, and how
/// many the program allows whatever the arguments (as far as the probes tell).
pub fn cache_counts(prog: &[Insn], probes: &[Probe], decisions: &[u32]) -> (usize, usize) {
    let mut cached = 0;
    let mut allowed: BTreeMap<(Abi, u32), bool> = BTreeMap::new();
    for abi in [Abi::X86_64, Abi::I386] {
        cached += cache::cached_syscalls(prog, abi).len();
        for &(nr, _) in abi.syscalls() {
            allowed.insert((abi, nr), true);
        }
    }
    for (p, &d) in probes.iter().zip(decisions) {
        if let Some(key) = equiv::probe_key(p)
            && let Some(a) = allowed.get_mut(&key)
        {
            *a &= d == SECCOMP_RET_ALLOW;
        }
    }
    (cached, allowed.values().filter(|&&a| a).count())
}

/// The median of a list of durations (the mean of the middle two for an even count).
pub fn median(samples: &[u64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m] as f64
    } else {
        (s[m - 1] as f64 + s[m] as f64) / 2.0
    })
}

/// Times `f` `runs` times; returns each run's nanoseconds and the last result.
pub fn time_runs<T>(
    runs: u32,
    mut f: impl FnMut() -> Result<T, String>,
) -> Result<(Vec<u64>, T), String> {
    let mut times = Vec::with_capacity(runs as usize);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t0 = std::time::Instant::now();
        let r = f()?;
        times.push(u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX));
        last = Some(std::hint::black_box(r));
    }
    Ok((times, last.expect("at least one run")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5.0));
        assert_eq!(median(&[9, 1, 5]), Some(5.0));
        assert_eq!(median(&[9, 1, 5, 7]), Some(6.0));
    }

    #[test]
    fn time_runs_runs_as_asked_and_stops_on_error() {
        let mut n = 0;
        let (times, last) = time_runs(4, || {
            n += 1;
            Ok(n)
        })
        .unwrap();
        assert_eq!((times.len(), last), (4, 4));
        assert!(time_runs::<()>(3, || Err("no".into())).is_err());
    }

    #[test]
    fn cache_counts_compare_the_cache_with_what_is_always_allowed() {
        use crate::bench::spec::{CmpOp, Cond, Rule, Spec};
        // x86_64 only: read (0) always allowed; write (1) only when args[0] == 0.
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        let spec = Spec {
            abis: vec![Abi::X86_64],
            default: SECCOMP_RET_ERRNO | 1,
            bad_arch: None,
            rules: vec![Rule {
                action: SECCOMP_RET_ALLOW,
                name: "write".into(),
                conds: vec![Cond::new(0, CmpOp::Eq, 0)],
            }],
        };
        let probes = equiv::probes(&spec, 1);
        let decisions = equiv::decide(&prog, &probes).unwrap();
        assert_eq!(cache_counts(&prog, &probes, &decisions), (1, 1));
        // A program that allows everything through an argument load: always
        // allowed everywhere, cached nowhere.
        let opaque = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        ];
        let decisions = equiv::decide(&opaque, &probes).unwrap();
        let tables = Abi::X86_64.syscalls().len() + Abi::I386.syscalls().len();
        assert_eq!(cache_counts(&opaque, &probes, &decisions), (0, tables));
    }

    #[test]
    fn path_stats_count_what_each_number_executes() {
        // nr < 100: 4 instructions to ALLOW; otherwise 3 to ERRNO.
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JGE | BPF_K, 100, 2, 0),
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        let s = path_stats(&prog, Abi::X86_64).unwrap();
        assert_eq!(s.max, 4);
        let want = (100.0 * 4.0 + 924.0 * 3.0) / 1024.0;
        assert!((s.mean - want).abs() < 1e-9, "{}", s.mean);
    }
}
