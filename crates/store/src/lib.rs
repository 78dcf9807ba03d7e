//! Durable, authenticated storage for novation.
//!
//! This crate sits above `protocol` and below `node` (DESIGN.md §1) and knows
//! nothing of either: it stores and commits to *bytes*. The node encodes
//! blocks, headers, results and state entries; this crate makes them durable
//! and authenticated.
//!
//! ```text
//!             node: execute block h with protocol
//!                  |                          |
//!      state changes (key, Option<value>)    encoded header, block, results
//!                  v                          v
//!   commitment::StateTree::apply      Store::commit_block(h, ...)
//!                  |                          |   one redb write transaction,
//!        root() -> [u8; 32]  --------------> |   fsynced before it returns
//!        (goes in header h+1 or h's results) v
//!        prove(key) -> Proof            blocks.redb  (headers, blocks,
//!                  |                                  results, meta)
//!                  v                          |
//!   verify_proof(root, key, value, proof)    blocks_from(h) -> replay after restart
//!   (clients, light nodes: SHA-256 only)
//! ```
//!
//! Two independent parts:
//!
//! * [`commitment`]: an in-memory sparse Merkle tree over `(key, value)`
//!   entries with batched incremental updates, proofs of inclusion and
//!   non-inclusion, and a stand-alone [`commitment::verify_proof`]. The
//!   exact hashing scheme is documented there.
//! * [`Store`]: the block log on [redb](https://www.redb.org). Tables are
//!   listed with their key and value types in [`tables`].
//!
//! # Why redb
//!
//! redb is an embedded key-value store written in pure Rust: ACID
//! transactions, crash safety from copy-on-write B-trees (a commit writes
//! new pages, then atomically flips which root is live, so a crash at any
//! instant leaves the previous or the new commit, never a mix), a single
//! file, and no C toolchain or system library to install — which keeps
//! `novation devnet` a single self-contained binary.
//!
//! # Durability contract
//!
//! [`Store::commit_block`] returns only after the block is on disk
//! (`Durability::Immediate`, two-phase commit). A block whose commit returned
//! `Ok` survives any later crash or `SIGKILL`; a block whose commit did not
//! return is either wholly present or wholly absent after restart. Heights
//! are contiguous. Every stored header, block and result record carries an
//! 8-byte check bound to its table and height, so corrupted bytes surface as
//! [`StoreError::Corrupted`], never as wrong data.
//!
//! # Example
//!
//! ```
//! use novation_store::commitment::{verify_proof, StateTree};
//! use novation_store::Store;
//!
//! let mut tree = StateTree::new();
//! tree.apply(&[(b"key-a".to_vec(), Some(b"1".to_vec())), (b"key-b".to_vec(), None)]);
//! let root = tree.root();
//! assert!(verify_proof(&root, b"key-a", Some(b"1"), &tree.prove(b"key-a")));
//! assert!(verify_proof(&root, b"key-b", None, &tree.prove(b"key-b")));
//!
//! let dir = std::env::temp_dir().join(format!("novation-store-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let store = Store::open(dir.join("chain.redb"))?;
//! store.commit_block_with_meta(1, b"header", b"block", b"results", &[("state_root", &root)], true)?;
//! assert_eq!(store.latest_height()?, Some(1));
//! assert_eq!(store.block(1)?.as_deref(), Some(&b"block"[..]));
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Restart
//!
//! The Merkle tree lives in memory only. After a restart the node replays
//! [`Store::blocks_from`] into `protocol` (or first loads its newest valid
//! snapshot, [`Store::snapshot`], and replays only the blocks after it), then rebuilds the tree from the resulting protocol state
//! with one [`commitment::StateTree::apply`] of every entry, and checks the
//! root against the latest committed one.

#![deny(missing_docs)]

pub mod commitment;
mod error;
pub mod parts;
mod store;
pub mod tables;

pub use error::StoreError;
pub use store::{BlocksFrom, HistoryRows, Store, StoredBlock};
