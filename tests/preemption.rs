//! Priority classes and DefaultPreemption, end to end on small scenarios whose victims and
//! timings are derived by hand (k/k `defaultpreemption/default_preemption.go`
//! `SelectVictimsOnNode`, `framework/preemption/preemption.go`). Every expected number is
//! derived in the comment above its assertion.

mod common;
use common::*;
use hybridsim::model::PreemptionPolicy;
use hybridsim::model::cluster::{PodPhase, Termination};

/// The one image every scenario here runs: 10 MB, Linux.
const APP: &str = r#"layers: [(name: "l", size: "10MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],"#;

/// One node of 4 cores: 3,860m allocatable (4,000 − the 140m CPU reservation of a 4-core
/// node). "old" (3 × 1 CPU) binds at 0 s, "new" (800m) at 10 s: 3,800m used, 60m free.
/// "high" (800m, class `high` = 1000) arrives at 60 s. `extra` goes into new's template,
/// `policy` into the class.
fn full_node(extra: &str, policy: &str) -> String {
    linux_scenario(
        "",
        &format!(
            r#"
    {APP}
    priority_classes: [(name: "high", value: 1000{policy})],
    workloads: [
        (name: "old", replicas: 3, template: (containers: [(image: "app:1", cpu: "1")])),
        (name: "new", created_at: "10s", template: (containers: [(image: "app:1", cpu: "800m")]{extra})),
        (name: "high", created_at: "60s",
         template: (containers: [(image: "app:1", cpu: "800m")], priority_class_name: "high")),
    ],"#
        ),
        "5m",
    )
    .replace(r#"cpu: "8""#, r#"cpu: "4""#)
}

#[test]
fn a_priority_1000_pod_preempts_the_youngest_pod_and_binds_when_its_grace_period_ends() {
    let (spec, out) = run(&full_node("", ""));
    // The class resolves to the template's priority (Priority admission).
    assert_eq!(spec.templates[2].priority, 1000);
    assert_eq!(
        spec.templates[2].preemption_policy,
        PreemptionPolicy::PreemptLowerPriority
    );
    // At 60 s "high" fails: 3,800m + 800m > 3,860m. Removing every lower-priority pod frees
    // the node; reprieving by importance (equal priority 0, earlier start first): old-0..2
    // (bound at 0 s) come back, 3,000m + 800m = 3,800m ≤ 3,860m; new-0 (bound at 10 s) does
    // not, 4,600m > 3,860m. So new-0 is the only victim.
    let victim = pod(&spec, &out, "new-0");
    assert_eq!(victim.phase, PodPhase::Deleted);
    let (why, msg) = victim.termination.expect("new-0 was deleted gracefully");
    assert_eq!(why, Termination::Preempted);
    // The event upstream records on the victim, the preemptor's name standing in for its UID.
    assert_eq!(out.messages.get(msg), "Preempted by pod high-0 on node p-0");
    // Grace period 30 s (the default): new-0 leaves its node at 60 + 30 = 90 s.
    assert_eq!(victim.ended, Some(90_000));
    for name in ["old-0", "old-1", "old-2"] {
        assert_eq!(pod(&spec, &out, name).termination, None, "{name}");
    }
    // Its resources freed at 90 s send "high" back (its 1 s back-off ended at 61 s); it tries
    // its nominated node first and binds there at 90 s.
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(90_000));
    // The Deployment replaced new-0 at once (new-1, priority 0); it never fits: first the
    // victim, then "high" holds the room.
    let repl = pod(&spec, &out, "new-1");
    assert_eq!(repl.created, 60_000);
    assert_eq!(repl.scheduled, None);
}

