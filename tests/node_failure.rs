//! Node failures (`FailNode` / `RecoverNode`) as the node lifecycle and taint-eviction
//! controllers handle them upstream, with every expected time derived in a comment:
//! `--node-monitor-grace-period` (50 s by default since Kubernetes 1.32), the
//! `node.kubernetes.io/unreachable` taints, the DefaultTolerationSeconds admission plugin's
//! 300 s, pods stuck Terminating on an unreachable node, and recovery.

mod common;
use common::*;
use hybridsim::model::cluster::{NodeState, PodPhase, Termination};
use hybridsim::model::{NodeId, Spec};
use hybridsim::simulation::RunOutput;

/// Pools `p` and `q` of one Linux node each (4 cpu), the image preloaded and a start delay of
/// 0, so a bound pod is Ready the instant it binds. `q-0` is cordoned from 5 s to 20 s, so a
/// 3-cpu pod created at 10 s lands on `p-0` and `q-0` is free for its replacement.
fn scenario(settings: &str, workloads: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "20m",
    {settings}
    pools: [
        (name: "p", os: Linux, cpu: "4", memory: "16Gi", count: 1, preloaded_images: ["app:1"]),
        (name: "q", os: Linux, cpu: "4", memory: "16Gi", count: 1, preloaded_images: ["app:1"]),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{workloads}],
    timeline: [
        (at: "5s", action: Cordon(node: "q-0")),
        (at: "20s", action: Uncordon(node: "q-0")),
        {timeline}
    ],
)"#
    )
}

const WEB: &str = r#"(name: "web", created_at: "10s", template: (containers: [(image: "app:1", cpu: "3", start_delay: "0s")]))"#;

fn node(spec: &Spec, out: &RunOutput, name: &str) -> NodeId {
    (0..out.cluster.nodes.len())
        .map(NodeId::from_idx)
        .find(|&n| out.cluster.node_name(spec, n) == name)
        .unwrap_or_else(|| panic!("no node {name}"))
}

#[test]
fn a_failed_node_goes_not_ready_after_the_grace_period_and_its_pod_is_evicted_300_s_later() {
    let text = scenario(
        "",
        WEB,
        r#"(at: "100s", action: FailNode(node: "p-0")), (at: "900s", action: RecoverNode(node: "p-0"))"#,
    );
    let (spec, out) = run_with_invariants(&text);
    let old = pod(&spec, &out, "web-0");
    let new = pod(&spec, &out, "web-1");
    assert_eq!(out.cluster.node_name(&spec, old.node.unwrap()), "p-0");
    // The node fails at 100 s; with --node-monitor-grace-period 50 s it is NotReady at 150 s
    // and gets unreachable:NoExecute. The pod declares no toleration, so admission gave it
    // unreachable:NoExecute for 300 s: evicted at 150 + 300 = 450 s (reason TaintEviction,
    // the taint manager's message).
    assert_eq!(
        old.termination.map(|t| t.0),
        Some(Termination::TaintEviction)
    );
    assert_eq!(
        out.messages.get(old.termination.unwrap().1),
        "Taint manager: deleting due to NoExecute taint"
    );
    // Its Deployment replaces it at once: the replacement is created at 450 s and binds at
    // 450 s to q-0 (p-0 is tainted unreachable:NoSchedule), Ready at once.
    assert_eq!(new.created, 450_000);
    assert_eq!(new.scheduled, Some(450_000));
    assert_eq!(out.cluster.node_name(&spec, new.node.unwrap()), "q-0");
    assert_eq!(new.ready, Some(450_000));
    // The kubelet of p-0 cannot confirm the deletion: the old pod is Terminating past its
    // 30 s grace period (480 s) until p-0 comes back at 900 s, when it is gone.
    assert_eq!(old.phase, PodPhase::Deleted);
    assert_eq!(old.ended, Some(900_000));
    // Recovered: Ready again, untainted.
    let p0 = node(&spec, &out, "p-0");
    assert_eq!(out.cluster.nodes[p0.idx()].state, NodeState::Ready);
    assert!(out.cluster.taint_overlay.get(p0).is_none());
}

