//! End to end: `novation devnet --hl-port PORT`, `novation devnet --validators N --hl-port
//! PORT` (from validator 0) and `novation node --home DIR --hl-port PORT` (from that
//! validator) serve the Hyperliquid-compatible API beside the node's RPC, announce it, and
//! answer `POST /info`; a port that is not one is refused before anything starts.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

use common::{free_port, Devnet};

/// `POST /info` with `body`; the status and the response body.
fn post_info(port: u16, body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST /info HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// Generous: validators and a test harness share two loaded cores.
const PATIENCE: Duration = Duration::from_secs(180);

/// Spawns `novation ARGS` with stdout piped; the process dies with the returned guard.
fn spawn(args: &[&str]) -> (Devnet, mpsc::Receiver<String>) {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("novation starts");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    (Devnet(child), lines)
}

/// The first stdout line that starts with `Hyperliquid API:`.
fn announced(lines: &mpsc::Receiver<String>) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let line = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the banner");
        if line.trim_start().starts_with("Hyperliquid API:") {
            return line;
        }
    }
}

/// Checks the gateway on `hl_port` answers `meta` with the perpetual universe.
fn assert_serves_meta(hl_port: u16) {
    let (status, body) = post_info(hl_port, r#"{"type":"meta"}"#);
    assert_eq!(status, 200, "{body}");
    let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(meta["universe"][0]["name"], "BTC", "{meta}");
}

/// `novation testnet init` of `validators` validators into `dir`, on free ports.
fn init_testnet(dir: &Path, validators: u16) {
    let base = novation_consensus::network::free_base_port(validators + 2).to_string();
    let count = validators.to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(["testnet", "init", "--validators", &count, "--dir", dir.to_str().unwrap(), "--base-port", &base])
        .args(["--block-time-ms", "100"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "init: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn devnet_with_hl_port_serves_hyperliquid_info_and_says_where() {
    let home = tempfile::tempdir().unwrap();
    let (port, hl_port) = (free_port().to_string(), free_port());
    let (home_dir, data_dir) = (home.path().join("devnet-home"), home.path().join("data"));
    let hl = hl_port.to_string();
    let (_devnet, lines) = spawn(&[
        "--home",
        home_dir.to_str().unwrap(),
        "devnet",
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--port",
        &port,
        "--hl-port",
        &hl,
        "--block-time-ms",
        "50",
    ]);
    let announced = announced(&lines);
    assert!(announced.contains(&format!("http://127.0.0.1:{hl_port}/info")), "{announced}");
    assert_serves_meta(hl_port);
    let (status, body) = post_info(hl_port, r#"{"type":"nothing"}"#);
    assert_eq!(status, 422, "{body}");
}

#[test]
fn a_validator_devnet_with_hl_port_serves_validator_0s_node() {
    let dir = tempfile::tempdir().unwrap();
    let (home, data_dir) = (dir.path().join("home"), dir.path().join("data"));
    // The gateway's port is an ephemeral one; validators' ports lie below that range.
    let (base, hl_port) = (novation_consensus::network::free_base_port(4).to_string(), free_port());
    let hl = hl_port.to_string();
    let (_devnet, lines) = spawn(&[
        "--home",
        home.to_str().unwrap(),
        "devnet",
        "--validators",
        "2",
        "--base-port",
        &base,
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--block-time-ms",
        "100",
        "--hl-port",
        &hl,
    ]);
    let announced = announced(&lines);
    assert!(announced.contains(&format!("http://127.0.0.1:{hl_port}/info")) && announced.contains("v0"), "{announced}");
    assert_serves_meta(hl_port);
}

#[test]
fn a_validator_node_with_hl_port_serves_its_own_node() {
    let dir = tempfile::tempdir().unwrap();
    init_testnet(dir.path(), 1);
    let (home, hl_port) = (dir.path().join("v0"), free_port());
    let hl = hl_port.to_string();
    let (_node, lines) = spawn(&["--home", home.to_str().unwrap(), "node", "--hl-port", &hl]);
    let announced = announced(&lines);
    assert!(announced.contains(&format!("http://127.0.0.1:{hl_port}/info")), "{announced}");
    assert_serves_meta(hl_port);
}

#[test]
fn an_hl_port_that_is_no_port_or_the_nodes_own_is_refused_before_starting() {
    let novation = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_novation")).args(args).output().unwrap();
    for bad in ["http", "70000"] {
        let output = novation(&["node", "--hl-port", bad]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--hl-port"), "{bad}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    init_testnet(dir.path(), 1);
    let home = dir.path().join("v0");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("config.json")).unwrap()).unwrap();
    let rpc_port = config["rpc_addr"].as_str().and_then(|a| a.rsplit(':').next()).unwrap().to_string();
    let output = novation(&["--home", home.to_str().unwrap(), "node", "--hl-port", &rpc_port]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("--hl-port {rpc_port} is its RPC port")), "{stderr}");
}
