//! Node failures as the node lifecycle controller sees them (k/k
//! `pkg/controller/nodelifecycle/node_lifecycle_controller.go`): timeline `FailNode` /
//! `RecoverNode`, the grace period before a silent node is marked NotReady, its `unreachable`
//! taints, pods that stay Terminating on a node that cannot confirm, and recovery.
//!
//! Owns: which nodes are down (`Cluster::nodes_down`), choosing random nodes of a pool from
//! its own random stream, the NotReady transition (Ready=Unknown, `MarkPodsNotReady`, the
//! `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints), holding back the end of
//! a termination on a down node, and undoing all of it on recovery. Does not own: when a pod's
//! toleration runs out (`taint_eviction`), the eviction (`Controllers::evict_for_taint`, which
//! replaces the pod at once), or restarting a pod's containers (the kubelet, through
//! `Effect::RestartPod`).
//!
//! Upstream rules followed:
//! - A node whose kubelet stops posting status and renewing its lease is marked
//!   `Ready=Unknown` once `--node-monitor-grace-period` has passed since the last heartbeat
//!   (`monitorNodeHealth`, `tryUpdateNodeHealth`); default 50 s since Kubernetes 1.32 (k/k PR
//!   #126287, `pkg/controller/nodelifecycle/config/v1alpha1/defaults.go`; 40 s before).
//!   Simplification: the last heartbeat is taken at the failure instant and the controller's
//!   5 s `--node-monitor-period` tick is not modelled, so NotReady comes exactly one grace
//!   period after the failure (docs/upstream.md).
//! - At that moment the controller marks the node's pods not Ready (`MarkPodsNotReady`) and
//!   taints the node `node.kubernetes.io/unreachable:NoExecute` (`doNoExecuteTaintingPass`,
//!   the taint-eviction controller then evicts by tolerations) and
//!   `node.kubernetes.io/unreachable:NoSchedule` (`doNoScheduleTaintingPass`), which keeps the
//!   scheduler's TaintToleration filter from placing pods there.
//! - A pod deleted while its node is unreachable keeps its deletionTimestamp and stays
//!   Terminating: only the kubelet (or the node's deletion, through pod GC) removes it. Its
//!   controller has already replaced it (`FilterActivePods`).
//! - When the node heartbeats again the controller sets Ready=True and removes both taints
//!   (`markNodeAsReachable`); scheduled taint evictions are cancelled (`processPodOnNode` sees
//!   no NoExecute taint).
//!
//! Model of a failure: the machine stops (a crash or power loss), so its kubelet runs nothing
//! while down: in-flight start steps of its pods go stale, pods bound to it in the grace
//! window are never started, and on recovery every pod still bound to it starts again from
//! its first container (images on disk are kept). Simplification: an image pull already on
//! the wire when the node fails finishes in the background.

use super::Controllers;
use super::node_actions;
use super::taint_eviction::UNREACHABLE_KEY;
use crate::effect::{Ctx, Effect, Event};
use crate::model::cluster::{NodeState, PodPhase};
use crate::model::selector::{Taint, TaintEffect};
use crate::model::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Failed nodes and the pods whose termination waits for them.
#[derive(Clone, Debug)]
pub struct NodeLifecycle {
    /// Draws the nodes of `FailNode(pool:, count:)` and the like.
    rng: ChaCha8Rng,
    /// Per down node, the generation of its current failure (stale grace events are dropped).
    generation: BTreeMap<NodeId, u32>,
    next_generation: u32,
    /// Pods whose grace period ended while their node was down: they leave at recovery.
    stuck: BTreeSet<PodId>,
}

impl NodeLifecycle {
    pub fn new(rng: ChaCha8Rng) -> Self {
        NodeLifecycle {
            rng,
            generation: BTreeMap::new(),
            next_generation: 0,
            stuck: BTreeSet::new(),
        }
    }

    /// Pods whose termination waits for their node to recover, in pod order.
    pub fn stuck(&self) -> impl Iterator<Item = PodId> + '_ {
        self.stuck.iter().copied()
    }
}

