//! `validate()` and `emulate()` against the running kernel.
//!
//! Thousands of random programs, most of them valid programs with one or two
//! mutations aimed at a rule of the kernel's checker, are handed to
//! `seccomp(SECCOMP_SET_MODE_FILTER)` in forked children; the kernel's verdict
//! (`EINVAL` or success) must be `validate()`'s.
//!
//! # How a child reports
//!
//! A rejected program installs nothing, so one child tries programs one after the
//! other and writes one record per rejection to a pipe. An accepted program *is*
//! installed, and from then on any syscall may be refused, trapped or kill the
//! child, `write` and `exit_group` included. So right after a successful
//! `seccomp()` the child executes an illegal instruction: the kernel delivers
//! `SIGILL` without the child making any syscall. The parent reads "killed by
//! `SIGILL`" as "accepted" for the program after the last rejection recorded,
//! and forks a new child for the rest. The child is made non-dumpable first so
//! that the `SIGILL` leaves no core dump behind.
//!
//! The parent waits for the child before it reads the pipe (each child writes at
//! most 32 KiB, less than a pipe holds), so it never depends on end-of-file, which
//! another test's forked child holding a copy of the pipe could delay.
#![cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64")
))]

use seccompy_bpf::emulate::{ByteOrder, emulate_for};
use seccompy_bpf::op::{InsnError, SECCOMP_OPCODES, SOCKET_ONLY_OPCODES};
use seccompy_bpf::validate::{ValidateError, validate};
use seccompy_bpf::{Assembler, Insn};
use seccompy_sys::*;

use seccompy_testing::Rng;

/// Constants that make comparisons sometimes true: small numbers, the probe
/// syscall numbers, the audit arch, the arguments' words, random values.
fn constant(rng: &mut Rng, args: &[u64; 6]) -> u32 {
    match rng.below(6) {
        0 => rng.below(4) as u32,
        1 => *rng.pick_ref(&[
            libc::SYS_getpid as u32,
            libc::SYS_getppid as u32,
            libc::SYS_gettid as u32,
        ]),
        2 => *rng.pick_ref(&[AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64]),
        3 => {
            let a = *rng.pick_ref(args);
            if rng.chance(50) {
                a as u32
            } else {
                (a >> 32) as u32
            }
        }
        4 => rng.below(64) as u32,
        _ => rng.next() as u32,
    }
}

/// A random program that is valid by construction (the scratch rule is repaired
/// afterwards), over opcodes seccomp accepts. `ip` says whether it may load the
/// instruction pointer (offsets 8 and 12).
fn valid_program(rng: &mut Rng, args: &[u64; 6], ip: bool) -> Vec<Insn> {
    let max = if rng.chance(10) { 120 } else { 24 };
    let len = 1 + rng.below(max) as usize;
    let mut p = Vec::with_capacity(len);
    for pc in 0..len - 1 {
        let code = *rng.pick_ref(SECCOMP_OPCODES);
        let rest = (len - pc - 2) as u64; // largest offset that stays inside
        let mut insn = bpf_stmt(code, constant(rng, args));
        match code {
            c if c == BPF_LD | BPF_W | BPF_ABS => loop {
                insn.k = 4 * rng.below(16) as u32;
                if ip || !(insn.k == 8 || insn.k == 12) {
                    break;
                }
            },
            c if c == BPF_ALU | BPF_DIV | BPF_K => insn.k = 1 + rng.below(9) as u32,
            c if c == BPF_ALU | BPF_LSH | BPF_K || c == BPF_ALU | BPF_RSH | BPF_K => {
                insn.k = rng.below(32) as u32;
            }
            c if c == BPF_LD | BPF_MEM || c == BPF_LDX | BPF_MEM || c == BPF_ST || c == BPF_STX => {
                insn.k = rng.below(16) as u32;
            }
            c if c == BPF_JMP | BPF_JA => insn.k = rng.below(rest.min(8) + 1) as u32,
            c if c == BPF_RET | BPF_K => insn.k = ret_value(rng),
            c if bpf_class(c) == BPF_JMP => {
                insn.jt = rng.below(rest.min(255).min(8) + 1) as u8;
                insn.jf = rng.below(rest.min(255).min(8) + 1) as u8;
            }
            _ => {}
        }
        p.push(insn);
    }
    p.push(if rng.chance(50) {
        bpf_stmt(BPF_RET | BPF_A, 0)
    } else {
        bpf_stmt(BPF_RET | BPF_K, ret_value(rng))
    });
    // Repair reads of unwritten scratch slots with a store just before.
    for _ in 0..64 {
        match validate(&p) {
            Err(ValidateError::Insn {
                pc,
                error: InsnError::UninitializedScratch { slot },
            }) => {
                p.insert(pc, bpf_stmt(BPF_ST, slot));
                fix_jumps_over(&mut p, pc);
            }
            _ => break,
        }
    }
    p
}

