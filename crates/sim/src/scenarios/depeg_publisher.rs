//! A market-wide crash while one publisher reports a stablecoin depeg: BTC falls 30% over
//! forty blocks while one of the three publishers reports USDX — a stablecoin counted at
//! 0.95 / 0.98 — at 0.70 throughout. Honest longs funded in USDX are liquidated into the
//! maker's bids; the attacker holds both sides of BTC-PERP at the most leverage margin allows,
//! rests the winner's exit at the band's edge, and withdraws everything it can every block.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::{AssetId, Side};

use super::genesis::{collateral_asset, dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Pair, Scale};

/// The stablecoin.
const USDX: AssetId = AssetId(4);
/// The crash per block (−0.9%): 40 blocks make −30%.
const FALL_PER_BLOCK_PPM: i64 = 991_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let mut genesis = risk_officer_genesis(&publishers(), backstop());
    genesis.assets.push(collateral_asset(USDX, "USDX", (950_000, 980_000), "50000000"));
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1")), (USDX, dec("1"))];
    let mut arena = Arena::new("depeg_publisher", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let honest: Vec<_> = (0..3).map(|n| arena.actor(&format!("usdx-long-{n}"))).collect();
    for who in &honest {
        arena.deposit(*who, 0, USDX, dec("40000"));
    }
    let pair = Pair::new(&mut arena, "depeg", LIQUID_PERP);
    pair.fund(&mut arena, "100000");
    arena.block();
    arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
    arena.block();
    // The honest longs buy from the maker at about 6x; the attacker opens its pair.
    arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
    for who in &honest {
        let (_, high) = arena.band_ticks(LIQUID_PERP);
        let order = Arena::limit(0, LIQUID_PERP, Side::Buy, high, 24, novation_types::TimeInForce::ImmediateOrCancel);
        arena.place(*who, order);
    }
    pair.open_max(&mut arena, 1_000_000);
    arena.block();
    arena.skew_publisher(2, USDX, Some(dec("0.7")));
    arena.blocks(40, |arena| {
        let index = arena.state().oracle(USDX).and_then(|o| o.index);
        arena.expect(index == Some(dec("1")), "USDX's index to stay at 1 whatever one publisher reports");
        arena.move_price(BTC, FALL_PER_BLOCK_PPM);
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
        pair.trap(arena);
        pair.withdraw_all(arena);
    });
    arena.blocks(scale.blocks(20, 120), |arena| {
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 200, Quotes::Both);
        pair.harvest(arena, 200);
    });
    for who in [pair.long, pair.short] {
        arena.withdraw_max(who, 0, USD);
    }
    arena.block();
    arena.outcome()
}
