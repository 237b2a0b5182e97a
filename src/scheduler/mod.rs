//! kube-scheduler semantics: the queue, one scheduling cycle per pod (filter, score, select),
//! and the upstream-style failure message.
//!
//! Owns: which node a pod binds to, or why none fits. Does not own: committing the binding
//! (the simulation updates node sums) or what happens on the node (the kubelet).
//!
//! Hot-path notes: filters that depend only on the pod template and the node pool (taints,
//! nodeSelector, affinity) are computed once per (template, pool) and cached; only cordon,
//! readiness and resources are checked per node. A failure is reused for identical pods until
//! the cluster changes (`Cluster::version`), which is what keeps a backlog of thousands of
//! pending replicas cheap.

mod block_room;
mod inter_pod;
pub mod plugins;
pub mod preemption;
pub mod queue;
pub mod status;

use crate::model::cluster::{Cluster, Node, NodeState};
use crate::model::image::select_platform;
use crate::model::messages::Messages;
use crate::model::node_list::{BLOCK, NodeList};
use crate::model::selector::{Labels, Taint, TaintEffect, Toleration, tolerated};
use crate::model::*;
use plugins::*;
use pod_topology_spread as pts;
use queue::{ClusterEvents, SchedulingQueue};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
pub use status::{Code, Plugin, PluginSet, Status};
use std::collections::BTreeMap;

/// The not-ready taint the node lifecycle controller puts on a node that is not Ready.
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
/// Message when the cluster has no nodes at all (`ErrNoNodesAvailable`).
pub const NO_NODES_MESSAGE: &str = "no nodes available to schedule pods";

/// `Scheduler::pool_zone_slot` of a pool whose nodes are spread over several zones.
const MULTI_ZONE: u16 = u16::MAX;

/// A node's zone slot for PodTopologySpread scoring: its zone, or `zone_count()` for a node
/// without the zone label.
#[inline]
fn zone_slot(spread: &crate::model::topology::SpreadCounts, n: &Node) -> u16 {
    let nz = spread.zone_count();
    spread.zone_of(n.pool, n.ordinal).map_or(nz, usize::from) as u16
}

/// `minFeasibleNodesToFind` and `minFeasibleNodesPercentageToFind` in k/k `schedule_one.go`.
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;

/// `numFeasibleNodesToFind`: all nodes below 100; otherwise the configured percentage, or
/// adaptively max(50 − N/125, 5) %, and never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(percentage: u32, num_all: usize) -> usize {
    if num_all < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all;
    }
    let mut pct = percentage as usize;
    if pct == 0 {
        pct = 50usize.saturating_sub(num_all / 125);
        if pct < MIN_FEASIBLE_NODES_PERCENTAGE {
            pct = MIN_FEASIBLE_NODES_PERCENTAGE;
        }
    }
    let n = num_all * pct / 100;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Result of the static filters for a (template, pool) pair.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum StaticFit {
    Unknown,
    /// Passes; carries the raw TaintToleration and NodeAffinity scores.
    Pass {
        prefer: i64,
        affinity: i64,
    },
    /// The pool taint at this index is not tolerated.
    Taint(u16),
    Affinity,
}

/// Labels of one node: its pool's labels plus its own hostname, and its zone when its pool
/// spreads nodes over several zones.
struct NodeLabels<'a> {
    pool: &'a BTreeMap<String, String>,
    /// None for a pool-level check (no particular node).
    hostname: Option<&'a str>,
    zone: Option<&'a str>,
    /// The node's own `node.kubernetes.io/windows-build` when it differs from its pool's
    /// (a node of another build than its pool spec, during or after an upgrade).
    build: Option<&'a str>,
}

impl Labels for NodeLabels<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        if key == crate::model::labels::HOSTNAME_LABEL {
            self.hostname
        } else if key == crate::model::labels::WINDOWS_BUILD_LABEL && self.build.is_some() {
            self.build
        } else if key == crate::model::labels::ZONE_LABEL && self.zone.is_some() {
            self.zone
        } else {
            self.pool.get(key).map(String::as_str)
        }
    }
}

/// The zone label of a node of `pool` with this ordinal when it differs between the pool's
/// nodes (a pool over several zones); a single zone is among the pool's labels.
fn multi_zone_label(pool: &PoolSpec, ordinal: u32) -> Option<&str> {
    (pool.zones.len() > 1).then(|| pool.zones[ordinal as usize % pool.zones.len()].as_str())
}

/// Whether some selector of `t` names the zone label.
fn names_zone(t: &TemplateSpec) -> bool {
    let zone = crate::model::labels::ZONE_LABEL;
    t.node_selector.iter().any(|(k, _)| k == zone)
        || t.required
            .iter()
            .flatten()
            .chain(t.preferred.iter().map(|p| &p.preference))
            .flat_map(|term| &term.match_expressions)
            .any(|r| r.key == zone)
}

/// Why one node was rejected; counted into the failure message.
#[derive(Copy, Clone)]
enum Reject {
    Unschedulable,
    Taint(PoolId, u16),
    NotReady,
    Affinity,
    Resources(node_resources_fit::Insufficient),
    /// The node's own taint (`Cluster::taint_overlay`) at this index is not tolerated.
    NodeTaint(NodeId, u16),
    InterPodAffinity(inter_pod_affinity::Reason),
    /// NodePorts: a pod on the node uses one of the pod's host ports.
    Ports,
}

/// Per-cycle rejection counts.
#[derive(Clone, Debug, Default, PartialEq)]
struct Histogram {
    unschedulable: u32,
    not_ready: u32,
    affinity: u32,
    cpu: u32,
    memory: u32,
    pods: u32,
    /// Indexed by `taint_offset[pool] + taint index`.
    taints: Vec<u32>,
    /// Rejections by a node's own taints (node, taint index), named before the message.
    node_taints: Vec<(NodeId, u16)>,
    /// The reason texts of `node_taints`, one per rejected node.
    node_taint_names: Vec<String>,
    /// InterPodAffinity rejections: affinity, anti-affinity, existing pods' anti-affinity.
    pod_affinity: u32,
    pod_anti_affinity: u32,
    existing_anti_affinity: u32,
    /// NodePorts rejections.
    ports: u32,
    /// NodeResourcesFit rejections per scalar resource slot (`Insufficient <name>`).
    scalar: [u32; crate::model::SCALAR_SLOTS],
}

/// A node's last LeastAllocated + BalancedAllocation score: they depend only on the node's
/// sums and the template, so it holds while `Node::sums_at` and the template are the same
/// (replicas of one template come in bursts). 24 bytes where the sums themselves took 56.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct ResCached {
    /// The node's `sums_at` when computed; `u64::MAX`: nothing cached.
    sums_at: u64,
    template: u32,
    score: i64,
}

impl ResCached {
    const EMPTY: ResCached = ResCached {
        sums_at: u64::MAX,
        template: 0,
        score: 0,
    };
}

/// Per-cycle inputs of `Scheduler::node_score` that do not depend on the node, and the
/// memo of ImageLocality's `calculatePriority` for the last image sum (most nodes share one
/// of a few sums).
struct ScoreParts {
    default_fit: bool,
    /// A scoring strategy other than the default may weigh scalar resources, whose node
    /// sums the cache key leaves out: in a scenario with scalar requests it is recomputed.
    scalar_score: bool,
    num_containers: usize,
    last_img: (i64, i64),
}

impl ScoreParts {
    fn new(s: &Scheduler, spec: &Spec, t: &TemplateSpec) -> ScoreParts {
        ScoreParts {
            default_fit: s.default_fit,
            scalar_score: !s.default_fit && spec.has_scalars(),
            num_containers: t.init_containers.len() + t.containers.len(),
            last_img: (i64::MIN, 0),
        }
    }
}

/// `evaluate`'s checks when `Scheduler::filters_by_pool_and_sums` holds and the node's pool
/// passed the static filters, in its order, each reduced to what it reads then: the cordon,
/// the state, `NodeResourcesFit` on the sums, the last against the per-pool room
/// `Scheduler::fit_room` that `new` fills for this cycle's pod.
struct SumsFit {
    tolerates_unschedulable: bool,
    tolerates_not_ready: bool,
    /// The free amounts a node needs to fit the pod (its cpu and memory requests, one pod
    /// slot): what `block_room` checks a block's bound against.
    need: Res,
}

/// One pool's entry of `Scheduler::fit_room`: what a node visit of the scan reads of its
/// pool, in one place.
#[derive(Copy, Clone, Debug)]
struct PoolRoom {
    /// The pool passes this cycle's static filters (`StaticFit::Pass`).
    pass: bool,
    /// The largest sums a node may hold and still fit this cycle's pod.
    most: Res,
}

impl SumsFit {
    fn new(s: &mut Scheduler, spec: &Spec, tid: TemplateId) -> SumsFit {
        let t = spec.template(tid);
        let pod = t.requests;
        let row = tid.idx() * s.npools;
        for (pool, p) in spec.pools.iter().enumerate() {
            if s.static_fit[row + pool] == StaticFit::Unknown {
                s.static_fit[row + pool] = Scheduler::pool_static(t, p);
            }
        }
        let verdicts = &s.static_fit[row..row + s.npools];
        s.fit_room.clear();
        s.fit_room
            .extend(spec.pools.iter().zip(verdicts).map(|(p, v)| {
                let alloc = p.allocatable;
                // `node_resources_fit::filter` rejects when requested.pods + 1 > alloc.pods, or
                // for a resource the pod asks for (> 0) when requested + pod > alloc: a node fits
                // while requested.pods < alloc.pods and requested <= alloc - pod. A pod larger
                // than the pool's allocatable fits no node of it: a room of 0 pods.
                let room = |want: u64, alloc: u64| match want {
                    0 => Some(u64::MAX),
                    _ => alloc.checked_sub(want),
                };
                let most = match (room(pod.cpu_m, alloc.cpu_m), room(pod.mem, alloc.mem)) {
                    (Some(cpu_m), Some(mem)) => Res {
                        cpu_m,
                        mem,
                        pods: alloc.pods,
                    },
                    _ => Res::default(),
                };
                PoolRoom {
                    pass: matches!(v, StaticFit::Pass { .. }),
                    most,
                }
            }));
        SumsFit {
            tolerates_unschedulable: s.tolerates_unschedulable[tid.idx()],
            tolerates_not_ready: s.tolerates_not_ready[tid.idx()],
            need: Res { pods: 1, ..pod },
        }
    }

    #[inline(always)]
    fn fits(&self, room: &[PoolRoom], n: &Node) -> bool {
        let room = room[n.pool.idx()].most;
        (self.tolerates_unschedulable || !n.cordoned)
            && (self.tolerates_not_ready || n.state == NodeState::Ready)
            && n.requested.pods < room.pods
            && n.requested.cpu_m <= room.cpu_m
            && n.requested.mem <= room.mem
    }
}

/// `selectHost`'s choice: the highest score, ties broken uniformly by reservoir sampling
/// (one draw for each tie after the first, in the order offered).
struct Reservoir<T> {
    best: T,
    score: i64,
    /// Offers at the best score so far (0: nothing offered yet).
    ties: u32,
}

impl<T: Copy> Reservoir<T> {
    fn new(none: T) -> Reservoir<T> {
        Reservoir {
            best: none,
            score: i64::MIN,
            ties: 0,
        }
    }

    #[inline(always)]
    fn offer(&mut self, item: T, score: i64, rng: &mut ChaCha8Rng) {
        if self.ties == 0 || score > self.score {
            self.best = item;
            self.score = score;
            self.ties = 1;
        } else if score == self.score {
            self.ties += 1;
            if rng.random_range(0..self.ties) == 0 {
                self.best = item;
            }
        }
    }
}

