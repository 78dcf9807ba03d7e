//! One node of a validator network, in-process: its chain ([`Node`]), the Malachite engine
//! (WAL, p2p, value sync) and the application loop, the JSON-RPC API, and the relay that sends
//! every transaction its clients submit to its peers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig as MalachiteNodeConfig, P2pConfig, PubSubProtocol, ValuePayload, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::{
    ConsensusContext, EngineBuilder, EngineHandle, NetworkContext, NetworkIdentity, NetworkRequest, RequestContext,
    Signer, SyncContext, WalContext,
};
use malachitebft_signing_ed25519::PrivateKey;
use novation_node::{ChainConfig, MempoolLimits, Node, NodeError, RpcLimits};
use novation_protocol::params::Genesis;
use tokio::task::JoinHandle;

use crate::app::{AppConfig, ConsensusStatus};
use crate::codec::NovationCodec;
use crate::context::{NovationContext, Validator, ValidatorAddress, ValidatorSet};
use crate::oracle::PriceSource;
use crate::signing::{ConsensusSigner, ConsensusVerifier};
use crate::store::ConsensusStore;

/// How one node of a validator network is set up.
pub struct ValidatorConfig {
    /// Its name in logs and the network.
    pub moniker: String,
    /// Its data directory (`chain.redb`, `consensus.redb`, `wal/`).
    pub data_dir: PathBuf,
    /// The chain id.
    pub chain_id: u64,
    /// The protocol's genesis (publishers = the validators).
    pub genesis: Genesis,
    /// The validator set.
    pub validators: ValidatorSet,
    /// This node's consensus key; `None` for a full node, which follows without voting.
    pub consensus_key: Option<PrivateKey>,
    /// Its p2p identity key (ed25519 secret).
    pub p2p_key: [u8; 32],
    /// Where its API listens.
    pub rpc_addr: SocketAddr,
    /// Where it listens for peers.
    pub p2p_addr: SocketAddr,
    /// The peers it keeps connections to (their p2p addresses).
    pub peers: Vec<SocketAddr>,
    /// The peers' API addresses, to relay client transactions to.
    pub relay_to: Vec<SocketAddr>,
    /// Least time between blocks, ms.
    pub block_time_ms: u64,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// Its price source (validators).
    pub prices: Box<dyn PriceSource>,
    /// The API's limits.
    pub rpc_limits: RpcLimits,
    /// Snapshot interval (blocks; 0: none).
    pub snapshot_interval_blocks: u64,
    /// How consensus messages reach the other nodes.
    pub pubsub: PubSub,
}

/// How a node sends proposals and votes to its peers. Every node of one network must use
/// the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PubSub {
    /// Straight to each connected peer, never relayed: for a network where every node keeps
    /// a connection to every validator (what `testnet init` writes). Cheapest: each message
    /// is sent once per peer and received once, with no gossip signature of its own (the
    /// transport is authenticated, and proposals and votes carry their signers' signatures).
    Broadcast,
    /// libp2p gossipsub, whose mesh relays messages: for networks where nodes connect only
    /// to some of the validators.
    #[default]
    Gossipsub,
}

/// Round timeouts for a network on one machine or a LAN: propose 1.5 s, prevote and
/// precommit 0.5 s, each +0.25 s per round.
pub fn lan_timeouts() -> LinearTimeouts {
    LinearTimeouts {
        propose: Duration::from_millis(1_500),
        propose_delta: Duration::from_millis(250),
        prevote: Duration::from_millis(500),
        prevote_delta: Duration::from_millis(250),
        precommit: Duration::from_millis(500),
        precommit_delta: Duration::from_millis(250),
        rebroadcast: Duration::from_millis(2_500),
        max_timeout: Duration::from_secs(30),
    }
}

#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl MalachiteNodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

fn multiaddr(addr: SocketAddr) -> Result<Multiaddr, NodeError> {
    let text = match addr {
        SocketAddr::V4(a) => format!("/ip4/{}/tcp/{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("/ip6/{}/tcp/{}", a.ip(), a.port()),
    };
    text.parse().map_err(|e| NodeError::Genesis(format!("p2p address {addr}: {e}")))
}

fn engine_error(error: impl std::fmt::Display) -> NodeError {
    NodeError::Io(std::io::Error::other(format!("consensus engine: {error}")))
}

/// A running node of a validator network.
pub struct RunningValidator {
    /// The node (chain, mempool).
    pub node: Node,
    /// Where its API listens.
    pub rpc_addr: SocketAddr,
    /// Its validator address (`None`: a full node).
    pub address: Option<ValidatorAddress>,
    /// What it reports about consensus.
    pub status: Arc<ConsensusStatus>,
    engine: EngineHandle,
    app: JoinHandle<Result<(), crate::app::Halt>>,
    tasks: Vec<JoinHandle<()>>,
    relay: Option<crate::relay::Relay>,
    server: jsonrpsee::server::ServerHandle,
}

impl std::fmt::Debug for RunningValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningValidator").field("rpc_addr", &self.rpc_addr).finish_non_exhaustive()
    }
}

