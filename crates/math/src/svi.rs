//! Gatheral's raw SVI volatility smile of one expiry, and its static-arbitrage
//! checks.
//!
//! Owns: [`SviParams`] (one expiry's smile), the butterfly function
//! [`SviParams::butterfly_g`], the calendar comparison [`check_calendar`],
//! the fixed grid [`CHECK_GRID`] on which the checks run, and
//! [`log_moneyness`].
//!
//! The smile is the total implied variance as a function of log-moneyness
//! `k = ln(K/F)`:
//!
//! ```text
//! w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²))
//! ```
//!
//! (Gatheral, *A parsimonious arbitrage-free implied volatility
//! parameterization*, 2004; Gatheral & Jacquier, *Arbitrage-free SVI
//! volatility surfaces*, Quantitative Finance 14(1), 2014.)
//!
//! Promises:
//!
//! * No floating point. Every evaluation is done once, in a fixed-point
//!   format with 27 decimals (`i128` with 256-bit products; products are
//!   truncated toward zero, the one division and the square root are
//!   rounded half-even, each step off by less than 1e-27), then rounded once
//!   to a [`Decimal`] (half-even, or toward −∞ for `g`); the results are
//!   bit-for-bit deterministic. Parameters and `k` convert exactly.
//! * Nothing panics; arithmetic that leaves the internal range (values
//!   above about 1.7·10^11) is [`MathError::Overflow`].
//! * [`SviParams::validate`] accepts a smile only if its parameters are
//!   admissible, it respects Lee's wing bound, and Gatheral's butterfly
//!   function `g(k)` is non-negative at every point of [`CHECK_GRID`] and at
//!   33 points around the smile's vertex (`m + j·σ/4`, `|j| ≤ 16`, within
//!   [−3, 3]), where a sharp smile could hide a violation between grid points.
//!
//! Tolerance: none beyond the arithmetic. A grid point is rejected exactly
//! when the 27-decimal evaluation of `4·w²·g(k)` (which has the sign of
//! `g` and needs no division by `w`) is negative; [`SviParams::butterfly_g`]
//! rounds toward −∞ so it is negative exactly at those points. The
//! evaluation error of `4·w²·g` is below about `1e-25` for parameters of
//! ordinary size, so `g` itself is decided correctly whenever
//! `|g(k)| > 1e-25 / w(k)²`: any margin of `1e-9` once `w ≥ 1e-8` (a 10%
//! volatility over 8 hours has `w ≈ 1e-5`).

use core::fmt;

use ethnum::U256;

use crate::isqrt_u128;
use crate::wide::{div_i128, mul_div_i128};
use crate::{Decimal, MathError, Rounding};

/// Half-even: the rounding of divisions, roots and final results.
const HE: Rounding = Rounding::HalfEven;

/// Raw value of one unit in the internal format (27 decimals).
const FINE_ONE: i128 = 1_000_000_000_000_000_000_000_000_000;
/// Factor from a [`Decimal`] raw value (18 decimals) to the internal one.
const WIDEN: i128 = FINE_ONE / Decimal::SCALE;
/// `5^27`: `10^27 = 2^27 · 5^27`, and `5^27 < 2^64`.
const FIVE_POW_27: u128 = 7_450_580_596_923_828_125;

/// First log-moneyness of [`CHECK_GRID`], raw (−3).
const GRID_FIRST_K_RAW: i128 = -3 * Decimal::SCALE;
/// Spacing of [`CHECK_GRID`], raw (0.05).
const GRID_STEP_K_RAW: i128 = Decimal::SCALE / 20;
/// Number of points of [`CHECK_GRID`].
pub const CHECK_GRID_POINTS: usize = 121;

