//! Collateral actions: deposit, withdraw, transfer between subaccounts, margin mode.

use novation_math::Decimal;
use novation_types::{AssetId, AssetUnits, ErrorCode, Event, LedgerAccount, MarginMode, MarketId, SubaccountId};

use super::Subaccount;
use crate::params::AssetParams;
use crate::risk::OrderExposure;
use crate::state::State;

/// Converts a positive amount in whole units to the asset's smallest unit, exactly.
fn amount_to_units(asset: &AssetParams, amount: Decimal) -> Result<i128, ErrorCode> {
    let step = asset.unit();
    if !amount.is_positive() || !amount.is_multiple_of(step) {
        return Err(ErrorCode::InvalidAmount);
    }
    amount.to_units(step, novation_math::Rounding::Floor).map_err(|_| ErrorCode::InvalidAmount)
}

fn asset_params(state: &State, asset: AssetId) -> Result<&AssetParams, ErrorCode> {
    state.params.assets.get(asset.0 as usize).ok_or(ErrorCode::UnknownAsset)
}

/// An isolated subaccount holds the quote asset only.
fn check_isolated_asset(state: &State, sub: Option<&Subaccount>, asset: AssetId) -> Result<(), ErrorCode> {
    let isolated = sub.is_some_and(|s| s.isolated_market.is_some());
    if isolated && asset != state.params.quote_asset {
        return Err(ErrorCode::IsolatedMarketMismatch);
    }
    Ok(())
}

/// Credits `amount` of `asset` from outside the chain; refused beyond the deposit cap.
pub(crate) fn deposit(
    state: &mut State,
    id: SubaccountId,
    asset: AssetId,
    amount: Decimal,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let params = asset_params(state, asset)?;
    let units = amount_to_units(params, amount)?;
    let cap_units = params.deposit_cap.to_units(params.unit(), novation_math::Rounding::Floor);
    let held =
        state.ledger_balance_of(LedgerAccount::External, asset).checked_neg().ok_or(ErrorCode::ArithmeticOverflow)?;
    let after = held.checked_add(AssetUnits(units)).ok_or(ErrorCode::DepositCapExceeded)?;
    if cap_units.is_ok_and(|cap| after > AssetUnits(cap)) {
        return Err(ErrorCode::DepositCapExceeded);
    }
    check_isolated_asset(state, state.accounts.subaccounts.get(&id), asset)?;
    state.ledger_transfer(LedgerAccount::External, LedgerAccount::Subaccount(id), asset, AssetUnits(units))?;
    events.push(Event::Deposited { subaccount: id, asset, amount });
    Ok(())
}

/// What the chain holds of `asset`: deposits − withdrawals (minus the `External` balance).
pub(crate) fn reserves(state: &State, asset: AssetId) -> AssetUnits {
    AssetUnits(state.ledger_balance_of(LedgerAccount::External, asset).0.saturating_neg())
}

/// Whether removing collateral from `sub` adds risk that margin must cover: it has
/// positions, open orders or debt. A flat account without debt may always take its money out.
fn carries_risk(sub: &Subaccount) -> bool {
    !sub.positions.is_empty() || sub.balances.iter().any(|(_, units)| *units < AssetUnits(0))
}

/// Takes `units` of `asset` out of subaccount `id` after checking balance and margin.
fn debit_checked(state: &State, id: SubaccountId, asset: AssetId, units: i128) -> Result<(), ErrorCode> {
    let sub = state.accounts.subaccounts.get(&id).ok_or(ErrorCode::InsufficientBalance)?;
    if sub.balance(asset) < AssetUnits(units) {
        return Err(ErrorCode::InsufficientBalance);
    }
    let mut after = sub.clone();
    after.add_balance(asset, AssetUnits(-units)).ok_or(ErrorCode::ArithmeticOverflow)?;
    // Unvested realised profit stays behind even in a flat account.
    if carries_risk(&after) || state.unvested_profit_of(&after) > 0 {
        state.require_initial_margin_without_profit(&after)?;
    }
    Ok(())
}

/// Sends `amount` of `asset` out of the chain, if the balance covers it and initial margin
/// (counting open orders) still holds afterwards.
pub(crate) fn withdraw(
    state: &mut State,
    id: SubaccountId,
    asset: AssetId,
    amount: Decimal,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let units = amount_to_units(asset_params(state, asset)?, amount)?;
    if crate::liquidation::unresolved_bad_debt(state) > 0 {
        return Err(ErrorCode::BadDebtPending);
    }
    debit_checked(state, id, asset, units)?;
    // The chain never pays out more of an asset than it holds (deposits − withdrawals).
    if reserves(state, asset).0.checked_sub(units).is_none_or(|left| left < 0) {
        return Err(ErrorCode::InsufficientReserves);
    }
    state.ledger_transfer(LedgerAccount::Subaccount(id), LedgerAccount::External, asset, AssetUnits(units))?;
    debug_assert!(!reserves(state, asset).is_negative());
    events.push(Event::Withdrew { subaccount: id, asset, amount });
    Ok(())
}

/// Moves collateral between two subaccounts of one owner, under the same rules as withdraw.
pub(crate) fn transfer(
    state: &mut State,
    from: SubaccountId,
    to: SubaccountId,
    asset: AssetId,
    amount: Decimal,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    if from == to {
        return Err(ErrorCode::SameSubaccount);
    }
    let units = amount_to_units(asset_params(state, asset)?, amount)?;
    check_isolated_asset(state, state.accounts.subaccounts.get(&to), asset)?;
    debit_checked(state, from, asset, units)?;
    state.ledger_transfer(LedgerAccount::Subaccount(from), LedgerAccount::Subaccount(to), asset, AssetUnits(units))?;
    events.push(Event::Transferred { from, to, asset, amount });
    Ok(())
}

