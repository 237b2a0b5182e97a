//! Node-pool upgrades to a new Windows build (`UpgradePool`) and monthly patches that change
//! only the revision (`PatchPool`), as a managed cloud runs them.
//!
//! Owns: the order of an upgrade (which nodes are surged, which old nodes are drained in which
//! batch, when a node is removed or rebooted), the pool's version for new nodes
//! (`Cluster::set_pool_version`), each node's version after it is upgraded, and the record of
//! each upgrade. Does not own: the drain and the eviction API with its PodDisruptionBudget
//! check (`drain`, reused as is: each old node is one single-node drain), creating, deleting
//! or timing nodes (the loop, through `Effect::RequestNodes`, `Effect::DeleteNode` and
//! `Effect::RebootNode`), or what a new build means to pods (the kubelet's build check and
//! the scheduler's `node.kubernetes.io/windows-build` label, both reading `Node::version`).
//!
//! Upgrade, following AKS's documented rolling upgrade (learn.microsoft.com "Configure rolling
//! upgrades for AKS node pools", "How AKS cluster upgrades work"): (1) add `maxSurge` buffer
//! nodes with the new image; (2) cordon and drain as many old nodes at once as there are
//! buffer nodes, honouring PodDisruptionBudgets, each within `drainTimeoutInMinutes` ("If this
//! time is exceeded, the upgrade fails"); (3) the drained nodes are reimaged and become the
//! buffer nodes of the next batch; (4) repeat until every node is upgraded; (5) remove the
//! remaining buffer nodes. Modelled with the same node counts and order: a drained old node
//! is removed and a new node requested in its place for the next batch (a reimage takes the
//! pool's provisioning delay, as a new node does), and the last batch's new nodes stay, so the
//! pool ends with as many nodes as it started with. `maxSurge` as a percentage is of the
//! pool's nodes when the upgrade starts, fractional nodes rounded up (AKS API
//! `AgentPoolUpgradeSettings.maxSurge`). The drain is kubectl's with `--force` semantics for
//! bare pods: the node is reimaged whatever runs on it.
//!
//! Patch: nodes are drained and rebooted in place one at a time (cordon, drain, the node down
//! for the reboot time, back with the new revision, uncordoned). A rebooting node is a stopped
//! kubelet: `node_lifecycle`'s failure model (NotReady after the grace period, its pods
//! restart on return), so DaemonSet pods restart after it.

use super::Controllers;
use super::node_actions;
use crate::effect::{Ctx, Effect};
use crate::model::cluster::{Cluster, NodeState, Reason};
use crate::model::windows::WinVersion;
use crate::model::*;

/// What one `UpgradePool` or `PatchPool` did, for the outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct UpgradeRecord {
    pub pool: String,
    /// `UpgradePool` or `PatchPool`.
    pub action: &'static str,
    pub from: WinVersion,
    pub to: WinVersion,
    pub start: u64,
    /// When every old node was upgraded; None if the run ended first or the upgrade failed.
    pub end: Option<u64>,
    /// Old nodes replaced (upgrade) or rebooted with the new revision (patch).
    pub nodes_upgraded: u32,
    /// Pods the upgrade's drains evicted.
    pub pods_evicted: u32,
    /// Pods bound to a node of the pool with the new version (after the upgrade started) that
    /// hit `CreateContainerError` or `ErrImagePull` there: the build mismatch at work.
    pub pods_failed_on_new_build: u32,
    /// Eviction requests refused with 429 by a PodDisruptionBudget (retries count).
    pub evictions_refused: u32,
    /// Why the upgrade stopped before the end (a drain timed out), if it did.
    pub failed: Option<String>,
}

#[derive(Clone, Debug)]
struct Run {
    pool: PoolId,
    to: WinVersion,
    /// Some for a patch.
    patch: Option<PatchSpec>,
    /// Nodes per batch.
    surge: u32,
    drain_timeout: u64,
    /// The pool's nodes when the upgrade started, in node order.
    old: Vec<NodeId>,
    /// Index in `old` of the next node to drain.
    next: usize,
    /// Nodes asked for in the current batch not Ready yet.
    surging: Vec<NodeId>,
    /// Nodes of the current batch still draining (or rebooting).
    busy: u32,
    /// The drains this upgrade started (indices into `Recorder::drains`).
    drains: Vec<u32>,
    done: bool,
}

/// Every upgrade and patch of the run, in start order.
#[derive(Clone, Debug, Default)]
pub struct Upgrades {
    runs: Vec<Run>,
    pub log: Vec<UpgradeRecord>,
}

