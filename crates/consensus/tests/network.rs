//! Four validators on loopback: one chain, prices from vote extensions, transactions through
//! any node, a full node syncing from genesis; progress with one validator down, a halt
//! (never a fork) with two down, catch-up after a crash.

mod common;

use std::time::Duration;

use common::Net;
use novation_math::Decimal;
use novation_node::{demo_key, Node};
use novation_protocol::oracle::PriceValidity;
use novation_protocol::presets::{BTC, USD};
use novation_tx::TxPayload;
use novation_types::{action, Action, SubaccountId};

const PATIENCE: Duration = Duration::from_secs(120);

fn btc_index(node: &Node) -> Option<(Decimal, PriceValidity)> {
    node.with_state(|s| s.oracle(BTC).and_then(|o| o.index.map(|i| (i, o.validity))))
}

fn usd_balance(node: &Node, owner: novation_types::Address) -> Decimal {
    node.with_state(|s| {
        s.account(SubaccountId::new(owner, 0)).balances.iter().find(|b| b.asset == USD).map(|b| b.amount)
    })
    .unwrap_or_default()
}

/// Sends a signed deposit to a node's RPC over HTTP, as a client would.
fn send_deposit(rpc: std::net::SocketAddr, chain_id: u64, nonce: u64) -> novation_types::Address {
    let signer = demo_key(0);
    let deposit = Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: "1000".parse().unwrap() });
    let envelope = signer.sign(&TxPayload::new(chain_id, signer.address(), nonce, vec![deposit]));
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "nov_sendTransaction", "params": [envelope]});
    let text = ureq::post(&format!("http://{rpc}/"))
        .set("content-type", "application/json")
        .send_string(&body.to_string())
        .unwrap()
        .into_string()
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(answer.get("result").is_some(), "the node admits the transaction: {answer}");
    signer.address()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_one_chain_prices_from_extensions_and_transactions_through_any_node() {
    let net = Net::start(4).await;
    net.wait_all(6, PATIENCE).await;

    // Prices enter only through the validators' vote extensions (no PriceReport transaction
    // exists on this chain) and aggregate with a 2/3-stake quorum.
    net.wait_until("a valid BTC index", PATIENCE, |n| {
        btc_index(&n.node).is_some_and(|(_, validity)| validity == PriceValidity::Valid)
    })
    .await;
    let (index, _) = btc_index(&net.node(0).node).unwrap();
    assert!(index > Decimal::from_int(50_000) && index < Decimal::from_int(70_000), "BTC index {index}");

    // A transaction sent to one node's RPC reaches the proposers and lands on every node.
    let chain_id = net.node(0).node.chain_id();
    let owner = send_deposit(net.node(2).rpc_addr, chain_id, 0);
    let owner = {
        let _ = send_deposit(net.node(3).rpc_addr, chain_id, 1);
        owner
    };
    net.wait_until("both deposits on every node", PATIENCE, |n| {
        usd_balance(&n.node, owner) == Decimal::from_int(2_000)
    })
    .await;

    // A new full node joins from genesis and syncs the same chain.
    let full_home = novation_consensus::network::add_full_node(
        net.dir.path(),
        "full",
        "127.0.0.1:0".parse().unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let full =
        novation_consensus::start_validator(novation_consensus::network::load_home(&full_home).unwrap()).await.unwrap();
    let target = net.max_height();
    let deadline = std::time::Instant::now() + PATIENCE;
    while full.node.height() < target {
        assert!(std::time::Instant::now() < deadline, "the full node synced to {} of {target}", full.node.height());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for height in 1..=target {
        let mine = full.node.header_at(height).unwrap().unwrap();
        let theirs = net.node(0).node.header_at(height).unwrap().unwrap();
        assert_eq!(mine.hash(), theirs.hash(), "the full node's block {height}");
    }
    assert_eq!(usd_balance(&full.node, owner), Decimal::from_int(2_000));
    assert_eq!(full.node.status_json()["consensus"]["role"], "full node");
    let metrics = ureq::get(&format!("http://{}/metrics", net.node(1).rpc_addr)).call().unwrap().into_string().unwrap();
    assert!(metrics.contains("novation_consensus_validators 4"), "{metrics}");
    assert!(metrics.contains("novation_consensus_peers "));
    drop(full.stop().await);
    net.assert_one_chain();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_down_the_chain_goes_on_two_down_it_halts_without_forking_and_restarts_catch_up() {
    let mut net = Net::start(4).await;
    net.wait_all(4, PATIENCE).await;

    // One of four down: three are more than two thirds, the chain goes on.
    net.kill(3).await;
    let before = net.max_height();
    net.wait_all(before + 5, PATIENCE).await;

    // Restarted from its WAL and stores, it catches up through value sync.
    net.restart(3).await;
    let target = net.max_height() + 2;
    net.wait_all(target, PATIENCE).await;
    net.assert_one_chain();
    let synced = net.node(3).node.status_json()["consensus"]["sync"]["synced_blocks"].as_u64().unwrap();
    assert!(synced > 0, "the restarted validator caught up through value sync");

    // Two of four down: no quorum, no block, and no fork.
    net.kill(2).await;
    net.kill(3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stuck = net.max_height();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(net.max_height() <= stuck + 1, "two of four down must halt the chain: {stuck} then {}", net.max_height());
    net.assert_one_chain();

    // Back up: the chain resumes and all four agree.
    net.restart(2).await;
    net.restart(3).await;
    let target = net.max_height() + 3;
    net.wait_all(target, PATIENCE).await;
    net.assert_one_chain();
}
