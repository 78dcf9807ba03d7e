//! Runs the built `novation` binary as a user would: help, keys in a temporary home, and the
//! errors a user meets first (no node running, a bad argument, an unknown key).

use std::path::Path;
use std::process::{Command, Output};

fn novation(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the novation binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A loopback address where nothing listens.
fn closed_rpc() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn help_lists_every_command() {
    let home = tempfile::tempdir().unwrap();
    let output = novation(home.path(), &["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for command in ["devnet", "node", "testnet", "keys", "tx", "query", "watch"] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
    let output = novation(home.path(), &["tx", "order", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("--post-only"));
}

#[test]
fn keys_are_created_listed_and_shown_in_the_home_directory() {
    let home = tempfile::tempdir().unwrap();
    let output = novation(home.path(), &["keys", "list"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("no keys yet"));

    let output = novation(home.path(), &["keys", "new", "--name", "alice"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("created key `alice`"));
    let output = novation(home.path(), &["keys", "new", "--scheme", "ed25519"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("`key1`"));
    let secret = "0x0000000000000000000000000000000000000000000000000000000000000001";
    let output = novation(home.path(), &["keys", "import", "one", secret]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let output = novation(home.path(), &["keys", "list"]);
    let text = stdout(&output);
    assert!(text.contains("alice") && text.contains("key1") && text.contains("ed25519"), "{text}");
    assert!(text.contains("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"), "{text}");
    assert!(!text.contains(secret), "list never prints secrets");

    let output = novation(home.path(), &["--json", "keys", "show", "one", "--secret"]);
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["address"], "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    assert_eq!(shown["secret"], secret);
    let output = novation(home.path(), &["--json", "keys", "show", "one"]);
    assert!(!stdout(&output).contains(secret));

    let output = novation(home.path(), &["keys", "new", "--name", "alice"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("already exists"));
}

#[test]
fn a_missing_node_is_a_friendly_error() {
    let home = tempfile::tempdir().unwrap();
    let rpc = closed_rpc();
    let output = novation(home.path(), &["--rpc", &rpc, "query", "status"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains(&format!("cannot reach the node at {rpc}: is `novation devnet` running?")), "{text}");
    assert!(!text.contains("panicked") && !text.contains("backtrace"), "{text}");

    novation(home.path(), &["keys", "new", "--name", "bob"]);
    let output = novation(home.path(), &["--rpc", &rpc, "tx", "--key", "bob", "deposit", "USD", "100"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("cannot reach the node"), "{}", stderr(&output));
}

#[test]
fn bad_input_is_refused_with_the_right_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let output = novation(home.path(), &["tx", "--key", "bob", "order", "BTC-PERP", "buy", "lots"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a decimal number"), "{}", stderr(&output));

    let output = novation(home.path(), &["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));

    let output = novation(home.path(), &["--rpc", &closed_rpc(), "tx", "--key", "nobody", "deposit", "USD", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unknown key `nobody`"), "{}", stderr(&output));

    let output = novation(home.path(), &["keys", "import", "x", "0x1234"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("bad secret key"), "{}", stderr(&output));
}

#[test]
fn json_errors_are_one_line_of_json_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let output = novation(home.path(), &["--json", "tx", "--key", "bob", "order", "BTC-PERP", "buy", "lots"]);
    assert_eq!(output.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_str(stderr(&output).trim()).unwrap();
    assert_eq!(error["error"]["code"], "usage", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("not a decimal number"), "{error}");
    let output = novation(home.path(), &["--json", "--rpc", &closed_rpc(), "query", "status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty(), "errors never go to stdout");
    let error: serde_json::Value = serde_json::from_str(stderr(&output).trim()).unwrap();
    assert_eq!(error["error"]["code"], "unreachable", "{error}");
    assert!(error["error"]["hint"].as_str().unwrap().contains("novation devnet"), "{error}");
    let output = novation(home.path(), &["--rpc", &closed_rpc(), "query", "status"]);
    assert!(stderr(&output).contains("\nhint: start one with `novation devnet`"), "{}", stderr(&output));
}

#[test]
fn an_omitted_account_is_the_only_stored_key() {
    let home = tempfile::tempdir().unwrap();
    let rpc = closed_rpc();
    let none = novation(home.path(), &["--rpc", &rpc, "query", "fills"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("there are no stored keys"), "{}", stderr(&none));
    novation(home.path(), &["keys", "new", "--name", "alice"]);
    // One key: it is the account, so the command gets as far as the (absent) node.
    let one = novation(home.path(), &["--rpc", &rpc, "query", "orders"]);
    assert_eq!(one.status.code(), Some(1));
    assert!(stderr(&one).contains("cannot reach the node"), "{}", stderr(&one));
    novation(home.path(), &["keys", "new", "--name", "bob"]);
    let two = novation(home.path(), &["--rpc", &rpc, "watch", "account", "--once"]);
    assert_eq!(two.status.code(), Some(2));
    assert!(stderr(&two).contains("one of alice, bob"), "{}", stderr(&two));
}

#[test]
fn quote_option_prints_black76_price_and_greeks_as_json() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(["quote", "option", "--forward", "100", "--strike", "110", "--vol", "0.6"])
        .args(["--expiry-days", "30", "--rate", "0.05", "--kind", "call", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Independent double-precision Black-76: 3.256848655447851, delta 0.3185538665440477.
    let price = value["price"].as_f64().unwrap();
    assert!((price - 3.256848655447851).abs() < 1e-12, "{value}");
    assert!((value["delta"].as_f64().unwrap() - 0.3185538665440477).abs() < 1e-12, "{value}");
    assert!(value["theta"].as_f64().unwrap() < 0.0);
    let implied = std::process::Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(["quote", "option", "--forward", "100", "--strike", "110", "--price", &price.to_string()])
        .args(["--expiry-days", "30", "--rate", "0.05", "--kind", "call", "--json"])
        .output()
        .unwrap();
    let implied: serde_json::Value = serde_json::from_slice(&implied.stdout).unwrap();
    assert!((implied["iv"].as_f64().unwrap() - 0.6).abs() < 1e-9, "{implied}");
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(["quote", "option", "--forward", "100", "--strike", "110", "--price", "300"])
        .args(["--expiry-days", "30", "--kind", "call"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
}
