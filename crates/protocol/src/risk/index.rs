//! The risk index: one compact, fixed-size row per subaccount holding what its maintenance
//! health needs, kept up to date on every write to the subaccount.
//!
//! Maintenance health is linear in prices. Per subaccount, equity is a constant (quote
//! balance − position costs + size × funding snapshot) plus, per position, size × (lot value −
//! funding index), plus, per collateral asset, balance × weighted unit value; the requirement
//! is Σ |size × lot value| × the tier's maintenance fraction. A row holds the constant and up
//! to [`LEGS`] (id, amount) legs in 48 bytes, so re-checking every account after an oracle move
//! is a linear scan over contiguous memory.
//!
//! The scan works in nano-units of the quote currency (10^-9) with 64-bit values and 128-bit
//! products that cannot overflow, and carries a bound on its own rounding error. When the
//! distance to the liquidation line is larger than that bound the verdict is exact; otherwise
//! (and for subaccounts too large or complex for a row) the account is checked the full way
//! with 18-decimal arithmetic. Either way the answer equals the full computation's.

use novation_types::{AssetId, QuoteRaw, QuoteScaled, SignedLots, SubaccountId};

use super::prices::RiskPrices;
use crate::accounts::Subaccount;
use crate::params::MarketParams;

/// Legs per row: positions plus non-quote collateral assets.
pub(crate) const LEGS: usize = 4;
/// Set in a leg id when the leg is a position in a market (clear: a collateral asset).
const MARKET_LEG: u8 = 0x80;
/// Raw quote decimals (10^-18) per nano-unit (10^-9).
const RAW_PER_NANO: i128 = 1_000_000_000;
/// Largest |amount| or |nano value| the fast scan accepts: with at most `LEGS` products of
/// two such numbers, times 10^6, every sum stays far inside i128.
const FAST_LIMIT: i64 = 1 << 50;

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
    /// The price-independent part of equity, in nano-units, rounded down (error < 1).
    constant_nano: i64,
    /// Signed amounts: position size in lots, or balance in the asset's smallest unit.
    units: [i64; LEGS],
    /// Leg ids: `MARKET_LEG | market` or an asset id.
    legs: [u8; LEGS],
    len: u8,
    kind: RowKind,
}

/// Per-block values for the fast scan, in nano-units, rounded down (error < 1 per unit).
pub(crate) struct NanoPrices {
    /// Per asset: (weighted value of a positive unit, of a negative unit).
    assets: Vec<Option<(i64, i64)>>,
    /// Per market.
    markets: Vec<Option<NanoMarket>>,
}

/// One market's values for the fast scan.
struct NanoMarket {
    /// Lot value − funding index.
    net_value: i64,
    /// Lot value at mark.
    lot_value: i64,
    /// Maintenance tiers: (notional bound in nano rounded down, maintenance requirement per
    /// lot in nano rounded up). Notionals within rounding of a bound are not decided here.
    tiers: Vec<(i128, i64)>,
    /// Positions of at most this many lots are surely in the first tier (their exact
    /// notional, below `lots × (lot value + 1)`, cannot exceed its bound).
    first_tier_lots: i64,
    /// The first tier's requirement per lot.
    first_tier_per_lot: i64,
}

fn to_nano(raw: i128) -> Option<i64> {
    i64::try_from(raw.div_euclid(RAW_PER_NANO)).ok().filter(|v| v.abs() < FAST_LIMIT)
}

impl NanoPrices {
    pub(crate) fn new(prices: &RiskPrices, markets: &[MarketParams]) -> Self {
        let assets = prices
            .assets
            .iter()
            .map(|a| {
                Some((
                    to_nano(a.asset_maintenance.0)?,
                    to_nano((a.liability_maintenance.checked_add(QuoteRaw(RAW_PER_NANO - 1))?).0)?,
                ))
            })
            .collect();
        let markets = prices
            .markets
            .iter()
            .zip(markets)
            .map(|(risk, params)| {
                let lot_value = to_nano(risk.lot_value.0)?;
                let tiers = params
                    .margin_tiers
                    .iter()
                    .map(|t| {
                        let bound_nano = t.max_notional.raw() / RAW_PER_NANO;
                        let per_lot =
                            super::health::ceil_div_ppm(QuoteScaled(lot_value as i128 * t.maintenance.0 as i128));
                        Some((bound_nano, i64::try_from(per_lot.0).ok()?))
                    })
                    .collect::<Option<Vec<_>>>()?;
                let (bound, per_lot) = *tiers.first()?;
                let first_tier_lots = (bound / (lot_value as i128 + 1)).clamp(0, i64::MAX as i128) as i64;
                Some(NanoMarket {
                    net_value: to_nano((risk.lot_value.checked_sub(QuoteRaw(risk.funding_index))?).0)?,
                    lot_value,
                    tiers,
                    first_tier_lots,
                    first_tier_per_lot: per_lot,
                })
            })
            .collect();
        NanoPrices { assets, markets }
    }
}

