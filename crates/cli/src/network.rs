//! A validator network from the command line: `novation testnet init` (one home per
//! validator), `novation node --home DIR` (one validator or full node of it) and
//! `novation devnet --validators N` (all of them in one process). With `--hl-port`, either
//! also serves the Hyperliquid-compatible API: from the node of `novation node --home`, and
//! from validator 0 of the devnet.
//!
//! Consensus lives in `novation-consensus`; this module only resolves the arguments, prints
//! what an operator needs (addresses, ports, the commands to run), and waits until Ctrl-C,
//! SIGTERM or a halt. A halt — the node's application loop ended — is an error: the reason
//! goes to stderr and the exit code is 1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use novation_consensus::network::{
    init_testnet, load_home, start_local_network, TestnetLayout, DEFAULT_BASE_PORT, DEFAULT_BLOCK_TIME_MS,
    P2P_PORT_OFFSET,
};
use novation_consensus::{start_validator, RunningValidator, ValidatorAddress, ValidatorConfig};
use novation_math::Decimal;
use novation_protocol::presets::{BTC, ETH, USD};
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::{action, Action};
use serde_json::{json, Value};

use crate::cli::{DevnetArgs, NodeArgs, TestnetInitArgs};
use crate::devnet::{announce_demo_keys, DEMO_KEYS};
use crate::error::{CliError, CliResult};
use crate::Context;

/// How often a running node is checked for a halt.
const HALT_POLL_MS: u64 = 500;

/// Most validators a testnet may have (each needs an RPC port below the p2p ports).
const VALIDATORS_MAX: usize = P2P_PORT_OFFSET as usize;

/// What the demo keys are funded with on first start (as the solo devnet does).
const DEMO_FUNDING: [(novation_types::AssetId, &str); 3] = [(USD, "1000000"), (BTC, "10"), (ETH, "100")];

/// Whether `home` holds a node home written by `novation testnet init`.
pub(crate) fn is_testnet_home(home: &Path) -> bool {
    home.join("config.json").is_file() && home.join("validators.json").is_file()
}

/// Checks a testnet's size and ports before anything is written: 1 to 100 validators, and
/// every RPC and p2p port below 65535 (the bound `init_testnet` keeps).
fn check_layout(validators: usize, base_port: u16) -> CliResult<()> {
    if validators == 0 || validators > VALIDATORS_MAX {
        return Err(CliError::Usage(format!("--validators must be 1 to {VALIDATORS_MAX}, not {validators}")));
    }
    let top_port = u32::from(base_port) + u32::from(P2P_PORT_OFFSET) + validators as u32 - 1;
    if base_port == 0 || top_port >= u32::from(u16::MAX) {
        return Err(CliError::Usage(format!(
            "--base-port {base_port} does not fit {validators} validators: their ports run from \
             {base_port} to {top_port} (RPC base+i, p2p base+{P2P_PORT_OFFSET}+i), which must stay below 65535"
        )));
    }
    Ok(())
}

fn home_error(home: &Path, error: impl std::fmt::Display) -> CliError {
    CliError::Input(format!("{}: not a usable node home: {error}", home.display()))
}

fn node_error(error: impl std::fmt::Display) -> CliError {
    CliError::Node(error.to_string())
}

/// One node of a testnet, as printed.
struct HomeSummary {
    home: PathBuf,
    moniker: String,
    address: Option<ValidatorAddress>,
    rpc_addr: SocketAddr,
    p2p_addr: SocketAddr,
}

impl HomeSummary {
    fn of(home: &Path, config: &ValidatorConfig) -> HomeSummary {
        HomeSummary {
            home: home.to_path_buf(),
            moniker: config.moniker.clone(),
            address: config.consensus_key.as_ref().map(|key| ValidatorAddress::of(&key.public_key())),
            rpc_addr: config.rpc_addr,
            p2p_addr: config.p2p_addr,
        }
    }

    fn command(&self) -> String {
        format!("novation node --home {}", self.home.display())
    }

    fn to_json(&self) -> Value {
        json!({
            "home": self.home.display().to_string(),
            "moniker": self.moniker,
            "address": self.address.map(|a| a.to_string()),
            "rpc": format!("http://{}", self.rpc_addr),
            "p2p_port": self.p2p_addr.port(),
            "command": self.command(),
        })
    }
}

