//! The outputs of a compare or sweep: `compare.csv` (one row per run), `compare.json`
//! (aggregates per group), `startup_cdf.csv` (pooled startup distribution per group) and the
//! ranked console table.
//!
//! Owns: column layout, aggregation, ranking and number formatting of those outputs (schemas in
//! docs/outputs.md). Does not own: running (`experiment`), writing files (`report`), plots.
//!
//! Everything here is a pure function of the plan metadata and the run records in plan order,
//! which is what makes a merge of shards byte-identical to a single run: both call `files`.

use super::stats::Estimate;
use super::{PlanMeta, PodSample, RunRecord};
use crate::report::plots::{self, CompareData, CompareGroup};
use crate::report::rows::VariantSeries;
use crate::report::{CompareRow, CompareTable, Fixed6, Metric, Secs, StartupCdf, StartupCdfRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;

/// Ranking, best first: fewest Deployment pods never Ready, then the lowest mean startup of the
/// Deployment pods that became Ready, then the lowest p99. All lower-is-better, on the means
/// over seeds; a missing value ranks last, and full ties keep the plan order. The mean comes
/// before p99 because with a few dozen pods per run p99 is the slowest single pod, which a
/// strategy rarely changes (a pod waiting for a new node pays the same pull whatever ran
/// before), while the mean counts every pod.
pub const RANK_BY: [&str; 3] = [
    "apps.never_ready",
    "apps.startup_latency_s.all.mean",
    "apps.startup_latency_s.all.p99",
];

/// Every metric column: the union over all runs (variants may add workloads or pools, and with
/// them columns; a run without one leaves the cell empty). The `apps.*` figures come first in
/// their fixed order, then summary.json's keys sorted path segment by segment, so the header
/// depends only on the scenarios, never on which runs a shard or a seed range happened to hold.
pub fn columns(records: &[RunRecord]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut cols = Vec::new();
    for r in records {
        for (k, _) in &r.metrics {
            if seen.insert(k.as_str()) {
                cols.push(k.clone());
            }
        }
    }
    let apps_rank = |c: &str| super::APP_COLUMNS.iter().position(|a| *a == c);
    cols.sort_by(|a, b| match (apps_rank(a), apps_rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.split('.').cmp(b.split('.')),
    });
    cols
}

/// `compare.csv`: variant, seed, swept values, then every metric; one row per run.
pub fn compare_table(meta: &PlanMeta, records: &[RunRecord]) -> CompareTable {
    let metrics = columns(records);
    let rows = records
        .iter()
        .map(|r| {
            let (g, seed) = meta.at(r.index);
            let m: BTreeMap<&str, Option<f64>> =
                r.metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            CompareRow {
                variant: meta.groups[g].variant.clone(),
                seed,
                params: meta.groups[g].params.clone(),
                metrics: metrics
                    .iter()
                    .map(|c| Metric(m.get(c.as_str()).copied().flatten()))
                    .collect(),
            }
        })
        .collect();
    CompareTable {
        params: meta.params.clone(),
        metrics,
        rows,
    }
}

/// Whether a metric goes into compare.json: the figures a comparison is read by. The CSV keeps
/// every metric; aggregating all of them (phases, per-pool provisioning percentiles, …) would
/// make the JSON ten times larger for little use.
pub fn aggregated(metric: &str) -> bool {
    let parts: Vec<&str> = metric.split('.').collect();
    let last = parts.last().copied().unwrap_or("");
    let stat = matches!(last, "mean" | "p50" | "p90" | "p99");
    match parts[0] {
        "apps" if parts.get(1) == Some(&"startup_latency_s") => stat,
        "startup_latency_s" => stat,
        "apps" | "failures" | "cost" | "unschedulable_then_bound" => true,
        "pods" => matches!(
            last,
            "created" | "ready" | "pending_at_end" | "failed" | "rejected"
        ),
        "nodes" => matches!(last, "node_hours" | "cost"),
        "demand" => last == "unserved_fraction",
        _ => false,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricAgg {
    #[serde(flatten)]
    pub est: Estimate,
    /// Paired difference to the baseline group; absent on the baseline itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<Estimate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupAgg {
    pub label: String,
    pub variant: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    pub rank: usize,
    pub runs: usize,
    pub metrics: BTreeMap<String, MetricAgg>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub by: Vec<String>,
    /// Group labels, best first.
    pub order: Vec<String>,
}

/// `compare.json`; read back by `plot DIR`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aggregates {
    pub scenario: String,
    pub scenario_hash: String,
    pub seeds: Vec<u64>,
    pub params: Vec<String>,
    pub runs: usize,
    pub confidence: f64,
    pub interval: String,
    pub difference: String,
    pub baseline: String,
    pub ranking: Ranking,
    pub groups: Vec<GroupAgg>,
    /// The scenario's startup-latency SLOs (`PlanMeta::slo`), redrawn by `plot DIR`.
    /// Omitted when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<crate::report::SloLine>,
}

/// Per group, per metric: the value of each seed (None where the run had no value).
fn by_group(meta: &PlanMeta, records: &[RunRecord], cols: &[String]) -> Vec<Vec<Vec<Option<f64>>>> {
    let n = meta.seeds.len();
    let mut v = vec![vec![vec![None; n]; cols.len()]; meta.groups.len()];
    let pos: BTreeMap<&str, usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    for r in records {
        let (g, s) = (r.index / n, r.index % n);
        for (k, x) in &r.metrics {
            if let Some(&c) = pos.get(k.as_str()) {
                v[g][c][s] = *x;
            }
        }
    }
    v
}

/// Aggregates over seeds with intervals at `confidence` (0 < confidence < 1).
pub fn aggregate(meta: &PlanMeta, records: &[RunRecord], confidence: f64) -> Aggregates {
    let cols: Vec<String> = columns(records)
        .into_iter()
        .filter(|c| aggregated(c))
        .collect();
    let vals = by_group(meta, records, &cols);
    let mut groups: Vec<GroupAgg> = meta
        .groups
        .iter()
        .enumerate()
        .map(|(g, gm)| {
            let metrics = cols
                .iter()
                .enumerate()
                .map(|(c, name)| {
                    let present: Vec<f64> = vals[g][c].iter().flatten().copied().collect();
                    let diff =
                        (g > 0).then(|| Estimate::paired_at(&vals[g][c], &vals[0][c], confidence));
                    (
                        name.clone(),
                        MetricAgg {
                            est: Estimate::at(&present, confidence),
                            diff,
                        },
                    )
                })
                .collect();
            GroupAgg {
                label: meta.label(g),
                variant: gm.variant.clone(),
                description: gm.description.clone(),
                params: meta
                    .params
                    .iter()
                    .cloned()
                    .zip(gm.params.iter().cloned())
                    .collect(),
                rank: 0,
                runs: meta.seeds.len(),
                metrics,
            }
        })
        .collect();
    let key = |g: &GroupAgg| -> Vec<f64> {
        RANK_BY
            .iter()
            .map(|m| {
                g.metrics
                    .get(*m)
                    .and_then(|a| a.est.mean)
                    .unwrap_or(f64::INFINITY)
            })
            .collect()
    };
    let mut order: Vec<usize> = (0..groups.len()).collect();
    // Stable sort: equal keys keep the plan order.
    order.sort_by(|&a, &b| {
        key(&groups[a])
            .partial_cmp(&key(&groups[b]))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for (r, &g) in order.iter().enumerate() {
        groups[g].rank = r + 1;
    }
    Aggregates {
        scenario: meta.scenario.clone(),
        scenario_hash: meta.scenario_hash.clone(),
        seeds: meta.seeds.clone(),
        params: meta.params.clone(),
        runs: meta.runs(),
        confidence,
        interval: format!(
            "mean ± t({}, n-1) × sd / sqrt(n) over the seeds with a value (Student t)",
            super::stats::upper_probability(confidence)
        ),
        difference: "paired by seed: group − baseline over the seeds where both have a value, \
                     with the same interval on the differences"
            .into(),
        baseline: meta.label(0),
        ranking: Ranking {
            by: RANK_BY
                .iter()
                .map(|m| format!("{m} (lower first)"))
                .collect(),
            order: order.iter().map(|&g| meta.label(g)).collect(),
        },
        groups,
        slo: meta.slo.clone(),
    }
}

pub fn compare_json(agg: &Aggregates) -> io::Result<Vec<u8>> {
    let v = serde_json::to_value(agg).map_err(io::Error::other)?;
    let mut out = String::new();
    pretty(&v, 0, &mut out);
    out.push('\n');
    Ok(out.into_bytes())
}

/// Indented JSON that keeps small objects and lists on one line (one line per metric, the seed
/// list on one line): a third the length of fully expanded JSON and easier to read. Key order
/// is the map's (sorted), so the text is deterministic.
fn pretty(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let compact = v.to_string();
    let fits = compact.len() + indent <= 100;
    match v {
        Value::Object(m) if !fits && !m.is_empty() => {
            out.push_str("{\n");
            for (i, (k, x)) in m.iter().enumerate() {
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                pretty(x, indent + 2, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
        }
        Value::Array(a) if !fits && !a.is_empty() && a.iter().any(|x| x.is_object()) => {
            out.push_str("[\n");
            for (i, x) in a.iter().enumerate() {
                out.push_str(&" ".repeat(indent + 2));
                pretty(x, indent + 2, out);
                out.push_str(if i + 1 < a.len() { ",\n" } else { "\n" });
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
        }
        _ => out.push_str(&compact),
    }
}

/// Most distinct latencies a CDF keeps per group and OS before it is thinned to quantiles.
const CDF_MAX_POINTS: usize = 1000;

/// `startup_cdf.csv`: for each group and OS (all, linux, windows), the pooled created → Ready
/// latencies of Deployment pods over every seed, as (latency, fraction of the group's pods
/// Ready by then). The denominator includes pods that never became Ready, so a strategy that
/// leaves pods stuck plateaus below 1.
pub fn startup_cdf(meta: &PlanMeta, records: &[RunRecord]) -> StartupCdf {
    let mut cdf = StartupCdf {
        params: meta.params.clone(),
        rows: Vec::new(),
    };
    let n = meta.seeds.len();
    for (g, gm) in meta.groups.iter().enumerate() {
        let runs: Vec<&PodSample> = records
            .iter()
            .filter(|r| r.index / n == g)
            .map(|r| &r.pods)
            .collect();
        for os in ["all", "linux", "windows"] {
            let mut ready: Vec<u64> = Vec::new();
            let mut total = 0u64;
            for p in &runs {
                let (l, w, nr) = (&p.linux_ms, &p.windows_ms, &p.not_ready);
                match os {
                    "linux" => {
                        ready.extend(l);
                        total += l.len() as u64 + nr[0];
                    }
                    "windows" => {
                        ready.extend(w);
                        total += w.len() as u64 + nr[1];
                    }
                    _ => {
                        ready.extend(l);
                        ready.extend(w);
                        total += (l.len() + w.len()) as u64 + nr.iter().sum::<u64>();
                    }
                }
            }
            if total == 0 {
                continue;
            }
            ready.sort_unstable();
            // One point per distinct latency: the fraction of pods Ready at or before it.
            let mut points: Vec<(u64, usize)> = Vec::new();
            for (i, &v) in ready.iter().enumerate() {
                match points.last_mut() {
                    Some(last) if last.0 == v => last.1 = i + 1,
                    _ => points.push((v, i + 1)),
                }
            }
            if points.len() > CDF_MAX_POINTS {
                // Thin to nearest-rank quantiles k/1000 of the Ready pods (deterministic).
                let len = ready.len();
                let mut thin: Vec<(u64, usize)> = Vec::with_capacity(CDF_MAX_POINTS);
                for k in 1..=CDF_MAX_POINTS {
                    let rank = (k * len).div_ceil(CDF_MAX_POINTS).max(1);
                    let v = ready[rank - 1];
                    let upto = ready.partition_point(|&x| x <= v);
                    if thin.last().map(|t| t.0) != Some(v) {
                        thin.push((v, upto));
                    }
                }
                points = thin;
            }
            cdf.rows
                .extend(points.into_iter().map(|(v, upto)| StartupCdfRow {
                    variant: gm.variant.clone(),
                    params: gm.params.clone(),
                    os: os.to_string(),
                    latency_s: Secs(v),
                    fraction: Fixed6::new(upto as f64 / total as f64),
                    pods: total,
                }));
        }
    }
    cdf
}

/// Output files as (name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// What the plots need of the aggregates.
pub fn plot_data(agg: &Aggregates) -> CompareData {
    CompareData {
        scenario: agg.scenario.clone(),
        seeds: agg.seeds.len(),
        params: agg.params.clone(),
        confidence: agg.confidence,
        slo: agg.slo.clone(),
        groups: agg
            .groups
            .iter()
            .map(|g| CompareGroup {
                variant: g.variant.clone(),
                params: g.params.clone(),
                means: g
                    .metrics
                    .iter()
                    .map(|(k, m)| (k.clone(), m.est.mean))
                    .collect(),
            })
            .collect(),
    }
}

/// Every file of a compare or sweep, in a fixed order, and with `plots` the plots drawn from
/// the same tables in memory. An error says which step failed.
pub fn files(
    meta: &PlanMeta,
    records: &[RunRecord],
    plots: bool,
    confidence: f64,
) -> io::Result<(Aggregates, Files)> {
    let agg = aggregate(meta, records, confidence);
    let cdf = startup_cdf(meta, records);
    let series = super::series::aggregate(meta, records, confidence);
    let render = |e: io::Error| io::Error::new(e.kind(), format!("cannot render outputs: {e}"));
    let mut files = vec![
        (
            CompareTable::FILE.to_string(),
            compare_table(meta, records).write().map_err(render)?,
        ),
        (
            "compare.json".to_string(),
            compare_json(&agg).map_err(render)?,
        ),
        (StartupCdf::FILE.to_string(), cdf.write().map_err(render)?),
        (
            VariantSeries::FILE.to_string(),
            series.write().map_err(render)?,
        ),
    ];
    if plots {
        let p = plots::compare_plots(&plot_data(&agg), &cdf, Some(&series))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot draw plots: {e}")))?;
        files.extend(p.into_iter().map(|(n, b)| (n.to_string(), b)));
    }
    Ok((agg, files))
}

/// Redraws the plots of a compare or sweep directory from compare.json and startup_cdf.csv,
/// read through `Aggregates` and `StartupCdf`.
pub fn plot_dir(dir: &std::path::Path) -> io::Result<plots::PlotFiles> {
    let invalid = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let agg: Aggregates = serde_json::from_slice(&plots::read_output(dir, "compare.json")?)
        .map_err(|e| invalid(format!("compare.json: {e}")))?;
    let cdf = StartupCdf::read(&plots::read_output(dir, StartupCdf::FILE)?).map_err(invalid)?;
    // Directories written before the per-variant series existed have no file: no timeline.
    let series = if dir.join(VariantSeries::FILE).is_file() {
        Some(VariantSeries::read(&plots::read_output(dir, VariantSeries::FILE)?).map_err(invalid)?)
    } else {
        None
    };
    plots::compare_plots(&plot_data(&agg), &cdf, series.as_ref())
}

/// A row of the console table: label, metric, decimals.
const ROWS: [(&str, &str, usize); 12] = [
    ("Deployment pods never Ready", "apps.never_ready", 2),
    ("pods pending at end (all)", "pods.pending_at_end", 2),
    (
        "startup mean, all (s)",
        "apps.startup_latency_s.all.mean",
        1,
    ),
    ("startup p50, all (s)", "apps.startup_latency_s.all.p50", 1),
    ("startup p90, all (s)", "apps.startup_latency_s.all.p90", 1),
    ("startup p99, all (s)", "apps.startup_latency_s.all.p99", 1),
    (
        "startup p50, linux (s)",
        "apps.startup_latency_s.linux.p50",
        1,
    ),
    (
        "startup p99, linux (s)",
        "apps.startup_latency_s.linux.p99",
        1,
    ),
    (
        "startup p50, windows (s)",
        "apps.startup_latency_s.windows.p50",
        1,
    ),
    (
        "startup p90, windows (s)",
        "apps.startup_latency_s.windows.p90",
        1,
    ),
    (
        "startup p99, windows (s)",
        "apps.startup_latency_s.windows.p99",
        1,
    ),
    ("cost total", "cost.total", 2),
];

fn mean_of(g: &GroupAgg, m: &str) -> Option<f64> {
    g.metrics.get(m).and_then(|a| a.est.mean)
}

fn diff_text(a: Option<&MetricAgg>, decimals: usize) -> String {
    match a.and_then(|a| a.diff.as_ref()) {
        None => String::new(),
        Some(d) => match (d.mean, d.ci95) {
            (None, _) => "-".into(),
            (Some(m), None) => format!("{m:+.decimals$}"),
            (Some(m), Some(h)) => format!("{m:+.decimals$} ± {h:.decimals$}"),
        },
    }
}

/// The ranked console table: a ranking summary, then one block per group in rank order with
/// failures by reason and startup percentiles, mean ± CI (at `agg.confidence`), and the paired difference to
/// the baseline.
pub fn render(agg: &Aggregates) -> String {
    let mut out = String::new();
    let n = agg.seeds.len();
    // 0.95 → "95", 0.995 → "99.5": the level as a percentage with the digits it has.
    let level = (agg.confidence * 1e10).round() / 1e8;
    let seeds = match (agg.seeds.first(), agg.seeds.last()) {
        (Some(a), Some(b)) if n > 1 => format!("seeds {a}..{b}"),
        (Some(a), _) => format!("seed {a}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{}: {} group{} × {} seed{} ({seeds}) = {} run{}; mean ± {level} % CI over seeds (Student t)",
        agg.scenario,
        agg.groups.len(),
        if agg.groups.len() == 1 { "" } else { "s" },
        n,
        if n == 1 { "" } else { "s" },
        agg.runs,
        if agg.runs == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "Δ = paired difference to the baseline \"{}\" over the same seeds",
        agg.baseline
    );
    let _ = writeln!(
        out,
        "ranked by: fewest Deployment pods never Ready, then lowest mean startup, then lowest \
         p99 startup (Deployment pods; DaemonSet pods are left out)"
    );
    let _ = writeln!(out);
    let mut order: Vec<&GroupAgg> = agg.groups.iter().collect();
    order.sort_by_key(|g| g.rank);
    let width = order
        .iter()
        .map(|g| g.label.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "rank  {:<width$}  {:>14}  {:>18}  {:>18}  {:>18}  {:>12}",
        "variant", "never Ready", "mean startup (s)", "p99 startup (s)", "p99 windows (s)", "cost"
    );
    for g in &order {
        let e = |m: &str, d: usize| {
            g.metrics
                .get(m)
                .map(|a| a.est.show(d))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<width$}  {:>14}  {:>18}  {:>18}  {:>18}  {:>12}",
            g.rank,
            g.label,
            e("apps.never_ready", 2),
            e("apps.startup_latency_s.all.mean", 1),
            e("apps.startup_latency_s.all.p99", 1),
            e("apps.startup_latency_s.windows.p99", 1),
            e("cost.total", 2),
        );
    }
    // Failure reasons that occurred in any group, in the summary's order.
    let reasons: Vec<String> = agg
        .groups
        .first()
        .map(|g| {
            g.metrics
                .keys()
                .filter(|k| k.starts_with("failures."))
                .filter(|k| {
                    agg.groups
                        .iter()
                        .any(|g| mean_of(g, k).is_some_and(|m| m > 0.0))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for g in &order {
        let _ = writeln!(out);
        let desc = if g.description.is_empty() {
            String::new()
        } else {
            format!(" — {}", g.description)
        };
        let _ = writeln!(out, "#{} {}{desc}", g.rank, g.label);
        let _ = writeln!(
            out,
            "  {:<34} {:>20}  {:>20}",
            "metric",
            format!("mean ± {level}% CI"),
            if g.label == agg.baseline {
                "(baseline)".to_string()
            } else {
                format!("Δ vs {}", agg.baseline)
            }
        );
        let mut rows: Vec<(String, String, usize)> = Vec::new();
        for (label, m, d) in ROWS.iter().take(2) {
            rows.push((label.to_string(), m.to_string(), *d));
        }
        for r in &reasons {
            rows.push((
                format!("{} (pods)", r.trim_start_matches("failures.")),
                r.clone(),
                2,
            ));
        }
        for (label, m, d) in ROWS.iter().skip(2) {
            rows.push((label.to_string(), m.to_string(), *d));
        }
        for (label, m, d) in rows {
            let a = g.metrics.get(&m);
            let est = a.map(|a| a.est.show(d)).unwrap_or_else(|| "-".into());
            let _ = writeln!(out, "  {label:<34} {est:>20}  {:>20}", diff_text(a, d));
        }
    }
    out
}
