//! A build with the host's ABI family alone (`cargo test -p seccompy-sys -p
//! seccompy-bpf`, without `all-abis`): what needs another ABI's syscall table
//! is a typed error naming the feature, never a panic or a program built
//! without the table. Alpha's table is in no host's family, so these tests run
//! whenever `abi-alpha` is off (`cargo test --workspace` turns it on: the CLI
//! needs every ABI).
#![cfg(not(feature = "abi-alpha"))]

use seccompy_bpf::asm::{AsmOptions, ParseErrorKind, assemble_with};
use seccompy_bpf::{
    Action, ByteOrder, CompileError, Policy, Syscall, assemble, disassemble, emulate_for,
};
use seccompy_sys::seccomp_data;
use seccompy_sys::syscalls::Abi;

fn missing(err: CompileError) -> Abi {
    match err {
        CompileError::MissingTable(m) => {
            assert_eq!(m.feature(), m.abi().table_feature());
            m.abi()
        }
        other => panic!("not MissingTable: {other}"),
    }
}

/// A policy with an ABI whose table is missing does not compile, whether its
/// rules name syscalls or give numbers, and whichever ABI comes first.
#[test]
fn a_policy_needs_the_tables_of_its_abis() {
    let named = Policy::new(Action::Errno(1))
        .abi(Abi::X86_64)
        .abi(Abi::Alpha)
        .syscalls(["read"], Action::Allow);
    let err = named.compile().unwrap_err();
    assert_eq!(
        err.to_string(),
        "the syscall table of alpha is not compiled in: enable the feature abi-alpha (or all-abis)"
    );
    assert_eq!(missing(err), Abi::Alpha);

    let numbered = Policy::new(Action::Errno(1))
        .abi(Abi::Alpha)
        .abi(Abi::X86_64)
        .syscalls([Syscall::Nr(3)], Action::Allow);
    assert_eq!(missing(numbered.compile().unwrap_err()), Abi::Alpha);
}

/// The host's family compiles and decides as usual without the other tables.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_host_family_compiles() {
    let policy = Policy::new(Action::Errno(1))
        .abi(Abi::X86_64)
        .abi(Abi::I386)
        .abi(Abi::X32)
        .syscalls(["read", "write"], Action::Allow);
    let program = policy.compile().unwrap();
    for (abi, name, want) in [
        (Abi::X86_64, "read", Action::Allow),
        (Abi::I386, "write", Action::Allow),
        (Abi::X32, "read", Action::Allow),
        (Abi::X86_64, "openat", Action::Errno(1)),
    ] {
        let call = seccomp_data {
            nr: abi.syscall_nr(name).unwrap() as i32,
            arch: abi.audit_arch(),
            ..seccomp_data::default()
        };
        let out = emulate_for(program.insns(), &call, ByteOrder::Little).unwrap();
        assert_eq!(Action::from_raw(out.ret), Some(want), "{name} on {abi}");
        assert_eq!(policy.evaluate(&call), want, "{name} on {abi}");
    }
}

/// The text assembler: a syscall name of a missing table is a typed error at
/// its place; numbers need no table; the disassembly of a program for such an
/// ABI shows numbers and reads back to the same program.
#[test]
fn text_names_need_the_table() {
    let err = assemble(".abi alpha\nA = read").unwrap_err();
    assert_eq!((err.line, err.column), (2, 5));
    let ParseErrorKind::MissingTable(m) = err.kind else {
        panic!("{err}");
    };
    assert_eq!((m.abi(), m.feature()), (Abi::Alpha, "abi-alpha"));

    let options = AsmOptions {
        abi: Some(Abi::X86_64),
    };
    let err = assemble_with("A = read@alpha", &options).unwrap_err();
    assert!(
        matches!(err.kind, ParseErrorKind::MissingTable(m) if m.abi() == Abi::Alpha),
        "{err}"
    );

    let program =
        assemble(".abi alpha\nA = nr\nif A == 3 goto allow\nreturn KILL\nallow:\nreturn ALLOW")
            .unwrap();
    let text = disassemble(program.insns(), Abi::Alpha);
    assert!(!text.contains("read"), "{text}");
    assert_eq!(assemble(&text).unwrap().insns(), program.insns(), "{text}");
}
