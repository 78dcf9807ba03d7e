//! Backstop takeover, bankruptcy and auto-deleveraging.
//!
//! A subaccount that partial liquidation could not save hands everything to the backstop
//! liquidator. First its equity at mark is settled:
//! 1. equity ≥ 0: positions move to the backstop at mark, collateral follows;
//! 2. equity < 0: the insurance fund pays the deficit into the subaccount, as far as it can;
//! 3. whatever is still uncovered is auto-deleveraged: the subaccount's largest position is
//!    closed against opposing positions at its bankruptcy price (mark moved by deficit / size,
//!    so the subaccount ends at zero equity), opposing holders taken in the published ranking
//!    order — highest unrealised profit × leverage first, then subaccount id, ranked once per
//!    block when the block first needs it. A subaccount with
//!    no position is never touched. Only what no opposing position can cover is written off
//!    to the `BadDebt` ledger account (see `bad_debt`).

use novation_math::{mul_div_i128, Decimal, Rounding};
use novation_types::{AssetUnits, Event, LedgerAccount, MarketId, Side, SubaccountId};

use crate::accounts::ledger::Postings;
use crate::accounts::Subaccount;
use crate::clearing::apply_fill;
use crate::markets::funding::settle_position;
use crate::risk::OrderExposure;
use crate::state::State;

/// `from` trades `lots` of its position in `market` toward zero at `lot_price` (raw quote per
/// lot); `to` takes the other side. Funding settles first for both; no fees.
fn trade_at(
    state: &mut State,
    from: SubaccountId,
    to: SubaccountId,
    market: MarketId,
    lots: u64,
    lot_price: i128,
) -> Option<()> {
    let funding_index = state.risk.markets[market.0 as usize].funding_index;
    let quote = state.params.quote_asset;
    let mut from_sub = state.accounts.subaccounts.get(&from)?.clone();
    let mut to_sub = state.accounts.subaccounts.get(&to).cloned().unwrap_or_default();
    let size_lots = from_sub.size_lots(market).0;
    let before = size_lots.unsigned_abs().checked_add(to_sub.size_lots(market).0.unsigned_abs())?;
    let closing_side = if size_lots > 0 { Side::Sell } else { Side::Buy };
    let settle = |sub: &mut Subaccount, side: Side| -> Option<i128> {
        let position = sub.position_mut(market);
        let funding = settle_position(position, funding_index)?;
        let change = apply_fill(position, side, lots, lot_price).ok()?;
        position.funding_index = if position.size_lots.is_zero() { 0 } else { funding_index };
        change.realized.checked_add(funding)
    };
    let from_received = settle(&mut from_sub, closing_side)?;
    let to_received = settle(&mut to_sub, closing_side.opposite())?;
    let after = from_sub.size_lots(market).0.unsigned_abs().checked_add(to_sub.size_lots(market).0.unsigned_abs())?;
    let open_interest = state.markets.states[market.0 as usize].open_interest_lots;
    let open_interest_after = open_interest.checked_mul(2)?.checked_add(after)?.checked_sub(before)? / 2;
    let mut postings = Postings::new();
    postings
        .add(LedgerAccount::Settlement, LedgerAccount::Subaccount(from), quote, AssetUnits(from_received))
        .ok()?
        .add(LedgerAccount::Settlement, LedgerAccount::Subaccount(to), quote, AssetUnits(to_received))
        .ok()?;
    state.post_replacing(&postings, [(from, from_sub), (to, to_sub)]).ok()?;
    state.market_mut(market).open_interest_lots = open_interest_after;
    Some(())
}

fn equity_of(state: &State, id: SubaccountId) -> i128 {
    let sub = state.accounts.subaccounts.get(&id);
    sub.and_then(|s| state.health_of(s, OrderExposure::PositionsOnly).ok()).map_or(0, |h| h.equity().0)
}

