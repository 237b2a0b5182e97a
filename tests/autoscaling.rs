//! Cluster autoscaler and HPA behaviour in small scenarios; every expected time and count is
//! derived by hand in the comment above its assertion.

mod common;
use common::*;
use hybridsim::autoscaler::cluster_autoscaler::{Action, ClusterAutoscaler, ScalingKind};
use hybridsim::model::cluster::Cluster;
use hybridsim::model::{PodId, Spec};
use hybridsim::simulation::RunOutput;

/// Two autoscaled pools that start empty: Linux and a Windows pool tainted os=windows.
fn two_groups(extra_top: &str, lin: &str, win: &str, workloads: &str, duration: &str) -> String {
    format!(
        r#"Scenario(name: "t", duration: "{duration}", {extra_top}
    pools: [
        (name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 0,
            autoscale: (min: 0, max: 3), provisioning: Fixed("2m"), {lin}),
        (name: "win", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi", count: 0,
            autoscale: (min: 0, max: 3), provisioning: Fixed("5m"),
            taints: [(key: "os", value: "windows", effect: NoSchedule)], {win}),
    ],
    layers: [(name: "l", size: "10MB"), (name: "w", size: "10MB")],
    images: [
        (name: "lin:1", platforms: [(os: Linux, layers: ["l"])]),
        (name: "win:1", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["w"])]),
    ],
    workloads: [{workloads}],
)"#
    )
}

const WIN_POD: &str = r#"(name: "w", template: (containers: [(image: "win:1", cpu: "1")],
    node_selector: {"kubernetes.io/os": "windows"},
    tolerations: [(key: "os", value: "windows", effect: NoSchedule)]))"#;
const LIN_POD: &str = r#"(name: "l", template: (containers: [(image: "lin:1", cpu: "1")],
    node_selector: {"kubernetes.io/os": "linux"}))"#;

fn rows(spec: &Spec, out: &RunOutput) -> Vec<(u64, String, i32, ScalingKind)> {
    out.scaling
        .iter()
        .map(|e| (e.time, spec.pool(e.pool).name.clone(), e.delta, e.kind))
        .collect()
}

#[test]
fn a_pending_windows_pod_grows_the_windows_group_only() {
    let (spec, out) = run(&two_groups("", "", "", WIN_POD, "10m"));
    // The pod is unschedulable at 0 s (no nodes); the first scan at 10 s asks for one Windows
    // node (the Linux template fails the selector and the taint). Fixed 5 min provisioning →
    // Ready at 310 s, and the node-added event binds the pod then.
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "win".into(), 1, ScalingKind::ScaleUp)]
    );
    assert_eq!(pod(&spec, &out, "w-0").scheduled, Some(310_000));
}

#[test]
fn a_pending_linux_pod_grows_the_linux_group_only() {
    let (spec, out) = run(&two_groups("", "", "", LIN_POD, "10m"));
    // Scan at 10 s → Linux node Ready at 10 + 120 = 130 s.
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "lin".into(), 1, ScalingKind::ScaleUp)]
    );
    assert_eq!(pod(&spec, &out, "l-0").scheduled, Some(130_000));
}

#[test]
fn a_pod_that_does_not_tolerate_a_groups_taint_does_not_trigger_it() {
    let no_toleration = r#"(name: "w", template: (containers: [(image: "win:1", cpu: "1")],
        node_selector: {"kubernetes.io/os": "windows"}))"#;
    let (spec, out) = run(&two_groups("", "", "", no_toleration, "10m"));
    // The Windows template carries os=windows:NoSchedule and the Linux one fails the selector.
    assert!(out.scaling.is_empty());
    assert_eq!(pod(&spec, &out, "w-0").node, None);
}

#[test]
fn upcoming_nodes_are_counted_so_the_same_pod_does_not_scale_twice() {
    let (_, out) = run(&two_groups("", "", "", LIN_POD, "3m"));
    // Scans at 10, 20, …, 120 s all see the pod pending, but the node requested at 10 s would
    // take it: exactly one scale-up.
    assert_eq!(out.scaling.len(), 1);
}

