//! `abuse`: each attack of the node's abuse tests, at full size, against a live devnet on
//! loopback. Per attack it prints the longest gap between blocks while the attack ran and
//! how long a demo key's legitimate transaction took from submission to inclusion.
//!
//! Floods go through admission in-process (`Node::submit`, the path `nov_sendTransaction`
//! takes after parsing); connection attacks and read storms go over TCP to the API.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use novation_node::{demo_key, start_devnet, DevnetConfig, Node, RpcLimits, RunningNode};
use novation_protocol::presets::USD;
use novation_tx::{Eip712Signer, SignedTransaction, TxPayload, TxSignature};
use novation_types::{action, Action, Address};

use crate::report::Metric;

const SUITE: &str = "abuse";
const CHAIN_ID: u64 = 31337;
const BLOCK_TIME_MS: u64 = 200;

/// Attack sizes.
struct Sizes {
    keyless: u64,
    gapped: u64,
    squat: u64,
    far_ahead: u64,
    connections: usize,
    storm: Duration,
    padded: u64,
}

fn sizes(quick: bool) -> Sizes {
    if quick {
        Sizes {
            keyless: 2_000,
            gapped: 2_000,
            squat: 200,
            far_ahead: 200,
            connections: 50,
            storm: Duration::from_secs(1),
            padded: 100,
        }
    } else {
        Sizes {
            keyless: 200_000,
            gapped: 50_000,
            squat: 5_000,
            far_ahead: 5_000,
            connections: 200,
            storm: Duration::from_secs(10),
            padded: 2_000,
        }
    }
}

/// Samples the height every 2 ms on its own thread; the longest wall-clock gap seen.
struct GapWatch {
    stop: Arc<AtomicBool>,
    longest_ms: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl GapWatch {
    fn start(node: &Node) -> GapWatch {
        let node = node.clone();
        let (stop, longest_ms) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let (seen, longest) = (stop.clone(), longest_ms.clone());
        let thread = std::thread::spawn(move || {
            let (mut height, mut since) = (node.height(), Instant::now());
            while !seen.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
                let now = node.height();
                if now != height {
                    longest.fetch_max(since.elapsed().as_millis() as u64, Ordering::Relaxed);
                    (height, since) = (now, Instant::now());
                }
            }
        });
        GapWatch { stop, longest_ms, thread }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.longest_ms.load(Ordering::Relaxed)
    }
}

fn deposit() -> Action {
    Action::Deposit(action::Deposit { subaccount: 0, asset: USD, amount: novation_math::Decimal::ONE })
}

/// A demo key's deposit, sent over HTTP (retrying while refused, for at most 30 s); the time
/// from the first attempt until its nonce is used on chain.
fn legitimate_inclusion_ms(node: &Node, rpc: SocketAddr, key: usize) -> Result<u64, String> {
    let signer = demo_key(key);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    let nonce = loop {
        let nonce = node.next_nonce(signer.address());
        let envelope = signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit()]));
        let body =
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"nov_sendTransaction","params":[{}]}}"#, envelope.to_json());
        match http_post(rpc, &body) {
            Ok(answer) if answer.contains("\"tx_hash\"") => break nonce,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => return Err(format!("the legitimate transaction was not admitted: {other:?}")),
        }
    };
    while Instant::now() < deadline {
        if node.with_state(|state| state.nonce(signer.address())) > nonce {
            return Ok(started.elapsed().as_millis() as u64);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Err("the legitimate transaction was not included within 30 s".into())
}

/// One HTTP POST on a fresh connection; the whole answer.
fn http_post(addr: SocketAddr, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn junk_signature(seed: u64) -> TxSignature {
    let mut bytes = [0u8; 65];
    for (chunk, i) in bytes.chunks_mut(32).zip(0u64..) {
        let digest = novation_node::sha256(&[seed.to_be_bytes(), i.to_be_bytes()].concat());
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    bytes[32] &= 0x7f;
    bytes[64] = 27;
    TxSignature::Eip712 { signature: novation_node::hex(&bytes) }
}

fn keyless_flood(node: &Node, count: u64) {
    for i in 0..count {
        let payload = TxPayload::new(CHAIN_ID, Address::from_index(1 + i % 97), 1 + i % 5, vec![deposit()]);
        let _ = node.submit(SignedTransaction { payload: payload.to_json(), signature: junk_signature(i) });
    }
}

fn gapped_flood(node: &Node, count: u64) {
    for i in 0..count {
        let stranger = Eip712Signer::from_seed(novation_node::sha256(&i.to_be_bytes()));
        let _ = node.submit(stranger.sign(&TxPayload::new(CHAIN_ID, stranger.address(), 3, vec![deposit()])));
    }
}

fn hash_squat(node: &Node, copies: u64) {
    let victim = demo_key(1);
    let nonce = node.next_nonce(victim.address());
    let real = victim.sign(&TxPayload::new(CHAIN_ID, victim.address(), nonce, vec![deposit()]));
    for seed in 0..copies {
        let _ = node.submit(SignedTransaction { payload: real.payload.clone(), signature: junk_signature(seed) });
    }
}

fn far_ahead(node: &Node, count: u64) {
    let signer = demo_key(0);
    let next = node.next_nonce(signer.address());
    for ahead in 1..=count {
        let _ = node.submit(signer.sign(&TxPayload::new(CHAIN_ID, signer.address(), next + ahead, vec![deposit()])));
    }
}

fn padded(node: &Node, count: u64) {
    let signer = demo_key(2);
    let nonce = node.next_nonce(signer.address());
    let text = TxPayload::new(CHAIN_ID, signer.address(), nonce, vec![deposit()]).to_json();
    let padded = text.replacen('{', &format!("{{{}", " ".repeat(250_000)), 1);
    for _ in 0..count {
        let _ = node.submit(SignedTransaction { payload: padded.clone(), signature: junk_signature(0) });
    }
}

/// Opens `count` connections that never finish a handshake or trickle a body; they stay
/// open (as far as the attacker is concerned) until `stop`.
fn hold_connections(rpc: SocketAddr, count: usize, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
    (0..count)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let Ok(mut stream) = TcpStream::connect(rpc) else { return };
                let opening: &[u8] = if i % 2 == 0 {
                    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                } else {
                    b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n{"
                };
                let _ = stream.write_all(opening);
                while !stop.load(Ordering::Relaxed) {
                    if i % 2 == 1 && stream.write_all(b" ").is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            })
        })
        .collect()
}

/// Batches of 100 `nov_getBook` at depth 500 from four threads until `stop`.
fn read_storm(rpc: SocketAddr, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"nov_getBook","params":["BTC-PERP",500]}"#;
    let batch = format!("[{}]", vec![call; 100].join(","));
    (0..4)
        .map(|_| {
            let (stop, batch) = (stop.clone(), batch.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = http_post(rpc, &batch);
                }
            })
        })
        .collect()
}

