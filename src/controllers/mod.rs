//! Workload controllers: Deployments (through their ReplicaSet) and DaemonSets, and the
//! scenario timeline that creates, scales and deletes them.
//!
//! Owns: how many pods each workload wants, which pods to create or delete, and replacing pods
//! that failed on their node. Does not own: scheduling (new pods go to the scheduling queue as
//! `Effect::Enqueue`), node lifecycle, or releasing a failed pod's resources (the loop does that
//! when it applies `Effect::PodFailed`, then calls `pod_failed`). Driven through a `Ctx`, so it
//! is unit-tested without a whole run (tests at the bottom).
//!
//! Sources: scale-down victim order from k/k `pkg/controller/controller_utils.go`
//! (`ActivePodsWithRanks`); DaemonSet placement predicates (node affinity / nodeSelector and
//! NoSchedule/NoExecute taints) and failed-pod back-off from k/k `pkg/controller/daemon`.

pub mod daemon_index;
pub mod drain;
pub mod node_actions;
pub mod node_lifecycle;
pub mod rollout;
pub mod taint_eviction;
pub mod upgrade;

use crate::effect::{Ctx, Effect, Event};
use crate::engine::backoff;
use crate::model::cluster::{Pod, PodPhase, Reason, Termination};
use crate::model::*;
use crate::scheduler::plugins::passes_static_filters;
use std::cmp::Reverse;

pub mod job;
pub mod trace;

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
    /// A bare Pod workload made its pod (since its last creation).
    pub pod_created: bool,
    /// Syncs in a row in which ResourceQuota admission refused a pod creation: the workqueue's
    /// per-item failure count (`retry_after_refusal`).
    pub quota_failures: u32,
    /// A creation was refused since the last look (`retry_after_refusal`).
    pub refused: bool,
}

/// client-go `workqueue.DefaultControllerRateLimiter`'s per-item exponential back-off
/// (`NewItemExponentialFailureRateLimiter(5*time.Millisecond, 1000*time.Second)`): a sync
/// that failed is retried 5 ms × 2^(failures − 1) later, at most 1000 s.
pub const QUOTA_RETRY_BASE_MS: u64 = 5;
pub const QUOTA_RETRY_MAX_MS: u64 = 1_000_000;

pub struct Controllers {
    pub workloads: Vec<WorkloadState>,
    /// The DaemonSet workloads, in workload order: a node joining concerns only these, so it
    /// costs O(DaemonSets), not O(workloads).
    daemons: Vec<WorkloadId>,
    /// Scratch of the victim ranking, kept so a warm scale-down allocates nothing.
    scratch: VictimScratch,
    /// Pods whose NoExecute toleration runs out at a known time.
    pub eviction: taint_eviction::TaintEviction,
    /// Per workload, its Job status (default and unused for other kinds).
    pub jobs: Vec<job::JobState>,
    /// Failed nodes (`node_lifecycle`).
    pub lifecycle: node_lifecycle::NodeLifecycle,
    /// Deployments' rolling updates (`rollout`).
    pub rollouts: rollout::Rollouts,
    /// The timeline's drains.
    pub drains: drain::Drains,
    /// Pool upgrades and patches (`upgrade`).
    pub upgrades: upgrade::Upgrades,
    /// Per workload, its DaemonSet index (`daemon_index`; default and unused for other kinds
    /// and while the DaemonSet does not exist).
    daemon_index: Vec<daemon_index::DaemonIndex>,
    /// Scratch of a DaemonSet sync: the nodes it gives a pod.
    daemon_scratch: Vec<NodeId>,
    /// The DaemonSets whose template selects on the Windows build label, in workload order:
    /// the only ones a node's in-place build change concerns (`daemon_index`).
    build_daemons: Vec<WorkloadId>,
}

/// A pod's place in the `ActivePodsWithRanks` deletion order: smaller is deleted first. The pod
/// id closes it, so no two pods tie and any selection algorithm picks the same victims.
type VictimKey = (
    bool,
    u8,
    bool,
    Reverse<usize>,
    Reverse<Option<u64>>,
    Reverse<u64>,
    Reverse<PodId>,
);

#[derive(Default)]
struct VictimScratch {
    /// (node, this workload's pods on it), sorted by node.
    per_node: Vec<(NodeId, usize)>,
    /// (key, index in the workload's pod list).
    keyed: Vec<(VictimKey, usize)>,
    /// Indices of the victims in the workload's pod list, ascending.
    victims: Vec<usize>,
}

/// Whether a DaemonSet's pods belong on nodes of `pool` (`nodeShouldRunDaemonPod`).
pub fn daemon_fits_pool(spec: &Spec, t: TemplateId, pool: PoolId) -> bool {
    passes_static_filters(spec, t, pool)
}

/// `daemon_fits_pool` for one node: its own build label when it differs from its pool's.
pub fn daemon_fits_node(
    spec: &Spec,
    cl: &crate::model::cluster::Cluster,
    t: TemplateId,
    node: NodeId,
) -> bool {
    let pool = cl.nodes[node.idx()].pool;
    match cl.build_label(spec, node) {
        None => passes_static_filters(spec, t, pool),
        build => crate::scheduler::plugins::passes_static_filters_with_build(spec, t, pool, build),
    }
}

