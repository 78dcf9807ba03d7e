//! `margin` suite: re-checking the margin of every subaccount after an oracle move.
//!
//! Set-up (untimed, logged): a genesis with a third market (SOL-PERP on a new SOL asset,
//! BTC-PERP's parameters with SOL's tick and lot), then accounts built with real
//! transactions, in pairs, `PAIRS_PER_BLOCK` pairs per block. In each pair the maker deposits
//! USD and BTC and rests three GTC orders (sell BTC-PERP, buy ETH-PERP, sell SOL-PERP) in one
//! batch; the taker deposits USD and ETH and takes all three with IOC orders in one batch.
//! Every account thus ends with three positions and two collateral assets. Takers are long
//! BTC with leverage between about 8x and 19x of initial margin (random USD), so a BTC move
//! pushes some of them below maintenance.
//!
//! Timed: after a block in which the publishers report BTC 5% lower (within the oracle's 10%
//! EMA band, so the price stays valid), `State::scan_health()` over all subaccounts; the
//! median of several calls is `recheck_ms`. The move block itself already ran the protocol's
//! end-of-block liquidation (its own scan, then up to `max_per_block` liquidations), so the
//! accounts found below maintenance at the move are `liquidated_in_move_block` plus the
//! `below_maintenance` the timed scan still finds. `recheck_full_ms` times the same check
//! done the full way (`scan_health_full`) as a reference and cross-check.

use std::time::Instant;

use novation_math::Decimal;
use novation_protocol::oracle::PriceValidity;
use novation_protocol::params::Genesis;
use novation_protocol::presets::{BTC, BTC_PERP, ETH, ETH_PERP, USD};
use novation_types::{
    Action, Address, AssetId, Event, MarketId, OrderAction, OrderRequest, Side, SubaccountId, TimeInForce, Transaction,
};

use crate::chain::{dec, publishers, Chain};
use crate::report::{median, Metric};
use novation_sim::Rng;

const SUITE: &str = "margin";
/// The asset and market this suite adds to the example genesis.
const SOL: AssetId = AssetId(3);
const SOL_PERP: MarketId = MarketId(2);
const PAIRS_PER_BLOCK: u64 = 5_000;
/// Repetitions of the (slower) full-way reference scan.
const FULL_REPS: usize = 3;
const SEED: u64 = 0x6D61_7267_696E;
/// Account `i` is `Address::from_index(FIRST_ACCOUNT + i)`.
const FIRST_ACCOUNT: u64 = 1;
/// Prices in ticks: BTC 100,000 (tick 0.1), ETH 4,000 (tick 0.01), SOL 200 (tick 0.01).
const BTC_TICKS: u64 = 1_000_000;
const ETH_TICKS: u64 = 400_000;
const SOL_TICKS: u64 = 20_000;
/// Position sizes per unit of a pair's multiplier: 0.1 BTC, 1 ETH, 20 SOL (about 10,000,
/// 4,000 and 4,000 USD of notional).
const BTC_LOTS: u64 = 1_000;
const ETH_LOTS: u64 = 1_000;
const SOL_LOTS: u64 = 2_000;

struct Sizes {
    accounts: u64,
    reps: usize,
}

impl Sizes {
    fn new(quick: bool) -> Self {
        Sizes { accounts: if quick { 10_000 } else { 1_000_000 }, reps: if quick { 5 } else { 7 } }
    }
}

pub(crate) fn genesis() -> Result<Genesis, String> {
    let mut genesis = Genesis::example(&publishers());
    // The full conservation scan is a test tool; it would dominate set-up at this size.
    genesis.limits.verify_conservation_each_block = false;
    let mut sol = genesis.assets.get(BTC.0 as usize).cloned().ok_or("example genesis has no BTC")?;
    sol.id = SOL;
    sol.symbol = "SOL".into();
    sol.deposit_cap = dec("100000000")?;
    sol.fixed_price = None;
    let mut perp = genesis.markets.get(BTC_PERP.0 as usize).cloned().ok_or("example genesis has no BTC-PERP")?;
    perp.id = SOL_PERP;
    perp.symbol = "SOL-PERP".into();
    perp.base_asset = SOL;
    perp.tick_size = dec("0.01")?;
    perp.lot_size = dec("0.01")?;
    if genesis.assets.len() != SOL.0 as usize || genesis.markets.len() != SOL_PERP.0 as usize {
        return Err("example genesis changed shape: SOL / SOL-PERP ids must be the next".into());
    }
    genesis.assets.push(sol);
    genesis.markets.push(perp);
    Ok(genesis)
}

