//! Stable error codes for rejected actions. Codes never change meaning once published; the
//! API passes them through to clients.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal : $msg:literal, )*) => {
        /// Why the protocol rejected a transaction. A rejected transaction changes nothing.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// The stable numeric code.
            pub const fn code(self) -> u32 {
                match self { $( ErrorCode::$name => $code, )* }
            }

            /// A human-readable explanation.
            pub const fn message(self) -> &'static str {
                match self { $( ErrorCode::$name => $msg, )* }
            }

            /// Every code, in numeric order (for documentation and clients).
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];
        }
    };
}

error_codes! {
    /// The transaction carries no action, or too many.
    BadActionCount = 1: "a transaction carries between 1 and the maximum number of actions",
    /// The nonce is not the sender's next nonce.
    BadNonce = 2: "nonce is not the sender's next nonce",
    /// An amount is zero, negative or has more decimals than the asset allows.
    InvalidAmount = 3: "amount must be positive and a multiple of the asset's smallest unit",
    /// No such asset.
    UnknownAsset = 4: "unknown asset",
    /// No such market.
    UnknownMarket = 5: "unknown market",
    /// The market does not accept orders that add risk now.
    MarketNotActive = 6: "market is not active",
    /// The subaccount does not hold enough of the asset.
    InsufficientBalance = 7: "insufficient balance",
    /// Initial margin would not hold after the action.
    InsufficientMargin = 8: "initial margin would not hold after this action",
    /// The asset's deposit cap would be exceeded.
    DepositCapExceeded = 9: "asset deposit cap exceeded",
    /// The price is zero or off the market's tick grid.
    InvalidPrice = 10: "price must be a positive number of ticks",
    /// The size is zero or below the market's minimum order size.
    InvalidSize = 11: "size must be at least the market's minimum order size",
    /// A post-only order would trade at once.
    PostOnlyWouldCross = 12: "post-only order would cross the book",
    /// A fill-or-kill order cannot fill entirely now.
    FillOrKillUnfillable = 13: "fill-or-kill order cannot be filled entirely",
    /// No such open order of this subaccount.
    OrderNotFound = 14: "order not found",
    /// The client order id is already used by an open order of this subaccount.
    DuplicateClientOrderId = 15: "client order id already in use",
    /// A reduce-only order would open or increase a position.
    ReduceOnlyWouldIncrease = 16: "reduce-only order would increase the position",
    /// The market's open-interest cap would be exceeded.
    OpenInterestCapExceeded = 17: "open interest cap exceeded",
    /// The oracle price is stale, uncertain or moving too fast: only risk-reducing actions pass.
    OraclePriceInvalid = 18: "oracle price invalid: only risk-reducing actions are accepted",
    /// The sender is not a registered oracle publisher.
    NotPublisher = 19: "sender is not a registered price publisher",
    /// The price report is older than the last one or too far from the block time.
    StalePriceReport = 20: "price report is stale or from the future",
    /// The subaccount is isolated to another market, or holds a non-quote asset.
    IsolatedMarketMismatch = 21: "isolated subaccount trades one market with quote collateral only",
    /// Margin mode can change only with no positions and no open orders.
    MarginModeNotFlat = 22: "margin mode changes need a flat subaccount with no open orders",
    /// Source and destination are the same subaccount.
    SameSubaccount = 23: "source and destination are the same subaccount",
    /// A number left the supported range.
    ArithmeticOverflow = 24: "arithmetic overflow",
    /// Too many open orders for the subaccount.
    TooManyOpenOrders = 25: "too many open orders",
    /// Too many positions or assets in the subaccount.
    TooManyPositions = 26: "too many positions in one subaccount",
    /// A market order found no mark price or nothing to trade against.
    NoLiquidity = 27: "no liquidity within the slippage bound",
    /// Modify cannot change the side; the new size or price is invalid.
    InvalidModify = 28: "modify needs a positive size and price",
    /// The subaccount number is out of range.
    InvalidSubaccount = 29: "subaccount number out of range",
    /// A batch is empty or larger than the maximum.
    BadBatchSize = 30: "a batch carries between 1 and the maximum number of order actions",
    /// Bad debt is pending: withdrawals wait until it is covered.
    BadDebtPending = 31: "withdrawals are paused while booked bad debt is not yet covered",
    /// A trigger order's price or order is invalid.
    InvalidTrigger = 32: "trigger orders need a positive trigger price and a market, IOC or GTC order",
    /// The agent key is not authorised by the sender.
    UnauthorizedAgent = 33: "the signing agent is not authorised by this account",
    /// An agent key may only trade and deposit.
    AgentNotAllowed = 34: "agent keys may trade but never withdraw, transfer or manage agents",
    /// The series has reached its expiry: it takes no more orders and settles.
    MarketExpired = 35: "the series has expired: it takes no more orders",
    /// A volatility smile has invalid parameters or static arbitrage (butterfly, wing bound).
    InvalidVolSurface = 36: "volatility smile has invalid parameters or static arbitrage",
    /// No listed option series of this underlying expires at the given time.
    UnknownExpiry = 37: "no listed option series of this underlying expires then",
    /// Portfolio margin is for cross-margin subaccounts only.
    PortfolioMarginNotAllowed = 38: "portfolio margin is for cross-margin subaccounts only",
    /// The chain holds less of the asset than the withdrawal asks for.
    InsufficientReserves = 39: "the chain's reserves of this asset do not cover the withdrawal",
    /// The order's price lies outside the market's band around its mark.
    PriceOutsideBand = 40: "order price outside the market's price band around the mark",
    /// A decimal price (a Hyperliquid order's) is not a whole number of the market's ticks.
    OffTickPrice = 41: "price must be divisible by the market's tick size",
    /// A decimal size (a Hyperliquid order's) is not a whole number of the market's lots.
    OffLotSize = 42: "size must be a whole number of the market's lots",
    /// A Hyperliquid agent key acts for one account; another account already approved it.
    AgentBoundElsewhere = 43: "this agent key already acts for another account",
    /// novation withdraws to the account's own address only.
    WithdrawDestination = 44: "withdrawals go to the account's own address",
    /// A Hyperliquid nonce lies outside the window around the block time.
    NonceOutsideWindow = 45: "nonce must be a millisecond time within the window around the block time",
    /// A Hyperliquid nonce was used already, or is not above the smallest of the signer's
    /// 100 highest nonces.
    NonceAlreadyUsed = 46: "nonce already used, or not above the smallest of the signer's 100 highest",
    /// The block is later than the action's own expiry (Hyperliquid's `expiresAfter`).
    ActionExpired = 47: "the action expired before it reached a block",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{:03} {}", self.code(), self.message())
    }
}

impl std::error::Error for ErrorCode {}
