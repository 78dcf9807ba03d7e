//! Hyperliquid's exchange actions, as a Hyperliquid-signed transaction carries them into
//! novation: already parsed from the signed request and checked for shape (novation-tx), not
//! yet resolved against state. The protocol resolves each one — the asset index to a market,
//! decimal prices and sizes to ticks and lots — and applies it through the same handlers as
//! novation's own actions (docs/hyperliquid.md).
//!
//! A bulk action (orders, cancels, modifies) applies item by item, as on Hyperliquid: an item
//! that fails is reported by an [`crate::Event::ItemRejected`] and changes nothing, and the
//! others still apply.

use novation_math::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::Address;
use crate::order::Side;

/// One Hyperliquid action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlAction {
    /// The account acted for when it is not the signer's own or its agent's owner
    /// (Hyperliquid's `vaultAddress`); the signer must be an agent it authorised.
    pub on_behalf_of: Option<Address>,
    /// Refused in a block later than this (Hyperliquid's `expiresAfter`, ms).
    pub expires_after_ms: Option<u64>,
    /// What it does.
    pub kind: HlActionKind,
}

/// What a Hyperliquid action does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HlActionKind {
    /// `order`: new orders, each applied on its own.
    Order(Vec<HlOrder>),
    /// `cancel`: cancels by order id.
    Cancel(Vec<HlCancel>),
    /// `cancelByCloid`: cancels by client order id.
    CancelByCloid(Vec<HlCancelByCloid>),
    /// `modify` (one) and `batchModify`: replace a resting order's price, size and options.
    Modify(Vec<HlModify>),
    /// `updateLeverage`: novation's margin comes from its tiers, so this records nothing; it
    /// is accepted for an existing perpetual.
    UpdateLeverage(HlUpdateLeverage),
    /// `approveAgent`: authorise an agent key (and bind it to this account, so the agent's
    /// unsigned-for-account actions act for it).
    ApproveAgent(HlApproveAgent),
    /// `withdraw3`: withdraw quote collateral.
    Withdraw(HlWithdraw),
    /// `noop`: uses up the nonce and nothing else.
    Noop,
}

/// One new order of an `order` action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlOrder {
    /// Hyperliquid asset index (`a`): the position of the market in `meta`'s universe.
    pub asset: u32,
    /// Buy or sell (`b`).
    pub side: Side,
    /// Limit price (`p`) in quote units.
    pub price: Decimal,
    /// Size (`s`) in base units.
    pub size: Decimal,
    /// Reduce-only (`r`).
    pub reduce_only: bool,
    /// Limit or trigger (`t`).
    pub kind: HlOrderKind,
    /// Client order id (`c`): novation keeps 64 bits, so the upper 8 of Hyperliquid's 16 bytes
    /// must be zero.
    pub cloid: Option<u64>,
}

/// Hyperliquid's order types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HlOrderKind {
    /// `{"limit": {"tif": …}}`.
    Limit(HlTif),
    /// `{"trigger": {"isMarket", "triggerPx", "tpsl"}}`.
    Trigger {
        /// A market order when it fires; a limit order at the price otherwise.
        is_market: bool,
        /// The mark price that fires it.
        trigger_price: Decimal,
        /// Take-profit (`true`) or stop-loss (`false`).
        take_profit: bool,
    },
}

/// Hyperliquid's times in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HlTif {
    /// `Gtc`: good till cancelled.
    Gtc,
    /// `Ioc`: immediate or cancel.
    Ioc,
    /// `Alo`: add liquidity only (post only).
    Alo,
}

/// One cancel of a `cancel` action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlCancel {
    /// Asset index (`a`).
    pub asset: u32,
    /// Order id (`o`).
    pub order_id: u64,
}

/// One cancel of a `cancelByCloid` action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlCancelByCloid {
    /// Asset index.
    pub asset: u32,
    /// Client order id (64 bits, see [`HlOrder::cloid`]).
    pub cloid: u64,
}

/// The order a modify names: by order id or by client order id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum HlOrderRef {
    /// An order id.
    Oid(u64),
    /// A client order id.
    Cloid(u64),
}

/// One modify: the order it replaces and the new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlModify {
    /// The resting order.
    pub order: HlOrderRef,
    /// What it becomes.
    pub new: HlOrder,
}

/// `updateLeverage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlUpdateLeverage {
    /// Asset index.
    pub asset: u32,
    /// Cross (`true`) or isolated.
    pub is_cross: bool,
    /// The leverage asked for.
    pub leverage: u32,
}

/// `approveAgent`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlApproveAgent {
    /// The agent key's address.
    pub agent: Address,
}

/// `withdraw3`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HlWithdraw {
    /// Where to: novation withdraws to the account's own address, so it must be the signer.
    pub destination: Address,
    /// Quote amount.
    pub amount: Decimal,
}
