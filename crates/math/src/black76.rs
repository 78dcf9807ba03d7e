//! Black-76 prices, Greeks and implied volatility for options on forwards,
//! integer-only on [`Decimal`].
//!
//! Model (F. Black, "The pricing of commodity contracts", *Journal of
//! Financial Economics* 3, 1976): with discount factor `D = e^{−rT}`,
//! `d1 = (ln(F/K) + σ²T/2) / (σ√T)` and `d2 = d1 − σ√T`,
//!
//! * call `= D·(F·N(d1) − K·N(d2))`, put `= D·(K·N(−d2) − F·N(−d1))`;
//! * delta (w.r.t. the forward, discounted) `= D·N(d1)` (call),
//!   `−D·N(−d1)` (put);
//! * gamma `= D·φ(d1) / (F·σ√T)`; vega (per 1.00 of vol) `= D·F·φ(d1)·√T`;
//! * theta (per year of calendar time, `−∂V/∂T`)
//!   `= −D·F·φ(d1)·σ / (2√T) + r·V`.
//!
//! Promises: results are deterministic bit for bit (integer arithmetic only,
//! every rounding fixed); errors are typed, never panics. Supported range
//! (where the accuracy below is verified against a 50-digit reference, see
//! `reference/black76_vectors.py`): moneyness `F/K ∈ [0.2, 5]`,
//! `T ∈ [1/365, 5]` years, `σ ∈ [0.01, 5]`, `r ∈ [−0.1, 0.5]`. There the
//! price is within `1e-12·F` of the exact value and delta, `gamma·F`,
//! `vega/F` and `theta/F` within `1e-10`. Measured over the 400 reference
//! vectors: price/F 2.6e-17, delta 1.3e-17, gamma·F 2.6e-13 (small `σ√T`),
//! vega/F 2.7e-17, theta/F 2.4e-16. Outside that range the functions still
//! return deterministic results or a typed error.
//!
//! Speed: [`price`] and [`price_and_greeks`] (about 85 ns and 140 ns in
//! release) run a fast kernel in binary fixed point (`i64`/`i128` with
//! widening multiplies; see `series.rs` and `fast.rs`): `ln` and `exp` by
//! table plus short polynomial, `√T = e^{(ln T)/2}`, one integer division for
//! `d1`, and `Φ`, `φ` by degree-12 Taylor polynomials on intervals of width
//! 1/8 over `[−9, 9]` with exact coefficients, all tables built once from the
//! exact functions. Put-call parity holds to the final roundings
//! (`Φ(d) + Φ(−d) = 1` exactly). The kernel covers `F/K ∈ [0.03, 33]`,
//! `T, σ ∈ [0.001, 7.9]`, `|r| <= 1`, `−rT ∈ [−4, 2)` and forward and strike
//! below about 1.3·10^15; other inputs (including the degenerate ones) take
//! [`price_exact`] / [`price_and_greeks_exact`], where every intermediate is
//! a [`Decimal`] rounded half-even (about 3.7 µs). [`implied_vol`] iterates
//! on the exact functions. For many scenarios of one series, see
//! [`crate::SeriesPricer`] (same prices, bit for bit, about 45 ns each).
//!
//! Degenerate cases: when `σ√T` is zero (`T = 0` or `σ = 0`) the price is
//! the discounted intrinsic value `D·max(±(F − K), 0)`; the Greeks are then
//! delta `D` / `0` / `−D` by moneyness, gamma and vega `0`, theta `r·V`, and
//! at the money (`F = K`) they are undefined: [`MathError::Domain`].

use crate::fast::tables;
use crate::series::{fast_price, fast_valuation, SeriesParts};
use crate::{normal_cdf, normal_pdf, Decimal, MathError, Rounding};

/// Every intermediate of this module rounds half-even.
const HE: Rounding = Rounding::HalfEven;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionKind {
    /// The right to buy at the strike.
    Call,
    /// The right to sell at the strike.
    Put,
}

