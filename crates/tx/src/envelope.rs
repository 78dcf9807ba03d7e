//! The wire envelope: a payload's exact JSON text and the signature over it.
//!
//! The payload travels as text, not as a nested object, so the node hashes the very bytes the
//! client signed and never re-serialises before checking (two JSON encoders need not agree on
//! spacing, key order or number formats). Both the envelope and the payload refuse unknown
//! and duplicate fields at every level (the error names the field's path): what was signed is
//! exactly what is applied. A payload is small (at most [`PAYLOAD_MAX_BYTES`]) and carries no
//! padding beyond a pretty-printer's (module [`crate::strict`]).

use novation_types::{Action, Address};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::TxError;

/// The longest payload text accepted, in bytes: 64 KiB. The largest legitimate payload is a
/// market maker's batch of 64 orders (the devnet's `limits.max_batch`), about 20 KB with every
/// number at its widest; this leaves three times that.
pub const PAYLOAD_MAX_BYTES: usize = 64 * 1024;

/// The longest envelope text accepted, in bytes: room for a payload of
/// [`PAYLOAD_MAX_BYTES`] escaped inside a JSON string (at most 4 bytes of escape per payload
/// byte for any valid payload), plus the signature.
pub const ENVELOPE_MAX_BYTES: usize = 4 * PAYLOAD_MAX_BYTES + 4096;

/// A signed transaction as it arrives from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTransaction {
    /// The JSON text of a [`TxPayload`]; the signature covers these bytes exactly.
    #[schemars(extend("contentMediaType" = "application/json", "contentSchema" = { "$ref": "#/$defs/TxPayload" }))]
    pub payload: String,
    /// The signature over the payload.
    pub signature: TxSignature,
}

/// What a transaction says, as the signer wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TxPayload {
    /// The chain the transaction is for (also bound into the signature through the EIP-712
    /// domain); a node of another chain refuses it with [`TxError::WrongChain`].
    pub chain_id: u64,
    /// The account acted for: the signer itself, or an account that authorised the signer
    /// as its agent.
    pub account: Address,
    /// The signer's next nonce (nonces are counted per signing key, not per account).
    pub nonce: u64,
    /// The actions, applied in order, all or none.
    pub actions: Vec<Action>,
}

/// A signature over a payload, by one of the two supported schemes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum TxSignature {
    /// An EIP-712 typed-data signature by a secp256k1 (Ethereum) key; the signer's address is
    /// recovered from it.
    Eip712 {
        /// `0x` and 65 bytes of hex: `r || s || v`, `v` in {27, 28} or {0, 1}, `s` in the
        /// lower half of the curve order.
        #[schemars(regex(pattern = r"^0x[0-9a-fA-F]{130}$"))]
        signature: String,
    },
    /// An ed25519 signature over the same 32-byte EIP-712 signing hash.
    Ed25519 {
        /// `0x` and the 32-byte public key in hex.
        #[schemars(regex(pattern = r"^0x[0-9a-fA-F]{64}$"))]
        public_key: String,
        /// `0x` and the 64-byte signature in hex.
        #[schemars(regex(pattern = r"^0x[0-9a-fA-F]{128}$"))]
        signature: String,
    },
    /// The payload is a Hyperliquid exchange request (`{action, nonce, signature, …}`, as a
    /// Hyperliquid client posts it) and carries its own signature: L1 actions under the
    /// phantom agent, user-signed ones under `HyperliquidSignTransaction` (module
    /// [`crate::hyperliquid`]).
    Hyperliquid,
}

impl SignedTransaction {
    /// Parses an envelope from its JSON text, refusing texts over [`ENVELOPE_MAX_BYTES`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.len() > ENVELOPE_MAX_BYTES {
            return Err(TxError::EnvelopeTooLarge { size_bytes: bytes.len() });
        }
        serde_json::from_slice(bytes).map_err(|error| TxError::MalformedEnvelope { detail: TxError::detail(&error) })
    }

    /// The envelope as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an envelope holds only strings, which always serialise")
    }
}

impl TxPayload {
    /// A payload for `account` on chain `chain_id`.
    pub fn new(chain_id: u64, account: Address, nonce: u64, actions: Vec<Action>) -> Self {
        TxPayload { chain_id, account, nonce, actions }
    }

    /// Parses a payload from its JSON text, refusing texts over [`PAYLOAD_MAX_BYTES`].
    pub fn from_json(text: &str) -> Result<Self, TxError> {
        if text.len() > PAYLOAD_MAX_BYTES {
            return Err(TxError::PayloadTooLarge { size_bytes: text.len() });
        }
        if let Some(whitespace_bytes) = crate::strict::is_padded(text) {
            return Err(TxError::PaddedPayload { whitespace_bytes });
        }
        serde_json::from_str(text).map_err(|error| {
            let path = crate::strict::path_at(text, error.line(), error.column());
            let detail = TxError::detail(&error);
            TxError::MalformedPayload { detail: if path.is_empty() { detail } else { format!("at {path}: {detail}") } }
        })
    }

