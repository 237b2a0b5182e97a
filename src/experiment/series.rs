//! Per-variant time series of a compare or sweep: what each run's cluster looked like over time
//! (nodes Ready and provisioning by OS, application pods waiting to become Ready by OS), kept
//! per run and aggregated over the seeds of each group into a mean with a confidence band.
//!
//! Owns: which series a run keeps, how they are sampled and thinned, and their aggregation
//! (`variant_timeseries.csv`). Does not own: the samples themselves (the simulation's
//! recorder), the file's row format (`report::rows::VariantSeries`) or the plot
//! (`report::plots`).
//!
//! Cost: a run's series are built in O(pods + samples) (one difference array per OS) after the
//! run; each holds at most `MAX_POINTS` values, so a record stays a few KB whatever the length
//! of the run.

use super::stats::Estimate;
use super::{PlanMeta, RunRecord};
use crate::model::{Os, Spec, TemplateId, WorkloadKind, labels::OS_LABEL};
use crate::report::rows::{Fixed3, Metric, Secs, VariantSeries, VariantSeriesRow};
use crate::simulation::RunOutput;
use serde::{Deserialize, Serialize};

/// Most sample times a run keeps: longer runs keep every k-th sample (k the smallest stride
/// that fits), always starting at the first.
pub const MAX_POINTS: usize = 240;

/// The series every run keeps, in this order. `pods_waiting.*` counts the application pods
/// (Deployments, as the startup figures) created and not yet Ready, and not gone: a pod's OS is
/// the one it asks for (a `kubernetes.io/os` selector, else images that exist for one OS only),
/// else the OS of the node it was bound to; `unknown` holds the rest (multi-OS images, not
/// bound yet).
pub const SERIES: [&str; 7] = [
    "nodes_ready.linux",
    "nodes_ready.windows",
    "nodes_provisioning.linux",
    "nodes_provisioning.windows",
    "pods_waiting.linux",
    "pods_waiting.windows",
    "pods_waiting.unknown",
];

/// One run's series: `values[s][i]` is series `SERIES[s]` at `times_ms[i]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSeries {
    pub times_ms: Vec<u64>,
    pub values: Vec<Vec<u32>>,
}

/// The OS a template's pods ask for: its `kubernetes.io/os` selector, else the one OS every
/// platform of every image is built for; None when it could run on either.
fn template_os(spec: &Spec, t: TemplateId) -> Option<Os> {
    let tpl = &spec.templates[t.idx()];
    if let Some((_, v)) = tpl.node_selector.iter().find(|(k, _)| k == OS_LABEL) {
        return match v.as_str() {
            "windows" => Some(Os::Windows),
            "linux" => Some(Os::Linux),
            _ => None,
        };
    }
    let mut oses = tpl
        .images
        .iter()
        .flat_map(|&i| spec.images[i.idx()].platforms.iter().map(|p| p.os));
    let first = oses.next()?;
    oses.all(|o| o == first).then_some(first)
}

impl RunSeries {
    /// The series of one finished run.
    pub fn of_run(spec: &Spec, out: &RunOutput) -> RunSeries {
        let samples = &out.rec.samples;
        let stride = samples.len().div_ceil(MAX_POINTS).max(1);
        let kept: Vec<usize> = (0..samples.len()).step_by(stride).collect();
        let times_ms: Vec<u64> = kept.iter().map(|&i| samples[i].time_ms).collect();
        let n = times_ms.len();
        let mut values = vec![vec![0u32; n]; SERIES.len()];
        let pool_os: Vec<Os> = spec.pools.iter().map(|p| p.os).collect();
        for (j, &i) in kept.iter().enumerate() {
            let s = &samples[i];
            for (p, os) in pool_os.iter().enumerate() {
                let o = usize::from(*os == Os::Windows);
                values[o][j] += s.nodes_ready.get(p).copied().unwrap_or(0);
                values[2 + o][j] += s.nodes_provisioning.get(p).copied().unwrap_or(0);
            }
        }
        // Waiting pods: +1 at the first kept time ≥ created, −1 at the first ≥ the end of the
        // wait (Ready, or gone), so a pod counts at t when created ≤ t < end.
        let asks: Vec<Option<Os>> = (0..spec.templates.len())
            .map(|t| template_os(spec, TemplateId::from_idx(t)))
            .collect();
        let mut diff = vec![vec![0i64; n + 1]; 3];
        for p in &out.cluster.pods {
            if spec.workloads[p.workload.idx()].kind != WorkloadKind::Deployment {
                continue;
            }
            let end = match (p.ready, p.ended) {
                (Some(r), Some(e)) => r.min(e),
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => u64::MAX,
            };
            if end <= p.created {
                continue;
            }
            let os = asks[p.template.idx()]
                .or_else(|| p.node.map(|nd| pool_os[out.cluster.node(nd).pool.idx()]));
            let k = match os {
                Some(Os::Linux) => 0,
                Some(Os::Windows) => 1,
                None => 2,
            };
            let a = times_ms.partition_point(|&t| t < p.created);
            let b = times_ms.partition_point(|&t| t < end);
            if a < b {
                diff[k][a] += 1;
                diff[k][b] -= 1;
            }
        }
        for (k, d) in diff.iter().enumerate() {
            let mut run = 0i64;
            for j in 0..n {
                run += d[j];
                values[4 + k][j] = run as u32;
            }
        }
        RunSeries { times_ms, values }
    }
}

/// `variant_timeseries.csv`: per group, series and kept time, the mean over the group's seeds
/// with its interval at `confidence`, and the range. Groups whose seeds kept different times
/// (they cannot, for one spec; defensive) are cut to the shortest. `pods_waiting.unknown` is
/// left out when it is 0 everywhere.
pub fn aggregate(meta: &PlanMeta, records: &[RunRecord], confidence: f64) -> VariantSeries {
    let seeds = meta.seeds.len();
    let unknown = SERIES.len() - 1;
    let any_unknown = records.iter().any(|r| {
        r.series
            .values
            .get(unknown)
            .is_some_and(|v| v.iter().any(|&x| x > 0))
    });
    let mut out = VariantSeries {
        params: meta.params.clone(),
        rows: Vec::new(),
    };
    for (g, gm) in meta.groups.iter().enumerate() {
        let runs: Vec<&RunSeries> = records
            .iter()
            .filter(|r| r.index / seeds == g)
            .map(|r| &r.series)
            .collect();
        let Some(first) = runs.first() else { continue };
        let len = runs.iter().map(|r| r.times_ms.len()).min().unwrap_or(0);
        for (s, name) in SERIES.iter().enumerate() {
            if s == unknown && !any_unknown {
                continue;
            }
            let mut vals = Vec::with_capacity(runs.len());
            for i in 0..len {
                vals.clear();
                vals.extend(runs.iter().map(|r| f64::from(r.values[s][i])));
                let e = Estimate::at(&vals, confidence);
                let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
                let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                out.rows.push(VariantSeriesRow {
                    variant: gm.variant.clone(),
                    params: gm.params.clone(),
                    series: (*name).to_string(),
                    time_s: Secs(first.times_ms[i]),
                    runs: vals.len() as u64,
                    mean: Fixed3::new(e.mean.unwrap_or(0.0)),
                    lo: Metric(e.lo),
                    hi: Metric(e.hi),
                    min: Fixed3::new(min),
                    max: Fixed3::new(max),
                });
            }
        }
    }
    out
}
