//! Merkle proofs of inclusion and non-inclusion, their byte encoding, and
//! [`verify_proof`], which needs nothing but SHA-256 and this format.

use std::fmt;

use super::hash::{
    bit_at, key_hash, leaf_hash, node_hash_by_side, share_prefix, value_hash, Hash, EMPTY_HASH, KEY_BITS,
};

/// What the proven path ends in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofLeaf {
    /// The path ends in the leaf of the proven key itself (inclusion). The
    /// verifier rebuilds the leaf hash from the key and the claimed value.
    Target,
    /// The path ends in an empty subtree: the key is absent.
    Empty,
    /// The path ends in the leaf of another key whose hash shares the path's
    /// prefix: the key is absent, because a leaf sits alone in its subtree.
    Other {
        /// `SHA-256` of the other leaf's key.
        key_hash: Hash,
        /// `SHA-256` of the other leaf's value.
        value_hash: Hash,
    },
}

/// A Merkle proof for one key against one root.
///
/// `siblings[i]` is the hash of the sibling, at level `i + 1`, of the node on
/// the key's path; the path's end node sits at level `siblings.len()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// Sibling hashes from the top of the tree (level 1) down.
    pub siblings: Vec<Hash>,
    /// What the path ends in.
    pub leaf: ProofLeaf,
}

/// Why a byte string is not an encoded [`Proof`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProofDecodeError {
    /// The input ended before the proof did.
    Truncated,
    /// The leaf tag is not 0, 1 or 2.
    UnknownLeafTag(u8),
    /// More than 256 siblings.
    TooDeep(usize),
    /// Bytes left over after the proof.
    TrailingBytes(usize),
}

impl ProofDecodeError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated => "proof_truncated",
            Self::UnknownLeafTag(_) => "proof_unknown_leaf_tag",
            Self::TooDeep(_) => "proof_too_deep",
            Self::TrailingBytes(_) => "proof_trailing_bytes",
        }
    }
}

impl fmt::Display for ProofDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => write!(f, "proof bytes end early"),
            Self::UnknownLeafTag(tag) => write!(f, "unknown proof leaf tag {tag}"),
            Self::TooDeep(depth) => write!(f, "proof has {depth} siblings, at most 256 allowed"),
            Self::TrailingBytes(n) => write!(f, "{n} bytes after the end of the proof"),
        }
    }
}

impl std::error::Error for ProofDecodeError {}

const TAG_TARGET: u8 = 0;
const TAG_EMPTY: u8 = 1;
const TAG_OTHER: u8 = 2;

impl Proof {
    /// Number of levels between the root and the path's end node.
    pub fn depth(&self) -> usize {
        self.siblings.len()
    }

    /// Encodes the proof:
    /// `tag u8 (0 target, 1 empty, 2 other) || [key_hash 32 || value_hash 32 if tag 2]
    /// || depth u16 big-endian || depth × 32-byte siblings (level 1 first)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 64 + 2 + 32 * self.siblings.len());
        match &self.leaf {
            ProofLeaf::Target => out.push(TAG_TARGET),
            ProofLeaf::Empty => out.push(TAG_EMPTY),
            ProofLeaf::Other { key_hash, value_hash } => {
                out.push(TAG_OTHER);
                out.extend_from_slice(key_hash);
                out.extend_from_slice(value_hash);
            }
        }
        // A proof built by the tree has at most 256 siblings, so this fits.
        let depth = u16::try_from(self.siblings.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&depth.to_be_bytes());
        for sibling in &self.siblings {
            out.extend_from_slice(sibling);
        }
        out
    }

    /// Decodes bytes written by [`Proof::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof, ProofDecodeError> {
        let mut reader = Reader { bytes };
        let leaf = match reader.take_u8()? {
            TAG_TARGET => ProofLeaf::Target,
            TAG_EMPTY => ProofLeaf::Empty,
            TAG_OTHER => ProofLeaf::Other { key_hash: reader.take_hash()?, value_hash: reader.take_hash()? },
            tag => return Err(ProofDecodeError::UnknownLeafTag(tag)),
        };
        let depth = usize::from(u16::from_be_bytes([reader.take_u8()?, reader.take_u8()?]));
        if depth > KEY_BITS {
            return Err(ProofDecodeError::TooDeep(depth));
        }
        let mut siblings = Vec::with_capacity(depth);
        for _ in 0..depth {
            siblings.push(reader.take_hash()?);
        }
        if !reader.bytes.is_empty() {
            return Err(ProofDecodeError::TrailingBytes(reader.bytes.len()));
        }
        Ok(Proof { siblings, leaf })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take_u8(&mut self) -> Result<u8, ProofDecodeError> {
        let (&first, rest) = self.bytes.split_first().ok_or(ProofDecodeError::Truncated)?;
        self.bytes = rest;
        Ok(first)
    }

    fn take_hash(&mut self) -> Result<Hash, ProofDecodeError> {
        let (head, rest) = self.bytes.split_first_chunk::<32>().ok_or(ProofDecodeError::Truncated)?;
        self.bytes = rest;
        Ok(*head)
    }
}