#[test]
fn the_group_maximum_is_respected() {
    // Ten pods of 3 cores; a 4-core node has 3,860m allocatable, so one pod per node: the
    // estimate is 10 nodes, capped at max 3 − 0 = 3.
    let pods = r#"(name: "l", replicas: 10, template: (containers: [(image: "lin:1", cpu: "3")],
        node_selector: {"kubernetes.io/os": "linux"}))"#;
    let (spec, out) = run(&two_groups("", "", "", pods, "20m"));
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "lin".into(), 3, ScalingKind::ScaleUp)]
    );
    let bound = out.cluster.pods.iter().filter(|p| p.node.is_some()).count();
    assert_eq!(bound, 3);
}

#[test]
fn the_node_estimate_is_first_fit_decreasing() {
    // Five pods of 1,500m on nodes with 3,860m allocatable: two per node (3,000m; a third
    // would need 4,500m) → ⌈5 / 2⌉ = 3 nodes in one scale-up.
    let pods = r#"(name: "l", replicas: 5, template: (containers: [(image: "lin:1", cpu: "1500m")],
        node_selector: {"kubernetes.io/os": "linux"}))"#;
    let (spec, out) = run(&two_groups("", "", "", pods, "10m"));
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "lin".into(), 3, ScalingKind::ScaleUp)]
    );
    assert!(out.cluster.pods.iter().all(|p| p.ready.is_some()));
}

#[test]
fn a_failed_scale_up_backs_the_group_off_5_10_20_minutes() {
    // Every requested Windows node fails to come up. Scale-up at 10 s; the node is given up at
    // the first scan ≥ 10 + 900 = 910 s, and the group backs off 5 min → next scale-up at the
    // scan at 1,210 s; fails at 2,110 s, back-off 10 min → 2,710 s; fails at 3,610 s, back-off
    // 20 min → 4,810 s.
    let (spec, out) = run(&two_groups(
        "",
        "",
        "provisioning_failure_rate: 1.0",
        WIN_POD,
        "5000s",
    ));
    use ScalingKind::*;
    let w = |t: u64, d: i32, k| (t * 1000, "win".to_string(), d, k);
    assert_eq!(
        rows(&spec, &out),
        vec![
            w(10, 1, ScaleUp),
            w(910, -1, FailedScaleUp),
            w(1210, 1, ScaleUp),
            w(2110, -1, FailedScaleUp),
            w(2710, 1, ScaleUp),
            w(3610, -1, FailedScaleUp),
            w(4810, 1, ScaleUp),
        ]
    );
}

#[test]
fn scale_down_waits_for_the_unneeded_time_and_stops_at_min() {
    // Three Ready Linux nodes (min 1). One pod of 2,500m keeps its node above the 0.5 threshold
    // (2,500 / 3,860 = 0.65); the two empty nodes are unneeded from the first scan (10 s) and
    // are removed at the first scan ≥ 10 + 600 = 610 s, both at once (empty nodes go in bulk).
    let text = r#"Scenario(name: "t", duration: "20m",
    pools: [(name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 3, autoscale: (min: 1, max: 5))],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "lin:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "a", template: (containers: [(image: "lin:1", cpu: "2500m")]))])"#;
    let (spec, out) = run(text);
    let r = rows(&spec, &out);
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r.iter()
            .all(|x| *x == (610_000, "lin".into(), -1, ScalingKind::ScaleDown))
    );
    // With min 2 only one of them goes.
    let (spec, out) = run(&text.replace("min: 1", "min: 2"));
    assert_eq!(
        rows(&spec, &out),
        vec![(610_000, "lin".into(), -1, ScalingKind::ScaleDown)]
    );
}

#[test]
fn scale_down_waits_for_the_delay_after_a_scale_up() {
    // A pod arrives at 0 s on an empty group (min 0): scale-up at 10 s, node Ready at 130 s.
    // The pod is deleted at 200 s, so the node is empty from the scan at 200 s … but
    // scale-down stays off until 10 + 600 = 610 s (delay after add), and the node must also
    // have been unneeded for 600 s: since 200 s → removed at the scan at 800 s.
    let text = two_groups("", "", "", LIN_POD, "20m").replace(
        "    workloads:",
        "    timeline: [(at: \"200s\", action: Delete(workload: \"l\"))],\n    workloads:",
    );
    let (spec, out) = run(&text);
    assert_eq!(
        rows(&spec, &out),
        vec![
            (10_000, "lin".into(), 1, ScalingKind::ScaleUp),
            (800_000, "lin".into(), -1, ScalingKind::ScaleDown),
        ]
    );
}

