//! `consensus` suite: orders per second and finality of a four-validator chain on Malachite
//! BFT, against the solo chain on the same load in the same run.
//!
//! The network: four validators in this process on loopback (`init_testnet` in a temporary
//! directory on free ports, each validator with its own stores, API, p2p port and relay),
//! block time [`BLOCK_TIME_MS`], every validator checking and executing every block on this
//! machine's cores. Prices come only from the validators' vote extensions; the load starts
//! once the BTC index is valid on every validator.
//!
//! The load (signed in advance, untimed): each signer deposits USD first (untimed, until
//! committed everywhere), then sends transactions of 50 resting BTC-PERP limit orders around
//! the BTC index, never crossing, nonce after nonce. Each signer sends all its transactions
//! to one validator, signers spread evenly over the four, through `Node::submit` (signature
//! check, admission, and the relay to the other three over their APIs). One thread submits.
//!
//! Both chains run with the genesis's per-block invariant re-check off (set
//! `NOVATION_BENCH_INVARIANTS_EACH_BLOCK` to keep it): it walks every resting order and
//! subaccount in every block, so with it on the figures fall as the run leaves orders behind.
//!
//! Figures:
//! - `orders_per_sec_batched` (median of the repetitions): the load offered as fast as the
//!   submitting thread goes; orders / time from the first submission until every validator
//!   has committed the last of them. `blocks_per_sec`: heights the first validator committed
//!   in that time.
//! - `finality_ms_p50`, `finality_ms_p99`: per transaction, from just before `Node::submit`
//!   until the block including it is committed on the validator it was sent to (seen as the
//!   signer's nonce moving past it, polled every 2 ms), with the load offered at a steady
//!   rate (`finality_offered_orders_per_sec`): the target 50,000 orders/s, or 80% of the
//!   measured capacity if that is lower, since a chain fed faster than it commits measures
//!   only its queue. `finality_ms_p50_light` / `_p99_light`: the same for a trickle of 10
//!   transactions a second: the latency floor.
//! - `cpu_us_per_order_batched` (median): CPU time the process spent during a repetition, on
//!   every core and thread (all four validators and the submitting thread), per order: what
//!   an order costs the machine, steadier than a rate on a shared machine; the rate this
//!   machine's cores could carry is their count over it. `solo_cpu_us_per_order_batched`:
//!   the same for the solo chain.
//! - `storage_bytes_per_order_batched` (median): bytes the process sent to storage during a
//!   repetition (Linux's `write_bytes` in `/proc/self/io`: the three databases and WAL of
//!   every validator), per order; `solo_storage_bytes_per_order_batched` the same for the
//!   solo chain. Unlike a rate it does not move with the machine's load.
//! - `solo_orders_per_sec_batched`: the same load, as fast as possible, through one
//!   `novation_node::Node` with a validator's block limits and mempool, a block every
//!   [`BLOCK_TIME_MS`] by `produce_block_now` (prices reported by transaction each block);
//!   `ratio_vs_solo` is consensus / solo.
//! - Targets and published anchors as `peer` lines: 50,000 orders/s batched, finality p50
//!   ≤ 1,000 ms and p99 ≤ 2,000 ms; Malachite's published 780 ms finalization at 100
//!   validators; Hyperliquid's ~100,000 orders/s and 0.2 s median latency.
//!
//! After each run the suite checks that all validators have the same block hash at their
//! highest common height and that every order of the load rests on every validator's book
//! (and on the solo chain's); it fails otherwise.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use novation_consensus::network::{free_base_port, init_testnet, load_home, TESTNET_CHAIN_ID};
use novation_consensus::{start_validator, RunningValidator};
use novation_node::{ChainConfig, MempoolLimits, Node, NodeError};
use novation_protocol::oracle::PriceValidity;
use novation_protocol::presets::BTC;
use novation_tx::{Eip712Signer, SignedTransaction};
use novation_types::{Address, SubaccountId};

use crate::load::{self, BATCH};
use crate::report::{median, Metric};

