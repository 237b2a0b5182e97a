//! `kubectl drain` and the eviction API it calls: the timeline `Drain` action, and the
//! eviction subresource's PodDisruptionBudget check for any component that evicts.
//!
//! Owns: the drain's steps and timing, and turning a workload's pods into the counts its
//! budget is judged on. Does not own: the budget arithmetic (`model::disruption`), the
//! graceful deletion (`terminate_pod`) or replacing evicted pods (their controller, through
//! `Effect::PodTerminating`).
//!
//! Upstream, followed step by step: `kubectl drain` (k/k `staging/src/k8s.io/kubectl/pkg/cmd/
//! drain/drain.go` `RunDrain`) first cordons every target node, then drains them one at a time
//! in order, continuing with the next node when one fails. Per node
//! (`staging/src/k8s.io/kubectl/pkg/drain/drain.go`): `GetPodsForDeletion` skips DaemonSet pods
//! (`--ignore-daemonsets`) and refuses the whole node when a pod has no controller unless
//! `--force`; `evictPods` evicts every pod at once, one goroutine each, retrying a 429 after
//! `time.Sleep(5 * time.Second)` and checking the `--timeout` context before each attempt; each
//! evicted pod is then polled every second (`waitForDelete`, `interval: 1 * time.Second`) until
//! it is gone, or the context ends ("global timeout reached"). The timeout counts from the
//! start of that node's evictions; 0 means none.
//!
//! Simulated as one tick a second per running drain, aligned on the node's start, so the 5 s
//! retries and the 1 s polls fall on ticks: a node is done at the first tick at which none of
//! its pods is left (or at which its timeout has passed; a pod still being refused notices
//! the timeout at its next 5 s retry).

use super::{Controllers, terminate_pod};
use crate::effect::{Ctx, Event};
use crate::model::cluster::{PodPhase, Termination};
use crate::model::disruption::{self, Counts, DrainRecord, PodState, Verdict};
use crate::model::*;

/// kubectl's wait before retrying an eviction refused with 429.
pub const RETRY_MS: u64 = 5_000;
/// kubectl's poll interval while waiting for evicted pods to be gone.
pub const POLL_MS: u64 = 1_000;

/// The message of an eviction through the API: the `DisruptionTarget` condition's message
/// (reason `EvictionByEvictionAPI`) in k/k `pkg/registry/core/pod/storage/eviction.go`.
pub const EVICTION_MESSAGE: &str = "Eviction API: evicting";

/// One running (or finished) drain.
#[derive(Clone, Debug)]
pub struct DrainRun {
    /// Target nodes in node order, resolved and cordoned when the drain started.
    nodes: Vec<NodeId>,
    opts: DrainOptions,
    /// Index in `nodes` of the node being drained (`nodes.len()` when finished).
    current: usize,
    /// When the current node's evictions started.
    node_start: u64,
    /// Pods of the current node refused so far (429), to retry.
    to_evict: Vec<PodId>,
    /// Pods evicted (or already terminating), not gone yet.
    waiting: Vec<PodId>,
    /// The pool upgrade this drain is part of (`upgrade`), told when it ends.
    owner: Option<u32>,
}

/// Every drain of the run, indexed like `Recorder::drains`.
#[derive(Clone, Debug, Default)]
pub struct Drains {
    runs: Vec<DrainRun>,
}

impl Drains {
    /// The first node drain `i` targeted (an upgrade's drains target one node each).
    pub fn node_of(&self, i: usize) -> Option<NodeId> {
        self.runs.get(i).and_then(|r| r.nodes.first().copied())
    }
}

/// Whether a pod no longer exists on its node (deleted, or terminal).
fn gone(phase: PodPhase) -> bool {
    !(phase.is_live() || phase == PodPhase::Terminating)
}

