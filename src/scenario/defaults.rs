//! Every domain default of the scenario format, each with the upstream code, flag or document
//! it comes from (or the word "assumption" and where the assumption is argued).
//!
//! Owns: the numbers a scenario gets for a field it leaves out, and the tables the validation
//! computes defaults from (AKS reservations, provisioning delays). Does not own: where a
//! default is applied (`raw` for serde field defaults, `validate` for computed ones) or what the
//! values mean at run time. docs/scenario-format.md lists the same values for users; the two
//! must agree.
//!
//! Abbreviations: k/k kubernetes/kubernetes, k/as kubernetes/autoscaler, k/web
//! kubernetes/website, aks Azure/AKS docs, ms/vd MicrosoftDocs/Virtualization-Documentation.

use crate::model::{DelayDist, Os};

// --- Scenario -----------------------------------------------------------------------------

/// `seed` when the file gives none: any fixed value keeps runs reproducible; 1 is the
/// convention of the bundled scenarios.
pub const SEED: u64 = 1;
/// `sample_interval`: an output setting, not a Kubernetes value: 10 s rows resolve the
/// startup curves of the bundled scenarios while a day stays at 8,640 rows.
pub const SAMPLE_INTERVAL_MS: u64 = 10_000;

// --- Pools --------------------------------------------------------------------------------

/// Node architecture label value when none is given (k/k `kubernetes.io/arch`, the GOARCH of
/// the kubelet; amd64 is what AKS/EKS/GKE default node images run).
pub const ARCH: &str = "amd64";
/// kubelet `maxPods` default 110 (k/k `pkg/kubelet/apis/config/v1beta1/defaults.go`).
pub const MAX_PODS: u32 = 110;
/// Disk of a node: 128 GiB, the AKS default OS disk size (docs/scenario-format.md `disk`).
pub const DISK_BYTES: u64 = 128 << 30;
/// What a Windows node's OS occupies on its disk before any image: 32 GB, the storage minimum
/// of Windows Server (MicrosoftDocs/windowsserverdocs `get-started/hardware-requirements.md`,
/// "32 GB"), which is of the order of what a fresh Server Core install uses.
pub const WINDOWS_OS_DISK: u64 = 32_000_000_000;
/// What a Linux node's OS occupies on its disk: 10 GB, an assumption: the minimum disk of a
/// RHEL-family server install (Oracle Linux 8 "System Requirements": "at least 10 GB of disk
/// space"); the Ubuntu and Azure Linux node images are of that order.
pub const LINUX_OS_DISK: u64 = 10_000_000_000;

/// The OS's share of a node's disk when the pool gives no `os_disk`.
pub fn os_disk(os: Os) -> u64 {
    match os {
        Os::Linux => LINUX_OS_DISK,
        Os::Windows => WINDOWS_OS_DISK,
    }
}

/// kubelet default hard eviction threshold `memory.available<100Mi`
/// (k/k `pkg/kubelet/apis/config/v1beta1/defaults_linux.go` `DefaultEvictionHard`).
pub const EVICTION_BYTES: u64 = 100 << 20;

/// AKS CPU reservation by core count (aks `node-resource-reservations.md`): 1, 2, 4, 8, 16, 32,
/// 64 cores reserve 60, 100, 140, 180, 260, 420, 740 millicores; in between, the lower row.
pub const AKS_RESERVED_CPU: [(u64, u64); 7] = [
    (1, 60),
    (2, 100),
    (4, 140),
    (8, 180),
    (16, 260),
    (32, 420),
    (64, 740),
];

/// Reserved CPU in millicores of a node of `cpu_m` millicores, from [`AKS_RESERVED_CPU`].
pub fn reserved_cpu(cpu_m: u64) -> u64 {
    let cores = cpu_m / 1000;
    let mut r = AKS_RESERVED_CPU[0].1;
    for (c, m) in AKS_RESERVED_CPU {
        if cores >= c {
            r = m;
        }
    }
    r
}

