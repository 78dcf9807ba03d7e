//! The devnet's dated BTC series: two weekly expiries (Fridays 08:00 UTC, as on Deribit),
//! each with a dated future and calls and puts at round strikes around the simulated BTC
//! start price. Expiries are derived from the time the chain is created, so a devnet created
//! today lists next week's series; the genesis (with these expiries) is stored with the chain.

use novation_math::Decimal;
use novation_protocol::params::{Genesis, MarketKind, OptionRight};
use novation_protocol::presets::BTC;

/// The simulated BTC price the feed starts from, in whole USD.
pub(crate) const BTC_START_PRICE_USD: i64 = 60_000;
/// Option strikes, in whole USD: round numbers around [`BTC_START_PRICE_USD`].
pub(crate) const BTC_STRIKES_USD: [i64; 5] = [50_000, 55_000, 60_000, 65_000, 70_000];
/// Weekly expiries listed.
pub(crate) const WEEKLY_EXPIRIES: u64 = 2;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
const WEEK_MS: u64 = 7 * DAY_MS;
/// Friday 1970-01-02 08:00 UTC (the Unix epoch was a Thursday).
const FIRST_FRIDAY_0800_MS: u64 = DAY_MS + 8 * HOUR_MS;
/// The first expiry is at least this long after the chain's creation.
const MIN_FIRST_EXPIRY_LEAD_MS: u64 = DAY_MS;

/// The first Friday 08:00 UTC at least a day after `genesis_time_ms`, and the weekly ones
/// after it.
pub(crate) fn weekly_expiries(genesis_time_ms: u64) -> Vec<u64> {
    let earliest = genesis_time_ms.saturating_add(MIN_FIRST_EXPIRY_LEAD_MS);
    let weeks = earliest.saturating_sub(FIRST_FRIDAY_0800_MS).div_ceil(WEEK_MS);
    let first = FIRST_FRIDAY_0800_MS + weeks * WEEK_MS;
    (0..WEEKLY_EXPIRIES).map(|i| first + i * WEEK_MS).collect()
}

/// `27NOV26`: the Deribit-style date of `time_ms` (UTC).
pub(crate) fn date_code(time_ms: u64) -> String {
    const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    let (year, month, day) = civil_from_days((time_ms / DAY_MS) as i64);
    format!("{day}{}{:02}", MONTHS[(month - 1) as usize], year.rem_euclid(100))
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
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

/// Lists, per weekly expiry, `BTC-<date>` (future) and `BTC-<date>-<strike>-C|P` (options).
pub(crate) fn list_btc_series(genesis: &mut Genesis, genesis_time_ms: u64) {
    let listed_before = genesis.markets.len();
    for expiry_ms in weekly_expiries(genesis_time_ms) {
        let date = date_code(expiry_ms);
        let future = genesis.list_future(BTC, expiry_ms);
        genesis.markets[future.0 as usize].symbol = format!("BTC-{date}");
        for strike in BTC_STRIKES_USD {
            for (right, letter) in [(OptionRight::Call, "C"), (OptionRight::Put, "P")] {
                let option = genesis.list_option(BTC, expiry_ms, Decimal::from_int(strike), right);
                genesis.markets[option.0 as usize].symbol = format!("BTC-{date}-{strike}-{letter}");
            }
        }
    }
    let per_expiry = 1 + 2 * BTC_STRIKES_USD.len();
    debug_assert_eq!(genesis.markets.len() - listed_before, WEEKLY_EXPIRIES as usize * per_expiry);
    debug_assert!(genesis.markets[listed_before..].iter().all(|m| m.kind != MarketKind::Perpetual));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24 19:00 UTC, a Tuesday.
    const TUESDAY_MS: u64 = 1_795_546_800_000;

    #[test]
    fn expiries_are_the_next_two_fridays_at_eight_utc() {
        let expiries = weekly_expiries(TUESDAY_MS);
        assert_eq!(date_code(expiries[0]), "27NOV26");
        assert_eq!(date_code(expiries[1]), "4DEC26");
        assert_eq!(expiries[0] % DAY_MS, 8 * HOUR_MS);
        assert_eq!(expiries[1] - expiries[0], WEEK_MS);
        // Created on a Friday at 07:00, the first expiry is the next week's Friday.
        let friday_0700 = expiries[0] - HOUR_MS;
        assert_eq!(weekly_expiries(friday_0700)[0], expiries[1]);
    }

    #[test]
    fn the_devnet_genesis_lists_futures_and_options_and_is_valid() {
        let genesis = crate::devnet::devnet_genesis_at(TUESDAY_MS);
        genesis.validate().unwrap();
        let symbols: Vec<&str> = genesis.markets.iter().map(|m| m.symbol.as_str()).collect();
        assert!(symbols.contains(&"BTC-27NOV26"), "{symbols:?}");
        assert!(symbols.contains(&"BTC-4DEC26-60000-P"), "{symbols:?}");
        assert_eq!(genesis.markets.iter().filter(|m| m.kind.is_option()).count(), 20);
        assert_eq!(crate::devnet::devnet_genesis_at(TUESDAY_MS), genesis, "deterministic in its time");
    }
}
