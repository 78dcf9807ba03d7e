//! The history indexer: derives each committed block's history rows ([`crate::history`]) on a
//! thread of its own and writes them to a store of their own, `history.redb` beside the block
//! log, so indexing never delays a block.
//!
//! ```text
//!  Chain::commit_block ─► chain.redb (durable) ─► Node::publish ─► subscribers
//!                                                       └─► Indexer thread ─► history.redb
//!                                                            (rows + indexed_height, one write)
//! ```
//!
//! The highest height indexed is written in the same transaction as its rows (blocks without
//! rows, an idle chain's, are not a transaction each: their height goes with the next). Those
//! transactions are made durable at most every [`PERSIST_EVERY`] (and when the indexer is
//! idle or stops), not once per block: a crash loses at most that much of the index, rows and
//! height together, and what it loses is indexed again from the block log. On start the
//! indexer first indexes, from the block log, every block after that height — all of them
//! when `history.redb` is new or was deleted: history can always be rebuilt from the blocks.
//! A reader waits (briefly) until the indexer has reached the height the chain was at when
//! the question came, so a client that saw its transaction included finds its fills.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use novation_store::Store;

use crate::chain::{BlockNotice, Chain};
use crate::history::History;
use crate::NodeError;

/// How long a reader waits for the indexer to reach the chain's height.
const READ_WAIT: Duration = Duration::from_secs(5);

/// Longest time the indexer's writes stay not durable (they are visible to readers at once).
const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// Most blocks written in one transaction.
const MAX_BATCH_BLOCKS: usize = 16;

/// Most block notices waiting for the indexer (each holds its block's every event).
const QUEUED_BLOCKS: usize = 64;

/// `history.redb`'s meta row naming the layout of its rows.
const LAYOUT_META: &str = "history_layout";

/// `history.redb`'s meta row holding the highest height indexed (`u64` big-endian).
const INDEXED_HEIGHT: &str = "indexed_height";

/// How far the indexer has come, and whether it stopped on an error.
#[derive(Default)]
struct Progress {
    state: Mutex<(u64, Option<String>)>,
    changed: Condvar,
}

impl Progress {
    fn set(&self, height: u64) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = height;
        }
        self.changed.notify_all();
    }

    fn fail(&self, why: String) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = Some(why);
        }
        self.changed.notify_all();
    }
}

/// The indexer's handle: its store for readers, and the way to hand it blocks.
pub(crate) struct Indexer {
    store: Arc<Store>,
    progress: Arc<Progress>,
    sender: Option<mpsc::SyncSender<Arc<BlockNotice>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Opens `history.redb` in `data_dir` and starts indexing: first the blocks of
    /// `chain_store` after the stored height, then each block handed to [`Indexer::index`].
    pub(crate) fn start(data_dir: &Path, chain_store: Arc<Store>) -> Result<Indexer, NodeError> {
        let store = Arc::new(open_in_layout(&data_dir.join("history.redb"))?);
        let indexed = store
            .get_meta(INDEXED_HEIGHT)?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
            .map_or(0, u64::from_be_bytes);
        let progress = Arc::new(Progress::default());
        progress.set(indexed);
        let (sender, receiver) = mpsc::sync_channel(QUEUED_BLOCKS);
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            store: store.clone(),
            chain_store,
            progress: progress.clone(),
            stop: stop.clone(),
            history: History::default(),
            indexed,
            last_persisted: Instant::now(),
            volatile: false,
            height_unwritten: false,
        };
        let thread = std::thread::Builder::new()
            .name("novation-history".into())
            .spawn(move || worker.run(receiver))
            .map_err(NodeError::Io)?;
        Ok(Indexer { store, progress, sender: Some(sender), stop, thread: Some(thread) })
    }

    /// Hands a committed block to the indexer, never waiting: when [`QUEUED_BLOCKS`] are
    /// already queued the notice is dropped, and the indexer reads that block from the block
    /// log when it sees the gap, so a slow history store neither stalls the chain nor holds
    /// an unbounded backlog of blocks in memory.
    pub(crate) fn index(&self, notice: Arc<BlockNotice>) {
        if let Some(sender) = &self.sender {
            // A stopped indexer has said why; the block is indexed at the next start.
            let _ = sender.try_send(notice);
        }
    }

    /// The history store once everything up to `height` is indexed (waiting up to a few
    /// seconds for it).
    pub(crate) fn reader(&self, height: u64) -> Result<Arc<Store>, NodeError> {
        let unavailable = |why: String| NodeError::Store(novation_store::StoreError::Engine(why));
        let state = self.progress.state.lock().map_err(|_| unavailable("history indexer lock".into()))?;
        let (state, _) = self
            .progress
            .changed
            .wait_timeout_while(state, READ_WAIT, |(indexed, failed)| *indexed < height && failed.is_none())
            .map_err(|_| unavailable("history indexer lock".into()))?;
        match &*state {
            (_, Some(why)) => Err(unavailable(format!("history is unavailable: {why}"))),
            (indexed, None) if *indexed < height => Err(unavailable(format!(
                "history is still being indexed: at height {indexed} of {height}; try again shortly"
            ))),
            _ => Ok(self.store.clone()),
        }
    }

    /// The history store as it is (for lookups that may miss the newest block).
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

