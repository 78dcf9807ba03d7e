//! The attacker's playbook, shared by the scenarios: two accounts that hold both sides of a
//! position (so that any profit they keep is taken from the protocol or its honest users, not
//! earned on the market's direction), opened as large as the margin rules allow, and then,
//! block after block, the winning side closed into whatever liquidity there is at the edge of
//! the price band while both accounts withdraw everything the rules let go; and, against a
//! collateral asset, borrowing quote through round trips with a colluder at the band's edges.

use novation_math::Decimal;
use novation_types::action::CancelAll;
use novation_types::{Action, Address, MarketId, OrderAction, Side, SubaccountId, TimeInForce};

use super::genesis::LIQUID_PERP;
use super::harness::{Arena, Quotes};
use crate::scenarios::genesis::dec;
use novation_protocol::presets::USD;

/// Steps of the binary search for the largest position the pair can open.
const OPEN_SEARCH_STEPS: u32 = 40;

/// Two colluding accounts on opposite sides of one market.
#[derive(Clone, Copy, Debug)]
pub struct Pair {
    /// Holds the long.
    pub long: Address,
    /// Holds the short.
    pub short: Address,
    /// The market.
    pub market: MarketId,
}

impl Pair {
    /// Two attacker accounts named `name`-long and `name`-short.
    pub fn new(arena: &mut Arena, name: &str, market: MarketId) -> Pair {
        Pair { long: arena.attacker(&format!("{name}-long")), short: arena.attacker(&format!("{name}-short")), market }
    }

    /// The two orders that open `lots` between the pair at `ticks`: the long rests a bid, the
    /// short sells into it.
    fn opening(&self, ticks: u64, lots: u64) -> [(Address, Vec<Action>); 2] {
        let bid = Arena::limit(0, self.market, Side::Buy, ticks, lots, TimeInForce::GoodTillCancel);
        let ask = Arena::limit(0, self.market, Side::Sell, ticks, lots, TimeInForce::ImmediateOrCancel);
        [
            (self.long, vec![Action::Order(OrderAction::Place(bid))]),
            (self.short, vec![Action::Order(OrderAction::Place(ask))]),
        ]
    }

