//! What the state commitment commits to: the state split into entries a client can prove
//! on its own, each with a canonical encoding.
//!
//! - one entry per subaccount (key `0x01 || owner || number u16 BE`): balances, positions,
//!   margin mode and order count, so a trader can prove their account against a state root;
//! - one entry per signer nonce (key `0x02 || address`);
//! - one entry for everything else (key `0x00`): height and time, ledger pools, oracle,
//!   markets, order books, trigger orders, agents, liquidation state and totals, volatility
//!   smiles, settlement averages, and the parameters of every market (series schedules list
//!   new ones as time passes).
//!
//! Indexes derivable from those (client order ids, open orders per subaccount, the risk
//! index) are not committed. Values are the same canonical bincode encoding as
//! [`State::canonical_bytes`].

use novation_types::{Address, SubaccountId};
use serde::Serialize;

use crate::state::State;

/// The key of one committed state entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateKey {
    /// Everything that is neither a subaccount nor a nonce.
    Globals,
    /// One subaccount.
    Subaccount(SubaccountId),
    /// One signer's next nonce.
    Nonce(Address),
}

impl StateKey {
    /// The key's bytes in the commitment.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            StateKey::Globals => vec![0x00],
            StateKey::Subaccount(id) => {
                let mut bytes = Vec::with_capacity(23);
                bytes.push(0x01);
                bytes.extend_from_slice(&id.owner.0);
                bytes.extend_from_slice(&id.number.to_be_bytes());
                bytes
            }
            StateKey::Nonce(address) => {
                let mut bytes = Vec::with_capacity(21);
                bytes.push(0x02);
                bytes.extend_from_slice(&address.0);
                bytes
            }
        }
    }
}

/// The globals entry: every field of the state that is not per subaccount or per nonce and
/// not derivable from the rest.
#[derive(Serialize)]
struct Globals<'a> {
    height: u64,
    time_ms: u64,
    pools: &'a std::collections::BTreeMap<(novation_types::LedgerAccount, novation_types::AssetId), i128>,
    oracle: &'a [crate::oracle::AssetOracle],
    markets: &'a [crate::markets::MarketState],
    books: &'a [crate::book::OrderBook],
    triggers: &'a std::collections::BTreeMap<novation_types::OrderId, crate::trading::TriggerOrder>,
    agents: &'a std::collections::BTreeSet<(Address, Address)>,
    touched_since_check: &'a [SubaccountId],
    liquidation_backlog: bool,
    risk_stats: &'a crate::liquidation::RiskStats,
    pending_bad_debt: i128,
    market_params: &'a [crate::params::MarketParams],
    surfaces: &'a std::collections::BTreeMap<(novation_types::AssetId, u64), crate::derivatives::SmileState>,
    settlement_twaps:
        &'a std::collections::BTreeMap<(novation_types::AssetId, u64), crate::derivatives::SettlementTwap>,
}

fn encode(value: &impl Serialize) -> Vec<u8> {
    bincode::serialize(value).unwrap_or_default()
}

impl State {
    /// The committed value under `key`, or `None` if the entry does not exist.
    pub fn commitment_value(&self, key: &StateKey) -> Option<Vec<u8>> {
        match key {
            StateKey::Globals => Some(encode(&Globals {
                height: self.height,
                time_ms: self.time_ms,
                pools: &self.pools,
                oracle: &self.oracle,
                markets: &self.markets,
                books: &self.books,
                triggers: &self.triggers,
                agents: &self.agents,
                touched_since_check: &self.touched_since_check,
                liquidation_backlog: self.liquidation_backlog,
                risk_stats: &self.risk_stats,
                pending_bad_debt: self.pending_bad_debt,
                market_params: &self.genesis.markets,
                surfaces: &self.surfaces,
                settlement_twaps: &self.settlement_twaps,
            })),
            StateKey::Subaccount(id) => self.subaccounts.get(id).map(encode),
            StateKey::Nonce(address) => self.nonces.get(address).map(|n| encode(&n)),
        }
    }

    /// Every committed key, for building a commitment from scratch (after a restart).
    pub fn commitment_keys(&self) -> Vec<StateKey> {
        let mut keys = vec![StateKey::Globals];
        keys.extend(self.subaccounts.keys().map(|id| StateKey::Subaccount(*id)));
        let mut nonces: Vec<StateKey> = self.nonces.addresses().map(StateKey::Nonce).collect();
        nonces.sort_unstable();
        keys.extend(nonces);
        keys
    }

    /// The keys whose entries may have changed since the last call (sorted, without
    /// repeats, always including the globals). Read their values with
    /// [`State::commitment_value`]: `None` means the entry is gone.
    pub fn take_changed_keys(&mut self) -> Vec<StateKey> {
        let mut keys = vec![StateKey::Globals];
        keys.extend(self.changed_subaccounts.drain(..).map(StateKey::Subaccount));
        keys.extend(self.changed_nonces.drain(..).map(StateKey::Nonce));
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}
