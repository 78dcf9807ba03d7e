//! Block store behaviour: round trips, reopening, ordering, meta rows, and
//! typed errors for foreign, corrupt and already-open files.

mod common;

use common::{block_fixture, Rng, TempDir};
use novation_store::{Store, StoreError};

fn commit_range(store: &Store, heights: std::ops::RangeInclusive<u64>) {
    for height in heights {
        let (header, block, results) = block_fixture(height);
        store.commit_block(height, &header, &block, &results).expect("commit");
    }
}

fn assert_block_intact(store: &Store, height: u64) {
    let (header, block, results) = block_fixture(height);
    assert_eq!(store.header(height).unwrap(), Some(header), "header {height}");
    assert_eq!(store.block(height).unwrap(), Some(block), "block {height}");
    assert_eq!(store.results(height).unwrap(), Some(results), "results {height}");
}

#[test]
fn the_store_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Store>();
}

#[test]
fn a_new_store_is_empty() {
    let dir = TempDir::new("empty");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    assert_eq!(store.latest_height().unwrap(), None);
    assert_eq!(store.first_height().unwrap(), None);
    assert_eq!(store.block(1).unwrap(), None);
    assert_eq!(store.get_meta("genesis").unwrap(), None);
    assert_eq!(store.blocks_from(0).unwrap().count(), 0);
}

#[test]
fn committed_blocks_read_back_exactly() {
    let dir = TempDir::new("roundtrip");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    commit_range(&store, 1..=20);
    assert_eq!(store.latest_height().unwrap(), Some(20));
    assert_eq!(store.first_height().unwrap(), Some(1));
    for height in 1..=20 {
        assert_block_intact(&store, height);
    }
    assert_eq!(store.header(0).unwrap(), None);
    assert_eq!(store.header(21).unwrap(), None);
    // Empty payloads are fine too.
    store.commit_block(21, b"", b"", b"").unwrap();
    assert_eq!(store.block(21).unwrap(), Some(Vec::new()));
}

#[test]
fn blocks_from_replays_in_order() {
    let dir = TempDir::new("replay");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    commit_range(&store, 5..=30);
    let replayed: Vec<_> = store.blocks_from(10).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(replayed.len(), 21);
    for (stored, height) in replayed.iter().zip(10..) {
        let (header, block, _) = block_fixture(height);
        assert_eq!(stored.height, height);
        assert_eq!(stored.header, header);
        assert_eq!(stored.block, block);
    }
    assert_eq!(store.blocks_from(0).unwrap().count(), 26);
    assert_eq!(store.blocks_from(31).unwrap().count(), 0);
}

#[test]
fn reopening_after_drop_keeps_everything() {
    let dir = TempDir::new("reopen");
    let path = dir.file("chain.redb");
    {
        let store = Store::open(&path).unwrap();
        commit_range(&store, 1..=10);
        store.put_meta("genesis", b"genesis bytes").unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(10));
    for height in 1..=10 {
        assert_block_intact(&store, height);
    }
    assert_eq!(store.get_meta("genesis").unwrap(), Some(b"genesis bytes".to_vec()));
    commit_range(&store, 11..=12);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(12));
}

#[test]
fn out_of_order_commits_are_refused_and_change_nothing() {
    let dir = TempDir::new("order");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    commit_range(&store, 1..=3);
    for bad in [1, 3, 5, 0, u64::MAX] {
        let error = store.commit_block(bad, b"h", b"b", b"r").unwrap_err();
        assert!(matches!(error, StoreError::HeightOutOfOrder { latest: 3, got } if got == bad), "{error:?}");
        assert_eq!(error.code(), "store_height_out_of_order");
    }
    assert_eq!(store.latest_height().unwrap(), Some(3));
    assert_eq!(store.block(5).unwrap(), None);
    assert_block_intact(&store, 1);
    assert_block_intact(&store, 3);
    commit_range(&store, 4..=4);
}

#[test]
fn the_first_block_may_start_at_any_height() {
    let dir = TempDir::new("first");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    commit_range(&store, 1000..=1002);
    assert_eq!(store.first_height().unwrap(), Some(1000));
    assert!(store.commit_block(999, b"", b"", b"").is_err());
}

#[test]
fn meta_rows_are_kept_and_replaced() {
    let dir = TempDir::new("meta");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    store.put_meta("chain_id", b"devnet-1").unwrap();
    store.put_meta("chain_id", b"devnet-2").unwrap();
    assert_eq!(store.get_meta("chain_id").unwrap(), Some(b"devnet-2".to_vec()));
    let (header, block, results) = block_fixture(1);
    store
        .commit_block_with_meta(
            1,
            &header,
            &block,
            &results,
            &[("state_root", b"root-1"), ("snapshot", b"state")],
            true,
        )
        .unwrap();
    assert_eq!(store.get_meta("state_root").unwrap(), Some(b"root-1".to_vec()));
    // A refused commit writes none of its meta rows.
    let refused = store.commit_block_with_meta(7, b"", b"", b"", &[("state_root", b"root-7")], true);
    assert!(refused.is_err());
    assert_eq!(store.get_meta("state_root").unwrap(), Some(b"root-1".to_vec()));
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = TempDir::new("twice");
    let path = dir.file("chain.redb");
    let _store = Store::open(&path).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::AlreadyOpen), "{error:?}");
}

