//! Room bounds per block of the node list, so a scan steps over blocks in which no node can
//! fit the pod.
//!
//! Owns, for each block of `node_list::BLOCK` slots, the most free cpu, memory and pod slots
//! any one of its live nodes had (each resource's maximum on its own: several nodes may
//! supply them), and the node list's clock when that was computed. Does not own when a
//! block's nodes change (the node list stamps that) or the scan itself (`Scheduler::scan`).
//!
//! Why a skip is exact: `SumsFit::fits` accepts a node only when its free cpu, memory and pod
//! slots (allocatable − requested) each cover the pod's request. If a block's bound is
//! still an upper bound of every node's free amounts and some resource's bound is below the
//! request, no node of the block fits, and the scan may count its live nodes as processed
//! without reading them: same nodes found, same processed count. A bound stays an upper
//! bound until one of the block's nodes gains room (`NodeList::block_grown` after the
//! stamp); binds only take room away, and a node leaving only shrinks the set.
//!
//! Bounds are computed lazily, after a scan read a whole block and found nothing in it
//! (the bound, stale or loose, did not stop it), and only when something changed in the
//! block since the last computation. A replay in which every block has room never computes
//! one; its cost there is one check per block.

use crate::model::cluster::Cluster;
use crate::model::node_list::{BLOCK, NodeList};
use crate::model::{Res, Spec};

#[derive(Clone, Copy, Debug, Default)]
struct Bound {
    /// The most free cpu, memory and pods of any live node of the block, each on its own.
    room: Res,
    /// `NodeList::clock` when `room` was computed (0: never).
    at: u64,
}

#[derive(Debug, Default)]
pub(super) struct BlockRooms {
    bounds: Vec<Bound>,
}

impl BlockRooms {
    /// Whether block `b` may hold a node with `need` free (cpu, memory, pods): false only
    /// when its bound is current and some resource's maximum is below the need.
    #[inline]
    pub fn may_fit(&self, list: &NodeList, b: usize, need: Res) -> bool {
        match self.bounds.get(b) {
            Some(bound) if list.block_grown(b) <= bound.at => {
                let r = bound.room;
                r.pods >= need.pods && r.cpu_m >= need.cpu_m && r.mem >= need.mem
            }
            _ => true,
        }
    }

    /// Recomputes block `b`'s bound from its nodes, unless nothing changed in it since the
    /// last computation (the bound is then exact already). O(BLOCK).
    pub fn tighten(&mut self, spec: &Spec, cluster: &Cluster, b: usize) {
        let list = &cluster.registered;
        if self.bounds.len() <= b {
            self.bounds
                .resize(list.slots().div_ceil(BLOCK).max(b + 1), Bound::default());
        }
        if self.bounds[b].at >= list.block_changed(b) {
            return;
        }
        let slots = list.raw_slots();
        let block = &slots[b * BLOCK..(b * BLOCK + BLOCK).min(slots.len())];
        let mut room = Res::default();
        for &node in block {
            if NodeList::is_hole(node) {
                continue;
            }
            let n = cluster.node(node);
            let alloc = spec.pool(n.pool).allocatable;
            room.cpu_m = room
                .cpu_m
                .max(alloc.cpu_m.saturating_sub(n.requested.cpu_m));
            room.mem = room.mem.max(alloc.mem.saturating_sub(n.requested.mem));
            room.pods = room.pods.max(alloc.pods.saturating_sub(n.requested.pods));
        }
        self.bounds[b] = Bound {
            room,
            at: list.clock(),
        };
    }
}
