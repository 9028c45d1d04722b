//! The `sysinfo` handler: `sysinfo(2)` answered with the container's memory
//! and swap limits from its cgroup, so that `free` shows the container's
//! memory.
//!
//! The agent takes its own `sysinfo`, then replaces the memory fields:
//! `totalram` is the cgroup's memory limit (when lower than the host's),
//! `freeram` the limit less the cgroup's usage, `sharedram` and `bufferram` 0,
//! `totalswap`/`freeswap` from the swap limit where the cgroup has one
//! (`memory.swap.max` in cgroup v2, `memory.memsw.limit_in_bytes` less the
//! memory limit in v1), in bytes (`mem_unit` 1; on a 32-bit ABI, in the
//! smallest power of two that makes them fit). Uptime, loads and the process count stay
//! the host's (`struct sysinfo` has no CPU count: CPUs are the business of
//! `sched_getaffinity`). Both cgroup v2 and v1 (the `memory` controller) are
//! read, each where `/proc/self/mountinfo` says it is mounted.
//!
//! The answer is written to the caller's buffer only if it lies in a writable
//! mapping of the caller (`/proc/<tid>/maps`, validated), as the kernel's own
//! copy-out would require; otherwise `EFAULT`. Callers of another ABI than the
//! agent's (say i386 on x86_64, whose `struct sysinfo` differs) get
//! `CONTINUE`: the kernel answers them with the host's figures (no privilege
//! is involved).
//!
//! # References
//! - [`sysinfo(2)`](https://man7.org/linux/man-pages/man2/sysinfo.2.html)
//! - [`cgroups(7)`](https://man7.org/linux/man-pages/man7/cgroups.7.html)
//! - [`proc_pid_maps(5)`](https://man7.org/linux/man-pages/man5/proc_pid_maps.5.html)

use std::io::Read;
use std::path::PathBuf;

use super::describe::{Args, describe};
use super::handlers::{Call, Decision};
use crate::sys::syscalls::Abi;
use crate::unotify::{Errno, Response};

/// Memory figures of a cgroup, in bytes (`None`: no limit or unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub memory_limit: Option<u64>,
    pub memory_usage: Option<u64>,
    pub swap_limit: Option<u64>,
    pub swap_usage: Option<u64>,
}

pub(crate) fn sysinfo(call: &Call<'_>) -> Decision {
    let n = &call.notification;
    let args = describe(call.listener, n);
    if n.abi() != Abi::host() {
        return Decision {
            response: Some(Response::continue_unchecked()),
            args,
            kind: "continue",
            what: "continue (another ABI: the kernel answers with the host's figures)".into(),
        };
    }
    let Some(tid) = n.tid() else {
        return Decision::errno(args, Errno::EPERM, "caller not visible");
    };
    let limits = match read_limits(call, tid) {
        Ok(l) => l,
        Err(e) => return Decision::errno(args, e, "cgroup unreadable"),
    };
    // SAFETY: an all-zero sysinfo is valid; sysinfo fills it.
    let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is writable.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return Decision::errno(args, Errno::EPERM, "sysinfo failed");
    }
    apply(&mut info, &limits);
    let addr = n.args[0];
    let size = size_of::<libc::sysinfo>();
    match writable(call, tid, addr, size) {
        Ok(true) => {}
        Ok(false) => return Decision::errno(args, Errno::EFAULT, "buffer not writable"),
        Err(Gone) => return gone(args),
    }
    // SAFETY: `info` is a plain C struct of `size` bytes.
    let bytes = unsafe { std::slice::from_raw_parts((&raw const info).cast::<u8>(), size) };
    // SAFETY: the target asked the kernel to fill `size` bytes at `addr` with a
    // `struct sysinfo` of its ABI, which is ours, and the range lies in a
    // writable mapping of the caller (checked above): this is the write the
    // kernel's answer would have made.
    match unsafe { call.listener.memory(n).write(addr, bytes) } {
        Ok(()) => Decision {
            response: Some(Response::value(0)),
            args,
            kind: "emulated",
            what: format!(
                "emulated (totalram {}, freeram {}, totalswap {})",
                info.totalram, info.freeram, info.totalswap
            )
            .into(),
        },
        Err(crate::unotify::MemoryError::Invalid { .. }) => gone(args),
        Err(_) => Decision::errno(args, Errno::EFAULT, "buffer not writable"),
    }
}

