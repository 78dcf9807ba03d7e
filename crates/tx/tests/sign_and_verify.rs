//! Sign → verify round trips for both schemes, and every way an envelope can be refused:
//! tampering, another chain, swapped signatures, malformed fields, and arbitrary input that
//! must never panic.

use novation_math::Decimal;
use novation_tx::{
    signing_hash, verify, verify_json, verify_signature_only, Ed25519Signer, Eip712Signer, SignedTransaction, TxError,
    TxPayload, TxSignature, PAYLOAD_MAX_BYTES,
};
use novation_types::action;
use novation_types::{Action, Address, AssetId, MarketId, OrderAction, OrderRequest, Side, Transaction};
use proptest::prelude::*;

const CHAIN_ID: u64 = 31_337;

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn trading_actions() -> Vec<Action> {
    vec![
        Action::Deposit(action::Deposit { subaccount: 0, asset: AssetId(0), amount: amount("1000.25") }),
        Action::Order(OrderAction::Place(OrderRequest::limit(0, MarketId(1), Side::Buy, 65_000, 3).with_client_id(11))),
        Action::Batch(vec![
            OrderAction::CancelByClientId(action::CancelByClientId { subaccount: 0, client_order_id: 11 }),
            OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None }),
        ]),
    ]
}

fn eip712_signer() -> Eip712Signer {
    Eip712Signer::from_seed([0x21; 32])
}

fn ed25519_signer() -> Ed25519Signer {
    Ed25519Signer::from_seed([0x42; 32])
}

/// Both schemes, each signing a payload for its own account.
fn own_transactions(nonce: u64) -> Vec<(Address, SignedTransaction)> {
    let eip712 = eip712_signer();
    let ed25519 = ed25519_signer();
    vec![
        (eip712.address(), eip712.sign(&TxPayload::new(CHAIN_ID, eip712.address(), nonce, trading_actions()))),
        (ed25519.address(), ed25519.sign(&TxPayload::new(CHAIN_ID, ed25519.address(), nonce, trading_actions()))),
    ]
}

/// What a verification proves about who signed: `None` for an error, else (sender, agent).
fn signer_seen(result: &Result<Transaction, TxError>) -> Option<(Address, Option<Address>)> {
    result.as_ref().ok().map(|tx| (tx.sender, tx.agent))
}

#[test]
fn own_account_transactions_verify_with_no_agent() {
    for (address, signed) in own_transactions(5) {
        let tx = verify(CHAIN_ID, &signed).unwrap();
        assert_eq!(tx, Transaction { sender: address, agent: None, nonce: 5, actions: trading_actions() });
        assert_eq!(tx.signer(), address);
        let again = verify_json(CHAIN_ID, signed.to_json().as_bytes()).unwrap();
        assert_eq!(again, tx);
    }
}

#[test]
fn a_key_signing_for_another_account_is_reported_as_its_agent() {
    let account = Address::from_index(77);
    let eip712 = eip712_signer();
    let ed25519 = ed25519_signer();
    let payload = TxPayload::new(CHAIN_ID, account, 0, trading_actions());
    for (agent, signed) in [(eip712.address(), eip712.sign(&payload)), (ed25519.address(), ed25519.sign(&payload))] {
        let tx = verify(CHAIN_ID, &signed).unwrap();
        assert_eq!(tx.sender, account);
        assert_eq!(tx.agent, Some(agent));
        assert_eq!(tx.signer(), agent, "nonces are counted per signer: the agent's");
    }
}

#[test]
fn another_chain_is_refused_by_name() {
    for (_, signed) in own_transactions(1) {
        assert_eq!(verify(CHAIN_ID + 1, &signed), Err(TxError::WrongChain { expected: CHAIN_ID + 1, found: CHAIN_ID }));
    }
}

