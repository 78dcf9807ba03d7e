//! A validator network on one machine: `novation testnet init` writes a home per validator
//! ([`init_testnet`]), `novation node --home` runs one ([`load_home`]), and
//! `novation devnet --validators N` runs them all in one process ([`start_local_network`]).
//!
//! Ports: validator `i` serves JSON-RPC on `base_port + i` and listens for peers on
//! `base_port + 100 + i` (default base port [`DEFAULT_BASE_PORT`]).
//!
//! A home holds:
//!
//! | file | what | back it up? |
//! | --- | --- | --- |
//! | `consensus_key.json` | the validator's ed25519 consensus key (mode 0600) | **yes**: it is the validator; never run two nodes with it |
//! | `p2p_key.json` | the node's p2p identity | yes (peers know it) |
//! | `config.json` | moniker, addresses, peers, block time, price source | yes |
//! | `genesis.json`, `validators.json` | the chain's genesis and validator set | yes (same on every node) |
//! | `data/` | `chain.redb`, `consensus.redb`, `wal/` | no: a node without it resyncs from its peers |

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use malachitebft_signing_ed25519::{PrivateKey, PublicKey};
use novation_node::{hex, NodeError, RpcLimits};
use novation_protocol::params::Genesis;
use novation_types::Address;
use serde::{Deserialize, Serialize};

use crate::context::ValidatorAddress;
use crate::oracle::{NoPrices, PriceSource, SimulatedPriceSource};
use crate::validator::{lan_timeouts, start_validator, validator_set, PubSub, RunningValidator, ValidatorConfig};

/// Default first port of a testnet.
pub const DEFAULT_BASE_PORT: u16 = 26_000;

/// Offset of the p2p ports from the RPC ports.
pub const P2P_PORT_OFFSET: u16 = 100;

/// Default chain id of a validator testnet.
pub const TESTNET_CHAIN_ID: u64 = 31_338;

/// Default least time between blocks of a validator network (ms).
pub const DEFAULT_BLOCK_TIME_MS: u64 = 250;

/// A node's `config.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeConfig {
    /// Its name.
    pub moniker: String,
    /// Chain id.
    pub chain_id: u64,
    /// Its API address.
    pub rpc_addr: SocketAddr,
    /// Its p2p address.
    pub p2p_addr: SocketAddr,
    /// Peers' p2p addresses.
    pub peers: Vec<SocketAddr>,
    /// Peers' API addresses (client transactions are relayed there).
    pub relay_to: Vec<SocketAddr>,
    /// Least time between blocks, ms.
    pub block_time_ms: u64,
    /// The price source: `"simulated"` (the devnet's SIMULATED feed, not market data) or
    /// `"none"`.
    pub price_source: String,
    /// Seed of the simulated feed.
    pub feed_seed: u64,
    /// Index of this node among the validators (noise of its simulated feed).
    pub index: u64,
    /// How consensus messages reach peers: `"broadcast"` (to every connected peer, never
    /// relayed: every node here connects to every validator) or `"gossipsub"` (relayed, the
    /// default when absent). The same on every node of a network.
    #[serde(default)]
    pub pubsub: PubSub,
}

/// One validator of `validators.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorEntry {
    /// Its ed25519 consensus public key, hex.
    pub public_key: String,
    /// Its voting power.
    pub power: u64,
    /// Its address (derived from the key; for reading).
    pub address: Address,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    secret: String,
}

fn io(error: impl std::fmt::Display) -> NodeError {
    NodeError::Genesis(error.to_string())
}

