//! Market-wide info types: the perpetual universe (`meta`), mid prices (`allMids`), book depth
//! (`l2Book`), per-asset context (`metaAndAssetCtxs`), candles (`candleSnapshot`), funding
//! rates (`fundingHistory`) and the empty spot universe (`spotMeta`).

use novation_math::{Decimal, Rounding};
use novation_node::{CandleView, Node};
use novation_protocol::queries::{L2Book, L2Level};
use novation_protocol::State;
use novation_types::{Event, MarketId};
use serde_json::{json, Map, Value};

use super::{Fields, InfoResult, Refusal};
use crate::wire::{self, number, optional_number, usd, Coin};

/// Levels per side in an `l2Book` answer (Hyperliquid sends 20).
const BOOK_LEVELS: usize = 20;
/// Most candles in one `candleSnapshot` answer (Hyperliquid's own limit).
const CANDLES_MAX: usize = 5_000;
/// Most entries in one `fundingHistory` answer (Hyperliquid pages at 500).
const FUNDING_ENTRIES_MAX: usize = 500;
/// A day, for the rolling 24-hour figures of `metaAndAssetCtxs`.
const DAY_MS: u64 = 86_400_000;

fn universe_json(coins: &[Coin]) -> Value {
    let universe: Vec<Value> = coins
        .iter()
        .map(|c| json!({"name": c.name, "szDecimals": c.sz_decimals, "maxLeverage": c.max_leverage}))
        .collect();
    json!({"universe": universe})
}

/// `meta`: `{universe: [{name, szDecimals, maxLeverage}]}`, the perpetuals by asset id.
pub(super) fn meta(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    Ok(node.with_state(|state| universe_json(&wire::universe(state))))
}

/// The mid of the best bid and ask, or `None` when either side is empty.
fn book_mid(state: &State, coin: &Coin) -> Option<Decimal> {
    let (bid, ask) = state.best_prices(coin.market)?;
    let sum_ticks = bid?.checked_add(ask?)?;
    coin.price(sum_ticks).div_int(2, Rounding::HalfEven).ok()
}

/// The mid when the book has both sides, else the mark (Hyperliquid always quotes a mid).
fn mid_or_mark(state: &State, coin: &Coin) -> Option<Decimal> {
    book_mid(state, coin).or_else(|| state.market(coin.market).and_then(|m| m.mark))
}

/// `allMids`: `{coin: mid}` for every coin with a price.
pub(super) fn all_mids(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    Ok(node.with_state(mids))
}

/// `{coin: mid}` for every coin with a price.
pub(crate) fn mids(state: &State) -> Value {
    let mut mids = Map::new();
    for coin in wire::universe(state) {
        if let Some(mid) = mid_or_mark(state, &coin) {
            mids.insert(coin.name.clone(), Value::String(number(mid)));
        }
    }
    Value::Object(mids)
}

fn level_json(coin: &Coin, level: &L2Level) -> Value {
    json!({"px": number(level.price), "sz": number(coin.size(level.size_lots)), "n": level.orders})
}

/// `l2Book`: `{coin, time, levels: [bids, asks]}`, best first, 20 levels a side. Hyperliquid's
/// price aggregation (`nSigFigs`, `mantissa`) is not offered: only full precision.
pub(super) fn l2_book(node: &Node, fields: &Fields<'_>) -> InfoResult {
    if fields.value("nSigFigs").is_some() || fields.value("mantissa").is_some() {
        return Err(Refusal::new("l2Book: nSigFigs and mantissa are not supported on novation (full precision only)"));
    }
    let name = fields.string("coin")?;
    node.with_state(|state| Ok(book_json(state, &known_coin(state, name)?)))
}

/// `{coin, time, levels: [bids, asks]}` of `coin` now.
pub(crate) fn book_json(state: &State, coin: &Coin) -> Value {
    let book = state.l2_book(coin.market, BOOK_LEVELS).unwrap_or(L2Book {
        market: coin.market,
        bids: Vec::new(),
        asks: Vec::new(),
    });
    let bids: Vec<Value> = book.bids.iter().map(|l| level_json(coin, l)).collect();
    let asks: Vec<Value> = book.asks.iter().map(|l| level_json(coin, l)).collect();
    json!({"coin": coin.name, "time": state.time_ms(), "levels": [bids, asks]})
}

pub(crate) fn known_coin(state: &State, name: &str) -> Result<Coin, Refusal> {
    wire::coin_by_name(state, name).ok_or_else(|| {
        let names: Vec<String> = wire::universe(state).into_iter().map(|c| c.name).collect();
        Refusal::new(format!("unknown coin {name:?}; coins: {}", names.join(", ")))
    })
}