    /// Opens the largest position (up to `max_lots`) both sides' margin allows at the mark,
    /// in the next block; returns the lots.
    pub fn open_max(&self, arena: &mut Arena, max_lots: u64) -> u64 {
        let ticks = arena.mark_ticks(self.market);
        let short = SubaccountId::new(self.short, 0);
        let before = arena.state().subaccount(short).map_or(0, |s| s.size_lots(self.market).0);
        let fits = |lots: u64| {
            let after = arena.try_on_copy(&self.opening(ticks, lots));
            after.is_some_and(|s| s.subaccount(short).map_or(0, |s| s.size_lots(self.market).0) == before - lots as i64)
        };
        let (mut low, mut high) = (0u64, max_lots.saturating_add(1));
        if fits(max_lots) {
            low = max_lots;
        } else {
            for _ in 0..OPEN_SEARCH_STEPS {
                if high - low <= 1 {
                    break;
                }
                let mid = low + (high - low) / 2;
                if fits(mid) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
        }
        if low > 0 {
            for (who, actions) in self.opening(ticks, low) {
                arena.send(who, actions);
            }
        }
        low
    }

    /// The side whose position is in profit now, if any.
    pub fn winner(&self, arena: &Arena) -> Option<Address> {
        let pnl = |who: Address| arena.state().health(SubaccountId::new(who, 0)).unrealized_pnl;
        let (long, short) = (pnl(self.long), pnl(self.short));
        if long > short && long.is_positive() {
            Some(self.long)
        } else if short > long && short.is_positive() {
            Some(self.short)
        } else {
            None
        }
    }

    /// One block of the attacker's best play: close up to `chunk_lots` of the winning side
    /// into the book at the band's far edge (realising its profit), and withdraw all the USD
    /// both sides may take out.
    pub fn harvest(&self, arena: &mut Arena, chunk_lots: u64) {
        if let Some(winner) = self.winner(arena) {
            arena.reduce(winner, 0, self.market, chunk_lots);
        }
        self.withdraw_all(arena);
    }

    /// The winning side offers its whole position, reduce-only, at the worst price a
    /// liquidation order accepts (mark ± the liquidation slippage bound, inside the price
    /// band), so that the losing side's liquidation fills against the attacker there.
    pub fn trap(&self, arena: &mut Arena) {
        let Some(winner) = self.winner(arena) else { return };
        let size = arena.position(winner, 0, self.market);
        let (low, high) = arena.band_ticks(self.market);
        let mark = arena.mark_ticks(self.market);
        let slippage = arena.state().params().liquidation.max_slippage;
        let reach = slippage.apply(i128::from(mark), novation_math::Rounding::Floor).unwrap_or(0) as u64;
        let (side, ticks) = if size > 0 {
            (Side::Sell, mark.saturating_add(reach).min(high))
        } else {
            (Side::Buy, mark.saturating_sub(reach).max(low))
        };
        let cancel = OrderAction::CancelAll(CancelAll { subaccount: 0, market: Some(self.market) });
        let offer = Arena::limit(0, self.market, side, ticks, size.unsigned_abs(), TimeInForce::GoodTillCancel);
        arena.send(winner, vec![Action::Batch(vec![cancel, OrderAction::Place(offer.reduce_only())])]);
    }

    /// Both sides withdraw every USD the rules let go.
    pub fn withdraw_all(&self, arena: &mut Arena) {
        for who in [self.long, self.short] {
            arena.withdraw_max(who, 0, novation_protocol::presets::USD);
        }
    }

    /// Funds both sides with `usd` each.
    pub fn fund(&self, arena: &mut Arena, usd: &str) {
        let amount: Decimal = dec(usd);
        for who in [self.long, self.short] {
            arena.deposit(who, 0, novation_protocol::presets::USD, amount);
        }
    }
}

/// The largest `lots` (up to `max_lots`) that `taker` can trade against `maker` at `ticks`
/// now — `maker` rests the order, `taker` takes it with an IOC — and that really fills;
/// queued for the next block. Returns the lots.
pub fn cross_max(
    arena: &mut Arena,
    market: MarketId,
    maker: Address,
    taker: Address,
    taker_side: Side,
    ticks: u64,
    max_lots: u64,
) -> u64 {
    let orders = |lots: u64| {
        let rest = Arena::limit(0, market, taker_side.opposite(), ticks, lots, TimeInForce::GoodTillCancel);
        let take = Arena::limit(0, market, taker_side, ticks, lots, TimeInForce::ImmediateOrCancel);
        [(maker, vec![Action::Order(OrderAction::Place(rest))]), (taker, vec![Action::Order(OrderAction::Place(take))])]
    };
    let id = SubaccountId::new(taker, 0);
    let before = arena.state().subaccount(id).map_or(0, |s| s.size_lots(market).0);
    let sign = if taker_side == Side::Buy { 1 } else { -1 };
    let fits = |lots: u64| {
        arena
            .try_on_copy(&orders(lots))
            .is_some_and(|s| s.subaccount(id).map_or(0, |s| s.size_lots(market).0) == before + sign * lots as i64)
    };
    let mut lots = 0;
    if fits(max_lots) {
        lots = max_lots;
    } else {
        let mut high = max_lots;
        for _ in 0..OPEN_SEARCH_STEPS {
            if high - lots <= 1 {
                break;
            }
            let mid = lots + (high - lots) / 2;
            if fits(mid) {
                lots = mid;
            } else {
                high = mid;
            }
        }
    }
    if lots > 0 {
        for (who, actions) in orders(lots) {
            arena.send(who, actions);
        }
    }
    lots
}

/// Round trips between `borrower` and `colluder` on the liquid market: the borrower buys at
/// the top of the band and sells back at the bottom (or the mark), and the colluder
/// withdraws what it gained, `rounds` times.
pub fn borrow_against_collateral(arena: &mut Arena, mm: Address, borrower: Address, colluder: Address, rounds: usize) {
    for _ in 0..rounds {
        arena.quote(mm, LIQUID_PERP, 10, 50, Quotes::Both);
        let (_, high) = arena.band_ticks(LIQUID_PERP);
        cross_max(arena, LIQUID_PERP, colluder, borrower, Side::Buy, high, 1_000_000);
        arena.withdraw_max(colluder, 0, USD);
        arena.block();
        arena.quote(mm, LIQUID_PERP, 10, 50, Quotes::Both);
        let (low, _) = arena.band_ticks(LIQUID_PERP);
        let lots = arena.position(borrower, 0, LIQUID_PERP).max(0) as u64;
        let sold = cross_max(arena, LIQUID_PERP, colluder, borrower, Side::Sell, low, lots);
        if sold < lots {
            let mark = arena.mark_ticks(LIQUID_PERP);
            cross_max(arena, LIQUID_PERP, colluder, borrower, Side::Sell, mark, lots - sold);
        }
        arena.withdraw_max(colluder, 0, USD);
        arena.block();
    }
    // The colluder closes whatever it still holds into the maker's quotes.
    arena.quote(mm, LIQUID_PERP, 10, 50, Quotes::Both);
    let lots = arena.position(colluder, 0, LIQUID_PERP).unsigned_abs();
    arena.reduce(colluder, 0, LIQUID_PERP, lots);
    arena.block();
}
