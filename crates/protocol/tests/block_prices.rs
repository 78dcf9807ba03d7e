//! Block prices: the publishers' reports a block's consensus carries (on a validator chain,
//! the vote extensions), under the rules of the same reports sent as transactions, and the
//! stake quorum that keeps a minority of validators from setting a price.

mod common;

use common::*;
use novation_math::{Decimal, Rounding, SviParams};
use novation_protocol::oracle::PriceValidity;
use novation_protocol::params::{Genesis, OptionRight, VALIDATOR_CHAIN_QUORUM_STAKE};
use novation_protocol::presets::{BTC, ETH, USD};
use novation_protocol::{Block, BlockOutcome, ComponentKey, PublisherPrices, StateKey};
use novation_types::action;
use novation_types::{Action, Address, AssetId, ErrorCode, Event, Transaction};
use proptest::prelude::*;

const DAY_MS: u64 = 86_400_000;
const MONTH: u64 = 30 * DAY_MS;

/// Four validators of equal stake publish prices; aggregates need two thirds of the stake.
fn validator_genesis() -> (Genesis, Vec<Address>) {
    let validators: Vec<Address> = (1..=4).map(Address::from_index).collect();
    let mut genesis = Genesis::example(&validators);
    genesis.oracle.quorum_stake_ppm = VALIDATOR_CHAIN_QUORUM_STAKE;
    (genesis, validators)
}

/// The validator chain with BTC at 100,000 and ETH at 4,000.
fn validator_chain() -> Chain {
    let (genesis, validators) = validator_genesis();
    Chain::with_genesis(genesis, validators)
}

fn report(asset: AssetId, price: &str, time_ms: u64) -> action::PriceReport {
    action::PriceReport { asset, price: dec(price), confidence: Decimal::ZERO, publish_time_ms: time_ms }
}

fn prices_of(publisher: Address, reports: Vec<action::PriceReport>) -> PublisherPrices {
    PublisherPrices { publisher, reports, surfaces: Vec::new() }
}

/// The next block carries each validator's BTC price (one price per validator, in order),
/// stamped with the block time.
fn btc_block_prices(chain: &mut Chain, prices: &[&str]) -> BlockOutcome {
    let time = chain.next_header().time_ms;
    let entries =
        chain.publishers.iter().zip(prices).map(|(v, price)| prices_of(*v, vec![report(BTC, price, time)])).collect();
    chain.block_with_prices(entries, Vec::new())
}

fn rejections(outcome: &BlockOutcome) -> Vec<(Address, AssetId, Option<u64>, ErrorCode)> {
    outcome
        .end_block_events
        .iter()
        .filter_map(|event| match event {
            Event::OracleInputRejected { publisher, asset, expiry_ms, code } => {
                Some((*publisher, *asset, *expiry_ms, *code))
            }
            _ => None,
        })
        .collect()
}

fn btc_index(chain: &Chain) -> Decimal {
    chain.state.oracle(BTC).and_then(|o| o.index).expect("BTC is priced")
}

/// Applies the next block carrying `prices` and the same block without them to a copy of
/// the state, and asserts that both end in the same state.
fn assert_changes_nothing(chain: &mut Chain, prices: Vec<PublisherPrices>) -> BlockOutcome {
    let mut without = chain.state.clone();
    let header = chain.next_header();
    let outcome = chain.block_with_prices(prices, Vec::new());
    without.apply_block(&Block { header, transactions: Vec::new(), prices: Vec::new() }).unwrap();
    assert_eq!(chain.state.state_hash(), without.state_hash(), "the skipped prices changed the state");
    outcome
}

#[test]
fn block_prices_from_all_four_validators_aggregate_to_their_median() {
    let mut chain = validator_chain();
    let outcome = btc_block_prices(&mut chain, &["100400", "100100", "100300", "100200"]);
    assert_eq!(rejections(&outcome), Vec::new());
    // The lower weighted median of four equal weights is the second lowest price.
    assert_eq!(btc_index(&chain), dec("100200"));
    assert_eq!(chain.state.oracle(BTC).unwrap().validity, PriceValidity::Valid);
    let published =
        outcome.end_block_events.iter().any(|e| matches!(e, Event::OraclePrice { asset, .. } if *asset == BTC));
    assert!(published, "{:?}", outcome.end_block_events);
}

#[test]
fn one_validator_reporting_ten_times_the_price_leaves_the_index_in_the_honest_range() {
    let mut chain = validator_chain();
    for _ in 0..5 {
        btc_block_prices(&mut chain, &["100000", "100100", "100200", "1002000"]);
        let index = btc_index(&chain);
        assert!(dec("100000") <= index && index <= dec("100200"), "index {index}");
        assert_eq!(chain.state.oracle(BTC).unwrap().validity, PriceValidity::Valid);
    }
}

