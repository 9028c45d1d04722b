//! The seccomp audit records of children, through `seccompy::audit`.

use std::time::{Duration, Instant};

use seccompy::audit::{AuditLog, Record};

/// Runs `attempt` with a freshly opened log until it succeeds, at most 8
/// times: a record can be lost when the kernel log, rate-limited, is the only
/// source. Panics if no audit log can be read here (the tests that call it are
/// ignored unless asked for, and run as root in CI), or with the last attempt's error if none succeeds.
pub fn with_fresh_log<T>(mut attempt: impl FnMut(&mut AuditLog) -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..8 {
        let mut log = AuditLog::open();
        assert!(
            log.is_readable(),
            "no audit log can be read here: these tests need root (CAP_AUDIT_READ) or a \
             readable /dev/kmsg"
        );
        match attempt(&mut log) {
            Ok(t) => return t,
            Err(e) => last = e,
        }
    }
    panic!("the kernel never logged the expected records: {last}");
}

/// Runs `run` (which runs a child to its end and returns its pid) and collects
/// the child's seccomp audit records until they satisfy `want`, through
/// [`with_fresh_log`].
pub fn logged_records(
    mut run: impl FnMut() -> libc::pid_t,
    want: impl Fn(&[Record]) -> bool,
) -> Vec<Record> {
    with_fresh_log(|log| {
        let pid = run() as u32;
        // The kernel's audit thread sends records after the child made its calls.
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut got = Vec::new();
        loop {
            got.extend(log.records().into_iter().filter(|r| r.pid == pid));
            if want(&got) {
                return Ok(got);
            }
            if Instant::now() >= deadline {
                return Err(format!("last seen: {got:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    })
}
