//! Expiry: the settlement price and the cash settlement of every position in a series.
//!
//! Settlement price: the time-weighted average of the underlying's index over the final
//! `settlement_window_ms` before expiry. The index aggregated in a block holds from that
//! block's time until the next block's; the part of that span inside the window counts
//! with its length. If no block fell in the window, the index at expiry is used. The first
//! block whose time is at or after expiry fixes the price and settles every series of that
//! underlying and expiry: open orders are cancelled, each position realises
//! size × payoff − cost (payoff per contract: the settlement price for a future,
//! max(S − K, 0) for a call, max(K − S, 0) for a put), and the series closes.

use novation_math::{Decimal, Rounding};
use novation_types::{AssetId, AssetUnits, CancelReason, Event, LedgerAccount, MarketId, SignedLots, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::params::{MarketKind, OptionRight};
use crate::state::State;

/// The running time-weighted average of one underlying's index before one expiry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SettlementTwap {
    /// The index aggregated at the last block, which holds until the next block.
    pub(crate) last_index: Option<Decimal>,
    /// That block's time.
    pub(crate) last_time_ms: u64,
    /// Σ index (raw) × ms over the part of the window seen so far.
    pub(crate) weighted_sum: i128,
    /// Milliseconds of the window seen so far.
    pub(crate) covered_ms: u64,
    /// The settlement price, once fixed.
    pub(crate) price: Option<Decimal>,
}

impl SettlementTwap {
    /// Counts the last index over the part of [last block, now) inside [start, expiry).
    fn accumulate(&mut self, now_ms: u64, start_ms: u64, expiry_ms: u64) {
        let Some(index) = self.last_index else { return };
        let from = self.last_time_ms.max(start_ms);
        let to = now_ms.min(expiry_ms);
        if to <= from {
            return;
        }
        let span = to - from;
        let added = index.raw().checked_mul(span as i128).and_then(|v| self.weighted_sum.checked_add(v));
        if let Some(sum) = added {
            self.weighted_sum = sum;
            self.covered_ms += span;
        }
    }

    /// The average so far, if any of the window was seen.
    fn average(&self) -> Option<Decimal> {
        if self.covered_ms == 0 {
            return None;
        }
        Decimal::from_raw(self.weighted_sum).div_int(self.covered_ms as i128, Rounding::HalfEven).ok()
    }
}

/// Payoff per whole contract of a series at settlement price `price`.
pub(crate) fn payoff(kind: &MarketKind, price: Decimal) -> Decimal {
    match *kind {
        MarketKind::Perpetual | MarketKind::Future { .. } => price,
        MarketKind::Option { strike, right: OptionRight::Call, .. } => price.checked_sub(strike).unwrap_or_default(),
        MarketKind::Option { strike, right: OptionRight::Put, .. } => strike.checked_sub(price).unwrap_or_default(),
    }
    .max(Decimal::ZERO)
}

/// End-of-block step: advances every pending settlement average and settles what expired.
pub(crate) fn settle_expiries(state: &mut State, events: &mut Vec<Event>) {
    let now_ms = state.clock.time_ms;
    let window = state.params.derivatives.settlement_window_ms;
    let keys: Vec<(AssetId, u64)> =
        state.derivatives.settlement_twaps.iter().filter(|(_, t)| t.price.is_none()).map(|(k, _)| *k).collect();
    for (asset, expiry_ms) in keys {
        let index = state.oracle.assets[asset.0 as usize].index;
        let Some(twap) = state.derivatives.settlement_twaps.get_mut(&(asset, expiry_ms)) else { continue };
        twap.accumulate(now_ms, expiry_ms.saturating_sub(window), expiry_ms);
        if now_ms < expiry_ms {
            twap.last_index = index.or(twap.last_index);
            twap.last_time_ms = now_ms;
            continue;
        }
        let Some(price) = twap.average().or(index).or(twap.last_index) else { continue };
        twap.price = Some(price);
        events.push(Event::SettlementPriceSet { asset, expiry_ms, price });
        settle_series(state, asset, expiry_ms, price, events);
    }
}

