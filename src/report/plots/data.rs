//! From typed rows to figures, and from an output directory back to typed rows.
//!
//! Owns: which rows make which line (the startup CDF of one run, pods and nodes over time, a
//! compare's pooled CDFs and failure bars) and reading a run directory for `plot DIR` through
//! the same row types that wrote it. Does not own: the drawing (`figures`), the row schemas
//! (`report::rows`), or a compare's aggregates (`experiment::table`, which hands them over as a
//! `CompareData`).
//!
//! A run's plots are drawn from its rows in memory; `plot DIR` reads the files into the same
//! rows, whose cells hold exactly what the files hold, so both draw the same bytes.

use super::figures::{
    BandLine, CdfFigure, FailureFigure, PoolLines, Series, TimelineFigure, VariantTimelineFigure,
};
use crate::report::rows::VariantSeries;
use crate::report::{PodRow, StartupCdf, Summary, Timeseries};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What the compare plots need of `compare.json`: built by `experiment::table` from its
/// aggregates, in memory or read back from the file.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareData {
    pub scenario: String,
    /// Seeds per group.
    pub seeds: usize,
    /// The swept paths (empty for a compare of variants).
    pub params: Vec<String>,
    pub groups: Vec<CompareGroup>,
}

/// One group (variant and swept values) of a compare or sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareGroup {
    pub variant: String,
    /// Swept path → value.
    pub params: BTreeMap<String, String>,
    /// Metric → mean over the seeds (None where no seed had a value), sorted by metric.
    pub means: BTreeMap<String, Option<f64>>,
}

/// Empirical CDF points (latency, fraction of `total` Ready by then) of sorted latencies.
fn cdf_points(mut lat: Vec<f64>, total: usize) -> Vec<(f64, f64)> {
    lat.sort_by(|a, b| a.total_cmp(b));
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (i, x) in lat.iter().enumerate() {
        let y = (i + 1) as f64 / total as f64;
        match pts.last_mut() {
            Some(p) if p.0 == *x => p.1 = y,
            _ => pts.push((*x, y)),
        }
    }
    pts
}

/// A run's startup CDF (one panel per OS with pods) and its timeline.
pub fn run_figures(
    summary: &Summary,
    pods: &[PodRow],
    ts: &Timeseries,
) -> (CdfFigure, TimelineFigure) {
    let (scenario, seed) = (&summary.scenario, summary.seed);
    // Every pod counts in the denominator, so pods that never became Ready keep the curve below
    // 1. The per-OS panels count the pods bound to a node of that OS (unbound pods have none).
    let mut panels = Vec::new();
    for (os, title) in [
        ("all", "all pods"),
        ("linux", "pods on Linux nodes"),
        ("windows", "pods on Windows nodes"),
    ] {
        let group: Vec<&PodRow> = pods.iter().filter(|p| os == "all" || p.os == os).collect();
        if group.is_empty() {
            continue;
        }
        // Each time as the file's f64 (`Secs::as_f64`), then the difference, exactly as a
        // reader of pods.csv computes it.
        let lat: Vec<f64> = group
            .iter()
            .filter_map(|p| Some(p.ready_s?.as_f64() - p.created_s.as_f64()))
            .collect();
        panels.push((
            format!("{title}: {} of {} Ready", lat.len(), group.len()),
            vec![Series {
                name: format!("seed {seed}"),
                points: cdf_points(lat, group.len()),
            }],
        ));
    }
    let cdf = CdfFigure {
        title: format!("{scenario} (seed {seed}): startup latency CDF"),
        panels,
    };
    let time: Vec<f64> = ts.rows.iter().map(|r| r.time_s.as_f64() / 60.0).collect();
    let series_of = |v: &dyn Fn(&crate::report::TimeseriesRow) -> u32| -> Vec<(f64, f64)> {
        ts.rows
            .iter()
            .zip(&time)
            .map(|(r, &x)| (x, v(r) as f64))
            .collect()
    };
    let pods = vec![
        Series {
            name: "pending (not bound)".into(),
            points: series_of(&|r| r.pending),
        },
        Series {
            name: "starting (pulling, creating)".into(),
            points: series_of(&|r| r.starting),
        },
        Series {
            name: "running, not Ready".into(),
            points: series_of(&|r| r.running),
        },
        Series {
            name: "Ready".into(),
            points: series_of(&|r| r.ready),
        },
    ];
    let nodes = ts
        .pools
        .iter()
        .enumerate()
        .map(|(i, pool)| PoolLines {
            pool: pool.clone(),
            ready: series_of(&|r| r.nodes_ready[i]),
            provisioning: series_of(&|r| r.nodes_provisioning[i]),
        })
        .collect();
    let timeline = TimelineFigure {
        title: format!("{scenario} (seed {seed}): pods and nodes over time"),
        pods,
        nodes,
        end_min: time.last().copied().unwrap_or(1.0),
    };
    (cdf, timeline)
}

