//! The validated scenario: names resolved to ids, defaults filled, units in integers.
//!
//! Built once by `scenario::validate` and read-only during a run, so every component can hold
//! ids into it instead of cloning specs.

use super::selector::{PreferredTerm, Taint, TaintEffect, Term, Toleration};
use super::windows::{IsolationMode, WinVersion};
use super::{ImageId, LayerId, Os, PoolId, TemplateId, WorkloadId};
use std::collections::BTreeMap;

/// CPU (millicores), memory (bytes) and pod count. The scalar resources (ephemeral-storage,
/// extended resources) live beside it (`Scalars`: `TemplateSpec::scalar_requests`,
/// `PoolSpec::allocatable_scalar`, `Cluster::scalar_requested`) so that `Res` stays 24 bytes
/// on the hot paths of the many scenarios that use none.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Res {
    pub cpu_m: u64,
    pub mem: u64,
    pub pods: u64,
}

/// Scalar resources a scenario can name: `ephemeral-storage` and up to five extended
/// resources (`nvidia.com/gpu`, `example.com/foo`). A fixed array keeps the amounts `Copy`
/// and the node sums free of allocation; validation refuses a sixth extended resource name.
pub const SCALAR_SLOTS: usize = 6;
/// The slot of `ephemeral-storage` in `Scalars`.
pub const EPHEMERAL_STORAGE: usize = 0;

/// Amounts of the scalar resources, indexed like `Spec::scalar_names`.
pub type Scalars = [u64; SCALAR_SLOTS];

/// Adds `b` to `a`, slot by slot.
#[inline]
pub fn add_scalars(a: &mut Scalars, b: &Scalars) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Subtracts `b` from `a`, slot by slot.
#[inline]
pub fn sub_scalars(a: &mut Scalars, b: &Scalars) {
    for (x, y) in a.iter_mut().zip(b) {
        *x -= y;
    }
}

/// Whether any slot is non-zero.
#[inline]
pub fn any_scalar(a: &Scalars) -> bool {
    a.iter().any(|&v| v > 0)
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
    /// The zones of the pool's nodes: node `ordinal % len` is in `zones[ordinal % len]`. Empty:
    /// no zone label. One zone: also in `labels`. Several: the label differs per node and is
    /// not in `labels` (`scheduler` sees it per node).
    pub zones: Vec<String>,
    pub taints: Vec<Taint>,
    /// Bytes per second.
    pub pull_bandwidth: u64,
    /// Unpacked bytes per second.
    pub extraction_rate: u64,
    /// Image pulls a node runs at once (1 = serialized); `u32::MAX` = unlimited.
    pub max_parallel_pulls: u32,
    pub initial_count: u32,
    pub preloaded: Vec<ImageId>,
    pub autoscale: Option<NodeGroupSpec>,
    pub provisioning: DelayDist,
    pub provisioning_failure_rate: f64,
    pub price_per_hour: f64,
    /// Node names (`Cluster::node_name` reads them).
    pub naming: super::cluster::NodeNaming,
    /// `spec.unschedulable` of the pool's initial nodes: they start cordoned.
    pub unschedulable: bool,
    /// Bytes of `disk` the OS occupies before any image.
    pub os_disk: u64,
    /// Allocatable ephemeral-storage and extended resources (`Spec::scalar_names`' slots).
    pub allocatable_scalar: Scalars,
}

#[derive(Copy, Clone, Debug, PartialEq)]
pub struct NodeGroupSpec {
    pub min: u32,
    pub max: u32,
    pub priority: i32,
}

/// A delay distribution in milliseconds.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum DelayDist {
    Fixed(u64),
    Uniform(u64, u64),
    /// ln(delay in ms) ~ Normal(mu, sigma).
    LogNormal {
        mu: f64,
        sigma: f64,
    },
}

impl DelayDist {
    /// z of the 95th percentile of the standard normal.
    pub const Z95: f64 = 1.644_853_626_951_472_2;

