//! The Job controller: runs a Job's pods to completion, `parallelism` at a time, until
//! `completions` succeeded, recreating failed pods after a back-off until more than
//! `backoffLimit` failed or the `activeDeadlineSeconds` passed.
//!
//! Owns: a Job's counters (succeeded, failed, failures since the last success), when it
//! creates pods, and how it ends. Does not own: a pod's run (the kubelet schedules
//! `Event::PodSucceeded` `run_ms` after the pod's containers started; `pod_succeeded` here
//! marks it and returns its node's resources), scheduling, or releasing a failed pod's
//! resources (the loop does, on `Effect::PodFailed`).
//!
//! Source: k/k `pkg/controller/job/job_controller.go` (`syncJob`, `manageJob`,
//! `getRemainingTime` of `backoff_utils.go`), v1.31:
//! - active pods wanted: `min(parallelism, completions − succeeded)`; missing ones are created
//!   in one sync (`manageJob`);
//! - a failed pod counts against `backoffLimit`; the Job fails (`BackoffLimitExceeded`) when
//!   `failed > backoffLimit`, and at `startTime + activeDeadlineSeconds` (`DeadlineExceeded`);
//!   a failed Job deletes its active pods;
//! - before recreating after failures, the controller waits `10 s × 2^(n−1)`, at most 10 min
//!   (`DefaultJobPodFailureBackOff`, `MaxJobPodFailureBackOff`), from the last failure, where
//!   n counts failures since the last success;
//! - a pod that is deleted or starts terminating before it succeeded counts as failed (Job
//!   tracking with finalizers, the default since 1.26), and is replaced at once
//!   (`podReplacementPolicy: TerminatingOrFailed`, the default without a pod failure policy).
//!
//! Simplifications (docs/scenario-format.md): a failed Job's active pods are deleted at once,
//! without a grace period; `ttlSecondsAfterFinished` is not modelled (a finished Job's pods
//! hold no resources, so removing the Job object changes no figure of a run); a pod an API
//! server rejects (a RuntimeClass conflict) counts as a failure, so `backoffLimit` ends a Job
//! whose pods can never exist.

use super::{Controllers, delete_pod};
use crate::effect::{Ctx, Effect, Event};
use crate::engine::backoff;
use crate::model::cluster::PodPhase;
use crate::model::*;

/// How a Job ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobEnd {
    /// `completions` pods succeeded.
    Complete,
    /// More than `backoffLimit` pods failed.
    BackoffLimitExceeded,
    /// `activeDeadlineSeconds` passed first.
    DeadlineExceeded,
}

/// A Job's status (`JobStatus`), per workload.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobState {
    /// `status.startTime`: the first sync after creation.
    pub started: Option<u64>,
    pub succeeded: u32,
    pub failed: u32,
    /// Failures since the last success, for the back-off.
    pub failures_since_success: u32,
    /// When the latest failure happened.
    pub last_failure: u64,
    pub finished: Option<(JobEnd, u64)>,
}

