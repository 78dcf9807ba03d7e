//! `SeriesPricer` and the fast Black-76 kernel: the pricer agrees bit for bit
//! with `black76::price`, both agree with the 50-digit reference vectors and
//! with the exact 18-decimal path, results are deterministic, degenerate
//! series work, and nothing panics at the edges of the fast kernel's range.
//!
//! Run with `--nocapture` to see the maximum errors measured.

use novation_math::black76::{
    price, price_and_greeks, price_and_greeks_exact, price_exact, Black76Inputs, OptionKind, Valuation,
};
use novation_math::{Decimal, MathError, PreparedForward, Rounding, SeriesPricer};
use proptest::prelude::*;

const BLACK76: &str = include_str!("../reference/black76_vectors.csv");
const S: i128 = Decimal::SCALE;
const HE: Rounding = Rounding::HalfEven;

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("bad decimal {s:?}: {e}"))
}

fn dec(raw: i128) -> Decimal {
    Decimal::from_raw(raw)
}

fn abs_diff(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b).unwrap().checked_abs().unwrap()
}

/// The reference rows: inputs, kind, reference price.
fn reference_rows() -> Vec<(Black76Inputs, OptionKind, Decimal)> {
    BLACK76
        .lines()
        .skip(1)
        .map(|line| {
            let c: Vec<&str> = line.split(',').collect();
            let inputs =
                Black76Inputs { forward: d(c[0]), strike: d(c[1]), vol: d(c[2]), time_years: d(c[3]), rate: d(c[4]) };
            let kind = if c[5] == "call" { OptionKind::Call } else { OptionKind::Put };
            (inputs, kind, d(c[6]))
        })
        .collect()
}

#[test]
fn series_pricer_equals_black76_price_on_the_reference_inputs() {
    let mut max_per_f = Decimal::ZERO;
    let rows = reference_rows();
    assert!(rows.len() >= 300);
    for (i, kind, want) in rows {
        let pricer = SeriesPricer::new(kind, i.strike, i.time_years, i.rate).unwrap();
        let got = pricer.price(i.forward, i.vol).unwrap();
        assert_eq!(Ok(got), price(&i, kind), "{i:?} {kind:?}");
        assert_eq!(got, price_and_greeks(&i, kind).unwrap().price, "{i:?} {kind:?}");
        let per_f = abs_diff(got, want).div(i.forward, Rounding::Ceil).unwrap();
        assert!(per_f <= d("0.000000000001"), "{i:?} {kind:?}: {got} vs {want}");
        max_per_f = max_per_f.max(per_f);
    }
    println!("SeriesPricer vs reference: max |price error| / F = {max_per_f}");
}

/// Prices a grid of scenarios for one series.
fn grid(pricer: &SeriesPricer, scenarios: &[(Decimal, Decimal)]) -> Vec<Decimal> {
    scenarios.iter().map(|&(f, v)| pricer.price(f, v).unwrap()).collect()
}

#[test]
fn scenario_grid_is_deterministic_and_order_independent() {
    let series = [
        (OptionKind::Call, d("65000"), d("0.25"), d("0.05")),
        (OptionKind::Put, d("2500.5"), d("0.019178082191780822"), d("-0.01")),
        (OptionKind::Put, d("1"), d("3"), d("0.2")),
    ];
    let scenarios: Vec<(Decimal, Decimal)> = (0..16)
        .map(|k| {
            let f_move = dec(S * (85 + 2 * k) / 100);
            let v_move = dec(S * (70 + 4 * k) / 100);
            (f_move, v_move)
        })
        .collect();
    for (kind, strike, t, r) in series {
        let scaled: Vec<_> =
            scenarios.iter().map(|&(f, v)| (f.mul(strike, HE).unwrap(), v.div_int(2, HE).unwrap())).collect();
        let a = SeriesPricer::new(kind, strike, t, r).unwrap();
        let b = SeriesPricer::new(kind, strike, t, r).unwrap();
        let first = grid(&a, &scaled);
        assert_eq!(first, grid(&a, &scaled));
        assert_eq!(first, grid(&b, &scaled));
        let mut reversed: Vec<_> = scaled.iter().rev().map(|&(f, v)| a.price(f, v).unwrap()).collect();
        reversed.reverse();
        assert_eq!(first, reversed);
    }
}

#[test]
fn pinned_values_do_not_change() {
    // Consensus code: these exact bits are what every node computes.
    let i = Black76Inputs { forward: d("100"), strike: d("95"), vol: d("0.3"), time_years: d("0.5"), rate: d("0.05") };
    let call = price(&i, OptionKind::Call).unwrap();
    let put = price(&i, OptionKind::Put).unwrap();
    let exact = price_exact(&i, OptionKind::Call).unwrap();
    assert!(abs_diff(call, exact) <= dec(100), "{call} vs {exact}");
    assert_eq!((call.raw(), put.raw()), PINNED, "call {call} put {put}");
}

/// `(call, put)` raw prices of the `pinned_values_do_not_change` option.
const PINNED: (i128, i128) = (10_703_499_385_548_091_395, 5_826_949_825_406_428_046);

