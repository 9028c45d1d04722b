//! `cargo xtask check-abi`: compares `seccompy-sys` with the kernel's UAPI headers.
//!
//! 1. The syscall tables are regenerated in memory and compared with the committed
//!    ones ([`crate::syscalls::check`]).
//! 2. A C probe, compiled by the C compiler ([`crate::c_compiler`]: `$CC`, else `cc`)
//!    against the unpacked headers for the host architecture, prints every constant, the size and alignment of every
//!    structure, and the offset and size of every field; each is compared with
//!    `seccompy-sys`'s value. So that a constant the headers add is not missed,
//!    every object-like macro of the [`COVERED`] headers that matches their
//!    selection must also exist on our side (all of `AUDIT_ARCH_*` and `SECCOMP_*`,
//!    for example).
//! 3. The listener ioctl numbers depend on the architecture's `asm/ioctl.h`: for
//!    each architecture directory of the headers, a small probe compiled with that
//!    architecture's `asm/ioctl.h` prints the `SECCOMP_IOCTL_NOTIF_*` numbers, which
//!    are compared with [`notif_ioctls`](seccompy_sys::notif_ioctls) of every ABI of
//!    that architecture.
//!
//! The comparison itself is the pure function [`compare`]. The probes take the header
//! directories as a [`HeaderDirs`]: the unit tests run them against the small fixture
//! tree of `xtask/fixtures/uapi/`; only `check-abi` needs the downloaded headers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use seccompy_sys as sys;
use sys::syscalls::Abi;

use crate::headers::HeaderDirs;

/// A value `seccompy-sys` defines, and the C expression that gives the header's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The name in reports; unique.
    pub name: String,
    /// Our value.
    pub ours: i128,
    /// The C expression for the header's value.
    pub c: String,
}

impl Item {
    fn new(name: impl Into<String>, ours: impl TryInto<i128>, c: impl Into<String>) -> Item {
        Item {
            name: name.into(),
            // Every value here fits; a value that did not would show as a mismatch.
            ours: ours.try_into().unwrap_or(i128::MIN),
            c: c.into(),
        }
    }

    /// A constant whose C name is its name.
    fn constant(name: &str, ours: impl TryInto<i128>) -> Item {
        Item::new(name, ours, name)
    }
}

/// One way `seccompy-sys` and the headers disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Both define it, with different values.
    Differs {
        /// The item's name.
        name: String,
        /// Our value.
        ours: i128,
        /// The header's value.
        theirs: i128,
    },
    /// The header defines it and `seccompy-sys` does not.
    MissingInOurs {
        /// The item's name.
        name: String,
        /// The header's value.
        theirs: i128,
    },
    /// `seccompy-sys` defines it and the probe did not print it.
    MissingInHeaders {
        /// The item's name.
        name: String,
        /// Our value.
        ours: i128,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Differs { name, ours, theirs } => {
                write!(
                    f,
                    "{name}: ours {ours} ({ours:#x}), headers {theirs} ({theirs:#x})"
                )
            }
            Mismatch::MissingInOurs { name, theirs } => {
                write!(f, "{name}: missing in seccompy-sys (headers {theirs:#x})")
            }
            Mismatch::MissingInHeaders { name, ours } => {
                write!(f, "{name}: not in the headers (ours {ours:#x})")
            }
        }
    }
}

/// Compares our `(name, value)` list with the headers': every name of either side
/// must be on the other with the same value. The result is sorted by name.
pub fn compare(ours: &[(String, i128)], theirs: &[(String, i128)]) -> Vec<Mismatch> {
    let ours: BTreeMap<&str, i128> = ours.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let theirs: BTreeMap<&str, i128> = theirs.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let names: BTreeSet<&str> = ours.keys().chain(theirs.keys()).copied().collect();
    names
        .into_iter()
        .filter_map(|name| {
            let n = name.to_owned();
            match (ours.get(name), theirs.get(name)) {
                (Some(&o), Some(&t)) if o != t => Some(Mismatch::Differs {
                    name: n,
                    ours: o,
                    theirs: t,
                }),
                (Some(_), Some(_)) | (None, None) => None,
                (None, Some(&t)) => Some(Mismatch::MissingInOurs { name: n, theirs: t }),
                (Some(&o), None) => Some(Mismatch::MissingInHeaders { name: n, ours: o }),
            }
        })
        .collect()
}

