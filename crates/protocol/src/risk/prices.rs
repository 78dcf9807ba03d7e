//! Per-block risk values derived from oracle prices and marks.

use novation_math::{Black76Inputs, Decimal, OptionKind, Ppm, Rounding};
use novation_types::QuoteRaw;

use novation_types::AssetId;

use super::scenarios::{self, ExpiryShock, ScenarioForwards, ScenarioPrices, BASIS_MOVES, SCENARIOS};
use crate::derivatives::OptionInputs;
use crate::markets::MarketState;
use crate::params::{MarketKind, MarketParams, OptionMarginParams, OptionRight, PortfolioMarginParams};
use crate::state::State;

/// Values of one smallest unit of an asset, in raw quote decimals (10^-18 quote).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AssetRisk {
    /// The price may be used to add risk.
    pub(crate) valid: bool,
    /// Unweighted value, rounded down.
    pub(crate) unit_value: QuoteRaw,
    /// Weighted for initial margin (positive balances), rounded down.
    pub(crate) asset_initial: QuoteRaw,
    /// Weighted for maintenance margin (positive balances), rounded down.
    pub(crate) asset_maintenance: QuoteRaw,
    /// Weighted for initial margin (negative balances), rounded up.
    pub(crate) liability_initial: QuoteRaw,
    /// Weighted for maintenance margin (negative balances), rounded up.
    pub(crate) liability_maintenance: QuoteRaw,
}

/// Value of one lot of a market at mark, in raw quote decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MarketRisk {
    /// The prices behind the mark (index; for options also the smile) may be used to add risk.
    pub(crate) valid: bool,
    /// Mark × lot size, rounded down (the same for longs and shorts, so PnL stays zero-sum).
    pub(crate) lot_value: QuoteRaw,
    /// Tick size × lot size: the quote value of one lot at one tick (exact).
    pub(crate) tick_lot_value: QuoteRaw,
    /// The lowest and highest price (in ticks) an order or fill may have this block: the
    /// mark ± the price band (`None` without a mark).
    pub(crate) band_ticks: Option<(u64, u64)>,
    /// The market's cumulative funding index (raw quote per lot).
    pub(crate) funding_index: i128,
    /// Share of unrealised profit that counts toward initial margin.
    pub(crate) profit_weight: Ppm,
    /// Profit at which that share is halved (raw quote; `None`: it never shrinks).
    pub(crate) profit_half_weight: Option<i128>,
    /// Stable price × lot size, rounded down: initial margin values positions at the worse
    /// of this and `lot_value`.
    pub(crate) stable_lot_value: QuoteRaw,
    /// Open interest (lots) and its notional at mark when this block's prices were set: what
    /// concentration is measured against.
    pub(crate) open_interest_notional: i128,
    /// Concentration factor and reference notional (raw quote).
    pub(crate) concentration: (Ppm, i128),
    /// Option series only: the standard requirements of one short lot.
    pub(crate) option: Option<ShortOptionMargin>,
    /// Values of one lot under each portfolio-margin scenario (`None` without valid prices).
    pub(crate) scenario_values: Option<[i128; SCENARIOS]>,
    /// Values of one lot with its own expiry's forward moved up and down alone (the basis
    /// check; dated markets only).
    pub(crate) basis_values: [i128; BASIS_MOVES],
    /// The portfolio-margin weight of a positive expiry value and scale of the basis loss
    /// of the market's expiry.
    pub(crate) value_weight: Ppm,
    pub(crate) basis_factor: Ppm,
    /// Index × lot size, rounded up: what one lot's contingency charges are fractions of.
    pub(crate) index_lot_value: i128,
    /// The underlying's portfolio initial factor: a long option's initial requirement is
    /// its value × this, in both margin modes.
    pub(crate) long_option_factor: Ppm,
    /// Bits of the largest magnitude among the lot's scenario, basis and mark values: a
    /// position of `b` bits of lots with `b + value_bits <= 126` values below 2^126 in
    /// every scenario, so its products need no overflow check.
    pub(crate) value_bits: u32,
    /// Option series only: Black-76 sensitivities of one whole contract at mark.
    pub(crate) greeks: Option<novation_math::Greeks>,
}

