//! Node-pool upgrades (`UpgradePool`) and patches (`PatchPool`) end to end, every expected
//! time derived in a comment from AKS's documented surge upgrade (surge nodes with the new
//! image first, then `maxSurge` old nodes cordoned and drained at once, each drain as kubectl's:
//! evicted pods polled every 1 s, 429 retried every 5 s, the drain timeout failing the upgrade)
//! and the build rule of hcsshim (a 20348 host runs only 20348 images).

mod common;
use common::*;
use hybridsim::model::cluster::{NodeState, PodPhase, Reason, Termination};
use hybridsim::model::windows::OS_MISMATCH_MESSAGE;

/// A Linux system pool and a Windows pool `win` of `count` WS2019 nodes (17763.5000, 4 cpu,
/// provisioning exactly 300 s). `web` (created at 10 s) runs `replicas` pods of 3 cpu, so one
/// per node, built for ltsc2019 only, image preloaded on the initial nodes through the
/// Docker-era matcher (`strict_platform_match: false`), start delay 0: a pod is Ready the
/// instant it binds to a 17763 node. On a 20348 node, the preloaded list is the same, so the
/// ltsc2019 entry is there and the container fails at creation with the runtime's message.
fn cluster(count: u32, replicas: u32, budget: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "1h",
    kubelet: (strict_platform_match: false),
    pools: [
        (name: "sys", os: Linux, cpu: "4", memory: "16Gi", count: 1),
        (name: "win", os: Windows, os_version: "10.0.17763.5000", cpu: "4", memory: "16Gi",
         count: {count}, provisioning: Fixed("300s"), preloaded_images: ["app:2019"]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:2019", platforms: [(os: Windows, os_version: "10.0.17763.5000", layers: ["l"])])],
    workloads: [(name: "web", replicas: {replicas}, created_at: "10s", {budget}
        template: (node_selector: {{"kubernetes.io/os": "windows"}},
                   containers: [(image: "app:2019", cpu: "3", start_delay: "0s")]))],
    timeline: [{timeline}],
)"#
    )
}

fn node<'a>(
    spec: &hybridsim::model::Spec,
    out: &'a hybridsim::simulation::RunOutput,
    name: &str,
) -> &'a hybridsim::model::cluster::Node {
    out.cluster
        .nodes
        .iter()
        .enumerate()
        .find(|(i, _)| {
            out.cluster
                .node_name(spec, hybridsim::model::NodeId::from_idx(*i))
                == name
        })
        .map(|(_, n)| n)
        .unwrap_or_else(|| panic!("no node {name}"))
}

#[test]
fn a_surge_upgrade_replaces_one_node_per_batch_and_the_evicted_ltsc2019_pods_fail_on_20348() {
    let text = cluster(
        3,
        3,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    );
    let (spec, out) = run(&text);
    // max_surge defaults to 1. At 100 s one surge node (win-3, 20348) is requested; it is
    // Ready at 100 + 300 = 400 s. Then win-0 is cordoned and drained: its pod is evicted at
    // 400 s, gone after its 30 s grace period at 430 s, which the 1 s poll sees at 430 s; the
    // drain ends, win-0 is deleted and the next node (win-4) requested: Ready at 730 s, win-1
    // drained 730 → 760 s, win-5 Ready at 1060 s, win-2 drained 1060 → 1090 s. Every old node
    // is replaced at 1090 s: 990 s after the start.
    let u = &out.upgrades[0];
    assert_eq!((u.start, u.end), (100_000, Some(1_090_000)));
    assert_eq!(u.nodes_upgraded, 3);
    assert_eq!(u.from.to_string(), "10.0.17763.5000");
    assert_eq!(u.to.to_string(), "10.0.20348.2700");
    for (name, ready, deleted) in [
        ("win-0", Some(0), Some(430_000)),
        ("win-1", Some(0), Some(760_000)),
        ("win-2", Some(0), Some(1_090_000)),
        ("win-3", Some(400_000), None),
        ("win-4", Some(730_000), None),
        ("win-5", Some(1_060_000), None),
    ] {
        let n = node(&spec, &out, name);
        assert_eq!((n.ready_at, n.deleted_at), (ready, deleted), "{name}");
    }
    // The new nodes carry the new version; the pool ends with as many nodes as it began with.
    for name in ["win-3", "win-4", "win-5"] {
        let n = node(&spec, &out, name);
        assert_eq!(n.state, NodeState::Ready);
        assert_eq!(n.version.unwrap().to_string(), "10.0.20348.2700");
    }
    // Each drain evicted the one pod of its node (3 in all, none refused). The ReplicaSet
    // replaced each at its eviction; the replacements could only go to the 20348 nodes
    // (the old ones are cordoned or full), where the ltsc2019 container fails at creation:
    // 3 pods failed on the new build, with hcsshim's message.
    assert_eq!((u.pods_evicted, u.evictions_refused), (3, 0));
    assert_eq!(u.pods_failed_on_new_build, 3);
    // timeseries.csv's lifecycle columns (pool order: sys, win): at the 410 s sample win-0 is
    // cordoned (draining until 430 s); at 440 s it is gone and nothing is cordoned.
    let at = |t: u64| out.rec.samples.iter().find(|s| s.time_ms == t).unwrap();
    assert_eq!(at(410_000).nodes_cordoned, vec![0, 1]);
    assert_eq!(at(440_000).nodes_cordoned, vec![0, 0]);
    assert_eq!(at(410_000).nodes_not_ready, vec![0, 0]);
    for name in ["web-0", "web-1", "web-2"] {
        let p = pod(&spec, &out, name);
        assert_eq!(
            p.termination.map(|t| t.0),
            Some(Termination::Evicted),
            "{name}"
        );
    }
    for name in ["web-3", "web-4", "web-5"] {
        let p = pod(&spec, &out, name);
        assert_eq!(p.reason, Some(Reason::CreateContainerError), "{name}");
        assert_eq!(
            out.messages.get(p.message.unwrap()),
            OS_MISMATCH_MESSAGE,
            "{name}"
        );
        assert_ne!(p.phase, PodPhase::Ready);
    }
}

