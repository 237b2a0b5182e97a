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
        "scenarios/disk-pressure.ron",
        "scenarios/iis-anti-affinity.ron",
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
            // containerd's build matching (the default): the pull fails, nothing is pulled.
            assert_eq!(r.reason, "ErrImagePull", "{r:?}");
            assert_eq!(r.pulled_s, None, "{r:?}");
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
    // event, bind and sample of every bundled scenario. The benchmarks aside: the 5k ones, and
    // the trace-* ones, whose traces are generated, not committed (scripts/
    // generate-bench-traces.sh); trace replay's invariants are checked in tests/trace_replay.rs.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .filter(|p| !p.to_string_lossy().contains("5k"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("trace-"))
        })
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

/// Runs the binary with `args`; returns (exit code, stdout, stderr).
fn out_of(args: &[&str]) -> (Option<i32>, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn bad_arguments_exit_2_with_the_flag_and_what_was_expected() {
    // (arguments, text the error must contain). Each used to panic, abort or be accepted.
    let qs = "scenarios/quickstart.ron";
    let cases: &[(&[&str], &str)] = &[
        // 2⁶⁴ − 1 seeds: was a capacity-overflow panic while collecting the seeds.
        (
            &["compare", qs, "--seeds", "18446744073709551615"],
            "18446744073709551615 seeds; at most 100000 runs",
        ),
        // 2³² seeds and 2³² shards: was an abort (allocation failure).
        (
            &[
                "compare",
                qs,
                "--seeds",
                "1..4294967296",
                "--shard",
                "0/4294967296",
            ],
            "4294967296 seeds",
        ),
        (
            &[
                "compare",
                qs,
                "--shard",
                "0/4294967296",
                "--out",
                "/nonexistent",
            ],
            "4294967296 shards",
        ),
        // Zero worker threads: was accepted (and silently made 1).
        (
            &["compare", qs, "--jobs", "0"],
            "--jobs <J>': expected at least 1",
        ),
        (
            &["compare", qs, "--seeds", "0"],
            "expected at least one seed",
        ),
        (
            &["compare", qs, "--seeds", "9..3"],
            "the range is empty (3 < 9)",
        ),
        (
            &["compare", qs, "--shard", "4/4", "--out", "/x"],
            "0 <= K < N",
        ),
        (&["compare", qs, "--shard", "0/2"], "--out <OUT>"),
        (
            &["compare", qs, "--shard", "0/2", "--out", "/x", "--plots"],
            "'--shard <K/N>' cannot be used with '--plots'",
        ),
        (
            &["sweep", qs, "--set", "pools[win2022].count"],
            "expected PATH=V1,V2",
        ),
        (
            &["sweep", qs, "--set", "pools[win2022].count=1,,2"],
            "empty value",
        ),
        (&["run", qs, "--set", "pools[win2022].count=1,2"], "got 2"),
        (&["bench", qs, "--repeat", "0"], "expected at least 1 run"),
        (
            &[
                "import",
                "x.yaml",
                "-o",
                "x.ron",
                "--default-image-size",
                "0MB",
            ],
            "expected a positive size",
        ),
        (&["run", qs, "--plots"], "--out <OUT>"),
    ];
    for (args, want) in cases {
        let (code, _, err) = out_of(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: expected {want:?} in:\n{err}");
    }
}

#[test]
fn a_sweep_grid_above_the_run_limit_is_refused_before_it_is_built() {
    // 10 × 10 values × 1001 seeds × 1 variant = 100,100 runs > 100,000.
    let v = "1,2,3,4,5,6,7,8,9,10";
    let (code, _, err) = out_of(&[
        "sweep",
        "scenarios/quickstart.ron",
        "--set",
        &format!("pools[win2022].count={v}"),
        "--set",
        &format!("pools[system].count={v}"),
        "--seeds",
        "1001",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("100100 runs (1 variants × 10 × 10 values × 1001 seeds)"),
        "{err}"
    );
}

#[test]
fn validate_counts_in_the_singular_where_there_is_one() {
    let d = tmp("plural");
    std::fs::create_dir_all(&d).unwrap();
    let f = d.join("one.ron");
    std::fs::write(
        &f,
        r#"Scenario(
    name: "one",
    duration: "1m",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1)],
    layers: [(name: "l", size: "10MB", unpacked: "20MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    workloads: [(name: "a", template: (containers: [(image: "app:1")]))],
)"#,
    )
    .unwrap();
    let (code, out, err) = out_of(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.ends_with(": ok (1 pool, 1 image, 1 workload)\n"),
        "{out}"
    );
}

#[test]
fn run_names_every_file_it_wrote() {
    let d = tmp("names");
    let (code, out, err) = out_of(&[
        "run",
        "scenarios/quickstart.ron",
        "--out",
        d.to_str().unwrap(),
        "--plots",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let line = out.lines().last().unwrap();
    // Every file in the directory, and nothing else, is named.
    let mut files: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed = line
        .strip_prefix("wrote ")
        .and_then(|l| l.strip_suffix(&format!(" to {}", d.display())))
        .unwrap_or_else(|| panic!("{line}"));
    let mut named: Vec<String> = listed.split(", ").map(String::from).collect();
    named.sort();
    assert_eq!(named, files);
    assert!(files.contains(&"scaling.csv".to_string()));
    assert!(files.contains(&"timeline.png".to_string()));
}

#[test]
fn a_shard_names_its_directory_in_the_merge_hint_and_the_hint_works() {
    let d = tmp("hint");
    let ds = d.to_str().unwrap();
    let mut hint = String::new();
    for k in 0..2 {
        let shard = format!("{k}/2");
        let (code, out, err) = out_of(&[
            "compare",
            "scenarios/quickstart.ron",
            "--seeds",
            "3",
            "--shard",
            &shard,
            "--out",
            ds,
        ]);
        assert_eq!(code, Some(0), "{err}");
        hint = out
            .split("merge them with: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{out}"))
            .trim()
            .to_string();
    }
    assert_eq!(hint, format!("hybridsim merge {ds} --out {ds}/merged"));
    let args: Vec<&str> = hint.split(' ').skip(1).collect();
    let (code, _, err) = out_of(&args);
    assert_eq!(code, Some(0), "{err}");
    assert!(d.join("merged").join("compare.json").is_file());
}

#[test]
fn sweep_groups_are_not_described_as_the_scenario_as_written() {
    let (code, out, err) = out_of(&[
        "sweep",
        "scenarios/quickstart.ron",
        "--set",
        "pools[win2022].count=1,2",
        "--seeds",
        "1",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains("the scenario as written"), "{out}");
    // 2 values × 1 seed: plural groups, singular seed and 2 runs.
    assert!(
        out.starts_with("quickstart: 2 groups × 1 seed (seed 1) = 2 runs;"),
        "{out}"
    );
}

/// quickstart with one declared variant that doubles the Windows pool.
fn quickstart_with_variant(d: &Path) -> PathBuf {
    std::fs::create_dir_all(d).unwrap();
    let text = std::fs::read_to_string("scenarios/quickstart.ron").unwrap();
    let end = text.rfind(')').unwrap();
    let f = d.join("qs-variant.ron");
    std::fs::write(
        &f,
        format!(
            "{}    variants: [(name: \"four-windows\", changes: [SetPool(pool: \"win2022\", \
             field: \"count\", value: \"4\")])],\n)\n",
            &text[..end]
        ),
    )
    .unwrap();
    f
}

/// The console line of one pool: `name os min-max node-hours ...`.
fn pool_line<'a>(out: &'a str, pool: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{pool} ")))
        .unwrap_or_else(|| panic!("no {pool} line in\n{out}"))
}

#[test]
fn run_variant_and_set_change_what_is_simulated() {
    let d = tmp("variant");
    let f = quickstart_with_variant(&d);
    let f = f.to_str().unwrap();
    // Without autoscaling a pool keeps `count` nodes for the whole 3600 s, so it is billed
    // count-count nodes and count × 1 h.
    let (code, out, err) = out_of(&["run", f]);
    assert_eq!(code, Some(0), "{err}");
    let line = pool_line(&out, "win2022");
    assert!(line.contains(" 2-2 ") && line.contains(" 2.00 h"), "{line}");
    let (code, out, err) = out_of(&["run", f, "--variant", "four-windows"]);
    assert_eq!(code, Some(0), "{err}");
    let line = pool_line(&out, "win2022");
    assert!(line.contains(" 4-4 ") && line.contains(" 4.00 h"), "{line}");
    // --set applies after the variant: 3 nodes, 3 node-hours.
    let (code, out, err) = out_of(&[
        "run",
        f,
        "--variant",
        "four-windows",
        "--set",
        "pools[win2022].count=3",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let line = pool_line(&out, "win2022");
    assert!(line.contains(" 3-3 ") && line.contains(" 3.00 h"), "{line}");
    // The Linux pool is untouched by either: 3 nodes.
    assert!(pool_line(&out, "system").contains(" 3-3 "));
}

#[test]
fn run_refuses_unknown_variants_and_bad_set_values() {
    let d = tmp("variant-bad");
    let f = quickstart_with_variant(&d);
    let f = f.to_str().unwrap();
    let (code, _, err) = out_of(&["run", f, "--variant", "nope"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--variant nope: no such variant; the scenario declares four-windows"),
        "{err}"
    );
    let (code, _, err) = out_of(&["run", "scenarios/quickstart.ron", "--variant", "x"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("declares no variants"), "{err}");
    let (code, _, err) = out_of(&["run", f, "--set", "pools[nope].count=3"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no element named \"nope\""), "{err}");
    let (code, _, err) = out_of(&["run", f, "--set", "pools[win2022].count=-1"]);
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn confidence_sets_the_level_of_every_interval_and_is_named_in_the_outputs() {
    let d = tmp("confidence");
    let (code, out, err) = out_of(&[
        "compare",
        "scenarios/taint-strategies.ron",
        "--seeds",
        "3",
        "--confidence",
        "0.9",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.lines()
            .next()
            .unwrap()
            .contains("mean ± 90 % CI over seeds"),
        "{out}"
    );
    assert!(out.contains("mean ± 90% CI"), "{out}");
    let j = json(&d.join("compare.json"));
    assert_eq!(j["confidence"], 0.9);
    assert!(j["interval"].as_str().unwrap().contains("t(0.95, n-1)"));
    // Every half-width is t(0.95, 2) × sd / √3 with t(0.95, 2) = 2.919986 (published tables:
    // 3 seeds, 2 degrees of freedom, 5 % in the upper tail), to the 6 decimals written.
    let mut checked = 0;
    for g in j["groups"].as_array().unwrap() {
        for (name, m) in g["metrics"].as_object().unwrap() {
            if let (Some(sd), Some(h)) = (m["sd"].as_f64(), m["ci95"].as_f64()) {
                let want = 2.919986 * sd / 3f64.sqrt();
                assert!(
                    (h - want).abs() < 2e-6 + 1e-6 * want,
                    "{name}: {h} vs {want}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn run_check_invariants_passes_on_a_correct_run_and_prints_the_usual_summary() {
    // The invariants hold on every bundled scenario (see the test above), so the flag changes
    // nothing but the work done: exit 0 and the same summary line as without it.
    let (code, stdout, stderr) = out_of(&["run", "scenarios/quickstart.ron", "--check-invariants"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("pods: 17 created, 17 became Ready"),
        "{stdout}"
    );
}
