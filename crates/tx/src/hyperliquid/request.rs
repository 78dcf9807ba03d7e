//! A Hyperliquid exchange request — `{action, nonce, signature, vaultAddress?,
//! expiresAfter?}`, the body a Hyperliquid client posts to `/exchange` — authenticated into a
//! novation [`Transaction`] whose one action is [`Action::Hyperliquid`].
//!
//! The request travels in a [`crate::SignedTransaction`] as its payload text, byte for byte,
//! with [`crate::TxSignature::Hyperliquid`]: the signature is inside. Every node recovers the
//! signer from that text itself, so a gateway can neither forge nor alter what a client
//! signed. Signatures of one [`Network`] are accepted, the chain's choice: testnet by default
//! (L1 source `"b"`, `hyperliquidChain` `"Testnet"`), as Hyperliquid's clients sign against
//! any URL that is not Hyperliquid's, so nothing signed for Hyperliquid's mainnet can be
//! replayed here. A Hyperliquid signature does not name novation's chain id; its nonce, a
//! millisecond time the protocol accepts only near the block time, bounds any replay to
//! another novation chain to that window.

use novation_types::hyperliquid::{HlAction, HlActionKind};
use novation_types::{Action, Address, Transaction};

use super::{action, ActionValue, Network, Signature, USER_SIGNED_ACTIONS};
use crate::error::TxError;

/// The fields an exchange request may have.
pub const REQUEST_FIELDS: [&str; 5] = ["action", "nonce", "signature", "vaultAddress", "expiresAfter"];

/// A request's signer and the hash it signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveredRequest {
    /// The parsed request.
    pub request: ActionValue,
    /// The action's `type`.
    pub kind: String,
    /// Whether the action is user-signed (EIP-712 `HyperliquidTransaction:…`) rather than L1.
    pub user_signed: bool,
    /// The request's nonce.
    pub nonce: u64,
    /// `vaultAddress`.
    pub vault: Option<Address>,
    /// `expiresAfter`.
    pub expires_after: Option<u64>,
    /// The 32-byte hash the signature signs.
    pub signing_hash: [u8; 32],
    /// The address that signed.
    pub signer: Address,
}

fn malformed(detail: impl Into<String>) -> TxError {
    TxError::HyperliquidRequest { detail: detail.into() }
}

fn signature_of(value: Option<&ActionValue>) -> Result<Signature, TxError> {
    let part = |name: &str| value.and_then(|v| v.get(name));
    let (Some(ActionValue::Str(r)), Some(ActionValue::Str(s)), Some(ActionValue::UInt(v))) =
        (part("r"), part("s"), part("v"))
    else {
        return Err(malformed("`signature` must be {r, s, v}"));
    };
    Signature::parse(r, s, *v).map_err(|e| malformed(e.to_string()))
}

fn optional_uint(request: &ActionValue, name: &str) -> Result<Option<u64>, TxError> {
    match request.get(name) {
        None | Some(ActionValue::Null) => Ok(None),
        Some(ActionValue::UInt(n)) => Ok(Some(*n)),
        Some(_) => Err(malformed(format!("`{name}` must be an integer"))),
    }
}

/// A request's fields as parsed, before any signature check.
struct Parsed {
    request: ActionValue,
    kind: String,
    nonce: u64,
    user_signed: bool,
}

