//! What the oracle component commits: `StateKey::Component(Oracle)` (bytes `0x00 0x03`),
//! every asset's latest report per publisher, index, EMA, confidence and validity.

use super::Oracle;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Oracle {
    fn key(&self) -> ComponentKey {
        ComponentKey::Oracle
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Oracle { assets } = self;
        encode(assets)
    }
}