fn random_secret() -> [u8; 32] {
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

fn parse_hex32(text: &str) -> Result<[u8; 32], NodeError> {
    let parsed = novation_node::parse_hash(text).ok_or_else(|| io("a key is 32 bytes of hex"))?;
    Ok(parsed)
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), NodeError> {
    let text = serde_json::to_string_pretty(value).map_err(io)?;
    std::fs::write(path, text + "\n")?;
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, NodeError> {
    let text = std::fs::read(path).map_err(|e| io(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&text).map_err(|e| io(format!("{}: {e}", path.display())))
}

fn write_secret(path: &Path, secret: &[u8; 32]) -> Result<(), NodeError> {
    write_json(path, &KeyFile { secret: hex(secret) })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The genesis of a validator chain: the devnet's markets, futures and options, with the
/// validators as the oracle's publishers (weight = voting power) and a two-thirds stake
/// quorum.
pub fn validator_genesis(validators: &[(PublicKey, u64)]) -> Genesis {
    let addresses: Vec<Address> = validators.iter().map(|(key, _)| ValidatorAddress::of(key).0).collect();
    let mut genesis = novation_node::devnet_genesis_with_series(&addresses);
    for (publisher, (_, power)) in genesis.publishers.iter_mut().zip(validators) {
        publisher.weight = u32::try_from(*power).unwrap_or(u32::MAX);
    }
    genesis.oracle.quorum = 1;
    genesis.oracle.quorum_stake_ppm = novation_protocol::params::VALIDATOR_CHAIN_QUORUM_STAKE;
    genesis
}

/// What `init_testnet` wrote.
#[derive(Clone, Debug)]
pub struct TestnetLayout {
    /// The homes, `v0`, `v1`, …
    pub homes: Vec<PathBuf>,
    /// Their API addresses.
    pub rpc_addrs: Vec<SocketAddr>,
}

/// Writes a testnet of `validators` validators (power 1 each) under `dir`: one home per
/// validator with fresh random keys, the same genesis everywhere.
pub fn init_testnet(
    dir: &Path,
    validators: usize,
    base_port: u16,
    block_time_ms: u64,
) -> Result<TestnetLayout, NodeError> {
    if validators == 0 || validators > usize::from(P2P_PORT_OFFSET) {
        return Err(io(format!("a testnet has 1 to {P2P_PORT_OFFSET} validators")));
    }
    let top = u32::from(base_port) + u32::from(P2P_PORT_OFFSET) + validators as u32;
    if base_port == 0 || top > u32::from(u16::MAX) {
        return Err(io(format!("base port {base_port} leaves no room for {validators} validators")));
    }
    if dir.join("v0").exists() {
        return Err(io(format!("{} already holds a testnet (remove it first)", dir.display())));
    }
    let keys: Vec<[u8; 32]> = (0..validators).map(|_| random_secret()).collect();
    let powers: Vec<(PublicKey, u64)> = keys.iter().map(|k| (PrivateKey::from(*k).public_key(), 1)).collect();
    let genesis = validator_genesis(&powers);
    let entries: Vec<ValidatorEntry> = powers
        .iter()
        .map(|(key, power)| ValidatorEntry {
            public_key: hex(key.as_bytes()),
            power: *power,
            address: ValidatorAddress::of(key).0,
        })
        .collect();
    let rpc = |i: usize| SocketAddr::from(([127, 0, 0, 1], base_port + i as u16));
    let p2p = |i: usize| SocketAddr::from(([127, 0, 0, 1], base_port + P2P_PORT_OFFSET + i as u16));
    let mut homes = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let home = dir.join(format!("v{i}"));
        std::fs::create_dir_all(&home)?;
        let others = (0..validators).filter(|j| *j != i);
        let config = HomeConfig {
            moniker: format!("v{i}"),
            chain_id: TESTNET_CHAIN_ID,
            rpc_addr: rpc(i),
            p2p_addr: p2p(i),
            peers: others.clone().map(p2p).collect(),
            relay_to: others.map(rpc).collect(),
            block_time_ms,
            price_source: "simulated".into(),
            feed_seed: 7,
            index: i as u64,
            // Every home lists every other validator as a peer.
            pubsub: PubSub::Broadcast,
        };
        write_json(&home.join("config.json"), &config)?;
        write_json(&home.join("genesis.json"), &genesis)?;
        write_json(&home.join("validators.json"), &entries)?;
        write_secret(&home.join("consensus_key.json"), key)?;
        write_secret(&home.join("p2p_key.json"), &random_secret())?;
        homes.push(home);
    }
    Ok(TestnetLayout { homes, rpc_addrs: (0..validators).map(rpc).collect() })
}

/// Reads a home into the configuration of its node. A home without `consensus_key.json` is a
/// full node.
pub fn load_home(home: &Path) -> Result<ValidatorConfig, NodeError> {
    let config: HomeConfig = read_json(&home.join("config.json"))?;
    let genesis: Genesis = read_json(&home.join("genesis.json"))?;
    let entries: Vec<ValidatorEntry> = read_json(&home.join("validators.json"))?;
    let mut validators = Vec::new();
    for entry in &entries {
        let key = PublicKey::from_bytes(parse_hex32(&entry.public_key)?).map_err(io)?;
        validators.push((key, entry.power));
    }
    let key_path = home.join("consensus_key.json");
    let consensus_key = if key_path.exists() {
        let file: KeyFile = read_json(&key_path)?;
        Some(PrivateKey::from(parse_hex32(&file.secret)?))
    } else {
        None
    };
    let p2p: KeyFile = read_json(&home.join("p2p_key.json"))?;
    let prices: Box<dyn PriceSource> = match config.price_source.as_str() {
        "simulated" => Box::new(SimulatedPriceSource::new(config.feed_seed, config.index)),
        "none" => Box::new(NoPrices),
        other => return Err(io(format!("unknown price source {other:?} (simulated, none)"))),
    };
    Ok(ValidatorConfig {
        moniker: config.moniker,
        data_dir: home.join("data"),
        chain_id: config.chain_id,
        genesis,
        validators: validator_set(&validators),
        consensus_key,
        p2p_key: parse_hex32(&p2p.secret)?,
        rpc_addr: config.rpc_addr,
        p2p_addr: config.p2p_addr,
        peers: config.peers,
        relay_to: config.relay_to,
        block_time_ms: config.block_time_ms,
        timeouts: lan_timeouts(),
        prices,
        rpc_limits: RpcLimits::default(),
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
        pubsub: config.pubsub,
    })
}

/// Adds a full node's home (`name`) to a testnet written by [`init_testnet`]: the same genesis
/// and validators, its own p2p key, the validators as peers, no consensus key.
pub fn add_full_node(dir: &Path, name: &str, rpc_addr: SocketAddr, p2p_addr: SocketAddr) -> Result<PathBuf, NodeError> {
    let first = dir.join("v0");
    let template: HomeConfig = read_json(&first.join("config.json"))?;
    let mut peers = template.peers.clone();
    peers.push(template.p2p_addr);
    let home = dir.join(name);
    std::fs::create_dir_all(&home)?;
    std::fs::copy(first.join("genesis.json"), home.join("genesis.json"))?;
    std::fs::copy(first.join("validators.json"), home.join("validators.json"))?;
    write_secret(&home.join("p2p_key.json"), &random_secret())?;
    let config = HomeConfig {
        moniker: name.into(),
        rpc_addr,
        p2p_addr,
        peers,
        relay_to: Vec::new(),
        price_source: "none".into(),
        ..template
    };
    write_json(&home.join("config.json"), &config)?;
    Ok(home)
}

/// Starts the validators of `layout` in this process (each with its own stores, API and p2p
/// port, all on loopback).
pub async fn start_local_network(layout: &TestnetLayout) -> Result<Vec<RunningValidator>, NodeError> {
    let mut running = Vec::new();
    for home in &layout.homes {
        running.push(start_validator(load_home(home)?).await?);
    }
    Ok(running)
}

/// A free loopback port block: `count` consecutive ports from a base where none is in use
/// now, for tests and benchmarks that run side by side.
///
/// The block lies below the system's ephemeral port range: the kernel gives ports from that
/// range to every outgoing connection (a peer dialling another, an HTTP client), which would
/// otherwise take a port a node of the block binds a moment later.
pub fn free_base_port(count: u16) -> u16 {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let low = 10_000u32;
    let high = ephemeral_low.saturating_sub(u32::from(P2P_PORT_OFFSET) + u32::from(count));
    if high <= low {
        return DEFAULT_BASE_PORT;
    }
    // Processes starting together pick different places to try first.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut seed = u64::from(std::process::id()).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(nanos);
    for _ in 0..200 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let base = low + ((seed >> 33) as u32) % (high - low);
        let Ok(base) = u16::try_from(base) else { continue };
        let all_free = (0..count).all(|i| {
            [base + i, base + P2P_PORT_OFFSET + i]
                .iter()
                .all(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        });
        if all_free {
            return base;
        }
    }
    DEFAULT_BASE_PORT
}
