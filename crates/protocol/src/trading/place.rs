//! Placing an order: every check first, then matching, then resting or cancelling the rest.

use novation_math::{Ppm, Rounding};
use novation_types::{
    CancelReason, ErrorCode, Event, Lots, MarketId, OrderId, OrderKind, OrderRequest, PriceTicks, Side, SubaccountId,
    TimeInForce,
};

use super::fill::Taker;
use super::matching::{crosses, match_incoming, reducing_capacity, Incoming, Stop};
use crate::book::RestingOrder;
use crate::params::{MarketParams, MarketStatus};
use crate::risk::OrderExposure;
use crate::state::State;

/// Places a new order for `owner` and returns its id.
pub(crate) fn place_order(
    state: &mut State,
    owner: SubaccountId,
    request: &OrderRequest,
    events: &mut Vec<Event>,
) -> Result<OrderId, ErrorCode> {
    let market = request.market;
    let params = state.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    let limit_ticks = limit_price_ticks(state, params, request)?;
    check_order(state, owner, request, limit_ticks, None)?;
    let order_id = state.market_mut(market).allocate_order_id(market);
    events.push(Event::OrderAccepted {
        order_id,
        subaccount: owner,
        market,
        side: request.side,
        price_ticks: limit_ticks,
        size_lots: request.size_lots.0,
        client_order_id: request.client_order_id,
    });
    execute_order(state, owner, request, order_id, limit_ticks, events)?;
    Ok(order_id)
}

/// The worst acceptable price: the limit, or for a market order mark ± slippage in ticks.
pub(crate) fn limit_price_ticks(
    state: &State,
    params: &MarketParams,
    request: &OrderRequest,
) -> Result<u64, ErrorCode> {
    match request.kind {
        OrderKind::Limit { price_ticks, .. } => check_limit_ticks(state, params, price_ticks.0),
        OrderKind::Market { max_slippage } => market_bound_ticks(state, params, request.side, max_slippage),
    }
}

