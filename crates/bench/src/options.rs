//! `options` suite: Black-76 option pricing in `novation-math`.
//!
//! Inputs (untimed): a fixed, seeded set of options across the supported range of
//! `novation_math::black76` — forward in {1, 100, 2500.5, 65000} (times a random factor in
//! [0.5, 2]), moneyness `F/K` in [0.2, 5] (log-uniform), `T` in [1/365, 5] years, `σ` in
//! [0.01, 5] (log-uniform), `r` in [−0.1, 0.5], calls and puts alike.
//!
//! Timed, each the median over repetitions of a pass over the whole set (after a warm-up
//! pass), divided by the number of calls:
//! * `ns_per_price_greeks`: `black76::price_and_greeks`;
//! * `ns_per_price`: `black76::price`;
//! * `ns_per_series_price`: `SeriesPricer::price` over a grid of 100 series × 16
//!   (forward, vol) scenarios (the pricers are built untimed); `us_per_grid_100x16` is the
//!   whole grid;
//! * `ns_per_price_greeks_exact` and `ratio_exact_vs_fast`: the 18-decimal reference
//!   `black76::price_and_greeks_exact` on a subset, as a same-run comparison.
//!
//! Then `us_per_portfolio_margin_100` and `us_per_portfolio_margin_100_cached`: one
//! portfolio-margined account with 100 option positions (see the `portfolio` module).

use std::hint::black_box;
use std::time::Instant;

use novation_math::black76::{price, price_and_greeks, price_and_greeks_exact, Black76Inputs, OptionKind};
use novation_math::{Decimal, SeriesPricer};

use crate::report::{median, Metric};
use novation_sim::Rng;

const SUITE: &str = "options";
const SEED: u64 = 0x6F70_7469_6F6E;
/// Options in the input set.
const INPUTS: usize = 1024;
/// The scenario grid: series × (forward, vol) scenarios.
const GRID_SERIES: usize = 100;
const GRID_SCENARIOS: usize = 16;
/// Options priced by the slow reference per repetition.
const EXACT_INPUTS: usize = 256;

struct Sizes {
    reps: usize,
    /// Passes over the input set per repetition.
    passes: usize,
}

impl Sizes {
    fn new(quick: bool) -> Self {
        if quick {
            Sizes { reps: 5, passes: 2 }
        } else {
            Sizes { reps: 15, passes: 100 }
        }
    }
}

/// A raw decimal uniform in `[low, high)` (raw units).
fn uniform(rng: &mut Rng, low: i128, high: i128) -> Decimal {
    let span = u64::try_from(high - low).unwrap_or(u64::MAX);
    Decimal::from_raw(low + i128::from(rng.below(span)))
}

/// `low·(high/low)^u` for `u` uniform in `[0, 1)` (on a grid of 2^20 steps), rounded to 12
/// decimals.
fn log_uniform(rng: &mut Rng, low: f64, high: f64) -> Decimal {
    let u = rng.below(1 << 20) as f64 / (1u64 << 20) as f64;
    let value = low * (high / low).powf(u);
    // 12 decimals are plenty for a workload; the conversion is display-side only.
    Decimal::from_raw((value * 1e12).round() as i128 * 1_000_000)
}

fn kind(rng: &mut Rng) -> OptionKind {
    if rng.coin() {
        OptionKind::Call
    } else {
        OptionKind::Put
    }
}

fn input_set() -> Vec<(Black76Inputs, OptionKind)> {
    const S: i128 = Decimal::SCALE;
    let bases = [1.0, 100.0, 2500.5, 65000.0];
    let mut rng = Rng::new(SEED);
    (0..INPUTS)
        .map(|i| {
            let base = bases[i % bases.len()];
            let forward = log_uniform(&mut rng, base * 0.5, base * 2.0);
            let moneyness = log_uniform(&mut rng, 0.2, 5.0);
            let strike = forward.div(moneyness, novation_math::Rounding::HalfEven).unwrap_or(forward);
            let inputs = Black76Inputs {
                forward,
                strike,
                vol: log_uniform(&mut rng, 0.01, 5.0),
                time_years: uniform(&mut rng, S / 365, 5 * S),
                rate: uniform(&mut rng, -S / 10, S / 2),
            };
            (inputs, kind(&mut rng))
        })
        .collect()
}

