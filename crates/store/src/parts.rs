//! Large records kept as a head row and tail parts, each just under a power-of-two page.
//!
//! redb keeps a value whole in one page of a power-of-two size and writes that page whole:
//! a 2.1 MB block takes, and is written to disk as, a 4 MiB page. Cut into parts of at most
//! [`PART_BYTES`], a record takes little more room than its own length (60 records of
//! 2.15 MB: 252 MB written whole, 130 MB in parts, in a third of the time).
//!
//! The first part stays in the record's own table, so that table's rows, keys and counts are
//! what they were; the rest go to a tail table keyed by the record's key and the part's
//! number, from 1. A record of at most [`PART_BYTES`] has no tail, which is also how records
//! written before this layout read: whole, in their head row.

use redb::{Key, ReadableTable, StorageError, Table, TableDefinition, Value};

/// Largest part: 256 KiB less room for the page's own header and the part's key.
pub const PART_BYTES: usize = 256 * 1024 - 512;

/// A table whose rows are the tail parts of another table's records.
pub type TailTable<K> = TableDefinition<'static, (K, u32), &'static [u8]>;

/// Writes `record` under `key`: its head in `heads`, the rest in `tails`. Any tail an earlier
/// record under `key` left is removed first.
pub fn insert<K>(
    heads: &mut Table<'_, K, &'static [u8]>,
    tails: &mut Table<'_, (K, u32), &'static [u8]>,
    key: K,
    record: &[u8],
) -> Result<(), StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    insert_with_trailer(heads, tails, key, record, &[])
}

/// Writes the record `payload || trailer` under `key`, exactly as [`insert`] would, without
/// first copying a multi-megabyte payload into one buffer with its few trailing bytes: only
/// the one part where they meet is assembled.
pub fn insert_with_trailer<K>(
    heads: &mut Table<'_, K, &'static [u8]>,
    tails: &mut Table<'_, (K, u32), &'static [u8]>,
    key: K,
    payload: &[u8],
    trailer: &[u8],
) -> Result<(), StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    remove_tail(tails, key)?;
    let total = payload.len() + trailer.len();
    let mut start = 0;
    let mut number = 0u32;
    loop {
        let end = total.min(start + PART_BYTES);
        let assembled;
        let part = if end <= payload.len() {
            &payload[start..end]
        } else {
            let from_payload = &payload[start.min(payload.len())..];
            let from_trailer = &trailer[start.saturating_sub(payload.len())..end - payload.len()];
            assembled = [from_payload, from_trailer].concat();
            assembled.as_slice()
        };
        if number == 0 {
            heads.insert(key, part)?;
        } else {
            tails.insert((key, number), part)?;
        }
        if end == total {
            return Ok(());
        }
        start = end;
        number += 1;
    }
}

/// The record under `key`, its head from `heads` followed by its tail parts in order.
pub fn get<K>(
    heads: &impl ReadableTable<K, &'static [u8]>,
    tails: &impl ReadableTable<(K, u32), &'static [u8]>,
    key: K,
) -> Result<Option<Vec<u8>>, StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    let Some(head) = heads.get(key)? else { return Ok(None) };
    let mut record = head.value().to_vec();
    append_tail(tails, key, &mut record)?;
    Ok(Some(record))
}

/// Appends the tail parts stored under `key` to `record`.
pub(crate) fn append_tail<K>(
    tails: &impl ReadableTable<(K, u32), &'static [u8]>,
    key: K,
    record: &mut Vec<u8>,
) -> Result<(), StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    for entry in tails.range((key, 1)..=(key, u32::MAX))? {
        record.extend_from_slice(entry?.1.value());
    }
    Ok(())
}

/// Removes the record under `key`, head and tail.
pub fn remove<K>(
    heads: &mut Table<'_, K, &'static [u8]>,
    tails: &mut Table<'_, (K, u32), &'static [u8]>,
    key: K,
) -> Result<(), StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    heads.remove(key)?;
    remove_tail(tails, key)
}

fn remove_tail<K>(tails: &mut Table<'_, (K, u32), &'static [u8]>, key: K) -> Result<(), StorageError>
where
    K: Key + for<'a> Value<SelfType<'a> = K> + Copy + 'static,
{
    tails.retain_in((key, 1)..=(key, u32::MAX), |_, _| false)
}

#[cfg(test)]
mod tests {
    use redb::{Database, ReadableDatabase};

    use super::*;

    const HEADS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("heads");
    const TAILS: TailTable<u64> = TableDefinition::new("tails");