/// A header whose object-like macros matching `wants` must all be in `seccompy-sys`.
pub struct Coverage {
    /// The header, relative to the include directory.
    pub header: &'static str,
    /// Which of its macros `seccompy-sys` must define.
    pub wants: fn(&str) -> bool,
}

/// The headers `seccompy-sys` covers, and which of their macros.
pub const COVERED: &[Coverage] = &[
    Coverage {
        header: "linux/seccomp.h",
        wants: |n| n.starts_with("SECCOMP_"),
    },
    Coverage {
        header: "linux/audit.h",
        wants: |n| n.starts_with("AUDIT_ARCH_") || n.starts_with("__AUDIT_ARCH_"),
    },
    Coverage {
        header: "linux/bpf_common.h",
        wants: |n| n.starts_with("BPF_"),
    },
    Coverage {
        header: "linux/prctl.h",
        wants: |n| n.contains("SECCOMP") || n.contains("NO_NEW_PRIVS"),
    },
    Coverage {
        header: "linux/ptrace.h",
        wants: |n| n.contains("SECCOMP"),
    },
];

/// The names of the object-like macros a header defines (function-like ones,
/// `NAME(args)`, are left out).
pub fn object_macros(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('#')?.trim_start();
            let rest = rest.strip_prefix("define")?;
            if !rest.starts_with([' ', '\t']) {
                return None;
            }
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = rest.trim_start()[name.len()..].chars().next();
            (!name.is_empty() && after != Some('(')).then_some(name)
        })
        .collect()
}

/// The size of a field, from a projection closure.
fn field_size<T, F>(_: impl Fn(&T) -> &F) -> usize {
    std::mem::size_of::<F>()
}

macro_rules! constants {
    ($($name:ident),+ $(,)?) => {
        vec![$(Item::constant(stringify!($name), sys::$name)),+]
    };
}

include!("../../seccompy-sys/tests/shared/libc_constants.rs");

macro_rules! layout {
    ($t:ident { $($field:ident),+ $(,)? }) => {{
        let t = stringify!($t);
        let mut items = vec![
            Item::new(
                format!("sizeof(struct {t})"),
                std::mem::size_of::<sys::$t>(),
                format!("sizeof(struct {t})"),
            ),
            Item::new(
                format!("_Alignof(struct {t})"),
                std::mem::align_of::<sys::$t>(),
                format!("_Alignof(struct {t})"),
            ),
        ];
        $(
            let f = stringify!($field);
            items.push(Item::new(
                format!("offsetof(struct {t}, {f})"),
                std::mem::offset_of!(sys::$t, $field),
                format!("offsetof(struct {t}, {f})"),
            ));
            items.push(Item::new(
                format!("sizeof(struct {t}.{f})"),
                field_size(|s: &sys::$t| &s.$field),
                format!("sizeof(((struct {t} *)0)->{f})"),
            ));
        )+
        items
    }};
}