/// The average price at which `notional` of quote would fill against `levels` (best first),
/// rounded away from the mid to a tick; `None` when the side is too thin.
fn impact_price(coin: &Coin, levels: &[L2Level], notional: Decimal, rounding: Rounding) -> Option<Decimal> {
    let mut remaining = notional;
    let mut filled_quote = Decimal::ZERO;
    let mut filled_size = Decimal::ZERO;
    for level in levels {
        let size = coin.size(level.size_lots);
        let level_quote = size.mul(level.price, Rounding::HalfEven).ok()?;
        if level_quote >= remaining {
            let part = remaining.div(level.price, Rounding::HalfEven).ok()?;
            filled_quote = filled_quote.checked_add(remaining).ok()?;
            filled_size = filled_size.checked_add(part).ok()?;
            let average = filled_quote.div(filled_size, Rounding::HalfEven).ok()?;
            let ticks = average.to_units(coin.tick_size, rounding).ok()?;
            return Decimal::from_units(ticks, coin.tick_size).ok();
        }
        remaining = remaining.checked_sub(level_quote).ok()?;
        filled_quote = filled_quote.checked_add(level_quote).ok()?;
        filled_size = filled_size.checked_add(size).ok()?;
    }
    None
}

/// What a context needs from state, read under one lock.
struct ContextInputs {
    coin: Coin,
    funding: Decimal,
    open_interest: Decimal,
    oracle: Option<Decimal>,
    mark: Option<Decimal>,
    mid: Option<Decimal>,
    impact: Option<(Decimal, Decimal)>,
}

fn context_inputs(state: &State, coin: Coin) -> ContextInputs {
    let view = state.market(coin.market);
    let impact_notional = state.params().markets.get(coin.market.0 as usize).map(|m| m.funding.impact_notional);
    let book = state.l2_book(coin.market, 500);
    let impact = match (book, impact_notional) {
        (Some(book), Some(notional)) if notional.is_positive() => {
            let bid = impact_price(&coin, &book.bids, notional, Rounding::Floor);
            let ask = impact_price(&coin, &book.asks, notional, Rounding::Ceil);
            bid.zip(ask)
        }
        _ => None,
    };
    ContextInputs {
        funding: view.as_ref().map_or(Decimal::ZERO, |v| v.last_funding_rate),
        open_interest: view.as_ref().map_or(Decimal::ZERO, |v| coin.size(v.open_interest_lots)),
        oracle: view.as_ref().and_then(|v| v.index),
        mark: view.as_ref().and_then(|v| v.mark),
        mid: book_mid(state, &coin),
        impact,
        coin,
    }
}

/// Volume and the first price of the last 24 hours, from the hourly candles.
fn day_stats(node: &Node, market: MarketId, now_ms: u64) -> (Decimal, Decimal, Option<Decimal>) {
    let candles: Vec<CandleView> =
        node.candles(market, "1h", (now_ms.saturating_sub(DAY_MS), now_ms), 25).ok().flatten().unwrap_or_default();
    let notional = candles.iter().fold(Decimal::ZERO, |sum, c| sum.checked_add(c.notional).unwrap_or(sum));
    let base = candles.iter().fold(Decimal::ZERO, |sum, c| sum.checked_add(c.volume).unwrap_or(sum));
    (notional, base, candles.first().map(|c| c.open))
}

fn context_json(inputs: &ContextInputs, day: (Decimal, Decimal, Option<Decimal>)) -> Value {
    let (day_notional, day_base, day_open) = day;
    let reference = inputs.mid.or(inputs.mark);
    let premium = match (reference, inputs.oracle) {
        (Some(price), Some(oracle)) => price.checked_sub(oracle).ok().and_then(|d| wire::ratio(d, oracle)),
        _ => None,
    };
    json!({
        "funding": number(inputs.funding),
        "openInterest": number(inputs.open_interest),
        "prevDayPx": optional_number(day_open.or(inputs.mark)),
        "dayNtlVlm": usd(day_notional, Rounding::HalfEven),
        "premium": optional_number(premium),
        "oraclePx": optional_number(inputs.oracle),
        "markPx": optional_number(inputs.mark),
        "midPx": optional_number(inputs.mid),
        "impactPxs": inputs.impact.map(|(bid, ask)| json!([number(bid), number(ask)])),
        "dayBaseVlm": number(day_base),
    })
}

/// `metaAndAssetCtxs`: `[meta, [ctx per coin]]`. `funding` is the rate of the last funding
/// interval; the day figures are the last 24 hours of hourly candles.
pub(super) fn meta_and_asset_ctxs(node: &Node, fields: &Fields<'_>) -> InfoResult {
    fields.default_dex()?;
    let (meta, inputs, now_ms) = node.with_state(|state| {
        let coins = wire::universe(state);
        let meta = universe_json(&coins);
        let inputs: Vec<ContextInputs> = coins.into_iter().map(|c| context_inputs(state, c)).collect();
        (meta, inputs, state.time_ms())
    });
    // History is read outside the state lock.
    let contexts: Vec<Value> = inputs.iter().map(|i| context_json(i, day_stats(node, i.coin.market, now_ms))).collect();
    Ok(json!([meta, contexts]))
}

