//! The HorizontalPodAutoscaler (k/k `pkg/controller/podautoscaler`, k/web
//! `horizontal-pod-autoscale.md`), fed by a load curve instead of a metrics server.
//!
//! The metric is load per Ready pod against a target of `capacity_per_pod ×
//! target_utilization`. Every sync: the replica calculator's ratio with the tolerance and the
//! not-ready rule (pods that are not Ready count as zero load when the ratio asks to scale up),
//! then the default behaviour: stabilisation (scale-up window 0 s, scale-down 300 s, using the
//! highest recommendation in the window) and rate limits (up: max of +4 pods and +100 % per
//! 15 s; down: −100 % per 15 s), then min/max replicas.

use crate::model::HpaSpec;
use std::collections::VecDeque;

/// Rate-limit period of the default policies.
pub const POLICY_PERIOD_MS: u64 = 15_000;

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
}

fn change_in_period(events: &VecDeque<(u64, u32)>, now: u64) -> u32 {
    events
        .iter()
        .filter(|(t, _)| *t + POLICY_PERIOD_MS > now)
        .map(|(_, d)| *d)
        .sum()
}

impl HpaState {
    /// One sync at `now`: returns the new desired replica count (possibly unchanged).
    pub fn sync(&mut self, h: &HpaSpec, now: u64, current: u32, ready: u32, unready: u32) -> u32 {
        let load = h.load_at(now);
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
        if desired > current {
            self.up_events.push_back((now, desired - current));
        } else if desired < current {
            self.down_events.push_back((now, current - desired));
        }
        let horizon = now.saturating_sub(POLICY_PERIOD_MS.max(h.scale_down_window));
        while self.up_events.front().is_some_and(|e| e.0 < horizon) {
            self.up_events.pop_front();
        }
        while self.down_events.front().is_some_and(|e| e.0 < horizon) {
            self.down_events.pop_front();
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

    /// `normalizeDesiredReplicasWithBehaviors` with the default behaviour.
    fn normalize(&mut self, h: &HpaSpec, now: u64, current: u32, desired: u32) -> u32 {
        let rec = self.stabilise(h, now, current, desired);
        // Rate limits.
        if rec > current {
            let start = current - change_in_period(&self.up_events, now).min(current);
            let by_pods = start + 4;
            let by_percent = (start as f64 * 2.0).ceil() as u32;
            let limit = by_pods.max(by_percent).max(current);
            rec.min(limit).min(h.max_replicas)
        } else if rec < current {
            // Percent policy: ⌊start × (1 − 100/100)⌋ = 0 replicas, where start is the count at
            // the beginning of the period; so only min_replicas bounds a scale-down.
            const SCALE_DOWN_PERCENT: f64 = 100.0;
            let start = current + change_in_period(&self.down_events, now);
            let limit = ((start as f64) * (1.0 - SCALE_DOWN_PERCENT / 100.0)) as u32;
            rec.max(limit.min(current)).max(h.min_replicas)
        } else {
            rec
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min: u32, max: u32, load: f64) -> HpaSpec {
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
        let mut s = HpaState::default();
        // 10 ready pods at load 1000: ratio 1.0 → keep 10, recommendation 10 recorded at 0 s.
        assert_eq!(s.sync(&h, 0, 10, 10, 0), 10);
        // Load drops to 200: the calculator wants 2, but the highest recommendation in the last
        // 300 s is 10 → hold at 10 …
        h.load = vec![(0, 200.0)];
        assert_eq!(s.sync(&h, 15_000, 10, 10, 0), 10);
        assert_eq!(s.sync(&h, 285_000, 10, 10, 0), 10);
        // … until the 0 s recommendation leaves the window: at 300 s the window is (0, 300],
        // holding only recommendations of 2 → scale down to 2 (−100 % allows it).
        assert_eq!(s.sync(&h, 300_000, 10, 10, 0), 2);
    }

    #[test]
    fn a_run_of_equal_recommendations_holds_a_scale_down_from_its_last_sync() {
        let mut h = spec(1, 100, 1000.0);
        let mut s = HpaState::default();
        // Three syncs at load 1000 with 10 ready pods each recommend 10 (ratio 1.0), at 0, 15
        // and 30 s: one run whose latest sync is at 30 s.
        for t in [0, 15_000, 30_000] {
            assert_eq!(s.sync(&h, t, 10, 10, 0), 10);
        }
        // Load 200 from 45 s: the calculator wants 2. Upstream holds 10 while any of the three
        // 10s is inside (now − 300 s, now]; the last one (30 s) stays until 330 s exclusive.
        h.load = vec![(0, 200.0)];
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
}
