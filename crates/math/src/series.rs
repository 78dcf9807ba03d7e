//! The fast Black-76 kernel and [`SeriesPricer`], which prices one option
//! series (kind, strike, expiry, rate) under many `(forward, vol)` scenarios,
//! as margin scenario grids need; [`SeriesPricer::price_call_put`] prices the
//! call and the put of a strike at once, at a [`PreparedForward`] shared by
//! every series priced at that forward.
//!
//! Promises: [`SeriesPricer::price`] returns exactly (bit for bit) what
//! [`crate::black76::price`] returns for the same inputs: both run this
//! kernel, whose per-series part ([`SeriesParts`]) the pricer computes once;
//! each price of [`SeriesPricer::price_call_put`] is that of `price` for its
//! kind.
//! Inputs outside the kernel's range (see [`SeriesParts::new`] and
//! [`Quote::new`]) take the exact 18-decimal path of
//! [`crate::black76::price_exact`], which also covers the degenerate cases
//! (`T = 0` or `σ = 0`: discounted intrinsic value) and reports the typed
//! errors.
//!
//! The kernel works in binary fixed point ([`crate::fast`]): `x = ln(F/K)`
//! as `ln F − ln K`, `√T = e^{(ln T)/2}`, `D = e^{−rT}`, `sd = σ√T`,
//! `d1 = x/sd + sd/2` (one integer division), `d2 = d1 − sd`, and `Φ` by
//! piecewise polynomials with `Φ(d) + Φ(−d) = 1` exactly, so put-call parity
//! holds up to the final roundings. Products are floored; results are
//! truncated to 18 decimals.

use crate::black76::{price_exact, Black76Inputs, Greeks, OptionKind, Valuation};
use crate::fast::{dec_to_q60, mul_shr, mul_shr_signed, q60_to_raw, tables, wmul, Tables, ONE_Q63, Q};
use crate::{Decimal, MathError, Rounding};

/// Largest forward or strike (raw, exclusive) the kernel takes: 2^110
/// (about 1.3·10^15).
const PRICE_MAX_RAW: i128 = 1 << 110;
/// Time and vol range of the kernel (raw): `[0.001, 7.9]`.
const TV_MIN_RAW: i128 = Decimal::SCALE / 1000;
const TV_MAX_RAW: i128 = 79 * Decimal::SCALE / 10;
/// Rate range of the kernel (raw): `[−1, 1]`.
const RATE_MAX_RAW: i128 = Decimal::SCALE;
/// Largest `|ln(F/K)|` of the kernel, Q62: 3.5 (`F/K ∈ [0.03, 33]`).
const LN_MONEYNESS_MAX_Q62: i128 = 7 << 61;

/// The per-series part of the kernel: everything that does not depend on
/// the forward or the vol.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SeriesParts {
    strike_raw: u128,
    /// `ln(strike raw)` (of the integer), Q62.
    ln_strike_q62: i128,
    /// `√T`, Q60.
    sqrt_t_q60: i64,
    /// `e^{−rT}`, Q60.
    discount_q60: i64,
    /// `r`, Q60.
    rate_q60: i64,
}

impl SeriesParts {
    /// The per-series part, or `None` if the inputs lie outside the kernel's
    /// range: strike in `(0, 2^110)` raw, `T ∈ [0.001, 7.9]`,
    /// `r ∈ [−1, 1]`, `−rT ∈ [−4, 2)`.
    pub(crate) fn new(t: &Tables, strike: Decimal, time_years: Decimal, rate: Decimal) -> Option<Self> {
        let (k, time, r) = (strike.raw(), time_years.raw(), rate.raw());
        if k <= 0
            || k >= PRICE_MAX_RAW
            || !(TV_MIN_RAW..=TV_MAX_RAW).contains(&time)
            || r.unsigned_abs() > RATE_MAX_RAW.unsigned_abs()
        {
            return None;
        }
        let t_q60 = dec_to_q60(u64::try_from(time).ok()?);
        let r_mag = dec_to_q60(u64::try_from(r.unsigned_abs()).ok()?);
        let rate_q60 = if r < 0 { -r_mag } else { r_mag };
        // −rT, |rT| < 7.9: fits i64 in Q60.
        let neg_rt = -(wmul(rate_q60, t_q60) >> Q) as i64;
        let discount_q60 = t.exp_q60(neg_rt)?;
        // (ln T)/2 ∈ [−3.46, 1.04], from Q62 to Q60.
        let half_ln_t = (t.ln_dec_q62(time.unsigned_abs()) >> 3) as i64;
        let sqrt_t_q60 = t.exp_q60(half_ln_t)?;
        let strike_raw = k.unsigned_abs();
        Some(SeriesParts { strike_raw, ln_strike_q62: t.ln_int_q62(strike_raw), sqrt_t_q60, discount_q60, rate_q60 })
    }
}

