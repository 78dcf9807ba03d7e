//! The machine-readable description of novation's JSON: one JSON Schema (draft 2020-12)
//! document, generated from the Rust types themselves (`schemars`), so it cannot say
//! anything the code does not do. It is published as `docs/schema.json` (a test fails when the
//! file and the code differ) and served by the RPC method `nov_getSchema`.
//!
//! ```text
//!  $defs        every wire type by its Rust name: SignedTransaction, TxPayload, Action, the
//!               action payloads (Deposit, Withdraw, …), OrderAction, OrderRequest, OrderKind,
//!               Event, ids, units, Decimal, Address, and the query views (AccountView, …)
//!  roots        where to start: transaction, payload, action, order_action, event
//!  methods      per JSON-RPC method, the schema of its `result`
//! ```
//!
//! Types are described as serde reads them: enums externally tagged (`{"Deposit": {…}}`),
//! payload structs closed (`additionalProperties: false`, as `deny_unknown_fields`), optional
//! fields (`Option`) may be omitted or `null`, decimals are strings with a pattern and
//! addresses `0x` and 40 hex digits.

use novation_protocol::oracle::PriceValidity;
use novation_protocol::queries::{
    AccountView, AdlStanding, AssetInfo, BackstopView, L2Book, MarketInfo, MarketView, OpenOrderView, RiskView,
    SubaccountPage, SystemTotals,
};
use novation_tx::{SignedTransaction, TxPayload};
use novation_types::{Action, Event, OrderAction, Transaction};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// The version of the schema document's layout (`roots`, `methods`, `$defs`); the types it
/// describes change with the code, and the file changes with them.
pub const SCHEMA_LAYOUT_VERSION: u32 = 1;

