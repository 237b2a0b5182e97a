//! The validated scenario: names resolved to ids, defaults filled, units in integers.
//!
//! Built once by `scenario::validate` and read-only during a run, so every component can hold
//! ids into it instead of cloning specs.

use super::selector::{PreferredTerm, Taint, Term, Toleration};
use super::windows::{IsolationMode, WinVersion};
use super::{ImageId, LayerId, Os, PoolId, TemplateId, WorkloadId};
use std::collections::BTreeMap;

/// CPU (millicores), memory (bytes) and pod count.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Res {
    pub cpu_m: u64,
    pub mem: u64,
    pub pods: u64,
}

#[derive(Clone, Debug)]
pub struct PoolSpec {
    pub name: String,
    pub os: Os,
    pub version: Option<WinVersion>,
    pub arch: String,
    pub capacity: Res,
    pub allocatable: Res,
    pub disk: u64,
    /// Every label a node of this pool carries except its hostname.
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// Bytes per second.
    pub pull_bandwidth: u64,
    /// Unpacked bytes per second.
    pub extraction_rate: u64,
    /// Image pulls a node runs at once (1 = serialized); `u32::MAX` = unlimited.
    pub max_parallel_pulls: u32,
    pub initial_count: u32,
    pub preloaded: Vec<ImageId>,
}

#[derive(Clone, Debug)]
pub struct LayerSpec {
    pub name: String,
    pub size: u64,
    pub unpacked: u64,
}

#[derive(Clone, Debug)]
pub struct PlatformSpec {
    pub os: Os,
    pub version: Option<WinVersion>,
    pub arch: String,
    pub layers: Vec<LayerId>,
    /// Sum of compressed layer sizes: what the node reports in `status.images`.
    pub size: u64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub name: String,
    pub platforms: Vec<PlatformSpec>,
    /// `imagePullPolicy` when a container omits it: Always for `:latest` or no tag.
    pub default_policy: PullPolicy,
}

#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub image: ImageId,
    pub policy: PullPolicy,
    pub cpu_m: u64,
    pub mem: u64,
    pub privileged: bool,
    /// None = the kubelet's per-OS default.
    pub start_delay: Option<u64>,
    /// (initialDelay ms, period ms).
    pub probe: Option<(u64, u64)>,
    /// Init containers: run time before a successful exit.
    pub run_for: u64,
}

#[derive(Clone, Debug)]
pub struct TemplateSpec {
    pub init_containers: Vec<ContainerSpec>,
    pub containers: Vec<ContainerSpec>,
    /// nodeSelector merged with the RuntimeClass's, sorted by key.
    pub node_selector: Vec<(String, String)>,
    pub required: Option<Vec<Term>>,
    pub preferred: Vec<PreferredTerm>,
    /// The pod's tolerations followed by the RuntimeClass's.
    pub tolerations: Vec<Toleration>,
    pub runtime_class: Option<String>,
    pub host_network: bool,
    pub host_process: bool,
    pub isolation: IsolationMode,
    pub priority: i32,
    /// Effective requests (max of init, sum of app containers, plus overheads); pods = 1.
    pub requests: Res,
    /// Requests with the scheduler's non-zero defaults (100m, 200Mi), for scoring only.
    pub nonzero: Res,
    /// Some selector names a per-node label (the hostname), so static filter results cannot
    /// be cached per pool.
    pub per_node_labels: bool,
    /// Every image of the pod, init containers first (ImageLocality).
    pub images: Vec<ImageId>,
    /// Any container privileged.
    pub privileged: bool,
    /// Set when the API server's RuntimeClass admission rejects the pod (a nodeSelector
    /// conflict); such pods are never created.
    pub admission_error: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    DaemonSet,
}

#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    pub kind: WorkloadKind,
    pub replicas: u32,
    pub created_at: Option<u64>,
    pub template: TemplateId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineAction {
    Create(WorkloadId),
    Scale(WorkloadId, u32),
    Delete(WorkloadId),
}

#[derive(Clone, Debug)]
pub struct KubeletConfig {
    pub max_concurrent_downloads: u32,
    pub pull_backoff: (u64, u64),
    pub create_backoff: (u64, u64),
    pub pull_timeout: Option<u64>,
    pub linux_start_delay: u64,
    pub windows_start_delay: u64,
    pub hyperv_start_delay: u64,
    pub hyperv_memory_overhead: u64,
    pub strict_platform_match: bool,
}

#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub percentage_of_nodes_to_score: u32,
    pub initial_backoff: u64,
    pub max_backoff: u64,
    pub max_in_unschedulable: u64,
}

#[derive(Clone, Debug)]
pub struct ControllerConfig {
    pub failed_pod_backoff: (u64, u64),
}

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub seed: u64,
    pub duration: u64,
    pub sample_interval: u64,
    pub kubelet: KubeletConfig,
    pub scheduler: SchedulerConfig,
    pub controllers: ControllerConfig,
    pub pools: Vec<PoolSpec>,
    pub layers: Vec<LayerSpec>,
    pub images: Vec<ImageSpec>,
    pub templates: Vec<TemplateSpec>,
    pub workloads: Vec<WorkloadSpec>,
    pub timeline: Vec<(u64, TimelineAction)>,
}

impl Spec {
    pub fn pool(&self, id: PoolId) -> &PoolSpec {
        &self.pools[id.idx()]
    }
    pub fn template(&self, id: TemplateId) -> &TemplateSpec {
        &self.templates[id.idx()]
    }
}
