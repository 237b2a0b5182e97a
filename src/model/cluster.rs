//! The live cluster: node and pod arenas indexed by integer ids, plus the indices the hot paths
//! need (registered nodes, per-image node counts).
//!
//! Owns: state that several components read (scheduler, kubelet, controllers, metrics). Does
//! not own: the rules that change it; those live with the component that makes the decision.

use super::{ImageId, NodeId, PodId, PoolId, Res, TemplateId, TemplateSpec, WorkloadId};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Requested from the cloud, not yet registered.
    Provisioning,
    Ready,
    NotReady,
    Deleted,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub pool: PoolId,
    /// Per-pool ordinal, for the node name `POOL-N`.
    pub ordinal: u32,
    pub state: NodeState,
    /// `spec.unschedulable` (cordoned).
    pub cordoned: bool,
    /// Sum of the requests of the pods bound here (filter).
    pub requested: Res,
    /// Sum of the non-zero requests of the pods bound here (scoring).
    pub nonzero: Res,
    pub created_at: u64,
    pub ready_at: Option<u64>,
    pub deleted_at: Option<u64>,
}

/// Why a pod is not (yet) Ready, or why it ended. Names match the Kubernetes reasons users see.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    Unschedulable,
    ErrImagePull,
    ErrImageNeverPull,
    ImagePullTimeout,
    CreateContainerError,
    UnsupportedOnWindows,
    RuntimeClassConflict,
}

impl Reason {
    pub const ALL: [Reason; 7] = [
        Reason::Unschedulable,
        Reason::ErrImagePull,
        Reason::ErrImageNeverPull,
        Reason::ImagePullTimeout,
        Reason::CreateContainerError,
        Reason::UnsupportedOnWindows,
        Reason::RuntimeClassConflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unschedulable => "Unschedulable",
            Reason::ErrImagePull => "ErrImagePull",
            Reason::ErrImageNeverPull => "ErrImageNeverPull",
            Reason::ImagePullTimeout => "ImagePullTimeout",
            Reason::CreateContainerError => "CreateContainerError",
            Reason::UnsupportedOnWindows => "UnsupportedOnWindows",
            Reason::RuntimeClassConflict => "RuntimeClassConflict",
        }
    }

    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Where a bound pod is on its start path, for the container at `Pod::step`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Make sure the container's image is on the node.
    Image,
    /// Waiting for a pull.
    Pulling,
    /// Create the container (the OS/build check).
    Create,
    /// Started; waiting for the process to run.
    Starting,
    /// An init container runs to completion.
    InitRunning,
    /// All containers started; waiting for readiness.
    Probing,
    Done,
}

/// Where a pod is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Created, not bound to a node.
    Pending,
    /// Bound; pulling, creating or starting containers (or backing off).
    Starting,
    /// Every container started; not Ready yet.
    Running,
    Ready,
    /// Rejected by the node (admission); terminal.
    Failed,
    /// Rejected by the API server; never existed as far as the cluster is concerned.
    Rejected,
    /// Deleted (scale-down, workload deletion, node removal).
    Deleted,
    /// Being deleted gracefully (evicted, preempted, drained): it still holds its node's
    /// requests until its grace period ends, but no controller counts it as active any more.
    Terminating,
    /// Ran to completion (a Job's pod): terminal, its node's resources are free again.
    Succeeded,
}

impl PodPhase {
    /// Number of phases (the recorder's per-phase arrays).
    pub const COUNT: usize = 9;

    /// Pending or on its way to Ready: what controllers count as an active pod. A terminating
    /// pod is not live (upstream `FilterActivePods` drops pods with a deletionTimestamp) but
    /// still bound (see `holds_node`).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            PodPhase::Pending | PodPhase::Starting | PodPhase::Running | PodPhase::Ready
        )
    }

    /// Whether a pod in this phase, once bound, counts against its node's resources.
    pub fn holds_node(self) -> bool {
        self.is_live() || self == PodPhase::Terminating
    }
}

/// Why a pod was deleted gracefully: what `pods.csv` shows as its reason. Names follow what
/// users see (`kubectl get pods` shows `Evicted` for kubelet and API evictions; the
/// `DisruptionTarget` condition reasons of k/k `pkg/apis/core/types.go` for the others).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Termination {
    /// Through the eviction API (drain, upgrade, autoscaler scale-down) or by the kubelet
    /// under node pressure.
    Evicted,
    /// A victim of scheduler preemption (`PreemptionByScheduler`).
    Preempted,
    /// A NoExecute taint the pod does not tolerate (long enough) (`DeletionByTaintManager`).
    TaintEviction,
    /// Its node is gone (`DeletionByPodGC`).
    NodeLost,
}

