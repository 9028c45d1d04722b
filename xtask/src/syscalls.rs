//! `cargo xtask syscalls`: generate the syscall tables of `seccompy-sys` from the
//! kernel's UAPI `asm/unistd*.h` headers (see [`crate::headers`]). The reader takes
//! the headers' directory as a parameter: the unit tests read the small fixture tree of
//! `xtask/fixtures/uapi/`; only `cargo xtask syscalls` and `check-abi` need the
//! downloaded headers.
//!
//! Each table of [`TABLES`] is one header, `<arch>/asm/<header>`, read the way a C
//! compiler targeting that ABI reads it: through the architecture's wrapper
//! `<arch>/asm/unistd.h`, which defines the base macros the table's values refer to
//! (`__X32_SYSCALL_BIT`, MIPS's `__NR_Linux`, ARM's `__NR_SYSCALL_BASE`) and then
//! includes the table header. The rules, applied in order:
//!
//! 1. Comments are removed and continued lines (`\` at the end) joined.
//! 2. Conditionals (`#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif`) are not
//!    evaluated. In the wrappers they exist to pick the ABI's table header, so in a
//!    conditional group one of whose branches includes *this* table header, exactly
//!    that branch is kept. Of every other group, the branches including another
//!    `asm/unistd*.h` are dropped (they belong to another ABI, like MIPS's
//!    `#if _MIPS_SIM == ...` blocks defining `__NR_Linux`) and all others are kept
//!    (they hold include guards and the like).
//! 3. `#include <asm/HEADER>` of the table header is replaced by that header's kept
//!    lines; other includes (`asm/bitsperlong.h`, `asm/sgidefs.h`) are ignored.
//! 4. Every `#define NAME VALUE` of the kept lines is recorded, `#undef` forgets one.
//!    Defining a name twice with different values, or a function-like macro, is an
//!    error (none exists in the 7.2 headers).
//! 5. A macro names a syscall if and only if it is `__NR_<name>` or `__ARM_NR_<name>`
//!    with `<name>` made of lowercase letters, digits and `_` only, and `<name>` is
//!    not a count (`syscalls`, `*_syscalls`). This leaves out the base, mask and
//!    count macros (`__NR_Linux`, `__NR_SYSCALL_BASE`, `__NR_OABI_SYSCALL_BASE`,
//!    `__NR_SYSCALL_MASK`, `__ARM_NR_BASE`, `__NR_Linux_syscalls`, `__NR_syscalls`)
//!    and everything not spelt `__NR_`/`__ARM_NR_` (`__NR3264_*`, `__X32_SYSCALL_BIT`).
//! 6. A syscall macro whose value is nothing but another syscall macro is an alias
//!    (Alpha's `#define __NR_getpid __NR_getxpid`, ARM's `__NR_sync_file_range2`): it
//!    goes to the table's alias list, not its number list. Its target must exist.
//! 7. Every other syscall macro's value is evaluated: integers (decimal, `0x` hex,
//!    octal, `u`/`l` suffixes), names of recorded macros, `+` and parentheses.
//!    Anything else, an undefined name, or a value above `u32::MAX` is an error.
//! 8. Two syscalls with the same number, or the same name, in one table is an error.
//!
//! Consequences worth knowing:
//! - ARM's private calls `__ARM_NR_breakpoint`, `cacheflush`, `usr26`, `usr32`,
//!   `set_tls`, `get_tls` (at `__ARM_NR_BASE` = `0x0f0000` + 1..6) are in the `arm`
//!   table under those bare names. seccomp sees them with these numbers: ARM's
//!   `syscall_get_nr()` reports the number masked with `__NR_SYSCALL_MASK`
//!   (`0x0fffff`), which keeps them.
//! - ARM OABI (`unistd-oabi.h`) has no table: seccomp reports it as `AUDIT_ARCH_ARM`
//!   too, with the OABI base masked off, so it is not an ABI a filter can tell apart.
//! - x32 numbers include `__X32_SYSCALL_BIT`, MIPS numbers their `__NR_Linux` base
//!   (4000 o32, 5000 n64, 6000 n32): both are what `seccomp_data.nr` carries.
//! - Placeholder entries the headers define (`unused18`, `reserved177`, ...) are kept:
//!   the kernel's tables map those numbers (to `sys_ni_syscall`).
//! - There is no s390 31-bit table (the 7.2 headers have only `s390/asm/unistd_64.h`);
//!   LoongArch 32-bit has one (`loongarch/asm/unistd_32.h`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::headers::HeaderDirs;

/// One generated table: which header it comes from and which module it becomes.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The module (and file) name under `seccompy-sys/src/syscalls/`, and the table's name.
    pub module: &'static str,
    /// The directory under [`HeaderDirs::uapi`] (`x86`, `mips`, ...).
    pub arch: &'static str,
    /// The table header's file name in `<arch>/asm/`.
    pub header: &'static str,
    /// The ABIs using the table, for the generated module's documentation.
    pub abis: &'static str,
}

