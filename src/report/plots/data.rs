//! From typed rows to figures, and from an output directory back to typed rows.
//!
//! Owns: which rows make which line (the startup CDF of one run, pods and nodes over time, a
//! compare's pooled CDFs and failure bars) and reading a run directory for `plot DIR` through
//! the same row types that wrote it. Does not own: the drawing (`figures`), the row schemas
//! (`report::rows`), or a compare's aggregates (`experiment::table`, which hands them over as a
//! `CompareData`).
//!
//! A run's timeline is drawn from its time series rows in memory, its startup CDF from the
//! exact latency multisets of its tally (`RunCdf`), so no pod is kept for the plots; `plot
//! DIR` reads the files into the same rows and builds the same multisets from pods.csv, in
//! whole milliseconds as the tally holds them, so both draw the same bytes.

use super::figures::{
    BandLine, CdfFigure, FailureFigure, PoolLines, Series, SloMark, TimelineFigure,
    VariantTimelineFigure, WAITED,
};
use crate::metrics::tally::{Hist, PodTally};
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
    /// The confidence of the intervals (compare's `--confidence`), for the band's legend.
    pub confidence: f64,
    /// The scenario's startup-latency SLOs, drawn on the CDF.
    pub slo: Vec<crate::report::SloLine>,
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

/// A run's startup latencies, what its CDF is drawn from: for each group (all pods, pods bound
/// to a Linux node, pods bound to a Windows node) the exact multiset of created → Ready
/// latencies in whole milliseconds of its pods that became Ready, and how many pods it has.
/// `run --plots` takes it from the run's tally (retired pods included, so no pod is kept for
/// it), `plot DIR` builds it from pods.csv; both give the same points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunCdf {
    pub startup: [Hist; 3],
    pub pods: [u64; 3],
}

impl RunCdf {
    /// From the run's tally (`Summary::tally`).
    pub fn of_tally(t: PodTally) -> RunCdf {
        let [linux, windows] = t.bound;
        let pods = [t.created(), linux, windows];
        RunCdf {
            startup: t.startup,
            pods,
        }
    }

    /// From pods.csv's rows: a row's group is its `os` (its node's pool OS, empty when
    /// unbound), its latency `ready_s − created_s` in milliseconds, as the tally takes it. A
    /// row Ready before it was created is an error naming its line.
    pub fn of_rows(rows: &[PodRow]) -> io::Result<RunCdf> {
        let mut c = RunCdf::default();
        for (i, r) in rows.iter().enumerate() {
            let group = match r.os.as_str() {
                "linux" => Some(1),
                "windows" => Some(2),
                _ => None,
            };
            c.pods[0] += 1;
            if let Some(g) = group {
                c.pods[g] += 1;
            }
            let Some(ready) = r.ready_s else {
                continue;
            };
            let l = ready.0.checked_sub(r.created_s.0).ok_or_else(|| {
                // Line 1 is the header.
                invalid(format!(
                    "{}: line {}, column `ready_s`: {} is before created_s {}",
                    PodRow::FILE,
                    i + 2,
                    ready.as_f64(),
                    r.created_s.as_f64()
                ))
            })?;
            c.startup[0].push(l);
            if let Some(g) = group {
                c.startup[g].push(l);
            }
        }
        Ok(c)
    }
}

/// Empirical CDF points of a multiset of latencies in ms: (latency in s, fraction of `total`
/// Ready by then), one point per distinct latency.
fn cdf_points(lat: &mut Hist, total: u64) -> Vec<(f64, f64)> {
    let (runs, _) = lat.sorted_runs();
    let mut below = 0;
    runs.iter()
        .map(|&(v, c)| {
            below += c;
            (v as f64 / 1000.0, below as f64 / total as f64)
        })
        .collect()
}

/// The markers of `slo` on the panels whose OS keys are `keys` (panel `i` shows `keys[i]`).
/// An SLO on an OS without a panel (no pods ran there) has nothing to be drawn against.
fn slo_marks(slo: &[crate::report::SloLine], keys: &[&str]) -> Vec<SloMark> {
    slo.iter()
        .filter_map(|l| {
            keys.iter().position(|k| *k == l.os).map(|panel| SloMark {
                panel,
                label: l.assertion.clone(),
                seconds: l.seconds,
                fraction: l.fraction(),
            })
        })
        .collect()
}

