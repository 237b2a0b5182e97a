//! `check` as a CI gate: `--seeds` judged on the 95 % confidence interval, `--format json`,
//! `--junit FILE`, and their bad input. The plain one-seed `check` is tested in experiment.rs.
//!
//! The expected intervals are computed here by hand from the values single-seed checks measure
//! (mean, sample sd, t(0.975, 2) = 4.302653, the exact quantile behind the NIST table's 4.303), not taken from the code under
//! test, so the tests stay valid when the simulation's numbers change.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCENARIO: &str = "scenarios/taint-strategies.ron";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> (Value, Option<i32>) {
    let o = run(args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "hybridsim {args:?}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (v, o.status.code())
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// taint-strategies with its assertions replaced by `assertions`.
fn with_assertions(dir: &Path, assertions: &[String]) -> PathBuf {
    let text = std::fs::read_to_string(SCENARIO).unwrap();
    let start = text
        .find("    assertions: [")
        .expect("the scenario has assertions");
    let end = start + text[start..].find("],").unwrap() + 2;
    let list: Vec<String> = assertions.iter().map(|a| format!("{a:?}")).collect();
    let f = dir.join("gate.ron");
    let new = format!(
        "{}    assertions: [{}],{}",
        &text[..start],
        list.join(", "),
        &text[end..]
    );
    std::fs::write(&f, new).unwrap();
    f
}

/// The value a single-seed `check --seed k` measures for the assertion at `index`.
fn measured(seed: u64, index: usize) -> f64 {
    let (v, _) = json(&[
        "check",
        SCENARIO,
        "--seed",
        &seed.to_string(),
        "--format",
        "json",
    ]);
    let a = &v["targets"][0]["assertions"][index];
    assert_eq!(a["n"], 1);
    a["mean"].as_f64().unwrap()
}

/// Mean and 95 % interval by hand, for 3 values (t(0.975, 2) = 4.302653; NIST table 4.303).
fn by_hand(x: [f64; 3]) -> (f64, f64, f64, f64) {
    let mean = (x[0] + x[1] + x[2]) / 3.0;
    let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    let half = 4.302_652_73 * sd / 3f64.sqrt();
    (mean, sd, mean - half, mean + half)
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-5
}

#[test]
fn seeds_json_gives_the_mean_and_interval_of_the_single_seed_values() {
    // Assertion 0 of taint-strategies is `no ErrImagePull`, which varies by seed.
    let x = [measured(1, 0), measured(2, 0), measured(3, 0)];
    let (mean, sd, lo, hi) = by_hand(x);
    assert!(sd > 0.0, "the test needs a metric that varies: {x:?}");
    let (v, code) = json(&["check", SCENARIO, "--seeds", "1..3", "--format", "json"]);
    let a = &v["targets"][0]["assertions"][0];
    assert_eq!(a["metric"], "failures.ErrImagePull");
    assert_eq!(
        (a["op"].as_str(), a["threshold"].as_f64()),
        (Some("=="), Some(0.0))
    );
    assert_eq!(a["n"], 3);
    assert!(close(&a["mean"], mean) && close(&a["sd"], sd), "{a}");
    assert!(
        close(&a["ci"][0], lo) && close(&a["ci"][1], hi),
        "{a} vs [{lo}, {hi}]"
    );
    // A varying count cannot be `== 0` on every seed.
    assert_eq!(
        (a["judged_on"].as_str(), a["verdict"].as_str()),
        (Some("interval"), Some("fail"))
    );
    assert_eq!(v["targets"][0]["seeds"], serde_json::json!([1, 2, 3]));
    assert_eq!(v["verdict"], "fail");
    assert_eq!(code, Some(1));
    // The thread count does not change a byte.
    let one = run(&[
        "check", SCENARIO, "--seeds", "1..3", "--format", "json", "--jobs", "1",
    ]);
    let two = run(&[
        "check", SCENARIO, "--seeds", "1..3", "--format", "json", "--jobs", "2",
    ]);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn a_bound_the_mean_and_every_seed_meet_fails_when_the_interval_end_does_not() {
    let x = [measured(1, 0), measured(2, 0), measured(3, 0)];
    let (mean, _, lo, hi) = by_hand(x);
    let max = x.iter().cloned().fold(f64::MIN, f64::max);
    let min = x.iter().cloned().fold(f64::MAX, f64::min);
    // Thresholds between the extreme seed and the interval's end: every seed and the mean pass,
    // the interval's end does not. (hi > max and lo < min for three distinct-enough values.)
    let upper = (max.max(mean) + hi) / 2.0;
    let lower = (min.min(mean) + lo) / 2.0;
    assert!(
        max < upper && upper < hi && lo < lower && lower < min,
        "{x:?}"
    );
    let d = tmp("bounds");
    let f = with_assertions(
        &d,
        &[
            format!("failures.ErrImagePull < {upper}"),
            format!("failures.ErrImagePull > {lower}"),
            format!("failures.ErrImagePull < {}", hi + 0.01),
        ],
    );
    let f = f.to_str().unwrap();
    // One seed at a time, the two bounds hold (plain check, exit 0 on each seed).
    for seed in ["1", "2", "3"] {
        assert_eq!(run(&["check", f, "--seed", seed]).status.code(), Some(0));
    }
    let (v, code) = json(&["check", f, "--seeds", "1..3", "--format", "json"]);
    let a = &v["targets"][0]["assertions"];
    assert_eq!(
        (a[0]["judged_on"].as_str(), a[0]["verdict"].as_str()),
        (Some("upper"), Some("fail"))
    );
    assert_eq!(
        (a[1]["judged_on"].as_str(), a[1]["verdict"].as_str()),
        (Some("lower"), Some("fail"))
    );
    // Just above the upper end: holds.
    assert_eq!(a[2]["verdict"], "pass");
    assert_eq!(
        (v["failed"].as_u64(), v["total"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(code, Some(1));
    // The text form names the end that failed.
    let o = run(&["check", f, "--seeds", "3"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("scenario as written (seeds 1..3):"), "{text}");
    assert!(text.contains(": upper end "), "{text}");
    assert!(text.contains(": lower end "), "{text}");
    assert!(text.contains("2 of 3 assertion checks failed"), "{text}");
}

#[test]
fn junit_has_one_test_case_per_assertion_and_variant_matching_the_json_verdicts() {
    let d = tmp("junit");
    // A directory that does not exist yet: it is created.
    let xml_path = d.join("reports/report.xml");
    let (v, code) = json(&[
        "check",
        SCENARIO,
        "--variants",
        "--seeds",
        "4",
        "--format",
        "json",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    // 6 variants × 3 assertions.
    assert_eq!(report.tests, 18);
    assert_eq!(report.failures, v["failed"].as_u64().unwrap() as usize);
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(report.test_suites.len(), targets.len());
    for (suite, t) in report.test_suites.iter().zip(targets) {
        assert_eq!(
            suite.name.as_str(),
            format!("taint-strategies: {}", t["target"].as_str().unwrap())
        );
        for (case, a) in suite
            .test_cases
            .iter()
            .zip(t["assertions"].as_array().unwrap())
        {
            assert_eq!(case.name.as_str(), a["assertion"].as_str().unwrap());
            let failed = matches!(case.status, quick_junit::TestCaseStatus::NonSuccess { .. });
            assert_eq!(failed, a["verdict"] == "fail", "{}", case.name.as_str());
        }
    }
    // Written through a staging directory that is gone afterwards.
    let left: Vec<_> = std::fs::read_dir(d.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["report.xml"]);
}

#[test]
fn bad_check_options_exit_2_and_write_nothing() {
    let d = tmp("bad");
    let xml = d.join("r.xml");
    let x = xml.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["--seeds", "0", "--junit", x],
            "expected at least one seed",
        ),
        (vec!["--seeds", "3..1", "--junit", x], "the range is empty"),
        (
            vec!["--seeds", "3", "--seed", "2", "--junit", x],
            "cannot be used with",
        ),
        (
            vec!["--format", "yaml", "--junit", x],
            "invalid value 'yaml'",
        ),
        (
            vec!["--seeds", "2", "--junit", "/"],
            "--junit \"/\": expected a file name",
        ),
    ] {
        let mut all = vec!["check", SCENARIO];
        all.extend(&args);
        let o = run(&all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!xml.exists(), "{args:?} wrote a report");
    }
    // A scenario without assertions has nothing to judge.
    let f = d.join("none.ron");
    std::fs::write(
        &f,
        std::fs::read_to_string("scenarios/quickstart.ron").unwrap(),
    )
    .unwrap();
    let o = run(&["check", f.to_str().unwrap(), "--seeds", "2", "--junit", x]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no `assertions`"));
    assert!(!xml.exists());
}
