//! End-to-end tests: an in-process devnet on a temporary directory, driven over HTTP and
//! WebSocket JSON-RPC exactly as a client would.

use std::path::PathBuf;
use std::time::Duration;

use jsonrpsee::core::client::{ClientT, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::HttpClient;
use jsonrpsee_ws_client::WsClientBuilder;
use novation_node::{demo_key, start_devnet, DevnetConfig};
use novation_protocol::presets::{BTC_PERP, USD};
use novation_store::commitment::{verify_proof, Proof};
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::action;
use novation_types::{Action, OrderAction, OrderRequest, Side};
use serde_json::Value;

mod common;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deposit_order_cancel_apply_and_the_account_proves() {
    let dir = temp_dir("flow");
    let running = devnet(&dir, true).await;
    let url = format!("http://{}", running.rpc_addr);
    let client = jsonrpsee_http_client::HttpClientBuilder::default().build(&url).unwrap();
    let trader = Eip712Signer::from_seed([42; 32]);

    let deposit = send(
        &client,
        &trader,
        vec![Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: "50000".parse().unwrap() })],
    )
    .await;
    assert_eq!(included(&client, &deposit).await["result"]["ok"], true);

    // Wait for the simulated feed to give BTC-PERP a mark, then bid below it.
    let mut mark = None;
    for _ in 0..200 {
        let markets = call(&client, "nov_getMarkets", rpc_params![]).await;
        if let Some(text) = markets[0]["stats"]["mark"].as_str() {
            mark = Some(text.parse::<f64>().unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let price_ticks = (mark.expect("a mark price") * 0.99 * 10.0) as u64;
    let order = OrderRequest::limit(0, BTC_PERP, Side::Buy, price_ticks, 10).with_client_id(7);
    let placed = send(&client, &trader, vec![Action::Order(OrderAction::Place(order))]).await;
    let placed = included(&client, &placed).await;
    assert_eq!(placed["result"]["ok"], true, "{placed}");

    let book = call(&client, "nov_getBook", rpc_params!["BTC-PERP", 5]).await;
    assert!(book["bids"].as_array().unwrap().iter().any(|l| l["price_ticks"] == price_ticks), "{book}");

    let cancel = send(
        &client,
        &trader,
        vec![Action::Order(OrderAction::CancelByClientId(action::CancelByClientId {
            subaccount: 0,
            client_order_id: 7,
        }))],
    )
    .await;
    assert_eq!(included(&client, &cancel).await["result"]["ok"], true);
    let book = call(&client, "nov_getBook", rpc_params![0, 5]).await;
    assert!(!book["bids"].as_array().unwrap().iter().any(|l| l["price_ticks"] == price_ticks));

    // The account proof verifies against the state root it names, which is nov_status's
    // root at that height.
    let address = trader.address().to_string();
    let proof = call(&client, "nov_getAccountProof", rpc_params![address.clone()]).await;
    let root: [u8; 32] = unhex(proof["state_root"].as_str().unwrap()).try_into().unwrap();
    let value = unhex(proof["value"].as_str().unwrap());
    let decoded = Proof::from_bytes(&unhex(proof["proof"].as_str().unwrap())).unwrap();
    assert!(verify_proof(&root, &unhex(proof["key"].as_str().unwrap()), Some(&value), &decoded));
    let height = proof["height"].as_u64().unwrap();
    let block = call(&client, "nov_getBlock", rpc_params![height]).await;
    assert_eq!(block["header"]["state_root"], proof["state_root"]);
    let status = call(&client, "nov_status", rpc_params![]).await;
    assert!(status["height"].as_u64().unwrap() >= height);

    let account = call(&client, "nov_getAccount", rpc_params![address.clone()]).await;
    assert_eq!(account["nonce"], 3);
    // Assets and markets in human units: fractions, not ppm; null where unbounded.
    let assets = call(&client, "nov_getAssets", rpc_params![]).await;
    assert_eq!(assets[0]["symbol"], "USD");
    assert_eq!(assets[0]["index"], "1");
    let markets = call(&client, "nov_getMarkets", rpc_params![]).await;
    assert_eq!(markets[0]["info"]["taker_fee"], "0.0005", "{}", markets[0]["info"]);
    assert_eq!(markets[0]["info"]["price_decimals"], 1);
    assert!(markets[0]["info"]["margin_tiers"].as_array().unwrap().last().unwrap()["max_notional"].is_null());
    let events = call(&client, "nov_getAccountEvents", rpc_params![address, 10]).await;
    assert!(events.as_array().unwrap().len() >= 3, "{events}");
    let page = call(&client, "nov_listSubaccounts", rpc_params![1]).await;
    assert_eq!(page["subaccounts"].as_array().map(Vec::len), Some(1), "{page}");
    let cursor = &page["next"];
    let next =
        call(&client, "nov_listSubaccounts", rpc_params![10, cursor["owner"].clone(), cursor["number"].clone()]).await;
    assert_ne!(next["subaccounts"][0]["subaccount"], page["subaccounts"][0]["subaccount"], "{next}");
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_gets_its_code_and_metrics_and_websocket_blocks_work() {
    let dir = temp_dir("errors");
    let running = devnet(&dir, true).await;
    let client =
        jsonrpsee_http_client::HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let signer = demo_key(0);
    let mut envelope = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 0, vec![]));
    if let novation_tx::TxSignature::Eip712 { signature } = &mut envelope.signature {
        *signature = format!("0x{}", "00".repeat(65));
    }
    let error = client.request::<Value, _>("nov_sendTransaction", rpc_params![envelope]).await.unwrap_err();
    let jsonrpsee::core::ClientError::Call(error) = error else { panic!("{error:?}") };
    assert!((1001..1100).contains(&error.code()), "{error:?}");

    let wrong_chain = signer.sign(&TxPayload::new(1, signer.address(), 0, vec![]));
    let error = client.request::<Value, _>("nov_sendTransaction", rpc_params![wrong_chain]).await.unwrap_err();
    let jsonrpsee::core::ClientError::Call(error) = error else { panic!("{error:?}") };
    assert_eq!(error.code(), 1005);
    // Well signed but failing the protocol's stateless checks (no actions; a subaccount out
    // of range): refused at admission with the protocol's own code, never queued.
    let nonce_before = call(&client, "nov_getNonce", rpc_params![signer.address().to_string()]).await;
    let empty = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 0, vec![]));
    let error = client.request::<Value, _>("nov_sendTransaction", rpc_params![empty]).await.unwrap_err();
    let jsonrpsee::core::ClientError::Call(error) = error else { panic!("{error:?}") };
    assert_eq!(error.code() as u32, novation_types::ErrorCode::BadActionCount.code());
    let junk = vec![Action::Deposit(action::Deposit {
        subaccount: u16::MAX,
        asset: USD,
        amount: novation_math::Decimal::ONE,
    })];
    let out_of_range = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 0, junk));
    let error = client.request::<Value, _>("nov_sendTransaction", rpc_params![out_of_range]).await.unwrap_err();
    let jsonrpsee::core::ClientError::Call(error) = error else { panic!("{error:?}") };
    assert_eq!(error.code() as u32, novation_types::ErrorCode::InvalidSubaccount.code());
    assert_eq!(call(&client, "nov_getNonce", rpc_params![signer.address().to_string()]).await, nonce_before);
    let error = client.request::<Value, _>("nov_getBook", rpc_params!["DOGE-PERP"]).await.unwrap_err();
    let jsonrpsee::core::ClientError::Call(error) = error else { panic!("{error:?}") };
    assert_eq!(error.code(), 2006);

    let ws = WsClientBuilder::default().build(format!("ws://{}", running.rpc_addr)).await.unwrap();
    let mut blocks =
        ws.subscribe::<Value, _>("nov_subscribeBlocks", rpc_params![], "nov_unsubscribeBlocks").await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), blocks.next()).await.unwrap().unwrap().unwrap();
    let second = tokio::time::timeout(Duration::from_secs(5), blocks.next()).await.unwrap().unwrap().unwrap();
    assert!(second["header"]["height"].as_u64() > first["header"]["height"].as_u64());
    assert_eq!(second["header"]["parent_hash"], first["header"]["block_hash"]);

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(running.rpc_addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("text/plain") && response.contains("novation_block_height"), "{response}");
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_replays_to_the_same_root_and_continues() {
    let dir = temp_dir("restart");
    let running = devnet(&dir, true).await;
    while running.node.height() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let node = running.stop().await;
    let (height, root) = (node.height(), node.state_root());
    let markets = node.with_state(|s| s.params().markets.clone());
    assert_eq!(markets.iter().filter(|m| m.kind.expiry_ms().is_some()).count(), 22);
    assert!(node.with_state(|s| s.nonce(demo_key(0).address())) > 0);
    drop(node);

    // Opening replays the log and checks every replayed root against the stored headers (a
    // mismatch refuses to start); the restarted sequencer may already have produced more.
    let running = devnet(&dir, false).await;
    assert!(running.node.height() >= height);
    let client =
        jsonrpsee_http_client::HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let block = call(&client, "nov_getBlock", rpc_params![height]).await;
    assert_eq!(block["header"]["state_root"].as_str().map(unhex), Some(root.to_vec()));
    // The dated series (expiries fixed when the chain was created) come back with the chain.
    let markets_now = running.node.with_state(|s| s.params().markets.clone());
    assert_eq!(markets_now.get(..markets.len()), Some(&markets[..]));
    while running.node.height() < height + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_maker_quotes_both_perps_and_every_series() {
    let dir = temp_dir("maker");
    let config = DevnetConfig {
        data_dir: dir.clone(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 50,
        reset: true,
        market_maker: true,
        chain_id: CHAIN_ID,
        demo_accounts: 1,
        feed_seed: 3,
        rpc_limits: Default::default(),
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
        hyperliquid_network: Default::default(),
    };
    let running = start_devnet(config).await.unwrap();
    let mut quoted = false;
    for _ in 0..200 {
        quoted = running.node.with_state(|s| {
            let perps = [BTC_PERP, novation_protocol::presets::ETH_PERP]
                .iter()
                .all(|m| s.l2_book(*m, 10).is_some_and(|b| b.bids.len() == 5 && b.asks.len() == 5));
            // Every series worth at least 1 USD (the far out-of-the-money ones are worth less
            // than a tick and get only an ask) has a two-sided quote once the smiles are in.
            let series = s.list_series();
            let priced: Vec<_> =
                series.iter().filter(|x| x.mark.is_some_and(|m| m >= novation_math::Decimal::ONE)).collect();
            let two_sided =
                priced.iter().all(|x| s.l2_book(x.market, 1).is_some_and(|b| !b.bids.is_empty() && !b.asks.is_empty()));
            perps && series.len() == 22 && priced.len() >= 16 && two_sided
        });
        if quoted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(quoted, "the market maker did not quote five levels a side on both perps and every series");
}

/// An ordinary Ethereum library signs the transaction: Python's eth-account, given the
/// EIP-712 typed data a wallet would show. Skipped (with a notice) where eth-account is not
/// installed, unless `NOVATION_REQUIRE_PYTHON=1` (CI sets it and installs eth-account).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_signed_by_eth_account_is_accepted_by_the_node() {
    let has_eth_account = std::process::Command::new("python3")
        .args(["-c", "import eth_account"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_eth_account {
        assert!(std::env::var("NOVATION_REQUIRE_PYTHON").as_deref() != Ok("1"), "eth-account is required");
        eprintln!("notice: skipping the eth-account node test (pip install eth-account)");
        return;
    }
    let dir = temp_dir("eth-account");
    let running = devnet(&dir, true).await;
    let client =
        jsonrpsee_http_client::HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    let secret = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    let account = Eip712Signer::from_hex(secret).unwrap().address();
    let deposit = Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: "123.45".parse().unwrap() });
    let payload = TxPayload::new(CHAIN_ID, account, 0, vec![deposit]).to_json();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tx/tests/python/sign_eip712.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .args(["--key", secret, "--chain-id", &CHAIN_ID.to_string(), "--account", &account.to_string()])
        .args(["--nonce", "0", "--payload", &payload])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let signed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let envelope =
        serde_json::json!({ "payload": payload, "signature": { "Eip712": { "signature": signed["signature"] } } });
    let admitted = call(&client, "nov_sendTransaction", rpc_params![envelope]).await;
    let tx = included(&client, admitted["tx_hash"].as_str().unwrap()).await;
    assert_eq!(tx["result"]["ok"], true, "{tx}");
    let view = call(&client, "nov_getAccount", rpc_params![account.to_string(), 0]).await;
    assert!(view.to_string().contains("123.45"), "{view}");
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn rpc_error(client: &HttpClient, method: &str, params: jsonrpsee::core::params::ArrayParams) -> i32 {
    match client.request::<Value, _>(method, params).await {
        Err(jsonrpsee::core::ClientError::Call(error)) => error.code(),
        other => panic!("{method}: expected an error, got {other:?}"),
    }
}

fn decimal(value: &Value) -> f64 {
    value.as_str().unwrap_or_else(|| panic!("not a decimal string: {value}")).parse().unwrap()
}

/// The devnet lists BTC futures and options, the simulated smiles make the surface valid,
/// and after two demo accounts trade a call the Greeks and margin breakdown describe it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_lists_series_with_a_valid_surface_and_answers_greeks_and_margin() {
    let dir = temp_dir("derivatives");
    let running = devnet(&dir, true).await;
    let client =
        jsonrpsee_http_client::HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();

    let mut surface = Value::Null;
    for _ in 0..250 {
        surface = call(&client, "nov_getSurface", rpc_params!["BTC"]).await;
        let smiles = surface["smiles"].as_array().unwrap();
        if smiles.len() == 2 && smiles.iter().all(|s| s["validity"] == "Valid" && !s["atm_vol"].is_null()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let smiles = surface["smiles"].as_array().unwrap();
    assert!(smiles.iter().all(|s| s["validity"] == "Valid"), "{surface}");
    let atm = decimal(&smiles[0]["atm_vol"]);
    assert!((atm - 0.55).abs() < 1e-6, "{surface}");
    let expiry_ms = smiles[0]["expiry_ms"].as_u64().unwrap();
    assert!(expiry_ms > surface["time_ms"].as_u64().unwrap());

    let vol = call(&client, "nov_getImpliedVol", rpc_params!["BTC", expiry_ms, "50000"]).await;
    assert!(decimal(&vol["implied_vol"]) > atm, "put-side skew: {vol}");

    // Two futures and twenty options, each option marked from the surface.
    let series = call(&client, "nov_getSeries", rpc_params![]).await;
    let series = series.as_array().unwrap();
    assert_eq!(series.len(), 22);
    assert_eq!(series.iter().filter(|s| s["kind"].get("Future").is_some()).count(), 2);
    let call_series = series
        .iter()
        .find(|s| s["kind"]["Option"]["expiry_ms"] == expiry_ms && s["symbol"].as_str().unwrap().ends_with("-60000-C"))
        .expect("an at-the-money call");
    let market = call_series["market"].as_u64().unwrap();
    let one = call(&client, "nov_getSeries", rpc_params![call_series["symbol"].clone()]).await;
    assert_eq!(one["market"], market);
    assert!(one["valid"] == true && !one["greeks"].is_null(), "{one}");
    let mark = decimal(&one["mark"]);
    assert!(mark > 100.0 && mark < 10_000.0, "{one}");

    // demo 0 sells 0.1 of the call to demo 1.
    let price_ticks = (mark * 10.0).round() as u64;
    let market_id = novation_types::MarketId(market as u16);
    let (seller, buyer) = (demo_key(0), demo_key(1));
    let ask = OrderRequest::limit(0, market_id, Side::Sell, price_ticks, 10);
    let ask = send(&client, &seller, vec![Action::Order(OrderAction::Place(ask))]).await;
    assert_eq!(included(&client, &ask).await["result"]["ok"], true);
    let bid = OrderRequest::limit(0, market_id, Side::Buy, price_ticks, 10);
    let bid = send(&client, &buyer, vec![Action::Order(OrderAction::Place(bid))]).await;
    let bid = included(&client, &bid).await;
    assert_eq!(bid["result"]["ok"], true, "{bid}");
    assert!(bid["events"].to_string().contains("Fill"), "{bid}");

    let greeks = call(&client, "nov_getGreeks", rpc_params![buyer.address().to_string(), 0]).await;
    let btc = &greeks["greeks"][0];
    assert_eq!(btc["symbol"], "BTC", "{greeks}");
    let delta = decimal(&btc["delta"]);
    assert!(delta > 0.02 && delta < 0.08 && decimal(&btc["vega"]) > 0.0, "{greeks}");
    let system = call(&client, "nov_getGreeks", rpc_params![]).await;
    assert!((decimal(&system["greeks"][0]["delta"]) - delta).abs() < 1e-9, "{system}");

    let margin = call(&client, "nov_getMarginBreakdown", rpc_params![seller.address().to_string(), 0]).await;
    assert_eq!(margin["mode"], "Standard", "{margin}");
    assert_eq!(margin["positions"][0]["size_lots"], -10, "{margin}");
    assert!(decimal(&margin["initial_requirement"]) > 0.0, "{margin}");
    assert_eq!(margin["portfolio"][0]["scenario_pnl"].as_array().unwrap().len(), 20, "{margin}");

    // Bad input is a typed error, never a panic.
    assert_eq!(rpc_error(&client, "nov_getSurface", rpc_params!["DOGE"]).await, 2007);
    assert_eq!(rpc_error(&client, "nov_getSurface", rpc_params![]).await, 2008);
    assert_eq!(rpc_error(&client, "nov_getImpliedVol", rpc_params!["BTC", 123, "60000"]).await, 2007);
    assert_eq!(rpc_error(&client, "nov_getImpliedVol", rpc_params!["BTC", expiry_ms, "-1"]).await, 2008);
    assert_eq!(rpc_error(&client, "nov_getImpliedVol", rpc_params!["BTC"]).await, 2008);
    assert_eq!(rpc_error(&client, "nov_getSeries", rpc_params!["BTC-1JAN99"]).await, 2006);
    assert_eq!(rpc_error(&client, "nov_getGreeks", rpc_params!["0x12"]).await, 2008);
    assert_eq!(rpc_error(&client, "nov_getMarginBreakdown", rpc_params![]).await, 2008);
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_says_height_throughput_open_interest_and_oracle_validity() {
    let dir = temp_dir("heartbeat");
    let running = devnet(&dir, true).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while running.node.with_state(|s| s.oracle(novation_protocol::presets::BTC).and_then(|o| o.index)).is_none() {
        assert!(std::time::Instant::now() < deadline, "no BTC price yet");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut previous = (0, std::time::Instant::now() - std::time::Duration::from_secs(1));
    let line = novation_node::heartbeat_line(&running.node, &mut previous);
    assert!(line.contains("height ") && line.contains("tx/s ") && line.contains("open interest 0 USD"), "{line}");
    assert!(line.contains("BTC valid") && line.contains("ETH valid"), "{line}");
    assert!(previous.0 > 0, "the funding and price transactions counted");
    drop(running.stop().await);
}

/// `/metrics` read by a real Prometheus exposition-format parser (Python's
/// `prometheus_client`), with novation's naming checked. Skipped (with a notice) where it is
/// not installed, unless `NOVATION_REQUIRE_PYTHON=1` (CI sets it and installs it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_with_the_prometheus_parser_and_follow_its_naming() {
    let has_parser = std::process::Command::new("python3")
        .args(["-c", "import prometheus_client.parser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_parser {
        assert!(std::env::var("NOVATION_REQUIRE_PYTHON").as_deref() != Ok("1"), "prometheus-client is required");
        eprintln!("notice: skipping the Prometheus parser test (pip install prometheus-client)");
        return;
    }
    let dir = temp_dir("prometheus");
    let running = devnet(&dir, true).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while running.node.height() < 3 {
        assert!(std::time::Instant::now() < deadline, "no blocks");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_metrics.py");
    let url = format!("http://{}/metrics", running.rpc_addr);
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new("python3").arg(script).arg(url).output())
            .await
            .unwrap()
            .unwrap();
    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let families: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(families["novation_transactions"]["type"], "counter", "{families}");
    assert!(families["novation_block_height"]["value"].as_f64().unwrap() >= 3.0, "{families}");
    let block_seconds = families["novation_block_timestamp_seconds"]["value"].as_f64().unwrap();
    assert!(block_seconds > 1.7e9, "block time in seconds since the epoch: {families}");
}
