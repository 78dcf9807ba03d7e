//! What the liquidation component commits: `StateKey::Component(Liquidation)` (bytes
//! `0x00 0x07`): the running totals, the backlog flag and the subaccounts to re-check at the
//! next block (they decide what the next block liquidates, so they are state).

use super::Liquidation;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Liquidation {
    fn key(&self) -> ComponentKey {
        ComponentKey::Liquidation
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Liquidation { stats, backlog, touched_since_check } = self;
        encode(&(stats, backlog, touched_since_check))
    }
}
