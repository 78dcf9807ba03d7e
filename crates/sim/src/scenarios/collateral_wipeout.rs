//! A collateral asset falls 99.99%: the attacker deposits WIPE — counted at 0.5 / 0.6, capped
//! at 1,000,000 USD of deposits — borrows USD against it through round trips with a colluding
//! account on BTC-PERP (buy at the top of the band, sell back at the bottom), the colluder
//! withdrawing the gains; then WIPE loses 10% a block until it is worth a ten-thousandth of
//! its price, far too fast for its oracle to stay valid.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::AssetId;

use super::attacker::borrow_against_collateral;
use super::genesis::{collateral_asset, dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Scale};

/// The collapsing asset.
const WIPE: AssetId = AssetId(4);
/// The fall per block (−10%): 88 blocks make −99.99%.
const FALL_PER_BLOCK_PPM: i64 = 900_000;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let mut genesis = risk_officer_genesis(&publishers(), backstop());
    genesis.assets.push(collateral_asset(WIPE, "WIPE", (500_000, 600_000), "100000"));
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1")), (WIPE, dec("10"))];
    let mut arena = Arena::new("collateral_wipeout", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let borrower = arena.attacker("wipe-borrower");
    let colluder = arena.attacker("wipe-colluder");
    arena.deposit(borrower, 0, WIPE, dec("100000"));
    arena.deposit(colluder, 0, USD, dec("200000"));
    arena.block();
    borrow_against_collateral(&mut arena, cast.market_maker, borrower, colluder, scale.blocks(8, 30));
    let floor = dec("0.001");
    arena.blocks(90, |arena| {
        if arena.price(WIPE) > floor {
            arena.move_price(WIPE, FALL_PER_BLOCK_PPM);
        }
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 50, Quotes::Both);
        arena.withdraw_max(colluder, 0, USD);
        arena.withdraw_max(borrower, 0, WIPE);
    });
    arena.blocks(10, |arena| {
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 50, Quotes::Both);
        arena.withdraw_max(colluder, 0, USD);
    });
    arena.outcome()
}
