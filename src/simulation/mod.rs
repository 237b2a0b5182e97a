//! One run of a scenario: the event loop, node lifecycle, and the one place where components'
//! effects are applied.
//!
//! Owns: wiring and the order things happen in within one instant. Events pop by (time, seq);
//! the component handling an event pushes `Effect`s, which are applied in push order once it
//! returns (an effect's own effects go to the back of the same list); then the scheduling queue
//! applies its hints for the cluster events of the instant and one scheduler run is armed.
//! Does not own: any domain rule; each lives in its component (scheduler, kubelet,
//! controllers, autoscalers), none of which sees this module.

pub mod invariants;

use crate::autoscaler::cluster_autoscaler::{Action, ClusterAutoscaler, ScalingEvent};
use crate::autoscaler::hpa::HpaState;
use crate::autoscaler::provisioning;
use crate::controllers::{self, Controllers};
use crate::effect::{Ctx, Effect, Event};
use crate::engine::{EventQueue, RngStreams, SimTime, StreamId};
use crate::kubelet::Kubelet;
use crate::metrics::{HpaSample, Recorder, Sample};
use crate::model::cluster::{Cluster, Node, NodeState, Pod, PodPhase, Reason};
use crate::model::messages::Messages;
use crate::model::pod_arena::PAGE;
use crate::model::trace::{ArrivalSource, TraceArrival};
use crate::model::*;
use crate::scheduler::queue::ClusterEvents;
use crate::scheduler::{Decision, Scheduler};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How often the scheduler flushes long-parked unschedulable pods (k/k: every 30 s).
pub const FLUSH_INTERVAL_MS: u64 = 30_000;

/// The fixed random streams of a run. Part of the reproducibility contract: never renumber.
/// Pools draw their provisioning delays from streams keyed by the pool's name, so adding a pool
/// does not shift the others' draws.
pub mod streams {
    use crate::engine::StreamId;
    pub const SCHEDULER: StreamId = StreamId::Fixed(1);
    pub const AUTOSCALER: StreamId = StreamId::Fixed(4);
    /// The nodes `FailNode` / `RecoverNode` pick at random (`controllers::node_lifecycle`).
    pub const NODE_FAILURE: StreamId = StreamId::Fixed(7);
}

/// Everything a finished run leaves behind for reports.
pub struct RunOutput {
    pub seed: u64,
    pub cluster: Cluster,
    pub messages: Messages,
    pub rec: Recorder,
    pub scheduling_attempts: u64,
    pub events: u64,
    /// Cluster-autoscaler actions, in time order.
    pub scaling: Vec<ScalingEvent>,
    /// Per workload, its HPA's state at the end (None without an HPA).
    pub hpa: Vec<Option<Box<HpaState>>>,
    /// The simulated end time (ms).
    pub end: u64,
    /// Sum over popped events of the events still queued after the pop: divided by `events`,
    /// the mean queue size (`hybridsim bench` sizes its hold-model reference with it).
    pub queue_len_sum: u64,
    /// Deployment rolling updates, in start order.
    pub rollouts: Vec<controllers::rollout::RolloutRecord>,
    /// Pool upgrades and patches, in start order.
    pub upgrades: Vec<controllers::upgrade::UpgradeRecord>,
    /// Per pool, its disk counters; None for pools whose disk cannot fill.
    pub disk: Vec<Option<DiskStats>>,
    /// Why the trace replay stopped early (its file could not be opened again, or changed
    /// since the scenario was loaded); `None` when it ran (or there is no trace).
    pub trace_error: Option<String>,
    /// Per pool, seconds of download time lost behind registry limits; empty when the
    /// scenario limits no registry.
    pub registry_wait_s: Vec<f64>,
    /// The pods given back during the run (`Simulation::retire_finished`), tallied; the
    /// cluster's arena holds the others (zero when nothing was retired).
    pub retired: crate::metrics::tally::PodTally,
}

pub use crate::kubelet::disk::DiskStats;

impl RunOutput {
    /// The output of a run that never started: every per-pool, per-workload and per-HPA entry
    /// exists, with nothing in it. Built without simulating (O(pools + workloads)), so that a
    /// summary's shape (which metrics exist) is known before anything runs.
    pub fn empty(spec: &Spec, seed: u64) -> RunOutput {
        RunOutput {
            seed,
            cluster: Cluster::for_spec(spec),
            messages: Messages::default(),
            rec: Recorder::default(),
            scheduling_attempts: 0,
            events: 0,
            scaling: Vec::new(),
            hpa: spec
                .workloads
                .iter()
                .map(|w| w.hpa.as_ref().map(|_| Box::default()))
                .collect(),
            end: 0,
            queue_len_sum: 0,
            rollouts: Vec::new(),
            upgrades: Vec::new(),
            disk: crate::kubelet::disk::managed_pools(spec)
                .into_iter()
                .map(|m| m.then(DiskStats::default))
                .collect(),
            trace_error: None,
            registry_wait_s: Vec::new(),
            retired: crate::metrics::tally::PodTally::default(),
        }
    }
}