/// What a scheduling cycle's scan does besides filtering (`Scheduler::scan_mode`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum ScanMode {
    /// Filters only, with `evaluate` on each node (`find_feasible_each`); `score_and_select`
    /// scores afterwards.
    Each,
    /// Filters only, inlined (`find_feasible_by_pool_and_sums`); `score_and_select` scores
    /// afterwards.
    Sums,
    /// Filters and scores the unnormalised plugins (`find_and_score`); `select_scored`
    /// adds the normalised ones and picks (`select_spread` when PodTopologySpread is the
    /// only one: `Scheduler::spread_only`).
    Score,
    /// Filters, scores and selects (`find_and_select`).
    Select,
}

/// Outcome of one scheduling attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Bind(NodeId),
    /// No node fits: the code, the rejecting plugins and the interned message.
    Unschedulable(Status),
}

pub struct Scheduler {
    pub queue: SchedulingQueue,
    percentage: u32,
    rng: ChaCha8Rng,
    next_start: usize,
    npools: usize,
    static_fit: Vec<StaticFit>,
    /// Compressed size of each image's platform for each pool (0: no platform).
    image_size: Vec<u64>,
    taint_offset: Vec<usize>,
    tolerates_unschedulable: Vec<bool>,
    tolerates_not_ready: Vec<bool>,
    /// Per template: its static filters depend on per-node labels (the hostname, or the zone
    /// of a pool over several zones), so they are not cached per pool.
    per_node: Vec<bool>,
    /// Last failure per template: (cluster version, message id).
    fail_cache: Vec<Option<(u64, Status)>>,
    feasible: Vec<NodeId>,
    /// Per pool, whether it passes the static filters and the largest sums a node may hold
    /// and still fit this cycle's pod (`SumsFit::new`).
    fit_room: Vec<PoolRoom>,
    /// `count_by_pool_and_sums`' nodes rejected per pool by its taint or affinity.
    pool_tally: Vec<u32>,
    /// Per block of the node list, the most room of its nodes (`block_room`).
    block_rooms: block_room::BlockRooms,
    scores: Vec<i64>,
    img_terms: Vec<i64>,
    /// Per node: the resource scores last computed there, and for which template and sums.
    res_cache: Vec<ResCached>,
    s_taint: Vec<i64>,
    s_aff: Vec<i64>,
    /// Per template: PodTopologySpread's system default constraints apply (the pod is owned by
    /// a ReplicaSet: a Deployment's).
    spread_default: Vec<bool>,
    /// PodTopologySpread PreScore state: matching pods per zone for this cycle's workload,
    /// and the cycle that last saw each zone value (the last entry is "no zone label").
    zone_pods: Vec<u32>,
    zone_seen: Vec<u64>,
    /// This cycle's zone `scoreForCount` per zone seen (from `zone_pods`), and each feasible
    /// node's zone slot (`zone_count()` for none), so the scoring pass reads no node.
    zone_term: Vec<f64>,
    feasible_zone: Vec<u16>,
    /// Per pool: its nodes' zone slot when they share one (`fill_pool_zone_slots`).
    pool_zone_slot: Vec<u16>,
    /// Per node id: (cycle, pods of this cycle's workload there), valid when the cycle is
    /// this one (`stamp_host_pods`, for `spread_scores` and the fused Score scan).
    host_pods: Vec<(u64, u32)>,
    spread_raw: Vec<i64>,
    /// A fused Score cycle's (`find_and_score` when `spread_only`) feasible nodes'
    /// unnormalised scores and keys (the workload's pods on the node << 16 | its zone
    /// slot), in one vector: one push per node. Such a cycle leaves `scores` and
    /// `feasible_zone` empty.
    scored_keys: Vec<(i64, u64)>,
    /// Per zone slot seen in a fused Score cycle, the fewest and most of the workload's pods
    /// on one of its feasible nodes.
    zone_range: Vec<(u32, u32)>,
    hist: Histogram,
    pub attempts: u64,
    /// The lowest priority of any template: a pod at it has nobody to preempt.
    min_priority: i32,
    /// Pods nominated to a node by a preemption (empty in a run without priorities).
    nominated: Vec<preemption::Nomination>,
    /// The pod of the current cycle (nominated pods other than it count in its filters).
    cur_pod: PodId,
    /// InterPodAffinity's per-cycle state (inert without pod affinity terms).
    inter_pod: inter_pod::InterPod,
    s_ipa: Vec<i64>,
    /// NodeResourcesFit scores with the default strategy (the cpu/memory fast path).
    default_fit: bool,
    /// Some workload has a disruption budget.
    has_budgets: bool,
    /// Per workload, the disruptions its budget allows now (None: no budget), set by the
    /// caller before `post_filter` when `wants_budgets`; empty otherwise.
    pub pdb_allowed: Vec<Option<u32>>,
}

impl Scheduler {
    pub fn new(spec: &Spec, rng: ChaCha8Rng) -> Self {
        let npools = spec.pools.len();
        let mut image_size = vec![0; spec.images.len() * npools];
        for (i, img) in spec.images.iter().enumerate() {
            for (p, pool) in spec.pools.iter().enumerate() {
                if let Some(pi) = select_platform(
                    img,
                    pool,
                    crate::model::windows::IsolationMode::Process,
                    false,
                ) {
                    image_size[i * npools + p] = img.platforms[pi].size;
                }
            }
        }
        let mut taint_offset = Vec::with_capacity(npools);
        let mut total = 0;
        for p in &spec.pools {
            taint_offset.push(total);
            total += p.taints.len();
        }
        // One pass over the workloads (not one per template: an imported cluster has thousands
        // of single-pod workloads, and templates are shared only by equal ones).
        let mut daemon_template = vec![false; spec.templates.len()];
        for w in &spec.workloads {
            if w.kind == WorkloadKind::DaemonSet {
                daemon_template[w.template.idx()] = true;
            }
        }
        let is_daemon = |t: usize| daemon_template[t];
        let unsched = Taint::new(node_unschedulable::TAINT_KEY, "", TaintEffect::NoSchedule);
        let not_ready = Taint::new(NOT_READY_TAINT, "", TaintEffect::NoSchedule);
        let tol = |t: &TemplateSpec, taint: &Taint| tolerated(&t.tolerations, taint);
        Scheduler {
            queue: SchedulingQueue::new(spec.scheduler.initial_backoff, spec.scheduler.max_backoff),
            percentage: spec.scheduler.percentage_of_nodes_to_score,
            rng,
            next_start: 0,
            npools,
            static_fit: vec![StaticFit::Unknown; spec.templates.len() * npools],
            image_size,
            taint_offset,
            // The DaemonSet controller adds an unschedulable:NoSchedule toleration to its pods
            // (k/k `pkg/controller/daemon/util`), so they also land on cordoned nodes.
            tolerates_unschedulable: (0..spec.templates.len())
                .map(|t| is_daemon(t) || tol(&spec.templates[t], &unsched))
                .collect(),
            tolerates_not_ready: spec.templates.iter().map(|t| tol(t, &not_ready)).collect(),
            per_node: {
                let multi_zone = spec.pools.iter().any(|p| p.zones.len() > 1);
                spec.templates
                    .iter()
                    .map(|t| t.per_node_labels || (multi_zone && names_zone(t)))
                    .collect()
            },
            fail_cache: vec![None; spec.templates.len()],
            feasible: Vec::new(),
            fit_room: Vec::new(),
            pool_tally: Vec::new(),
            block_rooms: block_room::BlockRooms::default(),
            scores: Vec::new(),
            img_terms: Vec::new(),
            res_cache: Vec::new(),
            s_taint: Vec::new(),
            s_aff: Vec::new(),
            spread_default: {
                let mut d = vec![false; spec.templates.len()];
                for w in &spec.workloads {
                    if w.kind == WorkloadKind::Deployment {
                        d[w.template.idx()] = true;
                    }
                }
                d
            },
            zone_pods: Vec::new(),
            zone_seen: Vec::new(),
            zone_term: Vec::new(),
            feasible_zone: Vec::new(),
            host_pods: Vec::new(),
            spread_raw: Vec::new(),
            scored_keys: Vec::new(),
            zone_range: Vec::new(),
            pool_zone_slot: Vec::new(),
            hist: Histogram {
                taints: vec![0; total],
                ..Default::default()
            },
            attempts: 0,
            min_priority: spec.templates.iter().map(|t| t.priority).min().unwrap_or(0),
            nominated: Vec::new(),
            cur_pod: PodId(u32::MAX),
            inter_pod: inter_pod::InterPod::new(spec),
            s_ipa: Vec::new(),
            default_fit: spec.scheduler.fit_scoring.is_default(),
            has_budgets: spec.workloads.iter().any(|w| w.disruption_budget.is_some()),
            pdb_allowed: Vec::new(),
        }
    }

    /// Whether some template has pod affinity terms (binds then matter to parked pods).
    pub fn inter_pod_enabled(&self) -> bool {
        self.inter_pod.enabled()
    }

    fn compute_static(t: &TemplateSpec, pool: &PoolSpec, labels: &impl Labels) -> StaticFit {
        Self::compute_static_taints(t, &pool.taints, labels)
    }

    /// The static filters against an explicit taint list (a pool's, or a node's own).
    fn compute_static_taints(
        t: &TemplateSpec,
        taints: &[Taint],
        labels: &impl Labels,
    ) -> StaticFit {
        if let Some((i, _)) = taint_toleration::first_untolerated(taints, &t.tolerations) {
            return StaticFit::Taint(i as u16);
        }
        if !node_affinity::filter(t, labels) {
            return StaticFit::Affinity;
        }
        StaticFit::Pass {
            prefer: taint_toleration::count_intolerable_prefer(taints, &t.tolerations),
            affinity: node_affinity::score(t, labels),
        }
    }

    /// The static filters on a pool as a whole. For a pool over several zones and a template
    /// naming the zone label, the pool passes if a node in one of its zones would: this is
    /// the pre-check of a node that joined (a false "fits" only costs a retry).
    fn pool_static(t: &TemplateSpec, pool: &PoolSpec) -> StaticFit {
        if pool.zones.len() > 1 && names_zone(t) {
            let mut first = StaticFit::Unknown;
            for z in &pool.zones {
                let labels = NodeLabels {
                    pool: &pool.labels,
                    hostname: None,
                    zone: Some(z),
                    build: None,
                };
                let r = Self::compute_static(t, pool, &labels);
                if matches!(r, StaticFit::Pass { .. }) {
                    return r;
                }
                if first == StaticFit::Unknown {
                    first = r;
                }
            }
            return first;
        }
        Self::compute_static(t, pool, &pool.labels)
    }

    /// The static filters' result for `node`: the per-(template, pool) cache when no node
    /// differs from its pool (the common case, inlined into the filter loop), else
    /// `static_for_node`.
    #[inline]
    fn static_for(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        node: NodeId,
    ) -> StaticFit {
        if !self.per_node[tid.idx()] && cluster.taint_overlay.is_empty() && !cluster.any_off_build()
        {
            let slot = tid.idx() * self.npools + cluster.node(node).pool.idx();
            let r = self.static_fit[slot];
            if r != StaticFit::Unknown {
                return r;
            }
        }
        self.static_for_node(spec, cluster, tid, node)
    }

