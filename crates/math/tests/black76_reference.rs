//! Checks the integer-only transcendental functions and Black-76 against the
//! 50-digit mpmath reference vectors in `reference/` (regenerate with
//! `python3 reference/black76_vectors.py`; the references are rounded
//! half-even to 18 decimals).
//!
//! Acceptance criteria (errors are `|ours − reference|`):
//!
//! * `exp`: at most 1 unit in the last place (1e-18) plus `1e-33·e^x`
//!   (the relative part only matters for results above 1e15);
//! * `ln`, `normal_pdf`, `normal_cdf`: at most 1e-18 (1 unit in the last
//!   place: our rounding and the reference's may fall on either side);
//! * Black-76 (`reference/black76_vectors.csv`, 400 rows over
//!   `F/K ∈ [0.2, 5]`, `T ∈ [1/365, 5]`, `σ ∈ [0.01, 5]`, `r ∈ [−0.1, 0.5]`,
//!   `F ∈ {1, 100, 2500.5, 65000}`):
//!   price `≤ 1e-12·F`; delta `≤ 1e-10`; gamma `≤ 1e-10 / F` (i.e. `F·Γ`
//!   within 1e-10); vega and theta `≤ 1e-10·F` (per unit of forward).
//!
//! Run with `--nocapture` to see the maximum errors measured.

use novation_math::black76::{price_and_greeks, Black76Inputs, OptionKind};
use novation_math::{normal_cdf, normal_pdf, Decimal, Rounding};

const BLACK76: &str = include_str!("../reference/black76_vectors.csv");
const TRANSCENDENTAL: &str = include_str!("../reference/transcendental_vectors.csv");

fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("bad decimal {s:?}: {e}"))
}

/// A CSV column and the function it checks.
type Check = (usize, fn(Decimal) -> Decimal);

/// `|a − b|` in raw units (1e-18).
fn ulps(a: Decimal, b: Decimal) -> i128 {
    (a.raw() - b.raw()).abs()
}

#[test]
fn transcendental_reference() {
    let mut max = [0i128; 4];
    let mut rows = 0;
    for line in TRANSCENDENTAL.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let x = d(cols[0]);
        rows += 1;
        if !cols[1].is_empty() {
            let want = d(cols[1]);
            let got = x.exp().unwrap();
            // 1 ulp + 1e-33·e^x, i.e. raw slack = 1 + raw(e^x)/10^33.
            let slack = 1 + want.raw() / 1_000_000_000_000_000_000_000_000_000_000_000;
            assert!(ulps(got, want) <= slack, "exp({x}) = {got}, want {want}");
            max[0] = max[0].max(ulps(got, want));
        }
        let checks: [Check; 3] =
            [(2, |x| x.ln().unwrap()), (3, |x| normal_pdf(x).unwrap()), (4, |x| normal_cdf(x).unwrap())];
        for (col, f) in checks {
            if !cols[col].is_empty() {
                let (want, got) = (d(cols[col]), f(x));
                assert!(ulps(got, want) <= 1, "column {col} at {x}: {got}, want {want}");
                max[col - 1] = max[col - 1].max(ulps(got, want));
            }
        }
    }
    assert!(rows > 500);
    println!("max errors in ulps (1e-18): exp {} ln {} pdf {} cdf {}", max[0], max[1], max[2], max[3]);
}

#[test]
fn black76_reference() {
    // Maximum normalised errors: price/F, delta, gamma·F, vega/F, theta/F.
    let mut max = [Decimal::ZERO; 5];
    let mut max_raw = [0i128; 5];
    let mut rows = 0;
    for line in BLACK76.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        let inputs =
            Black76Inputs { forward: d(c[0]), strike: d(c[1]), vol: d(c[2]), time_years: d(c[3]), rate: d(c[4]) };
        let kind = if c[5] == "call" { OptionKind::Call } else { OptionKind::Put };
        let v = price_and_greeks(&inputs, kind).unwrap();
        let f = inputs.forward;
        let got = [v.price, v.greeks.delta, v.greeks.gamma, v.greeks.vega, v.greeks.theta];
        for (i, g) in got.into_iter().enumerate() {
            let want = d(c[6 + i]);
            let err = g.checked_sub(want).unwrap().checked_abs().unwrap();
            // Normalise: delta as is, gamma times F, the others per unit of F
            // (rounded up so that the check is never lenient).
            let norm = match i {
                1 => err,
                2 => err.mul(f, Rounding::Ceil).unwrap(),
                _ => err.div(f, Rounding::Ceil).unwrap(),
            };
            let limit = if i == 0 { d("0.000000000001") } else { d("0.0000000001") };
            assert!(norm <= limit, "row {rows} {line}: column {i} = {g}, want {want}");
            max[i] = max[i].max(norm);
            max_raw[i] = max_raw[i].max(err.raw());
        }
        rows += 1;
    }
    assert!(rows >= 300, "only {rows} rows");
    println!(
        "max normalised errors over {rows} rows: price/F {} delta {} gamma*F {} vega/F {} theta/F {}",
        max[0], max[1], max[2], max[3], max[4]
    );
    println!("max absolute errors in ulps (1e-18), [price, delta, gamma, vega, theta]: {:?}", max_raw);
}
