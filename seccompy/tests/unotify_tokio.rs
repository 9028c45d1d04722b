//! `AsyncListener` in a tokio runtime (feature `tokio`), live. Every case runs
//! in a forked case process; the targets are its children.
#![cfg(feature = "tokio")]

mod support;
mod unotify_support;

use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use seccompy::FilterFlags;
use seccompy::unotify::{AsyncListener, RecvError, Response};
use support::Exit;
use unotify_support::*;

const MAGIC: i64 = i32::MAX as i64;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap()
}

#[test]
fn receiving_waits_on_readiness_without_blocking_the_runtime() {
    case(|| {
        let (rd, wr) = pipe();
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            // Start only once the runtime has shown it runs other tasks while
            // the supervisor waits.
            if read_byte(rd.as_raw_fd()) != Some(b'g') {
                return 2;
            }
            let ok = (0..3).all(|i| getppid_with([i, 0, 0]) == MAGIC + i as i64);
            if ok { OK } else { 3 }
        });
        let Target { pid, listener } = t;
        let reaper = std::thread::spawn(move || support::wait(pid, Duration::from_secs(20)));
        let ticks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        runtime().block_on(async {
            let mut listener = AsyncListener::new(listener).unwrap();
            let (ticks2, stop2) = (Arc::clone(&ticks), Arc::clone(&stop));
            let ticker = tokio::spawn(async move {
                while !stop2.load(Ordering::Relaxed) {
                    if ticks2.fetch_add(1, Ordering::Relaxed) == 1000 {
                        write_byte(wr.as_raw_fd(), b'g');
                    }
                    tokio::task::yield_now().await;
                }
            });
            for i in 0..3 {
                let n = listener.recv().await.unwrap();
                assert_eq!(n.args[0], i);
                listener
                    .listener()
                    .respond(n.id, Response::value(MAGIC + i as i64))
                    .unwrap();
            }
            // The end, once the target is reaped.
            let end = listener.recv().await;
            assert!(matches!(end, Err(RecvError::Ended)), "{end:?}");
            stop.store(true, Ordering::Relaxed);
            ticker.await.unwrap();
        });
        assert!(ticks.load(Ordering::Relaxed) > 1000);
        assert_eq!(reaper.join().unwrap(), Exit::Code(OK));
    });
}

#[test]
fn a_vanished_notification_never_blocks_the_receive() {
    case(|| {
        let t = spawn_target(FilterFlags::empty(), &notify_getppid(), || {
            support::getppid();
            2
        });
        // Pending, then gone before anyone received it.
        assert!(
            t.listener
                .poll(Some(Duration::from_secs(10)))
                .unwrap()
                .pending
        );
        t.kill(libc::SIGKILL);
        assert_eq!(t.wait(), Exit::Signal(libc::SIGKILL));
        let Target { listener, .. } = t;
        runtime().block_on(async {
            let mut listener = AsyncListener::new(listener).unwrap();
            let first = listener.recv().await;
            assert!(
                matches!(first, Err(RecvError::Gone | RecvError::Ended)),
                "{first:?}"
            );
            let end = listener.recv().await;
            assert!(matches!(end, Err(RecvError::Ended)), "{end:?}");
        });
    });
}