    /// The log-normal whose median and 95th percentile are the given delays.
    pub fn log_normal(median_ms: u64, p95_ms: u64) -> DelayDist {
        let mu = (median_ms as f64).ln();
        let sigma = ((p95_ms as f64).ln() - mu) / Self::Z95;
        DelayDist::LogNormal { mu, sigma }
    }
}

#[derive(Clone, Debug)]
pub struct HpaSpec {
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Piecewise-linear load: (time ms, value), sorted by time.
    pub load: Vec<(u64, f64)>,
    pub capacity_per_pod: f64,
    pub target_utilization: f64,
    pub tolerance: f64,
    pub sync_period: u64,
    /// `behavior.scaleUp.stabilizationWindowSeconds` (0 without a behavior).
    pub scale_up_window: u64,
    /// `behavior.scaleDown.stabilizationWindowSeconds`, else the controller's
    /// `--horizontal-pod-autoscaler-downscale-stabilization`.
    pub scale_down_window: u64,
    /// `spec.behavior` with the API's defaults filled in; `None` (no behavior block) takes the
    /// controller's other path, `normalizeDesiredReplicas`.
    pub behavior: Option<HpaBehaviorSpec>,
}

/// The scaling policies of an HPA with a `behavior` block (k/k `pkg/apis/autoscaling/v2`
/// `HPAScalingRules`), windows excepted (they are on [`HpaSpec`]).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaBehaviorSpec {
    pub scale_up: ScalingRulesSpec,
    pub scale_down: ScalingRulesSpec,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScalingRulesSpec {
    pub select_policy: SelectPolicy,
    pub policies: Vec<ScalingPolicySpec>,
}

/// One `HPAScalingPolicy`: at most `value` pods (or percent) per `period` ms.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ScalingPolicySpec {
    pub kind: PolicyKind,
    pub value: u32,
    pub period: u64,
}

/// `HPAScalingPolicyType` (also the scenario file's `kind` of a policy).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// `ScalingPolicySelect` (also the scenario file's `select_policy`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SelectPolicy {
    #[default]
    Max,
    Min,
    Disabled,
}

impl ScalingRulesSpec {
    /// `GenerateHPAScaleUpRules` defaults (k/k `pkg/apis/autoscaling/v2/defaults.go`): max of
    /// +4 pods and +100 % per 15 s.
    pub fn default_scale_up() -> Self {
        ScalingRulesSpec {
            select_policy: SelectPolicy::Max,
            policies: vec![
                ScalingPolicySpec {
                    kind: PolicyKind::Pods,
                    value: 4,
                    period: 15_000,
                },
                ScalingPolicySpec {
                    kind: PolicyKind::Percent,
                    value: 100,
                    period: 15_000,
                },
            ],
        }
    }

    /// `GenerateHPAScaleDownRules` defaults: −100 % per 15 s.
    pub fn default_scale_down() -> Self {
        ScalingRulesSpec {
            select_policy: SelectPolicy::Max,
            policies: vec![ScalingPolicySpec {
                kind: PolicyKind::Percent,
                value: 100,
                period: 15_000,
            }],
        }
    }

    /// The longest policy period: scale events older than this are never read again.
    pub fn longest_period(&self) -> u64 {
        self.policies.iter().map(|p| p.period).max().unwrap_or(0)
    }
}

/// Where on an HPA's load curve its last read fell (`HpaSpec::load_at_from`): the index of
/// the first point after it, the range of times `[lo, hi)` with that index, and the segment
/// there (or the flat value before the first point and after the last).
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadCursor {
    i: usize,
    lo: u64,
    hi: u64,
    seg: Option<((u64, f64), (u64, f64))>,
    flat: f64,
    valid: bool,
}

impl HpaSpec {
    /// Load at time `t` (ms): linear between points, constant outside them.
    pub fn load_at(&self, t: u64) -> f64 {
        self.load_in(self.load.partition_point(|&(pt, _)| pt <= t), t)
    }