/// After an instruction was inserted at `at`, keeps the jumps that crossed that
/// point pointing at the same instructions (when the 8-bit offsets allow).
fn fix_jumps_over(p: &mut [Insn], at: usize) {
    for (pc, i) in p.iter_mut().enumerate().take(at) {
        if i.code == BPF_JMP | BPF_JA {
            if pc + 1 + i.k as usize > at {
                i.k += 1;
            }
        } else if bpf_class(i.code) == BPF_JMP {
            if pc + 1 + i.jt as usize > at {
                i.jt = i.jt.saturating_add(1);
            }
            if pc + 1 + i.jf as usize > at {
                i.jf = i.jf.saturating_add(1);
            }
        }
    }
}

fn ret_value(rng: &mut Rng) -> u32 {
    match rng.below(4) {
        0 => SECCOMP_RET_ALLOW,
        1 => SECCOMP_RET_ERRNO | rng.below(4096) as u32,
        2 => *rng.pick_ref(&[
            SECCOMP_RET_KILL_PROCESS,
            SECCOMP_RET_TRAP | 3,
            SECCOMP_RET_LOG,
        ]),
        _ => rng.next() as u32,
    }
}

/// One mutation aimed at one of the kernel's rules.
fn mutate(rng: &mut Rng, p: &mut Vec<Insn>, args: &[u64; 6]) {
    let len = p.len();
    let at = rng.below(len as u64) as usize;
    match rng.below(13) {
        // A jump offset around the end of the program.
        0 => {
            let rest = (len - at - 1) as u32; // first offset that leaves the program
            let off = rest.saturating_sub(1) + rng.below(3) as u32;
            p[at] = if rng.chance(40) {
                bpf_stmt(BPF_JMP | BPF_JA, off)
            } else {
                let code = *rng.pick_ref(&[
                    BPF_JMP | BPF_JEQ | BPF_K,
                    BPF_JMP | BPF_JGT | BPF_X,
                    BPF_JMP | BPF_JSET | BPF_K,
                ]);
                let off = off.min(255) as u8;
                if rng.chance(50) {
                    bpf_jump(code, 0, off, 0)
                } else {
                    bpf_jump(code, 0, 0, off)
                }
            };
        }
        // Any opcode at all, or one that only socket filters may use.
        1 => p[at].code = rng.below(0x100) as u16,
        2 => p[at].code = rng.next() as u16,
        3 => p[at].code = *rng.pick_ref(SOCKET_ONLY_OPCODES),
        // Division by a constant 0.
        4 => p.insert(
            at,
            bpf_stmt(
                *rng.pick_ref(&[BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_MOD | BPF_K]),
                0,
            ),
        ),
        // Shifts around 32.
        5 => p.insert(
            at,
            bpf_stmt(
                *rng.pick_ref(&[BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K]),
                30 + rng.below(5) as u32,
            ),
        ),
        // A scratch read that may come before any store, a slot around 16.
        6 => p.insert(
            at,
            bpf_stmt(
                *rng.pick_ref(&[BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM]),
                rng.below(16) as u32,
            ),
        ),
        7 => p.insert(
            at,
            bpf_stmt(
                *rng.pick_ref(&[BPF_ST, BPF_STX, BPF_LD | BPF_MEM]),
                15 + rng.below(3) as u32,
            ),
        ),
        // The code right after a RET, reached only by jumps.
        8 => {
            let slot = rng.below(16) as u32;
            p.insert(at, bpf_stmt(BPF_LD | BPF_MEM, slot));
            p.insert(at, bpf_stmt(BPF_RET | BPF_A, 0));
        }
        // No final RET.
        9 => {
            let last = p.len() - 1;
            p[last] = bpf_stmt(
                *rng.pick_ref(&[BPF_LD | BPF_IMM, BPF_MISC | BPF_TAX, BPF_JMP | BPF_JA]),
                0,
            );
        }
        // Word loads at any offset.
        10 => p[at] = bpf_stmt(BPF_LD | BPF_W | BPF_ABS, rng.below(72) as u32),
        // A random k or random jump offsets.
        11 => p[at].k = constant(rng, args),
        _ => {
            p[at].jt = rng.next() as u8;
            p[at].jf = rng.next() as u8;
        }
    }
}

