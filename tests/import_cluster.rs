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
    // 2; the bare Pod a Pod; the Job's one pod a Job named after the Job (its size is in
    // `job`, replicas stays 1).
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
            (
                "nightly-report-28512345".to_string(),
                raw::WorkloadKind::Job,
                1
            ),
        ]
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

/// The pods.csv rows of a workload as (created, started, ended, outcome) in seconds.
fn lives(rows: &[Row], workload: &str) -> Vec<(f64, f64, f64, String)> {
    let num = |v: &str| v.parse::<f64>().unwrap_or(f64::NAN);
    rows_of(rows, workload)
        .iter()
        .map(|r| {
            (
                num(&r["created_s"]),
                num(&r["started_s"]),
                num(&r["ended_s"]),
                r["outcome"].clone(),
            )
        })
        .collect()
}

#[test]
fn jobs_and_cronjobs_are_imported_with_their_run_times_and_firings() {
    // jobs/batch.yaml: `kubectl get job,cronjob,pods -n ops -o yaml`. Its latest timestamp is
    // Job report's status.completionTime 2024-03-05T10:17:32Z (= pod report-x7k2m's
    // finishedAt, seen later): that is time 0.
    let imp = import_ok(&["cluster/nodes.yaml", "jobs/batch.yaml"]);
    let w = |name: &str| {
        imp.scenario
            .workloads
            .iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("no workload {name}"))
    };
    let job = |name: &str| w(name).job.clone().expect("a Job");
    let secs = hybridsim::scenario::units::Duration::secs;
    // db-backup: completions 6, parallelism 2, backoffLimit 3, activeDeadlineSeconds 1800,
    // annotation hybridsim.io/run-time 4m = 240 s.
    assert_eq!(
        job("db-backup"),
        raw::Job {
            completions: 6,
            parallelism: 2,
            backoff_limit: 3,
            active_deadline: Some(secs(1800)),
            run_time: secs(240),
        }
    );
    // report: no annotation; its Succeeded pods ran (startedAt → finishedAt) 10:00:05 →
    // 10:02:05 = 120 s, 10:00:07 → 10:03:37 = 210 s, 10:15:02 → 10:17:32 = 150 s (the Failed
    // pod does not count): median 150 s.
    assert_eq!(job("report").run_time, secs(150));
    assert_eq!(
        (job("report").completions, job("report").parallelism),
        (3, 2)
    );
    // cleanup "*/15 * * * *" from 10:17:32 fires at 10:30, 10:45, 11:00, 11:15 (748, 1648,
    // 2548, 3448 s). Forbid with a 20 min (1200 s) Job of one completion: 748 is kept, 1648 <
    // 748 + 1200 skipped, 2548 kept, 3448 < 2548 + 1200 skipped. Names: 10:30 on 2024-03-05
    // is Unix 1704067200 (2024-01-01) + 64 days × 86400 + 10.5 h = 1709634600 s =
    // 28493910 min; 11:00 is 28493940.
    assert_eq!(w("cleanup-28493910").created_at, Some(secs(748)));
    assert_eq!(w("cleanup-28493940").created_at, Some(secs(2548)));
    assert_eq!(job("cleanup-28493940").run_time, secs(1200));
    assert_eq!(
        imp.scenario
            .workloads
            .iter()
            .filter(|w| w.name.starts_with("cleanup-"))
            .count(),
        2
    );
    // sync "0,30 * * * *", Replace: 10:30 and 11:00 (748 s, 2548 s); the first Job is deleted
    // at the second firing. Its run time is the one finished pod of its earlier Job
    // sync-28493880 (10:00): 10:00:03 → 10:01:33 = 90 s.
    assert_eq!(w("sync-28493910").created_at, Some(secs(748)));
    assert_eq!(job("sync-28493940").run_time, secs(90));
    assert_eq!(
        imp.scenario.timeline,
        vec![raw::TimelineEntry {
            at: secs(2548),
            action: raw::Action::Delete {
                workload: "sync-28493910".into()
            }
        }]
    );
    // adhoc-migrate: two pods of a Job not among the inputs, one Failed: completions =
    // parallelism = 1; no annotation and no finished pod: the default 5 min, with a warning.
    assert_eq!(
        job("adhoc-migrate"),
        raw::Job {
            completions: 1,
            parallelism: 1,
            backoff_limit: 6,
            active_deadline: None,
            run_time: secs(300),
        }
    );
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.subjects[0] == "Pod/ops/adhoc-migrate-4hj7s"
                && a.text.starts_with("WARNING: how long its pods run"))
    );

    let rows = run(&imp);
    // db-backup: 6 pods, 2 at a time, each running 240 s once started; a new pod is created
    // when one ends, so pods 2 and 3 are created when 0 and 1 end, and 4, 5 when 2, 3 end.
    let b = lives(&rows, "db-backup");
    assert_eq!(b.len(), 6);
    for (created, started, ended, outcome) in &b {
        assert_eq!(outcome, "Succeeded");
        assert!((ended - started - 240.0).abs() < 1e-6, "{b:?}");
        assert!(*created >= 0.0);
    }
    assert_eq!((b[2].0, b[3].0), (b[0].2, b[1].2));
    assert_eq!((b[4].0, b[5].0), (b[2].2, b[3].2));
    // Each CronJob Job makes one pod, created at its firing and running its run time (the
    // first cleanup: 748 s; the second, from 2548 s, is still running at 3600 s).
    let c = lives(&rows, "cleanup-28493910");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].0, 748.0);
    assert!((c[0].2 - c[0].1 - 1200.0).abs() < 1e-6, "{c:?}");
    // The Replace deletion at 2548 s finds sync-28493910's pod long Succeeded (748 s + pull +
    // 90 s): it stays Succeeded.
    let s = lives(&rows, "sync-28493910");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].3, "Succeeded");
}

