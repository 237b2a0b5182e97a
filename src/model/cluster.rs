//! The live cluster: node and pod arenas indexed by integer ids, plus the indices the hot paths
//! need (registered nodes, per-image node counts).
//!
//! Owns: state that several components read (scheduler, kubelet, controllers, metrics). Does
//! not own: the rules that change it; those live with the component that makes the decision.

use super::windows::WinVersion;
use super::{ImageId, NodeId, PodId, PoolId, Res, TemplateId, TemplateSpec, WorkloadId};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Requested from the cloud, not yet registered.
    Provisioning,
    Ready,
    NotReady,
    Deleted,
}

/// One node. The fields the scheduler's scan reads for every node it visits (pool, state,
/// cordon, the sums and their change stamp) come first and fill the first 64 bytes, and the
/// record is aligned to 64: a visit touches one cache line, not two (`repr(C)` keeps the
/// order, which Rust's default layout is free to change; a test checks the offsets). The
/// line is full: in a pool over several zones, PodTopologySpread's zone of a node reads
/// `ordinal` from the second.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct Node {
    pub pool: PoolId,
    pub state: NodeState,
    /// `spec.unschedulable` (cordoned).
    pub cordoned: bool,
    /// Sum of the requests of the pods bound here (filter).
    pub requested: Res,
    /// `Cluster::sums_changes` when `requested`/`nonzero` last changed (0: never): equal
    /// values mean equal sums, so a score computed from them still holds (the scheduler's
    /// resource-score cache keys on it).
    pub sums_at: u64,
    /// Sum of the non-zero requests of the pods bound here (scoring).
    pub nonzero: Res,
    /// Per-pool ordinal: the node's name is `Cluster::node_name` of it.
    pub ordinal: u32,
    pub created_at: u64,
    pub ready_at: Option<u64>,
    pub deleted_at: Option<u64>,
    /// The node's own Windows version `10.0.BUILD.REV` (None on Linux): its pool's when it
    /// was created, changed by pool upgrades and patches (`controllers::upgrade`). The
    /// container build check and the `node.kubernetes.io/windows-build` label read it.
    pub version: Option<WinVersion>,
}