/// The random corpus: mostly mutated valid programs, a few boundary cases.
fn corpus(rng: &mut Rng, n: usize, args: &[u64; 6]) -> Vec<Vec<Insn>> {
    let ret_a = bpf_stmt(BPF_RET | BPF_A, 0);
    let mut out = vec![
        vec![],
        vec![ret_a; BPF_MAXINSNS],
        vec![ret_a; BPF_MAXINSNS + 1],
    ];
    while out.len() < n {
        let mut p = valid_program(rng, args, true);
        if rng.chance(55) {
            for _ in 0..1 + rng.below(2) {
                mutate(rng, &mut p, args);
            }
        }
        out.push(p);
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Rejected(i32),
}

/// Dies without a syscall: an illegal instruction raises `SIGILL`.
fn die_without_syscall() -> ! {
    // SAFETY: the instruction only traps; the kernel kills the process (SIGILL
    // has its default disposition in the test's children).
    unsafe {
        #[cfg(any(target_arch = "x86_64", target_arch = "x86"))]
        core::arch::asm!("ud2", options(noreturn));
        #[cfg(target_arch = "aarch64")]
        core::arch::asm!("udf #0", options(noreturn));
    }
}

/// The body of a child: tries programs `start..end` and reports rejections.
///
/// # Safety
/// Runs in a freshly forked child of a multi-threaded process: only raw
/// syscalls, no allocation.
unsafe fn verdict_child(fprogs: &[sock_fprog], start: usize, end: usize, wfd: libc::c_int) -> ! {
    // SAFETY: plain syscalls on valid arguments; `fprogs` points into memory
    // copied by fork.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
        {
            libc::_exit(3);
        }
        for (i, f) in fprogs.iter().enumerate().take(end).skip(start) {
            let r = libc::syscall(
                libc::SYS_seccomp,
                SECCOMP_SET_MODE_FILTER as libc::c_long,
                0 as libc::c_long,
                f as *const sock_fprog,
            );
            if r == 0 {
                die_without_syscall();
            }
            let errno = *libc::__errno_location();
            let mut rec = [0u8; 8];
            rec[..4].copy_from_slice(&(i as u32).to_ne_bytes());
            rec[4..].copy_from_slice(&errno.to_ne_bytes());
            if libc::write(wfd, rec.as_ptr().cast(), 8) != 8 {
                libc::_exit(4);
            }
        }
        libc::_exit(0)
    }
}

/// A pipe whose read end does not block; both ends close on exec.
struct Pipe {
    r: libc::c_int,
    w: libc::c_int,
}

impl Pipe {
    fn new() -> Pipe {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
        assert_eq!(rc, 0, "pipe2");
        Pipe {
            r: fds[0],
            w: fds[1],
        }
    }

    /// Everything that is in the pipe now.
    fn drain(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reading into a local buffer of the given size.
            let n = unsafe { libc::read(self.r, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n as usize]);
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // SAFETY: closing descriptors this struct owns.
        unsafe {
            libc::close(self.r);
            libc::close(self.w);
        }
    }
}

