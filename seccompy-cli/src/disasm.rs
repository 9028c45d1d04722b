//! `seccompy disasm`: a program as readable text.

use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::disasm::{DisasmOptions, disassemble_with};
use seccompy_sys::syscalls::Abi;

use crate::args;
use crate::error::{Error, Result};
use crate::spec;

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "print a program as text (names for syscalls, arguments, actions)";

/// `seccompy disasm`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "disasm",
    summary: SUMMARY,
    intro: "\
seccompy disasm: print a seccomp BPF program as text

Usage: seccompy disasm FILE.bpf [--arch ARCH] [--raw] [--no-indices] [--no-header]

FILE.bpf is a raw program (8-byte little-endian sock_filter records; - reads
standard input). Any program is printed, valid or not: the header says what
the kernel would object to. The text is what `seccompy asm` reads back, so
disasm then asm gives the same program.

ARCH names the syscalls in comparisons (read, or read@i386 after a test of
the arch) and the words of the arguments (args[1].hi), whose offsets depend
on the ABI's byte order. Where the syscall is known on every path to a load
of an argument, a comment names the parameter (A = args[0].lo  ; family) and
the constant a comparison tests (if A == 40 goto errno_1  ; AF_VSOCK).
",
    options: &[&[
        spec::Opt::value(
            "arch",
            "ARCH",
            spec::Complete::Arch,
            "the ABI of the program (default: this machine's)",
        ),
        spec::Opt::flag(
            "raw",
            "print each instruction's code, jt, jf and k (hexadecimal)
             before its text, as seccomp-tools does (asm does not read
             these columns back)",
        ),
        spec::Opt::flag("no-indices", "do not print each instruction's index"),
        spec::Opt::flag("no-header", "do not print the header comment"),
    ]],
    outro: "\
Example:
  seccompy disasm docker.bpf --arch x86_64 | less",
    positional: spec::Complete::File,
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut indices = true;
    let mut header = true;
    let mut raw = false;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("no-indices") => indices = false,
            Long("no-header") => header = false,
            Long("raw") => raw = true,
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = args::required(file, "the program file FILE.bpf")?;
    let abi = args::abi_or_host(abi)?;
    let prog = args::read_program(&file)?;
    let mut options = DisasmOptions::new(abi);
    options.indices = indices;
    options.header = header;
    options.raw = raw;
    let text = disassemble_with(prog.insns(), &options);
    out.write_all(text.as_bytes())
        .map_err(|e| Error::stdout(&e))
}