impl RunningValidator {
    /// Stops the engine, the loop and the API and returns the node once nothing else holds
    /// it (dropping it closes the stores, so the directory can be opened again). Stopping
    /// is abrupt, like a crash: the WAL and the stores are what a restart recovers from.
    pub async fn stop(self) -> Node {
        let _ = self.engine.actor.kill_and_wait(None).await;
        self.engine.handle.abort();
        self.app.abort();
        let _ = self.app.await;
        for task in &self.tasks {
            task.abort();
        }
        let _ = self.server.stop();
        self.server.stopped().await;
        if let Some(relay) = self.relay {
            let _ = tokio::task::spawn_blocking(move || relay.stop()).await;
        }
        for _ in 0..500 {
            if self.node.handle_count() <= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.node
    }

    /// Whether the application loop ended (halted or the engine stopped).
    pub fn ended(&self) -> bool {
        self.app.is_finished()
    }
}

/// Starts one node inside the current tokio runtime; returns once its API listens.
pub async fn start_validator(config: ValidatorConfig) -> Result<RunningValidator, NodeError> {
    start(
        config,
        #[cfg(feature = "byzantine")]
        None,
    )
    .await
}

/// How a test validator misbehaves (Malachite's Byzantine network proxy; feature `byzantine`).
#[cfg(feature = "byzantine")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Signs a second, conflicting vote after every vote it sends.
    EquivocateVotes,
    /// Signs a second, conflicting proposal after every proposal it sends.
    EquivocateProposals,
}

#[cfg(feature = "byzantine")]
impl Misbehaviour {
    fn context(
        self,
        identity: NetworkIdentity,
        signer: ConsensusSigner,
        address: ValidatorAddress,
    ) -> malachitebft_app_channel::ByzantineContext<NovationContext, NovationCodec> {
        use malachitebft_engine_byzantine::{ByzantineConfig, Trigger};
        let config = match self {
            Misbehaviour::EquivocateVotes => ByzantineConfig::new(Some(7)).with_equivocate_votes(Trigger::Always),
            Misbehaviour::EquivocateProposals => {
                ByzantineConfig::new(Some(7)).with_equivocate_proposals(Trigger::Always)
            }
        };
        let flip = |id: &crate::BlockId| {
            let mut bytes = id.0;
            bytes[31] ^= 1;
            crate::BlockId(bytes)
        };
        malachitebft_app_channel::ByzantineContext {
            identity,
            codec: NovationCodec,
            config,
            signer: Box::new(signer),
            address,
            conflicting_value_fn: Some(Box::new(flip)),
            conflicting_vote_value_fn: Some(Box::new(move |id| id.map_or(crate::BlockId([0xee; 32]), flip))),
        }
    }
}

/// Starts a validator that misbehaves as `misbehaviour` says (tests of Byzantine faults).
#[cfg(feature = "byzantine")]
pub async fn start_misbehaving_validator(
    config: ValidatorConfig,
    misbehaviour: Misbehaviour,
) -> Result<RunningValidator, NodeError> {
    start(config, Some(misbehaviour)).await
}

