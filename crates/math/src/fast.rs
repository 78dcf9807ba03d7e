//! Fast fixed-point kernels for option pricing: `ln`, `exp`, and the standard
//! normal `Φ` and `φ`, on `i64`/`i128` binary fixed point with widening
//! multiplies.
//!
//! Promises: integer-only and deterministic bit for bit (every product is
//! floored by an arithmetic shift; the tables are built once, from the exact
//! functions of [`crate::transcendental`] and [`crate::normal`], by integer
//! arithmetic only). Each kernel states the input range it accepts; callers
//! check the range first (see [`crate::series`]), so no operation here can
//! overflow. Absolute errors: `ln` and `exp` below 1e-18 relative, `Φ` below
//! about 5e-19 (`Φ(x) + Φ(−x) = 1` exactly), `φ` below about 1e-18.
//!
//! Notation: a "Qn" value `v` stands for `v / 2^n`.
//!
//! Method:
//! * `ln v` of a positive integer: `v = m·2^e` with `m ∈ [1, 2)`; a table of
//!   256 reciprocals `1/c_j` of interval centres gives `r = m/c_j − 1`,
//!   `|r| <= 2^-9`, and `ln v = e·ln 2 + ln c_j + ln(1 + r)` with a
//!   degree-7 series (error below 2^-75).
//! * `e^z` for `z ∈ [−4, 2]`: `z = j/64 + r`, `|r| <= 1/128`, a table of
//!   `e^{j/64}` and a degree-7 Taylor polynomial of `e^r` (error below 1e-21).
//! * `Φ(x) − 1/2` for `|x| < 9`: 72 intervals of width 1/8, on each a
//!   degree-12 Taylor polynomial about the centre `c` with the exact
//!   coefficients `Φ^{(n)}(c)/n! = φ(c)·(−1)^{n−1}He_{n−1}(c)/n!`
//!   (He the probabilists' Hermite polynomials; truncation error below
//!   4e-22); `φ` likewise by the derivative series. For `|x| >= 9`,
//!   `Φ` is 0 or 1 (`1 − Φ(9) < 1.2e-19`) and `φ` is 0 (`φ(9) < 1.1e-18`).

use std::sync::OnceLock;

use ethnum::{I256, U256};

use crate::normal::pdf_and_tail_q96;
use crate::transcendental::{exp_q, ln_series, FRAC, LN1E18_188, LN2_188, SQRT2_Q};
use crate::Decimal;

/// Fractional bits of most kernel values.
pub(crate) const Q: u32 = 60;
/// `1.0` in Q63 (as `u64`: the largest value of `Φ`).
pub(crate) const ONE_Q63: u64 = 1 << 63;
/// `floor(2^123 / 10^18)`: converts a raw decimal to Q60 by `(raw·C) >> 63`.
const DEC_TO_Q60: u128 = (1u128 << 123) / (Decimal::SCALE as u128);
/// `10^18`.
const SCALE_U64: u64 = 1_000_000_000_000_000_000;

/// Degree of the `Φ` polynomials.
const CDF_DEGREE: usize = 12;
/// Intervals of width 1/8 over `[0, 9)`.
const CDF_INTERVALS: usize = 72;
/// `|x|` (Q60) from which `Φ` saturates.
const CDF_LIMIT_Q60: i128 = 9 << Q;
/// Reciprocal table size for `ln`.
const LN_ENTRIES: usize = 256;
/// `e^{j/64}` for `j ∈ [EXP_J_MIN, EXP_J_MAX]`.
const EXP_J_MIN: i64 = -256;
const EXP_J_MAX: i64 = 128;
/// Range of the `exp` kernel argument (Q60): `[−4, 2)`.
const EXP_MIN_Q60: i64 = -4 << Q;
const EXP_MAX_Q60: i64 = 2 << Q;

/// Taylor coefficients of one `Φ` interval (in `v ∈ [−1/2, 1/2)`, `x = c + v/8`).
#[derive(Clone, Copy)]
struct CdfPiece {
    /// `Φ(x) − 1/2 = Σ cdf[n]·v^n`, Q63.
    cdf: [i64; CDF_DEGREE + 1],
    /// `φ(x) = Σ pdf[n]·v^n`, Q63.
    pdf: [i64; CDF_DEGREE],
}

