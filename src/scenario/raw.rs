//! The scenario file as written: serde structures that mirror the RON text one to one.
//!
//! Owns: field names, defaults and unit parsing of the file format. Does not own: cross
//! references (image, pool or RuntimeClass names) or semantic checks; `validate` turns these raw
//! structures into the resolved `model::Spec` the simulation uses. Keeping the two apart lets
//! `hybridsim import` write scenarios through the same types that read them, so a round trip
//! loses nothing.
//!
//! Field names follow the Kubernetes API in snake_case (`node_selector`, `tolerations`,
//! `runtime_class_name`, `host_network`) so that a manifest reader can map them by eye.

use super::defaults as d;
use super::intern::{ByContent, print_of};
pub use super::presets::{NetworkPlugin, Preset};
use super::units::{Bytes, Cpu, Duration, Rate};
pub use crate::model::Os;
pub use crate::model::selector::{
    NodeAffinity, PreferredTerm, Requirement, SelectorOperator, Taint, TaintEffect, Term,
    Toleration, TolerationOperator,
};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::sync::Arc;

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
fn default_seed() -> u64 {
    d::SEED
}
fn default_sample_interval() -> Duration {
    Duration(d::SAMPLE_INTERVAL_MS)
}
fn default_one() -> u32 {
    1
}
fn is_one(v: &u32) -> bool {
    *v == 1
}
fn default_arch() -> String {
    d::ARCH.into()
}
fn is_amd64(s: &str) -> bool {
    s == d::ARCH
}
fn default_created_at() -> Option<Duration> {
    Some(Duration(0))
}
fn is_created_at_start(v: &Option<Duration>) -> bool {
    *v == Some(Duration(0))
}
fn default_period() -> Duration {
    Duration(d::PROBE_PERIOD_MS)
}

/// A whole scenario file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Seed of every random stream; `--seed` overrides it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time span of the run.
    pub duration: Duration,
    /// Spacing of the rows of `timeseries.csv`.
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Duration,
    #[serde(default, skip_serializing_if = "is_default")]
    pub kubelet: KubeletSettings,
    #[serde(default, skip_serializing_if = "is_default")]
    pub scheduler: SchedulerSettings,
    #[serde(default, skip_serializing_if = "is_default")]
    pub controllers: ControllerSettings,
    #[serde(default, skip_serializing_if = "is_default")]
    pub autoscaler: AutoscalerSettings,
    pub pools: Vec<Pool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
    pub images: Vec<Image>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_classes: Vec<RuntimeClass>,
    /// PriorityClasses templates name in `priority_class_name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_classes: Vec<PriorityClass>,
    pub workloads: Vec<Workload>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
    /// Named overlays for `hybridsim compare` (docs/experiments.md); `run` ignores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// SLOs `hybridsim check` evaluates, e.g. `"windows p99 startup < 300s"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<String>,
    /// Bounds on the estimated size of a run; raise them to run a larger scenario.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: Limits,
    /// A trace to replay (docs/traces.md): one pod per row, path relative to the scenario file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The pod every trace row is stamped from; required with `trace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_template: Option<PodTemplate>,
    /// Registries whose egress is limited: their bandwidth is shared by every node pulling
    /// from them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registries: Vec<Registry>,
    /// The cloud preset of every pool that names none, and of the cluster autoscaler's
    /// profile (docs/presets.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// ResourceQuotas: pod creations in their namespace that would exceed them are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_quotas: Vec<ResourceQuota>,
}

/// A registry with limited egress, e.g. `(host: "mcr.microsoft.com", bandwidth: "1GB/s")`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// The registry host of image names, as a Docker reference reads it: the first path
    /// component when it has a `.` or `:` or is `localhost`, else `docker.io`.
    pub host: String,
    /// Egress shared by every download from this registry.
    pub bandwidth: Rate,
}

/// Bounds on the size of one run, checked against an estimate before anything runs
/// (docs/scenario-format.md `limits`). The defaults are what a laptop survives.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Pods created over the run.
    pub max_pods: u64,
    /// Nodes at their largest (initial counts, autoscaler maxima).
    pub max_nodes: u64,
    /// Rows of `timeseries.csv`.
    pub max_samples: u64,
    /// Simulation events (a bound on run time).
    pub max_events: u64,
    /// Estimated peak memory of the run.
    pub max_memory: Bytes,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pods: d::LIMIT_PODS,
            max_nodes: d::LIMIT_NODES,
            max_samples: d::LIMIT_SAMPLES,
            max_events: d::LIMIT_EVENTS,
            max_memory: Bytes(d::LIMIT_MEMORY),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "is_default")]
    pub cpu: Cpu,
    #[serde(default, skip_serializing_if = "is_default")]
    pub memory: Bytes,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Reserved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
}

