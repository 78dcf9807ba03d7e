//! Why the protocol refused an included transaction, in numbers: the refusal as the node
//! reported it ([`CliError::Rejected`]), plus what the command can fetch about the account
//! (free collateral against the margin an order needs, the balance against the amount asked
//! for, the mark against the order's price) and a one-line hint of what to do instead.
//!
//! A refused transaction changed nothing, so the account read after it is the account the
//! transaction met.

use novation_math::{Decimal, Rounding};
use novation_types::{Action, OrderAction, OrderKind, OrderRequest};
use serde_json::Value;

use crate::error::CliError;
use crate::markets::{as_decimal, asset_symbol, AssetInfo, MarketInfo};
use crate::tx::{balance_of, Env};
use crate::units::{from_steps, price_text, usd_text};

/// `rejected` (by the protocol in a block, or by the node's admission with a protocol code)
/// with the numbers and a hint, when the command knows any for its code.
pub(crate) fn explain(env: &Env<'_>, action: &Action, rejected: CliError) -> CliError {
    let code = match &rejected {
        CliError::Rejected { code, .. } => code,
        CliError::Rpc { code, .. } if (1..100).contains(code) => code,
        _ => return rejected,
    };
    let view = env.account_view(env.subaccount).unwrap_or(Value::Null);
    let (numbers, hint) = numbers_and_hint(*code, action, &view, env.markets, env.assets);
    if numbers.is_none() && hint.is_none() {
        return rejected;
    }
    CliError::Explained { rejected: Box::new(rejected), numbers, hint }
}

/// A decimal of the account view's `health`.
fn health_number(view: &Value, key: &str) -> Option<Decimal> {
    view.get("health").and_then(|h| h.get(key)).and_then(as_decimal)
}

/// The order an action places (the first of a batch), if it places one.
fn placed_order(action: &Action) -> Option<&OrderRequest> {
    match action {
        Action::Order(order_action) => order_placed(order_action),
        Action::Batch(actions) => actions.iter().find_map(order_placed),
        _ => None,
    }
}

/// The order an order action places, if it places one.
fn order_placed(order_action: &OrderAction) -> Option<&OrderRequest> {
    match order_action {
        OrderAction::Place(request) => Some(request),
        OrderAction::PlaceTrigger(trigger) => Some(&trigger.order),
        _ => None,
    }
}

/// The amount and asset an action moves out of its subaccount, if it moves any.
fn amount_out(action: &Action) -> Option<(Decimal, u16)> {
    match action {
        Action::Withdraw(withdraw) => Some((withdraw.amount, withdraw.asset.0)),
        Action::Transfer(transfer) => Some((transfer.amount, transfer.asset.0)),
        _ => None,
    }
}

/// What an order's margin comes to: `(size, price, initial margin needed)` at its limit
/// price, or the mark for a market order, and the market's smallest-tier initial fraction.
fn order_margin(order: &OrderRequest, market: &MarketInfo) -> Option<(Decimal, Decimal, Decimal)> {
    let size = from_steps(order.size_lots.0, market.lot_size)?;
    let price = match order.kind {
        OrderKind::Limit { price_ticks, .. } => from_steps(price_ticks.0, market.tick_size)?,
        OrderKind::Market { .. } => market.mark?,
    };
    let notional = size.mul(price, Rounding::HalfEven).ok()?;
    let needed = notional.mul(market.initial_margin?, Rounding::Ceil).ok()?;
    Some((size, price, needed))
}