impl Controllers {
    pub fn new(spec: &Spec) -> Self {
        Controllers {
            workloads: vec![WorkloadState::default(); spec.workloads.len()],
            daemons: spec
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| w.kind == WorkloadKind::DaemonSet)
                .map(|(i, _)| WorkloadId::from_idx(i))
                .collect(),
            scratch: VictimScratch::default(),
            eviction: taint_eviction::TaintEviction::default(),
            jobs: vec![job::JobState::default(); spec.workloads.len()],
            // The run replaces this stream with its own (`simulation::streams`); unit tests
            // keep this one, from the scenario's seed.
            lifecycle: node_lifecycle::NodeLifecycle::new(
                crate::engine::RngStreams::new(spec.seed).stream(crate::engine::StreamId::Fixed(7)),
            ),
            rollouts: rollout::Rollouts::new(spec),
            drains: drain::Drains::default(),
            upgrades: upgrade::Upgrades::default(),
            daemon_index: vec![daemon_index::DaemonIndex::default(); spec.workloads.len()],
            daemon_scratch: Vec::new(),
            build_daemons: spec
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| {
                    w.kind == WorkloadKind::DaemonSet
                        && daemon_index::selects_build(spec.template(w.template))
                })
                .map(|(i, _)| WorkloadId::from_idx(i))
                .collect(),
        }
    }

    fn create_pod(
        &mut self,
        cx: &mut Ctx,
        wl: WorkloadId,
        pinned: Option<NodeId>,
    ) -> Option<PodId> {
        let tid = self.rollouts.template_of(cx.spec, wl);
        self.create_pod_of(cx, wl, pinned, tid)
    }

    /// Creates a pod of `wl` from template `tid` (a ReplicaSet of a rolling update may use
    /// another template than the workload's current one). None: ResourceQuota admission
    /// refused it (`model::quota`); the pod never exists, the refusal is counted and the
    /// workload marked for a retry (`retry_after_refusal`).
    fn create_pod_of(
        &mut self,
        cx: &mut Ctx,
        wl: WorkloadId,
        pinned: Option<NodeId>,
        tid: TemplateId,
    ) -> Option<PodId> {
        let spec = cx.spec;
        let now = cx.now;
        if spec.has_quotas()
            && let Some(q) = &mut cx.rec.quota
            && let Err(r) = q.admit(spec, wl, tid)
        {
            q.refused(wl, r.quota, r.message);
            self.workloads[wl.idx()].refused = true;
            return None;
        }
        let ws = &mut self.workloads[wl.idx()];
        let id = PodId::from_idx(cx.cluster.pods.len());
        let mut pod = Pod::new(wl, tid, ws.next_ordinal, pinned, now);
        ws.next_ordinal += 1;
        ws.pods.push(id);
        if let Some(node) = pinned {
            self.daemon_pod_created(cx.cluster, wl, node);
        }
        cx.rec.pod_created(&pod);
        if let Some(err) = &spec.template(tid).admission_error {
            // RuntimeClass admission rejects the pod at the API server: it never exists.
            let m = cx.messages.intern(err);
            cx.rec.failure(&mut pod, Reason::RuntimeClassConflict, m);
            cx.rec.set_phase(&mut pod, PodPhase::Rejected);
            pod.ended = Some(now);
            cx.cluster.pods.push(pod);
            return Some(id);
        }
        cx.cluster.pods.push(pod);
        cx.push(Effect::Enqueue(id));
        Some(id)
    }

    /// `slowStartBatch` (k/k `pkg/controller/replicaset/replica_set.go`): creates `n` pods of
    /// template `tid` in batches of 1, 2, 4, … and stops after the first batch with a refused
    /// creation (the pods of that batch are all tried, as upstream's batch goroutines are).
    fn slow_start(&mut self, cx: &mut Ctx, wl: WorkloadId, n: u32, tid: TemplateId) {
        let (mut remaining, mut batch) = (n, 1u32);
        while remaining > 0 {
            let size = batch.min(remaining);
            let mut ok = 0;
            for _ in 0..size {
                ok += u32::from(self.create_pod_of(cx, wl, None, tid).is_some());
            }
            if ok < size {
                return;
            }
            remaining -= size;
            batch = batch.saturating_mul(2);
        }
    }

    /// After creations of `wl`: a sync in which quota refused a pod returned an error, so
    /// upstream's workqueue retries it after the rate limiter's per-item back-off
    /// (`AddRateLimited`); a sync without one `Forget`s the failures. Nothing retries a bare
    /// Pod: its creation failed for good, as a `kubectl apply` refused by quota does.
    fn retry_after_refusal(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let retries = cx.spec.workloads[wl.idx()].kind != WorkloadKind::Pod;
        let ws = &mut self.workloads[wl.idx()];
        if !std::mem::take(&mut ws.refused) {
            ws.quota_failures = 0;
            return;
        }
        ws.quota_failures += 1;
        if retries && ws.active && !ws.sync_pending {
            ws.sync_pending = true;
            let delay = backoff(QUOTA_RETRY_BASE_MS, QUOTA_RETRY_MAX_MS, ws.quota_failures);
            cx.after(delay, Event::ControllerSync(wl));
        }
    }

    /// Brings a workload to its desired state.
    pub fn sync(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        self.sync_once(cx, wl);
        if cx.spec.has_quotas() {
            self.retry_after_refusal(cx, wl);
        }
    }

    fn sync_once(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let spec = cx.spec;
        let ws = &mut self.workloads[wl.idx()];
        ws.sync_pending = false;
        if !ws.active {
            return;
        }
        // A Job counts the pods that ended before it drops them.
        if spec.workloads[wl.idx()].kind == WorkloadKind::Job {
            return self.sync_job(cx, wl);
        }
        // Drop pods that are gone. A DaemonSet's pod list is kept by its index instead
        // (`daemon_index`), which also counts its terminating pods: while one exists on a
        // node, the node counts as covered (see `pod_terminating`).
        let pods = &cx.cluster.pods;
        if spec.workloads[wl.idx()].kind != WorkloadKind::DaemonSet {
            ws.pods.retain(|p| {
                pods[p.idx()].phase.is_live() || pods[p.idx()].phase == PodPhase::Rejected
            });
        }
        match spec.workloads[wl.idx()].kind {
            WorkloadKind::Deployment if self.rollouts.rolling(wl) => self.rollout_sync(cx, wl),
            WorkloadKind::Deployment => {
                let have = ws.pods.len() as u32;
                let want = ws.desired;
                if have < want {
                    let tid = self.rollouts.template_of(spec, wl);
                    self.slow_start(cx, wl, want - have, tid);
                } else if have > want {
                    let mut scratch = std::mem::take(&mut self.scratch);
                    self.scale_down_victims(cx, wl, (have - want) as usize, &mut scratch, None);
                    let ws = &mut self.workloads[wl.idx()];
                    // Deleted in deletion order (the effects' order).
                    for &(_, i) in &scratch.keyed {
                        delete_pod(cx, ws.pods[i]);
                    }
                    // Rejected records never existed in the cluster; dropping a victim's
                    // record is its deletion. One pass, keeping the others' order.
                    let victims = &scratch.victims;
                    let (mut i, mut k) = (0, 0);
                    ws.pods.retain(|_| {
                        let victim = victims.get(k) == Some(&i);
                        k += usize::from(victim);
                        i += 1;
                        !victim
                    });
                    self.scratch = scratch;
                }
            }
            WorkloadKind::Pod => {
                // A bare Pod exists once per creation: nothing recreates it when it fails, is
                // evicted or its node goes (upstream, no controller owns it).
                if ws.pods.is_empty() && !ws.pod_created {
                    ws.pod_created = true;
                    self.create_pod(cx, wl, None);
                }
            }
            // Synced by `sync_job` above.
            WorkloadKind::Job => {}
            // Never active: the run creates trace pods at their arrival (`trace_arrival`).
            WorkloadKind::Trace => {}
            WorkloadKind::DaemonSet => {
                let tid = spec.workloads[wl.idx()].template;
                // The Ready registered nodes that pass its checks and have none of its pods
                // (live, Rejected or Terminating), in the node list's order: only the nodes
                // its index lists as uncovered are visited.
                self.take_daemon_mailboxes(cx.spec, cx.cluster);
                let mut to_create = std::mem::take(&mut self.daemon_scratch);
                self.daemon_candidates(cx, wl, tid, &mut to_create);
                // The DaemonSet controller's creations also go through `slowStartBatch`;
                // node by node, stopping at the first refusal, is the same here: every pod
                // of a DaemonSet asks for the same resources.
                for &node in &to_create {
                    if self.create_pod(cx, wl, Some(node)).is_none() {
                        break;
                    }
                }
                to_create.clear();
                self.daemon_scratch = to_create;
            }
        }
    }

    /// `ActivePodsWithRanks` order: leaves the first `n` pods to delete in `sc.keyed` (in
    /// deletion order, with their index in the workload's pod list) and those indices,
    /// ascending, in `sc.victims`. Each pod's key is computed once, then a partial selection
    /// puts the `n` smallest first and only those are sorted: O(pods + n log n) instead of a
    /// full sort whose comparator searched the node counts twice per comparison.
    /// With `only`, the victims are chosen among the pods of that template (one ReplicaSet
    /// of a rolling update); the node ranks still count all the workload's pods, as upstream
    /// ranks by the Deployment's pods on the same node.
    fn scale_down_victims(
        &self,
        cx: &Ctx,
        wl: WorkloadId,
        n: usize,
        sc: &mut VictimScratch,
        only: Option<TemplateId>,
    ) {
        let ws = &self.workloads[wl.idx()];
        let cl = &*cx.cluster;
        // Rank: how many of this workload's pods share the pod's node (more → deleted first).
        sc.per_node.clear();
        sc.per_node.extend(
            ws.pods
                .iter()
                .filter_map(|q| cl.pods[q.idx()].node)
                .map(|n| (n, 1)),
        );
        sc.per_node.sort_unstable_by_key(|e| e.0);
        sc.per_node.dedup_by(|b, a| {
            let same = a.0 == b.0;
            a.1 += usize::from(same);
            same
        });
        let per_node = &sc.per_node;
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
        sc.keyed.clear();
        sc.keyed.extend(ws.pods.iter().enumerate().map(|(i, &id)| {
            let p = &cl.pods[id.idx()];
            let key = (
                // Unassigned first, then pending/starting before running, not Ready first.
                p.node.is_some(),
                phase_rank(p),
                p.phase == PodPhase::Ready,
                // More of the workload's pods on its node first.
                Reverse(rank(p)),
                // More recently ready first.
                Reverse(p.ready),
                // Newer first.
                Reverse(p.created),
                Reverse(id),
            );
            (key, i)
        }));
        if let Some(t) = only {
            sc.keyed
                .retain(|&(_, i)| cl.pods[ws.pods[i].idx()].template == t);
        }
        let n = n.min(sc.keyed.len());
        if n == 0 {
            sc.keyed.clear();
        } else {
            if n < sc.keyed.len() {
                sc.keyed.select_nth_unstable(n - 1);
                sc.keyed.truncate(n);
            }
            sc.keyed.sort_unstable();
        }
        sc.victims.clear();
        sc.victims.extend(sc.keyed.iter().map(|&(_, i)| i));
        sc.victims.sort_unstable();
    }

    pub fn create(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let ws = &mut self.workloads[wl.idx()];
        if ws.active {
            return;
        }
        ws.active = true;
        ws.pod_created = false;
        ws.desired = cx.spec.workloads[wl.idx()].replicas;
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::DaemonSet {
            self.take_daemon_mailboxes(cx.spec, cx.cluster);
            self.build_daemon_index(cx, wl);
        }
        self.sync(cx, wl);
    }

    /// Templates of the DaemonSets that exist now.
    pub fn active_daemons(&self, spec: &Spec) -> Vec<TemplateId> {
        self.daemons
            .iter()
            .filter(|w| self.workloads[w.idx()].active)
            .map(|w| spec.workloads[w.idx()].template)
            .collect()
    }

    pub fn scale(&mut self, cx: &mut Ctx, wl: WorkloadId, replicas: u32) {
        self.workloads[wl.idx()].desired = replicas;
        self.sync(cx, wl);
    }

    pub fn delete(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        self.rollouts.forget(wl);
        let ws = &mut self.workloads[wl.idx()];
        ws.active = false;
        let pods = std::mem::take(&mut ws.pods);
        for p in pods {
            delete_pod(cx, p);
        }
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::DaemonSet {
            // Its pods just left; the index goes with them (`create` builds a new one).
            self.take_daemon_mailboxes(cx.spec, cx.cluster);
            self.daemon_index[wl.idx()] = daemon_index::DaemonIndex::default();
        }
    }

    /// A pod of this workload failed on its node: replace it after the back-off.
    pub fn pod_failed(&mut self, cx: &mut Ctx, pod: PodId) {
        let wl = cx.cluster.pods[pod.idx()].workload;
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::Job {
            return self.job_pod_failed(cx, wl);
        }
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::DaemonSet {
            self.daemon_pod_failed(cx.spec, cx.cluster, pod);
        } else {
            self.workloads[wl.idx()].pods.retain(|&p| p != pod);
        }
        let ws = &mut self.workloads[wl.idx()];
        ws.failures_in_row += 1;
        if !ws.sync_pending && ws.active {
            ws.sync_pending = true;
            let (base, max) = cx.spec.controllers.failed_pod_backoff;
            let delay = backoff(base, max, ws.failures_in_row);
            cx.after(delay, Event::ControllerSync(wl));
        }
    }

    /// A pod of this workload started terminating gracefully (`terminate_pod`). A Deployment
    /// replaces it at once: upstream's ReplicaSet controller counts only active pods
    /// (`controller.FilterActivePods` drops pods with a deletionTimestamp), so the replacement
    /// is created while the old pod still runs out its grace period. A DaemonSet does not: its
    /// `podsShouldBeOnNode` (k/k `pkg/controller/daemon/daemon_controller.go`) sees a pod on
    /// the node (`exists`) and creates the new one only after the old one is gone
    /// (`pod_terminated`).
    pub fn pod_terminating(&mut self, cx: &mut Ctx, pod: PodId) {
        let wl = cx.cluster.pods[pod.idx()].workload;
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::DaemonSet {
            return;
        }
        // A Job counts the terminating pod as failed and replaces it (`sync_job`).
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::Job {
            return self.job_pod_failed(cx, wl);
        }
        let ws = &mut self.workloads[wl.idx()];
        ws.pods.retain(|&p| p != pod);
        if ws.active && !ws.sync_pending {
            self.sync(cx, wl);
        }
    }

    /// A terminating pod's grace period ended: it leaves its node (`finish_termination`); a
    /// DaemonSet then puts a new pod on the node if the node should still run one.
    pub fn pod_terminated(&mut self, cx: &mut Ctx, pod: PodId, generation: u32) {
        // A down node's kubelet cannot confirm the pod is gone (`node_lifecycle`).
        if self.termination_waits_for_node(cx, pod, generation) {
            return;
        }
        if !finish_termination(cx, pod, generation) {
            return;
        }
        let wl = cx.cluster.pods[pod.idx()].workload;
        if cx.spec.workloads[wl.idx()].kind == WorkloadKind::DaemonSet {
            self.sync(cx, wl);
        }
    }

    /// A pod became Ready: the workload's replacement back-off starts over.
    pub fn pod_ready(&mut self, wl: WorkloadId) {
        self.workloads[wl.idx()].failures_in_row = 0;
    }

    /// A node became Ready: every active DaemonSet whose pods belong there gets one on it.
    /// Only the new node is looked at; the rest of the cluster is unchanged.
    pub fn node_ready(&mut self, cx: &mut Ctx, node: NodeId) {
        for i in 0..self.daemons.len() {
            let wl = self.daemons[i];
            if !self.workloads[wl.idx()].active {
                continue;
            }
            // Uncovered until the pod below is created (it may be refused).
            self.take_daemon_mailboxes(cx.spec, cx.cluster);
            self.daemon_node_registered(cx.spec, cx.cluster, wl, node);
            if daemon_fits_node(
                cx.spec,
                cx.cluster,
                cx.spec.workloads[wl.idx()].template,
                node,
            ) {
                self.create_pod(cx, wl, Some(node));
                if cx.spec.has_quotas() {
                    self.retry_after_refusal(cx, wl);
                }
            }
        }
        self.upgrade_node_ready(cx, node);
    }

    pub fn timeline(&mut self, cx: &mut Ctx, action: &TimelineAction) {
        match *action {
            TimelineAction::Create(wl) => self.create(cx, wl),
            TimelineAction::Scale(wl, r) => self.scale(cx, wl, r),
            TimelineAction::Delete(wl) => self.delete(cx, wl),
            TimelineAction::Cordon(target) | TimelineAction::Uncordon(target) => {
                let on = matches!(action, TimelineAction::Cordon(_));
                let nodes = node_actions::resolve(cx.cluster, target);
                node_actions::set_cordon(cx, &nodes, on);
            }
            TimelineAction::AddTaint(target, ref taint) => {
                let nodes = node_actions::resolve(cx.cluster, target);
                let changed = node_actions::add_taint(cx, &nodes, taint);
                if taint.effect == crate::model::selector::TaintEffect::NoExecute {
                    for n in changed {
                        self.node_taints_changed(cx, n);
                    }
                }
            }
            TimelineAction::RemoveTaint(target, ref key, effect) => {
                let nodes = node_actions::resolve(cx.cluster, target);
                for n in node_actions::remove_taint(cx, &nodes, key, effect) {
                    self.node_taints_changed(cx, n);
                }
            }
            TimelineAction::FailNode(target) => self.fail_nodes(cx, target),
            TimelineAction::RecoverNode(target) => self.recover_nodes(cx, target),
            TimelineAction::Rollout(wl, t) => self.start_rollout(cx, wl, t),
            TimelineAction::Drain(target, opts) => self.start_drain(cx, target, opts),
            TimelineAction::UpgradePool(pool, up) => self.start_upgrade(cx, pool, up),
            TimelineAction::PatchPool(pool, patch) => self.start_patch(cx, pool, patch),
        }
    }

    /// A node's NoExecute taints changed (`handleNodeUpdate`): every pod on it is processed
    /// again, in pod order; those due now are evicted.
    pub fn node_taints_changed(&mut self, cx: &mut Ctx, node: NodeId) {
        let mut pods = cx.cluster.pods_on[node.idx()].clone();
        pods.retain(|p| cx.cluster.pods[p.idx()].phase.is_live());
        pods.sort_unstable();
        for pod in pods {
            if self.eviction.process(cx, pod, node) {
                self.evict_for_taint(cx, pod);
            }
        }
    }

    /// A pod was bound (`handlePodUpdate`): on a node with NoExecute taints its toleration
    /// period starts now, or it is evicted at once.
    pub fn pod_bound(&mut self, cx: &mut Ctx, pod: PodId) {
        let Some(node) = cx.cluster.pods[pod.idx()].node else {
            return;
        };
        let no_execute = cx
            .cluster
            .taints(cx.spec, node)
            .iter()
            .any(|t| t.effect == crate::model::selector::TaintEffect::NoExecute);
        if no_execute && self.eviction.process(cx, pod, node) {
            self.evict_for_taint(cx, pod);
        }
    }

    /// A scheduled taint eviction is due: evicts the pod if it still is.
    pub fn taint_eviction_fired(&mut self, cx: &mut Ctx, pod: PodId) {
        if self.eviction.fired(cx, pod) {
            self.evict_for_taint(cx, pod);
        }
    }

    /// Deletes a pod for a NoExecute taint it does not (or no longer) tolerate, with its own
    /// grace period (the taint manager deletes with default options); its controller hears
    /// of it through `Effect::PodTerminating`.
    fn evict_for_taint(&mut self, cx: &mut Ctx, pod: PodId) {
        let grace = cx
            .spec
            .template(cx.cluster.pods[pod.idx()].template)
            .termination_grace_ms;
        terminate_pod(
            cx,
            pod,
            Termination::TaintEviction,
            TAINT_EVICTION_MESSAGE,
            grace,
        );
    }

    /// Creation events of the workloads that have a creation time.
    pub fn schedule_initial(&self, cx: &mut Ctx) {
        for (i, wl) in cx.spec.workloads.iter().enumerate() {
            if let Some(at) = wl.created_at {
                cx.at(at, Event::WorkloadCreate(WorkloadId::from_idx(i)));
            }
        }
    }
}

