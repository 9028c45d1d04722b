//! Target memory beyond the common path: the `/proc/<pid>/mem` fallback of reads
//! and the `unsafe` write. Every case runs in a forked case process; targets
//! are its children and install the filters.
mod support;
mod unotify_support;

use std::ffi::CString;

use seccompy::unotify::{MemoryError, Response};
use seccompy::{Filter, FilterAction, FilterArgs, FilterFlags};
use support::{Exit, in_child};
use unotify_support::*;

const MAGIC: i64 = i32::MAX as i64;

/// A target that asks with the address and length of a text only it has.
fn target_with_text() -> Target {
    spawn_target(FilterFlags::empty(), &notify_getppid(), || {
        // SAFETY: getpid takes no argument.
        let text = format!("/only/in/{}", unsafe { libc::getpid() });
        let c = CString::new(text.clone()).unwrap();
        let r = getppid_with([c.as_ptr() as u64, text.len() as u64, 0]);
        if r == MAGIC { OK } else { 2 }
    })
}

/// Reads are refused `process_vm_readv(2)` with `errno` in a supervisor that
/// filters itself, and still succeed through `/proc/<pid>/mem`.
fn fallback_with(errno: i32) {
    case(move || {
        let t = target_with_text();
        let out = in_child(|_| {
            let mut filter = Filter::new(FilterArgs {
                default_action: FilterAction::Allow,
                ..FilterArgs::default()
            });
            filter.add_syscall("process_vm_readv", FilterAction::Errno { errno });
            let program = filter.compile().map_err(|_| 2)?;
            seccompy::set_no_new_privileges().map_err(|_| 3)?;
            seccompy::set_filter(FilterFlags::empty(), &program).map_err(|_| 4)?;
            // SAFETY: null iovecs with zero counts; the filter answers first.
            let r =
                unsafe { libc::process_vm_readv(1, std::ptr::null(), 0, std::ptr::null(), 0, 0) };
            if r != -1 || support::errno() != errno {
                return Err(5);
            }
            let n = t.listener.recv().map_err(|_| 6)?;
            let mem = t.listener.memory(&n);
            let text = mem.read_c_string(n.args[0], 4096).map_err(|_| 7)?;
            if text.to_str() != Ok(&format!("/only/in/{}", n.pid)) {
                return Err(8);
            }
            let bytes = mem.read_vec(n.args[0], n.args[1] as usize).map_err(|_| 9)?;
            if bytes != text.as_bytes() {
                return Err(10);
            }
            match mem.read_vec(8, 4) {
                Err(MemoryError::Fault { .. }) => {}
                _ => return Err(11),
            }
            t.listener
                .respond(n.id, Response::value(MAGIC))
                .map_err(|_| 12)
        });
        out.assert_ok();
        t.assert_ok();
    });
}

#[test]
fn reads_fall_back_to_proc_pid_mem_when_process_vm_readv_is_refused() {
    fallback_with(libc::EPERM);
}

#[test]
fn reads_fall_back_to_proc_pid_mem_when_process_vm_readv_is_missing() {
    fallback_with(libc::ENOSYS);
}

#[test]
fn a_write_reaches_the_waiting_target() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let mut buf = [0u8; 16];
            let r = getppid_with([buf.as_mut_ptr() as u64, buf.len() as u64, 0]);
            if r == MAGIC && &buf == b"from the superv." {
                OK
            } else {
                2
            }
        });
        let n = t.listener.recv().unwrap();
        let mem = t.listener.memory(&n);
        // SAFETY: the target passed a 16-byte buffer for us to fill, and waits.
        unsafe { mem.write(n.args[0], b"from the superv.") }.unwrap();
        // SAFETY: address 8 is never mapped; nothing is written.
        let r = unsafe { mem.write(8, b"x") };
        assert!(matches!(r, Err(MemoryError::Fault { .. })), "{r:?}");
        t.listener.respond(n.id, Response::value(MAGIC)).unwrap();
        t.assert_ok();
    });
}

#[test]
fn a_write_after_the_target_died_is_refused() {
    case(|| {
        let t = target_with_text();
        let n = t.listener.recv().unwrap();
        t.kill(libc::SIGKILL);
        assert_eq!(t.wait(), Exit::Signal(libc::SIGKILL));
        let mem = t.listener.memory(&n);
        // SAFETY: nothing can be written: the target is gone.
        let r = unsafe { mem.write(n.args[0], b"late") };
        assert!(matches!(r, Err(MemoryError::Invalid { .. })), "{r:?}");
    });
}