fn gone(args: Args) -> Decision {
    Decision {
        response: None,
        args,
        kind: "gone",
        what: "gone".into(),
    }
}

/// The call went away.
struct Gone;

/// Replaces the memory fields of the host's `info` by the cgroup's figures.
pub(crate) fn apply(info: &mut libc::sysinfo, limits: &Limits) {
    let unit = u64::from(info.mem_unit.max(1));
    let bytes = |v: libc::c_ulong| wide(v).saturating_mul(unit);
    let host_total = bytes(info.totalram);
    let host_free = bytes(info.freeram);
    let host_swap = bytes(info.totalswap);
    let host_free_swap = bytes(info.freeswap);
    let total = limits
        .memory_limit
        .map_or(host_total, |l| l.min(host_total));
    let free = match limits.memory_usage {
        Some(used) if limits.memory_limit.is_some() => total.saturating_sub(used),
        _ => host_free.min(total),
    };
    let (swap, free_swap) = match limits.swap_limit {
        Some(l) => {
            let swap = l.min(host_swap);
            (swap, swap.saturating_sub(limits.swap_usage.unwrap_or(0)))
        }
        None => (host_swap, host_free_swap),
    };
    let shift = unit_shift(total.max(swap), wide(libc::c_ulong::MAX));
    let field = |v: u64| libc::c_ulong::try_from(v >> shift).unwrap_or(libc::c_ulong::MAX);
    info.totalram = field(total);
    info.freeram = field(free);
    info.sharedram = 0;
    info.bufferram = 0;
    info.totalswap = field(swap);
    info.freeswap = field(free_swap);
    info.totalhigh = 0;
    info.freehigh = 0;
    info.mem_unit = 1 << shift;
}

/// A `c_ulong` (64 bits on 64-bit ABIs, 32 on the others) as 64 bits.
#[allow(
    clippy::useless_conversion,
    reason = "c_ulong is u64 on 64-bit targets, u32 on 32-bit ones"
)]
fn wide(v: libc::c_ulong) -> u64 {
    u64::from(v)
}

/// The power of two (as a shift, at most 31: `mem_unit` is 32 bits) by which
/// byte counts up to `largest` are divided to fit fields of at most `field_max`:
/// 0 (bytes, `mem_unit` 1) where they fit, as on every 64-bit ABI; the kernel
/// too counts in larger units on a 32-bit ABI with more than 4 GiB.
fn unit_shift(largest: u64, field_max: u64) -> u32 {
    let mut shift = 0;
    while shift < 31 && largest >> shift > field_max {
        shift += 1;
    }
    shift
}

/// Reads the caller's cgroup and its limits; the caller's `/proc` is trusted
/// only once the call is checked still pending.
fn read_limits(call: &Call<'_>, tid: libc::pid_t) -> Result<Limits, Errno> {
    let cgroups = read_small(&format!("/proc/{tid}/cgroup")).ok_or(Errno::ESRCH)?;
    if !call
        .listener
        .id_valid(call.notification.id)
        .unwrap_or(false)
    {
        return Err(Errno::ESRCH);
    }
    let mounts = read_small("/proc/self/mountinfo").ok_or(Errno::EIO)?;
    Ok(limits_of(&cgroups, &mounts, &|p| {
        read_small(&p.to_string_lossy())
    }))
}

