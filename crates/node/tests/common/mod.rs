//! Helpers the node's end-to-end tests share: a devnet on a temporary directory and a client
//! that signs, sends and waits for transactions as a real one would.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::HttpClient;
use novation_node::{start_devnet, DevnetConfig, RunningNode};
use novation_tx::{Eip712Signer, TxPayload};
use novation_types::Action;
use serde_json::Value;

pub(crate) const CHAIN_ID: u64 = 31337;

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub(crate) async fn devnet(dir: &std::path::Path, reset: bool) -> RunningNode {
    devnet_with_snapshots(dir, reset, novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT).await
}

/// A devnet writing a state snapshot every `snapshot_interval_blocks` blocks.
pub(crate) async fn devnet_with_snapshots(
    dir: &std::path::Path,
    reset: bool,
    snapshot_interval_blocks: u64,
) -> RunningNode {
    let config = DevnetConfig {
        data_dir: dir.to_path_buf(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 50,
        reset,
        market_maker: false,
        chain_id: CHAIN_ID,
        demo_accounts: 2,
        feed_seed: 1,
        rpc_limits: Default::default(),
        snapshot_interval_blocks,
        hyperliquid_network: Default::default(),
    };
    start_devnet(config).await.unwrap()
}

pub(crate) fn unhex(text: &str) -> Vec<u8> {
    let digits = text.trim_start_matches("0x");
    (0..digits.len() / 2).map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).unwrap()).collect()
}

pub(crate) async fn call(client: &HttpClient, method: &str, params: jsonrpsee::core::params::ArrayParams) -> Value {
    client.request(method, params).await.unwrap()
}

pub(crate) async fn send(client: &HttpClient, signer: &Eip712Signer, actions: Vec<Action>) -> String {
    let address = signer.address().to_string();
    let nonce: u64 = call(client, "nov_getNonce", rpc_params![address]).await.as_u64().unwrap();
    let envelope = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), nonce, actions));
    let admitted = call(client, "nov_sendTransaction", rpc_params![envelope]).await;
    admitted["tx_hash"].as_str().unwrap().to_string()
}

pub(crate) async fn included(client: &HttpClient, hash: &str) -> Value {
    for _ in 0..200 {
        let tx = call(client, "nov_getTransaction", rpc_params![hash]).await;
        if tx["status"] == "included" {
            return tx;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("transaction {hash} was not included");
}

/// The BTC-PERP mark once the simulated feed has given one, in ticks of 0.1.
pub(crate) async fn btc_mark_ticks(client: &HttpClient) -> u64 {
    for _ in 0..300 {
        let markets = call(client, "nov_getMarkets", rpc_params![]).await;
        if let Some(text) = markets[0]["stats"]["mark"].as_str() {
            let mark: novation_math::Decimal = text.parse().unwrap();
            return mark.to_units("0.1".parse().unwrap(), novation_math::Rounding::Floor).unwrap() as u64;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("BTC-PERP got no mark price");
}
