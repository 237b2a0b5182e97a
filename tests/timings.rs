//! Small scenarios whose timings are computed by hand. Every expected number is derived in the
//! comment above its assertion from the scenario's parameters, not read off the simulator.

mod common;
use common::*;
use hybridsim::model::cluster::{PodPhase, Reason};

const ONE_GB_LAYER: &str = r#"
    layers: [(name: "big", size: "1GB", unpacked: "1GB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["big"])])],
"#;

#[test]
fn one_node_pulls_a_1gb_layer_at_100mbs_then_extracts_at_50mbs() {
    let text = linux_scenario(
        r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s""#,
        &format!(
            r#"{ONE_GB_LAYER}
    workloads: [(name: "a", template: (containers: [(image: "app:1", start_delay: "2s")]))],"#
        ),
        "10m",
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // Download 1 GB / 100 MB/s = 10 s; extraction 1 GB / 50 MB/s = 20 s → pulled at 30 s.
    assert_eq!(a.scheduled, Some(0));
    assert_eq!(a.pulled, Some(30_000));
    // Start delay 2 s → started at 32 s; no readiness probe → Ready when started.
    assert_eq!(a.started, Some(32_000));
    assert_eq!(a.ready, Some(32_000));
}

#[test]
fn two_pods_needing_the_same_layer_share_one_download() {
    for parallel in ["", r#", max_parallel_image_pulls: 2"#] {
        let text = linux_scenario(
            &format!(r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s"{parallel}"#),
            &format!(
                r#"{ONE_GB_LAYER}
    workloads: [(name: "a", replicas: 2, template: (containers: [(image: "app:1", start_delay: "0s")]))],"#
            ),
            "10m",
        );
        let (spec, out) = run(&text);
        // The layer is fetched once: 10 s download + 20 s extraction. Serialized, the second
        // pull runs after the first and finds every layer present (done at 30 s); in parallel
        // the second waits on the first's download. Either way both have it at 30 s, not 60 s.
        for name in ["a-0", "a-1"] {
            assert_eq!(
                pod(&spec, &out, name).pulled,
                Some(30_000),
                "{name} {parallel}"
            );
        }
    }
}

#[test]
fn serialized_pulls_of_two_images_run_one_after_the_other() {
    let layers = r#"
    layers: [(name: "x", size: "1GB", unpacked: "1GB"), (name: "y", size: "1GB", unpacked: "1GB")],
    images: [
        (name: "x:1", platforms: [(os: Linux, layers: ["x"])]),
        (name: "y:1", platforms: [(os: Linux, layers: ["y"])]),
    ],
    workloads: [
        (name: "a", template: (containers: [(image: "x:1", start_delay: "0s")])),
        (name: "b", template: (containers: [(image: "y:1", start_delay: "0s")])),
    ],"#;
    let text = linux_scenario(
        r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s""#,
        layers,
        "10m",
    );
    let (spec, out) = run(&text);
    // Serialized: x downloads 0–10 s and extracts 10–30 s; y starts at 30 s, downloads 30–40 s,
    // extracts 40–60 s.
    assert_eq!(pod(&spec, &out, "a-0").pulled, Some(30_000));
    assert_eq!(pod(&spec, &out, "b-0").pulled, Some(60_000));

    let text = linux_scenario(
        r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s", max_parallel_image_pulls: 2"#,
        layers,
        "10m",
    );
    let (spec, out) = run(&text);
    // Parallel: both download at 50 MB/s each → both downloaded at 20 s; both extract at
    // 25 MB/s each → 1 GB / 25 MB/s = 40 s more → both done at 60 s.
    assert_eq!(pod(&spec, &out, "a-0").pulled, Some(60_000));
    assert_eq!(pod(&spec, &out, "b-0").pulled, Some(60_000));

    // Upstream defaulting: setting only maxParallelImagePulls: 2 turns serialization off, so
    // the scenario-wide setting gives the same parallel timings (both at 60 s).
    let text = format!(
        r#"Scenario(name: "t", duration: "10m", kubelet: (max_parallel_image_pulls: 2),
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1,
        pull_bandwidth: "100MB/s", extraction_rate: "50MB/s")],
    {layers}
)"#
    );
    let (spec, out) = run(&text);
    assert_eq!(pod(&spec, &out, "a-0").pulled, Some(60_000));
    assert_eq!(pod(&spec, &out, "b-0").pulled, Some(60_000));
}

#[test]
fn layers_download_three_at_a_time_and_extract_in_order() {
    // Four 300 MB layers at 120 MB/s, 3 concurrent downloads, extraction 300 MB/s.
    let text = linux_scenario(
        r#"pull_bandwidth: "120MB/s", extraction_rate: "300MB/s""#,
        r#"
    layers: [
        (name: "l1", size: "300MB"), (name: "l2", size: "300MB"),
        (name: "l3", size: "300MB"), (name: "l4", size: "300MB"),
    ],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1", "l2", "l3", "l4"])])],
    workloads: [(name: "a", template: (containers: [(image: "app:1", start_delay: "0s")]))],"#,
        "10m",
    );
    let (spec, out) = run(&text);
    // l1–l3 download together at 40 MB/s each: done at 300/40 = 7.5 s. l4 then downloads alone
    // at 120 MB/s: 300/120 = 2.5 s → 10 s. Extraction is in order at 300 MB/s, 1 s per layer:
    // l1 7.5–8.5, l2 8.5–9.5, l3 9.5–10.5, l4 (downloaded at 10 s) 10.5–11.5 s.
    assert_eq!(pod(&spec, &out, "a-0").pulled, Some(11_500));
}

#[test]
fn readiness_waits_for_the_first_probe_tick_after_the_initial_delay() {
    let text = linux_scenario(
        r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s""#,
        &format!(
            r#"{ONE_GB_LAYER}
    workloads: [(name: "a", template: (containers: [(image: "app:1", start_delay: "2s",
        readiness_probe: (initial_delay: "45s", period: "10s"))]))],"#
        ),
        "10m",
    );
    let (spec, out) = run(&text);
    // Started at 32 s (as above); the probe worker ticks every 10 s from admission at 0 s;
    // the first tick at or after 32 + 45 = 77 s is 80 s.
    assert_eq!(pod(&spec, &out, "a-0").ready, Some(80_000));
}

#[test]
fn a_windows_image_on_a_linux_node_fails_to_pull_and_backs_off() {
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "nano", size: "100MB", unpacked: "300MB")],
    images: [(name: "nanoserver:ltsc2022", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["nano"])])],
    workloads: [(name: "a", template: (containers: [(image: "nanoserver:ltsc2022")]))],"#,
        "100s",
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // Attempts at 0 s, then after 10, 20, 40 s of back-off: 10, 30, 70 s; the next (150 s) is
    // past the end.
    assert_eq!(attempts(&out, Reason::ErrImagePull), 4);
    assert_eq!(a.reason, Some(Reason::ErrImagePull));
    assert_eq!(a.phase, PodPhase::Starting);
    assert_eq!(
        out.messages.get(a.message.unwrap()),
        "no match for platform in manifest: not found"
    );
}

