//! One Hyperliquid item as novation's own actions, resolved against state: the asset index
//! to its market, decimal prices and sizes to ticks and lots (exactly, or refused), and
//! Hyperliquid's order types to novation's.

use novation_math::{Decimal, Ppm, Rounding};
use novation_types::action::{AuthorizeAgent, Cancel, CancelByClientId, Modify, Withdraw};
use novation_types::hyperliquid::{
    HlActionKind, HlCancel, HlCancelByCloid, HlModify, HlOrder, HlOrderKind, HlOrderRef, HlTif,
};
use novation_types::{
    ErrorCode, Event, Lots, OrderAction, OrderId, OrderKind, OrderRequest, PriceTicks, SelfTradePrevention,
    TimeInForce, TriggerCondition, TriggerRequest,
};

use crate::handler::{ActionContext, ActionHandler};
use crate::params::MarketParams;
use crate::state::State;

/// Most items in one bulk action (and never more than the chain's `limits.max_batch`).
pub const BULK_ITEMS_MAX: usize = 64;

/// How far from the mark a triggered market order may trade: Hyperliquid's 10%.
const TRIGGER_MARKET_SLIPPAGE: Ppm = Ppm(100_000);

/// Hyperliquid's users trade from novation's subaccount 0 of their address.
const SUBACCOUNT: u16 = 0;

fn market(state: &State, asset: u32) -> Result<&MarketParams, ErrorCode> {
    state.hyperliquid_market(asset).ok_or(ErrorCode::UnknownMarket)
}

/// `value` as a whole, positive number of `step`s.
fn steps(value: Decimal, step: Decimal, off_grid: ErrorCode, not_positive: ErrorCode) -> Result<u64, ErrorCode> {
    if !value.is_positive() {
        return Err(not_positive);
    }
    if !value.is_multiple_of(step) {
        return Err(off_grid);
    }
    let units = value.to_units(step, Rounding::Floor).map_err(|_| ErrorCode::ArithmeticOverflow)?;
    u64::try_from(units).map_err(|_| ErrorCode::ArithmeticOverflow)
}

fn ticks(params: &MarketParams, price: Decimal) -> Result<u64, ErrorCode> {
    steps(price, params.tick_size, ErrorCode::OffTickPrice, ErrorCode::InvalidPrice)
}

fn lots(params: &MarketParams, size: Decimal) -> Result<u64, ErrorCode> {
    steps(size, params.lot_size, ErrorCode::OffLotSize, ErrorCode::InvalidSize)
}

/// A Hyperliquid order as a novation order request (and its trigger, for tp/sl orders).
fn request(state: &State, order: &HlOrder) -> Result<OrderAction, ErrorCode> {
    let params = market(state, order.asset)?;
    let price_ticks = ticks(params, order.price)?;
    let request = OrderRequest {
        subaccount: SUBACCOUNT,
        market: params.id,
        side: order.side,
        size_lots: Lots(lots(params, order.size)?),
        kind: OrderKind::Limit {
            price_ticks: PriceTicks(price_ticks),
            time_in_force: match order.kind {
                HlOrderKind::Limit(HlTif::Gtc) => TimeInForce::GoodTillCancel,
                HlOrderKind::Limit(HlTif::Ioc) => TimeInForce::ImmediateOrCancel,
                HlOrderKind::Limit(HlTif::Alo) => TimeInForce::PostOnly,
                HlOrderKind::Trigger { .. } => TimeInForce::GoodTillCancel,
            },
        },
        reduce_only: order.reduce_only,
        client_order_id: order.cloid,
        self_trade: SelfTradePrevention::CancelResting,
    };
    let HlOrderKind::Trigger { is_market, trigger_price, take_profit } = order.kind else {
        return Ok(OrderAction::Place(request));
    };
    // A sell take-profit (closing a long) fires as the mark rises to it; a sell stop-loss as
    // it falls; the reverse for buys.
    let sells = matches!(order.side, novation_types::Side::Sell);
    let condition =
        if sells == take_profit { TriggerCondition::MarkAtOrAbove } else { TriggerCondition::MarkAtOrBelow };
    let order = if is_market {
        OrderRequest { kind: OrderKind::Market { max_slippage: TRIGGER_MARKET_SLIPPAGE }, ..request }
    } else {
        request
    };
    Ok(OrderAction::PlaceTrigger(TriggerRequest {
        trigger_price_ticks: PriceTicks(ticks(params, trigger_price)?),
        condition,
        order,
    }))
}

pub(super) fn order(state: &State, _: &ActionContext, order: &HlOrder) -> Result<Vec<OrderAction>, ErrorCode> {
    Ok(vec![request(state, order)?])
}

