//! Option marks: each block, every live option series is valued with Black-76 on the
//! index, with the volatility the surface gives its strike and expiry, discounted at the
//! derivatives rate. The time to expiry is counted in years of 365 days.
//!
//! Without a smile for its expiry a series keeps its last mark, or, before it ever had one,
//! its intrinsic value at the index; either way it is not valid for adding risk.

use novation_math::{log_moneyness, Black76Inputs, Decimal, OptionKind, Rounding};
use novation_types::{AssetId, Event, MarketId};

use crate::params::MarketKind;
use crate::state::State;

/// Milliseconds in a year of 365 days.
pub const MS_PER_YEAR: i128 = 365 * 24 * 60 * 60 * 1000;

/// Years from `now_ms` to `expiry_ms` (zero once expired).
pub fn years_to_expiry(now_ms: u64, expiry_ms: u64) -> Decimal {
    let ms = i64::try_from(expiry_ms.saturating_sub(now_ms)).unwrap_or(i64::MAX);
    Decimal::from_int(ms).div_int(MS_PER_YEAR, Rounding::HalfEven).unwrap_or_default()
}

/// What pricing one option series needs now, with whether the smile behind it is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OptionInputs {
    pub(crate) inputs: Black76Inputs,
    pub(crate) kind: OptionKind,
    pub(crate) smile_valid: bool,
}

/// The volatility the surface gives `strike` on `asset` for `expiry_ms` at the current index
/// and time (zero once expired); `None` without an index or a smile for that expiry.
pub(crate) fn surface_vol(state: &State, asset: AssetId, expiry_ms: u64, strike: Decimal) -> Option<Decimal> {
    let forward = state.oracle.assets.get(asset.0 as usize)?.index?;
    let svi = state.derivatives.surfaces.get(&(asset, expiry_ms))?.current?;
    let time_years = years_to_expiry(state.clock.time_ms, expiry_ms);
    if !time_years.is_positive() {
        return Some(Decimal::ZERO);
    }
    svi.implied_vol(log_moneyness(strike, forward).ok()?, time_years).ok()
}

/// The Black-76 inputs of option series `market` at volatility `vol`, the current index and
/// time; `None` for other kinds or without an index.
fn inputs_at(state: &State, market: MarketId, vol: Decimal) -> Option<OptionInputs> {
    let params = state.params.markets.get(market.0 as usize)?;
    let MarketKind::Option { expiry_ms, strike, right } = params.kind else { return None };
    let forward = state.oracle.assets.get(params.base_asset.0 as usize)?.index?;
    let time_years = years_to_expiry(state.clock.time_ms, expiry_ms);
    let inputs = Black76Inputs { forward, strike, vol, time_years, rate: state.params.derivatives.rate };
    let smile_valid =
        state.derivatives.surfaces.get(&(params.base_asset, expiry_ms)).is_some_and(|s| s.validity.is_valid());
    Some(OptionInputs { inputs, kind: right.kind(), smile_valid })
}

/// The inputs option series `market` was marked with this block (at the volatility stored
/// with its mark); `None` when it has no surface volatility.
pub(crate) fn option_inputs(state: &State, market: MarketId) -> Option<OptionInputs> {
    inputs_at(state, market, state.markets.states.get(market.0 as usize)?.implied_vol?)
}

/// End-of-block step: re-marks every live option series, emitting `MarkPrice` events.
pub(crate) fn update_option_marks(state: &mut State, events: &mut Vec<Event>) {
    for (index, params) in state.params.markets.iter().enumerate() {
        if !params.kind.is_option() || state.markets.states[index].settlement_price.is_some() {
            continue;
        }
        let MarketKind::Option { expiry_ms, strike, .. } = params.kind else { continue };
        let market = MarketId(index as u16);
        let priced = surface_vol(state, params.base_asset, expiry_ms, strike)
            .and_then(|vol| inputs_at(state, market, vol))
            .and_then(|o| Some((novation_math::black76::price(&o.inputs, o.kind).ok()?, o.inputs.vol)));
        let index_price = state.oracle.assets[params.base_asset.0 as usize].index;
        let intrinsic = index_price.map(|s| super::expiry::payoff(&params.kind, s));
        let state_market = &mut state.markets.states[index];
        match priced {
            Some((price, vol)) => {
                state_market.mark = Some(price);
                state_market.implied_vol = Some(vol);
            }
            None => {
                state_market.implied_vol = None;
                if state_market.mark.is_none() {
                    state_market.mark = intrinsic;
                }
            }
        }
        if let Some(mark) = state_market.mark {
            events.push(Event::MarkPrice { market, mark });
        }
    }
}
