//! `node` suite: orders per second through the whole node pipeline — signature check and
//! admission (`Node::submit`), then sequencing, execution and the durable commit with a new
//! state root (`Node::produce_block_now`) — once with one order per transaction and once with
//! batches of 50 orders per transaction. In the same run, the raw signature-verification rate
//! of this machine (EIP-712 secp256k1 recovery, one core) is measured as the ceiling that
//! single-order transactions cannot beat.
//!
//! `restart_ms`: the time to reopen a chain of funded subaccounts (1,000,000; 2,000 with
//! `--quick`) from its newest state snapshot until it is ready to serve.
//!
//! Orders are resting limit orders on BTC-PERP placed around the mark without crossing, from
//! funded signers, each transaction signed in advance (untimed) as a client would.

use std::time::Instant;

use novation_node::{devnet_genesis, ChainConfig, MempoolLimits, Node};
use novation_tx::{Eip712Signer, SignedTransaction, TxPayload};
use novation_types::Action;

use crate::load::{self, BATCH};
use crate::report::{median, Metric};

const SUITE: &str = "node";
const CHAIN_ID: u64 = 31_337;
/// The mid of the load's orders: the price the publishers report, in ticks.
const MID_TICKS: u64 = 60_000 * load::BTC_TICKS_PER_USD;

struct Sizes {
    signers: usize,
    single_per_signer: u64,
    reps: usize,
    /// Funded subaccounts of the chain restarted for `restart_ms`.
    restart_accounts: usize,
}

/// Time to reopen a chain of `accounts` funded subaccounts, from `Node::open` to a node ready
/// to serve (its state snapshot read and decoded, commitment recomputed and checked against
/// the stored root, the log after it replayed), in ms.
fn restart_ms(dir: &std::path::Path, accounts: usize) -> Result<f64, String> {
    let (node, _) = funded_node(dir, accounts)?;
    let height = node.height();
    let writing = Instant::now();
    node.write_snapshot().map_err(|e| e.to_string())?;
    eprintln!("node: state snapshot at height {height} written in {:.0} ms", writing.elapsed().as_secs_f64() * 1_000.0);
    drop(node);
    let started = Instant::now();
    let node = Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis: devnet_genesis(&[]),
        chain_id: CHAIN_ID,
        mempool: MempoolLimits::default(),
        max_block_txs: 20_000,
        max_block_bytes: novation_node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
    })
    .map_err(|e| e.to_string())?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0;
    if node.height() != height {
        return Err(format!("restarted at height {}, expected {height}", node.height()));
    }
    Ok(elapsed_ms)
}

fn sign(key: &Eip712Signer, nonce: u64, actions: Vec<Action>) -> SignedTransaction {
    load::sign(CHAIN_ID, key, nonce, actions)
}

/// A node with prices set and `signers` funded accounts; returns it and its signers.
fn funded_node(dir: &std::path::Path, signers: usize) -> Result<(Node, Vec<Eip712Signer>), String> {
    let _ = std::fs::remove_dir_all(dir);
    let publishers = load::publishers();
    let addresses: Vec<_> = publishers.iter().map(Eip712Signer::address).collect();
    let node = Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis: devnet_genesis(&addresses),
        chain_id: CHAIN_ID,
        mempool: MempoolLimits {
            max_total: 4_000_000,
            max_total_bytes: usize::MAX / 2,
            nonce_window: 1_000_000,
            ..MempoolLimits::default()
        },
        max_block_txs: 1_000_000,
        max_block_bytes: usize::MAX,
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
    })
    .map_err(|e| e.to_string())?;
    for round in 0..3u64 {
        let time_ms = novation_node::now_ms();
        load::report_prices(&node, CHAIN_ID, &publishers, round, 60_000, time_ms)?;
        node.produce_block_at(time_ms).map_err(|e| e.to_string())?;
    }
    let keys = load::signers("bench-node", signers);
    for key in &keys {
        node.submit(sign(key, 0, vec![load::deposit()])).map_err(|e| e.to_string())?;
    }
    node.produce_block_now().map_err(|e| e.to_string())?;
    Ok((node, keys))
}