impl Drop for Indexer {
    /// Stops the thread (after the block it is writing) and waits for it, so the store's file
    /// is closed when the chain is.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens the history store at `path`. One that cannot be used as it is (unreadable,
/// another program's, another schema version) is renamed aside with a notice and a new one
/// is indexed from the blocks: history is derived data, and a node must not refuse to start
/// over it.
fn open_or_set_aside(path: &Path) -> Result<Store, NodeError> {
    use novation_store::StoreError;
    match Store::open(path) {
        Ok(store) => Ok(store),
        Err(
            error @ (StoreError::Corrupted(_)
            | StoreError::ForeignDatabase(_)
            | StoreError::UnsupportedSchema { .. }
            | StoreError::UpgradeRequired(_)),
        ) => set_aside(path, &error),
        Err(StoreError::Io(error)) if error.kind() == std::io::ErrorKind::InvalidData => {
            set_aside(path, &StoreError::Io(error))
        }
        Err(error) => Err(error.into()),
    }
}

/// Opens the history store at `path` ([`open_or_set_aside`]); one whose rows are in another
/// layout than [`crate::history::LAYOUT`] is set aside and indexed again as well.
fn open_in_layout(path: &Path) -> Result<Store, NodeError> {
    let store = open_or_set_aside(path)?;
    let layout = store.get_meta(LAYOUT_META)?;
    if layout.as_deref() == Some(&[crate::history::LAYOUT][..]) {
        return Ok(store);
    }
    let store = if store.get_meta(INDEXED_HEIGHT)?.is_some() {
        drop(store);
        let found = layout.and_then(|bytes| bytes.first().copied()).unwrap_or(1);
        let why = format!("its rows are in layout {found}, this node writes {}", crate::history::LAYOUT);
        set_aside(path, &novation_store::StoreError::Engine(why))?
    } else {
        store
    };
    store.put_meta(LAYOUT_META, &[crate::history::LAYOUT])?;
    Ok(store)
}

/// Renames the unusable history store at `path` aside and opens a new one there.
fn set_aside(path: &Path, error: &novation_store::StoreError) -> Result<Store, NodeError> {
    let aside = path.with_extension(format!("redb.unusable-{}", crate::now_ms()));
    eprintln!(
        "novation: the history store {} cannot be used ({error}); it is kept as {} and history is indexed \
         again from the blocks",
        path.display(),
        aside.display()
    );
    std::fs::rename(path, &aside)?;
    Ok(Store::open(path)?)
}

/// The indexer thread's state.
struct Worker {
    store: Arc<Store>,
    chain_store: Arc<Store>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    history: History,
    indexed: u64,
    /// When the writes were last made durable, and whether some have been since.
    last_persisted: Instant,
    volatile: bool,
    /// Whether `indexed` is past the height in the store: blocks without rows (an idle
    /// chain's) are not written one by one, only with the next rows or the next durable write.
    height_unwritten: bool,
}

impl Worker {
    fn run(mut self, receiver: mpsc::Receiver<Arc<BlockNotice>>) {
        if let Err(error) = self.catch_up() {
            return self.fail(error);
        }
        loop {
            let result = match receiver.recv_timeout(PERSIST_EVERY) {
                Ok(first) => {
                    // Blocks that arrived meanwhile are written together: one transaction,
                    // each B-tree page copied once for all of them.
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH_BLOCKS {
                        let Ok(next) = receiver.try_recv() else { break };
                        batch.push(next);
                    }
                    self.index_received(&batch)
                }
                // Idle: blocks whose notices were dropped are read from the log, and what was
                // written becomes durable now rather than at the next block.
                Err(mpsc::RecvTimeoutError::Timeout) => self.catch_up().and_then(|()| self.persist()),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if let Err(error) = result {
                return self.fail(error);
            }
        }
        if let Err(error) = self.persist() {
            self.fail(error);
        }
    }

    /// Indexes the received blocks that follow the indexed height; a gap (a block the
    /// channel missed) is filled from the block log.
    fn index_received(&mut self, batch: &[Arc<BlockNotice>]) -> Result<(), NodeError> {
        let fresh: Vec<&BlockNotice> =
            batch.iter().map(|notice| &**notice).filter(|notice| notice.header.height > self.indexed).collect();
        let consecutive =
            fresh.iter().enumerate().all(|(offset, notice)| notice.header.height == self.indexed + 1 + offset as u64);
        if consecutive {
            self.write(&fresh)
        } else {
            self.catch_up()
        }
    }

    /// Makes the writes since the last durable one durable, with the indexed height.
    fn persist(&mut self) -> Result<(), NodeError> {
        if self.height_unwritten {
            self.store.put_history(&[], &[(INDEXED_HEIGHT, &self.indexed.to_be_bytes())], true)?;
            self.height_unwritten = false;
            self.volatile = false;
            self.last_persisted = Instant::now();
        } else if self.volatile {
            self.store.persist()?;
            self.volatile = false;
            self.last_persisted = Instant::now();
        }
        Ok(())
    }

    /// Indexes the stored blocks after the indexed height, up to the latest.
    fn catch_up(&mut self) -> Result<(), NodeError> {
        let latest = self.chain_store.latest_height()?.unwrap_or(0);
        let behind = latest.saturating_sub(self.indexed);
        if behind > 1_000 {
            eprintln!("novation: indexing the history of {behind} blocks");
        }
        while self.indexed < latest && !self.stop.load(Ordering::Acquire) {
            let last = latest.min(self.indexed + MAX_BATCH_BLOCKS as u64);
            let notices = (self.indexed + 1..=last)
                .map(|height| {
                    Chain::stored_notice(&self.chain_store, height)?
                        .ok_or_else(|| NodeError::Corrupt(format!("block {height} is missing from the log")))
                })
                .collect::<Result<Vec<_>, NodeError>>()?;
            self.write(&notices.iter().collect::<Vec<_>>())?;
        }
        Ok(())
    }

    /// Writes the rows of `notices` (consecutive blocks, the first right after the indexed
    /// height) and the new indexed height in one transaction.
    fn write(&mut self, notices: &[&BlockNotice]) -> Result<(), NodeError> {
        let Some(last) = notices.last().map(|notice| notice.header.height) else { return Ok(()) };
        let mut rows = Vec::new();
        for notice in notices {
            let mut block =
                self.history.rows_for_block(&self.store, notice.header.height, &notice.tx_hashes, notice.events())?;
            rows.append(&mut block.rows);
            // The next block's candles continue these (a failed write stops the indexer,
            // which starts again from the store).
            self.history.committed(block);
        }
        // In key order, the rows of one account land in one B-tree leaf after another
        // instead of alternating between kinds. Stable, so of two rows with one key (a
        // candle) the later is still the one kept.
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let durable = self.last_persisted.elapsed() >= PERSIST_EVERY;
        // Blocks without rows would change nothing but the height: it waits for the next
        // write, and a crash before then only has these blocks read from the log again.
        self.height_unwritten = rows.is_empty() && !durable;
        if !self.height_unwritten {
            self.store.put_history(&rows, &[(INDEXED_HEIGHT, &last.to_be_bytes())], durable)?;
            if durable {
                self.last_persisted = Instant::now();
            }
            self.volatile = !durable;
        }
        self.indexed = last;
        self.progress.set(last);
        Ok(())
    }

    fn fail(&self, error: NodeError) {
        eprintln!("novation: the history indexer stopped: {error}");
        self.progress.fail(error.to_string());
    }
}

#[cfg(test)]
mod tests {
    use novation_protocol::{BlockOutcome, TxOutcome};