/// Every table, one per numbering. Big- and little-endian variants share one.
pub const TABLES: &[Spec] = &[
    spec("x86_64", "x86", "unistd_64.h", "x86_64"),
    spec("x32", "x86", "unistd_x32.h", "x32"),
    spec("i386", "x86", "unistd_32.h", "i386"),
    spec("aarch64", "arm64", "unistd_64.h", "aarch64"),
    spec("arm", "arm", "unistd-eabi.h", "arm, armeb (EABI)"),
    spec("riscv64", "riscv", "unistd_64.h", "riscv64"),
    spec("riscv32", "riscv", "unistd_32.h", "riscv32"),
    spec("loongarch64", "loongarch", "unistd_64.h", "loongarch64"),
    spec("loongarch32", "loongarch", "unistd_32.h", "loongarch32"),
    spec("s390x", "s390", "unistd_64.h", "s390x"),
    spec("ppc", "powerpc", "unistd_32.h", "ppc"),
    spec("ppc64", "powerpc", "unistd_64.h", "ppc64, ppc64le"),
    spec("mips_o32", "mips", "unistd_o32.h", "mips, mipsel (o32)"),
    spec("mips_n64", "mips", "unistd_n64.h", "mips64, mipsel64 (n64)"),
    spec(
        "mips_n32",
        "mips",
        "unistd_n32.h",
        "mips64n32, mipsel64n32 (n32)",
    ),
    spec("parisc", "parisc", "unistd_32.h", "parisc"),
    spec("parisc64", "parisc", "unistd_64.h", "parisc64"),
    spec("m68k", "m68k", "unistd_32.h", "m68k"),
    spec("sh", "sh", "unistd_32.h", "sh, sheb"),
    spec("sparc", "sparc", "unistd_32.h", "sparc"),
    spec("sparc64", "sparc", "unistd_64.h", "sparc64"),
    spec("alpha", "alpha", "unistd_32.h", "alpha"),
    spec("arc", "arc", "unistd_32.h", "arc, arceb"),
];

const fn spec(
    module: &'static str,
    arch: &'static str,
    header: &'static str,
    abis: &'static str,
) -> Spec {
    Spec {
        module,
        arch,
        header,
        abis,
    }
}

/// The marker every generated file starts with.
const MARKER: &str = "// generated by cargo xtask syscalls from linux-libc-dev";

/// A table read from the headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// `(number, name)`, sorted by number; numbers and names are unique.
    pub syscalls: Vec<(u32, String)>,
    /// `(alias, canonical name)`, sorted by alias.
    pub aliases: Vec<(String, String)>,
}

// ---------------------------------------------------------------------------
// Preprocessing: comments, conditionals, includes, defines.

/// Removes `/* */` and `//` comments and joins lines continued with `\`.
pub fn strip_comments(text: &str) -> String {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while !rest.is_empty() {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                // A block comment becomes a space, keeping the line structure.
                let after = &rest[b + 2..];
                match after.find("*/") {
                    Some(e) => {
                        let newlines = after[..e].matches('\n').count();
                        out.push(' ');
                        out.extend(std::iter::repeat_n('\n', newlines));
                        rest = &after[e + 2..];
                    }
                    None => rest = "",
                }
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            _ => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

/// A line of preprocessor input, or a conditional group (its branches in order).
#[derive(Debug)]
enum Node {
    Line(String),
    Group(Vec<Vec<Node>>),
}

/// The directive of a line (`"define"`, `"ifdef"`, ...) and the rest of it.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    Some((&rest[..end], rest[end..].trim()))
}

/// Splits comment-free text into lines and conditional groups.
fn parse_conditionals(text: &str) -> Result<Vec<Node>, String> {
    let mut root = Vec::new();
    // Open groups; each holds its branches, the last one being filled.
    let mut open: Vec<Vec<Vec<Node>>> = Vec::new();
    for line in text.lines() {
        match directive(line).map(|d| d.0) {
            Some("if" | "ifdef" | "ifndef") => open.push(vec![Vec::new()]),
            Some("elif" | "else") => open
                .last_mut()
                .ok_or_else(|| format!("`{line}` outside a conditional"))?
                .push(Vec::new()),
            Some("endif") => {
                let group = open
                    .pop()
                    .ok_or_else(|| format!("`{line}` outside a conditional"))?;
                current(&mut root, &mut open).push(Node::Group(group));
            }
            _ if line.trim().is_empty() => {}
            _ => current(&mut root, &mut open).push(Node::Line(line.to_owned())),
        }
    }
    if open.is_empty() {
        Ok(root)
    } else {
        Err("unterminated conditional".to_owned())
    }
}

fn current<'a>(root: &'a mut Vec<Node>, open: &'a mut [Vec<Vec<Node>>]) -> &'a mut Vec<Node> {
    match open.last_mut().and_then(|g| g.last_mut()) {
        Some(branch) => branch,
        None => root,
    }
}

/// The header an `#include` line names (`asm/unistd_64.h`), if the line is one.
fn include_target(line: &str) -> Option<&str> {
    let (d, rest) = directive(line)?;
    if d != "include" {
        return None;
    }
    let inner = rest
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .or_else(|| rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')))?;
    Some(inner.trim())
}

/// Whether `nodes` include a header for which `wanted` holds.
fn includes(nodes: &[Node], wanted: &dyn Fn(&str) -> bool) -> bool {
    nodes.iter().any(|n| match n {
        Node::Line(l) => include_target(l).is_some_and(wanted),
        Node::Group(branches) => branches.iter().any(|b| includes(b, wanted)),
    })
}

/// Whether `header` is a syscall table header (`asm/unistd_64.h`, `asm/unistd-eabi.h`...).
fn is_unistd(header: &str) -> bool {
    header.starts_with("asm/unistd")
}

/// The lines rule 2 keeps, in order.
fn kept_lines<'a>(nodes: &'a [Node], target: &str, out: &mut Vec<&'a str>) {
    for node in nodes {
        match node {
            Node::Line(l) => out.push(l),
            Node::Group(branches) => {
                let this = |h: &str| h == target;
                match branches.iter().find(|b| includes(b, &this)) {
                    Some(chosen) => kept_lines(chosen, target, out),
                    None => branches
                        .iter()
                        .filter(|b| !includes(b, &is_unistd))
                        .for_each(|b| kept_lines(b, target, out)),
                }
            }
        }
    }
}

/// Every `#define` in effect once `wrapper` (the arch's `asm/unistd.h`) has included
/// the table header `table_file` (its file name in `asm/`, with text `table`), in
/// definition order: `(name, value)`.
pub fn collect_defines(
    wrapper: &str,
    table_file: &str,
    table: &str,
) -> Result<Vec<(String, String)>, String> {
    let target = format!("asm/{table_file}");
    let wrapper_nodes = parse_conditionals(&strip_comments(wrapper))?;
    let table_nodes = parse_conditionals(&strip_comments(table))?;
    if !includes(&wrapper_nodes, &|h: &str| h == target) {
        return Err(format!("the wrapper never includes <{target}>"));
    }
    let mut wrapper_lines = Vec::new();
    kept_lines(&wrapper_nodes, &target, &mut wrapper_lines);
    let mut table_lines = Vec::new();
    kept_lines(&table_nodes, &target, &mut table_lines);

    let mut defines: Vec<(String, String)> = Vec::new();
    for line in wrapper_lines {
        if include_target(line) == Some(target.as_str()) {
            for l in &table_lines {
                define_line(l, &mut defines)?;
            }
        } else {
            define_line(line, &mut defines)?;
        }
    }
    Ok(defines)
}

fn define_line(line: &str, defines: &mut Vec<(String, String)>) -> Result<(), String> {
    match directive(line) {
        Some(("define", rest)) => {
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            let (name, value) = rest.split_at(end);
            if name.is_empty() {
                return Err(format!("malformed `{line}`"));
            }
            if value.starts_with('(') {
                return Err(format!("function-like macro in `{line}`"));
            }
            let value = value.trim();
            match defines.iter().find(|(n, _)| n == name) {
                Some((_, old)) if old == value => {}
                Some((_, old)) => {
                    return Err(format!("{name} redefined: `{old}`, then `{value}`"));
                }
                None => defines.push((name.to_owned(), value.to_owned())),
            }
        }
        Some(("undef", rest)) => defines.retain(|(n, _)| n != rest),
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Evaluation.

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Num(u64),
    Ident(String),
    Plus,
    Open,
    Close,
}

fn tokenize(expr: &str) -> Result<Vec<Token>, String> {
    let bytes = expr.as_bytes();
    let word_end = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count()
    };
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        let (token, next) = match c {
            b' ' | b'\t' => (None, i + 1),
            b'+' => (Some(Token::Plus), i + 1),
            b'(' => (Some(Token::Open), i + 1),
            b')' => (Some(Token::Close), i + 1),
            b'0'..=b'9' => {
                let end = word_end(i);
                (Some(Token::Num(parse_int(&expr[i..end])?)), end)
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let end = word_end(i);
                (Some(Token::Ident(expr[i..end].to_owned())), end)
            }
            _ => return Err(format!("unsupported character {:?} in `{expr}`", c as char)),
        };
        tokens.extend(token);
        i = next;
    }
    Ok(tokens)
}

