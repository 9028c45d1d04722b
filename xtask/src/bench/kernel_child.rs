//! The children of `cargo xtask bench-kernel`: the calls measured, and one forked
//! child per measurement that installs a program, times the calls in batches and
//! reports through a pipe, allocation-free after the fork.

use std::fs::File;
use std::io::Read as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use seccompy::FilterFlags;
use seccompy_bpf::Insn;

/// Calls made before each timed batch.
pub const WARMUP: u64 = 2_000;

/// The calls measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// `getppid()`: allowed whatever its arguments, so cacheable.
    Getppid,
    /// `personality(0xffffffff)`: allowed after an argument check.
    Personality,
    /// `socket(40, SOCK_STREAM, 0)`: denied by its first argument (AF_VSOCK).
    Socket,
    /// `syscall(1000)`: a number no table has.
    Unknown,
}

/// Every call, in table order (their index is `call as usize`).
pub const CALLS: [Call; 4] = [
    Call::Getppid,
    Call::Personality,
    Call::Socket,
    Call::Unknown,
];

impl Call {
    pub fn label(self) -> &'static str {
        match self {
            Call::Getppid => "getppid()",
            Call::Personality => "personality(0xffffffff)",
            Call::Socket => "socket(40, SOCK_STREAM, 0)",
            Call::Unknown => "syscall(1000)",
        }
    }

    pub fn nr(self) -> libc::c_long {
        match self {
            Call::Getppid => libc::SYS_getppid,
            Call::Personality => libc::SYS_personality,
            Call::Socket => libc::SYS_socket,
            Call::Unknown => 1000,
        }
    }

    pub fn args(self) -> [u64; 6] {
        match self {
            Call::Getppid | Call::Unknown => [0; 6],
            Call::Personality => [0xffff_ffff, 0, 0, 0, 0, 0],
            Call::Socket => [40, libc::SOCK_STREAM as u64, 0, 0, 0, 0],
        }
    }

    /// What Docker's default profile decides for the call on x86_64 under runc:
    /// getppid and personality(0xffffffff) allowed, socket(AF_VSOCK, ..) refused
    /// with EPERM by its argument rule, and a number beyond every table ENOSYS
    /// (runc's stub).
    pub fn docker_decision(self) -> u32 {
        let errno = |e: i32| seccompy_sys::SECCOMP_RET_ERRNO | e as u32;
        match self {
            Call::Getppid | Call::Personality => seccompy_sys::SECCOMP_RET_ALLOW,
            Call::Socket => errno(libc::EPERM),
            Call::Unknown => errno(libc::ENOSYS),
        }
    }

    /// The call the kernel's action cache is expected to take (outside the target).
    pub fn cacheable(self) -> bool {
        self == Call::Getppid
    }

    /// Whether the call is left out without a filter: unfiltered, `socket(40, ..)`
    /// would create a vsock socket, work the filters never let it reach. Its
    /// baseline is the bare call's, `syscall(1000)` without a filter.
    pub fn skipped_unfiltered(self) -> bool {
        self == Call::Socket
    }

    /// Makes the call: its result, or minus its errno. Allocation-free.
    pub fn invoke(self) -> i64 {
        let [a, b, c, ..] = self.args();
        // SAFETY: none of these calls takes a pointer or changes the process
        // (personality(0xffffffff) only reads the persona; socket(40, ..) is only
        // made under a filter that refuses it).
        let r = unsafe {
            libc::syscall(
                self.nr(),
                a as libc::c_long,
                b as libc::c_long,
                c as libc::c_long,
            )
        };
        if r == -1 {
            -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        } else {
            r as i64
        }
    }
}

/// What one child measured, per call in [`CALLS`] order: the nanoseconds of the
/// fastest batch, and the first call's result (0 for a call not made).
pub struct ChildReport {
    pub totals: [u64; 4],
    pub results: [i64; 4],
}

const REPORT_LEN: usize = 64;

/// Forks a child that installs `program` (none: no filter) and times each call
/// of `order` in `batches` batches of `size` calls.
pub fn measure(
    program: Option<&[Insn]>,
    order: [Call; 4],
    batches: u64,
    size: u64,
) -> Result<ChildReport, String> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe2: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors owned by nobody else.
    let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child runs only allocation-free, lock-free code (`child`) and
    // leaves through _exit, so no lock another thread held at the fork matters.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(rd);
        child(program, order, batches, size, wr.as_raw_fd());
    }
    drop(wr);
    let mut buf = [0u8; REPORT_LEN];
    let read = File::from(rd).read_exact(&mut buf);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is writable.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(describe_status(status));
    }
    read.map_err(|e| format!("reading the child's report: {e}"))?;
    Ok(decode(&buf))
}

