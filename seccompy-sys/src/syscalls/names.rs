//! The names of every syscall table compiled in, each stored once.
//!
//! The 23 tables share most of their names (`read` is in all of them): stored once
//! in one string, about 650 distinct names take 6.5 KB, where a string per table
//! would take 90. Each table refers to them by id ([`SyscallTable`](super::SyscallTable)).
//! Only the tables compiled in ([`SOURCES`](super::SOURCES): the host's ABI family
//! and those of the enabled features) contribute names.
//!
//! The compiler computes everything here from the generated modules' `BY_NR` and
//! `ALIASES` constants: the distinct names in the order first seen (tables in
//! [`SOURCES`](super::SOURCES) order, each table's syscalls, aliases, then the
//! aliases' targets; see [`name_index::dedup`]), and their [`name_index`].

use super::name_index;
use super::table::compact;

/// A set of distinct names: end to end in one string, with an index by name.
pub(crate) struct Names {
    /// The names end to end.
    pub(super) pool: &'static str,
    /// `ends[id]`: where name `id` ends; it starts where name `id - 1` ends.
    pub(super) ends: &'static [u16],
    /// The names, hashed: see [`name_index`].
    pub(super) index: &'static [u16],
}

impl Names {
    /// The id of `name`, `None` if the set has no such name.
    pub(super) fn find(&self, name: &[u8]) -> Option<usize> {
        let pool = self.pool.as_bytes();
        name_index::find(self.index, pool, self.ends, self.ends.len(), name)
    }

    /// Name `id`, `None` past the end.
    pub(super) fn get(&self, id: usize) -> Option<&'static str> {
        let end = usize::from(*self.ends.get(id)?);
        let start = match id.checked_sub(1) {
            Some(before) => usize::from(*self.ends.get(before)?),
            None => 0,
        };
        self.pool.get(start..end)
    }

    /// How many names the set has.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }
}

/// A generated table's `BY_NR` and `ALIASES`.
pub(super) type Source = (
    &'static [(u32, &'static str)],
    &'static [(&'static str, &'static str)],
);

/// How many names the tables have, with repeats.
const TOTAL: usize = {
    let mut total = 0;
    let mut t = 0;
    while t < super::SOURCES.len() {
        total += compact::count(super::SOURCES[t].0, super::SOURCES[t].1);
        t += 1;
    }
    total
};

/// The tables' names, with repeats: each table's syscalls, aliases and aliases'
/// targets ([`compact::name`]), tables in [`SOURCES`](super::SOURCES) order.
#[allow(
    clippy::large_const_arrays,
    reason = "read only by other constants' initializers: never stored in a program"
)]
const ALL: [&str; TOTAL] = {
    let mut all = [""; TOTAL];
    let mut at = 0;
    let mut t = 0;
    while t < super::SOURCES.len() {
        let (by_nr, aliases) = super::SOURCES[t];
        let mut k = 0;
        while k < compact::count(by_nr, aliases) {
            all[at] = compact::name(by_nr, aliases, k);
            at += 1;
            k += 1;
        }
        t += 1;
    }
    all
};

/// How many distinct names the tables have, and their total length.
const SIZES: (usize, usize) = name_index::dedup(&ALL, &mut [], &mut []);

/// How many distinct names the tables have.
pub(super) const COUNT: usize = SIZES.0;

/// The distinct names end to end, and where each ends.
const POOL_AND_ENDS: ([u8; SIZES.1], [u16; COUNT]) = {
    let mut pool = [0; SIZES.1];
    let mut ends = [0; COUNT];
    let _ = name_index::dedup(&ALL, &mut pool, &mut ends);
    (pool, ends)
};

/// The distinct names end to end.
pub(super) const POOL: [u8; SIZES.1] = POOL_AND_ENDS.0;

/// Where each name of [`POOL`] ends.
pub(super) const ENDS: [u16; COUNT] = POOL_AND_ENDS.1;

/// The index of [`POOL`] by name.
pub(super) const INDEX: [u16; name_index::slots(COUNT)] = name_index::build(&POOL, &ENDS, COUNT);

/// Every syscall table's names.
pub(super) static NAMES: Names = Names {
    pool: compact::as_str(&POOL),
    ends: &ENDS,
    index: &INDEX,
};
