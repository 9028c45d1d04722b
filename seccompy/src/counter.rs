//! A count shared between threads, 64 bits wide on every target: an
//! `AtomicU64` where the target has 64-bit atomics, a `u64` behind a mutex on
//! the others (32-bit PowerPC and MIPS). Its operations order nothing but the
//! count itself (`Relaxed`).

#[cfg(target_has_atomic = "64")]
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(target_has_atomic = "64"))]
use std::sync::{Mutex, PoisonError};

/// A 64-bit count shared between threads.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    #[cfg(target_has_atomic = "64")]
    n: AtomicU64,
    #[cfg(not(target_has_atomic = "64"))]
    n: Mutex<u64>,
}

impl Counter {
    /// A count of `n`.
    pub(crate) const fn new(n: u64) -> Counter {
        Counter {
            #[cfg(target_has_atomic = "64")]
            n: AtomicU64::new(n),
            #[cfg(not(target_has_atomic = "64"))]
            n: Mutex::new(n),
        }
    }

    /// Adds `k` (wrapping); returns the count before.
    pub(crate) fn fetch_add(&self, k: u64) -> u64 {
        #[cfg(target_has_atomic = "64")]
        return self.n.fetch_add(k, Ordering::Relaxed);
        #[cfg(not(target_has_atomic = "64"))]
        {
            let mut n = self.n.lock().unwrap_or_else(PoisonError::into_inner);
            let before = *n;
            *n = before.wrapping_add(k);
            before
        }
    }

    /// Raises the count to `k` if it is lower; returns the count before.
    pub(crate) fn fetch_max(&self, k: u64) -> u64 {
        #[cfg(target_has_atomic = "64")]
        return self.n.fetch_max(k, Ordering::Relaxed);
        #[cfg(not(target_has_atomic = "64"))]
        {
            let mut n = self.n.lock().unwrap_or_else(PoisonError::into_inner);
            let before = *n;
            *n = before.max(k);
            before
        }
    }

    /// The count, once no other thread holds the counter.
    pub(crate) fn into_inner(self) -> u64 {
        #[cfg(target_has_atomic = "64")]
        return self.n.into_inner();
        #[cfg(not(target_has_atomic = "64"))]
        self.n.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_wrap_and_rise() {
        let c = Counter::new(u64::MAX);
        assert_eq!(c.fetch_add(2), u64::MAX);
        assert_eq!(c.fetch_add(0), 1);
        assert_eq!(c.fetch_max(10), 1);
        assert_eq!(c.fetch_max(3), 10);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        c.fetch_add(1);
                    }
                });
            }
        });
        assert_eq!(c.into_inner(), 4010);
    }
}
