//! Experiments end to end: variant overlays, seeds, `--jobs` independence, shard + merge
//! exactness, the confidence-interval arithmetic, `sweep`, and `check` exit codes.

use hybridsim::experiment::{self, stats::Estimate};
use hybridsim::report::{CompareRow, CompareTable};
use hybridsim::scenario::raw::{Taint, TaintEffect};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-exp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "hybridsim {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A Linux node and a Windows node, and an IIS Deployment of 2 replicas without a selector.
/// The first replica goes to either empty node (a seeded tie-break); LeastAllocated sends the
/// second to the other one. So in `forgot` exactly one replica sits on the Linux node in
/// ErrImagePull whatever the seed, and in `selector` both run on the Windows node.
const SMALL: &str = r#"Scenario(
    name: "small",
    duration: "20m",
    pools: [
        (name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 1),
        (name: "win", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi",
         max_pods: 30, count: 1),
    ],
    layers: [(name: "iis", size: "100MB", unpacked: "200MB")],
    images: [(name: "iis:1", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["iis"])])],
    workloads: [(name: "iis", replicas: 2, template: (containers: [(image: "iis:1", cpu: "500m", memory: "1Gi")]))],
    variants: [
        (name: "forgot"),
        (name: "selector", description: "os selector",
         changes: [SetNodeSelector(workload: "iis", selector: {"kubernetes.io/os": "windows"})]),
    ],
    ASSERTIONS
)"#;

fn small(dir: &Path, assertions: &str) -> PathBuf {
    let f = dir.join("small.ron");
    std::fs::write(&f, SMALL.replace("ASSERTIONS", assertions)).unwrap();
    f
}

/// compare.csv read back through its row type; `params` swept paths.
fn compare_table(p: &Path, params: usize) -> CompareTable {
    CompareTable::read(&read(p), params).unwrap_or_else(|e| panic!("{e}"))
}

/// A metric of a compare.csv row, by column name.
fn metric(t: &CompareTable, row: &CompareRow, col: &str) -> Option<f64> {
    assert!(t.metrics.iter().any(|m| m == col), "no column {col}");
    t.get(row, col)
}

#[test]
fn each_typed_change_lands_where_it_says() {
    let l = experiment::load(Path::new("scenarios/taint-strategies.ron")).unwrap();
    let names: Vec<&str> = l.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "none",
            "node-selector",
            "taints-tolerations",
            "runtimeclass",
            "runtimeclass-build",
            "prepull"
        ]
    );
    let v = |n: &str| &l.variants.iter().find(|v| v.name == n).unwrap().raw;
    let pool = |r: &hybridsim::scenario::raw::Scenario, p: &str| {
        r.pools.iter().find(|x| x.name == p).unwrap().clone()
    };
    let wl = |r: &hybridsim::scenario::raw::Scenario, w: &str| {
        r.workloads.iter().find(|x| x.name == w).unwrap().clone()
    };
    // `none` is the file as written: nothing constrained, no variants inside.
    assert_eq!(pool(v("none"), "ws2019").taints, vec![]);
    assert!(v("none").variants.is_empty());
    // SetNodeSelector merges into the (absent) selector.
    let sel = wl(v("node-selector"), "shop-iis")
        .template
        .node_selector
        .clone();
    assert_eq!(
        sel.get("kubernetes.io/os").map(String::as_str),
        Some("windows")
    );
    assert!(
        wl(v("node-selector"), "web")
            .template
            .node_selector
            .is_empty()
    );
    // AddTaint appends to the pool; AddToleration to the template.
    let os_taint = Taint {
        key: "os".into(),
        value: "windows".into(),
        effect: TaintEffect::NoSchedule,
    };
    assert_eq!(
        pool(v("taints-tolerations"), "ws2022").taints,
        vec![os_taint]
    );
    assert_eq!(pool(v("taints-tolerations"), "system").taints, vec![]);
    assert_eq!(
        wl(v("taints-tolerations"), "legacy-portal")
            .template
            .tolerations
            .len(),
        1
    );
    // AddRuntimeClass + SetRuntimeClass.
    let rb = v("runtimeclass-build");
    assert_eq!(rb.runtime_classes.len(), 2);
    assert_eq!(
        wl(rb, "legacy-portal")
            .template
            .runtime_class_name
            .as_deref(),
        Some("windows-2019")
    );
    // AddWorkload: the two pre-pull DaemonSets come after the three apps.
    let pp: Vec<&str> = v("prepull")
        .workloads
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        pp,
        [
            "web",
            "shop-iis",
            "legacy-portal",
            "prepull-ltsc2019",
            "prepull-ltsc2022"
        ]
    );
    // And each overlaid scenario validated into a spec with the same change.
    let spec = &l.variants[5].spec;
    assert_eq!(spec.workloads.len(), 5);
}

