//! Golden disassembly of hand-built programs.
//!
//! Each case builds a program with the label [`Assembler`], checks what it does
//! with the emulator, compares its disassembly with `tests/golden/NAME.txt`, and
//! assembles that text back into the same instructions. Set `UPDATE_GOLDEN=1` to
//! rewrite the files after a deliberate change of the output (then review them).

use std::path::PathBuf;

use seccompy_bpf::asm::{ShowError, assemble};
use seccompy_bpf::disasm::disassemble;
use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::{Action, Assembler, Insn, validate};
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

const LD_ABS: u16 = BPF_LD | BPF_W | BPF_ABS;
const JEQ: u16 = BPF_JMP | BPF_JEQ | BPF_K;
const JGE: u16 = BPF_JMP | BPF_JGE | BPF_K;
const JSET: u16 = BPF_JMP | BPF_JSET | BPF_K;
const RET: u16 = BPF_RET | BPF_K;

fn nr(abi: Abi, name: &str) -> u32 {
    abi.syscall_nr(name)
        .unwrap_or_else(|| panic!("{name} on {abi}"))
}

fn check_golden(name: &str, prog: &[Insn], abi: Abi) {
    validate(prog).expect("golden programs are valid");
    let text = disassemble(prog, abi);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let golden = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(text, golden, "disassembly of {name} changed");
    let back = assemble(&golden).unwrap_or_else(|e| {
        panic!(
            "{}",
            ShowError {
                text: &golden,
                error: &e
            }
        )
    });
    assert_eq!(back.insns(), prog, "{name}: the golden text assembles back");
}

fn data(abi: Abi, nr: u32, args: [u64; 6]) -> seccomp_data {
    seccomp_data {
        nr: nr as i32,
        arch: abi.audit_arch(),
        instruction_pointer: 0x7f00_0000_1000,
        args,
    }
}

fn action(prog: &[Insn], abi: Abi, d: &seccomp_data) -> Action {
    let out = emulate_for(prog, d, ByteOrder::of(abi)).unwrap();
    Action::from_raw(out.ret).unwrap()
}

