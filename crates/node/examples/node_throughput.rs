//! A quick probe of the node's end-to-end rate (not the benchmark suite): signers submit
//! pre-signed batches of resting limit orders through `Node::submit` (signature check and
//! admission), then `Node::produce_block_now` sequences, executes and durably commits them.
//!
//! `cargo run --release -p novation-node --example node_throughput -- [signers] [orders_per_tx]`

use std::time::Instant;

use novation_node::{devnet_genesis, ChainConfig, MempoolLimits, Node};
use novation_protocol::presets::{BTC, BTC_PERP, ETH, USD};
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::{Action, OrderAction, OrderRequest, Side};

const CHAIN_ID: u64 = 31337;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let signers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let per_tx: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let dir = std::env::temp_dir().join(format!("novation-node-throughput-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let node = Node::open(ChainConfig {
        data_dir: dir.clone(),
        genesis: devnet_genesis(),
        chain_id: CHAIN_ID,
        mempool: MempoolLimits { max_per_signer: 1_000, max_total: 1_000_000 },
        max_block_txs: 1_000_000,
    })?;
    let sign = |key: &Eip712Signer, nonce: u64, actions: Vec<Action>| {
        key.sign(&TxPayload::new(CHAIN_ID, key.address(), nonce, actions))
    };
    // Prices from the devnet's publishers, then deposits.
    let publishers: Vec<Eip712Signer> = (0..3)
        .map(|i| Eip712Signer::from_seed(novation_node::sha256(format!("novation-devnet-publisher-{i}").as_bytes())))
        .collect();
    for round in 0..3u64 {
        let time_ms = novation_node::now_ms();
        for publisher in &publishers {
            let report = |asset, price: &str| Action::PriceReport {
                asset,
                price: price.parse().unwrap_or_default(),
                confidence: "1".parse().unwrap_or_default(),
                publish_time_ms: time_ms,
            };
            node.submit(sign(publisher, round, vec![report(BTC, "60000"), report(ETH, "3000")]))?;
        }
        node.produce_block_at(time_ms)?;
    }
    let keys: Vec<Eip712Signer> = (0..signers)
        .map(|i| Eip712Signer::from_seed(novation_node::sha256(format!("throughput-{i}").as_bytes())))
        .collect();
    for key in &keys {
        node.submit(sign(key, 0, vec![Action::Deposit { subaccount: 0, asset: USD, amount: "1000000".parse()? }]))?;
    }
    node.produce_block_now()?;
    let envelopes: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let orders = (0..per_tx)
                .map(|j| {
                    let (side, ticks) = if (i as u64 + j).is_multiple_of(2) {
                        (Side::Buy, 590_000 - j - (i as u64 % 100))
                    } else {
                        (Side::Sell, 610_000 + j + (i as u64 % 100))
                    };
                    OrderAction::Place(OrderRequest::limit(0, BTC_PERP, side, ticks, 1))
                })
                .collect();
            sign(key, 1, vec![Action::Batch(orders)])
        })
        .collect();
    let orders = signers as u64 * per_tx;
    let started = Instant::now();
    for envelope in envelopes {
        node.submit(envelope)?;
    }
    let admitted = started.elapsed();
    let block = node.produce_block_now()?;
    let total = started.elapsed();
    let resting_lots: u64 = node.with_state(|s| {
        s.l2_book(BTC_PERP, 1_000_000).map_or(0, |b| b.bids.iter().chain(&b.asks).map(|l| l.size_lots).sum())
    });
    let per_second = u128::from(orders) * 1_000_000 / total.as_micros().max(1);
    println!(
        "{signers} txs x {per_tx} orders = {orders} orders in one block of {} txs: admission {} ms, \
         block {} ms, total {} ms => {per_second} orders/s end to end ({resting_lots} lots resting)",
        block.tx_count,
        admitted.as_millis(),
        (total - admitted).as_millis(),
        total.as_millis(),
    );
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
