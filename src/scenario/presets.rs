//! Cloud presets: `preset: AKS | EKS | GKE` on a pool (or on the scenario, for every pool that
//! names none) fills the fields a pool leaves out with what that cloud does by default, each
//! number from the public page docs/presets.md cites.
//!
//! Owns: the preset tables (VM shapes and list prices, reservations, max pods per network
//! plugin, OS disks, pre-cached images, provisioning delays, the cluster-autoscaler expander)
//! and their resolution onto the existing raw fields: [`resolve_pool`] returns the pool as if
//! the user had written the preset's values, so `validate` checks and converts it exactly as
//! it does any pool, and the simulation never knows a preset was used. Does not own: the
//! checks on the resolved values (`validate::pools`), or the format's own defaults for pools
//! without a preset (`defaults`).
//!
//! Precedence: a field the pool gives explicitly wins over the preset; the pool's `preset` wins
//! over the scenario's. `reserved` is merged part by part (an explicit `reserved.cpu` keeps the
//! preset's memory reservation).

use super::locate::Path;
use super::raw;
use super::units::{Bytes, Cpu, Duration};
use crate::model::Os;
use serde::{Deserialize, Serialize};

/// The cloud whose defaults a pool takes.
#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Preset {
    #[serde(rename = "AKS")]
    Aks,
    #[serde(rename = "EKS")]
    Eks,
    #[serde(rename = "GKE")]
    Gke,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Aks => "AKS",
            Preset::Eks => "EKS",
            Preset::Gke => "GKE",
        }
    }
}

/// The pod network, which decides a cloud's default max pods per node.
#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum NetworkPlugin {
    /// AKS kubenet (legacy): 110 pods.
    Kubenet,
    /// AKS Azure CNI with pod IPs from the node subnet (legacy): 30 pods.
    AzureCni,
    /// AKS Azure CNI Overlay: 250 pods; what an AKS preset assumes when none is given.
    AzureCniOverlay,
    /// EKS Amazon VPC CNI with secondary IPs: the instance type's ENI limits; the only EKS
    /// mode modelled, and what an EKS preset assumes.
    VpcCni,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// One VM size of a preset: its shape, its list prices per hour and, on EC2, its ENI limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VmSize {
    pub name: &'static str,
    pub cpu_m: u64,
    pub memory: u64,
    /// Pay-as-you-go / on-demand list price, USD per hour, Linux.
    pub linux_price: f64,
    /// The same with the Windows Server licence.
    pub windows_price: f64,
    /// EC2: (network interfaces, IPv4 addresses per interface).
    pub enis: Option<(u64, u64)>,
}

impl VmSize {
    pub fn price(&self, os: Os) -> f64 {
        match os {
            Os::Linux => self.linux_price,
            Os::Windows => self.windows_price,
        }
    }
}

/// AKS sizes: Dsv5 (learn.microsoft.com "Dsv5 series": 2/4/8 vCPU with 8/16/32 GiB). Prices:
/// azure.microsoft.com "Linux Virtual Machines Pricing" and "Windows Virtual Machines Pricing",
/// pay as you go, East US (docs/presets.md gives the date); the Windows price includes the
/// licence.
pub const AKS_SIZES: [VmSize; 3] = [
    VmSize {
        name: "Standard_D2s_v5",
        cpu_m: 2000,
        memory: 8 * GIB,
        linux_price: 0.096,
        windows_price: 0.188,
        enis: None,
    },
    VmSize {
        name: "Standard_D4s_v5",
        cpu_m: 4000,
        memory: 16 * GIB,
        linux_price: 0.192,
        windows_price: 0.376,
        enis: None,
    },
    VmSize {
        name: "Standard_D8s_v5",
        cpu_m: 8000,
        memory: 32 * GIB,
        linux_price: 0.384,
        windows_price: 0.752,
        enis: None,
    },
];

