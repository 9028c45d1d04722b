//! Measurements of a program, all through seccompy-bpf's emulator, the same way for
//! every peer: instructions executed over syscall numbers, and timing statistics.

use seccompy_bpf::Insn;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

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