#[test]
fn the_victims_own_grace_period_sets_when_the_preemptor_binds() {
    let (spec, out) = run(&full_node(r#", termination_grace_period: "10s""#, ""));
    // The victim's grace period is 10 s: it leaves at 70 s, and the preemptor binds then.
    assert_eq!(pod(&spec, &out, "new-0").ended, Some(70_000));
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(70_000));
}

#[test]
fn a_lower_priority_pod_does_not_take_the_room_freed_for_the_nominated_pod() {
    let (spec, out) = run(&full_node(r#", termination_grace_period: "0s""#, ""));
    // Grace 0 s: new-0 leaves at 60 s, in the same instant. "high" failed at 60 s, so its 1 s
    // back-off holds it until 61 s; the replacement new-1 (priority 0, created at 60 s)
    // is tried first. With high-0 nominated to the node its 800m counts there for any pod of
    // lower or equal priority (addGENominatedPods): 3,000m + 800m + 800m > 3,860m, so new-1
    // does not fit, and high-0 binds at 61 s without preempting again.
    assert_eq!(pod(&spec, &out, "new-0").ended, Some(60_000));
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(61_000));
    assert_eq!(pod(&spec, &out, "new-1").scheduled, None);
    let preempted = out
        .cluster
        .pods
        .iter()
        .filter(|p| matches!(p.termination, Some((Termination::Preempted, _))))
        .count();
    assert_eq!(preempted, 1);
}

#[test]
fn a_class_with_preemption_policy_never_waits_instead_of_preempting() {
    let (spec, out) = run(&full_node("", ", preemption_policy: Never"));
    // "not eligible due to preemptionPolicy=Never": nobody is preempted, and the node never
    // frees 800m, so high-0 stays Pending for the whole run.
    assert_eq!(spec.templates[2].preemption_policy, PreemptionPolicy::Never);
    assert!(out.cluster.pods.iter().all(|p| p.termination.is_none()));
    assert_eq!(pod(&spec, &out, "high-0").scheduled, None);
}

#[test]
fn a_global_default_class_gives_its_value_to_pods_naming_no_class() {
    let text = full_node("", "").replace(
        r#"priority_classes: [(name: "high", value: 1000)],"#,
        r#"priority_classes: [(name: "high", value: 1000), (name: "base", value: -5, global_default: true)],"#,
    );
    let s = spec(&text);
    // old and new name no class: the global default's −5; high keeps its class's 1000.
    let prios: Vec<i32> = s.templates.iter().map(|t| t.priority).collect();
    assert_eq!(prios, vec![-5, -5, 1000]);
}

#[test]
fn a_system_node_critical_pod_outranks_every_user_class() {
    let text = full_node("", "").replace(
        r#"priority_class_name: "high""#,
        r#"priority_class_name: "system-node-critical""#,
    );
    let (s, out) = run(&text);
    // SystemCriticalPriority (2 × 10⁹) + 1000, built in without a declaration.
    assert_eq!(s.templates[2].priority, 2_000_001_000);
    // Same victim and timing as with class `high`: only the relative order matters.
    assert_eq!(pod(&s, &out, "high-0").scheduled, Some(90_000));
}

/// Two 4-core nodes (3,860m allocatable each). "guarded" (3 CPU, priority 0) is pinned to p-0,
/// "other" (3 CPU, class `mid` = 10) to p-1; "high" (2 CPU, class `high` = 1000) arrives at
/// 60 s and fits neither (3,000m + 2,000m > 3,860m). `budget` goes on "guarded".
fn two_candidates(budget: &str) -> String {
    format!(
        r#"Scenario(
    name: "pdb", duration: "5m",
    pools: [(name: "p", os: Linux, cpu: "4", memory: "32Gi", count: 2)],
    {APP}
    priority_classes: [(name: "high", value: 1000), (name: "mid", value: 10)],
    workloads: [
        (name: "guarded", {budget} template: (containers: [(image: "app:1", cpu: "3")],
            node_selector: {{"kubernetes.io/hostname": "p-0"}})),
        (name: "other", template: (containers: [(image: "app:1", cpu: "3")],
            node_selector: {{"kubernetes.io/hostname": "p-1"}}, priority_class_name: "mid")),
        (name: "high", created_at: "60s",
         template: (containers: [(image: "app:1", cpu: "2")], priority_class_name: "high")),
    ],
)"#
    )
}

#[test]
fn the_node_choice_avoids_a_victim_whose_budget_allows_no_disruption() {
    // Without a budget: candidates p-0 (victim guarded-0, priority 0) and p-1 (victim
    // other-0, priority 10); pickOneNodeForPreemption's second criterion, the lowest
    // highest-victim priority, picks p-0.
    let (spec, out) = run(&two_candidates(""));
    assert_eq!(
        pod(&spec, &out, "guarded-0").termination.map(|t| t.0),
        Some(Termination::Preempted)
    );
    assert_eq!(pod(&spec, &out, "other-0").termination, None);
    // With minAvailable 1 over guarded's single Ready replica, disruptionsAllowed is
    // 1 − 1 = 0: evicting guarded-0 takes it to −1, a violation (filterPodsWithPDBViolation).
    // The first criterion, fewest PDB violations (p-0: 1, p-1: 0), picks p-1.
    let (spec, out) = run(&two_candidates("disruption_budget: (min_available: 1),"));
    assert_eq!(pod(&spec, &out, "guarded-0").termination, None);
    assert_eq!(
        pod(&spec, &out, "other-0").termination.map(|t| t.0),
        Some(Termination::Preempted)
    );
    // The preemptor binds to p-1 once other-0's 30 s grace period ends: 60 + 30 = 90 s.
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(90_000));
}

