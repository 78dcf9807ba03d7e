//! [`StateTree`]: the in-memory, path-compressed sparse Merkle tree.
//!
//! Only branching nodes are stored (a crit-bit tree over key hashes): a
//! [`Branch`] records the first bit at which its two subtrees differ and the
//! hashes of both subtrees one level below it; a [`Leaf`] records its key
//! hash and value hash. The single-child levels that path compression skips
//! are hashed on the fly from [`EMPTY_HASH`] when a subtree's hash is lifted
//! to the level below its parent; on random keys there are fewer than half
//! as many of them as leaves.
//!
//! Updates mark, on each branch of their path, the side they went down;
//! re-hashing visits exactly the dirty sides, never reading a clean subtree,
//! so a batch of `c` changes over `n` entries costs about `c × log2(n / c)`
//! plus `3c` hashes. Proofs read the cached sibling hashes along one path.
//!
//! On a large tree the cost is memory latency more than hashing: every level
//! of a path is a cache miss. So a batch is sorted and applied in groups of
//! [`WARM_GROUP`] changes whose paths are first walked side by side (their
//! misses overlap), and after each group the subtrees no later change of the
//! batch can reach are re-hashed at once, while their nodes are in cache;
//! the final pass only climbs the shared top of the tree. Branch shapes are
//! kept apart from their hashes, so a walk reads 16 bytes per level.

use super::arena::Arena;
use super::hash::{
    bit_at, first_difference, key_hash, leaf_hash, node_hash, node_hash_by_side, value_hash, Hash, EMPTY_HASH, KEY_BITS,
};
use super::proof::{Proof, ProofLeaf};

/// A reference to a node: a leaf index, a branch index, or nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NodeRef(u32);

/// Decoded [`NodeRef`].
enum Node {
    None,
    Leaf(usize),
    Branch(usize),
}

const LEAF_FLAG: u32 = 1 << 31;

/// Most entries (and branches) an arena can index.
const ARENA_CAPACITY_MAX: usize = (LEAF_FLAG - 1) as usize;

impl NodeRef {
    const NONE: NodeRef = NodeRef(u32::MAX);

    fn leaf(index: usize) -> NodeRef {
        assert!(index < ARENA_CAPACITY_MAX, "state tree leaf arena full");
        NodeRef(index as u32 | LEAF_FLAG)
    }

    fn branch(index: usize) -> NodeRef {
        assert!(index < ARENA_CAPACITY_MAX, "state tree branch arena full");
        NodeRef(index as u32)
    }

    fn get(self) -> Node {
        if self == NodeRef::NONE {
            Node::None
        } else if self.0 & LEAF_FLAG != 0 {
            Node::Leaf((self.0 & !LEAF_FLAG) as usize)
        } else {
            Node::Branch(self.0 as usize)
        }
    }
}

/// One entry: 64 bytes. Its hash lives in its parent (or is the root).
#[derive(Clone, Debug)]
struct Leaf {
    key_hash: Hash,
    value_hash: Hash,
}

/// A branching node's shape: 16 bytes, four to a cache line, so that a walk
/// down the tree touches as few lines as the tree's depth allows. Its child
/// hashes live at the same index of [`StateTree::child_hashes`].
#[derive(Clone, Debug)]
struct Branch {
    /// Children on side 0 and side 1 of `split_bit`; never `NONE`.
    children: [NodeRef; 2],
    /// Some leaf below this branch, whose key hash gives the bits that the
    /// compressed single-child levels above it follow. Stale while dirty.
    representative_leaf: u32,
    /// Level of this node in the full tree: the first bit where its subtrees differ.
    split_bit: u8,
    /// Bit `s` set: the subtree on side `s` changed since it was last hashed.
    dirty_sides: u8,
}

const BOTH_SIDES_DIRTY: u8 = 0b11;

/// Hash of the subtree on each side of a branch, at level `split_bit + 1`
/// (lifted over any compressed levels). Stale on the branch's dirty sides.
type ChildHashes = [Hash; 2];

