//! A gap through bankruptcy (an attack the classic list does not name): the attacker holds
//! both sides of THIN-PERP as large as margin allows, and THIN's price gaps 60% down in a
//! single block — further than the long's whole margin — so the long is bankrupt before any
//! liquidation can act, while the short's profit is real. The attacker rests the short's exit
//! where the long's liquidation fills, then takes the short's profit into the honest maker's
//! offers and withdraws everything it can, block after block; THIN never recovers.

use novation_protocol::presets::{BTC, ETH};

use super::genesis::{dec, risk_officer_genesis, THIN, THIN_PERP};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The gap, in ppm of the price (−60%).
const GAP_PPM: i64 = 400_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("gap_through_bankruptcy", genesis, &prices);
    let cast = arena.stage("200000", "500000", "2000000");
    let pair = Pair::new(&mut arena, "gap", THIN_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
    arena.block();
    pair.open_max(&mut arena, 400_000);
    arena.block();
    arena.move_price(THIN, GAP_PPM);
    arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
    pair.trap(&mut arena);
    arena.block();
    arena.blocks(scale.blocks(30, 120), |arena| {
        arena.quote(cast.market_maker, THIN_PERP, 50, 20_000, Quotes::Both);
        pair.harvest(arena, 20_000);
    });
    arena.outcome()
}
