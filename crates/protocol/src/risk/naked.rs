//! Naked short options, for portfolio margin's contingency: per underlying, expiry and
//! strike, the short contracts that no long contract at the same strike and expiry covers
//! (calls and puts alike, as Derive's PMRM counts them). Contracts are measured by their
//! index value (contracts × index), so series of different lot sizes net exactly.

use novation_math::Decimal;
use novation_types::AssetId;
use smallvec::SmallVec;

/// A strike of one expiry of one underlying.
type StrikeKey = (AssetId, u64, Decimal);

/// The index values of the shorts and of the longs recorded at one strike in a row.
#[derive(Clone, Copy)]
struct Strike {
    key: StrikeKey,
    shorts: i128,
    longs: i128,
}

/// Index values of option positions, one entry per run of positions at the same strike
/// (positions come in market order, which lists a strike's call and put together).
#[derive(Default)]
pub(crate) struct NakedShorts(SmallVec<[Strike; 32]>);

impl NakedShorts {
    /// Records a position of `value` (size × index × lot size; negative when short);
    /// `None` on overflow.
    #[inline]
    pub(crate) fn add(&mut self, underlying: AssetId, expiry_ms: u64, strike: Decimal, value: i128) -> Option<()> {
        let key = (underlying, expiry_ms, strike);
        if self.0.last().is_none_or(|last| last.key != key) {
            self.0.push(Strike { key, shorts: 0, longs: 0 });
        }
        let entry = self.0.last_mut()?;
        if value < 0 {
            entry.shorts = entry.shorts.checked_sub(value)?;
        } else {
            entry.longs = entry.longs.checked_add(value)?;
        }
        Some(())
    }

    /// Per underlying (in no particular order, one entry per strike), the index value of the
    /// shorts left uncovered: max(0, shorts − longs) at each strike and expiry.
    pub(crate) fn naked_values(&mut self) -> Option<SmallVec<[(AssetId, i128); 8]>> {
        if !self.0.is_sorted_by_key(|entry| entry.key) {
            self.0.sort_unstable_by_key(|entry| entry.key);
        }
        let mut naked = SmallVec::new();
        let mut entries = self.0.iter().peekable();
        while let Some(first) = entries.next() {
            let (mut shorts, mut longs) = (first.shorts, first.longs);
            while let Some(next) = entries.next_if(|next| next.key == first.key) {
                shorts = shorts.checked_add(next.shorts)?;
                longs = longs.checked_add(next.longs)?;
            }
            if shorts > longs {
                naked.push((first.key.0, shorts - longs));
            }
        }
        Some(naked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_is_covered_only_by_a_long_at_the_same_strike_and_expiry() {
        let (btc, k100, k110) = (AssetId(1), Decimal::from_int(100), Decimal::from_int(110));
        let mut book = NakedShorts::default();
        book.add(btc, 7, k100, -300).unwrap(); // short call 100
        book.add(btc, 7, k100, 100).unwrap(); // long put 100 covers a third of it
        book.add(btc, 7, k110, 500).unwrap(); // a long at another strike covers nothing
        book.add(btc, 9, k100, 1_000).unwrap(); // nor does one at another expiry
        book.add(btc, 9, k110, -50).unwrap();
        book.add(btc, 7, k100, 50).unwrap(); // out of order: still nets at its strike
        let mut naked = book.naked_values().unwrap().to_vec();
        naked.sort();
        assert_eq!(naked, vec![(btc, 50), (btc, 150)]);
    }
}
