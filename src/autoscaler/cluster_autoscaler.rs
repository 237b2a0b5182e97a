//! The cluster autoscaler (k/as `cluster-autoscaler`, FAQ.md "How does scale-up work?" and
//! "How does scale-down work?"), one loop every `scan_interval`:
//!
//! 1. Requested nodes not Ready within `max_node_provision_time` fail their scale-up: they are
//!    removed and their group backs off (5 min doubling to 30 min).
//! 2. Scale-up: pods marked Unschedulable that would not fit an existing node, nor a node
//!    already on its way, are matched against a template node of every group (labels incl.
//!    `kubernetes.io/os` and `node.kubernetes.io/windows-build`, taints, allocatable, the
//!    DaemonSet pods it would run), estimated by first-fit-decreasing bin packing, and one
//!    group is grown as the expander chooses, within max size and `max_nodes_per_scaleup`.
//! 3. Scale-down: a node whose max(cpu, memory) requested / allocatable is below the threshold
//!    and whose pods (DaemonSet pods aside) all fit elsewhere is unneeded; after
//!    `scale_down_unneeded_time`, and outside the cool-downs after a scale-up, a deletion or a
//!    failure, it is removed (empty nodes in bulk, one non-empty node per loop), never below
//!    the group's minimum.
//!
//! Owns: the decisions and their timers. Does not own: creating, provisioning or deleting nodes
//! (the simulation applies the returned actions).

use super::binpacking;
use super::expander::{self, ScaleOption};
use crate::model::cluster::{Cluster, NodeState};
use crate::model::{NodeId, PodId, PoolId, Res, Spec, TemplateId};
use crate::scheduler::plugins::passes_static_filters;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    ScaleUp {
        pool: PoolId,
        nodes: u32,
    },
    /// Remove an unneeded node (drain, then delete).
    DeleteNode(NodeId),
    /// A requested node did not become Ready in time: give up on it.
    ProvisionTimeout(NodeId),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScalingKind {
    ScaleUp,
    ScaleDown,
    FailedScaleUp,
}

impl ScalingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScalingKind::ScaleUp => "scale-up",
            ScalingKind::ScaleDown => "scale-down",
            ScalingKind::FailedScaleUp => "failed-scale-up",
        }
    }
}

/// One row of `scaling.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingEvent {
    pub time: u64,
    pub pool: PoolId,
    pub delta: i32,
    pub kind: ScalingKind,
    pub reason: String,
}

/// Upstream default of `--scale-down-non-empty-candidates-count`.
pub const NON_EMPTY_CANDIDATES: usize = 30;

pub struct ClusterAutoscaler {
    rng: ChaCha8Rng,
    backoff_until: Vec<u64>,
    backoff_next: Vec<u64>,
    last_scale_up: Option<u64>,
    last_scale_down: Option<u64>,
    last_failure: Option<u64>,
    unneeded_since: Vec<Option<u64>>,
    /// Nodes requested and not yet Ready.
    provisioning: Vec<NodeId>,
    fits: Vec<Option<bool>>,
    npools: usize,
    pub events: Vec<ScalingEvent>,
}

/// Scratch usage added to nodes while simulating placements.
struct Sim<'a> {
    spec: &'a Spec,
    cl: &'a Cluster,
    extra: Vec<(NodeId, Res)>,
}

impl Sim<'_> {
    fn extra(&self, n: NodeId) -> Res {
        self.extra
            .iter()
            .find(|e| e.0 == n)
            .map_or(Res::default(), |e| e.1)
    }

    fn add(&mut self, n: NodeId, r: Res) {
        if let Some(e) = self.extra.iter_mut().find(|e| e.0 == n) {
            e.1.cpu_m += r.cpu_m;
            e.1.mem += r.mem;
            e.1.pods += 1;
        } else {
            self.extra.push((n, Res { pods: 1, ..r }));
        }
    }
}

impl ClusterAutoscaler {
    pub fn new(spec: &Spec, rng: ChaCha8Rng) -> Self {
        let n = spec.pools.len();
        ClusterAutoscaler {
            rng,
            backoff_until: vec![0; n],
            backoff_next: vec![spec.autoscaler.initial_backoff; n],
            last_scale_up: None,
            last_scale_down: None,
            last_failure: None,
            unneeded_since: Vec::new(),
            provisioning: Vec::new(),
            fits: vec![None; spec.templates.len() * n],
            npools: n,
            events: Vec::new(),
        }
    }

