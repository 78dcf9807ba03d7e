//! Hyperliquid's signed requests: their signatures, recovered to the signer's address
//! (this file, pure functions), the actions they carry ([`action`]) and the request as a
//! whole, authenticated into a novation transaction ([`verify_request`]).
//!
//! **L1 actions** (orders, cancels, leverage, …) are signed through a "phantom agent":
//!
//! ```text
//!  connectionId = keccak256( msgpack(action)            keys in received order, smallest ints
//!                          ‖ nonce                      8 bytes big-endian
//!                          ‖ 0x00 | 0x01 ‖ vault (20)   the vault flag
//!                          ‖ [0x00 ‖ expiresAfter (8)]  only when the request has one )
//!  signed hash  = EIP-712  Agent(string source,bytes32 connectionId)
//!                 domain   {name "Exchange", version "1", chainId 1337, verifyingContract 0x0}
//!                 source   "a" on mainnet, "b" on testnet
//! ```
//!
//! **User-signed actions** (transfers, withdrawals, agent approval, …) are EIP-712 structs
//! named `HyperliquidTransaction:<Name>` under the domain
//! `{name "HyperliquidSignTransaction", version "1", chainId <the action's signatureChainId>,
//! verifyingContract 0x0}`, with the fields [`USER_SIGNED_ACTIONS`] lists.
//!
//! [`recover`] returns the address whose key made a signature `{r, s, v}`. Whether that
//! address may act for an account (the account itself, or an approved agent) is the
//! caller's question, answered from novation's state.

pub mod action;
pub mod msgpack;
mod request;

pub use request::{recover_request, request_action, verify_request, RecoveredRequest, REQUEST_FIELDS};

use alloy_primitives::{keccak256, Address as AlloyAddress, B256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use novation_types::Address;
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, SECP256K1};

pub use msgpack::ActionValue;

alloy_sol_types::sol! {
    /// The phantom agent an L1 action is signed as.
    struct Agent {
        string source;
        bytes32 connectionId;
    }
}

/// The chain id of the L1 actions' EIP-712 domain.
pub const L1_CHAIN_ID: u64 = 1337;

/// Which Hyperliquid network a signature was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// Mainnet: L1 source `"a"`, `hyperliquidChain` `"Mainnet"`.
    Mainnet,
    /// Testnet: L1 source `"b"`, `hyperliquidChain` `"Testnet"`.
    Testnet,
}

impl Network {
    /// The phantom agent's `source`.
    pub fn source(self) -> &'static str {
        match self {
            Network::Mainnet => "a",
            Network::Testnet => "b",
        }
    }

    /// The `hyperliquidChain` field of user-signed actions.
    pub fn chain_name(self) -> &'static str {
        match self {
            Network::Mainnet => "Mainnet",
            Network::Testnet => "Testnet",
        }
    }
}

/// Why a signature could not be checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// `r` or `s` is not hex of at most 32 bytes, or `v` is not 27, 28, 0 or 1.
    Malformed(String),
    /// The signature does not recover to any key.
    Unrecoverable,
    /// A user-signed action of a type not in [`USER_SIGNED_ACTIONS`], or missing a field.
    UnknownUserAction(String),
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::Malformed(why) => write!(f, "malformed signature: {why}"),
            SignatureError::Unrecoverable => write!(f, "the signature recovers to no key"),
            SignatureError::UnknownUserAction(why) => write!(f, "user-signed action: {why}"),
        }
    }
}

impl std::error::Error for SignatureError {}

/// A signature as Hyperliquid's clients send it: `{r, s, v}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `r`, 32 bytes.
    pub r: [u8; 32],
    /// `s`, 32 bytes.
    pub s: [u8; 32],
    /// `v`: 27 or 28 (0 and 1 are read as 27 and 28).
    pub v: u8,
}

fn word_from_hex(text: &str, what: &str) -> Result<[u8; 32], SignatureError> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.is_empty() || digits.len() > 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignatureError::Malformed(format!("{what} must be 0x and at most 64 hex digits")));
    }
    // Clients print r and s as integers: leading zeros may be missing.
    let padded = format!("{digits:0>64}");
    let mut word = [0u8; 32];
    for (i, byte) in word.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16)
            .map_err(|_| SignatureError::Malformed(format!("{what} is not hex")))?;
    }
    Ok(word)
}