/// AKS memory reservation (aks `node-resource-reservations.md`, Kubernetes 1.29+):
/// "20 MB per allowed pod + 50 MB", taken as MiB as the kubelet's quantities are.
pub const AKS_RESERVED_MEMORY_PER_POD: u64 = 20 << 20;
/// The fixed part of the AKS memory reservation (same source): 50 MiB.
pub const AKS_RESERVED_MEMORY_BASE: u64 = 50 << 20;
/// Windows needs at least 2 GiB reserved for the system (k/web
/// `windows-resource-management.md`).
pub const WINDOWS_SYSTEM_RESERVED: u64 = 2 << 30;

/// Reserved memory in bytes of a node of `os` accepting `max_pods` pods.
pub fn reserved_memory(os: Os, max_pods: u64) -> u64 {
    let kube = AKS_RESERVED_MEMORY_PER_POD
        .saturating_mul(max_pods)
        .saturating_add(AKS_RESERVED_MEMORY_BASE);
    match os {
        Os::Linux => kube,
        Os::Windows => kube.saturating_add(WINDOWS_SYSTEM_RESERVED),
    }
}

/// Default registry download bandwidth per node: an assumption (≈ 1 Gbit/s effective), see
/// docs/scenario-format.md.
pub const PULL_BANDWIDTH: u64 = 125_000_000;
/// Windows extraction: 2 GB in ≈ 140 s ≈ 14 MB/s (microsoft/Windows-Containers #607).
pub const WINDOWS_EXTRACTION: u64 = 14_000_000;
/// Linux extraction: an order of magnitude faster than Windows (assumption, DESIGN §2.3).
pub const LINUX_EXTRACTION: u64 = 150_000_000;

/// Default provisioning delays (DESIGN §2.6): Linux ≈ 40–90 s on EKS/Karpenter and 3–4 min
/// request-to-schedulable on GCE → log-normal, median 90 s, p95 3 min; Windows 4–8 min on EKS
/// without image caching and ≈ 10 min on AKS → median 6 min, p95 10 min.
pub fn provisioning(os: Os) -> DelayDist {
    match os {
        Os::Linux => DelayDist::log_normal(90_000, 180_000),
        Os::Windows => DelayDist::log_normal(360_000, 600_000),
    }
}

// --- Kubelet and container runtime --------------------------------------------------------