/// Changes whose paths are walked side by side before they are applied: the
/// walks' cache misses overlap instead of queueing one after another.
const WARM_GROUP: usize = 16;

/// The authenticated state commitment: a set of `(key, value)` entries and
/// its Merkle root. See the [module documentation](super) for the scheme.
#[derive(Clone)]
pub struct StateTree {
    root: NodeRef,
    root_hash: Hash,
    leaves: Arena<Leaf>,
    leaves_free: Vec<u32>,
    branches: Arena<Branch>,
    /// One entry per branch slot, at the branch's index.
    child_hashes: Arena<ChildHashes>,
    branches_free: Vec<u32>,
    /// Scratch for the sorted, hashed form of a batch (kept to avoid reallocating).
    batch: Vec<(Hash, Option<Hash>)>,
}

impl std::fmt::Debug for StateTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateTree").field("len", &self.len()).field("root", &HexHash(&self.root_hash)).finish()
    }
}

struct HexHash<'a>(&'a Hash);

impl std::fmt::Debug for HexHash<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl Default for StateTree {
    fn default() -> Self {
        Self::new()
    }
}

/// Branches met on the way from the root to a leaf, top first. Split bits
/// strictly increase along a path, so there are at most 256 of them.
struct Path {
    branches: [u32; KEY_BITS],
    len: usize,
}

impl Path {
    fn new() -> Path {
        Path { branches: [0; KEY_BITS], len: 0 }
    }

    fn push(&mut self, branch: usize) {
        assert!(self.len < KEY_BITS, "state tree path deeper than 256");
        self.branches[self.len] = branch as u32;
        self.len += 1;
    }

    fn as_slice(&self) -> &[u32] {
        &self.branches[..self.len]
    }
}

impl StateTree {
    /// An empty tree; its root is [`EMPTY_HASH`].
    pub fn new() -> StateTree {
        StateTree::with_capacity(0)
    }