const SUITE: &str = "consensus";
const VALIDATORS: usize = 4;
const CHAIN_ID: u64 = TESTNET_CHAIN_ID;

/// Least time between blocks, on the validators and the solo chain (ms).
pub(crate) const BLOCK_TIME_MS: u64 = 100;

/// The offered load, and the throughput target (orders/s).
const TARGET_ORDERS_PER_SEC: f64 = 50_000.0;
const TARGET_P50_MS: f64 = 1_000.0;
const TARGET_P99_MS: f64 = 2_000.0;

/// The paced phase's offered rate as a share of the measured capacity, when that is below
/// the target.
const PACED_SHARE_OF_CAPACITY: f64 = 0.8;

/// Rate of the light-load trickle (transactions/s).
const LIGHT_TX_PER_SEC: f64 = 10.0;

/// Set (to anything) to keep the genesis's per-block invariant re-check on both chains.
const INVARIANTS_ENV: &str = "NOVATION_BENCH_INVARIANTS_EACH_BLOCK";

/// Whether blocks re-check every invariant (`Limits::verify_conservation_each_block`), off
/// unless [`INVARIANTS_ENV`] is set: it walks every resting order and subaccount each block,
/// so with it the figures measure how much state the run has left behind.
fn invariants_each_block() -> bool {
    std::env::var_os(INVARIANTS_ENV).is_some()
}

/// How long any wait may take before the suite gives up.
const PATIENCE: Duration = Duration::from_secs(180);

struct Sizes {
    /// Signers per repetition.
    signers: usize,
    /// Batched transactions per signer (at most 10: 512 open orders per subaccount).
    txs_per_signer: u64,
    reps: usize,
    /// Signers of the paced phase that measures finality under load.
    paced_signers: usize,
    /// Transactions of the light-load trickle.
    light_txs: usize,
}

/// The signers of each phase (funded up front, each signer in one phase only).
struct Keys {
    reps: Vec<Vec<Eip712Signer>>,
    paced: Vec<Eip712Signer>,
    light: Vec<Eip712Signer>,
}

impl Keys {
    fn new(sizes: &Sizes) -> Keys {
        Keys {
            reps: (0..sizes.reps).map(|rep| load::signers(&format!("bench-consensus-{rep}"), sizes.signers)).collect(),
            paced: load::signers("bench-consensus-paced", sizes.paced_signers),
            light: load::signers("bench-consensus-light", sizes.light_txs),
        }
    }

    fn all(&self) -> Vec<Eip712Signer> {
        self.reps.iter().flatten().chain(&self.paced).chain(&self.light).cloned().collect()
    }
}

/// One transaction of a load: where it goes, whose and which nonce.
struct LoadTx {
    node: usize,
    signer: Address,
    nonce: u64,
    envelope: SignedTransaction,
}

/// What driving a load measured.
struct Outcome {
    /// First submission → last transaction committed on every watched node.
    seconds: f64,
    /// Heights node 0 committed meanwhile.
    blocks: u64,
    /// Per transaction: submission → committed on its own node.
    finality_ms: Vec<f64>,
    /// CPU time this process spent meanwhile, on every core (s), if the system reports it.
    cpu_seconds: Option<f64>,
    /// Bytes this process sent to storage meanwhile, if the system reports it.
    storage_bytes: Option<f64>,
}

/// CPU time this process has used so far, user and system, on all its threads (s): Linux's
/// `/proc/self/stat`, in its fixed 100 ticks per second.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) closed by the last ')'.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    let (user, system): (u64, u64) = (fields.get(11)?.parse().ok()?, fields.get(12)?.parse().ok()?);
    Some((user + system) as f64 / 100.0)
}

