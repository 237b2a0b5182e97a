//! The preemption evaluator (k/k `pkg/scheduler/framework/preemption/preemption.go`
//! `Evaluator.Preempt`, run as DefaultPreemption's PostFilter) and the nominations it leaves.
//!
//! After a failed cycle: is the pod eligible (`PodEligibleToPreemptOthers`), which nodes might
//! preemption help (`nodesWherePreemptionMightHelp`: every node whose first failing filter's
//! status is `Unschedulable`, not `UnschedulableAndUnresolvable`: NodeResourcesFit, NodePorts,
//! InterPodAffinity's anti-affinity and the existing pods' anti-affinity), a dry run over them
//! from a random offset until enough candidates are found (`SelectVictimsOnNode` on each, with
//! all of those filters), the best candidate (`pickOneNodeForPreemption`), and the
//! nomination (`status.nominatedNodeName`). The victims are returned, never deleted here: the
//! simulation terminates them gracefully through `controllers::terminate_pod`, and the
//! preemptor binds once they are gone (the cluster event of their resources being freed sends
//! it back to the queue; its next cycle tries the nominated node first).
//!
//! Owns: eligibility, candidate search, nominations, and how nominated pods count in other
//! pods' filters (`addGENominatedPods`). Does not own: the formulas (`plugins::default_preemption`)
//! or the victims' termination (`controllers`).
//!
//! Cost: nothing at all runs unless the pod's template outranks the lowest template priority
//! of the scenario, so a scenario without priorities never enters this file.

use super::inter_pod::InterPod;
use super::plugins::default_preemption::{self as dp, PodInfo};
use super::plugins::inter_pod_affinity::Reason;
use super::{Code, Reject, Scheduler, Status};
use crate::model::cluster::{Cluster, NodeState, PodPhase, Termination};
use crate::model::{NodeId, PodId, PreemptionPolicy, Res, Scalars, Spec, TemplateSpec};
use rand::Rng;

/// A pod nominated to a node by a preemption, with what other pods' filters must count for it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct Nomination {
    pub pod: PodId,
    pub node: NodeId,
    pub priority: i32,
    pub requests: Res,
    /// The pod's scalar resource requests (all zero unless the scenario has some).
    pub scalar: Scalars,
}

/// What the simulation must carry out after a successful preemption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preemption {
    /// The node the preemptor is nominated to.
    pub node: NodeId,
    /// The pods to delete gracefully, most important first.
    pub victims: Vec<PodId>,
}

/// Whether removing pods can lift `r` (`nodesWherePreemptionMightHelp`): the rejecting
/// plugin's upstream status is `Unschedulable`. NodeResourcesFit (`fit.go`), NodePorts
/// (`node_ports.go`) and InterPodAffinity's anti-affinity and existing pods' anti-affinity
/// (`interpodaffinity/filtering.go`) return it; NodeUnschedulable, TaintToleration (the
/// not-ready taint too), NodeAffinity and InterPodAffinity's affinity return
/// `UnschedulableAndUnresolvable`.
fn preemption_might_help(r: &Reject) -> bool {
    matches!(
        r,
        Reject::Resources(_)
            | Reject::Ports
            | Reject::InterPodAffinity(Reason::AntiAffinity | Reason::ExistingAntiAffinity)
    )
}

/// The preemptor's filters other than NodeResourcesFit on one node of the dry run
/// (`dp::OtherFilters`): NodePorts over the pods still on the node, InterPodAffinity on this
/// cycle's counts with the removed pods taken off. Each is skipped when it cannot reject the
/// preemptor (no host ports; no inter-pod state this cycle).
struct DryRun<'a> {
    spec: &'a Spec,
    cluster: &'a Cluster,
    t: &'a TemplateSpec,
    node: NodeId,
    nominated: &'a [Nomination],
    cur_pod: PodId,
    inter_pod: &'a mut InterPod,
    /// The pods taken off the node (a handful: a linear search is enough).
    removed: &'a mut Vec<PodId>,
}

impl dp::OtherFilters for DryRun<'_> {
    fn remove(&mut self, p: &PodInfo) {
        self.removed.push(p.pod);
        let tid = self.cluster.pod(p.pod).template;
        self.inter_pod
            .update_pod(self.cluster, tid, self.node, false);
    }

    fn add(&mut self, p: &PodInfo) {
        self.removed.retain(|&q| q != p.pod);
        let tid = self.cluster.pod(p.pod).template;
        self.inter_pod
            .update_pod(self.cluster, tid, self.node, true);
    }

    fn fits(&mut self) -> bool {
        let removed = &*self.removed;
        (self.t.host_ports.is_empty()
            || super::ports_fit(
                self.spec,
                self.cluster,
                self.nominated,
                self.cur_pod,
                self.t,
                self.node,
                |q| !removed.contains(&q),
            ))
            && self.inter_pod.filter(self.cluster, self.node).is_ok()
    }
}

