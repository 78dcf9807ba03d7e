//! `post` over the gateway's WebSocket: a signed action is applied as `/exchange` applies it
//! and answered under its id once its block is in; a client cannot pile up more than the
//! connection's quota of unanswered posts (the rest are refused at once, by id).

mod common;

use std::time::Duration;

use common::{noop_request, temp_dir};
use novation_node::{demo_key, now_ms, start_devnet, DevnetConfig};
use novation_tx::hyperliquid::Network;
use serde_json::Value;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// As the gateway's `ws::post::POSTS_IN_FLIGHT_MAX`.
const POSTS_IN_FLIGHT_MAX: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posted_actions_are_applied_and_a_connection_cannot_pile_them_up() {
    // Blocks far apart, so every post of the burst is still waiting when the last arrives.
    let config = DevnetConfig {
        data_dir: temp_dir("ws-post"),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: 3_000,
        reset: true,
        demo_accounts: 1,
        ..DevnetConfig::default()
    };
    let running = start_devnet(config).await.unwrap();
    let gateway = novation_hl_gateway::start(running.node.clone(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let stream = tokio::net::TcpStream::connect(gateway.addr()).await.unwrap();
    let mut client = soketto::handshake::Client::new(stream.compat(), "127.0.0.1", "/ws");
    assert!(matches!(client.handshake().await.unwrap(), soketto::handshake::ServerResponse::Accepted { .. }));
    let (mut sender, mut receiver) = client.into_builder().finish();

    let key = demo_key(0);
    let burst = POSTS_IN_FLIGHT_MAX + 4;
    let first_nonce = now_ms();
    for id in 0..burst as u64 {
        let payload = noop_request(&key, first_nonce + id, Network::Testnet);
        let message = format!(r#"{{"method":"post","id":{id},"request":{{"type":"action","payload":{payload}}}}}"#);
        sender.send_text(&message).await.unwrap();
    }
    sender.flush().await.unwrap();

    let (mut applied, mut refused) = (Vec::new(), Vec::new());
    let mut data = Vec::new();
    while applied.len() + refused.len() < burst {
        data.clear();
        tokio::time::timeout(Duration::from_secs(30), receiver.receive_data(&mut data)).await.unwrap().unwrap();
        let message: Value = serde_json::from_slice(&data).unwrap();
        match message["channel"].as_str() {
            Some("post") => {
                let response = &message["data"]["response"];
                assert_eq!(response["type"], "action", "{message}");
                assert_eq!(response["payload"]["status"], "ok", "{message}");
                applied.push(message["data"]["id"].as_u64().unwrap());
            }
            Some("error") => {
                let text = message["data"].as_str().unwrap();
                assert!(text.starts_with("too many pending post requests id="), "{text}");
                refused.push(text.rsplit('=').next().unwrap().parse::<u64>().unwrap());
            }
            other => panic!("unexpected {other:?}: {message}"),
        }
    }
    applied.sort_unstable();
    refused.sort_unstable();
    assert_eq!(applied, (0..POSTS_IN_FLIGHT_MAX as u64).collect::<Vec<_>>(), "the first posts are applied");
    assert_eq!(refused, (POSTS_IN_FLIGHT_MAX as u64..burst as u64).collect::<Vec<_>>(), "the rest refused by id");
    let used = running.node.with_state(|s| s.timestamp_nonces(key.address()).map_or(0, |n| n.iter().count()));
    assert_eq!(used, POSTS_IN_FLIGHT_MAX, "each applied post used its nonce, the refused ones none");
    gateway.stop().await;
    drop(running.stop().await);
}