#[test]
fn malformed_jobs_and_cronjobs_are_errors_naming_the_object_and_field() {
    let e = import_err(&["cluster/nodes.yaml", "cluster-errors/bad-jobs.yaml"]);
    // Document 1: a schedule with a 6th field; 2: a run-time annotation that is no duration;
    // 3: a negative activeDeadlineSeconds; 4: an unknown concurrencyPolicy.
    for expect in [
        "bad-jobs.yaml: document 1 (CronJob/ops/six-fields): spec.schedule: \"0 */2 * * * *\": expected exactly 5 fields",
        "bad-jobs.yaml: document 2 (Job/ops/bad-annotation): metadata.annotations[\"hybridsim.io/run-time\"]:",
        "bad-jobs.yaml: document 3 (Job/ops/bad-deadline): spec.activeDeadlineSeconds: -5 is not positive",
        "bad-jobs.yaml: document 4 (CronJob/ops/bad-policy): spec.concurrencyPolicy: unknown value \"Sometimes\"",
    ] {
        assert!(e.contains(expect), "missing {expect:?} in:\n{e}");
    }
}

fn workload<'a>(imp: &'a Imported, name: &str) -> &'a raw::Workload {
    imp.scenario
        .workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

#[test]
fn pod_disruption_budgets_land_on_the_deployments_their_selectors_match() {
    let imp = import_ok(&["cluster/nodes.yaml", "policy/all.yaml"]);
    let budget = |name: &str| workload(&imp, name).disruption_budget.clone();
    // web-pdb: minAvailable "50%" over app=web → web, as written.
    assert_eq!(
        budget("web"),
        Some(raw::DisruptionBudget {
            min_available: Some(raw::IntOrPercent::Percent(50)),
            max_unavailable: None,
        })
    );
    // backend: tier In [backend] matches api's pod labels (app=api, tier=backend) only.
    assert_eq!(
        budget("api"),
        Some(raw::DisruptionBudget {
            min_available: None,
            max_unavailable: Some(raw::IntOrPercent::Int(1)),
        })
    );
    // worker-pdb: minAvailable 5 over a 3-replica Deployment without HPA: desiredHealthy 5 >
    // 3 pods, so disruptionsAllowed is always 0, which is maxUnavailable 0.
    assert_eq!(
        budget("worker"),
        Some(raw::DisruptionBudget {
            min_available: None,
            max_unavailable: Some(raw::IntOrPercent::Int(0)),
        })
    );
    // gone selects app=retired (no such pods); everything ({} = every pod of shop) selects web
    // and api, both already covered by the budgets listed before it.
    let why = |id: &str| {
        imp.skipped
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.why.clone())
            .unwrap_or_else(|| panic!("{id} not skipped: {:?}", imp.skipped))
    };
    assert!(why("PodDisruptionBudget/shop/gone").contains("matches no imported Deployment"));
    assert!(why("PodDisruptionBudget/shop/everything").contains("already covered"));
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.subjects[0] == "PodDisruptionBudget/shop/everything"
                && a.text.contains("2 workloads (web, api)"))
    );
}

