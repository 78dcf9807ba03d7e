//! The whole protocol state: the composition of the components, each owning its part.
//!
//! | component | owns |
//! | --- | --- |
//! | `clock` | height and block time |
//! | [`params`](crate::params) | every chain parameter |
//! | [`accounts`](crate::accounts) | subaccounts, nonces, agents, ledger account balances |
//! | [`oracle`](crate::oracle) | price reports, index prices, validity |
//! | [`markets`](crate::markets) | running market state: marks, funding, open interest |
//! | `trading` | order books, client ids, open-order index, trigger orders |
//! | [`derivatives`](crate::derivatives) | volatility smiles, settlement averages |
//! | `liquidation` | liquidation totals, carry-over, accounts to re-check |
//!
//! Beside them live what is derived from them and never committed: the undo journal, the
//! keys changed since the last commit, the per-block risk prices and the risk index.

use novation_types::{Address, SubaccountId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::Accounts;
use crate::commitment::{encode, Committed, ComponentKey};
use crate::derivatives::Derivatives;
use crate::journal::{Journal, Undo};
use crate::liquidation::Liquidation;
use crate::markets::Markets;
use crate::oracle::Oracle;
use crate::params::{ChainParams, GenesisError};
use crate::risk::{RiskIndex, RiskPrices};
use crate::trading::Trading;

/// Height and time of the last applied block.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub(crate) struct Clock {
    pub(crate) height: u64,
    /// Milliseconds since the Unix epoch.
    pub(crate) time_ms: u64,
}

impl Committed for Clock {
    fn key(&self) -> ComponentKey {
        ComponentKey::Clock
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Clock { height, time_ms } = self;
        encode(&(height, time_ms))
    }
}

/// The state of a novation chain. Change it only through [`State::apply_block`].
#[derive(Clone, Debug, Serialize)]
pub struct State {
    pub(crate) clock: Clock,
    pub(crate) params: ChainParams,
    pub(crate) accounts: Accounts,
    pub(crate) oracle: Oracle,
    pub(crate) markets: Markets,
    pub(crate) trading: Trading,
    pub(crate) derivatives: Derivatives,
    pub(crate) liquidation: Liquidation,
    #[serde(skip)]
    pub(crate) journal: Journal,
    /// Subaccounts and nonces written since the commitment last asked (may repeat, and may
    /// include writes a rejected transaction undid): see [`State::take_changed_keys`].
    #[serde(skip)]
    pub(crate) changed_subaccounts: Vec<SubaccountId>,
    #[serde(skip)]
    pub(crate) changed_nonces: Vec<Address>,
    /// Prices and values derived from the oracle at the end of the last block.
    #[serde(skip)]
    pub(crate) risk: RiskPrices,
    /// Compact per-subaccount rows for re-checking every account after a price move.
    #[serde(skip)]
    pub(crate) risk_index: RiskIndex,
}

impl State {
    /// A new chain at height 0 from validated chain parameters.
    pub fn new(params: ChainParams) -> Result<Self, GenesisError> {
        params.validate()?;
        let mut state = State {
            clock: Clock::default(),
            oracle: Oracle::new(&params),
            markets: Markets::new(&params),
            trading: Trading::new(&params),
            derivatives: Derivatives::new(&params),
            liquidation: Liquidation::default(),
            accounts: Accounts::default(),
            risk_index: RiskIndex::new(&params.markets),
            params,
            journal: Journal::default(),
            changed_subaccounts: Vec::new(),
            changed_nonces: Vec::new(),
            risk: RiskPrices::default(),
        };
        state.refresh_risk_prices();
        Ok(state)
    }

    /// The chain's parameters now (committed in the state root).
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// Height of the last applied block (0 before the first).
    pub fn height(&self) -> u64 {
        self.clock.height
    }

    /// Timestamp of the last applied block, in milliseconds since the Unix epoch.
    pub fn time_ms(&self) -> u64 {
        self.clock.time_ms
    }

    /// SHA-256 of the canonical encoding of the whole state. Equal states have equal hashes
    /// whatever history led to them.
    pub fn state_hash(&self) -> [u8; 32] {
        let bytes = self.canonical_bytes();
        Sha256::digest(&bytes).into()
    }

    /// The canonical encoding of the whole state (what [`State::state_hash`] hashes).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Undoes every write of the running transaction, newest first.
    pub(crate) fn rollback(&mut self) {
        while let Some(undo) = self.journal.entries.pop() {
            match undo {
                Undo::Accounts(undo) => {
                    if let Some((id, slot)) = self.accounts.undo(undo, &mut self.journal) {
                        let sub = self.accounts.subaccounts.get(&id);
                        self.risk_index.update(slot, id, sub, self.params.quote_asset);
                    }
                }
                Undo::Markets(undo) => self.markets.undo(undo, &mut self.journal),
                Undo::Trading(undo) => self.trading.undo(undo),
                Undo::Oracle(undo) => self.oracle.undo(undo),
                Undo::Derivatives(undo) => self.derivatives.undo(undo),
                Undo::Params(undo) => self.params.undo(undo),
            }
        }
        self.liquidation.touched_since_check.truncate(self.journal.touched_len);
        self.journal.end();
    }
}
