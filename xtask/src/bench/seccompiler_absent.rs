//! The seccompiler peer on a host seccompiler does not build for (it supports
//! x86_64, aarch64 and riscv64 hosts): every use says it is not run.

use seccompy_bpf::Insn;

use super::spec::Spec;

const ABSENT: &str = "seccompiler builds only on x86_64, aarch64 and riscv64 hosts";

/// What the peer's mapping gives where it exists.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// Rules left out.
    pub dropped: Vec<String>,
    /// Names left out.
    pub unknown: Vec<String>,
}

/// Not on this host.
pub fn map(_spec: &Spec) -> Result<Mapped, String> {
    Err(ABSENT.into())
}

impl Mapped {
    /// Not on this host.
    pub fn compile(&self) -> Result<Vec<Insn>, String> {
        Err(ABSENT.into())
    }
}