    /// An empty tree with room for `entries` entries without reallocating.
    pub fn with_capacity(entries: usize) -> StateTree {
        StateTree {
            root: NodeRef::NONE,
            root_hash: EMPTY_HASH,
            leaves: Arena::with_capacity(entries),
            leaves_free: Vec::new(),
            branches: Arena::with_capacity(entries.saturating_sub(1)),
            child_hashes: Arena::with_capacity(entries.saturating_sub(1)),
            branches_free: Vec::new(),
            batch: Vec::new(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.leaves.len() - self.leaves_free.len()
    }

    /// True when the tree holds no entry.
    pub fn is_empty(&self) -> bool {
        self.root == NodeRef::NONE
    }

    /// The Merkle root of the current entries. O(1): [`StateTree::apply`]
    /// leaves the tree fully hashed.
    pub fn root(&self) -> Hash {
        self.root_hash
    }

    /// `SHA-256` of the value stored under `key`, if any.
    pub fn value_hash(&self, key: &[u8]) -> Option<Hash> {
        let key_hash = key_hash(key);
        let leaf = self.find_leaf(&key_hash, &mut Path::new())?;
        let leaf = &self.leaves[leaf];
        (leaf.key_hash == key_hash).then_some(leaf.value_hash)
    }

    /// True when `key` has an entry.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.value_hash(key).is_some()
    }

    /// Applies a batch of changes and re-hashes: `(key, Some(value))` inserts
    /// or updates, `(key, None)` deletes (deleting an absent key does
    /// nothing). When a key appears more than once, the last change wins.
    pub fn apply<K: AsRef<[u8]>, V: AsRef<[u8]>>(&mut self, changes: &[(K, Option<V>)]) {
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        batch.extend(
            changes.iter().map(|(key, value)| (key_hash(key.as_ref()), value.as_ref().map(|v| value_hash(v.as_ref())))),
        );
        self.apply_hashed(&mut batch);
        self.batch = batch;
    }

    /// Like [`StateTree::apply`] with keys and values already hashed
    /// (`(key_hash, Some(value_hash))` or `(key_hash, None)`). Reorders
    /// `changes` (a stable sort by key hash).
    pub fn apply_hashed(&mut self, changes: &mut [(Hash, Option<Hash>)]) {
        // Sorting walks neighbouring paths one after another (cache locality);
        // the sort is stable, so the last change to a key still wins.
        changes.sort_by_key(|change| change.0);
        let mut path = Path::new();
        let mut changed = false;
        let mut groups = changes.chunks(WARM_GROUP).peekable();
        while let Some(group) = groups.next() {
            self.warm_paths(group);
            for (key_hash, value_hash) in group {
                path.len = 0;
                changed |= match value_hash {
                    Some(value_hash) => self.upsert(key_hash, value_hash, &mut path),
                    None => self.remove(key_hash, &mut path),
                };
            }
            if let Some(next) = groups.peek().map(|next| next[0].0) {
                for (key_hash, _) in group {
                    self.settle(key_hash, &next);
                }
            }
        }
        if changed {
            self.root_hash = match self.root.get() {
                Node::None => EMPTY_HASH,
                _ => {
                    let (hash, leaf) = self.rehash(self.root);
                    self.lift(self.root, hash, 0, leaf)
                }
            };
        }
        debug_assert_eq!(self.root == NodeRef::NONE, self.root_hash == EMPTY_HASH);
    }

    /// Builds a proof for `key`: of inclusion when present, of
    /// non-inclusion otherwise. Check it with [`super::verify_proof`].
    pub fn prove(&self, key: &[u8]) -> Proof {
        let key_hash = key_hash(key);
        let mut siblings = Vec::new();
        let mut node = self.root;
        let mut level = 0usize;
        loop {
            match node.get() {
                Node::None => {
                    debug_assert!(siblings.is_empty());
                    return Proof { siblings, leaf: ProofLeaf::Empty };
                }
                Node::Leaf(index) => {
                    let leaf = &self.leaves[index];
                    let proof_leaf = if leaf.key_hash == key_hash {
                        ProofLeaf::Target
                    } else {
                        ProofLeaf::Other { key_hash: leaf.key_hash, value_hash: leaf.value_hash }
                    };
                    debug_assert_eq!(siblings.len(), level);
                    return Proof { siblings, leaf: proof_leaf };
                }
                Node::Branch(index) => {
                    let branch = &self.branches[index];
                    let split = usize::from(branch.split_bit);
                    let prefix = &self.leaves[branch.representative_leaf as usize].key_hash;
                    for skipped in level..split {
                        if bit_at(&key_hash, skipped) != bit_at(prefix, skipped) {
                            // The key leaves the compressed run here: its side is empty.
                            let own = self.own_hash(index);
                            siblings.push(self.lift(node, own, skipped + 1, branch.representative_leaf));
                            return Proof { siblings, leaf: ProofLeaf::Empty };
                        }
                        siblings.push(EMPTY_HASH);
                    }
                    let side = usize::from(bit_at(&key_hash, split));
                    siblings.push(self.child_hashes[index][1 - side]);
                    node = branch.children[side];
                    level = split + 1;
                }
            }
        }
    }

    /// Walks from the root towards `key_hash`, recording branches in `path`,
    /// and returns the leaf reached (whose key may differ), if any.
    fn find_leaf(&self, key_hash: &Hash, path: &mut Path) -> Option<usize> {
        let mut node = self.root;
        loop {
            match node.get() {
                Node::None => return None,
                Node::Leaf(index) => return Some(index),
                Node::Branch(index) => {
                    path.push(index);
                    let branch = &self.branches[index];
                    let side = bit_at(key_hash, usize::from(branch.split_bit));
                    node = branch.children[usize::from(side)];
                }
            }
        }
    }

    /// Walks the paths of `group`'s keys side by side, one level of every path
    /// per round, reading each branch's shape and hashes and the leaf at the
    /// end: the loads of different paths do not depend on one another, so
    /// their cache misses overlap, and the changes applied next find their
    /// nodes in cache. Changes nothing.
    fn warm_paths(&self, group: &[(Hash, Option<Hash>)]) {
        let mut cursors = [NodeRef::NONE; WARM_GROUP];
        for (cursor, _) in cursors.iter_mut().zip(group) {
            *cursor = self.root;
        }
        let mut touched = 0u8;
        loop {
            let mut walking = false;
            for (cursor, (key_hash, _)) in cursors.iter_mut().zip(group) {
                match cursor.get() {
                    Node::Branch(index) => {
                        let branch = &self.branches[index];
                        touched ^= self.child_hashes[index][0][0];
                        *cursor = branch.children[usize::from(bit_at(key_hash, usize::from(branch.split_bit)))];
                        walking = true;
                    }
                    Node::Leaf(index) => {
                        touched ^= self.leaves[index].key_hash[0];
                        *cursor = NodeRef::NONE;
                    }
                    Node::None => {}
                }
            }
            if !walking {
                break;
            }
        }
        std::hint::black_box(touched);
    }

    /// Re-hashes, while its nodes are still in cache, the subtree on
    /// `key_hash`'s path that no later change of the sorted batch (all at or
    /// after `next`) falls in: the first node below the bit where `key_hash`
    /// and `next` part. Its hash is written into its parent and the parent's
    /// side marked clean; a later change that does reach that side (one that
    /// splits the subtree's compressed run) marks it dirty again.
    fn settle(&mut self, key_hash: &Hash, next: &Hash) {
        let Some(parting) = first_difference(key_hash, next) else { return };
        let mut parent = None;
        let mut node = self.root;
        while let Node::Branch(index) = node.get() {
            let branch = &self.branches[index];
            let split = usize::from(branch.split_bit);
            if split > parting {
                break;
            }
            parent = Some(index);
            node = branch.children[usize::from(bit_at(key_hash, split))];
        }
        let Some(parent) = parent else { return };
        if node == NodeRef::NONE {
            return;
        }
        let split = usize::from(self.branches[parent].split_bit);
        let side = bit_at(key_hash, split);
        if self.branches[parent].dirty_sides & (1 << side) == 0 {
            return;
        }
        let (hash, leaf) = self.rehash(node);
        self.child_hashes[parent][usize::from(side)] = self.lift(node, hash, split + 1, leaf);
        let branch = &mut self.branches[parent];
        branch.dirty_sides &= !(1 << side);
        branch.representative_leaf = leaf;
    }

    /// Inserts or updates one entry; returns whether anything changed.
    fn upsert(&mut self, key_hash: &Hash, value_hash: &Hash, path: &mut Path) -> bool {
        let Some(found) = self.find_leaf(key_hash, path) else {
            self.root = self.new_leaf(key_hash, value_hash);
            return true;
        };
        let found_key = self.leaves[found].key_hash;
        let Some(crit_bit) = first_difference(key_hash, &found_key) else {
            let leaf = &mut self.leaves[found];
            if leaf.value_hash == *value_hash {
                return false;
            }
            leaf.value_hash = *value_hash;
            self.mark_dirty(path.as_slice(), key_hash);
            return true;
        };
        // The new branch goes above the first node on the path that splits
        // below `crit_bit` (or above the leaf found). The key agrees with the
        // found leaf on every split bit of the path, so none equals `crit_bit`.
        let position = path
            .as_slice()
            .iter()
            .position(|&b| usize::from(self.branches[b as usize].split_bit) > crit_bit)
            .unwrap_or(path.len);
        debug_assert!(path.as_slice()[..position]
            .iter()
            .all(|&b| usize::from(self.branches[b as usize].split_bit) < crit_bit));
        let displaced = match path.as_slice().get(position) {
            Some(&branch) => NodeRef::branch(branch as usize),
            None => NodeRef::leaf(found),
        };
        let new_leaf = self.new_leaf(key_hash, value_hash);
        let side = usize::from(bit_at(key_hash, crit_bit));
        let mut children = [displaced; 2];
        children[side] = new_leaf;
        let new_branch = self.new_branch(Branch {
            children,
            representative_leaf: new_leaf.0 & !LEAF_FLAG,
            split_bit: crit_bit as u8,
            // The new leaf needs hashing; the displaced subtree, re-lifting
            // from its own level to the new, lower one.
            dirty_sides: BOTH_SIDES_DIRTY,
        });
        let above = &path.as_slice()[..position];
        self.replace_child(above, key_hash, new_branch);
        self.mark_dirty(above, key_hash);
        true
    }

    /// Deletes one entry; returns whether it existed.
    fn remove(&mut self, key_hash: &Hash, path: &mut Path) -> bool {
        let Some(found) = self.find_leaf(key_hash, path) else {
            return false;
        };
        if self.leaves[found].key_hash != *key_hash {
            return false;
        }
        self.leaves_free.push(found as u32);
        let Some((&parent, above)) = path.as_slice().split_last() else {
            self.root = NodeRef::NONE;
            return true;
        };
        // The sibling takes the parent's place, one or more levels higher:
        // the side of `above` that led here is re-hashed and re-lifted.
        let parent_branch = &self.branches[parent as usize];
        let side = usize::from(bit_at(key_hash, usize::from(parent_branch.split_bit)));
        let sibling = parent_branch.children[1 - side];
        self.branches_free.push(parent);
        self.replace_child(above, key_hash, sibling);
        self.mark_dirty(above, key_hash);
        true
    }

    /// Points the child slot that `key_hash` follows from the last branch of
    /// `above` (or the root, when `above` is empty) at `node`.
    fn replace_child(&mut self, above: &[u32], key_hash: &Hash, node: NodeRef) {
        match above.last() {
            None => self.root = node,
            Some(&parent) => {
                let parent = &mut self.branches[parent as usize];
                let side = bit_at(key_hash, usize::from(parent.split_bit));
                parent.children[usize::from(side)] = node;
            }
        }
    }

    /// Marks, on each of `branches`, the side that `key_hash` goes down.
    fn mark_dirty(&mut self, branches: &[u32], key_hash: &Hash) {
        for &branch in branches {
            let branch = &mut self.branches[branch as usize];
            branch.dirty_sides |= 1 << bit_at(key_hash, usize::from(branch.split_bit));
        }
    }

    fn new_leaf(&mut self, key_hash: &Hash, value_hash: &Hash) -> NodeRef {
        let leaf = Leaf { key_hash: *key_hash, value_hash: *value_hash };
        match self.leaves_free.pop() {
            Some(index) => {
                self.leaves[index as usize] = leaf;
                NodeRef::leaf(index as usize)
            }
            None => {
                self.leaves.push(leaf);
                NodeRef::leaf(self.leaves.len() - 1)
            }
        }
    }

    fn new_branch(&mut self, branch: Branch) -> NodeRef {
        match self.branches_free.pop() {
            Some(index) => {
                self.branches[index as usize] = branch;
                NodeRef::branch(index as usize)
            }
            None => {
                self.branches.push(branch);
                self.child_hashes.push([EMPTY_HASH; 2]);
                NodeRef::branch(self.branches.len() - 1)
            }
        }
    }

    /// Branch `index`'s hash at its own level (valid when no side is dirty).
    fn own_hash(&self, index: usize) -> Hash {
        debug_assert_eq!(self.branches[index].dirty_sides, 0);
        let [left, right] = &self.child_hashes[index];
        node_hash(left, right)
    }

    /// Re-hashes the dirty sides under `node` (whose parent's side is dirty)
    /// and returns its hash at its own level with some leaf below it (whose
    /// key hash gives the bits its parent lifts it over). Recursion depth is
    /// at most 256 (split bits increase down the tree).
    fn rehash(&mut self, node: NodeRef) -> (Hash, u32) {
        match node.get() {
            Node::None => (EMPTY_HASH, 0),
            Node::Leaf(index) => {
                let leaf = &self.leaves[index];
                (leaf_hash(&leaf.key_hash, &leaf.value_hash), index as u32)
            }
            Node::Branch(index) => {
                let Branch { children, representative_leaf, split_bit, dirty_sides } = self.branches[index];
                if dirty_sides == 0 {
                    return (self.own_hash(index), representative_leaf);
                }
                debug_assert!(children[0] != children[1]);
                // A leaf reached through a dirty side is in cache, unlike
                // whatever leaf the branch named before.
                let mut representative = representative_leaf;
                let child_level = usize::from(split_bit) + 1;
                for (side, child) in children.into_iter().enumerate() {
                    if dirty_sides & (1 << side) != 0 {
                        let (hash, leaf) = self.rehash(child);
                        self.child_hashes[index][side] = self.lift(child, hash, child_level, leaf);
                        representative = leaf;
                    }
                }
                let branch = &mut self.branches[index];
                branch.representative_leaf = representative;
                branch.dirty_sides = 0;
                (self.own_hash(index), representative)
            }
        }
    }

    /// The hash, at `level`, of the subtree whose only non-empty descendant
    /// at a deeper level is `node` with own-level hash `hash`; `leaf` is any
    /// leaf below `node`. A leaf's hash is the same at every level it may sit
    /// at; a branch is wrapped in one `node_hash(·, EMPTY)` or
    /// `node_hash(EMPTY, ·)` per skipped level, on the side its keys take.
    fn lift(&self, node: NodeRef, hash: Hash, level: usize, leaf: u32) -> Hash {
        let Node::Branch(index) = node.get() else {
            return hash;
        };
        let split = usize::from(self.branches[index].split_bit);
        debug_assert!(level <= split);
        if level >= split {
            return hash;
        }
        let prefix = &self.leaves[leaf as usize].key_hash;
        (level..split).rev().fold(hash, |hash, skipped| node_hash_by_side(bit_at(prefix, skipped), &hash, &EMPTY_HASH))
    }

    /// Recomputes everything from scratch and checks the structural
    /// invariants (split bits increase, leaves sit on their key's side,
    /// cached hashes, representatives and the root are right). For tests and
    /// audits: O(n × deleted slots).
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut count = 0usize;
        let hash = match self.root.get() {
            Node::None => EMPTY_HASH,
            _ => {
                let (hash, key) = self.audit(self.root, 0, &mut count)?;
                self.lift_by_key(self.root, hash, 0, &key)
            }
        };
        if hash != self.root_hash {
            return Err("cached root differs from a full recomputation".into());
        }
        if count != self.len() {
            return Err(format!("{count} leaves reachable, len() says {}", self.len()));
        }
        Ok(())
    }

