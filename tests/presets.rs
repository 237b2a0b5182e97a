//! Cloud presets (docs/presets.md): each preset's numbers against the pages they come from,
//! the precedence of explicit fields, and bad input reported at its position.

mod common;

use common::{assert_error_at, load_errors, pos_of, spec};
use hybridsim::model::{DelayDist, ExpanderKind, Os, PoolSpec, Spec};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// A scenario with one pool (`pool`: its fields after the name) and the WS2022 Server Core
/// and Nano Server bases declared, plus `top` at the top level.
fn scenario(top: &str, pool: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "1h",
    {top}
    pools: [(name: "p", {pool})],
    layers: [(name: "sc", size: "1GB"), (name: "ns", size: "100MB")],
    images: [
        (name: "mcr.microsoft.com/windows/servercore:ltsc2022",
         platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["sc"])]),
        (name: "mcr.microsoft.com/windows/nanoserver:ltsc2022",
         platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["ns"])]),
    ],
    workloads: [],
)"#
    )
}

const WIN: &str = r#"os: Windows, os_version: "10.0.20348.2340""#;

fn pool(text: &str) -> (Spec, PoolSpec) {
    let s = spec(text);
    let p = s.pools[0].clone();
    (s, p)
}

fn preloaded(s: &Spec, p: &PoolSpec) -> Vec<String> {
    p.preloaded
        .iter()
        .map(|i| s.images[i.idx()].name.clone())
        .collect()
}

