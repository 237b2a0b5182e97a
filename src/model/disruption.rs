//! PodDisruptionBudgets as pure arithmetic: a budget's status from its workload's counts (the
//! disruption controller) and the eviction API's verdict for one pod (the eviction
//! subresource), and the record of a drain (plain data the recorder keeps).
//!
//! Owns: `intstr.GetScaledValueFromIntOrPercent` with `roundUp = true`, k/k
//! `pkg/controller/disruption/disruption.go` (`getExpectedPodCount`, `countHealthyPods`,
//! `updatePdbStatus`) and k/k `pkg/registry/core/pod/storage/eviction.go` (`canIgnorePDB`, the
//! unready-pod rule, `checkAndDecrement`). Does not own: counting pods (the caller passes the
//! counts), evicting (`controllers::terminate_pod`) or retrying a refused eviction (the drain).
//!
//! The status is computed from the counts at the moment of each eviction, which is what the
//! disruption controller converges to after every pod event; the eviction API's own decrement
//! (`DisruptionsAllowed--`, the pod put in `DisruptedPods`) is the evicted pod leaving the Ready
//! count, because an evicted pod is `Terminating` at once here (upstream `countHealthyPods`
//! skips pods with a deletionTimestamp and pods in `DisruptedPods` alike).

pub use super::spec::IntOrPercent;

/// A PodDisruptionBudget over one workload's pods: `spec.minAvailable` or
/// `spec.maxUnavailable` (the API allows exactly one).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Budget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
}

/// The counts a budget's status is computed from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    /// The controller's scale (`spec.replicas` of the Deployment).
    pub scale: u32,
    /// Pods the selector matches: every pod of the workload that still exists, terminating ones
    /// included (the pod lister lists them until they are gone).
    pub matched: u32,
    /// Ready pods without a deletionTimestamp (`countHealthyPods`).
    pub healthy: u32,
}

/// `PodDisruptionBudgetStatus`, the fields the eviction API reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub expected: u32,
    pub desired_healthy: u32,
    pub current_healthy: u32,
    pub disruptions_allowed: u32,
}

impl Budget {
    /// `getExpectedPodCount` then `updatePdbStatus`: `maxUnavailable` and a percentage
    /// `minAvailable` scale against the controller's scale; an integer `minAvailable` is taken
    /// as is, with the matched pods as the expected count. `disruptionsAllowed` is
    /// `currentHealthy − desiredHealthy`, and 0 when that is not positive or nothing is
    /// expected.
    pub fn status(self, c: Counts) -> Status {
        let (expected, desired_healthy) = match self {
            Budget::MaxUnavailable(v) => (c.scale, c.scale.saturating_sub(v.scaled_up(c.scale))),
            Budget::MinAvailable(IntOrPercent::Int(n)) => (c.matched, n),
            Budget::MinAvailable(v) => (c.scale, v.scaled_up(c.scale)),
        };
        let allowed = if expected == 0 {
            0
        } else {
            c.healthy.saturating_sub(desired_healthy)
        };
        Status {
            expected,
            desired_healthy,
            current_healthy: c.healthy,
            disruptions_allowed: allowed,
        }
    }
}

/// Where the pod to evict stands, as the eviction API sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PodState {
    /// Phase Pending (unbound, or bound with containers not started), or already terminating:
    /// `canIgnorePDB`.
    PendingOrTerminating,
    /// Running, not Ready.
    Unready,
    Ready,
}

/// The eviction API's answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The pod is deleted (gracefully).
    Evict,
    /// 429 TooManyRequests: "Cannot evict pod as it would violate the pod's disruption
    /// budget."; the client retries.
    TooManyRequests,
}

/// The eviction subresource's decision for one pod covered by a budget whose status is `s`:
/// pods that can ignore the budget go; an unready pod goes without using the budget while
/// `currentHealthy ≥ desiredHealthy > 0` (the default `IfHealthyBudget` policy); otherwise
/// `checkAndDecrement` refuses when `disruptionsAllowed` is 0.
pub fn evict(pod: PodState, s: Status) -> Verdict {
    match pod {
        PodState::PendingOrTerminating => Verdict::Evict,
        PodState::Unready if s.current_healthy >= s.desired_healthy && s.desired_healthy > 0 => {
            Verdict::Evict
        }
        _ if s.disruptions_allowed == 0 => Verdict::TooManyRequests,
        _ => Verdict::Evict,
    }
}

