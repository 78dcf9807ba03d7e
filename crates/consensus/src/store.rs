//! The consensus store (`consensus.redb` in a node's data directory): every decided block with
//! its commit certificate (what value sync serves to peers), and the blocks seen but not yet
//! decided (what a restarted validator offers the engine again). A decided block is written
//! here, durably, before the engine is told it is committed.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::codec::{from_bytes, to_bytes};
use crate::context::{serde_bytes_vec, ValidatorAddress};
use crate::Hash32;

const DECIDED: TableDefinition<u64, &[u8]> = TableDefinition::new("decided");
const UNDECIDED: TableDefinition<(u64, [u8; 32]), &[u8]> = TableDefinition::new("undecided");

/// A decided block as stored.
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
        let db = Database::create(dir.join("consensus.redb")).map_err(err)?;
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(DECIDED).map_err(err)?;
        txn.open_table(UNDECIDED).map_err(err)?;
        txn.commit().map_err(err)?;
        Ok(ConsensusStore { db })
    }

    /// Stores the decided block of `height` and drops the undecided ones at or below it.
    pub fn put_decided(&self, height: u64, record: &DecidedRecord) -> Result<(), StoreError> {
        let bytes = to_bytes(record).map_err(err)?;
        let txn = self.db.begin_write().map_err(err)?;
        {
            let mut decided = txn.open_table(DECIDED).map_err(err)?;
            decided.insert(height, bytes.as_slice()).map_err(err)?;
            let mut undecided = txn.open_table(UNDECIDED).map_err(err)?;
            let stale: Vec<(u64, [u8; 32])> = undecided
                .range(..=(height, [0xff; 32]))
                .map_err(err)?
                .filter_map(|entry| entry.ok().map(|(k, _)| k.value()))
                .collect();
            for key in stale {
                undecided.remove(key).map_err(err)?;
            }
        }
        txn.commit().map_err(err)
    }

    /// The decided block of `height`.
    pub fn decided(&self, height: u64) -> Result<Option<DecidedRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(DECIDED).map_err(err)?;
        let Some(bytes) = table.get(height).map_err(err)? else { return Ok(None) };
        from_bytes(bytes.value()).map(Some).map_err(err)
    }

    /// The lowest and highest decided heights.
    pub fn decided_range(&self) -> Result<Option<(u64, u64)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(DECIDED).map_err(err)?;
        let first = table.first().map_err(err)?.map(|(k, _)| k.value());
        let last = table.last().map_err(err)?.map(|(k, _)| k.value());
        Ok(first.zip(last))
    }

    /// Stores a block seen at `height` (kept until a block at or above it is decided).
    pub fn put_undecided(&self, height: u64, id: Hash32, record: &UndecidedRecord) -> Result<(), StoreError> {
        let bytes = to_bytes(record).map_err(err)?;
        let txn = self.db.begin_write().map_err(err)?;
        {
            let mut table = txn.open_table(UNDECIDED).map_err(err)?;
            table.insert((height, id), bytes.as_slice()).map_err(err)?;
        }
        txn.commit().map_err(err)
    }

    /// The block `id` seen at `height`.
    pub fn undecided(&self, height: u64, id: Hash32) -> Result<Option<UndecidedRecord>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(UNDECIDED).map_err(err)?;
        let Some(bytes) = table.get((height, id)).map_err(err)? else { return Ok(None) };
        from_bytes(bytes.value()).map(Some).map_err(err)
    }

    /// Every block seen at `height`, with its id.
    pub fn undecided_at(&self, height: u64) -> Result<Vec<(Hash32, UndecidedRecord)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(UNDECIDED).map_err(err)?;
        let mut out = Vec::new();
        for entry in table.range((height, [0u8; 32])..=(height, [0xff; 32])).map_err(err)? {
            let (key, value) = entry.map_err(err)?;
            out.push((key.value().1, from_bytes(value.value()).map_err(err)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_blocks_survive_reopening_and_prune_undecided_ones() {
        let dir = tempfile::tempdir().unwrap();
        let proposer = ValidatorAddress(novation_types::Address::from_index(1));
        let seen = UndecidedRecord {
            round: 0,
            pol_round: -1,
            proposer,
            valid: true,
            block_bytes: vec![1, 2],
            signature: vec![],
        };
        {
            let store = ConsensusStore::open(dir.path()).unwrap();
            store.put_undecided(1, [1; 32], &seen).unwrap();
            store.put_undecided(2, [2; 32], &seen).unwrap();
            store.put_decided(1, &DecidedRecord { block_bytes: vec![7], certificate: vec![8] }).unwrap();
        }
        let store = ConsensusStore::open(dir.path()).unwrap();
        assert_eq!(store.decided(1).unwrap().unwrap().block_bytes, vec![7]);
        assert_eq!(store.decided_range().unwrap(), Some((1, 1)));
        assert!(store.undecided(1, [1; 32]).unwrap().is_none(), "pruned by the decision at 1");
        assert_eq!(store.undecided_at(2).unwrap().len(), 1);
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
