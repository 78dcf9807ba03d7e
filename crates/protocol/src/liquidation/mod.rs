//! Liquidation (DESIGN §3.5): at the end of every block, after prices move, every subaccount
//! below maintenance margin is closed out in a fixed order:
//!
//! ```text
//! detect (risk index scan) ─► cancel its orders ─► still below maintenance?
//!   ─► partial: reduce-only IOC orders on the book within max slippage of mark, sized to
//!      bring equity back to maintenance × (1 + buffer); penalty to the insurance fund
//!   ─► collateral: quote debt against other collateral (still worth more than the debt) is
//!      repaid by selling that collateral to the backstop at oracle × (1 − discount)
//!   ─► backstop: if the book could not absorb it, or equity fell below the backstop
//!      threshold, positions move to the backstop liquidator at mark, with the collateral
//!   ─► bankruptcy: negative equity is paid by the insurance fund, then auto-deleveraged
//!      against opposing positions; what is still uncovered is written off the subaccount
//!      and booked to the `BadDebt` ledger account
//!   ─► end of block: booked bad debt is covered by the insurance fund, then (last resort)
//!      by the fee pool; withdrawals wait while any is unresolved
//! ```
//!
//! Work is bounded: at most `max_per_block` subaccounts per block, in id order; the rest are
//! found again by the next block's scan. Every step emits an event with its prices and
//! amounts.

mod adl;
mod backstop;
mod bad_debt;
mod collateral;
mod partial;
mod state_key;
mod stats;

pub use stats::RiskStats;

use novation_math::Decimal;
use novation_types::{CancelReason, Event, SubaccountId};
use serde::Serialize;

use crate::risk::{Health, OrderExposure};
use crate::state::State;

pub(crate) use adl::adl_ranking_scored;
pub(crate) use backstop::backstop_limit_lots;
pub(crate) use bad_debt::{cover_bad_debt, unresolved_bad_debt};

/// The liquidation component's state.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Liquidation {
    /// Running totals of liquidations, ADL, insurance payouts and bad debt.
    pub(crate) stats: RiskStats,
    /// Set when the last check found more liquidatable subaccounts than one block handles.
    pub(crate) backlog: bool,
    /// Subaccounts written since the last liquidation check, in write order (duplicates
    /// allowed): when prices did not move, only these can have crossed their liquidation line.
    pub(crate) touched_since_check: Vec<SubaccountId>,
}

/// The subaccounts below maintenance now. After a price move (or with a backlog) every
/// subaccount is re-checked from the risk index; otherwise only those written since the last
/// check can have crossed their line (a reducing fill at a poor price, a fee), so only they are.
fn find_liquidatable(state: &mut State, prices_moved: bool) -> Vec<SubaccountId> {
    if prices_moved || state.liquidation.backlog {
        state.liquidation.touched_since_check.clear();
        return state.scan_health().below_maintenance;
    }
    touched_below_maintenance(state)
}

/// The subaccounts written since the last check that are below maintenance now, in id order.
fn touched_below_maintenance(state: &mut State) -> Vec<SubaccountId> {
    let mut touched = std::mem::take(&mut state.liquidation.touched_since_check);
    touched.sort_unstable();
    touched.dedup();
    touched.retain(|id| health(state, *id).is_some_and(|h| h.below_maintenance()));
    touched
}