/// The log-moneyness points `k = ln(K/F)` on which [`SviParams::validate`]
/// and [`check_calendar`] test for static arbitrage: −3 to 3 in steps of
/// 0.05 (121 points, ascending, `0` included).
///
/// Why this range: `|k| ≤ 3` spans strikes from `0.05·F` to `20·F`, beyond
/// any strike listed in practice. Outside it the smile is close to its
/// asymptotes `w ≈ b(1 ± ρ)|k|`, where `g(k) → 1/4 − b²(1 ± ρ)²/16`, whose
/// sign Lee's wing bound `b(1 + |ρ|) ≤ 2` decides exactly; that bound is
/// checked analytically, not on the grid.
///
/// Why this step: `g` varies on the scale of the vertex width `σ` and of
/// the distance to the money; in the standard examples a violation spans
/// many steps (Vogt's smile: `k` from 0.65 to 1.25, 13 points). A violation
/// narrower than 0.05, possible only with a sharp vertex (`σ` well below
/// 0.05), can pass between points; markets should bound `σ` from below in
/// their parameters. 121 points keep a full [`SviParams::validate`] at
/// about 36 µs in a release build. The grid is a protocol constant, so
/// every node decides the same way.
pub const CHECK_GRID: [Decimal; CHECK_GRID_POINTS] = {
    let mut grid = [Decimal::ZERO; CHECK_GRID_POINTS];
    let mut i = 0;
    while i < CHECK_GRID_POINTS {
        grid[i] = Decimal::from_raw(GRID_FIRST_K_RAW + i as i128 * GRID_STEP_K_RAW);
        i += 1;
    }
    grid
};

/// Raw SVI parameters of one expiry: total implied variance
/// `w(k) = a + b·(ρ·(k − m) + √((k − m)² + σ²))` at log-moneyness
/// `k = ln(K/F)`.
///
/// Admissible when `b ≥ 0`, `|ρ| < 1`, `σ > 0` and the minimum variance
/// `a + b·σ·√(1 − ρ²)` is `≥ 0` (see [`SviParams::validate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SviParams {
    /// Vertical level: `w(m) = a + b·σ`.
    pub a: Decimal,
    /// Angle between the wings; the slopes are `b(ρ ± 1)`.
    pub b: Decimal,
    /// Skew (rotation), in `(−1, 1)`.
    pub rho: Decimal,
    /// Horizontal translation, in log-moneyness.
    pub m: Decimal,
    /// Smoothness of the vertex; `> 0`.
    pub sigma: Decimal,
}

/// Why a smile or a pair of smiles is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SviError {
    /// The parameters are not admissible: `b < 0`, `|ρ| ≥ 1`, `σ ≤ 0`, or
    /// the minimum variance `a + b·σ·√(1 − ρ²)` is negative.
    Parameters,
    /// Lee's moment bound is broken: `b·(1 + |ρ|) > 2`, so a wing is too
    /// steep and `g(k) < 0` far from the money.
    WingBound,
    /// Butterfly arbitrage (a negative risk-neutral density): `g(k) < 0`,
    /// or `w(k) ≤ 0`, at this grid point (the first one found, in ascending
    /// `k`).
    Butterfly {
        /// The grid log-moneyness where the check failed.
        k: Decimal,
    },
    /// Calendar arbitrage: the later expiry has less total variance than
    /// the earlier one at this grid point (the first one found).
    Calendar {
        /// The grid log-moneyness where the check failed.
        k: Decimal,
    },
    /// The evaluation itself failed (e.g. parameters so large that it
    /// overflows).
    Math(MathError),
}

impl fmt::Display for SviError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SviError::Parameters => {
                f.write_str("inadmissible SVI parameters (need b >= 0, |rho| < 1, sigma > 0, minimum variance >= 0)")
            }
            SviError::WingBound => f.write_str("SVI wing too steep: b * (1 + |rho|) > 2 (Lee's moment bound)"),
            SviError::Butterfly { k } => write!(f, "butterfly arbitrage in SVI smile at log-moneyness {k}"),
            SviError::Calendar { k } => {
                write!(f, "calendar arbitrage: later expiry has less total variance at log-moneyness {k}")
            }
            SviError::Math(e) => write!(f, "SVI evaluation failed: {e}"),
        }
    }
}

impl std::error::Error for SviError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SviError::Math(e) => Some(e),
            _ => None,
        }
    }
}

impl From<MathError> for SviError {
    fn from(e: MathError) -> Self {
        SviError::Math(e)
    }
}

