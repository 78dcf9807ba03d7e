//! Tests of the raw SVI smile and its static-arbitrage checks: known
//! arbitrage-free and arbitrageable smiles, each rejection reason, `g(k)`
//! against a 60-digit reference and against finite differences, margins of
//! `±1e-9` and `±1e-13` decided correctly, round trips, serde, and a
//! property test that nothing panics on arbitrary parameters.
//!
//! Reference values were computed independently with Python's `decimal`
//! module at 60–80 significant digits from the closed forms of `w`, `w'`,
//! `w''` and `g`.

use novation_math::svi::CHECK_GRID_POINTS;
use novation_math::{check_calendar, log_moneyness, Decimal, MathError, Rounding, SviError, SviParams, CHECK_GRID};
use proptest::prelude::*;

const HE: Rounding = Rounding::HalfEven;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn svi(a: &str, b: &str, rho: &str, m: &str, sigma: &str) -> SviParams {
    SviParams { a: d(a), b: d(b), rho: d(rho), m: d(m), sigma: d(sigma) }
}

fn abs_diff(x: Decimal, y: Decimal) -> Decimal {
    x.checked_sub(y).unwrap().checked_abs().unwrap()
}

/// An ordinary equity-like skew: a=0.04, b=0.4, ρ=−0.4, m=0, σ=0.1.
fn standard() -> SviParams {
    svi("0.04", "0.4", "-0.4", "0", "0.1")
}

/// Axel Vogt's smile (Gatheral & Jacquier 2014, §2.2): arbitrageable.
fn vogt() -> SviParams {
    svi("-0.0410", "0.1331", "0.3060", "0.3586", "0.4153")
}

#[test]
fn standard_smile_is_arbitrage_free() {
    assert_eq!(standard().validate(), Ok(()));
    // Its smallest g on the grid is about 0.0815 (reference).
    let min_g = CHECK_GRID.iter().map(|&k| standard().butterfly_g(k).unwrap()).min().unwrap();
    assert!(min_g > d("0.0814") && min_g < d("0.0815"), "{min_g}");
}

#[test]
fn vogt_smile_is_rejected_for_butterfly_arbitrage_first_at_k_0_65() {
    assert_eq!(vogt().validate(), Err(SviError::Butterfly { k: d("0.65") }));
    assert!(vogt().butterfly_g(d("0.65")).unwrap().is_negative());
    assert!(vogt().butterfly_g(d("0.6")).unwrap().is_positive());
}

#[test]
fn g_matches_high_precision_reference() {
    // (params, k, w(k), g(k)) from the 60-digit reference, truncated.
    let cases = [
        (standard(), "-1", "0.601995024844835611", "0.141060141155223635"),
        (standard(), "0", "0.08", "2.9184"),
        (standard(), "0.5", "0.163960780543711393", "0.346672615102600497"),
        (standard(), "1.2", "0.329663783151691819", "0.274430769626607416"),
        (vogt(), "-1", "0.092755652172206465", "0.267870358736459714"),
        (vogt(), "0", "0.017426252555159122", "1.038649731281797464"),
        (vogt(), "1.2", "0.118158274828168841", "-0.006915181838286081"),
        (vogt(), "2", "0.251206695840511249", "0.076996167309741813"),
    ];
    for (p, k, w, g) in cases {
        let w_got = p.total_variance(d(k)).unwrap();
        let g_got = p.butterfly_g(d(k)).unwrap();
        assert!(abs_diff(w_got, d(w)) <= Decimal::from_raw(1), "w({k}) = {w_got}, want {w}");
        assert!(abs_diff(g_got, d(g)) <= Decimal::from_raw(2), "g({k}) = {g_got}, want {g}");
    }
}

/// `g` rebuilt from central finite differences of `total_variance`.
fn g_by_finite_differences(p: &SviParams, k: Decimal) -> Decimal {
    let h = d("0.0001");
    let w = p.total_variance(k).unwrap();
    let up = p.total_variance(k.checked_add(h).unwrap()).unwrap();
    let down = p.total_variance(k.checked_sub(h).unwrap()).unwrap();
    let dw = up.checked_sub(down).unwrap().div(h.mul_int(2).unwrap(), HE).unwrap();
    let d2w = up.checked_sub(w.mul_int(2).unwrap()).unwrap().checked_add(down).unwrap();
    let d2w = d2w.div(h.mul(h, HE).unwrap(), HE).unwrap();
    let half = d("0.5");
    let quarter = d("0.25");
    let lead = Decimal::ONE.checked_sub(k.mul(dw, HE).unwrap().div(w.mul_int(2).unwrap(), HE).unwrap()).unwrap();
    let slope = dw.mul(dw, HE).unwrap().mul(quarter, HE).unwrap();
    let slope = slope.mul(Decimal::ONE.div(w, HE).unwrap().checked_add(quarter).unwrap(), HE).unwrap();
    lead.mul(lead, HE).unwrap().checked_sub(slope).unwrap().checked_add(d2w.mul(half, HE).unwrap()).unwrap()
}