    /// `load_at` for a caller whose times rarely go back (an HPA's syncs): `cursor` holds the
    /// segment of the curve the previous time fell in, so a time in the same segment reads
    /// no point at all, and one in a later segment walks forward from it instead of
    /// binary-searching the whole curve (the points of many HPAs are seldom in cache
    /// together). The same index gives the same arithmetic, so the same value as `load_at`.
    pub fn load_at_from(&self, t: u64, cursor: &mut LoadCursor) -> f64 {
        if !(cursor.valid && cursor.lo <= t && t < cursor.hi) {
            let pts = &self.load;
            let mut i = cursor.i.min(pts.len());
            if i > 0 && pts[i - 1].0 > t {
                i = pts.partition_point(|&(pt, _)| pt <= t);
            }
            while i < pts.len() && pts[i].0 <= t {
                i += 1;
            }
            *cursor = LoadCursor {
                i,
                lo: if i == 0 { 0 } else { pts[i - 1].0 },
                hi: pts.get(i).map_or(u64::MAX, |p| p.0),
                seg: (i > 0 && i < pts.len()).then(|| (pts[i - 1], pts[i])),
                flat: self.load_in(i, t),
                valid: true,
            };
        }
        match cursor.seg {
            Some((a, b)) => interpolate(a, b, t),
            None => cursor.flat,
        }
    }

    /// The load at `t` given `i`, the index of the first point after `t`.
    fn load_in(&self, i: usize, t: u64) -> f64 {
        let pts = &self.load;
        match Some(i).filter(|&i| i < pts.len()) {
            None => pts.last().map_or(0.0, |p| p.1),
            Some(0) => pts[0].1,
            Some(i) => interpolate(pts[i - 1], pts[i], t),
        }
    }
}

/// The load at `t` on the segment from point `a` to point `b` (`a.0 <= t < b.0`): the one
/// formula both ways of reading a curve use, so they agree bit for bit.
#[inline]
fn interpolate((t0, v0): (u64, f64), (t1, v1): (u64, f64), t: u64) -> f64 {
    v0 + (v1 - v0) * ((t - t0) as f64 / (t1 - t0) as f64)
}

/// Cluster-autoscaler expander (also the scenario file's `autoscaler.expander`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ExpanderKind {
    #[default]
    LeastWaste,
    Random,
    MostPods,
    LeastNodes,
    Priority,
    Price,
}

#[derive(Clone, Debug)]
pub struct AutoscalerConfig {
    pub scan_interval: u64,
    pub expander: ExpanderKind,
    pub max_nodes_per_scaleup: u32,
    pub max_node_provision_time: u64,
    pub initial_backoff: u64,
    pub max_backoff: u64,
    pub scale_down_enabled: bool,
    pub scale_down_utilization_threshold: f64,
    pub scale_down_unneeded_time: u64,
    pub scale_down_delay_after_add: u64,
    pub scale_down_delay_after_delete: u64,
    pub scale_down_delay_after_failure: u64,
    pub max_empty_bulk_delete: u32,
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
    /// The limited registry (index into `Spec::registries`) the image comes from, if any.
    pub registry: Option<u16>,
}

/// A registry whose egress is limited (`registries` in the scenario).
#[derive(Clone, Debug)]
pub struct RegistrySpec {
    pub host: String,
    /// Bytes per second, shared by every download from it.
    pub bandwidth: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
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

#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// `terminationGracePeriodSeconds` in ms: an evicted or preempted pod holds its node this
    /// long.
    pub termination_grace_ms: u64,
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
    /// `preemptionPolicy`, from the pod's PriorityClass (Priority admission).
    pub preemption_policy: PreemptionPolicy,
    /// The pod's `metadata.labels` (what other pods' affinity terms select).
    pub labels: std::collections::BTreeMap<String, String>,
    /// `affinity.podAffinity`.
    pub pod_affinity: super::pod_affinity::PodAffinity,
    /// `affinity.podAntiAffinity`.
    pub pod_anti_affinity: super::pod_affinity::PodAffinity,
    /// The host ports of the pod's containers (`ports[].hostPort` > 0), what NodePorts
    /// checks; empty for almost every pod.
    pub host_ports: Vec<HostPort>,
    /// The pod's ephemeral-storage and extended resource requests (`Spec::scalar_names`'
    /// slots); all zero for almost every pod.
    pub scalar_requests: Scalars,
}

