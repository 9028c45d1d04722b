//! The policy compiler on random policies built from the input: compiling never
//! panics, a compiled program passes validate(), and the emulator, in the byte
//! order of the call's ABI, decides a few calls derived from the input exactly
//! as Policy::evaluate does.
#![no_main]

mod bytes;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::policy::{Cmp, Condition, Policy, Rule, Syscall, Width};
use seccompy_bpf::{Action, validate};
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

fn action(b: &mut Bytes<'_>) -> Action {
    // Errno data past 4095 now and then, which compile must refuse.
    let data = if b.u8() < 250 {
        u16::from(b.u8() % 8) + 1
    } else {
        b.u32() as u16
    };
    match b.u8() % 8 {
        0 => Action::KillProcess,
        1 => Action::KillThread,
        2 => Action::Trap(data),
        3 => Action::Errno(data),
        4 => Action::UserNotif,
        5 => Action::Trace(data),
        6 => Action::Log,
        _ => Action::Allow,
    }
}

fn syscall(b: &mut Bytes<'_>, abis: &[Abi]) -> Syscall {
    let abi = *b.pick(abis);
    let table = abi.syscalls();
    let near = |b: &mut Bytes<'_>| {
        if table.is_empty() || b.u8() < 64 {
            b.u32()
        } else {
            b.pick(table)
                .0
                .wrapping_add(u32::from(b.u8() % 3))
                .wrapping_sub(1)
        }
    };
    match b.u8() % 8 {
        0..=3 if !table.is_empty() => Syscall::from(b.pick(table).1),
        4 => Syscall::Name("no_such_syscall".into()),
        5 => {
            let first = near(b);
            let last = if b.u8() < 128 { near(b) } else { u32::MAX };
            Syscall::Range { first, last }
        }
        _ => Syscall::Nr(near(b)),
    }
}

fn condition(b: &mut Bytes<'_>) -> Condition {
    // Index 6 now and then, which compile must refuse.
    let index = if b.u8() < 250 { b.u8() % 6 } else { 6 };
    let width = if b.u8() & 1 == 0 {
        Width::U64
    } else {
        Width::Low32
    };
    let v = b.constant();
    let cmp = match b.u8() % 8 {
        0 => Cmp::Eq(v),
        1 => Cmp::Ne(v),
        2 => Cmp::Lt(v),
        3 => Cmp::Le(v),
        4 => Cmp::Gt(v),
        5 => Cmp::Ge(v),
        6 => {
            let mask = b.constant();
            Cmp::MaskedEq {
                mask,
                value: if b.u8() < 200 { v & mask } else { v },
            }
        }
        _ => Cmp::BitsWithin(v),
    };
    Condition::new(index, width, cmp)
}

fn policy(b: &mut Bytes<'_>) -> Policy {
    let mut p = Policy::new(action(b)).bad_arch_action(action(b));
    for _ in 0..1 + b.below(3) {
        p = p.abi(*b.pick(Abi::ALL));
    }
    let abis = p.abi_list().to_vec();
    for _ in 0..b.below(24) {
        let mut rule = Rule::new(syscall(b, &abis), action(b));
        for _ in 0..[0, 0, 0, 1, 1, 2, 3][b.below(7)] {
            rule = rule.when(condition(b));
        }
        for _ in 0..[0, 0, 0, 1, 2][b.below(5)] {
            let abi = if b.u8() < 230 {
                *b.pick(&abis)
            } else {
                *b.pick(Abi::ALL)
            };
            rule = rule.only_on(abi);
        }
        p = p.rule(rule);
    }
    if b.u8() < 32 {
        let hot: Vec<Syscall> = (0..b.below(4)).map(|_| syscall(b, &abis)).collect();
        p = p.hot_syscalls(hot);
    }
    p
}

/// A call derived from the input: an arch of the policy (or another), a number
/// one of the rules is about (or any), arguments near the rules' constants.
fn call(b: &mut Bytes<'_>, p: &Policy) -> (seccomp_data, ByteOrder) {
    let abi = if b.u8() < 230 {
        *b.pick(p.abi_list())
    } else {
        *b.pick(Abi::ALL)
    };
    let arch = if b.u8() < 250 {
        abi.audit_arch()
    } else {
        b.u32()
    };
    let rules = p.rule_list();
    let nr = if rules.is_empty() || b.u8() < 40 {
        b.u32()
    } else {
        match b.pick(rules).syscall() {
            Syscall::Range { first, last } => {
                [*first, *last, first.wrapping_sub(1), last.wrapping_add(1)][b.below(4)]
            }
            s => s.nr_on(abi).unwrap_or_else(|| b.u32()),
        }
    };
    let mut args = [0u64; 6];
    for a in &mut args {
        *a = match b.u8() % 4 {
            0 => 0,
            1 => b.constant(),
            _ => {
                let c = rules
                    .get(b.below(rules.len().max(1)))
                    .and_then(|r| r.conditions().first())
                    .map_or(0, |c| match c.cmp() {
                        Cmp::Eq(v)
                        | Cmp::Ne(v)
                        | Cmp::Lt(v)
                        | Cmp::Le(v)
                        | Cmp::Gt(v)
                        | Cmp::Ge(v) => v,
                        Cmp::MaskedEq { value, .. } => value,
                        Cmp::BitsWithin(m) => m,
                    });
                let high = if b.u8() & 1 == 0 {
                    0
                } else {
                    0xffff_ffff_0000_0000
                };
                c.wrapping_add(u64::from(b.u8() % 3)).wrapping_sub(1) ^ high
            }
        };
    }
    let data = seccomp_data {
        nr: nr as i32,
        arch,
        instruction_pointer: b.u64(),
        args,
    };
    // The byte order of the ABI the arch belongs to (the program reads the
    // arguments as that ABI lays them out).
    let order = Abi::ALL
        .iter()
        .find(|a| a.audit_arch() == arch)
        .map_or(ByteOrder::Little, |&a| ByteOrder::of(a));
    (data, order)
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let p = policy(&mut b);
    let Ok(prog) = p.compile() else {
        return;
    };
    if let Err(e) = validate(prog.insns()) {
        panic!("compiled program fails validate: {e}\n{p:#?}");
    }
    for _ in 0..4 {
        let (d, order) = call(&mut b, &p);
        let out = emulate_for(prog.insns(), &d, order).expect("a valid program runs");
        let want = p.evaluate(&d);
        assert_eq!(out.ret, want.to_raw(), "{d:x?} wants {want}\n{p:#?}");
        if b.is_empty() {
            break;
        }
    }
});
