//! Human units to protocol units: sizes in base units to lots, prices in quote to ticks,
//! slippage percentages to parts per million. Conversions are exact: a value off the grid
//! is an error naming the nearest valid values, never silently rounded.
//!
//! And back, for display: prices with the decimals of their market's tick, leverage as
//! `3.2x`, fee rates as percentages. All of it in [`Decimal`], never floating point.

use novation_math::{Decimal, Ppm, Rounding};

use crate::error::{CliError, CliResult};

/// Parses a decimal number typed by a user (clap value parser).
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, String> {
    text.trim().parse::<Decimal>().map_err(|_| format!("`{text}` is not a decimal number (e.g. 0.5 or 65000.1)"))
}

/// Parses a strictly positive decimal number (clap value parser).
pub(crate) fn parse_positive_decimal(text: &str) -> Result<Decimal, String> {
    let value = parse_decimal(text)?;
    if value.is_positive() {
        Ok(value)
    } else {
        Err(format!("`{text}` must be greater than zero"))
    }
}

/// `value` as a whole number of `step`s, or an error naming `what` and the nearest valid
/// values on either side.
pub(crate) fn to_steps(value: Decimal, step: Decimal, what: &str, unit: &str) -> CliResult<u64> {
    if !step.is_positive() {
        return Err(CliError::BadResponse(format!("the market's {unit} is {step}, not positive")));
    }
    if !value.is_positive() {
        return Err(CliError::refused(
            format!("{what} must be greater than zero, not {value}"),
            format!("give a positive {what}"),
        ));
    }
    if !value.is_multiple_of(step) {
        let below = value.to_units(step, Rounding::Floor).ok().and_then(|n| Decimal::from_units(n, step).ok());
        let above = value.to_units(step, Rounding::Ceil).ok().and_then(|n| Decimal::from_units(n, step).ok());
        let nearest = match (below, above) {
            (Some(below), Some(above)) if below.is_positive() => format!("{below} or {above}"),
            (_, Some(above)) => format!("{above}"),
            _ => "a multiple of it".to_string(),
        };
        return Err(CliError::refused(
            format!("{what} {value} is not a multiple of the {unit} {step}"),
            format!("use {nearest}"),
        ));
    }
    let steps = value.to_units(step, Rounding::TowardZero).map_err(|e| CliError::Input(format!("{what}: {e}")))?;
    u64::try_from(steps).map_err(|_| CliError::Input(format!("{what} {value} is too large")))
}

/// An order size in base units as lots of `lot_size`.
pub(crate) fn size_to_lots(size: Decimal, lot_size: Decimal) -> CliResult<u64> {
    to_steps(size, lot_size, "size", "lot size")
}

/// A price in quote per base unit as ticks of `tick_size`.
pub(crate) fn price_to_ticks(price: Decimal, tick_size: Decimal) -> CliResult<u64> {
    to_steps(price, tick_size, "price", "tick size")
}

/// `units × step` for display (`None` on overflow).
pub(crate) fn from_steps(units: u64, step: Decimal) -> Option<Decimal> {
    Decimal::from_units(i128::from(units), step).ok()
}

/// `value` with exactly `dp` decimals, rounded half-even: `fixed(65000.1, 2)` is
/// `65000.10`.
pub(crate) fn fixed(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp(dp, Rounding::HalfEven).unwrap_or(value);
    let text = rounded.to_string();
    if dp == 0 {
        return text;
    }
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    format!("{int}.{frac:0<width$}", width = dp as usize)
}

/// A price with as many decimals as its market's tick size (tick 0.01: `3150.50`).
pub(crate) fn price_text(price: Decimal, tick_size: Decimal) -> String {
    fixed(price, tick_size.decimal_places())
}

/// Leverage as `3.2x`: one decimal, two below 1x (`0.05x`).
pub(crate) fn leverage_text(leverage: Decimal) -> String {
    let dp = if leverage < Decimal::ONE { 2 } else { 1 };
    format!("{}x", fixed(leverage, dp))
}

/// A quote (USD) amount for a human: rounded half-even to cents.
pub(crate) fn usd_text(amount: Decimal) -> String {
    fixed(amount, 2)
}

/// A fraction as a percentage with at most four decimals: 0.0005 → `0.05%`.
pub(crate) fn percent_text(fraction: Decimal) -> String {
    match fraction.mul_int(100).and_then(|p| p.round_dp(4, Rounding::HalfEven)) {
        Ok(percent) => format!("{percent}%"),
        Err(_) => format!("{fraction} (fraction)"),
    }
}