/// Bytes this process has caused to be sent to storage so far: Linux's `write_bytes` in
/// `/proc/self/io`.
fn process_storage_bytes() -> Option<f64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find_map(|line| line.strip_prefix("write_bytes:"))?;
    line.trim().parse::<u64>().ok().map(|bytes| bytes as f64)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn submit_with_retry(node: &Node, envelope: SignedTransaction) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match node.submit(envelope.clone()) {
            Ok(_) => return Ok(()),
            // A full pool is back-pressure: the client waits and sends again.
            Err(NodeError::MempoolFull { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(error) => return Err(format!("submit: {error}")),
        }
    }
}

/// Submits `txs` (at `tx_per_sec`, or as fast as possible) from a thread and watches `nodes`
/// until every transaction is committed on every one of them.
async fn drive(nodes: &[Node], txs: Vec<LoadTx>, tx_per_sec: Option<f64>) -> Result<Outcome, String> {
    let count = txs.len();
    // Per node, per signer: (transaction, nonce) of what was sent there, in nonce order.
    let mut pending: Vec<HashMap<Address, VecDeque<(usize, u64)>>> = vec![HashMap::new(); nodes.len()];
    let mut final_nonce: HashMap<Address, u64> = HashMap::new();
    for (k, tx) in txs.iter().enumerate() {
        pending[tx.node].entry(tx.signer).or_default().push_back((k, tx.nonce));
        let last = final_nonce.entry(tx.signer).or_default();
        *last = (*last).max(tx.nonce + 1);
    }
    let submitted: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let failed = Arc::new(std::sync::Mutex::new(None::<String>));
    let start_height = nodes[0].height();
    let cpu_before = process_cpu_seconds();
    let storage_before = process_storage_bytes();
    let started = Instant::now();
    let submitter = {
        let (nodes, submitted, failed) = (nodes.to_vec(), submitted.clone(), failed.clone());
        std::thread::spawn(move || {
            for (k, tx) in txs.into_iter().enumerate() {
                if let Some(rate) = tx_per_sec {
                    let due = started + Duration::from_secs_f64(k as f64 / rate);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
                submitted[k].store(started.elapsed().as_nanos() as u64, Ordering::Release);
                if let Err(why) = submit_with_retry(&nodes[tx.node], tx.envelope) {
                    *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                    return;
                }
            }
        })
    };
    let mut finality_ms = Vec::with_capacity(count);
    let mut seen_height = vec![u64::MAX; nodes.len()];
    let mut done_at: Vec<Option<Duration>> = vec![None; nodes.len()];
    while done_at.iter().any(Option::is_none) {
        if let Some(why) = failed.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Err(why);
        }
        if started.elapsed() > PATIENCE {
            let heights: Vec<u64> = nodes.iter().map(Node::height).collect();
            return Err(format!("the load was not committed within {PATIENCE:?} (heights {heights:?})"));
        }
        for (n, node) in nodes.iter().enumerate() {
            let height = node.height();
            if height == seen_height[n] {
                continue;
            }
            seen_height[n] = height;
            let now_ns = started.elapsed().as_nanos() as u64;
            let all_done = node.with_state(|state| {
                for (signer, queue) in pending[n].iter_mut() {
                    let nonce = state.nonce(*signer);
                    while let Some(&(k, _)) = queue.front().filter(|(_, tx_nonce)| *tx_nonce < nonce) {
                        queue.pop_front();
                        let sent_ns = submitted[k].load(Ordering::Acquire);
                        finality_ms.push(now_ns.saturating_sub(sent_ns) as f64 / 1e6);
                    }
                }
                final_nonce.iter().all(|(signer, last)| state.nonce(*signer) >= *last)
            });
            if all_done && done_at[n].is_none() {
                done_at[n] = Some(started.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let end_height = nodes[0].height();
    let cpu_seconds = process_cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);
    let storage_bytes = process_storage_bytes().zip(storage_before).map(|(after, before)| after - before);
    let _ = tokio::task::spawn_blocking(move || submitter.join()).await;
    if finality_ms.len() != count {
        return Err(format!("{} of {count} transactions seen committed on their node", finality_ms.len()));
    }
    let seconds = done_at.iter().flatten().max().copied().unwrap_or_default().as_secs_f64();
    finality_ms.sort_by(f64::total_cmp);
    Ok(Outcome { seconds, blocks: end_height - start_height, finality_ms, cpu_seconds, storage_bytes })
}

/// Signer `i` of `keys` sends to node `i % nodes`.
fn spread(
    keys: &[Eip712Signer],
    nodes: usize,
    make: impl Fn(usize, &Eip712Signer) -> (u64, SignedTransaction),
) -> Vec<LoadTx> {
    keys.iter()
        .enumerate()
        .map(|(i, key)| {
            let (nonce, envelope) = make(i, key);
            LoadTx { node: i % nodes, signer: key.address(), nonce, envelope }
        })
        .collect()
}

/// The batched load of one repetition: `txs_per_signer` rounds, each one transaction per
/// signer (nonces 1, 2, …), spread over `nodes`.
fn batched_load(keys: &[Eip712Signer], nodes: usize, txs_per_signer: u64, mid_ticks: u64) -> Vec<LoadTx> {
    (1..=txs_per_signer)
        .flat_map(|nonce| {
            spread(keys, nodes, |i, key| {
                (nonce, load::batched(CHAIN_ID, key, i, nonce, (nonce - 1) * BATCH, mid_ticks))
            })
        })
        .collect()
}

fn deposits(keys: &[Eip712Signer], nodes: usize) -> Vec<LoadTx> {
    spread(keys, nodes, |_, key| (0, load::sign(CHAIN_ID, key, 0, vec![load::deposit()])))
}

/// Every order of the load rests on `node`'s book: each signer's subaccount 0 holds
/// `orders_per_signer` open orders.
fn check_all_rest(node: &Node, keys: &[Eip712Signer], orders_per_signer: u64, what: &str) -> Result<(), String> {
    node.with_state(|state| {
        for key in keys {
            let open = state.account(SubaccountId::new(key.address(), 0)).open_orders;
            if u64::from(open) != orders_per_signer {
                return Err(format!("{what}: {} has {open} open orders, expected {orders_per_signer}", key.address()));
            }
        }
        Ok(())
    })
}

fn btc_index_valid(node: &Node) -> Option<novation_math::Decimal> {
    node.with_state(|s| s.oracle(BTC).filter(|o| o.validity == PriceValidity::Valid).and_then(|o| o.index))
}

async fn wait_until(what: &str, mut check: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + PATIENCE;
    while !check() {
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {PATIENCE:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// The same block hash on every node at their highest common height; returns that height.
fn check_one_chain(nodes: &[Node]) -> Result<u64, String> {
    let top = nodes.iter().map(Node::height).min().unwrap_or(0);
    let hashes = nodes
        .iter()
        .map(|n| n.header_at(top).map_err(|e| e.to_string())?.map(|h| h.hash()).ok_or(format!("no header {top}")))
        .collect::<Result<Vec<_>, String>>()?;
    if hashes.iter().any(|h| *h != hashes[0]) {
        return Err(format!("the validators' blocks at height {top} differ"));
    }
    Ok(top)
}

/// What one repetition measured.
#[derive(Clone, Copy, Debug)]
struct RepFigures {
    orders_per_sec: f64,
    blocks_per_sec: f64,
    finality_p50_ms: f64,
    finality_p99_ms: f64,
    cpu_us_per_order: f64,
    storage_bytes_per_order: f64,
}

fn figures(outcome: &Outcome, orders: u64) -> RepFigures {
    RepFigures {
        orders_per_sec: orders as f64 / outcome.seconds,
        blocks_per_sec: outcome.blocks as f64 / outcome.seconds,
        finality_p50_ms: percentile(&outcome.finality_ms, 0.5),
        finality_p99_ms: percentile(&outcome.finality_ms, 0.99),
        cpu_us_per_order: outcome.cpu_seconds.map_or(f64::NAN, |cpu| cpu * 1e6 / orders as f64),
        storage_bytes_per_order: outcome.storage_bytes.map_or(f64::NAN, |bytes| bytes / orders as f64),
    }
}

fn log_rep(what: &str, rep: usize, orders: u64, outcome: &Outcome) {
    let RepFigures {
        orders_per_sec: rate,
        blocks_per_sec: blocks,
        finality_p50_ms: p50,
        finality_p99_ms: p99,
        cpu_us_per_order: cpu,
        storage_bytes_per_order: storage,
    } = figures(outcome, orders);
    eprintln!(
        "consensus: {what} rep {}: {orders} orders in {:.2} s = {rate:.0} orders/s, {} blocks ({blocks:.1}/s), finality p50 {p50:.0} ms p99 {p99:.0} ms, {cpu:.1} CPU µs and {storage:.0} storage bytes per order",
        rep + 1,
        outcome.seconds,
        outcome.blocks
    );
}

/// What the network part measured.
struct NetworkFigures {
    reps: Vec<RepFigures>,
    /// The offered rate of the paced phase (orders/s) and what it measured.
    paced_rate: f64,
    paced: Outcome,
    light: Outcome,
    mid_ticks: u64,
}

async fn run_network(dir: &std::path::Path, sizes: &Sizes, keys: &Keys) -> Result<NetworkFigures, String> {
    let base = free_base_port(VALIDATORS as u16 + 2);
    let layout = init_testnet(dir, VALIDATORS, base, BLOCK_TIME_MS).map_err(|e| e.to_string())?;
    let mut running: Vec<RunningValidator> = Vec::new();
    for home in &layout.homes {
        let mut config = load_home(home).map_err(|e| e.to_string())?;
        config.block_time_ms = BLOCK_TIME_MS;
        config.genesis.limits.verify_conservation_each_block = invariants_each_block();
        running.push(start_validator(config).await.map_err(|e| e.to_string())?);
    }
    let nodes: Vec<Node> = running.iter().map(|v| v.node.clone()).collect();
    let result = measure_network(&nodes, sizes, keys).await;
    // Stopping waits until nothing else holds a validator's node.
    drop(nodes);
    for validator in running {
        drop(validator.stop().await);
    }
    result
}

async fn measure_network(nodes: &[Node], sizes: &Sizes, keys: &Keys) -> Result<NetworkFigures, String> {
    let started = Instant::now();
    wait_until("a valid BTC index on every validator", || nodes.iter().all(|n| btc_index_valid(n).is_some())).await?;
    let index = btc_index_valid(&nodes[0]).ok_or("no BTC index")?;
    let mid_ticks = u64::try_from(index.raw() / 100_000_000_000_000_000).map_err(|e| e.to_string())?;
    eprintln!(
        "consensus: BTC index {index} valid at height {} after {:.1} s; funding {} signers",
        nodes[0].height(),
        started.elapsed().as_secs_f64(),
        keys.all().len()
    );
    drive(nodes, deposits(&keys.all(), nodes.len()), None).await?;
    let orders_per_signer = sizes.txs_per_signer * BATCH;
    let mut reps = Vec::new();
    for (rep, rep_keys) in keys.reps.iter().enumerate() {
        let txs = batched_load(rep_keys, nodes.len(), sizes.txs_per_signer, mid_ticks);
        let orders = txs.len() as u64 * BATCH;
        if rep == 0 {
            let bytes: usize = txs.iter().map(|t| t.envelope.payload.len()).sum();
            eprintln!(
                "consensus: {} transactions of {BATCH} orders, {} payload bytes each on average; invariants re-checked each block: {}",
                txs.len(),
                bytes / txs.len().max(1),
                invariants_each_block()
            );
        }
        let outcome = drive(nodes, txs, None).await?;
        log_rep("4 validators, as fast as possible,", rep, orders, &outcome);
        reps.push(figures(&outcome, orders));
        for node in nodes {
            check_all_rest(node, rep_keys, orders_per_signer, "a validator")?;
        }
    }
    // Finality under load: offered at the target rate, or at 80% of the measured capacity
    // if that is lower (a chain fed faster than it commits only measures its queue).
    let capacity = median(&reps.iter().map(|r| r.orders_per_sec).collect::<Vec<_>>());
    let paced_rate = TARGET_ORDERS_PER_SEC.min(capacity * PACED_SHARE_OF_CAPACITY);
    let txs = batched_load(&keys.paced, nodes.len(), sizes.txs_per_signer, mid_ticks);
    let orders = txs.len() as u64 * BATCH;
    let paced = drive(nodes, txs, Some(paced_rate / BATCH as f64)).await?;
    log_rep(&format!("4 validators, offered {paced_rate:.0} orders/s,"), 0, orders, &paced);
    let trickle = spread(&keys.light, nodes.len(), |i, key| (1, load::batched(CHAIN_ID, key, i, 1, 0, mid_ticks)));
    let light = drive(nodes, trickle, Some(LIGHT_TX_PER_SEC)).await?;
    log_rep(
        &format!("4 validators, {LIGHT_TX_PER_SEC} transactions/s,"),
        0,
        light.finality_ms.len() as u64 * BATCH,
        &light,
    );
    for node in nodes {
        check_all_rest(node, &keys.paced, orders_per_signer, "a validator")?;
        check_all_rest(node, &keys.light, BATCH, "a validator")?;
    }
    let top = check_one_chain(nodes)?;
    eprintln!("consensus: the 4 validators agree on block {top}; every order rests on each one's book");
    Ok(NetworkFigures { reps, paced_rate, paced, light, mid_ticks })
}

/// The solo chain: one node, the validators' block limits and mempool, a block every
/// [`BLOCK_TIME_MS`] with fresh price reports.
async fn run_solo(
    dir: &std::path::Path,
    sizes: &Sizes,
    keys: &Keys,
    mid_ticks: u64,
) -> Result<Vec<RepFigures>, String> {
    let publishers = load::publishers();
    let addresses: Vec<Address> = publishers.iter().map(Eip712Signer::address).collect();
    let mut genesis = novation_node::devnet_genesis(&addresses);
    genesis.limits.verify_conservation_each_block = invariants_each_block();
    let node = Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis,
        chain_id: CHAIN_ID,
        mempool: MempoolLimits::default(),
        max_block_txs: 20_000,
        max_block_bytes: novation_node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
    })
    .map_err(|e| e.to_string())?;
    let btc_usd = i64::try_from(mid_ticks / load::BTC_TICKS_PER_USD).map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (node, stop) = (node.clone(), stop.clone());
        std::thread::spawn(move || -> Result<(), String> {
            let mut round = 0u64;
            while !stop.load(Ordering::Acquire) {
                let tick = Instant::now();
                load::report_prices(&node, CHAIN_ID, &publishers, round, btc_usd, novation_node::now_ms())?;
                round += 1;
                node.produce_block_now().map_err(|e| e.to_string())?;
                std::thread::sleep(Duration::from_millis(BLOCK_TIME_MS).saturating_sub(tick.elapsed()));
            }
            Ok(())
        })
    };
    let result = async {
        let everyone: Vec<Eip712Signer> = keys.reps.iter().flatten().cloned().collect();
        wait_until("a valid BTC index on the solo chain", || btc_index_valid(&node).is_some()).await?;
        drive(std::slice::from_ref(&node), deposits(&everyone, 1), None).await?;
        let mut rates = Vec::new();
        for (rep, rep_keys) in keys.reps.iter().enumerate() {
            let txs = batched_load(rep_keys, 1, sizes.txs_per_signer, mid_ticks);
            let orders = txs.len() as u64 * BATCH;
            let outcome = drive(std::slice::from_ref(&node), txs, None).await?;
            log_rep("solo, as fast as possible,", rep, orders, &outcome);
            rates.push(figures(&outcome, orders));
            check_all_rest(&node, rep_keys, sizes.txs_per_signer * BATCH, "the solo chain")?;
        }
        Ok::<_, String>(rates)
    }
    .await;
    stop.store(true, Ordering::Release);
    let produced = tokio::task::spawn_blocking(move || producer.join()).await.map_err(|e| e.to_string())?;
    produced.map_err(|_| "the solo producer panicked".to_string())??;
    result
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let sizes = if quick {
        Sizes { signers: 100, txs_per_signer: 4, reps: 1, paced_signers: 100, light_txs: 10 }
    } else {
        Sizes { signers: 500, txs_per_signer: 10, reps: 3, paced_signers: 200, light_txs: 50 }
    };
    let keys = Keys::new(&sizes);
    let dir = std::env::temp_dir().join(format!("novation-bench-consensus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(async {
        let network = run_network(&dir.join("network"), &sizes, &keys).await?;
        let solo = run_solo(&dir.join("solo"), &sizes, &keys, network.mid_ticks).await?;
        Ok::<_, String>((network, solo))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let (network, solo) = result?;
    emit(&sizes, &network, &solo);
    Ok(())
}

fn emit(sizes: &Sizes, network: &NetworkFigures, solo: &[RepFigures]) {
    let reps = Some(sizes.reps);
    let pick = |f: fn(&RepFigures) -> f64| median(&network.reps.iter().map(f).collect::<Vec<_>>());
    let (rate, blocks) = (pick(|r| r.orders_per_sec), pick(|r| r.blocks_per_sec));
    let (cpu, storage) = (pick(|r| r.cpu_us_per_order), pick(|r| r.storage_bytes_per_order));
    let solo_pick = |f: fn(&RepFigures) -> f64| median(&solo.iter().map(f).collect::<Vec<_>>());
    let solo_rate = solo_pick(|r| r.orders_per_sec);
    let (solo_cpu, solo_storage) = (solo_pick(|r| r.cpu_us_per_order), solo_pick(|r| r.storage_bytes_per_order));
    let metric = |metric, value, unit| Metric { suite: SUITE, metric, value, unit, reps, peer: None };
    let once = |metric, value, unit| Metric { suite: SUITE, metric, value, unit, reps: Some(1), peer: None };
    let peer = |metric, value, unit, peer| Metric { suite: SUITE, metric, value, unit, reps: None, peer: Some(peer) };
    metric("orders_per_sec_batched", rate, "orders/s").emit();
    metric("blocks_per_sec", blocks, "blocks/s").emit();
    let (paced, light) = (&network.paced.finality_ms, &network.light.finality_ms);
    once("finality_offered_orders_per_sec", network.paced_rate, "orders/s").emit();
    once("finality_ms_p50", percentile(paced, 0.5), "ms").emit();
    once("finality_ms_p99", percentile(paced, 0.99), "ms").emit();
    once("finality_ms_p50_light", percentile(light, 0.5), "ms").emit();
    once("finality_ms_p99_light", percentile(light, 0.99), "ms").emit();
    metric("cpu_us_per_order_batched", cpu, "us").emit();
    metric("solo_orders_per_sec_batched", solo_rate, "orders/s").emit();
    metric("solo_cpu_us_per_order_batched", solo_cpu, "us").emit();
    metric("storage_bytes_per_order_batched", storage, "bytes").emit();
    metric("solo_storage_bytes_per_order_batched", solo_storage, "bytes").emit();
    metric("ratio_vs_solo", rate / solo_rate, "x").emit();
    peer("target_orders_per_sec_batched", TARGET_ORDERS_PER_SEC, "orders/s", "target").emit();
    metric("ratio_vs_target", rate / TARGET_ORDERS_PER_SEC, "x").emit();
    peer("target_finality_ms_p50", TARGET_P50_MS, "ms", "target").emit();
    peer("target_finality_ms_p99", TARGET_P99_MS, "ms", "target").emit();
    peer("peer_finality_ms", 780.0, "ms", "malachite (published: finalization at 100 validators)").emit();
    peer("peer_orders_per_sec", 100_000.0, "orders/s", "hyperliquid (published, approximate)").emit();
    peer("peer_latency_ms_p50", 200.0, "ms", "hyperliquid (published median, approximate)").emit();
}
