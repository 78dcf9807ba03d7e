//! Abuse: each test runs one attack against an in-process devnet on loopback, then checks
//! that a legitimate transaction from a demo key is accepted and included and that blocks
//! kept coming. Loops are bounded and limits generous: these are not timing tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use novation_node::{demo_key, start_devnet, DevnetConfig, RpcLimits, RunningNode};
use novation_protocol::presets::{BTC, BTC_PERP, USD};
use novation_tx::{Eip712Signer, SignedTransaction, TxPayload, TxSignature};
use novation_types::{action, Action, Address, OrderAction, OrderRequest, Side};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHAIN_ID: u64 = 31337;
const BLOCK_TIME_MS: u64 = 50;
/// A gap between blocks this long means the sequencer was starved (blocks are 50 ms apart).
const GAP_LIMIT: Duration = Duration::from_secs(3);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("novation-abuse-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn devnet(name: &str, rpc_limits: RpcLimits) -> (RunningNode, PathBuf) {
    let dir = temp_dir(name);
    let config = DevnetConfig {
        data_dir: dir.clone(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: BLOCK_TIME_MS,
        reset: true,
        market_maker: false,
        chain_id: CHAIN_ID,
        demo_accounts: 4,
        feed_seed: 1,
        rpc_limits,
        snapshot_interval_blocks: novation_node::SNAPSHOT_INTERVAL_BLOCKS_DEFAULT,
        hyperliquid_network: Default::default(),
    };
    (start_devnet(config).await.unwrap(), dir)
}

fn client(running: &RunningNode) -> HttpClient {
    HttpClientBuilder::default().build(format!("http://{}", running.rpc_addr)).unwrap()
}

/// Watches block heights in the background and records the longest wall-clock gap.
struct GapWatch {
    stop: Arc<AtomicBool>,
    longest_ms: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl GapWatch {
    fn start(running: &RunningNode) -> GapWatch {
        let node = running.node.clone();
        let (stop, longest_ms) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let (stop_seen, longest) = (stop.clone(), longest_ms.clone());
        let task = tokio::spawn(async move {
            let (mut height, mut since) = (node.height(), Instant::now());
            while !stop_seen.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let now = node.height();
                if now != height {
                    longest.fetch_max(since.elapsed().as_millis() as u64, Ordering::Relaxed);
                    (height, since) = (now, Instant::now());
                }
            }
            longest.fetch_max(since.elapsed().as_millis() as u64, Ordering::Relaxed);
        });
        GapWatch { stop, longest_ms, task }
    }

    async fn finish(self) -> Duration {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        Duration::from_millis(self.longest_ms.load(Ordering::Relaxed))
    }
}

/// The legitimate transaction: demo key `index` deposits 1 USD. Returns once it is included
/// with success; panics if it is refused or not included within 20 s.
async fn legitimate_deposit_is_included(client: &HttpClient, index: usize) {
    let signer = demo_key(index);
    let deposit = Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: "1".parse().unwrap() });
    let deadline = Instant::now() + Duration::from_secs(20);
    let hash = loop {
        let attempt = async {
            let nonce: u64 = client.request("nov_getNonce", rpc_params![signer.address().to_string()]).await?;
            let envelope = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit.clone()]));
            client.request::<Value, _>("nov_sendTransaction", rpc_params![envelope]).await
        };
        match attempt.await {
            Ok(admitted) => break admitted["tx_hash"].as_str().unwrap().to_string(),
            Err(error) if Instant::now() < deadline => {
                eprintln!("legitimate transaction not admitted yet: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("the legitimate transaction was refused: {error}"),
        }
    };
    while Instant::now() < deadline {
        if let Ok(tx) = client.request::<Value, _>("nov_getTransaction", rpc_params![hash.clone()]).await {
            if tx["status"] == "included" {
                assert_eq!(tx["result"]["ok"], true, "{tx}");
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the legitimate transaction {hash} was not included");
}

async fn finish(running: RunningNode, dir: PathBuf, watch: GapWatch) {
    let longest = watch.finish().await;
    assert!(longest < GAP_LIMIT, "blocks stopped for {longest:?}");
    running.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// 65 random bytes shaped like an EIP-712 signature (low `s`, `v` = 27).
fn junk_signature(seed: u64) -> TxSignature {
    let mut bytes = [0u8; 65];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = (novation_node::sha256(&[seed.to_be_bytes(), (i as u64).to_be_bytes()].concat())[0]) | 1;
    }
    bytes[32] &= 0x7f;
    bytes[64] = 27;
    TxSignature::Eip712 { signature: novation_node::hex(&bytes) }
}

fn deposit(amount: &str) -> Action {
    Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: amount.parse().unwrap() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyless_flood_and_a_gapped_flood_do_not_fill_the_mempool() {
    let (running, dir) = devnet("keyless", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    // Random signatures recover random strangers, none of them the payload's account or its agent.
    for i in 0..3_000u64 {
        let payload = TxPayload::new(CHAIN_ID, Address::from_index(1 + i % 7), i % 5, vec![deposit("1")]);
        let envelope = SignedTransaction { payload: payload.to_json(), signature: junk_signature(i) };
        assert!(running.node.submit(envelope).is_err());
    }
    // (The devnet's own publishers may have a few reports waiting.)
    assert!(running.node.mempool_len() < 100, "nothing of the keyless flood is queued");
    // Real strangers' keys, every one above a nonce gap: bounded by the gapped caps.
    for i in 0..6_000u64 {
        let stranger = Eip712Signer::from_seed(novation_node::sha256(&i.to_be_bytes()));
        let _ =
            running.node.submit(stranger.sign(&TxPayload::new(CHAIN_ID, stranger.address(), 5, vec![deposit("1")])));
    }
    let queued = running.node.mempool_len();
    assert!(queued <= 5_000 + 100, "gapped transactions are capped (5,000, beside the publishers' reports): {queued}");
    legitimate_deposit_is_included(&client(&running), 0).await;
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_relay_calls_are_refused_and_junk_envelopes_skipped() {
    let (running, dir) = devnet("relay", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let client = client(&running);
    let relay = |params: jsonrpsee::core::params::ArrayParams| {
        let client = client.clone();
        async move { client.request::<Value, _>("nov_relayTransactions", params).await }
    };
    for params in [rpc_params![], rpc_params!["not a list"], rpc_params![42], rpc_params![serde_json::json!({})]] {
        let refused = relay(params).await.unwrap_err().to_string();
        assert!(refused.contains("array of signed transaction envelopes"), "{refused}");
    }
    let too_many: Vec<Value> = (0..1_001).map(|_| serde_json::json!({})).collect();
    let refused = relay(rpc_params![too_many]).await.unwrap_err().to_string();
    assert!(refused.contains("at most 1000"), "{refused}");
    // Junk of every shape beside one real envelope: only the real one is admitted.
    let key = demo_key(1);
    let nonce = running.node.next_nonce(key.address());
    let real = key.sign(&TxPayload::new(CHAIN_ID, key.address(), nonce, vec![deposit("3")]));
    let junk = vec![
        serde_json::json!(null),
        serde_json::json!("text"),
        serde_json::json!([1, 2]),
        serde_json::json!({"payload": 7}),
        serde_json::json!({"payload": "{}", "signature": "0x00"}),
        serde_json::to_value(&real).unwrap(),
        serde_json::to_value(&real).unwrap(),
    ];
    let answer = relay(rpc_params![junk]).await.unwrap();
    assert_eq!(answer, serde_json::json!({"admitted": 1, "received": 7}), "the copy is the same transaction");
    legitimate_deposit_is_included(&client, 2).await;
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_payload_under_a_junk_signature_cannot_squat_the_real_one() {
    let (running, dir) = devnet("squat", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let victim = demo_key(1);
    let nonce = running.node.next_nonce(victim.address());
    let real = victim.sign(&TxPayload::new(CHAIN_ID, victim.address(), nonce, vec![deposit("2")]));
    for seed in 0..50 {
        let copy = SignedTransaction { payload: real.payload.clone(), signature: junk_signature(seed) };
        assert!(running.node.submit(copy).is_err(), "a copy under someone else's signature is not the account's");
    }
    let admitted = running.node.submit(real).expect("the victim's own transaction is admitted");
    assert_eq!(admitted.signer, victim.address());
    legitimate_deposit_is_included(&client(&running), 0).await;
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_sending_far_ahead_can_still_send_its_next_nonce() {
    let (running, dir) = devnet("lockout", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let signer = demo_key(0);
    let next = running.node.next_nonce(signer.address());
    let mut refused = 0;
    for ahead in 1..200u64 {
        let payload = TxPayload::new(CHAIN_ID, signer.address(), next + ahead, vec![deposit("1")]);
        refused += usize::from(running.node.submit(signer.sign(&payload)).is_err());
    }
    assert!(refused > 150, "most far-ahead nonces are refused: {refused}");
    // Its next nonce still gets in, and so does a replacement of a pending one.
    legitimate_deposit_is_included(&client(&running), 0).await;
    let nonce = running.node.next_nonce(signer.address());
    running.node.submit(signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit("3")]))).unwrap();
    running.node.submit(signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit("4")]))).unwrap();
    legitimate_deposit_is_included(&client(&running), 1).await;
    finish(running, dir, watch).await;
}

/// Limits for the RPC lockout test: one IP (loopback) plays both attacker and client, so the
/// timeouts are short and the caps above the attack's connection count.
fn lockout_limits() -> RpcLimits {
    RpcLimits {
        max_connections_per_ip: 300,
        http_idle_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_millis(800),
        ..RpcLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_websocket_handshakes_and_trickling_bodies_do_not_lock_the_api() {
    let (running, dir) = devnet("rpc-lockout", lockout_limits()).await;
    let watch = GapWatch::start(&running);
    let addr = running.rpc_addr;
    let mut attackers = Vec::new();
    for i in 0..200 {
        attackers.push(tokio::spawn(async move {
            let Ok(mut stream) = TcpStream::connect(addr).await else { return true };
            let opening: &[u8] = if i % 2 == 0 {
                b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            } else {
                b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            };
            let _ = stream.write_all(opening).await;
            // Trickle a byte now and then (the POSTs) or stay silent (the handshakes), for at
            // most 10 s; the node must close the connection first.
            for _ in 0..50 {
                if i % 2 == 1 && stream.write_all(b" ").await.is_err() {
                    return true;
                }
                let mut buf = [0u8; 256];
                match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
                    Ok(Ok(0)) | Ok(Err(_)) => return true,
                    Ok(Ok(_)) if i % 2 == 1 => return true, // answered (408) and closed after
                    _ => {}
                }
            }
            false
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    legitimate_deposit_is_included(&client(&running), 0).await;
    let mut closed = 0;
    for attacker in attackers {
        closed += usize::from(attacker.await.unwrap());
    }
    assert_eq!(closed, 200, "every idle or trickling connection was closed by the node");
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_storm_does_not_delay_blocks_and_batches_are_capped() {
    let (running, dir) = devnet("storm", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let client = client(&running);
    let mut too_big = BatchRequestBuilder::new();
    for _ in 0..101 {
        too_big.insert("nov_getBook", rpc_params!["BTC-PERP", 500]).unwrap();
    }
    assert!(client.batch_request::<Value>(too_big).await.is_err(), "a batch over 100 calls is refused");
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..6 {
        let (client, stop) = (client.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut batches = 0u32;
            while !stop.load(Ordering::Relaxed) && batches < 2_000 {
                let mut batch = BatchRequestBuilder::new();
                for _ in 0..100 {
                    batch.insert("nov_getBook", rpc_params!["BTC-PERP", 500]).unwrap();
                }
                let _ = client.batch_request::<Value>(batch).await;
                batches += 1;
            }
            batches
        }));
    }
    let height_before = running.node.height();
    legitimate_deposit_is_included(&client, 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(running.node.height() > height_before + 3, "blocks kept coming during the storm");
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padded_oversized_and_non_canonical_payloads_are_refused_and_blocks_fit_one_answer() {
    let (running, dir) = devnet("padding", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let signer = demo_key(2);
    let nonce = running.node.next_nonce(signer.address());
    let text = TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit("1")]).to_json();
    for (padding, code) in [(250_000usize, 1003u32), (20_000, 1012)] {
        let padded = text.replacen('{', &format!("{{{}", " ".repeat(padding)), 1);
        let signature =
            signer.sign_hash(&novation_tx::signing_hash(CHAIN_ID, padded.as_bytes(), signer.address(), nonce));
        let envelope = SignedTransaction {
            payload: padded,
            signature: TxSignature::Eip712 { signature: novation_node::hex(&signature) },
        };
        let error = running.node.submit(envelope).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
    }
    let nested = text.replace(r#""amount":"1""#, r#""amount":"1","memo":"x""#);
    let signature = signer.sign_hash(&novation_tx::signing_hash(CHAIN_ID, nested.as_bytes(), signer.address(), nonce));
    let error = running
        .node
        .submit(SignedTransaction {
            payload: nested,
            signature: TxSignature::Eip712 { signature: novation_node::hex(&signature) },
        })
        .unwrap_err();
    assert_eq!(error.code(), 1004);
    assert!(error.to_string().contains("actions[0].Deposit.memo"), "{error}");
    // Large legitimate batches from every demo key: blocks split by bytes, each one served whole.
    let start_height = running.node.height();
    for key in 0..4 {
        let signer = demo_key(key);
        let first = running.node.next_nonce(signer.address());
        for n in 0..40u64 {
            let orders: Vec<OrderAction> = (0..64u64)
                .map(|j| {
                    let order = OrderRequest::limit(0, BTC_PERP, Side::Buy, 500_000 + j, 1)
                        .with_client_id(u64::MAX - j - 64 * n);
                    OrderAction::Place(order)
                })
                .collect();
            let payload = TxPayload::new(CHAIN_ID, signer.address(), first + n, vec![Action::Batch(orders)]);
            running.node.submit(signer.sign(&payload)).unwrap();
        }
    }
    let client = client(&running);
    legitimate_deposit_is_included(&client, 3).await;
    for height in start_height + 1..=running.node.height() {
        let block: Value = client.request("nov_getBlock", rpc_params![height]).await.unwrap();
        assert!(block["header"]["height"] == height, "{height}");
    }
    finish(running, dir, watch).await;
}

async fn raw_request(addr: std::net::SocketAddr, headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"nov_status","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_and_origins_are_refused() {
    let (running, dir) = devnet("rebinding", RpcLimits::default()).await;
    let watch = GapWatch::start(&running);
    let addr = running.rpc_addr;
    assert!(raw_request(addr, "Host: localhost\r\n").await.starts_with("HTTP/1.1 200"));
    assert!(raw_request(addr, "Host: rebind.example:8545\r\n").await.starts_with("HTTP/1.1 403"));
    let foreign_origin = "Host: 127.0.0.1\r\nOrigin: http://rebind.example\r\n";
    assert!(raw_request(addr, foreign_origin).await.starts_with("HTTP/1.1 403"));
    let own_origin = "Host: 127.0.0.1\r\nOrigin: http://localhost:3000\r\n";
    assert!(raw_request(addr, own_origin).await.starts_with("HTTP/1.1 200"));
    // A page the node served (the dashboard) talks back to its own origin, on an allowed Host
    // other than loopback; the same origin on a Host that is not allowed is still refused.
    let (lan, lan_dir) = devnet("same-origin", RpcLimits::for_listen("192.0.2.7:8545".parse().unwrap())).await;
    let same_origin = "Host: 192.0.2.7:8545\r\nOrigin: http://192.0.2.7:8545\r\n";
    assert!(raw_request(lan.rpc_addr, same_origin).await.starts_with("HTTP/1.1 200"));
    let other_port = "Host: 192.0.2.7:8545\r\nOrigin: http://192.0.2.7:9999\r\n";
    assert!(raw_request(lan.rpc_addr, other_port).await.starts_with("HTTP/1.1 403"));
    let rebound = "Host: rebind.example:8545\r\nOrigin: http://rebind.example:8545\r\n";
    assert!(raw_request(lan.rpc_addr, rebound).await.starts_with("HTTP/1.1 403"));
    drop(lan.stop().await);
    let _ = std::fs::remove_dir_all(&lan_dir);
    legitimate_deposit_is_included(&client(&running), 0).await;
    finish(running, dir, watch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_devnet_keeps_its_keys_and_its_prices_do_not_jump() {
    let (running, dir) = devnet("restart-feed", RpcLimits::default()).await;
    legitimate_deposit_is_included(&client(&running), 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let index = |node: &novation_node::Node| node.with_state(|s| s.oracle(BTC).and_then(|o| o.index).unwrap());
    let before = index(&running.node);
    let keys_before = std::fs::read(dir.join("devnet-keys.json")).unwrap();
    drop(running.stop().await);
    let config = DevnetConfig {
        data_dir: dir.clone(),
        rpc_addr: "127.0.0.1:0".parse().unwrap(),
        block_time_ms: BLOCK_TIME_MS,
        reset: false,
        feed_seed: 1,
        chain_id: CHAIN_ID,
        demo_accounts: 4,
        ..DevnetConfig::default()
    };
    let running = start_devnet(config).await.unwrap();
    let watch = GapWatch::start(&running);
    let height = running.node.height();
    while running.node.height() < height + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = index(&running.node);
    let moved_bp = (after.raw() - before.raw()).abs() * 10_000 / before.raw();
    assert!(moved_bp < 100, "the index moved {moved_bp} bp across a restart ({before} → {after})");
    assert_eq!(std::fs::read(dir.join("devnet-keys.json")).unwrap(), keys_before);
    legitimate_deposit_is_included(&client(&running), 1).await;
    finish(running, dir, watch).await;
}
