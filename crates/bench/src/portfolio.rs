//! The `options` suite's portfolio-margin figures: one portfolio-margined account holding
//! 100 option positions on BTC (5 expiries from 7 to 90 days × 10 strikes from 80,000 to
//! 125,000 × call and put; straddles, long and short by turns across strikes and expiries), built with real transactions
//! against a market maker after the publishers have sent smiles for every expiry.
//!
//! Timed: `us_per_portfolio_margin_100` is `State::health_revalued` — every one of the 100
//! series repriced with Black-76 under all 20 scenarios and both basis moves and the
//! account's requirement computed from scratch; `us_per_portfolio_margin_100_cached` is the same health from the
//! per-block scenario tables (`State::raw_health`), what the chain pays per account check.
//! Both must agree, or the suite fails.

use std::time::Instant;

use novation_math::{Decimal, Rounding, SviParams};
use novation_protocol::params::{Genesis, OptionRight};
use novation_protocol::presets::{BTC, USD};
use novation_types::action;
use novation_types::{
    Action, Address, MarginMode, MarketId, OrderAction, OrderRequest, Side, SubaccountId, Transaction,
};

use crate::chain::{dec, publishers, Chain};
use crate::report::{median, Metric};

const SUITE: &str = "options";
const DAY_MS: u64 = 86_400_000;
const EXPIRY_DAYS: [u64; 5] = [7, 14, 30, 60, 90];
const STRIKES: usize = 10;
const LOTS: u64 = 10;

/// Emits the two portfolio-margin figures.
pub(crate) fn run(quick: bool) -> Result<(), String> {
    let (chain, account) = build()?;
    let (reps, calls) = if quick { (3, 20) } else { (9, 2_000) };
    let cached = chain.state.raw_health(account).ok_or("account has no health")?;
    let fresh = chain.state.health_revalued(account).map_err(|e| e.to_string())?;
    if fresh != cached {
        return Err(format!("revalued health {fresh:?} differs from the cached {cached:?}"));
    }
    if cached.initial_requirement().0 <= 0 {
        return Err("the portfolio has no requirement: set-up is wrong".into());
    }
    eprintln!(
        "options: 100 positions, portfolio initial requirement {} USD",
        Decimal::from_raw(cached.initial_requirement().0)
    );
    let time = |f: &dyn Fn() -> bool| -> Result<f64, String> {
        let mut samples = Vec::with_capacity(reps);
        for _ in 0..reps {
            let start = Instant::now();
            for _ in 0..calls {
                if !f() {
                    return Err("health failed during timing".into());
                }
            }
            samples.push(start.elapsed().as_secs_f64() * 1e6 / calls as f64);
        }
        Ok(median(&samples))
    };
    let full = time(&|| std::hint::black_box(chain.state.health_revalued(account)).is_ok())?;
    let table = time(&|| std::hint::black_box(chain.state.raw_health(account)).is_some())?;
    for (metric, value) in [("us_per_portfolio_margin_100", full), ("us_per_portfolio_margin_100_cached", table)] {
        Metric { suite: SUITE, metric, value, unit: "us", reps: Some(reps), peer: None }.emit();
    }
    Ok(())
}

/// A smile with `vol` at the money, a put skew, over `ms` to expiry.
fn smile(vol: &str, ms: u64) -> Result<SviParams, String> {
    let years = Decimal::from_int(ms as i64).div_int(365 * DAY_MS as i128, Rounding::HalfEven);
    let vol = dec(vol)?;
    let total = vol.mul(vol, Rounding::HalfEven).and_then(|v| v.mul(years?, Rounding::HalfEven));
    let half = total.and_then(|t| t.div_int(2, Rounding::HalfEven)).map_err(|e| format!("{e:?}"))?;
    Ok(SviParams { a: half, b: half, rho: dec("-0.3")?, m: Decimal::ZERO, sigma: dec("0.5")? })
}

fn build() -> Result<(Chain, SubaccountId), String> {
    let publishers = publishers();
    let mut genesis = Genesis::example(&publishers);
    // The first block's time, from which the expiries are counted.
    let start = Chain::new(genesis.clone(), publishers.clone())?.next_time_ms();
    let mut series: Vec<MarketId> = Vec::new();
    for days in EXPIRY_DAYS {
        for strike in 0..STRIKES {
            let strike = Decimal::from_int(80_000 + 5_000 * strike as i64);
            for right in [OptionRight::Call, OptionRight::Put] {
                series.push(genesis.list_option(BTC, start + days * DAY_MS, strike, right));
            }
        }
    }
    genesis.limits.max_positions = 128;
    genesis.limits.max_open_orders = 512;
    let mut chain = Chain::new(genesis, publishers.clone())?;
    let (maker, trader) = (Address::from_index(10), Address::from_index(11));
    let mut nonces = [0u64; 2];
    let mut tx = |who: usize, actions: Vec<Action>| {
        let sender = [maker, trader][who];
        nonces[who] += 1;
        Transaction::new(sender, nonces[who] - 1, actions)
    };
    // Prices, smiles and deposits; the trader opts into portfolio margin.
    let mut first = chain.price_reports(&[(BTC, dec("100000")?)]);
    let time = chain.next_time_ms();
    for report in &mut first {
        for days in EXPIRY_DAYS {
            let expiry_ms = start + days * DAY_MS;
            let svi = smile("0.6", expiry_ms - time)?;
            report.actions.push(Action::VolSurfaceReport(action::VolSurfaceReport {
                asset: BTC,
                expiry_ms,
                svi,
                publish_time_ms: time,
            }));
        }
    }
    first.push(tx(0, vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: dec("1000000000")? })]));
    first.push(tx(1, vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: dec("10000000")? })]));
    first
        .push(tx(1, vec![Action::SetMarginMode(action::SetMarginMode { subaccount: 0, mode: MarginMode::Portfolio })]));
    chain.apply_block_all_ok(first)?;
    // The maker rests one order per series; the trader takes each (long and short in turn).
    let orders: Vec<(MarketId, Side, u64)> = series
        .iter()
        .enumerate()
        .map(|(i, market)| {
            let mark = chain.state.series(*market).and_then(|s| s.mark).ok_or("series has no mark")?;
            let ticks = (mark.round_dp(1, Rounding::HalfEven).map_err(|e| format!("{e:?}"))?.raw()
                / 100_000_000_000_000_000)
                .max(1) as u64;
            Ok((*market, if (i / 2 + i / 20) % 2 == 0 { Side::Buy } else { Side::Sell }, ticks))
        })
        .collect::<Result<_, String>>()?;
    let place = |who_side: fn(Side) -> Side, chunk: &[(MarketId, Side, u64)]| -> Vec<Action> {
        chunk
            .iter()
            .map(|&(market, side, ticks)| {
                Action::Order(OrderAction::Place(OrderRequest::limit(0, market, who_side(side), ticks, LOTS)))
            })
            .collect()
    };
    let mut block = chain.price_reports(&[(BTC, dec("100000")?)]);
    for chunk in orders.chunks(50) {
        block.push(tx(0, place(Side::opposite, chunk)));
    }
    for chunk in orders.chunks(50) {
        block.push(tx(1, place(|s| s, chunk)));
    }
    chain.apply_block_all_ok(block)?;
    let account = SubaccountId::new(trader, 0);
    let held =
        chain.state.subaccount(account).map_or(0, |s| s.positions.iter().filter(|p| !p.size_lots.is_zero()).count());
    if held != 100 {
        return Err(format!("the trader holds {held} positions, not 100"));
    }
    Ok((chain, account))
}
