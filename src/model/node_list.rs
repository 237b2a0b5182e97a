//! The scheduler's node list: the nodes registered with the API server, in registration
//! order, with every operation a node event needs at most O(log n).
//!
//! Owns the order (the scheduler scans it from a rotating start, as upstream's
//! `nextStartNodeIndex` does), the runs of consecutive same-pool entries with their live
//! counts (a scan skips a pool that fails its static filters in one step, counting the run's
//! live nodes in O(1) from its first slot) and each node's position. Does not own what a
//! node is (`Cluster::nodes`) or when it registers (the simulation).
//!
//! Layout: `slots` is append-only between compactions. A node that leaves becomes a hole
//! (`HOLE`) instead of shifting every later entry, and a Fenwick tree over the live slots turns
//! a live index into a slot (`slot_of_live`) and counts live slots before one (`live_before`),
//! both O(log n). When holes outnumber live nodes the slots are compacted, O(slots), which at
//! least `slots / 2` removals have paid for since the last compaction: amortised O(1) per
//! removal. Runs are kept over slots, holes included (a hole keeps its pool), so a removal
//! never touches them; two runs of one pool separated by holes scan exactly as one would,
//! since a skip counts live nodes only.
//!
//! Readers see the live nodes only: `iter`, `len`, and in scans `slot`, which is `None` for a
//! hole.
//!
//! Blocks: the slots are also cut into fixed blocks of `BLOCK` slots, each with its live count
//! and two stamps of a clock that ticks on every change: when one of its nodes last gained
//! room (`block_grown`: a pod released, a node arriving, a compaction moving nodes in) and
//! when any of its nodes' sums last changed (`block_changed`, binds too). The scheduler
//! keeps, per block, the most room any of its nodes has, computed at some tick: that is
//! still an upper bound while the block has not grown since (a bind only takes room away),
//! so a scan skips a block in which no node can fit the pod, counting its live nodes as
//! processed. What a node's room is (its pool's allocatable) is the scheduler's business;
//! the list only says when a bound may have gone stale.

use super::{NodeId, PoolId};

/// A slot whose node has left.
const HOLE: NodeId = NodeId(u32::MAX);

/// Slots per block (module doc): a scan checks a block's room bound once per this many
/// slots, and a stale bound costs one more pass over this many nodes to recompute.
pub const BLOCK: usize = 64;

#[derive(Clone, Debug, Default)]
pub struct NodeList {
    /// Nodes in registration order, `HOLE` where one has left.
    slots: Vec<NodeId>,
    /// The pool of each slot's node (kept for holes: runs and compaction need it).
    slot_pool: Vec<PoolId>,
    /// For each slot, the run of consecutive same-pool slots it belongs to (an index into
    /// `run_ends`).
    run_of: Vec<u32>,
    /// For each run, the end (exclusive) of its range of slots.
    run_ends: Vec<u32>,
    /// For each run, its live slots: a scan skipping a whole run counts them without the
    /// Fenwick tree.
    run_live: Vec<u32>,
    /// Fenwick tree (1-based, `fenwick[i]` sums the live flags of slots `(i − lowbit(i), i]`).
    fenwick: Vec<u32>,
    /// Per node id, its slot while registered (`u32::MAX` otherwise).
    slot_of: Vec<u32>,
    live: usize,
    /// For each block of `BLOCK` slots, its live slots.
    block_live: Vec<u32>,
    /// For each block, `clock` when one of its nodes last gained room (module doc).
    block_grown: Vec<u64>,
    /// For each block, `clock` when one of its nodes' sums last changed, or a node left.
    block_changed: Vec<u64>,
    /// Ticks before every change the block stamps record, so every stamp is above 0 and a
    /// bound stamped 0 (never computed) is stale from the start.
    clock: u64,
}