    /// Returns (own-level hash, key hash of some leaf below).
    fn audit(&self, node: NodeRef, level: usize, count: &mut usize) -> Result<(Hash, Hash), String> {
        match node.get() {
            Node::None => Err("empty child".into()),
            Node::Leaf(index) => {
                *count += 1;
                let leaf = &self.leaves[index];
                Ok((leaf_hash(&leaf.key_hash, &leaf.value_hash), leaf.key_hash))
            }
            Node::Branch(index) => {
                let branch = &self.branches[index];
                let split = usize::from(branch.split_bit);
                if branch.dirty_sides != 0 || split < level {
                    return Err(format!("dirty or misplaced branch at level {level}"));
                }
                let mut keys = [EMPTY_HASH; 2];
                for (side, child) in branch.children.into_iter().enumerate() {
                    let (hash, key) = self.audit(child, split + 1, count)?;
                    if usize::from(bit_at(&key, split)) != side {
                        return Err(format!("leaf on the wrong side of bit {split}"));
                    }
                    if self.lift_by_key(child, hash, split + 1, &key) != self.child_hashes[index][side] {
                        return Err(format!("stale child hash below bit {split}"));
                    }
                    keys[side] = key;
                }
                if first_difference(&keys[0], &keys[1]) != Some(split) {
                    return Err(format!("subtrees do not first differ at bit {split}"));
                }
                if self.leaves_free.contains(&branch.representative_leaf) {
                    return Err(format!("representative leaf of the branch at {split} was deleted"));
                }
                let prefix = &self.leaves[branch.representative_leaf as usize].key_hash;
                if first_difference(prefix, &keys[0]).is_some_and(|bit| bit < split) {
                    return Err(format!("representative leaf outside the branch at {split}"));
                }
                Ok((self.own_hash(index), keys[0]))
            }
        }
    }

