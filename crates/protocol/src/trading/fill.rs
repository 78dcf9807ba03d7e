//! One fill between a resting (maker) and an incoming (taker) order: both sides' new state is
//! computed first, both are margin-checked, and only then is anything written.

use novation_math::Decimal;
use novation_types::{
    AssetUnits, ErrorCode, Event, LedgerAccount, Lots, MarketId, OrderId, Side, SignedLots, SubaccountId,
};

use super::forget_order;
use crate::accounts::ledger::Postings;
use crate::accounts::Subaccount;
use crate::book::RestingOrder;
use crate::clearing::{apply_fill, fee};
use crate::markets::funding::settle_position;
use crate::risk::OrderExposure;
use crate::state::State;

/// The incoming side of a fill.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Taker {
    pub(crate) order_id: OrderId,
    pub(crate) owner: SubaccountId,
    pub(crate) side: Side,
    /// A liquidation order: its owner's health is the liquidation's to manage, so its
    /// reducing fills are not held to the no-sinking rule.
    pub(crate) liquidation: bool,
}

/// What became of an attempted fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FillVerdict {
    /// Both sides were updated.
    Filled,
    /// The maker's margin cannot carry it: its order must go.
    MakerCannotCarry,
    /// The taker's margin cannot carry it: the incoming order stops.
    TakerCannotCarry,
    /// The fill would push open interest past the market's cap.
    OpenInterestCap,
}

/// Which side of which kind of fill a subaccount is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Either side of an ordinary fill.
    Trader,
    /// The resting side of a liquidation order's fill: fast prices suffice for its margin.
    LiquidationMaker,
    /// The account being liquidated.
    LiquidatedTaker,
}

/// One side's state after the fill, not yet written.
struct SideAfter {
    sub: Subaccount,
    fee: i128,
    realized: i128,
    funding: i128,
}

/// The terms of one fill, the same for both sides.
#[derive(Clone, Copy)]
struct Terms {
    market: MarketId,
    lots: u64,
    lot_price: i128,
    notional: i128,
}

/// Computes `sub` after trading on `side`, or `None` if its margin cannot carry it.
fn side_after(
    state: &State,
    mut sub: Subaccount,
    terms: Terms,
    side: Side,
    fee_rate: novation_math::Ppm,
    role: Role,
) -> Result<Option<SideAfter>, ErrorCode> {
    let guard_reducing = role != Role::LiquidatedTaker;
    let overflow = ErrorCode::ArithmeticOverflow;
    let market_risk = &state.risk.markets[terms.market.0 as usize];
    let funding_index = market_risk.funding_index;
    // A fill worse than the mark for this side realises a loss against it: a reducing one
    // may then not sink the side (see below), so its health before is needed.
    let worse_than_mark = guard_reducing
        && match side {
            Side::Buy => terms.lot_price > market_risk.lot_value.0,
            Side::Sell => terms.lot_price < market_risk.lot_value.0,
        };
    let before = if worse_than_mark { state.health_of(&sub, OrderExposure::PositionsOnly).ok() } else { None };
    let position = sub.position_mut(terms.market);
    let funding = settle_position(position, funding_index).ok_or(overflow)?;
    let change = apply_fill(position, side, terms.lots, terms.lot_price)?;
    position.funding_index = if position.size_lots == SignedLots(0) { 0 } else { funding_index };
    let fee = fee(terms.notional, fee_rate)?;
    let net = change.realized.checked_add(funding).and_then(|v| v.checked_sub(fee)).ok_or(overflow)?;
    if !change.increased_risk && before.is_none() {
        return Ok(Some(SideAfter { sub, fee, realized: change.realized, funding }));
    }
    // The checks judge the balance the fill's postings will leave; the copy keeps today's
    // balance for the ledger to post into.
    let quote = state.params.quote_asset;
    sub.add_balance(quote, AssetUnits(net)).ok_or(overflow)?;
    let carries = if change.increased_risk {
        match role {
            Role::LiquidationMaker => state.require_initial_margin_for_liquidation_maker(&sub).is_ok(),
            _ => state.require_initial_margin(&sub, OrderExposure::PositionsOnly).is_ok(),
        }
    } else {
        // A reducing fill below the mark is not margin-checked, yet it realises a loss: it
        // may not leave its side below maintenance with less health than it had (nor in
        // debt no collateral covers).
        let after = state.health_of(&sub, OrderExposure::PositionsOnly);
        after.is_ok_and(|after| {
            !after.below_maintenance()
                || before.is_some_and(|before| after.maintenance_health_scaled() >= before.maintenance_health_scaled())
        })
    };
    sub.add_balance(quote, AssetUnits(net.checked_neg().ok_or(overflow)?)).ok_or(overflow)?;
    if !carries {
        return Ok(None);
    }
    Ok(Some(SideAfter { sub, fee, realized: change.realized, funding }))
}