#[test]
fn payload_signed_for_one_chain_but_relabelled_for_another_does_not_verify_as_its_signer() {
    for (address, signed) in own_transactions(1) {
        let relabelled = SignedTransaction {
            payload: signed.payload.replacen(&format!("\"chain_id\":{CHAIN_ID}"), "\"chain_id\":1", 1),
            signature: signed.signature.clone(),
        };
        let seen = signer_seen(&verify(1, &relabelled));
        assert_ne!(seen, Some((address, None)), "a relabelled payload must not pass as the signer's own");
    }
}

#[test]
fn tampered_payload_never_verifies_as_the_original_signer() {
    for (address, signed) in own_transactions(2) {
        let tampered = [
            signed.payload.replacen("1000.25", "9000.25", 1),
            signed.payload.replacen("\"nonce\":2", "\"nonce\":3", 1),
            signed.payload.replacen('{', "{ ", 1),
        ];
        for payload in tampered {
            assert_ne!(payload, signed.payload);
            let result = verify(CHAIN_ID, &SignedTransaction { payload, signature: signed.signature.clone() });
            // ed25519 names its key, so the check fails outright; EIP-712 recovery yields some
            // other key, which the protocol then refuses as an unauthorised agent.
            match &signed.signature {
                TxSignature::Ed25519 { .. } => assert_eq!(result, Err(TxError::BadSignature)),
                TxSignature::Eip712 { .. } => {
                    let seen = signer_seen(&result);
                    assert!(seen.is_none() || seen.is_some_and(|(_, agent)| agent.is_some_and(|a| a != address)));
                }
                TxSignature::Hyperliquid => panic!("own_transactions signs natively"),
            }
        }
    }
}

#[test]
fn signatures_swapped_between_transactions_do_not_verify_as_their_signer() {
    let signer = eip712_signer();
    let ed = ed25519_signer();
    let first = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 1, trading_actions()));
    let second = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 2, trading_actions()));
    let swapped = SignedTransaction { payload: first.payload.clone(), signature: second.signature.clone() };
    assert_ne!(signer_seen(&verify(CHAIN_ID, &swapped)), Some((signer.address(), None)));

    let ed_first = ed.sign(&TxPayload::new(CHAIN_ID, ed.address(), 1, trading_actions()));
    let ed_second = ed.sign(&TxPayload::new(CHAIN_ID, ed.address(), 2, trading_actions()));
    let ed_swapped = SignedTransaction { payload: ed_first.payload, signature: ed_second.signature };
    assert_eq!(verify(CHAIN_ID, &ed_swapped), Err(TxError::BadSignature));
}

#[test]
fn ed25519_signature_under_another_public_key_is_refused() {
    let signer = ed25519_signer();
    let other = Ed25519Signer::from_seed([0x43; 32]);
    let signed = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), 0, trading_actions()));
    let TxSignature::Ed25519 { signature, .. } = signed.signature else { unreachable!() };
    let forged = SignedTransaction {
        payload: signed.payload,
        signature: TxSignature::Ed25519 { public_key: format!("0x{}", hex_of(&other.public_key())), signature },
    };
    assert_eq!(verify(CHAIN_ID, &forged), Err(TxError::BadSignature));
}

#[test]
fn verify_signature_only_recovers_the_same_signer_as_verify() {
    for (address, signed) in own_transactions(9) {
        let hash = signing_hash(CHAIN_ID, signed.payload.as_bytes(), address, 9);
        assert_eq!(verify_signature_only(&hash, &signed.signature), Ok(address));
    }
}