/// `ln(strike / forward)` to 18 decimals, computed as `ln(strike) − ln(forward)`
/// with the table-driven logarithm of the fast Black-76 kernel (each term within
/// 2^-61, the difference truncated toward zero), so it is within 3 units in the
/// last place for any ratio and exactly 0 at the money. Without the tables it
/// falls back to the exact 18-decimal logarithm.
///
/// # Errors
/// [`MathError::Domain`] unless both `strike` and `forward` are positive.
pub fn log_moneyness(strike: Decimal, forward: Decimal) -> Result<Decimal, MathError> {
    if !strike.is_positive() || !forward.is_positive() {
        return Err(MathError::Domain);
    }
    if let Some(tables) = crate::fast::tables() {
        // Both logarithms carry the same 10^-18 scale, which cancels; |difference| < 2^7
        // in Q62 stays far inside what `mul_shr_signed` multiplies exactly.
        let q62 = tables.ln_int_q62(strike.raw().unsigned_abs()) - tables.ln_int_q62(forward.raw().unsigned_abs());
        return Ok(Decimal::from_raw(crate::fast::mul_shr_signed(q62, Decimal::SCALE as i64, 62)));
    }
    strike.ln()?.checked_sub(forward.ln()?)
}

/// Checks that `later` has at least the total variance of `earlier` at
/// every point of [`CHECK_GRID`] (no calendar arbitrage between the two
/// expiries, assuming `later` expires after `earlier`).
///
/// Each smile should also pass [`SviParams::validate`]; this function only
/// compares. The comparison is of the 27-decimal evaluations, with no
/// tolerance.
///
/// # Errors
/// [`SviError::Calendar`] at the first grid point where
/// `w_later(k) < w_earlier(k)`; [`SviError::Math`] if an evaluation
/// overflows.
pub fn check_calendar(earlier: &SviParams, later: &SviParams) -> Result<(), SviError> {
    let earlier_fine = Fine::from_params(earlier)?;
    let later_fine = Fine::from_params(later)?;
    for k in CHECK_GRID {
        let k_fine = widen(k)?;
        let w_earlier = earlier_fine.at(k_fine)?.w;
        let w_later = later_fine.at(k_fine)?.w;
        if w_later < w_earlier {
            return Err(SviError::Calendar { k });
        }
    }
    Ok(())
}

impl SviParams {
    /// Checks the smile for static arbitrage, in this order: admissible
    /// parameters ([`SviError::Parameters`]), Lee's wing bound
    /// `b·(1 + |ρ|) ≤ 2` ([`SviError::WingBound`], exact), then
    /// `w(k) > 0` and `g(k) ≥ 0` at every point of [`CHECK_GRID`]
    /// ([`SviError::Butterfly`] at the first failing point). See the module
    /// documentation for the tolerance.
    ///
    /// # Errors
    /// As above; [`SviError::Math`] if the evaluation overflows.
    pub fn validate(&self) -> Result<(), SviError> {
        // The sign conditions first, so that any inadmissible sign is
        // reported as such even when the value is too large to evaluate.
        if self.b.is_negative()
            || self.rho.raw().unsigned_abs() >= Decimal::SCALE.unsigned_abs()
            || !self.sigma.is_positive()
        {
            return Err(SviError::Parameters);
        }
        let fine = Fine::from_params(self)?;
        if fine.min_variance()? < 0 {
            return Err(SviError::Parameters);
        }
        // b·(1 + |ρ|) > 2 exactly iff its ceiling to 18 decimals is > 2.
        let slope_max = self.b.mul(Decimal::ONE.checked_add(self.rho.checked_abs()?)?, Rounding::Ceil)?;
        if slope_max > Decimal::from_int(2) {
            return Err(SviError::WingBound);
        }
        for k in CHECK_GRID.into_iter().chain(self.vertex_points()) {
            let local = fine.at(widen(k)?)?;
            if local.w <= 0 || local.scaled_g()? < 0 {
                return Err(SviError::Butterfly { k });
            }
        }
        Ok(())
    }