#[test]
fn an_empty_file_becomes_a_new_store() {
    let dir = TempDir::new("emptyfile");
    let path = dir.file("chain.redb");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.latest_height().unwrap(), None);
}

#[test]
fn a_non_database_file_is_a_typed_error_and_is_left_alone() {
    let dir = TempDir::new("garbage");
    let mut rng = Rng::new(7);
    for (i, len) in [1usize, 17, 512, 4096, 70_000].into_iter().enumerate() {
        let path = dir.file(&format!("garbage-{i}.redb"));
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let error = Store::open(&path).unwrap_err();
        assert!(matches!(error, StoreError::Corrupted(_) | StoreError::Io(_)), "{len} bytes: {error:?}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "file was modified");
    }
    let text = dir.file("notes.txt");
    std::fs::write(&text, "just some text, not a database\n".repeat(100)).unwrap();
    assert!(Store::open(&text).is_err());
}

#[test]
fn another_programs_redb_database_is_foreign() {
    let dir = TempDir::new("foreign");
    let path = dir.file("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let table: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("blocks");
            txn.open_table(table).unwrap().insert("x", 1).unwrap();
        }
        txn.commit().unwrap();
    }
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::ForeignDatabase(_)), "{error:?}");
    assert_eq!(error.code(), "store_foreign_database");
}