/// Blocks in which only the first two validators report BTC at 100,000, until the other
/// two validators' reports of the first block are too old to count.
fn let_two_validators_fall_silent(chain: &mut Chain) {
    let blocks = chain.state.params().oracle.max_age_ms / chain.block_ms + 1;
    for _ in 0..blocks {
        btc_block_prices(chain, &["100000", "100000"]);
    }
}

#[test]
fn half_the_stake_sets_no_new_index_and_the_price_turns_stale_after_its_maximum_age() {
    let mut chain = validator_chain();
    let max_age_ms = chain.state.params().oracle.max_age_ms;
    // Two of four validators meet the count quorum of two, but hold only half the stake.
    assert_eq!(chain.state.params().oracle.quorum, 2);
    let_two_validators_fall_silent(&mut chain);
    for _ in 0..max_age_ms / chain.block_ms + 1 {
        let outcome = btc_block_prices(&mut chain, &["101000", "101000"]);
        assert_eq!(rejections(&outcome), Vec::new(), "the reports themselves are fine");
        assert_eq!(btc_index(&chain), dec("100000"), "no new index from half the stake");
    }
    let oracle = chain.state.oracle(BTC).unwrap();
    assert!(oracle.last_update_ms + max_age_ms < chain.state.time_ms());
    assert_eq!(oracle.validity, PriceValidity::Stale);
    // A third validator brings the stake to three quarters: the price is fresh again.
    btc_block_prices(&mut chain, &["101000", "101000", "101000"]);
    assert_eq!(btc_index(&chain), dec("101000"));
    assert_eq!(chain.state.oracle(BTC).unwrap().validity, PriceValidity::Valid);
}

#[test]
fn without_a_stake_quorum_half_the_stake_meeting_the_count_quorum_sets_the_index() {
    let (mut genesis, validators) = validator_genesis();
    genesis.oracle.quorum_stake_ppm = novation_math::Ppm::ZERO;
    let mut chain = Chain::with_genesis(genesis, validators);
    let_two_validators_fall_silent(&mut chain);
    btc_block_prices(&mut chain, &["101000", "101000"]);
    assert_eq!(btc_index(&chain), dec("101000"));
}

#[test]
fn prices_from_a_non_publisher_are_skipped_with_a_rejection_and_change_nothing() {
    let mut chain = validator_chain();
    let time = chain.next_header().time_ms;
    let stranger = trader(7);
    let outcome = assert_changes_nothing(&mut chain, vec![prices_of(stranger, vec![report(BTC, "90000", time)])]);
    assert_eq!(rejections(&outcome), vec![(stranger, BTC, None, ErrorCode::NotPublisher)]);
}

#[test]
fn stale_and_future_stamped_block_prices_are_skipped() {
    let mut chain = validator_chain();
    for _ in 0..12 {
        btc_block_prices(&mut chain, &["100000"; 4]);
    }
    let oracle = chain.state.params().oracle;
    let time = chain.next_header().time_ms;
    let too_old = time - oracle.max_age_ms - 1;
    let too_new = time + oracle.max_future_ms + 1;
    let validator = chain.publishers[0];
    let prices = vec![prices_of(validator, vec![report(BTC, "100500", too_old), report(ETH, "4010", too_new)])];
    let outcome = assert_changes_nothing(&mut chain, prices);
    assert_eq!(
        rejections(&outcome),
        vec![(validator, BTC, None, ErrorCode::StalePriceReport), (validator, ETH, None, ErrorCode::StalePriceReport)]
    );
}

#[test]
fn a_block_price_that_fails_the_stateless_checks_is_skipped() {
    let mut chain = validator_chain();
    let time = chain.next_header().time_ms;
    let validator = chain.publishers[1];
    let prices = vec![prices_of(validator, vec![report(BTC, "-1", time), report(AssetId(99), "1", time)])];
    let outcome = assert_changes_nothing(&mut chain, prices);
    assert_eq!(
        rejections(&outcome),
        vec![(validator, BTC, None, ErrorCode::InvalidPrice), (validator, AssetId(99), None, ErrorCode::UnknownAsset)]
    );
}

