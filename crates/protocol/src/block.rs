//! The block pipeline, top to bottom:
//!
//! ```text
//! begin block   height + 1, block time
//!               ─► block prices (the consensus' publisher reports, each under its action's
//!                  rules; a broken one is skipped with an OracleInputRejected event)
//! transactions  in block order; each: nonce, then its actions in order, all or nothing
//! end block     oracle aggregation ─► scheduled listings ─► volatility surfaces ─► expiry settlement ─► mark prices
//!               (perpetuals, futures, options) ─► funding ─► risk prices ─► trigger orders
//!               ─► liquidations
//!               ─► conservation check
//! ```

use novation_types::{ErrorCode, Event, Transaction};
use serde::{Deserialize, Serialize};

use crate::handler::{check_actions_stateless, ActionContext, ActionHandler};
use crate::oracle::{self, PublisherPrices};
use crate::state::State;

/// Header fields the protocol needs: the node (or consensus) decides them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Must be the previous height + 1.
    pub height: u64,
    /// Block time in ms since the Unix epoch; never decreases.
    pub time_ms: u64,
}

/// A block: header, the prices its consensus carries and authenticated transactions in
/// execution order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Header.
    pub header: BlockHeader,
    /// Transactions, applied in this order.
    pub transactions: Vec<Transaction>,
    /// Prices the block's consensus carries (on a validator chain, the validators' vote
    /// extensions of the previous height, their signatures checked by the consensus layer),
    /// applied at begin block, after the clock is set and before the transactions. Each
    /// report follows the rules of the same report sent as an action by that publisher; one
    /// that breaks them is skipped with an `OracleInputRejected` event, never failing the block.
    #[serde(default)]
    pub prices: Vec<PublisherPrices>,
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
    /// Events of the begin-block block prices (first), then of the end-of-block hooks.
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
        let mut end_block_events = Vec::new();
        oracle::apply_block_prices(self, &block.prices, &mut end_block_events);
        let transactions = block.transactions.iter().map(|tx| self.apply_transaction(tx)).collect();
        self.end_block(&mut end_block_events)?;
        Ok(BlockOutcome { transactions, end_block_events })
    }

    /// Applies one transaction whole, or rejects it whole. A rejected transaction with a
    /// valid nonce still uses up that nonce (so it can never be replayed later), and changes
    /// nothing else. Order: nonce, the stateless checks ([`crate::check_transaction_stateless`]),
    /// the agent's authorisation, then each action's `check_and_execute`.
    pub fn apply_transaction(&mut self, tx: &Transaction) -> TxOutcome {
        let rejected = |error| TxOutcome { result: Err(error), events: Vec::new() };
        let signer = tx.signer();
        let hyperliquid = crate::hyperliquid::hyperliquid_action(tx);
        let nonce_used = match hyperliquid {
            Some(_) => self.use_timestamp_nonce(signer, tx.nonce),
            None if self.use_nonce(signer, tx.nonce) => Ok(()),
            None => Err(ErrorCode::BadNonce),
        };
        if let Err(code) = nonce_used {
            return rejected(TxError { code, action_index: None });
        }
        let (sender, agent) = match hyperliquid {
            Some(action) => crate::hyperliquid::resolve_account(self, signer, action),
            None => (tx.sender, tx.agent),
        };
        if let Err(error) = check_actions_stateless(&tx.actions, agent.is_some(), &self.params.limits) {
            return rejected(error);
        }
        if let Some(agent) = agent {
            if !self.accounts.agents.contains(&(sender, agent)) {
                return rejected(TxError { code: ErrorCode::UnauthorizedAgent, action_index: None });
            }
        }
        let ctx = ActionContext { sender };
        if let Some(action) = hyperliquid {
            return crate::hyperliquid::apply(self, &ctx, action);
        }
        let applied = self.apply_scoped(|state, events| {
            for (index, action) in tx.actions.iter().enumerate() {
                action.check_and_execute(state, &ctx, events).map_err(|code| (code, index))?;
            }
            Ok(())
        });
        match applied {
            Ok(events) => TxOutcome { result: Ok(()), events },
            Err((code, index)) => rejected(TxError { code, action_index: Some(index) }),
        }
    }

    /// Runs `step` as one whole-or-nothing change: on error every write it made is undone
    /// and its events dropped.
    pub(crate) fn apply_scoped<E>(
        &mut self,
        step: impl FnOnce(&mut State, &mut Vec<Event>) -> Result<(), E>,
    ) -> Result<Vec<Event>, E> {
        let mut events = Vec::new();
        self.journal.begin(self.liquidation.touched_since_check.len());
        match step(self, &mut events) {
            Ok(()) => {
                self.journal.end();
                Ok(events)
            }
            Err(error) => {
                self.rollback();
                Err(error)
            }
        }
    }

    fn end_block(&mut self, events: &mut Vec<Event>) -> Result<(), BlockError> {
        oracle::aggregate_all(self, events);
        crate::derivatives::list_scheduled(self, events);
        crate::derivatives::aggregate_surfaces(self, events);
        crate::derivatives::settle_expiries(self, events);
        crate::markets::update_marks(self, events);
        crate::derivatives::update_option_marks(self, events);
        crate::markets::update_stable_prices(self);
        crate::markets::funding::update_funding(self, events);
        let prices_before = std::mem::take(&mut self.risk);
        self.refresh_risk_prices();
        let prices_moved = self.risk != prices_before;
        crate::trading::fire_triggers(self, events);
        crate::liquidation::liquidate_all(self, prices_moved, events);
        crate::liquidation::cover_bad_debt(self, events);
        if self.params.limits.verify_conservation_each_block {
            self.verify_conservation().map_err(BlockError::InvariantViolated)?;
        }
        Ok(())
    }
}