/// Standard margin of one short option lot, raw quote decimals, rounded up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ShortOptionMargin {
    pub(crate) initial_per_lot: i128,
    pub(crate) maintenance_per_lot: i128,
}

/// The portfolio-margin rules of one underlying that a health check applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct UnderlyingRisk {
    /// The scenarios (for their labels).
    pub(crate) grid: [scenarios::Scenario; SCENARIOS],
    /// Share of each scenario's loss that counts (regular 1, extended moves less).
    pub(crate) covers: [Ppm; SCENARIOS],
    /// Charge per naked short contract and per linear contract, as fractions of the index.
    pub(crate) naked_short_charge: Ppm,
    pub(crate) linear_charge: Ppm,
    /// Initial requirement as a multiple of the maintenance requirement.
    pub(crate) initial_factor: Ppm,
}

impl UnderlyingRisk {
    fn new(params: &PortfolioMarginParams) -> Self {
        let grid = scenarios::grid(params);
        UnderlyingRisk {
            grid,
            covers: grid.map(|s| s.cover),
            naked_short_charge: params.naked_short_charge,
            linear_charge: params.linear_charge,
            initial_factor: params.initial_factor,
        }
    }
}

/// What the markets of one revaluation share, each computed once: every (underlying,
/// expiry)'s shock (perpetuals: `None`), every underlying's rules and scenario forwards, and
/// the scenario prices of the twin (the put of a call, the call of a put) of every option
/// series priced, until it is priced in turn.
#[derive(Default)]
pub(crate) struct SharedValues {
    shocks: Vec<(AssetId, Option<u64>, Option<ExpiryShock>)>,
    underlyings: Vec<SharedUnderlying>,
    twins: Vec<Twin>,
}

/// One underlying's rules, and its scenario forwards once an option needs them.
struct SharedUnderlying {
    asset: AssetId,
    rules: UnderlyingRisk,
    forwards: Option<(Decimal, Option<ScenarioForwards>)>,
}

/// The scenario prices of an option series not priced yet, computed with its twin's.
struct Twin {
    underlying: AssetId,
    kind: OptionKind,
    inputs: Black76Inputs,
    prices: ScenarioPrices,
}

/// Twins kept waiting at most: series are listed call and put together, so few wait.
const MAX_TWINS: usize = 16;

impl SharedValues {
    fn shock(&mut self, state: &State, underlying: AssetId, expiry_ms: Option<u64>) -> Option<ExpiryShock> {
        if let Some((_, _, shock)) = self.shocks.iter().find(|(a, e, _)| *a == underlying && *e == expiry_ms) {
            return *shock;
        }
        let years = match expiry_ms {
            Some(expiry_ms) => crate::derivatives::years_to_expiry(state.clock.time_ms, expiry_ms),
            None => Decimal::ZERO,
        };
        let shock = ExpiryShock::new(state.params.portfolio_margin(underlying), years);
        self.shocks.push((underlying, expiry_ms, shock));
        shock
    }

    fn underlying(&mut self, state: &State, asset: AssetId) -> &mut SharedUnderlying {
        let slot = match self.underlyings.iter().position(|u| u.asset == asset) {
            Some(slot) => slot,
            None => {
                let rules = UnderlyingRisk::new(state.params.portfolio_margin(asset));
                self.underlyings.push(SharedUnderlying { asset, rules, forwards: None });
                self.underlyings.len() - 1
            }
        };
        &mut self.underlyings[slot]
    }

    /// The underlying's rules.
    fn rules(&mut self, state: &State, asset: AssetId) -> UnderlyingRisk {
        self.underlying(state, asset).rules
    }

