//! From a Hyperliquid action's JSON (as signed, keys in received order) to the typed
//! [`HlActionKind`] the protocol applies: every field checked for shape, unknown fields
//! refused at every level, decimals parsed exactly. Nothing here reads state: which market an
//! asset index names, and whether a price is on its tick, are the protocol's questions.

use novation_math::Decimal;
use novation_types::hyperliquid::{
    HlActionKind, HlApproveAgent, HlCancel, HlCancelByCloid, HlModify, HlOrder, HlOrderKind, HlOrderRef, HlTif,
    HlUpdateLeverage, HlWithdraw,
};
use novation_types::{Address, Side};

use super::ActionValue;

/// Most items in one bulk action (orders, cancels, modifies).
pub const BULK_MAX: usize = 64;

/// Why an action does not parse: a sentence naming the field.
pub type ParseError = String;

fn object<'a>(value: &'a ActionValue, what: &str, fields: &[&str]) -> Result<&'a ActionValue, ParseError> {
    let ActionValue::Object(entries) = value else { return Err(format!("{what} must be an object")) };
    if let Some((unknown, _)) = entries.iter().find(|(key, _)| !fields.contains(&key.as_str())) {
        return Err(format!("{what}: unknown field `{unknown}` (fields: {})", fields.join(", ")));
    }
    Ok(value)
}

fn field<'a>(value: &'a ActionValue, name: &str, what: &str) -> Result<&'a ActionValue, ParseError> {
    value.get(name).ok_or_else(|| format!("{what}: `{name}` is required"))
}

fn uint(value: &ActionValue, name: &str, what: &str) -> Result<u64, ParseError> {
    match field(value, name, what)? {
        ActionValue::UInt(n) => Ok(*n),
        _ => Err(format!("{what}: `{name}` must be a non-negative integer")),
    }
}

fn u32_field(value: &ActionValue, name: &str, what: &str) -> Result<u32, ParseError> {
    u32::try_from(uint(value, name, what)?).map_err(|_| format!("{what}: `{name}` is out of range"))
}

fn boolean(value: &ActionValue, name: &str, what: &str) -> Result<bool, ParseError> {
    match field(value, name, what)? {
        ActionValue::Bool(b) => Ok(*b),
        _ => Err(format!("{what}: `{name}` must be true or false")),
    }
}

fn string<'a>(value: &'a ActionValue, name: &str, what: &str) -> Result<&'a str, ParseError> {
    field(value, name, what)?.as_str().ok_or_else(|| format!("{what}: `{name}` must be a string"))
}

fn decimal(value: &ActionValue, name: &str, what: &str) -> Result<Decimal, ParseError> {
    let text = string(value, name, what)?;
    text.parse().map_err(|_| format!("{what}: `{name}` {text:?} is not a decimal number"))
}

fn address(value: &ActionValue, name: &str, what: &str) -> Result<Address, ParseError> {
    let text = string(value, name, what)?;
    text.parse().map_err(|_| format!("{what}: `{name}` {text:?} is not an address"))
}

/// A cloid: `0x` and 32 hex digits, of which novation keeps the low 64 bits (the high 64
/// must be zero, so nothing is silently dropped).
pub fn parse_cloid(text: &str) -> Result<u64, ParseError> {
    let digits = text.strip_prefix("0x").unwrap_or("");
    if digits.len() != 32 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("cloid {text:?} must be 0x and 32 hex digits"));
    }
    let value = u128::from_str_radix(digits, 16).map_err(|_| format!("cloid {text:?} is not hex"))?;
    u64::try_from(value)
        .map_err(|_| format!("cloid {text:?}: novation keeps 64-bit client ids, so its first 16 hex digits must be 0"))
}

fn items<'a>(value: &'a ActionValue, name: &str, what: &str) -> Result<&'a [ActionValue], ParseError> {
    let ActionValue::Array(items) = field(value, name, what)? else {
        return Err(format!("{what}: `{name}` must be a list"));
    };
    if items.is_empty() || items.len() > BULK_MAX {
        return Err(format!("{what}: `{name}` must hold 1 to {BULK_MAX} items, not {}", items.len()));
    }
    Ok(items)
}

