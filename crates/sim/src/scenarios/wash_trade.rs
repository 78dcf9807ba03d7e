//! Off-market wash trades between colluding accounts: A buys from C at the top edge of the
//! price band, then sells back to C at the bottom edge (or, where the rules refuse that, at
//! the mark), round after round, moving value from A to C; C withdraws everything it can at
//! every block and A whatever is left. On a thin market with an honest maker quoting, the
//! attacker keeps nothing the rules did not give back.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::Side;

use super::attacker::cross_max;
use super::genesis::{dec, risk_officer_genesis, THIN, THIN_PERP};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Scale};

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("wash_trade", genesis, &prices);
    let cast = arena.stage("200000", "500000", "2000000");
    let buyer = arena.attacker("wash-a");
    let seller = arena.attacker("wash-c");
    arena.deposit(buyer, 0, USD, dec("50000"));
    arena.deposit(seller, 0, USD, dec("50000"));
    arena.block();
    for _ in 0..scale.blocks(6, 30) {
        // A buys from C at the top of the band.
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        let (_, high) = arena.band_ticks(THIN_PERP);
        cross_max(&mut arena, THIN_PERP, seller, buyer, Side::Buy, high, 400_000);
        arena.withdraw_max(seller, 0, USD);
        arena.block();
        // A sells it back at the bottom of the band if the rules allow, else at the mark.
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        let (low, _) = arena.band_ticks(THIN_PERP);
        let lots = arena.position(buyer, 0, THIN_PERP).max(0) as u64;
        let sold = cross_max(&mut arena, THIN_PERP, seller, buyer, Side::Sell, low, lots);
        if sold < lots {
            let mark = arena.mark_ticks(THIN_PERP);
            cross_max(&mut arena, THIN_PERP, seller, buyer, Side::Sell, mark, lots - sold);
        }
        arena.withdraw_max(seller, 0, USD);
        arena.withdraw_max(buyer, 0, USD);
        arena.block();
    }
    // Whatever is left open is closed into the maker's quotes, and everything withdrawn.
    arena.blocks(4, |arena| {
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        for who in [buyer, seller] {
            let lots = arena.position(who, 0, THIN_PERP).unsigned_abs();
            arena.reduce(who, 0, THIN_PERP, lots);
            arena.withdraw_max(who, 0, USD);
        }
    });
    arena.outcome()
}
