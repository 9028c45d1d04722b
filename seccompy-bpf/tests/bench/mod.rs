//! `cargo xtask bench-bpf`'s policies, from their one home in `xtask/src/bench`:
//! the neutral description, the two spec policies, and the benchmark's
//! translation to a seccompy-bpf `Policy`.

#![allow(dead_code, unreachable_pub)]

#[path = "../../../xtask/src/bench/spec.rs"]
pub mod spec;

#[path = "../../../xtask/src/bench/policies.rs"]
pub mod policies;

#[path = "../../../xtask/src/bench/seccompy_peer.rs"]
pub mod seccompy_peer;