/// Every value of `seccompy-sys` the main probe checks on the host.
pub fn host_items(host_arch_dir: &str) -> Vec<Item> {
    // The constants `libc` has too: one list, which `seccompy-sys/tests/libc.rs`
    // compares with `libc`'s values.
    let mut items = libc_constants!(bpf, constants);
    items.extend(libc_constants!(seccomp, constants));
    items.extend(libc_constants!(ioctl, constants));
    items.extend(libc_constants!(prctl_ptrace, constants));
    items.extend(constants!(
        // linux/seccomp.h
        SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
        SECCOMP_IOC_MAGIC,
        // linux/audit.h (the AUDIT_ARCH_* values come from AUDIT_ARCHES below)
        __AUDIT_ARCH_64BIT,
        __AUDIT_ARCH_LE,
        __AUDIT_ARCH_CONVENTION_MASK,
        __AUDIT_ARCH_CONVENTION_MIPS64_N32,
        AUDIT_SECCOMP,
        AUDIT_NLGRP_READLOG,
        // linux/ptrace.h
        PTRACE_SECCOMP_GET_FILTER,
        PTRACE_SECCOMP_GET_METADATA,
        PTRACE_SYSCALL_INFO_SECCOMP,
    ));
    // Not in the UAPI header: the kernel defines it in kernel/seccomp.c this way.
    items.push(Item::new(
        "SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR",
        sys::SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR,
        "SECCOMP_IOR(2, __u64)",
    ));
    items.extend(
        sys::AUDIT_ARCHES
            .iter()
            .map(|&(name, value)| Item::constant(name, value)),
    );
    items.push(Item::new(
        "__NR_seccomp (raw::SYS_seccomp)",
        sys::raw::SYS_seccomp,
        "__NR_seccomp",
    ));
    if let Some(nr) = Abi::host().and_then(|abi| abi.syscall_nr("seccomp")) {
        items.push(Item::new(
            "__NR_seccomp (Abi::host().syscall_nr)",
            nr,
            "__NR_seccomp",
        ));
    }
    if host_arch_dir == "x86" {
        items.push(Item::new(
            "__X32_SYSCALL_BIT",
            sys::X32_SYSCALL_BIT,
            "__X32_SYSCALL_BIT",
        ));
    }
    items.extend(layout!(sock_filter { code, jt, jf, k }));
    items.extend(layout!(sock_fprog { len, filter }));
    items.extend(layout!(seccomp_data {
        nr,
        arch,
        instruction_pointer,
        args
    }));
    items.extend(layout!(seccomp_notif_sizes {
        seccomp_notif,
        seccomp_notif_resp,
        seccomp_data
    }));
    items.extend(layout!(seccomp_notif {
        id,
        pid,
        flags,
        data
    }));
    items.extend(layout!(seccomp_notif_resp {
        id,
        val,
        error,
        flags
    }));
    items.extend(layout!(seccomp_notif_addfd {
        id,
        flags,
        srcfd,
        newfd,
        newfd_flags
    }));
    items.extend(layout!(seccomp_metadata { filter_off, flags }));
    items
}

/// The directory under [`HeaderDirs::uapi`] that holds `abi`'s
/// `asm/` headers.
pub fn uapi_arch_dir(abi: Abi) -> &'static str {
    match abi {
        Abi::X86_64 | Abi::X32 | Abi::I386 => "x86",
        Abi::Aarch64 => "arm64",
        Abi::Arm | Abi::Armeb => "arm",
        Abi::Riscv64 | Abi::Riscv32 => "riscv",
        Abi::Loongarch64 | Abi::Loongarch32 => "loongarch",
        Abi::S390x => "s390",
        Abi::Ppc | Abi::Ppc64 | Abi::Ppc64le => "powerpc",
        Abi::Mips
        | Abi::Mipsel
        | Abi::Mips64
        | Abi::Mipsel64
        | Abi::Mips64n32
        | Abi::Mipsel64n32 => "mips",
        Abi::Parisc | Abi::Parisc64 => "parisc",
        Abi::M68k => "m68k",
        Abi::Sh | Abi::Sheb => "sh",
        Abi::Sparc | Abi::Sparc64 => "sparc",
        Abi::Alpha => "alpha",
        Abi::Arc | Abi::Arceb => "arc",
        // `Abi` is non-exhaustive: a new ABI needs a line above.
        _ => "unknown",
    }
}

