//! A text assembler for classic BPF seccomp filters: the inverse of
//! [`disasm`](crate::disasm).
//!
//! [`assemble`] turns the text that [`disassemble`](crate::disasm::disassemble)
//! writes back into the very same instructions, and accepts hand-written programs
//! in the same syntax. Every instruction is encoded exactly as written: there is
//! no optimisation and no jump relaxation (a conditional jump farther than 255
//! instructions is an error; use `goto` to a label as a trampoline).
//!
//! # Syntax
//!
//! One instruction per line. A line may start with an instruction index (digits,
//! as the disassembler prints them), which is ignored, then labels (`name:`), then
//! an instruction. `;` and `#` start a comment that runs to the end of the line.
//!
//! ```text
//! ; x86_64 only; read and write allowed, openat only with flags & 3 == 0
//! .abi x86_64
//! 0000  A = arch
//! 0001  if A != AUDIT_ARCH_X86_64 goto kill_process
//! 0002  A = nr
//! 0003  if A >= X32_SYSCALL_BIT goto kill_process
//! 0004  if A == read goto allow
//! 0005  if A == write goto allow
//! 0006  if A != openat goto errno_1
//! 0007  A = args[2].lo
//! 0008  if A & 0x3 goto errno_1
//! allow:
//! 0009  return ALLOW
//! errno_1:
//! 0010  return ERRNO(1)
//! kill_process:
//! 0011  return KILL_PROCESS
//! ```
//!
//! | text | instruction |
//! |---|---|
//! | `.abi NAME` | directive: the ABI for syscall names and argument words |
//! | `A = nr`, `A = arch` | `LD W ABS` of offset 0, 4 |
//! | `A = args[i].lo`, `A = args[i].hi` | `LD W ABS` of argument `i`'s low/high word (offsets depend on the ABI's byte order) |
//! | `A = ip.lo`, `A = ip.hi` | `LD W ABS` of the instruction pointer's words |
//! | `A = data[k]` | `LD W ABS` of any offset `k` |
//! | `A = len`, `X = len` | `LD W LEN`, `LDX W LEN` (64 for seccomp) |
//! | `A = k`, `X = k` | `LD IMM`, `LDX IMM` |
//! | `A = M[k]`, `X = M[k]`, `M[k] = A`, `M[k] = X` | `LD MEM`, `LDX MEM`, `ST`, `STX` |
//! | `X = A`, `A = X` | `TAX`, `TXA` |
//! | `A += k` (`-=`, `*=`, `/=`, `%=`, `&=`, `\|=`, `^=`, `<<=`, `>>=`), `A += X` | `ALU` with `K` or `X` |
//! | `A = -A` | `ALU NEG` |
//! | `goto L` | `JA` |
//! | `if A == k goto L` (`!=`, `>`, `<=`, `>=`, `<`) | `JEQ`/`JGT`/`JGE`; a negated test jumps on false |
//! | `if A & k goto L`, `if !(A & k) goto L` | `JSET`, on true / on false |
//! | `if A == k goto L1 else L2` | both offsets; `k` may be `X` in every test |
//! | `return ACTION`, `return k`, `return A` | `RET K`, `RET A` |
//! | `.insn CODE, JT, JF, K` | any instruction, raw |
//!
//! A jump target is a label defined anywhere after the jump, or `+N` for a raw
//! offset `N` (the disassembler prints `+N` only for targets outside the program).
//! `if A == 3 goto L` has a false offset of 0: it falls through.
//!
//! Constants (`k`) are decimal, `0x` hexadecimal, `0b` binary or `0o` octal
//! numbers, a negative decimal (`-1` is `0xffffffff`), or names:
//! - an action: `ALLOW`, `LOG`, `KILL_PROCESS`, `KILL_THREAD` (or `KILL`),
//!   `USER_NOTIF`, `ERRNO(n)`, `TRAP(n)`, `TRACE(n)`, optionally prefixed with
//!   `SECCOMP_RET_`;
//! - an audit arch: `AUDIT_ARCH_X86_64`, ... (every name of
//!   [`AUDIT_ARCHES`]), and `X32_SYSCALL_BIT`;
//! - a syscall name of the ABI (`read`), or of another ABI with `@`
//!   (`read@i386`, `read@x32`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

use crate::action::Action;
use crate::emulate::ByteOrder;
use crate::excerpt::{Excerpt, MAX_CHARS, bounded};
use crate::program::{Insn, Program};

