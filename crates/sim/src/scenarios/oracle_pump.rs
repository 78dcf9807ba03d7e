//! Oracle pump on a thin market, then withdrawal (after Mango Markets, October 2022): the
//! attacker holds both sides of THIN-PERP in two accounts, the thin market's oracle is pumped
//! ~10x in a few minutes (about 1% a block, slow enough that the oracle stays valid) while
//! the long's exit rests where the short's liquidation would fill; at the top the attacker
//! realises the long's paper profit into the honest maker's bids, withdrawing everything it
//! can at every block, and the price then falls back to where it started.

use novation_protocol::presets::{BTC, ETH};

use super::genesis::{dec, risk_officer_genesis, THIN, THIN_PERP};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The pump per block, in ppm of the price (+0.95%).
const PUMP_PER_BLOCK_PPM: i64 = 1_009_500;
/// The fall back per block (−0.95%).
const FALL_PER_BLOCK_PPM: i64 = 990_500;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("oracle_pump", genesis, &prices);
    let cast = arena.stage("200000", "500000", "2000000");
    let pair = Pair::new(&mut arena, "mango", THIN_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
    arena.block();
    pair.open_max(&mut arena, 400_000);
    arena.block();
    // About 245 blocks of +0.95% make 10x; the full run then holds the top for a while.
    let pump = 245;
    let hold = scale.blocks(10, 120);
    let top = dec("1").mul_int(10).unwrap_or_default();
    arena.blocks(pump, |arena| {
        if arena.price(THIN) < top {
            arena.move_price(THIN, PUMP_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        pair.trap(arena);
        pair.withdraw_all(arena);
    });
    arena.blocks(hold, |arena| {
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        pair.harvest(arena, 20_000);
    });
    arena.blocks(pump, |arena| {
        if arena.price(THIN) > dec("1") {
            arena.move_price(THIN, FALL_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        pair.harvest(arena, 20_000);
    });
    arena.outcome()
}
