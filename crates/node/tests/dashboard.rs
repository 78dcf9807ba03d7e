//! The browser dashboard (`GET /dashboard`, docs/dashboard.md): its route serves a fixed set
//! of embedded files and nothing else, and the page, rendered by a real headless Chromium
//! against a devnet with a market maker and a trade, shows the node's live values.
//!
//! The browser tests need `chromium` (Debian's package; `.ci/run` installs it) and `python3`
//! (the DevTools driver, `tests/python/dashboard_cdp.py`, uses only its standard library).
//! Without them they print a notice and pass, unless `NOVATION_REQUIRE_CHROMIUM=1`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use novation_node::{demo_key, start_devnet, DevnetConfig, RunningNode};
use novation_protocol::presets::BTC_PERP;
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::{Action, OrderAction, OrderRequest, Side};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHAIN_ID: u64 = 31337;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-dashboard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn devnet(dir: &std::path::Path, market_maker: bool) -> RunningNode {
    let config = DevnetConfig {
        data_dir: dir.to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 100,
        reset: true,
        market_maker,
        chain_id: CHAIN_ID,
        demo_accounts: 2,
        feed_seed: 5,
        rpc_limits: Default::default(),
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
        hyperliquid_network: Default::default(),
    };
    start_devnet(config).await.unwrap()
}

