//! Funding for perpetuals: a premium sample every block, a rate at the end of every interval,
//! and a cumulative index per market so each position settles in O(1) when touched.
//!
//! premium sample = (max(0, impact bid − index) − max(0, index − impact ask)) / index, where the
//! impact bid/ask is the average price to fill `impact_notional` against that side (0 when the
//! book is too thin). At the end of an interval:
//! rate = average premium + clamp(interest − average premium, ±clamp), capped at ±cap, and the
//! index rises by rate × mark × lot size. A long owes `size × (index now − index at last
//! settlement)`; shorts receive the same, so funding is zero-sum. Owed funding counts in
//! equity at all times and moves to the quote balance whenever the position is touched.

use novation_math::{Decimal, Rounding};
use novation_types::{Event, MarketId, Side, SignedLots};

use crate::accounts::Position;
use crate::book::OrderBook;
use crate::params::MarketParams;
use crate::state::State;

/// Funding the position owes since its last settlement (negative: it is owed funding).
pub(crate) fn funding_owed(position: &Position, index: i128) -> Option<i128> {
    i128::from(position.size_lots.0).checked_mul(index.checked_sub(position.funding_index)?)
}

/// Settles owed funding: returns the amount the holder receives (negative: pays) and moves
/// the position's snapshot to `index`. The caller books it against `Settlement`.
pub(crate) fn settle_position(position: &mut Position, index: i128) -> Option<i128> {
    let received = funding_owed(position, index)?.checked_neg()?;
    position.funding_index = if position.size_lots == SignedLots(0) { 0 } else { index };
    Some(received)
}

/// Average price (in quote per whole base unit) to trade `notional` against `side` of the
/// book, or `None` if the book is too thin.
pub(crate) fn impact_price(book: &OrderBook, params: &MarketParams, side: Side, notional: Decimal) -> Option<Decimal> {
    let mut filled_value = Decimal::ZERO;
    let mut filled_base = Decimal::ZERO;
    for level in book.levels(side) {
        let price = Decimal::from_units(level.price_ticks as i128, params.tick_size).ok()?;
        let level_base = Decimal::from_units(level.total_lots as i128, params.lot_size).ok()?;
        let level_value = price.mul(level_base, Rounding::Floor).ok()?;
        let wanted = notional.checked_sub(filled_value).ok()?;
        if level_value >= wanted {
            let base = wanted.div(price, Rounding::Floor).ok()?;
            filled_base = filled_base.checked_add(base).ok()?;
            return notional.div(filled_base, Rounding::HalfEven).ok();
        }
        filled_value = filled_value.checked_add(level_value).ok()?;
        filled_base = filled_base.checked_add(level_base).ok()?;
    }
    None
}

fn premium_sample(book: &OrderBook, params: &MarketParams, index: Decimal) -> Decimal {
    let notional = params.funding.impact_notional;
    let (Some(bid), Some(ask)) =
        (impact_price(book, params, Side::Buy, notional), impact_price(book, params, Side::Sell, notional))
    else {
        return Decimal::ZERO;
    };
    let above = bid.checked_sub(index).unwrap_or_default().max(Decimal::ZERO);
    let below = index.checked_sub(ask).unwrap_or_default().max(Decimal::ZERO);
    above.checked_sub(below).and_then(|p| p.div(index, Rounding::HalfEven)).unwrap_or_default()
}

/// The interval's rate from its average premium.
pub(crate) fn funding_rate(average_premium: Decimal, params: &MarketParams) -> Decimal {
    let funding = &params.funding;
    let clamp = funding.clamp.to_decimal();
    let cap = funding.cap_per_interval.to_decimal();
    let interest_gap = funding.interest_per_interval.to_decimal().checked_sub(average_premium).unwrap_or_default();
    let clamped = interest_gap.max(clamp.checked_neg().unwrap_or_default()).min(clamp);
    let rate = average_premium.checked_add(clamped).unwrap_or_default();
    rate.max(cap.checked_neg().unwrap_or_default()).min(cap)
}

/// End-of-block hook: samples every market's premium and applies funding where an interval
/// ended.
pub(crate) fn update_funding(state: &mut State, events: &mut Vec<Event>) {
    let now_ms = state.clock.time_ms;
    for index in 0..state.markets.states.len() {
        let Some(params) = state.params.markets.get(index) else { continue };
        if params.kind != crate::params::MarketKind::Perpetual {
            continue;
        }
        let oracle_index = state.oracle.assets[params.base_asset.0 as usize].index;
        let (Some(oracle_index), Some(mark)) = (oracle_index, state.markets.states[index].mark) else { continue };
        let sample = premium_sample(&state.trading.books[index], params, oracle_index);
        let interval_ms = params.funding.interval_ms;
        let lot_size = params.lot_size;
        let rate_params = params.clone();
        let market = &mut state.markets.states[index];
        if market.funding_interval_start_ms == 0 {
            market.funding_interval_start_ms = now_ms;
        }
        market.premium_sum = market.premium_sum.checked_add(sample).unwrap_or(market.premium_sum);
        market.premium_samples += 1;
        if now_ms < market.funding_interval_start_ms.saturating_add(interval_ms) {
            continue;
        }
        let average =
            market.premium_sum.div_int(market.premium_samples as i128, Rounding::HalfEven).unwrap_or_default();
        let rate = funding_rate(average, &rate_params);
        let per_lot = mark.mul(lot_size, Rounding::HalfEven).and_then(|v| v.mul(rate, Rounding::HalfEven));
        if let Some(next) = per_lot.ok().and_then(|p| market.funding_index.checked_add(p.raw())) {
            market.funding_index = next;
        }
        market.last_funding_rate = rate;
        market.premium_sum = Decimal::ZERO;
        market.premium_samples = 0;
        market.funding_interval_start_ms = now_ms;
        events.push(Event::FundingRate {
            market: MarketId(index as u16),
            rate,
            index: Decimal::from_raw(market.funding_index),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Genesis;
    use novation_math::Ppm;

    fn params() -> MarketParams {
        Genesis::example(&[]).markets[0].clone()
    }

    #[test]
    fn rate_is_premium_plus_clamped_interest_gap() {
        let p = params();
        // Small premium: the interest gap pulls it to the interest rate.
        assert_eq!(
            funding_rate(Decimal::from_ratio(1, 10_000, Rounding::Floor).unwrap(), &p),
            Ppm::new(13).to_decimal()
        );
        // Large premium: the gap is clamped at 0.05%, then the cap applies.
        let big = Decimal::from_ratio(5, 100, Rounding::Floor).unwrap();
        assert_eq!(funding_rate(big, &p), Ppm::new(7_500).to_decimal());
        let negative = Decimal::from_ratio(-2, 1_000, Rounding::Floor).unwrap();
        assert_eq!(funding_rate(negative, &p), Decimal::from_ratio(-1_500, 1_000_000, Rounding::Floor).unwrap());
    }

    #[test]
    fn settlement_pays_longs_when_the_index_falls() {
        let mut position = Position { size_lots: SignedLots(10), funding_index: 100, ..Position::empty(MarketId(0)) };
        assert_eq!(settle_position(&mut position, 90), Some(100));
        assert_eq!(position.funding_index, 90);
    }
}
