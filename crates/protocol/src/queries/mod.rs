//! Read-only views for clients, risk officers and dashboards: account health, books,
//! market statistics, system totals and the risk view. Everything here is computed from state at the
//! current height; nothing here changes state.

mod backstop;
mod derivatives;
mod listing;
mod orders;
mod risk_view;

pub use backstop::{AdlStanding, BackstopExposure, BackstopView};
pub use derivatives::{ContractGreeks, GreeksView, MarginBreakdown, PositionMargin, SeriesView, SmileView};
pub use listing::{AssetInfo, MarketInfo, TierInfo};
pub use orders::{OpenOrderView, OrderRef};
pub use risk_view::{AccountRisk, AssetReserves, MarketOpenInterest, RiskView};

use novation_math::{Decimal, Rounding};
use novation_types::{AssetId, LedgerAccount, MarketId, SubaccountId};
use serde::{Deserialize, Serialize};

use crate::book::Level;
use crate::oracle::PriceValidity;
use crate::risk::{Health, OrderExposure};
use crate::state::State;

/// Health of a subaccount in quote currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HealthView {
    /// Unweighted collateral plus unrealised PnL.
    pub equity: Decimal,
    /// Unweighted value of all balances.
    pub collateral: Decimal,
    /// Unrealised PnL at mark.
    pub unrealized_pnl: Decimal,
    /// Collateral weighted for initial margin, plus unrealised PnL.
    pub equity_initial: Decimal,
    /// Collateral weighted for maintenance margin, plus unrealised PnL.
    pub equity_maintenance: Decimal,
    /// Initial margin of positions and the worse side of open orders.
    pub initial_requirement: Decimal,
    /// Maintenance margin of positions: the liquidation line.
    pub maintenance_requirement: Decimal,
    /// What can still back new risk or be withdrawn: initial equity minus initial requirement.
    pub free_collateral: Decimal,
    /// Sum of position notionals at mark.
    pub notional: Decimal,
    /// Notional / equity (`None` when equity is not positive).
    pub leverage: Option<Decimal>,
    /// Initial margin holds.
    pub meets_initial: bool,
    /// Equity is below maintenance: liquidatable.
    pub below_maintenance: bool,
}

/// A position as a trader reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PositionView {
    /// Market.
    pub market: MarketId,
    /// Market ticker.
    pub symbol: String,
    /// Signed size in lots.
    pub size_lots: i64,
    /// Signed size in base units.
    pub size: Decimal,
    /// Average entry price (`None` when flat).
    pub entry_price: Option<Decimal>,
    /// Mark price.
    pub mark: Option<Decimal>,
    /// |size| × mark.
    pub notional: Decimal,
    /// Unrealised PnL at mark.
    pub unrealized_pnl: Decimal,
    /// Lots of open buy orders.
    pub open_bid_lots: u64,
    /// Lots of open sell orders.
    pub open_ask_lots: u64,
}

/// A balance as a trader reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BalanceView {
    /// Asset.
    pub asset: AssetId,
    /// Ticker.
    pub symbol: String,
    /// Amount in whole units (negative: debt).
    pub amount: Decimal,
}

/// A subaccount: balances, positions and health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountView {
    /// Which subaccount.
    pub subaccount: SubaccountId,
    /// Balances.
    pub balances: Vec<BalanceView>,
    /// Positions.
    pub positions: Vec<PositionView>,
    /// Health.
    pub health: HealthView,
    /// Isolated market, if any.
    pub isolated_market: Option<MarketId>,
    /// Open orders.
    pub open_orders: u32,
    /// Realised profit not yet withdrawable (it vests over `settlement.profit_vesting_ms`).
    #[serde(default)]
    pub unvested_profit: Decimal,
}

/// One side of an L2 book level with prices in quote units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct L2Level {
    /// Price in ticks.
    pub price_ticks: u64,
    /// Price in quote per whole base unit.
    pub price: Decimal,
    /// Total size in lots.
    pub size_lots: u64,
    /// Orders at this price.
    pub orders: u32,
}

/// Aggregated book depth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct L2Book {
    /// Market.
    pub market: MarketId,
    /// Bids, best first.
    pub bids: Vec<L2Level>,
    /// Asks, best first.
    pub asks: Vec<L2Level>,
}

