//! `seccompy completions SHELL` and `seccompy man`: generated from the
//! commands' [`Spec`]s, the same definitions as their
//! `--help`.

use std::io::Write;

use lexopt::prelude::*;

use crate::error::{Error, Result};
use crate::spec::{self, Complete, Spec};
use crate::{COMMANDS, args};

/// One line for `seccompy --help`.
pub const COMPLETIONS_SUMMARY: &str = "print a shell completion script (bash, zsh, fish)";

/// `seccompy completions`'s command line, and its `--help`.
pub const COMPLETIONS: Spec = Spec {
    name: "completions",
    summary: COMPLETIONS_SUMMARY,
    intro: "\
seccompy completions: print a shell completion script

Usage: seccompy completions SHELL

SHELL is bash, zsh or fish. The script completes commands, options, option
values (architectures, formats, severities), files, and a command after --;
it is generated from the same definitions as each command's --help.",
    options: &[],
    outro: "\
Example:
  seccompy completions bash > /etc/bash_completion.d/seccompy
  seccompy completions zsh > \"${fpath[1]}/_seccompy\"
  seccompy completions fish > ~/.config/fish/completions/seccompy.fish",
    positional: Complete::Words(spec::SHELLS),
};

/// One line for `seccompy --help`.
pub const MAN_SUMMARY: &str = "print the man page seccompy(1) (roff)";

/// `seccompy man`'s command line, and its `--help`.
pub const MAN: Spec = Spec {
    name: "man",
    summary: MAN_SUMMARY,
    intro: "\
seccompy man: print the man page seccompy(1)

Usage: seccompy man

The page (roff, for man) holds every command's usage, description, options
and examples: the text of its --help.",
    options: &[],
    outro: "\
Example:
  seccompy man > /usr/local/share/man/man1/seccompy.1
  seccompy man | man -l -",
    positional: Complete::Nothing,
};

/// Every command's spec.
fn commands() -> Vec<&'static Spec> {
    COMMANDS.iter().map(|c| c.spec).collect()
}

/// Runs `seccompy completions`.
pub fn completions(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut shell: Option<String> = None;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &COMPLETIONS, out) {
            return done;
        }
        match arg {
            Value(v) if shell.is_none() => shell = Some(v.string()?),
            other => return Err(other.unexpected().into()),
        }
    }
    let shell = args::required(shell, "the shell (bash, zsh or fish)")?;
    let script = spec::completions(&shell, &commands())?;
    out.write_all(script.as_bytes())
        .map_err(|e| Error::stdout(&e))
}

/// Runs `seccompy man`.
pub fn man(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    if let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &MAN, out) {
            return done;
        }
        return Err(arg.unexpected().into());
    }
    let page = spec::man(&commands(), args::VERSION);
    out.write_all(page.as_bytes())
        .map_err(|e| Error::stdout(&e))
}