/// One order in Hyperliquid's wire form `{a, b, p, s, r, t, c?}`.
fn order(value: &ActionValue) -> Result<HlOrder, ParseError> {
    let what = "order";
    let value = object(value, what, &["a", "b", "p", "s", "r", "t", "c"])?;
    let kind_value = object(field(value, "t", what)?, "order type `t`", &["limit", "trigger"])?;
    let kind = match (kind_value.get("limit"), kind_value.get("trigger")) {
        (Some(limit), None) => {
            let limit = object(limit, "limit", &["tif"])?;
            HlOrderKind::Limit(match string(limit, "tif", "limit")? {
                "Gtc" => HlTif::Gtc,
                "Ioc" => HlTif::Ioc,
                "Alo" => HlTif::Alo,
                other => return Err(format!("limit: tif {other:?} is not Gtc, Ioc or Alo")),
            })
        }
        (None, Some(trigger)) => {
            let trigger = object(trigger, "trigger", &["isMarket", "triggerPx", "tpsl"])?;
            HlOrderKind::Trigger {
                is_market: boolean(trigger, "isMarket", "trigger")?,
                trigger_price: decimal(trigger, "triggerPx", "trigger")?,
                take_profit: match string(trigger, "tpsl", "trigger")? {
                    "tp" => true,
                    "sl" => false,
                    other => return Err(format!("trigger: tpsl {other:?} is not tp or sl")),
                },
            }
        }
        _ => return Err("order type `t` must be {\"limit\": …} or {\"trigger\": …}".into()),
    };
    let cloid = match value.get("c") {
        None | Some(ActionValue::Null) => None,
        Some(ActionValue::Str(text)) => Some(parse_cloid(text)?),
        Some(_) => return Err("order: `c` must be a cloid string".into()),
    };
    Ok(HlOrder {
        asset: u32_field(value, "a", what)?,
        side: if boolean(value, "b", what)? { Side::Buy } else { Side::Sell },
        price: decimal(value, "p", what)?,
        size: decimal(value, "s", what)?,
        reduce_only: boolean(value, "r", what)?,
        kind,
        cloid,
    })
}

fn order_ref(value: &ActionValue) -> Result<HlOrderRef, ParseError> {
    match value {
        ActionValue::UInt(oid) => Ok(HlOrderRef::Oid(*oid)),
        ActionValue::Str(cloid) => Ok(HlOrderRef::Cloid(parse_cloid(cloid)?)),
        _ => Err("modify: `oid` must be an order id or a cloid".into()),
    }
}

fn modify(value: &ActionValue) -> Result<HlModify, ParseError> {
    let value = object(value, "modify", &["oid", "order"])?;
    Ok(HlModify { order: order_ref(field(value, "oid", "modify")?)?, new: order(field(value, "order", "modify")?)? })
}