#[test]
fn generic_set_edits_any_field_and_errors_name_variant_and_position() {
    let text = r#"Scenario(
    name: "g",
    duration: "10m",
    pools: [(name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 1)],
    images: [],
    workloads: [],
    variants: [
        (name: "a", changes: [
            SetPool(pool: "lin", field: "count", value: "3"),
            Set(path: "pools[0].pull_bandwidth", value: "200MB/s"),
            Set(path: "kubelet.serialize_image_pulls", value: "false"),
            Set(path: "kubelet.max_parallel_image_pulls", value: "2"),
        ]),
        (name: "b", changes: [Set(path: "pools[nope].count", value: "3")]),
        (name: "c", changes: [Set(path: "pools[lin].colour", value: "red")]),
        (name: "d", changes: [SetPool(pool: "lin", field: "count", value: "0"), Set(path: "duration", value: "0s")]),
    ],
)"#;
    // Variants b, c, d are broken; a alone loads.
    let good: String = text
        .lines()
        .filter(|l| {
            !l.contains("(name: \"b\"")
                && !l.contains("(name: \"c\"")
                && !l.contains("(name: \"d\"")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let l = experiment::load_str(&good, "g.ron").unwrap();
    let a = &l.variants[0].raw;
    assert_eq!(a.pools[0].count, 3);
    // "200MB/s" is not JSON, so it is taken as the string the unit parser reads: 2 × 10^8 B/s.
    assert_eq!(a.pools[0].pull_bandwidth.map(|r| r.0), Some(200_000_000));
    // `kubelet` was omitted (all defaults): the path creates it; the other defaults stay.
    assert_eq!(a.kubelet.max_parallel_image_pulls, Some(2));
    assert_eq!(a.kubelet.serialize_image_pulls, Some(false));
    assert_eq!(
        a.kubelet.max_concurrent_downloads, 3,
        "untouched defaults stay"
    );
    let e = experiment::load_str(text, "g.ron").unwrap_err().to_string();
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 3, "{e}");
    // b: unknown element, at the change's position (line 14, the `Set(` after `changes: [`).
    assert!(lines[0].starts_with("g.ron:14:"), "{e}");
    assert!(
        lines[0].contains(
            "variant \"b\": pools[nope].count: no element named \"nope\" (there are: lin)"
        ),
        "{e}"
    );
    // c: deny_unknown_fields still applies through an overlay, located at the change.
    assert!(
        lines[1].starts_with("g.ron:15:31:") && lines[1].contains("variant \"c\""),
        "{e}"
    );
    assert!(lines[1].contains("colour"), "{e}");
    // d: the result fails validation as a whole; located at the variant, naming the field.
    assert!(
        lines[2].starts_with("g.ron:16:9:") && lines[2].contains("variant \"d\""),
        "{e}"
    );
    assert!(
        lines[2].contains("duration: expected a positive duration"),
        "{e}"
    );
}

#[test]
fn the_selector_variant_removes_the_wrong_os_pull_on_every_seed() {
    let d = tmp("small-compare");
    let f = small(&d, "");
    let out = d.join("out");
    let table = ok(&[
        "compare",
        s(&f),
        "--seeds",
        "4",
        "--out",
        s(&out),
        "--quiet",
    ]);
    assert!(table.is_empty(), "--quiet prints nothing: {table}");
    let t = compare_table(&out.join("compare.csv"), 0);
    // 2 variants × 4 seeds, variant-major, seeds ascending.
    let keys: Vec<(String, u64)> = t.rows.iter().map(|r| (r.variant.clone(), r.seed)).collect();
    let want: Vec<(String, u64)> = ["forgot", "selector"]
        .iter()
        .flat_map(|v| (1..=4).map(move |s| (v.to_string(), s)))
        .collect();
    assert_eq!(keys, want);
    for r in &t.rows {
        // See SMALL: one replica on the Linux node in `forgot`, none in `selector`.
        let (pulls, never) = if r.variant == "forgot" {
            (1.0, 1.0)
        } else {
            (0.0, 0.0)
        };
        assert_eq!(metric(&t, r, "failures.ErrImagePull"), Some(pulls), "{r:?}");
        assert_eq!(metric(&t, r, "apps.never_ready"), Some(never), "{r:?}");
    }
    // The aggregates: the paired difference is exactly −1 on every seed, so its sd is 0.
    let j: serde_json::Value = serde_json::from_slice(&read(&out.join("compare.json"))).unwrap();
    let m = &j["groups"][1]["metrics"]["failures.ErrImagePull"];
    assert_eq!(m["mean"], 0.0);
    assert_eq!(m["diff"]["mean"], -1.0);
    assert_eq!(m["diff"]["ci95"], 0.0);
    assert_eq!(
        j["ranking"]["order"],
        serde_json::json!(["selector", "forgot"])
    );
}

