//! A scenario's `trace:` replayed in a run: pods created at their arrival, run for their
//! duration, then Succeeded; the same run as the trace encoded as one Job per row; bad rows
//! reported with file, line and column when the scenario loads.

use hybridsim::model::cluster::PodPhase;
use hybridsim::scenario;
use hybridsim::simulation;
use std::fmt::Write as _;
use std::path::Path;

const HEAD: &str = r#"
    seed: 1,
    duration: "2h",
    sample_interval: "1m",
    pools: [(name: "nodes", os: Linux, cpu: "2", memory: "8Gi", count: 3, preloaded_images: ["pause:3.9"])],
    layers: [(name: "pause", size: "300KB")],
    images: [(name: "pause:3.9", platforms: [(os: Linux, layers: ["pause"])])],
"#;

/// (arrival ms, duration ms) of `n` pods in arrival order, from a fixed LCG: arrivals over
/// 600 s, durations in [100 s, 400 s]. 60 pods of 0.5 CPU on 3 × 2 CPU nodes (12 at a time)
/// ask for about 25 at a time on average, so pods wait for a node and the scheduler's
/// unschedulable path is exercised.
fn pods(n: usize) -> Vec<(u64, u64)> {
    let mut x: u64 = 42;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    let mut v: Vec<(u64, u64)> = (0..n)
        .map(|_| (next(600_000), 100_000 + next(300_001)))
        .collect();
    v.sort_by_key(|p| p.0);
    v
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!(
            "hybridsim-trace-replay-{}-{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn trace_csv(pods: &[(u64, u64)]) -> String {
    let mut s = String::from("arrival,cpu,memory,duration\n");
    for (a, d) in pods {
        writeln!(s, "{}ms,500m,1Gi,{}ms", a, d).unwrap();
    }
    s
}

/// Per pod in creation order: (created, scheduled, node, started, ended, phase).
type PodFacts = Vec<(
    u64,
    Option<u64>,
    Option<u32>,
    Option<u64>,
    Option<u64>,
    PodPhase,
)>;

fn facts(path: &Path) -> (PodFacts, u64) {
    let (_, spec) = scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
    // The run-time invariants (no over-commit, binds to Ready nodes only, one phase per pod,
    // time never backwards) hold at every event of a trace replay, as for bundled scenarios.
    let (out, violations) = simulation::run_checking_invariants(&spec, 1);
    assert!(violations.is_empty(), "{violations:#?}");
    assert_eq!(out.trace_error, None);
    let f = out
        .cluster
        .pods
        .iter()
        .map(|p| {
            (
                p.created,
                p.scheduled,
                p.node.map(|n| n.idx() as u32),
                p.started,
                p.ended,
                p.phase,
            )
        })
        .collect();
    (f, out.events)
}

#[test]
fn a_trace_runs_exactly_as_one_job_per_row() {
    let dir = TempDir::new("0");
    let pods = pods(60);
    write(dir.path(), "t.csv", &trace_csv(&pods));
    let container =
        r#"(name: "main", image: "pause:3.9", cpu: "500m", memory: "1Gi", start_delay: "0s")"#;
    let traced = write(
        dir.path(),
        "trace.ron",
        &format!(
            "Scenario(name: \"t\", {HEAD} workloads: [], trace: \"t.csv\", \
             trace_template: (containers: [{container}]))"
        ),
    );
    let mut jobs = String::new();
    for (i, (a, d)) in pods.iter().enumerate() {
        write!(
            jobs,
            "(name: \"p{i}\", kind: Job, created_at: \"{a}ms\", job: (run_time: \"{d}ms\"), \
             template: (containers: [{container}])),"
        )
        .unwrap();
    }
    let as_jobs = write(
        dir.path(),
        "jobs.ron",
        &format!("Scenario(name: \"j\", {HEAD} workloads: [{jobs}])"),
    );
    let (t, t_events) = facts(&traced);
    let (j, j_events) = facts(&as_jobs);
    // The reference is the Job encoding, which the Job controller's own tests check by hand:
    // every pod's times, node and outcome, and the number of events, must be the same.
    assert_eq!(t.len(), 60);
    assert_eq!(t, j);
    assert_eq!(t_events, j_events);
    // Some pods waited for a node (the case is crowded on purpose), and all ran to the end.
    assert!(t.iter().any(|p| p.1 > Some(p.0)));
    assert!(t.iter().all(|p| p.5 == PodPhase::Succeeded));
}

#[test]
fn a_trace_pod_on_a_free_node_ends_its_duration_after_its_arrival() {
    let dir = TempDir::new("1");
    // Three 1-CPU pods, each fitting a 2-CPU node (allocatable a little under 2): the image is preloaded and the start delay 0,
    // so each starts at its arrival and Succeeds `duration` later: 1.5 + 60 = 61.5 s,
    // 1.5 + 0.25 = 1.75 s, 90 + 30 = 120 s.
    write(
        dir.path(),
        "t.csv",
        "arrival,cpu,memory,duration\n1.5,1,1Gi,60\n1.5,1,1Gi,250ms\n90,1,1Gi,30s\n",
    );
    let s = write(
        dir.path(),
        "s.ron",
        &format!(
            "Scenario(name: \"t\", {HEAD} workloads: [], trace: \"t.csv\", \
             trace_template: (containers: [(name: \"main\", image: \"pause:3.9\", start_delay: \"0s\")]))"
        ),
    );
    let (f, _) = facts(&s);
    let ends: Vec<(u64, Option<u64>)> = f.iter().map(|p| (p.0, p.4)).collect();
    assert_eq!(
        ends,
        vec![
            (1_500, Some(61_500)),
            (1_500, Some(1_750)),
            (90_000, Some(120_000))
        ]
    );
}

#[test]
fn a_bad_trace_row_is_reported_with_its_file_line_and_column_when_the_scenario_loads() {
    let dir = TempDir::new("2");
    write(
        dir.path(),
        "t.csv",
        "arrival,cpu,memory,duration\n0,1,1Gi,60\n5,1,1Gi,-30\n",
    );
    let s = write(
        dir.path(),
        "s.ron",
        &format!(
            "Scenario(name: \"t\", {HEAD} workloads: [], trace: \"t.csv\", \
             trace_template: (containers: [(name: \"main\", image: \"pause:3.9\")]))"
        ),
    );
    let e = scenario::load(&s).unwrap_err().to_string();
    let csv = dir.path().join("t.csv").display().to_string();
    assert!(
        e.contains(&format!(
            "trace: {csv}:3: column `duration`: `-30` is negative; expected a duration ≥ 0"
        )),
        "{e}"
    );
}

#[test]
fn a_trace_without_a_template_is_an_error_at_the_trace_field() {
    let dir = TempDir::new("3");
    write(
        dir.path(),
        "t.csv",
        "arrival,cpu,memory,duration\n0,1,1Gi,60\n",
    );
    let s = write(
        dir.path(),
        "s.ron",
        &format!("Scenario(name: \"t\", {HEAD} workloads: [], trace: \"t.csv\")"),
    );
    let e = scenario::load(&s).unwrap_err().to_string();
    assert!(e.contains("trace: a trace needs `trace_template:"), "{e}");
}

/// A trace long enough to fill pages of the pod arena (4,096 pods each): 20,000 pods, pod i
/// arriving at i × 100 ms (10 a second, the last at 1999.9 s) and running 60–120 s. About
/// 900 run at once, on 40 nodes of 16 CPU (31 pods of 0.5 CPU each), so none waits.
fn paged_trace(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("arrival,cpu,memory,duration\n");
    for i in 0..20_000u64 {
        writeln!(
            csv,
            "{}ms,500m,1Gi,{}ms",
            i * 100,
            60_000 + (i * 7_919) % 60_001
        )
        .unwrap();
    }
    write(dir, "t.csv", &csv);
    write(
        dir,
        "s.ron",
        "Scenario(name: \"retire\", seed: 1, duration: \"40m\", sample_interval: \"1m\",
            pools: [(name: \"nodes\", os: Linux, cpu: \"16\", memory: \"64Gi\", count: 40,
                     preloaded_images: [\"pause:3.9\"])],
            layers: [(name: \"pause\", size: \"300KB\")],
            images: [(name: \"pause:3.9\", platforms: [(os: Linux, layers: [\"pause\"])])],
            workloads: [], trace: \"t.csv\",
            trace_template: (containers: [(name: \"main\", image: \"pause:3.9\", start_delay: \"0s\")]))",
    )
}

#[test]
fn finished_trace_pods_are_given_back_and_the_summary_is_the_same() {
    let dir = TempDir::new("retire");
    let s = paged_trace(dir.path());
    let (_, spec) = scenario::load(&s).unwrap_or_else(|e| panic!("{e}"));
    let full = simulation::run(&spec, 1);
    let (given_back, violations) = simulation::Simulation::new(&spec, 1)
        .retire_finished()
        .check_invariants()
        .run_checked();
    assert!(violations.is_empty(), "{violations:#?}");
    // Pages hold 4,096 pods. Sweeps run at the first event and once 16,384 pods exist (4
    // pages), that is right after pod 16,383 arrived at 1638.3 s; the next would be due at
    // 16,384 + 16,384 pods, never reached. At 1638.3 s page 2 (pods 8,192–12,287, the last
    // arrived at 1228.7 s and ended by 1228.7 + 120 s) is finished, page 3 is not (its last
    // pod just arrived): pages 0–2, 12,288 pods, are given back, 7,712 are held at the end.
    assert_eq!(full.cluster.pods.held(), 20_000);
    assert_eq!(given_back.cluster.pods.len(), 20_000);
    assert_eq!(given_back.cluster.pods.held(), 7_712);
    assert_eq!(given_back.retired.created(), 12_288);
    // The summary does not depend on which pods were tallied early: same bytes.
    let json =
        |o| hybridsim::report::summary_json(&hybridsim::report::Summary::new(&spec, o)).unwrap();
    assert_eq!(
        String::from_utf8(json(&given_back)).unwrap(),
        String::from_utf8(json(&full)).unwrap()
    );
    let summary = hybridsim::report::Summary::new(&spec, &full);
    // Every pod ran to its end inside the 40 min: 20,000 Succeeded.
    assert_eq!(summary.pods.succeeded, 20_000);
}

/// Runs `hybridsim ARGS` and checks it succeeded.
fn hybridsim(args: &[&str]) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "hybridsim {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The run's four data files, in the order `run` lists them.
const RUN_FILES: [&str; 4] = ["summary.json", "pods.csv", "timeseries.csv", "scaling.csv"];

#[test]
fn run_out_writes_the_same_pods_csv_whether_finished_pods_were_given_back_or_not() {
    // `run --out` gives finished trace pods back and streams their rows through a temporary
    // file. The same scenario and seed run in memory with every pod kept, its files written
    // with nothing spilled: pods.csv, summary.json, timeseries.csv and scaling.csv must be the
    // same bytes, and pods.csv has a row for each of the 20,000 pods in creation order.
    let dir = TempDir::new("spill");
    let s = paged_trace(dir.path());
    let out = dir.path().join("streamed");
    hybridsim(&[
        "run",
        s.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (_, spec) = scenario::load(&s).unwrap_or_else(|e| panic!("{e}"));
    let full = simulation::run(&spec, 1);
    assert_eq!(full.cluster.pods.held(), 20_000);
    let summary = hybridsim::report::Summary::new(&spec, &full);
    let mut whole = hybridsim::report::run_files_but_pods(&spec, &full, &summary, None).unwrap();
    let mut pods = Vec::new();
    hybridsim::report::write_pods_csv(&mut pods, &spec, &full, None).unwrap();
    whole.insert(1, (hybridsim::report::PodRow::FILE, pods));
    assert_eq!(whole.iter().map(|f| f.0).collect::<Vec<_>>(), RUN_FILES);
    for (f, b) in &whole {
        let a = std::fs::read(out.join(f)).unwrap();
        assert!(&a == b, "{f} differs");
    }
    let rows =
        hybridsim::report::PodRow::read(&std::fs::read(out.join("pods.csv")).unwrap()).unwrap();
    assert_eq!(rows.len(), 20_000);
    // Trace pods are named `WORKLOAD-N` by arrival; the spilled pages come first in the file.
    assert!(
        rows.iter()
            .enumerate()
            .all(|(i, r)| r.pod.ends_with(&format!("-{i}")))
    );
    assert!(rows.iter().all(|r| r.outcome == "Succeeded"));
}

#[test]
fn run_plots_keeps_giving_finished_pods_back_and_draws_the_startup_cdf_of_every_pod() {
    let dir = TempDir::new("plots");
    let s = paged_trace(dir.path());
    let (_, spec) = scenario::load(&s).unwrap_or_else(|e| panic!("{e}"));
    // In memory: the run that gives pods back holds 7,712 of its 20,000 pods at the end (the
    // sweep arithmetic of `finished_trace_pods_are_given_back_and_the_summary_is_the_same`),
    // yet its plots are the bytes of the run that kept every pod: the startup CDF is drawn
    // from the tally, which counted the 12,288 retired pods when they were given back.
    let full = simulation::run(&spec, 1);
    let given_back = simulation::Simulation::new(&spec, 1)
        .retire_finished()
        .run();
    assert_eq!(given_back.cluster.pods.held(), 7_712);
    let plots = |o: &simulation::RunOutput| {
        let mut tally = hybridsim::report::Summary::tally(&spec, o);
        let summary = hybridsim::report::Summary::of_tally(&spec, o, &mut tally);
        let mut files =
            hybridsim::report::run_files_but_pods(&spec, o, &summary, Some(tally)).unwrap();
        files.drain(..3);
        files
    };
    let drawn = plots(&given_back);
    assert!(drawn == plots(&full), "plots differ with pods given back");
    // Every pod became Ready (about 900 run at once on room for 40 × 31 = 1,240), all on the
    // one Linux pool: both panels count 20,000 of 20,000, and there is no Windows panel.
    let svg = String::from_utf8(drawn[0].1.clone()).unwrap();
    assert_eq!(drawn[0].0, "startup_cdf.svg");
    assert!(svg.contains("all pods: 20000 of 20000 Ready"), "{svg}");
    assert!(svg.contains("pods on Linux nodes: 20000 of 20000 Ready"));
    assert!(!svg.contains("Windows nodes"));
    // The command line: `run --plots` writes the same four data files as `run` (pods.csv
    // streamed from the spill, so finished pods were given back), and `plot DIR` redraws the
    // same plot bytes from those files, whose CDF it builds from pods.csv's rows.
    let (a, b) = (dir.path().join("plain"), dir.path().join("plots"));
    hybridsim(&[
        "run",
        s.to_str().unwrap(),
        "-q",
        "--out",
        a.to_str().unwrap(),
    ]);
    hybridsim(&[
        "run",
        s.to_str().unwrap(),
        "-q",
        "--out",
        b.to_str().unwrap(),
        "--plots",
    ]);
    for f in RUN_FILES {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let redrawn = dir.path().join("redrawn");
    std::fs::create_dir(&redrawn).unwrap();
    for f in ["summary.json", "pods.csv", "timeseries.csv"] {
        std::fs::copy(b.join(f), redrawn.join(f)).unwrap();
    }
    hybridsim(&["plot", redrawn.to_str().unwrap()]);
    for (f, bytes) in &drawn {
        let cli = std::fs::read(b.join(f)).unwrap();
        assert!(
            &cli == bytes,
            "{f}: run --plots differs from the in-memory plots"
        );
        let again = std::fs::read(redrawn.join(f)).unwrap();
        assert!(&again == bytes, "{f}: plot DIR differs from run --plots");
    }
}
