//! Runs the built `seccompy` binary: every command, and every error path (exit
//! status 2 and exactly one line on standard error).

use std::path::Path;
use std::process::{Command, Stdio};

use seccompy_bpf::Program;
use seccompy_sys::syscalls::Abi;
use seccompy_sys::*;

mod support;
use support::{TempDir, docker_default, seccompy};

/// Standard output of a run that must succeed.
fn ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = seccompy(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "seccompy {:?} failed: {stderr}",
        args.iter().map(|a| a.as_ref()).collect::<Vec<_>>()
    );
    assert!(stderr.is_empty(), "unexpected stderr: {stderr}");
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// The error message of a run that must fail with status 2, one line on stderr
/// and nothing on stdout. Returns the message without the `seccompy: ` prefix.
fn fails<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    fails_with(2, args)
}

/// [`fails`], with exit status `code` (`run`'s own failures are 125).
fn fails_with<S: AsRef<std::ffi::OsStr>>(code: i32, args: &[S]) -> String {
    let out = seccompy(args);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref()).collect();
    let stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
    assert_eq!(
        out.status.code(),
        Some(code),
        "seccompy {shown:?}: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "seccompy {shown:?} printed on stdout"
    );
    assert!(
        stderr.ends_with('\n') && stderr.matches('\n').count() == 1,
        "seccompy {shown:?}: not one line: {stderr:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
        .strip_prefix("seccompy: ")
        .unwrap_or_else(|| panic!("no 'seccompy: ' prefix: {stderr:?}"))
        .trim_end()
        .to_string()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

const GETPID: u32 = 39;
const GETTID: u32 = 186;
const SOCKET: u32 = 41;

/// An x86_64 filter, written out by hand: getpid and gettid allowed; socket
/// allowed unless the low word of args[0] is 40 (AF_VSOCK), then ERRNO(1);
/// everything else ERRNO(38); other arches KILL_PROCESS.
///
/// Instructions executed: getpid 5, gettid 6, socket 9, any other x86_64
/// number 7, another arch 3.
fn x86_64_filter() -> Program {
    Program::new(vec![
        /* 0 */ bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 4),
        /* 1 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        /* 2 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 3 */ bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        /* 4 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, GETPID, 5, 0),
        /* 5 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, GETTID, 4, 0),
        /* 6 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, SOCKET, 0, 4),
        /* 7 */ bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
        /* 8 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 40, 0, 1),
        /* 9 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        /* 10 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 11 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 38),
    ])
}

/// Returns `ERRNO(w)` where `w` is the low 16 bits of the 32-bit word at offset
/// `offset` of seccomp_data: shows what the emulator was given.
fn word_probe(offset: u32) -> Program {
    Program::new(vec![
        bpf_stmt(BPF_LD | BPF_W | BPF_ABS, offset),
        bpf_stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff),
        bpf_stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        bpf_stmt(BPF_RET | BPF_A, 0),
    ])
}

/// The `action:` and `executed:` lines of an `emu` run.
fn emu(file: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["emu", "-q", p(file)];
    all.extend_from_slice(args);
    let out = ok(&all);
    let mut lines = out.lines();
    let action = lines.next().expect("an action line").to_string();
    let executed = lines.next().expect("an executed line").to_string();
    assert_eq!(lines.next(), None, "{out}");
    (action, executed)
}

#[test]
fn help_and_version() {
    let top = ok(&["--help"]);
    for cmd in ["compile", "emu", "stats", "disasm", "asm"] {
        assert!(
            top.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd} not listed:\n{top}"
        );
        let help = ok(&[cmd, "--help"]);
        assert!(help.contains(&format!("Usage: seccompy {cmd} ")), "{help}");
        assert!(help.contains("Example:\n  seccompy "), "{help}");
        assert_eq!(ok(&["help", cmd]), help);
        assert_eq!(ok(&[cmd, "-h"]), help);
    }
    assert_eq!(ok(&["-h"]), top);
    assert_eq!(ok(&["help"]), top);
    let version = format!("seccompy {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(ok(&["--version"]), version);
    assert_eq!(ok(&["-V"]), version);
    assert_eq!(ok(&["stats", "--version"]), version);
}

#[test]
fn emu_gives_the_filters_decisions() {
    let dir = TempDir::new();
    let f = dir.file("f.bpf", &x86_64_filter().to_bytes());
    let allow = "action: ALLOW (0x7fff0000)";
    let x86 = ["--arch", "x86_64"];
    let run = |args: &[&str]| {
        let mut all = x86.to_vec();
        all.extend_from_slice(args);
        emu(&f, &all)
    };
    assert_eq!(
        run(&["getpid"]),
        (allow.into(), "executed: 5 instructions".into())
    );
    assert_eq!(run(&["39"]), run(&["getpid"]));
    assert_eq!(run(&["0x27"]), run(&["getpid"]));
    assert_eq!(run(&["gettid"]).1, "executed: 6 instructions");
    assert_eq!(
        run(&["socket", "40", "1", "0"]),
        (
            "action: ERRNO(1) (0x00050001)".into(),
            "executed: 9 instructions".into()
        )
    );
    assert_eq!(run(&["socket", "2"]).0, allow);
    // Only the low word of args[0] is compared: 40 + 2^32 is refused too.
    assert_eq!(
        run(&["socket", "0x28_0000_0028"]).0,
        "action: ERRNO(1) (0x00050001)"
    );
    assert_eq!(run(&["socket", "-1"]).0, allow);
    assert_eq!(
        run(&["read"]),
        (
            "action: ERRNO(38) (0x00050026)".into(),
            "executed: 7 instructions".into()
        )
    );
    // Options may come anywhere; -- ends them.
    assert_eq!(
        emu(&f, &["getpid", "--arch", "x86_64"]).0,
        allow,
        "option after the syscall"
    );
    assert_eq!(
        run(&["--", "socket", "40"]).0,
        "action: ERRNO(1) (0x00050001)"
    );
    // Another arch: the arch check fails.
    assert_eq!(
        emu(&f, &["--arch", "i386", "getpid"]),
        (
            "action: KILL_PROCESS (0x80000000)".into(),
            "executed: 3 instructions".into()
        )
    );
    // A program read from standard input.
    let out = Command::new(env!("CARGO_BIN_EXE_seccompy"))
        .args(["emu", "-", "--arch", "x86_64", "-q", "getpid"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{allow}\nexecuted: 5 instructions\n")
    );
}

#[test]
fn emu_lays_out_arguments_for_the_abi() {
    let dir = TempDir::new();
    let offset16 = dir.file("w16.bpf", &word_probe(16).to_bytes());
    let offset20 = dir.file("w20.bpf", &word_probe(20).to_bytes());
    let errno = |f: &Path, args: &[&str]| emu(f, args).0;
    // Offset 16 is the low word of args[0] on a little-endian ABI, the high word
    // on a big-endian one.
    let arg = "0x0001_0000_0002";
    assert!(errno(&offset16, &["--arch", "x86_64", "0", arg]).starts_with("action: ERRNO(2) "));
    assert!(errno(&offset20, &["--arch", "x86_64", "0", arg]).starts_with("action: ERRNO(1) "));
    assert!(errno(&offset16, &["--arch", "s390x", "0", arg]).starts_with("action: ERRNO(1) "));
    assert!(errno(&offset20, &["--arch", "s390x", "0", arg]).starts_with("action: ERRNO(2) "));
    // -1 fills the register: 64 bits on x86_64, 32 on i386 (high word 0).
    assert!(
        errno(&offset20, &["--arch", "x86_64", "0", "-1"]).starts_with("action: ERRNO(65535) ")
    );
    assert!(errno(&offset20, &["--arch", "i386", "0", "-1"]).starts_with("action: ERRNO(0) "));
    assert!(errno(&offset16, &["--arch", "i386", "0", "-1"]).starts_with("action: ERRNO(65535) "));
    // Every argument position, and the instruction pointer (offset 8).
    for i in 0..6u32 {
        let f = dir.file("arg.bpf", &word_probe(16 + 8 * i).to_bytes());
        let mut args = vec!["--arch", "aarch64", "0", "0", "0", "0", "0", "0", "0"];
        args[3 + i as usize] = "7";
        assert!(
            errno(&f, &args).starts_with("action: ERRNO(7) "),
            "args[{i}]"
        );
    }
    let ip = dir.file("ip.bpf", &word_probe(8).to_bytes());
    assert!(
        errno(&ip, &["--arch", "x86_64", "--ip", "0x1234", "0"])
            .starts_with("action: ERRNO(4660) ")
    );
    // The syscall number and arch as the call carries them (x32 numbers
    // include the x32 bit; -1 is 0xffffffff).
    let nr = dir.file("nr.bpf", &word_probe(0).to_bytes());
    let x32_getpid = Abi::X32.syscall_nr("getpid").unwrap();
    assert_eq!(x32_getpid & 0xffff, GETPID);
    assert!(
        errno(&nr, &["--arch", "x32", "getpid"]).starts_with(&format!("action: ERRNO({GETPID}) "))
    );
    assert!(errno(&nr, &["--arch", "x86_64", "-1"]).starts_with("action: ERRNO(65535) "));
    let arch = dir.file("arch.bpf", &word_probe(4).to_bytes());
    let low = AUDIT_ARCH_AARCH64 & 0xffff;
    assert!(errno(&arch, &["--arch", "arm64", "0"]).starts_with(&format!("action: ERRNO({low}) ")));
}

#[test]
fn emu_errors() {
    let dir = TempDir::new();
    let f = dir.file("f.bpf", &x86_64_filter().to_bytes());
    let f = p(&f);
    let msg = fails(&["emu", f, "--arch", "x86_64"]);
    assert!(msg.contains("missing the system call"), "{msg}");
    let msg = fails(&["emu", "--arch", "x86_64"]);
    assert!(msg.contains("missing the program file"), "{msg}");
    let msg = fails(&["emu", f, "--arch", "x86_64", "no_such_call"]);
    assert_eq!(
        msg,
        "unknown system call 'no_such_call' on x86_64 (give a name from its table or a number)"
    );
    let msg = fails(&["emu", f, "--arch", "x86_64", "socket", "12abc"]);
    assert!(msg.starts_with("'12abc' is not a number"), "{msg}");
    let msg = fails(&["emu", f, "--arch", "x86_64", "0x1_0000_0000"]);
    assert!(msg.contains("does not fit in 32 bits"), "{msg}");
    let msg = fails(&[
        "emu", f, "--arch", "x86_64", "0", "1", "2", "3", "4", "5", "6", "7",
    ]);
    assert_eq!(msg, "a system call has at most 6 arguments, 7 given");
    let msg = fails(&["emu", f, "--arch", "i386", "0", "0x1_0000_0000"]);
    assert_eq!(
        msg,
        "argument 0x1_0000_0000 does not fit in a 32-bit register"
    );
    let msg = fails(&["emu", f, "--arch", "vax", "0"]);
    assert!(
        msg.starts_with("unknown architecture 'vax' (known: x86_64,"),
        "{msg}"
    );
    let msg = fails(&["emu", f, "--arch"]);
    assert!(msg.contains("--arch"), "{msg}");
    let msg = fails(&["emu", f, "--frobnicate", "0"]);
    assert!(msg.contains("--frobnicate"), "{msg}");
    let msg = fails(&["emu", f, "-x", "0"]);
    assert!(msg.contains("-x"), "{msg}");
}

#[test]
fn unreadable_and_malformed_programs() {
    let dir = TempDir::new();
    let missing = dir.path("missing.bpf");
    let odd = dir.file("odd.bpf", &x86_64_filter().to_bytes()[..13]);
    let empty = dir.file("empty.bpf", b"");
    // No final RET: the kernel would refuse it.
    let no_ret = dir.file(
        "noret.bpf",
        &Program::new(vec![bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0)]).to_bytes(),
    );
    for cmd in [
        &["emu", "--arch", "x86_64", "FILE", "0"][..],
        &["stats", "--arch", "x86_64", "FILE"],
        &["disasm", "--arch", "x86_64", "FILE"],
    ] {
        let with = |file: &Path| -> Vec<String> {
            cmd.iter()
                .map(|a| if *a == "FILE" { p(file) } else { a }.to_string())
                .collect()
        };
        let msg = fails(&with(&missing));
        assert!(
            msg.starts_with(&format!("cannot read {}: ", missing.display())),
            "{msg}"
        );
        let msg = fails(&with(&odd));
        assert!(msg.contains("13 bytes is not a multiple of 8"), "{msg}");
        let msg = fails(&with(&empty));
        assert!(msg.contains("empty"), "{msg}");
        if cmd[0] != "disasm" {
            let msg = fails(&with(&no_ret));
            assert!(
                msg.contains("the kernel would reject this program"),
                "{msg}"
            );
            assert!(msg.contains("not a RET"), "{msg}");
        }
    }
    // A directory is not a readable file either.
    let msg = fails(&["stats", "--arch", "x86_64", p(&dir.0)]);
    assert!(msg.starts_with("cannot read "), "{msg}");
}

#[test]
fn command_line_errors() {
    let msg = fails::<&str>(&[]);
    assert!(msg.starts_with("no command given"), "{msg}");
    let msg = fails(&["frobnicate"]);
    assert!(
        msg.starts_with("unknown command 'frobnicate' (commands: "),
        "{msg}"
    );
    let msg = fails(&["help", "frobnicate"]);
    assert!(msg.starts_with("unknown command 'frobnicate'"), "{msg}");
    let msg = fails(&["--frobnicate"]);
    assert!(msg.contains("--frobnicate"), "{msg}");
    let msg = fails(&["stats", "a.bpf", "b.bpf"]);
    assert!(msg.contains("b.bpf"), "{msg}");
    let msg = fails(&["stats", "a.bpf", "--range", "9..1"]);
    assert!(msg.starts_with("bad range '9..1'"), "{msg}");
    // All 2^32 numbers would run for minutes: refused at once, with the cap.
    let start = std::time::Instant::now();
    let msg = fails(&["stats", "a.bpf", "--range", "0..4294967295"]);
    assert_eq!(
        msg,
        "range '0..4294967295' has 4294967296 numbers, more than the 65536 --range takes"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn stats_fields() {
    let dir = TempDir::new();
    let f = dir.file("f.bpf", &x86_64_filter().to_bytes());
    let out = ok(&["stats", p(&f), "--arch", "x86_64", "--range", "38..41"]);
    let field = |name: &str| -> String {
        let start = out
            .find(&format!("\n{name}"))
            .map(|i| i + 1)
            .or_else(|| out.starts_with(name).then_some(0))
            .unwrap_or_else(|| panic!("no {name} field in:\n{out}"));
        // A field runs to the next line that does not start with a space.
        let rest = &out[start + name.len()..];
        let end = rest
            .match_indices('\n')
            .map(|(i, _)| i)
            .find(|&i| !rest[i + 1..].starts_with(' '))
            .unwrap_or(rest.len());
        rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(field("length:"), "12 instructions (valid)");
    assert_eq!(
        field("arch:"),
        "x86_64 (audit arch 0xc000003e, little-endian)"
    );
    // 38: 7, 39 getpid: 5, 40: 7, 41 socket with zero arguments: 9.
    assert_eq!(
        field("numbers 38..41:"),
        "max 9 (syscall 41 socket), mean 7.00 instructions"
    );
    let n = Abi::X86_64.syscalls().len();
    let mean = (5.0 + 6.0 + 9.0 + 7.0 * (n - 3) as f64) / n as f64;
    assert_eq!(
        field(&format!("table: {n} syscalls:")),
        format!("max 9 (syscall 41 socket), mean {mean:.2} instructions")
    );
    assert_eq!(field("actions:"), format!("ERRNO(38) {}, ALLOW 3", n - 3));
    assert_eq!(
        field("cached:"),
        "2 of 3 syscalls allowed with zero arguments"
    );
    assert_eq!(field("cached syscalls:"), "getpid gettid");
    assert_eq!(field("allowed, not cached:"), "socket");

    // The default range is 0..1023; on i386 every call is killed after 3.
    let out = ok(&["stats", p(&f), "--arch", "i386"]);
    assert!(
        out.contains(
            "\nnumbers 0..1023: max 3 (syscall 0 restart_syscall), mean 3.00 instructions\n"
        ),
        "{out}"
    );
    assert!(out.contains("\ncached: 0 of 0 syscalls allowed"), "{out}");
    // x32: the numbers carry the x32 bit, and the kernel never caches them.
    let out = ok(&["stats", p(&f), "--arch", "x32"]);
    assert!(out.contains("\nnumbers 0x40000000..0x400003ff: "), "{out}");
    assert!(
        out.contains("note: the kernel never caches x32 calls"),
        "{out}"
    );
}

/// The text of [`x86_64_filter`], hand-written in the assembler's syntax.
const FILTER_TEXT: &str = "\
; getpid and gettid allowed, socket unless AF_VSOCK
.abi x86_64
    A = arch
    if A == AUDIT_ARCH_X86_64 goto native
    return KILL_PROCESS
native:
    A = nr
    if A == getpid goto allow
    if A == gettid goto allow
    if A != socket goto enosys
    A = args[0].lo
    if A != 40 goto allow
    return ERRNO(1)
allow:
    return ALLOW
enosys:
    return ERRNO(38)
";

#[test]
fn asm_then_disasm_then_asm() {
    let dir = TempDir::new();
    let src = dir.file("f.s", FILTER_TEXT.as_bytes());
    let bin = dir.path("f.bpf");
    assert_eq!(ok(&["asm", p(&src), "-o", p(&bin)]), "");
    let bytes = std::fs::read(&bin).unwrap();
    assert_eq!(bytes, x86_64_filter().to_bytes());

    // Raw bytes on standard output with `-o -` (not a terminal here).
    let out = seccompy(&["asm", p(&src), "-o", "-"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, bytes);

    let text = ok(&["disasm", p(&bin), "--arch", "x86_64"]);
    for piece in [
        "A = arch",
        "AUDIT_ARCH_X86_64",
        "getpid",
        "gettid",
        "socket",
        "A = args[0].lo",
        "return ERRNO(1)",
        "return ALLOW",
        "return KILL_PROCESS",
    ] {
        assert!(text.contains(piece), "{piece} missing in:\n{text}");
    }
    let again = dir.file("again.s", text.as_bytes());
    let bin2 = dir.path("again.bpf");
    ok(&["asm", p(&again), "--output", p(&bin2)]);
    assert_eq!(std::fs::read(&bin2).unwrap(), bytes);

    // Without indices and header, it still assembles to the same program.
    let bare = ok(&[
        "disasm",
        p(&bin),
        "--arch",
        "x86_64",
        "--no-indices",
        "--no-header",
    ]);
    assert!(!bare.contains("0000"), "{bare}");
    assert!(!bare.starts_with(';'), "{bare}");
    let bare_src = dir.file("bare.s", bare.as_bytes());
    ok(&["asm", p(&bare_src), "-o", p(&bin2)]);
    assert_eq!(std::fs::read(&bin2).unwrap(), bytes);

    // --arch stands in for a .abi line.
    let no_abi = FILTER_TEXT.replace(".abi x86_64\n", "");
    let no_abi = dir.file("noabi.s", no_abi.as_bytes());
    ok(&["asm", p(&no_abi), "--arch", "x86_64", "-o", p(&bin2)]);
    assert_eq!(std::fs::read(&bin2).unwrap(), bytes);
    let msg = fails(&["asm", p(&no_abi), "-o", p(&bin2)]);
    assert!(msg.contains("needs an ABI"), "{msg}");
}

#[test]
fn asm_errors() {
    let dir = TempDir::new();
    let out = dir.path("out.bpf");
    let bad = dir.file("bad.s", b"A = nr\nfrobnicate\nreturn ALLOW\n");
    let msg = fails(&["asm", p(&bad), "-o", p(&out)]);
    assert!(
        msg.starts_with(&format!("{}: line 2, column 1: ", bad.display())),
        "{msg}"
    );
    assert!(!out.exists());
    // A misspelt arch is an unknown architecture, not a syscall name.
    let frob = dir.file(
        "frob.s",
        b"A = arch
if A == AUDIT_ARCH_FROB goto x
x:
return ALLOW
",
    );
    let msg = fails(&["asm", p(&frob), "-o", p(&out)]);
    assert_eq!(
        msg,
        format!(
            "{}: line 2, column 9: unknown architecture \"AUDIT_ARCH_FROB\"",
            frob.display()
        )
    );
    // Valid syntax, but the kernel would refuse it: no final RET.
    let invalid = dir.file("invalid.s", b"A = nr\n");
    let msg = fails(&["asm", p(&invalid), "-o", p(&out)]);
    assert!(
        msg.contains("the kernel would reject this program"),
        "{msg}"
    );
    assert!(!out.exists());
    ok(&["asm", p(&invalid), "--allow-invalid", "-o", p(&out)]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        Program::new(vec![bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0)]).to_bytes()
    );
    // The disassembler prints it anyway, and says what is wrong.
    let text = ok(&["disasm", p(&out), "--arch", "x86_64"]);
    assert!(text.starts_with(';'), "{text}");
    assert!(text.contains("A = nr"), "{text}");

    let msg = fails(&["asm", p(&dir.path("missing.s")), "-o", p(&out)]);
    assert!(msg.starts_with("cannot read "), "{msg}");
    let latin1 = dir.file("latin1.s", b"; caf\xe9\nreturn ALLOW\n");
    let msg = fails(&["asm", p(&latin1), "-o", p(&out)]);
    assert!(msg.ends_with("not UTF-8 text"), "{msg}");
    let src = dir.file("ok.s", b"return ALLOW\n");
    let msg = fails(&["asm", p(&src), "-o", p(&dir.path("no/such/dir/out.bpf"))]);
    assert!(msg.starts_with("cannot write "), "{msg}");
    let msg = fails(&["asm", p(&src), "--arch", "nope"]);
    assert!(msg.starts_with("unknown architecture 'nope'"), "{msg}");
}

/// Whether `program` can be run (for the tests that need a C or Rust compiler).
fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The rustc of the toolchain running the tests: beside `$CARGO` (cargo sets it
/// for the tests it runs), else the one on the PATH.
fn rustc() -> String {
    std::env::var_os("CARGO")
        .map(|cargo| std::path::PathBuf::from(cargo).with_file_name("rustc"))
        .filter(|rustc| rustc.is_file())
        .map_or_else(|| "rustc".to_owned(), |rustc| rustc.display().to_string())
}

/// Compiles with `compiler` and `args`, runs the result and returns its stdout.
fn build_and_run(compiler: &str, args: &[&str], exe: &Path) -> Vec<u8> {
    let out = Command::new(compiler).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{compiler} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(exe).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn c_output_compiles_to_the_same_program() {
    // `cc` is also what rustc links with on Linux: where these tests were built,
    // it exists.
    assert!(have("cc"), "no C compiler named cc on the PATH");
    let dir = TempDir::new();
    let src = dir.file("f.s", FILTER_TEXT.as_bytes());
    let header = dir.path("filter.h");
    ok(&[
        "asm",
        p(&src),
        "--format",
        "c",
        "--name",
        "my_filter",
        "-o",
        p(&header),
    ]);
    let text = std::fs::read_to_string(&header).unwrap();
    assert!(
        text.contains("static struct sock_filter my_filter[] = {"),
        "{text}"
    );
    assert!(
        text.contains("BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0x4), /* A = arch */"),
        "{text}"
    );
    assert!(text.contains("/* return ERRNO(1) */"), "{text}");
    let main = dir.file(
        "main.c",
        b"#include <stdio.h>\n#include <stdint.h>\n#include \"filter.h\"\n\
          int main(void) {\n\
          \tfor (unsigned i = 0; i < my_filter_prog.len; i++) {\n\
          \t\tconst struct sock_filter *f = &my_filter_prog.filter[i];\n\
          \t\tuint8_t b[8] = { f->code & 0xff, f->code >> 8, f->jt, f->jf,\n\
          \t\t\tf->k & 0xff, (f->k >> 8) & 0xff, (f->k >> 16) & 0xff, f->k >> 24 };\n\
          \t\tfwrite(b, 1, 8, stdout);\n\
          \t}\n\treturn 0;\n}\n",
    );
    let exe = dir.path("main");
    let bytes = build_and_run(
        "cc",
        &["-std=c99", "-Wall", "-Werror", "-o", p(&exe), p(&main)],
        &exe,
    );
    assert_eq!(bytes, x86_64_filter().to_bytes());
}

#[test]
fn rust_output_compiles_to_the_same_program() {
    let rustc = rustc();
    assert!(
        have(&rustc),
        "no rustc beside cargo ({rustc}) nor on the PATH"
    );
    let dir = TempDir::new();
    let src = dir.file("f.s", FILTER_TEXT.as_bytes());
    let generated = dir.path("filter.rs");
    ok(&["asm", p(&src), "--format", "rust", "-o", p(&generated)]);
    let text = std::fs::read_to_string(&generated).unwrap();
    assert!(
        text.contains("pub const FILTER: [seccompy_sys::sock_filter; 12] = ["),
        "{text}"
    );
    assert!(text.contains("// return KILL_PROCESS"), "{text}");
    // seccompy_sys::sock_filter's fields, in a stand-in module.
    let main = dir.file(
        "main.rs",
        b"mod seccompy_sys {\n\
          \t#[allow(non_camel_case_types)]\n\
          \tpub struct sock_filter { pub code: u16, pub jt: u8, pub jf: u8, pub k: u32 }\n\
          }\n\
          include!(\"filter.rs\");\n\
          fn main() {\n\
          \tlet mut out = Vec::new();\n\
          \tfor f in FILTER.iter() {\n\
          \t\tout.extend_from_slice(&f.code.to_le_bytes());\n\
          \t\tout.extend_from_slice(&[f.jt, f.jf]);\n\
          \t\tout.extend_from_slice(&f.k.to_le_bytes());\n\
          \t}\n\
          \tstd::io::Write::write_all(&mut std::io::stdout(), &out).unwrap();\n\
          }\n",
    );
    let exe = dir.path("main");
    let bytes = build_and_run(
        &rustc,
        &[
            "--edition",
            "2024",
            "-D",
            "warnings",
            "-o",
            p(&exe),
            p(&main),
        ],
        &exe,
    );
    assert_eq!(bytes, x86_64_filter().to_bytes());
}

/// A default-allow profile: reboot and kexec_load fail with EPERM, socket with
/// EAFNOSUPPORT (97) for AF_VSOCK (40), mount with EPERM unless the container has
/// CAP_SYS_ADMIN, umount2 with EPERM from kernel 5.0 on.
const SMALL_PROFILE: &str = r#"{
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [
        {"names": ["reboot", "kexec_load"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
         "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_ERRNO",
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["umount2"], "action": "SCMP_ACT_ERRNO",
         "includes": {"minKernel": "5.0"}}
    ]
}"#;

/// The action `emu` prints, without the raw value.
fn action_of(file: &Path, args: &[&str]) -> String {
    let (action, _) = emu(file, args);
    let action = action.strip_prefix("action: ").expect("an action line");
    action.split(" (").next().unwrap().to_string()
}

#[test]
fn compile_a_profile() {
    let dir = TempDir::new();
    let profile = dir.file("small.json", SMALL_PROFILE.as_bytes());
    let bin = dir.path("small.bpf");
    assert_eq!(
        ok(&[
            "compile",
            p(&profile),
            "--arch",
            "x86_64",
            "--kernel",
            "6.1",
            "-o",
            p(&bin)
        ]),
        ""
    );
    let act = |args: &[&str]| {
        let mut all = vec!["--arch", "x86_64"];
        all.extend_from_slice(args);
        action_of(&bin, &all)
    };
    assert_eq!(act(&["getpid"]), "ALLOW");
    assert_eq!(act(&["reboot"]), "ERRNO(1)");
    assert_eq!(act(&["kexec_load"]), "ERRNO(1)");
    assert_eq!(act(&["socket", "40"]), "ERRNO(97)");
    assert_eq!(act(&["socket", "2"]), "ALLOW");
    // 64-bit comparison on x86_64: the high word counts.
    assert_eq!(act(&["socket", "0x1_0000_0028"]), "ALLOW");
    // Docker's default capabilities lack CAP_SYS_ADMIN; 6.1 is past 5.0.
    assert_eq!(act(&["mount"]), "ERRNO(1)");
    assert_eq!(act(&["umount2"]), "ERRNO(1)");
    // Other arches, x32 included, get libseccomp's default bad-arch action.
    assert_eq!(
        action_of(&bin, &["--arch", "i386", "getpid"]),
        "KILL_THREAD"
    );
    assert_eq!(action_of(&bin, &["--arch", "x32", "getpid"]), "KILL_THREAD");
    assert_eq!(
        action_of(&bin, &["--arch", "aarch64", "getpid"]),
        "KILL_THREAD"
    );

    // Capabilities and kernel version change which rules apply.
    for (caps, mount) in [
        ("sys_admin", "ALLOW"),
        ("CAP_SYS_ADMIN,CAP_NET_ADMIN", "ALLOW"),
        ("all", "ALLOW"),
        ("none", "ERRNO(1)"),
        ("default", "ERRNO(1)"),
        ("net_admin", "ERRNO(1)"),
    ] {
        ok(&[
            "compile",
            p(&profile),
            "--caps",
            caps,
            "--kernel",
            "4.19",
            "-o",
            p(&bin),
        ]);
        assert_eq!(
            action_of(&bin, &["--arch", "x86_64", "mount"]),
            mount,
            "--caps {caps}"
        );
        assert_eq!(
            action_of(&bin, &["--arch", "x86_64", "umount2"]),
            "ALLOW",
            "kernel 4.19"
        );
    }
    // Without --kernel, the running kernel's version decides (this machine's is
    // past 5.0).
    ok(&["compile", p(&profile), "--arch", "x86_64", "-o", p(&bin)]);
    let running = seccompy_sys::KernelVersion::running().unwrap();
    let expected = if running.major >= 5 {
        "ERRNO(1)"
    } else {
        "ALLOW"
    };
    assert_eq!(action_of(&bin, &["--arch", "x86_64", "umount2"]), expected);

    // The same program as C and Rust source.
    let c = ok(&["compile", p(&profile), "--kernel", "6.1", "--format", "c"]);
    assert!(
        c.starts_with("/* seccompy ")
            && c.contains("small.json for x86_64 (x86_64), caps default, kernel 6.1"),
        "{c}"
    );
    let raw = std::fs::read(&bin).unwrap();
    let stmts = c.matches("BPF_STMT(").count() + c.matches("BPF_JUMP(").count();
    assert_eq!(stmts, raw.len() / 8);
    let rust = ok(&[
        "compile",
        p(&profile),
        "--kernel",
        "6.1",
        "--format",
        "rust",
        "--name",
        "SMALL",
    ]);
    assert!(
        rust.contains(&format!(
            "pub const SMALL: [seccompy_sys::sock_filter; {}] = [",
            raw.len() / 8
        )),
        "{rust}"
    );

    // Flags are not part of the program: the generated source names them.
    let flagged = SMALL_PROFILE.replace(
        "\"defaultAction\"",
        "\"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"], \"defaultAction\"",
    );
    let flagged = dir.file("flagged.json", flagged.as_bytes());
    let c = ok(&["compile", p(&flagged), "--kernel", "6.1", "--format", "c"]);
    assert!(
        c.contains("; install with flags SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
        "{c}"
    );

    // A bundle's config.json.
    let config = format!(r#"{{"ociVersion": "1.0.2", "linux": {{"seccomp": {SMALL_PROFILE}}}}}"#);
    let config = dir.file("config.json", config.as_bytes());
    let from_config = dir.path("config.bpf");
    ok(&[
        "compile",
        p(&config),
        "--oci-config",
        "--kernel",
        "6.1",
        "-o",
        p(&from_config),
    ]);
    ok(&["compile", p(&profile), "--kernel", "6.1", "-o", p(&bin)]);
    assert_eq!(
        std::fs::read(&from_config).unwrap(),
        std::fs::read(&bin).unwrap()
    );
}

/// A JSON array is not a profile (runc refuses it), nor a raw program: one
/// clear error line from compile, audit and a profile source.
#[test]
fn json_array_is_not_a_profile() {
    let dir = TempDir::new();
    let array = dir.file("array.json", b"  [\"SCMP_ACT_ALLOW\"]\n");
    let a = p(&array);
    let want = format!("{a}: a seccomp profile is a JSON object, not an array (line 1, column 3)");
    assert_eq!(fails(&["compile", a, "-o", p(&dir.path("out.bpf"))]), want);
    assert_eq!(fails(&["audit", a, "--arch", "x86_64"]), want);
    // A live command's --profile (it fails before anything runs).
    assert_eq!(
        fails_with(125, &["run", "--profile", a, "--", "true"]),
        want
    );
    let config = dir.file("config.json", b"[{\"linux\": {}}]");
    let c = p(&config);
    assert_eq!(
        fails(&["compile", c, "--oci-config", "-o", p(&dir.path("out.bpf"))]),
        format!("{c}: an OCI config.json is a JSON object, not an array (line 1, column 1)")
    );
    assert!(!dir.path("out.bpf").exists());
}

#[test]
fn compile_errors() {
    let dir = TempDir::new();
    let profile = dir.file("small.json", SMALL_PROFILE.as_bytes());
    let out = dir.path("out.bpf");
    let pr = p(&profile);
    let o = p(&out);
    let msg = fails(&["compile", "-o", o]);
    assert!(msg.contains("missing the profile file"), "{msg}");
    let msg = fails(&["compile", p(&dir.path("missing.json")), "-o", o]);
    assert!(msg.starts_with("cannot read "), "{msg}");
    let bad = dir.file(
        "bad.json",
        b"{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}\n",
    );
    let msg = fails(&["compile", p(&bad), "-o", o]);
    assert!(msg.starts_with(&format!("{}: ", bad.display())), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    let unknown = dir.file(
        "unknown.json",
        br#"{"defaultAction": "SCMP_ACT_FROB", "syscalls": []}"#,
    );
    let msg = fails(&["compile", p(&unknown), "-o", o]);
    assert!(msg.contains("SCMP_ACT_FROB"), "{msg}");
    let empty = dir.file("empty.json", b"{}");
    let msg = fails(&["compile", p(&empty), "-o", o]);
    assert!(msg.contains("no filter"), "{msg}");
    let no_seccomp = dir.file("config.json", br#"{"ociVersion": "1.0.2", "linux": {}}"#);
    let msg = fails(&["compile", p(&no_seccomp), "--oci-config", "-o", o]);
    assert!(msg.contains("no linux.seccomp"), "{msg}");
    let msg = fails(&["compile", pr, "--caps", "sys_admin,frob", "-o", o]);
    assert!(msg.starts_with("--caps: unknown capability"), "{msg}");
    let msg = fails(&["compile", pr, "--kernel", "six", "-o", o]);
    assert!(
        msg.starts_with("--kernel: 'six' is not a kernel version"),
        "{msg}"
    );
    let msg = fails(&["compile", pr, "--format", "json", "-o", o]);
    assert_eq!(msg, "unknown format 'json' (formats: raw, c, rust)");
    let msg = fails(&["compile", pr, "--name", "9lives", "--format", "c"]);
    assert!(msg.starts_with("'9lives' is not an identifier"), "{msg}");
    let msg = fails(&["compile", pr, "--arch", "pdp11", "-o", o]);
    assert!(msg.starts_with("unknown architecture 'pdp11'"), "{msg}");
    assert!(!out.exists());
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // 4000 instructions disassemble to far more than a pipe holds, so the
    // command is still writing when the reader goes away.
    let mut insns = vec![bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0); 3999];
    insns.push(bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    let dir = TempDir::new();
    let f = dir.file("long.bpf", &Program::new(insns).to_bytes());
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompy"))
        .args(["disasm", p(&f), "--arch", "x86_64"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert_eq!(&first, b"; 4000 instructi");
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn compile_docker_default_then_emulate() {
    let profile = docker_default();
    let dir = TempDir::new();
    let bin = dir.path("docker.bpf");
    ok(&[
        "compile",
        p(&profile),
        "--arch",
        "x86_64",
        "--kernel",
        "6.1",
        "-o",
        p(&bin),
    ]);
    let act = |arch: &str, call: &[&str]| {
        let mut all = vec!["--arch", arch];
        all.extend_from_slice(call);
        action_of(&bin, &all)
    };
    // What the profile says, with Docker's default capabilities.
    assert_eq!(act("x86_64", &["getpid"]), "ALLOW");
    assert_eq!(act("x86_64", &["read", "3", "0x7fff0000", "4096"]), "ALLOW");
    assert_eq!(act("x86_64", &["socket", "2", "1", "0"]), "ALLOW"); // AF_INET
    assert_eq!(act("x86_64", &["socket", "39"]), "ALLOW");
    assert_eq!(act("x86_64", &["socket", "40"]), "ERRNO(1)"); // AF_VSOCK
    assert_eq!(act("x86_64", &["socket", "38"]), "ERRNO(1)");
    assert_eq!(act("x86_64", &["reboot"]), "ERRNO(1)"); // no CAP_SYS_BOOT
    assert_eq!(act("x86_64", &["personality", "0"]), "ALLOW");
    assert_eq!(act("x86_64", &["personality", "0xffffffff"]), "ALLOW");
    assert_eq!(act("x86_64", &["personality", "0x1234"]), "ERRNO(1)");
    assert_eq!(act("x86_64", &["clone", "0x11"]), "ALLOW"); // SIGCHLD
    assert_eq!(act("x86_64", &["clone", "0x10000000"]), "ERRNO(1)"); // CLONE_NEWUSER
    assert_eq!(act("x86_64", &["clone3"]), "ERRNO(38)");
    // The sub-architectures of x86_64 in Docker's archMap.
    assert_eq!(act("i386", &["getpid"]), "ALLOW");
    assert_eq!(act("x32", &["getpid"]), "ALLOW");
    assert_eq!(act("i386", &["reboot"]), "ERRNO(1)");
    // Another arch: libseccomp's default bad-arch action.
    assert_eq!(act("aarch64", &["getpid"]), "KILL_THREAD");

    // With every capability, reboot and clone3 are allowed.
    ok(&[
        "compile",
        p(&profile),
        "--caps",
        "all",
        "--kernel",
        "6.1",
        "-o",
        p(&bin),
    ]);
    assert_eq!(act("x86_64", &["reboot"]), "ALLOW");
    assert_eq!(act("x86_64", &["clone3"]), "ALLOW");

    // stats on it.
    let out = ok(&["stats", p(&bin), "--arch", "x86_64"]);
    let length: usize = out
        .strip_prefix("length: ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(length * 8, std::fs::read(&bin).unwrap().len());
    assert!(out.contains("\nnumbers 0..1023: max "), "{out}");
    assert!(out.contains("\ncached syscalls:\n  "), "{out}");
    // getpid is allowed whatever its arguments: the kernel can cache it.
    let cached =
        &out[out.find("\ncached syscalls:").unwrap()..out.find("\nallowed, not cached:").unwrap()];
    assert!(cached.split_whitespace().any(|n| n == "getpid"), "{out}");
    assert!(!cached.split_whitespace().any(|n| n == "socket"), "{out}");
}

#[test]
fn compiled_docker_default_decides_as_the_resolved_profile() {
    use seccompy_bpf::emulate::{ByteOrder, emulate_for};
    use seccompy_bpf::oci::{CapSet, KernelVersion, Profile, ResolveOptions};

    let profile = docker_default();
    let dir = TempDir::new();
    let bin = dir.path("docker.bpf");
    ok(&[
        "compile",
        p(&profile),
        "--arch",
        "x86_64",
        "--caps",
        "none",
        "--kernel",
        "5.4",
        "-o",
        p(&bin),
    ]);
    let prog = Program::from_bytes(&std::fs::read(&bin).unwrap()).unwrap();
    let json = std::fs::read_to_string(&profile).unwrap();
    let opts = ResolveOptions::new(Abi::X86_64, KernelVersion::new(5, 4)).with_caps(CapSet::none());
    let resolved = Profile::from_json(&json)
        .unwrap()
        .resolve(&opts)
        .unwrap()
        .unwrap();
    let arg_sets: [[u64; 6]; 4] = [
        [0; 6],
        [40, 1, 0, 0, 0, 0],
        [0x7e02_0000, 0x7e02_0000, 0, 0, 0, 0],
        [u64::MAX; 6],
    ];
    let mut checked = 0;
    for abi in [Abi::X86_64, Abi::I386, Abi::X32, Abi::Aarch64] {
        for &(nr, name) in abi.syscalls() {
            for args in &arg_sets {
                let data = seccomp_data {
                    nr: nr as i32,
                    arch: abi.audit_arch(),
                    instruction_pointer: 0,
                    args: *args,
                };
                let got = emulate_for(prog.insns(), &data, ByteOrder::of(abi)).unwrap();
                let want = resolved.evaluate(&data);
                assert_eq!(got.action(), Some(want), "{} {name} {args:x?}", abi.name());
                checked += 1;
            }
        }
    }
    assert!(checked > 4000, "{checked}");
}

/// The address space a run that reads an input up to its limit (4 MiB for a
/// profile) and refuses it gets: reading past the limit would fail to allocate
/// (and abort) instead of refusing with a message.
const SMALL_ADDRESS_SPACE: libc::rlim_t = 64 << 20;

/// Runs `seccompy args` in an address space of [`SMALL_ADDRESS_SPACE`],
/// feeding standard input from `feed` (in a thread) or from nothing, and
/// requires it to fail (status 2, one line on stderr) within 20 s: a run past
/// that is killed and the test fails. Returns the message without the
/// `seccompy: ` prefix.
fn refused(args: &[&str], feed: Option<fn(std::process::ChildStdin)>) -> String {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_seccompy"));
    command
        .args(args)
        .stdin(if feed.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only its argument.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: SMALL_ADDRESS_SPACE,
                rlim_max: SMALL_ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let writer = feed.map(|f| {
        let stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || f(stdin))
    });
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("seccompy {args:?} still ran after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    if let Some(w) = writer {
        w.join().unwrap();
    }
    let stderr = reader.join().unwrap();
    assert_eq!(
        status.code(),
        Some(2),
        "seccompy {args:?}: {status}, {stderr}"
    );
    assert_eq!(stderr.matches('\n').count(), 1, "not one line: {stderr:?}");
    stderr
        .strip_prefix("seccompy: ")
        .expect("prefix")
        .trim_end()
        .to_string()
}

#[test]
fn endless_inputs_are_refused_at_their_limit() {
    for (args, limit) in [
        (
            &["disasm", "/dev/zero", "--arch", "x86_64"][..],
            "more than 32 KiB, 4096 instructions",
        ),
        (
            &["emu", "/dev/zero", "--arch", "x86_64", "read"][..],
            "more than 32 KiB",
        ),
        (
            &["stats", "/dev/zero", "--arch", "x86_64"][..],
            "more than 32 KiB",
        ),
        (&["asm", "/dev/zero"][..], "more than 1 MiB"),
        (
            &["compile", "/dev/zero", "--arch", "x86_64"][..],
            "more than 4 MiB",
        ),
        (
            &["audit", "/dev/zero", "--arch", "x86_64"][..],
            "more than 4 MiB",
        ),
    ] {
        let m = refused(args, None);
        assert!(
            m.starts_with("/dev/zero: too large, ") && m.contains(limit),
            "{args:?}: {m}"
        );
    }
}

/// Writes `y\n` lines (as `yes` does) until the reader goes away, at most
/// 256 MiB; panics if the reader took all of it.
fn yes(mut stdin: std::process::ChildStdin) {
    let chunk = b"y\n".repeat(32 << 10);
    for _ in 0..(256 << 20) / chunk.len() {
        if std::io::Write::write_all(&mut stdin, &chunk).is_err() {
            return;
        }
    }
    panic!("seccompy read 256 MiB of standard input");
}

#[test]
fn an_endless_pipe_is_refused_at_the_limit() {
    let m = refused(&["compile", "-", "--arch", "x86_64"], Some(yes));
    assert_eq!(
        m,
        "-: too large, more than 4 MiB, seccompy's limit on a profile"
    );
    let m = refused(&["disasm", "-", "--arch", "x86_64"], Some(yes));
    assert!(m.starts_with("-: too large, more than 32 KiB"), "{m}");
}

#[test]
fn a_huge_default_action_gives_a_short_line() {
    let dir = TempDir::new();
    // 50 MB: refused by its size.
    let mut json = b"{\"defaultAction\": \"SCMP_ACT_".to_vec();
    json.resize(json.len() + (50 << 20), b'X');
    json.extend(b"\"}");
    let f = dir.file("huge.json", &json);
    let m = refused(&["compile", p(&f), "--arch", "x86_64"], None);
    assert!(m.ends_with("too large, more than 4 MiB, seccompy's limit on a profile"));
    assert!(m.len() < 200, "{m}");
    // 3 MB, under the limit: the unknown action is quoted by a short prefix.
    json.truncate(28 + (3 << 20));
    json.extend(b"\"}");
    let f = dir.file("large.json", &json);
    let m = fails(&["compile", p(&f), "--arch", "x86_64", "--kernel", "6.1"]);
    assert!(
        m.ends_with("large.json: defaultAction: unknown action \"SCMP_ACT_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\"…"),
        "{m}"
    );
    assert!(m.len() < 200, "{} bytes", m.len());
}