impl RiskRow {
    fn of(sub: &Subaccount, quote: AssetId, option_markets: &[bool]) -> RiskRow {
        let complex = RiskRow { kind: RowKind::Complex, ..RiskRow::default() };
        // Options and portfolio margin are not linear in prices: checked the full way.
        let nonlinear = sub.margin_mode != novation_types::MarginMode::Standard
            || sub.positions.iter().any(|p| option_markets.get(p.market.0 as usize).copied().unwrap_or(true));
        if nonlinear {
            return complex;
        }
        let mut row = RiskRow { kind: RowKind::Compact, ..RiskRow::default() };
        let mut constant = Some(sub.balance(quote).0);
        let push = |row: &mut RiskRow, id: u8, units: i64| {
            if row.len as usize == LEGS || units.abs() >= FAST_LIMIT {
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
            let Ok(units) = i64::try_from(units.0) else { return complex };
            if asset.0 >= MARKET_LEG as u16 || !push(&mut row, asset.0 as u8, units) {
                return complex;
            }
        }
        for position in &sub.positions {
            // Owed funding is size × (index − snapshot): the snapshot part is constant.
            let snapshot_part = i128::from(position.size_lots.0).checked_mul(position.funding_index);
            constant = constant.and_then(|c| c.checked_sub(position.cost.raw())?.checked_add(snapshot_part?));
            if position.size_lots != SignedLots(0)
                && (position.market.0 >= MARKET_LEG as u16
                    || !push(&mut row, MARKET_LEG | position.market.0 as u8, position.size_lots.0))
            {
                return complex;
            }
        }
        match constant.and_then(to_nano) {
            Some(constant_nano) => RiskRow { constant_nano, ..row },
            None => complex,
        }
    }

    /// Whether the row's account is below maintenance; `None` when the fast scan cannot
    /// tell for sure (too close to the line, a tier boundary, or values out of its range).
    ///
    /// Every amount and value here is below 2^50 in magnitude (rows and prices outside that
    /// range never reach this function), so each product is below 2^100 and each sum of at
    /// most `LEGS + 1` terms, even times 10^6, stays below 2^124: the wrapping operations
    /// below cannot wrap, and they avoid overflow-check calls on this hot loop.
    #[inline]
    fn below_maintenance(&self, prices: &NanoPrices) -> Option<bool> {
        let mut equity = self.constant_nano as i128;
        let mut requirement: i128 = 0;
        // Rounding error bound, in nano-units: < 1 for the constant, < 1 per unit per leg for
        // equity values, and < 2 per lot for the requirement (lot value and its fraction).
        let mut error: i64 = 1;
        for leg in 0..(self.len as usize).min(LEGS) {
            let id = self.legs[leg];
            let units = self.units[leg];
            let magnitude = units.wrapping_abs();
            if id & MARKET_LEG != 0 {
                let market = prices.markets.get((id & !MARKET_LEG) as usize)?.as_ref()?;
                equity = equity.wrapping_add(widening_mul(units, market.net_value));
                let per_lot = if magnitude <= market.first_tier_lots {
                    market.first_tier_per_lot
                } else {
                    let notional = widening_mul(magnitude, market.lot_value);
                    tier_requirement_per_lot(&market.tiers, notional, magnitude)?
                };
                requirement = requirement.wrapping_add(widening_mul(magnitude, per_lot));
                error = error.wrapping_add(magnitude.wrapping_mul(3));
            } else {
                let (asset, liability) = (*prices.assets.get(id as usize)?)?;
                equity = equity.wrapping_add(widening_mul(units, if units >= 0 { asset } else { liability }));
                error = error.wrapping_add(magnitude);
            }
        }
        let margin = equity.wrapping_sub(requirement);
        let error = error as i128;
        if margin > error {
            Some(false)
        } else if margin < -error {
            Some(true)
        } else {
            None
        }
    }
}

/// The exact 128-bit product of two 64-bit numbers (one multiply instruction).
#[inline]
fn widening_mul(a: i64, b: i64) -> i128 {
    (a as i128).wrapping_mul(b as i128)
}

/// The maintenance requirement per lot for a position whose notional is `notional` (nano,
/// from a lot value rounded down, so the exact notional lies in [notional, notional + lots)),
/// or `None` when that range straddles a tier bound.
#[inline]
fn tier_requirement_per_lot(tiers: &[(i128, i64)], notional: i128, lots: i64) -> Option<i64> {
    for &(bound, per_lot) in tiers {
        // The exact bound lies in [bound, bound + 1).
        if notional.saturating_add(lots as i128) <= bound {
            return Some(per_lot);
        }
        if notional <= bound.saturating_add(1) {
            return None;
        }
    }
    tiers.last().map(|t| t.1)
}

/// Rows for every subaccount, in the subaccount's own slot of the subaccount store (so a
/// write finds its row without a lookup of its own).
#[derive(Clone, Debug, Default)]
pub(crate) struct RiskIndex {
    rows: Vec<RiskRow>,
    ids: Vec<SubaccountId>,
    /// Number of live rows.
    live: usize,
    /// Per market: whether it is an option series.
    option_markets: Vec<bool>,
}

impl RiskIndex {
    /// An empty index for a chain with these markets.
    pub(crate) fn new(markets: &[MarketParams]) -> Self {
        RiskIndex { option_markets: markets.iter().map(|m| m.kind.is_option()).collect(), ..RiskIndex::default() }
    }

