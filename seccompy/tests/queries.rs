//! The kernel queries, cross-checked with what the kernel does: supported flags
//! against installs in forked children, action availability against the version
//! that added each action, the notification sizes against the ABI structures.
mod support;

use seccompy::bpf::Action;
use seccompy::sys::*;
use seccompy::{CompatLevel, FilterFlags, KernelVersion, SetFilterError};
use support::*;

fn running() -> KernelVersion {
    KernelVersion::running().expect("uname gives the running kernel's release")
}

#[test]
fn supported_flags_are_exactly_those_the_kernel_installs() {
    let supported = FilterFlags::supported();
    for flag in FilterFlags::all().iter() {
        // WAIT_KILLABLE_RECV needs NEW_LISTENER to be installed at all.
        let flags = if flag == FilterFlags::WAIT_KILLABLE_RECV {
            flag | FilterFlags::NEW_LISTENER
        } else {
            flag
        };
        let out = in_child(|r| {
            seccompy::set_no_new_privileges().map_err(|_| 90)?;
            match seccompy::set_filter(flags, &allow_all()) {
                Ok(_) => r.num(1),
                Err(SetFilterError::Invalid { .. }) => r.num(0),
                Err(_) => return Err(1),
            }
            Ok(())
        });
        out.assert_ok();
        let installed = out.numbers() == [1];
        assert_eq!(supported.contains(flag), installed, "{flag:?}");
        // And it agrees with the version that added the flag.
        assert_eq!(installed, flag.since().unwrap() <= running(), "{flag:?}");
    }
    // Cached: the same answer again.
    assert_eq!(FilterFlags::supported(), supported);
}

#[test]
fn adapt_keeps_what_this_kernel_has() {
    let all = FilterFlags::all();
    let supported = FilterFlags::supported();
    if supported == all {
        assert_eq!(all.adapt(CompatLevel::HardRequirement), Ok(all));
    }
    let best = FilterFlags::OPTIONAL
        .adapt(CompatLevel::BestEffort)
        .unwrap();
    assert_eq!(best, FilterFlags::OPTIONAL & supported);
}

#[test]
fn every_action_is_available_from_its_linux_version_on() {
    let actions = [
        Action::KillProcess,
        Action::KillThread,
        Action::Trap(0),
        Action::Errno(1),
        Action::UserNotif,
        Action::Trace(0),
        Action::Log,
        Action::Allow,
    ];
    for a in actions {
        let avail = seccompy::action_available(a).unwrap();
        assert_eq!(avail, seccompy::action_since(a) <= running(), "{a}");
        // Cached, and the data does not matter.
        assert_eq!(seccompy::action_available(a).unwrap(), avail);
        assert_eq!(
            seccompy::adapt_action(a, CompatLevel::HardRequirement).is_ok(),
            avail
        );
    }
    // The kernel's own list agrees.
    if let Ok(list) = std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail") {
        for a in actions {
            let name = a.name().to_ascii_lowercase();
            assert_eq!(
                list.split_whitespace().any(|w| w == name),
                seccompy::action_available(a).unwrap(),
                "{a}"
            );
        }
    }
}

#[test]
fn notif_sizes_cover_the_abi_structures() {
    if running() < KernelVersion::new(5, 0) {
        assert!(seccompy::notif_sizes().is_err());
        return;
    }
    let sizes = seccompy::notif_sizes().unwrap();
    assert_eq!(usize::from(sizes.seccomp_data), size_of::<seccomp_data>());
    assert!(usize::from(sizes.seccomp_notif) >= size_of::<seccomp_notif>());
    assert!(usize::from(sizes.seccomp_notif_resp) >= size_of::<seccomp_notif_resp>());
    assert_eq!(seccompy::notif_sizes().unwrap(), sizes);
}

#[test]
fn mode_and_status_follow_the_thread() {
    let parent = seccompy::mode().unwrap();
    let out = in_child(|r| {
        let before = seccompy::mode().map_err(|_| 1)?;
        seccompy::set_no_new_privileges().map_err(|_| 2)?;
        seccompy::set_filter(FilterFlags::empty(), &allow_all()).map_err(|_| 3)?;
        let after = seccompy::mode().map_err(|_| 4)?;
        let status = seccompy::Status::current().map_err(|_| 5)?;
        r.num(i64::from(before == parent));
        r.num(i64::from(after == seccompy::Mode::Filter));
        r.num(i64::from(status.mode == seccompy::Mode::Filter));
        r.num(i64::from(status.no_new_privs == Some(true)));
        Ok(())
    });
    out.assert_ok();
    assert_eq!(out.numbers(), [1, 1, 1, 1]);
}
