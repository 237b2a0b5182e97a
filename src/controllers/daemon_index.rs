//! The DaemonSet controller's index of each active DaemonSet: how many of its pods cover each
//! node, and the registered nodes it may run on that none covers, in registration order.
//!
//! Owns: keeping both right as the DaemonSet's pods are created and leave and as nodes join,
//! so that a sync visits only the nodes without a pod instead of rebuilding the covered set
//! from all the DaemonSet's pods (a sort) and walking every registered node: O(log n) per
//! event while every node that should run the DaemonSet does, where it was O(nodes) (a pool
//! upgrade of N nodes deletes N DaemonSet pods, each followed by a sync: O(N²)). Does not own
//! which of the uncovered nodes get a pod: the sync checks Ready, the node's labels and taints
//! on each node it visits, as it did on every node (`Controllers::sync_once`).
//!
//! A pod covers its node from its creation (DaemonSet pods are the only pinned pods) while it
//! is live, Rejected or Terminating: the pods `podsShouldBeOnNode` (k/k
//! `pkg/controller/daemon/daemon_controller.go`) sees on the node, a terminating one
//! included. It stops covering once, for good, through `delete_pod` or
//! `finish_termination` (which leave it in `Cluster::daemon_pods_left` for the index to take)
//! or by failing (`pod_failed`). Rejected records never leave; the workload's deletion drops
//! its index with its pod list. `violations` checks the index against the brute-force set
//! (the simulation's invariant checker calls it at every sample).
//!
//! A node that leaves the cluster stays in the uncovered set until a sync's walk meets it
//! (its registration number no longer matches), so deleting a node costs the DaemonSet
//! nothing; the walk drops it then, once.

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
    /// the registered nodes of `pools` no pod of the DaemonSet covers; may still hold nodes
    /// that left since (see the module comment).
    uncovered: BTreeMap<u64, NodeId>,
    /// Per pool, whether one of its nodes can pass `daemon_fits_node`: the pool's own labels
    /// pass, or the DaemonSet selects on the Windows build label, which an upgraded node
    /// carries differently from its pool's spec.
    pools: Vec<bool>,
    /// Entries of the workload's pod list that no longer cover: the list is compacted when
    /// they outnumber the others (amortised O(1) per pod that leaves).
    dead: usize,
}

impl DaemonIndex {
    fn cover(&self, node: NodeId) -> u32 {
        self.cover.get(node.idx()).copied().unwrap_or(0)
    }
}

/// Whether a pod in `phase` covers its node (a sync keeps it in the workload's pod list).
fn covers(phase: PodPhase) -> bool {
    phase.holds_node() || phase == PodPhase::Rejected
}