/// The listener ioctl numbers of `abi`, named `SECCOMP_IOCTL_NOTIF_RECV [abi]` etc.
pub fn ioctl_items(abi: Abi) -> Vec<Item> {
    let n = sys::notif_ioctls(abi);
    [
        (
            "SECCOMP_IOCTL_NOTIF_RECV",
            n.recv,
            "SECCOMP_IOCTL_NOTIF_RECV",
        ),
        (
            "SECCOMP_IOCTL_NOTIF_SEND",
            n.send,
            "SECCOMP_IOCTL_NOTIF_SEND",
        ),
        (
            "SECCOMP_IOCTL_NOTIF_ID_VALID",
            n.id_valid,
            "SECCOMP_IOCTL_NOTIF_ID_VALID",
        ),
        (
            "SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR",
            n.id_valid_wrong_dir,
            "SECCOMP_IOR(2, __u64)",
        ),
        (
            "SECCOMP_IOCTL_NOTIF_ADDFD",
            n.addfd,
            "SECCOMP_IOCTL_NOTIF_ADDFD",
        ),
        (
            "SECCOMP_IOCTL_NOTIF_SET_FLAGS",
            n.set_flags,
            "SECCOMP_IOCTL_NOTIF_SET_FLAGS",
        ),
    ]
    .into_iter()
    .map(|(name, v, c)| Item::new(format!("{name} [{abi}]"), v, c))
    .collect()
}

/// A C program printing `name\tvalue` for each `(name, expression)`.
pub fn probe_source(includes: &[&str], exprs: &[(String, String)]) -> String {
    let mut src = String::from("#include <stdio.h>\n#include <stddef.h>\n");
    for inc in includes {
        let _ = writeln!(src, "#include <{inc}>");
    }
    src.push_str("\nint main(void) {\n");
    for (name, expr) in exprs {
        let _ = writeln!(
            src,
            "\tprintf(\"%s\\t%lld\\n\", \"{name}\", (long long)({expr}));"
        );
    }
    src.push_str("\treturn 0;\n}\n");
    src
}

/// Parses a probe's output: one `name\tvalue` per line.
pub fn parse_probe(out: &str) -> Result<Vec<(String, i128)>, String> {
    out.lines()
        .map(|line| {
            let (name, value) = line
                .split_once('\t')
                .ok_or_else(|| format!("probe output line without a tab: {line:?}"))?;
            let value = value
                .parse()
                .map_err(|e| format!("probe output {line:?}: {e}"))?;
            Ok((name.to_owned(), value))
        })
        .collect()
}

