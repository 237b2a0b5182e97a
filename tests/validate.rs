//! Bad scenarios: `hybridsim validate` exits 2 and names FILE:LINE:COL and what was expected.
//! Each expected position is found by searching the test's own text for the offending token,
//! independently of the simulator's locator.

use std::path::PathBuf;
use std::process::Command;

const BASE: &str = include_str!("../scenarios/quickstart.ron");

/// 1-based (line, column) of the first occurrence of `needle` (after `after`, if given).
fn pos_of(text: &str, needle: &str, after: Option<&str>) -> (usize, usize) {
    let start = after.map_or(0, |a| text.find(a).expect("anchor present"));
    let i = start + text[start..].find(needle).expect("needle present");
    let line = text[..i].matches('\n').count() + 1;
    let col = i - text[..i].rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hybridsim-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn validate(name: &str, text: &str) -> (i32, String) {
    let p = write(name, text);
    let out = Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .arg("validate")
        .arg(&p)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // Report paths relative to the file name for stable assertions.
    let stderr = stderr.replace(&p.display().to_string(), name);
    (out.status.code().unwrap_or(-1), stderr)
}

fn check(name: &str, text: &str, needle: &str, after: Option<&str>, message: &str) {
    let (code, err) = validate(name, text);
    assert_eq!(code, 2, "{name}: exit code; stderr: {err}");
    let (l, c) = pos_of(text, needle, after);
    let want = format!("{name}:{l}:{c}: {message}");
    assert!(
        err.lines().any(|line| line == want),
        "{name}: expected line\n  {want}\ngot\n  {err}"
    );
}

#[test]
fn the_bundled_quickstart_is_valid() {
    let (code, err) = validate("quickstart.ron", BASE);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_unknown_image_name_is_reported_where_it_is_used() {
    let text = BASE.replace(
        "image: \"contoso/orders-api:4.2\"",
        "image: \"contoso/orders-apx:4.2\"",
    );
    check(
        "img.ron",
        &text,
        "\"contoso/orders-apx:4.2\"",
        None,
        "workloads[2].template.containers[0].image: unknown image \"contoso/orders-apx:4.2\"; \
         declare it under `images`",
    );
}

#[test]
fn an_unknown_runtimeclass_is_reported() {
    let text = BASE.replace(
        "node_selector: {\"kubernetes.io/os\": \"linux\"},",
        "node_selector: {\"kubernetes.io/os\": \"linux\"}, runtime_class_name: \"gvisor\",",
    );
    check(
        "rc.ron",
        &text,
        "\"gvisor\"",
        None,
        "workloads[0].template.runtime_class_name: unknown RuntimeClass \"gvisor\"; declare it \
         under `runtime_classes`",
    );
}

#[test]
fn an_unknown_layer_is_reported() {
    let text = BASE.replace("\"iis-ltsc2022\"],", "\"iis-ltsc2O22\"],");
    check(
        "layer.ron",
        &text,
        "\"iis-ltsc2O22\"",
        None,
        "images[1].platforms[0].layers[2]: unknown layer \"iis-ltsc2O22\"; declare it under \
         `layers`",
    );
}

#[test]
fn an_unknown_preloaded_image_is_reported_on_its_pool() {
    let text = BASE.replace(
        "            count: 3,",
        "            count: 3,\n            preloaded_images: [\"busybox:1\"],",
    );
    check(
        "preload.ron",
        &text,
        "\"busybox:1\"",
        None,
        "pools[0].preloaded_images[0]: unknown image \"busybox:1\"; declare it under `images`",
    );
}

#[test]
fn a_zero_size_is_refused() {
    let text = BASE.replace("size: \"1.3GB\"", "size: \"0GB\"");
    check(
        "zero.ron",
        &text,
        "\"0GB\"",
        None,
        "layers[2].size: expected a positive layer size, e.g. \"1.3GB\"",
    );
}

#[test]
fn a_negative_size_is_refused_by_the_unit_parser() {
    let text = BASE.replace("size: \"1.3GB\"", "size: \"-1.3GB\"");
    check(
        "neg.ron",
        &text,
        // ron points at the first character inside the string.
        "-1.3GB\"",
        None,
        "expected a size such as \"3.1GB\", \"512MB\" or \"1Gi\", found \"-1.3GB\" (units: B, \
         kB, MB, GB, TB, Ki, Mi, Gi, Ti)",
    );
}

#[test]
fn a_taint_effect_that_does_not_exist_is_refused() {
    let text = BASE.replacen("effect: NoSchedule)]", "effect: NoScheduled)]", 1);
    check(
        "effect.ron",
        &text,
        "NoScheduled",
        None,
        "Unexpected variant named `NoScheduled` in enum `TaintEffect`, expected one of \
         `NoSchedule`, `PreferNoSchedule`, or `NoExecute` instead",
    );
}

#[test]
fn a_windows_pool_without_a_build_is_refused() {
    let text = BASE.replacen("            os_version: \"10.0.20348.2340\",\n", "", 1);
    check(
        "nobuild.ron",
        &text,
        "Windows",
        Some("name: \"win2022\""),
        "pools[1].os: a Windows pool needs os_version: \"10.0.BUILD.REVISION\" (e.g. \
         \"10.0.20348.2340\" for Windows Server 2022)",
    );
}

#[test]
fn a_windows_pool_version_without_revision_is_refused() {
    let text = BASE.replacen(
        "os_version: \"10.0.20348.2340\",\n            cpu",
        "os_version: \"10.0.20348\",\n            cpu",
        1,
    );
    check(
        "norev.ron",
        &text,
        "\"10.0.20348\"",
        None,
        "pools[1].os_version: expected a full Windows version `10.0.BUILD.REVISION`, found \
         \"10.0.20348\" (the revision is the monthly patch level)",
    );
}

#[test]
fn an_unknown_field_is_an_error_not_ignored() {
    let text = BASE.replacen("max_pods: 30,", "max_pods: 30, colour: \"blue\",", 1);
    let (code, err) = validate("unknown.ron", &text);
    assert_eq!(code, 2);
    let (l, c) = pos_of(&text, "colour", None);
    assert!(
        err.starts_with(&format!(
            "unknown.ron:{l}:{c}: Unexpected field named `colour` in `Pool`"
        )),
        "{err}"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let text = BASE
        .replace("size: \"1.3GB\"", "size: \"0GB\"")
        .replace("image: \"nginx:1.27\",\n", "image: \"nginx:9\",\n");
    let (code, err) = validate("many.ron", &text);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .args(["validate", "/nonexistent/x.ron"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("/nonexistent/x.ron: cannot read the scenario:"),
        "{err}"
    );
}

#[test]
fn a_csv_load_curve_is_read_relative_to_the_scenario_and_bad_rows_are_named() {
    let base = std::fs::read_to_string("scenarios/morning-peak.ron").unwrap();
    let points = r#"load: Points([("0s", 60.0), ("3h", 900.0), ("6h", 900.0), ("8h", 200.0)])"#;
    assert!(base.contains(points));
    let text = base.replace(points, r#"load: Csv("iis-load.csv")"#);
    let dir = std::env::temp_dir().join(format!("hybridsim-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The same curve as the points above, as `time_s,value` rows: 3 h = 10,800 s, etc.
    std::fs::write(
        dir.join("iis-load.csv"),
        "time_s,value\n0,60\n10800,900\n21600,900\n28800,200\n",
    )
    .unwrap();
    let p = dir.join("mp.ron");
    std::fs::write(&p, &text).unwrap();
    let from_csv = hybridsim::scenario::load(&p).expect("valid").1;
    let from_points = hybridsim::scenario::load_str(&base, "mp.ron").unwrap().1;
    let h = |s: &hybridsim::model::Spec| s.workloads[1].hpa.clone().unwrap().load;
    assert_eq!(h(&from_csv), h(&from_points));

    std::fs::write(dir.join("iis-load.csv"), "time_s,value\n0,60\nabc,3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .arg("validate")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let (l, c) = pos_of(&text, "Csv(", None);
    let csv = dir.join("iis-load.csv");
    let want = format!(
        "{}:{l}:{c}: workloads[1].hpa.load: {}:3: expected `time_s,value` with numbers, found \
         \"abc,3\"",
        p.display(),
        csv.display()
    );
    assert_eq!(err.trim_end(), want);
}

// Run size limits (issue 11 item 1). The quickstart's workloads are web (6 replicas, Scale to
// 10 at 10m), iis (3, Scale to 5) and orders-api (2); the pod estimate of a Deployment copy is
// replicas + every Scale target + the HPA maximum, so the quickstart alone counts
// (6 + 10) + (3 + 5) + 2 = 26 pods.
const LIMIT_HINT: &str = "if the machine can take it";

#[test]
fn a_workload_count_of_four_billion_is_refused_before_anything_is_allocated() {
    // This count made `validate` itself allocate 17 GB and abort. orders-api × 4,294,967,295
    // copies of 2 pods = 8,589,934,590, plus web's 16 and iis's 8 = 8,589,934,614.
    let text = BASE.replacen("replicas: 2,", "replicas: 2, count: 4294967295,", 1);
    check(
        "count.ron",
        &text,
        "4294967295",
        None,
        &format!(
            "workloads[2].count: the run would create about 8589934614 pods, above \
             limits.max_pods = 10000000; lower it, or raise the limit with `limits: (max_pods: \
             N)` {LIMIT_HINT}"
        ),
    );
}

#[test]
fn a_billion_replicas_are_refused_at_the_replicas_field() {
    // This validated and then aborted `run` with a 10 GB allocation. web: 10⁹ + its Scale to
    // 10; iis 8; orders-api 2: 1,000,000,020 pods.
    let text = BASE.replacen("replicas: 6,", "replicas: 1000000000,", 1);
    check(
        "replicas.ron",
        &text,
        "1000000000",
        None,
        &format!(
            "workloads[0].replicas: the run would create about 1000000020 pods, above \
             limits.max_pods = 10000000; lower it, or raise the limit with `limits: (max_pods: \
             N)` {LIMIT_HINT}"
        ),
    );
}

#[test]
fn a_duration_of_ten_million_days_is_refused_by_its_sample_count() {
    // 10⁷ d = 8.64 × 10¹⁴ ms; at one sample per 10 s plus the one at 0:
    // 8.64 × 10¹⁴ / 10⁴ + 1 = 86,400,000,001 samples.
    let text = BASE.replacen("duration: \"1h\"", "duration: \"10000000d\"", 1);
    check(
        "duration.ron",
        &text,
        "\"10000000d\"",
        None,
        &format!(
            "duration: the run would record 86400000001 time-series samples (duration / \
             sample_interval), above limits.max_samples = 10000000; lower it, or raise the \
             limit with `limits: (max_samples: N)` {LIMIT_HINT}"
        ),
    );
}

#[test]
fn a_one_millisecond_sample_interval_over_a_day_is_refused_at_the_interval() {
    // One day = 86,400,000 ms at 1 ms per sample, plus the sample at 0: 86,400,001. The
    // interval is below the 10 s default, so it is the field named.
    let text = BASE
        .replacen("duration: \"1h\"", "duration: \"1d\"", 1)
        .replacen("sample_interval: \"10s\"", "sample_interval: \"1ms\"", 1);
    check(
        "interval.ron",
        &text,
        "\"1ms\"",
        None,
        &format!(
            "sample_interval: the run would record 86400001 time-series samples (duration / \
             sample_interval), above limits.max_samples = 10000000; lower it, or raise the \
             limit with `limits: (max_samples: N)` {LIMIT_HINT}"
        ),
    );
}

#[test]
fn a_limits_section_raises_the_bounds() {
    // 20,000,000 web replicas are 20,000,020 pods: over the default 10 M. At 300 B per pod that
    // is about 6 GB, so the memory limit is raised too; then the file validates.
    let big = BASE.replacen("replicas: 6,", "replicas: 20000000,", 1);
    let (code, err) = validate("big.ron", &big);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("about 20000020 pods"), "{err}");
    let raised = big.replacen(
        "    sample_interval: \"10s\",",
        "    sample_interval: \"10s\",\n    limits: (max_pods: 30000000, max_memory: \"16Gi\"),",
        1,
    );
    let (code, err) = validate("raised.ron", &raised);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_events_limit_names_the_largest_source_of_events() {
    // Quickstart events estimate: 26 pods × 10 = 260, 5 nodes × 5 = 25, samples 1 h / 10 s + 1
    // = 361, no HPA, no autoscaled pool (no scans), 2 timeline actions: 648 in all. Samples
    // are the largest share, and the interval is the 10 s default, so `duration` is named.
    let text = BASE.replacen(
        "    sample_interval: \"10s\",",
        "    sample_interval: \"10s\",\n    limits: (max_events: 100),",
        1,
    );
    check(
        "events.ron",
        &text,
        "\"1h\"",
        None,
        &format!(
            "duration: the run would process about 648 events, above limits.max_events = 100; \
             lower it, or raise the limit with `limits: (max_events: N)` {LIMIT_HINT}"
        ),
    );
}

#[test]
fn an_unknown_priority_class_is_reported_where_the_template_names_it() {
    let text = BASE.replacen(
        "containers: [",
        "priority_class_name: \"gold\", containers: [",
        1,
    );
    check(
        "prio-unknown.ron",
        &text,
        "\"gold\"",
        None,
        "workloads[0].template.priority_class_name: no PriorityClass with name gold was found; declare it under `priority_classes`",
    );
}

#[test]
fn a_second_global_default_priority_class_is_refused() {
    let text = BASE.replacen(
        "workloads: [",
        "priority_classes: [(name: \"a\", value: 1, global_default: true), (name: \"b\", value: 2, global_default: true)],\n    workloads: [",
        1,
    );
    check(
        "prio-default.ron",
        &text,
        "true",
        Some("name: \"b\""),
        "priority_classes[1].global_default: PriorityClass a is already marked as default. Only one default can exist",
    );
}

#[test]
fn a_user_priority_class_above_one_billion_or_named_system_is_refused() {
    let text = BASE.replacen(
        "workloads: [",
        "priority_classes: [(name: \"big\", value: 1000000001), (name: \"system-mine\", value: 5)],\n    workloads: [",
        1,
    );
    check(
        "prio-big.ron",
        &text,
        "1000000001",
        None,
        "priority_classes[0].value: maximum allowed value of a user defined priority is 1000000000",
    );
    check(
        "prio-big.ron",
        &text,
        "\"system-mine\"",
        None,
        "priority_classes[1].name: priority class names with 'system-' prefix are reserved for system use only (the built-in classes are system-cluster-critical and system-node-critical)",
    );
}
