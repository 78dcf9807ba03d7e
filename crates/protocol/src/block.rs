//! The block pipeline, top to bottom:
//!
//! ```text
//! begin block   height + 1, block time
//! transactions  in block order; each: nonce, then its actions in order, all or nothing
//! end block     oracle aggregation ─► scheduled listings ─► volatility surfaces ─► expiry settlement ─► mark prices
//!               (perpetuals, futures, options) ─► funding ─► risk prices ─► trigger orders
//!               ─► liquidations
//!               ─► conservation check
//! ```

use novation_types::{Action, ErrorCode, Event, OrderAction, SubaccountId, Transaction};
use serde::{Deserialize, Serialize};

use crate::state::State;
use crate::{accounts, oracle, trading};

/// Header fields the protocol needs: the node (or consensus) decides them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Must be the previous height + 1.
    pub height: u64,
    /// Block time in ms since the Unix epoch; never decreases.
    pub time_ms: u64,
}

/// A block: header and authenticated transactions in execution order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Header.
    pub header: BlockHeader,
    /// Transactions, applied in this order.
    pub transactions: Vec<Transaction>,
}

/// Why a transaction was rejected: the code and the index of the failing action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxError {
    /// The protocol's error code.
    pub code: ErrorCode,
    /// Which action failed (`None` for transaction-level checks such as the nonce).
    pub action_index: Option<usize>,
}

/// The result of one transaction and the events it caused (none if rejected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOutcome {
    /// Applied, or rejected whole.
    pub result: Result<(), TxError>,
    /// Events, in order.
    pub events: Vec<Event>,
}

/// Everything a block did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockOutcome {
    /// One outcome per transaction, in order.
    pub transactions: Vec<TxOutcome>,
    /// Events of the end-of-block hooks.
    pub end_block_events: Vec<Event>,
}

/// A block the protocol cannot apply at all. The state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockError {
    /// The height is not the next one.
    WrongHeight {
        /// Height expected.
        expected: u64,
        /// Height given.
        got: u64,
    },
    /// The block time went backwards.
    TimeWentBackwards,
    /// An invariant broke: a bug, reported loudly rather than committed silently.
    InvariantViolated(String),
}

impl std::fmt::Display for BlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockError::WrongHeight { expected, got } => {
                write!(f, "expected block height {expected}, got {got}")
            }
            BlockError::TimeWentBackwards => write!(f, "block time went backwards"),
            BlockError::InvariantViolated(why) => write!(f, "invariant violated: {why}"),
        }
    }
}

impl std::error::Error for BlockError {}

impl State {
    /// Applies a block: the only way state changes.
    pub fn apply_block(&mut self, block: &Block) -> Result<BlockOutcome, BlockError> {
        let expected = self.clock.height + 1;
        if block.header.height != expected {
            return Err(BlockError::WrongHeight { expected, got: block.header.height });
        }
        if block.header.time_ms < self.clock.time_ms {
            return Err(BlockError::TimeWentBackwards);
        }
        self.clock.height = block.header.height;
        self.clock.time_ms = block.header.time_ms;
        let transactions = block.transactions.iter().map(|tx| self.apply_transaction(tx)).collect();
        let end_block_events = self.end_block()?;
        Ok(BlockOutcome { transactions, end_block_events })
    }

    /// Applies one transaction whole, or rejects it whole. A rejected transaction with a
    /// valid nonce still uses up that nonce (so it can never be replayed later), and changes
    /// nothing else.
    pub fn apply_transaction(&mut self, tx: &Transaction) -> TxOutcome {
        let rejected =
            |code, action_index| TxOutcome { result: Err(TxError { code, action_index }), events: Vec::new() };
        let signer = tx.signer();
        let expected_nonce = self.accounts.nonces.get(&signer).unwrap_or(0);
        if tx.nonce != expected_nonce {
            return rejected(ErrorCode::BadNonce, None);
        }
        self.set_nonce(signer, expected_nonce.saturating_add(1));
        if tx.actions.is_empty() || tx.actions.len() > self.params.limits.max_actions_per_tx {
            return rejected(ErrorCode::BadActionCount, None);
        }
        if let Some(agent) = tx.agent {
            if !self.accounts.agents.contains(&(tx.sender, agent)) {
                return rejected(ErrorCode::UnauthorizedAgent, None);
            }
            if let Some(index) = tx.actions.iter().position(|action| !action.agent_may_sign()) {
                return rejected(ErrorCode::AgentNotAllowed, Some(index));
            }
        }
        let mut events = Vec::new();
        self.journal.begin(self.liquidation.touched_since_check.len());
        for (index, action) in tx.actions.iter().enumerate() {
            if let Err(code) = self.apply_action(tx, action, &mut events) {
                self.rollback();
                return rejected(code, Some(index));
            }
        }
        self.journal.end();
        TxOutcome { result: Ok(()), events }
    }

    fn subaccount_of(&self, tx: &Transaction, number: u16) -> Result<SubaccountId, ErrorCode> {
        if number > self.params.limits.max_subaccount {
            return Err(ErrorCode::InvalidSubaccount);
        }
        Ok(SubaccountId::new(tx.sender, number))
    }

