//! Deterministic, integer-only `exp` and `ln` on [`Decimal`].
//!
//! Promises: no floating point; every internal truncation is stated; the one
//! rounding to 18 decimals at the end is half-even; overflow is an error.
//!
//! Method (classical; see Abramowitz & Stegun, *Handbook of Mathematical
//! Functions*, 4.2.1 and 4.1.27, and J.-M. Muller, *Elementary Functions*,
//! ch. 11 on additive range reduction):
//!
//! * `exp(x) = 2^k · exp(r)` with `k = round(x / ln 2)` and `|r| <= ln 2 / 2`;
//!   `exp(r)` by its Taylor series.
//! * `ln(x) = e·ln 2 + ln(m) − 18·ln 10` where the raw integer of `x` is
//!   `m · 2^e` with `m ∈ [1/√2, √2)`; `ln(m) = 2·atanh(s)`, `s = (m−1)/(m+1)`,
//!   by its odd power series.
//!
//! The work is done in binary fixed point with 124 fractional bits (`Q124`,
//! resolution ≈ 6e-38) and 256-bit products, with `ln 2` and `18·ln 10` held
//! to 188 bits, so only the final conversion to 10^-18 is visible in
//! ordinary use.

use ethnum::{I256, U256};

use crate::{Decimal, MathError};

/// Fractional bits of the internal fixed-point format.
pub(crate) const FRAC: u32 = 124;
/// `1.0` in Q124.
pub(crate) const ONE_Q: i128 = 1 << FRAC;
/// `floor(ln 2 · 2^188)`.
pub(crate) const LN2_188: U256 = U256::from_words(0xb17217f7d1cf79a, 0xbc9e3b39803f2f6af40f343267298b62);
/// `floor(18 · ln 10 · 2^188)`, i.e. `ln(10^18)`.
pub(crate) const LN1E18_188: U256 = U256::from_words(0x29724fe657ff70667, 0x1e86c3c3ccb5adb7fb87aa6456a6e0c1);
/// `floor(√2 · 2^124)`.
pub(crate) const SQRT2_Q: u128 = 0x16a09e667f3bcc908b2fb1366ea957d3;
/// `10^18` as a 256-bit value.
const SCALE_256: U256 = U256::new(Decimal::SCALE as u128);

/// Largest `|x|` (as a Q124 value in 256 bits) accepted by [`exp_q`]: 2^8.
const EXP_ARG_LIMIT: I256 = I256::from_words(1 << (FRAC + 8 - 128), 0);

/// `x >> s` rounded to nearest, ties to even. `s` may be ≥ 256 (result 0).
pub(crate) fn shr_half_even(x: U256, s: u32) -> U256 {
    if s == 0 {
        return x;
    }
    if s >= 256 {
        return U256::ZERO;
    }
    let q = x >> s;
    let rem = x - (q << s);
    let half = U256::ONE << (s - 1);
    if rem > half || (rem == half && (q & U256::ONE) == U256::ONE) {
        q + U256::ONE
    } else {
        q
    }
}

/// Signed `a · b >> 124`, truncated toward negative infinity (arithmetic
/// shift); the error is below one Q124 unit. Both operands are Q124 values
/// of magnitude below 2^3, so the product fits 256 bits.
#[inline]
pub(crate) fn mul_q(a: i128, b: i128) -> i128 {
    // |a·b| < 2^254 always fits; the shifted value fits i128 by the contract.
    ((I256::from(a) * I256::from(b)) >> FRAC).as_i128()
}

/// `exp(arg)` for a Q124 argument held in 256 bits (`|arg| < 256`), returned
/// as `(m, k)` with `exp(arg) ≈ m · 2^(k − 124)` and `m ∈ [0.70, 1.42]` in
/// Q124. The relative error is below about 2^-119.
///
/// # Errors
/// [`MathError::Overflow`] if `|arg| >= 256` (callers range-check first).
pub(crate) fn exp_q(arg: I256) -> Result<(u128, i32), MathError> {
    if arg >= EXP_ARG_LIMIT || arg <= -EXP_ARG_LIMIT {
        return Err(MathError::Overflow);
    }
    // k = round(arg / ln 2): floor((arg·2^64 + ln2/2) / ln2) in Q188. Any k
    // within ±1 of the ideal works (|r| < 1 keeps the series accurate), so
    // floor division is fine.
    let ln2 = LN2_188.as_i256();
    let scaled = arg << 64u32;
    let k_wide = (scaled + (ln2 >> 1u32)).div_euclid(ln2);
    let k = k_wide.as_i32();
    // r = arg − k·ln 2, computed in Q188 and truncated (floor) to Q124.
    let r = ((scaled - k_wide * ln2) >> 64u32).as_i128();
    Ok((exp_series(r), k))
}

