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
}

/// The message on a single line: any line break a library message may hold
/// becomes `"; "`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Message(m) => {
                let mut lines = m.lines().map(str::trim).filter(|l| !l.is_empty());
                if let Some(first) = lines.next() {
                    f.write_str(first)?;
                }
                for l in lines {
                    write!(f, "; {l}")?;
                }
                Ok(())
            }
            Error::BrokenPipe => f.write_str("standard output was closed"),
            Error::Exit(code) => write!(f, "exit status {code}"),
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
        let e = Error::stdout(&io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(matches!(e, Error::BrokenPipe));
        let e = Error::stdout(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(
            e.to_string()
                .starts_with("cannot write to standard output: ")
        );
    }
}
