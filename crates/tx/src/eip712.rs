//! EIP-712 typed data over secp256k1: the signing hash every scheme signs, public-key
//! recovery with malleability checks, and a client-side signer.
//!
//! The typed data is
//!
//! ```text
//! domain:  EIP712Domain(string name,string version,uint256 chainId)
//!          { name: "novation", version: "1", chainId: <chain id> }      (no verifyingContract)
//! message: NovationTransaction(address account,uint64 nonce,bytes32 payloadHash)
//!          payloadHash = keccak256(payload text bytes)
//! ```
//!
//! so any Ethereum wallet or library that signs typed data can sign a novation transaction.
//! Recovery uses libsecp256k1 (crate `secp256k1`), about five times faster than pure-Rust
//! `k256` on the reference machine.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use alloy_primitives::{keccak256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use novation_types::Address;
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};

use crate::envelope::{SignedTransaction, TxPayload, TxSignature};
use crate::error::TxError;
use crate::hex;

/// The EIP-712 domain's `name`.
pub const EIP712_DOMAIN_NAME: &str = "novation";
/// The EIP-712 domain's `version`.
pub const EIP712_DOMAIN_VERSION: &str = "1";
/// The EIP-712 primary type, as wallets display and hash it.
pub const EIP712_PRIMARY_TYPE: &str = "NovationTransaction(address account,uint64 nonce,bytes32 payloadHash)";

/// Half the secp256k1 group order, big-endian: a signature's `s` must not exceed it (EIP-2).
const SECP256K1_HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
    0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

#[allow(missing_docs, unreachable_pub)]
mod typed {
    alloy_sol_types::sol! {
        struct NovationTransaction {
            address account;
            uint64 nonce;
            bytes32 payloadHash;
        }
    }
}

/// The EIP-712 domain of chain `chain_id`.
fn domain(chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(
        Some(Cow::Borrowed(EIP712_DOMAIN_NAME)),
        Some(Cow::Borrowed(EIP712_DOMAIN_VERSION)),
        Some(U256::from(chain_id)),
        None,
        None,
    )
}

/// The EIP-712 domain separator of chain `chain_id`.
pub fn domain_separator(chain_id: u64) -> [u8; 32] {
    domain(chain_id).separator().0
}

thread_local! {
    /// The last chain's domain separator: a node checks one chain, and rebuilding the
    /// separator costs four keccak-256 calls (a third of [`signing_hash`]).
    static SEPARATOR_CACHE: Cell<Option<(u64, [u8; 32])>> = const { Cell::new(None) };
}

fn cached_domain_separator(chain_id: u64) -> [u8; 32] {
    SEPARATOR_CACHE.with(|cache| match cache.get() {
        Some((cached_chain_id, separator)) if cached_chain_id == chain_id => separator,
        _ => {
            let separator = domain_separator(chain_id);
            cache.set(Some((chain_id, separator)));
            separator
        }
    })
}

/// The 32-byte hash both schemes sign: `keccak256(0x19 0x01 || domainSeparator ||
/// hashStruct(NovationTransaction { account, nonce, payloadHash: keccak256(payload_bytes) }))`.
pub fn signing_hash(chain_id: u64, payload_bytes: &[u8], account: Address, nonce: u64) -> [u8; 32] {
    let message = typed::NovationTransaction {
        account: alloy_primitives::Address::from(account.0),
        nonce,
        payloadHash: keccak256(payload_bytes),
    };
    let mut digest_input = [0u8; 2 + 32 + 32];
    digest_input[..2].copy_from_slice(&[0x19, 0x01]);
    digest_input[2..34].copy_from_slice(&cached_domain_separator(chain_id));
    digest_input[34..].copy_from_slice(message.eip712_hash_struct().as_slice());
    keccak256(digest_input).0
}

