//! Bad debt's lifecycle. A bankrupt subaccount's deficit that neither the insurance fund nor
//! auto-deleveraging covered is written off it: the `BadDebt` ledger account pays it in (so
//! the subaccount ends at zero equity and `BadDebt`'s balance is minus the unresolved loss).
//! At the end of every block the unresolved loss is covered in the published order — the
//! insurance fund first, then, as the last resort, the fee pool (the protocol's own
//! revenue) — and withdrawals are refused only while some is still unresolved.

use novation_math::Decimal;
use novation_types::{AssetUnits, Event, LedgerAccount, SubaccountId};

use crate::state::State;

/// Bad debt booked and not yet covered (raw quote decimals, never negative).
pub(crate) fn unresolved_bad_debt(state: &State) -> i128 {
    state.accounts.pool_balance(LedgerAccount::BadDebt, state.params.quote_asset).0.saturating_neg().max(0)
}

/// Writes `amount` of `id`'s deficit off to the `BadDebt` account.
pub(super) fn book_bad_debt(state: &mut State, id: SubaccountId, amount: i128, events: &mut Vec<Event>) {
    if amount <= 0 {
        return;
    }
    let quote = state.params.quote_asset;
    if state.ledger_transfer(LedgerAccount::BadDebt, LedgerAccount::Subaccount(id), quote, AssetUnits(amount)).is_err()
    {
        return;
    }
    state.liquidation.stats.bad_debt_total = state.liquidation.stats.bad_debt_total.saturating_add(amount);
    events.push(Event::BadDebt { subaccount: id, amount: Decimal::from_raw(amount) });
}

/// End-of-block step: covers unresolved bad debt from the insurance fund, then the fee pool.
pub(crate) fn cover_bad_debt(state: &mut State, events: &mut Vec<Event>) {
    let quote = state.params.quote_asset;
    for source in [LedgerAccount::InsuranceFund, LedgerAccount::FeePool] {
        let owed = unresolved_bad_debt(state);
        if owed == 0 {
            return;
        }
        let available = state.accounts.pool_balance(source, quote).max(AssetUnits(0));
        let paid = owed.min(available.0);
        if paid == 0 || state.ledger_transfer(source, LedgerAccount::BadDebt, quote, AssetUnits(paid)).is_err() {
            continue;
        }
        if source == LedgerAccount::InsuranceFund {
            state.liquidation.stats.insurance_paid = state.liquidation.stats.insurance_paid.saturating_add(paid);
        }
        state.liquidation.stats.bad_debt_covered = state.liquidation.stats.bad_debt_covered.saturating_add(paid);
        let remaining = Decimal::from_raw(unresolved_bad_debt(state));
        events.push(Event::BadDebtCovered { from: source, amount: Decimal::from_raw(paid), remaining });
        debug_assert!(unresolved_bad_debt(state) == owed - paid, "covering moves exactly what it says");
    }
}
