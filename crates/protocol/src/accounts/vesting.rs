//! Realised profit settles into what may leave the chain at a bounded rate. Profit a
//! subaccount realises (every posting from the `Settlement` account into it: realised PnL,
//! funding received, expiry and auto-deleveraging settlement) backs new risk at once, but
//! becomes withdrawable linearly over `settlement.profit_vesting_ms` of block time; a
//! realised loss first reduces what is still unvested, and the unvested remainder and any
//! new profit vest together over the next full period. Withdrawals and transfers must leave
//! the unvested remainder in the subaccount (even a flat one), so profit made by moving a
//! thin market leaves no faster than the period allows.

use novation_types::{QuoteRaw, SubaccountId};
use serde::{Deserialize, Serialize};

use super::Subaccount;
use crate::state::State;

/// Realised profit not yet withdrawable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnvestedProfit {
    /// Unvested amount at `since_ms` (raw quote decimals).
    pub amount: QuoteRaw,
    /// Block time vesting (re)started.
    pub since_ms: u64,
}

impl UnvestedProfit {
    /// What is still unvested at `now_ms`, rounded up.
    pub fn remaining(&self, now_ms: u64, period_ms: u64) -> i128 {
        let elapsed = now_ms.saturating_sub(self.since_ms);
        if period_ms == 0 || elapsed >= period_ms {
            return 0;
        }
        let left = i128::from(period_ms - elapsed);
        novation_math::mul_div_i128(self.amount.0, left, i128::from(period_ms), novation_math::Rounding::Ceil)
            .unwrap_or(self.amount.0)
    }
}

/// Books `realized` (profit > 0, loss < 0) into `sub`'s vesting at `now_ms`.
pub(crate) fn vest(sub: &mut Subaccount, realized: i128, now_ms: u64, period_ms: u64) {
    let left = sub.unvested_profit.map_or(0, |u| u.remaining(now_ms, period_ms));
    if left == 0 && realized <= 0 {
        sub.unvested_profit = None;
        return;
    }
    let next = left.saturating_add(realized).max(0);
    sub.unvested_profit =
        (next > 0 && period_ms > 0).then_some(UnvestedProfit { amount: QuoteRaw(next), since_ms: now_ms });
}

impl State {
    /// `sub`'s realised profit not yet withdrawable now.
    pub(crate) fn unvested_profit_of(&self, sub: &Subaccount) -> i128 {
        sub.unvested_profit.map_or(0, |u| u.remaining(self.clock.time_ms, self.params.settlement.profit_vesting_ms))
    }

    /// Books realised profit or loss into subaccount `id`'s vesting.
    pub(crate) fn vest_realized(&mut self, id: SubaccountId, realized: i128) {
        let (now, period) = (self.clock.time_ms, self.params.settlement.profit_vesting_ms);
        let Some(current) = self.accounts.subaccounts.get(&id) else { return };
        let mut next = current.clone();
        vest(&mut next, realized, now, period);
        if next.unvested_profit != current.unvested_profit {
            self.with_subaccount_unchecked(id, |sub| sub.unvested_profit = next.unvested_profit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: u64 = 3_600_000;

    #[test]
    fn profit_vests_linearly_and_losses_eat_the_unvested_part_first() {
        let mut sub = Subaccount::default();
        vest(&mut sub, 1_000, 0, HOUR);
        let unvested = sub.unvested_profit.unwrap();
        assert_eq!(unvested.remaining(0, HOUR), 1_000);
        assert_eq!(unvested.remaining(HOUR / 4, HOUR), 750);
        assert_eq!(unvested.remaining(HOUR, HOUR), 0);
        // Half an hour later, 500 is left; a 200 loss leaves 300 vesting over a new hour.
        vest(&mut sub, -200, HOUR / 2, HOUR);
        assert_eq!(sub.unvested_profit.unwrap().remaining(HOUR / 2, HOUR), 300);
        vest(&mut sub, -1_000, HOUR / 2, HOUR);
        assert_eq!(sub.unvested_profit, None, "a larger loss leaves nothing unvested");
        vest(&mut sub, 1_000, 0, 0);
        assert_eq!(sub.unvested_profit, None, "period 0: profit is withdrawable at once");
    }
}
