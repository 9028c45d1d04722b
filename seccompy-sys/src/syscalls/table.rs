//! [`SyscallTable`]: one syscall numbering, with look-ups by name and by number.

use core::fmt;

use super::Module;
use super::names::Names;

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
/// array, the names as ids into the names of all tables, each stored once.
/// [`syscalls`](Self::syscalls) and [`aliases`](Self::aliases) give the table as
/// slices of pairs, data that a program links only if it calls them.
pub struct SyscallTable {
    /// The table's name, the generated module's (`x86_64`, `mips_o32`, ...).
    pub(super) name: &'static str,
    /// The header the table comes from, as `<arch>/asm/<file>`.
    pub(super) header: &'static str,
    /// The generated module, whose constants [`syscalls`](Self::syscalls) and
    /// [`aliases`](Self::aliases) return.
    pub(super) module: Module,
    /// The names `ids` and `positions` refer to: every table's.
    pub(super) names: &'static Names,
    /// The syscalls' numbers, sorted; unique.
    pub(super) nrs: &'static [u32],
    /// `ids[i]`: the id in `names` of syscall `i`'s name.
    pub(super) ids: &'static [u16],
    /// `positions[id]`: the position in `nrs` of the syscall called name `id` or,
    /// for an alias, of the syscall it stands for; [`compact::NONE`] for a name
    /// the table does not know.
    pub(super) positions: &'static [u16],
    /// How many aliases the table has.
    pub(super) aliases: usize,
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

    /// The number of the syscall called `name`, or of the syscall an
    /// [alias](Self::aliases) `name` stands for; `None` if the table has neither.
    #[must_use]
    pub fn syscall_nr(&self, name: &str) -> Option<u32> {
        let id = self.names.find(name.as_bytes())?;
        // `NONE` is past the end of `nrs`.
        let position = *self.positions.get(id)?;
        self.nrs.get(usize::from(position)).copied()
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
        self.name_of(self.position(nr)?)
    }

    /// The name of syscall `i` (in number order).
    fn name_of(&self, i: usize) -> Option<&'static str> {
        self.names.get(usize::from(*self.ids.get(i)?))
    }

    /// Every syscall as `(number, name)`, sorted by number, read from the compact
    /// encoding: what [`syscalls`](Self::syscalls) holds.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u32, &'static str)> + '_ {
        self.nrs
            .iter()
            .enumerate()
            .map(|(i, &nr)| (nr, self.name_of(i).unwrap_or_default()))
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
/// module's `BY_NR` and `ALIASES` constants (see [`syscall_table`]) and the names
/// of all tables ([`names`](super::names)); a program stores the constants
/// themselves only if it calls [`SyscallTable::syscalls`] or
/// [`SyscallTable::aliases`].
///
/// Why: a `&'static str` in a static array is a pointer and a length, and in a
/// position-independent executable each pointer also needs a 24-byte dynamic
/// relocation, 40 bytes a name in all. The encoding stores a syscall as a 4-byte
/// number and a 2-byte name id, plus 2 bytes per name of all tables for the
/// look-up by name.
pub(crate) mod compact {
    use crate::syscalls::name_index;

    /// The position of a name the table does not know.
    pub(in crate::syscalls) const NONE: u16 = u16::MAX;

    /// Name `k` of a table: the syscalls' names (`by_nr` order), then the aliases',
    /// then the names the aliases stand for. Panics (failing the build) past the end.
    pub(in crate::syscalls) const fn name<'a>(
        by_nr: &[(u32, &'a str)],
        aliases: &[(&'a str, &'a str)],
        k: usize,
    ) -> &'a str {
        let (n, a) = (by_nr.len(), aliases.len());
        if k < n {
            by_nr[k].1
        } else if k < n + a {
            aliases[k - n].0
        } else {
            aliases[k - n - a].1
        }
    }

    /// How many names [`name`] gives.
    pub(in crate::syscalls) const fn count(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
    ) -> usize {
        by_nr.len() + 2 * aliases.len()
    }

    /// The id of `name` among the names `pool`, `ends`, `index`; panics (failing
    /// the build) if there is none.
    const fn id(pool: &[u8], ends: &[u16], index: &[u16], name: &[u8]) -> usize {
        match name_index::find(index, pool, ends, ends.len(), name) {
            Some(id) => id,
            None => panic!("a table's name is not among the names"),
        }
    }

    /// Writes into `ids` the id of each syscall's name.
    pub(in crate::syscalls) const fn fill_ids(
        by_nr: &[(u32, &str)],
        (pool, ends, index): (&[u8], &[u16], &[u16]),
        ids: &mut [u16],
    ) {
        assert!(ids.len() == by_nr.len(), "wrong number of ids");
        let mut i = 0;
        while i < by_nr.len() {
            ids[i] = id(pool, ends, index, by_nr[i].1.as_bytes()) as u16;
            i += 1;
        }
    }

