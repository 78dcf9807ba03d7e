//! The portfolio-margin scenario grid and the value of one lot of each market under it.
//!
//! Twenty scenarios: the index moves by 0, ±1/4, ±1/2, ±3/4 and ±1 of `spot_range`, each
//! with volatility shocked up and down (18), then ±`extreme_move` at unchanged volatility
//! (2), whose loss counts at `extreme_cover`. A perpetual or future lot moves with the
//! index; an option lot is repriced with Black-76 at the moved forward and shocked
//! volatility (same strike, expiry and rate). Volatility shocks multiply, and grow as expiry
//! nears (see [`ExpiryShock`]). Besides the grid, every dated lot is also valued with its
//! own expiry's forward moved by ±`basis_move` alone: the per-expiry basis check.

use novation_math::{Black76Inputs, Decimal, MathError, OptionKind, Ppm, PreparedForward, Rounding};

use crate::params::PortfolioMarginParams;

/// Scenarios in the grid.
pub(crate) const SCENARIOS: usize = 20;
/// Index moves of the regular scenarios (each with volatility up and with it down).
const MOVES: usize = 9;
/// The basis check's moves (up, down).
pub(crate) const BASIS_MOVES: usize = 2;

/// Direction of a scenario's volatility shock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VolShift {
    Up,
    Down,
    Unchanged,
}

/// One scenario: a relative index move, a volatility shock, and the share of its loss
/// that counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scenario {
    pub(crate) spot_move: Ppm,
    pub(crate) vol: VolShift,
    pub(crate) cover: Ppm,
}

impl Scenario {
    /// A short human label, e.g. `index -20%, vol up`.
    pub(crate) fn label(&self) -> String {
        let vol = match self.vol {
            VolShift::Up => "vol up",
            VolShift::Down => "vol down",
            VolShift::Unchanged => "vol unchanged",
        };
        let percent = Decimal::from_raw(self.spot_move.0 as i128 * 100_000_000_000_000);
        let sign = if percent.is_negative() { "" } else { "+" };
        format!("index {sign}{percent}%, {vol}")
    }
}

/// The grid, in a fixed order: regular moves (−1, −3/4, …, +1 of the range) with
/// volatility up, the same with volatility down, then the extended up and down moves.
pub(crate) fn grid(params: &PortfolioMarginParams) -> [Scenario; SCENARIOS] {
    let range = params.spot_range.0;
    let regular = |index: usize| {
        let vol = if index < MOVES { VolShift::Up } else { VolShift::Down };
        let quarters = (index % MOVES) as i64 - 4;
        Scenario { spot_move: Ppm::new(range * quarters / 4), vol, cover: Ppm::ONE }
    };
    std::array::from_fn(|index| match index {
        18 => Scenario { spot_move: params.extreme_move, vol: VolShift::Unchanged, cover: params.extreme_cover },
        19 => Scenario {
            spot_move: Ppm::new(-params.extreme_move.0),
            vol: VolShift::Unchanged,
            cover: params.extreme_cover,
        },
        index => regular(index),
    })
}

/// The basis check's moves: +`basis_move`, −`basis_move`.
fn basis_moves(params: &PortfolioMarginParams) -> [Ppm; BASIS_MOVES] {
    [params.basis_move, Ppm::new(-params.basis_move.0)]
}

/// What portfolio margin applies to every series of one expiry (T years away):
/// multiplicative volatility shocks, the weight of a positive expiry value and the scale of
/// the basis check's loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExpiryShock {
    /// Volatility is multiplied by this in the up scenarios.
    pub(crate) vol_up: Decimal,
    /// … and by this in the down scenarios.
    pub(crate) vol_down: Decimal,
    /// A positive expiry value counts at this weight: `positive_value_weight ×
    /// e^(−positive_value_rate × T)`, rounded down.
    pub(crate) value_weight: Ppm,
    /// The basis check's loss counts × this: `1 + basis_time_factor × T`, rounded up.
    pub(crate) basis_factor: Ppm,
}

