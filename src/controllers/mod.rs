//! Workload controllers: Deployments (through their ReplicaSet) and DaemonSets, and the
//! scenario timeline that creates, scales and deletes them.
//!
//! Owns: how many pods each workload wants, which pods to create or delete, and replacing pods
//! that failed on their node. Does not own: scheduling (pods it creates go to the scheduling
//! queue through `World::enqueue`) or node lifecycle.
//!
//! Sources: scale-down victim order from k/k `pkg/controller/controller_utils.go`
//! (`ActivePodsWithRanks`); DaemonSet placement predicates (node affinity / nodeSelector and
//! NoSchedule/NoExecute taints) and failed-pod back-off from k/k `pkg/controller/daemon`.

use crate::engine::SimTime;
use crate::kubelet::backoff;
use crate::model::cluster::{NodeState, Pod, PodPhase, Reason};
use crate::model::*;
use crate::scheduler::plugins::{node_affinity, taint_toleration};
use crate::simulation::World;
use crate::simulation::event::Event;

#[derive(Clone, Debug, Default)]
pub struct WorkloadState {
    pub active: bool,
    pub desired: u32,
    /// Live pods (and API-rejected records, which count as created).
    pub pods: Vec<PodId>,
    pub next_ordinal: u32,
    /// Consecutive pods that failed on their node, for the replacement back-off.
    pub failures_in_row: u32,
    pub sync_pending: bool,
}

pub struct Controllers {
    pub workloads: Vec<WorkloadState>,
}

/// Whether a DaemonSet's pods belong on nodes of `pool` (`nodeShouldRunDaemonPod`).
pub fn daemon_fits_pool(spec: &Spec, t: TemplateId, pool: PoolId) -> bool {
    let t = spec.template(t);
    let p = spec.pool(pool);
    taint_toleration::first_untolerated(&p.taints, &t.tolerations).is_none()
        && node_affinity::filter(t, &p.labels)
}

impl Controllers {
    pub fn new(spec: &Spec) -> Self {
        Controllers {
            workloads: vec![WorkloadState::default(); spec.workloads.len()],
        }
    }

    fn create_pod(&mut self, w: &mut World, wl: WorkloadId, pinned: Option<NodeId>) -> PodId {
        let spec = w.spec;
        let now = w.q.now().millis();
        let ws = &mut self.workloads[wl.idx()];
        let tid = spec.workloads[wl.idx()].template;
        let id = PodId::from_idx(w.cluster.pods.len());
        let mut pod = Pod::new(wl, tid, ws.next_ordinal, pinned, now);
        ws.next_ordinal += 1;
        ws.pods.push(id);
        w.rec.pod_created(&pod);
        if let Some(err) = &spec.template(tid).admission_error {
            // RuntimeClass admission rejects the pod at the API server: it never exists.
            let m = w.messages.intern(err);
            w.rec.failure(&mut pod, Reason::RuntimeClassConflict, m);
            w.rec.set_phase(&mut pod, PodPhase::Rejected);
            pod.ended = Some(now);
            w.cluster.pods.push(pod);
            return id;
        }
        w.cluster.pods.push(pod);
        w.enqueue.push(id);
        id
    }

    /// Brings a workload to its desired state.
    pub fn sync(&mut self, w: &mut World, wl: WorkloadId) {
        let spec = w.spec;
        let ws = &mut self.workloads[wl.idx()];
        ws.sync_pending = false;
        if !ws.active {
            return;
        }
        // Drop pods that are gone.
        ws.pods.retain(|p| {
            w.cluster.pods[p.idx()].phase.is_live()
                || w.cluster.pods[p.idx()].phase == PodPhase::Rejected
        });
        match spec.workloads[wl.idx()].kind {
            WorkloadKind::Deployment => {
                let have = ws.pods.len() as u32;
                let want = ws.desired;
                if have < want {
                    for _ in 0..(want - have) {
                        self.create_pod(w, wl, None);
                    }
                } else if have > want {
                    let victims = self.scale_down_victims(w, wl, (have - want) as usize);
                    for &v in &victims {
                        delete_pod(w, v);
                    }
                    // Rejected records never existed in the cluster; dropping a victim's
                    // record is its deletion.
                    self.workloads[wl.idx()]
                        .pods
                        .retain(|p| !victims.contains(p));
                }
            }
            WorkloadKind::DaemonSet => {
                let tid = spec.workloads[wl.idx()].template;
                // Pods on nodes that left the cluster go away with them.
                let mut covered: Vec<NodeId> = Vec::new();
                for &p in &ws.pods {
                    if let Some(n) = w.cluster.pods[p.idx()].pinned {
                        covered.push(n);
                    }
                }
                covered.sort();
                let mut to_create = Vec::new();
                for &node in &w.cluster.registered {
                    let n = &w.cluster.nodes[node.idx()];
                    if n.state == NodeState::Ready
                        && covered.binary_search(&node).is_err()
                        && daemon_fits_pool(spec, tid, n.pool)
                    {
                        to_create.push(node);
                    }
                }
                for node in to_create {
                    self.create_pod(w, wl, Some(node));
                }
            }
        }
    }