    /// Whether a template passes a pool's taints, selector and affinity (template-node check).
    fn fits_pool(&mut self, spec: &Spec, t: TemplateId, pool: PoolId) -> bool {
        let slot = t.idx() * self.npools + pool.idx();
        *self.fits[slot].get_or_insert_with(|| passes_static_filters(spec, t, pool))
    }

    pub fn node_requested(&mut self, node: NodeId) {
        self.provisioning.push(node);
    }

    /// A requested node became Ready: its group's scale-up worked, so its back-off resets.
    pub fn node_ready(&mut self, spec: &Spec, node: NodeId, pool: PoolId) {
        self.provisioning.retain(|&n| n != node);
        self.backoff_next[pool.idx()] = spec.autoscaler.initial_backoff;
    }

    pub fn in_backoff(&self, pool: PoolId, now: u64) -> bool {
        now < self.backoff_until[pool.idx()]
    }

    /// Requests of the DaemonSet pods a new node of `pool` would run.
    fn daemon_overhead(&mut self, spec: &Spec, daemons: &[TemplateId], pool: PoolId) -> Res {
        let mut r = Res::default();
        for &t in daemons {
            if self.fits_pool(spec, t, pool) {
                let q = spec.template(t).requests;
                r.cpu_m += q.cpu_m;
                r.mem += q.mem;
                r.pods += 1;
            }
        }
        r
    }

    /// First Ready node (in registration order, skipping nodes marked in `exclude`) where the
    /// pod fits.
    fn place(&mut self, sim: &mut Sim, t: TemplateId, exclude: &[bool]) -> Option<NodeId> {
        let spec = sim.spec;
        let cl = sim.cl;
        let req = spec.template(t).requests;
        let total = cl.registered.len();
        let mut i = 0;
        while i < total {
            let n = cl.registered[i];
            let node = cl.node(n);
            // A pool the pod cannot use is skipped as a whole run of the node list.
            if !self.fits_pool(spec, t, node.pool) {
                i = cl.run_end(i);
                continue;
            }
            i += 1;
            if node.state != NodeState::Ready
                || node.cordoned
                || exclude.get(n.idx()).copied().unwrap_or(false)
            {
                continue;
            }
            let alloc = spec.pool(node.pool).allocatable;
            let e = sim.extra(n);
            if node.requested.cpu_m + e.cpu_m + req.cpu_m <= alloc.cpu_m
                && node.requested.mem + e.mem + req.mem <= alloc.mem
                && node.requested.pods + e.pods < alloc.pods
            {
                sim.add(n, req);
                return Some(n);
            }
        }
        None
    }

    /// Bin-packs the pending pods that pass `pool`'s template node onto at most `max_nodes`
    /// new nodes of it (each already running the pool's DaemonSet pods). Returns those pods,
    /// their requests and the estimate.
    fn pack(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        pending: &[PodId],
        daemons: &[TemplateId],
        pool: PoolId,
        max_nodes: u32,
    ) -> (Vec<PodId>, Vec<Res>, binpacking::Estimate) {
        let fitting: Vec<PodId> = pending
            .iter()
            .copied()
            .filter(|&p| self.fits_pool(spec, cl.pod(p).template, pool))
            .collect();
        let reqs: Vec<Res> = fitting
            .iter()
            .map(|&p| spec.template(cl.pod(p).template).requests)
            .collect();
        let overhead = self.daemon_overhead(spec, daemons, pool);
        let est = binpacking::estimate(&reqs, spec.pool(pool).allocatable, overhead, max_nodes);
        (fitting, reqs, est)
    }