impl ExpiryShock {
    /// The shock of an expiry `time_years` away (at most the floor when expired or closer).
    pub(crate) fn new(params: &PortfolioMarginParams, time_years: Decimal) -> Option<Self> {
        let years = |days: u32| Decimal::from_int(i64::from(days)).div_int(365, Rounding::HalfEven).ok();
        let (reference, floor) = (years(params.vol_reference_days)?, years(params.vol_floor_days)?);
        let power = if time_years <= reference { params.vol_short_power } else { params.vol_long_power };
        // scale = (reference / max(T, floor))^power = e^(power × ln(reference / max(T, floor))).
        let ratio = reference.div(time_years.max(floor), Rounding::HalfEven).ok()?;
        let exponent = ratio.ln().ok()?.mul(power.to_decimal(), Rounding::HalfEven).ok()?;
        let scale = exponent.exp().ok()?;
        let shock = |range: Ppm, min: Ppm| -> Option<Decimal> {
            Some(range.to_decimal().mul(scale, Rounding::HalfEven).ok()?.max(min.to_decimal()))
        };
        let vol_up = Decimal::ONE.checked_add(shock(params.vol_up_range, params.vol_up_min)?).ok()?;
        let vol_down = Decimal::ONE.checked_sub(shock(params.vol_down_range, params.vol_down_min)?).ok()?;
        let decay = params.positive_value_rate.to_decimal().mul(time_years.max(Decimal::ZERO), Rounding::Ceil).ok()?;
        let weight =
            params.positive_value_weight.to_decimal().mul(decay.checked_neg().ok()?.exp().ok()?, Rounding::Floor);
        let basis = params.basis_time_factor.apply(time_years.max(Decimal::ZERO).raw(), Rounding::Ceil).ok()?;
        Some(ExpiryShock {
            vol_up,
            vol_down: vol_down.max(Decimal::ZERO),
            value_weight: Ppm::new(i64::try_from(weight.ok()?.raw() / 1_000_000_000_000).ok()?),
            basis_factor: Ppm::new(1_000_000i64.checked_add(i64::try_from(ceil_to_ppm(basis)).ok()?)?),
        })
    }
}

/// A decimal's raw value (10^-18) in millionths, rounded up.
fn ceil_to_ppm(raw: i128) -> i128 {
    novation_math::div_i128(raw, 1_000_000_000_000, Rounding::Ceil).unwrap_or(i128::MAX)
}

/// `value × (1 + move)`, rounded down.
fn moved(value: Decimal, spot_move: Ppm) -> Option<Decimal> {
    let shift = spot_move.apply_decimal(value, Rounding::Floor).ok()?;
    value.checked_add(shift).ok()
}

/// Values of one lot of a linear market (perpetual or future) under each scenario and
/// under the basis check's moves, from its value at mark.
pub(crate) fn linear_lot_values(
    lot_value: i128,
    params: &PortfolioMarginParams,
    grid: &[Scenario; SCENARIOS],
) -> Option<([i128; SCENARIOS], [i128; BASIS_MOVES])> {
    let mut values = [0i128; SCENARIOS];
    for (value, scenario) in values.iter_mut().zip(grid) {
        *value = moved(Decimal::from_raw(lot_value), scenario.spot_move)?.raw();
    }
    let mut basis = [0i128; BASIS_MOVES];
    for (value, spot_move) in basis.iter_mut().zip(basis_moves(params)) {
        *value = moved(Decimal::from_raw(lot_value), spot_move)?.raw();
    }
    Some((values, basis))
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

/// The shocked volatilities (up, down) of a series at volatility `vol`.
pub(crate) fn shocked_vols(
    params: &PortfolioMarginParams,
    shock: &ExpiryShock,
    vol: Decimal,
) -> Option<(Decimal, Decimal)> {
    let floor = params.min_vol.to_decimal().min(vol);
    let up = vol.mul(shock.vol_up, Rounding::Ceil).ok()?;
    let down = vol.mul(shock.vol_down, Rounding::Floor).ok()?.max(floor);
    Some((up, down))
}

/// Values of one lot of an option series under each scenario and under the basis check's
/// moves (`inputs` at the mark), series by series: what [`call_put_prices`] and
/// [`lot_values`] compute for a call and its put at once.
#[cfg(test)]
pub(crate) fn option_lot_values(
    inputs: &Black76Inputs,
    kind: OptionKind,
    lot_size: Decimal,
    params: &PortfolioMarginParams,
    shock: &ExpiryShock,
    grid: &[Scenario; SCENARIOS],
) -> Option<([i128; SCENARIOS], [i128; BASIS_MOVES])> {
    let (vol_up, vol_down) = shocked_vols(params, shock, inputs.vol)?;
    let pricer = novation_math::SeriesPricer::new(kind, inputs.strike, inputs.time_years, inputs.rate).ok()?;
    let per_lot = LotValue::new(lot_size)?;
    // Eleven distinct index moves among the twenty scenarios: each forward is computed once.
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
    let mut basis = [0i128; BASIS_MOVES];
    for (value, spot_move) in basis.iter_mut().zip(basis_moves(params)) {
        *value = per_lot.of(pricer.price(moved(inputs.forward, spot_move)?, inputs.vol).ok()?)?;
    }
    Some((values, basis))
}

/// The scenario forwards of one underlying at one forward: the forward moved by each
/// scenario's and each basis move, prepared for pricing every series at them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScenarioForwards {
    forward: Decimal,
    scenarios: [PreparedForward; SCENARIOS],
    basis: [PreparedForward; BASIS_MOVES],
}

