//! The DaemonSet controller's index of each active DaemonSet: how many of its pods cover each
//! node, and the registered nodes it may run on that none covers, in registration order.
//!
//! Owns: keeping both right as the DaemonSet's pods are created and leave and as nodes join,
//! so that a sync visits only the nodes without a pod instead of rebuilding the covered set
//! from all the DaemonSet's pods (a sort) and walking every registered node: O(log n) per
//! event while every node that should run the DaemonSet does, where it was O(nodes) (a pool
//! upgrade of N nodes deletes N DaemonSet pods, each followed by a sync: O(N²)). Does not own
//! which of the uncovered nodes get a pod: the sync checks Ready and the node's own taints on
//! each node it visits, as it did on every node (`Controllers::sync_once`); the labels each
//! listed node passes already (below).
//!
//! The uncovered nodes are split in two: the candidates (`uncovered`), which a sync visits,
//! and the parked ones (`parked`), which a sync found not Ready or carrying a NoSchedule or
//! NoExecute taint of their own the DaemonSet does not tolerate (a failed pool, nodes tainted
//! for maintenance). A sync moves such a node from the first to the second instead of
//! visiting it again at every later sync (O(such nodes) per sync). A parked node becomes a
//! candidate again, for the next sync to judge, when what excluded it may have changed: it
//! turned Ready (`recover_node`) or its own taints changed (`node_actions::add_taint`,
//! `remove_taint`, which the node lifecycle controller's taints also go through); both call
//! `Cluster::note_node_eligible`, which leaves its registration number in
//! `Cluster::nodes_eligible` while some DaemonSet has parked nodes (`Cluster::watch_parked`),
//! so the common path records nothing. A node that leaves is named there too
//! (`Cluster::unregister`), so it moves back and the walk drops it. What a sync creates is
//! unchanged: the parked nodes are exactly the visited ones it gave no pod, and they keep
//! their registration numbers, so the candidates stay in registration order.
//!
//! A pod covers its node from its creation (DaemonSet pods are the only pinned pods) while it
//! is live, Rejected or Terminating: the pods `podsShouldBeOnNode` (k/k
//! `pkg/controller/daemon/daemon_controller.go`) sees on the node, a terminating one
//! included. It stops covering once, for good, through `delete_pod` or
//! `finish_termination` (which leave it in `Cluster::daemon_pods_left` for the index to take)
//! or by failing (`pod_failed`). Rejected records never leave; the workload's deletion drops
//! its index with its pod list. `daemon_index_violations` checks the index against the brute-force set
//! (the simulation's invariant checker calls it at every sample).
//!
//! A node that leaves the cluster stays in the uncovered set until a sync's walk meets it
//! (its registration number no longer matches), so deleting a node costs the DaemonSet
//! nothing; the walk drops it then, once. A parked node that leaves is a candidate again
//! first (above).
//!
//! The uncovered set holds only nodes the DaemonSet fits statically (`daemon_fits_node`: its
//! pool's labels and taints and the node's own build label), so a sync never visits a node
//! it could not run on. For a DaemonSet that does not select on the Windows build label,
//! that is a per-pool fact (`DaemonIndex::pools`). For one that does (`selects_build`: one
//! per build, ltsc2019 and ltsc2022, is the usual way to run a Windows agent), it is a
//! per-node one: an upgrade's new nodes carry another build than their pool's spec
//! (`Cluster::set_pool_version`) and a node can be reimaged in place
//! (`Cluster::set_node_version`), so a per-pool flag would have to admit every pool and leave
//! every node of the other builds uncovered for good, walked by each sync: O(nodes of other
//! builds) per sync in a mixed-build cluster or during an upgrade. Membership is instead
//! checked per node when the node registers or loses its last pod, and again when its build
//! changes in place: `set_node_version` leaves it in `Cluster::nodes_rebuilt` (only while a
//! build-selecting DaemonSet exists, `Cluster::watch_rebuilt`) for the index to take with
//! the pods that left (a parked node that still fits becomes a candidate again).
//!
//! A node is in at most one of `uncovered` and `parked`, and only while no pod covers it:
//! a pod created on it takes it out of both.

use super::{Controllers, daemon_fits_node, daemon_fits_node_taints, daemon_fits_pool};
use crate::effect::Ctx;
use crate::model::cluster::{Cluster, NodeState, PodPhase};
use crate::model::labels::WINDOWS_BUILD_LABEL;
use crate::model::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub struct DaemonIndex {
    /// Per node id, the DaemonSet's pods pinned there that cover it (grows on first use).
    cover: Vec<u32>,
    /// By registration number (`Cluster::registration_seq`, the scheduler's node list order),
    /// the registered nodes that fit the DaemonSet statically (`fits`) and no pod of it
    /// covers, except the parked ones: the nodes a sync visits. May still hold nodes that
    /// left since (see the module comment).
    uncovered: BTreeMap<u64, NodeId>,
    /// Per pool, whether its nodes pass `daemon_fits_pool`: for a DaemonSet that does not
    /// select on the build, whether a node of the pool fits (its build label, the only
    /// label a node carries apart from its pool's, is not looked at).
    pools: Vec<bool>,
    /// Entries of the workload's pod list that no longer cover: the list is compacted when
    /// they outnumber the others (amortised O(1) per pod that leaves).
    dead: usize,
    /// Whether the DaemonSet selects on the Windows build label (`selects_build`): then
    /// whether a node fits depends on the node's build, not only its pool.
    by_build: bool,
    /// By registration number, the registered nodes that fit the DaemonSet statically and
    /// no pod of it covers but that a sync found not Ready or carrying a taint it does not
    /// tolerate: not visited again until `Cluster::nodes_eligible` names them. Disjoint from
    /// `uncovered`.
    parked: BTreeMap<u64, NodeId>,
}