/// containerd ≥ 1.7 picks a manifest-list entry with the host's Windows build in its platform
/// matcher (CRI pulls with `platforms.DefaultSpec()`, containerd
/// `internal/cri/server/images/image_pull.go`; the Windows matcher calls hcsshim's
/// compatibility check), so an image with no entry the host can run fails at pull time.
/// Every supported Kubernetes release runs Windows on containerd (docs/upstream.md §1.2).
pub const STRICT_PLATFORM_MATCH: bool = true;
/// Kubelet `registryPullQPS` 5 and `registryBurst` 10 (k/k
/// `pkg/kubelet/apis/config/v1beta1/defaults.go`): the token bucket in front of the runtime's
/// PullImage (`pkg/kubelet/images/helpers.go`, `throttledImageService`).
pub const REGISTRY_PULL_QPS: f64 = 5.0;
pub const REGISTRY_BURST: u32 = 10;
/// containerd CRI `max_concurrent_downloads` default 3 (docs/upstream.md §6.5).
pub const MAX_CONCURRENT_DOWNLOADS: u32 = 3;
/// kubelet image pull back-off: 10 s initial (k/k `pkg/kubelet/kubelet.go` `backOffPeriod`).
pub const IMAGE_PULL_BACKOFF_MS: u64 = 10_000;
/// kubelet `MaxImageBackOff` 300 s (k/k `pkg/kubelet/kubelet.go`).
pub const IMAGE_PULL_BACKOFF_MAX_MS: u64 = 300_000;
/// kubelet `imageGCHighThresholdPercent` 85 (k/k `pkg/kubelet/apis/config/v1beta1/defaults.go`).
pub const IMAGE_GC_HIGH_PERCENT: u32 = 85;
/// kubelet `imageGCLowThresholdPercent` 80 (same file).
pub const IMAGE_GC_LOW_PERCENT: u32 = 80;
/// kubelet `imageMinimumGCAge` 2 min (same file).
pub const IMAGE_MINIMUM_GC_AGE_MS: u64 = 120_000;
/// kubelet default hard eviction `nodefs.available<10%` (k/k
/// `pkg/kubelet/apis/config/v1beta1/defaults_linux.go` `DefaultEvictionHard`; taken for
/// Windows nodes too).
pub const EVICTION_NODEFS_PERCENT: u32 = 10;
/// ... and `imagefs.available<15%` (same maps).
pub const EVICTION_IMAGEFS_PERCENT: u32 = 15;
/// Container create back-off: the kubelet's container back-off numbers, 10 s initial
/// (`initialCrashLoopBackOff`, k/k `pkg/kubelet/kubelet.go`).
pub const CREATE_BACKOFF_MS: u64 = 10_000;
/// kubelet `MaxContainerBackOff` 300 s (k/k `pkg/kubelet/kubelet.go`).
pub const CREATE_BACKOFF_MAX_MS: u64 = 300_000;
/// Linux container start: under a second (assumption, DESIGN §2.5).
pub const LINUX_START_DELAY_MS: u64 = 500;
/// Process-isolated Windows container start: seconds (assumption, DESIGN §2.5).
pub const WINDOWS_START_DELAY_MS: u64 = 5_000;
/// Hyper-V utility VM boot: anecdotal reports of 3–19 s, 10 s a midpoint (DESIGN §2.2).
pub const HYPERV_START_DELAY_MS: u64 = 10_000;
/// Hyper-V isolation memory: Server Core needs 325 MB Hyper-V isolated vs 50 MB process
/// isolated (ms/vd `system-requirements.md`): 325 − 50 = 275 MB.
pub const HYPERV_MEMORY_OVERHEAD: u64 = 275_000_000;
/// Probe `periodSeconds` API default 10 (k/k `pkg/apis/core/v1/defaults.go`).
pub const PROBE_PERIOD_MS: u64 = 10_000;

/// The scheduler's non-zero request defaults for containers that request nothing, used in
/// scoring only (k/k `pkg/scheduler/util` `DefaultMilliCPURequest` 100,
/// `DefaultMemoryRequest` 200 MiB).
pub const NONZERO_CPU_M: u64 = 100;
/// See [`NONZERO_CPU_M`]: 200 MiB.
pub const NONZERO_MEMORY: u64 = 200 << 20;

// --- Scheduler ----------------------------------------------------------------------------

/// `podInitialBackoffSeconds` 1 (k/k `pkg/scheduler/apis/config/v1/defaults.go`).
pub const POD_INITIAL_BACKOFF_MS: u64 = 1_000;
/// `podMaxBackoffSeconds` 10 (same file).
pub const POD_MAX_BACKOFF_MS: u64 = 10_000;
/// `podMaxInUnschedulablePodsDuration` 5 min (k/k `pkg/scheduler/backend/queue`
/// `DefaultPodMaxInUnschedulablePodsDuration`).
pub const MAX_IN_UNSCHEDULABLE_MS: u64 = 300_000;

// --- Pods -------------------------------------------------------------------------------

/// `terminationGracePeriodSeconds` when a pod sets none: 30 s (k8s.io/api `core/v1/types.go`,
/// `DefaultTerminationGracePeriodSeconds`, applied by k/k `pkg/apis/core/v1/defaults.go`).
pub const TERMINATION_GRACE_PERIOD_MS: u64 = 30_000;

// --- Controllers --------------------------------------------------------------------------