/// Hands everything `id` holds to the backstop, after covering negative equity.
pub(crate) fn take_over(state: &mut State, id: SubaccountId, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    let deficit = equity_of(state, id).saturating_neg();
    if deficit > 0 {
        let uncovered = pay_from_insurance(state, id, deficit, events);
        if uncovered > 0 {
            auto_deleverage(state, id, uncovered, adl, events);
        }
    }
    let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
    let positions: Vec<(MarketId, i64)> =
        sub.positions.iter().filter(|p| !p.size_lots.is_zero()).map(|p| (p.market, p.size_lots.0)).collect();
    for (market, size_lots) in positions {
        let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
        if trade_at(state, id, backstop, market, size_lots.unsigned_abs(), lot_value).is_some() {
            let mark = state.markets.states[market.0 as usize].mark.unwrap_or_default();
            state.liquidation.stats.add_liquidated((size_lots as i128).saturating_mul(lot_value).saturating_abs());
            events.push(Event::BackstopTakeover { subaccount: id, backstop, market, size_lots, mark });
        }
    }
    let balances = state.accounts.subaccounts.get(&id).map(|s| s.balances.clone()).unwrap_or_default();
    for (asset, units) in balances {
        let moved =
            state.ledger_transfer(LedgerAccount::Subaccount(id), LedgerAccount::Subaccount(backstop), asset, units);
        if moved.is_ok() {
            let amount = state.params.asset(asset).map_or(Decimal::ZERO, |a| a.amount_of_units(units.0));
            events.push(Event::BackstopCollateral { subaccount: id, asset, amount });
        }
    }
}

/// The insurance fund pays up to `deficit` into `id`; returns what it could not pay.
fn pay_from_insurance(state: &mut State, id: SubaccountId, deficit: i128, events: &mut Vec<Event>) -> i128 {
    let quote = state.params.quote_asset;
    let fund = state.ledger_balance_of(LedgerAccount::InsuranceFund, quote).0.max(0);
    let paid = deficit.min(fund);
    if paid > 0
        && state
            .ledger_transfer(LedgerAccount::InsuranceFund, LedgerAccount::Subaccount(id), quote, AssetUnits(paid))
            .is_ok()
    {
        state.liquidation.stats.insurance_paid = state.liquidation.stats.insurance_paid.saturating_add(paid);
        events.push(Event::InsuranceFundPaid { subaccount: id, amount: Decimal::from_raw(paid) });
        return deficit - paid;
    }
    deficit
}

/// The ADL ranking score: unrealised profit × leverage (profit × notional / equity).
fn adl_score(state: &State, id: SubaccountId, sub: &Subaccount, market: MarketId) -> Option<i128> {
    let position = sub.position(market)?;
    let risk = state.risk.markets[market.0 as usize];
    let value = i128::from(position.size_lots.0).checked_mul(risk.lot_value.0)?;
    let owed = crate::markets::funding::funding_owed(position, risk.funding_index)?;
    let profit = value.checked_sub(position.cost.raw())?.checked_sub(owed)?;
    let equity = equity_of(state, id);
    if profit <= 0 {
        return Some(0);
    }
    if equity <= 0 {
        return Some(i128::MAX);
    }
    Some(mul_div_i128(profit, value.checked_abs()?, equity, Rounding::Floor).unwrap_or(i128::MAX))
}

/// Lots `holder` can give up against a bankrupt position of sign `sign` in `market`.
fn reducing_lots(state: &State, holder: SubaccountId, market: MarketId, sign: i64) -> u64 {
    let size = state.accounts.subaccounts.get(&holder).map_or(0, |s| s.size_lots(market).0);
    if size.signum() == -sign {
        size.unsigned_abs()
    } else {
        0
    }
}

/// The ADL ranking of one block: per (market, side), opposing holders best candidate first,
/// ranked once, when the block first needs it, from the state at that moment.
#[derive(Default)]
pub(crate) struct AdlQueues {
    queues: std::collections::BTreeMap<(MarketId, i64), (Vec<SubaccountId>, usize)>,
}

