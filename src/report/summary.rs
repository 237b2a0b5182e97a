//! The run summary: what `summary.json` holds and the console prints.

use super::stats::Stats;
use crate::autoscaler::cluster_autoscaler::ScalingKind;
use crate::metrics::tally::PodTally;
use crate::model::cluster::{PodPhase, Reason, Termination};
use crate::model::{FailTarget, NodeTarget, PoolId, Spec, TimelineAction, WorkloadId};
use crate::simulation::RunOutput;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PodCounts {
    pub created: u64,
    /// Pods that became Ready at some point.
    pub ready: u64,
    /// Live pods in the Kubernetes phase Pending at the end: unbound, or bound with containers
    /// not started (pulling, back-off, create errors).
    pub pending_at_end: u64,
    /// Live pods with every container started but not Ready at the end.
    pub running_not_ready_at_end: u64,
    pub ready_at_end: u64,
    /// Pods that failed on their node (admission).
    pub failed: u64,
    /// Pods the API server rejected (RuntimeClass conflicts).
    pub rejected: u64,
    pub deleted: u64,
    /// Pods still terminating gracefully at the end (evicted or preempted, inside their grace
    /// period). Omitted when zero, so runs without graceful deletions keep their bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub terminating_at_end: u64,
    /// Pods that ran to completion (Jobs). Omitted when zero, so runs without Jobs keep their
    /// bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub succeeded: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Phases {
    /// created → scheduled (queueing, waiting for capacity).
    pub queue: Stats,
    /// scheduled → last image available.
    pub pull: Stats,
    /// image available → every container started.
    pub start: Stats,
    /// started → Ready (readiness probes).
    pub ready: Stats,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WorkloadSummary {
    pub created: u64,
    pub ready: u64,
    pub pending_at_end: u64,
    pub failures: BTreeMap<String, u64>,
    pub startup_latency_s: Stats,
    /// Pod creations ResourceQuota admission refused (each retry counts). Written only when
    /// the scenario has quotas, so other runs keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota_refusals: Option<u64>,
}

/// One ResourceQuota's effect on the run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct QuotaSummary {
    /// Pod creations it refused (each retry counts).
    pub refusals: u64,
    /// Its latest refusal's message, as the API server words it; empty if none.
    pub last_message: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PoolSummary {
    pub os: String,
    pub ready_at_end: u32,
    /// Fewest and most billed nodes (Ready + provisioning) at any sample.
    pub min: u32,
    pub max: u32,
    /// Node-hours from each node's provisioning request to its deletion (or the end).
    pub node_hours: f64,
    pub cost: f64,
    pub scale_ups: u32,
    pub nodes_added: u32,
    pub scale_downs: u32,
    pub failed_scale_ups: u32,
    /// Request → Ready of the nodes requested during the run.
    pub provisioning_s: Stats,
    /// Seconds of download time the pool's nodes lost behind registry egress limits
    /// (`registries`): per download, ∫ (1 − rate / rate without any registry limit) dt.
    /// Omitted when the scenario limits no registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_wait_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cost {
    pub total: f64,
}

/// Load a workload's Ready pods could not serve.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Demand {
    /// ∫ load dt (load units × seconds).
    pub offered: f64,
    /// ∫ unserved load dt.
    pub unserved: f64,
    pub unserved_fraction: f64,
    /// Highest unserved load seen at an HPA sync.
    pub max_unserved_rate: f64,
    pub replicas_at_end: u32,
    pub max_replicas_seen: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    pub pods: PodCounts,
    /// Reason → pods that hit it at least once.
    pub failures: BTreeMap<String, u64>,
    /// Of the pods in `failures.Unschedulable`, those bound to a node later: they waited for
    /// capacity (a new node, a freed one) rather than failed for good.
    pub unschedulable_then_bound: u64,
    /// Reason → failed attempts (retries count).
    pub failure_attempts: BTreeMap<String, u64>,
    /// Graceful deletions by reason (`Evicted`, `Preempted`, …) → pods. Omitted when none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub terminations: BTreeMap<String, u64>,
    /// Scheduler reason (without node counts) → failed scheduling attempts that listed it.
    pub unschedulable_reasons: BTreeMap<String, u64>,
    /// created → Ready, over pods that became Ready; by the OS of their node.
    pub startup_latency_s: BTreeMap<String, Stats>,
    pub phases_s: Phases,
    pub workloads: BTreeMap<String, WorkloadSummary>,
    pub nodes: BTreeMap<String, PoolSummary>,
    pub cost: Cost,
    /// Per HPA workload.
    pub demand: BTreeMap<String, Demand>,
    pub scheduling_attempts: u64,
    pub events: u64,
    /// Deployment rolling updates in start order. Omitted when none, so runs without them
    /// keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<RolloutSummary>,
    /// One entry per timeline `Drain`, in start order. Omitted when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drains: Vec<DrainSummary>,
    /// Per pool whose disk can fill: image GC, disk-full pulls, DiskPressure evictions and the
    /// bytes pulled again. Omitted when no pool's disk can fill, so such runs keep their bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disk: BTreeMap<String, DiskSummary>,
    /// One entry per timeline `UpgradePool` / `PatchPool`, in start order. Omitted when there
    /// were none, so other runs keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<UpgradeSummary>,
    /// The scenario's startup-latency SLOs (its assertions that bound a startup statistic
    /// from above), so that `plot DIR` redraws them on the CDF. Omitted when there are none;
    /// `run` fills it, the experiments' per-run summaries leave it empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<SloLine>,
    /// Per Deployment, the replicas it was short of its desired count, weighted by time.
    /// Written only when the scenario has node lifecycle actions (cordons, drains, taints,
    /// failures, upgrades), so other runs keep their bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unavailable_replicas: BTreeMap<String, UnavailableReplicas>,
    /// The scenario's timeline actions with short labels, in time order, for the timeline
    /// plot's markers. Written only when the scenario has node lifecycle actions (as
    /// `unavailable_replicas`), so other runs keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineEntry>,
    /// Per ResourceQuota (`NAMESPACE/NAME`), the pod creations it refused. Omitted when the
    /// scenario has no quota, so other runs keep their bytes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota_refusals: BTreeMap<String, QuotaSummary>,
}

