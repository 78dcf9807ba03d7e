//! Accounts and collateral: subaccounts (balances and positions), signer nonces, agent keys
//! and the balances of the protocol's own ledger accounts.
//!
//! Collateral is a double-entry ledger: value only ever moves as balanced postings between
//! two [`LedgerAccount`]s (see `ledger`), so the sum of all balances of an asset is always
//! zero (deposits are transfers from `External`, which goes negative by the amount held).

mod actions;
mod handlers;
pub(crate) mod ledger;
mod nonces;
mod pools;
mod state_key;
mod subaccount;
mod subaccounts;
mod timestamp_nonces;
mod vesting;
mod writes;

pub(crate) use actions::{
    deposit, fund_backstop, fund_insurance, reserves, set_isolated_market, set_margin_mode, transfer, withdraw,
};
pub(crate) use nonces::Nonces;
pub(crate) use pools::Pools;
pub use subaccount::{Position, Subaccount};
pub(crate) use subaccounts::SubaccountMap;
pub use timestamp_nonces::{TimestampNonces, KEPT as TIMESTAMP_NONCES_KEPT, WINDOW_FUTURE_MS, WINDOW_PAST_MS};
pub use vesting::UnvestedProfit;

use std::collections::{BTreeMap, BTreeSet};

use novation_types::{Address, AssetId, AssetUnits, LedgerAccount, SubaccountId};
use serde::Serialize;

/// The accounts component's state.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Accounts {
    /// Every non-empty subaccount, by id.
    pub(crate) subaccounts: SubaccountMap,
    /// Next nonce per signer.
    pub(crate) nonces: Nonces,
    /// Balances of the ledger accounts that are not subaccounts (external, fee pool,
    /// insurance fund, settlement, bad debt), in each asset's smallest unit. The backstop
    /// liquidator is a subaccount.
    pub(crate) pools: Pools,
    /// Authorised agent keys: (account, agent).
    pub(crate) agents: BTreeSet<(Address, Address)>,
    /// The account each Hyperliquid agent key acts for (agent → account): set by the first
    /// Hyperliquid `approveAgent` of that key, so a Hyperliquid action, which never names its
    /// account, finds it.
    pub(crate) hl_agents: BTreeMap<Address, Address>,
    /// Hyperliquid signers' used timestamp nonces (one committed entry each).
    pub(crate) timestamp_nonces: BTreeMap<Address, TimestampNonces>,
    /// Signers whose timestamp nonces changed since the commitment last asked.
    #[serde(skip)]
    pub(crate) changed_timestamp_nonces: Vec<Address>,
}

/// How to undo one write to the accounts component.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    /// The subaccount saved in this journal snapshot slot.
    Subaccount(usize),
    Pool(LedgerAccount, AssetId, AssetUnits),
    Nonce(Address, Option<u64>),
    Agent {
        account: Address,
        agent: Address,
        was: bool,
    },
    /// A Hyperliquid agent binding, and the account it was bound to before.
    HlAgent {
        agent: Address,
        before: Option<Address>,
    },
}

impl Accounts {
    /// Restores what `undo` saved (subaccounts from the journal's snapshot slots); returns
    /// the subaccount it restored, if any, and its slot in the store, so derived indexes can
    /// follow.
    pub(crate) fn undo(&mut self, undo: Undo, journal: &mut crate::journal::Journal) -> Option<(SubaccountId, u32)> {
        match undo {
            Undo::Subaccount(slot) => {
                let (id, before) = journal.take_saved_subaccount(slot)?;
                let slot = match before {
                    Some(sub) => self.subaccounts.insert(id, sub).0,
                    None => {
                        let slot = self.subaccounts.slot(&id)?;
                        self.subaccounts.remove(&id);
                        slot
                    }
                };
                return Some((id, slot));
            }
            Undo::Pool(account, asset, before) => {
                let _ = self.pools.set(account, asset, before);
            }
            Undo::Nonce(address, before) => match before {
                Some(nonce) => {
                    self.nonces.restore(address, nonce);
                }
                None => {
                    self.nonces.remove(&address);
                }
            },
            Undo::Agent { account, agent, was } => {
                if was {
                    self.agents.insert((account, agent));
                } else {
                    self.agents.remove(&(account, agent));
                }
            }
            Undo::HlAgent { agent, before } => match before {
                Some(account) => {
                    self.hl_agents.insert(agent, account);
                }
                None => {
                    self.hl_agents.remove(&agent);
                }
            },
        }
        None
    }

    /// The balance of a ledger account that is not a subaccount.
    pub(crate) fn pool_balance(&self, account: LedgerAccount, asset: AssetId) -> AssetUnits {
        self.pools.get(account, asset)
    }

    /// Balance of any ledger account in `asset`.
    pub(crate) fn balance_of(&self, account: LedgerAccount, asset: AssetId) -> AssetUnits {
        match account {
            LedgerAccount::Subaccount(id) => self.subaccounts.get(&id).map_or(AssetUnits::ZERO, |s| s.balance(asset)),
            other => self.pool_balance(other, asset),
        }
    }
}
