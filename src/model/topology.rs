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
    /// (workload, node) → pods of the workload bound to the node.
    per_node: IdMap<u64, u32>,
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

    /// Pods of `w` on `node`.
    #[inline]
    pub fn on_node(&self, w: WorkloadId, node: NodeId) -> u32 {
        self.per_node.get(&key(w, node.0)).copied().unwrap_or(0)
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
        bump(&mut self.per_node, key(w, node.0), add);
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
}