impl ScenarioForwards {
    /// `None` if a moved forward is out of range.
    pub(crate) fn new(forward: Decimal, params: &PortfolioMarginParams, grid: &[Scenario; SCENARIOS]) -> Option<Self> {
        let prepare = |spot_move: Ppm| moved(forward, spot_move).map(PreparedForward::new);
        let mut scenarios = [PreparedForward::new(forward); SCENARIOS];
        for (prepared, scenario) in scenarios.iter_mut().zip(grid) {
            *prepared = prepare(scenario.spot_move)?;
        }
        let mut basis = [PreparedForward::new(forward); BASIS_MOVES];
        for (prepared, spot_move) in basis.iter_mut().zip(basis_moves(params)) {
            *prepared = prepare(spot_move)?;
        }
        Some(ScenarioForwards { forward, scenarios, basis })
    }
}

/// Prices of one contract of an option series under each scenario and under the basis
/// check's moves (`None` if one of them fails).
pub(crate) type ScenarioPrices = Option<([Decimal; SCENARIOS], [Decimal; BASIS_MOVES])>;

/// The prices of one contract of the call and of the put (in that order) with the inputs
/// `inputs` under each scenario and basis move, `forwards` being those of `inputs.forward`:
/// one pass of the kernel for both. [`lot_values`] of either is what [`option_lot_values`]
/// returns for that kind.
pub(crate) fn call_put_prices(
    inputs: &Black76Inputs,
    params: &PortfolioMarginParams,
    shock: &ExpiryShock,
    grid: &[Scenario; SCENARIOS],
    forwards: &ScenarioForwards,
) -> [ScenarioPrices; 2] {
    let pricer = novation_math::SeriesPricer::new(OptionKind::Call, inputs.strike, inputs.time_years, inputs.rate);
    let (Some((vol_up, vol_down)), Ok(pricer)) = (shocked_vols(params, shock, inputs.vol), pricer) else {
        return [None, None];
    };
    debug_assert_eq!(forwards.forward, inputs.forward);
    let (mut calls, mut puts) = (Some([Decimal::ZERO; SCENARIOS]), Some([Decimal::ZERO; SCENARIOS]));
    for (index, (scenario, forward)) in grid.iter().zip(&forwards.scenarios).enumerate() {
        let vol = match scenario.vol {
            VolShift::Up => vol_up,
            VolShift::Down => vol_down,
            VolShift::Unchanged => inputs.vol,
        };
        let (call, put) = pricer.price_call_put(forward, vol);
        record(&mut calls, index, call);
        record(&mut puts, index, put);
    }
    let (mut call_basis, mut put_basis) = (Some([Decimal::ZERO; BASIS_MOVES]), Some([Decimal::ZERO; BASIS_MOVES]));
    for (index, forward) in forwards.basis.iter().enumerate() {
        let (call, put) = pricer.price_call_put(forward, inputs.vol);
        record(&mut call_basis, index, call);
        record(&mut put_basis, index, put);
    }
    [calls.zip(call_basis), puts.zip(put_basis)]
}

/// Stores `price` at `index`, or forgets every price once one fails.
fn record<const N: usize>(sink: &mut Option<[Decimal; N]>, index: usize, price: Result<Decimal, MathError>) {
    match (sink.as_mut(), price) {
        (Some(prices), Ok(price)) => prices[index] = price,
        _ => *sink = None,
    }
}

