//! The compact JSON form of a payload: an order's optional fields are left out where they hold
//! their defaults.
//!
//! A market maker's batch is mostly orders that take every default (subaccount 0, good till
//! cancel, not reduce-only, no client id, the default self-trade mode); writing those fields
//! out doubles the bytes every node hashes, parses, relays and stores for each order. The
//! node reads an omitted field as its default (`#[serde(default)]` on
//! [`novation_types::OrderRequest`]), so both forms mean the same order; the signature covers
//! whichever text was signed.

use novation_types::{SelfTradePrevention, TimeInForce};
use serde_json::{Map, Value};

/// Removes, from every order in `payload` (the JSON value of a [`crate::TxPayload`]), the
/// optional fields that hold their defaults.
pub(crate) fn omit_order_defaults(payload: &mut Value) {
    match payload {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match (key.as_str(), value) {
                    ("Place", Value::Object(order)) => omit_defaults_of(order),
                    ("PlaceTrigger", Value::Object(trigger)) => {
                        if let Some(Value::Object(order)) = trigger.get_mut("order") {
                            omit_defaults_of(order);
                        }
                    }
                    (_, value) => omit_order_defaults(value),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(omit_order_defaults),
        _ => {}
    }
}

/// One `OrderRequest` object: each optional field whose value is its default goes.
fn omit_defaults_of(order: &mut Map<String, Value>) {
    let defaults = [
        ("subaccount", Value::from(0)),
        ("reduce_only", Value::Bool(false)),
        ("client_order_id", Value::Null),
        ("self_trade", json_of(SelfTradePrevention::default())),
    ];
    for (field, default) in defaults {
        if order.get(field) == Some(&default) {
            order.remove(field);
        }
    }
    if let Some(Value::Object(kind)) = order.get_mut("kind") {
        if let Some(Value::Object(limit)) = kind.get_mut("Limit") {
            if limit.get("time_in_force") == Some(&json_of(TimeInForce::default())) {
                limit.remove("time_in_force");
            }
        }
    }
}

fn json_of(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("a unit enum variant is a JSON string")
}

#[cfg(test)]
mod tests {
    use novation_types::action::{Action, OrderAction};
    use novation_types::{Address, MarketId, OrderKind, OrderRequest, Side, TriggerCondition, TriggerRequest};

    use super::*;
    use crate::TxPayload;

    fn plain() -> OrderRequest {
        OrderRequest::limit(0, MarketId(1), Side::Buy, 600_000, 3)
    }

    fn unusual() -> OrderRequest {
        OrderRequest {
            subaccount: 2,
            reduce_only: true,
            client_order_id: Some(9),
            self_trade: SelfTradePrevention::CancelBoth,
            kind: OrderKind::Limit { price_ticks: novation_types::PriceTicks(5), time_in_force: TimeInForce::PostOnly },
            ..plain()
        }
    }

    fn payload(orders: Vec<OrderAction>) -> TxPayload {
        TxPayload::new(7, Address::from_index(3), 1, vec![Action::Batch(orders)])
    }

    #[test]
    fn an_order_at_its_defaults_is_written_with_only_what_it_needs() {
        let text = payload(vec![OrderAction::Place(plain())]).to_json();
        for gone in ["subaccount", "reduce_only", "client_order_id", "self_trade", "time_in_force"] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        assert!(text.contains(r#""price_ticks":600000"#) && text.contains(r#""size_lots":3"#), "{text}");
    }

    #[test]
    fn every_form_reads_back_as_the_same_orders() {
        let trigger = TriggerRequest {
            trigger_price_ticks: novation_types::PriceTicks(7),
            condition: TriggerCondition::MarkAtOrBelow,
            order: OrderRequest::market(0, MarketId(1), Side::Sell, 1, novation_math::Ppm(1_000)),
        };
        let payload = payload(vec![
            OrderAction::Place(plain()),
            OrderAction::Place(unusual()),
            OrderAction::PlaceTrigger(trigger),
        ]);
        let compact = payload.to_json();
        let full = serde_json::to_string(&payload).unwrap();
        assert!(compact.len() < full.len());
        assert_eq!(TxPayload::from_json(&compact).unwrap(), payload);
        assert_eq!(TxPayload::from_json(&full).unwrap(), payload);
        // Fields away from their defaults are all kept.
        for kept in
            [r#""subaccount":2"#, r#""reduce_only":true"#, r#""client_order_id":9"#, r#""CancelBoth""#, r#""PostOnly""#]
        {
            assert!(compact.contains(kept), "{kept} missing from {compact}");
        }
    }

    #[test]
    fn an_omitted_field_given_twice_is_still_refused() {
        let text = r#"{"chain_id":7,"account":"0x0000000000000000000000000000000000000003","nonce":1,"actions":[{"Batch":[{"Place":{"market":1,"side":"Buy","size_lots":1,"kind":{"Limit":{"price_ticks":5}},"reduce_only":false,"reduce_only":true}}]}]}"#;
        assert!(TxPayload::from_json(text).is_err());
    }
}