fn address(account: u64) -> Address {
    Address::from_index(FIRST_ACCOUNT + account)
}

fn place(market: MarketId, side: Side, ticks: u64, lots: u64) -> OrderAction {
    OrderAction::Place(OrderRequest::limit(0, market, side, ticks, lots))
}

fn take(market: MarketId, side: Side, ticks: u64, lots: u64) -> OrderAction {
    OrderAction::Place(
        OrderRequest::limit(0, market, side, ticks, lots).with_time_in_force(TimeInForce::ImmediateOrCancel),
    )
}

fn deposit(asset: AssetId, amount: Decimal) -> Action {
    Action::Deposit(novation_types::action::Deposit { subaccount: 0, asset, amount })
}

/// The two transactions that open pair `pair`'s positions.
fn pair_transactions(pair: u64, rng: &mut Rng) -> [Transaction; 2] {
    let m = rng.range(1, 3);
    // 0.01 BTC and 0.1 ETH per unit of m (Decimal has 18 decimals).
    let btc = Decimal::from_raw(10_000_000_000_000_000 * i128::from(m));
    let eth = Decimal::from_raw(100_000_000_000_000_000 * i128::from(m));
    let maker_usd = Decimal::from_int(1_000 * m as i64);
    let taker_usd = Decimal::from_int((rng.range(600, 2_000) * m) as i64);
    let (btc_lots, eth_lots, sol_lots) = (BTC_LOTS * m, ETH_LOTS * m, SOL_LOTS * m);
    let maker = Transaction {
        agent: None,
        sender: address(2 * pair),
        nonce: 0,
        actions: vec![
            deposit(USD, maker_usd),
            deposit(BTC, btc),
            Action::Batch(vec![
                place(BTC_PERP, Side::Sell, BTC_TICKS, btc_lots),
                place(ETH_PERP, Side::Buy, ETH_TICKS, eth_lots),
                place(SOL_PERP, Side::Sell, SOL_TICKS, sol_lots),
            ]),
        ],
    };
    let taker = Transaction {
        agent: None,
        sender: address(2 * pair + 1),
        nonce: 0,
        actions: vec![
            deposit(USD, taker_usd),
            deposit(ETH, eth),
            Action::Batch(vec![
                take(BTC_PERP, Side::Buy, BTC_TICKS, btc_lots),
                take(ETH_PERP, Side::Sell, ETH_TICKS, eth_lots),
                take(SOL_PERP, Side::Buy, SOL_TICKS, sol_lots),
            ]),
        ],
    };
    [maker, taker]
}

/// A chain from `genesis` with `accounts` subaccounts, each with three positions and two
/// collateral assets, built through real transactions; returns it and the set-up seconds.
pub(crate) fn build(genesis: Genesis, accounts: u64, suite: &str) -> Result<(Chain, f64), String> {
    let started = Instant::now();
    let mut chain = Chain::new(genesis, publishers())?;
    let reports = chain.price_reports(&start_prices()?);
    chain.apply_block_all_ok(reports)?;

    let mut rng = Rng::new(SEED);
    let pairs = accounts / 2;
    let mut pair = 0;
    while pair < pairs {
        let end = (pair + PAIRS_PER_BLOCK).min(pairs);
        let transactions = (pair..end).flat_map(|p| pair_transactions(p, &mut rng)).collect();
        chain.apply_block_all_ok(transactions)?;
        pair = end;
        if pair % (PAIRS_PER_BLOCK * 20) == 0 {
            eprintln!("{suite}: {} accounts after {:.1}s", 2 * pair, started.elapsed().as_secs_f64());
        }
    }
    let setup_s = started.elapsed().as_secs_f64();
    eprintln!(
        "{suite}: set-up: {} accounts through {} blocks of real transactions in {:.1}s",
        2 * pairs,
        chain.state.height(),
        setup_s
    );
    verify_accounts(&chain, 2 * pairs)?;
    Ok((chain, setup_s))
}

