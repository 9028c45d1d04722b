//! `seccompy::audit` against the kernel: the records of calls that filters in
//! forked children killed.

mod support;

use std::time::{Duration, Instant};

use seccompy::FilterFlags;
use seccompy::audit::{AuditLog, Record};
use seccompy::bpf::Action;
use seccompy::sys::*;
use support::*;

/// Runs a child that a filter kills on `getppid`; its pid.
fn killed_child() -> u32 {
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
    out.pid as u32
}

fn check_kill(rec: &Record, pid: u32) {
    assert_eq!(rec.pid, pid);
    assert!(rec.serial.is_some());
    assert_eq!(rec.arch, host_arch());
    assert_eq!(rec.nr as libc::c_long, libc::SYS_getppid);
    assert_eq!(rec.action(), Some(Action::KillProcess));
    assert_eq!(rec.abi(), seccompy::Abi::host());
    assert_eq!(rec.syscall_name(), Some("getppid"));
}

#[test]
#[ignore = "needs the kernel audit log (root: CAP_AUDIT_READ, or a readable /dev/kmsg)"]
fn a_kill_is_recorded_once_with_its_call_and_action() {
    support::audit::with_fresh_log(|log| {
        let pid = killed_child();
        // Every record of the child until 300 ms after the first: the event may
        // come from both sources, and is passed on once.
        let mut got: Vec<Record> = Vec::new();
        let mut first: Option<Instant> = None;
        let start = Instant::now();
        while first.map_or(start.elapsed() < Duration::from_millis(1500), |t| {
            t.elapsed() < Duration::from_millis(300)
        }) {
            got.extend(log.records().into_iter().filter(|r| r.pid == pid));
            if !got.is_empty() {
                first.get_or_insert_with(Instant::now);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        match got.as_slice() {
            [rec] => {
                check_kill(rec, pid);
                Ok(())
            }
            [] => Err("no record of the kill".into()),
            more => panic!("one kill, several records: {more:?}"),
        }
    });
}

#[test]
#[ignore = "needs the kernel audit log (root: CAP_AUDIT_READ, or a readable /dev/kmsg)"]
fn find_waits_for_the_record_it_wants() {
    support::audit::with_fresh_log(|log| {
        let pid = killed_child();
        let found = log.find(Duration::from_millis(1500), |r| r.pid == pid);
        found
            .map(|rec| check_kill(&rec, pid))
            .ok_or_else(|| "no record of the kill".to_string())
    });
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
    let start = Instant::now();
    assert_eq!(log.find(Duration::from_millis(200), |r| r.pid == pid), None);
    // It waited as long as it was told.
    assert!(!log.is_readable() || start.elapsed() >= Duration::from_millis(200));
}

#[test]
#[ignore = "needs the kernel audit log (root: CAP_AUDIT_READ, or a readable /dev/kmsg)"]
fn a_kill_of_a_negative_number_is_read() {
    // The kernel prints `syscall=` signed: 0x80000027 is logged as
    // -2147483609, and the record still reads back as the number the filter saw.
    const NR: u32 = 0x8000_0027;
    let run = || {
        let out = in_child(|_| {
            seccompy::set_no_new_privileges().map_err(|_| 1)?;
            let prog = on_syscall(
                NR as libc::c_long,
                SECCOMP_RET_KILL_PROCESS,
                SECCOMP_RET_ALLOW,
            );
            seccompy::set_filter(FilterFlags::empty(), &prog).map_err(|_| 2)?;
            sys0(NR as libc::c_long);
            Ok(())
        });
        assert_eq!(out.exit, Exit::Signal(libc::SIGSYS));
        out.pid
    };
    let got = support::audit::logged_records(run, |got| !got.is_empty());
    assert_eq!(got[0].nr, NR, "{got:?}");
    assert_eq!(got[0].action(), Some(Action::KillProcess));
}
