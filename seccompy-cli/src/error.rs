//! The command's error: one line for the user, then exit status 2.

use std::fmt;
use std::io;

/// Why a command failed.
#[derive(Debug)]
pub enum Error {
    /// A message for the user (printed as `seccompy: <message>`).
    Message(String),
    /// Standard output was closed by its reader (`seccompy disasm x | head`): not
    /// worth a message.
    BrokenPipe,
    /// The command is over and `seccompy` exits with this status, without a
    /// message (`run` passes its command's status on, `audit` reports findings).
    Exit(u8),
    /// A message for the user, then exit with this status instead of 2 (`run`:
    /// 125 for its own failures, 126 when the command cannot be executed, 127
    /// when it is not found, as `env`, `timeout` and `docker run` do).
    Status(u8, String),
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    /// The error for a failed write to standard output.
    pub fn stdout(err: &io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::new(format!("cannot write to standard output: {err}"))
        }
    }

    /// This error with exit status `code`, unless it already has a status of
    /// its own (a command's status, 126, 127).
    pub fn or_status(self, code: u8) -> Self {
        match self {
            Error::Message(m) => Error::Status(code, m),
            other => other,
        }
    }

    /// The exit status `seccompy` ends with for this error.
    pub fn status(&self) -> u8 {
        match self {
            Error::Message(_) => 2,
            Error::BrokenPipe => 0,
            Error::Exit(code) | Error::Status(code, _) => *code,
        }
    }
}

/// The most characters of a message: the libraries quote only a short prefix
/// of their input, but a message may echo a command-line argument (up to
/// 128 KiB) or a file name whole; past this, it is cut and ends with `…`.
const MAX_MESSAGE_CHARS: usize = 1000;

/// The message on a single line: any line break a library message may hold
/// becomes `"; "`; at most [`MAX_MESSAGE_CHARS`] characters.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Message(m) => {
                let line = m
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                match line.char_indices().nth(MAX_MESSAGE_CHARS) {
                    Some((end, _)) => write!(f, "{}…", &line[..end]),
                    None => f.write_str(&line),
                }
            }
            Error::BrokenPipe => f.write_str("standard output was closed"),
            Error::Exit(code) => write!(f, "exit status {code}"),
            Error::Status(_, m) => fmt::Display::fmt(&Error::Message(m.clone()), f),
        }
    }
}

impl From<lexopt::Error> for Error {
    fn from(err: lexopt::Error) -> Self {
        Error::new(err.to_string())
    }
}

/// The result of a command.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let e = Error::new("first\n  second\n\nthird\n");
        assert_eq!(e.to_string(), "first; second; third");
        let e = Error::new(format!("unknown architecture '{}'", "x".repeat(200_000)));
        let line = e.to_string();
        assert_eq!(line.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(line.starts_with("unknown architecture 'xxx") && line.ends_with('…'));
        let e = Error::stdout(&io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(matches!(e, Error::BrokenPipe));
        let e = Error::stdout(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(
            e.to_string()
                .starts_with("cannot write to standard output: ")
        );
    }
}
