//! A program compiled offline, embedded with `include_program!` and installed
//! from the static array, without allocating.
#![cfg(target_arch = "x86_64")]
mod support;

use seccompy::FilterFlags;
use seccompy::sys::*;
use support::*;

/// `tests/data/errno_exdev_on_getppid.x86_64.bpf`: on x86_64, `getppid` fails
/// with EXDEV, everything else is allowed, other arches are killed.
static PROGRAM: &[sock_filter] =
    seccompy::include_program!("data/errno_exdev_on_getppid.x86_64.bpf");

#[test]
fn the_embedded_program_is_the_one_it_was_compiled_from() {
    let built = on_syscall(
        libc::SYS_getppid,
        SECCOMP_RET_ERRNO | libc::EXDEV as u32,
        SECCOMP_RET_ALLOW,
    );
    assert_eq!(PROGRAM, built.insns());
    assert_eq!(
        seccompy::bpf::Program::from_bytes(include_bytes!(
            "data/errno_exdev_on_getppid.x86_64.bpf"
        ))
        .unwrap()
        .insns(),
        PROGRAM
    );
}

#[test]
fn the_embedded_program_installs_from_static_memory() {
    let out = in_child(|r| {
        seccompy::set_no_new_privileges().map_err(|_| 1)?;
        seccompy::set_filter(FilterFlags::empty(), PROGRAM).map_err(|_| 2)?;
        r.num(getppid());
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [-i64::from(libc::EXDEV)]);
}