/// Submits `envelopes` and produces one block; returns orders per second end to end.
fn run_block(node: &Node, envelopes: Vec<SignedTransaction>, orders: u64) -> Result<f64, String> {
    let started = Instant::now();
    for envelope in envelopes {
        node.submit(envelope).map_err(|e| e.to_string())?;
    }
    let block = node.produce_block_now().map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if block.tx_count == 0 {
        return Err("the block carried no transactions".into());
    }
    Ok(orders as f64 / seconds)
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let sizes = if quick {
        Sizes { signers: 100, single_per_signer: 10, reps: 2, restart_accounts: 2_000 }
    } else {
        Sizes { signers: 2_000, single_per_signer: 10, reps: 3, restart_accounts: 1_000_000 }
    };
    let dir = std::env::temp_dir().join(format!("novation-bench-node-{}", std::process::id()));
    let mut batched = Vec::new();
    let mut single = Vec::new();
    let mut ceiling = Vec::new();
    for rep in 0..sizes.reps {
        let (node, keys) = funded_node(&dir, sizes.signers)?;
        // Batches: one transaction of 50 orders per signer.
        let envelopes: Vec<SignedTransaction> =
            keys.iter().enumerate().map(|(i, key)| load::batched(CHAIN_ID, key, i, 1, 0, MID_TICKS)).collect();
        batched.push(run_block(&node, envelopes, sizes.signers as u64 * BATCH)?);
        // Single orders: `single_per_signer` one-order transactions per signer.
        let envelopes: Vec<SignedTransaction> = (0..sizes.single_per_signer)
            .flat_map(|n| keys.iter().enumerate().map(move |(i, key)| (n, i, key)))
            .map(|(n, i, key)| sign(key, 2 + n, vec![Action::Order(load::order(i, 1_000 + n, MID_TICKS))]))
            .collect();
        let count = envelopes.len() as u64;
        // The ceiling: verifying the same signatures, nothing else.
        let prepared: Vec<([u8; 32], novation_tx::TxSignature)> = envelopes
            .iter()
            .map(|e| {
                let payload = TxPayload::from_json(&e.payload).map_err(|err| err.to_string())?;
                let hash = novation_tx::signing_hash(CHAIN_ID, e.payload.as_bytes(), payload.account, payload.nonce);
                Ok((hash, e.signature.clone()))
            })
            .collect::<Result<_, String>>()?;
        let started = Instant::now();
        for (hash, signature) in &prepared {
            novation_tx::verify_signature_only(hash, signature).map_err(|e| e.to_string())?;
        }
        ceiling.push(prepared.len() as f64 / started.elapsed().as_secs_f64());
        single.push(run_block(&node, envelopes, count)?);
        eprintln!(
            "node: rep {}: batched {:.0} orders/s, single {:.0} orders/s, verify {:.0}/s",
            rep + 1,
            batched[rep],
            single[rep],
            ceiling[rep]
        );
        drop(node);
    }
    eprintln!("node: restart with {} funded subaccounts…", sizes.restart_accounts);
    let restart = restart_ms(&dir, sizes.restart_accounts)?;
    let _ = std::fs::remove_dir_all(&dir);
    Metric { suite: SUITE, metric: "restart_ms", value: restart, unit: "ms", reps: Some(1), peer: None }.emit();
    let (batched, single, ceiling) = (median(&batched), median(&single), median(&ceiling));
    let reps = Some(sizes.reps);
    let metric = |metric, value, unit| Metric { suite: SUITE, metric, value, unit, reps, peer: None };
    metric("orders_per_sec_batched", batched, "orders/s").emit();
    metric("orders_per_sec_single", single, "orders/s").emit();
    metric("sig_verify_per_sec", ceiling, "verifications/s").emit();
    metric("ratio_single_vs_ceiling", single / ceiling, "x").emit();
    Ok(())
}
