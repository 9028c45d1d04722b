//! The supervisor loop, target memory and spawning, live. Every case runs in a
//! forked case process; the targets are its children and install the filters.
mod support;
mod unotify_support;

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use seccompy::unotify::{AddFd, Errno, MemoryError, Response, Supervisor};
use seccompy::{Filter, FilterAction, FilterArgs, FilterFlags, SeccompOptions};
use support::{Exit, getppid, gettid};
use unotify_support::*;

const MAGIC: i64 = i32::MAX as i64;

/// The answer thread `t` gets for its call number `seq`.
fn token(t: u64, seq: u64) -> i64 {
    (t * 1_000_000 + seq + 1) as i64
}

/// 10,000 calls per thread, or `SECCOMPY_UNOTIFY_CALLS`.
fn calls_per_thread() -> u64 {
    std::env::var("SECCOMPY_UNOTIFY_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

#[test]
fn eight_threads_four_workers_none_lost_duplicated_or_misrouted() {
    const THREADS: u64 = 8;
    let calls = calls_per_thread();
    case_with_timeout(Duration::from_secs(300), move || {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), move || {
            let workers: Vec<_> = (0..THREADS)
                .map(|th| {
                    std::thread::spawn(move || {
                        let tid = gettid() as u64;
                        (0..calls)
                            .filter(|&seq| getppid_with([th, seq, tid]) != token(th, seq))
                            .count()
                    })
                })
                .collect();
            let wrong: usize = workers.into_iter().map(|w| w.join().unwrap_or(1)).sum();
            if wrong == 0 { OK } else { 2 }
        });
        let seen: Vec<AtomicU8> = (0..THREADS * calls).map(|_| AtomicU8::new(0)).collect();
        let misrouted = AtomicUsize::new(0);
        let out_of_range = AtomicUsize::new(0);
        let Target { pid, listener } = t;
        let start = Instant::now();
        let (stats, exit) = std::thread::scope(|s| {
            // The supervisor ends once the target is reaped.
            let reaper = s.spawn(|| support::wait(pid, Duration::from_secs(280)));
            let stats = Supervisor::new(listener)
                .workers(4)
                .run(|req| {
                    let [th, seq, tid, ..] = req.args;
                    if th >= THREADS || seq >= calls {
                        out_of_range.fetch_add(1, Ordering::Relaxed);
                        return Response::errno(Errno::EINVAL);
                    }
                    // The notification's thread is the thread that made the call.
                    if u64::from(req.pid) != tid {
                        misrouted.fetch_add(1, Ordering::Relaxed);
                    }
                    seen[(th * calls + seq) as usize].fetch_add(1, Ordering::Relaxed);
                    Response::value(token(th, seq))
                })
                .unwrap();
            (stats, reaper.join().unwrap())
        });
        let elapsed = start.elapsed();
        assert_eq!(exit, Exit::Code(OK), "the targets saw wrong answers");
        let total = THREADS * calls;
        assert_eq!(stats.received, total, "{stats:?}");
        assert_eq!(stats.answered, total, "{stats:?}");
        assert_eq!((stats.gone, stats.panics, stats.refused), (0, 0, 0));
        assert_eq!(misrouted.load(Ordering::Relaxed), 0);
        assert_eq!(out_of_range.load(Ordering::Relaxed), 0);
        let not_once = seen
            .iter()
            .filter(|c| c.load(Ordering::Relaxed) != 1)
            .count();
        assert_eq!(not_once, 0, "calls not seen exactly once");
        eprintln!(
            "{total} notified calls in {elapsed:?} ({:.1} µs each)",
            elapsed.as_secs_f64() * 1e6 / total as f64
        );
    });
}

