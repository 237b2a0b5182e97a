//! Run-time invariants of a simulation, checked when asked (`RunOptions::check_invariants`,
//! `hybridsim run --check-invariants`, and every test of the bundled scenarios). A violation
//! is a bug in hybridsim, never a property of the scenario, so it is reported as a list of
//! messages rather than handled.
//!
//! Checked: time never goes backwards (every pop); a pod is bound only to a Ready node and
//! never beyond the node's allocatable (every bind); and at every sample and at the end, the
//! per-node request sums equal the sums over the pods bound there, the pod lifecycle is
//! conserved (every pod created is in exactly one phase, and the recorder's live counts agree
//! with the arena), and each DaemonSet's index of covered nodes equals the brute-force one
//! (`controllers::daemon_index`).

use crate::metrics::{Recorder, phase_index};
use crate::model::Spec;
use crate::model::cluster::{Cluster, NodeState, PodPhase};
use crate::model::{NodeId, PodId, Res};

/// Violations found so far (empty when all invariants held).
#[derive(Default, Debug)]
pub struct Invariants {
    pub violations: Vec<String>,
    last_time: u64,
}

/// At most this many messages are kept: one broken invariant tends to repeat every event.
const MAX_KEPT: usize = 50;

impl Invariants {
    fn fail(&mut self, msg: String) {
        if self.violations.len() < MAX_KEPT {
            self.violations.push(msg);
        }
    }

    /// An event popped at `t`.
    pub fn popped(&mut self, t: u64) {
        if t < self.last_time {
            self.fail(format!(
                "time went backwards: {t} ms after {} ms",
                self.last_time
            ));
        }
        self.last_time = t;
    }

    /// `pod` was just bound to `node` (its requests already added).
    pub fn bound(&mut self, spec: &Spec, cl: &Cluster, pod: PodId, node: NodeId, now: u64) {
        let n = cl.node(node);
        if n.state != NodeState::Ready {
            self.fail(format!(
                "{now} ms: pod {} bound to node {} in state {:?}",
                pod.0,
                cl.node_name(spec, node),
                n.state
            ));
        }
        let a = spec.pool(n.pool).allocatable;
        if n.requested.cpu_m > a.cpu_m || n.requested.mem > a.mem || n.requested.pods > a.pods {
            self.fail(format!(
                "{now} ms: node {} over-committed after binding pod {}: requested {:?} > \
                 allocatable {:?}",
                cl.node_name(spec, node),
                pod.0,
                n.requested,
                a
            ));
        }
    }

    /// Violations found by another component's own check at `now`.
    pub fn add(&mut self, now: u64, found: Vec<String>) {
        for m in found {
            self.fail(format!("{now} ms: {m}"));
        }
    }

    /// Whole-state checks: O(nodes + pods). `retired`: pods per phase of the pods the arena
    /// gave back (`Simulation::retire_finished`), which still count as created.
    pub fn full(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        rec: &Recorder,
        retired: &[u64; PodPhase::COUNT],
        now: u64,
    ) {
        for (i, n) in cl.nodes.iter().enumerate() {
            let pinned = cl.pods_on[i]
                .iter()
                .filter(|&&p| cl.pod(p).pinned.is_some())
                .count();
            if cl.pinned_on[i] as usize != pinned {
                self.fail(format!(
                    "{now} ms: node {i} counts {} pinned pods but holds {pinned}",
                    cl.pinned_on[i]
                ));
            }
            let mut sum = Res::default();
            for &p in &cl.pods_on[i] {
                let pod = cl.pod(p);
                if pod.node != Some(NodeId::from_idx(i)) || !pod.phase.holds_node() {
                    self.fail(format!(
                        "{now} ms: pod {} listed on node {i} but bound to {:?} in phase {:?}",
                        p.0, pod.node, pod.phase
                    ));
                }
                let r = spec.template(pod.template).requests;
                sum.cpu_m += r.cpu_m;
                sum.mem += r.mem;
                sum.pods += 1;
            }
            if sum != n.requested {
                self.fail(format!(
                    "{now} ms: node {} requests {:?} but its pods sum to {:?}",
                    cl.node_name(spec, NodeId::from_idx(i)),
                    n.requested,
                    sum
                ));
            }
        }
        let mut counts = retired.map(|c| c as u32);
        for p in &cl.pods {
            counts[phase_index(p.phase)] += 1;
            if p.phase.holds_node() && p.phase != PodPhase::Pending && p.node.is_none() {
                self.fail(format!(
                    "{now} ms: a pod in phase {:?} has no node",
                    p.phase
                ));
            }
        }
        if counts != rec.phase_counts {
            self.fail(format!(
                "{now} ms: pods per phase in the arena {counts:?} differ from the recorder's \
                 {:?}",
                rec.phase_counts
            ));
        }
        // Conservation: every pod ever created is counted in exactly one phase.
        let recorded: u32 = rec.phase_counts.iter().sum();
        if recorded as usize != cl.pods.len() {
            self.fail(format!(
                "{now} ms: {} pods created but the recorder counts {recorded}",
                cl.pods.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::testing::Harness;

    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [(name: "lin", os: Linux, cpu: "1", memory: "4Gi")],
        layers: [(name: "l1", size: "10MB")],
        images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
        workloads: [(name: "web", replicas: 1, template: (containers: [(image: "app:1",
            cpu: "600m")]))],
    )"#;

    #[test]
    fn a_consistent_cluster_passes_and_each_broken_invariant_is_reported() {
        let mut h = Harness::new(SCENARIO);
        let node = h.ready_node(0);
        let pod = h.bound_pod(0, node, 1_000);
        let mut inv = Invariants::default();
        inv.popped(1_000);
        inv.bound(&h.spec, &h.cluster, pod, node, 1_000);
        inv.full(&h.spec, &h.cluster, &h.rec, &[0; PodPhase::COUNT], 1_000);
        assert_eq!(inv.violations, Vec::<String>::new());
        // A second 600m pod on the 1-core node (allocatable below 1000m after reservations):
        // over-committed.
        let second = h.bound_pod(0, node, 2_000);
        inv.bound(&h.spec, &h.cluster, second, node, 2_000);
        assert!(
            inv.violations[0].contains("over-committed"),
            "{:?}",
            inv.violations
        );
        // Requests changed behind the pods' back: the sums no longer agree.
        h.cluster.nodes[node.idx()].requested.cpu_m += 1;
        inv.full(&h.spec, &h.cluster, &h.rec, &[0; PodPhase::COUNT], 3_000);
        assert!(
            inv.violations
                .iter()
                .any(|v| v.contains("but its pods sum to"))
        );
        // A pod bound to a node that is not Ready.
        h.cluster.nodes[node.idx()].state = NodeState::NotReady;
        inv.bound(&h.spec, &h.cluster, pod, node, 4_000);
        assert!(
            inv.violations
                .iter()
                .any(|v| v.contains("in state NotReady"))
        );
        // Time going backwards.
        inv.popped(500);
        assert!(
            inv.violations
                .iter()
                .any(|v| v.contains("time went backwards"))
        );
    }
}