#[test]
fn a_pod_evicted_from_a_node_that_never_returns_is_still_terminating_at_the_end() {
    let text = scenario("", WEB, r#"(at: "100s", action: FailNode(node: "p-0"))"#);
    let (spec, out) = run(&text);
    let old = pod(&spec, &out, "web-0");
    // Evicted at 450 s as above; the node never recovers, so it never leaves.
    assert_eq!(old.phase, PodPhase::Terminating);
    assert_eq!(old.ended, None);
    let p0 = node(&spec, &out, "p-0");
    assert_eq!(out.cluster.nodes[p0.idx()].state, NodeState::NotReady);
    // Its requests stay on p-0 (3 cpu), as upstream counts a terminating pod's requests.
    assert_eq!(out.cluster.nodes[p0.idx()].requested.cpu_m, 3000);
}

#[test]
fn the_grace_period_is_a_setting_and_a_pods_own_toleration_replaces_the_default() {
    // Grace 40 s (the default before 1.32): NotReady at 140 s. The pod tolerates
    // unreachable:NoExecute for 60 s itself, so admission adds only not-ready's default:
    // evicted at 140 + 60 = 200 s, replacement bound at 200 s.
    let web = r#"(name: "web", created_at: "10s", template: (containers: [(image: "app:1", cpu: "3", start_delay: "0s")],
        tolerations: [(key: "node.kubernetes.io/unreachable", operator: Exists, effect: NoExecute, toleration_seconds: 60)]))"#;
    let text = scenario(
        r#"controllers: (node_monitor_grace_period: "40s"),"#,
        web,
        r#"(at: "100s", action: FailNode(node: "p-0"))"#,
    );
    let (spec, out) = run(&text);
    let new = pod(&spec, &out, "web-1");
    assert_eq!(new.created, 200_000);
    assert_eq!(new.scheduled, Some(200_000));
}

#[test]
fn a_node_that_recovers_before_the_toleration_runs_out_keeps_its_pod_which_starts_again() {
    // Fails at 100 s, NotReady at 150 s (eviction due at 450 s), back at 300 s: the taints go,
    // the eviction is cancelled, and the pod's containers start again (start delay 0: Ready
    // at 300 s). No replacement was ever made.
    let text = scenario(
        "",
        WEB,
        r#"(at: "100s", action: FailNode(node: "p-0")), (at: "300s", action: RecoverNode(node: "p-0"))"#,
    );
    let (spec, out) = run(&text);
    let p = pod(&spec, &out, "web-0");
    assert_eq!(p.phase, PodPhase::Ready);
    assert_eq!(p.termination, None);
    assert_eq!(p.ready, Some(300_000));
    assert_eq!(out.cluster.pods.len(), 1, "no replacement");
}

#[test]
fn a_pod_on_a_failed_node_is_not_ready_from_the_grace_period_on() {
    // Failed at 100 s, the pod still counts Ready at the 100 s sample (the control plane has
    // not noticed). MarkPodsNotReady at 150 s: at the 200 s sample the Ready count is 0, one
    // pod is running not Ready, and the node is not among the Ready ones.
    let text = scenario(
        r#"sample_interval: "50s","#,
        WEB,
        r#"(at: "100s", action: FailNode(node: "p-0"))"#,
    );
    let (_, out) = run(&text);
    let at = |t: u64| {
        out.rec
            .samples
            .iter()
            .find(|s| s.time_ms == t)
            .expect("sample")
    };
    assert_eq!((at(100_000).ready, at(100_000).nodes_ready[0]), (1, 1));
    assert_eq!((at(200_000).ready, at(200_000).nodes_ready[0]), (0, 0));
    assert_eq!(at(200_000).running, 1);
}

#[test]
fn daemonset_pods_tolerate_an_unreachable_node_forever() {
    // The DaemonSet controller's own unreachable:NoExecute toleration has no limit (and the
    // admission plugin then adds none): its pod on p-0 is never evicted.
    let text = scenario(
        "",
        r#"(name: "agent", kind: DaemonSet, template: (containers: [(image: "app:1", start_delay: "0s")]))"#,
        r#"(at: "100s", action: FailNode(node: "p-0"))"#,
    );
    let (_, out) = run(&text);
    assert!(out.cluster.pods.iter().all(|p| p.termination.is_none()));
}

#[test]
fn failing_a_count_of_a_pool_picks_the_same_random_nodes_for_the_same_seed() {
    let text = r#"Scenario(
    name: "t", duration: "10m",
    pools: [(name: "p", os: Linux, cpu: "4", memory: "16Gi", count: 6)],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [],
    timeline: [(at: "10s", action: FailNode(pool: "p", count: 2)),
               (at: "20s", action: FailNode(pool: "p", fraction: 0.5))],
)"#;
    let down = |seed: u64| {
        let s = spec(text);
        let out = hybridsim::simulation::run(&s, seed);
        out.cluster
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.state == NodeState::NotReady)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    // 2 nodes at 10 s, then half of the 6 (3) among the 4 still running at 20 s: 5 down,
    // NotReady 50 s later, before the end.
    let a = down(1);
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(down(1), a, "same seed, same nodes");
}

