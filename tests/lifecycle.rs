//! A cluster's life: timeline actions on nodes (cordon, taints) and what they do to pods, with
//! every expected time derived in a comment from the upstream rule it follows.

mod common;
use common::*;
use hybridsim::model::cluster::{PodPhase, Termination};

/// Two Linux nodes `p-0`, `p-1` (4 cpu each), a 1-layer image that pulls in 0 s (the layer is
/// preloaded), start delay 0: a bound pod is Ready the instant it binds.
fn two_nodes(workloads: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "20m",
    pools: [(name: "p", os: Linux, cpu: "4", memory: "16Gi", count: 2, preloaded_images: ["app:1"])],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{workloads}],
    timeline: [{timeline}],
)"#
    )
}

fn message(out: &hybridsim::simulation::RunOutput, p: &hybridsim::model::cluster::Pod) -> String {
    p.message
        .map(|m| out.messages.get(m).to_string())
        .unwrap_or_default()
}

#[test]
fn a_pod_created_on_a_cordoned_pool_waits_and_binds_the_instant_a_node_is_uncordoned() {
    let text = two_nodes(
        r#"(name: "a", created_at: "10s", template: (containers: [(image: "app:1", start_delay: "0s")]))"#,
        r#"(at: "5s", action: Cordon(pool: "p")), (at: "60s", action: Uncordon(node: "p-1"))"#,
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // Both nodes cordoned at 5 s; the pod, created at 10 s, fails NodeUnschedulable on both:
    // the upstream message counts them under "node(s) were unschedulable", and nothing else.
    let reasons = &out.rec.unschedulable_reasons(&out.messages);
    assert_eq!(
        reasons.keys().collect::<Vec<_>>(),
        vec!["node(s) were unschedulable"]
    );
    // Uncordoning p-1 at 60 s is an UpdateNodeTaint event; NodeUnschedulable's queueing hint
    // requeues the pod at once (its 1 s back-off ended at 11 s), so it binds at 60 s, not at
    // the 5 min flush of the unschedulable pool (10 s + 300 s).
    assert_eq!(a.scheduled, Some(60_000));
    assert_eq!(
        out.cluster.node_name(&spec, a.node.unwrap()),
        "p-1",
        "p-0 is still cordoned"
    );
}

#[test]
fn the_cordoned_failure_message_is_the_upstream_one() {
    let text = two_nodes(
        r#"(name: "a", created_at: "10s", template: (containers: [(image: "app:1")]))"#,
        r#"(at: "5s", action: Cordon(pool: "p"))"#,
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "a-0");
    // Never uncordoned: Pending to the end, rejected by NodeUnschedulable on both nodes.
    assert_eq!(a.phase, PodPhase::Pending);
    assert_eq!(
        message(&out, a),
        "0/2 nodes are available: 2 node(s) were unschedulable."
    );
}

#[test]
fn a_no_schedule_taint_on_one_node_keeps_new_pods_off_it_until_it_is_removed() {
    // Two replicas of 3 cpu on 4-cpu nodes: one per node. p-0 is tainted at 5 s, before the
    // workload exists, so at 10 s one replica binds to p-1 and the other finds p-1 full and
    // p-0 tainted.
    let text = two_nodes(
        r#"(name: "a", replicas: 2, created_at: "10s", template: (containers: [(image: "app:1", cpu: "3", start_delay: "0s")]))"#,
        r#"(at: "5s", action: AddTaint(node: "p-0", taint: (key: "maintenance", value: "true", effect: NoSchedule))),
           (at: "90s", action: RemoveTaint(node: "p-0", key: "maintenance"))"#,
    );
    let (spec, out) = run(&text);
    let (a0, a1) = (pod(&spec, &out, "a-0"), pod(&spec, &out, "a-1"));
    assert_eq!(a0.scheduled, Some(10_000));
    assert_eq!(out.cluster.node_name(&spec, a0.node.unwrap()), "p-1");
    // Each failed attempt names the node's own taint (once: one node) and p-1's lack of cpu.
    let reasons = &out.rec.unschedulable_reasons(&out.messages);
    let taint = "node(s) had untolerated taint {maintenance: true}";
    assert!(reasons.get(taint).is_some_and(|&n| n >= 1), "{reasons:?}");
    assert_eq!(reasons.get(taint), reasons.get("Insufficient cpu"));
    // Removing the taint at 90 s is an UpdateNodeTaint event; TaintToleration's hint requeues
    // the pod, which now tolerates every taint of p-0: bound at 90 s.
    assert_eq!(a1.scheduled, Some(90_000));
    assert_eq!(out.cluster.node_name(&spec, a1.node.unwrap()), "p-0");
}

#[test]
fn a_no_execute_taint_evicts_at_once_after_toleration_seconds_or_never() {
    // Three single-replica workloads, each 1 cpu, all bound at 0 s (least-allocated scoring
    // spreads them; which node does not matter: the taint goes on both nodes).
    let tol = |secs: &str| {
        format!(r#"tolerations: [(key: "maintenance", operator: Exists, effect: NoExecute{secs})]"#)
    };
    let workloads = format!(
        r#"(name: "none", template: (containers: [(image: "app:1", cpu: "1", start_delay: "0s")])),
           (name: "sixty", template: (containers: [(image: "app:1", cpu: "1", start_delay: "0s")], {})),
           (name: "forever", template: (containers: [(image: "app:1", cpu: "1", start_delay: "0s")], {}))"#,
        tol(", toleration_seconds: 60"),
        tol("")
    );
    let text = two_nodes(
        &workloads,
        r#"(at: "100s", action: AddTaint(pool: "p", taint: (key: "maintenance", effect: NoExecute)))"#,
    );
    let (spec, out) = run(&text);
    // taint_eviction.go processPodOnNode: no matching toleration → evicted when the taint
    // lands, at 100 s; deleted with the pod's grace period (default 30 s): gone at 130 s.
    let none = pod(&spec, &out, "none-0");
    assert_eq!(none.phase, PodPhase::Deleted);
    assert_eq!(
        none.termination.map(|t| t.0),
        Some(Termination::TaintEviction)
    );
    assert_eq!(none.ended, Some(130_000));
    // tolerationSeconds 60 → evicted at 100 s + 60 s = 160 s, gone at 160 + 30 = 190 s.
    let sixty = pod(&spec, &out, "sixty-0");
    assert_eq!(sixty.phase, PodPhase::Deleted);
    assert_eq!(sixty.ended, Some(190_000));
    // A toleration without seconds (getMinTolerationTime −1) tolerates forever.
    let forever = pod(&spec, &out, "forever-0");
    assert_eq!(forever.phase, PodPhase::Ready);
    // The ReplicaSet replaces an evicted pod at once (it ignores terminating pods), at 100 s;
    // its replacement cannot land anywhere
    // (both nodes carry the taint it does not tolerate) and stays Pending.
    let none1 = pod(&spec, &out, "none-1");
    assert_eq!(none1.created, 100_000);
    assert_eq!(none1.phase, PodPhase::Pending);
    assert_eq!(
        message(&out, none1),
        "0/2 nodes are available: 2 node(s) had untolerated taint {maintenance: }."
    );
    // The replacement of "sixty" tolerates the taint: created at 160 s, bound at once (the
    // terminating pod's cpu is still held, but 4 cpu hold them all), and its own 60 s start
    // when it binds (handlePodUpdate): evicted at 220 s, gone at 250 s; and so on every 60 s
    // until the end (20 min): replacements 1 … 18 created at 160 + 60 (k − 1) s ≤ 1200 s.
    let sixty1 = pod(&spec, &out, "sixty-1");
    assert_eq!((sixty1.created, sixty1.scheduled), (160_000, Some(160_000)));
    assert_eq!(sixty1.ended, Some(250_000));
    let sixties = out
        .cluster
        .pods
        .iter()
        .filter(|p| spec.workloads[p.workload.idx()].name == "sixty")
        .count();
    // Pod 0 plus replacements at 160, 220, …, 1180 s: (1180 − 160) / 60 + 1 = 18.
    assert_eq!(sixties, 19);
}

#[test]
fn removing_a_no_execute_taint_before_the_toleration_runs_out_cancels_the_eviction() {
    let text = two_nodes(
        r#"(name: "a", template: (containers: [(image: "app:1", start_delay: "0s")],
            tolerations: [(key: "maintenance", operator: Exists, effect: NoExecute, toleration_seconds: 60)]))"#,
        r#"(at: "100s", action: AddTaint(pool: "p", taint: (key: "maintenance", effect: NoExecute))),
           (at: "130s", action: RemoveTaint(pool: "p", key: "maintenance", effect: NoExecute))"#,
    );
    let (spec, out) = run(&text);
    // Due at 160 s; the taint is gone at 130 s, so cancelWorkWithEvent: the pod stays.
    let a = pod(&spec, &out, "a-0");
    assert_eq!(a.phase, PodPhase::Ready);
    assert_eq!(a.ended, None);
}