    #[inline(never)]
    fn static_for_node(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        node: NodeId,
    ) -> StaticFit {
        let t = spec.template(tid);
        let pool_id = cluster.node(node).pool;
        let pool = spec.pool(pool_id);
        // A node with its own taints (timeline or node-lifecycle taints) is not its pool's:
        // computed for it alone, uncached; so is a pod whose selectors name per-node labels.
        let overlay = cluster.taint_overlay.get(node);
        let build = cluster.build_label(spec, node);
        if self.per_node[tid.idx()] || overlay.is_some() {
            let hostname = cluster.node_name(spec, node);
            let labels = NodeLabels {
                pool: &pool.labels,
                hostname: Some(&hostname),
                zone: multi_zone_label(pool, cluster.node(node).ordinal),
                build,
            };
            return Self::compute_static_taints(t, overlay.unwrap_or(&pool.taints), &labels);
        }
        // A node of another build than its pool spec (an upgrade is under way): its own
        // build label, its pool's taints. Nothing names the hostname here (that is
        // `per_node`), so nothing is allocated.
        if build.is_some() {
            let labels = NodeLabels {
                pool: &pool.labels,
                hostname: None,
                zone: multi_zone_label(pool, cluster.node(node).ordinal),
                build,
            };
            return Self::compute_static_taints(t, &pool.taints, &labels);
        }
        let slot = tid.idx() * self.npools + pool_id.idx();
        if self.static_fit[slot] == StaticFit::Unknown {
            self.static_fit[slot] = Self::pool_static(t, pool);
        }
        self.static_fit[slot]
    }

    /// Queueing hints: moves the parked pods that `events` may help to the active queue
    /// (`to_active`) or, still backing off, to back-off (`to_backoff`, with expiry and
    /// generation). `cluster` gives each pod's template and attempts, and which pools have
    /// nodes off their pool's build.
    pub fn requeue(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        events: &ClusterEvents,
        now: u64,
        to_active: &mut Vec<PodId>,
        to_backoff: &mut Vec<(PodId, u64, u32)>,
    ) {
        let npools = self.npools;
        let pods = &cluster.pods;
        let off_build = &cluster.off_build;
        let static_fit = &mut self.static_fit;
        self.queue.move_unschedulable(
            |pod, _since, rejectors| {
                let p = &pods[pod.idx()];
                let tid = p.template;
                let fits = |pool: PoolId| {
                    // A pool whose nodes differ in build may have had a node of the other
                    // build join: retry (a false "fits" costs one attempt).
                    if off_build.get(pool.idx()).is_some_and(|&c| c > 0) {
                        return true;
                    }
                    let slot = &mut static_fit[tid.idx() * npools + pool.idx()];
                    if *slot == StaticFit::Unknown {
                        let pl = spec.pool(pool);
                        *slot = Self::pool_static(spec.template(tid), pl);
                    }
                    matches!(*slot, StaticFit::Pass { .. })
                };
                queue::worth_retrying(rejectors, events, fits).then_some(p.sched_attempts)
            },
            now,
            to_active,
            to_backoff,
        );
    }

    /// Queueing hints for nodes that became less restrictive (`ClusterEvents::nodes_updated`):
    /// a parked pod goes back if NodeUnschedulable rejected it and some updated node is no
    /// longer cordoned for it, or TaintToleration rejected it and the pod now tolerates every
    /// NoSchedule/NoExecute taint of some updated node (k/k `nodeunschedulable` and
    /// `tainttoleration` `isSchedulableAfterNodeChange`).
    pub fn requeue_updated(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        nodes: &[NodeId],
        now: u64,
        to_active: &mut Vec<PodId>,
        to_backoff: &mut Vec<(PodId, u64, u32)>,
    ) {
        let tolerates_unschedulable = &self.tolerates_unschedulable;
        self.queue.move_unschedulable(
            |pod, _since, rejectors| {
                let p = &cluster.pods[pod.idx()];
                let t = spec.template(p.template);
                let by_cordon = rejectors.contains(Plugin::NodeUnschedulable);
                let by_taint = rejectors.contains(Plugin::TaintToleration);
                if !by_cordon && !by_taint {
                    return None;
                }
                let helps = nodes.iter().any(|&n| {
                    let node = cluster.node(n);
                    if !matches!(node.state, NodeState::Ready | NodeState::NotReady) {
                        return false;
                    }
                    (by_cordon && (!node.cordoned || tolerates_unschedulable[p.template.idx()]))
                        || (by_taint
                            && taint_toleration::first_untolerated(
                                cluster.taints(spec, n),
                                &t.tolerations,
                            )
                            .is_none())
                });
                helps.then_some(p.sched_attempts)
            },
            now,
            to_active,
            to_backoff,
        );
    }

    /// Whether a template passes the static filters (taints, selector, affinity) of a pool: what
    /// the DaemonSet controller checks before creating a pod for a node.
    pub fn template_fits_pool(&mut self, spec: &Spec, tid: TemplateId, pool: PoolId) -> bool {
        let t = spec.template(tid);
        let p = spec.pool(pool);
        let slot = tid.idx() * self.npools + pool.idx();
        if self.static_fit[slot] == StaticFit::Unknown {
            self.static_fit[slot] = Self::pool_static(t, p);
        }
        matches!(self.static_fit[slot], StaticFit::Pass { .. })
    }

    fn evaluate(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        node: NodeId,
    ) -> Result<(), Reject> {
        let n = cluster.node(node);
        if n.cordoned && !self.tolerates_unschedulable[tid.idx()] {
            return Err(Reject::Unschedulable);
        }
        let st = self.static_for(spec, cluster, tid, node);
        if let StaticFit::Taint(i) = st {
            if cluster.taint_overlay.get(node).is_some() {
                return Err(Reject::NodeTaint(node, i));
            }
            return Err(Reject::Taint(n.pool, i));
        }
        if n.state != NodeState::Ready && !self.tolerates_not_ready[tid.idx()] {
            return Err(Reject::NotReady);
        }
        if st == StaticFit::Affinity {
            return Err(Reject::Affinity);
        }
        let t = spec.template(tid);
        // NodePorts runs between NodeAffinity and NodeResourcesFit in the default profile.
        if !t.host_ports.is_empty() && !self.ports_fit(spec, cluster, t, node) {
            return Err(Reject::Ports);
        }
        let mut requested = n.requested;
        if !self.nominated.is_empty() {
            self.add_nominated(node, t.priority, &mut requested);
        }
        let mut ins =
            node_resources_fit::filter(spec.pool(n.pool).allocatable, requested, t.requests);
        if spec.has_scalars() && crate::model::any_scalar(&t.scalar_requests) {
            ins.scalar = self.scalar_filter(spec, cluster, t, node);
        }
        if ins.any() {
            return Err(Reject::Resources(ins));
        }
        // InterPodAffinity runs after NodeResourcesFit in the default profile (the first
        // failing filter is the node's reason).
        self.inter_pod
            .filter(cluster, node)
            .map_err(Reject::InterPodAffinity)
    }

    /// `findNodesThatPassFilters` in general (`ScanMode::Each`): scans nodes from `start`,
    /// wrapping around, until `to_find` feasible nodes are found, with `evaluate` on each;
    /// returns how many nodes were processed. A node whose pool fails the static filters
    /// fails whatever its state, so the rest of its pool's run in the node list is skipped
    /// at once when its nodes all share their pool's static verdict: same feasible set, same
    /// processed count, far less work.
    #[inline(never)]
    fn find_feasible_each(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        (start, total, to_find): (usize, usize, usize),
    ) -> usize {
        // With per-node taints or builds a pool's run is no longer uniform: no skipping.
        let uniform = !self.per_node[tid.idx()] && cluster.taint_overlay.is_empty();
        let any_off_build = cluster.any_off_build();
        self.scan::<true>(
            spec,
            cluster,
            tid,
            (start, total, to_find),
            None,
            |n| uniform && (!any_off_build || cluster.off_build[n.pool.idx()] == 0),
            |me, node, _| me.evaluate(spec, cluster, tid, node).is_ok(),
        )
        .0
    }

    /// Whether this cycle's filters for a pod of `tid` read only the node's pool (static
    /// filters the same on every node of a pool: no per-node taints, builds or labels), its
    /// cordon, its state and its cpu/memory/pod sums: no host ports, no scalar requests, no
    /// nominated pods, no inter-pod affinity terms. Then `find_feasible_by_pool_and_sums`
    /// gives the same nodes as `evaluate` on each, with fewer loads per node.
    #[inline]
    fn filters_by_pool_and_sums(&self, spec: &Spec, cluster: &Cluster, tid: TemplateId) -> bool {
        let t = spec.template(tid);
        !self.per_node[tid.idx()]
            && cluster.taint_overlay.is_empty()
            && !cluster.any_off_build()
            && t.host_ports.is_empty()
            && self.nominated.is_empty()
            && !(spec.has_scalars() && crate::model::any_scalar(&t.scalar_requests))
            && !self.inter_pod.filters()
    }

    /// `find_feasible_each` when `filters_by_pool_and_sums` holds: `evaluate`'s checks in
    /// its order, each reduced to what it reads then (the pool's cached static verdict, the
    /// cordon, the state, `NodeResourcesFit` on the sums), inlined in the scan. Same feasible
    /// nodes in the same order, same processed count.
    #[inline(never)]
    fn find_feasible_by_pool_and_sums(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        (start, total, to_find): (usize, usize, usize),
    ) -> usize {
        let fit = SumsFit::new(self, spec, tid);
        self.scan::<true>(
            spec,
            cluster,
            tid,
            (start, total, to_find),
            Some(fit.need),
            |_| true,
            |s, _, n| fit.fits(&s.fit_room, n),
        )
        .0
    }

    /// The reasons pass of a failing cycle when `filters_by_pool_and_sums` holds (every
    /// `ScanMode` but `Each`): each node's first failing filter as `evaluate` finds it, read
    /// as `SumsFit` reads it (the cordon, the pool's cached static verdict, the state,
    /// NodeResourcesFit on the sums), counted into the histogram. Same counts as `evaluate`
    /// on each node, without its per-node checks for what this cycle cannot have (host
    /// ports, nominated pods, scalar requests, per-node taints or labels, pod affinity).
    #[inline(never)]
    fn count_by_pool_and_sums(&mut self, spec: &Spec, cluster: &Cluster, tid: TemplateId) {
        let t = spec.template(tid);
        let row = tid.idx() * self.npools;
        for (pool, p) in spec.pools.iter().enumerate() {
            if self.static_fit[row + pool] == StaticFit::Unknown {
                self.static_fit[row + pool] = Self::pool_static(t, p);
            }
        }
        let verdicts = &self.static_fit[row..row + self.npools];
        let tolerates_unschedulable = self.tolerates_unschedulable[tid.idx()];
        let tolerates_not_ready = self.tolerates_not_ready[tid.idx()];
        // A pool's taint or affinity rejection is the same reason on each of its nodes:
        // tallied per pool here and added to the histogram once at the end, as are the
        // other counts, so a node costs its loads and a few adds.
        let by_pool = &mut self.pool_tally;
        by_pool.clear();
        by_pool.resize(self.npools, 0);
        let (mut unschedulable, mut not_ready) = (0u32, 0u32);
        let (mut cpu, mut memory, mut pods) = (0u32, 0u32, 0u32);
        for node in cluster.registered.iter() {
            let n = cluster.node(node);
            let pool = n.pool.idx();
            if n.cordoned && !tolerates_unschedulable {
                unschedulable += 1;
                continue;
            }
            match verdicts[pool] {
                StaticFit::Taint(_) => by_pool[pool] += 1,
                _ if n.state != NodeState::Ready && !tolerates_not_ready => not_ready += 1,
                StaticFit::Affinity => by_pool[pool] += 1,
                _ => {
                    let alloc = spec.pools[pool].allocatable;
                    let ins = node_resources_fit::filter(alloc, n.requested, t.requests);
                    // No scalar requests in this cycle (`filters_by_pool_and_sums`).
                    debug_assert_eq!(ins.scalar, 0);
                    cpu += u32::from(ins.cpu);
                    memory += u32::from(ins.memory);
                    pods += u32::from(ins.pods);
                }
            }
        }
        let h = &mut self.hist;
        h.unschedulable += unschedulable;
        h.not_ready += not_ready;
        h.cpu += cpu;
        h.memory += memory;
        h.pods += pods;
        for (pool, &c) in by_pool.iter().enumerate() {
            match verdicts[pool] {
                StaticFit::Taint(i) => h.taints[self.taint_offset[pool] + usize::from(i)] += c,
                StaticFit::Affinity => h.affinity += c,
                _ => debug_assert_eq!(c, 0),
            }
        }
    }

