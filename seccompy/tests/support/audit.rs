//! The seccomp audit records of a child, through `seccompy::audit`.

use std::time::{Duration, Instant};

use seccompy::audit::{AuditLog, Record};

/// Runs `run` (which runs a child to its end and returns its pid) and collects
/// the child's seccomp audit records until they satisfy `want`. Runs a new
/// child if records were lost (the kernel log is rate-limited). `None` if no
/// audit log can be read here; panics if `want` is never satisfied.
pub fn logged_records(
    mut run: impl FnMut() -> libc::pid_t,
    want: impl Fn(&[Record]) -> bool,
) -> Option<Vec<Record>> {
    let mut got = Vec::new();
    for _ in 0..8 {
        let mut log = AuditLog::open();
        if !log.is_readable() {
            return None;
        }
        let pid = run() as u32;
        // The kernel's audit thread sends records after the child made its calls.
        let deadline = Instant::now() + Duration::from_millis(1500);
        got.clear();
        loop {
            got.extend(log.records().into_iter().filter(|r| r.pid == pid));
            if want(&got) {
                return Some(got);
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    panic!("the kernel never logged the expected records; last seen: {got:?}");
}