#[test]
fn a_pod_pinned_to_the_old_build_does_not_match_the_new_nodes_of_its_own_pool() {
    let text = cluster(
        3,
        3,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    )
    .replace(
        r#"node_selector: {"kubernetes.io/os": "windows"}"#,
        r#"node_selector: {"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"}"#,
    );
    let (spec, out) = run(&text);
    // The pool spec says 17763, but each new node carries its own build label, 10.0.20348.
    // At 400 s web-0 is evicted from win-0; its replacement web-3 fits nowhere (win-0 is
    // cordoned, win-1 and win-2 have 1 cpu left of 4 for a 3-cpu pod, and win-3 does not
    // match), and so on for web-4 and web-5. At the end the old nodes are gone: the last
    // attempt of each sees sys-0 (Linux) and win-3..5 (20348), and none matches. Without
    // per-node builds, the new nodes would match and the pods would fail on them instead.
    for name in ["web-3", "web-4", "web-5"] {
        let p = pod(&spec, &out, name);
        assert_eq!(p.node, None, "{name}");
        assert_eq!(p.reason, Some(Reason::Unschedulable), "{name}");
        assert_eq!(
            out.messages.get(p.message.unwrap()),
            "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector.",
            "{name}"
        );
    }
    // The drains are not blocked (no budget): the upgrade completes as in the first test,
    // at 1090 s, and no pod ever ran on the new build.
    let u = &out.upgrades[0];
    assert_eq!(u.end, Some(1_090_000));
    assert_eq!(u.pods_failed_on_new_build, 0);
}

#[test]
fn empty_old_nodes_are_replaced_one_provisioning_delay_apart() {
    let text = cluster(
        3,
        0,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    );
    let (spec, out) = run(&text);
    // No pod to evict: each drain ends the instant it starts. win-3 is Ready at 400 s, win-0
    // is drained and removed at 400 s and win-4 requested: Ready at 700 s, win-1 removed;
    // win-5 Ready at 1000 s, win-2 removed: complete at 1000 s, with exactly one new node per
    // old one (sys-0, win-0..2, win-3..5).
    let u = &out.upgrades[0];
    assert_eq!(u.end, Some(1_000_000));
    assert_eq!(out.cluster.nodes.len(), 7);
    assert_eq!(node(&spec, &out, "win-0").deleted_at, Some(400_000));
    assert_eq!(node(&spec, &out, "win-5").ready_at, Some(1_000_000));
}