/// An error in the text, with its place (1-based line and column, in characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// What is wrong in the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A character that starts no token.
    #[error("unexpected character {0:?}")]
    BadChar(char),
    /// Something else was expected here.
    #[error("expected {expected}, found {}", bounded(.found, MAX_CHARS))]
    Expected {
        /// What would have fit.
        expected: &'static str,
        /// What is there.
        found: String,
    },
    /// A number that does not parse or does not fit in its field.
    #[error("{} is not a number that fits in {bits} bits", Excerpt(.text))]
    BadNumber {
        /// The text of the number.
        text: String,
        /// The width of the field.
        bits: u32,
    },
    /// A name that is neither an action, an audit arch nor a syscall of the ABI.
    #[error("unknown name {}", Excerpt(.0))]
    UnknownName(String),
    /// An ABI name (after `.abi` or `@`) that is not known.
    #[error("unknown ABI {}", Excerpt(.0))]
    UnknownAbi(String),
    /// A syscall name of an ABI whose syscall table is not compiled in: the
    /// error names the feature that adds it.
    #[error(transparent)]
    MissingTable(seccompy_sys::syscalls::MissingTable),
    /// A syscall name or argument word was used before any `.abi` directive and
    /// without an ABI in the options.
    #[error("{0} needs an ABI: add a `.abi NAME` line")]
    NeedAbi(String),
    /// An `AUDIT_ARCH_*` name that is not one of [`AUDIT_ARCHES`].
    #[error("unknown architecture {}", Excerpt(.0))]
    UnknownArch(String),
    /// A `SECCOMP_RET_*` name that is not an action.
    #[error("unknown action {}", Excerpt(.0))]
    UnknownAction(String),
    /// An argument index of 6 or more.
    #[error("there are 6 syscall arguments, args[{0}] does not exist")]
    BadArgIndex(u32),
    /// A label defined twice.
    #[error("label {} is defined twice", Excerpt(.0))]
    DuplicateLabel(String),
    /// A jump to a label that is never defined.
    #[error("label {} is not defined", Excerpt(.0))]
    UnknownLabel(String),
    /// A jump to a label defined at or before the jump.
    #[error("label {} is not after the jump: classic BPF jumps only forward", Excerpt(.0))]
    BackwardJump(String),
    /// A label after the last instruction.
    #[error("label {} is after the last instruction", Excerpt(.0))]
    LabelPastEnd(String),
    /// A conditional jump farther than 255 instructions.
    #[error(
        "label {} is {distance} instructions away, more than a conditional jump's 255",
        Excerpt(.label)
    )]
    JumpTooFar {
        /// The label.
        label: String,
        /// The offset it would need.
        distance: usize,
    },
}

/// Options for [`assemble_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsmOptions {
    /// The ABI for syscall names and argument words until a `.abi` directive.
    pub abi: Option<Abi>,
}

/// Assembles `text` (see the module documentation for the syntax).
pub fn assemble(text: &str) -> Result<Program, ParseError> {
    assemble_with(text, &AsmOptions::default())
}

/// Assembles `text`, with an ABI to start from.
pub fn assemble_with(text: &str, options: &AsmOptions) -> Result<Program, ParseError> {
    let mut p = Parser {
        abi: options.abi,
        insns: Vec::new(),
        labels: Vec::new(),
        fixups: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        let toks = lex(line, i + 1)?;
        p.line(&toks, i + 1, line.chars().count() + 1)?;
    }
    p.resolve()
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Num(&'a str),
    Punct(&'static str),
}

#[derive(Clone, Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    col: usize,
}

const PUNCTS: &[&str] = &[
    "<<=", ">>=", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "|=", "&=", "^=",
    "%=", "=", "<", ">", "&", "!", "(", ")", "[", "]", ",", ":", "+", "-", "@", ".",
];

fn lex(line: &str, line_no: usize) -> Result<Vec<Token<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut col = 1;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == ';' || c == '#' {
            break;
        }
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
            col += 1;
            continue;
        }
        let (tok, len) = if c.is_ascii_alphabetic() || c == '_' {
            let n = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            (Tok::Ident(&rest[..n]), n)
        } else if c.is_ascii_digit() {
            let n = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            (Tok::Num(&rest[..n]), n)
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            (Tok::Punct(p), p.len())
        } else {
            return Err(ParseError {
                line: line_no,
                column: col,
                kind: ParseErrorKind::BadChar(c),
            });
        };
        out.push(Token { tok, col });
        // Tokens are ASCII, so bytes and characters agree.
        col += len;
        rest = &rest[len..];
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Parser

/// A jump offset to fill in once labels are known.
struct Fixup {
    insn: usize,
    field: Field,
    label: String,
    line: usize,
    column: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Jt,
    Jf,
    K,
}

struct Parser {
    abi: Option<Abi>,
    insns: Vec<Insn>,
    /// Label name, instruction index, and where it was defined.
    labels: Vec<(String, usize, usize, usize)>,
    fixups: Vec<Fixup>,
}

/// The tokens of one line, with a cursor.
struct Cursor<'t, 'a> {
    toks: &'t [Token<'a>],
    pos: usize,
    line: usize,
    end_col: usize,
}

