//! Taint-based eviction (k/k `pkg/controller/tainteviction/taint_eviction.go`): a pod on a node
//! with `NoExecute` taints is evicted at once if it does not tolerate one of them, after the
//! smallest `tolerationSeconds` of the tolerations it uses if it does, and never if none of
//! those tolerations has a limit.
//!
//! Owns: when each pod's eviction is due (`processPodOnNode`, `getMinTolerationTime`), and the
//! tolerations the DaemonSet controller adds to its pods for these taints. Does not own: the
//! eviction itself (the caller terminates the pod and its controller replaces it), or who
//! taints nodes (timeline actions, the node lifecycle controller).
//!
//! Upstream rules followed, in `processPodOnNode`: no NoExecute taint cancels a scheduled
//! eviction; a taint no toleration matches evicts now; otherwise the tolerations used are the
//! first matching one per taint (`v1helper.GetMatchingTolerations`), and the eviction is due
//! after the smallest of their `tolerationSeconds` (≤ 0 means now; none set means never). An
//! eviction already scheduled keeps its time: upstream keeps the existing worker, whose start
//! time is earlier than now, unless the new deadline is no later (same instant).

use crate::effect::{Ctx, Event};
use crate::model::selector::{Taint, TaintEffect, Toleration, TolerationOperator};
use crate::model::*;
use std::collections::BTreeMap;

/// `node.kubernetes.io/not-ready`, put on a node whose Ready condition is False.
pub const NOT_READY_KEY: &str = "node.kubernetes.io/not-ready";
/// `node.kubernetes.io/unreachable`, put on a node whose Ready condition is Unknown.
pub const UNREACHABLE_KEY: &str = "node.kubernetes.io/unreachable";

/// What `processPodOnNode` decided for one pod.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The pod stays (no NoExecute taint, or every one tolerated without a limit).
    Stay,
    /// Evict now.
    Now,
    /// Evict at this time (ms), unless the taints change before.
    At(u64),
}

/// Scheduled evictions, per pod: (when the toleration period started, when it ends).
#[derive(Clone, Debug, Default)]
pub struct TaintEviction {
    scheduled: BTreeMap<PodId, (u64, u64)>,
}

/// `getMinTolerationTime` in ms: `None` tolerates forever.
fn min_toleration_ms(used: &[&Toleration]) -> Option<u64> {
    let mut min: Option<u64> = None;
    for t in used {
        if let Some(s) = t.toleration_seconds {
            if s == 0 {
                return Some(0);
            }
            min = Some(min.map_or(s, |m| m.min(s)));
        }
    }
    min.map(|s| s * 1000)
}

/// The tolerations the DaemonSet controller adds to every pod it creates for these taints
/// (k/k `pkg/controller/daemon/util` `AddOrUpdateDaemonPodTolerations`): not-ready and
/// unreachable `NoExecute` without a limit, so DaemonSet pods stay on a failed node.
pub fn daemon_tolerations() -> [Toleration; 2] {
    let t = |key: &str| Toleration {
        key: key.into(),
        operator: TolerationOperator::Exists,
        value: String::new(),
        effect: Some(TaintEffect::NoExecute),
        toleration_seconds: None,
    };
    [t(NOT_READY_KEY), t(UNREACHABLE_KEY)]
}

/// `GetMatchingTolerations` over the NoExecute taints: `None` if one is not tolerated, else
/// the first matching toleration of each (pod tolerations first, then `extra`).
fn used_tolerations<'a>(
    taints: &[Taint],
    tolerations: &'a [Toleration],
    extra: &'a [Toleration],
) -> Option<Vec<&'a Toleration>> {
    let mut used = Vec::new();
    for taint in taints.iter().filter(|t| t.effect == TaintEffect::NoExecute) {
        let tol = tolerations
            .iter()
            .chain(extra)
            .find(|tol| tol.tolerates(taint))?;
        used.push(tol);
    }
    Some(used)
}

/// `processPodOnNode` without the queue: the verdict for a pod with `tolerations` (and the
/// DaemonSet ones if `daemon`) on a node with `taints`, the toleration period starting `now`.
pub fn verdict(taints: &[Taint], tolerations: &[Toleration], daemon: bool, now: u64) -> Verdict {
    if !taints.iter().any(|t| t.effect == TaintEffect::NoExecute) {
        return Verdict::Stay;
    }
    let extra: &[Toleration] = if daemon { &DAEMON_TOLERATIONS[..] } else { &[] };
    match used_tolerations(taints, tolerations, extra) {
        None => Verdict::Now,
        Some(used) => match min_toleration_ms(&used) {
            None => Verdict::Stay,
            Some(0) => Verdict::Now,
            Some(ms) => Verdict::At(now + ms),
        },
    }
}

static DAEMON_TOLERATIONS: std::sync::LazyLock<[Toleration; 2]> =
    std::sync::LazyLock::new(daemon_tolerations);