/// Runs with the run-time invariants checked (request sums, lifecycle conservation, binds to
/// Ready nodes only) and fails on any violation.
fn run_with_invariants(text: &str) -> (Spec, RunOutput) {
    let s = spec(text);
    let (out, violations) = hybridsim::simulation::run_checking_invariants(&s, s.seed);
    assert!(violations.is_empty(), "{violations:#?}");
    (s, out)
}

#[test]
fn the_cli_writes_the_eviction_and_the_rollout_end_to_end() {
    // A node failure and a rolling update in one scenario, through `hybridsim run --out`:
    // pods.csv shows web-0 evicted (TaintEviction, the upstream message) and gone at the
    // recovery (900 s); summary.json lists the `api` rollout. `api` has 1 replica of 1.5 cpu,
    // which only fits on q-0 (p-0 has 1 cpu left beside web-0). At 25 %/25 % (surge
    // ceil(0.25) = 1, unavailable floor(0.25) = 0), at 60 s a new pod is created, binds to
    // q-0 (1.5 + 1.5 ≤ 4 cpu) and is Ready at once (start delay 0); the old one goes:
    // complete at 60 s. Only web-0 is ever evicted.
    let text = scenario(
        "",
        &format!(
            r#"{WEB}, (name: "api", created_at: "30s", template: (containers: [(image: "app:1", cpu: "1500m", start_delay: "0s")]))"#
        ),
        r#"(at: "60s", action: UpdateTemplate(workload: "api", template: (containers: [(image: "app:1", cpu: "1500m", start_delay: "0s")], termination_grace_period: "10s"))),
           (at: "100s", action: FailNode(node: "p-0")), (at: "900s", action: RecoverNode(node: "p-0"))"#,
    );
    let dir = std::env::temp_dir().join(format!("hybridsim-node-failure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("failure.ron");
    std::fs::write(&file, &text).unwrap();
    let out_dir = dir.join("out");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .args(["run", file.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out_dir)
        .status()
        .unwrap();
    assert!(status.success());
    let pods = std::fs::read_to_string(out_dir.join("pods.csv")).unwrap();
    let web0 = pods
        .lines()
        .find(|l| l.starts_with("web-0,"))
        .expect("web-0 row");
    assert!(
        web0.contains(
            ",900.000,Deleted,TaintEviction,Taint manager: deleting due to NoExecute taint,"
        ),
        "{web0}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
            .unwrap();
    let r = &summary["rollouts"][0];
    assert_eq!(r["workload"], "api");
    assert_eq!(r["started_s"], 60.0);
    assert_eq!(r["completed_s"], 60.0);
    assert_eq!(summary["terminations"]["TaintEviction"], 1);
}

#[test]
fn a_pod_that_only_fits_a_not_ready_node_waits_with_the_unreachable_taint_in_its_message() {
    // `late` (100 m cpu, room on both nodes) selects pool p, so only p-0. Created at 120 s,
    // inside the grace window, p-0 still looks Ready: it binds there at 120 s but the stopped
    // kubelet never starts it. `later`, created at 200 s after p-0 went NotReady (150 s), is
    // kept off by unreachable:NoSchedule, which its default 300 s toleration (NoExecute only)
    // does not cover: Pending with the TaintToleration message.
    let late = |name: &str, at: &str| {
        format!(
            r#"(name: "{name}", created_at: "{at}", template: (containers: [(image: "app:1", cpu: "100m", start_delay: "0s")],
                node_selector: {{"hybridsim.io/pool": "p"}}))"#
        )
    };
    let text = scenario(
        "",
        &format!("{}, {}", late("late", "120s"), late("later", "200s")),
        r#"(at: "100s", action: FailNode(node: "p-0"))"#,
    );
    let (spec, out) = run(&text);
    let a = pod(&spec, &out, "late-0");
    assert_eq!(a.scheduled, Some(120_000));
    assert_eq!(a.started, None, "the kubelet of p-0 is stopped");
    let b = pod(&spec, &out, "later-0");
    assert_eq!(b.phase, PodPhase::Pending);
    let message = out.messages.get(b.message.unwrap()).to_string();
    assert_eq!(
        message,
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) \
         had untolerated taint {node.kubernetes.io/unreachable: }."
    );
}