/// One raw HTTP/1.1 exchange: the status line, the headers (lower-cased names) and the body.
async fn exchange(addr: SocketAddr, method: &str, path: &str, host: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_serves_its_fixed_files_and_refuses_everything_else() {
    let dir = temp_dir("route");
    let running = devnet(&dir, false).await;
    let addr = running.rpc_addr;
    let host = format!("127.0.0.1:{}", addr.port());

    let (status, headers, body) = exchange(addr, "GET", "/dashboard", &host).await;
    assert_eq!(status, 200, "{headers:?}");
    assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"));
    let policy = header(&headers, "content-security-policy").expect("a Content-Security-Policy");
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("script-src 'self';") && policy.contains("style-src 'self';"), "{policy}");
    assert!(policy.contains(&format!("connect-src 'self' ws://{host} wss://{host};")), "{policy}");
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert!(body.contains("<title>novation"), "{body}");
    assert_eq!(exchange(addr, "GET", "/dashboard/?x=1", &host).await.2, body, "the page, with or without a slash");

    for (path, content_type, contains) in [
        ("/dashboard/app.js", "text/javascript; charset=utf-8", "nov_subscribeBlocks"),
        ("/dashboard/style.css", "text/css; charset=utf-8", "--bg"),
        ("/dashboard/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "uPlot"),
        ("/dashboard/vendor/uPlot.min.css", "text/css; charset=utf-8", ".uplot"),
        ("/dashboard/vendor/uPlot.LICENSE", "text/plain; charset=utf-8", "MIT License"),
    ] {
        let (status, headers, body) = exchange(addr, "GET", path, &host).await;
        assert_eq!((status, header(&headers, "content-type")), (200, Some(content_type)), "{path}");
        assert!(body.contains(contains), "{path}");
    }

    let (status, headers, body) = exchange(addr, "HEAD", "/dashboard/app.js", &host).await;
    assert_eq!(status, 200);
    let length: usize = header(&headers, "content-length").unwrap().parse().unwrap();
    assert_eq!(length, exchange(addr, "GET", "/dashboard/app.js", &host).await.2.len());
    assert!(body.is_empty(), "HEAD has no body");

    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let (status, headers, _) = exchange(addr, method, "/dashboard", &host).await;
        assert_eq!(status, 405, "{method}");
        assert_eq!(header(&headers, "allow"), Some("GET, HEAD"), "{method}");
    }

    for path in [
        "/dashboard/../metrics",
        "/dashboard/%2e%2e/metrics",
        "/dashboard/..%2f..%2fCargo.toml",
        "/dashboard/vendor/../app.js",
        "/dashboard//app.js",
        "/dashboard/APP.JS",
        "/dashboard/app.js/",
        "/dashboard/index.html",
        "/dashboard/vendor/",
        "/dashboard/vendor/uplot/LICENSE",
        "/dashboard/.%2e/src/lib.rs",
    ] {
        let (status, headers, body) = exchange(addr, "GET", path, &host).await;
        assert_eq!(status, 404, "{path}: {headers:?} {body}");
        assert_eq!(body, "not found\n", "{path}");
    }

    // The other routes are untouched, and the front door still guards the dashboard.
    assert_eq!(exchange(addr, "GET", "/metrics", &host).await.0, 200);
    assert_eq!(exchange(addr, "GET", "/dashboard", "evil.example").await.0, 403);
    let client = HttpClientBuilder::default().build(format!("http://{addr}")).unwrap();
    let status: Value = client.request("nov_status", rpc_params![]).await.unwrap();
    assert!(status["height"].is_u64(), "{status}");

    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether the browser tests can run here; panics if they must and cannot.
fn chromium_available() -> bool {
    let has = |program: &str, arg: &str| {
        std::process::Command::new(program).arg(arg).output().is_ok_and(|o| o.status.success())
    };
    let browser = std::env::var("NOVATION_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let available = has("python3", "--version") && has(&browser, "--version");
    if !available {
        assert!(
            std::env::var("NOVATION_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "chromium and python3 are required (NOVATION_REQUIRE_CHROMIUM=1)"
        );
        eprintln!("notice: skipping the headless-Chromium dashboard test (apt-get install chromium)");
    }
    available
}

/// Runs the DevTools driver on `url`; returns its JSON answer after checking the page raised
/// no error of any kind.
async fn browse(url: String, ready: &str, action: Option<&str>, after: &str, report: &str) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/dashboard_cdp.py");
    let mut command = std::process::Command::new("python3");
    command.arg(script).arg(&url).args(["--ready", ready, "--after", after, "--report", report, "--timeout", "60"]);
    if let Some(action) = action {
        command.args(["--action", action]);
    }
    let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["ready"], true, "the page never got ready: {answer}");
    for kind in ["exceptions", "console_errors", "log_errors"] {
        assert_eq!(answer[kind], serde_json::json!([]), "{kind}: {answer}");
    }
    assert_eq!(answer["report"]["errors"], "", "the page's error box: {answer}");
    answer
}

async fn call(client: &HttpClient, method: &str, params: jsonrpsee::core::params::ArrayParams) -> Value {
    client.request(method, params).await.unwrap()
}

/// Buys `lots` of BTC-PERP at the market maker's best ask and waits for the fill.
async fn take_the_best_ask(client: &HttpClient, running: &RunningNode, trader: &Eip712Signer, lots: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let ask = loop {
        let book = call(client, "nov_getBook", rpc_params!["BTC-PERP", 1]).await;
        if let Some(ticks) = book["asks"][0]["price_ticks"].as_u64() {
            break ticks;
        }
        assert!(Instant::now() < deadline, "the market maker never quoted BTC-PERP");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let address = trader.address().to_string();
    let nonce = call(client, "nov_getNonce", rpc_params![address]).await.as_u64().unwrap();
    let order = OrderRequest::limit(0, BTC_PERP, Side::Buy, ask, lots);
    let envelope =
        trader.sign(&TxPayload::new(CHAIN_ID, trader.address(), nonce, vec![Action::Order(OrderAction::Place(order))]));
    let hash =
        call(client, "nov_sendTransaction", rpc_params![envelope]).await["tx_hash"].as_str().unwrap().to_string();
    loop {
        let tx = call(client, "nov_getTransaction", rpc_params![hash.clone()]).await;
        if tx["status"] == "included" {
            assert_eq!(tx["result"]["ok"], true, "{tx}");
            break;
        }
        assert!(Instant::now() < deadline, "the order was not included");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let trades = call(client, "nov_getTrades", rpc_params!["BTC-PERP", 1]).await;
    assert!(!trades.as_array().unwrap().is_empty(), "no fill: {trades} (height {})", running.node.height());
}

/// What the system page shows, read from its DOM.
const SYSTEM_REPORT: &str = r##"(() => {
  const rows = (id) => [...document.querySelectorAll(`#${id} tr`)];
  const raw = (sel) => document.querySelector(sel)?.dataset.raw ?? null;
  return {
    errors: document.getElementById("errors").textContent,
    connection: document.getElementById("connection").textContent,
    connects: Number(document.body.dataset.connects || 0),
    height: Number(document.getElementById("height").textContent),
    markets: rows("markets").map((r) => r.dataset.market),
    btc_index: raw('#oracles tr[data-asset="BTC"] td[data-raw]'),
    btc_validity: document.querySelector('#oracles tr[data-asset="BTC"] td[data-validity]')?.dataset.validity ?? null,
    leverage: document.getElementById("system-leverage").textContent,
    insurance_fund: raw("#insurance-fund"),
    health: rows("health-counts").map((r) => Number(r.querySelector("[data-count]").dataset.count)),
    health_chart: document.querySelectorAll("#chart-health canvas").length,
    closest: rows("closest").map((r) => r.querySelector("a")?.title ?? null),
    reserves: rows("reserves").map((r) => r.dataset.asset),
    smile_charts: document.querySelectorAll("#smiles canvas").length,
    bids: rows("book-bids").length,
    asks: rows("book-asks").length,
    trades: rows("trades").length,
    // The page's exact decimal arithmetic (display rounding, trade price = ticks × tick size).
    decimals: [fmt("1234567.125", 2), fmt("-0.00005", 4), fmt("-0.00004", 4), mulDec("600905", "0.1"),
      addDec("14000041.02", negDec("14000000")), fmt(null)],
  };
})()"##;

const SYSTEM_READY: &str = r##"document.body.dataset.loaded === "1"
  && Number(document.body.dataset.blocks || 0) >= 2
  && document.querySelectorAll("#book-bids tr").length > 0
  && document.querySelectorAll("#trades tr").length > 0
  && document.querySelectorAll("#smiles canvas").length > 0"##;

/// Kills the page's WebSocket twice: closed (as when the node restarts), then deaf (open but
/// silent, as when a route drops), which only the page's silence probe can notice.
const BREAK_SOCKET: &str = r##"(async () => {
  const until = async (ok) => { while (!ok()) await new Promise((r) => setTimeout(r, 100)); };
  const blocks = () => Number(document.body.dataset.blocks);
  const connects = () => Number(document.body.dataset.connects);
  const live = () => document.getElementById("connection").className === "conn-up" && api.handlers.size >= 3;
  const before = blocks();
  api.socket.close();
  await until(() => connects() >= 2 && live() && blocks() >= before + 2);
  window.blocksBeforeDeaf = blocks();
  api.socket.onmessage = null;
  api.lastMessageAt = 0;
  return true;
})()"##;