/// Median ns per call of `f` over `reps` repetitions of `passes` passes over `items`
/// (after one warm-up pass); `f` returns a checksum so that nothing is optimised away.
fn time_per_call<T>(items: &[T], reps: usize, passes: usize, mut f: impl FnMut(&T) -> i128) -> f64 {
    let mut sink = 0i128;
    for item in items {
        sink = sink.wrapping_add(f(item));
    }
    let mut samples = Vec::with_capacity(reps);
    for _ in 0..reps {
        let start = Instant::now();
        for _ in 0..passes {
            for item in items {
                sink = sink.wrapping_add(f(black_box(item)));
            }
        }
        samples.push(start.elapsed().as_secs_f64() * 1e9 / (passes * items.len()).max(1) as f64);
    }
    black_box(sink);
    median(&samples)
}

/// One series' pricer and its (forward, vol) scenarios.
type SeriesScenarios = (SeriesPricer, Vec<(Decimal, Decimal)>);

/// The 100 × 16 grid: pricers for 100 series and 16 (forward, vol) scenarios per series.
fn grid(inputs: &[(Black76Inputs, OptionKind)]) -> Result<Vec<SeriesScenarios>, String> {
    let mut rng = Rng::new(SEED ^ 1);
    inputs
        .iter()
        .take(GRID_SERIES)
        .map(|(i, kind)| {
            let pricer = SeriesPricer::new(*kind, i.strike, i.time_years, i.rate).map_err(|e| e.to_string())?;
            // Forward moves of ±15 % and vol moves of ±30 % (relative), as margin scenarios.
            let scenarios = (0..GRID_SCENARIOS)
                .map(|_| {
                    let f_move = log_uniform(&mut rng, 0.85, 1.15);
                    let v_move = log_uniform(&mut rng, 0.7, 1.3);
                    let he = novation_math::Rounding::HalfEven;
                    (i.forward.mul(f_move, he).unwrap_or(i.forward), i.vol.mul(v_move, he).unwrap_or(i.vol))
                })
                .collect();
            Ok((pricer, scenarios))
        })
        .collect()
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let sizes = Sizes::new(quick);
    let inputs = input_set();
    for (i, kind) in &inputs {
        price_and_greeks(i, *kind).map_err(|e| format!("{i:?} {kind:?}: {e}"))?;
    }
    eprintln!("options: {} inputs, {} reps of {} passes", inputs.len(), sizes.reps, sizes.passes);
    let reps = Some(sizes.reps);
    let metric = |metric, value, unit| Metric { suite: SUITE, metric, value, unit, reps, peer: None };

    let greeks_ns = time_per_call(&inputs, sizes.reps, sizes.passes, |(i, k)| {
        price_and_greeks(i, *k).map(|v| v.price.raw() ^ v.greeks.theta.raw()).unwrap_or(0)
    });
    metric("ns_per_price_greeks", greeks_ns, "ns").emit();
    let price_ns =
        time_per_call(&inputs, sizes.reps, sizes.passes, |(i, k)| price(i, *k).map(Decimal::raw).unwrap_or(0));
    metric("ns_per_price", price_ns, "ns").emit();

    let grid = grid(&inputs)?;
    let grid_calls = (GRID_SERIES * GRID_SCENARIOS) as f64;
    let series_ns = time_per_call(&grid, sizes.reps, sizes.passes.div_ceil(2), |(pricer, scenarios)| {
        let mut sum = 0i128;
        for (f, v) in scenarios {
            sum = sum.wrapping_add(pricer.price(*f, *v).map(Decimal::raw).unwrap_or(0));
        }
        sum
    }) / GRID_SCENARIOS as f64;
    metric("ns_per_series_price", series_ns, "ns").emit();
    metric("us_per_grid_100x16", series_ns * grid_calls / 1e3, "us").emit();

    let exact = inputs.get(..EXACT_INPUTS).unwrap_or(&inputs);
    let exact_ns = time_per_call(exact, sizes.reps.min(5), 1, |(i, k)| {
        price_and_greeks_exact(i, *k).map(|v| v.price.raw() ^ v.greeks.theta.raw()).unwrap_or(0)
    });
    Metric {
        suite: SUITE,
        metric: "ns_per_price_greeks_exact",
        value: exact_ns,
        unit: "ns",
        reps: Some(sizes.reps.min(5)),
        peer: None,
    }
    .emit();
    metric("ratio_exact_vs_fast", exact_ns / greeks_ns.max(f64::MIN_POSITIVE), "x").emit();

    portfolio_margin_100(quick)
}

/// `us_per_portfolio_margin_100`: see the `portfolio` module.
fn portfolio_margin_100(quick: bool) -> Result<(), String> {
    crate::portfolio::run(quick)
}