impl Controllers {
    /// A timeline `UpgradePool`: the pool's new nodes get `to` from now on, and the first
    /// batch of surge nodes is requested.
    pub fn start_upgrade(&mut self, cx: &mut Ctx, pool: PoolId, up: UpgradeSpec) {
        let old = self.begin(cx, pool, up.to, "UpgradePool");
        let surge = up.max_surge.scaled_up(old.len() as u32).max(1);
        self.push_run(cx, pool, up.to, None, surge, up.drain_timeout, old);
    }

    /// A timeline `PatchPool`: the pool's nodes move to the new revision one at a time.
    pub fn start_patch(&mut self, cx: &mut Ctx, pool: PoolId, patch: PatchSpec) {
        let from = cx.cluster.pool_version[pool.idx()].expect("a patched pool runs Windows");
        let to = WinVersion {
            revision: Some(patch.to_revision),
            ..from
        };
        let old = self.begin(cx, pool, to, "PatchPool");
        self.push_run(cx, pool, to, Some(patch), 1, patch.drain_timeout, old);
    }

    /// Records the start and returns the pool's nodes to upgrade, in node order.
    fn begin(
        &mut self,
        cx: &mut Ctx,
        pool: PoolId,
        to: WinVersion,
        action: &'static str,
    ) -> Vec<NodeId> {
        let from = cx.cluster.pool_version[pool.idx()].expect("an upgraded pool runs Windows");
        cx.cluster.set_pool_version(pool, to);
        self.upgrades.log.push(UpgradeRecord {
            pool: cx.spec.pool(pool).name.clone(),
            action,
            from,
            to,
            start: cx.now,
            end: None,
            nodes_upgraded: 0,
            pods_evicted: 0,
            pods_failed_on_new_build: 0,
            evictions_refused: 0,
            failed: None,
        });
        let mut old = node_actions::resolve(cx.cluster, NodeTarget::Pool(pool));
        old.retain(|n| cx.cluster.nodes[n.idx()].version != Some(to));
        old
    }

    #[allow(clippy::too_many_arguments)]
    fn push_run(
        &mut self,
        cx: &mut Ctx,
        pool: PoolId,
        to: WinVersion,
        patch: Option<PatchSpec>,
        surge: u32,
        drain_timeout: u64,
        old: Vec<NodeId>,
    ) {
        let u = self.upgrades.runs.len();
        self.upgrades.runs.push(Run {
            pool,
            to,
            patch,
            surge,
            drain_timeout,
            old,
            next: 0,
            surging: Vec::new(),
            busy: 0,
            drains: Vec::new(),
            done: false,
        });
        self.next_batch(cx, u);
    }

    /// Starts the next batch: surge nodes for an upgrade (drained once they are Ready), the
    /// next node's drain for a patch; or ends the run when no old node is left.
    fn next_batch(&mut self, cx: &mut Ctx, u: usize) {
        let run = &mut self.upgrades.runs[u];
        // Old nodes that went meanwhile (the autoscaler removed them) need nothing.
        while run
            .old
            .get(run.next)
            .is_some_and(|n| cx.cluster.nodes[n.idx()].state == NodeState::Deleted)
        {
            run.next += 1;
        }
        let left = run.old.len() - run.next;
        if left == 0 {
            run.done = true;
            self.upgrades.log[u].end = Some(cx.now);
            return;
        }
        let k = (run.surge as usize).min(left) as u32;
        if run.patch.is_some() {
            return self.drain_batch(cx, u, k as usize);
        }
        cx.push(Effect::RequestNodes {
            pool: run.pool,
            count: k,
            upgrade: u as u32,
        });
    }

    /// The loop created `node` for upgrade `u`'s current batch.
    pub fn upgrade_node_requested(&mut self, u: u32, node: NodeId) {
        self.upgrades.runs[u as usize].surging.push(node);
    }

    /// A node became Ready: when it was the last surge node of its batch, the batch's old
    /// nodes are cordoned and drained.
    pub fn upgrade_node_ready(&mut self, cx: &mut Ctx, node: NodeId) {
        for u in 0..self.upgrades.runs.len() {
            let run = &mut self.upgrades.runs[u];
            let Some(i) = run.surging.iter().position(|&n| n == node) else {
                continue;
            };
            run.surging.swap_remove(i);
            if run.surging.is_empty() && !run.done {
                let k = (run.surge as usize).min(run.old.len() - run.next);
                self.drain_batch(cx, u, k);
            }
        }
    }

