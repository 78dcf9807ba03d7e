//! The commitment entries: which keys change, and their values.

mod common;

use common::*;
use novation_protocol::presets::USD;
use novation_protocol::{ComponentKey, StateKey};

fn sections() -> Vec<StateKey> {
    ComponentKey::ALL.into_iter().map(StateKey::Component).collect()
}

#[test]
fn a_deposit_changes_the_subaccount_the_nonce_and_the_sections() {
    let mut chain = Chain::new();
    let _ = chain.state.take_changed_keys();
    let alice = trader(1);
    chain.deposit(alice, USD, "100");
    let keys = chain.state.take_changed_keys();
    assert!(sections().iter().all(|key| keys.contains(key)));
    assert!(keys.contains(&StateKey::Subaccount(sub(alice))));
    assert!(keys.contains(&StateKey::Nonce(alice)));
    let value = chain.state.commitment_value(&StateKey::Subaccount(sub(alice))).unwrap();
    let again = chain.state.commitment_value(&StateKey::Subaccount(sub(alice))).unwrap();
    assert_eq!(value, again, "encoding is deterministic");
    assert_eq!(chain.state.take_changed_keys(), sections(), "nothing else changed since");
    assert!(chain.state.commitment_keys().contains(&StateKey::Nonce(alice)));
    assert_eq!(chain.state.commitment_value(&StateKey::Subaccount(sub(trader(99)))), None);
    assert_eq!(StateKey::Subaccount(sub(alice)).to_bytes().len(), 23);
}