    /// How this cycle's scan filters, and how much of the cycle it does as it goes. When the
    /// filters read only pool, cordon, state and sums (`filters_by_pool_and_sums`), the scan
    /// inlines them (`ScanMode::Sums`), else it calls `evaluate` (`ScanMode::Each`). When,
    /// in addition, every pool passing the static
    /// filters has the same raw TaintToleration and NodeAffinity scores, those two
    /// normalised scores are the same on every feasible node, move no node ahead of another
    /// and are left out; the scan then scores each node it accepts (`ScanMode::Score`), and
    /// when no other plugin normalises over the feasible nodes either (PodTopologySpread
    /// and InterPodAffinity always do) it also selects the host (`ScanMode::Select`).
    fn scan_mode(&mut self, spec: &Spec, cluster: &Cluster, tid: TemplateId) -> ScanMode {
        if !self.filters_by_pool_and_sums(spec, cluster, tid) {
            return ScanMode::Each;
        }
        let t = spec.template(tid);
        let row = tid.idx() * self.npools;
        let mut shared = None;
        for (pool, p) in spec.pools.iter().enumerate() {
            let slot = row + pool;
            if self.static_fit[slot] == StaticFit::Unknown {
                self.static_fit[slot] = Self::pool_static(t, p);
            }
            if let StaticFit::Pass { prefer, affinity } = self.static_fit[slot] {
                match shared {
                    None => shared = Some((prefer, affinity)),
                    Some(raw) if raw != (prefer, affinity) => return ScanMode::Sums,
                    Some(_) => {}
                }
            }
        }
        if self.spread_default[tid.idx()] || self.inter_pod.scores_nodes() {
            ScanMode::Score
        } else {
            ScanMode::Select
        }
    }

    /// Whether a Score cycle of a pod of `tid` is fused (`find_and_score` records spread
    /// keys, `select_spread` picks): PodTopologySpread's system defaults apply and
    /// InterPodAffinity scores nothing, so it is the only normalised plugin. The scan and
    /// the selection both ask here, so they cannot disagree.
    fn spread_only(&self, tid: TemplateId) -> bool {
        self.spread_default[tid.idx()] && !self.inter_pod.scores_nodes()
    }

    /// `find_feasible_by_pool_and_sums` and the first pass of `score_and_select` in one,
    /// when `scan_mode` is `Score`: each feasible node's unnormalised score (`node_score`)
    /// goes to `scores` (with its zone slot in `feasible_zone` for PodTopologySpread) as the
    /// scan pushes it to `feasible`; `select_scored` adds the normalised plugins and picks.
    /// With PodTopologySpread the only normalised plugin, the score goes with the node's
    /// spread key to `scored_keys` instead, for `select_spread`. Returns the processed count.
    #[inline(never)]
    fn find_and_score(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        workload: WorkloadId,
        (start, total, to_find): (usize, usize, usize),
    ) -> usize {
        self.scores.clear();
        self.feasible_zone.clear();
        let scan = (start, total, to_find);
        if !self.spread_default[tid.idx()] {
            return self
                .scan_scoring::<true>(spec, cluster, tid, scan, |s, _, _, score| {
                    s.scores.push(score)
                })
                .0;
        }
        // PodTopologySpread will want each node's zone: recorded while the node is at hand.
        self.fill_pool_zone_slots(spec, cluster);
        let spread = &cluster.spread;
        if !self.spread_only(tid) {
            return self
                .scan_scoring::<true>(spec, cluster, tid, scan, |s, _, n, score| {
                    s.scores.push(score);
                    let slot = match s.pool_zone_slot[n.pool.idx()] {
                        MULTI_ZONE => zone_slot(spread, n),
                        slot => slot,
                    };
                    s.feasible_zone.push(slot);
                })
                .0;
        }
        // PodTopologySpread is the only normalised plugin: the node's count of the
        // workload's pods is read here too, and each zone's fewest and most kept, so
        // `select_spread` needs no pass of its own over the nodes (`spread_scores`').
        let stamp = self.attempts;
        self.size_zone_tables(spread.zone_count());
        let sparse = self.stamp_host_pods(cluster, workload, stamp);
        self.scored_keys.clear();
        self.scan_scoring::<true>(spec, cluster, tid, scan, |s, node, n, score| {
            let zone = match s.pool_zone_slot[n.pool.idx()] {
                MULTI_ZONE => zone_slot(spread, n),
                slot => slot,
            };
            let on_node = pods_on(&s.host_pods, sparse, stamp, spread, workload, node);
            let z = usize::from(zone);
            if s.zone_seen[z] != stamp {
                s.zone_seen[z] = stamp;
                s.zone_range[z] = (on_node, on_node);
            } else {
                let r = &mut s.zone_range[z];
                *r = (r.0.min(on_node), r.1.max(on_node));
            }
            s.scored_keys
                .push((score, u64::from(on_node) << 16 | u64::from(zone)));
        })
        .0
    }

    /// Sizes the per-zone tables of `spread_scores` and `select_spread` for `nz` zones (and
    /// the slot of nodes without one).
    fn size_zone_tables(&mut self, nz: usize) {
        if self.zone_seen.len() != nz + 1 {
            // No cycle's stamp (`attempts`, which a test may leave at 0) is seen yet.
            self.zone_seen = vec![u64::MAX; nz + 1];
            self.zone_range = vec![(0, 0); nz + 1];
            self.zone_pods = vec![0; nz];
            self.zone_term = vec![0.0; nz];
        }
    }

    /// The workload's pods per node: a small workload's few nodes are stamped into
    /// `host_pods` for this cycle (then one load per scored node; returns true), a large one
    /// has them dense (`SpreadCounts::on_node`; returns false).
    fn stamp_host_pods(&mut self, cluster: &Cluster, workload: WorkloadId, stamp: u64) -> bool {
        let Some(list) = cluster.spread.nodes_of(workload) else {
            return false;
        };
        if self.host_pods.len() < cluster.nodes.len() {
            self.host_pods.resize(cluster.nodes.len(), (0, 0));
        }
        for &(node, c) in list {
            self.host_pods[node.idx()] = (stamp, c);
        }
        true
    }

    /// `pool_zone_slot`, once: each pool's zone slot for `spread_scores` (`zone_count()` for
    /// none), or `MULTI_ZONE` when its nodes are spread over several zones by ordinal.
    fn fill_pool_zone_slots(&mut self, spec: &Spec, cluster: &Cluster) {
        if self.pool_zone_slot.len() == self.npools {
            return;
        }
        let nz = cluster.spread.zone_count();
        self.pool_zone_slot = (0..self.npools)
            .map(|p| {
                if spec.pools[p].zones.len() > 1 {
                    MULTI_ZONE
                } else {
                    let pool = PoolId::from_idx(p);
                    cluster.spread.zone_of(pool, 0).map_or(nz, usize::from) as u16
                }
            })
            .collect();
    }

    /// The scan of `find_feasible_by_pool_and_sums` handing each node it accepts, with its
    /// unnormalised score (`node_score`), to `scored`; `PUSH` as for `scan`.
    #[inline(always)]
    fn scan_scoring<const PUSH: bool>(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        (start, total, to_find): (usize, usize, usize),
        mut scored: impl FnMut(&mut Self, NodeId, &Node, i64),
    ) -> (usize, usize) {
        self.prepare_image_terms(spec, cluster, tid, total as u32);
        let mut parts = ScoreParts::new(self, spec, spec.template(tid));
        let fit = SumsFit::new(self, spec, tid);
        self.scan::<PUSH>(
            spec,
            cluster,
            tid,
            (start, total, to_find),
            Some(fit.need),
            |_| true,
            |s, node, n| {
                if !fit.fits(&s.fit_room, n) {
                    return false;
                }
                let score = s.node_score(spec, cluster, tid, node, n, &mut parts);
                scored(s, node, n, score);
                true
            },
        )
    }

    /// `find_feasible_by_pool_and_sums` and `score_and_select` in one pass, when
    /// `scan_mode` is `Select`: each feasible node is scored as the scan finds it and
    /// the reservoir sampling of `selectHost` runs over them in the same order, so the same
    /// node wins with the same random draws. Leaves `feasible` empty; returns the processed
    /// count, how many nodes were feasible, and the winner (meaningful when some were).
    #[inline(never)]
    fn find_and_select(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        (start, total, to_find): (usize, usize, usize),
    ) -> (usize, usize, NodeId) {
        let mut pick = Reservoir::new(NodeId(0));
        let (processed, found) = self.scan_scoring::<false>(
            spec,
            cluster,
            tid,
            (start, total, to_find),
            |s, node, _, score| pick.offer(node, score, &mut s.rng),
        );
        (processed, found, pick.best)
    }