/// EKS sizes: M5 (aws.amazon.com/ec2/instance-types/m5: 2/4/8 vCPU with 8/16/32 GiB); ENIs and
/// IPv4 per ENI from the EC2 User Guide "IP addresses per network interface per instance type"
/// (m5.large 3 × 10, m5.xlarge and m5.2xlarge 4 × 15), which awslabs/amazon-eks-ami
/// `eni-max-pods.txt` turns into 29, 58, 58 max pods. Prices: aws.amazon.com/ec2/pricing/
/// on-demand, us-east-1, Linux and Windows.
pub const EKS_SIZES: [VmSize; 3] = [
    VmSize {
        name: "m5.large",
        cpu_m: 2000,
        memory: 8 * GIB,
        linux_price: 0.096,
        windows_price: 0.188,
        enis: Some((3, 10)),
    },
    VmSize {
        name: "m5.xlarge",
        cpu_m: 4000,
        memory: 16 * GIB,
        linux_price: 0.192,
        windows_price: 0.376,
        enis: Some((4, 15)),
    },
    VmSize {
        name: "m5.2xlarge",
        cpu_m: 8000,
        memory: 32 * GIB,
        linux_price: 0.384,
        windows_price: 0.752,
        enis: Some((4, 15)),
    },
];

/// GKE sizes: N2 standard (cloud.google.com "General-purpose machine family": 4 GB per vCPU,
/// where Compute Engine's GB is 2^30 bytes). Prices: cloud.google.com/compute/vm-instance-
/// pricing, us-central1: $0.031611 per vCPU-hour plus $0.004237 per GB-hour; Windows adds the
/// Windows Server image's $0.046 per vCPU-hour (cloud.google.com/compute/disks-image-pricing).
/// n2-standard-4: 4 × 0.031611 + 16 × 0.004237 = 0.194236; + 4 × 0.046 = 0.378236.
pub const GKE_SIZES: [VmSize; 3] = [
    VmSize {
        name: "n2-standard-2",
        cpu_m: 2000,
        memory: 8 * GIB,
        linux_price: 0.097118,
        windows_price: 0.189118,
        enis: None,
    },
    VmSize {
        name: "n2-standard-4",
        cpu_m: 4000,
        memory: 16 * GIB,
        linux_price: 0.194236,
        windows_price: 0.378236,
        enis: None,
    },
    VmSize {
        name: "n2-standard-8",
        cpu_m: 8000,
        memory: 32 * GIB,
        linux_price: 0.388472,
        windows_price: 0.756472,
        enis: None,
    },
];

/// The VM sizes a preset knows.
pub fn sizes(preset: Preset) -> &'static [VmSize] {
    match preset {
        Preset::Aks => &AKS_SIZES,
        Preset::Eks => &EKS_SIZES,
        Preset::Gke => &GKE_SIZES,
    }
}

/// Hard eviction `memory.available<100Mi` on all three: AKS 1.29 and later (aks
/// `node-resource-reservations.md`; 750Mi before 1.29), EKS (awslabs/amazon-eks-ami nodeadm
/// `internal/kubelet/config.go` `EvictionHard`), GKE ("Plan node sizes": "an additional
/// 100 MiB of memory on each node for kubelet eviction").
pub const EVICTION_BYTES: u64 = 100 * MIB;

/// What a Windows node reserves on top of the cloud's kube-reserved: 2 GiB for the system
/// (k/web `windows-resource-management.md`: "at least 2GiB"). None of the three pages gives a
/// Windows figure; docs/presets.md says so.
pub const WINDOWS_SYSTEM_RESERVED: u64 = 2 * GIB;

/// AKS kube-reserved memory, Kubernetes 1.29 and later (aks `node-resource-reservations.md`):
/// the lesser of "20 MB * Max Pods supported on the Node + 50 MB" and "25% of the total system
/// memory resources" (MB taken as MiB, as the format's default does).
pub fn aks_reserved_memory(memory: u64, max_pods: u64) -> u64 {
    (20 * MIB)
        .saturating_mul(max_pods)
        .saturating_add(50 * MIB)
        .min(memory / 4)
}

/// EKS and GKE CPU reservation: 6 % of the first core, 1 % of the second, 0.5 % of the next
/// two, 0.25 % of every core above four (amazon-eks-ami nodeadm `getCPUMillicoresToReserve`,
/// integer millicores per range; GKE "Plan node sizes", CPU reservations).
pub fn tiered_reserved_cpu(cpu_m: u64) -> u64 {
    // (range start, range end, hundredths of a percent), as nodeadm writes them.
    let ranges = [
        (0, 1000, 600),
        (1000, 2000, 100),
        (2000, 4000, 50),
        (4000, u64::MAX, 25),
    ];
    ranges
        .iter()
        .filter(|&&(start, _, _)| cpu_m > start)
        .map(|&(start, end, pct)| (cpu_m.min(end) - start) * pct / 10_000)
        .sum()
}