    use super::*;
    use crate::header::{Hash32, NodeHeader};
    use crate::scratch::ScratchDir;

    /// A worker over fresh stores in a directory of its own, removed when dropped.
    struct Scratch {
        // Declared first: its stores are closed before their directory is removed.
        worker: Worker,
        _dir: ScratchDir,
    }

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = ScratchDir::new(&format!("indexer-{name}"));
            let worker = Worker {
                store: Arc::new(Store::open(dir.join("history.redb")).unwrap()),
                chain_store: Arc::new(Store::open(dir.join("chain.redb")).unwrap()),
                progress: Arc::new(Progress::default()),
                stop: Arc::new(AtomicBool::new(false)),
                history: History::default(),
                indexed: 0,
                last_persisted: Instant::now(),
                volatile: false,
                height_unwritten: false,
            };
            Scratch { worker, _dir: dir }
        }

        fn stored_height(&self) -> Option<u64> {
            let bytes = self.worker.store.get_meta(INDEXED_HEIGHT).unwrap()?;
            Some(u64::from_be_bytes(bytes.as_slice().try_into().unwrap()))
        }

        fn indexed(&self) -> u64 {
            self.worker.progress.state.lock().unwrap().0
        }
    }

    fn notice(height: u64, tx_hashes: Vec<Hash32>) -> BlockNotice {
        let header =
            NodeHeader { height, time_ms: height, parent_hash: [0; 32], tx_root: [0; 32], state_root: [0; 32] };
        let transactions = tx_hashes.iter().map(|_| TxOutcome { result: Ok(()), events: Vec::new() }).collect();
        let outcome = BlockOutcome { transactions, end_block_events: Vec::new() };
        BlockNotice { header, outcome, tx_count: tx_hashes.len(), tx_hashes }
    }

