//! The portfolio-margin scenario grid and the value of one lot of each market under it.
//!
//! Sixteen scenarios, after CME SPAN's risk arrays: the index moves by 0, ±1/3, ±2/3 and ±1
//! of `spot_range`, each with volatility shifted up and down (14), then ±`extreme_move` at
//! unchanged volatility (2), whose loss counts at `extreme_cover`. A perpetual or future lot
//! moves with the index; an option lot is repriced with Black-76 at the moved index and
//! shifted volatility (same strike, expiry and rate). The shift of a series is the base
//! shift times sqrt(`vol_reference_days` / days to expiry), capped at `max_vol_scale`:
//! short-dated volatility moves more.

use novation_math::{Black76Inputs, Decimal, Ppm, Rounding};

use crate::params::PortfolioMarginParams;

/// Scenarios in the grid.
pub(crate) const SCENARIOS: usize = 16;

/// Direction of a scenario's volatility shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VolShift {
    Up,
    Down,
    Unchanged,
}

/// One scenario: a relative index move, a volatility shift, and the share of its loss
/// that counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scenario {
    pub(crate) spot_move: Ppm,
    pub(crate) vol: VolShift,
    pub(crate) cover: Ppm,
}

/// The grid, in a fixed order: regular moves (+1/3, −1/3, +2/3, −2/3, +1, −1, 0 of the
/// range) with volatility up, the same with volatility down, then the two extreme moves.
pub(crate) fn grid(params: &PortfolioMarginParams) -> [Scenario; SCENARIOS] {
    let range = params.spot_range.0;
    let thirds = [range / 3, -range / 3, 2 * range / 3, -2 * range / 3, range, -range, 0];
    let regular = |index: usize| {
        let vol = if index < 7 { VolShift::Up } else { VolShift::Down };
        Scenario { spot_move: Ppm::new(thirds[index % 7]), vol, cover: Ppm::ONE }
    };
    std::array::from_fn(|index| match index {
        14 => Scenario { spot_move: params.extreme_move, vol: VolShift::Unchanged, cover: params.extreme_cover },
        15 => Scenario {
            spot_move: Ppm::new(-params.extreme_move.0),
            vol: VolShift::Unchanged,
            cover: params.extreme_cover,
        },
        index => regular(index),
    })
}

/// `value × (1 + move)`, rounded down.
fn moved(value: Decimal, spot_move: Ppm) -> Option<Decimal> {
    let shift = spot_move.apply_decimal(value, Rounding::Floor).ok()?;
    value.checked_add(shift).ok()
}

/// Values of one lot of a linear market (perpetual or future) under each scenario, from
/// its value at mark.
pub(crate) fn linear_lot_values(lot_value: i128, grid: &[Scenario; SCENARIOS]) -> Option<[i128; SCENARIOS]> {
    let mut values = [0i128; SCENARIOS];
    for (value, scenario) in values.iter_mut().zip(grid) {
        *value = moved(Decimal::from_raw(lot_value), scenario.spot_move)?.raw();
    }
    Some(values)
}

/// Price × lot size rounded down, as `Decimal::mul` with `Rounding::Floor` computes it, but
/// with one narrow division when the lot size divides one whole unit (10^-n lots do).
#[derive(Clone, Copy)]
struct LotValue {
    lot_size: Decimal,
    /// 10^18 / lot size raw, when exact.
    divisor: Option<i128>,
}

impl LotValue {
    fn new(lot_size: Decimal) -> Option<Self> {
        let raw = lot_size.raw();
        let divisor = (raw > 0 && Decimal::SCALE % raw == 0).then(|| Decimal::SCALE / raw);
        Some(LotValue { lot_size, divisor })
    }

    fn of(&self, price: Decimal) -> Option<i128> {
        match self.divisor {
            Some(divisor) => Some(price.raw().div_euclid(divisor)),
            None => Some(price.mul(self.lot_size, Rounding::Floor).ok()?.raw()),
        }
    }
}

