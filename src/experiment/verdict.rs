//! `check` as a CI gate across seeds: each assertion judged on the 95 % confidence interval of
//! its metric over the seeds, printed as text or JSON, and written as a JUnit XML report.
//!
//! Owns: the judgement of an assertion on an interval (`judge`), running the seeds of a
//! `check --seeds` (`check`), the JSON verdict and the JUnit report, and the few `check` options
//! that select them (`CheckCi`, flattened into the `check` subcommand so that `cli` only wires
//! it). Does not own: parsing assertions or looking metrics up (`assertions`), the interval
//! arithmetic (`stats`), the simulation, or the one-seed text output of a plain `check`
//! (`cmd::check`, which runs unchanged when none of these options is given).
//!
//! Why the interval and not the mean: a metric measured over a few seeds is noisy, and a gate
//! that passes on a lucky mean flips on the next commit. An upper-bound assertion (`<`, `<=`)
//! holds only when the upper end of the 95 % interval satisfies it, a lower-bound one (`>`, `>=`)
//! only when the lower end does: the assertion holds with 95 % confidence (one-sided 97.5 %).
//! `==` holds only when the whole interval is the value (every seed measured exactly it); `!=`
//! only when the interval excludes the value. With one seed there is no interval and the single
//! value is judged, as a plain `check` does; with zero variance the interval is the mean itself.

use super::assertions::{Assertion, Op};
use super::cmd::Outcome;
use super::stats::Estimate;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Output format of `check`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per assertion.
    #[default]
    Text,
    /// One JSON object: per assertion metric, op, threshold, mean, CI, n and verdict.
    Json,
}

/// The options of `check` that make it a CI gate
/// (docs/experiments.md#check-in-ci-across-seeds-json-junit).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CheckCi {
    /// Run these seeds and judge each assertion on its 95 % confidence interval across them:
    /// `N` (seeds 1..=N) or `A..B` (both ends included). Parsed and bounded by `cli`, which
    /// hands `check` the seed list.
    #[arg(long, conflicts_with = "seed")]
    pub seeds: Option<String>,
    /// `text` (default) or `json` (a machine-readable verdict on stdout).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write a JUnit XML report to this file, one test case per assertion.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Worker threads (default: all cores). The verdict does not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
}

impl CheckCi {
    /// None of the options given: `check` behaves exactly as before they existed.
    fn is_plain(&self) -> bool {
        self.seeds.is_none() && self.format == Format::Text && self.junit.is_none()
    }
}

fn op_str(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Eq => "==",
        Op::Ne => "!=",
    }
}

/// Which end of the interval decides.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Judged {
    /// `<`, `<=`: the upper end.
    Upper,
    /// `>`, `>=`: the lower end.
    Lower,
    /// `==`, `!=`: the whole interval.
    Interval,
}

/// The verdict on one assertion across seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    pub assertion: String,
    pub metric: String,
    pub op: &'static str,
    /// In the summary's units (seconds for durations).
    pub threshold: f64,
    /// Seeds with a value.
    pub n: usize,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// `[lo, hi]` of the 95 % interval of the mean; with one seed, `[value, value]`.
    pub ci: Option<[f64; 2]>,
    pub judged_on: Judged,
    /// Seeds on which the metric had no value (no pod of that group became Ready); any such
    /// seed fails the assertion, as it does in a one-seed check.
    pub seeds_without_value: Vec<u64>,
    pub holds: bool,
    /// `pass` or `fail`: `holds` in words, for pipelines that grep.
    pub verdict: &'static str,
}