#[test]
fn a_killed_supervisor_leaves_enosys() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let first = getppid();
            let second = getppid();
            let third = getppid();
            let enosys = -i64::from(libc::ENOSYS);
            if first == MAGIC && second == enosys && third == enosys {
                OK
            } else {
                2
            }
        });
        let Target { pid, listener } = t;
        // The supervisor is another process; ours is its only copy after this.
        // The child supervises and is killed.
        let sup = seccompy_testing::fork(|| {
            let n = listener.recv().unwrap();
            listener.respond(n.id, Response::value(MAGIC)).unwrap();
            // Receive the second call and never answer it.
            let _pending = listener.recv().unwrap();
            write_byte(wr.as_raw_fd(), b'r');
            loop {
                // SAFETY: pause takes no argument.
                unsafe { libc::pause() };
            }
        })
        .expect("fork");
        drop(listener);
        assert_eq!(read_byte(rd.as_raw_fd()), Some(b'r'));
        // SAFETY: killing our own child.
        unsafe { libc::kill(sup, libc::SIGKILL) };
        assert_eq!(
            support::wait(sup, Duration::from_secs(10)),
            Exit::Signal(libc::SIGKILL)
        );
        assert_eq!(support::wait(pid, Duration::from_secs(10)), Exit::Code(OK));
    });
}

#[test]
fn a_panicking_handler_gets_the_fallback_errno_and_serving_goes_on() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let r: Vec<i64> = (0..3).map(|i| getppid_with([i, 0, 0])).collect();
            if r == [MAGIC, -i64::from(libc::EXDEV), MAGIC] {
                OK
            } else {
                2
            }
        });
        let Target { pid, listener } = t;
        let stats = std::thread::scope(|s| {
            let reaper = s.spawn(|| support::wait(pid, Duration::from_secs(20)));
            let stats = Supervisor::new(listener)
                .workers(2)
                .fallback_errno(Errno::EXDEV)
                .run(|req| {
                    assert_ne!(req.args[0], 1, "the handler fails on call 1");
                    Response::value(MAGIC)
                })
                .unwrap();
            assert_eq!(reaper.join().unwrap(), Exit::Code(OK));
            stats
        });
        assert_eq!((stats.received, stats.answered, stats.panics), (3, 3, 1));
    });
}

