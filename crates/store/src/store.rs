//! [`Store`]: the durable block log on redb.
//!
//! One file, one writer. A block is committed as one redb write transaction
//! (header, block, results and optional meta rows together) with
//! [`Durability::Immediate`]: when [`Store::commit_block`] returns `Ok`, the
//! block survives a crash or a `SIGKILL` at any later instant, and a crash
//! before that leaves either all of it or none of it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use crate::parts;
use crate::tables::{
    check, seal, unseal, RecordTable, BLOCKS, BLOCK_TAILS, FORMAT_MARKER, HEADERS, HISTORY, INFO_FORMAT,
    INFO_SCHEMA_VERSION, META, RESULTS, RESULT_TAILS, SCHEMA_VERSION, SCHEMA_VERSION_WHOLE_RECORDS, SNAPSHOTS,
    STORE_INFO,
};
use crate::StoreError;

/// Memory redb may keep for one database's pages (read cache and write buffer). redb's own
/// default, 1 GiB, would let a node's three databases grow to gigabytes of copies of pages
/// the operating system already caches; the state a block executes against lives in the
/// components, so the database is read mostly at startup and by queries. redb keeps each page
/// it writes until the cache is full, so the cache is resident memory for copies of pages just
/// written: kept small.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The block store. Cheap to share by reference across threads (`Send + Sync`);
/// writes are serialised by the engine.
///
/// redb asserts (panics) on some malformed files instead of returning an
/// error. Every engine call is therefore run under [`std::panic::catch_unwind`]
/// and such a panic becomes [`StoreError::Corrupted`]; the store then
/// refuses all further calls (reopen it after repairing or replacing the
/// file). This needs the default `panic = "unwind"`.
#[derive(Debug)]
pub struct Store {
    /// `None` only while being dropped.
    db: Option<Database>,
    path: PathBuf,
    /// Set once the engine has panicked; the store is unusable after that.
    poisoned: AtomicBool,
}

/// `history` rows as `(key, value)` pairs, in the order asked for.
pub type HistoryRows = Vec<(Vec<u8>, Vec<u8>)>;

/// One committed block as read back for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlock {
    /// Block height.
    pub height: u64,
    /// Encoded header bytes, as given to [`Store::commit_block`].
    pub header: Vec<u8>,
    /// Encoded block bytes, as given to [`Store::commit_block`].
    pub block: Vec<u8>,
}

impl Store {
    /// Opens the store at `path`, creating the file (and an empty store) if
    /// it is missing or empty. After a crash, the engine first recovers the
    /// last committed transaction.
    ///
    /// Errors: [`StoreError::AlreadyOpen`] if another `Store` holds the file,
    /// [`StoreError::Corrupted`] for a file that is not a readable database,
    /// [`StoreError::ForeignDatabase`] for another program's database,
    /// [`StoreError::UnsupportedSchema`] for another schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let db = contain_panic(|| Ok(Database::builder().set_cache_size(CACHE_BYTES).create(&path)?))?;
        let store = Store { db: Some(db), path, poisoned: AtomicBool::new(false) };
        store.guard(check_or_init_schema)?;
        store.guard(check_height_ranges)?;
        Ok(store)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Height of the latest committed block, or `None` if there is none.
    pub fn latest_height(&self) -> Result<Option<u64>, StoreError> {
        self.guard(|db| {
            let headers = db.begin_read()?.open_table(HEADERS)?;
            let last = headers.last()?.map(|(height, _)| height.value());
            Ok(last)
        })
    }

    /// Height of the first committed block, or `None` if there is none.
    pub fn first_height(&self) -> Result<Option<u64>, StoreError> {
        self.guard(|db| {
            let headers = db.begin_read()?.open_table(HEADERS)?;
            let first = headers.first()?.map(|(height, _)| height.value());
            Ok(first)
        })
    }

    /// Atomically and durably commits block `height`: its encoded header,
    /// block and per-transaction results. The first block may have any
    /// height; every later one must be `latest + 1`
    /// ([`StoreError::HeightOutOfOrder`] otherwise, and nothing is written).
    pub fn commit_block(&self, height: u64, header: &[u8], block: &[u8], results: &[u8]) -> Result<(), StoreError> {
        self.commit_block_with_meta(height, header, block, results, &[], true)
    }