pub struct Simulation<'s> {
    spec: &'s Spec,
    q: EventQueue<Event>,
    cluster: Cluster,
    messages: Messages,
    rec: Recorder,
    /// Effects pushed while handling the current event, applied in order by `apply_effects`.
    fx: Vec<Effect>,
    /// Cluster events of the current instant, for the scheduling queue's hints.
    events: ClusterEvents,
    /// A pod was queued this instant: a scheduler run is due.
    want_run: bool,
    sched: Scheduler,
    kubelet: Kubelet,
    ctrl: Controllers,
    ca: Option<ClusterAutoscaler>,
    /// One provisioning stream per pool, keyed by the pool's name.
    prov_rng: Vec<ChaCha8Rng>,
    hpa: Vec<Option<Box<HpaState>>>,
    /// Per workload, the event-queue lane of its HPA syncs: one lane per distinct sync period,
    /// since a sync reschedules itself one period later and so each lane gets its events in
    /// time order (a FIFO instead of a heap push and pop; same pop order, see engine::queue).
    hpa_lane: Vec<usize>,
    actions: Vec<Action>,
    sched_armed: bool,
    seed: u64,
    /// Run-time invariant checks, when asked for.
    inv: Option<invariants::Invariants>,
    /// The trace's cursor and its next pod, read one ahead (`model::trace`).
    arrivals: Option<Box<dyn ArrivalSource>>,
    next_arrival: Option<TraceArrival>,
    trace_error: Option<String>,
    /// The scenario has node lifecycle actions: samples count cordoned and NotReady nodes.
    lifecycle_columns: bool,
    /// The scenario upgrades or patches a pool: samples count pods per Windows version.
    build_columns: bool,
    /// Finished trace pods are tallied and their pages given back (`retire_finished`).
    retire: bool,
    retired: crate::metrics::tally::PodTally,
    /// Pods created when the next sweep for finished pages is due.
    next_sweep: usize,
    /// Sees each page of retired pods before it is freed (`on_retire`).
    retire_hook: Option<RetireHook<'s>>,
}

/// Called with each page of pods the run gives back, just before it is freed: the scenario,
/// the cluster and messages the pods refer to, the first pod's id and the pods. A caller that
/// writes one row per pod keeps the rows from here (`report::PodRowSpill`).
pub type RetireHook<'s> = Box<dyn FnMut(&Spec, &Cluster, &Messages, usize, &[Pod]) + 's>;

/// The `Ctx` a component gets: disjoint borrows of the run's state.
macro_rules! cx {
    ($s:ident) => {
        Ctx {
            spec: $s.spec,
            now: $s.q.now().millis(),
            cluster: &mut $s.cluster,
            rec: &mut $s.rec,
            messages: &mut $s.messages,
            fx: &mut $s.fx,
        }
    };
}

impl<'s> Simulation<'s> {
    pub fn new(spec: &'s Spec, seed: u64) -> Self {
        let rng = RngStreams::new(seed);
        let cluster = Cluster::for_spec(spec);
        let mut sim = Simulation {
            spec,
            q: EventQueue::with_capacity(1024),
            cluster,
            messages: Messages::default(),
            rec: Recorder::for_spec(spec),
            fx: Vec::new(),
            events: ClusterEvents::default(),
            want_run: false,
            sched: Scheduler::new(spec, rng.stream(streams::SCHEDULER)),
            kubelet: Kubelet::new(spec),
            ctrl: Controllers::new(spec),
            ca: spec
                .autoscaling()
                .then(|| ClusterAutoscaler::new(spec, rng.stream(streams::AUTOSCALER))),
            prov_rng: spec
                .pools
                .iter()
                .map(|p| rng.stream(StreamId::Keyed(RngStreams::key(&p.name))))
                .collect(),
            hpa: spec
                .workloads
                .iter()
                .map(|w| w.hpa.as_ref().map(|_| Box::default()))
                .collect(),
            hpa_lane: hpa_lanes(spec),
            actions: Vec::new(),
            sched_armed: false,
            seed,
            inv: None,
            arrivals: None,
            next_arrival: None,
            trace_error: None,
            lifecycle_columns: has_lifecycle_actions(spec),
            build_columns: has_upgrade_actions(spec),
            retire: false,
            retired: crate::metrics::tally::PodTally::default(),
            next_sweep: 0,
            retire_hook: None,
        };
        if let Some(t) = &spec.trace {
            match t.open() {
                Ok(src) => sim.arrivals = Some(src),
                Err(e) => sim.trace_error = Some(e),
            }
            sim.read_arrival();
        }
        for (p, pool) in spec.pools.iter().enumerate() {
            for _ in 0..pool.initial_count {
                let id = sim.add_node(PoolId::from_idx(p));
                sim.node_ready(id);
            }
        }
        sim.ctrl.lifecycle =
            controllers::node_lifecycle::NodeLifecycle::new(rng.stream(streams::NODE_FAILURE));
        if sim.lifecycle_columns {
            sim.rec.unavailable = Some(crate::metrics::Unavailable::new(
                (0..spec.workloads.len())
                    .filter(|&w| spec.workloads[w].kind == WorkloadKind::Deployment)
                    .collect(),
            ));
        }
        sim.ctrl.schedule_initial(&mut cx!(sim));
        sim.apply_effects();
        for (i, (at, _)) in spec.timeline.iter().enumerate() {
            sim.q.schedule(SimTime(*at), Event::Timeline(i as u32));
        }
        sim.q.schedule(SimTime::ZERO, Event::Sample);
        sim.q
            .schedule(SimTime(FLUSH_INTERVAL_MS), Event::FlushUnschedulable);
        if sim.ca.is_some() {
            sim.q.schedule(
                SimTime(spec.autoscaler.scan_interval),
                Event::AutoscalerScan,
            );
        }
        for (i, w) in spec.workloads.iter().enumerate() {
            if let Some(h) = &w.hpa {
                let first = w.created_at.unwrap_or(0) + h.sync_period;
                sim.q
                    .schedule(SimTime(first), Event::HpaSync(WorkloadId::from_idx(i)));
            }
        }
        sim
    }