    /// The scenario prices of one contract of an option series: what `option_lot_values`
    /// prices, priced together with its twin's.
    fn option_prices(
        &mut self,
        state: &State,
        underlying: AssetId,
        option: &OptionInputs,
        shock: &ExpiryShock,
    ) -> ScenarioPrices {
        let twin = |t: &Twin| t.underlying == underlying && t.kind == option.kind && t.inputs == option.inputs;
        if let Some(at) = self.twins.iter().position(twin) {
            return self.twins.swap_remove(at).prices;
        }
        let portfolio = state.params.portfolio_margin(underlying);
        let shared = self.underlying(state, underlying);
        let forward = option.inputs.forward;
        let forwards = match shared.forwards {
            Some((at, forwards)) if at == forward => forwards,
            _ => {
                let forwards = ScenarioForwards::new(forward, portfolio, &shared.rules.grid);
                shared.forwards = Some((forward, forwards));
                forwards
            }
        }?;
        let [call, put] = scenarios::call_put_prices(&option.inputs, portfolio, shock, &shared.rules.grid, &forwards);
        let (own, other, other_kind) = match option.kind {
            OptionKind::Call => (call, put, OptionKind::Put),
            OptionKind::Put => (put, call, OptionKind::Call),
        };
        if self.twins.len() < MAX_TWINS {
            self.twins.push(Twin { underlying, kind: other_kind, inputs: option.inputs, prices: other });
        }
        own
    }
}

/// Everything a health check needs about prices, for the current block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RiskPrices {
    pub(crate) assets: Vec<AssetRisk>,
    pub(crate) markets: Vec<MarketRisk>,
    /// Portfolio-margin rules of each underlying, indexed by asset id.
    pub(crate) portfolio: Vec<UnderlyingRisk>,
    /// The liquidation-end target above maintenance (the liquidation buffer).
    pub(crate) liquidation_buffer: Ppm,
}

impl RiskPrices {
    pub(crate) fn compute(state: &State) -> Self {
        let genesis = &state.params;
        let assets = genesis
            .assets
            .iter()
            .zip(&state.oracle.assets)
            .map(|(params, oracle)| {
                let Some(price) = oracle.index else {
                    return AssetRisk::default();
                };
                let unit = Decimal::from_raw(10i128.pow(params.decimals as u32));
                let floor = price.raw().checked_div(unit.raw()).unwrap_or(0);
                let ceil =
                    Decimal::from_raw(price.raw()).div_int(unit.raw(), Rounding::Ceil).map_or(i128::MAX, |d| d.raw());
                let weigh = |value: i128, weight: Ppm, rounding| weight.apply(value, rounding).unwrap_or(i128::MAX);
                AssetRisk {
                    valid: oracle.valid_price().is_some(),
                    unit_value: QuoteRaw(floor),
                    asset_initial: QuoteRaw(weigh(floor, params.weight_initial, Rounding::Floor)),
                    asset_maintenance: QuoteRaw(weigh(floor, params.weight_maintenance, Rounding::Floor)),
                    liability_initial: QuoteRaw(weigh(ceil, params.liability_weight_initial, Rounding::Ceil)),
                    liability_maintenance: QuoteRaw(weigh(ceil, params.liability_weight_maintenance, Rounding::Ceil)),
                }
            })
            .collect();
        let mut shared = SharedValues::default();
        let markets = genesis
            .markets
            .iter()
            .zip(&state.markets.states)
            .map(|(params, market)| market_risk(state, params, market, &mut shared, true))
            .collect();
        let portfolio = genesis.assets.iter().map(|asset| UnderlyingRisk::new(genesis.portfolio_margin(asset.id)));
        RiskPrices { assets, markets, portfolio: portfolio.collect(), liquidation_buffer: genesis.liquidation.buffer }
    }
}

/// The price band in ticks: mark ± band × reference, where the reference is the mark itself
/// for perpetuals and futures and the underlying's index for options (a premium moves with
/// the underlying, not with itself). The low end rounds up and the high end down, so the
/// band never widens; the low end is at least one tick. Perpetuals and futures are also
/// bounded to `risk.stable_band` around their stable price: a mark that ran further from it
/// than the stable price can follow leaves an empty band (low above high), and nothing
/// trades at such prices until the stable price catches up.
fn band_ticks(
    params: &MarketParams,
    mark: Option<Decimal>,
    index: Option<Decimal>,
    stable: Option<Decimal>,
) -> Option<(u64, u64)> {
    let mark = mark?;
    let reference = if params.kind.is_option() { index? } else { mark };
    let (low, high) = ticks_around(params, mark, params.price_band.apply_decimal(reference, Rounding::Floor).ok()?)?;
    let Some(stable) = stable.filter(|_| !params.kind.is_option()) else { return Some((low, high)) };
    let width = params.risk.stable_band.apply_decimal(stable, Rounding::Floor).ok()?;
    let (stable_low, stable_high) = ticks_around(params, stable, width)?;
    Some((low.max(stable_low), high.min(stable_high)))
}

