//! From a signed envelope to an authenticated [`Transaction`]: parse, check the chain,
//! check the signature, and tell the account from the agent that signed for it.
//!
//! What this step proves is only *who signed what*. Whether an agent is authorised, whether
//! the nonce is the signer's next one and whether an agent may sign each action are the
//! protocol's checks, made against state.

use novation_types::{Address, Transaction};

use crate::ed25519;
use crate::eip712;
use crate::envelope::{SignedTransaction, TxPayload, TxSignature};
use crate::error::TxError;
use crate::hex;

/// A signature with its hex decoded: cheap to check for shape before any curve arithmetic.
enum DecodedSignature {
    Eip712([u8; 65]),
    Ed25519 { public_key: [u8; 32], signature: [u8; 64] },
}

impl DecodedSignature {
    fn decode(signature: &TxSignature) -> Result<Self, TxError> {
        Ok(match signature {
            TxSignature::Eip712 { signature } => DecodedSignature::Eip712(hex::decode_fixed(signature, "signature")?),
            TxSignature::Ed25519 { public_key, signature } => DecodedSignature::Ed25519 {
                public_key: hex::decode_fixed(public_key, "public_key")?,
                signature: hex::decode_fixed(signature, "signature")?,
            },
        })
    }

    fn signer(&self, signing_hash: &[u8; 32]) -> Result<Address, TxError> {
        match self {
            DecodedSignature::Eip712(signature) => eip712::recover_signer(signing_hash, signature),
            DecodedSignature::Ed25519 { public_key, signature } => {
                ed25519::verify_signer(signing_hash, public_key, signature)
            }
        }
    }
}

/// The address that made `signature` over `signing_hash` (see [`crate::signing_hash`]), or
/// why there is none. This is the whole cryptographic cost of [`verify`], for benchmarks and
/// for checking signatures on several threads before transactions are applied in order.
pub fn verify_signature_only(signing_hash: &[u8; 32], signature: &TxSignature) -> Result<Address, TxError> {
    DecodedSignature::decode(signature)?.signer(signing_hash)
}

/// Authenticates a signed envelope for chain `chain_id`.
///
/// The payload text is parsed (at most [`crate::PAYLOAD_MAX_BYTES`]), its `chain_id` must be
/// this chain's, and the signature must verify over [`crate::signing_hash`] of the exact
/// payload bytes. If the signer is the payload's `account`, the transaction is the account's
/// own (`agent: None`); otherwise it is signed by an agent (`agent: Some(signer)`), which the
/// protocol accepts only if `account` has authorised that agent. Never panics.
pub fn verify(chain_id: u64, tx: &SignedTransaction) -> Result<Transaction, TxError> {
    verify_hashed(chain_id, tx).map(|(transaction, _)| transaction)
}

/// [`verify`], also returning the [`crate::signing_hash`] it checked the signature over, so a
/// caller that needs it (a node's transaction id) does not hash the payload a second time.
pub fn verify_hashed(chain_id: u64, tx: &SignedTransaction) -> Result<(Transaction, [u8; 32]), TxError> {
    let signature = DecodedSignature::decode(&tx.signature)?;
    let payload = TxPayload::from_json(&tx.payload)?;
    if payload.chain_id != chain_id {
        return Err(TxError::WrongChain { expected: chain_id, found: payload.chain_id });
    }
    let hash = eip712::signing_hash(chain_id, tx.payload.as_bytes(), payload.account, payload.nonce);
    let signer = signature.signer(&hash)?;
    let agent = (signer != payload.account).then_some(signer);
    Ok((Transaction { sender: payload.account, agent, nonce: payload.nonce, actions: payload.actions }, hash))
}

/// Parses an envelope from its JSON text (at most [`crate::ENVELOPE_MAX_BYTES`]) and
/// authenticates it with [`verify`].
pub fn verify_json(chain_id: u64, envelope: &[u8]) -> Result<Transaction, TxError> {
    verify(chain_id, &SignedTransaction::from_json(envelope)?)
}
