//! What the markets component commits: `StateKey::Component(Markets)` (bytes `0x00 0x04`),
//! every market's order numbering, open interest, volume, last trade, mark, basis, funding
//! index and interval, implied volatility and settlement price.

use super::Markets;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Markets {
    fn key(&self) -> ComponentKey {
        ComponentKey::Markets
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Markets { states } = self;
        encode(states)
    }
}