#[test]
fn malformed_fields_get_their_own_error() {
    let (_, signed) = own_transactions(0).remove(0);
    let with_signature = |text: &str| SignedTransaction {
        payload: signed.payload.clone(),
        signature: TxSignature::Eip712 { signature: text.to_string() },
    };
    let bad_hex = Err(TxError::BadHex { field: "signature", expected_bytes: 65 });
    assert_eq!(verify(CHAIN_ID, &with_signature("")), bad_hex);
    assert_eq!(verify(CHAIN_ID, &with_signature("0x1234")), bad_hex);
    assert_eq!(verify(CHAIN_ID, &with_signature(&format!("0x{}", "zz".repeat(65)))), bad_hex);
    assert_eq!(
        verify(CHAIN_ID, &with_signature(&format!("0x{}05", "11".repeat(64)))),
        Err(TxError::BadRecoveryId { v: 5 })
    );

    let bad_key = SignedTransaction {
        payload: signed.payload.clone(),
        signature: TxSignature::Ed25519 { public_key: "0x00".into(), signature: format!("0x{}", "00".repeat(64)) },
    };
    assert_eq!(verify(CHAIN_ID, &bad_key), Err(TxError::BadHex { field: "public_key", expected_bytes: 32 }));

    let not_json = SignedTransaction { payload: "{\"chain_id\":".into(), signature: signed.signature.clone() };
    assert!(matches!(verify(CHAIN_ID, &not_json), Err(TxError::MalformedPayload { .. })));

    let too_large = SignedTransaction { payload: " ".repeat(PAYLOAD_MAX_BYTES + 1), signature: signed.signature };
    assert_eq!(verify(CHAIN_ID, &too_large), Err(TxError::PayloadTooLarge { size_bytes: PAYLOAD_MAX_BYTES + 1 }));

    assert!(matches!(verify_json(CHAIN_ID, b"[1,2]"), Err(TxError::MalformedEnvelope { .. })));
    assert!(matches!(verify_json(CHAIN_ID, &[0xff, 0xfe]), Err(TxError::MalformedEnvelope { .. })));
}

#[test]
fn deeply_nested_payload_is_malformed_not_a_stack_overflow() {
    let (_, signed) = own_transactions(0).remove(0);
    let payload = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    let result = verify(CHAIN_ID, &SignedTransaction { payload, signature: signed.signature });
    assert!(matches!(result, Err(TxError::MalformedPayload { .. })));
}

#[test]
fn payload_signed_from_hand_written_json_is_accepted_as_written() {
    // A client's own encoder may space and order keys differently: the node hashes the text
    // it received, so any valid spelling works.
    let signer = eip712_signer();
    let payload = format!(
        "{{ \"actions\": [ {{\"Deposit\": {{\"amount\": \"5\", \"asset\": 0, \"subaccount\": 2}}}} ],\n  \"nonce\": 4, \"account\": \"{}\", \"chain_id\": {CHAIN_ID} }}",
        signer.address()
    );
    let hash = signing_hash(CHAIN_ID, payload.as_bytes(), signer.address(), 4);
    let signature = TxSignature::Eip712 { signature: format!("0x{}", hex_of(&signer.sign_hash(&hash))) };
    let tx = verify(CHAIN_ID, &SignedTransaction { payload, signature }).unwrap();
    assert_eq!(
        tx.actions,
        vec![Action::Deposit(action::Deposit { subaccount: 2, asset: AssetId(0), amount: amount("5") })]
    );
    assert_eq!(tx.agent, None);
}