/// Runs `handler` over every call of a target running `body`, with one worker,
/// and returns the target's exit.
fn supervise(
    body: impl FnOnce() -> i32,
    handler: impl Fn(&seccompy::unotify::Request<'_>) -> Response + Sync,
) -> Exit {
    let Target { pid, listener } = spawn_target(FilterFlags::empty(), &notify_getppid(), body);
    std::thread::scope(|s| {
        let reaper = s.spawn(|| support::wait(pid, Duration::from_secs(20)));
        Supervisor::new(listener).run(handler).unwrap();
        reaper.join().unwrap()
    })
}

#[test]
fn memory_reads_see_the_targets_memory_and_only_it() {
    case(|| {
        let exit = supervise(
            || {
                // Written after the fork: only the target has this text.
                // SAFETY: getpid takes no argument.
                let text = format!("/target/{}", unsafe { libc::getpid() });
                let c = CString::new(text.clone()).unwrap();
                let r = getppid_with([c.as_ptr() as u64, text.len() as u64, 0]);
                if r == MAGIC { OK } else { 2 }
            },
            |req| {
                let [addr, len, ..] = req.args;
                let mem = req.memory();
                let want = format!("/target/{}", req.pid);
                let s = mem.read_c_string(addr, 4096).unwrap();
                assert_eq!(s.to_str().unwrap(), want);
                let mut buf = vec![0; len as usize + 1];
                mem.read(addr, &mut buf).unwrap();
                assert_eq!(&buf[..len as usize], want.as_bytes());
                assert_eq!(buf[len as usize], 0);
                assert_eq!(mem.read_vec(addr, 3).unwrap(), b"/ta");
                // A length from the target is never trusted to allocate.
                assert!(matches!(
                    mem.read_vec(addr, usize::MAX),
                    Err(MemoryError::Io { .. })
                ));
                // Too long for the limit, an unmapped address.
                assert!(matches!(
                    mem.read_c_string(addr, 3),
                    Err(MemoryError::TooLong { max: 3, .. })
                ));
                let mut junk = [0xffu8; 8];
                assert!(matches!(
                    mem.read(8, &mut junk),
                    Err(MemoryError::Fault { .. })
                ));
                assert_eq!(junk, [0; 8], "a failed read zeroes the buffer");
                Response::value(MAGIC)
            },
        );
        assert_eq!(exit, Exit::Code(OK));
    });
}

#[test]
fn c_strings_are_read_up_to_an_unmapped_page() {
    case(|| {
        let exit = supervise(
            || {
                // SAFETY: sysconf takes no pointer.
                let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
                // Two pages, the second made inaccessible.
                // SAFETY: a fresh anonymous mapping.
                let base = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        2 * page,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                if base == libc::MAP_FAILED {
                    return 2;
                }
                let base = base.cast::<u8>();
                // SAFETY: the second page of our own mapping.
                if unsafe { libc::mprotect(base.add(page).cast(), page, libc::PROT_NONE) } != 0 {
                    return 3;
                }
                // "abc\0" ending at the boundary, and "xyz" without a NUL.
                // SAFETY: inside the first page.
                let (ends, open) = unsafe {
                    let ends = base.add(page - 4);
                    std::ptr::copy_nonoverlapping(c"abc".to_bytes_with_nul().as_ptr(), ends, 4);
                    let open = base.add(page - 8);
                    std::ptr::copy_nonoverlapping(b"wxyz".as_ptr(), open, 4);
                    (ends, open)
                };
                let r = getppid_with([ends as u64, open as u64, 0]);
                if r == MAGIC { OK } else { 4 }
            },
            |req| {
                let [ends, open, ..] = req.args;
                let mem = req.memory();
                let s = mem.read_c_string(ends, 4096).unwrap();
                assert_eq!(s.as_bytes(), b"abc");
                // "wxyzabc" then the NUL right before the boundary.
                let s = mem.read_c_string(open, 4096).unwrap();
                assert_eq!(s.as_bytes(), b"wxyzabc");
                // Past the NUL, the next read hits the unmapped page.
                assert!(matches!(
                    mem.read_c_string(ends + 4, 4096),
                    Err(MemoryError::Fault { .. })
                ));
                let mut two = [0u8; 8];
                assert!(matches!(
                    mem.read(ends, &mut two),
                    Err(MemoryError::Fault { .. })
                ));
                Response::value(MAGIC)
            },
        );
        assert_eq!(exit, Exit::Code(OK));
    });
}

#[test]
fn a_read_whose_target_exits_before_validation_is_invalid() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let secret = *b"secret-bytes";
            getppid_with([secret.as_ptr() as u64, secret.len() as u64, 0]);
            2
        });
        let n = t.listener.recv().unwrap();
        let mem = t.listener.memory(&n);
        let pending = mem.start_read(n.args[0], n.args[1] as usize).unwrap();
        assert_eq!(pending.len(), 12);
        // The target dies between the read and the validation.
        t.kill(libc::SIGKILL);
        assert_eq!(t.wait(), Exit::Signal(libc::SIGKILL));
        assert!(matches!(
            pending.validate(),
            Err(MemoryError::Invalid { .. })
        ));
        // A read once it is gone is reported the same way, not as a fault.
        let mut buf = [0u8; 4];
        let r = mem.read(n.args[0], &mut buf);
        assert!(matches!(r, Err(MemoryError::Invalid { .. })), "{r:?}");
        assert!(matches!(
            mem.read_c_string(n.args[0], 64),
            Err(MemoryError::Invalid { .. })
        ));
    });
}

