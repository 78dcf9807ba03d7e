//! novation's benchmark programs.
//!
//! ```text
//! cargo run --release -p novation-bench -- SUITE [--quick]
//! ```
//!
//! Each suite prints one JSON object per line on stdout in the format of shared/BENCH.md
//! (`suite`, `metric`, `value`, `unit`, and `reps` / `peer` where they apply); progress and
//! notes go to stderr. Every timed figure is the median of several repetitions after a
//! warm-up. `--quick` runs a small version that finishes in seconds.
//!
//! Suites: `book` (order-book operations through the protocol vs the `lobster` crate),
//! `margin` (re-checking every subaccount's margin after an oracle move) and `options`
//! (Black-76 pricing and Greeks).
// Benchmark figures (rates, medians, ratios) are floating point for display only; nothing
// here feeds back into protocol state.
#![allow(clippy::float_arithmetic)]

mod book;
mod chain;
mod liquidation;
mod margin;
mod node;
mod options;
mod portfolio;
mod report;
mod rng;

use std::process::ExitCode;

const USAGE: &str = "\
usage: novation-bench SUITE [--quick]

suites:
  book     order-book ops/s through the protocol (margin-checked) vs lobster@0.7.0
  margin   time to re-check the margin of every subaccount after an oracle move
  liquidation  detect and liquidate after a 20% drop across 1,000,000 subaccounts
  node     orders/s through signature check, sequencing, execution and durable commit
  options  ns per Black-76 price, price+Greeks, and per-series scenario price

options:
  --quick  a small run for smoke tests (finishes in seconds)
  --help   this message

output: one JSON object per line on stdout; logs on stderr";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Run { suite: Suite, quick: bool },
    Help,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suite {
    Book,
    Margin,
    Liquidation,
    Node,
    Options,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut suite = None;
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--help" | "-h" => return Ok(Command::Help),
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            name if suite.is_some() => return Err(format!("unexpected argument {name:?}")),
            "book" => suite = Some(Suite::Book),
            "margin" => suite = Some(Suite::Margin),
            "liquidation" => suite = Some(Suite::Liquidation),
            "node" => suite = Some(Suite::Node),
            "options" => suite = Some(Suite::Options),
            name => return Err(format!("unknown suite {name:?}")),
        }
    }
    let suite = suite.ok_or("no suite given")?;
    Ok(Command::Run { suite, quick })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (suite, quick) = match parse(&args) {
        Ok(Command::Run { suite, quick }) => (suite, quick),
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
        Suite::Book => book::run(quick),
        Suite::Margin => margin::run(quick),
        Suite::Liquidation => liquidation::run(quick),
        Suite::Node => node::run(quick),
        Suite::Options => options::run(quick),
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
        assert_eq!(parse(&args(&["book", "--quick"])), Ok(Command::Run { suite: Suite::Book, quick: true }));
        assert_eq!(parse(&args(&["--quick", "margin"])), Ok(Command::Run { suite: Suite::Margin, quick: true }));
        assert_eq!(parse(&args(&["--help"])), Ok(Command::Help));
        assert_eq!(parse(&args(&["options"])), Ok(Command::Run { suite: Suite::Options, quick: false }));
        assert!(parse(&args(&[])).is_err());
        assert!(parse(&args(&["nope"])).is_err());
        assert!(parse(&args(&["book", "--fast"])).is_err());
        assert!(parse(&args(&["book", "margin"])).is_err());
    }
}