const WINDOWS_2022_POOL: &str = r#"(name: "w", os: Windows, os_version: "10.0.20348.2340",
    cpu: "4", memory: "16Gi", count: 1, pull_bandwidth: "100MB/s", extraction_rate: "50MB/s")"#;

#[test]
fn an_ltsc2019_image_on_a_ws2022_node_fails_container_creation_with_backoff() {
    // Docker-era matching (opt-in): the incompatible entry is pulled anyway.
    let text = format!(
        r#"Scenario(name: "t", duration: "100s", kubelet: (strict_platform_match: false), pools: [{WINDOWS_2022_POOL}],
    layers: [(name: "core", size: "1GB", unpacked: "1GB")],
    images: [(name: "app:ltsc2019", platforms: [(os: Windows, os_version: "10.0.17763.5576", layers: ["core"])])],
    workloads: [(name: "a", template: (containers: [(image: "app:ltsc2019")]))])"#
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // The pull succeeds (10 s + 20 s = 30 s); the create check fails at 30 s, then after 10, 20
    // and 40 s of back-off: 40, 60, 100 s (100 s is the end and still runs) → 4 attempts.
    assert_eq!(a.pulled, Some(30_000));
    assert_eq!(attempts(&out, Reason::CreateContainerError), 4);
    assert_eq!(
        out.messages.get(a.message.unwrap()),
        "The operating system of the container does not match the operating system of the \
         host. (0xc0370101)"
    );

    // With containerd ≥ 1.7 matching (the default), the incompatible entry is never pulled:
    // ErrImagePull at 0, 10, 30, 70 s, and nothing is downloaded.
    let strict = text.replace(r#" kubelet: (strict_platform_match: false),"#, "");
    assert_ne!(strict, text);
    let (spec, out) = run(&strict);
    assert_eq!(attempts(&out, Reason::ErrImagePull), 4);
    assert_eq!(attempts(&out, Reason::CreateContainerError), 0);
    assert_eq!(pod(&spec, &out, "a-0").pulled, None);
}

#[test]
fn hyperv_isolation_runs_an_older_build_with_extra_start_time() {
    let text = format!(
        r#"Scenario(name: "t", duration: "100s", pools: [{WINDOWS_2022_POOL}],
    layers: [(name: "core", size: "1GB", unpacked: "1GB")],
    images: [(name: "app:ltsc2019", platforms: [(os: Windows, os_version: "10.0.17763.5576", layers: ["core"])])],
    workloads: [(name: "a", template: (isolation: HyperV,
        containers: [(image: "app:ltsc2019", memory: "1Gi")]))])"#
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // Pulled at 30 s; Windows start delay 5 s + Hyper-V 10 s (defaults) → started at 45 s.
    assert_eq!(a.started, Some(45_000));
    assert_eq!(a.ready, Some(45_000));
    // The utility VM's memory is part of the pod's requests: 1 GiB + 275 MB.
    assert_eq!(spec.templates[0].requests.mem, (1 << 30) + 275_000_000);
}

#[test]
fn privileged_and_host_network_pods_run_on_windows_as_upstream_kubelets_run_them() {
    // Upstream's kubelet has no Windows admission check for either field (docs/upstream.md):
    // `privileged` is never read on Windows, `hostNetwork` without HostProcess leaves the pod
    // on a container network. So each workload has one pod, on the ordinary start path: a
    // 1 GB layer at 100 MB/s downloads in 10 s and extracts at 50 MB/s in 20 s (serialized
    // pulls, both images share the layer so the second pod finds it there), plus the Windows
    // start delay of 5 s → the first pod starts at 35 s.
    let text = format!(
        r#"Scenario(name: "t", duration: "100s", pools: [{WINDOWS_2022_POOL}],
    layers: [(name: "core", size: "1GB")],
    images: [(name: "app:ltsc2022", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["core"])])],
    workloads: [
        (name: "a", template: (containers: [(image: "app:ltsc2022", privileged: true)])),
        (name: "b", template: (host_network: true, containers: [(image: "app:ltsc2022")])),
    ])"#
    );
    let (spec, out) = run(&text);
    assert_eq!(out.cluster.pods.len(), 2);
    assert!(out.cluster.pods.iter().all(|p| p.phase == PodPhase::Ready));
    assert!(out.cluster.pods.iter().all(|p| p.reason.is_none()));
    let a = pod(&spec, &out, "a-0");
    assert_eq!(a.started, Some(35_000));
}

