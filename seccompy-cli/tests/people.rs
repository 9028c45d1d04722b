//! What a person (or a script) reads: `emu`'s path and decoded call, symbolic
//! arguments, suggestions for misspellings, and `--json` documents.

use std::path::Path;

use seccompy_bpf::Program;
use seccompy_sys::*;

mod support;
use support::{TempDir, docker_default, seccompy};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// x86_64: socket refused with ERRNO(1) when the low word of args[0] is 40
/// (AF_VSOCK), everything else allowed.
fn vsock_filter() -> Program {
    Program::new(vec![
        /* 0 */ bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        /* 1 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 41, 0, 3),
        /* 2 */ bpf_stmt(BPF_LD | BPF_W | BPF_ABS, 16),
        /* 3 */ bpf_jump(BPF_JMP | BPF_JEQ | BPF_K, 40, 0, 1),
        /* 4 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
        /* 5 */ bpf_stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    ])
}

fn run_ok(args: &[&str]) -> String {
    let out = seccompy(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn run_fails(args: &[&str]) -> String {
    let out = seccompy(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn emu_shows_the_decoded_call_and_the_path() {
    let dir = TempDir::new();
    let f = dir.program("v.bpf", &vsock_filter());
    let out = run_ok(&[
        "emu",
        p(&f),
        "--arch",
        "x86_64",
        "socket",
        "AF_VSOCK",
        "SOCK_STREAM|SOCK_CLOEXEC",
        "0",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "action: ERRNO(1) (0x00050001)");
    assert_eq!(lines[1], "executed: 5 instructions");
    assert_eq!(
        lines[2],
        "call: socket(AF_VSOCK, SOCK_STREAM|SOCK_CLOEXEC, 0)"
    );
    assert_eq!(lines[3], "path:");
    let path: Vec<&str> = lines[4..].iter().map(|l| l.trim_start()).collect();
    assert_eq!(path.len(), 5, "{out}");
    assert!(
        path[0].starts_with("0000  A = nr") && path[0].ends_with("A = 0x29"),
        "{out}"
    );
    assert!(path[1].starts_with("0001  if A != socket"), "{out}");
    assert!(
        path[2].starts_with("0002  A = args[0].lo") && path[2].ends_with("A = 0x28"),
        "{out}"
    );
    assert!(path[4].starts_with("0004  return ERRNO(1)"), "{out}");
    // -q: the result only; the same action from numbers.
    let quiet = run_ok(&[
        "emu",
        p(&f),
        "--arch",
        "x86_64",
        "-q",
        "socket",
        "40",
        "0x80001",
    ]);
    assert_eq!(
        quiet,
        "action: ERRNO(1) (0x00050001)\nexecuted: 5 instructions\n"
    );
}

#[test]
fn misspellings_get_suggestions() {
    let dir = TempDir::new();
    let f = dir.program("v.bpf", &vsock_filter());
    let err = run_fails(&["emu", p(&f), "--arch", "x86_64", "sockte"]);
    assert_eq!(
        err,
        "seccompy: unknown system call 'sockte' on x86_64 (did you mean 'socket'?)\n"
    );
    let err = run_fails(&["emu", p(&f), "--arch", "x86_64", "socket", "AF_VSOK"]);
    assert_eq!(
        err,
        "seccompy: 'AF_VSOK' is not a number nor a constant of argument 0 (family) (did you mean 'AF_VSOCK'?)\n"
    );
    let err = run_fails(&[
        "emu",
        p(&f),
        "--arch",
        "x86_64",
        "socket",
        "40",
        "SOCK_STREAM|SOCK_CLOEXC",
    ]);
    assert!(
        err.contains("'SOCK_CLOEXC'") && err.contains("did you mean 'SOCK_CLOEXEC'?"),
        "{err}"
    );
}

#[test]
fn emu_json_parses() {
    let dir = TempDir::new();
    let f = dir.program("v.bpf", &vsock_filter());
    let out = run_ok(&[
        "emu",
        p(&f),
        "--arch",
        "x86_64",
        "--json",
        "socket",
        "AF_VSOCK",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema"], "seccompy.emu/1");
    assert_eq!(doc["syscall"], "socket");
    assert_eq!(doc["nr"], 41);
    assert_eq!(doc["args"][0], 40);
    assert_eq!(doc["call"], "socket(AF_VSOCK, 0, 0)");
    assert_eq!(doc["action"], "ERRNO(1)");
    assert_eq!(doc["value"], SECCOMP_RET_ERRNO | 1);
    assert_eq!(doc["executed"], 5);
    let pcs: Vec<u64> = doc["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pc"].as_u64().unwrap())
        .collect();
    assert_eq!(pcs, [0, 1, 2, 3, 4]);
    assert_eq!(doc["path"][2]["a"], 40);
}

#[test]
fn stats_json_parses() {
    let dir = TempDir::new();
    let f = dir.program("v.bpf", &vsock_filter());
    let out = run_ok(&["stats", p(&f), "--arch", "x86_64", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema"], "seccompy.stats/1");
    assert_eq!(doc["length"], 6);
    assert_eq!(doc["arch"], "x86_64");
    assert_eq!(doc["table"]["max"], 5);
    assert_eq!(doc["table"]["slowest_name"], "socket");
    assert_eq!(doc["numbers"]["from"], 0);
    assert_eq!(doc["numbers"]["to"], 1023);
    // Every call but socket is allowed with zero arguments and cached; socket
    // depends on its argument.
    let cached = doc["cached"].as_array().unwrap();
    assert!(cached.iter().any(|n| n == "getpid"));
    assert!(!cached.iter().any(|n| n == "socket"));
    assert_eq!(doc["allowed_not_cached"], serde_json::json!(["socket"]));
}

/// `seccompy` with `args`, `input` on its standard input.
fn seccompy_reading(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_seccompy"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run the seccompy binary");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// `audit -` reads standard input once: a profile or a program audited from a
/// pipe gives the findings the same file gives (it was read a second time,
/// and then empty, to compile and to judge the profile).
#[test]
fn audit_reads_standard_input_once() {
    let dir = TempDir::new();
    let program = dir.program("vsock.bpf", &vsock_filter());
    for file in [docker_default(), program] {
        let args = |f: &str| ["audit", f, "--arch", "x86_64", "--json"].map(String::from);
        let from_file = seccompy(&args(p(&file)));
        let input = std::fs::read(&file).unwrap();
        let piped = args("-");
        let piped: Vec<&str> = piped.iter().map(String::as_str).collect();
        let from_pipe = seccompy_reading(&piped, &input);
        assert!(
            from_file.stderr.is_empty(),
            "{}: {}",
            file.display(),
            text(&from_file.stderr)
        );
        assert_eq!(text(&from_pipe.stderr), "", "{}", file.display());
        assert_eq!(text(&from_pipe.stdout), text(&from_file.stdout));
        assert_eq!(from_pipe.status.code(), from_file.status.code());
        let doc: serde_json::Value = serde_json::from_slice(&from_pipe.stdout).unwrap();
        assert!(!doc["findings"].as_array().unwrap().is_empty(), "{doc}");
    }
}

#[test]
fn audit_json_parses() {
    let out = seccompy(&["audit", p(&docker_default()), "--arch", "x86_64", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    assert_eq!(doc["schema"], "seccompy.audit/1");
    let findings = doc["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert!(
            f["severity"].is_string() && f["kind"].is_string() && f["detail"].is_string(),
            "{f}"
        );
    }
    // The exit status still follows --fail-on.
    assert_eq!(
        out.status.code(),
        doc["failed"].as_bool().map(|f| if f { 1 } else { 0 })
    );
}

#[test]
fn disasm_names_arguments_and_shows_raw_columns() {
    let dir = TempDir::new();
    let f = dir.program("v.bpf", &vsock_filter());
    let out = run_ok(&["disasm", p(&f), "--arch", "x86_64", "--no-header"]);
    assert!(out.contains("0002  A = args[0].lo  ; family\n"), "{out}");
    assert!(
        out.contains("0003  if A != 40 goto allow  ; AF_VSOCK\n"),
        "{out}"
    );
    let raw = run_ok(&["disasm", p(&f), "--arch", "x86_64", "--raw", "--no-header"]);
    assert!(
        raw.contains("0000  0x0020 0x00 0x00 0x00000000  A = nr\n"),
        "{raw}"
    );
    assert!(
        raw.contains("0004  0x0006 0x00 0x00 0x00050001  return ERRNO(1)\n"),
        "{raw}"
    );
}

#[test]
fn trace_to_standard_output_writes_the_profile_alone() {
    let out = seccompy(&["trace", "-o", "-", "--", "echo", "hello from the command"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Standard output is the profile, whole; the command's output went to
    // standard error.
    let profile: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("standard output is the profile alone");
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO");
    assert!(text(&out.stderr).contains("hello from the command\n"));
}

/// The three completion scripts and the man page.
fn generated() -> (String, String, String, String) {
    let get = |args: &[&str]| run_ok(args);
    (
        get(&["completions", "bash"]),
        get(&["completions", "zsh"]),
        get(&["completions", "fish"]),
        get(&["man"]),
    )
}

#[test]
fn completions_and_man_page_come_from_the_definitions() {
    let (bash, zsh, fish, man) = generated();
    // Every option of every command with a definition is offered, with the
    // values it takes.
    for script in [&bash, &zsh, &fish] {
        for word in [
            "--log-denied",
            "--fail-on",
            "--no-header",
            "--limit",
            "--names-only",
            "--buffer-kb",
            "--allow-uid",
            "keeper",
            "tracefs",
            "x86_64",
            "critical",
        ] {
            let word = if std::ptr::eq(script, &fish) {
                word.trim_start_matches("--")
            } else {
                word
            };
            assert!(script.contains(word), "{word} missing:\n{script}");
        }
    }
    assert!(bash.ends_with("complete -F _seccompy seccompy\n"));
    assert!(zsh.starts_with("#compdef seccompy\n"));
    // bash is everywhere these tests run: the script parses.
    let dir = TempDir::new();
    let script = dir.file("seccompy.bash", bash.as_bytes());
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
    // A completion run: `seccompy emu --ar<TAB>`.
    let run = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(seccompy emu --ar); COMP_CWORD=2; _seccompy; echo \"${{COMPREPLY[@]}}\"",
            p(&script)
        ))
        .output()
        .unwrap();
    assert_eq!(text(&run.stdout), "--arch\n", "{}", text(&run.stderr));
    // The man page holds every command's help text.
    assert!(man.starts_with(".TH SECCOMPY 1 "), "{man}");
    for name in [
        "compile", "disasm", "asm", "emu", "stats", "run", "dump", "audit", "trace", "agent",
    ] {
        assert!(man.contains(&format!("\n.SS {name}\n")), "{name}");
    }
    assert!(man.contains("\\-\\-log\\-denied"), "{man}");
    // trace's and agent's options, not a pointer to their --help.
    assert!(man.contains("\\-\\-names\\-only"), "{man}");
    assert!(
        man.contains("seccompy agent keeper \\-\\-socket PATH"),
        "{man}"
    );
    assert!(!man.contains("See \\fBseccompy"), "{man}");
    assert!(man.contains(".SH EXIT STATUS"));
    assert!(
        !man.lines()
            .any(|l| l.starts_with('.') && l.starts_with(". "))
    );
    // unknown shells get a suggestion.
    let err = run_fails(&["completions", "bsah"]);
    assert!(err.contains("did you mean 'bash'?"), "{err}");
}

/// Runs `tool args… FILE` on `contents`; panics with its output unless it
/// succeeds silently.
fn check_with(tool: &str, args: &[&str], contents: &str) {
    let dir = TempDir::new();
    let file = dir.file("generated", contents.as_bytes());
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("this test needs {tool} on the PATH: {e}"));
    assert!(out.status.success(), "{tool}: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{tool}: {}", text(&out.stderr));
}

#[test]
#[ignore = "needs zsh and fish"]
fn zsh_and_fish_scripts_parse() {
    let (_, zsh, fish, _) = generated();
    check_with("zsh", &["-n"], &zsh);
    check_with("fish", &["--no-execute"], &fish);
}

#[test]
#[ignore = "needs groff"]
fn the_man_page_renders_without_warnings() {
    let (_, _, _, man) = generated();
    check_with("groff", &["-man", "-ww", "-z"], &man);
}

#[test]
fn dump_json_of_a_process_without_filters() {
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let out = seccompy(&["dump", &pid, "--json"]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(doc["schema"], "seccompy.dump/1");
    assert_eq!(doc["pid"].to_string(), pid);
    assert_eq!(doc["threads"][0]["mode"], "none");
    assert_eq!(doc["threads"][0]["filters"], serde_json::json!([]));
}
