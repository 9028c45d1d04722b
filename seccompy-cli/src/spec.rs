//! The definitions of the commands' command lines: one [`Spec`] per command,
//! from which its `--help`, the shell completions (`seccompy completions
//! bash|zsh|fish`) and the man page (`seccompy man`) are all generated, so
//! that they cannot disagree. Each command module defines `pub const SPEC`;
//! `tests` below checks that every option a module's parser matches is in its
//! spec and that every option of a spec is accepted by the parser.

use std::fmt::Write as _;
use std::io::Write;

use seccompy_sys::syscalls::Abi;

use crate::error::{Error, Result};

/// What completes a value (an option's, or the positional arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Complete {
    /// Nothing to offer.
    Nothing,
    /// A file name.
    File,
    /// An architecture name.
    Arch,
    /// One of these words.
    Words(&'static [&'static str]),
    /// A command and its arguments (after `--`).
    Command,
}

/// One option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt {
    /// Its long name, without `--`.
    pub long: &'static str,
    /// Its short name, if any.
    pub short: Option<char>,
    /// The name of its value (`ARCH`), or `None` for a switch.
    pub value: Option<&'static str>,
    /// What it does: one line, or several (continuations are indented under
    /// the first).
    pub help: &'static str,
    /// What completes its value.
    pub complete: Complete,
}

impl Opt {
    /// A switch.
    pub const fn flag(long: &'static str, help: &'static str) -> Opt {
        Opt {
            long,
            short: None,
            value: None,
            help,
            complete: Complete::Nothing,
        }
    }

    /// An option with a value.
    pub const fn value(
        long: &'static str,
        value: &'static str,
        complete: Complete,
        help: &'static str,
    ) -> Opt {
        Opt {
            long,
            short: None,
            value: Some(value),
            help,
            complete,
        }
    }

    /// This option with a short name too.
    pub const fn short(self, c: char) -> Opt {
        Opt {
            short: Some(c),
            ..self
        }
    }

    /// The left column of `--help`: `-o, --output OUT`.
    fn synopsis(&self) -> String {
        let mut s = match self.short {
            Some(c) => format!("-{c}, --{}", self.long),
            None => format!("--{}", self.long),
        };
        if let Some(v) = self.value {
            s.push(' ');
            s.push_str(v);
        }
        s
    }
}

/// `--help` and `--version`, which every command takes.
pub const STANDARD: &[Opt] = &[
    Opt::flag("help", "print this help").short('h'),
    Opt::flag("version", "print the version").short('V'),
];

/// `--arch ARCH` as most commands take it.
pub const ARCH: Opt = Opt::value(
    "arch",
    "ARCH",
    Complete::Arch,
    "the ABI (default: this machine's)",
);

/// `--json`.
pub const fn json(schema: &'static str) -> Opt {
    Opt::flag("json", schema)
}

/// A command's command line.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Its name.
    pub name: &'static str,
    /// One line for `seccompy --help`.
    pub summary: &'static str,
    /// The text before the options: the title line, `Usage:` and the
    /// description.
    pub intro: &'static str,
    /// Its options, in groups shown in order (`--help` and `--version` are
    /// added at the end).
    pub options: &'static [&'static [Opt]],
    /// The text after the options (output, examples).
    pub outro: &'static str,
    /// What completes its positional arguments.
    pub positional: Complete,
}

