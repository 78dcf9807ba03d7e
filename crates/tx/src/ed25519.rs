//! ed25519 for native clients: strict verification of a signature over the EIP-712 signing
//! hash, the address rule, and a client-side signer.
//!
//! An ed25519 key signs the same 32 bytes an Ethereum wallet would sign ([`crate::signing_hash`]),
//! so both schemes bind the chain, the account, the nonce and the exact payload text. Its
//! address is the last 20 bytes of `keccak256("novation-ed25519" || public_key)`: the prefix
//! keeps ed25519 addresses apart from secp256k1 ones.
//!
//! Verification is `verify_strict` (no small-order keys or `R`, canonical `s` and `R`) and the
//! public key must be the canonical encoding of its point, so one key has one address. Batch
//! verification is deliberately absent: its randomised equation accepts some signatures that
//! the strict check refuses (with torsion in `R`), and nodes must never disagree on validity.

use std::fmt;

use alloy_primitives::keccak256;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use novation_types::Address;

use crate::envelope::{SignedTransaction, TxPayload, TxSignature};
use crate::error::TxError;
use crate::hex;

/// The prefix hashed before an ed25519 public key to form its address.
pub const ED25519_ADDRESS_PREFIX: &[u8] = b"novation-ed25519";

/// The address of an ed25519 public key: the last 20 bytes of
/// `keccak256(ED25519_ADDRESS_PREFIX || public_key)`.
pub fn ed25519_address(public_key: &[u8; 32]) -> Address {
    let mut preimage = [0u8; ED25519_ADDRESS_PREFIX.len() + 32];
    preimage[..ED25519_ADDRESS_PREFIX.len()].copy_from_slice(ED25519_ADDRESS_PREFIX);
    preimage[ED25519_ADDRESS_PREFIX.len()..].copy_from_slice(public_key);
    let digest = keccak256(preimage);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[12..]);
    Address(address)
}

/// Whether the encoded `y` coordinate (bit 255, the sign of `x`, masked off) is below the
/// field prime 2^255 - 19. Encodings of `y + p` decode to the same point as `y`.
fn y_is_canonical(public_key: &[u8; 32]) -> bool {
    let high_bytes_all_ones = public_key[1..31].iter().all(|&byte| byte == 0xff) && public_key[31] & 0x7f == 0x7f;
    !(high_bytes_all_ones && public_key[0] >= 0xed)
}

/// Checks `signature` of `hash` under `public_key` strictly and returns the key's address.
pub(crate) fn verify_signer(hash: &[u8; 32], public_key: &[u8; 32], signature: &[u8; 64]) -> Result<Address, TxError> {
    // The only non-canonical encodings that y_is_canonical lets through are x = 0 with the
    // sign bit set, i.e. y = ±1: small-order points, which is_weak refuses.
    if !y_is_canonical(public_key) {
        return Err(TxError::BadPublicKey);
    }
    let verifying_key = VerifyingKey::from_bytes(public_key).map_err(|_| TxError::BadPublicKey)?;
    if verifying_key.is_weak() {
        return Err(TxError::BadPublicKey);
    }
    verifying_key.verify_strict(hash, &Signature::from_bytes(signature)).map_err(|_| TxError::BadSignature)?;
    Ok(ed25519_address(public_key))
}

/// An ed25519 key that signs transactions (client side).
#[derive(Clone)]
pub struct Ed25519Signer {
    signing_key: SigningKey,
    address: Address,
}

