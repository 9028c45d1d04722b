//! `seccompy stats`: a program's size, path lengths and kernel cache coverage.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use lexopt::prelude::*;
use seccompy_bpf::action::RetValue;
use seccompy_bpf::cache::cached_syscalls;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{SECCOMP_RET_ALLOW, X32_SYSCALL_BIT, seccomp_data};

use crate::error::{Error, Result};
use crate::spec;
use crate::{args, json};

/// One line for `seccompy --help`.
pub const SUMMARY: &str = "length, instructions executed per call, and kernel cache coverage";

/// `seccompy stats`'s command line, and its `--help`.
pub const SPEC: spec::Spec = spec::Spec {
    name: "stats",
    summary: SUMMARY,
    intro: "\
seccompy stats: measure a seccomp BPF program

Usage: seccompy stats FILE.bpf [--arch ARCH] [--range LO..HI] [--json]

FILE.bpf is a raw program (8-byte little-endian sock_filter records; - reads
standard input). The program must pass the kernel's checks.

Prints:
  length      the number of instructions, and the kernel's verdict (valid)
  numbers     max and mean instructions executed over the syscall numbers
              LO..HI (with the call's arch set to ARCH's audit arch and all
              arguments 0), and which number is slowest; by default 0..1023,
              offset to the ABI's first number for x32 (0x40000000) and MIPS
              (4000, 5000, 6000)
  table       the same over every syscall in ARCH's table, with the actions
              the program returns for them
  cached      the allowed syscalls the kernel's action cache would let skip
              the filter (a model of seccomp_is_const_allow), and the
              syscalls allowed with zero arguments that it cannot cache
",
    options: &[&[
        spec::ARCH,
        spec::Opt::value(
            "range",
            "LO..HI",
            spec::Complete::Nothing,
            "the syscall numbers for the `numbers` line, both included;
             at most 65536 numbers (every ABI's table spans less than
             1024), each run through the emulator",
        ),
        spec::json("one JSON document (schema seccompy.stats/1, see the README)"),
    ]],
    outro: "\
Example:
  seccompy stats docker.bpf --arch x86_64",
    positional: spec::Complete::File,
};

