//! A market's solvency rules beyond its margin tiers: how far unrealised profit may back new
//! risk, how fast the stable price follows the mark, how concentration raises initial
//! margin, the open-interest cap in notional and the backstop's limits in the market.

use novation_math::{Decimal, Ppm};
use serde::{Deserialize, Serialize};

/// Per-market solvency rules (defaults: [`MarketRiskParams::default`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarketRiskParams {
    /// Unrealised profit P counts toward initial margin as weight × P × H / (H + P) with H
    /// this amount of quote: half its weight at P = H, never more than weight × H in all, so
    /// a large paper profit cannot back unbounded new risk. `None`: no shrinking.
    pub profit_half_weight: Option<Decimal>,
    /// The stable price moves toward the mark by at most this fraction of itself per hour;
    /// initial margin values every position at the worse of mark and stable price, so a pump
    /// over minutes cannot be borrowed against.
    pub stable_growth_per_hour: Ppm,
    /// Concentration: a position's initial fraction rises by this × its share of the
    /// market's open interest (share = notional / max(open interest notional,
    /// `concentration_reference`), at most 1).
    pub concentration_factor: Ppm,
    /// The open-interest notional below which concentration is measured against this
    /// amount instead (a new or thin market does not make every trader "concentrated").
    pub concentration_reference: Decimal,
    /// Cap on open interest in quote notional at mark (`None`: only the cap in lots).
    pub open_interest_cap_notional: Option<Decimal>,
    /// Most notional the backstop may hold in this market (`None`: no notional limit).
    pub backstop_max_notional: Option<Decimal>,
    /// Largest share of the market's open interest the backstop may hold; what a takeover
    /// would put beyond its limits is auto-deleveraged at mark instead.
    pub backstop_max_open_interest_share: Ppm,
}

impl Default for MarketRiskParams {
    fn default() -> Self {
        MarketRiskParams {
            profit_half_weight: Some(Decimal::from_int(1_000_000)),
            stable_growth_per_hour: Ppm::new(50_000),
            concentration_factor: Ppm::new(200_000),
            concentration_reference: Decimal::from_int(10_000_000),
            open_interest_cap_notional: None,
            backstop_max_notional: None,
            backstop_max_open_interest_share: Ppm::new(250_000),
        }
    }
}