/// The tables, built once.
pub(crate) struct Tables {
    /// `(round(2^63 / c_j), ln c_j in Q62)` for `c_j = 1 + (j + 1/2)/256`.
    ln: [(u64, i64); LN_ENTRIES],
    /// `ln 2` in Q128 as its high and low 64-bit words.
    ln2_hi: u64,
    ln2_lo: u64,
    /// `ln 10^18` in Q62.
    ln_scale_q62: i128,
    /// `e^{j/64}` in Q60, index `j − EXP_J_MIN`.
    exp: Vec<i64>,
    /// The `Φ` pieces.
    cdf: Vec<CdfPiece>,
}

impl core::fmt::Debug for Tables {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Tables")
    }
}

static TABLES: OnceLock<Option<Tables>> = OnceLock::new();

/// The tables (`None` only if building them failed, which the tests rule
/// out; callers then take the exact path).
#[inline]
pub(crate) fn tables() -> Option<&'static Tables> {
    TABLES.get_or_init(build).as_ref()
}

/// `num / den` rounded to nearest (ties away from zero), `den > 0`.
fn div_round(num: I256, den: I256) -> I256 {
    let half = den >> 1u32;
    if num >= 0 {
        (num + half) / den
    } else {
        -((-num + half) / den)
    }
}

fn build() -> Option<Tables> {
    let ln2_q124 = (LN2_188 >> 64u32).as_u128();
    let ln = build_ln(ln2_q124)?;
    let ln2_q128 = (LN2_188 >> 60u32).as_u128();
    let (ln2_hi, ln2_lo) = ((ln2_q128 >> 64) as u64, ln2_q128 as u64);
    let ln_scale_q62 = i128::try_from(shr_round(LN1E18_188, 126)).ok()?;
    let mut exp = Vec::new();
    for j in EXP_J_MIN..=EXP_J_MAX {
        // Argument j/64 in Q124, held in 256 bits.
        let (m, k) = exp_q(I256::from(j) << (FRAC - 6)).ok()?;
        // m·2^(k−124) to Q60: shift right by 64 − k (k ∈ [−7, 3]).
        let s = u32::try_from(64 - k).ok()?;
        exp.push(i64::try_from(shr_round(U256::from(m), s)).ok()?);
    }
    let mut cdf = Vec::with_capacity(CDF_INTERVALS);
    for i in 0..CDF_INTERVALS {
        cdf.push(build_cdf_piece(i)?);
    }
    Some(Tables { ln, ln2_hi, ln2_lo, ln_scale_q62, exp, cdf })
}

/// `x >> s` rounded to nearest (ties up).
fn shr_round(x: U256, s: u32) -> U256 {
    if s == 0 {
        x
    } else {
        (x + (U256::ONE << (s - 1))) >> s
    }
}

fn build_ln(ln2_q124: u128) -> Option<[(u64, i64); LN_ENTRIES]> {
    let mut table = [(0u64, 0i64); LN_ENTRIES];
    for (j, slot) in table.iter_mut().enumerate() {
        // c_j = (513 + 2j)/512; inv = round(2^63·512 / (513 + 2j)) < 2^63.
        let den = 513 + 2 * j as u128;
        let inv = ((1u128 << 72) + den / 2) / den;
        // v = inv/2^63 ∈ (0.5, 1) in Q124; ln c_j = −ln v (to within 2^-63
        // relative of c_j, which r absorbs exactly: r is formed from inv).
        let v = inv << (FRAC - 63);
        let ln_v = if v >= SQRT2_Q >> 1 { ln_series(v) } else { ln_series(v << 1) - ln2_q124 as i128 };
        // −ln v in Q62, rounded.
        let neg = -ln_v;
        let q62 = (neg + (1i128 << 61)) >> 62;
        *slot = (u64::try_from(inv).ok()?, i64::try_from(q62).ok()?);
    }
    Some(table)
}

