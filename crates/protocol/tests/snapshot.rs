//! State snapshots: a decoded snapshot commits to the same entries as the state that wrote
//! it and behaves the same on every later block (the simulation's replicas check that on
//! every script, see `novation_sim::Runner`); bytes that are not a whole, valid snapshot are
//! an error, never a panic.

use novation_protocol::{SnapshotError, State, SNAPSHOT_MAGIC};
use novation_sim::{Checks, Flavor, Mode, Runner, Script};

/// The state a wild simulation script leaves (liquidations, backstop takeovers, bad debt,
/// funding, resting and trigger orders), with a replica restored from snapshots beside it.
fn simulated_state(seed: u64) -> State {
    let script = Script::generate(seed, Flavor::WILD);
    let checks = Checks { health: false, order_margin: false, bystanders: false, oracle_refusals: false };
    let (result, state) = Runner::new(Mode::Blocks { replicas: 1 }, checks).run_keeping_state(&script);
    if let Err(failure) = result {
        panic!("seed {seed}: {failure:?}");
    }
    state
}

fn entries(state: &State) -> Vec<(novation_protocol::StateKey, Option<Vec<u8>>)> {
    state.commitment_keys().into_iter().map(|key| (key, state.commitment_value(&key))).collect()
}

#[test]
fn a_restored_state_commits_to_the_same_entries_and_re_encodes_identically() {
    for seed in 1..=6 {
        let state = simulated_state(seed);
        let bytes = state.to_snapshot();
        let restored = State::from_snapshot(&bytes).expect("a fresh snapshot decodes");
        assert_eq!(entries(&restored), entries(&state), "seed {seed}");
        assert_eq!(restored.state_hash(), state.state_hash(), "seed {seed}");
        assert_eq!(restored.to_snapshot(), bytes, "seed {seed}");
        assert_eq!(restored.height(), state.height());
    }
}

#[test]
fn a_cut_short_or_extended_snapshot_is_an_error() {
    let bytes = simulated_state(7).to_snapshot();
    for len in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        assert!(State::from_snapshot(&bytes[..len]).is_err(), "cut at {len} of {}", bytes.len());
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(State::from_snapshot(&longer), Err(SnapshotError::Malformed(_))));
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = simulated_state(8).to_snapshot();
    for index in (0..bytes.len()).step_by(bytes.len() / 3_000 + 1) {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[index] ^= mask;
            // Either an error or some state (whose root then differs from the trusted one).
            let _ = State::from_snapshot(&corrupt);
        }
    }
}

#[test]
fn other_bytes_and_other_versions_are_refused() {
    assert_eq!(State::from_snapshot(b"").unwrap_err(), SnapshotError::NotASnapshot);
    assert_eq!(State::from_snapshot(b"not a snapshot at all").unwrap_err(), SnapshotError::NotASnapshot);
    let mut bytes = simulated_state(9).to_snapshot();
    bytes[SNAPSHOT_MAGIC.len()] = 99;
    assert_eq!(State::from_snapshot(&bytes).unwrap_err(), SnapshotError::UnsupportedVersion(99));
}
