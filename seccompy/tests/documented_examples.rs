//! The crate's two documented examples (`examples/strict.rs` and
//! `examples/filter.rs`, also in the README), compiled here unchanged and run
//! as documented: each as the whole of a fresh process.
//!
//! The test re-executes this binary with an environment variable naming the
//! example; a constructor (`.init_array`) sees it and runs the example's `main`
//! on the process's only thread, before the test harness starts any, then exits
//! with the code `main`'s result gives, through the same exit path (flush,
//! `exit_group`). Strict mode kills only the thread that breaks it, and the
//! filter example installs its filter on its own thread, so the example must be
//! alone in its process, as a real `main` is.
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod strict_example {
    include!("../../examples/strict.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

mod filter_example {
    include!("../../examples/filter.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

/// Set in the re-executed process: which example to run.
const ENV: &str = "SECCOMPY_RUN_DOCUMENTED_EXAMPLE";

/// In the re-executed process: runs the example and exits as a `main` returning
/// its result would.
fn run_here(main: fn() -> Result<(), Box<dyn std::error::Error>>) -> ! {
    let code = match main() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {e:?}");
            1
        }
    };
    std::process::exit(code)
}

/// Runs the example that [`ENV`] names, if any, before the test harness.
extern "C" fn run_requested_example() {
    match std::env::var_os(ENV) {
        Some(v) if v == "strict" => run_here(strict_example::run),
        Some(v) if v == "filter" => run_here(filter_example::run),
        _ => {}
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static RUN_REQUESTED_EXAMPLE: extern "C" fn() = run_requested_example;

/// Re-executes this test binary with `ENV=example`; returns how it ended and its
/// stdout.
fn run_example(example: &str) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ENV, example)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the {example} example did not finish");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    (status, out)
}

#[test]
fn strict_example() {
    let (status, out) = run_example("strict");
    // The write goes through; the getpid after it is killed with SIGKILL, so
    // the second line is never written.
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}\n{out}");
    assert_eq!(out, "in strict mode\n");
}

#[test]
fn filter_example() {
    let (status, out) = run_example("filter");
    // The line is written, the open fails with errno 26 as asserted inside,
    // and the process exits cleanly.
    assert_eq!(status.code(), Some(0), "{status:?}\n{out}");
    assert_eq!(out, "filter installed\n");
}

/// The README shows both examples as they are.
#[test]
fn the_readme_shows_the_examples_verbatim() {
    let readme = include_str!("../../README.md");
    for (name, text) in [
        ("strict", include_str!("../../examples/strict.rs")),
        ("filter", include_str!("../../examples/filter.rs")),
    ] {
        assert!(
            readme.contains(text),
            "README.md must contain examples/{name}.rs verbatim"
        );
    }
}
