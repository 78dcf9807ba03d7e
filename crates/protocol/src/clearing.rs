//! Clearing: how a fill changes a position — size, cost basis and realised PnL — and the fee
//! it costs. Pure functions; the matching engine applies their results.
//!
//! A position keeps a signed `cost` (quote paid for the open size). A fill adds its signed
//! quote value to it. When a fill reduces the position, the reduced part's share of the cost
//! (rounded up: payouts round down) is compared with the fill's value and the difference
//! is realised: it leaves the position's cost and enters the quote balance, paid by the
//! `Settlement` ledger account. Across all positions of a market the costs sum to minus the
//! settlement balance, which is what keeps PnL zero-sum.

use novation_math::{mul_div_i128, Ppm, Rounding};
use novation_types::{ErrorCode, Side, SignedLots};

use crate::accounts::Position;

/// What a fill did to one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PositionChange {
    /// Realised PnL in raw quote decimals (moved from the position into the balance).
    pub(crate) realized: i128,
    /// Whether the absolute size grew (opening, adding, or flipping past zero).
    pub(crate) increased_risk: bool,
}

/// Applies a fill of `lots` on `side` at `lot_price` (raw quote decimals per lot) to `position`.
pub(crate) fn apply_fill(
    position: &mut Position,
    side: Side,
    lots: u64,
    lot_price: i128,
) -> Result<PositionChange, ErrorCode> {
    let overflow = ErrorCode::ArithmeticOverflow;
    let size = i128::from(position.size_lots.0);
    let delta = side.sign() as i128 * lots as i128;
    let value = delta.checked_mul(lot_price).ok_or(overflow)?;
    let new_size = size + delta;
    let new_size_lots = i64::try_from(new_size).map_err(|_| overflow)?;
    if size == 0 || size.signum() == delta.signum() {
        position.cost = position.cost.checked_add(novation_math::Decimal::from_raw(value)).map_err(|_| overflow)?;
        position.size_lots = SignedLots(new_size_lots);
        return Ok(PositionChange { realized: 0, increased_risk: true });
    }
    let closing = delta.abs().min(size.abs());
    let closed_cost = mul_div_i128(position.cost.raw(), closing, size.abs(), Rounding::Ceil).map_err(|_| overflow)?;
    let closing_value = (delta.signum() * closing).checked_mul(lot_price).ok_or(overflow)?;
    let realized = closing_value.checked_neg().and_then(|v| v.checked_sub(closed_cost)).ok_or(overflow)?;
    let opening = delta.abs() - closing;
    let remaining_cost = position.cost.raw().checked_sub(closed_cost).ok_or(overflow)?;
    let opening_cost = (delta.signum() * opening).checked_mul(lot_price).ok_or(overflow)?;
    position.cost = novation_math::Decimal::from_raw(remaining_cost.checked_add(opening_cost).ok_or(overflow)?);
    position.size_lots = SignedLots(new_size_lots);
    debug_assert!(new_size != 0 || position.cost.is_zero(), "a closed position keeps no cost");
    Ok(PositionChange { realized, increased_risk: opening > 0 })
}

/// The fee on `notional` (raw quote decimals) at `rate`: charges round up, rebates round
/// down (toward zero), so fees always favour the protocol.
pub(crate) fn fee(notional: i128, rate: Ppm) -> Result<i128, ErrorCode> {
    rate.apply(notional, Rounding::Ceil).map_err(|_| ErrorCode::ArithmeticOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_math::Decimal;
    use novation_types::MarketId;

    fn long(size: i64, cost: i128) -> Position {
        Position { size_lots: SignedLots(size), cost: Decimal::from_raw(cost), ..Position::empty(MarketId(0)) }
    }

    #[test]
    fn opening_adds_value_to_cost() {
        let mut position = Position::empty(MarketId(0));
        let change = apply_fill(&mut position, Side::Buy, 3, 100).unwrap();
        assert_eq!(change, PositionChange { realized: 0, increased_risk: true });
        assert_eq!((position.size_lots.0, position.cost.raw()), (3, 300));
    }

    #[test]
    fn closing_a_long_at_a_higher_price_realises_the_gain() {
        let mut position = long(2, 200);
        let change = apply_fill(&mut position, Side::Sell, 2, 110).unwrap();
        assert_eq!(change.realized, 20);
        assert!(!change.increased_risk);
        assert_eq!((position.size_lots.0, position.cost.raw()), (0, 0));
    }

    #[test]
    fn closing_a_short_at_a_lower_price_realises_the_gain() {
        let mut position = long(-2, -200);
        let change = apply_fill(&mut position, Side::Buy, 1, 90).unwrap();
        assert_eq!(change.realized, 10);
        assert_eq!((position.size_lots.0, position.cost.raw()), (-1, -100));
    }

    #[test]
    fn flipping_realises_the_closed_part_and_opens_the_rest() {
        let mut position = long(1, 100);
        let change = apply_fill(&mut position, Side::Sell, 3, 90).unwrap();
        assert_eq!(change.realized, -10);
        assert!(change.increased_risk);
        assert_eq!((position.size_lots.0, position.cost.raw()), (-2, -180));
    }

    #[test]
    fn partial_close_rounds_the_payout_down() {
        // Cost 100 over 3 lots: closing one lot takes ceil(33.33) = 34 of cost.
        let mut position = long(3, 100);
        let change = apply_fill(&mut position, Side::Sell, 1, 40).unwrap();
        assert_eq!(change.realized, 6);
        assert_eq!(position.cost.raw(), 66);
    }

    #[test]
    fn rebates_round_toward_zero_and_fees_round_up() {
        assert_eq!(fee(1_000_001, Ppm::new(500)).unwrap(), 501);
        assert_eq!(fee(1_000_001, Ppm::new(-100)).unwrap(), -100);
    }
}
