//! ResourceQuota admission end to end: namespaces on workloads, pod creations refused by a
//! quota, the controllers' retries, quota freed by pods that end, the summary's counts, the
//! validation errors with their positions, and the import of `v1` ResourceQuota manifests.
//! Every expected number is derived by hand in the comment above its assertion.

mod common;
use common::*;
use hybridsim::import::{self, Options};
use hybridsim::model::cluster::PodPhase;
use hybridsim::report::Summary;
use hybridsim::scenario::raw;
use std::path::Path;

const APP: &str = r#"
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],"#;

#[test]
fn a_deployment_of_five_one_cpu_pods_under_a_three_cpu_quota_runs_three_and_retries_the_rest() {
    let text = linux_scenario(
        "",
        &format!(
            r#"{APP}
    resource_quotas: [(name: "compute", namespace: "team-a", hard: {{"requests.cpu": "3"}})],
    workloads: [
        (name: "api", namespace: "team-a", replicas: 5,
         template: (containers: [(image: "app:1", cpu: "1", memory: "1Gi")])),
        (name: "other", replicas: 2,
         template: (containers: [(image: "app:1", cpu: "1", memory: "1Gi")])),
    ],"#
        ),
        "10m",
    );
    let (spec, out) = run(&text);
    let s = Summary::new(&spec, &out);
    // slowStartBatch at 0 s: a batch of 1 (used 1 CPU), a batch of 2 (used 3 CPU), then a batch
    // of min(4, 2 left) = 2, both refused (3 + 1 > 3): 3 pods and 2 refusals. Each retry is a
    // batch of 1, refused; the n-th comes 5 ms × 2^(n−1) after the one before, at
    // 5 × (2^n − 1) ms: n = 16 at 327.675 s, n = 17 would be at 655.355 s, past the 600 s run.
    // 2 + 16 = 18 refusals.
    assert_eq!(s.workloads["api"].created, 3);
    assert_eq!(s.workloads["api"].ready, 3);
    assert_eq!(s.workloads["api"].quota_refusals, Some(18));
    // `other` is in namespace default, which has no quota: both of its pods, no refusal.
    assert_eq!(s.workloads["other"].created, 2);
    assert_eq!(s.workloads["other"].quota_refusals, Some(0));
    let q = &s.quota_refusals["team-a/compute"];
    assert_eq!(q.refusals, 18);
    // Upstream's message: the pod asks 1 CPU, 3 are used, 3 is the limit.
    assert_eq!(
        q.last_message,
        "exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=3, limited: \
         requests.cpu=3"
    );
    // The quota never let usage past its limit: 3 × 1000m charged at the end.
    let used = &out.rec.quota.as_ref().unwrap().used;
    let team_a = spec.namespaces.iter().position(|n| n == "team-a").unwrap();
    assert_eq!(used[team_a].cpu_m, 3_000);
    assert_eq!(used[team_a].pods, 3);
}

#[test]
fn a_job_under_a_pod_quota_runs_its_last_pods_once_the_first_have_succeeded() {
    let text = linux_scenario(
        "",
        &format!(
            r#"{APP}
    resource_quotas: [(name: "pods", namespace: "batch", hard: {{"pods": 2}})],
    workloads: [(name: "j", kind: Job, namespace: "batch",
                 job: (completions: 4, parallelism: 4, run_time: "100s"),
                 template: (containers: [(image: "app:1", cpu: "1", start_delay: "0s")]))],"#
        ),
        "10m",
    );
    let (spec, out) = run(&text);
    // Parallelism 4 but `pods: 2`: j-0 and j-1 are created at 0 s, the third creation is
    // refused and ends the round. Succeeded pods are not charged (`QuotaV1Pod`), so when j-0
    // and j-1 succeed the Job's sync creates j-2 and j-3 at that same instant.
    let (p0, p1) = (pod(&spec, &out, "j-0"), pod(&spec, &out, "j-1"));
    assert_eq!((p0.created, p1.created), (0, 0));
    let done = p0.ended.expect("j-0 ended");
    assert_eq!(p0.phase, PodPhase::Succeeded);
    assert_eq!(p1.ended, Some(done));
    for name in ["j-2", "j-3"] {
        let p = pod(&spec, &out, name);
        assert_eq!(p.created, done, "{name}");
        assert_eq!(p.phase, PodPhase::Succeeded, "{name}");
    }
    assert_eq!(out.cluster.pods.len(), 4);
    // Refusals: the one at 0 s, then the retries at 5 × (2^n − 1) ms before `done` (each a
    // round whose first creation is refused). At `done` the two successes are handled one
    // after the other: j-0's frees one pod of quota, so its sync creates j-2 and is refused
    // the fourth (one more refusal); j-1's then admits j-3, and that sync resets the back-off.
    let retries = (1..64).take_while(|n| 5 * ((1u64 << n) - 1) < done).count() as u64;
    let s = Summary::new(&spec, &out);
    assert_eq!(s.workloads["j"].quota_refusals, Some(1 + retries + 1));
    assert_eq!(
        s.quota_refusals["batch/pods"].last_message,
        "exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2"
    );
}

