//! PodDisruptionBudgets and the timeline `Drain`, end to end, with every expected time and
//! count derived in a comment from kubectl's drain loop (k/k
//! `staging/src/k8s.io/kubectl/pkg/drain/drain.go`: 429 retried after 5 s, evicted pods polled
//! every 1 s, a per-node `--timeout`) and the eviction API's budget check (k/k
//! `pkg/registry/core/pod/storage/eviction.go`, `pkg/controller/disruption/disruption.go`).

mod common;
use common::*;
use hybridsim::model::cluster::{PodPhase, Termination};

/// Pools `old` (2 nodes of 4 cpu) and `spare` (1 node of 8 cpu: room for all 4 pods), image preloaded and start delay 0:
/// a pod is Ready the instant it binds. `spare` is cordoned at 0 s so the workload, created at
/// 10 s, lands on `old` only: 4 pods of 1 cpu, spread 2 + 2 by least-allocated scoring.
fn cluster(budget: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "20m",
    pools: [
        (name: "old", os: Linux, cpu: "4", memory: "16Gi", count: 2, preloaded_images: ["app:1"]),
        (name: "spare", os: Linux, cpu: "8", memory: "16Gi", count: 1, preloaded_images: ["app:1"]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "web", replicas: 4, created_at: "10s", {budget}
        template: (containers: [(image: "app:1", cpu: "1", start_delay: "0s")]))],
    timeline: [(at: "0s", action: Cordon(pool: "spare")), {timeline}],
)"#
    )
}

/// The `web` pods that started on node `node`, in pod order.
fn on_node<'a>(
    spec: &hybridsim::model::Spec,
    out: &'a hybridsim::simulation::RunOutput,
    node: &str,
) -> Vec<&'a hybridsim::model::cluster::Pod> {
    out.cluster
        .pods
        .iter()
        .filter(|p| {
            p.node
                .is_some_and(|n| out.cluster.node_name(spec, n) == node)
        })
        .collect()
}

#[test]
fn without_a_budget_a_pool_drain_evicts_each_node_at_once_and_waits_for_its_grace_period() {
    let text = cluster(
        "",
        r#"(at: "100s", action: Uncordon(pool: "spare")), (at: "100s", action: Drain(pool: "old"))"#,
    );
    let (spec, out) = run(&text);
    // kubectl cordons old-0 and old-1 at 100 s, then evicts old-0's two pods at once; with the
    // default 30 s grace period they are gone at 130 s, the poll at 130 s sees it, and old-1's
    // pods are evicted at 130 s, gone at 160 s: the drain ends at 160 s.
    for p in on_node(&spec, &out, "old-0") {
        assert_eq!(p.termination.map(|t| t.0), Some(Termination::Evicted));
        assert_eq!(p.ended, Some(130_000));
    }
    for p in on_node(&spec, &out, "old-1") {
        assert_eq!(p.ended, Some(160_000));
    }
    let d = &out.rec.drains[0];
    assert_eq!(d.target, "pool old");
    assert_eq!((d.start, d.end), (100_000, Some(160_000)));
    assert_eq!((d.nodes, d.nodes_drained, d.nodes_timed_out), (2, 2, 0));
    assert_eq!((d.pods_evicted, d.evictions_refused), (4, 0));
    // The ReplicaSet replaces each evicted pod at once; the replacements land on spare.
    let spare = on_node(&spec, &out, "spare-0");
    assert_eq!(spare.len(), 4);
    assert!(spare.iter().all(|p| p.phase == PodPhase::Ready));
}

#[test]
fn a_min_available_budget_refuses_the_second_eviction_until_a_replacement_is_ready() {
    let text = cluster(
        "disruption_budget: (min_available: 3),",
        r#"(at: "100s", action: Uncordon(pool: "spare")), (at: "100s", action: Drain(pool: "old"))"#,
    );
    let (spec, out) = run(&text);
    // At 100 s: 4 Ready, desired 3 → disruptionsAllowed 4 − 3 = 1. old-0's first pod is
    // evicted (Terminating: no longer healthy), the second gets 429 (3 − 3 = 0). The first's
    // replacement binds to spare and is Ready at 100 s; the retry at 105 s sees 4 healthy and
    // evicts. Gone at 100 + 30 = 130 s and 105 + 30 = 135 s: old-0 is done at 135 s.
    let old0 = on_node(&spec, &out, "old-0");
    assert_eq!(old0.len(), 2);
    assert_eq!(old0[0].ended, Some(130_000));
    assert_eq!(old0[1].ended, Some(135_000));
    // old-1 the same, shifted to 135 s: gone at 165 s and 170 s; the drain ends at 170 s.
    let old1 = on_node(&spec, &out, "old-1");
    assert_eq!(old1[0].ended, Some(165_000));
    assert_eq!(old1[1].ended, Some(170_000));
    let d = &out.rec.drains[0];
    assert_eq!((d.start, d.end), (100_000, Some(170_000)));
    // One 429 per node.
    assert_eq!((d.pods_evicted, d.evictions_refused), (4, 2));
    // Never fewer than 3 Ready once all four were up: every sample (every 10 s by default)
    // from 20 s on (the 10 s sample precedes the binds of that instant) shows at least 3.
    let low: Vec<_> = out
        .rec
        .samples
        .iter()
        .filter(|s| s.time_ms >= 20_000 && s.ready < 3)
        .map(|s| s.time_ms)
        .collect();
    assert_eq!(low, Vec::<u64>::new());
}