/// EKS kube-reserved memory: `11 * maxPods + 255` MiB (amazon-eks-ami nodeadm
/// `GetMemoryMebibytesToReserve`).
pub fn eks_reserved_memory(max_pods: u64) -> u64 {
    max_pods.saturating_mul(11).saturating_add(255) * MIB
}

/// GKE memory reservation ("Plan node sizes", memory reservations): 255 MiB on machines with
/// less than 1 GiB; otherwise 25 % of the first 4 GiB, 20 % of the next 4 GiB, 10 % of the
/// next 8 GiB, 6 % of the next 112 GiB and 2 % of any memory above 128 GiB.
pub fn gke_reserved_memory(memory: u64) -> u64 {
    if memory < GIB {
        return 255 * MIB;
    }
    let tiers = [
        (0, 4 * GIB, 25),
        (4 * GIB, 8 * GIB, 20),
        (8 * GIB, 16 * GIB, 10),
        (16 * GIB, 128 * GIB, 6),
        (128 * GIB, u64::MAX, 2),
    ];
    tiers
        .iter()
        .filter(|&&(start, _, _)| memory > start)
        // In u128: a tier of up to 2^64 bytes times a percentage overflows u64.
        .map(|&(start, end, pct)| ((memory.min(end) - start) as u128 * pct / 100) as u64)
        .sum()
}

/// Reserved (CPU millicores, memory bytes) of a node of the preset.
pub fn reserved(preset: Preset, os: Os, cpu_m: u64, memory: u64, max_pods: u64) -> (u64, u64) {
    let (cpu, kube_mem) = match preset {
        Preset::Aks => (
            super::defaults::reserved_cpu(cpu_m),
            aks_reserved_memory(memory, max_pods),
        ),
        Preset::Eks => (tiered_reserved_cpu(cpu_m), eks_reserved_memory(max_pods)),
        Preset::Gke => (tiered_reserved_cpu(cpu_m), gke_reserved_memory(memory)),
    };
    let mem = match os {
        Os::Linux => kube_mem,
        Os::Windows => kube_mem.saturating_add(WINDOWS_SYSTEM_RESERVED),
    };
    (cpu, mem)
}

/// The network plugin a preset assumes, and whether `plugin` belongs to the preset's cloud.
pub fn default_plugin(preset: Preset) -> Option<NetworkPlugin> {
    match preset {
        Preset::Aks => Some(NetworkPlugin::AzureCniOverlay),
        Preset::Eks => Some(NetworkPlugin::VpcCni),
        Preset::Gke => None,
    }
}

fn plugins(preset: Preset) -> &'static [NetworkPlugin] {
    match preset {
        Preset::Aks => &[
            NetworkPlugin::Kubenet,
            NetworkPlugin::AzureCni,
            NetworkPlugin::AzureCniOverlay,
        ],
        Preset::Eks => &[NetworkPlugin::VpcCni],
        Preset::Gke => &[],
    }
}

/// Default max pods per node, or None when it depends on an instance type the pool does not
/// name. AKS: kubenet 110, Azure CNI 30, Azure CNI Overlay 250 (aks "Configure maximum pods
/// per node"; AKSNodeClass `maxPods` "Azure CNI with standard networking: 30 pods, Azure CNI
/// with overlay networking: 250 pods, other configurations: 110 pods"). EKS with the VPC CNI:
/// Linux `ENIs × (IPv4 per ENI − 1) + 2` (amazon-eks-ami `eni-max-pods.txt`: "First IP on each
/// ENI is not used for pods", "+2 for the pods that use host-networking"); Windows uses one
/// ENI, `IPv4 per ENI − 1` (EKS user guide, Windows considerations). GKE Standard: 110
/// ("Configure maximum Pods per node").
pub fn max_pods(
    preset: Preset,
    plugin: Option<NetworkPlugin>,
    os: Os,
    vm: Option<&VmSize>,
) -> Option<u32> {
    match (preset, plugin) {
        (Preset::Aks, Some(NetworkPlugin::Kubenet)) => Some(110),
        (Preset::Aks, Some(NetworkPlugin::AzureCni)) => Some(30),
        (Preset::Aks, _) => Some(250),
        (Preset::Eks, _) => vm.and_then(|v| v.enis).map(|(enis, ips)| {
            let pods = match os {
                Os::Linux => enis * (ips - 1) + 2,
                Os::Windows => ips - 1,
            };
            pods as u32
        }),
        (Preset::Gke, _) => Some(110),
    }
}

