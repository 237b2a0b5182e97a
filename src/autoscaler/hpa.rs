//! The HorizontalPodAutoscaler (k/k `pkg/controller/podautoscaler/horizontal.go`, k/web
//! `horizontal-pod-autoscale.md`), fed by a load curve instead of a metrics server.
//!
//! The metric is load per Ready pod against a target of `capacity_per_pod ×
//! target_utilization`. Every sync: the replica calculator's ratio with the tolerance and the
//! not-ready rule (pods that are not Ready count as zero load when the ratio asks to scale up),
//! then one of the controller's two normalisations, as upstream picks them by whether the HPA
//! has a `behavior` block:
//! - none (`normalizeDesiredReplicas`): the highest recommendation within the downscale
//!   stabilisation window (300 s, inclusive of its start), then at most max(2 × current, 4)
//!   replicas per sync; no scale-down rate limit. From 1 replica: 1 → 4 → 8 → 16.
//! - a behavior (`normalizeDesiredReplicasWithBehaviors`): per-direction stabilisation windows
//!   (lowest recommendation for a scale-up, highest for a scale-down) and the policies, each
//!   counted from the replica count at the start of its period; the API's defaults are +4 pods
//!   or +100 % per 15 s up (the larger), −100 % per 15 s down. From 1: 1 → 5 → 10 → 20.
//!
//! Then min/max replicas.

use crate::model::{HpaSpec, PolicyKind, ScalingRulesSpec, SelectPolicy};
use std::collections::VecDeque;

/// `scaleUpLimitFactor` and `scaleUpLimitMinimum` of `calculateScaleUpLimit`, the scale-up
/// bound of an HPA without a behavior block.
pub const SCALE_UP_LIMIT_FACTOR: u32 = 2;
pub const SCALE_UP_LIMIT_MINIMUM: u32 = 4;

/// The replica calculator for an average-value metric: `ready` pods share `load`; `unready`
/// pods (pending, starting, not Ready) have no metric. Returns None when no pod has a metric
/// (upstream reports an error and does not scale).
pub fn replicas_for_metric(
    current: u32,
    ready: u32,
    unready: u32,
    load: f64,
    target_per_pod: f64,
    tolerance: f64,
) -> Option<u32> {
    if ready == 0 {
        return None;
    }
    let usage_ratio = (load / ready as f64) / target_per_pod;
    let scale_up_with_unready = unready > 0 && usage_ratio > 1.0;
    if !scale_up_with_unready {
        if (1.0 - usage_ratio).abs() <= tolerance {
            return Some(current);
        }
        return Some((usage_ratio * ready as f64).ceil() as u32);
    }
    // Unready pods count as zero load so they damp a scale-up.
    let all = (ready + unready) as f64;
    let new_ratio = (load / all) / target_per_pod;
    if (1.0 - new_ratio).abs() <= tolerance || new_ratio < 1.0 {
        return Some(current);
    }
    let new_replicas = (new_ratio * all).ceil() as u32;
    Some(new_replicas.max(current))
}

/// Per-HPA state across syncs.
#[derive(Clone, Debug, Default)]
pub struct HpaState {
    /// Unstabilised recommendations, run-length encoded: (time of the latest sync in the run,
    /// recommendation) per run of consecutive syncs that recommended the same count. See
    /// `stabilise` for why this is exact.
    recommendations: VecDeque<(u64, u32)>,
    /// (time, replicas added) and (time, replicas removed) by this HPA.
    up_events: VecDeque<(u64, u32)>,
    down_events: VecDeque<(u64, u32)>,
    last_sync: Option<u64>,
    /// ∫ unserved load dt (load units × s).
    pub unserved: f64,
    /// ∫ load dt.
    pub demand: f64,
    /// Highest unserved load seen at a sync.
    pub max_unserved_rate: f64,
    /// Current unserved load (for the time series).
    pub unserved_rate: f64,
    pub load: f64,
    /// Where the last sync's time fell among the load curve's points (`load_at_from`).
    load_cursor: crate::model::spec::LoadCursor,
}

