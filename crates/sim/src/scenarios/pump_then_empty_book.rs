//! A concentrated position pumped, then crashed into an empty book: the attacker holds both
//! sides of THIN-PERP, and while THIN is pumped 3x the long keeps buying more from the honest
//! maker with whatever its paper profit lets it (pyramiding); then the maker leaves, the book
//! is empty, and THIN crashes back 70% at 5% a block. The short's profit is withdrawn
//! whenever the rules allow.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::{Side, SubaccountId, TimeInForce};

use super::genesis::{dec, risk_officer_genesis, THIN, THIN_PERP};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The pump per block (+0.95%): 117 blocks make 3x.
const PUMP_PER_BLOCK_PPM: i64 = 1_009_500;
/// The crash per block (−5%).
const CRASH_PER_BLOCK_PPM: i64 = 950_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("pump_then_empty_book", genesis, &prices);
    let cast = arena.stage("200000", "500000", "2000000");
    let pair = Pair::new(&mut arena, "pyramid", THIN_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
    arena.block();
    pair.open_max(&mut arena, 400_000);
    arena.block();
    let top = dec("3");
    arena.blocks(117, |arena| {
        if arena.price(THIN) < top {
            arena.move_price(THIN, PUMP_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        pyramid(arena, pair);
        arena.withdraw_max(pair.short, 0, USD);
    });
    let bottom = dec("0.9");
    arena.blocks(scale.blocks(40, 120), |arena| {
        if arena.price(THIN) > bottom {
            arena.move_price(THIN, CRASH_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Neither);
        pair.withdraw_all(arena);
    });
    arena.outcome()
}

/// The long buys as much more as its margin allows from the maker's offer.
fn pyramid(arena: &mut Arena, pair: Pair) {
    let (_, high) = arena.band_ticks(THIN_PERP);
    let long = SubaccountId::new(pair.long, 0);
    let before = arena.state().subaccount(long).map_or(0, |s| s.size_lots(THIN_PERP).0);
    let buy = |lots: u64| Arena::limit(0, THIN_PERP, Side::Buy, high, lots, TimeInForce::ImmediateOrCancel);
    let grows = |lots: u64| {
        let order = vec![novation_types::Action::Order(novation_types::OrderAction::Place(buy(lots)))];
        arena
            .try_on_copy(&[(pair.long, order)])
            .is_some_and(|s| s.subaccount(long).map_or(0, |s| s.size_lots(THIN_PERP).0) > before)
    };
    let mut lots = 20_000u64;
    while lots > 0 && !grows(lots) {
        lots /= 2;
    }
    if lots > 0 {
        arena.place(pair.long, buy(lots));
    }
}
