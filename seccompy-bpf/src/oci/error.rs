//! Errors of parsing and resolving profiles.

use alloc::string::String;

use seccompy_sys::syscalls::Abi;

use crate::excerpt::{Excerpt, bounded};

/// The most characters of serde_json's message a [`ParseError`] keeps (its
/// messages quote the offending input).
const MAX_PARSE_MESSAGE: usize = 160;

/// Why a profile's JSON was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
#[non_exhaustive]
pub struct ParseError {
    /// What kind of problem it is.
    pub kind: ParseErrorKind,
    /// What is wrong: serde_json's message for [`ParseErrorKind::Json`].
    pub message: String,
    /// The line, from 1 (0 when unknown).
    pub line: usize,
    /// The column, from 1 (0 when unknown).
    pub column: usize,
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        let mut message = alloc::format!("{e}");
        // serde_json appends " at line L column C"; keep the message alone.
        if let Some(i) = message.rfind(" at line ") {
            message.truncate(i);
        }
        let message = bounded(&message, MAX_PARSE_MESSAGE).into_owned();
        Self {
            kind: ParseErrorKind::Json,
            message,
            line: e.line(),
            column: e.column(),
        }
    }
}

/// The kinds of [`ParseError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Malformed JSON, or a value of the wrong type somewhere inside.
    Json,
    /// The top-level value is not a JSON object: a profile (like an OCI
    /// `config.json`) is an object, with a `defaultAction`. runc refuses the
    /// rest; serde alone would take an array for the object, its elements for
    /// the fields in order (`["SCMP_ACT_ALLOW"]` as an allow-all profile).
    NotAnObject {
        /// What the top-level value is: `"an array"`, `"a string"`,
        /// `"a number"`, `"a boolean"` or `"null"`.
        found: &'static str,
    },
}

/// Refuses JSON whose top-level value is not an object ([`ParseErrorKind::NotAnObject`],
/// `what` naming the document in the message); anything that is not a JSON
/// value at all is left to serde_json, which says where the syntax is wrong.
pub(super) fn require_object(json: &str, what: &str) -> Result<(), ParseError> {
    let (mut line, mut column) = (1, 1);
    let bytes = json.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let rest = bytes.get(i..).unwrap_or(&[]);
        let found = match b {
            b' ' | b'\t' | b'\r' => {
                column += 1;
                continue;
            }
            b'\n' => {
                line += 1;
                column = 1;
                continue;
            }
            b'[' => "an array",
            b'"' => "a string",
            b'-' | b'0'..=b'9' => "a number",
            _ if rest.starts_with(b"true") || rest.starts_with(b"false") => "a boolean",
            _ if rest.starts_with(b"null") => "null",
            _ => return Ok(()),
        };
        return Err(ParseError {
            kind: ParseErrorKind::NotAnObject { found },
            message: alloc::format!("{what} is a JSON object, not {found}"),
            line,
            column,
        });
    }
    Ok(())
}

