//! [`SyscallTable`]: one syscall numbering, with look-ups by name and by number.

use core::fmt;

use super::{Module, name_index};

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
///
/// The look-ups read a compact encoding that holds no pointer: the numbers as one
/// array, the names end to end in one string. [`syscalls`](Self::syscalls) and
/// [`aliases`](Self::aliases) give the table as slices of pairs, data that a
/// program links only if it calls them.
pub struct SyscallTable {
    /// The table's name, the generated module's (`x86_64`, `mips_o32`, ...).
    pub(super) name: &'static str,
    /// The header the table comes from, as `<arch>/asm/<file>`.
    pub(super) header: &'static str,
    /// The generated module, whose constants [`syscalls`](Self::syscalls) and
    /// [`aliases`](Self::aliases) return.
    pub(super) module: Module,
    /// The syscalls' numbers, sorted; unique.
    pub(super) nrs: &'static [u32],
    /// The names end to end ([`compact::name`]): the syscalls' (in the order of
    /// `nrs`), the aliases' (sorted), then the names the aliases stand for.
    pub(super) names: &'static str,
    /// `ends[k]`: where name `k` of `names` ends; it starts where name `k - 1` ends.
    pub(super) ends: &'static [u16],
    /// How many aliases the table has.
    pub(super) aliases: usize,
    /// The syscalls' and aliases' names, hashed: see [`name_index`].
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
    ///
    /// These slices hold a pointer per name: a program that needs only numbers or
    /// look-ups is smaller using [`numbers`](Self::numbers),
    /// [`syscall_name`](Self::syscall_name) and [`syscall_nr`](Self::syscall_nr).
    #[must_use]
    pub const fn syscalls(&self) -> &'static [(u32, &'static str)] {
        self.module.source().0
    }

    /// Every syscall's number, sorted (the numbers of [`syscalls`](Self::syscalls)).
    #[must_use]
    pub const fn numbers(&self) -> &'static [u32] {
        self.nrs
    }

    /// Other names the kernel headers give some syscalls, as `(alias, name)` sorted by
    /// alias (Alpha's `getpid` for `getxpid`, ARM's `sync_file_range2` for
    /// `arm_sync_file_range`). [`syscall_nr`](Self::syscall_nr) accepts them.
    #[must_use]
    pub const fn aliases(&self) -> &'static [(&'static str, &'static str)] {
        self.module.source().1
    }

    /// Name `k` of [`names`](Self::names), `None` past the end.
    fn name_at(&self, k: usize) -> Option<&'static str> {
        let end = usize::from(*self.ends.get(k)?);
        let start = match k.checked_sub(1) {
            Some(before) => usize::from(*self.ends.get(before)?),
            None => 0,
        };
        self.names.get(start..end)
    }

    /// The position in `nrs` of the syscall or alias called `name`: `i` for
    /// syscall `i`, `nrs.len() + j` for alias `j`.
    fn find(&self, name: &[u8]) -> Option<usize> {
        let count = self.nrs.len() + self.aliases;
        name_index::find(self.by_hash, self.names.as_bytes(), self.ends, count, name)
    }

    /// The number of the syscall called `name`, or of the syscall an
    /// [alias](Self::aliases) `name` stands for; `None` if the table has neither.
    #[must_use]
    pub fn syscall_nr(&self, name: &str) -> Option<u32> {
        let mut i = self.find(name.as_bytes())?;
        if let Some(j) = i.checked_sub(self.nrs.len()) {
            // An alias: the number of the syscall it names (not of another alias).
            let target = self.name_at(self.nrs.len() + self.aliases + j)?;
            i = self.find(target.as_bytes())?;
        }
        self.nrs.get(i).copied()
    }

    /// The position of number `nr` in [`numbers`](Self::numbers) (and
    /// [`syscalls`](Self::syscalls)), or `None` if the table has no such number.
    #[must_use]
    pub fn position(&self, nr: u32) -> Option<usize> {
        // Numberings are dense for most of their range: try where `nr` would be
        // if there were no gaps before it, then search.
        let guess = nr.wrapping_sub(*self.nrs.first()?) as usize;
        if self.nrs.get(guess) == Some(&nr) {
            return Some(guess);
        }
        self.nrs.binary_search(&nr).ok()
    }

    /// The name of syscall number `nr`, or `None` if the table has no such number.
    #[must_use]
    pub fn syscall_name(&self, nr: u32) -> Option<&'static str> {
        self.name_at(self.position(nr)?)
    }

    /// Every syscall as `(number, name)`, sorted by number, read from the compact
    /// encoding: what [`syscalls`](Self::syscalls) holds.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &'static str)> + '_ {
        self.nrs
            .iter()
            .enumerate()
            .map(|(i, &nr)| (nr, self.name_at(i).unwrap_or_default()))
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
            .field("syscalls", &self.nrs.len())
            .field("aliases", &self.aliases)
            .finish()
    }
}

/// The compact encoding of a table, computed by the compiler from the generated
/// module's `BY_NR` and `ALIASES` constants (see [`syscall_table`]); a program
/// stores the constants themselves only if it calls [`SyscallTable::syscalls`] or
/// [`SyscallTable::aliases`].
///
/// Why: a `&'static str` in a static array is a pointer and a length, and in a
/// position-independent executable each pointer also needs a 24-byte dynamic
/// relocation, 40 bytes a name in all. The encoding stores a syscall as a 4-byte
/// number, a 2-byte end offset and its name's bytes.
pub(super) mod compact {
    /// Name `k` of a table: the syscalls' names (`by_nr` order), then the aliases',
    /// then the names the aliases stand for. Panics (failing the build) past the end.
    pub(in crate::syscalls) const fn name<'a>(
        by_nr: &[(u32, &'a str)],
        aliases: &[(&'a str, &'a str)],
        k: usize,
    ) -> &'a [u8] {
        let (n, a) = (by_nr.len(), aliases.len());
        if k < n {
            by_nr[k].1.as_bytes()
        } else if k < n + a {
            aliases[k - n].0.as_bytes()
        } else {
            aliases[k - n - a].1.as_bytes()
        }
    }

