//! Statistics across seeds: mean, sample standard deviation and the 95 % confidence interval
//! of the mean (Student t), and the paired-by-seed difference between two variants.
//!
//! Owns: the arithmetic only. Does not own: which metrics are aggregated (`table`) or how
//! numbers are printed.
//!
//! Why Student t: a compare typically has 5–30 seeds, where the normal 1.96 understates the
//! interval (with 5 seeds the t quantile is 2.776, 42 % wider). Why paired differences: every
//! variant runs with the same seeds, and the simulator derives each component's random stream
//! from the seed, so variants share their random draws where their structure agrees; the
//! per-seed difference removes that shared noise and gives a tighter, still honest interval
//! than comparing two independent means (Welch).

use serde::{Deserialize, Serialize};

/// Two-sided 97.5 % quantiles t(0.975, df) of Student's t distribution for df = 1..=30, from
/// the NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.2 "Critical Values of the
/// Student's t Distribution" (column 0.975 ≙ 0.025 upper tail).
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

/// Beyond df 30, the same NIST table's rows 40, 60, 100 and ∞ (2.021, 2.000, 1.984, 1.960),
/// interpolated linearly in 1/df (the usual rule for t tables; error < 0.001 here).
const T975_TAIL: [(f64, f64); 4] = [
    (40.0, 2.021),
    (60.0, 2.000),
    (100.0, 1.984),
    (f64::INFINITY, 1.960),
];

/// t(0.975, df): the multiplier of s/√n for a two-sided 95 % interval.
pub fn t975(df: usize) -> f64 {
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    if df <= 30 {
        return T975[df - 1];
    }
    let inv = 1.0 / df as f64;
    let mut prev = (30.0, 2.042);
    for &(d, t) in &T975_TAIL {
        if (df as f64) <= d {
            let (i0, i1) = (1.0 / prev.0, if d.is_infinite() { 0.0 } else { 1.0 / d });
            return prev.1 + (t - prev.1) * (i0 - inv) / (i0 - i1);
        }
        prev = (d, t);
    }
    1.960
}

/// Rounds to 6 decimals so that printed aggregates are short and identical however they were
/// produced (a full run or merged shards accumulate in the same order anyway).
pub fn round6(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

/// Mean and 95 % confidence interval of one metric over the seeds that produced a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Seeds with a value (a statistic over no pods is null and is left out).
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1 in the denominator); null when n < 2.
    pub sd: Option<f64>,
    /// Half-width t(0.975, n−1) × sd / √n; null when n < 2.
    pub ci95: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

impl Estimate {
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate {
                n,
                mean: None,
                sd: None,
                ci95: None,
                lo: None,
                hi: None,
            };
        }
        // Summed in seed order: the order is fixed, so the rounding is too.
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Estimate {
                n,
                mean: Some(round6(mean)),
                sd: None,
                ci95: None,
                lo: None,
                hi: None,
            };
        }
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let half = t975(n - 1) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean: Some(round6(mean)),
            sd: Some(round6(sd)),
            ci95: Some(round6(half)),
            lo: Some(round6(mean - half)),
            hi: Some(round6(mean + half)),
        }
    }

    /// The paired difference `variant − baseline` over seeds where both have a value.
    pub fn paired(variant: &[Option<f64>], baseline: &[Option<f64>]) -> Estimate {
        let d: Vec<f64> = variant
            .iter()
            .zip(baseline)
            .filter_map(|(v, b)| Some((*v)? - (*b)?))
            .collect();
        Estimate::of(&d)
    }

    /// `12.3 ± 0.4`, or `12.3` with one seed, or `-` without a value.
    pub fn show(&self, decimals: usize) -> String {
        match (self.mean, self.ci95) {
            (None, _) => "-".into(),
            (Some(m), None) => format!("{m:.decimals$}"),
            (Some(m), Some(h)) => format!("{m:.decimals$} ± {h:.decimals$}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_follow_the_table_and_approach_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(19), 2.093);
        assert_eq!(t975(30), 2.042);
        // df 40 and 60 are table rows; 50 lies between them in 1/df.
        assert!((t975(40) - 2.021).abs() < 1e-12);
        assert!((t975(60) - 2.000).abs() < 1e-12);
        let t50 = t975(50);
        assert!(t50 < 2.021 && t50 > 2.000, "{t50}");
        // The exact t(0.975, 50) is 2.009.
        assert!((t50 - 2.009).abs() < 0.001, "{t50}");
        assert!((t975(1_000_000) - 1.96).abs() < 1e-3);
    }
}