/// The per-scenario intermediates.
struct Quote {
    forward_raw: u128,
    /// `σ`, Q60.
    vol_q60: i64,
    /// `σ√T`, Q62 (positive, below 23).
    sd_q62: i128,
    /// `d1`, `d2`, Q60 (may be far beyond the saturation of `Φ`).
    d1: i128,
    d2: i128,
}

impl Quote {
    /// The intermediates, or `None` outside the kernel's range: forward in
    /// `(0, 2^110)` raw, `σ ∈ [0.001, 7.9]`, `|ln(F/K)| <= 3.5`.
    #[inline]
    fn new(t: &Tables, s: &SeriesParts, forward: Decimal, vol: Decimal) -> Option<Self> {
        let ln_forward = forward_ln(t, forward)?;
        Self::at(s, forward, ln_forward, vol)
    }

    /// As [`Quote::new`], with `ln_forward_q62` = [`forward_ln`] of `forward`.
    #[inline]
    fn at(s: &SeriesParts, forward: Decimal, ln_forward_q62: i128, vol: Decimal) -> Option<Self> {
        let v = vol.raw();
        if !(TV_MIN_RAW..=TV_MAX_RAW).contains(&v) {
            return None;
        }
        let forward_raw = forward.raw().unsigned_abs();
        let x_q62 = ln_forward_q62 - s.ln_strike_q62;
        if x_q62.abs() > LN_MONEYNESS_MAX_Q62 {
            return None;
        }
        let vol_q60 = dec_to_q60(u64::try_from(v).ok()?);
        // σ√T ∈ [0.001·0.0316, 7.9·2.82]: positive.
        let sd_q120 = wmul(vol_q60, s.sqrt_t_q60);
        let (sd_q60, sd_q62) = (sd_q120 >> Q, sd_q120 >> 58);
        // x/sd in Q60: |x| < 2^64 in Q62, so x·2^60 < 2^124.
        let ratio = (x_q62 << Q).checked_div(sd_q62)?;
        let d1 = ratio + (sd_q60 >> 1);
        let d2 = d1 - sd_q60;
        Some(Quote { forward_raw, vol_q60, sd_q62, d1, d2 })
    }
}

/// `ln F` (of the raw integer) in Q62, or `None` if the forward lies outside
/// the kernel's range `(0, 2^110)` raw.
#[inline]
fn forward_ln(t: &Tables, forward: Decimal) -> Option<i128> {
    let f = forward.raw();
    (f > 0 && f < PRICE_MAX_RAW).then(|| t.ln_int_q62(f.unsigned_abs()))
}

/// `F·Φ(d1) − K·Φ(d2)` (call) or `K·Φ(−d2) − F·Φ(−d1)` (put), raw,
/// undiscounted; and `Φ(d1)` in Q63.
#[inline]
fn undiscounted(t: &Tables, s: &SeriesParts, q: &Quote, kind: OptionKind) -> (i128, u64) {
    let (n1, n2) = (t.cdf_q63(q.d1), t.cdf_q63(q.d2));
    (combine(s, q, kind, n1, n2), n1)
}

