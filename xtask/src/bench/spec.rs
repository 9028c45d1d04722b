//! A neutral description of a seccomp filter, the common input of every peer in the
//! benchmarks: the ABIs, the default action, and rules as a container runtime hands
//! them to libseccomp (a syscall name, an action, AND-ed argument comparisons).
//!
//! The meaning is libseccomp's as runc drives it (see `xtask/bench-c/libseccomp_peer.c`):
//! comparisons are on the whole 64-bit argument on 64-bit ABIs and on its low word on
//! 32-bit ones, and rules for one syscall are OR-ed. The plain-text form below is
//! what the C peer reads on its standard input:
//!
//! ```text
//! # comment
//! arch x86_64                 # libseccomp's arch names
//! default 0x50001             # raw SECCOMP_RET_* value
//! badarch 0x80000000          # optional
//! rule 0x7fff0000 socket 1 0 eq 0x1 0x0
//! ```
//!
//! A rule line is `rule ACTION NAME N` followed by `N` groups `ARG OP A B`; for
//! `masked_eq`, `A` is the mask and `B` the value, otherwise `B` is unused (0).

use std::fmt::Write as _;

use seccompy_sys::syscalls::Abi;

/// A comparison of one syscall argument with constants, as libseccomp spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `arg != a`
    Ne,
    /// `arg < a`
    Lt,
    /// `arg <= a`
    Le,
    /// `arg == a`
    Eq,
    /// `arg >= a`
    Ge,
    /// `arg > a`
    Gt,
    /// `arg & a == b`
    MaskedEq,
}

impl CmpOp {
    /// Every operator.
    pub const ALL: [CmpOp; 7] = [
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Eq,
        CmpOp::Ge,
        CmpOp::Gt,
        CmpOp::MaskedEq,
    ];

    /// The operator's name in the text form.
    pub const fn name(self) -> &'static str {
        match self {
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Eq => "eq",
            CmpOp::Ge => "ge",
            CmpOp::Gt => "gt",
            CmpOp::MaskedEq => "masked_eq",
        }
    }

    /// The operator with this text name.
    pub fn from_name(name: &str) -> Option<CmpOp> {
        CmpOp::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// One argument comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cond {
    /// The argument index, 0..=5.
    pub arg: u8,
    /// The comparison.
    pub op: CmpOp,
    /// The constant (the mask for `MaskedEq`).
    pub a: u64,
    /// The masked value for `MaskedEq`; 0 otherwise.
    pub b: u64,
}

impl Cond {
    /// A comparison with one constant.
    pub const fn new(arg: u8, op: CmpOp, a: u64) -> Cond {
        Cond { arg, op, a, b: 0 }
    }

    /// `arg & mask == value`.
    pub const fn masked(arg: u8, mask: u64, value: u64) -> Cond {
        Cond {
            arg,
            op: CmpOp::MaskedEq,
            a: mask,
            b: value,
        }
    }
}

/// One rule: when the named syscall is called and every condition holds, `action`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The raw `SECCOMP_RET_*` value.
    pub action: u32,
    /// The syscall's name, resolved per ABI by each peer.
    pub name: String,
    /// AND-ed conditions (at most 6).
    pub conds: Vec<Cond>,
}

/// A filter description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The ABIs, the first being the main one.
    pub abis: Vec<Abi>,
    /// The raw action for calls no rule matches.
    pub default: u32,
    /// The raw action for calls of another arch; `None` leaves libseccomp's default
    /// (`SCMP_ACT_KILL_THREAD`).
    pub bad_arch: Option<u32>,
    /// The rules, in the order they are added.
    pub rules: Vec<Rule>,
}

/// libseccomp's name for an ABI, for the ABIs the benchmarks use.
pub fn libseccomp_arch_name(abi: Abi) -> Option<&'static str> {
    Some(match abi {
        Abi::X86_64 => "x86_64",
        Abi::I386 => "x86",
        Abi::X32 => "x32",
        Abi::Aarch64 => "aarch64",
        Abi::Arm => "arm",
        Abi::Riscv64 => "riscv64",
        Abi::S390x => "s390x",
        Abi::Ppc64le => "ppc64le",
        _ => return None,
    })
}

/// The ABI libseccomp calls `name`.
pub fn abi_from_libseccomp_name(name: &str) -> Option<Abi> {
    Abi::ALL
        .iter()
        .copied()
        .find(|&abi| libseccomp_arch_name(abi) == Some(name))
}