    /// One autoscaler loop. `unschedulable` are the pods the scheduler parked as unschedulable;
    /// `daemons` the templates of active DaemonSets.
    pub fn scan(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        now: u64,
        unschedulable: &[PodId],
        daemons: &[TemplateId],
        actions: &mut Vec<Action>,
    ) {
        let cfg = &spec.autoscaler;
        // 1. Provisioning timeouts.
        let mut timed_out = Vec::new();
        self.provisioning.retain(|&n| {
            let node = cl.node(n);
            if node.state == NodeState::Provisioning
                && now >= node.created_at + cfg.max_node_provision_time
            {
                timed_out.push(n);
                false
            } else {
                node.state == NodeState::Provisioning
            }
        });
        for n in timed_out {
            let pool = cl.node(n).pool;
            actions.push(Action::ProvisionTimeout(n));
            let d = self.backoff_next[pool.idx()];
            self.backoff_until[pool.idx()] = now + d;
            self.backoff_next[pool.idx()] = (d * 2).min(cfg.max_backoff);
            self.last_failure = Some(now);
            self.events.push(ScalingEvent {
                time: now,
                pool,
                delta: -1,
                kind: ScalingKind::FailedScaleUp,
                reason: format!(
                    "node {} not Ready within {} s; group backs off {} s",
                    cl.node_name(spec, n),
                    cfg.max_node_provision_time / 1000,
                    d / 1000
                ),
            });
        }

        self.scale_up(spec, cl, now, unschedulable, daemons, actions);
        if cfg.scale_down_enabled {
            self.scale_down(spec, cl, now, actions);
        }
    }

    #[inline(never)]
    fn scale_up(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        now: u64,
        unschedulable: &[PodId],
        daemons: &[TemplateId],
        actions: &mut Vec<Action>,
    ) {
        let cfg = &spec.autoscaler;
        let mut pending: Vec<PodId> = unschedulable
            .iter()
            .copied()
            .filter(|&p| cl.pod(p).pinned.is_none())
            .collect();
        if pending.is_empty() {
            return;
        }
        // Pods that fit an existing node are the scheduler's business, not ours.
        let mut sim = Sim {
            spec,
            cl,
            extra: Vec::new(),
        };
        let mut no_fit: Vec<TemplateId> = Vec::new();
        pending.retain(|&p| {
            let t = cl.pod(p).template;
            if no_fit.contains(&t) {
                return true;
            }
            if self.place(&mut sim, t, &[]).is_some() {
                false
            } else {
                no_fit.push(t);
                true
            }
        });
        // Pods that nodes already on their way will take.
        for pool in 0..spec.pools.len() {
            let pid = PoolId::from_idx(pool);
            let upcoming = cl.provisioning_per_pool[pool];
            if upcoming == 0 || pending.is_empty() {
                continue;
            }
            let (fitting, _, est) = self.pack(spec, cl, &pending, daemons, pid, upcoming);
            let placed: Vec<PodId> = fitting
                .iter()
                .zip(&est.placement)
                .filter(|(_, pl)| pl.is_some())
                .map(|(p, _)| *p)
                .collect();
            pending.retain(|p| !placed.contains(p));
        }
        if pending.is_empty() {
            return;
        }
        // One option per node group.
        let mut options = Vec::new();
        for pool in 0..spec.pools.len() {
            let pid = PoolId::from_idx(pool);
            let Some(group) = spec.pools[pool].autoscale else {
                continue;
            };
            if self.in_backoff(pid, now) {
                continue;
            }
            let size = cl.ready_per_pool[pool] + cl.provisioning_per_pool[pool];
            if size >= group.max {
                continue;
            }
            let limit = (group.max - size).min(cfg.max_nodes_per_scaleup);
            let (_, reqs, est) = self.pack(spec, cl, &pending, daemons, pid, limit);
            if est.nodes == 0 {
                continue;
            }
            let mut requested = Res::default();
            let mut pods = 0;
            for (r, pl) in reqs.iter().zip(&est.placement) {
                if pl.is_some() {
                    requested.cpu_m += r.cpu_m;
                    requested.mem += r.mem;
                    pods += 1;
                }
            }
            options.push(ScaleOption {
                pool: pid,
                nodes: est.nodes,
                requested,
                pods,
            });
        }
        if options.is_empty() {
            return;
        }
        let i = expander::choose(cfg.expander, spec, &options, &mut self.rng);
        let o = &options[i];
        actions.push(Action::ScaleUp {
            pool: o.pool,
            nodes: o.nodes,
        });
        self.last_scale_up = Some(now);
        self.events.push(ScalingEvent {
            time: now,
            pool: o.pool,
            delta: o.nodes as i32,
            kind: ScalingKind::ScaleUp,
            reason: format!(
                "{} unschedulable pod(s) fit {} new node(s); expander {:?} chose among {} \
                 group(s)",
                o.pods,
                o.nodes,
                cfg.expander,
                options.len()
            ),
        });
    }

