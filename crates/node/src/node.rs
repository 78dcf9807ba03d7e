//! [`Node`]: the shared handle over chain, mempool and block notifications. Cheap to clone;
//! every method is safe to call from any thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use novation_protocol::params::Genesis;
use novation_tx::SignedTransaction;
use novation_types::Address;
use tokio::sync::broadcast;

use crate::chain::{BlockNotice, BlockTx, Chain};
use crate::header::{hex, tx_id, Hash32, NodeHeader};
use crate::mempool::{Mempool, MempoolLimits};
use crate::verified::{AdmittedAt, VerifiedIndex};
use crate::NodeError;

/// Default most envelope bytes in one block: 2 MiB, so a whole block (envelopes, results and
/// events) fits one `nov_getBlock` answer (docs/api.md).
pub const MAX_BLOCK_BYTES_DEFAULT: usize = 2 * 1024 * 1024;

/// Default of [`ChainConfig::snapshot_interval_blocks`]: a snapshot every 1,000 blocks.
pub const SNAPSHOT_INTERVAL_BLOCKS_DEFAULT: u64 = 1_000;

/// How a node's chain is set up.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Directory of the block log (`chain.redb`).
    pub data_dir: PathBuf,
    /// Genesis of a new chain (an existing data directory keeps its own).
    pub genesis: Genesis,
    /// Chain id transactions must name.
    pub chain_id: u64,
    /// Mempool bounds.
    pub mempool: MempoolLimits,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most envelope bytes in one block (a block always takes at least one transaction).
    pub max_block_bytes: usize,
    /// Blocks between two state snapshots written to the store (0: none). A restart loads
    /// the newest valid snapshot and replays only the blocks after it.
    pub snapshot_interval_blocks: u64,
}

/// A transaction admitted to the mempool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admitted {
    /// The transaction's id: `SHA-256(signing hash || signer)`.
    pub tx_hash: Hash32,
    /// The signer (the account, or its agent).
    pub signer: Address,
    /// The nonce.
    pub nonce: u64,
}

type AdmissionHook = Box<dyn Fn(&SignedTransaction) + Send + Sync>;
type StatusHook = Box<dyn Fn() -> serde_json::Value + Send + Sync>;

/// What [`Node::produce_block_now`] committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducedBlock {
    /// The header.
    pub header: NodeHeader,
    /// Transactions in it.
    pub tx_count: usize,
}

pub(crate) struct Metrics {
    pub(crate) last_block_micros: AtomicU64,
    pub(crate) last_block_txs: AtomicU64,
    pub(crate) total_txs: AtomicU64,
    pub(crate) started: Instant,
}

pub(crate) struct Shared {
    chain: RwLock<Chain>,
    mempool: Mutex<Mempool>,
    /// Envelopes admitted to the mempool, so a block's are not verified twice.
    verified: Mutex<VerifiedIndex>,
    /// Serialises block production.
    producing: Mutex<()>,
    halted: AtomicBool,
    halt_reason: Mutex<Option<String>>,
    pub(crate) notices: broadcast::Sender<Arc<BlockNotice>>,
    pub(crate) metrics: Metrics,
    /// Told of every envelope a client's submission admitted (a validator relays it to its
    /// peers).
    on_admitted: OnceLock<AdmissionHook>,
    /// Adds the consensus layer's view (peers, sync) to `nov_status`.
    status_extra: OnceLock<StatusHook>,
    max_block_txs: usize,
    max_block_bytes: usize,
    chain_id: u64,
}

/// The node: chain, mempool and subscribers behind one cloneable handle.
#[derive(Clone)]
pub struct Node {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("chain_id", &self.shared.chain_id).finish_non_exhaustive()
    }
}

/// Committed blocks' notices the live feed keeps for subscribers that have not read them yet.
/// The feed's ring holds this many whether read or not, and a loaded block's notice (its
/// every event) runs to megabytes, so it is small: a subscriber further behind is caught up
/// from the store (`nov_subscribe`) or only needs the latest height ([`BlockHeights`]).
const NOTICES_KEPT: usize = 16;