impl Spec {
    /// The text form the C peer reads.
    pub fn to_text(&self) -> Result<String, String> {
        let mut out = String::new();
        for &abi in &self.abis {
            let name = libseccomp_arch_name(abi)
                .ok_or_else(|| format!("no libseccomp arch name for {}", abi.name()))?;
            writeln!(out, "arch {name}").expect("writing to a String");
        }
        writeln!(out, "default {:#x}", self.default).expect("writing to a String");
        if let Some(b) = self.bad_arch {
            writeln!(out, "badarch {b:#x}").expect("writing to a String");
        }
        for r in &self.rules {
            if r.name.is_empty() || r.name.contains(char::is_whitespace) || r.name.contains('#') {
                return Err(format!("syscall name {:?} cannot be written", r.name));
            }
            if r.conds.len() > 6 {
                return Err(format!("{}: more than 6 conditions", r.name));
            }
            write!(out, "rule {:#x} {} {}", r.action, r.name, r.conds.len())
                .expect("writing to a String");
            for c in &r.conds {
                if c.arg > 5 {
                    return Err(format!("{}: argument index {} > 5", r.name, c.arg));
                }
                write!(out, " {} {} {:#x} {:#x}", c.arg, c.op.name(), c.a, c.b)
                    .expect("writing to a String");
            }
            out.push('\n');
        }
        Ok(out)
    }

    /// Reads the text form back (for `--spec FILE`).
    pub fn from_text(text: &str) -> Result<Spec, String> {
        let mut spec = Spec {
            abis: Vec::new(),
            default: 0,
            bad_arch: None,
            rules: Vec::new(),
        };
        let mut has_default = false;
        for (i, line) in text.lines().enumerate() {
            let at = |what: &str| format!("line {}: {what}", i + 1);
            let line = line.split('#').next().unwrap_or("");
            let mut tok = line.split_whitespace();
            let Some(kw) = tok.next() else { continue };
            match kw {
                "arch" => {
                    let name = tok.next().ok_or_else(|| at("arch needs a name"))?;
                    let abi = abi_from_libseccomp_name(name)
                        .ok_or_else(|| at(&format!("unknown arch {name:?}")))?;
                    spec.abis.push(abi);
                }
                "default" => {
                    spec.default = parse_u32(tok.next()).ok_or_else(|| at("bad default"))?;
                    has_default = true;
                }
                "badarch" => {
                    spec.bad_arch =
                        Some(parse_u32(tok.next()).ok_or_else(|| at("bad badarch action"))?);
                }
                "rule" => {
                    let action = parse_u32(tok.next()).ok_or_else(|| at("bad rule action"))?;
                    let name = tok
                        .next()
                        .ok_or_else(|| at("rule needs a name"))?
                        .to_owned();
                    let n = parse_u64(tok.next())
                        .filter(|&n| n <= 6)
                        .ok_or_else(|| at("bad condition count"))?;
                    let mut conds = Vec::new();
                    for _ in 0..n {
                        let arg = parse_u64(tok.next())
                            .filter(|&a| a <= 5)
                            .ok_or_else(|| at("bad argument index"))?;
                        let op = tok
                            .next()
                            .and_then(CmpOp::from_name)
                            .ok_or_else(|| at("bad comparison"))?;
                        let a = parse_u64(tok.next()).ok_or_else(|| at("bad operand"))?;
                        let b = parse_u64(tok.next()).ok_or_else(|| at("bad operand"))?;
                        conds.push(Cond {
                            arg: arg as u8,
                            op,
                            a,
                            b,
                        });
                    }
                    spec.rules.push(Rule {
                        action,
                        name,
                        conds,
                    });
                }
                other => return Err(at(&format!("unknown keyword {other:?}"))),
            }
            if tok.next().is_some() {
                return Err(at("trailing tokens"));
            }
        }
        if !has_default {
            return Err("no default action".to_owned());
        }
        if spec.abis.is_empty() {
            return Err("no arch".to_owned());
        }
        Ok(spec)
    }