#[test]
fn a_limit_range_defaults_the_requests_of_containers_that_set_neither_request_nor_limit() {
    let imp = import_ok(&["cluster/nodes.yaml", "policy/all.yaml"]);
    let c = |name: &str| {
        let w = workload(&imp, name);
        (
            w.template.containers[0].cpu.0,
            w.template.containers[0].memory.0,
        )
    };
    // LimitRange shop/defaults: default {cpu 500m, memory 512Mi}, defaultRequest {cpu 250m}.
    // SetDefaults_LimitRangeItem makes defaultRequest.memory = default.memory = 512Mi.
    // web sets nothing: 250 millicores, 512 × 2^20 = 536870912 bytes.
    assert_eq!(c("web"), (250, 536_870_912));
    // api has limits.cpu 1: pod defaulting (before admission) copies it into requests.cpu =
    // 1000 millicores; memory has neither, so the LimitRanger gives 512Mi.
    assert_eq!(c("api"), (1000, 536_870_912));
    // worker is in batch, which has no LimitRange: its own 100m and 128 × 2^20 bytes.
    assert_eq!(c("worker"), (100, 134_217_728));
}

#[test]
fn pod_labels_and_anti_affinity_are_carried_and_the_scheduler_honours_them() {
    let imp = import_ok(&["cluster/nodes.yaml", "policy/all.yaml"]);
    let w = workload(&imp, "worker");
    assert_eq!(
        w.template.labels,
        BTreeMap::from([("app".to_string(), "worker".to_string())])
    );
    let anti = w
        .template
        .pod_anti_affinity
        .as_ref()
        .expect("anti-affinity");
    assert_eq!(anti.required.len(), 1);
    assert_eq!(anti.required[0].topology_key, "kubernetes.io/hostname");
    let aff = w.template.pod_affinity.as_ref().expect("affinity");
    assert_eq!((aff.preferred.len(), aff.preferred[0].weight), (1, 50));
    // The term's `namespaces: [shop]` is stated, not modelled.
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.subjects[0] == "Deployment/batch/worker"
                && a.text.contains("namespaces not modelled"))
    );
    let rows = run(&imp);
    let pods = rows_of(&rows, "worker");
    // 3 replicas, one per hostname, linux only: the 2 system nodes take one each; the third
    // finds both Linux nodes holding a worker (anti-affinity) and the Windows nodes excluded.
    let mut ready: Vec<&str> = pods
        .iter()
        .filter(|p| p["outcome"] == "Ready")
        .map(|p| p["node"].as_str())
        .collect();
    ready.sort();
    assert_eq!(
        ready,
        vec![
            "aks-system-12345678-vmss000000",
            "aks-system-12345678-vmss000001"
        ]
    );
    let pending: Vec<_> = pods.iter().filter(|p| p["outcome"] != "Ready").collect();
    assert_eq!(pending.len(), 1);
    assert!(
        pending[0]["message"].contains("2 node(s) didn't match pod anti-affinity rules"),
        "{:?}",
        pending[0]
    );
}

#[test]
fn malformed_budgets_and_limit_ranges_are_errors_naming_the_object_and_field() {
    let e = import_err(&["cluster/nodes.yaml", "policy-errors/bad.yaml"]);
    // The API server's PDB validation: not both fields; a percentage at most 100 %.
    for want in [
        "document 1 (PodDisruptionBudget/shop/both): spec: minAvailable and maxUnavailable \
         cannot be both set",
        "document 2 (PodDisruptionBudget/shop/too-much): spec.maxUnavailable: \"150%\" is \
         neither an integer nor a percentage from 0% to 100%",
        "document 3 (LimitRange/shop/typo): spec.limits[0].defaultRequest.memory:",
    ] {
        assert!(e.contains(want), "missing {want:?} in:\n{e}");
    }
}