#[test]
fn g_agrees_with_finite_differences() {
    for p in [standard(), vogt(), svi("0.01", "0.2", "0.7", "-0.3", "0.3")] {
        for k in ["-2.5", "-0.7", "0.05", "0.65", "1.3", "2.9"] {
            let exact = p.butterfly_g(d(k)).unwrap();
            let approx = g_by_finite_differences(&p, d(k));
            assert!(abs_diff(exact, approx) < d("0.000001"), "k={k}: {exact} vs {approx}");
        }
    }
}

#[test]
fn a_butterfly_margin_of_one_billionth_is_decided_correctly() {
    // Vogt's b, ρ, m, σ with `a` chosen so that min g over the grid (at
    // k = 0.9) is +1.0000000006e-9, resp. −0.9999999998e-9.
    let pass = svi("-0.032680647645930481", "0.1331", "0.3060", "0.3586", "0.4153");
    let fail = svi("-0.032680648090901334", "0.1331", "0.3060", "0.3586", "0.4153");
    assert_eq!(pass.validate(), Ok(()));
    assert_eq!(fail.validate(), Err(SviError::Butterfly { k: d("0.9") }));
    assert_eq!(pass.butterfly_g(d("0.9")).unwrap().raw(), 1_000_000_000);
    assert_eq!(fail.butterfly_g(d("0.9")).unwrap().raw(), -1_000_000_000);
}

#[test]
fn a_butterfly_margin_of_1e_13_is_decided_correctly() {
    // As above with min g = +0.99998e-13, resp. −1.00002e-13, at k = 0.9.
    let pass = svi("-0.032680647868393659", "0.1331", "0.3060", "0.3586", "0.4153");
    let fail = svi("-0.032680647868438156", "0.1331", "0.3060", "0.3586", "0.4153");
    assert_eq!(pass.validate(), Ok(()));
    assert_eq!(fail.validate(), Err(SviError::Butterfly { k: d("0.9") }));
}

#[test]
fn steep_wing_is_rejected_by_lee_bound() {
    // b(1 + |ρ|) = 1.5 · 1.5 = 2.25 > 2.
    assert_eq!(svi("0.04", "1.5", "0.5", "0", "0.1").validate(), Err(SviError::WingBound));
    assert_eq!(svi("0.04", "1.5", "-0.5", "0", "0.1").validate(), Err(SviError::WingBound));
    // Exactly 2 (1.6 · 1.25) is allowed by the bound; one ulp more is not.
    assert_ne!(svi("0.04", "1.6", "0.25", "0", "0.1").validate(), Err(SviError::WingBound));
    assert_eq!(svi("0.04", "1.600000000000000001", "0.25", "0", "0.1").validate(), Err(SviError::WingBound));
}

#[test]
fn inadmissible_parameters_are_rejected() {
    for p in [
        svi("0.04", "-0.1", "0", "0", "0.1"),                   // b < 0
        svi("0.04", "0.4", "1", "0", "0.1"),                    // ρ = 1
        svi("0.04", "0.4", "-1", "0", "0.1"),                   // ρ = −1
        svi("0.04", "0.4", "-1.5", "0", "0.1"),                 // |ρ| > 1
        svi("0.04", "0.4", "0", "0", "0"),                      // σ = 0
        svi("0.04", "0.4", "0", "0", "-0.1"),                   // σ < 0
        svi("-0.1", "0.4", "0", "0", "0.1"),                    // min variance −0.06
        svi("-0.040000000000000001", "0.5", "0.6", "0", "0.1"), // min variance −1e-18
    ] {
        assert_eq!(p.validate(), Err(SviError::Parameters), "{p:?}");
    }
}

#[test]
fn zero_variance_on_the_grid_is_a_butterfly_failure() {
    // Minimum variance a + bσ√(1 − ρ²) = −0.04 + 0.5 · 0.1 · 0.8 = 0, reached
    // at k = m − ρσ/√(1 − ρ²) = m − 0.075: the first grid point −3 here.
    let p = svi("-0.04", "0.5", "0.6", "-2.925", "0.1");
    let first = CHECK_GRID[0];
    assert_eq!(p.total_variance(first), Ok(Decimal::ZERO));
    assert_eq!(p.butterfly_g(first), Err(MathError::Domain));
    assert_eq!(p.validate(), Err(SviError::Butterfly { k: first }));
    // Moved to k = 0, g is already negative near the vertex (first at −0.35).
    let p = svi("-0.04", "0.5", "0.6", "0.075", "0.1");
    assert_eq!(p.total_variance(Decimal::ZERO), Ok(Decimal::ZERO));
    assert_eq!(p.validate(), Err(SviError::Butterfly { k: d("-0.35") }));
}