/// A slippage bound in percent (`1` = 1%) as parts per million: more than 0, at most 100%,
/// and a whole number of ppm (0.0001%).
pub(crate) fn slippage_to_ppm(percent: Decimal) -> CliResult<Ppm> {
    let ppm_step: Decimal = Decimal::from_ratio(1, 10_000, Rounding::HalfEven)
        .map_err(|e| CliError::BadResponse(format!("slippage unit: {e}")))?;
    let ppm = to_steps(percent, ppm_step, "slippage", "smallest slippage step (%)")?;
    if ppm > 1_000_000 {
        return Err(CliError::refused(format!("slippage {percent}% is above 100%"), "use at most 100"));
    }
    i64::try_from(ppm).map(Ppm::new).map_err(|_| CliError::Input(format!("slippage {percent}% is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn sizes_on_the_lot_grid_convert_exactly() {
        assert_eq!(size_to_lots(dec("0.0001"), dec("0.0001")).unwrap(), 1);
        assert_eq!(size_to_lots(dec("1.5"), dec("0.0001")).unwrap(), 15_000);
        assert_eq!(size_to_lots(dec("2"), dec("0.001")).unwrap(), 2_000);
    }

    #[test]
    fn prices_on_the_tick_grid_convert_exactly() {
        assert_eq!(price_to_ticks(dec("65000.1"), dec("0.1")).unwrap(), 650_001);
        assert_eq!(price_to_ticks(dec("3000.25"), dec("0.01")).unwrap(), 300_025);
    }

    #[test]
    fn an_off_grid_size_is_an_error_naming_the_neighbours() {
        let error = size_to_lots(dec("0.00015"), dec("0.0001")).unwrap_err().to_string();
        assert!(error.contains("not a multiple of the lot size 0.0001"), "{error}");
        let hint = size_to_lots(dec("0.00015"), dec("0.0001")).unwrap_err().hint().unwrap();
        assert!(hint.contains("0.0001 or 0.0002"), "{hint}");
    }

    #[test]
    fn a_size_below_one_lot_suggests_one_lot() {
        let error = size_to_lots(dec("0.00001"), dec("0.0001")).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert_eq!(error.hint().as_deref(), Some("use 0.0001"));
    }

    #[test]
    fn an_off_grid_price_is_an_error() {
        let error = price_to_ticks(dec("65000.15"), dec("0.1")).unwrap_err().hint().unwrap();
        assert!(error.contains("65000.1 or 65000.2"), "{error}");
    }

    #[test]
    fn zero_and_negative_values_are_refused() {
        assert!(size_to_lots(Decimal::ZERO, dec("0.1")).is_err());
        assert!(price_to_ticks(dec("-1"), dec("0.1")).is_err());
    }

    #[test]
    fn lots_convert_back_to_the_same_size() {
        let lots = size_to_lots(dec("0.1234"), dec("0.0001")).unwrap();
        assert_eq!(from_steps(lots, dec("0.0001")), Some(dec("0.1234")));
    }

    #[test]
    fn slippage_percent_becomes_ppm() {
        assert_eq!(slippage_to_ppm(dec("1")).unwrap(), Ppm::new(10_000));
        assert_eq!(slippage_to_ppm(dec("0.05")).unwrap(), Ppm::new(500));
        assert_eq!(slippage_to_ppm(dec("100")).unwrap(), Ppm::new(1_000_000));
        assert!(slippage_to_ppm(dec("100.5")).is_err());
        assert!(slippage_to_ppm(dec("0.00001")).is_err());
        assert!(slippage_to_ppm(Decimal::ZERO).is_err());
    }

    #[test]
    fn prices_show_the_decimals_of_their_tick() {
        assert_eq!(dec("0.1").decimal_places(), 1);
        assert_eq!(dec("0.25").decimal_places(), 2);
        assert_eq!(dec("5").decimal_places(), 0);
        assert_eq!(price_text(dec("65000.1"), dec("0.01")), "65000.10");
        assert_eq!(price_text(dec("3150"), dec("0.01")), "3150.00");
        assert_eq!(price_text(dec("64999.96"), dec("0.1")), "65000.0");
        assert_eq!(price_text(dec("60000.123456"), dec("1")), "60000");
        assert_eq!(price_text(dec("-1.5"), dec("0.1")), "-1.5");
    }

    #[test]
    fn leverage_and_fees_read_as_a_trader_expects() {
        assert_eq!(leverage_text(dec("3.2149")), "3.2x");
        assert_eq!(leverage_text(dec("0.0065")), "0.01x");
        assert_eq!(usd_text(dec("1795316.880904162342060328")), "1795316.88");
        assert_eq!(usd_text(dec("-0.005")), "0.00");
        assert_eq!(leverage_text(dec("20")), "20.0x");
        assert_eq!(percent_text(Ppm::new(500).to_decimal()), "0.05%");
        assert_eq!(percent_text(dec("-0.0001")), "-0.01%");
        assert_eq!(percent_text(dec("0.1")), "10%");
    }

    #[test]
    fn typed_numbers_parse_or_explain() {
        assert_eq!(parse_decimal("1.5"), Ok(dec("1.5")));
        assert!(parse_decimal("1,5").unwrap_err().contains("not a decimal number"));
        assert!(parse_positive_decimal("0").is_err());
        assert!(parse_positive_decimal("abc").is_err());
    }
}