#[test]
fn node_hours_and_cost_count_from_the_request() {
    // One Linux node requested at 10 s and kept to the end (600 s): 590 s = 0.16389 h; at
    // 2.00/h the cost is 0.328 (rounded to 3 decimals).
    let (spec, out) = run(&two_groups("", "price_per_hour: 2.0", "", LIN_POD, "10m"));
    let s = hybridsim::report::Summary::new(&spec, &out);
    let lin = &s.nodes["lin"];
    assert_eq!(lin.node_hours, 0.164);
    assert_eq!(lin.cost, 0.328);
    assert_eq!(s.cost.total, 0.328);
    assert_eq!(lin.provisioning_s.p50, Some(120.0));
}

#[test]
fn an_hpa_scales_a_deployment_up_from_its_load_curve() {
    // One Linux node of 8 cores, fixed. Load 1,000 from the start; 100 per pod at 100 %,
    // target 0.5 → 50 per pod. Two Ready pods from ~1 s. No behavior block, so the
    // controller's `calculateScaleUpLimit` bounds each sync at max(2 × current, 4)
    // (docs/upstream.md §10.3). First sync at 15 s: ratio (1000/2)/50 = 10 → wants 20,
    // limited to max(4, 4) = 4. At 30 s, 4 pods (all Ready by then, starting in about a
    // second): wants 20, limited to 8; at 45 s: wants 20, limited to 16.
    let text = r#"Scenario(name: "t", duration: "50s",
    pools: [(name: "p", os: Linux, cpu: "16", memory: "64Gi", count: 1)],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "a", replicas: 2,
        hpa: (min_replicas: 1, max_replicas: 50, load: Points([("0s", 1000.0)]),
              capacity_per_pod: 100.0, target_utilization: 0.5),
        template: (containers: [(image: "app:1", cpu: "100m")]))])"#;
    let (_, out) = run(text);
    let created: Vec<u64> = {
        let mut v: Vec<u64> = out.cluster.pods.iter().map(|p| p.created).collect();
        v.dedup();
        v
    };
    assert_eq!(created, vec![0, 15_000, 30_000, 45_000]);
    assert_eq!(out.cluster.pods.len(), 16);
}

#[test]
fn morning_peak_shows_the_windows_lag() {
    let s = spec(&std::fs::read_to_string("scenarios/morning-peak.ron").unwrap());
    let out = hybridsim::simulation::run(&s, s.seed);
    let sum = hybridsim::report::Summary::new(&s, &out);
    let lin = sum.startup_latency_s["linux"].p99.unwrap();
    let win = sum.startup_latency_s["windows"].p99.unwrap();
    // Windows pods wait for ~6 min provisioning plus a multi-minute pull; Linux ones do not.
    assert!(win > lin + 300.0, "windows p99 {win} vs linux p99 {lin}");
    for pool in ["linux-apps", "win-apps"] {
        assert!(
            sum.nodes[pool].scale_ups > 0 && sum.nodes[pool].scale_downs > 0,
            "{pool}"
        );
    }
    assert!(sum.demand["iis"].unserved_fraction > sum.demand["web"].unserved_fraction);
}

