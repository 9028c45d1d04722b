// A filter: a list of the system calls this program still needs once it has
// locked itself down, every other call fatal, and one call answered with an
// error of the filter's own instead of being made.
use std::error::Error;
use std::fs::File;
use std::io::ErrorKind;

use libc::{SYS_exit_group, SYS_munmap, SYS_openat, SYS_sigaltstack, SYS_write};
use seccompy::{Filter, FilterAction, FilterArgs, FilterFlags};

fn main() -> Result<(), Box<dyn Error>> {
    // The default arguments: a call the filter does not name kills the thread
    // that makes it, by SIGSYS.
    let mut filter = Filter::new(FilterArgs::default());

    // `println!` needs `write`; a Rust program's way out needs `sigaltstack`
    // and `munmap` (its signal stack is freed) and `exit_group`.
    let needed = [SYS_write, SYS_sigaltstack, SYS_munmap, SYS_exit_group];
    filter.add_syscall_group(&needed.map(|nr| nr as u32), FilterAction::Allow);

    // Opening a file is not made: the filter answers ETXTBSY (26), an error no
    // open of a plain file gives, so the check below knows who answered.
    filter.add_syscall_group(&[SYS_openat as u32], FilterAction::Errno { errno: 26 });

    // Without CAP_SYS_ADMIN, a thread may install a filter only once it has
    // given up gaining privileges (set-user-ID programs and the like).
    seccompy::set_no_new_privileges()?;
    seccompy::set_filter(FilterFlags::default(), &filter.compile()?)?;

    println!("filter installed");

    let refused = File::open("/etc/hostname").unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ExecutableFileBusy);
    Ok(())
}