/// A startup-latency SLO as the plots draw it: the assertion `OS STAT startup < VALUE`
/// (or its `startup_latency_s.OS.STAT` / `apps.startup_latency_s.OS.STAT` spelling, `<` or
/// `<=`). On a CDF, a percentile SLO holds when the curve reaches `STAT / 100` at or before
/// `seconds`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SloLine {
    /// The assertion as written in the scenario (the legend shows it).
    pub assertion: String,
    /// `all`, `linux` or `windows`: the CDF panel it is drawn on.
    pub os: String,
    /// `p50`, `p90`, `p95`, `p99`, `max` or `mean`.
    pub stat: String,
    /// The bound, in seconds.
    pub seconds: f64,
}

impl SloLine {
    /// The fraction of pods Ready the CDF must reach by `seconds`: 0.99 for p99, 1 for max;
    /// none for the mean (a CDF shows no mean).
    pub fn fraction(&self) -> Option<f64> {
        match self.stat.as_str() {
            "max" => Some(1.0),
            s => s.strip_prefix('p')?.parse::<f64>().ok().map(|p| p / 100.0),
        }
    }
}

/// One timeline action: when, and a short label (`Drain win-0`, `UpgradePool win to
/// 10.0.20348.2700`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TimelineEntry {
    pub at_s: f64,
    pub action: String,
}

/// How far below its desired replicas a Deployment ran: max(0, desired − Ready) over the run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UnavailableReplicas {
    /// ∫ max(0, desired − Ready) dt / duration: the replicas missing on average.
    pub mean: f64,
    /// The largest deficit that lasted some time.
    pub peak: u32,
    /// ∫ max(0, desired − Ready) dt, in replica-seconds.
    pub replica_seconds: f64,
}

