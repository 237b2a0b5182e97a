//! Deployment rolling updates (k/k `pkg/controller/deployment/rolling.go`,
//! `pkg/controller/deployment/util/deployment_util.go`): a timeline `UpdateImage` /
//! `UpdateTemplate` gives a Deployment a new pod template; a new ReplicaSet is scaled up and
//! the old ones down within `maxSurge` / `maxUnavailable` as the new pods become available.
//!
//! Owns: each Deployment's ReplicaSets while a rollout runs (template and `spec.replicas`,
//! oldest first), the template new pods get, the rollout's arithmetic, making each
//! ReplicaSet's pods match its size, and the start and end of every rollout. Does not own: the
//! pods' start path (a new pod is Enqueued like any other), victim order (`Controllers`'
//! `ActivePodsWithRanks` within the ReplicaSet), or the steady-state Deployment (once a rollout
//! completes the workload is a single ReplicaSet again and `Controllers::sync` keeps it).
//!
//! Upstream rules followed:
//! - `ResolveFenceposts`: `maxSurge` is rounded up and `maxUnavailable` down from their
//!   percent of `spec.replicas`; if both come to 0, `maxUnavailable` is 1; `MaxUnavailable`
//!   is at most `spec.replicas`.
//! - `reconcileNewReplicaSet`: a new ReplicaSet above `spec.replicas` is scaled down to it;
//!   below, it is scaled up by `min(replicas + maxSurge − Σ ReplicaSet sizes, replicas − new)`
//!   when that is positive (`NewRSNewReplicas`).
//! - `reconcileOldReplicaSets` (only when the new ReplicaSet did not scale): `maxScaledDown =
//!   Σ sizes − (replicas − maxUnavailable) − (new size − new available)`; if positive, first
//!   `cleanupUnhealthyReplicas` scales old ReplicaSets down by their unavailable pods (oldest
//!   first, up to `maxScaledDown`), then `scaleDownOldReplicaSetsForRollingUpdate` scales them
//!   down (oldest first) by `available − (replicas − maxUnavailable)`.
//! - The controller syncs again on every ReplicaSet or pod change; here the steps repeat at
//!   the same instant until nothing changes, and again whenever a pod of the Deployment
//!   becomes Ready, fails or goes. Available = Ready (`minReadySeconds` 0).
//! - A new rollout during one (rollover) keeps the current new ReplicaSet as the newest old
//!   one; a template equal to an old ReplicaSet's takes that ReplicaSet back as the new one
//!   (`FindNewReplicaSet` by template).
//! - Complete (`DeploymentComplete`) when the new ReplicaSet has `spec.replicas` pods, all
//!   available, and no old pod is left.
//!
//! Differences (docs/upstream.md): ReplicaSet scale-down deletes pods at once, as every
//! scale-down here does; a Scale or HPA change during a rollout is applied by the same steps
//! rather than by proportional scaling across ReplicaSets; `progressDeadlineSeconds` is not
//! modelled (a stalled rollout stays in progress, as it does upstream, without the condition).

use super::Controllers;
use crate::effect::Ctx;
use crate::model::cluster::PodPhase;
use crate::model::*;

/// One rollout of one workload, for the summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolloutRecord {
    pub workload: WorkloadId,
    /// The template rolled out.
    pub template: TemplateId,
    pub started: u64,
    /// When the Deployment was complete on this template; None if it never was (stalled,
    /// superseded by another rollout, or the run ended first).
    pub completed: Option<u64>,
}

#[derive(Clone, Debug)]
struct Rollout {
    new: TemplateId,
    /// The new ReplicaSet's `spec.replicas`.
    new_replicas: u32,
    /// The old ReplicaSets, oldest first: (template, `spec.replicas`).
    old: Vec<(TemplateId, u32)>,
    /// Index of its record in `Rollouts::log`.
    record: usize,
}

/// Rollout state of every workload.
#[derive(Clone, Debug, Default)]
pub struct Rollouts {
    /// Per workload, the template its new pods get, when a rollout changed it.
    current: Vec<Option<TemplateId>>,
    /// Per workload, the rollout in progress.
    active: Vec<Option<Rollout>>,
    /// Every rollout started, in start order.
    pub log: Vec<RolloutRecord>,
}

impl Rollouts {
    pub fn new(spec: &Spec) -> Self {
        Rollouts {
            current: vec![None; spec.workloads.len()],
            active: vec![None; spec.workloads.len()],
            log: Vec::new(),
        }
    }

