//! `POST /exchange`: Hyperliquid's signed actions. Not executed yet — novation's
//! transactions are signed with novation's own envelope, and a node accepting a Hyperliquid
//! signature in its place is a change to the transaction format still to come
//! (docs/hyperliquid.md). What is served now: the request is checked and its signer recovered,
//! and the answer is Hyperliquid's action error, HTTP 200 `{"status": "err", "response": …}`,
//! naming the recovered signer, so a client sees a clear refusal (and which key it signed
//! with), never a silent success.
//!
//! Only testnet signatures are recovered (L1 source `"b"`, `hyperliquidChain` `"Testnet"`):
//! clients sign as testnet against any URL that is not Hyperliquid's mainnet.

use serde_json::{json, Value};

use crate::signing::{self, ActionValue, Network, Signature};

/// The fields an exchange request may have.
const FIELDS: [&str; 5] = ["action", "nonce", "signature", "vaultAddress", "expiresAfter"];

fn refuse(message: impl Into<String>) -> Value {
    json!({"status": "err", "response": message.into()})
}

fn parse_signature(value: Option<&ActionValue>) -> Result<Signature, String> {
    let part = |name: &str| value.and_then(|v| v.get(name));
    let (Some(ActionValue::Str(r)), Some(ActionValue::Str(s)), Some(ActionValue::UInt(v))) =
        (part("r"), part("s"), part("v"))
    else {
        return Err("`signature` must be {r, s, v}".into());
    };
    Signature::parse(r, s, *v).map_err(|e| e.to_string())
}

/// Who signed the request's action, as Hyperliquid's exchange would recover it on testnet.
fn signer(request: &ActionValue) -> Result<(String, novation_types::Address), String> {
    let ActionValue::Object(entries) = request else { return Err("the body must be a JSON object".into()) };
    if let Some((unknown, _)) = entries.iter().find(|(key, _)| !FIELDS.contains(&key.as_str())) {
        return Err(format!("unknown field `{unknown}` (fields: {})", FIELDS.join(", ")));
    }
    let action = request.get("action").ok_or("`action` is required")?;
    let kind = action.get("type").and_then(ActionValue::as_str).ok_or("`action.type` is required")?.to_string();
    let Some(ActionValue::UInt(nonce)) = request.get("nonce") else { return Err("`nonce` must be an integer".into()) };
    let signature = parse_signature(request.get("signature"))?;
    if signing::USER_SIGNED_ACTIONS.iter().any(|(wire, _, _)| *wire == kind) {
        let chain = action.get("hyperliquidChain").and_then(ActionValue::as_str);
        if chain != Some(Network::Testnet.chain_name()) {
            return Err(format!("{kind}: only Testnet actions are accepted (hyperliquidChain {chain:?})"));
        }
        let hash = signing::user_signed_hash(action).map_err(|e| e.to_string())?;
        return Ok((kind, signing::recover(hash, &signature).map_err(|e| e.to_string())?));
    }
    let vault = match request.get("vaultAddress") {
        None | Some(ActionValue::Null) => None,
        Some(ActionValue::Str(text)) => Some(text.parse().map_err(|_| "`vaultAddress` must be an address")?),
        Some(_) => return Err("`vaultAddress` must be an address".into()),
    };
    let expires_after = match request.get("expiresAfter") {
        None | Some(ActionValue::Null) => None,
        Some(ActionValue::UInt(ms)) => Some(*ms),
        Some(_) => return Err("`expiresAfter` must be an integer".into()),
    };
    let signer = signing::recover_l1_signer(action, *nonce, vault, expires_after, Network::Testnet, &signature)
        .map_err(|e| e.to_string())?;
    Ok((kind, signer))
}

/// Answers one exchange request (always HTTP 200, as Hyperliquid answers action errors).
pub(crate) fn answer(body: &[u8]) -> Value {
    let Ok(text) = std::str::from_utf8(body) else { return refuse("the body is not UTF-8") };
    let request = match ActionValue::from_json(text) {
        Ok(request) => request,
        Err(error) => return refuse(format!("Failed to deserialize the JSON body: {error}")),
    };
    match signer(&request) {
        Ok((kind, signer)) => refuse(format!(
            "novation does not execute Hyperliquid actions yet: the {kind} action signed by {signer} was not \
             applied; trade through novation's own API (docs/hyperliquid.md)"
        )),
        Err(why) => refuse(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_testnet_order_is_refused_naming_its_recovered_signer() {
        // The SDK's testnet signature of its limit-order vector (tests/signing_test.py).
        let body = r#"{"action":{"type":"order","orders":[{"a":1,"b":true,"p":"100","s":"100","r":false,"t":{"limit":{"tif":"Gtc"}}}],"grouping":"na"},"nonce":0,"signature":{"r":"0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54","s":"0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5","v":27},"vaultAddress":null}"#;
        let answer = answer(body.as_bytes());
        assert_eq!(answer["status"], "err");
        let text = answer["response"].as_str().unwrap();
        // The address of the SDK's test key 0x0123…0123.
        assert!(text.contains("order action signed by 0x14791697260e4c9a71f18484c9f997b308e59325"), "{text}");
    }

    #[test]
    fn malformed_exchange_requests_get_action_errors() {
        for (body, expected) in [
            ("{", "deserialize"),
            (
                r#"{"action":{"type":"order"},"nonce":1,"signature":{"r":"0x1","s":"0x1","v":27},"extra":1}"#,
                "unknown field",
            ),
            (r#"{"action":{"type":"order"},"nonce":1.5,"signature":{}}"#, "deserialize"),
            (r#"{"action":{"type":"order"},"nonce":1,"signature":{"r":"0x1"}}"#, "{r, s, v}"),
            (r#"{"nonce":1}"#, "`action`"),
            (
                r#"{"action":{"type":"usdSend","hyperliquidChain":"Mainnet","signatureChainId":"0x1","destination":"0x0","amount":"1","time":1},"nonce":1,"signature":{"r":"0x1","s":"0x1","v":27}}"#,
                "Testnet",
            ),
        ] {
            let answer = answer(body.as_bytes());
            assert_eq!(answer["status"], "err", "{body}");
            assert!(answer["response"].as_str().unwrap().contains(expected), "{body} → {answer}");
        }
    }
}
