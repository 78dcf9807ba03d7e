//! A crash with no liquidity below the mark (after Black Thursday, March 2020): BTC falls 40%
//! in eight blocks while the only maker pulls its bids and quotes offers only; honest longs
//! at about 8x and the attacker's pair (both sides at the most leverage margin allows, the
//! winner's exit resting at the band's edge) ride it; bids come back afterwards, the price
//! recovers half the fall, and the attacker withdraws everything it can at every block.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::{Side, TimeInForce};

use super::genesis::{dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The crash per block (−6.2%): eight blocks make −40%.
const CRASH_PER_BLOCK_PPM: i64 = 938_000;
/// The recovery per block (+1%).
const RECOVERY_PER_BLOCK_PPM: i64 = 1_010_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("no_bids_crash", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let honest: Vec<_> = (0..3).map(|n| arena.actor(&format!("long-{n}"))).collect();
    for who in &honest {
        arena.deposit(*who, 0, USD, dec("30000"));
    }
    let pair = Pair::new(&mut arena, "thursday", LIQUID_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
    arena.block();
    arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
    for who in &honest {
        let (_, high) = arena.band_ticks(LIQUID_PERP);
        arena.place(*who, Arena::limit(0, LIQUID_PERP, Side::Buy, high, 24, TimeInForce::ImmediateOrCancel));
    }
    pair.open_max(&mut arena, 1_000_000);
    arena.block();
    arena.blocks(8, |arena| {
        arena.move_price(BTC, CRASH_PER_BLOCK_PPM);
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::AsksOnly);
        pair.trap(arena);
        pair.withdraw_all(arena);
    });
    arena.blocks(scale.blocks(4, 12), |arena| {
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::AsksOnly);
        pair.harvest(arena, 200);
    });
    let recovered = dec("80000");
    arena.blocks(scale.blocks(40, 120), |arena| {
        if arena.price(BTC) < recovered {
            arena.move_price(BTC, RECOVERY_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
        pair.harvest(arena, 200);
    });
    arena.outcome()
}