    /// Extends the index to a newly listed market.
    pub(crate) fn add_market(&mut self, is_option: bool) {
        self.option_markets.push(is_option);
    }

    /// Records the current contents of subaccount `id`, stored in `slot` of the subaccount
    /// store (`None`: it no longer exists and the slot is free).
    pub(crate) fn update(&mut self, slot: u32, id: SubaccountId, sub: Option<&Subaccount>, quote: AssetId) {
        let index = slot as usize;
        if index >= self.rows.len() {
            self.rows.resize(index + 1, RiskRow::default());
            self.ids.resize(index + 1, id);
        }
        let row = sub.map_or(RiskRow::default(), |sub| RiskRow::of(sub, quote, &self.option_markets));
        let (was_live, is_live) = (self.rows[index].kind != RowKind::Empty, row.kind != RowKind::Empty);
        self.live = self.live + usize::from(is_live) - usize::from(was_live);
        self.rows[index] = row;
        self.ids[index] = id;
    }

    /// Checks every live row: returns how many were checked, those below maintenance, and
    /// those the fast scan could not decide (to check the full way).
    pub(crate) fn scan(&self, prices: &NanoPrices) -> (u64, Vec<SubaccountId>, Vec<SubaccountId>) {
        let (mut checked, mut below, mut unsure) = (0u64, Vec::new(), Vec::new());
        for (slot, row) in self.rows.iter().enumerate() {
            let verdict = match row.kind {
                RowKind::Empty => continue,
                RowKind::Compact => row.below_maintenance(prices),
                RowKind::Complex => None,
            };
            checked += 1;
            // The id is read only for the few rows that need reporting.
            match verdict {
                Some(false) => {}
                Some(true) => below.push(self.ids[slot]),
                None => unsure.push(self.ids[slot]),
            }
        }
        (checked, below, unsure)
    }

    /// Number of live rows.
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notional_within_rounding_of_a_tier_bound_defers_to_the_exact_path() {
        let tiers = [(1_000_000, 30), (i128::MAX, 60)];
        assert_eq!(tier_requirement_per_lot(&tiers, 900_000, 10), Some(30));
        assert_eq!(tier_requirement_per_lot(&tiers, 999_995, 10), None);
        assert_eq!(tier_requirement_per_lot(&tiers, 1_000_001, 10), None);
        assert_eq!(tier_requirement_per_lot(&tiers, 2_000_000, 10), Some(60));
    }

    #[test]
    fn a_row_is_48_bytes() {
        assert_eq!(std::mem::size_of::<RiskRow>(), 48);
    }
}