/// BTC 100,000, ETH 4,000, SOL 200.
pub(crate) fn start_prices() -> Result<[(AssetId, Decimal); 3], String> {
    Ok([(BTC, dec("100000")?), (ETH, dec("4000")?), (SOL, dec("200")?)])
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let sizes = Sizes::new(quick);
    let (mut chain, setup_s) = build(genesis()?, sizes.accounts, SUITE)?;
    let [_, (_, eth_price), (_, sol_price)] = start_prices()?;
    let before = chain.state.scan_health();
    eprintln!(
        "margin: before the move: {} checked, {} below maintenance",
        before.checked,
        before.below_maintenance.len()
    );

    // The oracle move: BTC -5%, the others re-reported unchanged.
    let moved = dec("95000")?;
    let reports = chain.price_reports(&[(BTC, moved), (ETH, eth_price), (SOL, sol_price)]);
    let outcome = chain.apply_block_all_ok(reports)?;
    // The move block's own end-of-block hook already scans and liquidates up to
    // `max_per_block` subaccounts; the timed scans below find the rest.
    let liquidated = outcome.end_block_events.iter().filter(|e| matches!(e, Event::LiquidationStarted { .. })).count();
    eprintln!("margin: the move block liquidated {liquidated} subaccounts at its end");
    let validity = chain.state.oracle(BTC).map(|o| (o.index, o.validity));
    if validity != Some((Some(moved), PriceValidity::Valid)) {
        return Err(format!("BTC oracle after the move: {validity:?}"));
    }

    let _warmup = chain.state.scan_health();
    let mut samples = Vec::with_capacity(sizes.reps);
    let mut last = None;
    for _ in 0..sizes.reps {
        let start = Instant::now();
        let scan = chain.state.scan_health();
        samples.push(start.elapsed().as_secs_f64() * 1e3);
        last = Some(scan);
    }
    let scan = last.ok_or("no repetitions ran")?;
    let recheck_ms = median(&samples);
    let backstop_below = scan.below_maintenance.contains(&chain.state.backstop_subaccount());
    eprintln!(
        "margin: the timed scan finds {} below maintenance{}",
        scan.below_maintenance.len(),
        if backstop_below { ", including the backstop liquidator that took the liquidated positions over" } else { "" }
    );

    eprintln!("margin: scan_health samples (ms): {samples:.2?}");
    let reps = Some(sizes.reps);
    let metric = |metric, value, unit, reps| Metric { suite: SUITE, metric, value, unit, reps, peer: None };
    metric("recheck_ms", recheck_ms, "ms", reps).emit();
    metric("accounts", scan.checked as f64, "accounts", None).emit();
    let per_account = recheck_ms * 1e6 / scan.checked.max(1) as f64;
    metric("ns_per_account", per_account, "ns", reps).emit();
    let below = scan.below_maintenance.len() as f64;
    metric("below_maintenance", below, "accounts", None).emit();
    metric("liquidated_in_move_block", liquidated as f64, "accounts", None).emit();
    // The same re-check the full way (every subaccount's health from scratch), as a
    // reference for what the compact risk index saves, and a cross-check of its verdicts.
    let mut full_samples = Vec::with_capacity(FULL_REPS);
    let mut full_below = 0;
    for _ in 0..FULL_REPS {
        let start = Instant::now();
        let full = chain.state.scan_health_full();
        full_samples.push(start.elapsed().as_secs_f64() * 1e3);
        full_below = full.below_maintenance.len();
    }
    if full_below != scan.below_maintenance.len() {
        return Err(format!(
            "scan_health found {} below maintenance, scan_health_full {full_below}",
            scan.below_maintenance.len()
        ));
    }
    let full_ms = median(&full_samples);
    metric("recheck_full_ms", full_ms, "ms", Some(FULL_REPS)).emit();
    metric("setup_s", setup_s, "s", None).emit();
    Ok(())
}

/// Every account has three positions and two collateral assets, as the set-up intends.
fn verify_accounts(chain: &Chain, accounts: u64) -> Result<(), String> {
    for account in 0..accounts {
        let id = SubaccountId::new(address(account), 0);
        let sub = chain.state.subaccount(id).ok_or_else(|| format!("account {account} missing"))?;
        if sub.positions.len() != 3 || sub.balances.len() != 2 || sub.open_orders != 0 {
            return Err(format!(
                "account {account}: {} positions, {} balances, {} open orders",
                sub.positions.len(),
                sub.balances.len(),
                sub.open_orders
            ));
        }
    }
    Ok(())
}
