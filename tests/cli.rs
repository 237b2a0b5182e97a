//! End-to-end through the binary: outputs, determinism, exit codes, and the bundled scenarios
//! showing what their headers promise.

use hybridsim::report::PodRow;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_to(scenario: &str, out: &Path, extra: &[&str]) {
    let st = bin()
        .args(["run", scenario, "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .status()
        .unwrap();
    assert!(st.success(), "run {scenario} failed");
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&read(p)).unwrap()
}

#[test]
fn repeated_runs_are_byte_identical() {
    let (a, b) = (tmp("det-a"), tmp("det-b"));
    for s in [
        "scenarios/quickstart.ron",
        "scenarios/forgotten-selector.ron",
        "scenarios/build-mismatch.ron",
    ] {
        run_to(s, &a, &[]);
        run_to(s, &b, &[]);
        for f in ["summary.json", "pods.csv", "timeseries.csv"] {
            assert_eq!(read(&a.join(f)), read(&b.join(f)), "{s}: {f} differs");
        }
    }
}

#[test]
fn the_seed_flag_overrides_the_file() {
    let a = tmp("seed");
    run_to("scenarios/quickstart.ron", &a, &["--seed", "7"]);
    assert_eq!(json(&a.join("summary.json"))["seed"], 7);
}

#[test]
fn summary_json_has_the_documented_fields() {
    let a = tmp("fields");
    run_to("scenarios/quickstart.ron", &a, &[]);
    let s = json(&a.join("summary.json"));
    assert_eq!(s["scenario"], "quickstart");
    for k in ["created", "ready", "pending_at_end"] {
        assert!(s["pods"][k].is_u64(), "pods.{k}");
    }
    assert!(s["failures"].is_object());
    for os in ["all", "linux", "windows"] {
        for k in ["count", "mean", "p50", "p90", "p99", "max"] {
            assert!(!s["startup_latency_s"][os][k].is_null(), "{os}.{k}");
        }
    }
    let pods = String::from_utf8(read(&a.join("pods.csv"))).unwrap();
    assert!(pods.starts_with(
        "pod,workload,os,node,pool,created_s,scheduled_s,pulled_s,started_s,ready_s,ended_s,\
         outcome,reason"
    ));
    let ts = String::from_utf8(read(&a.join("timeseries.csv"))).unwrap();
    assert!(ts.starts_with("time_s,pending,starting,running,ready,failed,pulls_in_flight"));
    // 1 h at a 10 s interval: samples at 0, 10, …, 3600 s = 361 rows plus the header.
    assert_eq!(ts.lines().count(), 362);
}

#[test]
fn quickstart_has_no_failures_and_everything_ready() {
    let a = tmp("qs");
    run_to("scenarios/quickstart.ron", &a, &[]);
    let s = json(&a.join("summary.json"));
    assert_eq!(s["pods"]["created"], s["pods"]["ready"]);
    for (r, n) in s["failures"].as_object().unwrap() {
        assert_eq!(n, 0, "{r}");
    }
}

/// pods.csv read back through its row type.
fn pods_rows(dir: &Path) -> Vec<PodRow> {
    PodRow::read(&read(&dir.join("pods.csv"))).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn forgotten_selector_fails_exactly_the_replicas_on_linux_nodes() {
    let a = tmp("fs");
    run_to("scenarios/forgotten-selector.ron", &a, &[]);
    let rows = pods_rows(&a);
    assert_eq!(rows.len(), 8);
    let mut on_linux = 0;
    for r in &rows {
        if r.os == "linux" {
            on_linux += 1;
            assert_eq!(r.reason, "ErrImagePull", "{r:?}");
            assert_eq!(r.ready_s, None, "never ready: {r:?}");
        } else {
            assert_eq!(r.outcome, "Ready", "{r:?}");
        }
    }
    assert!(on_linux > 0, "some replicas must land on Linux nodes");
    let s = json(&a.join("summary.json"));
    assert_eq!(s["failures"]["ErrImagePull"], on_linux);
}

#[test]
fn build_mismatch_fails_exactly_the_replicas_on_ws2022() {
    let a = tmp("bm");
    run_to("scenarios/build-mismatch.ron", &a, &[]);
    for r in pods_rows(&a) {
        if r.pool == "ws2022" {
            assert_eq!(r.reason, "CreateContainerError", "{r:?}");
        } else {
            assert_eq!(r.pool, "ws2019");
            assert_eq!(r.outcome, "Ready", "{r:?}");
        }
    }
}

#[test]
fn an_unwritable_output_leaves_no_partial_files() {
    let a = tmp("ro");
    std::fs::create_dir_all(&a).unwrap();
    // A file where the output directory should be: nothing can be written inside it.
    let blocker = a.join("out");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let st = bin()
        .args(["run", "scenarios/quickstart.ron", "--quiet", "--out"])
        .arg(&blocker)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&st.stderr).contains("cannot write outputs"));
    assert_eq!(read(&blocker), b"not a directory");
}

#[test]
fn run_of_a_bad_scenario_exits_2_without_outputs() {
    let a = tmp("bad");
    let f = a.with_extension("ron");
    std::fs::write(&f, "Scenario(name: \"x\")").unwrap();
    let st = bin()
        .args(["run"])
        .arg(&f)
        .arg("--out")
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    assert!(!a.exists());
}

#[test]
fn every_bundled_scenario_keeps_the_run_time_invariants() {
    // No node over-committed, pods bound only to Ready nodes, request sums equal to the pods
    // bound, every created pod in exactly one phase, time never backwards: checked at every
    // event, bind and sample of every bundled scenario (the 5k one aside: it is a benchmark).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .filter(|p| !p.to_string_lossy().contains("5k"))
        .collect();
    names.sort();
    assert!(names.len() >= 5);
    for path in names {
        let (_, spec) = hybridsim::scenario::load(&path).unwrap();
        let (_, v) = hybridsim::simulation::run_checking_invariants(&spec, spec.seed);
        assert!(v.is_empty(), "{}: {v:#?}", path.display());
    }
}

/// The wall time is the one figure that changes between runs: masked on both sides.
fn mask_wall_time(text: &str) -> String {
    text.lines()
        .map(|l| match (l.strip_prefix("wall time "), l.find(" s, ")) {
            (Some(_), Some(i)) => format!("wall time T{}", &l[i..]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn docs_outputs_shows_the_real_console_output_of_the_quickstart() {
    // docs/outputs.md calls its quickstart block "the real output": it must be what the binary
    // prints, but for the wall time (and the output directory, /tmp/qs in the doc).
    let doc = String::from_utf8(read(Path::new("docs/outputs.md"))).unwrap();
    let cmd = "This is the real output of `hybridsim run scenarios/quickstart.ron --out /tmp/qs`:";
    let at = doc
        .find(cmd)
        .expect("the quickstart block is in docs/outputs.md");
    let block = &doc[at..];
    let start = block.find("```text\n").unwrap() + "```text\n".len();
    let shown = &block[start..start + block[start..].find("```\n").unwrap()];
    let dir = tmp("docs-quickstart");
    let o = bin()
        .args(["run", "scenarios/quickstart.ron", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    let printed = String::from_utf8(o.stdout)
        .unwrap()
        .replace(dir.to_str().unwrap(), "/tmp/qs");
    assert_eq!(mask_wall_time(shown), mask_wall_time(&printed));
}