/// `candleSnapshot` with `req: {coin, interval, startTime, endTime}`:
/// `[{t, T, s, i, o, c, h, l, v, n}]`, oldest first; intervals without trades are absent.
pub(super) fn candle_snapshot(node: &Node, fields: &Fields<'_>) -> InfoResult {
    let req = fields
        .value("req")
        .and_then(Value::as_object)
        .ok_or_else(|| Refusal::new("candleSnapshot: `req` must be {coin, interval, startTime, endTime}"))?;
    let req = Fields::new("candleSnapshot.req", req, &["coin", "interval", "startTime", "endTime"])?;
    let name = req.string("coin")?;
    let interval = req.string("interval")?;
    let start_ms = req.integer("startTime")?;
    let end_ms = req.optional_integer("endTime")?.unwrap_or(u64::MAX);
    if start_ms > end_ms {
        return Err(Refusal::new(format!("candleSnapshot: startTime {start_ms} is after endTime {end_ms}")));
    }
    let coin = node.with_state(|state| known_coin(state, name))?;
    let candles = node
        .candles(coin.market, interval, (start_ms, end_ms), CANDLES_MAX)
        .map_err(|e| Refusal::new(format!("candleSnapshot: {e}")))?
        .ok_or_else(|| {
            Refusal::new(format!(
                "candleSnapshot: unknown interval {interval:?} ({})",
                wire::CANDLE_INTERVALS.join(", ")
            ))
        })?;
    Ok(Value::Array(candles.iter().map(|c| candle_json(&coin, interval, c)).collect()))
}

/// One candle as Hyperliquid's `{t, T, s, i, o, c, h, l, v, n}`.
pub(crate) fn candle_json(coin: &Coin, interval: &str, candle: &CandleView) -> Value {
    json!({
        "t": candle.open_ms, "T": candle.close_ms, "s": coin.name, "i": interval,
        "o": number(candle.open), "c": number(candle.close), "h": number(candle.high), "l": number(candle.low),
        "v": number(candle.volume), "n": candle.trades,
    })
}

/// `fundingHistory` with `coin`, `startTime`, `endTime`: `[{coin, fundingRate, premium,
/// time}]`, oldest first, at most 500. `premium` is the rate less the interest component
/// (exact while the rate is inside its clamp and cap).
pub(super) fn funding_history(node: &Node, fields: &Fields<'_>) -> InfoResult {
    let name = fields.string("coin")?;
    let start_ms = fields.integer("startTime")?;
    let end_ms = fields.optional_integer("endTime")?.unwrap_or(u64::MAX);
    let (coin, interest) = node.with_state(|state| {
        let coin = known_coin(state, name)?;
        let interest = state
            .params()
            .markets
            .get(coin.market.0 as usize)
            .map_or(Decimal::ZERO, |m| m.funding.interest_per_interval.to_decimal());
        Ok::<_, Refusal>((coin, interest))
    })?;
    let events = node
        .funding_rates(coin.market, (start_ms, end_ms), FUNDING_ENTRIES_MAX)
        .map_err(|e| Refusal::new(format!("fundingHistory: {e}")))?;
    let rows: Vec<Value> = events
        .iter()
        .filter_map(|past| match past.event {
            Event::FundingRate { rate, .. } => Some(json!({
                "coin": coin.name,
                "fundingRate": number(rate),
                "premium": number(rate.checked_sub(interest).unwrap_or(rate)),
                "time": past.time_ms,
            })),
            _ => None,
        })
        .collect();
    Ok(Value::Array(rows))
}

/// `spotMeta`: novation lists no spot pairs, so the universe and token list are empty.
pub(super) fn empty_spot_meta() -> Value {
    json!({"universe": [], "tokens": []})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin() -> Coin {
        Coin {
            name: "BTC".into(),
            asset: 0,
            market: MarketId(0),
            sz_decimals: 4,
            max_leverage: 20,
            tick_size: "0.1".parse().unwrap(),
            lot_size: "0.0001".parse().unwrap(),
        }
    }

    fn level(price: &str, lots: u64) -> L2Level {
        let price: Decimal = price.parse().unwrap();
        L2Level {
            price_ticks: price.to_units("0.1".parse().unwrap(), Rounding::Floor).unwrap() as u64,
            price,
            size_lots: lots,
            orders: 1,
        }
    }

    #[test]
    fn the_impact_price_averages_the_levels_walked_and_rounds_away_from_the_mid() {
        // 1 BTC at 100 and 1 BTC at 110: 150 of quote buys 1 at 100 and 50/110 at 110.
        let asks = [level("100", 10_000), level("110", 10_000)];
        let price = impact_price(&coin(), &asks, "150".parse().unwrap(), Rounding::Ceil).unwrap();
        // 150 / (1 + 0.4545…) = 103.125 → 103.2 rounded up to a tick.
        assert_eq!(number(price), "103.2");
        assert_eq!(impact_price(&coin(), &asks, "1000000".parse().unwrap(), Rounding::Ceil), None);
    }

    #[test]
    fn a_level_prints_price_size_and_count() {
        assert_eq!(level_json(&coin(), &level("100", 12_345)), json!({"px": "100.0", "sz": "1.2345", "n": 1}));
    }
}
