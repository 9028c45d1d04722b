//! Output formats for a program: raw bytes, a C array or a Rust constant, the
//! last two commented with the disassembly of each instruction.

use std::fmt::Write as _;

use seccompy_bpf::Insn;
use seccompy_bpf::disasm::{DisasmOptions, disassemble_with};
use seccompy_sys::syscalls::Abi;

use crate::error::{Error, Result};

/// How a program is written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Little-endian 8-byte `struct sock_filter` records.
    Raw,
    /// A C array of `BPF_STMT`/`BPF_JUMP` and a `struct sock_fprog`.
    C,
    /// A Rust `[seccompy_sys::sock_filter; N]` constant.
    Rust,
}

/// The `--format` and `--name` options.
pub const FORMAT_OPTIONS: &[crate::spec::Opt] = &[
    crate::spec::Opt::value(
        "format",
        "FORMAT",
        crate::spec::Complete::Words(&["raw", "c", "rust"]),
        "raw (default): 8-byte little-endian sock_filter records;
         c: a `struct sock_filter NAME[]` of BPF_STMT/BPF_JUMP and
         a `struct sock_fprog NAME_prog`, for <linux/filter.h>;
         rust: a `const NAME: [seccompy_sys::sock_filter; N]`;
         c and rust comment each instruction with its disassembly",
    ),
    crate::spec::Opt::value(
        "name",
        "NAME",
        crate::spec::Complete::Nothing,
        "the identifier for c and rust (default: filter, FILTER)",
    ),
    crate::spec::Opt::value(
        "output",
        "OUT",
        crate::spec::Complete::File,
        "the file to write (default: standard output, not a
         terminal for raw; - is standard output)",
    )
    .short('o'),
];

impl Format {
    /// Parses `raw`, `c` or `rust`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "raw" | "bpf" => Ok(Format::Raw),
            "c" => Ok(Format::C),
            "rust" | "rs" => Ok(Format::Rust),
            _ => Err(Error::new(format!(
                "unknown format '{s}' (formats: raw, c, rust)"
            ))),
        }
    }

    /// Whether the output is binary (not for a terminal).
    pub fn is_binary(self) -> bool {
        self == Format::Raw
    }
}

/// Checks an identifier for the C and Rust formats.
pub fn parse_name(s: &str) -> Result<String> {
    let mut chars = s.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && s != "_" {
        Ok(s.to_string())
    } else {
        Err(Error::new(format!(
            "'{s}' is not an identifier (letters, digits and _, not starting with a digit)"
        )))
    }
}

/// Writes `prog` in `format`. `about` says where the program comes from (for
/// the comment at the top), `abi` names syscalls in the comments, `name` is the
/// identifier for C and Rust.
pub fn render(format: Format, prog: &[Insn], abi: Abi, about: &str, name: Option<&str>) -> Vec<u8> {
    match format {
        Format::Raw => seccompy_bpf::Program::new(prog.to_vec()).to_bytes(),
        Format::C => c(prog, abi, about, name.unwrap_or("filter")).into_bytes(),
        Format::Rust => rust(prog, abi, about, name.unwrap_or("FILTER")).into_bytes(),
    }
}

/// One instruction's disassembly, and the labels just before it.
#[derive(Default)]
pub struct Notes {
    /// The labels on the lines before it.
    pub labels: Vec<String>,
    /// Its text, without its index.
    pub text: String,
}

/// The disassembly of each instruction, from the disassembler's text (one line
/// per instruction starting with its index; labels on lines of their own).
pub fn notes(prog: &[Insn], abi: Abi) -> Vec<Notes> {
    let mut options = DisasmOptions::new(abi);
    options.header = false;
    let text = disassemble_with(prog, &options);
    let mut out: Vec<Notes> = Vec::new();
    out.resize_with(prog.len(), Notes::default);
    let mut labels = Vec::new();
    let mut next = 0;
    for line in text.lines() {
        let line = line.trim();
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && line[digits..].starts_with(char::is_whitespace) {
            if let (Ok(pc), Some(n)) = (line[..digits].parse::<usize>(), out.get_mut(next))
                && pc == next
            {
                n.text = line[digits..].trim().to_string();
                n.labels = std::mem::take(&mut labels);
                next += 1;
            }
        } else if let Some(label) = line.strip_suffix(':') {
            labels.push(label.to_string());
        }
    }
    out
}