    /// Like [`Store::commit_block`], and writes the `meta` rows in the same
    /// transaction (e.g. a state snapshot that must never be ahead of or
    /// behind the blocks). With `durable` false the commit does not wait for the disk: for
    /// a block whose durable record is kept elsewhere (a validator's consensus store) and
    /// replayed from there after a crash. It is readable at once and survives a crash once
    /// a later durable commit (or [`Store::persist`]) returns; a crash before that leaves
    /// the store as of the last durable commit, whole blocks with their meta rows.
    pub fn commit_block_with_meta(
        &self,
        height: u64,
        header: &[u8],
        block: &[u8],
        results: &[u8],
        meta: &[(&str, &[u8])],
        durable: bool,
    ) -> Result<(), StoreError> {
        // Seal outside the engine call: hashing large blocks needs no lock.
        // Blocks and results are megabytes: their seals are written after them, not copied
        // into one buffer with them.
        let header = seal(RecordTable::Headers, height, header);
        let block_seal = check(RecordTable::Blocks, height, block);
        let results_seal = check(RecordTable::Results, height, results);
        self.guard(|db| {
            let txn = begin_write(db, durable)?;
            {
                let mut headers = txn.open_table(HEADERS)?;
                let latest = headers.last()?.map(|(height, _)| height.value());
                if let Some(latest) = latest {
                    if latest.checked_add(1) != Some(height) {
                        return Err(StoreError::HeightOutOfOrder { latest, got: height });
                    }
                }
                headers.insert(height, header.as_slice())?;
                let (mut blocks, mut block_tails) = (txn.open_table(BLOCKS)?, txn.open_table(BLOCK_TAILS)?);
                parts::insert_with_trailer(&mut blocks, &mut block_tails, height, block, &block_seal)?;
                let (mut rows, mut result_tails) = (txn.open_table(RESULTS)?, txn.open_table(RESULT_TAILS)?);
                parts::insert_with_trailer(&mut rows, &mut result_tails, height, results, &results_seal)?;
                let mut meta_table = txn.open_table(META)?;
                for (name, value) in meta {
                    meta_table.insert(*name, *value)?;
                }
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// Encoded header of block `height`, if committed.
    pub fn header(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.record(RecordTable::Headers, height)
    }

    /// Encoded block `height`, if committed.
    pub fn block(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.record(RecordTable::Blocks, height)
    }

    /// Encoded per-transaction results and events of block `height`, if committed.
    pub fn results(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.record(RecordTable::Results, height)
    }

    /// Iterates over the committed blocks from `height` (inclusive) to the
    /// latest, in order, for replay. The iterator reads one consistent
    /// snapshot: blocks committed after this call are not seen.
    pub fn blocks_from(&self, height: u64) -> Result<BlocksFrom, StoreError> {
        let ranges = self.guard(|db| {
            let txn = db.begin_read()?;
            let headers = txn.open_table(HEADERS)?.range(height..)?;
            let blocks = txn.open_table(BLOCKS)?.range(height..)?;
            let tails = txn.open_table(BLOCK_TAILS)?;
            Ok((headers, blocks, tails))
        })?;
        Ok(BlocksFrom { ranges: Some(ranges), next_height: None })
    }

    /// Durably writes the meta row `name → value` (replacing any previous one).
    pub fn put_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.guard(|db| {
            let txn = begin_durable_write(db)?;
            txn.open_table(META)?.insert(name, value)?;
            txn.commit()?;
            Ok(())
        })
    }

    /// The meta row `name`, if any.
    pub fn get_meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|db| {
            let meta = db.begin_read()?.open_table(META)?;
            let value = meta.get(name)?.map(|value| value.value().to_vec());
            Ok(value)
        })
    }

    /// Durably stores `snapshot` as the snapshot at `height` (replacing one already there)
    /// and, in the same transaction, deletes all but the newest `keep` snapshots.
    pub fn put_snapshot(&self, height: u64, snapshot: &[u8], keep: usize) -> Result<(), StoreError> {
        self.guard(|db| {
            let txn = begin_durable_write(db)?;
            {
                let mut table = txn.open_table(SNAPSHOTS)?;
                table.insert(height, snapshot)?;
                let heights: Vec<u64> =
                    table.iter()?.map(|row| row.map(|(height, _)| height.value())).collect::<Result<_, _>>()?;
                let stale = heights.len().saturating_sub(keep);
                for height in &heights[..stale] {
                    table.remove(*height)?;
                }
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// The heights of the stored snapshots, newest first.
    pub fn snapshot_heights(&self) -> Result<Vec<u64>, StoreError> {
        self.guard(|db| {
            let txn = db.begin_read()?;
            let table = match txn.open_table(SNAPSHOTS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(error) => return Err(error.into()),
            };
            let mut heights: Vec<u64> =
                table.iter()?.map(|row| row.map(|(height, _)| height.value())).collect::<Result<_, _>>()?;
            heights.reverse();
            Ok(heights)
        })
    }

    /// The snapshot stored at `height`, if any.
    pub fn snapshot(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|db| {
            let txn = db.begin_read()?;
            let table = match txn.open_table(SNAPSHOTS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(error) => return Err(error.into()),
            };
            let value = table.get(height)?.map(|value| value.value().to_vec());
            Ok(value)
        })
    }

    /// Writes `history` rows (a row with an existing key replaces it) and `meta` rows in one
    /// transaction, durably or not: a commit that is not durable is visible to readers at
    /// once but survives a crash only once a later durable one (or [`Store::persist`])
    /// returns; a crash leaves the store as of its last durable commit, rows and meta alike.
    pub fn put_history(
        &self,
        history: &[(Vec<u8>, Vec<u8>)],
        meta: &[(&str, &[u8])],
        durable: bool,
    ) -> Result<(), StoreError> {
        self.guard(|db| {
            let txn = begin_write(db, durable)?;
            {
                let mut table = txn.open_table(HISTORY)?;
                for (key, value) in history {
                    table.insert(key.as_slice(), value.as_slice())?;
                }
                let mut meta_table = txn.open_table(META)?;
                for (name, value) in meta {
                    meta_table.insert(*name, *value)?;
                }
            }
            txn.commit()?;
            Ok(())
        })
    }

    /// Makes every commit so far durable (an empty durable transaction).
    pub fn persist(&self) -> Result<(), StoreError> {
        self.guard(|db| {
            begin_durable_write(db)?.commit()?;
            Ok(())
        })
    }

    /// The `history` row `key`, if any.
    pub fn history_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|db| {
            let txn = db.begin_read()?;
            let table = match txn.open_table(HISTORY) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(error) => return Err(error.into()),
            };
            let value = table.get(key)?.map(|value| value.value().to_vec());
            Ok(value)
        })
    }

    /// At most `limit` `history` rows whose keys start with `prefix` and lie in `after..before`
    /// (both exclusive, either open), newest (largest key) first when `newest_first`, else
    /// oldest first.
    pub fn history_page(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        before: Option<&[u8]>,
        limit: usize,
        newest_first: bool,
    ) -> Result<HistoryRows, StoreError> {
        use std::ops::Bound;
        let lower = match after {
            Some(key) if key >= prefix => Bound::Excluded(key),
            _ => Bound::Included(prefix),
        };
        let upper_end = prefix_end(prefix);
        let upper = match (before, upper_end.as_deref()) {
            (Some(key), Some(end)) if key < end => Bound::Excluded(key),
            (Some(key), None) => Bound::Excluded(key),
            (_, Some(end)) => Bound::Excluded(end),
            (None, None) => Bound::Unbounded,
        };
        self.guard(|db| {
            let txn = db.begin_read()?;
            let table = match txn.open_table(HISTORY) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(error) => return Err(error.into()),
            };
            if let (Bound::Excluded(low) | Bound::Included(low), Bound::Excluded(high)) = (lower, upper) {
                if low >= high {
                    return Ok(Vec::new());
                }
            }
            let range = table.range::<&[u8]>((lower, upper))?;
            let rows: Box<dyn Iterator<Item = _>> =
                if newest_first { Box::new(range.rev().take(limit)) } else { Box::new(range.take(limit)) };
            let rows = rows
                .map(|row| row.map(|(key, value)| (key.value().to_vec(), value.value().to_vec())))
                .collect::<Result<HistoryRows, _>>()?;
            Ok(rows)
        })
    }