    fn apply_action(&mut self, tx: &Transaction, action: &Action, events: &mut Vec<Event>) -> Result<(), ErrorCode> {
        match action {
            Action::Deposit { subaccount, asset, amount } => {
                let id = self.subaccount_of(tx, *subaccount)?;
                accounts::deposit(self, id, *asset, *amount, events)
            }
            Action::Withdraw { subaccount, asset, amount } => {
                let id = self.subaccount_of(tx, *subaccount)?;
                accounts::withdraw(self, id, *asset, *amount, events)
            }
            Action::Transfer { from, to, asset, amount } => {
                let (from, to) = (self.subaccount_of(tx, *from)?, self.subaccount_of(tx, *to)?);
                accounts::transfer(self, from, to, *asset, *amount, events)
            }
            Action::SetIsolatedMarket { subaccount, market } => {
                let id = self.subaccount_of(tx, *subaccount)?;
                accounts::set_isolated_market(self, id, *market, events)
            }
            Action::AuthorizeAgent { agent } => {
                self.set_agent(tx.sender, *agent, true);
                events.push(Event::AgentAuthorized { account: tx.sender, agent: *agent });
                Ok(())
            }
            Action::RevokeAgent { agent } => {
                if !self.accounts.agents.contains(&(tx.sender, *agent)) {
                    return Err(ErrorCode::UnauthorizedAgent);
                }
                self.set_agent(tx.sender, *agent, false);
                events.push(Event::AgentRevoked { account: tx.sender, agent: *agent });
                Ok(())
            }
            Action::FundInsurance { subaccount, amount } => {
                let id = self.subaccount_of(tx, *subaccount)?;
                accounts::fund_insurance(self, id, *amount, events)
            }
            Action::Order(order_action) => self.apply_order_action(tx, order_action, events),
            Action::Batch(actions) => {
                if actions.is_empty() || actions.len() > self.params.limits.max_batch {
                    return Err(ErrorCode::BadBatchSize);
                }
                actions.iter().try_for_each(|a| self.apply_order_action(tx, a, events))
            }
            Action::PriceReport { asset, price, confidence, publish_time_ms } => {
                oracle::check_and_execute_report(self, tx.sender, *asset, *price, *confidence, *publish_time_ms)
            }
            Action::VolSurfaceReport { asset, expiry_ms, svi, publish_time_ms } => {
                crate::derivatives::check_and_record_smile(self, tx.sender, *asset, *expiry_ms, svi, *publish_time_ms)
            }
            Action::SetMarginMode { subaccount, mode } => {
                let id = self.subaccount_of(tx, *subaccount)?;
                accounts::set_margin_mode(self, id, *mode, events)
            }
        }
    }

    fn apply_order_action(
        &mut self,
        tx: &Transaction,
        action: &OrderAction,
        events: &mut Vec<Event>,
    ) -> Result<(), ErrorCode> {
        match action {
            OrderAction::Place(request) => {
                let owner = self.subaccount_of(tx, request.subaccount)?;
                trading::place_order(self, owner, request, events).map(|_| ())
            }
            OrderAction::PlaceTrigger(request) => {
                let owner = self.subaccount_of(tx, request.order.subaccount)?;
                trading::place_trigger(self, owner, request, events).map(|_| ())
            }
            OrderAction::Cancel { subaccount, order_id } => {
                let owner = self.subaccount_of(tx, *subaccount)?;
                trading::cancel_order(self, owner, *order_id, events)
            }
            OrderAction::CancelByClientId { subaccount, client_order_id } => {
                let owner = self.subaccount_of(tx, *subaccount)?;
                trading::cancel_by_client_id(self, owner, *client_order_id, events)
            }
            OrderAction::Modify { subaccount, order_id, price_ticks, size_lots } => {
                let owner = self.subaccount_of(tx, *subaccount)?;
                trading::modify_order(self, owner, *order_id, *price_ticks, *size_lots, events)
            }
            OrderAction::CancelAll { subaccount, market } => {
                let owner = self.subaccount_of(tx, *subaccount)?;
                if let Some(market) = market {
                    self.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
                }
                trading::cancel_all(self, owner, *market, events);
                Ok(())
            }
        }
    }

    fn end_block(&mut self) -> Result<Vec<Event>, BlockError> {
        let mut events = Vec::new();
        oracle::aggregate_all(self, &mut events);
        crate::derivatives::list_scheduled(self, &mut events);
        crate::derivatives::aggregate_surfaces(self, &mut events);
        crate::derivatives::settle_expiries(self, &mut events);
        crate::markets::update_marks(self, &mut events);
        crate::derivatives::update_option_marks(self, &mut events);
        crate::markets::funding::update_funding(self, &mut events);
        let prices_before = std::mem::take(&mut self.risk);
        self.refresh_risk_prices();
        let prices_moved = self.risk != prices_before;
        crate::trading::fire_triggers(self, &mut events);
        crate::liquidation::liquidate_all(self, prices_moved, &mut events);
        crate::liquidation::cover_bad_debt(self, &mut events);
        if self.params.limits.verify_conservation_each_block {
            self.verify_conservation().map_err(BlockError::InvariantViolated)?;
        }
        Ok(events)
    }
}
