//! Auto-deleveraging: closing a position against opposing holders, in the published ranking
//! order — highest unrealised profit × leverage first, then subaccount id — ranked once per
//! (market, side) when a block first needs it. A subaccount with no position is never
//! touched. Used at the bankruptcy price for a deficit nothing else covers (each holder
//! paying at most its own equity, so deleveraging never leaves a loss in another subaccount
//! where nothing books it), and at mark for what the backstop may not take.

use novation_math::{mul_div_i128, Decimal, Rounding};
use novation_types::{Event, MarketId, SubaccountId};

use super::backstop::{equity_of, trade_at};
use crate::accounts::Subaccount;
use crate::state::State;

/// The ADL ranking score: unrealised profit × leverage (profit × notional / equity); zero
/// without profit.
pub(crate) fn adl_score(state: &State, sub: &Subaccount, market: MarketId) -> Option<i128> {
    let position = sub.position(market)?;
    let risk = state.risk.markets.get(market.0 as usize)?;
    let value = i128::from(position.size_lots.0).checked_mul(risk.lot_value.0)?;
    let owed = crate::markets::funding::funding_owed(position, risk.funding_index)?;
    let profit = value.checked_sub(position.cost.raw())?.checked_sub(owed)?;
    if profit <= 0 {
        return Some(0);
    }
    let equity = crate::risk::compute_equity(sub, &state.risk).unwrap_or(0);
    if equity <= 0 {
        return Some(i128::MAX);
    }
    Some(mul_div_i128(profit, value.checked_abs()?, equity, Rounding::Floor).unwrap_or(i128::MAX))
}

/// Lots `holder` can give up against a position of sign `sign` in `market`.
fn reducing_lots(state: &State, holder: SubaccountId, market: MarketId, sign: i64) -> u64 {
    let size = state.accounts.subaccounts.get(&holder).map_or(0, |s| s.size_lots(market).0);
    if size.signum() == -sign {
        size.unsigned_abs()
    } else {
        0
    }
}

/// One ranking: a max-heap on (score, then lowest subaccount id), so taking the best few
/// candidates of a million holders costs a linear heapify, not a full sort.
type Ranking = std::collections::BinaryHeap<(i128, std::cmp::Reverse<SubaccountId>)>;

/// The ADL ranking of one block: per (market, side), opposing holders best candidate first,
/// ranked once, when the block first needs it, from the state at that moment.
#[derive(Default)]
pub(crate) struct AdlQueues {
    queues: std::collections::BTreeMap<(MarketId, i64), Ranking>,
}

impl AdlQueues {
    /// The best remaining candidate against a position of sign `sign` held by `closing`.
    fn next(&mut self, state: &State, closing: SubaccountId, market: MarketId, sign: i64) -> Option<SubaccountId> {
        let ranked = self.queues.entry((market, sign)).or_insert_with(|| adl_heap(state, market, sign));
        while ranked.peek().is_some_and(|(_, id)| id.0 == closing) {
            ranked.pop();
        }
        ranked.peek().map(|(_, id)| id.0)
    }

    /// Moves past the current candidate.
    fn pop(&mut self, market: MarketId, sign: i64) {
        if let Some(ranked) = self.queues.get_mut(&(market, sign)) {
            ranked.pop();
        }
    }
}

/// Holders of `market` whose position has sign `-sign` (they are deleveraged against a
/// position of sign `sign`), with their scores, best ADL candidates first.
pub(crate) fn adl_ranking_scored(state: &State, market: MarketId, sign: i64) -> Vec<(i128, SubaccountId)> {
    let mut ranked: Vec<(i128, SubaccountId)> = scored_holders(state, market, sign).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
}

fn scored_holders(state: &State, market: MarketId, sign: i64) -> impl Iterator<Item = (i128, SubaccountId)> + '_ {
    state.accounts.subaccounts.iter().filter_map(move |(id, sub)| {
        let size = sub.size_lots(market);
        (size.signum() == -sign).then(|| (adl_score(state, sub, market).unwrap_or(0), *id))
    })
}

fn adl_heap(state: &State, market: MarketId, sign: i64) -> Ranking {
    scored_holders(state, market, sign).map(|(score, id)| (score, std::cmp::Reverse(id))).collect()
}

/// Closes up to `lots` of `id`'s position in `market` against ranked opposing holders at
/// `lot_price` (raw quote per lot); returns the lots no holder could take.
pub(crate) fn deleverage(
    state: &mut State,
    id: SubaccountId,
    market: MarketId,
    lots: u64,
    lot_price: i128,
    adl: &mut AdlQueues,
    events: &mut Vec<Event>,
) -> u64 {
    let sign = state.accounts.subaccounts.get(&id).map_or(0, |s| s.size_lots(market).0.signum());
    if sign == 0 {
        return 0;
    }
    let lot_size = state.params.market(market).map_or(Decimal::ONE, |m| m.lot_size);
    let price = Decimal::from_raw(lot_price).div(lot_size, Rounding::HalfEven).unwrap_or_default();
    let mut remaining = lots;
    while remaining > 0 {
        let Some(counterparty) = adl.next(state, id, market, sign) else { break };
        // The holder's position may have changed since the ranking was made.
        let available = reducing_lots(state, counterparty, market, sign);
        if available == 0 {
            adl.pop(market, sign);
            continue;
        }
        let take = remaining.min(available);
        if trade_at(state, id, counterparty, market, take, lot_price).is_none() {
            adl.pop(market, sign);
            continue;
        }
        remaining -= take;
        if take == available {
            adl.pop(market, sign);
        }
        state.liquidation.stats.adl_events += 1;
        let notional = (take as i128).saturating_mul(lot_price);
        state.liquidation.stats.adl_notional = state.liquidation.stats.adl_notional.saturating_add(notional);
        events.push(Event::AutoDeleveraged { subaccount: counterparty, bankrupt: id, market, size_lots: take, price });
    }
    remaining
}

