//! An account's past, from the node's stored history: its funding payments (`userFunding`)
//! and its orders with their latest status (`historicalOrders`). A Hyperliquid user is
//! novation's subaccount 0 of the address.
//!
//! novation settles funding lazily: a position's accrued funding moves into the balance when
//! the position next trades (`Event::FundingSettled`, just before that `Event::Fill`), so one
//! payment may cover several funding intervals. Each payment is shown as one Hyperliquid
//! funding row whose `szi` is the position that earned it (the one held until that fill) and
//! whose `fundingRate` is the sum of the interval rates it covers (`nSamples` of them).

use std::collections::{BTreeMap, BTreeSet};

use novation_math::{Decimal, Rounding};
use novation_node::{Node, PastEvent};
use novation_types::{Event, MarketId, SubaccountId};
use serde_json::{json, Value};

use super::user::{self, UserFill};
use super::{Fields, InfoResult, Refusal};
use crate::wire::{self, number, usd, Coin};

/// Most funding settlements `userFunding` looks back through.
const SETTLEMENTS_MAX: usize = 2_000;
/// Most rows one `userFunding` answer holds (Hyperliquid pages at 500).
const FUNDING_ROWS_MAX: usize = 500;
/// Most orders one `historicalOrders` answer holds (Hyperliquid's limit).
const ORDERS_MAX: usize = 2_000;
/// Most funding rates read per market to sum a page's rows (the node's read bound).
const RATES_MAX: usize = novation_node::HISTORY_READ_MAX;

/// A funding settlement of the account in a market.
struct Settlement<'a> {
    past: &'a PastEvent,
    market: MarketId,
    amount: Decimal,
}

fn settlement(past: &PastEvent, id: SubaccountId) -> Option<Settlement<'_>> {
    match past.event {
        Event::FundingSettled { subaccount, market, amount } if subaccount == id => {
            Some(Settlement { past, market, amount })
        }
        _ => None,
    }
}

/// Where a settlement's position came from: the position (lots) it was paid on, and the
/// height of the fill before that position's settling fill (`None` when that fill is older
/// than the fills read), which bounds the intervals it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Earned {
    position_lots: i64,
    since_height: Option<u64>,
}