/// The DaemonSet controller's `failedPodsBackoff` 1 s initial (k/k
/// `cmd/kube-controller-manager/app/apps.go`, docs/upstream.md §8).
pub const FAILED_POD_BACKOFF_MS: u64 = 1_000;
/// ... and its 15 min maximum (same place).
pub const FAILED_POD_BACKOFF_MAX_MS: u64 = 900_000;
/// `--node-monitor-grace-period` 50 s: raised from 40 s in Kubernetes 1.32 (k/k PR #126287,
/// `pkg/controller/nodelifecycle/config/v1alpha1/defaults.go`).
pub const NODE_MONITOR_GRACE_PERIOD_MS: u64 = 50_000;
/// `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds` of
/// the DefaultTolerationSeconds admission plugin: 300 s (k/k
/// `plugin/pkg/admission/defaulttolerationseconds/admission.go`).
pub const DEFAULT_TOLERATION_SECONDS: u64 = 300;
/// A Deployment's `maxSurge` and `maxUnavailable` when left out: 25 % (k/k
/// `pkg/apis/apps/v1/defaults.go`, `SetDefaults_Deployment`).
pub const ROLLING_UPDATE_PERCENT: u32 = 25;

// --- Cluster autoscaler (k/as `cluster-autoscaler/FAQ.md`, "What are the parameters to CA?") -

/// `--scan-interval` 10 s.
pub const CA_SCAN_INTERVAL_MS: u64 = 10_000;
/// `--expander` least-waste, the upstream default since k/as PR #7631 (DESIGN §2.6). An AKS
/// scenario preset changes it (`presets`).
pub const CA_EXPANDER: crate::model::ExpanderKind = crate::model::ExpanderKind::LeastWaste;
/// `--max-nodes-per-scaleup` 1000.
pub const CA_MAX_NODES_PER_SCALEUP: u32 = 1000;
/// `--max-node-provision-time` 15 min.
pub const CA_MAX_NODE_PROVISION_TIME_MS: u64 = 15 * 60_000;
/// `--initial-node-group-backoff-duration` 5 min.
pub const CA_INITIAL_BACKOFF_MS: u64 = 5 * 60_000;
/// `--max-node-group-backoff-duration` 30 min.
pub const CA_MAX_BACKOFF_MS: u64 = 30 * 60_000;
/// `--scale-down-enabled` true.
pub const CA_SCALE_DOWN_ENABLED: bool = true;
/// `--scale-down-utilization-threshold` 0.5.
pub const CA_SCALE_DOWN_UTILIZATION_THRESHOLD: f64 = 0.5;
/// `--scale-down-unneeded-time` 10 min.
pub const CA_SCALE_DOWN_UNNEEDED_TIME_MS: u64 = 10 * 60_000;
/// `--scale-down-delay-after-add` 10 min.
pub const CA_SCALE_DOWN_DELAY_AFTER_ADD_MS: u64 = 10 * 60_000;
/// `--scale-down-delay-after-delete` 0 (upstream: the scan interval).
pub const CA_SCALE_DOWN_DELAY_AFTER_DELETE_MS: u64 = 0;
/// `--scale-down-delay-after-failure` 3 min.
pub const CA_SCALE_DOWN_DELAY_AFTER_FAILURE_MS: u64 = 3 * 60_000;
/// `--max-empty-bulk-delete` 10.
pub const CA_MAX_EMPTY_BULK_DELETE: u32 = 10;

// --- HorizontalPodAutoscaler --------------------------------------------------------------