#[test]
fn a_handler_sends_an_fd_and_the_call_returns_it() {
    case(|| {
        let (rd, wr) = pipe();
        write_byte(wr.as_raw_fd(), b'z');
        drop(wr);
        let rd_fd: RawFd = rd.as_raw_fd();
        let exit = supervise(
            || {
                let fd = getppid();
                if fd < 0 || fd as RawFd == rd_fd {
                    return 2;
                }
                // The pipe's read end: the byte written before.
                match read_byte(fd as RawFd) {
                    Some(b'z') => OK,
                    _ => 3,
                }
            },
            |req| {
                let r = req.send_fd(AddFd::new(rd.as_fd())).unwrap();
                assert!(r.sent_fd().unwrap().get() > 2);
                r
            },
        );
        assert_eq!(exit, Exit::Code(OK));
    });
}

/// A filter that sends `mkdir` and `mkdirat` to the listener and allows the rest.
fn notify_mkdir() -> Filter {
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    for name in ["mkdir", "mkdirat"] {
        filter.add_syscall(name, FilterAction::UserNotif);
    }
    filter
}

#[test]
fn spawn_runs_a_command_under_its_filter_and_supervises_it() {
    case(|| {
        let dir = std::env::temp_dir().join(format!("seccompy-unotify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let program = notify_mkdir().compile().unwrap();
        let mut command = Command::new("mkdir");
        command.arg(&dir).stderr(std::process::Stdio::null());
        let seccompy::unotify::Supervised {
            mut child,
            listener,
            ..
        } = seccompy::unotify::spawn(&mut command, program, SeccompOptions::default()).unwrap();
        let asked = Mutex::new(Vec::new());
        let status = std::thread::scope(|s| {
            let waiter = s.spawn(move || child.wait().unwrap());
            Supervisor::new(listener)
                .run(|req| {
                    let name = req.syscall_name().unwrap_or("?");
                    let path_arg = if name == "mkdirat" { 1 } else { 0 };
                    let path = req
                        .memory()
                        .read_c_string(req.args[path_arg], libc::PATH_MAX as usize)
                        .unwrap();
                    asked.lock().unwrap().push((name.to_owned(), path));
                    Response::errno(Errno::EROFS)
                })
                .unwrap();
            waiter.join().unwrap()
        });
        assert!(!status.success());
        assert!(!dir.exists());
        let asked = asked.into_inner().unwrap();
        assert_eq!(asked.len(), 1, "{asked:?}");
        assert!(asked[0].0.starts_with("mkdir"));
        assert_eq!(asked[0].1.to_str().unwrap(), dir.to_str().unwrap());
    });
}

/// Supervises a `mkdir` child with whatever listener it was spawned with,
/// answering EROFS (as a `Response` made from an `Errno`); returns the child's
/// standard error, its status and the number of calls answered.
fn supervise_mkdir(
    mut child: std::process::Child,
    listener: impl Into<seccompy::unotify::Listener>,
) -> (String, std::process::ExitStatus, u64) {
    use std::io::Read;
    let mut stderr = child.stderr.take().unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(move || {
            let mut err = String::new();
            stderr.read_to_string(&mut err).unwrap();
            (err, child.wait().unwrap())
        });
        let stats = Supervisor::new(listener)
            .run(|_| Errno::EROFS.into())
            .unwrap();
        let (err, status) = waiter.join().unwrap();
        (err, status, stats.answered)
    })
}