/// The undiscounted value of `kind` from `n1 = Φ(d1)` and `n2 = Φ(d2)` (Q63).
#[inline]
fn combine(s: &SeriesParts, q: &Quote, kind: OptionKind, n1: u64, n2: u64) -> i128 {
    // F, K < 2^110 and Φ <= 2^63: each product is below 2^110 raw.
    let (a, b) = match kind {
        OptionKind::Call => (mul_shr(q.forward_raw, n1, 63), mul_shr(s.strike_raw, n2, 63)),
        OptionKind::Put => (mul_shr(s.strike_raw, ONE_Q63 - n2, 63), mul_shr(q.forward_raw, ONE_Q63 - n1, 63)),
    };
    a as i128 - b as i128
}

/// The discounted price, raw, never negative.
#[inline]
fn discounted(s: &SeriesParts, undiscounted: i128) -> Decimal {
    Decimal::from_raw(mul_shr_signed(undiscounted, s.discount_q60, Q).max(0))
}

/// The fast price (raw, never negative), or `None` outside the range.
#[inline]
pub(crate) fn fast_price(
    t: &Tables,
    s: &SeriesParts,
    kind: OptionKind,
    forward: Decimal,
    vol: Decimal,
) -> Option<Decimal> {
    let q = Quote::new(t, s, forward, vol)?;
    let (u, _) = undiscounted(t, s, &q, kind);
    Some(discounted(s, u))
}

/// The fast price and Greeks, or `None` outside the range (or if gamma's
/// division by the forward fails, which it cannot in range).
pub(crate) fn fast_valuation(
    t: &Tables,
    s: &SeriesParts,
    kind: OptionKind,
    forward: Decimal,
    vol: Decimal,
) -> Option<Valuation> {
    let q = Quote::new(t, s, forward, vol)?;
    let (u, n1) = undiscounted(t, s, &q, kind);
    let d = i128::from(s.discount_q60);
    let price = mul_shr_signed(u, s.discount_q60, Q).max(0);
    // delta = D·Φ(d1) or D·(Φ(d1) − 1), Q60.
    let n1 = i128::from(n1);
    let delta_q60 = match kind {
        // |D| < 2^63 and |Φ − 0 or 1| <= 2^63: exact products below 2^126.
        OptionKind::Call => d.wrapping_mul(n1) >> 63,
        OptionKind::Put => d.wrapping_mul(n1 - i128::from(ONE_Q63)) >> 63,
    };
    // g = D·φ(d1) (< 3), Q60; g/sd = gamma·F, Q60 (< 2^77).
    // φ <= 0.4·2^63 fits i64; g < 3·2^60.
    let g = (wmul(s.discount_q60, t.pdf_q63(q.d1) as i64) >> 63) as i64;
    let gamma_f = (i128::from(g) << 62).checked_div(q.sd_q62)?;
    let gamma = Decimal::from_raw(q60_to_raw(gamma_f)).div(forward, Rounding::HalfEven).ok()?;
    // vega = F·g·√T.
    let g_sqrt_t = wmul(g, s.sqrt_t_q60) >> Q;
    let vega = mul_shr(q.forward_raw, u64::try_from(g_sqrt_t).ok()?, Q) as i128;
    // theta = r·V − F·g·σ/(2√T); the decay per unit of F in Q52 (< 2^61).
    let decay_q52 = wmul(g, q.vol_q60).checked_div(i128::from(s.sqrt_t_q60) << 9)?;
    let decay = mul_shr(q.forward_raw, u64::try_from(decay_q52).ok()?, 52) as i128;
    let theta = mul_shr_signed(price, s.rate_q60, Q) - decay;
    let greeks = Greeks {
        delta: Decimal::from_raw(q60_to_raw(delta_q60)),
        gamma,
        vega: Decimal::from_raw(vega),
        theta: Decimal::from_raw(theta),
    };
    Some(Valuation { price: Decimal::from_raw(price), greeks })
}

