//! The text assembler on arbitrary text: no panic, and whatever assembles
//! disassembles into text that assembles back to the same program.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seccompy_bpf::asm::assemble;
use seccompy_bpf::disasm::disassemble;
use seccompy_sys::syscalls::Abi;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    if let Ok(prog) = assemble(text) {
        let abi = Abi::ALL[sel as usize % Abi::ALL.len()];
        let again = disassemble(prog.insns(), abi);
        let back = assemble(&again).expect("disassembly assembles");
        assert_eq!(back, prog, "{again}");
    }
});
