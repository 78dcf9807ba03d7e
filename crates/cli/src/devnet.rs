//! `novation devnet` and `novation node` as a solo sequencer: resolve the configuration (data
//! directory, port, block time, genesis) from the arguments, then hand over to the node crate,
//! which runs until Ctrl-C. Their validator-network forms (`devnet --validators`, `node` with
//! a testnet home) are in [`crate::network`].
//!
//! [`launch_devnet`] and [`launch_node`] are the only two places that call into the node crate.
//! Either starts the Hyperliquid-compatible gateway beside the node when `--hl-port` asks.
//! Before the devnet starts, its funded demo keys are saved in the key store as `demo1`, ….

use std::path::{Path, PathBuf};

use novation_protocol::params::Genesis;

use crate::cli::{DevnetArgs, NodeArgs};
use crate::error::{CliError, CliResult};
use crate::keys::{KeyStore, Signer};
use crate::Context;

/// How many funded demo keys the devnet has (and the command saves as `demo1`, …).
pub(crate) const DEMO_KEYS: usize = 4;

/// Everything a devnet needs, resolved from the command line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DevnetSettings {
    /// The chain's database directory.
    pub(crate) data_dir: PathBuf,
    /// `127.0.0.1:PORT` for the JSON-RPC API.
    pub(crate) rpc_addr: std::net::SocketAddr,
    /// Block interval.
    pub(crate) block_time_ms: u64,
    /// Start from a fresh chain.
    pub(crate) reset: bool,
    /// Run the built-in market maker.
    pub(crate) market_maker: bool,
    /// The chain id.
    pub(crate) chain_id: u64,
    /// `127.0.0.1:PORT` for the Hyperliquid-compatible API, when asked for.
    pub(crate) hl_addr: Option<std::net::SocketAddr>,
}

/// Everything a node needs, resolved from the command line.
#[derive(Debug)]
pub(crate) struct NodeSettings {
    /// The chain's database directory.
    pub(crate) data_dir: PathBuf,
    /// `127.0.0.1:PORT` for the JSON-RPC API.
    pub(crate) rpc_addr: std::net::SocketAddr,
    /// Block interval.
    pub(crate) block_time_ms: u64,
    /// The validated genesis.
    pub(crate) genesis: Genesis,
    /// The chain id.
    pub(crate) chain_id: u64,
    /// `127.0.0.1:PORT` for the Hyperliquid-compatible API, when asked for.
    pub(crate) hl_addr: Option<std::net::SocketAddr>,
}

pub(crate) fn loopback(port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], port))
}

/// The devnet settings for `args` with home directory `home`.
pub(crate) fn devnet_settings(home: &Path, args: &DevnetArgs) -> DevnetSettings {
    DevnetSettings {
        data_dir: args.data_dir.clone().unwrap_or_else(|| home.join("devnet")),
        rpc_addr: loopback(args.port),
        block_time_ms: args.block_time_ms.unwrap_or(crate::cli::BLOCK_TIME_MS_DEFAULT),
        reset: args.reset,
        market_maker: args.market_maker,
        chain_id: novation_node::DevnetConfig::default().chain_id,
        hl_addr: args.hl_port.map(loopback),
    }
}

/// The node settings for `args`: the genesis file is read and validated here, so a bad file
/// is reported before anything starts.
pub(crate) fn node_settings(home: &Path, args: &NodeArgs) -> CliResult<NodeSettings> {
    let Some(path) = &args.genesis else {
        return Err(CliError::Usage(format!(
            "{} is not a validator home (no config.json and validators.json): run a validator with \
             `novation node --home DIR` where DIR was written by `novation testnet init`, or a solo \
             node with `novation node --genesis FILE`",
            home.display()
        )));
    };
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let genesis: Genesis = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(format!("{}: not a genesis file: {e}", path.display())))?;
    genesis.validate().map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    Ok(NodeSettings {
        data_dir: args.data_dir.clone().unwrap_or_else(|| home.join("node")),
        rpc_addr: loopback(args.port),
        block_time_ms: args.block_time_ms,
        genesis,
        chain_id: args.chain_id,
        hl_addr: args.hl_port.map(loopback),
    })
}

