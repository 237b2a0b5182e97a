//! The vocabulary between the components and the event loop: `Event`s (what happens at a
//! simulated time), `Effect`s (what a component asks the loop to do) and `Ctx` (the narrow view
//! of the run a component acts through).
//!
//! Owns: those three types. Does not own: any rule. Components (kubelet, controllers) change
//! the cluster arenas and the recorder they are handed, and push effects for everything that
//! crosses to another component or to the clock; `simulation` applies the effects in push order,
//! which is what keeps a run deterministic and every cross-component step visible in one place.

use crate::engine::SimTime;
use crate::metrics::Recorder;
use crate::model::cluster::Cluster;
use crate::model::messages::Messages;
use crate::model::{NodeId, PodId, Spec, WorkloadId};

/// The closed set of events of a run. Each event that can go stale carries the generation of
/// what it refers to (a pod, a node's I/O, a back-off), and handlers drop stale ones.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A workload is created (its `created_at`).
    WorkloadCreate(WorkloadId),
    /// The timeline entry at this index fires.
    Timeline(u32),
    /// Run scheduling cycles for every active pod.
    SchedulerRun,
    /// A pod's scheduling back-off ends.
    BackoffExpired { pod: PodId, generation: u32 },
    /// Periodic flush of pods parked too long in the unschedulable pool.
    FlushUnschedulable,
    /// A node's next download or extraction completes.
    NodeIo { node: NodeId, generation: u32 },
    /// A pull attempt reaches its deadline.
    PullDeadline { node: NodeId, pull: u32 },
    /// Resume a pod's start path (after a back-off, a start delay, or an init container).
    KubeletStep { pod: PodId, generation: u32 },
    /// A pod's readiness probe succeeds.
    PodReady { pod: PodId, generation: u32 },
    /// A workload controller re-syncs (replacing failed pods after back-off).
    ControllerSync(WorkloadId),
    /// Take a time-series sample.
    Sample,
    /// One cluster-autoscaler loop.
    AutoscalerScan,
    /// A requested node finishes provisioning and registers Ready.
    NodeProvisioned(NodeId),
    /// One HPA sync for a workload.
    HpaSync(WorkloadId),
    /// A terminating pod's grace period ends: it leaves its node.
    PodTerminated { pod: PodId, generation: u32 },
    /// A pod's NoExecute toleration may have run out (`controllers::taint_eviction` checks
    /// that the eviction is still scheduled for now).
    TaintEviction(PodId),
    /// A Job's pod has run its run time since its containers started: it Succeeds.
    PodSucceeded { pod: PodId, generation: u32 },
    /// `--node-monitor-grace-period` after a node's last heartbeat: if it is still down (the
    /// same failure, by generation), the node lifecycle controller marks it NotReady.
    NodeMonitorGrace { node: NodeId, generation: u32 },
    /// A running drain's next second: poll its evicted pods, retry refused evictions
    /// (`controllers::drain`; the index is the drain's, in start order).
    DrainTick(u32),
    /// The kubelet's image garbage collection pass on a node (every 5 min from its start).
    ImageGc(NodeId),
    /// The kubelet's eviction manager looks at a node's disk (every 10 s).
    EvictionSync(NodeId),
    /// The next layer download of the run's `SharedNet` ends (some registry is limited); stale
    /// unless the generation is the net's current one.
    NetIo { generation: u32 },
    /// A node rebooting for a pool patch is back (`controllers::upgrade`).
    UpgradeNodeBack { upgrade: u32, node: NodeId },
}

/// What a component asks the loop to do. Applied in push order after the event that caused
/// them, so effects never interleave with the component that produced them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Schedule `event` at this absolute time (ms).
    At(u64, Event),
    /// A new pod waits for the scheduler.
    Enqueue(PodId),
    /// A pod left the cluster: drop it from the scheduling queue.
    Dequeue(PodId),
    /// A pod failed on its node (terminal): the loop returns its resources and its controller
    /// replaces it.
    PodFailed(PodId),
    /// A pod became Ready.
    PodReady(PodId),
    /// A pod started terminating gracefully (evicted, preempted): its controller stops
    /// counting it (and may replace it at once); it keeps its node's resources until
    /// `Event::PodTerminated`.
    PodTerminating(PodId),
    /// A bound pod's requests were returned to this node (a cluster event for the scheduling
    /// queue's hints).
    ResourcesFreed(NodeId),
    /// A node became less restrictive (uncordoned, a taint removed): a cluster event for the
    /// scheduling queue's hints.
    NodeUpdated(NodeId),
    /// A bound pod's start path begins again from its first container (its node recovered
    /// from a failure): the loop hands it to the kubelet as a fresh binding.
    RestartPod(PodId),
    /// The kubelet evicts a pod under node pressure (DiskPressure): a graceful deletion with
    /// reason `Evicted` and no grace period (hard eviction).
    Evict(PodId),
    /// A node's DiskPressure condition turned on or off: its
    /// `node.kubernetes.io/disk-pressure:NoSchedule` taint follows.
    DiskPressure(NodeId, bool),
    /// A pool upgrade asks the cloud for `count` nodes of `pool` (with the pool's current
    /// version); the loop tells the upgrade which nodes it created.
    RequestNodes {
        pool: crate::model::PoolId,
        count: u32,
        upgrade: u32,
    },
    /// Remove a node (a pool upgrade is done with it).
    DeleteNode(NodeId),
    /// A node reboots for a pool patch: the loop schedules `Event::UpgradeNodeBack` after the
    /// patch's reboot time, or a draw of the pool's provisioning delay.
    RebootNode {
        node: NodeId,
        upgrade: u32,
        /// The patch's reboot time (ms), if it gives one.
        after: Option<u64>,
    },
    /// A node stopped (failed, or went down to reboot): its kubelet's pulls stop, so their
    /// downloads give back their share of a limited registry at once.
    NodeStopped(NodeId),
}