#[test]
fn later_expiry_with_less_variance_somewhere_is_calendar_arbitrage() {
    // Higher at the money but flatter wings: below the earlier smile far out.
    let later = svi("0.05", "0.3", "-0.4", "0", "0.1");
    assert_eq!(later.validate(), Ok(()));
    let err = check_calendar(&standard(), &later).unwrap_err();
    assert_eq!(err, SviError::Calendar { k: d("-3") });
}

#[test]
fn proportionally_larger_later_expiry_passes_calendar() {
    // w_later = 1.2 · w_earlier. (1.5 · w_earlier would itself have butterfly
    // arbitrage at k = −0.65: g is not invariant under scaling w.)
    let later = svi("0.048", "0.48", "-0.4", "0", "0.1");
    assert_eq!(svi("0.06", "0.6", "-0.4", "0", "0.1").validate(), Err(SviError::Butterfly { k: d("-0.65") }));
    assert_eq!(later.validate(), Ok(()));
    assert_eq!(check_calendar(&standard(), &later), Ok(()));
    assert_eq!(check_calendar(&standard(), &standard()), Ok(()));
    assert_eq!(check_calendar(&later, &standard()), Err(SviError::Calendar { k: d("-3") }));
}

#[test]
fn implied_vol_round_trips_to_total_variance() {
    for p in [standard(), vogt()] {
        for k in ["-2", "0", "0.3", "1.7"] {
            for t in ["0.0027", "0.25", "1", "4"] {
                let w = p.total_variance(d(k)).unwrap();
                let vol = p.implied_vol(d(k), d(t)).unwrap();
                let back = vol.mul(vol, HE).unwrap().mul(d(t), HE).unwrap();
                assert!(abs_diff(back, w) <= Decimal::from_raw(4), "k={k} t={t}: {back} vs {w}");
            }
        }
    }
    // w(0) = 0.08 for the standard smile: vol = √(0.08 / 0.5) = 0.4 exactly.
    assert_eq!(standard().implied_vol(Decimal::ZERO, d("0.5")), Ok(d("0.4")));
    assert_eq!(standard().implied_vol(Decimal::ZERO, Decimal::ZERO), Err(MathError::Domain));
    assert_eq!(standard().implied_vol(Decimal::ZERO, d("-1")), Err(MathError::Domain));
    assert_eq!(vogt().implied_vol(d("0.5"), d("-1")), Err(MathError::Domain));
}

#[test]
fn log_moneyness_is_ln_strike_over_forward() {
    assert_eq!(log_moneyness(d("2500"), d("2500")), Ok(Decimal::ZERO));
    // ln 2 = 0.693147180559945309417...
    let k = log_moneyness(d("200"), d("100")).unwrap();
    assert!(abs_diff(k, d("0.693147180559945309")) <= Decimal::from_raw(2), "{k}");
    let k = log_moneyness(d("100"), d("200")).unwrap();
    assert!(abs_diff(k, d("-0.693147180559945309")) <= Decimal::from_raw(2), "{k}");
    assert_eq!(log_moneyness(Decimal::ZERO, d("1")), Err(MathError::Domain));
    assert_eq!(log_moneyness(d("1"), d("-1")), Err(MathError::Domain));
}