#[test]
fn a_drain_blocked_by_its_budget_stops_at_its_timeout_on_each_node_and_says_so() {
    // spare stays cordoned: replacements never bind, so healthy never rises again.
    let text = cluster(
        "disruption_budget: (min_available: 3),",
        r#"(at: "100s", action: Drain(pool: "old", timeout: "60s"))"#,
    );
    let (spec, out) = run(&text);
    // old-0 at 100 s: 4 healthy, allowed 1: the first pod goes (gone at 130 s); the second is
    // refused at 100, 105, …, 155 s (12 requests); at 160 s = 100 + 60 s the timeout context
    // is done before the next attempt: old-0 timed out. old-1 starts at 160 s with 3 healthy
    // (allowed 0): both pods refused at 160, 165, …, 215 s (2 × 12), timed out at 220 s.
    let d = &out.rec.drains[0];
    assert_eq!((d.start, d.end), (100_000, Some(220_000)));
    assert_eq!((d.nodes_drained, d.nodes_timed_out), (0, 2));
    assert_eq!(d.pods_evicted, 1);
    assert_eq!(d.evictions_refused, 12 + 24);
    let old1 = on_node(&spec, &out, "old-1");
    assert!(old1.iter().all(|p| p.phase == PodPhase::Ready));
    // The nodes stay cordoned after a failed drain, as kubectl leaves them.
    assert!(out.cluster.nodes.iter().take(2).all(|n| n.cordoned));
}

#[test]
fn a_node_running_a_bare_pod_is_not_drained_without_force() {
    let text = |force: &str| {
        format!(
            r#"Scenario(
    name: "t",
    duration: "10m",
    pools: [(name: "p", os: Linux, cpu: "4", memory: "16Gi", count: 1, preloaded_images: ["app:1"])],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [
        (name: "probe", kind: Pod, template: (containers: [(image: "app:1", start_delay: "0s")])),
        (name: "web", template: (containers: [(image: "app:1", start_delay: "0s")])),
    ],
    timeline: [(at: "60s", action: Drain(node: "p-0"{force}))],
)"#
        )
    };
    // kubectl GetPodsForDeletion: a pod without a controller is an error without --force, and
    // the node's pods are not evicted at all (the node stays cordoned).
    let (spec, out) = run(&text(""));
    let d = &out.rec.drains[0];
    assert_eq!(
        (d.nodes_refused, d.pods_evicted, d.end),
        (1, 0, Some(60_000))
    );
    assert_eq!(pod(&spec, &out, "web-0").phase, PodPhase::Ready);
    // With force both go at 60 s, gone at 90 s; nothing recreates the bare Pod, and the
    // Deployment's replacement cannot bind (the only node is cordoned).
    let (spec, out) = run(&text(", force: true"));
    let d = &out.rec.drains[0];
    assert_eq!(
        (d.nodes_drained, d.pods_evicted, d.end),
        (1, 2, Some(90_000))
    );
    assert_eq!(pod(&spec, &out, "probe-0").ended, Some(90_000));
    assert_eq!(pod(&spec, &out, "web-1").phase, PodPhase::Pending);
    assert!(
        out.cluster
            .pods
            .iter()
            .all(|p| { spec.workloads[p.workload.idx()].name != "probe" || p.ordinal == 0 })
    );
}

/// (budget, needle, expected message) for budgets that cannot be accepted.
#[test]
fn budgets_that_cannot_be_met_or_are_malformed_are_errors_with_positions() {
    let cases = [
        (
            "disruption_budget: (min_available: 5),",
            "5)",
            r#"min_available 5 can never be met: workload "web" has at most 4 replica(s) (its replicas, HPA max_replicas and timeline Scales), so every eviction of its pods would be refused"#,
        ),
        (
            "disruption_budget: (min_available: 1, max_unavailable: 1),",
            "(min_available: 1,",
            "expected exactly one of `min_available` and `max_unavailable` (as a PodDisruptionBudget's spec)",
        ),
        (
            r#"disruption_budget: (max_unavailable: "120%"),"#,
            r#"120%""#,
            r#""120%" is not a non-negative integer (2) or a percentage from "0%" to "100%""#,
        ),
    ];
    for (budget, needle, want) in cases {
        assert_error_at(&cluster(budget, ""), needle, want);
    }
}

#[test]
fn the_cluster_autoscaler_does_not_scale_down_a_node_whose_pods_a_budget_protects() {
    // Two nodes (min 1), two 500m replicas Ready at 0 s, one per node (least-allocated
    // spreading): both nodes are below the 0.5 threshold. At the first scan (10 s) lin-0's pod
    // fits on lin-1, so lin-0 is unneeded; lin-1's pod has nowhere else to go (lin-0 is
    // already chosen). lin-0 is removed at the first scan ≥ 10 + 600 s = 610 s.
    let text = |budget: &str| {
        format!(
            r#"Scenario(name: "t", duration: "20m",
    pools: [(name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 2, preloaded_images: ["app:1"],
             autoscale: (min: 1, max: 3))],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "web", replicas: 2, {budget}
        template: (containers: [(image: "app:1", cpu: "500m", start_delay: "0s")]))])"#
        )
    };
    let downs = |budget: &str| {
        let (_, out) = run(&text(budget));
        out.scaling
            .iter()
            .map(|e| (e.time, e.delta))
            .collect::<Vec<_>>()
    };
    assert_eq!(downs(""), vec![(610_000, -1)]);
    // maxUnavailable 1: 2 healthy − (2 − 1) desired = 1 disruption allowed: the same.
    assert_eq!(
        downs("disruption_budget: (max_unavailable: 1),"),
        vec![(610_000, -1)]
    );
    // maxUnavailable 0: 2 − 2 = 0 allowed, so the PDB drainability rule blocks lin-0 (its pod
    // matches a budget with DisruptionsAllowed < 1) at every scan: no scale-down at all.
    assert_eq!(downs("disruption_budget: (max_unavailable: 0),"), vec![]);
}