#[test]
fn the_unschedulable_message_matches_the_upstream_format() {
    // 8 Linux nodes with 2 cores (1,900m allocatable by the AKS table: 2,000 − 100) and 4
    // Windows nodes tainted os=windows:NoSchedule; the pod asks for 3 cores.
    let text = r#"Scenario(name: "t", duration: "1m",
    pools: [
        (name: "l", os: Linux, cpu: "2", memory: "8Gi", count: 8),
        (name: "w", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi", count: 4,
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "a", template: (containers: [(image: "app:1", cpu: "3")]))])"#;
    let (spec, out) = run(text);
    let a = pod(&spec, &out, "a-0");
    assert_eq!(a.reason, Some(Reason::Unschedulable));
    assert_eq!(
        out.messages.get(a.message.unwrap()),
        "0/12 nodes are available: 4 node(s) had untolerated taint {os: windows}, 8 Insufficient cpu."
    );
}

#[test]
fn an_unschedulable_pod_binds_as_soon_as_a_deletion_frees_room() {
    // One node with 4 cores (3,860m allocatable: 4,000 − 140). "big" takes 3 cores; "late"
    // (2 cores) cannot fit until "big" is deleted at 60 s.
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [
        (name: "big", template: (containers: [(image: "app:1", cpu: "3")])),
        (name: "late", created_at: "5s", template: (containers: [(image: "app:1", cpu: "2")])),
    ],
    timeline: [(at: "60s", action: Delete(workload: "big"))],"#,
        "2m",
    )
    .replace(r#"cpu: "8""#, r#"cpu: "4""#);
    let (spec, out) = run(&text);
    // The pod deletion is a cluster event that moves the pod out of the unschedulable pool; its
    // back-off (1 s after its only failure at 5 s) has long expired, so it binds at 60 s.
    assert_eq!(pod(&spec, &out, "late-0").scheduled, Some(60_000));
}