#[test]
fn a_quota_on_memory_refuses_pods_whose_containers_request_none() {
    let text = linux_scenario(
        "",
        &format!(
            r#"{APP}
    resource_quotas: [(name: "mem", hard: {{"memory": "4Gi", "pods": 10}})],
    workloads: [(name: "w", replicas: 1, template: (containers: [(image: "app:1", cpu: "1")]))],"#
        ),
        "1m",
    );
    let (spec, out) = run(&text);
    // The pod evaluator's validationSet: a quota on memory needs every container to request
    // it; `w` requests none, so its only pod is refused and nothing exists.
    assert_eq!(out.cluster.pods.len(), 0);
    let s = Summary::new(&spec, &out);
    assert_eq!(
        s.quota_refusals["default/mem"].last_message,
        "failed quota: mem: must specify memory"
    );
}

#[test]
fn a_scenario_without_quotas_writes_no_quota_keys() {
    let text = linux_scenario(
        "",
        &format!(
            r#"{APP}
    workloads: [(name: "w", replicas: 1, template: (containers: [(image: "app:1")]))],"#
        ),
        "1m",
    );
    let (spec, out) = run(&text);
    assert!(out.rec.quota.is_none());
    let json = serde_json::to_string(&Summary::new(&spec, &out)).unwrap();
    assert!(!json.contains("quota"), "{json}");
}

#[test]
fn bad_namespaces_and_unmodelled_quota_resources_are_errors_at_their_position() {
    let bad_ns = linux_scenario(
        "",
        &format!(
            r#"{APP}
    workloads: [(name: "w", namespace: "Team_A", template: (containers: [(image: "app:1")]))],"#
        ),
        "1m",
    );
    assert_error_at(
        &bad_ns,
        "\"Team_A\"",
        "namespace \"Team_A\" is not a DNS-1123 label",
    );
    let limits = linux_scenario(
        "",
        &format!(
            r#"{APP}
    resource_quotas: [(name: "q", namespace: "a", hard: {{"pods": 3, "limits.cpu": "2"}})],
    workloads: [(name: "w", template: (containers: [(image: "app:1")]))],"#
        ),
        "1m",
    );
    assert_error_at(
        &limits,
        "\"limits.cpu\"",
        "quota resource \"limits.cpu\" is not modelled",
    );
    let bad_cpu = limits.replace(r#""limits.cpu": "2""#, r#""requests.cpu": "two""#);
    assert_error_at(&bad_cpu, "\"requests.cpu\"", "expected CPU such as");
    let twice = limits.replace(
        r#"(name: "q", namespace: "a", hard: {"pods": 3, "limits.cpu": "2"})"#,
        r#"(name: "q", namespace: "a", hard: {"pods": 3}), (name: "q", namespace: "a", hard: {})"#,
    );
    let (line, col) = pos_after(&twice, "\"q\"", "}), (");
    let err = load_errors(&twice);
    assert!(
        err.lines()
            .any(|l| l.starts_with(&format!("t.ron:{line}:{col}: "))
                && l.contains("ResourceQuota \"q\" is declared twice in namespace \"a\"")),
        "{err}"
    );
}

#[test]
fn an_imported_resource_quota_applies_to_the_workloads_of_its_namespace() {
    let paths = [
        Path::new("tests/fixtures/import/quota").to_path_buf(),
        Path::new("tests/fixtures/import/nodes/nodes.yaml").to_path_buf(),
    ];
    let opts = Options::new(&paths, Path::new("imported.ron"), None, "100MB").unwrap();
    let imp = import::import(&opts).unwrap_or_else(|e| panic!("import failed:\n{e}"));
    // `compute` keeps the two entries the model evaluates; limits.cpu and services are stated.
    let q: Vec<&raw::ResourceQuota> = imp.scenario.resource_quotas.iter().collect();
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].name.as_str(), q[0].namespace.as_str()),
        ("compute", "team-a")
    );
    // `3` CPU is 3000 millicores; `8Gi` is 8 × 2^30 = 8,589,934,592 bytes.
    let hard: Vec<(&str, &str)> = q[0]
        .hard
        .iter()
        .map(|(k, v)| (k.as_str(), v.0.as_str()))
        .collect();
    assert_eq!(
        hard,
        [("requests.cpu", "3000m"), ("requests.memory", "8589934592")]
    );
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.subjects[0] == "ResourceQuota/team-a/compute"
                && a.text.contains("limits.cpu is not modelled")
                && a.text.contains("services is not modelled"))
    );
    // The BestEffort-scoped quota is skipped with why.
    assert!(
        imp.skipped
            .iter()
            .any(|s| s.id == "ResourceQuota/team-a/besteffort" && s.why.contains("scopes"))
    );
    // The Deployment keeps its namespace.
    let api = imp
        .scenario
        .workloads
        .iter()
        .find(|w| w.name == "api")
        .unwrap();
    assert_eq!(api.namespace.as_deref(), Some("team-a"));
    // Run: 5 replicas of 1 CPU under requests.cpu 3 → 3 pods, as in the scenario test.
    let (spec, out) = run(&imp.text);
    let s = Summary::new(&spec, &out);
    assert_eq!(s.workloads["api"].created, 3);
    // As in the scenario test: 2 refusals at 0 s, then the n-th retry 5 ms × 2^(n−1) after
    // the one before, capped at 1000 s: n = 18 at 5 × (2^18 − 1) ms = 1,310.715 s; the next
    // delays (1,310.72 s, 2,621.44 s, …) are capped to 1000 s, so n = 19 at 2,310.715 s and
    // n = 20 at 3,310.715 s; n = 21 would be at 4,310.715 s, past the import's 1 h run.
    // 2 + 20 = 22.
    assert_eq!(s.workloads["api"].quota_refusals, Some(22));
}

