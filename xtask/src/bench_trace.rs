//! `cargo xtask bench-trace`: what learning a profile costs. Real syscall-heavy
//! commands run untraced, under `strace -f -c`, and under `seccompy trace` in
//! its two modes, in the same run:
//!
//! - `notify`: every call is a user-notification round trip (the old mode);
//! - `tracefs`: execve and calls of other ABIs are notified, the rest are
//!   counted, with their learned arguments, by the kernel's
//!   `raw_syscalls:sys_enter` tracepoint in a private tracefs instance (needs
//!   root; without it the column says so).
//!
//! Commands: a file-tree walk (`find /usr -xdev`), an archive job (`tar` of
//! `/usr/include` into a pipe) and a compile job (`cc` on a small program,
//! four times). Runs alternate between the ways so that drift in the machine's
//! load hits them alike; each figure is the median wall time of the runs, and
//! the ratios are to the untraced median. The `tracefs` mode also has a fixed
//! cost per trace (creating the instance and its ring buffer; its removal is
//! left to a detached process), shown by tracing `true`. Options: `--runs R` (default 5). Debug builds are
//! re-run with `--release`; seccompy is built with `--release` first.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench_bpf;

/// How a command is run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    Untraced,
    Strace,
    Notify,
    Tracefs,
}

const WAYS: [Way; 4] = [Way::Untraced, Way::Strace, Way::Notify, Way::Tracefs];

impl Way {
    fn label(self) -> &'static str {
        match self {
            Way::Untraced => "untraced",
            Way::Strace => "strace -f -c",
            Way::Notify => "trace (notify, old)",
            Way::Tracefs => "trace (tracefs, new)",
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    if cfg!(debug_assertions) && std::env::var_os(bench_bpf::REEXEC_ENV).is_none() {
        return bench_bpf::rerun_release("bench-trace", args);
    }
    let mut runs = 5usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => {
                runs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&r| r > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            other => return Err(format!("bench-trace: unknown option {other}")),
        }
    }
    let root = crate::workspace_root();
    let seccompy = build_seccompy(&root)?;
    let scratch = root.join("target/bench-trace");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("creating {}: {e}", scratch.display()))?;
    let program = scratch.join("hello.c");
    std::fs::write(
        &program,
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .map_err(|e| format!("writing {}: {e}", program.display()))?;
    let compile = format!(
        "for i in 1 2 3 4; do cc -O1 -o {out} {src} || exit 1; done",
        out = scratch.join("hello").display(),
        src = program.display()
    );
    let commands: Vec<(&str, Vec<String>)> = vec![
        ("find /usr -xdev", argv(&["find", "/usr", "-xdev"])),
        (
            "tar c /usr/include | wc -c",
            argv(&["sh", "-c", "tar -cf - /usr/include 2>/dev/null | wc -c"]),
        ),
        ("cc hello.c, 4 times", argv(&["sh", "-c", &compile])),
        ("true (fixed cost)", argv(&["true"])),
    ];
    // Every column is measured in the same run, or the bench fails: the peer
    // is installed when missing, and the tracefs mode needs root.
    crate::bench::deb::ensure("strace")?;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err("bench-trace: the tracefs mode needs root (run it as root)".to_owned());
    }
    let ways: Vec<Way> = WAYS.to_vec();
    println!("bench-trace: median wall time of {runs} runs; ratio to untraced in parentheses\n");
    print!("{:<28}", "command");
    for w in &ways {
        print!("{:>24}", w.label());
    }
    println!();
    for (label, cmd) in &commands {
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); ways.len()];
        for _ in 0..runs {
            for (i, &w) in ways.iter().enumerate() {
                times[i].push(time(w, &seccompy, &scratch, cmd)?);
            }
        }
        let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
        print!("{label:<28}");
        for m in &medians {
            let ratio = m / medians[0];
            print!("{:>24}", format!("{:.3} s ({ratio:.2}x)", m));
        }
        println!();
    }
    Ok(())
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Builds the `seccompy` binary with `--release` and returns its path.
fn build_seccompy(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--package", "seccompy-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building seccompy failed ({status})"));
    }
    Ok(root.join("target/release/seccompy"))
}

/// Runs `cmd` one way and returns its wall time.
fn time(way: Way, seccompy: &Path, scratch: &Path, cmd: &[String]) -> Result<Duration, String> {
    let profile = scratch.join("profile.json");
    let mut c = match way {
        Way::Untraced => Command::new(&cmd[0]),
        Way::Strace => {
            let mut c = Command::new("strace");
            c.args(["-f", "-c", "-o", "/dev/null", "--"]).arg(&cmd[0]);
            c
        }
        Way::Notify | Way::Tracefs => {
            let mode = if way == Way::Notify {
                "notify"
            } else {
                "tracefs"
            };
            let mut c = Command::new(seccompy);
            c.args(["trace", "--mode", mode, "-o"])
                .arg(&profile)
                .arg("--")
                .arg(&cmd[0]);
            c
        }
    };
    c.args(&cmd[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = c
        .output()
        .map_err(|e| format!("running {}: {e}", cmd.join(" ")))?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{} ({}) failed: {}",
            cmd.join(" "),
            way.label(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(elapsed)
}

fn median(t: &mut [Duration]) -> f64 {
    t.sort_unstable();
    t[t.len() / 2].as_secs_f64()
}