/// The address of a secp256k1 public key: the last 20 bytes of the keccak-256 of its
/// uncompressed encoding without the leading `0x04` (as in Ethereum).
pub(crate) fn secp256k1_address(public_key: &PublicKey) -> Address {
    let uncompressed = public_key.serialize_uncompressed();
    let digest = keccak256(&uncompressed[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[12..]);
    Address(address)
}

/// Recovers the address that made the 65-byte `r || s || v` signature of `hash`. Refuses a
/// `v` other than 27, 28, 0, 1 and an `s` above half the group order, so no one can turn a
/// valid signature into a second valid `(r, s)` for the same hash (EIP-2).
pub(crate) fn recover_signer(hash: &[u8; 32], signature: &[u8; 65]) -> Result<Address, TxError> {
    let v = signature[64];
    let recovery_id = match v {
        0 | 27 => RecoveryId::Zero,
        1 | 28 => RecoveryId::One,
        _ => return Err(TxError::BadRecoveryId { v }),
    };
    if signature[32..64] > SECP256K1_HALF_ORDER[..] {
        return Err(TxError::HighS);
    }
    let recoverable =
        RecoverableSignature::from_compact(&signature[..64], recovery_id).map_err(|_| TxError::BadSignature)?;
    let public_key = recoverable.recover(Message::from_digest(*hash)).map_err(|_| TxError::BadSignature)?;
    Ok(secp256k1_address(&public_key))
}

/// A secp256k1 key that signs transactions as EIP-712 typed data (client side).
#[derive(Clone)]
pub struct Eip712Signer {
    secret_key: SecretKey,
    address: Address,
}

impl Eip712Signer {
    /// The signer of an existing secp256k1 secret key (as an Ethereum wallet exports it).
    pub fn from_secret_key(secret_key: [u8; 32]) -> Result<Self, TxError> {
        let secret_key = SecretKey::from_byte_array(secret_key).map_err(|_| TxError::BadSecretKey)?;
        let address = secp256k1_address(&PublicKey::from_secret_key_global(&secret_key));
        Ok(Eip712Signer { secret_key, address })
    }

    /// A new key from 32 bytes of the caller's randomness. The seed is the secret key itself
    /// when valid (all but a 2^-127 fraction of seeds); otherwise it is re-hashed until valid.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        const ATTEMPTS_MAX: usize = 64;
        let mut candidate = seed;
        for _ in 0..ATTEMPTS_MAX {
            if let Ok(signer) = Self::from_secret_key(candidate) {
                return signer;
            }
            candidate = keccak256(candidate).0;
        }
        panic!("{ATTEMPTS_MAX} successive keccak-256 outputs outside the secp256k1 scalar range");
    }

    /// The signer of a secret key in hex (64 digits, `0x` optional).
    pub fn from_hex(text: &str) -> Result<Self, TxError> {
        Self::from_secret_key(hex::decode_secret(text)?)
    }

    /// The secret key's 32 bytes (to store the key; handle with care).
    pub fn secret_key_bytes(&self) -> [u8; 32] {
        self.secret_key.secret_bytes()
    }

    /// The signer's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte hash: `r || s || v` with `v` in {27, 28} and a low `s`.
    pub fn sign_hash(&self, hash: &[u8; 32]) -> [u8; 65] {
        let recoverable = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(*hash), &self.secret_key);
        let (recovery_id, compact) = recoverable.serialize_compact();
        let mut signature = [0u8; 65];
        signature[..64].copy_from_slice(&compact);
        // Ids 2 and 3 need r >= n - p, which no one can find; verification would refuse them.
        signature[64] = 27 + u8::from(i32::from(recovery_id) == 1);
        signature
    }

    /// Serialises `payload` to JSON and signs it.
    pub fn sign(&self, payload: &TxPayload) -> SignedTransaction {
        let text = payload.to_json();
        let hash = signing_hash(payload.chain_id, text.as_bytes(), payload.account, payload.nonce);
        SignedTransaction {
            payload: text,
            signature: TxSignature::Eip712 { signature: hex::encode(&self.sign_hash(&hash)) },
        }
    }
}

impl fmt::Debug for Eip712Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Eip712Signer").field("address", &self.address).finish_non_exhaustive()
    }
}