impl Controllers {
    /// The eviction API for `pod`: deletes it gracefully (reason Evicted, its own grace
    /// period) unless its workload's PodDisruptionBudget refuses (429). Returns whether the
    /// pod was evicted; a pod already terminating or gone counts as evicted (upstream
    /// `canIgnorePDB` deletes it again, which changes nothing).
    pub fn evict(&mut self, cx: &mut Ctx, pod: PodId) -> bool {
        let p = &cx.cluster.pods[pod.idx()];
        if !p.phase.is_live() {
            return true;
        }
        let wl = p.workload;
        if let Some(budget) = cx.spec.workloads[wl.idx()].disruption_budget {
            let state = match p.phase {
                PodPhase::Ready => PodState::Ready,
                PodPhase::Running => PodState::Unready,
                _ => PodState::PendingOrTerminating,
            };
            let status = budget.status(self.budget_counts(cx, wl));
            if disruption::evict(state, status) == Verdict::TooManyRequests {
                return false;
            }
        }
        let grace = cx.spec.template(p.template).termination_grace_ms;
        terminate_pod(cx, pod, Termination::Evicted, EVICTION_MESSAGE, grace)
    }

    /// The counts `wl`'s budget is judged on now: the Deployment's desired replicas, the pods
    /// that still exist (terminating ones included) and the Ready ones.
    pub fn budget_counts(&self, cx: &Ctx, wl: WorkloadId) -> Counts {
        let w = wl.idx();
        let n = |ph| cx.rec.workload_count(w, ph);
        Counts {
            scale: self.workloads[w].desired,
            matched: n(PodPhase::Pending)
                + n(PodPhase::Starting)
                + n(PodPhase::Running)
                + n(PodPhase::Ready)
                + n(PodPhase::Terminating),
            healthy: n(PodPhase::Ready),
        }
    }

