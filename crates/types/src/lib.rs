//! Wire types of novation, shared by the protocol, the node and clients.
//!
//! Everything here is plain data: identifiers, the actions a signed transaction carries,
//! the events the protocol emits and the stable error codes it rejects actions with.
#![deny(missing_docs)]

pub mod action;
mod error;
mod event;
pub mod hyperliquid;
mod ids;
mod order;
mod units;

pub use action::{Action, MarginMode, OrderAction, Transaction};
pub use error::ErrorCode;
pub use event::{CancelReason, Event, FillRole};
pub use ids::{Address, AssetId, InvalidAddress, LedgerAccount, MarketId, OrderId, SubaccountId, ADDRESS_PATTERN};
pub use order::{OrderKind, OrderRequest, SelfTradePrevention, Side, TimeInForce, TriggerCondition, TriggerRequest};
pub use units::{AssetUnits, Lots, PriceTicks, QuoteRaw, QuoteScaled, SignedLots};
