//! `seccompy`: the command-line tool of the seccompy toolkit.
//!
//! Offline commands work on raw seccomp BPF programs (little-endian 8-byte
//! `struct sock_filter` records) for any ABI, on any host. Each command lives in
//! its own module with a `SUMMARY`, a `SPEC` (its options and help text, see
//! [`spec`]: `--help`, the shell completions and the man page are generated
//! from it) and a `run` function, listed in [`COMMANDS`]; a new command is one
//! more module and one more entry. Live
//! commands (`run`, `dump`, `trace`) work on processes of this machine; `audit`
//! judges a program in the emulator.
//!
//! Errors print one line, `seccompy: <message>`, on standard error and exit with
//! status 2 (`run`: 125, 126 when its command cannot be executed, 127 when it is
//! not found); `run` and `trace` exit with their command's status, `audit` with 1
//! when it has findings at or above `--fail-on`.
//!
//! The tool composes the libraries and holds no `unsafe` code: every system
//! call it needs has a safe wrapper in `seccompy`.
#![forbid(unsafe_code)]

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use lexopt::prelude::*;

mod agent;
mod args;
mod asm;
mod audit;
mod compile;
mod disasm;
mod dump;
mod emu;
mod error;
mod format;
mod json;
mod meta;
mod run;
mod source;
mod spec;
mod stats;
mod supervise;
mod trace;

use error::{Error, Result};

/// A subcommand.
pub struct Command {
    /// Its command line: name, summary, options, `--help` (the completions
    /// and the man page are generated from it too).
    pub spec: &'static spec::Spec,
    /// Parses the rest of the command line and runs.
    run: fn(&mut lexopt::Parser, &mut dyn Write) -> Result<()>,
}

/// Every subcommand, in the order `seccompy --help` lists them.
const COMMANDS: &[Command] = &[
    Command {
        spec: &compile::SPEC,
        run: compile::run,
    },
    Command {
        spec: &disasm::SPEC,
        run: disasm::run,
    },
    Command {
        spec: &asm::SPEC,
        run: asm::run,
    },
    Command {
        spec: &emu::SPEC,
        run: emu::run,
    },
    Command {
        spec: &stats::SPEC,
        run: stats::run,
    },
    Command {
        spec: &run::SPEC,
        run: run::run,
    },
    Command {
        spec: &dump::SPEC,
        run: dump::run,
    },
    Command {
        spec: &audit::SPEC,
        run: audit::run,
    },
    Command {
        spec: &trace::SPEC,
        run: trace::run,
    },
    Command {
        spec: &agent::SPEC,
        run: agent::run,
    },
    Command {
        spec: &meta::COMPLETIONS,
        run: meta::completions,
    },
    Command {
        spec: &meta::MAN,
        run: meta::man,
    },
];

/// The top-level help: usage and the list of commands.
fn help() -> String {
    let mut s = String::from(
        "seccompy: build, inspect and test Linux seccomp filters\n\n\
         Usage: seccompy COMMAND [OPTIONS] [ARGS]\n\nCommands:\n",
    );
    let width = COMMANDS
        .iter()
        .map(|c| c.spec.name.len())
        .max()
        .unwrap_or(0);
    for c in COMMANDS {
        s.push_str(&format!("  {:width$}  {}\n", c.spec.name, c.spec.summary));
    }
    s.push_str(
        "\nOptions:\n  -h, --help     print this help (seccompy COMMAND --help for a command's)\n  \
         -V, --version  print the version\n\n\
         Programs are raw seccomp BPF: 8-byte little-endian struct sock_filter records.\n\
         Errors print one line on standard error and exit with status 2 (run: 125,\n\
         126 when its command cannot be executed, 127 when it is not found).\n\n\
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
                    Some(Value(cmd)) => print(out, &find(&cmd.string()?)?.spec.help()),
                    Some(other) => Err(other.unexpected().into()),
                    None => print(out, &help()),
                };
            }
            let command = find(&name)?;
            (command.run)(&mut parser, out).map_err(|e| suggest_option(command, e))
        }
        other => Err(other.unexpected().into()),
    }
}

/// The command called `name`.
fn find(name: &str) -> Result<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.spec.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = COMMANDS.iter().map(|c| c.spec.name).collect();
            Error::new(format!(
                "unknown command '{name}'{} (commands: {})",
                args::suggestion(name, names.iter().copied()),
                names.join(", ")
            ))
        })
}

