//! Test helpers shared by the integration tests: a self-deleting temporary
//! directory and a tiny seeded random number generator (no extra crates).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `novation-store-<label>-<pid>-<n>` under the temp dir.
    pub(crate) fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("novation-store-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A file path inside the directory.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// xorshift64*: deterministic from its seed, good enough for test inputs.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; 0 is remapped).
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The seed in `NOVATION_TEST_SEED` if set (to replay a failure),
    /// otherwise one from the clock. Callers print it.
    pub(crate) fn clock_seed() -> u64 {
        if let Some(seed) = std::env::var("NOVATION_TEST_SEED").ok().and_then(|s| s.parse().ok()) {
            return seed;
        }
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..bound` (`bound > 0`).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// Deterministic block contents for `height`, so a reader can check them
/// without having kept a copy: (header, block, results).
pub(crate) fn block_fixture(height: u64) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let header = format!("header-{height}").into_bytes();
    let mut rng = Rng::new(height.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xB10C);
    let len = 64 + rng.below(4096) as usize;
    let block: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
    let results = format!("results-{height}-{len}").into_bytes();
    (header, block, results)
}

/// Like [`block_fixture`], but every fourth block is 128–384 KiB, so that a
/// kill often lands in the middle of writing a commit.
pub(crate) fn large_block_fixture(height: u64) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (header, mut block, results) = block_fixture(height);
    if height.is_multiple_of(4) {
        let mut rng = Rng::new(height ^ 0x5EED);
        let extra = (128 << 10) + rng.below(256 << 10) as usize;
        block.extend((0..extra / 8).flat_map(|_| rng.next_u64().to_le_bytes()));
    }
    (header, block, results)
}
