//! Scenario assertions (SLOs) and their evaluation against a run's `summary.json`.
//!
//! Owns: the assertion grammar, resolving a metric path in the summary, and the verdict.
//! Does not own: running scenarios (`experiment`) or printing (`cli`).
//!
//! Grammar (docs/experiments.md): `METRIC OP VALUE[UNIT]`, where METRIC is a dotted path into
//! summary.json (`startup_latency_s.windows.p99`, `failures.ErrImagePull`, `cost.total`,
//! `demand.iis.unserved_fraction`), OP one of `<` `<=` `>` `>=` `==` `!=`, and VALUE a number
//! with an optional duration unit `ms`, `s`, `m`/`min` or `h`, converted to seconds (summary
//! durations are seconds). Two friendly forms are accepted as well:
//! `[all|linux|windows] p50|p90|p95|p99|max|mean startup OP VALUE` for
//! `startup_latency_s.OS.STAT`, and `no REASON` for `failures.REASON == 0`.

use serde_json::Value;
use std::fmt;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
    /// Whether `measured OP limit` holds. Equality is exact: summary values are printed from
    /// integers (milliseconds, counts) and rounded to 3 decimals, so `==` on them is safe.
    fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
            Op::Eq => measured == limit,
            Op::Ne => measured != limit,
        }
    }
}

/// A parsed assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// As written in the scenario.
    pub text: String,
    /// Dotted path into summary.json.
    pub metric: String,
    pub op: Op,
    /// In the summary's units (seconds for durations).
    pub value: f64,
}

impl fmt::Display for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const OS: [&str; 3] = ["all", "linux", "windows"];
const STATS: [&str; 6] = ["p50", "p90", "p95", "p99", "max", "mean"];

fn parse_number(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = (t[..split].trim(), t[split..].trim());
    let x: f64 = num
        .parse()
        .map_err(|_| format!("expected a number, found \"{t}\""))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit \"{other}\" in \"{t}\"; use ms, s, m or h (durations are compared \
                 in seconds), or no unit"
            ));
        }
    };
    if !x.is_finite() {
        return Err(format!("expected a finite number, found \"{t}\""));
    }
    Ok(x * scale)
}

/// Finds the operator: the first of `<=`, `>=`, `==`, `!=`, `<`, `>` in the text.
fn split_op(text: &str) -> Option<(&str, Op, &str)> {
    let b = text.as_bytes();
    for i in 0..b.len() {
        let two = if i + 1 < b.len() { &text[i..i + 2] } else { "" };
        let (op, len) = match two {
            "<=" => (Op::Le, 2),
            ">=" => (Op::Ge, 2),
            "==" => (Op::Eq, 2),
            "!=" => (Op::Ne, 2),
            _ => match b[i] {
                b'<' => (Op::Lt, 1),
                b'>' => (Op::Gt, 1),
                _ => continue,
            },
        };
        return Some((&text[..i], op, &text[i + len..]));
    }
    None
}

/// Parses one assertion. Errors say what was expected.
pub fn parse(text: &str) -> Result<Assertion, String> {
    let t = text.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() == 2 && words[0] == "no" {
        return Ok(Assertion {
            text: t.to_string(),
            metric: format!("failures.{}", words[1]),
            op: Op::Eq,
            value: 0.0,
        });
    }
    let Some((lhs, op, rhs)) = split_op(t) else {
        return Err(format!(
            "assertion \"{t}\": expected `METRIC OP VALUE` with OP one of < <= > >= == !=, \
             e.g. \"startup_latency_s.windows.p99 < 300s\" or \"windows p99 startup < 5m\""
        ));
    };
    let lhs_words: Vec<&str> = lhs.split_whitespace().collect();
    let metric = match lhs_words.as_slice() {
        [m] => m.to_string(),
        [stat, "startup"] if STATS.contains(stat) => format!("startup_latency_s.all.{stat}"),
        [os, stat, "startup"] if OS.contains(os) && STATS.contains(stat) => {
            format!("startup_latency_s.{os}.{stat}")
        }
        [] => {
            return Err(format!(
                "assertion \"{t}\": expected a metric before `{}`",
                op.as_str()
            ));
        }
        _ => {
            return Err(format!(
                "assertion \"{t}\": expected a metric path such as `failures.ErrImagePull`, or \
                 `[all|linux|windows] p50|p90|p95|p99|max|mean startup`, found \"{}\"",
                lhs.trim()
            ));
        }
    };
    let value = parse_number(rhs).map_err(|e| format!("assertion \"{t}\": {e}"))?;
    Ok(Assertion {
        text: t.to_string(),
        metric,
        op,
        value,
    })
}

/// The assertions that bound a startup-latency statistic from above, as the CDF plots draw
/// them: `[apps.]startup_latency_s.OS.STAT` with `<` or `<=`. A lower bound on a latency or
/// an equality is not an SLO a CDF can show, and other metrics have no latency axis.
pub fn slo_lines(assertions: &[Assertion]) -> Vec<crate::report::SloLine> {
    assertions
        .iter()
        .filter(|a| matches!(a.op, Op::Lt | Op::Le))
        .filter_map(|a| {
            let path = a.metric.strip_prefix("apps.").unwrap_or(&a.metric);
            let rest = path.strip_prefix("startup_latency_s.")?;
            let (os, stat) = rest.split_once('.')?;
            (OS.contains(&os) && STATS.contains(&stat)).then(|| crate::report::SloLine {
                assertion: a.text.clone(),
                os: os.to_string(),
                stat: stat.to_string(),
                seconds: a.value,
            })
        })
        .collect()
}

