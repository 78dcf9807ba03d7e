//! Times the state commitment: builds a tree of N entries, then applies
//! blocks of C changes (80% updates, 10% inserts, 10% deletes) and reports
//! microseconds per changed entry, root time and proof time.
//!
//! `cargo run --release -p novation-store --example commitment_timing [N] [C] [blocks]`
//! (defaults: 1,000,000 entries, 10,000 changes, 10 blocks).

#![allow(clippy::float_arithmetic)] // Floats only format the printed figures.

use std::time::Instant;

use novation_store::commitment::{verify_proof, StateTree};

fn key(i: u64) -> Vec<u8> {
    // Shaped like a real state key: a table tag and a big-endian id.
    let mut key = vec![0x01];
    key.extend_from_slice(&i.to_be_bytes());
    key
}

fn value(i: u64, version: u64) -> Vec<u8> {
    let mut value = Vec::with_capacity(64);
    for word in [i, version, i ^ version, i.wrapping_mul(31)] {
        value.extend_from_slice(&word.to_be_bytes());
        value.extend_from_slice(&word.rotate_left(17).to_be_bytes());
    }
    value
}

fn arg(index: usize, default: u64) -> u64 {
    std::env::args().nth(index).and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(default)
}

fn rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() {
    let entries = arg(1, 1_000_000);
    let changes_per_block = arg(2, 10_000);
    let blocks = arg(3, 10);
    let rss_before = rss_mib();

    let build: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..entries).map(|i| (key(i), Some(value(i, 0)))).collect();
    let started = Instant::now();
    let mut tree = StateTree::with_capacity(entries as usize);
    tree.apply(&build);
    let build_time = started.elapsed();
    drop(build);
    println!(
        "build: {entries} entries in {:.3} s ({:.2} us/entry), RSS {:?} -> {:?} MiB",
        build_time.as_secs_f64(),
        build_time.as_secs_f64() * 1e6 / entries as f64,
        rss_before,
        rss_mib()
    );

    let mut next_new = entries;
    let mut next_delete = 0u64;
    let mut apply_us = Vec::new();
    let mut root_ns = Vec::new();
    for block in 1..=blocks {
        let mut changes = Vec::with_capacity(changes_per_block as usize);
        for j in 0..changes_per_block {
            match j % 10 {
                0 => {
                    changes.push((key(next_new), Some(value(next_new, block))));
                    next_new += 1;
                }
                1 => {
                    changes.push((key(next_delete), None));
                    next_delete += 1;
                }
                _ => {
                    let i = (j * 7919 + block * 104_729) % entries;
                    changes.push((key(i), Some(value(i, block))));
                }
            }
        }
        let started = Instant::now();
        tree.apply(&changes);
        apply_us.push(started.elapsed().as_secs_f64() * 1e6);
        let started = Instant::now();
        let root = std::hint::black_box(tree.root());
        root_ns.push(started.elapsed().as_nanos());
        if block == 1 {
            let probe = key(entries / 2);
            let started = Instant::now();
            let proof = tree.prove(&probe);
            let prove_us = started.elapsed().as_secs_f64() * 1e6;
            let started = Instant::now();
            let found = tree.value_hash(&probe).is_some();
            let ok = verify_proof(&root, &probe, None, &proof) || found;
            println!(
                "prove: {prove_us:.1} us (depth {}, {} bytes); verify: {:.1} us; ok {ok}",
                proof.depth(),
                proof.to_bytes().len(),
                started.elapsed().as_secs_f64() * 1e6
            );
        }
    }
    apply_us.sort_by(f64::total_cmp);
    let median = apply_us[apply_us.len() / 2];
    println!(
        "apply {changes_per_block} changes to {} entries (hashing + new root), over {blocks} blocks: \
         median {:.1} ms = {:.2} us/change (min {:.1} ms, max {:.1} ms); root(): {} ns",
        tree.len(),
        median / 1e3,
        median / changes_per_block as f64,
        apply_us[0] / 1e3,
        apply_us[apply_us.len() - 1] / 1e3,
        root_ns.iter().max().copied().unwrap_or(0)
    );
    println!("RSS now {:?} MiB", rss_mib());
}
