//! The gateway against a running devnet: orders placed and traded through novation's own
//! API, then read back through `POST /info` — by raw HTTP here, by Hyperliquid's official
//! Python SDK (`hyperliquid-python-sdk`: `tests/python/check_info.py`, and `check_ws.py` for
//! the WebSocket), by CCXT (`tests/python/check_ccxt.py`) and by the TypeScript SDK
//! (`tests/node/check_info.mjs`) when they are installed (required when
//! `NOVATION_REQUIRE_PYTHON=1` and `NOVATION_REQUIRE_NODE=1`, as CI sets).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use novation_math::{Decimal, Rounding};
use novation_node::{demo_key, start_devnet, DevnetConfig, Node, RunningNode};
use novation_protocol::presets::BTC_PERP;
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::{Action, OrderAction, OrderRequest, Side, SubaccountId};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAIN_ID: u64 = 31337;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-hl-gateway-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn devnet(name: &str) -> RunningNode {
    devnet_with(name, false).await
}

async fn devnet_with(name: &str, market_maker: bool) -> RunningNode {
    let config = DevnetConfig {
        data_dir: temp_dir(name),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 50,
        reset: true,
        market_maker,
        chain_id: CHAIN_ID,
        demo_accounts: 3,
        feed_seed: 1,
        ..DevnetConfig::default()
    };
    start_devnet(config).await.unwrap()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// BTC-PERP's mark once the simulated feed has given one.
async fn btc_mark(node: &Node) -> Decimal {
    let mut mark = None;
    wait_for("a BTC-PERP mark", || {
        mark = node.with_state(|s| s.market(BTC_PERP).and_then(|m| m.mark));
        mark.is_some()
    })
    .await;
    mark.unwrap()
}

fn submit(node: &Node, signer: &Eip712Signer, order: OrderRequest) {
    let address = signer.address();
    let payload =
        TxPayload::new(CHAIN_ID, address, node.next_nonce(address), vec![Action::Order(OrderAction::Place(order))]);
    node.submit(signer.sign(&payload)).unwrap();
}

/// Sends one HTTP/1.1 request and returns the status and the body.
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // A server may answer (and close) before reading an oversized body.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

async fn info(addr: std::net::SocketAddr, request: Value) -> Value {
    let (status, body) = http(addr, "POST", "/info", request.to_string().as_bytes()).await;
    assert_eq!(status, 200, "{request} → {body}");
    serde_json::from_str(&body).unwrap()
}

/// Hyperliquid's decimal string of `value` (always a fractional part).
fn hl(value: Decimal) -> String {
    let text = value.to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// What the test traded: demo key 0 bought `fill_size` at `fill_px` from demo key 1, and
/// rests a bid of `bid_size` at `bid_px` with client id 7.
struct Traded {
    node: Node,
    buyer: Eip712Signer,
    fill_px: Decimal,
    bid_px: Decimal,
    bid_oid: u64,
}

async fn trade(node: &Node) -> Traded {
    let tick: Decimal = "0.1".parse().unwrap();
    let mark_ticks = btc_mark(node).await.to_units(tick, Rounding::Floor).unwrap() as u64;
    let (buyer, seller) = (demo_key(0), demo_key(1));
    let ask_ticks = mark_ticks + mark_ticks / 500;
    let bid_ticks = mark_ticks - mark_ticks / 100;
    submit(node, &seller, OrderRequest::limit(0, BTC_PERP, Side::Sell, ask_ticks, 2_000));
    let seller_id = SubaccountId::new(seller.address(), 0);
    wait_for("the ask to rest", || node.with_state(|s| s.open_orders(seller_id).len() == 1)).await;
    submit(node, &buyer, OrderRequest::limit(0, BTC_PERP, Side::Buy, ask_ticks, 2_000));
    submit(node, &buyer, OrderRequest::limit(0, BTC_PERP, Side::Buy, bid_ticks, 5_000).with_client_id(7));
    let buyer_id = SubaccountId::new(buyer.address(), 0);
    wait_for("the fill and the resting bid", || {
        node.with_state(|s| {
            s.open_orders(buyer_id).len() == 1 && s.account(buyer_id).positions.iter().any(|p| p.size_lots == 2_000)
        })
    })
    .await;
    let bid_oid = node.with_state(|s| s.open_orders(buyer_id)[0].order_id.0);
    let price = |ticks: u64| Decimal::from_units(i128::from(ticks), tick).unwrap();
    Traded { node: node.clone(), buyer, fill_px: price(ask_ticks), bid_px: price(bid_ticks), bid_oid }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn info_answers_hyperliquid_shapes_from_the_devnets_state() {
    let running = devnet("info").await;
    let gateway = novation_hl_gateway::start(running.node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = gateway.addr();
    let traded = trade(&running.node).await;
    let user = traded.buyer.address().to_string();

    let meta = info(addr, serde_json::json!({"type": "meta"})).await;
    assert_eq!(
        meta["universe"][0],
        serde_json::json!({"name": "BTC", "szDecimals": 4, "maxLeverage": meta["universe"][0]["maxLeverage"]})
    );
    assert!(meta["universe"][0]["maxLeverage"].as_u64().unwrap() >= 1);

    let book = info(addr, serde_json::json!({"type": "l2Book", "coin": "BTC"})).await;
    assert_eq!(book["coin"], "BTC");
    let bids = book["levels"][0].as_array().unwrap();
    assert!(bids.contains(&serde_json::json!({"px": hl(traded.bid_px), "sz": "0.5", "n": 1})), "{book}");

    let state = info(addr, serde_json::json!({"type": "clearinghouseState", "user": user})).await;
    let position = &state["assetPositions"][0]["position"];
    assert_eq!(position["coin"], "BTC");
    assert_eq!(position["szi"], "0.2");
    assert_eq!(position["entryPx"], hl(traded.fill_px));
    assert_eq!(position["leverage"]["type"], "cross");
    assert!(state["marginSummary"]["accountValue"].as_str().unwrap().parse::<Decimal>().unwrap().is_positive());

    let orders = info(addr, serde_json::json!({"type": "openOrders", "user": user})).await;
    assert_eq!(orders.as_array().unwrap().len(), 1, "{orders}");
    assert_eq!(orders[0]["limitPx"], hl(traded.bid_px));
    assert_eq!(orders[0]["sz"], "0.5");
    assert_eq!(orders[0]["side"], "B");
    assert_eq!(orders[0]["oid"], traded.bid_oid);
    assert_eq!(orders[0]["cloid"], "0x00000000000000000000000000000007");

    let by_cloid = info(
        addr,
        serde_json::json!({"type": "orderStatus", "user": user, "oid": "0x00000000000000000000000000000007"}),
    )
    .await;
    assert_eq!(by_cloid["status"], "order");
    assert_eq!(by_cloid["order"]["order"]["oid"], traded.bid_oid);
    let gone = info(addr, serde_json::json!({"type": "orderStatus", "user": user, "oid": 999_999_999u64})).await;
    assert_eq!(gone["status"], "unknownOid");

    let fills = info(addr, serde_json::json!({"type": "userFills", "user": user})).await;
    let fill = &fills[0];
    assert_eq!((&fill["coin"], &fill["side"], &fill["sz"]), (&"BTC".into(), &"B".into(), &"0.2".into()), "{fills}");
    assert_eq!(fill["px"], hl(traded.fill_px));
    assert_eq!(fill["dir"], "Open Long");
    assert_eq!(fill["startPosition"], "0.0");
    assert_eq!(fill["crossed"], true);
    // The buy that crossed no longer rests: it was filled.
    let filled = info(addr, serde_json::json!({"type": "orderStatus", "user": user, "oid": fill["oid"]})).await;
    assert_eq!(filled["order"]["status"], "filled", "{filled}");
    assert_eq!(filled["order"]["order"]["origSz"], "0.2");

    // Every order of the account with its latest status, newest first: the bid rests, the buy filled.
    let history = info(addr, serde_json::json!({"type": "historicalOrders", "user": user})).await;
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history}");
    assert_eq!((&entries[0]["status"], &entries[0]["order"]["oid"]), (&"open".into(), &traded.bid_oid.into()));
    assert_eq!(entries[0]["order"]["cloid"], "0x00000000000000000000000000000007");
    assert_eq!((&entries[1]["status"], &entries[1]["order"]["oid"]), (&"filled".into(), &fill["oid"]));
    assert_eq!(entries[1]["order"]["origSz"], "0.2");
    assert!(entries.iter().all(|e| e["statusTimestamp"].is_u64() && e["order"]["timestamp"].is_u64()));

    let fees = info(addr, serde_json::json!({"type": "userFees", "user": user})).await;
    assert_eq!((&fees["userCrossRate"], &fees["userAddRate"]), (&"0.0005".into(), &"-0.0001".into()), "{fees}");
    assert_eq!(fees["feeSchedule"]["cross"], "0.0005");
    assert_eq!(fees["dailyUserVlm"], serde_json::json!([]));
    let limit = info(addr, serde_json::json!({"type": "userRateLimit", "user": user})).await;
    let traded_usd = traded.fill_px.mul("0.2".parse().unwrap(), Rounding::HalfEven).unwrap();
    assert_eq!(limit["cumVlm"], hl(traded_usd), "{limit}");
    assert_eq!(limit["nRequestsUsed"], 0);
    let cap = 10_000 + traded_usd.round_to_int(Rounding::Floor).unwrap() as u64;
    assert_eq!(limit["nRequestsCap"], cap);
    let builder = format!("0x{}", "12".repeat(20));
    let fee = info(addr, serde_json::json!({"type": "maxBuilderFee", "user": user, "builder": builder})).await;
    assert_eq!(fee, serde_json::json!(0));
    // Funding settles into the balance when a position trades again: none yet.
    let funding = info(addr, serde_json::json!({"type": "userFunding", "user": user, "startTime": 0})).await;
    assert_eq!(funding, serde_json::json!([]));

    let now_ms = running.node.time_ms();
    let candles = info(
        addr,
        serde_json::json!({"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1m", "startTime": now_ms - 600_000, "endTime": now_ms}}),
    )
    .await;
    let candle = candles.as_array().unwrap().last().unwrap();
    assert_eq!((&candle["s"], &candle["i"], &candle["n"]), (&"BTC".into(), &"1m".into(), &1.into()), "{candles}");
    assert_eq!(candle["o"], hl(traded.fill_px));
    assert_eq!(candle["v"], "0.2");

    let contexts = info(addr, serde_json::json!({"type": "metaAndAssetCtxs"})).await;
    assert_eq!(contexts[0], meta);
    assert_eq!(contexts[1][0]["openInterest"], "0.2");
    assert_eq!(
        contexts[1][0]["dayNtlVlm"],
        hl(traded.fill_px.mul("0.2".parse().unwrap(), Rounding::HalfEven).unwrap())
    );

    let mids = info(addr, serde_json::json!({"type": "allMids"})).await;
    assert!(mids["BTC"].as_str().unwrap().parse::<Decimal>().unwrap().is_positive());
    assert_eq!(
        info(addr, serde_json::json!({"type": "spotMeta"})).await,
        serde_json::json!({"universe": [], "tokens": []})
    );
    assert_eq!(info(addr, serde_json::json!({"type": "perpDexs"})).await, serde_json::json!([null]));

    typescript_sdk_reads_the_same(&gateway, &traded).await;
    python_sdk_reads_the_same(&gateway, &traded).await;
    gateway.stop().await;
    // Its node handle too, so the devnet stops at once.
    drop(traded);
    drop(running.stop().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_never_a_panic() {
    let running = devnet("errors").await;
    let gateway = novation_hl_gateway::start(running.node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = gateway.addr();
    let cases: [(&str, &str); 11] = [
        (r#"{"type":"noSuchThing"}"#, "unknown info type"),
        (
            r#"{"type":"userFunding","user":"0x0000000000000000000000000000000000000001","startTime":"soon"}"#,
            "`startTime`",
        ),
        (r#"{"type":"maxBuilderFee","user":"0x0000000000000000000000000000000000000001"}"#, "`builder`"),
        (r#"{"type":"historicalOrders","user":"alice"}"#, "address"),
        (r#"{"type":"meta","colour":"blue"}"#, "unknown field"),
        (r#"{"type":"l2Book","coin":"DOGE"}"#, "unknown coin"),
        (r#"{"type":"clearinghouseState","user":"0x12"}"#, "address"),
        (r#"{"type":"candleSnapshot","req":{"coin":"BTC","interval":"7m","startTime":0}}"#, "interval"),
        (r#"{"type":"meta","dex":"other"}"#, "perp dex"),
        (r#"[1,2,3]"#, "JSON object"),
        (r#"{"type":"#, "not JSON"),
    ];
    for (body, expected) in cases {
        let (status, text) = http(addr, "POST", "/info", body.as_bytes()).await;
        assert_eq!(status, 422, "{body} → {text}");
        assert!(text.contains(expected), "{body} → {text}");
    }
    let huge = format!(r#"{{"type":"meta","pad":"{}"}}"#, "x".repeat(100_000));
    assert_eq!(http(addr, "POST", "/info", huge.as_bytes()).await.0, 413);
    assert_eq!(http(addr, "GET", "/info", b"").await.0, 405);
    assert_eq!(http(addr, "POST", "/nowhere", b"{}").await.0, 404);
    assert_eq!(http(addr, "GET", "/exchange", b"").await.0, 405);
    let (status, text) = http(addr, "POST", "/exchange", b"{\"nonce\":1}").await;
    assert_eq!(status, 200, "action errors are HTTP 200, as Hyperliquid's");
    let refusal: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(refusal["status"], "err");
    assert!(refusal["response"].as_str().unwrap().contains("`action`"), "{refusal}");
    // The gateway still answers after all that.
    assert_eq!(http(addr, "POST", "/info", br#"{"type":"meta"}"#).await.0, 200);
    gateway.stop().await;
    drop(running.stop().await);
}

/// Hyperliquid's official Python SDK (`tests/python/check_exchange.py`, demo key 0), then the
/// TypeScript SDK over HTTP and WebSocket (`tests/node/check_exchange.mjs`, demo key 1),
/// then CCXT's market orders (`tests/python/check_ccxt_trade.py`, demo key 2) trade through
/// the gateway on a devnet with its market maker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_trades_through_exchange() {
    let has_sdk = std::process::Command::new("python3")
        .args(["-c", "import hyperliquid.exchange"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        assert!(std::env::var("NOVATION_REQUIRE_PYTHON").as_deref() != Ok("1"), "hyperliquid-python-sdk is required");
        eprintln!("notice: skipping the Hyperliquid SDK trading test (pip install hyperliquid-python-sdk)");
        return;
    }
    let running = devnet_with("exchange", true).await;
    let gateway = novation_hl_gateway::start(running.node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let node = running.node.clone();
    wait_for("the market maker's quotes", || {
        node.with_state(|s| s.best_prices(BTC_PERP).is_some_and(|(bid, ask)| bid.is_some() && ask.is_some()))
    })
    .await;
    let secret: String = demo_key(0).secret_key_bytes().iter().map(|b| format!("{b:02x}")).collect();
    run_python("check_exchange.py", vec![gateway.url(), format!("0x{secret}")]).await;
    // Its `withdraw_from_bridge(25.0, user)` withdrew 25 USD from the account's subaccount 0.
    let request = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "nov_getAccountHistory",
        "params": [demo_key(0).address().to_string(), {"kind": "collateral"}],
    });
    let (_, body) = http(running.rpc_addr, "POST", "/", request.to_string().as_bytes()).await;
    let history: Value = serde_json::from_str(&body).unwrap();
    let withdrew = history["result"]["records"].as_array().unwrap().iter().any(|record| {
        let event = &record["event"]["Withdrew"];
        event["amount"] == "25" && event["subaccount"]["number"] == 0
    });
    assert!(withdrew, "no 25 USD withdrawal in {history}");
    let secret: String = demo_key(1).secret_key_bytes().iter().map(|b| format!("{b:02x}")).collect();
    run_node("check_exchange.mjs", vec![gateway.url(), format!("0x{secret}")]).await;
    let key = demo_key(2);
    let secret: String = key.secret_key_bytes().iter().map(|b| format!("{b:02x}")).collect();
    run_python("check_ccxt_trade.py", vec![gateway.url(), key.address().to_string(), format!("0x{secret}")]).await;
    gateway.stop().await;
    drop(running.stop().await);
}

/// Runs `tests/python/check_info.py` (the info requests) and `check_ws.py` (the WebSocket)
/// with the official SDK against the gateway.
async fn python_sdk_reads_the_same(gateway: &novation_hl_gateway::Gateway, traded: &Traded) {
    let has_sdk = std::process::Command::new("python3")
        .args(["-c", "import hyperliquid.info"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        assert!(std::env::var("NOVATION_REQUIRE_PYTHON").as_deref() != Ok("1"), "hyperliquid-python-sdk is required");
        eprintln!("notice: skipping the Hyperliquid SDK test (pip install hyperliquid-python-sdk)");
        return;
    }
    let (bid, fill) = (hl(traded.bid_px), hl(traded.fill_px));
    let user = traded.buyer.address().to_string();
    let info_args =
        [gateway.url(), user, bid.clone(), "0.5".into(), fill.clone(), "0.2".into(), traded.bid_oid.to_string()];
    run_python("check_info.py", info_args.to_vec()).await;
    ccxt_reads_the_same(gateway, traded, (&bid, &fill)).await;
    ws_sees_the_snapshot_then_a_live_trade(gateway, traded, (bid, fill)).await;
}

/// `check_ws.py` subscribes, checks the snapshots, says `SUBSCRIBED`; then a second trade
/// (0.1 BTC a little above the first) must reach it live.
async fn ws_sees_the_snapshot_then_a_live_trade(
    gateway: &novation_hl_gateway::Gateway,
    traded: &Traded,
    (bid, fill): (String, String),
) {
    use std::io::BufRead;
    let tick: Decimal = "0.1".parse().unwrap();
    let live_ticks = traded.fill_px.to_units(tick, Rounding::Floor).unwrap() as u64 + 10;
    let live_px = hl(Decimal::from_units(i128::from(live_ticks), tick).unwrap());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_ws.py");
    let mut child = std::process::Command::new("python3")
        .arg(path)
        .args([gateway.url(), bid, "0.5".into(), fill, "0.2".into(), live_px, "0.1".into()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut rest = Vec::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line == "SUBSCRIBED" {
                let _ = ready_tx.send(());
            } else {
                rest.push(line);
            }
        }
        rest.join("\n")
    });
    // Only once the script listens: the trade must reach it live, not in a snapshot.
    let ready =
        tokio::task::spawn_blocking(move || ready_rx.recv_timeout(Duration::from_secs(60)).is_ok()).await.unwrap();
    if ready {
        let (node, buyer, seller) = (&traded.node, &traded.buyer, demo_key(1));
        submit(node, &seller, OrderRequest::limit(0, BTC_PERP, Side::Sell, live_ticks, 1_000));
        let seller_id = SubaccountId::new(seller.address(), 0);
        wait_for("the live ask to rest", || node.with_state(|s| s.open_orders(seller_id).len() == 1)).await;
        submit(node, buyer, OrderRequest::limit(0, BTC_PERP, Side::Buy, live_ticks, 1_000));
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
    let rest = reader.join().unwrap();
    assert!(
        ready && output.status.success(),
        "check_ws.py failed:\n{rest}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("{rest}");
}

/// Runs `tests/node/check_info.mjs` with the TypeScript SDK (`@nktkas/hyperliquid`) when it
/// is installed (`npm install --prefix crates/hl-gateway/tests/node`; required when
/// `NOVATION_REQUIRE_NODE=1`, as CI sets).
async fn typescript_sdk_reads_the_same(gateway: &novation_hl_gateway::Gateway, traded: &Traded) {
    let args = vec![
        gateway.url(),
        traded.buyer.address().to_string(),
        hl(traded.bid_px),
        "0.5".into(),
        hl(traded.fill_px),
        "0.2".into(),
        traded.bid_oid.to_string(),
    ];
    run_node("check_info.mjs", args).await;
}

/// Runs a script of `tests/node` with the TypeScript SDK when it is installed (required when
/// `NOVATION_REQUIRE_NODE=1`).
async fn run_node(script: &'static str, args: Vec<String>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let installed = dir.join("node_modules/@nktkas/hyperliquid/package.json").exists()
        && dir.join("node_modules/viem/package.json").exists()
        && dir.join("node_modules/ws/package.json").exists()
        && std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        assert!(std::env::var("NOVATION_REQUIRE_NODE").as_deref() != Ok("1"), "@nktkas/hyperliquid is required");
        eprintln!("notice: skipping the TypeScript SDK test (npm install --prefix crates/hl-gateway/tests/node)");
        return;
    }
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(dir.join(script)).args(args).current_dir(dir).output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
}

/// Runs `tests/python/check_ccxt.py` (CCXT's `hyperliquid` exchange, read-only calls) when
/// CCXT is installed (required when `NOVATION_REQUIRE_PYTHON=1`).
async fn ccxt_reads_the_same(gateway: &novation_hl_gateway::Gateway, traded: &Traded, (bid, fill): (&str, &str)) {
    let has_ccxt =
        std::process::Command::new("python3").args(["-c", "import ccxt"]).output().is_ok_and(|o| o.status.success());
    if !has_ccxt {
        assert!(std::env::var("NOVATION_REQUIRE_PYTHON").as_deref() != Ok("1"), "ccxt is required");
        eprintln!("notice: skipping the CCXT test (pip install ccxt)");
        return;
    }
    let user = traded.buyer.address().to_string();
    let secret: String = traded.buyer.secret_key_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let (bid, fill) = (bid.to_string(), fill.to_string());
    let args = vec![gateway.url(), user, bid, "0.5".into(), fill, "0.2".into(), format!("0x{secret}")];
    run_python("check_ccxt.py", args).await;
}

async fn run_python(script: &'static str, args: Vec<String>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python").join(script);
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new("python3").arg(path).args(args).output())
            .await
            .unwrap()
            .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&output.stdout));
}

/// One masked client text frame (RFC 6455 §5.2), for a message under 126 bytes.
fn client_text_frame(text: &str) -> Vec<u8> {
    let mask = [0x11u8, 0x22, 0x33, 0x44];
    let mut frame = vec![0x81, 0x80 | text.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_answers_ping_and_ends_when_the_gateway_stops() {
    let running = devnet("ws-stop").await;
    let gateway = novation_hl_gateway::start(running.node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(gateway.addr()).await.unwrap();
    let upgrade = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    stream.write_all(upgrade.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // The accept key of RFC 6455's own example.
    assert!(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "{head}");
    stream.write_all(&client_text_frame(r#"{"method":"ping"}"#)).await.unwrap();
    let mut frame = [0u8; 2];
    stream.read_exact(&mut frame).await.unwrap();
    assert_eq!(frame[0], 0x81, "a final text frame");
    let mut payload = vec![0u8; usize::from(frame[1] & 0x7f)];
    stream.read_exact(&mut payload).await.unwrap();
    assert_eq!(String::from_utf8(payload).unwrap(), r#"{"channel":"pong"}"#);
    gateway.stop().await;
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the session ends when the gateway stops");
    drop(running.stop().await);
}
