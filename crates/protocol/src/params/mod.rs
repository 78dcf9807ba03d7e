//! Chain parameters: assets, markets, oracle, margin tiers, funding, liquidation,
//! derivatives and limits. They are state: all of them are committed in the state root
//! (see `state_key.rs`), journaled like any other write, read through typed accessors that
//! refuse an unknown id, and changed through one function, [`crate::State::set_param`] (the one
//! governance calls). A genesis is simply the parameters a chain starts from.

mod change;
mod market_risk;
mod portfolio;
mod state_key;
mod validate;

pub use change::ParamChange;
pub(crate) use change::Undo;
pub use market_risk::{MarketRiskParams, MAX_STABLE_GROWTH};
pub use portfolio::PortfolioMarginParams;
pub use validate::GenesisError;

use novation_math::{Decimal, Ppm};
use novation_types::{Address, AssetId, ErrorCode, MarketId};
use serde::{Deserialize, Serialize};

/// A collateral asset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetParams {
    /// Its id (equal to its index in `Genesis::assets`).
    pub id: AssetId,
    /// Ticker, e.g. `BTC`.
    pub symbol: String,
    /// Smallest unit is 10^-decimals of a whole unit; balances are whole numbers of it.
    pub decimals: u8,
    /// Fraction of a positive balance's value that counts toward initial margin.
    pub weight_initial: Ppm,
    /// Fraction of a positive balance's value that counts toward maintenance margin.
    pub weight_maintenance: Ppm,
    /// Multiple (>= 1) of a negative balance's value counted as debt for initial margin.
    pub liability_weight_initial: Ppm,
    /// Multiple (>= 1) of a negative balance's value counted as debt for maintenance margin.
    pub liability_weight_maintenance: Ppm,
    /// Most of the asset the chain holds in deposits, in whole units.
    pub deposit_cap: Decimal,
    /// A fixed price (the quote currency is worth exactly 1); `None` uses the oracle.
    pub fixed_price: Option<Decimal>,
    /// Discount below the oracle price at which liquidation sells this collateral to the
    /// backstop to repay quote debt (at most 1 − the maintenance weight, so a sale never
    /// lowers maintenance health).
    #[serde(default = "default_liquidation_discount")]
    pub liquidation_discount: Ppm,
    /// Portfolio-margin parameters of positions on this underlying (`None`: the chain's
    /// default, `DerivativesParams::portfolio`).
    #[serde(default)]
    pub portfolio_margin: Option<PortfolioMarginParams>,
}

/// The collateral liquidation discount of an asset that does not set one: 2%.
pub fn default_liquidation_discount() -> Ppm {
    Ppm::new(20_000)
}

impl AssetParams {
    /// The asset's smallest unit, in whole units (10^-decimals): ledger balances count these.
    pub fn unit(&self) -> Decimal {
        Decimal::from_raw(10i128.pow(18 - self.decimals.min(18) as u32))
    }

    /// `units` smallest units as an amount in whole units (saturating at the range's edge).
    pub fn amount_of_units(&self, units: i128) -> Decimal {
        Decimal::from_raw(units.saturating_mul(self.unit().raw()))
    }
}

/// One margin tier: positions whose notional is at most `max_notional` use these fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarginTier {
    /// Upper bound (inclusive) of position notional in quote units for this tier.
    pub max_notional: Decimal,
    /// Initial margin fraction.
    pub initial: Ppm,
    /// Maintenance margin fraction (below `initial`).
    pub maintenance: Ppm,
}

/// Whether a market accepts orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum MarketStatus {
    /// Trading normally.
    Active,
    /// Only orders that reduce positions are accepted.
    ReduceOnly,
}

/// A market: a perpetual, a dated future or an option series (`kind`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarketParams {
    /// Its id (equal to its index in `Genesis::markets`).
    pub id: MarketId,
    /// Ticker, e.g. `BTC-PERP`.
    pub symbol: String,
    /// The asset whose oracle price is the index.
    pub base_asset: AssetId,
    /// Price step in quote per whole base unit.
    pub tick_size: Decimal,
    /// Size step in whole base units.
    pub lot_size: Decimal,
    /// Smallest order in lots.
    pub min_order_lots: u64,
    /// Margin tiers by position notional, ascending; the last must have `max_notional == Decimal::MAX`.
    pub margin_tiers: Vec<MarginTier>,
    /// Highest leverage allowed: every tier's initial fraction is at least 1 / max_leverage.
    pub max_leverage: u32,
    /// Cap on open interest (sum of long sizes) in lots.
    pub open_interest_cap_lots: u64,
    /// Maker fee rate (negative = rebate).
    pub maker_fee: Ppm,
    /// Taker fee rate.
    pub taker_fee: Ppm,
    /// Listing status.
    pub status: MarketStatus,
    /// Funding rules (perpetuals only).
    pub funding: FundingParams,
    /// What the market trades: a perpetual, a dated future or an option series.
    #[serde(default)]
    pub kind: MarketKind,
    /// Every order price and every fill lies within this fraction of the mark (for options,
    /// of the underlying's index) either side of the mark: off-market trades cannot move
    /// value between accounts.
    #[serde(default = "default_price_band")]
    pub price_band: Ppm,
    /// Share of a position's unrealised profit that counts toward initial margin (losses
    /// always count in full). Unrealised profit never backs a withdrawal or a transfer: it
    /// leaves the chain only once realised.
    #[serde(default = "default_unrealized_profit_weight")]
    pub unrealized_profit_weight: Ppm,
    /// Solvency rules: shrinking profit weight, stable price, concentration, the notional
    /// open-interest cap and the backstop's limits.
    #[serde(default)]
    pub risk: MarketRiskParams,
}

