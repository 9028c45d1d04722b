//! Strict mode, live: `write` works, the thread's `exit` works, anything else is
//! SIGKILL; the mode shows in `/proc`; a thread with filters cannot switch.
mod support;

use seccompy::{Mode, Status, StrictError};
use support::*;

/// The thread's own `exit` (not `exit_group`, which strict mode forbids).
fn thread_exit(code: i32) -> ! {
    // SAFETY: ends the (only) thread, hence the child.
    unsafe { libc::syscall(libc::SYS_exit, code) };
    unreachable!("exit returned");
}

#[test]
fn write_and_exit_are_allowed() {
    let out = in_child(|r| {
        seccompy::set_strict().map_err(|_| 1)?;
        r.bytes(b"written in strict mode");
        thread_exit(7)
    });
    assert_eq!(out.exit, Exit::Code(7));
    assert_eq!(out.report, b"written in strict mode");
}

#[test]
fn any_other_call_is_sigkill() {
    let out = in_child(|r| {
        seccompy::set_strict().map_err(|_| 1)?;
        r.bytes(b"before");
        getppid();
        r.bytes(b"after");
        thread_exit(0)
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGKILL));
    assert_eq!(out.report, b"before");
}

#[test]
fn exit_group_is_not_allowed_either() {
    let out = in_child(|_| {
        seccompy::set_strict().map_err(|_| 1)?;
        // `_exit` is exit_group.
        // SAFETY: ends the child.
        unsafe { libc::_exit(0) }
    });
    assert_eq!(out.exit, Exit::Signal(libc::SIGKILL));
}

#[test]
fn the_parent_sees_strict_mode_in_proc() {
    let mut go = [0; 2];
    // SAFETY: room for two fds.
    assert_eq!(unsafe { libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let mut seen = None;
    let out = in_child_with(
        |r| {
            // SAFETY: closing the child's copy of the write end.
            unsafe { libc::close(go[1]) };
            seccompy::set_strict().map_err(|_| 1)?;
            r.bytes(b"S");
            let mut b = [0u8; 1];
            // Blocks until the parent has looked.
            // SAFETY: reading into a valid buffer.
            unsafe { libc::read(go[0], b.as_mut_ptr().cast(), 1) };
            thread_exit(0)
        },
        |pid| {
            // SAFETY: closing the parent's copy of the read end.
            unsafe { libc::close(go[0]) };
            // Wait until the child is in strict mode.
            assert!(spin_until(
                || matches!(Status::of(pid), Ok(s) if s.mode == Mode::Strict)
            ));
            seen = Some(Status::of(pid).unwrap());
            // SAFETY: writing one byte to the pipe, then closing our end.
            unsafe {
                libc::write(go[1], b"g".as_ptr().cast(), 1);
                libc::close(go[1]);
            }
        },
    );
    assert_eq!(out.exit, Exit::Code(0));
    let seen = seen.unwrap();
    assert_eq!(seen.mode, Mode::Strict);
    if seen.filters.is_some() {
        assert_eq!(seen.filters, Some(0), "strict mode has no filters");
    }
}

#[test]
fn a_thread_with_filters_cannot_enter_strict_mode() {
    let out = in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 1)?;
        seccompy::set_filter(Default::default(), &allow_all()).map_err(|_| 2)?;
        match seccompy::set_strict() {
            Err(StrictError::Invalid { source }) => {
                r.num(source.raw_os_error().unwrap_or(0).into());
                Ok(())
            }
            Err(_) => Err(3),
            Ok(()) => Err(4),
        }
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [i64::from(libc::EINVAL)]);
}
