//! Exact integer primitives: `a * b / c` and `a / c` on `i128` with an
//! explicit [`Rounding`], and floor square roots.
//!
//! Promises: results are the exact rational result rounded as asked; a
//! result that does not fit `i128` is [`MathError::Overflow`], never a wrap;
//! a zero divisor is [`MathError::DivisionByZero`]; nothing here panics.
//! When `a * b` fits `i128` the work is done in `i128` (the hot path); only
//! otherwise is the product formed exactly in 256 bits with `ethnum`.

use ethnum::U256;

use crate::{MathError, Rounding};

/// Computes `a * b / c` exactly, rounded once as `rounding` asks.
///
/// The product `a * b` is never truncated: when it does not fit `i128` it is
/// held in 256 bits, so only the final quotient has to fit.
///
/// # Errors
/// [`MathError::DivisionByZero`] if `c == 0`; [`MathError::Overflow`] if the
/// rounded quotient does not fit `i128`.
#[inline]
pub fn mul_div_i128(a: i128, b: i128, c: i128, rounding: Rounding) -> Result<i128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    match a.checked_mul(b) {
        Some(p) => div_nonzero(p, c, rounding),
        None => mul_div_wide(a, b, c, rounding),
    }
}

/// Computes `a / c` exactly rounded as `rounding` asks (correct for every
/// sign combination).
///
/// # Errors
/// [`MathError::DivisionByZero`] if `c == 0`; [`MathError::Overflow`] for
/// `i128::MIN / -1`, whose exact result `2^127` does not fit.
#[inline]
pub fn div_i128(a: i128, c: i128, rounding: Rounding) -> Result<i128, MathError> {
    if c == 0 {
        return Err(MathError::DivisionByZero);
    }
    div_nonzero(a, c, rounding)
}