/// Runs `novation devnet` until Ctrl-C.
pub(crate) fn run_devnet(ctx: &Context, args: &DevnetArgs) -> CliResult<()> {
    if let Some(validators) = args.validators {
        return crate::network::run_validator_devnet(ctx, args, validators);
    }
    let settings = devnet_settings(&ctx.home, args);
    announce_demo_keys(ctx);
    launch_devnet(settings)
}

/// Saves the demo keys in the key store and says so.
pub(crate) fn announce_demo_keys(ctx: &Context) {
    match save_demo_keys(&ctx.home) {
        Ok(names) if !names.is_empty() => ctx.print(&format!(
            "demo keys saved in {}: {} (e.g. `novation tx --key {} deposit USD 1000`)\n",
            KeyStore::new(&ctx.home).dir().display(),
            names.join(", "),
            names[0]
        )),
        Ok(_) => {}
        Err(error) => ctx.print(&format!("(could not save the demo keys: {error})\n")),
    }
}

/// Runs `novation node` until Ctrl-C: the validator (or full node) of a testnet home, or a
/// solo node from a genesis file.
pub(crate) fn run_node(ctx: &Context, args: &NodeArgs) -> CliResult<()> {
    if crate::network::is_testnet_home(&ctx.home) {
        return crate::network::run_home_node(ctx, args);
    }
    launch_node(node_settings(&ctx.home, args)?)
}

// The only two calls into the node crate.
fn launch_devnet(settings: DevnetSettings) -> CliResult<()> {
    let config = novation_node::DevnetConfig {
        data_dir: settings.data_dir,
        rpc_addr: settings.rpc_addr,
        block_time_ms: settings.block_time_ms,
        reset: settings.reset,
        market_maker: settings.market_maker,
        chain_id: settings.chain_id,
        rpc_limits: novation_node::RpcLimits::for_listen(settings.rpc_addr),
        ..novation_node::DevnetConfig::default()
    };
    let companions: Vec<novation_node::Companion> =
        settings.hl_addr.map(novation_hl_gateway::devnet_companion).into_iter().collect();
    novation_node::run_devnet_with(config, companions).map_err(|e| CliError::Node(e.to_string()))
}

fn launch_node(settings: NodeSettings) -> CliResult<()> {
    let config = novation_node::NodeConfig {
        data_dir: settings.data_dir,
        rpc_addr: settings.rpc_addr,
        block_time_ms: settings.block_time_ms,
        genesis: novation_node::GenesisSource::Value(Box::new(settings.genesis)),
        chain_id: settings.chain_id,
        reset: false,
        rpc_limits: novation_node::RpcLimits::for_listen(settings.rpc_addr),
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
    };
    let companions: Vec<novation_node::Companion> =
        settings.hl_addr.map(novation_hl_gateway::devnet_companion).into_iter().collect();
    novation_node::run_node_with(config, companions).map_err(|e| CliError::Node(e.to_string()))
}

