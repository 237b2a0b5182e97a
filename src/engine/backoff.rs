//! Exponential back-off as Kubernetes components compute it (client-go `flowcontrol.Backoff`,
//! the scheduler queue's `calculateBackoffDuration`): the first retry waits `base`, each further
//! one doubles, never beyond `max`.

/// `base × 2^(attempts−1)`, capped at `max`; `attempts` counts the failures so far (≥ 1).
pub fn backoff(base: u64, max: u64, attempts: u32) -> u64 {
    let mut d = base;
    for _ in 1..attempts {
        d = d.saturating_mul(2);
        if d >= max {
            return max;
        }
    }
    d.min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubelet_pull_backoff_doubles_from_10s_to_300s() {
        // k/k `pkg/kubelet/images`: 10 s initial, 300 s maximum → 10, 20, 40, 80, 160, 300, 300.
        let got: Vec<u64> = (1..=7).map(|a| backoff(10_000, 300_000, a)).collect();
        assert_eq!(
            got,
            vec![10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]
        );
    }

    #[test]
    fn the_scheduler_backoff_doubles_from_one_second_to_ten() {
        // podInitialBackoffSeconds 1, podMaxBackoffSeconds 10: 1, 2, 4, 8, 10, 10.
        let got: Vec<u64> = (1..=6).map(|a| backoff(1000, 10_000, a)).collect();
        assert_eq!(got, vec![1000, 2000, 4000, 8000, 10_000, 10_000]);
    }

    #[test]
    fn huge_attempt_counts_saturate_at_the_maximum() {
        assert_eq!(backoff(1000, 10_000, u32::MAX), 10_000);
    }
}
