//! Transactions and the actions they carry: one payload type per action.

use novation_math::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{Address, AssetId, MarketId, OrderId};
use crate::order::{OrderRequest, TriggerRequest};

/// An authenticated transaction as the protocol receives it: the node has already checked
/// the signature, so `sender` is proven. Its actions apply whole or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Transaction {
    /// The account the transaction acts for (and its signer, unless `agent` is set).
    pub sender: Address,
    /// The agent key that signed on the sender's behalf, if not the sender itself. An agent
    /// the sender has authorised may trade but never withdraw, transfer or manage agents.
    #[serde(default)]
    pub agent: Option<Address>,
    /// The signer's next nonce: transactions of one signer apply in nonce order, each once.
    pub nonce: u64,
    /// The actions, applied in order.
    pub actions: Vec<Action>,
}

impl Transaction {
    /// A transaction signed by the sender itself.
    pub fn new(sender: Address, nonce: u64, actions: Vec<Action>) -> Self {
        Transaction { sender, agent: None, nonce, actions }
    }

    /// The key whose nonce sequence this transaction uses: the agent's, or the sender's.
    pub fn signer(&self) -> Address {
        self.agent.unwrap_or(self.sender)
    }
}

/// One thing a transaction asks for. Each variant carries its own payload type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Action {
    /// Credit collateral to a subaccount from outside the chain.
    Deposit(Deposit),
    /// Send collateral out of the chain; allowed while initial margin still holds afterwards.
    Withdraw(Withdraw),
    /// Move collateral between two subaccounts of the sender.
    Transfer(Transfer),
    /// Make a subaccount isolated to one market (its own margin, quote collateral only) or
    /// cross again (`None`). Only while it has no positions and no open orders.
    SetIsolatedMarket(SetIsolatedMarket),
    /// Let `agent` sign trading transactions for the sender (never withdrawals or transfers).
    AuthorizeAgent(AuthorizeAgent),
    /// Withdraw an agent's authorisation.
    RevokeAgent(RevokeAgent),
    /// Pay quote collateral into the insurance fund (it can never be taken back).
    FundInsurance(FundInsurance),
    /// An order action.
    Order(OrderAction),
    /// Several order actions, applied in order, all or none.
    Batch(Vec<OrderAction>),
    /// A price report from an oracle publisher (the sender must be a registered publisher).
    PriceReport(PriceReport),
    /// A volatility smile (raw SVI) for one underlying and expiry, from a registered publisher.
    VolSurfaceReport(VolSurfaceReport),
    /// Chooses how a subaccount's margin is computed.
    SetMarginMode(SetMarginMode),
    /// Pay quote collateral into the backstop liquidator's subaccount: capital that lets it
    /// take over liquidated positions (it can never be taken back).
    FundBackstop(FundBackstop),
    /// A Hyperliquid action, signed as Hyperliquid signs it: arrives only inside a
    /// Hyperliquid envelope, always as its transaction's only action.
    Hyperliquid(crate::hyperliquid::HlAction),
}

/// Credit collateral to a subaccount from outside the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deposit {
    /// Subaccount number of the sender.
    pub subaccount: u16,
    /// Asset deposited.
    pub asset: AssetId,
    /// Amount in whole units of the asset.
    pub amount: Decimal,
}

/// Send collateral out of the chain; allowed while initial margin still holds afterwards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Subaccount number of the sender.
    pub subaccount: u16,
    /// Asset withdrawn.
    pub asset: AssetId,
    /// Amount in whole units of the asset.
    pub amount: Decimal,
}

/// Move collateral between two subaccounts of the sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Source subaccount number.
    pub from: u16,
    /// Destination subaccount number.
    pub to: u16,
    /// Asset moved.
    pub asset: AssetId,
    /// Amount in whole units of the asset.
    pub amount: Decimal,
}