impl Spec {
    /// Every option, `--help` and `--version` last.
    pub fn all_options(&self) -> impl Iterator<Item = &'static Opt> + use<> {
        self.options.iter().copied().chain([STANDARD]).flatten()
    }

    /// The `--help` text.
    pub fn help(&self) -> String {
        let rows: Vec<(String, &str)> =
            self.all_options().map(|o| (o.synopsis(), o.help)).collect();
        let width = rows
            .iter()
            .map(|(s, _)| s.len())
            .filter(|&l| l <= 24)
            .max()
            .unwrap_or(0);
        let mut s = format!("{}\n\nOptions:\n", self.intro.trim_end());
        for (left, help) in rows {
            let mut lines = help.lines();
            let first = lines.next().unwrap_or("");
            if left.len() > width {
                let _ = writeln!(s, "  {left}\n  {:width$}  {first}", "");
            } else {
                let _ = writeln!(s, "  {left:width$}  {first}");
            }
            for line in lines {
                let _ = writeln!(s, "  {:width$}  {}", "", line.trim_start());
            }
        }
        if !self.outro.is_empty() {
            let _ = write!(s, "\n{}", self.outro.trim_end());
        }
        s
    }

    /// `" (did you mean '--NAME'?)"` for the long option closest to `name`,
    /// or nothing.
    pub fn suggest(&self, name: &str) -> String {
        crate::args::did_you_mean(name, self.all_options().map(|o| o.long))
            .map_or_else(String::new, |o| format!(" (did you mean '--{o}'?)"))
    }
}

/// Handles `--help` and `--version` for a command with `spec`: `Some(result)`
/// means the command is done.
pub fn standard(arg: &lexopt::Arg<'_>, spec: &Spec, out: &mut dyn Write) -> Option<Result<()>> {
    crate::args::standard_option(arg, &spec.help(), out)
}

/// The architecture names completions offer.
fn arch_names() -> Vec<&'static str> {
    Abi::ALL.iter().map(|a| a.name()).collect()
}

/// `bash`, `zsh` or `fish`.
pub const SHELLS: &[&str] = &["bash", "zsh", "fish"];

/// The completion script for `shell` over the commands `specs`.
pub fn completions(shell: &str, specs: &[&Spec]) -> Result<String> {
    match shell {
        "bash" => Ok(bash(specs)),
        "zsh" => Ok(zsh(specs)),
        "fish" => Ok(fish(specs)),
        _ => Err(Error::new(format!(
            "unknown shell '{shell}' (shells: {}){}",
            SHELLS.join(", "),
            crate::args::suggestion(shell, SHELLS.iter().copied())
        ))),
    }
}

/// Words for a value's completion in a shell's list syntax.
fn words(c: Complete) -> Vec<&'static str> {
    match c {
        Complete::Arch => arch_names(),
        Complete::Words(w) => w.to_vec(),
        _ => Vec::new(),
    }
}

