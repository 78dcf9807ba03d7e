//! What the trading component commits: `StateKey::Component(Trading)` (bytes `0x00 0x05`),
//! every order book (orders in price-time priority) and every waiting trigger order. The
//! client-id and open-order indexes are derived from those and not committed.

use super::Trading;
use crate::commitment::{encode, Committed, ComponentKey};

impl Committed for Trading {
    fn key(&self) -> ComponentKey {
        ComponentKey::Trading
    }

    fn committed_bytes(&self) -> Vec<u8> {
        let Trading { books, triggers, client_ids: _, open_order_index: _ } = self;
        encode(&(books, triggers))
    }
}
