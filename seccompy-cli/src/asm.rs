//! `seccompy asm`: text to a raw program.

use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::asm::{AsmOptions, assemble_with};
use seccompy_bpf::validate::validate;

use crate::args;
use crate::error::{Error, Result};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "assemble text (the disasm syntax) into a raw program";

/// `seccompy asm --help`.
pub const HELP: &str = "\
seccompy asm: assemble a seccomp BPF program from text

Usage: seccompy asm FILE.s [--arch ARCH] [--allow-invalid] [-o OUT.bpf]

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

The output is the raw program: 8-byte little-endian sock_filter records. A
program the kernel would reject is an error unless --allow-invalid.

Options:
  --arch ARCH       the ABI until a `.abi` line (default: none, so syscall
                    names need a `.abi` line)
  --allow-invalid   write programs the kernel would reject too
  -o, --output OUT  the file to write (default: standard output, not a
                    terminal; - is standard output)
  -h, --help        print this help
  -V, --version     print the version

Example:
  seccompy asm filter.s -o filter.bpf";

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut options = AsmOptions::default();
    let mut allow_invalid = false;
    while let Some(arg) = parser.next()? {
        if let Some(done) = args::standard_option(&arg, HELP, out) {
            return done;
        }
        match arg {
            Long("arch") => options.abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("allow-invalid") => allow_invalid = true,
            Short('o') | Long("output") => output = Some(args::path(parser.value()?)),
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = args::required(file, "the source file FILE.s")?;
    let text = args::read_text(&file)?;
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
    args::write_output(output.as_deref(), &prog.to_bytes(), true, out)
}
