//! Funding from the store: a chain driven block by block with explicit times, two hours
//! apart, applies funding; the gateway lists each rate at its block's time (`fundingHistory`)
//! and, once a position trades again, the payment it settled (`userFunding`).

use std::path::PathBuf;

use novation_math::Decimal;
use novation_node::{devnet_genesis, ChainConfig, MempoolLimits, Node};
use novation_protocol::presets::{BTC, BTC_PERP, ETH, USD};
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::{action, Action, Event, OrderAction, OrderRequest, Side, SubaccountId};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAIN_ID: u64 = 31_337;
/// 2025-06-15 15:06:40 UTC.
const START_MS: u64 = 1_750_000_000_000;
const HOUR_MS: u64 = 3_600_000;

fn key(name: &str) -> Eip712Signer {
    Eip712Signer::from_seed(novation_node::sha256(name.as_bytes()))
}

fn publishers() -> Vec<Eip712Signer> {
    (0..3).map(|i| key(&format!("hl-funding-publisher-{i}"))).collect()
}

fn open(dir: &std::path::Path) -> Node {
    let addresses: Vec<_> = publishers().iter().map(Eip712Signer::address).collect();
    Node::open(ChainConfig {
        data_dir: dir.to_path_buf(),
        genesis: devnet_genesis(&addresses),
        chain_id: CHAIN_ID,
        mempool: MempoolLimits::default(),
        max_block_txs: 1_000,
        max_block_bytes: novation_node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: 0,
    })
    .unwrap()
}

/// One block at `time_ms` with every publisher's prices.
fn block(node: &Node, time_ms: u64) {
    for publisher in publishers() {
        let report = |asset, price: i64| {
            Action::PriceReport(action::PriceReport {
                asset,
                price: Decimal::from_int(price),
                confidence: Decimal::ONE,
                publish_time_ms: time_ms,
            })
        };
        let address = publisher.address();
        let payload =
            TxPayload::new(CHAIN_ID, address, node.next_nonce(address), vec![report(BTC, 60_000), report(ETH, 3_000)]);
        node.submit(publisher.sign(&payload)).unwrap();
    }
    node.produce_block_at(time_ms).unwrap();
}