/// One `containerPort` with a `hostPort`, as NodePorts sees it (k/k
/// `framework.HostPortInfo`): the empty host IP is stored as `0.0.0.0`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub host_ip: String,
    pub protocol: Protocol,
    pub port: u16,
}

/// `core/v1 Protocol` of a container port (also the scenario file's `protocol`, spelled as
/// the API spells it, hence the acronyms).
#[allow(clippy::upper_case_acronyms)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Protocol {
    /// The API default.
    #[default]
    TCP,
    UDP,
    SCTP,
}

/// `core/v1 PreemptionPolicy` (also the scenario file's `preemption_policy` of a priority
/// class): whether a pod may evict lower-priority pods to make room for itself.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum PreemptionPolicy {
    /// The API default.
    #[default]
    PreemptLowerPriority,
    Never,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    DaemonSet,
    /// A bare Pod: created once, never replaced (nothing owns it).
    Pod,
    /// Runs pods to completion (`WorkloadSpec::job`).
    Job,
    /// The pods of a scenario's trace (`Spec::trace`): created at their arrival by the run,
    /// never by a controller, and never replaced.
    Trace,
}

/// A Job's spec (`batch/v1` JobSpec, the fields that change a run), in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    pub completions: u32,
    pub parallelism: u32,
    pub backoff_limit: u32,
    /// `activeDeadlineSeconds`, from the Job's start.
    pub active_deadline: Option<u64>,
    /// How long each pod runs once its containers have started.
    pub run_time: u64,
    /// (base, max) of the back-off before a failed pod is recreated.
    pub failure_backoff: (u64, u64),
}

#[derive(Clone, Debug)]
pub struct WorkloadSpec {
    pub name: String,
    pub kind: WorkloadKind,
    pub replicas: u32,
    pub created_at: Option<u64>,
    pub template: TemplateId,
    /// Boxed: most workloads have none, and a scenario may hold 100k workloads.
    pub hpa: Option<Box<HpaSpec>>,
    /// Jobs only.
    pub job: Option<JobSpec>,
    /// Deployments only: `spec.strategy.rollingUpdate`.
    pub strategy: RollingUpdateSpec,
    /// Deployments only: the PodDisruptionBudget over the workload's pods.
    pub disruption_budget: Option<super::disruption::Budget>,
    /// `metadata.namespace`: an index into `Spec::namespaces`.
    pub namespace: u32,
}

/// An `IntOrString` of the API: a count, or a percent of the replicas.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

/// `spec.strategy.rollingUpdate` of a Deployment (k/k `pkg/apis/apps/v1/defaults.go`: both
/// 25 % when left out).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RollingUpdateSpec {
    pub max_surge: IntOrPercent,
    pub max_unavailable: IntOrPercent,
}

impl IntOrPercent {
    /// `intstr.GetScaledValueFromIntOrPercent(v, total, roundUp = true)`: an integer as is, a
    /// percentage of `total` rounded up (`math.Ceil(value * total / 100)`).
    pub fn scaled_up(self, total: u32) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => (u64::from(p) * u64::from(total)).div_ceil(100) as u32,
        }
    }
}

