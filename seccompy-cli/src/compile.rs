//! `seccompy compile`: an OCI or Docker seccomp profile to a program.

use std::io::Write;
use std::path::{Path, PathBuf};

use lexopt::prelude::*;
use seccompy::oci::{self, Resolution};
use seccompy_bpf::Program;
use seccompy_bpf::oci::{CapSet, KernelVersion, Profile, ResolveOptions, Resolved};
use seccompy_bpf::validate::validate;
use seccompy_sys::syscalls::Abi;

use crate::args;
use crate::error::{Error, Result};
use crate::format::{self, Format};
use crate::spec;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "compile an OCI/Docker seccomp profile into a program";

/// `seccompy compile`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "compile",
    summary: SUMMARY,
    intro: "\
seccompy compile: compile an OCI or Docker seccomp profile

Usage: seccompy compile PROFILE [--arch ARCH] [--caps SET] [--kernel X.Y]
                        [--oci-config] [--harden] [--format FORMAT] [-o OUT]

PROFILE is a seccomp profile in JSON (- reads standard input): the OCI
runtime-spec `linux.seccomp` object or a Docker profile (archMap, includes and
excludes by arch, caps and minKernel, errnoRet). It is resolved as Docker, runc
and libseccomp would apply it on an ARCH machine running kernel X.Y with the
capability set SET, runc's ENOSYS stub included, and compiled into one program
for ARCH and the profile's sub-architectures.

By default the program decides every call as runc with libseccomp would,
comparing each argument on all 64 bits. The kernel reads only the low 32 bits
of an int-typed argument (int, unsigned int, pid_t, uid_t, ...), so a caller
can pass the filter by setting high bits the kernel ignores: Docker's default
profile allows socket(0x100000028, ...), which opens an AF_VSOCK (40) socket
that the profile means to refuse (`seccompy audit` names such rules).
--harden departs from runc's semantics to close that hole: such conditions
compare the low 32 bits, deciding each call as the profile decides the same
call with the argument sign- or zero-extended as its C type says.
",
    options: &[
        &[
            spec::Opt::value(
                "arch",
                "ARCH",
                spec::Complete::Arch,
                "the machine's architecture (default: this machine's)",
            ),
            spec::Opt::value(
                "caps",
                "SET",
                spec::Complete::Nothing,
                "the container's capabilities: default (Docker's default
                 set), all, none, or a comma-separated list of names
                 (CAP_SYS_ADMIN or sys_admin)",
            ),
            spec::Opt::value(
                "kernel",
                "X.Y",
                spec::Complete::Nothing,
                "the kernel version for minKernel (default: the running
                 kernel's, from uname)",
            ),
            spec::Opt::flag(
                "oci-config",
                "PROFILE is an OCI bundle's config.json: use its
                 linux.seccomp object",
            ),
            spec::Opt::flag(
                "harden",
                "compare 32-bit arguments on the 32 bits the kernel reads
                 (departs from runc's semantics; see above)",
            ),
        ],
        crate::format::FORMAT_OPTIONS,
    ],
    outro: "\
Example:
  seccompy compile docker-default.json --arch x86_64 -o docker.bpf
  seccompy emu docker.bpf --arch x86_64 socket 40",
    positional: spec::Complete::File,
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut caps: Option<(CapSet, String)> = None;
    let mut kernel: Option<KernelVersion> = None;
    let mut oci_config = false;
    let mut harden = false;
    let mut fmt = Format::Raw;
    let mut name: Option<String> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("caps") => {
                let text = args::text(parser)?;
                caps = Some((parse_caps(&text)?, text));
            }
            Long("kernel") => kernel = Some(parse_kernel(&args::text(parser)?)?),
            Long("oci-config") => oci_config = true,
            Long("harden") => harden = true,
            Long("format") => fmt = Format::parse(&args::text(parser)?)?,
            Long("name") => name = Some(format::parse_name(&args::text(parser)?)?),
            Short('o') | Long("output") => output = Some(args::path(parser.value()?)),
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = args::required(file, "the profile file PROFILE")?;
    let abi = args::abi_or_host(abi)?;
    let (caps, caps_text) = caps.unwrap_or_else(|| (CapSet::docker_default(), "default".into()));
    let kernel = match kernel {
        Some(k) => k,
        None => running_kernel()?,
    };

    let Compiled {
        resolved,
        prog,
        hardened,
    } = resolve_and_compile(
        &file,
        &read_profile(&file, oci_config)?,
        abi,
        caps,
        kernel,
        harden,
    )?;

    let abis: Vec<&str> = resolved.abis.iter().map(|a| a.name()).collect();
    let mut about = format!(
        "{} for {} ({}), caps {caps_text}, kernel {kernel}",
        args::file_name(&file),
        abi.name(),
        abis.join(", ")
    );
    // The program does not carry the profile's flags: say which to install it with.
    if !resolved.flags.is_empty() {
        about.push_str(&format!(
            "; install with flags {}",
            resolved.flags.join(" | ")
        ));
    }
    if harden {
        let note = harden_note(hardened);
        about.push_str(&format!("; {note}"));
        eprintln!("seccompy: {note}");
    }
    let bytes = format::render(fmt, prog.insns(), abi, &about, name.as_deref());
    args::write_output(output.as_deref(), &bytes, fmt.is_binary(), out)
}

