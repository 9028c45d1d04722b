//! Classic BPF for seccomp, pure and offline: program types, decoded instructions
//! ([`op`]), a label assembler, a
//! text assembler and disassembler, a validator with the kernel's rules, an
//! emulator, lints of programs ([`lint`]), and a decision-tree policy compiler.
//!
//! Everything here runs on any host for any ABI that `seccompy-sys` knows.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

pub mod action;
pub mod asm;
pub mod assembler;
pub mod cache;
pub mod compile;
pub mod decode;
pub mod disasm;
pub mod emulate;
mod excerpt;
pub mod harden;
pub mod lint;
#[cfg(feature = "oci")]
#[cfg_attr(docsrs, doc(cfg(feature = "oci")))]
pub mod oci;
pub mod op;
pub mod outcomes;
pub mod policy;
pub mod program;
#[doc(hidden)]
pub mod rng;
/// The unit tests' name for [`rng::Rng`].
#[cfg(test)]
mod test_rng {
    pub(crate) use crate::rng::Rng;
}
pub mod validate;

pub use action::{Action, ActionError};
pub use asm::{ParseError, assemble};
pub use assembler::{AssembleError, Assembler, Label};
pub use compile::{CompileError, compile};
pub use disasm::disassemble;
pub use emulate::{ByteOrder, EmulateError, Input, Outcome, emulate, emulate_for};
pub use policy::{Arg, Arg32, Cmp, Condition, Policy, Rule, Syscall, Width};
pub use program::{Insn, Program};
pub use validate::{ValidateError, validate};