fn summaries(layout: &TestnetLayout) -> CliResult<Vec<HomeSummary>> {
    layout
        .homes
        .iter()
        .map(|home| load_home(home).map(|config| HomeSummary::of(home, &config)).map_err(|e| home_error(home, e)))
        .collect()
}

/// `novation testnet init`.
pub(crate) fn run_testnet_init(ctx: &Context, args: &TestnetInitArgs) -> CliResult<()> {
    check_layout(args.validators, args.base_port)?;
    if args.dir.join("v0").exists() {
        return Err(CliError::Input(format!(
            "{} already holds a testnet (its v0 exists): remove the directory or choose another --dir",
            args.dir.display()
        )));
    }
    let layout = init_testnet(&args.dir, args.validators, args.base_port, args.block_time_ms)
        .map_err(|e| CliError::Input(format!("{}: {e}", args.dir.display())))?;
    let homes = summaries(&layout)?;
    if ctx.json {
        return ctx.print_json(&json!({
            "dir": args.dir.display().to_string(),
            "chain_id": novation_consensus::network::TESTNET_CHAIN_ID,
            "block_time_ms": args.block_time_ms,
            "validators": homes.iter().map(HomeSummary::to_json).collect::<Vec<_>>(),
        }));
    }
    let mut text = format!(
        "testnet of {} validators written to {} (chain id {}, block time {} ms)\n",
        homes.len(),
        args.dir.display(),
        novation_consensus::network::TESTNET_CHAIN_ID,
        args.block_time_ms
    );
    for home in &homes {
        text += &format!(
            "\n{}  {}\n  address  {}\n  RPC      http://{}\n  p2p port {}\n  start    {}\n",
            home.moniker,
            home.home.display(),
            home.address.map(|a| a.to_string()).unwrap_or_else(|| "(full node)".into()),
            home.rpc_addr,
            home.p2p_addr.port(),
            home.command()
        );
    }
    text += "\nEach consensus_key.json is a validator's identity: back it up, and never run two nodes with it.\n";
    ctx.print(&text);
    Ok(())
}

fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Node(format!("cannot start the runtime: {e}")))
}

/// `novation node --home DIR` with a testnet home: runs that validator (or full node) until
/// Ctrl-C or SIGTERM; a halt is an error.
pub(crate) fn run_home_node(ctx: &Context, args: &NodeArgs) -> CliResult<()> {
    let home = &ctx.home;
    if let Some(genesis) = &args.genesis {
        return Err(CliError::Usage(format!(
            "--genesis {} does not apply to a validator home: {} runs from its own genesis.json",
            genesis.display(),
            home.display()
        )));
    }
    if args.data_dir.is_some() {
        return Err(CliError::Usage(format!(
            "--data-dir does not apply to a validator home: its data lives in {}",
            home.join("data").display()
        )));
    }
    let config = load_home(home).map_err(|e| home_error(home, e))?;
    let summary = HomeSummary::of(home, &config);
    let hl_addr = args.hl_port.map(crate::devnet::loopback);
    if let Some(addr) = hl_addr {
        check_hl_port(addr.port(), &[(config.rpc_addr.port(), "its RPC"), (config.p2p_addr.port(), "its p2p")])?;
    }
    let chain_id = config.chain_id;
    runtime()?.block_on(async move {
        let running = start_validator(config).await.map_err(node_error)?;
        let gateway = match start_gateway(hl_addr, &running).await {
            Ok(gateway) => gateway,
            Err(error) => return stop_quietly(vec![running], error).await,
        };
        let role = if summary.address.is_some() { "validator" } else { "full node" };
        ctx.print(&format!(
            "novation node {} ({role}), chain id {chain_id}, height {}\n  address {}\n  RPC: http://{}  p2p: {}\n",
            summary.moniker,
            running.node.height(),
            summary.address.map(|a| a.to_string()).unwrap_or_else(|| "(none: a full node does not vote)".into()),
            running.rpc_addr,
            summary.p2p_addr
        ));
        if let Some((line, _)) = &gateway {
            ctx.print(&format!("{line}\n"));
        }
        let halted = wait_for_stop(std::slice::from_ref(&running)).await;
        stop_gateway(gateway).await;
        stop_all(vec![running], halted).await
    })
}