/// Why a pod is not (yet) Ready, or why it ended. Names match the Kubernetes reasons users see.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    Unschedulable,
    ErrImagePull,
    ErrImageNeverPull,
    ImagePullTimeout,
    CreateContainerError,
    /// No longer produced: upstream's kubelet has no Windows admission check for `privileged`
    /// or `hostNetwork` (docs/upstream.md §11). Kept so the summary keeps its seven keys.
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
    /// How many times some node's `requested`/`nonzero` sums changed (`Node::sums_at`).
    pub sums_changes: u64,
    pub pods: super::pod_arena::PodArena,
    /// Nodes the API server knows (Ready or NotReady), in registration order: the scheduler's
    /// node list. Adding and removing a node is O(log n) (see `node_list`).
    pub registered: super::node_list::NodeList,
    /// Ready nodes per pool; provisioning nodes per pool.
    pub ready_per_pool: Vec<u32>,
    pub provisioning_per_pool: Vec<u32>,
    /// Next node ordinal per pool.
    pub next_ordinal: Vec<u32>,
    /// For ImageLocality: number of registered nodes that report each image.
    pub image_nodes: Vec<u32>,
    /// Pods bound to each node (live ones; removed on release).
    pub pods_on: Vec<Vec<PodId>>,
    /// Per node, how many of `pods_on` are pinned (DaemonSet pods): the autoscaler's
    /// scale-down asks whether a node has any other pod at every tick for every node, and
    /// `pods_on.len() > pinned_on` answers without reading the pods.
    pub pinned_on: Vec<u32>,
    /// Per node, the images it reports (`status.images`): a bitset over image ids,
    /// `image_words` words per node, flat so the scoring loop does not chase pointers.
    pub node_images: Vec<u64>,
    pub image_words: usize,
    /// Per node, its registration number while registered (`u64::MAX` otherwise): orders
    /// registered nodes as `registered` does, so a consumer can keep them in scan order in an
    /// ordered map.
    reg_seq: Vec<u64>,
    next_reg_seq: u64,
    /// Nodes whose requests or registration changed since `take_changed` last ran, each once
    /// (`changed_mark` says which are listed): lets the cluster autoscaler keep its index of
    /// under-utilised nodes up to date without visiting every node each loop.
    changed: Vec<NodeId>,
    changed_mark: Vec<bool>,
    /// Bumped whenever a scheduling input changes (a bind, a node added or removed, resources
    /// freed), so the scheduler can reuse a failure computed for an identical pod.
    pub version: u64,
    /// Zones and pods per workload per node and zone (PodTopologySpread), kept by `bind` and
    /// `release`.
    pub spread: super::topology::SpreadCounts,
    /// Nodes whose taints differ from their pool's (timeline taints, node lifecycle taints).
    pub taint_overlay: super::taint_overlay::TaintOverlay,
    /// Nodes that failed (`FailNode`) and have not recovered: their kubelet runs nothing and
    /// confirms no pod's termination. Empty in the common case.
    pub nodes_down: std::collections::BTreeSet<NodeId>,
    /// Per pool, the version its new nodes are created with: the pool's, until an upgrade
    /// or patch changes the pool's image (`Cluster::set_pool_version`).
    pub pool_version: Vec<Option<WinVersion>>,
    /// Per pool, how many of its nodes (not deleted) carry another build label than the
    /// pool's spec: while 0, every per-pool cache of label-based filter results holds
    /// (the common case; the scheduler checks it before its pool shortcuts).
    pub off_build: Vec<u32>,
    /// The sum of `off_build`: while 0 (every scenario without upgrades or patches), the
    /// per-node build checks on the scheduler's hot path are one compare.
    off_build_total: u32,
    /// The `node.kubernetes.io/windows-build` values of builds nodes carry that no pool's
    /// spec has, so a label lookup borrows a string instead of formatting one.
    build_labels: Vec<(WinVersion, String)>,
    /// Bound pods per template and node for inter-pod affinity (`PodsByTemplate`), kept by
    /// `bind` and `release`; empty in a scenario without pod affinity terms.
    pub affinity_pods: super::pod_affinity::PodsByTemplate,
    /// Per node, the scalar resources its pods request (ephemeral-storage, extended
    /// resources), kept by `bind` and `release` only for pods that request some: grows on
    /// first use, so it stays empty in a scenario without them. Read with `scalar_requested`.
    scalar_requested: Vec<super::Scalars>,
    /// Per pool, its nodes (deleted ones included) in creation order, which is ordinal
    /// order: finds a node by name or a pool's nodes without visiting every node.
    pool_nodes: Vec<Vec<NodeId>>,
    /// DaemonSet pods (the only pinned pods) that stopped holding their node (deleted, or
    /// their termination ended) since the DaemonSet controller last looked: it takes them
    /// (`controllers::daemon_index`) to keep its count of the pods on each node without
    /// going over every pod of the DaemonSet at each sync. Pushed by `controllers::delete_pod`
    /// and `controllers::finish_termination`, the only ways such a pod leaves.
    pub daemon_pods_left: Vec<PodId>,
    /// Nodes whose build label changed in place (`set_node_version`) since the DaemonSet
    /// controller last looked: a DaemonSet selecting on the build re-checks whether it may
    /// run on each registered one (`controllers::daemon_index`). Kept only while
    /// `watch_rebuilt`.
    pub nodes_rebuilt: Vec<NodeId>,
    /// Whether a DaemonSet selecting on the Windows build label exists (set by the DaemonSet
    /// controller): without one, `set_node_version` records nothing.
    pub watch_rebuilt: bool,
    /// By registration number, registered nodes a DaemonSet may now run on where it could
    /// not (back Ready, or their own taints changed: `note_node_eligible`) and nodes that
    /// left (`unregister`), since the DaemonSet controller last looked: it moves each from a
    /// DaemonSet's parked nodes back to the ones its next sync visits
    /// (`controllers::daemon_index`). Kept only while `watch_parked`.
    pub nodes_eligible: Vec<u64>,
    /// Whether some DaemonSet may have parked nodes (set by the DaemonSet controller when a
    /// sync parks one, cleared when it takes `nodes_eligible` and none has): without, a
    /// readiness or taint change records nothing (the common case).
    pub watch_parked: bool,
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
            pool_version: vec![None; pools],
            off_build: vec![0; pools],
            pool_nodes: vec![Vec::new(); pools],
            ..Default::default()
        }
    }

    /// An empty cluster for `spec`, with its zone table.
    pub fn for_spec(spec: &super::Spec) -> Cluster {
        Cluster {
            spread: super::topology::SpreadCounts::new(spec),
            pool_version: spec.pools.iter().map(|p| p.version).collect(),
            affinity_pods: super::pod_affinity::PodsByTemplate::new(super::pod_affinity::tracked(
                &spec.templates,
            )),
            ..Cluster::new(spec.pools.len(), spec.images.len())
        }
    }

    /// Whether `a` and `b` give the same `node.kubernetes.io/windows-build` label.
    pub fn same_build(a: Option<WinVersion>, b: Option<WinVersion>) -> bool {
        a.map(|v| (v.major, v.minor, v.build)) == b.map(|v| (v.major, v.minor, v.build))
    }

    /// Whether `node`'s build label differs from its pool spec's (after an upgrade).
    #[inline]
    pub fn off_pool_build(&self, spec: &super::Spec, node: NodeId) -> bool {
        if self.off_build_total == 0 {
            return false;
        }
        let n = &self.nodes[node.idx()];
        self.off_build.get(n.pool.idx()).is_some_and(|&c| c > 0)
            && !Self::same_build(n.version, spec.pool(n.pool).version)
    }

    /// `node`'s `node.kubernetes.io/windows-build` value when it differs from its pool
    /// spec's (None otherwise: the pool's labels hold it). Allocation-free.
    #[inline]
    pub fn build_label(&self, spec: &super::Spec, node: NodeId) -> Option<&str> {
        if !self.off_pool_build(spec, node) {
            return None;
        }
        let v = self.nodes[node.idx()].version?;
        self.build_labels
            .iter()
            .find(|(b, _)| Self::same_build(Some(*b), Some(v)))
            .map(|(_, l)| l.as_str())
    }

    /// New nodes of `pool` get `version` from now on (the pool's image changed).
    pub fn set_pool_version(&mut self, pool: PoolId, version: WinVersion) {
        self.pool_version[pool.idx()] = Some(version);
        self.note_build_label(version);
    }

    /// Keeps `version`'s build label for `build_label` to lend.
    fn note_build_label(&mut self, version: WinVersion) {
        if !self
            .build_labels
            .iter()
            .any(|(b, _)| Self::same_build(Some(*b), Some(version)))
        {
            self.build_labels.push((version, version.build_label()));
        }
    }

    /// Changes `node`'s version (a reimage or a patch), keeping `off_build` right and, when
    /// its build label changes, telling the DaemonSet index (`nodes_rebuilt`).
    pub fn set_node_version(&mut self, spec: &super::Spec, node: NodeId, version: WinVersion) {
        let pool = self.nodes[node.idx()].pool;
        let base = spec.pool(pool).version;
        let old = self.nodes[node.idx()].version;
        let was_off = !Self::same_build(old, base);
        let now_off = !Self::same_build(Some(version), base);
        self.nodes[node.idx()].version = Some(version);
        // Also when no pool's image carries the build (a reimage outside an upgrade).
        self.note_build_label(version);
        if self.watch_rebuilt && !Self::same_build(old, Some(version)) {
            self.nodes_rebuilt.push(node);
        }
        if was_off != now_off {
            self.count_off_build(pool, now_off);
        }
        self.version += 1;
    }

    /// A node of `pool` started (`on`) or stopped (deleted) counting as off its pool's build.
    pub fn count_off_build(&mut self, pool: PoolId, on: bool) {
        let c = &mut self.off_build[pool.idx()];
        if on {
            *c += 1;
            self.off_build_total += 1;
        } else {
            *c -= 1;
            self.off_build_total -= 1;
        }
    }

    /// Whether some node carries another build than its pool spec (an upgrade or patch is
    /// under way or left nodes behind).
    #[inline]
    pub fn any_off_build(&self) -> bool {
        self.off_build_total > 0
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

    /// Records that `node` no longer reports `image` (image garbage collection); returns false
    /// if it did not.
    pub fn remove_node_image(&mut self, node: NodeId, image: ImageId) -> bool {
        let i = image.idx();
        let word = &mut self.node_images[node.idx() * self.image_words + i / 64];
        if *word & (1 << (i % 64)) == 0 {
            return false;
        }
        *word &= !(1 << (i % 64));
        if self.nodes[node.idx()].state != NodeState::Provisioning {
            self.image_nodes[i] -= 1;
        }
        true
    }

    /// Notes that `id`'s requests or registration changed (see `take_changed`). O(1).
    fn mark_changed(&mut self, id: NodeId) {
        let i = id.idx();
        if self.changed_mark.len() <= i {
            self.changed_mark.resize(i + 1, false);
        }
        if !self.changed_mark[i] {
            self.changed_mark[i] = true;
            self.changed.push(id);
        }
    }

    /// Moves the nodes changed since the last call (bind, release, register, unregister; each
    /// once, in first-change order) into `out`, which is cleared first.
    pub fn take_changed(&mut self, out: &mut Vec<NodeId>) {
        out.clear();
        std::mem::swap(out, &mut self.changed);
        for n in out.iter() {
            self.changed_mark[n.idx()] = false;
        }
    }

    /// The registration number of a registered node (None if it is not registered): orders
    /// registered nodes as `registered` does.
    pub fn registration_seq(&self, id: NodeId) -> Option<u64> {
        self.reg_seq
            .get(id.idx())
            .copied()
            .filter(|&s| s != u64::MAX)
    }

    /// Creates a node (not registered yet): its id, an empty image set and pod list.
    pub fn add_node(&mut self, node: Node) -> NodeId {
        let id = NodeId::from_idx(self.nodes.len());
        let pool = node.pool.idx();
        if self.pool_nodes.len() <= pool {
            self.pool_nodes.resize(pool + 1, Vec::new());
        }
        self.pool_nodes[pool].push(id);
        self.nodes.push(node);
        self.push_node_images();
        self.pods_on.push(Vec::new());
        self.pinned_on.push(0);
        id
    }

    /// The nodes of `pool` ever created (deleted ones included), in ordinal order.
    pub fn pool_nodes(&self, pool: PoolId) -> &[NodeId] {
        self.pool_nodes.get(pool.idx()).map_or(&[], Vec::as_slice)
    }

    /// The node of `pool` with `ordinal`, if one was created. O(log n).
    pub fn node_by_ordinal(&self, pool: PoolId, ordinal: u32) -> Option<NodeId> {
        let list = self.pool_nodes(pool);
        list.binary_search_by_key(&ordinal, |n| self.nodes[n.idx()].ordinal)
            .ok()
            .map(|i| list[i])
    }

    /// Adds a node to the scheduler's node list (it registered with the API server).
    /// O(log n).
    pub fn register(&mut self, id: NodeId) {
        if self.reg_seq.len() <= id.idx() {
            self.reg_seq.resize(id.idx() + 1, u64::MAX);
        }
        if self.reg_seq[id.idx()] != u64::MAX {
            return;
        }
        self.reg_seq[id.idx()] = self.next_reg_seq;
        self.next_reg_seq += 1;
        self.mark_changed(id);
        let pool = self.nodes[id.idx()].pool;
        self.registered.push(id, pool);
    }

    /// Removes a node from the scheduler's node list, keeping the order of the others (the
    /// scheduler's scan order). O(log n), plus an amortised O(1) compaction.
    pub fn unregister(&mut self, id: NodeId) {
        if self.registration_seq(id).is_none() {
            return;
        }
        if self.watch_parked {
            // Out of any DaemonSet's parked nodes, to be dropped by the sync's walk.
            self.nodes_eligible.push(self.reg_seq[id.idx()]);
        }
        self.reg_seq[id.idx()] = u64::MAX;
        self.mark_changed(id);
        self.registered.remove(id);
    }

    /// A registered `node` turned Ready or its own taints changed (`Cluster::taint_overlay`):
    /// a DaemonSet that parked it (not Ready, or a taint it does not tolerate) looks at it
    /// again (`nodes_eligible`). O(1); nothing while no DaemonSet has parked nodes.
    #[inline]
    pub fn note_node_eligible(&mut self, node: NodeId) {
        if self.watch_parked
            && let Some(seq) = self.registration_seq(node)
        {
            self.nodes_eligible.push(seq);
        }
    }

    /// The scalar resources `node`'s pods request (all zero when none does).
    #[inline]
    pub fn scalar_requested(&self, node: NodeId) -> super::Scalars {
        self.scalar_requested
            .get(node.idx())
            .copied()
            .unwrap_or([0; super::SCALAR_SLOTS])
    }

    /// Commits a scheduling decision: the pod's requests count on the node from now on.
    pub fn bind(&mut self, pod: PodId, node: NodeId, t: &TemplateSpec, now: u64) {
        self.sums_changes += 1;
        let n = &mut self.nodes[node.idx()];
        n.sums_at = self.sums_changes;
        n.requested.cpu_m += t.requests.cpu_m;
        n.requested.mem += t.requests.mem;
        n.requested.pods += 1;
        n.nonzero.cpu_m += t.nonzero.cpu_m;
        n.nonzero.mem += t.nonzero.mem;
        n.nonzero.pods += 1;
        self.registered.note_sums_changed(node, false);
        if super::any_scalar(&t.scalar_requests) {
            if self.scalar_requested.len() <= node.idx() {
                self.scalar_requested.resize(
                    self.nodes.len().max(node.idx() + 1),
                    [0; super::SCALAR_SLOTS],
                );
            }
            super::add_scalars(&mut self.scalar_requested[node.idx()], &t.scalar_requests);
        }
        self.version += 1;
        self.mark_changed(node);
        self.pods_on[node.idx()].push(pod);
        let n = &self.nodes[node.idx()];
        let zone = self.spread.zone_of(n.pool, n.ordinal);
        let p = &mut self.pods[pod.idx()];
        self.pinned_on[node.idx()] += u32::from(p.pinned.is_some());
        self.spread.update(p.workload, node, zone, true);
        self.affinity_pods.update(p.template, node, true);
        p.node = Some(node);
        p.scheduled = Some(now);
    }

    /// Returns a bound pod's requests to its node (the pod failed, was deleted or evicted).
    pub fn release(&mut self, node: NodeId, pod: PodId, t: &TemplateSpec) {
        let on = &mut self.pods_on[node.idx()];
        if let Some(i) = on.iter().position(|&p| p == pod) {
            on.swap_remove(i);
            self.pinned_on[node.idx()] -= u32::from(self.pods[pod.idx()].pinned.is_some());
        }
        self.sums_changes += 1;
        let n = &mut self.nodes[node.idx()];
        n.sums_at = self.sums_changes;
        n.requested.cpu_m -= t.requests.cpu_m;
        n.requested.mem -= t.requests.mem;
        n.requested.pods -= 1;
        n.nonzero.cpu_m -= t.nonzero.cpu_m;
        n.nonzero.mem -= t.nonzero.mem;
        n.nonzero.pods -= 1;
        self.registered.note_sums_changed(node, true);
        if super::any_scalar(&t.scalar_requests) {
            super::sub_scalars(&mut self.scalar_requested[node.idx()], &t.scalar_requests);
        }
        self.version += 1;
        let n = &self.nodes[node.idx()];
        let zone = self.spread.zone_of(n.pool, n.ordinal);
        self.spread
            .update(self.pods[pod.idx()].workload, node, zone, false);
        self.affinity_pods
            .update(self.pods[pod.idx()].template, node, false);
        self.mark_changed(node);
    }

    /// The node's taints: its own if they differ from its pool's, else the pool's.
    #[inline]
    pub fn taints<'a>(&'a self, spec: &'a super::Spec, id: NodeId) -> &'a [super::selector::Taint] {
        match self.taint_overlay.get(id) {
            Some(t) => t,
            None => &spec.pool(self.nodes[id.idx()].pool).taints,
        }
    }

    /// The one place node names come from: the pool's listed names for its initial nodes,
    /// then names in the pattern those names follow, else `POOL-N`.
    pub fn node_name(&self, spec: &super::Spec, id: NodeId) -> String {
        let n = self.node(id);
        let pool = spec.pool(n.pool);
        pool.naming.name(&pool.name, n.ordinal)
    }

    /// A pod's name: a bare Pod keeps its workload's name; controller-made pods are
    /// `WORKLOAD-N` (what pods.csv prints).
    pub fn pod_name(&self, spec: &super::Spec, id: PodId) -> String {
        let p = self.pod(id);
        let wl = &spec.workloads[p.workload.idx()];
        if wl.kind == super::WorkloadKind::Pod {
            wl.name.clone()
        } else {
            format!("{}-{}", wl.name, p.ordinal)
        }
    }
}

