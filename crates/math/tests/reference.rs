//! Property tests: every rounding primitive of `novation-math` against an
//! independent arbitrary-precision reference written with `num_bigint`.
//!
//! The reference never uses the crate's own helpers: it floor-divides with
//! `BigInt`, adjusts for the rounding mode, and declares overflow whenever
//! the exact rounded result does not fit `i128`.

use std::str::FromStr;

use novation_math::{div_i128, isqrt_u128, mul_div_i128, Decimal, MathError, Ppm, Rounding};
use num_bigint::{BigInt, BigUint};
use num_traits::{Signed, ToPrimitive, Zero};
use proptest::prelude::*;

const SCALE: i128 = 1_000_000_000_000_000_000;

/// `n / d` (d != 0) rounded as asked, computed as floor division followed by
/// an adjustment.
fn ref_div(n: &BigInt, d: &BigInt, r: Rounding) -> BigInt {
    assert!(!d.is_zero());
    // Floor division from truncating division.
    let mut q = n / d;
    if (&q * d) != *n && (n.is_negative() != d.is_negative()) {
        q -= 1;
    }
    // Remainder as a non-negative fraction of |d|: frac = (n/d - q) ∈ [0, 1),
    // i.e. rem/|d| with rem = (n - q*d) * sign(d).
    let rem = (n - &q * d) * d.signum();
    let dabs = d.abs();
    debug_assert!(!rem.is_negative() && rem < dabs);
    if rem.is_zero() {
        return q;
    }
    match r {
        Rounding::Floor => q,
        Rounding::Ceil => q + 1,
        Rounding::TowardZero => {
            // Exact quotient is not an integer; truncation moves toward zero,
            // which is up for negative quotients.
            if q.is_negative() {
                q + 1
            } else {
                q
            }
        }
        Rounding::HalfEven => {
            let twice: BigInt = &rem * 2;
            let q_odd = !(&q % BigInt::from(2)).is_zero();
            match twice.cmp(&dabs) {
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Less => q,
                std::cmp::Ordering::Equal if q_odd => q + 1,
                std::cmp::Ordering::Equal => q,
            }
        }
    }
}

/// The reference outcome as the crate should report it.
fn fit(v: BigInt) -> Result<i128, MathError> {
    v.to_i128().ok_or(MathError::Overflow)
}

fn big(v: i128) -> BigInt {
    BigInt::from(v)
}

fn rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![Just(Rounding::Floor), Just(Rounding::Ceil), Just(Rounding::HalfEven), Just(Rounding::TowardZero),]
}

/// i128 values biased toward the places where bugs live: tiny values, the
/// extremes, values around 10^18, and everything else.
fn interesting() -> impl Strategy<Value = i128> {
    prop_oneof![
        3 => any::<i128>(),
        2 => -1_000i128..1_000,
        1 => (i128::MAX - 1_000)..=i128::MAX,
        1 => i128::MIN..=(i128::MIN + 1_000),
        2 => any::<i64>().prop_map(i128::from),
        1 => (-1_000_000i128..1_000_000).prop_map(|k| k * SCALE),
        1 => (-10i128..10).prop_map(|k| k * SCALE + k),
        1 => (0u32..127, any::<bool>(), -2i128..=2).prop_map(|(e, neg, off)| {
            let p = (1i128 << e) + off;
            if neg { -p } else { p }
        }),
        1 => (1i128..i128::MAX).prop_map(|v| v / 2),
    ]
}

/// A divisor in `-k..=k` other than zero.
fn nonzero_small(k: i128) -> impl Strategy<Value = i128> {
    prop_oneof![-k..=-1, 1..=k]
}

fn dec() -> impl Strategy<Value = Decimal> {
    interesting().prop_map(Decimal::from_raw)
}