impl Default for RollingUpdateSpec {
    fn default() -> Self {
        RollingUpdateSpec {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimelineAction {
    Create(WorkloadId),
    Scale(WorkloadId, u32),
    Delete(WorkloadId),
    /// `kubectl cordon`: sets `spec.unschedulable` on the target's nodes.
    Cordon(NodeTarget),
    /// `kubectl uncordon`.
    Uncordon(NodeTarget),
    /// `kubectl taint nodes … key=value:effect` (overwriting the same key and effect).
    AddTaint(NodeTarget, Taint),
    /// `kubectl taint nodes … key[:effect]-`: removes the key's taints of that effect, or of
    /// every effect when None.
    RemoveTaint(NodeTarget, String, Option<TaintEffect>),
    /// The node stops: its kubelet neither heartbeats nor runs its pods
    /// (`controllers::node_lifecycle`).
    FailNode(FailTarget),
    /// A failed node comes back.
    RecoverNode(FailTarget),
    /// `kubectl set image` / a new pod template: the Deployment rolls its pods to this
    /// template (`controllers::rollout`).
    Rollout(WorkloadId, TemplateId),
    /// `kubectl drain --ignore-daemonsets --delete-emptydir-data`: cordon, then evict the
    /// pods of each node in turn through the eviction API (`controllers::drain`).
    Drain(NodeTarget, DrainOptions),
    /// `az aks nodepool upgrade` to a new node image: surge nodes with the new version, old
    /// nodes cordoned, drained and removed a batch at a time (`controllers::upgrade`).
    UpgradePool(PoolId, UpgradeSpec),
    /// A monthly patch: only the revision changes; nodes are drained and rebooted in place one
    /// at a time (`controllers::upgrade`).
    PatchPool(PoolId, PatchSpec),
}

/// The settings of an `UpgradePool` (AKS `upgradeSettings`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UpgradeSpec {
    /// The version the pool's nodes move to (`10.0.BUILD.REV`).
    pub to: WinVersion,
    /// `maxSurge`: nodes added (and old nodes drained) per batch; a percentage of the pool's
    /// nodes when the upgrade starts, rounded up.
    pub max_surge: IntOrPercent,
    /// `drainTimeoutInMinutes` in ms, per node: past it the upgrade fails.
    pub drain_timeout: u64,
}

/// The settings of a `PatchPool`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PatchSpec {
    /// The revision (`REV` of `10.0.BUILD.REV`) the nodes get.
    pub to_revision: u32,
    /// How long a node is down while it reboots; None: a draw from the pool's provisioning
    /// delay (the node re-registers as a new one would).
    pub reboot: Option<u64>,
    /// Per node, as for an upgrade.
    pub drain_timeout: u64,
}

/// The nodes a `FailNode` / `RecoverNode` applies to, chosen when it runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FailTarget {
    /// The node named `POOL-ORDINAL`, if it exists then.
    Node { pool: PoolId, ordinal: u32 },
    /// `count` nodes of the pool, drawn at random among those that can change (running ones
    /// to fail, failed ones to recover).
    Count { pool: PoolId, count: u32 },
    /// A fraction (in parts per million) of the pool's nodes that exist then, rounded up,
    /// drawn as for `Count`.
    Fraction { pool: PoolId, per_million: u32 },
}

/// The flags of a `Drain`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DrainOptions {
    /// `--timeout` in ms, per node; None waits without limit (kubectl's `--timeout=0s`).
    pub timeout: Option<u64>,
    /// `--force`: evict bare Pods too.
    pub force: bool,
}

/// The nodes a node action applies to, resolved when it runs (nodes come and go).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeTarget {
    /// The node named `POOL-ORDINAL`, if it exists then.
    Node { pool: PoolId, ordinal: u32 },
    /// Every node of the pool that exists then (`kubectl … -l agentpool=POOL`); nodes that
    /// join later come with the pool's own settings.
    Pool(PoolId),
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
    /// `registryPullQPS` (0 = no limit) and `registryBurst`.
    pub registry_pull_qps: f64,
    pub registry_burst: u32,
    /// Image GC thresholds (percent of the disk) and minimum age (ms).
    pub gc_high_percent: u32,
    pub gc_low_percent: u32,
    pub gc_min_age: u64,
    /// Hard eviction thresholds on available disk, percent.
    pub evict_nodefs_percent: u32,
    pub evict_imagefs_percent: u32,
}

#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub percentage_of_nodes_to_score: u32,
    pub initial_backoff: u64,
    pub max_backoff: u64,
    pub max_in_unschedulable: u64,
    /// NodeResourcesFit's `scoringStrategy`.
    pub fit_scoring: FitScoring,
}

