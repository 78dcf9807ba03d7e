//! Portfolio-margin parameters of one underlying: the scenario grid, the volatility shocks,
//! the haircut on positive expiry values, the per-expiry basis check, the contingencies and
//! the initial factor. The chain has one default set (`DerivativesParams::portfolio`); an
//! asset may carry its own (`AssetParams::portfolio_margin`), which then applies to every
//! position on that underlying.
//!
//! The defaults follow Derive's published Portfolio Margin Risk Manager (derivexyz/v2-core,
//! `PMRMLib.sol` and the mainnet parameters in `scripts/config-mainnet.sol`), with two
//! stricter choices: the grid keeps the ±40% extended moves, and the volatility shocks reach
//! at least ×2 up and ×0.5 down at every expiry (Derive's long-dated shocks are milder).

use novation_math::Ppm;
use serde::{Deserialize, Serialize};

use super::validate::GenesisError;

/// How portfolio margin revalues one underlying's positions (see `docs/margin.md`).
///
/// Scenarios: the index moves by 0, ±1/4, ±1/2, ±3/4 and ±1 of `spot_range`, each with
/// every expiry's volatility shocked up and down (18), plus ±`extreme_move` at unchanged
/// volatility whose loss counts at `extreme_cover` (2). A series with T years to expiry has
/// the shock scale `m = (vol_reference_days / max(days, vol_floor_days))^p`, with
/// `p = vol_short_power` up to the reference and `vol_long_power` beyond; volatility is
/// multiplied by `1 + max(vol_up_min, vol_up_range × m)` up and by
/// `max(0, 1 − max(vol_down_min, vol_down_range × m))` down, never below `min_vol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioMarginParams {
    /// Largest regular index move, as a fraction.
    pub spot_range: Ppm,
    /// Up shock per unit of shock scale (Derive's `volRangeUp`).
    pub vol_up_range: Ppm,
    /// Smallest up shock at any expiry (the multiplier is at least 1 + this).
    pub vol_up_min: Ppm,
    /// Down shock per unit of shock scale (Derive's `volRangeDown`).
    pub vol_down_range: Ppm,
    /// Smallest down shock at any expiry (the multiplier is at most 1 − this).
    pub vol_down_min: Ppm,
    /// Days to expiry at which the shock scale is 1.
    pub vol_reference_days: u32,
    /// Shorter expiries count as this many days at least (Derive's `dteFloor`).
    pub vol_floor_days: u32,
    /// Exponent of the shock scale up to the reference expiry.
    pub vol_short_power: Ppm,
    /// Exponent of the shock scale beyond the reference expiry.
    pub vol_long_power: Ppm,
    /// Smallest volatility a down shock may reach.
    pub min_vol: Ppm,
    /// The extended index move, as a fraction.
    pub extreme_move: Ppm,
    /// Share of the extended moves' loss that counts.
    pub extreme_cover: Ppm,
    /// The per-expiry basis check moves each expiry's forward by ± this on its own.
    pub basis_move: Ppm,
    /// Its loss is multiplied by 1 + this × years to expiry.
    pub basis_time_factor: Ppm,
    /// A positive expiry value counts at this weight in every scenario …
    pub positive_value_weight: Ppm,
    /// … times e^(−this × years to expiry).
    pub positive_value_rate: Ppm,
    /// Charge per naked short option contract, as a fraction of the index (a short is
    /// covered only by a long at the same strike and expiry).
    pub naked_short_charge: Ppm,
    /// Charge per perpetual or future contract held, as a fraction of the index.
    pub linear_charge: Ppm,
    /// Initial requirement = maintenance requirement × this (at least 1).
    pub initial_factor: Ppm,
}

impl Default for PortfolioMarginParams {
    fn default() -> Self {
        PortfolioMarginParams {
            spot_range: Ppm::new(200_000),
            vol_up_range: Ppm::new(600_000),
            vol_up_min: Ppm::new(1_000_000),
            vol_down_range: Ppm::new(300_000),
            vol_down_min: Ppm::new(500_000),
            vol_reference_days: 30,
            vol_floor_days: 1,
            vol_short_power: Ppm::new(300_000),
            vol_long_power: Ppm::new(130_000),
            min_vol: Ppm::new(10_000),
            extreme_move: Ppm::new(400_000),
            extreme_cover: Ppm::new(330_000),
            basis_move: Ppm::new(50_000),
            basis_time_factor: Ppm::new(1_200_000),
            positive_value_weight: Ppm::new(950_000),
            positive_value_rate: Ppm::new(120_000),
            naked_short_charge: Ppm::new(20_000),
            linear_charge: Ppm::new(30_000),
            initial_factor: Ppm::new(1_250_000),
        }
    }
}

impl PortfolioMarginParams {
    /// Checks every range (the bounds keep every scenario value finite and every factor sane).
    pub fn validate(&self, name: &str) -> Result<(), GenesisError> {
        let within = |p: Ppm, low: i64, high: i64| (low..=high).contains(&p.0);
        let ok = within(self.spot_range, 1, 900_000)
            && self.extreme_move >= self.spot_range
            && within(self.extreme_move, 1, 900_000)
            && within(self.extreme_cover, 0, 1_000_000)
            && within(self.vol_up_range, 0, 2_000_000)
            && within(self.vol_up_min, 0, 4_000_000)
            && within(self.vol_down_range, 0, 1_000_000)
            && within(self.vol_down_min, 0, 1_000_000)
            && (1..=365).contains(&self.vol_reference_days)
            && (1..=self.vol_reference_days).contains(&self.vol_floor_days)
            && within(self.vol_short_power, 0, 500_000)
            && within(self.vol_long_power, 0, 500_000)
            && within(self.min_vol, 1, 1_000_000)
            && within(self.basis_move, 0, 500_000)
            && within(self.basis_time_factor, 0, 5_000_000)
            && within(self.positive_value_weight, 1, 1_000_000)
            && within(self.positive_value_rate, 0, 5_000_000)
            && within(self.naked_short_charge, 0, 1_000_000)
            && within(self.linear_charge, 0, 1_000_000)
            && within(self.initial_factor, 1_000_000, 4_000_000);
        if ok {
            Ok(())
        } else {
            Err(GenesisError(format!("{name}: portfolio margin parameters out of range")))
        }
    }
}
