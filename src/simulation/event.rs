//! The closed set of events of a run. Each event that can go stale carries the generation of
//! what it refers to (a pod, a node's I/O, a back-off), and handlers drop stale ones.

use crate::model::{NodeId, PodId, WorkloadId};

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