/// Judges assertion `a` on the values it measured on `seeds` (`values[i]` on `seeds[i]`).
pub fn judge(a: &Assertion, seeds: &[u64], values: &[Option<f64>]) -> Verdict {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let missing: Vec<u64> = seeds
        .iter()
        .zip(values)
        .filter(|(_, v)| v.is_none())
        .map(|(s, _)| *s)
        .collect();
    let est = Estimate::of(&present);
    // One value: no interval; the value itself is judged. Estimate's ends are rounded to 6
    // decimals, so the judgement agrees with the printed numbers.
    let ci = match (est.lo, est.hi, est.mean) {
        (Some(lo), Some(hi), _) => Some([lo, hi]),
        (_, _, Some(m)) => Some([m, m]),
        _ => None,
    };
    let judged_on = match a.op {
        Op::Lt | Op::Le => Judged::Upper,
        Op::Gt | Op::Ge => Judged::Lower,
        Op::Eq | Op::Ne => Judged::Interval,
    };
    let t = a.value;
    let holds = missing.is_empty()
        && ci.is_some_and(|[lo, hi]| match a.op {
            Op::Lt => hi < t,
            Op::Le => hi <= t,
            Op::Gt => lo > t,
            Op::Ge => lo >= t,
            Op::Eq => lo == t && hi == t,
            Op::Ne => t < lo || t > hi,
        });
    Verdict {
        assertion: a.text.clone(),
        metric: a.metric.clone(),
        op: op_str(a.op),
        threshold: t,
        n: est.n,
        mean: est.mean,
        sd: est.sd,
        ci,
        judged_on,
        seeds_without_value: missing,
        holds,
        verdict: if holds { "pass" } else { "fail" },
    }
}

impl Verdict {
    /// Why it failed, in words; None when it holds.
    pub fn reason(&self) -> Option<String> {
        if self.holds {
            return None;
        }
        if !self.seeds_without_value.is_empty() {
            let s: Vec<String> = self
                .seeds_without_value
                .iter()
                .map(u64::to_string)
                .collect();
            return Some(format!(
                "no value on seed(s) {} (no pod of that group became Ready)",
                s.join(", ")
            ));
        }
        let Some([lo, hi]) = self.ci else {
            return Some("no value".into());
        };
        let (op, t) = (self.op, self.threshold);
        Some(match self.judged_on {
            Judged::Upper if self.n > 1 => format!("upper end {hi} is not {op} {t}"),
            Judged::Lower if self.n > 1 => format!("lower end {lo} is not {op} {t}"),
            Judged::Interval if self.n > 1 && self.op == "==" && lo == hi => {
                format!("every seed measured {lo}, not {t}")
            }
            Judged::Interval if self.n > 1 && self.op == "==" => {
                format!("the seeds disagree: interval [{lo}, {hi}] is not exactly {t}")
            }
            Judged::Interval if self.n > 1 => format!("interval [{lo}, {hi}] contains {t}"),
            _ => format!("{hi} is not {op} {t}"),
        })
    }
}

/// The verdicts of one target: the scenario as written, or one variant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetVerdict {
    /// `scenario as written` or `variant NAME`.
    pub target: String,
    /// The variant's name; null for the scenario as written.
    pub variant: Option<String>,
    pub seeds: Vec<u64>,
    pub assertions: Vec<Verdict>,
}

/// Everything `check --format json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub file: String,
    /// Confidence level of the intervals.
    pub confidence: f64,
    pub targets: Vec<TargetVerdict>,
    pub total: usize,
    pub failed: usize,
    /// `pass` when every assertion holds on every target, else `fail`.
    pub verdict: &'static str,
}

/// `1..20` for a contiguous run of seeds, else the list.
fn seeds_label(seeds: &[u64]) -> String {
    match seeds {
        [one] => format!("seed {one}"),
        [first, .., last] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("seeds {first}..{last}")
        }
        _ => {
            let s: Vec<String> = seeds.iter().map(u64::to_string).collect();
            format!("seeds {}", s.join(", "))
        }
    }
}

/// The text form: per target a header, per assertion its verdict, mean and interval.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    for t in &r.targets {
        out.push_str(&format!("{} ({}):\n", t.target, seeds_label(&t.seeds)));
        let width = t
            .assertions
            .iter()
            .map(|v| v.assertion.len())
            .max()
            .unwrap_or(0);
        for v in &t.assertions {
            // Summary keys ending in `_s` hold seconds (startup_latency_s, phases_s, …).
            let unit = if v.metric.split('.').any(|k| k.ends_with("_s")) {
                " s"
            } else {
                ""
            };
            let figures = match (v.mean, v.ci) {
                (Some(m), Some([lo, hi])) if v.n > 1 => {
                    format!("mean {m}{unit}, 95 % CI [{lo}, {hi}] (n {})", v.n)
                }
                (Some(m), _) => format!("measured {m}{unit} (1 seed, no interval)"),
                _ => "no value".into(),
            };
            let why = v.reason().map(|r| format!(": {r}")).unwrap_or_default();
            out.push_str(&format!(
                "  {} {:<width$}  {figures}{why}  [{}]\n",
                if v.holds { "ok  " } else { "FAIL" },
                v.assertion,
                v.metric
            ));
        }
    }
    if r.failed > 0 {
        out.push_str(&format!(
            "{} of {} assertion checks failed\n",
            r.failed, r.total
        ));
    } else {
        out.push_str(&format!("all {} assertion checks hold\n", r.total));
    }
    out
}