    fn record(&self, table: RecordTable, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|db| {
            let txn = db.begin_read()?;
            let record = match table {
                RecordTable::Headers => txn.open_table(HEADERS)?.get(height)?.map(|record| record.value().to_vec()),
                RecordTable::Blocks => parts::get(&txn.open_table(BLOCKS)?, &txn.open_table(BLOCK_TAILS)?, height)?,
                RecordTable::Results => parts::get(&txn.open_table(RESULTS)?, &txn.open_table(RESULT_TAILS)?, height)?,
            };
            record.map(|record| unsealed(table, height, record)).transpose()
        })
    }

    /// Runs one engine call, turning an engine panic into
    /// [`StoreError::Corrupted`] and poisoning the store.
    fn guard<T>(&self, call: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(StoreError::Corrupted(
                "the storage engine failed earlier on malformed data; reopen the store".into(),
            ));
        }
        let db = self.db.as_ref().ok_or_else(|| StoreError::Engine("store is closed".into()))?;
        let result = contain_panic(|| call(db));
        if matches!(&result, Err(StoreError::Corrupted(what)) if what.starts_with(ENGINE_PANIC)) {
            self.poisoned.store(true, Ordering::Release);
        }
        result
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            // After an engine panic its internal state may be inconsistent;
            // its destructor must not take the caller down with it.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(db)));
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (`None`: there is none,
/// the prefix is empty or all `0xff`).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

const ENGINE_PANIC: &str = "storage engine failed on malformed data";

/// Runs `call`, turning a panic into [`StoreError::Corrupted`].
fn contain_panic<T>(call: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(StoreError::Corrupted(format!("{ENGINE_PANIC}: {message}")))
    })
}