#[test]
fn a_daemonset_pod_is_evicted_by_a_taint_it_does_not_tolerate_and_not_recreated_there() {
    let text = two_nodes(
        r#"(name: "agent", kind: DaemonSet, template: (containers: [(image: "app:1", start_delay: "0s")]))"#,
        r#"(at: "100s", action: AddTaint(node: "p-0", taint: (key: "maintenance", effect: NoExecute)))"#,
    );
    let (spec, out) = run(&text);
    // One agent per node at 0 s. The taint on p-0 at 100 s evicts p-0's agent at once (the
    // DaemonSet controller's own tolerations cover only not-ready/unreachable, unschedulable
    // and pressure taints), and nodeShouldRunDaemonPod now says no for p-0: no new pod.
    let on = |node: &str| {
        out.cluster
            .pods
            .iter()
            .filter(|p| {
                p.pinned
                    .is_some_and(|n| out.cluster.node_name(&spec, n) == node)
            })
            .collect::<Vec<_>>()
    };
    // Evicted at 100 s with the default 30 s grace period: gone at 130 s, and only then does
    // the DaemonSet look at p-0 again (podsShouldBeOnNode) and find it should not run there.
    let p0 = on("p-0");
    assert_eq!(p0.len(), 1);
    assert_eq!(p0[0].ended, Some(130_000));
    let p1 = on("p-1");
    assert_eq!(p1.len(), 1);
    assert_eq!(p1[0].phase, PodPhase::Ready);
}

