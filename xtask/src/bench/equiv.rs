//! The decision-equivalence check: the calls ("probes") on which two programs must
//! return the same value, and the comparison itself (through seccompy-bpf's emulator).
//!
//! Probes cover, for x86_64, i386 and the x32 numbers (`0x4000_0000 | n` under
//! `AUDIT_ARCH_X86_64`), every number `n` in `0..1024`: with zero arguments and a
//! few random argument vectors for every number, and with the whole sample set
//! for the numbers a conditional rule of the spec names on that ABI. The sample set
//! is built from the spec's constants: each constant and its neighbours, its
//! high-word and sign variants, vectors that meet each rule's conditions at their
//! boundaries, and random mixes. A few calls of another arch and `nr == -1` are
//! added.

use std::collections::BTreeSet;

use seccompy_bpf::Insn;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::rng::Rng;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCH_AARCH64, X32_SYSCALL_BIT, seccomp_data};

use super::metrics::NRS;
use super::spec::{CmpOp, Spec};

/// One call to decide.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    /// The ABI the call is made in (for the byte order), `None` for a foreign arch.
    pub abi: Option<Abi>,
    /// The call.
    pub data: seccomp_data,
}

/// Values worth comparing an argument with, from the spec's constants.
pub fn sample_values(spec: &Spec) -> Vec<u64> {
    let mut set = BTreeSet::from([
        0,
        1,
        u64::from(u32::MAX),
        1 << 32,
        1 << 31,
        u64::MAX,
        i64::MIN as u64,
    ]);
    for c in spec.constants() {
        for v in [
            c,
            c.wrapping_sub(1),
            c.wrapping_add(1),
            c ^ (1 << 32),
            c & 0xffff_ffff,
            c | 0xffff_ffff_0000_0000,
            !c,
        ] {
            set.insert(v);
        }
    }
    set.into_iter().collect()
}

/// Argument vectors: each sample value in all six arguments, each rule's
/// conditions met at (and just off) their boundaries, and `random` random mixes.
pub fn arg_vectors(spec: &Spec, random: usize, rng: &mut Rng) -> Vec<[u64; 6]> {
    let values = sample_values(spec);
    let mut out: Vec<[u64; 6]> = values.iter().map(|&v| [v; 6]).collect();
    for r in &spec.rules {
        if r.conds.is_empty() {
            continue;
        }
        let mut base = [0u64; 6];
        for c in &r.conds {
            base[usize::from(c.arg)] = match c.op {
                CmpOp::MaskedEq => c.b,
                _ => c.a,
            };
        }
        out.push(base);
        for c in &r.conds {
            let i = usize::from(c.arg);
            for v in [
                base[i].wrapping_sub(1),
                base[i].wrapping_add(1),
                base[i] ^ (1 << 32),
                base[i] | !c.a,
            ] {
                let mut w = base;
                w[i] = v;
                out.push(w);
            }
        }
    }
    for _ in 0..random {
        let mut w = [0u64; 6];
        for a in &mut w {
            *a = if rng.below(4) == 0 {
                rng.next()
            } else {
                values[rng.index(values.len())]
            };
        }
        out.push(w);
    }
    out
}

/// The probes for `spec` (see the module's description).
pub fn probes(spec: &Spec, seed: u64) -> Vec<Probe> {
    let mut rng = Rng::new(seed);
    let full = arg_vectors(spec, 64, &mut rng);
    let few: Vec<[u64; 6]> = std::iter::once([0; 6])
        .chain((0..4).map(|_| std::array::from_fn(|_| rng.next())))
        .collect();
    let mut out = Vec::new();
    for abi in [Abi::X86_64, Abi::I386, Abi::X32] {
        let conditional: BTreeSet<u32> = spec
            .rules
            .iter()
            .filter(|r| !r.conds.is_empty())
            .filter_map(|r| abi.syscall_nr(&r.name))
            .collect();
        let base = if abi == Abi::X32 { X32_SYSCALL_BIT } else { 0 };
        for n in NRS {
            let nr = base | n as u32;
            let vectors = if conditional.contains(&nr) {
                &full
            } else {
                &few
            };
            for args in vectors {
                out.push(Probe {
                    abi: Some(abi),
                    data: seccomp_data {
                        nr: nr as i32,
                        arch: abi.audit_arch(),
                        instruction_pointer: 0,
                        args: *args,
                    },
                });
            }
        }
    }
    for (abi, arch, nr) in [
        (Some(Abi::X86_64), Abi::X86_64.audit_arch(), -1),
        (Some(Abi::I386), Abi::I386.audit_arch(), -1),
        (None, AUDIT_ARCH_AARCH64, 0),
        (None, AUDIT_ARCH_AARCH64, 63),
        (None, 0, 0),
    ] {
        out.push(Probe {
            abi,
            data: seccomp_data {
                nr,
                arch,
                ..seccomp_data::default()
            },
        });
    }
    out
}

/// The value `prog` returns for each probe.
pub fn decide(prog: &[Insn], probes: &[Probe]) -> Result<Vec<u32>, String> {
    probes
        .iter()
        .map(|p| {
            let order = p.abi.map_or(ByteOrder::Little, ByteOrder::of);
            emulate_for(prog, &p.data, order)
                .map(|o| o.ret)
                .map_err(|e| format!("emulating nr {} arch {:#x}: {e}", p.data.nr, p.data.arch))
        })
        .collect()
}

/// A probe on which two programs disagree.
#[derive(Clone, Copy, Debug)]
pub struct Mismatch {
    /// The probe.
    pub probe: Probe,
    /// The first program's value.
    pub left: u32,
    /// The second program's value.
    pub right: u32,
}

