//! `novation tx batch FILE`: order actions read from a JSON file, sent as one
//! `Action::Batch` that the protocol applies all or none.
//!
//! The file is an array; each entry is one action in human units, checked exactly as the
//! matching `tx` subcommand checks it (grid, minimum size, open order), all before signing:
//!
//! ```json
//! [
//!   {"place": {"market": "BTC-PERP", "side": "buy", "size": "0.01", "price": "58000",
//!              "time_in_force": "post-only", "client_id": 1}},
//!   {"place": {"market": "ETH-PERP", "side": "sell", "size": "0.1", "slippage": "0.5"}},
//!   {"trigger": {"kind": "stop-loss", "market": "BTC-PERP", "side": "sell", "size": "0.01",
//!                "trigger": "55000"}},
//!   {"modify": {"order_id": 42, "price": "58100"}},
//!   {"cancel": {"order_id": 43}},
//!   {"cancel": {"client_id": 7}},
//!   {"cancel_all": {"market": "ETH-PERP"}}
//! ]
//! ```
//!
//! Every entry acts on `--subaccount`. Unknown keys are refused. An array of the protocol's
//! own `OrderAction` JSON (`[{"Place": {...}}, {"Cancel": {...}}]`) is accepted as is.

use std::path::Path;

use novation_types::{action, MarketId, OrderAction, OrderId};
use serde::Deserialize;
use serde_json::Value;

use crate::cli::{OrderArgs, SideArg, TriggerArgs, TriggerKindArg};
use crate::error::{CliError, CliResult};
use crate::markets::find_market;
use crate::tx::{modify_request, order_request, trigger_request, Env};
use crate::units::{parse_decimal, parse_positive_decimal};

/// The largest batch of the standard limits (the node refuses larger ones with error 30).
fn max_batch() -> usize {
    novation_protocol::params::Genesis::example(&[]).limits.max_batch
}

/// One entry of a batch file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Entry {
    /// A new order, as `tx order`.
    Place(PlaceEntry),
    /// A stop-loss or take-profit, as `tx trigger`.
    Trigger(TriggerEntry),
    /// A new price and/or size of an open order, as `tx modify`.
    Modify(ModifyEntry),
    /// Cancel by id or client id, as `tx cancel`.
    Cancel(CancelEntry),
    /// Cancel every open order (of one market), as `tx cancel-all`.
    CancelAll(CancelAllEntry),
}

/// `{"place": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceEntry {
    market: String,
    side: String,
    size: String,
    #[serde(default)]
    price: Option<String>,
    /// `gtc` (default), `ioc`, `fok` or `post-only`; limit orders only.
    #[serde(default)]
    time_in_force: Option<String>,
    #[serde(default)]
    reduce_only: bool,
    #[serde(default)]
    client_id: Option<u64>,
    /// Market orders: percent from mark.
    #[serde(default)]
    slippage: Option<String>,
}

/// `{"trigger": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TriggerEntry {
    /// `stop-loss` or `take-profit`.
    kind: String,
    market: String,
    side: String,
    size: String,
    trigger: String,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    ioc: bool,
    #[serde(default)]
    slippage: Option<String>,
    #[serde(default)]
    allow_increase: bool,
    #[serde(default)]
    client_id: Option<u64>,
}

/// `{"modify": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModifyEntry {
    order_id: u64,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    size: Option<String>,
}

/// `{"cancel": {...}}`: exactly one of the two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelEntry {
    #[serde(default)]
    order_id: Option<u64>,
    #[serde(default)]
    client_id: Option<u64>,
}

/// `{"cancel_all": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelAllEntry {
    #[serde(default)]
    market: Option<String>,
}