/// What one node-pool upgrade or patch did (`controllers::upgrade::UpgradeRecord` in seconds).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct UpgradeSummary {
    pub pool: String,
    /// `UpgradePool` or `PatchPool`.
    pub action: String,
    /// The pool's version before and after (`10.0.BUILD.REV`).
    pub from_build: String,
    pub to_build: String,
    pub started_s: f64,
    /// When every old node was upgraded; null if the upgrade failed or the run ended first.
    pub completed_s: Option<f64>,
    pub duration_s: Option<f64>,
    pub nodes_upgraded: u32,
    pub pods_evicted: u32,
    /// Pods bound to a node with the new version that hit CreateContainerError or
    /// ErrImagePull there.
    pub pods_failed_on_new_build: u32,
    /// Eviction requests refused with 429 by a PodDisruptionBudget, retries included.
    pub evictions_refused: u32,
    /// Why the upgrade failed (a drain timed out); absent when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// One rolling update of a Deployment (timeline `UpdateImage` / `UpdateTemplate`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RolloutSummary {
    pub workload: String,
    /// The image of each container of the template rolled out, in order.
    pub images: Vec<String>,
    pub started_s: f64,
    /// When every replica ran the new template and was Ready; absent if that never happened
    /// (stalled, superseded by a later rollout, or the run ended first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
}

/// What one timeline `Drain` did (`metrics::DrainRecord` in seconds).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DrainSummary {
    pub target: String,
    pub start_s: f64,
    /// When kubectl would have returned; null if the run ended first.
    pub end_s: Option<f64>,
    pub nodes: u32,
    pub nodes_drained: u32,
    pub nodes_timed_out: u32,
    /// Nodes not drained because of a bare Pod (no `force`).
    pub nodes_refused: u32,
    pub pods_evicted: u32,
    /// Evictions refused with 429 by a PodDisruptionBudget, retries included.
    pub evictions_refused: u32,
    /// Some node's timeout ran out.
    pub timed_out: bool,
}

/// The disk of one pool over the run (docs/outputs.md).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DiskSummary {
    /// Images removed by image GC and by the eviction manager's reclaim.
    pub images_collected: u64,
    /// Bytes those removals freed.
    pub bytes_collected: u64,
    /// GC passes that could not free down to the low threshold.
    pub gc_failures: u64,
    /// Pull attempts that failed because the image did not fit on the disk.
    pub pulls_disk_full: u64,
    /// Pods evicted under DiskPressure.
    pub evictions: u64,
    /// Times a node of the pool came under DiskPressure.
    pub pressure_onsets: u64,
    /// Compressed bytes the pool's nodes downloaded.
    pub bytes_pulled: u64,
    /// The part of `bytes_pulled` that downloaded again layers image GC had removed.
    pub bytes_repulled: u64,
    /// Bytes in use on the pool's disks at the busiest sample (`disk_used_POOL` in
    /// timeseries.csv).
    pub peak_disk_used: u64,
}

impl Summary {
    /// Every pod of the run tallied: those given back during the run (finished trace pods)
    /// were tallied then, the pods still held are tallied now. Sums and multisets: the order
    /// does not matter. The summary's pod figures and the run's startup CDF come from it.
    pub fn tally(spec: &Spec, out: &RunOutput) -> PodTally {
        let cl = &out.cluster;
        let mut tally = out.retired.clone();
        for p in &cl.pods {
            tally.add(spec, &cl.nodes, p);
        }
        tally
    }

    pub fn new(spec: &Spec, out: &RunOutput) -> Summary {
        Summary::of_tally(spec, out, &mut Summary::tally(spec, out))
    }

