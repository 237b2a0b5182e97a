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
use crate::model::{NodeId, PodId, PoolId, Res, Scalars, Spec, TemplateId, TemplateSpec};
use crate::scheduler::plugins::node_resources_fit::scalars_fit;
use crate::scheduler::plugins::passes_static_filters_with_build;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

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

/// (template, pool, the node's `MAJOR.MINOR.BUILD` when it differs from its pool spec's).
type BuildFitKey = (usize, usize, Option<(u16, u16, u32)>);

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
    /// Scale-down candidates: registered nodes of autoscaled pools whose utilisation is below
    /// the threshold, keyed by registration number so they are visited in the node list's
    /// order. Kept up to date from `Cluster::take_changed` (binds, releases, registrations),
    /// so a loop costs O(candidates + changed nodes), not O(nodes).
    under: BTreeMap<u64, NodeId>,
    /// Per node, its key in `under` while it is there.
    under_key: Vec<Option<u64>>,
    /// Nodes whose `unneeded_since` is set (the candidates found unneeded by the last loop).
    unneeded: Vec<NodeId>,
    /// Scratch: the changed nodes drained at the start of a loop.
    changed: Vec<NodeId>,
    /// Scratch: nodes marked unneeded in the current loop (see `scale_down`).
    excluded: Vec<bool>,
    scratch: Scratch,
    /// Per template, the number of the scale-up loop (`up_loops`) in which it fitted no
    /// existing node (0: none yet).
    no_fit_at: Vec<u64>,
    /// Scale-up loops run so far (each gets its own `no_fit_at` stamp, so nothing is
    /// cleared between loops).
    up_loops: u64,
    /// Per workload, the disruptions its PodDisruptionBudget allows now (None without one);
    /// set by the caller before each `scan`, empty when no workload has a budget.
    pub pdb_allowed: Vec<Option<u32>>,
    /// Per pool, the build label of its template node when the pool's image changed since
    /// the scenario began (None: the pool spec's labels hold). Empty until an upgrade.
    template_build: Vec<Option<String>>,
    /// Static-filter results of (template, pool, node build) for nodes of a pool whose
    /// nodes do not all carry its template node's build (during or after an upgrade): each
    /// existing node is judged by its own `node.kubernetes.io/windows-build`. Filled lazily;
    /// the result depends on the spec only, so it never goes stale.
    node_build_fits: BTreeMap<BuildFitKey, bool>,
    /// Some template has required pod anti-affinity: the estimate keeps such pods apart on
    /// the nodes it simulates adding (`anti_groups`).
    has_anti: bool,
}

/// Usage added to nodes while simulating placements, dense per node so a lookup is O(1), with
/// an undo log so a failed drain is rolled back in O(its placements). Kept in the autoscaler
/// between loops; `reset` clears only what the last simulation touched.
#[derive(Default)]
struct Scratch {
    extra: Vec<Res>,
    touched: Vec<NodeId>,
    /// Per template, an index into `Cluster::registered` before which no node fits one more
    /// pod of the template in the current simulation state: first-fit resumes there instead of
    /// rescanning the full nodes at the head of the list for every pod. Valid because, inside
    /// one simulation, usage only grows and nodes only get excluded, except on rollback, which
    /// restores the cursors too.
    cursor: Vec<u32>,
    cursors_set: Vec<TemplateId>,
    log: Vec<Undo>,
}

#[derive(Copy, Clone)]
enum Undo {
    Extra(NodeId, Res),
    Cursor(TemplateId, u32),
}

impl Scratch {
    /// Starts a simulation over `nodes` nodes and `templates` templates with no usage added.
    fn reset(&mut self, nodes: usize, templates: usize) {
        for n in self.touched.drain(..) {
            self.extra[n.idx()] = Res::default();
        }
        for t in self.cursors_set.drain(..) {
            self.cursor[t.idx()] = 0;
        }
        if self.extra.len() < nodes {
            self.extra.resize(nodes, Res::default());
        }
        if self.cursor.len() < templates {
            self.cursor.resize(templates, 0);
        }
        self.log.clear();
    }

    #[inline(always)]
    fn add(&mut self, n: NodeId, r: Res) {
        let e = &mut self.extra[n.idx()];
        if *e == Res::default() {
            self.touched.push(n);
        }
        e.cpu_m += r.cpu_m;
        e.mem += r.mem;
        e.pods += 1;
        self.log.push(Undo::Extra(n, r));
    }

    #[inline(always)]
    fn set_cursor(&mut self, t: TemplateId, at: u32) {
        let c = &mut self.cursor[t.idx()];
        if *c == at {
            return;
        }
        if *c == 0 {
            self.cursors_set.push(t);
        }
        self.log.push(Undo::Cursor(t, *c));
        *c = at;
    }

