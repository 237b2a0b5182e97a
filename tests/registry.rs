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

#[test]
fn nodes_that_fail_give_their_share_of_the_registry_back_at_once() {
    // Four nodes share the 200 MB/s registry: 50 MB/s each from 0 s. At 20 s win-0 and
    // win-1 fail with 1 GB of their 3 GB done: their downloads stop there, and the registry's
    // 200 MB/s go to the two left, 100 MB/s each (their own links' limit): the 2 GB they have
    // left take 20 s, downloads end at 40 s, + 3 s extraction at 1 GB/s: pulled at 43 s
    // (63 s if the failed nodes kept their share until their downloads ended).
    let text = herd(r#"(host: "mcr.microsoft.com", bandwidth: "200MB/s")"#).replace(
        "    workloads:",
        r#"    timeline: [(at: "20s", action: FailNode(node: "win-0")),
               (at: "20s", action: FailNode(node: "win-1")),
               (at: "60s", action: RecoverNode(node: "win-0")),
               (at: "60s", action: RecoverNode(node: "win-1"))],
    workloads:"#,
    );
    let (spec, out) = run(&text);
    for name in ["agent-2", "agent-3"] {
        assert_eq!(pod(&spec, &out, name).pulled, Some(43_000), "{name}");
    }
    // win-0 and win-1 come back at 60 s (before the 50 s grace period made them NotReady at
    // 70 s): their pods start again from their first container and pull the whole 3 GB again
    // (the cancelled downloads kept nothing), alone on the registry now: 100 MB/s each, 30 s,
    // ending at 90 s, + 3 s extraction: pulled at 93 s.
    for name in ["agent-0", "agent-1"] {
        assert_eq!(pod(&spec, &out, name).pulled, Some(93_000), "{name}");
    }
}

#[test]
fn pulls_in_flight_follow_starts_stops_and_deadlines() {
    // The timeseries' pulls_in_flight counts the pulls running on registered nodes. Four
    // nodes start their 3 GB pulls at 0 s, 50 MB/s each: 4 in flight at 10 s. win-1 fails at
    // 20 s and its pull stops with it (a registry limit is set): 3 at 30 s and 35 s. The
    // others now get 200/3 MB/s; by the 40 s deadline (40 s after each pull started) they
    // hold 1 GB + 20 s × 66.7 MB/s = 2.33 GB of 3: all three are cancelled (ImagePullTimeout)
    // and back off 10 s, so none runs at 45 s. The run-time invariants, which compare the
    // kubelet's index of busy nodes with every node's puller at each sample, hold throughout.
    let text = herd(r#"(host: "mcr.microsoft.com", bandwidth: "200MB/s")"#).replace(
        "    workloads:",
        r#"    sample_interval: "5s",
    kubelet: (pull_timeout: "40s"),
    timeline: [(at: "20s", action: FailNode(node: "win-1"))],
    workloads:"#,
    );
    let s = spec(&text);
    let (out, violations) = hybridsim::simulation::run_checking_invariants(&s, s.seed);
    assert!(violations.is_empty(), "{violations:#?}");
    let at = |ms: u64| {
        out.rec
            .samples
            .iter()
            .find(|x| x.time_ms == ms)
            .unwrap_or_else(|| panic!("no sample at {ms} ms"))
            .pulls_in_flight
    };
    assert_eq!(
        [at(10_000), at(30_000), at(35_000), at(45_000)],
        [4, 3, 3, 0]
    );
}

#[test]
fn a_node_rebooting_for_a_patch_gives_its_share_of_the_registry_back_at_once() {
    // The same four nodes; at 20 s a patch drains win-0 first (its DaemonSet pod stays: a
    // drain ignores DaemonSets) and reboots it at once: its download stops at 1 GB. The three
    // others share 200 MB/s from 20 s: 66.67 MB/s each for their 2 GB left, 30 s: downloads
    // end at 50 s (the rate is 200/3 MB/s, so completion may round up by 1 ms), + 3 s
    // extraction: pulled at 53 s (63 s if win-0 kept its share).
    let text = herd(r#"(host: "mcr.microsoft.com", bandwidth: "200MB/s")"#).replace(
        "    workloads:",
        r#"    timeline: [(at: "20s", action: PatchPool(pool: "win", to_revision: 2, reboot_time: "10m"))],
    workloads:"#,
    );
    let (spec, out) = run(&text);
    for name in ["agent-1", "agent-2", "agent-3"] {
        let pulled = pod(&spec, &out, name).pulled.unwrap();
        assert!((53_000..=53_001).contains(&pulled), "{name}: {pulled}");
    }
}

#[test]
fn the_pool_summary_counts_the_download_time_lost_behind_the_registry() {
    // 200 MB/s over 4 nodes: each download runs at 50 MB/s where its own 100 MB/s link would
    // give 100, for 60 s: it loses 60 × (1 − 50/100) = 30 s (it ends at 60 s, not 30 s).
    // Four nodes: 120 s for the pool.
    let s = |text: &str| {
        let (spec, out) = run(text);
        hybridsim::report::Summary::new(&spec, &out).nodes["win"].registry_wait_s
    };
    assert_eq!(
        s(&herd(
            r#"(host: "mcr.microsoft.com", bandwidth: "200MB/s")"#
        )),
        Some(120.0)
    );
    // A limit above what the nodes take (250 MB/s each > 100) costs nothing: 0 s.
    assert_eq!(
        s(&herd(r#"(host: "mcr.microsoft.com", bandwidth: "1GB/s")"#)),
        Some(0.0)
    );
    // Without any registry limit the key is absent.
    assert_eq!(s(&herd("")), None);
}
