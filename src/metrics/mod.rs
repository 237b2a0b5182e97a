//! The recorder: counters and time series collected while the simulation runs.
//!
//! Owns: live counts of pods per phase, failure attempts by reason, scheduling-failure reasons,
//! and the sampled time series. Per-pod timestamps live on the pods themselves (the arena is
//! the record). Does not own: any IO or formatting (`report`), or statistics over the run
//! (`report::summary`).

pub mod tally;

use crate::model::cluster::{Pod, PodPhase, Reason};
pub use crate::model::disruption::DrainRecord;
use crate::model::messages::Messages;
use crate::model::quota::QuotaUsage;
use crate::model::windows::WinVersion;
use std::collections::BTreeMap;

/// One row of `timeseries.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub time_ms: u64,
    pub pending: u32,
    pub starting: u32,
    pub running: u32,
    pub ready: u32,
    pub failed: u32,
    pub pulls_in_flight: u32,
    /// Ready nodes per pool, in pool order.
    pub nodes_ready: Vec<u32>,
    /// Nodes being provisioned per pool, in pool order.
    pub nodes_provisioning: Vec<u32>,
    /// Bytes in use on the disks of each pool's registered nodes; empty when no pool's disk
    /// can fill.
    pub disk_used: Vec<u64>,
    /// Cordoned and NotReady registered nodes per pool; empty unless the scenario has node
    /// lifecycle actions (cordon, drain, taints, failures, upgrades).
    pub nodes_cordoned: Vec<u32>,
    pub nodes_not_ready: Vec<u32>,
    /// Per HPA workload (in workload order): desired replicas, Ready pods, offered load and the
    /// load Ready pods cannot serve.
    pub hpa: Vec<HpaSample>,
    /// Pods bound to registered Windows nodes per version, indexed like `Recorder::builds`
    /// (as long as it was when sampled); empty unless the scenario upgrades or patches a pool.
    pub pods_build: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HpaSample {
    pub replicas: u32,
    pub ready: u32,
    pub load: f64,
    pub unserved: f64,
}

#[derive(Default)]
pub struct Recorder {
    /// Live pods per phase, indexed by `phase_index`.
    pub phase_counts: [u32; PodPhase::COUNT],
    /// The same per workload (HPA syncs and samples read these instead of scanning pods).
    pub workload_phases: Vec<[u32; PodPhase::COUNT]>,
    /// Attempts that failed with each reason (a pod retrying counts every time).
    pub attempts: BTreeMap<Reason, u64>,
    /// Failed scheduling attempts per interned status message (`Messages` ids), folded into
    /// reasons only when a report asks (`unschedulable_reasons`): a failing attempt adds one,
    /// where a map keyed by reason text cost a string allocation and comparisons per reason.
    unschedulable_by_message: Vec<u64>,
    pub samples: Vec<Sample>,
    pub events: u64,
    /// One record per timeline `Drain`, in the order they started.
    pub drains: Vec<DrainRecord>,
    /// The Windows versions registered nodes carried at a sample, in first-seen order: the
    /// columns of `Sample::pods_build` (filled only when the scenario upgrades or patches).
    pub builds: Vec<WinVersion>,
    /// Time-weighted unavailable replicas per Deployment; None unless the scenario has node
    /// lifecycle actions (summary.json's `unavailable_replicas`).
    pub unavailable: Option<Unavailable>,
    /// Namespace usage and refusals of ResourceQuota admission (`model::quota`); None when
    /// the scenario has no quota, so a phase change costs one test.
    pub quota: Option<QuotaUsage>,
}

/// ∫ max(0, desired − Ready) dt and its peak, per Deployment, kept as a step function: each
/// time the clock moves, the state the previous instant left lasted until now. A state that
/// lasts no time (a pod evicted and replaced within one instant) adds nothing and is no peak.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unavailable {
    /// The Deployments tracked (workload indices, in workload order).
    pub workloads: Vec<usize>,
    /// When the integrals were last brought up to date.
    pub last_ms: u64,
    /// Per tracked workload: replica-milliseconds unavailable, and the largest deficit that
    /// lasted some time.
    pub replica_ms: Vec<u64>,
    pub peak: Vec<u32>,
}

impl Unavailable {
    pub fn new(workloads: Vec<usize>) -> Unavailable {
        let n = workloads.len();
        Unavailable {
            workloads,
            last_ms: 0,
            replica_ms: vec![0; n],
            peak: vec![0; n],
        }
    }

    /// The clock moved to `now`: the `k`-th tracked workload was `deficit(k)` replicas short
    /// since `last_ms`.
    pub fn advance(&mut self, now: u64, deficit: impl Fn(usize) -> u32) {
        if now <= self.last_ms {
            return;
        }
        let dt = now - self.last_ms;
        for k in 0..self.workloads.len() {
            let d = deficit(self.workloads[k]);
            self.replica_ms[k] += u64::from(d) * dt;
            self.peak[k] = self.peak[k].max(d);
        }
        self.last_ms = now;
    }
}