/// Text safe inside a C `/* */` or a Rust `//` comment.
fn comment(s: &str) -> String {
    s.replace("*/", "* /").replace(['\n', '\r'], " ")
}

fn c(prog: &[Insn], abi: Abi, about: &str, name: &str) -> String {
    let notes = notes(prog, abi);
    let width = prog.len().saturating_sub(1).to_string().len().max(4);
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "/* {}: {}, {} instructions.\n * Load it with prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) and\n * seccomp(SECCOMP_SET_MODE_FILTER, 0, &{name}_prog). */",
        crate::args::VERSION,
        comment(about),
        prog.len()
    );
    let _ = writeln!(s, "#include <linux/filter.h>\n");
    let _ = writeln!(s, "static struct sock_filter {name}[] = {{");
    for (pc, (insn, n)) in prog.iter().zip(&notes).enumerate() {
        for label in &n.labels {
            let _ = writeln!(s, "\t/* {}: */", comment(label));
        }
        let body = seccompy_bpf::op::c_macro(insn);
        let _ = write!(s, "\t/* {pc:0width$} */ {body},");
        if !n.text.is_empty() {
            let _ = write!(s, " /* {} */", comment(&n.text));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "}};\n");
    let _ = writeln!(
        s,
        "static struct sock_fprog {name}_prog = {{\n\t.len = sizeof({name}) / sizeof({name}[0]),\n\t.filter = {name},\n}};"
    );
    s
}

fn rust(prog: &[Insn], abi: Abi, about: &str, name: &str) -> String {
    let notes = notes(prog, abi);
    let width = prog.len().saturating_sub(1).to_string().len().max(4);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// {}: {}, {} instructions.",
        crate::args::VERSION,
        comment(about),
        prog.len()
    );
    let _ = writeln!(
        s,
        "/// The seccomp filter ({}), as `struct sock_filter` records.",
        comment(about)
    );
    let _ = writeln!(
        s,
        "pub const {name}: [seccompy_sys::sock_filter; {}] = [",
        prog.len()
    );
    for (pc, (insn, n)) in prog.iter().zip(&notes).enumerate() {
        for label in &n.labels {
            let _ = writeln!(s, "    // {}:", comment(label));
        }
        let _ = write!(
            s,
            "    /* {pc:0width$} */ seccompy_sys::sock_filter {{ code: {:#06x}, jt: {}, jf: {}, k: {:#x} }},",
            insn.code, insn.jt, insn.jf, insn.k
        );
        if !n.text.is_empty() {
            let _ = write!(s, " // {}", comment(&n.text));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "];");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccompy_sys::*;

    #[test]
    fn identifiers_and_formats() {
        assert_eq!(parse_name("my_filter2").unwrap(), "my_filter2");
        for bad in ["", "_", "2x", "a-b", "é"] {
            assert!(parse_name(bad).is_err(), "{bad}");
        }
        assert_eq!(Format::parse("c").unwrap(), Format::C);
        assert!(Format::parse("json").is_err());
    }

    #[test]
    fn notes_follow_the_disassembly() {
        let prog = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        let n = notes(&prog, Abi::X86_64);
        assert_eq!(n.len(), 4);
        assert_eq!(n[0].text, "A = nr");
        assert!(n[1].text.contains("getpid"), "{}", n[1].text);
        assert_eq!(n[2].text, "return ALLOW");
        assert_eq!(n[3].text, "return ERRNO(1)");
        assert!(n[0].labels.is_empty());
        assert_eq!(n[3].labels.len(), 1);
        assert_eq!(comment("a */ b\nc"), "a * / b c");
    }
}