/// The market inputs of a Black-76 valuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Black76Inputs {
    /// Forward (futures) price `F`, positive.
    pub forward: Decimal,
    /// Strike `K`, positive.
    pub strike: Decimal,
    /// Annualised volatility `σ` (0.2 is 20 %), non-negative.
    pub vol: Decimal,
    /// Time to expiry `T` in years, non-negative.
    pub time_years: Decimal,
    /// Continuously compounded discount rate `r` (may be negative).
    pub rate: Decimal,
}

/// The market inputs without the volatility, for [`implied_vol`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Black76Market {
    /// Forward (futures) price `F`, positive.
    pub forward: Decimal,
    /// Strike `K`, positive.
    pub strike: Decimal,
    /// Time to expiry `T` in years, positive for [`implied_vol`].
    pub time_years: Decimal,
    /// Continuously compounded discount rate `r`.
    pub rate: Decimal,
}

impl Black76Market {
    /// These market inputs with volatility `vol`.
    pub fn with_vol(self, vol: Decimal) -> Black76Inputs {
        Black76Inputs { forward: self.forward, strike: self.strike, vol, time_years: self.time_years, rate: self.rate }
    }
}

/// Price sensitivities of one long option (see the module doc for the
/// formulas and units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Greeks {
    /// `∂V/∂F`, discounted.
    pub delta: Decimal,
    /// `∂²V/∂F²`.
    pub gamma: Decimal,
    /// `∂V/∂σ` per 1.00 (100 vol points) of volatility.
    pub vega: Decimal,
    /// `−∂V/∂T` per year of calendar time.
    pub theta: Decimal,
}

/// A price with its Greeks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Valuation {
    /// The option price.
    pub price: Decimal,
    /// Its sensitivities.
    pub greeks: Greeks,
}

/// Shared intermediates of a valuation with `σ√T > 0`.
struct Core {
    discount: Decimal,
    sqrt_t: Decimal,
    sd: Decimal,
    d1: Decimal,
    d2: Decimal,
}

/// `e^{−rT}`.
fn discount(rate: Decimal, t: Decimal) -> Result<Decimal, MathError> {
    rate.mul(t, HE)?.checked_neg()?.exp()
}

/// `ln(F/K)`: through the rounded ratio when it is not tiny (relative error
/// below 1e-9 · 1e-18), otherwise as `ln F − ln K`.
fn ln_moneyness(f: Decimal, k: Decimal) -> Result<Decimal, MathError> {
    let ratio = f.div(k, HE)?;
    if ratio.raw() >= 1_000_000_000 {
        ratio.ln()
    } else {
        f.ln()?.checked_sub(k.ln()?)
    }
}

/// Validates the inputs; returns the discount factor and, when `σ√T > 0`,
/// the shared intermediates.
fn prepare(i: &Black76Inputs) -> Result<(Decimal, Option<Core>), MathError> {
    if !i.forward.is_positive() || !i.strike.is_positive() || i.vol.is_negative() || i.time_years.is_negative() {
        return Err(MathError::Domain);
    }
    let d = discount(i.rate, i.time_years)?;
    let sqrt_t = i.time_years.sqrt(HE)?;
    let sd = i.vol.mul(sqrt_t, HE)?;
    if sd.is_zero() {
        return Ok((d, None));
    }
    let half_var = sd.mul(sd, HE)?.div_int(2, HE)?;
    let d1 = ln_moneyness(i.forward, i.strike)?.checked_add(half_var)?.div(sd, HE)?;
    let d2 = d1.checked_sub(sd)?;
    Ok((d, Some(Core { discount: d, sqrt_t, sd, d1, d2 })))
}

