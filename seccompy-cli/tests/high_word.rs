//! The high-word bypass of Docker's default profile, end to end: `seccompy audit`
//! names it with a value, a real process uses that value to get the socket the
//! profile refuses under `seccompy run --profile`, and fails to under `--harden`.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{TempDir, docker_default, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A C program calling `socket(FAMILY, SOCK_STREAM, 0)` through `syscall(2)`, which
/// passes FAMILY (argv[1], any 64-bit value) in the register unchanged, then
/// printing the result and the socket's `SO_DOMAIN`.
const PROBE: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    unsigned long long family = strtoull(argv[1], NULL, 0);
    long fd = syscall(SYS_socket, family, SOCK_STREAM, 0);
    if (fd < 0) {
        printf("socket failed: errno %d\n", errno);
        return 0;
    }
    int domain = -1;
    socklen_t len = sizeof domain;
    if (getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
        printf("getsockopt failed: errno %d\n", errno);
        return 0;
    }
    printf("socket: SO_DOMAIN=%d\n", domain);
    return 0;
}
"#;

fn build_probe(dir: &TempDir) -> PathBuf {
    let src = dir.file("probe.c", PROBE.as_bytes());
    let exe = dir.path("probe");
    // `cc` is what rustc links with on Linux: where these tests were built, it exists.
    let out = Command::new("cc")
        .args(["-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("running cc (the C compiler rustc links with)");
    assert!(out.status.success(), "cc failed: {}", text(&out.stderr));
    exe
}

/// The probe's line, run directly or under `seccompy run` with `extra` options.
fn probe(exe: &Path, value: &str, run: Option<&[&str]>) -> String {
    let out = match run {
        None => Command::new(exe).arg(value).output().unwrap(),
        Some(opts) => {
            let mut args: Vec<&str> = vec!["run"];
            args.extend(opts);
            args.extend(["--", exe.to_str().unwrap(), value]);
            seccompy(&args)
        }
    };
    assert!(
        out.status.success(),
        "probe {value} ({run:?}): {}",
        text(&out.stderr)
    );
    text(&out.stdout).trim_end().to_owned()
}

/// The value `seccompy audit` gives for the socket bypass on this machine's ABI.
fn audited_bypass_value(profile: &str) -> String {
    let out = seccompy(&["audit", profile]);
    let stdout = text(&out.stdout);
    // ptrace and others are high findings too: exit status 1.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("high: high word bypass: socket(family="))
        .unwrap_or_else(|| panic!("no socket bypass in:\n{stdout}"));
    assert!(line.contains("sees family = 40 (0x28, AF_VSOCK)"), "{line}");
    assert!(line.contains("args[0] > 0x28"), "{line}");
    assert!(line.contains("--harden"), "{line}");
    let value = line
        .strip_prefix("high: high word bypass: socket(family=")
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_owned();
    let parsed = u64::from_str_radix(value.trim_start_matches("0x"), 16).unwrap();
    assert_eq!(parsed & 0xffff_ffff, 40, "{value}");
    assert_ne!(parsed >> 32, 0, "{value}");
    value
}

#[test]
fn the_audited_socket_bypass_works_under_run_and_not_under_harden() {
    let profile = docker_default();
    let p = profile.to_str().unwrap();
    let value = audited_bypass_value(p);
    let dir = TempDir::new();
    let exe = build_probe(&dir);

    // Without a filter, the crafted value is read as AF_VSOCK (40): the same
    // outcome as 40 itself (a socket where the kernel has vsock, EAFNOSUPPORT
    // where it has not).
    let plain = probe(&exe, "40", None);
    assert_eq!(probe(&exe, &value, None), plain);
    if plain.starts_with("socket:") {
        assert_eq!(plain, "socket: SO_DOMAIN=40");
    }
    assert_ne!(plain, "socket failed: errno 1");

    // The profile refuses AF_VSOCK itself with EPERM...
    let profile_opts: &[&str] = &["--profile", p];
    assert_eq!(
        probe(&exe, "40", Some(profile_opts)),
        "socket failed: errno 1"
    );
    // ...but lets the crafted value through to the kernel, which reads 40.
    assert_eq!(probe(&exe, &value, Some(profile_opts)), plain);

    // Hardened: refused both ways; an allowed family still works.
    let hardened: &[&str] = &["--profile", p, "--harden"];
    assert_eq!(
        probe(&exe, &value, Some(hardened)),
        "socket failed: errno 1"
    );
    assert_eq!(probe(&exe, "40", Some(hardened)), "socket failed: errno 1");
    assert_eq!(probe(&exe, "1", Some(hardened)), "socket: SO_DOMAIN=1");
    // A high word on an allowed family changes nothing either: the kernel reads 1.
    assert_eq!(
        probe(&exe, "0x100000001", Some(hardened)),
        "socket: SO_DOMAIN=1"
    );
}

#[test]
fn compile_harden_says_what_it_does() {
    let profile = docker_default();
    let p = profile.to_str().unwrap();
    let out = seccompy(&[
        "compile", p, "--arch", "x86_64", "--kernel", "6.18", "--format", "c",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plain = text(&out.stdout);
    assert!(!plain.contains("--harden"), "{plain}");
    let out = seccompy(&[
        "compile", p, "--arch", "x86_64", "--kernel", "6.18", "--format", "c", "--harden",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hardened = text(&out.stdout);
    let stderr = text(&out.stderr);
    // socket's three conditions and personality's five, on x86_64 (libseccomp
    // already compares x32 arguments on 32 bits; i386 registers are 32 bits).
    let note = "--harden: 8 conditions on 32-bit arguments compare the low 32 bits the kernel \
                reads, departing from runc's semantics";
    assert!(hardened.contains(note), "{hardened}");
    assert!(stderr.contains(note), "{stderr}");
    assert_ne!(plain, hardened);
    // The raw programs: the crafted socket call is allowed by the plain one only.
    let dir = TempDir::new();
    let decide = |harden: bool, value: &str| {
        let bpf = dir.path(if harden { "h.bpf" } else { "p.bpf" });
        let mut args = vec!["compile", p, "--arch", "x86_64", "--kernel", "6.18", "-o"];
        args.push(bpf.to_str().unwrap());
        if harden {
            args.push("--harden");
        }
        assert!(seccompy(&args).status.success());
        let out = seccompy(&[
            "emu",
            bpf.to_str().unwrap(),
            "--arch",
            "x86_64",
            "socket",
            value,
        ]);
        text(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(decide(false, "0x100000028"), "action: ALLOW (0x7fff0000)");
    assert_eq!(decide(true, "0x100000028"), "action: ERRNO(1) (0x00050001)");
    assert_eq!(decide(true, "40"), "action: ERRNO(1) (0x00050001)");
    assert_eq!(decide(true, "0x100000001"), "action: ALLOW (0x7fff0000)");
    // Audited as raw programs: the plain one has the bypass (found by running
    // it), the hardened one compares socket's and
    // personality's 32-bit arguments on their low word, rightly: no finding.
    let out = seccompy(&[
        "audit",
        dir.path("h.bpf").to_str().unwrap(),
        "--arch",
        "x86_64",
    ]);
    let audit = text(&out.stdout);
    assert!(audit.contains("dangerous syscall: ptrace"), "{audit}");
    assert!(!audit.contains("low word only"), "{audit}");
    assert!(!audit.contains("high word"), "{audit}");
    let out = seccompy(&[
        "audit",
        dir.path("p.bpf").to_str().unwrap(),
        "--arch",
        "x86_64",
    ]);
    let audit = text(&out.stdout);
    assert!(
        audit.contains("high: high word bypass: socket(family=0x1000000"),
        "{audit}"
    );
    assert!(audit.contains("the program compares args[0].hi"), "{audit}");
    // --help says it too.
    let help = text(&seccompy(&["compile", "--help"]).stdout);
    assert!(help.contains("--harden"), "{help}");
    assert!(help.contains("departs from runc's semantics"), "{help}");
    let help = text(&seccompy(&["run", "--help"]).stdout);
    assert!(help.contains("--harden"), "{help}");
    // A raw program has no profile conditions to rewrite.
    let out = seccompy(&["run", "--bpf", "x.bpf", "--harden", "--", "true"]);
    // run's own failures: 125.
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stderr).contains("--harden rewrites a profile's conditions"));
}