    /// The template the workload's new pods get now.
    pub fn template_of(&self, spec: &Spec, wl: WorkloadId) -> TemplateId {
        self.current[wl.idx()].unwrap_or(spec.workloads[wl.idx()].template)
    }

    /// Whether a rollout of the workload is in progress.
    pub fn rolling(&self, wl: WorkloadId) -> bool {
        self.active[wl.idx()].is_some()
    }

    /// The workload was deleted: its rollout (if any) ends unfinished, and a later Create
    /// starts from the spec's template again.
    pub fn forget(&mut self, wl: WorkloadId) {
        self.current[wl.idx()] = None;
        self.active[wl.idx()] = None;
    }
}

/// `GetScaledValueFromIntOrPercent`: an integer, or `percent × total / 100` rounded up or
/// down.
pub fn scaled(v: IntOrPercent, total: u32, round_up: bool) -> u32 {
    match v {
        IntOrPercent::Int(n) => n,
        IntOrPercent::Percent(p) => {
            let x = p as u64 * total as u64;
            (if round_up { x.div_ceil(100) } else { x / 100 }) as u32
        }
    }
}

/// `ResolveFenceposts` and `MaxUnavailable`: (maxSurge, maxUnavailable) for `replicas`.
pub fn fenceposts(s: RollingUpdateSpec, replicas: u32) -> (u32, u32) {
    let surge = scaled(s.max_surge, replicas, true);
    let mut unavailable = scaled(s.max_unavailable, replicas, false);
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    (surge, unavailable.min(replicas))
}

/// One deployment-controller sync of a rolling update, on the ReplicaSets' sizes and their
/// available pods (`available(template)`); returns whether any size changed.
fn reconcile(
    r: &mut Rollout,
    replicas: u32,
    (surge, max_unavailable): (u32, u32),
    available: impl Fn(TemplateId) -> u32,
) -> bool {
    let old_sum: u32 = r.old.iter().map(|o| o.1).sum();
    // reconcileNewReplicaSet.
    if r.new_replicas > replicas {
        r.new_replicas = replicas;
        return true;
    }
    if r.new_replicas < replicas {
        let total = r.new_replicas + old_sum;
        let max_total = replicas + surge;
        if total < max_total {
            r.new_replicas += (max_total - total).min(replicas - r.new_replicas);
            return true;
        }
    }
    // reconcileOldReplicaSets.
    if old_sum == 0 {
        return false;
    }
    let new_available = available(r.new).min(r.new_replicas);
    let all = (r.new_replicas + old_sum) as i64;
    let min_available = replicas - max_unavailable;
    let new_unavailable = (r.new_replicas - new_available) as i64;
    let max_scaled_down = all - min_available as i64 - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    let max_scaled_down = max_scaled_down as u32;
    // cleanupUnhealthyReplicas.
    let mut cleaned = 0;
    for o in r.old.iter_mut() {
        if cleaned >= max_scaled_down {
            break;
        }
        let avail = available(o.0).min(o.1);
        if o.1 == 0 || o.1 == avail {
            continue;
        }
        let d = (max_scaled_down - cleaned).min(o.1 - avail);
        o.1 -= d;
        cleaned += d;
    }
    // scaleDownOldReplicaSetsForRollingUpdate.
    let available_all = new_available + r.old.iter().map(|o| available(o.0).min(o.1)).sum::<u32>();
    let mut scaled_down = 0;
    if available_all > min_available {
        let total = available_all - min_available;
        for o in r.old.iter_mut() {
            if scaled_down >= total {
                break;
            }
            if o.1 == 0 {
                continue;
            }
            let d = o.1.min(total - scaled_down);
            o.1 -= d;
            scaled_down += d;
        }
    }
    cleaned + scaled_down > 0
}

impl Controllers {
    /// Timeline `UpdateImage` / `UpdateTemplate`: the Deployment's template becomes `t` and
    /// a rolling update starts (or turns to `t` if one runs). Nothing happens to a workload
    /// that does not exist now, or whose template already is `t`.
    pub fn start_rollout(&mut self, cx: &mut Ctx, wl: WorkloadId, t: TemplateId) {
        let spec = cx.spec;
        let ws = &self.workloads[wl.idx()];
        if !ws.active || spec.workloads[wl.idx()].kind != WorkloadKind::Deployment {
            return;
        }
        let ro = &mut self.rollouts;
        let current = ro.template_of(spec, wl);
        if current == t {
            return;
        }
        let (mut old, mut new_replicas) = match ro.active[wl.idx()].take() {
            None => (vec![(current, ws.desired)], 0),
            Some(r) => {
                let mut old = r.old;
                old.push((r.new, r.new_replicas));
                (old, 0)
            }
        };
        if let Some(i) = old.iter().position(|o| o.0 == t) {
            new_replicas = old.remove(i).1;
        }
        ro.current[wl.idx()] = Some(t);
        ro.log.push(RolloutRecord {
            workload: wl,
            template: t,
            started: cx.now,
            completed: None,
        });
        ro.active[wl.idx()] = Some(Rollout {
            new: t,
            new_replicas,
            old,
            record: ro.log.len() - 1,
        });
        self.sync(cx, wl);
    }

