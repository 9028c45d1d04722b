//! [`SyscallTable`]: one syscall numbering, with look-ups by name and by number.

use core::cmp::Ordering;
use core::fmt;

/// The syscalls of one numbering, as one kernel `asm/unistd*.h` header defines them.
///
/// Several [`Abi`](super::Abi)s share a table when they differ only in byte order
/// (`arm`/`armeb`, `ppc64`/`ppc64le`, ...). Numbers are exactly what
/// [`seccomp_data::nr`](crate::seccomp_data) carries: x32's include
/// [`X32_SYSCALL_BIT`](crate::X32_SYSCALL_BIT), MIPS's their 4000/5000/6000 base.
///
/// Look-ups are binary searches over static data: no allocation, no hashing, no panic.
pub struct SyscallTable {
    /// The table's name, the generated module's (`x86_64`, `mips_o32`, ...).
    pub(super) name: &'static str,
    /// The header the table comes from, as `<arch>/asm/<file>`.
    pub(super) header: &'static str,
    /// `(number, name)`, sorted by number; unique numbers and names.
    pub(super) by_nr: &'static [(u32, &'static str)],
    /// Indices into `by_nr`, ordered by name.
    pub(super) by_name: &'static [u16],
    /// `(alias, canonical name)`, sorted by alias.
    pub(super) aliases: &'static [(&'static str, &'static str)],
}

impl SyscallTable {
    /// The table's name (`x86_64`, `x32`, `arm`, `mips_o32`, `mips_n64`, `mips_n32`, ...).
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The UAPI header the table was generated from, as `<arch>/asm/<file>`
    /// (for example `x86/asm/unistd_64.h`).
    #[must_use]
    pub const fn header(&self) -> &'static str {
        self.header
    }

    /// Every syscall as `(number, name)`, sorted by number.
    #[must_use]
    pub const fn syscalls(&self) -> &'static [(u32, &'static str)] {
        self.by_nr
    }

    /// Other names the kernel headers give some syscalls, as `(alias, name)` sorted by
    /// alias (Alpha's `getpid` for `getxpid`, ARM's `sync_file_range2` for
    /// `arm_sync_file_range`). [`syscall_nr`](Self::syscall_nr) accepts them.
    #[must_use]
    pub const fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        self.aliases
    }

    /// The number of the syscall called `name`, or of the syscall an
    /// [alias](Self::aliases) `name` stands for; `None` if the table has neither.
    #[must_use]
    pub fn syscall_nr(&self, name: &str) -> Option<u32> {
        if let Some(nr) = self.lookup(name) {
            return Some(nr);
        }
        let i = self
            .aliases
            .binary_search_by(|(alias, _)| cmp_names(alias, name))
            .ok()?;
        self.lookup(self.aliases.get(i)?.1)
    }

    fn lookup(&self, name: &str) -> Option<u32> {
        let i = self
            .by_name
            .binary_search_by(|&i| cmp_names(self.entry_name(i), name))
            .ok()?;
        let &(nr, _) = self.by_nr.get(usize::from(*self.by_name.get(i)?))?;
        Some(nr)
    }

    fn entry_name(&self, index: u16) -> &'static str {
        self.by_nr.get(usize::from(index)).map_or("", |e| e.1)
    }

    /// The name of syscall number `nr`, or `None` if the table has no such number.
    #[must_use]
    pub fn syscall_name(&self, nr: u32) -> Option<&'static str> {
        let i = self.by_nr.binary_search_by_key(&nr, |e| e.0).ok()?;
        Some(self.by_nr.get(i)?.1)
    }
}

/// `a.cmp(b)` for short names: a byte loop that stops at the first difference,
/// cheaper than `str::cmp`'s `memcmp` call on names of a few bytes, which
/// usually differ in their first ones.
fn cmp_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Tables are unique by name.
impl PartialEq for SyscallTable {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for SyscallTable {}

impl fmt::Debug for SyscallTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyscallTable")
            .field("name", &self.name)
            .field("header", &self.header)
            .field("syscalls", &self.by_nr.len())
            .field("aliases", &self.aliases.len())
            .finish()
    }
}
