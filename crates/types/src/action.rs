//! Transactions and the actions they carry.

use novation_math::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{Address, AssetId, MarketId, OrderId};
use crate::order::{OrderRequest, TriggerRequest};

/// An authenticated transaction as the protocol receives it: the node has already checked
/// the signature, so `sender` is proven. Its actions apply whole or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

impl Action {
    /// Whether an authorised agent may sign this action: trading and deposits yes; moving
    /// value out, paying the insurance fund, managing agents or publishing prices no.
    pub fn agent_may_sign(&self) -> bool {
        matches!(
            self,
            Action::Deposit { .. }
                | Action::SetIsolatedMarket { .. }
                | Action::SetMarginMode { .. }
                | Action::Order(_)
                | Action::Batch(_)
        )
    }
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

/// One thing a transaction asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Credit collateral to a subaccount from outside the chain.
    Deposit {
        /// Subaccount number of the sender.
        subaccount: u16,
        /// Asset deposited.
        asset: AssetId,
        /// Amount in whole units of the asset.
        amount: Decimal,
    },
    /// Send collateral out of the chain; allowed while initial margin still holds afterwards.
    Withdraw {
        /// Subaccount number of the sender.
        subaccount: u16,
        /// Asset withdrawn.
        asset: AssetId,
        /// Amount in whole units of the asset.
        amount: Decimal,
    },
    /// Move collateral between two subaccounts of the sender.
    Transfer {
        /// Source subaccount number.
        from: u16,
        /// Destination subaccount number.
        to: u16,
        /// Asset moved.
        asset: AssetId,
        /// Amount in whole units of the asset.
        amount: Decimal,
    },
    /// Make a subaccount isolated to one market (its own margin, quote collateral only) or
    /// cross again (`None`). Only while it has no positions and no open orders.
    SetIsolatedMarket {
        /// Subaccount number of the sender.
        subaccount: u16,
        /// The one market it may trade, or `None` for cross margin.
        market: Option<MarketId>,
    },
    /// Let `agent` sign trading transactions for the sender (never withdrawals or transfers).
    AuthorizeAgent {
        /// The agent key's address.
        agent: Address,
    },
    /// Withdraw an agent's authorisation.
    RevokeAgent {
        /// The agent key's address.
        agent: Address,
    },
    /// Pay quote collateral into the insurance fund (it can never be taken back).
    FundInsurance {
        /// Subaccount number of the sender.
        subaccount: u16,
        /// Amount of the quote asset.
        amount: Decimal,
    },
    /// An order action.
    Order(OrderAction),
    /// Several order actions, applied in order, all or none.
    Batch(Vec<OrderAction>),
    /// A price report from an oracle publisher (the sender must be a registered publisher).
    PriceReport {
        /// The asset priced.
        asset: AssetId,
        /// Price of one whole unit in the quote currency.
        price: Decimal,
        /// Confidence interval half-width, same units as `price`.
        confidence: Decimal,
        /// When the publisher observed the price (milliseconds since the Unix epoch).
        publish_time_ms: u64,
    },
    /// A volatility smile (raw SVI) for one underlying and expiry, from a registered publisher.
    VolSurfaceReport {
        /// The underlying.
        asset: AssetId,
        /// The expiry it describes (must be a listed option expiry of `asset`).
        expiry_ms: u64,
        /// Total implied variance as a function of log-moneyness ln(K/F).
        svi: novation_math::SviParams,
        /// When the publisher fitted it (milliseconds since the Unix epoch).
        publish_time_ms: u64,
    },
    /// Chooses how a subaccount's margin is computed.
    SetMarginMode {
        /// The subaccount number.
        subaccount: u16,
        /// Standard (per position) or portfolio (scenario grid per underlying).
        mode: MarginMode,
    },
}

/// How a subaccount's margin requirement is computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MarginMode {
    /// Per position: margin tiers for perpetuals and futures, the standard option formulas.
    #[default]
    Standard,
    /// The worst loss of each underlying's positions over a grid of price and volatility
    /// scenarios, so hedges offset each other.
    Portfolio,
}

/// An action on the order books.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderAction {
    /// Place a new order.
    Place(OrderRequest),
    /// Place a stop-loss or take-profit: an order that enters the book when the mark price
    /// crosses its trigger.
    PlaceTrigger(TriggerRequest),
    /// Cancel an order by its id.
    Cancel {
        /// Subaccount number owning the order.
        subaccount: u16,
        /// The order.
        order_id: OrderId,
    },
    /// Cancel an order by the client order id given when it was placed.
    CancelByClientId {
        /// Subaccount number owning the order.
        subaccount: u16,
        /// The client order id.
        client_order_id: u64,
    },
    /// Amend price and/or size of a resting order. Time priority is kept only when the price
    /// is unchanged and the size does not increase.
    Modify {
        /// Subaccount number owning the order.
        subaccount: u16,
        /// The order.
        order_id: OrderId,
        /// New limit price in ticks.
        price_ticks: u64,
        /// New remaining size in lots.
        size_lots: u64,
    },
    /// Cancel every open order of the subaccount, in one market or in all.
    CancelAll {
        /// Subaccount number.
        subaccount: u16,
        /// Only this market, or all markets.
        market: Option<MarketId>,
    },
}