#[test]
fn a_run_does_not_depend_on_the_other_seeds_or_the_thread_count() {
    let d = tmp("seeds-jobs");
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    let f = "scenarios/taint-strategies.ron";
    ok(&[
        "compare",
        f,
        "--seeds",
        "1..3",
        "--jobs",
        "1",
        "--out",
        s(&a),
        "--plots",
        "-q",
    ]);
    ok(&[
        "compare",
        f,
        "--seeds",
        "1..3",
        "--jobs",
        "2",
        "--out",
        s(&b),
        "--plots",
        "-q",
    ]);
    for name in [
        "compare.csv",
        "compare.json",
        "startup_cdf.csv",
        "startup_cdf.svg",
        "startup_cdf.png",
        "failures.svg",
        "failures.png",
    ] {
        assert_eq!(
            read(&a.join(name)),
            read(&b.join(name)),
            "{name}: --jobs 1 vs 2"
        );
    }
    // Seeds 2..3 alone give the same rows for seeds 2 and 3 as the run over 1..3.
    ok(&["compare", f, "--seeds", "2..3", "--out", s(&c), "-q"]);
    let ta = compare_table(&a.join("compare.csv"), 0);
    let tc = compare_table(&c.join("compare.csv"), 0);
    assert_eq!(ta.metrics, tc.metrics);
    let ra: Vec<&CompareRow> = ta.rows.iter().filter(|r| r.seed != 1).collect();
    let rc: Vec<&CompareRow> = tc.rows.iter().collect();
    assert_eq!(ra, rc);
    // And the seed matters: seed 1 and seed 2 of `none` differ somewhere (tie-breaks and
    // provisioning delays), so the test above is not comparing constants.
    assert_eq!((ta.rows[0].seed, ta.rows[1].seed), (1, 2));
    assert_ne!(ta.rows[0].metrics, ta.rows[1].metrics);
}

