//! The system risk view: what a risk officer looks at after a price move.

use novation_math::{Decimal, Rounding};
use novation_types::{LedgerAccount, MarketId, SignedLots, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::risk::OrderExposure;
use crate::state::State;

/// One subaccount's distance to its liquidation line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountRisk {
    /// The subaccount.
    pub subaccount: SubaccountId,
    /// Equity at maintenance weights.
    pub equity_maintenance: Decimal,
    /// Maintenance requirement.
    pub maintenance_requirement: Decimal,
    /// Maintenance requirement / equity: 1 or more is liquidatable (`None`: equity ≤ 0).
    pub margin_ratio: Option<Decimal>,
}

/// Open interest of one market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarketOpenInterest {
    /// Market.
    pub market: MarketId,
    /// Ticker.
    pub symbol: String,
    /// Sum of long sizes, lots.
    pub long_lots: u64,
    /// Sum of short sizes, lots (always equal to longs).
    pub short_lots: u64,
    /// One side's notional at mark.
    pub notional: Decimal,
}

/// What the chain holds of one asset against what is claimed on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetReserves {
    /// The asset.
    pub asset: novation_types::AssetId,
    /// Ticker.
    pub symbol: String,
    /// Deposits − withdrawals, in whole units: never negative.
    pub reserves: Decimal,
    /// Sum of every positive balance (subaccounts and the protocol's own accounts).
    pub claims: Decimal,
    /// Sum of every negative subaccount balance, as a positive amount: debt owed to the chain.
    pub debt: Decimal,
}

/// System-wide risk figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RiskView {
    /// Subaccounts with positions, closest to liquidation first.
    pub closest_to_liquidation: Vec<AccountRisk>,
    /// Count of subaccounts with positions by margin ratio: [0, 25%), [25%, 50%), [50%, 75%),
    /// [75%, 100%), liquidatable (≥ 100% or equity ≤ 0).
    pub health_distribution: [u64; 5],
    /// Insurance fund balance.
    pub insurance_fund: Decimal,
    /// Highest balance seen at the end of a block.
    pub insurance_peak: Decimal,
    /// Peak minus current balance.
    pub insurance_drawdown: Decimal,
    /// Paid by the fund to cover negative equity since genesis.
    pub insurance_paid: Decimal,
    /// Uncovered negative equity right now.
    pub pending_bad_debt: Decimal,
    /// Uncovered negative equity since genesis.
    pub bad_debt_total: Decimal,
    /// Liquidations begun since genesis.
    pub liquidations: u64,
    /// Notional closed by liquidation since genesis.
    pub liquidated_notional: Decimal,
    /// Auto-deleveraging events since genesis.
    pub adl_events: u64,
    /// Notional auto-deleveraged since genesis.
    pub adl_notional: Decimal,
    /// Open interest per market.
    pub open_interest: Vec<MarketOpenInterest>,
    /// Reserves, claims and debt per asset.
    pub reserves: Vec<AssetReserves>,
    /// Every negative equity not yet booked to a ledger account (insurance fund, bad debt),
    /// as a positive amount: subaccounts awaiting liquidation and the backstop's own loss.
    pub uncovered_loss: Decimal,
    /// The backstop liquidator's equity.
    pub backstop_equity: Decimal,
    /// The backstop's equity, drawdown, exposure and limits per market.
    pub backstop: super::BackstopView,
}

fn margin_ratio(equity: i128, requirement: i128) -> Option<Decimal> {
    if equity <= 0 {
        return None;
    }
    Decimal::from_raw(requirement).div(Decimal::from_raw(equity), Rounding::Ceil).ok()
}

fn bucket(ratio: Option<Decimal>) -> usize {
    let Some(ratio) = ratio else { return 4 };
    let quarters = ratio.mul_int(4).ok().and_then(|r| r.round_to_int(Rounding::Floor).ok()).unwrap_or(4);
    quarters.clamp(0, 4) as usize
}