/// The order actions of the batch file at `path`, checked.
pub(crate) fn read(env: &Env<'_>, path: &Path) -> CliResult<Vec<OrderAction>> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::refused(format!("{}: not JSON: {e}", path.display()), "see docs/cli.md for the format")
    })?;
    let actions = parse(env, &value).map_err(|error| match error {
        CliError::Refused { message, hint } => {
            CliError::Refused { message: format!("{}: {message}", path.display()), hint }
        }
        other => other,
    })?;
    let max = max_batch();
    if actions.is_empty() || actions.len() > max {
        return Err(CliError::refused(
            format!("{}: a batch holds 1 to {max} order actions, this one {}", path.display(), actions.len()),
            "split it into several batches",
        ));
    }
    Ok(actions)
}

/// The actions of a parsed batch file: the human form, or the protocol's own.
fn parse(env: &Env<'_>, value: &Value) -> CliResult<Vec<OrderAction>> {
    let entries = value
        .as_array()
        .ok_or_else(|| CliError::refused("a batch file holds a JSON array", "see docs/cli.md for the format"))?;
    let protocol_form = entries
        .first()
        .and_then(Value::as_object)
        .and_then(|o| o.keys().next())
        .is_some_and(|key| key.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
    if protocol_form {
        return serde_json::from_value(value.clone()).map_err(|e| {
            CliError::refused(format!("not a list of protocol order actions: {e}"), "see docs/transactions.md")
        });
    }
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let entry: Entry = serde_json::from_value(entry.clone()).map_err(|e| {
                CliError::refused(
                    format!("entry {index}: {e}"),
                    "entries are place, trigger, modify, cancel or cancel_all",
                )
            })?;
            entry_action(env, entry).map_err(|error| match error {
                CliError::Refused { message, hint } => {
                    CliError::Refused { message: format!("entry {index}: {message}"), hint }
                }
                other => other,
            })
        })
        .collect()
}

/// A strictly positive decimal written in the file, or a refusal.
fn positive(text: &str) -> CliResult<novation_math::Decimal> {
    parse_positive_decimal(text).map_err(|why| CliError::refused(why, "write decimals as strings, e.g. \"0.01\""))
}

/// An optional strictly positive decimal.
fn optional_positive(text: Option<&String>) -> CliResult<Option<novation_math::Decimal>> {
    text.map(|t| positive(t)).transpose()
}

/// `buy` or `sell`, in any case.
fn side(text: &str) -> CliResult<SideArg> {
    match text.to_ascii_lowercase().as_str() {
        "buy" => Ok(SideArg::Buy),
        "sell" => Ok(SideArg::Sell),
        _ => Err(CliError::refused(format!("side `{text}`"), "side is \"buy\" or \"sell\"")),
    }
}