/// A run's startup CDF (one panel per OS with pods) and its timeline.
pub fn run_figures(
    summary: &Summary,
    mut startup: RunCdf,
    ts: &Timeseries,
) -> (CdfFigure, TimelineFigure) {
    let (scenario, seed) = (&summary.scenario, summary.seed);
    // Every pod counts in the denominator, so pods that never became Ready keep the curve below
    // 1. The per-OS panels count the pods bound to a node of that OS (unbound pods have none).
    let mut panels = Vec::new();
    let mut keys = Vec::new();
    for (g, (os, title)) in [
        ("all", "all pods"),
        ("linux", "pods on Linux nodes"),
        ("windows", "pods on Windows nodes"),
    ]
    .into_iter()
    .enumerate()
    {
        let total = startup.pods[g];
        if total == 0 {
            continue;
        }
        keys.push(os);
        let lat = &mut startup.startup[g];
        let ready = lat.sorted_runs().1;
        panels.push((
            format!("{title}: {ready} of {total} Ready"),
            vec![Series {
                name: format!("seed {seed}"),
                points: cdf_points(lat, total),
            }],
        ));
    }
    let cdf = CdfFigure {
        title: format!("{scenario} (seed {seed}): startup latency CDF"),
        panels,
        slo: slo_marks(&summary.slo, &keys),
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
        actions: summary
            .timeline
            .iter()
            .map(|e| (e.at_s / 60.0, e.action.clone()))
            .collect(),
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

/// The per-variant timeline panels, a row per quantity and a column per OS (Windows first: the
/// pool a planner sizes): (series, panel title, y axis).
const TIMELINE_ROWS: [&[(&str, &str, &str)]; 4] = [
    &[
        ("nodes_ready.windows", "Windows nodes Ready", "nodes"),
        ("nodes_ready.linux", "Linux nodes Ready", "nodes"),
    ],
    &[
        (
            "nodes_provisioning.windows",
            "Windows nodes provisioning (added, not Ready)",
            "nodes",
        ),
        (
            "nodes_provisioning.linux",
            "Linux nodes provisioning (added, not Ready)",
            "nodes",
        ),
    ],
    &[
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
    ],
    &[(
        "pods_waiting.unknown",
        "app pods of either OS waiting, not bound",
        "pods",
    )],
];

/// The per-variant timeline of a compare or sweep: nodes Ready and provisioning and application
/// pods waiting, by OS, a line per group (mean over seeds) with its interval band. A row of
/// panels whose series are 0 in every group is left out (no autoscaling, no waiting pod); the
/// Linux panel of a row is kept beside a non-zero Windows one (and the reverse) so the columns
/// stay one OS each. A group whose lines equal an earlier group's in every panel is not drawn
/// (it would hide that group) and the legend says so. None when nothing is left.
pub fn variant_timeline(data: &CompareData, vs: &VariantSeries) -> Option<VariantTimelineFigure> {
    let labels = group_labels(data);
    let multi = multi_variant(data);
    let shown = labels.len().min(TIMELINE_MAX_GROUPS);
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
    for row in TIMELINE_ROWS {
        let mut cells = Vec::new();
        let mut nonzero = false;
        for &(series, title, unit) in row {
            let mut lines: Vec<BandLine> = Vec::new();
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
            cells.push((title.to_string(), unit.to_string(), lines));
        }
        if nonzero {
            panels.extend(cells);
        }
    }
    if panels.is_empty() {
        return None;
    }
    // Identical groups (two spellings of one configuration, as taints-tolerations and
    // runtimeclass): the later one's lines would cover the earlier's exactly.
    let equal_in = |panel: &[BandLine], g: usize, h: usize| {
        let line = |x: usize| {
            panel
                .iter()
                .find(|l| l.group == x)
                .map(|l| (&l.mean, &l.band))
        };
        line(g) == line(h)
    };
    let mut same_as: Vec<Option<usize>> = vec![None; shown];
    for g in 1..shown {
        same_as[g] = (0..g).find(|&h| {
            same_as[h].is_none() && panels.iter().all(|(_, _, lines)| equal_in(lines, g, h))
        });
    }
    for (_, _, lines) in &mut panels {
        lines.retain(|l| same_as[l.group].is_none());
    }
    let nseeds = vs.rows.first().map_or(0, |r| r.runs);
    Some(VariantTimelineFigure {
        title: format!(
            "{}: nodes and waiting pods over time by {} ({nseeds} seeds)",
            data.scenario,
            axis_title(data)
        ),
        labels: labels[..shown].to_vec(),
        same_as,
        band: format!("band: {:.0} % confidence interval", data.confidence * 100.0),
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
                    let never: Vec<f64> = vals
                        .iter()
                        .zip(&later)
                        .map(|(v, l)| (v - l).max(0.0))
                        .collect();
                    if later.iter().any(|v| *v > 0.0) {
                        reasons.push((WAITED.into(), later));
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
    let mut keys = Vec::new();
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
            keys.push(os);
        }
    }
    let cdf = CdfFigure {
        title: if params.is_empty() {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled)")
        } else {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled) by {what}")
        },
        panels,
        slo: slo_marks(&data.slo, &keys),
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

/// A run directory's summary, startup latencies (from pods.csv) and time series, read through
/// their typed rows.
pub fn read_run_dir(dir: &Path) -> io::Result<(Summary, RunCdf, Timeseries)> {
    let summary: Summary = serde_json::from_slice(&read(dir, "summary.json")?)
        .map_err(|e| invalid(format!("summary.json: {e}")))?;
    let pods = PodRow::read(&read(dir, PodRow::FILE)?).map_err(invalid)?;
    let startup = RunCdf::of_rows(&pods)?;
    let ts = Timeseries::read(&read(dir, Timeseries::FILE)?).map_err(invalid)?;
    Ok((summary, startup, ts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rows::VariantSeriesRow;
    use crate::report::{Fixed3, Metric, Secs};

    fn group(variant: &str, means: &[(&str, f64)]) -> CompareGroup {
        CompareGroup {
            variant: variant.into(),
            params: BTreeMap::new(),
            means: means
                .iter()
                .map(|(k, v)| (k.to_string(), Some(*v)))
                .collect(),
        }
    }

    fn data(groups: Vec<CompareGroup>) -> CompareData {
        CompareData {
            scenario: "t".into(),
            seeds: 2,
            params: vec![],
            groups,
            confidence: 0.95,
            slo: Vec::new(),
        }
    }

    fn no_cdf() -> StartupCdf {
        StartupCdf {
            params: vec![],
            rows: vec![],
        }
    }

    #[test]
    fn failures_split_unschedulable_into_bound_later_and_never_bound() {
        // Group a: 3 pods Unschedulable, 1 bound later → 1 waited, 3 − 1 = 2 never bound.
        // Group b: 2 Unschedulable, both bound later → 2 waited, 0 never bound; and 1
        // ErrImagePull. Reasons come in metric order (ErrImagePull < Unschedulable), the
        // Unschedulable one replaced by its two parts, waited first.
        let d = data(vec![
            group(
                "a",
                &[
                    ("failures.ErrImagePull", 0.0),
                    ("failures.Unschedulable", 3.0),
                    ("unschedulable_then_bound", 1.0),
                ],
            ),
            group(
                "b",
                &[
                    ("failures.ErrImagePull", 1.0),
                    ("failures.Unschedulable", 2.0),
                    ("unschedulable_then_bound", 2.0),
                ],
            ),
        ]);
        let (_, f) = compare_figures(&d, &no_cdf());
        assert_eq!(
            f.reasons,
            vec![
                ("ErrImagePull".to_string(), vec![0.0, 1.0]),
                (WAITED.to_string(), vec![1.0, 2.0]),
                ("Unschedulable, never bound".to_string(), vec![2.0, 0.0]),
            ]
        );
        // A compare.json written before the split has no unschedulable_then_bound: the bar
        // stays one "Unschedulable" rather than guessing.
        let old = data(vec![group("a", &[("failures.Unschedulable", 3.0)])]);
        let (_, f) = compare_figures(&old, &no_cdf());
        assert_eq!(f.reasons, vec![("Unschedulable".to_string(), vec![3.0])]);
    }

    #[test]
    fn the_run_cdf_has_a_point_per_distinct_latency_at_the_fraction_of_all_pods_ready_by_then() {
        // 4 pods, 3 Ready after 1000, 1000 and 2500 ms (pushed out of order): by 1.0 s 2 of the
        // 4 are Ready, 2/4 = 0.5; by 2.5 s 3 of 4, 0.75. One point per distinct latency, and
        // the pod never Ready keeps the curve below 1.
        let mut h = Hist::default();
        [2500, 1000, 1000].into_iter().for_each(|v| h.push(v));
        assert_eq!(cdf_points(&mut h, 4), vec![(1.0, 0.5), (2.5, 0.75)]);
    }

    fn pod(os: &str, created: u64, ready: Option<u64>) -> PodRow {
        PodRow {
            pod: "w-0".into(),
            workload: "w".into(),
            os: os.into(),
            node: String::new(),
            pool: String::new(),
            created_s: Secs(created),
            scheduled_s: None,
            pulled_s: None,
            started_s: None,
            ready_s: ready.map(Secs),
            ended_s: None,
            outcome: String::new(),
            reason: String::new(),
            message: String::new(),
            scheduling_attempts: 0,
        }
    }

    #[test]
    fn the_run_cdf_of_pods_csv_groups_rows_by_their_node_os_in_whole_milliseconds() {
        // Two Linux pods (one Ready 1.000 s after creation, one not Ready), a Windows pod Ready
        // after 2.500 s and an unbound pod: 4 pods in all, 2 on Linux, 1 on Windows; the
        // latencies are ready − created in ms: all {1000, 2500}, Linux {1000}, Windows {2500}.
        let rows = [
            pod("linux", 200, Some(1200)),
            pod("linux", 300, None),
            pod("windows", 100, Some(2600)),
            pod("", 400, None),
        ];
        let mut c = RunCdf::of_rows(&rows).unwrap();
        assert_eq!(c.pods, [4, 2, 1]);
        let runs = |h: &mut Hist| h.sorted_runs().0.to_vec();
        assert_eq!(runs(&mut c.startup[0]), [(1000, 1), (2500, 1)]);
        assert_eq!(runs(&mut c.startup[1]), [(1000, 1)]);
        assert_eq!(runs(&mut c.startup[2]), [(2500, 1)]);
        // A row Ready before it was created (an edited file) is refused, naming its line: the
        // third row is line 4 after the header.
        let bad = [
            rows[0].clone(),
            rows[1].clone(),
            pod("linux", 500, Some(400)),
        ];
        let e = RunCdf::of_rows(&bad).unwrap_err().to_string();
        assert!(e.starts_with("pods.csv: line 4, column `ready_s`"), "{e}");
    }

    fn row(variant: &str, series: &str, t: u64, v: f64) -> VariantSeriesRow {
        VariantSeriesRow {
            variant: variant.into(),
            params: vec![],
            series: series.into(),
            time_s: Secs(t),
            runs: 2,
            mean: Fixed3::new(v),
            lo: Metric(None),
            hi: Metric(None),
            min: Fixed3::new(v),
            max: Fixed3::new(v),
        }
    }

    #[test]
    fn the_variant_timeline_keeps_rows_of_panels_by_os_and_draws_equal_groups_once() {
        // Three groups: b equals a in every series, c differs in Windows nodes. Windows nodes
        // Ready and pods waiting are non-zero; provisioning is 0 everywhere (its row goes), and
        // Linux pods waiting is 0 but stays beside the non-zero Windows panel.
        let groups = ["a", "b", "c"];
        let mut rows = Vec::new();
        for g in groups {
            let win = if g == "c" { 5.0 } else { 4.0 };
            for (series, v) in [
                ("nodes_ready.linux", 3.0),
                ("nodes_ready.windows", win),
                ("nodes_provisioning.linux", 0.0),
                ("nodes_provisioning.windows", 0.0),
                ("pods_waiting.linux", 0.0),
                ("pods_waiting.windows", 2.0),
            ] {
                rows.push(row(g, series, 0, v));
                rows.push(row(g, series, 60_000, v));
            }
        }
        let vs = VariantSeries {
            params: vec![],
            rows,
        };
        let d = data(groups.iter().map(|g| group(g, &[])).collect());
        let fig = variant_timeline(&d, &vs).expect("a figure");
        let titles: Vec<&str> = fig.panels.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Windows nodes Ready",
                "Linux nodes Ready",
                "Windows app pods waiting (created, not Ready)",
                "Linux app pods waiting (created, not Ready)",
            ]
        );
        assert_eq!(fig.same_as, [None, Some(0), None]);
        // b is not drawn (it would cover a exactly); a and c are, in every panel.
        for (title, _, lines) in &fig.panels {
            let g: Vec<usize> = lines.iter().map(|l| l.group).collect();
            assert_eq!(g, [0, 2], "{title}");
        }
        assert_eq!(fig.band, "band: 95 % confidence interval");
        assert_eq!(fig.end_min, 1.0);
    }
}
