//! Properties of the state commitment, checked against an independent
//! re-implementation of the documented scheme (SHA-256 only, no tree code).

use std::collections::BTreeMap;

use novation_store::commitment::{verify_proof, Proof, ProofLeaf, StateTree, EMPTY_HASH};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

type Hash = [u8; 32];
type Change = (Vec<u8>, Option<Vec<u8>>);

/// The documented scheme, written from the crate docs alone.
mod spec {
    use super::*;

    pub(crate) fn h(parts: &[&[u8]]) -> Hash {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    pub(crate) fn leaf(key_hash: &Hash, value_hash: &Hash) -> Hash {
        h(&[&[0x00], key_hash, value_hash])
    }

    pub(crate) fn node(left: &Hash, right: &Hash) -> Hash {
        h(&[&[0x01], left, right])
    }

    pub(crate) fn bit(key_hash: &Hash, i: usize) -> usize {
        usize::from((key_hash[i / 8] >> (7 - i % 8)) & 1)
    }

    /// `T(S, level)` from the module documentation.
    pub(crate) fn subtree(entries: &[(Hash, Hash)], level: usize) -> Hash {
        match entries {
            [] => [0u8; 32],
            [(k, v)] => leaf(k, v),
            _ => {
                let (left, right): (Vec<_>, Vec<_>) = entries.iter().partition(|(k, _)| bit(k, level) == 0);
                node(&subtree(&left, level + 1), &subtree(&right, level + 1))
            }
        }
    }

    pub(crate) fn root(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> Hash {
        let hashed: Vec<(Hash, Hash)> = entries.iter().map(|(k, v)| (h(&[k]), h(&[v]))).collect();
        subtree(&hashed, 0)
    }

    /// An independent proof checker: folds the siblings up by the key's bits.
    pub(crate) fn verify(root: &Hash, key: &[u8], value: Option<&[u8]>, proof: &Proof) -> bool {
        let k = h(&[key]);
        let depth = proof.siblings.len();
        if depth > 256 {
            return false;
        }
        let mut acc = match (value, &proof.leaf) {
            (Some(v), ProofLeaf::Target) => leaf(&k, &h(&[v])),
            (None, ProofLeaf::Empty) => [0u8; 32],
            (None, ProofLeaf::Other { key_hash, value_hash }) => {
                let same_prefix = (0..depth).all(|i| bit(key_hash, i) == bit(&k, i));
                if *key_hash == k || !same_prefix {
                    return false;
                }
                leaf(key_hash, value_hash)
            }
            _ => return false,
        };
        for i in (0..depth).rev() {
            acc = if bit(&k, i) == 0 { node(&acc, &proof.siblings[i]) } else { node(&proof.siblings[i], &acc) };
        }
        acc == *root
    }
}

fn key(i: u64) -> Vec<u8> {
    format!("account/{i}").into_bytes()
}

fn value(i: u64, version: u64) -> Vec<u8> {
    format!("balance {i} v{version}").into_bytes()
}

fn tree_of(entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> StateTree {
    let changes: Vec<Change> = entries.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
    let mut tree = StateTree::new();
    tree.apply(&changes);
    tree
}

#[test]
fn empty_tree_root_is_the_documented_constant() {
    let tree = StateTree::new();
    assert_eq!(tree.root(), [0u8; 32]);
    assert_eq!(tree.root(), EMPTY_HASH);
    assert_eq!(spec::root(&BTreeMap::new()), EMPTY_HASH);
}

#[test]
fn single_entry_root_is_its_leaf_hash() {
    let mut tree = StateTree::new();
    tree.apply(&[(b"k".to_vec(), Some(b"v".to_vec()))]);
    let expected = spec::leaf(&spec::h(&[b"k"]), &spec::h(&[b"v"]));
    assert_eq!(tree.root(), expected);
}

#[test]
fn root_matches_the_reference_scheme_through_inserts_updates_and_deletes() {
    let mut tree = StateTree::new();
    let mut model = BTreeMap::new();
    for round in 0..6u64 {
        let mut changes: Vec<Change> = Vec::new();
        for i in 0..400u64 {
            let i = (i * 7 + round * 131) % 1000;
            if (i + round) % 5 == 0 {
                changes.push((key(i), None));
                model.remove(&key(i));
            } else {
                changes.push((key(i), Some(value(i, round))));
                model.insert(key(i), value(i, round));
            }
        }
        tree.apply(&changes);
        tree.check_invariants().unwrap();
        assert_eq!(tree.len(), model.len());
        assert_eq!(tree.root(), spec::root(&model), "round {round}");
    }
}

#[test]
fn proofs_verify_for_present_and_absent_keys() {
    let entries: BTreeMap<_, _> = (0..2000u64).map(|i| (key(i), value(i, 0))).collect();
    let tree = tree_of(&entries);
    let root = tree.root();
    for i in 0..2000u64 {
        let proof = tree.prove(&key(i));
        assert_eq!(proof.leaf, ProofLeaf::Target);
        assert!(verify_proof(&root, &key(i), Some(&value(i, 0)), &proof));
        assert!(spec::verify(&root, &key(i), Some(&value(i, 0)), &proof));
        let decoded = Proof::from_bytes(&proof.to_bytes()).unwrap();
        assert_eq!(decoded, proof);
    }
    let (mut ended_empty, mut ended_other) = (0, 0);
    for i in 2000..4000u64 {
        let proof = tree.prove(&key(i));
        match proof.leaf {
            ProofLeaf::Empty => ended_empty += 1,
            ProofLeaf::Other { .. } => ended_other += 1,
            ProofLeaf::Target => panic!("absent key proven present"),
        }
        assert!(verify_proof(&root, &key(i), None, &proof));
        assert!(spec::verify(&root, &key(i), None, &proof));
        assert!(!verify_proof(&root, &key(i), Some(b"anything"), &proof));
    }
    // Both kinds of non-inclusion proof were exercised.
    assert!(ended_empty > 0 && ended_other > 0, "{ended_empty} {ended_other}");
}

#[test]
fn tampered_values_and_proofs_are_rejected() {
    let entries: BTreeMap<_, _> = (0..300u64).map(|i| (key(i), value(i, 0))).collect();
    let tree = tree_of(&entries);
    let root = tree.root();
    let proof = tree.prove(&key(42));
    assert!(verify_proof(&root, &key(42), Some(&value(42, 0)), &proof));

    // Wrong value, absent claim, another key, another root.
    assert!(!verify_proof(&root, &key(42), Some(&value(42, 1)), &proof));
    assert!(!verify_proof(&root, &key(42), None, &proof));
    assert!(!verify_proof(&root, &key(43), Some(&value(42, 0)), &proof));
    let mut other_root = root;
    other_root[0] ^= 1;
    assert!(!verify_proof(&other_root, &key(42), Some(&value(42, 0)), &proof));

    // Every flipped sibling bit, a dropped sibling, an extra sibling.
    for level in 0..proof.siblings.len() {
        let mut bad = proof.clone();
        bad.siblings[level][level % 32] ^= 0x80;
        assert!(!verify_proof(&root, &key(42), Some(&value(42, 0)), &bad));
    }
    let mut shorter = proof.clone();
    shorter.siblings.pop();
    assert!(!verify_proof(&root, &key(42), Some(&value(42, 0)), &shorter));
    let mut longer = proof.clone();
    longer.siblings.push(EMPTY_HASH);
    assert!(!verify_proof(&root, &key(42), Some(&value(42, 0)), &longer));

    // A present key cannot be proven absent with a forged terminal.
    let forged_empty = Proof { siblings: proof.siblings.clone(), leaf: ProofLeaf::Empty };
    assert!(!verify_proof(&root, &key(42), None, &forged_empty));
    let forged_other = Proof {
        siblings: proof.siblings.clone(),
        leaf: ProofLeaf::Other { key_hash: spec::h(&[&key(42)]), value_hash: spec::h(&[&value(42, 0)]) },
    };
    assert!(!verify_proof(&root, &key(42), None, &forged_other));

    // A non-inclusion proof whose other leaf is off the key's path fails.
    let absent = key(9999);
    let mut non_inclusion = tree.prove(&absent);
    assert!(verify_proof(&root, &absent, None, &non_inclusion));
    if let ProofLeaf::Other { key_hash, .. } = &mut non_inclusion.leaf {
        key_hash[31] ^= 1;
        assert!(!verify_proof(&root, &absent, None, &non_inclusion));
    }
}

#[test]
fn last_change_to_a_key_in_a_batch_wins() {
    let mut tree = StateTree::new();
    tree.apply(&[
        (b"a".to_vec(), Some(b"1".to_vec())),
        (b"a".to_vec(), Some(b"2".to_vec())),
        (b"b".to_vec(), Some(b"x".to_vec())),
        (b"b".to_vec(), None),
        (b"c".to_vec(), None),
        (b"c".to_vec(), Some(b"3".to_vec())),
    ]);
    let expected: BTreeMap<Vec<u8>, Vec<u8>> =
        [(b"a".to_vec(), b"2".to_vec()), (b"c".to_vec(), b"3".to_vec())].into_iter().collect();
    assert_eq!(tree.root(), spec::root(&expected));
    assert_eq!(tree.len(), 2);
}

#[test]
fn rewriting_the_same_value_or_deleting_absent_keys_changes_nothing() {
    let entries: BTreeMap<_, _> = (0..100u64).map(|i| (key(i), value(i, 0))).collect();
    let mut tree = tree_of(&entries);
    let root = tree.root();
    tree.apply(&[(key(5), Some(value(5, 0))), (key(500), None)]);
    assert_eq!(tree.root(), root);
    assert_eq!(tree.len(), 100);
}

/// One operation of a random history: write `value` to key `key % 64`, or delete it.
fn op_strategy() -> impl Strategy<Value = (u8, Option<u8>)> {
    (0u8..64, proptest::option::weighted(0.75, any::<u8>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The root is a function of the final set of entries: any history of
    /// writes and deletes, in any batching, gives the same root as building
    /// the final set at once, in any order.
    #[test]
    fn root_depends_only_on_the_final_set(
        history in proptest::collection::vec(op_strategy(), 0..400),
        batch_sizes in proptest::collection::vec(1usize..80, 1..20),
        shuffle_seed in any::<u64>(),
    ) {
        let mut model = BTreeMap::new();
        let history: Vec<Change> = history
            .into_iter()
            .map(|(k, v)| (vec![k], v.map(|v| vec![v, k])))
            .collect();
        for (k, v) in &history {
            match v {
                Some(v) => { model.insert(k.clone(), v.clone()); }
                None => { model.remove(k); }
            }
        }

        let mut incremental = StateTree::new();
        let mut rest = history.as_slice();
        for size in batch_sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*size).min(rest.len()));
            incremental.apply(batch);
            rest = tail;
        }

        let mut final_set: Vec<Change> =
            model.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let mut state = shuffle_seed | 1;
        for i in (1..final_set.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            final_set.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let mut one_at_a_time = StateTree::new();
        for change in &final_set {
            one_at_a_time.apply(std::slice::from_ref(change));
        }

        prop_assert_eq!(incremental.root(), spec::root(&model));
        prop_assert_eq!(one_at_a_time.root(), spec::root(&model));
        prop_assert_eq!(incremental.len(), model.len());
        prop_assert!(incremental.check_invariants().is_ok());

        for k in 0u8..64 {
            let proof = incremental.prove(&[k]);
            let v = model.get(&vec![k]).map(Vec::as_slice);
            prop_assert!(verify_proof(&incremental.root(), &[k], v, &proof));
            prop_assert!(spec::verify(&incremental.root(), &[k], v, &proof));
        }
    }
}
