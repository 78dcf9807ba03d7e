//! `POST /exchange`: Hyperliquid's signed actions, executed by the chain.
//!
//! ```text
//!  body ─► request_action (novation-tx: the request's shape and its typed action)
//!       ─► SignedTransaction { payload: the body, byte for byte, signature: Hyperliquid }
//!       ─► Node::submit (every node recovers the signer from the same bytes)
//!       ─► after each committed block: included yet? ─► its events ─► Hyperliquid's statuses
//! ```
//!
//! The gateway holds no state and signs nothing: what reaches the chain is exactly what the
//! client signed, and the protocol decides (module `novation_protocol::hyperliquid`). Actions
//! with no meaning on novation (`setReferrer`, `approveBuilderFee`, `usdClassTransfer`) are
//! answered `ok` once their signature checks, and change nothing. Every refusal is
//! Hyperliquid's action error, HTTP 200 `{"status": "err", "response": …}`.

mod statuses;

use std::time::Duration;

use novation_node::{Node, NodeError};
use novation_tx::hyperliquid::{recover_request, request_action};
use novation_tx::{SignedTransaction, TxSignature};
use novation_types::hyperliquid::HlActionKind;
use serde_json::{json, Value};

use crate::wire;

/// Actions that mean nothing on novation: answered `ok` once signed, never sent to the chain.
const NO_EFFECT_ACTIONS: [&str; 3] = ["setReferrer", "approveBuilderFee", "usdClassTransfer"];

fn refuse(message: impl Into<String>) -> Value {
    json!({"status": "err", "response": message.into()})
}

fn ok(response: Value) -> Value {
    json!({"status": "ok", "response": response})
}

fn node_refusal(error: &NodeError) -> String {
    match error {
        NodeError::Rejected(rejected) => statuses::error_text(rejected.code, None),
        other => other.to_string(),
    }
}

/// Answers one exchange request (always HTTP 200, as Hyperliquid answers action errors),
/// waiting at most `wait` for the block that includes it.
pub(crate) async fn answer(node: Node, body: bytes::Bytes, wait: Duration) -> Value {
    let Ok(text) = String::from_utf8(body.to_vec()) else { return refuse("the body is not UTF-8") };
    // Followed from before submission, so the block that includes it cannot be missed.
    let mut heights = node.block_heights();
    // Signature recovery is CPU work: off the connection threads.
    let checked = {
        let node = node.clone();
        tokio::task::spawn_blocking(move || submit(&node, text)).await
    };
    let (action, hash) = match checked {
        Ok(Ok(Submitted::Done(answer))) => return answer,
        Ok(Ok(Submitted::Pending(action, hash))) => (action, hash),
        Ok(Err(why)) => return refuse(why),
        Err(_) => return refuse("the request could not be checked"),
    };
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match node.included_transaction(&hash) {
            Ok(Some(included)) => return node.with_state(|state| outcome(state, &action, included)),
            Ok(None) => {}
            Err(error) => return refuse(error.to_string()),
        }
        match tokio::time::timeout_at(deadline, heights.next()).await {
            Ok(Some(_)) => {}
            Ok(None) => return refuse("the node stopped before the action reached a block"),
            Err(_) => break,
        }
    }
    if node.is_pending(&hash) {
        return refuse(format!(
            "the action is still waiting for a block after {} ms (transaction 0x{})",
            wait.as_millis(),
            novation_node::hex(&hash)
        ));
    }
    refuse("the action was dropped before it reached a block")
}

enum Submitted {
    /// Answered without the chain.
    Done(Value),
    /// Admitted: the action and the transaction's id.
    Pending(HlActionKind, novation_node::Hash32),
}

/// Checks the request's shape and submits it; the node recovers the signer (once) on
/// admission. An action with no effect on novation is answered once its signature checks.
fn submit(node: &Node, text: String) -> Result<Submitted, String> {
    let (kind, action) = request_action(&text).map_err(|e| e.to_string())?;
    if NO_EFFECT_ACTIONS.contains(&kind.as_str()) {
        let network = node.with_state(|state| novation_node::hyperliquid_network(state.params()));
        recover_request(&text, network).map_err(|e| e.to_string())?;
        return Ok(Submitted::Done(ok(json!({"type": "default"}))));
    }
    let action = action.map_err(|e| e.to_string())?;
    let envelope = SignedTransaction { payload: text, signature: TxSignature::Hyperliquid };
    let admitted = node.submit(envelope).map_err(|e| node_refusal(&e))?;
    Ok(Submitted::Pending(action, admitted.tx_hash))
}

/// The answer for an included transaction.
fn outcome(state: &novation_protocol::State, action: &HlActionKind, included: novation_node::IncludedTx) -> Value {
    if let Err(rejected) = included.result {
        return refuse(statuses::error_text(rejected.code, None));
    }
    let coins = wire::universe(state);
    let events = &included.events;
    match action {
        HlActionKind::Order(orders) => {
            let assets: Vec<u32> = orders.iter().map(|o| o.asset).collect();
            ok(json!({"type": "order", "data": statuses::order_statuses(&coins, &assets, events)}))
        }
        HlActionKind::Cancel(cancels) => {
            let assets: Vec<u32> = cancels.iter().map(|c| c.asset).collect();
            ok(json!({"type": "cancel", "data": statuses::cancel_statuses(&assets, events)}))
        }
        HlActionKind::CancelByCloid(cancels) => {
            let assets: Vec<u32> = cancels.iter().map(|c| c.asset).collect();
            ok(json!({"type": "cancel", "data": statuses::cancel_statuses(&assets, events)}))
        }
        HlActionKind::Modify(modifies) if modifies.len() == 1 => match statuses::first_rejection(events) {
            Some(code) => refuse(statuses::error_text(code, Some(modifies[0].new.asset))),
            None => ok(json!({"type": "default"})),
        },
        HlActionKind::Modify(modifies) => {
            let assets: Vec<u32> = modifies.iter().map(|m| m.new.asset).collect();
            ok(json!({"type": "batchModify", "data": statuses::order_statuses(&coins, &assets, events)}))
        }
        _ => ok(json!({"type": "default"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_effect_actions_and_malformed_requests_are_told_apart_before_the_chain() {
        for (body, expected) in [
            ("{", "not valid JSON"),
            (
                r#"{"action":{"type":"order"},"nonce":1,"signature":{"r":"0x1","s":"0x1","v":27},"extra":1}"#,
                "unknown field",
            ),
            (r#"{"action":{"type":"order"},"nonce":1.5,"signature":{}}"#, "not valid JSON"),
            (r#"{"action":{"type":"order"},"nonce":1,"signature":{"r":"0x1"}}"#, "{r, s, v}"),
            (r#"{"nonce":1}"#, "`action`"),
            (
                r#"{"action":{"type":"usdSend","hyperliquidChain":"Mainnet","signatureChainId":"0x1","destination":"0x0","amount":"1","time":1},"nonce":1,"signature":{"r":"0x1","s":"0x1","v":27}}"#,
                "accepts Testnet actions only",
            ),
        ] {
            let network = novation_tx::hyperliquid::Network::Testnet;
            let error = recover_request(body, network).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "{body} → {error}");
        }
    }
}