    /// How many names a table's pool holds.
    pub(in crate::syscalls) const fn count(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
    ) -> usize {
        by_nr.len() + 2 * aliases.len()
    }

    /// The length of a table's pool.
    pub(in crate::syscalls) const fn pool_len(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
    ) -> usize {
        let mut len = 0;
        let mut k = 0;
        while k < count(by_nr, aliases) {
            len += name(by_nr, aliases, k).len();
            k += 1;
        }
        len
    }

    /// The pool, `L` ([`pool_len`]) bytes: the names end to end.
    pub(in crate::syscalls) const fn pool<const L: usize>(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
    ) -> [u8; L] {
        assert!(L == pool_len(by_nr, aliases), "wrong pool length");
        let mut pool = [0; L];
        let mut at = 0;
        let mut k = 0;
        while k < count(by_nr, aliases) {
            let name = name(by_nr, aliases, k);
            let mut b = 0;
            while b < name.len() {
                pool[at] = name[b];
                at += 1;
                b += 1;
            }
            k += 1;
        }
        pool
    }

    /// Where each name of the pool ends, `E` ([`count`]) offsets.
    pub(in crate::syscalls) const fn ends<const E: usize>(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
    ) -> [u16; E] {
        assert!(E == count(by_nr, aliases), "wrong number of ends");
        assert!(
            pool_len(by_nr, aliases) <= u16::MAX as usize,
            "names too long for u16 ends"
        );
        let mut ends = [0; E];
        let mut at = 0;
        let mut k = 0;
        while k < E {
            at += name(by_nr, aliases, k).len();
            ends[k] = at as u16;
            k += 1;
        }
        ends
    }

    /// The numbers of `by_nr`, `N` of them.
    pub(in crate::syscalls) const fn numbers<const N: usize>(by_nr: &[(u32, &str)]) -> [u32; N] {
        assert!(N == by_nr.len(), "wrong number of syscalls");
        let mut nrs = [0; N];
        let mut i = 0;
        while i < N {
            nrs[i] = by_nr[i].0;
            i += 1;
        }
        nrs
    }

    /// The pool as a string (it is one: whole strings end to end).
    pub(in crate::syscalls) const fn as_str(pool: &[u8]) -> &str {
        match core::str::from_utf8(pool) {
            Ok(s) => s,
            Err(_) => panic!("a pool of whole strings is UTF-8"),
        }
    }
}

/// The [`SyscallTable`] of a generated module, from its `BY_NR` and `ALIASES`
/// constants; the compiler computes the [`compact`] encoding and the name index.
macro_rules! syscall_table {
    ($module:ident, $header:literal, $by_nr:ident, $aliases:ident) => {{
        use $crate::syscalls::table::compact;
        const POOL: [u8; compact::pool_len($by_nr, $aliases)] = compact::pool($by_nr, $aliases);
        const NAMES: &str = compact::as_str(&POOL);
        const ENDS: [u16; compact::count($by_nr, $aliases)] = compact::ends($by_nr, $aliases);
        const NRS: [u32; $by_nr.len()] = compact::numbers($by_nr);
        const COUNT: usize = $by_nr.len() + $aliases.len();
        $crate::syscalls::SyscallTable {
            name: stringify!($module),
            header: $header,
            module: $crate::syscalls::Module::$module,
            nrs: &NRS,
            names: NAMES,
            ends: &ENDS,
            aliases: $aliases.len(),
            by_hash: &$crate::syscalls::name_index::build::<
                { $crate::syscalls::name_index::slots(COUNT) },
            >(NAMES.as_bytes(), &ENDS, COUNT),
        }
    }};
}
pub(super) use syscall_table;

#[cfg(test)]
mod tests {
    use crate::syscalls::Abi;

    /// `syscall_name` gives what a linear scan gives, on every number of every
    /// table, its neighbours, and the numbers around the table's ends and gaps.
    #[test]
    fn names_by_number_match_a_linear_scan() {
        for &abi in Abi::ALL {
            let table = abi.syscall_table();
            let scan = |nr: u32| table.syscalls().iter().find(|e| e.0 == nr).map(|e| e.1);
            let first = table.syscalls()[0].0;
            let numbers = table
                .syscalls()
                .iter()
                .flat_map(|e| [e.0.wrapping_sub(1), e.0, e.0.wrapping_add(1)])
                .chain((0..2048).map(|i| first.wrapping_add(i)))
                .chain([0, first.wrapping_sub(1), u32::MAX, 0x4000_0000, 0x0f_0000]);
            for nr in numbers {
                assert_eq!(table.syscall_name(nr), scan(nr), "{abi} {nr:#x}");
                let position = table.syscalls().iter().position(|e| e.0 == nr);
                assert_eq!(table.position(nr), position, "{abi} {nr:#x}");
            }
        }
    }

    /// The compact encoding holds what the slices hold.
    #[test]
    fn the_encoding_gives_the_slices() {
        for &abi in Abi::ALL {
            let table = abi.syscall_table();
            assert!(table.iter().eq(table.syscalls().iter().copied()), "{abi}");
            assert_eq!(table.iter().len(), table.syscalls().len());
            let numbers = table.syscalls().iter().map(|e| e.0);
            assert!(table.numbers().iter().copied().eq(numbers), "{abi}");
            assert_eq!(abi.syscall_numbers(), table.numbers());
            assert_eq!(table.aliases, table.aliases().len(), "{abi}");
        }
    }
}
