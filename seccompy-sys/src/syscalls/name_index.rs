//! A compile-time index of distinct names: an open-addressing hash table over
//! names stored end to end in one pool, `ends[k]` the end of name `k` (its start
//! the end of name `k - 1`, or 0). The first `count` names are the ones indexed.
//!
//! Used for the names of every syscall table ([`names`](super::names)) and, at
//! compile time only, for the text of the signatures. [`dedup`] gathers the
//! distinct names from the generated data; [`build`] indexes them. Static
//! initializers run both, so the compiler stores only the resulting arrays, which
//! cannot disagree with the data or with [`hash`].
//!
//! A slot is a `u16`: `0` is empty, `k + 1` stands for name `k`. The table has a
//! power-of-two number of slots, at least twice as many as names, and probes
//! linearly from the slot [`hash`] picks.

/// The number of slots of the index over `count` names: a power of two at least
/// twice as many (and at least 16).
#[must_use]
pub(crate) const fn slots(count: usize) -> usize {
    let at_least = if count < 8 { 16 } else { 2 * count };
    at_least.next_power_of_two()
}

/// The hash of a name: a multiply-rotate hash over its length, its whole
/// eight-byte words (little-endian) and its [`tail`]; the high half of the
/// result, which is the best mixed.
#[must_use]
pub(crate) const fn hash(name: &[u8]) -> u32 {
    const fn mix(h: u64, word: u64) -> u64 {
        (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
    }
    let mut h = mix(0, name.len() as u64);
    let mut rest = name;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        h = mix(h, u64::from_le_bytes(*word));
        rest = tail;
    }
    (mix(h, tail(name)) >> 32) as u32
}

/// A word that, with the length and the whole eight-byte words before it, tells
/// a name apart from every other: its last eight bytes if it has that many (they
/// overlap the whole words when the length is not a multiple of eight), else its
/// first and last four, else its first, middle (of three) and last byte.
const fn tail(name: &[u8]) -> u64 {
    if let Some((_, last)) = name.split_last_chunk::<8>() {
        u64::from_le_bytes(*last)
    } else if let (Some(first), Some(last)) = (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        u32::from_le_bytes(*first) as u64 | (u32::from_le_bytes(*last) as u64) << 32
    } else if let (Some(&first), Some(&last)) = (name.first(), name.last()) {
        let middle = if let [_, middle, _] = name {
            *middle
        } else {
            0
        };
        first as u64 | (middle as u64) << 8 | (last as u64) << 16
    } else {
        0
    }
}

/// Whether two names are equal (`==` is not available in `const fn`): same
/// length, same whole eight-byte words, same [`tail`].
#[must_use]
pub(crate) const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a, b);
    while let (Some((x_word, x_rest)), Some((y_word, y_rest))) =
        (x.split_first_chunk::<8>(), y.split_first_chunk::<8>())
    {
        if u64::from_le_bytes(*x_word) != u64::from_le_bytes(*y_word) {
            return false;
        }
        x = x_rest;
        y = y_rest;
    }
    tail(a) == tail(b)
}

/// Name `k` of a pool whose names end at `ends`, `None` for `k` beyond `ends` or
/// an `ends` that does not fit the pool.
#[must_use]
pub(crate) const fn name_at<'a>(pool: &'a [u8], ends: &[u16], k: usize) -> Option<&'a [u8]> {
    if k >= ends.len() {
        return None;
    }
    let start = if k == 0 { 0 } else { ends[k - 1] as usize };
    match pool.split_at_checked(ends[k] as usize) {
        Some((head, _)) => match head.split_at_checked(start) {
            Some((_, name)) => Some(name),
            None => None,
        },
        None => None,
    }
}

/// The name `name` is among the first `count` of the pool, by index `slots`: its
/// position `k`; `None` if it is not. At most `slots.len()` probes, so that even an
/// index with no empty slot (which [`build`] never makes) cannot loop forever.
#[must_use]
pub(crate) const fn find(
    slots: &[u16],
    pool: &[u8],
    ends: &[u16],
    count: usize,
    name: &[u8],
) -> Option<usize> {
    let mask = slots.len().wrapping_sub(1);
    let mut at = hash(name) as usize & mask;
    let mut probes = 0;
    while probes < slots.len() {
        let id = slots[at] as usize;
        if id == 0 {
            return None;
        }
        if id <= count
            && let Some(n) = name_at(pool, ends, id - 1)
            && same(n, name)
        {
            return Some(id - 1);
        }
        at = (at + 1) & mask;
        probes += 1;
    }
    None
}

