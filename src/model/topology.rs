//! Topology domains of nodes (zones) and the pod counts per workload and domain that
//! PodTopologySpread reads: pods of one workload per node (upstream's
//! `NodeInfo.PodsWithOwnerRef`) and per zone.
//!
//! Owns: the zone table (which zone each node is in, from its pool's `zones` and its ordinal)
//! and the counts, kept up to date by `Cluster::bind`/`release` so no scheduling cycle has to
//! walk the pods. Does not own: how the counts become filter verdicts or scores
//! (`scheduler::plugins::pod_topology_spread`).

use super::{NodeId, PoolId, Spec, WorkloadId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A zone: an index into `SpreadCounts::zone_names` (sorted by name).
pub type ZoneId = u16;

/// Multiplicative hashing of one integer key (the keys are dense small ids, which SipHash
/// would spend most of a lookup on). Only lookups use these maps; nothing iterates them, so
/// the order of the hash never reaches an output.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 ^= self.0 >> 29;
    }
}

pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

fn key(w: WorkloadId, other: u32) -> u64 {
    ((w.0 as u64) << 32) | other as u64
}

/// Zones of the scenario and per-workload pod counts per node and per zone.
#[derive(Default, Clone, Debug)]
pub struct SpreadCounts {
    /// Every zone any pool names, sorted.
    pub zone_names: Vec<String>,
    /// Per pool, the zones its nodes are spread over, round-robin by node ordinal.
    pool_zones: Vec<Vec<ZoneId>>,
    /// Per workload (grown on first use), until it has a `dense` table: the nodes holding
    /// its pods with their counts, unordered. A scoring cycle spreads these over a table of
    /// its own (`nodes_of`) where a map would be probed at random once per scored node.
    sparse: Vec<Vec<(NodeId, u32)>>,
    /// Per workload: its pods per node id, once it has held `dense_from` pods; empty
    /// before. Then a count is one read, and updates need no search of a long list.
    dense: Vec<Vec<u32>>,
    /// Per workload: pods bound now (decides when it gets a dense table).
    bound: Vec<u32>,
    /// One more than the highest node id counted so far.
    nodes: u32,
    /// (workload, zone) → pods of the workload bound to nodes of the zone.
    per_zone: IdMap<u64, u32>,
}

impl SpreadCounts {
    /// The zone table of `spec`, with no pods counted.
    pub fn new(spec: &Spec) -> SpreadCounts {
        let mut zone_names: Vec<String> = spec
            .pools
            .iter()
            .flat_map(|p| p.zones.iter().cloned())
            .collect();
        zone_names.sort();
        zone_names.dedup();
        let pool_zones = spec
            .pools
            .iter()
            .map(|p| {
                p.zones
                    .iter()
                    .map(|z| zone_names.binary_search(z).expect("collected above") as ZoneId)
                    .collect()
            })
            .collect();
        SpreadCounts {
            zone_names,
            pool_zones,
            ..Default::default()
        }
    }

    /// The zone of the node with this pool and per-pool ordinal: the pool's zones in turn,
    /// so a pool of 3 zones puts nodes 0, 3, 6… in its first zone. None when the pool has no
    /// zone (the node has no `topology.kubernetes.io/zone` label).
    #[inline]
    pub fn zone_of(&self, pool: PoolId, ordinal: u32) -> Option<ZoneId> {
        let z = self.pool_zones.get(pool.idx())?;
        if z.is_empty() {
            None
        } else {
            Some(z[ordinal as usize % z.len()])
        }
    }

    /// Whether some pool spreads its nodes over more than one zone, so the zone label is not
    /// the same on every node of a pool.
    pub fn multi_zone_pools(&self) -> bool {
        self.pool_zones.iter().any(|z| z.len() > 1)
    }

    pub fn zone_count(&self) -> usize {
        self.zone_names.len()
    }

    /// Pods of `w` on `node` (a scan of `w`'s nodes while it has no dense table: for tests
    /// and checks; a scoring cycle reads `nodes_of`).
    pub fn on_node(&self, w: WorkloadId, node: NodeId) -> u32 {
        match self.nodes_of(w) {
            Some(list) => list
                .iter()
                .find(|&&(n, _)| n == node)
                .map_or(0, |&(_, c)| c),
            None => self.dense[w.idx()].get(node.idx()).copied().unwrap_or(0),
        }
    }

    /// The nodes holding pods of `w` and how many, unordered, while `w` has no dense table
    /// (then None: read `on_node`, one load per node).
    #[inline]
    pub fn nodes_of(&self, w: WorkloadId) -> Option<&[(NodeId, u32)]> {
        match self.dense.get(w.idx()) {
            Some(d) if !d.is_empty() => None,
            _ => Some(self.sparse.get(w.idx()).map_or(&[], |l| l.as_slice())),
        }
    }

    /// A workload gets a dense table at this many pods: 1/16 of the node ids seen, at least
    /// 64. A table costs 4 B per node id, so all of them together cost at most 64 B per pod
    /// bound at the time each was made; below it, a workload's node list is short enough to
    /// search on each bind and release.
    fn dense_from(&self) -> u32 {
        (self.nodes / 16).max(64)
    }

    /// Moves `w`'s per-node counts from its list into a dense table (once per workload: the
    /// table stays when the workload shrinks).
    #[cold]
    fn make_dense(&mut self, w: WorkloadId) {
        let mut d = vec![0u32; self.nodes as usize];
        for (n, c) in std::mem::take(&mut self.sparse[w.idx()]) {
            d[n.idx()] = c;
        }
        self.dense[w.idx()] = d;
    }

