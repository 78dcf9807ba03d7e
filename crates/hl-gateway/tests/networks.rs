//! A chain accepts Hyperliquid signatures of exactly one network, its genesis's choice: the
//! same request bytes signed for the other network recover to another key (so they never act
//! for the signer), and a user-signed action naming the other network is refused.

mod common;

use common::{noop, temp_dir};
use novation_node::{demo_key, now_ms, start_devnet, DevnetConfig, NodeError};
use novation_protocol::params::HyperliquidNetwork;
use novation_tx::hyperliquid::Network;
use novation_tx::{SignedTransaction, TxSignature};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mainnet_chain_accepts_mainnet_signatures_and_only_those() {
    let config = DevnetConfig {
        data_dir: temp_dir("networks-mainnet"),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 50,
        reset: true,
        demo_accounts: 1,
        hyperliquid_network: HyperliquidNetwork::Mainnet,
        ..DevnetConfig::default()
    };
    let running = start_devnet(config).await.unwrap();
    let node = running.node.clone();
    let key = demo_key(0);
    let nonce = now_ms();
    let mainnet = node.submit(noop(&key, nonce, Network::Mainnet)).unwrap();
    assert_eq!(mainnet.signer, key.address(), "a mainnet signature is the key's own here");
    let testnet = node.submit(noop(&key, nonce + 1, Network::Testnet)).unwrap();
    assert_ne!(testnet.signer, key.address(), "a testnet signature recovers to some other key");

    let approve = format!(
        r#"{{"action":{{"type":"approveAgent","signatureChainId":"0x66eee","hyperliquidChain":"Testnet","agentAddress":"0x0000000000000000000000000000000000000001","agentName":null,"nonce":{nonce}}},"nonce":{nonce},"signature":{{"r":"0x1","s":"0x1","v":27}}}}"#
    );
    let refused = node.submit(SignedTransaction { payload: approve, signature: TxSignature::Hyperliquid });
    match refused {
        Err(NodeError::Tx(error)) => assert!(error.to_string().contains("accepts Mainnet actions only"), "{error}"),
        other => panic!("a Testnet user-signed action on a mainnet chain: {other:?}"),
    }
    drop(running.stop().await);
}
