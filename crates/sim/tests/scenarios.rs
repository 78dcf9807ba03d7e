//! Adversarial scenarios, small: each one's attacker must not profit, bad debt must stay
//! within the insurance fund, reserves must never go negative, no loss may stay uncovered at
//! a block's end, value must be conserved, and no flat account may pay.

use novation_sim::scenarios::{by_name, Outcome, Scale};

fn play(name: &str) -> Outcome {
    let (_, run) = by_name(name).expect("a listed scenario");
    let outcome = run(Scale::Small);
    eprintln!("{}", outcome.summary());
    outcome
}

fn assert_holds(name: &str) {
    let outcome = play(name);
    assert!(outcome.blocks > 0, "{name} applied no block");
    // Every story but the wash trades drives some account into liquidation.
    assert!(name == "wash_trade" || outcome.liquidations > 0, "{name} liquidated nobody:\n{}", outcome.summary());
    let failures = outcome.failures();
    assert!(failures.is_empty(), "{name}: {failures:#?}\n{}", outcome.summary());
}

#[test]
fn oracle_pump_on_a_thin_market_pays_the_attacker_nothing() {
    assert_holds("oracle_pump");
}

#[test]
fn wash_trades_at_the_band_edges_move_no_value_out() {
    assert_holds("wash_trade");
}

#[test]
fn a_short_self_liquidated_into_the_backstop_then_pumped_4x_pays_the_attacker_nothing() {
    assert_holds("backstop_pump");
}

#[test]
fn usd_borrowed_against_a_token_that_falls_80_percent_is_repaid() {
    assert_holds("collateral_crash");
}

#[test]
#[ignore = "needs a backstop that does not carry a liquidated side through the rest of a crash: its share of the pair's liquidated long (within its open-interest limit) loses as BTC keeps falling, and that loss funds the attacker's remaining short"]
fn a_crash_with_one_publisher_reporting_a_depeg_pays_the_attacker_nothing() {
    assert_holds("depeg_publisher");
}

#[test]
fn usd_borrowed_against_an_asset_that_falls_99_99_percent_is_covered() {
    assert_holds("collateral_wipeout");
}

#[test]
fn a_crash_with_no_bids_below_the_mark_leaves_no_loss_uncovered() {
    assert_holds("no_bids_crash");
}

#[test]
fn a_concentrated_position_pumped_then_crashed_into_an_empty_book_pays_the_attacker_nothing() {
    assert_holds("pump_then_empty_book");
}

#[test]
#[ignore = "needs a backstop that does not carry a liquidated side while the price keeps moving: its share of the short (within its open-interest limit) loses as BTC keeps rising, and that loss funds the attacker's long"]
fn a_liquidation_filled_only_by_the_attackers_own_offer_drains_no_insurance() {
    assert_holds("liquidation_into_own_offer");
}

#[test]
#[ignore = "no mechanism yet bounds quote debt against a collateral that can gap: the borrower carries 1.32M USD of debt against 100,000 TKN at weight 0.8, the stale TKN price holds liquidation off through the silence, and after the 70% gap the debt-only account has nothing to auto-deleverage, so 526k of bad debt outlasts a 300k fund (needs a debt cap per collateral asset, or a weight that decays while its price is stale)"]
fn borrowing_against_a_silent_oracle_then_a_70_percent_gap_pays_the_attacker_nothing() {
    assert_holds("oracle_outage_gap");
}

#[test]
fn a_gap_past_one_sides_whole_margin_pays_the_attacker_nothing() {
    assert_holds("gap_through_bankruptcy");
}
