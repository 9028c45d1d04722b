//! The newest Linux UAPI headers, from Debian's `linux-libc-dev` in the unstable
//! suite, unpacked under `target/` (never installed over the system's headers).
//!
//! The probes of [`crate::abi`] and the table reader of [`crate::syscalls`] take the
//! header directories as a [`HeaderDirs`]: [`HeaderDirs::downloaded`] for `cargo xtask
//! check-abi` and `cargo xtask syscalls`, the small committed fixture tree for the unit
//! tests (which need neither the network nor apt).

use std::fs::File;
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a tree of UAPI headers is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderDirs {
    /// The directory holding `linux/seccomp.h`, `linux/audit.h`, `asm-generic/...`.
    pub include: PathBuf,
    /// The directory holding `<arch>/asm/unistd*.h` and `<arch>/asm/ioctl.h` for every
    /// architecture.
    pub uapi: PathBuf,
}

impl HeaderDirs {
    /// The headers [`ensure`] unpacks (call it first).
    pub fn downloaded() -> HeaderDirs {
        HeaderDirs::unpacked_in(&root())
    }

    /// The headers of the package unpacked in `root`.
    fn unpacked_in(root: &Path) -> HeaderDirs {
        let pkg = root.join("pkg");
        HeaderDirs {
            include: pkg.join("usr/include"),
            uapi: pkg.join("usr/lib/linux/uapi"),
        }
    }

    /// The hand-written test fixtures in `xtask/fixtures/uapi/` (see its README.md).
    #[cfg(test)]
    pub fn fixtures() -> HeaderDirs {
        let dir = crate::workspace_root().join("xtask/fixtures/uapi");
        HeaderDirs {
            include: dir.join("include"),
            uapi: dir.join("arch"),
        }
    }
}

/// Where the package is unpacked: `target/linux-uapi/`.
pub fn root() -> PathBuf {
    crate::workspace_root().join("target").join("linux-uapi")
}

/// Makes sure the headers are unpacked, downloading the package if needed.
/// Returns the package's version (for example `7.2.13-1`).
///
/// Safe to call concurrently, from threads or processes: see [`ensure_in`].
pub fn ensure() -> Result<String, String> {
    ensure_in(&root(), UAPI_MARKER, download_into)
}

/// A file every complete unpack of `linux-libc-dev` has, relative to its root.
const UAPI_MARKER: &str = "pkg/usr/include/linux/seccomp.h";

/// Where `linux-headers-<version>-common` is unpacked: `target/linux-headers-common/`.
pub fn common_root() -> PathBuf {
    crate::workspace_root()
        .join("target")
        .join("linux-headers-common")
}

/// The kernel source tree of `linux-headers-<version>-common` ([`ensure_common`]
/// unpacks it): `include/linux/syscalls.h`, `arch/<arch>/include/asm/...`.
pub fn common_tree() -> PathBuf {
    common_root().join("src")
}

/// A file every complete unpack of the common headers has, relative to its root.
const COMMON_MARKER: &str = "src/include/linux/syscalls.h";

/// Makes sure Debian's `linux-headers-<version>-common` of the same kernel version as
/// the `linux-libc-dev` of [`ensure`] is unpacked in [`common_tree`], downloading it
/// if needed (as [`ensure`] does, with the same lock and atomic rename). Returns the
/// package's name and version (`linux-headers-7.2.13+deb14-common 7.2.13-1`).
pub fn ensure_common() -> Result<String, String> {
    let uapi = ensure()?;
    let found = ensure_in(&common_root(), COMMON_MARKER, |dir| {
        download_common_into(dir, &uapi)
    })?;
    if found.split_whitespace().nth(1) == Some(uapi.as_str()) {
        Ok(found)
    } else {
        Err(format!(
            "{} holds {found}, not of linux-libc-dev's version {uapi}: remove it to fetch again",
            common_root().display()
        ))
    }
}

/// The version of the package unpacked in `root`, if `root` holds a complete unpack
/// (its `marker` file, relative to `root`, exists).
fn unpacked_version(root: &Path, marker: &str) -> Option<String> {
    let version = std::fs::read_to_string(root.join("VERSION")).ok()?;
    root.join(marker)
        .is_file()
        .then(|| version.trim().to_owned())
}