#[test]
fn params_serialize_as_exact_strings() {
    let json = serde_json::to_string(&vogt()).unwrap();
    assert_eq!(json, r#"{"a":"-0.041","b":"0.1331","rho":"0.306","m":"0.3586","sigma":"0.4153"}"#);
    assert_eq!(serde_json::from_str::<SviParams>(&json).unwrap(), vogt());
    let bytes = bincode::serialize(&standard()).unwrap();
    assert_eq!(bincode::deserialize::<SviParams>(&bytes).unwrap(), standard());
}

#[test]
fn errors_have_clear_messages() {
    assert_eq!(
        SviError::Butterfly { k: d("0.65") }.to_string(),
        "butterfly arbitrage in SVI smile at log-moneyness 0.65"
    );
    assert!(SviError::WingBound.to_string().contains("b * (1 + |rho|) > 2"));
    assert!(SviError::Calendar { k: d("-3") }.to_string().contains("-3"));
    assert_eq!(SviError::Math(MathError::Overflow).to_string(), "SVI evaluation failed: arithmetic overflow");
    let e: &dyn std::error::Error = &SviError::Math(MathError::Overflow);
    assert!(e.source().is_some());
}

#[test]
fn huge_parameters_fail_with_a_typed_error() {
    let huge = SviParams { a: Decimal::MAX, ..standard() };
    assert_eq!(huge.validate(), Err(SviError::Math(MathError::Overflow)));
    assert_eq!(huge.total_variance(Decimal::ZERO), Err(MathError::Overflow));
}

/// Any raw value, or one in an ordinary range (|x| ≤ 3), half the time each.
fn param() -> impl Strategy<Value = Decimal> {
    prop_oneof![any::<i128>(), -3 * Decimal::SCALE..3 * Decimal::SCALE].prop_map(Decimal::from_raw)
}

fn params() -> impl Strategy<Value = SviParams> {
    (param(), param(), param(), param(), param()).prop_map(|(a, b, rho, m, sigma)| SviParams { a, b, rho, m, sigma })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn checks_never_panic_and_accepted_smiles_are_positive(p in params(), q in params(), k in param()) {
        let verdict = p.validate();
        let _ = check_calendar(&p, &q);
        let _ = p.total_variance(k);
        let _ = p.butterfly_g(k);
        let _ = p.implied_vol(k, Decimal::ONE);
        if verdict.is_ok() {
            for k in CHECK_GRID {
                prop_assert!(p.total_variance(k).unwrap().is_positive());
                prop_assert!(!p.butterfly_g(k).unwrap().is_negative());
            }
        }
    }

    #[test]
    fn scaling_a_valid_smile_up_passes_calendar(
        a in 0..Decimal::SCALE / 10,
        b in 0..Decimal::SCALE / 2,
        rho in -Decimal::SCALE * 9 / 10..Decimal::SCALE * 9 / 10,
        m in -Decimal::SCALE / 2..Decimal::SCALE / 2,
        sigma in Decimal::SCALE / 100..Decimal::SCALE,
        factor in Decimal::SCALE..2 * Decimal::SCALE,
    ) {
        let p = SviParams {
            a: Decimal::from_raw(a),
            b: Decimal::from_raw(b),
            rho: Decimal::from_raw(rho),
            m: Decimal::from_raw(m),
            sigma: Decimal::from_raw(sigma),
        };
        let factor = Decimal::from_raw(factor);
        // Round the scaled coefficients up: the later smile is at least factor·w.
        let later = SviParams {
            a: p.a.mul(factor, Rounding::Ceil).unwrap(),
            b: p.b.mul(factor, Rounding::Ceil).unwrap(),
            ..p
        };
        prop_assert_eq!(check_calendar(&p, &later), Ok(()));
    }
}

#[test]
fn grid_has_121_points() {
    assert_eq!(CHECK_GRID.len(), CHECK_GRID_POINTS);
    assert_eq!(CHECK_GRID_POINTS, 121);
}

/// Cost of one full `validate()` (run with
/// `cargo test -p novation-math --release --test svi -- --ignored --nocapture`).
#[test]
#[ignore = "timing report, not a check"]
fn validate_timing() {
    let smiles = [standard(), svi("0.01", "0.2", "0.7", "-0.3", "0.3"), svi("0.0004", "0.05", "-0.2", "0.1", "0.05")];
    let rounds: u32 = 2000;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for p in &smiles {
            std::hint::black_box(std::hint::black_box(p).validate()).unwrap();
        }
    }
    let per_call = start.elapsed() / (rounds * smiles.len() as u32);
    println!("validate(): {} ns per call over {} grid points", per_call.as_nanos(), CHECK_GRID_POINTS);
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(check_calendar(std::hint::black_box(&smiles[0]), &smiles[0])).unwrap();
    }
    println!("check_calendar(): {} ns per call", (start.elapsed() / rounds).as_nanos());
}

#[test]
fn inadmissible_signs_are_reported_even_for_huge_values() {
    let base = standard();
    assert_eq!(SviParams { b: Decimal::MIN, ..base }.validate(), Err(SviError::Parameters));
    assert_eq!(SviParams { rho: Decimal::MAX, ..base }.validate(), Err(SviError::Parameters));
    assert_eq!(SviParams { sigma: Decimal::MIN, ..base }.validate(), Err(SviError::Parameters));
}

#[test]
fn a_sharp_smile_hiding_arbitrage_between_grid_points_is_caught_near_its_vertex() {
    // σ ≈ 0.011, far below the grid spacing: g ≥ 0.003 at every grid point, but
    // g ≈ −0.0016 at k = m − 4σ ≈ −0.2035 (found by a random search over sharp smiles).
    let sharp = SviParams {
        a: d("0.00106479"),
        b: d("0.03099854"),
        rho: d("0.45616061"),
        m: d("-0.16079064"),
        sigma: d("0.0106714"),
    };
    for k in CHECK_GRID {
        assert!(!sharp.butterfly_g(k).unwrap().is_negative(), "grid point {k}");
    }
    match sharp.validate() {
        Err(SviError::Butterfly { k }) => assert!(abs_diff(k, d("-0.20347624")) < d("0.00000001"), "{k}"),
        other => panic!("expected a butterfly violation near the vertex, got {other:?}"),
    }
}