    /// Undoes everything logged after `mark` (a `log.len()` taken earlier).
    fn rollback(&mut self, mark: usize) {
        while self.log.len() > mark {
            match self.log.pop().expect("len > mark") {
                Undo::Extra(n, r) => {
                    let e = &mut self.extra[n.idx()];
                    e.cpu_m -= r.cpu_m;
                    e.mem -= r.mem;
                    e.pods -= 1;
                }
                Undo::Cursor(t, old) => self.cursor[t.idx()] = old,
            }
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
            under: BTreeMap::new(),
            under_key: Vec::new(),
            unneeded: Vec::new(),
            changed: Vec::new(),
            excluded: Vec::new(),
            scratch: Scratch::default(),
            no_fit_at: Vec::new(),
            up_loops: 0,
            pdb_allowed: Vec::new(),
            template_build: Vec::new(),
            node_build_fits: BTreeMap::new(),
            has_anti: spec
                .templates
                .iter()
                .any(|t| !t.pod_anti_affinity.required.is_empty()),
        }
    }

    /// Whether a template passes a pool's taints, selector and affinity (template-node check).
    fn fits_pool(&mut self, spec: &Spec, t: TemplateId, pool: PoolId) -> bool {
        let slot = t.idx() * self.npools + pool.idx();
        let build = self
            .template_build
            .get(pool.idx())
            .and_then(|b| b.as_deref());
        // A template node without the pod's extended resources (no GPUs) cannot take it.
        *self.fits[slot].get_or_insert_with(|| {
            passes_static_filters_with_build(spec, t, pool, build)
                && (!spec.has_scalars()
                    || scalars_fit(
                        &spec.pool(pool).allocatable_scalar,
                        &[0; crate::model::SCALAR_SLOTS],
                        &spec.template(t).scalar_requests,
                    ))
        })
    }

    /// Whether `pool`'s existing nodes may carry another build than its template node: some
    /// node is off the pool spec's build, or the template follows a new image.
    fn pool_builds_differ(&self, cl: &Cluster, pool: PoolId) -> bool {
        cl.off_build.get(pool.idx()).is_some_and(|&c| c > 0)
            || self
                .template_build
                .get(pool.idx())
                .is_some_and(Option::is_some)
    }

    /// Whether template `t` passes the static filters of existing node `n` with the node's
    /// own build label (upstream's simulation uses the real node's labels; only new nodes
    /// are built from the template node).
    fn fits_node_build(&mut self, spec: &Spec, cl: &Cluster, t: TemplateId, n: NodeId) -> bool {
        let pool = cl.node(n).pool;
        let label = cl.build_label(spec, n);
        let key = (
            t.idx(),
            pool.idx(),
            label.and(cl.node(n).version.map(|v| (v.major, v.minor, v.build))),
        );
        *self
            .node_build_fits
            .entry(key)
            .or_insert_with(|| passes_static_filters_with_build(spec, t, pool, label))
    }