fn bash(specs: &[&Spec]) -> String {
    let names: Vec<&str> = specs.iter().map(|s| s.name).chain(["help"]).collect();
    let mut s = String::from(
        "# bash completion for seccompy (generated by `seccompy completions bash`)\n\
         _seccompy() {\n\
         \x20   local cur prev cmd i\n\
         \x20   cur=\"${COMP_WORDS[COMP_CWORD]}\"\n\
         \x20   prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n\
         \x20   if [ \"$COMP_CWORD\" -eq 1 ]; then\n",
    );
    let _ = writeln!(
        s,
        "        COMPREPLY=($(compgen -W '{} --help --version' -- \"$cur\"))\n        return\n    fi",
        names.join(" ")
    );
    s.push_str(
        "    cmd=\"${COMP_WORDS[1]}\"\n\
         \x20   for ((i = 2; i < COMP_CWORD; i++)); do\n\
         \x20       if [ \"${COMP_WORDS[i]}\" = -- ]; then\n\
         \x20           COMPREPLY=($(compgen -c -- \"$cur\"))\n\
         \x20           return\n\
         \x20       fi\n\
         \x20   done\n\
         \x20   case \"$cmd\" in\n",
    );
    for spec in specs {
        let _ = writeln!(s, "    {})", spec.name);
        s.push_str("        case \"$prev\" in\n");
        for o in spec.all_options().filter(|o| o.value.is_some()) {
            let pattern = match o.short {
                Some(c) => format!("--{}|-{c}", o.long),
                None => format!("--{}", o.long),
            };
            let action = match o.complete {
                Complete::File => "COMPREPLY=($(compgen -f -- \"$cur\"))".to_string(),
                Complete::Arch | Complete::Words(_) => format!(
                    "COMPREPLY=($(compgen -W '{}' -- \"$cur\"))",
                    words(o.complete).join(" ")
                ),
                Complete::Command => "COMPREPLY=($(compgen -c -- \"$cur\"))".to_string(),
                Complete::Nothing => "COMPREPLY=()".to_string(),
            };
            let _ = writeln!(s, "            {pattern}) {action}; return ;;");
        }
        s.push_str("        esac\n");
        let opts: Vec<String> = spec
            .all_options()
            .flat_map(|o| {
                std::iter::once(format!("--{}", o.long)).chain(o.short.map(|c| format!("-{c}")))
            })
            .collect();
        let positional = match spec.positional {
            Complete::File => "compgen -f -- \"$cur\"".to_string(),
            Complete::Command => "compgen -c -- \"$cur\"".to_string(),
            c => format!("compgen -W '{}' -- \"$cur\"", words(c).join(" ")),
        };
        let _ = writeln!(
            s,
            "        if [[ \"$cur\" == -* ]]; then\n            COMPREPLY=($(compgen -W '{}' -- \"$cur\"))\n        else\n            COMPREPLY=($({positional}))\n        fi\n        ;;",
            opts.join(" ")
        );
    }
    let _ = writeln!(
        s,
        "    help)\n        COMPREPLY=($(compgen -W '{}' -- \"$cur\"))\n        ;;",
        names.join(" ")
    );
    s.push_str("    esac\n}\ncomplete -F _seccompy seccompy\n");
    s
}

/// A help text on one line.
fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// Text safe in a zsh single-quoted `_arguments` spec (`[`, `]` and `:` too).
fn zsh_quote(s: &str) -> String {
    one_line(s)
        .replace('\'', "'\\''")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
}

fn zsh_action(c: Complete) -> String {
    match c {
        Complete::File => "_files".into(),
        Complete::Command => "_command_names -e".into(),
        Complete::Nothing => " ".into(),
        c => format!("({})", words(c).join(" ")),
    }
}

fn zsh(specs: &[&Spec]) -> String {
    let mut s = String::from(
        "#compdef seccompy\n# zsh completion for seccompy (generated by `seccompy completions zsh`)\n\n_seccompy() {\n    local -a commands\n    commands=(\n",
    );
    for (name, summary) in specs.iter().map(|sp| (sp.name, sp.summary)) {
        let _ = writeln!(s, "        '{name}:{}'", zsh_quote(summary));
    }
    s.push_str(
        "    )\n    if (( CURRENT == 2 )); then\n        _describe 'command' commands\n        return\n    fi\n    case $words[2] in\n",
    );
    for spec in specs {
        let _ = writeln!(s, "    {})\n        _arguments -s \\", spec.name);
        for o in spec.all_options() {
            let help = zsh_quote(o.help);
            let names = match o.short {
                Some(c) => format!("'(-{c} --{l})'{{-{c},--{l}}}", l = o.long),
                None => format!("'--{}", o.long),
            };
            let open = if o.short.is_some() { "'" } else { "" };
            let value = match o.value {
                Some(v) => format!(":{}:{}", v.to_ascii_lowercase(), zsh_action(o.complete)),
                None => String::new(),
            };
            let _ = writeln!(s, "            {names}{open}[{help}]{value}' \\");
        }
        let rest = match spec.positional {
            Complete::Command => "            '*::command:_normal'".to_string(),
            c => format!("            '*:argument:{}'", zsh_action(c)),
        };
        let _ = writeln!(s, "{rest}\n        ;;");
    }
    s.push_str("    esac\n}\n\n_seccompy \"$@\"\n");
    s
}