/// Discounted intrinsic value `D·max(±(F − K), 0)`.
fn intrinsic(i: &Black76Inputs, kind: OptionKind, d: Decimal) -> Result<Decimal, MathError> {
    let diff = match kind {
        OptionKind::Call => i.forward.checked_sub(i.strike)?,
        OptionKind::Put => i.strike.checked_sub(i.forward)?,
    };
    if diff.is_positive() {
        d.mul(diff, HE)
    } else {
        Ok(Decimal::ZERO)
    }
}

/// Price from the intermediates; never below zero.
fn core_price(i: &Black76Inputs, kind: OptionKind, c: &Core) -> Result<Decimal, MathError> {
    let undiscounted = match kind {
        OptionKind::Call => i.forward.mul(normal_cdf(c.d1)?, HE)?.checked_sub(i.strike.mul(normal_cdf(c.d2)?, HE)?)?,
        OptionKind::Put => i
            .strike
            .mul(normal_cdf(c.d2.checked_neg()?)?, HE)?
            .checked_sub(i.forward.mul(normal_cdf(c.d1.checked_neg()?)?, HE)?)?,
    };
    Ok(c.discount.mul(undiscounted, HE)?.max(Decimal::ZERO))
}

/// The Black-76 price of one option, by the fast kernel (see the module
/// doc) where the inputs allow, else as [`price_exact`].
///
/// # Errors
/// [`MathError::Domain`] for a non-positive forward or strike or a negative
/// vol or time; [`MathError::Overflow`] if an intermediate leaves the
/// decimal range.
pub fn price(inputs: &Black76Inputs, kind: OptionKind) -> Result<Decimal, MathError> {
    if let Some(t) = tables() {
        if let Some(s) = SeriesParts::new(t, inputs.strike, inputs.time_years, inputs.rate) {
            if let Some(p) = fast_price(t, &s, kind, inputs.forward, inputs.vol) {
                return Ok(p);
            }
        }
    }
    price_exact(inputs, kind)
}

/// The Black-76 price of one option with every intermediate an 18-decimal
/// [`Decimal`] rounded half-even (slow; the reference for [`price`]).
///
/// # Errors
/// As [`price`].
pub fn price_exact(inputs: &Black76Inputs, kind: OptionKind) -> Result<Decimal, MathError> {
    match prepare(inputs)? {
        (d, None) => intrinsic(inputs, kind, d),
        (_, Some(c)) => core_price(inputs, kind, &c),
    }
}

/// The Black-76 Greeks of one long option.
///
/// # Errors
/// As [`price`]; plus [`MathError::Domain`] when `σ√T = 0` and `F = K`.
pub fn greeks(inputs: &Black76Inputs, kind: OptionKind) -> Result<Greeks, MathError> {
    price_and_greeks(inputs, kind).map(|v| v.greeks)
}

/// The Black-76 price and Greeks together (sharing the work), by the fast
/// kernel where the inputs allow, else as [`price_and_greeks_exact`]. The
/// price equals [`price`]'s.
///
/// # Errors
/// As [`greeks`].
pub fn price_and_greeks(inputs: &Black76Inputs, kind: OptionKind) -> Result<Valuation, MathError> {
    if let Some(t) = tables() {
        if let Some(s) = SeriesParts::new(t, inputs.strike, inputs.time_years, inputs.rate) {
            if let Some(v) = fast_valuation(t, &s, kind, inputs.forward, inputs.vol) {
                return Ok(v);
            }
        }
    }
    price_and_greeks_exact(inputs, kind)
}

