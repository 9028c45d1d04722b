//! Compile cost in instructions, counted by valgrind's callgrind: the figure of
//! `cargo xtask bench-bpf --callgrind`, which does not depend on the machine's
//! load as the timed medians do.
//!
//! The bench re-runs itself under callgrind, once per policy and peer, with
//! [`CHILD_ENV`] naming the peer; the child compiles the policy once to warm up,
//! then `n` times inside [`callgrind_measured`], the only function whose instructions
//! callgrind collects (`--toggle-collect`). Its output file is left for
//! `callgrind_annotate` (where the instructions go).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment variable that makes the bench the callgrind child: the
/// peer to compile with.
pub const CHILD_ENV: &str = "SECCOMPY_BENCH_CALLGRIND";

/// The function whose instructions callgrind counts (its name is matched by
/// `--toggle-collect`).
const MEASURED: &str = "*callgrind_measured*";

/// Runs `compile` `n` times: the instructions counted.
#[inline(never)]
pub fn callgrind_measured(
    n: u32,
    compile: &mut dyn FnMut() -> Result<usize, String>,
) -> Result<usize, String> {
    let mut len = 0;
    for _ in 0..n {
        len = std::hint::black_box(compile()?);
    }
    Ok(len)
}

/// Counts the instructions of one compile: runs this program (`args`, with
/// [`CHILD_ENV`] set to `peer`) under callgrind, which writes `out`; the child
/// compiles `n` times in [`callgrind_measured`].
pub fn instructions_per_compile(
    args: &[String],
    peer: &str,
    n: u32,
    out: &Path,
) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding the bench's program: {e}"))?;
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--toggle-collect={MEASURED}"))
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(args)
        .env(CHILD_ENV, peer)
        .output()
        .map_err(|e| format!("running valgrind (is it installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "valgrind for {peer} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text =
        std::fs::read_to_string(out).map_err(|e| format!("reading {}: {e}", out.display()))?;
    let total = totals(&text).ok_or_else(|| format!("{}: no totals line", out.display()))?;
    Ok(total / u64::from(n.max(1)))
}

/// The instruction total of a callgrind output file.
fn totals(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Where the callgrind output of `policy` compiled by `peer` goes.
pub fn out_file(work: &Path, policy: &str, peer: &str) -> PathBuf {
    work.join(format!("callgrind-{policy}-{peer}.out"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_read_from_either_line() {
        let file = "version: 1\ncreator: callgrind\nevents: Ir\nsummary: 12345\n\nfn=x\n";
        assert_eq!(totals(file), Some(12345));
        assert_eq!(totals("events: Ir\ntotals: 987 0\n"), Some(987));
        assert_eq!(totals("events: Ir\n"), None);
    }

    #[test]
    fn the_measured_function_runs_n_times_and_stops_on_error() {
        let mut calls = 0;
        let len = callgrind_measured(5, &mut || {
            calls += 1;
            Ok(calls * 2)
        })
        .unwrap();
        assert_eq!((calls, len), (5, 10));
        assert!(callgrind_measured(3, &mut || Err("no".into())).is_err());
    }
}
