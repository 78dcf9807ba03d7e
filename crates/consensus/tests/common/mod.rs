//! A 4-validator network on loopback for the tests: free ports, a temporary directory, and
//! waits with generous deadlines (a loaded 2-core machine runs four validators at once).
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use novation_consensus::network::{free_base_port, init_testnet, load_home, TestnetLayout};
use novation_consensus::validator::{start_misbehaving_validator, Misbehaviour};
use novation_consensus::{start_validator, RunningValidator, ValidatorConfig};

pub struct Net {
    pub dir: tempfile::TempDir,
    pub layout: TestnetLayout,
    pub nodes: Vec<Option<RunningValidator>>,
}

/// Block time of the test networks (ms).
pub const BLOCK_MS: u64 = 100;

impl Net {
    pub async fn start(validators: usize) -> Net {
        Net::start_with(validators, |_, _| {}).await
    }

    /// A network whose validator configurations `adjust` may change before they start;
    /// validator `i` misbehaves as `misbehaviour(i)` says.
    pub async fn start_with(validators: usize, adjust: impl Fn(usize, &mut ValidatorConfig)) -> Net {
        Net::start_byzantine(validators, adjust, |_| None).await
    }

    pub async fn start_byzantine(
        validators: usize,
        adjust: impl Fn(usize, &mut ValidatorConfig),
        misbehaviour: impl Fn(usize) -> Option<Misbehaviour>,
    ) -> Net {
        let dir = tempfile::tempdir().unwrap();
        let base = free_base_port(validators as u16 + 2);
        let layout = init_testnet(dir.path(), validators, base, BLOCK_MS).unwrap();
        let mut nodes = Vec::new();
        for (i, home) in layout.homes.iter().enumerate() {
            let mut config = load_home(home).unwrap();
            adjust(i, &mut config);
            let node = match misbehaviour(i) {
                Some(m) => start_misbehaving_validator(config, m).await.unwrap(),
                None => start_validator(config).await.unwrap(),
            };
            nodes.push(Some(node));
        }
        Net { dir, layout, nodes }
    }

    /// Waits until `check` holds for every running node.
    pub async fn wait_until(&self, what: &str, within: Duration, check: impl Fn(&RunningValidator) -> bool) {
        let deadline = Instant::now() + within;
        while !self.running().all(&check) {
            assert!(Instant::now() < deadline, "{what}: not within {within:?} (heights {:?})", self.heights());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn heights(&self) -> Vec<u64> {
        self.running().map(|n| n.node.height()).collect()
    }

    pub fn node(&self, i: usize) -> &RunningValidator {
        self.nodes[i].as_ref().expect("running")
    }

    pub fn running(&self) -> impl Iterator<Item = &RunningValidator> {
        self.nodes.iter().flatten()
    }

    pub async fn kill(&mut self, i: usize) {
        let node = self.nodes[i].take().expect("running");
        drop(node.stop().await);
    }

    pub async fn restart(&mut self, i: usize) {
        assert!(self.nodes[i].is_none());
        let config = load_home(&self.layout.homes[i]).unwrap();
        self.nodes[i] = Some(start_validator(config).await.unwrap());
    }

    /// Waits until every running node has committed `height`.
    pub async fn wait_all(&self, height: u64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let heights: Vec<u64> = self.running().map(|n| n.node.height()).collect();
            if heights.iter().all(|h| *h >= height) {
                return;
            }
            assert!(Instant::now() < deadline, "not all nodes reached height {height} in {within:?}: {heights:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn min_height(&self) -> u64 {
        self.running().map(|n| n.node.height()).min().unwrap_or(0)
    }

    pub fn max_height(&self) -> u64 {
        self.running().map(|n| n.node.height()).max().unwrap_or(0)
    }

    /// Every running node has the same header (hash and state root) at every height up to
    /// the lowest one they all reached.
    pub fn assert_one_chain(&self) {
        let top = self.min_height();
        for height in 1..=top {
            let headers: Vec<_> = self.running().map(|n| n.node.header_at(height).unwrap().unwrap()).collect();
            for header in &headers[1..] {
                assert_eq!(header.hash(), headers[0].hash(), "block hash at height {height}");
                assert_eq!(header.state_root, headers[0].state_root, "state root at height {height}");
            }
        }
    }
}
