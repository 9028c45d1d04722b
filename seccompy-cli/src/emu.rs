//! `seccompy emu`: runs a program on one system call, as the kernel would.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::action::{Action, RetValue};
use seccompy_bpf::decode;
use seccompy_bpf::emulate::{ByteOrder, emulate_path};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{__AUDIT_ARCH_64BIT, seccomp_data};

use crate::error::{Error, Result};
use crate::spec;
use crate::{args, json};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "run a program on one system call and print the action";

/// `seccompy emu`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "emu",
    summary: SUMMARY,
    intro: "\
seccompy emu: run a seccomp BPF program on one system call, as the kernel would

Usage: seccompy emu FILE.bpf [--arch ARCH] [--ip ADDR] [-q] [--json] SYSCALL [ARG...]

FILE.bpf is a raw program (8-byte little-endian sock_filter records, as
`seccompy compile` and `seccompy asm` write; - reads standard input). The
program is checked with the kernel's rules first.

SYSCALL is a name from ARCH's table (getpid, socket, ...) or a number as
seccomp_data.nr carries it (x32 numbers include 0x40000000). Up to six ARGs,
missing ones are 0: decimal, 0x hexadecimal, 0o octal or 0b binary, negative
values in two's complement of the ABI's register width (-1 is 0xffffffff on a
32-bit ABI), or the names of the argument's constants joined by | (AF_VSOCK,
SOCK_STREAM|SOCK_CLOEXEC, O_RDONLY|O_CLOEXEC, CLONE_NEWUSER, PROT_EXEC,
PR_SET_NO_NEW_PRIVS, TIOCSTI, AT_FDCWD, ...). Use -- before the arguments if
one looks like an option.

Prints the action the program returns (its name, data and raw value), how
many instructions ran (the final RET included), the call with its arguments
decoded, and the path: each executed instruction with the accumulator it
left.
",
    options: &[&[
        spec::Opt::value(
            "arch",
            "ARCH",
            spec::Complete::Arch,
            "the ABI of the call: its audit arch goes in seccomp_data.arch,
             its byte order lays out the arguments, its table names the
             syscall (default: this machine's)",
        ),
        spec::Opt::value(
            "ip",
            "ADDR",
            spec::Complete::Nothing,
            "seccomp_data.instruction_pointer (default 0)",
        ),
        spec::Opt::flag("quiet", "print the action and the count only").short('q'),
        spec::json("one JSON document (schema seccompy.emu/1, see the README)"),
    ]],
    outro: "\
Output:
  action: ERRNO(1) (0x00050001)
  executed: 9 instructions
  call: socket(AF_VSOCK, SOCK_STREAM, 0)
  path:
    0000  A = arch                          A = 0xc000003e
    ...

Example:
  seccompy emu docker.bpf --arch x86_64 socket AF_VSOCK SOCK_STREAM 0",
    positional: spec::Complete::File,
};