/// A write transaction that is durable on commit, with quick repair
/// (the engine saves its allocator state and uses a two-phase commit, so
/// reopening after a crash is fast and does not rely on checksums alone).
fn begin_durable_write(db: &Database) -> Result<WriteTransaction, StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    txn.set_two_phase_commit(true);
    txn.set_quick_repair(true);
    Ok(txn)
}

/// A durable write transaction ([`begin_durable_write`]), or one that survives a crash only
/// once a later durable one commits: for data kept durably elsewhere (history, rebuilt from
/// the blocks; a validator's blocks, replayed from its consensus store).
fn begin_write(db: &Database, durable: bool) -> Result<WriteTransaction, StoreError> {
    if durable {
        return begin_durable_write(db);
    }
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::None)?;
    Ok(txn)
}

/// Initialises an empty database, or checks that an existing one is a
/// novation store of this schema version.
fn check_or_init_schema(db: &Database) -> Result<(), StoreError> {
    let read = db.begin_read()?;
    let is_empty = read.list_tables()?.next().is_none() && read.list_multimap_tables()?.next().is_none();
    if is_empty {
        drop(read);
        return init_schema(db);
    }
    let info = match read.open_table(STORE_INFO) {
        Ok(info) => info,
        Err(redb::TableError::TableDoesNotExist(_)) => {
            return Err(StoreError::ForeignDatabase("no store_info table".to_string()))
        }
        Err(other) => return Err(other.into()),
    };
    let format = info.get(INFO_FORMAT)?.map(|v| v.value().to_vec());
    if format.as_deref() != Some(FORMAT_MARKER) {
        return Err(StoreError::ForeignDatabase("store_info has no novation-store format marker".to_string()));
    }
    let version = info.get(INFO_SCHEMA_VERSION)?.map(|v| v.value().to_vec());
    let version = version
        .as_deref()
        .and_then(|bytes| <[u8; 4]>::try_from(bytes).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupted("unreadable schema version".to_string()))?;
    if version == SCHEMA_VERSION_WHOLE_RECORDS {
        check_tables_exist(&read, false)?;
        drop(read);
        return upgrade_to_parts(db);
    }
    if version != SCHEMA_VERSION {
        return Err(StoreError::UnsupportedSchema { found: version, supported: SCHEMA_VERSION });
    }
    check_tables_exist(&read, true)
}

/// Upgrades a version 2 store, whose records are whole, to this version: its records read as
/// they are (a record without tail parts is its head), new ones are written in parts.
fn upgrade_to_parts(db: &Database) -> Result<(), StoreError> {
    let txn = begin_durable_write(db)?;
    {
        txn.open_table(BLOCK_TAILS)?;
        txn.open_table(RESULT_TAILS)?;
        txn.open_table(STORE_INFO)?.insert(INFO_SCHEMA_VERSION, SCHEMA_VERSION.to_be_bytes().as_slice())?;
    }
    txn.commit()?;
    Ok(())
}