/// The probes on which two decision lists (from [`decide`]) differ.
pub fn mismatches(probes: &[Probe], left: &[u32], right: &[u32]) -> Vec<Mismatch> {
    probes
        .iter()
        .zip(left.iter().zip(right))
        .filter(|(_, (l, r))| l != r)
        .map(|(p, (&l, &r))| Mismatch {
            probe: *p,
            left: l,
            right: r,
        })
        .collect()
}

/// The "table gap": the `(ABI, nr)` pairs seccompy's tables give to names that
/// libseccomp does not know at all (`unknown`: runc drops those rules) or not on
/// that ABI (`absent`): a peer with the newer tables decides them differently.
pub fn table_gap(unknown: &[String], absent: &[(Abi, String)]) -> BTreeSet<(Abi, u32)> {
    let mut out = BTreeSet::new();
    for name in unknown {
        for abi in [Abi::X86_64, Abi::I386, Abi::X32] {
            if let Some(nr) = abi.syscall_nr(name) {
                out.insert((abi, nr));
            }
        }
    }
    for (abi, name) in absent {
        if let Some(nr) = abi.syscall_nr(name) {
            out.insert((*abi, nr));
        }
    }
    out
}

/// The `(ABI, nr)` of a probe, when it is a call of one of the three x86 ABIs.
pub fn probe_key(p: &Probe) -> Option<(Abi, u32)> {
    p.abi.map(|a| (a, p.data.nr as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::spec::{Cond, Rule};
    use seccompy_sys::*;

    fn spec() -> Spec {
        Spec {
            abis: vec![Abi::X86_64, Abi::I386],
            default: SECCOMP_RET_ERRNO | 1,
            bad_arch: None,
            rules: vec![
                Rule {
                    action: SECCOMP_RET_ALLOW,
                    name: "personality".into(),
                    conds: vec![Cond::new(0, CmpOp::Eq, 0xffff_ffff)],
                },
                Rule {
                    action: SECCOMP_RET_ALLOW,
                    name: "clone".into(),
                    conds: vec![Cond::masked(0, 0x7e02_0000, 0), Cond::new(2, CmpOp::Gt, 7)],
                },
                Rule {
                    action: SECCOMP_RET_ALLOW,
                    name: "read".into(),
                    conds: vec![],
                },
            ],
        }
    }

    #[test]
    fn samples_straddle_every_constant_and_its_high_word() {
        let v = sample_values(&spec());
        for c in [0xffff_ffffu64, 0x7e02_0000, 7] {
            for want in [c - 1, c, c + 1, c | (1 << 32)] {
                assert!(v.contains(&want), "{want:#x}");
            }
        }
    }

    #[test]
    fn rule_vectors_meet_the_conditions() {
        let mut rng = Rng::new(0);
        let vs = arg_vectors(&spec(), 0, &mut rng);
        // personality(0xffffffff) is there, and so is its high-word variant.
        assert!(vs.contains(&[0xffff_ffff, 0, 0, 0, 0, 0]));
        assert!(vs.contains(&[0x1_ffff_ffff, 0, 0, 0, 0, 0]));
        // clone's two conditions met together.
        assert!(vs.contains(&[0, 0, 7, 0, 0, 0]));
        assert!(vs.contains(&[0, 0, 8, 0, 0, 0]));
    }

    #[test]
    fn probes_cover_three_abis_and_more_args_where_rules_test_them() {
        let ps = probes(&spec(), 7);
        let count = |abi: Abi, nr: u32| {
            ps.iter()
                .filter(|p| p.abi == Some(abi) && p.data.nr as u32 == nr)
                .count()
        };
        let personality = Abi::X86_64.syscall_nr("personality").unwrap();
        let read = Abi::X86_64.syscall_nr("read").unwrap();
        assert!(count(Abi::X86_64, personality) > 20);
        assert_eq!(count(Abi::X86_64, read), 5);
        assert_eq!(count(Abi::X32, X32_SYSCALL_BIT | 1023), 5);
        assert_eq!(count(Abi::I386, 1023), 5);
        assert!(ps.iter().any(|p| p.data.arch == AUDIT_ARCH_AARCH64));
        for p in ps.iter().filter(|p| p.abi == Some(Abi::X32)) {
            assert_eq!(p.data.arch, AUDIT_ARCH_X86_64);
            assert!(p.data.nr as u32 & X32_SYSCALL_BIT != 0);
        }
    }

    #[test]
    fn mismatches_are_found_where_programs_differ() {
        // Allow everything, versus allow only nr 0 (under any arch).
        let all = [bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)];
        let only_read = [
            bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
            bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        ];
        let ps = probes(&spec(), 7);
        let a = decide(&all, &ps).unwrap();
        let b = decide(&only_read, &ps).unwrap();
        let m = mismatches(&ps, &a, &b);
        assert!(m.iter().all(|m| m.probe.data.nr != 0));
        assert_eq!(
            m.len(),
            ps.iter().filter(|p| p.data.nr != 0).count(),
            "every call but nr 0 differs"
        );
        assert!(mismatches(&ps, &a, &a).is_empty());
    }

    #[test]
    fn table_gap_maps_names_to_each_abi_or_to_theirs() {
        let keys = table_gap(
            &["read".into(), "no_such_call".into()],
            &[
                (Abi::X32, "map_shadow_stack".into()),
                (Abi::X32, "chown32".into()),
            ],
        );
        assert!(keys.contains(&(Abi::X86_64, 0)));
        assert!(keys.contains(&(Abi::I386, 3)));
        assert!(keys.contains(&(Abi::X32, X32_SYSCALL_BIT)));
        let shadow = Abi::X32.syscall_nr("map_shadow_stack").unwrap();
        assert!(keys.contains(&(Abi::X32, shadow)));
        // chown32 has no x32 number: nothing to add.
        assert_eq!(keys.len(), 4);
    }
}