fn multi_variant(data: &CompareData) -> bool {
    let g = &data.groups;
    g.iter().any(|x| x.variant != g[0].variant)
}

/// Short labels: a sweep's groups are named by their values only (`56MB/s, Price`), the swept
/// paths go into the axis title and the figure title once.
fn short_label(multi: bool, variant: &str, values: &[String]) -> String {
    if values.is_empty() {
        return variant.to_string();
    }
    let v = values.join(", ");
    if multi { format!("{variant}: {v}") } else { v }
}

/// Every group's short label, in group order.
fn group_labels(data: &CompareData) -> Vec<String> {
    let multi = multi_variant(data);
    data.groups
        .iter()
        .map(|g| {
            let values: Vec<String> = data
                .params
                .iter()
                .map(|p| g.params.get(p).cloned().unwrap_or_else(|| "?".into()))
                .collect();
            short_label(multi, &g.variant, &values)
        })
        .collect()
}

/// What the groups differ in: `variant`, the swept paths, or both.
fn axis_title(data: &CompareData) -> String {
    if data.params.is_empty() {
        "variant".to_string()
    } else if multi_variant(data) {
        format!("variant: {}", data.params.join(", "))
    } else {
        data.params.join(", ")
    }
}

/// Most groups the per-variant timeline draws: beyond ten, colours repeat and lines cannot be
/// told apart; the CSV keeps every group.
const TIMELINE_MAX_GROUPS: usize = 10;

/// The per-variant timeline of a compare or sweep: nodes Ready and application pods waiting,
/// by OS, a line per group (mean over seeds) with its interval band. Panels whose series are
/// 0 in every group are left out (no Windows pool, no waiting pod); None when nothing is left.
pub fn variant_timeline(data: &CompareData, vs: &VariantSeries) -> Option<VariantTimelineFigure> {
    let labels = group_labels(data);
    let multi = multi_variant(data);
    let shown = labels.len().min(TIMELINE_MAX_GROUPS);
    let panels_of = [
        ("nodes_ready.windows", "Windows nodes Ready", "nodes"),
        ("nodes_ready.linux", "Linux nodes Ready", "nodes"),
        (
            "pods_waiting.windows",
            "Windows app pods waiting (created, not Ready)",
            "pods",
        ),
        (
            "pods_waiting.linux",
            "Linux app pods waiting (created, not Ready)",
            "pods",
        ),
        (
            "pods_waiting.unknown",
            "app pods of either OS waiting, not bound",
            "pods",
        ),
    ];
    // (series, group label) → its rows, in file (time) order: one pass over the file.
    let mut by_line: BTreeMap<(&str, String), Vec<&crate::report::rows::VariantSeriesRow>> =
        BTreeMap::new();
    for r in &vs.rows {
        by_line
            .entry((r.series.as_str(), short_label(multi, &r.variant, &r.params)))
            .or_default()
            .push(r);
    }
    let mut end_min: f64 = 0.0;
    let mut panels = Vec::new();
    for (series, title, unit) in panels_of {
        let mut lines: Vec<BandLine> = Vec::new();
        let mut nonzero = false;
        for (g, label) in labels.iter().enumerate().take(shown) {
            let rows = by_line
                .get(&(series, label.clone()))
                .map_or(&[][..], |v| v.as_slice());
            let mut line = BandLine {
                group: g,
                mean: Vec::new(),
                band: Vec::new(),
            };
            for r in rows {
                let x = r.time_s.as_f64() / 60.0;
                end_min = end_min.max(x);
                nonzero |= r.max.get() > 0.0;
                line.mean.push((x, r.mean.get()));
                if let (Some(lo), Some(hi)) = (r.lo.0, r.hi.0) {
                    line.band.push((x, lo, hi));
                }
            }
            if !line.mean.is_empty() {
                lines.push(line);
            }
        }
        if nonzero {
            panels.push((title.to_string(), unit.to_string(), lines));
        }
    }
    if panels.is_empty() {
        return None;
    }
    let nseeds = vs.rows.first().map_or(0, |r| r.runs);
    Some(VariantTimelineFigure {
        title: format!(
            "{}: nodes and waiting pods over time by {} ({nseeds} seeds)",
            data.scenario,
            axis_title(data)
        ),
        labels: labels[..shown].to_vec(),
        panels,
        end_min,
        note: (labels.len() > shown).then(|| {
            format!(
                "first {shown} of {} groups; all in {}",
                labels.len(),
                VariantSeries::FILE
            )
        }),
    })
}

