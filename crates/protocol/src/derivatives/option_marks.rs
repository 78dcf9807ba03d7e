//! Option marks: each block, every live option series is valued with Black-76 on the
//! index, with the volatility the surface gives its strike and expiry, discounted at the
//! derivatives rate. The time to expiry is counted in years of 365 days.
//!
//! Without a smile for its expiry a series keeps its last mark, or, before it ever had one,
//! its intrinsic value at the index; either way it is not valid for adding risk.

use novation_math::{log_moneyness, Black76Inputs, Decimal, OptionKind, Rounding};
use novation_types::{Event, MarketId};

use crate::params::MarketKind;
use crate::state::State;

/// Milliseconds in a year of 365 days.
pub(crate) const MS_PER_YEAR: i128 = 365 * 24 * 60 * 60 * 1000;

/// Years from `now_ms` to `expiry_ms` (zero once expired).
pub(crate) fn years_to_expiry(now_ms: u64, expiry_ms: u64) -> Decimal {
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

/// The Black-76 inputs of option series `market` at the current index, time and surface;
/// `None` for other kinds, without an index, or without a smile for its expiry.
pub(crate) fn option_inputs(state: &State, market: MarketId) -> Option<OptionInputs> {
    let params = state.genesis.markets.get(market.0 as usize)?;
    let MarketKind::Option { expiry_ms, strike, right } = params.kind else { return None };
    let forward = state.oracle.get(params.base_asset.0 as usize)?.index?;
    let smile = state.surfaces.get(&(params.base_asset, expiry_ms))?;
    let svi = smile.current?;
    let time_years = years_to_expiry(state.time_ms, expiry_ms);
    let k = log_moneyness(strike, forward).ok()?;
    let vol = if time_years.is_positive() { svi.implied_vol(k, time_years).ok()? } else { Decimal::ZERO };
    let inputs = Black76Inputs { forward, strike, vol, time_years, rate: state.genesis.derivatives.rate };
    Some(OptionInputs { inputs, kind: right.kind(), smile_valid: smile.validity.is_valid() })
}

/// End-of-block step: re-marks every live option series, emitting `MarkPrice` events.
pub(crate) fn update_option_marks(state: &mut State, events: &mut Vec<Event>) {
    for index in 0..state.genesis.markets.len() {
        let params = &state.genesis.markets[index];
        let MarketKind::Option { .. } = params.kind else { continue };
        if state.markets[index].settlement_price.is_some() {
            continue;
        }
        let market = MarketId(index as u16);
        let priced = option_inputs(state, market)
            .and_then(|o| Some((novation_math::black76::price(&o.inputs, o.kind).ok()?, o.inputs.vol)));
        let index_price = state.oracle[params.base_asset.0 as usize].index;
        let intrinsic = index_price.map(|s| super::expiry::payoff(&params.kind, s));
        let state_market = &mut state.markets[index];
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
