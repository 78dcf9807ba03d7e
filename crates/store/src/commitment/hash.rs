//! The hashing scheme of the state commitment, in one place.
//!
//! Everything a third party needs to recompute a root or check a proof is
//! here: SHA-256, two one-byte domain tags and one constant. See the
//! [module documentation](super) for the tree these functions build.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 digest (or [`EMPTY_HASH`]).
pub type Hash = [u8; 32];

/// Number of bits in a key hash, hence the depth of the full sparse tree.
pub const KEY_BITS: usize = 256;

/// The hash of an empty subtree (and the root of an empty tree): 32 zero bytes.
///
/// No SHA-256 preimage of it is known, so it cannot be confused with a leaf or
/// an internal node.
pub const EMPTY_HASH: Hash = [0u8; 32];

/// Domain tag prefixed to a leaf's preimage.
pub const LEAF_TAG: u8 = 0x00;

/// Domain tag prefixed to an internal node's preimage.
pub const NODE_TAG: u8 = 0x01;

/// `SHA-256(key)`: the position of `key` in the tree.
pub fn key_hash(key: &[u8]) -> Hash {
    Sha256::digest(key).into()
}

/// `SHA-256(value)`: what a leaf commits to about its value.
pub fn value_hash(value: &[u8]) -> Hash {
    Sha256::digest(value).into()
}

/// `SHA-256(0x00 || key_hash || value_hash)`: the hash of a leaf.
pub fn leaf_hash(key_hash: &Hash, value_hash: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_TAG]);
    hasher.update(key_hash);
    hasher.update(value_hash);
    hasher.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the hash of an internal node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([NODE_TAG]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Hash of the node at some level whose child on side `bit` hashes to
/// `child` and whose other child hashes to `sibling`.
pub(crate) fn node_hash_by_side(bit: u8, child: &Hash, sibling: &Hash) -> Hash {
    if bit == 0 {
        node_hash(child, sibling)
    } else {
        node_hash(sibling, child)
    }
}

/// Bit `index` of a key hash, most significant bit of byte 0 first:
/// 0 means "left", 1 means "right" at tree level `index`.
///
/// # Panics
///
/// Never for `index < KEY_BITS`; callers keep the index in range.
pub fn bit_at(key_hash: &Hash, index: usize) -> u8 {
    assert!(index < KEY_BITS, "bit index {index} out of range");
    (key_hash[index / 8] >> (7 - (index % 8))) & 1
}

/// The first bit index at which two key hashes differ, or `None` if equal.
pub(crate) fn first_difference(a: &Hash, b: &Hash) -> Option<usize> {
    a.iter().zip(b.iter()).position(|(x, y)| x != y).map(|byte| byte * 8 + (a[byte] ^ b[byte]).leading_zeros() as usize)
}

/// True when `a` and `b` agree on their first `bits` bits.
pub(crate) fn share_prefix(a: &Hash, b: &Hash, bits: usize) -> bool {
    match first_difference(a, b) {
        None => true,
        Some(index) => index >= bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_read_most_significant_first() {
        let mut hash = EMPTY_HASH;
        hash[0] = 0b1000_0001;
        hash[31] = 0b0000_0001;
        assert_eq!(bit_at(&hash, 0), 1);
        assert_eq!(bit_at(&hash, 1), 0);
        assert_eq!(bit_at(&hash, 7), 1);
        assert_eq!(bit_at(&hash, 255), 1);
        assert_eq!(bit_at(&hash, 254), 0);
    }

    #[test]
    fn first_difference_finds_the_crit_bit() {
        let a = EMPTY_HASH;
        let mut b = EMPTY_HASH;
        assert_eq!(first_difference(&a, &b), None);
        b[2] = 0b0010_0000;
        assert_eq!(first_difference(&a, &b), Some(18));
        assert!(share_prefix(&a, &b, 18));
        assert!(!share_prefix(&a, &b, 19));
    }

    #[test]
    fn leaf_and_node_preimages_are_domain_separated() {
        let x = key_hash(b"x");
        assert_ne!(leaf_hash(&x, &x), node_hash(&x, &x));
    }
}