impl TaintEviction {
    /// Re-evaluates `pod` on `node` after the node's taints changed or the pod was bound
    /// there: cancels, keeps or schedules its eviction. Returns true if it is due now.
    pub fn process(&mut self, cx: &mut Ctx, pod: PodId, node: NodeId) -> bool {
        let spec = cx.spec;
        let p = &cx.cluster.pods[pod.idx()];
        let t = spec.template(p.template);
        let daemon = spec.workloads[p.workload.idx()].kind == WorkloadKind::DaemonSet;
        let taints = cx.cluster.taints(spec, node);
        match verdict(taints, &t.tolerations, daemon, cx.now) {
            Verdict::Stay => {
                self.scheduled.remove(&pod);
                false
            }
            Verdict::Now => {
                self.scheduled.remove(&pod);
                true
            }
            Verdict::At(at) => {
                if let std::collections::btree_map::Entry::Vacant(e) = self.scheduled.entry(pod) {
                    e.insert((cx.now, at));
                    cx.at(at, Event::TaintEviction(pod));
                }
                false
            }
        }
    }

    /// A `TaintEviction` event for `pod` fired: true if its eviction is still due now (not
    /// cancelled or moved since) and the pod is still live on a node.
    pub fn fired(&mut self, cx: &Ctx, pod: PodId) -> bool {
        match self.scheduled.get(&pod) {
            Some(&(_, at)) if at == cx.now => {
                self.scheduled.remove(&pod);
                let p = &cx.cluster.pods[pod.idx()];
                p.phase.is_live() && p.node.is_some()
            }
            _ => false,
        }
    }

    /// When `pod`'s eviction is due, if one is scheduled.
    pub fn due(&self, pod: PodId) -> Option<u64> {
        self.scheduled.get(&pod).map(|&(_, at)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol(key: &str, secs: Option<u64>) -> Toleration {
        Toleration {
            key: key.into(),
            operator: TolerationOperator::Exists,
            value: String::new(),
            effect: Some(TaintEffect::NoExecute),
            toleration_seconds: secs,
        }
    }

    /// (name, taints, tolerations, daemon, expected verdict at now = 100 s).
    #[test]
    fn verdict_table() {
        let maint = Taint::new("maintenance", "", TaintEffect::NoExecute);
        let gpu = Taint::new("gpu", "", TaintEffect::NoExecute);
        let sched = Taint::new("os", "windows", TaintEffect::NoSchedule);
        let unreachable = Taint::new(UNREACHABLE_KEY, "", TaintEffect::NoExecute);
        type Case = (&'static str, Vec<Taint>, Vec<Toleration>, bool, Verdict);
        let cases: Vec<Case> = vec![
            (
                "a node without NoExecute taints evicts nothing, whatever else it has",
                vec![sched.clone()],
                vec![],
                false,
                Verdict::Stay,
            ),
            (
                "a pod that does not tolerate a NoExecute taint is evicted at once",
                vec![maint.clone()],
                vec![],
                false,
                Verdict::Now,
            ),
            (
                "a toleration without seconds tolerates the taint forever",
                vec![maint.clone()],
                vec![tol("maintenance", None)],
                false,
                Verdict::Stay,
            ),
            (
                "a toleration of 60 s evicts at 100 s + 60 s = 160 s",
                vec![maint.clone()],
                vec![tol("maintenance", Some(60))],
                false,
                Verdict::At(160_000),
            ),
            (
                "with two taints the smallest tolerationSeconds wins: min(60, 30) = 30 s → 130 s",
                vec![maint.clone(), gpu.clone()],
                vec![tol("maintenance", Some(60)), tol("gpu", Some(30))],
                false,
                Verdict::At(130_000),
            ),
            (
                "one unlimited and one limited toleration: the limited one counts (60 s → 160 s)",
                vec![maint.clone(), gpu.clone()],
                vec![tol("maintenance", Some(60)), tol("gpu", None)],
                false,
                Verdict::At(160_000),
            ),
            (
                "only the first matching toleration per taint is used (GetMatchingTolerations)",
                vec![maint.clone()],
                vec![tol("maintenance", None), tol("maintenance", Some(5))],
                false,
                Verdict::Stay,
            ),
            (
                "tolerationSeconds 0 evicts at once",
                vec![maint.clone()],
                vec![tol("maintenance", Some(0))],
                false,
                Verdict::Now,
            ),
            (
                "a tolerated taint does not save a pod from an untolerated one",
                vec![maint.clone(), gpu.clone()],
                vec![tol("maintenance", None)],
                false,
                Verdict::Now,
            ),
            (
                "DaemonSet pods tolerate unreachable:NoExecute forever",
                vec![unreachable.clone()],
                vec![],
                true,
                Verdict::Stay,
            ),
            (
                "other pods without a toleration are evicted from an unreachable node at once",
                vec![unreachable.clone()],
                vec![],
                false,
                Verdict::Now,
            ),
            (
                "a DaemonSet pod's own limited toleration comes first and bounds its stay",
                vec![unreachable.clone()],
                vec![tol(UNREACHABLE_KEY, Some(10))],
                true,
                Verdict::At(110_000),
            ),
        ];
        for (name, taints, tols, daemon, want) in cases {
            assert_eq!(verdict(&taints, &tols, daemon, 100_000), want, "{name}");
        }
    }
}
