//! Jobs end to end: pods run their run time once started, then Succeed and free their node for
//! the next pod. Every expected number is derived by hand in the comment above its assertion.

mod common;
use common::*;
use hybridsim::model::cluster::PodPhase;
use hybridsim::report::Summary;

#[test]
fn a_job_whose_third_pod_does_not_fit_runs_it_once_a_pod_succeeded_and_freed_its_cpu() {
    let text = linux_scenario(
        r#"pull_bandwidth: "100MB/s", extraction_rate: "50MB/s""#,
        r#"
    layers: [(name: "big", size: "1GB", unpacked: "1GB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["big"])])],
    workloads: [(name: "j", kind: Job,
                 job: (completions: 3, parallelism: 3, run_time: "100s"),
                 template: (containers: [(image: "app:1", cpu: "3", start_delay: "0s")]))],"#,
        "10m",
    );
    let (spec, out) = run(&text);
    // The 8-CPU node keeps a small system reservation, so two 3-CPU pods fit and the third
    // does not. The two share one pull of the 1 GB layer: 10 s download at 100 MB/s, then 20 s
    // extraction at 50 MB/s → started at 30 s; a run time of 100 s → Succeeded at 130 s.
    for name in ["j-0", "j-1"] {
        let p = pod(&spec, &out, name);
        assert_eq!((p.scheduled, p.started), (Some(0), Some(30_000)), "{name}");
        assert_eq!(
            (p.phase, p.ended),
            (PodPhase::Succeeded, Some(130_000)),
            "{name}"
        );
    }
    // j-2 waits Unschedulable until the successes at 130 s free 3 CPU; the image is now on the
    // node and the start delay is 0, so it starts at 130 s and Succeeds at 230 s.
    let third = pod(&spec, &out, "j-2");
    assert_eq!(third.scheduled, Some(130_000));
    assert_eq!(third.started, Some(130_000));
    assert_eq!(
        (third.phase, third.ended),
        (PodPhase::Succeeded, Some(230_000))
    );
    // Completions 3 reached: no fourth pod; all three counted as succeeded, none left running.
    assert_eq!(out.cluster.pods.len(), 3);
    let s = Summary::new(&spec, &out);
    assert_eq!(s.pods.succeeded, 3);
    assert_eq!(s.pods.ready_at_end, 0);
    assert_eq!(
        out.cluster.nodes[0].requested.cpu_m, 0,
        "every pod freed its CPU"
    );
}

#[test]
fn a_job_that_reaches_its_active_deadline_deletes_its_running_pod() {
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "j", kind: Job,
                 job: (run_time: "1h", active_deadline: "5m"),
                 template: (containers: [(image: "app:1")]))],"#,
        "1h",
    );
    let (spec, out) = run(&text);
    // The pod would run an hour; the deadline of 5 min from the Job's creation at 0 deletes it
    // at 300 s, and the Job creates nothing after that.
    let p = pod(&spec, &out, "j-0");
    assert_eq!((p.phase, p.ended), (PodPhase::Deleted, Some(300_000)));
    assert_eq!(out.cluster.pods.len(), 1);
}

#[test]
fn bad_job_fields_are_reported_at_their_position_with_what_was_expected() {
    let job = |workload: &str, extra: &str| {
        linux_scenario(
            "",
            &format!(
                r#"
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{workload}],{extra}"#
            ),
            "1h",
        )
    };
    let cases = [
        (
            job(
                r#"(name: "j", kind: Job, template: (containers: [(image: "app:1")]))"#,
                "",
            ),
            "Job, template",
            "workloads[0].kind: a Job needs `job: (run_time: DURATION)`: how long each pod runs",
        ),
        (
            job(
                r#"(name: "j", kind: Job, job: (completions: 0, run_time: "1m"), template: (containers: [(image: "app:1")]))"#,
                "",
            ),
            "0, run_time",
            "workloads[0].job.completions: expected at least one completion",
        ),
        (
            job(
                r#"(name: "d", job: (run_time: "1m"), template: (containers: [(image: "app:1")]))"#,
                "",
            ),
            "(run_time: \"1m\"), template",
            "workloads[0].job: `job` belongs to Jobs; set `kind: Job` or remove it",
        ),
        (
            job(
                r#"(name: "j", kind: Job, job: (run_time: "1m"), template: (containers: [(image: "app:1")]))"#,
                r#"
    timeline: [(at: "1m", action: Scale(workload: "j", replicas: 3))],"#,
            ),
            "Scale(workload",
            "timeline[0].action: workload \"j\" is a Job: its size is `job.completions` and `job.parallelism`, not a \
             replica count",
        ),
    ];
    for (text, needle, message) in cases {
        let err = match hybridsim::scenario::load_str(&text, "t.ron") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        };
        let (l, c) = pos_of(&text, needle);
        let want = format!("t.ron:{l}:{c}: {message}");
        assert!(
            err.lines().any(|line| line == want),
            "expected\n  {want}\ngot\n  {err}"
        );
    }
}