/// Two WS2019 nodes of an autoscaled pool (min 1); `big` (2,500m) and `small` (500m), both
/// pinned to build 10.0.17763, land one per node; `timeline` is spliced in.
fn pinned_pair(timeline: &str) -> String {
    format!(
        r#"Scenario(name: "t", duration: "15m",
    pools: [(name: "win", os: Windows, os_version: "10.0.17763.5000", cpu: "4", memory: "16Gi",
        count: 2, autoscale: (min: 1, max: 4), provisioning: Fixed("12m"))],
    layers: [(name: "w", size: "10MB")],
    images: [(name: "app:2019", platforms: [(os: Windows, os_version: "10.0.17763.5000", layers: ["w"])])],
    workloads: [
        (name: "big", template: (containers: [(image: "app:2019", cpu: "2500m")],
            node_selector: {{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"}})),
        (name: "small", template: (containers: [(image: "app:2019", cpu: "500m")],
            node_selector: {{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"}})),
    ],
    timeline: [{timeline}],
)"#
    )
}

#[test]
fn scale_down_during_an_upgrade_judges_each_old_node_by_its_own_build() {
    // The scheduler spreads the two pods over the two empty nodes. The node with `big`
    // (2,500m of 4 cpu) is above the 0.5 threshold; the one with `small` (500m) is below, and
    // `small` fits beside `big` (3,000m): that node is unneeded from the first scan (10 s) and
    // removed at the first scan ≥ 10 + 600 = 610 s.
    let (spec, out) = run(&pinned_pair(""));
    let downs = |r: Vec<(u64, String, i32, ScalingKind)>| -> Vec<(u64, String, i32, ScalingKind)> {
        r.into_iter()
            .filter(|x| x.3 == ScalingKind::ScaleDown)
            .collect()
    };
    let want = vec![(610_000, "win".to_string(), -1, ScalingKind::ScaleDown)];
    assert_eq!(downs(rows(&spec, &out)), want);
    // The same with an upgrade to 20348 begun at 5 s: its surge node is requested then and is
    // not Ready before 12 min, so no old node is drained before 610 s, but from the first scan
    // the pool's template node carries 10.0.20348. Both old nodes still carry 10.0.17763, the
    // label `small` needs, so it still fits beside `big`: the same scale-down at 610 s. (Judged
    // by the template's label, `small` fits no node of `win` and nothing is removed.)
    let (spec, out) = run(&pinned_pair(
        r#"(at: "5s", action: UpgradePool(pool: "win", to_build: "10.0.20348.2700"))"#,
    ));
    assert_eq!(downs(rows(&spec, &out)), want);
}

#[test]
fn the_estimate_keeps_one_replica_per_new_node_under_hostname_anti_affinity() {
    // Three 500m replicas that refuse to share a node (required anti-affinity on their own
    // label by hostname). By cpu alone one new Linux node (3,860m) takes all three; each
    // simulated node has its own hostname, so the estimate is one node per replica: 3 nodes
    // in the first scan at 10 s, Ready at 130 s, one replica each.
    let pods = r#"(name: "l", replicas: 3, template: (labels: {"app": "l"},
        containers: [(image: "lin:1", cpu: "500m")],
        node_selector: {"kubernetes.io/os": "linux"},
        pod_anti_affinity: (required: [(label_selector: (match_labels: {"app": "l"}), topology_key: "kubernetes.io/hostname")])))"#;
    let (spec, out) = run(&two_groups("", "", "", pods, "10m"));
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "lin".into(), 3, ScalingKind::ScaleUp)]
    );
    let mut nodes: Vec<_> = out.cluster.pods.iter().filter_map(|p| p.node).collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 3);
}

#[test]
fn the_estimate_sums_extended_resources_on_new_nodes() {
    // Linux nodes advertise 2 GPUs; four 500m replicas want 1 GPU each. By cpu one node would
    // do (2,000m of 3,860m); by GPUs two per node: ⌈4 / 2⌉ = 2 nodes in one scale-up.
    let pods = r#"(name: "l", replicas: 4, template: (
        containers: [(image: "lin:1", cpu: "500m", extended_resources: {"nvidia.com/gpu": 1})],
        node_selector: {"kubernetes.io/os": "linux"}))"#;
    let (spec, out) = run(&two_groups(
        "",
        r#"extended_resources: {"nvidia.com/gpu": 2}"#,
        "",
        pods,
        "10m",
    ));
    assert_eq!(
        rows(&spec, &out),
        vec![(10_000, "lin".into(), 2, ScalingKind::ScaleUp)]
    );
    assert!(out.cluster.pods.iter().all(|p| p.ready.is_some()));
}

/// For autoscaler loops driven by hand: one 4-cpu Linux node (3,860m allocatable, group
/// 1–5) running `workloads` for 5 s, which ends before the autoscaler's first loop (10 s);
/// returns the cluster it leaves and a fresh autoscaler.
fn before_the_first_loop(workloads: &str) -> (Spec, Cluster, ClusterAutoscaler) {
    use rand_chacha::rand_core::SeedableRng;
    let text = format!(
        r#"Scenario(name: "t", duration: "5s",
    pools: [(name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 1, autoscale: (min: 1, max: 5))],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "lin:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{workloads}])"#
    );
    let (spec, out) = run(&text);
    let ca = ClusterAutoscaler::new(&spec, rand_chacha::ChaCha8Rng::seed_from_u64(1));
    (spec, out.cluster, ca)
}

