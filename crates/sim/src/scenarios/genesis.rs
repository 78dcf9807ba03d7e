//! The chain a careful risk officer would list a thin market on: USD as quote, BTC as a
//! liquid collateral and market, and THIN — an illiquid token with an oracle price, a perpetual
//! at 5x leverage whose margin tiers rise to 50% / 25%, a tight open-interest cap, and no
//! collateral value at all. Scenarios add their own collateral assets with
//! [`collateral_asset`] and change what their story needs.

use novation_math::{Decimal, Ppm};
use novation_protocol::params::{AssetParams, Genesis, MarginTier, MarketParams, MarketRiskParams};
use novation_protocol::presets::{BTC, BTC_PERP};
use novation_types::{Address, AssetId, MarketId};

/// The thin token (asset id 3, after USD, BTC and ETH).
pub const THIN: AssetId = AssetId(3);
/// Its perpetual (market id 2, after BTC-PERP and ETH-PERP).
pub const THIN_PERP: MarketId = MarketId(2);
/// The liquid market.
pub const LIQUID_PERP: MarketId = BTC_PERP;
/// The liquid collateral and base asset.
pub const LIQUID: AssetId = BTC;
/// THIN's price when scenarios start, in USD.
pub const THIN_START_USD: &str = "1";
/// BTC's price when scenarios start, in USD.
pub const LIQUID_START_USD: &str = "100000";

/// A decimal from its text (scenario constants only).
pub fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|_| panic!("{text:?} is not a decimal"))
}

fn tier(max_notional: Decimal, initial: i64, maintenance: i64) -> MarginTier {
    MarginTier { max_notional, initial: Ppm::new(initial), maintenance: Ppm::new(maintenance) }
}

/// An oracle-priced collateral asset with initial / maintenance weights `weights_ppm`,
/// a deposit cap in whole units, and liability weights mirroring the weights.
pub fn collateral_asset(id: AssetId, symbol: &str, weights_ppm: (i64, i64), cap: &str) -> AssetParams {
    let (initial, maintenance) = weights_ppm;
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
        liquidation_discount: Ppm::new((1_000_000 - maintenance).min(50_000)),
        portfolio_margin: None,
    }
}

/// THIN-PERP: tick 0.0001 USD, lot 1 THIN, at most 5x, tiers 20%/10% up to 25,000 USD of
/// notional, 30%/15% up to 100,000 and 50%/25% above; open interest capped at 400,000 THIN
/// and 1,000,000 USD of notional; fills within ±5% of the mark; half of an unrealised profit
/// counts toward initial margin, shrinking to half of that at 50,000 USD of profit; the
/// stable price follows the mark by at most 5% an hour; concentration measured against
/// 1,000,000 USD of open interest; the backstop holds at most 250,000 USD of it.
pub fn thin_perp(template: &MarketParams) -> MarketParams {
    MarketParams {
        id: THIN_PERP,
        symbol: "THIN-PERP".into(),
        base_asset: THIN,
        tick_size: dec("0.0001"),
        lot_size: dec("1"),
        min_order_lots: 1,
        margin_tiers: vec![
            tier(dec("25000"), 200_000, 100_000),
            tier(dec("100000"), 300_000, 150_000),
            tier(Decimal::MAX, 500_000, 250_000),
        ],
        max_leverage: 5,
        open_interest_cap_lots: 400_000,
        price_band: Ppm::new(50_000),
        unrealized_profit_weight: Ppm::new(500_000),
        risk: MarketRiskParams {
            profit_half_weight: Some(dec("50000")),
            stable_growth_per_hour: Ppm::new(50_000),
            concentration_factor: Ppm::new(200_000),
            concentration_reference: dec("1000000"),
            open_interest_cap_notional: Some(dec("1000000")),
            backstop_max_notional: Some(dec("250000")),
            ..MarketRiskParams::default()
        },
        ..template.clone()
    }
}

/// The scenario chain: the example genesis (USD, BTC, ETH, BTC-PERP, ETH-PERP) with the given
/// publishers and backstop, BTC-PERP at 10x with an open-interest cap of 100 BTC, plus THIN
/// (collateral weight 0) and THIN-PERP.
pub fn risk_officer_genesis(publishers: &[Address], backstop: Address) -> Genesis {
    let mut genesis = Genesis::example(publishers);
    genesis.liquidation.backstop = backstop;
    let liquid = &mut genesis.markets[LIQUID_PERP.0 as usize];
    liquid.max_leverage = 10;
    liquid.margin_tiers = vec![
        tier(dec("2000000"), 100_000, 50_000),
        tier(dec("10000000"), 200_000, 100_000),
        tier(Decimal::MAX, 500_000, 250_000),
    ];
    liquid.open_interest_cap_lots = 1_000_000; // 100 BTC
    genesis.assets.push(collateral_asset(THIN, "THIN", (0, 0), "100000000"));
    let template = genesis.markets[LIQUID_PERP.0 as usize].clone();
    genesis.markets.push(thin_perp(&template));
    genesis
}
