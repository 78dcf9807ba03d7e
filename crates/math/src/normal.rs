//! The standard normal density and distribution function on [`Decimal`],
//! integer-only.
//!
//! Promises: [`normal_pdf`] and [`normal_cdf`] are within about 1e-18 of the
//! exact value for every input (the final half-even rounding to 18 decimals
//! dominates; the internal error is below 1e-20), and
//! `normal_cdf(x) + normal_cdf(−x) == 1` exactly: both are derived from the
//! same rounded upper tail `Q(|x|)`.
//!
//! Method:
//! * `φ(x) = e^{−x²/2} / √(2π)`, with `x²/2` formed exactly from the raw value
//!   and the internal `exp` of [`crate::transcendental`].
//! * `|x| < 5`: `Φ(x) − 1/2 = φ(x) · Σ_{n≥0} x^{2n+1} / (1·3·…·(2n+1))`
//!   (Abramowitz & Stegun 26.2.11), all terms positive, summed in binary
//!   fixed point with 100 fractional bits.
//! * `5 <= |x| < 10`: Laplace's continued fraction for the tail,
//!   `Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …))))` (A&S 26.2.14),
//!   evaluated bottom-up at a fixed depth of 48, which is accurate to a
//!   relative 1e-24 for `x >= 5`.
//! * `|x| >= 10`: `Q(x) < 7.7e-24` rounds to zero; `φ(x) < 7.7e-23` too.

use ethnum::U256;

use crate::transcendental::{exp_q, q_to_raw, shr_half_even, FRAC};
use crate::{Decimal, MathError};

/// `round(2^128 / √(2π))`.
const INV_SQRT_2PI_128: u128 = 0x662114cf50d942343f2cf1402eae38c0;
/// Fractional bits of the series / continued-fraction accumulator.
const ACC: u32 = 100;
/// `|x|` (raw) from which the tail is evaluated by the continued fraction.
const CF_FROM_RAW: u128 = 5 * Decimal::SCALE as u128;
/// `|x|` (raw) from which both the density and the tail round to zero.
const ZERO_FROM_RAW: u128 = 10 * Decimal::SCALE as u128;
/// Depth of the continued fraction.
const CF_DEPTH: u32 = 48;
/// `10^18` as a 256-bit value.
const SCALE_256: U256 = U256::new(Decimal::SCALE as u128);
/// `10^36` as a 256-bit value.
const SCALE2_256: U256 = U256::new((Decimal::SCALE as u128) * (Decimal::SCALE as u128));

/// `φ(|x|)` as `(p, k)` with `φ ≈ p · 2^(k − 124)`, for `|x| < 10` given by
/// its raw magnitude `a` (< 10^19).
fn pdf_q(a: u128) -> Result<(u128, i32), MathError> {
    // −x²/2 in Q124: a²·2^124 / (2·10^36), half-even (a² < 10^38 < 2^127,
    // so the numerator is below 2^251).
    let num = U256::from(a) * U256::from(a);
    let den = SCALE2_256 << 1u32;
    let (q, rem) = (num << FRAC).div_rem(den);
    let q = if rem > den - rem || (rem == den - rem && (q & U256::ONE) == U256::ONE) { q + U256::ONE } else { q };
    let (m, k) = exp_q(-q.as_i256())?;
    // m < 2^125 and the constant < 2^127: the product fits; floor to Q124
    // (error below one Q124 unit).
    let p = (U256::from(m) * U256::from(INV_SQRT_2PI_128)) >> 128u32;
    Ok((p.as_u128(), k))
}

/// The standard normal density `φ(x) = e^{−x²/2}/√(2π)`, rounded half-even
/// to 18 decimals. Defined for every input (zero for `|x| >= 10`).
///
/// # Errors
/// None in practice; the `Result` keeps the math API uniform.
pub fn normal_pdf(x: Decimal) -> Result<Decimal, MathError> {
    let a = x.raw().unsigned_abs();
    if a >= ZERO_FROM_RAW {
        return Ok(Decimal::ZERO);
    }
    let (p, k) = pdf_q(a)?;
    q_to_raw(p, k).map(Decimal::from_raw)
}

/// `φ · y` as a raw decimal, half-even, for `φ = p · 2^(k − 124)` and `y` a
/// non-negative value with [`ACC`] fractional bits below 2^128.
fn pdf_times(p: u128, k: i32, y: u128) -> Result<i128, MathError> {
    // p·y < 2^253; drop 64 bits (floor, error 2^-160 relative to 1), then
    // scale by 10^18 (< 2^249) and shift the remaining 124 + 100 − 64 − k.
    let prod = (U256::from(p) * U256::from(y)) >> 64u32;
    let shift = i64::from(FRAC + ACC - 64) - i64::from(k);
    let s = u32::try_from(shift).map_err(|_| MathError::Overflow)?;
    let v = shr_half_even(prod * SCALE_256, s);
    i128::try_from(v.as_u128()).map_err(|_| MathError::Overflow)
}

