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
//!  notifications per subscription notification (`nov_blocks`, `nov_book`, `nov_trades`,
//!               `nov_account`, `nov_transaction`), the schema of its `params.result`
//! ```
//!
//! Types are described as serde reads them: enums externally tagged (`{"Deposit": {…}}`),
//! payload structs closed (`additionalProperties: false`, as `deny_unknown_fields`), optional
//! fields (`Option`) may be omitted or `null`, decimals are strings with a pattern and
//! addresses `0x` and 40 hex digits.

use novation_protocol::derivatives::SmileValidity;
use novation_protocol::oracle::PriceValidity;
use novation_protocol::params::MarketParams;
use novation_protocol::queries::{
    AccountView, AdlStanding, AssetInfo, BackstopView, GreeksView, L2Book, MarginBreakdown, MarketInfo, MarketView,
    OpenOrderView, RiskView, SeriesView, SmileView, SubaccountPage, SystemTotals,
};
use novation_tx::{SignedTransaction, TxPayload};
use novation_types::{Action, Event, OrderAction, SubaccountId, Transaction};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// The version of the schema document's layout (`roots`, `methods`, `notifications`,
/// `$defs`); the types it describes change with the code, and the file changes with them.
/// Version 2 added `notifications`.
pub const SCHEMA_LAYOUT_VERSION: u32 = 2;

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

/// An object of `fields`, of which all but `optional` are required.
fn object_with_optional(fields: Value, optional: &[&str]) -> Value {
    let required: Vec<String> = fields
        .as_object()
        .map(|m| m.keys().filter(|k| !optional.contains(&k.as_str())).cloned().collect())
        .unwrap_or_default();
    json!({ "type": "object", "properties": fields, "required": required })
}

/// `schema`, or `null`.
fn nullable(schema: Value) -> Value {
    json!({ "oneOf": [schema, { "type": "null" }] })
}

/// `schema` with a description.
fn described(mut schema: Value, text: &str) -> Value {
    if let Some(fields) = schema.as_object_mut() {
        fields.insert("description".into(), Value::from(text));
    }
    schema
}

/// Adds `T`'s schema to the generator's definitions and answers its reference.
fn add<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// A transaction's id or a block's hash: `0x` and 64 lower-case hex digits.
fn hash32() -> Value {
    json!({ "type": "string", "pattern": "^0x[0-9a-f]{64}$" })
}

/// Bytes as `0x` and lower-case hex digits, two per byte.
fn hex_bytes() -> Value {
    json!({ "type": "string", "pattern": "^0x([0-9a-f]{2})*$" })
}

/// A block header as the API shows it, with its hash.
fn header() -> Value {
    object(json!({
        "height": uint64(),
        "time_ms": uint64(),
        "parent_hash": hash32(),
        "tx_root": hash32(),
        "state_root": hash32(),
        "block_hash": hash32(),
    }))
}

/// What a validator network's node adds to `nov_status` (crates/consensus, docs/node.md).
fn consensus_status() -> Value {
    let count = uint64();
    object(json!({
        "engine": { "type": "string", "description": "The consensus engine and its version." },
        "role": { "enum": ["validator", "full node"] },
        "address": described(nullable(def("Address")), "The validator's address; null on a full node."),
        "validators": count,
        "deciding_height": count,
        "round": count,
        "peers": count,
        "equivocation_heights": described(uint64(), "How many heights this node saw a validator equivocate at."),
        "sync": object(json!({
            "catching_up": { "type": "boolean", "description": "The latest block came through value sync." },
            "synced_blocks": count,
        })),
        "halted": { "type": ["string", "null"], "description": "Why consensus halted this node, else null." },
    }))
}