impl DaemonIndex {
    fn cover(&self, node: NodeId) -> u32 {
        self.cover.get(node.idx()).copied().unwrap_or(0)
    }

    /// Whether `node` belongs in `uncovered` while no pod covers it: the DaemonSet
    /// (template `t`) fits it statically. A per-pool flag unless the DaemonSet selects on
    /// the build.
    #[inline]
    fn fits(&self, spec: &Spec, cl: &Cluster, t: TemplateId, node: NodeId) -> bool {
        if self.by_build {
            daemon_fits_node(spec, cl, t, node)
        } else {
            self.pools[cl.nodes[node.idx()].pool.idx()]
        }
    }
}

/// Whether a pod in `phase` covers its node (a sync keeps it in the workload's pod list).
fn covers(phase: PodPhase) -> bool {
    phase.holds_node() || phase == PodPhase::Rejected
}

/// Whether a template's node selector or required node affinity names the Windows build label.
pub(super) fn selects_build(t: &TemplateSpec) -> bool {
    t.node_selector
        .iter()
        .any(|(k, _)| k == WINDOWS_BUILD_LABEL)
        || t.required.iter().flatten().any(|term| {
            term.match_expressions
                .iter()
                .any(|r| r.key == WINDOWS_BUILD_LABEL)
        })
}

impl Controllers {
    /// A DaemonSet was created: its index from its pod list and the registered nodes. The
    /// one walk over every node, once per creation.
    #[inline(never)]
    pub(super) fn build_daemon_index(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let spec = cx.spec;
        let t = spec.workloads[wl.idx()].template;
        let by_build = selects_build(spec.template(t));
        if by_build {
            // From now on `set_node_version` tells the index which nodes changed build.
            cx.cluster.watch_rebuilt = true;
        }
        let cl = &*cx.cluster;
        let mut ix = DaemonIndex {
            pools: (0..spec.pools.len())
                .map(|p| daemon_fits_pool(spec, t, PoolId::from_idx(p)))
                .collect(),
            by_build,
            ..DaemonIndex::default()
        };
        for &p in &self.workloads[wl.idx()].pods {
            let pod = &cl.pods[p.idx()];
            match pod.pinned {
                Some(n) if covers(pod.phase) => {
                    if ix.cover.len() <= n.idx() {
                        ix.cover.resize(cl.nodes.len(), 0);
                    }
                    ix.cover[n.idx()] += 1;
                }
                _ => ix.dead += 1,
            }
        }
        for node in cl.registered.iter() {
            if ix.cover(node) == 0 && ix.fits(spec, cl, t, node) {
                let seq = cl.registration_seq(node).expect("registered");
                ix.uncovered.insert(seq, node);
            }
        }
        self.daemon_index[wl.idx()] = ix;
    }

    /// A pod of `wl` was created pinned to `node`: the node is covered.
    #[inline(never)]
    pub(super) fn daemon_pod_created(&mut self, cl: &Cluster, wl: WorkloadId, node: NodeId) {
        let ix = &mut self.daemon_index[wl.idx()];
        if ix.cover.len() <= node.idx() {
            ix.cover.resize(cl.nodes.len(), 0);
        }
        ix.cover[node.idx()] += 1;
        if ix.cover[node.idx()] == 1
            && let Some(seq) = cl.registration_seq(node)
        {
            ix.uncovered.remove(&seq);
            ix.parked.remove(&seq);
        }
    }

    /// A pod of an active DaemonSet stopped covering its node: one fewer there, and the node
    /// joins the uncovered set when it was the last and the node is registered and fits.
    fn daemon_pod_gone(&mut self, spec: &Spec, cl: &Cluster, pod: PodId) {
        let p = &cl.pods[pod.idx()];
        let (wl, Some(node)) = (p.workload, p.pinned) else {
            return;
        };
        let ws = &mut self.workloads[wl.idx()];
        if !ws.active {
            // Deleted with its index (`delete`).
            return;
        }
        let ix = &mut self.daemon_index[wl.idx()];
        ix.cover[node.idx()] -= 1;
        if ix.cover[node.idx()] == 0
            && let Some(seq) = cl.registration_seq(node)
            && ix.fits(spec, cl, spec.workloads[wl.idx()].template, node)
        {
            ix.uncovered.insert(seq, node);
        }
        // The pod stays in the pod list, which only `delete` reads (and `delete_pod` skips
        // what is gone): dropped when the dead entries are the majority, keeping the order.
        ix.dead += 1;
        if ix.dead * 2 > ws.pods.len() {
            ws.pods.retain(|q| covers(cl.pods[q.idx()].phase));
            ix.dead = 0;
        }
    }

    /// A DaemonSet pod reported failed (`pod_failed`, in phase Failed): it stops covering.
    #[inline(never)]
    pub(super) fn daemon_pod_failed(&mut self, spec: &Spec, cl: &Cluster, pod: PodId) {
        debug_assert_eq!(cl.pods[pod.idx()].phase, PodPhase::Failed);
        self.daemon_pod_gone(spec, cl, pod);
    }