impl Termination {
    pub const ALL: [Termination; 4] = [
        Termination::Evicted,
        Termination::Preempted,
        Termination::TaintEviction,
        Termination::NodeLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Termination::Evicted => "Evicted",
            Termination::Preempted => "Preempted",
            Termination::TaintEviction => "TaintEviction",
            Termination::NodeLost => "NodeLost",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Pod {
    pub workload: WorkloadId,
    pub template: TemplateId,
    /// Per-workload ordinal, for the pod name `WORKLOAD-N`.
    pub ordinal: u32,
    pub phase: PodPhase,
    pub node: Option<NodeId>,
    /// DaemonSet pods are pinned to one node.
    pub pinned: Option<NodeId>,
    /// Bumped when the pod is deleted or fails so its in-flight events go stale.
    pub generation: u32,
    pub created: u64,
    pub scheduled: Option<u64>,
    pub pulled: Option<u64>,
    pub started: Option<u64>,
    pub ready: Option<u64>,
    pub ended: Option<u64>,
    /// The reason the pod is waiting or ended, if any.
    pub reason: Option<Reason>,
    /// Interned message behind `reason` (index into the recorder's message table).
    pub message: Option<u32>,
    /// Every reason this pod ever hit, as bits.
    pub reasons_seen: u16,
    /// Why the pod was deleted gracefully, if it was (with the interned message).
    pub termination: Option<(Termination, u32)>,
    pub sched_attempts: u32,
    /// Index of the container being worked on: init containers first, then app containers.
    pub step: u16,
    /// Retries of the current step (image pull or container create), for back-off.
    pub step_attempts: u16,
    pub stage: Stage,
    /// Latest time any app container becomes ready (probes), while containers start.
    pub ready_candidate: u64,
    /// A Job's pod: how long it runs once its containers have started, then it Succeeds.
    /// `None`: it runs until deleted.
    pub run_ms: Option<u64>,
}

impl Pod {
    /// A new Pending pod of `workload` created at `created`.
    pub fn new(
        workload: WorkloadId,
        template: TemplateId,
        ordinal: u32,
        pinned: Option<NodeId>,
        created: u64,
    ) -> Pod {
        Pod {
            workload,
            template,
            ordinal,
            phase: PodPhase::Pending,
            node: None,
            pinned,
            generation: 0,
            created,
            scheduled: None,
            pulled: None,
            started: None,
            ready: None,
            ended: None,
            reason: None,
            message: None,
            reasons_seen: 0,
            termination: None,
            sched_attempts: 0,
            step: 0,
            step_attempts: 0,
            stage: Stage::Image,
            ready_candidate: 0,
            run_ms: None,
        }
    }
}

/// Arenas of the live cluster.
#[derive(Default)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    /// Nodes the API server knows (Ready or NotReady), in registration order: the scheduler's
    /// node list.
    pub registered: Vec<NodeId>,
    /// Ready nodes per pool; provisioning nodes per pool.
    pub ready_per_pool: Vec<u32>,
    pub provisioning_per_pool: Vec<u32>,
    /// Next node ordinal per pool.
    pub next_ordinal: Vec<u32>,
    /// For ImageLocality: number of registered nodes that report each image.
    pub image_nodes: Vec<u32>,
    /// Pods bound to each node (live ones; removed on release).
    pub pods_on: Vec<Vec<PodId>>,
    /// Per node, the images it reports (`status.images`): a bitset over image ids,
    /// `image_words` words per node, flat so the scoring loop does not chase pointers.
    pub node_images: Vec<u64>,
    pub image_words: usize,
    /// For each index into `registered`, the run of consecutive nodes of the same pool it
    /// belongs to (an index into `run_ends`): lets scans skip a whole pool that fails static
    /// filters. Kept incrementally so a node registering costs O(1), not a rebuild.
    run_of: Vec<u32>,
    /// For each run, the end (exclusive) of its range of `registered`.
    run_ends: Vec<u32>,
    /// Bumped whenever a scheduling input changes (a bind, a node added or removed, resources
    /// freed), so the scheduler can reuse a failure computed for an identical pod.
    pub version: u64,
}

impl Cluster {
    /// An empty cluster for a scenario with `pools` pools and `images` images.
    pub fn new(pools: usize, images: usize) -> Cluster {
        Cluster {
            ready_per_pool: vec![0; pools],
            provisioning_per_pool: vec![0; pools],
            next_ordinal: vec![0; pools],
            image_nodes: vec![0; images],
            image_words: images.div_ceil(64).max(1),
            ..Default::default()
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.idx()]
    }