/// The limits of the cgroups in `cgroups` (`/proc/<tid>/cgroup`), the
/// hierarchies found in `mounts` (`/proc/self/mountinfo`), files read with
/// `read`. cgroup v2 first, then v1's `memory` controller.
pub(crate) fn limits_of(
    cgroups: &str,
    mounts: &str,
    read: &dyn Fn(&std::path::Path) -> Option<String>,
) -> Limits {
    let value = |dir: &PathBuf, file: &str| -> Option<u64> {
        let text = read(&dir.join(file))?;
        let t = text.trim();
        // "max" in v2; v1 says "no limit" with a huge number.
        if t == "max" {
            return None;
        }
        t.parse::<u64>().ok().filter(|&v| v < 1 << 62)
    };
    let mut limits = Limits::default();
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            if let Some(root) = mount_point(mounts, "cgroup2", None) {
                let dir = root.join(path);
                if let Some(l) = value(&dir, "memory.max") {
                    limits.memory_limit = Some(l);
                    limits.memory_usage = value(&dir, "memory.current");
                    limits.swap_limit = value(&dir, "memory.swap.max");
                    limits.swap_usage = value(&dir, "memory.swap.current");
                    return limits;
                }
            }
        } else if controllers.split(',').any(|c| c == "memory")
            && let Some(root) = mount_point(mounts, "cgroup", Some("memory"))
        {
            let dir = root.join(path);
            let limit = value(&dir, "memory.limit_in_bytes");
            if limit.is_some() {
                limits.memory_limit = limit;
                limits.memory_usage = value(&dir, "memory.usage_in_bytes");
                let memsw = value(&dir, "memory.memsw.limit_in_bytes");
                if let (Some(both), Some(mem)) = (memsw, limit) {
                    limits.swap_limit = Some(both.saturating_sub(mem));
                    let used = value(&dir, "memory.memsw.usage_in_bytes");
                    limits.swap_usage = used
                        .zip(limits.memory_usage)
                        .map(|(b, m)| b.saturating_sub(m));
                }
            }
        }
    }
    limits
}

/// Where a cgroup hierarchy of type `fstype` (with `option` among its super
/// options, for v1) is mounted, from mountinfo's root `/` entries.
fn mount_point(mounts: &str, fstype: &str, option: Option<&str>) -> Option<PathBuf> {
    for line in mounts.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fields: Vec<&str> = left.split(' ').collect();
        let rfields: Vec<&str> = right.split(' ').collect();
        if fields.len() < 5 || rfields.len() < 3 || rfields[0] != fstype || fields[3] != "/" {
            continue;
        }
        if let Some(opt) = option
            && !rfields[2].split(',').any(|o| o == opt)
        {
            continue;
        }
        return Some(PathBuf::from(fields[4]));
    }
    None
}

/// Whether `[addr, addr + len)` lies in writable mappings of the caller.
fn writable(call: &Call<'_>, tid: libc::pid_t, addr: u64, len: usize) -> Result<bool, Gone> {
    let maps = read_small(&format!("/proc/{tid}/maps")).ok_or(Gone)?;
    if !call
        .listener
        .id_valid(call.notification.id)
        .unwrap_or(false)
    {
        return Err(Gone);
    }
    Ok(range_writable(&maps, addr, len as u64))
}

/// Whether `maps` (`/proc/<pid>/maps`) has `[addr, addr + len)` covered by
/// writable mappings.
pub(crate) fn range_writable(maps: &str, addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    let mut at = addr;
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        let Some((lo, hi)) = range.split_once('-') else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (u64::from_str_radix(lo, 16), u64::from_str_radix(hi, 16)) else {
            continue;
        };
        if lo <= at && at < hi {
            if perms.as_bytes().get(1) != Some(&b'w') {
                return false;
            }
            at = hi;
            if at >= end {
                return true;
            }
        }
    }
    false
}