/// A reference to the definition `name` in the schema document.
fn def(name: &str) -> Value {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// A non-negative 64-bit integer, as the node writes heights and counts.
fn uint64() -> Value {
    json!({ "type": "integer", "format": "uint64", "minimum": 0 })
}

/// `base` (a reference) with extra fields the RPC method adds to it.
fn with_fields(base: &str, fields: Value, required: &[&str]) -> Value {
    json!({ "allOf": [def(base)], "type": "object", "properties": fields, "required": required })
}

/// A JSON-RPC result that is an object of exactly these fields.
fn object(fields: Value) -> Value {
    let required: Vec<String> = fields.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    json!({ "type": "object", "properties": fields, "required": required })
}

/// Adds `T`'s schema to the generator's definitions and answers its reference.
fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// A transaction's id or a block's hash: `0x` and 64 lower-case hex digits.
fn hash32() -> Value {
    json!({ "type": "string", "pattern": "^0x[0-9a-f]{64}$" })
}

/// A transaction's outcome: `{ok: true}` or the protocol's refusal.
fn tx_result() -> Value {
    json!({
        "oneOf": [
            object(json!({ "ok": { "const": true } })),
            object(json!({
                "ok": { "const": false },
                "code": { "type": "integer", "minimum": 1, "description": "The protocol's stable error code (docs/protocol.md)." },
                "message": { "type": "string" },
                "action_index": { "type": ["integer", "null"], "minimum": 0, "description": "The action that failed, if one did." },
            })),
        ]
    })
}

/// `nov_getTransaction` (and `nov_subscribeTransaction`'s notifications): pending, included
/// with its result and events, or unknown.
fn transaction_status() -> Value {
    json!({
        "oneOf": [
            object(json!({ "status": { "enum": ["pending", "unknown"] }, "tx_hash": hash32() })),
            object(json!({
                "status": { "const": "included" },
                "height": uint64(),
                "time_ms": uint64(),
                "index": { "type": "integer", "minimum": 0 },
                "tx_hash": hash32(),
                "transaction": def("Transaction"),
                "result": tx_result(),
                "events": { "type": "array", "items": def("Event") },
            })),
        ]
    })
}

/// `nov_getBlock`: the header, the envelopes as received, and every outcome.
fn block() -> Value {
    let events = json!({ "type": "array", "items": def("Event") });
    object(json!({
        "header": object(json!({
            "height": uint64(),
            "time_ms": uint64(),
            "parent_hash": hash32(),
            "tx_root": hash32(),
            "state_root": hash32(),
            "block_hash": hash32(),
        })),
        "transactions": {
            "type": "array",
            "items": object(json!({
                "tx_hash": hash32(),
                "signer": def("Address"),
                "nonce": uint64(),
                "envelope": def("SignedTransaction"),
            })),
        },
        "results": { "type": "array", "items": object(json!({ "result": tx_result(), "events": events })) },
        "end_block_events": events,
    }))
}

/// One event of the store's history; a fill also carries its market's symbol and its price
/// and size in the market's units.
fn history_record() -> Value {
    let mut record = object(json!({
        "height": uint64(),
        "seq": { "type": "integer", "minimum": 0, "description": "Its place within the block (the cursor is `height:seq`)." },
        "time_ms": uint64(),
        "tx_index": { "type": ["integer", "null"], "minimum": 0, "description": "null: an end-of-block event." },
        "event": def("Event"),
    }));
    if let Some(properties) = record["properties"].as_object_mut() {
        properties
            .insert("market".into(), json!({ "type": "string", "description": "Fills only: the market's symbol." }));
        properties
            .insert("price".into(), json!({ "$ref": "#/$defs/Decimal", "description": "Fills only: the price." }));
        properties.insert(
            "size".into(),
            json!({ "$ref": "#/$defs/Decimal", "description": "Fills only: the size in base units." }),
        );
    }
    record
}

/// `nov_getAccountHistory` and its fixed-kind forms: one page, newest first.
fn history_page() -> Value {
    let kinds: Vec<&str> = crate::history::HistoryKind::ALL.iter().map(|kind| kind.name()).collect();
    object(json!({
        "kind": { "enum": kinds },
        "records": { "type": "array", "items": history_record() },
        "next": { "type": ["string", "null"], "description": "Pass as `before` for the next (older) page; null on the last." },
    }))
}

/// `nov_getCandles`: OHLCV candles, oldest first, in the market's units.
fn candles() -> Value {
    let names: Vec<&str> = crate::history::CANDLE_INTERVALS.iter().map(|(name, _)| *name).collect();
    let price = def("Decimal");
    json!({
        "type": "array",
        "items": object(json!({
            "market": { "type": "string" },
            "interval": { "enum": names },
            "open_ms": uint64(),
            "close_ms": uint64(),
            "open": price,
            "high": price,
            "low": price,
            "close": price,
            "volume": price,
            "notional": price,
            "trades": uint64(),
        })),
    })
}

/// The `result` schema of the JSON-RPC methods whose answers are built from typed views.
fn method_results(generator: &mut SchemaGenerator) -> Value {
    // Views a method's result refers to by name.
    add::<AccountView>(generator);
    add::<OpenOrderView>(generator);
    add::<SubaccountPage>(generator);
    add::<L2Book>(generator);
    add::<MarketView>(generator);
    add::<RiskView>(generator);
    add::<AdlStanding>(generator);
    add::<BackstopView>(generator);
    add::<SystemTotals>(generator);
    add::<MarketInfo>(generator);
    add::<AssetInfo>(generator);
    add::<PriceValidity>(generator);
    add::<Transaction>(generator);
    let height = uint64();
    let records = json!({ "type": "array", "items": history_record() });
    json!({
        "nov_sendTransaction": object(json!({ "tx_hash": hash32(), "signer": def("Address"), "nonce": uint64() })),
        "nov_getTransaction": transaction_status(),
        "nov_getNonce": uint64(),
        "nov_getAccount": with_fields("AccountView", json!({ "nonce": uint64(), "height": height }), &["nonce", "height"]),
        "nov_getOpenOrders": object(json!({ "height": height, "orders": { "type": "array", "items": def("OpenOrderView") } })),
        "nov_getOrderStatus": object(json!({
            "height": height,
            "status": { "enum": ["open", "not_open"] },
            "order": { "oneOf": [def("OpenOrderView"), { "type": "null" }] },
        })),
        "nov_listSubaccounts": def("SubaccountPage"),
        "nov_getMarkets": {
            "type": "array",
            "items": object(json!({
                "params": { "type": "object", "description": "The market's parameters as the chain holds them (docs/api.md)." },
                "info": def("MarketInfo"),
                "stats": def("MarketView"),
            })),
        },
        "nov_getAssets": { "type": "array", "items": def("AssetInfo") },
        "nov_getBook": with_fields("L2Book", json!({ "height": height }), &["height"]),
        "nov_getTrades": records,
        "nov_getAccountEvents": records,
        "nov_getAccountHistory": history_page(),
        "nov_getFills": history_page(),
        "nov_getFunding": history_page(),
        "nov_getLiquidations": history_page(),
        "nov_getCandles": candles(),
        "nov_getBlock": block(),
        "nov_getEvents": object(json!({
            "height": height,
            "time_ms": uint64(),
            "events": {
                "type": "array",
                "items": object(json!({
                    "tx_index": { "type": ["integer", "null"], "minimum": 0, "description": "null: an end-of-block event." },
                    "event": def("Event"),
                })),
            },
        })),
        "nov_getRiskView": def("RiskView"),
        "nov_getAdlRank": { "type": "array", "items": def("AdlStanding") },
        "nov_getBackstop": def("BackstopView"),
        "nov_getSystemTotals": def("SystemTotals"),
        "nov_getSchema": { "type": "object", "description": "This document." },
    })
}

/// The JSON Schema of novation's wire format: every transaction, action, event and the
/// typed query results, as one draft 2020-12 document (`docs/schema.json`, `nov_getSchema`).
///
/// Deterministic: the same code always yields the same document (definitions in name order).
pub fn wire_schema() -> Value {
    let mut generator = SchemaSettings::draft2020_12().for_deserialize().into_generator();
    let roots = json!({
        "transaction": add::<SignedTransaction>(&mut generator),
        "payload": add::<TxPayload>(&mut generator),
        "action": add::<Action>(&mut generator),
        "order_action": add::<OrderAction>(&mut generator),
        "event": add::<Event>(&mut generator),
    });
    let methods = method_results(&mut generator);
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let sorted: std::collections::BTreeMap<String, Value> = definitions.into_iter().collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "novation wire format",
        "description": "The JSON of novation's signed transactions (roots.transaction: what nov_sendTransaction takes; its payload text is roots.payload), every action, every event, and the results of the JSON-RPC methods built from typed views (methods). Generated from the Rust types (novation_node::wire_schema); docs/transactions.md has a signed example of every action.",
        "x-layout-version": SCHEMA_LAYOUT_VERSION,
        "roots": roots,
        "methods": methods,
        "$defs": sorted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_the_same_every_time_it_is_generated() {
        assert_eq!(wire_schema(), wire_schema());
    }

    #[test]
    fn every_action_and_event_variant_is_described() {
        let schema = wire_schema();
        let variants = |name: &str| -> Vec<String> {
            let one_of = schema["$defs"][name]["oneOf"].as_array().cloned().unwrap_or_default();
            one_of
                .iter()
                .flat_map(|v| {
                    v["required"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .chain(v["enum"].as_array().cloned().unwrap_or_default())
                })
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        assert_eq!(variants("Action").len(), 13, "{}", schema["$defs"]["Action"]);
        assert_eq!(variants("OrderAction").len(), 6, "{}", schema["$defs"]["OrderAction"]);
        let events = variants("Event");
        for name in ["Deposited", "OrderAccepted", "Fill", "OrderCancelled", "LiquidationStarted", "AutoDeleveraged"] {
            assert!(events.iter().any(|e| e == name), "{name} missing from {events:?}");
        }
    }

    #[test]
    fn payload_structs_are_closed_and_decimals_are_strings() {
        let schema = wire_schema();
        let defs = &schema["$defs"];
        for name in ["TxPayload", "SignedTransaction", "Deposit", "OrderRequest", "Modify", "SviParams"] {
            assert_eq!(defs[name]["additionalProperties"], false, "{name}: {}", defs[name]);
        }
        assert_eq!(defs["Decimal"]["type"], "string");
        assert_eq!(defs["Decimal"]["pattern"], novation_math::DECIMAL_PATTERN);
        assert_eq!(defs["Address"]["pattern"], novation_types::ADDRESS_PATTERN);
    }
}