/// Runs the command.
pub fn run(parser: &mut lexopt::Parser, out: &mut dyn Write) -> Result<()> {
    let mut file: Option<PathBuf> = None;
    let mut abi: Option<Abi> = None;
    let mut range: Option<RangeInclusive<u32>> = None;
    let mut json = false;
    while let Some(arg) = parser.next()? {
        if let Some(done) = spec::standard(&arg, &SPEC, out) {
            return done;
        }
        match arg {
            Long("arch") => abi = Some(args::parse_abi(&args::text(parser)?)?),
            Long("range") => range = Some(parse_range(&args::text(parser)?)?),
            Long("json") => json = true,
            Value(v) if file.is_none() => file = Some(args::path(v)),
            other => return Err(other.unexpected().into()),
        }
    }
    let file = args::required(file, "the program file FILE.bpf")?;
    let abi = args::abi_or_host(abi)?;
    let range = range.unwrap_or_else(|| default_range(abi));

    let prog = args::read_valid_program(&file)?;
    let insns = prog.insns();
    let run = |nr: u32| {
        let data = seccomp_data {
            nr: nr as i32,
            arch: abi.audit_arch(),
            ..seccomp_data::default()
        };
        emulate_for(insns, &data, ByteOrder::of(abi))
            .map_err(|e| Error::new(format!("{}: syscall {nr}: {e}", file.display())))
    };

    let mut report = String::new();
    let w = &mut report;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "length: {} instructions (valid)", prog.len());
    let _ = writeln!(
        w,
        "arch: {} (audit arch {:#010x}, {}-endian)",
        abi.name(),
        abi.audit_arch(),
        if abi.is_little_endian() {
            "little"
        } else {
            "big"
        }
    );

    let mut numbers = PathStats::default();
    for nr in range.clone() {
        numbers.add(nr, run(nr)?.executed);
    }
    let _ = writeln!(
        w,
        "numbers {}..{}: max {} (syscall {}), mean {:.2} instructions",
        number(*range.start()),
        number(*range.end()),
        numbers.max,
        describe(abi, numbers.slowest),
        numbers.mean()
    );

    let mut table = PathStats::default();
    let mut decisions: BTreeMap<u32, usize> = BTreeMap::new();
    let mut allowed: Vec<(u32, &str)> = Vec::new();
    for &(nr, name) in abi.syscalls() {
        let outcome = run(nr)?;
        table.add(nr, outcome.executed);
        *decisions.entry(outcome.ret).or_default() += 1;
        if outcome.ret == SECCOMP_RET_ALLOW {
            allowed.push((nr, name));
        }
    }
    let _ = writeln!(
        w,
        "table: {} syscalls: max {} (syscall {}), mean {:.2} instructions",
        table.count,
        table.max,
        describe(abi, table.slowest),
        table.mean()
    );
    let mut by_count: Vec<(u32, usize)> = decisions.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let list: Vec<String> = by_count
        .iter()
        .map(|&(ret, n)| format!("{} {n}", RetValue(ret)))
        .collect();
    let _ = writeln!(w, "actions: {}", list.join(", "));

    let cached = kernel_cached(insns, abi);
    let _ = writeln!(
        w,
        "cached: {} of {} syscalls allowed with zero arguments",
        cached.len(),
        allowed.len()
    );
    let _ = write!(w, "cached syscalls:{}", names(&cached));
    let not_cached: Vec<(u32, &str)> = allowed
        .iter()
        .copied()
        .filter(|c| !cached.contains(c))
        .collect();
    let _ = write!(w, "allowed, not cached:{}", names(&not_cached));
    if abi == Abi::X32 {
        let _ = writeln!(
            w,
            "note: the kernel never caches x32 calls (their numbers lie past the cache's bitmap)"
        );
    }
    if json {
        let paths = |p: &PathStats| {
            vec![
                ("count", p.count.to_string()),
                ("max", p.max.to_string()),
                ("slowest", p.slowest.to_string()),
                (
                    "slowest_name",
                    json::opt_string(abi.syscall_name(p.slowest)),
                ),
                ("mean", format!("{:.4}", p.mean())),
            ]
        };
        let mut numbers_fields = vec![
            ("from", range.start().to_string()),
            ("to", range.end().to_string()),
        ];
        numbers_fields.extend(paths(&numbers));
        let actions = by_count.iter().map(|&(ret, n)| {
            json::object(&[
                ("action", json::string(&RetValue(ret).to_string())),
                ("value", ret.to_string()),
                ("syscalls", n.to_string()),
            ])
        });
        let name_list = |l: &[(u32, &str)]| json::strings(l.iter().map(|&(_, n)| n));
        report = json::object(&[
            ("schema", json::string(SCHEMA)),
            ("length", prog.len().to_string()),
            ("arch", json::string(abi.name())),
            ("audit_arch", abi.audit_arch().to_string()),
            ("numbers", json::object(&numbers_fields)),
            ("table", json::object(&paths(&table))),
            ("actions", json::array(actions)),
            ("allowed", allowed.len().to_string()),
            ("cached", name_list(&cached)),
            ("allowed_not_cached", name_list(&not_cached)),
        ]);
        report.push('\n');
    }
    out.write_all(report.as_bytes())
        .map_err(|e| Error::stdout(&e))
}

/// The `schema` of `stats --json`.
pub const SCHEMA: &str = "seccompy.stats/1";

/// Max and mean of a number of runs.
#[derive(Default)]
struct PathStats {
    count: usize,
    total: usize,
    max: usize,
    slowest: u32,
}

impl PathStats {
    fn add(&mut self, nr: u32, executed: usize) {
        if self.count == 0 || executed > self.max {
            self.max = executed;
            self.slowest = nr;
        }
        self.count += 1;
        self.total += executed;
    }

    fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total as f64 / self.count as f64
        }
    }
}

/// `41 socket`, or `1000` for a number the table does not name.
fn describe(abi: Abi, nr: u32) -> String {
    match abi.syscall_name(nr) {
        Some(name) => format!("{} {name}", number(nr)),
        None => number(nr),
    }
}

/// A syscall number in decimal, or in hexadecimal from `0x10000` on (x32's
/// `0x40000000` bit, ARM's private calls).
fn number(nr: u32) -> String {
    if nr >= 0x1_0000 {
        format!("{nr:#x}")
    } else {
        nr.to_string()
    }
}

/// ` none` and a line break, or the names on indented lines of at most 80
/// columns, each ending with a line break.
fn names(list: &[(u32, &str)]) -> String {
    if list.is_empty() {
        return " none\n".into();
    }
    let mut s = String::new();
    let mut column = 80;
    for &(_, name) in list {
        if column + 1 + name.len() > 80 {
            s.push_str("\n ");
            column = 1;
        }
        s.push(' ');
        s.push_str(name);
        column += 1 + name.len();
    }
    s.push('\n');
    s
}

