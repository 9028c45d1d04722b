//! What every command shares: option values (architectures, numbers), input
//! files, output files, and the `--help` / `--version` options.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use lexopt::prelude::*;
use seccompy_bpf::Program;
use seccompy_bpf::validate::validate;
use seccompy_sys::BPF_MAXINSNS;
use seccompy_sys::syscalls::Abi;

use crate::error::{Error, Result};

/// What `--version` prints.
pub const VERSION: &str = concat!("seccompy ", env!("CARGO_PKG_VERSION"));

/// Handles the options every command takes: `-h`/`--help` prints `help`,
/// `-V`/`--version` prints the version. `Some(result)` means the command is done.
pub fn standard_option(
    arg: &lexopt::Arg<'_>,
    help: &str,
    out: &mut dyn Write,
) -> Option<Result<()>> {
    let text = match arg {
        Short('h') | Long("help") => help,
        Short('V') | Long("version") => VERSION,
        _ => return None,
    };
    Some(writeln!(out, "{}", text.trim_end()).map_err(|e| Error::stdout(&e)))
}

/// The value of an option as UTF-8 text.
pub fn text(parser: &mut lexopt::Parser) -> Result<String> {
    Ok(parser.value()?.string()?)
}

/// Reads a negative number that lexopt took for short options (`-12` arrives as
/// `Short('1')` followed by `2`): puts `-`, the digit and the rest of the argument
/// back together. `None` if `c` is not a digit.
pub fn negative_number(c: char, parser: &mut lexopt::Parser) -> Result<Option<String>> {
    if !c.is_ascii_digit() {
        return Ok(None);
    }
    let rest = match parser.optional_value() {
        Some(v) => v.string()?,
        None => String::new(),
    };
    Ok(Some(format!("-{c}{rest}")))
}

/// Looks an architecture up by name (`x86_64`, `aarch64`, `i386`, `x32`, aliases
/// such as `amd64` and `arm64`).
pub fn parse_abi(name: &str) -> Result<Abi> {
    Abi::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Abi::ALL.iter().map(|a| a.name()).collect();
        Error::new(format!(
            "unknown architecture '{name}' (known: {})",
            known.join(", ")
        ))
    })
}

/// The ABI given with `--arch`, or the host's.
pub fn abi_or_host(abi: Option<Abi>) -> Result<Abi> {
    abi.or_else(Abi::host).ok_or_else(|| {
        Error::new("this machine's architecture is not one seccomp knows; pass --arch ARCH")
    })
}

