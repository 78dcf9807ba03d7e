//! The consensus store (`consensus.redb` in a node's data directory): every decided block with
//! its commit certificate (what value sync serves to peers), and the blocks seen but not yet
//! decided (what a restarted validator offers the engine again). A decided block is written
//! here, durably, before the engine is told it is committed.
//!
//! A block's bytes are written once, when it is first seen (`blocks`, by height and id); the
//! decision only adds the id and certificate (`decided_ids`) and drops the height's other
//! blocks, so a multi-megabyte block is never copied from one table to another. Stores from
//! before this layout keep their whole records in `decided` and `undecided`, which are still
//! read (and pruned) as they were.
//!
//! A block longer than [`parts::PART_BYTES`] keeps its first part in `blocks` and the rest in
//! `block_tails` ([`novation_store::parts`]): whole, a 2.1 MB block would take and be written
//! as a 4 MiB page. Blocks stored whole before that read as they are.

use std::path::Path;

use novation_store::parts::{self, TailTable};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::codec::{from_bytes, to_bytes};
use crate::context::{serde_bytes_vec, ValidatorAddress};
use crate::Hash32;

/// Memory redb may keep for this database's pages: decided blocks are written once and read
/// back only by value sync and restarts, so a small cache suffices (redb's default is 1 GiB).
const CACHE_BYTES: usize = 8 * 1024 * 1024;

/// Block bytes by height and id, each written once.
const BLOCKS: TableDefinition<(u64, [u8; 32]), &[u8]> = TableDefinition::new("blocks");
/// The later parts of the blocks longer than one part.
const BLOCK_TAILS: TailTable<(u64, [u8; 32])> = TableDefinition::new("block_tails");
/// What a round said of each block seen at a height not decided yet ([`ProposalMeta`]).
const PROPOSALS: TableDefinition<(u64, [u8; 32]), &[u8]> = TableDefinition::new("proposals");
/// The decided block of each height ([`DecidedId`]).
const DECIDED_IDS: TableDefinition<u64, &[u8]> = TableDefinition::new("decided_ids");
/// Older layout: whole decided records ([`DecidedRecord`]).
const LEGACY_DECIDED: TableDefinition<u64, &[u8]> = TableDefinition::new("decided");
/// Older layout: whole undecided records ([`UndecidedRecord`]).
const LEGACY_UNDECIDED: TableDefinition<(u64, [u8; 32]), &[u8]> = TableDefinition::new("undecided");

/// A decided block as read back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecidedRecord {
    /// The block's canonical bytes.
    #[serde(with = "serde_bytes_vec")]
    pub block_bytes: Vec<u8>,
    /// Its extended commit certificate (codec bytes).
    #[serde(with = "serde_bytes_vec")]
    pub certificate: Vec<u8>,
}

/// A block seen for a height not decided yet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UndecidedRecord {
    /// The round it was proposed in.
    pub round: i64,
    /// Its proof-of-lock round.
    pub pol_round: i64,
    /// Its proposer.
    pub proposer: ValidatorAddress,
    /// Whether it passed this validator's checks.
    pub valid: bool,
    /// The block's canonical bytes.
    #[serde(with = "serde_bytes_vec")]
    pub block_bytes: Vec<u8>,
    /// The proposer's stream signature (replayed when the engine asks for a restream; empty
    /// for a block that arrived by sync).
    #[serde(with = "serde_bytes_vec")]
    pub signature: Vec<u8>,
}

/// An undecided block's record without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalMeta {
    /// The round it was proposed in.
    pub round: i64,
    /// Its proof-of-lock round.
    pub pol_round: i64,
    /// Its proposer.
    pub proposer: ValidatorAddress,
    /// Whether it passed this validator's checks.
    pub valid: bool,
    /// The proposer's stream signature (empty for a synced block).
    #[serde(with = "serde_bytes_vec")]
    pub signature: Vec<u8>,
}

impl UndecidedRecord {
    fn meta(&self) -> ProposalMeta {
        ProposalMeta {
            round: self.round,
            pol_round: self.pol_round,
            proposer: self.proposer,
            valid: self.valid,
            signature: self.signature.clone(),
        }
    }

    fn from_meta(meta: ProposalMeta, block_bytes: Vec<u8>) -> Self {
        let ProposalMeta { round, pol_round, proposer, valid, signature } = meta;
        UndecidedRecord { round, pol_round, proposer, valid, block_bytes, signature }
    }
}

/// Which block a height decided, and its certificate.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct DecidedId {
    id: Hash32,
    #[serde(with = "serde_bytes_vec")]
    certificate: Vec<u8>,
}

/// A store failure (the node stops: it cannot promise durability any more).
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "consensus store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

