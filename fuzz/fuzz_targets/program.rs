//! Arbitrary instruction bytes: validate, emulate, the cache model and the
//! disassembler never panic, and their results agree with each other:
//! - a program validate() accepts always runs in the emulator;
//! - a syscall the cache model calls "always allowed" is allowed by the emulator;
//! - disassembly assembles back to the same program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccompy_bpf::asm::assemble;
use seccompy_bpf::cache::is_const_allow;
use seccompy_bpf::disasm::disassemble;
use seccompy_bpf::emulate::{ByteOrder, Input, emulate_input};
use seccompy_bpf::{Program, validate};
use seccompy_sys::SECCOMP_RET_ALLOW;
use seccompy_sys::syscalls::Abi;

fuzz_target!(|data: &[u8]| {
    // 64 bytes of seccomp_data, one selector byte, then the program.
    if data.len() < 65 {
        return;
    }
    let (input, rest) = data.split_at(64);
    let (sel, code) = (rest[0], &rest[1..]);
    let code = &code[..code.len() / 8 * 8];
    let prog = Program::from_bytes(code).expect("a multiple of 8 bytes");
    let order = if sel & 1 == 0 {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };
    let input = Input::from_bytes(input.try_into().unwrap(), order);
    let ran = emulate_input(prog.insns(), &input);
    if validate(prog.insns()).is_ok() {
        let out = ran.expect("a valid program runs");
        let nr = input.word(0).unwrap();
        let arch = input.word(4).unwrap();
        if is_const_allow(prog.insns(), arch, nr) {
            assert_eq!(out.ret, SECCOMP_RET_ALLOW);
        }
    }
    let abi = Abi::ALL[(sel >> 1) as usize % Abi::ALL.len()];
    let text = disassemble(prog.insns(), abi);
    assert_eq!(
        assemble(&text).expect("disassembly assembles"),
        prog,
        "{text}"
    );
});
