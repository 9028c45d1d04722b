//! Helpers shared by the integration tests (each test file includes this
//! module with `mod support;`).

// Each test file is its own crate and uses only some of these helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use seccompy_bpf::Program;

// Each test file uses some of these.
#[allow(unused_imports)]
pub use seccompy_testing::require_root;

/// Runs `seccompy` with `args` and no standard input.
pub fn seccompy<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_seccompy"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot run the seccompy binary")
}

/// A scratch directory for one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "seccompy-cli-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("cannot create a temporary directory");
        TempDir(dir)
    }

    /// Writes the file `name` with `contents`.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("cannot write a test file");
        p
    }

    /// Writes `prog` as raw records to the file `name`.
    pub fn program(&self, name: &str, prog: &Program) -> PathBuf {
        self.file(name, &prog.to_bytes())
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Docker's default profile, committed in the repository (`profiles/`).
pub fn docker_default() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../profiles/docker-default.json"
    ))
}

/// The pids of `pid`'s children (from every thread's `children` list; none if
/// `pid` is gone).
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}