/// Parses an integer: decimal, `0x` hexadecimal, `0o` octal or `0b` binary, with an
/// optional `-` sign and `_` separators. `None` if it is not one.
pub fn parse_int(s: &str) -> Option<i128> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else {
        (10, lower.as_str())
    };
    let body: String = body.chars().filter(|&c| c != '_').collect();
    // from_str_radix would accept a second sign; only digits are allowed here.
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(&body, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses a system call argument for an ABI whose registers are 64 bits wide
/// (`wide`) or 32 bits wide. Negative values are two's complement in the
/// register's width (`-1` is `0xffffffff` on a 32-bit ABI, as the kernel would
/// pass it); values that do not fit the register are refused.
pub fn parse_arg(s: &str, wide: bool) -> Result<u64> {
    let v = parse_int(s).ok_or_else(|| {
        Error::new(format!(
            "'{s}' is not a number (decimal, 0x hexadecimal, 0o octal or 0b binary, optionally negative)"
        ))
    })?;
    let (min, max) = if wide {
        (i128::from(i64::MIN), i128::from(u64::MAX))
    } else {
        (i128::from(i32::MIN), i128::from(u32::MAX))
    };
    if v < min || v > max {
        let bits = if wide { 64 } else { 32 };
        return Err(Error::new(format!(
            "argument {s} does not fit in a {bits}-bit register"
        )));
    }
    let bits = v as u64;
    Ok(if wide { bits } else { bits & 0xffff_ffff })
}

/// Parses a 32-bit value (a syscall number: `-1` is `0xffffffff`).
pub fn parse_u32(s: &str, what: &str) -> Result<u32> {
    match parse_int(s) {
        Some(v) if (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v) => {
            Ok((v as i64) as u32)
        }
        Some(_) => Err(Error::new(format!("{what} {s} does not fit in 32 bits"))),
        None => Err(Error::new(format!("{what} '{s}' is not a number"))),
    }
}

/// A path given on the command line (`-` is standard input or output).
pub fn path(value: OsString) -> PathBuf {
    PathBuf::from(value)
}

/// The last component of a path, for messages and generated comments
/// (`standard input` for `-`).
pub fn file_name(path: &Path) -> String {
    if is_dash(path) {
        return "standard input".into();
    }
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// Whether a path names standard input or output.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// What an input file holds, which bounds its size: every input is read with
/// its limit, and refused as soon as it is passed, so that `/dev/zero` or an
/// endless pipe costs no more than the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A raw program: at most [`BPF_MAXINSNS`] (4096) instructions of 8 bytes,
    /// 32 KiB, the most the kernel loads.
    Program,
    /// A text program for `asm`: 1 MiB, room for the kernel's 4096
    /// instructions at 256 bytes a line, labels and comments included.
    Assembly,
    /// An OCI or Docker profile, an OCI `config.json` or an agent policy: 4 MiB. Docker's
    /// default profile is 13 KiB and a profile naming every syscall of every
    /// ABI with arguments stays far below 1 MiB; a larger file is a mistake
    /// (or a stream that never ends), not a profile.
    Profile,
}

impl Input {
    /// The most bytes an input of this kind may have.
    pub const fn limit(self) -> u64 {
        match self {
            Input::Program => (8 * BPF_MAXINSNS) as u64,
            Input::Assembly => 1 << 20,
            Input::Profile => 4 << 20,
        }
    }

    /// The limit, said for an error message.
    fn said(self) -> &'static str {
        match self {
            Input::Program => {
                "32 KiB, 4096 instructions (the kernel's limit on a program, BPF_MAXINSNS)"
            }
            Input::Assembly => {
                "1 MiB, seccompy's limit on a text program (4096 instructions, the kernel's limit, at 256 bytes a line)"
            }
            Input::Profile => "4 MiB, seccompy's limit on a profile",
        }
    }
}

/// Reads a whole file (`-` reads standard input) of kind `kind`, refusing it as
/// soon as it passes the kind's [limit](Input::limit).
pub fn read_file(path: &Path, kind: Input) -> Result<Vec<u8>> {
    let limit = kind.limit();
    let mut bytes = Vec::new();
    let result = if is_dash(path) {
        io::stdin().lock().take(limit + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(format!(
            "{}: too large, more than {}",
            path.display(),
            kind.said()
        )));
    }
    Ok(bytes)
}

/// Reads a file of kind `kind` (see [`read_file`]) as UTF-8 text.
pub fn read_text(path: &Path, kind: Input) -> Result<String> {
    utf8(path, read_file(path, kind)?)
}

/// The bytes read from `path` as UTF-8 text.
pub fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::new(format!("{}: not UTF-8 text", path.display())))
}

/// Reads a raw program: 8-byte little-endian `struct sock_filter` records.
pub fn read_program(path: &Path) -> Result<Program> {
    program(path, &read_file(path, Input::Program)?)
}

