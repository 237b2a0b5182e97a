//! The size of a run, estimated before anything is expanded, and the `limits` it must stay
//! within (issue 11: a `count` or `replicas` of 10⁹ must be an input error, not an abort).
//!
//! Owns: the estimate (pods, nodes, events, samples, memory) from the raw scenario and the
//! checked load curves, and the errors naming the field that drives an estimate over its
//! limit. Does not own: the default limits and per-object byte figures (`defaults`), or the
//! expansion itself (`workloads::expand`), which must run only after this passes.
//!
//! Every figure is computed with saturating arithmetic from numbers the file gives, so the
//! estimate itself cannot overflow or allocate.

use super::Ctx;
use crate::model::{HpaSpec, WorkloadSpec};
use crate::scenario::defaults as d;
use crate::scenario::locate::Path;
use crate::scenario::raw;
use crate::scenario::units::format_bytes;
use std::collections::HashMap;

/// The estimated size of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Pods created over the run (initial replicas, re-creations, Scale actions, HPA maxima,
    /// DaemonSets on the largest node count).
    pub pods: u64,
    /// Nodes at the largest size of every pool.
    pub nodes: u64,
    /// Simulation events, roughly.
    pub events: u64,
    /// Rows of `timeseries.csv`.
    pub samples: u64,
    /// Workloads after expanding `count`.
    pub workload_copies: u64,
    /// Peak memory in bytes.
    pub memory: u64,
}

/// The field an estimate is attributed to when it is over its limit: the largest contributor.
struct Largest {
    path: Option<Path>,
    amount: u64,
}

impl Largest {
    fn new() -> Self {
        Largest {
            path: None,
            amount: 0,
        }
    }
    fn offer(&mut self, path: Path, amount: u64) {
        if self.path.is_none() || amount > self.amount {
            self.path = Some(path);
            self.amount = amount;
        }
    }
    fn path(self, fallback: Path) -> Path {
        self.path.unwrap_or(fallback)
    }
}

/// The estimate, with the field that drives each figure.
struct Drivers {
    estimate: Estimate,
    pods: Largest,
    nodes: Largest,
    samples: Path,
    events: Largest,
    memory: Largest,
}