/// Forks, runs `child` in the child (exit code 99 if it returns), waits, and
/// returns the wait status.
fn fork_and_wait(child: impl FnOnce()) -> libc::c_int {
    let pid = seccompy_testing::fork(|| {
        child();
        99
    })
    .expect("fork");
    seccompy_testing::wait_status(pid)
}

/// The kernel's verdict on every program.
fn kernel_verdicts(progs: &[Vec<Insn>]) -> (Vec<Verdict>, usize) {
    let fprogs: Vec<sock_fprog> = progs
        .iter()
        .map(|p| sock_fprog {
            len: p.len() as u16,
            filter: p.as_ptr().cast_mut(),
        })
        .collect();
    let pipe = Pipe::new();
    let mut verdicts = Vec::with_capacity(progs.len());
    let mut forks = 0;
    while verdicts.len() < progs.len() {
        let start = verdicts.len();
        let end = progs.len().min(start + 4096);
        // SAFETY: the child only makes raw syscalls (see `verdict_child`).
        let status = fork_and_wait(|| unsafe { verdict_child(&fprogs, start, end, pipe.w) });
        forks += 1;
        let bytes = pipe.drain();
        for rec in bytes.chunks_exact(8) {
            let i = u32::from_ne_bytes(rec[..4].try_into().unwrap()) as usize;
            let errno = i32::from_ne_bytes(rec[4..].try_into().unwrap());
            assert_eq!(i, verdicts.len(), "records arrive in order");
            verdicts.push(Verdict::Rejected(errno));
        }
        if libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGILL {
            verdicts.push(Verdict::Accepted);
        } else {
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "child failed: status {status:#x}"
            );
            assert_eq!(verdicts.len(), end);
        }
    }
    (verdicts, forks)
}

#[test]
fn validate_agrees_with_the_kernel() {
    let mut rng = Rng(0x5ecc_0b9f_0000_0001);
    let args = [1, 2, 0xffff_ffff, 1 << 32, 0x7fff_0000, 39];
    let progs = corpus(&mut rng, 2400, &args);
    let (verdicts, forks) = kernel_verdicts(&progs);
    let mut accepted = 0;
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for (p, v) in progs.iter().zip(&verdicts) {
        let ours = validate(p);
        match (v, ours) {
            (Verdict::Accepted, Ok(())) => accepted += 1,
            (Verdict::Rejected(libc::EINVAL), Err(e)) => {
                // A bad instruction is counted by what is wrong with it.
                let name = match e {
                    ValidateError::Insn { error, .. } => format!("{error:?}"),
                    e => format!("{e:?}"),
                };
                let name = name.split([' ', '{']).next().unwrap_or("").to_string();
                *reasons.entry(name).or_default() += 1;
            }
            (v, ours) => panic!("kernel says {v:?}, validate says {ours:?} for {p:?}"),
        }
    }
    let rejected = progs.len() - accepted;
    eprintln!(
        "{} programs: {accepted} accepted, {rejected} rejected, in {forks} children; reasons {reasons:?}",
        progs.len()
    );
    // Both verdicts are well represented, and so is every kind of rejection.
    assert!(accepted >= progs.len() / 4 && rejected >= progs.len() / 4);
    for r in [
        "Empty",
        "TooLong",
        "UnknownOpcode",
        "NotForSeccomp",
        "BadLoad",
        "DivisionByZero",
        "ShiftTooFar",
        "BadScratchSlot",
        "JumpOutOfRange",
        "NoFinalReturn",
        "UninitializedScratch",
    ] {
        assert!(reasons.contains_key(r), "no program rejected for {r}");
    }
}

/// The three syscalls the filter under test decides.
const PROBES: [libc::c_long; 3] = [libc::SYS_getpid, libc::SYS_getppid, libc::SYS_gettid];

