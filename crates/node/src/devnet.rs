//! Running a node: [`run_node`] (a plain solo sequencer with the API) and [`run_devnet`]
//! (the same, plus funded demo keys, a SIMULATED price feed and an optional market maker).
//!
//! The devnet's price feed is a simulation, not market data: a seeded random walk per asset
//! with occasional jumps, reported by three simulated publishers that each add their own
//! noise and sign a PriceReport transaction every block, submitted through the same mempool
//! path as any client's transaction.
//!
//! The devnet also lists BTC dated futures and European options (module [`listing`]): two
//! weekly expiries (Fridays 08:00 UTC) fixed when the chain is created, each with a future
//! and calls and puts at round strikes around the simulated BTC start price. The same
//! simulated publishers sign a SIMULATED volatility smile (raw SVI, module [`smile`]) for
//! every unexpired option expiry after every block.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod keys;
mod listing;
mod smile;

use keys::DevnetKeys;

use novation_math::Decimal;
use novation_protocol::params::Genesis;
use novation_protocol::presets::{BTC, BTC_PERP, ETH, ETH_PERP, USD};
use novation_sim::Rng;
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::action;
use novation_types::{Action, AssetId, MarketId, OrderAction, OrderRequest, Side};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::front_door::RpcLimits;
use crate::header::{hex, sha256};
use crate::mempool::MempoolLimits;
use crate::node::{now_ms, ChainConfig};
use crate::{Node, NodeError};

/// Settings of `novation devnet`.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// Data directory.
    pub data_dir: PathBuf,
    /// API address (default `127.0.0.1:8545`; port 0 picks a free one).
    pub rpc_addr: SocketAddr,
    /// Block interval in ms (default 200).
    pub block_time_ms: u64,
    /// Wipe the data directory first.
    pub reset: bool,
    /// Run the built-in market maker on BTC-PERP and ETH-PERP.
    pub market_maker: bool,
    /// Chain id (default 31337).
    pub chain_id: u64,
    /// Number of funded demo keys (default 4).
    pub demo_accounts: usize,
    /// Seed of the simulated price feed.
    pub feed_seed: u64,
    /// The API's front-door limits.
    pub rpc_limits: RpcLimits,
    /// Blocks between two state snapshots (default 1,000; 0: none), see
    /// [`ChainConfig::snapshot_interval_blocks`].
    pub snapshot_interval_blocks: u64,
    /// Which Hyperliquid network's signatures a new chain accepts (default testnet; an
    /// existing data directory keeps its chain's).
    pub hyperliquid_network: novation_protocol::params::HyperliquidNetwork,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        DevnetConfig {
            data_dir: PathBuf::from("novation-devnet"),
            rpc_addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            block_time_ms: 200,
            reset: false,
            market_maker: false,
            chain_id: 31337,
            demo_accounts: 4,
            feed_seed: 7,
            rpc_limits: RpcLimits::default(),
            snapshot_interval_blocks: crate::node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
            hyperliquid_network: Default::default(),
        }
    }
}

/// Where a plain node's genesis comes from.
#[derive(Clone, Debug)]
pub enum GenesisSource {
    /// A genesis JSON file.
    Path(PathBuf),
    /// A genesis value.
    Value(Box<Genesis>),
}

/// Settings of `novation node`.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Data directory.
    pub data_dir: PathBuf,
    /// API address.
    pub rpc_addr: SocketAddr,
    /// Block interval in ms.
    pub block_time_ms: u64,
    /// Genesis for a new chain (an existing data directory keeps its own).
    pub genesis: GenesisSource,
    /// Chain id.
    pub chain_id: u64,
    /// Wipe the data directory first.
    pub reset: bool,
    /// The API's front-door limits.
    pub rpc_limits: RpcLimits,
    /// Blocks between two state snapshots (0: none), see
    /// [`ChainConfig::snapshot_interval_blocks`].
    pub snapshot_interval_blocks: u64,
}

/// A demo key of the devnet.
#[derive(Clone, Debug)]
pub struct DemoKey {
    /// Its address.
    pub address: novation_types::Address,
    /// Its secp256k1 secret key, `0x` hex.
    pub secret_hex: String,
}

