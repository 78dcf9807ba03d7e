//! Faulty and malicious validators: an outlier price, equivocating votes and proposals, and a
//! validator that cannot reproduce the agreed chain.

mod common;

use std::time::Duration;

use common::Net;
use novation_consensus::validator::Misbehaviour;
use novation_consensus::{PriceSource, SimulatedPriceSource};
use novation_math::Decimal;
use novation_node::Node;
use novation_protocol::oracle::PriceValidity;
use novation_protocol::presets::BTC;
use novation_types::action::{PriceReport, VolSurfaceReport};

const PATIENCE: Duration = Duration::from_secs(120);

/// A validator that reports ten times every price its simulated feed sees.
struct Outlier(SimulatedPriceSource);

impl PriceSource for Outlier {
    fn observe(&mut self, node: &Node, height: u64, now_ms: u64) -> (Vec<PriceReport>, Vec<VolSurfaceReport>) {
        let (mut prices, surfaces) = self.0.observe(node, height, now_ms);
        for report in &mut prices {
            report.price = report.price.mul_int(10).unwrap_or(report.price);
        }
        (prices, surfaces)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outlier_validator_does_not_move_the_median() {
    let net = Net::start_with(4, |i, config| {
        if i == 3 {
            config.prices = Box::new(Outlier(SimulatedPriceSource::new(7, 3)));
        }
    })
    .await;
    net.wait_until("a valid BTC index", PATIENCE, |n| {
        n.node.with_state(|s| s.oracle(BTC).is_some_and(|o| o.validity == PriceValidity::Valid))
    })
    .await;
    let outlier = net.node(3).address.unwrap().0;
    let start = net.min_height();
    net.wait_all(start + 5, PATIENCE).await;
    for node in net.running() {
        let (index, honest, lying) = node.node.with_state(|s| {
            let oracle = s.oracle(BTC).unwrap();
            let honest: Vec<Decimal> =
                oracle.reports.iter().filter(|(p, _)| **p != outlier).map(|(_, r)| r.price).collect();
            (oracle.index.unwrap(), honest, oracle.reports.get(&outlier).map(|r| r.price))
        });
        let (low, high) = (*honest.iter().min().unwrap(), *honest.iter().max().unwrap());
        assert_eq!(honest.len(), 3, "every honest validator's report is on chain");
        assert!(lying.is_some_and(|p| p > high), "the outlier's report is on chain too");
        assert!(index >= low && index <= high, "index {index} within the honest reports {low}..{high}");
    }
    net.assert_one_chain();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_validator_cannot_fork_the_chain() {
    let net = Net::start_byzantine(4, |_, _| {}, |i| (i == 3).then_some(Misbehaviour::EquivocateVotes)).await;
    net.wait_all(10, PATIENCE).await;
    net.assert_one_chain();
    let seen: u64 = net
        .running()
        .take(3)
        .map(|n| n.node.status_json()["consensus"]["equivocation_heights"].as_u64().unwrap_or(0))
        .sum();
    assert!(seen > 0, "the honest validators saw the double votes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_proposer_cannot_fork_the_chain() {
    let net = Net::start_byzantine(4, |_, _| {}, |i| (i == 0).then_some(Misbehaviour::EquivocateProposals)).await;
    net.wait_all(10, PATIENCE).await;
    net.assert_one_chain();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_that_cannot_reproduce_the_chain_halts_loudly() {
    // Validator 3 starts from another genesis: it can never reproduce what the other three
    // decide, so it must stop rather than follow or serve a different chain.
    let net = Net::start_with(4, |i, config| {
        if i == 3 {
            config.genesis.limits.max_positions += 1;
        }
    })
    .await;
    let others = || net.running().take(3);
    let deadline = std::time::Instant::now() + PATIENCE;
    while others().map(|n| n.node.height()).min().unwrap_or(0) < 6 || net.node(3).node.halted().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "heights {:?}, halted: {:?}",
            net.heights(),
            net.node(3).node.halted()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(net.node(3).node.height(), 0, "the odd validator committed nothing");
    let reason = net.node(3).node.halted().unwrap();
    assert!(reason.contains("height 1"), "it says where and why: {reason}");
    assert!(net.node(3).ended(), "its consensus loop stopped");
    assert!(net.node(3).node.status_json()["halted"].is_string());
}