/// Why a profile cannot be resolved into a policy. `path` fields are JSON paths
/// into the profile (`syscalls[3].args[0].op`). Messages quote at most the
/// first few dozen characters of a string from the profile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The target ABI is not one runc and libseccomp support.
    #[error("architecture {0} is not supported by runc")]
    UnsupportedTarget(Abi),
    /// `defaultAction` is missing while `syscalls` has entries.
    #[error("defaultAction is missing")]
    MissingDefaultAction,
    /// An `SCMP_ACT_*` string runc does not know.
    #[error("{path}: unknown action {}", Excerpt(.value))]
    UnknownAction {
        /// Where.
        path: String,
        /// The string.
        value: String,
    },
    /// An `SCMP_CMP_*` string runc does not know.
    #[error("{path}: unknown operator {}", Excerpt(.value))]
    UnknownOperator {
        /// Where.
        path: String,
        /// The string.
        value: String,
    },
    /// An `SCMP_ARCH_*` string runc does not know.
    #[error("{path}: unknown architecture {}", Excerpt(.value))]
    UnknownArch {
        /// Where.
        path: String,
        /// The string.
        value: String,
    },
    /// An architecture runc knows but seccompy has no syscall table for.
    #[error("{path}: architecture {value} is not supported by seccompy")]
    UnsupportedArch {
        /// Where.
        path: String,
        /// The string.
        value: String,
    },
    /// `SCMP_ARCH_S390` (31-bit s390) for a kernel older than 6.19, which can
    /// still run 31-bit programs: seccompy has no syscall table for them (from
    /// 6.19 on, the architecture is left out, as no call can come from it).
    #[error(
        "{path}: SCMP_ARCH_S390 (31-bit s390) has no syscall table in seccompy; Linux 6.19 removed 31-bit s390, so resolving for kernel {min} or later leaves it out"
    )]
    S390Compat {
        /// Where.
        path: String,
        /// The first kernel without 31-bit s390 (6.19).
        min: super::KernelVersion,
    },
    /// An architecture whose byte order differs from the target's: libseccomp
    /// refuses to add it (`EDOM`), so runc fails.
    #[error("{path}: architecture {value} has another byte order than {target}")]
    ArchByteOrder {
        /// Where.
        path: String,
        /// The string.
        value: String,
        /// The target ABI.
        target: Abi,
    },
    /// A `flags` entry runc does not know.
    #[error("{path}: unknown seccomp flag {}", Excerpt(.value))]
    UnknownFlag {
        /// Where.
        path: String,
        /// The string.
        value: String,
    },
    /// Both `architectures` and `archMap` are given (Docker refuses it).
    #[error("both architectures and archMap are specified")]
    ArchitecturesAndArchMap,
    /// Both `name` and `names` in one rule (Docker refuses it).
    #[error("{path}: both name and names are specified")]
    NameAndNames {
        /// Where.
        path: String,
    },
    /// An empty syscall name (runc refuses it).
    #[error("{path}: empty syscall name")]
    EmptyName {
        /// Where.
        path: String,
    },
    /// An invalid `minKernel`.
    #[error("{path}: {source}")]
    MinKernel {
        /// Where.
        path: String,
        /// What is wrong.
        source: super::kernel::KernelVersionError,
    },
    /// An argument index past 5.
    #[error("{path}: argument index {index} is past 5")]
    ArgIndex {
        /// Where.
        path: String,
        /// The index.
        index: u64,
    },
    /// An `errnoRet` or `defaultErrnoRet` that libseccomp refuses: after runc
    /// keeps its low 16 bits, libseccomp wants an errno below 4095. (0 is
    /// accepted: the call returns 0 without running.)
    #[error("{path}: errno {value} is not usable (runc keeps the low 16 bits; 0 to 4094 work)")]
    BadErrno {
        /// Where.
        path: String,
        /// The value in the profile.
        value: u64,
    },
    /// `SCMP_ACT_NOTIFY` as the default action (runc refuses it).
    #[error("SCMP_ACT_NOTIFY cannot be the default action")]
    NotifyDefault,
    /// `SCMP_ACT_NOTIFY` for `write` (runc refuses it).
    #[error("{path}: SCMP_ACT_NOTIFY cannot be used for write")]
    NotifyWrite {
        /// Where.
        path: String,
    },
    /// Rules for one syscall whose outcome under libseccomp depends on the order
    /// and shape of its internal rule tree, which seccompy does not reproduce.
    #[error(
        "{syscall} on {abi}: {reason}; libseccomp's decision depends on its rule-tree merge, which seccompy does not reproduce"
    )]
    Ambiguous {
        /// The ABI.
        abi: Abi,
        /// The syscall's name.
        syscall: String,
        /// Which pattern.
        reason: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use alloc::string::{String, ToString};

    use crate::oci::{KernelVersion, Profile, ResolveOptions};

    /// The message of a profile's refusal, from parsing or resolving.
    fn refusal(json: &str) -> String {
        match Profile::from_json(json) {
            Err(e) => e.to_string(),
            Ok(p) => {
                let opts = ResolveOptions::new(
                    seccompy_sys::syscalls::Abi::X86_64,
                    KernelVersion::new(6, 18),
                );
                p.resolve(&opts).expect_err("refused").to_string()
            }
        }
    }

    #[test]
    fn messages_quote_a_short_prefix_of_the_profile() {
        let long = "SCMP_ACT_".to_string() + &"X".repeat(1 << 20);
        let m = refusal(&alloc::format!(r#"{{"defaultAction": "{long}"}}"#));
        assert!(
            m.starts_with(r#"defaultAction: unknown action "SCMP_ACT_XXX"#),
            "{m}"
        );
        assert!(m.ends_with("\"…") && m.len() < 100, "{m}");
        // serde_json quotes the input too (a string where a number belongs).
        let m = refusal(&alloc::format!(
            r#"{{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "{long}"}}"#
        ));
        assert!(m.len() < 250 && m.contains("…"), "{m}");
        assert!(m.starts_with("invalid type: string \"SCMP_ACT_XXX"), "{m}");
        // Short ones are quoted whole.
        assert_eq!(
            refusal(r#"{"defaultAction": "SCMP_ACT_NOPE"}"#),
            r#"defaultAction: unknown action "SCMP_ACT_NOPE""#
        );
    }
}