fn err(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

/// The consensus store.
pub struct ConsensusStore {
    db: Database,
}

impl ConsensusStore {
    /// Opens (or creates) `consensus.redb` in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(err)?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(dir.join("consensus.redb")).map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(BLOCKS).map_err(err)?;
        txn.open_table(BLOCK_TAILS).map_err(err)?;
        txn.open_table(PROPOSALS).map_err(err)?;
        txn.open_table(DECIDED_IDS).map_err(err)?;
        txn.open_table(LEGACY_DECIDED).map_err(err)?;
        txn.open_table(LEGACY_UNDECIDED).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(ConsensusStore { db })
    }

    /// Records that `height` decided block `id` with `certificate`, and drops the blocks seen
    /// at or below it that were not decided. `block_bytes` are written only if the block was
    /// never stored (it normally was, when it was seen); `None` says it was, and a decision
    /// naming a block the store lacks is then refused, changing nothing.
    pub fn put_decided(
        &self,
        height: u64,
        id: Hash32,
        block_bytes: Option<&[u8]>,
        certificate: &[u8],
    ) -> Result<(), StoreError> {
        let decided = to_bytes(&DecidedId { id, certificate: certificate.to_vec() }).map_err(err)?;
        let txn = self.db.begin_write().map_err(err)?;
        {
            let mut blocks = txn.open_table(BLOCKS).map_err(err)?;
            let mut tails = txn.open_table(BLOCK_TAILS).map_err(err)?;
            if blocks.get((height, id)).map_err(err)?.is_none() {
                let block_bytes = block_bytes.ok_or_else(|| {
                    StoreError(format!(
                        "height {height} decided block {} that was never stored",
                        novation_node::hex(&id)
                    ))
                })?;
                parts::insert(&mut blocks, &mut tails, (height, id), block_bytes).map_err(err)?;
            }
            let mut decided_ids = txn.open_table(DECIDED_IDS).map_err(err)?;
            decided_ids.insert(height, decided.as_slice()).map_err(err)?;
            let mut proposals = txn.open_table(PROPOSALS).map_err(err)?;
            let seen = keys_up_to(&proposals, height)?;
            for key in seen {
                proposals.remove(key).map_err(err)?;
                let kept = if key.0 == height {
                    key.1 == id
                } else {
                    match decided_ids.get(key.0).map_err(err)? {
                        Some(bytes) => from_bytes::<DecidedId>(bytes.value()).map_err(err)?.id == key.1,
                        None => false,
                    }
                };
                if !kept {
                    parts::remove(&mut blocks, &mut tails, key).map_err(err)?;
                }
            }
            let mut legacy = txn.open_table(LEGACY_UNDECIDED).map_err(err)?;
            for key in keys_up_to(&legacy, height)? {
                legacy.remove(key).map_err(err)?;
            }
        }
        txn.commit().map_err(err)
    }

    /// The decided block of `height`.
    pub fn decided(&self, height: u64) -> Result<Option<DecidedRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        if let Some(bytes) = txn.open_table(DECIDED_IDS).map_err(err)?.get(height).map_err(err)? {
            let DecidedId { id, certificate } = from_bytes(bytes.value()).map_err(err)?;
            let (blocks, tails) = (txn.open_table(BLOCKS).map_err(err)?, txn.open_table(BLOCK_TAILS).map_err(err)?);
            let block_bytes = parts::get(&blocks, &tails, (height, id))
                .map_err(err)?
                .ok_or_else(|| StoreError(format!("the decided block of height {height} is missing")))?;
            return Ok(Some(DecidedRecord { block_bytes, certificate }));
        }
        let legacy = txn.open_table(LEGACY_DECIDED).map_err(err)?;
        let Some(bytes) = legacy.get(height).map_err(err)? else { return Ok(None) };
        from_bytes(bytes.value()).map(Some).map_err(err)
    }

    /// The lowest and highest decided heights.
    pub fn decided_range(&self) -> Result<Option<(u64, u64)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let mut range: Option<(u64, u64)> = None;
        for table in [DECIDED_IDS, LEGACY_DECIDED] {
            let table = txn.open_table(table).map_err(err)?;
            let first = table.first().map_err(err)?.map(|(k, _)| k.value());
            let last = table.last().map_err(err)?.map(|(k, _)| k.value());
            if let Some((lo, hi)) = first.zip(last) {
                range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
            }
        }
        Ok(range)
    }

    /// Stores a block seen at `height` (kept until a block at or above it is decided).
    pub fn put_undecided(&self, height: u64, id: Hash32, record: &UndecidedRecord) -> Result<(), StoreError> {
        let meta = to_bytes(&record.meta()).map_err(err)?;
        let txn = self.db.begin_write().map_err(err)?;
        {
            let mut blocks = txn.open_table(BLOCKS).map_err(err)?;
            let mut tails = txn.open_table(BLOCK_TAILS).map_err(err)?;
            if blocks.get((height, id)).map_err(err)?.is_none() {
                parts::insert(&mut blocks, &mut tails, (height, id), &record.block_bytes).map_err(err)?;
            }
            txn.open_table(PROPOSALS).map_err(err)?.insert((height, id), meta.as_slice()).map_err(err)?;
        }
        txn.commit().map_err(err)
    }

    /// The block `id` seen at `height`.
    pub fn undecided(&self, height: u64, id: Hash32) -> Result<Option<UndecidedRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let proposals = txn.open_table(PROPOSALS).map_err(err)?;
        if let Some(meta) = proposals.get((height, id)).map_err(err)? {
            let meta: ProposalMeta = from_bytes(meta.value()).map_err(err)?;
            let (blocks, tails) = (txn.open_table(BLOCKS).map_err(err)?, txn.open_table(BLOCK_TAILS).map_err(err)?);
            let Some(block_bytes) = parts::get(&blocks, &tails, (height, id)).map_err(err)? else { return Ok(None) };
            return Ok(Some(UndecidedRecord::from_meta(meta, block_bytes)));
        }
        let legacy = txn.open_table(LEGACY_UNDECIDED).map_err(err)?;
        let Some(bytes) = legacy.get((height, id)).map_err(err)? else { return Ok(None) };
        from_bytes(bytes.value()).map(Some).map_err(err)
    }

    /// What was recorded of every block seen at `height`, with its id (not its bytes).
    pub fn undecided_at(&self, height: u64) -> Result<Vec<(Hash32, ProposalMeta)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let mut out = Vec::new();
        let proposals = txn.open_table(PROPOSALS).map_err(err)?;
        for entry in proposals.range((height, [0u8; 32])..=(height, [0xff; 32])).map_err(err)? {
            let (key, value) = entry.map_err(err)?;
            out.push((key.value().1, from_bytes(value.value()).map_err(err)?));
        }
        let legacy = txn.open_table(LEGACY_UNDECIDED).map_err(err)?;
        for entry in legacy.range((height, [0u8; 32])..=(height, [0xff; 32])).map_err(err)? {
            let (key, value) = entry.map_err(err)?;
            let id = key.value().1;
            if !out.iter().any(|(seen, _)| *seen == id) {
                let record: UndecidedRecord = from_bytes(value.value()).map_err(err)?;
                out.push((id, record.meta()));
            }
        }
        Ok(out)
    }
}

