//! Debian packages the benchmarks compare with (never the tests): installed
//! with `apt-get` when `dpkg` says they are missing.

use std::process::{Command, Stdio};

/// Installs `package` if `dpkg` says it is missing (`apt-get update` first if
/// the install fails with the cached package lists).
pub fn ensure(package: &str) -> Result<(), String> {
    let installed = Command::new("dpkg")
        .args(["-s", package])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if installed {
        return Ok(());
    }
    eprintln!("bench: installing {package}");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if install() {
        return Ok(());
    }
    let updated = Command::new("apt-get")
        .args(["update", "-q"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if updated && install() {
        Ok(())
    } else {
        Err(format!("could not install {package} with apt-get"))
    }
}