fn emit(attack: &str, gap_ms: u64, inclusion_ms: u64) {
    let gap = format!("{attack}_max_block_gap_ms");
    let inclusion = format!("{attack}_inclusion_ms");
    for (metric, value) in [(gap.as_str(), gap_ms), (inclusion.as_str(), inclusion_ms)] {
        Metric { suite: SUITE, metric, value: value as f64, unit: "ms", reps: Some(1), peer: None }.emit();
    }
}

/// Runs one attack with the gap watch on, then the legitimate transaction (while a
/// connection attack or storm still runs).
fn measure(running: &RunningNode, attack: &str, run: impl FnOnce()) -> Result<(), String> {
    let watch = GapWatch::start(&running.node);
    let started = Instant::now();
    run();
    let inclusion_ms = legitimate_inclusion_ms(&running.node, running.rpc_addr, 3)?;
    let gap_ms = watch.finish();
    eprintln!("abuse: {attack}: {:?}, longest block gap {gap_ms} ms, inclusion {inclusion_ms} ms", started.elapsed());
    emit(attack, gap_ms, inclusion_ms);
    Ok(())
}

pub(crate) fn run(quick: bool) -> Result<(), String> {
    let sizes = sizes(quick);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("novation-bench-abuse-{}", std::process::id()));
    let config = DevnetConfig {
        data_dir: dir.clone(),
        rpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        block_time_ms: BLOCK_TIME_MS,
        reset: true,
        rpc_limits: RpcLimits { max_connections_per_ip: 1_000, ..RpcLimits::default() },
        ..DevnetConfig::default()
    };
    let running = runtime.block_on(start_devnet(config)).map_err(|e| e.to_string())?;
    while running.node.height() < 3 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let node = running.node.clone();
    measure(&running, "keyless_flood", || keyless_flood(&node, sizes.keyless))?;
    measure(&running, "gapped_flood", || gapped_flood(&node, sizes.gapped))?;
    measure(&running, "hash_squat", || hash_squat(&node, sizes.squat))?;
    measure(&running, "signer_lockout", || far_ahead(&node, sizes.far_ahead))?;
    measure(&running, "padding", || padded(&node, sizes.padded))?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut attackers = Vec::new();
    measure(&running, "rpc_lockout", || {
        attackers = hold_connections(running.rpc_addr, sizes.connections, stop.clone())
    })?;
    let mut readers = Vec::new();
    measure(&running, "read_storm", || {
        readers = read_storm(running.rpc_addr, stop.clone());
        std::thread::sleep(sizes.storm);
    })?;
    stop.store(true, Ordering::Relaxed);
    for thread in attackers.into_iter().chain(readers) {
        let _ = thread.join();
    }
    drop(runtime.block_on(running.stop()));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
