//! What the CLI's end-to-end tests share: a devnet child process that dies with the test,
//! a free loopback port, and the binary run against a devnet ([`Cli`]).
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the devnet when dropped, passing or failing.
pub struct Devnet(pub Child);

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The binary run with a home (keys) and the devnet's RPC address.
pub struct Cli {
    /// The home directory (keys).
    pub home: PathBuf,
    /// The devnet's RPC address.
    pub rpc: String,
}

impl Cli {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_novation"))
            .arg("--home")
            .arg(&self.home)
            .args(["--rpc", &self.rpc])
            .args(args)
            .output()
            .expect("the novation binary runs")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.ok(&[&["--json"][..], args].concat());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    }

    /// Runs and expects exit code `code`; returns stderr.
    pub fn fails(&self, code: i32, args: &[&str]) -> String {
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        );
        stderr
    }

    /// The account's next nonce on chain.
    pub fn nonce(&self, key: &str) -> u64 {
        self.json(&["query", "account", key])["nonce"].as_u64().expect("an account view has its nonce")
    }
}

/// Starts a devnet (blocks every 50 ms) with its demo keys saved in `home`, and waits until
/// it answers and its perpetuals' oracle prices are valid.
pub fn start_devnet(home: &Path) -> (Devnet, Cli) {
    let port = free_port().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_novation"))
        .arg("--home")
        .arg(home)
        .arg("devnet")
        .arg("--data-dir")
        .arg(home.join("data"))
        .args(["--port", &port, "--block-time-ms", "50"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet starts");
    let devnet = Devnet(child);
    let cli = Cli { home: home.to_path_buf(), rpc: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(60);
    while cli.run(&["query", "status"]).status.code() != Some(0) || !home.join("keys").join("demo2.json").exists() {
        assert!(Instant::now() < deadline, "the devnet never answered at {}", cli.rpc);
        std::thread::sleep(Duration::from_millis(100));
    }
    // Orders that add risk wait for valid oracle prices of the perpetuals.
    loop {
        let markets = cli.json(&["query", "markets"]);
        let valid = |symbol: &str| {
            markets
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m["params"]["symbol"] == symbol && m["stats"]["index_validity"] == "Valid")
        };
        if valid("BTC-PERP") && valid("ETH-PERP") {
            break;
        }
        assert!(Instant::now() < deadline, "the oracle never became valid: {markets}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (devnet, cli)
}
