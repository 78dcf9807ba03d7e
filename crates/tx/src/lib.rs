//! Signed transactions of novation: the wire envelope, its two signature schemes, and the
//! check that turns an envelope into the authenticated [`novation_types::Transaction`] the
//! protocol applies — or a [`TxError`] with a stable code.
//!
//! ```text
//!  client                                   node
//!  ──────                                   ────
//!  TxPayload ──serde_json──▶ payload text ─┐
//!                                          ├─▶ SignedTransaction ──▶ verify(chain_id)
//!  signing_hash(chain, text, account, nonce)                           │ size ≤ 64 KiB, padding, parse,
//!        │                                 │                           │ chain id, signature
//!        ▼                                 │                           ▼
//!  Eip712Signer (secp256k1)  ─ signature ──┘            Transaction { sender: account,
//!  Ed25519Signer                                          agent: signer ≠ account ?, nonce, actions }
//! ```
//!
//! - The payload travels as JSON *text* and is signed byte for byte: the node hashes what it
//!   received and never re-serialises before checking.
//! - Both schemes sign the same 32-byte EIP-712 hash ([`signing_hash`]): domain
//!   `{ name: "novation", version: "1", chainId }`, message
//!   `NovationTransaction(address account,uint64 nonce,bytes32 payloadHash)`.
//! - EIP-712 signatures are recovered with libsecp256k1; high `s` and a `v` outside
//!   {27, 28, 0, 1} are refused. ed25519 signatures are checked with `verify_strict`; the
//!   key's address is the last 20 bytes of `keccak256("novation-ed25519" || public_key)`.
//! - A signer other than the payload's account is reported as an agent; the protocol decides
//!   whether it is authorised. Nonces are per signer.
//!
//! - A third kind of envelope carries a Hyperliquid exchange request as its payload, with its
//!   own signature inside ([`TxSignature::Hyperliquid`], module [`hyperliquid`]), so
//!   Hyperliquid's clients trade through the same mempool, blocks and protocol.
//!
//! See `docs/transactions.md` for the user-facing description.
#![deny(missing_docs)]

mod compact;
mod ed25519;
mod eip712;
mod envelope;
mod error;
mod hex;
pub mod hyperliquid;
mod strict;
mod verify;

pub use ed25519::{ed25519_address, Ed25519Signer, ED25519_ADDRESS_PREFIX};
pub use eip712::{
    domain_separator, primary_type_hash, signing_hash, Eip712Signer, EIP712_DOMAIN_NAME, EIP712_DOMAIN_VERSION,
    EIP712_PRIMARY_TYPE,
};
pub use envelope::{SignedTransaction, TxPayload, TxSignature, ENVELOPE_MAX_BYTES, PAYLOAD_MAX_BYTES};
pub use error::{TxError, ERROR_DETAIL_MAX_BYTES};
pub use strict::PAYLOAD_WHITESPACE_MARGIN_BYTES;
pub use verify::{verify, verify_for_network, verify_json, verify_signature_only, verify_with_hash};