/// The id of pod `WORKLOAD-ORDINAL`.
fn pod_id(spec: &Spec, cl: &Cluster, workload: &str, ordinal: u32) -> PodId {
    let i = (0..cl.pods.len())
        .find(|&i| {
            let p = &cl.pods[i];
            spec.workloads[p.workload.idx()].name == workload && p.ordinal == ordinal
        })
        .unwrap_or_else(|| panic!("no pod {workload}-{ordinal}"));
    PodId::from_idx(i)
}

#[test]
fn a_template_that_fitted_no_node_in_one_loop_is_placed_again_in_the_next() {
    // Two 3,000m pods: one binds, the other waits (860m free).
    let (spec, mut cl, mut ca) = before_the_first_loop(
        r#"(name: "a", replicas: 2, template: (containers: [(image: "lin:1", cpu: "3")]))"#,
    );
    let (a0, a1) = (pod_id(&spec, &cl, "a", 0), pod_id(&spec, &cl, "a", 1));
    let (bound, waiting) = if cl.pods[a0.idx()].node.is_some() {
        (a0, a1)
    } else {
        (a1, a0)
    };
    assert!(cl.pods[waiting.idx()].node.is_none());
    let node = cl.pods[bound.idx()].node.unwrap();
    let mut actions = Vec::new();
    // Loop 1: the waiting pod fits no existing node, so the group grows by one.
    let parked = [(waiting, cl.pods[waiting.idx()].template)];
    ca.scan(&spec, &mut cl, 10_000, &parked, &[], &mut actions);
    let pool = cl.node(node).pool;
    assert_eq!(actions, vec![Action::ScaleUp { pool, nodes: 1 }]);
    // The bound pod leaves: its node has 3,860m free, room for the waiting pod. Loop 2 (the
    // requested node was not added: the actions above were not applied) must place it there
    // and ask for nothing; a "fits no node" mark kept from loop 1 would ask for a node again.
    let t = spec.template(cl.pods[bound.idx()].template);
    cl.release(node, bound, t);
    actions.clear();
    ca.scan(&spec, &mut cl, 20_000, &parked, &[], &mut actions);
    assert_eq!(actions, vec![]);
}

#[test]
fn in_one_loop_a_template_that_fits_nowhere_keeps_all_its_pods_and_marks_no_other() {
    // a-0 (3,000m) and s-0 (500m) bind (360m left); b-0 and b-1 (3,000m each) wait.
    let (spec, mut cl, mut ca) = before_the_first_loop(
        r#"(name: "a", template: (containers: [(image: "lin:1", cpu: "3")])),
        (name: "s", template: (containers: [(image: "lin:1", cpu: "500m")])),
        (name: "b", replicas: 2, template: (containers: [(image: "lin:1", cpu: "3")]))"#,
    );
    let [s0, b0, b1] = [("s", 0), ("b", 0), ("b", 1)].map(|(w, o)| pod_id(&spec, &cl, w, o));
    let node = cl.pods[s0.idx()].node.expect("s-0 bound");
    assert!(cl.pods[b0.idx()].node.is_none() && cl.pods[b1.idx()].node.is_none());
    // s-0 leaves its node (860m free) and is handed to the loop as if parked, between the
    // two b pods: b-0 fits no node (marked), s-0 fits the existing node (its template is not
    // marked by b's), b-1 is kept by b's mark. Pending: b-0 and b-1, one per new 3,860m node
    // (2 × 3,000m > 3,860m): two nodes for two pods.
    let t = |p: PodId| cl.pods[p.idx()].template;
    let parked = [(b0, t(b0)), (s0, t(s0)), (b1, t(b1))];
    let st = spec.template(t(s0));
    cl.release(node, s0, st);
    let mut actions = Vec::new();
    ca.scan(&spec, &mut cl, 10_000, &parked, &[], &mut actions);
    let pool = cl.node(node).pool;
    assert_eq!(actions, vec![Action::ScaleUp { pool, nodes: 2 }]);
    let reason = &ca.events[0].reason;
    assert!(
        reason.starts_with("2 unschedulable pod(s) fit 2 new node(s)"),
        "{reason}"
    );
}