    /// Takes the DaemonSet pods that left (`Cluster::daemon_pods_left`), the nodes whose
    /// build changed in place (`Cluster::nodes_rebuilt`) and the nodes that may no longer be
    /// parked (`Cluster::nodes_eligible`) since the last look. Cheap when there are none:
    /// called before every use of the index.
    #[inline]
    pub(super) fn take_daemon_mailboxes(&mut self, spec: &Spec, cl: &mut Cluster) {
        if !cl.daemon_pods_left.is_empty() {
            self.daemon_pods_left(spec, cl);
        }
        if !cl.nodes_rebuilt.is_empty() {
            self.daemon_nodes_rebuilt(spec, cl);
        }
        if !cl.nodes_eligible.is_empty() {
            self.daemon_nodes_eligible(cl);
        }
    }

    /// Nodes turned Ready, had their own taints changed or left: each active DaemonSet that
    /// parked one lists it for its next sync again, which parks it again if it still may not
    /// run there, gives it a pod if it may, or drops it if it left. O(DaemonSets × log n)
    /// per node. Stops the cluster recording when no DaemonSet has parked nodes any more.
    #[inline(never)]
    fn daemon_nodes_eligible(&mut self, cl: &mut Cluster) {
        let mut watching = false;
        for &wl in &self.daemons {
            if !self.workloads[wl.idx()].active {
                continue;
            }
            let ix = &mut self.daemon_index[wl.idx()];
            if !ix.parked.is_empty() {
                for &seq in &cl.nodes_eligible {
                    if let Some(node) = ix.parked.remove(&seq) {
                        ix.uncovered.insert(seq, node);
                    }
                }
            }
            watching |= !ix.parked.is_empty();
        }
        cl.watch_parked = watching;
        cl.nodes_eligible.clear();
    }

    #[inline(never)]
    fn daemon_pods_left(&mut self, spec: &Spec, cl: &mut Cluster) {
        let mut left = std::mem::take(&mut cl.daemon_pods_left);
        for &pod in &left {
            self.daemon_pod_gone(spec, cl, pod);
        }
        left.clear();
        cl.daemon_pods_left = left;
    }

    /// Nodes changed build in place: each active DaemonSet selecting on the build checks
    /// each registered one it does not cover again, which joins or leaves its uncovered set
    /// as it now fits or not. Stops `set_node_version` recording when there is no such
    /// DaemonSet any more. Runs after the pods that left, so the counts are current; a node
    /// listed twice is checked twice, with the same result.
    #[inline(never)]
    fn daemon_nodes_rebuilt(&mut self, spec: &Spec, cl: &mut Cluster) {
        let mut rebuilt = std::mem::take(&mut cl.nodes_rebuilt);
        let mut watching = false;
        for &wl in &self.build_daemons {
            if !self.workloads[wl.idx()].active {
                continue;
            }
            watching = true;
            let t = spec.workloads[wl.idx()].template;
            let ix = &mut self.daemon_index[wl.idx()];
            for &node in &rebuilt {
                let Some(seq) = cl.registration_seq(node) else {
                    // Not registered: its registration checks it (`daemon_node_registered`).
                    continue;
                };
                if ix.cover(node) > 0 {
                    continue;
                }
                // Parked or not, a node that fits is visited by the next sync, which parks it
                // again if it still may not run there.
                ix.parked.remove(&seq);
                if daemon_fits_node(spec, cl, t, node) {
                    ix.uncovered.insert(seq, node);
                } else {
                    ix.uncovered.remove(&seq);
                }
            }
        }
        cl.watch_rebuilt = watching;
        rebuilt.clear();
        cl.nodes_rebuilt = rebuilt;
    }

    /// `node` registered: it is uncovered by every active DaemonSet that fits it (before
    /// `node_ready` gives it their pods).
    pub(super) fn daemon_node_registered(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        wl: WorkloadId,
        node: NodeId,
    ) {
        let ix = &mut self.daemon_index[wl.idx()];
        if ix.cover(node) == 0
            && ix.fits(spec, cl, spec.workloads[wl.idx()].template, node)
            && let Some(seq) = cl.registration_seq(node)
        {
            ix.uncovered.insert(seq, node);
        }
    }

    /// The nodes a sync of DaemonSet `wl` (template `t`) gives a pod, in registration order,
    /// into `out`: its uncovered nodes that are Ready and whose taints it tolerates (each
    /// fits it statically: see the module comment). The others are parked, not visited again
    /// until they turn Ready or their taints change; nodes that left are dropped on the way.
    /// The caller takes the pods that left and the other mailboxes first.
    pub(super) fn daemon_candidates(
        &mut self,
        cx: &mut Ctx,
        wl: WorkloadId,
        t: TemplateId,
        out: &mut Vec<NodeId>,
    ) {
        let (spec, cl) = (cx.spec, &*cx.cluster);
        let ix = &mut self.daemon_index[wl.idx()];
        let (cover, parked) = (&ix.cover, &mut ix.parked);
        let before = parked.len();
        ix.uncovered.retain(|&seq, &mut node| {
            if cl.registration_seq(node) != Some(seq) {
                return false;
            }
            debug_assert_eq!(cover.get(node.idx()).copied().unwrap_or(0), 0);
            debug_assert!(daemon_fits_node(spec, cl, t, node));
            if cl.nodes[node.idx()].state == NodeState::Ready
                && daemon_fits_node_taints(spec, cl, t, node)
            {
                out.push(node);
                true
            } else {
                parked.insert(seq, node);
                false
            }
        });
        if parked.len() > before {
            // From now on a node turning Ready or changing taints is reported.
            cx.cluster.watch_parked = true;
        }
    }

