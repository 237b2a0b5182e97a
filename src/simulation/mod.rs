//! One run of a scenario: the world state, the event loop, and the dispatch of events to the
//! scheduler, kubelet and controllers.
//!
//! Owns: wiring and the order things happen in within one instant (events by (time, seq); after
//! each event, failed pods are released, new pods enqueued, and one scheduler run armed).
//! Does not own: any domain rule; each lives in its component.

pub mod event;

use crate::autoscaler::cluster_autoscaler::{Action, ClusterAutoscaler, ScalingEvent};
use crate::autoscaler::hpa::HpaState;
use crate::autoscaler::provisioning;
use crate::controllers::{self, Controllers};
use crate::engine::{EventQueue, RngStreams, SimTime, StreamId};
use crate::kubelet::Kubelet;
use crate::metrics::{HpaSample, Recorder, Sample};
use crate::model::cluster::{Cluster, Node, NodeState, PodPhase, Reason};
use crate::model::messages::Messages;
use crate::model::*;
use crate::scheduler::{Decision, Scheduler};
use event::Event;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How often the scheduler flushes long-parked unschedulable pods (k/k: every 30 s).
pub const FLUSH_INTERVAL_MS: u64 = 30_000;

/// State shared by the components during a run.
pub struct World<'s> {
    pub spec: &'s Spec,
    pub q: EventQueue<Event>,
    pub cluster: Cluster,
    pub messages: Messages,
    pub rec: Recorder,
    /// Pods created this instant, to be queued for scheduling.
    pub enqueue: Vec<PodId>,
    /// Pods deleted this instant, to be dropped from the scheduling queue.
    pub dequeue: Vec<PodId>,
    /// Some bound pod released its resources this instant.
    pub resources_freed: bool,
    /// Pools that gained a Ready node this instant.
    pub nodes_added: Vec<bool>,
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
    pub hpa: Vec<Option<HpaState>>,
    /// The simulated end time (ms).
    pub end: u64,
}

pub struct Simulation<'s> {
    w: World<'s>,
    sched: Scheduler,
    kubelet: Kubelet,
    ctrl: Controllers,
    ca: Option<ClusterAutoscaler>,
    /// One provisioning stream per pool, keyed by the pool's name so adding a pool does not
    /// shift the others' draws.
    prov_rng: Vec<ChaCha8Rng>,
    hpa: Vec<Option<HpaState>>,
    actions: Vec<Action>,
    sched_armed: bool,
    seed: u64,
}

impl<'s> Simulation<'s> {
    pub fn new(spec: &'s Spec, seed: u64) -> Self {
        let streams = RngStreams::new(seed);
        let npools = spec.pools.len();
        let cluster = Cluster {
            ready_per_pool: vec![0; npools],
            provisioning_per_pool: vec![0; npools],
            next_ordinal: vec![0; npools],
            image_nodes: vec![0; spec.images.len()],
            image_words: spec.images.len().div_ceil(64).max(1),
            ..Default::default()
        };
        let w = World {
            spec,
            q: EventQueue::with_capacity(1024),
            cluster,
            messages: Messages::default(),
            rec: Recorder::default(),
            enqueue: Vec::new(),
            dequeue: Vec::new(),
            resources_freed: false,
            nodes_added: vec![false; npools],
        };
        let mut sim = Simulation {
            w,
            sched: Scheduler::new(spec, streams.stream(StreamId::Scheduler)),
            kubelet: Kubelet::new(spec.kubelet.strict_platform_match),
            ctrl: Controllers::new(spec),
            ca: spec
                .autoscaling()
                .then(|| ClusterAutoscaler::new(spec, streams.stream(StreamId::Autoscaler))),
            prov_rng: spec
                .pools
                .iter()
                .map(|p| streams.stream(StreamId::Keyed(RngStreams::key(&p.name))))
                .collect(),
            hpa: spec
                .workloads
                .iter()
                .map(|w| w.hpa.as_ref().map(|_| HpaState::default()))
                .collect(),
            actions: Vec::new(),
            sched_armed: false,
            seed,
        };
        for (p, pool) in spec.pools.iter().enumerate() {
            for _ in 0..pool.initial_count {
                let id = sim.add_node(PoolId::from_idx(p));
                sim.node_ready(id);
            }
        }
        sim.ctrl.schedule_initial(&mut sim.w);
        for (i, (at, _)) in spec.timeline.iter().enumerate() {
            sim.w.q.schedule(SimTime(*at), Event::Timeline(i as u32));
        }
        sim.w.q.schedule(SimTime::ZERO, Event::Sample);
        sim.w
            .q
            .schedule(SimTime(FLUSH_INTERVAL_MS), Event::FlushUnschedulable);
        if sim.ca.is_some() {
            sim.w.q.schedule(
                SimTime(spec.autoscaler.scan_interval),
                Event::AutoscalerScan,
            );
        }
        for (i, w) in spec.workloads.iter().enumerate() {
            if let Some(h) = &w.hpa {
                let first = w.created_at.unwrap_or(0) + h.sync_period;
                sim.w
                    .q
                    .schedule(SimTime(first), Event::HpaSync(WorkloadId::from_idx(i)));
            }
        }
        sim
    }

