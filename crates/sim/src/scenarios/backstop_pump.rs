//! Self-liquidation into the backstop, then a pump (after Hyperliquid's JELLY, March 2025):
//! the attacker opens a large short against its own long on THIN-PERP as large as margin
//! allows; the thin market's price rises until the short is liquidated — the book is too
//! thin to take it, so it goes to the backstop (which keeps what its limits allow and
//! auto-deleverages the rest) — and then keeps rising to ~4x, holds, and falls back to where
//! it started (the venue settled JELLY at its price before the pump). The long closes into
//! the honest maker's bids and withdraws at every block. (Resting the long's exit where the
//! short's liquidation fills, as `liquidation_into_own_offer` does, keeps the short away
//! from the backstop: that is another story.)

use novation_protocol::presets::{BTC, ETH};

use super::genesis::{dec, risk_officer_genesis, THIN, THIN_PERP};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The rise per block, in ppm of the price (+0.95%, slow enough to keep the oracle valid).
const PUMP_PER_BLOCK_PPM: i64 = 1_009_500;
/// The fall back per block (−0.95%).
const FALL_PER_BLOCK_PPM: i64 = 990_500;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let genesis = risk_officer_genesis(&publishers(), backstop());
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1"))];
    let mut arena = Arena::new("backstop_pump", genesis, &prices);
    let cast = arena.stage("200000", "500000", "2000000");
    let pair = Pair::new(&mut arena, "jelly", THIN_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, THIN_PERP, 50, 5_000, Quotes::Both);
    arena.block();
    pair.open_max(&mut arena, 400_000);
    arena.block();
    // ~146 blocks of +0.95% make 4x.
    let top = dec("4");
    arena.blocks(146, |arena| {
        if arena.price(THIN) < top {
            arena.move_price(THIN, PUMP_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 5_000, Quotes::Both);
        pair.withdraw_all(arena);
    });
    arena.blocks(scale.blocks(60, 240), |arena| {
        arena.quote(cast.market_maker, THIN_PERP, 50, 5_000, Quotes::Both);
        pair.harvest(arena, 5_000);
    });
    arena.blocks(160, |arena| {
        if arena.price(THIN) > dec("1") {
            arena.move_price(THIN, FALL_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, THIN_PERP, 50, 5_000, Quotes::Both);
        pair.harvest(arena, 5_000);
    });
    arena.outcome()
}