/// Makes sure `root` holds a complete unpack, calling `fetch` to unpack the package
/// into an empty folder (as `<folder>/pkg/`) and give its version when it does not.
///
/// `fetch` runs under an exclusive lock on `<root>.lock`, so a concurrent caller
/// waits and then finds the finished result; it fills a fresh folder next to
/// `root`, which is renamed to `root` only once complete (`VERSION` written last),
/// so `root` never holds a partial unpack.
fn ensure_in(
    root: &Path,
    marker: &str,
    fetch: impl Fn(&Path) -> Result<String, String>,
) -> Result<String, String> {
    if let Some(version) = unpacked_version(root, marker) {
        return Ok(version);
    }
    let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
        return Err(format!("{} has no parent directory", root.display()));
    };
    let name = name.to_string_lossy();
    std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let _lock = lock(&parent.join(format!("{name}.lock")))?;
    // Another caller may have finished while this one waited.
    if let Some(version) = unpacked_version(root, marker) {
        return Ok(version);
    }
    // Under the lock, no other thread or process uses this name.
    let fresh = parent.join(format!("{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    let result = std::fs::create_dir_all(&fresh)
        .map_err(|e| format!("creating {}: {e}", fresh.display()))
        .and_then(|()| fetch(&fresh))
        .and_then(|version| {
            let stamp = fresh.join("VERSION");
            std::fs::write(&stamp, &version)
                .map_err(|e| format!("writing {}: {e}", stamp.display()))?;
            // What is there is incomplete (interrupted before this scheme, or partly
            // removed by hand), and nobody uses it: every user holds the lock or found
            // a complete unpack.
            if root.exists() {
                std::fs::remove_dir_all(root)
                    .map_err(|e| format!("removing {}: {e}", root.display()))?;
            }
            std::fs::rename(&fresh, root)
                .map_err(|e| format!("renaming {} to {}: {e}", fresh.display(), root.display()))?;
            Ok(version)
        });
    let _ = std::fs::remove_dir_all(&fresh);
    result
}

/// Opens (creating it) and exclusively locks `path`; the lock lasts as long as the
/// returned file is open.
fn lock(path: &Path) -> Result<File, String> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    loop {
        // SAFETY: flock(2) on a descriptor `file` owns and keeps open; no memory is
        // passed. Each open() is its own open file description, so two threads of one
        // process exclude each other too.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("locking {}: {e}", path.display()));
        }
    }
}

/// Downloads the package and unpacks it into `dir` (as `dir/pkg/`); returns its version.
fn download_into(dir: &Path) -> Result<String, String> {
    eprintln!(
        "xtask: fetching linux-libc-dev from Debian unstable into {}",
        root().display()
    );
    let deb = fetch_deb(dir, |_| Ok("linux-libc-dev".to_owned()))?;
    unpack(dir, &deb)?;
    let version = deb_version(&deb)?;
    remove_apt(dir)?;
    Ok(version)
}

/// Downloads `linux-headers-<upstream>+<abi>-common`, `<upstream>` being that of
/// `uapi_version` (linux-libc-dev's `7.2.13-1` gives `7.2.13`), and unpacks its
/// kernel tree into `dir/src`; returns `<package> <version>`.
fn download_common_into(dir: &Path, uapi_version: &str) -> Result<String, String> {
    let upstream = uapi_version.split('-').next().unwrap_or(uapi_version);
    eprintln!(
        "xtask: fetching linux-headers-{upstream}+*-common from Debian unstable into {}",
        common_root().display()
    );
    let prefix = format!("linux-headers-{upstream}+");
    let deb = fetch_deb(dir, |opts| {
        let out = Command::new("apt-cache")
            .args(opts)
            .args(["search", "--names-only"])
            .arg(format!(
                "^{}[^ ]*-common$",
                prefix.replace('.', "\\.").replace('+', "\\+")
            ))
            .output()
            .map_err(|e| format!("apt-cache: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&prefix) && n.ends_with("-common"))
            .collect();
        names.sort_unstable();
        match names.as_slice() {
            [one] => Ok((*one).to_owned()),
            _ => Err(format!(
                "Debian unstable has {} packages {prefix}*-common: {names:?}",
                names.len()
            )),
        }
    })?;
    let name = deb
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('_').next())
        .ok_or("a .deb without a package name")?
        .to_owned();
    unpack(dir, &deb)?;
    let src = dir.join("pkg/usr/src").join(&name);
    std::fs::rename(&src, dir.join("src"))
        .map_err(|e| format!("moving {} into place: {e}", src.display()))?;
    std::fs::remove_dir_all(dir.join("pkg")).map_err(|e| format!("removing pkg: {e}"))?;
    let version = deb_version(&deb)?;
    remove_apt(dir)?;
    Ok(format!("{name} {version}"))
}

/// Fetches one package from Debian unstable with a private apt configuration under
/// `dir/apt`: `choose` gets the apt options and names the package. Returns the
/// `.deb`'s path (removed with `dir/apt` by [`remove_apt`]).
fn fetch_deb(
    dir: &Path,
    choose: impl FnOnce(&[String]) -> Result<String, String>,
) -> Result<PathBuf, String> {
    let work = dir.join("apt");
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
    run(Command::new("apt-get").args(&opts).arg("update"))?;
    let package = choose(&opts)?;
    run(Command::new("apt-get")
        .args(&opts)
        .arg("download")
        .arg(&package)
        .current_dir(work.join("download")))?;
    std::fs::read_dir(work.join("download"))
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("apt-get download {package} produced no .deb"))
}

