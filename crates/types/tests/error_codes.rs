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
