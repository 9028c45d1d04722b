//! `cargo xtask bench-bpf`: seccompy's compiler side by side with libseccomp (both
//! optimisation levels) and seccompiler, on Docker's default profile and two more
//! policies. A benchmark that prints a table, never a timed test.
//!
//! For each policy and peer: the program's length; the most and the mean
//! instructions executed over syscall numbers 0..1023 with zero arguments under
//! `AUDIT_ARCH_X86_64`; how many syscalls the kernel's action cache would skip the
//! filter for (out of those the program allows whatever the arguments, over the
//! x86_64 and i386 tables); the median compile time; and the calls on which the
//! program decides differently from libseccomp's (linear) program. Every program
//! metric comes from seccompy-bpf's emulator and cache model, the same code for
//! every peer.
//!
//! Options: `--runs N` (timed builds of libseccomp per level; the in-process
//! peers get ten times as many), `--only NAME` (one policy), `--spec FILE` (also
//! benchmark a filter written in the text form of `bench::spec`), `--callgrind`
//! (instead of the table: the instructions one compile costs seccompy and
//! seccompiler, counted by valgrind's callgrind over `N` compiles, which a
//! loaded machine does not disturb; see `bench::callgrind`).
//!
//! Every program is left in `target/bench-bpf/` (`<policy>-seccompy.bpf`,
//! `<policy>-libseccomp-1.bpf` and `-2.bpf`, `<policy>-seccompiler.bpf`; raw
//! little-endian `sock_filter` records) for `seccompy disasm` or other benchmarks.
//!
//! Timings need an optimised build: run from a debug build, the task re-runs itself
//! with `cargo run --release`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use seccompy_bpf::Insn;
use seccompy_bpf::Program;
use seccompy_bpf::action::RetValue;
use seccompy_bpf::oci::{CapSet, Profile, ResolveOptions};
use seccompy_sys::SECCOMP_RET_ERRNO;
use seccompy_sys::syscalls::Abi;

use crate::bench::callgrind;
use crate::bench::docker;
use crate::bench::equiv::{self, Probe};
use crate::bench::libseccomp::{self, Optimize};
use crate::bench::metrics;
use crate::bench::report::{self, Head, Measured};
use crate::bench::spec::Spec;
use crate::bench::{policies, seccompiler_peer, seccompy_peer};

/// The environment variable that marks the release re-run.
pub(crate) const REEXEC_ENV: &str = "SECCOMPY_BENCH_RELEASE";

struct Options {
    runs: u32,
    only: Option<String>,
    extra: Vec<PathBuf>,
    callgrind: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        runs: 21,
        only: None,
        extra: Vec::new(),
        callgrind: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--runs" => {
                o.runs = value()?
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or("--runs needs a positive number")?;
            }
            "--only" => o.only = Some(value()?.clone()),
            "--spec" => o.extra.push(PathBuf::from(value()?)),
            "--callgrind" => o.callgrind = true,
            other => {
                return Err(format!(
                    "bench-bpf: unknown option {other:?} (--runs N, --only NAME, --spec FILE, \
                     --callgrind)"
                ));
            }
        }
    }
    Ok(o)
}

/// One policy to benchmark.
struct Case {
    name: String,
    title: String,
    spec: Spec,
    /// For a profile: the parsed profile and the machine it is resolved for, so
    /// that seccompy goes through its own OCI resolver (otherwise it compiles the
    /// policy the spec means, `bench::seccompy_peer`).
    oci: Option<OciInput>,
}

struct OciInput {
    profile: Profile,
    opts: ResolveOptions,
}

impl OciInput {
    /// seccompy's whole path from the parsed profile: resolve, policy, program.
    fn compile(&self) -> Result<Program, String> {
        let resolved = self
            .profile
            .resolve(&self.opts)
            .map_err(|e| format!("resolve: {e}"))?
            .ok_or("the profile installs no filter")?;
        resolved
            .to_policy()
            .map_err(|e| format!("to_policy: {e}"))?
            .compile()
            .map_err(|e| format!("compile: {e}"))
    }
}

/// One peer's program for a case.
struct Column {
    name: &'static str,
    /// Whether the peer expresses the whole spec (all ABIs, all actions): only
    /// those compete for "best peer".
    full: bool,
    /// The ABIs the program is meant for (the decision check is limited to them).
    scope: Vec<Abi>,
    prog: Vec<Insn>,
    times_ns: Vec<u64>,
    /// Whether the program includes runc's ENOSYS stub (so it is compared with
    /// libseccomp's program behind that stub).
    with_stub: bool,
}

