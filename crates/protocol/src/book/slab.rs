//! A slab: a vector of slots with a free list, addressed by `u32` slot indices.
//!
//! Promises: a slot index stays valid (and its value in place) until that slot is removed;
//! removed slots are reused last-freed first; the slab never shrinks, so once warmed up it
//! allocates nothing. It grows a chunk of [`CHUNK_SLOTS`] slots at a time and never moves a
//! slot: a book of a million orders grows without copying them into a buffer twice the size
//! in the middle of a block. Every access is checked: a vacant or out-of-range slot reads
//! as `None`, never a panic. [`NIL`] is never a valid slot, so `get(NIL)` is always `None`.
//! Which slot a value lands in depends on history; nothing derived from state may depend
//! on slot numbers.

/// The "no slot" marker used for empty links. Never returned by [`Slab::insert`].
pub(super) const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
enum Entry<T> {
    Occupied(T),
    Vacant { next_free: u32 },
}

/// Slots per chunk.
const CHUNK_SLOTS: usize = 1 << 12;

/// Slots with a free list threaded through the vacant ones.
#[derive(Clone, Debug)]
pub(super) struct Slab<T> {
    /// Every chunk but the last holds exactly [`CHUNK_SLOTS`] entries. The first grows like
    /// a vector (a small book stays small); the others are allocated whole.
    chunks: Vec<Vec<Entry<T>>>,
    /// Entries in all chunks, occupied or vacant.
    slots: usize,
    /// The most recently freed vacant slot, or [`NIL`] if none.
    free_head: u32,
    /// The number of occupied slots.
    len: usize,
}

impl<T> Slab<T> {
    /// An empty slab with room for `capacity` values before it reallocates.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        let chunks = (0..capacity.div_ceil(CHUNK_SLOTS))
            .map(|chunk| Vec::with_capacity(if chunk == 0 { capacity.min(CHUNK_SLOTS) } else { CHUNK_SLOTS }))
            .collect();
        Slab { chunks, slots: 0, free_head: NIL, len: 0 }
    }

    /// The number of occupied slots.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value` and returns its slot, or `None` if all `u32::MAX` slots are taken
    /// (which memory runs out long before).
    pub(super) fn insert(&mut self, value: T) -> Option<u32> {
        if self.free_head == NIL {
            let slot = u32::try_from(self.slots).ok().filter(|&slot| slot != NIL)?;
            let chunk = self.slots / CHUNK_SLOTS;
            if chunk == self.chunks.len() {
                self.chunks.push(if chunk == 0 { Vec::new() } else { Vec::with_capacity(CHUNK_SLOTS) });
            }
            self.chunks.get_mut(chunk)?.push(Entry::Occupied(value));
            self.slots += 1;
            self.len += 1;
            return Some(slot);
        }
        let slot = self.free_head;
        let entry = entry_mut(&mut self.chunks, slot)?;
        let Entry::Vacant { next_free } = *entry else {
            debug_assert!(false, "free list points at an occupied slot {slot}");
            return None;
        };
        self.free_head = next_free;
        *entry = Entry::Occupied(value);
        self.len += 1;
        Some(slot)
    }

    /// Takes the value out of `slot`, making the slot free; `None` if it held nothing.
    pub(super) fn remove(&mut self, slot: u32) -> Option<T> {
        let entry = entry_mut(&mut self.chunks, slot)?;
        if matches!(entry, Entry::Vacant { .. }) {
            return None;
        }
        let old = std::mem::replace(entry, Entry::Vacant { next_free: self.free_head });
        self.free_head = slot;
        self.len -= 1;
        match old {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    /// The value in `slot`, if occupied.
    #[inline]
    pub(super) fn get(&self, slot: u32) -> Option<&T> {
        let index = index(slot);
        match self.chunks.get(index / CHUNK_SLOTS)?.get(index % CHUNK_SLOTS)? {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    /// The value in `slot`, mutably, if occupied.
    #[inline]
    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        match entry_mut(&mut self.chunks, slot)? {
            Entry::Occupied(value) => Some(value),
            Entry::Vacant { .. } => None,
        }
    }
}

/// The entry of `slot` in `chunks`.
#[inline]
fn entry_mut<T>(chunks: &mut [Vec<Entry<T>>], slot: u32) -> Option<&mut Entry<T>> {
    let index = index(slot);
    chunks.get_mut(index / CHUNK_SLOTS)?.get_mut(index % CHUNK_SLOTS)
}

/// A slot number as a vector index (lossless where `usize` has at least 32 bits; elsewhere an
/// unrepresentable slot maps to an index no vector reaches).
#[inline]
fn index(slot: u32) -> usize {
    usize::try_from(slot).unwrap_or(usize::MAX)
}
