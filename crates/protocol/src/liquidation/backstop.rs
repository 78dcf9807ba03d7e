//! Backstop takeover and bankruptcy: positions and collateral move to the backstop
//! liquidator at mark; negative equity is covered by the insurance fund, and what it cannot
//! cover becomes pending bad debt.

use novation_math::Decimal;
use novation_types::{Event, LedgerAccount, MarketId, Side, SubaccountId};

use crate::clearing::apply_fill;
use crate::funding::settle_position;
use crate::risk::OrderExposure;
use crate::state::State;

/// Moves `id`'s whole position in `market` to `to` at the mark, settling funding for both.
fn transfer_position(state: &mut State, id: SubaccountId, to: SubaccountId, market: MarketId) -> Option<i64> {
    let risk = state.risk.markets[market.0 as usize];
    let mut from_sub = state.subaccounts.get(&id)?.clone();
    let mut to_sub = state.subaccounts.get(&to).cloned().unwrap_or_default();
    let size_lots = from_sub.size_lots(market);
    if size_lots == 0 {
        return None;
    }
    let from_before = size_lots.unsigned_abs() + to_sub.size_lots(market).unsigned_abs();
    let closing_side = if size_lots > 0 { Side::Sell } else { Side::Buy };
    let lots = size_lots.unsigned_abs();
    let settle = |sub: &mut crate::accounts::Subaccount, side: Side| -> Option<i128> {
        let position = sub.position_mut(market);
        let funding = settle_position(position, risk.funding_index)?;
        let change = apply_fill(position, side, lots, risk.lot_value).ok()?;
        position.funding_index = if position.size_lots == 0 { 0 } else { risk.funding_index };
        let received = change.realized.checked_add(funding)?;
        sub.add_balance(state.genesis.quote_asset, received)?;
        Some(received)
    };
    let from_received = settle(&mut from_sub, closing_side)?;
    let to_received = settle(&mut to_sub, closing_side.opposite())?;
    let after = to_sub.size_lots(market).unsigned_abs();
    let open_interest = state.markets[market.0 as usize].open_interest_lots;
    let open_interest_after = (open_interest.checked_mul(2)?.checked_add(after)?.checked_sub(from_before)?) / 2;
    let paid = from_received.checked_add(to_received)?.checked_neg()?;
    state.add_pool(LedgerAccount::Settlement, state.genesis.quote_asset, paid)?;
    state.put_subaccount(id, from_sub);
    state.put_subaccount(to, to_sub);
    state.market_mut(market).open_interest_lots = open_interest_after;
    Some(size_lots)
}

/// Hands everything `id` holds to the backstop, after the insurance fund covers its
/// negative equity (as far as it can).
pub(crate) fn take_over(state: &mut State, id: SubaccountId, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    let Some(sub) = state.subaccounts.get(&id) else { return };
    let markets: Vec<MarketId> = sub.positions.iter().filter(|p| p.size_lots != 0).map(|p| p.market).collect();
    for market in markets {
        if let Some(size_lots) = transfer_position(state, id, backstop, market) {
            let mark = state.markets[market.0 as usize].mark.unwrap_or_default();
            events.push(Event::BackstopTakeover { subaccount: id, backstop, market, size_lots, mark });
        }
    }
    cover_negative_equity(state, id, events);
    let balances = state.subaccounts.get(&id).map(|s| s.balances.clone()).unwrap_or_default();
    for (asset, units) in balances {
        if state
            .ledger_transfer(LedgerAccount::Subaccount(id), LedgerAccount::Subaccount(backstop), asset, units)
            .is_ok()
        {
            let decimals = state.genesis.assets[asset.0 as usize].decimals as u32;
            let amount = Decimal::from_raw(units.saturating_mul(10i128.pow(18 - decimals)));
            events.push(Event::BackstopCollateral { subaccount: id, asset, amount });
        }
    }
}

/// Insurance fund pays a flat, bankrupt subaccount up to zero equity; the rest is bad debt.
fn cover_negative_equity(state: &mut State, id: SubaccountId, events: &mut Vec<Event>) {
    let Some(sub) = state.subaccounts.get(&id) else { return };
    let Ok(health) = state.health_of(sub, OrderExposure::PositionsOnly) else { return };
    let deficit = health.equity().saturating_neg();
    if deficit <= 0 {
        return;
    }
    let quote = state.genesis.quote_asset;
    let fund = state.ledger_balance_of(LedgerAccount::InsuranceFund, quote).max(0);
    let paid = deficit.min(fund);
    if paid > 0
        && state.ledger_transfer(LedgerAccount::InsuranceFund, LedgerAccount::Subaccount(id), quote, paid).is_ok()
    {
        events.push(Event::InsuranceFundPaid { subaccount: id, amount: Decimal::from_raw(paid) });
    }
    let uncovered = deficit - paid;
    if uncovered > 0 {
        state.pending_bad_debt = state.pending_bad_debt.saturating_add(uncovered);
        events.push(Event::BadDebt { subaccount: id, amount: Decimal::from_raw(uncovered) });
    }
}