    /// Extra check points around the vertex, `m + j·σ/4` for `j` in −16..=16, inside the
    /// grid's range [−3, 3]: a sharp smile (σ below the grid's spacing) can hide a butterfly
    /// violation between grid points, and it does so next to its vertex.
    fn vertex_points(&self) -> impl Iterator<Item = Decimal> + '_ {
        let limit = Decimal::from_int(3);
        (-16i64..=16).filter_map(move |j| {
            let offset = self.sigma.mul(Decimal::from_int(j), HE).ok()?.div_int(4, HE).ok()?;
            let k = self.m.checked_add(offset).ok()?;
            (k.checked_abs().ok()? <= limit).then_some(k)
        })
    }

    /// The total implied variance `w(k)`, rounded half-even to 18 decimals.
    ///
    /// # Errors
    /// [`MathError::Overflow`] if the evaluation leaves the range;
    /// [`MathError::DivisionByZero`] for the inadmissible `σ = 0` at `k = m`.
    pub fn total_variance(&self, k: Decimal) -> Result<Decimal, MathError> {
        let local = Fine::from_params(self)?.at(widen(k)?)?;
        narrow(local.w, HE)
    }

    /// The implied volatility `√(w(k) / T)` for a time to expiry of
    /// `time_years`, rounded half-even to 18 decimals (one rounding of the
    /// 27-decimal root).
    ///
    /// # Errors
    /// [`MathError::Domain`] if `time_years ≤ 0` or `w(k) < 0`;
    /// [`MathError::Overflow`] if the evaluation leaves the range.
    pub fn implied_vol(&self, k: Decimal, time_years: Decimal) -> Result<Decimal, MathError> {
        if !time_years.is_positive() {
            return Err(MathError::Domain);
        }
        let local = Fine::from_params(self)?.at(widen(k)?)?;
        if local.w < 0 {
            return Err(MathError::Domain);
        }
        let variance = mul_div_i128(local.w, FINE_ONE, widen(time_years)?, HE)?;
        narrow(sqrt_fine(variance)?, HE)
    }

    /// Gatheral's butterfly function
    /// `g(k) = (1 − k·w'/(2w))² − (w'²/4)·(1/w + 1/4) + w''/2`, with
    /// `w'(k) = b(ρ + (k−m)/√((k−m)²+σ²))` and
    /// `w''(k) = b·σ²/((k−m)²+σ²)^{3/2}`; the density of the strike is
    /// non-negative where `g ≥ 0`. Rounded toward −∞ to 18 decimals, so for
    /// an admissible smile it is negative at exactly the grid points where
    /// [`SviParams::validate`] finds butterfly arbitrage.
    ///
    /// # Errors
    /// [`MathError::Domain`] if `w(k) ≤ 0` (`g` is undefined);
    /// [`MathError::Overflow`] if the evaluation leaves the range.
    pub fn butterfly_g(&self, k: Decimal) -> Result<Decimal, MathError> {
        let local = Fine::from_params(self)?.at(widen(k)?)?;
        if local.w <= 0 {
            return Err(MathError::Domain);
        }
        // g = (4w²g) / w / (4w), each division toward −∞: the sign survives.
        let per_w = mul_div_i128(local.scaled_g()?, FINE_ONE, local.w, Rounding::Floor)?;
        let g = mul_div_i128(per_w, FINE_ONE, local.w.checked_mul(4).ok_or(MathError::Overflow)?, Rounding::Floor)?;
        narrow(g, Rounding::Floor)
    }
}

/// The parameters in the internal 27-decimal format.
#[derive(Clone, Copy, Debug)]
struct Fine {
    a: i128,
    b: i128,
    rho: i128,
    m: i128,
    sigma: i128,
}

/// `w`, `w'` and `w''` at one log-moneyness, in the internal format.
#[derive(Clone, Copy, Debug)]
struct Local {
    k: i128,
    w: i128,
    dw: i128,
    d2w: i128,
}

impl Fine {
    fn from_params(p: &SviParams) -> Result<Fine, MathError> {
        Ok(Fine { a: widen(p.a)?, b: widen(p.b)?, rho: widen(p.rho)?, m: widen(p.m)?, sigma: widen(p.sigma)? })
    }

    /// The minimum of the smile, `a + b·σ·√(1 − ρ²)`. Requires `|ρ| < 1`.
    fn min_variance(&self) -> Result<i128, MathError> {
        let cos = sqrt_fine(sub(FINE_ONE, mul(self.rho, self.rho)?)?)?;
        add(self.a, mul(mul(self.b, self.sigma)?, cos)?)
    }