    /// Per workload, the disruptions its budget allows now (None without a budget), for the
    /// cluster autoscaler's scale-down.
    pub fn disruptions_allowed(&self, cx: &Ctx) -> Vec<Option<u32>> {
        cx.spec
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| {
                w.disruption_budget.map(|b| {
                    b.status(self.budget_counts(cx, WorkloadId::from_idx(i)))
                        .disruptions_allowed
                })
            })
            .collect()
    }

    /// A timeline `Drain`: cordons every target node now, then drains the first one.
    pub fn start_drain(&mut self, cx: &mut Ctx, target: NodeTarget, opts: DrainOptions) {
        self.start_drain_for(cx, target, opts, None);
    }

    /// A drain on behalf of `owner` (a pool upgrade, told when the drain ends); returns the
    /// drain's index.
    pub fn start_drain_for(
        &mut self,
        cx: &mut Ctx,
        target: NodeTarget,
        opts: DrainOptions,
        owner: Option<u32>,
    ) -> usize {
        let nodes = super::node_actions::resolve(cx.cluster, target);
        super::node_actions::set_cordon(cx, &nodes, true);
        let name = match target {
            NodeTarget::Pool(p) => format!("pool {}", cx.spec.pool(p).name),
            NodeTarget::Node { pool, ordinal } => {
                let p = cx.spec.pool(pool);
                format!("node {}", p.naming.name(&p.name, ordinal))
            }
        };
        cx.rec.drains.push(DrainRecord {
            target: name,
            start: cx.now,
            end: None,
            nodes: nodes.len() as u32,
            ..DrainRecord::default()
        });
        let i = self.drains.runs.len();
        self.drains.runs.push(DrainRun {
            nodes,
            opts,
            current: 0,
            node_start: cx.now,
            to_evict: Vec::new(),
            waiting: Vec::new(),
            owner,
        });
        self.next_node(cx, i);
        i
    }

    /// Starts draining the current node of run `i`, moving past nodes that need no wait;
    /// schedules the next tick, or ends the run.
    fn next_node(&mut self, cx: &mut Ctx, i: usize) {
        loop {
            let run = &mut self.drains.runs[i];
            let Some(&node) = run.nodes.get(run.current) else {
                cx.rec.drains[i].end = Some(cx.now);
                if let Some(u) = run.owner {
                    self.upgrade_drain_done(cx, u, i);
                }
                return;
            };
            run.node_start = cx.now;
            run.to_evict.clear();
            run.waiting.clear();
            let force = run.opts.force;
            // GetPodsForDeletion: DaemonSet pods are skipped; a bare Pod refuses the node.
            let mut pods: Vec<PodId> = cx.cluster.pods_on[node.idx()]
                .iter()
                .copied()
                .filter(|&p| {
                    let pod = &cx.cluster.pods[p.idx()];
                    !gone(pod.phase)
                        && cx.spec.workloads[pod.workload.idx()].kind != WorkloadKind::DaemonSet
                })
                .collect();
            pods.sort_unstable();
            // Trace pods are bare pods too: nothing recreates them once evicted.
            let bare = pods.iter().any(|p| {
                matches!(
                    cx.spec.workloads[cx.cluster.pods[p.idx()].workload.idx()].kind,
                    WorkloadKind::Pod | WorkloadKind::Trace
                )
            });
            if bare && !force {
                cx.rec.drains[i].nodes_refused += 1;
                self.drains.runs[i].current += 1;
                continue;
            }
            for p in pods {
                self.attempt(cx, i, p);
            }
            let run = &self.drains.runs[i];
            if run.to_evict.is_empty() && run.waiting.is_empty() {
                cx.rec.drains[i].nodes_drained += 1;
                self.drains.runs[i].current += 1;
                continue;
            }
            cx.after(POLL_MS, Event::DrainTick(i as u32));
            return;
        }
    }

    /// One eviction request of run `i` for `pod`.
    fn attempt(&mut self, cx: &mut Ctx, i: usize, pod: PodId) {
        let live = cx.cluster.pods[pod.idx()].phase.is_live();
        if self.evict(cx, pod) {
            if live {
                cx.rec.drains[i].pods_evicted += 1;
            }
            self.drains.runs[i].waiting.push(pod);
        } else {
            cx.rec.drains[i].evictions_refused += 1;
            self.drains.runs[i].to_evict.push(pod);
        }
    }

    /// A drain's tick: polls its evicted pods, retries refused evictions every 5 s from the
    /// node's start, and moves on when the node is empty or its timeout has passed.
    pub fn drain_tick(&mut self, cx: &mut Ctx, i: u32) {
        let i = i as usize;
        let run = &mut self.drains.runs[i];
        let pods = &cx.cluster.pods;
        run.waiting.retain(|p| !gone(pods[p.idx()].phase));
        // A refused pod that went meanwhile (its node deleted, its workload scaled down) is
        // NotFound on its next attempt, which kubectl takes as done.
        run.to_evict.retain(|p| !gone(pods[p.idx()].phase));
        let elapsed = cx.now - run.node_start;
        let retry_now = elapsed.is_multiple_of(RETRY_MS);
        let expired = run.opts.timeout.is_some_and(|t| elapsed >= t);
        if expired && (run.to_evict.is_empty() || retry_now) {
            if !run.to_evict.is_empty() || !run.waiting.is_empty() {
                cx.rec.drains[i].nodes_timed_out += 1;
            } else {
                cx.rec.drains[i].nodes_drained += 1;
            }
            run.current += 1;
            return self.next_node(cx, i);
        }
        if retry_now && !expired {
            let retry = std::mem::take(&mut run.to_evict);
            for p in retry {
                self.attempt(cx, i, p);
            }
        }
        let run = &mut self.drains.runs[i];
        if run.to_evict.is_empty() && run.waiting.is_empty() {
            cx.rec.drains[i].nodes_drained += 1;
            run.current += 1;
            return self.next_node(cx, i);
        }
        cx.after(POLL_MS, Event::DrainTick(i as u32));
    }
}
