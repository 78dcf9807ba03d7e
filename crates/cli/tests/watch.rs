//! End to end, the live views: `watch account` redraws when a block touches the account,
//! `watch book` after every block, and Ctrl-C (SIGINT) ends either with exit code 0.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{start_devnet, Cli};

/// ANSI clear-screen: one per redrawn frame.
const CLEAR: &str = "\x1b[2J";

/// A running `novation watch …` and everything it printed so far.
struct Watching {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Watching {
    fn start(cli: &Cli, args: &[&str]) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_novation"))
            .arg("--home")
            .arg(&cli.home)
            .args(["--rpc", &cli.rpc, "watch"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("watch starts");
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..read]));
            }
        });
        Watching { child, output }
    }

    /// Waits until what was printed satisfies `done`.
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.output.lock().unwrap().clone();
            if done(&text) {
                return;
            }
            assert!(Instant::now() < deadline, "never saw {what} in:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends Ctrl-C (SIGINT) and expects a clean exit.
    fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "watch ignored Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(0), "Ctrl-C is a clean exit");
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_live_views_redraw_from_the_websocket_and_stop_on_ctrl_c() {
    let home = tempfile::tempdir().unwrap();
    let (devnet, cli) = start_devnet(home.path());

    let account = Watching::start(&cli, &["account", "demo1"]);
    account.wait_for("the first frame", |text| text.contains(CLEAR) && text.contains("latest events"));
    cli.ok(&["tx", "--key", "demo1", "order", "BTC-PERP", "buy", "0.001", "--price", "57123.4", "--client-id", "5"]);
    // The order's events arrive by the subscription and the frame is redrawn with the order.
    account.wait_for("a redrawn frame with the new order", |text| {
        text.matches(CLEAR).count() >= 2 && text.rsplit(CLEAR).next().is_some_and(|frame| frame.contains("57123.4"))
    });
    account.interrupt();

    let book = Watching::start(&cli, &["book", "BTC-PERP", "--depth", "5"]);
    book.wait_for("three frames of the book", |text| {
        text.matches(CLEAR).count() >= 3 && text.rsplit(CLEAR).next().is_some_and(|frame| frame.contains("57123.4"))
    });
    book.interrupt();

    // Polling over HTTP (as behind TLS) shows the same frames.
    let polled = Watching::start(&cli, &["book", "BTC-PERP", "--poll"]);
    polled.wait_for("two polled frames of the book", |text| {
        text.matches(CLEAR).count() >= 2 && text.contains("BTC-PERP order book") && text.contains("57123.4")
    });
    polled.interrupt();
    let once = cli.ok(&["watch", "account", "demo1", "--once", "--poll"]);
    assert!(once.contains("57123.4") && once.contains("latest events"), "{once}");
    drop(devnet);
}