    /// The summary of a run whose pods `tally` counts (`Summary::tally`); the caller keeps the
    /// tally for what else is drawn from it (`run --plots`' startup CDF), so no pod is
    /// tallied twice. Reading the multisets compacts them, which leaves their values.
    pub fn of_tally(spec: &Spec, out: &RunOutput, tally: &mut PodTally) -> Summary {
        let cl = &out.cluster;
        let n = |ph: PodPhase| tally.phases[crate::metrics::phase_index(ph)];
        let counts = PodCounts {
            created: tally.created(),
            ready: tally.ready,
            pending_at_end: n(PodPhase::Pending) + n(PodPhase::Starting),
            running_not_ready_at_end: n(PodPhase::Running),
            ready_at_end: n(PodPhase::Ready),
            failed: n(PodPhase::Failed),
            rejected: n(PodPhase::Rejected),
            deleted: n(PodPhase::Deleted),
            terminating_at_end: n(PodPhase::Terminating),
            succeeded: n(PodPhase::Succeeded),
        };
        let terminations: BTreeMap<String, u64> = Termination::ALL
            .iter()
            .zip(tally.terminations)
            .filter(|&(_, c)| c > 0)
            .map(|(t, c)| (t.as_str().to_string(), c))
            .collect();
        let reasons = |counts: &[u64]| -> BTreeMap<String, u64> {
            Reason::ALL
                .iter()
                .zip(counts)
                .map(|(r, &c)| (r.as_str().to_string(), c))
                .collect()
        };
        let failures = reasons(&tally.failures);
        let unschedulable_then_bound = tally.unschedulable_then_bound;
        let mut startup = BTreeMap::new();
        let [all, linux, windows] = &mut tally.startup;
        startup.insert("all".to_string(), Stats::of_hist(all));
        startup.insert("linux".to_string(), Stats::of_hist(linux));
        startup.insert("windows".to_string(), Stats::of_hist(windows));
        let [q, pu, st, rd] = &mut tally.phases_ms;
        let (q, pu, st, rd) = (
            Stats::of_hist(q),
            Stats::of_hist(pu),
            Stats::of_hist(st),
            Stats::of_hist(rd),
        );
        // Inserted one by one: collecting would first buffer and sort every (name, summary)
        // pair, twice the map's memory when a scenario has 100k workloads.
        let mut workloads = BTreeMap::new();
        tally.size_workloads(spec);
        for (i, (w, t)) in spec.workloads.iter().zip(&mut tally.workloads).enumerate() {
            let s = WorkloadSummary {
                created: t.created,
                ready: t.ready,
                pending_at_end: t.pending_at_end,
                // Only the reasons its pods met.
                failures: reasons(&t.failures)
                    .into_iter()
                    .filter(|&(_, c)| c > 0)
                    .collect(),
                startup_latency_s: Stats::of_hist(&mut t.startup),
                quota_refusals: spec
                    .has_quotas()
                    .then(|| out.rec.quota.as_ref().map_or(0, |q| q.refusals[i])),
            };
            workloads.insert(w.name.clone(), s);
        }
        let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let mut nodes = BTreeMap::new();
        let mut total_cost = 0.0;
        for (i, p) in spec.pools.iter().enumerate() {
            let billed = |s: &crate::metrics::Sample| s.nodes_ready[i] + s.nodes_provisioning[i];
            let samples = &out.rec.samples;
            let mut ms: u128 = 0;
            let mut prov = Vec::new();
            for n in cl.nodes.iter().filter(|n| n.pool.idx() == i) {
                let end = n.deleted_at.unwrap_or(out.end).min(out.end);
                ms += end.saturating_sub(n.created_at) as u128;
                if let (true, Some(r)) = (n.created_at > 0, n.ready_at) {
                    prov.push(r - n.created_at);
                }
            }
            let node_hours = ms as f64 / 3_600_000.0;
            let cost = node_hours * p.price_per_hour;
            total_cost += cost;
            let count = |k: ScalingKind| {
                out.scaling
                    .iter()
                    .filter(|e| e.pool.idx() == i && e.kind == k)
                    .count() as u32
            };
            nodes.insert(
                p.name.clone(),
                PoolSummary {
                    os: p.os.label().to_string(),
                    ready_at_end: cl.ready_per_pool[i],
                    min: samples.iter().map(billed).min().unwrap_or(0),
                    max: samples.iter().map(billed).max().unwrap_or(0),
                    node_hours: round3(node_hours),
                    cost: round3(cost),
                    scale_ups: count(ScalingKind::ScaleUp),
                    nodes_added: out
                        .scaling
                        .iter()
                        .filter(|e| e.pool.idx() == i && e.kind == ScalingKind::ScaleUp)
                        .map(|e| e.delta as u32)
                        .sum(),
                    scale_downs: count(ScalingKind::ScaleDown),
                    failed_scale_ups: count(ScalingKind::FailedScaleUp),
                    provisioning_s: Stats::of_ms(&mut prov),
                    registry_wait_s: out.registry_wait_s.get(i).map(|&w| round3(w)),
                },
            );
        }
        let mut demand = BTreeMap::new();
        let mut hpa_col = 0;
        for (i, w) in spec.workloads.iter().enumerate() {
            let (Some(_), Some(Some(st))) = (&w.hpa, out.hpa.get(i)) else {
                continue;
            };
            let col = hpa_col;
            hpa_col += 1;
            let series = out.rec.samples.iter().map(|s| s.hpa[col].replicas);
            demand.insert(
                w.name.clone(),
                Demand {
                    offered: round3(st.demand),
                    unserved: round3(st.unserved),
                    unserved_fraction: if st.demand > 0.0 {
                        round3(st.unserved / st.demand * 1000.0) / 1000.0
                    } else {
                        0.0
                    },
                    max_unserved_rate: round3(st.max_unserved_rate),
                    replicas_at_end: out.rec.samples.last().map_or(0, |s| s.hpa[col].replicas),
                    max_replicas_seen: series.max().unwrap_or(0),
                },
            );
        }
        Summary {
            scenario: spec.name.clone(),
            seed: out.seed,
            duration_s: spec.duration as f64 / 1000.0,
            pods: counts,
            failures,
            unschedulable_then_bound,
            failure_attempts: Reason::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_string(),
                        out.rec.attempts.get(r).copied().unwrap_or(0),
                    )
                })
                .collect(),
            terminations,
            unschedulable_reasons: out.rec.unschedulable_reasons(&out.messages),
            startup_latency_s: startup,
            phases_s: Phases {
                queue: q,
                pull: pu,
                start: st,
                ready: rd,
            },
            workloads,
            nodes,
            cost: Cost {
                total: round3(total_cost),
            },
            demand,
            scheduling_attempts: out.scheduling_attempts,
            events: out.events,
            rollouts: out
                .rollouts
                .iter()
                .map(|r| RolloutSummary {
                    workload: spec.workloads[r.workload.idx()].name.clone(),
                    images: spec
                        .template(r.template)
                        .containers
                        .iter()
                        .map(|c| spec.images[c.image.idx()].name.clone())
                        .collect(),
                    started_s: r.started as f64 / 1000.0,
                    completed_s: r.completed.map(|t| t as f64 / 1000.0),
                    duration_s: r.completed.map(|t| (t - r.started) as f64 / 1000.0),
                })
                .collect(),
            drains: out
                .rec
                .drains
                .iter()
                .map(|d| DrainSummary {
                    target: d.target.clone(),
                    start_s: d.start as f64 / 1000.0,
                    end_s: d.end.map(|e| e as f64 / 1000.0),
                    nodes: d.nodes,
                    nodes_drained: d.nodes_drained,
                    nodes_timed_out: d.nodes_timed_out,
                    nodes_refused: d.nodes_refused,
                    pods_evicted: d.pods_evicted,
                    evictions_refused: d.evictions_refused,
                    timed_out: d.nodes_timed_out > 0,
                })
                .collect(),
            disk: disk_summaries(spec, out),
            upgrades: out
                .upgrades
                .iter()
                .map(|u| UpgradeSummary {
                    pool: u.pool.clone(),
                    action: u.action.to_string(),
                    from_build: u.from.to_string(),
                    to_build: u.to.to_string(),
                    started_s: u.start as f64 / 1000.0,
                    completed_s: u.end.map(|t| t as f64 / 1000.0),
                    duration_s: u.end.map(|t| (t - u.start) as f64 / 1000.0),
                    nodes_upgraded: u.nodes_upgraded,
                    pods_evicted: u.pods_evicted,
                    pods_failed_on_new_build: u.pods_failed_on_new_build,
                    evictions_refused: u.evictions_refused,
                    failed: u.failed.clone(),
                })
                .collect(),
            slo: Vec::new(),
            unavailable_replicas: unavailable_replicas(spec, out),
            timeline: if out.rec.unavailable.is_some() {
                spec.timeline
                    .iter()
                    .map(|(at, a)| TimelineEntry {
                        at_s: *at as f64 / 1000.0,
                        action: action_label(spec, a),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            quota_refusals: spec
                .quotas
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    let u = out.rec.quota.as_ref();
                    (
                        format!("{}/{}", spec.namespaces[q.namespace as usize], q.name),
                        QuotaSummary {
                            refusals: u.map_or(0, |u| u.quota_refusals[i]),
                            last_message: u.map_or(String::new(), |u| u.last_message[i].clone()),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// A timeline action in a few words, with the names the scenario file uses.
pub fn action_label(spec: &Spec, a: &TimelineAction) -> String {
    let wl = |w: WorkloadId| spec.workloads[w.idx()].name.as_str();
    let pool = |p: PoolId| spec.pool(p).name.as_str();
    let node = |t: &NodeTarget| match *t {
        NodeTarget::Node { pool: p, ordinal } => {
            spec.pool(p).naming.name(&spec.pool(p).name, ordinal)
        }
        NodeTarget::Pool(p) => format!("pool {}", pool(p)),
    };
    let fail = |t: &FailTarget| match *t {
        FailTarget::Node { pool: p, ordinal } => {
            spec.pool(p).naming.name(&spec.pool(p).name, ordinal)
        }
        FailTarget::Count { pool: p, count } => format!("{count} of {}", pool(p)),
        FailTarget::Fraction {
            pool: p,
            per_million,
        } => format!("{}% of {}", f64::from(per_million) / 10_000.0, pool(p)),
    };
    match a {
        TimelineAction::Create(w) => format!("Create {}", wl(*w)),
        TimelineAction::Scale(w, n) => format!("Scale {} to {n}", wl(*w)),
        TimelineAction::Delete(w) => format!("Delete {}", wl(*w)),
        TimelineAction::Cordon(t) => format!("Cordon {}", node(t)),
        TimelineAction::Uncordon(t) => format!("Uncordon {}", node(t)),
        TimelineAction::AddTaint(t, taint) => {
            format!("AddTaint {} {}", node(t), taint.key)
        }
        TimelineAction::RemoveTaint(t, key, _) => format!("RemoveTaint {} {key}", node(t)),
        TimelineAction::FailNode(t) => format!("FailNode {}", fail(t)),
        TimelineAction::RecoverNode(t) => format!("RecoverNode {}", fail(t)),
        TimelineAction::Rollout(w, _) => format!("UpdateImage {}", wl(*w)),
        TimelineAction::Drain(t, _) => format!("Drain {}", node(t)),
        TimelineAction::UpgradePool(p, u) => format!("UpgradePool {} to {}", pool(*p), u.to),
        TimelineAction::PatchPool(p, u) => {
            format!("PatchPool {} to rev {}", pool(*p), u.to_revision)
        }
    }
}

/// The `unavailable_replicas` section, from the run's integrals (`metrics::Unavailable`).
fn unavailable_replicas(spec: &Spec, out: &RunOutput) -> BTreeMap<String, UnavailableReplicas> {
    let Some(u) = &out.rec.unavailable else {
        return BTreeMap::new();
    };
    let round3 = |x: f64| (x * 1000.0).round() / 1000.0;
    u.workloads
        .iter()
        .enumerate()
        .map(|(k, &w)| {
            let ms = u.replica_ms[k] as f64;
            (
                spec.workloads[w].name.clone(),
                UnavailableReplicas {
                    mean: if spec.duration > 0 {
                        round3(ms / spec.duration as f64)
                    } else {
                        0.0
                    },
                    peak: u.peak[k],
                    replica_seconds: round3(ms / 1000.0),
                },
            )
        })
        .collect()
}

/// The `disk` section: one entry per pool whose disk can fill.
fn disk_summaries(spec: &Spec, out: &RunOutput) -> BTreeMap<String, DiskSummary> {
    let mut m = BTreeMap::new();
    for (i, (p, st)) in spec.pools.iter().zip(&out.disk).enumerate() {
        let Some(st) = st else { continue };
        m.insert(
            p.name.clone(),
            DiskSummary {
                images_collected: st.images_collected,
                bytes_collected: st.bytes_collected,
                gc_failures: st.gc_failures,
                pulls_disk_full: st.pulls_disk_full,
                evictions: st.evictions,
                pressure_onsets: st.pressure_onsets,
                bytes_pulled: st.bytes_pulled,
                bytes_repulled: st.bytes_repulled,
                peak_disk_used: out
                    .rec
                    .samples
                    .iter()
                    .filter_map(|s| s.disk_used.get(i).copied())
                    .max()
                    .unwrap_or(0),
            },
        );
    }
    m
}