/// What one `Drain` did (`controllers::drain` fills it in as it goes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DrainRecord {
    /// What was drained: `node NAME` or `pool NAME`.
    pub target: String,
    pub start: u64,
    /// When the last node was done with (drained, timed out or refused); None if the run
    /// ended first.
    pub end: Option<u64>,
    /// Nodes the target named when the drain started.
    pub nodes: u32,
    /// Nodes whose every evicted pod was gone before the timeout.
    pub nodes_drained: u32,
    /// Nodes whose `--timeout` ran out first.
    pub nodes_timed_out: u32,
    /// Nodes not drained because they ran a bare Pod and `force` was not set.
    pub nodes_refused: u32,
    /// Pods the eviction API deleted.
    pub pods_evicted: u32,
    /// Eviction requests refused with 429 because of a PodDisruptionBudget (retries count).
    pub evictions_refused: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntOrPercent::{Int, Percent};

    fn counts(scale: u32, matched: u32, healthy: u32) -> Counts {
        Counts {
            scale,
            matched,
            healthy,
        }
    }

    #[test]
    fn percentages_round_up_as_get_scaled_value_from_int_or_percent_with_round_up() {
        // ceil(25 × 10 / 100) = ceil(2.5) = 3; ceil(25 × 4 / 100) = 1; ceil(1 × 1 / 100) = 1;
        // 0 % of anything is 0; 100 % of 7 is 7; an integer ignores the total.
        assert_eq!(Percent(25).scaled_up(10), 3);
        assert_eq!(Percent(25).scaled_up(4), 1);
        assert_eq!(Percent(1).scaled_up(1), 1);
        assert_eq!(Percent(0).scaled_up(9), 0);
        assert_eq!(Percent(100).scaled_up(7), 7);
        assert_eq!(Int(2).scaled_up(100), 2);
    }

    /// (name, budget, counts, expected status (expected, desired, healthy, allowed)).
    #[test]
    fn status_table() {
        type Case = (&'static str, Budget, Counts, (u32, u32, u32, u32));
        let cases: Vec<Case> = vec![
            (
                "minAvailable 2 of 3 healthy allows 3 − 2 = 1",
                Budget::MinAvailable(Int(2)),
                counts(3, 3, 3),
                (3, 2, 3, 1),
            ),
            (
                "an integer minAvailable expects the matched pods, terminating ones included",
                Budget::MinAvailable(Int(2)),
                counts(3, 4, 2),
                (4, 2, 2, 0),
            ),
            (
                "maxUnavailable 25 % of 10 rounds up to 3: desired 10 − 3 = 7, 9 healthy allow 2",
                Budget::MaxUnavailable(Percent(25)),
                counts(10, 10, 9),
                (10, 7, 9, 2),
            ),
            (
                "minAvailable 50 % of 3 rounds up to 2: 3 healthy allow 1",
                Budget::MinAvailable(Percent(50)),
                counts(3, 3, 3),
                (3, 2, 3, 1),
            ),
            (
                "fewer healthy than desired allows nothing, never a negative number",
                Budget::MinAvailable(Int(3)),
                counts(3, 3, 1),
                (3, 3, 1, 0),
            ),
            (
                "maxUnavailable larger than the scale clamps desired to 0",
                Budget::MaxUnavailable(Int(5)),
                counts(2, 2, 2),
                (2, 0, 2, 2),
            ),
            (
                "maxUnavailable 0 allows no voluntary disruption",
                Budget::MaxUnavailable(Int(0)),
                counts(4, 4, 4),
                (4, 4, 4, 0),
            ),
            (
                "a budget expecting no pods allows nothing (updatePdbStatus: expectedCount <= 0)",
                Budget::MaxUnavailable(Int(1)),
                counts(0, 1, 1),
                (0, 0, 1, 0),
            ),
        ];
        for (name, b, c, (e, d, h, a)) in cases {
            let s = b.status(c);
            assert_eq!(
                (
                    s.expected,
                    s.desired_healthy,
                    s.current_healthy,
                    s.disruptions_allowed
                ),
                (e, d, h, a),
                "{name}"
            );
        }
    }

    #[test]
    fn eviction_verdicts_follow_the_eviction_subresource() {
        let st = |desired, healthy, allowed| Status {
            expected: 3,
            desired_healthy: desired,
            current_healthy: healthy,
            disruptions_allowed: allowed,
        };
        // canIgnorePDB: a Pending or terminating pod goes even with nothing allowed.
        assert_eq!(
            evict(PodState::PendingOrTerminating, st(3, 2, 0)),
            Verdict::Evict
        );
        // checkAndDecrement: a Ready pod with disruptionsAllowed 0 gets 429, with 1 goes.
        assert_eq!(
            evict(PodState::Ready, st(2, 2, 0)),
            Verdict::TooManyRequests
        );
        assert_eq!(evict(PodState::Ready, st(2, 3, 1)), Verdict::Evict);
        // An unready pod goes without the budget while healthy 2 ≥ desired 2 > 0 …
        assert_eq!(evict(PodState::Unready, st(2, 2, 0)), Verdict::Evict);
        // … but not when healthy 1 < desired 2 (and nothing is allowed) …
        assert_eq!(
            evict(PodState::Unready, st(2, 1, 0)),
            Verdict::TooManyRequests
        );
        // … nor when desired is 0 and nothing is allowed (the DesiredHealthy > 0 clause).
        assert_eq!(
            evict(PodState::Unready, st(0, 0, 0)),
            Verdict::TooManyRequests
        );
    }
}
