//! The chain: protocol state, state commitment and block log, kept in step.
//!
//! ```text
//!  Mempool::take_block ─► State::apply_block ─► take_changed_keys ─► StateTree::apply
//!        ─► header {height, time, parent, tx_root, state_root}
//!        ─► Store::commit_block_with_meta (header, body, results, state_root): durable
//!          (deferred for consensus blocks, below)
//!        ─► tx index ─► subscribers ─► history indexer
//! ```
//!
//! A block decided by consensus ([`Durability::Deferred`]) is already durable in the
//! consensus store, which replays it after a crash: the block log then commits it without
//! waiting for the disk, and durably at most every [`DEFERRED_PERSIST_EVERY`]. A crash loses
//! at most that much of the log, whole blocks with their state root, never a decided block.
//!
//! Every `snapshot_interval_blocks` blocks the committed state's snapshot is written to the
//! store (the newest [`SNAPSHOTS_KEPT`] are kept). On open with an existing block log the
//! chain starts from the newest snapshot whose decoded state commits to the state root of its
//! height (one that does not decode or verify is reported and skipped: the next older one is
//! tried, then the genesis), replays only the blocks after it through the protocol, and
//! refuses to start if the resulting root differs from the stored one.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use novation_protocol::params::Genesis;
use novation_protocol::{Block, BlockHeader, BlockOutcome, State, StateKey};
use novation_store::commitment::hash::{key_hash, value_hash};
use novation_store::commitment::{Hash, StateTree};
use novation_store::Store;
use novation_types::{Address, Event};

use crate::header::{decode, decode_results, encode_into, hex, sha256, tx_root, BlockBody, Hash32, NodeHeader};
use crate::history::{self, MarketUnits};
use crate::indexer::Indexer;
use crate::mempool::PendingTx;
use crate::NodeError;

/// A transaction verified for a block: its identity, the authenticated transaction and the
/// envelope as received.
#[derive(Clone, Debug)]
pub struct BlockTx {
    /// `SHA-256(signing hash || signer)`.
    pub hash: Hash32,
    /// The authenticated transaction.
    pub tx: novation_types::Transaction,
    /// The signed envelope.
    pub envelope: novation_tx::SignedTransaction,
}

/// Snapshots kept in the store: the newest, and one older to fall back on.
pub(crate) const SNAPSHOTS_KEPT: usize = 2;

/// Transactions whose inclusion is remembered in memory (older ones are found in the
/// store's history).
const TX_INDEX_ENTRIES: usize = 2_000_000;

/// One event with where it happened.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventRecord<'a> {
    pub(crate) height: u64,
    pub(crate) time_ms: u64,
    /// Index of the transaction, `None` for end-of-block events.
    pub(crate) tx_index: Option<u32>,
    pub(crate) event: &'a Event,
}

/// What a committed block did, as published to subscribers.
#[derive(Clone, Debug)]
pub(crate) struct BlockNotice {
    pub(crate) header: NodeHeader,
    /// Its results, each event where the protocol put it (read through
    /// [`BlockNotice::events`]; never copied into one list, which would cost a fresh
    /// allocation of every event of every block).
    pub(crate) outcome: BlockOutcome,
    pub(crate) tx_count: usize,
    /// The identities of its transactions, in block order.
    pub(crate) tx_hashes: Vec<Hash32>,
}

impl BlockNotice {
    /// The block's events in order: each transaction's, then the end-of-block ones. An
    /// event's position in this sequence is its `seq` in history.
    pub(crate) fn events(&self) -> impl Iterator<Item = EventRecord<'_>> + '_ {
        let (height, time_ms) = (self.header.height, self.header.time_ms);
        let record = move |tx_index, event| EventRecord { height, time_ms, tx_index, event };
        let of_transactions = self
            .outcome
            .transactions
            .iter()
            .enumerate()
            .flat_map(move |(index, tx)| tx.events.iter().map(move |event| record(Some(index as u32), event)));
        of_transactions.chain(self.outcome.end_block_events.iter().map(move |event| record(None, event)))
    }
}

/// State, commitment and log.
pub(crate) struct Chain {
    pub(crate) state: State,
    pub(crate) tree: StateTree,
    /// Shared with readers of history, which need no lock on the chain.
    pub(crate) store: Arc<Store>,
    pub(crate) genesis_hash: Hash32,
    pub(crate) last_header: Option<NodeHeader>,
    tx_index: HashMap<Hash32, (u64, u32)>,
    tx_index_order: VecDeque<Hash32>,
    /// Indexes every committed block's history into its own store.
    pub(crate) history: Arc<Indexer>,
    /// Blocks between two snapshots (0: none are written).
    snapshot_interval_blocks: u64,
    /// When the block log was last made durable.
    last_durable: std::time::Instant,
    /// The encoded body and results of the block being committed, kept from block to block
    /// so that encoding a multi-megabyte block writes into memory already in use.
    body_bytes: Vec<u8>,
    results_bytes: Vec<u8>,
}