    /// Creates a node of `pool` in the Provisioning state.
    fn add_node(&mut self, pool: PoolId) -> NodeId {
        let now = self.q.now().millis();
        let cl = &mut self.cluster;
        let ordinal = cl.next_ordinal[pool.idx()];
        cl.next_ordinal[pool.idx()] += 1;
        // A pool's `unschedulable` describes its initial (imported) nodes; the autoscaler's
        // new nodes register schedulable.
        let spec_pool = self.spec.pool(pool);
        let cordoned = spec_pool.unschedulable && ordinal < spec_pool.initial_count;
        let version = cl.pool_version[pool.idx()];
        if !Cluster::same_build(version, spec_pool.version) {
            cl.count_off_build(pool, true);
        }
        let id = cl.add_node(Node {
            pool,
            ordinal,
            state: NodeState::Provisioning,
            cordoned,
            requested: Res::default(),
            nonzero: Res::default(),
            created_at: now,
            ready_at: None,
            deleted_at: None,
            version,
            sums_at: 0,
        });
        cl.provisioning_per_pool[pool.idx()] += 1;
        self.kubelet.add_node(&mut cx!(self), id, pool);
        id
    }

    /// A provisioned node registers Ready. O(images + DaemonSets), independent of the number
    /// of nodes.
    fn node_ready(&mut self, id: NodeId) {
        let now = self.q.now().millis();
        let cl = &mut self.cluster;
        let n = &mut cl.nodes[id.idx()];
        n.state = NodeState::Ready;
        n.ready_at = Some(now);
        let pool = n.pool;
        cl.provisioning_per_pool[pool.idx()] -= 1;
        cl.ready_per_pool[pool.idx()] += 1;
        cl.register(id);
        // The node now reports its cached images.
        for img in 0..cl.image_nodes.len() {
            if cl.node_has_image(id, ImageId::from_idx(img)) {
                cl.image_nodes[img] += 1;
            }
        }
        cl.version += 1;
        self.events.node_added(pool);
        if let Some(ca) = &mut self.ca {
            ca.node_ready(self.spec, id, pool);
        }
        self.ctrl.node_ready(&mut cx!(self), id);
        self.kubelet.node_ready(&mut cx!(self), id);
    }

    /// Requests `count` nodes of `pool` from the cloud.
    fn request_nodes(&mut self, pool: PoolId, count: u32) {
        let spec = self.spec;
        let p = spec.pool(pool);
        for _ in 0..count {
            let id = self.add_node(pool);
            if let Some(ca) = &mut self.ca {
                ca.node_requested(id);
            }
            let rng = &mut self.prov_rng[pool.idx()];
            // Always draw both numbers so a failure rate does not shift later delays.
            let delay = provisioning::sample(p.provisioning, rng);
            let fails = rng.random::<f64>() < p.provisioning_failure_rate;
            if !fails {
                let at = self.q.now().millis().saturating_add(delay);
                self.fx.push(Effect::At(at, Event::NodeProvisioned(id)));
            }
        }
    }

    /// How long a node rebooting for a pool patch stays down: the patch's reboot time, else a
    /// draw of its pool's provisioning delay (from the pool's own stream: a reboot with a new
    /// image re-registers as a new node does).
    fn reboot_delay(&mut self, node: NodeId, fixed: Option<u64>) -> u64 {
        let pool = self.cluster.nodes[node.idx()].pool;
        fixed.unwrap_or_else(|| {
            provisioning::sample(
                self.spec.pool(pool).provisioning,
                &mut self.prov_rng[pool.idx()],
            )
        })
    }

    /// Removes a node: its pods are deleted (their controllers replace them) and it leaves the
    /// scheduler's node list.
    fn delete_node(&mut self, id: NodeId) {
        let now = self.q.now().millis();
        self.kubelet.node_deleted(now, id);
        let pods = std::mem::take(&mut self.cluster.pods_on[id.idx()]);
        let mut touched: Vec<WorkloadId> = Vec::new();
        for &p in &pods {
            let wl = self.cluster.pods[p.idx()].workload;
            // Put the pod back so release finds it on the node.
            self.cluster.pods_on[id.idx()].push(p);
            controllers::delete_pod(&mut cx!(self), p);
            if !touched.contains(&wl) {
                touched.push(wl);
            }
        }
        let cl = &mut self.cluster;
        let n = &mut cl.nodes[id.idx()];
        let was = n.state;
        n.state = NodeState::Deleted;
        n.deleted_at = Some(now);
        let pool = n.pool;
        if !Cluster::same_build(n.version, self.spec.pool(pool).version) {
            cl.count_off_build(pool, false);
        }
        cl.taint_overlay.forget(id);
        match was {
            NodeState::Provisioning => cl.provisioning_per_pool[pool.idx()] -= 1,
            NodeState::Ready | NodeState::NotReady => {
                if was == NodeState::Ready {
                    cl.ready_per_pool[pool.idx()] -= 1;
                }
                cl.unregister(id);
                for img in 0..cl.image_nodes.len() {
                    if cl.node_has_image(id, ImageId::from_idx(img)) {
                        cl.image_nodes[img] -= 1;
                    }
                }
            }
            NodeState::Deleted => {}
        }
        cl.version += 1;
        for wl in touched {
            self.ctrl.sync(&mut cx!(self), wl);
        }
    }

