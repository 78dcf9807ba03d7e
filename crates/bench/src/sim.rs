//! The `sim` suite: a long campaign of seeded whole-protocol simulations (TigerBeetle's VOPR
//! is the model). Random case seeds are checked against every property of `novation-sim`
//! (or the one `--property` names) until `--seconds` pass; the suite reports the scripts,
//! blocks, transactions and actions it ran, and every failure on stderr with the seed that
//! replays it (`--seed S` replays one seed). Any failure makes the suite exit non-zero.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use novation_sim::{Campaign, Property, Stats};

use crate::report::Metric;

const SUITE: &str = "sim";
/// How long `--quick` runs.
const QUICK_SECONDS: u64 = 2;
/// How long a campaign runs without `--seconds`.
const DEFAULT_SECONDS: u64 = 60;
/// A campaign stops after this many failures.
const MAX_FAILURES: usize = 10;

/// What the command line asks of the suite.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SimArgs {
    /// Run the campaign this long.
    pub(crate) seconds: Option<u64>,
    /// Replay this one case seed instead of running a campaign.
    pub(crate) seed: Option<u64>,
    /// Check only this property.
    pub(crate) property: Option<Property>,
}

pub(crate) fn run(quick: bool, args: &SimArgs) -> Result<(), String> {
    let properties = args.property.map_or_else(|| Property::ALL.to_vec(), |p| vec![p]);
    if let Some(seed) = args.seed {
        return replay(seed, &properties);
    }
    let seconds = args.seconds.unwrap_or(if quick { QUICK_SECONDS } else { DEFAULT_SECONDS });
    let seed = campaign_seed();
    let names: Vec<&str> = properties.iter().map(|p| p.name()).collect();
    eprintln!("sim: campaign seed={seed}, {seconds} s, properties {}", names.join(", "));
    let campaign = Campaign { seed, duration: Duration::from_secs(seconds), properties, max_failures: MAX_FAILURES };
    let report = campaign.run(|failure| eprintln!("sim: FAILURE {failure}"));
    let elapsed = report.elapsed.as_secs_f64();
    let count =
        |metric, value: u64, unit| Metric { suite: SUITE, metric, value: value as f64, unit, reps: None, peer: None };
    count("cases", report.cases, "seeds").emit();
    count("scripts", report.scripts, "scripts").emit();
    emit_stats(&report.stats);
    count("failures", report.failures.len() as u64, "failures").emit();
    Metric { suite: SUITE, metric: "seconds", value: elapsed, unit: "s", reps: None, peer: None }.emit();
    let rate = if elapsed > 0.0 { report.stats.blocks as f64 / elapsed } else { 0.0 };
    Metric { suite: SUITE, metric: "blocks_per_sec", value: rate, unit: "blocks/s", reps: None, peer: None }.emit();
    match report.failures.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} failure(s); the first replays with: {}",
            report.failures.len(),
            first.replay_command().unwrap_or_default()
        )),
    }
}

/// Checks `properties` on the scripts `seed` generates, once.
fn replay(seed: u64, properties: &[Property]) -> Result<(), String> {
    eprintln!("sim: replaying seed={seed}");
    let mut total = Stats::default();
    let mut failures = 0u64;
    for property in properties {
        match property.check_seed(seed) {
            Ok(stats) => total.add(&stats),
            Err(failure) => {
                eprintln!("sim: FAILURE {failure}");
                failures += 1;
            }
        }
    }
    let count =
        |metric, value: u64, unit| Metric { suite: SUITE, metric, value: value as f64, unit, reps: None, peer: None };
    count("scripts", properties.len() as u64, "scripts").emit();
    emit_stats(&total);
    count("failures", failures, "failures").emit();
    if failures > 0 {
        return Err(format!("seed={seed} fails {failures} propert(ies)"));
    }
    Ok(())
}

fn emit_stats(stats: &Stats) {
    let count =
        |metric, value: u64, unit| Metric { suite: SUITE, metric, value: value as f64, unit, reps: None, peer: None };
    count("blocks", stats.blocks, "blocks").emit();
    count("transactions", stats.txs, "transactions").emit();
    count("actions", stats.actions, "actions").emit();
    count("transactions_accepted", stats.accepted, "transactions").emit();
    count("fills", stats.fills, "fills").emit();
    count("liquidations", stats.liquidations, "liquidations").emit();
}

/// A fresh campaign seed per run, so successive runs explore different scripts (each failure
/// prints its own case seed, so the campaign seed is only for the record).
fn campaign_seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    novation_sim::Rng::new(nanos as u64 ^ u64::from(std::process::id())).next_u64()
}