    /// Cordons and drains the next `k` old nodes at once, each as its own drain.
    fn drain_batch(&mut self, cx: &mut Ctx, u: usize, k: usize) {
        let run = &mut self.upgrades.runs[u];
        let batch: Vec<NodeId> = run.old[run.next..run.next + k].to_vec();
        run.next += k;
        run.busy = k as u32;
        let opts = DrainOptions {
            timeout: Some(run.drain_timeout),
            force: true,
        };
        let mut started = 0;
        for node in batch {
            let n = &cx.cluster.nodes[node.idx()];
            if n.state == NodeState::Deleted {
                self.upgrades.runs[u].busy -= 1;
                continue;
            }
            started += 1;
            let target = NodeTarget::Node {
                pool: n.pool,
                ordinal: n.ordinal,
            };
            let d = self.start_drain_for(cx, target, opts, Some(u as u32));
            self.upgrades.runs[u].drains.push(d as u32);
        }
        // Every node of the batch went meanwhile: nothing will report back, so move on. (A
        // drain that ends at once, on a node with nothing to evict, has already moved on
        // through `batch_node_done`.)
        if started == 0 {
            self.next_batch(cx, u);
        }
    }

    /// Drain `d` of upgrade `u` ended: past its timeout the upgrade fails; otherwise the node
    /// is removed (upgrade) or rebooted (patch), and the next batch starts once the whole
    /// batch is through.
    pub(super) fn upgrade_drain_done(&mut self, cx: &mut Ctx, u: u32, d: usize) {
        let u = u as usize;
        if self.upgrades.runs[u].done {
            return;
        }
        let dr = &cx.rec.drains[d];
        let Some(node) = self.drained_node(cx, d) else {
            return self.batch_node_done(cx, u);
        };
        if dr.nodes_timed_out > 0 {
            let run = &mut self.upgrades.runs[u];
            run.done = true;
            self.upgrades.log[u].failed = Some(format!(
                "drain of {} did not finish within the drain timeout ({} s): the upgrade failed",
                cx.cluster.node_name(cx.spec, node),
                run.drain_timeout / 1000
            ));
            return;
        }
        if let Some(patch) = self.upgrades.runs[u].patch {
            self.fail_node(cx, node);
            cx.push(Effect::RebootNode {
                node,
                upgrade: u as u32,
                after: patch.reboot,
            });
            return;
        }
        cx.push(Effect::DeleteNode(node));
        self.upgrades.log[u].nodes_upgraded += 1;
        self.batch_node_done(cx, u);
    }

    /// The single node drain `d` was started on (None if it was gone by then).
    fn drained_node(&self, cx: &Ctx, d: usize) -> Option<NodeId> {
        self.drains
            .node_of(d)
            .filter(|n| cx.cluster.nodes[n.idx()].state != NodeState::Deleted)
    }

    fn batch_node_done(&mut self, cx: &mut Ctx, u: usize) {
        let run = &mut self.upgrades.runs[u];
        run.busy -= 1;
        if run.busy == 0 && !run.done {
            self.next_batch(cx, u);
        }
    }

    /// A patched node is back from its reboot: the new revision, Ready, uncordoned.
    pub fn upgrade_node_back(&mut self, cx: &mut Ctx, u: u32, node: NodeId) {
        let u = u as usize;
        let to = self.upgrades.runs[u].to;
        cx.cluster.set_node_version(cx.spec, node, to);
        self.recover_node(cx, node);
        node_actions::set_cordon(cx, &[node], false);
        self.upgrades.log[u].nodes_upgraded += 1;
        self.batch_node_done(cx, u);
    }

    /// The upgrades' records with the counts that are read off the run's end state: the
    /// evictions of their drains, and the pods that failed on the new version.
    pub fn upgrade_records(
        &self,
        cl: &Cluster,
        drains: &[crate::model::disruption::DrainRecord],
    ) -> Vec<UpgradeRecord> {
        let mismatch = Reason::CreateContainerError.bit() | Reason::ErrImagePull.bit();
        self.upgrades
            .runs
            .iter()
            .zip(&self.upgrades.log)
            .map(|(run, log)| {
                let mut r = log.clone();
                for &d in &run.drains {
                    let dr = &drains[d as usize];
                    r.pods_evicted += dr.pods_evicted;
                    r.evictions_refused += dr.evictions_refused;
                }
                r.pods_failed_on_new_build = cl
                    .pods
                    .iter()
                    .filter(|p| {
                        p.reasons_seen & mismatch != 0
                            && p.scheduled.is_some_and(|t| t >= log.start)
                            && p.node.is_some_and(|n| {
                                let n = &cl.nodes[n.idx()];
                                n.pool == run.pool && n.version == Some(run.to)
                            })
                    })
                    .count() as u32;
                r
            })
            .collect()
    }
}