/// The keys of `table` at heights up to `height`.
fn keys_up_to(
    table: &redb::Table<'_, (u64, [u8; 32]), &[u8]>,
    height: u64,
) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
    table
        .range(..=(height, [0xff; 32]))
        .map_err(err)?
        .map(|entry| entry.map(|(key, _)| key.value()).map_err(err))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(bytes: Vec<u8>) -> UndecidedRecord {
        let proposer = ValidatorAddress(novation_types::Address::from_index(1));
        UndecidedRecord { round: 0, pol_round: -1, proposer, valid: true, block_bytes: bytes, signature: vec![5; 64] }
    }

    fn stored_blocks(store: &ConsensusStore) -> usize {
        let txn = store.db.begin_read().unwrap();
        redb::ReadableTableMetadata::len(&txn.open_table(BLOCKS).unwrap()).unwrap() as usize
    }

    #[test]
    fn decided_blocks_survive_reopening_and_prune_undecided_ones() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = ConsensusStore::open(dir.path()).unwrap();
            store.put_undecided(1, [1; 32], &seen(vec![1, 2])).unwrap();
            store.put_undecided(1, [3; 32], &seen(vec![3])).unwrap();
            store.put_undecided(2, [2; 32], &seen(vec![2])).unwrap();
            // The decision names a block already stored: its bytes are not written again.
            store.put_decided(1, [1; 32], Some(&[9, 9, 9]), &[8]).unwrap();
            assert_eq!(stored_blocks(&store), 2, "the decided block and the one seen at height 2");
        }
        let store = ConsensusStore::open(dir.path()).unwrap();
        let decided = store.decided(1).unwrap().unwrap();
        assert_eq!((decided.block_bytes, decided.certificate), (vec![1, 2], vec![8]));
        assert_eq!(store.decided_range().unwrap(), Some((1, 1)));
        assert!(store.undecided(1, [1; 32]).unwrap().is_none(), "pruned by the decision at 1");
        assert!(store.undecided(1, [3; 32]).unwrap().is_none(), "pruned by the decision at 1");
        let at_two = store.undecided_at(2).unwrap();
        assert_eq!(at_two.len(), 1);
        assert_eq!(at_two[0].1, seen(vec![2]).meta());
        assert_eq!(store.undecided(2, [2; 32]).unwrap().unwrap().block_bytes, vec![2]);
    }

    #[test]
    fn a_decision_without_bytes_for_a_block_never_stored_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConsensusStore::open(dir.path()).unwrap();
        store.put_undecided(1, [1; 32], &seen(vec![1])).unwrap();
        let refused = store.put_decided(1, [7; 32], None, &[8]).unwrap_err();
        assert!(refused.0.contains("never stored"), "{refused}");
        assert_eq!(store.decided_range().unwrap(), None);
        assert_eq!(store.undecided_at(1).unwrap().len(), 1, "the seen block is still there");
        store.put_decided(1, [1; 32], None, &[8]).unwrap();
        assert_eq!(store.decided(1).unwrap().unwrap().block_bytes, vec![1]);
    }

    fn stored_tails(store: &ConsensusStore) -> usize {
        let txn = store.db.begin_read().unwrap();
        redb::ReadableTableMetadata::len(&txn.open_table(BLOCK_TAILS).unwrap()).unwrap() as usize
    }

    fn long_block(seed: u8) -> Vec<u8> {
        (0..3 * parts::PART_BYTES + 11).map(|i| (i % 241) as u8 ^ seed).collect()
    }

    #[test]
    fn blocks_longer_than_a_part_read_back_whole_and_pruning_takes_their_tails() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = ConsensusStore::open(dir.path()).unwrap();
            store.put_undecided(1, [1; 32], &seen(long_block(1))).unwrap();
            store.put_undecided(1, [3; 32], &seen(long_block(3))).unwrap();
            assert_eq!(store.undecided(1, [3; 32]).unwrap().unwrap().block_bytes, long_block(3));
            assert_eq!(stored_tails(&store), 6);
            store.put_decided(1, [1; 32], Some(&long_block(1)), &[8]).unwrap();
            assert_eq!(stored_tails(&store), 3, "the block not decided is gone, tail and all");
        }
        let store = ConsensusStore::open(dir.path()).unwrap();
        assert_eq!(store.decided(1).unwrap().unwrap().block_bytes, long_block(1));
        // A decision for a block never seen writes it in parts too.
        store.put_decided(2, [2; 32], Some(&long_block(2)), &[8]).unwrap();
        assert_eq!(store.decided(2).unwrap().unwrap().block_bytes, long_block(2));
        assert_eq!(stored_tails(&store), 6);
    }

    #[test]
    fn a_decided_block_never_seen_is_stored_from_the_decision() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConsensusStore::open(dir.path()).unwrap();
        store.put_decided(4, [4; 32], Some(&[4, 4]), &[1]).unwrap();
        assert_eq!(store.decided(4).unwrap().unwrap().block_bytes, vec![4, 4]);
        assert_eq!(store.decided_range().unwrap(), Some((4, 4)));
    }

    #[test]
    fn a_store_in_the_older_layout_is_read_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::create(dir.path().join("consensus.redb")).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let record = DecidedRecord { block_bytes: vec![7], certificate: vec![8] };
                txn.open_table(LEGACY_DECIDED).unwrap().insert(1, to_bytes(&record).unwrap().as_slice()).unwrap();
                let mut undecided = txn.open_table(LEGACY_UNDECIDED).unwrap();
                undecided.insert((2, [2; 32]), to_bytes(&seen(vec![2])).unwrap().as_slice()).unwrap();
            }
            txn.commit().unwrap();
        }
        let store = ConsensusStore::open(dir.path()).unwrap();
        assert_eq!(store.decided(1).unwrap().unwrap().block_bytes, vec![7]);
        assert_eq!(store.undecided(2, [2; 32]).unwrap().unwrap().block_bytes, vec![2]);
        assert_eq!(store.undecided_at(2).unwrap().len(), 1);
        store.put_decided(2, [2; 32], Some(&[2]), &[9]).unwrap();
        assert_eq!(store.decided_range().unwrap(), Some((1, 2)));
        assert_eq!(store.decided(2).unwrap().unwrap().block_bytes, vec![2]);
        assert!(store.undecided(2, [2; 32]).unwrap().is_none());
    }

    /// What stores written before the byte fields were encoded as serde bytes hold.
    #[derive(Serialize, Deserialize)]
    struct DecidedAsSequences {
        block_bytes: Vec<u8>,
        certificate: Vec<u8>,
    }

    #[test]
    fn records_encode_their_bytes_exactly_as_byte_sequences_did() {
        let record = DecidedRecord { block_bytes: (0..=255).collect(), certificate: vec![9, 0, 9] };
        let old = DecidedAsSequences { block_bytes: record.block_bytes.clone(), certificate: vec![9, 0, 9] };
        let bytes = to_bytes(&record).unwrap();
        assert_eq!(bytes, to_bytes(&old).unwrap());
        let back: DecidedRecord = from_bytes(&bytes).unwrap();
        assert_eq!((back.block_bytes, back.certificate), (record.block_bytes, record.certificate));
    }
}
