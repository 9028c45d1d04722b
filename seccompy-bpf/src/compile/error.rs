//! Why a policy could not be compiled.

use alloc::string::String;

use seccompy_sys::syscalls::MissingTable;

use super::verify::Violation;
use crate::action::{Action, ActionError};
use crate::assembler::AssembleError;

/// Why a policy could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The policy has no ABI.
    #[error("the policy has no ABI")]
    NoAbi,
    /// The syscall table of one of the policy's ABIs is not compiled in: the
    /// error names the feature that adds it.
    #[error(transparent)]
    MissingTable(#[from] MissingTable),
    /// A syscall name is unknown on every ABI of the policy that its rule
    /// applies to.
    #[error(
        "syscall {} is unknown on every ABI of the policy it applies to",
        crate::excerpt::Excerpt(.name)
    )]
    UnknownSyscall {
        /// The name.
        name: String,
    },
    /// An action's data is invalid.
    #[error("invalid action {action}: {source}")]
    InvalidAction {
        /// The action.
        action: Action,
        /// What is wrong with it.
        source: ActionError,
    },
    /// A condition names an argument past the sixth.
    #[error(
        "condition on argument {index} of {}: seccomp passes arguments 0 to 5",
        crate::excerpt::Excerpt(.syscall)
    )]
    ArgIndex {
        /// The rule's syscall.
        syscall: String,
        /// The index.
        index: u8,
    },
    /// The program would be longer than the kernel accepts. It is never
    /// truncated.
    #[error("the program needs {len} instructions, more than the kernel's limit of 4096")]
    TooLong {
        /// The length it would have.
        len: usize,
    },
    /// The assembler failed for another reason (a compiler bug).
    #[error("internal error: {0}")]
    Internal(AssembleError),
    /// The program breaks an invariant of the compiler's output (a compiler
    /// bug; the program is not handed out). Checked in debug builds.
    #[error("internal error: {0}")]
    Invariant(Violation),
}