/// Interval `i` covers `[i/8, (i+1)/8)`, centre `c = (2i + 1)/16`.
fn build_cdf_piece(i: usize) -> Option<CdfPiece> {
    let n16 = 2 * i as i128 + 1; // 16·c
    let c_raw = u128::try_from(n16).ok()? * (Decimal::SCALE as u128 / 16);
    let (phi, tail) = pdf_and_tail_q96(c_raw).ok()?;
    // H[m] = He_m(c)·16^m, exact: H[m+1] = 16c·H[m] − 256·m·H[m−1].
    let mut h = [0i128; CDF_DEGREE + 1];
    let (mut prev, mut cur) = (0i128, 1i128);
    for (m, slot) in h.iter_mut().enumerate() {
        *slot = cur;
        let next = n16.checked_mul(cur)?.checked_sub(256i128.checked_mul(m as i128)?.checked_mul(prev)?)?;
        (prev, cur) = (cur, next);
    }
    let phi = I256::from(phi);
    let mut piece = CdfPiece { cdf: [0; CDF_DEGREE + 1], pdf: [0; CDF_DEGREE] };
    // Φ(c) − 1/2 = 1/2 − Q(c), Q96 to Q63.
    let half_minus = I256::from((1u128 << 95).checked_sub(tail)?);
    *piece.cdf.first_mut()? = i64::try_from(div_round(half_minus, I256::ONE << 33u32)).ok()?;
    let mut fact = I256::ONE;
    for (m, (slot, &h_m)) in piece.cdf.iter_mut().skip(1).zip(h.iter()).enumerate() {
        let n = m + 1;
        fact *= I256::from(n as u64);
        // Φ^{(n)}(c)/n! · 8^-n = φ·(−1)^{n−1}·H[n−1] / (n!·16^{n−1}·8^n), Q96 → Q63.
        let sign = if n % 2 == 1 { 1 } else { -1 };
        let num = phi * I256::from(h_m) * I256::from(sign);
        let den = fact << (7 * n as u32 + 29);
        *slot = i64::try_from(div_round(num, den)).ok()?;
    }
    let mut fact = I256::ONE;
    for (m, (slot, &h_m)) in piece.pdf.iter_mut().zip(h.iter()).enumerate() {
        if m > 0 {
            fact *= I256::from(m as u64);
        }
        // φ^{(m)}(c)/m! · 8^-m = φ·(−1)^m·H[m] / (m!·16^m·8^m), Q96 → Q63.
        let sign = if m % 2 == 0 { 1 } else { -1 };
        let num = phi * I256::from(h_m) * I256::from(sign);
        let den = fact << (7 * m as u32 + 33);
        *slot = i64::try_from(div_round(num, den)).ok()?;
    }
    // Horner stays below 1 in magnitude (so nothing overflows) when the
    // coefficients' magnitudes sum below 0.9.
    let bound = (9u128 << 63) / 10;
    let sum_cdf: u128 = piece.cdf.iter().map(|c| u128::from(c.unsigned_abs())).sum();
    let sum_pdf: u128 = piece.pdf.iter().map(|c| u128::from(c.unsigned_abs())).sum();
    (sum_cdf < bound && sum_pdf < bound).then_some(piece)
}

/// The exact product of two `i64` (it always fits `i128`; `wrapping_mul`
/// only spares the overflow check, which cannot fire).
#[inline(always)]
pub(crate) fn wmul(a: i64, b: i64) -> i128 {
    i128::from(a).wrapping_mul(i128::from(b))
}

/// The exact product of two `u64`.
#[inline(always)]
pub(crate) fn wmulu(a: u64, b: u64) -> u128 {
    u128::from(a).wrapping_mul(u128::from(b))
}

/// `(a·b) >> 64`, floored: a Qn value times a Q64 value gives a Qn value.
/// Taking the high word of the product needs no shift instruction.
#[inline(always)]
fn mulhi(a: i64, b: i64) -> i64 {
    // |a·b| <= 2^126: the high word fits i64.
    (wmul(a, b) >> 64) as i64
}

/// Estrin evaluation of `Σ c[n]·v^n` (degree 12; Q63 coefficients, a Q64
/// `|v| <= 1/2`) in Q63: the same sum as Horner's rule, rounded
/// differently, with a dependency chain of 4 products instead of 12. Every
/// partial sum is a sub-sum of the terms, so it stays below
/// `Σ|c[n]| < 0.9` in magnitude.
#[inline(always)]
fn estrin13(c: &[i64; 13], v: i64) -> i64 {
    let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12] = *c;
    let v2 = mulhi(v, v);
    let v4 = mulhi(v2, v2);
    let v8 = mulhi(v4, v4);
    let q0 = c0 + mulhi(c1, v) + mulhi(c2 + mulhi(c3, v), v2);
    let q1 = c4 + mulhi(c5, v) + mulhi(c6 + mulhi(c7, v), v2);
    let q2 = c8 + mulhi(c9, v) + mulhi(c10 + mulhi(c11, v), v2);
    let r0 = q0 + mulhi(q1, v4);
    let r1 = q2 + mulhi(c12, v4);
    r0 + mulhi(r1, v8)
}