/// The bytes read from `path` as a raw program (see [`read_program`]).
pub fn program(path: &Path, bytes: &[u8]) -> Result<Program> {
    if bytes.is_empty() {
        return Err(Error::new(format!(
            "{}: the file is empty, not a BPF program",
            path.display()
        )));
    }
    Program::from_bytes(bytes).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

/// Reads a raw program (see [`read_program`]) that the kernel would accept.
pub fn read_valid_program(path: &Path) -> Result<Program> {
    valid(path, read_program(path)?)
}

/// `prog`, read from `path`, if the kernel would accept it.
pub fn valid(path: &Path, prog: Program) -> Result<Program> {
    validate(prog.insns()).map_err(|e| {
        Error::new(format!(
            "{}: the kernel would reject this program: {e}",
            path.display()
        ))
    })?;
    Ok(prog)
}

/// Writes `bytes` to the file `path`, or to `out` (standard output) for `None`
/// or `-`. Binary output is refused when standard output is a terminal.
pub fn write_output(
    path: Option<&Path>,
    bytes: &[u8],
    binary: bool,
    out: &mut dyn Write,
) -> Result<()> {
    match path {
        Some(p) if !is_dash(p) => std::fs::write(p, bytes)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", p.display()))),
        _ => {
            if binary && io::stdout().is_terminal() {
                return Err(Error::new(
                    "refusing to write a binary program to a terminal; use -o FILE",
                ));
            }
            out.write_all(bytes).map_err(|e| Error::stdout(&e))
        }
    }
}

/// The candidate closest to `word` (Levenshtein distance, ignoring case), if
/// close enough to be what was meant: at most 1 edit for words up to 4
/// characters, 2 up to 8, 3 beyond.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let limit = match word.chars().count() {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .map(|c| (distance(&word, &c.to_ascii_lowercase()), c))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// `" (did you mean 'X'?)"` for [`did_you_mean`]'s answer, or nothing.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates).map_or_else(String::new, |c| format!(" (did you mean '{c}'?)"))
}

/// The edit distance between two strings, by characters: insertions,
/// deletions, substitutions and swaps of two neighbours (`bsah` is one edit
/// from `bash`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Requires a positional argument that was not given.
pub fn required<T>(value: Option<T>, what: &str) -> Result<T> {
    value.ok_or_else(|| Error::new(format!("missing {what} (see --help)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("40"), Some(40));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("0x7fff_0000"), Some(0x7fff_0000));
        assert_eq!(parse_int("0XfF"), Some(255));
        assert_eq!(parse_int("-0x10"), Some(-16));
        assert_eq!(parse_int("0o777"), Some(0o777));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("+7"), Some(7));
        for bad in [
            "", "-", "0x", "x10", "12a", "--1", "-+1", "0x-1", "1.5", "_",
        ] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn arguments_in_register_width() {
        assert_eq!(parse_arg("-1", true).unwrap(), u64::MAX);
        assert_eq!(parse_arg("-1", false).unwrap(), 0xffff_ffff);
        assert_eq!(parse_arg("0xffffffffffffffff", true).unwrap(), u64::MAX);
        assert!(parse_arg("0x1_0000_0000", false).is_err());
        assert!(parse_arg("0x1_0000_0000_0000_0000", true).is_err());
        assert!(parse_arg("-0x8000_0001", false).is_err());
        assert_eq!(parse_arg("-0x8000_0000", false).unwrap(), 0x8000_0000);
        assert!(parse_arg("abc", true).is_err());
        assert_eq!(parse_u32("-1", "syscall").unwrap(), u32::MAX);
        assert_eq!(parse_u32("0x40000027", "syscall").unwrap(), 0x4000_0027);
        assert!(parse_u32("0x1_0000_0000", "syscall").is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("bsah", "bash"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("getpdi", ["getpid", "getppid", "read"]),
            Some("getpid")
        );
        assert_eq!(did_you_mean("SOCKET", ["socket"]), Some("socket"));
        assert_eq!(did_you_mean("xyz", ["getpid"]), None);
        assert_eq!(
            suggestion("lgo-denied", ["log-denied"]),
            " (did you mean 'log-denied'?)"
        );
        assert_eq!(suggestion("zzzz", ["log-denied"]), "");
    }

    #[test]
    fn architectures() {
        assert_eq!(parse_abi("amd64").unwrap(), Abi::X86_64);
        let e = parse_abi("vax").unwrap_err().to_string();
        assert!(e.starts_with("unknown architecture 'vax' (known: x86_64, x32, i386"));
    }
}