/// Milliseconds since the Unix epoch by the system clock.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Node {
    /// Opens the chain (replaying and checking an existing block log).
    pub fn open(config: ChainConfig) -> Result<Node, NodeError> {
        let chain = Chain::open(&config.data_dir, config.genesis, config.chain_id, config.snapshot_interval_blocks)?;
        let (notices, _) = broadcast::channel(NOTICES_KEPT);
        Ok(Node {
            shared: Arc::new(Shared {
                chain: RwLock::new(chain),
                mempool: Mutex::new(Mempool::new(config.mempool)),
                // The mempool never holds more than this, so neither need the index.
                verified: Mutex::new(VerifiedIndex::new(config.mempool.max_total)),
                producing: Mutex::new(()),
                halted: AtomicBool::new(false),
                halt_reason: Mutex::new(None),
                on_admitted: OnceLock::new(),
                status_extra: OnceLock::new(),
                notices,
                metrics: Metrics {
                    last_block_micros: AtomicU64::new(0),
                    last_block_txs: AtomicU64::new(0),
                    total_txs: AtomicU64::new(0),
                    started: Instant::now(),
                },
                max_block_txs: config.max_block_txs.max(1),
                max_block_bytes: config.max_block_bytes.max(1),
                chain_id: config.chain_id,
            }),
        })
    }

    /// How many handles to this node exist (a stopped node's last one closes its stores).
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.shared)
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.shared.chain_id
    }

    pub(crate) fn chain(&self) -> RwLockReadGuard<'_, Chain> {
        self.shared.chain.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn chain_mut(&self) -> RwLockWriteGuard<'_, Chain> {
        self.shared.chain.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn mempool(&self) -> MutexGuard<'_, Mempool> {
        self.shared.mempool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn verified(&self) -> MutexGuard<'_, VerifiedIndex> {
        self.shared.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks an envelope without admitting it: size, shape, chain id, signature and the
    /// protocol's stateless rules.
    pub fn verify_envelope(&self, envelope: SignedTransaction) -> Result<BlockTx, NodeError> {
        let network = hyperliquid_network(self.chain().state.params());
        let (tx, signing_hash) = novation_tx::verify_for_network(self.shared.chain_id, &envelope, network)?;
        let hash = tx_id(&signing_hash, tx.signer());
        self.check_stateless(BlockTx { hash, tx, envelope })
    }

    /// [`Node::verify_envelope`] for an envelope of a proposed block: one this node admitted
    /// to its mempool and still holds, byte for byte, is not verified again (the pending
    /// transaction is what verifying would give); any other is verified in full. Every
    /// validator checks a proposed block's envelopes so.
    pub fn verify_block_envelope(&self, envelope: &SignedTransaction) -> Result<BlockTx, NodeError> {
        match self.admitted_transaction(envelope) {
            Some((hash, tx)) => self.check_stateless(BlockTx { hash, tx, envelope: envelope.clone() }),
            None => self.verify_envelope(envelope.clone()),
        }
    }

    /// The id and transaction of `envelope` if the mempool holds exactly this envelope.
    fn admitted_transaction(&self, envelope: &SignedTransaction) -> Option<(Hash32, novation_types::Transaction)> {
        let at = self.verified().get(&envelope.signature)?;
        let mempool = self.mempool();
        let pending = mempool.pending(at.signer, at.nonce)?;
        // The same id and the same bytes: anything else is verified from scratch.
        (pending.hash == at.hash && pending.envelope == *envelope).then(|| (at.hash, pending.tx.clone()))
    }

    /// The protocol's stateless rules, with the current parameters (checked again for a
    /// block's envelopes, which may come after a parameter change).
    fn check_stateless(&self, block_tx: BlockTx) -> Result<BlockTx, NodeError> {
        let limits = self.chain().state.params().limits;
        novation_protocol::check_transaction_stateless(&block_tx.tx, &limits).map_err(NodeError::Rejected)?;
        Ok(block_tx)
    }

    /// Checks an envelope (size, shape, chain id, signature) and admits it to the mempool.
    pub fn submit(&self, envelope: SignedTransaction) -> Result<Admitted, NodeError> {
        let Some(hook) = self.shared.on_admitted.get() else { return self.submit_quietly(envelope) };
        let relayed = envelope.clone();
        let admitted = self.submit_quietly(envelope)?;
        hook(&relayed);
        Ok(admitted)
    }

    /// [`Node::submit`] without telling the admission hook: for transactions relayed by a
    /// peer, which has told the others itself.
    pub fn submit_quietly(&self, envelope: SignedTransaction) -> Result<Admitted, NodeError> {
        let BlockTx { hash: tx_hash, tx, envelope } = self.verify_envelope(envelope)?;
        let signer = tx.signer();
        let nonce = tx.nonce;
        let chain = self.chain();
        if let Some(agent) = tx.agent {
            // A signer that is neither the account nor its agent would only fail in the block.
            if !chain.state.is_agent(tx.sender, agent) {
                let code = novation_types::ErrorCode::UnauthorizedAgent;
                return Err(NodeError::Rejected(novation_protocol::TxError { code, action_index: None }));
            }
        }
        if chain.recently_included(&tx_hash).is_some() {
            return Err(NodeError::AlreadyKnown);
        }
        if novation_protocol::hyperliquid::hyperliquid_action(&tx).is_some() {
            // A timestamp nonce: checked against the signer's used ones at the node's clock
            // (the block's time decides again).
            let used = chain.state.timestamp_nonces(signer).cloned().unwrap_or_default();
            used.check(nonce, now_ms())
                .map_err(|code| NodeError::Rejected(novation_protocol::TxError { code, action_index: None }))?;
            self.mempool().admit_timestamped(tx_hash, tx, envelope, now_ms())?;
            drop(chain);
            return Ok(Admitted { tx_hash, signer, nonce });
        }
        let chain_nonce = chain.state.nonce(signer);
        let signature = envelope.signature.clone();
        // Lock order: chain, then mempool (as block production), so the nonce read here is
        // the one the pool classifies against.
        self.mempool().admit(tx_hash, tx, envelope, chain_nonce, now_ms())?;
        drop(chain);
        self.verified().insert(&signature, AdmittedAt { hash: tx_hash, signer, nonce });
        Ok(Admitted { tx_hash, signer, nonce })
    }

    /// Parses an envelope's JSON text and submits it.
    pub fn submit_json(&self, envelope: &[u8]) -> Result<Admitted, NodeError> {
        self.submit(SignedTransaction::from_json(envelope)?)
    }

    /// The signer's next nonce, counting its transactions waiting in the mempool.
    pub fn next_nonce(&self, signer: Address) -> u64 {
        let chain_nonce = self.chain().state.nonce(signer);
        self.mempool().next_nonce(signer, chain_nonce)
    }

    /// Transactions waiting in the mempool.
    pub fn mempool_len(&self) -> usize {
        self.mempool().len()
    }

    /// The latest committed height (0 before the first block).
    pub fn height(&self) -> u64 {
        self.chain().height()
    }

    /// The latest committed header.
    pub fn latest_header(&self) -> Option<NodeHeader> {
        self.chain().last_header
    }

    /// The committed header at `height`, from the block log.
    pub fn header_at(&self, height: u64) -> Result<Option<NodeHeader>, NodeError> {
        let chain = self.chain();
        let Some(bytes) = chain.store.header(height)? else { return Ok(None) };
        crate::header::decode(&bytes, "header").map(Some)
    }

    /// The current state root.
    pub fn state_root(&self) -> Hash32 {
        self.chain().tree.root()
    }

    /// Reads the protocol state at the latest height.
    pub fn with_state<R>(&self, read: impl FnOnce(&novation_protocol::State) -> R) -> R {
        read(&self.chain().state)
    }

    /// Closes a block now with the node clock: takes the mempool's next transactions,
    /// applies, commits durably and publishes. The sequencer calls this on its timer; a
    /// benchmark may call it directly, as often as it likes.
    pub fn produce_block_now(&self) -> Result<ProducedBlock, NodeError> {
        self.produce_block_at(now_ms())
    }

    /// Like [`Node::produce_block_now`] with an explicit block time (raised to the previous
    /// block's time if earlier).
    pub fn produce_block_at(&self, time_ms: u64) -> Result<ProducedBlock, NodeError> {
        let _producing = self.shared.producing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.shared.halted.load(Ordering::Acquire) {
            return Err(NodeError::Halted);
        }
        let started = Instant::now();
        let notice = {
            let mut chain = self.chain_mut();
            let pending = {
                let state = &chain.state;
                self.mempool().take_block(self.shared.max_block_txs, self.shared.max_block_bytes, time_ms, |signer| {
                    state.nonce(signer)
                })
            };
            match chain.produce(pending, time_ms) {
                Ok(notice) => notice,
                Err(error) => {
                    self.shared.halted.store(true, Ordering::Release);
                    return Err(error);
                }
            }
        };
        Ok(self.publish(notice, started))
    }

    /// Writes the snapshot of the committed state now (besides every
    /// [`ChainConfig::snapshot_interval_blocks`] blocks); returns its height (0: nothing to
    /// snapshot before the first block).
    pub fn write_snapshot(&self) -> Result<u64, NodeError> {
        let _producing = self.shared.producing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.chain().write_snapshot()
    }

    /// `nov_status`'s fields.
    pub fn status_json(&self) -> serde_json::Value {
        let chain = self.chain();
        let header = chain.last_header;
        let mut status = serde_json::json!({
            "chain_id": self.shared.chain_id,
            "height": chain.height(),
            "time_ms": chain.state.time_ms(),
            "block_hash": header.map(|h| hex(&h.hash())),
            "state_root": hex(&chain.tree.root()),
        });
        drop(chain);
        if let Some(fields) = status.as_object_mut() {
            if let Some(hook) = self.shared.status_extra.get() {
                fields.insert("consensus".into(), hook());
            }
            fields.insert("halted".into(), serde_json::json!(self.halted()));
        }
        status
    }

    /// Stops this node from committing any further block, for `reason` (shown by
    /// `nov_status`): what a validator does when it finds itself off the agreed chain.
    pub fn halt(&self, reason: &str) {
        self.shared.halted.store(true, Ordering::Release);
        *self.shared.halt_reason.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_string());
    }

    /// Whether the node halted, and why.
    pub fn halted(&self) -> Option<String> {
        if !self.shared.halted.load(Ordering::Acquire) {
            return None;
        }
        let reason = self.shared.halt_reason.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Some(reason.unwrap_or_else(|| "a block failed to commit".into()))
    }

    /// Sets the hook told of every envelope a client's submission admits (once per node).
    pub fn set_admission_hook(&self, hook: impl Fn(&SignedTransaction) + Send + Sync + 'static) {
        let _ = self.shared.on_admitted.set(Box::new(hook));
    }

    /// What `nov_status` reports under `consensus` (a validator network's node only).
    pub fn consensus_status(&self) -> Option<serde_json::Value> {
        self.shared.status_extra.get().map(|hook| hook())
    }

    /// Sets what `nov_status` reports under `consensus` (once per node).
    pub fn set_status_hook(&self, hook: impl Fn() -> serde_json::Value + Send + Sync + 'static) {
        let _ = self.shared.status_extra.set(Box::new(hook));
    }

    /// The hash block 1 names as its parent: SHA-256 of the stored genesis JSON.
    pub fn genesis_hash(&self) -> Hash32 {
        self.chain().genesis_hash
    }

    /// The block time of the latest block (0 before the first).
    pub fn time_ms(&self) -> u64 {
        self.chain().state.time_ms()
    }

    /// The transactions the mempool would put in the next block, in block order, left in the
    /// pool (a proposal may not be decided).
    pub fn block_candidates(&self) -> Vec<BlockTx> {
        let chain = self.chain();
        let state = &chain.state;
        let pending =
            self.mempool()
                .peek_block(self.shared.max_block_txs, self.shared.max_block_bytes, now_ms(), |s| state.nonce(s));
        pending.into_iter().map(|p| BlockTx { hash: p.hash, tx: p.tx, envelope: p.envelope }).collect()
    }

    /// Most transactions and envelope bytes in one block.
    pub fn block_limits(&self) -> (usize, usize) {
        (self.shared.max_block_txs, self.shared.max_block_bytes)
    }

    /// Commits a block decided elsewhere (by consensus) as height `height`: applies `prices`
    /// and `txs` at `time_ms`, writes it to the block log, forgets its transactions from the
    /// mempool and publishes it. The caller verified the transactions
    /// ([`Node::verify_envelope`]) and keeps the block durably itself, replaying it after a
    /// crash: the log makes it durable within a second, not before returning.
    pub fn commit_block(
        &self,
        height: u64,
        time_ms: u64,
        txs: Vec<BlockTx>,
        prices: Vec<novation_protocol::PublisherPrices>,
    ) -> Result<ProducedBlock, NodeError> {
        let _producing = self.shared.producing.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.shared.halted.load(Ordering::Acquire) {
            return Err(NodeError::Halted);
        }
        let started = Instant::now();
        let committed: Vec<(Address, u64)> = txs.iter().map(|t| (t.tx.signer(), t.tx.nonce)).collect();
        let notice = {
            let mut chain = self.chain_mut();
            let expected = chain.height() + 1;
            if height != expected {
                return Err(NodeError::Block(novation_protocol::BlockError::WrongHeight { expected, got: height }));
            }
            let notice = match chain.commit_block(txs, time_ms, prices, crate::chain::Durability::Deferred) {
                Ok(notice) => notice,
                Err(error) => {
                    self.shared.halted.store(true, Ordering::Release);
                    return Err(error);
                }
            };
            let state = &chain.state;
            self.mempool().forget_committed(&committed, |s| state.nonce(s));
            notice
        };
        Ok(self.publish(notice, started))
    }

    fn publish(&self, notice: BlockNotice, started: Instant) -> ProducedBlock {
        let metrics = &self.shared.metrics;
        metrics.last_block_micros.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        metrics.last_block_txs.store(notice.tx_count as u64, Ordering::Relaxed);
        metrics.total_txs.fetch_add(notice.tx_count as u64, Ordering::Relaxed);
        let produced = ProducedBlock { header: notice.header, tx_count: notice.tx_count };
        let notice = Arc::new(notice);
        self.chain().history.index(notice.clone());
        // No subscribers is not an error.
        let _ = self.shared.notices.send(notice);
        produced
    }
}

