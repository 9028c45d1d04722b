//! The libseccomp peer: Debian's `libseccomp-dev` (installed when missing) and a
//! small C program, `xtask/bench-c/libseccomp_peer.c`, that builds a [`Spec`] the way
//! runc does and exports the program with `seccomp_export_bpf`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use seccompy_bpf::{Insn, Program};

use seccompy_sys::syscalls::Abi;

use super::spec::{Spec, abi_from_libseccomp_name};

/// libseccomp's optimisation level (`SCMP_FLTATR_CTL_OPTIMIZE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Optimize {
    /// Level 1, the default: a linear list of syscall checks per arch.
    Linear,
    /// Level 2: a binary tree over the syscall numbers (libseccomp >= 2.5).
    Tree,
}

impl Optimize {
    fn level(self) -> &'static str {
        match self {
            Optimize::Linear => "1",
            Optimize::Tree => "2",
        }
    }
}

/// What one run of the C peer produced.
#[derive(Clone, Debug)]
pub struct Build {
    /// The exported program.
    pub program: Program,
    /// libseccomp's version, `MAJOR.MINOR.MICRO`.
    pub version: String,
    /// Names libseccomp does not know (runc skips those rules).
    pub unknown: Vec<String>,
    /// Names libseccomp knows, but not on this ABI of the filter.
    pub absent: Vec<(Abi, String)>,
    /// Names of rules skipped because their action is the default one.
    pub same_as_default: Vec<String>,
    /// Names whose conditions were split into one rule each.
    pub split: Vec<String>,
    /// Nanoseconds of each timed build + export.
    pub times_ns: Vec<u64>,
}

/// The compiled C peer, ready to run.
#[derive(Debug)]
pub struct Peer {
    exe: PathBuf,
    work: PathBuf,
}

impl Peer {
    /// Installs libseccomp-dev if needed and compiles the C peer under `work`.
    pub fn build(work: &Path) -> Result<Peer, String> {
        super::deb::ensure("libseccomp-dev")?;
        std::fs::create_dir_all(work).map_err(|e| format!("creating {}: {e}", work.display()))?;
        let src = crate::workspace_root().join("xtask/bench-c/libseccomp_peer.c");
        let exe = work.join("libseccomp_peer");
        let mut cc = crate::c_compiler();
        let out = cc
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&src)
            .arg("-lseccomp")
            .output()
            .map_err(|e| format!("running {:?}: {e}", cc.get_program()))?;
        if !out.status.success() {
            return Err(format!(
                "{:?} failed on {}:\n{}",
                cc.get_program(),
                src.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(Peer {
            exe,
            work: work.to_path_buf(),
        })
    }

    /// The directory the peer and its programs live in.
    pub fn work_dir(&self) -> &Path {
        &self.work
    }

    /// Builds `spec` `runs` times at level `opt`; `tag` names the output file.
    pub fn run(&self, spec: &Spec, opt: Optimize, runs: u32, tag: &str) -> Result<Build, String> {
        let bpf = self
            .work
            .join(format!("{tag}-libseccomp-{}.bpf", opt.level()));
        let text = spec.to_text()?;
        let mut child = Command::new(&self.exe)
            .arg(opt.level())
            .arg(runs.max(1).to_string())
            .arg(&bpf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("running {}: {e}", self.exe.display()))?;
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .map_err(|e| format!("writing to the libseccomp peer: {e}"))?;
        let out = child
            .wait_with_output()
            .map_err(|e| format!("waiting for the libseccomp peer: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "libseccomp peer failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let bytes = std::fs::read(&bpf).map_err(|e| format!("reading {}: {e}", bpf.display()))?;
        let program = Program::from_bytes(&bytes).map_err(|e| format!("{}: {e}", bpf.display()))?;
        let mut build = parse_report(&String::from_utf8_lossy(&out.stdout))?;
        build.program = program;
        Ok(build)
    }
}

/// Reads the C peer's report (everything but the program).
pub fn parse_report(stdout: &str) -> Result<Build, String> {
    let mut b = Build {
        program: Program::new(Vec::<Insn>::new()),
        version: String::new(),
        unknown: Vec::new(),
        absent: Vec::new(),
        same_as_default: Vec::new(),
        split: Vec::new(),
        times_ns: Vec::new(),
    };
    for line in stdout.lines() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("version") => b.version = it.next().unwrap_or("").to_owned(),
            Some("unknown") => b.unknown.extend(it.next().map(str::to_owned)),
            Some("same-as-default") => b.same_as_default.extend(it.next().map(str::to_owned)),
            Some("split") => b.split.extend(it.next().map(str::to_owned)),
            Some("absent") => {
                let (Some(arch), Some(name)) = (it.next(), it.next()) else {
                    return Err(format!("bad line from the libseccomp peer: {line:?}"));
                };
                let abi = abi_from_libseccomp_name(arch)
                    .ok_or_else(|| format!("unknown arch {arch:?} from the libseccomp peer"))?;
                b.absent.push((abi, name.to_owned()));
            }
            Some("ns") => {
                b.times_ns = it
                    .map(|t| t.parse().map_err(|e| format!("bad time {t:?}: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            _ => {
                return Err(format!(
                    "unexpected line from the libseccomp peer: {line:?}"
                ));
            }
        }
    }
    if b.version.is_empty() || b.times_ns.is_empty() {
        return Err("the libseccomp peer's report lacks its version or times".to_owned());
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_parsed() {
        let b = parse_report(
            "version 2.5.4\nunknown mseal\nunknown uretprobe\nsame-as-default kill\nsplit futex\n\
             absent x32 map_shadow_stack\nabsent x86 chown\nns 10 30 20\n",
        )
        .unwrap();
        assert_eq!(b.version, "2.5.4");
        assert_eq!(b.unknown, ["mseal", "uretprobe"]);
        assert_eq!(b.same_as_default, ["kill"]);
        assert_eq!(b.split, ["futex"]);
        assert_eq!(
            b.absent,
            [
                (Abi::X32, "map_shadow_stack".to_owned()),
                (Abi::I386, "chown".to_owned())
            ]
        );
        assert_eq!(b.times_ns, [10, 30, 20]);
    }

    #[test]
    fn incomplete_or_garbled_reports_are_refused() {
        assert!(parse_report("version 2.5.4\n").is_err());
        assert!(parse_report("ns 1 2\n").is_err());
        assert!(parse_report("version 2.5.4\nns 1 x\n").is_err());
        assert!(parse_report("version 2.5.4\nns 1\nsurprise\n").is_err());
        assert!(parse_report("version 2.5.4\nns 1\nabsent x32\n").is_err());
        assert!(parse_report("version 2.5.4\nns 1\nabsent vax read\n").is_err());
    }
}