    fn autoscaler_scan(&mut self) {
        let Some(ca) = &mut self.ca else {
            return;
        };
        let now = self.q.now().millis();
        if self
            .spec
            .workloads
            .iter()
            .any(|w| w.disruption_budget.is_some())
        {
            let cx = Ctx {
                spec: self.spec,
                now,
                cluster: &mut self.cluster,
                rec: &mut self.rec,
                messages: &mut self.messages,
                fx: &mut self.fx,
            };
            ca.pdb_allowed = self.ctrl.disruptions_allowed(&cx);
        }
        let unschedulable = self.sched.queue.unschedulable_pods();
        let daemons = self.ctrl.active_daemons(self.spec);
        self.actions.clear();
        ca.scan(
            self.spec,
            &mut self.cluster,
            now,
            &unschedulable,
            &daemons,
            &mut self.actions,
        );
        let actions = std::mem::take(&mut self.actions);
        for a in &actions {
            match *a {
                Action::ScaleUp { pool, nodes } => self.request_nodes(pool, nodes),
                Action::DeleteNode(n) | Action::ProvisionTimeout(n) => self.delete_node(n),
            }
        }
        self.actions = actions;
        let next = now + self.spec.autoscaler.scan_interval;
        self.fx.push(Effect::At(next, Event::AutoscalerScan));
    }

    fn hpa_sync(&mut self, wl: WorkloadId) {
        let spec = self.spec;
        let Some(h) = &spec.workloads[wl.idx()].hpa else {
            return;
        };
        let now = self.q.now().millis();
        let ws = &self.ctrl.workloads[wl.idx()];
        if ws.active {
            let rec = &self.rec;
            let ready = rec.workload_count(wl.idx(), PodPhase::Ready);
            let unready = rec.workload_count(wl.idx(), PodPhase::Pending)
                + rec.workload_count(wl.idx(), PodPhase::Starting)
                + rec.workload_count(wl.idx(), PodPhase::Running);
            let current = ws.desired;
            let state = self.hpa[wl.idx()].as_mut().expect("HPA state");
            let desired = state.sync(h, now, current, ready, unready);
            if desired != current {
                self.ctrl.scale(&mut cx!(self), wl, desired);
            }
        }
        self.fx
            .push(Effect::At(now + h.sync_period, Event::HpaSync(wl)));
    }

    /// Checks the run-time invariants (`invariants`) while running; `run_checked` returns
    /// what they found.
    pub fn check_invariants(mut self) -> Self {
        self.inv = Some(invariants::Invariants::default());
        self
    }

    /// Gives back the memory of finished trace pods as the run goes: each full page of the pod
    /// arena whose pods are all finished trace pods is tallied (`metrics::tally`) and freed,
    /// so a replay holds its live pods, not all it created. The summary is the same; the
    /// retired pods are missing from `RunOutput::cluster.pods`, so a caller that writes one
    /// row per pod (`pods.csv`, the startup CDF) must not ask for this.
    pub fn retire_finished(mut self) -> Self {
        self.retire = self.spec.trace.is_some();
        self
    }

    /// With `retire_finished`: `hook` sees every page of pods before it is freed.
    pub fn on_retire(mut self, hook: RetireHook<'s>) -> Self {
        self.retire_hook = Some(hook);
        self
    }

    /// A sweep for finished pages once the pods created since the last one outnumber the
    /// pods held then (at least 4 pages' worth): each sweep looks at every held pod, so the
    /// cost is amortised O(1) per pod created.
    fn sweep_finished(&mut self) {
        let Some(trace) = self.spec.trace.as_ref().map(|t| t.workload) else {
            return;
        };
        let finished = self.cluster.pods.finished_pages(|p| {
            p.workload == trace
                && matches!(
                    p.phase,
                    PodPhase::Succeeded | PodPhase::Failed | PodPhase::Deleted | PodPhase::Rejected
                )
        });
        for k in finished {
            let pods = self.cluster.pods.page(k);
            if let Some(hook) = &mut self.retire_hook {
                hook(self.spec, &self.cluster, &self.messages, k * PAGE, pods);
            }
            for p in pods {
                self.retired.add(self.spec, &self.cluster.nodes, p);
            }
            self.cluster.pods.retire_page(k);
            self.sched.queue.retire_page(k);
        }
        let pods = &self.cluster.pods;
        self.next_sweep = pods.len() + pods.held().max(4 * 4096);
    }

