//! [`Arena`]: the growable array the state tree keeps its nodes in.
//!
//! A `Vec` grows by doubling: at a million entries one push copies the whole
//! array into a buffer twice its size, touching fresh memory for both, in the
//! middle of a block. An arena grows a fixed-size chunk at a time instead, so
//! an entry never moves once written and growth costs only the new chunk.

use std::ops::{Index, IndexMut};

/// Entries per chunk: a power of two, so an index splits with a shift and a mask.
const CHUNK_BITS: u32 = 14;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;
const CHUNK_MASK: usize = CHUNK_LEN - 1;

/// An append-only array of `T` in chunks of [`CHUNK_LEN`] entries.
#[derive(Clone, Debug)]
pub(super) struct Arena<T> {
    /// Chunk `i` holds entries `i * CHUNK_LEN ..`; every chunk before the one `len` falls in
    /// is full, those after it are empty. None is ever reallocated: each is created with
    /// capacity `CHUNK_LEN` and never holds more.
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Arena<T> {
    /// An empty arena whose chunks for the first `entries` entries are allocated up front.
    pub(super) fn with_capacity(entries: usize) -> Self {
        let chunks = entries.div_ceil(CHUNK_LEN);
        Arena { chunks: (0..chunks).map(|_| Vec::with_capacity(CHUNK_LEN)).collect(), len: 0 }
    }

    /// Number of entries.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends `value` at index `len()`.
    pub(super) fn push(&mut self, value: T) {
        let chunk = self.len >> CHUNK_BITS;
        if chunk == self.chunks.len() {
            self.chunks.push(Vec::with_capacity(CHUNK_LEN));
        }
        self.chunks[chunk].push(value);
        self.len += 1;
    }
}

impl<T> Index<usize> for Arena<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index >> CHUNK_BITS][index & CHUNK_MASK]
    }
}

impl<T> IndexMut<usize> for Arena<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index >> CHUNK_BITS][index & CHUNK_MASK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_index_across_chunks() {
        let mut arena = Arena::default();
        let count = 3 * CHUNK_LEN + 17;
        for i in 0..count {
            arena.push(i as u64 * 3);
        }
        assert_eq!(arena.len(), count);
        assert_eq!(arena.chunks.len(), 4);
        assert!(arena.chunks.iter().all(|chunk| chunk.capacity() == CHUNK_LEN));
        let mut reserved = Arena::with_capacity(CHUNK_LEN + 1);
        for i in 0..count {
            reserved.push(i as u64 * 3);
        }
        assert_eq!((reserved.len(), reserved.chunks.len(), reserved[count - 1]), (count, 4, arena[count - 1]));
        for i in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, 2 * CHUNK_LEN + 5, count - 1] {
            assert_eq!(arena[i], i as u64 * 3);
        }
        arena[CHUNK_LEN] = 7;
        assert_eq!(arena[CHUNK_LEN], 7);
        assert_eq!(arena[CHUNK_LEN + 1], (CHUNK_LEN as u64 + 1) * 3);
    }

    #[test]
    #[should_panic]
    fn an_index_past_the_end_panics_like_a_slice() {
        let mut arena = Arena::default();
        arena.push(1u8);
        let _ = arena[1];
    }
}