impl NodeList {
    /// Live nodes.
    #[inline]
    pub fn len(&self) -> usize {
        self.live
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Slots, holes included: the bound of a scan by slot.
    #[inline]
    pub fn slots(&self) -> usize {
        self.slots.len()
    }

    /// The node in slot `s`, or `None` for a hole.
    #[inline]
    pub fn slot(&self, s: usize) -> Option<NodeId> {
        let n = self.slots[s];
        (n != HOLE).then_some(n)
    }

    /// The slots, holes included (test each entry with `is_hole`): for the scheduler's scan,
    /// whose bounds check is then also its wrap-around check.
    #[inline]
    pub fn raw_slots(&self) -> &[NodeId] {
        &self.slots
    }

    /// Whether a raw slot entry is a hole.
    #[inline]
    pub fn is_hole(n: NodeId) -> bool {
        n == HOLE
    }

    /// The end (exclusive) of the run of same-pool slots that slot `s` belongs to.
    #[inline]
    pub fn run_end(&self, s: usize) -> usize {
        self.run_ends[self.run_of[s] as usize] as usize
    }

    /// Live nodes in slots `s..run_end(s)`: the run's count when `s` starts its run (a scan
    /// reaching a run it skips), else through the Fenwick tree. O(1) or O(log n).
    #[inline]
    pub fn live_to_run_end(&self, s: usize) -> usize {
        if self.slots.len() == self.live {
            return self.run_end(s) - s;
        }
        let r = self.run_of[s] as usize;
        let start = if r == 0 {
            0
        } else {
            self.run_ends[r - 1] as usize
        };
        if s == start {
            self.run_live[r] as usize
        } else {
            self.live_before(self.run_end(s)) - self.live_before(s)
        }
    }

    /// Live nodes in slots `s..` the end of `s`'s block: the block's count when `s` starts
    /// it, else through the Fenwick tree. O(1) or O(log n).
    #[inline]
    pub fn live_to_block_end(&self, s: usize) -> usize {
        let end = (s / BLOCK * BLOCK + BLOCK).min(self.slots.len());
        if self.slots.len() == self.live {
            return end - s;
        }
        if s.is_multiple_of(BLOCK) {
            self.block_live[s / BLOCK] as usize
        } else {
            self.live_before(end) - self.live_before(s)
        }
    }

    /// The tick of the latest change the block stamps record: a room bound computed now is
    /// stamped with it.
    #[inline]
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// When one of block `b`'s nodes last gained room: a bound stamped before is stale.
    #[inline]
    pub fn block_grown(&self, b: usize) -> u64 {
        self.block_grown[b]
    }

    /// When block `b` last changed at all: a bound stamped since is as tight as it can be.
    #[inline]
    pub fn block_changed(&self, b: usize) -> u64 {
        self.block_changed[b]
    }

    /// Records that `id`'s sums changed: `grew` when it gained room (a release), else it
    /// only lost some (a bind). Nothing for a node not in the list. O(1).
    #[inline]
    pub fn note_sums_changed(&mut self, id: NodeId, grew: bool) {
        let Some(&s) = self.slot_of.get(id.idx()) else {
            return;
        };
        if s == u32::MAX {
            return;
        }
        self.clock += 1;
        let b = s as usize / BLOCK;
        self.block_changed[b] = self.clock;
        if grew {
            self.block_grown[b] = self.clock;
        }
    }

    /// Whether `id` is in the list.
    #[inline]
    pub fn contains(&self, id: NodeId) -> bool {
        self.slot_of.get(id.idx()).is_some_and(|&s| s != u32::MAX)
    }

    /// The live nodes in order.
    pub fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.slots.iter().copied().filter(|&n| n != HOLE)
    }

    /// Live nodes in slots `0..s`. O(log n).
    pub fn live_before(&self, s: usize) -> usize {
        if self.slots.len() == self.live {
            return s;
        }
        let mut i = s;
        let mut sum = 0usize;
        while i > 0 {
            sum += self.fenwick[i - 1] as usize;
            i &= i - 1;
        }
        sum
    }

