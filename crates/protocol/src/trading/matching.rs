//! Matching an incoming order against the opposite side of the book, best price first and,
//! at one price, oldest first. Every step either fills or removes a resting order, so the
//! loop ends within the size of the book.

use novation_types::{CancelReason, ErrorCode, Event, MarketId, SelfTradePrevention, Side};

use super::cancel::cancel_resting;
use super::fill::{execute_fill, FillVerdict, Taker};
use crate::risk::within_band;
use crate::state::State;

/// An order being matched.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming {
    pub(crate) taker: Taker,
    /// Worst price it accepts, in ticks.
    pub(crate) limit_ticks: u64,
    pub(crate) remaining_lots: u64,
    pub(crate) reduce_only: bool,
    pub(crate) self_trade: SelfTradePrevention,
}

/// Why matching stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Nothing left to fill.
    Filled,
    /// The best opposite price is beyond the limit (or the side is empty).
    NoCross,
    /// Stopped by a reason that also cancels the rest of the order.
    Cancel(CancelReason),
}

/// Whether a resting price is acceptable to an incoming order of `side` with `limit`.
pub(crate) fn crosses(side: Side, limit_ticks: u64, resting_ticks: u64) -> bool {
    match side {
        Side::Buy => resting_ticks <= limit_ticks,
        Side::Sell => resting_ticks >= limit_ticks,
    }
}

/// Lots of `size` that reduce a position of `position_lots` when trading on `side`.
pub(crate) fn reducing_capacity(position_lots: i64, side: Side) -> u64 {
    if position_lots.signum() == -side.sign() {
        position_lots.unsigned_abs()
    } else {
        0
    }
}

/// Matches `incoming` until it is filled, stops crossing, or must stop.
pub(crate) fn match_incoming(
    state: &mut State,
    market: MarketId,
    incoming: &mut Incoming,
    events: &mut Vec<Event>,
) -> Result<Stop, ErrorCode> {
    let taker = incoming.taker;
    loop {
        if incoming.remaining_lots == 0 {
            return Ok(Stop::Filled);
        }
        let book = &state.trading.books[market.0 as usize];
        let Some(maker) = book.best_order(taker.side.opposite()).copied() else {
            return Ok(Stop::NoCross);
        };
        if !crosses(taker.side, incoming.limit_ticks, maker.price_ticks.0) {
            return Ok(Stop::NoCross);
        }
        // The mark moved since the order rested: no fill happens outside the band.
        if state.risk.markets.get(market.0 as usize).is_some_and(|risk| !within_band(risk, maker.price_ticks.0)) {
            cancel_resting(state, &maker, CancelReason::OutsideBand, events);
            continue;
        }
        if maker.owner == taker.owner {
            match incoming.self_trade {
                SelfTradePrevention::CancelResting => {
                    cancel_resting(state, &maker, CancelReason::SelfTrade, events);
                    continue;
                }
                SelfTradePrevention::CancelIncoming => return Ok(Stop::Cancel(CancelReason::SelfTrade)),
                SelfTradePrevention::CancelBoth => {
                    cancel_resting(state, &maker, CancelReason::SelfTrade, events);
                    return Ok(Stop::Cancel(CancelReason::SelfTrade));
                }
            }
        }
        let mut lots = incoming.remaining_lots.min(maker.remaining_lots.0);
        if incoming.reduce_only {
            let size = state.accounts.subaccounts.get(&taker.owner).map_or(0, |s| s.size_lots(market).0);
            lots = lots.min(reducing_capacity(size, taker.side));
            if lots == 0 {
                return Ok(Stop::Cancel(CancelReason::ReduceOnly));
            }
        }
        if maker.reduce_only {
            let size = state.accounts.subaccounts.get(&maker.owner).map_or(0, |s| s.size_lots(market).0);
            lots = lots.min(reducing_capacity(size, maker.side));
            if lots == 0 {
                cancel_resting(state, &maker, CancelReason::ReduceOnly, events);
                continue;
            }
        }
        match execute_fill(state, market, &maker, taker, lots, events)? {
            FillVerdict::Filled => incoming.remaining_lots -= lots,
            FillVerdict::MakerCannotCarry => cancel_resting(state, &maker, CancelReason::InsufficientMargin, events),
            FillVerdict::TakerCannotCarry => return Ok(Stop::Cancel(CancelReason::InsufficientMargin)),
            FillVerdict::OpenInterestCap => return Ok(Stop::Cancel(CancelReason::OpenInterestCap)),
        }
    }
}