    /// A pod of the workload became Ready: a rolling update may take its next step.
    pub fn rollout_pod_ready(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        if self.rollouts.rolling(wl) && !self.workloads[wl.idx()].sync_pending {
            self.sync(cx, wl);
        }
    }

    /// `rolloutRolling` until nothing changes, each step followed by the ReplicaSets making
    /// their pods match their sizes; then the completion check. Called by `sync` (which has
    /// dropped the pods that are gone) while a rollout is in progress.
    pub(super) fn rollout_sync(&mut self, cx: &mut Ctx, wl: WorkloadId) {
        let spec = cx.spec;
        let replicas = self.workloads[wl.idx()].desired;
        let posts = fenceposts(spec.workloads[wl.idx()].strategy, replicas);
        let Some(mut r) = self.rollouts.active[wl.idx()].take() else {
            return;
        };
        // Each step moves a size toward its target and none moves back, so this ends; the
        // bound only guards against a mistake turning into a hang.
        for _ in 0..4 * (replicas as usize + r.old.len() + 2) {
            let changed = {
                let (pods, ws) = (&cx.cluster.pods, &self.workloads[wl.idx()]);
                let available = |t: TemplateId| {
                    ws.pods
                        .iter()
                        .filter(|p| {
                            let p = &pods[p.idx()];
                            p.template == t && p.phase == PodPhase::Ready
                        })
                        .count() as u32
                };
                reconcile(&mut r, replicas, posts, available)
            };
            let sizes: Vec<(TemplateId, u32)> = r
                .old
                .iter()
                .copied()
                .chain(std::iter::once((r.new, r.new_replicas)))
                .collect();
            for (t, size) in sizes {
                self.scale_replica_set(cx, wl, t, size);
            }
            if !changed {
                break;
            }
        }
        let ws = &self.workloads[wl.idx()];
        let pods = &cx.cluster.pods;
        let old_left = ws.pods.iter().any(|p| pods[p.idx()].template != r.new);
        let new_ready = ws
            .pods
            .iter()
            .filter(|p| pods[p.idx()].phase == PodPhase::Ready)
            .count() as u32;
        let done = r.new_replicas == replicas
            && r.old.iter().all(|o| o.1 == 0)
            && !old_left
            && new_ready == replicas;
        if done {
            self.rollouts.log[r.record].completed = Some(cx.now);
        } else {
            self.rollouts.active[wl.idx()] = Some(r);
        }
    }