    #[test]
    fn blocks_without_rows_advance_the_index_and_reach_the_store_with_the_next_write() {
        let mut scratch = Scratch::new("idle");
        scratch.worker.write(&[&notice(1, vec![]), &notice(2, vec![])]).unwrap();
        assert_eq!(scratch.indexed(), 2, "readers see the blocks indexed at once");
        assert_eq!(scratch.stored_height(), None, "an idle block is not a write of its own");
        scratch.worker.persist().unwrap();
        assert_eq!(scratch.stored_height(), Some(2), "persisting writes the height");
        scratch.worker.write(&[&notice(3, vec![])]).unwrap();
        scratch.worker.write(&[&notice(4, vec![[9; 32]])]).unwrap();
        assert_eq!(scratch.stored_height(), Some(4), "a block with rows is written with its height at once");
        assert!(scratch.worker.store.history_get(&crate::history::tx_key(&[9; 32])).unwrap().is_some());
        scratch.worker.write(&[&notice(5, vec![])]).unwrap();
        assert_eq!(scratch.stored_height(), Some(4));
        scratch.worker.last_persisted = Instant::now().checked_sub(PERSIST_EVERY).unwrap();
        scratch.worker.write(&[&notice(6, vec![])]).unwrap();
        assert_eq!(scratch.stored_height(), Some(6), "when a durable write is due, the height is written");
        assert!(!scratch.worker.height_unwritten);
    }
}
