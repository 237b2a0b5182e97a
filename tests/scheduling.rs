//! The default scheduler profile end to end: zones on pools, and the plugins added by issue 16,
//! checked on small scenarios whose placements can be worked out by hand.

mod common;

use common::{run, spec};
use hybridsim::scenario;

/// The zone each node ordinal of a pool over zones a, b, c is in: ordinal modulo 3.
fn zone_of(ordinal: u32) -> &'static str {
    ["a", "b", "c"][ordinal as usize % 3]
}

#[test]
fn a_pool_over_three_zones_spreads_its_nodes_round_robin_and_selectors_see_the_zone() {
    // Six nodes in zones a, b, c, a, b, c; four replicas that select zone b can only land on
    // nodes 1 and 4.
    let (s, out) = run(r#"Scenario(
    name: "zones", duration: "2m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 6, zones: ["a", "b", "c"])],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "web", replicas: 4, template: (
        containers: [(image: "app:1", cpu: "100m", memory: "100Mi")],
        node_selector: {"topology.kubernetes.io/zone": "b"}))],
)"#);
    assert!(
        !s.pools[0]
            .labels
            .contains_key("topology.kubernetes.io/zone")
    );
    assert_eq!(out.cluster.pods.len(), 4);
    for p in &out.cluster.pods {
        let node = out.cluster.node(p.node.expect("every replica is bound"));
        assert_eq!(
            zone_of(node.ordinal),
            "b",
            "pod {} on node {}",
            p.ordinal,
            node.ordinal
        );
    }
}

#[test]
fn a_single_entry_zones_list_is_the_pool_label_like_zone() {
    let s = spec(
        r#"Scenario(
    name: "zones", duration: "1m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1, zones: ["eastus-1"])],
    layers: [], images: [], workloads: [],
)"#,
    );
    assert_eq!(
        s.pools[0]
            .labels
            .get("topology.kubernetes.io/zone")
            .map(String::as_str),
        Some("eastus-1")
    );
}

#[test]
fn zone_and_zones_together_or_a_repeated_zone_are_errors_with_their_place() {
    let cases = [
        (
            r#"zone: "a", zones: ["a", "b"]"#,
            "expected either zone (one zone) or zones (nodes spread over several), not both",
        ),
        (r#"zones: ["a", "a"]"#, r#"zone "a" is listed twice"#),
        (r#"zones: ["a", ""]"#, "expected a non-empty zone name"),
    ];
    for (extra, want) in cases {
        let text = format!(
            r#"Scenario(name: "z", duration: "1m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1, {extra})],
    layers: [], images: [], workloads: [])"#
        );
        let err = scenario::load_str(&text, "z.ron")
            .expect_err(extra)
            .to_string();
        assert!(err.contains(want), "{extra}: {err}");
        // The error points into the file (line 2 is the pool's).
        assert!(err.starts_with("z.ron:2:"), "{extra}: {err}");
    }
}

#[test]
fn deployment_replicas_spread_over_nodes_by_the_system_default_constraints() {
    // A 64-core node and an 8-core node. Each replica asks for 100m and 100Mi, under 2 % of
    // either node, so LeastAllocated and BalancedAllocation differ by a few points between
    // them at most, and without spreading both replicas would take the emptier big node.
    // PodTopologySpread (weight 2) after the first replica is on one node: hostname weight
    // ln(2 + 2) = 1.386; raw scores round(1 × 1.386 + 2) = 3 and round(0 + 2) = 2; normalised
    // 100 × (3 + 2 − 3) / 3 = 66 and 100 × (3 + 2 − 2) / 3 = 100: 2 × 34 = 68 points for the
    // empty node, which outweighs the resource scores. So the replicas end on both nodes.
    let (_, out) = run(r#"Scenario(
    name: "spread", duration: "2m",
    pools: [
        (name: "big", os: Linux, cpu: "64", memory: "256Gi", count: 1),
        (name: "small", os: Linux, cpu: "8", memory: "32Gi", count: 1),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "web", replicas: 2, template: (
        containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))],
)"#);
    let nodes: Vec<_> = out
        .cluster
        .pods
        .iter()
        .map(|p| p.node.expect("bound"))
        .collect();
    assert_eq!(nodes.len(), 2);
    assert_ne!(nodes[0], nodes[1], "both replicas on one node");
    let w = out.cluster.pods[0].workload;
    assert_eq!(out.cluster.spread.on_node(w, nodes[0]), 1);
    assert_eq!(out.cluster.spread.on_node(w, nodes[1]), 1);
}