/// Market statistics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MarketView {
    /// Market.
    pub market: MarketId,
    /// Ticker.
    pub symbol: String,
    /// Open interest in lots (one side).
    pub open_interest_lots: u64,
    /// Open interest at mark.
    pub open_interest_notional: Decimal,
    /// Traded quote volume since genesis.
    pub volume: Decimal,
    /// Fills since genesis.
    pub trades: u64,
    /// Last trade price.
    pub last_price: Option<Decimal>,
    /// Mark price.
    pub mark: Option<Decimal>,
    /// Oracle index price.
    pub index: Option<Decimal>,
    /// Oracle validity.
    pub index_validity: PriceValidity,
    /// Best bid price in ticks.
    pub best_bid_ticks: Option<u64>,
    /// Best ask price in ticks.
    pub best_ask_ticks: Option<u64>,
    /// Cumulative funding per lot (quote): a position owes size × (this − its snapshot).
    pub funding_index: Decimal,
    /// The funding rate applied at the end of the last interval.
    pub last_funding_rate: Decimal,
    /// Lowest and highest price, in ticks, an order or fill may have this block.
    pub price_band_ticks: Option<(u64, u64)>,
    /// The growth-limited stable price initial margin values positions at (with the mark).
    #[serde(default)]
    pub stable_price: Option<Decimal>,
}

/// One subaccount in a listing of every subaccount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubaccountSummary {
    /// The subaccount.
    pub subaccount: SubaccountId,
    /// Collateral plus unrealised PnL at mark.
    pub equity: Decimal,
    /// Maintenance requirement.
    pub maintenance_requirement: Decimal,
    /// Open positions.
    pub positions: u32,
    /// Open orders.
    pub open_orders: u32,
    /// Whether some balance is negative (debt owed to the chain).
    pub has_debt: bool,
    /// Below maintenance margin now.
    pub below_maintenance: bool,
}

/// One page of [`State::list_subaccounts`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubaccountPage {
    /// Subaccounts in id order.
    pub subaccounts: Vec<SubaccountSummary>,
    /// Pass this as `after` for the next page (`None`: this was the last).
    pub next: Option<SubaccountId>,
}

/// Totals across the whole system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SystemTotals {
    /// Collateral held by subaccounts per asset (whole units; debt nets against it).
    pub collateral: Vec<BalanceView>,
    /// Deposits minus withdrawals per asset (whole units).
    pub net_deposits: Vec<BalanceView>,
    /// Sum of open interest at mark over markets (one side).
    pub open_interest_notional: Decimal,
    /// Sum of all subaccounts' equity.
    pub total_equity: Decimal,
    /// Total position notional (both sides) / total equity.
    pub aggregate_leverage: Option<Decimal>,
    /// Fee pool balance.
    pub fee_pool: Decimal,
    /// Insurance fund balance.
    pub insurance_fund: Decimal,
    /// Subaccounts with anything in them.
    pub subaccounts: u64,
}

fn units_to_amount(state: &State, asset: AssetId, units: i128) -> Decimal {
    state.params.assets.get(asset.0 as usize).map_or(Decimal::from_raw(units), |a| a.amount_of_units(units))
}

fn leverage(notional: i128, equity: i128) -> Option<Decimal> {
    if equity <= 0 {
        return None;
    }
    Decimal::from_raw(notional).div(Decimal::from_raw(equity), Rounding::Ceil).ok()
}

impl HealthView {
    fn from_health(positions_only: &Health, with_orders: &Health) -> Self {
        let free = with_orders.equity_initial().saturating_sub(with_orders.initial_requirement());
        HealthView {
            equity: Decimal::from_raw(with_orders.equity().0),
            collateral: Decimal::from_raw(with_orders.collateral.0),
            unrealized_pnl: Decimal::from_raw(with_orders.unrealized_pnl.0),
            equity_initial: Decimal::from_raw(with_orders.equity_initial().0),
            equity_maintenance: Decimal::from_raw(with_orders.equity_maintenance().0),
            initial_requirement: Decimal::from_raw(with_orders.initial_requirement().0),
            maintenance_requirement: Decimal::from_raw(positions_only.maintenance_requirement().0),
            free_collateral: Decimal::from_raw(free.0),
            notional: Decimal::from_raw(with_orders.notional.0),
            leverage: leverage(with_orders.notional.0, with_orders.equity().0),
            meets_initial: with_orders.meets_initial(),
            below_maintenance: positions_only.below_maintenance(),
        }
    }
}

impl State {
    /// Health of a subaccount (an unknown subaccount is empty and healthy).
    pub fn health(&self, id: SubaccountId) -> HealthView {
        let sub = self.accounts.subaccounts.get(&id).cloned().unwrap_or_default();
        // Health that cannot be computed (numbers out of range) is never reported as good.
        let Ok(positions_only) = self.health_of(&sub, OrderExposure::PositionsOnly) else {
            let unknown = HealthView::from_health(&Health::default(), &Health::default());
            return HealthView { meets_initial: false, below_maintenance: true, ..unknown };
        };
        match self.health_of(&sub, OrderExposure::WithOpenOrders) {
            Ok(with_orders) => HealthView::from_health(&positions_only, &with_orders),
            Err(_) => {
                let view = HealthView::from_health(&positions_only, &positions_only);
                HealthView { meets_initial: false, free_collateral: Decimal::ZERO, ..view }
            }
        }
    }

