//! Backstop takeover and the backstop's own solvency.
//!
//! A subaccount that partial liquidation could not save hands everything to the backstop
//! liquidator. First its equity at mark is settled:
//! 1. equity < 0: the insurance fund pays the deficit into the subaccount, as far as it can;
//!    whatever is still uncovered is auto-deleveraged at the bankruptcy price (`adl`), and
//!    only what opposing positions cannot cover (each holder pays at most its equity) is
//!    written off to `BadDebt` (`bad_debt`);
//! 2. then its positions move to the backstop at mark — but only within the backstop's
//!    limits per market: its notional (`backstop_max_notional`), its share of open interest
//!    (`backstop_max_open_interest_share`) and its own initial margin (a backstop that does
//!    not meet it takes nothing that adds to its risk). What is beyond is auto-deleveraged at
//!    mark instead (`Event::BackstopLimitReached`); the collateral follows to the backstop.
//!
//! The backstop is a subaccount with its own collateral and health, checked at the end of
//! every block (`settle_backstop`): below maintenance it reduces its positions on the book
//! like any subaccount; a negative equity is booked at once — insurance fund first, then
//! auto-deleveraging at its bankruptcy price, then bad debt — so no loss stays hidden in it.

use novation_math::Decimal;
use novation_types::{AssetUnits, Event, LedgerAccount, MarketId, Side, SubaccountId};

use crate::accounts::ledger::Postings;
use crate::accounts::Subaccount;
use crate::clearing::apply_fill;
use crate::markets::funding::settle_position;
use crate::risk::OrderExposure;
use crate::state::State;

use super::adl::{self, AdlQueues};