/// Precomputed per option series; prices it under many (forward, vol)
/// scenarios.
///
/// Construction does the work that depends only on the series (`ln K`,
/// `√T`, `e^{−rT}`); each [`SeriesPricer::price`] call then costs one `ln`,
/// one division and two evaluations of `Φ`. The results equal
/// [`crate::black76::price`] bit for bit.
#[derive(Clone, Copy, Debug)]
pub struct SeriesPricer {
    kind: OptionKind,
    strike: Decimal,
    time_years: Decimal,
    rate: Decimal,
    /// `None` when the series lies outside the fast kernel's range.
    fast: Option<(&'static Tables, SeriesParts)>,
}

impl SeriesPricer {
    /// A pricer for the option `kind` struck at `strike`, expiring in
    /// `time_years`, discounted at the continuously compounded `rate`.
    ///
    /// # Errors
    /// [`MathError::Domain`] for a non-positive strike or a negative time.
    pub fn new(kind: OptionKind, strike: Decimal, time_years: Decimal, rate: Decimal) -> Result<Self, MathError> {
        if !strike.is_positive() || time_years.is_negative() {
            return Err(MathError::Domain);
        }
        let fast = tables().and_then(|t| SeriesParts::new(t, strike, time_years, rate).map(|s| (t, s)));
        Ok(SeriesPricer { kind, strike, time_years, rate, fast })
    }

    /// The Black-76 price at `forward` and `vol`: the same value as
    /// [`crate::black76::price`].
    ///
    /// # Errors
    /// As [`crate::black76::price`]: [`MathError::Domain`] for a
    /// non-positive forward or a negative vol; [`MathError::Overflow`] if an
    /// intermediate leaves the decimal range.
    #[inline]
    pub fn price(&self, forward: Decimal, vol: Decimal) -> Result<Decimal, MathError> {
        if let Some((t, s)) = &self.fast {
            if let Some(p) = fast_price(t, s, self.kind, forward, vol) {
                return Ok(p);
            }
        }
        self.price_exact(forward, vol, self.kind)
    }

    /// The prices of the call and of the put of this series (whatever its own
    /// kind) at `forward` and `vol`: each exactly what [`SeriesPricer::price`]
    /// of a pricer of that kind returns, for the cost of about one price.
    pub fn price_call_put(
        &self,
        forward: &PreparedForward,
        vol: Decimal,
    ) -> (Result<Decimal, MathError>, Result<Decimal, MathError>) {
        let fast = self.fast.as_ref().and_then(|(t, s)| {
            let q = Quote::at(s, forward.forward, forward.ln_q62?, vol)?;
            let (n1, n2) = (t.cdf_q63(q.d1), t.cdf_q63(q.d2));
            let call = discounted(s, combine(s, &q, OptionKind::Call, n1, n2));
            let put = discounted(s, combine(s, &q, OptionKind::Put, n1, n2));
            Some((call, put))
        });
        match fast {
            Some((call, put)) => (Ok(call), Ok(put)),
            None => (
                self.price_exact(forward.forward, vol, OptionKind::Call),
                self.price_exact(forward.forward, vol, OptionKind::Put),
            ),
        }
    }

    fn price_exact(&self, forward: Decimal, vol: Decimal, kind: OptionKind) -> Result<Decimal, MathError> {
        let inputs = Black76Inputs { forward, strike: self.strike, vol, time_years: self.time_years, rate: self.rate };
        price_exact(&inputs, kind)
    }
}

/// A forward at which many series are priced ([`SeriesPricer::price_call_put`]):
/// the part of the kernel that depends on the forward alone, computed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreparedForward {
    forward: Decimal,
    /// `ln F` of the fast kernel; `None` outside its range.
    ln_q62: Option<i128>,
}

impl PreparedForward {
    /// Prepares `forward`.
    pub fn new(forward: Decimal) -> Self {
        PreparedForward { forward, ln_q62: tables().and_then(|t| forward_ln(t, forward)) }
    }

    /// The forward.
    pub fn forward(&self) -> Decimal {
        self.forward
    }
}