/// Builds the index of the first `count` names of the pool into `index`, whose
/// length must be [`slots`]`(count)`. Each name gets a slot in order, except one
/// equal to an earlier name (the first of equal names wins).
///
/// Meant for static initializers (see [`build`]): the checks below then fail the
/// build, not a program.
pub(crate) const fn build_into(index: &mut [u16], pool: &[u8], ends: &[u16], count: usize) {
    assert!(index.len() == slots(count), "wrong number of slots");
    assert!(count < u16::MAX as usize, "too many names for u16 slots");
    assert!(count <= ends.len(), "fewer names than count");
    let mask = index.len() - 1;
    let mut k = 0;
    while k < count {
        let Some(name) = name_at(pool, ends, k) else {
            panic!("name ends beyond the pool");
        };
        if find(index, pool, ends, count, name).is_none() {
            let mut at = hash(name) as usize & mask;
            while index[at] != 0 {
                at = (at + 1) & mask;
            }
            index[at] = (k + 1) as u16;
        }
        k += 1;
    }
}

/// [`build_into`] an array of `N` slots.
#[must_use]
pub(crate) const fn build<const N: usize>(pool: &[u8], ends: &[u16], count: usize) -> [u16; N] {
    let mut index = [0u16; N];
    build_into(&mut index, pool, ends, count);
    index
}

/// The slots of [`dedup`]'s scratch hash set: more than twice the distinct strings.
const SCRATCH: usize = 4096;