/// The Black-76 price and Greeks with every intermediate an 18-decimal
/// [`Decimal`] rounded half-even (slow; the reference for
/// [`price_and_greeks`]).
///
/// # Errors
/// As [`greeks`].
pub fn price_and_greeks_exact(inputs: &Black76Inputs, kind: OptionKind) -> Result<Valuation, MathError> {
    let (d, core) = prepare(inputs)?;
    let Some(c) = core else {
        let p = intrinsic(inputs, kind, d)?;
        let delta = match (inputs.forward.cmp(&inputs.strike), kind) {
            (core::cmp::Ordering::Equal, _) => return Err(MathError::Domain),
            (core::cmp::Ordering::Greater, OptionKind::Call) => d,
            (core::cmp::Ordering::Less, OptionKind::Put) => d.checked_neg()?,
            _ => Decimal::ZERO,
        };
        let theta = inputs.rate.mul(p, HE)?;
        return Ok(Valuation { price: p, greeks: Greeks { delta, gamma: Decimal::ZERO, vega: Decimal::ZERO, theta } });
    };
    let p = core_price(inputs, kind, &c)?;
    let f = inputs.forward;
    let n1 = normal_cdf(c.d1)?;
    let delta = match kind {
        OptionKind::Call => c.discount.mul(n1, HE)?,
        OptionKind::Put => c.discount.mul(n1.checked_sub(Decimal::ONE)?, HE)?,
    };
    // D·φ(d1), shared by gamma, vega and theta.
    let dpdf = c.discount.mul(normal_pdf(c.d1)?, HE)?;
    let gamma = dpdf.div(f.mul(c.sd, HE)?, HE)?;
    let dfpdf = dpdf.mul(f, HE)?;
    let vega = dfpdf.mul(c.sqrt_t, HE)?;
    // −D·F·φ(d1)·σ/(2√T) + r·V, with one rounding per step.
    let decay = dfpdf.mul_div(inputs.vol, c.sqrt_t.mul_int(2)?, HE)?;
    let theta = inputs.rate.mul(p, HE)?.checked_sub(decay)?;
    Ok(Valuation { price: p, greeks: Greeks { delta, gamma, vega, theta } })
}

/// Largest volatility [`implied_vol`] searches: 10 (1000 %).
const VOL_MAX: Decimal = Decimal::from_int(10);
/// Iteration budget of [`implied_vol`].
const MAX_ITERATIONS: u32 = 100;
/// Stop once a Newton step moves the vol by at most this (raw, 1e-17).
const VOL_TOLERANCE_RAW: i128 = 10;
/// `√(2π)`, rounded half-even.
const SQRT_2PI: Decimal = Decimal::from_raw(2_506_628_274_631_000_502);

