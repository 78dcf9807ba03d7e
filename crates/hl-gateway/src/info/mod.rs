//! `POST /info`: Hyperliquid's info requests, answered from the node's committed state and
//! stored history — never from a copy of its own.
//!
//! A request is a JSON object whose `type` names the question; each type accepts exactly the
//! fields Hyperliquid documents for it (an unknown field is refused, so a typo never passes
//! as a default). The answers are built in [`market`] (universe, prices, books, candles,
//! funding), [`user`] (an account's margin, positions, orders and fills), [`history`] (its
//! funding payments and past orders) and [`fees`] (its fee rates, request budget and
//! builder fee).
//!
//! An address's Hyperliquid account is novation's subaccount 0 of that address.

mod fees;
mod history;
pub(crate) mod market;
pub(crate) mod user;

use novation_node::Node;
use novation_types::Address;
use serde_json::{Map, Value};

/// Why an info request got no answer. The server sends it as HTTP 422 with the message as
/// plain text, as Hyperliquid does for a body it cannot deserialize.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// What was wrong, for the client's user.
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Refusal { message: message.into() }
    }
}

pub(crate) type InfoResult = Result<Value, Refusal>;

/// The info types served, in the order docs/hyperliquid.md lists them.
pub(crate) const INFO_TYPES: [&str; 22] = [
    "meta",
    "allMids",
    "l2Book",
    "metaAndAssetCtxs",
    "clearinghouseState",
    "openOrders",
    "frontendOpenOrders",
    "userFills",
    "userFillsByTime",
    "orderStatus",
    "historicalOrders",
    "userFunding",
    "userFees",
    "userRateLimit",
    "maxBuilderFee",
    "candleSnapshot",
    "fundingHistory",
    "spotMeta",
    "spotMetaAndAssetCtxs",
    "spotClearinghouseState",
    "perpDexs",
    "exchangeStatus",
];

/// A request's fields, checked against the ones its type allows.
pub(crate) struct Fields<'a> {
    kind: &'a str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn new(kind: &'a str, map: &'a Map<String, Value>, allowed: &[&str]) -> Result<Self, Refusal> {
        if let Some(unknown) = map.keys().find(|key| key.as_str() != "type" && !allowed.contains(&key.as_str())) {
            let known = if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") };
            return Err(Refusal::new(format!("{kind}: unknown field `{unknown}` (fields: {known})")));
        }
        Ok(Fields { kind, map })
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A required string field.
    pub(crate) fn string(&self, name: &str) -> Result<&'a str, Refusal> {
        self.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| Refusal::new(format!("{}: `{name}` must be a string", self.kind)))
    }

    /// The `user` field: `0x` and 40 hex digits.
    pub(crate) fn user(&self) -> Result<Address, Refusal> {
        let text = self.string("user")?;
        text.parse().map_err(|_| {
            Refusal::new(format!("{}: `user` must be an address (0x and 40 hex digits), got {text:?}", self.kind))
        })
    }

    /// A required non-negative integer field (milliseconds, ids).
    pub(crate) fn integer(&self, name: &str) -> Result<u64, Refusal> {
        self.optional_integer(name)?
            .ok_or_else(|| Refusal::new(format!("{}: `{name}` is required (a non-negative integer)", self.kind)))
    }

    /// An optional non-negative integer field.
    pub(crate) fn optional_integer(&self, name: &str) -> Result<Option<u64>, Refusal> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_u64()
                .map(Some)
                .ok_or_else(|| Refusal::new(format!("{}: `{name}` must be a non-negative integer", self.kind))),
        }
    }

    /// The optional `dex` field: only the first perp dex (`""`) exists on novation.
    pub(crate) fn default_dex(&self) -> Result<(), Refusal> {
        match self.get("dex") {
            None => Ok(()),
            Some(Value::String(name)) if name.is_empty() => Ok(()),
            Some(other) => Err(Refusal::new(format!(
                "{}: unknown perp dex {other}; novation has one, the default \"\"",
                self.kind
            ))),
        }
    }

    /// The raw value of a field.
    pub(crate) fn value(&self, name: &str) -> Option<&'a Value> {
        self.get(name)
    }
}