pub fn run(args: &[String]) -> Result<(), String> {
    if cfg!(debug_assertions) && std::env::var_os(REEXEC_ENV).is_none() {
        return rerun_release("bench-bpf", args);
    }
    let opts = parse_options(args)?;
    let t0 = std::time::Instant::now();
    let work = crate::workspace_root().join("target").join("bench-bpf");
    let cases = cases(&opts)?;
    if let Some(peer) = std::env::var_os(callgrind::CHILD_ENV) {
        return callgrind_child(&cases, &peer.to_string_lossy(), opts.runs);
    }
    if opts.callgrind {
        return callgrind_report(&cases, args, &work, opts.runs);
    }
    let peer = libseccomp::Peer::build(&work)?;

    let mut report = String::new();
    let mut version = String::new();
    for case in &cases {
        let (text, v) = bench_case(case, &peer, opts.runs)?;
        version = v;
        report.push_str(&text);
    }
    println!(
        "bench-bpf: libseccomp {version} (runc's rule mapping), seccompiler 0.5, seccompy {}; \
         compile times are medians of {} runs (libseccomp) and {} runs (in-process peers)\n",
        env!("CARGO_PKG_VERSION"),
        opts.runs,
        opts.runs * 10
    );
    print!("{report}");
    println!("(bench took {:.1} s)", t0.elapsed().as_secs_f64());
    Ok(())
}

/// The policies the bench runs, as `opts` selects them.
fn cases(opts: &Options) -> Result<Vec<Case>, String> {
    let mut cases = vec![docker_case()?];
    cases.extend([
        Case {
            name: "app-lockdown".into(),
            title:
                "a small allow-list (65 calls, no argument checks), x86_64, KILL_PROCESS otherwise"
                    .into(),
            spec: policies::app_lockdown(),
            oci: None,
        },
        Case {
            name: "arg-heavy".into(),
            title: "a large argument-heavy allow-list (VMM-style, every operator), x86_64".into(),
            spec: policies::arg_heavy(),
            oci: None,
        },
    ]);
    for path in &opts.extra {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let spec = Spec::from_text(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .map_or_else(|| "spec".into(), |s| s.to_string_lossy().into_owned());
        cases.push(Case {
            title: format!("from {}", path.display()),
            name,
            spec,
            oci: None,
        });
    }
    if let Some(only) = &opts.only {
        cases.retain(|c| &c.name == only);
        if cases.is_empty() {
            return Err(format!("no policy named {only:?}"));
        }
    }
    Ok(cases)
}

/// The path seccompy takes for `case`: its OCI resolver for a profile, unless
/// that fails (the error), else the policy the spec means.
fn seccompy_path(case: &Case) -> (Option<&OciInput>, Option<String>) {
    match &case.oci {
        Some(oci) => match oci.compile() {
            Ok(_) => (Some(oci), None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    }
}

/// seccompy's whole compile of `spec`, through `via_oci` if given (what is timed).
fn seccompy_compile(spec: &Spec, via_oci: Option<&OciInput>) -> Result<Program, String> {
    match via_oci {
        Some(oci) => oci.compile(),
        None => seccompy_peer::policy(spec)?
            .compile()
            .map_err(|e| format!("seccompy compile: {e}")),
    }
}

/// The callgrind child: compiles each case with `peer` `runs` times inside the
/// function callgrind counts.
fn callgrind_child(cases: &[Case], peer: &str, runs: u32) -> Result<(), String> {
    for case in cases {
        let mut compile: Box<dyn FnMut() -> Result<usize, String>> = match peer {
            "seccompy" => {
                let (via_oci, _) = seccompy_path(case);
                Box::new(move || seccompy_compile(&case.spec, via_oci).map(|p| p.len()))
            }
            "seccompiler" => Box::new(|| {
                seccompiler_peer::map(&case.spec)?
                    .compile()
                    .map(|p| p.len())
            }),
            other => return Err(format!("no peer {other:?} to count")),
        };
        // Warm up (lazily built tables), then count.
        compile()?;
        callgrind::callgrind_measured(runs, &mut *compile)?;
    }
    Ok(())
}

/// `--callgrind`: the instructions one compile costs seccompy and seccompiler
/// on each case, and their ratio.
fn callgrind_report(cases: &[Case], args: &[String], work: &Path, runs: u32) -> Result<(), String> {
    std::fs::create_dir_all(work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    println!(
        "bench-bpf --callgrind: instructions per compile (valgrind's callgrind, {runs} compiles \
         after one warm-up; whole paths as the timed bench: seccompy from the parsed profile \
         or the spec, seccompiler from the spec)\n"
    );
    println!(
        "{:<16} {:>14} {:>14} {:>9}",
        "policy", "seccompy", "seccompiler", "ratio"
    );
    for case in cases {
        // The child gets this run's options, limited to this case.
        let mut child_args = vec!["bench-bpf".to_owned()];
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--callgrind" => {}
                "--only" => {
                    it.next();
                }
                _ => child_args.push(a.clone()),
            }
        }
        child_args.extend(["--only".to_owned(), case.name.clone()]);
        let mut counts = [0u64; 2];
        for (count, peer) in counts.iter_mut().zip(["seccompy", "seccompiler"]) {
            let out = callgrind::out_file(work, &case.name, peer);
            *count = callgrind::instructions_per_compile(&child_args, peer, runs, &out)?;
        }
        println!(
            "{:<16} {:>14} {:>14} {:>8.2}x",
            case.name,
            counts[0],
            counts[1],
            counts[0] as f64 / counts[1] as f64
        );
    }
    println!(
        "\n(where they go: callgrind_annotate {})",
        callgrind::out_file(work, "<policy>", "<peer>").display()
    );
    Ok(())
}

/// Docker's default profile, resolved as Docker on x86_64 with its default
/// capabilities on the running kernel hands it to runc.
fn docker_case() -> Result<Case, String> {
    let path = crate::workspace_root().join("profiles/docker-default.json");
    let json =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let profile = Profile::from_json(&json).map_err(|e| format!("{}: {e}", path.display()))?;
    let kernel = docker::running_kernel()?;
    let spec = docker::spec(&profile, Abi::X86_64, &CapSet::docker_default(), kernel)?;
    Ok(Case {
        name: "docker-default".into(),
        title: format!(
            "Docker's default profile on amd64, default capabilities, kernel {}.{}",
            kernel.major, kernel.minor
        ),
        spec,
        oci: Some(OciInput {
            profile,
            opts: ResolveOptions::new(Abi::X86_64, kernel),
        }),
    })
}

/// Docker's default profile as this bench builds it, for other benchmarks: the
/// case's title, the spec the libseccomp peer is handed, and seccompy's program
/// through its OCI path.
pub(crate) fn docker_default() -> Result<(String, Spec, Program), String> {
    let case = docker_case()?;
    let oci = case.oci.as_ref().ok_or("docker-default has no OCI input")?;
    let program = oci
        .compile()
        .map_err(|e| format!("seccompy's OCI path: {e}"))?;
    Ok((case.title, case.spec, program))
}

/// Re-runs `task` from a release build (timings of a debug build mean nothing);
/// the release run sees [`REEXEC_ENV`] set.
pub(crate) fn rerun_release(task: &str, args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("{task}: re-running with --release for meaningful timings");
    let status = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "xtask",
            "--",
            task,
        ])
        .args(args)
        .env(REEXEC_ENV, "1")
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the release run failed ({status})"))
    }
}