/// A failed child's wait status in words.
fn describe_status(status: i32) -> String {
    if libc::WIFSIGNALED(status) {
        return format!("killed by signal {}", libc::WTERMSIG(status));
    }
    match libc::WEXITSTATUS(status) {
        10 => "setting no_new_privs failed".into(),
        11 => "installing the filter failed".into(),
        12 => "writing the report failed".into(),
        code => format!("exited with {code}"),
    }
}

fn decode(buf: &[u8; REPORT_LEN]) -> ChildReport {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&buf[i * 8..i * 8 + 8]);
        w
    };
    ChildReport {
        totals: std::array::from_fn(|i| u64::from_ne_bytes(word(i))),
        results: std::array::from_fn(|i| i64::from_ne_bytes(word(4 + i))),
    }
}

/// The child: no_new_privs, the filter, the timed batches, the report, `_exit`.
/// Allocation-free.
fn child(program: Option<&[Insn]>, order: [Call; 4], batches: u64, size: u64, out: RawFd) -> ! {
    let code = (|| {
        if seccompy::set_no_new_privileges().is_err() {
            return 10;
        }
        if let Some(p) = program
            && seccompy::set_filter(FilterFlags::empty(), p).is_err()
        {
            return 11;
        }
        let mut buf = [0u8; REPORT_LEN];
        for call in order {
            if program.is_none() && call.skipped_unfiltered() {
                continue;
            }
            let i = call as usize;
            let first = call.invoke();
            for _ in 0..WARMUP {
                std::hint::black_box(call.invoke());
            }
            let mut ns = u64::MAX;
            for _ in 0..batches {
                let t0 = Instant::now();
                for _ in 0..size {
                    std::hint::black_box(call.invoke());
                }
                ns = ns.min(u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX));
            }
            buf[i * 8..i * 8 + 8].copy_from_slice(&ns.to_ne_bytes());
            buf[32 + i * 8..32 + i * 8 + 8].copy_from_slice(&first.to_ne_bytes());
        }
        let mut done = 0;
        while done < buf.len() {
            // SAFETY: writes from a live buffer to the pipe's write end.
            let n = unsafe { libc::write(out, buf[done..].as_ptr().cast(), buf.len() - done) };
            if n <= 0 {
                return 12;
            }
            done += n as usize;
        }
        0
    })();
    // SAFETY: ends the child at once, without running this process's exit handlers.
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_through_their_bytes() {
        let mut buf = [0u8; REPORT_LEN];
        let totals = [1u64, 2, u64::MAX, 40_000_000];
        let results = [7i64, 0, -1, -38];
        for i in 0..4 {
            buf[i * 8..i * 8 + 8].copy_from_slice(&totals[i].to_ne_bytes());
            buf[32 + i * 8..32 + i * 8 + 8].copy_from_slice(&results[i].to_ne_bytes());
        }
        let r = decode(&buf);
        assert_eq!((r.totals, r.results), (totals, results));
    }

    #[test]
    fn failed_children_are_described() {
        assert_eq!(describe_status(11 << 8), "installing the filter failed");
        assert_eq!(describe_status(libc::SIGSYS), "killed by signal 31");
        assert_eq!(describe_status(3 << 8), "exited with 3");
    }

    /// A child without a filter measures every call but the one it must not make;
    /// the unfiltered results are the kernel's own.
    #[test]
    fn an_unfiltered_child_measures_and_reports() {
        let r = measure(None, CALLS, 3, 100).unwrap();
        let i = |c: Call| c as usize;
        assert!(r.totals[i(Call::Getppid)] > 0);
        assert!(r.totals[i(Call::Unknown)] > 0);
        assert_eq!(r.totals[i(Call::Socket)], 0);
        assert_eq!(r.results[i(Call::Socket)], 0);
        // SAFETY: getpid has no arguments and cannot fail.
        let me = i64::from(unsafe { libc::getpid() });
        assert_eq!(r.results[i(Call::Getppid)], me);
        assert_eq!(r.results[i(Call::Unknown)], -i64::from(libc::ENOSYS));
        assert!(r.results[i(Call::Personality)] >= 0);
    }

    /// Under seccompy's docker-default program (installed in the child only), the
    /// denied calls fail with the profile's errno and runc's ENOSYS stub.
    #[test]
    fn a_filtered_child_sees_the_programs_decisions() {
        let (_, _, prog) = crate::bench_bpf::docker_default().unwrap();
        let r = measure(Some(prog.insns()), CALLS, 3, 100).unwrap();
        let i = |c: Call| c as usize;
        assert!(CALLS.iter().all(|&c| r.totals[i(c)] > 0));
        // SAFETY: getpid has no arguments and cannot fail.
        let me = i64::from(unsafe { libc::getpid() });
        assert_eq!(r.results[i(Call::Getppid)], me);
        assert_eq!(r.results[i(Call::Socket)], -i64::from(libc::EPERM));
        assert_eq!(r.results[i(Call::Unknown)], -i64::from(libc::ENOSYS));
        assert!(r.results[i(Call::Personality)] >= 0);
    }
}