/// A node pool: identical nodes sharing a VM shape, OS build, labels and taints.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub name: String,
    pub os: Os,
    /// Windows only: the full host version `10.0.BUILD.REVISION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default = "default_arch", skip_serializing_if = "is_amd64")]
    pub arch: String,
    /// Required unless the pool's preset knows its `instance_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    /// Required unless the pool's preset knows its `instance_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
    /// Left out: the preset's OS disk, else [`d::DISK_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<Bytes>,
    /// Left out: the preset's max pods for its network plugin, else [`d::MAX_PODS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
    /// kube-reserved + system-reserved; each part omitted defaults from the AKS tables
    /// (docs/scenario-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<Reserved>,
    /// Hard eviction threshold on memory, subtracted from allocatable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_threshold: Option<Bytes>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Registry download bandwidth of one node, shared by its concurrent layer downloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_bandwidth: Option<Rate>,
    /// Unpacked bytes per second the node's snapshotter extracts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extraction_rate: Option<Rate>,
    /// Kubelet `maxParallelImagePulls` for this pool; overrides the scenario's kubelet setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_image_pulls: Option<u32>,
    /// Nodes present and Ready at time zero.
    #[serde(default)]
    pub count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Zones the pool's nodes are spread over in turn (node ordinal modulo the count), as a
    /// node group spanning zones; instead of `zone`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Images already in every node's cache when it boots (e.g. AKS Windows node images cache
    /// the Server Core and Nano Server bases).
    /// Left out: the base images the preset's Windows node image caches, if declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preloaded_images: Option<Vec<String>>,
    /// Cluster-autoscaler node group bounds; None = a fixed-size pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<NodeGroup>,
    /// Request → Ready delay of a new node; defaults per OS (docs/scenario-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning: Option<Delay>,
    /// Probability that a requested node never becomes Ready (cloud capacity or boot failure).
    #[serde(default, skip_serializing_if = "is_default")]
    pub provisioning_failure_rate: f64,
    /// Price of one node-hour, counted from the provisioning request to deletion; left out,
    /// the preset's list price for `instance_type`, else 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_hour: Option<f64>,
    /// Names of the initial nodes (`count` of them, unique across the scenario); nodes the
    /// autoscaler adds continue their pattern. Empty: `POOL-N`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_names: Vec<String>,
    /// `spec.unschedulable`: the initial nodes start cordoned.
    #[serde(default, skip_serializing_if = "is_default")]
    pub unschedulable: bool,
    /// What the OS occupies on each node's `disk` before any image; defaults per OS
    /// (docs/scenario-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<Bytes>,
    /// The cloud whose defaults fill the fields this pool leaves out (docs/presets.md);
    /// overrides the scenario's `preset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Preset>,
    /// The pod network, which sets the preset's max pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_plugin: Option<NetworkPlugin>,
    /// Allocatable `ephemeral-storage` of each node; default `disk` less the kubelet's
    /// `nodefs.available` hard-eviction share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Bytes>,
    /// Allocatable extended resources of each node (`nvidia.com/gpu: 4`), as a device plugin
    /// advertises them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extended_resources: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    #[serde(default)]
    pub min: u32,
    pub max: u32,
    /// For the `Priority` expander: higher wins.
    #[serde(default, skip_serializing_if = "is_default")]
    pub priority: i32,
}

/// A delay distribution.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Delay {
    Fixed(Duration),
    Uniform(Duration, Duration),
    /// Log-normal with the given median and 95th percentile.
    LogNormal {
        median: Duration,
        p95: Duration,
    },
}

/// A content-addressed layer, shared by every image that lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub name: String,
    /// Compressed size: what is downloaded.
    pub size: Bytes,
    /// Size on disk after extraction; defaults to `size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpacked: Option<Bytes>,
}

/// One entry of an image's manifest list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    pub os: Os,
    /// Windows only: the image's `os.version`, `10.0.BUILD.REVISION` (or `10.0.BUILD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default = "default_arch", skip_serializing_if = "is_amd64")]
    pub arch: String,
    /// Layer names, base first.
    pub layers: Vec<String>,
}

#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// The reference pods use, e.g. `mcr.microsoft.com/windows/servercore:ltsc2022`.
    pub name: String,
    pub platforms: Vec<Platform>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Scheduling {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
}

/// A RuntimeClass: its handler, and the scheduling constraints it adds to every pod using it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuntimeClass {
    pub name: String,
    pub handler: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling: Option<Scheduling>,
    /// `overhead.podFixed`: added to the pod's requests for scheduling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Resources>,
}