#[test]
fn the_second_replica_goes_to_the_other_zone_whatever_node_the_first_took() {
    // Zone a has nodes pa-0 and pa-1, zone b has pb-0; all the same size, so the resource
    // scores of the empty nodes tie. If the first replica is in zone a (on pa-0), the second
    // compares pa-1 and pb-0, both empty: hostname weight ln(3 + 2) = 1.609 and zone weight
    // ln(2 + 2) = 1.386 (two zone values among the three scored nodes).
    //   pa-0: 1 × 1.609 + 2 + 1 × 1.386 + 4 = 8.995 → 9
    //   pa-1: 0 + 2 + 1 × 1.386 + 4 = 7.386 → 7
    //   pb-0: 0 + 2 + 0 + 4 = 6
    // Normalised 100 × (9 + 6 − s) / 9: pa-1 88, pb-0 100; × 2 gives pb-0 24 points more.
    // With the hostname term alone pa-1 and pb-0 would tie and half the seeds would put both
    // replicas in zone a. If the first replica is on pb-0, both other nodes are in zone a.
    for seed in 1..=8 {
        let (s, out) = run(&format!(
            r#"Scenario(
    name: "zones", seed: {seed}, duration: "2m",
    pools: [
        (name: "pa", os: Linux, cpu: "8", memory: "32Gi", count: 2, zone: "a"),
        (name: "pb", os: Linux, cpu: "8", memory: "32Gi", count: 1, zone: "b"),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "web", replicas: 2, template: (
        containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))],
)"#
        ));
        let zones: Vec<&str> = out
            .cluster
            .pods
            .iter()
            .map(|p| {
                let node = out.cluster.node(p.node.expect("bound"));
                s.pools[node.pool.idx()].zones[0].as_str()
            })
            .collect();
        assert_eq!(zones.len(), 2);
        assert_ne!(
            zones[0], zones[1],
            "seed {seed}: both replicas in zone {}",
            zones[0]
        );
    }
}

/// A small Linux scenario with three 8-CPU nodes in zones a, b, c and the given workloads.
fn three_zone_nodes(workloads: &str) -> String {
    format!(
        r#"Scenario(
    name: "ipa", duration: "2m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 3, zones: ["a", "b", "c"])],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{workloads}],
)"#
    )
}

const IIS_ANTI: &str = r#"pod_anti_affinity: (required: [(label_selector: (match_labels: {"app": "iis"}), topology_key: "kubernetes.io/hostname")])"#;

#[test]
fn required_anti_affinity_by_hostname_keeps_one_replica_per_node_and_leaves_the_rest_pending() {
    // Four replicas, three nodes: each node takes one (the first replica on a node puts the
    // pair (hostname, node) at 1 for the next), the fourth fails on all three nodes with
    // InterPodAffinity's anti-affinity reason.
    let (_, out) = run(&three_zone_nodes(&format!(
        r#"(name: "iis", replicas: 4, template: (labels: {{"app": "iis"}}, {IIS_ANTI},
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))"#
    )));
    let mut per_node = [0; 3];
    let mut pending = Vec::new();
    for p in &out.cluster.pods {
        match p.node {
            Some(n) => per_node[n.idx()] += 1,
            None => pending.push(p),
        }
    }
    assert_eq!(per_node, [1, 1, 1]);
    assert_eq!(pending.len(), 1);
    assert_eq!(
        out.messages
            .get(pending[0].message.expect("a failure message")),
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
}