/// Whether a committed block must be durable when the commit returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durability {
    /// This log is the block's only durable record (the solo chain).
    Immediate,
    /// Another store holds the block durably and replays it after a crash (consensus).
    Deferred,
}

/// Longest time a deferred block stays not durable in the block log.
pub(crate) const DEFERRED_PERSIST_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Addresses an event touches: every subaccount owner and account/agent it names.
pub(crate) fn touched_addresses(event: &Event) -> Vec<Address> {
    let mut out: Vec<Address> = match event {
        Event::Deposited { subaccount, .. }
        | Event::Withdrew { subaccount, .. }
        | Event::MarginModeChanged { subaccount, .. }
        | Event::OrderAccepted { subaccount, .. }
        | Event::OrderCancelled { subaccount, .. }
        | Event::FundingSettled { subaccount, .. }
        | Event::LiquidationStarted { subaccount, .. }
        | Event::LiquidationFee { subaccount, .. }
        | Event::BackstopCollateral { subaccount, .. }
        | Event::BackstopLimitReached { subaccount, .. }
        | Event::CollateralLiquidated { subaccount, .. }
        | Event::InsuranceFundPaid { subaccount, .. }
        | Event::BadDebt { subaccount, .. }
        | Event::LiquidationEnded { subaccount, .. }
        | Event::InsuranceFunded { subaccount, .. }
        | Event::BackstopFunded { subaccount, .. }
        | Event::TriggerPlaced { subaccount, .. }
        | Event::TriggerRejected { subaccount, .. }
        | Event::PositionSettled { subaccount, .. }
        | Event::MarginModeSet { subaccount, .. } => vec![subaccount.owner],
        Event::Transferred { from, to, .. } => vec![from.owner, to.owner],
        Event::Fill { maker, taker, .. } => vec![maker.owner, taker.owner],
        Event::BackstopTakeover { subaccount, backstop, .. } => vec![subaccount.owner, backstop.owner],
        Event::AutoDeleveraged { subaccount, bankrupt, .. } => vec![subaccount.owner, bankrupt.owner],
        Event::AgentAuthorized { account, agent } | Event::AgentRevoked { account, agent } => vec![*account, *agent],
        Event::ItemRejected { account, .. } => vec![*account],
        Event::OracleInputRejected { publisher, .. } => vec![*publisher],
        Event::OrderRested { .. }
        | Event::BadDebtCovered { .. }
        | Event::OrderModified { .. }
        | Event::OraclePrice { .. }
        | Event::MarkPrice { .. }
        | Event::FundingRate { .. }
        | Event::Triggered { .. }
        | Event::SettlementPriceSet { .. }
        | Event::MarketSettled { .. }
        | Event::VolSurfaceUpdated { .. }
        | Event::VolSurfaceRejected { .. }
        | Event::SeriesListed { .. } => Vec::new(),
    };
    out.dedup();
    out
}

/// The key hash and value hash (`None`: the entry is gone) of each of `keys` in `state`: each
/// entry's bytes are hashed as soon as they are encoded and dropped, never all held at once.
fn hashed_entries(state: &State, keys: &[StateKey]) -> Vec<(Hash, Option<Hash>)> {
    keys.iter()
        .map(|key| (key_hash(&key.to_bytes()), state.commitment_value(key).map(|value| value_hash(&value))))
        .collect()
}

/// The commitment of every entry of `state`, built from scratch. Keys and values are hashed
/// on two threads (the half of the keys each); the tree is then built from the hashes.
fn commitment_of(state: &mut State) -> StateTree {
    let keys = state.commitment_keys();
    let shared: &State = state;
    let hash = |keys: &[StateKey]| hashed_entries(shared, keys);
    let (first, second) = keys.split_at(keys.len() / 2);
    let mut hashed = std::thread::scope(|scope| {
        let other = std::thread::Builder::new().spawn_scoped(scope, || hash(second));
        let mut hashed = hash(first);
        // A thread that cannot start or fails leaves its half to this one.
        let rest = other.ok().and_then(|handle| handle.join().ok()).unwrap_or_else(|| hash(second));
        hashed.extend(rest);
        hashed
    });
    drop(keys);
    let mut tree = StateTree::new();
    tree.apply_hashed(&mut hashed);
    state.take_changed_keys();
    tree
}