#[test]
fn a_later_block_repeating_the_same_report_skips_it() {
    let mut chain = validator_chain();
    let time = chain.next_header().time_ms;
    let validator = chain.publishers[2];
    let prices = vec![prices_of(validator, vec![report(BTC, "100300", time)])];
    let first = chain.block_with_prices(prices.clone(), Vec::new());
    assert_eq!(rejections(&first), Vec::new());
    let stored = chain.state.oracle(BTC).unwrap().reports[&validator];
    assert_eq!((stored.price, stored.publish_time_ms), (dec("100300"), time));
    let again = assert_changes_nothing(&mut chain, prices);
    assert_eq!(rejections(&again), vec![(validator, BTC, None, ErrorCode::StalePriceReport)]);
}

#[test]
fn one_rejected_report_does_not_keep_the_publishers_other_reports_out() {
    let mut chain = validator_chain();
    let time = chain.next_header().time_ms;
    let validator = chain.publishers[0];
    let prices = vec![prices_of(validator, vec![report(BTC, "0", time), report(ETH, "4010", time)])];
    let outcome = chain.block_with_prices(prices, Vec::new());
    assert_eq!(rejections(&outcome), vec![(validator, BTC, None, ErrorCode::InvalidPrice)]);
    assert_eq!(chain.state.oracle(ETH).unwrap().reports[&validator].price, dec("4010"));
}

/// Each round: which validators report BTC (and ETH) at which price.
const ROUNDS: [&[&str]; 7] = [
    &["100400", "100100", "100300", "100200"],
    &["100500", "100600", "100700"],
    &["101000", "101000"],
    &["101000"],
    &[],
    &["100900", "100800", "100700", "1000000"],
    &["-5", "100800", "100800", "100800"],
];

#[test]
fn block_prices_and_the_same_price_report_transactions_give_the_same_oracle_state() {
    let mut by_consensus = validator_chain();
    let mut by_transactions = validator_chain();
    let oracle_section = StateKey::Component(ComponentKey::Oracle);
    for (round, prices) in ROUNDS.iter().enumerate() {
        let time = by_consensus.next_header().time_ms;
        let reports = |price: &str| vec![report(BTC, price, time), report(ETH, "4000", time)];
        let validators = by_consensus.publishers.clone();
        let entries = validators.iter().zip(prices.iter()).map(|(v, p)| prices_of(*v, reports(p))).collect();
        by_consensus.block_with_prices(entries, Vec::new());
        // One transaction per report: a transaction is all or nothing, a block price is not.
        let txs: Vec<Transaction> = validators
            .iter()
            .zip(prices.iter())
            .flat_map(|(v, p)| reports(p).into_iter().map(|r| (*v, r)))
            .map(|(v, r)| by_transactions.tx(v, vec![Action::PriceReport(r)]))
            .collect();
        by_transactions.block(txs);
        for asset in [USD, BTC, ETH] {
            assert_eq!(by_consensus.state.oracle(asset), by_transactions.state.oracle(asset), "round {round}");
        }
        assert_eq!(
            by_consensus.state.commitment_value(&oracle_section),
            by_transactions.state.commitment_value(&oracle_section),
            "round {round}"
        );
    }
}

/// A flat smile: total variance vol² × T at every strike.
fn flat(vol: &str, expiry_ms: u64, now_ms: u64) -> SviParams {
    let vol = dec(vol);
    let years =
        Decimal::from_int((expiry_ms - now_ms) as i64).div_int(365 * DAY_MS as i128, Rounding::HalfEven).unwrap();
    let a = vol.mul(vol, Rounding::HalfEven).unwrap().mul(years, Rounding::HalfEven).unwrap();
    SviParams { a, b: Decimal::ZERO, rho: Decimal::ZERO, m: Decimal::ZERO, sigma: dec("0.1") }
}

#[test]
fn block_smiles_need_two_thirds_of_the_stake_and_an_unlisted_expiry_is_skipped() {
    let (mut genesis, validators) = validator_genesis();
    genesis.derivatives.surface.quorum = 2;
    genesis.list_option(BTC, MONTH, dec("100000"), OptionRight::Call);
    let mut chain = Chain::with_genesis(genesis, validators);
    let smiles = |chain: &Chain, count: usize| -> Vec<PublisherPrices> {
        let time = chain.next_header().time_ms;
        let smile = |expiry_ms| action::VolSurfaceReport {
            asset: BTC,
            expiry_ms,
            svi: flat("0.6", MONTH, time),
            publish_time_ms: time,
        };
        chain.publishers[..count]
            .iter()
            .map(|v| PublisherPrices { publisher: *v, reports: Vec::new(), surfaces: vec![smile(MONTH)] })
            .collect()
    };
    let half = smiles(&chain, 2);
    chain.block_with_prices(half, Vec::new());
    assert_eq!(chain.state.vol_surface(BTC).len(), 1);
    assert!(chain.state.vol_surface(BTC).iter().all(|s| !s.validity.is_valid()), "half the stake sets no smile");
    let three = smiles(&chain, 3);
    chain.block_with_prices(three, Vec::new());
    assert!(chain.state.vol_surface(BTC).iter().all(|s| s.validity.is_valid()));
    let time = chain.next_header().time_ms;
    let validator = chain.publishers[3];
    let unlisted = action::VolSurfaceReport {
        asset: BTC,
        expiry_ms: MONTH + 1,
        svi: flat("0.6", MONTH, time),
        publish_time_ms: time,
    };
    let prices = vec![PublisherPrices { publisher: validator, reports: Vec::new(), surfaces: vec![unlisted] }];
    let outcome = assert_changes_nothing(&mut chain, prices);
    assert_eq!(rejections(&outcome), vec![(validator, BTC, Some(MONTH + 1), ErrorCode::UnknownExpiry)]);
}