    /// [`StateTree::lift`] with the prefix given as a key hash (audits do not
    /// trust the cached representatives).
    fn lift_by_key(&self, node: NodeRef, hash: Hash, level: usize, key: &Hash) -> Hash {
        let Node::Branch(index) = node.get() else {
            return hash;
        };
        let split = usize::from(self.branches[index].split_bit);
        (level..split).rev().fold(hash, |hash, skipped| node_hash_by_side(bit_at(key, skipped), &hash, &EMPTY_HASH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u32) -> (Vec<u8>, Option<Vec<u8>>) {
        (i.to_be_bytes().to_vec(), Some(format!("value-{i}").into_bytes()))
    }

    #[test]
    fn inserts_updates_and_deletes_keep_invariants() {
        let mut tree = StateTree::new();
        let inserts: Vec<_> = (0..500).map(entry).collect();
        tree.apply(&inserts);
        tree.check_invariants().unwrap();
        assert_eq!(tree.len(), 500);

        let updates: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            (0..500).step_by(3).map(|i: u32| (i.to_be_bytes().to_vec(), Some(b"new".to_vec()))).collect();
        tree.apply(&updates);
        tree.check_invariants().unwrap();
        assert_eq!(tree.len(), 500);

        let deletes: Vec<(Vec<u8>, Option<Vec<u8>>)> =
            (0..500).step_by(2).map(|i: u32| (i.to_be_bytes().to_vec(), None)).collect();
        tree.apply(&deletes);
        tree.check_invariants().unwrap();
        assert_eq!(tree.len(), 250);
        assert!(!tree.contains(&0u32.to_be_bytes()));
        assert!(tree.contains(&1u32.to_be_bytes()));

        let all: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..500).map(|i: u32| (i.to_be_bytes().to_vec(), None)).collect();
        tree.apply(&all);
        tree.check_invariants().unwrap();
        assert!(tree.is_empty());
        assert_eq!(tree.root(), EMPTY_HASH);
    }

    /// Batches of many groups, with deletes and repeated keys, end in the
    /// tree that building the final set at once gives.
    #[test]
    fn large_mixed_batches_match_a_tree_built_from_the_final_set() {
        let mut tree = StateTree::new();
        let mut model = std::collections::BTreeMap::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..24u64 {
            let mut changes: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
            for _ in 0..(100 + 97 * round) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let key = ((state % 3_000) as u32).to_be_bytes().to_vec();
                let value = (state >> 61 > 1).then(|| format!("{round}-{state}").into_bytes());
                match &value {
                    Some(value) => model.insert(key.clone(), value.clone()),
                    None => model.remove(&key),
                };
                changes.push((key, value));
            }
            tree.apply(&changes);
            tree.check_invariants().unwrap();
            let mut fresh = StateTree::new();
            fresh.apply(&model.iter().map(|(k, v)| (k, Some(v))).collect::<Vec<_>>());
            assert_eq!(tree.root(), fresh.root(), "round {round}");
            assert_eq!(tree.len(), model.len());
        }
    }

    #[test]
    fn freed_slots_are_reused() {
        let mut tree = StateTree::new();
        tree.apply(&(0..100).map(entry).collect::<Vec<_>>());
        let (leaves, branches) = (tree.leaves.len(), tree.branches.len());
        tree.apply(&(0..50).map(|i: u32| (i.to_be_bytes(), None::<Vec<u8>>)).collect::<Vec<_>>());
        tree.apply(&(1000..1050).map(entry).collect::<Vec<_>>());
        tree.check_invariants().unwrap();
        assert_eq!((tree.leaves.len(), tree.branches.len()), (leaves, branches));
    }
}
