//! Programs compiled offline and embedded in the binary: [`insns_from_le_bytes`]
//! and [`include_program!`](crate::include_program).
//!
//! The byte format is the one [`seccompy_bpf::Program::to_bytes`] writes: 8-byte
//! `struct sock_filter` records with `code` and `k` little-endian. Decoding
//! happens at compile time, so the embedded program is a `static` array of
//! [`sock_filter`] that [`set_filter`](crate::set_filter) installs without
//! allocating, even between `fork` and `exec`.

use seccompy_sys::sock_filter;

/// Why bytes could not be decoded as `N` instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The byte length is not `8 * N`.
    #[error("{len} bytes are not {insns} instructions of 8 bytes")]
    Length {
        /// The number of bytes.
        len: usize,
        /// The number of instructions expected.
        insns: usize,
    },
}

/// Decodes exactly `N` little-endian `struct sock_filter` records, in a `const`
/// context or at run time.
///
/// # Errors
/// [`EmbedError::Length`] if `bytes` is not `8 * N` bytes long.
///
/// ```
/// use seccompy::embed::insns_from_le_bytes;
/// use seccompy::sys::{BPF_RET, BPF_K, SECCOMP_RET_ALLOW};
///
/// // One instruction: `ret #ALLOW`.
/// const BYTES: [u8; 8] = [0x06, 0, 0, 0, 0, 0, 0xff, 0x7f];
/// const PROGRAM: [seccompy::sys::sock_filter; 1] = match insns_from_le_bytes(&BYTES) {
///     Ok(p) => p,
///     Err(_) => panic!("not a program"),
/// };
/// assert_eq!(PROGRAM[0].code, BPF_RET | BPF_K);
/// assert_eq!(PROGRAM[0].k, SECCOMP_RET_ALLOW);
/// ```
pub const fn insns_from_le_bytes<const N: usize>(
    bytes: &[u8],
) -> Result<[sock_filter; N], EmbedError> {
    if bytes.len() != N * 8 {
        return Err(EmbedError::Length {
            len: bytes.len(),
            insns: N,
        });
    }
    let mut out = [sock_filter {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    }; N];
    let mut i = 0;
    while i < N {
        let b = i * 8;
        out[i] = sock_filter {
            code: u16::from_le_bytes([bytes[b], bytes[b + 1]]),
            jt: bytes[b + 2],
            jf: bytes[b + 3],
            k: u32::from_le_bytes([bytes[b + 4], bytes[b + 5], bytes[b + 6], bytes[b + 7]]),
        };
        i += 1;
    }
    Ok(out)
}

/// Embeds a program compiled offline: expands to a `&'static [sock_filter]`
/// decoded at compile time from the file at `path` (as `include_bytes!` resolves
/// it, relative to the current source file).
///
/// A file whose length is not a multiple of 8 is a compile error.
///
/// ```no_run
/// // Written by `Program::to_bytes` (here, a test program of this crate).
/// static PROGRAM: &[seccompy::sys::sock_filter] =
///     seccompy::include_program!("../tests/data/errno_exdev_on_getppid.x86_64.bpf");
///
/// seccompy::set_no_new_privileges()?;
/// seccompy::set_filter(seccompy::FilterFlags::empty(), PROGRAM)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! include_program {
    ($path:expr) => {{
        const BYTES: &[u8] = include_bytes!($path);
        static PROGRAM: [$crate::sys::sock_filter; BYTES.len() / 8] =
            match $crate::embed::insns_from_le_bytes(BYTES) {
                Ok(p) => p,
                Err(_) => panic!("the file's length is not a multiple of 8 bytes"),
            };
        &PROGRAM as &'static [$crate::sys::sock_filter]
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_program_byte_format() {
        let mut a = seccompy_bpf::Assembler::new();
        let (yes, no) = (a.label(), a.label());
        a.stmt(
            seccompy_sys::BPF_LD | seccompy_sys::BPF_W | seccompy_sys::BPF_ABS,
            4,
        );
        a.jump(
            seccompy_sys::BPF_JMP | seccompy_sys::BPF_JEQ | seccompy_sys::BPF_K,
            0xc000_003e,
            yes,
            no,
        );
        a.bind(yes);
        a.stmt(seccompy_sys::BPF_RET | seccompy_sys::BPF_K, 0x7fff_0000);
        a.bind(no);
        a.stmt(seccompy_sys::BPF_RET | seccompy_sys::BPF_K, 0);
        let program = a.finish().unwrap();
        let bytes = program.to_bytes();
        let decoded: [sock_filter; 4] = insns_from_le_bytes(&bytes).unwrap();
        assert_eq!(&decoded[..], program.insns());
        assert_eq!(
            insns_from_le_bytes::<3>(&bytes),
            Err(EmbedError::Length { len: 32, insns: 3 })
        );
    }
}