/// Values of one lot of `lot_size` contracts from the prices of one contract.
pub(crate) fn lot_values(
    prices: &([Decimal; SCENARIOS], [Decimal; BASIS_MOVES]),
    lot_size: Decimal,
) -> Option<([i128; SCENARIOS], [i128; BASIS_MOVES])> {
    let per_lot = LotValue::new(lot_size)?;
    let mut values = [0i128; SCENARIOS];
    for (value, price) in values.iter_mut().zip(&prices.0) {
        *value = per_lot.of(*price)?;
    }
    let mut basis = [0i128; BASIS_MOVES];
    for (value, price) in basis.iter_mut().zip(&prices.1) {
        *value = per_lot.of(*price)?;
    }
    Some((values, basis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn years(days: i64) -> Decimal {
        Decimal::from_int(days).div_int(365, Rounding::HalfEven).unwrap()
    }

    #[test]
    fn the_grid_has_eighteen_regular_and_two_extended_scenarios() {
        let params = PortfolioMarginParams::default();
        let grid = grid(&params);
        assert_eq!(grid.iter().filter(|s| s.cover == Ppm::ONE).count(), 18);
        assert_eq!(grid[0].spot_move, Ppm::new(-200_000));
        assert_eq!(grid[4].spot_move, Ppm::ZERO);
        assert_eq!(grid[17], Scenario { spot_move: params.spot_range, vol: VolShift::Down, cover: Ppm::ONE });
        assert_eq!(grid[18].spot_move, params.extreme_move);
        assert_eq!(grid[19].spot_move.0, -params.extreme_move.0);
        assert_eq!(grid[1].label(), "index -15%, vol up");
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
    fn short_expiries_get_multiplicative_shocks_as_derive_at_three_days() {
        let params = PortfolioMarginParams::default();
        // 3 days: scale (30/3)^0.3 = 1.995; up 1 + 0.6 × 1.995 = 2.197, down 1 − 0.599.
        let three = ExpiryShock::new(&params, years(3)).unwrap();
        assert!(three.vol_up > "2.19".parse().unwrap() && three.vol_up < "2.20".parse().unwrap(), "{three:?}");
        assert!(three.vol_down > "0.40".parse().unwrap() && three.vol_down < "0.41".parse().unwrap());
        // 30 days and beyond: the floors (×2 up, ×0.5 down) bind.
        let month = ExpiryShock::new(&params, years(30)).unwrap();
        assert_eq!((month.vol_up, month.vol_down), (Decimal::from_int(2), "0.5".parse().unwrap()));
        let year = ExpiryShock::new(&params, years(365)).unwrap();
        assert_eq!(year.vol_up, Decimal::from_int(2));
        // An hour counts as the one-day floor: (30/1)^0.3 = 2.773.
        let hour = ExpiryShock::new(&params, Decimal::from_raw(years(1).raw() / 24)).unwrap();
        let day = ExpiryShock::new(&params, years(1)).unwrap();
        assert_eq!((hour.vol_up, hour.vol_down), (day.vol_up, day.vol_down));
        assert!(hour.vol_up > "2.66".parse().unwrap() && hour.vol_down.is_positive());
    }

    proptest::proptest! {
        /// Pricing a call and its put together, over forwards prepared once, gives each
        /// exactly what pricing it alone gives (including the fallbacks outside the fast
        /// kernel's range and the failures).
        #[test]
        fn pricing_call_and_put_together_equals_pricing_each_alone(
            forward_cents in 1i128..20_000_000_000,
            moneyness_pct in 10i128..1_000,
            vol_bp in 1i128..60_000,
            days in 0i64..3_000,
            rate_bp in -2_000i128..2_000,
            lot in proptest::sample::select(vec!["0.01", "0.0001", "1", "0.3"]),
        ) {
            let params = PortfolioMarginParams::default();
            let grid = grid(&params);
            let forward = Decimal::from_raw(forward_cents * 10_000_000_000_000_000);
            let strike = Decimal::from_raw(forward.raw() / 100 * moneyness_pct);
            let inputs = Black76Inputs {
                forward,
                strike,
                vol: Decimal::from_raw(vol_bp * 100_000_000_000_000),
                time_years: years(days),
                rate: Decimal::from_raw(rate_bp * 100_000_000_000_000),
            };
            let lot_size: Decimal = lot.parse().unwrap();
            let shock = ExpiryShock::new(&params, inputs.time_years).unwrap();
            let together = ScenarioForwards::new(forward, &params, &grid).map(|forwards| {
                call_put_prices(&inputs, &params, &shock, &grid, &forwards)
                    .map(|prices| prices.and_then(|prices| lot_values(&prices, lot_size)))
            });
            let alone = [OptionKind::Call, OptionKind::Put]
                .map(|kind| option_lot_values(&inputs, kind, lot_size, &params, &shock, &grid));
            proptest::prop_assert_eq!(together.unwrap_or([None, None]), alone);
        }
    }

    #[test]
    fn positive_values_are_haircut_more_and_basis_losses_scaled_more_the_longer_the_expiry() {
        let params = PortfolioMarginParams::default();
        let now = ExpiryShock::new(&params, Decimal::ZERO).unwrap();
        assert_eq!((now.value_weight, now.basis_factor), (Ppm::new(950_000), Ppm::ONE));
        let year = ExpiryShock::new(&params, Decimal::ONE).unwrap();
        // 0.95 × e^−0.12 = 0.8425744…; 1 + 1.2 × 1.
        assert_eq!((year.value_weight, year.basis_factor), (Ppm::new(842_574), Ppm::new(2_200_000)));
    }
}