/// One 8-core node (plenty of CPU). "low" (priority 0, label app=low) binds at 0 s; "high"
/// (class `high` = 1000) arrives at 60 s. `container` goes into both pods' container, and
/// `low_extra` / `high_extra` into the templates.
fn room_but(container: &str, low_extra: &str, high_extra: &str) -> String {
    linux_scenario(
        "",
        &format!(
            r#"
    {APP}
    priority_classes: [(name: "high", value: 1000)],
    workloads: [
        (name: "low", template: (labels: {{"app": "low"}},
            containers: [(image: "app:1", cpu: "100m"{container})]{low_extra})),
        (name: "high", created_at: "60s", template: (priority_class_name: "high",
            containers: [(image: "app:1", cpu: "100m"{container})]{high_extra})),
    ],"#
        ),
        "5m",
    )
}

#[test]
fn a_host_port_held_by_a_lower_priority_pod_is_freed_by_preemption() {
    let port = ", ports: [(container_port: 8080, host_port: 80)]";
    let (spec, out) = run(&room_but(port, "", ""));
    // At 60 s NodePorts rejects the only node (low-0 holds 0.0.0.0:80/TCP); its status is
    // Unschedulable, so the node is a potential one (nodesWherePreemptionMightHelp). Removing
    // low-0 frees the port; putting it back conflicts again: low-0 is the victim.
    let victim = pod(&spec, &out, "low-0");
    assert_eq!(
        victim.termination.map(|t| t.0),
        Some(Termination::Preempted)
    );
    // Grace period 30 s: low-0 leaves at 90 s and high-0 binds on its nominated node then.
    assert_eq!(victim.ended, Some(90_000));
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(90_000));
    // The replacement low-1 (priority 0) never gets the port: first low-0 holds it, then the
    // nominated high-0 (NodePorts counts nominated pods of at least its priority), then the
    // bound high-0.
    assert_eq!(pod(&spec, &out, "low-1").scheduled, None);
}

#[test]
fn required_anti_affinity_to_a_lower_priority_pod_is_resolved_by_preemption() {
    // Both select app=low by hostname: low is one replica per node, so its replacement
    // cannot land next to the terminating low-0.
    let anti = r#", pod_anti_affinity: (required: [(label_selector: (match_labels: {"app": "low"}), topology_key: "kubernetes.io/hostname")])"#;
    let (spec, out) = run(&room_but("", anti, anti));
    // At 60 s high-0's anti-affinity term selects low-0 on the only node: InterPodAffinity's
    // ErrReasonAntiAffinityRulesNotMatch, status Unschedulable, so preemption may help.
    // Removing low-0 (RemovePod takes it out of the anti-affinity counts) lets high-0 pass;
    // putting it back fails again: low-0 is the victim.
    assert_eq!(
        pod(&spec, &out, "low-0").termination.map(|t| t.0),
        Some(Termination::Preempted)
    );
    // low-0 leaves at 60 + 30 = 90 s; high-0 (priority 1000) is popped before the
    // replacement low-1 and binds then; low-1 is then rejected by high-0's anti-affinity
    // (the existing pod's term selects it) and stays pending.
    assert_eq!(pod(&spec, &out, "high-0").scheduled, Some(90_000));
    assert_eq!(pod(&spec, &out, "low-1").scheduled, None);
}

#[test]
fn required_pod_affinity_is_never_resolved_by_preemption() {
    // high requires a pod labelled app=db on its node; there is none. ErrReasonAffinityRules-
    // NotMatch is UnschedulableAndUnresolvable: no node is a potential one, nobody is
    // preempted, and high-0 stays pending (its own labels do not match, so it is not the first
    // of a group).
    let aff = r#", pod_affinity: (required: [(label_selector: (match_labels: {"app": "db"}), topology_key: "kubernetes.io/hostname")])"#;
    let (spec, out) = run(&room_but("", "", aff));
    assert!(out.cluster.pods.iter().all(|p| p.termination.is_none()));
    assert_eq!(pod(&spec, &out, "high-0").scheduled, None);
}