    /// The scan of every filter pass (`(start, total, to_find)`): walks the node list from the
    /// live position `start`, wrapping at the end and stepping over the holes left by removed
    /// nodes, counting the nodes `fits` accepts (and, with `PUSH`, pushing them to
    /// `feasible`) until `to_find` are found; returns how many live nodes were processed and
    /// how many were accepted. On a node for which `by_pool` holds, a pool failing the
    /// static filters fails it whatever its state, so the rest of its pool's run is counted
    /// as processed and skipped at once. With `room` (the pod's cpu, memory and one pod slot,
    /// when `fits` is `SumsFit::fits`, whose `new` filled `fit_room` for this cycle's pod),
    /// every node's pool verdict is read from `fit_room` instead (`by_pool` is not called); a block of the node list whose bound shows no node
    /// with that much free is skipped the same way, and a block read whole without a find
    /// has its bound recomputed (`block_room`).
    // Each argument is a different input of the hot loop; bundling them would only rename.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn scan<const PUSH: bool>(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        (start, total, to_find): (usize, usize, usize),
        room: Option<Res>,
        by_pool: impl Fn(&Node) -> bool,
        mut fits: impl FnMut(&mut Self, NodeId, &Node) -> bool,
    ) -> (usize, usize) {
        let t = spec.template(tid);
        let row = tid.idx() * self.npools;
        let list = &cluster.registered;
        let slots = list.raw_slots();
        let mut s = list.slot_of_live(start);
        let (mut i, mut found) = (0, 0);
        while i < total {
            if s >= slots.len() {
                s = 0;
            }
            let b = s / BLOCK;
            let block_end = (b * BLOCK + BLOCK).min(slots.len());
            if let Some(need) = room
                && !self.block_rooms.may_fit(list, b, need)
            {
                i += list.live_to_block_end(s);
                s = block_end;
                continue;
            }
            let (whole, found_before) = (s == b * BLOCK, found);
            while s < block_end && i < total {
                let node = slots[s];
                if NodeList::is_hole(node) {
                    s += 1;
                    continue;
                }
                let n = cluster.node(node);
                if room.is_some() {
                    // `SumsFit::new` holds the pool's static verdict next to its room.
                    if !self.fit_room[n.pool.idx()].pass {
                        i += list.live_to_run_end(s);
                        s = list.run_end(s);
                        continue;
                    }
                } else if by_pool(n) {
                    let slot = row + n.pool.idx();
                    if self.static_fit[slot] == StaticFit::Unknown {
                        self.static_fit[slot] = Self::pool_static(t, spec.pool(n.pool));
                    }
                    if !matches!(self.static_fit[slot], StaticFit::Pass { .. }) {
                        i += list.live_to_run_end(s);
                        s = list.run_end(s);
                        continue;
                    }
                }
                i += 1;
                s += 1;
                if fits(self, node, n) {
                    if PUSH {
                        self.feasible.push(node);
                    }
                    found += 1;
                    if found >= to_find {
                        return (i, found);
                    }
                }
            }
            // The bound let the scan in, yet no node of the whole block fitted.
            if room.is_some() && whole && s == block_end && found == found_before {
                self.block_rooms.tighten(spec, cluster, b);
            }
        }
        (total, found)
    }

    fn count(&mut self, r: Reject) {
        let h = &mut self.hist;
        match r {
            Reject::Unschedulable => h.unschedulable += 1,
            Reject::Taint(p, i) => h.taints[self.taint_offset[p.idx()] + i as usize] += 1,
            Reject::NotReady => h.not_ready += 1,
            Reject::Affinity => h.affinity += 1,
            Reject::Resources(ins) => {
                h.cpu += ins.cpu as u32;
                h.memory += ins.memory as u32;
                h.pods += ins.pods as u32;
                if ins.scalar != 0 {
                    for (k, c) in h.scalar.iter_mut().enumerate() {
                        *c += u32::from(ins.scalar >> k & 1);
                    }
                }
            }
            Reject::Ports => h.ports += 1,
            Reject::NodeTaint(node, i) => h.node_taints.push((node, i)),
            Reject::InterPodAffinity(r) => match r {
                inter_pod_affinity::Reason::Affinity => h.pod_affinity += 1,
                inter_pod_affinity::Reason::AntiAffinity => h.pod_anti_affinity += 1,
                inter_pod_affinity::Reason::ExistingAntiAffinity => h.existing_anti_affinity += 1,
            },
        }
    }

    /// Names the rejections by nodes' own taints (the message needs the taints' texts).
    fn name_node_taints(&mut self, spec: &Spec, cluster: &Cluster) {
        let h = &mut self.hist;
        h.node_taint_names.clear();
        for &(node, i) in &h.node_taints {
            let taint = &cluster.taints(spec, node)[i as usize];
            h.node_taint_names.push(taint_toleration::reason(taint));
        }
    }

    fn reset_histogram(&mut self) {
        let h = &mut self.hist;
        h.unschedulable = 0;
        h.not_ready = 0;
        h.affinity = 0;
        h.cpu = 0;
        h.memory = 0;
        h.pods = 0;
        h.taints.iter_mut().for_each(|c| *c = 0);
        h.node_taints.clear();
        h.node_taint_names.clear();
        h.pod_affinity = 0;
        h.pod_anti_affinity = 0;
        h.existing_anti_affinity = 0;
        h.ports = 0;
        h.scalar = [0; crate::model::SCALAR_SLOTS];
    }

    /// The plugins that rejected some node in this cycle's histogram.
    fn rejectors(&self) -> PluginSet {
        let h = &self.hist;
        let mut s = PluginSet::empty();
        if h.unschedulable > 0 {
            s.insert(Plugin::NodeUnschedulable);
        }
        if h.affinity > 0 {
            s.insert(Plugin::NodeAffinity);
        }
        // The not-ready taint is TaintToleration's, as every other taint.
        if h.not_ready > 0 || h.taints.iter().any(|&c| c > 0) || !h.node_taints.is_empty() {
            s.insert(Plugin::TaintToleration);
        }
        if h.ports > 0 {
            s.insert(Plugin::NodePorts);
        }
        if h.cpu + h.memory + h.pods + h.scalar.iter().sum::<u32>() > 0 {
            s.insert(Plugin::NodeResourcesFit);
        }
        if h.pod_affinity + h.pod_anti_affinity + h.existing_anti_affinity > 0 {
            s.insert(Plugin::InterPodAffinity);
        }
        s
    }

    /// The status of a failed cycle. InterPodAffinity's affinity rejections are
    /// `UnschedulableAndUnresolvable` and its anti-affinity ones `Unschedulable`; the plugin
    /// set cannot tell them apart, so the code is lowered here when no rejection anywhere was
    /// resolvable.
    fn failed_status(&self, message: u32) -> Status {
        let h = &self.hist;
        let mut status = Status::new(self.rejectors(), message);
        if status.code == Code::Unschedulable
            && h.cpu
                + h.memory
                + h.pods
                + h.scalar.iter().sum::<u32>()
                + h.ports
                + h.pod_anti_affinity
                + h.existing_anti_affinity
                == 0
        {
            status.code = Code::UnschedulableAndUnresolvable;
        }
        status
    }

    /// `FitError.Error()`: `0/N nodes are available: ` then "COUNT REASON" entries sorted as
    /// strings and joined with ", ", then ".".
    fn failure_message(&mut self, spec: &Spec, total: usize, messages: &mut Messages) -> u32 {
        let h = &self.hist;
        let mut entries: Vec<(u32, String)> = Vec::new();
        // The reason text is built only for a plugin that rejected some node.
        let mut push = |c: u32, s: &dyn Fn() -> String| {
            if c > 0 {
                entries.push((c, s()));
            }
        };
        push(h.unschedulable, &|| node_unschedulable::REASON.to_string());
        for (p, pool) in spec.pools.iter().enumerate() {
            for (i, taint) in pool.taints.iter().enumerate() {
                push(h.taints[self.taint_offset[p] + i], &|| {
                    taint_toleration::reason(taint)
                });
            }
        }
        push(h.not_ready, &|| {
            taint_toleration::reason(&Taint::new(NOT_READY_TAINT, "", TaintEffect::NoSchedule))
        });
        for name in &h.node_taint_names {
            push(1, &|| name.clone());
        }
        push(h.affinity, &|| node_affinity::REASON.to_string());
        push(h.cpu, &|| node_resources_fit::INSUFFICIENT_CPU.to_string());
        push(h.memory, &|| {
            node_resources_fit::INSUFFICIENT_MEMORY.to_string()
        });
        push(h.pods, &|| node_resources_fit::TOO_MANY_PODS.to_string());
        for (k, &c) in h.scalar.iter().enumerate() {
            push(c, &|| {
                node_resources_fit::insufficient_message(&spec.scalar_names[k])
            });
        }
        push(h.ports, &|| node_ports::REASON.to_string());
        push(h.pod_affinity, &|| {
            inter_pod_affinity::REASON_AFFINITY.to_string()
        });
        push(h.pod_anti_affinity, &|| {
            inter_pod_affinity::REASON_ANTI_AFFINITY.to_string()
        });
        push(h.existing_anti_affinity, &|| {
            inter_pod_affinity::REASON_EXISTING_ANTI_AFFINITY.to_string()
        });
        // Two pools with an identical taint report it once, summed, as upstream keys the
        // histogram by reason string.
        let mut merged: BTreeMap<String, u32> = BTreeMap::new();
        for (c, s) in entries {
            *merged.entry(s).or_default() += c;
        }
        let mut parts: Vec<String> = merged.iter().map(|(s, c)| format!("{c} {s}")).collect();
        parts.sort();
        let msg = format!("0/{total} nodes are available: {}.", parts.join(", "));
        let id = messages.intern(&msg);
        if messages.reasons(id).is_empty() {
            messages.set_reasons(id, merged.into_keys().collect());
        }
        id
    }

    /// One scheduling cycle for `pod`. Does not change the cluster.
    pub fn schedule(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        pod: PodId,
        messages: &mut Messages,
    ) -> Decision {
        self.attempts += 1;
        let p = cluster.pod(pod);
        let tid = p.template;
        let total = cluster.registered.len();
        if total == 0 {
            return Decision::Unschedulable(Status::new(
                PluginSet::no_nodes(),
                messages.intern(NO_NODES_MESSAGE),
            ));
        }
        // Nominated pods change what fits without changing the cluster: no reuse then.
        if p.pinned.is_none()
            && self.nominated.is_empty()
            && let Some((v, status)) = self.fail_cache[tid.idx()]
            && v == cluster.version
        {
            return Decision::Unschedulable(status);
        }
        self.cur_pod = pod;
        self.inter_pod.prefilter(spec, cluster, tid);
        // `evaluateNominatedNode`: a pod nominated by its preemption tries that node first,
        // and takes it without scoring if it fits.
        if !self.nominated.is_empty()
            && let Some(node) = self.nominated_node(pod)
            && cluster
                .nodes
                .get(node.idx())
                .is_some_and(|n| matches!(n.state, NodeState::Ready | NodeState::NotReady))
            && self.evaluate(spec, cluster, tid, node).is_ok()
        {
            return Decision::Bind(node);
        }
        self.reset_histogram();
        self.feasible.clear();
        if self.res_cache.len() < cluster.nodes.len() {
            self.res_cache.resize(cluster.nodes.len(), ResCached::EMPTY);
        }
        // The host when the scan selected it as it went (`find_and_select`).
        let mut selected = None;
        let mut mode = ScanMode::Each;
        if let Some(target) = p.pinned {
            // A DaemonSet pod's required affinity names one node (matchFields metadata.name);
            // every other node fails NodeAffinity.
            let registered = cluster
                .nodes
                .get(target.idx())
                .is_some_and(|n| matches!(n.state, NodeState::Ready | NodeState::NotReady));
            if registered {
                match self.evaluate(spec, cluster, tid, target) {
                    Ok(()) => self.feasible.push(target),
                    Err(r) => self.count(r),
                }
            }
            self.hist.affinity += (total - registered as usize) as u32;
        } else {
            let to_find = num_feasible_nodes_to_find(self.percentage, total);
            let start = self.next_start % total;
            mode = self.scan_mode(spec, cluster, tid);
            let scan = (start, total, to_find);
            let processed = match mode {
                ScanMode::Select => {
                    let (processed, found, best) = self.find_and_select(spec, cluster, tid, scan);
                    if found > 0 {
                        selected = Some(best);
                    }
                    processed
                }
                ScanMode::Score => self.find_and_score(spec, cluster, tid, p.workload, scan),
                ScanMode::Sums => self.find_feasible_by_pool_and_sums(spec, cluster, tid, scan),
                ScanMode::Each => self.find_feasible_each(spec, cluster, tid, scan),
            };
            self.next_start = (start + processed) % total;
            if self.feasible.is_empty() && selected.is_none() {
                // Only a failing pod needs the per-node reasons: count them in a second pass.
                if mode == ScanMode::Each {
                    for node in cluster.registered.iter() {
                        if let Err(r) = self.evaluate(spec, cluster, tid, node) {
                            self.count(r);
                        }
                    }
                } else {
                    self.count_by_pool_and_sums(spec, cluster, tid);
                }
            }
        }
        if self.feasible.is_empty() && selected.is_none() {
            self.name_node_taints(spec, cluster);
            let m = self.failure_message(spec, total, messages);
            let status = self.failed_status(m);
            if p.pinned.is_none() && self.nominated.is_empty() {
                self.fail_cache[tid.idx()] = Some((cluster.version, status));
            }
            return Decision::Unschedulable(status);
        }
        if let Some(node) = selected {
            return Decision::Bind(node);
        }
        if self.feasible.len() == 1 {
            return Decision::Bind(self.feasible[0]);
        }
        if mode == ScanMode::Score {
            return Decision::Bind(self.select_scored(cluster, tid, p.workload, false, true));
        }
        Decision::Bind(self.score_and_select(spec, cluster, tid, p.workload, total as u32))
    }

    /// ImageLocality's per-image term depends only on the image, the node's pool (platform
    /// size) and how many nodes have the image: computed once per cycle into `img_terms`
    /// (`total`: the registered nodes).
    fn prepare_image_terms(&mut self, spec: &Spec, cluster: &Cluster, tid: TemplateId, total: u32) {
        self.img_terms.clear();
        for &img in &spec.template(tid).images {
            for pool in 0..self.npools {
                self.img_terms.push(image_locality::scaled_image_score(
                    self.image_size[img.idx() * self.npools + pool],
                    cluster.image_nodes[img.idx()],
                    total,
                ));
            }
        }
    }

    /// A feasible node's NodeResourcesFit, NodeResourcesBalancedAllocation and ImageLocality
    /// scores, weighted and summed: the plugins whose score needs no normalisation over the
    /// other nodes. Needs `prepare_image_terms` for this cycle.
    #[inline(always)]
    fn node_score(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        node: NodeId,
        nd: &Node,
        parts: &mut ScoreParts,
    ) -> i64 {
        let t = spec.template(tid);
        // The resource scores: the cached ones while the node's sums are unchanged.
        let slot = &mut self.res_cache[node.idx()];
        let res_score =
            if slot.sums_at == nd.sums_at && slot.template == tid.0 && !parts.scalar_score {
                slot.score
            } else {
                let alloc = spec.pool(nd.pool).allocatable;
                let fit = if parts.default_fit {
                    node_resources_fit::least_allocated(alloc, nd.nonzero, t.nonzero)
                } else {
                    node_resources_fit::score(
                        &spec.scheduler.fit_scoring,
                        &node_resources_fit::ScoreInput {
                            allocatable: alloc,
                            requested: nd.requested,
                            nonzero_requested: nd.nonzero,
                            pod: t.requests,
                            pod_nonzero: t.nonzero,
                            allocatable_scalar: spec.pool(nd.pool).allocatable_scalar,
                            requested_scalar: cluster.scalar_requested(node),
                            pod_scalar: t.scalar_requests,
                        },
                    )
                };
                let bal =
                    node_resources_balanced_allocation::score(alloc, nd.requested, t.requests);
                let score = weights::NODE_RESOURCES_FIT * fit
                    + weights::NODE_RESOURCES_BALANCED_ALLOCATION * bal;
                *slot = ResCached {
                    sums_at: nd.sums_at,
                    template: tid.0,
                    score,
                };
                score
            };
        let pool = nd.pool.idx();
        let mut sum = 0i64;
        for (j, &img) in t.images.iter().enumerate() {
            if cluster.node_has_image(node, img) {
                sum += self.img_terms[j * self.npools + pool];
            }
        }
        if sum != parts.last_img.0 {
            parts.last_img = (
                sum,
                image_locality::calculate_priority(sum, parts.num_containers),
            );
        }
        res_score + weights::IMAGE_LOCALITY * parts.last_img.1
    }

    /// Scores the feasible nodes and picks one (`prioritizeNodes` + `selectHost`). One pass
    /// reads each node (static parts, resource and image scores, the latter summed into
    /// `scores`); the normalised plugins (TaintToleration, NodeAffinity, PodTopologySpread,
    /// InterPodAffinity) need the maximum over all nodes first, so a last pass over the
    /// per-node vectors adds them and selects the host in node order.
    #[inline(never)]
    fn score_and_select(
        &mut self,
        spec: &Spec,
        cluster: &Cluster,
        tid: TemplateId,
        workload: WorkloadId,
        total: u32,
    ) -> NodeId {
        let t = spec.template(tid);
        let n = self.feasible.len();
        self.s_taint.clear();
        self.s_aff.clear();
        self.scores.clear();
        self.prepare_image_terms(spec, cluster, tid, total);
        let mut parts = ScoreParts::new(self, spec, t);
        // No node differs from its pool for this template: the static parts are per pool.
        let by_pool = !self.per_node[tid.idx()]
            && cluster.taint_overlay.is_empty()
            && !cluster.any_off_build();
        let row = tid.idx() * self.npools;
        for k in 0..n {
            let node = self.feasible[k];
            let nd = cluster.node(node);
            let pool = nd.pool.idx();
            // Feasible nodes passed the static filters, so the common case is a cache hit.
            let st = match self.static_fit[row + pool] {
                st @ StaticFit::Pass { .. } if by_pool => st,
                _ => self.static_for(spec, cluster, tid, node),
            };
            let (prefer, affinity) = match st {
                StaticFit::Pass { prefer, affinity } => (prefer, affinity),
                _ => (0, 0),
            };
            self.s_taint.push(prefer);
            self.s_aff.push(affinity);
            let score = self.node_score(spec, cluster, tid, node, nd, &mut parts);
            self.scores.push(score);
        }
        self.select_scored(cluster, tid, workload, true, false)
    }

    /// The end of `score_and_select` once `scores` holds each feasible node's unnormalised
    /// score: adds the normalised plugins (TaintToleration and NodeAffinity from `s_taint`
    /// and `s_aff` when `static_parts`; left out when they are the same on every node,
    /// `ScanMode::Score`) and selects the host in node order. `zones_known`: the scan was
    /// `find_and_score`'s, which recorded each feasible node's zone slot in `feasible_zone`,
    /// or, with PodTopologySpread the only normalised plugin, its key in `scored_keys`
    /// (then `select_spread` picks).
    fn select_scored(
        &mut self,
        cluster: &Cluster,
        tid: TemplateId,
        workload: WorkloadId,
        static_parts: bool,
        zones_known: bool,
    ) -> NodeId {
        let n = self.feasible.len();
        if zones_known && self.spread_only(tid) {
            return self.select_spread(cluster, workload);
        }
        if static_parts {
            default_normalize(&mut self.s_taint, true);
            default_normalize(&mut self.s_aff, false);
        }
        let spread = self.spread_default[tid.idx()]
            .then(|| self.spread_scores(cluster, workload, zones_known));
        let ipa = self
            .inter_pod
            .scores(cluster, &self.feasible, &mut self.s_ipa);
        // `selectHost` (`Reservoir`).
        let mut pick = Reservoir::new(0);
        for k in 0..n {
            let spread_score = match &spread {
                Some(norm) => weights::POD_TOPOLOGY_SPREAD * norm.score(self.spread_raw[k]),
                None => 0,
            };
            let ipa_score = if ipa {
                weights::INTER_POD_AFFINITY * self.s_ipa[k]
            } else {
                0
            };
            let static_score = if static_parts {
                weights::TAINT_TOLERATION * self.s_taint[k] + weights::NODE_AFFINITY * self.s_aff[k]
            } else {
                0
            };
            let score = self.scores[k] + static_score + spread_score + ipa_score;
            pick.offer(k, score, &mut self.rng);
        }
        self.feasible[pick.best]
    }

    /// `select_scored` for a fused Score cycle (`find_and_score` with PodTopologySpread the
    /// only normalised plugin): `spread_scores`' weights and raw scores from the scan's keys,
    /// and the normalisation's minimum and maximum from each zone's fewest and most pods, then
    /// `selectHost` in node order. Same scores and draws as `spread_scores` and the general
    /// loop, one pass over the nodes instead of two.
    fn select_spread(&mut self, cluster: &Cluster, workload: WorkloadId) -> NodeId {
        let nz = cluster.spread.zone_count();
        let stamp = self.attempts;
        let host_w = self.spread_weights(cluster, workload);
        let zone_term = &self.zone_term;
        // `spread_scores`' raw score, in its order of operations.
        let raw = |on_node: u32, zone: usize| {
            let mut s = pts::score_for_count(on_node, pts::DEFAULT_HOSTNAME_MAX_SKEW, host_w);
            if zone < nz {
                s += zone_term[zone];
            }
            pts::round_half_away(s)
        };
        // Within a zone the raw score grows with the pods on the node (a positive weight,
        // then additions and rounding, each monotone in floating point): its extremes over
        // the nodes are those of each zone's fewest and most.
        let (mut min, mut max) = (i64::MAX, 0i64);
        for z in 0..=nz {
            if self.zone_seen[z] == stamp {
                let (lo, hi) = self.zone_range[z];
                min = min.min(raw(lo, z));
                max = max.max(raw(hi, z));
            }
        }
        let norm = pts::Normalizer::new(min, max);
        // `selectHost` (`Reservoir`). Most nodes share the key of the node before.
        let mut pick = Reservoir::new(0);
        let mut last = (u64::MAX, 0i64);
        for (k, &(score, key)) in self.scored_keys.iter().enumerate() {
            if key != last.0 {
                let r = raw((key >> 16) as u32, (key & 0xffff) as usize);
                last = (key, weights::POD_TOPOLOGY_SPREAD * norm.score(r));
            }
            pick.offer(k, score + last.1, &mut self.rng);
        }
        self.feasible[pick.best]
    }

    /// PreScore's weights once `zone_seen` marks this cycle's zone slots (those of the
    /// feasible nodes) with `attempts`: the zone weight ln(zone values + 2) into each marked
    /// zone's `zone_term` (its `scoreForCount`, from `zone_pods`); returns the hostname
    /// weight ln(feasible nodes + 2).
    fn spread_weights(&mut self, cluster: &Cluster, workload: WorkloadId) -> f64 {
        let spread = &cluster.spread;
        let nz = spread.zone_count();
        let stamp = self.attempts;
        let mut zone_values = 0;
        for z in 0..=nz {
            if self.zone_seen[z] == stamp {
                zone_values += 1;
                if z < nz {
                    self.zone_pods[z] = spread.in_zone(workload, z as u16);
                }
            }
        }
        let zone_w = pts::normalizing_weight(zone_values);
        for z in 0..nz {
            if self.zone_seen[z] == stamp {
                self.zone_term[z] =
                    pts::score_for_count(self.zone_pods[z], pts::DEFAULT_ZONE_MAX_SKEW, zone_w);
            }
        }
        pts::normalizing_weight(self.feasible.len())
    }

    /// PodTopologySpread with the system default constraints (hostname maxSkew 3, zone
    /// maxSkew 5, ScheduleAnyway; k/k `podtopologyspread/scoring.go`) for a pod of
    /// `workload`: each feasible node's raw score into `spread_raw` (parallel to
    /// `feasible`), and their `NormalizeScore` (no node is ignored).
    ///
    /// PreScore: the hostname weight is ln(scored nodes + 2); the zone weight ln(zone values
    /// among the scored nodes + 2), where a node without the label counts as the value "" as
    /// upstream's map lookup makes it. Counts come from `cluster.spread`, kept by binds and
    /// releases, so a cycle costs one lookup per scored node and one per zone. Upstream counts
    /// a zone's pods only on nodes that pass the pod's required node affinity
    /// (nodeAffinityPolicy Honor); the selector here is the pod's own workload, whose pods all
    /// passed the same template's affinity, so counting all of them is the same number.
    /// Score: Σ count × weight + (maxSkew − 1) over the constraints whose key the node has,
    /// rounded; requireAllTopologies is false for system defaults, so no node is ignored.
    fn spread_scores(
        &mut self,
        cluster: &Cluster,
        workload: WorkloadId,
        zones_known: bool,
    ) -> pts::Normalizer {
        let spread = &cluster.spread;
        let nz = spread.zone_count();
        let stamp = self.attempts;
        self.size_zone_tables(nz);
        if !zones_known {
            self.feasible_zone.clear();
            for &node in &self.feasible {
                self.feasible_zone
                    .push(zone_slot(spread, cluster.node(node)));
            }
        }
        for &slot in &self.feasible_zone {
            self.zone_seen[usize::from(slot)] = stamp;
        }
        let host_w = self.spread_weights(cluster, workload);
        let sparse = self.stamp_host_pods(cluster, workload, stamp);
        self.spread_raw.clear();
        let (mut min, mut max) = (i64::MAX, 0i64);
        // Most nodes hold none of the workload's pods, in the zone of the node before: the
        // raw score of the last (count, zone) is reused.
        let mut last = (u32::MAX, u16::MAX, 0i64);
        for (&node, &zone) in self.feasible.iter().zip(&self.feasible_zone) {
            let on_node = pods_on(&self.host_pods, sparse, stamp, spread, workload, node);
            if (on_node, zone) != (last.0, last.1) {
                let mut s = pts::score_for_count(on_node, pts::DEFAULT_HOSTNAME_MAX_SKEW, host_w);
                if usize::from(zone) < nz {
                    s += self.zone_term[usize::from(zone)];
                }
                last = (on_node, zone, pts::round_half_away(s));
            }
            let raw = last.2;
            min = min.min(raw);
            max = max.max(raw);
            self.spread_raw.push(raw);
        }
        pts::Normalizer::new(min, max)
    }

    /// NodeResourcesFit's scalar checks for a pod of `t` (which requests some) on `node`, with
    /// the nominated pods of at least its priority counted.
    fn scalar_filter(&self, spec: &Spec, cluster: &Cluster, t: &TemplateSpec, node: NodeId) -> u8 {
        let mut requested = cluster.scalar_requested(node);
        if !self.nominated.is_empty() {
            self.add_nominated_scalars(node, t.priority, &mut requested);
        }
        let pool = spec.pool(cluster.node(node).pool);
        node_resources_fit::scalar_filter(&pool.allocatable_scalar, &requested, &t.scalar_requests)
    }

    /// NodePorts' Filter for a pod of `t` (which has host ports) on `node`: the host ports of
    /// the node's pods (terminating ones too: they still hold their ports), and of the pods
    /// nominated there with at least the pod's priority (`addGENominatedPods`).
    #[inline(never)]
    fn ports_fit(&self, spec: &Spec, cluster: &Cluster, t: &TemplateSpec, node: NodeId) -> bool {
        ports_fit(
            spec,
            cluster,
            &self.nominated,
            self.cur_pod,
            t,
            node,
            |_| true,
        )
    }

    /// Tolerations helper for callers that need the pod's view (DaemonSet placement).
    pub fn tolerates(t: &TemplateSpec, taint: &Taint) -> bool {
        tolerated(&t.tolerations, taint)
    }
}