/// `getReplicasChangePerPeriod`: the changes of events after `now − period`.
fn change_in_period(events: &VecDeque<(u64, u32)>, now: u64, period: u64) -> u32 {
    events
        .iter()
        .filter(|(t, _)| *t + period > now)
        .map(|(_, d)| *d)
        .sum()
}

/// `calculateScaleUpLimitWithScalingRules`: the most replicas the policies allow now.
fn scale_up_limit(
    rules: &ScalingRulesSpec,
    events: &VecDeque<(u64, u32)>,
    now: u64,
    current: u32,
) -> u32 {
    let proposals = rules.policies.iter().map(|p| {
        let start = current.saturating_sub(change_in_period(events, now, p.period));
        match p.kind {
            PolicyKind::Pods => start.saturating_add(p.value),
            // Rounded up, or a small count could never grow.
            PolicyKind::Percent => (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as u32,
        }
    });
    match rules.select_policy {
        SelectPolicy::Disabled => current,
        SelectPolicy::Max => proposals.max().unwrap_or(current),
        SelectPolicy::Min => proposals.min().unwrap_or(current),
    }
}

/// `calculateScaleDownLimitWithBehaviors`: the fewest replicas the policies allow now.
fn scale_down_limit(
    rules: &ScalingRulesSpec,
    events: &VecDeque<(u64, u32)>,
    now: u64,
    current: u32,
) -> u32 {
    let proposals = rules.policies.iter().map(|p| {
        let start = current.saturating_add(change_in_period(events, now, p.period));
        match p.kind {
            PolicyKind::Pods => start.saturating_sub(p.value),
            // Truncated, as the Go int32 conversion does.
            PolicyKind::Percent => (start as f64 * (1.0 - p.value as f64 / 100.0)).max(0.0) as u32,
        }
    });
    match rules.select_policy {
        SelectPolicy::Disabled => current,
        // Max picks the biggest change, which for a scale-down is the lowest count.
        SelectPolicy::Max => proposals.min().unwrap_or(current),
        SelectPolicy::Min => proposals.max().unwrap_or(current),
    }
}

impl HpaState {
    /// One sync at `now`: returns the new desired replica count (possibly unchanged).
    pub fn sync(&mut self, h: &HpaSpec, now: u64, current: u32, ready: u32, unready: u32) -> u32 {
        let load = h.load_at_from(now, &mut self.load_cursor);
        // Unserved demand over the last interval, sampled at its start (left Riemann sum).
        if let Some(last) = self.last_sync {
            let dt = (now - last) as f64 / 1000.0;
            self.unserved += self.unserved_rate * dt;
            self.demand += self.load * dt;
        }
        let served = (ready as f64 * h.capacity_per_pod).min(load);
        self.unserved_rate = load - served;
        self.load = load;
        self.max_unserved_rate = self.max_unserved_rate.max(self.unserved_rate);
        self.last_sync = Some(now);

        let desired = if current > h.max_replicas {
            h.max_replicas
        } else if current < h.min_replicas {
            h.min_replicas
        } else {
            let target = h.capacity_per_pod * h.target_utilization;
            match replicas_for_metric(current, ready, unready, load, target, h.tolerance) {
                None => return current,
                Some(m) => self.normalize(h, now, current, m),
            }
        };
        // Upstream stores scale events only for an HPA with a behavior: nothing else reads them.
        if let Some(b) = &h.behavior {
            if desired > current {
                self.up_events.push_back((now, desired - current));
            } else if desired < current {
                self.down_events.push_back((now, current - desired));
            }
            let up = now.saturating_sub(b.scale_up.longest_period());
            while self.up_events.front().is_some_and(|e| e.0 < up) {
                self.up_events.pop_front();
            }
            let down = now.saturating_sub(b.scale_down.longest_period());
            while self.down_events.front().is_some_and(|e| e.0 < down) {
                self.down_events.pop_front();
            }
        }
        desired
    }

    /// Stabilisation: within the windows, scale up only to the lowest and down only to the
    /// highest recommendation seen; records `desired` as this sync's recommendation.
    ///
    /// Upstream keeps one entry per sync; here a run of consecutive syncs with the same
    /// recommendation is one entry holding the run's latest time, so a steady HPA walks one or
    /// two entries instead of a window's worth (20 at 300 s / 15 s). Exact: an entry counts for
    /// a window when `t + window > now`, which holds for some sync of a run exactly when it
    /// holds for the run's latest one, and all of a run's syncs carry the same value; so the
    /// minimum and maximum below, and which values a later sync sees, are those of the
    /// per-sync list.
    fn stabilise(&mut self, h: &HpaSpec, now: u64, current: u32, desired: u32) -> u32 {
        let mut up = desired;
        let mut down = desired;
        // `timestamp.After(now − window)`, written without going below time zero.
        for &(t, r) in &self.recommendations {
            if t + h.scale_up_window > now {
                up = up.min(r);
            }
            if t + h.scale_down_window > now {
                down = down.max(r);
            }
        }
        let mut rec = current;
        if rec < up {
            rec = up;
        }
        if rec > down {
            rec = down;
        }
        match self.recommendations.back_mut() {
            Some(last) if last.1 == desired => last.0 = now,
            _ => self.recommendations.push_back((now, desired)),
        }
        // A run leaves when its latest sync has left the longer window.
        let window = h.scale_up_window.max(h.scale_down_window);
        while self
            .recommendations
            .front()
            .is_some_and(|r| r.0 + window <= now)
        {
            self.recommendations.pop_front();
        }
        rec
    }

    /// The controller's normalisation: with a behavior block
    /// `normalizeDesiredReplicasWithBehaviors`, else `normalizeDesiredReplicas`.
    fn normalize(&mut self, h: &HpaSpec, now: u64, current: u32, desired: u32) -> u32 {
        let Some(b) = &h.behavior else {
            return self.normalize_without_behavior(h, now, current, desired);
        };
        let rec = self.stabilise(h, now, current, desired);
        if rec > current {
            // `convertDesiredReplicasWithBehaviorRate`: never below the current count while
            // the period's events keep the limit down.
            let limit = scale_up_limit(&b.scale_up, &self.up_events, now, current).max(current);
            rec.min(limit).min(h.max_replicas)
        } else if rec < current {
            let limit =
                scale_down_limit(&b.scale_down, &self.down_events, now, current).min(current);
            rec.max(limit).max(h.min_replicas)
        } else {
            rec
        }
    }

    /// `normalizeDesiredReplicas` (no behavior block): `stabilizeRecommendation` keeps the
    /// highest recommendation not older than the downscale window (`!timestamp.Before(now −
    /// window)`, so its start counts), whatever the direction; then
    /// `convertDesiredReplicasWithRules` bounds it by min replicas and by
    /// min(max replicas, max(2 × current, 4)).
    fn normalize_without_behavior(
        &mut self,
        h: &HpaSpec,
        now: u64,
        current: u32,
        desired: u32,
    ) -> u32 {
        let mut rec = desired;
        for &(t, r) in &self.recommendations {
            if t + h.scale_down_window >= now {
                rec = rec.max(r);
            }
        }
        // Run-length entries as in `stabilise`: a run's latest time decides for the whole run.
        match self.recommendations.back_mut() {
            Some(last) if last.1 == desired => last.0 = now,
            _ => self.recommendations.push_back((now, desired)),
        }
        while self
            .recommendations
            .front()
            .is_some_and(|r| r.0 + h.scale_down_window < now)
        {
            self.recommendations.pop_front();
        }
        let up_limit = current
            .saturating_mul(SCALE_UP_LIMIT_FACTOR)
            .max(SCALE_UP_LIMIT_MINIMUM);
        let max_allowed = h.max_replicas.min(up_limit);
        if rec < h.min_replicas {
            h.min_replicas
        } else {
            rec.min(max_allowed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HpaBehaviorSpec, ScalingPolicySpec};

    /// An HPA with a behavior block holding the API's defaults.
    fn spec(min: u32, max: u32, load: f64) -> HpaSpec {
        HpaSpec {
            behavior: Some(HpaBehaviorSpec {
                scale_up: ScalingRulesSpec::default_scale_up(),
                scale_down: ScalingRulesSpec::default_scale_down(),
            }),
            ..no_behavior(min, max, load)
        }
    }

    /// An HPA without a behavior block.
    fn no_behavior(min: u32, max: u32, load: f64) -> HpaSpec {
        HpaSpec {
            min_replicas: min,
            max_replicas: max,
            load: vec![(0, load)],
            capacity_per_pod: 100.0,
            target_utilization: 1.0,
            tolerance: 0.1,
            sync_period: 15_000,
            scale_up_window: 0,
            scale_down_window: 300_000,
            behavior: None,
        }
    }

    /// A load of 1000 that drops to 200 at `at` ms: flat at 1000 up to the millisecond
    /// before, 200 from `at` on (a scenario's curve is fixed for the run, so a test changes
    /// the load by the curve it gives, not by editing it between syncs).
    fn drop_to_200_at(at: u64) -> Vec<(u64, f64)> {
        vec![(0, 1000.0), (at - 1, 1000.0), (at, 200.0)]
    }

    #[test]
    fn the_load_curve_read_from_a_cursor_is_the_curve_read_by_search() {
        // Points (0 s, 10), (60 s, 70), (120 s, 70), (180 s, 10): linear between them,
        // constant outside. By hand: 30 s is halfway up the first ramp, 10 + 60/2 = 40;
        // 90 s is on the flat, 70; 150 s halfway down, 40; 60 s exactly on a point, 70;
        // after the last point, 10.
        let mut h = no_behavior(1, 10, 0.0);
        h.load = vec![(0, 10.0), (60_000, 70.0), (120_000, 70.0), (180_000, 10.0)];
        let forward = [(0, 10.0), (30_000, 40.0), (60_000, 70.0), (90_000, 70.0)];
        let rest = [(150_000, 40.0), (180_000, 10.0), (400_000, 10.0)];
        // Times going back (an HPA recreated) must reset the cursor, not read a stale segment.
        let back = [(30_000, 40.0), (150_000, 40.0)];
        let mut cursor = crate::model::spec::LoadCursor::default();
        for (t, want) in forward.into_iter().chain(rest).chain(back) {
            let got = h.load_at_from(t, &mut cursor);
            assert_eq!(got, want, "load at {t} ms");
            assert_eq!(got.to_bits(), h.load_at(t).to_bits(), "same bits at {t} ms");
        }
    }

    #[test]
    fn the_upstream_doc_examples() {
        // k/web horizontal-pod-autoscale.md: current 200m vs desired 100m doubles the replicas;
        // 50m halves them. With 4 ready pods and a target of 100 per pod:
        // load 800 → 200 per pod → ratio 2.0 → ceil(2.0 × 4) = 8.
        assert_eq!(replicas_for_metric(4, 4, 0, 800.0, 100.0, 0.1), Some(8));
        // load 200 → 50 per pod → ratio 0.5 → ceil(0.5 × 4) = 2.
        assert_eq!(replicas_for_metric(4, 4, 0, 200.0, 100.0, 0.1), Some(2));
        // Within tolerance: ratio 1.05 (load 420) and 0.92 (368) change nothing.
        assert_eq!(replicas_for_metric(4, 4, 0, 420.0, 100.0, 0.1), Some(4));
        assert_eq!(replicas_for_metric(4, 4, 0, 368.0, 100.0, 0.1), Some(4));
        // No Ready pod, no metric: no decision.
        assert_eq!(replicas_for_metric(4, 0, 4, 800.0, 100.0, 0.1), None);
    }

    #[test]
    fn not_ready_pods_count_as_zero_load_on_scale_up() {
        // 2 ready + 2 starting, load 600: ready ratio (600/2)/100 = 3 > 1 → recompute over 4
        // pods with the starting ones at zero: (600/4)/100 = 1.5 → ceil(1.5 × 4) = 6.
        assert_eq!(replicas_for_metric(4, 2, 2, 600.0, 100.0, 0.1), Some(6));
        // 2 ready + 2 starting, load 300: ready ratio 1.5, over 4 pods 0.75 < 1 → keep 4.
        assert_eq!(replicas_for_metric(4, 2, 2, 300.0, 100.0, 0.1), Some(4));
        // A scale-down ignores the unready pods: ratio (100/2)/100 = 0.5 → ceil(0.5 × 2) = 1.
        assert_eq!(replicas_for_metric(4, 2, 2, 100.0, 100.0, 0.1), Some(1));
    }

    #[test]
    fn scale_up_is_limited_to_max_of_4_pods_and_100_percent_per_15s() {
        let h = spec(1, 100, 3000.0);
        let mut s = HpaState::default();
        // 2 ready pods at load 3000: the calculator wants ceil(15 × 2) = 30; the limit is
        // max(2 + 4, 2 × 2) = 6.
        assert_eq!(s.sync(&h, 0, 2, 2, 0), 6);
        // 15 s later (the 0 s event is outside the period) with 6 ready: limit max(10, 12) = 12.
        assert_eq!(s.sync(&h, 15_000, 6, 6, 0), 12);
        // Capped by max_replicas.
        let h = spec(1, 10, 3000.0);
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 8, 8, 0), 10);
    }

    #[test]
    fn stabilisation_holds_a_scale_down_for_300_seconds() {
        let mut h = spec(1, 100, 1000.0);
        h.load = drop_to_200_at(15_000);
        let mut s = HpaState::default();
        // 10 ready pods at load 1000: ratio 1.0 → keep 10, recommendation 10 recorded at 0 s.
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 10);
        // Load drops to 200: the calculator wants 2, but the highest recommendation in the last
        // 300 s is 10 → hold at 10 …
        assert_eq!(s.sync(&h, 15_000, 10, 10, 0), 10);
        assert_eq!(s.sync(&h, 285_000, 10, 10, 0), 10);
        // … until the 0 s recommendation leaves the window: at 300 s the window is (0, 300],
        // holding only recommendations of 2 → scale down to 2 (−100 % allows it).
        assert_eq!(s.sync(&h, 300_000, 10, 10, 0), 2);
    }

    #[test]
    fn a_run_of_equal_recommendations_holds_a_scale_down_from_its_last_sync() {
        let mut h = spec(1, 100, 1000.0);
        h.load = drop_to_200_at(45_000);
        let mut s = HpaState::default();
        // Three syncs at load 1000 with 10 ready pods each recommend 10 (ratio 1.0), at 0, 15
        // and 30 s: one run whose latest sync is at 30 s.
        for t in [0, 15_000, 30_000] {
            assert_eq!(s.sync(&h, t, 10, 10, 0), 10);
        }
        // Load 200 from 45 s: the calculator wants 2. Upstream holds 10 while any of the three
        // 10s is inside (now − 300 s, now]; the last one (30 s) stays until 330 s exclusive.
        for t in (45_000..330_000).step_by(15_000) {
            assert_eq!(s.sync(&h, t, 10, 10, 0), 10, "held at {t} ms");
        }
        // At 330 s the window (30 s, 330 s] holds only 2s → scale down to 2.
        assert_eq!(s.sync(&h, 330_000, 10, 10, 0), 2);
    }

    #[test]
    fn min_and_max_replicas_bound_the_result() {
        let h = spec(3, 5, 0.0);
        let mut s = HpaState::default();
        // Below min: straight to min. Above max: straight to max.
        assert_eq!(s.sync(&h, 0, 1, 1, 0), 3);
        assert_eq!(s.sync(&h, 15_000, 9, 9, 0), 5);
    }

    #[test]
    fn unserved_load_integrates_what_ready_pods_cannot_serve() {
        let h = spec(1, 1, 250.0);
        let mut s = HpaState::default();
        // 2 ready pods serve 200 of 250: 50 unserved for the 15 s until the next sync → 750.
        s.sync(&h, 0, 1, 2, 0);
        s.sync(&h, 15_000, 1, 2, 0);
        assert!((s.unserved - 750.0).abs() < 1e-9);
        assert!((s.demand - 3750.0).abs() < 1e-9);
    }

    #[test]
    fn without_a_behavior_a_scale_up_doubles_at_most_with_a_floor_of_4() {
        // k/k `calculateScaleUpLimit`: max(2 × current, 4). Load 100,000 wants far more than
        // max_replicas 100 at every step, each sync scales to the limit of the count it
        // finds: 1 → max(2, 4) = 4 → max(8, 4) = 8 → 16 → 32.
        let h = no_behavior(1, 100, 100_000.0);
        let mut s = HpaState::default();
        let mut current = 1;
        let mut seen = vec![current];
        for k in 0..4 {
            current = s.sync(&h, k * 15_000, current, current, 0);
            seen.push(current);
        }
        assert_eq!(seen, vec![1, 4, 8, 16, 32]);
        // The same HPA with the API's default behavior: max(start + 4, 2 × start) per 15 s
        // period: 1 → 5 → 10 → 20 → 40.
        let h = spec(1, 100, 100_000.0);
        let mut s = HpaState::default();
        let mut current = 1;
        let mut seen = vec![current];
        for k in 0..4 {
            current = s.sync(&h, k * 15_000, current, current, 0);
            seen.push(current);
        }
        assert_eq!(seen, vec![1, 5, 10, 20, 40]);
    }

    #[test]
    fn without_a_behavior_the_limit_is_per_sync_not_per_period() {
        // Syncs 5 s apart: the behavior path counts the +4 of 0 s against the 15 s period
        // (start 1 → limit max(1 + 4, 2) = 5 until 15 s); the path without a behavior bounds
        // each sync by the count it finds: 1 → 4 → 8 → 16 within 10 s.
        let h = no_behavior(1, 100, 100_000.0);
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 1, 1, 0), 4);
        assert_eq!(s.sync(&h, 5_000, 4, 4, 0), 8);
        assert_eq!(s.sync(&h, 10_000, 8, 8, 0), 16);
        let h = spec(1, 100, 100_000.0);
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 1, 1, 0), 5);
        assert_eq!(s.sync(&h, 5_000, 5, 5, 0), 5);
    }

    #[test]
    fn without_a_behavior_a_scale_down_waits_for_the_window_including_its_start() {
        let mut h = no_behavior(1, 100, 1000.0);
        h.load = drop_to_200_at(300_000);
        let mut s = HpaState::default();
        // 10 ready at load 1000 recommend 10 at 0 s; then load 200 recommends 2.
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 10);
        // `stabilizeRecommendation` ignores only samples `Before(now − 300 s)`: at 300 s the
        // 0 s sample is not before the cutoff (equal), so 10 holds …
        assert_eq!(s.sync(&h, 300_000, 10, 10, 0), 10);
        // … and at 315 s it is, so the recommendation is 2, with no rate limit down.
        assert_eq!(s.sync(&h, 315_000, 10, 10, 0), 2);
    }

    #[test]
    fn a_min_select_policy_takes_the_smaller_proposal_and_disabled_never_scales() {
        // Up policies +4 pods and +100 %, from 10 replicas: proposals 14 and 20; Min → 14.
        let mut h = spec(1, 100, 100_000.0);
        h.behavior.as_mut().unwrap().scale_up.select_policy = SelectPolicy::Min;
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 14);
        h.behavior.as_mut().unwrap().scale_up.select_policy = SelectPolicy::Disabled;
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 10);
        // Down: −1 pod per 60 s, from 10 with load 0 (recommendation 1 after the window):
        // one pod per minute.
        let mut h = spec(1, 100, 0.0);
        h.scale_down_window = 0;
        h.behavior.as_mut().unwrap().scale_down.policies = vec![ScalingPolicySpec {
            kind: PolicyKind::Pods,
            value: 1,
            period: 60_000,
        }];
        let mut s = HpaState::default();
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 9);
        // 30 s later the 0 s event is inside the period: start 9 + 1 = 10, limit 9.
        assert_eq!(s.sync(&h, 30_000, 9, 9, 0), 9);
        assert_eq!(s.sync(&h, 60_000, 9, 9, 0), 8);
    }
}