/// NodeResourcesFit's scoring strategy (k/k `pkg/scheduler/apis/config` `ScoringStrategy`),
/// resolved: each resource as a slot of `Res` with its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitScoring {
    pub kind: FitScoringKind,
    pub resources: Vec<(ScoredResource, i64)>,
    /// RequestedToCapacityRatio's shape: (utilization 0..=100, score already scaled to
    /// 0..=100), utilization increasing.
    pub shape: Vec<(i64, i64)>,
}

impl Default for FitScoring {
    /// `SetDefaults_NodeResourcesFitArgs`: LeastAllocated over cpu and memory, weight 1 each.
    fn default() -> Self {
        FitScoring {
            kind: FitScoringKind::LeastAllocated,
            resources: vec![(ScoredResource::Cpu, 1), (ScoredResource::Memory, 1)],
            shape: Vec::new(),
        }
    }
}

impl FitScoring {
    /// The upstream default: the scheduler keeps its cpu/memory fast path.
    pub fn is_default(&self) -> bool {
        *self == FitScoring::default()
    }
}

/// `ScoringStrategyType` (also the scenario file's `type` of a scoring strategy).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum FitScoringKind {
    #[default]
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio,
}

/// A resource a scoring strategy weighs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScoredResource {
    Cpu,
    Memory,
    /// A slot of `Scalars` (`ephemeral-storage` or an extended resource).
    Scalar(usize),
}

#[derive(Clone, Debug)]
pub struct ControllerConfig {
    pub failed_pod_backoff: (u64, u64),
    /// `--node-monitor-grace-period` (ms): a node that stops heartbeating is marked NotReady
    /// (Ready=Unknown) this long after.
    pub node_monitor_grace: u64,
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
    pub autoscaler: AutoscalerConfig,
    pub pools: Vec<PoolSpec>,
    pub layers: Vec<LayerSpec>,
    pub images: Vec<ImageSpec>,
    pub templates: Vec<TemplateSpec>,
    pub workloads: Vec<WorkloadSpec>,
    pub timeline: Vec<(u64, TimelineAction)>,
    /// The scenario's `trace:` replay, if any (`model::trace`).
    pub trace: Option<super::trace::TraceSpec>,
    /// Registries with limited egress (empty: every node has its own path to every registry).
    pub registries: Vec<RegistrySpec>,
    /// The names of the `Scalars` slots in use: `ephemeral-storage` first, then the extended
    /// resources the scenario names, sorted.
    pub scalar_names: Vec<String>,
    /// Some template requests a scalar resource (`has_scalars`).
    pub any_scalar_request: bool,
    /// The namespaces workloads and quotas name, sorted; `default` is always there.
    pub namespaces: Vec<String>,
    /// The ResourceQuotas, sorted by (namespace, name): a namespace's are one run
    /// (`quotas_of`). Empty in most scenarios (`has_quotas`).
    pub quotas: Vec<super::quota::QuotaSpec>,
}

impl Spec {
    pub fn pool(&self, id: PoolId) -> &PoolSpec {
        &self.pools[id.idx()]
    }
    pub fn template(&self, id: TemplateId) -> &TemplateSpec {
        &self.templates[id.idx()]
    }
    /// Whether some pod requests ephemeral-storage or an extended resource: without, the node
    /// sums of scalar resources stay zero, no scalar check can fail, and every caller skips
    /// them (one flag test per call, not per node).
    #[inline]
    pub fn has_scalars(&self) -> bool {
        self.any_scalar_request
    }
    /// Whether some ResourceQuota exists: without, pod creation checks nothing and phase
    /// changes keep no namespace usage.
    #[inline]
    pub fn has_quotas(&self) -> bool {
        !self.quotas.is_empty()
    }
    /// The indices in `quotas` of namespace `ns`'s quotas (in name order).
    pub fn quotas_of(&self, ns: u32) -> std::ops::Range<usize> {
        let lo = self.quotas.partition_point(|q| q.namespace < ns);
        let hi = self.quotas.partition_point(|q| q.namespace <= ns);
        lo..hi
    }
    /// Whether any pool is a cluster-autoscaler node group.
    pub fn autoscaling(&self) -> bool {
        self.pools.iter().any(|p| p.autoscale.is_some())
    }
}
