//! Deployment rolling updates (`UpdateImage`, `UpdateTemplate`, `strategy`) as the
//! Deployment controller runs them (k/k `pkg/controller/deployment/rolling.go`), with the
//! exact sequence of pods derived by hand in each test, and the bad inputs with their
//! positions.

mod common;
use common::*;
use hybridsim::model::Spec;
use hybridsim::model::cluster::PodPhase;
use hybridsim::simulation::RunOutput;

/// One 16-cpu Linux node with `app:1` and `app:2` preloaded; `web` has `replicas` pods whose
/// container starts 5 s after it binds (no probe: Ready then), created at 0 s, so the old pods
/// are Ready at 5 s and every new pod is Ready 5 s after it is created (binding is immediate).
fn scenario(replicas: u32, strategy: &str, timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "10m",
    pools: [(name: "p", os: Linux, cpu: "16", memory: "64Gi", count: 1, preloaded_images: ["app:1", "app:2"])],
    layers: [(name: "l1", size: "10MB"), (name: "l2", size: "10MB"), (name: "w", size: "10MB")],
    images: [
        (name: "app:1", platforms: [(os: Linux, layers: ["l1"])]),
        (name: "app:2", platforms: [(os: Linux, layers: ["l2"])]),
        (name: "win:1", platforms: [(os: Windows, os_version: "10.0.20348.1", layers: ["w"])]),
    ],
    workloads: [(name: "web", replicas: {replicas}, {strategy}
        template: (containers: [(name: "web", image: "app:1", cpu: "100m", start_delay: "5s")]))],
    timeline: [{timeline}],
)"#
    )
}

fn image_of(spec: &Spec, out: &RunOutput, name: &str) -> String {
    let p = pod(spec, out, name);
    let c = &spec.template(p.template).containers[0];
    spec.images[c.image.idx()].name.clone()
}

#[test]
fn four_replicas_at_the_default_25_percent_roll_in_two_steps_of_two_pods() {
    let text = scenario(
        4,
        "",
        r#"(at: "100s", action: UpdateImage(workload: "web", image: "app:2"))"#,
    );
    let (spec, out) = run_with_invariants(&text);
    // maxSurge = ceil(25 % × 4) = 1, maxUnavailable = floor(25 % × 4) = 1: at most 5 pods,
    // at least 3 available. Old ReplicaSet 4 (web-0..3, Ready at 5 s), new 0.
    // 100 s: new 0 → 1 (5 − 4); old: maxScaledDown = 5 − 3 − 1 = 1, available 4 > 3 → old 3;
    //   new 1 → 2 (5 − 4); maxScaledDown = 5 − 3 − 2 = 0. So web-4 and web-5 are created
    //   and one old pod goes: all old pods tie on rank and readiness, the newest goes first:
    //   web-3.
    for n in ["web-4", "web-5"] {
        assert_eq!(pod(&spec, &out, n).created, 100_000, "{n}");
        assert_eq!(image_of(&spec, &out, n), "app:2");
    }
    assert_eq!(pod(&spec, &out, "web-3").ended, Some(100_000));
    // 105 s: web-4 Ready (1 new available): maxScaledDown = 5 − 3 − 1 = 1, available 3 + 1
    //   = 4 > 3 → old 2 (web-2 goes); new 2 → 3 (web-6). web-5 Ready (2 available, new
    //   3): maxScaledDown = 5 − 3 − 1 = 1, available 2 + 2 = 4 → old 1 (web-1 goes); new 3 →
    //   4 (web-7).
    assert_eq!(pod(&spec, &out, "web-2").ended, Some(105_000));
    assert_eq!(pod(&spec, &out, "web-1").ended, Some(105_000));
    for n in ["web-6", "web-7"] {
        assert_eq!(pod(&spec, &out, n).created, 105_000, "{n}");
    }
    // 110 s: web-6 Ready (3 available): maxScaledDown = 5 − 3 − 1 = 1, available 1 + 3 = 4
    //   → old 0 (web-0 goes). web-7 Ready: 4 new pods, all available, no old pod: complete.
    assert_eq!(pod(&spec, &out, "web-0").ended, Some(110_000));
    assert_eq!(out.cluster.pods.len(), 8, "four new pods, no more");
    assert_eq!(out.rollouts.len(), 1);
    assert_eq!(out.rollouts[0].started, 100_000);
    assert_eq!(out.rollouts[0].completed, Some(110_000));
    // Live pods over the rollout: 3 old + 2 new = 5 from 100 s, 1 + 4 = 5 from 105 s, 4 at
    // the end; never fewer than 3 Ready.
    let live_at = |t: u64| {
        out.cluster
            .pods
            .iter()
            .filter(|p| p.created <= t && p.ended.is_none_or(|e| e > t))
            .count()
    };
    assert_eq!(
        (live_at(100_000), live_at(105_000), live_at(110_000)),
        (5, 5, 4)
    );
}