#[test]
fn signers_load_from_hex_and_keep_their_address() {
    let eip712 = eip712_signer();
    let reloaded = Eip712Signer::from_hex(&format!("0x{}", hex_of(&eip712.secret_key_bytes()))).unwrap();
    assert_eq!(reloaded.address(), eip712.address());
    let ed = ed25519_signer();
    assert_eq!(Ed25519Signer::from_hex(&hex_of(&ed.secret_key_bytes())).unwrap().address(), ed.address());
    assert_eq!(
        Eip712Signer::from_hex("0x12").unwrap_err(),
        TxError::BadHex { field: "secret_key", expected_bytes: 32 }
    );
    assert!(!format!("{eip712:?}{ed:?}").contains(&hex_of(&ed.secret_key_bytes())), "Debug hides secrets");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn arbitrary_signature() -> impl Strategy<Value = TxSignature> {
    prop_oneof![
        any::<String>().prop_map(|signature| TxSignature::Eip712 { signature }),
        prop::collection::vec(any::<u8>(), 65)
            .prop_map(|bytes| TxSignature::Eip712 { signature: format!("0x{}", hex_of(&bytes)) }),
        (any::<[u8; 32]>(), prop::collection::vec(any::<u8>(), 64)).prop_map(|(key, sig)| TxSignature::Ed25519 {
            public_key: format!("0x{}", hex_of(&key)),
            signature: format!("0x{}", hex_of(&sig)),
        }),
        (any::<String>(), any::<String>())
            .prop_map(|(public_key, signature)| TxSignature::Ed25519 { public_key, signature }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_envelope_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = verify_json(CHAIN_ID, &bytes);
    }

    #[test]
    fn arbitrary_payload_text_and_signature_never_panic(payload in any::<String>(), signature in arbitrary_signature()) {
        let _ = verify(CHAIN_ID, &SignedTransaction { payload, signature });
    }

    #[test]
    fn arbitrary_field_values_in_a_well_formed_payload_never_panic(amount in any::<String>(), number in any::<i128>(), digits in "[0-9.eE+-]{0,60}") {
        let signer = eip712_signer();
        let amount = serde_json::to_string(&amount).unwrap();
        for (amount, subaccount) in [(amount, number.to_string()), (format!("\"{digits}\""), digits.clone())] {
            let payload = format!(
                r#"{{"chain_id":{CHAIN_ID},"account":"{}","nonce":0,"actions":[{{"Deposit":{{"subaccount":{subaccount},"asset":0,"amount":{amount}}}}}]}}"#,
                signer.address()
            );
            let hash = signing_hash(CHAIN_ID, payload.as_bytes(), signer.address(), 0);
            let signature = TxSignature::Eip712 { signature: format!("0x{}", hex_of(&signer.sign_hash(&hash))) };
            let _ = verify(CHAIN_ID, &SignedTransaction { payload, signature });
        }
    }

    #[test]
    fn random_signatures_on_a_valid_payload_never_verify_as_the_account(signature in arbitrary_signature()) {
        let signer = eip712_signer();
        let payload = TxPayload::new(CHAIN_ID, signer.address(), 0, trading_actions()).to_json();
        let result = verify(CHAIN_ID, &SignedTransaction { payload, signature });
        prop_assert_ne!(signer_seen(&result), Some((signer.address(), None)));
    }

    #[test]
    fn any_payload_round_trips_for_both_schemes(nonce in any::<u64>(), chain_id in any::<u64>(), seed in any::<[u8; 32]>(), index in any::<u64>()) {
        let account = Address::from_index(index);
        let payload = TxPayload::new(chain_id, account, nonce, trading_actions());
        for signed in [Eip712Signer::from_seed(seed).sign(&payload), Ed25519Signer::from_seed(seed).sign(&payload)] {
            let tx = verify(chain_id, &signed).unwrap();
            prop_assert_eq!(tx.sender, account);
            prop_assert_eq!(tx.nonce, nonce);
            prop_assert!(tx.agent.is_some());
        }
    }

    #[test]
    fn flipping_any_signature_bit_never_keeps_the_signer(bit in 0usize..(65 * 8)) {
        let signer = eip712_signer();
        let payload = TxPayload::new(CHAIN_ID, signer.address(), 0, trading_actions()).to_json();
        let hash = signing_hash(CHAIN_ID, payload.as_bytes(), signer.address(), 0);
        let mut signature = signer.sign_hash(&hash);
        signature[bit / 8] ^= 1 << (bit % 8);
        let signature = TxSignature::Eip712 { signature: format!("0x{}", hex_of(&signature)) };
        prop_assert_ne!(verify_signature_only(&hash, &signature), Ok(signer.address()));
    }
}
