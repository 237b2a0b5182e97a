//! `hybridsim import` of a whole cluster as it is (issue 12): start-path rules as upstream's
//! code runs them, node names, cordons, ownership, HPAs. Fixtures are in the real Kubernetes
//! schema (`kubectl get … -o yaml`); every expected value is derived in the comment above its
//! assertion from the fixture and the upstream rule, not read off the simulator.

use hybridsim::import::{self, Imported, Options};
use hybridsim::scenario::{self, raw};
use hybridsim::simulation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FIX: &str = "tests/fixtures/import";

fn options(paths: &[&str]) -> Options {
    let paths: Vec<PathBuf> = paths.iter().map(|p| Path::new(FIX).join(p)).collect();
    Options::new(&paths, Path::new("imported.ron"), None, "100MB").unwrap()
}

fn import_ok(paths: &[&str]) -> Imported {
    import::import(&options(paths)).unwrap_or_else(|e| panic!("import failed:\n{e}"))
}

fn import_err(paths: &[&str]) -> String {
    match import::import(&options(paths)) {
        Ok(_) => panic!("import of {paths:?} succeeded"),
        Err(e) => e.to_string(),
    }
}

/// One row of pods.csv, by column name.
type Row = BTreeMap<String, String>;

fn run(imp: &Imported) -> Vec<Row> {
    let (_, spec) = scenario::load_str(&imp.text, "imported.ron")
        .unwrap_or_else(|e| panic!("the imported scenario does not load:\n{e}"));
    let out = simulation::run(&spec, spec.seed);
    let csv = hybridsim::report::pods_csv(&spec, &out).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn rows_of<'a>(rows: &'a [Row], workload: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r["workload"] == workload).collect()
}

#[test]
fn a_privileged_host_network_windows_deployment_runs_with_one_pod_per_replica() {
    let imp = import_ok(&["cluster/nodes.yaml", "cluster/start-path.yaml"]);
    let rows = run(&imp);
    let pods = rows_of(&rows, "legacy-agent");
    // replicas: 2. Upstream's kubelet admits both fields on Windows (it never reads
    // `privileged` there; `hostNetwork` without HostProcess keeps a container network), so
    // no pod fails and none is replaced: exactly two pods, both Ready, on the Windows pool
    // (the only nodes the os=windows selector allows), with no failure reason.
    assert_eq!(pods.len(), 2, "{pods:?}");
    for p in &pods {
        assert_eq!(p["outcome"], "Ready", "{p:?}");
        assert_eq!(p["reason"], "", "{p:?}");
        assert!(p["pool"].starts_with("win22"), "{p:?}");
    }
}

#[test]
fn privileged_on_a_pod_with_spec_os_windows_is_refused_as_the_api_server_refuses_it() {
    let e = import_err(&[
        "cluster/nodes.yaml",
        "cluster-errors/os-windows-privileged.yaml",
    ]);
    // validateWindows forbids `privileged` whenever it is set (`!= nil`), even to false.
    assert!(
        e.contains(
            "(Pod/ops/probe): spec.containers[0].securityContext.privileged: cannot be set for \
             a windows pod"
        ),
        "{e}"
    );
}

#[test]
fn pods_csv_names_the_real_nodes_and_a_cordoned_node_says_were_unschedulable() {
    let imp = import_ok(&["cluster/nodes.yaml", "cluster/cordon.yaml"]);
    // nodes.yaml: two system nodes, akswin22000000/1 schedulable, akswin22000002 cordoned
    // (spec.unschedulable) → a pool of its own with unschedulable: true and its name.
    let cordoned = imp
        .scenario
        .pools
        .iter()
        .find(|p| p.unschedulable)
        .expect("a cordoned pool");
    assert_eq!(cordoned.node_names, vec!["akswin22000002".to_string()]);
    let rows = run(&imp);
    let pods = rows_of(&rows, "win-web");
    assert_eq!(pods.len(), 3);
    // 3 CPU each on 3860m-allocatable nodes: one per schedulable Windows node, under the
    // nodes' own names.
    let mut nodes: Vec<&str> = pods
        .iter()
        .filter(|p| p["outcome"] == "Ready")
        .map(|p| p["node"].as_str())
        .collect();
    nodes.sort();
    assert_eq!(nodes, vec!["akswin22000000", "akswin22000001"]);
    // The third: the two Linux nodes fail the os=windows selector, the cordoned node fails
    // NodeUnschedulable (which runs first, so its taint is never reached), the two others
    // have 860m left. Histogram entries sorted as strings ("1 n…" < "2 I…" < "2 n…").
    let pending: Vec<_> = pods.iter().filter(|p| p["outcome"] != "Ready").collect();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["reason"], "Unschedulable");
    assert_eq!(
        pending[0]["message"],
        "0/5 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu, 2 node(s) \
         didn't match Pod's node affinity/selector."
    );
}

