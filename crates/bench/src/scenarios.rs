//! The `scenarios` suite: every adversarial scenario of `novation-sim` (oracle pump, wash
//! trades, self-liquidation into the backstop, collateral crashes, a depeg report, a crash
//! without bids, a pump into an empty book, a liquidation into the attacker's own offer, an
//! oracle outage, a gap through bankruptcy), each outcome printed as JSON lines — one per
//! metric, with the scenario's name — and every broken invariant on stderr. The invariants
//! themselves are asserted by `cargo test -p novation-sim --test scenarios`; this suite
//! reports the figures (`--quick`: the short paths the tests run).

use std::io::Write;

use novation_math::Decimal;
use novation_sim::scenarios::{Outcome, Scale, ALL};

use crate::report::{json_number, json_string};

const SUITE: &str = "scenarios";

/// A decimal as a float, for printing only.
fn float(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}

fn line(scenario: &str, metric: &str, value: f64, unit: &str) -> String {
    format!(
        "{{\"suite\":{},\"metric\":{},\"scenario\":{},\"value\":{},\"unit\":{}}}",
        json_string(SUITE),
        json_string(metric),
        json_string(scenario),
        json_number(value),
        json_string(unit)
    )
}

/// The JSON lines of one outcome.
fn lines(outcome: &Outcome) -> Vec<String> {
    let name = outcome.scenario;
    let flag = |ok: bool| if ok { 1.0 } else { 0.0 };
    vec![
        line(name, "attacker_pnl", float(outcome.attacker_pnl), "USD"),
        line(name, "insurance_drawdown", float(outcome.insurance_drawdown), "USD"),
        line(name, "bad_debt", float(outcome.bad_debt), "USD"),
        line(name, "uncovered_loss", float(outcome.uncovered_loss_max), "USD"),
        line(name, "min_reserves", float(outcome.min_reserves), "USD"),
        line(name, "conservation_ok", flag(outcome.conservation_ok), "bool"),
        line(name, "flat_accounts_paid", outcome.flat_accounts_paid as f64, "times"),
        line(name, "market_maker_pnl", float(outcome.market_maker_pnl), "USD"),
        line(name, "backstop_equity", float(outcome.backstop_equity), "USD"),
        line(name, "failures", outcome.failures().len() as f64, "invariants"),
        line(name, "blocks", outcome.blocks as f64, "blocks"),
    ]
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let scale = if quick { Scale::Small } else { Scale::Full };
    for (name, play) in ALL {
        eprintln!("scenarios: {name}");
        let outcome = play(scale);
        for failure in outcome.failures() {
            eprintln!("scenarios: {name}: BROKEN {failure}");
        }
        for violation in &outcome.violations {
            eprintln!("scenarios: {name}: {violation}");
        }
        let mut out = std::io::stdout().lock();
        for text in lines(&outcome) {
            // A closed stdout (e.g. piped into `head`) is not worth a panic.
            let _ = writeln!(out, "{text}");
        }
        let _ = out.flush();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_metric_line_names_its_suite_scenario_and_unit() {
        let text = line("oracle_pump", "attacker_pnl", -12.5, "USD");
        assert_eq!(
            text,
            "{\"suite\":\"scenarios\",\"metric\":\"attacker_pnl\",\"scenario\":\"oracle_pump\",\"value\":-12.5,\"unit\":\"USD\"}"
        );
        assert_eq!(float("-1234.5".parse().unwrap_or_default()), -1234.5);
    }
}