/// Parses a C integer literal: decimal, `0x` hex or `0` octal, with `u`/`l` suffixes.
fn parse_int(text: &str) -> Result<u64, String> {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let parsed = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse()
    };
    parsed.map_err(|e| format!("bad integer `{text}`: {e}"))
}

/// Evaluates a macro value made of integers, macro names (looked up in `env`),
/// `+` and parentheses.
pub fn eval(expr: &str, env: &HashMap<&str, &str>) -> Result<u64, String> {
    eval_nested(expr, env, 0)
}

fn eval_nested(expr: &str, env: &HashMap<&str, &str>, depth: usize) -> Result<u64, String> {
    if depth > 16 {
        return Err(format!("macros nest too deep at `{expr}`"));
    }
    let tokens = tokenize(expr)?;
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        env,
        depth,
        expr,
    };
    let value = parser.sum()?;
    if parser.pos == tokens.len() {
        Ok(value)
    } else {
        Err(format!("trailing tokens in `{expr}`"))
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    env: &'a HashMap<&'a str, &'a str>,
    depth: usize,
    expr: &'a str,
}

impl Parser<'_> {
    fn sum(&mut self) -> Result<u64, String> {
        let mut value = self.term()?;
        while self.tokens.get(self.pos) == Some(&Token::Plus) {
            self.pos += 1;
            let rhs = self.term()?;
            value = value
                .checked_add(rhs)
                .ok_or_else(|| format!("overflow in `{}`", self.expr))?;
        }
        Ok(value)
    }

    fn term(&mut self) -> Result<u64, String> {
        let token = self.tokens.get(self.pos);
        self.pos += 1;
        match token {
            Some(Token::Num(n)) => Ok(*n),
            Some(Token::Ident(name)) => match self.env.get(name.as_str()) {
                Some(value) => eval_nested(value, self.env, self.depth + 1)
                    .map_err(|e| format!("{e} (expanding {name} in `{}`)", self.expr)),
                None => Err(format!("undefined macro {name} in `{}`", self.expr)),
            },
            Some(Token::Open) => {
                let value = self.sum()?;
                if self.tokens.get(self.pos) == Some(&Token::Close) {
                    self.pos += 1;
                    Ok(value)
                } else {
                    Err(format!("missing `)` in `{}`", self.expr))
                }
            }
            _ => Err(format!("expected a value in `{}`", self.expr)),
        }
    }
}

