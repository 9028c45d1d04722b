// Strict mode, the kernel's first seccomp mode: once it is on, the thread may
// call `read`, `write`, `_exit` and `sigreturn`, and nothing else. No program,
// no privilege needed; any other call ends the process with SIGKILL.
use std::error::Error;
use std::io::Write;

fn main() -> Result<(), Box<dyn Error>> {
    // Take standard output's lock now: taking it is no system call, but the
    // first use of the handle might be.
    let mut out = std::io::stdout().lock();
    seccompy::set_strict()?;

    // `write(2)` on a descriptor that is already open: allowed.
    out.write_all(b"in strict mode\n")?;

    // `getpid(2)` is none of the four: the kernel kills the process here.
    let pid = std::process::id();

    // Never reached.
    writeln!(out, "pid {pid}")?;
    Ok(())
}