#[test]
fn shards_merge_into_exactly_the_single_run_and_mismatches_are_refused() {
    let d = tmp("shards");
    let f = "scenarios/taint-strategies.ron";
    let full = d.join("full");
    ok(&[
        "compare",
        f,
        "--seeds",
        "4",
        "--out",
        s(&full),
        "--plots",
        "-q",
    ]);
    for k in 0..3 {
        let out = ok(&[
            "compare",
            f,
            "--seeds",
            "4",
            "--shard",
            &format!("{k}/3"),
            "--out",
            s(&d.join(format!("s{k}"))),
        ]);
        // 6 variants × 4 seeds = 24 runs; shard k takes i % 3 == k: 8 each.
        assert!(out.contains(&format!("shard {k}/3: 8 of 24 runs")), "{out}");
    }
    let merged = d.join("merged");
    ok(&[
        "merge",
        s(&d.join("s0")),
        s(&d.join("s1")),
        s(&d.join("s2")),
        "--out",
        s(&merged),
        "--plots",
        "-q",
    ]);
    for name in [
        "compare.csv",
        "compare.json",
        "startup_cdf.csv",
        "startup_cdf.svg",
        "startup_cdf.png",
        "failures.svg",
        "failures.png",
        "variant_timeseries.csv",
        "timeline.svg",
        "timeline.png",
    ] {
        assert_eq!(
            read(&full.join(name)),
            read(&merged.join(name)),
            "{name}: merge vs full"
        );
    }
    // A missing shard.
    let o = run(&[
        "merge",
        s(&d.join("s0")),
        s(&d.join("s2")),
        "--out",
        s(&d.join("m2")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing shard: 1/3"));
    // A shard of another plan (other seeds).
    ok(&[
        "compare",
        f,
        "--seeds",
        "5",
        "--shard",
        "1/3",
        "--out",
        s(&d.join("other")),
    ]);
    let o = run(&[
        "merge",
        s(&d.join("s0")),
        s(&d.join("other")),
        s(&d.join("s2")),
        "--out",
        s(&d.join("m3")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("belongs to a different run"));
    // The same shard twice.
    let o = run(&[
        "merge",
        s(&d.join("s0")),
        s(&d.join("s0")),
        "--out",
        s(&d.join("m4")),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("given twice"));
    // An edited value: one metric of one run of shard 1 changed by +1, the rest of the file
    // (and its recorded checksum) untouched. Exit 2 like every refused merge: the input is
    // bad, nothing could not be written.
    let edited = d.join("edited");
    std::fs::create_dir_all(&edited).unwrap();
    let shard1 = d.join("s1").join("shard-1-of-3.json");
    let mut j: serde_json::Value = serde_json::from_slice(&read(&shard1)).unwrap();
    let cell = &mut j["records"][0]["metrics"][0];
    assert_eq!(cell[0], "apps.pods", "the first metric");
    cell[1] = serde_json::json!(cell[1].as_f64().unwrap() + 1.0);
    let edited1 = edited.join("shard-1-of-3.json");
    std::fs::write(&edited1, serde_json::to_vec(&j).unwrap()).unwrap();
    let o = run(&[
        "merge",
        s(&d.join("s0")),
        s(&edited),
        s(&d.join("s2")),
        "--out",
        s(&d.join("m5")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "{}: the content does not match its checksum",
            edited1.display()
        )),
        "{err}"
    );
    assert!(!d.join("m5").exists(), "a refused merge creates nothing");
    // The same file re-serialised without an edit still merges: the checksum covers the
    // content, not the formatting.
    let j: serde_json::Value = serde_json::from_slice(&read(&shard1)).unwrap();
    std::fs::write(&edited1, serde_json::to_vec_pretty(&j).unwrap()).unwrap();
    ok(&[
        "merge",
        s(&d.join("s0")),
        s(&edited),
        s(&d.join("s2")),
        "--out",
        s(&d.join("m6")),
        "-q",
    ]);
    assert_eq!(
        read(&d.join("m6").join("compare.csv")),
        read(&full.join("compare.csv"))
    );
    assert!(
        !d.join("m2").join("compare.csv").exists(),
        "a refused merge writes nothing"
    );
}

#[test]
fn confidence_interval_by_hand() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32;
    // sample variance 32/7 = 4.571429, sd 2.138090; t(0.975, 7) = 2.364624 (published tables,
    // 2.365 in NIST's 3-decimal one); half-width 2.364624 × 2.138090 / √8
    // = 2.364624 × 0.755929 = 1.787488.
    let e = Estimate::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert_eq!(e.n, 8);
    assert_eq!(e.mean, Some(5.0));
    assert_eq!(e.sd, Some(2.13809));
    assert_eq!(e.ci95, Some(1.787488));
    assert_eq!((e.lo, e.hi), (Some(3.212512), Some(6.787488)));
    // Paired: variant 3, 5, 4 against baseline 1, 2, 3 → differences 2, 3, 1: mean 2, sd 1,
    // t(0.975, 2) = 4.302653, half-width 4.302653 / √3 = 2.484138.
    let d = Estimate::paired(
        &[Some(3.0), Some(5.0), Some(4.0)],
        &[Some(1.0), Some(2.0), Some(3.0)],
    );
    assert_eq!(
        (d.n, d.mean, d.sd, d.ci95),
        (3, Some(2.0), Some(1.0), Some(2.484138))
    );
    // At 90 %: t(0.95, 2) = 2.9199856 (published tables), half-width 2.9199856 / √3 = 1.685854.
    let d = Estimate::paired_at(
        &[Some(3.0), Some(5.0), Some(4.0)],
        &[Some(1.0), Some(2.0), Some(3.0)],
        0.90,
    );
    assert_eq!(d.ci95, Some(1.685854));
    // Seeds where either side has no value drop out; one pair left has no interval.
    let d = Estimate::paired(&[Some(3.0), None, Some(4.0)], &[Some(1.0), Some(2.0), None]);
    assert_eq!((d.n, d.mean, d.ci95), (1, Some(2.0), None));
    assert_eq!(Estimate::of(&[]).mean, None);
}

#[test]
fn sweep_crosses_the_set_values_and_adds_them_as_columns() {
    let d = tmp("sweep");
    let f = small(&d, "");
    let out = d.join("out");
    let table = ok(&[
        "sweep",
        s(&f),
        "--set",
        "pools[win].count=1,2",
        "--set",
        "workloads[iis].replicas=2,4",
        "--seeds",
        "2",
        "--out",
        s(&out),
    ]);
    let t = compare_table(&out.join("compare.csv"), 2);
    assert_eq!(t.params, ["pools[win].count", "workloads[iis].replicas"]);
    // 2 variants × 2 counts × 2 replica values × 2 seeds; the last --set varies fastest.
    assert_eq!(t.rows.len(), 16);
    let combos: Vec<(&str, &str)> = t
        .rows
        .iter()
        .step_by(2)
        .take(4)
        .map(|r| (r.params[0].as_str(), r.params[1].as_str()))
        .collect();
    assert_eq!(combos, [("1", "2"), ("1", "4"), ("2", "2"), ("2", "4")]);
    // The values reach the simulation: 4 replicas create 4 app pods.
    assert_eq!(metric(&t, &t.rows[2], "apps.pods"), Some(4.0));
    // Two Windows nodes exist from the start when count = 2.
    assert_eq!(metric(&t, &t.rows[4], "nodes.win.ready_at_end"), Some(2.0));
    assert!(
        table.contains("forgot pools[win].count=1, workloads[iis].replicas=2"),
        "{table}"
    );
    // A value the format rejects is bad input, naming the combination.
    let o = run(&[
        "sweep",
        s(&f),
        "--set",
        "pools[win].count=x",
        "--seeds",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pools[win].count=x"));
}

#[test]
fn check_exits_0_when_assertions_hold_1_when_violated_2_on_bad_input() {
    let d = tmp("check");
    // Scenario as written = `forgot` (no overlay): 1 ErrImagePull pod; the Windows replica
    // pulls 100 MB at 125 MB/s (0.8 s) and extracts 200 MB at 14 MB/s (14.286 s), then starts
    // in 5 s: Ready at about 20 s.
    let f = small(
        &d,
        r#"assertions: ["windows p99 startup < 1m", "failures.ErrImagePull <= 1"],"#,
    );
    let out = ok(&["check", s(&f)]);
    assert!(out.contains("all 2 assertion checks hold"), "{out}");
    let f = small(
        &d,
        r#"assertions: ["no ErrImagePull", "windows p50 startup < 10s"],"#,
    );
    let o = run(&["check", s(&f)]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("FAIL no ErrImagePull") && out.contains("measured 1  [failures.ErrImagePull]"),
        "{out}"
    );
    assert!(out.contains("FAIL windows p50 startup < 10s"), "{out}");
    // --variants: the selector variant passes `no ErrImagePull`; forgot does not.
    let o = run(&["check", s(&f), "--variants"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("variant selector (seed 1):\n  ok   no ErrImagePull"),
        "{out}"
    );
    // A metric that does not exist is a validation error with its position.
    let f = small(&d, r#"assertions: ["failures.ErrImagePul == 0"],"#);
    let o = run(&["check", s(&f)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("small.ron:17:18: unknown metric \"failures.ErrImagePul\""),
        "{err}"
    );
    // `validate` reports it too.
    assert_eq!(run(&["validate", s(&f)]).status.code(), Some(2));
    // No assertions at all.
    let f = small(&d, "");
    assert_eq!(run(&["check", s(&f)]).status.code(), Some(2));
}

/// Every key path of a JSON value, sorted.
fn key_paths(v: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let serde_json::Value::Object(m) = v {
        for (k, x) in m {
            let p = format!("{prefix}.{k}");
            out.push(p.clone());
            key_paths(x, &p, out);
        }
    }
}

#[test]
fn the_summary_shape_without_simulating_has_the_keys_of_a_real_run() {
    // Validation checks assertion metrics against `summary_shape`, which no longer runs the
    // simulation. Its key set must be that of a real summary of the same scenario (a
    // zero-length run, as it was computed before), for every bundled scenario.
    for name in [
        "quickstart",
        "forgotten-selector",
        "build-mismatch",
        "morning-peak",
        "taint-strategies",
        "scale-small",
        "disk-pressure",
    ] {
        let path = format!("{}/scenarios/{name}.ron", env!("CARGO_MANIFEST_DIR"));
        let (_, mut spec) = hybridsim::scenario::load(std::path::Path::new(&path)).unwrap();
        let shape = hybridsim::experiment::summary_shape(&spec);
        spec.duration = 0;
        let out = hybridsim::simulation::run(&spec, spec.seed);
        let real = serde_json::to_value(hybridsim::report::Summary::new(&spec, &out)).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        key_paths(&shape, "", &mut a);
        key_paths(&real, "", &mut b);
        // Maps keyed by what happened (a workload's failure reasons) are filled only by
        // events; assertions on their keys count as zero when absent.
        b.retain(|k| {
            let parts: Vec<&str> = k.split('.').collect();
            !(parts.len() == 5 && parts[1] == "workloads" && parts[3] == "failures")
        });
        assert_eq!(a, b, "{name}");
    }
}