/// Each node's disk: AKS 128 GB OS disk (AKSNodeClass `osDiskSizeGB` "Default: 128 GB"; Azure
/// disk sizes are GiB); EKS managed node groups 20 GiB on Linux, 50 GiB on Windows
/// (CreateNodegroup `diskSize`); GKE 100 GB ("If unspecified, the default disk size is 100GB",
/// NodeConfig `disk_size_gb`; Compute Engine's GB is 2^30 bytes).
pub fn disk(preset: Preset, os: Os) -> u64 {
    match (preset, os) {
        (Preset::Aks, _) => 128 * GIB,
        (Preset::Eks, Os::Linux) => 20 * GIB,
        (Preset::Eks, Os::Windows) => 50 * GIB,
        (Preset::Gke, _) => 100 * GIB,
    }
}

/// The base images a Windows node image of the preset ships in its cache, for the node's
/// build: AKS caches Nano Server and Server Core (Azure/AgentBaker #7005: "like nanoserver +
/// servercore"); the EKS-optimized Windows AMIs "include two cached Windows container images",
/// servercore and nanoserver (EKS best practices, Windows patching). GKE documents none.
pub fn precached(preset: Preset, os: Os, build: Option<u32>) -> Vec<String> {
    let tag = match (preset, os, build) {
        (Preset::Gke, _, _) | (_, Os::Linux, _) | (_, _, None) => return Vec::new(),
        (_, Os::Windows, Some(17763)) => "ltsc2019",
        (_, Os::Windows, Some(20348)) => "ltsc2022",
        (_, Os::Windows, Some(26100)) => "ltsc2025",
        _ => return Vec::new(),
    };
    ["servercore", "nanoserver"]
        .iter()
        .map(|base| format!("mcr.microsoft.com/windows/{base}:{tag}"))
        .collect()
}

/// Request → Ready delay of a new node, as (median, p95). Where a page reports a range, the
/// median is its midpoint and the p95 its upper end. EKS Linux 40–90 s (Karpenter/EKS, DESIGN
/// §2.6); EKS Windows 4–8 min without image caching (AWS containers blog "Speeding up Windows
/// container launch times with EC2 Image Builder and image cache strategy"); GKE Linux 3–4 min
/// request to schedulable on GCE (k/as `cluster-autoscaler/FAQ.md`). AKS Linux and GKE Windows
/// have no public figure: the format's per-OS defaults, marked as estimates in docs/presets.md;
/// AKS Windows: ≈ 10 min reported (Azure/AKS #1898), the format's Windows default (median
/// 6 min, p95 10 min).
pub fn provisioning(preset: Preset, os: Os) -> (u64, u64) {
    const S: u64 = 1000;
    const M: u64 = 60 * S;
    match (preset, os) {
        (Preset::Eks, Os::Linux) => (65 * S, 90 * S),
        (Preset::Eks, Os::Windows) => (6 * M, 8 * M),
        (Preset::Gke, Os::Linux) => (210 * S, 4 * M),
        (Preset::Aks, Os::Linux) => (90 * S, 3 * M),
        (Preset::Aks, Os::Windows) | (Preset::Gke, Os::Windows) => (6 * M, 10 * M),
    }
}

/// The cluster autoscaler's expander when the scenario's preset is `preset` and its
/// `autoscaler.expander` is left out: AKS's autoscaler profile defaults to `random`
/// (ManagedClusterAutoScalerProfile `expander`: "If not specified, the default is 'random'");
/// its other profile defaults equal upstream's. EKS runs the upstream cluster autoscaler the
/// user deploys, and GKE documents no expander: both keep the upstream default.
pub fn expander(preset: Option<Preset>) -> Option<raw::Expander> {
    match preset {
        Some(Preset::Aks) => Some(raw::Expander::Random),
        _ => None,
    }
}

/// A problem found while resolving a preset, at a path of the pool.
pub struct PresetError {
    pub path: Path,
    pub message: String,
}