    #[inline(never)]
    fn scale_down(&mut self, spec: &Spec, cl: &Cluster, now: u64, actions: &mut Vec<Action>) {
        let cfg = &spec.autoscaler;
        if self.unneeded_since.len() < cl.nodes.len() {
            self.unneeded_since.resize(cl.nodes.len(), None);
        }
        let mut sim = Sim {
            spec,
            cl,
            extra: Vec::new(),
        };
        // Nodes already chosen as unneeded cannot take others' pods.
        let mut candidates: Vec<NodeId> = Vec::new();
        let mut excluded = vec![false; cl.nodes.len()];
        // `scale-down-non-empty-candidates-count`: at most this many nodes with pods to move are
        // checked per loop (the check simulates every pod's placement).
        let mut non_empty_budget = NON_EMPTY_CANDIDATES;
        for &n in &cl.registered {
            let node = cl.node(n);
            let pool = spec.pool(node.pool);
            if node.state != NodeState::Ready || pool.autoscale.is_none() {
                self.unneeded_since[n.idx()] = None;
                continue;
            }
            let a = pool.allocatable;
            let util = (node.requested.cpu_m as f64 / a.cpu_m as f64)
                .max(node.requested.mem as f64 / a.mem as f64);
            let mut unneeded = util < cfg.scale_down_utilization_threshold;
            let movable = unneeded
                && cl.pods_on[n.idx()]
                    .iter()
                    .any(|&p| cl.pod(p).pinned.is_none());
            if movable {
                if non_empty_budget == 0 {
                    unneeded = false;
                } else {
                    non_empty_budget -= 1;
                    // Every pod that is not a DaemonSet pod must fit on another node.
                    let saved = sim.extra.len();
                    let saved_extra = sim.extra.clone();
                    excluded[n.idx()] = true;
                    for &p in &cl.pods_on[n.idx()] {
                        let pod = cl.pod(p);
                        if pod.pinned.is_some() {
                            continue;
                        }
                        if self.place(&mut sim, pod.template, &excluded).is_none() {
                            unneeded = false;
                            break;
                        }
                    }
                    if !unneeded {
                        excluded[n.idx()] = false;
                        sim.extra = saved_extra;
                        debug_assert!(sim.extra.len() == saved);
                    }
                }
            }
            if unneeded {
                excluded[n.idx()] = true;
                candidates.push(n);
            }
            let slot = &mut self.unneeded_since[n.idx()];
            if unneeded {
                slot.get_or_insert(now);
            } else {
                *slot = None;
            }
        }
        let cooling = self
            .last_scale_up
            .is_some_and(|t| now < t + cfg.scale_down_delay_after_add)
            || self
                .last_scale_down
                .is_some_and(|t| now < t + cfg.scale_down_delay_after_delete)
            || self
                .last_failure
                .is_some_and(|t| now < t + cfg.scale_down_delay_after_failure);
        if cooling {
            return;
        }
        let mut removed_per_pool = vec![0u32; spec.pools.len()];
        let mut empty_deleted = 0;
        let mut drained = false;
        for &n in &candidates {
            let Some(since) = self.unneeded_since[n.idx()] else {
                continue;
            };
            if now < since + cfg.scale_down_unneeded_time {
                continue;
            }
            let node = cl.node(n);
            let pool = node.pool;
            let group = spec.pool(pool).autoscale.expect("autoscaled");
            let size = cl.ready_per_pool[pool.idx()] + cl.provisioning_per_pool[pool.idx()];
            if size - removed_per_pool[pool.idx()] <= group.min {
                continue;
            }
            let empty = cl.pods_on[n.idx()]
                .iter()
                .all(|&p| cl.pod(p).pinned.is_some());
            if empty {
                if empty_deleted >= cfg.max_empty_bulk_delete {
                    continue;
                }
                empty_deleted += 1;
            } else {
                if drained {
                    continue;
                }
                drained = true;
            }
            removed_per_pool[pool.idx()] += 1;
            actions.push(Action::DeleteNode(n));
            self.unneeded_since[n.idx()] = None;
            self.last_scale_down = Some(now);
            self.events.push(ScalingEvent {
                time: now,
                pool,
                delta: -1,
                kind: ScalingKind::ScaleDown,
                reason: format!(
                    "node {} unneeded since {} s ({})",
                    cl.node_name(spec, n),
                    since / 1000,
                    if empty { "empty" } else { "drained" }
                ),
            });
        }
    }
}