async fn start(
    config: ValidatorConfig,
    #[cfg(feature = "byzantine")] misbehaviour: Option<Misbehaviour>,
) -> Result<RunningValidator, NodeError> {
    if config.validators.validators().is_empty() {
        return Err(NodeError::Genesis("a validator network needs at least one validator".into()));
    }
    let node = Node::open(ChainConfig {
        data_dir: config.data_dir.clone(),
        genesis: config.genesis,
        chain_id: config.chain_id,
        mempool: MempoolLimits::default(),
        max_block_txs: 20_000,
        max_block_bytes: novation_node::MAX_BLOCK_BYTES_DEFAULT,
        snapshot_interval_blocks: config.snapshot_interval_blocks,
    })?;
    let store = Arc::new(ConsensusStore::open(&config.data_dir).map_err(engine_error)?);
    let status = Arc::new(ConsensusStatus::default());

    let keypair = Keypair::ed25519_from_bytes(config.p2p_key).map_err(engine_error)?;
    let signer = config.consensus_key.clone().map(|key| ConsensusSigner::new(key, config.chain_id));
    let address = signer.as_ref().map(|s| ValidatorAddress::of(&s.public_key()));
    let identity = match (&signer, address) {
        (Some(signer), Some(address)) => {
            let peer_id = keypair.public().to_peer_id().to_bytes();
            let proof = signer
                .sign_validator_proof(signer.public_key().as_bytes().to_vec(), peer_id)
                .await
                .map_err(|e| engine_error(format!("{e:?}")))?;
            let proof_bytes = NovationCodec.encode(&proof).map_err(engine_error)?;
            NetworkIdentity::new_validator(config.moniker.clone(), keypair, address.to_string(), proof_bytes)
        }
        _ => NetworkIdentity::new(config.moniker.clone(), keypair, None),
    };
    let p2p = P2pConfig {
        listen_addr: multiaddr(config.p2p_addr)?,
        persistent_peers: config.peers.iter().map(|p| multiaddr(*p)).collect::<Result<_, _>>()?,
        rpc_max_size: bytesize(64 << 20),
        protocol: match config.pubsub {
            PubSub::Broadcast => PubSubProtocol::Broadcast,
            PubSub::Gossipsub => PubSubProtocol::default(),
        },
        ..P2pConfig::default()
    };
    let engine_config = EngineConfig {
        moniker: config.moniker.clone(),
        consensus: ConsensusConfig { p2p, value_payload: ValuePayload::ProposalAndParts, ..ConsensusConfig::default() },
        value_sync: ValueSyncConfig {
            status_update_interval: Duration::from_millis(500),
            request_timeout: Duration::from_secs(5),
            max_response_size: bytesize(32 << 20),
            ..ValueSyncConfig::default()
        },
    };
    let verifier = ConsensusVerifier::new(config.chain_id);
    let consensus = match (&signer, address) {
        (Some(signer), Some(address)) => {
            ConsensusContext::new_validator(address, Box::new(verifier), Box::new(signer.clone()))
        }
        _ => ConsensusContext::new_full_node(ValidatorAddress(novation_types::Address([0; 20])), Box::new(verifier)),
    };
    let builder = EngineBuilder::new(NovationContext, engine_config)
        .with_default_wal(WalContext::new(config.data_dir.join("wal").join("consensus.wal"), NovationCodec));
    #[cfg(feature = "byzantine")]
    let (channels, engine) = match (misbehaviour, &signer, address) {
        (Some(misbehaviour), Some(signer), Some(address)) => {
            builder
                .with_byzantine_network(misbehaviour.context(identity, signer.clone(), address))
                .await
                .map_err(engine_error)?
                .with_default_sync(SyncContext::new(NovationCodec))
                .with_default_consensus(consensus)
                .with_default_request(RequestContext::new(100))
                .build()
                .await
        }
        _ => {
            builder
                .with_default_network(NetworkContext::new(identity, NovationCodec))
                .with_default_sync(SyncContext::new(NovationCodec))
                .with_default_consensus(consensus)
                .with_default_request(RequestContext::new(100))
                .build()
                .await
        }
    }
    .map_err(engine_error)?;
    #[cfg(not(feature = "byzantine"))]
    let (channels, engine) = builder
        .with_default_network(NetworkContext::new(identity, NovationCodec))
        .with_default_sync(SyncContext::new(NovationCodec))
        .with_default_consensus(consensus)
        .with_default_request(RequestContext::new(100))
        .build()
        .await
        .map_err(engine_error)?;

    let tasks = vec![spawn_peer_counter(channels.net_requests.clone(), status.clone())];
    let status_for_rpc = status.clone();
    let role = if address.is_some() { "validator" } else { "full node" };
    let validator_count = config.validators.validators().len();
    node.set_status_hook(move || {
        serde_json::json!({
            "engine": "malachite 0.8.2",
            "role": role,
            "address": address.map(|a| a.to_string()),
            "validators": validator_count,
            "deciding_height": status_for_rpc.height.load(Ordering::Relaxed),
            "round": status_for_rpc.round.load(Ordering::Relaxed),
            "peers": status_for_rpc.peers.load(Ordering::Relaxed),
            "equivocation_heights": status_for_rpc.equivocation_heights.load(Ordering::Relaxed),
            "sync": {
                "catching_up": status_for_rpc.catching_up.load(Ordering::Relaxed),
                "synced_blocks": status_for_rpc.synced_blocks.load(Ordering::Relaxed),
            },
            "halted": status_for_rpc.halted.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        })
    });
    let relay = (!config.relay_to.is_empty()).then(|| crate::relay::start(&node, config.relay_to.clone()));

    let app_config = AppConfig {
        node: node.clone(),
        store,
        validators: config.validators,
        signer,
        prices: config.prices,
        timeouts: config.timeouts,
        target_time: Some(Duration::from_millis(config.block_time_ms.max(1))),
        status: status.clone(),
    };
    let app = tokio::spawn(crate::app::run(app_config, channels));
    let (rpc_addr, server) = novation_node::start_rpc_with(node.clone(), config.rpc_addr, config.rpc_limits).await?;
    Ok(RunningValidator { node, rpc_addr, address, status, engine, app, tasks, relay, server })
}

fn bytesize(bytes: u64) -> bytesize::ByteSize {
    bytesize::ByteSize::b(bytes)
}

fn spawn_peer_counter(
    requests: tokio::sync::mpsc::Sender<NetworkRequest>,
    status: Arc<ConsensusStatus>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Ok(Some(dump)) = NetworkRequest::dump_state(&requests).await {
                status.peers.store(dump.peers.len() as u64, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// The validator set of `(consensus public key, voting power)` pairs.
pub fn validator_set(validators: &[(malachitebft_signing_ed25519::PublicKey, u64)]) -> ValidatorSet {
    ValidatorSet::new(validators.iter().map(|(key, power)| Validator::new(*key, *power)).collect())
}