/// Compiles and runs a probe in a fresh directory under `target/xtask-abi/`, with
/// `include_dirs` searched first to last. Returns its parsed output.
pub fn run_probe(
    source: &str,
    include_dirs: &[PathBuf],
    shims: &[(&str, String)],
) -> Result<Vec<(String, i128)>, String> {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = crate::workspace_root()
        .join("target/xtask-abi")
        .join(format!(
            "probe-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
    let result = compile_and_run(&dir, source, include_dirs, shims);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn compile_and_run(
    dir: &Path,
    source: &str,
    include_dirs: &[PathBuf],
    shims: &[(&str, String)],
) -> Result<Vec<(String, i128)>, String> {
    let write = |path: &Path, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
    };
    let shim_dir = dir.join("shim");
    for (name, text) in shims {
        write(&shim_dir.join(name), text)?;
    }
    let c = dir.join("probe.c");
    let exe = dir.join("probe");
    write(&c, source)?;
    let mut cc = crate::c_compiler();
    cc.args(["-std=gnu11", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&c);
    // Searched before the system's directories, so a header of `include_dirs` is never
    // replaced by the system's copy.
    if !shims.is_empty() {
        cc.arg("-I").arg(&shim_dir);
    }
    for inc in include_dirs {
        cc.arg("-I").arg(inc);
    }
    let out = cc
        .output()
        .map_err(|e| format!("running {:?}: {e}", cc.get_program()))?;
    if !out.status.success() {
        return Err(format!(
            "{:?} failed on {}:\n{}",
            cc.get_program(),
            c.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out = Command::new(&exe)
        .output()
        .map_err(|e| format!("running {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", exe.display(), out.status));
    }
    parse_probe(&String::from_utf8_lossy(&out.stdout))
}

/// Our values and the headers', for everything `check-abi` compares.
pub struct Sides {
    /// Our `(name, value)` list.
    pub ours: Vec<(String, i128)>,
    /// The headers' `(name, value)` list, from the probes.
    pub theirs: Vec<(String, i128)>,
}

/// The headers included by the main probe.
const PROBE_INCLUDES: &[&str] = &[
    "linux/types.h",
    "linux/ioctl.h",
    "linux/filter.h",
    "linux/seccomp.h",
    "linux/audit.h",
    "linux/prctl.h",
    "linux/ptrace.h",
    "asm/unistd.h",
];

/// The host's directory under [`HeaderDirs::uapi`].
fn host_arch_dir() -> Result<&'static str, String> {
    Abi::host()
        .map(uapi_arch_dir)
        .ok_or_else(|| "the host is no seccomp ABI seccompy-sys knows".to_owned())
}

/// Runs every probe against the headers of `dirs` (the downloaded ones for
/// `check-abi`) and collects both sides: [`host_items`] for the host, the listener
/// ioctls of every ABI.
pub fn collect(dirs: &HeaderDirs) -> Result<Sides, String> {
    let host_dir = host_arch_dir()?;
    collect_with(dirs, host_dir, host_items(host_dir), Abi::ALL)
}

/// [`collect`] with `items` as the main probe's values of ours, compiled with the
/// `asm/` headers of `host_dir` (a directory of [`HeaderDirs::uapi`]), and the
/// listener ioctls of `ioctl_abis`.
fn collect_with(
    dirs: &HeaderDirs,
    host_dir: &str,
    items: Vec<Item>,
    ioctl_abis: &[Abi],
) -> Result<Sides, String> {
    let include = &dirs.include;
    let uapi = &dirs.uapi;

    // The main probe: our items, plus every covered macro we lack.
    let mut exprs: Vec<(String, String)> = items
        .iter()
        .map(|i| (i.name.clone(), i.c.clone()))
        .collect();
    let known: BTreeSet<String> = items.iter().map(|i| i.name.clone()).collect();
    for cov in COVERED {
        let path = include.join(cov.header);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        for name in object_macros(&text) {
            if (cov.wants)(&name) && !known.contains(&name) {
                exprs.push((name.clone(), name));
            }
        }
    }
    let mut ours: Vec<(String, i128)> = items.into_iter().map(|i| (i.name, i.ours)).collect();
    let mut theirs = run_probe(
        &probe_source(PROBE_INCLUDES, &exprs),
        &[uapi.join(host_dir), include.clone()],
        &[],
    )?;

    // One ioctl probe per architecture directory, with that architecture's
    // asm/ioctl.h in front of the host's asm/ headers.
    let mut by_dir: BTreeMap<&str, Vec<Abi>> = BTreeMap::new();
    for &abi in ioctl_abis {
        by_dir.entry(uapi_arch_dir(abi)).or_default().push(abi);
    }
    for (dir, abis) in by_dir {
        let ioctl_h = uapi.join(dir).join("asm/ioctl.h");
        let shim = format!("#include \"{}\"\n", ioctl_h.display());
        let items: Vec<Item> = abis.into_iter().flat_map(ioctl_items).collect();
        let exprs: Vec<(String, String)> = items
            .iter()
            .map(|i| (i.name.clone(), i.c.clone()))
            .collect();
        theirs.extend(run_probe(
            &probe_source(
                &["linux/types.h", "linux/ioctl.h", "linux/seccomp.h"],
                &exprs,
            ),
            &[uapi.join(host_dir), include.clone()],
            &[("asm/ioctl.h", shim)],
        )?);
        ours.extend(items.into_iter().map(|i| (i.name, i.ours)));
    }
    Ok(Sides { ours, theirs })
}

/// `cargo xtask check-abi`.
pub fn run() -> Result<(), String> {
    let mut failures = Vec::new();
    match crate::syscalls::check() {
        Ok(()) => println!("syscall tables: up to date with the headers"),
        Err(e) => failures.push(format!("syscall tables:\n{e}")),
    }
    let version = crate::headers::ensure()?;
    let sides = collect(&HeaderDirs::downloaded())?;
    let mismatches = compare(&sides.ours, &sides.theirs);
    if mismatches.is_empty() {
        println!(
            "C probe: {} values of seccompy-sys agree with linux-libc-dev {version}",
            sides.ours.len()
        );
    } else {
        let mut report = format!(
            "C probe: {} mismatches with linux-libc-dev {version}:",
            mismatches.len()
        );
        for m in &mismatches {
            let _ = write!(report, "\n  {m}");
        }
        failures.push(report);
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, i128)]) -> Vec<(String, i128)> {
        list.iter().map(|&(n, v)| (n.to_owned(), v)).collect()
    }

    #[test]
    fn compare_reports_each_kind_of_difference() {
        let ours = pairs(&[("A", 1), ("B", 2), ("C", 3)]);
        let theirs = pairs(&[("A", 1), ("B", 5), ("D", 4)]);
        assert_eq!(
            compare(&ours, &theirs),
            vec![
                Mismatch::Differs {
                    name: "B".into(),
                    ours: 2,
                    theirs: 5
                },
                Mismatch::MissingInHeaders {
                    name: "C".into(),
                    ours: 3
                },
                Mismatch::MissingInOurs {
                    name: "D".into(),
                    theirs: 4
                },
            ]
        );
        assert_eq!(compare(&ours, &ours), vec![]);
    }

    #[test]
    fn object_macros_skip_function_like_ones() {
        let text = "#define A 1\n# define  B\t(1UL << 2)\n#define C(x) x\n#ifdef D\n#define\tE_F 0x3 /* c */\n#definex G\n";
        assert_eq!(object_macros(text), ["A", "B", "E_F"]);
    }

    #[test]
    fn parse_probe_reads_names_with_spaces_and_negative_values() {
        let out = "offsetof(struct x, y)\t8\nNEG\t-4096\n";
        assert_eq!(
            parse_probe(out).unwrap(),
            pairs(&[("offsetof(struct x, y)", 8), ("NEG", -4096)])
        );
        assert!(parse_probe("no tab\n").is_err());
    }

    /// The markers of the fixture headers the main probe reads: only the fixtures
    /// define them, so the probe compiles only if it read the fixtures, not the
    /// system's headers (see `xtask/fixtures/uapi/README.md`). The marker of the
    /// table header the fixture wrapper picks is added by [`fixture_items`].
    const FIXTURE_MARKERS: &[&str] = &[
        "SECCOMPY_FIXTURE_LINUX_TYPES_H",
        "SECCOMPY_FIXTURE_LINUX_IOCTL_H",
        "SECCOMPY_FIXTURE_X86_ASM_IOCTL_H",
        "SECCOMPY_FIXTURE_ASM_GENERIC_IOCTL_H",
        "SECCOMPY_FIXTURE_LINUX_BPF_COMMON_H",
        "SECCOMPY_FIXTURE_LINUX_FILTER_H",
        "SECCOMPY_FIXTURE_LINUX_SECCOMP_H",
        "SECCOMPY_FIXTURE_LINUX_ELF_EM_H",
        "SECCOMPY_FIXTURE_LINUX_AUDIT_H",
        "SECCOMPY_FIXTURE_LINUX_PRCTL_H",
        "SECCOMPY_FIXTURE_LINUX_PTRACE_H",
        "SECCOMPY_FIXTURE_X86_ASM_UNISTD_H",
    ];

    /// The fixture headers are x86's (and powerpc's `asm/ioctl.h`), whatever the host.
    const FIXTURE_ARCH_DIR: &str = "x86";

    /// The ABIs whose listener ioctls are probed against the fixtures: one with the
    /// generic `asm/ioctl.h`, one with powerpc's.
    const FIXTURE_IOCTL_ABIS: &[Abi] = &[Abi::X86_64, Abi::Ppc64le];

    /// The table the fixture wrapper `x86/asm/unistd.h` picks when compiled for this
    /// host: its `#else` branch, x86_64, on hosts of other architectures.
    fn fixture_abi() -> Abi {
        match Abi::host() {
            Some(abi @ (Abi::I386 | Abi::X32)) => abi,
            _ => Abi::X86_64,
        }
    }

    /// Our values for everything the fixture headers define (covered macros included),
    /// plus their markers.
    fn fixture_items() -> Vec<Item> {
        let mut items = constants!(
            BPF_LD,
            BPF_JMP,
            BPF_RET,
            BPF_W,
            BPF_ABS,
            BPF_JEQ,
            BPF_K,
            BPF_MAXINSNS,
            BPF_A,
            BPF_MEMWORDS,
            SECCOMP_MODE_DISABLED,
            SECCOMP_MODE_STRICT,
            SECCOMP_MODE_FILTER,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_LOG,
            SECCOMP_RET_KILL_PROCESS,
            SECCOMP_RET_ERRNO,
            SECCOMP_RET_LOG,
            SECCOMP_RET_ALLOW,
            SECCOMP_RET_ACTION_FULL,
            SECCOMP_RET_DATA,
            SECCOMP_IOC_MAGIC,
            __AUDIT_ARCH_64BIT,
            __AUDIT_ARCH_LE,
            AUDIT_SECCOMP,
            PR_GET_SECCOMP,
            PR_SET_SECCOMP,
            PR_SET_NO_NEW_PRIVS,
            PR_GET_NO_NEW_PRIVS,
            PTRACE_SECCOMP_GET_FILTER,
            PTRACE_EVENT_SECCOMP,
            PTRACE_O_TRACESECCOMP,
        );
        let arches = [
            "AUDIT_ARCH_AARCH64",
            "AUDIT_ARCH_I386",
            "AUDIT_ARCH_X86_64",
            "AUDIT_ARCH_XTENSA",
        ];
        let audit: Vec<Item> = sys::AUDIT_ARCHES
            .iter()
            .filter(|(name, _)| arches.contains(name))
            .map(|&(name, value)| Item::constant(name, value))
            .collect();
        assert_eq!(audit.len(), arches.len(), "an AUDIT_ARCH_* went missing");
        items.extend(audit);
        // The main probe sees x86's generic asm/ioctl.h, whatever the host: x86_64's
        // numbers, under the header's names.
        items.extend(ioctl_items(Abi::X86_64).into_iter().map(|mut i| {
            i.name = i.name.split(" [").next().unwrap_or_default().to_owned();
            i
        }));
        items.push(Item::new(
            "__X32_SYSCALL_BIT",
            sys::X32_SYSCALL_BIT,
            "__X32_SYSCALL_BIT",
        ));
        let abi = fixture_abi();
        items.push(Item::new(
            format!("__NR_seccomp [{abi}]"),
            abi.syscall_nr("seccomp")
                .expect("every x86 ABI has seccomp"),
            "__NR_seccomp",
        ));
        items.extend(layout!(sock_filter { code, jt, jf, k }));
        items.extend(layout!(seccomp_data {
            nr,
            arch,
            instruction_pointer,
            args
        }));
        items.extend(layout!(seccomp_notif {
            id,
            pid,
            flags,
            data
        }));
        items.extend(layout!(seccomp_notif_addfd {
            id,
            flags,
            srcfd,
            newfd,
            newfd_flags
        }));
        items.extend(layout!(seccomp_metadata { filter_off, flags }));
        let table_marker = match abi {
            Abi::I386 => "SECCOMPY_FIXTURE_X86_ASM_UNISTD_32_H",
            Abi::X32 => "SECCOMPY_FIXTURE_X86_ASM_UNISTD_X32_H",
            _ => "SECCOMPY_FIXTURE_X86_ASM_UNISTD_64_H",
        };
        for &marker in FIXTURE_MARKERS.iter().chain([&table_marker]) {
            items.push(Item::new(marker, 1, marker));
        }
        items
    }

    /// Both sides from the fixture headers and the real probes.
    fn fixture_sides(items: Vec<Item>) -> Sides {
        collect_with(
            &HeaderDirs::fixtures(),
            FIXTURE_ARCH_DIR,
            items,
            FIXTURE_IOCTL_ABIS,
        )
        .expect("the probes compile and run against the fixtures")
    }

    #[test]
    fn the_probe_of_the_fixtures_agrees_with_seccompy_sys() {
        let items = fixture_items();
        let count = items.len();
        let sides = fixture_sides(items);
        let mismatches = compare(&sides.ours, &sides.theirs);
        assert!(mismatches.is_empty(), "{mismatches:#?}");
        let theirs: BTreeMap<&str, i128> =
            sides.theirs.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        // Everything was printed: our items and the ioctls of both ABIs, each once.
        assert_eq!(theirs.len(), sides.theirs.len());
        assert_eq!(theirs.len(), count + 6 * FIXTURE_IOCTL_ABIS.len());
        // Computed by the compiler from the fixtures' macros and structures.
        assert_eq!(theirs["AUDIT_ARCH_X86_64"], 0xc000_003e);
        assert_eq!(theirs["offsetof(struct seccomp_notif, data)"], 16);
        // powerpc's asm/ioctl.h was used for ppc64le: another encoding of "write".
        let id_valid = |abi| theirs[format!("SECCOMP_IOCTL_NOTIF_ID_VALID [{abi}]").as_str()];
        assert_eq!(id_valid(Abi::X86_64), 0x4008_2102);
        assert_eq!(id_valid(Abi::Ppc64le), 0x8008_2102);
        // Macros outside the covered selections were not probed.
        assert!(!theirs.contains_key("PR_SET_NAME"));
        assert!(!theirs.contains_key("PTRACE_ATTACH"));
        assert!(!theirs.contains_key("BPF_CLASS"));
    }

    #[test]
    fn an_altered_header_value_is_reported_alone() {
        for (target, alter) in [
            (
                "offsetof(struct seccomp_notif_addfd, newfd)",
                (|v| v + 4) as fn(i128) -> i128,
            ),
            ("SECCOMP_IOCTL_NOTIF_ID_VALID [ppc64le]", |v| v ^ (1 << 30)),
            ("SECCOMP_RET_LOG", |v| v + 1),
        ] {
            let mut sides = fixture_sides(fixture_items());
            let entry = sides
                .theirs
                .iter_mut()
                .find(|(n, _)| n == target)
                .expect("the probe prints it");
            let ours = entry.1;
            entry.1 = alter(entry.1);
            let theirs = entry.1;
            assert_eq!(
                compare(&sides.ours, &sides.theirs),
                vec![Mismatch::Differs {
                    name: target.into(),
                    ours,
                    theirs
                }]
            );
        }
    }

    #[test]
    fn a_header_constant_missing_on_our_side_is_reported() {
        for missing in [
            "AUDIT_ARCH_XTENSA",
            "SECCOMP_RET_LOG",
            "PR_SET_NO_NEW_PRIVS",
            "SECCOMP_IOCTL_NOTIF_SET_FLAGS",
        ] {
            let mut items = fixture_items();
            let before = items.len();
            items.retain(|i| i.name != missing);
            assert_eq!(items.len(), before - 1);
            let sides = fixture_sides(items);
            let mismatches = compare(&sides.ours, &sides.theirs);
            assert!(
                matches!(mismatches.as_slice(), [Mismatch::MissingInOurs { name, .. }] if name == missing),
                "{missing}: {mismatches:#?}"
            );
        }
    }

    /// Without the fixtures' `asm/` directory, the compiler would find the system's
    /// `asm/unistd.h` and `asm/ioctl.h` (where installed): the markers make that an
    /// error, never a silent pass. Missing covered headers are errors too.
    #[test]
    fn missing_fixture_headers_are_errors_not_the_systems() {
        let fixtures = HeaderDirs::fixtures();
        let nowhere = fixtures.uapi.join("no-such-dir");
        let no_arch = HeaderDirs {
            uapi: nowhere.clone(),
            ..fixtures.clone()
        };
        let err = collect_with(&no_arch, FIXTURE_ARCH_DIR, fixture_items(), &[])
            .err()
            .expect("the probe fails");
        assert!(err.contains("failed on"), "{err}");
        let no_include = HeaderDirs {
            include: nowhere,
            ..fixtures
        };
        let err = collect_with(&no_include, FIXTURE_ARCH_DIR, fixture_items(), &[])
            .err()
            .expect("the probe fails");
        assert!(err.contains("linux/seccomp.h"), "{err}");
    }
}
