//! The risk index: one compact, fixed-size row per subaccount holding exactly what its
//! maintenance health needs, kept up to date on every write to the subaccount.
//!
//! Maintenance health is linear in prices: equity is the quote balance minus the position
//! costs, plus size × (lot value − funding index) + size × funding snapshot per position, plus balance × weighted unit value per
//! collateral asset. A row stores the constant part and
//! up to [`LEGS`] (id, amount) legs in 80 bytes, so re-checking every account after an oracle
//! move is a linear scan over contiguous memory with a few multiplications per account,
//! instead of a walk over a tree of heap-allocated subaccounts. Subaccounts that do not fit
//! a row (many legs, huge balances) are marked complex and checked the full way.

use novation_types::{AssetId, SubaccountId};
use rustc_hash::FxHashMap;

use super::prices::RiskPrices;
use crate::accounts::Subaccount;
use crate::params::MarketParams;

/// Legs per row: positions plus non-quote collateral assets.
pub(crate) const LEGS: usize = 5;
/// Set in a leg id when the leg is a position in a market (clear: a collateral asset).
const MARKET_LEG: u16 = 0x8000;
const PPM: i128 = 1_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum RowKind {
    /// A freed slot.
    #[default]
    Empty,
    /// Evaluated from the row.
    Compact,
    /// Evaluated from the subaccount itself.
    Complex,
}

/// One subaccount's maintenance-health inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RiskRow {
    /// Quote balance minus the sum of position costs, raw quote decimals.
    constant: i128,
    /// Signed amounts: position size in lots, or balance in the asset's smallest unit.
    units: [i64; LEGS],
    /// Leg ids: `MARKET_LEG | market` or an asset id.
    legs: [u16; LEGS],
    len: u8,
    kind: RowKind,
}

impl RiskRow {
    fn of(sub: &Subaccount, quote: AssetId) -> RiskRow {
        let complex = RiskRow { kind: RowKind::Complex, ..RiskRow::default() };
        let mut row = RiskRow { kind: RowKind::Compact, ..RiskRow::default() };
        let mut constant = Some(sub.balance(quote));
        let push = |row: &mut RiskRow, id: u16, units: i64| {
            if row.len as usize == LEGS {
                return false;
            }
            row.legs[row.len as usize] = id;
            row.units[row.len as usize] = units;
            row.len += 1;
            true
        };
        for &(asset, units) in &sub.balances {
            if asset == quote {
                continue;
            }
            let Ok(units) = i64::try_from(units) else {
                return complex;
            };
            if asset.0 >= MARKET_LEG || !push(&mut row, asset.0, units) {
                return complex;
            }
        }
        for position in &sub.positions {
            // Owed funding is size × (index − snapshot): the snapshot part is constant.
            let snapshot_part = (position.size_lots as i128).checked_mul(position.funding_index);
            constant = constant.and_then(|c| c.checked_sub(position.cost.raw())?.checked_add(snapshot_part?));
            if position.size_lots != 0
                && (position.market.0 >= MARKET_LEG
                    || !push(&mut row, MARKET_LEG | position.market.0, position.size_lots))
            {
                return complex;
            }
        }
        match constant {
            Some(constant) => RiskRow { constant, ..row },
            None => complex,
        }
    }

    /// Whether the row's account is below maintenance; `None` if it must be checked the
    /// full way (complex row or arithmetic out of range).
    #[inline]
    fn below_maintenance(&self, prices: &RiskPrices, tiers: &[Vec<(i128, i128)>]) -> Option<bool> {
        let mut equity = self.constant;
        let mut requirement: i128 = 0;
        for leg in 0..self.len as usize {
            let id = self.legs[leg];
            let units = self.units[leg] as i128;
            if id & MARKET_LEG != 0 {
                let market = (id & !MARKET_LEG) as usize;
                let risk = prices.markets.get(market)?;
                let value = units.checked_mul(risk.lot_value)?;
                equity = equity.checked_add(value)?.checked_sub(units.checked_mul(risk.funding_index)?)?;
                let notional = value.checked_abs()?;
                let fraction = tier_fraction(tiers.get(market)?, notional);
                requirement = requirement.checked_add(notional.checked_mul(fraction)?)?;
            } else {
                let asset = prices.assets.get(id as usize)?;
                let weighted = if units >= 0 { asset.asset_maintenance } else { asset.liability_maintenance };
                equity = equity.checked_add(units.checked_mul(weighted)?)?;
            }
        }
        Some(equity.checked_mul(PPM)? < requirement)
    }
}

#[inline]
fn tier_fraction(tiers: &[(i128, i128)], notional: i128) -> i128 {
    for &(max_notional, fraction) in tiers {
        if notional <= max_notional {
            return fraction;
        }
    }
    tiers.last().map_or(PPM, |t| t.1)
}

/// Rows for every subaccount, in slots that are reused when a subaccount empties.
#[derive(Clone, Debug, Default)]
pub(crate) struct RiskIndex {
    rows: Vec<RiskRow>,
    ids: Vec<SubaccountId>,
    /// Lookup only, never iterated: iteration order must not reach state or events.
    slots: FxHashMap<SubaccountId, u32>,
    free: Vec<u32>,
}

impl RiskIndex {
    /// Records the current contents of subaccount `id` (`None`: it no longer exists).
    pub(crate) fn update(&mut self, id: SubaccountId, sub: Option<&Subaccount>, quote: AssetId) {
        match (sub, self.slots.get(&id).copied()) {
            (Some(sub), Some(slot)) => self.rows[slot as usize] = RiskRow::of(sub, quote),
            (Some(sub), None) => {
                let row = RiskRow::of(sub, quote);
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.rows[slot as usize] = row;
                        self.ids[slot as usize] = id;
                        slot
                    }
                    None => {
                        self.rows.push(row);
                        self.ids.push(id);
                        (self.rows.len() - 1) as u32
                    }
                };
                self.slots.insert(id, slot);
            }
            (None, Some(slot)) => {
                self.rows[slot as usize] = RiskRow::default();
                self.slots.remove(&id);
                self.free.push(slot);
            }
            (None, None) => {}
        }
    }

    /// Calls `visit` for every live subaccount with its compact verdict (`None`: check it the
    /// full way).
    pub(crate) fn scan(
        &self,
        prices: &RiskPrices,
        markets: &[MarketParams],
        mut visit: impl FnMut(SubaccountId, Option<bool>),
    ) {
        let tiers: Vec<Vec<(i128, i128)>> = markets
            .iter()
            .map(|m| m.margin_tiers.iter().map(|t| (t.max_notional.raw(), t.maintenance.0 as i128)).collect())
            .collect();
        for (row, id) in self.rows.iter().zip(&self.ids) {
            match row.kind {
                RowKind::Empty => {}
                RowKind::Compact => visit(*id, row.below_maintenance(prices, &tiers)),
                RowKind::Complex => visit(*id, None),
            }
        }
    }

    /// Number of live rows.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}