    /// Where the index of an active DaemonSet differs from the brute-force one: per node, the
    /// pods of its pod list that cover it; and the registered nodes that fit it statically
    /// (`daemon_fits_node`, each node's own build label) that none covers, in registration
    /// order: exactly its candidates and parked nodes together, whether it selects on the
    /// build or not (which also checks that a per-pool flag is the per-node fit for one that
    /// does not); no node in both; and every parked node registered and really not Ready or
    /// tainted against it. Takes the mailboxes first (so no node that turned Ready, changed
    /// taints or left is still pending). O(nodes + pods): for the invariant checker and tests.
    pub fn daemon_index_violations(&mut self, spec: &Spec, cl: &mut Cluster) -> Vec<String> {
        self.take_daemon_mailboxes(spec, cl);
        let cl = &*cl;
        let mut out = Vec::new();
        for &wl in &self.daemons {
            if !self.workloads[wl.idx()].active {
                continue;
            }
            let name = &spec.workloads[wl.idx()].name;
            let ix = &self.daemon_index[wl.idx()];
            let mut want: BTreeMap<NodeId, u32> = BTreeMap::new();
            for &p in &self.workloads[wl.idx()].pods {
                let pod = &cl.pods[p.idx()];
                if let Some(n) = pod.pinned
                    && covers(pod.phase)
                {
                    *want.entry(n).or_default() += 1;
                }
            }
            let have: BTreeMap<NodeId, u32> = ix
                .cover
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c > 0)
                .map(|(i, &c)| (NodeId::from_idx(i), c))
                .collect();
            if want != have {
                out.push(format!(
                    "DaemonSet {name}: pods per node {have:?}, its pod list says {want:?}"
                ));
            }
            let t = spec.workloads[wl.idx()].template;
            let want: Vec<NodeId> = cl
                .registered
                .iter()
                .filter(|&n| ix.cover(n) == 0 && daemon_fits_node(spec, cl, t, n))
                .collect();
            // Both sets, by registration number: the mailbox was just taken, so no parked
            // node left (`Cluster::unregister` named it).
            let mut have: BTreeMap<u64, NodeId> = ix
                .uncovered
                .iter()
                .filter(|&(&seq, &n)| cl.registration_seq(n) == Some(seq))
                .map(|(&seq, &n)| (seq, n))
                .collect();
            for (&seq, &n) in &ix.parked {
                if ix.uncovered.contains_key(&seq) {
                    out.push(format!(
                        "DaemonSet {name}: node {n:?} both uncovered and parked"
                    ));
                }
                if cl.registration_seq(n) != Some(seq) {
                    out.push(format!(
                        "DaemonSet {name}: parked node {n:?} (registration {seq}) is not registered"
                    ));
                } else if cl.nodes[n.idx()].state == NodeState::Ready
                    && daemon_fits_node_taints(spec, cl, t, n)
                {
                    out.push(format!(
                        "DaemonSet {name}: node {n:?} is parked but Ready and tolerated"
                    ));
                }
                have.insert(seq, n);
            }
            let have: Vec<NodeId> = have.into_values().collect();
            if want != have {
                out.push(format!(
                    "DaemonSet {name}: uncovered and parked nodes {have:?}, expected {want:?}"
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::{delete_pod, finish_termination, node_actions, terminate_pod};
    use crate::effect::testing::{Harness, enqueued};
    use crate::model::cluster::Termination;
    use crate::model::selector::{Taint, TaintEffect};
    use crate::model::windows::WinVersion;
    use std::collections::BTreeSet;

    /// Three DaemonSets: `agent` runs on the Linux pool only (it does not tolerate the
    /// Windows pools' taint), `winagent` on the Windows pools only (its selector), and
    /// `agent2022` on the Windows nodes of build 20348 only, whichever their pool (its
    /// selector names the build: `win` is on 20348 and `win2019` on 17763 by their specs);
    /// `web` is a Deployment whose pods never enter a DaemonSet's index.
    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "lin", os: Linux, cpu: "4", memory: "16Gi"),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
             taints: [(key: "os", value: "windows", effect: NoSchedule)]),
            (name: "win2019", os: Windows, os_version: "10.0.17763.5000", cpu: "4",
             memory: "16Gi", taints: [(key: "os", value: "windows", effect: NoSchedule)]),
        ],
        layers: [(name: "l1", size: "100MB")],
        images: [
            (name: "app:1", platforms: [(os: Linux, layers: ["l1"])]),
            (name: "wapp:1", platforms: [(os: Windows, os_version: "10.0.20348", layers: ["l1"])]),
        ],
        workloads: [
            (name: "web", replicas: 2, template: (containers: [(image: "app:1")])),
            (name: "agent", kind: DaemonSet, template: (containers: [(image: "app:1")])),
            (name: "winagent", kind: DaemonSet, template: (containers: [(image: "wapp:1")],
             node_selector: {"kubernetes.io/os": "windows"},
             tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
            (name: "agent2022", kind: DaemonSet, template: (containers: [(image: "wapp:1")],
             node_selector: {"kubernetes.io/os": "windows",
                             "node.kubernetes.io/windows-build": "10.0.20348"},
             tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
        ],
    )"#;

    const DAEMONS: [WorkloadId; 3] = [WorkloadId(1), WorkloadId(2), WorkloadId(3)];

    /// The versions the random test gives nodes and pools: the two pool specs' and a later
    /// revision of 20348 (the same build label: no DaemonSet's fit changes).
    const VERSIONS: [&str; 3] = ["10.0.17763.5000", "10.0.20348.1", "10.0.20348.2700"];

    /// A small deterministic generator (xorshift64*), so the test needs no seeding API.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
        }
    }

    /// What the sync did before the index, computed from scratch: the Ready registered nodes
    /// in registration order with no pod of the DaemonSet's pod list in a covering phase
    /// pinned there, that pass its node checks.
    fn brute_force(c: &Controllers, h: &mut Harness, wl: WorkloadId) -> Vec<NodeId> {
        let covered: BTreeSet<NodeId> = c.workloads[wl.idx()]
            .pods
            .iter()
            .map(|p| &h.cluster.pods[p.idx()])
            .filter(|p| covers(p.phase))
            .filter_map(|p| p.pinned)
            .collect();
        let t = h.spec.workloads[wl.idx()].template;
        let nodes: Vec<NodeId> = h.cluster.registered.iter().collect();
        let cx = h.cx(0);
        nodes
            .into_iter()
            .filter(|&n| {
                cx.cluster.nodes[n.idx()].state == NodeState::Ready
                    && !covered.contains(&n)
                    && daemon_fits_node(cx.spec, cx.cluster, t, n)
                    && daemon_fits_node_taints(cx.spec, cx.cluster, t, n)
            })
            .collect()
    }

    /// The DaemonSet pods among the pods the effects enqueued, by node.
    fn created_on(h: &mut Harness, wl: WorkloadId) -> Vec<NodeId> {
        let fx = h.take();
        enqueued(&fx)
            .into_iter()
            .map(|p| &h.cluster.pods[p.idx()])
            .filter(|p| p.workload == wl)
            .filter_map(|p| p.pinned)
            .collect()
    }

    /// Syncs every DaemonSet, checking each creates its pods on the nodes the brute-force
    /// computation names, in its order.
    fn sync_all(c: &mut Controllers, h: &mut Harness, now: u64, step: usize) {
        for wl in DAEMONS {
            let want = if c.workloads[wl.idx()].active {
                brute_force(c, h, wl)
            } else {
                Vec::new()
            };
            c.sync(&mut h.cx(now), wl);
            assert_eq!(created_on(h, wl), want, "step {step}: sync of {wl:?}");
        }
    }

    /// As the loop's `delete_node`: the node's pods are deleted, it leaves the node list,
    /// and the workloads that had pods there sync.
    fn delete_node(c: &mut Controllers, h: &mut Harness, node: NodeId, now: u64, step: usize) {
        let pods = h.cluster.pods_on[node.idx()].clone();
        for p in pods {
            delete_pod(&mut h.cx(now), p);
        }
        let n = &mut h.cluster.nodes[node.idx()];
        if n.state == NodeState::Ready {
            h.cluster.ready_per_pool[n.pool.idx()] -= 1;
        }
        n.state = NodeState::Deleted;
        let (pool, version) = (n.pool, n.version);
        if !Cluster::same_build(version, h.spec.pools[pool.idx()].version) {
            h.cluster.count_off_build(pool, false);
        }
        h.cluster.unregister(node);
        h.take();
        sync_all(c, h, now, step);
    }

    #[test]
    fn the_index_matches_the_covered_set_recomputed_from_scratch_over_random_node_and_pod_events() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        for pool in [0, 0, 1, 2] {
            h.ready_node(pool);
        }
        c.create(&mut h.cx(0), WorkloadId(0));
        // Created after the nodes registered: a pod on each node it fits, in order. agent:
        // lin-0 and lin-1; winagent: win-0 and win2019-0; agent2022: win-0 (20348) only.
        for (wl, pods) in DAEMONS.into_iter().zip([2, 2, 1]) {
            let want = brute_force(&c, &mut h, wl);
            c.create(&mut h.cx(0), wl);
            let got = created_on(&mut h, wl);
            assert_eq!(got, want);
            assert_eq!(got.len(), pods, "{wl:?}");
        }
        let versions: Vec<WinVersion> = VERSIONS.iter().map(|v| v.parse().unwrap()).collect();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // Terminating pods and the generation their PodTerminated event carries.
        let mut terminating: Vec<(PodId, u32)> = Vec::new();
        let mut kinds_seen = [0u32; 12];
        // Node taints the random steps add and remove: none of the DaemonSets tolerates the
        // first; `winagent` and `agent2022` tolerate the second (on a Linux node it excludes
        // `agent`), not the third, which the second replaces (same key and effect) and back.
        let taints = [
            Taint::new("maintenance", "", TaintEffect::NoSchedule),
            Taint::new("os", "windows", TaintEffect::NoSchedule),
            Taint::new("os", "other", TaintEffect::NoSchedule),
        ];
        for step in 0..5_000 {
            let now = 1_000 * (step as u64 + 1);
            let registered: Vec<NodeId> = h.cluster.registered.iter().collect();
            let daemon_pods: Vec<PodId> = (0..h.cluster.pods.len())
                .map(PodId::from_idx)
                .filter(|p| h.cluster.pods[p.idx()].pinned.is_some())
                .collect();
            let pick =
                |rng: &mut Rng, v: &[PodId], f: &dyn Fn(&crate::model::cluster::Pod) -> bool| {
                    let c: Vec<PodId> = v
                        .iter()
                        .copied()
                        .filter(|p| f(&h.cluster.pods[p.idx()]))
                        .collect();
                    (!c.is_empty()).then(|| c[rng.below(c.len())])
                };
            let kind = rng.below(12);
            kinds_seen[kind] += 1;
            match kind {
                // A node of any pool joins (more often while the cluster is small), with the
                // version its pool's new nodes get now.
                0 | 1 if registered.len() < 40 => {
                    let node = h.ready_node(rng.below(3));
                    c.node_ready(&mut h.cx(now), node);
                    let fx = h.take();
                    for wl in DAEMONS {
                        // `node_ready` gives the new node a pod of each DaemonSet that fits.
                        let fits = daemon_fits_node(
                            &h.spec,
                            &h.cluster,
                            h.spec.workloads[wl.idx()].template,
                            node,
                        );
                        h.fx = fx.clone();
                        let got = created_on(&mut h, wl);
                        let want = if c.workloads[wl.idx()].active && fits {
                            vec![node]
                        } else {
                            vec![]
                        };
                        assert_eq!(got, want, "step {step}");
                    }
                    h.take();
                }
                0 | 1 => {}
                2 if !registered.is_empty() => {
                    let node = registered[rng.below(registered.len())];
                    delete_node(&mut c, &mut h, node, now, step);
                }
                // A Pending pod is bound to its node, as the scheduler would.
                3 => {
                    if let Some(p) = pick(&mut rng, &daemon_pods, &|p| p.phase == PodPhase::Pending)
                    {
                        let node = h.cluster.pods[p.idx()].pinned.unwrap();
                        if h.cluster.nodes[node.idx()].state == NodeState::Ready {
                            let t = h.spec.template(h.cluster.pods[p.idx()].template).clone();
                            h.cluster.bind(p, node, &t, now);
                            let pod = &mut h.cluster.pods[p.idx()];
                            h.rec.set_phase(pod, PodPhase::Starting);
                        }
                    }
                }
                // A live pod is evicted (bound: Terminating for 30 s; unbound: gone now).
                4 => {
                    if let Some(p) = pick(&mut rng, &daemon_pods, &|p| p.phase.is_live()) {
                        terminate_pod(&mut h.cx(now), p, Termination::Evicted, "evicted", 30_000);
                        c.pod_terminating(&mut h.cx(now), p);
                        let pod = &h.cluster.pods[p.idx()];
                        if pod.phase == PodPhase::Terminating {
                            terminating.push((p, pod.generation));
                        }
                        h.take();
                    }
                }
                // A termination ends (the event may be stale: its node was deleted).
                5 if !terminating.is_empty() => {
                    let (p, generation) = terminating.swap_remove(rng.below(terminating.len()));
                    finish_termination(&mut h.cx(now), p, generation);
                    h.take();
                    sync_all(&mut c, &mut h, now, step);
                }
                // A pod fails on its node (as the loop applies `Effect::PodFailed`).
                6 => {
                    if let Some(p) = pick(&mut rng, &daemon_pods, &|p| {
                        matches!(p.phase, PodPhase::Starting | PodPhase::Running)
                    }) {
                        let pod = &h.cluster.pods[p.idx()];
                        let (node, t) = (pod.node.unwrap(), pod.template);
                        let t = h.spec.template(t).clone();
                        h.cluster.release(node, p, &t);
                        let pod = &mut h.cluster.pods[p.idx()];
                        h.rec.set_phase(pod, PodPhase::Failed);
                        c.pod_failed(&mut h.cx(now), p);
                        h.take();
                    }
                }
                // A node goes NotReady or comes back (the sync skips NotReady nodes), telling
                // the index when it comes back as `recover_node` does.
                7 if !registered.is_empty() => {
                    let node = registered[rng.below(registered.len())];
                    let n = &mut h.cluster.nodes[node.idx()];
                    n.state = match n.state {
                        NodeState::Ready => NodeState::NotReady,
                        _ => NodeState::Ready,
                    };
                    if n.state == NodeState::Ready {
                        h.cluster.note_node_eligible(node);
                    }
                }
                // A node gets one of the taints or loses one (`AddTaint`, `RemoveTaint`).
                11 if !registered.is_empty() => {
                    let node = registered[rng.below(registered.len())];
                    let taint = &taints[rng.below(taints.len())];
                    if rng.below(2) == 0 {
                        node_actions::add_taint(&mut h.cx(now), &[node], taint);
                    } else {
                        node_actions::remove_taint(
                            &mut h.cx(now),
                            &[node],
                            &taint.key,
                            Some(taint.effect),
                        );
                    }
                    h.take();
                }
                // A DaemonSet is deleted, or created again.
                8 if rng.below(8) == 0 => {
                    let wl = DAEMONS[rng.below(DAEMONS.len())];
                    if c.workloads[wl.idx()].active {
                        c.delete(&mut h.cx(now), wl);
                        h.take();
                        terminating.retain(|&(p, _)| h.cluster.pods[p.idx()].workload != wl);
                    } else {
                        let want = brute_force(&c, &mut h, wl);
                        c.create(&mut h.cx(now), wl);
                        assert_eq!(created_on(&mut h, wl), want, "step {step}");
                    }
                }
                // A registered Windows node is reimaged in place to another version (as a
                // patch's `upgrade_node_back`): agent2022 now fits it or no longer does.
                9 => {
                    let win: Vec<NodeId> = registered
                        .iter()
                        .copied()
                        .filter(|n| h.cluster.nodes[n.idx()].pool.idx() > 0)
                        .collect();
                    if !win.is_empty() {
                        let node = win[rng.below(win.len())];
                        let v = versions[rng.below(versions.len())];
                        h.cluster.set_node_version(&h.spec, node, v);
                    }
                }
                // A Windows pool's new nodes get another version (an upgrade started).
                10 => {
                    let pool = PoolId::from_idx(1 + rng.below(2));
                    let v = versions[rng.below(versions.len())];
                    h.cluster.set_pool_version(pool, v);
                }
                _ => sync_all(&mut c, &mut h, now, step),
            }
            let found = c.daemon_index_violations(&h.spec, &mut h.cluster);
            assert!(found.is_empty(), "step {step} (event {kind}): {found:?}");
        }
        // Every kind of event happened many times.
        assert!(kinds_seen.iter().all(|&k| k > 300), "{kinds_seen:?}");
        // And a DaemonSet's pod list stays compact: at most twice its covering pods (+1).
        for wl in DAEMONS {
            let ws = &c.workloads[wl.idx()];
            let live = ws
                .pods
                .iter()
                .filter(|p| covers(h.cluster.pods[p.idx()].phase))
                .count();
            assert!(
                ws.pods.len() <= 2 * live + 1,
                "{} > 2 × {live} + 1",
                ws.pods.len()
            );
        }
    }

    /// The registered nodes DaemonSet `wl`'s index lists as its next sync's candidates and
    /// as parked, each in registration order, after taking the mailboxes (as a sync does).
    fn listed(c: &mut Controllers, h: &mut Harness, wl: WorkloadId) -> [Vec<String>; 2] {
        c.take_daemon_mailboxes(&h.spec, &mut h.cluster);
        let cl = &h.cluster;
        let ix = &c.daemon_index[wl.idx()];
        [&ix.uncovered, &ix.parked].map(|m| {
            m.iter()
                .filter(|&(&seq, &n)| cl.registration_seq(n) == Some(seq))
                .map(|(_, &n)| cl.node_name(&h.spec, n))
                .collect()
        })
    }

    /// The registered nodes DaemonSet `wl` fits and has no pod on, candidates and parked
    /// alike, in registration order.
    fn uncovered(c: &mut Controllers, h: &mut Harness, wl: WorkloadId) -> Vec<String> {
        listed(c, h, wl);
        let cl = &h.cluster;
        let ix = &c.daemon_index[wl.idx()];
        let all: BTreeMap<u64, NodeId> = ix
            .uncovered
            .iter()
            .chain(&ix.parked)
            .filter(|&(&seq, &n)| cl.registration_seq(n) == Some(seq))
            .map(|(&seq, &n)| (seq, n))
            .collect();
        all.values().map(|&n| cl.node_name(&h.spec, n)).collect()
    }

    #[test]
    fn a_sync_parks_the_not_ready_nodes_and_visits_one_again_only_once_it_is_ready() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        // lin-0..lin-9, registered in that order; lin-2, 3, 5 and 7 fail and are NotReady.
        let nodes: Vec<NodeId> = (0..10).map(|_| h.ready_node(0)).collect();
        for i in [2, 3, 5, 7] {
            let n = nodes[i];
            h.cluster.nodes[n.idx()].state = NodeState::NotReady;
            h.cluster.ready_per_pool[0] -= 1;
            h.cluster.nodes_down.insert(n);
        }
        let agent = DAEMONS[0];
        c.create(&mut h.cx(0), agent);
        // `agent` fits every Linux node (no taint, no selector): all 10 have no pod, the sync
        // visits the 10 and gives a pod to the 10 − 4 = 6 Ready ones, in order.
        let ready: Vec<NodeId> = [0, 1, 4, 6, 8, 9].map(|i| nodes[i]).to_vec();
        assert_eq!(created_on(&mut h, agent), ready);
        // The 6 are covered (out of both maps), the 4 NotReady ones parked: 0 candidates.
        let parked = ["lin-2", "lin-3", "lin-5", "lin-7"]
            .map(String::from)
            .to_vec();
        assert_eq!(listed(&mut c, &mut h, agent), [vec![], parked.clone()]);
        // So the next sync visits 0 nodes (it walks the candidates only) and creates nothing.
        c.sync(&mut h.cx(1_000), agent);
        assert_eq!(created_on(&mut h, agent), vec![]);
        assert_eq!(listed(&mut c, &mut h, agent), [vec![], parked]);
        // lin-3 recovers (`recover_node`: Ready): it is a candidate again, the 3 others stay
        // parked, and the next sync visits it alone and gives it a pod.
        c.recover_node(&mut h.cx(2_000), nodes[3]);
        h.take();
        let still = ["lin-2", "lin-5", "lin-7"].map(String::from).to_vec();
        assert_eq!(
            listed(&mut c, &mut h, agent),
            [vec!["lin-3".to_string()], still.clone()]
        );
        c.sync(&mut h.cx(3_000), agent);
        assert_eq!(created_on(&mut h, agent), vec![nodes[3]]);
        assert_eq!(listed(&mut c, &mut h, agent), [vec![], still]);
        let found = c.daemon_index_violations(&h.spec, &mut h.cluster);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_node_tainted_against_a_daemonset_is_parked_until_the_taint_changes() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        // lin-0..lin-2; lin-1 carries `maintenance:NoSchedule`, which `agent` does not
        // tolerate, so the sync gives lin-0 and lin-2 a pod and parks lin-1.
        let nodes: Vec<NodeId> = (0..3).map(|_| h.ready_node(0)).collect();
        let maintenance = Taint::new("maintenance", "", TaintEffect::NoSchedule);
        node_actions::add_taint(&mut h.cx(0), &[nodes[1]], &maintenance);
        let agent = DAEMONS[0];
        c.create(&mut h.cx(0), agent);
        assert_eq!(created_on(&mut h, agent), vec![nodes[0], nodes[2]]);
        let lin1 = vec!["lin-1".to_string()];
        assert_eq!(listed(&mut c, &mut h, agent), [vec![], lin1.clone()]);
        // Another taint on it: still not tolerated, so the next sync parks it again.
        let other = Taint::new("other", "", TaintEffect::NoExecute);
        node_actions::add_taint(&mut h.cx(1_000), &[nodes[1]], &other);
        assert_eq!(listed(&mut c, &mut h, agent), [lin1.clone(), vec![]]);
        c.sync(&mut h.cx(1_000), agent);
        assert_eq!(created_on(&mut h, agent), vec![]);
        assert_eq!(listed(&mut c, &mut h, agent), [vec![], lin1.clone()]);
        // Both removed: a candidate, given a pod by the next sync.
        node_actions::remove_taint(&mut h.cx(2_000), &[nodes[1]], "maintenance", None);
        node_actions::remove_taint(&mut h.cx(2_000), &[nodes[1]], "other", None);
        h.take();
        c.sync(&mut h.cx(2_000), agent);
        assert_eq!(created_on(&mut h, agent), vec![nodes[1]]);
        assert_eq!(
            listed(&mut c, &mut h, agent),
            [Vec::<String>::new(), vec![]]
        );
        // No DaemonSet has parked nodes: the next taint change records nothing.
        node_actions::add_taint(&mut h.cx(3_000), &[nodes[0]], &maintenance);
        c.take_daemon_mailboxes(&h.spec, &mut h.cluster);
        assert!(!h.cluster.watch_parked);
        node_actions::add_taint(&mut h.cx(3_000), &[nodes[2]], &maintenance);
        assert!(h.cluster.nodes_eligible.is_empty());
    }