/// End-of-block hook: liquidates subaccounts below maintenance margin.
pub(crate) fn liquidate_all(state: &mut State, prices_moved: bool, events: &mut Vec<Event>) {
    let backstop = state.backstop_subaccount();
    let limit = state.params.liquidation.max_per_block as usize;
    let mut targets = find_liquidatable(state, prices_moved);
    targets.retain(|id| *id != backstop);
    // Bankrupt subaccounts first (in id order), so a backlog never leaves a loss unbooked
    // while solvent ones are worked on.
    if targets.len() > limit {
        let bankrupt = |id: &SubaccountId| {
            let sub = state.accounts.subaccounts.get(id);
            sub.and_then(|s| crate::risk::compute_equity(s, &state.risk)).is_some_and(|equity| equity < 0)
        };
        let (mut first, rest): (Vec<_>, Vec<_>) = targets.into_iter().partition(bankrupt);
        first.extend(rest);
        targets = first;
    }
    state.liquidation.backlog = targets.len() > limit;
    targets.truncate(limit);
    let mut adl = adl::AdlQueues::default();
    // A liquidation's orders fill against others' resting orders, and a reducing fill at a
    // poor price can push such a maker below maintenance: each round's writes are checked
    // and the makers they sank are liquidated in this block too (each subaccount once per
    // block, within the same bound; any rest is the next block's backlog).
    let mut liquidated = std::collections::BTreeSet::new();
    while !targets.is_empty() {
        for id in targets {
            liquidated.insert(id);
            liquidate(state, id, &mut adl, events);
        }
        let sunk = touched_below_maintenance(state).into_iter().filter(|id| *id != backstop);
        let (again, sunk): (Vec<_>, Vec<_>) = sunk.partition(|id| liquidated.contains(id));
        // One still below maintenance after its liquidation is checked again next block.
        state.liquidation.touched_since_check.extend(again);
        targets = sunk;
        let room = limit.saturating_sub(liquidated.len());
        if targets.len() > room {
            state.liquidation.backlog = true;
            targets.truncate(room);
        }
    }
    backstop::settle_backstop(state, &mut adl, events);
    let fund = state.ledger_balance_of(novation_types::LedgerAccount::InsuranceFund, state.params.quote_asset);
    state.liquidation.stats.insurance_peak = state.liquidation.stats.insurance_peak.max(fund.0);
    let backstop_equity = backstop::equity_of(state, backstop);
    state.liquidation.stats.backstop_peak_equity = state.liquidation.stats.backstop_peak_equity.max(backstop_equity);
}

fn health(state: &State, id: SubaccountId) -> Option<Health> {
    let sub = state.accounts.subaccounts.get(&id)?;
    state.health_of(sub, OrderExposure::PositionsOnly).ok()
}

fn liquidate(state: &mut State, id: SubaccountId, adl: &mut adl::AdlQueues, events: &mut Vec<Event>) {
    let Some(start) = health(state, id) else { return };
    state.liquidation.stats.liquidations += 1;
    events.push(Event::LiquidationStarted {
        subaccount: id,
        equity: Decimal::from_raw(start.equity_maintenance().0),
        maintenance_requirement: Decimal::from_raw(start.maintenance_requirement().0),
    });
    crate::trading::cancel_all_with_reason(state, id, None, CancelReason::Liquidation, events);
    let params = state.params.liquidation;
    let below_threshold = |h: &Health| {
        let threshold = params.backstop_threshold.apply(h.maintenance_scaled.0, novation_math::Rounding::Ceil);
        h.equity_maintenance().0.saturating_mul(crate::risk::PPM) < threshold.unwrap_or(i128::MAX)
    };
    let mut current = health(state, id);
    if current.is_some_and(|h| h.below_maintenance() && !below_threshold(&h)) {
        partial::reduce_on_book(state, id, events);
        current = health(state, id);
    }
    // Quote debt against other collateral: sell the collateral before anything goes to the
    // backstop, while it still covers the debt.
    if current.is_some_and(|h| h.below_maintenance() && h.equity().0 > 0) {
        collateral::sell_collateral(state, id, events);
        current = health(state, id);
    }
    if current.is_some_and(|h| h.below_maintenance()) {
        backstop::take_over(state, id, adl, events);
        current = health(state, id);
    }
    let end = current.unwrap_or_default();
    events.push(Event::LiquidationEnded {
        subaccount: id,
        equity: Decimal::from_raw(end.equity_maintenance().0),
        maintenance_requirement: Decimal::from_raw(end.maintenance_requirement().0),
    });
}

impl State {
    /// The last liquidation check found more liquidatable subaccounts than one block
    /// handles: some wait for the next block (the only time a loss may stay unbooked).
    pub fn liquidation_backlog(&self) -> bool {
        self.liquidation.backlog
    }

    /// The backstop liquidator's subaccount.
    pub fn backstop_subaccount(&self) -> SubaccountId {
        SubaccountId::new(self.params.liquidation.backstop, 0)
    }
}