impl AdlQueues {
    /// The best remaining candidate against a bankrupt position of sign `sign`.
    fn next(&mut self, state: &State, bankrupt: SubaccountId, market: MarketId, sign: i64) -> Option<SubaccountId> {
        let (ranked, cursor) =
            self.queues.entry((market, sign)).or_insert_with(|| (adl_ranking(state, market, sign), 0));
        while ranked.get(*cursor) == Some(&bankrupt) {
            *cursor += 1;
        }
        ranked.get(*cursor).copied()
    }

    /// Moves past the current candidate.
    fn pop(&mut self, market: MarketId, sign: i64) {
        if let Some((_, cursor)) = self.queues.get_mut(&(market, sign)) {
            *cursor += 1;
        }
    }
}

/// Opposing holders of `market` against a position of sign `sign`, best ADL candidates first.
fn adl_ranking(state: &State, market: MarketId, sign: i64) -> Vec<SubaccountId> {
    let mut ranked: Vec<(i128, SubaccountId)> = state
        .accounts
        .subaccounts
        .iter()
        .filter_map(|(id, sub)| {
            let size = sub.size_lots(market);
            (size.signum() == -sign).then(|| (adl_score(state, *id, sub, market).unwrap_or(0), *id))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, id)| id).collect()
}

/// Closes `id`'s largest position against ranked opposing holders at the bankruptcy price.
fn auto_deleverage(state: &mut State, id: SubaccountId, deficit: i128, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
    let largest = sub
        .positions
        .iter()
        .filter(|p| !p.size_lots.is_zero())
        .map(|p| {
            let lot_value = state.risk.markets[p.market.0 as usize].lot_value;
            (lot_value.times_lots(p.size_lots).map_or(i128::MAX, |v| v.0.saturating_abs()), p.market, p.size_lots.0)
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let Some((_, market, size_lots)) = largest else {
        record_bad_debt(state, id, deficit, events);
        return;
    };
    let lots = size_lots.unsigned_abs();
    // Per lot, the bankrupt side needs deficit / size more than mark (rounded so it ends ≥ 0).
    let shift = novation_math::div_i128(deficit, lots as i128, Rounding::Ceil).unwrap_or(deficit);
    let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
    let bankruptcy_lot_price =
        if size_lots > 0 { lot_value.saturating_add(shift) } else { lot_value.saturating_sub(shift) };
    let lot_size = state.params.market(market).map_or(Decimal::ONE, |m| m.lot_size);
    let price = Decimal::from_raw(bankruptcy_lot_price).div(lot_size, Rounding::HalfEven).unwrap_or_default();
    let mut remaining = lots;
    let sign = size_lots.signum();
    while remaining > 0 {
        let Some(counterparty) = adl.next(state, id, market, sign) else { break };
        // The holder's position may have changed since the ranking was made.
        let available = reducing_lots(state, counterparty, market, sign);
        if available == 0 {
            adl.pop(market, sign);
            continue;
        }
        let take = remaining.min(available);
        if trade_at(state, id, counterparty, market, take, bankruptcy_lot_price).is_none() {
            adl.pop(market, sign);
            continue;
        }
        remaining -= take;
        if take == available {
            adl.pop(market, sign);
        }
        state.liquidation.stats.adl_events += 1;
        let notional = (take as i128).saturating_mul(bankruptcy_lot_price);
        state.liquidation.stats.adl_notional = state.liquidation.stats.adl_notional.saturating_add(notional);
        events.push(Event::AutoDeleveraged { subaccount: counterparty, bankrupt: id, market, size_lots: take, price });
    }
    if remaining > 0 {
        record_bad_debt(state, id, equity_of(state, id).saturating_neg().max(0), events);
    }
}

fn record_bad_debt(state: &mut State, id: SubaccountId, amount: i128, events: &mut Vec<Event>) {
    super::bad_debt::book_bad_debt(state, id, amount, events);
}