#[test]
fn an_existing_pods_anti_affinity_keeps_pods_it_selects_off_its_node() {
    // One guard pod (created first, bound first) repels app=iis from its node; three plain
    // iis pods (no terms of their own) may use the two other nodes only: spreading alone
    // would put one of the three on each node; the symmetry check keeps the guard's free.
    let (_, out) = run(&three_zone_nodes(
        r#"(name: "guard", kind: Pod, template: (labels: {"app": "guard"},
            pod_anti_affinity: (required: [(label_selector: (match_labels: {"app": "iis"}), topology_key: "kubernetes.io/hostname")]),
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")])),
           (name: "iis", replicas: 3, created_at: "10s", template: (labels: {"app": "iis"},
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))"#,
    ));
    let guard_node = out.cluster.pods[0].node.expect("the guard is bound");
    for p in out.cluster.pods.iter().skip(1) {
        assert_ne!(p.node, Some(guard_node), "iis pod {}", p.ordinal);
        assert!(p.node.is_some(), "iis pod {} is bound", p.ordinal);
    }
}

#[test]
fn required_affinity_by_zone_follows_the_selected_pods_zone() {
    // A db pod pinned to zone b by node selector; web replicas with required affinity to
    // app=db by zone can only use the zone-b node (node ordinal 1).
    let (_, out) = run(&three_zone_nodes(
        r#"(name: "db", kind: Pod, template: (labels: {"app": "db"},
            node_selector: {"topology.kubernetes.io/zone": "b"},
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")])),
           (name: "web", replicas: 3, created_at: "10s", template: (labels: {"app": "web"},
            pod_affinity: (required: [(label_selector: (match_labels: {"app": "db"}), topology_key: "topology.kubernetes.io/zone")]),
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))"#,
    ));
    for p in &out.cluster.pods {
        let node = out.cluster.node(p.node.expect("every pod is bound"));
        assert_eq!(zone_of(node.ordinal), "b", "pod {}", p.ordinal);
    }
}

#[test]
fn preferred_anti_affinity_spreads_pods_that_resources_would_pack() {
    // Fillers take 6 of 8 CPUs on the zone-b and zone-c nodes, so LeastAllocated prefers the
    // empty zone-a node for both bare iis pods (no PodTopologySpread default for bare pods):
    // after the first, node a scores about (97.5 + 99) / 2 ≈ 98 for CPU and memory against
    // about (23.75 + 99) / 2 ≈ 61 elsewhere, ×1. With preferred anti-affinity (weight 100)
    // the second pod's raw InterPodAffinity scores are −200 on node a (its own term and the
    // first pod's, −100 each) and 0 on b and c: normalised 0 and 100, ×2 = 200, which
    // outweighs the ≈ 37 points of resources, so it leaves node a.
    let iis = |name: &str, at: &str, anti: bool| {
        let term = if anti {
            r#"pod_anti_affinity: (preferred: [(weight: 100, pod_affinity_term: (label_selector: (match_labels: {"app": "iis"}), topology_key: "kubernetes.io/hostname"))]),"#
        } else {
            ""
        };
        format!(
            r#"(name: "{name}", kind: Pod, created_at: "{at}", template: (labels: {{"app": "iis"}}, {term}
            containers: [(image: "app:1", cpu: "100m", memory: "100Mi")]))"#
        )
    };
    let filler = |zone: &str| {
        format!(
            r#"(name: "filler-{zone}", kind: Pod, template: (node_selector: {{"topology.kubernetes.io/zone": "{zone}"}},
            containers: [(image: "app:1", cpu: "6", memory: "100Mi")]))"#
        )
    };
    for (anti, want_same) in [(false, true), (true, false)] {
        let wl = [
            filler("b"),
            filler("c"),
            iis("iis-1", "10s", anti),
            iis("iis-2", "20s", anti),
        ]
        .join(", ");
        let (_, out) = run(&three_zone_nodes(&wl));
        let n1 = out.cluster.pods[2].node.expect("bound");
        let n2 = out.cluster.pods[3].node.expect("bound");
        assert_eq!(zone_of(out.cluster.node(n1).ordinal), "a", "anti {anti}");
        assert_eq!(n1 == n2, want_same, "anti {anti}");
    }
}

#[test]
fn a_pod_affinity_term_without_a_topology_key_or_with_gt_is_an_error_with_its_place() {
    let text = three_zone_nodes(
        r#"(name: "web", template: (
            pod_affinity: (required: [(label_selector: (match_expressions: [(key: "app", operator: Gt, values: ["1"])]), topology_key: "")]),
            containers: [(image: "app:1")]))"#,
    );
    let err = scenario::load_str(&text, "ipa.ron").expect_err("invalid terms");
    let msg = err.to_string();
    assert!(
        msg.contains("topology_key: expected a non-empty topology key"),
        "{msg}"
    );
    assert!(
        msg.contains("operator: expected In, NotIn, Exists or DoesNotExist"),
        "{msg}"
    );
}