#[test]
fn priority_classes_are_carried_with_their_preemption_policy_and_templates_name_them() {
    let imp = import_ok(&["cluster/nodes.yaml", "policy/priority.yaml"]);
    // The two user classes, in input order; system-node-critical is built in and not declared
    // (the scenario reserves the system- prefix).
    let classes: Vec<(&str, i32, bool, hybridsim::model::PreemptionPolicy)> = imp
        .scenario
        .priority_classes
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.value,
                c.global_default,
                c.preemption_policy,
            )
        })
        .collect();
    use hybridsim::model::PreemptionPolicy::{Never, PreemptLowerPriority};
    assert_eq!(
        classes,
        vec![
            ("batch-low", 1000, true, Never),
            ("frontend-high", 100_000, false, PreemptLowerPriority)
        ]
    );
    // storefront names frontend-high; reports names none, so the globalDefault batch-low
    // applies, as the Priority admission plugin records it on the pod; node-agent names the
    // built-in system-node-critical (2 × 10^9 + 1000).
    let t = |name: &str| {
        let w = workload(&imp, name);
        (w.template.priority_class_name.clone(), w.template.priority)
    };
    assert_eq!(t("storefront"), (Some("frontend-high".into()), 100_000));
    assert_eq!(t("reports"), (Some("batch-low".into()), 1000));
    assert_eq!(
        t("node-agent"),
        (Some("system-node-critical".into()), 2_000_001_000)
    );
    // Validation resolves the classes into each template's preemption policy: reports' pods
    // never preempt (batch-low is Never), the others may.
    let (_, spec) = scenario::load_str(&imp.text, "imported.ron").unwrap();
    let policy = |name: &str| {
        let w = spec.workloads.iter().find(|w| w.name == name).unwrap();
        spec.templates[w.template.idx()].preemption_policy
    };
    assert_eq!(policy("reports"), Never);
    assert_eq!(policy("storefront"), PreemptLowerPriority);
    assert_eq!(policy("node-agent"), PreemptLowerPriority);
}

#[test]
fn the_autoscalers_own_flags_and_status_config_map_give_settings_and_pool_bounds() {
    let imp = import_ok(&["cluster/nodes.yaml", "autoscaler/ca.yaml"]);
    let a = &imp.scenario.autoscaler;
    // --expander=priority,least-waste: the first one; 5m = 300000 ms; 0.6; `--flag value` form:
    // 2m = 120000 ms. Unset flags keep the defaults (scan interval 10 s).
    assert_eq!(a.expander, Some(raw::Expander::Priority));
    assert_eq!(a.scale_down_unneeded_time.0, 300_000);
    assert_eq!(a.scale_down_utilization_threshold, 0.6);
    assert_eq!(a.scale_down_delay_after_add.0, 120_000);
    assert_eq!(
        a.scan_interval,
        raw::AutoscalerSettings::default().scan_interval
    );
    let bounds = |pool: &str| {
        imp.scenario
            .pools
            .iter()
            .find(|p| p.name == pool)
            .unwrap_or_else(|| panic!("no pool {pool}"))
            .autoscale
            .as_ref()
            .map(|g| (g.min, g.max))
    };
    // --nodes=2:4:aks-system-12345678-vmss: the VMSS name prefixes both system node names.
    assert_eq!(bounds("system"), Some((2, 4)));
    // Status group akswin22 (1..10) prefixes akswin22000000-2: the schedulable pool win22 (2
    // nodes) and the cordoned one (1 node). The bounds go to win22 less the cordoned node:
    // min 1 − 1 = 0, max 10 − 1 = 9; the cordoned pool stays fixed.
    assert_eq!(bounds("win22"), Some((0, 9)));
    assert_eq!(bounds("win22-cordoned"), None);
    // aks-gpu-99999999-vmss has no nodes here: stated and ignored; coredns-custom is skipped
    // as any other ConfigMap.
    assert!(
        imp.assumptions
            .iter()
            .any(|a| a.subjects[0] == "node group aks-gpu-99999999-vmss")
    );
    assert!(
        imp.skipped
            .iter()
            .any(|s| s.id == "ConfigMap/kube-system/coredns-custom")
    );
    // --cloud-provider and --balance-similar-node-groups are stated as not modelled.
    assert!(imp.assumptions.iter().any(|a| a.text.contains(
        "autoscaler flags not modelled: --cloud-provider, --balance-similar-node-groups"
    )));
}

#[test]
fn without_autoscaler_objects_pools_keep_a_fixed_size_and_say_so() {
    let imp = import_ok(&["cluster/nodes.yaml", "cluster/cordon.yaml"]);
    assert!(imp.scenario.pools.iter().all(|p| p.autoscale.is_none()));
    assert!(
        imp.assumptions.iter().any(|a| a.subjects[0] == "pools"
            && a.text.contains("no node-group bounds among the inputs"))
    );
}