/// The message of a taint eviction: the `DisruptionTarget` condition's message upstream
/// (k/k `pkg/controller/tainteviction/taint_eviction.go`).
pub const TAINT_EVICTION_MESSAGE: &str = "Taint manager: deleting due to NoExecute taint";

/// Whether the node's own taints (if it has any) let a DaemonSet's pods run there
/// (`nodeShouldRunDaemonPod` on NoSchedule and NoExecute taints, with the tolerations the
/// DaemonSet controller adds). Nodes without their own taints were judged by their pool.
fn daemon_fits_node_taints(
    spec: &Spec,
    cl: &crate::model::cluster::Cluster,
    t: TemplateId,
    node: NodeId,
) -> bool {
    let Some(taints) = cl.taint_overlay.get(node) else {
        return true;
    };
    let tols = &spec.template(t).tolerations;
    let extra = taint_eviction::daemon_tolerations();
    taints.iter().all(|taint| {
        !matches!(
            taint.effect,
            crate::model::selector::TaintEffect::NoSchedule
                | crate::model::selector::TaintEffect::NoExecute
        ) || tols.iter().chain(&extra).any(|tol| tol.tolerates(taint))
    })
}

/// Deletes a pod: frees its node's resources and makes its pending events stale.
pub fn delete_pod(cx: &mut Ctx, pod: PodId) {
    let now = cx.now;
    let spec = cx.spec;
    let p = &mut cx.cluster.pods[pod.idx()];
    if !p.phase.holds_node() {
        return;
    }
    let bound = p.node;
    cx.rec.set_phase(p, PodPhase::Deleted);
    p.ended = Some(now);
    p.generation += 1;
    let t = p.template;
    if p.pinned.is_some() {
        // A DaemonSet pod: its controller's index counts one fewer on the node.
        cx.cluster.daemon_pods_left.push(pod);
    }
    cx.push(Effect::Dequeue(pod));
    if let Some(node) = bound {
        cx.cluster.release(node, pod, spec.template(t));
        cx.push(Effect::ResourcesFreed(node));
    }
}

