//! Error codes are a published contract: unique, stable, and all documented.

use std::collections::BTreeSet;

use novation_types::ErrorCode;

#[test]
fn error_codes_are_unique_and_numbered_in_order() {
    let codes: Vec<u32> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
    let unique: BTreeSet<u32> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len());
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn every_error_code_is_documented_for_users() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md")).expect("docs");
    for code in ErrorCode::ALL {
        let row = format!("| {} | `{:?}` | {} |", code.code(), code, code.message());
        assert!(docs.contains(&row), "docs/protocol.md lacks: {row}");
    }
}

#[test]
fn addresses_are_hex_strings_in_json() {
    let address = novation_types::Address::from_index(0xabcdef);
    let json = serde_json::to_string(&address).unwrap();
    assert_eq!(json, "\"0x0000000000000000000000000000000000abcdef\"");
    assert_eq!(serde_json::from_str::<novation_types::Address>(&json).unwrap(), address);
    assert!("0x123".parse::<novation_types::Address>().is_err());
    assert!("0xzz00000000000000000000000000000000abcdef".parse::<novation_types::Address>().is_err());
}
