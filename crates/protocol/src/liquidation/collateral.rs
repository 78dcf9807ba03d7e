//! Collateral liquidation: a subaccount below maintenance whose quote balance is a debt and
//! which still holds other collateral sells that collateral to the backstop liquidator, at
//! the oracle price less the asset's `liquidation_discount`, until the debt is repaid or the
//! collateral is gone — before its positions go to the backstop, and while the collateral
//! is still worth more than the debt. Assets are sold in id order.

use novation_math::{Decimal, Rounding};
use novation_types::{AssetId, AssetUnits, Event, LedgerAccount, SubaccountId};

use crate::accounts::ledger::Postings;
use crate::state::State;

/// Sells `id`'s non-quote collateral to the backstop to repay its quote debt.
pub(super) fn sell_collateral(state: &mut State, id: SubaccountId, events: &mut Vec<Event>) {
    let quote = state.params.quote_asset;
    let backstop = state.backstop_subaccount();
    let Some(sub) = state.accounts.subaccounts.get(&id) else { return };
    let collateral: Vec<(AssetId, i128)> = sub
        .balances
        .iter()
        .filter(|(asset, units)| *asset != quote && units.0 > 0)
        .map(|(asset, units)| (*asset, units.0))
        .collect();
    for (asset, held) in collateral {
        let debt = state.accounts.balance_of(LedgerAccount::Subaccount(id), quote).0.saturating_neg();
        if debt <= 0 {
            return;
        }
        let Some(sale) = sale_of(state, asset, held, debt) else { continue };
        let mut postings = Postings::new();
        let (seller, buyer) = (LedgerAccount::Subaccount(id), LedgerAccount::Subaccount(backstop));
        let built = postings
            .add(seller, buyer, asset, AssetUnits(sale.units))
            .and_then(|batch| batch.add(buyer, seller, quote, AssetUnits(sale.quote)));
        if built.is_err() || state.post(&postings).is_err() {
            continue;
        }
        let Ok(params) = state.params.asset(asset) else { continue };
        events.push(Event::CollateralLiquidated {
            subaccount: id,
            asset,
            amount: params.amount_of_units(sale.units),
            price: sale.price,
            quote: Decimal::from_raw(sale.quote),
        });
    }
}

/// One sale: units of the asset, quote paid for them, and the price per whole unit.
struct Sale {
    units: i128,
    quote: i128,
    price: Decimal,
}

/// The smallest sale of up to `held` units that repays `debt` (or all of `held`), at the
/// discounted oracle price; payouts round down.
fn sale_of(state: &State, asset: AssetId, held: i128, debt: i128) -> Option<Sale> {
    let params = state.params.asset(asset).ok()?;
    let index = state.oracle.assets.get(asset.0 as usize)?.index?;
    let keep = novation_math::Ppm::new(novation_math::Ppm::ONE.0 - params.liquidation_discount.0);
    let price = keep.apply_decimal(index, Rounding::Floor).ok()?;
    // Quote per smallest unit at that price, rounded down, from this block's unit value.
    let unit_value = state.risk.assets.get(asset.0 as usize)?.unit_value.0;
    let per_unit = keep.apply(unit_value, Rounding::Floor).ok()?;
    if per_unit <= 0 {
        return None;
    }
    let needed = novation_math::div_i128(debt, per_unit, Rounding::Ceil).ok()?;
    let units = needed.min(held);
    let quote = units.checked_mul(per_unit)?;
    Some(Sale { units, quote, price })
}