/// For a settlement at (`height`, `seq`) in `market`: the fill that settled it is the
/// account's first fill in that market after it in the same block (`fills` newest first,
/// `moves` their positions before and after).
fn earned(fills: &[UserFill<'_>], moves: &[(i64, i64)], market: MarketId, (height, seq): (u64, u32)) -> Option<Earned> {
    let settling = fills
        .iter()
        .enumerate()
        .filter(|(_, f)| f.coin.market == market && f.past.height == height && f.past.seq > seq)
        .min_by_key(|(_, f)| f.past.seq)
        .map(|(index, _)| index)?;
    let position_lots = moves.get(settling)?.0;
    let since_height =
        fills.get(settling + 1..).unwrap_or(&[]).iter().find(|f| f.coin.market == market).map(|f| f.past.height);
    Some(Earned { position_lots, since_height })
}

/// The rates (oldest first) applied in `since_height..height`: a fill at `since_height`
/// precedes that block's end-of-block funding, and the settling fill at `height` precedes its.
fn covered(rates: &[PastEvent], since_height: u64, height: u64) -> (Decimal, usize) {
    rates.iter().filter(|r| (since_height..height).contains(&r.height)).fold((Decimal::ZERO, 0), |(sum, n), past| {
        match past.event {
            Event::FundingRate { rate, .. } => (sum.checked_add(rate).unwrap_or(sum), n + 1),
            _ => (sum, n),
        }
    })
}

/// `userFunding`: the account's funding payments with block times in `startTime..=endTime`
/// (`startTime` absent: from the first, `endTime` absent: until now), oldest first, at most
/// 500, among its latest 2,000 settlements: `[{time, hash, delta: {type: "funding", coin,
/// usdc, szi, fundingRate, nSamples}}]`. `usdc` is what the account received (negative:
/// paid); `hash` is the zero hash. `szi`, `fundingRate` and `nSamples` are `null` when the
/// fills they come from are older than the account's latest 2,000.
pub(super) fn user_funding(node: &Node, fields: &Fields<'_>) -> InfoResult {
    let id = user::account_of(fields)?;
    let start_ms = fields.optional_integer("startTime")?.unwrap_or(0);
    let end_ms = fields.optional_integer("endTime")?.unwrap_or(u64::MAX);
    let failed = |e: novation_node::NodeError| Refusal::new(format!("userFunding: {e}"));
    let (coins, positions) = user::coins_and_positions(node, id);
    let records = node.account_funding(id.owner, SETTLEMENTS_MAX).map_err(failed)?;
    // Oldest first, as Hyperliquid pages: the first 500 from `startTime`.
    let mut settlements: Vec<Settlement<'_>> = records
        .iter()
        .filter_map(|past| settlement(past, id))
        .filter(|s| (start_ms..=end_ms).contains(&s.past.time_ms) && wire::coin_of_market(&coins, s.market).is_some())
        .collect();
    settlements.reverse();
    settlements.truncate(FUNDING_ROWS_MAX);
    if settlements.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let fill_records = node.account_fills(id.owner, user::FILLS_MAX).map_err(failed)?;
    let fills: Vec<UserFill<'_>> = fill_records.iter().filter_map(|past| user::user_side(past, id, &coins)).collect();
    let moves = user::fill_positions(&fills, positions);
    let earned: Vec<Option<Earned>> =
        settlements.iter().map(|s| earned(&fills, &moves, s.market, (s.past.height, s.past.seq))).collect();
    let rates = rates_for(node, &settlements, &earned, &fills).map_err(failed)?;
    let rows = settlements
        .iter()
        .zip(&earned)
        .filter_map(|(settlement, earned)| {
            let coin = wire::coin_of_market(&coins, settlement.market)?;
            Some(funding_row(coin, settlement, *earned, rates.get(&settlement.market).map(Vec::as_slice)))
        })
        .collect();
    Ok(Value::Array(rows))
}

/// Each settled market's funding rates over the page's intervals, one bounded read per market.
fn rates_for(
    node: &Node,
    settlements: &[Settlement<'_>],
    earned: &[Option<Earned>],
    fills: &[UserFill<'_>],
) -> Result<BTreeMap<MarketId, Vec<PastEvent>>, novation_node::NodeError> {
    let markets: BTreeSet<MarketId> = settlements.iter().map(|s| s.market).collect();
    let mut rates = BTreeMap::new();
    for market in markets {
        // From the earliest covering fill's block time to the last settlement's.
        let since_heights: BTreeSet<u64> = settlements
            .iter()
            .zip(earned)
            .filter(|(s, _)| s.market == market)
            .filter_map(|(_, e)| e.and_then(|e| e.since_height))
            .collect();
        let Some(first_height) = since_heights.first() else { continue };
        let from_ms = fills.iter().filter(|f| f.past.height == *first_height).map(|f| f.past.time_ms).min();
        let to_ms = settlements.iter().filter(|s| s.market == market).map(|s| s.past.time_ms).max();
        let (Some(from_ms), Some(to_ms)) = (from_ms, to_ms) else { continue };
        rates.insert(market, node.funding_rates(market, (from_ms, to_ms), RATES_MAX)?);
    }
    Ok(rates)
}

fn funding_row(coin: &Coin, settlement: &Settlement<'_>, earned: Option<Earned>, rates: Option<&[PastEvent]>) -> Value {
    let position = earned.map(|e| number(coin.signed_size(e.position_lots)));
    // The sum is trusted only when the read held every rate up to this settlement.
    let complete = |rates: &[PastEvent]| {
        rates.len() < RATES_MAX || rates.last().is_some_and(|r| r.height.saturating_add(1) >= settlement.past.height)
    };
    let summed = match (earned.and_then(|e| e.since_height), rates) {
        (Some(since), Some(rates)) if complete(rates) => Some(covered(rates, since, settlement.past.height)),
        _ => None,
    };
    json!({
        "time": settlement.past.time_ms,
        "hash": format!("0x{}", "0".repeat(64)),
        "delta": {
            "type": "funding",
            "coin": coin.name,
            "usdc": usd(settlement.amount, Rounding::HalfEven),
            "szi": position,
            "fundingRate": summed.map(|(rate, _)| number(rate)),
            "nSamples": summed.map(|(_, n)| n),
        },
    })
}

/// `historicalOrders`: the account's latest 2,000 orders, newest first, each with its latest
/// status as `orderStatus` gives it (`{order, status, statusTimestamp}`): resting orders
/// `open`, then from the account's latest 2,000 order events `canceled` (by the reason) with
/// the size left, or `filled`. Trigger orders appear once they trigger.
pub(super) fn historical_orders(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    let id = user::account_of(fields)?;
    let (resting, coins, now_ms) =
        node.with_state(|state| (user::resting(state, id), wire::universe(state), state.time_ms()));
    let events = node
        .account_order_events(id.owner, user::ORDER_EVENTS_MAX)
        .map_err(|e| Refusal::new(format!("historicalOrders: {e}")))?;
    let cancelled: BTreeMap<u64, user::Cancellation> =
        events.iter().filter_map(|past| user::cancellation(past, id)).collect();
    let mut orders: Vec<(u64, Value)> = resting
        .iter()
        .map(|(coin, order)| (order.order_id.0, user::open_order_status_json(coin, order, now_ms)))
        .collect();
    let open: BTreeSet<u64> = orders.iter().map(|(oid, _)| *oid).collect();
    for order in events.iter().filter_map(|past| user::accepted(past, id)) {
        if open.contains(&order.order_id) {
            continue;
        }
        if let Some(json) = user::past_order_json(&order, cancelled.get(&order.order_id).copied(), &coins) {
            orders.push((order.order_id, json));
        }
    }
    // Order ids grow with time: newest first.
    orders.sort_by_key(|(oid, _)| std::cmp::Reverse(*oid));
    orders.dedup_by_key(|(oid, _)| *oid);
    orders.truncate(ORDERS_MAX);
    Ok(Value::Array(orders.into_iter().map(|(_, json)| json).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use novation_types::{OrderId, Side};

    fn owner() -> SubaccountId {
        SubaccountId::new("0x00000000000000000000000000000000000000aa".parse().unwrap(), 0)
    }

    fn rate_at(height: u64, rate: &str) -> PastEvent {
        let event = Event::FundingRate { market: MarketId(0), rate: rate.parse().unwrap(), index: Decimal::ZERO };
        PastEvent { height, seq: 9, time_ms: height * 1_000, tx_index: None, event }
    }

    #[test]
    fn a_payment_covers_the_rates_from_the_previous_fill_to_the_settling_one() {
        let rates = [rate_at(3, "0.0001"), rate_at(5, "0.0002"), rate_at(7, "0.0004"), rate_at(9, "0.0008")];
        // Previous fill at 5 (its block's rate applies after it), settling fill at 9 (before it).
        let (sum, samples) = covered(&rates, 5, 9);
        assert_eq!((number(sum), samples), ("0.0006".to_string(), 2));
        assert_eq!(covered(&rates, 9, 9), (Decimal::ZERO, 0));
    }

    #[test]
    fn the_settling_fill_is_the_next_one_in_the_same_block_and_market() {
        let coins = {
            let genesis = novation_protocol::params::Genesis::example(&[]);
            wire::universe(&novation_protocol::State::new(genesis).unwrap())
        };
        let fill = |height: u64, seq: u32, taker_side: Side, lots: u64| PastEvent {
            height,
            seq,
            time_ms: height * 1_000,
            tx_index: Some(0),
            event: Event::Fill {
                market: MarketId(0),
                maker_order: OrderId(1),
                taker_order: OrderId(2),
                maker: SubaccountId::new(owner().owner, 1),
                taker: owner(),
                taker_side,
                price_ticks: 600_000,
                size_lots: lots,
                notional: Decimal::ZERO,
                maker_fee: Decimal::ZERO,
                taker_fee: Decimal::ZERO,
                maker_realized_pnl: Decimal::ZERO,
                taker_realized_pnl: Decimal::ZERO,
            },
        };
        // Newest first: bought 3 at height 4, bought 2 more at 8 (settling), sold 1 at 12.
        let records = [fill(12, 2, Side::Sell, 1), fill(8, 1, Side::Buy, 2), fill(4, 1, Side::Buy, 3)];
        let fills: Vec<UserFill<'_>> = records.iter().filter_map(|p| user::user_side(p, owner(), &coins)).collect();
        let moves = user::fill_positions(&fills, BTreeMap::from([(MarketId(0), 4)]));
        assert_eq!(moves, [(5, 4), (3, 5), (0, 3)]);
        let at_8 = earned(&fills, &moves, MarketId(0), (8, 0)).unwrap();
        assert_eq!(at_8, Earned { position_lots: 3, since_height: Some(4) });
        let at_4 = earned(&fills, &moves, MarketId(0), (4, 0)).unwrap();
        assert_eq!(at_4.since_height, None, "no older fill was read");
        assert_eq!(earned(&fills, &moves, MarketId(0), (8, 1)), None, "the settlement precedes its fill");
    }
}