#[test]
fn every_way_of_spawning_leads_to_a_supervisor_without_conversion() {
    use seccompy::CommandSeccompExt;
    case(|| {
        let dir = std::env::temp_dir().join(format!("seccompy-spawned-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let filter = notify_mkdir();
        let mkdir = || {
            let mut command = Command::new("mkdir");
            command
                .arg(&dir)
                .env("LC_ALL", "C")
                .stderr(std::process::Stdio::piped());
            command
        };
        let refused = |(err, status, answered): (String, std::process::ExitStatus, u64)| {
            assert!(!status.success());
            assert!(err.contains("Read-only file system"), "{err}");
            assert_eq!(answered, 1);
            assert!(!dir.exists());
        };
        // `spawn_with_listener`'s `OwnedFd`, as it is.
        let spawned = mkdir()
            .spawn_with_listener(filter.compile().unwrap(), SeccompOptions::default())
            .unwrap();
        refused(supervise_mkdir(spawned.child, spawned.listener));
        // Or as `unotify::spawn`'s `Supervised`.
        let supervised = seccompy::unotify::Supervised::from(
            mkdir()
                .spawn_with_listener(filter.compile().unwrap(), SeccompOptions::default())
                .unwrap(),
        );
        refused(supervise_mkdir(supervised.child, supervised.listener));
        // `unotify::spawn`'s `Listener`.
        let supervised = seccompy::unotify::spawn(
            &mut mkdir(),
            filter.compile().unwrap(),
            SeccompOptions::default(),
        )
        .unwrap();
        refused(supervise_mkdir(supervised.child, supervised.listener));
    });
}

#[test]
fn kill_reaches_the_caller_while_its_call_waits_and_never_after() {
    case(|| {
        // The call comes from a thread that is not the process's leader: the
        // process is found from the thread.
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            std::thread::spawn(getppid).join().map_or(3, |_| 2)
        });
        let n = t.listener.recv().unwrap();
        assert_ne!(
            n.tid(),
            Some(t.pid),
            "the call should come from a second thread"
        );
        let pidfd = t.listener.pidfd(&n).unwrap();
        assert!(pidfd.as_raw_fd() >= 0);
        t.listener.kill(&n).unwrap();
        assert_eq!(t.wait(), Exit::Signal(libc::SIGKILL));
        // Gone and reaped: the notification's pid may be anyone's now; nothing
        // is signalled.
        assert!(matches!(
            t.listener.kill(&n),
            Err(seccompy::unotify::PidfdError::Gone { .. })
        ));
        assert!(matches!(
            t.listener.pidfd(&n),
            Err(seccompy::unotify::PidfdError::Gone { .. })
        ));
    });
}