/// Wraps `prog` so that its 32-bit result becomes observable: calls other than
/// the probes are allowed; for probe `c`, every `RET` of `prog` becomes a jump to
/// an epilogue that returns `ERRNO((ret >> 11c) & 0x7ff)`.
fn observable(prog: &[Insn]) -> Vec<Insn> {
    let mut a = Assembler::new();
    let body = a.label();
    let epilogue = a.label();
    let labels: Vec<_> = prog.iter().map(|_| a.label()).collect();
    a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
    for nr in PROBES {
        let next = a.label();
        a.jump(BPF_JMP | BPF_JEQ | BPF_K, nr as u32, body, next);
        a.bind(next);
    }
    a.stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    a.bind(body);
    a.stmt(BPF_LD | BPF_IMM, 0); // A starts at 0 in the kernel.
    for (pc, insn) in prog.iter().enumerate() {
        a.bind(labels[pc]);
        let code = insn.code;
        if code == BPF_RET | BPF_K {
            a.stmt(BPF_LD | BPF_IMM, insn.k);
            a.ja(epilogue);
        } else if code == BPF_RET | BPF_A {
            a.ja(epilogue);
        } else if code == BPF_JMP | BPF_JA {
            a.ja(labels[pc + 1 + insn.k as usize]);
        } else if bpf_class(code) == BPF_JMP {
            let t = labels[pc + 1 + insn.jt as usize];
            let f = labels[pc + 1 + insn.jf as usize];
            a.jump(code, insn.k, t, f);
        } else {
            a.insn(*insn);
        }
    }
    a.bind(epilogue);
    a.stmt(BPF_ST, 15);
    let shifts: Vec<_> = (0..3).map(|_| a.label()).collect();
    a.stmt(BPF_LD | BPF_W | BPF_ABS, 0);
    a.jump(
        BPF_JMP | BPF_JEQ | BPF_K,
        PROBES[0] as u32,
        shifts[0],
        shifts[1],
    );
    a.bind(shifts[1]);
    let s2 = a.label();
    a.jump(BPF_JMP | BPF_JEQ | BPF_K, PROBES[1] as u32, s2, shifts[2]);
    let tail = a.label();
    for (c, l) in [(0, shifts[0]), (1, s2), (2, shifts[2])] {
        a.bind(l);
        a.stmt(BPF_LD | BPF_MEM, 15);
        a.stmt(BPF_ALU | BPF_RSH | BPF_K, 11 * c);
        a.ja(tail);
    }
    a.bind(tail);
    a.stmt(BPF_ALU | BPF_AND | BPF_K, 0x7ff);
    a.stmt(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO);
    a.stmt(BPF_RET | BPF_A, 0);
    a.finish().expect("the wrapper assembles").into_insns()
}

/// The child of the emulator test: installs the filter, makes the three probe
/// calls and writes `(c, result, errno)` after each, then exits (allowed).
///
/// # Safety
/// As [`verdict_child`].
unsafe fn probe_child(f: &sock_fprog, args: &[u64; 6], wfd: libc::c_int) -> ! {
    // SAFETY: plain syscalls on valid arguments.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
        {
            libc::_exit(3);
        }
        let r = libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER as libc::c_long,
            0 as libc::c_long,
            f as *const sock_fprog,
        );
        if r != 0 {
            libc::_exit(5);
        }
        for (c, nr) in PROBES.iter().enumerate() {
            *libc::__errno_location() = 0;
            let r = libc::syscall(*nr, args[0], args[1], args[2], args[3], args[4], args[5]);
            let e = *libc::__errno_location();
            let mut rec = [0u8; 12];
            rec[..4].copy_from_slice(&(c as u32).to_ne_bytes());
            rec[4..8].copy_from_slice(&(r as i32).to_ne_bytes());
            rec[8..].copy_from_slice(&e.to_ne_bytes());
            if libc::write(wfd, rec.as_ptr().cast(), 12) != 12 {
                libc::_exit(4);
            }
        }
        libc::_exit(0)
    }
}

