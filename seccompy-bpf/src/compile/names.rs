//! Syscall numbers by name, for callers that look up many names: after a few
//! direct look-ups on an ABI (binary searches comparing strings), a hash index
//! of the ABI's table answers the rest with about one string comparison each.
//! The answers are exactly [`Abi::syscall_nr`]'s.

use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

/// Direct look-ups on an ABI before its index is built (building costs about
/// as much as this many binary searches).
const DIRECT: u32 = 48;

/// [`Abi::syscall_nr`] with a per-ABI index built on demand.
#[derive(Default)]
pub(crate) struct NameCache {
    /// Per ABI seen: direct look-ups so far, and the index once built.
    per_abi: Vec<(Abi, u32, Option<NameIndex>)>,
}

impl NameCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `abi.syscall_nr(name)`.
    pub(crate) fn nr(&mut self, abi: Abi, name: &str) -> Option<u32> {
        let i = match self.per_abi.iter().position(|e| e.0 == abi) {
            Some(i) => i,
            None => {
                self.per_abi.push((abi, 0, None));
                self.per_abi.len() - 1
            }
        };
        let entry = self.per_abi.get_mut(i)?;
        if entry.2.is_none() {
            if entry.1 < DIRECT {
                entry.1 += 1;
                return abi.syscall_nr(name);
            }
            entry.2 = Some(NameIndex::new(abi));
        }
        entry.2.as_ref()?.nr(name)
    }
}

/// An open-addressing hash table over the names (and aliases) of one ABI.
struct NameIndex {
    /// `(name, number)`: the table's syscalls, then the aliases that are not
    /// also syscall names.
    entries: Vec<(&'static str, u32)>,
    /// Power-of-two sized; `0` is empty, else an index into `entries` plus one.
    slots: Vec<u16>,
}

impl NameIndex {
    fn new(abi: Abi) -> Self {
        let table = abi.syscall_table();
        let n = table.syscalls().len() + table.aliases().len();
        let size = (2 * n).next_power_of_two().max(16);
        let mut index = Self {
            entries: Vec::with_capacity(n),
            slots: alloc::vec![0; size],
        };
        for &(nr, name) in table.syscalls() {
            index.insert(name, nr);
        }
        for &(alias, _) in table.aliases() {
            if index.nr(alias).is_none()
                && let Some(nr) = table.syscall_nr(alias)
            {
                index.insert(alias, nr);
            }
        }
        index
    }

    fn insert(&mut self, name: &'static str, nr: u32) {
        let Ok(id) = u16::try_from(self.entries.len() + 1) else {
            return;
        };
        let mask = self.slots.len() - 1;
        let mut at = hash(name) & mask;
        while let Some(slot) = self.slots.get_mut(at) {
            if *slot == 0 {
                *slot = id;
                self.entries.push((name, nr));
                return;
            }
            at = (at + 1) & mask;
        }
    }

    fn nr(&self, name: &str) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash(name) & mask;
        loop {
            let id = *self.slots.get(at)?;
            let &(n, nr) = self.entries.get(usize::from(id).checked_sub(1)?)?;
            if n == name {
                return Some(nr);
            }
            at = (at + 1) & mask;
        }
    }
}

/// A multiply-rotate hash over the name's length and its bytes, eight at a time.
fn hash(name: &str) -> usize {
    fn mix(h: u64, word: u64) -> u64 {
        (h.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
    }
    let bytes = name.as_bytes();
    let mut h = mix(0, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    let mut w = [0u8; 8];
    if let Some(dst) = w.get_mut(..rest.len()) {
        dst.copy_from_slice(rest);
    }
    h = mix(h, u64::from_le_bytes(w));
    // The high bits are the best mixed.
    (h >> 32) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name and alias of every ABI, and names no ABI has, give what
    /// `Abi::syscall_nr` gives, before and after the index is built.
    #[test]
    fn same_as_table() {
        let mut cache = NameCache::new();
        for &abi in Abi::ALL {
            let table = abi.syscall_table();
            let names = table
                .syscalls()
                .iter()
                .map(|e| e.1)
                .chain(table.aliases().iter().map(|e| e.0))
                .chain(["", "no_such_call", "read_", "socketcal"]);
            for _round in 0..2 {
                for name in names.clone() {
                    assert_eq!(cache.nr(abi, name), abi.syscall_nr(name), "{abi:?} {name}");
                }
            }
            assert!(cache.per_abi.iter().any(|e| e.0 == abi && e.2.is_some()));
        }
    }
}