    fn record(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
    }

    #[test]
    fn records_of_every_length_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("parts.redb")).unwrap();
        let lengths = [0, 1, PART_BYTES - 1, PART_BYTES, PART_BYTES + 1, 3 * PART_BYTES, 3 * PART_BYTES + 7];
        let txn = db.begin_write().unwrap();
        {
            let (mut heads, mut tails) = (txn.open_table(HEADS).unwrap(), txn.open_table(TAILS).unwrap());
            for (key, len) in lengths.iter().enumerate() {
                insert(&mut heads, &mut tails, key as u64, &record(*len, key as u8)).unwrap();
            }
        }
        txn.commit().unwrap();
        let read = db.begin_read().unwrap();
        let (heads, tails) = (read.open_table(HEADS).unwrap(), read.open_table(TAILS).unwrap());
        for (key, len) in lengths.iter().enumerate() {
            assert_eq!(get(&heads, &tails, key as u64).unwrap(), Some(record(*len, key as u8)), "length {len}");
        }
        assert_eq!(get(&heads, &tails, 99).unwrap(), None);
        // The heads table holds one row per record; tails only what did not fit.
        assert_eq!(redb::ReadableTableMetadata::len(&heads).unwrap(), lengths.len() as u64);
        assert_eq!(redb::ReadableTableMetadata::len(&tails).unwrap(), 1 + 2 + 3);
    }

    #[test]
    fn a_record_written_with_a_trailer_reads_as_the_two_joined() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("parts.redb")).unwrap();
        let trailer = [0xa5u8; 8];
        let lengths = [0, 3, PART_BYTES - 8, PART_BYTES - 5, PART_BYTES, PART_BYTES + 2, 2 * PART_BYTES - 1];
        let txn = db.begin_write().unwrap();
        {
            let (mut heads, mut tails) = (txn.open_table(HEADS).unwrap(), txn.open_table(TAILS).unwrap());
            for (key, len) in lengths.iter().enumerate() {
                let payload = record(*len, key as u8);
                insert_with_trailer(&mut heads, &mut tails, key as u64, &payload, &trailer).unwrap();
                let joined = [payload.as_slice(), &trailer].concat();
                insert(&mut heads, &mut tails, 100 + key as u64, &joined).unwrap();
            }
        }
        txn.commit().unwrap();
        let read = db.begin_read().unwrap();
        let (heads, tails) = (read.open_table(HEADS).unwrap(), read.open_table(TAILS).unwrap());
        for (key, len) in lengths.iter().enumerate() {
            let joined = [record(*len, key as u8).as_slice(), &trailer].concat();
            assert_eq!(get(&heads, &tails, key as u64).unwrap(), Some(joined), "length {len}");
            // Part for part what the joined record gives.
            for number in 1..4u32 {
                let ours = tails.get((key as u64, number)).unwrap().map(|v| v.value().to_vec());
                let joined = tails.get((100 + key as u64, number)).unwrap().map(|v| v.value().to_vec());
                assert_eq!(ours, joined, "length {len}, part {number}");
            }
            let ours = heads.get(key as u64).unwrap().unwrap().value().to_vec();
            assert_eq!(ours, heads.get(100 + key as u64).unwrap().unwrap().value().to_vec());
        }
    }

    #[test]
    fn a_shorter_record_under_the_same_key_leaves_no_stale_tail_and_removal_takes_all() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("parts.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let (mut heads, mut tails) = (txn.open_table(HEADS).unwrap(), txn.open_table(TAILS).unwrap());
            insert(&mut heads, &mut tails, 5, &record(4 * PART_BYTES, 1)).unwrap();
            insert(&mut heads, &mut tails, 6, &record(2 * PART_BYTES + 3, 2)).unwrap();
            insert(&mut heads, &mut tails, 5, &record(PART_BYTES + 10, 3)).unwrap();
            assert_eq!(get(&heads, &tails, 5).unwrap(), Some(record(PART_BYTES + 10, 3)));
            remove(&mut heads, &mut tails, 5).unwrap();
            assert_eq!(get(&heads, &tails, 5).unwrap(), None);
            // The neighbour's parts are untouched.
            assert_eq!(get(&heads, &tails, 6).unwrap(), Some(record(2 * PART_BYTES + 3, 2)));
            assert_eq!(redb::ReadableTableMetadata::len(&tails).unwrap(), 2);
        }
        txn.commit().unwrap();
    }
}