    /// The slot of the `k`-th live node (0-based; `k < len()`). O(log n).
    pub fn slot_of_live(&self, k: usize) -> usize {
        debug_assert!(k < self.live);
        if self.slots.len() == self.live {
            return k;
        }
        let n = self.fenwick.len();
        let mut pos = 0usize;
        let mut rem = k;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && (self.fenwick[next - 1] as usize) <= rem {
                pos = next;
                rem -= self.fenwick[next - 1] as usize;
            }
            step >>= 1;
        }
        pos
    }

    /// Appends `id` (of `pool`). O(log n): the new Fenwick entry sums the entries it covers.
    pub fn push(&mut self, id: NodeId, pool: PoolId) {
        if self.slot_of.len() <= id.idx() {
            self.slot_of.resize(id.idx() + 1, u32::MAX);
        }
        if self.slot_of[id.idx()] != u32::MAX {
            return;
        }
        self.slot_of[id.idx()] = self.slots.len() as u32;
        self.append_slot(id, pool);
        self.live += 1;
    }

    fn append_slot(&mut self, id: NodeId, pool: PoolId) {
        // A node arriving gives its block room.
        if self.slots.len().is_multiple_of(BLOCK) {
            self.block_live.push(0);
            self.block_grown.push(0);
            self.block_changed.push(0);
        }
        let b = self.slots.len() / BLOCK;
        self.clock += 1;
        self.block_live[b] += (id != HOLE) as u32;
        self.block_grown[b] = self.clock;
        self.block_changed[b] = self.clock;
        let same_pool = self.slot_pool.last() == Some(&pool);
        self.slots.push(id);
        self.slot_pool.push(pool);
        if same_pool {
            let r = *self.run_of.last().expect("runs follow slots");
            self.run_of.push(r);
            self.run_ends[r as usize] += 1;
            self.run_live[r as usize] += (id != HOLE) as u32;
        } else {
            self.run_of.push(self.run_ends.len() as u32);
            self.run_ends.push(self.slots.len() as u32);
            self.run_live.push((id != HOLE) as u32);
        }
        // Fenwick entry i (1-based) covers (i − lowbit(i), i]: this slot plus the entries
        // that tile (i − lowbit(i), i − 1].
        let i = self.slots.len();
        let low = i - (i & (i - 1));
        let mut sum = (id != HOLE) as u32;
        let mut j = i - 1;
        while j > i - low {
            sum += self.fenwick[j - 1];
            j &= j - 1;
        }
        self.fenwick.push(sum);
    }

    /// Removes `id`, keeping the order of the others. O(log n), plus an amortised O(1)
    /// compaction. Returns whether it was in the list.
    pub fn remove(&mut self, id: NodeId) -> bool {
        let Some(&s) = self.slot_of.get(id.idx()) else {
            return false;
        };
        if s == u32::MAX {
            return false;
        }
        self.slot_of[id.idx()] = u32::MAX;
        self.slots[s as usize] = HOLE;
        self.run_live[self.run_of[s as usize] as usize] -= 1;
        // A bound over more nodes still bounds the rest: the block has not grown.
        let b = s as usize / BLOCK;
        self.block_live[b] -= 1;
        self.clock += 1;
        self.block_changed[b] = self.clock;
        let mut i = s as usize + 1;
        while i <= self.fenwick.len() {
            self.fenwick[i - 1] -= 1;
            i += i & i.wrapping_neg();
        }
        self.live -= 1;
        if self.slots.len() - self.live > self.live {
            self.compact();
        }
        true
    }

    /// Drops the holes. O(slots).
    fn compact(&mut self) {
        let slots = std::mem::take(&mut self.slots);
        let pools = std::mem::take(&mut self.slot_pool);
        self.run_of.clear();
        self.run_ends.clear();
        self.run_live.clear();
        self.fenwick.clear();
        // Nodes move to other blocks: every block is new (`append_slot` stamps it grown).
        self.block_live.clear();
        self.block_grown.clear();
        self.block_changed.clear();
        for (id, pool) in slots.into_iter().zip(pools) {
            if id != HOLE {
                self.slot_of[id.idx()] = self.slots.len() as u32;
                self.append_slot(id, pool);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(pools: &[usize]) -> NodeList {
        let mut l = NodeList::default();
        for (i, &p) in pools.iter().enumerate() {
            l.push(NodeId::from_idx(i), PoolId::from_idx(p));
        }
        l
    }

    fn live(l: &NodeList) -> Vec<usize> {
        l.iter().map(|n| n.idx()).collect()
    }

    #[test]
    fn a_removed_node_leaves_a_hole_that_scans_and_counts_skip() {
        // Nodes 0..=5 of pools a a b b a c; removing 1 and 3 leaves live 0 2 4 5 in slots
        // 0 2 4 5 (2 holes ≤ 4 live: no compaction yet).
        let mut l = list(&[0, 0, 1, 1, 0, 2]);
        assert!(l.remove(NodeId::from_idx(1)));
        assert!(l.remove(NodeId::from_idx(3)));
        assert_eq!(live(&l), [0, 2, 4, 5]);
        assert_eq!((l.len(), l.slots()), (4, 6));
        assert_eq!(l.slot(1), None);
        // Live index k → slot: 0→0, 1→2, 2→4, 3→5; live nodes before slot s: prefix counts.
        let slots: Vec<usize> = (0..4).map(|k| l.slot_of_live(k)).collect();
        assert_eq!(slots, [0, 2, 4, 5]);
        let before: Vec<usize> = (0..=6).map(|s| l.live_before(s)).collect();
        assert_eq!(before, [0, 1, 1, 2, 2, 3, 4]);
        // Runs are over slots, holes keeping their pool: a a | b b | a | c.
        let ends: Vec<usize> = (0..6).map(|s| l.run_end(s)).collect();
        assert_eq!(ends, [2, 2, 4, 4, 5, 6]);
        // A node removed twice, or never added, changes nothing.
        assert!(!l.remove(NodeId::from_idx(3)));
        assert!(!l.remove(NodeId::from_idx(9)));
        assert_eq!(l.len(), 4);
    }

    #[test]
    fn holes_outnumbering_live_nodes_are_compacted_away() {
        // 0..=4 of pools a a b a a; removing 1 and 2 leaves 2 holes ≤ 3 live; removing 3
        // makes 3 holes > 2 live: compaction leaves 0 4 in slots 0 1, one run of pool a.
        let mut l = list(&[0, 0, 1, 0, 0]);
        l.remove(NodeId::from_idx(1));
        l.remove(NodeId::from_idx(2));
        assert_eq!(l.slots(), 5);
        l.remove(NodeId::from_idx(3));
        assert_eq!(live(&l), [0, 4]);
        assert_eq!(l.slots(), 2);
        assert_eq!((l.run_end(0), l.run_end(1)), (2, 2));
        assert_eq!((l.slot_of_live(0), l.slot_of_live(1)), (0, 1));
        // A node appended after compaction extends the run; its slot is found again.
        l.push(NodeId::from_idx(7), PoolId::from_idx(0));
        assert_eq!(live(&l), [0, 4, 7]);
        assert_eq!(l.run_end(2), 3);
        assert!(l.remove(NodeId::from_idx(4)));
        assert_eq!(live(&l), [0, 7]);
        // Removing everything empties it.
        l.remove(NodeId::from_idx(0));
        l.remove(NodeId::from_idx(7));
        assert!(l.is_empty());
        assert_eq!(l.slots(), 0);
    }

    #[test]
    fn block_stamps_say_when_a_room_bound_may_be_stale() {
        // 130 nodes: blocks 0 (slots 0..64), 1 (64..128), 2 (128..130).
        let mut l = list(&[0; 130]);
        let t0 = l.clock();
        // Every block was stamped grown when its nodes arrived, before now.
        assert!((0..3).all(|b| l.block_grown(b) <= t0 && l.block_grown(b) > 0));
        // A bind on node 70 (block 1) changes the block without growing it.
        l.note_sums_changed(NodeId::from_idx(70), false);
        assert_eq!((l.block_grown(1) <= t0, l.block_changed(1)), (true, t0 + 1));
        // A release on node 3 (block 0) grows it; other blocks keep their stamps.
        l.note_sums_changed(NodeId::from_idx(3), true);
        assert_eq!((l.block_grown(0), l.block_changed(0)), (t0 + 2, t0 + 2));
        assert!(l.block_grown(2) <= t0);
        // A node leaving changes its block (one live node fewer) but does not grow it.
        l.remove(NodeId::from_idx(129));
        assert_eq!((l.block_changed(2), l.live_to_block_end(128)), (t0 + 3, 1));
        assert!(l.block_grown(2) <= t0);
        // A node arriving grows the block it lands in; a node not in the list stamps nothing.
        l.push(NodeId::from_idx(200), PoolId::from_idx(0));
        assert_eq!(l.block_grown(2), t0 + 4);
        l.note_sums_changed(NodeId::from_idx(129), true);
        assert_eq!(l.clock(), t0 + 4);
        // Compaction moves nodes between blocks: every block is grown after it. 131 slots
        // hold 130 live nodes and the hole of 129; the 65th removal leaves 66 holes > 65
        // live, compacted to 65 slots; 5 more removals leave 60 live in them.
        for i in 0..70 {
            l.remove(NodeId::from_idx(i));
        }
        assert_eq!((l.slots(), l.len()), (65, 60));
        let t1 = l.clock();
        assert!(
            (0..l.slots().div_ceil(BLOCK))
                .all(|b| l.block_grown(b) > t0 + 4 && l.block_grown(b) <= t1)
        );
    }

    #[test]
    fn rank_and_select_agree_with_a_plain_scan_under_random_removals() {
        // Against the obvious O(n) model (a Vec with `retain`): after every change the live
        // order, `slot_of_live` and `live_before` match it.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut l = NodeList::default();
        let mut model: Vec<usize> = Vec::new();
        let mut next = 0usize;
        for _ in 0..3000 {
            if model.is_empty() || rng.random_bool(0.55) {
                l.push(
                    NodeId::from_idx(next),
                    PoolId::from_idx(rng.random_range(0..3)),
                );
                model.push(next);
                next += 1;
            } else {
                let k = rng.random_range(0..model.len());
                assert!(l.remove(NodeId::from_idx(model.remove(k))));
            }
            assert_eq!(live(&l), model);
            if !model.is_empty() {
                let k = rng.random_range(0..model.len());
                let s = l.slot_of_live(k);
                assert_eq!(l.slot(s).map(|n| n.idx()), Some(model[k]));
                assert_eq!(l.live_before(s), k);
                // Live nodes from the slot to its run's end, and from its run's start (the
                // O(1) case), as the model counts them.
                let end = l.run_end(s);
                let live_in = |a: usize, b: usize| (a..b).filter(|&x| l.slot(x).is_some()).count();
                assert_eq!(l.live_to_run_end(s), live_in(s, end));
                let r = l.run_of[s] as usize;
                let start = if r == 0 {
                    0
                } else {
                    l.run_ends[r - 1] as usize
                };
                assert_eq!(l.live_to_run_end(start), live_in(start, end));
                // And to its block's end, from the slot and from the block's start.
                let b0 = s / BLOCK * BLOCK;
                let b1 = (b0 + BLOCK).min(l.slots());
                assert_eq!(l.live_to_block_end(s), live_in(s, b1));
                assert_eq!(l.live_to_block_end(b0), live_in(b0, b1));
            }
            assert!(l.slots() <= 2 * l.len() + 1);
        }
    }
}
