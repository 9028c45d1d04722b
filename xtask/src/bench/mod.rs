//! Shared pieces of the benchmarks: the neutral filter description every peer
//! builds from, the peers (libseccomp through a small C program, seccompiler,
//! seccompy), the policies, and the measurements.

pub mod callgrind;
pub mod deb;
pub mod docker;
pub mod equiv;
pub mod golden;
pub mod kernel_child;
pub mod kernel_report;
pub mod libseccomp;
pub mod metrics;
pub mod policies;
pub mod report;
// seccompiler builds for x86_64, aarch64 and riscv64 hosts only; elsewhere its
// peer is not run (the benches say so).
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
))]
pub mod seccompiler_peer;
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64"
)))]
#[path = "seccompiler_absent.rs"]
pub mod seccompiler_peer;
pub mod seccompy_peer;
pub mod spec;
