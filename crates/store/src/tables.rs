//! Every table of the block store, with its key and value types, in one
//! place. This file is the on-disk schema: changing it changes
//! [`SCHEMA_VERSION`].
//!
//! | table        | key (type)          | value (type)                         | written by |
//! | ------------ | ------------------- | ------------------------------------ | ---------- |
//! | `headers`    | height (`u64`)      | sealed encoded header (`&[u8]`)      | `commit_block` |
//! | `blocks`     | height (`u64`)      | sealed encoded block (`&[u8]`), its first part | `commit_block` |
//! | `block_tails` | (height, part `u32`) | the sealed block's later parts      | `commit_block` |
//! | `results`    | height (`u64`)      | sealed encoded tx results/events (`&[u8]`), its first part | `commit_block` |
//! | `result_tails` | (height, part `u32`) | the sealed results' later parts    | `commit_block` |
//! | `meta`       | name (`&str`)       | caller's bytes (`&[u8]`)             | `put_meta`, `commit_block_with_meta` |
//! | `store_info` | name (`&str`)       | schema marker bytes (`&[u8]`)        | `Store::open` on a new file |
//! | `snapshots`  | height (`u64`)      | the node's state snapshot at that height (`&[u8]`) | `put_snapshot` |
//! | `history`    | caller's key (`&[u8]`) | caller's bytes (`&[u8]`)          | `put_history` |
//!
//! A block or results record longer than [`crate::parts::PART_BYTES`] is cut into parts: the
//! first in `blocks` / `results`, the rest in `block_tails` / `result_tails` under the same
//! height, numbered from 1 (the storage engine would otherwise give a 2.1 MB record a 4 MiB
//! page and write all of it). A record reads as its first part followed by its later ones.
//! Version 2 stores, whose records are whole, are upgraded on open: the tail tables are
//! created and the version set to 3; their records read as they are.
//!
//! `headers`, `blocks` and `results` always hold the same heights, a
//! contiguous range `first..=latest`, because one write transaction writes
//! all three. Their values are *sealed* (see [`seal`]): the payload followed
//! by an 8-byte check binding it to its table and height, so a flipped bit or
//! a misplaced record is reported as [`StoreError::Corrupted`] instead of
//! being handed to the node. `meta` and `snapshots` values are stored as given (a snapshot is checked
//! by whoever reads it, against the state root of its height). `snapshots` is
//! created by the first snapshot written; a store without it has none.
//!
//! `history` holds what the caller derives from its blocks to answer questions about the
//! past without replaying them (an account's fills, a market's trades and candles, where a
//! transaction was included). The node keeps it in a store of its own, beside
//! the block log, written by its history indexer. Keys are the
//! caller's and ordered bytewise, so a caller that puts big-endian heights in its keys pages
//! through them in height order. `history` is created by the first write.
//!
//! `store_info` holds `format = "novation-store"` and
//! `schema_version = u32 big-endian`; a database without them is foreign.

use redb::TableDefinition;
use sha2::{Digest, Sha256};

use crate::parts::TailTable;
use crate::StoreError;

/// Height → sealed encoded block header.
pub const HEADERS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("headers");

/// Height → sealed encoded block (header and ordered transactions).
pub const BLOCKS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("blocks");

/// (height, part) → the later parts of a sealed block record ([`crate::parts`]).
pub const BLOCK_TAILS: TailTable<u64> = TableDefinition::new("block_tails");

/// Height → sealed encoded per-transaction results and events.
pub const RESULTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("results");

/// (height, part) → the later parts of a sealed results record ([`crate::parts`]).
pub const RESULT_TAILS: TailTable<u64> = TableDefinition::new("result_tails");

/// Name → caller-defined bytes (e.g. `"genesis"`, `"chain_id"`).
pub const META: TableDefinition<'static, &'static str, &'static [u8]> = TableDefinition::new("meta");

/// Height → the caller's state snapshot at that height (newest few only).
pub const SNAPSHOTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("snapshots");

/// Caller-defined key → caller-defined bytes, derived from the blocks and written with them.
pub const HISTORY: TableDefinition<'static, &'static [u8], &'static [u8]> = TableDefinition::new("history");

/// Name → the store's own format marker and schema version.
pub const STORE_INFO: TableDefinition<'static, &'static str, &'static [u8]> = TableDefinition::new("store_info");

/// `store_info` key whose value is [`FORMAT_MARKER`].
pub const INFO_FORMAT: &str = "format";

/// `store_info` key whose value is the schema version, `u32` big-endian.
pub const INFO_SCHEMA_VERSION: &str = "schema_version";

/// Value of `store_info["format"]` in every novation store.
pub const FORMAT_MARKER: &[u8] = b"novation-store";

/// Version of the schema this file describes.
pub const SCHEMA_VERSION: u32 = 3;

/// The version before records were cut into parts, upgraded on open.
pub const SCHEMA_VERSION_WHOLE_RECORDS: u32 = 2;

/// Length of the check appended to every sealed record.
pub const SEAL_LEN: usize = 8;

/// Which height-keyed table a record belongs to (bound into its seal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordTable {
    /// The `headers` table.
    Headers,
    /// The `blocks` table.
    Blocks,
    /// The `results` table.
    Results,
}

impl RecordTable {
    /// The table's name, as stored by redb and bound into seals.
    pub fn name(self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Blocks => "blocks",
            Self::Results => "results",
        }
    }
}

/// The seal [`seal`] appends to `payload`: first 8 bytes of
/// SHA-256(table name || 0x00 || height u64 BE || payload).
pub fn check(table: RecordTable, height: u64, payload: &[u8]) -> [u8; SEAL_LEN] {
    let digest = Sha256::new()
        .chain_update(table.name().as_bytes())
        .chain_update([0u8])
        .chain_update(height.to_be_bytes())
        .chain_update(payload)
        .finalize();
    let mut out = [0u8; SEAL_LEN];
    out.copy_from_slice(&digest[..SEAL_LEN]);
    out
}

/// `payload || first 8 bytes of SHA-256(table name || 0x00 || height u64 BE || payload)`.
pub fn seal(table: RecordTable, height: u64, payload: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(payload.len() + SEAL_LEN);
    record.extend_from_slice(payload);
    record.extend_from_slice(&check(table, height, payload));
    record
}

/// Checks a sealed record and returns its payload.
pub fn unseal(table: RecordTable, height: u64, record: &[u8]) -> Result<&[u8], StoreError> {
    let corrupted =
        || StoreError::Corrupted(format!("record at height {height} in table {} fails its check", table.name()));
    let split = record.len().checked_sub(SEAL_LEN).ok_or_else(corrupted)?;
    let (payload, seal) = record.split_at(split);
    if seal != check(table, height, payload) {
        return Err(corrupted());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_binds_table_and_height() {
        let record = seal(RecordTable::Blocks, 7, b"block seven");
        assert_eq!(unseal(RecordTable::Blocks, 7, &record).unwrap(), b"block seven");
        assert!(unseal(RecordTable::Blocks, 8, &record).is_err());
        assert!(unseal(RecordTable::Headers, 7, &record).is_err());
        let mut flipped = record.clone();
        flipped[0] ^= 1;
        assert!(unseal(RecordTable::Blocks, 7, &flipped).is_err());
        assert!(unseal(RecordTable::Blocks, 7, &record[..3]).is_err());
    }

    #[test]
    fn empty_payloads_are_allowed() {
        let record = seal(RecordTable::Results, 1, b"");
        assert_eq!(unseal(RecordTable::Results, 1, &record).unwrap(), b"");
    }
}