/// `center` ± `width` in ticks, rounded inward, the low end at least one tick.
fn ticks_around(params: &MarketParams, center: Decimal, width: Decimal) -> Option<(u64, u64)> {
    let low = center.checked_sub(width).ok()?.max(Decimal::ZERO).to_units(params.tick_size, Rounding::Ceil).ok()?;
    let high = center.checked_add(width).ok()?.to_units(params.tick_size, Rounding::Floor).ok()?;
    let low = u64::try_from(low.max(1)).ok()?;
    let high = u64::try_from(high.max(0)).unwrap_or(u64::MAX);
    Some((low, high))
}

/// Whether `price_ticks` lies inside `market`'s band this block (no band without a mark; an
/// empty band admits nothing).
pub(crate) fn within_band(risk: &MarketRisk, price_ticks: u64) -> bool {
    risk.band_ticks.is_none_or(|(low, high)| (low..=high).contains(&price_ticks))
}

/// One market's risk values at this block's prices (`with_greeks`: also its Greeks).
pub(crate) fn market_risk(
    state: &State,
    params: &MarketParams,
    market: &MarketState,
    shared: &mut SharedValues,
    with_greeks: bool,
) -> MarketRisk {
    let risk = market_values(state, params, market, shared, with_greeks);
    let values = risk.scenario_values.unwrap_or_default();
    let largest =
        values.iter().chain(&risk.basis_values).fold(risk.lot_value.0.unsigned_abs(), |m, v| m.max(v.unsigned_abs()));
    MarketRisk { value_bits: u128::BITS - largest.leading_zeros(), ..risk }
}

fn market_values(
    state: &State,
    params: &MarketParams,
    market: &MarketState,
    shared: &mut SharedValues,
    with_greeks: bool,
) -> MarketRisk {
    let lot_value = market.mark.and_then(|m| m.mul(params.lot_size, Rounding::Floor).ok()).map_or(0, |v| v.raw());
    let stable_lot_value =
        market.stable_price.and_then(|m| m.mul(params.lot_size, Rounding::Floor).ok()).map_or(lot_value, |v| v.raw());
    let open_interest_notional = i128::from(market.open_interest_lots).saturating_mul(lot_value);
    let tick_lot_value = params.tick_size.mul(params.lot_size, Rounding::Floor).map_or(0, |v| v.raw());
    let index = &state.oracle.assets[params.base_asset.0 as usize];
    let live = market.settlement_price.is_none();
    let mut risk = MarketRisk {
        valid: live && index.valid_price().is_some() && market.mark.is_some(),
        lot_value: QuoteRaw(lot_value),
        tick_lot_value: QuoteRaw(tick_lot_value),
        funding_index: market.funding_index,
        profit_weight: params.unrealized_profit_weight,
        profit_half_weight: params.risk.profit_half_weight.map(|h| h.raw()),
        stable_lot_value: QuoteRaw(stable_lot_value),
        open_interest_notional,
        concentration: (params.risk.concentration_factor, params.risk.concentration_reference.raw()),
        band_ticks: band_ticks(params, market.mark, index.index, market.stable_price),
        basis_values: [lot_value; BASIS_MOVES],
        value_weight: Ppm::ONE,
        basis_factor: Ppm::ONE,
        index_lot_value: index.index.and_then(|i| i.mul(params.lot_size, Rounding::Ceil).ok()).map_or(0, |v| v.raw()),
        long_option_factor: state.params.portfolio_margin(params.base_asset).initial_factor,
        ..MarketRisk::default()
    };
    if !live {
        return risk;
    }
    let portfolio = state.params.portfolio_margin(params.base_asset);
    let rules = shared.rules(state, params.base_asset);
    let shock = shared.shock(state, params.base_asset, params.kind.expiry_ms());
    if let Some(shock) = shock {
        (risk.value_weight, risk.basis_factor) = (shock.value_weight, shock.basis_factor);
    }
    if !params.kind.is_option() {
        if let Some((values, basis)) = scenarios::linear_lot_values(lot_value, portfolio, &rules.grid) {
            risk.scenario_values = Some(values);
            if params.kind.expiry_ms().is_some() {
                risk.basis_values = basis;
            }
        }
        return risk;
    }
    let option = crate::derivatives::option_inputs(state, params.id);
    risk.valid &= option.is_some_and(|o| o.smile_valid) && market.implied_vol.is_some();
    if let (Some(option), Some(shock)) = (option, shock) {
        let prices = shared.option_prices(state, params.base_asset, &option, &shock);
        if let Some((values, basis)) = prices.and_then(|prices| scenarios::lot_values(&prices, params.lot_size)) {
            (risk.scenario_values, risk.basis_values) = (Some(values), basis);
        }
        if with_greeks {
            risk.greeks = novation_math::black76::greeks(&option.inputs, option.kind).ok();
        }
    }
    if let (Some(index), MarketKind::Option { strike, right, .. }) = (index.index, params.kind) {
        let formula = short_option_margin(&state.params.derivatives.option_margin, index, strike, right, params);
        let scenario = super::portfolio::single_short_lot(&risk, &rules);
        risk.option = formula.map(|f| match scenario {
            Some((initial, maintenance)) => ShortOptionMargin {
                initial_per_lot: f.initial_per_lot.max(initial),
                maintenance_per_lot: f.maintenance_per_lot.max(maintenance),
            },
            None => f,
        });
    }
    risk
}