#[test]
fn pods_whose_owners_are_missing_are_grouped_back_and_a_bare_pod_stays_one_pod() {
    // all.yaml is one `kubectl get nodes,pods -A -o yaml` List: the nodes, two pods of the
    // DaemonSet azure-ip-masq-agent, two of ReplicaSet api-7d9c5b8f6d (pod-template-hash
    // 7d9c5b8f6d), the bare Pod ops/debug and one pod of Job nightly-report-28512345; none of
    // the owners is in the file.
    let imp = import_ok(&["cluster/all.yaml"]);
    let kinds: Vec<(String, raw::WorkloadKind, u32)> = imp
        .scenario
        .workloads
        .iter()
        .map(|w| (w.name.clone(), w.kind, w.replicas))
        .collect();
    // The DaemonSet's two pods become one DaemonSet; the ReplicaSet's two pods one Deployment
    // named after the Deployment (the RS name less "-" + its pod-template-hash) with replicas
    // 2; the bare Pod a Pod.
    assert_eq!(
        kinds,
        vec![
            (
                "azure-ip-masq-agent".to_string(),
                raw::WorkloadKind::DaemonSet,
                1
            ),
            ("api".to_string(), raw::WorkloadKind::Deployment, 2),
            ("debug".to_string(), raw::WorkloadKind::Pod, 1),
        ]
    );
    // The Job's pod is listed as skipped with the reason, as is the second pod of each group.
    assert!(
        imp.skipped
            .iter()
            .any(|s| s.id == "Pod/ops/nightly-report-28512345-7xk2p"
                && s.why.contains("Job/ops/nightly-report-28512345")),
        "{:?}",
        imp.skipped
    );
    assert!(
        imp.skipped
            .iter()
            .any(|s| s.id == "Pod/kube-system/azure-ip-masq-agent-bx2lq")
    );
    let rows = run(&imp);
    // The DaemonSet selects kubernetes.io/os=linux: one pod on each of the two system nodes.
    let ds = rows_of(&rows, "azure-ip-masq-agent");
    let mut on: Vec<&str> = ds.iter().map(|p| p["node"].as_str()).collect();
    on.sort();
    assert_eq!(
        on,
        vec![
            "aks-system-12345678-vmss000000",
            "aks-system-12345678-vmss000001"
        ]
    );
    // The bare Pod keeps its name and is one pod for the whole hour.
    let debug = rows_of(&rows, "debug");
    assert_eq!(debug.len(), 1);
    assert_eq!(debug[0]["pod"], "debug");
}

#[test]
fn an_owner_reference_cycle_is_an_error_naming_the_cycle() {
    let e = import_err(&["cluster/nodes.yaml", "cluster-errors/owner-cycle.yaml"]);
    // ReplicaSet a is owned by ReplicaSet b, which is owned by a.
    assert!(
        e.contains("metadata.ownerReferences form a cycle: ReplicaSet/shop/a → ReplicaSet/shop/b → ReplicaSet/shop/a"),
        "{e}"
    );
}

#[test]
fn an_imported_hpa_scales_its_deployment_as_the_controller_without_behavior_does() {
    let imp = import_ok(&["cluster/nodes.yaml", "cluster/hpa.yaml"]);
    let w = imp
        .scenario
        .workloads
        .iter()
        .find(|w| w.name == "api")
        .unwrap();
    let h = w.hpa.as_ref().expect("the HPA is imported onto its target");
    // Utilization 60 → load in percent of one pod's request: capacity 100, target 0.6; the
    // load is the last seen 240 % × 2 replicas = 480.
    assert_eq!((h.min_replicas, h.max_replicas), (1, 10));
    assert_eq!((h.capacity_per_pod, h.target_utilization), (100.0, 0.6));
    assert_eq!(
        h.load,
        raw::Load::Points(vec![(hybridsim::scenario::units::Duration(0), 480.0)])
    );
    assert_eq!(h.behavior, None);
    let (_, spec) = scenario::load_str(&imp.text, "imported.ron").unwrap();
    let out = simulation::run(&spec, spec.seed);
    // Per-pod target 60; 2 pods: ratio (480 / 2) / 60 = 4 → wants 8. No behavior block:
    // at most max(2 × current, 4) per sync: 2 → 4 at 15 s, 4 → 8 at 30 s (with 4 pods the
    // ratio is 2 → 8, whether the new 2 are Ready or count as 0: (480 / 4) / 60 = 2), then
    // 8 pods at ratio 1.0 hold. So 8 pods, created at 0, 15 and 30 s.
    let mut created: Vec<u64> = out.cluster.pods.iter().map(|p| p.created).collect();
    created.dedup();
    assert_eq!(created, vec![0, 15_000, 30_000]);
    assert_eq!(out.cluster.pods.len(), 8);
}