/// A compiled profile.
pub(crate) struct Compiled {
    /// The resolved profile.
    pub resolved: Resolved,
    /// Its program.
    pub prog: Program,
    /// How many conditions `--harden` narrowed (0 without it).
    pub hardened: usize,
}

/// What `--harden` says it did, on standard error and in the output's comment.
pub(crate) fn harden_note(hardened: usize) -> String {
    format!(
        "--harden: {hardened} condition{} on 32-bit arguments compare the low 32 bits the \
         kernel reads, departing from runc's semantics to close the high-word bypass",
        if hardened == 1 { "" } else { "s" }
    )
}

/// Reads, resolves and compiles the profile `file` for `abi`, `caps` and
/// `kernel`, narrowed by [`seccompy_bpf::harden::harden`] if `harden`.
pub(crate) fn resolve_and_compile(
    file: &Path,
    profile: &Profile,
    abi: Abi,
    caps: CapSet,
    kernel: KernelVersion,
    harden: bool,
) -> Result<Compiled> {
    let opts = ResolveOptions::new(abi, kernel).with_caps(caps);
    let at = |e: &dyn std::fmt::Display| Error::new(format!("{}: {e}", file.display()));
    let Resolution {
        resolved, policy, ..
    } = oci::resolve(profile, &opts)
        .map_err(|e| at(&e))?
        .ok_or_else(|| {
            at(&"the profile installs no filter (no default action and no rule for this machine)")
        })?;
    let (policy, hardened) = if harden {
        seccompy_bpf::harden::harden(&policy)
    } else {
        (policy, 0)
    };
    let prog = policy.compile().map_err(|e| at(&e))?;
    // The compiler's output always passes; a failure here is a bug to report.
    validate(prog.insns()).map_err(|e| {
        at(&format!(
            "internal error: the compiled program would be rejected: {e}"
        ))
    })?;
    Ok(Compiled {
        resolved,
        prog,
        hardened,
    })
}

/// Reads the profile, or the `linux.seccomp` object of an OCI `config.json`.
pub(crate) fn read_profile(file: &Path, oci_config: bool) -> Result<Profile> {
    parse_profile(
        file,
        &args::read_text(file, args::Input::Profile)?,
        oci_config,
    )
}

/// Parses `json`, read from `file`, as [`read_profile`] does.
pub(crate) fn parse_profile(file: &Path, json: &str, oci_config: bool) -> Result<Profile> {
    let at = |e: &dyn std::fmt::Display| Error::new(format!("{}: {e}", file.display()));
    if oci_config {
        Profile::from_oci_config_json(json)
            .map_err(|e| at(&e))?
            .ok_or_else(|| at(&"the OCI configuration has no linux.seccomp object"))
    } else {
        Profile::from_json(json).map_err(|e| at(&e))
    }
}

/// Parses `--caps`: `default`, `all`, `none` or a comma-separated list.
pub(crate) fn parse_caps(text: &str) -> Result<CapSet> {
    text.parse().map_err(|e| Error::new(format!("--caps: {e}")))
}

/// Parses `--kernel X.Y` (a release such as `6.18.3-amd64` is accepted too).
pub(crate) fn parse_kernel(text: &str) -> Result<KernelVersion> {
    KernelVersion::parse_release(text).ok_or_else(|| {
        Error::new(format!(
            "--kernel: '{text}' is not a kernel version (expected X.Y, as 6.1)"
        ))
    })
}

/// The running kernel's version.
pub(crate) fn running_kernel() -> Result<KernelVersion> {
    oci::running_kernel().map_err(|e| Error::new(format!("{e}; pass --kernel X.Y")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_sets() {
        assert!(parse_caps("default").unwrap() == CapSet::docker_default());
        assert!(parse_caps("all").unwrap() == CapSet::all());
        assert!(parse_caps("none").unwrap() == CapSet::none());
        let two = parse_caps("sys_admin,CAP_SYS_PTRACE").unwrap();
        assert_eq!(
            two.names().collect::<Vec<_>>(),
            ["CAP_SYS_PTRACE", "CAP_SYS_ADMIN"]
        );
        let e = parse_caps("sys_admin,frob").unwrap_err().to_string();
        assert!(e.starts_with("--caps: unknown capability"), "{e}");
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel("6.1").unwrap(), KernelVersion::new(6, 1));
        assert_eq!(
            parse_kernel("5.10.0-amd64").unwrap(),
            KernelVersion::new(5, 10)
        );
        assert!(parse_kernel("six").is_err());
        assert!(parse_kernel("6").is_err());
        // This machine's release parses.
        running_kernel().unwrap();
    }
}