impl Ed25519Signer {
    /// The key whose RFC 8032 secret key is `seed` (any 32 bytes are a valid key; feed it
    /// fresh OS randomness for a new one).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing_key = SigningKey::from_bytes(&seed);
        let address = ed25519_address(signing_key.verifying_key().as_bytes());
        Ed25519Signer { signing_key, address }
    }

    /// The signer of a secret key in hex (64 digits, `0x` optional).
    pub fn from_hex(text: &str) -> Result<Self, TxError> {
        Ok(Self::from_seed(hex::decode_secret(text)?))
    }

    /// The secret key's 32 bytes (to store the key; handle with care).
    pub fn secret_key_bytes(&self) -> [u8; 32] {
        self.signing_key.to_bytes()
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing_key.verifying_key().to_bytes()
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte hash.
    pub fn sign_hash(&self, hash: &[u8; 32]) -> [u8; 64] {
        self.signing_key.sign(hash).to_bytes()
    }

    /// Serialises `payload` to JSON and signs it.
    pub fn sign(&self, payload: &TxPayload) -> SignedTransaction {
        let text = payload.to_json();
        let hash = crate::signing_hash(payload.chain_id, text.as_bytes(), payload.account, payload.nonce);
        let signature = TxSignature::Ed25519 {
            public_key: hex::encode(&self.public_key()),
            signature: hex::encode(&self.sign_hash(&hash)),
        };
        SignedTransaction { payload: text, signature }
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer").field("address", &self.address).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::ed25519::signature::Verifier;
    use proptest::prelude::*;

    #[test]
    fn rfc8032_test_vector_1_signs_as_specified() {
        // RFC 8032 section 7.1, TEST 1 (empty message).
        let seed: [u8; 32] =
            hex::decode_secret("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            hex::encode(key.verifying_key().as_bytes()),
            "0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex::encode(&key.sign(b"").to_bytes()),
            "0xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn signer_round_trips_and_address_is_the_prefixed_keccak() {
        let signer = Ed25519Signer::from_seed([3; 32]);
        let hash = [0x42; 32];
        let signature = signer.sign_hash(&hash);
        assert_eq!(verify_signer(&hash, &signer.public_key(), &signature), Ok(signer.address()));
        let mut preimage = b"novation-ed25519".to_vec();
        preimage.extend_from_slice(&signer.public_key());
        assert_eq!(signer.address().0[..], keccak256(&preimage)[12..]);
        assert_eq!(Ed25519Signer::from_hex(&hex::encode(&[3; 32])).unwrap().address(), signer.address());
    }

    #[test]
    fn small_order_keys_are_refused() {
        // The identity point (y = 1) and the point of order 2 (y = -1).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut minus_one = [0xff; 32];
        minus_one[0] = 0xec;
        minus_one[31] = 0x7f;
        for key in [identity, minus_one] {
            assert_eq!(verify_signer(&[0; 32], &key, &[0; 64]), Err(TxError::BadPublicKey));
        }
    }

    #[test]
    fn non_canonical_encoding_of_a_valid_key_is_refused() {
        // A point of large order whose y is below 19 has a second encoding, y + p, below 2^255.
        let on_curve = (2u8..19).find(|&y| {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            VerifyingKey::from_bytes(&bytes).is_ok_and(|key| !key.is_weak())
        });
        let y = on_curve.expect("some y below 19 is on the curve");
        let mut aliased = [0xff; 32];
        aliased[0] = 0xed + y;
        aliased[31] = 0x7f;
        assert!(VerifyingKey::from_bytes(&aliased).is_ok(), "the alias decodes");
        assert_eq!(verify_signer(&[0; 32], &aliased, &[0; 64]), Err(TxError::BadPublicKey));
    }

    proptest! {
        #[test]
        fn y_canonicity_matches_recompression(bytes in any::<[u8; 32]>(), top in 0u8..=1, low in 0xe0u8..=0xff) {
            // Half the cases sit right at the top of the field, where non-canonical encodings live.
            let mut key = bytes;
            if top == 1 {
                key[1..31].fill(0xff);
                key[31] |= 0x7f;
                key[0] = low;
            }
            if let Ok(decoded) = VerifyingKey::from_bytes(&key) {
                let recompressed = VerifyingKey::from(decoded.to_edwards()).to_bytes();
                if !decoded.is_weak() {
                    prop_assert_eq!(y_is_canonical(&key), recompressed == key);
                }
            }
        }

        #[test]
        fn strict_verification_agrees_with_plain_on_honest_signatures(seed in any::<[u8; 32]>(), hash in any::<[u8; 32]>()) {
            let signer = Ed25519Signer::from_seed(seed);
            let signature = signer.sign_hash(&hash);
            let key = VerifyingKey::from_bytes(&signer.public_key()).unwrap();
            prop_assert!(key.verify(&hash, &Signature::from_bytes(&signature)).is_ok());
            prop_assert_eq!(verify_signer(&hash, &signer.public_key(), &signature), Ok(signer.address()));
        }
    }
}
