//! An oracle outage, then a gap (an attack the classic list does not name): the attacker
//! deposits TKN — counted at 0.8 / 0.9 — and borrows USD against it through round trips with
//! a colluding account on BTC-PERP; then every publisher falls silent on TKN for twenty
//! blocks while its real price collapses, and the attacker keeps trying to borrow more
//! against the last, stale price and to withdraw; when the publishers return, TKN is 70%
//! lower in a single report.

use novation_protocol::presets::{BTC, ETH, USD};
use novation_types::AssetId;

use super::attacker::borrow_against_collateral;
use super::genesis::{collateral_asset, dec, risk_officer_genesis, LIQUID_PERP, THIN};
use super::harness::{backstop, publishers, Arena, Quotes};
use super::{Outcome, Scale};

/// The token whose oracle goes silent.
const TKN: AssetId = AssetId(4);
/// Blocks without a TKN report.
const OUTAGE_BLOCKS: usize = 20;

/// Plays the scenario.
pub(super) fn run(scale: Scale) -> Outcome {
    let mut genesis = risk_officer_genesis(&publishers(), backstop());
    genesis.assets.push(collateral_asset(TKN, "TKN", (800_000, 900_000), "100000"));
    let prices = [(BTC, dec("100000")), (ETH, dec("4000")), (THIN, dec("1")), (TKN, dec("20"))];
    let mut arena = Arena::new("oracle_outage_gap", genesis, &prices);
    let cast = arena.stage("300000", "1000000", "5000000");
    let borrower = arena.attacker("outage-borrower");
    let colluder = arena.attacker("outage-colluder");
    arena.deposit(borrower, 0, TKN, dec("100000"));
    arena.deposit(colluder, 0, USD, dec("200000"));
    arena.block();
    borrow_against_collateral(&mut arena, cast.market_maker, borrower, colluder, scale.blocks(2, 6));
    arena.set_silent(TKN, true);
    arena.set_price(TKN, dec("6"));
    // Through the outage the attacker borrows again and again against the stale price.
    for _ in 0..OUTAGE_BLOCKS / 2 {
        borrow_against_collateral(&mut arena, cast.market_maker, borrower, colluder, 1);
        arena.withdraw_max(borrower, 0, TKN);
    }
    arena.set_silent(TKN, false);
    arena.blocks(scale.blocks(20, 60), |arena| {
        arena.quote(cast.market_maker, LIQUID_PERP, 10, 50, Quotes::Both);
        arena.withdraw_max(colluder, 0, USD);
        arena.withdraw_max(borrower, 0, TKN);
    });
    arena.outcome()
}
