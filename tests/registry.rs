//! Registry limits end to end: a registry's egress shared by every node pulling from it (max-min
//! fair over node and registry links) and the kubelet's `registryPullQPS` token bucket
//! (k/k `pkg/kubelet/images/helpers.go`, `throttledImageService`). Every expected time is
//! derived in a comment from those rules.

mod common;
use common::*;
use hybridsim::model::cluster::Reason;

/// Four Windows nodes, 100 MB/s each, extraction 1 GB/s; a DaemonSet pulls one 3 GB layer on
/// each at time 0. `registries` is spliced in.
fn herd(registries: &str) -> String {
    format!(
        r#"Scenario(
    name: "herd",
    duration: "10m",
    pools: [(name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "8", memory: "32Gi",
             count: 4, pull_bandwidth: "100MB/s", extraction_rate: "1GB/s")],
    layers: [(name: "base", size: "3GB")],
    images: [(name: "mcr.microsoft.com/windows/servercore:ltsc2022",
              platforms: [(os: Windows, os_version: "10.0.20348.1", layers: ["base"])])],
    registries: [{registries}],
    workloads: [(name: "agent", kind: DaemonSet, template: (containers: [
        (image: "mcr.microsoft.com/windows/servercore:ltsc2022")]))],
)"#
    )
}

#[test]
fn four_nodes_share_a_registry_limited_to_twice_one_node_s_bandwidth() {
    // Registry 200 MB/s over 4 downloads: 50 MB/s each (below each node's 100): 3 GB in 60 s,
    // then 3 GB extracted at 1 GB/s: pulled at 63 s on every node.
    let (spec, out) = run(&herd(
        r#"(host: "mcr.microsoft.com", bandwidth: "200MB/s")"#,
    ));
    for i in 0..4 {
        assert_eq!(pod(&spec, &out, &format!("agent-{i}")).pulled, Some(63_000));
    }
}

#[test]
fn without_a_registry_limit_each_node_pulls_at_its_own_bandwidth() {
    // 3 GB at 100 MB/s = 30 s, + 3 s extraction: 33 s.
    let (spec, out) = run(&herd(""));
    assert_eq!(pod(&spec, &out, "agent-0").pulled, Some(33_000));
}

#[test]
fn a_registry_limit_above_what_the_nodes_can_take_changes_nothing() {
    // 1 GB/s over 4 downloads is 250 MB/s each, above the nodes' 100: the node links bind,
    // and the pull ends at 33 s as without a limit.
    let (spec, out) = run(&herd(r#"(host: "mcr.microsoft.com", bandwidth: "1GB/s")"#));
    assert_eq!(pod(&spec, &out, "agent-3").pulled, Some(33_000));
}

#[test]
fn a_limit_on_another_registry_leaves_these_pulls_alone() {
    // The limit is on docker.io, where `busybox:1` comes from (a name without a registry
    // host); the mcr.microsoft.com pulls run at the node's 100 MB/s: 33 s.
    let text = herd(r#"(host: "docker.io", bandwidth: "1MB/s")"#)
        .replace(
            r#"layers: [(name: "base", size: "3GB")],"#,
            r#"layers: [(name: "base", size: "3GB"), (name: "bb", size: "1MB")],"#,
        )
        .replace(
            r#"layers: ["base"])])],"#,
            r#"layers: ["base"])]),
              (name: "busybox:1", platforms: [(os: Windows, layers: ["bb"])])],"#,
        );
    let (spec, out) = run(&text);
    assert_eq!(spec.images[1].registry, Some(0));
    assert_eq!(spec.images[0].registry, None);
    assert_eq!(pod(&spec, &out, "agent-0").pulled, Some(33_000));
}

#[test]
fn pulls_beyond_the_registry_burst_fail_with_pull_qps_exceeded_and_retry_after_the_back_off() {
    // Twelve replicas bind at 0 s to one node whose image `app:latest` is there already; its
    // pull policy is Always (the `:latest` tag), so each start calls PullImage, which finishes
    // at once. The bucket starts full with registryBurst = 10 tokens, refilled at 5 per
    // second: the first ten pulls pass at 0 s, the 11th and 12th find it empty ("pull QPS
    // exceeded", ErrImagePull) and retry after the 10 s image pull back-off, when the bucket
    // holds 10 again: pulled at 10 s.
    let text = linux_scenario(
        r#"preloaded_images: ["app:latest"]"#,
        r#"layers: [(name: "app", size: "100MB")],
    images: [(name: "app:latest", platforms: [(os: Linux, layers: ["app"])])],
    workloads: [(name: "web", replicas: 12,
        template: (containers: [(image: "app:latest", cpu: "100m")]))],"#,
        "2m",
    );
    let (spec, out) = run(&text);
    let pulled: Vec<Option<u64>> = (0..12)
        .map(|i| pod(&spec, &out, &format!("web-{i}")).pulled)
        .collect();
    assert_eq!(pulled.iter().filter(|p| **p == Some(0)).count(), 10);
    assert_eq!(pulled.iter().filter(|p| **p == Some(10_000)).count(), 2);
    assert_eq!(attempts(&out, Reason::ErrImagePull), 2);
    // registry_pull_qps: 0 is no limit: all twelve at 0 s.
    let text = text.replace(
        "duration: \"2m\",",
        "duration: \"2m\",\n    kubelet: (registry_pull_qps: 0),",
    );
    let (spec, out) = run(&text);
    assert!((0..12).all(|i| pod(&spec, &out, &format!("web-{i}")).pulled == Some(0)));
}

#[test]
fn bad_registry_and_qps_settings_are_errors_with_positions() {
    // (scenario, the value the error points at, the message).
    let cases = [
        (
            herd(r#"(host: "mcr.microsoft.com", bandwidth: "0MB/s")"#),
            r#""0MB/s""#,
            "registries[0].bandwidth: expected a positive egress",
        ),
        (
            herd(r#"(host: "mcr.microsoft.co", bandwidth: "1GB/s")"#),
            r#""mcr.microsoft.co""#,
            "registries[0].host: no image comes from registry \"mcr.microsoft.co\"; the images' \
             registries are: mcr.microsoft.com",
        ),
        (
            herd("").replace(
                "duration: \"10m\",",
                "duration: \"10m\", kubelet: (registry_pull_qps: -1),",
            ),
            "-1",
            "kubelet.registry_pull_qps: expected a non-negative number",
        ),
        (
            herd("").replace(
                "duration: \"10m\",",
                "duration: \"10m\", kubelet: (registry_burst: 0),",
            ),
            "0)",
            "kubelet.registry_burst: expected at least 1 while registry_pull_qps limits pulls",
        ),
    ];
    for (text, needle, want) in cases {
        assert_error_at(&text, needle, want);
    }
}