/// Taylor series of `exp(r)` in Q124 for `|r| <= 0.36`. Each term is
/// truncated (floor) once by the product and once by the integer division
/// (toward zero); the ~28 terms keep the total error under 2^-118.
fn exp_series(r: i128) -> u128 {
    let mut sum: i128 = ONE_Q;
    let mut term: i128 = ONE_Q;
    let mut n: i128 = 1;
    while n <= 40 {
        // Rounds toward zero (Rust integer division).
        term = mul_q(term, r) / n;
        if term == 0 {
            break;
        }
        sum += term;
        n += 1;
    }
    // sum ∈ [0.69, 1.44] · 2^124: positive and below 2^125.
    sum.unsigned_abs()
}

/// Converts `m · 2^(k − 124)` (with `m < 2^126`) to a raw decimal, rounded
/// half-even.
///
/// # Errors
/// [`MathError::Overflow`] if the result does not fit `i128`.
pub(crate) fn q_to_raw(m: u128, k: i32) -> Result<i128, MathError> {
    // m·10^18 < 2^186; the shift is 124 − k.
    let wide = U256::from(m) * SCALE_256;
    let shift = i64::from(FRAC as i32) - i64::from(k);
    let v = if shift >= 0 {
        shr_half_even(wide, u32::try_from(shift).map_err(|_| MathError::Overflow)?)
    } else {
        let s = u32::try_from(-shift).map_err(|_| MathError::Overflow)?;
        if s >= 64 {
            return Err(MathError::Overflow);
        }
        wide << s
    };
    if *v.high() != 0 {
        return Err(MathError::Overflow);
    }
    i128::try_from(*v.low()).map_err(|_| MathError::Overflow)
}

/// Largest supported `exp` argument, raw: 47 (above ln(i128::MAX / 10^18)
/// ≈ 46.58, so the overflow check happens at the conversion).
const EXP_MAX_RAW: i128 = 47 * Decimal::SCALE;
/// Below this argument `exp` rounds to zero: e^-44 ≈ 7.8e-20 < 0.5e-18.
const EXP_MIN_RAW: i128 = -44 * Decimal::SCALE;

impl Decimal {
    /// `e^self`, rounded half-even to 18 decimals.
    ///
    /// Supported range: any input; results below `0.5e-18` (inputs below
    /// about −42.1) round to zero, inputs above about 46.58 overflow.
    /// Accuracy: the result is within `1e-18 + 2^-115·e^x` of the exact value
    /// (at most 1 unit in the last place for results below about 4·10^16;
    /// a relative error below 3e-35 above that).
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the result exceeds [`Decimal::MAX`].
    pub fn exp(self) -> Result<Decimal, MathError> {
        let raw = self.raw();
        if raw > EXP_MAX_RAW {
            return Err(MathError::Overflow);
        }
        if raw < EXP_MIN_RAW {
            return Ok(Decimal::ZERO);
        }
        // arg = raw · 2^124 / 10^18, rounded half-even (|raw| < 2^66, so the
        // product is below 2^190).
        let mag = U256::from(raw.unsigned_abs()) << FRAC;
        let (q, rem) = mag.div_rem(SCALE_256);
        let q = if rem > SCALE_256 - rem || (rem == SCALE_256 - rem && (q & U256::ONE) == U256::ONE) {
            q + U256::ONE
        } else {
            q
        };
        let arg = if raw < 0 { -q.as_i256() } else { q.as_i256() };
        let (m, k) = exp_q(arg)?;
        q_to_raw(m, k).map(Decimal::from_raw)
    }