/// The failure message of the only pending pod of a run.
fn pending_message(out: &hybridsim::simulation::RunOutput) -> String {
    let pending: Vec<_> = out
        .cluster
        .pods
        .iter()
        .filter(|p| p.node.is_none())
        .collect();
    assert_eq!(pending.len(), 1, "one pod pending");
    out.messages
        .get(pending[0].message.expect("a failure message"))
        .to_string()
}

#[test]
fn node_ports_rejects_nodes_whose_pods_hold_the_host_port_and_rejections_follow_upstream_text() {
    // Four replicas wanting host port 80/TCP on every address, three nodes: NodePorts admits
    // one per node (a second would conflict with the first's 0.0.0.0:80), so the fourth waits
    // with upstream's ErrReason counted on all three nodes.
    let (_, out) = run(r#"Scenario(
    name: "ports", duration: "2m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 3)],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "ingress", replicas: 4, template: (
        containers: [(image: "app:1", cpu: "100m", ports: [(container_port: 8080, host_port: 80)])]))],
)"#);
    let mut nodes: Vec<_> = out.cluster.pods.iter().filter_map(|p| p.node).collect();
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes.len(), 3, "one replica per node");
    assert_eq!(
        pending_message(&out),
        "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports."
    );
}

#[test]
fn a_host_port_on_another_address_or_protocol_shares_the_node() {
    // One node; 53/UDP and 53/TCP on 0.0.0.0 differ by protocol, and 10.0.0.4:8080 and
    // 10.0.0.5:8080 by address: all four pods fit. A fifth on 0.0.0.0:8080 conflicts with both
    // specific addresses (CheckConflict of 0.0.0.0 looks at every address).
    let pod = |name: &str, port: &str| {
        format!(
            r#"(name: "{name}", kind: Pod, template: (containers: [(image: "app:1", ports: [{port}])]))"#
        )
    };
    let text = format!(
        r#"Scenario(
    name: "ports", duration: "2m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1)],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{}, {}, {}, {}, {}],
)"#,
        pod(
            "dns-udp",
            "(container_port: 53, host_port: 53, protocol: UDP)"
        ),
        pod("dns-tcp", "(container_port: 53, host_port: 53)"),
        pod(
            "a",
            r#"(container_port: 80, host_port: 8080, host_ip: "10.0.0.4")"#
        ),
        pod(
            "b",
            r#"(container_port: 80, host_port: 8080, host_ip: "10.0.0.5")"#
        ),
        pod("all", "(container_port: 80, host_port: 8080)"),
    );
    let (s, out) = run(&text);
    for name in ["dns-udp-0", "dns-tcp-0", "a-0", "b-0"] {
        assert!(common::pod(&s, &out, name).node.is_some(), "{name} bound");
    }
    assert!(common::pod(&s, &out, "all-0").node.is_none());
    assert_eq!(
        pending_message(&out),
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports."
    );
}

#[test]
fn extended_resources_and_ephemeral_storage_limit_what_a_node_takes() {
    // GPUs: only pool gpu advertises nvidia.com/gpu (2 per node, one node); three replicas of
    // one GPU each: two fit there, the third finds every node short, the two cpu nodes with
    // allocatable 0 (fitsRequest: `Insufficient nvidia.com/gpu`).
    let (_, out) = run(r#"Scenario(
    name: "gpu", duration: "2m",
    pools: [
        (name: "cpu", os: Linux, cpu: "8", memory: "32Gi", count: 2),
        (name: "gpu", os: Linux, cpu: "8", memory: "32Gi", count: 1, extended_resources: {"nvidia.com/gpu": 2}),
    ],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "train", replicas: 3, template: (
        containers: [(image: "app:1", cpu: "100m", extended_resources: {"nvidia.com/gpu": 1})]))],
)"#);
    assert_eq!(
        pending_message(&out),
        "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    );
    // Ephemeral storage: 10Gi allocatable, 4Gi per replica: 4 + 4 ≤ 10, a third 12 > 10.
    let (_, out) = run(r#"Scenario(
    name: "eph", duration: "2m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1, ephemeral_storage: "10Gi")],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "cache", replicas: 3, template: (
        containers: [(image: "app:1", cpu: "100m", ephemeral_storage: "4Gi")]))],
)"#);
    assert_eq!(
        pending_message(&out),
        "0/1 nodes are available: 1 Insufficient ephemeral-storage."
    );
}

