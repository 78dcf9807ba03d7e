//! The canonical serialized form of a book: its bids in priority order, then its asks.
//!
//! The form is `{ bids: [RestingOrder], asks: [RestingOrder] }`, built by walking the queues,
//! so it depends only on which orders rest and in what order, never on slot layout or history:
//! two books with the same queues serialize to the same bytes. Deserializing rebuilds the
//! queues by inserting each order in turn and refuses input that is not in canonical form
//! (an order on the wrong side, a duplicate or empty order, or orders out of priority order),
//! so a decoded book always re-serializes to its input.

use novation_types::Side;
use serde::de::Error as _;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{OrderBook, RestingOrder};

impl Serialize for OrderBook {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("OrderBook", 2)?;
        state.serialize_field("bids", &SideInPriority { book: self, side: Side::Buy })?;
        state.serialize_field("asks", &SideInPriority { book: self, side: Side::Sell })?;
        state.end()
    }
}

/// One side's orders as a sequence in priority order, serialized without collecting.
struct SideInPriority<'a> {
    book: &'a OrderBook,
    side: Side,
}

impl Serialize for SideInPriority<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.book.iter_side(self.side))
    }
}

/// The decoded canonical form, before its queues are rebuilt.
#[derive(Deserialize)]
#[serde(rename = "OrderBook")]
struct CanonicalBook {
    bids: Vec<RestingOrder>,
    asks: Vec<RestingOrder>,
}

impl<'de> Deserialize<'de> for OrderBook {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let CanonicalBook { bids, asks } = CanonicalBook::deserialize(deserializer)?;
        let mut book = OrderBook::with_capacity(bids.len().saturating_add(asks.len()));
        for (side, orders) in [(Side::Buy, &bids), (Side::Sell, &asks)] {
            for order in orders {
                if order.side != side {
                    return Err(D::Error::custom("order book: an order is listed on the wrong side"));
                }
                book.insert(*order).map_err(|error| D::Error::custom(format_args!("order book: {error}")))?;
            }
            if !book.iter_side(side).eq(orders.iter()) {
                return Err(D::Error::custom("order book: orders are not in priority order"));
            }
        }
        Ok(book)
    }
}
