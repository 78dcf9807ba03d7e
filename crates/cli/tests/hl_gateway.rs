//! End to end: `novation devnet --hl-port PORT` serves the Hyperliquid-compatible API beside
//! the devnet's RPC, announces it in its banner, and answers `POST /info`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

use common::{free_port, Devnet};

/// `POST /info` with `body`; the status and the response body.
fn post_info(port: u16, body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST /info HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

#[test]
fn devnet_with_hl_port_serves_hyperliquid_info_and_says_where() {
    let home = tempfile::tempdir().unwrap();
    let (port, hl_port) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home.path().join("devnet-home"))
        .arg("devnet")
        .arg("--data-dir")
        .arg(home.path().join("data"))
        .args(["--port", &port.to_string(), "--hl-port", &hl_port.to_string(), "--block-time-ms", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet starts");
    let stdout = child.stdout.take().unwrap();
    let _devnet = Devnet(child);
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let announced = loop {
        let line = lines.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the banner");
        if line.starts_with("Hyperliquid API:") {
            break line;
        }
    };
    assert!(announced.contains(&format!("http://127.0.0.1:{hl_port}/info")), "{announced}");
    let (status, body) = post_info(hl_port, r#"{"type":"meta"}"#);
    assert_eq!(status, 200, "{body}");
    let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(meta["universe"][0]["name"], "BTC", "{meta}");
    let (status, body) = post_info(hl_port, r#"{"type":"nothing"}"#);
    assert_eq!(status, 422, "{body}");
}