impl Controllers {
    /// `syncJob`: counts the pods that ended since the last sync, ends the Job if it is done,
    /// failed or past its deadline, else creates the missing active pods (after the failure
    /// back-off).
    pub(super) fn sync_job(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let now = cx.now;
        let Some(job) = &cx.spec.workloads[wl.idx()].job else {
            return;
        };
        let js = &mut self.jobs[wl.idx()];
        if js.finished.is_some() {
            return;
        }
        if js.started.is_none() {
            js.started = Some(now);
            if let Some(d) = job.active_deadline {
                cx.at(now.saturating_add(d), Event::ControllerSync(wl));
            }
        }
        let ws = &mut self.workloads[wl.idx()];
        let pods = &cx.cluster.pods;
        ws.pods.retain(|&p| {
            let pod = &pods[p.idx()];
            match pod.phase {
                PodPhase::Pending | PodPhase::Starting | PodPhase::Running | PodPhase::Ready => {
                    true
                }
                PodPhase::Succeeded => {
                    js.succeeded += 1;
                    js.failures_since_success = 0;
                    false
                }
                PodPhase::Failed
                | PodPhase::Rejected
                | PodPhase::Deleted
                | PodPhase::Terminating => {
                    js.failed += 1;
                    js.failures_since_success += 1;
                    js.last_failure = js.last_failure.max(pod.ended.unwrap_or(now));
                    false
                }
            }
        });
        let past_deadline = job
            .active_deadline
            .zip(js.started)
            .is_some_and(|(d, s)| now >= s.saturating_add(d));
        let end = if js.failed > job.backoff_limit {
            Some(JobEnd::BackoffLimitExceeded)
        } else if past_deadline {
            Some(JobEnd::DeadlineExceeded)
        } else if js.succeeded >= job.completions {
            Some(JobEnd::Complete)
        } else {
            None
        };
        if let Some(end) = end {
            js.finished = Some((end, now));
            for p in std::mem::take(&mut ws.pods) {
                delete_pod(cx, p);
            }
            return;
        }
        // Active pods never exceed this: completions and parallelism are fixed (a timeline
        // cannot scale a Job), and a success lowers both sides by one.
        let want = job.parallelism.min(job.completions - js.succeeded) as usize;
        let active = ws.pods.len();
        if active >= want {
            return;
        }
        if js.failures_since_success > 0 {
            let (base, max) = job.failure_backoff;
            let ready_at =
                js.last_failure
                    .saturating_add(backoff(base, max, js.failures_since_success));
            if ready_at > now {
                if !ws.sync_pending {
                    ws.sync_pending = true;
                    cx.at(ready_at, Event::ControllerSync(wl));
                }
                return;
            }
        }
        let run = job.run_time;
        let mut rejected = false;
        for _ in active..want {
            // A refused creation ends the round; the sync is retried (`retry_after_refusal`).
            let Some(id) = self.create_pod(cx, wl, None) else {
                break;
            };
            let p = &mut cx.cluster.pods[id.idx()];
            p.run_ms = Some(run);
            rejected |= p.phase == PodPhase::Rejected;
        }
        // A rejected pod never runs, so nothing else would wake the Job: count it now.
        let ws = &mut self.workloads[wl.idx()];
        if rejected && !ws.sync_pending {
            ws.sync_pending = true;
            cx.at(now, Event::ControllerSync(wl));
        }
    }

    /// A Job's pod failed on its node: it counts against the back-off limit at the next sync,
    /// which runs now (the back-off delays only the replacement).
    pub(super) fn job_pod_failed(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        if self.workloads[wl.idx()].active {
            self.sync(cx, wl);
        }
    }

