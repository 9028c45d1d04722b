//! Differential test of the policy compiler: random policies are compiled, and
//! the emulated program must decide every random or boundary `seccomp_data`
//! exactly as `Policy::evaluate` does (in the byte order of the call's ABI).
//!
//! The normal run checks well over 100 000 cases; `SECCOMPY_LONG_TESTS=1` runs
//! fifty times more. `SECCOMPY_SEED=<n>` changes the seed.

use seccompy_bpf::cache::is_const_allow;
use seccompy_bpf::{
    Action, Arg, Arg32, ByteOrder, Cmp, CompileError, Condition, Policy, Program, Rule, Syscall,
    Width, emulate_for, validate,
};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::{AUDIT_ARCHES, X32_SYSCALL_BIT, seccomp_data};

use seccompy_testing::Rng;

const ABI_SETS: &[&[Abi]] = &[
    &[Abi::X86_64, Abi::I386, Abi::X32],
    &[Abi::X86_64],
    &[Abi::X32, Abi::X86_64],
    &[Abi::X32],
    &[Abi::I386, Abi::X86_64],
    &[Abi::S390x],
    &[Abi::Ppc64, Abi::Ppc],
    &[Abi::Ppc64le],
    &[Abi::Aarch64, Abi::Arm],
    &[Abi::Armeb],
    &[Abi::Mips64, Abi::Mips, Abi::Mips64n32],
    &[Abi::Mipsel64n32, Abi::Mipsel],
    &[Abi::Riscv64, Abi::Riscv32],
    &[Abi::Sparc64, Abi::Sparc],
    &[Abi::M68k],
    &[Abi::Parisc64, Abi::Parisc],
    &[Abi::X86_64, Abi::Aarch64, Abi::S390x],
];

fn action(r: &mut Rng) -> Action {
    match r.below(8) {
        0 => Action::KillProcess,
        1 => Action::KillThread,
        2 => Action::Trap(r.below(4) as u16),
        3 => Action::Errno(1 + r.below(4) as u16),
        4 => Action::UserNotif,
        5 => Action::Trace(r.next() as u16),
        6 => Action::Log,
        _ => Action::Allow,
    }
}

fn constant(r: &mut Rng) -> u64 {
    match r.below(10) {
        0 => r.below(64),
        1 => 0xffff_ffff,
        2 => 1 << 32,
        3 => u64::MAX - r.below(2),
        4 => r.next(),
        5 => r.next() & 0xffff_ffff,
        6 => 1 << r.below(64),
        7 => 0x8000_0000 + r.below(2),
        8 => (r.next() & 0xff) << 32 | r.below(64),
        _ => r.next() & 0x0f0f_00ff_0000_f0f0,
    }
}

struct Case {
    policy: Policy,
    /// Syscalls the rules use.
    pool: Vec<Syscall>,
    /// Constants the conditions use.
    consts: Vec<u64>,
}

fn syscall(r: &mut Rng, abis: &[Abi]) -> Syscall {
    let abi = *r.pick_ref(abis);
    let table = abi.syscalls();
    if r.chance(65) && !table.is_empty() {
        Syscall::from(r.pick_ref(table).1)
    } else if r.chance(15) {
        // A range, often from a known number to beyond the table's end.
        let first = match r.below(3) {
            0 if !table.is_empty() => r.pick_ref(table).0,
            1 => X32_SYSCALL_BIT + r.below(600) as u32,
            _ => r.below(1100) as u32,
        };
        let last = match r.below(4) {
            0 => first,
            1 => u32::MAX - r.below(2) as u32,
            2 => first | 0x3fff_ffff,
            _ => first.saturating_add(r.below(40) as u32),
        };
        Syscall::Range { first, last }
    } else {
        Syscall::Nr(match r.below(6) {
            0 if !table.is_empty() => r.pick_ref(table).0,
            1 => X32_SYSCALL_BIT + r.below(600) as u32,
            2 => u32::MAX - r.below(3) as u32,
            3 => r.next() as u32,
            _ => r.below(1100) as u32,
        })
    }
}