// ---------------------------------------------------------------------------
// Tables.

/// The syscall a macro names (rule 5): `__NR_read` -> `read`, `__ARM_NR_set_tls` ->
/// `set_tls`; `None` for base, mask and count macros.
pub fn syscall_of_macro(name: &str) -> Option<&str> {
    let call = name
        .strip_prefix("__NR_")
        .or_else(|| name.strip_prefix("__ARM_NR_"))?;
    let well_formed = call.bytes().any(|b| b.is_ascii_lowercase())
        && call
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let count = call == "syscalls" || call.ends_with("_syscalls");
    (well_formed && !count).then_some(call)
}

/// The syscall an alias's value names (rule 6), if the value is just a syscall macro.
fn alias_of(value: &str) -> Option<&str> {
    let mut v = value.trim();
    while let Some(inner) = v.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        v = inner.trim();
    }
    syscall_of_macro(v)
}

/// Builds a table from the defines of [`collect_defines`] (rules 5 to 8).
pub fn build_table(defines: &[(String, String)]) -> Result<Table, String> {
    let env: HashMap<&str, &str> = defines
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut syscalls = Vec::new();
    let mut aliases = Vec::new();
    for (macro_name, value) in defines {
        let Some(call) = syscall_of_macro(macro_name) else {
            continue;
        };
        if let Some(target) = alias_of(value) {
            aliases.push((call.to_owned(), target.to_owned()));
            continue;
        }
        let nr = eval(value, &env).map_err(|e| format!("{macro_name}: {e}"))?;
        let nr = u32::try_from(nr).map_err(|_| format!("{macro_name} = {nr} exceeds u32"))?;
        syscalls.push((nr, call.to_owned()));
    }
    syscalls.sort();
    if let Some(w) = syscalls.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("{} and {} share number {}", w[0].1, w[1].1, w[0].0));
    }
    let mut names = BTreeSet::new();
    for (_, name) in &syscalls {
        if !names.insert(name.as_str()) {
            return Err(format!("{name} has two numbers"));
        }
    }
    for (alias, target) in &aliases {
        if names.contains(alias.as_str()) {
            return Err(format!("alias {alias} is also a syscall"));
        }
        if !names.contains(target.as_str()) {
            return Err(format!("alias {alias} names unknown syscall {target}"));
        }
    }
    aliases.sort();
    if let Some(w) = aliases.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!("alias {} defined twice", w[0].0));
    }
    Ok(Table { syscalls, aliases })
}

/// Reads one table from the headers under `uapi` (a [`HeaderDirs::uapi`]).
pub fn read_table(uapi: &Path, spec: &Spec) -> Result<Table, String> {
    let dir = uapi.join(spec.arch).join("asm");
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
    };
    let defines = collect_defines(&read("unistd.h")?, spec.header, &read(spec.header)?)
        .map_err(|e| format!("{}/asm/{}: {e}", spec.arch, spec.header))?;
    build_table(&defines).map_err(|e| format!("{}/asm/{}: {e}", spec.arch, spec.header))
}

// ---------------------------------------------------------------------------
// Rust output.

/// Renders a table as a Rust module (not yet rustfmt-formatted). The data is
/// stated once, as `BY_NR` and `ALIASES`; `seccompy-sys`'s `syscall_table!` macro
/// computes from it, at compile time, the table's compact pointer-free encoding
/// and its name index, so the module holds neither offsets nor hash values.
pub fn render(spec: &Spec, table: &Table, version: &str) -> String {
    let mut out = String::new();
    let w = &mut out;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "{MARKER} {version}; do not edit");
    let _ = writeln!(
        w,
        "//! The `{}` syscall table, from `{}/asm/{}`. ABIs: {}.\n",
        spec.module, spec.arch, spec.header, spec.abis
    );
    let _ = writeln!(w, "use super::table::{{SyscallTable, syscall_table}};\n");
    let _ = writeln!(w, "/// `(number, name)`, sorted by number.");
    let _ = writeln!(w, "pub(super) const BY_NR: &[(u32, &str)] = &[");
    for (nr, name) in &table.syscalls {
        if *nr >= 0x1_0000 {
            let _ = writeln!(w, "({}, {name:?}),", hex(*nr));
        } else {
            let _ = writeln!(w, "({nr}, {name:?}),");
        }
    }
    let _ = writeln!(w, "];\n");
    let _ = writeln!(w, "/// `(alias, name)`, sorted by alias.");
    let _ = writeln!(w, "pub(super) const ALIASES: &[(&str, &str)] = &[");
    for (alias, target) in &table.aliases {
        let _ = writeln!(w, "({alias:?}, {target:?}),");
    }
    let _ = writeln!(w, "];\n");
    let _ = writeln!(w, "/// The `{}` syscall table.", spec.module);
    let _ = writeln!(
        w,
        "pub(super) static TABLE: SyscallTable = syscall_table!({}, \"{}/asm/{}\", BY_NR, ALIASES);",
        spec.module, spec.arch, spec.header
    );
    out
}

/// `0x4000_0000`-style hex, grouped by 16 bits.
fn hex(n: u32) -> String {
    format!("{:#06x}_{:04x}", n >> 16, n & 0xffff)
}