impl State {
    /// The system risk view, listing the `top` subaccounts closest to liquidation.
    pub fn risk_view(&self, top: usize) -> RiskView {
        let mut accounts = Vec::new();
        let mut health_distribution = [0u64; 5];
        let mut uncovered_loss = 0i128;
        for (id, sub) in &self.accounts.subaccounts {
            let Ok(health) = self.health_of(sub, OrderExposure::PositionsOnly) else { continue };
            uncovered_loss = uncovered_loss.saturating_add(health.equity().0.min(0).saturating_neg());
            if sub.positions.iter().all(|p| p.size_lots == SignedLots(0)) {
                continue;
            }
            let ratio = margin_ratio(health.equity_maintenance().0, health.maintenance_requirement().0);
            health_distribution[bucket(ratio)] += 1;
            accounts.push(AccountRisk {
                subaccount: *id,
                equity_maintenance: Decimal::from_raw(health.equity_maintenance().0),
                maintenance_requirement: Decimal::from_raw(health.maintenance_requirement().0),
                margin_ratio: ratio,
            });
        }
        // None (equity ≤ 0) is the closest of all; then the highest ratio; then id.
        accounts.sort_by(|a, b| {
            let key = |r: &AccountRisk| r.margin_ratio.map_or(Decimal::MAX, |d| d);
            key(b).cmp(&key(a)).then(a.subaccount.cmp(&b.subaccount))
        });
        accounts.truncate(top);
        let quote = self.params.quote_asset;
        let fund = self.accounts.pool_balance(LedgerAccount::InsuranceFund, quote);
        let stats = self.liquidation.stats;
        let peak = stats.insurance_peak.max(fund.0);
        let backstop = self.backstop_view();
        RiskView {
            closest_to_liquidation: accounts,
            health_distribution,
            insurance_fund: Decimal::from_raw(fund.0),
            insurance_peak: Decimal::from_raw(peak),
            insurance_drawdown: Decimal::from_raw(peak - fund.0),
            insurance_paid: Decimal::from_raw(stats.insurance_paid),
            pending_bad_debt: Decimal::from_raw(crate::liquidation::unresolved_bad_debt(self)),
            bad_debt_total: Decimal::from_raw(stats.bad_debt_total),
            liquidations: stats.liquidations,
            liquidated_notional: Decimal::from_raw(stats.liquidated_notional),
            adl_events: stats.adl_events,
            adl_notional: Decimal::from_raw(stats.adl_notional),
            open_interest: self
                .params
                .markets
                .iter()
                .zip(&self.markets.states)
                .zip(&self.risk.markets)
                .map(|((params, market), risk)| MarketOpenInterest {
                    market: params.id,
                    symbol: params.symbol.clone(),
                    long_lots: market.open_interest_lots,
                    short_lots: market.open_interest_lots,
                    notional: Decimal::from_raw((market.open_interest_lots as i128).saturating_mul(risk.lot_value.0)),
                })
                .collect(),
            reserves: self.reserves_view(),
            uncovered_loss: Decimal::from_raw(uncovered_loss),
            backstop_equity: backstop.equity,
            backstop,
        }
    }

    /// Reserves, claims and debt of every asset.
    pub fn reserves_view(&self) -> Vec<AssetReserves> {
        let pools = self.accounts.pools.nonzero();
        self.params
            .assets
            .iter()
            .map(|asset| {
                let (mut claims, mut debt) = (0i128, 0i128);
                let subaccount_balances = self.accounts.subaccounts.values().map(|sub| sub.balance(asset.id).0);
                let pool_balances = pools
                    .iter()
                    .filter(|((account, a), _)| *a == asset.id && *account != LedgerAccount::External)
                    .map(|(_, balance)| balance.0);
                for (index, balance) in subaccount_balances.map(|b| (0, b)).chain(pool_balances.map(|b| (1, b))) {
                    if balance > 0 {
                        claims = claims.saturating_add(balance);
                    } else if index == 0 {
                        debt = debt.saturating_add(balance.saturating_neg());
                    }
                }
                let reserves = crate::accounts::reserves(self, asset.id).0;
                AssetReserves {
                    asset: asset.id,
                    symbol: asset.symbol.clone(),
                    reserves: asset.amount_of_units(reserves),
                    claims: asset.amount_of_units(claims),
                    debt: asset.amount_of_units(debt),
                }
            })
            .collect()
    }
}
