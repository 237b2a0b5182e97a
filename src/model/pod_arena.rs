//! The pod arena: every pod of the run by `PodId`, in pages that can be given back once every
//! pod on them has finished for good, so a long trace replay holds memory for its live pods,
//! not for every pod it ever created (issue 15).
//!
//! Owns: pod storage, indexing by id, and retiring whole pages (`retire_pages`). Does not own:
//! which pods may be retired (the caller's predicate: the simulation retires finished trace
//! pods, which no controller list, node list or queue refers to any more), nor what is kept of
//! a retired pod (the caller's fold, `metrics::tally::PodTally`).
//!
//! Ids are never reused, so every order built on pod ids (victim ranking, event ties) is the
//! same with and without retirement. A retired pod can still be named by a stale event in the
//! queue (its generation check is what makes it stale): indexing a retired id gives a
//! tombstone, a terminal pod of generation `u32::MAX` that no real generation equals, so every
//! generation-checked handler drops the event as it would for the real, finished pod. Writes
//! through a tombstone go to a scratch copy and are lost, which is right for a pod that no
//! longer exists.

use super::cluster::{Pod, PodPhase};
use super::{TemplateId, WorkloadId};
use std::ops::{Index, IndexMut};

/// Pods per page: 4,096 pods of 176 bytes, about 700 KB a page.
const PAGE_BITS: usize = 12;
pub const PAGE: usize = 1 << PAGE_BITS;
const MASK: usize = PAGE - 1;

/// A vector indexed by pod id whose pages can be given back: the pod arena itself
/// (`PodArena`) and every other per-pod table (the scheduling queue's), retired together.
pub struct Paged<T> {
    /// Page `k` holds ids `k·PAGE ..`; a retired page is an empty Vec (no allocation).
    pages: Vec<Vec<T>>,
    /// Entries ever pushed: for the arena, the next pod's id.
    len: usize,
    /// Pages given back.
    retired_pages: usize,
    /// What a retired id reads as; `tomb_mut` hands out a fresh copy for writes.
    tomb: T,
    tomb_mut: T,
}

/// Every pod of the run by id.
pub type PodArena = Paged<Pod>;

fn tombstone() -> Pod {
    let mut p = Pod::new(WorkloadId(0), TemplateId(0), 0, None, 0);
    p.phase = PodPhase::Deleted;
    p.generation = u32::MAX;
    p
}

impl Default for Paged<Pod> {
    fn default() -> Self {
        Paged::new(tombstone())
    }
}

impl<T: Clone> Paged<T> {
    /// An empty table whose retired entries read as `tomb`.
    pub fn new(tomb: T) -> Self {
        Paged {
            pages: Vec::new(),
            len: 0,
            retired_pages: 0,
            tomb_mut: tomb.clone(),
            tomb,
        }
    }

    /// Pushes copies of `v` until the table has `n` entries.
    pub fn resize(&mut self, n: usize, v: T) {
        while self.len < n {
            self.push(v.clone());
        }
    }

    /// Pods ever created (retired ones included).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, v: T) {
        if self.len & MASK == 0 {
            self.pages.push(Vec::with_capacity(PAGE));
        }
        self.pages[self.len >> PAGE_BITS].push(v);
        self.len += 1;
    }

    /// Whether pod `i` was retired (its page given back).
    pub fn is_retired(&self, i: usize) -> bool {
        i < self.len && self.pages[i >> PAGE_BITS].is_empty()
    }

    /// Entries not retired, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.pages.iter().flatten()
    }

    /// Pods not retired, with their ids, in id order.
    pub fn iter_ids(&self) -> impl Iterator<Item = (usize, &T)> {
        self.pages
            .iter()
            .enumerate()
            .flat_map(|(k, page)| page.iter().enumerate().map(move |(j, p)| (k * PAGE + j, p)))
    }

    /// Pods held in memory (created and not retired).
    pub fn held(&self) -> usize {
        self.len - self.retired_pages * PAGE
    }

    /// The full pages still held all of whose pods satisfy `finished`, in id order. The page
    /// being filled is never among them. Cost: one look at each pod of the pages still held.
    pub fn finished_pages(&self, finished: impl Fn(&T) -> bool) -> Vec<usize> {
        let full = self.len >> PAGE_BITS;
        (0..full)
            .filter(|&k| !self.pages[k].is_empty() && self.pages[k].iter().all(&finished))
            .collect()
    }

    /// Page `k`'s pods (ids `k·PAGE ..`); empty once retired.
    pub fn page(&self, k: usize) -> &[T] {
        &self.pages[k]
    }

    /// Gives page `k` back: its ids read as tombstones from now on. A table filled on demand
    /// (the scheduling queue's, shorter than the arena) first grows to the page's end with
    /// tombstones, so every later id keeps its place.
    pub fn retire_page(&mut self, k: usize) {
        if self.len < (k + 1) * PAGE {
            self.resize((k + 1) * PAGE, self.tomb.clone());
        }
        if !self.pages[k].is_empty() {
            self.pages[k] = Vec::new();
            self.retired_pages += 1;
        }
    }
}

