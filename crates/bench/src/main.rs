//! novation's benchmark programs.
//!
//! ```text
//! cargo run --release -p novation-bench -- SUITE [--quick]
//! cargo run --release -p novation-bench -- sim [--seconds N] [--seed S] [--property P] [--quick]
//! ```
//!
//! Each suite prints one JSON object per line on stdout in the format of shared/BENCH.md
//! (`suite`, `metric`, `value`, `unit`, and `reps` / `peer` where they apply); progress and
//! notes go to stderr. Every timed figure is the median of several repetitions after a
//! warm-up. `--quick` runs a small version that finishes in seconds.
//!
//! Suites: `book` (order-book operations through the protocol vs the `lobster` crate),
//! `node` (orders/s through one node), `consensus` (four validators on Malachite BFT: orders/s
//! and finality, against the solo chain),
//! `margin` (re-checking every subaccount's margin after an oracle move), `options`
//! (Black-76 pricing and Greeks), `abuse` (each attack on the node's front door against a live
//! devnet), `scenarios` (adversarial scenarios, each outcome as JSON lines), and `sim` (a
//! campaign of seeded whole-protocol simulations
//! that reports what it ran and every failure with its seed).
// Benchmark figures (rates, medians, ratios) are floating point for display only; nothing
// here feeds back into protocol state.
#![allow(clippy::float_arithmetic)]

/// mimalloc, keeping the memory it frees (see `novation_alloc`).
#[global_allocator]
static ALLOCATOR: novation_alloc::Allocator = novation_alloc::Allocator;

mod abuse;
mod book;
mod chain;
mod consensus;
mod liquidation;
mod load;
mod margin;
mod node;
mod options;
mod portfolio;
mod report;
mod scenarios;
mod sim;

use std::process::ExitCode;

const USAGE: &str = "\
usage: novation-bench SUITE [--quick]
       novation-bench sim [--seconds N] [--seed S] [--property P] [--quick]

suites:
  book     order-book ops/s through the protocol (margin-checked) vs lobster@0.7.0
  margin   time to re-check the margin of every subaccount after an oracle move
  liquidation  detect and liquidate after a 20% drop across 1,000,000 subaccounts
  node     orders/s through signature check, sequencing, execution and durable commit
  consensus  four validators on Malachite BFT in one process: orders/s, blocks/s and
           finality under a batched load, against the solo chain on the same load
  options  ns per Black-76 price, price+Greeks, and per-series scenario price
  abuse    each attack on a live devnet: longest block gap and a legitimate transaction's
           inclusion latency per attack
  scenarios  adversarial scenarios (oracle pump, wash trades, backstop pump, collateral
           crashes, depeg report, crash without bids, pump into an empty book, liquidation
           into the attacker's own offer, oracle outage, gap through bankruptcy): each
           outcome as JSON lines
  sim      random seeded simulations checked against the protocol's properties for N
           seconds (default 60, --quick 2); exits non-zero on any failure

options:
  --quick  a small run for smoke tests (finishes in seconds)
  --help   this message

sim options:
  --seconds N    run the campaign for N seconds
  --seed S       replay the scripts of one case seed (printed with every failure)
  --property P   check one property only: conservation, no-panic, rejected-tx, replicas,
                 initial-maintenance, resting-orders, oracle-refusals, bystanders

output: one JSON object per line on stdout; logs on stderr";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run { suite: Suite, quick: bool, sim: sim::SimArgs },
    Help,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Abuse,
    Book,
    Consensus,
    Margin,
    Liquidation,
    Node,
    Options,
    Scenarios,
    Sim,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut suite = None;
    let mut quick = false;
    let mut sim = sim::SimArgs::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().cloned().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--quick" => quick = true,
            "--seconds" => {
                let text = value("--seconds")?;
                sim.seconds = Some(text.parse().map_err(|_| format!("--seconds {text:?} is not a whole number"))?);
            }
            "--seed" => {
                let text = value("--seed")?;
                sim.seed = Some(novation_sim::parse_seed(&text).ok_or(format!("--seed {text:?} is not a u64"))?);
            }
            "--property" => {
                let text = value("--property")?;
                sim.property =
                    Some(novation_sim::Property::from_name(&text).ok_or(format!("unknown property {text:?}"))?);
            }
            "--help" | "-h" => return Ok(Command::Help),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            name if suite.is_some() => return Err(format!("unexpected argument {name:?}")),
            "abuse" => suite = Some(Suite::Abuse),
            "book" => suite = Some(Suite::Book),
            "consensus" => suite = Some(Suite::Consensus),
            "margin" => suite = Some(Suite::Margin),
            "liquidation" => suite = Some(Suite::Liquidation),
            "node" => suite = Some(Suite::Node),
            "options" => suite = Some(Suite::Options),
            "scenarios" => suite = Some(Suite::Scenarios),
            "sim" => suite = Some(Suite::Sim),
            name => return Err(format!("unknown suite {name:?}")),
        }
    }
    let suite = suite.ok_or("no suite given")?;
    if suite != Suite::Sim && sim != sim::SimArgs::default() {
        return Err("--seconds, --seed and --property are options of the sim suite".into());
    }
    Ok(Command::Run { suite, quick, sim })
}

fn main() -> ExitCode {
    novation_alloc::keep_freed_memory();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (suite, quick, sim_args) = match parse(&args) {
        Ok(Command::Run { suite, quick, sim }) => (suite, quick, sim),
        Ok(Command::Help) => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("novation-bench: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match suite {
        Suite::Abuse => abuse::run(quick),
        Suite::Book => book::run(quick),
        Suite::Consensus => consensus::run(quick),
        Suite::Margin => margin::run(quick),
        Suite::Liquidation => liquidation::run(quick),
        Suite::Node => node::run(quick),
        Suite::Options => options::run(quick),
        Suite::Scenarios => scenarios::run(quick),
        Suite::Sim => sim::run(quick, &sim_args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("novation-bench: {suite:?} failed: {why}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_suites_flags_and_refuses_the_rest() {
        let none = sim::SimArgs::default();
        let run = |suite, quick| Ok(Command::Run { suite, quick, sim: none.clone() });
        assert_eq!(parse(&args(&["book", "--quick"])), run(Suite::Book, true));
        assert_eq!(parse(&args(&["--quick", "margin"])), run(Suite::Margin, true));
        assert_eq!(parse(&args(&["--help"])), Ok(Command::Help));
        assert_eq!(parse(&args(&["options"])), run(Suite::Options, false));
        assert_eq!(parse(&args(&["consensus", "--quick"])), run(Suite::Consensus, true));
        assert_eq!(parse(&args(&["scenarios", "--quick"])), run(Suite::Scenarios, true));
        let sim = sim::SimArgs {
            seconds: Some(30),
            seed: Some(0xff),
            property: Some(novation_sim::Property::RiskReducingActionsAreNeverRefusedForTheOracle),
        };
        assert_eq!(
            parse(&args(&["sim", "--seconds", "30", "--seed", "0xff", "--property", "oracle-refusals"])),
            Ok(Command::Run { suite: Suite::Sim, quick: false, sim })
        );
        assert!(parse(&args(&["sim", "--seconds"])).is_err());
        assert!(parse(&args(&["sim", "--property", "nope"])).is_err());
        assert!(parse(&args(&["book", "--seconds", "3"])).is_err());
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["nope"])).is_err());
        assert!(parse(&args(&["book", "--fast"])).is_err());
        assert!(parse(&args(&["book", "margin"])).is_err());
    }
}
