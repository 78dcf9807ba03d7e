//! Order requests: sides, time in force, self-trade prevention and order kinds.

use novation_math::Ppm;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::{Lots, PriceTicks};

use crate::ids::MarketId;

/// The side of an order or a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Side {
    /// Bid: buys base, pays quote.
    Buy,
    /// Ask: sells base, receives quote.
    Sell,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for a buy, -1 for a sell: the sign a fill of this side adds to a position.
    pub const fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// How long a limit order lives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum TimeInForce {
    /// Good till cancelled: the unfilled rest stays on the book.
    #[default]
    GoodTillCancel,
    /// Immediate or cancel: fill what crosses now, cancel the rest.
    ImmediateOrCancel,
    /// Fill or kill: fill entirely now or not at all.
    FillOrKill,
    /// Post only: rest on the book as a maker; rejected if it would cross.
    PostOnly,
}

/// What happens when an incoming order would trade against a resting order of the same
/// subaccount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SelfTradePrevention {
    /// Cancel the resting order and keep matching the incoming one.
    #[default]
    CancelResting,
    /// Cancel the rest of the incoming order.
    CancelIncoming,
    /// Cancel both.
    CancelBoth,
}

/// Limit or market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum OrderKind {
    /// A limit order at `price_ticks`.
    Limit {
        /// Limit price in ticks of the market.
        price_ticks: PriceTicks,
        /// How long it lives (omitted: good till cancel).
        #[serde(default)]
        time_in_force: TimeInForce,
    },
    /// A market order: immediate or cancel, never trading further than `max_slippage` from
    /// the mark price.
    Market {
        /// Largest accepted distance from mark, as a fraction.
        max_slippage: Ppm,
    },
}

/// A new order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The sender's subaccount number that owns the order (omitted: 0).
    #[serde(default)]
    pub subaccount: u16,
    /// The market.
    pub market: MarketId,
    /// Buy or sell.
    pub side: Side,
    /// Size in lots of the market.
    pub size_lots: Lots,
    /// Limit or market.
    pub kind: OrderKind,
    /// Only ever reduce the position; never open or flip it (omitted: false).
    #[serde(default)]
    pub reduce_only: bool,
    /// The trader's own id for the order, unique among its open orders (omitted: none).
    #[serde(default)]
    pub client_order_id: Option<u64>,
    /// Self-trade prevention mode (omitted: the default mode).
    #[serde(default)]
    pub self_trade: SelfTradePrevention,
}

impl OrderRequest {
    /// A good-till-cancel limit order with default options.
    pub fn limit(subaccount: u16, market: MarketId, side: Side, price_ticks: u64, size_lots: u64) -> Self {
        OrderRequest {
            subaccount,
            market,
            side,
            size_lots: Lots(size_lots),
            kind: OrderKind::Limit { price_ticks: PriceTicks(price_ticks), time_in_force: TimeInForce::GoodTillCancel },
            reduce_only: false,
            client_order_id: None,
            self_trade: SelfTradePrevention::default(),
        }
    }

    /// A market order with the given slippage bound.
    pub fn market(subaccount: u16, market: MarketId, side: Side, size_lots: u64, max_slippage: Ppm) -> Self {
        OrderRequest { kind: OrderKind::Market { max_slippage }, ..Self::limit(subaccount, market, side, 0, size_lots) }
    }

    /// The same order with another time in force (limit orders only).
    pub fn with_time_in_force(mut self, tif: TimeInForce) -> Self {
        if let OrderKind::Limit { time_in_force, .. } = &mut self.kind {
            *time_in_force = tif;
        }
        self
    }

    /// The same order, reduce-only.
    pub fn reduce_only(mut self) -> Self {
        self.reduce_only = true;
        self
    }

    /// The same order with a client order id.
    pub fn with_client_id(mut self, id: u64) -> Self {
        self.client_order_id = Some(id);
        self
    }

    /// The same order with a self-trade prevention mode.
    pub fn with_self_trade(mut self, mode: SelfTradePrevention) -> Self {
        self.self_trade = mode;
        self
    }
}

/// Which way the mark must cross a trigger price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum TriggerCondition {
    /// Fires when mark ≥ trigger (take-profit of a long, stop-loss of a short).
    MarkAtOrAbove,
    /// Fires when mark ≤ trigger (stop-loss of a long, take-profit of a short).
    MarkAtOrBelow,
}

/// A stop-loss or take-profit order. When its condition holds at the end of a block it is
/// placed as `order` (a market order or an immediate-or-cancel / good-till-cancel limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerRequest {
    /// Trigger price in ticks of the order's market.
    pub trigger_price_ticks: PriceTicks,
    /// Which way the mark must cross it.
    pub condition: TriggerCondition,
    /// The order placed when it fires (fill-or-kill and post-only are not allowed).
    pub order: OrderRequest,
}