pub fn phase_index(p: PodPhase) -> usize {
    match p {
        PodPhase::Pending => 0,
        PodPhase::Starting => 1,
        PodPhase::Running => 2,
        PodPhase::Ready => 3,
        PodPhase::Failed => 4,
        PodPhase::Rejected => 5,
        PodPhase::Deleted => 6,
        PodPhase::Terminating => 7,
        PodPhase::Succeeded => 8,
    }
}

impl Recorder {
    /// A recorder for a run of `spec`: one that keeps namespace usage if it has quotas.
    pub fn for_spec(spec: &crate::model::Spec) -> Recorder {
        Recorder {
            quota: QuotaUsage::for_spec(spec),
            ..Recorder::default()
        }
    }

    pub fn pod_created(&mut self, pod: &Pod) {
        if let Some(q) = &mut self.quota {
            q.transition(pod.workload, pod.template, None, pod.phase);
        }
        self.phase_counts[phase_index(pod.phase)] += 1;
        let w = pod.workload.idx();
        if self.workload_phases.len() <= w {
            self.workload_phases.resize(w + 1, [0; PodPhase::COUNT]);
        }
        self.workload_phases[w][phase_index(pod.phase)] += 1;
    }

    /// Moves a pod to `phase`, keeping the live counts right.
    pub fn set_phase(&mut self, pod: &mut Pod, phase: PodPhase) {
        if let Some(q) = &mut self.quota {
            q.transition(pod.workload, pod.template, Some(pod.phase), phase);
        }
        let (from, to) = (phase_index(pod.phase), phase_index(phase));
        self.phase_counts[from] -= 1;
        self.phase_counts[to] += 1;
        let w = &mut self.workload_phases[pod.workload.idx()];
        w[from] -= 1;
        w[to] += 1;
        pod.phase = phase;
    }

    /// Live pods of a workload in `phase`.
    pub fn workload_count(&self, w: usize, phase: PodPhase) -> u32 {
        self.workload_phases
            .get(w)
            .map_or(0, |c| c[phase_index(phase)])
    }

    /// Records a failed attempt: the pod now waits (or ended) with `reason` and `message`.
    pub fn failure(&mut self, pod: &mut Pod, reason: Reason, message: u32) {
        *self.attempts.entry(reason).or_default() += 1;
        pod.reasons_seen |= reason.bit();
        pod.reason = Some(reason);
        pod.message = Some(message);
    }

    /// Counts a failed scheduling attempt whose status is the interned `message`.
    pub fn unschedulable(&mut self, message: u32) {
        let i = message as usize;
        if self.unschedulable_by_message.len() <= i {
            self.unschedulable_by_message.resize(i + 1, 0);
        }
        self.unschedulable_by_message[i] += 1;
    }

    /// Scheduling-failure reasons (without node counts) → failed attempts that listed them:
    /// each message's count added to every reason it lists (`Messages::reasons`, fixed when
    /// the message is first interned).
    pub fn unschedulable_reasons(&self, messages: &Messages) -> BTreeMap<String, u64> {
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for (id, &n) in self.unschedulable_by_message.iter().enumerate() {
            if n == 0 {
                continue;
            }
            for r in messages.reasons(id as u32) {
                *reasons.entry(r.clone()).or_default() += n;
            }
        }
        reasons
    }

    pub fn count(&self, phase: PodPhase) -> u32 {
        self.phase_counts[phase_index(phase)]
    }

    /// The column of `version` in `Sample::pods_build`, adding it when first seen.
    pub fn build_column(&mut self, version: WinVersion) -> usize {
        match self.builds.iter().position(|&b| b == version) {
            Some(i) => i,
            None => {
                self.builds.push(version);
                self.builds.len() - 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_sum_the_failed_attempts_of_every_message_that_lists_them() {
        let mut m = Messages::default();
        let a =
            m.intern("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) were unschedulable.");
        m.set_reasons(
            a,
            vec![
                "Insufficient cpu".into(),
                "node(s) were unschedulable".into(),
            ],
        );
        let b = m.intern("0/3 nodes are available: 3 Insufficient cpu.");
        m.set_reasons(b, vec!["Insufficient cpu".into()]);
        // A message no attempt failed with lists nothing in the map.
        let c = m.intern("0/3 nodes are available: 3 Too many pods.");
        m.set_reasons(c, vec!["Too many pods".into()]);
        let mut rec = Recorder::default();
        for id in [a, b, a, b, b] {
            rec.unschedulable(id);
        }
        // Attempts: a twice, b three times. "Insufficient cpu" is in both: 2 + 3 = 5;
        // "node(s) were unschedulable" only in a: 2.
        let want: BTreeMap<String, u64> = [
            ("Insufficient cpu".to_string(), 5),
            ("node(s) were unschedulable".to_string(), 2),
        ]
        .into();
        assert_eq!(rec.unschedulable_reasons(&m), want);
    }
}