/// (scenario timeline action, expected message) for node actions that cannot run.
#[test]
fn node_actions_naming_what_does_not_exist_are_errors_with_positions() {
    let cases = [
        (
            r#"Cordon(pool: "gpu")"#,
            r#""gpu""#,
            r#"unknown pool "gpu" (pools: "p")"#,
        ),
        (
            r#"Cordon(node: "p-7")"#,
            r#""p-7""#,
            r#"unknown node "p-7": pool "p" has 2 node(s), p-0 to p-1, and does not grow"#,
        ),
        (
            r#"Uncordon(node: "q-0")"#,
            r#""q-0""#,
            r#"unknown node "q-0": nodes are named POOL-N, N counting from 0 (pools: "p")"#,
        ),
        (
            r#"Cordon(node: "p-0", pool: "p")"#,
            r#"Cordon("#,
            r#"expected exactly one of `node` (a node name such as "win-0") or `pool`"#,
        ),
        (
            r#"RemoveTaint(pool: "p", key: "")"#,
            r#""")"#,
            "expected a non-empty taint key",
        ),
    ];
    for (action, needle, want) in cases {
        let text = two_nodes(
            r#"(name: "a", template: (containers: [(image: "app:1")]))"#,
            &format!(r#"(at: "1s", action: {action})"#),
        );
        let err = load_errors(&text);
        // Line and column of the offending value, found in the text itself.
        let (line, col) = pos_of(&text, needle);
        let at = format!("t.ron:{line}:{col}: ");
        assert!(
            err.lines().any(|l| l.starts_with(&at) && l.ends_with(want)),
            "{action}: want {at}…{want}\ngot {err}"
        );
    }
}
