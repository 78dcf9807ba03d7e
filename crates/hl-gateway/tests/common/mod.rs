//! What the gateway's tests share: temporary data directories and Hyperliquid requests signed
//! in Rust (as a client's SDK would sign them).
#![allow(dead_code)]

use std::path::PathBuf;

use novation_tx::hyperliquid::{action_hash, l1_signing_hash, ActionValue, Network};
use novation_tx::{Eip712Signer, SignedTransaction, TxSignature};

/// A fresh temporary directory for test `name`.
pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-hl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The `/exchange` body of a `noop` signed by `key` for `network`.
pub(crate) fn noop_request(key: &Eip712Signer, nonce: u64, network: Network) -> String {
    let action = r#"{"type":"noop"}"#;
    let hash = l1_signing_hash(action_hash(&ActionValue::from_json(action).unwrap(), nonce, None, None), network);
    let signature = key.sign_hash(&hash);
    let word = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    format!(
        r#"{{"action":{action},"nonce":{nonce},"signature":{{"r":"0x{}","s":"0x{}","v":{}}},"vaultAddress":null}}"#,
        word(&signature[..32]),
        word(&signature[32..64]),
        signature[64]
    )
}

/// A `noop` request signed by `key` for `network`.
pub(crate) fn noop(key: &Eip712Signer, nonce: u64, network: Network) -> SignedTransaction {
    SignedTransaction { payload: noop_request(key, nonce, network), signature: TxSignature::Hyperliquid }
}