/// `nov_status`: the chain's tip, and on a validator network the consensus layer's view.
fn status() -> Value {
    object_with_optional(
        json!({
            "chain_id": uint64(),
            "height": uint64(),
            "time_ms": uint64(),
            "block_hash": described(nullable(hash32()), "null before the first block."),
            "state_root": hash32(),
            "halted": { "type": ["string", "null"], "description": "Why the node stopped committing, else null." },
            "consensus": consensus_status(),
        }),
        &["consensus"],
    )
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
        "header": header(),
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

/// `nov_getSurface`: an asset's smiles, one per listed option expiry.
fn surface() -> Value {
    object(json!({
        "asset": def("AssetId"),
        "symbol": { "type": "string" },
        "index": nullable(def("Decimal")),
        "height": uint64(),
        "time_ms": uint64(),
        "smiles": { "type": "array", "items": def("SmileView") },
    }))
}

/// `nov_getImpliedVol`: the surface's volatility at one strike and expiry.
fn implied_vol() -> Value {
    object(json!({
        "asset": def("AssetId"),
        "expiry_ms": uint64(),
        "strike": def("Decimal"),
        "implied_vol": described(nullable(def("Decimal")), "null before a smile or an index exists."),
        "validity": described(nullable(def("SmileValidity")), "null before the expiry has a smile."),
        "height": uint64(),
    }))
}

/// `nov_getGreeks`: net Greeks per underlying of a subaccount, or of the system (`subaccount`
/// null).
fn greeks() -> Value {
    object(json!({
        "subaccount": nullable(def("SubaccountId")),
        "height": uint64(),
        "greeks": {
            "type": "array",
            "items": with_fields("GreeksView", json!({ "symbol": { "type": "string" } }), &["symbol"]),
        },
    }))
}

/// The `params.result` schema of each subscription's notifications (docs/api.md
/// "Subscriptions"), by notification method.
fn notification_results() -> Value {
    let records = json!({ "type": "array", "minItems": 1, "items": history_record() });
    json!({
        "nov_blocks": object(json!({ "header": header(), "tx_count": uint64() })),
        "nov_book": with_fields("L2Book", json!({ "height": uint64() }), &["height"]),
        "nov_trades": records,
        "nov_account": records,
        "nov_transaction": transaction_status(),
    })
}

/// The `result` schema of every JSON-RPC method.
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
    add::<MarketParams>(generator);
    add::<SmileView>(generator);
    add::<SmileValidity>(generator);
    add::<SeriesView>(generator);
    add::<GreeksView>(generator);
    add::<MarginBreakdown>(generator);
    add::<SubaccountId>(generator);
    add::<novation_types::AssetId>(generator);
    let height = uint64();
    let records = json!({ "type": "array", "items": history_record() });
    json!({
        "nov_status": status(),
        "nov_sendTransaction": object(json!({ "tx_hash": hash32(), "signer": def("Address"), "nonce": uint64() })),
        "nov_relayTransactions": object(json!({
            "admitted": described(uint64(), "Envelopes new to this node's mempool."),
            "received": described(uint64(), "Envelopes in the call."),
        })),
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
                "params": described(def("MarketParams"), "The raw parameters the chain holds (ppm, lots, ticks)."),
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
        "nov_getAccountProof": object(json!({
            "height": height,
            "state_root": hash32(),
            "key": hex_bytes(),
            "value": described(nullable(hex_bytes()), "The committed bytes; null for an absent subaccount."),
            "proof": hex_bytes(),
        })),
        "nov_getSurface": surface(),
        "nov_getImpliedVol": implied_vol(),
        "nov_getSeries": {
            "oneOf": [def("SeriesView"), { "type": "array", "items": def("SeriesView") }],
            "description": "One market's series, or without a param every dated future and option series.",
        },
        "nov_getGreeks": greeks(),
        "nov_getMarginBreakdown": with_fields(
            "MarginBreakdown",
            json!({ "subaccount": def("SubaccountId"), "height": height }),
            &["subaccount", "height"],
        ),
        "nov_getSchema": { "type": "object", "description": "This document." },
    })
}

/// The JSON Schema of novation's wire format: every transaction, action and event, the
/// result of every JSON-RPC method and the message of every subscription notification, as
/// one draft 2020-12 document (`docs/schema.json`, `nov_getSchema`).
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
    let notifications = notification_results();
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let sorted: std::collections::BTreeMap<String, Value> = definitions.into_iter().collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "novation wire format",
        "description": "The JSON of novation's signed transactions (roots.transaction: what nov_sendTransaction takes; its payload text is roots.payload), every action, every event, and the result of every JSON-RPC method (methods) and of every subscription notification (notifications: the `params.result` of each message, by notification method). Generated from the Rust types (novation_node::wire_schema); docs/transactions.md has a signed example of every action.",
        "x-layout-version": SCHEMA_LAYOUT_VERSION,
        "roots": roots,
        "methods": methods,
        "notifications": notifications,
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
        assert_eq!(variants("Action").len(), 14, "{}", schema["$defs"]["Action"]);
        assert_eq!(variants("OrderAction").len(), 6, "{}", schema["$defs"]["OrderAction"]);
        let events = variants("Event");
        for name in ["Deposited", "OrderAccepted", "Fill", "OrderCancelled", "LiquidationStarted", "AutoDeleveraged"] {
            assert!(events.iter().any(|e| e == name), "{name} missing from {events:?}");
        }
    }

    /// Every `$ref` in `value`.
    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_names_a_definition() {
        let schema = wire_schema();
        let mut found = Vec::new();
        references(&schema, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let name = target.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("{target} is not a definition"));
            assert!(schema["$defs"][name].is_object(), "{target} is not defined");
        }
    }

    #[test]
    fn every_subscription_notification_is_described() {
        let schema = wire_schema();
        let notifications: Vec<&String> = schema["notifications"].as_object().unwrap().keys().collect();
        assert_eq!(notifications, ["nov_account", "nov_blocks", "nov_book", "nov_trades", "nov_transaction"]);
        for method in
            ["nov_status", "nov_getSeries", "nov_getGreeks", "nov_getMarginBreakdown", "nov_relayTransactions"]
        {
            assert!(schema["methods"][method].is_object(), "{method} has no result schema");
        }
        assert_eq!(
            schema["methods"]["nov_getMarkets"]["items"]["properties"]["params"]["$ref"],
            "#/$defs/MarketParams"
        );
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
