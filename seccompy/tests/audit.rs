//! `seccompy::audit` against the kernel: the records of calls that filters in
//! forked children killed, trapped or logged.

mod support;

use std::time::Duration;

use seccompy::FilterFlags;
use seccompy::audit::AuditLog;
use seccompy::bpf::Action;
use seccompy::sys::*;
use support::*;

#[test]
fn a_kill_is_found_with_its_call_and_action() {
    let mut log = AuditLog::open();
    if !log.is_readable() {
        eprintln!("no audit log can be read here: nothing to check");
        return;
    }
    let mut tries = 0;
    let rec = loop {
        let out = in_child(|_| {
            seccompy::set_no_new_privileges().map_err(|_| 1)?;
            let prog = on_syscall(
                libc::SYS_getppid,
                SECCOMP_RET_KILL_PROCESS,
                SECCOMP_RET_ALLOW,
            );
            seccompy::set_filter(FilterFlags::empty(), &prog).map_err(|_| 2)?;
            getppid();
            Ok(())
        });
        assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
        let pid = out.pid as u32;
        if let Some(rec) = log.find(Duration::from_millis(1500), |r| r.pid == pid) {
            break rec;
        }
        // Only the kernel log is readable here, and it dropped the record
        // (rate limit): try again.
        tries += 1;
        assert!(tries < 8, "the kernel never logged the kill");
    };
    assert_eq!(rec.arch, host_arch());
    assert_eq!(i64::from(rec.nr), libc::SYS_getppid);
    assert_eq!(rec.action(), Some(Action::KillProcess));
    assert_eq!(rec.abi(), seccompy::Abi::host());
    assert_eq!(rec.syscall_name(), Some("getppid"));
}

#[test]
fn nothing_is_found_for_a_process_that_was_not_refused() {
    let mut log = AuditLog::open();
    let out = in_child(|r| {
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    let pid = out.pid as u32;
    assert_eq!(log.find(Duration::from_millis(200), |r| r.pid == pid), None);
}
