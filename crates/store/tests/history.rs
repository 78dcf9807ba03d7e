//! The `history` table: rows and meta written together (durably or not), and paged by prefix in
//! both directions with exclusive bounds — checked against a plain sorted map.

mod common;

use std::collections::BTreeMap;

use common::TempDir;
use novation_store::Store;
use proptest::prelude::*;

fn row(key: &[u8], value: &[u8]) -> (Vec<u8>, Vec<u8>) {
    (key.to_vec(), value.to_vec())
}

#[test]
fn history_rows_and_their_meta_survive_reopening() {
    let dir = TempDir::new("history-reopen");
    {
        let store = Store::open(dir.file("history.redb")).unwrap();
        assert_eq!(store.history_get(b"a1").unwrap(), None);
        assert!(store.history_page(b"a", None, None, 10, true).unwrap().is_empty());
        store
            .put_history(&[row(b"a1", b"one"), row(b"b1", b"x")], &[("indexed_height", &1u64.to_be_bytes())], true)
            .unwrap();
        store.put_history(&[row(b"a1", b"one again")], &[], true).unwrap();
    }
    let store = Store::open(dir.file("history.redb")).unwrap();
    assert_eq!(store.history_get(b"a1").unwrap().as_deref(), Some(&b"one again"[..]));
    assert_eq!(store.get_meta("indexed_height").unwrap(), Some(1u64.to_be_bytes().to_vec()));
    assert_eq!(store.history_page(b"a", None, None, 10, true).unwrap(), vec![row(b"a1", b"one again")]);
}

#[test]
fn a_prefix_of_all_ff_bytes_pages_to_the_end_of_the_table() {
    let dir = TempDir::new("history-ff");
    let store = Store::open(dir.file("chain.redb")).unwrap();
    let rows = [row(&[0xff, 0xff, 1], b"1"), row(&[0xff, 0xff], b"0"), row(&[0xfe, 0xff], b"-")];
    store.put_history(&rows, &[], true).unwrap();
    let page = store.history_page(&[0xff, 0xff], None, None, 10, false).unwrap();
    assert_eq!(page, vec![row(&[0xff, 0xff], b"0"), row(&[0xff, 0xff, 1], b"1")]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pages_match_a_sorted_map(
        keys in prop::collection::btree_set(prop::collection::vec(0u8..4, 1..4), 0..40),
        prefix in prop::collection::vec(0u8..4, 0..2),
        after in prop::option::of(prop::collection::vec(0u8..4, 0..4)),
        before in prop::option::of(prop::collection::vec(0u8..4, 0..4)),
        limit in 1usize..8,
        newest_first in any::<bool>(),
    ) {
        let dir = TempDir::new("history-prop");
        let store = Store::open(dir.file("chain.redb")).unwrap();
        let model: BTreeMap<Vec<u8>, Vec<u8>> = keys.iter().map(|k| (k.clone(), k.iter().rev().copied().collect())).collect();
        let rows: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        store.put_history(&rows, &[], true).unwrap();
        let mut expected: Vec<_> = model
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| after.as_ref().is_none_or(|a| k.as_slice() > a.as_slice()))
            .filter(|(k, _)| before.as_ref().is_none_or(|b| k.as_slice() < b.as_slice()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if newest_first {
            expected.reverse();
        }
        expected.truncate(limit);
        let page = store.history_page(&prefix, after.as_deref(), before.as_deref(), limit, newest_first).unwrap();
        prop_assert_eq!(page, expected);
    }
}

#[test]
fn history_written_without_durability_is_read_at_once_and_kept_once_persisted() {
    let dir = TempDir::new("history-volatile");
    {
        let store = Store::open(dir.file("history.redb")).unwrap();
        store.put_history(&[row(b"a1", b"one")], &[("indexed_height", &1u64.to_be_bytes())], false).unwrap();
        assert_eq!(store.history_get(b"a1").unwrap().as_deref(), Some(&b"one"[..]));
        store.put_history(&[row(b"a2", b"two")], &[("indexed_height", &2u64.to_be_bytes())], false).unwrap();
        store.persist().unwrap();
    }
    let store = Store::open(dir.file("history.redb")).unwrap();
    assert_eq!(store.history_get(b"a2").unwrap().as_deref(), Some(&b"two"[..]));
    assert_eq!(store.get_meta("indexed_height").unwrap(), Some(2u64.to_be_bytes().to_vec()));
}