fn state_root_meta(store: &Store) -> Result<Option<Hash32>, NodeError> {
    Ok(store.get_meta("state_root")?.and_then(|bytes| bytes.try_into().ok()))
}

impl Chain {
    /// Opens (or creates) the chain in `data_dir`: a new chain starts from `genesis`; an
    /// existing one uses the genesis stored with it and is replayed and checked.
    pub(crate) fn open(
        data_dir: &Path,
        genesis: Genesis,
        chain_id: u64,
        snapshot_interval_blocks: u64,
    ) -> Result<Chain, NodeError> {
        std::fs::create_dir_all(data_dir)?;
        let store = Arc::new(Store::open(data_dir.join("chain.redb"))?);
        // Indexes whatever the log holds beyond the history already written, while the state
        // is restored below.
        let history = Arc::new(Indexer::start(data_dir, store.clone())?);
        let genesis_bytes = match store.get_meta("genesis")? {
            Some(bytes) => {
                let stored_chain = store
                    .get_meta("chain_id")?
                    .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| NodeError::Corrupt("meta chain_id missing".into()))?;
                if stored_chain != chain_id {
                    return Err(NodeError::ChainIdMismatch { stored: stored_chain, configured: chain_id });
                }
                bytes
            }
            None => {
                let bytes = serde_json::to_vec(&genesis).map_err(|e| NodeError::Genesis(e.to_string()))?;
                store.put_meta("chain_id", &chain_id.to_be_bytes())?;
                store.put_meta("genesis", &bytes)?;
                bytes
            }
        };
        let genesis: Genesis = serde_json::from_slice(&genesis_bytes).map_err(|e| NodeError::Genesis(e.to_string()))?;
        let state = State::new(genesis).map_err(|e| NodeError::Genesis(e.0))?;
        let mut chain = Chain {
            state,
            tree: StateTree::new(),
            store,
            genesis_hash: sha256(&genesis_bytes),
            last_header: None,
            tx_index: HashMap::new(),
            tx_index_order: VecDeque::new(),
            history,
            snapshot_interval_blocks,
            last_durable: std::time::Instant::now(),
            body_bytes: Vec::new(),
            results_bytes: Vec::new(),
        };
        let restored = chain.restore_snapshot()?;
        chain.replay(restored)?;
        Ok(chain)
    }

    /// Starts from the newest stored snapshot that decodes and commits to the state root
    /// of its height; returns whether one did (state, tree and last header are then set).
    fn restore_snapshot(&mut self) -> Result<bool, NodeError> {
        let latest = self.store.latest_height()?.unwrap_or(0);
        for height in self.store.snapshot_heights()? {
            eprintln!("novation: loading the state snapshot at height {height}");
            match self.verified_snapshot(height, latest) {
                Ok((state, tree, header)) => {
                    self.state = state;
                    self.tree = tree;
                    self.last_header = Some(header);
                    return Ok(true);
                }
                Err(why) => eprintln!("novation: skipping the state snapshot at height {height}: {why}"),
            }
        }
        Ok(false)
    }

    /// The state, commitment and header of the snapshot at `height`, if it decodes and its
    /// root is the stored state root of block `height`.
    fn verified_snapshot(&self, height: u64, latest: u64) -> Result<(State, StateTree, NodeHeader), String> {
        if height == 0 || height > latest {
            return Err(format!("no committed block {height} (the log ends at {latest})"));
        }
        let bytes = self.store.snapshot(height).map_err(|e| e.to_string())?.ok_or("it is gone")?;
        let header: NodeHeader = match self.store.header(height).map_err(|e| e.to_string())? {
            Some(bytes) => decode(&bytes, "header").map_err(|e| e.to_string())?,
            None => return Err(format!("block {height} has no header")),
        };
        let mut state = State::from_snapshot(&bytes).map_err(|e| e.to_string())?;
        drop(bytes);
        if state.height() != height || state.time_ms() != header.time_ms {
            return Err(format!("it holds the state of height {}, not {height}", state.height()));
        }
        let tree = commitment_of(&mut state);
        if tree.root() != header.state_root {
            return Err(format!(
                "its state root {} is not block {height}'s {}",
                hex(&tree.root()),
                hex(&header.state_root)
            ));
        }
        Ok((state, tree, header))
    }

    /// Applies the stored blocks after the current state (all of them from the genesis when
    /// `from_snapshot` is false) and checks the resulting root against the stored one.
    fn replay(&mut self, from_snapshot: bool) -> Result<(), NodeError> {
        let stored: Vec<_> = self.store.blocks_from(self.state.height() + 1)?.collect::<Result<_, _>>()?;
        let mut progress = ReplayProgress::new(stored.len());
        for block in stored {
            progress.step();
            let header: NodeHeader = decode(&block.header, "header")?;
            let body: BlockBody = decode(&block.block, "block")?;
            self.state
                .apply_block(&Block {
                    header: BlockHeader { height: header.height, time_ms: header.time_ms },
                    transactions: body.transactions,
                    prices: body.prices,
                })
                .map_err(NodeError::Block)?;
            self.remember(&header, &body.tx_hashes);
            self.last_header = Some(header);
            if from_snapshot {
                self.commit_changes();
            }
        }
        if !from_snapshot {
            self.tree = commitment_of(&mut self.state);
        }
        if let Some(header) = self.last_header {
            let recomputed = self.tree.root();
            let stored = state_root_meta(&self.store)?.unwrap_or(header.state_root);
            if recomputed != header.state_root || recomputed != stored {
                return Err(NodeError::StateRootMismatch {
                    height: header.height,
                    stored: hex(&header.state_root),
                    recomputed: hex(&recomputed),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn height(&self) -> u64 {
        self.state.height()
    }
}

/// Says how a replay goes: its size at the start, then a line every few seconds, so an
/// operator restarting a long chain sees it working.
struct ReplayProgress {
    total: usize,
    done: usize,
    started: std::time::Instant,
    last_said: std::time::Instant,
}

impl ReplayProgress {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(3);

    fn new(total: usize) -> ReplayProgress {
        if total > 0 {
            eprintln!("novation: replaying {total} stored blocks");
        }
        let now = std::time::Instant::now();
        ReplayProgress { total, done: 0, started: now, last_said: now }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.last_said.elapsed() >= Self::EVERY {
            self.last_said = std::time::Instant::now();
            eprintln!(
                "novation: replayed {} of {} blocks ({} s)",
                self.done,
                self.total,
                self.started.elapsed().as_secs()
            );
        }
    }
}

impl Chain {
    /// Where a recent transaction was included (from memory: cheap enough for admission).
    pub(crate) fn recently_included(&self, hash: &Hash32) -> Option<(u64, u32)> {
        self.tx_index.get(hash).copied()
    }

    /// Where a transaction was included, from memory or the store's history.
    pub(crate) fn included(&self, hash: &Hash32) -> Result<Option<(u64, u32)>, NodeError> {
        match self.recently_included(hash) {
            Some(location) => Ok(Some(location)),
            None => history::tx_location(self.history.store(), hash),
        }
    }

    /// Every market's units, indexed by market id.
    pub(crate) fn market_units(&self) -> Vec<MarketUnits> {
        self.state
            .params()
            .markets
            .iter()
            .map(|m| MarketUnits { symbol: m.symbol.clone(), tick_size: m.tick_size, lot_size: m.lot_size })
            .collect()
    }

    /// What block `height` did, read back from the store (for subscribers resuming from a
    /// height).
    pub(crate) fn stored_notice(store: &Store, height: u64) -> Result<Option<BlockNotice>, NodeError> {
        let Some(header_bytes) = store.header(height)? else { return Ok(None) };
        let header: NodeHeader = decode(&header_bytes, "header")?;
        let results = store.results(height)?.ok_or_else(|| NodeError::Corrupt(format!("block {height} results")))?;
        let outcome = decode_results(&results)?;
        let body: BlockBody =
            decode(&store.block(height)?.ok_or_else(|| NodeError::Corrupt(format!("block {height} body")))?, "block")?;
        Ok(Some(BlockNotice { header, outcome, tx_count: body.tx_hashes.len(), tx_hashes: body.tx_hashes }))
    }

    /// Applies `pending` as block `height + 1` at `time_ms` (raised to the last block time),
    /// commits it durably and returns what subscribers see.
    pub(crate) fn produce(&mut self, pending: Vec<PendingTx>, time_ms: u64) -> Result<BlockNotice, NodeError> {
        let txs = pending.into_iter().map(|p| BlockTx { hash: p.hash, tx: p.tx, envelope: p.envelope }).collect();
        self.commit_block(txs, time_ms, Vec::new(), Durability::Immediate)
    }

    /// Applies `txs` (verified already) as block `height + 1` at `time_ms` (raised to the last
    /// block time), commits it durably and returns what subscribers see.
    pub(crate) fn commit_block(
        &mut self,
        txs: Vec<BlockTx>,
        time_ms: u64,
        prices: Vec<novation_protocol::PublisherPrices>,
        durability: Durability,
    ) -> Result<BlockNotice, NodeError> {
        let height = self.state.height() + 1;
        let time_ms = time_ms.max(self.state.time_ms());
        let mut body = BlockBody::default();
        for tx in txs {
            body.transactions.push(tx.tx);
            body.envelopes.push(tx.envelope);
            body.tx_hashes.push(tx.hash);
        }
        let block = Block { header: BlockHeader { height, time_ms }, transactions: body.transactions, prices };
        let outcome = self.state.apply_block(&block).map_err(NodeError::Block)?;
        body.transactions = block.transactions;
        body.prices = block.prices;
        self.commit_changes();
        let header = NodeHeader {
            height,
            time_ms,
            parent_hash: self.last_header.map_or(self.genesis_hash, |h| h.hash()),
            tx_root: tx_root(&body.tx_hashes),
            state_root: self.tree.root(),
        };
        let root = header.state_root;
        let durable = durability == Durability::Immediate || self.last_durable.elapsed() >= DEFERRED_PERSIST_EVERY;
        encode_into(&body, &mut self.body_bytes)?;
        encode_into(&outcome, &mut self.results_bytes)?;
        self.store.commit_block_with_meta(
            height,
            &header.to_bytes(),
            &self.body_bytes,
            &self.results_bytes,
            &[("state_root", &root)],
            durable,
        )?;
        if durable {
            self.last_durable = std::time::Instant::now();
        }
        self.remember(&header, &body.tx_hashes);
        self.last_header = Some(header);
        if self.snapshot_interval_blocks > 0 && height.is_multiple_of(self.snapshot_interval_blocks) {
            // The block is durable already; a snapshot that cannot be written is only a
            // slower next start.
            if let Err(error) = self.write_snapshot() {
                eprintln!("novation: the state snapshot at height {height} was not written: {error}");
            }
        }
        Ok(BlockNotice { header, outcome, tx_count: body.tx_hashes.len(), tx_hashes: body.tx_hashes })
    }

    /// Writes the snapshot of the committed state at the current height to the store (the
    /// newest [`SNAPSHOTS_KEPT`] are kept).
    pub(crate) fn write_snapshot(&self) -> Result<u64, NodeError> {
        let height = self.state.height();
        if height == 0 {
            return Ok(0);
        }
        self.store.put_snapshot(height, &self.state.to_snapshot(), SNAPSHOTS_KEPT)?;
        Ok(height)
    }

    /// Brings the commitment up to date with the entries changed since it last was.
    fn commit_changes(&mut self) {
        let changed: Vec<StateKey> = self.state.take_changed_keys();
        let mut hashed = hashed_entries(&self.state, &changed);
        self.tree.apply_hashed(&mut hashed);
    }

    /// Remembers where a block's transactions were included.
    fn remember(&mut self, header: &NodeHeader, hashes: &[Hash32]) {
        for (index, hash) in hashes.iter().enumerate() {
            self.tx_index.insert(*hash, (header.height, index as u32));
            self.tx_index_order.push_back(*hash);
        }
        while self.tx_index_order.len() > TX_INDEX_ENTRIES {
            if let Some(old) = self.tx_index_order.pop_front() {
                self.tx_index.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use novation_math::Decimal;
    use novation_protocol::TxOutcome;
    use novation_types::MarketId;

    use super::*;

    fn funding(market: u16) -> Event {
        Event::FundingRate { market: MarketId(market), rate: Decimal::ZERO, index: Decimal::ZERO }
    }

    #[test]
    fn a_notice_lists_each_transactions_events_then_the_end_of_block_ones() {
        let header =
            NodeHeader { height: 7, time_ms: 9_000, parent_hash: [0; 32], tx_root: [0; 32], state_root: [0; 32] };
        let tx = |events| TxOutcome { result: Ok(()), events };
        let outcome = BlockOutcome {
            transactions: vec![tx(vec![funding(1), funding(2)]), tx(vec![]), tx(vec![funding(3)])],
            end_block_events: vec![funding(4)],
        };
        let notice = BlockNotice { header, outcome, tx_count: 3, tx_hashes: vec![[1; 32], [2; 32], [3; 32]] };
        let listed: Vec<(u64, u64, Option<u32>, Event)> =
            notice.events().map(|r| (r.height, r.time_ms, r.tx_index, r.event.clone())).collect();
        let expected = vec![
            (7, 9_000, Some(0), funding(1)),
            (7, 9_000, Some(0), funding(2)),
            (7, 9_000, Some(2), funding(3)),
            (7, 9_000, None, funding(4)),
        ];
        assert_eq!(listed, expected);
    }
}