    /// `w`, `w'`, `w''` at `k`. Requires `σ > 0` (else `s` may be zero and
    /// the division fails with [`MathError::DivisionByZero`]).
    fn at(&self, k: i128) -> Result<Local, MathError> {
        let x = sub(k, self.m)?;
        let s = sqrt_fine(add(mul(x, x)?, mul(self.sigma, self.sigma)?)?)?;
        let w = add(self.a, mul(self.b, add(mul(self.rho, x)?, s)?)?)?;
        // One division: 1/s ≤ 1/σ. w' = b(ρ + x/s).
        let inv_s = mul_div_i128(FINE_ONE, FINE_ONE, s, HE)?;
        let dw = mul(self.b, add(self.rho, mul(x, inv_s)?)?)?;
        // w'' = b·c²/s with c = σ/s ∈ (0, 1]: no tiny s³ is ever formed.
        let c = mul(self.sigma, inv_s)?;
        let d2w = mul(mul(self.b, mul(c, c)?)?, inv_s)?;
        Ok(Local { k, w, dw, d2w })
    }
}

impl Local {
    /// `4·w²·g(k) = (2w − k·w')² − w'²·(w + w²/4) + 2·w''·w²`: the sign
    /// of `g` for `w > 0`, with no division by `w`.
    fn scaled_g(&self) -> Result<i128, MathError> {
        let lead = sub(self.w.checked_mul(2).ok_or(MathError::Overflow)?, mul(self.k, self.dw)?)?;
        let w_sq = mul(self.w, self.w)?;
        let slope = mul(mul(self.dw, self.dw)?, add(self.w, div_i128(w_sq, 4, HE)?)?)?;
        let curvature = mul(self.d2w, w_sq)?.checked_mul(2).ok_or(MathError::Overflow)?;
        add(sub(mul(lead, lead)?, slope)?, curvature)
    }
}

/// A [`Decimal`] in the internal format (exact).
fn widen(x: Decimal) -> Result<i128, MathError> {
    x.raw().checked_mul(WIDEN).ok_or(MathError::Overflow)
}

/// An internal value rounded to a [`Decimal`] as asked.
fn narrow(x: i128, r: Rounding) -> Result<Decimal, MathError> {
    div_i128(x, WIDEN, r).map(Decimal::from_raw)
}

fn add(x: i128, y: i128) -> Result<i128, MathError> {
    x.checked_add(y).ok_or(MathError::Overflow)
}

fn sub(x: i128, y: i128) -> Result<i128, MathError> {
    x.checked_sub(y).ok_or(MathError::Overflow)
}

/// `x·y` in the internal format, truncated toward zero (error below one
/// unit, 1e-27). Dividing by 10^27 as `2^27` (a shift) then `5^27`
/// (`< 2^64`, two 128-by-64 steps) keeps this off the slow 256-bit
/// division; nested truncating divisions equal the single one.
fn mul(x: i128, y: i128) -> Result<i128, MathError> {
    let negative = (x < 0) ^ (y < 0);
    let shifted = (U256::from(x.unsigned_abs()) * U256::from(y.unsigned_abs())) >> 27u32;
    let (hi, lo) = (*shifted.high(), *shifted.low());
    // A quotient of 2^128 or more cannot fit.
    if hi >= FIVE_POW_27 {
        return Err(MathError::Overflow);
    }
    // hi < 5^27 < 2^64: each partial dividend fits u128, each digit u64.
    let upper = (hi << 64) | (lo >> 64);
    let q1 = upper / FIVE_POW_27;
    let lower = ((upper - q1 * FIVE_POW_27) << 64) | (lo & u128::from(u64::MAX));
    let magnitude = (q1 << 64) | (lower / FIVE_POW_27);
    let value = i128::try_from(magnitude).map_err(|_| MathError::Overflow)?;
    Ok(if negative { -value } else { value })
}

/// `√x` in the internal format, rounded half-even (never a tie: the root
/// of an integer is never a half-integer).
fn sqrt_fine(x: i128) -> Result<i128, MathError> {
    if x < 0 {
        return Err(MathError::NegativeSqrt);
    }
    // x < 2^127 and 10^27 < 2^90: the product fits 256 bits, its root 2^109.
    let n = U256::from(x.unsigned_abs()) * U256::from(FINE_ONE.unsigned_abs());
    let root = isqrt_u256_fast(n);
    let wide_root = U256::from(root);
    let up = n > wide_root * wide_root + wide_root;
    i128::try_from(root + u128::from(up)).map_err(|_| MathError::Overflow)
}