/// Reconnected after both, resubscribed (blocks, book, trades) and receiving blocks again.
const RECONNECTED: &str = r##"Number(document.body.dataset.connects) >= 3
  && document.getElementById("connection").className === "conn-up"
  && api.handlers.size >= 3
  && Number(document.body.dataset.blocks) >= window.blocksBeforeDeaf + 2"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_shows_the_live_height_book_trades_health_and_an_account() {
    if !chromium_available() {
        return;
    }
    let dir = temp_dir("chromium");
    let running = devnet(&dir, true).await;
    let client = HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap();
    take_the_best_ask(&client, &running, &demo_key(0), 10).await;
    let url = format!("http://127.0.0.1:{}/dashboard", running.rpc_addr.port());

    let height_before = running.node.height();
    let answer = browse(url.clone(), SYSTEM_READY, Some(BREAK_SOCKET), RECONNECTED, SYSTEM_REPORT).await;
    let height_after = running.node.height();
    let shown = &answer["report"];
    let height = shown["height"].as_u64().unwrap();
    assert!(height > height_before && height <= height_after, "height {height} not live: {shown}");
    assert!(shown["connects"].as_u64().unwrap() >= 3, "the page did not reconnect twice: {shown}");
    assert_eq!(shown["connection"], "live", "{shown}");
    let markets: Vec<&str> = shown["markets"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(markets.contains(&"BTC-PERP") && markets.contains(&"ETH-PERP"), "{shown}");
    // The oracle price shown is the node's (to within the moves of a few blocks).
    let node_index: f64 =
        running.node.with_state(|s| s.market(BTC_PERP)).and_then(|m| m.index).unwrap().to_string().parse().unwrap();
    let shown_index: f64 = shown["btc_index"].as_str().expect("a BTC index").parse().unwrap();
    assert!((shown_index / node_index - 1.0).abs() < 0.05, "index {shown_index} vs the node's {node_index}");
    assert_eq!(shown["btc_validity"], "Valid", "{shown}");
    assert!(shown["leverage"].as_str().unwrap().ends_with('x'), "{shown}");
    assert!(shown["insurance_fund"].as_str().is_some_and(|s| s.parse::<f64>().is_ok()), "{shown}");
    // The taker and the market maker hold positions: the histogram counts both.
    let health: Vec<u64> = shown["health"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).collect();
    assert_eq!(health.len(), 5, "{shown}");
    assert!(health.iter().sum::<u64>() >= 2, "{shown}");
    assert_eq!(shown["health_chart"], 1, "{shown}");
    let taker = format!("{}/0", demo_key(0).address());
    assert!(shown["closest"].as_array().unwrap().iter().any(|a| a.as_str() == Some(taker.as_str())), "{shown}");
    assert!(shown["reserves"].as_array().unwrap().iter().any(|a| a == "USD"), "{shown}");
    assert!(shown["smile_charts"].as_u64().unwrap() >= 1, "{shown}");
    assert!(shown["bids"].as_u64().unwrap() > 0 && shown["asks"].as_u64().unwrap() > 0, "{shown}");
    assert!(shown["trades"].as_u64().unwrap() > 0, "{shown}");
    let thin = '\u{2009}';
    let decimals = serde_json::json!([format!("1{thin}234{thin}567.13"), "-0.0001", "0", "60090.5", "41.02", "–"]);
    assert_eq!(shown["decimals"], decimals, "{shown}");

    // The account page of a demo key shows its balances exactly as nov_getAccount gives them.
    let holder = demo_key(1).address().to_string();
    let account = call(&client, "nov_getAccount", rpc_params![holder.clone(), 0]).await;
    let answer = browse(
        format!("{url}#account={holder}&sub=0"),
        r##"document.body.dataset.loaded === "1" && !document.getElementById("account-body").hidden"##,
        None,
        "true",
        r##"({errors: document.getElementById("errors").textContent,
             system_hidden: document.getElementById("system-page").hidden,
             balances: Object.fromEntries([...document.querySelectorAll("#acct-balances tr")]
               .map((r) => [r.dataset.asset, r.querySelector("td[data-raw]").dataset.raw]))})"##,
    )
    .await;
    let shown = &answer["report"];
    assert_eq!(shown["system_hidden"], true, "{shown}");
    for balance in account["balances"].as_array().unwrap() {
        let symbol = balance["symbol"].as_str().unwrap();
        assert_eq!(shown["balances"][symbol], balance["amount"], "{symbol}: {shown} vs {account}");
    }
    assert!(!account["balances"].as_array().unwrap().is_empty(), "{account}");

    running.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
