//! The per-ABI features of the syscall tables: which tables a build has, the
//! features' names, and the error for a table not compiled in.
//!
//! `cargo test --workspace` builds the crate with `all-abis`; the reduced
//! build, the host's family alone, is `cargo test -p seccompy-sys -p seccompy-bpf`
//! (CI runs both).

use std::collections::BTreeSet;

use seccompy_sys::syscalls::Abi;

/// The `[features]` table of a crate's Cargo.toml: `(name, enabled features)`.
fn features(krate: &str) -> Vec<(String, Vec<String>)> {
    let path = format!("{}/../{krate}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let section = text
        .split("\n[features]\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{path}: no [features]"));
    let section = section.split("\n[").next().unwrap();
    // Joins the lines of multi-line arrays.
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in section.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        pending.push_str(line);
        if pending.contains('[') && !pending.contains(']') {
            continue;
        }
        let (name, value) = pending.split_once('=').expect("name = [..]");
        let list = value
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect();
        out.push((name.trim().to_string(), list));
        pending.clear();
    }
    out
}

/// Every table's feature is `abi-` and the name of the first ABI that uses the
/// table, is declared by seccompy-sys, enabled by its `all-abis`, and forwarded
/// by seccompy-bpf and seccompy under the same name.
#[test]
fn every_table_has_its_feature_everywhere() {
    let tables: BTreeSet<(&str, &str)> = Abi::ALL
        .iter()
        .map(|a| (a.table_name(), a.table_feature()))
        .collect();
    assert_eq!(tables.len(), 23, "{tables:?}");
    let sys = features("seccompy-sys");
    let all = &sys.iter().find(|f| f.0 == "all-abis").expect("all-abis").1;
    assert_eq!(all.len(), 23, "{all:?}");
    for (table, feature) in &tables {
        let first = Abi::ALL.iter().find(|a| a.table_name() == *table).unwrap();
        assert_eq!(*feature, format!("abi-{first}"));
        assert!(
            sys.iter().any(|f| f.0 == *feature && f.1.is_empty()),
            "{feature}"
        );
        assert!(all.iter().any(|f| f == feature), "all-abis lacks {feature}");
    }
    for (krate, below) in [
        ("seccompy-bpf", "seccompy-sys"),
        ("seccompy", "seccompy-bpf"),
    ] {
        let declared = features(krate);
        for feature in tables.iter().map(|t| t.1) {
            let want = vec![format!("{below}/{feature}")];
            assert!(
                declared.iter().any(|f| f.0 == feature && f.1 == want),
                "{krate} does not forward {feature} to {below}"
            );
        }
        // `all-abis` forwards itself and turns on each table's feature here
        // too, so that `cfg(feature = "abi-…")` in this crate says whether the
        // table is built (seccompy-bpf's tests/abi_features.rs relies on it).
        let all = &declared
            .iter()
            .find(|f| f.0 == "all-abis")
            .expect("all-abis")
            .1;
        let mut want: Vec<String> = tables.iter().map(|t| t.1.to_string()).collect();
        want.push(format!("{below}/all-abis"));
        let mut got = all.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{krate}'s all-abis");
    }
}

/// The host's ABI family is always compiled in, whatever the features.
#[test]
fn the_host_family_is_always_there() {
    let host = Abi::host().expect("a host seccomp knows");
    assert!(host.syscall_table().is_ok(), "{host}");
    assert!(host.syscall_nr("read").is_some(), "{host}");
    #[cfg(target_arch = "x86_64")]
    for abi in [Abi::X86_64, Abi::X32, Abi::I386] {
        assert!(abi.has_syscall_table(), "{abi}");
        assert!(!abi.syscalls().is_empty(), "{abi}");
    }
    #[cfg(target_arch = "aarch64")]
    for abi in [Abi::Aarch64, Abi::Arm, Abi::Armeb] {
        assert!(abi.has_syscall_table(), "{abi}");
    }
}

/// With `all-abis`, every ABI's table is there.
#[test]
#[cfg_attr(
    not(feature = "all-abis"),
    ignore = "needs the all-abis feature (other ABIs' syscall tables); cargo test --workspace has it"
)]
fn all_abis_has_every_table() {
    for &abi in Abi::ALL {
        let table = abi.syscall_table().unwrap();
        assert_eq!(table.name(), abi.table_name());
        assert!(abi.syscalls().len() > 250, "{abi}");
    }
}

/// Without its feature, Alpha's table (no host's family has it) is missing:
/// every look-up says so or finds nothing, none panics or answers from another
/// table, and the error names the feature.
#[cfg(not(feature = "abi-alpha"))]
#[test]
fn a_missing_table_is_a_typed_error() {
    let abi = Abi::Alpha;
    assert!(!abi.has_syscall_table());
    let err: seccompy_sys::syscalls::MissingTable = abi.syscall_table().unwrap_err();
    assert_eq!(err.abi(), Abi::Alpha);
    assert_eq!(err.feature(), "abi-alpha");
    assert_eq!(
        err.to_string(),
        "the syscall table of alpha is not compiled in: enable the feature abi-alpha (or all-abis)"
    );
    assert_eq!(abi.syscall_nr("read"), None);
    assert_eq!(abi.syscall_name(3), None);
    assert!(abi.syscalls().is_empty());
    assert!(abi.syscall_numbers().is_empty());
    assert_eq!(abi.table_name(), "alpha");
    assert_eq!(seccompy_sys::signatures::signature(abi, "read"), None);
    assert_eq!(seccompy_sys::signatures::coverage(abi), (0, 0));
    // The ABI itself stays whole: name, audit arch, widths.
    assert_eq!(Abi::from_name("alpha"), Some(Abi::Alpha));
    assert!(abi.is_64bit() && abi.is_little_endian());
    assert_eq!(
        Abi::of_call(abi.audit_arch(), 3),
        Some(Abi::Alpha),
        "the call's ABI is known without its table"
    );
    // Both byte orders of a shared table name the same feature.
    assert_eq!(Abi::Mipsel.table_feature(), Abi::Mips.table_feature());
    assert_eq!(Abi::Mips.table_feature(), "abi-mips");
    assert_eq!(Abi::Mipsel64n32.table_feature(), "abi-mips64n32");
}