/// The registered nodes of `pool` (Ready or NotReady), in node order.
fn pool_nodes(cx: &Ctx, pool: PoolId) -> Vec<NodeId> {
    node_actions::resolve(cx.cluster, NodeTarget::Pool(pool))
}

/// `ceil(n × per_million / 10⁶)` without floating point.
pub fn fraction_of(n: usize, per_million: u32) -> usize {
    (n as u64 * per_million as u64).div_ceil(1_000_000) as usize
}

impl Controllers {
    /// The nodes a `FailNode` (`down` false: candidates are running nodes) or `RecoverNode`
    /// (`down` true: failed nodes) applies to, in node order. Random picks draw without
    /// replacement from the candidates in node order (a partial Fisher–Yates shuffle), so the
    /// same seed picks the same nodes; asking for more than there are takes them all.
    fn failure_targets(&mut self, cx: &Ctx, target: FailTarget, down: bool) -> Vec<NodeId> {
        let is_candidate = |n: &NodeId| cx.cluster.nodes_down.contains(n) == down;
        let (pool, want) = match target {
            FailTarget::Node { pool, ordinal } => {
                let mut v = node_actions::resolve(cx.cluster, NodeTarget::Node { pool, ordinal });
                v.retain(is_candidate);
                return v;
            }
            FailTarget::Count { pool, count } => (pool, count as usize),
            FailTarget::Fraction { pool, per_million } => {
                (pool, fraction_of(pool_nodes(cx, pool).len(), per_million))
            }
        };
        let mut candidates = pool_nodes(cx, pool);
        candidates.retain(is_candidate);
        let k = want.min(candidates.len());
        for i in 0..k {
            let j = self.lifecycle.rng.random_range(i..candidates.len());
            candidates.swap(i, j);
        }
        candidates.truncate(k);
        candidates.sort_unstable();
        candidates
    }

    /// Timeline `FailNode`: each chosen node stops now.
    pub fn fail_nodes(&mut self, cx: &mut Ctx, target: FailTarget) {
        for node in self.failure_targets(cx, target, false) {
            self.fail_node(cx, node);
        }
    }

    /// Timeline `RecoverNode`: each chosen failed node comes back now.
    pub fn recover_nodes(&mut self, cx: &mut Ctx, target: FailTarget) {
        for node in self.failure_targets(cx, target, true) {
            self.recover_node(cx, node);
        }
    }

    /// The node stops heartbeating and running pods. The control plane notices only after
    /// the grace period (`Event::NodeMonitorGrace`); until then the node looks Ready and may
    /// still get pods, which then wait for it.
    pub fn fail_node(&mut self, cx: &mut Ctx, node: NodeId) {
        if !cx.cluster.nodes_down.insert(node) {
            return;
        }
        let lc = &mut self.lifecycle;
        lc.next_generation += 1;
        let generation = lc.next_generation;
        lc.generation.insert(node, generation);
        // Its pods' in-flight start steps (pull results, start delays, probes, a Job's run)
        // go stale: nothing runs on a stopped machine.
        let mut pods = cx.cluster.pods_on[node.idx()].clone();
        pods.sort_unstable();
        for pod in pods {
            let p = &mut cx.cluster.pods[pod.idx()];
            if p.phase.is_live() {
                p.generation += 1;
            }
        }
        cx.push(Effect::NodeStopped(node));
        let grace = cx.spec.controllers.node_monitor_grace;
        cx.after(grace, Event::NodeMonitorGrace { node, generation });
    }