async fn post_info(addr: std::net::SocketAddr, body: &str) -> Value {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funding_history_lists_each_applied_rate_at_its_block_time() {
    let dir: PathBuf = std::env::temp_dir().join(format!("novation-hl-gateway-funding-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let node = open(&dir);
    let mut times = Vec::new();
    for step in 0..4 {
        times.push(START_MS + step * 1_000);
    }
    times.push(START_MS + HOUR_MS + 5_000);
    times.push(START_MS + 2 * HOUR_MS + 5_000);
    for &time_ms in &times {
        block(&node, time_ms);
    }
    let applied = node.funding_rates(BTC_PERP, (0, u64::MAX), 100).unwrap();
    assert!(!applied.is_empty(), "two hours of blocks apply funding");
    let gateway = novation_hl_gateway::start(node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let history = post_info(gateway.addr(), r#"{"type":"fundingHistory","coin":"BTC","startTime":0}"#).await;
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), applied.len(), "{history}");
    for (entry, past) in entries.iter().zip(&applied) {
        let Event::FundingRate { rate, .. } = past.event else { panic!("not a funding rate: {past:?}") };
        assert_eq!(entry["coin"], "BTC");
        assert_eq!(entry["time"], past.time_ms);
        assert!(times.contains(&past.time_ms), "funding is applied in a block at its time");
        let shown: Decimal = entry["fundingRate"].as_str().unwrap().parse().unwrap();
        assert_eq!(shown, rate);
    }
    // A window after the last rate is empty; one ending before the first too.
    let last = applied.last().unwrap().time_ms;
    let later = format!(r#"{{"type":"fundingHistory","coin":"BTC","startTime":{}}}"#, last + 1);
    assert_eq!(post_info(gateway.addr(), &later).await, serde_json::json!([]));
    let earlier = format!(r#"{{"type":"fundingHistory","coin":"BTC","startTime":0,"endTime":{}}}"#, START_MS);
    assert_eq!(post_info(gateway.addr(), &earlier).await, serde_json::json!([]));
    gateway.stop().await;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}

fn send(node: &Node, signer: &Eip712Signer, actions: Vec<Action>) {
    let address = signer.address();
    node.submit(signer.sign(&TxPayload::new(CHAIN_ID, address, node.next_nonce(address), actions))).unwrap();
}

fn limit(side: Side, price_ticks: u64, size_lots: u64) -> Action {
    Action::Order(OrderAction::Place(OrderRequest::limit(0, BTC_PERP, side, price_ticks, size_lots)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_funding_shows_each_settled_payment_with_the_position_and_rates_it_covers() {
    let dir: PathBuf = std::env::temp_dir().join(format!("novation-hl-gateway-user-funding-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let node = open(&dir);
    let (alice, bob) = (key("hl-funding-alice"), key("hl-funding-bob"));
    for step in 0..3 {
        block(&node, START_MS + step * 1_000);
    }
    let deposit = Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: Decimal::from_int(100_000) });
    send(&node, &alice, vec![deposit.clone()]);
    send(&node, &bob, vec![deposit]);
    block(&node, START_MS + 3_000);
    // Alice buys 0.1 BTC from Bob at 60,000: she is long, he is short.
    send(&node, &bob, vec![limit(Side::Sell, 600_000, 1_000)]);
    block(&node, START_MS + 4_000);
    send(&node, &alice, vec![limit(Side::Buy, 600_000, 1_000)]);
    block(&node, START_MS + 5_000);
    // Two hours of funding, then Alice buys 0.1 more: the trade settles what accrued.
    block(&node, START_MS + HOUR_MS + 5_000);
    block(&node, START_MS + 2 * HOUR_MS + 5_000);
    send(&node, &bob, vec![limit(Side::Sell, 600_000, 1_000)]);
    block(&node, START_MS + 2 * HOUR_MS + 6_000);
    send(&node, &alice, vec![limit(Side::Buy, 600_000, 1_000)]);
    let settle_ms = START_MS + 2 * HOUR_MS + 7_000;
    block(&node, settle_ms);
    let alice_id = SubaccountId::new(alice.address(), 0);
    let position = node.with_state(|s| s.account(alice_id).positions.iter().map(|p| p.size_lots).sum::<i64>());
    assert_eq!(position, 2_000, "both buys filled");

    let rates = node.funding_rates(BTC_PERP, (START_MS + 5_000, settle_ms - 1), 100).unwrap();
    assert!(!rates.is_empty(), "funding was applied while Alice held 0.1 BTC");
    let summed = rates.iter().fold(Decimal::ZERO, |sum, past| match past.event {
        Event::FundingRate { rate, .. } => sum.checked_add(rate).unwrap(),
        _ => sum,
    });
    let paid = node
        .account_funding(alice.address(), 10)
        .unwrap()
        .iter()
        .find_map(|past| match past.event {
            Event::FundingSettled { subaccount, amount, .. } if subaccount == alice_id => Some(amount),
            _ => None,
        })
        .expect("the second buy settled Alice's funding");

    let gateway = novation_hl_gateway::start(node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let user = alice.address().to_string();
    let funding =
        post_info(gateway.addr(), &format!(r#"{{"type":"userFunding","user":"{user}","startTime":0}}"#)).await;
    let rows = funding.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{funding}");
    let row = &rows[0];
    assert_eq!(row["time"], settle_ms);
    assert_eq!(row["delta"]["type"], "funding");
    assert_eq!(row["delta"]["coin"], "BTC");
    assert_eq!(row["delta"]["szi"], "0.1", "the position that earned it, before the second buy");
    assert_eq!(
        row["delta"]["usdc"].as_str().unwrap().parse::<Decimal>().unwrap(),
        paid.round_dp(6, novation_math::Rounding::HalfEven).unwrap()
    );
    assert_eq!(row["delta"]["fundingRate"].as_str().unwrap().parse::<Decimal>().unwrap(), summed);
    assert_eq!(row["delta"]["nSamples"], rates.len());
    // A long pays a positive rate.
    assert_eq!(paid.is_negative(), summed.is_positive(), "paid {paid} at {summed}");
    let after = format!(r#"{{"type":"userFunding","user":"{user}","startTime":{}}}"#, settle_ms + 1);
    assert_eq!(post_info(gateway.addr(), &after).await, serde_json::json!([]));
    let before = format!(r#"{{"type":"userFunding","user":"{user}","startTime":0,"endTime":{}}}"#, settle_ms - 1);
    assert_eq!(post_info(gateway.addr(), &before).await, serde_json::json!([]));

    // Bob's side: the short that received (or paid) the same intervals.
    let bob_user = bob.address().to_string();
    let bobs = post_info(gateway.addr(), &format!(r#"{{"type":"userFunding","user":"{bob_user}"}}"#)).await;
    assert_eq!(bobs[0]["delta"]["szi"], "-0.1", "{bobs}");
    gateway.stop().await;
    drop(node);
    let _ = std::fs::remove_dir_all(&dir);
}