/// Make a subaccount isolated to one market (its own margin, quote collateral only) or
/// cross again (`None`). Only while it has no positions and no open orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetIsolatedMarket {
    /// Subaccount number of the sender.
    pub subaccount: u16,
    /// The one market it may trade, or `None` for cross margin.
    pub market: Option<MarketId>,
}

/// Let `agent` sign trading transactions for the sender (never withdrawals or transfers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeAgent {
    /// The agent key's address.
    pub agent: Address,
}

/// Withdraw an agent's authorisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeAgent {
    /// The agent key's address.
    pub agent: Address,
}

/// Pay quote collateral into the insurance fund (it can never be taken back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundInsurance {
    /// Subaccount number of the sender.
    pub subaccount: u16,
    /// Amount of the quote asset.
    pub amount: Decimal,
}

/// Pay quote collateral into the backstop liquidator's subaccount (it can never be taken
/// back: it backs the backstop's own margin).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundBackstop {
    /// Subaccount number of the sender.
    pub subaccount: u16,
    /// Amount of the quote asset.
    pub amount: Decimal,
}

/// A price report from an oracle publisher (the sender must be a registered publisher).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceReport {
    /// The asset priced.
    pub asset: AssetId,
    /// Price of one whole unit in the quote currency.
    pub price: Decimal,
    /// Confidence interval half-width, same units as `price`.
    pub confidence: Decimal,
    /// When the publisher observed the price (milliseconds since the Unix epoch).
    pub publish_time_ms: u64,
}

/// A volatility smile (raw SVI) for one underlying and expiry, from a registered publisher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolSurfaceReport {
    /// The underlying.
    pub asset: AssetId,
    /// The expiry it describes (must be a listed option expiry of `asset`).
    pub expiry_ms: u64,
    /// Total implied variance as a function of log-moneyness ln(K/F).
    pub svi: novation_math::SviParams,
    /// When the publisher fitted it (milliseconds since the Unix epoch).
    pub publish_time_ms: u64,
}

/// Chooses how a subaccount's margin is computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMarginMode {
    /// The subaccount number.
    pub subaccount: u16,
    /// Standard (per position) or portfolio (scenario grid per underlying).
    pub mode: MarginMode,
}

/// How a subaccount's margin requirement is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum MarginMode {
    /// Per position: margin tiers for perpetuals and futures, the standard option formulas.
    #[default]
    Standard,
    /// The worst loss of each underlying's positions over a grid of price and volatility
    /// scenarios, so hedges offset each other.
    Portfolio,
}

/// An action on the order books.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OrderAction {
    /// Place a new order.
    Place(OrderRequest),
    /// Place a stop-loss or take-profit: an order that enters the book when the mark price
    /// crosses its trigger.
    PlaceTrigger(TriggerRequest),
    /// Cancel an order by its id.
    Cancel(Cancel),
    /// Cancel an order by the client order id given when it was placed.
    CancelByClientId(CancelByClientId),
    /// Amend price and/or size of a resting order. Time priority is kept only when the price
    /// is unchanged and the size does not increase.
    Modify(Modify),
    /// Cancel every open order of the subaccount, in one market or in all.
    CancelAll(CancelAll),
}

/// Cancel an order by its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// Subaccount number owning the order.
    pub subaccount: u16,
    /// The order.
    pub order_id: OrderId,
}

/// Cancel an order by the client order id given when it was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelByClientId {
    /// Subaccount number owning the order.
    pub subaccount: u16,
    /// The client order id.
    pub client_order_id: u64,
}

/// Amend price and/or size of a resting order. Time priority is kept only when the price
/// is unchanged and the size does not increase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Modify {
    /// Subaccount number owning the order.
    pub subaccount: u16,
    /// The order.
    pub order_id: OrderId,
    /// New limit price in ticks.
    pub price_ticks: u64,
    /// New remaining size in lots.
    pub size_lots: u64,
}

/// Cancel every open order of the subaccount, in one market or in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAll {
    /// Subaccount number.
    pub subaccount: u16,
    /// Only this market, or all markets.
    pub market: Option<MarketId>,
}
