//! Hyperliquid actions ([`HlAction`]): whose account they act for, and how each becomes
//! novation's own order and account actions, applied through the same handlers with every
//! check a native action gets.
//!
//! - **Account.** A Hyperliquid action never names its account. A user-signed action
//!   (`approveAgent`, `withdraw3`) acts for its signer. An L1 action acts for its
//!   `vaultAddress` when it has one (the signer must be that account's agent), else for the
//!   account the signer was approved as an agent of by a Hyperliquid `approveAgent` (the
//!   binding is first come: a key already bound to another account cannot be approved again),
//!   else for the signer itself.
//! - **Markets.** Asset index `i` is the `i`-th perpetual in the chain's market list
//!   ([`State::hyperliquid_market`]), as the gateway's `meta` lists them.
//! - **Units.** A decimal price must be a whole number of the market's ticks and a size a
//!   whole number of its lots; nothing is rounded.
//! - **Bulk actions** (orders, cancels, modifies) apply item by item, each whole or not at
//!   all, like separate transactions: a refused item is reported by
//!   [`Event::ItemRejected`] and the others still apply.

mod translate;

use novation_types::hyperliquid::{HlAction, HlActionKind};
use novation_types::{Action, Address, ErrorCode, Event, Transaction};

use crate::block::{TxError, TxOutcome};
use crate::handler::{ActionContext, ActionHandler, ActionRules, OrderingClass};
use crate::params::{Limits, MarketParams};
use crate::state::State;

pub use translate::BULK_ITEMS_MAX;

impl ActionRules for HlAction {
    fn agent_may_sign(&self) -> bool {
        !matches!(self.kind, HlActionKind::ApproveAgent(_) | HlActionKind::Withdraw(_))
    }

    fn ordering_class(&self) -> OrderingClass {
        match self.kind {
            HlActionKind::Cancel(_) | HlActionKind::CancelByCloid(_) => OrderingClass::Cancels,
            HlActionKind::Order(_) | HlActionKind::Modify(_) => OrderingClass::Orders,
            _ => OrderingClass::Accounts,
        }
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        let items = match &self.kind {
            HlActionKind::Order(items) => items.len(),
            HlActionKind::Cancel(items) => items.len(),
            HlActionKind::CancelByCloid(items) => items.len(),
            HlActionKind::Modify(items) => items.len(),
            _ => 1,
        };
        if items == 0 || items > limits.max_batch.min(BULK_ITEMS_MAX) {
            return Err(ErrorCode::BadBatchSize);
        }
        Ok(())
    }
}

impl ActionHandler for HlAction {
    /// Only reached when a Hyperliquid action is not its transaction's only action, which
    /// [`crate::check_transaction_stateless`] refuses first.
    fn check_and_execute(&self, _: &mut State, _: &ActionContext, _: &mut Vec<Event>) -> Result<(), ErrorCode> {
        Err(ErrorCode::BadActionCount)
    }
}

impl State {
    /// The market of Hyperliquid asset index `asset`: the `asset`-th perpetual.
    pub fn hyperliquid_market(&self, asset: u32) -> Option<&MarketParams> {
        self.hyperliquid_markets().nth(asset as usize)
    }

    /// The perpetuals in Hyperliquid asset-index order.
    pub fn hyperliquid_markets(&self) -> impl Iterator<Item = &MarketParams> {
        self.params.markets.iter().filter(|m| matches!(m.kind, crate::params::MarketKind::Perpetual))
    }

    /// The account a Hyperliquid agent key acts for, if a Hyperliquid `approveAgent` bound it.
    pub fn hyperliquid_agent_owner(&self, agent: Address) -> Option<Address> {
        self.accounts.hl_agents.get(&agent).copied()
    }

    /// A signer's kept Hyperliquid timestamp nonces.
    pub fn timestamp_nonces(&self, signer: Address) -> Option<&crate::accounts::TimestampNonces> {
        self.accounts.timestamp_nonces.get(&signer)
    }
}

/// The transaction's Hyperliquid action, if it is a Hyperliquid transaction.
pub fn hyperliquid_action(tx: &Transaction) -> Option<&HlAction> {
    match tx.actions.first() {
        Some(Action::Hyperliquid(action)) => Some(action),
        _ => None,
    }
}

/// The account a Hyperliquid action of `signer` acts for, and the agent signing for it.
pub(crate) fn resolve_account(state: &State, signer: Address, action: &HlAction) -> (Address, Option<Address>) {
    if !action.agent_may_sign() {
        return (signer, None);
    }
    let account = action.on_behalf_of.or_else(|| state.hyperliquid_agent_owner(signer)).unwrap_or(signer);
    (account, (account != signer).then_some(signer))
}

/// Applies a Hyperliquid action for `ctx.sender` (its nonce, authority and stateless checks
/// done).
pub(crate) fn apply(state: &mut State, ctx: &ActionContext, action: &HlAction) -> TxOutcome {
    let whole = |code| TxOutcome { result: Err(TxError { code, action_index: Some(0) }), events: Vec::new() };
    if action.expires_after_ms.is_some_and(|expiry| state.clock.time_ms > expiry) {
        return whole(ErrorCode::ActionExpired);
    }
    match &action.kind {
        HlActionKind::Order(items) => apply_items(state, ctx, items, translate::order),
        HlActionKind::Cancel(items) => apply_items(state, ctx, items, translate::cancel),
        HlActionKind::CancelByCloid(items) => apply_items(state, ctx, items, translate::cancel_by_cloid),
        HlActionKind::Modify(items) => apply_items(state, ctx, items, translate::modify),
        other => match state.apply_scoped(|state, events| translate::single(state, ctx, other, events)) {
            Ok(events) => TxOutcome { result: Ok(()), events },
            Err(code) => whole(code),
        },
    }
}

/// Applies each item as its own whole-or-nothing step: translated against state, then run
/// through the native handlers.
fn apply_items<T>(
    state: &mut State,
    ctx: &ActionContext,
    items: &[T],
    translate: fn(&State, &ActionContext, &T) -> Result<Vec<novation_types::OrderAction>, ErrorCode>,
) -> TxOutcome {
    let mut events = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let applied = state.apply_scoped(|state, events| {
            for native in translate(state, ctx, item)? {
                native.check_stateless(&state.params.limits)?;
                native.check_and_execute(state, ctx, events)?;
            }
            Ok(())
        });
        match applied {
            Ok(item_events) => events.extend(item_events),
            Err(code) => events.push(Event::ItemRejected { account: ctx.sender, item: index as u16, code }),
        }
    }
    TxOutcome { result: Ok(()), events }
}
