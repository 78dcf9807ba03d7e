//! Running totals a risk officer watches: liquidations, auto-deleveraging, insurance fund
//! payouts and its high-water mark, and bad debt. All amounts are raw quote decimals.

use serde::{Deserialize, Serialize};

/// Totals since genesis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskStats {
    /// Subaccounts whose liquidation began.
    pub liquidations: u64,
    /// Notional closed by liquidation (on the book or by the backstop).
    pub liquidated_notional: i128,
    /// Positions reduced by auto-deleveraging.
    pub adl_events: u64,
    /// Notional reduced by auto-deleveraging, at bankruptcy prices.
    pub adl_notional: i128,
    /// Paid by the insurance fund to cover negative equity.
    pub insurance_paid: i128,
    /// Highest insurance fund balance seen at the end of a block (for drawdown).
    pub insurance_peak: i128,
    /// Negative equity that neither the fund nor auto-deleveraging covered, booked to the
    /// `BadDebt` ledger account.
    pub bad_debt_total: i128,
    /// Booked bad debt covered since (by the insurance fund or the fee pool).
    pub bad_debt_covered: i128,
    /// Highest equity of the backstop seen at the end of a block (for its drawdown).
    #[serde(default)]
    pub backstop_peak_equity: i128,
}

impl RiskStats {
    pub(crate) fn add_liquidated(&mut self, notional: i128) {
        self.liquidated_notional = self.liquidated_notional.saturating_add(notional);
    }
}