/// Saves the devnet's funded demo keys as `demo1`, `demo2`, … in the key store (those not
/// there yet), so `novation tx --key demo1 …` works at once. Returns the names saved or
/// already present.
fn save_demo_keys(home: &Path) -> CliResult<Vec<String>> {
    let store = KeyStore::new(home);
    let mut names = Vec::new();
    for index in 0..DEMO_KEYS {
        let name = format!("demo{}", index + 1);
        let signer = novation_node::demo_key(index);
        match store.load(&name) {
            Ok(existing) if existing.signer.address() == signer.address() => names.push(name),
            Ok(_) => {} // the user's own key of that name: leave it alone
            Err(_) => {
                store.save(&name, Signer::Eip712(signer))?;
                names.push(name);
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devnet_data_lives_under_home_unless_told_otherwise() {
        let args = DevnetArgs {
            data_dir: None,
            port: 8545,
            block_time_ms: None,
            reset: false,
            market_maker: true,
            validators: None,
            base_port: None,
            hl_port: None,
        };
        let settings = devnet_settings(Path::new("/h"), &args);
        assert_eq!(settings.data_dir, PathBuf::from("/h/devnet"));
        assert_eq!(settings.rpc_addr.to_string(), "127.0.0.1:8545");
        assert!(settings.market_maker);
        assert_eq!(settings.block_time_ms, 200);
        let args = DevnetArgs { data_dir: Some("d".into()), ..args };
        assert_eq!(devnet_settings(Path::new("/h"), &args).data_dir, PathBuf::from("d"));
    }

    #[test]
    fn the_hyperliquid_api_is_served_only_when_asked_on_3001_by_default() {
        use clap::Parser;
        let devnet = |args: &[&str]| -> Result<DevnetArgs, clap::Error> {
            let cli = crate::cli::Cli::try_parse_from(["novation", "devnet"].into_iter().chain(args.iter().copied()))?;
            match cli.command {
                crate::cli::Command::Devnet(args) => Ok(args),
                _ => panic!("not devnet"),
            }
        };
        let home = Path::new("/h");
        assert_eq!(devnet_settings(home, &devnet(&[]).unwrap()).hl_addr, None);
        let default = devnet_settings(home, &devnet(&["--hl-port"]).unwrap()).hl_addr;
        assert_eq!(default.map(|a| a.to_string()), Some(format!("127.0.0.1:{}", novation_hl_gateway::DEFAULT_PORT)));
        let chosen = devnet_settings(home, &devnet(&["--hl-port", "4000"]).unwrap()).hl_addr;
        assert_eq!(chosen.map(|a| a.port()), Some(4000));
        let validators = devnet(&["--hl-port", "4000", "--validators", "4"]).unwrap();
        assert_eq!((validators.hl_port, validators.validators), (Some(4000), Some(4)));
        let error = devnet(&["--hl-port", "http"]).unwrap_err().to_string();
        assert!(error.contains("--hl-port") && error.contains("http"), "{error}");
        assert!(devnet(&["--hl-port", "70000"]).is_err(), "not a port");
    }

    #[test]
    fn demo_keys_are_saved_once_and_never_replace_a_users_key() {
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        store.save("demo2", Signer::from_seed(crate::keys::Scheme::Eip712, [5; 32])).unwrap();
        let names = save_demo_keys(home.path()).unwrap();
        assert_eq!(names, ["demo1", "demo3", "demo4"]);
        assert_eq!(save_demo_keys(home.path()).unwrap(), names);
        assert_eq!(store.load("demo1").unwrap().signer.address(), novation_node::demo_key(0).address());
    }

    #[test]
    fn the_example_genesis_file_is_accepted_and_garbage_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("genesis.json");
        std::fs::write(&path, serde_json::to_string(&Genesis::example(&[])).unwrap()).unwrap();
        let args = NodeArgs {
            genesis: Some(path.clone()),
            data_dir: None,
            port: 1,
            block_time_ms: 200,
            chain_id: 1,
            hl_port: Some(4000),
        };
        let settings = node_settings(dir.path(), &args).unwrap();
        assert_eq!(settings.genesis, Genesis::example(&[]));
        assert_eq!(settings.hl_addr.map(|a| a.to_string()), Some("127.0.0.1:4000".into()));
        std::fs::write(&path, "{}").unwrap();
        assert!(node_settings(dir.path(), &args).unwrap_err().to_string().contains("not a genesis file"));
        let args = NodeArgs { genesis: Some(dir.path().join("missing.json")), ..args };
        assert!(matches!(node_settings(dir.path(), &args), Err(CliError::Io { .. })));
        let args = NodeArgs { genesis: None, ..args };
        let error = node_settings(dir.path(), &args).unwrap_err();
        assert!(matches!(error, CliError::Usage(_)) && error.to_string().contains("--genesis FILE"), "{error}");
    }
}