#[test]
fn emulate_agrees_with_the_kernel() {
    let mut rng = Rng(0x5ecc_0b9f_0000_0002);
    let pipe = Pipe::new();
    let mut compared = 0;
    let mut kills = 0;
    let mut programs = 0;
    let alu_x = |op: u16, a: u32, x: u32| {
        vec![
            bpf_stmt(BPF_LD | BPF_IMM, a),
            bpf_stmt(BPF_LDX | BPF_IMM, x),
            bpf_stmt(BPF_ALU | op | BPF_X, 0),
            bpf_stmt(BPF_RET | BPF_A, 0),
        ]
    };
    let fixed = [
        // Shifts by X use its low 5 bits.
        alu_x(BPF_LSH, 0x8765_4321, 33),
        alu_x(BPF_RSH, 0x8765_4321, 36),
        alu_x(BPF_LSH, 0x8765_4321, 0xffff_ffff),
        alu_x(BPF_RSH, 0x8765_4321, 32),
        // Division by an X of 0 ends the program with 0.
        alu_x(BPF_DIV, 7, 0),
        // Wrapping arithmetic, unsigned division.
        alu_x(BPF_MUL, 0xffff_fff1, 0x1234_5679),
        alu_x(BPF_SUB, 3, 5),
        alu_x(BPF_DIV, 0xffff_fff0, 3),
        vec![
            bpf_stmt(BPF_LD | BPF_IMM, 5),
            bpf_stmt(BPF_ALU | BPF_NEG, 0),
            bpf_stmt(BPF_RET | BPF_A, 0),
        ],
        vec![
            bpf_stmt(BPF_LD | BPF_W | BPF_LEN, 0),
            bpf_stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
            bpf_stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
            bpf_stmt(BPF_RET | BPF_A, 0),
        ],
    ];
    while programs < 300 {
        let mut args = [0u64; 6];
        for a in &mut args {
            *a = match rng.below(3) {
                0 => rng.below(8),
                1 => rng.next(),
                _ => rng.next() & 0xffff_ffff,
            };
        }
        // First the corner cases the semantics hinge on, then random programs.
        let prog = match fixed.get(programs) {
            Some(p) => p.clone(),
            None => valid_program(&mut rng, &args, false),
        };
        if validate(&prog).is_err() {
            continue;
        }
        let wrapped = observable(&prog);
        validate(&wrapped).expect("the wrapper of a valid program is valid");
        programs += 1;
        let f = sock_fprog {
            len: wrapped.len() as u16,
            filter: wrapped.as_ptr().cast_mut(),
        };
        // SAFETY: the child only makes raw syscalls (see `probe_child`).
        let status = fork_and_wait(|| unsafe { probe_child(&f, &args, pipe.w) });
        let bytes = pipe.drain();
        let recs: Vec<_> = bytes.chunks_exact(12).collect();
        for (c, nr) in PROBES.iter().enumerate() {
            // The pid numbers do not matter: the filter decides every probe.
            let data = seccomp_data {
                nr: *nr as i32,
                arch: AUDIT_ARCH_X86_64,
                instruction_pointer: 0,
                args,
            };
            let expected =
                emulate_for(&wrapped, &data, ByteOrder::HOST).expect("valid program runs");
            let unwrapped = emulate_for(&prog, &data, ByteOrder::HOST).expect("valid program runs");
            // The wrapper returns ERRNO(chunk) of the program's result, or 0 when
            // the program divided by an X of 0.
            if let Some(rec) = recs.get(c) {
                let r = i32::from_ne_bytes(rec[4..8].try_into().unwrap());
                let e = i32::from_ne_bytes(rec[8..].try_into().unwrap());
                let data_bits = expected.ret & SECCOMP_RET_DATA;
                assert_eq!(expected.ret & SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ERRNO);
                assert_eq!(data_bits, (unwrapped.ret >> (11 * c)) & 0x7ff);
                let observed = if r == -1 { e as u32 } else { 0 };
                assert!(r == -1 || r == 0, "probe {c} ran: {r}");
                assert_eq!(observed, data_bits, "probe {c} of {prog:?} with {args:x?}");
                compared += 1;
            } else {
                // Killed at this probe: the filter returned KILL_THREAD.
                assert_eq!(expected.ret, 0, "probe {c} of {prog:?}: status {status:#x}");
                assert_eq!(unwrapped.ret, 0);
                assert!(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGSYS);
                kills += 1;
                break;
            }
        }
    }
    eprintln!(
        "{programs} programs, {compared} probe results compared, {kills} kills by division by zero"
    );
    assert!(compared >= 600);
}