/// The distinct strings of `strings`, in the order first seen: writes them end to
/// end into `pool` and their ends into `ends` as far as those are long enough,
/// and returns how many there are and their total length. Run with empty `pool`
/// and `ends` to size them. For static initializers: fails the build on more
/// than 2047 distinct strings or a total length past `u16::MAX`.
pub(crate) const fn dedup(strings: &[&str], pool: &mut [u8], ends: &mut [u16]) -> (usize, usize) {
    let mut seen: [Option<&[u8]>; SCRATCH] = [None; SCRATCH];
    let (mut count, mut len) = (0, 0);
    let mut k = 0;
    while k < strings.len() {
        let s = strings[k].as_bytes();
        let mut at = hash(s) as usize & (SCRATCH - 1);
        loop {
            match seen[at] {
                Some(other) if same(other, s) => break,
                Some(_) => at = (at + 1) & (SCRATCH - 1),
                None => {
                    assert!(
                        2 * (count + 1) < SCRATCH,
                        "too many strings for the scratch set"
                    );
                    seen[at] = Some(s);
                    let mut b = 0;
                    while b < s.len() && len + b < pool.len() {
                        pool[len + b] = s[b];
                        b += 1;
                    }
                    len += s.len();
                    assert!(len <= u16::MAX as usize, "strings too long for u16 ends");
                    if count < ends.len() {
                        ends[count] = len as u16;
                    }
                    count += 1;
                    break;
                }
            }
        }
        k += 1;
    }
    (count, len)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::boxed::Box;
    use std::collections::BTreeSet;
    use std::format;
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::syscalls::SyscallTable;
    use crate::syscalls::names::NAMES;

    /// What a name look-up must give, by a linear scan: the number of the syscall
    /// called `name`, else of the syscall the alias `name` names.
    fn reference(table: &SyscallTable, name: &str) -> Option<u32> {
        let by_name = |n: &str| table.syscalls().iter().find(|e| e.1 == n).map(|e| e.0);
        by_name(name).or_else(|| by_name(table.aliases().iter().find(|a| a.0 == name)?.1))
    }

    /// Every name and alias of every table, their prefixes and some suffixed forms,
    /// and names no table has.
    fn probe_names() -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for &abi in crate::syscalls::compiled_abis() {
            let table = abi.syscall_table().unwrap();
            let real = table.syscalls().iter().map(|e| e.1);
            for name in real.chain(table.aliases().iter().map(|e| e.0)) {
                for end in 0..=name.len() {
                    names.insert(String::from(&name[..end]));
                }
                for suffix in ["_", "x", "64", "\0", " ", "é"] {
                    names.insert(format!("{name}{suffix}"));
                }
                names.insert(format!("_{name}"));
                names.insert(name.to_uppercase());
            }
        }
        for odd in [
            "",
            "no_such_call",
            "READ",
            "__NR_read",
            "12345678",
            "123456781",
        ] {
            names.insert(String::from(odd));
        }
        names.insert("a".repeat(10_000));
        names
    }

    #[test]
    fn lookups_match_a_linear_scan() {
        let names = probe_names();
        // Fewer with the host's tables alone (about 6,000 on x86_64).
        let min = if cfg!(feature = "all-abis") {
            8_000
        } else {
            4_000
        };
        assert!(names.len() > min, "{}", names.len());
        for &abi in crate::syscalls::compiled_abis() {
            let table = abi.syscall_table().unwrap();
            let mut found = 0;
            for name in &names {
                let want = reference(table, name);
                assert_eq!(table.syscall_nr(name), want, "{abi} {name:?}");
                assert_eq!(abi.syscall_nr(name), want, "{abi} {name:?}");
                found += usize::from(want.is_some());
            }
            // Every syscall and alias was among the names, and found.
            assert_eq!(
                found,
                table.syscalls().len() + table.aliases().len(),
                "{abi}"
            );
        }
    }

    /// The index of all tables' names has the shape `build` promises: the
    /// expected number of slots, each name in exactly one, the rest empty.
    #[test]
    fn the_index_holds_every_name_once() {
        let index = NAMES.index;
        let n = NAMES.len();
        assert_eq!(index.len(), slots(n));
        assert!(index.len().is_power_of_two());
        let mut ids: Vec<u16> = index.iter().copied().filter(|&id| id != 0).collect();
        ids.sort_unstable();
        assert!(ids.iter().copied().eq(1..=n as u16));
        assert!(2 * n <= index.len());
    }

    /// The names are distinct, and hold every table's syscall names, aliases and
    /// aliases' targets, each found by its own id.
    #[test]
    fn names_are_distinct_and_complete() {
        let all: BTreeSet<&str> = (0..NAMES.len()).map(|id| NAMES.get(id).unwrap()).collect();
        assert_eq!(all.len(), NAMES.len());
        assert_eq!(NAMES.get(NAMES.len()), None);
        for &abi in crate::syscalls::compiled_abis() {
            let t = abi.syscall_table().unwrap();
            let names = t.syscalls().iter().map(|e| e.1);
            let aliases = t.aliases().iter().flat_map(|a| [a.0, a.1]);
            for name in names.chain(aliases) {
                let id = NAMES.find(name.as_bytes()).unwrap();
                assert_eq!(NAMES.get(id), Some(name), "{abi}");
            }
        }
        assert_eq!(NAMES.find(b"no_such_call"), None);
    }

    /// Linear probing from the hashed slot takes few steps on the real names:
    /// under two slots per name on average, at most 16.
    #[test]
    fn probe_sequences_are_short() {
        let index = NAMES.index;
        let mask = index.len() - 1;
        let (mut total, mut worst) = (0, 0);
        for (at, &id) in index.iter().enumerate() {
            if id != 0 {
                let name = NAMES.get(usize::from(id) - 1).unwrap();
                let home = hash(name.as_bytes()) as usize & mask;
                let steps = (at.wrapping_sub(home) & mask) + 1;
                total += steps;
                worst = worst.max(steps);
            }
        }
        let n = NAMES.len();
        assert!(total < 2 * n, "{total} probes for {n} names");
        assert!(worst <= 16, "{worst} probes");
    }

    /// `dedup` keeps the first of equal strings, in order, and sizes what it
    /// writes.
    #[test]
    fn dedup_keeps_first_seen_order() {
        let strings = ["b", "a", "b", "", "abc", "a", ""];
        let (count, len) = dedup(&strings, &mut [], &mut []);
        assert_eq!((count, len), (4, 5));
        let (mut pool, mut ends) = ([0u8; 5], [0u16; 4]);
        assert_eq!(dedup(&strings, &mut pool, &mut ends), (4, 5));
        assert_eq!(&pool, b"baabc");
        assert_eq!(ends, [1, 2, 2, 5]);
    }

    /// A small splitmix64 for random names.
    fn splitmix64(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// `build` and `find` on made-up data: random names of 0 to 20 bytes (so
    /// collisions and every tail length occur), an alias that repeats a name (the
    /// name wins), an alias of an unknown name and an alias of an alias (neither
    /// resolves to a number, as `SyscallTable::syscall_nr` requires).
    #[test]
    fn build_and_find_on_random_names() {
        let mut seed = 7;
        let mut names = BTreeSet::new();
        while names.len() < 120 {
            let len = splitmix64(&mut seed) % 21;
            let name: String = (0..len)
                .map(|_| char::from(b"abcd_"[(splitmix64(&mut seed) % 5) as usize]))
                .collect();
            names.insert(name);
        }
        let names: Vec<&'static str> = names
            .into_iter()
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect();
        let by_nr: Vec<(u32, &'static str)> = names
            .iter()
            .skip(4)
            .enumerate()
            .map(|(i, &n)| (i as u32 * 3, n))
            .collect();
        let by_nr: &'static [(u32, &'static str)] = Box::leak(by_nr.into_boxed_slice());
        let aliases: &'static [(&'static str, &'static str)] = Box::leak(Box::new([
            (names[0], by_nr[7].1),
            (names[1], "not_a_name"),
            (names[2], names[0]),
            (by_nr[3].1, by_nr[9].1),
        ]));
        let table = leak_table(by_nr, aliases);
        assert_eq!(table.names.index.len(), 256);
        let reference = |name: &str| {
            let by_name = |n: &str| by_nr.iter().find(|e| e.1 == n).map(|e| e.0);
            by_name(name).or_else(|| by_name(aliases.iter().find(|a| a.0 == name)?.1))
        };
        for (i, &name) in names.iter().enumerate() {
            assert_eq!(table.syscall_nr(name), reference(name), "{name:?}");
            assert_eq!(table.names.find(name.as_bytes()).is_some(), i != 3);
        }
        assert_eq!(table.syscall_nr(names[0]), Some(by_nr[7].0));
        assert_eq!(table.syscall_nr(names[1]), None);
        assert_eq!(table.syscall_nr(names[2]), None);
        assert_eq!(table.syscall_nr(by_nr[3].1), Some(by_nr[3].0));
        assert_eq!(table.syscall_nr("not_a_name"), None);
        // The names by number come from the pool too.
        for &(nr, name) in by_nr {
            assert_eq!(table.syscall_name(nr), Some(name));
        }
    }

    /// A table with its own names, built at run time with the `const fn`s that
    /// `syscall_table!` and `names` use at compile time, leaked.
    fn leak_table(
        by_nr: &'static [(u32, &'static str)],
        aliases: &'static [(&'static str, &'static str)],
    ) -> SyscallTable {
        use crate::syscalls::names::Names;
        use crate::syscalls::table::compact::{count, fill_ids, fill_positions, name};
        let strings: Vec<&str> = (0..count(by_nr, aliases))
            .map(|k| name(by_nr, aliases, k))
            .collect();
        let (n, len) = dedup(&strings, &mut [], &mut []);
        let (mut pool, mut ends) = (vec![0u8; len], vec![0u16; n]);
        dedup(&strings, &mut pool, &mut ends);
        let mut index = vec![0u16; slots(n)];
        build_into(&mut index, &pool, &ends, n);
        let mut ids = vec![0u16; by_nr.len()];
        fill_ids(by_nr, (&pool, &ends, &index), &mut ids);
        let mut positions = vec![0u16; n];
        fill_positions(by_nr, aliases, (&pool, &ends, &index), &mut positions);
        let names = Names {
            pool: Box::leak(String::from_utf8(pool).unwrap().into_boxed_str()),
            ends: Box::leak(ends.into_boxed_slice()),
            index: Box::leak(index.into_boxed_slice()),
        };
        SyscallTable {
            name: "test",
            header: "test",
            module: crate::syscalls::Module::Test,
            names: Box::leak(Box::new(names)),
            nrs: Box::leak(
                by_nr
                    .iter()
                    .map(|e| e.0)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
            ids: Box::leak(ids.into_boxed_slice()),
            positions: Box::leak(positions.into_boxed_slice()),
            aliases: aliases.len(),
        }
    }

    /// `same` is `==`: names of every length up to 40, against themselves, a
    /// copy with any one byte changed, and their prefixes.
    #[test]
    fn same_is_equality() {
        let mut seed = 11;
        for len in 0..=40 {
            let name: Vec<u8> = (0..len).map(|_| splitmix64(&mut seed) as u8).collect();
            assert!(same(&name, &name.clone()));
            for i in 0..len {
                let mut other = name.clone();
                other[i] ^= 1 << (splitmix64(&mut seed) % 8);
                assert!(!same(&name, &other), "{len} {i}");
                assert!(!same(&name, &name[..i]) && !same(&name[..i], &name));
                assert!(same(&name[..i], &other[..i]) == (name[..i] == other[..i]));
            }
        }
    }

    #[test]
    fn slots_are_a_power_of_two_at_least_twice_the_entries() {
        for (count, want) in [
            (0, 16),
            (7, 16),
            (8, 16),
            (9, 32),
            (256, 512),
            (260, 1024),
            (300, 1024),
        ] {
            assert_eq!(slots(count), want, "{count}");
        }
    }
}
