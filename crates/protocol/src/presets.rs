//! A ready-made genesis: the quote currency USD, BTC and ETH as collateral, and the
//! BTC-PERP and ETH-PERP markets. Used by the devnet, tests and benchmarks; every number is
//! a parameter a governor could choose differently.

use novation_math::{Decimal, Ppm};
use novation_types::{Address, AssetId, MarketId};

use crate::params::{
    AssetParams, DerivativesParams, FundingParams, Genesis, Limits, LiquidationParams, MarginTier, MarketKind,
    MarketParams, MarketStatus, OptionRight, OracleParams, Publisher,
};

/// Asset id of USD, the quote currency.
pub const USD: AssetId = AssetId(0);
/// Asset id of BTC.
pub const BTC: AssetId = AssetId(1);
/// Asset id of ETH.
pub const ETH: AssetId = AssetId(2);
/// The backstop liquidator's address in the example genesis.
pub const BACKSTOP: Address = Address([0xBB; 20]);
/// Market id of BTC-PERP.
pub const BTC_PERP: MarketId = MarketId(0);
/// Market id of ETH-PERP.
pub const ETH_PERP: MarketId = MarketId(1);

fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

fn collateral(id: AssetId, symbol: &str, initial: i64, maintenance: i64, cap: &str) -> AssetParams {
    AssetParams {
        id,
        symbol: symbol.into(),
        decimals: 8,
        weight_initial: Ppm::new(initial),
        weight_maintenance: Ppm::new(maintenance),
        liability_weight_initial: Ppm::new(2_000_000 - initial),
        liability_weight_maintenance: Ppm::new(2_000_000 - maintenance),
        deposit_cap: dec(cap),
        fixed_price: None,
        liquidation_discount: crate::params::default_liquidation_discount(),
        portfolio_margin: None,
    }
}

fn tiers() -> Vec<MarginTier> {
    let tier = |max: Decimal, initial, maintenance| MarginTier {
        max_notional: max,
        initial: Ppm::new(initial),
        maintenance: Ppm::new(maintenance),
    };
    vec![
        tier(dec("1000000"), 50_000, 30_000),
        tier(dec("5000000"), 100_000, 60_000),
        tier(Decimal::MAX, 200_000, 120_000),
    ]
}

fn perp(id: MarketId, symbol: &str, base: AssetId, tick: &str, lot: &str) -> MarketParams {
    MarketParams {
        id,
        symbol: symbol.into(),
        base_asset: base,
        tick_size: dec(tick),
        lot_size: dec(lot),
        min_order_lots: 1,
        margin_tiers: tiers(),
        max_leverage: 20,
        open_interest_cap_lots: 1_000_000_000_000,
        maker_fee: Ppm::new(-100),
        taker_fee: Ppm::new(500),
        status: MarketStatus::Active,
        funding: FundingParams {
            interval_ms: 3_600_000,
            impact_notional: dec("10000"),
            interest_per_interval: Ppm::new(13),
            clamp: Ppm::new(500),
            cap_per_interval: Ppm::new(7_500),
        },
        kind: MarketKind::Perpetual,
        price_band: crate::params::default_price_band(),
        unrealized_profit_weight: crate::params::default_unrealized_profit_weight(),
        // Deep markets: concentration is measured against at least 100M of open interest.
        risk: crate::params::MarketRiskParams {
            concentration_reference: Decimal::from_int(100_000_000),
            ..crate::params::MarketRiskParams::default()
        },
    }
}

impl Genesis {
    /// USD, BTC, ETH; BTC-PERP (tick 0.1 USD, lot 0.0001 BTC) and ETH-PERP (tick 0.01 USD,
    /// lot 0.001 ETH), up to 20x with margin tiers at 1M and 5M USD of notional; maker
    /// rebate 0.01%, taker fee 0.05%; the given price publishers with equal weight.
    pub fn example(publishers: &[Address]) -> Genesis {
        let usd = AssetParams {
            id: USD,
            symbol: "USD".into(),
            decimals: 18,
            weight_initial: Ppm::ONE,
            weight_maintenance: Ppm::ONE,
            liability_weight_initial: Ppm::ONE,
            liability_weight_maintenance: Ppm::ONE,
            deposit_cap: dec("100000000000"),
            fixed_price: Some(Decimal::ONE),
            liquidation_discount: Ppm::ZERO,
            portfolio_margin: None,
        };
        Genesis {
            quote_asset: USD,
            assets: vec![
                usd,
                collateral(BTC, "BTC", 900_000, 950_000, "100000"),
                collateral(ETH, "ETH", 850_000, 900_000, "1000000"),
            ],
            markets: vec![
                perp(BTC_PERP, "BTC-PERP", BTC, "0.1", "0.0001"),
                perp(ETH_PERP, "ETH-PERP", ETH, "0.01", "0.001"),
            ],
            oracle: OracleParams {
                quorum: publishers.len().div_ceil(2).max(1) as u32,
                max_age_ms: 10_000,
                max_future_ms: 2_000,
                max_confidence: Ppm::new(10_000),
                max_ema_deviation: Ppm::new(100_000),
                ema_alpha: Ppm::new(100_000),
                basis_ema_alpha: Ppm::new(50_000),
                max_mark_basis: Ppm::new(5_000),
                quorum_stake_ppm: Ppm::ZERO,
            },
            publishers: publishers.iter().map(|address| Publisher { address: *address, weight: 1 }).collect(),
            liquidation: LiquidationParams {
                max_per_block: 1_000,
                fee: Ppm::new(10_000),
                max_slippage: Ppm::new(50_000),
                buffer: Ppm::new(200_000),
                backstop_threshold: Ppm::new(666_667),
                backstop: BACKSTOP,
            },
            limits: Limits {
                max_actions_per_tx: 64,
                max_batch: 64,
                max_open_orders: 512,
                max_positions: 16,
                max_subaccount: 127,
                verify_conservation_each_block: true,
            },
            derivatives: DerivativesParams::default(),
            series_schedules: Vec::new(),
            settlement: crate::params::SettlementParams::default(),
            hyperliquid: crate::params::HyperliquidParams::default(),
        }
    }

    /// Lists a dated future on `base` expiring at `expiry_ms` (same steps, tiers and fees as
    /// the perpetual on `base`); returns its market id.
    pub fn list_future(&mut self, base: AssetId, expiry_ms: u64) -> MarketId {
        let (tick, lot) = steps(base);
        self.list(base, MarketKind::Future { expiry_ms }, tick, lot)
    }

    /// Lists a European option on `base` (premium tick 0.1, lot 0.01 of the underlying);
    /// returns its market id.
    pub fn list_option(&mut self, base: AssetId, expiry_ms: u64, strike: Decimal, right: OptionRight) -> MarketId {
        self.list(base, MarketKind::Option { expiry_ms, strike, right }, "0.1", "0.01")
    }

    fn list(&mut self, base: AssetId, kind: MarketKind, tick: &str, lot: &str) -> MarketId {
        let id = MarketId(self.markets.len() as u16);
        let symbol = crate::derivatives::series_symbol(&self.assets[base.0 as usize].symbol, &kind);
        self.markets.push(MarketParams { kind, ..perp(id, &symbol, base, tick, lot) });
        id
    }
}

/// Tick and lot of the perpetual on `base`.
fn steps(base: AssetId) -> (&'static str, &'static str) {
    if base == BTC {
        ("0.1", "0.0001")
    } else {
        ("0.01", "0.001")
    }
}