/// A PriorityClass (`scheduling.k8s.io/v1`): the priority of the pods naming it, whether they
/// may preempt, and whether it applies to pods naming no class.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PriorityClass {
    pub name: String,
    pub value: i32,
    #[serde(default, skip_serializing_if = "is_default")]
    pub global_default: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub preemption_policy: crate::model::PreemptionPolicy,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// `initialDelaySeconds`: no probe runs before this.
    #[serde(default, skip_serializing_if = "is_default")]
    pub initial_delay: Duration,
    /// `periodSeconds`: probes tick every period from the pod's admission on the node.
    #[serde(default = "default_period")]
    pub period: Duration,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Container {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<PullPolicy>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub cpu: Cpu,
    #[serde(default, skip_serializing_if = "is_default")]
    pub memory: Bytes,
    #[serde(default, skip_serializing_if = "is_default")]
    pub privileged: bool,
    /// Time from the runtime's start call to the process running; defaults per OS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_delay: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Init containers only: how long the container runs before it exits successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_for: Option<Duration>,
    /// `ports`: what NodePorts checks is each port's `host_port` (0: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// `resources.requests["ephemeral-storage"]`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub ephemeral_storage: Bytes,
    /// `resources.requests` of extended resources (`nvidia.com/gpu: 1`), integers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extended_resources: BTreeMap<String, u64>,
}

/// One `containerPort` (core/v1 `ContainerPort`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContainerPort {
    pub container_port: u32,
    /// 0: no host port (the API default), unless the pod uses the host network.
    #[serde(default, skip_serializing_if = "is_default")]
    pub host_port: u32,
    #[serde(default, skip_serializing_if = "is_default")]
    pub protocol: crate::model::Protocol,
    /// Empty: every address (`0.0.0.0`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host_ip: String,
}

#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum Isolation {
    #[default]
    Process,
    HyperV,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct PodTemplate {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<NodeAffinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub host_network: bool,
    /// `securityContext.windowsOptions.hostProcess`: a Windows HostProcess pod.
    #[serde(default, skip_serializing_if = "is_default")]
    pub host_process: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub isolation: Isolation,
    #[serde(default, skip_serializing_if = "is_default")]
    pub priority: i32,
    /// `terminationGracePeriodSeconds`: how long an evicted or preempted pod keeps running
    /// (and holding its node's resources) before it is gone. Default 30 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period: Option<Duration>,
    /// `priorityClassName`: the priority class (under `priority_classes`, or a built-in
    /// `system-` class) whose value becomes the pod's priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// `metadata.labels`: what other pods' `pod_affinity`/`pod_anti_affinity` terms select.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `affinity.podAffinity`: required and preferred terms (boxed: rarely set, and the
    /// template is part of timeline actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_affinity: Option<Box<crate::model::pod_affinity::PodAffinity>>,
    /// `affinity.podAntiAffinity`: required and preferred terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_anti_affinity: Option<Box<crate::model::pod_affinity::PodAffinity>>,
}

#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    DaemonSet,
    /// A bare Pod (no owner): one pod, created once and never replaced.
    Pod,
    /// Runs pods to completion (`batch/v1` Job): see `Workload::job`.
    Job,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: WorkloadKind,
    /// Deployments only.
    #[serde(default = "default_one")]
    pub replicas: u32,
    /// When the workload is created; `None` leaves it to a timeline `Create`.
    #[serde(
        default = "default_created_at",
        skip_serializing_if = "is_created_at_start"
    )]
    pub created_at: Option<Duration>,
    /// A HorizontalPodAutoscaler for this Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa: Option<Box<Hpa>>,
    /// Copies of this workload, named `NAME-0` … `NAME-(count−1)` (large scenarios).
    #[serde(default = "default_one", skip_serializing_if = "is_one")]
    pub count: u32,
    /// Copy i lives its whole life (creation, load curve, timeline) shifted by i × stagger.
    #[serde(default, skip_serializing_if = "is_default")]
    pub stagger: Duration,
    /// Shared: equal templates read in one `parse_raw` are one allocation
    /// (`with_template_interning`); change one through `Arc::make_mut`.
    #[serde(deserialize_with = "interned_template")]
    pub template: Arc<PodTemplate>,
    /// Jobs only: completions, parallelism, back-off limit, deadline and each pod's run time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
    /// Deployments only: `spec.strategy.rollingUpdate` (defaults 25 % / 25 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// A PodDisruptionBudget over this Deployment's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption_budget: Option<DisruptionBudget>,
    /// `metadata.namespace` (a DNS-1123 label); `None` is `default`. What ResourceQuotas
    /// apply to the workload's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// A ResourceQuota (`v1`) on one namespace: `(name: "team-a", namespace: "team-a", hard:
/// {"pods": 10, "requests.cpu": "4", "requests.memory": "8Gi"})`. Only `hard` entries the model
/// evaluates are accepted (docs/scenario-format.md); scopes are not modelled.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceQuota {
    pub name: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// `spec.hard`: resource name → quantity, as the API writes it (`10`, `"4"`, `"8Gi"`).
    pub hard: BTreeMap<String, QuotaAmount>,
}

fn default_namespace() -> String {
    "default".into()
}

