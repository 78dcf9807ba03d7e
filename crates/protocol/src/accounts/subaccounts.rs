//! The subaccount store: looked up by hash on the order path, iterated in id order.
//!
//! Subaccounts live in slots of one vector. A hash map finds a subaccount's slot in O(1)
//! (lookup only, never iterated); a `BTreeMap` from id to slot is what every iteration and the
//! encoding walk, so everything that reaches state, events or the state hash follows id order
//! exactly as a `BTreeMap<SubaccountId, Subaccount>` would (and encodes identically).

use std::collections::BTreeMap;

use novation_types::SubaccountId;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

use super::Subaccount;

/// Every non-empty subaccount, by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct SubaccountMap {
    /// Id to slot, in id order: the only part iterated.
    order: BTreeMap<SubaccountId, u32>,
    /// Id to slot, for lookup only. NEVER iterated.
    slots: FxHashMap<SubaccountId, u32>,
    /// The subaccounts; a free slot holds an empty one.
    entries: Vec<Subaccount>,
    /// Per slot: whether its subaccount is listed among the changed keys
    /// (`State::changed_subaccounts`) since they were last taken. Never encoded.
    listed: Vec<bool>,
    free: Vec<u32>,
}

impl SubaccountMap {
    /// The slot of subaccount `id`, if it exists.
    #[inline]
    pub(crate) fn slot(&self, id: &SubaccountId) -> Option<u32> {
        self.slots.get(id).copied()
    }

    /// The subaccount in `slot` (from [`SubaccountMap::slot`] or [`SubaccountMap::insert`]).
    #[inline]
    pub(crate) fn at_mut(&mut self, slot: u32) -> &mut Subaccount {
        let index = slot as usize;
        if index >= self.entries.len() {
            debug_assert!(false, "subaccount slot {index} out of range");
            self.entries.resize_with(index + 1, Subaccount::default);
            self.listed.resize(index + 1, false);
        }
        &mut self.entries[index]
    }

    #[inline]
    pub(crate) fn get(&self, id: &SubaccountId) -> Option<&Subaccount> {
        self.entries.get(self.slot(id)? as usize)
    }

    /// Stores `sub` as subaccount `id` and returns its slot (and what it replaced).
    pub(crate) fn insert(&mut self, id: SubaccountId, sub: Subaccount) -> (u32, Option<Subaccount>) {
        if let Some(slot) = self.slot(&id) {
            let before = self.entries.get_mut(slot as usize).map(|entry| std::mem::replace(entry, sub));
            return (slot, before);
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(entry) = self.entries.get_mut(slot as usize) {
                    *entry = sub;
                }
                slot
            }
            None => {
                self.entries.push(sub);
                self.listed.push(false);
                (self.entries.len() - 1) as u32
            }
        };
        self.slots.insert(id, slot);
        self.order.insert(id, slot);
        (slot, None)
    }

    /// A store holding `subaccounts`, which must be in strictly increasing id order (`None`
    /// otherwise); each takes the next slot, so slot order is id order.
    pub(crate) fn from_sorted(subaccounts: Vec<(SubaccountId, Subaccount)>) -> Option<Self> {
        if !subaccounts.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return None;
        }
        let count = u32::try_from(subaccounts.len()).ok()?;
        let mut slots = FxHashMap::default();
        slots.reserve(subaccounts.len());
        let mut entries = Vec::with_capacity(subaccounts.len());
        let mut ids = Vec::with_capacity(subaccounts.len());
        for (slot, (id, sub)) in (0..count).zip(subaccounts) {
            slots.insert(id, slot);
            ids.push((id, slot));
            entries.push(sub);
        }
        // Built from sorted input in one pass.
        let order: BTreeMap<SubaccountId, u32> = ids.into_iter().collect();
        let listed = vec![false; entries.len()];
        Some(SubaccountMap { order, slots, entries, listed, free: Vec::new() })
    }

    pub(crate) fn remove(&mut self, id: &SubaccountId) -> Option<Subaccount> {
        let slot = self.slots.remove(id)?;
        self.order.remove(id);
        self.free.push(slot);
        self.unlist_slot(slot);
        self.entries.get_mut(slot as usize).map(std::mem::take)
    }

    /// Lists the subaccount in `slot` as changed; returns whether it was listed already.
    #[inline]
    pub(crate) fn list(&mut self, slot: u32) -> bool {
        self.listed.get_mut(slot as usize).is_none_or(|listed| std::mem::replace(listed, true))
    }

    /// Subaccount `id` is no longer listed as changed.
    pub(crate) fn unlist(&mut self, id: &SubaccountId) {
        if let Some(slot) = self.slot(id) {
            self.unlist_slot(slot);
        }
    }

    fn unlist_slot(&mut self, slot: u32) {
        if let Some(listed) = self.listed.get_mut(slot as usize) {
            *listed = false;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Every subaccount, in id order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        Iter { order: self.order.iter(), entries: &self.entries }
    }

    /// The subaccounts with ids in `range`, in id order.
    pub(crate) fn range(
        &self,
        range: (std::ops::Bound<SubaccountId>, std::ops::Bound<SubaccountId>),
    ) -> impl Iterator<Item = (&SubaccountId, &Subaccount)> + '_ {
        self.order.range(range).filter_map(|(id, &slot)| self.entries.get(slot as usize).map(|sub| (id, sub)))
    }

    /// Every id, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &SubaccountId> + '_ {
        self.order.keys()
    }

    /// Every subaccount, in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Subaccount> + '_ {
        self.iter().map(|(_, sub)| sub)
    }
}

/// The subaccounts in id order.
pub(crate) struct Iter<'a> {
    order: std::collections::btree_map::Iter<'a, SubaccountId, u32>,
    entries: &'a [Subaccount],
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a SubaccountId, &'a Subaccount);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Every slot in `order` is occupied, so this never skips.
        let (id, &slot) = self.order.next()?;
        self.entries.get(slot as usize).map(|sub| (id, sub))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.order.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a SubaccountMap {
    type Item = (&'a SubaccountId, &'a Subaccount);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for SubaccountMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // In id order, as a `BTreeMap` encodes.
        serializer.collect_map(self.iter())
    }
}