/// The typed action of an L1 action (`type` ∈ order, cancel, cancelByCloid, modify,
/// batchModify, updateLeverage, noop).
pub fn l1_action(action: &ActionValue) -> Result<HlActionKind, ParseError> {
    let kind = action.get("type").and_then(ActionValue::as_str).unwrap_or("");
    Ok(match kind {
        "order" => {
            let action = object(action, "order action", &["type", "orders", "grouping", "builder"])?;
            match action.get("grouping").and_then(ActionValue::as_str) {
                Some("na") | None => {}
                Some(other) => {
                    return Err(format!(
                        "order action: grouping {other:?} is not served (novation places each order on its own: use \"na\")"
                    ))
                }
            }
            // A builder fee (CCXT adds one) is checked for shape and not charged: novation has
            // no builder fees (docs/hyperliquid.md).
            if let Some(builder) = action.get("builder") {
                let builder = object(builder, "builder", &["b", "f"])?;
                address(builder, "b", "builder")?;
                uint(builder, "f", "builder")?;
            }
            HlActionKind::Order(items(action, "orders", "order action")?.iter().map(order).collect::<Result<_, _>>()?)
        }
        "cancel" => {
            let action = object(action, "cancel action", &["type", "cancels"])?;
            let cancels = items(action, "cancels", "cancel action")?.iter().map(|item| {
                let item = object(item, "cancel", &["a", "o"])?;
                Ok(HlCancel { asset: u32_field(item, "a", "cancel")?, order_id: uint(item, "o", "cancel")? })
            });
            HlActionKind::Cancel(cancels.collect::<Result<_, ParseError>>()?)
        }
        "cancelByCloid" => {
            let action = object(action, "cancelByCloid action", &["type", "cancels"])?;
            let cancels = items(action, "cancels", "cancelByCloid action")?.iter().map(|item| {
                let item = object(item, "cancel", &["asset", "cloid"])?;
                Ok(HlCancelByCloid {
                    asset: u32_field(item, "asset", "cancel")?,
                    cloid: parse_cloid(string(item, "cloid", "cancel")?)?,
                })
            });
            HlActionKind::CancelByCloid(cancels.collect::<Result<_, ParseError>>()?)
        }
        "modify" => {
            let action = object(action, "modify action", &["type", "oid", "order"])?;
            HlActionKind::Modify(vec![HlModify {
                order: order_ref(field(action, "oid", "modify action")?)?,
                new: order(field(action, "order", "modify action")?)?,
            }])
        }
        "batchModify" => {
            let action = object(action, "batchModify action", &["type", "modifies"])?;
            HlActionKind::Modify(
                items(action, "modifies", "batchModify action")?.iter().map(modify).collect::<Result<_, _>>()?,
            )
        }
        "updateLeverage" => {
            let action = object(action, "updateLeverage action", &["type", "asset", "isCross", "leverage"])?;
            HlActionKind::UpdateLeverage(HlUpdateLeverage {
                asset: u32_field(action, "asset", "updateLeverage")?,
                is_cross: boolean(action, "isCross", "updateLeverage")?,
                leverage: u32_field(action, "leverage", "updateLeverage")?,
            })
        }
        "noop" => {
            object(action, "noop action", &["type"])?;
            HlActionKind::Noop
        }
        other => return Err(format!("action type {other:?} is not served (docs/hyperliquid.md lists what is)")),
    })
}

/// The typed action of a user-signed action (`approveAgent`, `withdraw3`), whose own nonce
/// field (`nonce` or `time`) must equal the request's `nonce`.
pub fn user_signed_action(action: &ActionValue, nonce: u64) -> Result<HlActionKind, ParseError> {
    let kind = action.get("type").and_then(ActionValue::as_str).unwrap_or("");
    let common = ["type", "signatureChainId", "hyperliquidChain"];
    let check_nonce = |own: u64, name: &str| {
        if own == nonce {
            Ok(())
        } else {
            Err(format!("{kind}: `{name}` {own} must equal the request's nonce {nonce}"))
        }
    };
    Ok(match kind {
        "approveAgent" => {
            let action = object(action, kind, &[&common[..], &["agentAddress", "agentName", "nonce"]].concat())?;
            check_nonce(uint(action, "nonce", kind)?, "nonce")?;
            HlActionKind::ApproveAgent(HlApproveAgent { agent: address(action, "agentAddress", kind)? })
        }
        "withdraw3" => {
            let action = object(action, kind, &[&common[..], &["destination", "amount", "time"]].concat())?;
            check_nonce(uint(action, "time", kind)?, "time")?;
            HlActionKind::Withdraw(HlWithdraw {
                destination: address(action, "destination", kind)?,
                amount: decimal(action, "amount", kind)?,
            })
        }
        other => return Err(format!("user-signed action {other:?} is not served (docs/hyperliquid.md lists what is)")),
    })
}
