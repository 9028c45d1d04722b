//! `seccompy trace`: learn the smallest profile that lets a command run.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use lexopt::prelude::*;
use seccompy::unotify::{self, Response, Supervisor};
use seccompy_bpf::oci::ScmpArch;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{BPF_K, BPF_RET, SECCOMP_RET_USER_NOTIF, sock_filter};

use crate::args;
use crate::error::{Error, Result};
use crate::supervise::{self, Ended, Signals};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a command and write the smallest profile allowing that run";

/// `seccompy trace --help`.
pub const HELP: &str = "\
seccompy trace: learn a seccomp profile from a run of a command

Usage: seccompy trace -o PROFILE.json [--arch ARCH] [--] CMD [ARG...]

Runs CMD with a filter that sends every system call, of every ABI, to a
supervisor in seccompy (user notification), which counts it and lets it run
(SECCOMP_USER_NOTIF_FLAG_CONTINUE). The filter is installed just before
execve, which is counted too; CMD's threads and children inherit it, so they
are followed. Nothing else runs under the filter: seccompy's own calls between
fork and exec are not in the profile.

Then writes the smallest OCI profile that lets the same run happen: the names
seen in one ALLOW rule, defaultAction SCMP_ACT_ERRNO with errnoRet 1 (EPERM),
and the architectures seen (ARCH's first). Prints the count of each call on
standard error. Exits with CMD's status (128 + N for a signal). The profile's
file is opened before CMD runs; if CMD cannot be executed, no profile is
written. Signals are passed on to CMD as by `seccompy run`.

The kernel allows one listener per filter chain: trace cannot run under
another seccomp supervisor (a trace, a run --log-denied, a container runtime's
notifier).

Tracing is for learning, not for enforcement: calls run unchecked, and what
one run does is not all a program may do (error paths, other inputs).

Options:
  -o, --output FILE  the profile to write (- is standard output)
  --arch ARCH        the ABI the profile is for (default: this machine's)
  -h, --help         print this help
  -V, --version      print the version

Example:
  seccompy trace -o ls.json -- ls /
  seccompy run --profile ls.json -- ls /";

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut output: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut command: Option<(OsString, Vec<OsString>)> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = args::standard_option(&arg, HELP, out) {
            return done;
        }
        match arg {
            Short('o') | Long("output") => output = Some(args::path(parser.value()?)),
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Value(cmd) => {
                command = Some((cmd, parser.raw_args()?.collect()));
                break;
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let output = args::required(output, "the profile to write (-o PROFILE.json)")?;
    let (cmd, rest) = args::required(command, "the command to trace (-- CMD [ARG...])")?;
    let abi = args::abi_or_host(abi)?;
    let program = supervise::find_program(&cmd)?;
    let argv = supervise::c_args(&cmd, &rest)?;
    // The profile's file is opened before the command runs: a run whose
    // profile cannot be written is not started.
    let mut output = Output::open(&output)?;
    // Before any thread: every thread inherits the mask, and only the waiting
    // loop takes the signals, to pass them on.
    let signals = Signals::block()?;
    // Every call of every ABI goes to the supervisor.
    let filter = [sock_filter {
        code: BPF_RET | BPF_K,
        jt: 0,
        jf: 0,
        k: SECCOMP_RET_USER_NOTIF,
    }];
    let unotify::ExecChild {
        pid,
        listener,
        exec,
        ..
    } = if output.file.is_none() {
        // -o -: the profile alone on standard output, the command's own
        // output on standard error.
        supervise::with_stdout_on_stderr(|| {
            supervise::start(&program, &argv, &filter, seccompy::FilterFlags::empty())
        })?
    } else {
        supervise::start(&program, &argv, &filter, seccompy::FilterFlags::empty())?
    };
    let seen: Mutex<BTreeMap<(u32, u32), u64>> = Mutex::new(BTreeMap::new());
    let done = AtomicBool::new(false);
    let (ended, result) = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let ended = signals.wait(pid)?;
            signals.linger(ended, &done);
            Ok::<_, Error>(ended)
        });
        let result = Supervisor::new(listener).workers(2).run(|req| {
            *seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((req.arch, req.nr as u32))
                .or_default() += 1;
            Response::continue_unchecked()
        });
        done.store(true, Ordering::Release);
        (waiter.join(), result)
    });
    let ended = ended.map_err(|_| Error::new("internal error: the waiting thread panicked"))??;
    if let Err(e) = result {
        return Err(Error::new(format!("supervising the command: {e}")));
    }
    if ended == Ended::Exited(126)
        && let Some(e) = exec.error()
    {
        // What ran was seccompy's own failure path, not the command: no profile.
        return Err(supervise::cannot_run(&cmd, &e));
    }
    let seen = seen.into_inner().unwrap_or_else(|e| e.into_inner());
    let learned = learn(abi, &seen);
    for line in &learned.summary {
        eprintln!("{line}");
    }
    output.write(learned.to_json().as_bytes(), out)?;
    match ended {
        Ended::Exited(0) => Ok(()),
        other => Err(Error::Exit(other.code())),
    }
}

/// The profile's destination, opened before the run.
struct Output {
    /// The file (`None`: standard output) and its path.
    file: Option<(std::fs::File, PathBuf)>,
    /// Whether this run created the file, to remove if no profile comes.
    created: bool,
}

