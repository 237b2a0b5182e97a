//! Timeline actions on nodes: cordon, uncordon, add and remove taints, on one node by name or
//! on every node of a pool (`kubectl cordon`, `kubectl taint nodes`, with `-l agentpool=POOL`
//! for a pool).
//!
//! Owns: resolving a target to the nodes that exist when the action runs, and changing their
//! `spec.unschedulable` and taints. Does not own: what those mean to the scheduler (the
//! NodeUnschedulable and TaintToleration plugins) or which pods a NoExecute taint evicts
//! (`taint_eviction`); the controllers call it after a taint change.
//!
//! A node that becomes less restrictive (uncordoned, a taint removed) is reported as
//! `Effect::NodeUpdated`, the cluster event the scheduling queue's hints act on; becoming more
//! restrictive never makes a parked pod schedulable, so it is not reported. Every change bumps
//! `Cluster::version`, so no failure cached by the scheduler outlives it.

use crate::effect::{Ctx, Effect};
use crate::model::cluster::{Cluster, NodeState};
use crate::model::selector::{Taint, TaintEffect};
use crate::model::*;

/// The registered nodes (Ready or NotReady) the target names now, in node order. A name whose
/// node does not exist (not yet created, or deleted) resolves to nothing.
pub fn resolve(cl: &Cluster, target: NodeTarget) -> Vec<NodeId> {
    let live = |n: &NodeId| {
        matches!(
            cl.nodes[n.idx()].state,
            NodeState::Ready | NodeState::NotReady
        )
    };
    // From the pool's own node list (ordinal order is node order within a pool): a name is a
    // binary search, a pool its own nodes, never every node of the cluster.
    match target {
        NodeTarget::Node { pool, ordinal } => cl
            .node_by_ordinal(pool, ordinal)
            .filter(live)
            .into_iter()
            .collect(),
        NodeTarget::Pool(pool) => cl.pool_nodes(pool).iter().copied().filter(live).collect(),
    }
}

/// Sets `spec.unschedulable` on `nodes`; returns the nodes whose state changed.
pub fn set_cordon(cx: &mut Ctx, nodes: &[NodeId], cordoned: bool) -> Vec<NodeId> {
    let mut changed = Vec::new();
    for &n in nodes {
        let node = &mut cx.cluster.nodes[n.idx()];
        if node.cordoned != cordoned {
            node.cordoned = cordoned;
            changed.push(n);
        }
    }
    if !changed.is_empty() {
        cx.cluster.version += 1;
    }
    if !cordoned {
        for &n in &changed {
            cx.push(Effect::NodeUpdated(n));
        }
    }
    changed
}

/// Adds `taint` to `nodes`; returns the nodes whose taints changed.
pub fn add_taint(cx: &mut Ctx, nodes: &[NodeId], taint: &Taint) -> Vec<NodeId> {
    let spec = cx.spec;
    let mut changed = Vec::new();
    for &n in nodes {
        let pool = &spec.pool(cx.cluster.nodes[n.idx()].pool).taints;
        if cx.cluster.taint_overlay.add(n, pool, taint) {
            // A new value of a taint already there may be one a DaemonSet tolerates.
            cx.cluster.note_node_eligible(n);
            changed.push(n);
        }
    }
    if !changed.is_empty() {
        cx.cluster.version += 1;
    }
    changed
}

/// Removes the taints with `key` (and `effect`, if given) from `nodes`; returns the nodes
/// whose taints changed.
pub fn remove_taint(
    cx: &mut Ctx,
    nodes: &[NodeId],
    key: &str,
    effect: Option<TaintEffect>,
) -> Vec<NodeId> {
    let spec = cx.spec;
    let mut changed = Vec::new();
    for &n in nodes {
        let pool = &spec.pool(cx.cluster.nodes[n.idx()].pool).taints;
        if cx.cluster.taint_overlay.remove(n, pool, key, effect) {
            cx.cluster.note_node_eligible(n);
            changed.push(n);
        }
    }
    if !changed.is_empty() {
        cx.cluster.version += 1;
    }
    for &n in &changed {
        cx.push(Effect::NodeUpdated(n));
    }
    changed
}

/// The node lifecycle controller's answer to the kubelet's DiskPressure condition
/// (`TaintNodesByCondition`): the `node.kubernetes.io/disk-pressure:NoSchedule` taint on while
/// the condition holds, off when it clears.
pub fn set_disk_pressure(cx: &mut Ctx, node: NodeId, on: bool) {
    use crate::model::labels::DISK_PRESSURE_TAINT;
    if on {
        let taint = Taint::new(DISK_PRESSURE_TAINT, "", TaintEffect::NoSchedule);
        add_taint(cx, &[node], &taint);
    } else {
        remove_taint(
            cx,
            &[node],
            DISK_PRESSURE_TAINT,
            Some(TaintEffect::NoSchedule),
        );
    }
}