impl DryRun<'_> {
    /// Puts every pod still off the node back, so the next node's dry run starts from this
    /// cycle's counts.
    fn restore(&mut self) {
        while let Some(q) = self.removed.pop() {
            let tid = self.cluster.pod(q).template;
            self.inter_pod
                .update_pod(self.cluster, tid, self.node, true);
        }
    }
}

fn registered(cluster: &Cluster, node: NodeId) -> bool {
    cluster
        .nodes
        .get(node.idx())
        .is_some_and(|n| matches!(n.state, NodeState::Ready | NodeState::NotReady))
}

impl Scheduler {
    /// The node `pod` is nominated to, if any.
    pub fn nominated_node(&self, pod: PodId) -> Option<NodeId> {
        self.nominated.iter().find(|n| n.pod == pod).map(|n| n.node)
    }

    /// Whether a preemption for `pod` may run and the scenario has disruption budgets: the
    /// caller then sets `pdb_allowed` first (budgets are computed only when they can matter).
    pub fn wants_budgets(&self, spec: &Spec, cluster: &Cluster, pod: PodId) -> bool {
        self.has_budgets && spec.template(cluster.pod(pod).template).priority > self.min_priority
    }

    /// Forgets `pod`'s nomination: it was bound, or deleted.
    pub fn forget_nomination(&mut self, pod: PodId) {
        if !self.nominated.is_empty() {
            self.nominated.retain(|n| n.pod != pod);
        }
    }

    /// `addGENominatedPods`: the requests of the pods nominated to `node` with at least
    /// `priority`, other than the pod being scheduled, as if they were bound there.
    pub(super) fn add_nominated(&self, node: NodeId, priority: i32, requested: &mut Res) {
        for n in &self.nominated {
            if n.node == node && n.priority >= priority && n.pod != self.cur_pod {
                requested.cpu_m += n.requests.cpu_m;
                requested.mem += n.requests.mem;
                requested.pods += n.requests.pods;
            }
        }
    }

    /// `add_nominated` for the scalar resources (called only when the scenario has some).
    pub(super) fn add_nominated_scalars(
        &self,
        node: NodeId,
        priority: i32,
        requested: &mut Scalars,
    ) {
        for n in &self.nominated {
            if n.node == node && n.priority >= priority && n.pod != self.cur_pod {
                crate::model::add_scalars(requested, &n.scalar);
            }
        }
    }

