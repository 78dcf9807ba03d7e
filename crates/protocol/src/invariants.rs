//! Invariants checked over the whole state: conservation of value (DESIGN §3.4) and the
//! consistency of positions, open interest and open orders.
//!
//! Conservation, in ledger terms: for every asset the balances of all ledger accounts sum to
//! zero (`External` holds minus what was deposited and not withdrawn), and the settlement
//! account holds exactly the sum of all unrealised PnL, so
//! `Σ balances + Σ unrealised PnL + fee pool + insurance fund + bad debt = deposits − withdrawals`
//! (the `BadDebt` balance is minus the loss not yet covered).

use std::collections::BTreeMap;

use novation_types::{AssetUnits, LedgerAccount, Side, SignedLots, SubaccountId};

use crate::state::State;

impl State {
    /// Checks every invariant; `Err` names the first one broken.
    pub fn verify_conservation(&self) -> Result<(), String> {
        self.verify_ledger_sums()?;
        self.verify_positions()?;
        self.verify_open_orders()?;
        self.verify_risk_index()
    }

    fn verify_ledger_sums(&self) -> Result<(), String> {
        for asset in &self.params.assets {
            let mut sum: i128 = 0;
            for sub in self.accounts.subaccounts.values() {
                sum = sum.checked_add(sub.balance(asset.id).0).ok_or("ledger sum overflow")?;
            }
            for ((_, pool_asset), balance) in &self.accounts.pools.nonzero() {
                if *pool_asset == asset.id {
                    sum = sum.checked_add(balance.0).ok_or("ledger sum overflow")?;
                }
            }
            if sum != 0 {
                return Err(format!("{}: ledger balances sum to {sum}, not 0", asset.symbol));
            }
            // Reserves (deposits − withdrawals) equal every other balance's sum (above) and
            // never go negative: the chain never paid out more than it took in.
            let reserves = crate::accounts::reserves(self, asset.id);
            if reserves.is_negative() {
                return Err(format!("{}: reserves are negative: {reserves}", asset.symbol));
            }
        }
        let fees = self.accounts.pool_balance(LedgerAccount::FeePool, self.params.quote_asset);
        if fees < AssetUnits(0) {
            return Err(format!("fee pool is negative: {fees}"));
        }
        Ok(())
    }

    fn verify_positions(&self) -> Result<(), String> {
        let markets = self.params.markets.len();
        let mut net = vec![0i128; markets];
        let mut longs = vec![0u128; markets];
        let mut costs: i128 = 0;
        let mut snapshots: i128 = 0;
        for sub in self.accounts.subaccounts.values() {
            for position in &sub.positions {
                let index = position.market.0 as usize;
                net[index] += i128::from(position.size_lots.0);
                if position.size_lots > SignedLots(0) {
                    longs[index] += position.size_lots.0 as u128;
                }
                let snapshot =
                    i128::from(position.size_lots.0).checked_mul(position.funding_index).ok_or("funding overflow")?;
                costs = costs.checked_add(position.cost.raw()).ok_or("cost sum overflow")?;
                snapshots = snapshots.checked_add(snapshot).ok_or("funding sum overflow")?;
            }
        }
        for (index, market) in self.markets.states.iter().enumerate() {
            if net[index] != 0 {
                return Err(format!("market {index}: positions sum to {} lots, not 0", net[index]));
            }
            if longs[index] != market.open_interest_lots as u128 {
                return Err(format!(
                    "market {index}: open interest {} != longs {}",
                    market.open_interest_lots, longs[index]
                ));
            }
        }
        let settlement = self.accounts.pool_balance(LedgerAccount::Settlement, self.params.quote_asset);
        // Settlement holds all unrealised PnL: Σ size × funding snapshot − Σ cost.
        if costs.checked_add(settlement.0).and_then(|v| v.checked_sub(snapshots)) != Some(0) {
            return Err(format!("settlement {settlement} does not offset costs {costs} and funding {snapshots}"));
        }
        Ok(())
    }

    fn verify_open_orders(&self) -> Result<(), String> {
        let mut open: BTreeMap<(SubaccountId, u16, bool), u64> = BTreeMap::new();
        let mut counts: BTreeMap<SubaccountId, u32> = BTreeMap::new();
        for (index, book) in self.trading.books.iter().enumerate() {
            for side in [Side::Buy, Side::Sell] {
                for order in book.iter_side(side) {
                    if !order.reduce_only {
                        *open.entry((order.owner, index as u16, side == Side::Buy)).or_default() +=
                            order.remaining_lots.0;
                    }
                    *counts.entry(order.owner).or_default() += 1;
                    if !self.trading.open_order_index.contains(&(order.owner, order.id)) {
                        return Err(format!("order {:?} missing from the open-order index", order.id));
                    }
                }
            }
        }
        for (id, trigger) in &self.trading.triggers {
            if !self.trading.open_order_index.contains(&(trigger.owner, *id)) {
                return Err(format!("trigger {id:?} missing from the open-order index"));
            }
        }
        let resting: usize = counts.values().map(|c| *c as usize).sum();
        if self.trading.open_order_index.len() != resting + self.trading.triggers.len() {
            return Err("open-order index holds orders not on any book".into());
        }
        for (id, sub) in &self.accounts.subaccounts {
            if sub.open_orders != counts.get(id).copied().unwrap_or(0) {
                return Err(format!("{id}: open order count {} is wrong", sub.open_orders));
            }
            for position in &sub.positions {
                let bids = open.get(&(*id, position.market.0, true)).copied().unwrap_or(0);
                let asks = open.get(&(*id, position.market.0, false)).copied().unwrap_or(0);
                if (bids, asks) != (position.open_bid_lots.0, position.open_ask_lots.0) {
                    return Err(format!(
                        "{id}: open lots {:?} != book {:?}",
                        (position.open_bid_lots, position.open_ask_lots),
                        (bids, asks)
                    ));
                }
            }
        }
        Ok(())
    }

    fn verify_risk_index(&self) -> Result<(), String> {
        if self.risk_index.len() != self.accounts.subaccounts.len() {
            return Err(format!(
                "risk index holds {} rows for {} subaccounts",
                self.risk_index.len(),
                self.accounts.subaccounts.len()
            ));
        }
        let (indexed, full) = (self.scan_health(), self.scan_health_full());
        if indexed != full {
            return Err(format!("risk index disagrees with full health: {indexed:?} vs {full:?}"));
        }
        Ok(())
    }
}