fn build_columns(
    case: &Case,
    peer: &libseccomp::Peer,
    runs: u32,
) -> Result<(Vec<Column>, libseccomp::Build, Vec<String>), String> {
    let spec = &case.spec;
    let mut notes = Vec::new();
    let mut columns = Vec::new();

    // seccompy: through its OCI resolver for a profile, else from the spec; timed
    // as a whole.
    let (via_oci, oci_error) = seccompy_path(case);
    if let Some(e) = oci_error {
        notes.push(format!(
            "seccompy: its OCI path fails ({e}), so it is built from the bench's \
             Docker-stage spec instead (bench::seccompy_peer: whole-argument conditions \
             on every 64-bit ABI, x32 included; no runc ENOSYS stub)"
        ));
    }
    let (times, prog) = metrics::time_runs(runs * 10, || seccompy_compile(spec, via_oci))?;
    columns.push(Column {
        name: "seccompy",
        full: true,
        scope: spec.abis.clone(),
        prog: prog.into_insns(),
        times_ns: times,
        with_stub: via_oci.is_some(),
    });
    if via_oci.is_some() {
        notes.push(
            "seccompy's program includes runc's ENOSYS stub; the libseccomp columns are \
             libseccomp's export alone (runc prepends its stub to it), and are compared \
             with seccompy behind that stub"
                .into(),
        );
    }

    // libseccomp, both levels
    let linear = peer.run(spec, Optimize::Linear, runs, &case.name)?;
    let tree = peer.run(spec, Optimize::Tree, runs, &case.name)?;
    if !linear.unknown.is_empty() {
        notes.push(format!(
            "libseccomp {} does not know {} (runc drops those rules; seccompy's tables have them)",
            linear.version,
            linear.unknown.join(", ")
        ));
    }
    if !linear.same_as_default.is_empty() {
        notes.push(format!(
            "rules with the default action left out (as runc does): {}",
            linear.same_as_default.join(", ")
        ));
    }
    if !linear.split.is_empty() {
        notes.push(format!(
            "rules testing one argument twice split (as runc does): {}",
            linear.split.join(", ")
        ));
    }

    columns.push(Column {
        name: "libseccomp-linear",
        full: true,
        scope: spec.abis.clone(),
        prog: linear.program.insns().to_vec(),
        times_ns: linear.times_ns.clone(),
        with_stub: false,
    });
    columns.push(Column {
        name: "libseccomp-tree",
        full: true,
        scope: spec.abis.clone(),
        prog: tree.program.insns().to_vec(),
        times_ns: tree.times_ns.clone(),
        with_stub: false,
    });

    // seccompiler
    match seccompiler_peer::map(spec) {
        Ok(mapped) => {
            let (times, prog) =
                metrics::time_runs(runs * 10, || seccompiler_peer::map(spec)?.compile())?;
            let only_x86_64 = spec.abis != [Abi::X86_64];
            let full = !only_x86_64 && mapped.dropped.is_empty();
            if !full {
                let mut what = Vec::new();
                if only_x86_64 {
                    what.push("x86_64 only (its arch check kills other arches)".to_owned());
                }
                if !mapped.dropped.is_empty() {
                    what.push(format!(
                        "one match action, so these rules are left out: {}",
                        mapped.dropped.join(", ")
                    ));
                }
                notes.push(format!("seccompiler*: {}", what.join("; ")));
            }
            if !mapped.unknown.is_empty() {
                notes.push(format!(
                    "seccompiler: names with no x86_64 number left out: {}",
                    mapped.unknown.len()
                ));
            }
            columns.push(Column {
                name: if full { "seccompiler" } else { "seccompiler*" },
                full,
                scope: vec![Abi::X86_64],
                prog,
                times_ns: times,
                with_stub: false,
            });
        }
        Err(e) => notes.push(format!("seccompiler: not run ({e})")),
    }

    Ok((columns, linear, notes))
}