/// The part of a run a component may see and change while it handles one event.
pub struct Ctx<'a> {
    pub spec: &'a Spec,
    /// Simulated time now (ms).
    pub now: u64,
    pub cluster: &'a mut Cluster,
    pub rec: &'a mut Recorder,
    pub messages: &'a mut Messages,
    pub fx: &'a mut Vec<Effect>,
}

impl Ctx<'_> {
    /// Schedules `event` `delay` ms from now.
    pub fn after(&mut self, delay: u64, event: Event) {
        self.fx.push(Effect::At(self.now + delay, event));
    }

    /// Schedules `event` at absolute time `at` (never before now).
    pub fn at(&mut self, at: u64, event: Event) {
        debug_assert!(at >= self.now, "an event in the past");
        self.fx.push(Effect::At(at, event));
    }

    pub fn push(&mut self, e: Effect) {
        self.fx.push(e);
    }

    pub fn time(&self) -> SimTime {
        SimTime(self.now)
    }
}

/// A stand-alone world for unit tests of components: a spec, the arenas a `Ctx` borrows, and
/// helpers to add Ready nodes and bound pods without running a simulation.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::model::cluster::{Node, NodeState, Pod, PodPhase};
    use crate::model::{PoolId, Res, TemplateId};

    /// The pods the effects put in the scheduling queue, in order.
    pub fn enqueued(fx: &[Effect]) -> Vec<PodId> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Enqueue(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    pub struct Harness {
        pub spec: Spec,
        pub cluster: Cluster,
        pub rec: Recorder,
        pub messages: Messages,
        pub fx: Vec<Effect>,
    }

    impl Harness {
        /// A harness for the scenario in `ron` (which must validate).
        pub fn new(ron: &str) -> Harness {
            let (_, spec) = crate::scenario::load_str(ron, "unit.ron")
                .unwrap_or_else(|e| panic!("test scenario does not load:\n{e}"));
            let cluster = Cluster::for_spec(&spec);
            Harness {
                rec: Recorder::for_spec(&spec),
                spec,
                cluster,
                messages: Messages::default(),
                fx: Vec::new(),
            }
        }

        pub fn cx(&mut self, now: u64) -> Ctx<'_> {
            Ctx {
                spec: &self.spec,
                now,
                cluster: &mut self.cluster,
                rec: &mut self.rec,
                messages: &mut self.messages,
                fx: &mut self.fx,
            }
        }

        /// Adds a Ready, registered node of `pool` (no images cached), with the version the
        /// pool's new nodes get now (`Cluster::pool_version`), as the loop's `add_node`.
        pub fn ready_node(&mut self, pool: usize) -> NodeId {
            let cl = &mut self.cluster;
            let pool = PoolId::from_idx(pool);
            let ordinal = cl.next_ordinal[pool.idx()];
            cl.next_ordinal[pool.idx()] += 1;
            let version = cl.pool_version[pool.idx()];
            if !Cluster::same_build(version, self.spec.pools[pool.idx()].version) {
                cl.count_off_build(pool, true);
            }
            let id = cl.add_node(Node {
                pool,
                ordinal,
                state: NodeState::Ready,
                cordoned: false,
                requested: Res::default(),
                nonzero: Res::default(),
                created_at: 0,
                ready_at: Some(0),
                deleted_at: None,
                version,
                sums_at: 0,
            });
            cl.ready_per_pool[pool.idx()] += 1;
            cl.register(id);
            id
        }

        /// Creates a Pending pod of workload `w` and binds it to `node` at `now`, as the loop
        /// does after a `Decision::Bind`.
        pub fn bound_pod(&mut self, w: usize, node: NodeId, now: u64) -> PodId {
            let wl = &self.spec.workloads[w];
            let tid: TemplateId = wl.template;
            let id = PodId::from_idx(self.cluster.pods.len());
            let pod = Pod::new(crate::model::WorkloadId::from_idx(w), tid, 0, None, now);
            self.rec.pod_created(&pod);
            self.cluster.pods.push(pod);
            self.cluster.bind(id, node, self.spec.template(tid), now);
            let p = &mut self.cluster.pods[id.idx()];
            p.sched_attempts += 1;
            self.rec.set_phase(p, PodPhase::Starting);
            id
        }

        /// The effects pushed so far, emptied.
        pub fn take(&mut self) -> Vec<Effect> {
            std::mem::take(&mut self.fx)
        }
    }
}