/// Unpacks `deb` into `dir/pkg`.
fn unpack(dir: &Path, deb: &Path) -> Result<(), String> {
    run(Command::new("dpkg").arg("-x").arg(deb).arg(dir.join("pkg")))
}

/// Removes what [`fetch_deb`] left in `dir/apt`: the package lists and the `.deb`.
fn remove_apt(dir: &Path) -> Result<(), String> {
    let work = dir.join("apt");
    std::fs::remove_dir_all(&work).map_err(|e| format!("removing {}: {e}", work.display()))
}

fn deb_version(deb: &Path) -> Result<String, String> {
    let out = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(deb)
        .arg("Version")
        .output()
        .map_err(|e| format!("dpkg-deb: {e}"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !version.is_empty() {
        Ok(version)
    } else {
        Err(format!(
            "dpkg-deb -f {} Version failed: {}",
            deb.display(),
            out.status
        ))
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A stand-in for the download: unpacks a one-file package, slowly, counting calls.
    fn fake_fetch(calls: &AtomicUsize) -> impl Fn(&Path) -> Result<String, String> + Sync {
        move |dir: &Path| {
            calls.fetch_add(1, Ordering::SeqCst);
            let linux = HeaderDirs::unpacked_in(dir).include.join("linux");
            std::fs::create_dir_all(&linux).map_err(|e| e.to_string())?;
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(linux.join("seccomp.h"), "/* fake */\n").map_err(|e| e.to_string())?;
            Ok("1.2.3-4".to_owned())
        }
    }

    #[test]
    fn concurrent_callers_fetch_once_and_all_find_the_complete_unpack() {
        let scratch = crate::scratch_dir("headers-concurrent");
        let root = scratch.join("linux-uapi");
        // A partial unpack left over (no VERSION) is replaced, never used.
        std::fs::create_dir_all(root.join("pkg/usr/include")).unwrap();
        let calls = AtomicUsize::new(0);
        let fetch = fake_fetch(&calls);
        let results: Vec<Result<String, String>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| s.spawn(|| ensure_in(&root, UAPI_MARKER, &fetch)))
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        for r in &results {
            assert_eq!(r.as_deref(), Ok("1.2.3-4"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fetched more than once");
        assert_eq!(
            unpacked_version(&root, UAPI_MARKER).as_deref(),
            Some("1.2.3-4")
        );
        // Only the unpack and the lock file remain: no temporary folder.
        let mut left: Vec<String> = std::fs::read_dir(&scratch)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["linux-uapi", "linux-uapi.lock"]);
        // A later call finds it without fetching.
        assert_eq!(
            ensure_in(&root, UAPI_MARKER, &fetch).as_deref(),
            Ok("1.2.3-4")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        std::fs::remove_dir_all(&scratch).unwrap();
    }

    #[test]
    fn a_failed_fetch_leaves_nothing_behind() {
        let scratch = crate::scratch_dir("headers-failed");
        let root = scratch.join("linux-uapi");
        let failing = |dir: &Path| {
            std::fs::create_dir_all(dir.join("pkg/usr/include/linux")).unwrap();
            Err("no network".to_owned())
        };
        assert_eq!(
            ensure_in(&root, UAPI_MARKER, failing),
            Err("no network".to_owned())
        );
        assert!(!root.exists());
        let left: Vec<_> = std::fs::read_dir(&scratch)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["linux-uapi.lock"]);
        // The next caller fetches again.
        let calls = AtomicUsize::new(0);
        assert_eq!(
            ensure_in(&root, UAPI_MARKER, fake_fetch(&calls)).as_deref(),
            Ok("1.2.3-4")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        std::fs::remove_dir_all(&scratch).unwrap();
    }
}