/// Floor square root of `n < 2^256`, the same value as
/// `crate::wide::isqrt_u256`: Newton's iteration decreasing monotonically
/// from a start `≥ √n` taken from the top 126 bits, so it is ~2^-62 above
/// the root and ends in two or three steps instead of eight.
fn isqrt_u256_fast(n: U256) -> u128 {
    if *n.high() == 0 {
        return isqrt_u128(*n.low());
    }
    // Keep n >> 2·shift below 2^126; then n < (r + 1)² · 4^shift.
    let shift = (256 - n.leading_zeros()).saturating_sub(126).div_ceil(2);
    let top = isqrt_u128((n >> (2 * shift)).as_u128());
    let mut root = U256::from(top + 1) << shift;
    loop {
        let next = (root + n / root) >> 1;
        if next >= root {
            return root.as_u128();
        }
        root = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_runs_from_minus_three_to_three_through_zero() {
        assert_eq!(CHECK_GRID[0], Decimal::from_int(-3));
        assert_eq!(CHECK_GRID[60], Decimal::ZERO);
        assert_eq!(CHECK_GRID[CHECK_GRID_POINTS - 1], Decimal::from_int(3));
        assert!(CHECK_GRID.windows(2).all(|p| p[1].raw() - p[0].raw() == GRID_STEP_K_RAW));
    }

    /// A deterministic stream of awkward values (xorshift), for the
    /// helpers below.
    fn samples() -> impl Iterator<Item = u128> {
        let mut state: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834;
        (0..20_000).map(move |i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Vary the magnitude: shift right by 0..=127 bits.
            state >> (i % 128)
        })
    }

    #[test]
    fn fast_root_equals_the_crate_root() {
        use crate::wide::isqrt_u256;
        for v in samples() {
            for n in [
                U256::from(v) * U256::from(FINE_ONE.unsigned_abs()),
                U256::from(v) * U256::from(v),
                U256::from(v) << 128u32,
            ] {
                assert_eq!(isqrt_u256_fast(n), isqrt_u256(n), "{n}");
                for m in [n.saturating_sub(U256::ONE), n.saturating_add(U256::ONE)] {
                    assert_eq!(isqrt_u256_fast(m), isqrt_u256(m), "{m}");
                }
            }
        }
        assert_eq!(isqrt_u256_fast(U256::MAX), isqrt_u256(U256::MAX));
    }

    #[test]
    fn fine_mul_truncates_like_mul_div() {
        let mut previous: i128 = 1;
        for v in samples() {
            let x = (v >> 1) as i128;
            for (a, b) in [(x, previous), (-x, previous), (x >> 40, -(previous >> 40)), (x >> 64, x >> 64)] {
                assert_eq!(mul(a, b), mul_div_i128(a, b, FINE_ONE, Rounding::TowardZero), "{a} {b}");
            }
            previous = x;
        }
        assert_eq!(mul(i128::MAX, i128::MAX), Err(MathError::Overflow));
        assert_eq!(mul(-3 * FINE_ONE / 2, FINE_ONE / 4), Ok(-3 * FINE_ONE / 8));
        // −1.5 · 0.333…3 = −0.499…95 truncates toward zero.
        assert_eq!(mul(-3 * FINE_ONE / 2, FINE_ONE / 3), Ok(-FINE_ONE / 2 + 1));
    }

    #[test]
    fn fine_sqrt_is_exact_on_squares_and_rounds_half_even() {
        assert_eq!(sqrt_fine(4 * FINE_ONE), Ok(2 * FINE_ONE));
        assert_eq!(sqrt_fine(FINE_ONE / 100), Ok(FINE_ONE / 10));
        assert_eq!(sqrt_fine(-1), Err(MathError::NegativeSqrt));
        // √2 = 1.414213562373095048801688724|2...
        assert_eq!(sqrt_fine(2 * FINE_ONE), Ok(1_414_213_562_373_095_048_801_688_724));
        // √3 = 1.732050807568877293527446341|5...
        assert_eq!(sqrt_fine(3 * FINE_ONE), Ok(1_732_050_807_568_877_293_527_446_342));
    }
}