fn condition(r: &mut Rng, consts: &[u64]) -> Condition {
    let index = if r.chance(85) { r.below(3) } else { r.below(6) } as u8;
    let width = if r.chance(60) {
        Width::U64
    } else {
        Width::Low32
    };
    let c = *r.pick_ref(consts);
    let cmp = match r.below(8) {
        0 => Cmp::Eq(c),
        1 => Cmp::Ne(c),
        2 => Cmp::Lt(c),
        3 => Cmp::Le(c),
        4 => Cmp::Gt(c),
        5 => Cmp::Ge(c),
        6 => {
            let mask = if r.chance(50) {
                *r.pick_ref(consts)
            } else {
                constant(r)
            };
            let value = if r.chance(70) { c & mask } else { c };
            Cmp::MaskedEq { mask, value }
        }
        _ => Cmp::BitsWithin(c),
    };
    // Also go through the builders now and then.
    if r.chance(20) {
        let v = c as u32;
        return match (width, r.below(4)) {
            (Width::U64, 0) => Arg(index).eq(c),
            (Width::U64, 1) => Arg(index).bits_within(c),
            (_, 2) => Arg32(index).masked_eq(v, v & 0xf0f0),
            _ => Arg(index).low32().gt(v),
        };
    }
    Condition::new(index, width, cmp)
}

fn random_case(r: &mut Rng) -> Case {
    let abis = *r.pick_ref(ABI_SETS);
    let mut policy = Policy::new(action(r)).abis(abis);
    if r.chance(70) {
        policy = policy.bad_arch_action(action(r));
    }
    let pool: Vec<Syscall> = (0..1 + r.below(8)).map(|_| syscall(r, abis)).collect();
    let consts: Vec<u64> = (0..3 + r.below(6)).map(|_| constant(r)).collect();
    for _ in 0..r.below(18) {
        let mut rule = Rule::new(r.pick_ref(&pool).clone(), action(r));
        if r.chance(20) {
            // Restricted to an ABI that knows the name (a name unknown on every
            // ABI a rule applies to is an error), or to any ABI at all.
            let abi = if r.chance(80) {
                *r.pick_ref(abis)
            } else {
                *r.pick_ref(Abi::ALL)
            };
            let known = match rule.syscall() {
                Syscall::Name(n) => abi.syscall_nr(n).is_some() || !abis.contains(&abi),
                _ => true,
            };
            if known {
                rule = rule.only_on(abi);
            }
        }
        if r.chance(70) {
            for _ in 0..1 + r.below(3) {
                rule = rule.when(condition(r, &consts));
            }
        }
        policy = policy.rule(rule);
    }
    if r.chance(25) {
        let hot: Vec<Syscall> = (0..1 + r.below(3))
            .map(|_| r.pick_ref(&pool).clone())
            .collect();
        policy = policy.hot_syscalls(hot);
    }
    Case {
        policy,
        pool,
        consts,
    }
}

fn arg_value(r: &mut Rng, consts: &[u64]) -> u64 {
    match r.below(10) {
        0..=4 => {
            let c = *r.pick_ref(consts);
            match r.below(8) {
                0 => c.wrapping_add(1),
                1 => c.wrapping_sub(1),
                2 => c ^ (1 << 32),
                3 => (c & 0xffff_ffff) | (r.next() << 32),
                4 => c & 0xffff_ffff,
                5 => c | 0xffff_ffff_0000_0000,
                6 => (c & !0xffff_ffff) | (r.next() & 0xffff_ffff),
                _ => c,
            }
        }
        5 | 6 => 0,
        7 => r.next() & 0xffff,
        _ => r.next(),
    }
}

