//! A small deterministic generator (splitmix64) for the unit tests' random cases.

/// splitmix64: every seed gives a different, well-spread sequence.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must not be 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One of `v`'s items (which must not be empty).
    pub(crate) fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn seeds_give_different_spread_sequences() {
        let a: alloc::vec::Vec<u64> = (0..64).scan(Rng(1), |r, _| Some(r.next())).collect();
        let b: alloc::vec::Vec<u64> = (0..64).scan(Rng(2), |r, _| Some(r.next())).collect();
        assert_ne!(a, b);
        // Every bit position is set in some value and clear in another.
        let or = a.iter().fold(0, |x, y| x | y);
        let and = a.iter().fold(!0, |x, y| x & y);
        assert_eq!((or, and), (!0, 0));
        let mut r = Rng(7);
        assert!((0..1000).all(|_| r.below(10) < 10));
        assert_eq!(Rng(3).pick(&[5u8]), 5);
    }
}
