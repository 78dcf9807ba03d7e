//! The one seeded pseudo-random generator of the workspace: simulation scripts, benchmark
//! workloads and the devnet's simulated price feed all draw from it, so a seed names one
//! run exactly, on any machine.
//!
//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014; constants as in Vigna's public-domain reference). Bounded draws use the
//! multiply-shift reduction (Lemire, "Fast random integer generation in an interval", 2019);
//! its tiny bias is irrelevant for workloads and test inputs. Never used inside the protocol:
//! the state machine draws no randomness.

/// SplitMix64 state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (a `bound` of 0 gives 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Uniform in `low..=high` (`low` ≤ `high`).
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high, "empty range {low}..={high}");
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.next_u64(),
        }
    }

    /// Uniform in `low..=high` for signed bounds (`low` ≤ `high`).
    pub fn range_i64(&mut self, low: i64, high: i64) -> i64 {
        debug_assert!(low <= high, "empty range {low}..={high}");
        let span = high.abs_diff(low);
        low.wrapping_add_unsigned(self.range(0, span))
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// True with probability `ppm` / 1,000,000.
    pub fn chance_ppm(&mut self, ppm: u64) -> bool {
        self.below(1_000_000) < ppm
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }

    /// An index into `weights`, each chosen with probability weight / total (zero weights
    /// are never chosen; all zero gives 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut ticket = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if ticket < weight {
                return index;
            }
            ticket -= weight;
        }
        0
    }

    /// A uniformly chosen element of `items` (`items` must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// A generator for a sub-task, independent of the rest of this sequence (the sub-task
    /// may draw any number of values without shifting what this generator draws next).
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence_and_bounds_hold() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let x = a.range(3, 9);
            assert!((3..=9).contains(&x));
            b.range(3, 9);
            let y = a.range_i64(-5, 5);
            assert!((-5..=5).contains(&y));
            b.range_i64(-5, 5);
        }
        assert_eq!(a, b);
    }

    #[test]
    fn full_ranges_and_weights_behave() {
        let mut rng = Rng::new(1);
        rng.range(0, u64::MAX);
        rng.range_i64(i64::MIN, i64::MAX);
        for _ in 0..1000 {
            let index = rng.weighted(&[0, 3, 0, 1]);
            assert!(index == 1 || index == 3, "{index}");
        }
        assert_eq!(rng.weighted(&[0, 0]), 0);
    }

    #[test]
    fn the_sequence_is_splitmix64() {
        // Vigna's reference with seed 0: the first output.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }
}