/// The factor `y` (Q100, below 2^128) of the upper tail for
/// `a = |x| < 10` (raw magnitude): `Q(a) = 1/2 − φ(a)·y` when the second
/// value is `true` (series, `a < 5`), else `Q(a) = φ(a)·y` (continued
/// fraction).
fn tail_factor(a: u128) -> (u128, bool) {
    // x in Q100, floored (a < 10^19 < 2^64, so a·2^100 < 2^164); the
    // error of 2^-100 in x is far below the output resolution.
    let x = ((U256::from(a) << ACC) / SCALE_256).as_u128();
    if a < CF_FROM_RAW {
        // S = Σ x^{2n+1}/(2n+1)!! in Q100 (S < 3.5e5 < 2^19). x² < 25.
        let x2 = ((U256::from(x) * U256::from(x)) >> ACC).as_u128();
        let mut term = x;
        let mut sum = x;
        let mut n: u128 = 1;
        // Stop when the term drops below 2^-64 (the neglected tail is then
        // below 2^-62, i.e. < 1e-19 after multiplying by φ ≤ 0.4); the
        // bound of 400 iterations is never reached for |x| < 5.
        while n < 400 && term >= 1 << (ACC - 64) {
            // Floor, then toward zero.
            term = ((U256::from(term) * U256::from(x2)) >> ACC).as_u128() / (2 * n + 1);
            sum += term;
            n += 1;
        }
        (sum, true)
    } else {
        // Continued fraction bottom-up: t = x + n/t for n = DEPTH..1, then
        // R = 1/t. Divisions truncate (toward zero); t ∈ [5, 15].
        let one2 = U256::ONE << (2 * ACC);
        let mut t = U256::from(x);
        let mut n = CF_DEPTH;
        while n >= 1 {
            t = U256::from(x) + (one2 * U256::from(n)) / t;
            n -= 1;
        }
        ((one2 / t).as_u128(), false)
    }
}

/// The upper tail `Q(a) = 1 − Φ(a)` for `a = |x| >= 0` (raw magnitude),
/// as a raw decimal rounded half-even.
fn upper_tail_raw(a: u128) -> Result<i128, MathError> {
    if a >= ZERO_FROM_RAW {
        return Ok(0);
    }
    let (p, k) = pdf_q(a)?;
    match tail_factor(a) {
        (sum, true) => Ok(Decimal::SCALE / 2 - pdf_times(p, k, sum)?),
        (r, false) => pdf_times(p, k, r),
    }
}

/// `φ(a)` and the upper tail `Q(a)` in binary fixed point with 96
/// fractional bits (floored; internal error below 2^-90), for a raw
/// magnitude `a < 10^19`. Used to build the tables of
/// [`crate::fast`].
///
/// # Errors
/// [`MathError::Domain`] for `a >= 10^19`; [`MathError::Overflow`] if an
/// intermediate does not fit (not for valid input).
pub(crate) fn pdf_and_tail_q96(a: u128) -> Result<(u128, u128), MathError> {
    if a >= ZERO_FROM_RAW {
        return Err(MathError::Domain);
    }
    let (p, k) = pdf_q(a)?;
    // φ = p·2^(k−124): to Q96 shift right by 28 − k (k <= 0 here).
    let shift = u32::try_from(28 - i64::from(k)).map_err(|_| MathError::Overflow)?;
    let pdf = if shift >= 128 { 0 } else { p >> shift };
    // φ·y with y in Q100: (p·y) >> (124 + 100 − 96 − k).
    let (y, series) = tail_factor(a);
    let s = u32::try_from(128 - i64::from(k)).map_err(|_| MathError::Overflow)?;
    let prod = if s >= 256 { U256::ZERO } else { (U256::from(p) * U256::from(y)) >> s };
    let prod = u128::try_from(prod).map_err(|_| MathError::Overflow)?;
    let tail = if series { (1u128 << 95).checked_sub(prod).ok_or(MathError::Overflow)? } else { prod };
    Ok((pdf, tail))
}

/// The standard normal distribution function `Φ(x)`, rounded half-even to
/// 18 decimals; `normal_cdf(x) + normal_cdf(−x) == 1` exactly.
///
/// # Errors
/// None in practice; the `Result` keeps the math API uniform.
pub fn normal_cdf(x: Decimal) -> Result<Decimal, MathError> {
    let tail = upper_tail_raw(x.raw().unsigned_abs())?;
    Ok(Decimal::from_raw(if x.is_negative() { tail } else { Decimal::SCALE - tail }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn known_values() {
        assert_eq!(normal_cdf(Decimal::ZERO), Ok(d("0.5")));
        assert_eq!(normal_pdf(Decimal::ZERO), Ok(d("0.398942280401432678")));
        assert_eq!(normal_cdf(d("1")), Ok(d("0.841344746068542949")));
        assert_eq!(normal_cdf(d("-5")), Ok(d("0.000000286651571879")));
        assert_eq!(normal_cdf(d("-12")), Ok(Decimal::ZERO));
        assert_eq!(normal_cdf(d("12")), Ok(Decimal::ONE));
        assert_eq!(normal_pdf(Decimal::MIN), Ok(Decimal::ZERO));
    }
}