/// x86_64 allow-list: kill other arches and x32 calls, allow a few syscalls,
/// `openat` only without `O_WRONLY | O_RDWR`, `ERRNO(EPERM)` for the rest.
fn x86_64_allow_list() -> Vec<Insn> {
    let abi = Abi::X86_64;
    let mut a = Assembler::new();
    let (kill, allow, eperm, openat) = (a.label(), a.label(), a.label(), a.label());
    let check_nr = a.label();
    a.stmt(LD_ABS, 4);
    a.jump(JEQ, AUDIT_ARCH_X86_64, check_nr, kill);
    a.bind(check_nr);
    a.stmt(LD_ABS, 0);
    let not_x32 = a.label();
    a.jump(JGE, X32_SYSCALL_BIT, kill, not_x32);
    a.bind(not_x32);
    for name in ["read", "write", "close", "exit_group", "rt_sigreturn"] {
        let next = a.label();
        a.jump(JEQ, nr(abi, name), allow, next);
        a.bind(next);
    }
    a.jump(JEQ, nr(abi, "openat"), openat, eperm);
    a.bind(openat);
    a.stmt(LD_ABS, ByteOrder::of(abi).arg_low_offset(2));
    a.jump(JSET, 3, eperm, allow); // O_WRONLY | O_RDWR
    a.bind(allow);
    a.stmt(RET, SECCOMP_RET_ALLOW);
    a.bind(eperm);
    a.stmt(RET, Action::Errno(1).to_raw());
    a.bind(kill);
    a.stmt(RET, SECCOMP_RET_KILL_PROCESS);
    a.finish().unwrap().into_insns()
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn x86_64_allow_list_with_x32_guard() {
    let abi = Abi::X86_64;
    let p = x86_64_allow_list();
    let call =
        |name: &str, flags: u64| action(&p, abi, &data(abi, nr(abi, name), [3, 0, flags, 0, 0, 0]));
    assert_eq!(call("read", 0), Action::Allow);
    assert_eq!(call("openat", 0), Action::Allow);
    assert_eq!(call("openat", 2), Action::Errno(1));
    assert_eq!(call("mmap", 0), Action::Errno(1));
    let x32_read = data(abi, nr(Abi::X32, "read"), [0; 6]);
    assert_eq!(action(&p, abi, &x32_read), Action::KillProcess);
    let i386 = data(Abi::I386, 3, [0; 6]);
    assert_eq!(action(&p, abi, &i386), Action::KillProcess);
    check_golden("x86_64_allow_list", &p, abi);
}

/// Both words of a 64-bit argument: `mmap` is allowed only when `prot`
/// (`args[2]`) has no bit but `PROT_READ | PROT_WRITE`, i.e. the high word is 0
/// and the low word has no bit of `!3`. Built for one ABI's byte order.
fn mmap_prot_check(abi: Abi) -> Vec<Insn> {
    let order = ByteOrder::of(abi);
    let mut a = Assembler::new();
    let (kill, allow, deny, is_mmap, hi_ok) =
        (a.label(), a.label(), a.label(), a.label(), a.label());
    let arch_ok = a.label();
    a.stmt(LD_ABS, 4);
    a.jump(JEQ, abi.audit_arch(), arch_ok, kill);
    a.bind(arch_ok);
    a.stmt(LD_ABS, 0);
    a.jump(JEQ, nr(abi, "mmap"), is_mmap, allow);
    a.bind(is_mmap);
    a.stmt(LD_ABS, order.arg_high_offset(2));
    a.jump(JEQ, 0, hi_ok, deny);
    a.bind(hi_ok);
    a.stmt(LD_ABS, order.arg_low_offset(2));
    a.jump(JSET, !3, deny, allow);
    a.bind(allow);
    a.stmt(RET, SECCOMP_RET_ALLOW);
    a.bind(deny);
    a.stmt(RET, Action::Errno(13).to_raw());
    a.bind(kill);
    a.stmt(RET, SECCOMP_RET_KILL_PROCESS);
    a.finish().unwrap().into_insns()
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn argument_checked_on_both_words() {
    for (abi, name) in [
        (Abi::X86_64, "mmap_prot_x86_64"),
        (Abi::S390x, "mmap_prot_s390x"),
    ] {
        let p = mmap_prot_check(abi);
        let mmap = |prot: u64| {
            action(
                &p,
                abi,
                &data(abi, nr(abi, "mmap"), [0, 4096, prot, 0, 0, 0]),
            )
        };
        assert_eq!(mmap(1), Action::Allow, "{abi}");
        assert_eq!(mmap(3), Action::Allow, "{abi}");
        assert_eq!(mmap(4), Action::Errno(13), "{abi}");
        assert_eq!(mmap(1 << 32 | 1), Action::Errno(13), "{abi}");
        check_golden(name, &p, abi);
    }
    // The two byte orders load different offsets for the same words.
    assert_ne!(mmap_prot_check(Abi::X86_64), mmap_prot_check(Abi::S390x));
}

/// One filter for x86_64 and its i386 compat ABI: the same syscall names have
/// different numbers under each arch, and the disassembly says which.
fn two_arches() -> Vec<Insn> {
    let mut a = Assembler::new();
    let (native, compat, allow, trap, kill) =
        (a.label(), a.label(), a.label(), a.label(), a.label());
    a.stmt(LD_ABS, 4);
    let not_native = a.label();
    a.jump(JEQ, AUDIT_ARCH_X86_64, native, not_native);
    a.bind(not_native);
    a.jump(JEQ, AUDIT_ARCH_I386, compat, kill);
    a.bind(native);
    a.stmt(LD_ABS, 0);
    for name in ["write", "exit_group"] {
        let next = a.label();
        a.jump(JEQ, nr(Abi::X86_64, name), allow, next);
        a.bind(next);
    }
    a.ja(trap);
    a.bind(compat);
    a.stmt(LD_ABS, 0);
    for name in ["write", "exit_group"] {
        let next = a.label();
        a.jump(JEQ, nr(Abi::I386, name), allow, next);
        a.bind(next);
    }
    a.bind(trap);
    a.stmt(RET, Action::Trap(7).to_raw());
    a.bind(allow);
    a.stmt(RET, SECCOMP_RET_ALLOW);
    a.bind(kill);
    a.stmt(RET, SECCOMP_RET_KILL_PROCESS);
    a.finish().unwrap().into_insns()
}

#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn native_and_compat_arches() {
    let p = two_arches();
    for abi in [Abi::X86_64, Abi::I386] {
        assert_eq!(
            action(&p, abi, &data(abi, nr(abi, "write"), [0; 6])),
            Action::Allow
        );
        assert_eq!(
            action(&p, abi, &data(abi, nr(abi, "read"), [0; 6])),
            Action::Trap(7)
        );
    }
    let arm = data(Abi::Arm, 4, [0; 6]);
    assert_eq!(action(&p, Abi::Arm, &arm), Action::KillProcess);
    check_golden("x86_64_and_i386", &p, Abi::X86_64);
}