/// Starts a pod's graceful deletion (an eviction, a preemption): the API server sets its
/// deletionTimestamp and the kubelet stops it within `grace_ms` (the pod's
/// `terminationGracePeriodSeconds`, or what the caller overrides it with). A pod not bound to a
/// node has nothing to stop and goes at once. A bound pod becomes `Terminating`: its start path
/// stops (its in-flight events go stale), it holds its node's requests until
/// `Event::PodTerminated`, and its controller hears of it through `Effect::PodTerminating`.
/// Simplification: the process is taken to use its whole grace period (stated in
/// docs/scenario-format.md), the conservative case for capacity. Returns false if the pod was
/// not live (already gone or already terminating), so callers never count a pod twice.
pub fn terminate_pod(
    cx: &mut Ctx,
    pod: PodId,
    why: Termination,
    message: &str,
    grace_ms: u64,
) -> bool {
    let p = &cx.cluster.pods[pod.idx()];
    if !p.phase.is_live() {
        return false;
    }
    let m = cx.messages.intern(message);
    if p.node.is_none() {
        delete_pod(cx, pod);
        cx.cluster.pods[pod.idx()].termination = Some((why, m));
        cx.push(Effect::PodTerminating(pod));
        return true;
    }
    let p = &mut cx.cluster.pods[pod.idx()];
    cx.rec.set_phase(p, PodPhase::Terminating);
    p.termination = Some((why, m));
    p.generation += 1;
    let generation = p.generation;
    cx.push(Effect::PodTerminating(pod));
    cx.after(grace_ms, Event::PodTerminated { pod, generation });
    true
}