/// The JUnit form: a test suite per target, a test case per assertion (failed ones carry the
/// reason as message, the figures as description and properties).
pub fn render_junit(r: &Report) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
    let mut report = quick_junit::Report::new("hybridsim check");
    for t in &r.targets {
        let mut suite = TestSuite::new(format!("{}: {}", r.scenario, t.target));
        suite.add_property(Property::new("seeds", seeds_label(&t.seeds)));
        for v in &t.assertions {
            let figures = match (v.mean, v.ci) {
                (Some(m), Some([lo, hi])) => format!("mean {m}, 95 % CI [{lo}, {hi}], n {}", v.n),
                _ => "no value".into(),
            };
            let status = match v.reason() {
                None => TestCaseStatus::success(),
                Some(reason) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(reason)
                        .set_type("assertion")
                        .set_description(format!("{} [{}]: {figures}", v.assertion, v.metric));
                    s
                }
            };
            let mut case = TestCase::new(v.assertion.clone(), status);
            let class = match &t.variant {
                Some(name) => format!("{}.{name}", r.scenario),
                None => r.scenario.clone(),
            };
            case.set_classname(class);
            let num = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
            case.add_properties([
                Property::new("metric", v.metric.clone()),
                Property::new("op", v.op),
                Property::new("threshold", v.threshold.to_string()),
                Property::new("n", v.n.to_string()),
                Property::new("mean", num(v.mean)),
                Property::new("ci_lo", num(v.ci.map(|c| c[0]))),
                Property::new("ci_hi", num(v.ci.map(|c| c[1]))),
            ]);
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| e.to_string())
}

/// Splits `--junit FILE` into the directory and name `write_atomically` takes.
fn junit_target(path: &Path) -> Result<(PathBuf, String), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("--junit \"{}\": expected a file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_string()))
}

fn bad_input(msg: String) -> Outcome {
    Outcome {
        stderr: msg,
        code: 2,
        ..Default::default()
    }
}

