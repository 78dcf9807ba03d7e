//! [`Ppm`]: a fraction expressed in parts per million, the unit used for
//! margin fractions and fee rates (as dYdX v4 does, e.g. its
//! `initial_margin_ppm`, `maintenance_fraction_ppm` and `taker_fee_ppm`).
//!
//! Promises: applying a rate is a single exact `value × ppm / 10^6` with the
//! caller's [`Rounding`]; overflow is an error.

use core::fmt;

use crate::wide::mul_div_i128;
use crate::{Decimal, MathError, Rounding};

/// A fraction in parts per million: `Ppm(50_000)` is 5 %, `Ppm::ONE` is 1.
///
/// Negative values are allowed (e.g. maker rebates).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Ppm(pub i64);

/// Parts per million in one whole.
const PER_MILLION: i128 = 1_000_000;

impl Ppm {
    /// Parts per million in one whole: amounts "scaled by 10^6" are in these units.
    pub const SCALE: i128 = PER_MILLION;
    /// 100 %.
    pub const ONE: Ppm = Ppm(1_000_000);
    /// 0 %.
    pub const ZERO: Ppm = Ppm(0);

    /// A fraction of `ppm` millionths.
    #[inline]
    pub const fn new(ppm: i64) -> Self {
        Ppm(ppm)
    }

    /// `value × ppm / 10^6`, rounded once as asked.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result does not fit `i128`.
    #[inline]
    pub fn apply(self, value: i128, r: Rounding) -> Result<i128, MathError> {
        mul_div_i128(value, i128::from(self.0), PER_MILLION, r)
    }

    /// `value × ppm / 10^6` on a decimal, rounded once to 18 decimals.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result is out of range.
    #[inline]
    pub fn apply_decimal(self, value: Decimal, r: Rounding) -> Result<Decimal, MathError> {
        self.apply(value.raw(), r).map(Decimal::from_raw)
    }

    /// The fraction as a decimal (exact: `Ppm(50_000)` is `0.05`).
    #[inline]
    pub const fn to_decimal(self) -> Decimal {
        // |ppm| × 10^12 < 2^63 × 2^40, always in range.
        Decimal::from_raw(self.0 as i128 * (Decimal::SCALE / PER_MILLION))
    }
}

impl fmt::Display for Ppm {
    /// Prints the fraction as an exact decimal: `Ppm(50_000)` is `0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_decimal(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rounding::*;

    #[test]
    fn apply_rounds() {
        let fee = Ppm::new(2_500); // 0.25 %
        assert_eq!(fee.apply(1_000, Floor), Ok(2));
        assert_eq!(fee.apply(1_000, Ceil), Ok(3));
        assert_eq!(fee.apply(1_000, HalfEven), Ok(2));
        assert_eq!(fee.apply(-1_000, Floor), Ok(-3));
        assert_eq!(fee.apply(-1_000, TowardZero), Ok(-2));
        assert_eq!(Ppm::ONE.apply(i128::MAX, Floor), Ok(i128::MAX));
        assert_eq!(Ppm::ZERO.apply(i128::MIN, Ceil), Ok(0));
        assert_eq!(Ppm(2_000_000).apply(i128::MAX, Floor), Err(MathError::Overflow));
        assert_eq!(Ppm(-1_000_000).apply(i128::MIN, Floor), Err(MathError::Overflow));
    }

    #[test]
    fn decimal_view() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(Ppm(50_000).to_decimal(), d("0.05"));
        assert_eq!(Ppm::ONE.to_decimal(), Decimal::ONE);
        assert_eq!(Ppm(i64::MIN).to_decimal().raw(), i64::MIN as i128 * 1_000_000_000_000);
        assert_eq!(Ppm(50_000).to_string(), "0.05");
        assert_eq!(Ppm(-1).to_string(), "-0.000001");
        assert_eq!(Ppm(3_000_000).to_string(), "3");
        assert_eq!(Ppm(50_000).apply_decimal(d("123.4"), Floor), Ok(d("6.17")));
        assert_eq!(Ppm(1).apply_decimal(d("0.000000000000000001"), Ceil), Ok(d("0.000000000000000001")));
    }
}
