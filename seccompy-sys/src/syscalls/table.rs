//! [`SyscallTable`]: one syscall numbering, with look-ups by name and by number.

use core::fmt;

use super::name_index;

/// The syscalls of one numbering, as one kernel `asm/unistd*.h` header defines them.
///
/// Several [`Abi`](super::Abi)s share a table when they differ only in byte order
/// (`arm`/`armeb`, `ppc64`/`ppc64le`, ...). Numbers are exactly what
/// [`seccomp_data::nr`](crate::seccomp_data) carries: x32's include
/// [`X32_SYSCALL_BIT`](crate::X32_SYSCALL_BIT), MIPS's their 4000/5000/6000 base.
///
/// Look-ups read static data only: no allocation, no panic. By name, a hash index
/// built at compile time finds a syscall or alias with, typically, one string
/// comparison; by number, one look where the number would be if the numbering
/// had no gaps, then a binary search.
pub struct SyscallTable {
    /// The table's name, the generated module's (`x86_64`, `mips_o32`, ...).
    pub(super) name: &'static str,
    /// The header the table comes from, as `<arch>/asm/<file>`.
    pub(super) header: &'static str,
    /// `(number, name)`, sorted by number; unique numbers and names.
    pub(super) by_nr: &'static [(u32, &'static str)],
    /// `(alias, canonical name)`, sorted by alias.
    pub(super) aliases: &'static [(&'static str, &'static str)],
    /// The names of `by_nr` and `aliases`, hashed: see [`name_index`].
    pub(super) by_hash: &'static [u16],
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
        let find =
            |name: &str| name_index::find(self.by_hash, self.by_nr, self.aliases, name.as_bytes());
        let mut i = find(name)?;
        if let Some(i_alias) = i.checked_sub(self.by_nr.len()) {
            // An alias: the number of the syscall it names (not of another alias).
            i = find(self.aliases.get(i_alias)?.1)?;
        }
        Some(self.by_nr.get(i)?.0)
    }

    /// The name of syscall number `nr`, or `None` if the table has no such number.
    #[must_use]
    pub fn syscall_name(&self, nr: u32) -> Option<&'static str> {
        // Numberings are dense for most of their range: try where `nr` would be
        // if there were no gaps before it, then search.
        let guess = nr.wrapping_sub(self.by_nr.first()?.0) as usize;
        if let Some(&(n, name)) = self.by_nr.get(guess)
            && n == nr
        {
            return Some(name);
        }
        let i = self.by_nr.binary_search_by_key(&nr, |e| e.0).ok()?;
        Some(self.by_nr.get(i)?.1)
    }
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

#[cfg(test)]
mod tests {
    use crate::syscalls::Abi;

    /// `syscall_name` gives what a linear scan gives, on every number of every
    /// table, its neighbours, and the numbers around the table's ends and gaps.
    #[test]
    fn names_by_number_match_a_linear_scan() {
        for &abi in Abi::ALL {
            let table = abi.syscall_table();
            let scan = |nr: u32| table.by_nr.iter().find(|e| e.0 == nr).map(|e| e.1);
            let first = table.by_nr[0].0;
            let numbers = table
                .by_nr
                .iter()
                .flat_map(|e| [e.0.wrapping_sub(1), e.0, e.0.wrapping_add(1)])
                .chain((0..2048).map(|i| first.wrapping_add(i)))
                .chain([0, first.wrapping_sub(1), u32::MAX, 0x4000_0000, 0x0f_0000]);
            for nr in numbers {
                assert_eq!(table.syscall_name(nr), scan(nr), "{abi} {nr:#x}");
            }
        }
    }
}
