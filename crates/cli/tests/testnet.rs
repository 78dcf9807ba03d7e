//! A validator network run the way an operator runs it: `novation testnet init` writes the
//! homes, one `novation node --home DIR/vI` process per validator, and `novation devnet
//! --validators 4` for all of them in one process. The chain survives a validator killed with
//! SIGKILL: the other three go on, and the restarted one catches up to the same blocks. A node
//! that finds blocks of another chain in its store halts, says why and exits with code 1.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Generous: four validators and a test harness share two loaded cores.
const PATIENCE: Duration = Duration::from_secs(240);

fn novation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_novation")).args(args).output().expect("the novation binary runs")
}

fn init(dir: &Path, base_port: u16) -> Value {
    let dir = dir.to_str().unwrap();
    let base = base_port.to_string();
    let output = novation(&[
        "--json",
        "testnet",
        "init",
        "--validators",
        "4",
        "--dir",
        dir,
        "--base-port",
        &base,
        "--block-time-ms",
        "100",
    ]);
    assert_eq!(output.status.code(), Some(0), "init: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("init --json prints JSON")
}

/// A JSON-RPC call; `None` while nothing answers.
fn rpc(port: u16, method: &str, params: Value) -> Option<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer = ureq::post(&format!("http://127.0.0.1:{port}/"))
        .timeout(Duration::from_secs(5))
        .set("content-type", "application/json")
        .send_string(&body.to_string())
        .ok()?
        .into_string()
        .ok()?;
    let answer: Value = serde_json::from_str(&answer).ok()?;
    answer.get("result").cloned()
}

fn height(port: u16) -> Option<u64> {
    rpc(port, "nov_status", json!([]))?["height"].as_u64()
}

/// Node processes that are killed when the test ends, passing or failing.
struct Nodes {
    children: Vec<Option<Child>>,
    logs: PathBuf,
}

impl Nodes {
    fn new(count: usize, logs: &Path) -> Nodes {
        Nodes { children: (0..count).map(|_| None).collect(), logs: logs.to_path_buf() }
    }

    /// Starts `novation ARGS`, its output appended to a log named after `slot`.
    fn spawn(&mut self, slot: usize, args: &[&str]) {
        let log = |suffix: &str| {
            let path = self.logs.join(format!("{slot}.{suffix}"));
            File::options().create(true).append(true).open(path).expect("log file")
        };
        let child = Command::new(env!("CARGO_BIN_EXE_novation"))
            .args(args)
            .stdout(Stdio::from(log("out")))
            .stderr(Stdio::from(log("err")))
            .spawn()
            .expect("novation starts");
        self.children[slot] = Some(child);
    }

