//! Naked short options, for portfolio margin's contingency: per underlying, expiry and
//! strike, the short contracts that no long contract at the same strike and expiry covers
//! (calls and puts alike, as Derive's PMRM counts them). Contracts are measured by their
//! index value (contracts × index), so series of different lot sizes net exactly.

use novation_math::Decimal;
use novation_types::AssetId;
use smallvec::SmallVec;

/// A strike of one expiry of one underlying.
type StrikeKey = (AssetId, u64, Decimal);

/// Signed index values of option positions, one entry per position.
#[derive(Default)]
pub(crate) struct NakedShorts(SmallVec<[(StrikeKey, i128); 16]>);

impl NakedShorts {
    /// Records a position of `value` (size × index × lot size; negative when short).
    pub(crate) fn add(&mut self, underlying: AssetId, expiry_ms: u64, strike: Decimal, value: i128) {
        self.0.push(((underlying, expiry_ms, strike), value));
    }

    /// Per underlying (in no particular order, one entry per strike), the index value of the
    /// shorts left uncovered: max(0, shorts − longs) at each strike and expiry.
    pub(crate) fn naked_values(mut self) -> Option<SmallVec<[(AssetId, i128); 8]>> {
        self.0.sort_unstable_by_key(|entry| entry.0);
        let mut naked = SmallVec::new();
        let mut entries = self.0.iter().peekable();
        while let Some(&(key, first)) = entries.next() {
            let (mut shorts, mut longs) = (0i128, 0i128);
            let mut add = |value: i128| -> Option<()> {
                if value < 0 {
                    shorts = shorts.checked_sub(value)?;
                } else {
                    longs = longs.checked_add(value)?;
                }
                Some(())
            };
            add(first)?;
            while let Some(&&(next_key, value)) = entries.peek() {
                if next_key != key {
                    break;
                }
                add(value)?;
                entries.next();
            }
            if shorts > longs {
                naked.push((key.0, shorts - longs));
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
        book.add(btc, 7, k100, -300); // short call 100
        book.add(btc, 7, k100, 100); // long put 100 covers a third of it
        book.add(btc, 7, k110, 500); // a long at another strike covers nothing
        book.add(btc, 9, k100, 1_000); // nor does one at another expiry
        book.add(btc, 9, k110, -50);
        let mut naked = book.naked_values().unwrap().to_vec();
        naked.sort();
        assert_eq!(naked, vec![(btc, 50), (btc, 200)]);
    }
}
