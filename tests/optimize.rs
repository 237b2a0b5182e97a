//! `optimize` end to end through the binary: the answer on a scenario whose cheapest feasible
//! configuration is computed by hand, the same bytes for any thread count, the adaptive seeds on
//! a noisy scenario, and bad input. The search's rounds and verdicts on hand-chosen numbers are
//! tested in `experiment::optimize`'s unit tests.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .args(args)
        .output()
        .unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-opt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One pool of 4-CPU Linux nodes with no CPU reserved (allocatable CPU = 4), a fixed node
/// count (no autoscaler), and a Deployment of 10 replicas of 1 CPU each, for one hour at 0.25
/// per node-hour.
const FIT: &str = r#"Scenario(
    name: "fit",
    seed: 1,
    duration: "1h",
    pools: [
        (
            name: "apps",
            os: Linux,
            cpu: "4",
            memory: "16Gi",
            count: 1,
            reserved: (cpu: "0"),
            price_per_hour: 0.25,
        ),
    ],
    layers: [(name: "base", size: "10MB", unpacked: "20MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["base"])])],
    workloads: [
        (
            name: "app",
            replicas: 10,
            template: (containers: [(image: "app:1", cpu: "1", memory: "256Mi")]),
        ),
    ],
)
"#;

fn fit(dir: &Path) -> PathBuf {
    let f = dir.join("fit.ron");
    std::fs::write(&f, FIT).unwrap();
    f
}

fn json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("optimize.json")).unwrap()).unwrap()
}

#[test]
fn the_cheapest_node_count_that_starts_every_replica_is_the_one_computed_by_hand() {
    let dir = tmp("fit");
    let f = fit(&dir);
    let out = dir.join("out");
    let o = run(&[
        "optimize",
        f.to_str().unwrap(),
        "--set",
        "pools[apps].count=1..6",
        "--constraint",
        "apps.never_ready <= 0",
        "--out",
        out.to_str().unwrap(),
        "--plots",
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v = json(&out);
    // 4 pods fit on a node (4 CPU / 1 CPU), so N nodes leave max(0, 10 − 4N) replicas never
    // Ready: 6, 2, 0, 0, 0, 0 for N = 1..6. The smallest N with none left is 3 (ceil(10 / 4)),
    // costing 3 nodes × 1 h × 0.25 = 0.75.
    let w = v["winner"].as_u64().unwrap() as usize;
    let winner = &v["candidates"][w];
    assert_eq!(winner["params"][0][1], "3");
    assert_eq!(winner["objective"]["mean"].as_f64(), Some(0.75));
    let never: Vec<f64> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["constraints"][0]["estimate"]["mean"].as_f64().unwrap())
        .collect();
    assert_eq!(never, vec![6.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
    // Nothing here is random (fixed nodes, no provisioning), so every interval has zero
    // width and every verdict is decided on the first 3 seeds: 6 × 3 = 18 runs, one round.
    assert_eq!(v["runs"], 18);
    assert_eq!(v["stopped"], "decided");
    // The front of cost against never-Ready pods: each more node costs more and strands fewer
    // pods until 3; 4, 5 and 6 cost more and strand none, as 3 does.
    assert_eq!(v["frontier"][0]["candidates"], serde_json::json!([0, 1, 2]));
    for f in [
        "optimize.csv",
        "frontier.csv",
        "frontier.png",
        "frontier.svg",
        "by_parameter.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn no_feasible_candidate_exits_1_and_names_the_closest() {
    let dir = tmp("infeasible");
    let f = fit(&dir);
    let o = run(&[
        "optimize",
        f.to_str().unwrap(),
        "--set",
        "pools[apps].count=1,2",
        "--constraint",
        "apps.never_ready <= 0",
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    // 2 nodes strand 2 pods, 1 node 6: the closest is 2 nodes, listed first.
    let closest = text.split("the closest:").nth(1).expect(&text);
    let first = closest.lines().nth(1).unwrap();
    assert!(first.contains("pools[apps].count=2"), "{text}");
}

#[test]
fn outputs_are_the_same_bytes_for_one_and_two_worker_threads() {
    let dir = tmp("jobs");
    let mut files = Vec::new();
    for jobs in ["1", "2"] {
        let out = dir.join(jobs);
        let o = run(&[
            "optimize",
            "scenarios/morning-peak.ron",
            "--set",
            "win-min:pools[win-apps].count+pools[win-apps].autoscale.min=1..12",
            "--set",
            "win-vm:pools[win-apps].cpu+pools[win-apps].memory+pools[win-apps].price_per_hour=4;16Gi;0.37,8;32Gi;0.74",
            "--constraint",
            "windows p99 startup <= 600s",
            "--max-seeds",
            "12",
            "--jobs",
            jobs,
            "--out",
            out.to_str().unwrap(),
            "--plots",
            "--quiet",
        ]);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{o:?}");
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        files.push(
            names
                .iter()
                .map(|n| (n.clone(), std::fs::read(out.join(n)).unwrap()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(files[0], files[1]);
    // Windows startup is random (provisioning, pulls), so some candidate needed a second
    // round: more seeds than the first 3, and fewer runs than 24 candidates × 12 seeds.
    let v = json(&dir.join("1"));
    let runs = v["runs"].as_u64().unwrap();
    let most = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seeds"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(most > 3 && runs < 24 * 12, "seeds {most}, runs {runs}");
}

#[test]
fn bad_optimize_input_exits_2_with_what_was_expected() {
    let dir = tmp("bad");
    let f = fit(&dir);
    let f = f.to_str().unwrap();
    // (arguments after the file, a piece of the expected message)
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--set",
                "pools[apps].count=1..3",
                "--constraint",
                "cost.totl <= 1",
            ],
            "unknown metric \"cost.totl\"",
        ),
        (
            &[
                "--set",
                "pools[apps].count=1..3",
                "--objective",
                "nodes.nope",
                "--constraint",
                "cost.total <= 1",
            ],
            "--objective",
        ),
        (&["--set", "pools[apps].count=1..3"], "no constraint"),
        (
            &[
                "--set",
                "pools[apps].count=1..1000000000",
                "--constraint",
                "cost.total <= 1",
            ],
            "1000000000 candidates",
        ),
        (
            &[
                "--set",
                "pools[apps].count=3..1",
                "--constraint",
                "cost.total <= 1",
            ],
            "is empty",
        ),
        (
            &[
                "--set",
                "pools[nope].count=1,2",
                "--constraint",
                "cost.total <= 1",
            ],
            "no element named \"nope\"",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["optimize", f];
        all.extend_from_slice(args);
        let o = run(&all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected {want:?} in: {err}");
    }
}