/// One checked entry as a protocol order action.
fn entry_action(env: &Env<'_>, entry: Entry) -> CliResult<OrderAction> {
    let subaccount = env.subaccount;
    Ok(match entry {
        Entry::Place(place) => {
            let tif = place.time_in_force.as_deref().map(str::to_ascii_lowercase);
            let (ioc, fok, post_only) = match tif.as_deref() {
                None | Some("gtc") => (false, false, false),
                Some("ioc") => (true, false, false),
                Some("fok") => (false, true, false),
                Some("post-only") => (false, false, true),
                Some(other) => {
                    return Err(CliError::refused(format!("time_in_force `{other}`"), "use gtc, ioc, fok or post-only"))
                }
            };
            if place.price.is_none() && tif.is_some() {
                return Err(CliError::refused(
                    "time_in_force needs a price",
                    "give a price, or leave out time_in_force",
                ));
            }
            if place.price.is_some() && place.slippage.is_some() {
                return Err(CliError::refused("slippage is for market orders", "leave out the price or the slippage"));
            }
            let args = OrderArgs {
                market: place.market,
                side: side(&place.side)?,
                size: positive(&place.size)?,
                price: optional_positive(place.price.as_ref())?,
                ioc,
                fok,
                post_only,
                reduce_only: place.reduce_only,
                client_id: place.client_id,
                slippage: place
                    .slippage
                    .as_deref()
                    .map(parse_decimal)
                    .transpose()
                    .map_err(|why| CliError::refused(why, "slippage is a percentage, e.g. \"0.5\""))?,
            };
            OrderAction::Place(order_request(subaccount, &args, env.markets)?)
        }
        Entry::Trigger(trigger) => {
            let kind = match trigger.kind.as_str() {
                "stop-loss" => TriggerKindArg::StopLoss,
                "take-profit" => TriggerKindArg::TakeProfit,
                other => {
                    return Err(CliError::refused(format!("trigger kind `{other}`"), "use stop-loss or take-profit"))
                }
            };
            let args = TriggerArgs {
                kind,
                market: trigger.market,
                side: side(&trigger.side)?,
                size: positive(&trigger.size)?,
                trigger_price: positive(&trigger.trigger)?,
                price: optional_positive(trigger.price.as_ref())?,
                ioc: trigger.ioc,
                slippage: trigger
                    .slippage
                    .as_deref()
                    .map(parse_decimal)
                    .transpose()
                    .map_err(|why| CliError::refused(why, "slippage is a percentage, e.g. \"0.5\""))?,
                allow_increase: trigger.allow_increase,
                client_id: trigger.client_id,
            };
            OrderAction::PlaceTrigger(trigger_request(subaccount, &args, env.markets)?)
        }
        Entry::Modify(modify) => {
            if modify.price.is_none() && modify.size.is_none() {
                return Err(CliError::refused("modify changes nothing", "give a price, a size or both"));
            }
            let price = optional_positive(modify.price.as_ref())?;
            let size = optional_positive(modify.size.as_ref())?;
            OrderAction::Modify(modify_request(env, modify.order_id, price, size)?)
        }
        Entry::Cancel(CancelEntry { order_id: Some(order_id), client_id: None }) => {
            OrderAction::Cancel(action::Cancel { subaccount, order_id: OrderId(order_id) })
        }
        Entry::Cancel(CancelEntry { order_id: None, client_id: Some(client_order_id) }) => {
            OrderAction::CancelByClientId(action::CancelByClientId { subaccount, client_order_id })
        }
        Entry::Cancel(_) => {
            return Err(CliError::refused("cancel names an order", "give exactly one of order_id and client_id"))
        }
        Entry::CancelAll(all) => {
            let market = match all.market {
                Some(name) => Some(MarketId(find_market(env.markets, &name)?.id)),
                None => None,
            };
            OrderAction::CancelAll(action::CancelAll { subaccount, market })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markets::MarketInfo;
    use crate::rpc::RpcClient;
    use crate::Context;
    use novation_types::{OrderKind, TimeInForce, TriggerCondition};
    use serde_json::json;

    fn with_env<T>(run: impl FnOnce(&Env<'_>) -> T) -> T {
        let ctx = Context { rpc: "http://127.0.0.1:9".into(), json: false, home: std::env::temp_dir() };
        let rpc = RpcClient::new(&ctx.rpc);
        let markets = vec![
            MarketInfo {
                id: 0,
                symbol: "BTC-PERP".into(),
                tick_size: "0.1".parse().unwrap(),
                lot_size: "0.0001".parse().unwrap(),
                min_order_lots: 10,
                ..Default::default()
            },
            MarketInfo {
                id: 1,
                symbol: "ETH-PERP".into(),
                tick_size: "0.01".parse().unwrap(),
                lot_size: "0.001".parse().unwrap(),
                min_order_lots: 1,
                ..Default::default()
            },
        ];
        let env = Env {
            ctx: &ctx,
            rpc: &rpc,
            account: "0x00000000000000000000000000000000000000aa".parse().unwrap(),
            subaccount: 3,
            markets: &markets,
            assets: &[],
        };
        run(&env)
    }

    #[test]
    fn a_human_batch_becomes_order_actions_on_the_subaccount() {
        let file = json!([
            {"place": {"market": "BTC-PERP", "side": "buy", "size": "0.01", "price": "58000",
                       "time_in_force": "post-only", "client_id": 1}},
            {"place": {"market": "btc-perp", "side": "sell", "size": "0.002"}},
            {"trigger": {"kind": "stop-loss", "market": "BTC-PERP", "side": "sell", "size": "0.01", "trigger": "55000"}},
            {"cancel": {"order_id": 43}},
            {"cancel": {"client_id": 7}},
            {"cancel_all": {}}
        ]);
        let actions = with_env(|env| parse(env, &file)).unwrap();
        assert_eq!(actions.len(), 6);
        let OrderAction::Place(first) = &actions[0] else { panic!("{:?}", actions[0]) };
        assert_eq!((first.subaccount, first.size_lots.0, first.client_order_id), (3, 100, Some(1)));
        assert!(matches!(first.kind, OrderKind::Limit { time_in_force: TimeInForce::PostOnly, .. }));
        assert!(matches!(&actions[1], OrderAction::Place(p) if matches!(p.kind, OrderKind::Market { .. })));
        let OrderAction::PlaceTrigger(trigger) = &actions[2] else { panic!("{:?}", actions[2]) };
        assert_eq!((trigger.condition, trigger.order.reduce_only), (TriggerCondition::MarkAtOrBelow, true));
        assert!(matches!(
            actions[4],
            OrderAction::CancelByClientId(action::CancelByClientId { subaccount: 3, client_order_id: 7 })
        ));
    }

    #[test]
    fn the_example_in_the_docs_is_a_valid_batch_file() {
        let page = include_str!("../../../docs/cli.md");
        let start = page.find("```json\n").expect("docs/cli.md has a JSON example") + "```json\n".len();
        let end = start + page[start..].find("```").unwrap();
        let entries: Vec<Entry> = serde_json::from_str(&page[start..end]).unwrap();
        assert_eq!(entries.len(), 8);
        let without_modify: Vec<Value> = serde_json::from_str::<Vec<Value>>(&page[start..end])
            .unwrap()
            .into_iter()
            .filter(|entry| entry.get("modify").is_none())
            .collect();
        let actions = with_env(|env| parse(env, &Value::Array(without_modify))).unwrap();
        assert_eq!(actions.len(), 7);
    }

    #[test]
    fn the_protocols_own_form_is_accepted() {
        let file =
            json!([{"Cancel": {"subaccount": 0, "order_id": 5}}, {"CancelAll": {"subaccount": 0, "market": null}}]);
        let actions = with_env(|env| parse(env, &file)).unwrap();
        assert!(matches!(actions[0], OrderAction::Cancel(action::Cancel { order_id: OrderId(5), .. })));
    }

    #[test]
    fn mistakes_are_refused_naming_the_entry() {
        let refused = |file: Value| {
            let error = with_env(|env| parse(env, &file)).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{error}");
            error.to_string()
        };
        let off_grid = refused(
            json!([{"cancel_all": {}}, {"place": {"market": "BTC-PERP", "side": "buy", "size": "0.00105", "price": "1"}}]),
        );
        assert!(off_grid.starts_with("entry 1: size 0.00105 is not a multiple"), "{off_grid}");
        let small = refused(json!([{"place": {"market": "BTC-PERP", "side": "buy", "size": "0.0001", "price": "1"}}]));
        assert!(small.contains("below BTC-PERP's minimum order of 0.001"), "{small}");
        let unknown =
            refused(json!([{"place": {"market": "BTC-PERP", "side": "buy", "size": "0.01", "post_only": true}}]));
        assert!(unknown.contains("entry 0") && unknown.contains("post_only"), "{unknown}");
        assert!(refused(json!([{"cancel": {}}])).contains("cancel names an order"));
        assert!(refused(json!([{"place": {"market": "XRP", "side": "buy", "size": "1"}}])).contains("unknown market"));
        assert!(refused(
            json!([{"place": {"market": "ETH-PERP", "side": "buy", "size": "1", "time_in_force": "ioc"}}])
        )
        .contains("time_in_force needs a price"));
        assert!(refused(json!({"place": {}})).contains("JSON array"));
    }
}
