//! Reading structured choices out of fuzz input: every read succeeds (zeros once
//! the input is used up), so any input builds something.

// Each target uses only some of it.
#![allow(dead_code)]

/// A cursor over the fuzz input.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A 64-bit constant, often one near a boundary.
    pub fn constant(&mut self) -> u64 {
        match self.u8() % 8 {
            0 => u64::from(self.u8()),
            1 => 0xffff_ffff,
            2 => 1 << 32 | u64::from(self.u8() & 3),
            3 => u64::MAX - u64::from(self.u8() & 1),
            4 => u64::from(self.u32()),
            5 => 1 << (self.u8() % 64),
            _ => self.u64(),
        }
    }
}