    /// The ReplicaSet of template `t` makes its pods match `size`: creates the missing ones,
    /// deletes the surplus in `ActivePodsWithRanks` order among its own pods.
    fn scale_replica_set(&mut self, cx: &mut Ctx, wl: WorkloadId, t: TemplateId, size: u32) {
        let pods = &cx.cluster.pods;
        let have = self.workloads[wl.idx()]
            .pods
            .iter()
            .filter(|p| pods[p.idx()].template == t)
            .count() as u32;
        if have < size {
            self.slow_start(cx, wl, size - have, t);
        } else if have > size {
            let mut scratch = std::mem::take(&mut self.scratch);
            self.scale_down_victims(cx, wl, (have - size) as usize, &mut scratch, Some(t));
            let ws = &mut self.workloads[wl.idx()];
            for &(_, i) in &scratch.keyed {
                super::delete_pod(cx, ws.pods[i]);
            }
            let victims = &scratch.victims;
            let (mut i, mut k) = (0, 0);
            ws.pods.retain(|_| {
                let victim = victims.get(k) == Some(&i);
                k += usize::from(victim);
                i += 1;
                !victim
            });
            self.scratch = scratch;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(s: u32, u: u32) -> RollingUpdateSpec {
        RollingUpdateSpec {
            max_surge: IntOrPercent::Percent(s),
            max_unavailable: IntOrPercent::Percent(u),
        }
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        // 25 % of 4 = 1 and 1; of 10 = 2.5 → surge 3, unavailable 2; of 1 = 0.25 → surge 1,
        // unavailable 0.
        assert_eq!(fenceposts(pct(25, 25), 4), (1, 1));
        assert_eq!(fenceposts(pct(25, 25), 10), (3, 2));
        assert_eq!(fenceposts(pct(25, 25), 1), (1, 0));
        // 10 %/10 % of 5: surge ceil(0.5) = 1, unavailable floor(0.5) = 0.
        assert_eq!(fenceposts(pct(10, 10), 5), (1, 0));
        // 0 % surge and 10 % of 5 = 0 unavailable: both 0, so unavailable becomes 1.
        assert_eq!(fenceposts(pct(0, 10), 5), (0, 1));
        // An integer maxUnavailable above the replicas is capped at them.
        let s = RollingUpdateSpec {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Int(9),
        };
        assert_eq!(fenceposts(s, 3), (0, 3));
    }

    /// Runs `reconcile` to a fixed point with the new ReplicaSet's available pods given and
    /// every old pod available (old ReplicaSets' pods are Ready in these cases).
    fn settle(r: &mut Rollout, replicas: u32, posts: (u32, u32), new_available: u32) {
        let old: Vec<TemplateId> = r.old.iter().map(|o| o.0).collect();
        loop {
            let sizes: Vec<(TemplateId, u32)> = r.old.clone();
            let new = r.new;
            let avail = |t: TemplateId| {
                if t == new {
                    new_available
                } else {
                    sizes.iter().find(|o| o.0 == t).map_or(0, |o| o.1)
                }
            };
            if !reconcile(r, replicas, posts, avail) {
                break;
            }
        }
        assert!(r.old.iter().all(|o| old.contains(&o.0)));
    }

    #[test]
    fn four_replicas_at_25_percent_roll_one_pod_per_new_available_pod() {
        // maxSurge ceil(1) = 1, maxUnavailable floor(1) = 1: at most 5 pods, at least 3
        // available. Start: old 4 (all available), new 0.
        let posts = fenceposts(pct(25, 25), 4);
        let mut r = Rollout {
            new: TemplateId(1),
            new_replicas: 0,
            old: vec![(TemplateId(0), 4)],
            record: 0,
        };
        // Sync 1: new 0 → min(5 − 4, 4) = 1. Sync 2: old: maxScaledDown = 5 − 3 − 1 = 1,
        // available 4 > 3 → old 3. Sync 3: new: 5 − 4 = 1 → new 2. Sync 4: maxScaledDown =
        // 5 − 3 − 2 = 0: settled at (old 3, new 2).
        settle(&mut r, 4, posts, 0);
        assert_eq!((r.old[0].1, r.new_replicas), (3, 2));
        // One new pod available: maxScaledDown = 5 − 3 − 1 = 1, available 3 + 1 = 4 > 3 →
        // old 2; then new 3 (5 − 5 + 1).
        settle(&mut r, 4, posts, 1);
        assert_eq!((r.old[0].1, r.new_replicas), (2, 3));
        // Two: old 1, new 4 (= replicas, no further scale-up).
        settle(&mut r, 4, posts, 2);
        assert_eq!((r.old[0].1, r.new_replicas), (1, 4));
        // Three: maxScaledDown = 5 − 3 − 1 = 1, available 1 + 3 = 4 > 3 → old 0.
        settle(&mut r, 4, posts, 3);
        assert_eq!((r.old[0].1, r.new_replicas), (0, 4));
    }

    #[test]
    fn surge_zero_replaces_by_taking_pods_down_first() {
        // maxSurge 0, maxUnavailable 1 of 3: never more than 3 pods. Sync 1: new cannot grow
        // (3 + 0 − 3 = 0); old: maxScaledDown = 3 − 2 − 0 = 1, available 3 > 2 → old 2.
        // Sync 2: new → min(3 − 2, 3) = 1. Then maxScaledDown = 3 − 2 − 1 = 0: settled.
        let s = RollingUpdateSpec {
            max_surge: IntOrPercent::Int(0),
            max_unavailable: IntOrPercent::Int(1),
        };
        let posts = fenceposts(s, 3);
        let mut r = Rollout {
            new: TemplateId(1),
            new_replicas: 0,
            old: vec![(TemplateId(0), 3)],
            record: 0,
        };
        settle(&mut r, 3, posts, 0);
        assert_eq!((r.old[0].1, r.new_replicas), (2, 1));
    }
}
