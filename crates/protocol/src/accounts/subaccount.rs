//! A subaccount: collateral balances per asset and one position per market.

use novation_math::Decimal;
use novation_types::{AssetId, AssetUnits, Lots, MarginMode, MarketId, Side, SignedLots};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

/// Balances kept inline (no heap allocation) up to this many assets.
const INLINE_BALANCES: usize = 3;
/// Positions kept inline up to this many markets.
const INLINE_POSITIONS: usize = 4;

/// A perpetual position and the open orders resting in its market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The market.
    pub market: MarketId,
    /// Signed size in lots: positive long, negative short.
    pub size_lots: SignedLots,
    /// Signed quote value paid for the open size (long: positive). Unrealised PnL at mark is
    /// `size × mark value per lot − cost`; realising PnL moves value out of it.
    pub cost: Decimal,
    /// The market's cumulative funding index (raw quote per lot) when funding was last
    /// settled into the balance; funding owed since is `size × (index − this)`.
    pub funding_index: i128,
    /// Lots of open buy orders in this market (reduce-only orders excluded: they can never
    /// add exposure).
    pub open_bid_lots: Lots,
    /// Lots of open sell orders in this market (reduce-only orders excluded).
    pub open_ask_lots: Lots,
}

impl Position {
    /// An empty position in `market`.
    pub const fn empty(market: MarketId) -> Self {
        Position {
            market,
            size_lots: SignedLots::ZERO,
            cost: Decimal::ZERO,
            funding_index: 0,
            open_bid_lots: Lots::ZERO,
            open_ask_lots: Lots::ZERO,
        }
    }

    /// No size, no cost and no open orders: the entry can be dropped.
    pub fn is_empty(&self) -> bool {
        self.size_lots.is_zero() && self.cost.is_zero() && self.open_bid_lots.is_zero() && self.open_ask_lots.is_zero()
    }

    /// The size the position would reach if every open order on its worse side filled.
    pub fn worst_case_size_lots(&self) -> u128 {
        let size = i128::from(self.size_lots.0);
        let all_bids = (size + i128::from(self.open_bid_lots.0)).unsigned_abs();
        let all_asks = (size - i128::from(self.open_ask_lots.0)).unsigned_abs();
        all_bids.max(all_asks)
    }

    /// Counts `lots` more of open orders on `side` (nothing for a reduce-only order).
    pub fn add_open_lots(&mut self, side: Side, reduce_only: bool, lots: Lots) {
        if !reduce_only {
            let open = self.open_lots_mut(side);
            *open = open.saturating_add(lots);
        }
    }

    /// Counts `lots` fewer of open orders on `side` (nothing for a reduce-only order).
    pub fn release_open_lots(&mut self, side: Side, reduce_only: bool, lots: Lots) {
        if !reduce_only {
            let open = self.open_lots_mut(side);
            *open = open.saturating_sub(lots);
        }
    }

    /// Open order lots on `side`.
    pub fn open_lots_mut(&mut self, side: Side) -> &mut Lots {
        match side {
            Side::Buy => &mut self.open_bid_lots,
            Side::Sell => &mut self.open_ask_lots,
        }
    }
}

/// A numbered subaccount of an address. Margin is computed per subaccount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subaccount {
    /// Balances in the smallest unit of each asset, sorted by asset; zero balances are dropped.
    /// A negative balance is debt (only the quote asset, from losses and fees).
    pub balances: SmallVec<[(AssetId, AssetUnits); INLINE_BALANCES]>,
    /// Positions sorted by market; empty ones are dropped.
    pub positions: SmallVec<[Position; INLINE_POSITIONS]>,
    /// `Some(market)`: isolated margin on that market only, quote collateral only.
    pub isolated_market: Option<MarketId>,
    /// Number of open orders across all markets.
    pub open_orders: u32,
    /// Standard or portfolio margin.
    pub margin_mode: MarginMode,
    /// Realised profit not yet withdrawable (see `vesting`).
    #[serde(default)]
    pub unvested_profit: Option<super::UnvestedProfit>,
}

impl Subaccount {
    /// Balance of `asset` in its smallest unit.
    pub fn balance(&self, asset: AssetId) -> AssetUnits {
        match self.balances.binary_search_by_key(&asset, |(a, _)| *a) {
            Ok(index) => self.balances[index].1,
            Err(_) => AssetUnits::ZERO,
        }
    }

    /// Adds `delta` (may be negative) to the balance of `asset`; `None` on overflow.
    #[must_use]
    pub fn add_balance(&mut self, asset: AssetId, delta: AssetUnits) -> Option<()> {
        match self.balances.binary_search_by_key(&asset, |(a, _)| *a) {
            Ok(index) => {
                let next = self.balances[index].1.checked_add(delta)?;
                if next.is_zero() {
                    self.balances.remove(index);
                } else {
                    self.balances[index].1 = next;
                }
            }
            Err(index) => {
                if !delta.is_zero() {
                    self.balances.insert(index, (asset, delta));
                }
            }
        }
        Some(())
    }

    /// The position in `market`, if any.
    pub fn position(&self, market: MarketId) -> Option<&Position> {
        self.positions.binary_search_by_key(&market, |p| p.market).ok().map(|index| &self.positions[index])
    }

    /// Signed size in lots in `market` (0 without a position).
    pub fn size_lots(&self, market: MarketId) -> SignedLots {
        self.position(market).map_or(SignedLots::ZERO, |p| p.size_lots)
    }

    /// The position in `market`, created empty when missing.
    pub fn position_mut(&mut self, market: MarketId) -> &mut Position {
        let index = match self.positions.binary_search_by_key(&market, |p| p.market) {
            Ok(index) => index,
            Err(index) => {
                self.positions.insert(index, Position::empty(market));
                index
            }
        };
        &mut self.positions[index]
    }

    /// Drops empty position entries so equal contents always have equal encodings.
    pub fn tidy(&mut self) {
        self.positions.retain(|p| !p.is_empty());
    }

    /// No balances, positions or orders.
    pub fn is_empty(&self) -> bool {
        self.balances.is_empty()
            && self.positions.is_empty()
            && self.open_orders == 0
            && self.isolated_market.is_none()
            && self.margin_mode == MarginMode::Standard
    }
}