/// Standard requirements of one short option lot at index `s`: per contract
/// max(fraction × S − OTM, minimum × S), at most the strike for a put.
fn short_option_margin(
    margin: &OptionMarginParams,
    s: Decimal,
    strike: Decimal,
    right: OptionRight,
    params: &MarketParams,
) -> Option<ShortOptionMargin> {
    let out_of_the_money = match right {
        OptionRight::Call => strike.checked_sub(s).ok()?,
        OptionRight::Put => s.checked_sub(strike).ok()?,
    }
    .max(Decimal::ZERO);
    let per_lot = |fraction: Ppm, minimum: Ppm| -> Option<i128> {
        let scaled = fraction.apply_decimal(s, Rounding::Ceil).ok()?.checked_sub(out_of_the_money).ok()?;
        let mut per_contract = scaled.max(minimum.apply_decimal(s, Rounding::Ceil).ok()?);
        if right == OptionRight::Put {
            per_contract = per_contract.min(strike);
        }
        Some(per_contract.mul(params.lot_size, Rounding::Ceil).ok()?.raw())
    };
    Some(ShortOptionMargin {
        initial_per_lot: per_lot(margin.initial, margin.initial_min)?,
        maintenance_per_lot: per_lot(margin.maintenance, margin.maintenance_min)?,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Revaluing markets in any order, sharing shocks, forwards and twins, gives each
        /// market exactly the block's table entry, and each option series the values of
        /// pricing it alone.
        #[test]
        fn shared_revaluation_equals_the_block_tables_and_series_by_series_pricing(
            order in Just((0..33usize).collect::<Vec<_>>()).prop_shuffle(),
            count in 1usize..=33,
        ) {
            let (state, markets) = super::super::coverage_tests::chain();
            let mut shared = SharedValues::default();
            for &m in order.iter().take(count) {
                let index = markets[m].0 as usize;
                let params = &state.params.markets[index];
                let fresh = market_risk(&state, params, &state.markets.states[index], &mut shared, false);
                let table = state.risk.markets[index];
                prop_assert_eq!(fresh, MarketRisk { greeks: None, ..table });
                if !params.kind.is_option() {
                    continue;
                }
                let portfolio = state.params.portfolio_margin(params.base_asset);
                let option = crate::derivatives::option_inputs(&state, params.id).unwrap();
                let years = crate::derivatives::years_to_expiry(state.clock.time_ms, params.kind.expiry_ms().unwrap());
                let shock = ExpiryShock::new(portfolio, years).unwrap();
                let grid = scenarios::grid(portfolio);
                let alone =
                    scenarios::option_lot_values(&option.inputs, option.kind, params.lot_size, portfolio, &shock, &grid);
                prop_assert!(alone.is_some());
                prop_assert_eq!(fresh.scenario_values.zip(Some(fresh.basis_values)), alone);
            }
        }
    }
}