/// The numbers and the hint for protocol error `code` on `action`, given the account `view`
/// after it.
pub(crate) fn numbers_and_hint(
    code: i64,
    action: &Action,
    view: &Value,
    markets: &[MarketInfo],
    assets: &[AssetInfo],
) -> (Option<String>, Option<String>) {
    let order = placed_order(action);
    let market = order.and_then(|o| markets.iter().find(|m| m.id == o.market.0));
    let hint = |text: &str| Some(text.to_string());
    match code {
        // Insufficient margin.
        8 => {
            let free = usd_text(health_number(view, "free_collateral").unwrap_or_default());
            let numbers = match (order, market, amount_out(action)) {
                (Some(order), Some(market), _) => match order_margin(order, market) {
                    Some((size, price, needed)) => Some(format!(
                        "free collateral {free} USD, but {size} {} at {} needs about {} USD of initial margin \
                         ({} of the notional)",
                        market.symbol,
                        price_text(price, market.tick_size),
                        usd_text(needed),
                        market.initial_margin.map_or_else(String::new, crate::units::percent_text),
                    )),
                    None => Some(format!("free collateral {free} USD")),
                },
                (_, _, Some((amount, asset))) => {
                    Some(format!("free collateral {free} USD, asked for {amount} {}", asset_symbol(assets, asset)))
                }
                _ => Some(format!(
                    "free collateral {free} USD, initial requirement {} USD",
                    usd_text(health_number(view, "initial_requirement").unwrap_or_default())
                )),
            };
            let hint = match amount_out(action) {
                Some(_) => "take out at most the free collateral, or reduce positions first",
                None => "deposit more or reduce size",
            };
            (numbers, Some(hint.to_string()))
        }
        // Insufficient balance.
        7 => match amount_out(action) {
            Some((amount, asset)) => {
                let symbol = asset_symbol(assets, asset);
                let held = balance_of(view, asset);
                (
                    Some(format!("holds {held} {symbol}, asked for {amount} {symbol}")),
                    hint("deposit first, or ask for less"),
                )
            }
            None => (None, hint("deposit more collateral")),
        },
        // Price outside the band around the mark.
        40 => {
            let numbers = market.and_then(|m| Some(format!("{} mark {}", m.symbol, price_text(m.mark?, m.tick_size))));
            (numbers, hint("price the order within the market's band around the mark (±10% by default)"))
        }
        12 => (None, hint("a post-only order must not cross: price it away from the other side (see `query book`)")),
        13 => (None, hint("not enough resting size to fill it whole: see `query book`, or use --ioc")),
        14 => (None, hint("see the open orders with `novation query orders ACCOUNT --subaccount N`")),
        15 => (None, hint("another open order uses that client id: pick another --client-id")),
        16 => (None, hint("a reduce-only order can only shrink the position: check its side and size")),
        17 => (None, hint("the market's open interest is at its cap: reduce size or wait")),
        18 => (None, hint("the oracle price is not valid now: only orders that reduce risk pass; retry shortly")),
        21 => (None, hint("an isolated subaccount trades one market with USD only: use another --subaccount")),
        22 => (None, hint("close the positions and cancel the orders first (`tx cancel-all`)")),
        25 | 26 => (None, hint("cancel orders or close positions, or use another --subaccount")),
        27 => (None, hint("nothing to trade within the slippage bound: see `query book`, or raise --slippage")),
        31 => (None, hint("withdrawals wait until the bad debt is covered; see `novation query risk`")),
        33 => (None, hint("authorise this key first: `novation tx --key OWNER authorize-agent AGENT`")),
        34 => (None, hint("sign with the account's own key: agents may only trade and deposit")),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_math::Ppm;
    use novation_types::{action, AssetId, MarketId, Side};
    use serde_json::json;

    fn markets() -> Vec<MarketInfo> {
        vec![MarketInfo {
            min_order_lots: 1,
            initial_margin: Some("0.05".parse().unwrap()),
            mark: Some("60000".parse().unwrap()),
            ..MarketInfo::btc_perp_for_tests()
        }]
    }

    fn assets() -> Vec<AssetInfo> {
        vec![AssetInfo { id: 0, symbol: "USD".into() }]
    }

    fn view() -> Value {
        json!({"balances": [{"asset": 0, "symbol": "USD", "amount": "100"}],
            "health": {"free_collateral": "12.5", "initial_requirement": "87.5"}})
    }

    #[test]
    fn an_order_refused_for_margin_says_free_collateral_and_what_it_needs() {
        let order = OrderRequest::limit(0, MarketId(0), Side::Buy, 580_000, 100);
        let (numbers, hint) =
            numbers_and_hint(8, &Action::Order(OrderAction::Place(order)), &view(), &markets(), &assets());
        assert_eq!(
            numbers.as_deref(),
            Some(
                "free collateral 12.50 USD, but 0.01 BTC-PERP at 58000.0 needs about 29.00 USD of initial margin (5% of \
                 the notional)"
            )
        );
        assert_eq!(hint.as_deref(), Some("deposit more or reduce size"));
        let market = OrderRequest::market(0, MarketId(0), Side::Sell, 100, Ppm::new(10_000));
        let (numbers, _) =
            numbers_and_hint(8, &Action::Order(OrderAction::Place(market)), &view(), &markets(), &assets());
        assert!(numbers.unwrap().contains("at 60000.0 needs about 30.00 USD"));
    }

    #[test]
    fn a_withdrawal_refused_says_available_against_asked() {
        let withdraw =
            Action::Withdraw(action::Withdraw { subaccount: 0, asset: AssetId(0), amount: "50".parse().unwrap() });
        let (numbers, hint) = numbers_and_hint(8, &withdraw, &view(), &markets(), &assets());
        assert_eq!(numbers.as_deref(), Some("free collateral 12.50 USD, asked for 50 USD"));
        assert!(hint.unwrap().contains("at most the free collateral"));
        let (numbers, _) = numbers_and_hint(7, &withdraw, &view(), &markets(), &assets());
        assert_eq!(numbers.as_deref(), Some("holds 100 USD, asked for 50 USD"));
    }

    #[test]
    fn codes_without_numbers_still_hint_and_unknown_codes_add_nothing() {
        let cancel = Action::Order(OrderAction::CancelAll(action::CancelAll { subaccount: 0, market: None }));
        assert_eq!(numbers_and_hint(33, &cancel, &Value::Null, &[], &[]).0, None);
        assert!(numbers_and_hint(33, &cancel, &Value::Null, &[], &[]).1.unwrap().contains("authorize-agent"));
        assert_eq!(numbers_and_hint(99, &cancel, &Value::Null, &[], &[]), (None, None));
    }
}