    /// Raw health of a subaccount (positions only), for risk tooling and benchmarks.
    pub fn raw_health(&self, id: SubaccountId) -> Option<Health> {
        let sub = self.accounts.subaccounts.get(&id)?;
        self.health_of(sub, OrderExposure::PositionsOnly).ok()
    }

    /// Balances, positions and health of a subaccount.
    pub fn account(&self, id: SubaccountId) -> AccountView {
        let sub = self.accounts.subaccounts.get(&id).cloned().unwrap_or_default();
        let balances = sub
            .balances
            .iter()
            .map(|(asset, units)| BalanceView {
                asset: *asset,
                symbol: self.params.asset(*asset).map(|a| a.symbol.clone()).unwrap_or_default(),
                amount: units_to_amount(self, *asset, units.0),
            })
            .collect();
        // A position always names a listed market (markets are never removed).
        let positions = sub.positions.iter().filter_map(|p| self.position_view(p)).collect();
        AccountView {
            subaccount: id,
            balances,
            positions,
            health: self.health(id),
            isolated_market: sub.isolated_market,
            open_orders: sub.open_orders,
            unvested_profit: Decimal::from_raw(self.unvested_profit_of(&sub)),
        }
    }

    fn position_view(&self, position: &crate::accounts::Position) -> Option<PositionView> {
        let params = self.params.market(position.market).ok()?;
        let lot_value = self.risk.markets[position.market.0 as usize].lot_value;
        let value = i128::from(position.size_lots.0).saturating_mul(lot_value.0);
        let size = Decimal::from_units(i128::from(position.size_lots.0), params.lot_size).unwrap_or_default();
        let entry_price = if size.is_zero() { None } else { position.cost.div(size, Rounding::HalfEven).ok() };
        Some(PositionView {
            market: position.market,
            symbol: params.symbol.clone(),
            size_lots: position.size_lots.0,
            size,
            entry_price,
            mark: self.markets.states[position.market.0 as usize].mark,
            notional: Decimal::from_raw(value.saturating_abs()),
            unrealized_pnl: Decimal::from_raw(value.saturating_sub(position.cost.raw())),
            open_bid_lots: position.open_bid_lots.0,
            open_ask_lots: position.open_ask_lots.0,
        })
    }

    /// Book depth of `market`, up to `levels` per side.
    pub fn l2_book(&self, market: MarketId, levels: usize) -> Option<L2Book> {
        let params = self.params.markets.get(market.0 as usize)?;
        let book = &self.trading.books[market.0 as usize];
        let view = |level: Level| L2Level {
            price_ticks: level.price_ticks,
            price: Decimal::from_units(level.price_ticks as i128, params.tick_size).unwrap_or_default(),
            size_lots: level.total_lots,
            orders: level.order_count,
        };
        Some(L2Book {
            market,
            bids: book.depth(novation_types::Side::Buy, levels).into_iter().map(view).collect(),
            asks: book.depth(novation_types::Side::Sell, levels).into_iter().map(view).collect(),
        })
    }

    /// Statistics of `market`.
    pub fn market(&self, market: MarketId) -> Option<MarketView> {
        let params = self.params.markets.get(market.0 as usize)?;
        let state = &self.markets.states[market.0 as usize];
        let oracle = &self.oracle.assets[params.base_asset.0 as usize];
        let lot_value = self.risk.markets[market.0 as usize].lot_value;
        let book = &self.trading.books[market.0 as usize];
        Some(MarketView {
            market,
            symbol: params.symbol.clone(),
            open_interest_lots: state.open_interest_lots,
            open_interest_notional: Decimal::from_raw((state.open_interest_lots as i128).saturating_mul(lot_value.0)),
            volume: state.volume_quote,
            trades: state.trade_count,
            last_price: state.last_price_ticks.and_then(|t| Decimal::from_units(t as i128, params.tick_size).ok()),
            mark: state.mark,
            index: oracle.index,
            index_validity: oracle.validity,
            best_bid_ticks: book.best_bid(),
            best_ask_ticks: book.best_ask(),
            funding_index: Decimal::from_raw(state.funding_index),
            last_funding_rate: state.last_funding_rate,
            price_band_ticks: self.risk.markets[market.0 as usize].band_ticks,
            stable_price: state.stable_price,
        })
    }

