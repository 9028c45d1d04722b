//! `cargo xtask bench-size`: how big a program is that only locks itself down.
//!
//! Builds `examples/filter.rs` (release profile, the examples crate without its
//! default features: the program depends on seccompy alone, so only the host's
//! ABI family's syscall tables are in it), strips a copy with `strip`, and
//! prints its size, its largest sections and how it compares with the
//! [`TARGET`]. Then does the same for the same
//! lockdown written with seccompiler 0.5 (the version xtask's own benchmarks use):
//! a small crate that xtask writes under `target/bench-size/seccompiler-peer` and
//! builds `--offline`; if that build fails (seccompiler not in Cargo's cache, say)
//! the peer is skipped with the reason.
//!
//! `--max BYTES` makes the command fail when the stripped example is larger: the
//! size is a figure the project keeps (README, Benchmarks).
//!
//! The size depends on the toolchain and the host: it is a measurement, not a test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workspace_root;

/// The lockdown of `examples/filter.rs` with seccompiler: the same calls allowed
/// (kill otherwise), `openat` failing with errno 26. seccompiler has one match
/// action per filter, so the `openat` rule is a second filter.
const PEER_MAIN: &str = r#"use std::collections::BTreeMap;
use std::{error::Error, fs, io::ErrorKind};

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, apply_filter};