/// `check FILE [--seed N] [--variants] [--seeds N|A..B] [--format text|json] [--junit FILE]`.
/// Without the last three options this is `cmd::check`, unchanged.
/// `seeds` is `ci.seeds` as the CLI parsed it.
pub fn check(
    file: &Path,
    seed: Option<u64>,
    variants: bool,
    ci: &CheckCi,
    seeds: Option<Vec<u64>>,
) -> Outcome {
    if ci.is_plain() {
        return super::cmd::check(file, seed, variants);
    }
    let junit = match ci.junit.as_deref().map(junit_target).transpose() {
        Ok(j) => j,
        Err(e) => return bad_input(format!("error: {e}")),
    };
    let loaded = match super::load(file) {
        Ok(l) => l,
        Err(e) => return bad_input(e.to_string()),
    };
    if loaded.assertions.is_empty() {
        return bad_input(format!(
            "{}: the scenario has no `assertions`; nothing to check (see docs/experiments.md)",
            file.display()
        ));
    }
    let targets: Vec<(String, Option<String>, &crate::model::Spec)> = if variants {
        loaded
            .variants
            .iter()
            .map(|v| (format!("variant {}", v.name), Some(v.name.clone()), &v.spec))
            .collect()
    } else {
        vec![("scenario as written".to_string(), None, &loaded.base)]
    };
    let target_seeds: Vec<Vec<u64>> = targets
        .iter()
        .map(|(_, _, spec)| match &seeds {
            Some(s) => s.clone(),
            None => vec![seed.unwrap_or(spec.seed)],
        })
        .collect();
    // Every (target, seed) run, in that order whatever the thread count.
    let runs: Vec<(usize, u64)> = target_seeds
        .iter()
        .enumerate()
        .flat_map(|(t, s)| s.iter().map(move |&seed| (t, seed)))
        .collect();
    let jobs = ci
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                stderr: format!("error: cannot start {jobs} worker threads: {e}"),
                code: 1,
                ..Default::default()
            };
        }
    };
    let measured: Vec<Result<Vec<Option<f64>>, String>> = pool.install(|| {
        runs.par_iter()
            .map(|&(t, seed)| {
                let (_, summary) = super::simulate(targets[t].2, seed);
                let value = serde_json::to_value(&summary).expect("summaries serialise");
                super::evaluate(&loaded.assertions, &value)
                    .map(|o| o.into_iter().map(|o| o.measured).collect())
                    // A variant may remove what an assertion names (a pool, a workload).
                    .map_err(|e| format!("{}: {}: {e}", file.display(), targets[t].0))
            })
            .collect()
    });
    let mut per_run = Vec::with_capacity(measured.len());
    for m in measured {
        match m {
            Ok(v) => per_run.push(v),
            Err(e) => return bad_input(e),
        }
    }
    let mut out_targets = Vec::new();
    let mut offset = 0;
    for ((name, variant, _), seeds) in targets.into_iter().zip(target_seeds) {
        let rows = &per_run[offset..offset + seeds.len()];
        offset += seeds.len();
        let assertions = loaded
            .assertions
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let values: Vec<Option<f64>> = rows.iter().map(|r| r[i]).collect();
                judge(a, &seeds, &values)
            })
            .collect();
        out_targets.push(TargetVerdict {
            target: name,
            variant,
            seeds,
            assertions,
        });
    }
    let total = out_targets.iter().map(|t| t.assertions.len()).sum();
    let failed = out_targets
        .iter()
        .flat_map(|t| &t.assertions)
        .filter(|v| !v.holds)
        .count();
    let report = Report {
        scenario: loaded.raw.name.clone(),
        file: file.display().to_string(),
        confidence: 0.95,
        targets: out_targets,
        total,
        failed,
        verdict: if failed > 0 { "fail" } else { "pass" },
    };
    let stdout = match ci.format {
        Format::Text => render_text(&report),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("verdicts serialise");
            s.push('\n');
            s
        }
    };
    if let Some((dir, name)) = junit {
        let xml = match render_junit(&report) {
            Ok(x) => x,
            Err(e) => {
                return Outcome {
                    stderr: format!("error: cannot render the JUnit report: {e}"),
                    code: 1,
                    ..Default::default()
                };
            }
        };
        if let Err(e) = crate::report::write_atomically(&dir, &[(name.as_str(), xml.into_bytes())])
        {
            return Outcome {
                stdout,
                stderr: format!("error: cannot write {}: {e}", dir.join(&name).display()),
                code: 1,
            };
        }
    }
    Outcome {
        stdout,
        stderr: String::new(),
        code: if failed > 0 { 1 } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::assertions::parse;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn an_upper_bound_fails_on_the_upper_end_of_the_interval_though_the_mean_passes() {
        // 10, 12, 14: mean 12, s = √((4 + 0 + 4) / 2) = 2, t(0.975, 2) = 4.302653 (NIST table
        // 4.303; exact quantile), half-width 4.302653 × 2 / √3 = 4.968275 → CI
        // [7.031725, 16.968275].
        let v = judge(
            &parse("cost.total < 16").unwrap(),
            &[1, 2, 3],
            &[Some(10.0), Some(12.0), Some(14.0)],
        );
        assert_eq!((v.n, v.mean, v.sd), (3, Some(12.0), Some(2.0)));
        let [lo, hi] = v.ci.unwrap();
        assert!(close(lo, 7.031725) && close(hi, 16.968275), "{lo} {hi}");
        assert_eq!(v.judged_on, Judged::Upper);
        assert!(!v.holds, "mean 12 < 16 but the upper end 16.97 is not");
        assert_eq!(
            v.reason().unwrap(),
            "upper end 16.968275 is not < 16",
            "the reason names the end that failed"
        );
        // The same values hold `< 17`: 16.968275 < 17.
        let v = judge(
            &parse("cost.total < 17").unwrap(),
            &[1, 2, 3],
            &[Some(10.0), Some(12.0), Some(14.0)],
        );
        assert!(v.holds);
    }

    #[test]
    fn a_lower_bound_is_judged_on_the_lower_end() {
        // Same interval [7.031725, 16.968275]: `> 7` holds (7.03 > 7), `> 8` does not, though
        // the mean 12 is above 8.
        let vals = [Some(10.0), Some(12.0), Some(14.0)];
        let seeds = [1, 2, 3];
        let v = judge(&parse("pods.ready > 7").unwrap(), &seeds, &vals);
        assert!(v.holds && v.judged_on == Judged::Lower);
        let v = judge(&parse("pods.ready >= 8").unwrap(), &seeds, &vals);
        assert!(!v.holds);
        assert_eq!(v.reason().unwrap(), "lower end 7.031725 is not >= 8");
    }

    #[test]
    fn zero_variance_gives_the_mean_as_the_interval_and_equality_needs_every_seed_equal() {
        // Four seeds of 0: s = 0, half-width 0, CI [0, 0]: `== 0` holds, `< 0` does not.
        let seeds = [1, 2, 3, 4];
        let zeros = [Some(0.0); 4];
        let v = judge(&parse("no ErrImagePull").unwrap(), &seeds, &zeros);
        assert_eq!(v.ci, Some([0.0, 0.0]));
        assert!(v.holds);
        assert!(!judge(&parse("failures.X < 0").unwrap(), &seeds, &zeros).holds);
        // 0, 0, 0, 1: mean 0.25, s = 0.5, half-width 3.182 × 0.5 / 2 = 0.7955 → [-0.5455,
        // 1.0455]; `== 0` fails (the seeds disagree) and `!= 0` fails (0 is inside).
        let mixed = [Some(0.0), Some(0.0), Some(0.0), Some(1.0)];
        let v = judge(&parse("no ErrImagePull").unwrap(), &seeds, &mixed);
        assert!(!v.holds);
        let [lo, hi] = v.ci.unwrap();
        assert!(close(lo, -0.5455) && close(hi, 1.0455), "{lo} {hi}");
        assert!(!judge(&parse("failures.X != 0").unwrap(), &seeds, &mixed).holds);
        // 5, 5, 5, 5: CI [5, 5] excludes 0, so `!= 0` holds.
        assert!(judge(&parse("failures.X != 0").unwrap(), &seeds, &[Some(5.0); 4]).holds);
    }

    #[test]
    fn one_seed_judges_its_single_value_as_a_plain_check_does() {
        // No interval with n = 1: the value 850 is both ends; `< 900` holds, `< 800` fails.
        let v = judge(
            &parse("windows p99 startup < 15m").unwrap(),
            &[7],
            &[Some(850.0)],
        );
        assert_eq!((v.n, v.ci, v.sd), (1, Some([850.0, 850.0]), None));
        assert!(v.holds);
        let v = judge(
            &parse("windows p99 startup < 800s").unwrap(),
            &[7],
            &[Some(850.0)],
        );
        assert_eq!(v.reason().unwrap(), "850 is not < 800");
    }

    #[test]
    fn a_seed_without_a_value_fails_the_assertion_and_is_named() {
        // Seed 2 has no Windows pod Ready (null p99): the SLO is not met on that seed, whatever
        // the other seeds measured. The interval is still that of the seeds with a value.
        let v = judge(
            &parse("windows p99 startup < 15m").unwrap(),
            &[1, 2, 3],
            &[Some(100.0), None, Some(100.0)],
        );
        assert!(!v.holds);
        assert_eq!((v.n, v.seeds_without_value.as_slice()), (2, &[2u64][..]));
        assert!(v.reason().unwrap().starts_with("no value on seed(s) 2"));
    }

    #[test]
    fn seed_labels_show_ranges_compactly() {
        assert_eq!(seeds_label(&[4]), "seed 4");
        assert_eq!(seeds_label(&[1, 2, 3]), "seeds 1..3");
        assert_eq!(seeds_label(&[1, 3]), "seeds 1, 3");
    }
}
