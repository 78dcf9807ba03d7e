//! Restarts from state snapshots: the same root as a full replay, a corrupt or wrong newest
//! snapshot falls back to the older one, and no usable snapshot falls back to replay.

use std::path::{Path, PathBuf};

use novation_node::{devnet_genesis, ChainConfig, MempoolLimits, Node};
use novation_protocol::presets::{BTC, BTC_PERP, ETH, USD};
use novation_store::Store;
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::action;
use novation_types::{Action, OrderAction, OrderRequest, Side};

const CHAIN_ID: u64 = 31_337;
const START_MS: u64 = 1_750_000_000_000;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-node-snapshot-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn key(name: &str) -> Eip712Signer {
    Eip712Signer::from_seed(novation_node::sha256(name.as_bytes()))
}

fn publishers() -> Vec<Eip712Signer> {
    (0..3).map(|i| key(&format!("snapshot-publisher-{i}"))).collect()
}

fn open(dir: &Path, snapshot_interval_blocks: u64) -> Node {
    let addresses: Vec<_> = publishers().iter().map(Eip712Signer::address).collect();
    Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis: devnet_genesis(&addresses),
        chain_id: CHAIN_ID,
        mempool: MempoolLimits::default(),
        max_block_txs: 1_000,
        max_block_bytes: novation_node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks,
    })
    .expect("the node opens")
}

fn root(node: &Node) -> String {
    node.status_json()["state_root"].as_str().unwrap_or_default().to_string()
}

/// Eight blocks of prices, deposits and resting orders at fixed times (so two chains fed
/// them agree); returns the root after them.
fn build(node: &Node) -> String {
    let publishers = publishers();
    let traders: Vec<Eip712Signer> = (0..4).map(|i| key(&format!("snapshot-trader-{i}"))).collect();
    let mut trader_nonce = 0;
    for block in 0..8u64 {
        let time_ms = START_MS + block * 1_000;
        for publisher in &publishers {
            let report = |asset, price: i64| {
                Action::PriceReport(action::PriceReport {
                    asset,
                    price: novation_math::Decimal::from_int(price + block as i64),
                    confidence: novation_math::Decimal::ONE,
                    publish_time_ms: time_ms,
                })
            };
            let payload =
                TxPayload::new(CHAIN_ID, publisher.address(), block, vec![report(BTC, 60_000), report(ETH, 3_000)]);
            node.submit(publisher.sign(&payload)).expect("a price report is admitted");
        }
        if block >= 3 {
            for (i, trader) in traders.iter().enumerate() {
                let action = if trader_nonce == 0 {
                    Action::Deposit(action::Deposit {
                        subaccount: 0,
                        asset: USD,
                        amount: novation_math::Decimal::from_int(1_000_000),
                    })
                } else {
                    let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
                    let ticks = if side == Side::Buy { 590_000 - block } else { 610_000 + block };
                    Action::Order(OrderAction::Place(OrderRequest::limit(0, BTC_PERP, side, ticks, 1)))
                };
                let payload = TxPayload::new(CHAIN_ID, trader.address(), trader_nonce, vec![action]);
                node.submit(trader.sign(&payload)).expect("a trader's transaction is admitted");
            }
            trader_nonce += 1;
        }
        node.produce_block_at(time_ms).expect("the block is produced");
    }
    assert_eq!(node.height(), 8);
    root(node)
}

#[test]
fn restart_from_a_snapshot_gives_the_same_root_as_a_full_replay() {
    let (with, without) = (temp_dir("with"), temp_dir("without"));
    let root_with = build(&open(&with, 3));
    let root_without = build(&open(&without, 0));
    assert_eq!(root_with, root_without, "snapshots do not change the chain");
    {
        let store = Store::open(with.join("chain.redb")).unwrap();
        assert_eq!(store.snapshot_heights().unwrap(), vec![6, 3], "the newest two are kept");
        let store = Store::open(without.join("chain.redb")).unwrap();
        assert_eq!(store.snapshot_heights().unwrap(), Vec::<u64>::new());
    }
    let from_snapshot = open(&with, 3);
    let replayed = open(&without, 0);
    assert_eq!((from_snapshot.height(), root(&from_snapshot)), (8, root_with.clone()));
    assert_eq!((replayed.height(), root(&replayed)), (8, root_with));
    // Both continue alike.
    from_snapshot.produce_block_at(START_MS + 10_000).unwrap();
    replayed.produce_block_at(START_MS + 10_000).unwrap();
    assert_eq!(root(&from_snapshot), root(&replayed));
    let _ = std::fs::remove_dir_all(&with);
    let _ = std::fs::remove_dir_all(&without);
}

#[test]
fn a_corrupt_or_misplaced_newest_snapshot_falls_back_to_the_older_one_then_to_replay() {
    let dir = temp_dir("corrupt");
    let built = build(&open(&dir, 3));
    let store_path = dir.join("chain.redb");
    {
        let store = Store::open(&store_path).unwrap();
        let mut corrupt = store.snapshot(6).unwrap().unwrap();
        let middle = corrupt.len() / 2;
        corrupt.truncate(middle);
        store.put_snapshot(6, &corrupt, 2).unwrap();
    }
    let node = open(&dir, 3);
    assert_eq!((node.height(), root(&node)), (8, built.clone()), "a cut-short snapshot is skipped");
    drop(node);
    {
        // The state of height 3 filed under height 6 does not verify either.
        let store = Store::open(&store_path).unwrap();
        let older = store.snapshot(3).unwrap().unwrap();
        store.put_snapshot(6, &older, 2).unwrap();
    }
    let node = open(&dir, 3);
    assert_eq!((node.height(), root(&node)), (8, built.clone()), "a misplaced snapshot is skipped");
    drop(node);
    {
        let store = Store::open(&store_path).unwrap();
        store.put_snapshot(3, b"garbage", 2).unwrap();
        store.put_snapshot(6, b"novation-snapshot garbage", 2).unwrap();
    }
    let node = open(&dir, 3);
    assert_eq!((node.height(), root(&node)), (8, built), "with no usable snapshot the log is replayed");
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_snapshot_can_be_written_on_demand_and_a_new_chain_has_none() {
    let dir = temp_dir("demand");
    let node = open(&dir, 0);
    assert_eq!(node.write_snapshot().unwrap(), 0, "nothing to snapshot before the first block");
    let built = build(&node);
    assert_eq!(node.write_snapshot().unwrap(), 8);
    drop(node);
    {
        let store = Store::open(dir.join("chain.redb")).unwrap();
        assert_eq!(store.snapshot_heights().unwrap(), vec![8]);
    }
    let node = open(&dir, 0);
    assert_eq!((node.height(), root(&node)), (8, built));
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}
