//! A collateral token crashes (after FTX and FTT, November 2022): the attacker deposits as
//! much of TKN as its deposit cap allows — counted at 0.8 for initial and 0.9 for maintenance
//! margin — and borrows USD against it the only way the rules allow: its account buys BTC-PERP
//! from a colluding account at the top of the price band and sells it back at the bottom (or
//! the mark), realising losses into quote debt while the colluder withdraws the gains. Then
//! TKN falls 80% over two days' worth of blocks, slowly enough that its oracle stays valid.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::AssetId;

use super::attacker::borrow_against_collateral;
use super::genesis::{collateral_asset, dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Scale};

/// The crashing token.
const TKN: AssetId = AssetId(4);
/// The fall per block (−0.95%); 170 blocks make −80%.
const FALL_PER_BLOCK_PPM: i64 = 990_500;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let mut genesis = risk_officer_genesis(&publishers(), backstop());
    // 100,000 TKN at 20 USD: at most 2,000,000 USD of it on the chain.
    genesis.assets.push(collateral_asset(TKN, "TKN", (800_000, 900_000), "100000"));
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1")), (TKN, dec("20"))];
    let mut arena = Arena::new("collateral_crash", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let borrower = arena.attacker("ftt-borrower");
    let colluder = arena.attacker("ftt-colluder");
    arena.deposit(borrower, 0, TKN, dec("100000"));
    arena.deposit(colluder, 0, USD, dec("200000"));
    arena.block();
    borrow_against_collateral(&mut arena, cast.market_maker, borrower, colluder, scale.blocks(8, 30));
    arena.blocks(170, |arena| {
        arena.move_price(TKN, FALL_PER_BLOCK_PPM);
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 50, Quotes::Both);
        arena.withdraw_max(colluder, 0, USD);
        arena.withdraw_max(borrower, 0, TKN);
    });
    arena.blocks(10, |arena| {
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 50, Quotes::Both);
        arena.withdraw_max(colluder, 0, USD);
    });
    arena.outcome()
}