#[test]
fn an_aks_windows_d4s_v5_pool_takes_the_aks_numbers() {
    let (s, p) = pool(&scenario(
        "",
        &format!(r#"{WIN}, preset: AKS, instance_type: "Standard_D4s_v5""#),
    ));
    // Dsv5 series: Standard_D4s_v5 has 4 vCPU and 16 GiB. Azure CNI Overlay (assumed): 250 pods.
    assert_eq!(
        (p.capacity.cpu_m, p.capacity.mem, p.capacity.pods),
        (4000, 16 * GIB, 250)
    );
    // CPU table: 4 cores reserve 140m. Memory: min(20 × 250 + 50 = 5050 MiB, 25 % of
    // 16 GiB = 4096 MiB) = 4096 MiB, + 2 GiB for Windows = 6144 MiB; eviction 100 MiB.
    assert_eq!(p.allocatable.cpu_m, 4000 - 140);
    assert_eq!(p.allocatable.mem, (16384 - 6144 - 100) * MIB);
    // AKSNodeClass osDiskSizeGB "Default: 128 GB"; Windows pay-as-you-go, East US.
    assert_eq!(p.disk, 128 * GIB);
    assert_eq!(p.price_per_hour, 0.376);
    // The node image caches Server Core and Nano Server of its build (ltsc2022 for 20348).
    assert_eq!(
        preloaded(&s, &p),
        [
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com/windows/nanoserver:ltsc2022"
        ]
    );
    // ≈ 10 min reported (Azure/AKS #1898): median 6 min, p95 10 min.
    assert_eq!(p.provisioning, DelayDist::log_normal(360_000, 600_000));
}

#[test]
fn aks_max_pods_follow_the_network_plugin() {
    // kubenet 110, Azure CNI 30, Azure CNI Overlay 250 (aks "Configure maximum pods per
    // node"). Memory: min(20 × pods + 50 MiB, 4096 MiB) on a 16 GiB Linux node.
    for (plugin, pods, reserved_mib) in [
        ("Kubenet", 110, 20 * 110 + 50),
        ("AzureCni", 30, 20 * 30 + 50),
        ("AzureCniOverlay", 250, 4096),
    ] {
        let (_, p) = pool(&scenario(
            "",
            &format!(
                r#"os: Linux, preset: AKS, instance_type: "Standard_D4s_v5", network_plugin: {plugin}"#
            ),
        ));
        assert_eq!(p.capacity.pods, pods, "{plugin}");
        assert_eq!(
            p.allocatable.mem,
            (16384 - reserved_mib - 100) * MIB,
            "{plugin}"
        );
        // Linux pay-as-you-go, East US.
        assert_eq!(p.price_per_hour, 0.192);
    }
}

#[test]
fn an_eks_m5_xlarge_pool_takes_the_eks_numbers_on_each_os() {
    let (s, lin) = pool(&scenario(
        "",
        r#"os: Linux, preset: EKS, instance_type: "m5.xlarge""#,
    ));
    // eni-max-pods.txt "m5.xlarge 58" = 4 ENIs × (15 − 1) + 2.
    assert_eq!(lin.capacity.pods, 58);
    // nodeadm: CPU 60 + 10 + 2 × 5 = 80m; memory 11 × 58 + 255 = 893 MiB; eviction 100Mi.
    assert_eq!(lin.allocatable.cpu_m, 4000 - 80);
    assert_eq!(lin.allocatable.mem, (16384 - 893 - 100) * MIB);
    // CreateNodegroup diskSize: 20 GiB for Linux. On-demand us-east-1 Linux.
    assert_eq!(lin.disk, 20 * GIB);
    assert_eq!(lin.price_per_hour, 0.192);
    assert!(preloaded(&s, &lin).is_empty());
    // 40–90 s: median 65 s, p95 90 s.
    assert_eq!(lin.provisioning, DelayDist::log_normal(65_000, 90_000));

    let (s, win) = pool(&scenario(
        "",
        &format!(r#"{WIN}, preset: EKS, instance_type: "m5.xlarge""#),
    ));
    // Windows uses one ENI: 15 − 1 = 14 pods; 11 × 14 + 255 = 409 MiB + 2 GiB.
    assert_eq!(win.capacity.pods, 14);
    assert_eq!(win.allocatable.mem, (16384 - 409 - 2048 - 100) * MIB);
    // 50 GiB for Windows; Windows on-demand price; both bases cached.
    assert_eq!(win.disk, 50 * GIB);
    assert_eq!(win.price_per_hour, 0.376);
    assert_eq!(preloaded(&s, &win).len(), 2);
    // 4–8 min without image caching: median 6 min, p95 8 min.
    assert_eq!(win.provisioning, DelayDist::log_normal(360_000, 480_000));
}

#[test]
fn a_gke_n2_standard_4_pool_takes_the_gke_numbers() {
    let (_, lin) = pool(&scenario(
        "",
        r#"os: Linux, preset: GKE, instance_type: "n2-standard-4""#,
    ));
    // 110 pods; CPU 80m ("cpu: 3920m" on the page's 4-CPU node); memory 25 % of 4 GiB +
    // 20 % of 4 GiB + 10 % of 8 GiB = 1073741824 + 858993459 + 858993459 bytes (integer
    // division of each tier), then 100 MiB eviction.
    assert_eq!(lin.capacity.pods, 110);
    assert_eq!(lin.allocatable.cpu_m, 3920);
    let reserved = 1_073_741_824 + 858_993_459 + 858_993_459;
    assert_eq!(lin.allocatable.mem, 16 * GIB - reserved - 100 * MIB);
    // NodeConfig disk_size_gb "the default disk size is 100GB" (GB = 2^30 on GCE);
    // 4 × 0.031611 + 16 × 0.004237 = 0.194236 USD/h in us-central1.
    assert_eq!(lin.disk, 100 * GIB);
    assert!((lin.price_per_hour - 0.194236).abs() < 1e-12);
    // 3–4 min request to schedulable on GCE: median 3.5 min, p95 4 min.
    assert_eq!(lin.provisioning, DelayDist::log_normal(210_000, 240_000));

    let (_, win) = pool(&scenario(
        "",
        &format!(r#"{WIN}, preset: GKE, instance_type: "n2-standard-4""#),
    ));
    // + 4 vCPU × 0.046 Windows Server licence; GKE documents no cached base images.
    assert!((win.price_per_hour - 0.378236).abs() < 1e-12);
    assert!(win.preloaded.is_empty());
    assert_eq!(
        win.allocatable.mem,
        16 * GIB - reserved - 2 * GIB - 100 * MIB
    );
}

#[test]
fn explicit_fields_override_the_preset() {
    let (s, p) = pool(&scenario(
        "",
        &format!(
            r#"{WIN}, preset: AKS, instance_type: "Standard_D4s_v5", cpu: "8", max_pods: 50,
            disk: "64Gi", price_per_hour: 1.5, preloaded_images: [], reserved: (cpu: "200m"),
            provisioning: Fixed("30s")"#
        ),
    ));
    // cpu and max_pods as given; memory still from the size.
    assert_eq!(
        (p.capacity.cpu_m, p.capacity.mem, p.capacity.pods),
        (8000, 16 * GIB, 50)
    );
    // reserved.cpu as given; the memory part keeps the preset's rule with the given max pods:
    // min(20 × 50 + 50 = 1050 MiB, 4096 MiB) + 2048 MiB for Windows.
    assert_eq!(p.allocatable.cpu_m, 8000 - 200);
    assert_eq!(p.allocatable.mem, (16384 - 1050 - 2048 - 100) * MIB);
    assert_eq!(p.disk, 64 * GIB);
    assert_eq!(p.price_per_hour, 1.5);
    assert!(preloaded(&s, &p).is_empty());
    assert_eq!(p.provisioning, DelayDist::Fixed(30_000));
}

#[test]
fn the_pool_preset_wins_over_the_scenario_preset() {
    // Scenario AKS, pool EKS: the EKS Linux disk (20 GiB), not AKS's 128 GiB.
    let (_, p) = pool(&scenario(
        "preset: AKS,",
        r#"os: Linux, preset: EKS, instance_type: "m5.large""#,
    ));
    assert_eq!((p.disk, p.capacity.pods), (20 * GIB, 29));
    // A pool without its own takes the scenario's.
    let (_, p) = pool(&scenario(
        "preset: GKE,",
        r#"os: Linux, instance_type: "n2-standard-2""#,
    ));
    assert_eq!(
        (p.disk, p.capacity.cpu_m, p.capacity.pods),
        (100 * GIB, 2000, 110)
    );
}

#[test]
fn the_aks_scenario_preset_sets_the_random_expander_unless_the_autoscaler_names_one() {
    let lin = r#"os: Linux, instance_type: "Standard_D2s_v5""#;
    // ManagedClusterAutoScalerProfile expander: "If not specified, the default is 'random'".
    assert_eq!(
        spec(&scenario("preset: AKS,", lin)).autoscaler.expander,
        ExpanderKind::Random
    );
    assert_eq!(
        spec(&scenario(
            "preset: AKS, autoscaler: (expander: MostPods),",
            lin
        ))
        .autoscaler
        .expander,
        ExpanderKind::MostPods
    );
    // A pool preset alone does not change the cluster's autoscaler; EKS and GKE keep upstream's.
    let lin_pool = r#"os: Linux, preset: AKS, instance_type: "Standard_D2s_v5""#;
    assert_eq!(
        spec(&scenario("", lin_pool)).autoscaler.expander,
        ExpanderKind::LeastWaste
    );
    assert_eq!(
        spec(&scenario(
            "preset: EKS,",
            r#"os: Linux, instance_type: "m5.large""#
        ))
        .autoscaler
        .expander,
        ExpanderKind::LeastWaste
    );
}

#[test]
fn a_pool_without_preset_is_unchanged() {
    // The format's defaults: 128 GiB disk, 110 pods, price 0, AKS CPU table, 20 × 110 + 50 MiB.
    let (_, p) = pool(&scenario("", r#"os: Linux, cpu: "4", memory: "16Gi""#));
    assert_eq!(
        (p.disk, p.capacity.pods, p.price_per_hour),
        (128 * GIB, 110, 0.0)
    );
    assert_eq!(p.allocatable.mem, (16384 - 2250 - 100) * MIB);
    assert_eq!(p.os, Os::Linux);
}

#[test]
fn an_unknown_preset_is_a_parse_error_at_its_value() {
    let text = scenario("", r#"os: Linux, preset: AZURE, instance_type: "x""#);
    let err = load_errors(&text);
    let (line, col) = pos_of(&text, "AZURE");
    assert!(
        err.starts_with(&format!("t.ron:{line}:{col}: ")) && err.contains("AZURE"),
        "{err}"
    );
}

#[test]
fn bad_preset_input_is_reported_at_its_position() {
    // An unknown VM size for the preset, at the size.
    let text = scenario(
        "",
        r#"os: Linux, preset: AKS, instance_type: "Standard_D4s_v3""#,
    );
    assert_error_at(
        &text,
        "\"Standard_D4s_v3\"",
        "pools[0].instance_type: unknown VM size \"Standard_D4s_v3\" for preset AKS; expected \
         one of Standard_D2s_v5, Standard_D4s_v5, Standard_D8s_v5",
    );
    // A disk smaller than what the OS occupies: EKS Windows gives 50 GiB, os_disk says 60.
    let text = scenario(
        "",
        &format!(r#"{WIN}, preset: EKS, instance_type: "m5.xlarge", os_disk: "60Gi""#),
    );
    assert_error_at(
        &text,
        "\"60Gi\"",
        "pools[0].os_disk: disk (53687091200 bytes) is not larger than what the OS occupies on \
         it (os_disk, 64424509440 bytes)",
    );
    // An explicit disk smaller than the Windows default OS share (32 GB), at the disk.
    let text = scenario(
        "",
        &format!(r#"{WIN}, preset: AKS, instance_type: "Standard_D4s_v5", disk: "30GB""#),
    );
    assert_error_at(
        &text,
        "\"30GB\"",
        "pools[0].disk: disk (30000000000 bytes) is not larger than what the OS occupies",
    );
    // Thresholds out of order stay errors with a preset.
    let text = scenario(
        "preset: AKS, kubelet: (image_gc_high_threshold: 70, image_gc_low_threshold: 75),",
        r#"os: Linux, instance_type: "Standard_D4s_v5""#,
    );
    assert_error_at(
        &text,
        "75",
        "kubelet.image_gc_low_threshold: expected image_gc_low_threshold (75) below \
         image_gc_high_threshold (70)",
    );
    // A network plugin of another cloud, and one without a preset.
    let text = scenario(
        "",
        r#"os: Linux, preset: EKS, instance_type: "m5.large", network_plugin: Kubenet"#,
    );
    assert_error_at(
        &text,
        "Kubenet",
        "pools[0].network_plugin: Kubenet is not a network plugin of EKS; expected VpcCni",
    );
    let text = scenario(
        "",
        r#"os: Linux, cpu: "4", memory: "16Gi", network_plugin: AzureCni"#,
    );
    assert_error_at(
        &text,
        "AzureCni",
        "pools[0].network_plugin: network_plugin only chooses a preset's max pods",
    );
}

#[test]
fn a_pool_missing_its_shape_is_reported_at_the_pool() {
    // No preset and no cpu: the pool (the field is absent, so its enclosing value).
    let text = scenario("", r#"os: Linux, memory: "16Gi""#);
    assert_error_at(
        &text,
        "(name: \"p\"",
        "pools[0]: expected cpu: give it, or a preset",
    );
    // EKS without an instance type cannot derive max pods.
    let text = scenario("", r#"os: Linux, preset: EKS, cpu: "4", memory: "16Gi""#);
    assert_error_at(
        &text,
        "(name: \"p\"",
        "pools[0]: EKS max pods follow the instance type's network interfaces",
    );
}