/// Ends a terminating pod: it leaves its node and returns its requests. False if the event is
/// stale (the pod already left, e.g. its node was deleted first).
pub fn finish_termination(cx: &mut Ctx, pod: PodId, generation: u32) -> bool {
    let spec = cx.spec;
    let p = &mut cx.cluster.pods[pod.idx()];
    if p.phase != PodPhase::Terminating || p.generation != generation {
        return false;
    }
    cx.rec.set_phase(p, PodPhase::Deleted);
    p.ended = Some(cx.now);
    p.generation += 1;
    let (node, t) = (p.node, p.template);
    if p.pinned.is_some() {
        cx.cluster.daemon_pods_left.push(pod);
    }
    if let Some(node) = node {
        cx.cluster.release(node, pod, spec.template(t));
        cx.push(Effect::ResourcesFreed(node));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effect::testing::{Harness, enqueued};

    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "lin", os: Linux, cpu: "4", memory: "16Gi"),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
             taints: [(key: "os", value: "windows", effect: NoSchedule)]),
        ],
        layers: [(name: "l1", size: "100MB")],
        images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
        workloads: [
            (name: "web", replicas: 3, template: (containers: [(image: "app:1")])),
            (name: "agent", kind: DaemonSet, template: (containers: [(image: "app:1")])),
        ],
    )"#;

    #[test]
    fn a_deployment_scaled_down_deletes_its_unbound_pods_before_its_bound_one() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        assert_eq!(pods.len(), 3, "replicas: 3 creates three pods");
        // Bind the oldest one; the other two stay Pending.
        let node = h.ready_node(0);
        let t = h
            .spec
            .template(h.cluster.pods[pods[0].idx()].template)
            .clone();
        h.cluster.bind(pods[0], node, &t, 1_000);
        // ActivePodsWithRanks: unassigned pods go first, so scaling 3 → 1 deletes pods 1 and 2
        // (newer first) and keeps the bound pod 0.
        c.scale(&mut h.cx(2_000), WorkloadId(0), 1);
        let fx = h.take();
        assert_eq!(
            fx,
            vec![Effect::Dequeue(pods[2]), Effect::Dequeue(pods[1])],
            "unbound pods free nothing: no ResourcesFreed"
        );
        assert_eq!(c.workloads[0].pods, vec![pods[0]]);
        // Scaling to 0 deletes the bound pod and returns its requests to the node.
        c.scale(&mut h.cx(3_000), WorkloadId(0), 0);
        assert_eq!(
            h.take(),
            vec![Effect::Dequeue(pods[0]), Effect::ResourcesFreed(node)]
        );
        assert_eq!(h.cluster.nodes[node.idx()].requested.pods, 0);
    }

    #[test]
    fn failed_pods_are_replaced_after_a_back_off_that_doubles_per_failure() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        // First failure at 10 s: failed_pod_backoff 1 s → a sync at 11 s.
        c.pod_failed(&mut h.cx(10_000), pods[0]);
        assert_eq!(
            h.take(),
            vec![Effect::At(11_000, Event::ControllerSync(WorkloadId(0)))]
        );
        // A second failure before that sync adds no second sync (one is pending).
        c.pod_failed(&mut h.cx(10_500), pods[1]);
        assert_eq!(h.take(), vec![]);
        // The sync recreates both; the next failure is the third in a row: 1 × 2² = 4 s.
        c.sync(&mut h.cx(11_000), WorkloadId(0));
        assert_eq!(enqueued(&h.take()).len(), 2);
        c.pod_failed(&mut h.cx(20_000), pods[2]);
        assert_eq!(
            h.take(),
            vec![Effect::At(24_000, Event::ControllerSync(WorkloadId(0)))]
        );
        // A Ready pod resets the back-off: the next failure waits 1 s again.
        c.pod_ready(WorkloadId(0));
        c.sync(&mut h.cx(24_000), WorkloadId(0));
        h.take();
        let last = *c.workloads[0].pods.last().unwrap();
        c.pod_failed(&mut h.cx(30_000), last);
        assert_eq!(
            h.take(),
            vec![Effect::At(31_000, Event::ControllerSync(WorkloadId(0)))]
        );
    }

    /// Binds a Pending pod to `node` and moves it to Starting, as the loop does after a bind.
    fn bind(h: &mut Harness, pod: PodId, node: NodeId, now: u64) {
        let t = h.spec.template(h.cluster.pods[pod.idx()].template).clone();
        h.cluster.bind(pod, node, &t, now);
        let p = &mut h.cluster.pods[pod.idx()];
        h.rec.set_phase(p, PodPhase::Starting);
    }

    #[test]
    fn an_evicted_pod_holds_its_node_for_its_grace_period_while_its_deployment_replaces_it() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        let node = h.ready_node(0);
        bind(&mut h, pods[0], node, 1_000);
        // Evicted at 100 s with the default grace period of 30 s (the template sets none):
        // Terminating now, gone at 130 s; the start path's events go stale (generation 0 → 1).
        let grace = h.spec.template(TemplateId(0)).termination_grace_ms;
        assert_eq!(grace, 30_000);
        assert!(terminate_pod(
            &mut h.cx(100_000),
            pods[0],
            Termination::Evicted,
            "drained",
            grace,
        ));
        let generation = 1;
        assert_eq!(
            h.take(),
            vec![
                Effect::PodTerminating(pods[0]),
                Effect::At(
                    130_000,
                    Event::PodTerminated {
                        pod: pods[0],
                        generation
                    }
                ),
            ]
        );
        let p = &h.cluster.pods[pods[0].idx()];
        assert_eq!(p.phase, PodPhase::Terminating);
        assert_eq!(p.termination.map(|t| t.0), Some(Termination::Evicted));
        assert_eq!(
            h.cluster.nodes[node.idx()].requested.pods,
            1,
            "still on its node"
        );
        // The ReplicaSet no longer counts it (FilterActivePods): one replacement at once.
        c.pod_terminating(&mut h.cx(100_000), pods[0]);
        let new = enqueued(&h.take());
        assert_eq!(new.len(), 1);
        assert_eq!(c.workloads[0].pods, vec![pods[1], pods[2], new[0]]);
        // A second eviction of a terminating pod does nothing.
        assert!(!terminate_pod(
            &mut h.cx(110_000),
            pods[0],
            Termination::Evicted,
            "again",
            30_000
        ));
        assert_eq!(h.take(), vec![]);
        // At 130 s it leaves its node; a stale copy of the event is ignored.
        c.pod_terminated(&mut h.cx(130_000), pods[0], generation);
        assert_eq!(h.take(), vec![Effect::ResourcesFreed(node)]);
        let p = &h.cluster.pods[pods[0].idx()];
        assert_eq!((p.phase, p.ended), (PodPhase::Deleted, Some(130_000)));
        assert_eq!(h.cluster.nodes[node.idx()].requested.pods, 0);
        c.pod_terminated(&mut h.cx(130_000), pods[0], generation);
        assert_eq!(h.take(), vec![]);
    }

    #[test]
    fn an_unbound_pod_that_is_terminated_goes_at_once() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        // Nothing runs, so there is no grace period: it leaves the scheduling queue now.
        assert!(terminate_pod(
            &mut h.cx(5_000),
            pods[1],
            Termination::Preempted,
            "preempted",
            30_000
        ));
        assert_eq!(
            h.take(),
            vec![Effect::Dequeue(pods[1]), Effect::PodTerminating(pods[1])]
        );
        let p = &h.cluster.pods[pods[1].idx()];
        assert_eq!((p.phase, p.ended), (PodPhase::Deleted, Some(5_000)));
        assert_eq!(p.termination.map(|t| t.0), Some(Termination::Preempted));
    }

    #[test]
    fn a_daemonset_replaces_a_terminating_pod_only_once_it_is_gone() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        let lin = h.ready_node(0);
        c.create(&mut h.cx(0), WorkloadId(1));
        let first = enqueued(&h.take());
        assert_eq!(first.len(), 1);
        bind(&mut h, first[0], lin, 1_000);
        assert!(terminate_pod(
            &mut h.cx(50_000),
            first[0],
            Termination::TaintEviction,
            "tainted",
            30_000
        ));
        h.take();
        // podsShouldBeOnNode: a pod exists on the node while it terminates, so neither the
        // notice nor a resync creates a second one.
        c.pod_terminating(&mut h.cx(50_000), first[0]);
        c.sync(&mut h.cx(60_000), WorkloadId(1));
        assert_eq!(h.take(), vec![]);
        // At 50 + 30 = 80 s it is gone and the node gets a new daemon pod.
        c.pod_terminated(&mut h.cx(80_000), first[0], 1);
        let fx = h.take();
        assert_eq!(fx[0], Effect::ResourcesFreed(lin));
        assert_eq!(enqueued(&fx).len(), 1);
        assert_eq!(h.cluster.pods[enqueued(&fx)[0].idx()].pinned, Some(lin));
    }

    #[test]
    fn a_bare_pod_that_fails_or_is_deleted_is_never_recreated() {
        let mut h = Harness::new(
            r#"Scenario(name: "unit", duration: "1h",
            pools: [(name: "lin", os: Linux, cpu: "4", memory: "16Gi")],
            layers: [(name: "l1", size: "100MB")],
            images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
            workloads: [(name: "probe", kind: Pod, template: (containers: [(image: "app:1")]))])"#,
        );
        let mut c = Controllers::new(&h.spec);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        assert_eq!(pods.len(), 1, "a bare Pod is one pod");
        // The pod fails on its node: a Deployment would schedule a replacement sync after the
        // 1 s back-off; the sync of a bare Pod creates nothing (nothing owns it upstream).
        h.cluster.pods[pods[0].idx()].phase = PodPhase::Failed;
        c.pod_failed(&mut h.cx(10_000), pods[0]);
        h.take();
        c.sync(&mut h.cx(11_000), WorkloadId(0));
        assert_eq!(enqueued(&h.take()), vec![]);
        assert_eq!(h.cluster.pods.len(), 1);
        // Deleted and created again by the timeline: a new Pod object, once.
        c.delete(&mut h.cx(20_000), WorkloadId(0));
        h.take();
        c.create(&mut h.cx(30_000), WorkloadId(0));
        assert_eq!(enqueued(&h.take()).len(), 1);
    }

    #[test]
    fn a_daemonset_puts_one_pod_on_a_joining_node_only_if_it_tolerates_the_pool() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        let lin = h.ready_node(0);
        c.create(&mut h.cx(0), WorkloadId(1));
        let first = enqueued(&h.take());
        assert_eq!(first.len(), 1, "one pod for the one Linux node");
        assert_eq!(h.cluster.pods[first[0].idx()].pinned, Some(lin));
        // A second Linux node joins: one more pod, pinned to it.
        let lin2 = h.ready_node(0);
        c.node_ready(&mut h.cx(5_000), lin2);
        let second = enqueued(&h.take());
        assert_eq!(second.len(), 1);
        assert_eq!(h.cluster.pods[second[0].idx()].pinned, Some(lin2));
        // A Windows node tainted os=windows:NoSchedule joins: the agent does not tolerate it.
        let win = h.ready_node(1);
        c.node_ready(&mut h.cx(6_000), win);
        assert_eq!(h.take(), vec![]);
    }
}