/// How a pool's nodes are named: the names of its initial nodes (imported from a real
/// cluster), and the pattern the cloud's node-group gives new ones, inferred from those names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeNaming {
    /// Names of the nodes with ordinals 0, 1, …; empty gives every node `POOL-N`.
    pub names: Vec<String>,
    pub pattern: Option<NamePattern>,
}

/// A cloud's node naming, continued past the highest number among the imported names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamePattern {
    /// `PREFIX` then a base-36 number of `width` digits (lowercase): AKS Linux
    /// `aks-<pool>-<id>-vmss<6>` (the VMSS instance id), AKS Windows `<prefix><6>`
    /// (`akswin22000017`), GKE `gke-<cluster>-<pool>-<hash>-<4>`.
    Base36 {
        prefix: String,
        width: usize,
        next: u64,
    },
    /// EKS `ip-A-B-C-D<SUFFIX>` (`ip-10-0-1-23.eu-west-1.compute.internal`): the next private
    /// addresses after the highest imported one.
    Ipv4 { suffix: String, next: u32 },
}

impl NodeNaming {
    /// The name of the node with `ordinal` in the pool named `pool`.
    pub fn name(&self, pool: &str, ordinal: u32) -> String {
        let i = ordinal as usize;
        if let Some(n) = self.names.get(i) {
            return n.clone();
        }
        let k = (i - self.names.len()) as u64;
        match &self.pattern {
            Some(NamePattern::Base36 {
                prefix,
                width,
                next,
            }) => format!("{prefix}{}", base36(next + k, *width)),
            Some(NamePattern::Ipv4 { suffix, next }) => {
                let ip = next.wrapping_add(k as u32).to_be_bytes();
                format!("ip-{}-{}-{}-{}{suffix}", ip[0], ip[1], ip[2], ip[3])
            }
            None => format!("{pool}-{ordinal}"),
        }
    }