/// Floor square root: the largest `r` with `r * r <= n`. Exact for every
/// `u128` (the result is at most `u64::MAX`).
pub fn isqrt_u128(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    // Start at a power of two that is >= sqrt(n); Newton's iteration then
    // decreases monotonically to floor(sqrt(n)) and stops there.
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1 << bits.div_ceil(2);
    loop {
        // x <= 2^64 and n / x < 2^128 / x, so the sum cannot overflow for
        // x >= 2; the division truncates (floor), as Newton's integer step needs.
        let y = (x + n / x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// Floor square root of a 256-bit value: the largest `r` with `r * r <= n`.
/// The result always fits `u128`.
pub(crate) fn isqrt_u256(n: U256) -> u128 {
    if *n.high() == 0 {
        return isqrt_u128(*n.low());
    }
    let bits = 256 - n.leading_zeros();
    // Same monotone Newton iteration as `isqrt_u128`, in 256 bits; the start
    // value 2^ceil(bits/2) is <= 2^128, so x + n / x < 2^129 never overflows.
    let mut x = U256::ONE << bits.div_ceil(2);
    loop {
        let y = (x + n / x) >> 1;
        if y >= x {
            return x.as_u128();
        }
        x = y;
    }
}

/// `p / c` for `c != 0`, rounded as asked.
#[inline]
fn div_nonzero(p: i128, c: i128, rounding: Rounding) -> Result<i128, MathError> {
    if p == i128::MIN && c == -1 {
        return Err(MathError::Overflow);
    }
    // Truncating division (exact here: c != 0 and not MIN / -1). The
    // remainder comes from one multiply instead of a second 128-bit
    // division; |q·c| <= |p|, so neither operation can wrap.
    let q = p / c;
    let r = p.wrapping_sub(q.wrapping_mul(c));
    if r == 0 {
        return Ok(q);
    }
    // r != 0 implies |c| >= 2, so |q| <= 2^126 and q ± 1 cannot overflow.
    let negative = (r < 0) != (c < 0);
    if away_from_zero(rounding, negative, r.unsigned_abs(), c.unsigned_abs(), q & 1 != 0) {
        Ok(if negative { q - 1 } else { q + 1 })
    } else {
        Ok(q)
    }
}

/// Decides whether a truncated quotient with a non-zero remainder must move
/// one step away from zero.
///
/// `rem` and `div` are magnitudes (`0 < rem < div`), `negative` is the sign
/// of the exact quotient and `odd` the parity of the truncated quotient.
#[inline]
fn away_from_zero(rounding: Rounding, negative: bool, rem: u128, div: u128, odd: bool) -> bool {
    match rounding {
        Rounding::TowardZero => false,
        Rounding::Floor => negative,
        Rounding::Ceil => !negative,
        Rounding::HalfEven => {
            // Compare rem with div - rem instead of 2 * rem with div, which
            // could overflow.
            let rest = div - rem;
            rem > rest || (rem == rest && odd)
        }
    }
}

/// Slow path of [`mul_div_i128`]: `a * b` overflowed `i128`, so work on
/// magnitudes in 256 bits (`|a| * |b| <= 2^254`) and re-apply the sign.
#[cold]
#[inline(never)]
fn mul_div_wide(a: i128, b: i128, c: i128, rounding: Rounding) -> Result<i128, MathError> {
    // The product is non-zero here (it overflowed), so the sign of the exact
    // quotient is the xor of the operand signs.
    let negative = (a < 0) ^ (b < 0) ^ (c < 0);
    let product = U256::from(a.unsigned_abs()) * U256::from(b.unsigned_abs());
    let div = c.unsigned_abs();
    // A quotient of 2^128 or more cannot fit i128 whatever the rounding.
    if *product.high() >= div {
        return Err(MathError::Overflow);
    }
    // q < 2^128 by the check above; rem < div <= 2^127.
    let (mut mag, rem) = match u64::try_from(div) {
        // The usual case (10^18, 10^6, tick sizes): two 128-by-64 steps.
        Ok(d) => div_by_u64(*product.high(), *product.low(), d),
        Err(_) => {
            let (q, r) = product.div_rem(U256::from(div));
            (q.as_u128(), r.as_u128())
        }
    };
    if rem != 0 && away_from_zero(rounding, negative, rem, div, mag & 1 != 0) {
        mag = mag.checked_add(1).ok_or(MathError::Overflow)?;
    }
    if negative {
        0i128.checked_sub_unsigned(mag).ok_or(MathError::Overflow)
    } else {
        i128::try_from(mag).map_err(|_| MathError::Overflow)
    }
}

/// `(hi·2^128 + lo) / d` and its remainder, for `hi < d` (so the quotient
/// fits `u128`): schoolbook long division in base 2^64, truncating.
#[inline]
fn div_by_u64(hi: u128, lo: u128, d: u64) -> (u128, u128) {
    let d = u128::from(d);
    // hi < d < 2^64, so each partial dividend fits u128 and each partial
    // quotient fits u64; remainders come from a multiply, not a division.
    let n1 = (hi << 64) | (lo >> 64);
    let q1 = n1 / d;
    let r1 = n1 - q1 * d;
    let n0 = (r1 << 64) | (lo & u128::from(u64::MAX));
    let q0 = n0 / d;
    let r0 = n0 - q0 * d;
    ((q1 << 64) | q0, r0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rounding::*;

    #[test]
    fn div_rounds_every_sign_combination() {
        // 7 / 2 = 3.5, -7 / 2 = -3.5
        let cases = [
            (7, 2, [3, 4, 4, 3]),
            (-7, 2, [-4, -3, -4, -3]),
            (7, -2, [-4, -3, -4, -3]),
            (-7, -2, [3, 4, 4, 3]),
            (5, 2, [2, 3, 2, 2]),
            (-5, 2, [-3, -2, -2, -2]),
            (7, 3, [2, 3, 2, 2]),
            (8, 3, [2, 3, 3, 2]),
            (-8, 3, [-3, -2, -3, -2]),
            (6, 3, [2, 2, 2, 2]),
            (0, -3, [0, 0, 0, 0]),
        ];
        for (a, c, expected) in cases {
            for (mode, want) in Rounding::ALL.into_iter().zip(expected) {
                assert_eq!(div_i128(a, c, mode), Ok(want), "{a}/{c} {mode:?}");
            }
        }
    }

    #[test]
    fn div_edge_cases() {
        for mode in Rounding::ALL {
            assert_eq!(div_i128(1, 0, mode), Err(MathError::DivisionByZero));
            assert_eq!(div_i128(i128::MIN, -1, mode), Err(MathError::Overflow));
            assert_eq!(div_i128(i128::MIN, 1, mode), Ok(i128::MIN));
            assert_eq!(div_i128(i128::MAX, -1, mode), Ok(-i128::MAX));
        }
        assert_eq!(div_i128(i128::MIN, 2, HalfEven), Ok(i128::MIN / 2));
        assert_eq!(div_i128(i128::MAX, 2, HalfEven), Ok(i128::MAX / 2 + 1));
        assert_eq!(div_i128(i128::MIN, i128::MAX, Floor), Ok(-2));
        assert_eq!(div_i128(i128::MIN, i128::MAX, Ceil), Ok(-1));
    }

    #[test]
    fn mul_div_fast_and_wide_paths_agree() {
        assert_eq!(mul_div_i128(3, 5, 2, HalfEven), Ok(8));
        assert_eq!(mul_div_i128(3, 5, 2, TowardZero), Ok(7));
        assert_eq!(mul_div_i128(i128::MAX, 2, 2, Floor), Ok(i128::MAX));
        assert_eq!(mul_div_i128(i128::MAX, i128::MAX, i128::MAX, Ceil), Ok(i128::MAX));
        assert_eq!(mul_div_i128(i128::MIN, i128::MIN, i128::MIN, Ceil), Ok(i128::MIN));
        assert_eq!(mul_div_i128(i128::MIN, -1, 1, Floor), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(i128::MIN, -1, -1, Floor), Ok(i128::MIN));
        assert_eq!(mul_div_i128(i128::MIN, 1, -1, Floor), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(i128::MAX, 3, 2, Floor), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(1, 1, 0, Floor), Err(MathError::DivisionByZero));
        // (2^127 - 1) * 3 / 6 = 2^126 - 0.5 → ties to even 2^126.
        assert_eq!(mul_div_i128(i128::MAX, 3, 6, HalfEven), Ok(1 << 126));
        assert_eq!(mul_div_i128(i128::MAX, -3, 6, HalfEven), Ok(-(1 << 126)));
        assert_eq!(mul_div_i128(i128::MAX, -3, 6, Ceil), Ok(-(1 << 126) + 1));
    }

    #[test]
    fn wide_path_rounding_can_overflow() {
        // (M - 1) * (c + 1) / c with c = 2(M - 1)/3 lies strictly between
        // M = i128::MAX and M + 1: floor fits, ceil does not.
        let c = (i128::MAX - 1) / 3 * 2;
        assert_eq!(mul_div_i128(i128::MAX - 1, c + 1, c, Floor), Ok(i128::MAX));
        assert_eq!(mul_div_i128(i128::MAX - 1, c + 1, c, Ceil), Err(MathError::Overflow));
        // -M * (c + 1) / c = -(M + 1.5): ceil and truncation reach i128::MIN,
        // floor and half-even do not fit.
        let m = i128::MAX;
        assert_eq!(mul_div_i128(-m, c + 1, c, Ceil), Ok(i128::MIN));
        assert_eq!(mul_div_i128(-m, c + 1, c, TowardZero), Ok(i128::MIN));
        assert_eq!(mul_div_i128(-m, c + 1, c, Floor), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(-m, c + 1, c, HalfEven), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(i128::MIN, i128::MAX, i128::MAX, Floor), Ok(i128::MIN));
    }

    #[test]
    fn long_division_by_u64() {
        let d = u64::MAX;
        let (q, r) = div_by_u64(u128::from(d) - 1, u128::MAX, d);
        // The largest dividend allowed (hi = d - 1), checked against the
        // 256-bit library division.
        let n = U256::from_words(u128::from(d) - 1, u128::MAX);
        let (wq, wr) = n.div_rem(U256::from(d));
        assert_eq!((U256::from(q), U256::from(r)), (wq, wr));
        assert_eq!(div_by_u64(0, 7, 2), (3, 1));
        assert_eq!(div_by_u64(1, 0, 3), (u128::MAX / 3, 1));
    }

    #[test]
    fn isqrt_small_and_extreme() {
        for n in 0u128..2000 {
            let r = isqrt_u128(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "n={n} r={r}");
        }
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
        assert_eq!(isqrt_u128(1 << 126), 1 << 63);
        let m = u64::MAX as u128;
        assert_eq!(isqrt_u128(m * m), m);
        assert_eq!(isqrt_u128(m * m - 1), m - 1);
    }

    #[test]
    fn isqrt_wide() {
        assert_eq!(isqrt_u256(U256::MAX), u128::MAX);
        assert_eq!(isqrt_u256(U256::from(99u8)), 9);
        let m = U256::from(u128::MAX);
        assert_eq!(isqrt_u256(m * m), u128::MAX);
        assert_eq!(isqrt_u256(m * m - 1), u128::MAX - 1);
        let k = U256::from(1u128 << 100) + 12345;
        assert_eq!(isqrt_u256(k * k + k), (1u128 << 100) + 12345);
    }
}
