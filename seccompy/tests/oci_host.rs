//! `seccompy::oci`: Docker's default profile (`profiles/docker-default.json`)
//! resolved for this machine, checked against facts read independently, and
//! installed in a forked child.
#![cfg(feature = "oci")]

mod support;

use seccompy::bpf::Action;
use seccompy::oci::{CapSet, Profile, ResolveOptions, resolve, resolve_for_host};
use seccompy::sys::syscalls::Abi;
use seccompy::{FilterFlags, KernelVersion};
use support::*;

fn docker_default() -> Profile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../profiles/docker-default.json"
    );
    Profile::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The running kernel as `/proc` tells it, not through `uname(2)`.
fn proc_kernel() -> KernelVersion {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next().unwrap().parse().unwrap();
    let minor = parts.next().unwrap().parse().unwrap();
    KernelVersion::new(major, minor)
}

fn nr(name: &str) -> u32 {
    Abi::host().unwrap().syscall_nr(name).unwrap()
}

#[test]
fn docker_default_resolves_for_this_host() {
    let host = Abi::host().unwrap();
    let r = resolve_for_host(&docker_default()).unwrap().unwrap();
    assert_eq!(r.options.arch, host);
    assert_eq!(r.options.kernel, proc_kernel());
    assert_eq!(r.options.caps, CapSet::docker_default());
    assert_eq!(r.resolved.target, host);
    assert_eq!(r.policy, r.resolved.to_policy().unwrap());
    // Docker's default profile has no `flags`.
    assert_eq!(r.flags, FilterFlags::empty());
    // The same as resolving with the facts given by hand.
    let by_hand = resolve(&docker_default(), &ResolveOptions::new(host, proc_kernel()))
        .unwrap()
        .unwrap();
    assert_eq!(by_hand.policy, r.policy);

    let decide = |name| r.policy.decide(host, nr(name), &[0; 6]);
    assert_eq!(decide("read"), Action::Allow);
    // ptrace is allowed from Linux 4.8 on (`minKernel`), reboot only with
    // CAP_SYS_BOOT, keyctl never: Docker's defaultErrnoRet is EPERM.
    let expected_ptrace = if proc_kernel() >= KernelVersion::new(4, 8) {
        Action::Allow
    } else {
        Action::Errno(1)
    };
    assert_eq!(decide("ptrace"), expected_ptrace);
    assert_eq!(decide("reboot"), Action::Errno(1));
    assert_eq!(decide("keyctl"), Action::Errno(1));

    // The options decide: an older kernel loses ptrace, CAP_SYS_BOOT gains reboot.
    let old = ResolveOptions::new(host, KernelVersion::new(4, 7))
        .with_caps(CapSet::parse(CapSet::docker_default().names().chain(["sys_boot"])).unwrap());
    let old = resolve(&docker_default(), &old).unwrap().unwrap();
    assert_eq!(
        old.policy.decide(host, nr("ptrace"), &[0; 6]),
        Action::Errno(1)
    );
    assert_eq!(
        old.policy.decide(host, nr("reboot"), &[0; 6]),
        Action::Allow
    );
}

#[test]
fn the_host_resolution_installs_and_decides() {
    let r = resolve_for_host(&docker_default()).unwrap().unwrap();
    let program = r.compile().unwrap();
    let flags = r.flags;
    let out = in_child(|report| {
        seccompy::set_no_new_privileges().map_err(|_| 10)?;
        seccompy::set_filter(flags, &program).map_err(|_| 11)?;
        // keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0): refused.
        // SAFETY: a raw system call with integer arguments.
        let ret = unsafe { libc::syscall(libc::SYS_keyctl, 0, -3, 0) };
        report.num(ret as i64);
        report.num(i64::from(errno()));
        report.num(getppid());
        Ok(())
    });
    out.assert_ok();
    let n = out.numbers();
    assert_eq!(
        n[..2],
        [-1, i64::from(libc::EPERM)],
        "keyctl refused with EPERM"
    );
    assert!(n[2] > 0, "getppid allowed: {}", n[2]);
}
