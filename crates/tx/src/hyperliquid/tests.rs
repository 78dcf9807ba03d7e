//! The signing test vectors of Hyperliquid's official Python SDK
//! (hyperliquid-dex/hyperliquid-python-sdk, `tests/signing_test.py`, version 0.23.0): for
//! each action, key and nonce there, the r, s and v the SDK's signer produced. Only those
//! facts are copied. Each test rebuilds the action's JSON as the SDK builds it (keys in the
//! SDK's order), recovers the signer from the expected signature and checks it is the
//! SDK's test key — so hashing, the EIP-712 encoding and recovery are all exercised.

use super::*;

/// The SDK's test key.
const KEY_HEX: &str = "0123456789012345678901234567890123456789012345678901234567890123";

fn key_address() -> Address {
    let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&KEY_HEX[2 * i..2 * i + 2], 16).unwrap()).collect();
    let secret = secp256k1::SecretKey::from_byte_array(bytes.try_into().unwrap()).unwrap();
    let public = secp256k1::PublicKey::from_secret_key(SECP256K1, &secret);
    let digest = keccak256(&public.serialize_uncompressed()[1..]);
    Address(digest[12..].try_into().unwrap())
}

fn action(json: &str) -> ActionValue {
    ActionValue::from_json(json).unwrap()
}

fn assert_l1(json: &str, vault: Option<&str>, network: Network, (r, s, v): (&str, &str, u64)) {
    let vault = vault.map(|v| v.parse().unwrap());
    let signature = Signature::parse(r, s, v).unwrap();
    let signer = recover_l1_signer(&action(json), 0, vault, None, network, &signature).unwrap();
    assert_eq!(signer, key_address(), "{json} on {network:?}");
}

const DUMMY: &str = r#"{"type":"dummy","num":100000000000}"#;

#[test]
fn the_phantom_agent_of_an_eth_ioc_order_matches_production() {
    let order = r#"{"type":"order","orders":[{"a":4,"b":true,"p":"1670.1","s":"0.0147","r":false,"t":{"limit":{"tif":"Ioc"}}}],"grouping":"na"}"#;
    let hash = action_hash(&action(order), 1_677_777_606_040, None, None);
    assert_eq!(format!("0x{}", hex_tail(&hash)), "0x0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908");
}

