//! Where a live command's program comes from: a profile (`--profile`, compiled
//! as `seccompy compile` does) or a raw program (`--bpf`), with the options that
//! go with them.

use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::Program;
use seccompy_bpf::oci::{CapSet, KernelVersion, Profile, Resolved};
use seccompy_sys::syscalls::Abi;

use crate::args;
use crate::compile;
use crate::error::{Error, Result};

/// The options [`Source::option`] takes.
pub const SOURCE_OPTIONS: &[crate::spec::Opt] = &[
    crate::spec::Opt::value(
        "profile",
        "FILE",
        crate::spec::Complete::File,
        "an OCI or Docker seccomp profile (JSON), compiled as
         `seccompy compile` does",
    ),
    crate::spec::Opt::value(
        "bpf",
        "FILE",
        crate::spec::Complete::File,
        "a raw program (8-byte little-endian sock_filter records)",
    ),
    crate::spec::ARCH,
    crate::spec::Opt::value(
        "caps",
        "SET",
        crate::spec::Complete::Nothing,
        "for a profile: default, all, none or a list (as compile)",
    ),
    crate::spec::Opt::value(
        "kernel",
        "X.Y",
        crate::spec::Complete::Nothing,
        "for a profile: the kernel version for minKernel",
    ),
    crate::spec::Opt::flag("oci-config", "the profile is an OCI bundle's config.json"),
    crate::spec::Opt::flag(
        "harden",
        "for a profile: compare 32-bit arguments (int, pid_t, ...)
         on the 32 bits the kernel reads, as `seccompy compile
         --harden`; departs from runc's semantics to close the
         high-word bypass",
    ),
];

/// The options naming a program.
#[derive(Default)]
pub struct Source {
    /// `--profile FILE`.
    pub profile: Option<PathBuf>,
    /// `--bpf FILE`.
    pub bpf: Option<PathBuf>,
    /// `--arch ARCH`.
    pub abi: Option<Abi>,
    caps: Option<CapSet>,
    kernel: Option<KernelVersion>,
    oci_config: bool,
    harden: bool,
    /// The program's file, already read (so that `-`, standard input, is read once).
    input: Option<Vec<u8>>,
}

/// The name of a long option, owned, so that the parser can be used again.
pub fn long_name(arg: &lexopt::Arg<'_>) -> Option<String> {
    match arg {
        Long(name) => Some((*name).to_string()),
        _ => None,
    }
}

/// A program ready to use.
pub struct Loaded {
    /// The program.
    pub prog: Program,
    /// Its ABI.
    pub abi: Abi,
    /// The profile it was compiled from and that profile resolved, if it came from one.
    pub resolved: Option<(Profile, Resolved)>,
}

impl Source {
    /// Takes the long option `name` (from [`long_name`]) if it is one of the
    /// source options; `false` otherwise.
    pub fn option(&mut self, name: Option<&str>, parser: &mut lexopt::Parser) -> Result<bool> {
        match name {
            Some("profile") => self.profile = Some(args::path(parser.value()?)),
            Some("bpf") => self.bpf = Some(args::path(parser.value()?)),
            Some("arch") => self.abi = Some(args::parse_abi(&args::text(parser)?)?),
            Some("caps") => self.caps = Some(compile::parse_caps(&args::text(parser)?)?),
            Some("kernel") => self.kernel = Some(compile::parse_kernel(&args::text(parser)?)?),
            Some("oci-config") => self.oci_config = true,
            Some("harden") => self.harden = true,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether an option that goes with a program (`--arch`, `--caps`,
    /// `--kernel`, `--oci-config`, `--harden`) was given.
    pub fn has_program_options(&self) -> bool {
        self.abi.is_some()
            || self.caps.is_some()
            || self.kernel.is_some()
            || self.oci_config
            || self.harden
    }

    /// Takes the contents of the `--profile` or `--bpf` file, already read with
    /// its limit, so that [`load`](Source::load) does not read it again.
    pub fn with_input(mut self, bytes: Vec<u8>) -> Source {
        self.input = Some(bytes);
        self
    }

    /// Reads (and for a profile, compiles) the program.
    pub fn load(self) -> Result<Loaded> {
        let abi = args::abi_or_host(self.abi)?;
        match (self.profile, self.bpf) {
            (Some(_), Some(_)) => Err(Error::new("give --profile or --bpf, not both")),
            (None, None) => Err(Error::new(
                "missing the program: --profile PROFILE or --bpf FILE (see --help)",
            )),
            (Some(file), None) => {
                let kernel = match self.kernel {
                    Some(k) => k,
                    None => compile::running_kernel()?,
                };
                let caps = self.caps.unwrap_or_else(CapSet::docker_default);
                let json = match self.input {
                    Some(bytes) => args::utf8(&file, bytes)?,
                    None => args::read_text(&file, args::Input::Profile)?,
                };
                let profile = compile::parse_profile(&file, &json, self.oci_config)?;
                let compiled =
                    compile::resolve_and_compile(&file, &profile, abi, caps, kernel, self.harden)?;
                if self.harden {
                    eprintln!("seccompy: {}", compile::harden_note(compiled.hardened));
                }
                let (resolved, prog) = (compiled.resolved, compiled.prog);
                Ok(Loaded {
                    prog,
                    abi,
                    resolved: Some((profile, resolved)),
                })
            }
            (None, Some(_)) if self.harden => Err(Error::new(
                "--harden rewrites a profile's conditions: give --profile, not --bpf",
            )),
            (None, Some(file)) => {
                let prog = match self.input {
                    Some(bytes) => args::valid(&file, args::program(&file, &bytes)?)?,
                    None => args::read_valid_program(&file)?,
                };
                Ok(Loaded {
                    prog,
                    abi,
                    resolved: None,
                })
            }
        }
    }
}
