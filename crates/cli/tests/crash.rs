//! Crash safety of the whole node: a devnet under load (its simulated feed and market maker
//! send transactions every block) is killed with SIGKILL at arbitrary moments and restarted on
//! the same data directory, several times. Every block it had acknowledged must still be there,
//! unchanged, and the restarted node — which replays every stored block from genesis and
//! refuses to start unless it reaches the stored state root — must keep producing blocks.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{free_port, Devnet};

fn novation(home: &Path, rpc: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home)
        .args(["--rpc", rpc, "--json"])
        .args(args)
        .output()
        .expect("the novation binary runs")
}

fn query(home: &Path, rpc: &str, args: &[&str]) -> Option<Value> {
    let output = novation(home, rpc, args);
    if output.status.code() != Some(0) {
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

fn start(home: &Path, data_dir: &Path, port: &str) -> Devnet {
    let child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home)
        .arg("devnet")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--port", port, "--block-time-ms", "20", "--market-maker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet starts");
    Devnet(child)
}

fn height(status: &Value) -> u64 {
    status["height"].as_u64().expect("status has a height")
}

/// Waits until the node answers and has produced a block past `after`.
fn wait_for_height(home: &Path, rpc: &str, after: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = query(home, rpc, &["query", "status"]) {
            if height(&status) > after {
                return height(&status);
            }
        }
        assert!(Instant::now() < deadline, "the node at {rpc} did not get past height {after}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_acknowledged_block_survives_sigkill_and_the_chain_continues() {
    let home = tempfile::tempdir().unwrap();
    let data_dir = home.path().join("data");
    let port = free_port().to_string();
    let rpc = format!("http://127.0.0.1:{port}");
    let mut acknowledged: Vec<(u64, Value)> = Vec::new();
    let mut last = 0;
    // Kill after these many milliseconds of running (fixed, so a failure replays).
    for (round, run_ms) in [350u64, 900, 120, 1_400, 600].into_iter().enumerate() {
        let devnet = start(&home.path().join("devnet-home"), &data_dir, &port);
        let now = wait_for_height(home.path(), &rpc, last);
        // Everything acknowledged before the previous kill is still there, unchanged.
        for (height, header) in &acknowledged {
            let block = query(home.path(), &rpc, &["query", "block", &height.to_string()]).expect("block query");
            assert_eq!(&block["header"], header, "round {round}: block {height} changed after a crash");
        }
        std::thread::sleep(Duration::from_millis(run_ms));
        // Acknowledge the latest block, then kill at once.
        if let Some(status) = query(home.path(), &rpc, &["query", "status"]) {
            let tip = height(&status);
            if let Some(block) = query(home.path(), &rpc, &["query", "block", &tip.to_string()]) {
                assert!(block["header"]["state_root"].is_string(), "block {tip} has a header: {block}");
                acknowledged.push((tip, block["header"].clone()));
                last = tip;
            }
        }
        drop(devnet);
        assert!(now >= 1);
    }
    assert!(acknowledged.len() >= 4, "the node acknowledged too few blocks: {acknowledged:?}");
    // A final restart replays everything and continues past the last acknowledged block.
    let _devnet = start(&home.path().join("devnet-home"), &data_dir, &port);
    let after = wait_for_height(home.path(), &rpc, last);
    assert!(after > last);
}
