//! [`Node`]: the shared handle over chain, mempool and block notifications. Cheap to clone;
//! every method is safe to call from any thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use novation_protocol::params::Genesis;
use novation_tx::SignedTransaction;
use novation_types::Address;
use tokio::sync::broadcast;

use crate::chain::{BlockNotice, Chain};
use crate::header::{hex, tx_id, Hash32, NodeHeader};
use crate::mempool::{Mempool, MempoolLimits};
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
    /// Serialises block production.
    producing: Mutex<()>,
    halted: AtomicBool,
    pub(crate) notices: broadcast::Sender<Arc<BlockNotice>>,
    pub(crate) metrics: Metrics,
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

/// Milliseconds since the Unix epoch by the system clock.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Node {
    /// Opens the chain (replaying and checking an existing block log).
    pub fn open(config: ChainConfig) -> Result<Node, NodeError> {
        let chain = Chain::open(&config.data_dir, config.genesis, config.chain_id, config.snapshot_interval_blocks)?;
        let (notices, _) = broadcast::channel(256);
        Ok(Node {
            shared: Arc::new(Shared {
                chain: RwLock::new(chain),
                mempool: Mutex::new(Mempool::new(config.mempool)),
                producing: Mutex::new(()),
                halted: AtomicBool::new(false),
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

    /// Checks an envelope (size, shape, chain id, signature) and admits it to the mempool.
    pub fn submit(&self, envelope: SignedTransaction) -> Result<Admitted, NodeError> {
        let tx = novation_tx::verify(self.shared.chain_id, &envelope)?;
        let signer = tx.signer();
        let signing_hash =
            novation_tx::signing_hash(self.shared.chain_id, envelope.payload.as_bytes(), tx.sender, tx.nonce);
        let tx_hash = tx_id(&signing_hash, signer);
        let nonce = tx.nonce;
        let chain = self.chain();
        let limits = &chain.state.params().limits;
        novation_protocol::check_transaction_stateless(&tx, limits).map_err(NodeError::Rejected)?;
        if let Some(agent) = tx.agent {
            // A signer that is neither the account nor its agent would only fail in the block.
            if !chain.state.is_agent(tx.sender, agent) {
                let code = novation_types::ErrorCode::UnauthorizedAgent;
                return Err(NodeError::Rejected(novation_protocol::TxError { code, action_index: None }));
            }
        }
        if chain.included(&tx_hash).is_some() {
            return Err(NodeError::AlreadyKnown);
        }
        let chain_nonce = chain.state.nonce(signer);
        // Lock order: chain, then mempool (as block production), so the nonce read here is
        // the one the pool classifies against.
        self.mempool().admit(tx_hash, tx, envelope, chain_nonce, now_ms())?;
        drop(chain);
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
        let metrics = &self.shared.metrics;
        metrics.last_block_micros.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        metrics.last_block_txs.store(notice.tx_count as u64, Ordering::Relaxed);
        metrics.total_txs.fetch_add(notice.tx_count as u64, Ordering::Relaxed);
        let produced = ProducedBlock { header: notice.header, tx_count: notice.tx_count };
        // No subscribers is not an error.
        let _ = self.shared.notices.send(Arc::new(notice));
        Ok(produced)
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
        serde_json::json!({
            "chain_id": self.shared.chain_id,
            "height": chain.height(),
            "time_ms": chain.state.time_ms(),
            "block_hash": header.map(|h| hex(&h.hash())),
            "state_root": hex(&chain.tree.root()),
        })
    }
}
