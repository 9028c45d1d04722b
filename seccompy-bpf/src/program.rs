//! A classic BPF program: an owned list of instructions, with conversion to and
//! from the kernel's raw byte layout.

use alloc::vec::Vec;
use core::fmt;

pub use seccompy_sys::sock_filter as Insn;

/// Size of one instruction in bytes (`sizeof(struct sock_filter)`).
pub const INSN_SIZE: usize = core::mem::size_of::<Insn>();

/// An owned classic BPF program.
///
/// A program is only a list of instructions; `validate::validate`
/// says whether the kernel would accept it for seccomp.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Program {
    insns: Vec<Insn>,
}

/// Why bytes could not be read as a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FromBytesError {
    /// The length is not a multiple of 8 bytes.
    #[error(
        "a BPF program is a sequence of 8-byte instructions, but {len} bytes is not a multiple of 8"
    )]
    Length {
        /// The length given.
        len: usize,
    },
}

impl Program {
    /// Wraps a list of instructions.
    #[must_use]
    pub fn new(insns: Vec<Insn>) -> Self {
        Self { insns }
    }

    /// The instructions.
    #[must_use]
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    /// The number of instructions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// Whether the program has no instruction.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.insns.is_empty()
    }

    /// Takes the instructions out.
    #[must_use]
    pub fn into_insns(self) -> Vec<Insn> {
        self.insns
    }

    /// Reads a program from 8-byte `struct sock_filter` records: `code` (u16),
    /// `jt`, `jf` (u8), `k` (u32), with `code` and `k` little-endian whatever the host. This is the format that
    /// [`to_bytes`](Self::to_bytes) writes and that `seccompy compile` emits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FromBytesError> {
        if !bytes.len().is_multiple_of(INSN_SIZE) {
            return Err(FromBytesError::Length { len: bytes.len() });
        }
        let insns = bytes
            .chunks_exact(INSN_SIZE)
            .map(|c| Insn {
                code: u16::from_le_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        Ok(Self { insns })
    }

    /// Writes the program as little-endian `struct sock_filter` records.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.insns.len() * INSN_SIZE);
        for i in &self.insns {
            out.extend_from_slice(&i.code.to_le_bytes());
            out.push(i.jt);
            out.push(i.jf);
            out.extend_from_slice(&i.k.to_le_bytes());
        }
        out
    }
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.insns).finish()
    }
}

impl From<Vec<Insn>> for Program {
    fn from(insns: Vec<Insn>) -> Self {
        Self::new(insns)
    }
}

impl AsRef<[Insn]> for Program {
    fn as_ref(&self) -> &[Insn] {
        &self.insns
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn bytes_round_trip() {
        let p = Program::new(vec![
            Insn {
                code: 0x20,
                jt: 0,
                jf: 0,
                k: 4,
            },
            Insn {
                code: 0x15,
                jt: 1,
                jf: 2,
                k: 0xc000_003e,
            },
            Insn {
                code: 0x06,
                jt: 0,
                jf: 0,
                k: 0x7fff_0000,
            },
        ]);
        let b = p.to_bytes();
        assert_eq!(b.len(), 24);
        assert_eq!(&b[8..16], &[0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]);
        assert_eq!(Program::from_bytes(&b).unwrap(), p);
        assert_eq!(
            Program::from_bytes(&b[..23]),
            Err(FromBytesError::Length { len: 23 })
        );
    }
}