fn hex_tail(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_l1_action_recovers_to_its_signer_on_mainnet_and_testnet() {
    assert_l1(
        DUMMY,
        None,
        Network::Mainnet,
        (
            "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
            "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8",
            27,
        ),
    );
    assert_l1(
        DUMMY,
        None,
        Network::Testnet,
        (
            "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510",
            "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613",
            28,
        ),
    );
}

#[test]
fn a_signature_for_one_network_does_not_recover_to_the_signer_on_the_other() {
    let signature = Signature::parse(
        "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
        "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8",
        27,
    )
    .unwrap();
    let on_testnet = recover_l1_signer(&action(DUMMY), 0, None, None, Network::Testnet, &signature);
    assert_ne!(on_testnet.ok(), Some(key_address()));
    let other_nonce = recover_l1_signer(&action(DUMMY), 1, None, None, Network::Mainnet, &signature);
    assert_ne!(other_nonce.ok(), Some(key_address()));
}

#[test]
fn a_limit_order_recovers_with_and_without_a_cloid() {
    let order = r#"{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"limit":{"tif":"Gtc"}}}],"grouping":"na"}"#;
    assert_l1(
        order,
        None,
        Network::Mainnet,
        (
            "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
            "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e",
            28,
        ),
    );
    assert_l1(
        order,
        None,
        Network::Testnet,
        (
            "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54",
            "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5",
            27,
        ),
    );
    let with_cloid = r#"{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"limit":{"tif":"Gtc"}},"c":"0x00000000000000000000000000000001"}],"grouping":"na"}"#;
    assert_l1(
        with_cloid,
        None,
        Network::Mainnet,
        (
            "0x41ae18e8239a56cacbc5dad94d45d0b747e5da11ad564077fcac71277a946e3",
            "0x3c61f667e747404fe7eea8f90ab0e76cc12ce60270438b2058324681a00116da",
            27,
        ),
    );
    assert_l1(
        with_cloid,
        None,
        Network::Testnet,
        (
            "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
            "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988",
            28,
        ),
    );
}

#[test]
fn a_vault_action_recovers_with_the_vault_flag_and_address() {
    let vault = Some("0x1719884eb866cb12b2287399b15f7db5e7d775ea");
    assert_l1(
        DUMMY,
        vault,
        Network::Mainnet,
        (
            "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239",
            "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c",
            28,
        ),
    );
    assert_l1(
        DUMMY,
        vault,
        Network::Testnet,
        (
            "0xe281d2fb5c6e25ca01601f878e4d69c965bb598b88fac58e475dd1f5e56c362b",
            "0x7ddad27e9a238d045c035bc606349d075d5c5cd00a6cd1da23ab5c39d4ef0f60",
            27,
        ),
    );
}

#[test]
fn a_stop_loss_trigger_order_recovers() {
    let order = r#"{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"trigger":{"isMarket":true,"triggerPx":"103","tpsl":"sl"}}}],"grouping":"na"}"#;
    assert_l1(
        order,
        None,
        Network::Mainnet,
        (
            "0x98343f2b5ae8e26bb2587daad3863bc70d8792b09af1841b6fdd530a2065a3f9",
            "0x6b5bb6bb0633b710aa22b721dd9dee6d083646a5f8e581a20b545be6c1feb405",
            27,
        ),
    );
    assert_l1(
        order,
        None,
        Network::Testnet,
        (
            "0x971c554d917c44e0e1b6cc45d8f9404f32172a9d3b3566262347d0302896a2e4",
            "0x206257b104788f80450f8e786c329daa589aa0b32ba96948201ae556d5637eac",
            28,
        ),
    );
}

#[test]
fn sub_account_actions_recover() {
    let create = r#"{"type":"createSubAccount","name":"example"}"#;
    assert_l1(
        create,
        None,
        Network::Mainnet,
        (
            "0x51096fe3239421d16b671e192f574ae24ae14329099b6db28e479b86cdd6caa7",
            "0xb71f7d293af92d3772572afb8b102d167a7cef7473388286bc01f52a5c5b423",
            27,
        ),
    );
    assert_l1(
        create,
        None,
        Network::Testnet,
        (
            "0xa699e3ed5c2b89628c746d3298b5dc1cca604694c2c855da8bb8250ec8014a5b",
            "0x53f1b8153a301c72ecc655b1c315d64e1dcea3ee58921fd7507e35818fcc1584",
            28,
        ),
    );
    let transfer = r#"{"type":"subAccountTransfer","subAccountUser":"0x1d9470d4b963f552e6f671a81619d395877bf409","isDeposit":true,"usd":10}"#;
    assert_l1(
        transfer,
        None,
        Network::Mainnet,
        (
            "0x43592d7c6c7d816ece2e206f174be61249d651944932b13343f4d13f306ae602",
            "0x71a926cb5c9a7c01c3359ec4c4c34c16ff8107d610994d4de0e6430e5cc0f4c9",
            28,
        ),
    );
    assert_l1(
        transfer,
        None,
        Network::Testnet,
        (
            "0xe26574013395ad55ee2f4e0575310f003c5bb3351b5425482e2969fa51543927",
            "0xefb08999196366871f919fd0e138b3a7f30ee33e678df7cfaf203e25f0a4278",
            28,
        ),
    );
}

#[test]
fn schedule_cancel_recovers_with_and_without_a_time() {
    let bare = r#"{"type":"scheduleCancel"}"#;
    assert_l1(
        bare,
        None,
        Network::Mainnet,
        (
            "0x6cdfb286702f5917e76cd9b3b8bf678fcc49aec194c02a73e6d4f16891195df9",
            "0x6557ac307fa05d25b8d61f21fb8a938e703b3d9bf575f6717ba21ec61261b2a0",
            27,
        ),
    );
    assert_l1(
        bare,
        None,
        Network::Testnet,
        (
            "0xc75bb195c3f6a4e06b7d395acc20bbb224f6d23ccff7c6a26d327304e6efaeed",
            "0x342f8ede109a29f2c0723bd5efb9e9100e3bbb493f8fb5164ee3d385908233df",
            28,
        ),
    );
    let timed = r#"{"type":"scheduleCancel","time":123456789}"#;
    assert_l1(
        timed,
        None,
        Network::Mainnet,
        (
            "0x609cb20c737945d070716dcc696ba030e9976fcf5edad87afa7d877493109d55",
            "0x16c685d63b5c7a04512d73f183b3d7a00da5406ff1f8aad33f8ae2163bab758b",
            28,
        ),
    );
    assert_l1(
        timed,
        None,
        Network::Testnet,
        (
            "0x4e4f2dbd4107c69783e251b7e1057d9f2b9d11cee213441ccfa2be63516dc5bc",
            "0x706c656b23428c8ba356d68db207e11139ede1670481a9e01ae2dfcdb0e1a678",
            27,
        ),
    );
}

fn assert_user_signed(json: &str, (r, s, v): (&str, &str, u64)) {
    let hash = user_signed_hash(&action(json)).unwrap();
    let signer = recover(hash, &Signature::parse(r, s, v).unwrap()).unwrap();
    assert_eq!(signer, key_address(), "{json}");
}

#[test]
fn a_testnet_usd_transfer_recovers_under_the_sign_transaction_domain() {
    // The SDK adds signatureChainId 0x66eee and hyperliquidChain before signing.
    let usd_send = r#"{"type":"usdSend","destination":"0x5e9ee1089755c3435139848e47e6635505d5a13a","amount":"1","time":1687816341423,"signatureChainId":"0x66eee","hyperliquidChain":"Testnet"}"#;
    assert_user_signed(
        usd_send,
        (
            "0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073",
            "0x11a6a24900e6e314136d2592e2f8d502cd89b7c15b198e1bee043c9589f9fad7",
            27,
        ),
    );
}

#[test]
fn a_testnet_withdrawal_recovers_under_the_sign_transaction_domain() {
    let withdraw = r#"{"type":"withdraw3","destination":"0x5e9ee1089755c3435139848e47e6635505d5a13a","amount":"1","time":1687816341423,"signatureChainId":"0x66eee","hyperliquidChain":"Testnet"}"#;
    assert_user_signed(
        withdraw,
        (
            "0x8363524c799e90ce9bc41022f7c39b4e9bdba786e5f9c72b20e43e1462c37cf9",
            "0x58b1411a775938b83e29182e8ef74975f9054c8e97ebf5ec2dc8d51bfc893881",
            28,
        ),
    );
}

#[test]
fn user_signed_actions_need_a_known_type_and_every_field() {
    let unknown = action(r#"{"type":"launchRocket","signatureChainId":"0x66eee"}"#);
    assert!(matches!(user_signed_hash(&unknown), Err(SignatureError::UnknownUserAction(_))));
    let missing =
        action(r#"{"type":"usdSend","amount":"1","time":1,"signatureChainId":"0x66eee","hyperliquidChain":"Testnet"}"#);
    assert!(matches!(user_signed_hash(&missing), Err(SignatureError::UnknownUserAction(_))));
    let no_chain = action(r#"{"type":"usdSend","destination":"x","amount":"1","time":1,"hyperliquidChain":"Testnet"}"#);
    assert!(user_signed_hash(&no_chain).is_err());
}

#[test]
fn malformed_signatures_are_refused() {
    assert!(Signature::parse("0x", "0x01", 27).is_err());
    assert!(Signature::parse("0x01", "0xzz", 27).is_err());
    assert!(Signature::parse(&format!("0x{}", "1".repeat(65)), "0x01", 27).is_err());
    assert!(Signature::parse("0x01", "0x01", 29).is_err());
    assert_eq!(Signature::parse("0x01", "0x02", 1).unwrap().v, 28);
    let zero = Signature { r: [0; 32], s: [0; 32], v: 27 };
    assert_eq!(recover([1; 32], &zero), Err(SignatureError::Unrecoverable));
}

/// The SDK's testnet signature of its limit-order vector, as a whole request.
const TESTNET_ORDER: &str = r#"{"action":{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"limit":{"tif":"Gtc"}}}],"grouping":"na"},"nonce":0,"signature":{"r":"0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54","s":"0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5","v":27},"vaultAddress":null}"#;

#[test]
fn a_signed_request_becomes_its_signers_transaction_and_a_changed_one_does_not() {
    use novation_types::hyperliquid::{HlActionKind, HlTif};
    let (tx, _) = verify_request(TESTNET_ORDER, Network::Testnet).unwrap();
    assert_eq!(tx.sender, key_address());
    assert_eq!((tx.agent, tx.nonce), (None, 0));
    let Some(novation_types::Action::Hyperliquid(action)) = tx.actions.first() else { panic!("{tx:?}") };
    let HlActionKind::Order(orders) = &action.kind else { panic!("{action:?}") };
    assert_eq!(
        (orders[0].asset, orders[0].price.to_string(), orders[0].size.to_string()),
        (1, "100".into(), "100".into())
    );
    assert_eq!(orders[0].kind, novation_types::hyperliquid::HlOrderKind::Limit(HlTif::Gtc));
    // The gateway cannot alter what was signed: another price recovers another key.
    let (altered, _) =
        verify_request(&TESTNET_ORDER.replacen("\"p\":\"100\"", "\"p\":\"101\"", 1), Network::Testnet).unwrap();
    assert_ne!(altered.sender, key_address());
    // On a chain that accepts mainnet signatures, the same bytes are another key's.
    let (mainnet, _) = verify_request(TESTNET_ORDER, Network::Mainnet).unwrap();
    assert_ne!(mainnet.sender, key_address());
    // Nor add fields.
    let extra = TESTNET_ORDER.replacen("\"nonce\":0", "\"nonce\":0,\"memo\":1", 1);
    assert!(matches!(verify_request(&extra, Network::Testnet), Err(crate::TxError::HyperliquidRequest { .. })));
}

#[test]
fn unserved_actions_and_oversized_cloids_are_refused_with_the_field_named() {
    for (action, expected) in [
        (r#"{"type":"order","orders":[],"grouping":"na"}"#, "1 to 64 items"),
        (
            r#"{"type":"order","orders":[{"a":0,"b":true,"p":"1","s":"1","r":false,"t":{"limit":{"tif":"Gtd"}}}],"grouping":"na"}"#,
            "Gtc, Ioc or Alo",
        ),
        (
            r#"{"type":"order","orders":[{"a":0,"b":true,"p":"1","s":"1","r":false,"t":{"limit":{"tif":"Gtc"}},"c":"0x0100000000000000000000000000000a"}],"grouping":"na"}"#,
            "64-bit",
        ),
        (
            r#"{"type":"order","orders":[{"a":0,"b":true,"p":"1e3","s":"1","r":false,"t":{"limit":{"tif":"Gtc"}}}],"grouping":"na"}"#,
            "not a decimal",
        ),
        (r#"{"type":"order","orders":[],"grouping":"normalTpsl"}"#, "grouping"),
        (r#"{"type":"twapOrder","twap":{}}"#, "not served"),
    ] {
        let error = action::l1_action(&ActionValue::from_json(action).unwrap()).unwrap_err();
        assert!(error.contains(expected), "{action} → {error}");
    }
    assert_eq!(action::parse_cloid("0x0000000000000000000000000000000a"), Ok(10));
}