    #[test]
    fn a_build_specific_daemonset_lists_as_uncovered_no_node_of_another_build() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        // lin-0, lin-1 (Linux), win2019-0..2 (17763), win-0, win-1 (20348), in this
        // registration order; win-1 and win2019-0 are NotReady, so no sync gives them a pod.
        for pool in [0, 0, 2, 2, 2, 1, 1] {
            h.ready_node(pool);
        }
        let node = |h: &Harness, name: &str| {
            (0..h.cluster.nodes.len())
                .map(NodeId::from_idx)
                .find(|&n| h.cluster.node_name(&h.spec, n) == name)
                .unwrap()
        };
        for name in ["win-1", "win2019-0"] {
            let n = node(&h, name);
            h.cluster.nodes[n.idx()].state = NodeState::NotReady;
            h.cluster.ready_per_pool[h.cluster.nodes[n.idx()].pool.idx()] -= 1;
        }
        let agent2022 = DAEMONS[2];
        c.create(&mut h.cx(0), agent2022);
        // Its selector matches the 20348 nodes, win-0 and win-1; the sync gives Ready win-0 a
        // pod, so win-1 is the one uncovered node. The 2 Linux and 3 17763 nodes never fit:
        // with every pool a candidate, all 6 would be listed and walked by each sync.
        assert_eq!(created_on(&mut h, agent2022), vec![node(&h, "win-0")]);
        assert_eq!(uncovered(&mut c, &mut h, agent2022), ["win-1"]);
        // win2019-0 is reimaged to 20348 in place (the pool's new nodes get it too): it now
        // fits, has no pod, and is listed, before win-1 as it registered first.
        let (v2022, v2019): (WinVersion, WinVersion) = (
            "10.0.20348.2700".parse().unwrap(),
            "10.0.17763.5000".parse().unwrap(),
        );
        let w = node(&h, "win2019-0");
        h.cluster.set_pool_version(PoolId(2), v2022);
        h.cluster.set_node_version(&h.spec, w, v2022);
        assert_eq!(uncovered(&mut c, &mut h, agent2022), ["win2019-0", "win-1"]);
        // Back to 17763: it no longer fits and leaves the set.
        h.cluster.set_node_version(&h.spec, w, v2019);
        assert_eq!(uncovered(&mut c, &mut h, agent2022), ["win-1"]);
        // A new node of the pool joins with the pool's new image, 20348: given a pod at once
        // (`node_ready`), it is covered, and the set is unchanged.
        let n = h.ready_node(2);
        c.node_ready(&mut h.cx(1_000), n);
        assert_eq!(created_on(&mut h, agent2022), vec![n]);
        assert_eq!(uncovered(&mut c, &mut h, agent2022), ["win-1"]);
        // Its pod is deleted: a 20348 node without a pod, listed again (last registered).
        let p = *c.workloads[agent2022.idx()]
            .pods
            .iter()
            .find(|&&p| h.cluster.pods[p.idx()].pinned == Some(n))
            .unwrap();
        delete_pod(&mut h.cx(2_000), p);
        assert_eq!(uncovered(&mut c, &mut h, agent2022), ["win-1", "win2019-3"]);
        let found = c.daemon_index_violations(&h.spec, &mut h.cluster);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn only_a_selector_on_the_windows_build_label_makes_the_fit_per_node() {
        let h = Harness::new(SCENARIO);
        let agent = h.spec.template(h.spec.workloads[1].template);
        assert!(!selects_build(agent));
        let mut t = agent.clone();
        t.node_selector
            .push((WINDOWS_BUILD_LABEL.into(), "10.0.20348".into()));
        assert!(selects_build(&t));
    }
}
