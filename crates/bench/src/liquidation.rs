//! `liquidation` suite: 1,000,000 subaccounts with positions, then BTC falls 20% in one block.
//!
//! Set-up: the `margin` suite's accounts (three positions and two collateral assets each,
//! takers long BTC at 8x-19x), built through real transactions. Then one block in which the
//! publishers report BTC 20% lower. The oracle flags that move as too volatile for adding
//! risk, but the mark follows the index and liquidation acts on it, as risk reduction always
//! may.
//!
//! Timed:
//! - `process_ms`: applying the move block, whose end-of-block hooks aggregate the oracle,
//!   update marks and funding, scan every account and liquidate up to the per-block bound
//!   (`LIQUIDATIONS_PER_BLOCK` here); `accounts_liquidated` says how many it liquidated and
//!   `us_per_liquidation` the cost per liquidated account;
//! - `detect_ms`: the scan that finds every liquidatable account (`State::scan_health`),
//!   timed on the state right after the move block, when the rest still wait their turn;
//! - `drain_blocks` / `drain_ms`: the empty blocks it then takes to liquidate every
//!   remaining account, bounded per block.
//!
//! The books are empty, so every liquidation ends with the backstop taking over, which is
//! the heaviest path.

use std::time::Instant;

use novation_types::Event;

use crate::margin::{build, genesis, start_prices};
use crate::report::{median, Metric};

const SUITE: &str = "liquidation";
/// Liquidations per block in this run's genesis.
const LIQUIDATIONS_PER_BLOCK: u32 = 50_000;

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let accounts = if quick { 10_000 } else { 1_000_000 };
    let mut genesis = genesis()?;
    genesis.liquidation.max_per_block = LIQUIDATIONS_PER_BLOCK;
    let (mut chain, setup_s) = build(genesis, accounts, SUITE)?;
    let [(btc, btc_price), eth, sol] = start_prices()?;
    let crashed =
        btc_price.mul_int(4).and_then(|p| p.div_int(5, novation_math::Rounding::Floor)).map_err(|e| e.to_string())?;

    let reports = chain.price_reports(&[(btc, crashed), eth, sol]);
    let start = Instant::now();
    let outcome = chain.apply_block_all_ok(reports)?;
    let process_ms = start.elapsed().as_secs_f64() * 1e3;
    let liquidated = outcome.end_block_events.iter().filter(|e| matches!(e, Event::LiquidationStarted { .. })).count();

    let mut samples = Vec::new();
    let mut waiting = 0;
    for _ in 0..if quick { 3 } else { 5 } {
        let start = Instant::now();
        let scan = chain.state.scan_health();
        samples.push(start.elapsed().as_secs_f64() * 1e3);
        waiting = scan.below_maintenance.len();
    }
    let detect_ms = median(&samples);
    eprintln!(
        "{SUITE}: move block liquidated {liquidated} in {process_ms:.1} ms; {waiting} more wait (backstop included)"
    );

    let drain_start = Instant::now();
    let mut drain_blocks = 0u64;
    let mut drained = 0usize;
    loop {
        let reports = chain.price_reports(&[(btc, crashed), eth, sol]);
        let outcome = chain.apply_block_all_ok(reports)?;
        let count = outcome.end_block_events.iter().filter(|e| matches!(e, Event::LiquidationStarted { .. })).count();
        drain_blocks += 1;
        drained += count;
        // Only the backstop (which is never liquidated) may remain below maintenance.
        if count == 0 || drain_blocks > 1_000 {
            break;
        }
    }
    let drain_ms = drain_start.elapsed().as_secs_f64() * 1e3;
    let left = chain.state.scan_health().below_maintenance.len();
    eprintln!("{SUITE}: {drained} more liquidated over {drain_blocks} blocks in {drain_ms:.0} ms; {left} left below maintenance (the backstop)");
    chain.state.verify_conservation()?;

    let metric = |metric, value, unit, reps| Metric { suite: SUITE, metric, value, unit, reps, peer: None };
    metric("detect_ms", detect_ms, "ms", Some(samples.len())).emit();
    metric("process_ms", process_ms, "ms", None).emit();
    metric("accounts_liquidated", liquidated as f64, "accounts", None).emit();
    let per = if liquidated > 0 { process_ms * 1e3 / liquidated as f64 } else { 0.0 };
    metric("us_per_liquidation", per, "us", None).emit();
    metric("accounts", accounts as f64, "accounts", None).emit();
    metric("drain_liquidated", drained as f64, "accounts", None).emit();
    metric("drain_blocks", drain_blocks as f64, "blocks", None).emit();
    metric("drain_ms", drain_ms, "ms", None).emit();
    metric("setup_s", setup_s, "s", None).emit();
    Ok(())
}