fn estimate_with_drivers(
    raw: &raw::Scenario,
    hpas: &[Option<Box<HpaSpec>>],
    wl_ix: &HashMap<String, u32>,
) -> Drivers {
    let root = Path::root();
    let duration = raw.duration.0;
    // Nodes: every pool at its largest.
    let mut nodes = 0u64;
    let mut node_driver = Largest::new();
    for (i, p) in raw.pools.iter().enumerate() {
        let path = root.field("pools").index(i);
        let max = p.autoscale.as_ref().map_or(0, |g| g.max);
        let (n, field) = if max > p.count {
            (max, path.field("autoscale").field("max"))
        } else {
            (p.count, path.field("count"))
        };
        nodes = nodes.saturating_add(n as u64);
        node_driver.offer(field, n as u64);
    }

    // Timeline actions per raw workload: Scale targets and Create re-creations.
    let mut scaled = vec![0u64; raw.workloads.len()];
    let mut creates = vec![0u64; raw.workloads.len()];
    let mut scale_driver: Vec<Option<(Path, u64)>> = vec![None; raw.workloads.len()];
    for (j, e) in raw.timeline.iter().enumerate() {
        let (name, replicas) = match &e.action {
            raw::Action::Scale { workload, replicas } => (workload, Some(*replicas as u64)),
            raw::Action::Create { workload } => (workload, None),
            raw::Action::Delete { .. } => continue,
            // Node actions create no pods.
            _ => continue,
        };
        let Some(&w) = wl_ix.get(name.as_str()) else {
            continue;
        };
        let w = w as usize;
        match replicas {
            Some(r) => {
                scaled[w] = scaled[w].saturating_add(r);
                if scale_driver[w].as_ref().is_none_or(|(_, m)| r > *m) {
                    let p = root.field("timeline").index(j).field("action");
                    scale_driver[w] = Some((p.field("replicas"), r));
                }
            }
            None => creates[w] = creates[w].saturating_add(1),
        }
    }

    let mut pods = 0u64;
    let mut pod_driver = Largest::new();
    let mut copies_total = 0u64;
    let mut hpa_copies = 0u64;
    let mut hpa_events = 0u64;
    let mut hpa_event_driver = Largest::new();
    let mut workload_bytes = 0u64;
    let mut workload_driver = Largest::new();
    let mut timeline_entries = 0u64;
    for (i, w) in raw.workloads.iter().enumerate() {
        let path = root.field("workloads").index(i);
        let count = w.count as u64;
        copies_total = copies_total.saturating_add(count);
        let count_path = path.field("count");
        // Each (re-)creation starts `replicas` pods (a DaemonSet: one per node).
        let lives = 1u64.saturating_add(creates[i]);
        let per_copy = match w.kind {
            raw::WorkloadKind::Deployment => {
                let initial = (w.replicas as u64).saturating_mul(lives);
                let scale = scaled[i];
                let hpa = w.hpa.as_ref().map_or(0, |h| h.max_replicas as u64);
                // Attribute to the biggest of the three; to `count` when copies dominate.
                let (field, amount) = [
                    (path.field("replicas"), initial),
                    scale_driver[i]
                        .clone()
                        .map_or((path.field("replicas"), 0), |(p, _)| (p, scale)),
                    (path.field("hpa").field("max_replicas"), hpa),
                ]
                .into_iter()
                .max_by_key(|(_, a)| *a)
                .expect("three candidates");
                let total = initial.saturating_add(scale).saturating_add(hpa);
                let field = if count > amount {
                    count_path.clone()
                } else {
                    field
                };
                pod_driver.offer(field, total.saturating_mul(count));
                total
            }
            raw::WorkloadKind::Pod => {
                // One pod per creation, never replaced.
                pod_driver.offer(path.field("kind"), lives.saturating_mul(count));
                lives
            }
            raw::WorkloadKind::Job => {
                // At most `completions` pods succeed and `backoff_limit + 1` fail (the last
                // failure ends the Job), per life.
                let per_life = super::workloads::job_pods_bound(w);
                let total = per_life.saturating_mul(lives);
                let field = if count > 1 {
                    count_path.clone()
                } else {
                    path.field("job").field("completions")
                };
                pod_driver.offer(field, total.saturating_mul(count));
                total
            }
            raw::WorkloadKind::DaemonSet => {
                let total = nodes.saturating_mul(lives);
                let field = if count > 1 {
                    count_path.clone()
                } else {
                    path.field("kind")
                };
                pod_driver.offer(field, total.saturating_mul(count));
                total
            }
        };
        pods = pods.saturating_add(per_copy.saturating_mul(count));

        // What validation itself allocates per copy: the spec and its shifted load curve.
        let points = hpas
            .get(i)
            .and_then(|h| h.as_ref())
            .map_or(0, |h| h.load.len() as u64);
        let per_copy_bytes = (std::mem::size_of::<WorkloadSpec>() as u64)
            .saturating_add(w.name.len() as u64 + 8)
            .saturating_add(if w.hpa.is_some() {
                (std::mem::size_of::<HpaSpec>() as u64).saturating_add(points.saturating_mul(16))
            } else {
                0
            });
        let bytes = per_copy_bytes.saturating_mul(count);
        workload_bytes = workload_bytes.saturating_add(bytes);
        workload_driver.offer(count_path.clone(), bytes);

        if let Some(h) = &w.hpa {
            hpa_copies = hpa_copies.saturating_add(count);
            let syncs = (duration / h.sync_period.0.max(1)).saturating_mul(count);
            hpa_events = hpa_events.saturating_add(syncs);
            hpa_event_driver.offer(path.field("hpa").field("sync_period"), syncs);
        }
    }
    for e in &raw.timeline {
        let name = match &e.action {
            raw::Action::Create { workload }
            | raw::Action::Delete { workload }
            | raw::Action::Scale { workload, .. } => workload,
            // A node action runs once.
            _ => {
                timeline_entries = timeline_entries.saturating_add(1);
                continue;
            }
        };
        let copies = wl_ix
            .get(name.as_str())
            .map_or(1, |&w| raw.workloads[w as usize].count as u64);
        timeline_entries = timeline_entries.saturating_add(copies);
    }

    // Samples: one row at 0 and one per interval up to the end.
    let samples = (duration / raw.sample_interval.0.max(1)).saturating_add(1);
    let samples_path = if raw.sample_interval.0 < d::SAMPLE_INTERVAL_MS {
        root.field("sample_interval")
    } else {
        root.field("duration")
    };

    let autoscaled = raw.pools.iter().any(|p| p.autoscale.is_some());
    let scans = if autoscaled {
        duration / raw.autoscaler.scan_interval.0.max(1)
    } else {
        0
    };
    let mut event_driver = Largest::new();
    let pod_events = pods.saturating_mul(d::EVENTS_PER_POD);
    let node_events = nodes.saturating_mul(d::EVENTS_PER_NODE);
    let events = pod_events
        .saturating_add(node_events)
        .saturating_add(samples)
        .saturating_add(hpa_events)
        .saturating_add(scans)
        .saturating_add(timeline_entries);
    let pod_path = pod_driver.path.clone().unwrap_or(root.field("workloads"));
    event_driver.offer(pod_path.clone(), pod_events);
    event_driver.offer(
        node_driver.path.clone().unwrap_or(root.field("pools")),
        node_events,
    );
    event_driver.offer(samples_path.clone(), samples);
    if let Some(p) = hpa_event_driver.path.clone() {
        event_driver.offer(p, hpa_events);
    }
    event_driver.offer(root.field("autoscaler").field("scan_interval"), scans);

    let sample_bytes = d::BYTES_PER_SAMPLE
        .saturating_add(d::BYTES_PER_SAMPLE_POOL.saturating_mul(raw.pools.len() as u64))
        .saturating_add(d::BYTES_PER_SAMPLE_HPA.saturating_mul(hpa_copies));
    let pod_bytes = pods.saturating_mul(d::BYTES_PER_POD);
    let node_bytes = nodes.saturating_mul(d::BYTES_PER_NODE);
    let all_sample_bytes = samples.saturating_mul(sample_bytes);
    let memory = pod_bytes
        .saturating_add(node_bytes)
        .saturating_add(all_sample_bytes)
        .saturating_add(workload_bytes)
        .saturating_add(timeline_entries.saturating_mul(32));
    let mut memory_driver = Largest::new();
    memory_driver.offer(pod_path, pod_bytes);
    memory_driver.offer(
        node_driver.path.clone().unwrap_or(root.field("pools")),
        node_bytes,
    );
    memory_driver.offer(samples_path.clone(), all_sample_bytes);
    if let Some(p) = workload_driver.path {
        memory_driver.offer(p, workload_bytes);
    }

    Drivers {
        estimate: Estimate {
            pods,
            nodes,
            events,
            samples,
            workload_copies: copies_total,
            memory,
        },
        pods: pod_driver,
        nodes: node_driver,
        samples: samples_path,
        events: event_driver,
        memory: memory_driver,
    }
}