    /// The grace period after a failure ended: if the node is still down from that failure,
    /// it becomes NotReady (Ready=Unknown), its Ready pods are marked not Ready, and it gets
    /// the `unreachable` NoSchedule and NoExecute taints; pods without a long enough
    /// toleration are then evicted (now, or when their `tolerationSeconds` run out).
    pub fn node_monitor_grace(&mut self, cx: &mut Ctx, node: NodeId, generation: u32) {
        if self.lifecycle.generation.get(&node) != Some(&generation) {
            return;
        }
        let n = &mut cx.cluster.nodes[node.idx()];
        if n.state != NodeState::Ready {
            return;
        }
        n.state = NodeState::NotReady;
        let pool = n.pool;
        cx.cluster.ready_per_pool[pool.idx()] -= 1;
        cx.cluster.version += 1;
        // MarkPodsNotReady.
        let mut pods = cx.cluster.pods_on[node.idx()].clone();
        pods.sort_unstable();
        for pod in pods {
            let p = &mut cx.cluster.pods[pod.idx()];
            if p.phase == PodPhase::Ready {
                cx.rec.set_phase(p, PodPhase::Running);
            }
        }
        for effect in [TaintEffect::NoSchedule, TaintEffect::NoExecute] {
            node_actions::add_taint(cx, &[node], &Taint::new(UNREACHABLE_KEY, "", effect));
        }
        self.node_taints_changed(cx, node);
    }

    /// The node heartbeats again: Ready, its `unreachable` taints removed (scheduled
    /// evictions cancelled), pods whose termination waited for it leave, and every pod still
    /// bound to it starts again.
    pub fn recover_node(&mut self, cx: &mut Ctx, node: NodeId) {
        if !cx.cluster.nodes_down.remove(&node) {
            return;
        }
        self.lifecycle.generation.remove(&node);
        let n = &mut cx.cluster.nodes[node.idx()];
        if n.state == NodeState::NotReady {
            n.state = NodeState::Ready;
            let pool = n.pool;
            cx.cluster.ready_per_pool[pool.idx()] += 1;
            cx.cluster.version += 1;
            cx.cluster.note_node_eligible(node);
            node_actions::remove_taint(cx, &[node], UNREACHABLE_KEY, None);
            self.node_taints_changed(cx, node);
        }
        // The kubelet confirms the deletions it could not while down.
        let stuck: Vec<PodId> = self
            .lifecycle
            .stuck
            .iter()
            .copied()
            .filter(|p| cx.cluster.pods[p.idx()].node == Some(node))
            .collect();
        for pod in stuck {
            self.lifecycle.stuck.remove(&pod);
            let generation = cx.cluster.pods[pod.idx()].generation;
            self.pod_terminated(cx, pod, generation);
        }
        // The rest of its pods start again from their first container.
        let mut pods = cx.cluster.pods_on[node.idx()].clone();
        pods.sort_unstable();
        for pod in pods {
            let p = &mut cx.cluster.pods[pod.idx()];
            if !p.phase.is_live() {
                continue;
            }
            if p.phase != PodPhase::Starting {
                cx.rec.set_phase(p, PodPhase::Starting);
            }
            p.generation += 1;
            cx.push(Effect::RestartPod(pod));
        }
    }

    /// Whether a terminating pod's end must wait because its node is down; if so it is kept
    /// Terminating (holding its node's requests) until the node recovers or is deleted.
    pub(super) fn termination_waits_for_node(
        &mut self,
        cx: &Ctx,
        pod: PodId,
        generation: u32,
    ) -> bool {
        if cx.cluster.nodes_down.is_empty() {
            return false;
        }
        let p = &cx.cluster.pods[pod.idx()];
        let down = p.phase == PodPhase::Terminating
            && p.generation == generation
            && p.node.is_some_and(|n| cx.cluster.nodes_down.contains(&n));
        if down {
            self.lifecycle.stuck.insert(pod);
        }
        down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_of_a_pool_rounds_up() {
        // 0.5 of 3 nodes = 1.5 → 2; 0.25 of 4 = 1 exactly; 0.1 of 1 = 0.1 → 1; all of 7 = 7.
        assert_eq!(fraction_of(3, 500_000), 2);
        assert_eq!(fraction_of(4, 250_000), 1);
        assert_eq!(fraction_of(1, 100_000), 1);
        assert_eq!(fraction_of(7, 1_000_000), 7);
        assert_eq!(fraction_of(0, 1_000_000), 0);
    }
}