impl Signature {
    /// Parses `r` and `s` (`0x` hex, leading zeros optional) and `v`.
    pub fn parse(r: &str, s: &str, v: u64) -> Result<Signature, SignatureError> {
        let v = match v {
            27 | 28 => v as u8,
            0 | 1 => v as u8 + 27,
            other => return Err(SignatureError::Malformed(format!("v must be 27 or 28, got {other}"))),
        };
        Ok(Signature { r: word_from_hex(r, "r")?, s: word_from_hex(s, "s")?, v })
    }
}

/// The L1 action's `connectionId`: keccak-256 of its MessagePack encoding, the nonce, the
/// vault flag and, when given, the expiry (see the module's diagram).
pub fn action_hash(action: &ActionValue, nonce: u64, vault: Option<Address>, expires_after: Option<u64>) -> [u8; 32] {
    let mut data = Vec::with_capacity(256);
    msgpack::encode(action, &mut data);
    data.extend_from_slice(&nonce.to_be_bytes());
    match vault {
        None => data.push(0),
        Some(vault) => {
            data.push(1);
            data.extend_from_slice(&vault.0);
        }
    }
    if let Some(expires_after) = expires_after {
        data.push(0);
        data.extend_from_slice(&expires_after.to_be_bytes());
    }
    keccak256(&data).0
}

fn domain(name: &'static str, chain_id: u64) -> Eip712Domain {
    Eip712Domain::new(Some(name.into()), Some("1".into()), Some(U256::from(chain_id)), Some(AlloyAddress::ZERO), None)
}

/// The hash an L1 action's signature signs: the phantom agent `{source, connectionId}`
/// under the `Exchange` domain.
pub fn l1_signing_hash(connection_id: [u8; 32], network: Network) -> [u8; 32] {
    let agent = Agent { source: network.source().into(), connectionId: B256::from(connection_id) };
    agent.eip712_signing_hash(&domain("Exchange", L1_CHAIN_ID)).0
}

/// The EIP-712 type of one field of a user-signed action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `string`.
    String,
    /// `uint64`.
    Uint64,
    /// `bool`.
    Bool,
    /// `address`.
    Address,
}

impl FieldType {
    fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Uint64 => "uint64",
            FieldType::Bool => "bool",
            FieldType::Address => "address",
        }
    }
}

/// A user-signed action: its `type` on the wire, its EIP-712 primary type, and its fields
/// in signing order.
pub type UserSignedAction = (&'static str, &'static str, &'static [(&'static str, FieldType)]);

/// The user-signed actions whose signatures [`user_signed_hash`] can check.
pub const USER_SIGNED_ACTIONS: [UserSignedAction; 6] = [
    (
        "usdSend",
        "HyperliquidTransaction:UsdSend",
        &[
            ("hyperliquidChain", FieldType::String),
            ("destination", FieldType::String),
            ("amount", FieldType::String),
            ("time", FieldType::Uint64),
        ],
    ),
    (
        "withdraw3",
        "HyperliquidTransaction:Withdraw",
        &[
            ("hyperliquidChain", FieldType::String),
            ("destination", FieldType::String),
            ("amount", FieldType::String),
            ("time", FieldType::Uint64),
        ],
    ),
    (
        "spotSend",
        "HyperliquidTransaction:SpotSend",
        &[
            ("hyperliquidChain", FieldType::String),
            ("destination", FieldType::String),
            ("token", FieldType::String),
            ("amount", FieldType::String),
            ("time", FieldType::Uint64),
        ],
    ),
    (
        "usdClassTransfer",
        "HyperliquidTransaction:UsdClassTransfer",
        &[
            ("hyperliquidChain", FieldType::String),
            ("amount", FieldType::String),
            ("toPerp", FieldType::Bool),
            ("nonce", FieldType::Uint64),
        ],
    ),
    (
        "approveAgent",
        "HyperliquidTransaction:ApproveAgent",
        &[
            ("hyperliquidChain", FieldType::String),
            ("agentAddress", FieldType::Address),
            ("agentName", FieldType::String),
            ("nonce", FieldType::Uint64),
        ],
    ),
    (
        "approveBuilderFee",
        "HyperliquidTransaction:ApproveBuilderFee",
        &[
            ("hyperliquidChain", FieldType::String),
            ("maxFeeRate", FieldType::String),
            ("builder", FieldType::Address),
            ("nonce", FieldType::Uint64),
        ],
    ),
];

