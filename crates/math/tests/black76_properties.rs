//! Property tests of the transcendental functions and Black-76: exp/ln
//! identities, normal CDF symmetry and monotonicity, put-call parity, Greeks
//! against central finite differences of the price, and implied-volatility
//! round trips, over the supported range (`F/K ∈ [0.2, 5]`,
//! `T ∈ [1/365, 5]`, `σ ∈ [0.01, 5]`, `r ∈ [−0.1, 0.5]`, `F ∈ [1, 10^5]`).

use novation_math::black76::{greeks, implied_vol, price, Black76Inputs, Black76Market, OptionKind};
use novation_math::{normal_cdf, Decimal, MathError, Rounding};
use proptest::prelude::*;

const HE: Rounding = Rounding::HalfEven;
const S: i128 = Decimal::SCALE;

fn dec(raw: i128) -> Decimal {
    Decimal::from_raw(raw)
}

fn abs_diff(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b).unwrap().checked_abs().unwrap()
}

/// Inputs across the supported range; strikes follow from a moneyness.
fn inputs() -> impl Strategy<Value = (Black76Inputs, OptionKind)> {
    (
        S..100_000 * S, // forward
        S / 5..5 * S,   // moneyness F/K
        S / 365..5 * S, // time
        S / 100..5 * S, // vol
        -S / 10..S / 2, // rate
        prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)],
    )
        .prop_map(|(f, m, t, v, r, kind)| {
            let forward = dec(f).round_dp(6, HE).unwrap();
            let strike = forward.div(dec(m), HE).unwrap().round_dp(6, HE).unwrap();
            (Black76Inputs { forward, strike, vol: dec(v), time_years: dec(t), rate: dec(r) }, kind)
        })
}

/// `(V(x + h) − V(x − h)) / 2h` for the input selected by `set`.
fn central(i: &Black76Inputs, kind: OptionKind, h: Decimal, set: fn(&mut Black76Inputs, Decimal)) -> Decimal {
    let value = |sign: i128| {
        let mut j = *i;
        set(&mut j, h.mul_int(sign).unwrap());
        price(&j, kind).unwrap()
    };
    value(1).checked_sub(value(-1)).unwrap().div(h.mul_int(2).unwrap(), HE).unwrap()
}