/// The estimated size of a run of `raw`, whose workloads have been checked into `hpas` (one
/// entry per raw workload) and indexed by name in `wl_ix`.
pub fn estimate(
    raw: &raw::Scenario,
    hpas: &[Option<Box<HpaSpec>>],
    wl_ix: &HashMap<String, u32>,
) -> Estimate {
    estimate_with_drivers(raw, hpas, wl_ix).estimate
}

/// Checks the estimate against `raw.limits`; true when the run may be expanded.
pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    hpas: &[Option<Box<HpaSpec>>],
    wl_ix: &HashMap<String, u32>,
) -> bool {
    let dr = estimate_with_drivers(raw, hpas, wl_ix);
    let e = &dr.estimate;
    let l = &raw.limits;
    let before = cx.diags.len();
    let raise = |field: &str| {
        format!(
            "lower it, or raise the limit with `limits: ({field}: N)` if the machine can take it"
        )
    };
    let root = Path::root();
    if e.pods > l.max_pods {
        cx.err(
            dr.pods.path(root.field("workloads")),
            format!(
                "the run would create about {} pods, above limits.max_pods = {}; {}",
                e.pods,
                l.max_pods,
                raise("max_pods")
            ),
        );
    }
    if e.nodes > l.max_nodes {
        cx.err(
            dr.nodes.path(root.field("pools")),
            format!(
                "the cluster would grow to {} nodes, above limits.max_nodes = {}; {}",
                e.nodes,
                l.max_nodes,
                raise("max_nodes")
            ),
        );
    }
    if e.samples > l.max_samples {
        cx.err(
            dr.samples.clone(),
            format!(
                "the run would record {} time-series samples (duration / sample_interval), \
                 above limits.max_samples = {}; {}",
                e.samples,
                l.max_samples,
                raise("max_samples")
            ),
        );
    }
    // Events and memory follow from the counts above: report them only when those pass, so
    // one cause gives one message.
    if cx.diags.len() == before && e.events > l.max_events {
        cx.err(
            dr.events.path(root.clone()),
            format!(
                "the run would process about {} events, above limits.max_events = {}; {}",
                e.events,
                l.max_events,
                raise("max_events")
            ),
        );
    }
    if cx.diags.len() == before && e.memory > l.max_memory.0 {
        cx.err(
            dr.memory.path(root),
            format!(
                "the run would need about {:.1} GiB of memory ({} pods, {} nodes, {} samples, \
                 {} workloads), above limits.max_memory = {}; {}",
                e.memory as f64 / (1u64 << 30) as f64,
                e.pods,
                e.nodes,
                e.samples,
                e.workload_copies,
                format_bytes(l.max_memory.0),
                raise("max_memory")
            ),
        );
    }
    cx.diags.len() == before
}