impl<'a> Cursor<'_, 'a> {
    fn peek(&self) -> Option<&Tok<'a>> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok<'a>> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |t| t.col)
    }
    fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: self.line,
            column: self.col(),
            kind,
        }
    }
    fn err_at(&self, column: usize, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: self.line,
            column,
            kind,
        }
    }
    fn expected(&self, what: &'static str) -> ParseError {
        let found = match self.peek() {
            None => "end of line".to_string(),
            Some(Tok::Ident(s) | Tok::Num(s)) => alloc::format!("{s:?}"),
            Some(Tok::Punct(p)) => alloc::format!("{p:?}"),
        };
        self.err(ParseErrorKind::Expected {
            expected: what,
            found,
        })
    }
    fn bump(&mut self) -> Option<Tok<'a>> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }
    fn eat_punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_punct(&mut self, p: &'static str) -> Result<(), ParseError> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            Err(self.expected(p))
        }
    }
    fn eat_ident(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if *w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_ident(&mut self, word: &'static str) -> Result<(), ParseError> {
        if self.eat_ident(word) {
            Ok(())
        } else {
            Err(self.expected(word))
        }
    }
    fn ident(&mut self, what: &'static str) -> Result<&'a str, ParseError> {
        match self.peek() {
            Some(Tok::Ident(w)) => {
                let w = *w;
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.expected(what)),
        }
    }
    fn end(&self) -> Result<(), ParseError> {
        if self.peek().is_none() {
            Ok(())
        } else {
            Err(self.expected("end of line"))
        }
    }
}

/// Parses a number token as an unsigned value of `bits` bits.
fn number(text: &str, bits: u32) -> Option<u64> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let (digits, radix) = match t.get(..2) {
        Some("0x" | "0X") => (&t[2..], 16),
        Some("0b" | "0B") => (&t[2..], 2),
        Some("0o" | "0O") => (&t[2..], 8),
        _ => (&t[..], 10),
    };
    if digits.is_empty() {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    (v >> bits == 0).then_some(v)
}

/// The ALU operators, by their compound-assignment spelling.
pub(crate) const ALU_OPS: &[(u16, &str)] = &[
    (BPF_ADD, "+="),
    (BPF_SUB, "-="),
    (BPF_MUL, "*="),
    (BPF_DIV, "/="),
    (BPF_OR, "|="),
    (BPF_AND, "&="),
    (BPF_LSH, "<<="),
    (BPF_RSH, ">>="),
    (BPF_MOD, "%="),
    (BPF_XOR, "^="),
];

/// The comparison operators: spelling, jump op, and whether the test is negated
/// (jumps on false).
const CMP_OPS: &[(&str, u16, bool)] = &[
    ("==", BPF_JEQ, false),
    ("!=", BPF_JEQ, true),
    (">", BPF_JGT, false),
    ("<=", BPF_JGT, true),
    (">=", BPF_JGE, false),
    ("<", BPF_JGE, true),
];

/// The action names and whether they carry data.
const ACTIONS: &[(&str, Option<u32>)] = &[
    ("KILL_PROCESS", Some(SECCOMP_RET_KILL_PROCESS)),
    ("KILL_THREAD", Some(SECCOMP_RET_KILL_THREAD)),
    ("KILL", Some(SECCOMP_RET_KILL_THREAD)),
    ("USER_NOTIF", Some(SECCOMP_RET_USER_NOTIF)),
    ("LOG", Some(SECCOMP_RET_LOG)),
    ("ALLOW", Some(SECCOMP_RET_ALLOW)),
    ("TRAP", None),
    ("ERRNO", None),
    ("TRACE", None),
];

/// The base value of an action that carries data.
fn action_base(name: &str) -> Option<u32> {
    match name {
        "TRAP" => Some(SECCOMP_RET_TRAP),
        "ERRNO" => Some(SECCOMP_RET_ERRNO),
        "TRACE" => Some(SECCOMP_RET_TRACE),
        _ => None,
    }
}

/// Where a jump goes: a label, or a raw offset.
enum Target {
    Label(String, usize),
    Offset(u32),
}

enum Src {
    K(u32),
    X,
}

impl Parser {
    fn line(&mut self, toks: &[Token<'_>], line: usize, end_col: usize) -> Result<(), ParseError> {
        let mut c = Cursor {
            toks,
            pos: 0,
            line,
            end_col,
        };
        // An optional index, then labels.
        if matches!(c.peek(), Some(Tok::Num(_))) {
            c.bump();
        }
        while let (Some(Tok::Ident(name)), Some(Tok::Punct(":"))) = (c.peek(), c.peek_at(1)) {
            let name = (*name).to_string();
            let col = c.col();
            if self.labels.iter().any(|l| l.0 == name) {
                return Err(c.err(ParseErrorKind::DuplicateLabel(name)));
            }
            self.labels.push((name, self.insns.len(), line, col));
            c.pos += 2;
        }
        if c.peek().is_none() {
            return Ok(());
        }
        self.statement(&mut c)?;
        c.end()
    }

    fn statement(&mut self, c: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        if c.eat_punct(".") {
            let col = c.col();
            return match c.ident("a directive")? {
                "abi" => {
                    let col = c.col();
                    let name = c.ident("an ABI name")?;
                    self.abi =
                        Some(Abi::from_name(name).ok_or_else(|| {
                            c.err_at(col, ParseErrorKind::UnknownAbi(name.into()))
                        })?);
                    Ok(())
                }
                "insn" => {
                    let code = self.value(c, 16)?;
                    c.expect_punct(",")?;
                    let jt = self.value(c, 8)?;
                    c.expect_punct(",")?;
                    let jf = self.value(c, 8)?;
                    c.expect_punct(",")?;
                    let k = self.value(c, 32)?;
                    self.emit(code as u16, jt as u8, jf as u8, k);
                    Ok(())
                }
                other => Err(c.err_at(
                    col,
                    ParseErrorKind::Expected {
                        expected: "`.abi` or `.insn`",
                        found: alloc::format!("{other:?}"),
                    },
                )),
            };
        }
        let col = c.col();
        match c.ident("an instruction")? {
            "A" => self.assign_a(c),
            "X" => {
                c.expect_punct("=")?;
                let code_k = if c.eat_ident("len") {
                    (BPF_LDX | BPF_W | BPF_LEN, 0)
                } else if c.eat_ident("A") {
                    (BPF_MISC | BPF_TAX, 0)
                } else if matches!(c.peek(), Some(Tok::Ident("M"))) {
                    c.bump();
                    (BPF_LDX | BPF_MEM, self.slot(c)?)
                } else {
                    (BPF_LDX | BPF_IMM, self.value(c, 32)?)
                };
                self.emit(code_k.0, 0, 0, code_k.1);
                Ok(())
            }
            "M" => {
                let k = self.slot(c)?;
                c.expect_punct("=")?;
                let code = if c.eat_ident("A") {
                    BPF_ST
                } else if c.eat_ident("X") {
                    BPF_STX
                } else {
                    return Err(c.expected("A or X"));
                };
                self.emit(code, 0, 0, k);
                Ok(())
            }
            "return" => {
                if c.eat_ident("A") {
                    self.emit(BPF_RET | BPF_A, 0, 0, 0);
                } else {
                    let k = self.value(c, 32)?;
                    self.emit(BPF_RET | BPF_K, 0, 0, k);
                }
                Ok(())
            }
            "goto" => {
                let t = self.target(c)?;
                self.emit(BPF_JMP | BPF_JA, 0, 0, 0);
                self.set_target(t, Field::K, c.line);
                Ok(())
            }
            "if" => self.conditional(c),
            other => Err(c.err_at(
                col,
                ParseErrorKind::Expected {
                    expected: "an instruction (A, X, M, goto, if, return, .insn, .abi)",
                    found: alloc::format!("{other:?}"),
                },
            )),
        }
    }

    fn assign_a(&mut self, c: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        // Compound assignments.
        if let Some(Tok::Punct(p)) = c.peek()
            && let Some(&(op, _)) = ALU_OPS.iter().find(|(_, s)| s == p)
        {
            c.bump();
            let (src, k) = match self.source(c)? {
                Src::X => (BPF_X, 0),
                Src::K(k) => (BPF_K, k),
            };
            self.emit(BPF_ALU | op | src, 0, 0, k);
            return Ok(());
        }
        c.expect_punct("=")?;
        let abs = |k: u32| (BPF_LD | BPF_W | BPF_ABS, k);
        let (code, k) = match (c.peek(), c.peek_at(1)) {
            (Some(Tok::Ident("nr")), _) => {
                c.bump();
                abs(0)
            }
            (Some(Tok::Ident("arch")), _) => {
                c.bump();
                abs(4)
            }
            (Some(Tok::Ident("len")), _) => {
                c.bump();
                (BPF_LD | BPF_W | BPF_LEN, 0)
            }
            (Some(Tok::Ident("X")), _) => {
                c.bump();
                (BPF_MISC | BPF_TXA, 0)
            }
            (Some(Tok::Ident("M")), _) => {
                c.bump();
                (BPF_LD | BPF_MEM, self.slot(c)?)
            }
            (Some(Tok::Punct("-")), Some(Tok::Ident("A"))) => {
                c.pos += 2;
                (BPF_ALU | BPF_NEG, 0)
            }
            (Some(Tok::Ident("data")), _) => {
                c.bump();
                c.expect_punct("[")?;
                let k = self.value(c, 32)?;
                c.expect_punct("]")?;
                abs(k)
            }
            (Some(Tok::Ident("ip")), _) => {
                let col = c.col();
                c.bump();
                let order = self.order(c, col, "ip")?;
                abs(8 + self.word_half(c, order)?)
            }
            (Some(Tok::Ident("args")), _) => {
                let col = c.col();
                c.bump();
                c.expect_punct("[")?;
                let icol = c.col();
                let i = self.value(c, 32)?;
                if i >= 6 {
                    return Err(c.err_at(icol, ParseErrorKind::BadArgIndex(i)));
                }
                c.expect_punct("]")?;
                let order = self.order(c, col, "args")?;
                abs(16 + 8 * i + self.word_half(c, order)?)
            }
            _ => (BPF_LD | BPF_IMM, self.value(c, 32)?),
        };
        self.emit(code, 0, 0, k);
        Ok(())
    }

    /// The byte order of the current ABI, for argument words.
    fn order(&self, c: &Cursor<'_, '_>, col: usize, what: &str) -> Result<ByteOrder, ParseError> {
        self.abi
            .map(ByteOrder::of)
            .ok_or_else(|| c.err_at(col, ParseErrorKind::NeedAbi(what.into())))
    }

    /// `.lo` or `.hi`: the offset of that word within a 64-bit field.
    fn word_half(&self, c: &mut Cursor<'_, '_>, order: ByteOrder) -> Result<u32, ParseError> {
        c.expect_punct(".")?;
        let low = match c.ident("lo or hi")? {
            "lo" => true,
            "hi" => false,
            _ => {
                c.pos -= 1;
                return Err(c.expected("lo or hi"));
            }
        };
        Ok(if low == (order == ByteOrder::Little) {
            0
        } else {
            4
        })
    }

    /// `[k]` after `M`.
    fn slot(&self, c: &mut Cursor<'_, '_>) -> Result<u32, ParseError> {
        c.expect_punct("[")?;
        let k = self.value(c, 32)?;
        c.expect_punct("]")?;
        Ok(k)
    }

    fn source(&self, c: &mut Cursor<'_, '_>) -> Result<Src, ParseError> {
        if c.eat_ident("X") {
            Ok(Src::X)
        } else {
            Ok(Src::K(self.value(c, 32)?))
        }
    }

    fn conditional(&mut self, c: &mut Cursor<'_, '_>) -> Result<(), ParseError> {
        let (op, negated, src) = if c.eat_punct("!") {
            c.expect_punct("(")?;
            c.expect_ident("A")?;
            c.expect_punct("&")?;
            let s = self.source(c)?;
            c.expect_punct(")")?;
            (BPF_JSET, true, s)
        } else {
            c.expect_ident("A")?;
            let (op, neg) = match c.peek() {
                Some(Tok::Punct("&")) => (BPF_JSET, false),
                Some(Tok::Punct(p)) => match CMP_OPS.iter().find(|(s, _, _)| s == p) {
                    Some(&(_, op, neg)) => (op, neg),
                    None => return Err(c.expected("a comparison")),
                },
                _ => return Err(c.expected("a comparison")),
            };
            c.bump();
            (op, neg, self.source(c)?)
        };
        c.expect_ident("goto")?;
        let first = self.target(c)?;
        let second = if c.eat_ident("else") {
            Some(self.target(c)?)
        } else {
            None
        };
        let (srcbit, k) = match src {
            Src::X => (BPF_X, 0),
            Src::K(k) => (BPF_K, k),
        };
        self.emit(BPF_JMP | op | srcbit, 0, 0, k);
        let (on_true, on_false) = if negated {
            (Field::Jf, Field::Jt)
        } else {
            (Field::Jt, Field::Jf)
        };
        self.set_target(first, on_true, c.line);
        if let Some(t) = second {
            self.set_target(t, on_false, c.line);
        }
        Ok(())
    }

    fn target(&self, c: &mut Cursor<'_, '_>) -> Result<Target, ParseError> {
        let col = c.col();
        if c.eat_punct("+") {
            return Ok(Target::Offset(self.value(c, 32)?));
        }
        let name = c.ident("a label or +offset")?;
        Ok(Target::Label(name.into(), col))
    }

    fn set_target(&mut self, t: Target, field: Field, line: usize) {
        let insn = self.insns.len() - 1;
        match t {
            Target::Offset(off) => {
                let i = &mut self.insns[insn];
                match field {
                    Field::Jt => i.jt = off as u8,
                    Field::Jf => i.jf = off as u8,
                    Field::K => i.k = off,
                }
            }
            Target::Label(label, column) => self.fixups.push(Fixup {
                insn,
                field,
                label,
                line,
                column,
            }),
        }
    }

    fn emit(&mut self, code: u16, jt: u8, jf: u8, k: u32) {
        self.insns.push(Insn { code, jt, jf, k });
    }

    /// A constant of at most `bits` bits: a number or a name.
    fn value(&self, c: &mut Cursor<'_, '_>, bits: u32) -> Result<u32, ParseError> {
        let col = c.col();
        let line = c.line;
        let bad = |text: &str| ParseError {
            line,
            column: col,
            kind: ParseErrorKind::BadNumber {
                text: text.into(),
                bits,
            },
        };
        match c.peek().cloned() {
            Some(Tok::Num(text)) => {
                c.bump();
                number(text, bits)
                    .map(|v| v as u32)
                    .ok_or_else(|| bad(text))
            }
            Some(Tok::Punct("-")) => {
                c.bump();
                match c.bump() {
                    Some(Tok::Num(text)) => {
                        let v = number(text, 32).ok_or_else(|| bad(text))?;
                        let neg = (v as u32).wrapping_neg();
                        if v > 1 << (bits - 1) || (bits < 32 && v != 0) {
                            return Err(bad(&alloc::format!("-{text}")));
                        }
                        Ok(neg)
                    }
                    _ => {
                        c.pos -= 1;
                        Err(c.expected("a number"))
                    }
                }
            }
            Some(Tok::Ident(name)) => {
                c.bump();
                let v = self.name(c, name, col)?;
                if bits < 32 && v >> bits != 0 {
                    return Err(bad(name));
                }
                Ok(v)
            }
            _ => Err(c.expected("a number or a name")),
        }
    }

    /// The value of a name (action, audit arch, syscall).
    fn name(&self, c: &mut Cursor<'_, '_>, name: &str, col: usize) -> Result<u32, ParseError> {
        let bare = name.strip_prefix("SECCOMP_RET_").unwrap_or(name);
        if let Some(&(_, v)) = ACTIONS.iter().find(|(n, _)| *n == bare) {
            if let Some(v) = v {
                return Ok(v);
            }
            c.expect_punct("(")?;
            let data = self.value(c, 16)?;
            c.expect_punct(")")?;
            return Ok(action_base(bare).unwrap_or(0) | data);
        }
        if name == "X32_SYSCALL_BIT" {
            return Ok(X32_SYSCALL_BIT);
        }
        if let Some(&(_, v)) = AUDIT_ARCHES.iter().find(|(n, _)| *n == name) {
            return Ok(v);
        }
        // The prefixes say what the name was meant to be; no syscall has them.
        if name.starts_with("AUDIT_ARCH_") {
            return Err(c.err_at(col, ParseErrorKind::UnknownArch(name.into())));
        }
        if name.starts_with("SECCOMP_RET_") {
            return Err(c.err_at(col, ParseErrorKind::UnknownAction(name.into())));
        }
        // A syscall, of the current ABI or of `@abi`.
        let abi = if c.eat_punct("@") {
            let acol = c.col();
            let a = c.ident("an ABI name")?;
            Some(
                Abi::from_name(a)
                    .ok_or_else(|| c.err_at(acol, ParseErrorKind::UnknownAbi(a.into())))?,
            )
        } else {
            self.abi
        };
        let Some(abi) = abi else {
            return Err(c.err_at(
                col,
                ParseErrorKind::NeedAbi(alloc::format!("syscall name {}", Excerpt(name))),
            ));
        };
        abi.syscall_table()
            .map_err(|e| c.err_at(col, ParseErrorKind::MissingTable(e)))?
            .syscall_nr(name)
            .ok_or_else(|| c.err_at(col, ParseErrorKind::UnknownName(name.into())))
    }

    fn resolve(mut self) -> Result<Program, ParseError> {
        let n = self.insns.len();
        if let Some((name, _, line, column)) = self.labels.iter().find(|l| l.1 >= n) {
            return Err(ParseError {
                line: *line,
                column: *column,
                kind: ParseErrorKind::LabelPastEnd(name.clone()),
            });
        }
        for f in &self.fixups {
            let err = |kind| ParseError {
                line: f.line,
                column: f.column,
                kind,
            };
            let Some(&(_, at, _, _)) = self.labels.iter().find(|l| l.0 == f.label) else {
                return Err(err(ParseErrorKind::UnknownLabel(f.label.clone())));
            };
            if at <= f.insn {
                return Err(err(ParseErrorKind::BackwardJump(f.label.clone())));
            }
            let distance = at - f.insn - 1;
            let i = &mut self.insns[f.insn];
            match f.field {
                Field::K => i.k = distance as u32,
                Field::Jt | Field::Jf => {
                    let Ok(d) = u8::try_from(distance) else {
                        return Err(err(ParseErrorKind::JumpTooFar {
                            label: f.label.clone(),
                            distance,
                        }));
                    };
                    if f.field == Field::Jt {
                        i.jt = d;
                    } else {
                        i.jf = d;
                    }
                }
            }
        }
        Ok(Program::new(self.insns))
    }
}

/// Formats a `ParseError` with the offending line and a caret under the column.
pub struct ShowError<'a> {
    /// The text that was assembled.
    pub text: &'a str,
    /// The error.
    pub error: &'a ParseError,
}

impl fmt::Display for ShowError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.error)?;
        if let Some(line) = self.text.lines().nth(self.error.line.saturating_sub(1)) {
            writeln!(f, "  | {line}")?;
            write!(f, "  | {:>1$}", "^", self.error.column)?;
        }
        Ok(())
    }
}