    /// A pod's run ended successfully (`Event::PodSucceeded`): it is Succeeded, its node's
    /// requests are free, and its Job counts it. Stale if the pod was deleted or failed since.
    pub fn pod_succeeded(&mut self, cx: &mut Ctx, pod: PodId, generation: u32) {
        let spec = cx.spec;
        let p = &mut cx.cluster.pods[pod.idx()];
        if p.generation != generation || !matches!(p.phase, PodPhase::Running | PodPhase::Ready) {
            return;
        }
        cx.rec.set_phase(p, PodPhase::Succeeded);
        p.ended = Some(cx.now);
        p.generation += 1;
        let (node, t, wl) = (p.node, p.template, p.workload);
        if let Some(node) = node {
            cx.cluster.release(node, pod, spec.template(t));
            cx.push(Effect::ResourcesFreed(node));
        }
        if self.workloads[wl.idx()].active {
            self.sync(cx, wl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::Controllers;
    use crate::effect::testing::{Harness, enqueued};

    const SCENARIO: &str = r#"Scenario(
        name: "jobs", duration: "2h",
        pools: [(name: "lin", os: Linux, cpu: "8", memory: "32Gi")],
        layers: [(name: "l1", size: "100MB")],
        images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
        workloads: [
            (name: "batch", kind: Job,
             job: (completions: 3, parallelism: 2, backoff_limit: 1, run_time: "5m"),
             template: (containers: [(image: "app:1", cpu: "1")])),
            (name: "slow", kind: Job, job: (run_time: "1h", active_deadline: "10m"),
             template: (containers: [(image: "app:1")])),
        ],
    )"#;

    /// Binds a pod and brings it to Running, as the scheduler and kubelet would.
    fn run(h: &mut Harness, pod: PodId, node: NodeId, now: u64) {
        let t = h.spec.template(h.cluster.pods[pod.idx()].template).clone();
        h.cluster.bind(pod, node, &t, now);
        let p = &mut h.cluster.pods[pod.idx()];
        h.rec.set_phase(p, PodPhase::Running);
        p.started = Some(now);
    }

    #[test]
    fn a_job_runs_parallelism_pods_at_a_time_until_completions_succeeded() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        let node = h.ready_node(0);
        // parallelism 2 of completions 3: two pods, each to run 5 min once started.
        c.create(&mut h.cx(0), WorkloadId(0));
        let first = enqueued(&h.take());
        assert_eq!(first.len(), 2);
        assert_eq!(h.cluster.pods[first[0].idx()].run_ms, Some(300_000));
        run(&mut h, first[0], node, 1_000);
        run(&mut h, first[1], node, 1_000);
        assert_eq!(h.cluster.nodes[node.idx()].requested.cpu_m, 2_000);
        // The first succeeds at 301 s: its 1 CPU is free again, and one more pod is wanted
        // (min(2, 3 − 1) = 2 active, one is running).
        c.pod_succeeded(&mut h.cx(301_000), first[0], 0);
        let fx = h.take();
        assert_eq!(fx[0], Effect::ResourcesFreed(node));
        let third = enqueued(&fx);
        assert_eq!(third.len(), 1);
        assert_eq!(h.cluster.pods[first[0].idx()].phase, PodPhase::Succeeded);
        assert_eq!(h.cluster.nodes[node.idx()].requested.cpu_m, 1_000);
        // A stale copy of the event (the pod's generation moved on) changes nothing.
        c.pod_succeeded(&mut h.cx(301_000), first[0], 0);
        assert_eq!(h.take(), vec![]);
        // The second succeeds: min(2, 3 − 2) = 1 active wanted, and one is: nothing created.
        c.pod_succeeded(&mut h.cx(302_000), first[1], 0);
        assert_eq!(enqueued(&h.take()), vec![]);
        run(&mut h, third[0], node, 303_000);
        c.pod_succeeded(&mut h.cx(603_000), third[0], 0);
        assert_eq!(enqueued(&h.take()), vec![]);
        assert_eq!(
            c.jobs[0].finished,
            Some((JobEnd::Complete, 603_000)),
            "3 of 3 completions"
        );
        assert_eq!(c.jobs[0].succeeded, 3);
    }

    #[test]
    fn failed_pods_are_recreated_after_the_job_back_off_until_the_backoff_limit() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        let node = h.ready_node(0);
        c.create(&mut h.cx(0), WorkloadId(0));
        let pods = enqueued(&h.take());
        run(&mut h, pods[0], node, 1_000);
        // The kubelet fails the pod at 50 s (the loop marks it Failed and releases it).
        let p = &mut h.cluster.pods[pods[0].idx()];
        h.rec.set_phase(p, PodPhase::Failed);
        p.ended = Some(50_000);
        let t = h.spec.template(p.template).clone();
        h.cluster.release(node, pods[0], &t);
        c.pod_failed(&mut h.cx(50_000), pods[0]);
        // First failure since a success: DefaultJobPodFailureBackOff 10 s × 2⁰ → 60 s.
        assert_eq!(
            h.take(),
            vec![Effect::At(60_000, Event::ControllerSync(WorkloadId(0)))]
        );
        assert_eq!((c.jobs[0].failed, c.jobs[0].failures_since_success), (1, 1));
        c.sync(&mut h.cx(60_000), WorkloadId(0));
        let replacement = enqueued(&h.take());
        assert_eq!(replacement.len(), 1, "back to 2 active");
        // A second failure exceeds backoff_limit 1: the Job fails and deletes its active pods.
        let p = &mut h.cluster.pods[replacement[0].idx()];
        h.rec.set_phase(p, PodPhase::Failed);
        p.ended = Some(70_000);
        c.pod_failed(&mut h.cx(70_000), replacement[0]);
        assert_eq!(h.take(), vec![Effect::Dequeue(pods[1])]);
        assert_eq!(
            c.jobs[0].finished,
            Some((JobEnd::BackoffLimitExceeded, 70_000))
        );
        assert_eq!(h.cluster.pods[pods[1].idx()].phase, PodPhase::Deleted);
    }

    #[test]
    fn a_job_past_its_active_deadline_fails_and_its_running_pod_goes() {
        let mut h = Harness::new(SCENARIO);
        let mut c = Controllers::new(&h.spec);
        let node = h.ready_node(0);
        c.create(&mut h.cx(0), WorkloadId(1));
        let fx = h.take();
        // startTime 0 + activeDeadlineSeconds 600 s: a sync at 600 s, then the pod.
        assert_eq!(
            fx[0],
            Effect::At(600_000, Event::ControllerSync(WorkloadId(1)))
        );
        let pods = enqueued(&fx);
        run(&mut h, pods[0], node, 2_000);
        c.sync(&mut h.cx(600_000), WorkloadId(1));
        assert_eq!(
            h.take(),
            vec![Effect::Dequeue(pods[0]), Effect::ResourcesFreed(node)]
        );
        assert_eq!(
            c.jobs[1].finished,
            Some((JobEnd::DeadlineExceeded, 600_000))
        );
        // Its run would have ended at 2 s + 1 h; that event is stale now.
        c.pod_succeeded(&mut h.cx(3_602_000), pods[0], 0);
        assert_eq!(h.take(), vec![]);
        assert_eq!(c.jobs[1].succeeded, 0);
    }
}