proptest! {
    #[test]
    fn ln_inverts_exp(raw in -20 * S..46 * S) {
        let x = dec(raw);
        let e = x.exp().unwrap();
        // d ln = d e / e: the 0.5-ulp rounding of e^x becomes 0.5/e^x ulps.
        let slack = 2 + S / e.raw();
        prop_assert!(abs_diff(e.ln().unwrap(), x).raw() <= slack, "x={x} e={e}");
    }

    #[test]
    fn exp_inverts_ln(raw in 1i128..i128::MAX / 4) {
        let y = dec(raw);
        let l = y.ln().unwrap();
        if let Ok(back) = l.exp() {
            // The 0.5-ulp rounding of ln y becomes a relative 0.5e-18 in y.
            let slack = 2 + raw / S;
            prop_assert!(abs_diff(back, y).raw() <= slack, "y={y} ln={l} back={back}");
        }
    }

    #[test]
    fn exp_is_a_homomorphism(a in -20 * S..20 * S, b in -20 * S..20 * S) {
        let lhs = dec(a + b).exp().unwrap();
        let rhs = dec(a).exp().unwrap().mul(dec(b).exp().unwrap(), HE).unwrap();
        // Rounding of each factor, relative to the larger factor.
        let big = dec(a.max(b)).exp().unwrap().max(Decimal::ONE);
        let slack = 3 + big.raw() / S + lhs.raw() / (S / 10);
        prop_assert!(abs_diff(lhs, rhs).raw() <= slack);
    }

    #[test]
    fn ln_of_product(a in S / 1000..1000 * S, b in S / 1000..1000 * S) {
        // a·b in 36 decimals: use products that are exact in 18 decimals.
        let (a, b) = (dec(a).round_dp(9, HE).unwrap(), dec(b).round_dp(9, HE).unwrap());
        let ab = a.mul(b, HE).unwrap();
        let sum = a.ln().unwrap().checked_add(b.ln().unwrap()).unwrap();
        prop_assert!(abs_diff(ab.ln().unwrap(), sum).raw() <= 2);
    }

    #[test]
    fn cdf_symmetric_and_monotone(raw in -12 * S..12 * S, step in 0i128..S / 1000) {
        let x = dec(raw);
        let sum = normal_cdf(x).unwrap().checked_add(normal_cdf(x.checked_neg().unwrap()).unwrap()).unwrap();
        prop_assert_eq!(sum, Decimal::ONE);
        prop_assert!(normal_cdf(dec(raw + step)).unwrap() >= normal_cdf(x).unwrap());
    }

    #[test]
    fn put_call_parity((i, _) in inputs()) {
        let c = price(&i, OptionKind::Call).unwrap();
        let p = price(&i, OptionKind::Put).unwrap();
        let disc = i.rate.mul(i.time_years, HE).unwrap().checked_neg().unwrap().exp().unwrap();
        let want = disc.mul(i.forward.checked_sub(i.strike).unwrap(), HE).unwrap();
        // Each price carries a few roundings of size ~1e-18·max(F, K).
        let slack = 10 + i.forward.max(i.strike).raw() / (S / 10);
        prop_assert!(abs_diff(c.checked_sub(p).unwrap(), want).raw() <= slack, "C={c} P={p} want={want}");
    }

    #[test]
    fn greeks_match_finite_differences((i, kind) in inputs()) {
        let g = greeks(&i, kind).unwrap();
        let f = i.forward;
        let tol = Decimal::from_raw(S / 1_000_000); // 1e-6
        // delta: h = 1e-5·F.
        let h = f.div_int(100_000, HE).unwrap();
        let fd_delta = central(&i, kind, h, |j, d| j.forward = j.forward.checked_add(d).unwrap());
        prop_assert!(abs_diff(fd_delta, g.delta) <= tol, "delta {} vs fd {}", g.delta, fd_delta);
        // gamma (times F) from deltas.
        let delta_at = |sign: i128| {
            let mut j = i;
            j.forward = f.checked_add(h.mul_int(sign).unwrap()).unwrap();
            greeks(&j, kind).unwrap().delta
        };
        let fd_gamma = delta_at(1).checked_sub(delta_at(-1)).unwrap().div(h.mul_int(2).unwrap(), HE).unwrap();
        let gamma_err = abs_diff(fd_gamma, g.gamma).mul(f, HE).unwrap();
        let gamma_tol = tol.mul(Decimal::ONE.max(g.gamma.mul(f, HE).unwrap()), HE).unwrap();
        prop_assert!(gamma_err <= gamma_tol, "gamma {} vs fd {}", g.gamma, fd_gamma);
        // vega (per F): h = 1e-6 of vol, or less for small vols.
        let hv = Decimal::from_raw(S / 1_000_000).min(i.vol.div_int(10, HE).unwrap());
        let fd_vega = central(&i, kind, hv, |j, d| j.vol = j.vol.checked_add(d).unwrap());
        prop_assert!(abs_diff(fd_vega, g.vega).div(f, HE).unwrap() <= tol, "vega {} vs fd {}", g.vega, fd_vega);
        // theta = −∂V/∂T (per F): h = 1e-6·T.
        let ht = i.time_years.div_int(1_000_000, HE).unwrap();
        let fd_theta = central(&i, kind, ht, |j, d| j.time_years = j.time_years.checked_add(d).unwrap())
            .checked_neg()
            .unwrap();
        prop_assert!(abs_diff(fd_theta, g.theta).div(f, HE).unwrap() <= tol, "theta {} vs fd {}", g.theta, fd_theta);
    }

    #[test]
    fn implied_vol_round_trip((i, kind) in inputs()) {
        let target = price(&i, kind).unwrap();
        let market = Black76Market { forward: i.forward, strike: i.strike, time_years: i.time_years, rate: i.rate };
        match implied_vol(&market, target, kind) {
            Ok(vol) => {
                let back = price(&market.with_vol(vol), kind).unwrap();
                // The repriced option matches to ~1e-15 of the forward.
                let slack = 10 + i.forward.raw() / 1000;
                prop_assert!(abs_diff(back, target).raw() <= slack, "vol {} -> {} price {} vs {}", i.vol, vol, back, target);
                // Where vega is meaningful the vol itself comes back.
                let vega = greeks(&i, kind).unwrap().vega;
                if vega.div(i.forward, HE).unwrap() >= Decimal::from_raw(S / 1000) {
                    prop_assert!(abs_diff(vol, i.vol).raw() <= 1_000_000, "vol {} -> {}", i.vol, vol);
                }
            }
            // Prices that round onto a no-arbitrage bound carry no vol.
            Err(MathError::ArbitrageBounds) => {}
            Err(e) => prop_assert!(false, "unexpected {e:?} for {i:?}"),
        }
    }
}

/// Any raw value, biased toward the interesting small magnitudes.
fn any_decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![any::<i128>(), -100 * S..100 * S, -S..S, Just(0i128), Just(i128::MAX), Just(i128::MIN)].prop_map(dec)
}

proptest! {
    #[test]
    fn never_panics(f in any_decimal(), k in any_decimal(), v in any_decimal(), t in any_decimal(), r in any_decimal(), p in any_decimal()) {
        let _ = (f.exp(), f.ln(), normal_cdf(f), novation_math::normal_pdf(f));
        let i = Black76Inputs { forward: f, strike: k, vol: v, time_years: t, rate: r };
        for kind in [OptionKind::Call, OptionKind::Put] {
            let _ = (price(&i, kind), greeks(&i, kind));
            let m = Black76Market { forward: f, strike: k, time_years: t, rate: r };
            let _ = implied_vol(&m, p, kind);
        }
    }
}