/// Whether a template's node selector or required node affinity names the Windows build label.
fn selects_build(t: &TemplateSpec) -> bool {
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
    pub(super) fn build_daemon_index(&mut self, cx: &Ctx, wl: WorkloadId) {
        let spec = cx.spec;
        let cl = &*cx.cluster;
        let t = spec.workloads[wl.idx()].template;
        let any_pool = selects_build(spec.template(t));
        let mut ix = DaemonIndex {
            pools: (0..spec.pools.len())
                .map(|p| any_pool || daemon_fits_pool(spec, t, PoolId::from_idx(p)))
                .collect(),
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
            if ix.pools[cl.nodes[node.idx()].pool.idx()] && ix.cover(node) == 0 {
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
        }
    }

    /// A pod of an active DaemonSet stopped covering its node: one fewer there, and the node
    /// joins the uncovered set when it was the last and the node is registered.
    fn daemon_pod_gone(&mut self, cl: &Cluster, pod: PodId) {
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
            && ix.pools[cl.nodes[node.idx()].pool.idx()]
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
    pub(super) fn daemon_pod_failed(&mut self, cl: &Cluster, pod: PodId) {
        debug_assert_eq!(cl.pods[pod.idx()].phase, PodPhase::Failed);
        self.daemon_pod_gone(cl, pod);
    }

    /// Takes the DaemonSet pods that left since the last look (`Cluster::daemon_pods_left`).
    /// Cheap when there are none: called before every use of the index.
    #[inline]
    pub(super) fn take_daemon_pods_left(&mut self, cl: &mut Cluster) {
        if !cl.daemon_pods_left.is_empty() {
            self.daemon_pods_left(cl);
        }
    }

    #[inline(never)]
    fn daemon_pods_left(&mut self, cl: &mut Cluster) {
        let mut left = std::mem::take(&mut cl.daemon_pods_left);
        for &pod in &left {
            self.daemon_pod_gone(cl, pod);
        }
        left.clear();
        cl.daemon_pods_left = left;
    }

    /// `node` registered: it is uncovered by every active DaemonSet that may run on its pool
    /// (before `node_ready` gives it their pods).
    pub(super) fn daemon_node_registered(&mut self, cl: &Cluster, wl: WorkloadId, node: NodeId) {
        let ix = &mut self.daemon_index[wl.idx()];
        if ix.pools[cl.nodes[node.idx()].pool.idx()]
            && ix.cover(node) == 0
            && let Some(seq) = cl.registration_seq(node)
        {
            ix.uncovered.insert(seq, node);
        }
    }

    /// The nodes a sync of DaemonSet `wl` (template `t`) gives a pod, in registration order,
    /// into `out`: its uncovered nodes that are Ready and pass its node checks. Nodes that
    /// left are dropped on the way.
    pub(super) fn daemon_candidates(
        &mut self,
        cx: &Ctx,
        wl: WorkloadId,
        t: TemplateId,
        out: &mut Vec<NodeId>,
    ) {
        let cl = &*cx.cluster;
        let ix = &mut self.daemon_index[wl.idx()];
        let cover = &ix.cover;
        ix.uncovered.retain(|&seq, &mut node| {
            if cl.registration_seq(node) != Some(seq) {
                return false;
            }
            debug_assert_eq!(cover.get(node.idx()).copied().unwrap_or(0), 0);
            if cl.nodes[node.idx()].state == NodeState::Ready
                && daemon_fits_node(cx.spec, cl, t, node)
                && daemon_fits_node_taints(cx, t, node)
            {
                out.push(node);
            }
            true
        });
    }

    /// Where the index of an active DaemonSet differs from the brute-force one: per node, the
    /// pods of its pod list that cover it; the registered nodes of its pools that none covers,
    /// in registration order; and a node that fits it in a pool it was deemed unable to run
    /// in. Takes the pods that left first. O(nodes + pods): for the invariant checker and
    /// tests.
    pub fn daemon_index_violations(&mut self, spec: &Spec, cl: &mut Cluster) -> Vec<String> {
        self.take_daemon_pods_left(cl);
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
                .filter(|&n| ix.pools[cl.nodes[n.idx()].pool.idx()] && ix.cover(n) == 0)
                .collect();
            let have: Vec<NodeId> = ix
                .uncovered
                .iter()
                .filter(|&(&seq, &n)| cl.registration_seq(n) == Some(seq))
                .map(|(_, &n)| n)
                .collect();
            if want != have {
                out.push(format!(
                    "DaemonSet {name}: uncovered nodes {have:?}, expected {want:?}"
                ));
            }
            for n in cl.registered.iter() {
                if daemon_fits_node(spec, cl, t, n) && !ix.pools[cl.nodes[n.idx()].pool.idx()] {
                    out.push(format!(
                        "DaemonSet {name}: fits node {} of a pool it skips",
                        n.idx()
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::{delete_pod, finish_termination, terminate_pod};
    use crate::effect::testing::{Harness, enqueued};
    use crate::model::cluster::Termination;
    use std::collections::BTreeSet;

    /// Two DaemonSets: `agent` runs on the Linux pool only (it does not tolerate the Windows
    /// pool's taint), `winagent` on the Windows pool only (its selector); `web` is a
    /// Deployment whose pods never enter a DaemonSet's index.
    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "lin", os: Linux, cpu: "4", memory: "16Gi"),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
             taints: [(key: "os", value: "windows", effect: NoSchedule)]),
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
        ],
    )"#;

    const DAEMONS: [WorkloadId; 2] = [WorkloadId(1), WorkloadId(2)];

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
                    && daemon_fits_node_taints(&cx, t, n)
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
        h.cluster.unregister(node);
        h.take();
        sync_all(c, h, now, step);
    }

    #[test]
    fn the_index_matches_the_covered_set_recomputed_from_scratch_over_random_node_and_pod_events() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        for pool in [0, 0, 1] {
            h.ready_node(pool);
        }
        c.create(&mut h.cx(0), WorkloadId(0));
        for wl in DAEMONS {
            // Created after the nodes registered: a pod on each node of its pool, in order.
            let want = brute_force(&c, &mut h, wl);
            c.create(&mut h.cx(0), wl);
            let got = created_on(&mut h, wl);
            assert_eq!(got, want);
            assert_eq!(got.len(), if wl == DAEMONS[0] { 2 } else { 1 });
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        // Terminating pods and the generation their PodTerminated event carries.
        let mut terminating: Vec<(PodId, u32)> = Vec::new();
        let mut kinds_seen = [0u32; 9];
        for step in 0..4_000 {
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
            let kind = rng.below(9);
            kinds_seen[kind] += 1;
            match kind {
                // A node of either pool joins (more often while the cluster is small).
                0 | 1 if registered.len() < 40 => {
                    let node = h.ready_node(rng.below(2));
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
                // A node goes NotReady or comes back (the sync skips NotReady nodes).
                7 if !registered.is_empty() => {
                    let node = registered[rng.below(registered.len())];
                    let n = &mut h.cluster.nodes[node.idx()];
                    n.state = match n.state {
                        NodeState::Ready => NodeState::NotReady,
                        _ => NodeState::Ready,
                    };
                }
                // A DaemonSet is deleted, or created again.
                8 if rng.below(8) == 0 => {
                    let wl = DAEMONS[rng.below(2)];
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

    #[test]
    fn only_a_selector_on_the_windows_build_label_makes_every_pool_a_candidate() {
        let h = Harness::new(SCENARIO);
        let agent = h.spec.template(h.spec.workloads[1].template);
        assert!(!selects_build(agent));
        let mut t = agent.clone();
        t.node_selector
            .push((WINDOWS_BUILD_LABEL.into(), "10.0.20348".into()));
        assert!(selects_build(&t));
    }
}