/// Formats Rust source with the toolchain's rustfmt (edition 2024, the workspace's config).
pub fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024"])
        .current_dir(crate::workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt has no stdin")?;
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer panicked")?
        .map_err(|e| format!("writing to rustfmt: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

/// Where the generated modules live.
pub fn out_dir() -> PathBuf {
    crate::workspace_root().join("seccompy-sys/src/syscalls")
}

/// Every generated file, `(path, formatted text)`, from the headers of `dirs`
/// (package version `version`).
pub fn generate(dirs: &HeaderDirs, version: &str) -> Result<Vec<(PathBuf, String)>, String> {
    let dir = out_dir();
    TABLES
        .iter()
        .map(|spec| {
            let table = read_table(&dirs.uapi, spec)?;
            let text = rustfmt(&render(spec, &table, version))?;
            Ok((dir.join(format!("{}.rs", spec.module)), text))
        })
        .collect()
}

/// Generated files in [`out_dir`] that no table produces any more.
fn stale_files() -> Result<Vec<PathBuf>, String> {
    let dir = out_dir();
    let wanted: BTreeSet<String> = TABLES.iter().map(|s| format!("{}.rs", s.module)).collect();
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".rs")
            && !wanted.contains(name)
            && std::fs::read_to_string(&path).is_ok_and(|t| t.starts_with(MARKER))
        {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

/// `cargo xtask syscalls`: regenerates the tables, writing only files that changed.
pub fn run() -> Result<(), String> {
    let version = crate::headers::ensure()?;
    let files = generate(&HeaderDirs::downloaded(), &version)?;
    let mut changed = 0;
    for (path, text) in &files {
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
            println!("wrote {}", path.display());
            changed += 1;
        }
    }
    for path in stale_files()? {
        std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
        println!("removed stale {}", path.display());
    }
    check_mod_rs()?;
    println!(
        "{} syscall tables from linux-libc-dev {version}, {changed} changed",
        files.len()
    );
    let (text, coverage) = crate::signatures::regenerate(&HeaderDirs::downloaded())?;
    let path = crate::signatures::out_path();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    crate::signatures::print_coverage(&coverage);
    Ok(())
}

/// Regenerates the tables in memory and fails, naming the files and lines, on any
/// difference with the committed files; then cross-checks the reader with
/// [`check_plain_table`]. Used by `cargo xtask check-abi`.
pub fn check() -> Result<(), String> {
    let version = crate::headers::ensure()?;
    let dirs = HeaderDirs::downloaded();
    let mut problems = Vec::new();
    for (path, expected) in generate(&dirs, &version)? {
        match std::fs::read_to_string(&path) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => problems.push(format!(
                "{} differs from the headers:\n{}",
                path.display(),
                diff_summary(&actual, &expected)
            )),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    for path in stale_files()? {
        problems.push(format!("{} is generated by no table", path.display()));
    }
    if let Err(e) = check_mod_rs() {
        problems.push(e);
    }
    let (expected, coverage) = crate::signatures::regenerate(&dirs)?;
    let path = crate::signatures::out_path();
    match std::fs::read_to_string(&path) {
        Ok(actual) if actual == expected => crate::signatures::print_coverage(&coverage),
        Ok(actual) => problems.push(format!(
            "{} differs from the headers:\n{}",
            path.display(),
            diff_summary(&actual, &expected)
        )),
        Err(e) => problems.push(format!("{}: {e}", path.display())),
    }
    if !problems.is_empty() {
        problems.push("run `cargo xtask syscalls` to regenerate".to_owned());
    }
    if let Err(e) = check_plain_table(&dirs.uapi) {
        problems.push(e);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Every `#define __NR_<name> <decimal number>` line of `text`, as `(number, name)`
/// sorted: a reading of a plain table header that shares nothing with the
/// preprocessing of [`collect_defines`].
pub fn plain_numbers(text: &str) -> Vec<(u32, String)> {
    let mut numbers: Vec<(u32, String)> = text
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next()? == "#define").then_some(())?;
            let name = words.next()?.strip_prefix("__NR_")?;
            Some((words.next()?.parse().ok()?, name.to_owned()))
        })
        .collect();
    numbers.sort();
    numbers
}

/// Cross-checks the reader on the x86_64 table, whose header under `uapi` is
/// nothing but plain lines: the table read must be exactly its [`plain_numbers`],
/// with no alias.
pub fn check_plain_table(uapi: &Path) -> Result<(), String> {
    let spec = TABLES
        .iter()
        .find(|s| s.module == "x86_64")
        .ok_or("no x86_64 table")?;
    let path = uapi.join(spec.arch).join("asm").join(spec.header);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let plain: BTreeSet<(u32, String)> = plain_numbers(&text).into_iter().collect();
    let table = read_table(uapi, spec)?;
    let read: BTreeSet<(u32, String)> = table.syscalls.into_iter().collect();
    let only = |a: &BTreeSet<(u32, String)>, b: &BTreeSet<(u32, String)>| {
        a.difference(b)
            .map(|(nr, name)| format!("{name} = {nr}"))
            .collect::<Vec<_>>()
    };
    let (only_plain, only_read) = (only(&plain, &read), only(&read, &plain));
    if only_plain.is_empty() && only_read.is_empty() && table.aliases.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: the reader disagrees with the header's plain `#define __NR_` lines: \
             only in the lines {only_plain:?}, only in the table {only_read:?}, aliases {:?}",
            path.display(),
            table.aliases
        ))
    }
}

/// The syscalls module must declare every generated module, one a line in its
/// `modules! { ... }` invocation.
fn check_mod_rs() -> Result<(), String> {
    let path = out_dir().join("mod.rs");
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let declared = declared_modules(&text);
    let missing: Vec<&str> = TABLES
        .iter()
        .map(|s| s.module)
        .filter(|m| !declared.contains(m))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} lacks `mod` lines for {missing:?}",
            path.display()
        ))
    }
}

