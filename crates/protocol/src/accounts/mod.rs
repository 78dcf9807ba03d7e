//! Accounts and collateral: subaccounts, their balances and positions, and the actions that
//! move collateral (deposit, withdraw, transfer, margin mode).
//!
//! Collateral is a double-entry ledger: value only ever moves by [`State::ledger_transfer`]
//! between two [`LedgerAccount`]s, so the sum of all balances of an asset is always zero
//! (deposits are transfers from `External`, which goes negative by the amount held).

mod actions;
mod subaccount;

pub(crate) use actions::{deposit, fund_insurance, set_isolated_market, set_margin_mode, transfer, withdraw};
pub use subaccount::{Position, Subaccount};

use novation_types::{AssetId, ErrorCode, LedgerAccount};

use crate::state::State;

impl State {
    /// Moves `units` (smallest units of `asset`, may be negative for a reverse move) from one
    /// ledger account to another. Both sides change or neither does.
    pub(crate) fn ledger_transfer(
        &mut self,
        from: LedgerAccount,
        to: LedgerAccount,
        asset: AssetId,
        units: i128,
    ) -> Result<(), ErrorCode> {
        let negated = units.checked_neg().ok_or(ErrorCode::ArithmeticOverflow)?;
        // Check both sides first so a failure leaves both untouched.
        self.ledger_balance_of(from, asset).checked_add(negated).ok_or(ErrorCode::ArithmeticOverflow)?;
        self.ledger_balance_of(to, asset).checked_add(units).ok_or(ErrorCode::ArithmeticOverflow)?;
        self.add_ledger(from, asset, negated)?;
        self.add_ledger(to, asset, units)
    }

    /// Balance of a ledger account in `asset`.
    pub(crate) fn ledger_balance_of(&self, account: LedgerAccount, asset: AssetId) -> i128 {
        match account {
            LedgerAccount::Subaccount(id) => self.subaccounts.get(&id).map_or(0, |s| s.balance(asset)),
            other => self.pool_balance(other, asset),
        }
    }

    fn add_ledger(&mut self, account: LedgerAccount, asset: AssetId, delta: i128) -> Result<(), ErrorCode> {
        let done = match account {
            LedgerAccount::Subaccount(id) => self.with_subaccount(id, |sub| sub.add_balance(asset, delta)),
            other => self.add_pool(other, asset, delta),
        };
        done.ok_or(ErrorCode::ArithmeticOverflow)
    }
}