    /// The payload as compact JSON text (what the signers in this crate sign): no spacing,
    /// and an order's optional fields left out where they hold their defaults
    /// ([`crate::compact`]).
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).expect("payload types serialise to JSON without fail");
        crate::compact::omit_order_defaults(&mut value);
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::AssetId;

    fn payload() -> TxPayload {
        let amount = "12.5".parse().unwrap();
        TxPayload::new(
            7,
            Address::from_index(3),
            9,
            vec![Action::Deposit(novation_types::action::Deposit { subaccount: 0, asset: AssetId(1), amount })],
        )
    }

    #[test]
    fn payload_json_round_trips_with_exact_decimals_and_hex_addresses() {
        let text = payload().to_json();
        assert_eq!(
            text,
            r#"{"account":"0x0000000000000000000000000000000000000003","actions":[{"Deposit":{"amount":"12.5","asset":1,"subaccount":0}}],"chain_id":7,"nonce":9}"#
        );
        assert_eq!(TxPayload::from_json(&text).unwrap(), payload());
    }

    #[test]
    fn payload_with_unknown_or_duplicate_fields_is_malformed() {
        let text = payload().to_json();
        let unknown = text.replacen('{', r#"{"expires":1,"#, 1);
        let duplicate = text.replacen('{', r#"{"nonce":1,"#, 1);
        for bad in [unknown, duplicate] {
            assert!(matches!(TxPayload::from_json(&bad), Err(TxError::MalformedPayload { .. })), "{bad}");
        }
    }

    fn payload_error(text: &str) -> String {
        match TxPayload::from_json(text) {
            Err(TxError::MalformedPayload { detail }) => detail,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn unknown_and_duplicate_fields_are_refused_at_every_level_with_their_path() {
        let order =
            novation_types::OrderRequest::limit(0, novation_types::MarketId(0), novation_types::Side::Buy, 5, 1);
        let actions = vec![Action::Order(novation_types::OrderAction::Place(order))];
        // Every field written out (`to_json` leaves an order's defaults out).
        let text = serde_json::to_string(&TxPayload::new(7, Address::from_index(3), 0, actions)).unwrap();
        let cases = [
            (
                text.replace(
                    r#""time_in_force":"GoodTillCancel""#,
                    r#""time_in_force":"GoodTillCancel","post_only":true"#,
                ),
                "actions[0].Order.Place.kind.Limit.post_only",
            ),
            (text.replace(r#""client_order_id":null"#, r#""clientOrderId":1"#), "actions[0].Order.Place.clientOrderId"),
            (text.replace(r#""side":"Buy""#, r#""side":"Buy","side":"Sell""#), "actions[0].Order.Place.side"),
            (
                payload().to_json().replace(r#""amount":"12.5""#, r#""amount":"12.5","memo":"x""#),
                "actions[0].Deposit.memo",
            ),
        ];
        for (bad, path) in cases {
            let detail = payload_error(&bad);
            assert!(detail.starts_with(&format!("at {path}:")), "{bad}: {detail}");
        }
        let two_actions_in_one = payload().to_json().replace(r#"}}]"#, r#"},"Withdraw":{}}]"#);
        payload_error(&two_actions_in_one);
    }

    #[test]
    fn padding_beyond_a_pretty_printers_is_refused() {
        let text = payload().to_json();
        let padded = text.replacen('{', &format!("{{{}", " ".repeat(1_000)), 1);
        assert!(matches!(TxPayload::from_json(&padded), Err(TxError::PaddedPayload { whitespace_bytes: 1_000 })));
        let pretty = serde_json::to_string_pretty(&payload()).unwrap();
        assert_eq!(TxPayload::from_json(&pretty).unwrap(), payload());
    }

    #[test]
    fn oversized_payload_and_envelope_are_refused_before_parsing() {
        let big = " ".repeat(PAYLOAD_MAX_BYTES + 1);
        assert_eq!(TxPayload::from_json(&big), Err(TxError::PayloadTooLarge { size_bytes: PAYLOAD_MAX_BYTES + 1 }));
        let huge = vec![b' '; ENVELOPE_MAX_BYTES + 1];
        assert_eq!(
            SignedTransaction::from_json(&huge),
            Err(TxError::EnvelopeTooLarge { size_bytes: ENVELOPE_MAX_BYTES + 1 })
        );
    }

    #[test]
    fn envelope_json_is_externally_tagged() {
        let envelope = SignedTransaction {
            payload: "{}".into(),
            signature: TxSignature::Ed25519 { public_key: "0x01".into(), signature: "0x02".into() },
        };
        let text = envelope.to_json();
        assert_eq!(text, r#"{"payload":"{}","signature":{"Ed25519":{"public_key":"0x01","signature":"0x02"}}}"#);
        assert_eq!(SignedTransaction::from_json(text.as_bytes()).unwrap(), envelope);
        let extra = text.replacen("\"payload\"", "\"x\":1,\"payload\"", 1);
        assert!(matches!(SignedTransaction::from_json(extra.as_bytes()), Err(TxError::MalformedEnvelope { .. })));
    }
}
