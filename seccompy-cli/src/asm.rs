//! `seccompy asm`: text to a raw program (or C or Rust source).

use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::asm::{AsmOptions, assemble_with};
use seccompy_bpf::validate::validate;

use crate::args;
use crate::error::{Error, Result};
use crate::format::{self, Format};
use crate::spec;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "assemble text (the disasm syntax) into a raw program";

/// `seccompy asm`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "asm",
    summary: SUMMARY,
    intro: "\
seccompy asm: assemble a seccomp BPF program from text

Usage: seccompy asm FILE.s [--arch ARCH] [--allow-invalid] [--format FORMAT] [-o OUT]

FILE.s is in the syntax `seccompy disasm` prints (- reads standard input):
one instruction per line, labels, `;` comments, `.abi NAME` to name the ABI of
syscall names and argument words, for example

    .abi x86_64
    A = arch
    if A != AUDIT_ARCH_X86_64 goto kill
    A = nr
    if A == getpid goto allow
    return ERRNO(1)
  allow:
    return ALLOW
  kill:
    return KILL_PROCESS

The output is the program, raw or as C or Rust source. A program the kernel
would reject is an error unless --allow-invalid.
",
    options: &[
        &[
            spec::Opt::value(
                "arch",
                "ARCH",
                spec::Complete::Arch,
                "the ABI until a `.abi` line (default: none, so syscall
                 names need a `.abi` line; c and rust comments use it, or
                 this machine's)",
            ),
            spec::Opt::flag(
                "allow-invalid",
                "write programs the kernel would reject too",
            ),
        ],
        crate::format::FORMAT_OPTIONS,
    ],
    outro: "\
Example:
  seccompy asm filter.s -o filter.bpf
  seccompy asm filter.s --format c -o filter.h",
    positional: spec::Complete::File,
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut options = AsmOptions::default();
    let mut allow_invalid = false;
    let mut fmt = Format::Raw;
    let mut name: Option<String> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Long("arch") => options.abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("allow-invalid") => allow_invalid = true,
            Long("format") => fmt = Format::parse(&args::text(parser)?)?,
            Long("name") => name = Some(format::parse_name(&args::text(parser)?)?),
            Short('o') | Long("output") => output = Some(args::path(parser.value()?)),
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = args::required(file, "the source file FILE.s")?;
    let text = args::read_text(&file, args::Input::Assembly)?;
    let prog = assemble_with(&text, &options)
        .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
    if !allow_invalid {
        validate(prog.insns()).map_err(|e| {
            Error::new(format!(
                "{}: the kernel would reject this program: {e} (--allow-invalid writes it anyway)",
                file.display()
            ))
        })?;
    }
    let bytes = if fmt == Format::Raw {
        prog.to_bytes()
    } else {
        // The comments name syscalls for the ABI given, or the host's.
        let abi = args::abi_or_host(options.abi)?;
        let about = format!("assembled from {}", args::file_name(&file));
        format::render(fmt, prog.insns(), abi, &about, name.as_deref())
    };
    args::write_output(output.as_deref(), &bytes, fmt.is_binary(), out)
}