/// A small text file (at most 1 MiB).
fn read_small(path: &str) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(1 << 20)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = "\
30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
32 25 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:11 - cgroup cgroup rw,cpu
";

    fn files(
        list: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&std::path::Path) -> Option<String> {
        move |p| {
            list.iter()
                .find(|(name, _)| std::path::Path::new(name) == p)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn v1_memory_and_swap_are_read() {
        let read = files(&[
            (
                "/sys/fs/cgroup/memory/c1/memory.limit_in_bytes",
                "67108864\n",
            ),
            (
                "/sys/fs/cgroup/memory/c1/memory.usage_in_bytes",
                "1048576\n",
            ),
            (
                "/sys/fs/cgroup/memory/c1/memory.memsw.limit_in_bytes",
                "100663296\n",
            ),
            (
                "/sys/fs/cgroup/memory/c1/memory.memsw.usage_in_bytes",
                "2097152\n",
            ),
        ]);
        let l = limits_of("5:memory:/c1\n4:cpu:/c1\n0::/c1\n", MOUNTS, &read);
        assert_eq!(
            l,
            Limits {
                memory_limit: Some(64 << 20),
                memory_usage: Some(1 << 20),
                swap_limit: Some(32 << 20),
                swap_usage: Some(1 << 20),
            }
        );
    }

    #[test]
    fn v2_wins_and_max_is_no_limit() {
        let read = files(&[
            ("/sys/fs/cgroup/unified/c2/memory.max", "134217728\n"),
            ("/sys/fs/cgroup/unified/c2/memory.current", "4096\n"),
            ("/sys/fs/cgroup/unified/c2/memory.swap.max", "max\n"),
        ]);
        let l = limits_of("0::/c2\n", MOUNTS, &read);
        assert_eq!(l.memory_limit, Some(128 << 20));
        assert_eq!(l.memory_usage, Some(4096));
        assert_eq!(l.swap_limit, None);
        // No limit anywhere (v1's huge number): nothing.
        let read = files(&[(
            "/sys/fs/cgroup/memory/c3/memory.limit_in_bytes",
            "9223372036854771712\n",
        )]);
        assert_eq!(
            limits_of("5:memory:/c3\n", MOUNTS, &read),
            Limits::default()
        );
    }

    #[test]
    fn the_answer_takes_the_limits() {
        // SAFETY: an all-zero sysinfo is valid.
        let mut info: libc::sysinfo = unsafe { std::mem::zeroed() };
        info.mem_unit = 4096;
        info.totalram = 1 << 20; // 4 GiB
        info.freeram = 1 << 19;
        info.totalswap = 1 << 18;
        info.freeswap = 1 << 18;
        info.uptime = 99;
        apply(
            &mut info,
            &Limits {
                memory_limit: Some(64 << 20),
                memory_usage: Some(16 << 20),
                swap_limit: Some(0),
                swap_usage: None,
            },
        );
        assert_eq!(
            (info.totalram, info.freeram, info.mem_unit),
            (64 << 20, 48 << 20, 1)
        );
        assert_eq!((info.totalswap, info.freeswap), (0, 0));
        assert_eq!(info.uptime, 99);
        // A limit above the host's memory: the host's.
        // SAFETY: as above.
        let mut host: libc::sysinfo = unsafe { std::mem::zeroed() };
        host.mem_unit = 1;
        host.totalram = 1000;
        host.freeram = 400;
        apply(
            &mut host,
            &Limits {
                memory_limit: Some(5000),
                memory_usage: Some(100),
                ..Limits::default()
            },
        );
        assert_eq!((host.totalram, host.freeram), (1000, 900));
    }

    /// Byte counts that do not fit a 32-bit field are counted in a larger
    /// unit; a 64-bit field takes them in bytes.
    #[test]
    fn the_unit_makes_the_figures_fit() {
        let u32_max = u64::from(u32::MAX);
        assert_eq!(unit_shift(0, u32_max), 0);
        assert_eq!(unit_shift(u32_max, u32_max), 0);
        assert_eq!(unit_shift(u32_max + 1, u32_max), 1);
        assert_eq!(unit_shift(64 << 30, u32_max), 5);
        assert_eq!(unit_shift(1 << 61, u32_max), 30);
        assert_eq!(unit_shift(u64::MAX, u32_max), 31);
        assert_eq!(unit_shift(64 << 30, u64::MAX), 0);
        assert_eq!(unit_shift(u64::MAX, u64::MAX), 0);
    }

    #[test]
    fn writable_ranges_follow_the_maps() {
        let maps = "\
1000-2000 r-xp 00000000 00:00 0 /bin/x
2000-3000 rw-p 00000000 00:00 0
3000-4000 rw-p 00000000 00:00 0 [heap]
5000-6000 rw-p 00000000 00:00 0
";
        assert!(range_writable(maps, 0x2000, 0x10));
        assert!(
            range_writable(maps, 0x2ff0, 0x20),
            "across two writable mappings"
        );
        assert!(!range_writable(maps, 0x1ff0, 0x20), "starts read-only");
        assert!(!range_writable(maps, 0x3ff0, 0x20), "runs into a hole");
        assert!(!range_writable(maps, 0x7000, 1), "unmapped");
        assert!(!range_writable(maps, u64::MAX, 2));
    }
}