    /// Every constant the conditions compare with (masks and masked values
    /// included), sorted, without duplicates.
    pub fn constants(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .rules
            .iter()
            .flat_map(|r| r.conds.iter())
            .flat_map(|c| [c.a, c.b])
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn parse_u64(tok: Option<&str>) -> Option<u64> {
    let t = tok?;
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn parse_u32(tok: Option<&str>) -> Option<u32> {
    parse_u64(tok).and_then(|v| u32::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Spec {
        Spec {
            abis: vec![Abi::X86_64, Abi::I386, Abi::X32],
            default: 0x0005_0001,
            bad_arch: Some(0x8000_0000),
            rules: vec![
                Rule {
                    action: 0x7fff_0000,
                    name: "read".into(),
                    conds: vec![],
                },
                Rule {
                    action: 0x7fff_0000,
                    name: "personality".into(),
                    conds: vec![Cond::new(0, CmpOp::Eq, 0xffff_ffff)],
                },
                Rule {
                    action: 0x0005_0026,
                    name: "clone".into(),
                    conds: vec![
                        Cond::masked(0, 0x7e02_0000, 0),
                        Cond::new(5, CmpOp::Ge, u64::MAX),
                    ],
                },
            ],
        }
    }

    #[test]
    fn text_round_trips_with_every_operator() {
        let mut spec = sample();
        spec.rules.push(Rule {
            action: 0,
            name: "socket".into(),
            conds: CmpOp::ALL
                .iter()
                .take(6)
                .enumerate()
                .map(|(i, &op)| Cond {
                    arg: i as u8,
                    op,
                    a: 1 << (10 * i),
                    b: 7 * i as u64,
                })
                .collect(),
        });
        spec.rules.push(Rule {
            action: 1,
            name: "ioctl".into(),
            conds: vec![Cond::masked(
                1,
                0xffff_0000_0000_0000,
                0x8000_0000_0000_0000,
            )],
        });
        let text = spec.to_text().unwrap();
        assert_eq!(Spec::from_text(&text).unwrap(), spec);
    }

    #[test]
    fn text_lines_are_what_the_c_peer_reads() {
        let text = sample().to_text().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..3], ["arch x86_64", "arch x86", "arch x32"]);
        assert_eq!(lines[3], "default 0x50001");
        assert_eq!(lines[4], "badarch 0x80000000");
        assert_eq!(lines[5], "rule 0x7fff0000 read 0");
        assert_eq!(
            lines[7],
            "rule 0x50026 clone 2 0 masked_eq 0x7e020000 0x0 5 ge 0xffffffffffffffff 0x0"
        );
    }

    #[test]
    fn comments_blank_lines_and_decimal_are_accepted() {
        let spec = Spec::from_text(
            "# docker\n\narch x86_64 # native\ndefault 327681\nrule 2147418112 read 1 0 lt 38 0\n",
        )
        .unwrap();
        assert_eq!(spec.abis, [Abi::X86_64]);
        assert_eq!(spec.default, 0x50001);
        assert_eq!(spec.bad_arch, None);
        assert_eq!(spec.rules[0].conds, [Cond::new(0, CmpOp::Lt, 38)]);
    }

    #[test]
    fn malformed_text_is_refused_with_its_line() {
        for (text, want) in [
            ("arch x86_64\n", "no default"),
            ("default 1\n", "no arch"),
            ("arch vax\ndefault 1\n", "line 1"),
            ("arch x86_64\ndefault 0x1ffffffff\n", "line 2"),
            ("arch x86_64\ndefault 1\nrule 1 read 1 6 eq 1 0\n", "line 3"),
            (
                "arch x86_64\ndefault 1\nrule 1 read 1 0 like 1 0\n",
                "line 3",
            ),
            ("arch x86_64\ndefault 1\nrule 1 read 0 extra\n", "line 3"),
            ("arch x86_64\ndefault 1\nrule 1 read 7\n", "line 3"),
            ("frobnicate\n", "line 1"),
        ] {
            let err = Spec::from_text(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn unwritable_specs_are_refused() {
        let mut spec = sample();
        spec.rules[0].name = "two words".into();
        assert!(spec.to_text().is_err());
        let mut spec = sample();
        spec.rules[1].conds[0].arg = 6;
        assert!(spec.to_text().is_err());
        let mut spec = sample();
        spec.abis.push(Abi::Sparc);
        assert!(spec.to_text().is_err());
    }

    #[test]
    fn constants_are_sorted_and_unique() {
        assert_eq!(
            sample().constants(),
            [0, 0xffff_ffff, 0x7e02_0000, u64::MAX]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
    }
}