    /// Runs to the end; also returns the invariant violations (empty unless
    /// `check_invariants` was asked for and something broke).
    pub fn run_checked(mut self) -> (RunOutput, Vec<String>) {
        let end = self.spec.duration;
        let mut last_sample = None;
        let mut queue_len_sum = 0u64;
        while let Some(t) = self.next_time() {
            if t.millis() > end {
                break;
            }
            if self.retire && self.cluster.pods.len() >= self.next_sweep {
                self.sweep_finished();
            }
            self.track_unavailable(t.millis());
            if self.next_arrival.is_some_and(|a| a.at <= t.millis()) {
                queue_len_sum += self.q.len() as u64;
                self.replay_arrival();
                continue;
            }
            let (_, ev) = self.q.pop().expect("peeked");
            queue_len_sum += self.q.len() as u64;
            if let Some(inv) = &mut self.inv {
                inv.popped(t.millis());
            }
            self.rec.events += 1;
            if ev == Event::Sample {
                last_sample = Some(t.millis());
            }
            self.dispatch(ev);
            self.apply_effects();
            self.settle();
        }
        if last_sample != Some(end) {
            self.take_sample(end);
        }
        self.track_unavailable(end);
        let violations = self.inv.take().map(|i| i.violations).unwrap_or_default();
        let registry_wait_s =
            self.kubelet
                .registry_wait_s(&self.cluster, self.spec.pools.len(), end);
        let out = RunOutput {
            registry_wait_s,
            rollouts: std::mem::take(&mut self.ctrl.rollouts.log),
            upgrades: self.ctrl.upgrade_records(&self.cluster, &self.rec.drains),
            disk: self.kubelet.disk_stats(&self.cluster),
            end,
            queue_len_sum,
            scaling: self.ca.map(|c| c.events).unwrap_or_default(),
            hpa: self.hpa,
            seed: self.seed,
            scheduling_attempts: self.sched.attempts,
            events: self.rec.events,
            trace_error: self.trace_error,
            retired: self.retired,
            cluster: self.cluster,
            messages: self.messages,
            rec: self.rec,
        };
        (out, violations)
    }

    pub fn run(self) -> RunOutput {
        self.run_checked().0
    }

    /// The time of the next thing to happen: the earliest queued event or the next trace pod.
    fn next_time(&self) -> Option<SimTime> {
        let arrival = self.next_arrival.map(|a| SimTime(a.at));
        match (self.q.peek_time(), arrival) {
            (Some(q), Some(a)) => Some(q.min(a)),
            (q, a) => q.or(a),
        }
    }

    /// Reads the trace's next pod into `next_arrival`; an error ends the replay (kept for the
    /// run's output).
    fn read_arrival(&mut self) {
        self.next_arrival = None;
        let Some(src) = &mut self.arrivals else {
            return;
        };
        match src.next_arrival() {
            Ok(a) => self.next_arrival = a,
            Err(e) => {
                self.trace_error = Some(e);
                self.arrivals = None;
            }
        }
    }

    /// The next trace pod arrives. It is handled like an event popped before every event
    /// queued for the same instant, which is where a workload created at that time would be
    /// (creation events are queued first, at the start of the run), and counts as one event.
    fn replay_arrival(&mut self) {
        let Some(a) = self.next_arrival else {
            return;
        };
        let Some(wl) = self.spec.trace.as_ref().map(|t| t.workload) else {
            return;
        };
        self.q.advance_to(SimTime(a.at));
        if let Some(inv) = &mut self.inv {
            inv.popped(a.at);
        }
        self.rec.events += 1;
        self.ctrl.trace_arrival(&mut cx!(self), wl, a);
        self.read_arrival();
        self.apply_effects();
        self.settle();
    }

    fn dispatch(&mut self, ev: Event) {
        let spec = self.spec;
        match ev {
            Event::WorkloadCreate(wl) => self.ctrl.create(&mut cx!(self), wl),
            Event::Timeline(i) => {
                let action = &spec.timeline[i as usize].1;
                self.ctrl.timeline(&mut cx!(self), action);
            }
            Event::SchedulerRun => self.scheduler_run(),
            Event::BackoffExpired { pod, generation } => {
                if self.sched.queue.backoff_current(pod, generation) {
                    let p = &self.cluster.pods[pod.idx()];
                    let prio = spec.template(p.template).priority;
                    self.sched.queue.push_active(pod, prio, p.created);
                }
            }
            Event::FlushUnschedulable => {
                let now = self.q.now().millis();
                let max = spec.scheduler.max_in_unschedulable;
                let pods = &self.cluster.pods;
                let (mut act, mut back) = (Vec::new(), Vec::new());
                self.sched.queue.move_unschedulable(
                    |pod, since, _| (since + max <= now).then(|| pods[pod.idx()].sched_attempts),
                    now,
                    &mut act,
                    &mut back,
                );
                self.apply_moves(act, back);
                self.fx.push(Effect::At(
                    now + FLUSH_INTERVAL_MS,
                    Event::FlushUnschedulable,
                ));
            }
            Event::NodeIo { node, generation } => {
                self.kubelet.node_io(&mut cx!(self), node, generation)
            }
            Event::NetIo { generation } => self.kubelet.net_io(&mut cx!(self), generation),
            Event::PullDeadline { node, pull } => {
                self.kubelet.pull_deadline(&mut cx!(self), node, pull)
            }
            Event::KubeletStep { pod, generation } => {
                self.kubelet.step_event(&mut cx!(self), pod, generation)
            }
            Event::PodReady { pod, generation } => {
                self.kubelet.pod_ready(&mut cx!(self), pod, generation)
            }
            Event::ControllerSync(wl) => self.ctrl.sync(&mut cx!(self), wl),
            Event::AutoscalerScan => self.autoscaler_scan(),
            Event::NodeProvisioned(n) => {
                if self.cluster.nodes[n.idx()].state == NodeState::Provisioning {
                    self.node_ready(n);
                }
            }
            Event::HpaSync(wl) => self.hpa_sync(wl),
            Event::PodTerminated { pod, generation } => {
                self.ctrl.pod_terminated(&mut cx!(self), pod, generation)
            }
            Event::TaintEviction(pod) => self.ctrl.taint_eviction_fired(&mut cx!(self), pod),
            Event::PodSucceeded { pod, generation } => {
                self.ctrl.pod_succeeded(&mut cx!(self), pod, generation)
            }
            Event::NodeMonitorGrace { node, generation } => {
                self.ctrl
                    .node_monitor_grace(&mut cx!(self), node, generation)
            }
            Event::DrainTick(i) => self.ctrl.drain_tick(&mut cx!(self), i),
            Event::UpgradeNodeBack { upgrade, node } => {
                self.ctrl.upgrade_node_back(&mut cx!(self), upgrade, node)
            }
            Event::ImageGc(node) => self.kubelet.image_gc(&mut cx!(self), node),
            Event::EvictionSync(node) => self.kubelet.eviction_sync(&mut cx!(self), node),
            Event::Sample => {
                let now = self.q.now().millis();
                self.take_sample(now);
                let next = now + spec.sample_interval;
                if next <= spec.duration {
                    self.q.schedule(SimTime(next), Event::Sample);
                } else if now < spec.duration {
                    self.q.schedule(SimTime(spec.duration), Event::Sample);
                }
            }
        }
    }

