//! One shape for every action. Each action is a payload type (in `novation_types::action`)
//! that implements:
//!
//! - [`ActionRules`] (public, no state): whether an authorised agent may sign it, its
//!   [`OrderingClass`] in a block, and `check_stateless` — shape, ranges and limits. The
//!   node's admission calls these, so junk is refused before it reaches a block;
//! - `ActionHandler::check_and_execute` (crate-private): the checks against state and the
//!   change, in one step, so nothing can change between check and use.
//!
//! Each component implements them for its own actions, in its own folder; the dispatch
//! below is one line per action.

use novation_types::{Action, Address, ErrorCode, Event, SubaccountId, Transaction};

use crate::block::TxError;
use crate::params::Limits;
use crate::state::State;

/// Where a transaction goes in a block: lower classes first, so a block applies price
/// reports before the trades that depend on them and cancels before new orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OrderingClass {
    /// Oracle price and volatility reports.
    Prices = 0,
    /// Collateral, agents and margin settings.
    Accounts = 1,
    /// Cancels.
    Cancels = 2,
    /// New and amended orders.
    Orders = 3,
}

/// What the protocol asks of an action before any state is read.
pub trait ActionRules {
    /// Whether an authorised agent may sign it (trading and deposits: yes; moving value
    /// out, paying the insurance fund, managing agents or publishing prices: no).
    fn agent_may_sign(&self) -> bool;
    /// Where it goes in a block.
    fn ordering_class(&self) -> OrderingClass;
    /// Shape, ranges and limits, without state.
    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode>;
}

/// Who an action acts for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ActionContext {
    /// The account the transaction acts for.
    pub(crate) sender: Address,
}

impl ActionContext {
    /// The sender's subaccount `number` (its range was checked statelessly).
    pub(crate) fn subaccount(&self, number: u16) -> SubaccountId {
        SubaccountId::new(self.sender, number)
    }
}

/// An action's stateful half.
pub(crate) trait ActionHandler: ActionRules {
    /// Checks against state and applies, in one step; on error the transaction rolls back.
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode>;
}

/// A subaccount number must be within the chain's limit.
pub(crate) fn check_subaccount(number: u16, limits: &Limits) -> Result<(), ErrorCode> {
    if number > limits.max_subaccount {
        return Err(ErrorCode::InvalidSubaccount);
    }
    Ok(())
}

macro_rules! dispatch {
    ($self:expr, $action:ident => $call:expr) => {
        match $self {
            Action::Deposit($action) => $call,
            Action::Withdraw($action) => $call,
            Action::Transfer($action) => $call,
            Action::SetIsolatedMarket($action) => $call,
            Action::AuthorizeAgent($action) => $call,
            Action::RevokeAgent($action) => $call,
            Action::FundInsurance($action) => $call,
            Action::Order($action) => $call,
            Action::Batch($action) => $call,
            Action::PriceReport($action) => $call,
            Action::VolSurfaceReport($action) => $call,
            Action::SetMarginMode($action) => $call,
            Action::FundBackstop($action) => $call,
            Action::Hyperliquid($action) => $call,
        }
    };
}

impl ActionRules for Action {
    fn agent_may_sign(&self) -> bool {
        dispatch!(self, action => action.agent_may_sign())
    }

    fn ordering_class(&self) -> OrderingClass {
        dispatch!(self, action => action.ordering_class())
    }

    fn check_stateless(&self, limits: &Limits) -> Result<(), ErrorCode> {
        dispatch!(self, action => action.check_stateless(limits))
    }
}

impl ActionHandler for Action {
    fn check_and_execute(
        &self,
        state: &mut State,
        ctx: &ActionContext,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        dispatch!(self, action => action.check_and_execute(state, ctx, events))
    }
}

/// Every check of a transaction that needs no state: the number of actions, which of them
/// an agent may sign, and each action's own stateless checks.
pub fn check_transaction_stateless(tx: &Transaction, limits: &Limits) -> Result<(), TxError> {
    check_actions_stateless(&tx.actions, tx.agent.is_some(), limits)
}

/// [`check_transaction_stateless`] of `actions`, signed by an agent if `by_agent` (a
/// Hyperliquid transaction's agent is known only once its account is resolved).
pub(crate) fn check_actions_stateless(actions: &[Action], by_agent: bool, limits: &Limits) -> Result<(), TxError> {
    let rejected = |code, action_index| Err(TxError { code, action_index });
    if actions.is_empty() || actions.len() > limits.max_actions_per_tx {
        return rejected(ErrorCode::BadActionCount, None);
    }
    // A Hyperliquid action is its transaction's only action (it uses the other nonce kind).
    if actions.len() > 1 && actions.iter().any(|action| matches!(action, Action::Hyperliquid(_))) {
        return rejected(ErrorCode::BadActionCount, None);
    }
    for (index, action) in actions.iter().enumerate() {
        if by_agent && !action.agent_may_sign() {
            return rejected(ErrorCode::AgentNotAllowed, Some(index));
        }
        if let Err(code) = action.check_stateless(limits) {
            return rejected(code, Some(index));
        }
    }
    Ok(())
}

/// A transaction's place in a block: that of its first action.
pub fn transaction_class(tx: &Transaction) -> OrderingClass {
    tx.actions.first().map_or(OrderingClass::Accounts, ActionRules::ordering_class)
}