/// Checks `proof` for `key` against `root`.
///
/// With `value = Some(v)` this checks that the tree committed to by `root`
/// maps `key` to exactly `v`; with `value = None` that `key` is absent.
/// Returns `false` for any mismatch or malformed proof; never panics.
pub fn verify_proof(root: &Hash, key: &[u8], value: Option<&[u8]>, proof: &Proof) -> bool {
    let depth = proof.siblings.len();
    if depth > KEY_BITS {
        return false;
    }
    let key_hash = key_hash(key);
    let mut hash = match (value, &proof.leaf) {
        (Some(value), ProofLeaf::Target) => leaf_hash(&key_hash, &value_hash(value)),
        (None, ProofLeaf::Empty) => EMPTY_HASH,
        (None, ProofLeaf::Other { key_hash: other_key_hash, value_hash: other_value_hash }) => {
            if *other_key_hash == key_hash || !share_prefix(other_key_hash, &key_hash, depth) {
                return false;
            }
            leaf_hash(other_key_hash, other_value_hash)
        }
        _ => return false,
    };
    for (level, sibling) in proof.siblings.iter().enumerate().rev() {
        hash = node_hash_by_side(bit_at(&key_hash, level), &hash, sibling);
    }
    hash == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let proofs = [
            Proof { siblings: vec![], leaf: ProofLeaf::Empty },
            Proof { siblings: vec![[7; 32], EMPTY_HASH], leaf: ProofLeaf::Target },
            Proof { siblings: vec![[1; 32]; 3], leaf: ProofLeaf::Other { key_hash: [2; 32], value_hash: [3; 32] } },
        ];
        for proof in proofs {
            assert_eq!(Proof::from_bytes(&proof.to_bytes()), Ok(proof));
        }
    }

    #[test]
    fn malformed_bytes_are_typed_errors() {
        assert_eq!(Proof::from_bytes(&[]), Err(ProofDecodeError::Truncated));
        assert_eq!(Proof::from_bytes(&[9, 0, 0]), Err(ProofDecodeError::UnknownLeafTag(9)));
        assert_eq!(Proof::from_bytes(&[1, 0x01, 0x01]), Err(ProofDecodeError::TooDeep(257)));
        assert_eq!(Proof::from_bytes(&[1, 0, 1, 5]), Err(ProofDecodeError::Truncated));
        assert_eq!(Proof::from_bytes(&[1, 0, 0, 5]), Err(ProofDecodeError::TrailingBytes(1)));
    }

    #[test]
    fn the_empty_tree_proves_every_key_absent() {
        let proof = Proof { siblings: vec![], leaf: ProofLeaf::Empty };
        assert!(verify_proof(&EMPTY_HASH, b"anything", None, &proof));
        assert!(!verify_proof(&EMPTY_HASH, b"anything", Some(b"v"), &proof));
    }

    #[test]
    fn too_deep_proofs_are_rejected() {
        let proof = Proof { siblings: vec![EMPTY_HASH; KEY_BITS + 1], leaf: ProofLeaf::Empty };
        assert!(!verify_proof(&EMPTY_HASH, b"k", None, &proof));
    }
}