fn filter(
    calls: &[i64],
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, Box<dyn Error>> {
    let rules: BTreeMap<i64, Vec<SeccompRule>> = calls.iter().map(|&nr| (nr, vec![])).collect();
    let arch = std::env::consts::ARCH.try_into()?;
    Ok(SeccompFilter::new(rules, mismatch, matched, arch)?.try_into()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let allowed = [
        libc::SYS_sigaltstack,
        libc::SYS_munmap,
        libc::SYS_exit_group,
        libc::SYS_write,
        libc::SYS_openat,
    ];
    let allow = filter(&allowed, SeccompAction::KillProcess, SeccompAction::Allow)?;
    let errno = filter(&[libc::SYS_openat], SeccompAction::Allow, SeccompAction::Errno(26))?;
    apply_filter(&allow)?;
    apply_filter(&errno)?;
    println!("filter installed");
    assert_eq!(
        fs::File::open("/etc/hostname").unwrap_err().kind(),
        ErrorKind::ExecutableFileBusy
    );
    Ok(())
}
"#;

/// The peer's manifest: its own workspace, the workspace's release profile.
const PEER_MANIFEST: &str = r#"[package]
name = "seccompiler-peer"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
seccompiler = { version = "=0.5.0", default-features = false }
libc = "0.2"

[workspace]
"#;

/// The size the stripped lockdown should stay within (issue 14: "≤ 0.6 MB").
pub const TARGET: u64 = 600_000;

/// One ELF section: its name and size in the file's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub size: u64,
}

/// The sections of a 64-bit little-endian ELF file, in header order.
pub fn sections(elf: &[u8]) -> Result<Vec<Section>, String> {
    let u16_at = |at: usize| -> Result<u64, String> {
        let b = elf.get(at..at + 2).ok_or("ELF header cut short")?;
        Ok(u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| -> Result<u64, String> {
        let b = elf.get(at..at + 4).ok_or("ELF header cut short")?;
        Ok(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
    };
    let u64_at = |at: usize| -> Result<u64, String> {
        let b: [u8; 8] = elf
            .get(at..at + 8)
            .ok_or("ELF header cut short")?
            .try_into()
            .map_err(|_| "ELF header cut short")?;
        Ok(u64::from_le_bytes(b))
    };
    if elf.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let shoff = u64_at(0x28)? as usize;
    let shentsize = u16_at(0x3a)? as usize;
    let shnum = u16_at(0x3c)? as usize;
    let shstrndx = u16_at(0x3e)? as usize;
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(header(shstrndx) + 0x18)? as usize;
    let mut out = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let name_at = strtab + u32_at(header(i))? as usize;
        let name = elf
            .get(name_at..)
            .and_then(|rest| rest.split(|&b| b == 0).next())
            .ok_or("section name out of the file")?;
        out.push(Section {
            name: String::from_utf8_lossy(name).into_owned(),
            size: u64_at(header(i) + 0x20)?,
        });
    }
    Ok(out)
}

/// Runs `command`, failing with its stderr's last lines.
fn run(mut command: Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    Err(format!(
        "{command:?} failed: {}",
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

/// Strips a copy of `binary` to `out` and returns its size and sections.
fn stripped(binary: &Path, out: &Path) -> Result<(u64, Vec<Section>), String> {
    let mut strip = Command::new("strip");
    strip.arg("-o").arg(out).arg(binary);
    run(strip)?;
    let bytes = std::fs::read(out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok((bytes.len() as u64, sections(&bytes)?))
}

/// Prints a stripped binary's size and its sections of 4 KiB or more.
fn report(label: &str, size: u64, sections: &[Section]) {
    println!(
        "{label}: {size} bytes stripped ({:.2} MiB)",
        size as f64 / 1048576.0
    );
    let mut big: Vec<&Section> = sections.iter().filter(|s| s.size >= 4096).collect();
    big.sort_by_key(|s| std::cmp::Reverse(s.size));
    for s in big {
        println!("  {:<20} {:>9}", s.name, s.size);
    }
}

/// Builds the seccompiler peer under `dir`; its binary's path.
fn build_peer(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(dir.join("Cargo.toml"), PEER_MANIFEST)?;
    write(dir.join("src/main.rs"), PEER_MAIN)?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .args([
            "build",
            "--release",
            "--offline",
            "--quiet",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"));
    run(cargo)?;
    Ok(dir.join("target/release/seccompiler-peer"))
}

/// `cargo xtask bench-size [--max BYTES]`.
pub fn run_command(args: &[String]) -> Result<(), String> {
    let max = match args {
        [] => None,
        [flag, n] if flag == "--max" => {
            Some(n.parse::<u64>().map_err(|e| format!("--max {n}: {e}"))?)
        }
        _ => return Err("usage: cargo xtask bench-size [--max BYTES]".into()),
    };
    let root = workspace_root();
    let out = root.join("target/bench-size");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(&root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "seccompy-examples",
        "--no-default-features",
        "--example",
        "filter",
    ]);
    run(cargo)?;
    let example = root.join("target/release/examples/filter");
    let (size, secs) = stripped(&example, &out.join("filter-stripped"))?;
    report("seccompy (examples/filter.rs)", size, &secs);
    println!("{}", against_target(size));
    let peer = build_peer(&out.join("seccompiler-peer"))
        .map_err(|e| format!("seccompiler 0.5, the peer: {e}"))?;
    let (peer_size, peer_secs) = stripped(&peer, &out.join("seccompiler-peer-stripped"))?;
    report("seccompiler 0.5 (same lockdown)", peer_size, &peer_secs);
    match max {
        Some(max) if size > max => Err(format!(
            "the example is {size} bytes stripped, over --max {max}"
        )),
        _ => Ok(()),
    }
}

/// How `size` compares with the [`TARGET`].
fn against_target(size: u64) -> String {
    if size <= TARGET {
        format!(
            "  within the target of {TARGET} bytes, by {} bytes",
            TARGET - size
        )
    } else {
        format!(
            "  over the target of {TARGET} bytes, by {} bytes",
            size - TARGET
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_comparison() {
        assert_eq!(
            against_target(567_232),
            "  within the target of 600000 bytes, by 32768 bytes"
        );
        assert_eq!(
            against_target(TARGET),
            "  within the target of 600000 bytes, by 0 bytes"
        );
        assert_eq!(
            against_target(668_912),
            "  over the target of 600000 bytes, by 68912 bytes"
        );
    }

    /// The test binary's own sections, read from its file: the usual ones are
    /// there, and no section is larger than the file (except `.bss`, which takes
    /// no room in it).
    #[test]
    fn sections_of_an_elf_file() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let secs = sections(&me).unwrap();
        for name in [".text", ".rodata", ".shstrtab"] {
            let s = secs.iter().find(|s| s.name == name).unwrap();
            assert!(s.size > 0 && s.size < me.len() as u64, "{name}: {}", s.size);
        }
        assert_eq!(
            secs[0],
            Section {
                name: String::new(),
                size: 0
            }
        );
        assert!(sections(b"\x7fELF\x01\x01").is_err());
        assert!(sections(&me[..0x30]).is_err());
    }
}
