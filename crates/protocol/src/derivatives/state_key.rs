//! What the derivatives component commits: `StateKey::Component(Derivatives)` (bytes
//! `0x00 0x06`), every expiry's published and aggregated smile and every settlement average.

use super::Derivatives;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Derivatives {
    fn key(&self) -> ComponentKey {
        ComponentKey::Derivatives
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Derivatives { surfaces, settlement_twaps } = self;
        encode(&(surfaces, settlement_twaps))
    }
}