/// The typed-data type hash of [`EIP712_PRIMARY_TYPE`] (for clients that hash by hand).
pub fn primary_type_hash() -> [u8; 32] {
    keccak256(EIP712_PRIMARY_TYPE.as_bytes()).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sol_struct_type_is_the_documented_primary_type() {
        let message = typed::NovationTransaction {
            account: alloy_primitives::Address::ZERO,
            nonce: 0,
            payloadHash: alloy_primitives::FixedBytes::ZERO,
        };
        assert_eq!(typed::NovationTransaction::eip712_encode_type(), EIP712_PRIMARY_TYPE);
        assert_eq!(message.eip712_type_hash().0, primary_type_hash());
    }

    #[test]
    fn signing_hash_follows_the_eip712_formula() {
        let payload = b"{\"x\":1}";
        let account = Address::from_index(5);
        let mut struct_data = Vec::new();
        struct_data.extend_from_slice(&primary_type_hash());
        struct_data.extend_from_slice(&[0u8; 12]);
        struct_data.extend_from_slice(&account.0);
        struct_data.extend_from_slice(&U256::from(42u64).to_be_bytes::<32>());
        struct_data.extend_from_slice(keccak256(payload).as_slice());
        let mut digest_input = vec![0x19, 0x01];
        digest_input.extend_from_slice(&domain_separator(3));
        digest_input.extend_from_slice(keccak256(&struct_data).as_slice());
        assert_eq!(signing_hash(3, payload, account, 42), keccak256(&digest_input).0);
    }

    #[test]
    fn cached_separator_matches_alloys_signing_hash_across_chain_switches() {
        let account = Address::from_index(8);
        for chain_id in [1, 1, 2, 1, u64::MAX, 2] {
            let message = typed::NovationTransaction {
                account: alloy_primitives::Address::from(account.0),
                nonce: 3,
                payloadHash: keccak256(b"p"),
            };
            assert_eq!(signing_hash(chain_id, b"p", account, 3), message.eip712_signing_hash(&domain(chain_id)).0);
        }
    }

    #[test]
    fn domain_separator_hashes_name_version_and_chain_id_only() {
        let type_hash = keccak256("EIP712Domain(string name,string version,uint256 chainId)");
        let mut data = Vec::new();
        data.extend_from_slice(type_hash.as_slice());
        data.extend_from_slice(keccak256("novation").as_slice());
        data.extend_from_slice(keccak256("1").as_slice());
        data.extend_from_slice(&U256::from(77u64).to_be_bytes::<32>());
        assert_eq!(domain_separator(77), keccak256(&data).0);
    }

    #[test]
    fn known_key_has_its_well_known_address() {
        // The secret key 1 is the generator point; its Ethereum address is public knowledge.
        let mut secret = [0u8; 32];
        secret[31] = 1;
        let signer = Eip712Signer::from_secret_key(secret).unwrap();
        assert_eq!(signer.address().to_string(), "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    }

    #[test]
    fn zero_and_order_sized_secret_keys_are_refused_but_seeds_always_work() {
        assert_eq!(Eip712Signer::from_secret_key([0; 32]).unwrap_err(), TxError::BadSecretKey);
        assert_eq!(Eip712Signer::from_secret_key([0xff; 32]).unwrap_err(), TxError::BadSecretKey);
        let from_zero = Eip712Signer::from_seed([0; 32]);
        assert_eq!(from_zero.address(), Eip712Signer::from_secret_key(keccak256([0u8; 32]).0).unwrap().address());
        let valid = [7u8; 32];
        assert_eq!(Eip712Signer::from_seed(valid).secret_key_bytes(), valid);
    }

    #[test]
    fn signatures_have_low_s_and_ethereum_v_and_recover_the_signer() {
        let signer = Eip712Signer::from_seed([9; 32]);
        for index in 0u8..32 {
            let hash = keccak256([index]).0;
            let signature = signer.sign_hash(&hash);
            assert!(signature[64] == 27 || signature[64] == 28);
            assert!(signature[32..64] <= SECP256K1_HALF_ORDER[..]);
            assert_eq!(recover_signer(&hash, &signature), Ok(signer.address()));
        }
    }

    #[test]
    fn high_s_copy_of_a_valid_signature_is_refused() {
        // n - s with the other recovery id is the same point's other valid signature.
        const ORDER: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae,
            0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
        ];
        let signer = Eip712Signer::from_seed([4; 32]);
        let hash = [0x55; 32];
        let mut signature = signer.sign_hash(&hash);
        let negated = U256::from_be_bytes(ORDER) - U256::from_be_slice(&signature[32..64]);
        signature[32..64].copy_from_slice(&negated.to_be_bytes::<32>());
        signature[64] ^= 27 ^ 28;
        assert_eq!(recover_signer(&hash, &signature), Err(TxError::HighS));
    }

    #[test]
    fn v_of_0_and_1_are_accepted_and_others_refused() {
        let signer = Eip712Signer::from_seed([5; 32]);
        let hash = [0x11; 32];
        let mut signature = signer.sign_hash(&hash);
        signature[64] -= 27;
        assert_eq!(recover_signer(&hash, &signature), Ok(signer.address()));
        for v in [2u8, 3, 26, 29, 30, 35, 255] {
            signature[64] = v;
            assert_eq!(recover_signer(&hash, &signature), Err(TxError::BadRecoveryId { v }));
        }
    }

    #[test]
    fn zero_or_overflowing_r_is_a_bad_signature() {
        let hash = [0x22; 32];
        let mut signature = [0u8; 65];
        signature[32] = 1;
        signature[64] = 27;
        assert_eq!(recover_signer(&hash, &signature), Err(TxError::BadSignature));
        signature[..32].copy_from_slice(&[0xff; 32]);
        assert_eq!(recover_signer(&hash, &signature), Err(TxError::BadSignature));
    }
}