/// The unrealised-profit weight of a market that does not set one: 80%.
pub fn default_unrealized_profit_weight() -> Ppm {
    Ppm::new(800_000)
}

/// The price band of a market that does not set one: ±10%.
pub fn default_price_band() -> Ppm {
    Ppm::new(100_000)
}

/// What a market trades. Every kind trades on a central limit order book in lots of its
/// underlying (`base_asset`), priced in the quote currency per whole unit of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum MarketKind {
    /// A perpetual future: never expires, pays funding.
    #[default]
    Perpetual,
    /// A dated future: no funding; cash-settles at the settlement price at expiry.
    Future {
        /// Expiry, in ms since the Unix epoch.
        expiry_ms: u64,
    },
    /// A European option on the underlying, cash-settled at expiry for its intrinsic value at
    /// the settlement price; its price is the premium per whole unit of the underlying.
    Option {
        /// Expiry, in ms since the Unix epoch.
        expiry_ms: u64,
        /// Strike, in quote per whole unit of the underlying.
        strike: Decimal,
        /// Call or put.
        right: OptionRight,
    },
}

impl MarketKind {
    /// The expiry of a dated future or option.
    pub fn expiry_ms(&self) -> Option<u64> {
        match self {
            MarketKind::Perpetual => None,
            MarketKind::Future { expiry_ms } | MarketKind::Option { expiry_ms, .. } => Some(*expiry_ms),
        }
    }

    /// Whether this is an option series.
    pub fn is_option(&self) -> bool {
        matches!(self, MarketKind::Option { .. })
    }
}

/// The right an option grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum OptionRight {
    /// To receive max(S − K, 0) at expiry.
    Call,
    /// To receive max(K − S, 0) at expiry.
    Put,
}

impl OptionRight {
    /// The matching Black-76 kind.
    pub fn kind(self) -> novation_math::OptionKind {
        match self {
            OptionRight::Call => novation_math::OptionKind::Call,
            OptionRight::Put => novation_math::OptionKind::Put,
        }
    }
}

/// Rules for dated futures and options: settlement, the volatility surface and margin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivativesParams {
    /// The settlement price is the time-weighted average of the index over this final
    /// window before expiry.
    pub settlement_window_ms: u64,
    /// Continuously compounded annual rate that discounts option values (Black-76).
    pub rate: Decimal,
    /// Standard margin of short options.
    pub option_margin: OptionMarginParams,
    /// Portfolio margin of every underlying that does not set its own.
    pub portfolio: PortfolioMarginParams,
    /// Aggregation of published volatility smiles.
    pub surface: SurfaceParams,
}

/// Standard margin of a short option, per contract, with S the index and OTM the amount the
/// option is out of the money: `max(fraction × S − OTM, minimum × S)`, at most the strike
/// for a put. A long option needs its premium × the underlying's portfolio initial factor
/// for initial margin, and nothing for maintenance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionMarginParams {
    /// Initial fraction of the index.
    pub initial: Ppm,
    /// Initial floor, as a fraction of the index.
    pub initial_min: Ppm,
    /// Maintenance fraction of the index.
    pub maintenance: Ppm,
    /// Maintenance floor, as a fraction of the index.
    pub maintenance_min: Ppm,
}

/// How published volatility smiles become the surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurfaceParams {
    /// Fewest fresh smiles an aggregate needs.
    pub quorum: u32,
    /// A smile older than this is ignored, and a surface not refreshed for this long is stale.
    pub max_age_ms: u64,
}

impl Default for DerivativesParams {
    fn default() -> Self {
        DerivativesParams {
            settlement_window_ms: 30 * 60 * 1000,
            rate: Decimal::ZERO,
            option_margin: OptionMarginParams {
                initial: Ppm::new(150_000),
                initial_min: Ppm::new(100_000),
                maintenance: Ppm::new(75_000),
                maintenance_min: Ppm::new(50_000),
            },
            portfolio: PortfolioMarginParams::default(),
            surface: SurfaceParams { quorum: 1, max_age_ms: 60_000 },
        }
    }
}