    /// The template node of a pool whose image changed (an upgrade: new nodes get another
    /// build) carries the new `node.kubernetes.io/windows-build`, as a node group's template
    /// follows its VM image; the pool's cached fits are recomputed.
    fn follow_pool_versions(&mut self, spec: &Spec, cl: &Cluster) {
        for (p, &v) in cl.pool_version.iter().enumerate() {
            let label = (!Cluster::same_build(v, spec.pools[p].version))
                .then(|| v.map(|v| v.build_label()))
                .flatten();
            if self.template_build.len() <= p {
                self.template_build.resize(p + 1, None);
            }
            if self.template_build[p] != label {
                self.template_build[p] = label;
                for t in 0..spec.templates.len() {
                    self.fits[t * self.npools + p] = None;
                }
            }
        }
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
    /// pod fits, given the usage already simulated in `sim`; the pod's requests are added there.
    fn place(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        sim: &mut Scratch,
        t: TemplateId,
        exclude: &[bool],
    ) -> Option<NodeId> {
        let req = spec.template(t).requests;
        // The pod's scalar requests, when it has some (checked once per call, not per node).
        let scalar_req = Some(&spec.template(t).scalar_requests)
            .filter(|r| spec.has_scalars() && crate::model::any_scalar(r));
        // The cursor is a slot of the node list (the list does not change during a loop).
        let total = cl.registered.slots();
        let mut i = sim.cursor[t.idx()] as usize;
        while i < total {
            let Some(n) = cl.registered.slot(i) else {
                i += 1;
                continue;
            };
            let node = cl.node(n);
            // A pool the pod cannot use is skipped as a whole run of the node list; in a pool
            // whose nodes' builds differ from its template's, each node is judged by its own.
            if self.pool_builds_differ(cl, node.pool) {
                if !self.fits_node_build(spec, cl, t, n) {
                    i += 1;
                    continue;
                }
            } else if !self.fits_pool(spec, t, node.pool) {
                i = cl.registered.run_end(i);
                continue;
            }
            if node.state != NodeState::Ready
                || node.cordoned
                || exclude.get(n.idx()).copied().unwrap_or(false)
            {
                i += 1;
                continue;
            }
            let alloc = spec.pool(node.pool).allocatable;
            let e = sim.extra[n.idx()];
            if node.requested.cpu_m + e.cpu_m + req.cpu_m <= alloc.cpu_m
                && node.requested.mem + e.mem + req.mem <= alloc.mem
                && node.requested.pods + e.pods < alloc.pods
                && scalar_req.is_none_or(|r| {
                    scalars_fit(
                        &spec.pool(node.pool).allocatable_scalar,
                        &cl.scalar_requested(n),
                        r,
                    )
                })
            {
                sim.set_cursor(t, i as u32);
                sim.add(n, req);
                return Some(n);
            }
            i += 1;
        }
        sim.set_cursor(t, total as u32);
        None
    }

    /// Brings the scale-down candidate index up to date with the nodes changed since the
    /// last loop: a node is a candidate while it is registered, its pool is autoscaled and its
    /// max(cpu, memory) requested / allocatable is below the threshold (the same expression
    /// the loop used when it visited every node, so the same nodes).
    fn refresh_candidates(&mut self, spec: &Spec, cl: &mut Cluster) {
        cl.take_changed(&mut self.changed);
        if self.under_key.len() < cl.nodes.len() {
            self.under_key.resize(cl.nodes.len(), None);
        }
        let th = spec.autoscaler.scale_down_utilization_threshold;
        for &n in &self.changed {
            if let Some(k) = self.under_key[n.idx()].take() {
                self.under.remove(&k);
            }
            let Some(seq) = cl.registration_seq(n) else {
                continue;
            };
            let node = cl.node(n);
            let pool = spec.pool(node.pool);
            if pool.autoscale.is_none() {
                continue;
            }
            let a = pool.allocatable;
            let util = (node.requested.cpu_m as f64 / a.cpu_m as f64)
                .max(node.requested.mem as f64 / a.mem as f64);
            if util < th {
                self.under.insert(seq, n);
                self.under_key[n.idx()] = Some(seq);
            }
        }
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
        let alloc = spec.pool(pool).allocatable;
        // The common case (no scalar requests, no required anti-affinity) packs on cpu,
        // memory and the pod count alone.
        if !spec.has_scalars() && !self.has_anti {
            let est = binpacking::estimate(&reqs, alloc, overhead, max_nodes);
            return (fitting, reqs, est);
        }
        let scalar: Vec<Scalars> = if spec.has_scalars() {
            fitting
                .iter()
                .map(|&p| spec.template(cl.pod(p).template).scalar_requests)
                .collect()
        } else {
            Vec::new()
        };
        let (group, conflict, groups) = if self.has_anti {
            anti_groups(spec, cl, &fitting, pool)
        } else {
            (Vec::new(), Vec::new(), 0)
        };
        let rules = binpacking::Rules {
            allocatable_scalar: spec.pool(pool).allocatable_scalar,
            scalar: &scalar,
            group: &group,
            conflict: &conflict,
            groups,
        };
        let est = binpacking::estimate_with(&reqs, alloc, overhead, max_nodes, Some(&rules));
        (fitting, reqs, est)
    }

    /// One autoscaler loop. `unschedulable` are the pods the scheduler parked as unschedulable
    /// and not pinned to a node, with their templates (`SchedulingQueue::unschedulable_pods`);
    /// `daemons` the templates of active DaemonSets. The cluster is only read, but for taking
    /// its list of changed nodes (`Cluster::take_changed`).
    pub fn scan(
        &mut self,
        spec: &Spec,
        cl: &mut Cluster,
        now: u64,
        unschedulable: &[(PodId, TemplateId)],
        daemons: &[TemplateId],
        actions: &mut Vec<Action>,
    ) {
        let cfg = &spec.autoscaler;
        if cl.off_build.iter().any(|&c| c > 0) || !self.template_build.is_empty() {
            self.follow_pool_versions(spec, cl);
        }
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
        // Always drained, so the list stays bounded by the node count.
        self.refresh_candidates(spec, cl);
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
        unschedulable: &[(PodId, TemplateId)],
        daemons: &[TemplateId],
        actions: &mut Vec<Action>,
    ) {
        let cfg = &spec.autoscaler;
        if unschedulable.is_empty() {
            return;
        }
        // The pods to help: those not fitting an existing node (the scheduler's business,
        // not ours). A short cluster has thousands pending at every loop: the queue hands
        // them with their templates and without the pinned ones (DaemonSet pods wait for
        // their node), so this pass reads no pod record, and a template that fitted no node leaves
        // the rest of its pods pending without a placement (`no_fit_at`, O(1) where a list
        // of such templates was searched per pod).
        let mut sim = std::mem::take(&mut self.scratch);
        sim.reset(cl.nodes.len(), spec.templates.len());
        self.up_loops += 1;
        let stamp = self.up_loops;
        if self.no_fit_at.len() < spec.templates.len() {
            self.no_fit_at.resize(spec.templates.len(), 0);
        }
        let mut pending: Vec<PodId> = Vec::new();
        for &(p, t) in unschedulable {
            if self.no_fit_at[t.idx()] == stamp {
                pending.push(p);
            } else if self.place(spec, cl, &mut sim, t, &[]).is_none() {
                self.no_fit_at[t.idx()] = stamp;
                pending.push(p);
            }
        }
        self.scratch = sim;
        if pending.is_empty() {
            return;
        }
        // Pods that nodes already on their way will take.
        for pool in 0..spec.pools.len() {
            let pid = PoolId::from_idx(pool);
            let upcoming = cl.provisioning_per_pool[pool];
            if upcoming == 0 || pending.is_empty() {
                continue;
            }
            let (fitting, _, est) = self.pack(spec, cl, &pending, daemons, pid, upcoming);
            let mut placed: Vec<PodId> = fitting
                .iter()
                .zip(&est.placement)
                .filter(|(_, pl)| pl.is_some())
                .map(|(p, _)| *p)
                .collect();
            // Looked up by binary search: O(pending × log placed), where a `contains` per
            // pending pod was O(pending × placed) through a morning ramp's thousands.
            placed.sort_unstable();
            pending.retain(|p| placed.binary_search(p).is_err());
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
        if self.excluded.len() < cl.nodes.len() {
            self.excluded.resize(cl.nodes.len(), false);
        }
        let mut sim = std::mem::take(&mut self.scratch);
        sim.reset(cl.nodes.len(), spec.templates.len());
        // Nodes already chosen as unneeded cannot take others' pods.
        let mut excluded = std::mem::take(&mut self.excluded);
        let mut candidates: Vec<NodeId> = Vec::new();
        // `scale-down-non-empty-candidates-count`: at most this many nodes with pods to move are
        // checked per loop (the check simulates every pod's placement).
        let mut non_empty_budget = NON_EMPTY_CANDIDATES;
        // Only the nodes below the threshold, in the node list's order: every other node is not
        // unneeded (its timer is cleared below).
        let mut visit = std::mem::take(&mut self.changed);
        visit.clear();
        visit.extend(self.under.values().copied());
        // The budgets left in this loop (`RemainingPdbTracker`): each node found unneeded uses
        // one disruption per pod it would evict.
        let mut pdb_left = std::mem::take(&mut self.pdb_allowed);
        for &n in &visit {
            let node = cl.node(n);
            if node.state != NodeState::Ready {
                self.unneeded_since[n.idx()] = None;
                continue;
            }
            let mut unneeded = true;
            // Any pod but DaemonSet pods (`Cluster::pinned_on` counts those).
            let movable = cl.pods_on[n.idx()].len() > cl.pinned_on[n.idx()] as usize;
            if movable {
                if non_empty_budget == 0 || pdb_blocks(cl, n, &pdb_left) {
                    unneeded = false;
                } else {
                    non_empty_budget -= 1;
                    // Every pod that is not a DaemonSet pod must fit on another node.
                    let mark = sim.log.len();
                    excluded[n.idx()] = true;
                    for &p in &cl.pods_on[n.idx()] {
                        let pod = cl.pod(p);
                        if pod.pinned.is_some() {
                            continue;
                        }
                        if self
                            .place(spec, cl, &mut sim, pod.template, &excluded)
                            .is_none()
                        {
                            unneeded = false;
                            break;
                        }
                    }
                    if !unneeded {
                        excluded[n.idx()] = false;
                        sim.rollback(mark);
                    }
                }
            }
            if unneeded {
                excluded[n.idx()] = true;
                candidates.push(n);
                if !pdb_left.is_empty() {
                    for &p in &cl.pods_on[n.idx()] {
                        let pod = cl.pod(p);
                        if pod.pinned.is_none()
                            && let Some(Some(left)) = pdb_left.get_mut(pod.workload.idx())
                        {
                            *left = left.saturating_sub(1);
                        }
                    }
                }
            }
            let slot = &mut self.unneeded_since[n.idx()];
            if unneeded {
                slot.get_or_insert(now);
            } else {
                *slot = None;
            }
        }
        // A node unneeded in the last loop that is no longer below the threshold (or no longer
        // registered) is not unneeded now.
        for &n in &self.unneeded {
            if self.under_key[n.idx()].is_none() {
                self.unneeded_since[n.idx()] = None;
            }
        }
        self.unneeded.clear();
        self.unneeded.extend_from_slice(&candidates);
        for &n in &candidates {
            excluded[n.idx()] = false;
        }
        pdb_left.clear();
        self.pdb_allowed = pdb_left;
        self.excluded = excluded;
        self.scratch = sim;
        self.changed = visit;
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

/// Whether a PodDisruptionBudget keeps node `n` from being drained: the drainability rule of
/// k/as `cluster-autoscaler/simulator/drainability/rules/pdb/rule.go` blocks a node as soon as
/// one of its pods (DaemonSet pods aside) matches a budget with `DisruptionsAllowed < 1`, the
/// budgets being those left after the nodes already found unneeded in this loop
/// (`cluster-autoscaler/core/scaledown/pdb/basic.go`, `RemovePods`).
/// The anti-affinity groups of `pods` (one per template, in first-seen order) and how far
/// apart each pair must stay on new nodes of `pool` (`binpacking::Conflict`): a required
/// anti-affinity term of either template selecting the other's labels, by
/// `kubernetes.io/hostname` (each new node its own), or by a key the template node has (one
/// value for every new node); a key the template node lacks never conflicts (upstream's
/// filter skips a node without the label). A pool over several zones gives its new nodes
/// different zones, so a zone term there is not counted (the estimate may then be low).
fn anti_groups(
    spec: &Spec,
    cl: &Cluster,
    pods: &[PodId],
    pool: PoolId,
) -> (Vec<u32>, Vec<binpacking::Conflict>, usize) {
    use crate::model::labels::{HOSTNAME_LABEL, ZONE_LABEL};
    use binpacking::Conflict;
    let mut templates: Vec<TemplateId> = Vec::new();
    let group: Vec<u32> = pods
        .iter()
        .map(|&p| {
            let t = cl.pod(p).template;
            match templates.iter().position(|&u| u == t) {
                Some(g) => g as u32,
                None => {
                    templates.push(t);
                    (templates.len() - 1) as u32
                }
            }
        })
        .collect();
    let pl = spec.pool(pool);
    let kind = |key: &str| {
        if key == HOSTNAME_LABEL {
            Conflict::Node
        } else if key == ZONE_LABEL && pl.zones.len() > 1 {
            Conflict::None
        } else if pl.labels.contains_key(key) {
            Conflict::Pool
        } else {
            Conflict::None
        }
    };
    // The strictest conflict of a's terms selecting b.
    let one_way = |a: &TemplateSpec, b: &TemplateSpec| {
        a.pod_anti_affinity
            .required
            .iter()
            .filter(|term| term.matches(&b.labels))
            .map(|term| kind(&term.topology_key))
            .fold(Conflict::None, |acc, c| match (acc, c) {
                (Conflict::Pool, _) | (_, Conflict::Pool) => Conflict::Pool,
                (Conflict::Node, _) | (_, Conflict::Node) => Conflict::Node,
                _ => Conflict::None,
            })
    };
    let n = templates.len();
    let mut conflict = vec![Conflict::None; n * n];
    for (i, &a) in templates.iter().enumerate() {
        for (j, &b) in templates.iter().enumerate() {
            let (ta, tb) = (spec.template(a), spec.template(b));
            let (x, y) = (one_way(ta, tb), one_way(tb, ta));
            conflict[i * n + j] = if x == Conflict::Pool || y == Conflict::Pool {
                Conflict::Pool
            } else if x == Conflict::Node || y == Conflict::Node {
                Conflict::Node
            } else {
                Conflict::None
            };
        }
    }
    (group, conflict, n)
}

fn pdb_blocks(cl: &Cluster, n: NodeId, left: &[Option<u32>]) -> bool {
    !left.is_empty()
        && cl.pods_on[n.idx()].iter().any(|&p| {
            let pod = cl.pod(p);
            pod.pinned.is_none() && left.get(pod.workload.idx()) == Some(&Some(0))
        })
}