    pub fn pod(&self, id: PodId) -> &Pod {
        &self.pods[id.idx()]
    }

    #[inline]
    pub fn node_has_image(&self, node: NodeId, image: ImageId) -> bool {
        let i = image.idx();
        let w = self.node_images[node.idx() * self.image_words + i / 64];
        w & (1 << (i % 64)) != 0
    }

    /// Adds the (empty) image bitset of a new node.
    pub fn push_node_images(&mut self) {
        self.node_images
            .extend(std::iter::repeat_n(0, self.image_words));
    }

    /// Records that `node` now reports `image`; returns false if it already did.
    pub fn add_node_image(&mut self, node: NodeId, image: ImageId) -> bool {
        let i = image.idx();
        let word = &mut self.node_images[node.idx() * self.image_words + i / 64];
        if *word & (1 << (i % 64)) != 0 {
            return false;
        }
        *word |= 1 << (i % 64);
        if self.nodes[node.idx()].state != NodeState::Provisioning {
            self.image_nodes[i] += 1;
        }
        true
    }

    /// The end (exclusive) of the run of same-pool nodes that `registered[idx]` belongs to.
    #[inline]
    pub fn run_end(&self, idx: usize) -> usize {
        self.run_ends[self.run_of[idx] as usize] as usize
    }

    /// Adds a node to the scheduler's node list (it registered with the API server). O(1):
    /// the node extends the last run when it is of the same pool.
    pub fn register(&mut self, id: NodeId) {
        let pool = self.nodes[id.idx()].pool;
        let same_pool = self
            .registered
            .last()
            .is_some_and(|&last| self.nodes[last.idx()].pool == pool);
        self.registered.push(id);
        if same_pool {
            let r = *self.run_of.last().expect("runs follow registered");
            self.run_of.push(r);
            self.run_ends[r as usize] += 1;
        } else {
            self.run_of.push(self.run_ends.len() as u32);
            self.run_ends.push(self.registered.len() as u32);
        }
    }

    /// Removes a node from the scheduler's node list. O(nodes): the list keeps registration
    /// order (the scheduler's scan order), so later entries shift and the runs are rebuilt.
    pub fn unregister(&mut self, id: NodeId) {
        if let Some(i) = self.registered.iter().position(|&r| r == id) {
            self.registered.remove(i);
        }
        self.run_of.clear();
        self.run_ends.clear();
        for i in 0..self.registered.len() {
            let pool = self.nodes[self.registered[i].idx()].pool;
            if i > 0 && self.nodes[self.registered[i - 1].idx()].pool == pool {
                let r = self.run_ends.len() - 1;
                self.run_of.push(r as u32);
                self.run_ends[r] += 1;
            } else {
                self.run_of.push(self.run_ends.len() as u32);
                self.run_ends.push(i as u32 + 1);
            }
        }
    }

    /// Commits a scheduling decision: the pod's requests count on the node from now on.
    pub fn bind(&mut self, pod: PodId, node: NodeId, t: &TemplateSpec, now: u64) {
        let n = &mut self.nodes[node.idx()];
        n.requested.cpu_m += t.requests.cpu_m;
        n.requested.mem += t.requests.mem;
        n.requested.pods += 1;
        n.nonzero.cpu_m += t.nonzero.cpu_m;
        n.nonzero.mem += t.nonzero.mem;
        n.nonzero.pods += 1;
        self.version += 1;
        self.pods_on[node.idx()].push(pod);
        let p = &mut self.pods[pod.idx()];
        p.node = Some(node);
        p.scheduled = Some(now);
    }

    /// Returns a bound pod's requests to its node (the pod failed, was deleted or evicted).
    pub fn release(&mut self, node: NodeId, pod: PodId, t: &TemplateSpec) {
        let on = &mut self.pods_on[node.idx()];
        if let Some(i) = on.iter().position(|&p| p == pod) {
            on.swap_remove(i);
        }
        let n = &mut self.nodes[node.idx()];
        n.requested.cpu_m -= t.requests.cpu_m;
        n.requested.mem -= t.requests.mem;
        n.requested.pods -= 1;
        n.nonzero.cpu_m -= t.nonzero.cpu_m;
        n.nonzero.mem -= t.nonzero.mem;
        n.nonzero.pods -= 1;
        self.version += 1;
    }

    pub fn node_name(&self, spec: &super::Spec, id: NodeId) -> String {
        let n = self.node(id);
        format!("{}-{}", spec.pool(n.pool).name, n.ordinal)
    }
}