/// A limit price must be positive, small enough that a lot's value at it, times any order
/// size, stays far inside the arithmetic range, and inside the market's price band.
pub(crate) fn check_limit_ticks(state: &State, params: &MarketParams, price_ticks: u64) -> Result<u64, ErrorCode> {
    let risk = state.risk.markets.get(params.id.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    let max_ticks = i128::MAX / risk.tick_lot_value.0.max(1) / (u32::MAX as i128);
    if price_ticks == 0 || price_ticks as i128 > max_ticks {
        return Err(ErrorCode::InvalidPrice);
    }
    if !crate::risk::within_band(risk, price_ticks) {
        return Err(ErrorCode::PriceOutsideBand);
    }
    Ok(price_ticks)
}

fn market_bound_ticks(state: &State, params: &MarketParams, side: Side, slippage: Ppm) -> Result<u64, ErrorCode> {
    if slippage < Ppm::ZERO || slippage > Ppm::ONE {
        return Err(ErrorCode::InvalidPrice);
    }
    let mark = state.markets.states[params.id.0 as usize].mark.ok_or(ErrorCode::NoLiquidity)?;
    let fraction = match side {
        Side::Buy => Ppm::new(Ppm::ONE.0 + slippage.0),
        Side::Sell => Ppm::new(Ppm::ONE.0 - slippage.0),
    };
    let bound = fraction.apply_decimal(mark, Rounding::Floor).map_err(|_| ErrorCode::ArithmeticOverflow)?;
    let rounding = if side == Side::Buy { Rounding::Floor } else { Rounding::Ceil };
    let ticks = bound.to_units(params.tick_size, rounding).map_err(|_| ErrorCode::ArithmeticOverflow)?;
    let ticks = u64::try_from(ticks.max(1)).map_err(|_| ErrorCode::InvalidPrice)?;
    // A market or liquidation order never trades outside the price band either.
    let band = state.risk.markets.get(params.id.0 as usize).and_then(|risk| risk.band_ticks);
    // (An empty band leaves the price as it is: nothing inside it can trade.)
    Ok(band.filter(|(low, high)| low <= high).map_or(ticks, |(low, high)| ticks.clamp(low, high)))
}

fn time_in_force(request: &OrderRequest) -> TimeInForce {
    match request.kind {
        OrderKind::Limit { time_in_force, .. } => time_in_force,
        OrderKind::Market { .. } => TimeInForce::ImmediateOrCancel,
    }
}

/// Every check an order must pass before it may touch the book. `replacing` is the order a
/// modify replaces (its client id and open lots no longer count).
pub(crate) fn check_order(
    state: &State,
    owner: SubaccountId,
    request: &OrderRequest,
    limit_ticks: u64,
    replacing: Option<OrderId>,
) -> Result<(), ErrorCode> {
    let market = request.market;
    let params = state.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    let empty = crate::accounts::Subaccount::default();
    let sub = state.accounts.subaccounts.get(&owner).unwrap_or(&empty);
    if sub.isolated_market.is_some_and(|m| m != market) {
        return Err(ErrorCode::IsolatedMarketMismatch);
    }
    if request.size_lots < Lots(params.min_order_lots) || request.size_lots > Lots(i64::MAX as u64 / 4) {
        return Err(ErrorCode::InvalidSize);
    }
    let expired = params.kind.expiry_ms().is_some_and(|expiry| state.clock.time_ms >= expiry);
    if expired || state.markets.states[market.0 as usize].settlement_price.is_some() {
        return Err(ErrorCode::MarketExpired);
    }
    if params.status == MarketStatus::ReduceOnly && !request.reduce_only {
        return Err(ErrorCode::MarketNotActive);
    }
    if request.reduce_only && reducing_capacity(sub.size_lots(market).0, request.side) == 0 {
        return Err(ErrorCode::ReduceOnlyWouldIncrease);
    }
    if let Some(client_id) = request.client_order_id {
        let holder = state.trading.client_ids.get(&(owner, client_id));
        if holder.is_some() && holder != replacing.as_ref() {
            return Err(ErrorCode::DuplicateClientOrderId);
        }
    }
    let book = &state.trading.books[market.0 as usize];
    let tif = time_in_force(request);
    let best_opposite = book.best_price(request.side.opposite());
    if tif == TimeInForce::PostOnly && best_opposite.is_some_and(|p| crosses(request.side, limit_ticks, p)) {
        return Err(ErrorCode::PostOnlyWouldCross);
    }
    if tif == TimeInForce::FillOrKill
        && book.lots_at_or_better(request.side.opposite(), limit_ticks, request.size_lots.0) < request.size_lots.0
    {
        return Err(ErrorCode::FillOrKillUnfillable);
    }
    let may_rest = matches!(tif, TimeInForce::GoodTillCancel | TimeInForce::PostOnly);
    let replaced_count = u32::from(replacing.is_some());
    if may_rest && sub.open_orders.saturating_sub(replaced_count) >= state.params.limits.max_open_orders {
        return Err(ErrorCode::TooManyOpenOrders);
    }
    if sub.position(market).is_none() && sub.positions.len() >= state.params.limits.max_positions {
        return Err(ErrorCode::TooManyPositions);
    }
    if !request.reduce_only {
        check_order_margin(state, sub, market, request.side, request.size_lots.0)?;
    }
    Ok(())
}

/// Initial margin with the order counted as if it rested in full, unless the order cannot
/// make the worst case bigger (then it only reduces risk and always passes).
fn check_order_margin(
    state: &State,
    sub: &crate::accounts::Subaccount,
    market: MarketId,
    side: Side,
    size_lots: u64,
) -> Result<(), ErrorCode> {
    let position = sub.position(market).copied().unwrap_or(crate::accounts::Position::empty(market));
    let mut grown = position;
    let open = grown.open_lots_mut(side);
    *open = open.checked_add(Lots(size_lots)).ok_or(ErrorCode::InvalidSize)?;
    if grown.worst_case_size_lots() <= position.worst_case_size_lots() {
        return Ok(());
    }
    let mut candidate = sub.clone();
    *candidate.position_mut(market) = grown;
    state.require_initial_margin(&candidate, OrderExposure::WithOpenOrders)
}

/// Matches an order that passed its checks, then rests or cancels what is left.
pub(crate) fn execute_order(
    state: &mut State,
    owner: SubaccountId,
    request: &OrderRequest,
    order_id: OrderId,
    limit_ticks: u64,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let market = request.market;
    let tif = time_in_force(request);
    let mut incoming = Incoming {
        taker: Taker { order_id, owner, side: request.side, liquidation: false },
        limit_ticks,
        remaining_lots: request.size_lots.0,
        reduce_only: request.reduce_only,
        self_trade: request.self_trade,
    };
    let stop = match_incoming(state, market, &mut incoming, events)?;
    let remaining_lots = incoming.remaining_lots;
    if remaining_lots == 0 {
        return Ok(());
    }
    if tif == TimeInForce::FillOrKill {
        return Err(ErrorCode::FillOrKillUnfillable);
    }
    let reason = match stop {
        Stop::Cancel(reason) => Some(reason),
        Stop::Filled | Stop::NoCross => match request.kind {
            OrderKind::Market { .. }
                if state.trading.books[market.0 as usize].best_order(request.side.opposite()).is_some() =>
            {
                Some(CancelReason::SlippageBound)
            }
            _ if tif == TimeInForce::ImmediateOrCancel => Some(CancelReason::Unfilled),
            _ => None,
        },
    };
    // Fills may have cost more than the mark-priced check assumed (a worse price, fees): the
    // rest may only rest if margin still carries it.
    let filled_some = remaining_lots < request.size_lots.0;
    let reason = match reason {
        None if filled_some && !request.reduce_only && !remainder_is_covered(state, owner, request, remaining_lots) => {
            Some(CancelReason::InsufficientMargin)
        }
        other => other,
    };
    match reason {
        Some(reason) => {
            events.push(Event::OrderCancelled { order_id, subaccount: owner, market, remaining_lots, reason });
        }
        None => rest(state, owner, request, order_id, limit_ticks, remaining_lots, events),
    }
    Ok(())
}

fn remainder_is_covered(state: &State, owner: SubaccountId, request: &OrderRequest, remaining_lots: u64) -> bool {
    let empty = crate::accounts::Subaccount::default();
    let sub = state.accounts.subaccounts.get(&owner).unwrap_or(&empty);
    check_order_margin(state, sub, request.market, request.side, remaining_lots).is_ok()
}

fn rest(
    state: &mut State,
    owner: SubaccountId,
    request: &OrderRequest,
    order_id: OrderId,
    price_ticks: u64,
    remaining_lots: u64,
    events: &mut Vec<Event>,
) {
    let market = request.market;
    let order = RestingOrder {
        id: order_id,
        owner,
        side: request.side,
        price_ticks: PriceTicks(price_ticks),
        remaining_lots: Lots(remaining_lots),
        reduce_only: request.reduce_only,
        client_order_id: request.client_order_id,
        size_lots: request.size_lots,
        placed_ms: state.clock.time_ms,
    };
    if !state.book_insert(market, order) {
        return;
    }
    state.with_subaccount(owner, |sub| {
        sub.position_mut(market).add_open_lots(request.side, request.reduce_only, Lots(remaining_lots));
        sub.open_orders += 1;
    });
    if let Some(client_id) = request.client_order_id {
        state.set_client_id(owner, client_id, Some(order_id));
    }
    state.set_open_order_indexed(owner, order_id, true);
    events.push(Event::OrderRested { order_id, market, remaining_lots });
}

/// A liquidation order: reduce-only, immediate-or-cancel, bounded at mark ± `max_slippage`,
/// taking liquidity on behalf of `owner`. Returns the quote notional it filled.
pub(crate) fn liquidation_order(
    state: &mut State,
    owner: SubaccountId,
    market: MarketId,
    side: Side,
    size_lots: u64,
    max_slippage: Ppm,
    events: &mut Vec<Event>,
) -> Result<i128, ErrorCode> {
    let params = state.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    let limit_ticks = market_bound_ticks(state, params, side, max_slippage)?;
    let order_id = state.market_mut(market).allocate_order_id(market);
    events.push(Event::OrderAccepted {
        order_id,
        subaccount: owner,
        market,
        side,
        price_ticks: limit_ticks,
        size_lots,
        client_order_id: None,
    });
    let first_event = events.len();
    let mut incoming = Incoming {
        taker: Taker { order_id, owner, side, liquidation: true },
        limit_ticks,
        remaining_lots: size_lots,
        reduce_only: true,
        self_trade: novation_types::SelfTradePrevention::CancelResting,
    };
    match_incoming(state, market, &mut incoming, events)?;
    if incoming.remaining_lots > 0 {
        let remaining_lots = incoming.remaining_lots;
        events.push(Event::OrderCancelled {
            order_id,
            subaccount: owner,
            market,
            remaining_lots,
            reason: CancelReason::Unfilled,
        });
    }
    let filled = events[first_event..].iter().filter_map(|event| match event {
        Event::Fill { taker_order, notional, .. } if *taker_order == order_id => Some(notional.raw()),
        _ => None,
    });
    Ok(filled.fold(0i128, i128::saturating_add))
}