    /// Creates a node of `pool` in the Provisioning state.
    fn add_node(&mut self, pool: PoolId) -> NodeId {
        let now = self.w.q.now().millis();
        let cl = &mut self.w.cluster;
        let id = NodeId::from_idx(cl.nodes.len());
        let ordinal = cl.next_ordinal[pool.idx()];
        cl.next_ordinal[pool.idx()] += 1;
        cl.nodes.push(Node {
            pool,
            ordinal,
            state: NodeState::Provisioning,
            cordoned: false,
            requested: Res::default(),
            nonzero: Res::default(),
            created_at: now,
            ready_at: None,
            deleted_at: None,
        });
        cl.push_node_images();
        cl.pods_on.push(Vec::new());
        cl.provisioning_per_pool[pool.idx()] += 1;
        self.kubelet.add_node(&mut self.w, id, pool);
        id
    }

    /// A provisioned node registers Ready.
    fn node_ready(&mut self, id: NodeId) {
        let now = self.w.q.now().millis();
        let cl = &mut self.w.cluster;
        let n = &mut cl.nodes[id.idx()];
        n.state = NodeState::Ready;
        n.ready_at = Some(now);
        let pool = n.pool;
        cl.provisioning_per_pool[pool.idx()] -= 1;
        cl.ready_per_pool[pool.idx()] += 1;
        cl.registered.push(id);
        cl.rebuild_runs();
        // The node now reports its cached images.
        for img in 0..cl.image_nodes.len() {
            if cl.node_has_image(id, ImageId::from_idx(img)) {
                cl.image_nodes[img] += 1;
            }
        }
        cl.version += 1;
        self.w.nodes_added[pool.idx()] = true;
        if let Some(ca) = &mut self.ca {
            ca.node_ready(self.w.spec, id, pool);
        }
        self.ctrl.nodes_changed(&mut self.w);
    }

