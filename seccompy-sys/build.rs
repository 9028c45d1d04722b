//! Which syscall tables (`src/syscalls/`) the crate compiles: the host's ABI
//! family always, every other table only with its feature.
//!
//! For each table compiled in, sets `cfg(seccompy_table = "<table>")`. A table's
//! feature is `abi-` and the name of the first ABI that uses it (`abi-arm` for
//! arm and armeb, `abi-mips` for the o32 table); `all-abis` enables them all
//! (Cargo.toml). `Abi::table_feature` names the same features, and the crate's
//! tests check that `all-abis` compiles every table in. The host's family is every ABI a kernel of
//! the target's architecture runs: its native ABI and its compat ones (x86_64
//! runs x32 and i386 programs, aarch64 runs arm ones, ...). A target whose
//! architecture seccomp does not know (thumbv7em-none-eabi is `arm` and does)
//! gets only the tables of the features it enables.

use std::env;

/// Every table, named as its module in `src/syscalls/`, and its feature.
const TABLES: &[(&str, &str)] = &[
    ("aarch64", "abi-aarch64"),
    ("alpha", "abi-alpha"),
    ("arc", "abi-arc"),
    ("arm", "abi-arm"),
    ("i386", "abi-i386"),
    ("loongarch32", "abi-loongarch32"),
    ("loongarch64", "abi-loongarch64"),
    ("m68k", "abi-m68k"),
    ("mips_n32", "abi-mips64n32"),
    ("mips_n64", "abi-mips64"),
    ("mips_o32", "abi-mips"),
    ("parisc", "abi-parisc"),
    ("parisc64", "abi-parisc64"),
    ("ppc", "abi-ppc"),
    ("ppc64", "abi-ppc64"),
    ("riscv32", "abi-riscv32"),
    ("riscv64", "abi-riscv64"),
    ("s390x", "abi-s390x"),
    ("sh", "abi-sh"),
    ("sparc", "abi-sparc"),
    ("sparc64", "abi-sparc64"),
    ("x32", "abi-x32"),
    ("x86_64", "abi-x86_64"),
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
    let values: Vec<String> = TABLES.iter().map(|t| format!("\"{}\"", t.0)).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(seccompy_table, values({}))",
        values.join(", ")
    );
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let family = host_family(&arch);
    for (table, feature) in TABLES {
        let var = format!(
            "CARGO_FEATURE_{}",
            feature.to_ascii_uppercase().replace('-', "_")
        );
        if family.contains(table) || env::var_os(var).is_some() {
            println!("cargo::rustc-cfg=seccompy_table=\"{table}\"");
        }
    }
}