    /// `ActivePodsWithRanks` order: the first `n` pods to delete.
    fn scale_down_victims(&self, w: &World, wl: WorkloadId, n: usize) -> Vec<PodId> {
        let ws = &self.workloads[wl.idx()];
        let cl = &w.cluster;
        // Rank: how many of this workload's pods share the pod's node (more → deleted first).
        let mut per_node: Vec<(NodeId, usize)> = Vec::new();
        for q in &ws.pods {
            if let Some(n) = cl.pods[q.idx()].node {
                match per_node.binary_search_by_key(&n, |e| e.0) {
                    Ok(i) => per_node[i].1 += 1,
                    Err(i) => per_node.insert(i, (n, 1)),
                }
            }
        }
        let rank = |p: &Pod| -> usize {
            p.node.map_or(0, |node| {
                per_node
                    .binary_search_by_key(&node, |e| e.0)
                    .map_or(0, |i| per_node[i].1)
            })
        };
        let phase_rank = |p: &Pod| match p.phase {
            PodPhase::Rejected | PodPhase::Pending | PodPhase::Starting => 0,
            _ => 2,
        };
        let mut v: Vec<PodId> = ws.pods.clone();
        v.sort_by(|&a, &b| {
            let (pa, pb) = (&cl.pods[a.idx()], &cl.pods[b.idx()]);
            let key = |p: &Pod| (p.node.is_some(), phase_rank(p), p.phase == PodPhase::Ready);
            key(pa)
                .cmp(&key(pb))
                .then_with(|| rank(pb).cmp(&rank(pa)))
                // More recently ready first.
                .then_with(|| pb.ready.cmp(&pa.ready))
                // Newer first.
                .then_with(|| pb.created.cmp(&pa.created))
                .then_with(|| b.cmp(&a))
        });
        v.truncate(n);
        v
    }

    pub fn create(&mut self, w: &mut World, wl: WorkloadId) {
        let ws = &mut self.workloads[wl.idx()];
        if ws.active {
            return;
        }
        ws.active = true;
        ws.desired = w.spec.workloads[wl.idx()].replicas;
        self.sync(w, wl);
    }

    /// Templates of the DaemonSets that exist now.
    pub fn active_daemons(&self, spec: &Spec) -> Vec<TemplateId> {
        spec.workloads
            .iter()
            .zip(&self.workloads)
            .filter(|(w, s)| w.kind == WorkloadKind::DaemonSet && s.active)
            .map(|(w, _)| w.template)
            .collect()
    }

    pub fn scale(&mut self, w: &mut World, wl: WorkloadId, replicas: u32) {
        self.workloads[wl.idx()].desired = replicas;
        self.sync(w, wl);
    }

    pub fn delete(&mut self, w: &mut World, wl: WorkloadId) {
        let ws = &mut self.workloads[wl.idx()];
        ws.active = false;
        let pods = std::mem::take(&mut ws.pods);
        for p in pods {
            delete_pod(w, p);
        }
    }

    /// A pod of this workload failed on its node: replace it after the back-off.
    pub fn pod_failed(&mut self, w: &mut World, pod: PodId) {
        let wl = w.cluster.pods[pod.idx()].workload;
        let ws = &mut self.workloads[wl.idx()];
        ws.pods.retain(|&p| p != pod);
        ws.failures_in_row += 1;
        if !ws.sync_pending && ws.active {
            ws.sync_pending = true;
            let (base, max) = w.spec.controllers.failed_pod_backoff;
            let delay = backoff(base, max, ws.failures_in_row);
            w.q.schedule_in(delay, Event::ControllerSync(wl));
        }
    }

    /// A pod became Ready: the workload's replacement back-off starts over.
    pub fn pod_ready(&mut self, wl: WorkloadId) {
        self.workloads[wl.idx()].failures_in_row = 0;
    }

    /// Nodes joined or left: every active DaemonSet re-syncs.
    pub fn nodes_changed(&mut self, w: &mut World) {
        for i in 0..self.workloads.len() {
            if w.spec.workloads[i].kind == WorkloadKind::DaemonSet && self.workloads[i].active {
                self.sync(w, WorkloadId::from_idx(i));
            }
        }
    }

    pub fn timeline(&mut self, w: &mut World, action: &TimelineAction) {
        match *action {
            TimelineAction::Create(wl) => self.create(w, wl),
            TimelineAction::Scale(wl, r) => self.scale(w, wl, r),
            TimelineAction::Delete(wl) => self.delete(w, wl),
        }
    }

    pub fn schedule_initial(&self, w: &mut World) {
        for (i, wl) in w.spec.workloads.iter().enumerate() {
            if let Some(at) = wl.created_at {
                w.q.schedule(SimTime(at), Event::WorkloadCreate(WorkloadId::from_idx(i)));
            }
        }
    }
}

/// Deletes a pod: frees its node's resources and makes its pending events stale.
pub fn delete_pod(w: &mut World, pod: PodId) {
    let now = w.q.now().millis();
    let spec = w.spec;
    let p = &mut w.cluster.pods[pod.idx()];
    if !p.phase.is_live() {
        return;
    }
    let bound = p.node;
    w.rec.set_phase(p, PodPhase::Deleted);
    p.ended = Some(now);
    p.generation += 1;
    let t = p.template;
    w.dequeue.push(pod);
    if let Some(node) = bound {
        release(w, node, pod, spec.template(t));
    }
}

/// Returns a bound pod's requests to its node.
pub fn release(w: &mut World, node: NodeId, pod: PodId, t: &TemplateSpec) {
    let on = &mut w.cluster.pods_on[node.idx()];
    if let Some(i) = on.iter().position(|&p| p == pod) {
        on.swap_remove(i);
    }
    let n = &mut w.cluster.nodes[node.idx()];
    n.requested.cpu_m -= t.requests.cpu_m;
    n.requested.mem -= t.requests.mem;
    n.requested.pods -= 1;
    n.nonzero.cpu_m -= t.nonzero.cpu_m;
    n.nonzero.mem -= t.nonzero.mem;
    n.nonzero.pods -= 1;
    w.cluster.version += 1;
    w.resources_freed = true;
}