fn bench_case(case: &Case, peer: &libseccomp::Peer, runs: u32) -> Result<(String, String), String> {
    let (columns, linear, mut notes) = build_columns(case, peer, runs)?;
    for c in columns.iter().filter(|c| !c.name.starts_with("libseccomp")) {
        let file = peer.work_dir().join(format!(
            "{}-{}.bpf",
            case.name,
            c.name.trim_end_matches('*')
        ));
        std::fs::write(&file, Program::new(c.prog.clone()).to_bytes())
            .map_err(|e| format!("writing {}: {e}", file.display()))?;
    }
    let probes = equiv::probes(&case.spec, 0x5eed_cafe);
    let table_gap = equiv::table_gap(&linear.unknown, &linear.absent);
    let reference = equiv::decide(linear.program.insns(), &probes)?;
    // The same behind runc's ENOSYS stub, as seccompy-bpf's oci module models it,
    // and that module's own decisions (a check of the model against libseccomp).
    let resolved = match &case.oci {
        Some(oci) => oci
            .profile
            .resolve(&oci.opts)
            .map_err(|e| format!("{}: resolve: {e}", case.name))?,
        None => None,
    };
    let stub = resolved.as_ref().and_then(|r| r.enosys.as_ref());
    let with_stub: Vec<u32> = probes
        .iter()
        .zip(&reference)
        .map(
            |(p, &r)| match stub.filter(|s| s.enosys(p.data.arch, p.data.nr as u32)) {
                Some(s) => SECCOMP_RET_ERRNO | u32::from(s.errno),
                None => r,
            },
        )
        .collect();
    if let Some(r) = &resolved {
        let model: Vec<u32> = probes
            .iter()
            .map(|p| r.evaluate(&p.data).to_raw())
            .collect();
        let bad = equiv::mismatches(&probes, &with_stub, &model);
        let gap = bad
            .iter()
            .filter(|m| equiv::probe_key(&m.probe).is_some_and(|k| table_gap.contains(&k)))
            .count();
        notes.push(format!(
            "model check: seccompy-bpf's oci::Resolved decides like libseccomp-linear behind \
             runc's stub on all but {} of the {} calls ({gap} of those in the table gap)",
            bad.len(),
            probes.len()
        ));
        for m in bad
            .iter()
            .filter(|m| !equiv::probe_key(&m.probe).is_some_and(|k| table_gap.contains(&k)))
            .take(3)
        {
            let d = &m.probe.data;
            notes.push(format!(
                "oci::Resolved differs: arch {:#x} nr {:#x} args {:x?}: {} vs {}",
                d.arch,
                d.nr,
                d.args,
                RetValue(m.right),
                RetValue(m.left)
            ));
        }
    }

    let mut measured = Vec::new();
    for col in &columns {
        let decisions = equiv::decide(&col.prog, &probes)
            .map_err(|e| format!("{} on {}: {e}", col.name, case.name))?;
        let (cached, always_allowed) = metrics::cache_counts(&col.prog, &probes, &decisions);
        let mismatches = (col.name != "libseccomp-linear").then(|| {
            let in_scope = |p: &Probe| match p.abi {
                Some(a) => col.scope.contains(&a),
                None => col.full,
            };
            let reference = if col.with_stub {
                &with_stub
            } else {
                &reference
            };
            let bad: Vec<equiv::Mismatch> = equiv::mismatches(&probes, reference, &decisions)
                .into_iter()
                .filter(|m| in_scope(&m.probe))
                .collect();
            let (gap, real): (Vec<&equiv::Mismatch>, Vec<&equiv::Mismatch>) = bad
                .iter()
                .partition(|m| equiv::probe_key(&m.probe).is_some_and(|k| table_gap.contains(&k)));
            if !real.is_empty() {
                let mut by_abi: BTreeMap<&str, usize> = BTreeMap::new();
                for m in &real {
                    *by_abi
                        .entry(m.probe.abi.map_or("other arches", Abi::name))
                        .or_default() += 1;
                }
                let list: Vec<String> = by_abi.iter().map(|(a, n)| format!("{a} {n}")).collect();
                notes.push(format!(
                    "{} mismatches beyond the table gap, by ABI: {}",
                    col.name,
                    list.join(", ")
                ));
            }
            for m in real.iter().take(3) {
                let d = &m.probe.data;
                notes.push(format!(
                    "{} differs from libseccomp-linear: arch {:#x} nr {:#x} args {:x?}: {} vs {}",
                    col.name,
                    d.arch,
                    d.nr,
                    d.args,
                    RetValue(m.right),
                    RetValue(m.left)
                ));
            }
            (bad.len(), gap.len())
        });
        measured.push(Measured {
            len: col.prog.len(),
            path: metrics::path_stats(&col.prog, Abi::X86_64)
                .map_err(|e| format!("{} on {}: {e}", col.name, case.name))?,
            cached,
            always_allowed,
            median_ns: metrics::median(&col.times_ns).unwrap_or(f64::NAN),
            mismatches,
        });
    }

    let mut out = String::new();
    let abis: Vec<&str> = case.spec.abis.iter().map(|a| a.name()).collect();
    writeln!(
        out,
        "== {} ({}): {}",
        case.name,
        abis.join(" + "),
        case.title
    )
    .unwrap();
    let heads: Vec<Head> = columns
        .iter()
        .map(|c| Head {
            name: c.name,
            full: c.full,
        })
        .collect();
    out.push_str(&report::table(&heads, &measured));
    writeln!(
        out,
        "  (decisions compared with libseccomp-linear on {} calls: x86_64, i386 and x32 \
         numbers 0..1023 with sampled arguments, plus other arches; \"gap\": calls of names \
         seccompy's tables have and libseccomp's lack, on that ABI or at all, whose rules runc \
         drops)",
        probes.len()
    )
    .unwrap();
    for n in &notes {
        writeln!(out, "  note: {n}").unwrap();
    }
    if case.name == "docker-default" && columns[0].name == "seccompy" {
        out.push_str(&report::targets_line(&measured[0]));
    }
    out.push('\n');
    Ok((out, linear.version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_parsed_and_checked() {
        let o = parse_options(&[]).unwrap();
        assert_eq!(
            (o.runs, o.only.is_none(), o.extra.len(), o.callgrind),
            (21, true, 0, false)
        );
        let args: Vec<String> = [
            "--runs",
            "5",
            "--only",
            "arg-heavy",
            "--spec",
            "a.spec",
            "--callgrind",
        ]
        .map(String::from)
        .to_vec();
        let o = parse_options(&args).unwrap();
        assert_eq!(o.runs, 5);
        assert_eq!(o.only.as_deref(), Some("arg-heavy"));
        assert_eq!(o.extra, [PathBuf::from("a.spec")]);
        assert!(o.callgrind);
        for bad in [
            &["--runs"][..],
            &["--runs", "0"],
            &["--runs", "x"],
            &["--fast"],
        ] {
            let args: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(parse_options(&args).is_err(), "{bad:?}");
        }
    }
}