/// The heights of the blocks a node commits, as they are committed: see
/// [`Node::block_heights`].
pub struct BlockHeights(broadcast::Receiver<Arc<BlockNotice>>);

impl std::fmt::Debug for BlockHeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockHeights").finish_non_exhaustive()
    }
}

impl BlockHeights {
    /// The next committed height. A reader that fell behind gets the oldest height still
    /// buffered (heights it missed are skipped: read what they did from the store); `None`
    /// once the node is gone.
    pub async fn next(&mut self) -> Option<u64> {
        loop {
            match self.0.recv().await {
                Ok(notice) => return Some(notice.header.height),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

impl Node {
    /// Follows the blocks this node commits from now on, for in-process readers that push
    /// updates (the Hyperliquid gateway's WebSocket). Block production never waits for them.
    pub fn block_heights(&self) -> BlockHeights {
        BlockHeights(self.shared.notices.subscribe())
    }
}

/// The Hyperliquid network whose signatures the chain with `params` accepts, as
/// novation-tx names it.
pub fn hyperliquid_network(params: &novation_protocol::params::ChainParams) -> novation_tx::hyperliquid::Network {
    match params.hyperliquid.network {
        novation_protocol::params::HyperliquidNetwork::Testnet => novation_tx::hyperliquid::Network::Testnet,
        novation_protocol::params::HyperliquidNetwork::Mainnet => novation_tx::hyperliquid::Network::Mainnet,
    }
}
