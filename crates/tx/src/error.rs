//! Why a signed transaction was refused before it reached the protocol.
//!
//! Every variant has a stable numeric code (in the 1000s, apart from the protocol's
//! [`novation_types::ErrorCode`]s) and a fixed human message; the API passes both through.
//! Codes never change meaning once published.

use std::fmt;

/// The longest detail text kept from a JSON parser's error, in bytes: the parser may quote
/// the input, and an error must never echo a quarter-megabyte payload back.
pub const ERROR_DETAIL_MAX_BYTES: usize = 200;

/// Why a signed envelope does not authenticate a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxError {
    /// The envelope's text is longer than [`crate::ENVELOPE_MAX_BYTES`].
    EnvelopeTooLarge {
        /// Size of the envelope received.
        size_bytes: usize,
    },
    /// The envelope is not the JSON of a [`crate::SignedTransaction`].
    MalformedEnvelope {
        /// The parser's explanation (truncated).
        detail: String,
    },
    /// The payload text is longer than [`crate::PAYLOAD_MAX_BYTES`].
    PayloadTooLarge {
        /// Size of the payload received.
        size_bytes: usize,
    },
    /// The payload is not the JSON of a [`crate::TxPayload`].
    MalformedPayload {
        /// The parser's explanation (truncated).
        detail: String,
    },
    /// The payload names another chain than this node's.
    WrongChain {
        /// This node's chain id.
        expected: u64,
        /// The chain id the payload names.
        found: u64,
    },
    /// A field is not `0x` followed by the right number of hex digits.
    BadHex {
        /// The field at fault.
        field: &'static str,
        /// How many bytes it must hold.
        expected_bytes: usize,
    },
    /// The EIP-712 signature's last byte (`v`) is none of 0, 1, 27, 28.
    BadRecoveryId {
        /// The byte received.
        v: u8,
    },
    /// The EIP-712 signature's `s` is in the upper half of the curve order (a malleable copy
    /// of a valid signature; Ethereum wallets never produce one).
    HighS,
    /// The signature does not verify, or no public key can be recovered from it.
    BadSignature,
    /// The ed25519 public key is not a canonical encoding of a curve point, or is of small order.
    BadPublicKey,
    /// A secret key is zero or not below the secp256k1 curve order (client side only).
    BadSecretKey,
    /// The payload carries more whitespace than [`crate::PAYLOAD_WHITESPACE_MARGIN_BYTES`]
    /// plus one byte in eight of its other bytes.
    PaddedPayload {
        /// Whitespace bytes outside strings.
        whitespace_bytes: usize,
    },
    /// A Hyperliquid exchange request (see [`crate::hyperliquid`]) that is malformed, signed
    /// for another network, or of an action novation does not apply.
    HyperliquidRequest {
        /// What is wrong, naming the field.
        detail: String,
    },
}

impl TxError {
    /// The stable numeric code.
    pub const fn code(&self) -> u32 {
        match self {
            TxError::EnvelopeTooLarge { .. } => 1001,
            TxError::MalformedEnvelope { .. } => 1002,
            TxError::PayloadTooLarge { .. } => 1003,
            TxError::MalformedPayload { .. } => 1004,
            TxError::WrongChain { .. } => 1005,
            TxError::BadHex { .. } => 1006,
            TxError::BadRecoveryId { .. } => 1007,
            TxError::HighS => 1008,
            TxError::BadSignature => 1009,
            TxError::BadPublicKey => 1010,
            TxError::BadSecretKey => 1011,
            TxError::PaddedPayload { .. } => 1012,
            TxError::HyperliquidRequest { .. } => 1013,
        }
    }