/// The modules `mod.rs` text declares: the first word of each line of its
/// `modules! {` block (`x86_64 "x86_64" "abi-x86_64";`: the module, the table's
/// `cfg` name and its feature).
fn declared_modules(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| l.trim() != "modules! {")
        .skip(1)
        .map(str::trim)
        .take_while(|l| *l != "}")
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The first few differing lines of two texts, as `line N: - old / + new`.
pub fn diff_summary(actual: &str, expected: &str) -> String {
    let a: Vec<&str> = actual.lines().collect();
    let e: Vec<&str> = expected.lines().collect();
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..a.len().max(e.len()) {
        let (x, y) = (a.get(i), e.get(i));
        if x != y {
            let _ = writeln!(
                out,
                "  line {}: committed `{}`, generated `{}`",
                i + 1,
                x.unwrap_or(&"<end of file>"),
                y.unwrap_or(&"<end of file>")
            );
            shown += 1;
            if shown == 5 {
                out.push_str("  ...\n");
                break;
            }
        }
    }
    if a.len() != e.len() {
        let _ = writeln!(out, "  {} lines committed, {} generated", a.len(), e.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &[(&'a str, &'a str)]) -> HashMap<&'a str, &'a str> {
        pairs.iter().copied().collect()
    }

    fn table(wrapper: &str, file: &str, header: &str) -> Result<Table, String> {
        build_table(&collect_defines(wrapper, file, header)?)
    }

    fn pairs(t: &Table) -> Vec<(u32, &str)> {
        t.syscalls.iter().map(|(n, s)| (*n, s.as_str())).collect()
    }

    #[test]
    fn integers() {
        assert_eq!(parse_int("0"), Ok(0));
        assert_eq!(parse_int("4000"), Ok(4000));
        assert_eq!(parse_int("0x40000000"), Ok(0x4000_0000));
        assert_eq!(parse_int("0X0f0000"), Ok(0xf_0000));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("12UL"), Ok(12));
        assert!(parse_int("09").is_err());
        assert!(parse_int("12abc").is_err());
    }

    #[test]
    fn evaluator() {
        let e = env(&[
            ("__X32_SYSCALL_BIT", "0x40000000"),
            ("__NR_SYSCALL_BASE", "0"),
            ("__ARM_NR_BASE", "(__NR_SYSCALL_BASE+0x0f0000)"),
            ("LOOP", "LOOP + 1"),
        ]);
        assert_eq!(eval("(__X32_SYSCALL_BIT + 512)", &e), Ok(0x4000_0200));
        assert_eq!(eval("(__ARM_NR_BASE+2)", &e), Ok(0xf_0002));
        assert_eq!(eval("((1) + (2 + 3))", &e), Ok(6));
        assert_eq!(eval("  7 ", &e), Ok(7));
        // Errors, never guesses.
        for bad in [
            "",
            "1 -",
            "1 - 2",
            "(1 + 2",
            "1 2",
            "MISSING + 1",
            "LOOP",
            "1 << 3",
        ] {
            assert!(eval(bad, &e).is_err(), "{bad:?} evaluated");
        }
        assert!(eval("0xffffffffffffffff + 1", &e).is_err());
    }

    #[test]
    fn comments_and_continuations() {
        let text = "a /* x\ny */ b // c\n#define X \\\n  1\n";
        let stripped = strip_comments(text);
        assert_eq!(
            stripped.lines().collect::<Vec<_>>(),
            ["a  ", " b ", "#define X    1"]
        );
    }

    #[test]
    fn macro_classification() {
        assert_eq!(syscall_of_macro("__NR_read"), Some("read"));
        assert_eq!(syscall_of_macro("__NR__llseek"), Some("_llseek"));
        assert_eq!(syscall_of_macro("__NR_prlimit64"), Some("prlimit64"));
        assert_eq!(syscall_of_macro("__ARM_NR_set_tls"), Some("set_tls"));
        for not in [
            "__NR_Linux",
            "__NR_Linux_syscalls",
            "__NR_syscalls",
            "__NR_compat_syscalls",
            "__NR_SYSCALL_BASE",
            "__NR_OABI_SYSCALL_BASE",
            "__ARM_NR_BASE",
            "__NR3264_fcntl",
            "__X32_SYSCALL_BIT",
            "__NR_",
            "__NR_123",
            "NR_read",
        ] {
            assert_eq!(syscall_of_macro(not), None, "{not}");
        }
    }

    #[test]
    fn x32_style_bases_come_from_the_wrapper() {
        let wrapper = "#ifndef _W\n#define _W\n/* comment */\n#define __X32_SYSCALL_BIT\t0x40000000\n\
                       # ifdef __i386__\n#  include <asm/unistd_32.h>\n# elif defined(__ILP32__)\n\
                       #  include <asm/unistd_x32.h>\n# else\n#  include <asm/unistd_64.h>\n# endif\n#endif\n";
        let x32 = "#ifndef _X\n#define _X\n#define __NR_read (__X32_SYSCALL_BIT + 0)\n\
                   #define __NR_rt_sigaction (__X32_SYSCALL_BIT + 512)\n#endif\n";
        let t = table(wrapper, "unistd_x32.h", x32).unwrap();
        assert_eq!(
            pairs(&t),
            [(0x4000_0000, "read"), (0x4000_0200, "rt_sigaction")]
        );
        // The wrapper must include the header asked for.
        assert!(table(wrapper, "unistd_n32.h", x32).is_err());
    }

    #[test]
    fn mips_base_is_the_one_of_the_branch_including_the_table() {
        let wrapper = "#if _MIPS_SIM == _MIPS_SIM_ABI32\n#define __NR_Linux\t4000\n#include <asm/unistd_o32.h>\n#endif\n\
                       #if _MIPS_SIM == _MIPS_SIM_ABI64\n#define __NR_Linux\t5000\n#include <asm/unistd_n64.h>\n#endif\n\
                       #if _MIPS_SIM == _MIPS_SIM_NABI32\n#define __NR_Linux\t6000\n#include <asm/unistd_n32.h>\n#endif\n";
        let body = "#define __NR_read (__NR_Linux + 0)\n#define __NR_write (__NR_Linux + 1)\n";
        for (file, base) in [
            ("unistd_o32.h", 4000),
            ("unistd_n64.h", 5000),
            ("unistd_n32.h", 6000),
        ] {
            let t = table(wrapper, file, body).unwrap();
            assert_eq!(pairs(&t), [(base, "read"), (base + 1, "write")], "{file}");
        }
    }

    #[test]
    fn arm_private_calls_and_aliases() {
        let wrapper = "#define __NR_OABI_SYSCALL_BASE\t0x900000\n#define __NR_SYSCALL_MASK\t0x0fffff\n\
                       #if defined(__thumb__) || defined(__ARM_EABI__)\n#define __NR_SYSCALL_BASE\t0\n\
                       #include <asm/unistd-eabi.h>\n#else\n#define __NR_SYSCALL_BASE\t__NR_OABI_SYSCALL_BASE\n\
                       #include <asm/unistd-oabi.h>\n#endif\n\
                       #define __NR_sync_file_range2\t\t__NR_arm_sync_file_range\n\
                       #define __ARM_NR_BASE\t\t\t(__NR_SYSCALL_BASE+0x0f0000)\n\
                       #define __ARM_NR_cacheflush\t\t(__ARM_NR_BASE+2)\n";
        let eabi = "#define __NR_exit (__NR_SYSCALL_BASE + 1)\n\
                    #define __NR_arm_sync_file_range (__NR_SYSCALL_BASE + 341)\n";
        let t = table(wrapper, "unistd-eabi.h", eabi).unwrap();
        assert_eq!(
            pairs(&t),
            [
                (1, "exit"),
                (341, "arm_sync_file_range"),
                (0xf_0002, "cacheflush")
            ]
        );
        assert_eq!(
            t.aliases,
            [(
                "sync_file_range2".to_owned(),
                "arm_sync_file_range".to_owned()
            )]
        );
        // The OABI branch, read the same way, gets the OABI base.
        let t = table(wrapper, "unistd-oabi.h", eabi).unwrap();
        assert_eq!(t.syscalls[0], (0x90_0001, "exit".to_owned()));
    }

    #[test]
    fn inconsistent_headers_are_errors() {
        let w = "#include <asm/t.h>\n";
        assert!(table(w, "t.h", "#define __NR_a 1\n#define __NR_b 1\n").is_err());
        assert!(table(w, "t.h", "#define __NR_a 1\n#define __NR_a 2\n").is_err());
        assert!(table(w, "t.h", "#define __NR_a __NR_missing\n").is_err());
        assert!(table(w, "t.h", "#define __NR_a UNDEFINED\n").is_err());
        assert!(table(w, "t.h", "#define __NR_a(x) 1\n").is_err());
        assert!(table(w, "t.h", "#define __NR_a 0x100000000\n").is_err());
        assert!(table(w, "t.h", "#if X\n#define __NR_a 1\n").is_err());
        assert!(table(w, "t.h", "#endif\n").is_err());
        // Non-syscall macros with odd values are ignored unless used.
        let t = table(
            w,
            "t.h",
            "#define __NR_syscalls 999\n#define __NR_a 1\n#define WEIRD x ? y\n",
        )
        .unwrap();
        assert_eq!(pairs(&t), [(1, "a")]);
        // The same definition twice is harmless.
        let t = table(w, "t.h", "#define __NR_a 1\n#define __NR_a 1\n").unwrap();
        assert_eq!(pairs(&t), [(1, "a")]);
    }

    /// `mod.rs` declares the generated modules in its `modules!` block, which
    /// the check reads (and nothing outside it).
    #[test]
    fn mod_rs_declares_every_table() {
        check_mod_rs().unwrap();
        let text = "mod x;\nmodules! {\n    x86_64 \"x86_64\" \"abi-x86_64\";\n    arm \"arm\" \"abi-arm\";\n}\nmod i386;\n";
        assert_eq!(declared_modules(text), ["x86_64", "arm"]);
        assert!(declared_modules("mod x86_64;\n").is_empty());
    }

    #[test]
    fn render_states_the_data_once() {
        let t = Table {
            syscalls: vec![
                (0, "read".into()),
                (1, "exit".into()),
                (0x4000_0000, "a".into()),
            ],
            aliases: vec![("quit".into(), "exit".into())],
        };
        let spec = &TABLES[0];
        let text = render(spec, &t, "1.2.3-4");
        assert!(text.starts_with(
            "// generated by cargo xtask syscalls from linux-libc-dev 1.2.3-4; do not edit\n"
        ));
        assert!(text.contains("(0x4000_0000, \"a\"),"));
        assert!(text.contains(
            "pub(super) const BY_NR: &[(u32, &str)] = &[\n(0, \"read\"),\n(1, \"exit\"),\n"
        ));
        assert!(
            text.contains(
                "pub(super) const ALIASES: &[(&str, &str)] = &[\n(\"quit\", \"exit\"),\n];"
            )
        );
        // The encoding and the index are computed from the data by the compiler,
        // not written out.
        assert!(text.contains(&format!(
            "pub(super) static TABLE: SyscallTable = syscall_table!({}, \"{}/asm/{}\", BY_NR, ALIASES);",
            spec.module, spec.arch, spec.header
        )));
    }

    fn fixture_table(uapi: &Path, module: &str) -> Result<Table, String> {
        let spec = TABLES.iter().find(|s| s.module == module).unwrap();
        read_table(uapi, spec)
    }

    /// The fixture's x86 tables (`xtask/fixtures/uapi/arch/x86/asm/`), read through
    /// their wrapper like the real ones.
    #[test]
    fn the_fixture_tables_read_exactly() {
        let uapi = HeaderDirs::fixtures().uapi;
        let x86_64 = fixture_table(&uapi, "x86_64").unwrap();
        let expected = [
            (0, "read"),
            (1, "write"),
            (39, "getpid"),
            (60, "exit"),
            (317, "seccomp"),
            (462, "mseal"),
        ];
        assert_eq!(pairs(&x86_64), expected);
        assert!(x86_64.aliases.is_empty());
        // The plain reading of the header agrees, and so does the cross-check.
        let text = std::fs::read_to_string(uapi.join("x86/asm/unistd_64.h")).unwrap();
        assert_eq!(plain_numbers(&text), x86_64.syscalls);
        check_plain_table(&uapi).unwrap();
        let i386 = fixture_table(&uapi, "i386").unwrap();
        assert_eq!(
            pairs(&i386),
            [
                (1, "exit"),
                (3, "read"),
                (4, "write"),
                (20, "getpid"),
                (354, "seccomp")
            ]
        );
        // x32's base comes from the wrapper.
        let x32 = fixture_table(&uapi, "x32").unwrap();
        assert_eq!(
            pairs(&x32),
            [
                (0x4000_0000, "read"),
                (0x4000_0001, "write"),
                (0x4000_0027, "getpid"),
                (0x4000_013d, "seccomp"),
                (0x4000_0200, "rt_sigaction")
            ]
        );
        // A table whose directory the fixtures lack is an error naming the file.
        let err = fixture_table(&uapi, "aarch64").unwrap_err();
        assert!(err.contains("arm64/asm/unistd.h"), "{err}");
    }

    /// An edit of a fixture file: `(file name, text)` to the new text, `None` to remove it.
    type Edit = fn(&str, String) -> Option<String>;

    /// A copy of the fixture's `x86/asm/` with `edit` applied to each file; returns
    /// the copy's uapi directory.
    fn altered_fixtures(label: &str, edit: Edit) -> PathBuf {
        let uapi = crate::scratch_dir(label);
        let from = HeaderDirs::fixtures().uapi.join("x86/asm");
        let to = uapi.join("x86/asm");
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            if let Some(text) = edit(&name, text) {
                std::fs::write(to.join(&name), text).unwrap();
            }
        }
        uapi
    }

    #[test]
    fn inconsistent_fixture_headers_are_errors() {
        let cases: [(&str, &str, Edit, &str); 4] = [
            (
                "x86_64",
                "two-numbers",
                |name, text| {
                    Some(if name == "unistd_64.h" {
                        text.replace("#endif", "#define __NR_getppid 39\n#endif")
                    } else {
                        text
                    })
                },
                "getpid and getppid share number 39",
            ),
            (
                "x86_64",
                "no-table",
                |name, text| (name != "unistd_64.h").then_some(text),
                "unistd_64.h: No such file",
            ),
            (
                "x86_64",
                "not-included",
                |name, text| {
                    Some(if name == "unistd.h" {
                        text.replace("# include <asm/unistd_64.h>", "")
                    } else {
                        text
                    })
                },
                "never includes <asm/unistd_64.h>",
            ),
            (
                "x32",
                "no-base",
                |name, text| {
                    Some(if name == "unistd.h" {
                        text.replace("#define __X32_SYSCALL_BIT", "#define __X32_OTHER_BIT")
                    } else {
                        text
                    })
                },
                "undefined macro __X32_SYSCALL_BIT",
            ),
        ];
        for (module, label, edit, expected) in cases {
            let uapi = altered_fixtures(label, edit);
            let err = fixture_table(&uapi, module).unwrap_err();
            assert!(err.contains(expected), "{label}: {err}");
            assert!(err.contains("x86/asm/unistd"), "{label}: {err}");
            std::fs::remove_dir_all(&uapi).unwrap();
        }
    }

    /// A wrapper that hides a syscall from the reader (here by `#undef`) reads fine,
    /// but the cross-check of `check-abi` names the syscall.
    #[test]
    fn the_plain_cross_check_names_what_the_reader_lost() {
        let uapi = altered_fixtures("undef", |name, text| {
            Some(if name == "unistd.h" {
                text.replace(
                    "# include <asm/unistd_64.h>",
                    "# include <asm/unistd_64.h>\n#undef __NR_mseal",
                )
            } else {
                text
            })
        });
        let table = fixture_table(&uapi, "x86_64").unwrap();
        assert!(!table.syscalls.iter().any(|(_, n)| n == "mseal"));
        let err = check_plain_table(&uapi).unwrap_err();
        assert!(
            err.contains("only in the lines [\"mseal = 462\"], only in the table []"),
            "{err}"
        );
        std::fs::remove_dir_all(&uapi).unwrap();
    }
}