    /// Pods of `w` on nodes of `zone`.
    #[inline]
    pub fn in_zone(&self, w: WorkloadId, zone: ZoneId) -> u32 {
        self.per_zone
            .get(&key(w, zone as u32))
            .copied()
            .unwrap_or(0)
    }

    /// Counts a pod of `w` bound to (`add`) or released from a node.
    pub fn update(&mut self, w: WorkloadId, node: NodeId, zone: Option<ZoneId>, add: bool) {
        fn bump(m: &mut IdMap<u64, u32>, k: u64, add: bool) {
            if add {
                *m.entry(k).or_insert(0) += 1;
            } else if let Some(c) = m.get_mut(&k) {
                *c -= 1;
                if *c == 0 {
                    m.remove(&k);
                }
            }
        }
        if self.dense.len() <= w.idx() {
            self.dense.resize(w.idx() + 1, Vec::new());
            self.sparse.resize(w.idx() + 1, Vec::new());
            self.bound.resize(w.idx() + 1, 0);
        }
        self.nodes = self.nodes.max(node.0 + 1);
        if add {
            self.bound[w.idx()] += 1;
        } else {
            self.bound[w.idx()] -= 1;
        }
        if self.dense[w.idx()].is_empty() && add && self.bound[w.idx()] >= self.dense_from() {
            self.make_dense(w);
        }
        let d = &mut self.dense[w.idx()];
        if d.is_empty() {
            let list = &mut self.sparse[w.idx()];
            match list.iter().position(|&(n, _)| n == node) {
                Some(i) if add => list[i].1 += 1,
                Some(i) => {
                    list[i].1 -= 1;
                    if list[i].1 == 0 {
                        list.swap_remove(i);
                    }
                }
                None if add => list.push((node, 1)),
                None => {}
            }
        } else {
            if d.len() <= node.idx() {
                d.resize(self.nodes as usize, 0);
            }
            if add {
                d[node.idx()] += 1;
            } else {
                d[node.idx()] -= 1;
            }
        }
        if let Some(z) = zone {
            bump(&mut self.per_zone, key(w, z as u32), add);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_binds_and_releases_per_node_and_zone() {
        let mut s = SpreadCounts {
            zone_names: vec!["a".into(), "b".into()],
            pool_zones: vec![vec![0, 1]],
            ..Default::default()
        };
        let w = WorkloadId(7);
        // Ordinals 0, 1, 2 of a two-zone pool are in zones a, b, a.
        assert_eq!(s.zone_of(PoolId(0), 0), Some(0));
        assert_eq!(s.zone_of(PoolId(0), 1), Some(1));
        assert_eq!(s.zone_of(PoolId(0), 2), Some(0));
        s.update(w, NodeId(0), Some(0), true);
        s.update(w, NodeId(0), Some(0), true);
        s.update(w, NodeId(2), Some(0), true);
        s.update(WorkloadId(8), NodeId(2), Some(0), true);
        // Two pods on node 0, one on node 2, all three in zone a; another workload's pod is
        // counted apart.
        assert_eq!(s.on_node(w, NodeId(0)), 2);
        assert_eq!(s.on_node(w, NodeId(2)), 1);
        assert_eq!(s.in_zone(w, 0), 3);
        assert_eq!(s.in_zone(w, 1), 0);
        s.update(w, NodeId(0), Some(0), false);
        assert_eq!(s.on_node(w, NodeId(0)), 1);
        assert_eq!(s.in_zone(w, 0), 2);
        // A pool without zones puts its nodes in none.
        assert_eq!(s.zone_of(PoolId(1), 0), None);
    }

    #[test]
    fn a_large_workload_s_counts_move_to_a_dense_table_and_stay_the_same() {
        let mut s = SpreadCounts::default();
        let w = WorkloadId(3);
        // 100 node ids seen (node 99 counted for another workload): the threshold is
        // max(100 / 16, 64) = 64 pods. Pods of w go round-robin on nodes 0..10.
        s.update(WorkloadId(0), NodeId(99), None, true);
        for i in 0..63u32 {
            s.update(w, NodeId(i % 10), None, true);
        }
        assert_eq!(
            s.nodes_of(w).map(<[_]>::len),
            Some(10),
            "63 pods: still a list"
        );
        // 63 pods round-robin on 10 nodes: nodes 0, 1, 2 hold 7, the others 6.
        assert_eq!(s.on_node(w, NodeId(2)), 7);
        assert_eq!(s.on_node(w, NodeId(3)), 6);
        s.update(w, NodeId(3), None, true);
        // The 64th pod makes the table: node 3 now 7, and w's list is gone.
        assert!(!s.dense[w.idx()].is_empty());
        assert_eq!(s.on_node(w, NodeId(3)), 7);
        assert_eq!(s.on_node(w, NodeId(2)), 7);
        assert_eq!(s.on_node(w, NodeId(9)), 6);
        assert!(
            s.nodes_of(w).is_none() && s.sparse[w.idx()].is_empty(),
            "w left its list"
        );
        // A node id past the table (a node created later) counts from 0.
        assert_eq!(s.on_node(w, NodeId(500)), 0);
        s.update(w, NodeId(500), None, true);
        assert_eq!(s.on_node(w, NodeId(500)), 1);
        s.update(w, NodeId(500), None, false);
        s.update(w, NodeId(0), None, false);
        assert_eq!((s.on_node(w, NodeId(500)), s.on_node(w, NodeId(0))), (0, 6));
        // The other workload is untouched.
        assert_eq!(s.on_node(WorkloadId(0), NodeId(99)), 1);
    }
}