pub(super) fn cancel(state: &State, _: &ActionContext, cancel: &HlCancel) -> Result<Vec<OrderAction>, ErrorCode> {
    let params = market(state, cancel.asset)?;
    let order_id = OrderId(cancel.order_id);
    if crate::markets::market_of_order(order_id) != params.id {
        return Err(ErrorCode::OrderNotFound);
    }
    Ok(vec![OrderAction::Cancel(Cancel { subaccount: SUBACCOUNT, order_id })])
}

pub(super) fn cancel_by_cloid(
    state: &State,
    _: &ActionContext,
    cancel: &HlCancelByCloid,
) -> Result<Vec<OrderAction>, ErrorCode> {
    market(state, cancel.asset)?;
    Ok(vec![OrderAction::CancelByClientId(CancelByClientId { subaccount: SUBACCOUNT, client_order_id: cancel.cloid })])
}

/// A modify: novation's own amend when only price and size change (the order keeps its id),
/// else the resting order cancelled and the new one placed, in one step.
pub(super) fn modify(state: &State, ctx: &ActionContext, modify: &HlModify) -> Result<Vec<OrderAction>, ErrorCode> {
    let owner = ctx.subaccount(SUBACCOUNT);
    let order_id = match modify.order {
        HlOrderRef::Oid(id) => OrderId(id),
        HlOrderRef::Cloid(cloid) => *state.trading.client_ids.get(&(owner, cloid)).ok_or(ErrorCode::OrderNotFound)?,
    };
    let resting = crate::trading::owned_order(state, owner, order_id).ok_or(ErrorCode::OrderNotFound)?;
    let replacement = request(state, &modify.new)?;
    let OrderAction::Place(new) = replacement else {
        let cancel = OrderAction::Cancel(Cancel { subaccount: SUBACCOUNT, order_id });
        return Ok(vec![cancel, replacement]);
    };
    let same_order = new.market == crate::markets::market_of_order(order_id)
        && new.side == resting.side
        && new.reduce_only == resting.reduce_only
        && new.client_order_id == resting.client_order_id
        && matches!(new.kind, OrderKind::Limit { time_in_force: TimeInForce::GoodTillCancel, .. });
    if let (true, OrderKind::Limit { price_ticks, .. }) = (same_order, new.kind) {
        return Ok(vec![OrderAction::Modify(Modify {
            subaccount: SUBACCOUNT,
            order_id,
            price_ticks: price_ticks.0,
            size_lots: new.size_lots.0,
        })]);
    }
    Ok(vec![OrderAction::Cancel(Cancel { subaccount: SUBACCOUNT, order_id }), OrderAction::Place(new)])
}

/// A native action with all its checks.
fn native(
    state: &mut State,
    ctx: &ActionContext,
    action: impl ActionHandler,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    action.check_stateless(&state.params.limits)?;
    action.check_and_execute(state, ctx, events)
}

/// The actions that are not bulk: applied whole.
pub(super) fn single(
    state: &mut State,
    ctx: &ActionContext,
    kind: &HlActionKind,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    match kind {
        HlActionKind::UpdateLeverage(update) => {
            let params = market(state, update.asset)?;
            if !update.is_cross {
                // novation isolates a subaccount, not a position (docs/hyperliquid.md).
                return Err(ErrorCode::IsolatedMarketMismatch);
            }
            if update.leverage == 0 || update.leverage > params.max_leverage {
                return Err(ErrorCode::InvalidAmount);
            }
            Ok(())
        }
        HlActionKind::ApproveAgent(approve) => {
            if approve.agent == ctx.sender {
                return Err(ErrorCode::UnauthorizedAgent);
            }
            match state.hyperliquid_agent_owner(approve.agent) {
                Some(owner) if owner != ctx.sender => return Err(ErrorCode::AgentBoundElsewhere),
                Some(_) => {}
                None => state.bind_hl_agent(approve.agent, Some(ctx.sender)),
            }
            native(state, ctx, AuthorizeAgent { agent: approve.agent }, events)
        }
        HlActionKind::Withdraw(withdraw) => {
            if withdraw.destination != ctx.sender {
                return Err(ErrorCode::WithdrawDestination);
            }
            let asset = state.params.quote_asset;
            native(state, ctx, Withdraw { subaccount: SUBACCOUNT, asset, amount: withdraw.amount }, events)
        }
        HlActionKind::Noop => Ok(()),
        HlActionKind::Order(_) | HlActionKind::Cancel(_) | HlActionKind::CancelByCloid(_) | HlActionKind::Modify(_) => {
            Err(ErrorCode::BadActionCount)
        }
    }
}
