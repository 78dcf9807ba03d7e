//! End to end: start `novation devnet` as a child process on a free port, then use the
//! binary as a user would — import a printed demo key, deposit, place and cancel an order,
//! query the account — and stop the devnet.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

use common::{free_port, Devnet};

fn novation(home: &Path, rpc: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home)
        .args(["--rpc", rpc])
        .args(args)
        .output()
        .expect("the novation binary runs")
}

fn ok(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn devnet_deposit_order_cancel_and_account_query() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let rpc = format!("http://127.0.0.1:{port}");
    let data_dir = home.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home.path().join("devnet-home"))
        .arg("devnet")
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--port", &port, "--block-time-ms", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet starts");
    let stdout = child.stdout.take().unwrap();
    let devnet = Devnet(child);
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    // The banner: a new chain, its data directory, the URLs, then the first demo key.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut banner = String::new();
    let secret = loop {
        let line = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("demo keys printed");
        banner += &line;
        banner += "\n";
        if let Some(at) = line.find("secret ") {
            assert!(line.trim_start().starts_with("demo1 "), "{line}");
            break line[at + "secret ".len()..].trim().to_string();
        }
    };
    assert!(banner.contains("new chain"), "{banner}");
    assert!(banner.contains(&format!("Data: {}", data_dir.display())), "{banner}");
    assert!(banner.contains(&format!("Dashboard: http://127.0.0.1:{port}/dashboard")), "{banner}");
    // The API answers.
    while novation(home.path(), &rpc, &["query", "status"]).status.code() != Some(0) {
        assert!(Instant::now() < deadline, "the devnet never answered at {rpc}");
        std::thread::sleep(Duration::from_millis(100));
    }

    ok(novation(home.path(), &rpc, &["keys", "import", "trader", &secret]));
    let deposit = ok(novation(home.path(), &rpc, &["tx", "--key", "trader", "deposit", "USD", "100"]));
    assert!(deposit.contains("result       ok") && deposit.contains("deposited"), "{deposit}");

    // Far from the mark (BTC starts at 60,000): outside the price band, refused.
    let far =
        novation(home.path(), &rpc, &["tx", "--key", "trader", "order", "BTC-PERP", "buy", "0.001", "--price", "1000"]);
    assert_eq!(far.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&far.stderr).contains("error 40"), "{}", String::from_utf8_lossy(&far.stderr));
    let order = ok(novation(
        home.path(),
        &rpc,
        &["tx", "--key", "trader", "order", "BTC-PERP", "buy", "0.001", "--price", "57000", "--client-id", "11"],
    ));
    assert!(order.contains("order accepted") && order.contains("order rested"), "{order}");
    let account = ok(novation(home.path(), &rpc, &["--json", "query", "account", "trader"]));
    let account: serde_json::Value = serde_json::from_str(&account).unwrap();
    assert_eq!(account["open_orders"], 1, "{account}");
    // The trader sees its order: id, client id, price, size, filled.
    let orders = ok(novation(home.path(), &rpc, &["query", "orders", "trader"]));
    assert!(orders.contains("BTC-PERP") && orders.contains("57000") && orders.contains("11"), "{orders}");
    assert!(orders.contains("0.001") && orders.contains("buy"), "{orders}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(novation(home.path(), &rpc, &["--json", "query", "orders", "trader"]))).unwrap();
    assert_eq!(listed["orders"][0]["client_order_id"], 11, "{listed}");
    assert_eq!(listed["orders"][0]["filled_lots"], 0, "{listed}");

    let cancel = ok(novation(home.path(), &rpc, &["tx", "--key", "trader", "cancel", "--client-id", "11"]));
    assert!(cancel.contains("order cancelled") && cancel.contains("reason=User"), "{cancel}");
    let orders = ok(novation(home.path(), &rpc, &["query", "orders", "trader"]));
    assert!(orders.contains("(none)"), "{orders}");

    // The node's address as host:port or ws:// works as well as http://.
    for form in [rpc.trim_start_matches("http://").to_string(), rpc.replace("http://", "ws://")] {
        let status = ok(novation(home.path(), &form, &["query", "status"]));
        assert!(status.contains("chain id"), "{form}: {status}");
    }

    // A transaction's status by hash: included with its result, or unknown.
    let receipt: serde_json::Value = serde_json::from_str(&ok(novation(
        home.path(),
        &rpc,
        &["--json", "tx", "--key", "trader", "deposit", "USD", "1"],
    )))
    .unwrap();
    let hash = receipt["tx_hash"].as_str().unwrap().to_string();
    let status = ok(novation(home.path(), &rpc, &["query", "tx", &hash]));
    assert!(status.contains("result       ok") && status.contains("deposited"), "{status}");
    let unknown = ok(novation(home.path(), &rpc, &["query", "tx", &format!("0x{}", "ab".repeat(32))]));
    assert!(unknown.contains("unknown"), "{unknown}");
    let malformed = novation(home.path(), &rpc, &["query", "tx", "0x12"]);
    assert_eq!(malformed.status.code(), Some(2));

    // A market order into an empty book fills nothing: a failure that says why.
    let unfilled = novation(home.path(), &rpc, &["tx", "--key", "trader", "order", "BTC-PERP", "buy", "0.001"]);
    let stderr = String::from_utf8_lossy(&unfilled.stderr);
    assert_eq!(unfilled.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("filled nothing") && stderr.contains("query book BTC-PERP"), "{stderr}");

    let account = ok(novation(home.path(), &rpc, &["query", "account", "trader"]));
    assert!(account.contains("USD") && account.contains("free collateral"), "{account}");
    let listed = ok(novation(home.path(), &rpc, &["query", "subaccounts", "--limit", "1"]));
    assert!(listed.contains("equity") && listed.contains("more: --after"), "{listed}");
    let backstop = ok(novation(home.path(), &rpc, &["query", "backstop"]));
    assert!(backstop.contains("drawdown") && backstop.contains("BTC-PERP"), "{backstop}");
    let rank = ok(novation(home.path(), &rpc, &["query", "adl-rank", "trader"]));
    assert!(rank.contains("no open positions"), "{rank}");
    assert!(account.contains("open orders: 0"), "{account}");

    // An ed25519 key trades for the trader's account once authorised as its agent.
    ok(novation(home.path(), &rpc, &["keys", "new", "--name", "bot", "--scheme", "ed25519"]));
    let refused = novation(home.path(), &rpc, &["tx", "--key", "bot", "--account", "trader", "cancel-all"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("error 33"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    ok(novation(home.path(), &rpc, &["tx", "--key", "trader", "authorize-agent", "bot"]));
    let agent_order = ok(novation(
        home.path(),
        &rpc,
        &["tx", "--key", "bot", "--account", "trader", "order", "ETH-PERP", "sell", "0.01", "--price", "3150"],
    ));
    assert!(agent_order.contains("order rested"), "{agent_order}");
    let cancel_all = ok(novation(home.path(), &rpc, &["tx", "--key", "bot", "--account", "trader", "cancel-all"]));
    assert!(cancel_all.contains("order cancelled"), "{cancel_all}");

    let off_grid = novation(home.path(), &rpc, &["tx", "--key", "trader", "order", "BTC-PERP", "buy", "0.00015"]);
    assert_eq!(off_grid.status.code(), Some(2), "refused before signing");
    assert!(String::from_utf8_lossy(&off_grid.stderr).contains("not a multiple of the lot size"));
    let unknown = novation(home.path(), &rpc, &["query", "book", "DOGE-PERP"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown market `DOGE-PERP`"));

    // Dated futures and options: the simulated smiles make both expiries valid in a few blocks.
    let surface = loop {
        let text = ok(novation(home.path(), &rpc, &["query", "surface", "--asset", "BTC"]));
        if text.matches("Valid").count() == 2 {
            break text;
        }
        assert!(Instant::now() < deadline, "the surface never became valid:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(surface.contains("  55%"), "{surface}");
    let series = ok(novation(home.path(), &rpc, &["query", "series"]));
    assert!(series.contains("future") && series.contains("-60000-C") && series.contains("put"), "{series}");
    let listed: serde_json::Value =
        serde_json::from_str(&ok(novation(home.path(), &rpc, &["--json", "query", "series"]))).unwrap();
    let symbol = listed[2]["symbol"].as_str().unwrap().to_string();
    let one = ok(novation(home.path(), &rpc, &["query", "series", "--market", &symbol]));
    assert_eq!(one.lines().count(), 3, "{one}");
    assert!(one.contains(&symbol), "{one}");
    let greeks = ok(novation(home.path(), &rpc, &["query", "greeks"]));
    assert!(greeks.contains("System Greeks"), "{greeks}");
    let greeks = ok(novation(home.path(), &rpc, &["query", "greeks", "--address", "trader"]));
    assert!(greeks.contains("(no positions)"), "{greeks}");
    let margin = ok(novation(home.path(), &rpc, &["query", "margin", "--address", "trader"]));
    assert!(margin.contains("Standard") && margin.contains("initial requirement"), "{margin}");
    let switched = ok(novation(
        home.path(),
        &rpc,
        &["tx", "--key", "trader", "margin-mode", "--mode", "portfolio", "--subaccount", "1"],
    ));
    assert!(switched.contains("result       ok"), "{switched}");
    let margin =
        ok(novation(home.path(), &rpc, &["--json", "query", "margin", "--address", "trader", "--subaccount", "1"]));
    let margin: serde_json::Value = serde_json::from_str(&margin).unwrap();
    assert_eq!(margin["mode"], "Portfolio", "{margin}");
    drop(devnet);
}

#[test]
fn a_node_runs_from_a_genesis_file_with_its_chain_id() {
    let home = tempfile::tempdir().unwrap();
    let genesis = home.path().join("genesis.json");
    let example = novation_protocol::params::Genesis::example(&[]);
    std::fs::write(&genesis, serde_json::to_string_pretty(&example).unwrap()).unwrap();
    let port = free_port().to_string();
    let rpc = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home.path())
        .args(["node", "--genesis"])
        .arg(&genesis)
        .args(["--port", &port, "--block-time-ms", "50", "--chain-id", "7"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let node = Devnet(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let output = novation(home.path(), &rpc, &["--json", "query", "status"]);
        if output.status.code() == Some(0) {
            break serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap();
        }
        assert!(Instant::now() < deadline, "the node never answered at {rpc}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status["chain_id"], 7);
    let markets = ok(novation(home.path(), &rpc, &["query", "markets"]));
    assert!(markets.contains("BTC-PERP") && markets.contains("ETH-PERP"), "{markets}");
    drop(node);
}