#[test]
fn most_allocated_packs_a_second_pod_next_to_the_first_and_least_allocated_does_not() {
    // Two empty nodes of 8 cpu / 32Gi; bare pods (no topology spreading) of 2 cpu / 4Gi, the
    // second created after the first is bound. Image of 10MB: ImageLocality scores 0 below its
    // 23MB minimum, so only the resource scores differ.
    // Second pod on the first pod's node A or the empty node B:
    //   LeastAllocated: A cpu (8−4)/8 → 50, memory (32−8)/32 → 75: 62; B 75 and 87: 81.
    //   MostAllocated: A 50 and 25: 37; B 25 and 12: 18.
    //   BalancedAllocation: A |0.5 − 0.25|/2 → 87; B |0.25 − 0.125|/2 → 93.
    // Least: A 149 < B 174, the pods spread. Most: A 124 > B 111, they share node A.
    let text = |strategy: &str| {
        format!(
            r#"Scenario(
    name: "pack", duration: "2m",
    scheduler: (scoring_strategy: (type: {strategy})),
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 2, reserved: (cpu: "0", memory: "0"), eviction_threshold: "0")],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [
        (name: "first", kind: Pod, template: (containers: [(image: "app:1", cpu: "2", memory: "4Gi")])),
        (name: "second", kind: Pod, created_at: "30s", template: (containers: [(image: "app:1", cpu: "2", memory: "4Gi")])),
    ],
)"#
        )
    };
    for (strategy, same) in [("LeastAllocated", false), ("MostAllocated", true)] {
        let (s, out) = run(&text(strategy));
        let a = common::pod(&s, &out, "first-0").node.expect("bound");
        let b = common::pod(&s, &out, "second-0").node.expect("bound");
        assert_eq!(a == b, same, "{strategy}");
    }
}

#[test]
fn bad_ports_resources_and_scoring_strategies_are_reported_where_they_are() {
    use common::assert_error_at;
    let base = |pool: &str, container: &str, sched: &str| {
        format!(
            r#"Scenario(
    name: "t", duration: "1m",
    scheduler: ({sched}),
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1{pool})],
    layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "w", template: (containers: [(image: "app:1"{container})]))],
)"#
        )
    };
    assert_error_at(
        &base("", r#", extended_resources: {"gpu": 1}"#, ""),
        "\"gpu\"",
        "is not an extended resource name",
    );
    assert_error_at(
        &base(r#", extended_resources: {"kubernetes.io/foo": 1}"#, "", ""),
        "\"kubernetes.io/foo\"",
        "is not an extended resource name",
    );
    assert_error_at(
        &base("", ", ports: [(container_port: 80, host_port: 70000)]", ""),
        "70000",
        "expected 0 (no host port) or a port number from 1 to 65535",
    );
    assert_error_at(
        &base(
            "",
            r#", ports: [(container_port: 80, host_port: 80, host_ip: "nope")]"#,
            "",
        ),
        "\"nope\"",
        "expected an IP address",
    );
    assert_error_at(
        &base("", "", "scoring_strategy: (type: RequestedToCapacityRatio)"),
        "(type: RequestedToCapacityRatio)",
        "needs `requested_to_capacity_ratio",
    );
    assert_error_at(
        &base(
            "",
            "",
            r#"scoring_strategy: (type: MostAllocated, resources: [(name: "cpu", weight: 101)])"#,
        ),
        "101",
        "expected a weight from 1 to 100",
    );
    assert_error_at(
        &base(
            "",
            "",
            "scoring_strategy: (type: RequestedToCapacityRatio, requested_to_capacity_ratio: \
             (shape: [(utilization: 50, score: 1), (utilization: 40, score: 11)]))",
        ),
        "40",
        "strictly increasing",
    );
}