/// [`estrin13`] for degree 11.
#[inline(always)]
fn estrin12(c: &[i64; 12], v: i64) -> i64 {
    let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11] = *c;
    let v2 = mulhi(v, v);
    let v4 = mulhi(v2, v2);
    let v8 = mulhi(v4, v4);
    let q0 = c0 + mulhi(c1, v) + mulhi(c2 + mulhi(c3, v), v2);
    let q1 = c4 + mulhi(c5, v) + mulhi(c6 + mulhi(c7, v), v2);
    let q2 = c8 + mulhi(c9, v) + mulhi(c10 + mulhi(c11, v), v2);
    let r0 = q0 + mulhi(q1, v4);
    r0 + mulhi(q2, v8)
}

/// Horner evaluation of `Σ c[n]·r^n` in Q63 for Q63 coefficients and a Q64
/// `r` with `|r| <= 1/2` (coefficient magnitudes summing below 1).
#[inline(always)]
fn horner_hi(c: &[i64], r: i64) -> i64 {
    let mut acc = 0i64;
    for &k in c.iter().rev() {
        acc = k + mulhi(acc, r);
    }
    acc
}

/// A raw decimal in `[0, 8)` (raw below 8·10^18) as Q60, floored.
#[inline]
pub(crate) fn dec_to_q60(raw: u64) -> i64 {
    // raw·C < 2^63·2^64; the result is below 8·2^60.
    (u128::from(raw).wrapping_mul(DEC_TO_Q60) >> 63) as i64
}

/// `floor(v·q / 2^s)`, exact, for `v < 2^120`, `q < 2^64` and `s <= 64`,
/// provided `(v >> 64)·q·2^(64 − s) < 2^127` (every caller's ranges keep it
/// below 2^123), so that the sum cannot overflow.
#[inline]
pub(crate) fn mul_shr(v: u128, q: u64, s: u32) -> u128 {
    let s = s.min(64);
    let lo = wmulu(v as u64, q);
    // v >> 64 < 2^56: the product is exact.
    let hi = (v >> 64).wrapping_mul(u128::from(q));
    (hi << (64 - s)) + (lo >> s)
}

/// Signed `v·q >> s`, truncated toward zero; as [`mul_shr`].
#[inline]
pub(crate) fn mul_shr_signed(v: i128, q: i64, s: u32) -> i128 {
    let m = mul_shr(v.unsigned_abs(), q.unsigned_abs(), s) as i128;
    if (v < 0) != (q < 0) {
        -m
    } else {
        m
    }
}

/// A Q60 value (`|v| < 2^120`) as a raw decimal, truncated toward zero.
#[inline]
pub(crate) fn q60_to_raw(v: i128) -> i128 {
    mul_shr_signed(v, SCALE_U64 as i64, Q)
}

impl Tables {
    /// `ln v` in Q62 for an integer `v >= 1` (error below 2^-61).
    #[inline]
    pub(crate) fn ln_int_q62(&self, v: u128) -> i128 {
        let lz = v.leading_zeros();
        let e = u64::from(127 - lz.min(127));
        // Mantissa in Q63, in [2^63, 2^64): the top 64 bits (floored,
        // relative error below 2^-63).
        let m = ((v << lz.min(127)) >> 64) as u64;
        let j = ((m >> 55) & 0xFF) as usize;
        let (inv, ln_c) = self.ln.get(j).copied().unwrap_or((ONE_Q63, 0));
        // 1 + r = m·inv (Q126); r in Q64, |r| <= 2^-9 (+ rounding).
        let r = ((wmulu(m, inv) as i128 - (1i128 << 126)) >> 62) as i64;
        let ln1p = ln1p_q63(r);
        // e·ln 2 in Q62 from ln 2's Q64 high word and Q128 low word (e < 128:
        // both products exact and below 2^71).
        let e_ln2_q62 = (wmulu(e, self.ln2_hi) >> 2) + (wmulu(e, self.ln2_lo) >> 66);
        e_ln2_q62 as i128 + i128::from(ln_c) + i128::from(ln1p >> 1)
    }