/// The pods of `workload` on `node` in a spread cycle: from `host_pods` when
/// `Scheduler::stamp_host_pods` stamped the workload's few nodes there for cycle `stamp`
/// (`sparse`), else from the workload's dense table.
#[inline(always)]
fn pods_on(
    host_pods: &[(u64, u32)],
    sparse: bool,
    stamp: u64,
    spread: &crate::model::topology::SpreadCounts,
    workload: WorkloadId,
    node: NodeId,
) -> u32 {
    if sparse {
        match host_pods[node.idx()] {
            (at, c) if at == stamp => c,
            _ => 0,
        }
    } else {
        spread.on_node(workload, node)
    }
}

/// NodePorts' Filter as `Scheduler::ports_fit`, over the node's pods for which `on` holds
/// (preemption's dry run leaves out the pods it took off the node).
fn ports_fit(
    spec: &Spec,
    cluster: &Cluster,
    nominated: &[preemption::Nomination],
    cur_pod: PodId,
    t: &TemplateSpec,
    node: NodeId,
    on: impl Fn(PodId) -> bool,
) -> bool {
    let on_node = cluster.pods_on[node.idx()]
        .iter()
        .filter(|&&q| on(q))
        .map(|&q| spec.template(cluster.pod(q).template).host_ports.as_slice());
    let nominated = nominated
        .iter()
        .filter(|n| n.node == node && n.priority >= t.priority && n.pod != cur_pod)
        .map(|n| {
            spec.template(cluster.pod(n.pod).template)
                .host_ports
                .as_slice()
        });
    node_ports::fits(&t.host_ports, on_node.chain(nominated))
}

