//! A liquidation filled against the attacker's own offer (an attack the classic list does
//! not name): the attacker holds both sides of BTC-PERP at the most leverage margin allows,
//! on a book where nobody else quotes, and rests the long's whole exit at the worst price a
//! liquidation order accepts (mark plus the liquidation slippage bound). The price climbs
//! slowly; when the short is liquidated its closing orders can only fill against that offer,
//! each lot 5% above the mark — more than the 5% maintenance margin it held — so the short
//! ends below zero and the insurance fund would pay the long's gain.

use novation_protocol::presets::{BTC, ETH};

use super::genesis::{dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The rise per block (+0.5%).
const RISE_PER_BLOCK_PPM: i64 = 1_005_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("liquidation_into_own_offer", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let pair = Pair::new(&mut arena, "own-offer", LIQUID_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    pair.open_max(&mut arena, 1_000_000);
    arena.block();
    // The maker quotes nothing: the attacker's offer is the only liquidity.
    arena.quote(cast.market_maker, LIQUID_PERP, 10, 1, Quotes::Neither);
    arena.blocks(scale.blocks(60, 90), |arena| {
        arena.move_price(BTC, RISE_PER_BLOCK_PPM);
        pair.trap(arena);
        pair.withdraw_all(arena);
    });
    arena.blocks(5, |arena| pair.withdraw_all(arena));
    arena.outcome()
}
