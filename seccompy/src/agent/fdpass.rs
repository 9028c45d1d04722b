//! AF_UNIX sockets: passing fds (`SCM_RIGHTS`), addresses, peer credentials.
//!
//! # References
//! - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html)
//! - [`cmsg(3)`](https://man7.org/linux/man-pages/man3/cmsg.3.html)

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;

/// The most fds one message may carry.
pub(crate) const MAX_FDS: usize = 16;

/// Why [`recv_with_fds`] failed.
#[derive(Debug)]
pub(crate) enum RecvFdsError {
    Io(io::Error),
    /// The control data was cut: more fds than [`MAX_FDS`].
    TooManyFds,
}

/// One `recvmsg(2)` into `buf` with `flags` (`MSG_DONTWAIT`, ...), the fds of
/// any `SCM_RIGHTS` message appended to `fds` (close-on-exec). Retries `EINTR`.
pub(crate) fn recv_with_fds(
    stream: &UnixStream,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    flags: libc::c_int,
) -> Result<usize, RecvFdsError> {
    // Room for MAX_FDS ints, 8-aligned as cmsghdr wants.
    let mut control = [0u64; 16];
    const _: () = assert!(16 * 8 >= 16 + MAX_FDS * 4);
    loop {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: an all-zero msghdr is valid; the pointers are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = size_of_val(&control);
        // SAFETY: `msg` points at `iov` (into `buf`) and `control`, both live
        // and writable for the lengths given.
        let n =
            unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC | flags) };
        if n < 0 {
            let source = io::Error::last_os_error();
            if source.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(RecvFdsError::Io(source));
        }
        // Take every fd first, so that none leaks whatever happens next.
        // SAFETY: `msg` is the header recvmsg filled; CMSG_FIRSTHDR/NXTHDR walk
        // its control buffer within `msg_controllen`.
        let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !cmsg.is_null() {
            // SAFETY: `cmsg` is a valid header inside `control`.
            let header = unsafe { &*cmsg };
            if header.cmsg_level == libc::SOL_SOCKET && header.cmsg_type == libc::SCM_RIGHTS {
                // SAFETY: CMSG_LEN(0) is a constant computation.
                let head = unsafe { libc::CMSG_LEN(0) } as usize;
                let count = (header.cmsg_len as usize).saturating_sub(head) / size_of::<i32>();
                // SAFETY: the data of an SCM_RIGHTS message is `count` ints.
                let data = unsafe { libc::CMSG_DATA(cmsg) }.cast::<i32>();
                for k in 0..count {
                    // SAFETY: within the message's data; unaligned read to be safe.
                    let fd = unsafe { data.add(k).read_unaligned() };
                    // SAFETY: the kernel just installed `fd` for us; we own it.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            // SAFETY: as above.
            cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
        }
        if msg.msg_flags & libc::MSG_CTRUNC != 0 {
            return Err(RecvFdsError::TooManyFds);
        }
        return Ok(n as usize);
    }
}

/// Sends `data` with `fds` attached (`SCM_RIGHTS`, at most [`MAX_FDS`]) in one
/// `sendmsg(2)`; returns the bytes sent. Retries `EINTR`; never raises `SIGPIPE`.
pub(crate) fn send_with_fds(
    stream: &UnixStream,
    data: &[u8],
    fds: &[BorrowedFd<'_>],
) -> io::Result<usize> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut control = [0u64; 16];
    loop {
        let mut iov = libc::iovec {
            iov_base: data.as_ptr().cast_mut().cast(),
            iov_len: data.len(),
        };
        // SAFETY: an all-zero msghdr is valid; the pointers are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            let bytes = (fds.len() * size_of::<i32>()) as u32;
            msg.msg_control = control.as_mut_ptr().cast();
            // SAFETY: CMSG_SPACE is a constant computation.
            msg.msg_controllen = unsafe { libc::CMSG_SPACE(bytes) } as usize;
            // SAFETY: `control` holds CMSG_SPACE(16 ints) bytes, aligned; the
            // header and data written stay within `msg_controllen`.
            unsafe {
                let c = libc::CMSG_FIRSTHDR(&msg);
                (*c).cmsg_level = libc::SOL_SOCKET;
                (*c).cmsg_type = libc::SCM_RIGHTS;
                (*c).cmsg_len = libc::CMSG_LEN(bytes) as usize;
                let out = libc::CMSG_DATA(c).cast::<i32>();
                for (k, fd) in fds.iter().enumerate() {
                    out.add(k).write_unaligned(fd.as_raw_fd());
                }
            }
        }
        // SAFETY: `msg` points at live buffers (`data` is only read).
        let n = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// The address of the socket file `path`.
pub(crate) fn sockaddr(path: &Path) -> io::Result<libc::sockaddr_un> {
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: an all-zero sockaddr_un is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, &s) in addr.sun_path.iter_mut().zip(bytes) {
        *d = s as libc::c_char;
    }
    Ok(addr)
}

/// Removes a socket file left at `path` by a previous run (nothing else);
/// fails with `AddrInUse` if a process still listens there (`sock_type`:
/// `SOCK_STREAM` or `SOCK_SEQPACKET`).
pub(crate) fn remove_stale_socket(path: &Path, sock_type: libc::c_int) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Ok(());
    }
    let addr = sockaddr(path)?;
    // SAFETY: plain call.
    let fd = cvt(unsafe { libc::socket(libc::AF_UNIX, sock_type | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: a new fd we own.
    let probe = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: our fd and a valid address.
    let connected = unsafe {
        libc::connect(
            probe.as_raw_fd(),
            (&raw const addr).cast(),
            size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    } == 0;
    if connected {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("another process listens on {}", path.display()),
        ));
    }
    std::fs::remove_file(path)
}

/// The peer's uid and pid (`SO_PEERCRED`).
pub(crate) fn peer_cred(stream: &UnixStream) -> io::Result<(u32, i32)> {
    // SAFETY: an all-zero ucred is valid.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is writable for `len` bytes.
    cvt(unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    })?;
    Ok((cred.uid, cred.pid))
}

/// A C call's result: the error of `errno` when negative.
pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}
