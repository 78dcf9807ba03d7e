//! Block prices: the prices and smiles a block's consensus carries for the publishers (on a
//! validator chain, the validators' vote extensions of the previous height, already
//! authenticated by the consensus layer), applied at begin block, after the clock is set and
//! before the transactions.
//!
//! Each report goes through exactly the rules of the action it stands for, from that
//! publisher: [`action::PriceReport`] or [`action::VolSurfaceReport`]'s stateless checks,
//! then its `check_and_execute` (registered publisher, not stale, not from the future, newer
//! than the publisher's last report, listed expiry, ...), journaled like a transaction. A
//! report that breaks a rule is skipped with an [`Event::OracleInputRejected`]: it never
//! fails the block and changes nothing.

use novation_types::action;
use novation_types::{Address, AssetId, Event};
use serde::{Deserialize, Serialize};

use crate::handler::{ActionContext, ActionHandler};
use crate::state::State;

/// One publisher's prices and smiles as a block carries them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherPrices {
    /// The publisher they are from (the consensus layer checked its signature).
    pub publisher: Address,
    /// Its price reports, applied in order, each as a `PriceReport` action from `publisher`.
    pub reports: Vec<action::PriceReport>,
    /// Its smiles, applied in order after the reports, each as a `VolSurfaceReport` action
    /// from `publisher`.
    pub surfaces: Vec<action::VolSurfaceReport>,
}

/// Begin-block step: applies every publisher's reports, then its smiles, in block order.
pub(crate) fn apply_block_prices(state: &mut State, prices: &[PublisherPrices], events: &mut Vec<Event>) {
    for entry in prices {
        let ctx = ActionContext { sender: entry.publisher };
        for report in &entry.reports {
            apply_report(state, &ctx, report, (report.asset, None), events);
        }
        for surface in &entry.surfaces {
            apply_report(state, &ctx, surface, (surface.asset, Some(surface.expiry_ms)), events);
        }
    }
}

/// Applies one report as its action would be, all or nothing; a broken rule becomes an event.
fn apply_report(
    state: &mut State,
    ctx: &ActionContext,
    report: &impl ActionHandler,
    (asset, expiry_ms): (AssetId, Option<u64>),
    events: &mut Vec<Event>,
) {
    let mut executed_events = Vec::new();
    let result = report.check_stateless(&state.params.limits).and_then(|()| {
        state.journal.begin(state.liquidation.touched_since_check.len());
        let executed = report.check_and_execute(state, ctx, &mut executed_events);
        match executed {
            Ok(()) => state.journal.end(),
            Err(_) => state.rollback(),
        }
        executed
    });
    match result {
        Ok(()) => events.append(&mut executed_events),
        Err(code) => events.push(Event::OracleInputRejected { publisher: ctx.sender, asset, expiry_ms, code }),
    }
}