    /// The natural logarithm, rounded half-even to 18 decimals.
    ///
    /// Supported range: every positive decimal (`ln(1e-18) ≈ −41.45` to
    /// `ln(MAX) ≈ 46.58`). Accuracy: within 1 unit in the last place (the
    /// internal error is below 1e-33 before the final rounding).
    ///
    /// # Errors
    /// [`MathError::Domain`] if `self <= 0`.
    pub fn ln(self) -> Result<Decimal, MathError> {
        let raw = self.raw();
        if raw <= 0 {
            return Err(MathError::Domain);
        }
        let raw = raw.unsigned_abs();
        // raw = m · 2^e with m ∈ [1, 2) in Q124. e <= 126; a right shift
        // (e > 124) drops at most 2 bits of an integer ≥ 2^125: relative
        // error below 2^-123.
        let mut e = 127 - raw.leading_zeros() as i32;
        let mut m: u128 = if e <= FRAC as i32 { raw << (FRAC as i32 - e) } else { raw >> (e - FRAC as i32) };
        if m > SQRT2_Q {
            // Truncation (floor) loses at most 2^-125.
            m >>= 1;
            e += 1;
        }
        let ln_m = ln_series(m);
        // ln x = ln m + e·ln 2 − ln 10^18, in Q188.
        let total = (I256::from(ln_m) << 64u32) + I256::from(e) * LN2_188.as_i256() - LN1E18_188.as_i256();
        // |total| < 47·2^188 < 2^194: times 10^18 stays below 2^254.
        let negative = total < 0;
        let mag = shr_half_even(total.unsigned_abs() * SCALE_256, 188);
        let v = i128::try_from(mag.as_u128()).map_err(|_| MathError::Overflow)?;
        Ok(Decimal::from_raw(if negative { -v } else { v }))
    }
}

/// `ln(m)` in Q124 for `m ∈ [0.70, 1.42]` (Q124), as `2·atanh(s)` with
/// `s = (m−1)/(m+1)`, `|s| <= 0.172`. The division is truncated (toward
/// zero); every term is truncated twice; ~25 terms, error below 2^-118.
pub(crate) fn ln_series(m: u128) -> i128 {
    let m = m as i128;
    let num = m - ONE_Q;
    let den = m + ONE_Q;
    // s = num · 2^124 / den, toward zero: |num| < 2^123 so num·2^124 < 2^247.
    let s = ((I256::from(num) << FRAC) / I256::from(den)).as_i128();
    let s2 = mul_q(s, s);
    let mut power = s;
    let mut sum = s;
    let mut n: i128 = 3;
    while n < 200 {
        power = mul_q(power, s2);
        if power == 0 {
            break;
        }
        // Toward zero.
        sum += power / n;
        n += 2;
    }
    sum * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn exp_known_values() {
        assert_eq!(Decimal::ZERO.exp(), Ok(Decimal::ONE));
        assert_eq!(Decimal::ONE.exp(), Ok(d("2.718281828459045235")));
        assert_eq!(d("-1").exp(), Ok(d("0.367879441171442322")));
        assert_eq!(d("-100").exp(), Ok(Decimal::ZERO));
        assert_eq!(d("47").exp(), Err(MathError::Overflow));
        assert_eq!(d("46.6").exp(), Err(MathError::Overflow));
        assert!(d("46.5").exp().is_ok());
    }

    #[test]
    fn ln_known_values() {
        assert_eq!(Decimal::ONE.ln(), Ok(Decimal::ZERO));
        assert_eq!(d("2").ln(), Ok(d("0.693147180559945309")));
        assert_eq!(d("10").ln(), Ok(d("2.302585092994045684")));
        assert_eq!(d("0.5").ln(), Ok(d("-0.693147180559945309")));
        assert_eq!(Decimal::from_raw(1).ln(), Ok(d("-41.446531673892822312")));
        assert_eq!(Decimal::ZERO.ln(), Err(MathError::Domain));
        assert_eq!(d("-1").ln(), Err(MathError::Domain));
        assert!(Decimal::MAX.ln().is_ok());
    }
}