#[test]
fn a_pod_no_event_helps_is_retried_by_the_five_minute_flush() {
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "a", template: (containers: [(image: "app:1")],
        node_selector: {"disk": "ssd"}))],"#,
        "20m",
    );
    let (spec, out) = run(&text);
    // Fails at 0 s. The flush runs every 30 s and moves pods parked ≥ 5 min: at 300, 600, 900
    // and 1200 s (the end is inclusive) → 5 attempts.
    assert_eq!(pod(&spec, &out, "a-0").sched_attempts, 5);
    assert_eq!(attempts(&out, Reason::Unschedulable), 5);
}

#[test]
fn a_runtimeclass_selector_conflict_rejects_the_pod_at_admission() {
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    runtime_classes: [(name: "win", handler: "runhcs-wcow-process",
        scheduling: (node_selector: {"kubernetes.io/os": "windows"}))],
    workloads: [(name: "a", replicas: 2, template: (containers: [(image: "app:1")],
        node_selector: {"kubernetes.io/os": "linux"}, runtime_class_name: "win"))],"#,
        "1m",
    );
    let (_, out) = run(&text);
    // Both replicas are rejected by the API server and never scheduled.
    assert_eq!(out.cluster.pods.len(), 2);
    assert!(
        out.cluster
            .pods
            .iter()
            .all(|p| p.phase == PodPhase::Rejected)
    );
    assert_eq!(attempts(&out, Reason::RuntimeClassConflict), 2);
    assert_eq!(out.scheduling_attempts, 0);
}