#[test]
fn a_truncated_store_file_is_a_typed_error() {
    let dir = TempDir::new("truncated");
    let path = dir.file("chain.redb");
    {
        let store = Store::open(&path).unwrap();
        commit_range(&store, 1..=50);
    }
    let bytes = std::fs::read(&path).unwrap();
    for keep in [bytes.len() / 2, 600, 100] {
        let cut = dir.file(&format!("cut-{keep}.redb"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        // Either the engine refuses the file, or it recovers an earlier
        // consistent state; it never panics or returns damaged blocks.
        if let Ok(store) = Store::open(&cut) {
            if let Some(latest) = store.latest_height().unwrap() {
                for height in 1..=latest {
                    assert_block_intact(&store, height);
                }
            }
        }
    }
}

#[test]
fn flipped_bytes_inside_a_record_are_reported_as_corruption() {
    let dir = TempDir::new("bitflip");
    let path = dir.file("chain.redb");
    let marker = b"UNIQUE-BLOCK-PAYLOAD-0123456789";
    {
        let store = Store::open(&path).unwrap();
        commit_range(&store, 1..=3);
        store.commit_block(4, b"header-4", marker, b"r").unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(marker.len()).position(|window| window == marker).expect("payload stored verbatim");
    bytes[at + 3] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&path).unwrap();
    let error = store.block(4).unwrap_err();
    assert!(matches!(error, StoreError::Corrupted(_)), "{error:?}");
    let replay: Vec<_> = store.blocks_from(1).unwrap().collect();
    assert_eq!(replay.len(), 4);
    assert!(replay[..3].iter().all(Result::is_ok));
    assert!(matches!(replay[3], Err(StoreError::Corrupted(_))));
    assert_block_intact(&store, 3);
}

#[test]
fn random_damage_never_panics() {
    let dir = TempDir::new("damage");
    let path = dir.file("chain.redb");
    {
        let store = Store::open(&path).unwrap();
        commit_range(&store, 1..=40);
    }
    let pristine = std::fs::read(&path).unwrap();
    let seed = Rng::clock_seed();
    eprintln!("random_damage_never_panics seed {seed} (replay: NOVATION_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    for round in 0..40 {
        let mut bytes = pristine.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        let damaged = dir.file(&format!("damaged-{round}.redb"));
        std::fs::write(&damaged, &bytes).unwrap();
        // Any outcome but a panic or wrong data is acceptable.
        let Ok(store) = Store::open(&damaged) else {
            continue;
        };
        let Ok(Some(latest)) = store.latest_height() else {
            continue;
        };
        for height in 1..=latest {
            if let Ok(Some(block)) = store.block(height) {
                assert_eq!(block, block_fixture(height).1);
            }
        }
        for stored in store.blocks_from(0).into_iter().flatten().flatten() {
            assert_eq!(stored.block, block_fixture(stored.height).1);
        }
    }
}

#[test]
fn snapshots_keep_the_newest_ones_and_survive_reopening() {
    let dir = TempDir::new("snapshots");
    {
        let store = Store::open(dir.file("chain.redb")).unwrap();
        assert_eq!(store.snapshot_heights().unwrap(), Vec::<u64>::new());
        assert_eq!(store.snapshot(5).unwrap(), None);
        for height in [10, 20, 30] {
            store.put_snapshot(height, format!("state at {height}").as_bytes(), 2).unwrap();
        }
        assert_eq!(store.snapshot_heights().unwrap(), vec![30, 20]);
        assert_eq!(store.snapshot(10).unwrap(), None);
    }
    let store = Store::open(dir.file("chain.redb")).unwrap();
    assert_eq!(store.snapshot_heights().unwrap(), vec![30, 20]);
    assert_eq!(store.snapshot(20).unwrap().as_deref(), Some(&b"state at 20"[..]));
    store.put_snapshot(30, b"replaced", 2).unwrap();
    assert_eq!(store.snapshot(30).unwrap().as_deref(), Some(&b"replaced"[..]));
    assert_eq!(store.snapshot_heights().unwrap(), vec![30, 20]);
}

/// A record `parts` parts long (and a few bytes more), distinct per height and seed.
fn long_record(height: u64, seed: u8, parts: usize) -> Vec<u8> {
    let len = parts * novation_store::parts::PART_BYTES + 3;
    (0..len).map(|i| (i % 253) as u8 ^ seed ^ height as u8).collect()
}

#[test]
fn records_longer_than_a_part_read_back_whole_and_replay_in_order() {
    let dir = TempDir::new("parts");
    let path = dir.file("chain.redb");
    {
        let store = Store::open(&path).unwrap();
        for height in 1..=4 {
            let parts = height as usize; // 1 to 4 parts and a bit
            store.commit_block(height, b"h", &long_record(height, 1, parts), &long_record(height, 2, parts)).unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    for height in 1..=4 {
        assert_eq!(store.block(height).unwrap(), Some(long_record(height, 1, height as usize)));
        assert_eq!(store.results(height).unwrap(), Some(long_record(height, 2, height as usize)));
    }
    let replay: Vec<_> = store.blocks_from(2).unwrap().map(Result::unwrap).collect();
    assert_eq!(replay.iter().map(|b| b.height).collect::<Vec<_>>(), vec![2, 3, 4]);
    for stored in replay {
        assert_eq!(stored.block, long_record(stored.height, 1, stored.height as usize));
    }
}

#[test]
fn a_flipped_byte_in_a_later_part_is_reported_as_corruption() {
    let dir = TempDir::new("parts-bitflip");
    let path = dir.file("chain.redb");
    let mut block = long_record(1, 3, 2);
    let marker = b"UNIQUE-TAIL-PAYLOAD-9876543210";
    let at = block.len() - 100;
    block[at..at + marker.len()].copy_from_slice(marker);
    {
        let store = Store::open(&path).unwrap();
        store.commit_block(1, b"h", &block, b"r").unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.windows(marker.len()).position(|window| window == marker).expect("tail stored verbatim");
    bytes[at + 5] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    let store = Store::open(&path).unwrap();
    assert!(matches!(store.block(1).unwrap_err(), StoreError::Corrupted(_)));
    let replay: Vec<_> = store.blocks_from(1).unwrap().collect();
    assert!(matches!(replay.as_slice(), [Err(StoreError::Corrupted(_))]));
}

/// A version 2 store, written as that version did: whole sealed records, no tail tables.
fn write_version_2_store(path: &std::path::Path, heights: std::ops::RangeInclusive<u64>) {
    use novation_store::tables::{seal, RecordTable};
    let db = redb::Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let u64_table = |name| redb::TableDefinition::<u64, &[u8]>::new(name);
        let mut headers = txn.open_table(u64_table("headers")).unwrap();
        let mut blocks = txn.open_table(u64_table("blocks")).unwrap();
        let mut results = txn.open_table(u64_table("results")).unwrap();
        for height in heights {
            let block = long_record(height, 7, 2);
            headers.insert(height, seal(RecordTable::Headers, height, b"h").as_slice()).unwrap();
            blocks.insert(height, seal(RecordTable::Blocks, height, &block).as_slice()).unwrap();
            results.insert(height, seal(RecordTable::Results, height, b"r").as_slice()).unwrap();
        }
        txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta")).unwrap();
        let mut info = txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("store_info")).unwrap();
        info.insert("format", b"novation-store".as_slice()).unwrap();
        info.insert("schema_version", 2u32.to_be_bytes().as_slice()).unwrap();
    }
    txn.commit().unwrap();
}

#[test]
fn a_version_2_store_with_whole_records_is_upgraded_and_reads_as_before() {
    let dir = TempDir::new("upgrade");
    let path = dir.file("chain.redb");
    write_version_2_store(&path, 1..=2);
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.block(2).unwrap(), Some(long_record(2, 7, 2)));
        store.commit_block(3, b"h", &long_record(3, 7, 2), b"r").unwrap();
    }
    let store = Store::open(&path).unwrap();
    let replay: Vec<_> = store.blocks_from(1).unwrap().map(Result::unwrap).collect();
    assert_eq!(replay.len(), 3);
    for stored in replay {
        assert_eq!(stored.block, long_record(stored.height, 7, 2), "height {}", stored.height);
    }
    drop(store);
    let db = redb::Database::open(&path).unwrap();
    let read = redb::ReadableDatabase::begin_read(&db).unwrap();
    let info = read.open_table(redb::TableDefinition::<&str, &[u8]>::new("store_info")).unwrap();
    let version = info.get("schema_version").unwrap().unwrap().value().to_vec();
    assert_eq!(version, novation_store::tables::SCHEMA_VERSION.to_be_bytes());
}