/// How a perpetual's funding rate is set (after the widely used premium-index scheme:
/// rate = average premium + clamp(interest − average premium, ±clamp), capped per interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FundingParams {
    /// Length of a funding interval; funding is applied at its end.
    pub interval_ms: u64,
    /// Quote notional whose average fill price defines the impact bid and ask.
    pub impact_notional: Decimal,
    /// Interest component per interval.
    pub interest_per_interval: Ppm,
    /// Bound on (interest − premium).
    pub clamp: Ppm,
    /// Largest absolute rate per interval.
    pub cap_per_interval: Ppm,
}

/// Oracle rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleParams {
    /// Fewest fresh reports an aggregate needs.
    pub quorum: u32,
    /// A report older than this (relative to block time) is ignored; an index older than this is stale.
    pub max_age_ms: u64,
    /// A report stamped further than this after block time is rejected.
    pub max_future_ms: u64,
    /// Largest confidence / price before the price is too uncertain.
    pub max_confidence: Ppm,
    /// Largest |index - EMA| / EMA before the price is moving too fast.
    pub max_ema_deviation: Ppm,
    /// Weight of a new index in the EMA, per block.
    pub ema_alpha: Ppm,
    /// Weight of a new book-mid basis sample in the mark price's basis EMA, per block.
    pub basis_ema_alpha: Ppm,
    /// Largest |basis| the mark may carry, as a fraction of the index: the book can move the
    /// mark away from the oracle by at most this much.
    pub max_mark_basis: Ppm,
    /// Least share of the registered publishers' total weight whose fresh reports an
    /// aggregate needs, besides `quorum` reports by count (prices and smiles alike); 0 = off.
    /// A chain whose validators publish prices sets [`VALIDATOR_CHAIN_QUORUM_STAKE`], two
    /// thirds of stake, so no minority of validators can set a price alone.
    #[serde(default)]
    pub quorum_stake_ppm: Ppm,
}

/// The stake quorum for a chain whose validators publish its prices: two thirds of stake
/// (666,667 ppm). With less than a third of the stake faulty (consensus' own assumption),
/// honest validators then hold more than half the weight of every aggregate, so the
/// weighted median stays within the range of their reports.
pub const VALIDATOR_CHAIN_QUORUM_STAKE: Ppm = Ppm::new(666_667);

/// A registered price publisher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publisher {
    /// Its address (it signs price reports).
    pub address: Address,
    /// Its weight in the weighted median.
    pub weight: u32,
}

/// Bounds that keep every block's work bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Most actions in one transaction.
    pub max_actions_per_tx: usize,
    /// Most order actions in one batch.
    pub max_batch: usize,
    /// Most open orders per subaccount.
    pub max_open_orders: u32,
    /// Most positions (markets) and most assets held per subaccount.
    pub max_positions: usize,
    /// Highest subaccount number.
    pub max_subaccount: u16,
    /// Check conservation of value over every account at the end of every block.
    pub verify_conservation_each_block: bool,
}

/// The parameters a chain starts from.
pub type Genesis = ChainParams;

/// Every parameter of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainParams {
    /// The asset positions are quoted and settled in.
    pub quote_asset: AssetId,
    /// Collateral assets, indexed by id.
    pub assets: Vec<AssetParams>,
    /// Markets, indexed by id.
    pub markets: Vec<MarketParams>,
    /// Oracle rules.
    pub oracle: OracleParams,
    /// Price publishers.
    pub publishers: Vec<Publisher>,
    /// Bounds.
    pub limits: Limits,
    /// Liquidation rules.
    pub liquidation: LiquidationParams,
    /// Dated futures and options: settlement, volatility surface, option and portfolio margin.
    #[serde(default)]
    pub derivatives: DerivativesParams,
    /// Rules that list new dated series as time passes.
    #[serde(default)]
    pub series_schedules: Vec<SeriesSchedule>,
    /// How realised profit becomes withdrawable.
    #[serde(default)]
    pub settlement: SettlementParams,
    /// Which Hyperliquid signatures the chain accepts.
    #[serde(default)]
    pub hyperliquid: HyperliquidParams,
}

/// Which Hyperliquid network's signatures a chain accepts (docs/hyperliquid.md). An L1
/// action does not say which network it was signed for (the network is only inside the
/// signed hash), so a chain accepts exactly one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HyperliquidParams {
    /// The network whose signatures are accepted.
    pub network: HyperliquidNetwork,
}

