//! Rolling listings: series schedules list new dated futures and options as expiries come
//! into range (see `SeriesSchedule`). Listing is part of the end-of-block pipeline, right
//! after oracle aggregation, so every node lists the same series at the same height; a new
//! series takes the next market id and trades from the next block on (options once their
//! expiry has a smile).

use novation_math::{Decimal, Rounding};
use novation_types::{AssetId, Event, MarketId};

use crate::params::{MarketKind, MarketParams, OptionRight, SeriesSchedule};
use crate::state::State;

const DAY_MS: u64 = 86_400_000;

/// The expiries of `schedule` that should be listed at `now_ms`.
pub(crate) fn due_expiries(schedule: &SeriesSchedule, now_ms: u64) -> Vec<u64> {
    let earliest = now_ms.saturating_add(schedule.min_lead_ms);
    let steps = earliest.saturating_sub(schedule.anchor_ms).div_ceil(schedule.interval_ms.max(1));
    let first = schedule.anchor_ms.saturating_add(steps.saturating_mul(schedule.interval_ms));
    (0..u64::from(schedule.expiries_ahead))
        .map_while(|i| first.checked_add(i.checked_mul(schedule.interval_ms)?))
        .collect()
}

/// `27NOV26`: the exchange-style date of `time_ms` (UTC).
pub fn expiry_code(time_ms: u64) -> String {
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let (year, month, day) = civil_from_days((time_ms / DAY_MS) as i64);
    let name = MONTHS.get(month.saturating_sub(1) as usize).copied().unwrap_or("???");
    format!("{day}{name}{:02}", year.rem_euclid(100))
}

/// The exchange-style ticker of a series on `asset_symbol`: `BTC-PERP`, `BTC-27NOV26`
/// (future), `BTC-27NOV26-60000-C` (option).
pub fn series_symbol(asset_symbol: &str, kind: &MarketKind) -> String {
    match *kind {
        MarketKind::Perpetual => format!("{asset_symbol}-PERP"),
        MarketKind::Future { expiry_ms } => format!("{asset_symbol}-{}", expiry_code(expiry_ms)),
        MarketKind::Option { expiry_ms, strike, right } => {
            let letter = match right {
                OptionRight::Call => "C",
                OptionRight::Put => "P",
            };
            format!("{asset_symbol}-{}-{strike}-{letter}", expiry_code(expiry_ms))
        }
    }
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (H. Hinnant's
/// days-to-civil algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// End-of-block step: lists every due series of every schedule that is not listed yet.
pub(crate) fn list_scheduled(state: &mut State, events: &mut Vec<Event>) {
    for index in 0..state.params.series_schedules.len() {
        let schedule = state.params.series_schedules[index].clone();
        let Some(spot) = state.oracle.assets.get(schedule.underlying.0 as usize).and_then(|o| o.index) else {
            continue;
        };
        for expiry_ms in due_expiries(&schedule, state.clock.time_ms) {
            if state.derivatives.settlement_twaps.contains_key(&(schedule.underlying, expiry_ms)) {
                continue;
            }
            for params in series_of(state, &schedule, expiry_ms, spot) {
                if state.params.markets.len() > u16::MAX as usize {
                    return;
                }
                let (market, symbol) = (params.id, params.symbol.clone());
                if state.set_param(crate::params::ParamChange::ListMarket(params)).is_err() {
                    return;
                }
                events.push(Event::SeriesListed { market, symbol, underlying: schedule.underlying, expiry_ms });
            }
        }
    }
}

/// The future and options of one expiry, numbered from the next free market id.
fn series_of(state: &State, schedule: &SeriesSchedule, expiry_ms: u64, spot: Decimal) -> Vec<MarketParams> {
    let Some(template) = state.params.markets.get(schedule.template.0 as usize) else { return Vec::new() };
    let asset = symbol_of(state, schedule.underlying);
    let mut next_id = state.params.markets.len();
    let mut make = |kind: MarketKind, tick: Decimal, lot: Decimal| {
        let id = MarketId(u16::try_from(next_id).unwrap_or(u16::MAX));
        next_id += 1;
        let symbol = series_symbol(&asset, &kind);
        MarketParams { id, symbol, kind, tick_size: tick, lot_size: lot, ..template.clone() }
    };
    let mut listed = Vec::new();
    if schedule.future {
        listed.push(make(MarketKind::Future { expiry_ms }, template.tick_size, template.lot_size));
    }
    let step = schedule.strike_step;
    let at_the_money = spot.div(step, Rounding::HalfEven).and_then(|n| n.round_dp(0, Rounding::HalfEven));
    let Ok(at_the_money) = at_the_money.and_then(|n| n.mul(step, Rounding::HalfEven)) else { return listed };
    let each_side = i64::from(schedule.strikes_each_side);
    for offset in -each_side..=each_side {
        let strike = Decimal::from_int(offset).mul(step, Rounding::HalfEven).and_then(|d| at_the_money.checked_add(d));
        let Ok(strike) = strike else { continue };
        if !strike.is_positive() || schedule.strikes_each_side == 0 {
            continue;
        }
        for right in [OptionRight::Call, OptionRight::Put] {
            let kind = MarketKind::Option { expiry_ms, strike, right };
            listed.push(make(kind, schedule.option_tick_size, schedule.option_lot_size));
        }
    }
    listed
}

fn symbol_of(state: &State, asset: AssetId) -> String {
    state.params.assets.get(asset.0 as usize).map_or_else(|| format!("#{}", asset.0), |a| a.symbol.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: u64 = 3_600_000;
    /// Friday 1970-01-02 08:00 UTC.
    const FRIDAY_0800: u64 = DAY_MS + 8 * HOUR_MS;
    /// 2026-11-24 19:00 UTC, a Tuesday.
    const TUESDAY_MS: u64 = 1_795_546_800_000;

    fn weekly() -> SeriesSchedule {
        SeriesSchedule {
            underlying: AssetId(1),
            anchor_ms: FRIDAY_0800,
            interval_ms: 7 * DAY_MS,
            expiries_ahead: 2,
            min_lead_ms: DAY_MS,
            future: true,
            strike_step: Decimal::from_int(5_000),
            strikes_each_side: 2,
            template: MarketId(0),
            option_tick_size: Decimal::ONE,
            option_lot_size: Decimal::ONE,
        }
    }

    #[test]
    fn weekly_expiries_are_the_next_fridays_at_eight() {
        let expiries = due_expiries(&weekly(), TUESDAY_MS);
        assert_eq!(expiries.iter().map(|e| expiry_code(*e)).collect::<Vec<_>>(), ["27NOV26", "4DEC26"]);
        assert!(expiries.iter().all(|e| e % DAY_MS == 8 * HOUR_MS));
        // A day before the first expiry, it is no longer due and the week after is.
        let later = due_expiries(&weekly(), expiries[0] - HOUR_MS);
        assert_eq!(later[0], expiries[1]);
    }

    #[test]
    fn dates_are_exchange_style() {
        assert_eq!(expiry_code(0), "1JAN70");
        assert_eq!(expiry_code(951_782_400_000), "29FEB00");
    }
}