/// Convenience for tests and the autoscaler: does `t` tolerate every hard taint in `taints`?
pub fn tolerates_all(tolerations: &[Toleration], taints: &[Taint]) -> bool {
    taint_toleration::first_untolerated(taints, tolerations).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feasible_node_count_follows_the_adaptive_percentage() {
        // Below 100 nodes: all of them.
        assert_eq!(num_feasible_nodes_to_find(0, 12), 12);
        assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
        // 500 nodes: 50 − 500/125 = 46 % → 230.
        assert_eq!(num_feasible_nodes_to_find(0, 500), 230);
        // 5,000 nodes: 50 − 40 = 10 % → 500.
        assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
        // 15,000 nodes: 50 − 120 < 5 → 5 % → 750.
        assert_eq!(num_feasible_nodes_to_find(0, 15_000), 750);
        // 150 nodes: 50 − 1 = 49 % → 73, raised to the 100 minimum.
        assert_eq!(num_feasible_nodes_to_find(0, 150), 100);
        // A fixed 100 % scores every node.
        assert_eq!(num_feasible_nodes_to_find(100, 5000), 5000);
    }

    /// Three pools in interleaved runs; `web` fits the Linux pools only (the Windows pool's
    /// taint), `winweb` the Windows pool only (its selector and toleration), `ds` is a
    /// DaemonSet, whose pods tolerate cordons and NotReady nodes; `small` has room for 3 web
    /// pods (cpu), `big` for 8 (pods).
    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "small", os: Linux, cpu: "3", memory: "64Gi"),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
             taints: [(key: "os", value: "windows", effect: NoSchedule)]),
            (name: "big", os: Linux, cpu: "64", memory: "64Gi", max_pods: 8),
        ],
        layers: [(name: "l1", size: "100MB")],
        images: [
            (name: "app:1", platforms: [(os: Linux, layers: ["l1"])]),
            (name: "wapp:1", platforms: [(os: Windows, os_version: "10.0.20348", layers: ["l1"])]),
        ],
        workloads: [
            (name: "web", replicas: 1, template: (containers: [(image: "app:1", cpu: "1")])),
            (name: "winweb", replicas: 1, template: (containers: [(image: "wapp:1", cpu: "1")],
             node_selector: {"kubernetes.io/os": "windows"},
             tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
            (name: "ds", kind: DaemonSet, template: (containers: [(image: "app:1", cpu: "1")])),
        ],
    )"#;

    #[test]
    fn the_scan_by_pool_and_sums_finds_what_evaluate_on_each_node_finds() {
        // The inlined scan must give the nodes `evaluate` accepts, in the same order, and the
        // same processed count (which decides the next cycle's start), from every start and
        // for every number to find, on clusters with full, cordoned, NotReady and removed
        // nodes in interleaved pool runs.
        use crate::effect::testing::Harness;
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut next = |n: usize| rng.random_range(0..n);
        let mut compared = 0;
        let mut all_four = 0;
        for round in 0..40 {
            let mut h = Harness::new(SCENARIO);
            let mut nodes = Vec::new();
            for _ in 0..12 + next(40) {
                let pool = next(3);
                nodes.push(h.ready_node(pool));
            }
            for _ in 0..next(120) {
                let node = nodes[next(nodes.len())];
                let w = if h.cluster.node(node).pool.idx() == 1 {
                    1
                } else {
                    0
                };
                h.bound_pod(w, node, 0);
            }
            for &node in &nodes {
                match next(8) {
                    0 => h.cluster.nodes[node.idx()].cordoned = true,
                    1 => h.cluster.nodes[node.idx()].state = NodeState::NotReady,
                    2 if h.cluster.registered.len() > 2 => h.cluster.unregister(node),
                    _ => {}
                }
            }
            let total = h.cluster.registered.len();
            let mut s = Scheduler::new(&h.spec, rand_chacha::ChaCha8Rng::seed_from_u64(round));
            for tid in 0..h.spec.templates.len() {
                let tid = TemplateId::from_idx(tid);
                s.inter_pod.prefilter(&h.spec, &h.cluster, tid);
                assert!(s.filters_by_pool_and_sums(&h.spec, &h.cluster, tid));
                for start in 0..total {
                    for to_find in [1, 2, 5, total] {
                        s.feasible.clear();
                        let fast = s.find_feasible_by_pool_and_sums(
                            &h.spec,
                            &h.cluster,
                            tid,
                            (start, total, to_find),
                        );
                        let fast_nodes = std::mem::take(&mut s.feasible);
                        let each =
                            s.find_feasible_each(&h.spec, &h.cluster, tid, (start, total, to_find));
                        assert_eq!(
                            (fast, &fast_nodes),
                            (each, &s.feasible),
                            "round {round}, template {tid:?}, start {start}, to_find {to_find}"
                        );
                        compared += 1;
                    }
                }
                // A failing cycle's reasons: the same histogram as `evaluate` on each node
                // (cordons, pool taints, NotReady, selectors and each insufficient resource
                // all occur in these clusters).
                s.reset_histogram();
                for node in h.cluster.registered.iter() {
                    if let Err(r) = s.evaluate(&h.spec, &h.cluster, tid, node) {
                        s.count(r);
                    }
                }
                let each = s.hist.clone();
                s.reset_histogram();
                s.count_by_pool_and_sums(&h.spec, &h.cluster, tid);
                assert_eq!(s.hist, each, "round {round}, template {tid:?}");
                let r = s.rejectors();
                all_four += usize::from(
                    [
                        Plugin::NodeUnschedulable,
                        Plugin::TaintToleration,
                        Plugin::NodeAffinity,
                        Plugin::NodeResourcesFit,
                    ]
                    .iter()
                    .all(|&p| r.contains(p)),
                );
            }
        }
        // 40 clusters × 3 templates × (≥ 2 starts) × 4 counts: the loops above ran.
        assert!(compared >= 40 * 3 * 2 * 4, "{compared}");
        // Every filter these clusters exercise rejected some node in some round.
        assert!(all_four > 0);
    }

    #[test]
    fn skipping_blocks_without_room_finds_what_evaluate_finds_while_the_cluster_changes() {
        // The room bounds a scheduler keeps across cycles must never hide a node that fits:
        // after every bind, release, removal and arrival (and the compactions removals
        // cause), the scan with block skips gives the nodes, order and processed count of
        // `evaluate` on each node. Clusters of 150–400 nodes span 3–7 blocks; most nodes are
        // filled to the brim (web takes 1 of small's 3 cpu, 1 of big's 8 pod slots), so
        // whole blocks have no room and the skips run: the test also checks they did.
        use crate::effect::testing::Harness;
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
        let mut next = |n: usize| rng.random_range(0..n);
        let web = TemplateId::from_idx(0);
        let (mut compared, mut skipping) = (0, 0);
        for round in 0..12 {
            let mut h = Harness::new(SCENARIO);
            // Linux nodes only, in long runs of one pool, as pools scale up; half the runs
            // full, half with some room.
            let cap = |h: &Harness, node: NodeId| {
                if h.cluster.node(node).pool.idx() == 0 {
                    3
                } else {
                    8
                }
            };
            let mut nodes = Vec::new();
            let mut bound: Vec<(NodeId, PodId)> = Vec::new();
            while nodes.len() < 150 + next(250) {
                let pool = [0, 2][next(2)];
                let full = next(2) == 0;
                for _ in 0..1 + next(120) {
                    let node = h.ready_node(pool);
                    nodes.push(node);
                    let fill = if full { cap(&h, node) } else { next(3) };
                    for _ in 0..fill {
                        bound.push((node, h.bound_pod(0, node, 0)));
                    }
                }
            }
            let mut s = Scheduler::new(&h.spec, rand_chacha::ChaCha8Rng::seed_from_u64(round));
            for step in 0..60 {
                match next(4) {
                    // A release gives its node (and block) room.
                    0 if !bound.is_empty() => {
                        let (node, pod) = bound.swap_remove(next(bound.len()));
                        if h.cluster.registered.contains(node) {
                            h.cluster.release(node, pod, h.spec.template(web));
                        }
                    }
                    // A bind onto a node with room takes it away.
                    1 => {
                        let node = nodes[next(nodes.len())];
                        let n = h.cluster.node(node);
                        if h.cluster.registered.contains(node)
                            && (n.requested.pods as usize) < cap(&h, node)
                            && n.requested.cpu_m + 1000 <= h.spec.pool(n.pool).allocatable.cpu_m
                        {
                            bound.push((node, h.bound_pod(0, node, 0)));
                        }
                    }
                    // A node leaves (a hole; enough of them compact the list).
                    2 if h.cluster.registered.len() > 20 => {
                        let node = nodes[next(nodes.len())];
                        h.cluster.unregister(node);
                    }
                    // An empty node arrives at the end.
                    _ => nodes.push(h.ready_node([0, 2][next(2)])),
                }
                let total = h.cluster.registered.len();
                for _ in 0..8 {
                    let start = next(total);
                    let to_find = [1, 2, 5, total][next(4)];
                    s.feasible.clear();
                    let fast = s.find_feasible_by_pool_and_sums(
                        &h.spec,
                        &h.cluster,
                        web,
                        (start, total, to_find),
                    );
                    let fast_nodes = std::mem::take(&mut s.feasible);
                    let each =
                        s.find_feasible_each(&h.spec, &h.cluster, web, (start, total, to_find));
                    assert_eq!(
                        (fast, &fast_nodes),
                        (each, &s.feasible),
                        "round {round}, step {step}, start {start}, to_find {to_find}"
                    );
                    compared += 1;
                }
                let need = Res {
                    pods: 1,
                    ..h.spec.template(web).requests
                };
                let list = &h.cluster.registered;
                skipping += (0..list.slots().div_ceil(BLOCK))
                    .filter(|&b| !s.block_rooms.may_fit(list, b, need))
                    .count();
            }
        }
        assert_eq!(compared, 12 * 60 * 8);
        // Blocks were skipped at some point: the comparison covered the skip path.
        assert!(skipping > 100, "{skipping}");
    }

    #[test]
    fn spread_scores_follow_the_formula_on_every_node_in_any_order() {
        // PodTopologySpread's system defaults (k/k podtopologyspread/scoring.go): a node's raw
        // score is round(on_node × ln(n + 2) + (3 − 1) + in_zone × ln(z + 2) + (5 − 1)) over n
        // scored nodes in z zones; normalised 100 × (max + min − raw) / max. Counted here
        // from our own tally of binds, for the nodes in shuffled orders (runs of equal counts
        // and zones, and changes between them, which the reuse of the last raw score must
        // follow), with one zone's nodes missing from some cycles (then z = 2).
        use crate::effect::testing::Harness;
        use rand::SeedableRng;
        use rand::seq::SliceRandom;
        let mut h = Harness::new(
            r#"Scenario(
            name: "unit", duration: "1h",
            pools: [(name: "p", os: Linux, cpu: "64", memory: "64Gi", zones: ["a", "b", "c"])],
            layers: [(name: "l1", size: "100MB")],
            images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
            workloads: [(name: "web", replicas: 1, template: (containers: [(image: "app:1", cpu: "1")]))],
        )"#,
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let nodes: Vec<NodeId> = (0..30).map(|_| h.ready_node(0)).collect();
        let mut on_node = [0u32; 30];
        for _ in 0..25 {
            let k = rng.random_range(0..10usize) * rng.random_range(0..4usize) % 30;
            h.bound_pod(0, nodes[k], 0);
            on_node[k] += 1;
        }
        // Node k has ordinal k: zone k mod 3.
        let in_zone = |z: usize| {
            (0..30)
                .filter(|k| k % 3 == z)
                .map(|k| on_node[k])
                .sum::<u32>()
        };
        let mut s = Scheduler::new(&h.spec, rand_chacha::ChaCha8Rng::seed_from_u64(1));
        let wl = crate::model::WorkloadId::from_idx(0);
        for cycle in 0..20 {
            let mut order: Vec<usize> = (0..30).collect();
            order.shuffle(&mut rng);
            if cycle % 2 == 1 {
                order.retain(|k| k % 3 != 2);
            }
            if cycle % 4 == 0 {
                order.sort_by_key(|&k| (on_node[k], k % 3));
            }
            s.attempts += 1;
            s.feasible = order.iter().map(|&k| nodes[k]).collect();
            let norm = s.spread_scores(&h.cluster, wl, false);
            let zones = if cycle % 2 == 1 { 2 } else { 3 };
            let (host_w, zone_w) = (((order.len() + 2) as f64).ln(), ((zones + 2) as f64).ln());
            let want: Vec<i64> = order
                .iter()
                .map(|&k| {
                    let x = on_node[k] as f64 * host_w + 2.0 + in_zone(k % 3) as f64 * zone_w + 4.0;
                    x.round() as i64
                })
                .collect();
            assert_eq!(s.spread_raw, want, "cycle {cycle}");
            let (min, max) = (*want.iter().min().unwrap(), *want.iter().max().unwrap());
            for (&raw, k) in want.iter().zip(&order) {
                assert_eq!(norm.score(raw), 100 * (max + min - raw) / max, "node {k}");
            }
        }
    }

    /// Pools whose nodes score differently (sizes, a PreferNoSchedule taint, an image some
    /// nodes have, zones: small's nodes round-robin over three, big's all in one, the others
    /// in none) and templates of kinds PodTopologySpread leaves alone.
    const SELECT_SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "small", os: Linux, cpu: "3", memory: "64Gi", zones: ["a", "b", "c"]),
            (name: "big", os: Linux, cpu: "64", memory: "64Gi", max_pods: 8, zones: ["b"]),
            (name: "soft", os: Linux, cpu: "8", memory: "32Gi",
             taints: [(key: "x", value: "y", effect: PreferNoSchedule)]),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
             taints: [(key: "os", value: "windows", effect: NoSchedule)]),
        ],
        layers: [(name: "l1", size: "100MB")],
        images: [
            (name: "app:1", platforms: [(os: Linux, layers: ["l1"])]),
            (name: "wapp:1", platforms: [(os: Windows, os_version: "10.0.20348", layers: ["l1"])]),
        ],
        workloads: [
            (name: "tolerant", kind: Pod, template: (containers: [(image: "app:1", cpu: "1")],
             tolerations: [(key: "x", value: "y", effect: PreferNoSchedule)])),
            (name: "job", kind: Job, job: (completions: 1, run_time: "1m"),
             template: (containers: [(image: "app:1", cpu: "500m", memory: "1Gi")])),
            (name: "winpod", kind: Pod, template: (containers: [(image: "wapp:1", cpu: "1")],
             node_selector: {"kubernetes.io/os": "windows"},
             tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
            (name: "wide", kind: Pod, template: (containers: [(image: "app:1", cpu: "5")],
             tolerations: [(key: "x", value: "y", effect: PreferNoSchedule)])),
            (name: "web", replicas: 1, template: (containers: [(image: "app:1", cpu: "1")],
             tolerations: [(key: "x", value: "y", effect: PreferNoSchedule)])),
        ],
    )"#;

    #[test]
    fn selecting_while_scanning_picks_the_host_scoring_after_the_scan_picks_with_the_same_draws() {
        // `find_and_select` must give the processed and feasible counts of the scan, and
        // the host `score_and_select` picks from them, leaving the random stream where it
        // leaves it (the next draw is the same): from every start, for every number to
        // find, on clusters of nodes with different fills, some holding the image, some
        // cordoned, NotReady or removed.
        use crate::effect::testing::Harness;
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut next = |n: usize| rng.random_range(0..n);
        let (mut compared, mut chose_among_ties) = (0, 0);
        let mut modes = std::collections::BTreeSet::new();
        for round in 0..40 {
            let mut h = Harness::new(SELECT_SCENARIO);
            let mut nodes = Vec::new();
            for _ in 0..12 + next(40) {
                nodes.push(h.ready_node(next(4)));
            }
            for _ in 0..next(100) {
                let node = nodes[next(nodes.len())];
                let w = if h.cluster.node(node).pool.idx() == 3 {
                    2
                } else {
                    [0, 1, 4][next(3)]
                };
                h.bound_pod(w, node, 0);
            }
            for &node in &nodes {
                match next(10) {
                    0 => h.cluster.nodes[node.idx()].cordoned = true,
                    1 => h.cluster.nodes[node.idx()].state = NodeState::NotReady,
                    2 if h.cluster.registered.len() > 2 => h.cluster.unregister(node),
                    3 | 4 => {
                        h.cluster.add_node_image(node, ImageId::from_idx(0));
                    }
                    _ => {}
                }
            }
            let total = h.cluster.registered.len();
            for tid in 0..h.spec.templates.len() {
                let tid = TemplateId::from_idx(tid);
                let new = |seed| {
                    let mut s =
                        Scheduler::new(&h.spec, rand_chacha::ChaCha8Rng::seed_from_u64(seed));
                    s.res_cache.resize(h.cluster.nodes.len(), ResCached::EMPTY);
                    s.inter_pod.prefilter(&h.spec, &h.cluster, tid);
                    s
                };
                let mut probe = new(0);
                let mode = probe.scan_mode(&h.spec, &h.cluster, tid);
                modes.insert((tid.idx(), format!("{mode:?}")));
                if matches!(mode, ScanMode::Each | ScanMode::Sums) {
                    continue;
                }
                let wl = crate::model::WorkloadId::from_idx(
                    h.spec
                        .workloads
                        .iter()
                        .position(|w| w.template == tid)
                        .unwrap(),
                );
                for start in 0..total {
                    for to_find in [1, 2, 5, total] {
                        let seed = round * 1000 + start as u64;
                        let (mut a, mut b) = (new(seed), new(seed));
                        let scan = (start, total, to_find);
                        let (pa, found, best) = match mode {
                            ScanMode::Select => a.find_and_select(&h.spec, &h.cluster, tid, scan),
                            _ => {
                                let pa = a.find_and_score(&h.spec, &h.cluster, tid, wl, scan);
                                let best = match a.feasible.len() {
                                    0 => NodeId(0),
                                    1 => a.feasible[0],
                                    _ => a.select_scored(&h.cluster, tid, wl, false, true),
                                };
                                (pa, a.feasible.len(), best)
                            }
                        };
                        let pb = b.find_feasible_by_pool_and_sums(
                            &h.spec,
                            &h.cluster,
                            tid,
                            (start, total, to_find),
                        );
                        let at = format!(
                            "round {round}, template {tid:?}, start {start}, to_find {to_find}"
                        );
                        assert_eq!((pa, found), (pb, b.feasible.len()), "{at}");
                        if mode == ScanMode::Score {
                            assert_eq!(a.feasible, b.feasible, "{at}");
                        }
                        // And the scan finds what `evaluate` on each node finds.
                        let mut c = new(seed);
                        let pc =
                            c.find_feasible_each(&h.spec, &h.cluster, tid, (start, total, to_find));
                        assert_eq!((pb, &b.feasible), (pc, &c.feasible), "{at}");
                        let host = match b.feasible.len() {
                            0 => continue,
                            1 => b.feasible[0],
                            _ => b.score_and_select(&h.spec, &h.cluster, tid, wl, total as u32),
                        };
                        assert_eq!(best, host, "{at}");
                        let (da, db): (u64, u64) = (a.rng.random(), b.rng.random());
                        assert_eq!(da, db, "{at}: the random streams parted");
                        chose_among_ties += (host != b.feasible[0]) as u32;
                        compared += 1;
                    }
                }
            }
        }
        // The pool with the PreferNoSchedule taint scores the job's pods lower than the
        // others, so the job (template 1) is only filtered while scanning (its filters still
        // read only pool, cordon, state and sums: `Sums`); the tolerant pod
        // (0), the Windows pod (2) and the 5-CPU pod (3, larger than any node of the 3-CPU
        // pool, so its room there is none) always are. The Deployment (4) has
        // PodTopologySpread's default constraints, normalised over the scored nodes: scored
        // while scanning, selected after.
        let modes: Vec<(usize, &str)> = modes.iter().map(|(t, m)| (*t, m.as_str())).collect();
        assert_eq!(
            modes,
            vec![
                (0, "Select"),
                (1, "Sums"),
                (2, "Select"),
                (3, "Select"),
                (4, "Score")
            ]
        );
        assert!(compared >= 40 * 4 * 4, "{compared}");
        // Hosts other than the first feasible node were picked: the scores and ties mattered.
        assert!(chose_among_ties > 0);
    }
}
