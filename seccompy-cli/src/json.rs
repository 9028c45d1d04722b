//! `--json` output: hand-written JSON (a string escaper and a few builders),
//! each document opening with its `schema` (`seccompy.COMMAND/VERSION`). The
//! schemas are documented in the README ("JSON output").

use std::fmt::Write as _;

use seccompy_bpf::Insn;

/// `s` as a JSON string, quotes included (RFC 8259: `"`, `\` and control
/// characters escaped).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `Some(s)` as a JSON string, `None` as `null`.
pub fn opt_string(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), string)
}

/// A JSON object from `(key, already-encoded value)` pairs, in order.
pub fn object(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", string(k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// A JSON array of already-encoded values.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

/// A JSON array of strings.
pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    array(items.into_iter().map(string))
}

/// How a process ended: `{"exit": N}` or, killed by signal N,
/// `{"signal": N}`.
pub fn ended(signaled: bool, n: i32) -> String {
    object(&[(if signaled { "signal" } else { "exit" }, n.to_string())])
}

/// A program's instructions: `[[code, jt, jf, k], ...]`.
pub fn insns(prog: &[Insn]) -> String {
    array(
        prog.iter()
            .map(|i| format!("[{},{},{},{}]", i.code, i.jt, i.jf, i.k)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
        assert_eq!(opt_string(None), "null");
        assert_eq!(
            object(&[("a", "1".into()), ("b", strings(["x", "y"]))]),
            "{\"a\":1,\"b\":[\"x\",\"y\"]}"
        );
    }
}
