//! The newest Linux UAPI headers, from Debian's `linux-libc-dev` in the unstable
//! suite, unpacked under `target/` (never installed over the system's headers).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the package is unpacked: `target/linux-uapi/`.
pub fn root() -> PathBuf {
    crate::workspace_root().join("target").join("linux-uapi")
}

/// The directory holding `linux/seccomp.h`, `linux/audit.h`, `asm-generic/...`.
pub fn include_dir() -> PathBuf {
    root().join("pkg/usr/include")
}

/// The directory holding `<arch>/asm/unistd*.h` for every architecture.
pub fn arch_uapi_dir() -> PathBuf {
    root().join("pkg/usr/lib/linux/uapi")
}

/// Makes sure the headers are unpacked, downloading the package if needed.
/// Returns the package's version (for example `7.2.13-1`).
pub fn ensure() -> Result<String, String> {
    let root = root();
    let stamp = root.join("VERSION");
    if let Ok(v) = std::fs::read_to_string(&stamp)
        && include_dir().join("linux/seccomp.h").is_file()
    {
        return Ok(v.trim().to_owned());
    }
    let work = root.join("apt");
    let _ = std::fs::remove_dir_all(&root);
    for d in ["lists/partial", "cache/archives/partial", "download"] {
        std::fs::create_dir_all(work.join(d))
            .map_err(|e| format!("creating {}: {e}", work.display()))?;
    }
    let sources = work.join("sources.list");
    std::fs::write(&sources, "deb http://deb.debian.org/debian unstable main\n")
        .map_err(|e| format!("writing {}: {e}", sources.display()))?;
    let opts = [
        format!("-oDir::Etc::SourceList={}", sources.display()),
        "-oDir::Etc::SourceParts=/dev/null".to_owned(),
        format!("-oDir::State::Lists={}", work.join("lists").display()),
        format!("-oDir::Cache={}", work.join("cache").display()),
        "-oAPT::Sandbox::User=root".to_owned(),
        "-oDebug::NoLocking=1".to_owned(),
        "-qq".to_owned(),
    ];
    eprintln!(
        "xtask: fetching linux-libc-dev from Debian unstable into {}",
        root.display()
    );
    run(Command::new("apt-get").args(&opts).arg("update"))?;
    run(Command::new("apt-get")
        .args(&opts)
        .arg("download")
        .arg("linux-libc-dev")
        .current_dir(work.join("download")))?;
    let deb = std::fs::read_dir(work.join("download"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("apt-get download produced no .deb")?;
    run(Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(root.join("pkg")))?;
    let version = deb_version(&deb)?;
    std::fs::write(&stamp, &version).map_err(|e| e.to_string())?;
    Ok(version)
}

fn deb_version(deb: &Path) -> Result<String, String> {
    let out = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(deb)
        .arg("Version")
        .output()
        .map_err(|e| format!("dpkg-deb: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}