#[test]
fn a_percentage_surge_rounds_up_and_drains_that_many_nodes_at_once() {
    let text = cluster(
        3,
        3,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700", max_surge: "50%"))"#,
    );
    let (spec, out) = run(&text);
    // 50 % of 3 nodes = 1.5, rounded up: 2 per batch. win-3 and win-4 are Ready at 400 s;
    // win-0 and win-1 are drained together 400 → 430 s and deleted; one node is left, so one
    // (win-5) is requested at 430 s, Ready at 730 s; win-2 is drained 730 → 760 s.
    let u = &out.upgrades[0];
    assert_eq!((u.start, u.end), (100_000, Some(760_000)));
    assert_eq!(node(&spec, &out, "win-1").deleted_at, Some(430_000));
    assert_eq!(node(&spec, &out, "win-5").ready_at, Some(730_000));
    assert_eq!(node(&spec, &out, "win-2").deleted_at, Some(760_000));
}

#[test]
fn a_disruption_budget_that_refuses_every_eviction_fails_the_upgrade_at_the_drain_timeout() {
    let text = cluster(
        3,
        3,
        "disruption_budget: (min_available: 3),",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700", drain_timeout: "10m"))"#,
    );
    let (spec, out) = run(&text);
    // The surge node is Ready at 400 s and win-0's drain starts. min_available 3 with 3 Ready
    // pods allows 0 disruptions: the eviction is refused at 400 s and retried every 5 s. The
    // 10 min timeout counts from 400 s; the retry at 400 + 600 = 1000 s notices it: the drain
    // stops with its node timed out, and AKS fails the upgrade ("If this time is exceeded, the
    // upgrade fails"). Refusals: the attempts at 400, 405, …, 995 s = 600 / 5 = 120.
    let u = &out.upgrades[0];
    assert_eq!(u.end, None);
    assert!(
        u.failed.as_deref().unwrap().contains("win-0"),
        "{:?}",
        u.failed
    );
    assert_eq!((u.nodes_upgraded, u.pods_evicted), (0, 0));
    assert_eq!(u.evictions_refused, 120);
    assert_eq!(out.rec.drains[0].end, Some(1_000_000));
    // win-0 keeps its pod and stays cordoned; win-1 and win-2 were never touched.
    let n0 = node(&spec, &out, "win-0");
    assert!(n0.cordoned && n0.state == NodeState::Ready);
    assert!(!node(&spec, &out, "win-1").cordoned);
    assert_eq!(pod(&spec, &out, "web-0").phase, PodPhase::Ready);
}

#[test]
fn a_patch_reboots_one_node_at_a_time_in_place_with_the_new_revision() {
    let text = cluster(
        2,
        1,
        "",
        r#"(at: "100s", action: PatchPool(pool: "win", to_revision: 6000, reboot_time: "2m"))"#,
    );
    let (spec, out) = run(&text);
    // web-0 runs on win-0 (the first node of the scan). At 100 s win-0 is drained: web-0 is
    // evicted, its replacement web-1 goes to win-1 at once (same build: Ready), web-0 is gone
    // at 130 s; win-0 reboots for 120 s and is back at 250 s with revision 6000, uncordoned.
    // Then win-1 is drained from 250 s: web-1 evicted, web-2 lands on win-0, win-1 is empty at
    // 280 s and back at 400 s. The patch is complete at 400 s; no node was added or removed.
    let u = &out.upgrades[0];
    assert_eq!((u.start, u.end), (100_000, Some(400_000)));
    assert_eq!((u.nodes_upgraded, u.pods_evicted), (2, 2));
    assert_eq!(u.to.to_string(), "10.0.17763.6000");
    for name in ["win-0", "win-1"] {
        let n = node(&spec, &out, name);
        assert_eq!(n.version.unwrap().to_string(), "10.0.17763.6000");
        assert!(!n.cordoned && n.state == NodeState::Ready, "{name}");
    }
    assert_eq!(out.cluster.nodes.len(), 3, "sys-0, win-0, win-1 only");
    // win-0 stops at 130 s; the node monitor grace period (50 s) makes it NotReady at 180 s:
    // the 190 s sample counts it cordoned and NotReady; at 260 s it is back and win-1 (drained
    // from 250 s) is the cordoned one.
    let at = |t: u64| out.rec.samples.iter().find(|s| s.time_ms == t).unwrap();
    assert_eq!(at(190_000).nodes_not_ready, vec![0, 1]);
    assert_eq!(at(190_000).nodes_cordoned, vec![0, 1]);
    assert_eq!(at(260_000).nodes_not_ready, vec![0, 0]);
    assert_eq!(at(260_000).nodes_cordoned, vec![0, 1]);
    assert_eq!(pod(&spec, &out, "web-0").ended, Some(130_000));
    assert_eq!(pod(&spec, &out, "web-1").ended, Some(280_000));
    assert_eq!(pod(&spec, &out, "web-2").phase, PodPhase::Ready);
    assert_eq!(u.pods_failed_on_new_build, 0);
}