/// The volatility shifts (up, down) of a series with `time_years` to expiry.
pub(crate) fn vol_shifts(params: &PortfolioMarginParams, time_years: Decimal) -> Option<(Decimal, Decimal)> {
    let reference = Decimal::from_int(params.vol_reference_days as i64).div_int(365, Rounding::HalfEven).ok()?;
    let cap = Decimal::from_raw(params.max_vol_scale.0 as i128 * 1_000_000_000_000);
    let scale = if time_years.is_positive() {
        reference.div(time_years, Rounding::HalfEven).ok()?.sqrt(Rounding::HalfEven).ok()?.min(cap)
    } else {
        cap
    };
    let shift = |base: Ppm| Decimal::from_raw(base.0 as i128 * 1_000_000_000_000).mul(scale, Rounding::HalfEven).ok();
    Some((shift(params.vol_up)?, shift(params.vol_down)?))
}

/// Values of one lot of an option series under each scenario (`inputs` at the mark).
pub(crate) fn option_lot_values(
    inputs: &Black76Inputs,
    kind: novation_math::OptionKind,
    lot_size: Decimal,
    params: &PortfolioMarginParams,
    grid: &[Scenario; SCENARIOS],
) -> Option<[i128; SCENARIOS]> {
    let (up, down) = vol_shifts(params, inputs.time_years)?;
    let min_vol = Decimal::from_raw(params.min_vol.0 as i128 * 1_000_000_000_000);
    let vol_up = inputs.vol.checked_add(up).ok()?;
    let vol_down = inputs.vol.checked_sub(down).ok()?.max(min_vol.min(inputs.vol));
    let pricer = novation_math::SeriesPricer::new(kind, inputs.strike, inputs.time_years, inputs.rate).ok()?;
    let per_lot = LotValue::new(lot_size)?;
    // Nine distinct index moves among the sixteen scenarios: each forward is computed once.
    let mut forwards: [(Ppm, Decimal); SCENARIOS] = [(Ppm::ZERO, inputs.forward); SCENARIOS];
    let mut distinct = 0;
    let mut values = [0i128; SCENARIOS];
    for (value, scenario) in values.iter_mut().zip(grid) {
        let forward = match forwards[..distinct].iter().find(|(spot_move, _)| *spot_move == scenario.spot_move) {
            Some((_, forward)) => *forward,
            None => {
                let forward = moved(inputs.forward, scenario.spot_move)?;
                forwards[distinct] = (scenario.spot_move, forward);
                distinct += 1;
                forward
            }
        };
        let vol = match scenario.vol {
            VolShift::Up => vol_up,
            VolShift::Down => vol_down,
            VolShift::Unchanged => inputs.vol,
        };
        *value = per_lot.of(pricer.price(forward, vol).ok()?)?;
    }
    Some(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::DerivativesParams;

    #[test]
    fn the_grid_has_fourteen_regular_and_two_extreme_scenarios() {
        let params = DerivativesParams::default().portfolio;
        let grid = grid(&params);
        assert_eq!(grid.iter().filter(|s| s.cover == Ppm::ONE).count(), 14);
        assert_eq!(grid[14].spot_move, params.extreme_move);
        assert_eq!(grid[15].spot_move.0, -params.extreme_move.0);
        assert!(grid.iter().any(|s| s.spot_move == params.spot_range && s.vol == VolShift::Down));
    }

    #[test]
    fn the_narrow_lot_value_equals_the_decimal_product() {
        for lot in ["0.01", "0.0001", "1", "0.3"] {
            let per_lot = LotValue::new(lot.parse().unwrap()).unwrap();
            for price in ["6870.123456789012345678", "0.000000000000000001", "-12.5", "99999.99"] {
                let price: Decimal = price.parse().unwrap();
                let expected = price.mul(lot.parse().unwrap(), Rounding::Floor).unwrap().raw();
                assert_eq!(per_lot.of(price), Some(expected), "{price} × {lot}");
            }
        }
    }

    #[test]
    fn short_expiries_get_larger_vol_shifts_up_to_the_cap() {
        let params = DerivativesParams::default().portfolio;
        let month = Decimal::from_int(30).div_int(365, Rounding::HalfEven).unwrap();
        let (up, _) = vol_shifts(&params, month).unwrap();
        assert_eq!(up, "0.15".parse().unwrap());
        let day = Decimal::from_int(1).div_int(365, Rounding::HalfEven).unwrap();
        let (up_day, _) = vol_shifts(&params, day).unwrap();
        assert_eq!(up_day, "0.45".parse().unwrap());
    }
}
