//! Which syscall tables (`src/syscalls/`) the crate compiles: the host's ABI
//! family always, every other table only with its feature.
//!
//! For each table compiled in, sets `cfg(seccompy_table = "<table>")`. A table's
//! feature is `abi-<table>` with `_` written `-` (`abi-mips-o32`); `all-abis`
//! enables them all (Cargo.toml). The host's family is every ABI a kernel of
//! the target's architecture runs: its native ABI and its compat ones (x86_64
//! runs x32 and i386 programs, aarch64 runs arm ones, ...). A target whose
//! architecture seccomp does not know (thumbv7em-none-eabi is `arm` and does)
//! gets only the tables of the features it enables.

use std::env;

/// Every table, named as its module in `src/syscalls/`.
const TABLES: &[&str] = &[
    "aarch64",
    "alpha",
    "arc",
    "arm",
    "i386",
    "loongarch32",
    "loongarch64",
    "m68k",
    "mips_n32",
    "mips_n64",
    "mips_o32",
    "parisc",
    "parisc64",
    "ppc",
    "ppc64",
    "riscv32",
    "riscv64",
    "s390x",
    "sh",
    "sparc",
    "sparc64",
    "x32",
    "x86_64",
];

/// The tables of the ABIs a kernel for `target_arch` runs.
fn host_family(target_arch: &str) -> &'static [&'static str] {
    match target_arch {
        "x86_64" | "x86" => &["x86_64", "x32", "i386"],
        "aarch64" | "arm64ec" => &["aarch64", "arm"],
        "arm" => &["arm"],
        "riscv64" => &["riscv64", "riscv32"],
        "riscv32" => &["riscv32"],
        "loongarch64" => &["loongarch64"],
        "loongarch32" => &["loongarch32"],
        "s390x" => &["s390x"],
        "powerpc64" => &["ppc64", "ppc"],
        "powerpc" => &["ppc"],
        "mips64" | "mips64r6" => &["mips_n64", "mips_n32", "mips_o32"],
        "mips" | "mips32r6" => &["mips_o32"],
        "sparc64" => &["sparc64", "sparc"],
        "sparc" => &["sparc"],
        "m68k" => &["m68k"],
        _ => &[],
    }
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let values: Vec<String> = TABLES.iter().map(|t| format!("\"{t}\"")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(seccompy_table, values({}))",
        values.join(", ")
    );
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let family = host_family(&arch);
    for table in TABLES {
        let feature = format!("CARGO_FEATURE_ABI_{}", table.to_ascii_uppercase());
        if family.contains(table) || env::var_os(feature).is_some() {
            println!("cargo::rustc-cfg=seccompy_table=\"{table}\"");
        }
    }
}