#[test]
fn bad_upgrade_actions_are_errors_with_their_position() {
    let cases = [
        (
            r#"UpgradePool(pool: "nope", to_build: "10.0.20348.1")"#,
            r#""nope""#,
            r#"unknown pool "nope" (pools: sys, win)"#,
        ),
        (
            r#"UpgradePool(pool: "sys", to_build: "10.0.20348.1")"#,
            r#""sys", to_build"#,
            r#"pool "sys" is not a Windows pool"#,
        ),
        (
            r#"UpgradePool(pool: "win", to_build: "10.0.17763.4000")"#,
            r#""10.0.17763.4000""#,
            r#"10.0.17763.4000 is not newer than pool "win"'s 10.0.17763.5000"#,
        ),
        (
            r#"UpgradePool(pool: "win", to_build: "10.0.20348.1", max_surge: 0)"#,
            "0)",
            "max_surge 0 adds no node, so no old node could ever be drained",
        ),
        (
            r#"UpgradePool(pool: "win", to_build: "ltsc2022")"#,
            r#""ltsc2022""#,
            r#"expected a Windows version `10.0.BUILD.REVISION` such as "10.0.20348.2340", found "ltsc2022""#,
        ),
        (
            r#"PatchPool(pool: "win", to_revision: 5000)"#,
            "5000)",
            r#"revision 5000 is not newer than pool "win"'s 10.0.17763.5000"#,
        ),
    ];
    for (action, needle, want) in cases {
        let text = cluster(3, 1, "", &format!(r#"(at: "100s", action: {action})"#));
        assert_error_at(&text, needle, want);
    }
}

/// The `pods_build_VERSION` cells of timeseries.csv at `t_ms`, with the versions heading them.
fn pods_per_build(
    spec: &hybridsim::model::Spec,
    out: &hybridsim::simulation::RunOutput,
    t_ms: u64,
) -> (Vec<String>, Vec<u32>) {
    let ts = hybridsim::report::timeseries(spec, out);
    let row = ts
        .rows
        .iter()
        .find(|r| r.time_s.0 == t_ms)
        .unwrap_or_else(|| panic!("no sample at {t_ms} ms"));
    (ts.builds.clone(), row.pods_build.clone())
}

#[test]
fn timeseries_counts_the_pods_on_each_windows_version_through_an_upgrade() {
    let text = cluster(
        3,
        3,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    );
    let (spec, out) = run(&text);
    let v = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
    let builds = v("10.0.17763.5000", "10.0.20348.2700");
    // Timings as in the first test: web-0..2 on win-0..2 (17763) from 10 s; win-3 (20348)
    // Ready at 400 s. At 390 s no 20348 node is registered yet: 3 pods on 17763, 0 on 20348
    // (the column exists for the whole file, 0 before the version appeared).
    assert_eq!(
        pods_per_build(&spec, &out, 390_000),
        (builds.clone(), vec![3, 0])
    );
    // At 410 s web-0 is Terminating on win-0 until 430 s (it still holds the node, so it
    // counts), and its replacement web-3 is bound to win-3, failing at creation: 3 and 1.
    assert_eq!(
        pods_per_build(&spec, &out, 410_000),
        (builds.clone(), vec![3, 1])
    );
    // At 440 s win-0 is gone: web-1 and web-2 on 17763, web-3 on 20348.
    assert_eq!(
        pods_per_build(&spec, &out, 440_000),
        (builds.clone(), vec![2, 1])
    );
    // At 1100 s every old node is gone (1090 s) and the three replacements sit on the three
    // 20348 nodes (pods_failed_on_new_build = 3 above): 0 and 3. The Linux pool has no
    // version and no column.
    assert_eq!(pods_per_build(&spec, &out, 1_100_000), (builds, vec![0, 3]));
}

#[test]
fn timeseries_counts_a_patch_revision_as_its_own_version() {
    let text = cluster(
        2,
        1,
        "",
        r#"(at: "100s", action: PatchPool(pool: "win", to_revision: 6000, reboot_time: "2m"))"#,
    );
    let (spec, out) = run(&text);
    let builds = vec!["10.0.17763.5000".to_string(), "10.0.17763.6000".to_string()];
    // As in the patch test above: web-0 Terminating on win-0 until 130 s, web-1 Ready on
    // win-1 from 100 s; both nodes still 5000 at 120 s: 2 pods on 5000.
    assert_eq!(
        pods_per_build(&spec, &out, 120_000),
        (builds.clone(), vec![2, 0])
    );
    // win-0 is back at 250 s with revision 6000 and takes web-2; web-1, evicted at 250 s,
    // holds win-1 (still 5000) until 280 s: at 260 s 1 and 1.
    assert_eq!(
        pods_per_build(&spec, &out, 260_000),
        (builds.clone(), vec![1, 1])
    );
    // win-1 is back at 400 s with 6000 too: at 410 s only web-2, on 6000.
    assert_eq!(pods_per_build(&spec, &out, 410_000), (builds, vec![0, 1]));
}

#[test]
fn a_run_without_an_upgrade_or_patch_has_no_pods_per_build_columns() {
    // A drain is a lifecycle action (cordoned/NotReady columns) but changes no version.
    let text = cluster(3, 3, "", r#"(at: "100s", action: Drain(node: "win-0"))"#);
    let (spec, out) = run(&text);
    let ts = hybridsim::report::timeseries(&spec, &out);
    assert!(ts.lifecycle);
    assert!(ts.builds.is_empty());
    assert!(ts.rows.iter().all(|r| r.pods_build.is_empty()));
    let header = String::from_utf8(ts.write().unwrap()).unwrap();
    assert!(!header.contains("pods_build_"), "{header}");
}

#[test]
fn summary_weighs_the_replicas_an_upgrade_leaves_unavailable_by_time() {
    let text = cluster(
        3,
        3,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    );
    let (spec, out) = run(&text);
    let s = hybridsim::report::Summary::new(&spec, &out);
    let u = &s.unavailable_replicas["web"];
    // web (3 replicas) is created at 10 s and its pods are Ready the instant they bind: no
    // deficit until the first eviction. Each drain evicts one pod (400, 730, 1060 s, timings
    // of the first test) and its replacement never becomes Ready on 20348, so the deficit is
    // 1 on [400, 730), 2 on [730, 1060) and 3 on [1060, 3600):
    //   1 × 330 + 2 × 330 + 3 × 2540 = 330 + 660 + 7620 = 8610 replica-seconds;
    //   mean 8610 / 3600 = 2.391666… → 2.392; peak 3.
    assert_eq!(u.replica_seconds, 8610.0);
    assert_eq!(u.mean, 2.392);
    assert_eq!(u.peak, 3);
    // A drain of one node of four whose pod moves at once to the free 17763 node: the
    // replacement is created, bound and Ready (image preloaded, start delay 0) in the instant
    // of the eviction, so the deficit of 1 lasts no time: 0 replica-seconds and peak 0 (a
    // state that lasts no time is no peak).
    let text = cluster(4, 3, "", r#"(at: "100s", action: Drain(node: "win-0"))"#);
    let (spec, out) = run(&text);
    let s = hybridsim::report::Summary::new(&spec, &out);
    let u = &s.unavailable_replicas["web"];
    assert_eq!((u.replica_seconds, u.mean, u.peak), (0.0, 0.0, 0));
}

#[test]
fn summary_has_no_unavailable_replicas_without_lifecycle_actions() {
    let text = cluster(3, 3, "", "");
    let (spec, out) = run(&text);
    let s = hybridsim::report::Summary::new(&spec, &out);
    assert!(s.unavailable_replicas.is_empty());
    let json = String::from_utf8(hybridsim::report::summary_json(&s).unwrap()).unwrap();
    assert!(!json.contains("unavailable_replicas"), "{json}");
}

#[test]
fn pod_anti_affinity_by_build_reads_each_nodes_own_build_label() {
    // Two WS2019 nodes upgraded from 100 s: win-2 (20348) is Ready at 100 + 300 = 400 s and
    // win-0 is drained then; win-1 stays on 17763 until win-3 is Ready at 700 s. "old"
    // (app=old, pinned to build 17763 by its selector) is on win-0 or win-1; evicted from
    // win-0 at 400 s, its replacement can only bind to win-1. "probe" (created at 500 s)
    // refuses to share a build with app=old.
    let anti = r#"pod_anti_affinity: (required: [(label_selector: (match_labels: {"app": "old"}), topology_key: "node.kubernetes.io/windows-build")])"#;
    let text = cluster(
        2,
        0,
        "",
        r#"(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    )
    .replace(
        r#"workloads: [(name: "web""#,
        &format!(
            r#"workloads: [
        (name: "old", template: (labels: {{"app": "old"}},
            node_selector: {{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"}},
            containers: [(image: "app:2019", cpu: "100m")])),
        (name: "probe", created_at: "500s", template: ({anti},
            node_selector: {{"kubernetes.io/os": "windows"}},
            containers: [(image: "app:2019", cpu: "100m")])),
        (name: "web""#
        ),
    );
    let (spec, out) = run(&text);
    let node_of = |name: &str| {
        let p = pod(&spec, &out, name);
        p.node.map(|n| out.cluster.node_name(&spec, n))
    };
    // At 500 s old's pod is on win-1, whose build label is 10.0.17763: win-1 fails the
    // anti-affinity. win-2's own label is 10.0.20348 (its pool spec still says 10.0.17763):
    // no app=old pod has that build, so probe-0 binds to win-2 at once. Reading the pool's
    // label for win-2 would put it in the 17763 domain and keep probe-0 pending past 700 s.
    let p = pod(&spec, &out, "probe-0");
    assert_eq!(p.scheduled, Some(500_000));
    assert_eq!(node_of("probe-0").as_deref(), Some("win-2"));
}

#[test]
fn a_surge_upgrade_of_a_pool_with_a_daemonset_ends_with_one_daemon_pod_on_each_live_node() {
    // `agent` is a DaemonSet on the Windows nodes only (its selector), image preloaded; no
    // other workload. The pool `win` has 6 nodes (win-0..5) and is upgraded with a surge
    // of 50 % = 3 nodes.
    let text = r#"Scenario(
    name: "t",
    duration: "2h",
    pools: [
        (name: "sys", os: Linux, cpu: "4", memory: "16Gi", count: 1),
        (name: "win", os: Windows, os_version: "10.0.17763.5000", cpu: "4", memory: "16Gi",
         count: 6, provisioning: Fixed("300s"), preloaded_images: ["agent:1"]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "agent:1", platforms: [(os: Windows, os_version: "10.0.17763", layers: ["l"])])],
    workloads: [(name: "agent", kind: DaemonSet,
        template: (node_selector: {"kubernetes.io/os": "windows"},
                   containers: [(image: "agent:1", cpu: "10m", start_delay: "0s")]))],
    timeline: [(at: "100s", action: UpgradePool(pool: "win", to_build: "10.0.17763.7000",
        max_surge: "50%"))],
)"#;
    // The DaemonSet index equals the brute-force covered set at every sample; all 6 nodes
    // are upgraded.
    let (s, out) = run_one_upgrade_checking_invariants(text, 6);
    // Surge nodes win-6..8 join, each given a pod at once (`node_ready`); win-0..2 are
    // drained (kubectl skips DaemonSet pods) and deleted with their pods, and win-9..11 join
    // in their place; then win-3..5 go the same way, and the last batch's nodes stay: the
    // pool ends with win-6..11, 6 nodes as it began. Pods: 6 at the start + 3 surge + 3
    // replacements = 12 created, the 6 on deleted nodes deleted, 6 left, one per live node.
    let live: Vec<usize> = (0..out.cluster.nodes.len())
        .filter(|&i| out.cluster.nodes[i].state != NodeState::Deleted)
        .filter(|&i| out.cluster.nodes[i].pool.idx() == 1)
        .collect();
    let names: Vec<String> = live
        .iter()
        .map(|&i| {
            out.cluster
                .node_name(&s, hybridsim::model::NodeId::from_idx(i))
        })
        .collect();
    assert_eq!(
        names,
        ["win-6", "win-7", "win-8", "win-9", "win-10", "win-11"]
    );
    assert_eq!(out.cluster.pods.len(), 12);
    let deleted = out
        .cluster
        .pods
        .iter()
        .filter(|p| p.phase == PodPhase::Deleted)
        .count();
    assert_eq!(deleted, 6);
    for &i in &live {
        let on: Vec<_> = out
            .cluster
            .pods
            .iter()
            .filter(|p| p.pinned.map(|n| n.idx()) == Some(i) && p.phase.is_live())
            .collect();
        assert_eq!(on.len(), 1, "node {i}");
        // The image is cached and starts at once: every one is Ready.
        assert_eq!(on[0].phase, PodPhase::Ready);
    }
    // None on the Linux node.
    assert!(out.cluster.pods.iter().all(|p| {
        p.pinned
            .is_some_and(|n| out.cluster.nodes[n.idx()].pool.idx() == 1)
    }));
}

#[test]
fn upgrading_a_pool_from_17763_to_20348_moves_its_nodes_from_the_ltsc2019_daemonset_to_the_ltsc2022_one()
 {
    // One DaemonSet per build (the usual way to run a Windows agent): `agent2019` selects
    // windows-build 10.0.17763, `agent2022` 10.0.20348. `win2019` (3 nodes, 17763) is
    // upgraded to 20348 with a surge of 100 %; `win2022` (2 nodes, 20348) is not.
    let text = r#"Scenario(
    name: "t",
    duration: "2h",
    pools: [
        (name: "win2019", os: Windows, os_version: "10.0.17763.5000", cpu: "4", memory: "16Gi",
         count: 3, provisioning: Fixed("300s"), preloaded_images: ["agent:2019", "agent:2022"]),
        (name: "win2022", os: Windows, os_version: "10.0.20348.2700", cpu: "4", memory: "16Gi",
         count: 2, provisioning: Fixed("300s"), preloaded_images: ["agent:2022"]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [
        (name: "agent:2019", platforms: [(os: Windows, os_version: "10.0.17763", layers: ["l"])]),
        (name: "agent:2022", platforms: [(os: Windows, os_version: "10.0.20348", layers: ["l"])]),
    ],
    workloads: [
        (name: "agent2019", kind: DaemonSet, template: (
            node_selector: {"node.kubernetes.io/windows-build": "10.0.17763"},
            containers: [(image: "agent:2019", cpu: "10m", start_delay: "0s")])),
        (name: "agent2022", kind: DaemonSet, template: (
            node_selector: {"node.kubernetes.io/windows-build": "10.0.20348"},
            containers: [(image: "agent:2022", cpu: "10m", start_delay: "0s")])),
    ],
    timeline: [(at: "100s", action: UpgradePool(pool: "win2019", to_build: "10.0.20348.2700",
        max_surge: "100%"))],
)"#;
    // Each DaemonSet's index lists exactly the registered nodes of its build without its
    // pod at every sample, as the new nodes of win2019 carry 20348 against the pool's 17763;
    // its 3 nodes are upgraded.
    let (_, out) = run_one_upgrade_checking_invariants(text, 3);
    // win2019-3..5 join on 20348 and get an agent2022 pod each (`node_ready`); win2019-0..2
    // are deleted with their agent2019 pods. Pods: agent2019 3 created, 3 deleted;
    // agent2022 2 at the start + 3 on the new nodes, all live: 8 pods, 5 live, all agent2022.
    assert_eq!(out.cluster.pods.len(), 8);
    let live: Vec<_> = out
        .cluster
        .pods
        .iter()
        .filter(|p| p.phase.is_live())
        .collect();
    assert_eq!(live.len(), 5);
    assert!(live.iter().all(|p| p.workload.idx() == 1));
    let deleted = out
        .cluster
        .pods
        .iter()
        .filter(|p| p.phase == PodPhase::Deleted)
        .count();
    assert_eq!(deleted, 3);
}

/// Runs a scenario with one `UpgradePool` under the invariant checker (which compares the
/// DaemonSet index with the brute-force set at every sample): no violation, the upgrade
/// finished, `upgraded` nodes upgraded.
fn run_one_upgrade_checking_invariants(
    text: &str,
    upgraded: u32,
) -> (hybridsim::model::Spec, hybridsim::simulation::RunOutput) {
    let s = spec(text);
    let (out, violations) = hybridsim::simulation::run_checking_invariants(&s, s.seed);
    assert!(violations.is_empty(), "{violations:?}");
    let u = &out.upgrades[0];
    assert!(u.end.is_some(), "the upgrade finished");
    assert_eq!(u.nodes_upgraded, upgraded);
    (s, out)
}
