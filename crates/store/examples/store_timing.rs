//! Times durable block commits: `commit_block` latency (fsync included)
//! for a given block size, then a full replay with `blocks_from`.
//!
//! `cargo run --release -p novation-store --example store_timing [blocks] [block_bytes]`
//! (defaults: 200 blocks of 1 MiB). Writes a temporary file and removes it.

#![allow(clippy::float_arithmetic)] // Floats only format the printed figures.

use std::time::Instant;

use novation_store::Store;

fn arg(index: usize, default: u64) -> u64 {
    std::env::args().nth(index).and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let blocks = arg(1, 200);
    let block_bytes = arg(2, 1 << 20) as usize;
    let dir = std::env::temp_dir().join(format!("novation-store-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("chain.redb");
    let store = Store::open(&path)?;
    let block: Vec<u8> = (0..block_bytes).map(|i| (i * 31 % 251) as u8).collect();
    let results = vec![7u8; block_bytes / 10];

    let mut latencies_us = Vec::new();
    for height in 1..=blocks {
        let header = height.to_be_bytes();
        let started = Instant::now();
        store.commit_block(height, &header, &block, &results)?;
        latencies_us.push(started.elapsed().as_secs_f64() * 1e6);
    }
    latencies_us.sort_by(f64::total_cmp);
    let pick = |q: usize| latencies_us[(latencies_us.len() - 1) * q / 100];
    println!(
        "commit_block ({block_bytes} B block, {} B results), {blocks} blocks: \
         p50 {:.0} us, p90 {:.0} us, max {:.0} us",
        results.len(),
        pick(50),
        pick(90),
        pick(100)
    );

    let started = Instant::now();
    let mut replayed = 0u64;
    for stored in store.blocks_from(0)? {
        replayed += stored?.block.len() as u64;
    }
    println!("replay {blocks} blocks ({replayed} B) in {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    drop(store);
    let started = Instant::now();
    let store = Store::open(&path)?;
    println!("reopen (clean) in {:.1} ms, latest {:?}", started.elapsed().as_secs_f64() * 1e3, store.latest_height()?);
    drop(store);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