/// Target utilisation when the file gives none: an assumption (the autoscaling/v2 API has
/// no default target; 70 % is a common choice), see docs/scenario-format.md `hpa`.
pub const HPA_TARGET_UTILIZATION: f64 = 0.7;
/// `--horizontal-pod-autoscaler-tolerance` 0.1 (k/k `pkg/controller/podautoscaler`).
pub const HPA_TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-sync-period` 15 s.
pub const HPA_SYNC_PERIOD_MS: u64 = 15_000;
/// Default `behavior.scaleDown.stabilizationWindowSeconds` 300 (k/web
/// `horizontal-pod-autoscale.md`, default behaviour).
pub const HPA_SCALE_DOWN_STABILIZATION_MS: u64 = 300_000;

// --- Run size limits (issue 11; docs/scenario-format.md `limits`) --------------------------

/// Pods a run may create before the scenario must raise `limits.max_pods`. At the measured
/// [`BYTES_PER_POD`], 10 M pods take about 3 GB.
pub const LIMIT_PODS: u64 = 10_000_000;
/// Nodes (initial plus autoscaler maxima). 100 k nodes at [`BYTES_PER_NODE`] is 80 MB, but
/// start-up work grows with the node count (issue 11 item 2), so this bound is about time.
pub const LIMIT_NODES: u64 = 100_000;
/// Rows of `timeseries.csv` (duration / sample_interval).
pub const LIMIT_SAMPLES: u64 = 10_000_000;
/// Simulation events, a bound on run time: the bundled scenarios run 2–3 M events per second
/// on a laptop (`hybridsim bench`), so 1 G events is several minutes.
pub const LIMIT_EVENTS: u64 = 1_000_000_000;
/// Estimated peak memory of one run: 4 GiB, what a laptop spares for one process.
pub const LIMIT_MEMORY: u64 = 4 << 30;

/// Peak bytes per pod, measured with `hybridsim bench` (peak RSS of one Deployment of 300,000
/// minus 100,000 running pods on 1,500 nodes: (87,474,176 − 35,119,104) / 200,000 ≈ 262 B),
/// rounded up to cover vector doubling.
pub const BYTES_PER_POD: u64 = 300;
/// Peak bytes per node, measured the same way (a DaemonSet on 50,000 minus 10,000 nodes:
/// (58,421,248 − 16,621,568) / 40,000 ≈ 1,045 B per node and its pod, minus a pod ≈ 780 B).
pub const BYTES_PER_NODE: u64 = 800;
/// Bytes of one `timeseries.csv` row in memory with one pool and no HPA, measured with
/// `hybridsim bench` (a one-node scenario of 2 days at 1 s: 35,299,328 B peak RSS for 172,800
/// samples ≈ 190 B), rounded up.
pub const BYTES_PER_SAMPLE: u64 = 200;
/// Each further pool adds two `u32` columns (nodes ready, nodes provisioning) to a sample.
pub const BYTES_PER_SAMPLE_POOL: u64 = 8;
/// Each HPA-scaled workload copy adds one `HpaSample` (two `u32`, two `f64`) to a sample.
pub const BYTES_PER_SAMPLE_HPA: u64 = 24;
/// Events per pod in the estimate: create, queue, schedule, bind, pull start and end, extract,
/// start, probe, ready, and deletion, rounded to 10 (the bundled runs measure 2 to 28 events
/// per pod with everything else included: `hybridsim bench` `events / pods`).
pub const EVENTS_PER_POD: u64 = 10;
/// Events per node: register, Ready, and a few pulls.
pub const EVENTS_PER_NODE: u64 = 5;

/// `spec.backoffLimit` of a Job (k/k `pkg/apis/batch/v1/defaults.go`, `SetDefaults_Job`).
pub const JOB_BACKOFF_LIMIT: u32 = 6;
/// The Job controller's back-off before it recreates a failed pod: 10 s doubling per failure
/// since the last success, at most 10 min (k/k `pkg/controller/job/job_controller.go`,
/// `DefaultJobPodFailureBackOff`, `MaxJobPodFailureBackOff`).
pub const JOB_POD_FAILURE_BACKOFF_MS: u64 = 10_000;
pub const JOB_POD_FAILURE_BACKOFF_MAX_MS: u64 = 600_000;

// --- Node-pool upgrades (AKS `AgentPoolUpgradeSettings`) ------------------------------------

/// `maxSurge` of a node-pool upgrade when left out: 1 node. AKS REST API
/// `AgentPoolUpgradeSettings.maxSurge` ("If not specified, the default is 1"; newer API
/// versions default new pools to 10 %, learn.microsoft.com "Configure rolling upgrades for AKS
/// node pools").
pub const UPGRADE_MAX_SURGE: u32 = 1;
/// `drainTimeoutInMinutes` when left out: 30 min ("If not specified, the default is 30
/// minutes"; "If this time is exceeded, the upgrade fails"), same API.
pub const UPGRADE_DRAIN_TIMEOUT_MS: u64 = 30 * 60_000;