/// Where `novation devnet --validators` keeps its testnet.
fn devnet_testnet_dir(ctx: &Context, args: &DevnetArgs) -> PathBuf {
    args.data_dir.clone().unwrap_or_else(|| ctx.home.join("devnet")).join("testnet")
}

/// The testnet already in `dir` (written by an earlier `devnet --validators`), checked
/// against what the command asks for.
fn existing_layout(dir: &Path, validators: usize, base_port: Option<u16>) -> CliResult<TestnetLayout> {
    let mut layout = TestnetLayout { homes: Vec::new(), rpc_addrs: Vec::new() };
    while layout.homes.len() <= VALIDATORS_MAX && dir.join(format!("v{}", layout.homes.len())).exists() {
        let home = dir.join(format!("v{}", layout.homes.len()));
        let config = load_home(&home).map_err(|e| home_error(&home, e))?;
        layout.rpc_addrs.push(config.rpc_addr);
        layout.homes.push(home);
    }
    let reset_hint = "pass --reset to start a new one";
    if layout.homes.len() != validators {
        return Err(CliError::Usage(format!(
            "{} holds a testnet of {} validators, not {validators}: {reset_hint}",
            dir.display(),
            layout.homes.len()
        )));
    }
    let stored_base = layout.rpc_addrs[0].port();
    if base_port.is_some_and(|port| port != stored_base) {
        return Err(CliError::Usage(format!(
            "{} holds a testnet on base port {stored_base}: {reset_hint}",
            dir.display()
        )));
    }
    Ok(layout)
}

/// `novation devnet --validators N`: the whole validator network in this process, with the
/// demo keys funded through validator 0 on first start.
pub(crate) fn run_validator_devnet(ctx: &Context, args: &DevnetArgs, validators: usize) -> CliResult<()> {
    let base_port = args.base_port.unwrap_or(DEFAULT_BASE_PORT);
    check_layout(validators, base_port)?;
    let dir = devnet_testnet_dir(ctx, args);
    if args.reset {
        match std::fs::remove_dir_all(&dir) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(CliError::io(&dir, error)),
            _ => {}
        }
    }
    let layout = if dir.join("v0").exists() {
        existing_layout(&dir, validators, args.base_port)?
    } else {
        let block_time_ms = args.block_time_ms.unwrap_or(DEFAULT_BLOCK_TIME_MS);
        init_testnet(&dir, validators, base_port, block_time_ms)
            .map_err(|e| CliError::Input(format!("{}: {e}", dir.display())))?
    };
    let homes = summaries(&layout)?;
    let hl_addr = args.hl_port.map(crate::devnet::loopback);
    if let Some(addr) = hl_addr {
        let taken: Vec<(u16, String)> = homes
            .iter()
            .flat_map(|h| {
                [
                    (h.rpc_addr.port(), format!("{}'s RPC", h.moniker)),
                    (h.p2p_addr.port(), format!("{}'s p2p", h.moniker)),
                ]
            })
            .collect();
        let taken: Vec<(u16, &str)> = taken.iter().map(|(port, what)| (*port, what.as_str())).collect();
        check_hl_port(addr.port(), &taken)?;
    }
    announce_demo_keys(ctx);
    runtime()?.block_on(async move {
        let running = start_local_network(&layout).await.map_err(node_error)?;
        // The gateway reads validator 0's node, as the market maker trades through it.
        let gateway = match start_gateway(hl_addr, &running[0]).await {
            Ok(gateway) => gateway,
            Err(error) => return stop_quietly(running, error).await,
        };
        let demo_keys = fund_demo_keys(&running[0])?;
        let maker = match args.market_maker {
            true => Some(novation_node::start_market_maker(running[0].node.clone(), &dir).map_err(node_error)?),
            false => None,
        };
        let hl_line = gateway.as_ref().map(|(line, _)| format!("{line} (from v0)"));
        ctx.print(&devnet_banner(&running, &homes, &demo_keys, &dir, (maker.is_some(), hl_line.as_deref())));
        let halted = wait_for_stop(&running).await;
        // The gateway and the market maker hold validator 0's node: stop them first.
        stop_gateway(gateway).await;
        if let Some(maker) = maker {
            let _ = tokio::task::spawn_blocking(move || maker.stop()).await;
        }
        stop_all(running, halted).await
    })
}

