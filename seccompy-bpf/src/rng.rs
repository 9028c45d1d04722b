//! A small deterministic generator (splitmix64), for sample values that must be
//! the same on every run: the argument vectors [`lint`](crate::lint) tries, the
//! benchmarks' probes and the tests' random cases (`seccompy-testing` re-exports
//! it). Not a cryptographic generator, and not part of the stable API.

/// splitmix64: every seed gives a different, well-spread sequence; a fixed seed
/// gives the same one on every run. The field is the state (the seed at first).
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// Starts from `seed`.
    pub const fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    // Not `Iterator::next`: the sequence never ends and never needs `Option`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An index below `len` (which must not be 0).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `percent` percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `v`'s items (which must not be empty).
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.index(v.len())]
    }

    /// One of `v`'s items by reference (which must not be empty).
    pub fn pick_ref<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.index(v.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;
    use alloc::collections::BTreeSet;
    use alloc::vec::Vec;

    #[test]
    fn seeds_give_different_spread_sequences() {
        let a: Vec<u64> = (0..64).scan(Rng(1), |r, _| Some(r.next())).collect();
        let b: Vec<u64> = (0..64).scan(Rng(2), |r, _| Some(r.next())).collect();
        assert_ne!(a, b);
        // Every bit position is set in some value and clear in another.
        let or = a.iter().fold(0, |x, y| x | y);
        let and = a.iter().fold(!0, |x, y| x & y);
        assert_eq!((or, and), (!0, 0));
        let mut r = Rng(7);
        assert!((0..1000).all(|_| r.below(10) < 10));
        assert_eq!(Rng(3).pick(&[5u8]), 5);
    }

    #[test]
    fn a_seed_gives_the_same_distinct_values_on_every_run() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        let xs: Vec<u64> = (0..100).map(|_| a.next()).collect();
        assert!(xs.iter().all(|&x| x == b.next()));
        assert_eq!(xs.iter().collect::<BTreeSet<_>>().len(), 100);
        // The first value of seed 0 is splitmix64's published one.
        assert_eq!(Rng(0).next(), 0xe220_a839_7b1d_cdaf);
        assert!((0..1000).all(|_| a.index(7) < 7));
        assert_eq!(*Rng(4).pick_ref(&["only"]), "only");
        let mut c = Rng(5);
        assert!(!(0..100).any(|_| c.chance(0)));
        assert!((0..100).all(|_| c.chance(100)));
    }
}