/// Switches a flat subaccount between cross margin and isolated margin on one market.
pub(crate) fn set_isolated_market(
    state: &mut State,
    id: SubaccountId,
    market: Option<MarketId>,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    if let Some(market) = market {
        state.params.markets.get(market.0 as usize).ok_or(ErrorCode::UnknownMarket)?;
    }
    let quote = state.params.quote_asset;
    if let Some(sub) = state.accounts.subaccounts.get(&id) {
        if !sub.positions.is_empty() || sub.open_orders > 0 {
            return Err(ErrorCode::MarginModeNotFlat);
        }
        if market.is_some() && sub.balances.iter().any(|(asset, _)| *asset != quote) {
            return Err(ErrorCode::IsolatedMarketMismatch);
        }
        if market.is_some() && sub.margin_mode == MarginMode::Portfolio {
            return Err(ErrorCode::PortfolioMarginNotAllowed);
        }
    }
    state.with_subaccount(id, |sub| sub.isolated_market = market);
    events.push(Event::MarginModeChanged { subaccount: id, isolated_market: market });
    Ok(())
}

/// Pays quote collateral into the insurance fund, under the same rules as a withdrawal.
pub(crate) fn fund_insurance(
    state: &mut State,
    id: SubaccountId,
    amount: Decimal,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    pay_in(state, id, LedgerAccount::InsuranceFund, amount)?;
    events.push(Event::InsuranceFunded { subaccount: id, amount });
    Ok(())
}

/// Pays quote collateral into the backstop's subaccount, under the same rules as a
/// withdrawal (the backstop itself cannot fund itself).
pub(crate) fn fund_backstop(
    state: &mut State,
    id: SubaccountId,
    amount: Decimal,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let backstop = state.backstop_subaccount();
    if id == backstop {
        return Err(ErrorCode::SameSubaccount);
    }
    pay_in(state, id, LedgerAccount::Subaccount(backstop), amount)?;
    events.push(Event::BackstopFunded { subaccount: id, amount });
    Ok(())
}

/// Moves `amount` of the quote asset from `id` to `to` for good, checked as a withdrawal.
fn pay_in(state: &mut State, id: SubaccountId, to: LedgerAccount, amount: Decimal) -> Result<(), ErrorCode> {
    let quote = state.params.quote_asset;
    let units = amount_to_units(asset_params(state, quote)?, amount)?;
    debit_checked(state, id, quote, units)?;
    state.ledger_transfer(LedgerAccount::Subaccount(id), to, quote, AssetUnits(units))
}

/// Switches a subaccount between standard and portfolio margin. Allowed with open positions
/// and orders as long as the subaccount meets initial margin under the new mode.
pub(crate) fn set_margin_mode(
    state: &mut State,
    id: SubaccountId,
    mode: MarginMode,
    events: &mut Vec<Event>,
) -> Result<(), ErrorCode> {
    let mut next = state.accounts.subaccounts.get(&id).cloned().unwrap_or_default();
    if mode == MarginMode::Portfolio && next.isolated_market.is_some() {
        return Err(ErrorCode::PortfolioMarginNotAllowed);
    }
    next.margin_mode = mode;
    if !next.positions.is_empty() {
        state.require_initial_margin(&next, OrderExposure::WithOpenOrders)?;
    }
    state.with_subaccount(id, |sub| sub.margin_mode = mode);
    events.push(Event::MarginModeSet { subaccount: id, mode });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::ledger::Postings;
    use crate::presets::USD;
    use novation_types::Address;

    fn sub(n: u64) -> SubaccountId {
        SubaccountId::new(Address::from_index(n), 0)
    }

    #[test]
    fn a_withdrawal_beyond_the_chains_reserves_is_refused_and_changes_nothing() {
        let mut state = State::new(crate::params::Genesis::example(&[])).unwrap();
        let mut events = Vec::new();
        deposit(&mut state, sub(1), USD, Decimal::from_int(100), &mut events).unwrap();
        // A debt the chain cannot collect: sub 2 owes 50 that sub 1 was credited.
        let mut owed = Postings::new();
        owed.add(
            LedgerAccount::Subaccount(sub(2)),
            LedgerAccount::Subaccount(sub(1)),
            USD,
            AssetUnits(50 * 10i128.pow(18)),
        )
        .unwrap();
        state.post(&owed).unwrap();
        assert_eq!(reserves(&state, USD), AssetUnits(100 * 10i128.pow(18)));
        let before = state.state_hash();
        let refused = withdraw(&mut state, sub(1), USD, Decimal::from_int(150), &mut events);
        assert_eq!(refused, Err(ErrorCode::InsufficientReserves));
        assert_eq!(state.state_hash(), before);
        withdraw(&mut state, sub(1), USD, Decimal::from_int(100), &mut events).unwrap();
        assert!(reserves(&state, USD).is_zero());
        let view = state.reserves_view();
        assert_eq!(
            (view[0].reserves, view[0].claims, view[0].debt),
            (Decimal::ZERO, Decimal::from_int(50), Decimal::from_int(50))
        );
    }
}
