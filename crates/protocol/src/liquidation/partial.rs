//! Partial liquidation against the order book.

use novation_math::{Ppm, Rounding};
use novation_types::{AssetUnits, Event, LedgerAccount, QuoteScaled, Side, SignedLots, SubaccountId};

use crate::risk::OrderExposure;
use crate::state::State;

use crate::risk::PPM;

/// Lots of a position to close so that equity returns to the liquidation-end target: each lot
/// closed releases its maintenance margin and costs the fees on it.
/// `release_per_lot` (scaled by 10^6) of zero or less closes the whole position.
fn lots_to_close(deficit_scaled: i128, release_per_lot: i128, size_lots: u64) -> u64 {
    if release_per_lot <= 0 || deficit_scaled <= 0 {
        return size_lots;
    }
    let lots = novation_math::div_i128(deficit_scaled, release_per_lot, Rounding::Ceil).unwrap_or(i128::MAX);
    u64::try_from(lots).unwrap_or(u64::MAX).clamp(1, size_lots)
}

/// Reduces the subaccount's positions, largest notional first, with reduce-only IOC orders
/// bounded at mark ± max slippage, until it meets its liquidation-end target.
pub(crate) fn reduce_on_book(state: &mut State, id: SubaccountId, events: &mut Vec<Event>) {
    let params = state.params.liquidation;
    let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
    let mut positions: Vec<(i128, novation_types::MarketId, i64)> = sub
        .positions
        .iter()
        .filter(|p| p.size_lots != SignedLots(0))
        .map(|p| {
            let lot_value = state.risk.markets[p.market.0 as usize].lot_value;
            (i128::from(p.size_lots.0).saturating_mul(lot_value.0).saturating_abs(), p.market, p.size_lots.0)
        })
        .collect();
    positions.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (notional, market, size_lots) in positions {
        let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
        let Ok(health) = state.health_of(sub, OrderExposure::PositionsOnly) else { return };
        let deficit = health.liquidation_end_deficit_scaled();
        if deficit <= QuoteScaled(0) {
            return;
        }
        let Ok(market_params) = state.params.market(market) else { continue };
        let market_risk = &state.risk.markets[market.0 as usize];
        let lot_value = market_risk.lot_value;
        let costs = Ppm::new(params.fee.0 + market_params.taker_fee.0);
        let cost_per_lot = lot_value.0.saturating_mul(costs.0 as i128);
        // What closing one lot gives back: its maintenance margin less the fees. Portfolio
        // margin and long options have no per-lot figure: the position closes whole.
        let release_per_lot = if sub.margin_mode == novation_types::MarginMode::Portfolio {
            0
        } else if let Some(short) = market_risk.option.filter(|_| market_params.kind.is_option()) {
            if size_lots < 0 {
                short.maintenance_per_lot.saturating_mul(PPM).saturating_sub(cost_per_lot)
            } else {
                0
            }
        } else {
            let maintenance = market_params.tier_for(notional).maintenance;
            lot_value.0.saturating_mul(maintenance.0 as i128).saturating_sub(cost_per_lot)
        };
        let lots = lots_to_close(deficit.0, release_per_lot, size_lots.unsigned_abs());
        let side = if size_lots > 0 { Side::Sell } else { Side::Buy };
        let Ok(notional_filled) =
            crate::trading::liquidation_order(state, id, market, side, lots, params.max_slippage, events)
        else {
            continue;
        };
        state.liquidation.stats.add_liquidated(notional_filled);
        charge_fee(state, id, notional_filled, events);
    }
}

/// The penalty on what was closed, capped at the equity left so it never creates bad debt.
fn charge_fee(state: &mut State, id: SubaccountId, notional: i128, events: &mut Vec<Event>) {
    let fee = state.params.liquidation.fee.apply(notional, Rounding::Ceil).unwrap_or(0);
    let equity = state
        .accounts
        .subaccounts
        .get(&id)
        .and_then(|sub| state.health_of(sub, OrderExposure::PositionsOnly).ok())
        .map_or(0, |h| h.equity().0);
    let fee = fee.min(equity.max(0));
    if fee <= 0 {
        return;
    }
    let quote = state.params.quote_asset;
    if state
        .ledger_transfer(LedgerAccount::Subaccount(id), LedgerAccount::InsuranceFund, quote, AssetUnits(fee))
        .is_ok()
    {
        events.push(Event::LiquidationFee { subaccount: id, amount: novation_math::Decimal::from_raw(fee) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_just_enough_to_cover_the_deficit() {
        // Each lot releases 100 × (3% − 1.05%) = 1.95 (scaled: 1,950,000); deficit 5 → 3 lots.
        assert_eq!(lots_to_close(5_000_000, 100 * (30_000 - 10_500), 10), 3);
        assert_eq!(lots_to_close(500_000_000, 100 * (30_000 - 10_500), 10), 10);
        assert_eq!(lots_to_close(5, 100 * (10_000 - 10_500), 10), 10, "no release: close all");
    }
}