/// The `schema` of `emu --json`.
pub const SCHEMA: &str = "seccompy.emu/1";

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut ip: Option<String> = None;
    let mut quiet = false;
    let mut json = false;
    let mut syscall: Option<String> = None;
    let mut call_args: Vec<String> = Vec::new();
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
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
            Short('q') | Long("quiet") => {
                quiet = true;
                continue;
            }
            Long("json") => {
                json = true;
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
    let nr = syscall_nr(abi, &syscall)?;
    let mut data = seccomp_data {
        nr: nr as i32,
        arch: abi.audit_arch(),
        ..seccomp_data::default()
    };
    for (i, (slot, a)) in data.args.iter_mut().zip(&call_args).enumerate() {
        *slot = call_arg(abi, nr, i, a, wide)?;
    }
    if let Some(ip) = ip {
        data.instruction_pointer = args::parse_arg(&ip, wide)?;
    }

    let prog = args::read_valid_program(&file)?;
    let (outcome, path) = emulate_path(prog.insns(), &data, ByteOrder::of(abi))
        .map_err(|e| Error::new(format!("{}: {e}", file.display())))?;
    let call = decode::format_call(abi, nr, &data.args);
    let notes = crate::format::notes(prog.insns(), abi);
    let text_of = |pc: usize| notes.get(pc).map_or("", |n| n.text.as_str());

    if json {
        let steps = path.iter().map(|s| {
            json::object(&[
                ("pc", s.pc.to_string()),
                ("a", s.a.to_string()),
                ("x", s.x.to_string()),
                ("text", json::string(text_of(s.pc))),
            ])
        });
        let action = Action::from_raw(outcome.ret).map(|_| RetValue(outcome.ret).to_string());
        let doc = json::object(&[
            ("schema", json::string(SCHEMA)),
            ("arch", json::string(abi.name())),
            ("nr", nr.to_string()),
            ("syscall", json::opt_string(abi.syscall_name(nr))),
            ("args", json::array(data.args.iter().map(u64::to_string))),
            ("instruction_pointer", data.instruction_pointer.to_string()),
            ("call", json::string(&call)),
            ("action", json::opt_string(action.as_deref())),
            ("value", outcome.ret.to_string()),
            ("executed", outcome.executed.to_string()),
            ("path", json::array(steps)),
        ]);
        return writeln!(out, "{doc}").map_err(|e| Error::stdout(&e));
    }

    let report = match Action::from_raw(outcome.ret) {
        Some(_) => format!("{} ({:#010x})", RetValue(outcome.ret), outcome.ret),
        None => RetValue(outcome.ret).to_string(),
    };
    let plural = if outcome.executed == 1 { "" } else { "s" };
    let mut text = format!(
        "action: {report}\nexecuted: {} instruction{plural}\n",
        outcome.executed
    );
    if !quiet {
        let _ = writeln!(text, "call: {call}\npath:");
        let mut last_a = None;
        for s in &path {
            let line = text_of(s.pc);
            // The accumulator, where the instruction changed it.
            if last_a != Some(s.a) && !line.starts_with("return") && !line.starts_with("if ") {
                let _ = writeln!(text, "  {:04}  {line:<34}  A = {:#x}", s.pc, s.a);
            } else {
                let _ = writeln!(text, "  {:04}  {line}", s.pc);
            }
            last_a = Some(s.a);
        }
    }
    out.write_all(text.as_bytes())
        .map_err(|e| Error::stdout(&e))
}

/// Argument `index` of call `nr`: a number in the register's width, or names
/// of the argument's constants.
fn call_arg(abi: Abi, nr: u32, index: usize, text: &str, wide: bool) -> Result<u64> {
    let numeric = text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
    if numeric && !text.contains('|') {
        return args::parse_arg(text, wide);
    }
    if let Some(v) = decode::parse_arg(abi, nr, index, text) {
        let v = if wide { v } else { v & 0xffff_ffff };
        return Ok(v);
    }
    let names = decode::arg_names(abi, nr, index);
    let bad = text
        .split('|')
        .map(str::trim)
        .find(|part| decode::parse_arg(abi, nr, index, part).is_none())
        .unwrap_or(text);
    let what = match decode::param_name(abi, nr, index) {
        Some(p) => format!("argument {index} ({p})"),
        None => format!("argument {index}"),
    };
    if names.is_empty() && !numeric {
        return Err(Error::new(format!(
            "'{text}' is not a number, and {what} has no named constants"
        )));
    }
    Err(Error::new(format!(
        "'{bad}' is not a number nor a constant of {what}{}",
        args::suggestion(bad, names.iter().copied())
    )))
}

/// The number of `syscall` on `abi`: a name from its table, or a number.
fn syscall_nr(abi: Abi, syscall: &str) -> Result<u32> {
    if syscall.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        return args::parse_u32(syscall, "system call number");
    }
    abi.syscall_nr(syscall).ok_or_else(|| {
        Error::new(format!(
            "unknown system call '{syscall}' on {}{}",
            abi.name(),
            match args::did_you_mean(syscall, abi.syscalls().iter().map(|&(_, n)| n)) {
                Some(name) => format!(" (did you mean '{name}'?)"),
                None => " (give a name from its table or a number)".into(),
            }
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
        let e = syscall_nr(Abi::X86_64, "getpdi").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown system call 'getpdi' on x86_64 (did you mean 'getpid'?)"
        );
        assert!(syscall_nr(Abi::X86_64, "12x").is_err());
    }
}
