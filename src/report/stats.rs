//! Descriptive statistics over millisecond samples: nearest-rank percentiles and the mean.

use serde::{Deserialize, Serialize};

/// Count, mean and percentiles of a sample, in seconds. Empty samples have null statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// Nearest-rank percentile of sorted values: the value at rank ⌈p/100 × n⌉ (1-based).
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl Stats {
    /// Statistics of millisecond values (sorted in place).
    pub fn of_ms(values: &mut [u64]) -> Stats {
        values.sort_unstable();
        let n = values.len();
        if n == 0 {
            return Stats::default();
        }
        let sum: u128 = values.iter().map(|&v| v as u128).sum();
        // Mean rounded to the millisecond so the figure is the same on every machine.
        let mean_ms = ((sum + n as u128 / 2) / n as u128) as u64;
        let p = |q| percentile(values, q).map(secs);
        Stats {
            count: n,
            mean: Some(secs(mean_ms)),
            p50: p(50.0),
            p90: p(90.0),
            p95: p(95.0),
            p99: p(99.0),
            max: values.last().copied().map(secs),
        }
    }
}

impl Stats {
    /// Statistics of a multiset given as sorted (value, count) runs with `n` values in all:
    /// the same figures `of_ms` gives for the expanded list (same ranks, same rounding).
    pub fn of_runs(runs: &[(u64, u64)], n: u64) -> Stats {
        if n == 0 {
            return Stats::default();
        }
        let sum: u128 = runs.iter().map(|&(v, c)| v as u128 * c as u128).sum();
        let mean_ms = ((sum + n as u128 / 2) / n as u128) as u64;
        // The value at 1-based rank r: the first run whose cumulative count reaches r.
        let at_rank = |r: u64| {
            let mut seen = 0;
            runs.iter()
                .find(|&&(_, c)| {
                    seen += c;
                    seen >= r
                })
                .map(|&(v, _)| v)
        };
        let p = |q: f64| {
            let rank = ((q / 100.0) * n as f64).ceil() as u64;
            at_rank(rank.clamp(1, n)).map(secs)
        };
        Stats {
            count: n as usize,
            mean: Some(secs(mean_ms)),
            p50: p(50.0),
            p90: p(90.0),
            p95: p(95.0),
            p99: p(99.0),
            max: runs.last().map(|&(v, _)| secs(v)),
        }
    }

    /// Statistics of a `Hist` (the exact multiset of a tally).
    pub fn of_hist(h: &mut crate::metrics::tally::Hist) -> Stats {
        let (runs, n) = h.sorted_runs();
        Stats::of_runs(runs, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_runs_equal_those_of_the_expanded_list() {
        // Runs (1 s ×3, 2 s ×1, 7 s ×6) are the list 1,1,1,2,7,7,7,7,7,7 (n = 10): p50 = rank
        // 5 → 7 s, p90 = rank 9 → 7 s; mean (3 + 2 + 42) / 10 = 4.7 s. Both paths agree.
        let runs = [(1000, 3), (2000, 1), (7000, 6)];
        let mut list = vec![1000, 1000, 1000, 2000, 7000, 7000, 7000, 7000, 7000, 7000];
        let s = Stats::of_runs(&runs, 10);
        assert_eq!((s.p50, s.p90, s.mean), (Some(7.0), Some(7.0), Some(4.7)));
        assert_eq!(s, Stats::of_ms(&mut list));
        // Runs (1 s ×3, 2 s ×1): p50 = rank 2 → 1 s (inside the first run); p90 = rank
        // ⌈3.6⌉ = 4 → 2 s, the run that ends exactly at rank 4.
        let s = Stats::of_runs(&[(1000, 3), (2000, 1)], 4);
        assert_eq!((s.p50, s.p90, s.max), (Some(1.0), Some(2.0), Some(2.0)));
        assert_eq!(Stats::of_runs(&[], 0), Stats::default());
    }

    #[test]
    fn nearest_rank_percentiles_by_hand() {
        // 1..=10 s: p50 = rank 5 → 5 s; p90 = rank 9 → 9 s; p99 = rank ⌈9.9⌉ = 10 → 10 s.
        let mut v: Vec<u64> = (1..=10).rev().map(|s| s * 1000).collect();
        let s = Stats::of_ms(&mut v);
        assert_eq!(s.count, 10);
        assert_eq!(s.p50, Some(5.0));
        assert_eq!(s.p90, Some(9.0));
        assert_eq!(s.p99, Some(10.0));
        assert_eq!(s.max, Some(10.0));
        // Mean of 1..=10 = 5.5 s.
        assert_eq!(s.mean, Some(5.5));
        // One value: every percentile is that value.
        let s = Stats::of_ms(&mut [1234]);
        assert_eq!((s.p50, s.p99), (Some(1.234), Some(1.234)));
        assert_eq!(Stats::of_ms(&mut []).p50, None);
    }
}