    /// Applies the effects pushed while handling the current event, in push order. Effects
    /// pushed while applying (a controller reacting to a failed pod) join the back of the list.
    fn apply_effects(&mut self) {
        let mut i = 0;
        while i < self.fx.len() {
            let e = self.fx[i];
            i += 1;
            match e {
                Effect::At(t, ev @ Event::HpaSync(wl)) => {
                    self.q
                        .schedule_lane(self.hpa_lane[wl.idx()], SimTime(t), ev)
                }
                Effect::At(t, ev) => self.q.schedule(SimTime(t), ev),
                Effect::Enqueue(pod) => {
                    let p = &self.cluster.pods[pod.idx()];
                    if p.phase == PodPhase::Pending {
                        let prio = self.spec.template(p.template).priority;
                        self.sched.queue.push_active(pod, prio, p.created);
                        self.want_run = true;
                    }
                }
                Effect::Dequeue(pod) => {
                    self.sched.queue.remove(pod);
                    self.sched.forget_nomination(pod);
                }
                Effect::PodFailed(pod) => {
                    let p = &self.cluster.pods[pod.idx()];
                    if let Some(node) = p.node {
                        let t = self.spec.template(p.template);
                        self.cluster.release(node, pod, t);
                        self.events.resources_freed = true;
                    }
                    self.ctrl.pod_failed(&mut cx!(self), pod);
                }
                Effect::PodReady(pod) => {
                    let wl = self.cluster.pods[pod.idx()].workload;
                    self.ctrl.pod_ready(wl);
                    self.ctrl.rollout_pod_ready(&mut cx!(self), wl);
                }
                Effect::PodTerminating(pod) => self.ctrl.pod_terminating(&mut cx!(self), pod),
                Effect::ResourcesFreed(_) => self.events.resources_freed = true,
                Effect::NodeUpdated(node) => self.events.node_updated(node),
                Effect::RestartPod(pod) => self.kubelet.pod_bound(&mut cx!(self), pod),
                Effect::NodeStopped(node) => self.kubelet.node_stopped(&mut cx!(self), node),
                Effect::Evict(pod) => {
                    controllers::terminate_pod(
                        &mut cx!(self),
                        pod,
                        crate::model::cluster::Termination::Evicted,
                        crate::kubelet::disk::EVICTION_MESSAGE,
                        0,
                    );
                }
                Effect::DiskPressure(node, on) => {
                    controllers::node_actions::set_disk_pressure(&mut cx!(self), node, on);
                }
                Effect::RequestNodes {
                    pool,
                    count,
                    upgrade,
                } => {
                    let first = self.cluster.nodes.len();
                    self.request_nodes(pool, count);
                    for n in first..self.cluster.nodes.len() {
                        self.ctrl
                            .upgrade_node_requested(upgrade, NodeId::from_idx(n));
                    }
                }
                Effect::DeleteNode(node) => {
                    if self.cluster.nodes[node.idx()].state != NodeState::Deleted {
                        self.delete_node(node);
                    }
                }
                Effect::RebootNode {
                    node,
                    upgrade,
                    after,
                } => {
                    let delay = self.reboot_delay(node, after);
                    let at = self.q.now().millis().saturating_add(delay);
                    self.fx
                        .push(Effect::At(at, Event::UpgradeNodeBack { upgrade, node }));
                }
            }
        }
        self.fx.clear();
    }

    /// After each event's effects: parked pods that the instant's cluster events may help go
    /// back to the queue (queueing hints), and one scheduler run is armed if any pod waits.
    fn settle(&mut self) {
        let mut want_run = std::mem::take(&mut self.want_run);
        if !self.events.is_empty() {
            let now = self.q.now().millis();
            let (mut act, mut back) = (Vec::new(), Vec::new());
            self.sched.requeue(
                self.spec,
                &self.cluster,
                &self.events,
                now,
                &mut act,
                &mut back,
            );
            if !self.events.nodes_updated.is_empty() {
                self.sched.requeue_updated(
                    self.spec,
                    &self.cluster,
                    &self.events.nodes_updated,
                    now,
                    &mut act,
                    &mut back,
                );
            }
            self.events.clear();
            self.apply_moves(act, back);
            want_run = true;
        }
        if (want_run || self.sched.queue.has_active()) && !self.sched_armed {
            self.sched_armed = true;
            self.q.schedule_in(0, Event::SchedulerRun);
        }
    }