#[test]
fn without_surge_the_rollout_takes_a_pod_down_before_it_adds_one() {
    let text = scenario(
        3,
        "strategy: (max_surge: 0, max_unavailable: 1),",
        r#"(at: "100s", action: UpdateImage(workload: "web", image: "app:2"))"#,
    );
    let (spec, out) = run(&text);
    // maxSurge 0, maxUnavailable 1: at most 3 pods, at least 2 available.
    // 100 s: new cannot grow (3 + 0 − 3 = 0); old: maxScaledDown = 3 − 2 − 0 = 1, available
    //   3 > 2 → old 2 (web-2 goes); new → 1 (web-3).
    // 105 s: web-3 Ready: maxScaledDown = 3 − 2 − 0 = 1, available 2 + 1 = 3 → old 1 (web-1
    //   goes); new → 2 (web-4).
    // 110 s: web-4 Ready: old 0 (web-0 goes); new → 3 (web-5). 115 s: web-5 Ready: complete.
    let ended = |n: &str| pod(&spec, &out, n).ended;
    let created = |n: &str| pod(&spec, &out, n).created;
    assert_eq!(
        (ended("web-2"), ended("web-1"), ended("web-0")),
        (Some(100_000), Some(105_000), Some(110_000))
    );
    assert_eq!(
        (created("web-3"), created("web-4"), created("web-5")),
        (100_000, 105_000, 110_000)
    );
    assert_eq!(out.rollouts[0].completed, Some(115_000));
}

#[test]
fn a_rollout_to_an_image_the_nodes_cannot_run_stalls_with_the_old_pods_serving() {
    let text = scenario(
        4,
        "",
        r#"(at: "100s", action: UpdateImage(workload: "web", image: "win:1"))"#,
    );
    let (spec, out) = run(&text);
    // As in the first test, 100 s leaves old 3 and new 2; the new pods never become Ready (a
    // Windows-only image on a Linux node), so nothing more happens: 3 old pods Ready at the
    // end, 2 new ones stuck, the rollout never complete.
    let ready_old = out
        .cluster
        .pods
        .iter()
        .filter(|p| p.phase == PodPhase::Ready)
        .count();
    assert_eq!(ready_old, 3);
    assert_eq!(out.cluster.pods.len(), 6);
    assert_eq!(out.rollouts[0].completed, None);
    assert!(pod(&spec, &out, "web-5").ready.is_none());
}

#[test]
fn an_update_template_rolls_like_an_update_image() {
    let text = scenario(
        4,
        "",
        r#"(at: "100s", action: UpdateTemplate(workload: "web",
            template: (containers: [(name: "web", image: "app:2", cpu: "100m", start_delay: "5s")])))"#,
    );
    let (_, out) = run(&text);
    // Same template change as the first test: complete at 110 s.
    assert_eq!(out.rollouts[0].completed, Some(110_000));
}