fn random_data(r: &mut Rng, case: &Case) -> (seccomp_data, ByteOrder) {
    let abis = case.policy.abi_list();
    let abi = *r.pick_ref(abis);
    let arch = match r.below(10) {
        0 => r.pick_ref(AUDIT_ARCHES).1,
        1 => r.next() as u32,
        _ => abi.audit_arch(),
    };
    let named = match r.pick_ref(&case.pool) {
        Syscall::Range { first, last } => Some(if r.chance(50) { *first } else { *last }),
        s => s.nr_on(abi),
    };
    let nr = match (r.below(10), named) {
        (0..=5, Some(nr)) => nr,
        (6, Some(nr)) => nr.wrapping_add(1),
        (7, Some(nr)) => nr.wrapping_sub(1) ^ (r.below(2) as u32 * X32_SYSCALL_BIT),
        (8, _) => *r.pick_ref(&[
            u32::MAX,
            u32::MAX - 1,
            1 << 31,
            X32_SYSCALL_BIT,
            X32_SYSCALL_BIT - 1,
        ]),
        _ => {
            if r.chance(50) {
                r.below(1100) as u32 | (r.below(2) as u32 * X32_SYSCALL_BIT)
            } else {
                r.next() as u32
            }
        }
    };
    let mut args = [0u64; 6];
    for a in &mut args {
        *a = arg_value(r, &case.consts);
    }
    let order = Abi::ALL
        .iter()
        .find(|a| a.audit_arch() == arch && abis.contains(a))
        .map_or(ByteOrder::Little, |&a| ByteOrder::of(a));
    let data = seccomp_data {
        nr: nr as i32,
        arch,
        instruction_pointer: r.next(),
        args,
    };
    (data, order)
}

/// Runs `policies` random policies with `per_policy` inputs each; returns the
/// number of inputs checked.
fn run(seed: u64, policies: usize, per_policy: usize) -> usize {
    let mut r = Rng(seed);
    let mut checked = 0;
    for p in 0..policies {
        let case = random_case(&mut r);
        let prog: Program = match case.policy.compile() {
            Ok(prog) => prog,
            Err(e) => panic!("policy {p} (seed {seed}): {e}\n{:?}", case.policy),
        };
        if let Err(e) = validate(prog.insns()) {
            panic!(
                "policy {p} (seed {seed}): invalid program: {e}\n{:?}",
                case.policy
            );
        }
        check_cacheable(&case.policy, &prog);
        for _ in 0..per_policy {
            let (data, order) = random_data(&mut r, &case);
            let got = emulate_for(prog.insns(), &data, order)
                .unwrap_or_else(|e| panic!("policy {p}: emulation failed: {e}"))
                .ret;
            let want = case.policy.evaluate(&data).to_raw();
            assert_eq!(
                got, want,
                "policy {p} (seed {seed}) decides {want:#x} but the program returns {got:#x}\n\
                 data: nr {:#x} arch {:#x} args {:x?}\npolicy: {:#?}",
                data.nr as u32, data.arch, data.args, case.policy
            );
            checked += 1;
        }
    }
    checked
}

/// Every syscall that the policy allows whatever its arguments, by rules
/// without conditions, must be decided on the number and arch alone, so that
/// the kernel caches it (`seccomp_is_const_allow`).
fn check_cacheable(policy: &Policy, prog: &Program) {
    for &abi in policy.abi_list() {
        let mut nrs: Vec<u32> = policy
            .rule_list()
            .iter()
            .filter_map(|r| r.syscall().nr_on(abi))
            .filter(|&nr| policy.abi_of(abi.audit_arch(), nr) == Some(abi))
            .collect();
        nrs.sort_unstable();
        nrs.dedup();
        for nr in nrs {
            let rules: Vec<&Rule> = policy
                .rule_list()
                .iter()
                .filter(|r| r.applies_to(abi, nr))
                .collect();
            let plain = rules.iter().all(|r| r.conditions().is_empty());
            let allowed = policy.decide(abi, nr, &[0; 6]) == Action::Allow;
            if plain && allowed {
                assert!(
                    is_const_allow(prog.insns(), abi.audit_arch(), nr),
                    "{abi} nr {nr:#x} is allowed without condition but not cacheable\n{policy:?}"
                );
            }
        }
    }
}