#[test]
fn spawn_refuses_a_filter_that_notifies_a_call_made_before_exec() {
    use seccompy::unotify::SpawnError;
    use seccompy::{Arg, CommandSeccompExt, NotifiedBeforeExec};
    // Each of these used to leave spawn waiting forever: the case process is
    // killed (and the test fails) if it takes more than 20 s.
    case_with_timeout(Duration::from_secs(20), || {
        let notifying = |name: &'static str, when_arg0: Option<u64>| {
            let mut filter = Filter::new(FilterArgs {
                default_action: FilterAction::Allow,
                ..FilterArgs::default()
            });
            match when_arg0 {
                None => filter.add_syscall(name, FilterAction::UserNotif),
                Some(v) => filter.add_rule(name, FilterAction::UserNotif, [Arg(0).eq(v)]),
            };
            filter.compile().unwrap()
        };
        for (name, when) in [
            ("execve", None),
            ("execve", Some(1)), // on some arguments only: refused all the same
            ("sendmsg", None),
            ("close", None),
            ("write", None),
            ("exit_group", None),
        ] {
            let started = Instant::now();
            let got = seccompy::unotify::spawn(
                &mut Command::new("true"),
                notifying(name, when),
                SeccompOptions::default(),
            );
            match got {
                Err(SpawnError::NotifiedBeforeExec(NotifiedBeforeExec { syscall })) => {
                    assert_eq!(syscall, name);
                }
                other => panic!("{name}: {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(5));
            // The same through the Command extension, as an io::Error.
            let e = Command::new("true")
                .spawn_with_listener(notifying(name, when), SeccompOptions::default())
                .unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
            let inner = e
                .get_ref()
                .and_then(|e| e.downcast_ref::<NotifiedBeforeExec>());
            assert_eq!(inner, Some(&NotifiedBeforeExec { syscall: name }));
        }
        // A filter that notifies none of them spawns, and its child runs.
        let seccompy::unotify::Supervised { mut child, .. } = seccompy::unotify::spawn(
            &mut Command::new("true"),
            notifying("mkdirat", None),
            SeccompOptions::default(),
        )
        .unwrap();
        assert!(child.wait().unwrap().success());
    });
}

/// A filter sending `names` to the listener and allowing everything else.
fn notifying_all(names: &[&'static str]) -> seccompy::bpf::Program {
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    for name in names {
        filter.add_syscall(*name, FilterAction::UserNotif);
    }
    filter.compile().unwrap()
}

#[test]
fn spawn_exec_lets_the_filter_notify_execve_and_everything_else() {
    case_with_timeout(Duration::from_secs(20), || {
        let program = notifying_all(&["execve", "close", "write", "sendmsg", "exit_group"]);
        let argv = ["/bin/sh", "-c", "echo hi > /dev/null"].map(|a| CString::new(a).unwrap());
        // SAFETY: the preparation does nothing.
        let child = unsafe {
            seccompy::unotify::spawn_exec(
                &argv[0],
                &argv,
                &program,
                SeccompOptions::default(),
                || Ok(()),
            )
        }
        .unwrap();
        let seen = Mutex::new(Vec::new());
        let pid = child.pid;
        let exit = std::thread::scope(|s| {
            let waiter = s.spawn(|| support::wait(pid, Duration::from_secs(15)));
            Supervisor::new(child.listener)
                .run(|req| {
                    let name = req.syscall_name().unwrap_or("?");
                    if name == "execve" {
                        let path = req.memory().read_c_string(req.args[0], 4096).unwrap();
                        seen.lock()
                            .unwrap()
                            .push(format!("execve {}", path.to_str().unwrap()));
                    } else {
                        seen.lock().unwrap().push(name.to_string());
                    }
                    Response::continue_unchecked()
                })
                .unwrap();
            waiter.join().unwrap()
        });
        assert_eq!(exit, Exit::Code(0));
        assert!(child.exec.error().is_none());
        let seen = seen.into_inner().unwrap();
        // execve is the first call the filter sees.
        assert_eq!(seen[0], "execve /bin/sh", "{seen:?}");
        for name in ["write", "close", "exit_group"] {
            assert!(seen.iter().any(|s| s == name), "{name}: {seen:?}");
        }
    });
}

#[test]
fn spawn_exec_reports_a_failed_execve_and_a_second_listener() {
    case_with_timeout(Duration::from_secs(20), || {
        let program = notifying_all(&["exit_group"]);
        let argv = [CString::new("/nonexistent/program").unwrap()];
        // SAFETY: the preparation does nothing.
        let child = unsafe {
            seccompy::unotify::spawn_exec(
                &argv[0],
                &argv,
                &program,
                SeccompOptions::default(),
                || Ok(()),
            )
        }
        .unwrap();
        let pid = child.pid;
        let exit = std::thread::scope(|s| {
            let waiter = s.spawn(|| support::wait(pid, Duration::from_secs(15)));
            Supervisor::new(child.listener)
                .run(|_| Response::continue_unchecked())
                .unwrap();
            waiter.join().unwrap()
        });
        assert_eq!(exit, Exit::Code(seccompy::unotify::EXEC_FAILED));
        assert_eq!(
            child.exec.error().and_then(|e| e.raw_os_error()),
            Some(libc::ENOENT)
        );

        // Under a filter with a listener, a second one is refused, typed.
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            let argv = [CString::new("/bin/true").unwrap()];
            // SAFETY: the preparation does nothing.
            let got = unsafe {
                seccompy::unotify::spawn_exec(
                    &argv[0],
                    &argv,
                    notifying_all(&["mkdirat"]),
                    SeccompOptions::default(),
                    || Ok(()),
                )
            };
            match got {
                Err(seccompy::unotify::ExecError::Install {
                    source: seccompy::SetFilterError::ListenerBusy { .. },
                }) => OK,
                _ => 2,
            }
        });
        t.assert_ok();
    });
}