/// Deposits the demo keys' funding through `validator`'s node, for each key that has sent
/// nothing yet (nonce 0), and returns the keys.
fn fund_demo_keys(validator: &RunningValidator) -> CliResult<Vec<Eip712Signer>> {
    let node = &validator.node;
    let keys: Vec<Eip712Signer> = (0..DEMO_KEYS).map(novation_node::demo_key).collect();
    for key in &keys {
        let address = key.address();
        let nonce = node.next_nonce(address);
        if nonce > 0 {
            continue;
        }
        let deposits = DEMO_FUNDING
            .iter()
            .map(|(asset, amount)| {
                let amount: Decimal = amount.parse().unwrap_or_default();
                Action::Deposit(action::Deposit { subaccount: 0, asset: *asset, amount })
            })
            .collect();
        let payload = TxPayload::new(node.chain_id(), address, nonce, deposits);
        node.submit(key.sign(&payload)).map_err(|e| CliError::Node(format!("funding demo key {address}: {e}")))?;
    }
    Ok(keys)
}

fn devnet_banner(
    running: &[RunningValidator],
    homes: &[HomeSummary],
    demo_keys: &[Eip712Signer],
    dir: &Path,
    (market_maker, hl_line): (bool, Option<&str>),
) -> String {
    let node = &running[0].node;
    let mut text = format!(
        "novation devnet: {} validators in one process, chain id {}, height {} (homes in {})\n",
        running.len(),
        node.chain_id(),
        node.height(),
        dir.display()
    );
    for (validator, home) in running.iter().zip(homes) {
        text += &format!(
            "  {}  RPC http://{}  p2p {}  address {}\n",
            home.moniker,
            validator.rpc_addr,
            home.p2p_addr.port(),
            validator.address.map(|a| a.to_string()).unwrap_or_else(|| "(full node)".into())
        );
    }
    if let Some(first) = running.first() {
        text += &format!("Dashboard: http://{}/dashboard (each node serves one)\n", first.rpc_addr);
    }
    if let Some(line) = hl_line {
        text += &format!("{line}\n");
    }
    text += "Price feed: SIMULATED: each validator's simulated feed, through vote extensions; not market data.\n";
    if market_maker {
        text += "Market maker: quoting BTC-PERP, ETH-PERP and every live BTC future and option through v0 \
                 (simulated liquidity).\n";
    }
    text += "Demo keys (devnet only, funded with 1,000,000 USD, 10 BTC, 100 ETH):\n";
    for (index, key) in demo_keys.iter().enumerate() {
        text += &format!(
            "  demo{}  address {}  secret {}\n",
            index + 1,
            key.address(),
            novation_node::hex(&key.secret_key_bytes())
        );
    }
    text
}

/// Refuses a `--hl-port` that one of the node's own ports (`taken`: port, whose) already
/// uses, before anything starts; 0 (any free port) never clashes.
fn check_hl_port(port: u16, taken: &[(u16, &str)]) -> CliResult<()> {
    match taken.iter().find(|(used, _)| port != 0 && *used == port) {
        Some((_, what)) => Err(CliError::Usage(format!(
            "--hl-port {port} is {what} port: choose another port for the Hyperliquid API"
        ))),
        None => Ok(()),
    }
}

/// A started Hyperliquid gateway: its banner line and the guard that keeps it serving.
type GatewayGuard = (String, Box<dyn std::any::Any + Send>);

/// Starts the Hyperliquid-compatible gateway on `addr` (if asked) beside `validator`'s node.
async fn start_gateway(addr: Option<SocketAddr>, validator: &RunningValidator) -> CliResult<Option<GatewayGuard>> {
    let Some(addr) = addr else { return Ok(None) };
    let started = novation_hl_gateway::devnet_companion(addr)(validator.node.clone()).await;
    started.map(Some).map_err(|why| CliError::Input(format!("--hl-port {}: {why}", addr.port())))
}