/// Parses a request's text: size, JSON, known fields, `action.type` and `nonce`.
fn parse(text: &str) -> Result<Parsed, TxError> {
    if text.len() > crate::PAYLOAD_MAX_BYTES {
        return Err(TxError::PayloadTooLarge { size_bytes: text.len() });
    }
    let request = ActionValue::from_json(text).map_err(|e| malformed(format!("the body is not valid JSON: {e}")))?;
    let ActionValue::Object(entries) = &request else { return Err(malformed("the body must be a JSON object")) };
    if let Some((unknown, _)) = entries.iter().find(|(key, _)| !REQUEST_FIELDS.contains(&key.as_str())) {
        return Err(malformed(format!("unknown field `{unknown}` (fields: {})", REQUEST_FIELDS.join(", "))));
    }
    let action = request.get("action").ok_or_else(|| malformed("`action` is required"))?;
    let kind =
        action.get("type").and_then(ActionValue::as_str).ok_or_else(|| malformed("`action.type` is required"))?;
    let kind = kind.to_string();
    let nonce = optional_uint(&request, "nonce")?.ok_or_else(|| malformed("`nonce` must be an integer"))?;
    let user_signed = USER_SIGNED_ACTIONS.iter().any(|(wire, _, _)| *wire == kind);
    Ok(Parsed { request, kind, nonce, user_signed })
}

/// The typed action of a parsed request (shape only).
fn typed_action(parsed: &Parsed) -> Result<HlActionKind, TxError> {
    let action = parsed.request.get("action").ok_or_else(|| malformed("`action` is required"))?;
    if parsed.user_signed { action::user_signed_action(action, parsed.nonce) } else { action::l1_action(action) }
        .map_err(malformed)
}

/// A request's action `type` and its typed action (an error for an action novation does
/// not apply), with the request's shape checked but not its signature: for a caller that
/// submits the request to a node, which recovers the signer itself.
pub fn request_action(text: &str) -> Result<(String, Result<HlActionKind, TxError>), TxError> {
    let parsed = parse(text)?;
    let typed = typed_action(&parsed);
    Ok((parsed.kind, typed))
}

/// Parses a request's text and recovers its signer as signed for `network`.
pub fn recover_request(text: &str, network: Network) -> Result<RecoveredRequest, TxError> {
    let Parsed { request, kind, nonce, user_signed } = parse(text)?;
    let action = request.get("action").ok_or_else(|| malformed("`action` is required"))?;
    let signature = signature_of(request.get("signature"))?;
    let (vault, expires_after, signing_hash) = if user_signed {
        let chain = action.get("hyperliquidChain").and_then(ActionValue::as_str);
        if chain != Some(network.chain_name()) {
            return Err(malformed(format!(
                "{kind}: this chain accepts {} actions only (hyperliquidChain {chain:?})",
                network.chain_name()
            )));
        }
        (None, None, super::user_signed_hash(action).map_err(|e| malformed(e.to_string()))?)
    } else {
        let vault = match request.get("vaultAddress") {
            None | Some(ActionValue::Null) => None,
            Some(ActionValue::Str(text)) => {
                Some(text.parse().map_err(|_| malformed("`vaultAddress` must be an address"))?)
            }
            Some(_) => return Err(malformed("`vaultAddress` must be an address")),
        };
        let expires_after = optional_uint(&request, "expiresAfter")?;
        let connection_id = super::action_hash(action, nonce, vault, expires_after);
        (vault, expires_after, super::l1_signing_hash(connection_id, network))
    };
    let signer = super::recover(signing_hash, &signature).map_err(|_| TxError::BadSignature)?;
    Ok(RecoveredRequest { request, kind, user_signed, nonce, vault, expires_after, signing_hash, signer })
}

/// Authenticates a Hyperliquid exchange request signed for `network` into a transaction of
/// its signer (the protocol decides whose account it acts for: see [`Action::Hyperliquid`]),
/// with the hash it signed (the transaction's identity).
pub fn verify_request(text: &str, network: Network) -> Result<(Transaction, [u8; 32]), TxError> {
    let recovered = recover_request(text, network)?;
    let parsed = Parsed {
        request: recovered.request,
        kind: recovered.kind,
        nonce: recovered.nonce,
        user_signed: recovered.user_signed,
    };
    let kind = typed_action(&parsed)?;
    let action = HlAction { on_behalf_of: recovered.vault, expires_after_ms: recovered.expires_after, kind };
    let tx = Transaction::new(recovered.signer, recovered.nonce, vec![Action::Hyperliquid(action)]);
    Ok((tx, recovered.signing_hash))
}
