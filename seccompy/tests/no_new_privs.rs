//! `no_new_privs`, live: reading and setting it, and what it is for — an
//! unprivileged thread needs it to install a filter.
mod support;

use seccompy::sys::*;
use seccompy::{FilterFlags, SetFilterError, Status};
use support::*;

#[test]
fn set_then_get() {
    let parent = seccompy::no_new_privileges().unwrap();
    let out = in_child(|r| {
        r.num(i64::from(seccompy::no_new_privileges().map_err(|_| 1)?));
        seccompy::set_no_new_privileges().map_err(|_| 2)?;
        r.num(i64::from(seccompy::no_new_privileges().map_err(|_| 3)?));
        // Setting it again is fine.
        seccompy::set_no_new_privileges().map_err(|_| 4)?;
        let status = Status::current().map_err(|_| 5)?;
        r.num(i64::from(status.no_new_privs == Some(true)));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(parent), 1, 1]);
}

/// Drops to uid/gid 65534 (nobody), which leaves no capability.
fn become_nobody() -> Result<(), i32> {
    // SAFETY: plain id changes in the forked child.
    let ok = unsafe {
        libc::setgroups(0, std::ptr::null()) == 0
            && libc::setresgid(65534, 65534, 65534) == 0
            && libc::setresuid(65534, 65534, 65534) == 0
    };
    ensure(ok, 80)
}

#[test]
fn an_unprivileged_thread_needs_no_new_privs() {
    // As root, the child drops to nobody; otherwise it is unprivileged already.
    let out = in_child(|r| {
        // SAFETY: as above.
        if unsafe { libc::geteuid() } == 0 {
            become_nobody()?;
        }
        let prog = on_syscall(libc::SYS_getppid, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ALLOW);
        match seccompy::set_filter(FilterFlags::empty(), &prog) {
            Err(e @ SetFilterError::PermissionDenied { .. }) => {
                r.num(e.raw_os_error().unwrap_or(0).into());
                let msg = e.to_string();
                r.num(i64::from(
                    msg.contains("no_new_privs") && msg.contains("CAP_SYS_ADMIN"),
                ));
            }
            _ => return Err(1),
        }
        seccompy::set_no_new_privileges().map_err(|_| 2)?;
        seccompy::set_filter(FilterFlags::empty(), &prog).map_err(|_| 3)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(libc::EACCES), 1, -1]);
}

#[test]
#[ignore = "needs root (CAP_SYS_ADMIN)"]
fn cap_sys_admin_is_enough_without_no_new_privs() {
    require_root("CAP_SYS_ADMIN");
    assert!(
        !seccompy::no_new_privileges().unwrap(),
        "the test harness runs with no_new_privs: the case cannot be shown"
    );
    let out = in_child(|r| {
        let prog = on_syscall(libc::SYS_getppid, SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ALLOW);
        seccompy::set_filter(FilterFlags::empty(), &prog).map_err(|_| 1)?;
        r.num(getppid());
        r.num(i64::from(seccompy::no_new_privileges().map_err(|_| 2)?));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [-1, 0]);
}