fn encode_field(value: Option<&ActionValue>, name: &str, kind: FieldType) -> Result<[u8; 32], SignatureError> {
    let missing = || SignatureError::UnknownUserAction(format!("field `{name}` must be a {}", kind.name()));
    let mut word = [0u8; 32];
    match (kind, value) {
        (FieldType::String, Some(ActionValue::Str(text))) => word = keccak256(text.as_bytes()).0,
        // The agent's name is optional on the wire and signed as "" when absent.
        (FieldType::String, None | Some(ActionValue::Null)) if name == "agentName" => word = keccak256(b"").0,
        (FieldType::Uint64, Some(ActionValue::UInt(n))) => word[24..].copy_from_slice(&n.to_be_bytes()),
        (FieldType::Bool, Some(ActionValue::Bool(b))) => word[31] = u8::from(*b),
        (FieldType::Address, Some(ActionValue::Str(text))) => {
            let address: Address = text.parse().map_err(|_| missing())?;
            word[12..].copy_from_slice(&address.0);
        }
        _ => return Err(missing()),
    }
    Ok(word)
}

/// The hash a user-signed action's signature signs: the action's fields as the EIP-712
/// struct its `type` names (see [`USER_SIGNED_ACTIONS`]), under the
/// `HyperliquidSignTransaction` domain with the action's own `signatureChainId` (hex).
pub fn user_signed_hash(action: &ActionValue) -> Result<[u8; 32], SignatureError> {
    let kind = action.get("type").and_then(ActionValue::as_str).unwrap_or("");
    let (_, primary, fields) = USER_SIGNED_ACTIONS
        .iter()
        .find(|(wire, _, _)| *wire == kind)
        .ok_or_else(|| SignatureError::UnknownUserAction(format!("unknown type {kind:?}")))?;
    let chain_text = action
        .get("signatureChainId")
        .and_then(ActionValue::as_str)
        .ok_or_else(|| SignatureError::UnknownUserAction("`signatureChainId` (hex) is required".into()))?;
    let chain_id = u64::from_str_radix(chain_text.strip_prefix("0x").unwrap_or(chain_text), 16)
        .map_err(|_| SignatureError::UnknownUserAction(format!("signatureChainId {chain_text:?} is not hex")))?;
    let signature: Vec<String> = fields.iter().map(|(name, kind)| format!("{} {name}", kind.name())).collect();
    let type_hash = keccak256(format!("{primary}({})", signature.join(",")).as_bytes());
    let mut encoded = Vec::with_capacity(32 * (fields.len() + 1));
    encoded.extend_from_slice(type_hash.as_slice());
    for (name, kind) in *fields {
        encoded.extend_from_slice(&encode_field(action.get(name), name, *kind)?);
    }
    let struct_hash = keccak256(&encoded);
    let separator = domain("HyperliquidSignTransaction", chain_id).separator();
    let mut digest = Vec::with_capacity(66);
    digest.extend_from_slice(&[0x19, 0x01]);
    digest.extend_from_slice(separator.as_slice());
    digest.extend_from_slice(struct_hash.as_slice());
    Ok(keccak256(&digest).0)
}

/// The address whose key signed `hash` with `signature`.
pub fn recover(hash: [u8; 32], signature: &Signature) -> Result<Address, SignatureError> {
    let recovery = RecoveryId::try_from(i32::from(signature.v - 27)).map_err(|_| SignatureError::Unrecoverable)?;
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&signature.r);
    compact[32..].copy_from_slice(&signature.s);
    let recoverable =
        RecoverableSignature::from_compact(&compact, recovery).map_err(|_| SignatureError::Unrecoverable)?;
    let key =
        SECP256K1.recover_ecdsa(Message::from_digest(hash), &recoverable).map_err(|_| SignatureError::Unrecoverable)?;
    let uncompressed = key.serialize_uncompressed();
    let digest = keccak256(&uncompressed[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[12..]);
    Ok(Address(address))
}

/// Recovers the signer of an L1 action: [`action_hash`], then [`l1_signing_hash`], then
/// [`recover`].
pub fn recover_l1_signer(
    action: &ActionValue,
    nonce: u64,
    vault: Option<Address>,
    expires_after: Option<u64>,
    network: Network,
    signature: &Signature,
) -> Result<Address, SignatureError> {
    recover(l1_signing_hash(action_hash(action, nonce, vault, expires_after), network), signature)
}

#[cfg(test)]
mod tests;