    /// Every subaccount (including those holding only debt) in id order, `limit` at a time
    /// after `after`.
    pub fn list_subaccounts(&self, after: Option<SubaccountId>, limit: usize) -> SubaccountPage {
        use std::ops::Bound;
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut subaccounts = Vec::new();
        let mut rows = self.accounts.subaccounts.range((start, Bound::Unbounded));
        for (id, sub) in rows.by_ref().take(limit) {
            let health = self.health_of(sub, OrderExposure::PositionsOnly).unwrap_or_default();
            subaccounts.push(SubaccountSummary {
                subaccount: *id,
                equity: Decimal::from_raw(health.equity().0),
                maintenance_requirement: Decimal::from_raw(health.maintenance_requirement().0),
                positions: sub.positions.iter().filter(|p| !p.size_lots.is_zero()).count() as u32,
                open_orders: sub.open_orders,
                has_debt: sub.balances.iter().any(|(_, units)| units.is_negative()),
                below_maintenance: health.below_maintenance(),
            });
        }
        let next = if rows.next().is_some() { subaccounts.last().map(|s| s.subaccount) } else { None };
        SubaccountPage { subaccounts, next }
    }

    /// Totals across the system.
    pub fn system_totals(&self) -> SystemTotals {
        let mut collateral = vec![0i128; self.params.assets.len()];
        let (mut equity, mut notional) = (0i128, 0i128);
        for sub in self.accounts.subaccounts.values() {
            for (asset, units) in &sub.balances {
                collateral[asset.0 as usize] = collateral[asset.0 as usize].saturating_add(units.0);
            }
            if let Ok(health) = self.health_of(sub, OrderExposure::PositionsOnly) {
                equity = equity.saturating_add(health.equity().0);
                notional = notional.saturating_add(health.notional.0);
            }
        }
        let view = |(index, units): (usize, i128)| BalanceView {
            asset: AssetId(index as u16),
            symbol: self.params.assets.get(index).map(|a| a.symbol.clone()).unwrap_or_default(),
            amount: units_to_amount(self, AssetId(index as u16), units),
        };
        let net_deposits = (0..self.params.assets.len())
            .map(|i| (i, -self.accounts.pool_balance(LedgerAccount::External, AssetId(i as u16)).0))
            .map(view)
            .collect();
        let open_interest_notional = self
            .markets
            .states
            .iter()
            .zip(&self.risk.markets)
            .map(|(m, r)| (m.open_interest_lots as i128).saturating_mul(r.lot_value.0))
            .fold(0i128, i128::saturating_add);
        let quote = self.params.quote_asset;
        SystemTotals {
            collateral: collateral.into_iter().enumerate().map(view).collect(),
            net_deposits,
            open_interest_notional: Decimal::from_raw(open_interest_notional),
            total_equity: Decimal::from_raw(equity),
            aggregate_leverage: leverage(notional, equity),
            fee_pool: units_to_amount(self, quote, (self.accounts.pool_balance(LedgerAccount::FeePool, quote)).0),
            insurance_fund: units_to_amount(
                self,
                quote,
                (self.accounts.pool_balance(LedgerAccount::InsuranceFund, quote)).0,
            ),
            subaccounts: self.accounts.subaccounts.len() as u64,
        }
    }

    /// Best bid and ask of `market` in ticks, O(1).
    pub fn best_prices(&self, market: MarketId) -> Option<(Option<u64>, Option<u64>)> {
        let book = self.trading.books.get(market.0 as usize)?;
        Some((book.best_bid(), book.best_ask()))
    }

    /// The order book of `market`, read-only.
    pub fn book(&self, market: MarketId) -> Option<&crate::book::OrderBook> {
        self.trading.books.get(market.0 as usize)
    }

    /// A subaccount's raw state.
    pub fn subaccount(&self, id: SubaccountId) -> Option<&crate::accounts::Subaccount> {
        self.accounts.subaccounts.get(&id)
    }

    /// Waiting trigger orders of a subaccount, oldest first per market.
    pub fn trigger_orders(&self, id: SubaccountId) -> Vec<(novation_types::OrderId, crate::TriggerOrder)> {
        self.trading.triggers.iter().filter(|(_, t)| t.owner == id).map(|(order, t)| (*order, *t)).collect()
    }

    /// Whether `account` has authorised `agent` to sign for it.
    pub fn is_agent(&self, account: novation_types::Address, agent: novation_types::Address) -> bool {
        self.accounts.agents.contains(&(account, agent))
    }

    /// The next nonce `signer` must use.
    pub fn nonce(&self, signer: novation_types::Address) -> u64 {
        self.accounts.nonces.get(&signer).unwrap_or(0)
    }

    /// Oracle state of an asset.
    pub fn oracle(&self, asset: AssetId) -> Option<&crate::oracle::AssetOracle> {
        self.oracle.assets.get(asset.0 as usize)
    }
}