/// Attempts a fill of `lots` at the maker's price.
pub(crate) fn execute_fill(
    state: &mut State,
    market: MarketId,
    maker: &RestingOrder,
    taker: Taker,
    lots: u64,
    events: &mut Vec<Event>,
) -> Result<FillVerdict, ErrorCode> {
    let overflow = ErrorCode::ArithmeticOverflow;
    let params = state.params.market(market)?;
    let (maker_rate, taker_rate) = (params.maker_fee, params.taker_fee);
    let cap_lots = params.open_interest_cap_lots;
    let cap_notional = params.risk.open_interest_cap_notional.map(|cap| cap.raw());
    let tick_lot_value = state.risk.markets[market.0 as usize].tick_lot_value;
    let lot_price = i128::from(maker.price_ticks.0).checked_mul(tick_lot_value.0).ok_or(overflow)?;
    let notional = lot_price.checked_mul(lots as i128).ok_or(overflow)?;

    let mut maker_sub = state.accounts.subaccounts.get(&maker.owner).cloned().unwrap_or_default();
    let maker_size_before = maker_sub.size_lots(market);
    let lots_left = maker.remaining_lots.0 - lots;
    maker_sub.position_mut(market).release_open_lots(maker.side, maker.reduce_only, Lots(lots));
    if lots_left == 0 {
        maker_sub.open_orders = maker_sub.open_orders.saturating_sub(1);
    }
    let terms = Terms { market, lots, lot_price, notional };
    let (maker_role, taker_role) =
        if taker.liquidation { (Role::LiquidationMaker, Role::LiquidatedTaker) } else { (Role::Trader, Role::Trader) };
    let Some(maker_after) = side_after(state, maker_sub, terms, maker.side, maker_rate, maker_role)? else {
        return Ok(FillVerdict::MakerCannotCarry);
    };
    let taker_sub = state.accounts.subaccounts.get(&taker.owner).cloned().unwrap_or_default();
    let taker_size_before = taker_sub.size_lots(market);
    let Some(taker_after) = side_after(state, taker_sub, terms, taker.side, taker_rate, taker_role)? else {
        return Ok(FillVerdict::TakerCannotCarry);
    };

    let abs_before = maker_size_before.unsigned_abs().0 + taker_size_before.unsigned_abs().0;
    let abs_after =
        maker_after.sub.size_lots(market).unsigned_abs().0 + taker_after.sub.size_lots(market).unsigned_abs().0;
    let open_interest = state.markets.states[market.0 as usize].open_interest_lots;
    let open_interest_after = open_interest
        .checked_mul(2)
        .and_then(|v| v.checked_add(abs_after))
        .and_then(|v| v.checked_sub(abs_before))
        .ok_or(overflow)?
        / 2;
    if open_interest_after > open_interest {
        let lot_value = state.risk.markets[market.0 as usize].lot_value.0;
        let notional_after = (open_interest_after as i128).saturating_mul(lot_value);
        if open_interest_after > cap_lots || cap_notional.is_some_and(|cap| notional_after > cap) {
            return Ok(FillVerdict::OpenInterestCap);
        }
    }

    let quote = state.params.quote_asset;
    let (maker_account, taker_account) =
        (LedgerAccount::Subaccount(maker.owner), LedgerAccount::Subaccount(taker.owner));
    let funding = [maker_after.funding, taker_after.funding];
    let maker_received = maker_after.realized.checked_add(funding[0]).ok_or(overflow)?;
    let taker_received = taker_after.realized.checked_add(funding[1]).ok_or(overflow)?;
    let mut postings = Postings::new();
    postings
        .add(LedgerAccount::Settlement, maker_account, quote, AssetUnits(maker_received))?
        .add(LedgerAccount::Settlement, taker_account, quote, AssetUnits(taker_received))?
        .add(maker_account, LedgerAccount::FeePool, quote, AssetUnits(maker_after.fee))?
        .add(taker_account, LedgerAccount::FeePool, quote, AssetUnits(taker_after.fee))?;
    let (maker_fee, taker_fee) = (maker_after.fee, taker_after.fee);
    let (maker_realized, taker_realized) = (maker_after.realized, taker_after.realized);
    state.post_replacing(&postings, [(maker.owner, maker_after.sub), (taker.owner, taker_after.sub)])?;
    if lots_left == 0 {
        state.book_remove(market, maker.id);
        forget_order(state, maker);
    } else {
        state.book_set_remaining(market, maker.id, lots_left);
    }
    let stats = state.market_mut(market);
    stats.open_interest_lots = open_interest_after;
    stats.volume_quote = stats.volume_quote.checked_add(Decimal::from_raw(notional)).map_err(|_| overflow)?;
    stats.trade_count += 1;
    stats.last_price_ticks = Some(maker.price_ticks.0);
    for (subaccount, amount) in [(maker.owner, funding[0]), (taker.owner, funding[1])] {
        if amount != 0 {
            events.push(Event::FundingSettled { subaccount, market, amount: Decimal::from_raw(amount) });
        }
    }
    events.push(Event::Fill {
        market,
        maker_order: maker.id,
        taker_order: taker.order_id,
        maker: maker.owner,
        taker: taker.owner,
        taker_side: taker.side,
        price_ticks: maker.price_ticks.0,
        size_lots: lots,
        notional: Decimal::from_raw(notional),
        maker_fee: Decimal::from_raw(maker_fee),
        taker_fee: Decimal::from_raw(taker_fee),
        maker_realized_pnl: Decimal::from_raw(maker_realized),
        taker_realized_pnl: Decimal::from_raw(taker_realized),
    });
    Ok(FillVerdict::Filled)
}