/// An "invalid option '--X'" error with the closest option of the command's
/// spec suggested.
fn suggest_option(command: &Command, e: Error) -> Error {
    let spec = command.spec;
    let add = |m: String| {
        let Some(name) = m
            .strip_prefix("invalid option '--")
            .and_then(|r| r.strip_suffix('\''))
        else {
            return m;
        };
        // `--name=value` arrives whole.
        let name = name.split('=').next().unwrap_or(name);
        let hint = spec.suggest(name);
        format!("{m}{hint}")
    };
    match e {
        Error::Message(m) => Error::Message(add(m)),
        Error::Status(code, m) => Error::Status(code, add(m)),
        other => other,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The options a module's parser matches: its `Long("...")` and
    /// `Short('.')` patterns (and, for `source.rs`, `Some("...") =>`).
    fn parsed_options(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        let patterns: &[(&str, &str)] = if source.contains("pub struct Source") {
            &[("Some(\"", "\") =>")]
        } else {
            &[("Long(\"", "\")"), ("Short('", "')")]
        };
        for &(open, close) in patterns {
            let mut rest = source;
            while let Some(i) = rest.find(open) {
                rest = &rest[i + open.len()..];
                if let Some(j) = rest.find(close) {
                    found.push(rest[..j].to_string());
                }
            }
        }
        found
    }

    /// Each converted command's source, with the spec it must agree with.
    const SOURCES: &[(&str, &str)] = &[
        ("compile", include_str!("compile.rs")),
        ("disasm", include_str!("disasm.rs")),
        ("asm", include_str!("asm.rs")),
        ("emu", include_str!("emu.rs")),
        ("stats", include_str!("stats.rs")),
        ("run", include_str!("run.rs")),
        ("dump", include_str!("dump.rs")),
        ("audit", include_str!("audit.rs")),
        ("trace", include_str!("trace.rs")),
        ("agent", include_str!("agent.rs")),
        ("completions", include_str!("meta.rs")),
        ("run", include_str!("source.rs")),
    ];

    fn spec_of(name: &str) -> &'static spec::Spec {
        find(name).unwrap().spec
    }

    #[test]
    fn every_parsed_option_is_defined() {
        for &(name, source) in SOURCES {
            let spec = spec_of(name);
            for opt in parsed_options(source) {
                let known = spec
                    .all_options()
                    .any(|o| o.long == opt || o.short.is_some_and(|c| c.to_string() == opt));
                assert!(
                    known,
                    "{name} parses {opt:?}, which its SPEC does not define"
                );
            }
        }
    }

    /// An option no command defines.
    const SENTINEL: &str = "--no-such-option";

    #[test]
    fn every_defined_option_is_parsed() {
        for command in COMMANDS {
            let spec = command.spec;
            for o in spec.all_options() {
                let mut forms = vec![format!("--{}", o.long)];
                forms.extend(o.short.map(|c| format!("-{c}")));
                for form in forms {
                    let mut argv = vec![form.clone()];
                    if o.value.is_some() {
                        argv.push("1".into());
                    }
                    // An option no command takes stops every command (the
                    // agent takes no positional argument) before it does
                    // anything: only the option parsing is tried.
                    argv.push(SENTINEL.into());
                    let mut parser = lexopt::Parser::from_args(argv);
                    let mut sink = Vec::new();
                    if let Err(e) = (command.run)(&mut parser, &mut sink) {
                        let e = e.to_string();
                        assert!(
                            e.contains(SENTINEL)
                                || !e.contains("invalid option")
                                    && !e.contains("unexpected argument"),
                            "{} {form}: {e}",
                            command.spec.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn help_is_generated_from_the_spec() {
        let help = spec_of("emu").help();
        assert!(help.starts_with("seccompy emu: "), "{help}");
        assert!(help.contains("\nOptions:\n  --arch ARCH  "), "{help}");
        assert!(
            help.contains("\n  -q, --quiet    print the action and the count only\n"),
            "{help}"
        );
        assert!(
            help.contains("\n  -h, --help     print this help\n"),
            "{help}"
        );
        // Continuation lines line up under the first.
        assert!(
            help.contains("seccomp_data.arch,\n                 its byte order"),
            "{help}"
        );
    }
}