    /// The naming for a pool whose initial nodes have `names`: the first pattern all of them
    /// follow (same prefix and width of a base-36 tail, or all `ip-A-B-C-D` with one suffix),
    /// continued after their highest number; none when they follow none.
    pub fn infer(names: Vec<String>) -> NodeNaming {
        let pattern = infer_pattern(&names);
        NodeNaming { names, pattern }
    }
}

fn base36(mut v: u64, width: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while v > 0 {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

fn parse_base36(s: &str) -> Option<u64> {
    s.chars().try_fold(0u64, |acc, c| {
        let d = c.to_digit(36).filter(|_| !c.is_ascii_uppercase())?;
        acc.checked_mul(36)?.checked_add(d as u64)
    })
}

fn parse_ip_name(name: &str) -> Option<(u32, &str)> {
    let rest = name.strip_prefix("ip-")?;
    let mut parts = [0u8; 4];
    let mut rest = rest;
    for (i, part) in parts.iter_mut().enumerate() {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        *part = rest[..end].parse().ok()?;
        rest = &rest[end..];
        if i < 3 {
            rest = rest.strip_prefix('-')?;
        }
    }
    Some((u32::from_be_bytes(parts), rest))
}

fn infer_pattern(names: &[String]) -> Option<NamePattern> {
    let first = names.first()?;
    // EKS: every name an address with the same suffix.
    if let Some((_, suffix)) = parse_ip_name(first) {
        let ips: Option<Vec<u32>> = names
            .iter()
            .map(|n| {
                parse_ip_name(n)
                    .filter(|(_, s)| *s == suffix)
                    .map(|(ip, _)| ip)
            })
            .collect();
        if let Some(ips) = ips {
            let max = ips.into_iter().max()?;
            return Some(NamePattern::Ipv4 {
                suffix: suffix.to_string(),
                next: max.checked_add(1)?,
            });
        }
    }
    // GKE: a 4-character tail after the last '-'; AKS (Linux `aks-…-vmss`, Windows
    // `aks<pool>`): a 6-digit base-36 tail. Other names (`worker-1`, `minikube`) follow no
    // pattern a node group continues.
    let width = if first.starts_with("gke-") {
        4
    } else if first.starts_with("aks") {
        6
    } else {
        return None;
    };
    if first.len() <= width || !first.is_char_boundary(first.len() - width) {
        return None;
    }
    let prefix = &first[..first.len() - width];
    if first.starts_with("gke-") && !prefix.ends_with('-') {
        return None;
    }
    let mut max = 0;
    for n in names {
        let tail = n.strip_prefix(prefix).filter(|t| t.len() == width)?;
        max = max.max(parse_base36(tail)?);
    }
    Some(NamePattern::Base36 {
        prefix: prefix.to_string(),
        width,
        next: max + 1,
    })
}

#[cfg(test)]
mod naming_tests {
    use super::*;

    fn names(ns: &[&str]) -> Vec<String> {
        ns.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aks_vmss_names_continue_after_the_highest_base36_instance_id() {
        // Instance ids 00000a (10) and 000009 (9): the next is 11 = "00000b", then "00000c".
        let n = NodeNaming::infer(names(&[
            "aks-system-12345678-vmss00000a",
            "aks-system-12345678-vmss000009",
        ]));
        assert_eq!(n.name("system", 0), "aks-system-12345678-vmss00000a");
        assert_eq!(n.name("system", 1), "aks-system-12345678-vmss000009");
        assert_eq!(n.name("system", 2), "aks-system-12345678-vmss00000b");
        assert_eq!(n.name("system", 3), "aks-system-12345678-vmss00000c");
    }

    #[test]
    fn aks_windows_names_keep_their_prefix_and_six_digits() {
        // akswin22 + 00000z (35) → 36 = "000010" in base 36.
        let n = NodeNaming::infer(names(&["akswin2200000z"]));
        assert_eq!(n.name("win22", 1), "akswin22000010");
    }

    #[test]
    fn eks_names_take_the_next_addresses() {
        // 10.0.1.255 is the highest: next 10.0.2.0, then 10.0.2.1.
        let n = NodeNaming::infer(names(&[
            "ip-10-0-1-23.eu-west-1.compute.internal",
            "ip-10-0-1-255.eu-west-1.compute.internal",
        ]));
        assert_eq!(n.name("ng", 2), "ip-10-0-2-0.eu-west-1.compute.internal");
        assert_eq!(n.name("ng", 3), "ip-10-0-2-1.eu-west-1.compute.internal");
    }

    #[test]
    fn gke_names_continue_the_four_character_tail() {
        // Tails "x7kq" and "0001": x7kq = 33·36³ + 7·36² + 20·36 + 26 = 1,549,466; next
        // 1,549,467 = "x7kr".
        let n = NodeNaming::infer(names(&[
            "gke-prod-pool-1-8c1f2a3b-0001",
            "gke-prod-pool-1-8c1f2a3b-x7kq",
        ]));
        assert_eq!(n.name("pool-1", 2), "gke-prod-pool-1-8c1f2a3b-x7kr");
    }

    #[test]
    fn names_without_a_known_pattern_fall_back_to_pool_and_ordinal() {
        let n = NodeNaming::infer(names(&["worker-a", "worker-b"]));
        assert_eq!(n.name("w", 1), "worker-b");
        assert_eq!(n.name("w", 2), "w-2");
        // Mixed patterns (one AKS name among others) are no pattern either.
        let n = NodeNaming::infer(names(&["aks-a-1-vmss000000", "other"]));
        assert_eq!(n.pattern, None);
        assert_eq!(NodeNaming::default().name("linux", 7), "linux-7");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_a_scan_reads_share_the_first_cache_line_of_a_node() {
        use std::mem::{align_of, offset_of, size_of};
        // `Scheduler::scan` and `node_score` read pool, state, cordon, requested, sums_at
        // and nonzero of every node they visit: with the record aligned to 64, each field
        // ends at or before byte 64 (offset + size), so one line holds them all.
        assert_eq!(align_of::<Node>(), 64);
        let ends = [
            offset_of!(Node, pool) + size_of::<PoolId>(),
            offset_of!(Node, state) + size_of::<NodeState>(),
            offset_of!(Node, cordoned) + size_of::<bool>(),
            offset_of!(Node, requested) + size_of::<Res>(),
            offset_of!(Node, sums_at) + size_of::<u64>(),
            offset_of!(Node, nonzero) + size_of::<Res>(),
        ];
        assert!(ends.iter().all(|&e| e <= 64), "{ends:?}");
        // Two lines in all: the alignment does not grow the record past what it held.
        assert_eq!(size_of::<Node>(), 128);
    }

    fn cluster_with_pools(pools: &[usize]) -> Cluster {
        let mut cl = Cluster::new(3, 0);
        for &p in pools {
            let ordinal = cl.next_ordinal[p];
            cl.next_ordinal[p] += 1;
            cl.add_node(Node {
                pool: PoolId::from_idx(p),
                ordinal,
                state: NodeState::Ready,
                cordoned: false,
                requested: Res::default(),
                nonzero: Res::default(),
                created_at: 0,
                ready_at: Some(0),
                deleted_at: None,
                version: None,
                sums_at: 0,
            });
        }
        cl
    }

    fn ids(cl: &Cluster) -> Vec<usize> {
        cl.registered.iter().map(|n| n.idx()).collect()
    }

    #[test]
    fn unregistering_keeps_the_order_of_the_other_nodes() {
        // Nodes 0..=6 of pools a a b b a c c, registered 0..=5 in order.
        let mut cl = cluster_with_pools(&[0, 0, 1, 1, 0, 2, 2]);
        for i in 0..6 {
            cl.register(NodeId::from_idx(i));
        }
        cl.unregister(NodeId::from_idx(1));
        assert_eq!(ids(&cl), [0, 2, 3, 4, 5]);
        cl.unregister(NodeId::from_idx(4));
        assert_eq!(ids(&cl), [0, 2, 3, 5]);
        // Unregistering a node twice, or one never registered, changes nothing; registering
        // a registered node again neither.
        cl.unregister(NodeId::from_idx(4));
        cl.unregister(NodeId::from_idx(6));
        cl.register(NodeId::from_idx(5));
        assert_eq!(ids(&cl), [0, 2, 3, 5]);
        cl.unregister(NodeId::from_idx(0));
        // Node 6 registers last: it comes last.
        cl.register(NodeId::from_idx(6));
        assert_eq!(ids(&cl), [2, 3, 5, 6]);
        // Registration numbers follow the list's order; removed nodes have none.
        let seqs: Vec<u64> = cl
            .registered
            .iter()
            .map(|n| cl.registration_seq(n).unwrap())
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_eq!(cl.registration_seq(NodeId::from_idx(1)), None);
    }

    #[test]
    fn a_node_is_found_by_pool_and_ordinal_among_its_pools_nodes_only() {
        // Pools a a b b a c c: pool a holds nodes 0 1 4 with ordinals 0 1 2, pool b nodes 2 3
        // (ordinals 0 1), pool c nodes 5 6.
        let cl = cluster_with_pools(&[0, 0, 1, 1, 0, 2, 2]);
        let a = PoolId::from_idx(0);
        let found: Vec<Option<usize>> = (0..4)
            .map(|o| cl.node_by_ordinal(a, o).map(|n| n.idx()))
            .collect();
        assert_eq!(found, [Some(0), Some(1), Some(4), None]);
        assert_eq!(
            cl.node_by_ordinal(PoolId::from_idx(1), 1),
            Some(NodeId::from_idx(3))
        );
        let c: Vec<usize> = cl
            .pool_nodes(PoolId::from_idx(2))
            .iter()
            .map(|n| n.idx())
            .collect();
        assert_eq!(c, [5, 6]);
        // A pool the cluster never saw has no nodes.
        assert!(cl.pool_nodes(PoolId::from_idx(9)).is_empty());
    }

    #[test]
    fn changed_nodes_are_listed_once_each_until_taken() {
        // Registering 0, 1 and 2, then unregistering 1, touches 0, 1, 2 (1 twice: listed
        // once). After taking them the list is empty until the next change.
        let mut cl = cluster_with_pools(&[0, 0, 0]);
        for i in 0..3 {
            cl.register(NodeId::from_idx(i));
        }
        cl.unregister(NodeId::from_idx(1));
        let mut out = Vec::new();
        cl.take_changed(&mut out);
        assert_eq!(out.iter().map(|n| n.idx()).collect::<Vec<_>>(), [0, 1, 2]);
        cl.take_changed(&mut out);
        assert!(out.is_empty());
        cl.unregister(NodeId::from_idx(2));
        cl.take_changed(&mut out);
        assert_eq!(out.iter().map(|n| n.idx()).collect::<Vec<_>>(), [2]);
    }
}
