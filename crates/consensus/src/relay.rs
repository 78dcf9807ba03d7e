//! The transaction relay: Malachite has no mempool gossip, so every transaction a client
//! submits to this node is sent on to each peer's API (`nov_relayTransactions`), in batches
//! that fit the peer API's request limit, from one thread per peer. Each envelope is turned
//! into JSON once, when it is admitted, and that text is shared by every peer's queue. A peer admits each envelope as a client's and does not relay it
//! again; identity (`SHA-256(signing hash || signer)`) deduplicates. A slow or dead peer only
//! fills its own bounded queue, whose overflow is dropped (the client's own node still holds
//! the transaction, and includes it when it proposes).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use novation_node::Node;
use novation_tx::SignedTransaction;

/// Envelopes waiting per peer.
pub const RELAY_QUEUE: usize = 50_000;

/// Most envelopes per relay call (the API's own limit).
pub const RELAY_BATCH: usize = 1_000;

/// Most envelope JSON bytes per relay call: under the peer API's default request limit
/// (1 MiB), which refuses a larger call whole.
pub const RELAY_BATCH_BYTES: usize = 768 * 1024;

/// The relay's threads.
pub struct Relay {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Relay {
    /// Stops the threads and waits for them.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Release);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Starts relaying `node`'s client submissions to `peers` (their API addresses).
pub fn start(node: &Node, peers: Vec<SocketAddr>) -> Relay {
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    let mut threads = Vec::new();
    for peer in peers {
        let (sender, receiver) = sync_channel::<Arc<str>>(RELAY_QUEUE);
        senders.push(sender);
        let stop = stop.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("novation-relay-{peer}"))
            .spawn(move || relay_to(peer, receiver, stop));
        if let Ok(thread) = spawned {
            threads.push(thread);
        }
    }
    node.set_admission_hook(move |envelope: &SignedTransaction| {
        if senders.is_empty() {
            return;
        }
        let json: Arc<str> = envelope.to_json().into();
        for sender in &senders {
            let _ = sender.try_send(json.clone());
        }
    });
    Relay { stop, threads }
}

fn relay_to(peer: SocketAddr, queue: Receiver<Arc<str>>, stop: Arc<AtomicBool>) {
    let agent =
        ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(1)).timeout(Duration::from_secs(10)).build();
    let url = format!("http://{peer}/");
    // The envelope that did not fit in the previous call.
    let mut carried: Option<Arc<str>> = None;
    while !stop.load(Ordering::Acquire) {
        let first = match carried.take() {
            Some(json) => json,
            None => match queue.recv_timeout(Duration::from_millis(50)) {
                Ok(json) => json,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        let mut body = String::with_capacity(first.len() + 128);
        body.push_str(r#"{"jsonrpc":"2.0","id":1,"method":"nov_relayTransactions","params":[["#);
        body.push_str(&first);
        let mut count = 1;
        while count < RELAY_BATCH {
            let Ok(json) = queue.try_recv() else { break };
            if body.len() + json.len() + 1 > RELAY_BATCH_BYTES {
                carried = Some(json);
                break;
            }
            body.push(',');
            body.push_str(&json);
            count += 1;
        }
        body.push_str("]]}");
        // A peer that is down misses these; its clients' own node and the proposer's mempool
        // still hold them.
        let _ = agent.post(&url).set("content-type", "application/json").send_string(&body);
    }
}