/// A `resource.Quantity` of a quota's `hard`, kept as written (an integer or a string); its
/// unit depends on the resource it limits, so `validate` parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaAmount(pub String);

impl Serialize for QuotaAmount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A plain count is written as an integer (`"pods": 10`); anything else as written,
        // so that it reads back the same.
        match self.0.parse::<u64>() {
            Ok(n) if n.to_string() == self.0 => s.serialize_u64(n),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl<'de> Deserialize<'de> for QuotaAmount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = QuotaAmount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a quantity such as 10, \"4\", \"500m\" or \"8Gi\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<QuotaAmount, E> {
                Ok(QuotaAmount(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<QuotaAmount, E> {
                Ok(QuotaAmount(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<QuotaAmount, E> {
                Ok(QuotaAmount(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<QuotaAmount, E> {
                Ok(QuotaAmount(format!("{v}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A Deployment's `spec.strategy.rollingUpdate`: a field left out takes the API default 25 %.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrPercent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercent>,
}

/// A PodDisruptionBudget (`policy/v1`) selecting exactly its workload's pods:
/// `(min_available: 2)` or `(max_unavailable: "25%")`, exactly one of the two.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DisruptionBudget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrPercent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercent>,
}

/// `intstr.IntOrString` (a rolling update's `maxSurge`/`maxUnavailable`, a
/// PodDisruptionBudget's fields): an integer (`2`) or a percentage string (`"25%"`, 0 to 100).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

impl Serialize for IntOrPercent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            IntOrPercent::Int(n) => s.serialize_u32(n),
            IntOrPercent::Percent(p) => s.serialize_str(&format!("{p}%")),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, Visitor};
        struct V;
        const WHAT: &str = "a non-negative integer (2) or a percentage from \"0%\" to \"100%\"";
        impl Visitor<'_> for V {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(WHAT)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrPercent, E> {
                u32::try_from(v)
                    .map(IntOrPercent::Int)
                    .map_err(|_| E::custom(format!("{v} is too large; expected {WHAT}")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrPercent, E> {
                if v < 0 {
                    return Err(E::custom(format!("{v} is negative; expected {WHAT}")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrPercent, E> {
                // `intstr.GetScaledValueFromIntOrPercent` reads "N%"; validation
                // (`ValidatePositiveIntOrPercent`, `IsNotMoreThan100Percent`) bounds it.
                let bad = || E::custom(format!("\"{v}\" is not {WHAT}"));
                let n: u32 = v
                    .strip_suffix('%')
                    .ok_or_else(bad)?
                    .parse()
                    .map_err(|_| bad())?;
                if n > 100 {
                    return Err(bad());
                }
                Ok(IntOrPercent::Percent(n))
            }
        }
        d.deserialize_any(V)
    }
}

fn default_backoff_limit() -> u32 {
    d::JOB_BACKOFF_LIMIT
}

/// The spec of a `kind: Job` workload (`batch/v1` JobSpec, the fields that change a run).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// Pods that must succeed for the Job to complete. Default 1.
    #[serde(default = "default_one", skip_serializing_if = "is_one")]
    pub completions: u32,
    /// Pods that run at once at most. Default 1.
    #[serde(default = "default_one", skip_serializing_if = "is_one")]
    pub parallelism: u32,
    /// Failed pods the Job tolerates; one more fails the Job. Default 6.
    #[serde(default = "default_backoff_limit")]
    pub backoff_limit: u32,
    /// `activeDeadlineSeconds`: from the Job's start; past it the Job fails and its pods go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline: Option<Duration>,
    /// How long each pod runs once its containers have started, then it Succeeds.
    pub run_time: Duration,
}

/// Load offered to a workload over time (e.g. requests per second).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Load {
    /// Piecewise-linear `(time, value)` points; constant before the first and after the last.
    Points(Vec<(Duration, f64)>),
    /// A CSV file of `time_s,value` rows (with a header line), relative to the scenario file.
    Csv(String),
}

fn default_target_utilization() -> f64 {
    d::HPA_TARGET_UTILIZATION
}
fn default_tolerance() -> f64 {
    d::HPA_TOLERANCE
}
fn default_hpa_sync() -> Duration {
    Duration(d::HPA_SYNC_PERIOD_MS)
}
fn default_stabilization_down() -> Duration {
    Duration(d::HPA_SCALE_DOWN_STABILIZATION_MS)
}

/// A HorizontalPodAutoscaler fed by a load curve.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Hpa {
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub load: Load,
    /// Load one Ready pod serves at 100 % of its target metric (e.g. requests/s at full CPU).
    pub capacity_per_pod: f64,
    /// Target average utilisation of that capacity.
    #[serde(default = "default_target_utilization")]
    pub target_utilization: f64,
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    #[serde(default = "default_hpa_sync")]
    pub sync_period: Duration,
    #[serde(default, skip_serializing_if = "is_default")]
    pub scale_up_stabilization: Duration,
    #[serde(default = "default_stabilization_down")]
    pub scale_down_stabilization: Duration,
    /// `spec.behavior`; without it the controller limits a scale-up to max(2 × current, 4)
    /// per sync (see docs/scenario-format.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HpaBehavior>,
}

/// `spec.behavior` of an HPA: a side left out takes the API's default rules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct HpaBehavior {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_up: Option<ScalingRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<ScalingRules>,
}

/// `HPAScalingRules`: a field left out takes the API's default for its side.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stabilization_window: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_policy: Option<crate::model::SelectPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// `HPAScalingPolicy`: `value` pods (or percent) per `period`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    pub kind: crate::model::PolicyKind,
    pub value: u32,
    pub period: Duration,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Action {
    Create {
        workload: String,
    },
    Scale {
        workload: String,
        replicas: u32,
    },
    Delete {
        workload: String,
    },
    /// `kubectl cordon`: one node by name (`node: "win-0"`) or every node of a pool.
    Cordon {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
    },
    /// `kubectl uncordon`.
    Uncordon {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
    },
    /// `kubectl taint nodes NODE key=value:effect --overwrite`.
    AddTaint {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        taint: Taint,
    },
    /// `kubectl taint nodes NODE key:effect-` (`key-` without an effect).
    RemoveTaint {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        key: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        effect: Option<TaintEffect>,
    },
    /// The node stops (its kubelet neither heartbeats nor runs pods): one node by name, or
    /// `count` random nodes of a pool, or a `fraction` of them (rounded up).
    FailNode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fraction: Option<f64>,
    },
    /// A failed node comes back: the same targets, drawn among the failed nodes.
    RecoverNode {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fraction: Option<f64>,
    },
    /// `kubectl set image deployment/WORKLOAD CONTAINER=IMAGE`: a rolling update. `container`
    /// may be left out when the template has one container.
    UpdateImage {
        workload: String,
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        container: Option<String>,
    },
    /// A new pod template for the Deployment: a rolling update to it.
    UpdateTemplate {
        workload: String,
        template: PodTemplate,
    },
    /// `kubectl drain --ignore-daemonsets --delete-emptydir-data [--force] [--timeout T]`: one
    /// node by name or every node of a pool.
    Drain {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool: Option<String>,
        /// Per node, from the start of its evictions; None or "0s" waits without limit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<Duration>,
        /// `--force`: also evict bare Pods (nothing recreates them). Without it a node with a
        /// bare Pod is not drained, as kubectl refuses it.
        #[serde(default, skip_serializing_if = "is_default")]
        force: bool,
    },
    /// `az aks nodepool upgrade`: move a Windows pool to a new build (surge upgrade).
    UpgradePool {
        pool: String,
        /// `10.0.BUILD.REV`, newer than the pool's.
        to_build: String,
        /// Nodes surged per batch (`1`) or a percentage of the pool (`"33%"`); default 1.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_surge: Option<IntOrPercent>,
        /// Per node; default 30 min.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drain_timeout: Option<Duration>,
    },
    /// A monthly patch: only the revision changes, nodes reboot in place one at a time.
    PatchPool {
        pool: String,
        to_revision: u32,
        /// How long a node is down; default: a draw from the pool's provisioning delay.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reboot_time: Option<Duration>,
        /// Per node; default 30 min.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drain_timeout: Option<Duration>,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    pub at: Duration,
    pub action: Action,
}

/// Kubelet and container-runtime settings shared by every node (pools may override some).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KubeletSettings {
    /// `serializeImagePulls`: one image pull at a time per node. Unset, it defaults as the
    /// kubelet does: true unless `max_parallel_image_pulls` is 2 or more.
    pub serialize_image_pulls: Option<bool>,
    /// `maxParallelImagePulls` when pulls are not serialized (None = unlimited).
    pub max_parallel_image_pulls: Option<u32>,
    /// containerd `max_concurrent_downloads`: layers fetched at once by one pull.
    pub max_concurrent_downloads: u32,
    pub image_pull_backoff: Duration,
    pub image_pull_backoff_max: Duration,
    /// Back-off between container create attempts (CreateContainerError).
    pub create_backoff: Duration,
    pub create_backoff_max: Duration,
    /// Deadline of one pull attempt; None = no deadline (containerd only cancels stalled pulls).
    pub pull_timeout: Option<Duration>,
    pub linux_start_delay: Duration,
    pub windows_start_delay: Duration,
    /// Extra start time of a Hyper-V isolated container (utility VM boot).
    pub hyperv_start_delay: Duration,
    /// Extra memory a Hyper-V isolated pod uses, added to its requests.
    pub hyperv_memory_overhead: Bytes,
    /// containerd ≥ 1.7 behaviour (the default): a manifest-list entry whose Windows build the
    /// host cannot run is never pulled, so a build mismatch fails the pull (ErrImagePull).
    /// `false` is the Docker-era behaviour: any Windows entry is pulled and the mismatch fails
    /// the container creation (CreateContainerError).
    pub strict_platform_match: bool,
    /// `imageGCHighThresholdPercent`: image GC runs when disk use reaches this percentage.
    pub image_gc_high_threshold: u32,
    /// `imageGCLowThresholdPercent`: image GC frees down to this percentage.
    pub image_gc_low_threshold: u32,
    /// `imageMinimumGCAge`: an image detected more recently is never collected.
    pub image_minimum_gc_age: Duration,
    /// Hard eviction `nodefs.available<N%`.
    pub eviction_nodefs_available: u32,
    /// Hard eviction `imagefs.available<N%` (same disk as nodefs: containerd's default root).
    pub eviction_imagefs_available: u32,
    /// `registryPullQPS`: image pulls per second a node may start (0 = no limit).
    pub registry_pull_qps: f64,
    /// `registryBurst`: pulls a node may start at once above the QPS.
    pub registry_burst: u32,
}

impl Default for KubeletSettings {
    fn default() -> Self {
        KubeletSettings {
            serialize_image_pulls: None,
            max_parallel_image_pulls: None,
            max_concurrent_downloads: d::MAX_CONCURRENT_DOWNLOADS,
            image_pull_backoff: Duration(d::IMAGE_PULL_BACKOFF_MS),
            image_pull_backoff_max: Duration(d::IMAGE_PULL_BACKOFF_MAX_MS),
            create_backoff: Duration(d::CREATE_BACKOFF_MS),
            create_backoff_max: Duration(d::CREATE_BACKOFF_MAX_MS),
            pull_timeout: None,
            linux_start_delay: Duration(d::LINUX_START_DELAY_MS),
            windows_start_delay: Duration(d::WINDOWS_START_DELAY_MS),
            hyperv_start_delay: Duration(d::HYPERV_START_DELAY_MS),
            hyperv_memory_overhead: Bytes(d::HYPERV_MEMORY_OVERHEAD),
            strict_platform_match: d::STRICT_PLATFORM_MATCH,
            registry_pull_qps: d::REGISTRY_PULL_QPS,
            registry_burst: d::REGISTRY_BURST,
            image_gc_high_threshold: d::IMAGE_GC_HIGH_PERCENT,
            image_gc_low_threshold: d::IMAGE_GC_LOW_PERCENT,
            image_minimum_gc_age: Duration(d::IMAGE_MINIMUM_GC_AGE_MS),
            eviction_nodefs_available: d::EVICTION_NODEFS_PERCENT,
            eviction_imagefs_available: d::EVICTION_IMAGEFS_PERCENT,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSettings {
    /// 0 = adaptive (upstream default); 1..=100 = fixed percentage.
    pub percentage_of_nodes_to_score: u32,
    pub pod_initial_backoff: Duration,
    pub pod_max_backoff: Duration,
    /// `podMaxInUnschedulablePodsDuration`.
    pub max_in_unschedulable: Duration,
    /// NodeResourcesFit's `scoringStrategy`; None: LeastAllocated over cpu and memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scoring_strategy: Option<ScoringStrategy>,
}

/// NodeResourcesFit's `scoringStrategy` (k/k `pkg/scheduler/apis/config/types_pluginargs.go`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScoringStrategy {
    #[serde(rename = "type", default)]
    pub kind: crate::model::FitScoringKind,
    /// Empty: cpu and memory, weight 1 each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ScoredResourceSpec>,
    /// RequestedToCapacityRatio only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatio>,
}

/// `ResourceSpec`: a resource name and its weight.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScoredResourceSpec {
    pub name: String,
    #[serde(default = "default_one_i64")]
    pub weight: i64,
}

fn default_one_i64() -> i64 {
    1
}

/// `RequestedToCapacityRatioParam`: the shape of the score over utilization.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RequestedToCapacityRatio {
    pub shape: Vec<ShapePoint>,
}

/// `UtilizationShapePoint`: utilization 0..=100 %, score 0..=10.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShapePoint {
    pub utilization: i32,
    pub score: i32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff: Duration(d::POD_INITIAL_BACKOFF_MS),
            pod_max_backoff: Duration(d::POD_MAX_BACKOFF_MS),
            max_in_unschedulable: Duration(d::MAX_IN_UNSCHEDULABLE_MS),
            scoring_strategy: None,
        }
    }
}

/// The expander is model data shared with the file format, like the selector types.
pub use crate::model::ExpanderKind as Expander;

/// Cluster-autoscaler settings (kubernetes/autoscaler `cluster-autoscaler/FAQ.md` defaults).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AutoscalerSettings {
    pub scan_interval: Duration,
    /// Left out: the scenario preset's expander (AKS `Random`), else `LeastWaste`.
    pub expander: Option<Expander>,
    pub max_nodes_per_scaleup: u32,
    pub max_node_provision_time: Duration,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub scale_down_enabled: bool,
    pub scale_down_utilization_threshold: f64,
    pub scale_down_unneeded_time: Duration,
    pub scale_down_delay_after_add: Duration,
    pub scale_down_delay_after_delete: Duration,
    pub scale_down_delay_after_failure: Duration,
    /// Empty nodes deleted at once (`max-empty-bulk-delete`).
    pub max_empty_bulk_delete: u32,
}

impl Default for AutoscalerSettings {
    fn default() -> Self {
        AutoscalerSettings {
            scan_interval: Duration(d::CA_SCAN_INTERVAL_MS),
            expander: None,
            max_nodes_per_scaleup: d::CA_MAX_NODES_PER_SCALEUP,
            max_node_provision_time: Duration(d::CA_MAX_NODE_PROVISION_TIME_MS),
            initial_backoff: Duration(d::CA_INITIAL_BACKOFF_MS),
            max_backoff: Duration(d::CA_MAX_BACKOFF_MS),
            scale_down_enabled: d::CA_SCALE_DOWN_ENABLED,
            scale_down_utilization_threshold: d::CA_SCALE_DOWN_UTILIZATION_THRESHOLD,
            scale_down_unneeded_time: Duration(d::CA_SCALE_DOWN_UNNEEDED_TIME_MS),
            scale_down_delay_after_add: Duration(d::CA_SCALE_DOWN_DELAY_AFTER_ADD_MS),
            scale_down_delay_after_delete: Duration(d::CA_SCALE_DOWN_DELAY_AFTER_DELETE_MS),
            scale_down_delay_after_failure: Duration(d::CA_SCALE_DOWN_DELAY_AFTER_FAILURE_MS),
            max_empty_bulk_delete: d::CA_MAX_EMPTY_BULK_DELETE,
        }
    }
}

/// Workload controllers (ReplicaSet / DaemonSet) settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerSettings {
    /// Back-off before a workload replaces a pod that failed (e.g. rejected at admission).
    pub failed_pod_backoff: Duration,
    pub failed_pod_backoff_max: Duration,
    /// `--node-monitor-grace-period`: a node silent this long is marked NotReady.
    pub node_monitor_grace_period: Duration,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        ControllerSettings {
            failed_pod_backoff: Duration(d::FAILED_POD_BACKOFF_MS),
            failed_pod_backoff_max: Duration(d::FAILED_POD_BACKOFF_MAX_MS),
            node_monitor_grace_period: Duration(d::NODE_MONITOR_GRACE_PERIOD_MS),
        }
    }
}

impl Default for Container {
    fn default() -> Self {
        Container {
            name: String::new(),
            image: String::new(),
            image_pull_policy: None,
            cpu: Cpu(0),
            memory: Bytes(0),
            privileged: false,
            start_delay: None,
            readiness_probe: None,
            run_for: None,
            ports: Vec::new(),
            ephemeral_storage: Bytes(0),
            extended_resources: BTreeMap::new(),
        }
    }
}

/// A named overlay on the scenario: the changes one strategy makes, applied in order by
/// `experiment::overlay` (docs/experiments.md). The first variant is the baseline of a compare.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// One change of a variant. The typed forms name their target pool or workload; `Set` edits
/// any field by path (`pools[win2022].count`), with the value given as JSON text or a plain
/// string (`"6"`, `"200MB/s"`, `"{\"kubernetes.io/os\": \"windows\"}"`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Change {
    /// Appends a taint to every node of a pool.
    AddTaint { pool: String, taint: Taint },
    /// Appends a toleration to a workload's pod template.
    AddToleration {
        workload: String,
        toleration: Toleration,
    },
    /// Merges keys into a workload's `node_selector` (a key already there is replaced).
    SetNodeSelector {
        workload: String,
        selector: BTreeMap<String, String>,
    },
    /// Sets a workload's `runtime_class_name`.
    SetRuntimeClass {
        workload: String,
        runtime_class: String,
    },
    /// Declares a RuntimeClass.
    AddRuntimeClass { runtime_class: RuntimeClass },
    /// Adds a workload, e.g. a pre-pull DaemonSet (boxed: a workload is large).
    AddWorkload { workload: Box<Workload> },
    /// Sets one field of a pool: `SetPool(pool: "win", field: "count", value: "6")`.
    SetPool {
        pool: String,
        field: String,
        value: String,
    },
    /// Sets any value by path: `Set(path: "kubelet.max_parallel_image_pulls", value: "3")`.
    Set { path: String, value: String },
}

thread_local! {
    /// The templates read so far by the `parse_raw` running on this thread; `None` outside it.
    static TEMPLATES: RefCell<Option<TemplateInterner>> = const { RefCell::new(None) };
}

/// Equal pod templates read in one parse, by a hash of the fields in which they most often
/// differ (equal ones are then found by `==`).
#[derive(Default)]
struct TemplateInterner(ByContent<Arc<PodTemplate>>);

impl TemplateInterner {
    fn intern(&mut self, t: PodTemplate) -> Arc<PodTemplate> {
        let print = print_of(|h| {
            for c in t.init_containers.iter().chain(&t.containers) {
                (&c.name, &c.image, c.cpu, c.memory, c.start_delay).hash(h);
            }
            (&t.labels, &t.node_selector, &t.priority_class_name).hash(h);
        });
        if let Some(found) = self.0.find(print, |s| **s == t) {
            return found;
        }
        let t = Arc::new(t);
        self.0.keep(print, Arc::clone(&t));
        t
    }
}

/// Runs `f` (a parse of a scenario) with equal pod templates read as one shared `Arc`. A file
/// of 100k single-pod Jobs written from a trace has a few dozen distinct templates: one copy
/// each instead of 100k keeps the raw scenario at a few hundred bytes per workload.
pub fn with_template_interning<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(Option<TemplateInterner>);
    impl Drop for Reset {
        fn drop(&mut self) {
            // Restores what an enclosing parse had (nested parses keep their own templates),
            // also when `f` unwinds.
            TEMPLATES.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let _reset = Reset(TEMPLATES.with(|c| c.borrow_mut().replace(TemplateInterner::default())));
    f()
}

fn interned_template<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Arc<PodTemplate>, D::Error> {
    let t = PodTemplate::deserialize(d)?;
    Ok(TEMPLATES.with(|c| match c.borrow_mut().as_mut() {
        Some(interner) => interner.intern(t),
        None => Arc::new(t),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(workloads: &str) -> Scenario {
        let text = format!(
            r#"Scenario(name: "t", duration: "1h", pools: [], layers: [], images: [],
               workloads: [{workloads}])"#
        );
        crate::scenario::parse_raw(&text, "t.ron").unwrap_or_else(|e| panic!("{e}"))
    }

    const A: &str = r#"(containers: [(image: "app:1", cpu: "1")])"#;
    const B: &str = r#"(containers: [(image: "app:1", cpu: "2")])"#;

    #[test]
    fn equal_templates_read_in_one_parse_are_one_allocation_and_different_ones_are_not() {
        let s = parse(&format!(
            r#"(name: "a", template: {A}), (name: "b", template: {B}), (name: "c", template: {A})"#
        ));
        let t = |i: usize| &s.workloads[i].template;
        assert!(Arc::ptr_eq(t(0), t(2)));
        assert!(!Arc::ptr_eq(t(0), t(1)));
        // Three workloads hold two templates: the parse's interner is gone, so a and c are
        // the only owners of theirs.
        assert_eq!(Arc::strong_count(t(0)), 2);
    }

    #[test]
    fn templates_of_two_parses_are_not_shared_and_a_template_read_outside_a_parse_is_its_own() {
        let one = parse(&format!(r#"(name: "a", template: {A})"#));
        let two = parse(&format!(r#"(name: "a", template: {A})"#));
        assert!(!Arc::ptr_eq(
            &one.workloads[0].template,
            &two.workloads[0].template
        ));
        let w: Workload =
            crate::scenario::from_ron(&format!(r#"(name: "x", template: {A})"#)).unwrap();
        assert_eq!(Arc::strong_count(&w.template), 1);
        assert_eq!(w.template, one.workloads[0].template);
    }

    #[test]
    fn a_rolling_update_of_one_workload_leaves_the_template_it_shared_with_another_as_it_was() {
        // Validation builds the rolled-out template from a copy of the workload (timeline's
        // `rollout_template`, through `Arc::make_mut`); the shared original must not change.
        let text = format!(
            r#"Scenario(name: "t", duration: "1h",
               pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1)],
               layers: [(name: "l", size: "1MB")],
               images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])]),
                        (name: "app:2", platforms: [(os: Linux, layers: ["l"])])],
               workloads: [(name: "a", template: {A}), (name: "b", template: {A})],
               timeline: [(at: "10s", action: UpdateImage(workload: "a", image: "app:2"))])"#
        );
        let (raw, spec) = crate::scenario::load_str(&text, "t.ron").unwrap();
        assert!(Arc::ptr_eq(
            &raw.workloads[0].template,
            &raw.workloads[1].template
        ));
        assert_eq!(raw.workloads[1].template.containers[0].image, "app:1");
        // a and b share template 0 (app:1); the rollout's template is a new one, with app:2.
        let img = |t: usize| {
            spec.images[spec.templates[t].containers[0].image.idx()]
                .name
                .clone()
        };
        assert_eq!(spec.workloads[1].template.0, 0);
        assert_eq!(
            (img(0), img(spec.templates.len() - 1)),
            ("app:1".into(), "app:2".into())
        );
    }
}