/// Looks up a dotted path in a summary's JSON. Keys may themselves contain dots (workload
/// names can): at each level the longest run of segments that names a key wins.
pub fn lookup<'v>(summary: &'v Value, metric: &str) -> Result<&'v Value, String> {
    let segs: Vec<&str> = metric.split('.').collect();
    let mut cur = summary;
    let mut i = 0;
    while i < segs.len() {
        let obj = cur.as_object().ok_or_else(|| {
            format!(
                "unknown metric \"{metric}\": `{}` is a value, not a group",
                segs[..i].join(".")
            )
        })?;
        let mut found = None;
        for j in (i + 1..=segs.len()).rev() {
            if let Some(v) = obj.get(&segs[i..j].join(".")) {
                found = Some((v, j));
                break;
            }
        }
        match found {
            Some((v, j)) => {
                cur = v;
                i = j;
            }
            None => {
                let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                let at = if i == 0 {
                    "summary.json".to_string()
                } else {
                    format!("`{}`", segs[..i].join("."))
                };
                return Err(format!(
                    "unknown metric \"{metric}\": {at} has no `{}`; it has: {}",
                    segs[i],
                    keys.join(", ")
                ));
            }
        }
    }
    if cur.is_object() || cur.is_array() {
        return Err(format!(
            "metric \"{metric}\" is a group, not a number; add one of its keys, e.g. \
             \"{metric}.{}\"",
            cur.as_object()
                .and_then(|o| o.keys().next().cloned())
                .unwrap_or_default()
        ));
    }
    if !(cur.is_number() || cur.is_null()) {
        return Err(format!("metric \"{metric}\" is not a number"));
    }
    Ok(cur)
}

/// The verdict on one assertion for one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub assertion: Assertion,
    /// None when the statistic has no value (e.g. no Windows pod became Ready).
    pub measured: Option<f64>,
    pub holds: bool,
}

/// Evaluates an assertion against a summary. A statistic without a value (null: no pod in that
/// group became Ready) violates the assertion: an SLO on pods that never started is not met.
pub fn evaluate(a: &Assertion, summary: &Value) -> Result<Outcome, String> {
    let v = lookup(summary, &a.metric)?;
    let measured = v.as_f64();
    Ok(Outcome {
        assertion: a.clone(),
        measured,
        holds: measured.is_some_and(|m| a.op.holds(m, a.value)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_upper_bounds_on_a_startup_statistic_become_slo_lines() {
        let a: Vec<Assertion> = [
            // Friendly form: 5 m = 300 s on the Windows panel.
            "windows p99 startup < 5m",
            // Path form with the compare-only `apps.` prefix, `<=`, 90 s on every pod.
            "apps.startup_latency_s.all.p50 <= 90s",
            // A lower bound on a latency, an equality, and a non-latency metric: no line.
            "linux p90 startup > 1s",
            "startup_latency_s.linux.max == 10",
            "no ErrImagePull",
            "cost.total < 100",
        ]
        .iter()
        .map(|t| parse(t).unwrap())
        .collect();
        let lines = slo_lines(&a);
        let got: Vec<(&str, &str, f64, Option<f64>)> = lines
            .iter()
            .map(|l| (l.os.as_str(), l.stat.as_str(), l.seconds, l.fraction()))
            .collect();
        // p99 → the curve must reach 99/100; p50 → 50/100.
        assert_eq!(
            got,
            vec![
                ("windows", "p99", 300.0, Some(0.99)),
                ("all", "p50", 90.0, Some(0.5)),
            ]
        );
    }

    #[test]
    fn a_max_slo_targets_every_pod_and_a_mean_slo_no_fraction() {
        let a: Vec<Assertion> = ["max startup < 10m", "windows mean startup <= 2m"]
            .iter()
            .map(|t| parse(t).unwrap())
            .collect();
        let f: Vec<(f64, Option<f64>)> = slo_lines(&a)
            .iter()
            .map(|l| (l.seconds, l.fraction()))
            .collect();
        // max: every Ready pod by 600 s, fraction 1; mean: a CDF shows no mean.
        assert_eq!(f, vec![(600.0, Some(1.0)), (120.0, None)]);
    }

    #[test]
    fn the_three_forms_parse_to_a_metric_path_in_seconds() {
        let a = parse("windows p99 startup < 5m").unwrap();
        assert_eq!(
            (a.metric.as_str(), a.op, a.value),
            ("startup_latency_s.windows.p99", Op::Lt, 300.0)
        );
        let a = parse("p50 startup <= 90s").unwrap();
        assert_eq!(a.metric, "startup_latency_s.all.p50");
        let a = parse("failures.ErrImagePull == 0").unwrap();
        assert_eq!((a.op, a.value), (Op::Eq, 0.0));
        let a = parse("cost.total>=1.5").unwrap();
        assert_eq!(
            (a.metric.as_str(), a.op, a.value),
            ("cost.total", Op::Ge, 1.5)
        );
        let a = parse("no CreateContainerError").unwrap();
        assert_eq!(a.metric, "failures.CreateContainerError");
        assert!(parse("windows p99 startup 300s").is_err());
        assert!(parse("cost.total < 3 dollars").is_err());
        assert!(parse("solaris p99 startup < 3s").is_err());
    }

    #[test]
    fn lookup_accepts_keys_with_dots_and_rejects_groups() {
        let v: Value =
            serde_json::json!({"workloads": {"api.v2": {"ready": 3}}, "cost": {"total": 1.0}});
        assert_eq!(
            lookup(&v, "workloads.api.v2.ready").unwrap(),
            &Value::from(3)
        );
        assert!(lookup(&v, "cost").unwrap_err().contains("group"));
        assert!(lookup(&v, "cost.totl").unwrap_err().contains("has: total"));
    }
}