#[test]
fn degenerate_series_price_the_discounted_intrinsic_value() {
    let (k, r) = (d("100"), d("0.05"));
    let at_expiry = SeriesPricer::new(OptionKind::Call, k, Decimal::ZERO, r).unwrap();
    assert_eq!(at_expiry.price(d("110"), d("0.3")), Ok(d("10")));
    assert_eq!(at_expiry.price(d("90"), d("0.3")), Ok(Decimal::ZERO));
    let put = SeriesPricer::new(OptionKind::Put, k, d("1"), r).unwrap();
    let discount = d("-0.05").exp().unwrap();
    assert_eq!(put.price(d("90"), Decimal::ZERO), Ok(discount.mul(d("10"), HE).unwrap()));
    assert_eq!(put.price(d("110"), Decimal::ZERO), Ok(Decimal::ZERO));
    let i = Black76Inputs { forward: d("90"), strike: k, vol: Decimal::ZERO, time_years: d("1"), rate: r };
    assert_eq!(put.price(d("90"), Decimal::ZERO), price_exact(&i, OptionKind::Put));
    // Invalid inputs are typed errors.
    assert_eq!(SeriesPricer::new(OptionKind::Call, Decimal::ZERO, d("1"), r).err(), Some(MathError::Domain));
    assert_eq!(SeriesPricer::new(OptionKind::Call, k, d("-1"), r).err(), Some(MathError::Domain));
    assert_eq!(put.price(Decimal::ZERO, d("0.2")), Err(MathError::Domain));
    assert_eq!(put.price(d("100"), d("-0.2")), Err(MathError::Domain));
}

/// Inputs over the whole range of the fast kernel (wider than the supported
/// range): `F/K ∈ [0.04, 25]`, `T ∈ [0.001, 7.9]`, `σ ∈ [0.001, 7.9]`,
/// `r ∈ [−0.5, 0.5]`.
fn kernel_range() -> impl Strategy<Value = (Black76Inputs, OptionKind)> {
    (
        S / 100..1_000_000 * S,
        S / 25..25 * S,
        S / 1000..79 * S / 10,
        S / 1000..79 * S / 10,
        -S / 2..S / 2,
        prop_oneof![Just(OptionKind::Call), Just(OptionKind::Put)],
    )
        .prop_map(|(f, m, t, v, r, kind)| {
            let forward = dec(f).round_dp(6, HE).unwrap();
            let strike = forward.div(dec(m), HE).unwrap().round_dp(6, HE).unwrap().max(dec(1));
            (Black76Inputs { forward, strike, vol: dec(v), time_years: dec(t), rate: dec(r) }, kind)
        })
}

/// `|a − b| <= tol·scale`, with `scale = max(1, |b|)`.
fn close(a: Decimal, b: Decimal, tol: Decimal) -> bool {
    let scale = b.checked_abs().unwrap().max(Decimal::ONE);
    abs_diff(a, b) <= tol.mul(scale, Rounding::Ceil).unwrap()
}

fn per_f(v: &Valuation, f: Decimal) -> [Decimal; 5] {
    let g = v.greeks;
    [
        v.price.div(f, HE).unwrap(),
        g.delta,
        g.gamma.mul(f, HE).unwrap(),
        g.vega.div(f, HE).unwrap(),
        g.theta.div(f, HE).unwrap(),
    ]
}

proptest! {
    #[test]
    fn fast_kernel_agrees_with_the_exact_path((i, kind) in kernel_range()) {
        let fast = price_and_greeks(&i, kind).unwrap();
        let exact = price_and_greeks_exact(&i, kind).unwrap();
        let (a, b) = (per_f(&fast, i.forward), per_f(&exact, i.forward));
        prop_assert!(abs_diff(a[0], b[0]) <= d("0.000000000001"), "price {:?} vs {:?}", fast, exact);
        for k in 1..5 {
            prop_assert!(close(a[k], b[k], d("0.0000000001")), "greek {} {:?} vs {:?}", k, fast, exact);
        }
        let pricer = SeriesPricer::new(kind, i.strike, i.time_years, i.rate).unwrap();
        prop_assert_eq!(pricer.price(i.forward, i.vol).unwrap(), fast.price);
        prop_assert_eq!(price(&i, kind).unwrap(), fast.price);
        let (call, put) = pricer.price_call_put(&PreparedForward::new(i.forward), i.vol);
        prop_assert_eq!((call, put), (price(&i, OptionKind::Call), price(&i, OptionKind::Put)));
    }
}

/// Raw values at and around the edges of the kernel's range.
fn edge(values: &'static [i128]) -> impl Strategy<Value = Decimal> {
    (proptest::sample::select(values), -3i128..=3).prop_map(|(v, off)| dec(v.saturating_add(off)))
}

const EDGE_PRICES: &[i128] = &[i128::MIN, -1, 0, 1, S / 1000, S, 1 << 109, 1 << 110, i128::MAX];
const EDGE_TV: &[i128] = &[i128::MIN, -1, 0, 1, S / 1000, S / 365, S, 79 * S / 10, 8 * S, 100 * S, i128::MAX];
const EDGE_RATES: &[i128] = &[i128::MIN, -S - 1, -S, -S / 2, 0, S / 2, S, S + 1, i128::MAX];

proptest! {
    #[test]
    fn never_panics_at_the_edges(
        f in edge(EDGE_PRICES), k in edge(EDGE_PRICES), v in edge(EDGE_TV), t in edge(EDGE_TV), r in edge(EDGE_RATES),
    ) {
        let i = Black76Inputs { forward: f, strike: k, vol: v, time_years: t, rate: r };
        for kind in [OptionKind::Call, OptionKind::Put] {
            let p = price(&i, kind);
            let _ = price_and_greeks(&i, kind);
            if let Ok(pricer) = SeriesPricer::new(kind, k, t, r) {
                prop_assert_eq!(pricer.price(f, v), p);
                let (call, put) = pricer.price_call_put(&PreparedForward::new(f), v);
                prop_assert_eq!(if kind == OptionKind::Call { call } else { put }, p);
            }
        }
    }
}
