//! Markets: per-market running state (order numbering, open interest, volume, last trade)
//! and the mark price.
//!
//! Mark price = median of (index + EMA of the basis, impact mid, index) when the book can fill
//! the market's impact notional on both sides; the index alone otherwise. The impact mid is
//! the midpoint of the average prices to buy and to sell the impact notional (the same one
//! funding uses), so a one-lot quote moves nothing. The basis EMA (impact mid − index) moves
//! by `basis_ema_alpha` per block and is clamped to ± `max_mark_basis` of the index, so the
//! mark never strays further than that from the oracle, whatever the book does.

use novation_math::{Decimal, Ppm, Rounding};
use novation_types::{Event, MarketId, OrderId};
use serde::{Deserialize, Serialize};

use crate::params::{ChainParams, MarketParams};
use crate::state::State;

pub(crate) mod funding;
mod stable_price;
mod state_key;

pub(crate) use stable_price::update_stable_prices;

/// The markets component's state: one [`MarketState`] per market, by id.
#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Markets {
    pub(crate) states: Vec<MarketState>,
}

/// How to undo one write to the markets component.
#[derive(Clone, Debug)]
pub(crate) enum Undo {
    /// The market state saved in this journal snapshot slot.
    Market(usize),
}

impl Markets {
    pub(crate) fn new(params: &ChainParams) -> Self {
        Markets { states: params.markets.iter().map(|_| MarketState::default()).collect() }
    }

    pub(crate) fn undo(&mut self, undo: Undo, journal: &mut crate::journal::Journal) {
        match undo {
            Undo::Market(slot) => {
                let Some((id, before)) = journal.take_saved_market(slot) else { return };
                if let Some(state) = self.states.get_mut(id.0 as usize) {
                    *state = before;
                }
            }
        }
    }
}

impl State {
    /// The running state of `id` (a listed market), saved for undo before the first write.
    pub(crate) fn market_mut(&mut self, id: MarketId) -> &mut MarketState {
        let index = id.0 as usize;
        let states = &self.markets.states;
        self.journal.save_market_once(id, || states[index].clone());
        &mut self.markets.states[index]
    }
}

/// Bits of an order id that number orders within one market; the market id sits above them.
pub const ORDER_SEQUENCE_BITS: u32 = 48;

/// Running state of one market.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketState {
    /// Sequence number of the next order.
    pub next_order_seq: u64,
    /// Open interest: the sum of all long sizes (equal to the sum of all short sizes), lots.
    pub open_interest_lots: u64,
    /// Traded quote volume since genesis.
    pub volume_quote: Decimal,
    /// Number of fills since genesis.
    pub trade_count: u64,
    /// Price of the last fill.
    pub last_price_ticks: Option<u64>,
    /// Mark price (quote per whole base unit), if the index is known.
    pub mark: Option<Decimal>,
    /// EMA of (book mid − index).
    pub basis_ema: Decimal,
    /// Cumulative funding per lot (raw quote decimals): rises when longs pay.
    pub funding_index: i128,
    /// Sum of this interval's premium samples (fractions).
    pub premium_sum: Decimal,
    /// Number of premium samples this interval.
    pub premium_samples: u64,
    /// Block time the current funding interval started.
    pub funding_interval_start_ms: u64,
    /// Rate applied at the end of the last interval.
    pub last_funding_rate: Decimal,
    /// Options: the implied volatility behind the mark (from the surface).
    pub implied_vol: Option<Decimal>,
    /// Dated futures and options: the settlement price once the series has expired and
    /// settled (it then takes no orders and holds no positions).
    pub settlement_price: Option<Decimal>,
    /// The growth-limited stable price (see `stable_price`), once the market has a mark.
    #[serde(default)]
    pub stable_price: Option<Decimal>,
    /// Block time the stable price last moved.
    #[serde(default)]
    pub stable_updated_ms: u64,
}

