//! `seccompy`: the command-line tool of the seccompy toolkit.
//!
//! Offline commands work on raw seccomp BPF programs (little-endian 8-byte
//! `struct sock_filter` records) for any ABI, on any host. Each command lives in
//! its own module with a `SUMMARY`, a `HELP` and a `run` function, listed in
//! [`COMMANDS`]; a new command is one more module and one more entry. Live
//! commands (`run`, `dump`, `trace`) work on processes of this machine; `audit`
//! judges a program in the emulator.
//!
//! Errors print one line, `seccompy: <message>`, on standard error and exit with
//! status 2; `run` and `trace` exit with their command's status, `audit` with 1
//! when it has findings at or above `--fail-on`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use lexopt::prelude::*;

mod args;
#[macro_use]
mod format;
mod asm;
mod compile;
mod disasm;
mod emu;
mod error;
mod json;
mod stats;
#[macro_use]
mod source;
mod audit;
mod dump;
mod run;
mod supervise;
mod trace;

use error::{Error, Result};

/// A subcommand.
struct Command {
    /// Its name on the command line.
    name: &'static str,
    /// One line for `seccompy --help`.
    summary: &'static str,
    /// Its `--help` text.
    help: &'static str,
    /// Parses the rest of the command line and runs.
    run: fn(&mut lexopt::Parser, &mut dyn Write) -> Result<()>,
}

/// Every subcommand, in the order `seccompy --help` lists them.
const COMMANDS: &[Command] = &[
    Command {
        name: "compile",
        summary: compile::SUMMARY,
        help: compile::HELP,
        run: compile::run,
    },
    Command {
        name: "disasm",
        summary: disasm::SUMMARY,
        help: disasm::HELP,
        run: disasm::run,
    },
    Command {
        name: "asm",
        summary: asm::SUMMARY,
        help: asm::HELP,
        run: asm::run,
    },
    Command {
        name: "emu",
        summary: emu::SUMMARY,
        help: emu::HELP,
        run: emu::run,
    },
    Command {
        name: "stats",
        summary: stats::SUMMARY,
        help: stats::HELP,
        run: stats::run,
    },
    Command {
        name: "run",
        summary: run::SUMMARY,
        help: run::HELP,
        run: run::run,
    },
    Command {
        name: "dump",
        summary: dump::SUMMARY,
        help: dump::HELP,
        run: dump::run,
    },
    Command {
        name: "audit",
        summary: audit::SUMMARY,
        help: audit::HELP,
        run: audit::run,
    },
    Command {
        name: "trace",
        summary: trace::SUMMARY,
        help: trace::HELP,
        run: trace::run,
    },
];

/// The top-level help: usage and the list of commands.
fn help() -> String {
    let mut s = String::from(
        "seccompy: build, inspect and test Linux seccomp filters\n\n\
         Usage: seccompy COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
    );
    let width = COMMANDS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in COMMANDS {
        s.push_str(&format!("  {:width$}  {}\n", c.name, c.summary));
    }
    s.push_str(
        "\nOptions:\n  -h, --help     print this help (seccompy COMMAND --help for a command's)\n  \
         -V, --version  print the version\n\n\
         Programs are raw seccomp BPF: 8-byte little-endian struct sock_filter records.\n\
         Errors print one line on standard error and exit with status 2.\n\n\
         Example:\n  seccompy emu filter.bpf --arch x86_64 getpid",
    );
    s
}

/// Parses the command name and runs the command.
fn run(out: &mut dyn Write) -> Result<()> {
    let mut parser = lexopt::Parser::from_env();
    let print = |out: &mut dyn Write, text: &str| {
        writeln!(out, "{}", text.trim_end()).map_err(|e| Error::stdout(&e))
    };
    let Some(first) = parser.next()? else {
        return Err(Error::new(
            "no command given (see 'seccompy --help' for the list)",
        ));
    };
    match first {
        Short('h') | Long("help") => print(out, &help()),
        Short('V') | Long("version") => print(out, args::VERSION),
        Value(name) => {
            let name = name.string()?;
            if name == "help" {
                return match parser.next()? {
                    Some(Value(cmd)) => print(out, find(&cmd.string()?)?.help),
                    Some(other) => Err(other.unexpected().into()),
                    None => print(out, &help()),
                };
            }
            (find(&name)?.run)(&mut parser, out)
        }
        other => Err(other.unexpected().into()),
    }
}

/// The command called `name`.
fn find(name: &str) -> Result<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name).ok_or_else(|| {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        Error::new(format!(
            "unknown command '{name}' (commands: {})",
            names.join(", ")
        ))
    })
}

fn main() -> ExitCode {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let result = run(&mut out).and_then(|()| out.flush().map_err(|e| Error::stdout(&e)));
    match result {
        Ok(()) | Err(Error::BrokenPipe) => ExitCode::SUCCESS,
        Err(Error::Exit(code)) => {
            let _ = out.flush();
            ExitCode::from(code)
        }
        Err(e) => {
            // Whatever the command printed before failing goes out first.
            let _ = out.flush();
            eprintln!("seccompy: {e}");
            ExitCode::from(e.status())
        }
    }
}