/// A compare's or sweep's startup CDF (one line per group, a panel per OS) and failure bars.
pub fn compare_figures(data: &CompareData, cdf: &StartupCdf) -> (CdfFigure, FailureFigure) {
    let (scenario, nseeds, params, groups) =
        (&data.scenario, data.seeds, &data.params, &data.groups);
    let multi = multi_variant(data);
    let short = |variant: &str, values: &[String]| short_label(multi, variant, values);
    let labels = group_labels(data);
    let what = axis_title(data);
    // Failures: reasons with a positive mean in some group, in the sorted metric order.
    let mut reasons: Vec<(String, Vec<f64>)> = Vec::new();
    if let Some(first) = groups.first() {
        for key in first.means.keys().filter(|k| k.starts_with("failures.")) {
            let vals: Vec<f64> = groups
                .iter()
                .map(|g| g.means.get(key).copied().flatten().unwrap_or(0.0))
                .collect();
            if !vals.iter().any(|v| *v > 0.0) {
                continue;
            }
            let reason = key.trim_start_matches("failures.");
            // Pods that were Unschedulable and later bound waited for capacity (a node being
            // added, a pod leaving); only the rest never ran. Split when the summary says.
            let later: Option<Vec<f64>> = groups
                .iter()
                .map(|g| g.means.get("unschedulable_then_bound").copied().flatten())
                .collect();
            match later {
                Some(later) if reason == "Unschedulable" => {
                    let never: Vec<f64> =
                        vals.iter().zip(&later).map(|(v, l)| (v - l).max(0.0)).collect();
                    if later.iter().any(|v| *v > 0.0) {
                        reasons.push(("Unschedulable, bound later".into(), later));
                    }
                    if never.iter().any(|v| *v > 0.0) {
                        reasons.push(("Unschedulable, never bound".into(), never));
                    }
                }
                _ => reasons.push((reason.to_string(), vals)),
            }
        }
    }
    let failures = FailureFigure {
        title: format!("{scenario}: failures by reason ({nseeds} seeds)"),
        groups: labels.clone(),
        x_desc: what.clone(),
        reasons,
    };
    // (os, label) → the CDF points.
    let mut lines: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for r in &cdf.rows {
        let label = short(&r.variant, &r.params);
        lines
            .entry((r.os.clone(), label))
            .or_default()
            .push((r.latency_s.as_f64(), r.fraction.get()));
    }
    let mut panels = Vec::new();
    for (os, title) in [
        ("all", "all Deployment pods"),
        ("linux", "on Linux nodes"),
        ("windows", "on Windows nodes"),
    ] {
        let series: Vec<Series> = labels
            .iter()
            .filter_map(|l| {
                lines.get(&(os.to_string(), l.clone())).map(|p| Series {
                    name: l.clone(),
                    points: p.clone(),
                })
            })
            .collect();
        if os == "all" || !series.is_empty() {
            panels.push((title.to_string(), series));
        }
    }
    let cdf = CdfFigure {
        title: if params.is_empty() {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled)")
        } else {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled) by {what}")
        },
        panels,
    };
    (cdf, failures)
}

/// An output file's bytes, with its path in the error.
pub fn read(dir: &Path, name: &str) -> io::Result<Vec<u8>> {
    std::fs::read(dir.join(name))
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display())))
}

/// A file that does not match its schema: the message names the file, line and column.
pub fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// A run directory's summary, pods and time series, read through their typed rows.
pub fn read_run_dir(dir: &Path) -> io::Result<(Summary, Vec<PodRow>, Timeseries)> {
    let summary: Summary = serde_json::from_slice(&read(dir, "summary.json")?)
        .map_err(|e| invalid(format!("summary.json: {e}")))?;
    let pods = PodRow::read(&read(dir, PodRow::FILE)?).map_err(invalid)?;
    let ts = Timeseries::read(&read(dir, Timeseries::FILE)?).map_err(invalid)?;
    Ok((summary, pods, ts))
}