    fn apply_moves(&mut self, act: Vec<PodId>, back: Vec<(PodId, u64, u32)>) {
        for pod in act {
            let p = &self.cluster.pods[pod.idx()];
            let prio = self.spec.template(p.template).priority;
            self.sched.queue.push_active(pod, prio, p.created);
        }
        for (pod, at, generation) in back {
            self.q
                .schedule(SimTime(at), Event::BackoffExpired { pod, generation });
        }
    }

    fn scheduler_run(&mut self) {
        self.sched_armed = false;
        let now = self.q.now().millis();
        let spec = self.spec;
        while let Some(pod) = self.sched.queue.pop_active() {
            if self.cluster.pods[pod.idx()].phase != PodPhase::Pending {
                continue;
            }
            let decision = self
                .sched
                .schedule(spec, &self.cluster, pod, &mut self.messages);
            match decision {
                Decision::Bind(node) => {
                    let t = spec.template(self.cluster.pods[pod.idx()].template);
                    self.cluster.bind(pod, node, t, now);
                    self.sched.forget_nomination(pod);
                    if self.sched.inter_pod_enabled() {
                        self.events.pods_bound = true;
                    }
                    if let Some(inv) = &mut self.inv {
                        inv.bound(spec, &self.cluster, pod, node, now);
                    }
                    let p = &mut self.cluster.pods[pod.idx()];
                    p.sched_attempts += 1;
                    if p.reason == Some(Reason::Unschedulable) {
                        p.reason = None;
                        p.message = None;
                    }
                    self.rec.set_phase(p, PodPhase::Starting);
                    self.kubelet.pod_bound(&mut cx!(self), pod);
                    self.ctrl.pod_bound(&mut cx!(self), pod);
                }
                Decision::Unschedulable(status) => {
                    let p = &mut self.cluster.pods[pod.idx()];
                    p.sched_attempts += 1;
                    self.rec.failure(p, Reason::Unschedulable, status.message);
                    self.rec.unschedulable(status.message);
                    // PostFilter (DefaultPreemption) runs before the failure is handled; it
                    // counts PDB violations among victims when the scenario has budgets.
                    if self.sched.wants_budgets(spec, &self.cluster, pod) {
                        let cx = cx!(self);
                        self.sched.pdb_allowed = self.ctrl.disruptions_allowed(&cx);
                    }
                    if let Some(pre) = self.sched.post_filter(spec, &self.cluster, pod, status) {
                        self.preempt(pod, pre);
                    }
                    let p = &self.cluster.pods[pod.idx()];
                    let parked = (pod, p.template, p.pinned.is_some());
                    self.sched
                        .queue
                        .mark_unschedulable(parked, now, status.plugins);
                }
            }
        }
    }

    /// Carries out a preemption the scheduler decided: each victim is deleted gracefully
    /// (`prepareCandidate`), with its own grace period; the preemptor is already nominated.
    fn preempt(&mut self, preemptor: PodId, pre: crate::scheduler::preemption::Preemption) {
        let spec = self.spec;
        let msg = crate::scheduler::plugins::default_preemption::victim_message(
            &self.cluster.pod_name(spec, preemptor),
            &self.cluster.node_name(spec, pre.node),
        );
        for victim in pre.victims {
            let grace = spec
                .template(self.cluster.pods[victim.idx()].template)
                .termination_grace_ms;
            controllers::terminate_pod(
                &mut cx!(self),
                victim,
                crate::model::cluster::Termination::Preempted,
                &msg,
                grace,
            );
        }
    }

    fn hpa_samples(&self, now: u64) -> Vec<HpaSample> {
        let spec = self.spec;
        let mut out = Vec::new();
        for (i, w) in spec.workloads.iter().enumerate() {
            let Some(h) = &w.hpa else {
                continue;
            };
            let ws = &self.ctrl.workloads[i];
            let ready = self.rec.workload_count(i, PodPhase::Ready);
            let load = if ws.active { h.load_at(now) } else { 0.0 };
            out.push(HpaSample {
                replicas: if ws.active { ws.desired } else { 0 },
                ready,
                load,
                unserved: (load - ready as f64 * h.capacity_per_pod).max(0.0),
            });
        }
        out
    }

    /// The whole-state invariant checks (opt-in): out of line, so the run loop the sample
    /// is inlined into stays as small as without them.
    #[cold]
    #[inline(never)]
    fn check_full(&mut self, now: u64) {
        let mut found = self
            .ctrl
            .daemon_index_violations(self.spec, &mut self.cluster);
        found.extend(self.kubelet.busy_violations());
        if let Some(inv) = &mut self.inv {
            inv.full(
                self.spec,
                &self.cluster,
                &self.rec,
                &self.retired.phases,
                now,
            );
            inv.add(now, found);
        }
    }