/// The pool with every field it leaves out filled from its preset (its own, else the
/// scenario's), and the problems found. Without a preset the pool is returned unchanged.
/// `images` are the scenario's image names (only declared images can be pre-cached: their
/// layers are known), `build` the pool's Windows build if it parsed.
pub fn resolve_pool(
    p: &raw::Pool,
    scenario_preset: Option<Preset>,
    images: &[raw::Image],
    build: Option<u32>,
    path: &Path,
) -> (raw::Pool, Vec<PresetError>) {
    let mut errs = Vec::new();
    let mut err = |path: Path, message: String| errs.push(PresetError { path, message });
    let Some(preset) = p.preset.or(scenario_preset) else {
        if p.network_plugin.is_some() {
            err(
                path.field("network_plugin"),
                "network_plugin only chooses a preset's max pods; give the pool (or the \
                 scenario) a preset, or set max_pods"
                    .into(),
            );
        }
        return (p.clone(), errs);
    };
    let mut r = p.clone();
    let name = preset.name();
    let vm = match &p.instance_type {
        Some(t) => match sizes(preset).iter().find(|v| v.name == t) {
            Some(v) => Some(v),
            None => {
                let known: Vec<&str> = sizes(preset).iter().map(|v| v.name).collect();
                err(
                    path.field("instance_type"),
                    format!(
                        "unknown VM size \"{t}\" for preset {name}; expected one of {}. For \
                         another size, give cpu, memory and price_per_hour and set the \
                         node.kubernetes.io/instance-type label instead of instance_type",
                        known.join(", ")
                    ),
                );
                None
            }
        },
        None => None,
    };
    if let Some(plugin) = p.network_plugin
        && !plugins(preset).contains(&plugin)
    {
        err(
            path.field("network_plugin"),
            format!(
                "{plugin:?} is not a network plugin of {name}; expected {}",
                match plugins(preset) {
                    [] => "none (GKE's max pods does not depend on it here)".to_string(),
                    ps => ps
                        .iter()
                        .map(|p| format!("{p:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            ),
        );
    }
    if let Some(v) = vm {
        r.cpu = r.cpu.or(Some(Cpu(v.cpu_m)));
        r.memory = r.memory.or(Some(Bytes(v.memory)));
        r.price_per_hour = r.price_per_hour.or(Some(v.price(p.os)));
    }
    if r.max_pods.is_none() {
        let plugin = p.network_plugin.or(default_plugin(preset));
        match max_pods(preset, plugin, p.os, vm) {
            Some(n) => r.max_pods = Some(n),
            // Only EKS lands here, and only when the size is not one the preset knows: the
            // unknown size is reported above, a missing one here.
            None if p.instance_type.is_none() => err(
                path.clone(),
                "EKS max pods follow the instance type's network interfaces: give \
                 instance_type (one the preset knows) or max_pods"
                    .into(),
            ),
            None => {}
        }
    }
    r.disk = r.disk.or(Some(Bytes(disk(preset, p.os))));
    r.eviction_threshold = r.eviction_threshold.or(Some(Bytes(EVICTION_BYTES)));
    if let (Some(cpu), Some(mem), Some(pods)) = (r.cpu, r.memory, r.max_pods) {
        let (rc, rm) = reserved(preset, p.os, cpu.0, mem.0, pods as u64);
        let given = p.reserved.clone().unwrap_or_default();
        r.reserved = Some(raw::Reserved {
            cpu: given.cpu.or(Some(Cpu(rc))),
            memory: given.memory.or(Some(Bytes(rm))),
        });
    }
    if r.preloaded_images.is_none() {
        let declared = |n: &String| {
            images.iter().any(|i| {
                &i.name == n
                    && i.platforms
                        .iter()
                        .any(|pl| pl.os == p.os && pl.arch == p.arch)
            })
        };
        let cached: Vec<String> = precached(preset, p.os, build)
            .into_iter()
            .filter(declared)
            .collect();
        if !cached.is_empty() {
            r.preloaded_images = Some(cached);
        }
    }
    if r.provisioning.is_none() {
        let (median, p95) = provisioning(preset, p.os);
        r.provisioning = Some(raw::Delay::LogNormal {
            median: Duration(median),
            p95: Duration(p95),
        });
    }
    (r, errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aks_memory_reservation_follows_the_pages_two_examples() {
        // aks node-resource-reservations.md: "If the VM provides 8 GB of memory and the node
        // supports up to 30 pods, AKS reserves 20 MB * 30 Max Pods + 50 MB = 650 MB".
        assert_eq!(aks_reserved_memory(8 * GIB, 30), 650 * MIB);
        // "If the VM provides 4 GB of memory and the node supports up to 70 pods, AKS reserves
        // 25% * 4 GB = 1000 MB for kube-reserved, as this is less than 20 MB * 70 Max Pods +
        // 50 MB = 1450 MB" (the page rounds 4 GB to 4000 MB; in MiB 25 % is 1024).
        assert_eq!(aks_reserved_memory(4 * GIB, 70), 1024 * MIB);
    }

    #[test]
    fn the_tiered_cpu_reservation_matches_nodeadm_and_gke_examples() {
        // 1 core: 6 % = 60m. 2 cores: 60 + 10. 4 cores: 60 + 10 + 2 × 5 = 80m, which GKE's
        // "Plan node sizes" shows as allocatable "cpu: 3920m" of a 4-CPU node.
        assert_eq!(tiered_reserved_cpu(1000), 60);
        assert_eq!(tiered_reserved_cpu(2000), 70);
        assert_eq!(tiered_reserved_cpu(4000), 80);
        // 8 cores: 80 + 4 × 2.5 = 90m; a half core: 6 % of 500m = 30m.
        assert_eq!(tiered_reserved_cpu(8000), 90);
        assert_eq!(tiered_reserved_cpu(500), 30);
    }

    #[test]
    fn eks_memory_reservation_is_eleven_mib_per_pod_plus_255() {
        // m5.xlarge, 58 pods: 11 × 58 + 255 = 893 MiB.
        assert_eq!(eks_reserved_memory(58), 893 * MIB);
    }

    #[test]
    fn gke_memory_reservation_matches_its_tiers() {
        // 16 GiB: 25 % of 4 + 20 % of 4 + 10 % of 8 = 1 + 0.8 + 0.8 GiB.
        let want = GIB + 4 * GIB / 5 + 4 * GIB / 5;
        assert!(gke_reserved_memory(16 * GIB).abs_diff(want) <= 2);
        // 150 GiB, hatemosphere/gke-node-allocatable-memory-calculator's README example:
        // "Standard GKE reserved memory: 9.8577 GiB" including the 100 MiB eviction threshold:
        // 1 + 0.8 + 0.8 + 6 % of 112 + 2 % of 22 = 9.76 GiB, + 100 MiB = 9.8577 GiB.
        let r = gke_reserved_memory(150 * GIB) + EVICTION_BYTES;
        assert!((r as f64 / GIB as f64 - 9.8577).abs() < 1e-4, "{r}");
        // Below 1 GiB: 255 MiB.
        assert_eq!(gke_reserved_memory(GIB - 1), 255 * MIB);
    }

    #[test]
    fn eks_max_pods_follow_eni_max_pods_txt() {
        // awslabs/amazon-eks-ami eni-max-pods.txt: "m5.large 29", "m5.xlarge 58",
        // "m5.2xlarge 58"; Windows uses one ENI: IPv4 per ENI − 1 = 9, 14, 14.
        let pods = |os| {
            EKS_SIZES
                .iter()
                .map(|v| max_pods(Preset::Eks, None, os, Some(v)).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(pods(Os::Linux), [29, 58, 58]);
        assert_eq!(pods(Os::Windows), [9, 14, 14]);
    }

    #[test]
    fn windows_prices_add_the_same_licence_per_vcpu_on_every_size() {
        // Each table's Windows price is its Linux price plus 0.046 USD per vCPU-hour: the
        // Windows Server image price Compute Engine lists, and the difference between the
        // Windows and Linux list prices on Azure and EC2 for these sizes.
        for v in AKS_SIZES.iter().chain(&EKS_SIZES).chain(&GKE_SIZES) {
            let licence = v.windows_price - v.linux_price;
            let per_vcpu = licence / (v.cpu_m / 1000) as f64;
            assert!((per_vcpu - 0.046).abs() < 1e-9, "{}: {per_vcpu}", v.name);
        }
    }
}
