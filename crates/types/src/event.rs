//! Events: every state change the protocol makes is reported as one of these.

use novation_math::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;
use crate::ids::{Address, AssetId, MarketId, OrderId, SubaccountId};
use crate::order::Side;

/// Why an order (or its unfilled rest) left the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum CancelReason {
    /// The owner asked.
    User,
    /// Immediate-or-cancel or market order: the rest that did not fill at once.
    Unfilled,
    /// Self-trade prevention.
    SelfTrade,
    /// The owner's margin could not carry the fill.
    InsufficientMargin,
    /// A reduce-only order that would now increase the position.
    ReduceOnly,
    /// A market order reached its slippage bound.
    SlippageBound,
    /// The open-interest cap would be exceeded.
    OpenInterestCap,
    /// The owner is being liquidated.
    Liquidation,
    /// The series expired.
    Expired,
    /// The mark moved so far that the resting price left the market's price band.
    OutsideBand,
}

/// Whether a subaccount provided or took liquidity in a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum FillRole {
    /// Resting order.
    Maker,
    /// Incoming order.
    Taker,
}

/// Something that happened, in order, within a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Event {
    /// Collateral entered the chain.
    Deposited {
        /// Receiving subaccount.
        subaccount: SubaccountId,
        /// Asset.
        asset: AssetId,
        /// Amount in whole units.
        amount: Decimal,
    },
    /// Collateral left the chain.
    Withdrew {
        /// Paying subaccount.
        subaccount: SubaccountId,
        /// Asset.
        asset: AssetId,
        /// Amount in whole units.
        amount: Decimal,
    },
    /// Collateral moved between two subaccounts.
    Transferred {
        /// Source.
        from: SubaccountId,
        /// Destination.
        to: SubaccountId,
        /// Asset.
        asset: AssetId,
        /// Amount in whole units.
        amount: Decimal,
    },
    /// A subaccount switched between cross margin and isolated margin on one market.
    MarginModeChanged {
        /// The subaccount.
        subaccount: SubaccountId,
        /// The isolated market, or `None` for cross margin.
        isolated_market: Option<MarketId>,
    },
    /// An order was accepted (it may fill at once; a rest may stay on the book).
    OrderAccepted {
        /// The new order's id.
        order_id: OrderId,
        /// Owner.
        subaccount: SubaccountId,
        /// Market.
        market: MarketId,
        /// Side.
        side: Side,
        /// Limit price in ticks (for market orders, the slippage-bound price).
        price_ticks: u64,
        /// Size in lots.
        size_lots: u64,
        /// The client's id for it.
        client_order_id: Option<u64>,
    },
    /// An order rests on the book with this remaining size.
    OrderRested {
        /// The order.
        order_id: OrderId,
        /// Market.
        market: MarketId,
        /// Remaining size in lots.
        remaining_lots: u64,
    },
    /// A resting order was amended.
    OrderModified {
        /// The order.
        order_id: OrderId,
        /// Market.
        market: MarketId,
        /// New price.
        price_ticks: u64,
        /// New remaining size.
        size_lots: u64,
        /// Whether it kept its place in the queue.
        kept_priority: bool,
    },
    /// An order, or what was left of it, was cancelled.
    OrderCancelled {
        /// The order.
        order_id: OrderId,
        /// Owner.
        subaccount: SubaccountId,
        /// Market.
        market: MarketId,
        /// Lots that were still open.
        remaining_lots: u64,
        /// Why.
        reason: CancelReason,
    },
    /// A trade between a resting and an incoming order.
    Fill {
        /// Market.
        market: MarketId,
        /// Resting order.
        maker_order: OrderId,
        /// Incoming order.
        taker_order: OrderId,
        /// Resting order's owner.
        maker: SubaccountId,
        /// Incoming order's owner.
        taker: SubaccountId,
        /// Side of the incoming order.
        taker_side: Side,
        /// Trade price in ticks (the resting order's price).
        price_ticks: u64,
        /// Size in lots.
        size_lots: u64,
        /// Quote value of the trade.
        notional: Decimal,
        /// Fee paid by the maker (negative: rebate received).
        maker_fee: Decimal,
        /// Fee paid by the taker.
        taker_fee: Decimal,
        /// PnL the maker realised by reducing a position.
        maker_realized_pnl: Decimal,
        /// PnL the taker realised by reducing a position.
        taker_realized_pnl: Decimal,
    },
    /// The oracle published a new aggregate for an asset at the end of the block.
    OraclePrice {
        /// Asset.
        asset: AssetId,
        /// Aggregated index price.
        index: Decimal,
        /// Exponential moving average of the index.
        ema: Decimal,
        /// Aggregated confidence half-width.
        confidence: Decimal,
        /// Whether the price may be used to add risk.
        valid: bool,
    },
    /// A price or smile a block carried for a publisher (its consensus vote extension) broke
    /// a rule the same report sent as a transaction would break; it was skipped and changed
    /// nothing.
    OracleInputRejected {
        /// The publisher it was carried for.
        publisher: Address,
        /// The asset it priced.
        asset: AssetId,
        /// The expiry of a smile (`None` for a price).
        expiry_ms: Option<u64>,
        /// Why.
        code: ErrorCode,
    },
    /// A market's mark price for the coming block.
    MarkPrice {
        /// Market.
        market: MarketId,
        /// Mark price in quote per whole base unit.
        mark: Decimal,
    },
    /// Funding was applied to a market at the end of an interval.
    FundingRate {
        /// Market.
        market: MarketId,
        /// Rate for the interval (longs pay shorts when positive).
        rate: Decimal,
        /// Cumulative funding per lot after it.
        index: Decimal,
    },
    /// Owed funding moved into a subaccount's quote balance.
    FundingSettled {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Market.
        market: MarketId,
        /// Amount received (negative: paid).
        amount: Decimal,
    },
    /// A subaccount fell below maintenance margin and its liquidation began.
    LiquidationStarted {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Its equity at maintenance weights.
        equity: Decimal,
        /// Its maintenance requirement.
        maintenance_requirement: Decimal,
    },
    /// The liquidation penalty on a partial liquidation, paid to the insurance fund.
    LiquidationFee {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Amount paid.
        amount: Decimal,
    },
    /// The backstop liquidator took over a position at mark.
    BackstopTakeover {
        /// The liquidated subaccount.
        subaccount: SubaccountId,
        /// The backstop's subaccount.
        backstop: SubaccountId,
        /// Market.
        market: MarketId,
        /// Signed size taken over, in lots.
        size_lots: i64,
        /// Mark price used.
        mark: Decimal,
    },
    /// Liquidation sold collateral to the backstop below the oracle price to repay quote debt.
    CollateralLiquidated {
        /// The liquidated subaccount.
        subaccount: SubaccountId,
        /// The collateral asset sold.
        asset: AssetId,
        /// Amount sold, in whole units.
        amount: Decimal,
        /// Price per whole unit paid (oracle × (1 − the asset's discount)).
        price: Decimal,
        /// Quote received, which repays debt.
        quote: Decimal,
    },
    /// Collateral that moved to the backstop with the positions.
    BackstopCollateral {
        /// The liquidated subaccount.
        subaccount: SubaccountId,
        /// Asset.
        asset: AssetId,
        /// Amount (negative: debt taken over).
        amount: Decimal,
    },
    /// A takeover would have put the backstop beyond its limits in a market (its notional,
    /// its share of open interest, or its own initial margin): the excess was
    /// auto-deleveraged at mark instead.
    BackstopLimitReached {
        /// The liquidated subaccount.
        subaccount: SubaccountId,
        /// Market.
        market: MarketId,
        /// Lots the backstop could not take.
        size_lots: u64,
    },
    /// The insurance fund covered a bankrupt subaccount's negative equity.
    InsuranceFundPaid {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Amount paid.
        amount: Decimal,
    },
    /// Negative equity neither the insurance fund nor auto-deleveraging could cover: written
    /// off the subaccount and booked to the `BadDebt` ledger account until it is covered.
    BadDebt {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Amount uncovered.
        amount: Decimal,
    },
    /// Booked bad debt was covered, in the published order: the insurance fund first, the
    /// fee pool as the last resort.
    BadDebtCovered {
        /// Who paid: `InsuranceFund` or `FeePool`.
        from: crate::LedgerAccount,
        /// Amount covered.
        amount: Decimal,
        /// Bad debt still unresolved afterwards.
        remaining: Decimal,
    },
    /// A liquidation step finished.
    LiquidationEnded {
        /// The subaccount.
        subaccount: SubaccountId,
        /// Equity at maintenance weights afterwards.
        equity: Decimal,
        /// Maintenance requirement afterwards.
        maintenance_requirement: Decimal,
    },
    /// Someone paid into the insurance fund.
    InsuranceFunded {
        /// The payer.
        subaccount: SubaccountId,
        /// Amount.
        amount: Decimal,
    },
    /// Quote collateral was paid into the backstop liquidator's subaccount.
    BackstopFunded {
        /// The payer.
        subaccount: SubaccountId,
        /// Amount.
        amount: Decimal,
    },
    /// An opposing position was reduced at a bankrupt subaccount's bankruptcy price.
    AutoDeleveraged {
        /// The deleveraged holder.
        subaccount: SubaccountId,
        /// The bankrupt subaccount.
        bankrupt: SubaccountId,
        /// Market.
        market: MarketId,
        /// Lots closed.
        size_lots: u64,
        /// Bankruptcy price (quote per whole base unit).
        price: Decimal,
    },
    /// A trigger order was accepted and waits for its condition.
    TriggerPlaced {
        /// Its id (cancel it with this id).
        order_id: OrderId,
        /// Owner.
        subaccount: SubaccountId,
        /// Market.
        market: MarketId,
        /// Trigger price in ticks.
        trigger_price_ticks: u64,
    },
    /// A trigger order's condition held: its order was placed (under the same id).
    Triggered {
        /// The order.
        order_id: OrderId,
        /// Market.
        market: MarketId,
        /// The mark that fired it.
        mark: Decimal,
    },
    /// A fired trigger's order was refused; the trigger is gone.
    TriggerRejected {
        /// The order.
        order_id: OrderId,
        /// Owner.
        subaccount: SubaccountId,
        /// The stable error code of the refusal.
        code: u32,
    },
    /// An account authorised an agent key to trade for it.
    AgentAuthorized {
        /// The account.
        account: Address,
        /// The agent key's address.
        agent: Address,
    },
    /// An account withdrew an agent key's authorisation.
    AgentRevoked {
        /// The account.
        account: Address,
        /// The agent key's address.
        agent: Address,
    },
    /// The settlement price of every series of `asset` expiring at `expiry_ms` is fixed: the
    /// time-weighted average of the index over the final settlement window.
    SettlementPriceSet {
        /// The underlying.
        asset: AssetId,
        /// The expiry.
        expiry_ms: u64,
        /// The settlement price.
        price: Decimal,
    },
    /// A position in an expired series was cash-settled into the quote balance.
    PositionSettled {
        /// Owner.
        subaccount: SubaccountId,
        /// The series.
        market: MarketId,
        /// Signed size settled, in lots.
        size_lots: i64,
        /// Payoff per whole contract at the settlement price (the price for a future,
        /// the intrinsic value for an option).
        payoff: Decimal,
        /// Realised profit (negative: loss) booked into the quote balance.
        realized_pnl: Decimal,
    },
    /// An expired series has settled every position and closed.
    MarketSettled {
        /// The series.
        market: MarketId,
        /// The settlement price of its underlying.
        price: Decimal,
        /// Positions settled.
        positions: u64,
    },
    /// A new aggregated volatility smile for one underlying and expiry passed every check.
    VolSurfaceUpdated {
        /// The underlying.
        asset: AssetId,
        /// The expiry.
        expiry_ms: u64,
        /// Raw SVI parameters of total variance in log-moneyness.
        svi: novation_math::SviParams,
    },
    /// The aggregated smile failed a static-arbitrage check; the last valid one is kept.
    VolSurfaceRejected {
        /// The underlying.
        asset: AssetId,
        /// The expiry.
        expiry_ms: u64,
        /// Which check failed.
        reason: String,
    },
    /// A series schedule listed a new dated future or option series.
    SeriesListed {
        /// Its market id.
        market: MarketId,
        /// Its ticker, e.g. `BTC-27NOV26-60000-C`.
        symbol: String,
        /// The underlying.
        underlying: AssetId,
        /// Its expiry.
        expiry_ms: u64,
    },
    /// A subaccount changed its margin mode.
    MarginModeSet {
        /// The subaccount.
        subaccount: SubaccountId,
        /// The new mode.
        mode: crate::action::MarginMode,
    },
    /// One item of a Hyperliquid bulk action (an order, cancel or modify) was refused and
    /// changed nothing; the action's other items still applied.
    ItemRejected {
        /// The account the action acted for.
        account: Address,
        /// The item's position in the action, from 0.
        item: u16,
        /// Why.
        code: ErrorCode,
    },
}