    /// Writes into `positions` (one per name of the names) the position of the
    /// syscall each name stands for: a syscall's own name, else the first alias of
    /// that name whose target is a syscall's name (an alias of an alias or of an
    /// unknown name stands for none); [`NONE`] for the others.
    pub(in crate::syscalls) const fn fill_positions(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
        (pool, ends, index): (&[u8], &[u16], &[u16]),
        positions: &mut [u16],
    ) {
        assert!(positions.len() == ends.len(), "wrong number of positions");
        assert!(
            by_nr.len() < NONE as usize,
            "too many syscalls for u16 positions"
        );
        let mut i = 0;
        while i < positions.len() {
            positions[i] = NONE;
            i += 1;
        }
        i = 0;
        while i < by_nr.len() {
            positions[id(pool, ends, index, by_nr[i].1.as_bytes())] = i as u16;
            i += 1;
        }
        // Aliases in order, each resolved against the syscalls' names only; the
        // first alias of a name decides it, even if it stands for none.
        let mut decided = [false; 4096];
        assert!(ends.len() <= decided.len(), "too many names");
        let mut j = 0;
        while j < aliases.len() {
            let alias = id(pool, ends, index, aliases[j].0.as_bytes());
            let target = id(pool, ends, index, aliases[j].1.as_bytes());
            if positions[alias] == NONE && !decided[alias] {
                decided[alias] = true;
                let p = positions[target] as usize;
                if p < by_nr.len()
                    && name_index::same(by_nr[p].1.as_bytes(), aliases[j].1.as_bytes())
                {
                    positions[alias] = p as u16;
                }
            }
            j += 1;
        }
    }

    /// [`fill_ids`] into an array of `N`.
    pub(in crate::syscalls) const fn ids<const N: usize>(
        by_nr: &[(u32, &str)],
        names: (&[u8], &[u16], &[u16]),
    ) -> [u16; N] {
        let mut ids = [0; N];
        fill_ids(by_nr, names, &mut ids);
        ids
    }

    /// [`fill_positions`] into an array of `G`.
    pub(in crate::syscalls) const fn positions<const G: usize>(
        by_nr: &[(u32, &str)],
        aliases: &[(&str, &str)],
        names: (&[u8], &[u16], &[u16]),
    ) -> [u16; G] {
        let mut positions = [0; G];
        fill_positions(by_nr, aliases, names, &mut positions);
        positions
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

    /// A pool of whole strings end to end as the string it is.
    pub(crate) const fn as_str(pool: &[u8]) -> &str {
        match core::str::from_utf8(pool) {
            Ok(s) => s,
            Err(_) => panic!("a pool of whole strings is UTF-8"),
        }
    }
}

/// The [`SyscallTable`] of a generated module, from its `BY_NR` and `ALIASES`
/// constants; the compiler computes the [`compact`] encoding.
macro_rules! syscall_table {
    ($module:ident, $header:literal, $by_nr:ident, $aliases:ident) => {{
        use $crate::syscalls::{names, table::compact};
        const NAMES: (&[u8], &[u16], &[u16]) = (&names::POOL, &names::ENDS, &names::INDEX);
        const NRS: [u32; $by_nr.len()] = compact::numbers($by_nr);
        const IDS: [u16; $by_nr.len()] = compact::ids($by_nr, NAMES);
        const POSITIONS: [u16; names::COUNT] = compact::positions($by_nr, $aliases, NAMES);
        $crate::syscalls::SyscallTable {
            name: stringify!($module),
            header: $header,
            module: $crate::syscalls::Module::$module,
            names: &names::NAMES,
            nrs: &NRS,
            ids: &IDS,
            positions: &POSITIONS,
            aliases: $aliases.len(),
        }
    }};
}
pub(super) use syscall_table;

#[cfg(test)]
mod tests {

    /// `syscall_name` gives what a linear scan gives, on every number of every
    /// table, its neighbours, and the numbers around the table's ends and gaps.
    #[test]
    fn names_by_number_match_a_linear_scan() {
        for &abi in crate::syscalls::compiled_abis() {
            let table = abi.syscall_table().unwrap();
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
        for &abi in crate::syscalls::compiled_abis() {
            let table = abi.syscall_table().unwrap();
            assert!(table.iter().eq(table.syscalls().iter().copied()), "{abi}");
            assert_eq!(table.iter().len(), table.syscalls().len());
            let numbers = table.syscalls().iter().map(|e| e.0);
            assert!(table.numbers().iter().copied().eq(numbers), "{abi}");
            assert_eq!(abi.syscall_numbers(), table.numbers());
            assert_eq!(table.aliases, table.aliases().len(), "{abi}");
        }
    }
}