    fn take_sample(&mut self, now: u64) {
        if self.inv.is_some() {
            self.check_full(now);
        }
        let rec = &self.rec;
        let s = Sample {
            time_ms: now,
            pending: rec.count(PodPhase::Pending),
            starting: rec.count(PodPhase::Starting),
            running: rec.count(PodPhase::Running),
            ready: rec.count(PodPhase::Ready),
            failed: rec.count(PodPhase::Failed),
            pulls_in_flight: self.kubelet.pulls_in_flight(&self.cluster) as u32,
            nodes_ready: self.cluster.ready_per_pool.clone(),
            nodes_provisioning: self.cluster.provisioning_per_pool.clone(),
            disk_used: if self.kubelet.tracks_disk() {
                self.kubelet.disk_used_per_pool(self.spec, &self.cluster)
            } else {
                Vec::new()
            },
            nodes_cordoned: Vec::new(),
            nodes_not_ready: Vec::new(),
            hpa: self.hpa_samples(now),
            pods_build: Vec::new(),
        };
        let mut s = s;
        if self.build_columns {
            s.pods_build = self.pods_per_build();
        }
        if self.lifecycle_columns {
            let np = self.spec.pools.len();
            s.nodes_cordoned = vec![0; np];
            s.nodes_not_ready = vec![0; np];
            for n in self.cluster.registered.iter() {
                let node = &self.cluster.nodes[n.idx()];
                s.nodes_cordoned[node.pool.idx()] += node.cordoned as u32;
                s.nodes_not_ready[node.pool.idx()] += (node.state == NodeState::NotReady) as u32;
            }
        }
        self.rec.samples.push(s);
    }

    /// Brings the unavailable-replica integrals up to `now` (when tracked): a Deployment's
    /// deficit is its desired replicas (0 before it is created or after it is deleted) less
    /// its Ready pods, as upstream's `availableReplicas` with `minReadySeconds` 0.
    /// Called at every event: the test stays inlined, the work (scenarios with node lifecycle
    /// actions only) does not.
    #[inline(always)]
    fn track_unavailable(&mut self, now: u64) {
        if self.rec.unavailable.is_some() {
            self.track_unavailable_now(now);
        }
    }

    #[inline(never)]
    fn track_unavailable_now(&mut self, now: u64) {
        let Some(u) = &mut self.rec.unavailable else {
            return;
        };
        let (ctrl, phases) = (&self.ctrl, &self.rec.workload_phases);
        let ready = crate::metrics::phase_index(PodPhase::Ready);
        u.advance(now, |w| {
            let ws = &ctrl.workloads[w];
            let desired = if ws.active { ws.desired } else { 0 };
            desired.saturating_sub(phases.get(w).map_or(0, |c| c[ready]))
        });
    }

    /// Pods bound to registered Windows nodes (Ready or NotReady; pods Terminating there
    /// included, as they still hold the node), per node version, in `Recorder::builds` order.
    fn pods_per_build(&mut self) -> Vec<u32> {
        let mut counts = vec![0u32; self.rec.builds.len()];
        for n in self.cluster.registered.iter() {
            let Some(v) = self.cluster.nodes[n.idx()].version else {
                continue;
            };
            let col = self.rec.build_column(v);
            if col >= counts.len() {
                counts.resize(col + 1, 0);
            }
            counts[col] += self.cluster.pods_on[n.idx()].len() as u32;
        }
        counts
    }
}

/// Per workload, the lane of its HPA syncs: the index of its sync period among the distinct
/// periods, in first-seen order (0 without an HPA; unused then).
fn hpa_lanes(spec: &Spec) -> Vec<usize> {
    let mut periods: Vec<u64> = Vec::new();
    spec.workloads
        .iter()
        .map(|w| {
            w.hpa.as_ref().map_or(0, |h| {
                periods
                    .iter()
                    .position(|&p| p == h.sync_period)
                    .unwrap_or_else(|| {
                        periods.push(h.sync_period);
                        periods.len() - 1
                    })
            })
        })
        .collect()
}

/// Whether the timeline cordons, drains, taints, fails or upgrades nodes: then
/// timeseries.csv carries `nodes_cordoned_POOL` and `nodes_not_ready_POOL` (other runs keep
/// their columns).
pub fn has_lifecycle_actions(spec: &Spec) -> bool {
    spec.timeline.iter().any(|(_, a)| {
        !matches!(
            a,
            TimelineAction::Create(_)
                | TimelineAction::Scale(..)
                | TimelineAction::Delete(_)
                | TimelineAction::Rollout(..)
        )
    })
}

/// Whether the timeline upgrades or patches a pool (`UpgradePool`, `PatchPool`): then
/// timeseries.csv carries `pods_build_VERSION` (other runs keep their columns).
pub fn has_upgrade_actions(spec: &Spec) -> bool {
    spec.timeline.iter().any(|(_, a)| {
        matches!(
            a,
            TimelineAction::UpgradePool(..) | TimelineAction::PatchPool(..)
        )
    })
}

/// Runs `spec` with `seed` to completion.
pub fn run(spec: &Spec, seed: u64) -> RunOutput {
    Simulation::new(spec, seed).run()
}

/// Runs `spec` with `seed` to completion for its summary: finished trace pods are given back
/// as the run goes (`Simulation::retire_finished`), so memory follows the live pods. The
/// summary is the one `run` gives; `RunOutput::cluster.pods` lacks the retired pods.
pub fn run_for_summary(spec: &Spec, seed: u64) -> RunOutput {
    Simulation::new(spec, seed).retire_finished().run()
}

/// Runs `spec` with `seed` to completion checking the run-time invariants; returns the
/// output and every violation found (empty when all held).
pub fn run_checking_invariants(spec: &Spec, seed: u64) -> (RunOutput, Vec<String>) {
    Simulation::new(spec, seed).check_invariants().run_checked()
}
