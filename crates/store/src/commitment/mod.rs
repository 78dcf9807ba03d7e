//! The authenticated state commitment: a sparse Merkle tree over
//! `(key bytes, value bytes)` entries, with proofs of inclusion and
//! non-inclusion that anyone can check with SHA-256 alone.
//!
//! # The scheme (normative: third-party verifiers implement exactly this)
//!
//! Let `H` be SHA-256 and `||` concatenation.
//!
//! * An entry `(key, value)` sits at the position given by the 256 bits of
//!   `k = H(key)`, read most significant bit of byte 0 first; bit `i` chooses
//!   the left (0) or right (1) child at level `i` (the root is level 0).
//! * `leaf(k, value) = H(0x00 || k || H(value))` (65-byte preimage).
//! * `node(left, right) = H(0x01 || left || right)` (65-byte preimage).
//! * `EMPTY` = 32 zero bytes: the hash of a subtree holding no entry.
//!
//! The hash `T(S, i)` of a subtree at level `i` holding the set of entries
//! `S` (whose key hashes share their first `i` bits) is:
//!
//! * `EMPTY` if `S` is empty;
//! * `leaf(k, value)` if `S = {(key, value)}` holds exactly one entry, at
//!   whatever level (a lone entry is hoisted to the highest subtree it is
//!   alone in; this is the "path compression");
//! * otherwise `node(T(S₀, i + 1), T(S₁, i + 1))`, where `S_b` holds the
//!   entries whose bit `i` is `b`.
//!
//! The root is `T(all entries, 0)`; the empty tree's root is `EMPTY`. The
//! root depends on the set of entries only, never on the order in which
//! they were written.
//!
//! A [`Proof`] for a key lists the sibling hashes along the key's path, top
//! first, down to a node that is either the key's own leaf (inclusion),
//! `EMPTY`, or the leaf of another key hash sharing the path's prefix (both
//! non-inclusion). [`verify_proof`] folds the siblings back up and compares
//! with the root; [`Proof::to_bytes`] documents the wire encoding.
//!
//! # Keys
//!
//! The tree is generic over bytes. Callers choose a key encoding that is
//! injective across all state kinds (e.g. a one-byte table tag followed by
//! fixed-width big-endian ids); see the crate documentation.

mod arena;
pub mod hash;
mod proof;
mod tree;

pub use hash::{Hash, EMPTY_HASH};
pub use proof::{verify_proof, Proof, ProofDecodeError, ProofLeaf};
pub use tree::StateTree;