    /// SIGKILL: no chance to flush or say goodbye.
    fn kill(&mut self, slot: usize) {
        if let Some(mut child) = self.children[slot].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Fails if a process exited (a halt or a start-up error), with its stderr.
    fn assert_alive(&mut self) {
        for (slot, child) in self.children.iter_mut().enumerate() {
            if let Some(Ok(Some(status))) = child.as_mut().map(Child::try_wait) {
                let stderr = std::fs::read_to_string(self.logs.join(format!("{slot}.err"))).unwrap_or_default();
                panic!("node {slot} exited ({status}): {stderr}");
            }
        }
    }

    fn stdout(&self, slot: usize) -> String {
        std::fs::read_to_string(self.logs.join(format!("{slot}.out"))).unwrap_or_default()
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for slot in 0..self.children.len() {
            self.kill(slot);
        }
    }
}

/// Waits until `check` holds, polling every 100 ms; fails with `what` after [`PATIENCE`].
fn wait_until(nodes: &mut Nodes, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check() {
        nodes.assert_alive();
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn heights(ports: &[u16]) -> Vec<Option<u64>> {
    ports.iter().map(|port| height(*port)).collect()
}

fn all_at_least(ports: &[u16], target: u64) -> bool {
    heights(ports).iter().all(|h| h.is_some_and(|h| h >= target))
}

#[test]
fn testnet_init_writes_a_home_per_validator_and_refuses_to_overwrite_one() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("testnet");
    let layout = init(&net, 26_000);
    let validators = layout["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4);
    for (i, validator) in validators.iter().enumerate() {
        let home = net.join(format!("v{i}"));
        for file in ["config.json", "genesis.json", "validators.json", "consensus_key.json", "p2p_key.json"] {
            assert!(home.join(file).is_file(), "{} lacks {file}", home.display());
        }
        assert_eq!(validator["rpc"], format!("http://127.0.0.1:{}", 26_000 + i));
        assert_eq!(validator["p2p_port"], 26_100 + i);
        assert_eq!(validator["command"], format!("novation node --home {}", home.display()));
        assert!(validator["address"].as_str().is_some_and(|a| a.starts_with("0x")), "{validator}");
    }

    let again = novation(&["testnet", "init", "--validators", "4", "--dir", net.to_str().unwrap()]);
    assert_ne!(again.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already holds a testnet"), "{stderr}");

    let other = dir.path().join("other");
    let none = novation(&["testnet", "init", "--validators", "0", "--dir", other.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2), "{}", String::from_utf8_lossy(&none.stderr));
    let high =
        novation(&["testnet", "init", "--validators", "4", "--dir", other.to_str().unwrap(), "--base-port", "65500"]);
    assert_eq!(high.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&high.stderr).contains("does not fit 4 validators"));
    assert!(!other.exists(), "a refused init writes nothing");

    let not_a_home = novation(&["--home", other.to_str().unwrap(), "node"]);
    assert_eq!(not_a_home.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_home.stderr).contains("--genesis FILE"));
}

#[test]
fn a_sigkilled_validator_restarts_and_catches_up_to_the_same_chain() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("testnet");
    let base = novation_consensus::network::free_base_port(6);
    init(&net, base);
    let ports: Vec<u16> = (0..4).map(|i| base + i).collect();
    let homes: Vec<String> = (0..4).map(|i| net.join(format!("v{i}")).display().to_string()).collect();
    let mut nodes = Nodes::new(4, dir.path());
    for (i, home) in homes.iter().enumerate() {
        nodes.spawn(i, &["--home", home, "node"]);
    }
    wait_until(&mut nodes, "all four at height 5", || all_at_least(&ports, 5));
    assert!(nodes.stdout(0).contains("(validator), chain id"), "the start banner: {}", nodes.stdout(0));

    // One of four killed: three are more than two thirds, the chain goes on.
    nodes.kill(3);
    assert_eq!(height(ports[3]), None, "validator 3 is down");
    let at_kill = heights(&ports[..3]).into_iter().flatten().max().unwrap();
    wait_until(&mut nodes, "the other three 5 blocks further", || all_at_least(&ports[..3], at_kill + 5));

    // Restarted with the same command, it recovers from its stores and catches up.
    let at_restart = heights(&ports[..3]).into_iter().flatten().max().unwrap();
    nodes.spawn(3, &["--home", &homes[3], "node"]);
    wait_until(&mut nodes, "the restarted validator caught up", || height(ports[3]).is_some_and(|h| h >= at_restart));

    // One chain: the same block hash and state root everywhere.
    for at in [1, at_kill, at_restart] {
        let headers: Vec<Value> = ports
            .iter()
            .map(|port| rpc(*port, "nov_getBlock", json!([at])).expect("the block")["header"].clone())
            .collect();
        for (i, header) in headers.iter().enumerate() {
            assert!(header["block_hash"].is_string(), "node {i}, block {at}: {header}");
            assert_eq!(header["block_hash"], headers[0]["block_hash"], "node {i}, block {at}");
            assert_eq!(header["state_root"], headers[0]["state_root"], "node {i}, block {at}");
        }
    }
}

#[test]
fn devnet_with_four_validators_advances_and_funds_the_demo_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (home, data_dir) = (dir.path().join("home"), dir.path().join("data"));
    let base = novation_consensus::network::free_base_port(6);
    let ports: Vec<u16> = (0..4).map(|i| base + i).collect();
    let mut nodes = Nodes::new(1, dir.path());
    let args = [
        "--home",
        home.to_str().unwrap(),
        "devnet",
        "--validators",
        "4",
        "--base-port",
        &base.to_string(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--block-time-ms",
        "100",
        "--market-maker",
    ];
    nodes.spawn(0, &args);
    wait_until(&mut nodes, "all four RPCs at height 3", || all_at_least(&ports, 3));
    let first = heights(&ports);
    wait_until(&mut nodes, "every validator's height advances", || {
        heights(&ports).iter().zip(&first).all(|(now, then)| now.unwrap_or(0) > then.unwrap_or(0))
    });

    let banner = nodes.stdout(0);
    assert!(banner.contains("SIMULATED: each validator's simulated feed, through vote extensions"), "{banner}");
    for port in &ports {
        assert!(banner.contains(&format!("RPC http://127.0.0.1:{port}")), "{banner}");
    }
    assert!(home.join("keys").join("demo1.json").is_file(), "the demo keys are in the key store");

    let demo = novation_node::demo_key(0).address().to_string();
    assert!(banner.contains(&demo), "{banner}");
    let mut account = Value::Null;
    wait_until(&mut nodes, "the demo key's deposit on validator 3", || {
        account = rpc(ports[3], "nov_getAccount", json!([demo, 0])).unwrap_or_default();
        account["nonce"].as_u64().is_some_and(|n| n >= 1)
    });
    let usd = account["balances"].as_array().and_then(|b| b.iter().find(|b| b["symbol"] == "USD")).cloned();
    assert_eq!(usd.map(|b| b["amount"].clone()), Some(json!("1000000")), "the USD deposit: {account}");

    // The market maker quotes through validator 0; its orders reach every validator.
    let rpc_url = format!("http://127.0.0.1:{}", ports[2]);
    wait_until(&mut nodes, "market maker bids on BTC-PERP", || {
        let book =
            novation(&["--home", home.to_str().unwrap(), "--rpc", &rpc_url, "--json", "query", "book", "BTC-PERP"]);
        let book: Value = serde_json::from_slice(&book.stdout).unwrap_or_default();
        book["bids"].as_array().is_some_and(|bids| !bids.is_empty())
    });
}

#[test]
fn a_node_given_another_chains_blocks_halts_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (ours, theirs) = (dir.path().join("ours"), dir.path().join("theirs"));
    let init_one = |net: &Path| {
        let base = novation_consensus::network::free_base_port(2).to_string();
        let output =
            novation(&["testnet", "init", "--validators", "1", "--dir", net.to_str().unwrap(), "--base-port", &base]);
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let config: Value = serde_json::from_slice(&std::fs::read(net.join("v0/config.json")).unwrap()).unwrap();
        config["rpc_addr"].as_str().unwrap().rsplit(':').next().unwrap().parse::<u16>().unwrap()
    };
    let their_port = init_one(&theirs);
    init_one(&ours);

    // Their one-validator chain decides a few blocks, then its consensus store is restored into
    // our home by mistake.
    let mut nodes = Nodes::new(1, dir.path());
    nodes.spawn(0, &["--home", theirs.join("v0").to_str().unwrap(), "node"]);
    wait_until(&mut nodes, "their chain at height 3", || height(their_port).is_some_and(|h| h >= 3));
    nodes.kill(0);
    std::fs::create_dir_all(ours.join("v0/data")).unwrap();
    std::fs::copy(theirs.join("v0/data/consensus.redb"), ours.join("v0/data/consensus.redb")).unwrap();

    let mut node = Command::new(env!("CARGO_BIN_EXE_novation"))
        .args(["--home", ours.join("v0").to_str().unwrap(), "node"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("novation starts");
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = node.kill();
            panic!("the node did not halt within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut node.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("halted at height 0") && stderr.contains("stored block 1"), "the halt reason: {stderr}");
}
