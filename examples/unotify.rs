use std::error::Error;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};

use seccompy::unotify::{self, AddFd, Errno, Response, Supervisor};
use seccompy::{Filter, FilterAction, FilterArgs, SeccompOptions};

fn main() -> Result<(), Box<dyn Error>> {
    // The child's mkdir, mkdirat and openat come to this process; the rest runs.
    let mut filter = Filter::new(FilterArgs {
        default_action: FilterAction::Allow,
        ..FilterArgs::default()
    });
    filter
        .add_syscall("mkdir", FilterAction::UserNotif)
        .add_syscall("mkdirat", FilterAction::UserNotif)
        .add_syscall("openat", FilterAction::UserNotif);
    let program = filter.compile()?;

    let dir = std::env::temp_dir().join("seccompy-unotify-example");
    let script = format!(
        "mkdir {} 2>/dev/null || echo refused; cat /virtual/greeting",
        dir.display()
    );
    let mut command = Command::new("/bin/sh");
    command.args(["-c", &script]).stdout(Stdio::piped());
    let unotify::Supervised {
        mut child,
        listener,
        ..
    } = unotify::spawn(&mut command, program, SeccompOptions::default())?;

    // Collect the child's output and status on another thread: the supervisor
    // runs here until the child (and the `cat` it starts) are gone.
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || -> std::io::Result<_> {
        let mut out = String::new();
        stdout.read_to_string(&mut out)?;
        Ok((out, child.wait()?))
    });

    let stats = Supervisor::new(listener).workers(2).run(|req| {
        let name = req.syscall_name().unwrap_or("?");
        // mkdir(path, mode); mkdirat and openat(dirfd, path, ...).
        let path_arg = if name == "mkdir" { 0 } else { 1 };
        // Read from the child's memory, validated against the notification.
        let Ok(path) = req
            .memory()
            .read_c_string(req.args[path_arg], libc::PATH_MAX as usize)
        else {
            return Response::errno(Errno::EFAULT);
        };
        match name {
            "mkdir" | "mkdirat" => {
                eprintln!("supervisor: {name}({path:?}) refused");
                Response::errno(Errno::EROFS)
            }
            "openat" if path.as_bytes() == b"/virtual/greeting" => {
                // A file that does not exist: a pipe holding the text, whose
                // read end becomes the child's fd and the call's result.
                let Ok((rd, mut wr)) = std::io::pipe() else {
                    return Response::errno(Errno::ENOMEM);
                };
                if wr.write_all(b"hello from the supervisor\n").is_err() {
                    return Response::errno(Errno::EIO);
                }
                drop(wr);
                let cloexec = req.args[2] as i32 & libc::O_CLOEXEC != 0;
                let add = AddFd::new(rd.as_fd()).cloexec(cloexec);
                match req.send_fd(add) {
                    Ok(sent) => {
                        eprintln!(
                            "supervisor: {path:?} is the child's fd {:?}",
                            sent.sent_fd()
                        );
                        sent
                    }
                    Err(_) => Response::errno(Errno::EMFILE),
                }
            }
            // Anything else the child opens (its libraries, ...) is only looked
            // at: let the kernel run it. Never a security decision; see
            // `Response::continue_unchecked`.
            _ => Response::continue_unchecked(),
        }
    })?;

    let (out, status) = reader.join().map_err(|_| "the reader panicked")??;
    print!("{out}");
    println!("supervisor: {} calls answered", stats.answered);
    assert_eq!(out, "refused\nhello from the supervisor\n");
    assert!(status.success());
    assert!(!dir.exists());
    Ok(())
}
