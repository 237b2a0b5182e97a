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
    /// A bound pod's requests were returned to this node (a cluster event for the scheduling
    /// queue's hints).
    ResourcesFreed(NodeId),
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