/// `hybridsim validate` on `text`: exit code 2 and a line `FILE:LINE:COL: message` at the
/// position of `needle` (after `after`).
fn rejects(name: &str, text: &str, needle: &str, after: &str, message: &str) {
    let dir = std::env::temp_dir().join(format!("hybridsim-rollout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr)
        .unwrap()
        .replace(&path.display().to_string(), name);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    let (l, c) = pos_after(text, needle, after);
    let want = format!("{name}:{l}:{c}: {message}");
    assert!(
        err.lines().any(|line| line == want),
        "{name}: expected\n  {want}\ngot\n  {err}"
    );
}

#[test]
fn max_surge_and_max_unavailable_both_zero_are_rejected_where_written() {
    let text = scenario(4, r#"strategy: (max_surge: 0, max_unavailable: "0%"),"#, "");
    rejects(
        "zero.ron",
        &text,
        r#""0%""#,
        "max_unavailable",
        "workloads[0].strategy.max_unavailable: may not be 0 when `max_surge` is 0: the rollout could never replace a pod",
    );
}

#[test]
fn a_percent_that_is_not_one_is_rejected() {
    let text = scenario(4, r#"strategy: (max_surge: "25 percent"),"#, "");
    rejects(
        "pct.ron",
        &text,
        // The parser rejects the value itself (the shared `IntOrPercent` of rolling updates
        // and PodDisruptionBudgets), pointing inside the string.
        "25 percent",
        "max_surge",
        "\"25 percent\" is not a non-negative integer (2) or a percentage from \"0%\" to \"100%\"",
    );
}

#[test]
fn update_image_names_a_container_the_template_has() {
    let text = scenario(
        4,
        "",
        r#"(at: "100s", action: UpdateImage(workload: "web", image: "app:2", container: "api"))"#,
    );
    rejects(
        "container.ron",
        &text,
        r#""api""#,
        "container:",
        "timeline[0].action.container: workload \"web\" has no container \"api\" (containers: web)",
    );
}

#[test]
fn update_image_to_an_unknown_image_is_rejected_at_the_image() {
    let text = scenario(
        4,
        "",
        r#"(at: "100s", action: UpdateImage(workload: "web", image: "app:9"))"#,
    );
    rejects(
        "image.ron",
        &text,
        r#""app:9""#,
        "UpdateImage",
        "timeline[0].action.image: unknown image \"app:9\"; declare it under `images`",
    );
}

#[test]
fn fail_node_with_a_count_of_zero_or_a_fraction_above_one_is_rejected() {
    let text = scenario(
        1,
        "",
        r#"(at: "100s", action: FailNode(pool: "p", count: 0)), (at: "200s", action: FailNode(pool: "p", fraction: 1.5))"#,
    );
    rejects(
        "count.ron",
        &text,
        "0",
        "count: 0",
        "timeline[0].action.count: expected at least one node",
    );
    rejects(
        "fraction.ron",
        &text,
        "1.5",
        "fraction: 1.5",
        "timeline[1].action.fraction: expected a fraction of the pool's nodes in (0, 1], got 1.5",
    );
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
fn switching_the_app_to_the_ltsc2022_image_replaces_pods_that_never_ran() {
    // A WS2022 pool running an ltsc2019-only image: every pod is stuck in ErrImagePull
    // (containerd's build matching finds no platform), none available. At 600 s the app is
    // switched to an ltsc2022 image (preloaded, start delay 5 s, no probe: Ready 5 s after it
    // binds). 4 replicas at 25 %/25 %: surge 1, unavailable 1, so at least 3 must be
    // available, which the old pods never were.
    let text = r#"Scenario(
    name: "switch", duration: "15m",
    pools: [(name: "ws2022", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi",
             count: 2, preloaded_images: ["app:ltsc2022"])],
    layers: [(name: "a19", size: "100MB"), (name: "a22", size: "100MB")],
    images: [
        (name: "app:ltsc2019", platforms: [(os: Windows, os_version: "10.0.17763.5576", layers: ["a19"])]),
        (name: "app:ltsc2022", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["a22"])]),
    ],
    workloads: [(name: "app", replicas: 4,
        template: (containers: [(image: "app:ltsc2019", cpu: "500m", start_delay: "5s")]))],
    timeline: [(at: "600s", action: UpdateImage(workload: "app", image: "app:ltsc2022"))],
)"#;
    let (spec, out) = run_with_invariants(text);
    let old_live_at = |t: u64| {
        out.cluster
            .pods
            .iter()
            .filter(|p| p.ordinal < 4 && p.ended.is_none_or(|e| e > t))
            .count()
    };
    // 600 s: new 0 → 1; old: maxScaledDown = 5 − 3 − 1 = 1, cleanupUnhealthyReplicas takes
    //   one unavailable old pod (old 3; the availability step does nothing: 0 ≤ 3); new → 2;
    //   then maxScaledDown = 5 − 3 − 2 = 0.
    assert_eq!(old_live_at(600_000), 3);
    // 605 s: app-4 Ready: maxScaledDown = 5 − 3 − 1 = 1 → old 2, new 3 (app-6); app-5 Ready:
    //   maxScaledDown = 5 − 3 − (3 − 2) = 1 → old 1, new 4 (app-7).
    assert_eq!(old_live_at(605_000), 1);
    assert_eq!(pod(&spec, &out, "app-7").created, 605_000);
    // 610 s: app-6 Ready: maxScaledDown = 5 − 3 − 1 = 1 → old 0; app-7 Ready: complete.
    assert_eq!(old_live_at(610_000), 0);
    assert_eq!(out.rollouts[0].completed, Some(610_000));
    assert_eq!(
        out.cluster
            .pods
            .iter()
            .filter(|p| p.phase == PodPhase::Ready)
            .count(),
        4
    );
}