/// Cancels orders in, and cash-settles every position of, the series of `asset` expiring at
/// `expiry_ms`.
fn settle_series(state: &mut State, asset: AssetId, expiry_ms: u64, price: Decimal, events: &mut Vec<Event>) {
    let series: Vec<MarketId> = state
        .params
        .markets
        .iter()
        .filter(|m| m.base_asset == asset && m.kind.expiry_ms() == Some(expiry_ms))
        .map(|m| m.id)
        .collect();
    // Value of one lot at the payoff, rounded down: the same for longs and shorts, so the
    // settled amounts sum to minus the series' costs exactly.
    let lot_values: Vec<(MarketId, Decimal, i128)> = series
        .iter()
        .map(|&id| {
            let Ok(params) = state.params.market(id) else { return (id, Decimal::ZERO, 0) };
            let per_contract = payoff(&params.kind, price);
            let lot_value = per_contract.mul(params.lot_size, Rounding::Floor).map_or(0, |v| v.raw());
            (id, per_contract, lot_value)
        })
        .collect();
    for &market in &series {
        crate::trading::cancel_market_orders(state, market, CancelReason::Expired, events);
    }
    let holders: Vec<SubaccountId> = state
        .accounts
        .subaccounts
        .iter()
        .filter(|(_, sub)| sub.positions.iter().any(|p| series.contains(&p.market)))
        .map(|(id, _)| *id)
        .collect();
    let mut settled = vec![0u64; series.len()];
    let quote = state.params.quote_asset;
    for holder in holders {
        for (slot, &(market, per_contract, lot_value)) in lot_values.iter().enumerate() {
            let Some(position) = state.accounts.subaccounts.get(&holder).and_then(|s| s.position(market)).copied()
            else {
                continue;
            };
            let balance = state.accounts.subaccounts.get(&holder).map_or(0, |s| s.balance(quote).0);
            let value = i128::from(position.size_lots.0).checked_mul(lot_value);
            let realized = value.and_then(|v| v.checked_sub(position.cost.raw()));
            let pool = state.accounts.pool_balance(LedgerAccount::Settlement, quote);
            let fits = realized.and_then(|r| Some((balance.checked_add(r)?, pool.checked_sub(AssetUnits(r))?)));
            // An amount beyond the representable range cannot be settled exactly: the position
            // stays open rather than settling a wrong amount.
            let (Some(realized), Some(_)) = (realized, fits) else { continue };
            let holder_account = LedgerAccount::Subaccount(holder);
            if state.ledger_transfer(LedgerAccount::Settlement, holder_account, quote, AssetUnits(realized)).is_err() {
                continue;
            }
            state.with_subaccount(holder, |sub| {
                let entry = sub.position_mut(market);
                entry.size_lots = SignedLots(0);
                entry.cost = Decimal::ZERO;
            });
            settled[slot] += 1;
            events.push(Event::PositionSettled {
                subaccount: holder,
                market,
                size_lots: position.size_lots.0,
                payoff: per_contract,
                realized_pnl: Decimal::from_raw(realized),
            });
        }
    }
    for (slot, &(market, per_contract, _)) in lot_values.iter().enumerate() {
        let state_market = &mut state.markets.states[market.0 as usize];
        state_market.settlement_price = Some(price);
        state_market.mark = Some(per_contract);
        state_market.open_interest_lots = 0;
        state_market.implied_vol = None;
        events.push(Event::MarketSettled { market, price, positions: settled[slot] });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_weights_each_index_by_how_long_it_held_inside_the_window() {
        // Window [1000, 2000). Index 10 from t=500 (counts from 1000 to 1500), then 20 from
        // 1500 to 2000.
        let mut twap =
            SettlementTwap { last_index: Some(Decimal::from_int(10)), last_time_ms: 500, ..SettlementTwap::default() };
        twap.accumulate(1500, 1000, 2000);
        twap.last_index = Some(Decimal::from_int(20));
        twap.last_time_ms = 1500;
        twap.accumulate(2600, 1000, 2000);
        assert_eq!(twap.covered_ms, 1000);
        assert_eq!(twap.average(), Some(Decimal::from_int(15)));
    }

    #[test]
    fn payoffs_are_never_negative() {
        let call = MarketKind::Option { expiry_ms: 1, strike: Decimal::from_int(100), right: OptionRight::Call };
        let put = MarketKind::Option { expiry_ms: 1, strike: Decimal::from_int(100), right: OptionRight::Put };
        assert_eq!(payoff(&call, Decimal::from_int(90)), Decimal::ZERO);
        assert_eq!(payoff(&call, Decimal::from_int(130)), Decimal::from_int(30));
        assert_eq!(payoff(&put, Decimal::from_int(90)), Decimal::from_int(10));
        assert_eq!(payoff(&MarketKind::Future { expiry_ms: 1 }, Decimal::from_int(90)), Decimal::from_int(90));
    }
}