    /// DefaultPreemption's PostFilter for `pod`, whose cycle just failed with `status`.
    /// Returns the victims to delete and the node the pod is now nominated to, or `None`
    /// (the pod is not eligible, or no node has victims whose removal makes it fit; the
    /// latter clears its nomination, as upstream's empty `nominatedNodeName` result does).
    pub fn post_filter(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        pod: PodId,
        status: Status,
    ) -> Option<Preemption> {
        let p = cluster.pod(pod);
        let tid = p.template;
        let t = spec.template(tid);
        if t.preemption_policy == PreemptionPolicy::Never {
            // "not eligible due to preemptionPolicy=Never."
            return None;
        }
        // No pod anywhere can have a lower priority, or every node rejected the pod for a
        // reason removing pods cannot change: no candidates.
        if t.priority <= self.min_priority || status.code != Code::Unschedulable {
            self.forget_nomination(pod);
            return None;
        }
        self.cur_pod = pod;
        // This cycle's InterPodAffinity counts are the preemptor's (a failure reused from the
        // cache skipped PreFilter).
        self.inter_pod.prefilter(spec, cluster, tid);
        if let Some(nom) = self.nominated_node(pod)
            && registered(cluster, nom)
        {
            let unresolvable = matches!(
                self.evaluate(spec, cluster, tid, nom),
                Err(r) if !preemption_might_help(&r)
            );
            let victim_leaving = cluster.pods_on[nom.idx()].iter().any(|&q| {
                let qp = cluster.pod(q);
                qp.phase == PodPhase::Terminating
                    && matches!(qp.termination, Some((Termination::Preempted, _)))
                    && spec.template(qp.template).priority < t.priority
            });
            if !unresolvable && victim_leaving {
                // "not eligible due to a terminating pod on the nominated node."
                return None;
            }
        }
        let mut potential = Vec::new();
        let might_help = |s: &mut Scheduler, node| matches!(s.evaluate(spec, cluster, tid, node), Err(r) if preemption_might_help(&r));
        match p.pinned {
            Some(target) => {
                if registered(cluster, target) && might_help(self, target) {
                    potential.push(target);
                }
            }
            None => {
                for node in cluster.registered.iter() {
                    if might_help(self, node) {
                        potential.push(node);
                    }
                }
            }
        }
        if potential.is_empty() {
            self.forget_nomination(pod);
            return None;
        }
        // `GetOffsetAndNumCandidates`: a random start among the potential nodes, and stop once
        // enough candidates are found, at least one of them without PDB violations.
        let offset = self.rng.random_range(0..potential.len());
        let want = dp::num_candidates(potential.len());
        let mut non_violating: Vec<(NodeId, Vec<PodInfo>, u32)> = Vec::new();
        let mut violating: Vec<(NodeId, Vec<PodInfo>, u32)> = Vec::new();
        let mut infos = Vec::new();
        // Per workload, the disruptions its budget allows (indexed by `PodInfo::budget`);
        // empty in a scenario without budgets.
        let allowed: Vec<u32> = self.pdb_allowed.iter().map(|a| a.unwrap_or(0)).collect();
        let has_scalars = spec.has_scalars();
        let mut removed = Vec::new();
        for i in 0..potential.len() {
            let node = potential[(offset + i) % potential.len()];
            infos.clear();
            for &q in &cluster.pods_on[node.idx()] {
                let qp = cluster.pod(q);
                let qt = spec.template(qp.template);
                infos.push(PodInfo {
                    pod: q,
                    priority: qt.priority,
                    start: qp.scheduled.unwrap_or(0),
                    requests: qt.requests,
                    budget: (self
                        .pdb_allowed
                        .get(qp.workload.idx())
                        .is_some_and(Option::is_some)
                        && qp.pinned.is_none())
                    .then_some(qp.workload.0),
                    scalar: qt.scalar_requests,
                });
            }
            let n = cluster.node(node);
            let mut requested = n.requested;
            self.add_nominated(node, t.priority, &mut requested);
            let pool = spec.pool(n.pool);
            let mut amounts = dp::NodeAmounts {
                allocatable: pool.allocatable,
                requested,
                ..dp::NodeAmounts::default()
            };
            if has_scalars {
                amounts.allocatable_scalar = pool.allocatable_scalar;
                amounts.requested_scalar = cluster.scalar_requested(node);
                self.add_nominated_scalars(node, t.priority, &mut amounts.requested_scalar);
            }
            let mut others = DryRun {
                spec,
                cluster,
                t,
                node,
                nominated: &self.nominated,
                cur_pod: self.cur_pod,
                inter_pod: &mut self.inter_pod,
                removed: &mut removed,
            };
            let found = dp::select_victims_on_node(
                &amounts,
                &infos,
                t.priority,
                t.requests,
                &t.scalar_requests,
                &allowed,
                &mut others,
            );
            others.restore();
            if let Some((v, n)) = found {
                if n == 0 {
                    non_violating.push((node, v, n));
                } else {
                    violating.push((node, v, n));
                }
                if !non_violating.is_empty() && non_violating.len() + violating.len() >= want {
                    break;
                }
            }
        }
        // Non-violating candidates first, as upstream appends them.
        let mut candidates = non_violating;
        candidates.append(&mut violating);
        let refs: Vec<(u32, &[PodInfo])> = candidates
            .iter()
            .map(|(_, v, n)| (*n, v.as_slice()))
            .collect();
        let Some(best) = dp::pick_one_node(&refs) else {
            self.forget_nomination(pod);
            return None;
        };
        let (node, victims, _) = candidates.swap_remove(best);
        // `prepareCandidate`: lower-priority pods nominated to the node lose the nomination
        // (they would not fit next to the preemptor anyway).
        self.nominated
            .retain(|n| n.pod != pod && !(n.node == node && n.priority < t.priority));
        self.nominated.push(Nomination {
            pod,
            node,
            priority: t.priority,
            requests: t.requests,
            scalar: t.scalar_requests,
        });
        Some(Preemption {
            node,
            victims: victims.iter().map(|v| v.pod).collect(),
        })
    }
}