impl MarketState {
    /// Allocates the next order id of `market`.
    pub(crate) fn allocate_order_id(&mut self, market: MarketId) -> OrderId {
        let id = ((market.0 as u64) << ORDER_SEQUENCE_BITS) | (self.next_order_seq & ((1 << ORDER_SEQUENCE_BITS) - 1));
        self.next_order_seq += 1;
        OrderId(id)
    }
}

/// The market an order id belongs to.
pub fn market_of_order(order: OrderId) -> MarketId {
    MarketId((order.0 >> ORDER_SEQUENCE_BITS) as u16)
}

/// Price of `ticks` in quote per whole base unit.
pub fn ticks_to_price(params: &MarketParams, ticks: u64) -> Option<Decimal> {
    Decimal::from_units(ticks as i128, params.tick_size).ok()
}

/// Recomputes every market's mark price from its index and book, emitting `MarkPrice` events.
pub(crate) fn update_marks(state: &mut State, events: &mut Vec<Event>) {
    let alpha = state.params.oracle.basis_ema_alpha;
    let max_basis = state.params.oracle.max_mark_basis;
    for index in 0..state.markets.states.len() {
        let Some(params) = state.params.markets.get(index) else { continue };
        if params.kind.is_option() || state.markets.states[index].settlement_price.is_some() {
            continue;
        }
        let oracle_index = state.oracle.assets[params.base_asset.0 as usize].index;
        let mid = impact_mid(&state.trading.books[index], params);
        let market = &mut state.markets.states[index];
        let Some(oracle_index) = oracle_index else {
            market.mark = None;
            continue;
        };
        if let Some(mid) = mid {
            let bound = max_basis.apply_decimal(oracle_index, Rounding::Floor).unwrap_or_default();
            let basis = next_basis(market.basis_ema, mid, oracle_index, alpha);
            market.basis_ema = basis.max(bound.checked_neg().unwrap_or_default()).min(bound);
        }
        let mark = match mid {
            Some(mid) => median3(oracle_index.checked_add(market.basis_ema).unwrap_or(oracle_index), mid, oracle_index),
            None => oracle_index,
        };
        market.mark = Some(mark);
        events.push(Event::MarkPrice { market: MarketId(index as u16), mark });
    }
}

/// Midpoint of the average prices to sell and to buy the impact notional, if the book is
/// deep enough on both sides.
fn impact_mid(book: &crate::book::OrderBook, params: &MarketParams) -> Option<Decimal> {
    let notional = params.funding.impact_notional;
    let bid = crate::markets::funding::impact_price(book, params, novation_types::Side::Buy, notional)?;
    let ask = crate::markets::funding::impact_price(book, params, novation_types::Side::Sell, notional)?;
    bid.checked_add(ask).ok()?.div_int(2, Rounding::HalfEven).ok()
}

fn next_basis(basis_ema: Decimal, mid: Decimal, index: Decimal, alpha: Ppm) -> Decimal {
    let sample = mid.checked_sub(index);
    let step = sample.and_then(|s| s.checked_sub(basis_ema)).and_then(|d| alpha.apply_decimal(d, Rounding::HalfEven));
    step.and_then(|s| basis_ema.checked_add(s)).unwrap_or(basis_ema)
}

fn median3(a: Decimal, b: Decimal, c: Decimal) -> Decimal {
    a.max(b).min(a.min(b).max(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_three_is_the_middle_value() {
        let [a, b, c] = [1, 2, 3].map(Decimal::from_int);
        for (x, y, z) in [(a, b, c), (a, c, b), (b, a, c), (b, c, a), (c, a, b), (c, b, a)] {
            assert_eq!(median3(x, y, z), b);
        }
    }

    #[test]
    fn order_ids_carry_their_market() {
        let mut state = MarketState::default();
        let id = state.allocate_order_id(MarketId(7));
        assert_eq!(market_of_order(id), MarketId(7));
        assert_ne!(state.allocate_order_id(MarketId(7)), id);
    }
}
