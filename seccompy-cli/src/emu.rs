//! `seccompy emu`: runs a program on one system call, as the kernel would.

use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::action::{Action, RetValue};
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{__AUDIT_ARCH_64BIT, seccomp_data};

use crate::args;
use crate::error::{Error, Result};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a program on one system call and print the action";

/// `seccompy emu --help`.
pub const HELP: &str = "\
seccompy emu: run a seccomp BPF program on one system call, as the kernel would

Usage: seccompy emu FILE.bpf [--arch ARCH] [--ip ADDR] SYSCALL [ARG...]

FILE.bpf is a raw program (8-byte little-endian sock_filter records, as
`seccompy compile` and `seccompy asm` write; - reads standard input). The
program is checked with the kernel's rules first.

SYSCALL is a name from ARCH's table (getpid, socket, ...) or a number as
seccomp_data.nr carries it (x32 numbers include 0x40000000). Up to six ARGs,
missing ones are 0: decimal, 0x hexadecimal, 0o octal or 0b binary, negative
values in two's complement of the ABI's register width (-1 is 0xffffffff on a
32-bit ABI). Use -- before the arguments if one looks like an option.

Prints the action the program returns (its name, data and raw value) and how
many instructions ran, the final RET included.

Options:
  --arch ARCH   the ABI of the call: its audit arch goes in seccomp_data.arch,
                its byte order lays out the arguments, its table names the
                syscall (default: this machine's)
  --ip ADDR     seccomp_data.instruction_pointer (default 0)
  -h, --help    print this help
  -V, --version print the version

Output:
  action: ERRNO(1) (0x00050001)
  executed: 9 instructions

Example:
  seccompy emu docker.bpf --arch x86_64 socket 40 1 0";

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut ip: Option<String> = None;
    let mut syscall: Option<String> = None;
    let mut call_args: Vec<String> = Vec::new();
    while let Some(arg) = parser.next()? {
        if let Some(done) = args::standard_option(&arg, HELP, out) {
            return done;
        }
        let positional = match arg {
            Long("arch") => {
                abi = Some(args::parse_abi(&args::text(parser)?)?);
                continue;
            }
            Long("ip") => {
                ip = Some(args::text(parser)?);
                continue;
            }
            Short(c) => match args::negative_number(c, parser)? {
                Some(n) => n.into(),
                None => return Err(Short(c).unexpected().into()),
            },
            Value(v) => v,
            other => return Err(other.unexpected().into()),
        };
        if file.is_none() {
            file = Some(args::path(positional));
        } else if syscall.is_none() {
            syscall = Some(positional.string()?);
        } else {
            call_args.push(positional.string()?);
        }
    }
    let file = args::required(file, "the program file FILE.bpf")?;
    let syscall = args::required(syscall, "the system call to run (a name or a number)")?;
    let abi = args::abi_or_host(abi)?;
    if call_args.len() > 6 {
        return Err(Error::new(format!(
            "a system call has at most 6 arguments, {} given",
            call_args.len()
        )));
    }

    let wide = abi.audit_arch() & __AUDIT_ARCH_64BIT != 0;
    let mut data = seccomp_data {
        nr: syscall_nr(abi, &syscall)? as i32,
        arch: abi.audit_arch(),
        ..seccomp_data::default()
    };
    for (slot, a) in data.args.iter_mut().zip(&call_args) {
        *slot = args::parse_arg(a, wide)?;
    }
    if let Some(ip) = ip {
        data.instruction_pointer = args::parse_arg(&ip, wide)?;
    }

    let prog = args::read_valid_program(&file)?;
    let outcome = emulate_for(prog.insns(), &data, ByteOrder::of(abi))
        .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;

    let report = match Action::from_raw(outcome.ret) {
        Some(_) => format!("{} ({:#010x})", RetValue(outcome.ret), outcome.ret),
        None => RetValue(outcome.ret).to_string(),
    };
    let plural = if outcome.executed == 1 { "" } else { "s" };
    writeln!(
        out,
        "action: {report}\nexecuted: {} instruction{plural}",
        outcome.executed
    )
    .map_err(|e| Error::stdout(&e))
}

/// The number of `syscall` on `abi`: a name from its table, or a number.
fn syscall_nr(abi: Abi, syscall: &str) -> Result<u32> {
    if syscall.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        return args::parse_u32(syscall, "system call number");
    }
    abi.syscall_nr(syscall).ok_or_else(|| {
        Error::new(format!(
            "unknown system call '{syscall}' on {} (give a name from its table or a number)",
            abi.name()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_names_and_numbers() {
        let getpid = Abi::X86_64.syscall_nr("getpid").unwrap();
        assert_eq!(syscall_nr(Abi::X86_64, "getpid").unwrap(), getpid);
        assert_eq!(syscall_nr(Abi::X86_64, "39").unwrap(), 39);
        assert_eq!(syscall_nr(Abi::X86_64, "-1").unwrap(), u32::MAX);
        assert_eq!(
            syscall_nr(Abi::X32, "getpid").unwrap(),
            Abi::X32.syscall_nr("getpid").unwrap()
        );
        let e = syscall_nr(Abi::X86_64, "no_such_call").unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown system call 'no_such_call' on x86_64")
        );
        assert!(syscall_nr(Abi::X86_64, "12x").is_err());
    }
}
