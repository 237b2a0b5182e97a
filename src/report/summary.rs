//! The run summary: what `summary.json` holds and the console prints.

use super::stats::Stats;
use crate::model::cluster::{PodPhase, Reason};
use crate::model::{Os, Spec};
use crate::simulation::RunOutput;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, PartialEq)]
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
}

#[derive(Clone, Debug, Serialize, PartialEq)]
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

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WorkloadSummary {
    pub created: u64,
    pub ready: u64,
    pub pending_at_end: u64,
    pub failures: BTreeMap<String, u64>,
    pub startup_latency_s: Stats,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PoolSummary {
    pub os: String,
    pub ready_at_end: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    pub pods: PodCounts,
    /// Reason → pods that hit it at least once.
    pub failures: BTreeMap<String, u64>,
    /// Reason → failed attempts (retries count).
    pub failure_attempts: BTreeMap<String, u64>,
    /// Scheduler reason (without node counts) → failed scheduling attempts that listed it.
    pub unschedulable_reasons: BTreeMap<String, u64>,
    /// created → Ready, over pods that became Ready; by the OS of their node.
    pub startup_latency_s: BTreeMap<String, Stats>,
    pub phases_s: Phases,
    pub workloads: BTreeMap<String, WorkloadSummary>,
    pub nodes: BTreeMap<String, PoolSummary>,
    pub scheduling_attempts: u64,
    pub events: u64,
}

impl Summary {
    pub fn new(spec: &Spec, out: &RunOutput) -> Summary {
        let cl = &out.cluster;
        let mut counts = PodCounts {
            created: cl.pods.len() as u64,
            ready: 0,
            pending_at_end: 0,
            running_not_ready_at_end: 0,
            ready_at_end: 0,
            failed: 0,
            rejected: 0,
            deleted: 0,
        };
        let mut failures: BTreeMap<String, u64> = Reason::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), 0))
            .collect();
        let mut lat: [Vec<u64>; 3] = Default::default();
        let mut ph: [Vec<u64>; 4] = Default::default();
        let mut per_wl: Vec<(WorkloadSummary, Vec<u64>)> = spec
            .workloads
            .iter()
            .map(|_| {
                (
                    WorkloadSummary {
                        created: 0,
                        ready: 0,
                        pending_at_end: 0,
                        failures: BTreeMap::new(),
                        startup_latency_s: Stats::default(),
                    },
                    Vec::new(),
                )
            })
            .collect();
        for p in &cl.pods {
            let wl = &mut per_wl[p.workload.idx()];
            wl.0.created += 1;
            match p.phase {
                PodPhase::Pending | PodPhase::Starting => {
                    counts.pending_at_end += 1;
                    wl.0.pending_at_end += 1;
                }
                PodPhase::Running => counts.running_not_ready_at_end += 1,
                PodPhase::Ready => counts.ready_at_end += 1,
                PodPhase::Failed => counts.failed += 1,
                PodPhase::Rejected => counts.rejected += 1,
                PodPhase::Deleted => counts.deleted += 1,
            }
            for r in Reason::ALL {
                if p.reasons_seen & r.bit() != 0 {
                    *failures.entry(r.as_str().to_string()).or_default() += 1;
                    *wl.0.failures.entry(r.as_str().to_string()).or_default() += 1;
                }
            }
            if let Some(ready) = p.ready {
                counts.ready += 1;
                wl.0.ready += 1;
                let l = ready - p.created;
                lat[0].push(l);
                wl.1.push(l);
                let os = p.node.map(|n| spec.pool(cl.node(n).pool).os);
                match os {
                    Some(Os::Linux) => lat[1].push(l),
                    Some(Os::Windows) => lat[2].push(l),
                    None => {}
                }
                if let (Some(s), Some(pu), Some(st)) = (p.scheduled, p.pulled, p.started) {
                    ph[0].push(s - p.created);
                    ph[1].push(pu.saturating_sub(s));
                    ph[2].push(st.saturating_sub(pu));
                    ph[3].push(ready.saturating_sub(st));
                }
            }
        }
        let [mut all, mut linux, mut windows] = lat;
        let mut startup = BTreeMap::new();
        startup.insert("all".to_string(), Stats::of_ms(&mut all));
        startup.insert("linux".to_string(), Stats::of_ms(&mut linux));
        startup.insert("windows".to_string(), Stats::of_ms(&mut windows));
        let [mut q, mut pu, mut st, mut rd] = ph;
        let workloads = spec
            .workloads
            .iter()
            .zip(per_wl)
            .map(|(w, (mut s, mut l))| {
                s.startup_latency_s = Stats::of_ms(&mut l);
                (w.name.clone(), s)
            })
            .collect();
        let nodes = spec
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p.name.clone(),
                    PoolSummary {
                        os: p.os.label().to_string(),
                        ready_at_end: cl.ready_per_pool[i],
                    },
                )
            })
            .collect();
        Summary {
            scenario: spec.name.clone(),
            seed: out.seed,
            duration_s: spec.duration as f64 / 1000.0,
            pods: counts,
            failures,
            failure_attempts: Reason::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_string(),
                        out.rec.attempts.get(r).copied().unwrap_or(0),
                    )
                })
                .collect(),
            unschedulable_reasons: out.rec.unschedulable_reasons.clone(),
            startup_latency_s: startup,
            phases_s: Phases {
                queue: Stats::of_ms(&mut q),
                pull: Stats::of_ms(&mut pu),
                start: Stats::of_ms(&mut st),
                ready: Stats::of_ms(&mut rd),
            },
            workloads,
            nodes,
            scheduling_attempts: out.scheduling_attempts,
            events: out.events,
        }
    }
}