/// `n` single-pod Jobs arriving 1 s apart, each asking for 1–3 CPU in turn, on three 8-CPU
/// nodes; `label(i)` is written into job i's pod labels.
fn single_pod_jobs(n: usize, label: impl Fn(usize) -> String) -> String {
    let jobs: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"(name: "j{i}", kind: Job, created_at: "{i}s", job: (completions: 1, run_time: "{}s"),
                   template: (labels: {{{}}}, containers: [(image: "app:1", cpu: "{}", start_delay: "0s")]))"#,
                20 + 7 * (i % 5),
                label(i),
                1 + i % 3
            )
        })
        .collect();
    format!(
        r#"Scenario(
    name: "t",
    duration: "10m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 3)],
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [{}],
)"#,
        jobs.join(",\n")
    )
}

#[test]
fn jobs_with_equal_pod_templates_share_one_template_and_run_as_if_each_had_its_own() {
    // 40 Jobs whose templates cycle through three CPU requests: three distinct templates.
    let shared = single_pod_jobs(40, |_| String::new());
    // The same Jobs, each with a label of its own: 40 distinct templates. No affinity term or
    // selector reads the labels, so the scheduler, the kubelet and the Job controller see the
    // same pods, and every pod must be placed, started and ended exactly as with sharing.
    let own = single_pod_jobs(40, |i| format!(r#""job": "{i}""#));
    let (s1, o1) = run(&shared);
    let (s2, o2) = run(&own);
    assert_eq!((s1.templates.len(), s2.templates.len()), (3, 40));
    // Ids in order of first use: j0, j1, j2 take 0, 1, 2 and j3 (1 CPU again) takes j0's.
    let t = |s: &hybridsim::model::Spec, i: usize| s.workloads[i].template.0;
    assert_eq!((t(&s1, 0), t(&s1, 1), t(&s1, 2), t(&s1, 3)), (0, 1, 2, 0));
    let trail = |o: &hybridsim::simulation::RunOutput| -> Vec<_> {
        o.cluster
            .pods
            .iter()
            .map(|p| (p.workload, p.node, p.scheduled, p.started, p.ended, p.phase))
            .collect()
    };
    assert_eq!(trail(&o1), trail(&o2));
    // Something was contended: some pod waited for room (otherwise the comparison is weak).
    assert!(
        o1.cluster
            .pods
            .iter()
            .any(|p| p.scheduled > Some(p.created)),
        "no pod waited"
    );
}

#[test]
fn a_workload_that_never_creates_a_pod_is_in_the_summary_with_zero_pods() {
    // The run's tallies hold per-workload entries only once a pod is added; the summary must
    // still list every workload. Neither has a `created_at` or a timeline `Create`, so the run
    // adds no pod at all.
    let text = linux_scenario(
        "",
        r#"
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "j", kind: Job, created_at: None, job: (run_time: "10s"),
                 template: (containers: [(image: "app:1", cpu: "1")])),
                (name: "later", created_at: None, template: (containers: [(image: "app:1")]))],"#,
        "5m",
    );
    let (spec, out) = run(&text);
    let s = Summary::new(&spec, &out);
    let names: Vec<&str> = s.workloads.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["j", "later"]);
    assert_eq!(
        (s.workloads["j"].created, s.workloads["later"].created),
        (0, 0)
    );
}
