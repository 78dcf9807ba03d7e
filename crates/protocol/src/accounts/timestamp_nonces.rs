//! Hyperliquid's nonces: millisecond timestamps, for transactions signed as Hyperliquid signs
//! them. Instead of one next nonce, a signer keeps the [`KEPT`] highest nonces it has used;
//! a new nonce must not be among them, must exceed the smallest of them once [`KEPT`] are
//! kept, and must lie within [`WINDOW_PAST_MS`] before and [`WINDOW_FUTURE_MS`] after the
//! block time (Hyperliquid's published rules). Concurrent senders sharing one key therefore
//! never collide, and a nonce is still used at most once: anything older than the window, or
//! below the kept set, is refused.
//!
//! Each signer's set is one committed entry (`StateKey::TimestampNonces`), written only
//! when a transaction uses a nonce from it.

use std::collections::BTreeSet;

use novation_types::ErrorCode;
use serde::{Deserialize, Serialize};

/// How many of a signer's highest nonces are kept.
pub const KEPT: usize = 100;
/// How far before the block time a nonce may lie (two days).
pub const WINDOW_PAST_MS: u64 = 2 * 86_400_000;
/// How far after the block time a nonce may lie (one day).
pub const WINDOW_FUTURE_MS: u64 = 86_400_000;

/// One signer's highest used nonces, at most [`KEPT`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimestampNonces(BTreeSet<u64>);

impl TimestampNonces {
    /// Whether `nonce` may be used at block time `time_ms`.
    pub fn check(&self, nonce: u64, time_ms: u64) -> Result<(), ErrorCode> {
        let earliest = time_ms.saturating_sub(WINDOW_PAST_MS);
        let latest = time_ms.saturating_add(WINDOW_FUTURE_MS);
        if nonce <= earliest || nonce >= latest {
            return Err(ErrorCode::NonceOutsideWindow);
        }
        let below_kept = self.0.len() >= KEPT && self.0.first().is_some_and(|smallest| nonce <= *smallest);
        if below_kept || self.0.contains(&nonce) {
            return Err(ErrorCode::NonceAlreadyUsed);
        }
        Ok(())
    }

    /// Records `nonce` (checked by [`TimestampNonces::check`] at block time `time_ms`),
    /// forgetting the smallest kept one beyond [`KEPT`] and every one the window has passed
    /// (the window alone refuses those again), so an idle signer's entry shrinks to its
    /// latest nonce.
    pub fn insert(&mut self, nonce: u64, time_ms: u64) {
        self.0.insert(nonce);
        let earliest = time_ms.saturating_sub(WINDOW_PAST_MS);
        while self.0.len() > KEPT || self.0.first().is_some_and(|smallest| *smallest <= earliest) {
            self.0.pop_first();
        }
    }

    /// The kept nonces, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().copied()
    }

    /// At most [`KEPT`] nonces (a snapshot's check).
    pub(crate) fn is_within_bound(&self) -> bool {
        self.0.len() <= KEPT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn nonces_are_used_once_in_any_order_within_the_window() {
        let mut set = TimestampNonces::default();
        for nonce in [NOW, NOW - 5, NOW + 5] {
            set.check(nonce, NOW).unwrap();
            set.insert(nonce, NOW);
        }
        assert_eq!(set.check(NOW, NOW), Err(ErrorCode::NonceAlreadyUsed));
        assert_eq!(set.check(NOW - WINDOW_PAST_MS, NOW), Err(ErrorCode::NonceOutsideWindow));
        assert_eq!(set.check(NOW + WINDOW_FUTURE_MS, NOW), Err(ErrorCode::NonceOutsideWindow));
        assert_eq!(set.check(0, NOW), Err(ErrorCode::NonceOutsideWindow));
        set.check(NOW - WINDOW_PAST_MS + 1, NOW).unwrap();
    }

    #[test]
    fn once_full_a_nonce_must_beat_the_smallest_kept_and_the_set_stays_bounded() {
        let mut set = TimestampNonces::default();
        for i in 0..KEPT as u64 + 50 {
            set.insert(NOW + i, NOW);
        }
        assert!(set.is_within_bound());
        let smallest = set.iter().next().unwrap();
        assert_eq!(smallest, NOW + 50);
        assert_eq!(set.check(smallest - 1, NOW), Err(ErrorCode::NonceAlreadyUsed), "a forgotten nonce stays used");
        assert_eq!(set.check(smallest, NOW), Err(ErrorCode::NonceAlreadyUsed));
        set.check(NOW + 1_000, NOW).unwrap();
    }

    #[test]
    fn nonces_the_window_has_passed_are_forgotten_and_stay_refused() {
        let mut set = TimestampNonces::default();
        set.insert(NOW, NOW);
        let later = NOW + WINDOW_PAST_MS + 10;
        set.insert(later, later);
        assert_eq!(set.iter().collect::<Vec<_>>(), [later], "the old nonce is forgotten");
        assert_eq!(set.check(NOW, later), Err(ErrorCode::NonceOutsideWindow), "and still refused");
    }
}
