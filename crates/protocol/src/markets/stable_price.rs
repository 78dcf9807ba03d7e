//! The stable price: a growth-limited copy of the mark that initial margin values positions
//! at (the worse of mark and stable price, per position). After every block's marks it moves
//! toward the mark by at most `stable_growth_per_hour` of itself per hour of block time, so a
//! mark pumped over minutes raises what a position may borrow against only slowly, while a
//! position's loss at the mark always counts at once (after Mango v4's stable price).
//! Option series have none: a premium legitimately moves by multiples of itself with the
//! underlying, and their initial margin already values the premium at mark with the
//! underlying's own stable-priced perpetual margined beside it.

use novation_math::{Decimal, Ppm, Rounding};

use crate::state::State;

const MS_PER_HOUR: i128 = 3_600_000;

/// The stable price after `elapsed_ms` of growth toward `mark` from `stable`.
pub(crate) fn next_stable(stable: Decimal, mark: Decimal, growth_per_hour: Ppm, elapsed_ms: u64) -> Decimal {
    let per_hour = growth_per_hour
        .apply_decimal(stable.checked_abs().unwrap_or(Decimal::MAX), Rounding::Floor)
        .unwrap_or_default();
    let step = novation_math::mul_div_i128(per_hour.raw(), i128::from(elapsed_ms), MS_PER_HOUR, Rounding::Floor)
        .map(Decimal::from_raw)
        .unwrap_or(Decimal::MAX);
    let low = stable.checked_sub(step).unwrap_or(Decimal::MIN);
    let high = stable.checked_add(step).unwrap_or(Decimal::MAX);
    mark.max(low).min(high)
}

/// End-of-block step, after the marks: every market with a mark moves its stable price.
pub(crate) fn update_stable_prices(state: &mut State) {
    let now = state.clock.time_ms;
    for index in 0..state.markets.states.len() {
        let Some(params) = state.params.markets.get(index) else { continue };
        if params.kind.is_option() {
            continue;
        }
        let growth = params.risk.stable_growth_per_hour;
        let market = &state.markets.states[index];
        let Some(mark) = market.mark else { continue };
        let next = match market.stable_price {
            None => mark,
            Some(stable) => next_stable(stable, mark, growth, now.saturating_sub(market.stable_updated_ms)),
        };
        if market.stable_price != Some(next) || market.stable_updated_ms != now {
            let market = state.market_mut(novation_types::MarketId(index as u16));
            market.stable_price = Some(next);
            market.stable_updated_ms = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn follows_the_mark_at_most_at_its_growth_rate() {
        let growth = Ppm::new(50_000);
        // 5% of 100 per hour: 10 minutes allow 0.8333…
        assert_eq!(next_stable(dec("100"), dec("1000"), growth, 600_000), dec("100.833333333333333333"));
        assert_eq!(next_stable(dec("100"), dec("10"), growth, 3_600_000), dec("95"));
        assert_eq!(next_stable(dec("100"), dec("100.5"), growth, 3_600_000), dec("100.5"), "reaches a close mark");
        assert_eq!(next_stable(dec("100"), dec("1000"), growth, 0), dec("100"), "no time, no growth");
    }
}
