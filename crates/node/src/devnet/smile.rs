//! The devnet's SIMULATED volatility smile — not market data. Every publisher signs the same
//! raw-SVI smile per open BTC option expiry: about 55% at the money with a mild put skew
//! (ρ = −0.3), the same shape every year of maturity (total variance proportional to the
//! time to expiry), so longer expiries always carry more variance and the surface is free of
//! calendar arbitrage by construction.

use novation_math::{Decimal, Rounding, SviParams};
use novation_protocol::State;
use novation_types::AssetId;

/// An expiry this close is left alone: the report could land after it.
const EXPIRY_GUARD_MS: u64 = 5_000;

/// Per year of maturity: `a` (so that w(0)/T = a + b·σ = 0.3025, i.e. 55% vol), `b`, ρ, m, σ.
const A_PER_YEAR: &str = "0.2275";
const B_PER_YEAR: &str = "0.25";
const RHO: &str = "-0.3";
const M: &str = "0";
const SIGMA: &str = "0.3";

fn dec(text: &str) -> Option<Decimal> {
    text.parse().ok()
}

/// Years from `now_ms` to `expiry_ms`, as the protocol counts them (`None` once expired).
pub(crate) fn years_between(now_ms: u64, expiry_ms: u64) -> Option<Decimal> {
    Some(novation_protocol::derivatives::years_to_expiry(now_ms, expiry_ms)).filter(|t| t.is_positive())
}

/// The SIMULATED smile for an expiry `time_years` away.
pub(crate) fn simulated_smile(time_years: Decimal) -> Option<SviParams> {
    let scaled = |per_year: &str| dec(per_year)?.mul(time_years, Rounding::HalfEven).ok();
    Some(SviParams { a: scaled(A_PER_YEAR)?, b: scaled(B_PER_YEAR)?, rho: dec(RHO)?, m: dec(M)?, sigma: dec(SIGMA)? })
}

/// Listed, unsettled option expiries of `asset` that are more than a few seconds away.
pub(crate) fn open_expiries(state: &State, asset: AssetId, now_ms: u64) -> Vec<u64> {
    let mut expiries: Vec<u64> = state
        .params()
        .markets
        .iter()
        .filter(|m| m.base_asset == asset && m.kind.is_option())
        .filter_map(|m| m.kind.expiry_ms())
        .filter(|&expiry_ms| expiry_ms > now_ms.saturating_add(EXPIRY_GUARD_MS))
        .collect();
    expiries.sort_unstable();
    expiries.dedup();
    expiries
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_math::check_calendar;

    const DAY_MS: u64 = 86_400_000;

    fn smile(hours: u64) -> SviParams {
        simulated_smile(years_between(0, hours * DAY_MS / 24).unwrap()).unwrap()
    }

    #[test]
    fn the_simulated_smile_is_free_of_butterfly_and_calendar_arbitrage() {
        // From one hour to a year.
        let hours = [1, 24, 7 * 24, 14 * 24, 90 * 24, 365 * 24];
        let smiles: Vec<SviParams> = hours.iter().map(|&h| smile(h)).collect();
        for (svi, h) in smiles.iter().zip(hours) {
            svi.validate().unwrap_or_else(|e| panic!("{h} h: {e}"));
        }
        for pair in smiles.windows(2) {
            check_calendar(&pair[0], &pair[1]).unwrap();
        }
    }

    #[test]
    fn the_simulated_smile_is_55_pct_at_the_money_with_a_put_skew() {
        let week = years_between(0, 7 * DAY_MS).unwrap();
        let svi = simulated_smile(week).unwrap();
        let atm = svi.implied_vol(Decimal::ZERO, week).unwrap();
        assert_eq!(atm.round_dp(6, Rounding::HalfEven).unwrap(), "0.55".parse().unwrap());
        let k = "0.1".parse::<Decimal>().unwrap();
        let put_wing = svi.implied_vol(k.checked_neg().unwrap(), week).unwrap();
        let call_wing = svi.implied_vol(k, week).unwrap();
        assert!(put_wing > call_wing && call_wing > "0.5".parse().unwrap(), "{put_wing} {call_wing}");
        assert!(put_wing < "0.6".parse().unwrap(), "{put_wing}");
        assert_eq!(years_between(10, 5), None);
    }
}