/// The syscalls the kernel would cache as allowed: the model's answer, less the
/// numbers the kernel's bitmaps do not cover (see `seccompy_bpf::cache`): x32
/// calls, and ARM's private calls at `0x0f0000` and above.
fn kernel_cached(insns: &[seccompy_bpf::Insn], abi: Abi) -> Vec<(u32, &'static str)> {
    let mut cached = cached_syscalls(insns, abi);
    match abi {
        Abi::X32 => cached.retain(|&(nr, _)| nr < X32_SYSCALL_BIT),
        Abi::Arm | Abi::Armeb => cached.retain(|&(nr, _)| nr < 0x000f_0000),
        _ => {}
    }
    cached
}

/// 1024 numbers from the first of `abi`'s numbering: `0..1023`, but from
/// `0x40000000` for x32 and from 4000, 5000 and 6000 for MIPS o32, n64 and n32.
fn default_range(abi: Abi) -> RangeInclusive<u32> {
    let base = match abi {
        Abi::X32 => X32_SYSCALL_BIT,
        Abi::Mips | Abi::Mipsel => 4000,
        Abi::Mips64 | Abi::Mipsel64 => 5000,
        Abi::Mips64n32 | Abi::Mipsel64n32 => 6000,
        _ => 0,
    };
    base..=base + 1023
}

/// Parses `LO..HI` (both included).
fn parse_range(s: &str) -> Result<RangeInclusive<u32>> {
    let bad = || Error::new(format!("bad range '{s}': expected LO..HI, as 0..1023"));
    let (lo, hi) = s.split_once("..").ok_or_else(bad)?;
    let lo = args::parse_u32(lo, "range start")?;
    let hi = args::parse_u32(hi.strip_prefix('=').unwrap_or(hi), "range end")?;
    if lo > hi {
        return Err(bad());
    }
    let width = u64::from(hi - lo) + 1;
    if width > MAX_RANGE {
        return Err(Error::new(format!(
            "range '{s}' has {width} numbers, more than the {MAX_RANGE} --range takes"
        )));
    }
    Ok(lo..=hi)
}

/// The most numbers `--range` takes: each is one run of the emulator, and
/// 65536 is far more than any ABI's table spans (under 1024 numbers), so a
/// wider range is a mistake that would run for minutes (all 2^32 numbers:
/// hours), not a measurement.
const MAX_RANGE: u64 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0..1023").unwrap(), 0..=1023);
        assert_eq!(parse_range("5..=5").unwrap(), 5..=5);
        assert_eq!(
            parse_range("0x40000000..0x40000010").unwrap(),
            0x4000_0000..=0x4000_0010
        );
        assert!(parse_range("9..1").is_err());
        assert!(parse_range("1-9").is_err());
        assert!(parse_range("a..b").is_err());
        assert_eq!(parse_range("0..65535").unwrap(), 0..=65535);
        let e = parse_range("0..4294967295").unwrap_err().to_string();
        assert_eq!(
            e,
            "range '0..4294967295' has 4294967296 numbers, more than the 65536 --range takes"
        );
        assert!(parse_range("7..65543").is_err());
        assert_eq!(default_range(Abi::X86_64), 0..=1023);
        assert_eq!(default_range(Abi::X32), 0x4000_0000..=0x4000_03ff);
        // The first o32 syscall is 4000 (syscall), in the range.
        assert!(default_range(Abi::Mips).contains(&Abi::Mips.syscalls()[0].0));
    }

    #[test]
    fn path_stats() {
        let mut s = PathStats::default();
        assert_eq!(s.mean(), 0.0);
        s.add(3, 5);
        s.add(4, 9);
        s.add(5, 9);
        assert_eq!((s.max, s.slowest, s.count), (9, 4, 3));
        assert!((s.mean() - 23.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn name_lists_wrap() {
        assert_eq!(names(&[]), " none\n");
        let list: Vec<(u32, &str)> = (0..40).map(|i| (i, "abcdefghi")).collect();
        let text = names(&list);
        assert!(text.starts_with("\n  abcdefghi abcdefghi"));
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert!(lines.iter().all(|l| l.len() <= 80 && l.starts_with("  a")));
        // 40 names of 10 columns each, 8 per line of 80 columns with the indent.
        assert_eq!(lines.len(), 6);
        assert_eq!(
            lines
                .iter()
                .map(|l| l.split_whitespace().count())
                .sum::<usize>(),
            40
        );
    }
}