fn init_schema(db: &Database) -> Result<(), StoreError> {
    let txn = begin_durable_write(db)?;
    {
        txn.open_table(HEADERS)?;
        txn.open_table(BLOCKS)?;
        txn.open_table(BLOCK_TAILS)?;
        txn.open_table(RESULTS)?;
        txn.open_table(RESULT_TAILS)?;
        txn.open_table(META)?;
        let mut info = txn.open_table(STORE_INFO)?;
        info.insert(INFO_FORMAT, FORMAT_MARKER)?;
        info.insert(INFO_SCHEMA_VERSION, SCHEMA_VERSION.to_be_bytes().as_slice())?;
    }
    txn.commit()?;
    Ok(())
}

/// The three height-keyed tables must hold the same heights, contiguous;
/// checking both ends and the counts catches a file assembled from
/// mismatched pieces.
fn check_height_ranges(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_read()?;
    let mut ranges = [(None, None, 0); 3];
    for (slot, definition) in ranges.iter_mut().zip([HEADERS, BLOCKS, RESULTS]) {
        let rows = txn.open_table(definition)?;
        let first = rows.first()?.map(|(height, _)| height.value());
        let last = rows.last()?.map(|(height, _)| height.value());
        *slot = (first, last, rows.len()?);
    }
    let [headers, blocks, results] = ranges;
    if headers != blocks || headers != results {
        return Err(StoreError::Corrupted(format!(
            "height tables disagree: headers {headers:?}, blocks {blocks:?}, results {results:?}"
        )));
    }
    if let (Some(first), Some(last), len) = headers {
        if last.checked_sub(first).and_then(|span| span.checked_add(1)) != Some(len) {
            return Err(StoreError::Corrupted(format!("heights {first}..={last} are not contiguous ({len} rows)")));
        }
    }
    Ok(())
}

fn check_tables_exist(read: &ReadTransaction, with_tails: bool) -> Result<(), StoreError> {
    read.open_table(HEADERS)?;
    read.open_table(BLOCKS)?;
    read.open_table(RESULTS)?;
    read.open_table(META)?;
    if with_tails {
        read.open_table(BLOCK_TAILS)?;
        read.open_table(RESULT_TAILS)?;
    }
    Ok(())
}

/// The payload of the sealed `record`, in the record's own buffer (no second copy of a
/// multi-megabyte block).
fn unsealed(table: RecordTable, height: u64, mut record: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    let payload_len = unseal(table, height, &record)?.len();
    record.truncate(payload_len);
    Ok(record)
}

/// Iterator over committed blocks, returned by [`Store::blocks_from`].
/// Yields `Err` once (and then stops) if a record fails its checks.
pub struct BlocksFrom {
    /// `None` once finished or failed.
    ranges: Option<(HeightRange, HeightRange, TailRows)>,
    next_height: Option<u64>,
}

type HeightRange = redb::Range<'static, u64, &'static [u8]>;
type TailRows = redb::ReadOnlyTable<(u64, u32), &'static [u8]>;

impl std::fmt::Debug for BlocksFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlocksFrom").field("next_height", &self.next_height).finish_non_exhaustive()
    }
}

fn next_block(
    (headers, blocks, tails): &mut (HeightRange, HeightRange, TailRows),
    expected_height: Option<u64>,
) -> Result<Option<StoredBlock>, StoreError> {
    let (header, block) = match (headers.next(), blocks.next()) {
        (None, None) => return Ok(None),
        (Some(header), Some(block)) => (header?, block?),
        _ => return Err(StoreError::Corrupted("headers and blocks tables end at different heights".to_string())),
    };
    let height = header.0.value();
    if block.0.value() != height || expected_height.is_some_and(|next| next != height) {
        return Err(StoreError::Corrupted(format!("block heights out of step near {height}")));
    }
    let mut record = block.1.value().to_vec();
    parts::append_tail(tails, height, &mut record)?;
    Ok(Some(StoredBlock {
        height,
        header: unseal(RecordTable::Headers, height, header.1.value())?.to_vec(),
        block: unsealed(RecordTable::Blocks, height, record)?,
    }))
}

impl Iterator for BlocksFrom {
    type Item = Result<StoredBlock, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let ranges = self.ranges.as_mut()?;
        let expected_height = self.next_height;
        match contain_panic(|| next_block(ranges, expected_height)) {
            Ok(Some(stored)) => {
                self.next_height = stored.height.checked_add(1);
                Some(Ok(stored))
            }
            Ok(None) => {
                self.ranges = None;
                None
            }
            Err(error) => {
                if let Some(ranges) = self.ranges.take() {
                    // The engine may be in a bad state; do not run its destructors.
                    std::mem::forget(ranges);
                }
                Some(Err(error))
            }
        }
    }
}