impl Output {
    fn open(path: &std::path::Path) -> Result<Output> {
        if args::is_dash(path) {
            return Ok(Output {
                file: None,
                created: false,
            });
        }
        let created = !path.exists();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
        Ok(Output {
            file: Some((file, path.to_path_buf())),
            created,
        })
    }

    /// Replaces the file's contents with `bytes` (or writes them to `out`).
    fn write(&mut self, bytes: &[u8], out: &mut dyn Write) -> Result<()> {
        let Some((file, path)) = &mut self.file else {
            return out.write_all(bytes).map_err(|e| Error::stdout(&e));
        };
        self.created = false;
        file.set_len(0)
            .and_then(|()| file.write_all(bytes))
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if self.created
            && let Some((_, path)) = &self.file
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// What a run taught.
struct Learned {
    /// `SCMP_ARCH_*` names, the target's first.
    arches: Vec<&'static str>,
    /// Syscall names, sorted.
    names: Vec<&'static str>,
    /// Lines for standard error.
    summary: Vec<String>,
}

/// The profile for the calls `seen` ((audit arch, nr) → count), for `target`.
fn learn(target: Abi, seen: &BTreeMap<(u32, u32), u64>) -> Learned {
    let mut names: Vec<&'static str> = Vec::new();
    let mut arches: Vec<&'static str> = ScmpArch::of_abi(target)
        .map(|a| a.as_str())
        .into_iter()
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut unnamed = Vec::new();
    for (&(arch, nr), &count) in seen {
        let Some(abi) = Abi::of_call(arch, nr) else {
            unnamed.push(format!(
                "seccompy: call {nr} of unknown arch {arch:#x} ({count}x) is not in the profile"
            ));
            continue;
        };
        let Some(name) = abi.syscall_name(nr) else {
            unnamed.push(format!(
                "seccompy: {} call number {nr} has no name ({count}x) and is not in the profile",
                abi.name()
            ));
            continue;
        };
        if let Some(a) = ScmpArch::of_abi(abi).map(|a| a.as_str())
            && !arches.contains(&a)
        {
            arches.push(a);
        }
        if !names.contains(&name) {
            names.push(name);
        }
        let label = if abi == target {
            name.to_string()
        } else {
            format!("{name}@{}", abi.name())
        };
        *counts.entry(label).or_default() += count;
    }
    names.sort_unstable();
    let total: u64 = counts.values().sum();
    let mut by_count: Vec<(String, u64)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut summary = vec![format!(
        "seccompy: {total} calls of {} syscalls:",
        by_count.len()
    )];
    summary.extend(by_count.iter().map(|(n, c)| format!("{c:>9}  {n}")));
    summary.extend(unnamed);
    Learned {
        arches,
        names,
        summary,
    }
}

impl Learned {
    /// The OCI profile, as JSON.
    fn to_json(&self) -> String {
        let quoted = |v: &[&str]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut names = String::new();
        for chunk in self.names.chunks(6) {
            names.push_str(&format!("\n        {},", quoted(chunk)));
        }
        names.pop();
        format!(
            "{{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n  \
             \"architectures\": [{}],\n  \"syscalls\": [\n    {{\n      \"names\": [{names}\n      ],\n      \
             \"action\": \"SCMP_ACT_ALLOW\"\n    }}\n  ]\n}}\n",
            quoted(&self.arches)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_bpf::oci::Profile;
    use seccompy_sys::{AUDIT_ARCH_I386, AUDIT_ARCH_X86_64};

    #[test]
    fn minus_one_is_counted_as_x86_64() {
        let seen = BTreeMap::from([((AUDIT_ARCH_X86_64, u32::MAX), 1)]);
        let l = learn(Abi::X86_64, &seen);
        assert_eq!(
            l.summary.last().unwrap(),
            "seccompy: x86_64 call number 4294967295 has no name (1x) and is not in the profile"
        );
    }

    #[test]
    fn learned_profile_parses_and_names_every_call() {
        let read = Abi::X86_64.syscall_nr("read").unwrap();
        let exit = Abi::X86_64.syscall_nr("exit_group").unwrap();
        let i386_getpid = Abi::I386.syscall_nr("getpid").unwrap();
        let seen = BTreeMap::from([
            ((AUDIT_ARCH_X86_64, read), 5),
            ((AUDIT_ARCH_X86_64, exit), 1),
            ((AUDIT_ARCH_I386, i386_getpid), 2),
            ((AUDIT_ARCH_X86_64, 5000), 1),
        ]);
        let l = learn(Abi::X86_64, &seen);
        assert_eq!(l.names, ["exit_group", "getpid", "read"]);
        assert_eq!(l.arches, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]);
        assert_eq!(l.summary[0], "seccompy: 8 calls of 3 syscalls:");
        assert_eq!(l.summary[1].trim(), "5  read");
        assert!(
            l.summary
                .last()
                .unwrap()
                .contains("number 5000 has no name")
        );
        let profile = Profile::from_json(&l.to_json()).unwrap();
        assert_eq!(profile.default_action.as_deref(), Some("SCMP_ACT_ERRNO"));
        assert_eq!(profile.default_errno_ret, Some(1));
        let rules = profile.syscalls.unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules[0].names.as_deref().unwrap(),
            ["exit_group", "getpid", "read"]
        );
    }
}