/// The Black-76 implied volatility of an option quoted at `target`.
///
/// Bracketed Newton–Raphson on `σ ∈ [0, 10]`: each step narrows the bracket
/// by the sign of the pricing error and falls back to bisection when the
/// Newton step would leave it (or vega is zero). The start is the
/// Brenner–Subrahmanyam approximation `σ₀ = √(2π/T)·V/(D·F)`, clamped. It
/// stops when a step moves σ by at most 1e-17, the bracket is narrower than
/// 1e-18, or the price is hit exactly, and after at most 100 iterations in
/// any case, returning the σ whose price was closest to the target. It is
/// deterministic and always terminates.
///
/// # Errors
/// [`MathError::ArbitrageBounds`] if `target` is below the discounted
/// intrinsic value or at or above the discounted forward (call) / strike
/// (put); [`MathError::Domain`] for invalid market inputs (`T <= 0`
/// included) or if the target needs a volatility above 10;
/// [`MathError::Overflow`] if an intermediate leaves the decimal range.
pub fn implied_vol(market: &Black76Market, target: Decimal, kind: OptionKind) -> Result<Decimal, MathError> {
    let f = market.forward;
    if !f.is_positive() || !market.strike.is_positive() || !market.time_years.is_positive() {
        return Err(MathError::Domain);
    }
    let d = discount(market.rate, market.time_years)?;
    let lower = intrinsic(&market.with_vol(Decimal::ZERO), kind, d)?;
    let upper = match kind {
        OptionKind::Call => d.mul(f, HE)?,
        OptionKind::Put => d.mul(market.strike, HE)?,
    };
    if target < lower || target >= upper {
        return Err(MathError::ArbitrageBounds);
    }
    if target == lower {
        return Ok(Decimal::ZERO);
    }
    if price_exact(&market.with_vol(VOL_MAX), kind)? < target {
        return Err(MathError::Domain);
    }
    let mut lo = Decimal::ZERO;
    let mut hi = VOL_MAX;
    // σ₀ = √(2π/T) · V / (D·F), clamped into [0.01, 5].
    let guess = SQRT_2PI.div(market.time_years.sqrt(HE)?, HE)?.mul_div(target, upper.max(Decimal::from_raw(1)), HE);
    let mut sigma = guess.unwrap_or(Decimal::ONE).clamp(Decimal::from_raw(Decimal::SCALE / 100), Decimal::from_int(5));
    let mut best = (Decimal::MAX, sigma);
    for _ in 0..MAX_ITERATIONS {
        let v = price_and_greeks_exact(&market.with_vol(sigma), kind)?;
        let err = v.price.checked_sub(target)?;
        let abs_err = err.checked_abs()?;
        if abs_err < best.0 {
            best = (abs_err, sigma);
        }
        if err.is_zero() {
            return Ok(sigma);
        }
        if err.is_positive() {
            hi = sigma;
        } else {
            lo = sigma;
        }
        let mid = lo.checked_add(hi)?.div_int(2, HE)?;
        let next = if v.greeks.vega.is_positive() {
            match err.div(v.greeks.vega, HE).and_then(|step| sigma.checked_sub(step)) {
                Ok(n) if n > lo && n < hi => n,
                _ => mid,
            }
        } else {
            mid
        };
        let moved = next.checked_sub(sigma)?.checked_abs()?;
        sigma = next;
        if moved.raw() <= VOL_TOLERANCE_RAW || hi.checked_sub(lo)?.raw() <= 1 {
            break;
        }
    }
    // The last σ has not been priced yet: keep it only if it is the better.
    let last = price_exact(&market.with_vol(sigma), kind)?.checked_sub(target)?.checked_abs()?;
    Ok(if last <= best.0 { sigma } else { best.1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn inputs(f: &str, k: &str, vol: &str, t: &str, r: &str) -> Black76Inputs {
        Black76Inputs { forward: d(f), strike: d(k), vol: d(vol), time_years: d(t), rate: d(r) }
    }

    #[test]
    fn degenerate_cases() {
        let i = inputs("110", "100", "0", "1", "0");
        assert_eq!(price(&i, OptionKind::Call), Ok(d("10")));
        assert_eq!(price(&i, OptionKind::Put), Ok(Decimal::ZERO));
        let g = greeks(&i, OptionKind::Call).unwrap();
        assert_eq!((g.delta, g.gamma, g.vega, g.theta), (Decimal::ONE, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
        let atm = inputs("100", "100", "0.2", "0", "0.05");
        assert_eq!(price(&atm, OptionKind::Call), Ok(Decimal::ZERO));
        assert_eq!(greeks(&atm, OptionKind::Call), Err(MathError::Domain));
        assert_eq!(price(&inputs("0", "100", "0.2", "1", "0"), OptionKind::Call), Err(MathError::Domain));
        assert_eq!(price(&inputs("100", "100", "-0.2", "1", "0"), OptionKind::Call), Err(MathError::Domain));
    }

    #[test]
    fn implied_vol_bounds() {
        let m = Black76Market { forward: d("100"), strike: d("90"), time_years: d("1"), rate: d("0") };
        assert_eq!(implied_vol(&m, d("9.99"), OptionKind::Call), Err(MathError::ArbitrageBounds));
        assert_eq!(implied_vol(&m, d("100"), OptionKind::Call), Err(MathError::ArbitrageBounds));
        assert_eq!(implied_vol(&m, d("10"), OptionKind::Call), Ok(Decimal::ZERO));
        let zero_t = Black76Market { time_years: Decimal::ZERO, ..m };
        assert_eq!(implied_vol(&zero_t, d("12"), OptionKind::Call), Err(MathError::Domain));
    }
}
