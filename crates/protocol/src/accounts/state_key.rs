//! What the accounts component commits (public API: clients prove their accounts with it).
//!
//! - `StateKey::Subaccount(id)` (bytes `0x01 || owner || number u16 BE`): the subaccount's
//!   balances, positions, margin mode and order count, bincode-encoded;
//! - `StateKey::Nonce(address)` (bytes `0x02 || address`): the signer's next nonce, u64;
//! - `StateKey::TimestampNonces(address)` (bytes `0x04 || address`): a Hyperliquid signer's
//!   kept timestamp nonces, ascending;
//! - `StateKey::Component(Ledger)` (bytes `0x00 0x02`): the balances of every ledger account
//!   that is not a subaccount, the authorised agent keys and the Hyperliquid agent bindings.

use super::Accounts;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Accounts {
    fn key(&self) -> ComponentKey {
        ComponentKey::Ledger
    }

    fn committed_bytes(&self) -> Vec<u8> {
        // Subaccounts and nonces are committed one entry each.
        let Accounts {
            subaccounts: _,
            nonces: _,
            pools,
            agents,
            hl_agents,
            timestamp_nonces: _,
            changed_timestamp_nonces: _,
        } = self;
        encode(&(pools, agents, hl_agents))
    }
}