/// Stops the gateway, so it no longer holds its node when the node stops.
async fn stop_gateway(gateway: Option<GatewayGuard>) {
    if let Some((_, guard)) = gateway {
        if let Ok(gateway) = guard.downcast::<novation_hl_gateway::Gateway>() {
            gateway.stop().await;
        }
    }
}

/// Stops `running` after a failed start and returns that failure.
async fn stop_quietly(running: Vec<RunningValidator>, error: CliError) -> CliResult<()> {
    for validator in running {
        drop(validator.stop().await);
    }
    Err(error)
}

/// Why a node's application loop ended.
fn halt_reason(validator: &RunningValidator) -> String {
    validator
        .node
        .halted()
        .or_else(|| validator.node.status_json()["consensus"]["halted"].as_str().map(str::to_string))
        .unwrap_or_else(|| "the consensus engine stopped".into())
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Waits for Ctrl-C or SIGTERM (`None`) or until a node's application loop ends (`Some`:
/// why it halted), checking every [`HALT_POLL_MS`].
async fn wait_for_stop(running: &[RunningValidator]) -> Option<String> {
    let signal = stop_signal();
    tokio::pin!(signal);
    // A heartbeat line every few seconds, from the first node.
    let mut previous = (0, std::time::Instant::now());
    let mut next_beat = std::time::Instant::now() + Duration::from_secs(novation_node::HEARTBEAT_SECS);
    loop {
        tokio::select! {
            _ = &mut signal => break None,
            _ = tokio::time::sleep(Duration::from_millis(HALT_POLL_MS)) => {}
        }
        if std::time::Instant::now() >= next_beat {
            next_beat += Duration::from_secs(novation_node::HEARTBEAT_SECS);
            if let Some(first) = running.first() {
                eprintln!("{}", novation_node::heartbeat_line(&first.node, &mut previous));
            }
        }
        if let Some(ended) = running.iter().find(|v| v.ended()) {
            let (rpc_addr, height) = (ended.rpc_addr, ended.node.height());
            break Some(format!("halted at height {height} (RPC {rpc_addr}): {}", halt_reason(ended)));
        }
    }
}

/// Stops every node; a halt is the command's error.
async fn stop_all(running: Vec<RunningValidator>, halted: Option<String>) -> CliResult<()> {
    if halted.is_none() {
        eprintln!("novation: stopping at height {}", running[0].node.height());
    }
    for validator in running {
        drop(validator.stop().await);
    }
    match halted {
        Some(reason) => Err(CliError::Node(reason)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_testnet_needs_validators_and_room_for_its_ports() {
        assert!(check_layout(4, DEFAULT_BASE_PORT).is_ok());
        assert!(matches!(check_layout(0, DEFAULT_BASE_PORT), Err(CliError::Usage(_))));
        assert!(matches!(check_layout(101, DEFAULT_BASE_PORT), Err(CliError::Usage(_))));
        assert!(check_layout(4, 65_535 - 104).is_ok(), "the last p2p port is 65534");
        let error = check_layout(4, 65_535 - 103).unwrap_err();
        assert!(error.to_string().contains("does not fit 4 validators"), "{error}");
        assert!(check_layout(1, 0).is_err());
    }

    #[test]
    fn the_hyperliquid_port_may_not_be_one_of_the_nodes_own() {
        let taken = [(26_000, "v0's RPC"), (26_100, "v0's p2p")];
        assert!(check_hl_port(3001, &taken).is_ok());
        assert!(check_hl_port(0, &taken).is_ok(), "0 picks a free port");
        let error = check_hl_port(26_100, &taken).unwrap_err();
        assert!(matches!(error, CliError::Usage(_)) && error.to_string().contains("v0's p2p port"), "{error}");
    }

    #[test]
    fn a_home_is_recognised_by_its_config_and_validator_set() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_testnet_home(dir.path()));
        init_testnet(dir.path(), 1, 26_000, 250).unwrap();
        assert!(is_testnet_home(&dir.path().join("v0")));
    }
}