    /// `ln x` in Q62 of a positive raw decimal `x` (`x` = raw / 10^18).
    #[inline]
    pub(crate) fn ln_dec_q62(&self, raw: u128) -> i128 {
        self.ln_int_q62(raw) - self.ln_scale_q62
    }

    /// `e^z` in Q60 for a Q60 `z ∈ [EXP_MIN_Q60, EXP_MAX_Q60)`; `None`
    /// outside.
    #[inline]
    pub(crate) fn exp_q60(&self, z: i64) -> Option<i64> {
        if !(EXP_MIN_Q60..EXP_MAX_Q60).contains(&z) {
            return None;
        }
        // j = round(64·z) ∈ [−256, 128]; r = z − j/64 ∈ [−1/128, 1/128).
        let j = (z + (1 << 53)) >> 54;
        let r = (z - (j << 54)) << 4; // Q64, |r| <= 2^57
        let e_j = *self.exp.get(usize::try_from(j - EXP_J_MIN).ok()?)?;
        // e^r − 1 = r + r²·(1/2 + r/6 + … + r^5/7!), Q64.
        let p = horner_hi(&EXP_COEF_Q63, r);
        let em1 = r + (mulhi(mulhi(r, r), p) << 1);
        // e_j·(1 + em1), Q60 (e_j < e^2·2^60).
        Some(e_j + mulhi(e_j, em1))
    }

    /// The piece and the local variable `v = 8(a − c) ∈ [−1/2, 1/2)` (Q64)
    /// for `|x| < 9` given as a Q60 magnitude `a ∈ [0, 9·2^60)` (callers
    /// check).
    #[inline(always)]
    fn piece(&self, a: i128) -> Option<(&CdfPiece, i64)> {
        let i = (a >> 57) as usize;
        let piece = self.cdf.get(i)?;
        let centre = (2 * i as i128 + 1) << 56;
        // v = 8·(a − c) in Q64: the Q60 difference times 2^7.
        Some((piece, ((a - centre) << 7) as i64))
    }

    /// `Φ(x)` in Q63 (`[0, 2^63]`) for a Q60 `x`; `Φ(x) + Φ(−x) = 2^63`
    /// exactly.
    #[inline]
    pub(crate) fn cdf_q63(&self, x: i128) -> u64 {
        let half = (ONE_Q63 >> 1) as i64;
        let a = x.unsigned_abs();
        let above_half = if a < CDF_LIMIT_Q60 as u128 {
            match self.piece(a as i128) {
                Some((piece, u)) => estrin13(&piece.cdf, u).clamp(0, half),
                None => half,
            }
        } else {
            half
        };
        // above_half ∈ [0, 2^62]: both results lie in [0, 2^63].
        let above_half = above_half.unsigned_abs();
        let half = half.unsigned_abs();
        if x < 0 {
            half - above_half
        } else {
            half + above_half
        }
    }

    /// `φ(x)` in Q63 for a Q60 `x` (0 for `|x| >= 9`).
    #[inline]
    pub(crate) fn pdf_q63(&self, x: i128) -> u64 {
        let a = x.unsigned_abs();
        if a >= CDF_LIMIT_Q60 as u128 {
            return 0;
        }
        match self.piece(a as i128) {
            Some((piece, u)) => estrin12(&piece.pdf, u).max(0) as u64,
            None => 0,
        }
    }
}

/// `1/n!` in Q63 for `n = 2..=7`.
const EXP_COEF_Q63: [i64; 6] = {
    let mut c = [0i64; 6];
    let mut n = 2;
    let mut fact: i128 = 1;
    while n < 8 {
        fact *= n as i128;
        c[n - 2] = ((1i128 << 63) / fact) as i64;
        n += 1;
    }
    c
};