fn seed() -> u64 {
    std::env::var("SECCOMPY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5ecc_0b9f)
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn compiled_programs_decide_as_the_policy() {
    let long = std::env::var_os("SECCOMPY_LONG_TESTS").is_some_and(|v| v == "1");
    let policies = if long { 50_000 } else { 1_000 };
    let checked = run(seed(), policies, 120);
    assert!(checked >= 120_000, "{checked}");
}

/// Many inputs per policy on a few large policies, with every ABI set.
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn large_policies_decide_as_the_policy() {
    let mut r = Rng(seed() ^ 0xa5a5);
    for &abis in ABI_SETS {
        let consts: Vec<u64> = (0..8).map(|_| constant(&mut r)).collect();
        let mut policy = Policy::new(action(&mut r)).abis(abis);
        let mut pool = Vec::new();
        for _ in 0..200 {
            let s = syscall(&mut r, abis);
            pool.push(s.clone());
            let mut rule = Rule::new(s, action(&mut r));
            if r.chance(10) {
                rule = rule.when(condition(&mut r, &consts));
            }
            policy = policy.rule(rule);
        }
        let case = Case {
            policy,
            pool,
            consts,
        };
        let prog = case.policy.compile().unwrap();
        validate(prog.insns()).unwrap();
        for _ in 0..2000 {
            let (data, order) = random_data(&mut r, &case);
            let got = emulate_for(prog.insns(), &data, order).unwrap().ret;
            assert_eq!(
                got,
                case.policy.evaluate(&data).to_raw(),
                "{abis:?} {data:?}"
            );
        }
    }
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn errors_are_typed() {
    let p = Policy::new(Action::Allow);
    assert_eq!(p.compile(), Err(CompileError::NoAbi));
    // ERRNO(0) is the kernel's "skip the call, return 0": valid.
    let p = Policy::new(Action::Errno(0)).abi(Abi::X86_64);
    let prog = p.compile().expect("ERRNO(0) compiles");
    let data = seccomp_data {
        nr: 0,
        arch: Abi::X86_64.audit_arch(),
        ..seccomp_data::default()
    };
    let ret = emulate_for(prog.insns(), &data, ByteOrder::Little)
        .unwrap()
        .ret;
    assert_eq!(ret, Action::Errno(0).to_raw());
    assert_eq!(p.evaluate(&data), Action::Errno(0));
    let p = Policy::new(Action::Allow)
        .abi(Abi::X86_64)
        .rule(Rule::new("read", Action::Errno(4096)));
    assert!(matches!(
        p.compile(),
        Err(CompileError::InvalidAction { .. })
    ));
    let p = Policy::new(Action::Allow)
        .abi(Abi::X86_64)
        .bad_arch_action(Action::Errno(9999));
    assert!(matches!(
        p.compile(),
        Err(CompileError::InvalidAction { .. })
    ));
    let p = Policy::new(Action::Allow)
        .abi(Abi::X86_64)
        .rule(Rule::new("read", Action::Log).when(Arg(6).eq(1)));
    assert_eq!(
        p.compile(),
        Err(CompileError::ArgIndex {
            syscall: "read".into(),
            index: 6
        })
    );
    let p = Policy::new(Action::Allow)
        .abis(&[Abi::X86_64, Abi::I386])
        .rule(Rule::new("no_such_call", Action::Log));
    assert_eq!(
        p.compile(),
        Err(CompileError::UnknownSyscall {
            name: "no_such_call".into()
        })
    );
    // Known on the policy's other ABI, but the rule is only for x86_64.
    let p = Policy::new(Action::Allow)
        .abis(&[Abi::X86_64, Abi::I386])
        .rule(Rule::new("socketcall", Action::Log).only_on(Abi::X86_64));
    assert_eq!(
        p.compile(),
        Err(CompileError::UnknownSyscall {
            name: "socketcall".into()
        })
    );
    // Known on one ABI only: fine, skipped on the other.
    let p = Policy::new(Action::Allow)
        .abis(&[Abi::X86_64, Abi::I386])
        .rule(Rule::new("arch_prctl", Action::Log))
        .rule(Rule::new("socketcall", Action::Log));
    assert!(p.compile().is_ok());
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn too_long_is_an_error_never_a_truncation() {
    // Every other number allowed: about one comparison per number.
    let mut p = Policy::new(Action::Errno(1)).abi(Abi::X86_64);
    for nr in (0..9000u32).step_by(2) {
        p = p.rule(Rule::new(nr, Action::Allow));
    }
    match p.compile() {
        Err(CompileError::TooLong { len }) => assert!(len > 4096, "{len}"),
        other => panic!("{other:?}"),
    }
    // Half as many fits.
    let mut p = Policy::new(Action::Errno(1)).abi(Abi::X86_64);
    for nr in (0..4000u32).step_by(2) {
        p = p.rule(Rule::new(nr, Action::Allow));
    }
    let prog = p.compile().unwrap();
    assert!(prog.len() <= 4096);
    validate(prog.insns()).unwrap();
}
