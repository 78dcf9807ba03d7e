//! Crash safety under `SIGKILL`.
//!
//! The parent test re-runs this very test binary as a child process (with
//! [`CHILD_ENV`] set, filtered to [`crash_writer_child`]). The child commits
//! blocks in a loop and prints `committed <height>` after each
//! `commit_block` returns. The parent kills it with `SIGKILL` at a random
//! moment (`Child::kill` sends `SIGKILL` on Unix), reopens the store, and
//! checks that every height the child reported is present and intact, and
//! that the stored heights are contiguous. It repeats this several times on
//! the same file, so later children also recover from earlier kills.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{large_block_fixture as block_fixture, Rng, TempDir};
use novation_store::Store;

/// When set, [`crash_writer_child`] runs the writer loop on this path.
const CHILD_ENV: &str = "NOVATION_STORE_CRASH_CHILD";

/// Prefix of the child's report line `committed <height>`.
const REPORT_MARKER: &str = "committed ";

/// Upper bounds on one child's life, in case the parent never kills it.
const CHILD_BLOCKS_MAX: u64 = 20_000;
const CHILD_LIFETIME_MAX: Duration = Duration::from_secs(20);

const ROUNDS: usize = 12;

/// The child side. Does nothing unless [`CHILD_ENV`] is set.
#[test]
fn crash_writer_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let started = Instant::now();
    let store = Store::open(&path).expect("child: open store");
    let first = store.latest_height().expect("child: latest height").map_or(1, |latest| latest + 1);
    let mut out = std::io::stdout().lock();
    for height in first..first + CHILD_BLOCKS_MAX {
        let (header, block, results) = block_fixture(height);
        store.commit_block(height, &header, &block, &results).expect("child: commit");
        // Only now is the block durable: report it.
        writeln!(out, "{REPORT_MARKER}{height}").expect("child: report");
        out.flush().expect("child: flush");
        if started.elapsed() > CHILD_LIFETIME_MAX {
            break;
        }
    }
}

/// Spawns a child writer, kills it after it has reported `commits_before_kill`
/// commits plus a random pause (or at a random instant when that is 0), and
/// returns the heights it reported.
fn run_and_kill_child(path: &std::path::Path, rng: &mut Rng, commits_before_kill: u64) -> Vec<u64> {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args(["crash_writer_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let (sender, receiver) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print "test crash_writer_child ... " just before
            // the first report, on the same line: look for the marker anywhere.
            if let Some((_, height)) = line.split_once(REPORT_MARKER) {
                let height: u64 = height.trim().parse().expect("height");
                if sender.send(height).is_err() {
                    break;
                }
            }
        }
    });

    let mut reported = Vec::new();
    if commits_before_kill == 0 {
        // Any instant: during start-up, recovery, or the first commits.
        std::thread::sleep(Duration::from_micros(rng.below(30_000)));
    } else {
        let deadline = Instant::now() + Duration::from_secs(10);
        while (reported.len() as u64) < commits_before_kill && Instant::now() < deadline {
            match receiver.recv_timeout(Duration::from_millis(100)) {
                Ok(height) => reported.push(height),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // Land somewhere inside the next commit or two.
        std::thread::sleep(Duration::from_micros(rng.below(4_000)));
    }
    child.kill().expect("SIGKILL child");
    let status = child.wait().expect("reap child");
    reader.join().expect("reader thread");
    reported.extend(receiver.try_iter());
    assert!(
        !status.success() || reported.len() as u64 >= commits_before_kill,
        "child exited on its own before being killed: {status:?}"
    );
    reported
}

#[test]
fn committed_blocks_survive_sigkill_at_random_moments() {
    let dir = TempDir::new("crash");
    let path = dir.file("chain.redb");
    let seed = Rng::clock_seed();
    eprintln!("crash test seed {seed} (replay: NOVATION_TEST_SEED={seed})");
    let mut rng = Rng::new(seed);
    let mut all_reported = Vec::new();

    for round in 0..ROUNDS {
        // Every third round kills at a blind instant; the others mid-stream.
        let commits_before_kill = if round % 3 == 2 { 0 } else { 1 + rng.below(25) };
        let reported = run_and_kill_child(&path, &mut rng, commits_before_kill);
        all_reported.extend_from_slice(&reported);

        let store = Store::open(&path).expect("reopen after SIGKILL");
        let latest = store.latest_height().expect("latest height");
        if let Some(&max_reported) = all_reported.iter().max() {
            assert!(
                latest.is_some_and(|latest| latest >= max_reported),
                "round {round}: reported {max_reported} but latest is {latest:?}"
            );
        }
        // Every stored block (not only the reported ones) is whole, and the
        // heights are contiguous from 1: a half-written block never shows.
        let mut expected_height = 1;
        for stored in store.blocks_from(0).expect("replay") {
            let stored = stored.expect("intact block");
            assert_eq!(stored.height, expected_height, "round {round}: gap");
            let (header, block, results) = block_fixture(stored.height);
            assert_eq!(stored.header, header);
            assert_eq!(stored.block, block);
            assert_eq!(store.results(stored.height).unwrap(), Some(results));
            expected_height += 1;
        }
        assert_eq!(latest, expected_height.checked_sub(1).filter(|&h| h > 0));
        eprintln!(
            "round {round}: child reported {} commits ({:?}..={:?}), store latest {latest:?}",
            reported.len(),
            reported.first(),
            reported.last()
        );
        for &height in &reported {
            assert!(store.block(height).unwrap().is_some(), "lost {height}");
        }
    }
    assert!(all_reported.len() >= 5, "the children committed too little to test anything: {}", all_reported.len());
}