#[test]
fn a_runtimeclass_steers_pods_to_the_matching_build() {
    let text = r#"Scenario(name: "t", duration: "10m",
    pools: [
        (name: "ws2019", os: Windows, os_version: "10.0.17763.5576", cpu: "4", memory: "16Gi", count: 2,
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
        (name: "ws2022", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi", count: 2,
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
    ],
    layers: [(name: "c", size: "100MB")],
    images: [(name: "app:ltsc2019", platforms: [(os: Windows, os_version: "10.0.17763.5576", layers: ["c"])])],
    runtime_classes: [(name: "windows-2019", handler: "runhcs-wcow-process",
        scheduling: (
            node_selector: {"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"},
            tolerations: [(key: "os", operator: Equal, value: "windows", effect: NoSchedule)],
        ))],
    workloads: [(name: "a", replicas: 6, template: (containers: [(image: "app:ltsc2019")],
        runtime_class_name: "windows-2019"))])"#;
    let (spec, out) = run(text);
    // The RuntimeClass's build selector keeps every replica on ws2019: no create errors.
    for p in &out.cluster.pods {
        let node = p.node.expect("bound");
        assert_eq!(
            spec.pools[out.cluster.nodes[node.idx()].pool.idx()].name,
            "ws2019"
        );
        assert!(p.ready.is_some());
    }
}

#[test]
fn a_daemonset_pre_pulls_its_image_on_matching_nodes_only() {
    let text = r#"Scenario(name: "t", duration: "10m",
    pools: [
        (name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 1),
        (name: "win", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi", count: 2,
            taints: [(key: "os", value: "windows", effect: NoSchedule)],
            pull_bandwidth: "100MB/s", extraction_rate: "50MB/s"),
    ],
    layers: [(name: "core", size: "1GB", unpacked: "1GB")],
    images: [(name: "core:ltsc2022", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["core"])])],
    workloads: [
        (name: "prepull", kind: DaemonSet, template: (containers: [(image: "core:ltsc2022")],
            node_selector: {"kubernetes.io/os": "windows"},
            tolerations: [(key: "os", operator: Exists)])),
        (name: "app", created_at: "2m", replicas: 2, template: (containers: [(image: "core:ltsc2022")],
            node_selector: {"kubernetes.io/os": "windows"},
            tolerations: [(key: "os", operator: Exists)])),
    ])"#;
    let (spec, out) = run(text);
    // One DaemonSet pod per Windows node (the Linux node fails its selector): pulls 10 s + 20 s.
    let ds: Vec<_> = out
        .cluster
        .pods
        .iter()
        .filter(|p| spec.workloads[p.workload.idx()].name == "prepull")
        .collect();
    assert_eq!(ds.len(), 2);
    assert!(ds.iter().all(|p| p.pulled == Some(30_000)));
    // The app pods created at 120 s find the image present: no pull at all.
    for name in ["app-0", "app-1"] {
        let p = pod(&spec, &out, name);
        assert_eq!(p.pulled, Some(120_000), "{name}");
    }
}

#[test]
fn a_hostprocess_pod_skips_the_build_check_that_fails_a_regular_pod_with_the_same_image() {
    // The ltsc2019 image is already on the WS2022 node (preloaded, so no pull decides anything):
    // both pods reach container creation at 0 s. The regular pod fails the hcsshim process
    // isolation rule (a 20348 host runs only 20348 images); the HostProcess pod runs as a job
    // object on the host and is not checked (k/web create-hostprocess-pod.md), so it starts
    // after its 5 s start delay and, without a probe, is Ready then (5 s).
    let text = r#"Scenario(name: "t", duration: "100s", pools: [(name: "w", os: Windows,
    os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi", count: 1,
    preloaded_images: ["agent:ltsc2019"])],
    layers: [(name: "core", size: "1GB", unpacked: "1GB")],
    images: [(name: "agent:ltsc2019", platforms: [(os: Windows, os_version: "10.0.17763.5576", layers: ["core"])])],
    workloads: [
        (name: "hp", template: (host_process: true, host_network: true,
            containers: [(image: "agent:ltsc2019", start_delay: "5s")])),
        (name: "plain", template: (containers: [(image: "agent:ltsc2019", start_delay: "5s")])),
    ])"#;
    let (spec, out) = run(text);
    let hp = pod(&spec, &out, "hp-0");
    assert_eq!(hp.phase, PodPhase::Ready);
    assert_eq!(hp.ready, Some(5_000));
    let plain = pod(&spec, &out, "plain-0");
    assert_eq!(plain.reason, Some(Reason::CreateContainerError));
    // The regular pod's attempts: 0 s, then after 10, 20 and 40 s of back-off: 10, 30, 70 s.
    assert_eq!(attempts(&out, Reason::CreateContainerError), 4);
}