fn fish(specs: &[&Spec]) -> String {
    let quote = |t: &str| one_line(t).replace('\\', "\\\\").replace('\'', "\\'");
    let mut s = String::from(
        "# fish completion for seccompy (generated by `seccompy completions fish`)\ncomplete -c seccompy -f\n",
    );
    for (name, summary) in specs.iter().map(|sp| (sp.name, sp.summary)) {
        let _ = writeln!(
            s,
            "complete -c seccompy -n '__fish_use_subcommand' -a {name} -d '{}'",
            quote(summary)
        );
    }
    for spec in specs {
        let cond = format!("__fish_seen_subcommand_from {}", spec.name);
        for o in spec.all_options() {
            let mut line = format!("complete -c seccompy -n '{cond}' -l {}", o.long);
            if let Some(c) = o.short {
                let _ = write!(line, " -s {c}");
            }
            if o.value.is_some() {
                match o.complete {
                    Complete::File => line.push_str(" -r -F"),
                    // -x: these words only, no file names.
                    Complete::Arch | Complete::Words(_) => {
                        let _ = write!(line, " -x -a '{}'", words(o.complete).join(" "));
                    }
                    _ => line.push_str(" -x"),
                }
            }
            let _ = writeln!(s, "{line} -d '{}'", quote(o.help));
        }
        match spec.positional {
            Complete::File => {
                let _ = writeln!(s, "complete -c seccompy -n '{cond}' -F");
            }
            Complete::Command => {
                let _ = writeln!(
                    s,
                    "complete -c seccompy -n '{cond}' -a '(__fish_complete_subcommand --fcs-skip=2)'"
                );
            }
            Complete::Words(_) => {
                let _ = writeln!(
                    s,
                    "complete -c seccompy -n '{cond}' -a '{}'",
                    words(spec.positional).join(" ")
                );
            }
            _ => {}
        }
    }
    s
}

/// Text for roff: backslashes escaped, a line starting with `.` or `'`
/// protected.
fn roff(text: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.replace('\\', "\\e").replace('-', "\\-");
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The man page `seccompy(1)`: the top-level description, then each command
/// with its usage, description, options and examples (the same text as its
/// `--help`).
pub fn man(specs: &[&Spec], version: &str) -> String {
    let mut s = format!(
        ".TH SECCOMPY 1 \"\" \"{version}\" \"User Commands\"\n\
         .SH NAME\nseccompy \\- build, inspect and test Linux seccomp filters\n\
         .SH SYNOPSIS\n.B seccompy\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n\
         .SH DESCRIPTION\n\
         Programs are raw seccomp BPF: 8\\-byte little\\-endian struct sock_filter records.\n\
         Every command has \\fB\\-\\-help\\fR, the text of its section below.\n\
         .SH COMMANDS\n"
    );
    for spec in specs {
        let _ = writeln!(s, ".SS {}\n{}", spec.name, roff(spec.summary));
        let _ = writeln!(s, ".PP\n.nf\n{}\n.fi", roff(spec.intro.trim_end()));
        s.push_str(".PP\nOptions:\n");
        for o in spec.all_options() {
            let mut help = one_line(o.help);
            if help.is_empty() {
                help.push('.');
            }
            let _ = writeln!(s, ".TP\n.B {}\n{}", roff(&o.synopsis()), roff(&help));
        }
        if !spec.outro.is_empty() {
            let _ = writeln!(s, ".PP\n.nf\n{}\n.fi", roff(spec.outro.trim_end()));
        }
    }
    s.push_str(
        ".SH EXIT STATUS\n\
         0 on success; 2 when seccompy fails (one line on standard error).\n\
         \\fBrun\\fR exits with its command's status (128+N for signal N), 125 when seccompy \
         itself fails, 126 when the command cannot be executed, 127 when it is not found.\n\
         \\fBaudit\\fR exits with 1 when a finding is at or above \\fB\\-\\-fail\\-on\\fR.\n\
         .SH SEE ALSO\n\\fBseccomp\\fR(2), \\fBprctl\\fR(2), \\fBptrace\\fR(2)\n",
    );
    s
}