proptest! {
    #[test]
    fn mul_div_matches_reference(a in interesting(), b in interesting(), c in interesting(), r in rounding()) {
        let got = mul_div_i128(a, b, c, r);
        if c == 0 {
            prop_assert_eq!(got, Err(MathError::DivisionByZero));
        } else {
            prop_assert_eq!(got, fit(ref_div(&(big(a) * big(b)), &big(c), r)));
        }
    }

    #[test]
    fn mul_div_small_divisors(a in interesting(), b in interesting(), c in nonzero_small(5), r in rounding()) {
        prop_assert_eq!(mul_div_i128(a, b, c, r), fit(ref_div(&(big(a) * big(b)), &big(c), r)));
    }

    #[test]
    fn mul_div_wide_but_fitting(a in interesting(), b in interesting(), r in rounding()) {
        // Divide by one of the factors (± a small offset) so that the product
        // overflows but the quotient usually fits.
        for c in [a, a.saturating_add(1), a.saturating_sub(1), b, b.saturating_add(3)] {
            if c != 0 {
                prop_assert_eq!(mul_div_i128(a, b, c, r), fit(ref_div(&(big(a) * big(b)), &big(c), r)));
            }
        }
    }

    #[test]
    fn mul_div_exact_ties(q in interesting(), j in 1i128..(1 << 40), b in interesting(), r in rounding()) {
        // a·b/c = (2q+1)·b/2 with b odd: an exact half, on both paths.
        let b = b | 1;
        let Some(a) = q.checked_mul(2).and_then(|v| v.checked_add(1)).and_then(|v| v.checked_mul(j)) else {
            return Ok(());
        };
        let c = 2 * j;
        prop_assert_eq!(mul_div_i128(a, b, c, r), fit(ref_div(&(big(a) * big(b)), &big(c), r)));
        prop_assert_eq!(mul_div_i128(b, a, -c, r), fit(ref_div(&(big(a) * big(b)), &big(-c), r)));
    }

    #[test]
    fn div_matches_reference(a in interesting(), c in interesting(), r in rounding()) {
        let got = div_i128(a, c, r);
        if c == 0 {
            prop_assert_eq!(got, Err(MathError::DivisionByZero));
        } else {
            prop_assert_eq!(got, fit(ref_div(&big(a), &big(c), r)));
        }
    }

    #[test]
    fn div_small_divisors(a in interesting(), c in nonzero_small(7), r in rounding()) {
        prop_assert_eq!(div_i128(a, c, r), fit(ref_div(&big(a), &big(c), r)));
    }

    #[test]
    fn isqrt_is_floor_sqrt(n in prop_oneof![any::<u128>(), 0u128..1_000_000, (u128::MAX - 1_000)..=u128::MAX,
                                           any::<u64>().prop_map(|x| u128::from(x) * u128::from(x)),
                                           any::<u64>().prop_map(|x| (u128::from(x) * u128::from(x)).saturating_sub(1))]) {
        let r = BigUint::from(isqrt_u128(n));
        let n = BigUint::from(n);
        prop_assert!(&r * &r <= n);
        prop_assert!((&r + 1u32) * (&r + 1u32) > n);
    }

    #[test]
    fn decimal_mul_matches_reference(a in dec(), b in dec(), r in rounding()) {
        let want = fit(ref_div(&(big(a.raw()) * big(b.raw())), &big(SCALE), r)).map(Decimal::from_raw);
        prop_assert_eq!(a.mul(b, r), want);
    }

    #[test]
    fn decimal_div_matches_reference(a in dec(), b in dec(), r in rounding()) {
        let got = a.div(b, r);
        if b.is_zero() {
            prop_assert_eq!(got, Err(MathError::DivisionByZero));
        } else {
            let want = fit(ref_div(&(big(a.raw()) * big(SCALE)), &big(b.raw()), r)).map(Decimal::from_raw);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn decimal_mul_div_matches_reference(a in dec(), n in dec(), d in dec(), r in rounding()) {
        let got = a.mul_div(n, d, r);
        if d.is_zero() {
            prop_assert_eq!(got, Err(MathError::DivisionByZero));
        } else {
            // Real-valued: (a/S)(n/S)/(d/S) rounded to 1/S, i.e. a·n·S/(d·S).
            let exact_num = big(a.raw()) * big(n.raw()) * big(SCALE);
            let exact_den = big(d.raw()) * big(SCALE);
            let want = fit(ref_div(&exact_num, &exact_den, r)).map(Decimal::from_raw);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn decimal_int_ops_match_reference(a in dec(), n in interesting(), r in rounding()) {
        prop_assert_eq!(a.mul_int(n), fit(big(a.raw()) * big(n)).map(Decimal::from_raw));
        let want = if n == 0 { Err(MathError::DivisionByZero) } else {
            fit(ref_div(&big(a.raw()), &big(n), r)).map(Decimal::from_raw)
        };
        prop_assert_eq!(a.div_int(n, r), want);
        prop_assert_eq!(Decimal::from_i128_int(n), fit(big(n) * big(SCALE)).map(Decimal::from_raw));
    }

    #[test]
    fn from_ratio_matches_reference(num in interesting(), den in interesting(), r in rounding()) {
        let want = if den == 0 { Err(MathError::DivisionByZero) } else {
            fit(ref_div(&(big(num) * big(SCALE)), &big(den), r)).map(Decimal::from_raw)
        };
        prop_assert_eq!(Decimal::from_ratio(num, den, r), want);
    }

    #[test]
    fn to_units_matches_reference(a in dec(), step in dec(), r in rounding()) {
        let got = a.to_units(step, r);
        if step.raw() <= 0 {
            prop_assert_eq!(got, Err(MathError::DivisionByZero));
        } else {
            prop_assert_eq!(got, fit(ref_div(&big(a.raw()), &big(step.raw()), r)));
            let exact = (big(a.raw()) % big(step.raw())).is_zero();
            prop_assert_eq!(a.is_multiple_of(step), exact);
            if let Ok(units) = got {
                prop_assert_eq!(
                    Decimal::from_units(units, step),
                    fit(big(units) * big(step.raw())).map(Decimal::from_raw)
                );
                if exact {
                    prop_assert_eq!(Decimal::from_units(units, step), Ok(a));
                }
            }
        }
    }

    #[test]
    fn round_to_int_and_dp_match_reference(a in dec(), dp in 0u32..=20, r in rounding()) {
        prop_assert_eq!(a.round_to_int(r), fit(ref_div(&big(a.raw()), &big(SCALE), r)));
        let want = if dp >= 18 { Ok(a) } else {
            let unit = BigInt::from(10u32).pow(18 - dp);
            fit(ref_div(&big(a.raw()), &unit, r) * unit).map(Decimal::from_raw)
        };
        prop_assert_eq!(a.round_dp(dp, r), want);
    }

    #[test]
    fn sqrt_matches_reference(a in dec(), r in rounding()) {
        let got = a.sqrt(r);
        if a.is_negative() {
            prop_assert_eq!(got, Err(MathError::NegativeSqrt));
        } else {
            // Exact root of raw·S in units of 1/S, checked by squaring.
            let n = big(a.raw()) * big(SCALE);
            let s = big(got.unwrap().raw());
            let sq = |x: &BigInt| x * x;
            match r {
                Rounding::Floor | Rounding::TowardZero => {
                    prop_assert!(sq(&s) <= n && sq(&(&s + 1)) > n);
                }
                Rounding::Ceil => {
                    prop_assert!(sq(&s) >= n);
                    prop_assert!(s.is_zero() || sq(&(&s - 1)) < n);
                }
                Rounding::HalfEven => {
                    // |s - sqrt(n)| <= 1/2  <=>  (2s-1)^2 <= 4n <= (2s+1)^2.
                    let four_n = &n * 4;
                    let two_s = &s * 2;
                    prop_assert!(s.is_zero() || sq(&(&two_s - 1)) <= four_n);
                    prop_assert!(four_n <= sq(&(&two_s + 1)));
                }
            }
        }
    }

    #[test]
    fn ppm_apply_matches_reference(v in interesting(), ppm in prop_oneof![any::<i64>(), -2_000_000i64..=2_000_000], r in rounding()) {
        let p = Ppm::new(ppm);
        let want = fit(ref_div(&(big(v) * BigInt::from(ppm)), &big(1_000_000), r));
        prop_assert_eq!(p.apply(v, r), want);
        prop_assert_eq!(p.apply_decimal(Decimal::from_raw(v), r), want.map(Decimal::from_raw));
        prop_assert_eq!(p.to_decimal().raw(), i128::from(ppm) * 1_000_000_000_000);
    }

    #[test]
    fn display_roundtrips_and_matches_reference(a in dec()) {
        let text = a.to_string();
        prop_assert_eq!(Decimal::from_str(&text), Ok(a));
        prop_assert_eq!(text, ref_display(a.raw()));
    }

    #[test]
    fn parse_matches_reference(
        sign in prop_oneof![Just(""), Just("+"), Just("-")],
        int in "[0-9]{1,24}",
        frac in proptest::option::of("[0-9]{0,20}"),
    ) {
        let text = match &frac {
            Some(f) => format!("{sign}{int}.{f}"),
            None => format!("{sign}{int}"),
        };
        let want = match &frac {
            Some(f) if f.is_empty() || f.len() > 18 => Err(MathError::Parse),
            _ => {
                let f = frac.clone().unwrap_or_default();
                let digits = format!("{int}{f}{}", "0".repeat(18 - f.len()));
                let mut v = BigInt::from_str(&digits).unwrap();
                if sign == "-" { v = -v; }
                v.to_i128().map(Decimal::from_raw).ok_or(MathError::Parse)
            }
        };
        prop_assert_eq!(Decimal::from_str(&text), want);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,50}") {
        let _ = Decimal::from_str(&s);
    }
}

/// Independent formatting: pad the magnitude's digits to 19, insert the
/// point 18 from the right, then trim trailing zeros and a bare point.
fn ref_display(raw: i128) -> String {
    let digits = format!("{:019}", BigInt::from(raw).abs());
    let (int, frac) = digits.split_at(digits.len() - 18);
    let frac = frac.trim_end_matches('0');
    let sign = if raw < 0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

#[test]
fn reference_self_check() {
    // The reference itself, on hand-checked values.
    let cases: [(i128, i128, [i128; 4]); 4] =
        [(7, 2, [3, 4, 4, 3]), (-7, 2, [-4, -3, -4, -3]), (5, -2, [-3, -2, -2, -2]), (-9, -4, [2, 3, 2, 2])];
    for (n, d, want) in cases {
        for (r, w) in Rounding::ALL.into_iter().zip(want) {
            assert_eq!(ref_div(&big(n), &big(d), r), big(w), "{n}/{d} {r:?}");
        }
    }
}

#[test]
fn display_parse_extremes() {
    for raw in [i128::MIN, i128::MIN + 1, i128::MAX, i128::MAX - 1, -1, 0, 1, SCALE, -SCALE] {
        let d = Decimal::from_raw(raw);
        assert_eq!(d.to_string(), ref_display(raw));
        assert_eq!(Decimal::from_str(&d.to_string()), Ok(d));
    }
}

#[test]
fn overflow_boundaries() {
    for r in Rounding::ALL {
        assert_eq!(mul_div_i128(i128::MIN, -1, 1, r), Err(MathError::Overflow));
        assert_eq!(mul_div_i128(i128::MIN, i128::MIN, -i128::MAX, r), Err(MathError::Overflow));
        assert_eq!(div_i128(i128::MIN, -1, r), Err(MathError::Overflow));
        assert_eq!(Decimal::MAX.mul(Decimal::MAX, r), Err(MathError::Overflow));
        assert_eq!(Decimal::MAX.mul(Decimal::ONE, r), Ok(Decimal::MAX));
        assert_eq!(Decimal::MIN.div(Decimal::ONE, r), Ok(Decimal::MIN));
        assert_eq!(Decimal::MIN.div(Decimal::from_int(-1), r), Err(MathError::Overflow));
    }
}

#[test]
fn decimals_are_exact_strings_in_json_and_raw_integers_in_binary() {
    let value: novation_math::Decimal = "-12.000000000000000001".parse().unwrap();
    let json = serde_json::to_string(&value).unwrap();
    assert_eq!(json, "\"-12.000000000000000001\"");
    assert_eq!(serde_json::from_str::<novation_math::Decimal>(&json).unwrap(), value);
    assert!(serde_json::from_str::<novation_math::Decimal>("\"1e5\"").is_err());
    let bytes = bincode::serialize(&value).unwrap();
    assert_eq!(bytes.len(), 16);
    assert_eq!(bincode::deserialize::<novation_math::Decimal>(&bytes).unwrap(), value);
}