/// The names of the actions, for the disassembler's labels.
pub(crate) fn action_label(a: Action) -> String {
    let name = a.name().to_ascii_lowercase();
    match a {
        Action::Trap(d) | Action::Errno(d) | Action::Trace(d) => alloc::format!("{name}_{d}"),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn asm(text: &str) -> Vec<Insn> {
        match assemble(text) {
            Ok(p) => p.into_insns(),
            Err(e) => panic!("{}", ShowError { text, error: &e }),
        }
    }

    fn err(text: &str) -> ParseError {
        assemble(text).expect_err("should not assemble")
    }

    #[test]
    fn every_form() {
        let text = "
            .abi x86_64          ; comment
            A = nr               # another comment
            A = arch
            A = ip.lo
            A = ip.hi
            A = args[0].lo
            A = args[5].hi
            A = data[2]
            A = len
            X = len
            A = 0x10
            X = -1
            A = M[3]
            X = M[15]
            M[0] = A
            M[1] = X
            X = A
            A = X
            A += 1
            A -= X
            A *= 3
            A /= 2
            A %= 7
            A &= 0xff
            A |= 0b1010
            A ^= 0o17
            A <<= 4
            A >>= X
            A = -A
            goto end
            if A == read goto end
            if A != write goto end
            if A > 5 goto end else end
            if A <= X goto end
            if A >= AUDIT_ARCH_I386 goto end
            if A < 3 goto +0
            if A & 0x3 goto end
            if !(A & X) goto end
            return A
            return ERRNO(1)
            .insn 0xff, 1, 2, 0xffffffff
            end: return ALLOW
        ";
        let p = asm(text);
        let end = p.len() - 1;
        assert_eq!(p[0], bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0));
        assert_eq!(p[2].k, 8);
        assert_eq!(p[3].k, 12);
        assert_eq!(p[4].k, 16);
        assert_eq!(p[5].k, 60);
        assert_eq!(p[6].k, 2);
        assert_eq!(p[7].code, BPF_LD | BPF_W | BPF_LEN);
        assert_eq!(p[8].code, BPF_LDX | BPF_W | BPF_LEN);
        assert_eq!(p[9], bpf_stmt(BPF_LD | BPF_IMM, 16));
        assert_eq!(p[10], bpf_stmt(BPF_LDX | BPF_IMM, u32::MAX));
        assert_eq!(p[11], bpf_stmt(BPF_LD | BPF_MEM, 3));
        assert_eq!(p[12], bpf_stmt(BPF_LDX | BPF_MEM, 15));
        assert_eq!(p[13], bpf_stmt(BPF_ST, 0));
        assert_eq!(p[14], bpf_stmt(BPF_STX, 1));
        assert_eq!(p[15].code, BPF_MISC | BPF_TAX);
        assert_eq!(p[16].code, BPF_MISC | BPF_TXA);
        assert_eq!(p[17], bpf_stmt(BPF_ALU | BPF_ADD | BPF_K, 1));
        assert_eq!(p[18], bpf_stmt(BPF_ALU | BPF_SUB | BPF_X, 0));
        assert_eq!(p[21], bpf_stmt(BPF_ALU | BPF_MOD | BPF_K, 7));
        assert_eq!(p[23], bpf_stmt(BPF_ALU | BPF_OR | BPF_K, 10));
        assert_eq!(p[24], bpf_stmt(BPF_ALU | BPF_XOR | BPF_K, 15));
        assert_eq!(p[26], bpf_stmt(BPF_ALU | BPF_RSH | BPF_X, 0));
        assert_eq!(p[27], bpf_stmt(BPF_ALU | BPF_NEG, 0));
        let off = |pc: usize| (end - pc - 1) as u8;
        assert_eq!(p[28], bpf_stmt(BPF_JMP | BPF_JA, u32::from(off(28))));
        assert_eq!(p[29], bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, off(29), 0));
        assert_eq!(p[30], bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, off(30)));
        assert_eq!(
            p[31],
            bpf_jump(BPF_JMP | BPF_JGT | BPF_K, 5, off(31), off(31))
        );
        assert_eq!(p[32], bpf_jump(BPF_JMP | BPF_JGT | BPF_X, 0, 0, off(32)));
        assert_eq!(
            p[33],
            bpf_jump(BPF_JMP | BPF_JGE | BPF_K, AUDIT_ARCH_I386, off(33), 0)
        );
        assert_eq!(p[34], bpf_jump(BPF_JMP | BPF_JGE | BPF_K, 3, 0, 0));
        assert_eq!(p[35], bpf_jump(BPF_JMP | BPF_JSET | BPF_K, 3, off(35), 0));
        assert_eq!(p[36], bpf_jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, off(36)));
        assert_eq!(p[37], bpf_stmt(BPF_RET | BPF_A, 0));
        assert_eq!(p[38], bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1));
        assert_eq!(p[39], bpf_jump(0xff, u32::MAX, 1, 2));
        assert_eq!(p[40], bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    }

    #[test]
    fn names_and_byte_orders() {
        let p = asm(
            ".abi s390x\nA = args[1].lo\nA = args[1].hi\nA = ip.lo\nreturn SECCOMP_RET_TRAP(7)",
        );
        assert_eq!(
            p,
            vec![
                bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 28),
                bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 24),
                bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 12),
                bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
            ]
        );
        let p = asm(
            ".abi x86_64\nA = read@i386\nA = read@x32\nA = X32_SYSCALL_BIT\nA = KILL\nA = TRACE(65535)",
        );
        assert_eq!(p[0].k, 3);
        assert_eq!(p[1].k, X32_SYSCALL_BIT);
        assert_eq!(p[2].k, X32_SYSCALL_BIT);
        assert_eq!(p[3].k, 0);
        assert_eq!(p[4].k, SECCOMP_RET_TRACE | 0xffff);
    }

    // A foreign ABI's table.
    #[test]
    #[cfg_attr(
        not(feature = "all-abis"),
        ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
    )]
    fn names_of_the_options_abi() {
        let p = assemble_with(
            "A = openat",
            &AsmOptions {
                abi: Some(Abi::Aarch64),
            },
        )
        .unwrap();
        assert_eq!(p.insns()[0].k, 56);
    }

    #[test]
    fn errors_have_places() {
        use ParseErrorKind::*;
        let e = err("A = nr\n  A = frobnicate");
        assert_eq!((e.line, e.column), (2, 7));
        assert_eq!(e.kind, NeedAbi("syscall name \"frobnicate\"".into()));
        let e = err(".abi x86_64\nA = frobnicate");
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 5, UnknownName("frobnicate".into()))
        );
        assert_eq!(err(".abi vax").kind, UnknownAbi("vax".into()));
        assert_eq!(err("A = args[1].lo").kind, NeedAbi("args".into()));
        // A misspelt arch or action is called one, with or without an ABI.
        for text in ["A = AUDIT_ARCH_FROB", ".abi x86_64\nA = AUDIT_ARCH_FROB"] {
            let e = err(text);
            assert_eq!(e.kind, UnknownArch("AUDIT_ARCH_FROB".into()), "{text}");
            assert_eq!(
                e.kind.to_string(),
                "unknown architecture \"AUDIT_ARCH_FROB\""
            );
        }
        let e = err(".abi x86_64\nif A == SECCOMP_RET_FROB goto x\nx:\nret ALLOW");
        assert_eq!(e.kind, UnknownAction("SECCOMP_RET_FROB".into()));
        // Quoted input is cut short.
        let long = "x".repeat(100_000);
        let e = err(&alloc::format!(".abi x86_64\nA = {long}"));
        assert!(e.to_string().len() < 100, "{e}");
        assert!(e.to_string().ends_with("\"…"), "{e}");
        assert_eq!(err(".abi arm\nA = args[6].lo").kind, BadArgIndex(6));
        let e = err("A = 0x1_0000_0000");
        assert_eq!((e.line, e.column), (1, 5));
        assert!(matches!(e.kind, BadNumber { bits: 32, .. }));
        assert!(matches!(
            err("return ERRNO(65536)").kind,
            BadNumber { bits: 16, .. }
        ));
        assert!(matches!(err("A = -2147483649").kind, BadNumber { .. }));
        assert_eq!(asm("A = -2147483648")[0].k, 0x8000_0000);
        assert_eq!(err("A = 1 $").kind, BadChar('$'));
        assert_eq!(err("A = 1 $").column, 7);
        assert_eq!(
            err("x: return A\nx: return A").kind,
            DuplicateLabel("x".into())
        );
        assert_eq!(
            err("goto nowhere\nreturn A").kind,
            UnknownLabel("nowhere".into())
        );
        let e = err("back: A = 1\ngoto back\nreturn A");
        assert_eq!(
            (e.line, e.column, e.kind),
            (2, 6, BackwardJump("back".into()))
        );
        assert_eq!(
            err("goto end\nreturn A\nend:").kind,
            LabelPastEnd("end".into())
        );
        let far = alloc::format!(
            "if A == 0 goto far\n{}far: return A",
            "return A\n".repeat(256)
        );
        assert_eq!(
            err(&far).kind,
            JumpTooFar {
                label: "far".into(),
                distance: 256
            }
        );
        assert!(matches!(err("A = ").kind, Expected { .. }));
        assert!(matches!(err("jump 3").kind, Expected { .. }));
        assert!(matches!(err("if A ~ 3 goto x").kind, BadChar('~')));
        assert!(matches!(err("if A = 3 goto x").kind, Expected { .. }));
        assert!(matches!(err("return A A").kind, Expected { .. }));
        assert!(matches!(err(".insn 1, 2, 3").kind, Expected { .. }));
        assert!(matches!(
            err(".insn 0x10000, 0, 0, 0").kind,
            BadNumber { bits: 16, .. }
        ));
        let shown = alloc::format!(
            "{}",
            ShowError {
                text: "A = 1 $",
                error: &err("A = 1 $")
            }
        );
        assert!(shown.ends_with("  | A = 1 $\n  |       ^"), "{shown}");
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let mut s: u64 = 1;
        let alphabet: Vec<char> =
            "AXM[]=!&()<>+-*/|^%.,:@;# \n0123456789xabcdefnrgotifelsuhpwLRN_é\u{1F600}"
                .chars()
                .collect();
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(s % 40) {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.push(alphabet[(s >> 33) as usize % alphabet.len()]);
            }
            let _ = assemble(&text);
        }
    }
}