fn any_decimal() -> impl Strategy<Value = Decimal> {
    let whole = (-1_000_000i64..2_000_000).prop_map(Decimal::from_int);
    prop_oneof![whole, any::<i128>().prop_map(Decimal::from_raw)]
}

fn any_time(now_ms: u64) -> impl Strategy<Value = u64> {
    prop_oneof![(now_ms.saturating_sub(20_000)..now_ms + 20_000), any::<u64>()]
}

fn any_publisher_prices(now_ms: u64) -> impl Strategy<Value = PublisherPrices> {
    let publisher = (0u64..7).prop_map(Address::from_index);
    let report = (0u16..5, any_decimal(), any_decimal(), any_time(now_ms)).prop_map(
        |(asset, price, confidence, publish_time_ms)| action::PriceReport {
            asset: AssetId(asset),
            price,
            confidence,
            publish_time_ms,
        },
    );
    let svi = (any_decimal(), any_decimal(), any_decimal(), any_decimal(), any_decimal())
        .prop_map(|(a, b, rho, m, sigma)| SviParams { a, b, rho, m, sigma });
    let expiry = prop_oneof![Just(MONTH), any::<u64>()];
    let surface = (0u16..5, expiry, prop_oneof![svi, Just(flat("0.6", MONTH, now_ms))], any_time(now_ms)).prop_map(
        |(asset, expiry_ms, svi, publish_time_ms)| action::VolSurfaceReport {
            asset: AssetId(asset),
            expiry_ms,
            svi,
            publish_time_ms,
        },
    );
    (publisher, prop::collection::vec(report, 0..4), prop::collection::vec(surface, 0..3))
        .prop_map(|(publisher, reports, surfaces)| PublisherPrices { publisher, reports, surfaces })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_block_prices_never_fail_the_block(
        entries in prop::collection::vec(any_publisher_prices(2 * BLOCK_MS), 0..6),
    ) {
        let (mut genesis, validators) = validator_genesis();
        genesis.list_option(BTC, MONTH, dec("100000"), OptionRight::Call);
        let mut chain = Chain::with_genesis(genesis, validators);
        prop_assert_eq!(chain.next_header().time_ms, 2 * BLOCK_MS);
        let entry_count: usize = entries.iter().map(|e| e.reports.len() + e.surfaces.len()).sum();
        // `Chain::block_with_prices` asserts that the block applies, replays identically from a
        // snapshot and conserves value.
        let outcome = chain.block_with_prices(entries, Vec::new());
        prop_assert!(rejections(&outcome).len() <= entry_count);
        // And the chain goes on.
        chain.block(Vec::new());
    }
}

#[test]
fn genesis_files_and_blocks_written_before_block_prices_still_parse() {
    let (genesis, _) = validator_genesis();
    let mut json = serde_json::to_value(&genesis).unwrap();
    json["oracle"].as_object_mut().unwrap().remove("quorum_stake_ppm").expect("the field is written");
    let parsed: Genesis = serde_json::from_value(json).unwrap();
    assert_eq!(parsed.oracle.quorum_stake_ppm, novation_math::Ppm::ZERO, "an old genesis has no stake quorum");
    let chain = validator_chain();
    let block = Block { header: chain.next_header(), transactions: Vec::new(), prices: Vec::new() };
    let mut json = serde_json::to_value(&block).unwrap();
    json.as_object_mut().unwrap().remove("prices");
    assert_eq!(serde_json::from_value::<Block>(json).unwrap(), block);
}

#[test]
fn a_stake_quorum_above_all_the_stake_is_not_a_valid_genesis() {
    let (mut genesis, _) = validator_genesis();
    genesis.oracle.quorum_stake_ppm = novation_math::Ppm::new(1_000_001);
    assert!(novation_protocol::State::new(genesis).is_err());
}