/// Imports `quota_yaml` with the node fixture; the quota file is written to a temporary
/// directory named after `tag`.
fn import_quota(tag: &str, quota_yaml: &str) -> Result<import::Imported, String> {
    let dir = std::env::temp_dir().join(format!("hybridsim-quota-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rq.yaml");
    std::fs::write(&file, quota_yaml).unwrap();
    let paths = [
        file.clone(),
        Path::new("tests/fixtures/import/nodes/nodes.yaml").to_path_buf(),
    ];
    let opts = Options::new(&paths, Path::new("imported.ron"), None, "100MB").unwrap();
    let r = import::import(&opts).map_err(|e| e.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
    r
}

const QUOTA_HEAD: &str = "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n  \
                          namespace: team-a\nspec:\n  hard:\n";

#[test]
fn imported_quota_amounts_are_read_as_kubernetes_quantities_and_malformed_ones_refused() {
    // Kubernetes quantities the scenario's own units do not spell: `1e3` CPU is 1000 cores =
    // 1,000,000m; `4G` is 4 × 10^9 bytes; `1k` pods is 1000.
    let ok = import_quota(
        "ok",
        &format!("{QUOTA_HEAD}    requests.cpu: 1e3\n    memory: 4G\n    pods: 1k\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let hard: Vec<(&str, &str)> = ok.scenario.resource_quotas[0]
        .hard
        .iter()
        .map(|(k, v)| (k.as_str(), v.0.as_str()))
        .collect();
    assert_eq!(
        hard,
        [
            ("memory", "4000000000"),
            ("pods", "1000"),
            ("requests.cpu", "1000000m")
        ]
    );
    // The generated scenario reads back (the amounts are in the scenario's units).
    let (spec, _) = run(&ok.text);
    assert_eq!(spec.quotas.len(), 1);
    // `abc` is no quantity: the API server refuses the object, so the import is an error
    // naming the object and the entry; a non-modelled entry alone is not an error.
    let Err(err) = import_quota(
        "bad",
        &format!("{QUOTA_HEAD}    requests.cpu: abc\n    limits.memory: 4Gi\n"),
    ) else {
        panic!("a malformed quantity is an error");
    };
    assert!(
        err.contains("ResourceQuota/team-a/q") && err.contains("spec.hard[requests.cpu]"),
        "{err}"
    );
    assert!(!err.contains("limits.memory"), "{err}");
}