/// A Hyperliquid network, as its signatures name it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HyperliquidNetwork {
    /// Testnet (L1 source `"b"`, `hyperliquidChain` `"Testnet"`): what Hyperliquid's SDKs sign
    /// against any URL but Hyperliquid's, and CCXT in sandbox mode. Nothing signed for
    /// Hyperliquid's mainnet ever verifies here.
    #[default]
    Testnet,
    /// Mainnet (L1 source `"a"`, `hyperliquidChain` `"Mainnet"`): for clients that cannot be
    /// switched to testnet signing. Requests that Hyperliquid's mainnet made public then
    /// verify here too, and act on the same addresses within the nonce window: choose it only
    /// for a chain whose accounts are not also Hyperliquid users' (a local devnet's).
    Mainnet,
}

/// How realised profit settles into what may leave the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettlementParams {
    /// Realised profit (and funding received) backs new risk at once but becomes
    /// withdrawable linearly over this much block time, so each subaccount's profit leaves
    /// the chain at a bounded rate per block (0: at once).
    pub profit_vesting_ms: u64,
}

impl Default for SettlementParams {
    fn default() -> Self {
        SettlementParams { profit_vesting_ms: 3_600_000 }
    }
}

/// A rolling listing of dated series on one underlying (for example weekly Friday 08:00 UTC
/// expiries, as on Deribit): at the end of every block, each expiry of the schedule that is
/// at least `min_lead_ms` away and among the next `expiries_ahead` is listed if it is not
/// already, with a future (if `future`) and calls and puts at `strikes_each_side` strikes
/// either side of the index rounded to `strike_step`. New series take their tick, lot,
/// tiers, fees and caps from the `template` market; options use `option_tick_size` and
/// `option_lot_size`. Listing waits for the underlying's first index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesSchedule {
    /// The underlying.
    pub underlying: AssetId,
    /// One expiry of the schedule (ms since the Unix epoch); the others are `interval_ms` apart.
    pub anchor_ms: u64,
    /// Time between expiries.
    pub interval_ms: u64,
    /// How many upcoming expiries are kept listed.
    pub expiries_ahead: u32,
    /// An expiry closer than this is not listed any more.
    pub min_lead_ms: u64,
    /// List a dated future per expiry.
    pub future: bool,
    /// Distance between option strikes (no options when `strikes_each_side` is 0).
    pub strike_step: Decimal,
    /// Option strikes either side of the at-the-money strike.
    pub strikes_each_side: u32,
    /// The market (a perpetual on the same underlying) whose parameters new series copy.
    pub template: MarketId,
    /// Premium tick of listed options.
    pub option_tick_size: Decimal,
    /// Contracts per lot of listed options.
    pub option_lot_size: Decimal,
}

/// How under-margined subaccounts are closed out (DESIGN §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiquidationParams {
    /// Most subaccounts liquidated per block; the rest carry over to the next block.
    pub max_per_block: u32,
    /// Penalty on the notional closed, paid to the insurance fund.
    pub fee: Ppm,
    /// Liquidation orders never trade further than this from mark.
    pub max_slippage: Ppm,
    /// Partial liquidation aims for equity of maintenance × (1 + buffer).
    pub buffer: Ppm,
    /// Below maintenance × this fraction, positions go straight to the backstop.
    pub backstop_threshold: Ppm,
    /// The backstop liquidator (its subaccount 0 takes over what the book cannot absorb).
    pub backstop: Address,
}

impl MarketParams {
    /// The margin tier whose bound covers a position of `notional` (raw quote decimals);
    /// the last tier is unbounded. The one tier lookup of the protocol.
    pub fn tier_for(&self, notional: i128) -> MarginTier {
        let found = self.margin_tiers.iter().find(|tier| notional <= tier.max_notional.raw());
        match found.or(self.margin_tiers.last()) {
            Some(tier) => *tier,
            // Validation requires a tier; without one, everything is margined in full.
            None => MarginTier { max_notional: Decimal::MAX, initial: Ppm::ONE, maintenance: Ppm::ONE },
        }
    }
}

impl ChainParams {
    /// The parameters of asset `id`.
    pub fn asset(&self, id: AssetId) -> Result<&AssetParams, ErrorCode> {
        self.assets.get(id.0 as usize).ok_or(ErrorCode::UnknownAsset)
    }

    /// The parameters of market `id`.
    pub fn market(&self, id: MarketId) -> Result<&MarketParams, ErrorCode> {
        self.markets.get(id.0 as usize).ok_or(ErrorCode::UnknownMarket)
    }

    /// The portfolio-margin parameters of positions on `underlying`.
    pub fn portfolio_margin(&self, underlying: AssetId) -> &PortfolioMarginParams {
        let own = self.assets.get(underlying.0 as usize).and_then(|asset| asset.portfolio_margin.as_ref());
        own.unwrap_or(&self.derivatives.portfolio)
    }

    /// The quote asset's parameters (validated to exist).
    pub fn quote(&self) -> Result<&AssetParams, ErrorCode> {
        self.asset(self.quote_asset)
    }
}