impl<T> Index<usize> for Paged<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        debug_assert!(i < self.len, "pod {i} of {}", self.len);
        match self.pages[i >> PAGE_BITS].get(i & MASK) {
            Some(p) => p,
            None => &self.tomb,
        }
    }
}

impl<T: Clone> IndexMut<usize> for Paged<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        debug_assert!(i < self.len, "pod {i} of {}", self.len);
        // Two steps so the borrow of the page ends before the tombstone is handed out.
        if self.pages[i >> PAGE_BITS].len() > (i & MASK) {
            return &mut self.pages[i >> PAGE_BITS][i & MASK];
        }
        self.tomb_mut = self.tomb.clone();
        &mut self.tomb_mut
    }
}

impl<'a, T> IntoIterator for &'a Paged<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.pages.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ordinal: u32) -> Pod {
        Pod::new(WorkloadId(1), TemplateId(2), ordinal, None, 0)
    }

    #[test]
    fn ids_index_across_pages_and_retired_pages_read_as_stale_tombstones() {
        let mut a = PodArena::default();
        // 2.5 pages of pods whose ordinal is their id.
        let n = 2 * PAGE + PAGE / 2;
        for i in 0..n {
            a.push(pod(i as u32));
        }
        assert_eq!((a.len(), a.held()), (n, n));
        assert_eq!(a[PAGE + 7].ordinal, (PAGE + 7) as u32);
        // Finish every pod of the first page and one short of all of the second.
        for i in 0..2 * PAGE - 1 {
            a[i].phase = PodPhase::Succeeded;
        }
        let done = |p: &Pod| p.phase == PodPhase::Succeeded;
        // Only page 0 is all finished; page 1 has one pod running, page 2 is being filled.
        assert_eq!(a.finished_pages(done), vec![0]);
        assert_eq!(a.page(0)[17].ordinal, 17);
        a.retire_page(0);
        assert_eq!(a.held(), n - PAGE);
        assert!(a.page(0).is_empty() && a.finished_pages(done).is_empty());
        assert!(a.is_retired(5) && !a.is_retired(PAGE));
        // A stale event's generation check sees a tombstone no real generation equals.
        assert_eq!(a[5].generation, u32::MAX);
        assert_eq!(a[5].phase, PodPhase::Deleted);
        // A write through a retired id is lost, and does not leak into the next read.
        a[5].generation = 3;
        assert_eq!(a[6].generation, u32::MAX);
        assert_eq!(a[5].generation, u32::MAX);
        // Iteration skips the retired page: ids PAGE.. in order.
        let ids: Vec<usize> = a.iter_ids().map(|(i, _)| i).collect();
        assert_eq!(ids, (PAGE..n).collect::<Vec<_>>());
        assert_eq!(a.iter().count(), n - PAGE);
        // The partly filled last page is never retired, even when all its pods finished.
        for i in 2 * PAGE..n {
            a[i].phase = PodPhase::Succeeded;
        }
        assert!(a.finished_pages(done).is_empty());
        // A shorter table retired along (the scheduling queue's) skips pages it never had.
        // It grows to the end of the page first: page 0 keeps its 10 entries and gains
        // tombstones up to id 4,095; page 1 is created and given back: 8,192 entries, 4,096
        // held.
        let mut q: Paged<u8> = Paged::new(9);
        q.resize(10, 1);
        q.retire_page(1);
        assert_eq!(
            (q[3], q[10], q[5_000], q.held(), q.len()),
            (1, 9, 9, PAGE, 2 * PAGE)
        );
        q[3] = 2;
        q.retire_page(0);
        assert_eq!((q[3], q.held()), (9, 0));
        // New pods keep taking fresh ids after retirement.
        a.push(pod(n as u32));
        assert_eq!(a[n].ordinal, n as u32);
    }
}
