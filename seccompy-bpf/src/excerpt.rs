//! Bounded quotations of input in error messages: a message that quotes a
//! 50 MB string from a profile quotes its first characters only.

use core::fmt;

/// The most characters of an input an error message quotes.
pub(crate) const MAX_CHARS: usize = 48;

/// Formats a string as `{:?}` does, cut to its first [`MAX_CHARS`] characters,
/// with `…` after the closing quote when something was cut.
pub(crate) struct Excerpt<'a>(pub(crate) &'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let cut = match s.char_indices().nth(MAX_CHARS) {
            Some((end, _)) => &s[..end],
            None => s,
        };
        write!(f, "{cut:?}")?;
        if cut.len() < s.len() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// `text` cut to its first `max` characters, with `…` when something was cut:
/// for a message made by another library that may quote its input whole.
pub(crate) fn bounded(text: &str, max: usize) -> alloc::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((end, _)) => alloc::format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn long_input_is_cut_short() {
        assert_eq!(Excerpt("SCMP_ACT_NOPE").to_string(), "\"SCMP_ACT_NOPE\"");
        let long = "é".repeat(10_000);
        let quoted = Excerpt(&long).to_string();
        assert_eq!(quoted, alloc::format!("{:?}…", "é".repeat(MAX_CHARS)));
        assert_eq!(bounded("abc", 2), "ab…");
        assert_eq!(bounded("abc", 3), "abc");
    }
}