/// `ln(1 + r)` in Q63 for a Q64 `|r| <= 2^-8`: `r + r²·(−1/2 + r/3 − …)`,
/// degree 7.
#[inline(always)]
fn ln1p_q63(r: i64) -> i64 {
    // (−1)^{n+1}/n for n = 2..=7, Q63.
    const C: [i64; 6] = [
        -(1i64 << 62),
        ((1i128 << 63) / 3) as i64,
        -(1i64 << 61),
        ((1i128 << 63) / 5) as i64,
        -((1i128 << 63) / 6) as i64,
        ((1i128 << 63) / 7) as i64,
    ];
    let p = horner_hi(&C, r);
    (r >> 1) + mulhi(mulhi(r, r), p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{normal_cdf, normal_pdf};

    const ONE_Q60: i64 = 1 << Q;

    fn q63_to_raw(v: u64) -> i128 {
        mul_shr(u128::from(v), SCALE_U64, 63) as i128
    }

    #[test]
    fn tables_build() {
        assert!(tables().is_some());
    }

    #[test]
    fn cdf_and_pdf_match_the_exact_functions() {
        let t = tables().unwrap();
        let mut max = (0i128, 0i128);
        // Steps of 0.001 over [−9.5, 9.5] plus odd offsets.
        for k in -9_500i128..=9_500 {
            let raw = k * 1_000_000_000_000_000 + 123_456_789 * (k % 7);
            let x = (raw << 60) / Decimal::SCALE;
            let exact_raw = (x * Decimal::SCALE) >> 60; // the value actually evaluated, floored
            let xd = Decimal::from_raw(exact_raw);
            let cdf = q63_to_raw(t.cdf_q63(x));
            let pdf = q63_to_raw(t.pdf_q63(x));
            max.0 = max.0.max((cdf - normal_cdf(xd).unwrap().raw()).abs());
            max.1 = max.1.max((pdf - normal_pdf(xd).unwrap().raw()).abs());
            assert_eq!(u128::from(t.cdf_q63(x)) + u128::from(t.cdf_q63(-x)), 1u128 << 63);
        }
        // Raw units of 1e-18: truncation of the conversion plus rounding of
        // the reference.
        assert!(max.0 <= 3 && max.1 <= 3, "{max:?}");
    }

    #[test]
    fn cdf_and_pdf_errors_are_below_1e_18_on_a_fine_grid() {
        // x = k/1024 is exact both in Q60 and in 18 decimals; compare with the
        // exact Q96 values (errors in units of 2^-63 ≈ 1.08e-19).
        let t = tables().unwrap();
        let (mut max_cdf, mut max_pdf) = (0i128, 0i128);
        for k in 0..(9 * 1024) {
            let x = i128::from(k) << 50;
            let (pdf96, tail96) = pdf_and_tail_q96(k as u128 * 976_562_500_000_000).unwrap();
            let want_cdf = ((1i128 << 96) - tail96 as i128) >> 33;
            let want_pdf = (pdf96 >> 33) as i128;
            max_cdf = max_cdf.max((i128::from(t.cdf_q63(x)) - want_cdf).abs());
            max_pdf = max_pdf.max((i128::from(t.pdf_q63(x)) - want_pdf).abs());
        }
        println!("max errors in 2^-63 units: cdf {max_cdf} pdf {max_pdf}");
        assert!(max_cdf <= 6 && max_pdf <= 8, "{max_cdf} {max_pdf}");
    }

    #[test]
    fn ln_and_exp_match_the_exact_functions() {
        let t = tables().unwrap();
        for k in 1..2000u128 {
            let raw = k * 7_919_000_000_000_003 + 11;
            let got = mul_shr_signed(t.ln_dec_q62(raw), SCALE_U64 as i64, 62);
            let want = Decimal::from_raw(raw as i128).ln().unwrap().raw();
            assert!((got - want).abs() <= 2, "ln {raw}: {got} vs {want}");
        }
        for k in -4000i64..2000 {
            let z = k * (ONE_Q60 / 1000) + 12345;
            let got = q60_to_raw(i128::from(t.exp_q60(z).unwrap()));
            let zd = Decimal::from_raw(q60_to_raw(i128::from(z)));
            let want = zd.exp().unwrap().raw();
            // z itself is truncated by up to 1e-18 in the reference.
            assert!((got - want).abs() <= 10, "exp {z}: {got} vs {want}");
        }
        assert_eq!(t.exp_q60(EXP_MAX_Q60), None);
        assert_eq!(t.exp_q60(EXP_MIN_Q60 - 1), None);
    }
}