/// `from` trades `lots` of its position in `market` toward zero at `lot_price` (raw quote per
/// lot); `to` takes the other side. Funding settles first for both; no fees.
pub(super) fn trade_at(
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

/// `id`'s equity at mark (0 for an unknown subaccount or one out of range): equity alone,
/// without the requirements a full health check also computes.
pub(crate) fn equity_of(state: &State, id: SubaccountId) -> i128 {
    let sub = state.accounts.subaccounts.get(&id);
    sub.and_then(|s| crate::risk::compute_equity(s, &state.risk)).unwrap_or(0)
}

/// Hands everything `id` holds to the backstop, after covering negative equity; what is
/// beyond the backstop's limits is auto-deleveraged at mark.
pub(crate) fn take_over(state: &mut State, id: SubaccountId, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    cover_deficit(state, id, adl, events);
    let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
    let positions: Vec<(MarketId, i64)> =
        sub.positions.iter().filter(|p| !p.size_lots.is_zero()).map(|p| (p.market, p.size_lots.0)).collect();
    for (market, size_lots) in positions {
        let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
        let lots = size_lots.unsigned_abs();
        let room = backstop_room(state, market, size_lots.signum()).min(lots);
        let mut beyond = lots - room;
        if beyond > 0 {
            events.push(Event::BackstopLimitReached { subaccount: id, market, size_lots: beyond });
            beyond = adl::deleverage(state, id, market, beyond, lot_value, adl, events);
        }
        // What no opposing holder could take stays with the backstop after all: a position
        // is never left with a liquidated subaccount.
        let take = room + beyond;
        if take > 0 && trade_at(state, id, backstop, market, take, lot_value).is_some() {
            let mark = state.markets.states[market.0 as usize].mark.unwrap_or_default();
            state.liquidation.stats.add_liquidated((take as i128).saturating_mul(lot_value));
            let size_lots = take as i64 * size_lots.signum();
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

/// The backstop's limit in `market`, in lots: the smaller of its share of open interest and
/// its notional limit at mark (none for new risk while it fails its own initial margin).
pub(crate) fn backstop_limit_lots(state: &State, market: MarketId) -> u64 {
    let Ok(params) = state.params.market(market) else { return 0 };
    let backstop = state.backstop_subaccount();
    // A backstop that holds nothing yet meets its initial margin trivially.
    let meets_initial = state
        .accounts
        .subaccounts
        .get(&backstop)
        .is_none_or(|sub| state.health_of(sub, OrderExposure::PositionsOnly).is_ok_and(|h| h.meets_initial()));
    if !meets_initial {
        return 0;
    }
    let open_interest = state.markets.states[market.0 as usize].open_interest_lots;
    let share = params.risk.backstop_max_open_interest_share;
    let by_share = share.apply(i128::from(open_interest), novation_math::Rounding::Floor).unwrap_or(0);
    let lot_value = state.risk.markets[market.0 as usize].lot_value.0.max(1);
    let by_notional = params.risk.backstop_max_notional.map_or(i128::MAX, |cap| cap.raw() / lot_value);
    u64::try_from(by_share.min(by_notional).max(0)).unwrap_or(u64::MAX)
}

/// Lots of a position of sign `sign` the backstop may take in `market`: first whatever
/// reduces its own opposite position, then up to its limit.
fn backstop_room(state: &State, market: MarketId, sign: i64) -> u64 {
    let backstop = state.backstop_subaccount();
    let held = state.accounts.subaccounts.get(&backstop).map_or(0, |s| s.size_lots(market).0);
    let limit = backstop_limit_lots(state, market);
    if held.signum() == -sign {
        held.unsigned_abs().saturating_add(limit)
    } else {
        limit.saturating_sub(held.unsigned_abs())
    }
}

/// End-of-block step: the backstop's own health. Below maintenance it reduces on the book;
/// a negative equity is booked at once — insurance fund, then auto-deleveraging at its
/// bankruptcy price, then bad debt.
pub(crate) fn settle_backstop(state: &mut State, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    let Some(sub) = state.accounts.subaccounts.get(&backstop) else { return };
    let Ok(health) = state.health_of(sub, OrderExposure::PositionsOnly) else { return };
    if health.below_maintenance() && health.equity().0 > 0 {
        crate::trading::cancel_all_with_reason(
            state,
            backstop,
            None,
            novation_types::CancelReason::Liquidation,
            events,
        );
        super::partial::reduce_on_book(state, backstop, events);
    }
    // A negative equity is booked first (its deficit charged where it belongs), then what
    // still loses is unwound, and a loss the unwinding realised is booked too.
    cover_deficit(state, backstop, adl, events);
    unwind_losing_positions(state, adl, events);
    cover_deficit(state, backstop, adl, events);
}

/// The backstop does not carry a losing position through a continuing move (where its loss
/// would pay the opposite side, perhaps the liquidated account's own partner): each position
/// whose unrealised PnL is negative at the end of a block is offered to the book within the
/// band, and what the book does not take is auto-deleveraged at mark against the opposing
/// holders in the published ranking.
fn unwind_losing_positions(state: &mut State, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    let Some(sub) = state.accounts.subaccounts.get(&backstop) else { return };
    let losing: Vec<(MarketId, i64)> = sub
        .positions
        .iter()
        .filter(|p| !p.size_lots.is_zero())
        .filter(|p| {
            let risk = &state.risk.markets[p.market.0 as usize];
            let value = risk.lot_value.times_lots(p.size_lots).map_or(0, |v| v.0);
            let owed = crate::markets::funding::funding_owed(p, risk.funding_index).unwrap_or(0);
            value.saturating_sub(p.cost.raw()).saturating_sub(owed) < 0
        })
        .map(|p| (p.market, p.size_lots.0))
        .collect();
    let slippage = state.params.liquidation.max_slippage;
    for (market, size_lots) in losing {
        let side = if size_lots > 0 { Side::Sell } else { Side::Buy };
        let lots = size_lots.unsigned_abs();
        let _ = crate::trading::liquidation_order(state, backstop, market, side, lots, slippage, events);
        let left = state.accounts.subaccounts.get(&backstop).map_or(0, |s| s.size_lots(market).0.unsigned_abs());
        if left > 0 {
            let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
            adl::deleverage(state, backstop, market, left, lot_value, adl, events);
        }
    }
}

/// Covers `id`'s negative equity at mark. The insurance fund pays the part that prices moving
/// at the stable price's pace would also have caused (the deficit at stable prices); the rest
/// — the loss from a move faster than the stable price follows, a gap or a pump — is charged
/// first to the opposing winners of that move by auto-deleveraging at the bankruptcy price,
/// so colluding accounts on both sides of a manipulated move cannot draw on the fund. What no
/// opposing position covers is booked as bad debt (and covered at the end of the block from
/// the fund, then the fee pool).
fn cover_deficit(state: &mut State, id: SubaccountId, adl: &mut AdlQueues, events: &mut Vec<Event>) {
    let deficit = equity_of(state, id).saturating_neg();
    if deficit <= 0 {
        return;
    }
    let sub = state.accounts.subaccounts.get(&id);
    let stable_deficit = sub
        .and_then(|s| crate::risk::compute_equity_at_stable(s, &state.risk))
        .map_or(deficit, |equity| equity.saturating_neg().max(0));
    let insured = stable_deficit.min(deficit);
    let uncovered = pay_from_insurance(state, id, insured, events).saturating_add(deficit - insured);
    if uncovered > 0 {
        adl::deleverage_deficit(state, id, uncovered, adl, events);
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
