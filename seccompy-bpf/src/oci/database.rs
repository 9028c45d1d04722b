//! libseccomp's rule database as runc fills it: rules added one by one for a
//! syscall number of one of the filter's ABIs, then combined into one decision
//! per syscall ([`libseccomp::combine`]).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use seccompy_sys::syscalls::Abi;

use super::error::ResolveError;
use super::libseccomp::{self, Decision, LibRule};
use super::resolved::AbiSyscalls;

/// Spans of numbers wider than this (beyond a multiple of the rule count) are
/// ordered by sorting instead of counting.
const DENSE: usize = 4096;

/// The rules of a filter, in the order they were added.
pub(super) struct Database {
    /// `(ABI index, number)` of each rule.
    keys: Vec<(usize, u32)>,
    rules: Vec<LibRule>,
    /// Per ABI index: the lowest and highest number with rules, and how many
    /// rules.
    spans: Vec<Span>,
}

#[derive(Clone, Copy)]
struct Span {
    lo: u32,
    hi: u32,
    rules: usize,
}

impl Database {
    /// An empty database for `abis` ABIs, with room for `capacity` rules.
    pub(super) fn new(abis: usize, capacity: usize) -> Self {
        Self {
            keys: Vec::with_capacity(capacity),
            rules: Vec::with_capacity(capacity),
            spans: alloc::vec![
                Span {
                    lo: u32::MAX,
                    hi: 0,
                    rules: 0,
                };
                abis
            ],
        }
    }

    /// Adds `rule` for number `nr` of the `abi`-th ABI (one of the `abis` given
    /// to [`new`](Self::new)).
    #[inline]
    pub(super) fn add(&mut self, abi: usize, nr: u32, rule: LibRule) {
        if let Some(s) = self.spans.get_mut(abi) {
            s.lo = s.lo.min(nr);
            s.hi = s.hi.max(nr);
            s.rules += 1;
            self.keys.push((abi, nr));
            self.rules.push(rule);
        }
    }

    /// The rules' indices ordered by ABI index, number, then order added: a
    /// counting sort over each ABI's span of numbers (syscall numbers of one
    /// ABI are close together), a sort when the spans are too wide.
    fn order(&self) -> Vec<usize> {
        let n = self.keys.len();
        let mut base = Vec::with_capacity(self.spans.len());
        let mut total = 0usize;
        for s in &self.spans {
            base.push(total);
            if s.rules > 0 {
                total = total.saturating_add((s.hi - s.lo) as usize + 1);
            }
        }
        if total > n.saturating_mul(4).saturating_add(DENSE) {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_unstable_by_key(|&i| (self.keys.get(i).copied(), i));
            return order;
        }
        // Every key has a span holding it, so buckets are below `total`.
        let bucket = |&(k, nr): &(usize, u32)| {
            let lo = self.spans.get(k).map_or(0, |s| s.lo);
            base.get(k).map_or(0, |b| b + (nr - lo) as usize)
        };
        let mut next = alloc::vec![0usize; total + 1];
        for key in &self.keys {
            if let Some(c) = next.get_mut(bucket(key) + 1) {
                *c += 1;
            }
        }
        for b in 1..next.len() {
            next[b] += next[b - 1];
        }
        let mut order = alloc::vec![0usize; n];
        for (i, key) in self.keys.iter().enumerate() {
            if let Some(at) = next.get_mut(bucket(key)) {
                if let Some(slot) = order.get_mut(*at) {
                    *slot = i;
                }
                *at += 1;
            }
        }
        order
    }

    /// libseccomp's decisions, per ABI (`abis[k]` for the `k`-th), in order of
    /// number.
    ///
    /// # Errors
    ///
    /// [`ResolveError::Ambiguous`] as [`libseccomp::combine`] finds it, for the
    /// first syscall in that order.
    pub(super) fn decisions(self, abis: &[Abi]) -> Result<Vec<AbiSyscalls>, ResolveError> {
        let order = self.order();
        let mut per_abi: Vec<AbiSyscalls> = abis
            .iter()
            .zip(&self.spans)
            .map(|(&abi, s)| AbiSyscalls {
                abi,
                syscalls: Vec::with_capacity(s.rules),
            })
            .collect();
        let keys = self.keys;
        let mut rules = self.rules;
        let key = |i: usize| keys.get(i).copied();
        for group in order.chunk_by(|&a, &b| key(a) == key(b)) {
            let Some((k, nr)) = group.first().and_then(|&i| key(i)) else {
                continue;
            };
            let Some(slot) = per_abi.get_mut(k) else {
                continue;
            };
            let abi = slot.abi;
            let first = group.first().and_then(|&i| rules.get(i));
            let decision = match first {
                None => continue,
                // The first rule decides every call (see `combine`).
                Some(r) if r.conds.is_empty() => Decision::Always(r.action),
                Some(_) => {
                    let group: Vec<LibRule> = group
                        .iter()
                        .filter_map(|&i| {
                            let r = rules.get_mut(i)?;
                            Some(LibRule {
                                action: r.action,
                                conds: core::mem::take(&mut r.conds),
                            })
                        })
                        .collect();
                    libseccomp::combine(abi, group).map_err(|reason| ResolveError::Ambiguous {
                        abi,
                        syscall: abi
                            .syscall_name(nr)
                            .map_or_else(|| format!("#{nr}"), String::from),
                        reason,
                    })?
                }
            };
            slot.syscalls.push((nr, decision));
        }
        Ok(per_abi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    /// A few hundred rules on numbers `base + 0..spread` of three ABIs, in a
    /// scrambled order.
    fn database(base: u32, spread: u32) -> Database {
        let mut db = Database::new(3, 0);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..500 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            #[allow(clippy::cast_possible_truncation)]
            let (k, nr) = ((x % 3) as usize, base + (x >> 8) as u32 % spread);
            db.add(
                k,
                nr,
                LibRule {
                    action: Action::Allow,
                    conds: Vec::new(),
                },
            );
        }
        db
    }

    #[test]
    fn order_is_abi_number_then_insertion() {
        // Dense spans are counted, a wide one (past DENSE) sorted.
        for (base, spread) in [(0, 40), (0x4000_0000, 600), (7, 1 << 20), (0, u32::MAX)] {
            let db = database(base, spread);
            let mut want: Vec<usize> = (0..db.keys.len()).collect();
            want.sort_by_key(|&i| db.keys[i]);
            assert_eq!(db.order(), want, "{base:#x} + {spread}");
        }
        assert!(Database::new(2, 0).order().is_empty());
    }
}
