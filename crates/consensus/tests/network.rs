//! Four validators on loopback: one chain, progress with one down, a halt (never a fork) with
//! two down, catch-up after a crash, transactions through any node.

mod common;

use std::time::Duration;

use common::Net;

const PATIENCE: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_agree_on_every_block() {
    let net = Net::start(4).await;
    net.wait_all(8, PATIENCE).await;
    net.assert_one_chain();
    let status = net.node(0).node.status_json();
    assert_eq!(status["consensus"]["validators"], 4);
    assert_eq!(status["consensus"]["role"], "validator");
}
