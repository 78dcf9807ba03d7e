//! A market's solvency rules beyond its margin tiers: how far unrealised profit may back new
//! risk, how fast the stable price follows the mark, how concentration raises initial
//! margin, the open-interest cap in notional and the backstop's limits in the market.

use novation_math::{Decimal, Ppm};
use serde::{Deserialize, Serialize};

/// The fastest stable price: a million times itself per hour, which follows any mark within
/// one block (no damping).
pub const MAX_STABLE_GROWTH: Ppm = Ppm::new(1_000_000_000_000);

/// Per-market solvency rules (defaults: [`MarketRiskParams::default`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct MarketRiskParams {
    /// With H this amount of quote, a position's unrealised profit counts toward initial
    /// margin at the market's weight for its first H, at half the weight for the next 2H, and
    /// not at all beyond 3H, so a large paper profit cannot back unbounded new risk.
    /// `None`: no shrinking.
    pub profit_half_weight: Option<Decimal>,
    /// The stable price moves toward the mark by at most this fraction of itself per hour;
    /// initial margin values every position at the worse of mark and stable price, so a pump
    /// over minutes cannot be borrowed against. Above 1 it follows faster; at
    /// [`MAX_STABLE_GROWTH`] it follows the mark within a block.
    pub stable_growth_per_hour: Ppm,
    /// Every order price and fill of a perpetual or future also lies within this fraction of
    /// the stable price: trading pauses at prices the mark reached faster than the stable
    /// price can follow (liquidation then goes to the backstop and auto-deleveraging).
    pub stable_band: Ppm,
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
            stable_band: Ppm::new(250_000),
            concentration_factor: Ppm::new(200_000),
            concentration_reference: Decimal::from_int(10_000_000),
            open_interest_cap_notional: None,
            backstop_max_notional: None,
            backstop_max_open_interest_share: Ppm::new(250_000),
        }
    }
}