/// Closes `id`'s largest position against ranked opposing holders at its bankruptcy price
/// (mark moved by deficit / size, so `id` ends at zero equity); what no holder covers is
/// written off as bad debt.
pub(crate) fn deleverage_deficit(
    state: &mut State,
    id: SubaccountId,
    deficit: i128,
    adl: &mut AdlQueues,
    events: &mut Vec<Event>,
) {
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
    if let Some((_, market, size_lots)) = largest {
        let lots = size_lots.unsigned_abs();
        // Per lot, the bankrupt side needs deficit / size more than mark (rounded so it ends ≥ 0).
        let shift_per_lot = novation_math::div_i128(deficit, lots as i128, Rounding::Ceil).unwrap_or(deficit);
        deleverage_at_bankruptcy(state, id, market, lots, shift_per_lot, adl, events);
    }
    // What the counterparties could not absorb (lots no holder took, or holders whose equity
    // could not pay the bankruptcy price) is written off, so no negative equity stays unbooked.
    let left = equity_of(state, id).saturating_neg().max(0);
    super::bad_debt::book_bad_debt(state, id, left, events);
}

/// Closes up to `lots` of `id`'s position in `market` against ranked opposing holders at its
/// bankruptcy price, mark moved by `shift_per_lot` (raw quote per lot) against them. A holder
/// pays at most its own equity at mark: where the full shift would make it bankrupt, its lots
/// close at the price that leaves it at zero equity, and the shortfall stays with `id` (to be
/// booked as bad debt). Deleveraging therefore never moves a loss into another subaccount
/// where nothing books it.
fn deleverage_at_bankruptcy(
    state: &mut State,
    id: SubaccountId,
    market: MarketId,
    lots: u64,
    shift_per_lot: i128,
    adl: &mut AdlQueues,
    events: &mut Vec<Event>,
) {
    debug_assert!(shift_per_lot >= 0, "a bankruptcy price is never better than mark for the bankrupt");
    let sign = state.accounts.subaccounts.get(&id).map_or(0, |s| s.size_lots(market).0.signum());
    if sign == 0 {
        return;
    }
    let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
    let lot_size = state.params.market(market).map_or(Decimal::ONE, |m| m.lot_size);
    let mut remaining = lots;
    while remaining > 0 {
        let Some(counterparty) = adl.next(state, id, market, sign) else { break };
        // The holder's position may have changed since the ranking was made.
        let available = reducing_lots(state, counterparty, market, sign);
        if available == 0 {
            adl.pop(market, sign);
            continue;
        }
        let take = remaining.min(available);
        let equity_before = equity_of(state, counterparty);
        let shift = affordable_shift_per_lot(shift_per_lot, equity_before, take);
        let lot_price = if sign > 0 { lot_value.saturating_add(shift) } else { lot_value.saturating_sub(shift) };
        if trade_at(state, id, counterparty, market, take, lot_price).is_none() {
            adl.pop(market, sign);
            continue;
        }
        debug_assert!(
            equity_before < 0 || equity_of(state, counterparty) >= 0,
            "deleveraging at the bankruptcy price never makes a holder bankrupt"
        );
        remaining -= take;
        if take == available {
            adl.pop(market, sign);
        }
        state.liquidation.stats.adl_events += 1;
        let notional = (take as i128).saturating_mul(lot_price);
        state.liquidation.stats.adl_notional = state.liquidation.stats.adl_notional.saturating_add(notional);
        let price = Decimal::from_raw(lot_price).div(lot_size, Rounding::HalfEven).unwrap_or_default();
        events.push(Event::AutoDeleveraged { subaccount: counterparty, bankrupt: id, market, size_lots: take, price });
    }
}

/// The shift from mark per lot a holder with `equity` (raw quote, at mark) pays for `lots`
/// deleveraged against it: the bankrupt's `shift_per_lot`, but never more than its equity
/// spread over the lots (rounded down, so the holder ends at zero equity or above). A holder
/// with no equity to give closes at mark.
fn affordable_shift_per_lot(shift_per_lot: i128, equity: i128, lots: u64) -> i128 {
    if lots == 0 || equity <= 0 {
        return 0;
    }
    let affordable = novation_math::div_i128(equity, lots as i128, Rounding::Floor).unwrap_or(0);
    shift_per_lot.min(affordable).max(0)
}

#[cfg(test)]
mod tests {
    use super::affordable_shift_per_lot;

    #[test]
    fn a_holder_pays_the_bankruptcy_price_only_as_far_as_its_equity_goes() {
        assert_eq!(affordable_shift_per_lot(10, 1_000, 5), 10, "rich enough: the full shift");
        assert_eq!(affordable_shift_per_lot(10, 42, 5), 8, "42 over 5 lots, rounded down");
        assert_eq!(affordable_shift_per_lot(10, 0, 5), 0, "nothing to give: closes at mark");
        assert_eq!(affordable_shift_per_lot(10, -7, 5), 0, "already bankrupt: closes at mark");
        assert_eq!(affordable_shift_per_lot(0, 1_000, 5), 0);
    }
}