    /// Requests `count` nodes of `pool` from the cloud.
    fn request_nodes(&mut self, pool: PoolId, count: u32) {
        let spec = self.w.spec;
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
                self.w.q.schedule_in(delay, Event::NodeProvisioned(id));
            }
        }
    }

    /// Removes a node: its pods are evicted (their controllers replace them) and it leaves the
    /// scheduler's node list.
    fn delete_node(&mut self, id: NodeId) {
        let now = self.w.q.now().millis();
        let pods = self.w.cluster.pods_on[id.idx()].clone();
        let mut touched: Vec<WorkloadId> = Vec::new();
        for p in pods {
            let wl = self.w.cluster.pods[p.idx()].workload;
            controllers::delete_pod(&mut self.w, p);
            if !touched.contains(&wl) {
                touched.push(wl);
            }
        }
        let cl = &mut self.w.cluster;
        let n = &mut cl.nodes[id.idx()];
        let was = n.state;
        n.state = NodeState::Deleted;
        n.deleted_at = Some(now);
        let pool = n.pool;
        match was {
            NodeState::Provisioning => cl.provisioning_per_pool[pool.idx()] -= 1,
            NodeState::Ready | NodeState::NotReady => {
                if was == NodeState::Ready {
                    cl.ready_per_pool[pool.idx()] -= 1;
                }
                if let Some(i) = cl.registered.iter().position(|&r| r == id) {
                    cl.registered.remove(i);
                }
                cl.rebuild_runs();
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
            self.ctrl.sync(&mut self.w, wl);
        }
        self.ctrl.nodes_changed(&mut self.w);
    }

    fn autoscaler_scan(&mut self) {
        let Some(ca) = &mut self.ca else {
            return;
        };
        let now = self.w.q.now().millis();
        let unschedulable = self.sched.queue.unschedulable_pods();
        let daemons = self.ctrl.active_daemons(self.w.spec);
        self.actions.clear();
        ca.scan(
            self.w.spec,
            &self.w.cluster,
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
        self.w
            .q
            .schedule_in(self.w.spec.autoscaler.scan_interval, Event::AutoscalerScan);
    }

    fn hpa_sync(&mut self, wl: WorkloadId) {
        let spec = self.w.spec;
        let Some(h) = &spec.workloads[wl.idx()].hpa else {
            return;
        };
        let now = self.w.q.now().millis();
        let ws = &self.ctrl.workloads[wl.idx()];
        if ws.active {
            let rec = &self.w.rec;
            let ready = rec.workload_count(wl.idx(), PodPhase::Ready);
            let unready = rec.workload_count(wl.idx(), PodPhase::Pending)
                + rec.workload_count(wl.idx(), PodPhase::Starting)
                + rec.workload_count(wl.idx(), PodPhase::Running);
            let current = ws.desired;
            let state = self.hpa[wl.idx()].as_mut().expect("HPA state");
            let desired = state.sync(h, now, current, ready, unready);
            if desired != current {
                self.ctrl.scale(&mut self.w, wl, desired);
            }
        }
        self.w.q.schedule_in(h.sync_period, Event::HpaSync(wl));
    }

    pub fn run(mut self) -> RunOutput {
        let end = self.w.spec.duration;
        let mut last_sample = None;
        while let Some(t) = self.w.q.peek_time() {
            if t.millis() > end {
                break;
            }
            let (_, ev) = self.w.q.pop().expect("peeked");
            self.w.rec.events += 1;
            if ev == Event::Sample {
                last_sample = Some(t.millis());
            }
            self.dispatch(ev);
            self.settle();
        }
        if last_sample != Some(end) {
            self.take_sample(end);
        }
        RunOutput {
            end,
            scaling: self.ca.map(|c| c.events).unwrap_or_default(),
            hpa: self.hpa,
            seed: self.seed,
            scheduling_attempts: self.sched.attempts,
            events: self.w.rec.events,
            cluster: self.w.cluster,
            messages: self.w.messages,
            rec: self.w.rec,
        }
    }

    fn dispatch(&mut self, ev: Event) {
        let w = &mut self.w;
        match ev {
            Event::WorkloadCreate(wl) => self.ctrl.create(w, wl),
            Event::Timeline(i) => {
                let action = w.spec.timeline[i as usize].1.clone();
                self.ctrl.timeline(w, &action);
            }
            Event::SchedulerRun => self.scheduler_run(),
            Event::BackoffExpired { pod, generation } => {
                if self.sched.queue.backoff_current(pod, generation) {
                    let p = &w.cluster.pods[pod.idx()];
                    let prio = w.spec.template(p.template).priority;
                    self.sched.queue.push_active(pod, prio, p.created);
                }
            }
            Event::FlushUnschedulable => {
                let now = w.q.now().millis();
                let max = w.spec.scheduler.max_in_unschedulable;
                let pods = &w.cluster.pods;
                let (mut act, mut back) = (Vec::new(), Vec::new());
                self.sched.queue.move_unschedulable(
                    |pod, since| (since + max <= now).then(|| pods[pod.idx()].sched_attempts),
                    now,
                    &mut act,
                    &mut back,
                );
                self.apply_moves(act, back);
                self.w
                    .q
                    .schedule_in(FLUSH_INTERVAL_MS, Event::FlushUnschedulable);
            }
            Event::NodeIo { node, generation } => self.kubelet.node_io(w, node, generation),
            Event::PullDeadline { node, pull } => self.kubelet.pull_deadline(w, node, pull),
            Event::KubeletStep { pod, generation } => self.kubelet.step_event(w, pod, generation),
            Event::PodReady { pod, generation } => {
                self.kubelet.pod_ready(w, pod, generation);
                let p = &w.cluster.pods[pod.idx()];
                if p.phase == PodPhase::Ready {
                    self.ctrl.pod_ready(p.workload);
                }
            }
            Event::ControllerSync(wl) => self.ctrl.sync(w, wl),
            Event::AutoscalerScan => self.autoscaler_scan(),
            Event::NodeProvisioned(n) => {
                if self.w.cluster.nodes[n.idx()].state == NodeState::Provisioning {
                    self.node_ready(n);
                }
            }
            Event::HpaSync(wl) => self.hpa_sync(wl),
            Event::Sample => {
                let now = w.q.now().millis();
                self.take_sample(now);
                let next = now + self.w.spec.sample_interval;
                if next <= self.w.spec.duration {
                    self.w.q.schedule(SimTime(next), Event::Sample);
                } else if now < self.w.spec.duration {
                    self.w
                        .q
                        .schedule(SimTime(self.w.spec.duration), Event::Sample);
                }
            }
        }
    }

    /// After each event: release pods that failed on their node, apply queue changes and arm
    /// one scheduler run for this instant if anything may have become schedulable.
    fn settle(&mut self) {
        while !self.kubelet.failed.is_empty() {
            let failed = std::mem::take(&mut self.kubelet.failed);
            for pod in failed {
                let p = &self.w.cluster.pods[pod.idx()];
                if let Some(node) = p.node {
                    let t = self.w.spec.template(p.template);
                    controllers::release(&mut self.w, node, pod, t);
                }
                self.ctrl.pod_failed(&mut self.w, pod);
            }
        }
        for i in 0..self.w.dequeue.len() {
            self.sched.queue.remove(self.w.dequeue[i]);
        }
        self.w.dequeue.clear();
        let mut want_run = false;
        for i in 0..self.w.enqueue.len() {
            let pod = self.w.enqueue[i];
            let p = &self.w.cluster.pods[pod.idx()];
            if p.phase == PodPhase::Pending {
                let prio = self.w.spec.template(p.template).priority;
                self.sched.queue.push_active(pod, prio, p.created);
                want_run = true;
            }
        }
        self.w.enqueue.clear();
        if self.w.resources_freed || self.w.nodes_added.iter().any(|&b| b) {
            // Queueing hints, coarsely: freed resources matter to pods that lacked resources;
            // a new node matters to pods whose static filters pass on its pool.
            let freed = std::mem::take(&mut self.w.resources_freed);
            let added = std::mem::replace(
                &mut self.w.nodes_added,
                vec![false; self.w.spec.pools.len()],
            );
            let spec = self.w.spec;
            let pods = &self.w.cluster.pods;
            let reasons = &self.w.messages;
            let sched = &mut self.sched;
            // Per template: does it pass the static filters of some pool that gained a node?
            let mut fits_added: Vec<Option<bool>> = vec![None; spec.templates.len()];
            let mut select = |pod: PodId, _since: u64| -> Option<u32> {
                let p = &pods[pod.idx()];
                let lacked_resources = p
                    .message
                    .is_some_and(|m| reasons.reasons(m).iter().any(|r| is_resource_reason(r)));
                let t = p.template.idx();
                let fits = *fits_added[t].get_or_insert_with(|| {
                    added.iter().enumerate().any(|(pool, &a)| {
                        a && controllers::daemon_fits_pool(spec, p.template, PoolId::from_idx(pool))
                    })
                });
                ((freed && lacked_resources) || fits).then_some(p.sched_attempts)
            };
            let now = self.w.q.now().millis();
            let (mut act, mut back) = (Vec::new(), Vec::new());
            sched
                .queue
                .move_unschedulable(&mut select, now, &mut act, &mut back);
            self.apply_moves(act, back);
            want_run = true;
        }
        if (want_run || self.sched.queue.has_active()) && !self.sched_armed {
            self.sched_armed = true;
            self.w.q.schedule_in(0, Event::SchedulerRun);
        }
    }

    fn apply_moves(&mut self, act: Vec<PodId>, back: Vec<(PodId, u64, u32)>) {
        for pod in act {
            let p = &self.w.cluster.pods[pod.idx()];
            let prio = self.w.spec.template(p.template).priority;
            self.sched.queue.push_active(pod, prio, p.created);
        }
        for (pod, at, generation) in back {
            self.w
                .q
                .schedule(SimTime(at), Event::BackoffExpired { pod, generation });
        }
    }

    fn scheduler_run(&mut self) {
        self.sched_armed = false;
        let now = self.w.q.now().millis();
        while let Some(pod) = self.sched.queue.pop_active() {
            if self.w.cluster.pods[pod.idx()].phase != PodPhase::Pending {
                continue;
            }
            let decision =
                self.sched
                    .schedule(self.w.spec, &self.w.cluster, pod, &mut self.w.messages);
            match decision {
                Decision::Bind(node) => {
                    let t = self
                        .w
                        .spec
                        .template(self.w.cluster.pods[pod.idx()].template);
                    let n = &mut self.w.cluster.nodes[node.idx()];
                    n.requested.cpu_m += t.requests.cpu_m;
                    n.requested.mem += t.requests.mem;
                    n.requested.pods += 1;
                    n.nonzero.cpu_m += t.nonzero.cpu_m;
                    n.nonzero.mem += t.nonzero.mem;
                    n.nonzero.pods += 1;
                    self.w.cluster.version += 1;
                    self.w.cluster.pods_on[node.idx()].push(pod);
                    let p = &mut self.w.cluster.pods[pod.idx()];
                    p.node = Some(node);
                    p.scheduled = Some(now);
                    p.sched_attempts += 1;
                    if p.reason == Some(Reason::Unschedulable) {
                        p.reason = None;
                        p.message = None;
                    }
                    self.w.rec.set_phase(p, PodPhase::Starting);
                    self.kubelet.pod_bound(&mut self.w, pod);
                }
                Decision::Unschedulable { message } => {
                    let p = &mut self.w.cluster.pods[pod.idx()];
                    p.sched_attempts += 1;
                    self.w.rec.failure(p, Reason::Unschedulable, message);
                    for r in self.w.messages.reasons(message) {
                        *self
                            .w
                            .rec
                            .unschedulable_reasons
                            .entry(r.clone())
                            .or_default() += 1;
                    }
                    self.sched.queue.mark_unschedulable(pod, now);
                }
            }
        }
    }

    fn hpa_samples(&self, now: u64) -> Vec<HpaSample> {
        let spec = self.w.spec;
        let mut out = Vec::new();
        for (i, w) in spec.workloads.iter().enumerate() {
            let Some(h) = &w.hpa else {
                continue;
            };
            let ws = &self.ctrl.workloads[i];
            let ready = self.w.rec.workload_count(i, PodPhase::Ready);
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

    fn take_sample(&mut self, now: u64) {
        let rec = &self.w.rec;
        let s = Sample {
            time_ms: now,
            pending: rec.count(PodPhase::Pending),
            starting: rec.count(PodPhase::Starting),
            running: rec.count(PodPhase::Running),
            ready: rec.count(PodPhase::Ready),
            failed: rec.count(PodPhase::Failed),
            pulls_in_flight: self.kubelet.pulls_in_flight(&self.w) as u32,
            nodes_ready: self.w.cluster.ready_per_pool.clone(),
            nodes_provisioning: self.w.cluster.provisioning_per_pool.clone(),
            hpa: self.hpa_samples(now),
        };
        self.w.rec.samples.push(s);
    }
}

fn is_resource_reason(r: &str) -> bool {
    use crate::scheduler::plugins::node_resources_fit as fit;
    r == fit::INSUFFICIENT_CPU || r == fit::INSUFFICIENT_MEMORY || r == fit::TOO_MANY_PODS
}

/// Runs `spec` with `seed` to completion.
pub fn run(spec: &Spec, seed: u64) -> RunOutput {
    Simulation::new(spec, seed).run()
}