/// A running node: API address, demo keys, and the way to stop it.
pub struct RunningNode {
    /// The node.
    pub node: Node,
    /// Where the API listens.
    pub rpc_addr: SocketAddr,
    /// Funded demo keys (devnet only).
    pub demo_keys: Vec<DemoKey>,
    stop: Arc<AtomicBool>,
    /// The sequencer's thread and the devnet bots' thread: never the API's runtime.
    threads: Vec<std::thread::JoinHandle<()>>,
    server: jsonrpsee::server::ServerHandle,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode").field("rpc_addr", &self.rpc_addr).finish_non_exhaustive()
    }
}

impl RunningNode {
    /// Stops the sequencer, the feed and the API, waits (up to 5 s) until none of them holds
    /// the node any more, and returns the last handle: dropping it closes the block log, so
    /// the data directory can be opened again.
    pub async fn stop(self) -> Node {
        self.stop.store(true, Ordering::Release);
        for thread in self.threads {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        let _ = self.server.stop();
        self.server.stopped().await;
        for _ in 0..500 {
            if Arc::strong_count(&self.node.shared) <= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.node
    }
}

fn demo_signer(label: &str) -> Eip712Signer {
    Eip712Signer::from_seed(sha256(label.as_bytes()))
}

/// The devnet's demo key `index` (seed `sha256("novation-devnet-demo-<index>")`).
pub fn demo_key(index: usize) -> Eip712Signer {
    demo_signer(&format!("novation-devnet-demo-{index}"))
}

/// The devnet's perpetuals: `Genesis::example` with `publishers` as its oracle publishers
/// (no dated series). A devnet passes its own generated publishers ([`keys`]).
pub fn devnet_genesis(publishers: &[novation_types::Address]) -> Genesis {
    Genesis::example(publishers)
}

/// The genesis a new devnet starts from: [`devnet_genesis`] plus the weekly BTC futures and
/// options schedule of [`listing::btc_weekly_schedule`], which the protocol lists as time
/// passes.
pub fn devnet_genesis_with_series(publishers: &[novation_types::Address]) -> Genesis {
    let mut genesis = devnet_genesis(publishers);
    genesis.series_schedules.push(listing::btc_weekly_schedule());
    // Option traders (and the market maker) hold or quote many series at once.
    genesis.limits.max_positions = 64;
    genesis
}

fn wipe(data_dir: &std::path::Path) -> Result<(), NodeError> {
    match std::fs::remove_dir_all(data_dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(()),
    }
}

fn submit_signed(node: &Node, signer: &Eip712Signer, actions: Vec<Action>) -> Result<(), NodeError> {
    let address = signer.address();
    let payload = TxPayload::new(node.chain_id(), address, node.next_nonce(address), actions);
    node.submit(signer.sign(&payload)).map(|_| ())
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

/// The sequencer: on its own thread, so no reader, admission flood or slow client shares its
/// time. Closes a block every `block_time_ms` (a late block is followed by the next at once,
/// never by a burst) and tells the devnet bots each height it committed.
fn sequencer(node: Node, block_time_ms: u64, stop: Arc<AtomicBool>, produced: Option<mpsc::Sender<u64>>) {
    let interval = Duration::from_millis(block_time_ms.max(1));
    let mut next = std::time::Instant::now() + interval;
    while !stop.load(Ordering::Acquire) {
        let now = std::time::Instant::now();
        if now < next {
            // Short naps so a stop is seen quickly.
            std::thread::sleep((next - now).min(Duration::from_millis(20)));
            continue;
        }
        next = (next + interval).max(now);
        match node.produce_block_now() {
            Ok(block) => {
                if let Some(produced) = &produced {
                    let _ = produced.send(block.header.height);
                }
            }
            Err(error) => {
                eprintln!("novation: sequencer stopped: {error}");
                return;
            }
        }
    }
}

/// SIMULATED prices: per asset a random walk in millionths of a USD. The solo devnet's three
/// simulated publishers sign its observations as PriceReport transactions; on a validator
/// chain each validator's price source observes it and reports through its vote extension.
pub struct SimulatedFeed {
    /// The workspace's seeded generator: the same seed gives the same price path.
    rng: Rng,
    /// (asset, price in 1e-6 USD)
    prices: Vec<(AssetId, i64)>,
    publishers: Vec<Eip712Signer>,
}

impl SimulatedFeed {
    fn new(seed: u64, publishers: Vec<Eip712Signer>) -> Self {
        SimulatedFeed {
            rng: Rng::new(seed),
            prices: vec![(BTC, listing::BTC_START_PRICE_USD * 1_000_000), (ETH, 3_000_000_000)],
            publishers,
        }
    }

    /// The feed of a devnet that may have run before: the walk continues from the chain's own
    /// index prices (so a restart never jumps), with a generator derived from the seed and
    /// the height.
    /// The feed of a validator: the walk of `seed`, resumed from the chain's index prices.
    pub fn for_validator(seed: u64, node: &Node) -> Self {
        SimulatedFeed::resume(seed, Vec::new(), node)
    }

    /// One observation at `publish_time_ms`: the walk steps once, then a price per asset
    /// (with this observer's own noise from `noise`) and a smile per open BTC option expiry.
    pub fn observe(
        &mut self,
        node: &Node,
        publish_time_ms: u64,
        noise: &mut Rng,
    ) -> (Vec<action::PriceReport>, Vec<action::VolSurfaceReport>) {
        self.step();
        let prices =
            self.prices.iter().map(|&(asset, price)| noisy_report(asset, price, publish_time_ms, noise)).collect();
        (prices, simulated_smiles(node, publish_time_ms))
    }

    fn resume(seed: u64, publishers: Vec<Eip712Signer>, node: &Node) -> Self {
        let mut feed = SimulatedFeed::new(seed, publishers);
        let (height, indexes) = node.with_state(|state| {
            let indexes: Vec<Option<Decimal>> =
                feed.prices.iter().map(|(asset, _)| state.oracle(*asset).and_then(|o| o.index)).collect();
            (state.height(), indexes)
        });
        if height > 0 {
            feed.rng = Rng::new(seed ^ height.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        for ((_, price), index) in feed.prices.iter_mut().zip(indexes) {
            if let Some(micros) = index.and_then(|i| i64::try_from(i.raw() / 1_000_000_000_000).ok()) {
                *price = micros.max(1_000_000);
            }
        }
        feed
    }

    /// One step: ±5 bp drift, and a ±1.5% jump once in ~300 steps.
    fn step(&mut self) {
        for (_, price) in &mut self.prices {
            let mut bps = self.rng.range_i64(-5, 5);
            if self.rng.below(300) == 0 {
                bps += if self.rng.coin() { 150 } else { -150 };
            }
            *price = (*price + *price / 10_000 * bps).max(1_000_000);
        }
    }

    fn publish(&mut self, node: &Node) {
        self.step();
        let publish_time_ms = now_ms();
        for index in 0..self.publishers.len() {
            let actions: Vec<Action> = (0..self.prices.len())
                .map(|i| {
                    let (asset, price) = self.prices[i];
                    Action::PriceReport(noisy_report(asset, price, publish_time_ms, &mut self.rng))
                })
                .collect();
            if let Err(error) = submit_signed(node, &self.publishers[index], actions) {
                eprintln!("novation: simulated publisher {index}: {error}");
            }
        }
        self.publish_smiles(node, publish_time_ms);
    }

    /// Each publisher signs one transaction (apart from its prices, so a refused smile never
    /// costs a price) with a SIMULATED smile for every BTC option expiry still open.
    fn publish_smiles(&self, node: &Node, publish_time_ms: u64) {
        let actions: Vec<Action> =
            simulated_smiles(node, publish_time_ms).into_iter().map(Action::VolSurfaceReport).collect();
        if actions.is_empty() {
            return;
        }
        for (index, publisher) in self.publishers.iter().enumerate() {
            if let Err(error) = submit_signed(node, publisher, actions.clone()) {
                eprintln!("novation: simulated smile publisher {index}: {error}");
            }
        }
    }
}

/// A report of `price` (1e-6 USD) with ±3 bp of noise and a 5 bp confidence.
fn noisy_report(asset: AssetId, price: i64, publish_time_ms: u64, noise: &mut Rng) -> action::PriceReport {
    let noisy = price + price / 10_000 * noise.range_i64(-3, 3);
    action::PriceReport {
        asset,
        price: Decimal::from_raw(i128::from(noisy) * 1_000_000_000_000),
        confidence: Decimal::from_raw(i128::from(noisy / 2_000) * 1_000_000_000_000),
        publish_time_ms,
    }
}

/// A SIMULATED smile for every BTC option expiry still open at `publish_time_ms`.
fn simulated_smiles(node: &Node, publish_time_ms: u64) -> Vec<action::VolSurfaceReport> {
    let expiries = node.with_state(|state| smile::open_expiries(state, BTC, publish_time_ms));
    expiries
        .iter()
        .filter_map(|&expiry_ms| {
            let svi = smile::simulated_smile(smile::years_between(publish_time_ms, expiry_ms)?)?;
            Some(action::VolSurfaceReport { asset: BTC, expiry_ms, svi, publish_time_ms })
        })
        .collect()
}

/// The built-in market maker: every other block, cancel all and quote five levels a side on
/// the perpetuals, then one level on every live dated series.
fn quote(node: &Node, signer: &Eip712Signer) {
    let mut orders = vec![OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None })];
    for (market, size_lots) in [(BTC_PERP, 100u64), (ETH_PERP, 100u64)] {
        let Some((mark, tick)) = node.with_state(|state| {
            let view = state.market(market)?;
            let params = state.params().markets.iter().find(|m| m.id == market)?;
            Some((view.mark.or(view.index)?, params.tick_size))
        }) else {
            continue;
        };
        let mid_ticks = u64::try_from(mark.raw() / tick.raw().max(1)).unwrap_or(0);
        let step = (mid_ticks / 2_000).max(1);
        for level in 1..=5u64 {
            let bid = mid_ticks.saturating_sub(step * level);
            let ask = mid_ticks.saturating_add(step * level);
            if bid > 0 {
                orders.push(OrderAction::Place(OrderRequest::limit(0, market, Side::Buy, bid, size_lots)));
            }
            orders.push(OrderAction::Place(OrderRequest::limit(0, market, Side::Sell, ask, size_lots)));
        }
    }
    if orders.len() > 1 {
        if let Err(error) = submit_signed(node, signer, vec![Action::Batch(orders)]) {
            eprintln!("novation: market maker: {error}");
        }
    }
    quote_series(node, signer);
}

/// The market maker on dated futures and options: every live series with valid prices gets
/// one bid and one ask around its mark (futures 100 lots at ±0.1%, options 10 lots at ±3%, at least a
/// tick), one transaction per series, so a series whose smile is not valid yet refuses only
/// its own quotes.
fn quote_series(node: &Node, signer: &Eip712Signer) {
    let quotes: Vec<(MarketId, u64, u64, u64)> = node.with_state(|state| {
        let now_ms = state.time_ms();
        state
            .list_series()
            .into_iter()
            .filter(|s| s.valid && s.settlement_price.is_none())
            .filter(|s| s.kind.expiry_ms().is_some_and(|e| e > now_ms.saturating_add(10_000)))
            .filter_map(|s| {
                let tick = state.params().markets.get(s.market.0 as usize)?.tick_size.raw().max(1);
                let mid = u64::try_from(s.mark?.raw() / tick).ok()?;
                let (half_spread_per_mille, lots) = if s.kind.is_option() { (30, 10) } else { (1, 100) };
                let half = (mid * half_spread_per_mille / 1_000).max(1);
                Some((s.market, mid.saturating_sub(half), mid.saturating_add(half), lots))
            })
            .collect()
    });
    for (market, bid, ask, lots) in quotes {
        let mut orders = vec![OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: Some(market) })];
        if bid > 0 {
            orders.push(OrderAction::Place(OrderRequest::limit(0, market, Side::Buy, bid, lots)));
        }
        orders.push(OrderAction::Place(OrderRequest::limit(0, market, Side::Sell, ask, lots)));
        if let Err(error) = submit_signed(node, signer, vec![Action::Batch(orders)]) {
            eprintln!("novation: market maker ({market:?}): {error}");
        }
    }
}

fn fund(node: &Node, signer: &Eip712Signer, amounts: &[(AssetId, &str)]) -> Result<(), NodeError> {
    if node.next_nonce(signer.address()) > 0 {
        return Ok(());
    }
    let actions = amounts
        .iter()
        .map(|(asset, amount)| Action::Deposit(action::Deposit { subaccount: 0, asset: *asset, amount: dec(amount) }));
    submit_signed(node, signer, actions.collect())
}

/// The devnet's simulated publishers and market maker, on their own thread: after each block
/// the sequencer commits, publish prices and smiles and (every other block) quote. Ends when
/// the sequencer does.
fn devnet_bots(node: Node, market_maker: bool, seed: u64, keys: DevnetKeys, produced: mpsc::Receiver<u64>) {
    let mut feed = SimulatedFeed::resume(seed, keys.publishers, &node);
    let maker = keys.market_maker;
    while let Ok(height) = produced.recv() {
        // Catch up to the newest block: one publication per wake-up is enough.
        let height = produced.try_iter().last().unwrap_or(height);
        feed.publish(&node);
        if market_maker && height.is_multiple_of(2) {
            quote(&node, &maker);
        }
    }
}

/// The devnet's market maker running beside a chain whose blocks come from elsewhere (a
/// validator network): see [`start_market_maker`].
pub struct MarketMaker {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl MarketMaker {
    /// Stops quoting and waits for its thread.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}

/// Starts the solo devnet's market maker against `node`: its key is the one kept in
/// `keys_dir` (created there on first use, as a devnet's data directory keeps it), funded once
/// with 10,000,000 USD; on its own thread it quotes after every other new block, exactly as
/// `novation devnet --market-maker` does, until stopped.
pub fn start_market_maker(node: Node, keys_dir: &std::path::Path) -> Result<MarketMaker, NodeError> {
    std::fs::create_dir_all(keys_dir)?;
    let maker = DevnetKeys::load_or_create(keys_dir)?.market_maker;
    fund(&node, &maker, &[(USD, "10000000")])?;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_seen = stop.clone();
    let thread = spawn("novation-market-maker", move || {
        let mut last_height = node.height();
        while !stop_seen.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(20));
            let height = node.height();
            if height != last_height {
                last_height = height;
                if height.is_multiple_of(2) {
                    quote(&node, &maker);
                }
            }
        }
    })?;
    Ok(MarketMaker { stop, thread })
}

fn spawn(name: &str, run: impl FnOnce() + Send + 'static) -> Result<std::thread::JoinHandle<()>, NodeError> {
    Ok(std::thread::Builder::new().name(name.into()).spawn(run)?)
}

async fn start(
    node: Node,
    rpc_addr: SocketAddr,
    block_time_ms: u64,
    rpc_limits: RpcLimits,
    bots: Option<(bool, u64, DevnetKeys)>,
) -> Result<RunningNode, NodeError> {
    let (rpc_addr, server) = crate::rpc::start_rpc_with(node.clone(), rpc_addr, rpc_limits).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let produced = match bots {
        Some((market_maker, seed, keys)) => {
            let (sender, receiver) = mpsc::channel();
            let bots_node = node.clone();
            let bots = move || devnet_bots(bots_node, market_maker, seed, keys, receiver);
            threads.push(spawn("novation-devnet-bots", bots)?);
            Some(sender)
        }
        None => None,
    };
    let (sequencer_node, sequencer_stop) = (node.clone(), stop.clone());
    threads
        .push(spawn("novation-sequencer", move || sequencer(sequencer_node, block_time_ms, sequencer_stop, produced))?);
    Ok(RunningNode { node, rpc_addr, demo_keys: Vec::new(), stop, threads, server })
}

/// Starts a devnet inside the current tokio runtime and returns once the API listens.
pub async fn start_devnet(config: DevnetConfig) -> Result<RunningNode, NodeError> {
    if config.reset {
        wipe(&config.data_dir)?;
    }
    let devnet_keys = DevnetKeys::load_or_create(&config.data_dir)?;
    let publishers: Vec<_> = devnet_keys.publishers.iter().map(Eip712Signer::address).collect();
    let node = Node::open(ChainConfig {
        data_dir: config.data_dir.clone(),
        // Used only when the data directory holds no chain yet; otherwise its stored genesis.
        genesis: {
            let mut genesis = devnet_genesis_with_series(&publishers);
            genesis.hyperliquid.network = config.hyperliquid_network;
            genesis
        },
        chain_id: config.chain_id,
        mempool: MempoolLimits::default(),
        max_block_txs: 20_000,
        max_block_bytes: crate::node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: config.snapshot_interval_blocks,
    })?;
    let keys: Vec<Eip712Signer> = (0..config.demo_accounts).map(demo_key).collect();
    let amounts = [(USD, "1000000"), (BTC, "10"), (ETH, "100")];
    for key in &keys {
        fund(&node, key, &amounts)?;
    }
    if config.market_maker {
        fund(&node, &devnet_keys.market_maker, &[(USD, "10000000")])?;
    }
    let bots = Some((config.market_maker, config.feed_seed, devnet_keys));
    let mut running = start(node, config.rpc_addr, config.block_time_ms, config.rpc_limits, bots).await?;
    running.demo_keys =
        keys.iter().map(|k| DemoKey { address: k.address(), secret_hex: hex(&k.secret_key_bytes()) }).collect();
    Ok(running)
}

/// Starts a plain node (no demo funding, no simulated feed) inside the current runtime.
pub async fn start_node(config: NodeConfig) -> Result<RunningNode, NodeError> {
    if config.reset {
        wipe(&config.data_dir)?;
    }
    let genesis = match config.genesis {
        GenesisSource::Value(genesis) => *genesis,
        GenesisSource::Path(path) => {
            let text = std::fs::read(&path)?;
            serde_json::from_slice(&text).map_err(|e| NodeError::Genesis(format!("{}: {e}", path.display())))?
        }
    };
    let node = Node::open(ChainConfig {
        data_dir: config.data_dir,
        genesis,
        chain_id: config.chain_id,
        mempool: MempoolLimits::default(),
        max_block_txs: 20_000,
        max_block_bytes: crate::node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: config.snapshot_interval_blocks,
    })?;
    start(node, config.rpc_addr, config.block_time_ms, config.rpc_limits, None).await
}

fn runtime() -> Result<tokio::runtime::Runtime, NodeError> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Seconds between two heartbeat lines of a running devnet or node.
pub const HEARTBEAT_SECS: u64 = 5;

/// One heartbeat line: height, transactions per second since `previous` (height, total
/// transactions, when), open interest, and each oracle price's validity.
pub fn heartbeat_line(node: &Node, previous: &mut (u64, std::time::Instant)) -> String {
    let total = node.shared.metrics.total_txs.load(Ordering::Relaxed);
    let elapsed = previous.1.elapsed().as_millis().max(1) as u64;
    let per_second_milli = total.saturating_sub(previous.0).saturating_mul(1_000_000) / elapsed;
    *previous = (total, std::time::Instant::now());
    let (height, open_interest, oracles) = node.with_state(|state| {
        let oracles: Vec<String> = state
            .params()
            .assets
            .iter()
            .filter(|asset| asset.fixed_price.is_none())
            .filter_map(|asset| {
                let oracle = state.oracle(asset.id)?;
                let validity = format!("{:?}", oracle.validity).to_lowercase();
                Some(format!("{} {}", asset.symbol, validity))
            })
            .collect();
        (state.height(), state.system_totals().open_interest_notional, oracles)
    });
    format!(
        "novation: height {height}  tx/s {}.{:03}  open interest {open_interest} USD  oracle: {}",
        per_second_milli / 1_000,
        per_second_milli % 1_000,
        if oracles.is_empty() { "-".into() } else { oracles.join(", ") }
    )
}

async fn until_ctrl_c(running: RunningNode) -> Result<(), NodeError> {
    let heartbeat_node = running.node.clone();
    let heartbeat = tokio::spawn(async move {
        let mut previous = (0, std::time::Instant::now());
        loop {
            tokio::time::sleep(Duration::from_secs(HEARTBEAT_SECS)).await;
            eprintln!("{}", heartbeat_line(&heartbeat_node, &mut previous));
        }
    });
    let result = tokio::signal::ctrl_c().await;
    heartbeat.abort();
    eprintln!("novation: stopping at height {}", running.node.height());
    drop(running.stop().await);
    result.map_err(NodeError::Io)
}

/// Where a node's API, dashboard and metrics are.
fn print_urls(rpc_addr: std::net::SocketAddr) {
    println!("RPC: http://{0}  WebSocket: ws://{0}", rpc_addr);
    println!("Dashboard: http://{0}/dashboard  metrics: http://{0}/metrics", rpc_addr);
}

/// A service started beside a devnet once its API listens, on the devnet's runtime (the
/// Hyperliquid gateway of `novation devnet --hl-port`): given the node, it starts and returns
/// the line the devnet's banner prints for it, and a guard kept until the devnet stops.
pub type Companion = Box<dyn FnOnce(Node) -> CompanionStart + Send>;

/// What starting a [`Companion`] gives: its banner line and its guard, or why it failed.
pub type CompanionStart = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(String, Box<dyn std::any::Any + Send>), String>> + Send>,
>;

/// `novation devnet`: runs a devnet until Ctrl-C, printing the demo keys and the RPC URL.
pub fn run_devnet(config: DevnetConfig) -> Result<(), NodeError> {
    run_devnet_with(config, Vec::new())
}

/// [`run_devnet`] with `companions` started beside it once its API listens; a companion that
/// fails to start stops the devnet with its reason.
pub fn run_devnet_with(config: DevnetConfig, companions: Vec<Companion>) -> Result<(), NodeError> {
    runtime()?.block_on(async move {
        let market_maker = config.market_maker;
        let data_dir = config.data_dir.clone();
        let running = start_devnet(config).await?;
        let height = running.node.height();
        // A few blocks are made while starting (the demo deposits); more means a resumed chain.
        let resumed = height > 2;
        println!(
            "novation devnet: chain id {}, {}",
            running.node.chain_id(),
            if resumed { format!("resumed at height {height}") } else { "new chain".to_string() }
        );
        println!("Data: {}", data_dir.display());
        print_urls(running.rpc_addr);
        let mut guards = Vec::with_capacity(companions.len());
        for companion in companions {
            let (line, guard) = companion(running.node.clone()).await.map_err(|why| NodeError::Io(std::io::Error::other(why)))?;
            println!("{line}");
            guards.push(guard);
        }
        println!("Price feed: SIMULATED (seeded random walk, 3 simulated publishers); not market data.");
        let (series, expiries) = running.node.with_state(|state| {
            let dated: Vec<_> = state.params().markets.iter().filter_map(|m| m.kind.expiry_ms()).collect();
            let mut expiries: Vec<u64> = dated.clone();
            expiries.dedup();
            (dated.len(), expiries.len())
        });
        if series > 0 {
            println!(
                "Dated series: {series} BTC futures and options over {expiries} weekly expiries (`novation query series`); \
                 volatility smile: SIMULATED (~55% ATM, mild put skew), published by the same publishers."
            );
        }
        if market_maker {
            println!("Market maker: quoting BTC-PERP, ETH-PERP and every live BTC future and option (simulated liquidity).");
        }
        if resumed {
            println!(
                "Demo keys (devnet only; funded at genesis with 1,000,000 USD, 10 BTC, 100 ETH, balances now: \
                 `novation query account demo1`):"
            );
        } else {
            println!("Demo keys (devnet only, funded with 1,000,000 USD, 10 BTC, 100 ETH):");
        }
        for (index, key) in running.demo_keys.iter().enumerate() {
            println!("  demo{}  address {}  secret {}", index + 1, key.address, key.secret_hex);
        }
        let stopped = until_ctrl_c(running).await;
        drop(guards);
        stopped
    })
}

/// `novation node`: runs a solo-sequencer node until Ctrl-C.
pub fn run_node(config: NodeConfig) -> Result<(), NodeError> {
    run_node_with(config, Vec::new())
}

/// [`run_node`] with `companions` started beside it once its API listens (`novation node
/// --hl-port`); a companion that fails to start stops the node with its reason.
pub fn run_node_with(config: NodeConfig, companions: Vec<Companion>) -> Result<(), NodeError> {
    runtime()?.block_on(async move {
        let data_dir = config.data_dir.clone();
        let running = start_node(config).await?;
        println!("novation node: chain id {}, height {}", running.node.chain_id(), running.node.height());
        println!("Data: {}", data_dir.display());
        print_urls(running.rpc_addr);
        let mut guards = Vec::with_capacity(companions.len());
        for companion in companions {
            let (line, guard) =
                companion(running.node.clone()).await.map_err(|why| NodeError::Io(std::io::Error::other(why)))?;
            println!("{line}");
            guards.push(guard);
        }
        let stopped = until_ctrl_c(running).await;
        drop(guards);
        stopped
    })
}

#[cfg(test)]
mod feed_tests {
    use super::SimulatedFeed;

    fn path(seed: u64) -> Vec<Vec<(novation_types::AssetId, i64)>> {
        let mut feed = SimulatedFeed::new(seed, Vec::new());
        (0..2_000)
            .map(|_| {
                feed.step();
                feed.prices.clone()
            })
            .collect()
    }

    #[test]
    fn the_simulated_feed_follows_its_seed() {
        assert_eq!(path(7), path(7), "the same seed gives the same price path");
        assert_ne!(path(7), path(8));
        let moved = path(7).windows(2).filter(|w| w[0] != w[1]).count();
        assert!(moved > 1_000, "the walk moves: {moved} of 2,000 steps");
    }
}