/// Answers one info request.
pub(crate) fn answer(node: &Node, request: &Value) -> InfoResult {
    let map = request.as_object().ok_or_else(|| Refusal::new("the body must be a JSON object with a `type`"))?;
    let kind = map.get("type").and_then(Value::as_str).ok_or_else(|| Refusal::new("missing `type` (a string)"))?;
    let fields = |allowed: &[&str]| Fields::new(kind, map, allowed);
    match kind {
        "meta" => market::meta(node, &fields(&["dex"])?),
        "allMids" => market::all_mids(node, &fields(&["dex"])?),
        "l2Book" => market::l2_book(node, &fields(&["coin", "nSigFigs", "mantissa"])?),
        "metaAndAssetCtxs" => market::meta_and_asset_ctxs(node, &fields(&["dex"])?),
        "candleSnapshot" => market::candle_snapshot(node, &fields(&["req"])?),
        "fundingHistory" => market::funding_history(node, &fields(&["coin", "startTime", "endTime"])?),
        "spotMeta" => {
            fields(&[])?;
            Ok(market::empty_spot_meta())
        }
        "spotMetaAndAssetCtxs" => {
            fields(&[])?;
            Ok(Value::Array(vec![market::empty_spot_meta(), Value::Array(Vec::new())]))
        }
        "perpDexs" => {
            fields(&[])?;
            // The first perp dex (Hyperliquid's own) is listed as null; novation has no other.
            Ok(Value::Array(vec![Value::Null]))
        }
        "exchangeStatus" => {
            fields(&[])?;
            Ok(serde_json::json!({"time": node.time_ms(), "specialStatuses": null}))
        }
        "clearinghouseState" => user::clearinghouse_state(node, &fields(&["user", "dex"])?),
        "spotClearinghouseState" => {
            fields(&["user", "dex"])?.user()?;
            Ok(serde_json::json!({"balances": []}))
        }
        "openOrders" => user::open_orders(node, &fields(&["user", "dex"])?),
        "frontendOpenOrders" => user::frontend_open_orders(node, &fields(&["user", "dex"])?),
        "userFills" => user::user_fills(node, &fields(&["user", "aggregateByTime"])?),
        "userFillsByTime" => {
            user::user_fills_by_time(node, &fields(&["user", "startTime", "endTime", "aggregateByTime"])?)
        }
        "orderStatus" => user::order_status(node, &fields(&["user", "oid"])?),
        "historicalOrders" => history::historical_orders(node, &fields(&["user", "dex"])?),
        "userFunding" => history::user_funding(node, &fields(&["user", "startTime", "endTime"])?),
        "userFees" => fees::user_fees(node, &fields(&["user"])?),
        "userRateLimit" => fees::user_rate_limit(node, &fields(&["user"])?),
        "maxBuilderFee" => fees::max_builder_fee(&fields(&["user", "builder"])?),
        other => Err(Refusal::new(format!("unknown info type {other:?}; novation serves: {}", INFO_TYPES.join(", ")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_refused_with_the_known_ones_named() {
        let request = json!({"type": "meta", "dexx": ""});
        let map = request.as_object().unwrap();
        let refusal = Fields::new("meta", map, &["dex"]).err().unwrap();
        assert!(refusal.message.contains("`dexx`") && refusal.message.contains("dex"), "{}", refusal.message);
    }

    #[test]
    fn only_the_default_dex_exists() {
        let ok = json!({"type": "meta", "dex": ""});
        assert!(Fields::new("meta", ok.as_object().unwrap(), &["dex"]).unwrap().default_dex().is_ok());
        let other = json!({"type": "meta", "dex": "xyz"});
        assert!(Fields::new("meta", other.as_object().unwrap(), &["dex"]).unwrap().default_dex().is_err());
    }

    #[test]
    fn users_must_be_addresses() {
        let bad = json!({"type": "openOrders", "user": "0x12"});
        let fields = Fields::new("openOrders", bad.as_object().unwrap(), &["user"]).unwrap();
        assert!(fields.user().unwrap_err().message.contains("address"));
    }
}
