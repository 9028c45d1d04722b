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
pub mod seccompiler_peer;
pub mod seccompy_peer;
pub mod spec;