    /// The fixed human-readable explanation of the code (the `Display` form adds details).
    pub const fn message(&self) -> &'static str {
        match self {
            TxError::EnvelopeTooLarge { .. } => "signed transaction envelope too large",
            TxError::MalformedEnvelope { .. } => "signed transaction envelope is not valid JSON of the expected shape",
            TxError::PayloadTooLarge { .. } => "transaction payload too large",
            TxError::MalformedPayload { .. } => "transaction payload is not valid JSON of the expected shape",
            TxError::WrongChain { .. } => "transaction is for another chain",
            TxError::BadHex { .. } => "field is not 0x followed by the expected number of hex digits",
            TxError::BadRecoveryId { .. } => "EIP-712 signature's v must be 27, 28, 0 or 1",
            TxError::HighS => "EIP-712 signature's s is not in the lower half of the curve order",
            TxError::BadSignature => "signature does not verify",
            TxError::BadPublicKey => "ed25519 public key is not a canonical point of large order",
            TxError::BadSecretKey => "secret key is zero or not below the curve order",
            TxError::PaddedPayload { .. } => "transaction payload carries padding",
            TxError::HyperliquidRequest { .. } => "Hyperliquid request is malformed or of an action not served",
        }
    }

    /// A parser error, with its text cut to [`ERROR_DETAIL_MAX_BYTES`] on a char boundary.
    pub(crate) fn detail(error: &serde_json::Error) -> String {
        let mut text = error.to_string();
        if text.len() > ERROR_DETAIL_MAX_BYTES {
            let mut cut = ERROR_DETAIL_MAX_BYTES;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        text
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}: {}", self.code(), self.message())?;
        match self {
            TxError::EnvelopeTooLarge { size_bytes } => {
                write!(f, " ({size_bytes} bytes, at most {})", crate::ENVELOPE_MAX_BYTES)
            }
            TxError::PayloadTooLarge { size_bytes } => {
                write!(f, " ({size_bytes} bytes, at most {})", crate::PAYLOAD_MAX_BYTES)
            }
            TxError::MalformedEnvelope { detail }
            | TxError::MalformedPayload { detail }
            | TxError::HyperliquidRequest { detail } => write!(f, ": {detail}"),
            TxError::WrongChain { expected, found } => write!(f, " (chain id {found}, this chain is {expected})"),
            TxError::BadHex { field, expected_bytes } => write!(f, " ({field}: {expected_bytes} bytes)"),
            TxError::BadRecoveryId { v } => write!(f, " (v = {v})"),
            TxError::PaddedPayload { whitespace_bytes } => write!(f, " ({whitespace_bytes} bytes of whitespace)"),
            TxError::HighS | TxError::BadSignature | TxError::BadPublicKey | TxError::BadSecretKey => Ok(()),
        }
    }
}

impl std::error::Error for TxError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<TxError> {
        vec![
            TxError::EnvelopeTooLarge { size_bytes: 1 },
            TxError::MalformedEnvelope { detail: String::new() },
            TxError::PayloadTooLarge { size_bytes: 1 },
            TxError::MalformedPayload { detail: String::new() },
            TxError::WrongChain { expected: 1, found: 2 },
            TxError::BadHex { field: "signature", expected_bytes: 65 },
            TxError::BadRecoveryId { v: 2 },
            TxError::HighS,
            TxError::BadSignature,
            TxError::BadPublicKey,
            TxError::BadSecretKey,
            TxError::PaddedPayload { whitespace_bytes: 1 },
            TxError::HyperliquidRequest { detail: String::new() },
        ]
    }

    #[test]
    fn codes_are_distinct_and_in_the_transaction_range() {
        let codes: Vec<u32> = every_variant().iter().map(TxError::code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
        assert!(codes.iter().all(|code| (1001..2000).contains(code)));
    }

    #[test]
    fn display_starts_with_code_and_message() {
        for error in every_variant() {
            let text = error.to_string();
            assert!(text.starts_with(&format!("error {}: {}", error.code(), error.message())), "{text}");
        }
    }

    #[test]
    fn long_parser_details_are_truncated_on_a_char_boundary() {
        let long_variant = format!("\"{}\"", "é".repeat(500));
        let error = serde_json::from_str::<u8>(&long_variant).unwrap_err();
        let detail = TxError::detail(&error);
        assert!(detail.len() <= ERROR_DETAIL_MAX_BYTES + '…'.len_utf8());
    }
}
