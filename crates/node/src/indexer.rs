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
//! The highest height indexed is written in the same transaction as its rows. On start the
//! indexer first indexes, from the block log, every block after that height — all of them
//! when `history.redb` is new or was deleted: history can always be rebuilt from the blocks.
//! A reader waits (briefly) until the indexer has reached the height the chain was at when
//! the question came, so a client that saw its transaction included finds its fills.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use novation_store::Store;

use crate::chain::{BlockNotice, Chain};
use crate::history::History;
use crate::NodeError;

/// How long a reader waits for the indexer to reach the chain's height.
const READ_WAIT: Duration = Duration::from_secs(5);

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
    sender: Option<mpsc::Sender<Arc<BlockNotice>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Opens `history.redb` in `data_dir` and starts indexing: first the blocks of
    /// `chain_store` after the stored height, then each block handed to [`Indexer::index`].
    pub(crate) fn start(data_dir: &Path, chain_store: Arc<Store>) -> Result<Indexer, NodeError> {
        let store = Arc::new(open_or_set_aside(&data_dir.join("history.redb"))?);
        let indexed = store
            .get_meta(INDEXED_HEIGHT)?
            .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
            .map_or(0, u64::from_be_bytes);
        let progress = Arc::new(Progress::default());
        progress.set(indexed);
        let (sender, receiver) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            store: store.clone(),
            chain_store,
            progress: progress.clone(),
            stop: stop.clone(),
            history: History::default(),
            indexed,
        };
        let thread = std::thread::Builder::new()
            .name("novation-history".into())
            .spawn(move || worker.run(receiver))
            .map_err(NodeError::Io)?;
        Ok(Indexer { store, progress, sender: Some(sender), stop, thread: Some(thread) })
    }

    /// Hands a committed block to the indexer.
    pub(crate) fn index(&self, notice: Arc<BlockNotice>) {
        if let Some(sender) = &self.sender {
            // A stopped indexer has said why; the block is indexed at the next start.
            let _ = sender.send(notice);
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
}

impl Worker {
    fn run(mut self, receiver: mpsc::Receiver<Arc<BlockNotice>>) {
        if let Err(error) = self.catch_up() {
            return self.fail(error);
        }
        while let Ok(notice) = receiver.recv() {
            let height = notice.header.height;
            if height <= self.indexed {
                continue;
            }
            let result = if height == self.indexed + 1 { self.write(&notice) } else { self.catch_up() };
            if let Err(error) = result {
                return self.fail(error);
            }
        }
    }

    /// Indexes the stored blocks after the indexed height, up to the latest.
    fn catch_up(&mut self) -> Result<(), NodeError> {
        let latest = self.chain_store.latest_height()?.unwrap_or(0);
        let behind = latest.saturating_sub(self.indexed);
        if behind > 1_000 {
            eprintln!("novation: indexing the history of {behind} blocks");
        }
        while self.indexed < latest && !self.stop.load(Ordering::Acquire) {
            let height = self.indexed + 1;
            let notice = Chain::stored_notice(&self.chain_store, height)?
                .ok_or_else(|| NodeError::Corrupt(format!("block {height} is missing from the log")))?;
            self.write(&notice)?;
        }
        Ok(())
    }

    fn write(&mut self, notice: &BlockNotice) -> Result<(), NodeError> {
        let height = notice.header.height;
        let mut rows = self.history.rows_for_block(&self.store, height, &notice.tx_hashes, &notice.events)?;
        // In key order, a block's rows of one account land in one B-tree leaf after another
        // instead of alternating between kinds. Stable, so of two rows with one key the later
        // is still the one kept.
        rows.rows.sort_by(|a, b| a.0.cmp(&b.0));
        self.store.put_history(&rows.rows, &[(INDEXED_HEIGHT, &height.to_be_bytes())])?;
        self.history.committed(rows);
        self.indexed = height;
        self.progress.set(height);
        Ok(())
    }

    fn fail(&self, error: NodeError) {
        eprintln!("novation: the history indexer stopped: {error}");
        self.progress.fail(error.to_string());
    }
}
