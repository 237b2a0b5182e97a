//! Statistics across seeds: mean, sample standard deviation and the confidence interval of
//! the mean (Student t, 95 % unless `--confidence` says otherwise), and the paired-by-seed
//! difference between two variants.
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
//!
//! Quantiles come from statrs (the inverse of the regularised incomplete beta function) instead
//! of a 3-decimal table: exact to the 6 decimals of published tables up to 10,000 degrees of
//! freedom (tested); beyond, statrs' inversion drifts (7e-6 at 100,000 seeds, the most a plan
//! has), far below the width of any interval it multiplies.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The confidence level when none is given.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// The two-sided quantile t((1 + confidence) / 2, df): the multiplier of s/√n for a two-sided
/// interval at `confidence` (0 < confidence < 1; df ≥ 1).
pub fn t_quantile(confidence: f64, df: usize) -> f64 {
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "a confidence level lies strictly between 0 and 1"
    );
    let t = StudentsT::new(0.0, 1.0, df as f64).expect("location 0, scale 1, df >= 1 are valid");
    t.inverse_cdf(upper_probability(confidence))
}

/// (1 + confidence) / 2, rounded to 12 decimals so that 0.95 gives exactly the 0.975 that is
/// printed (1.95 / 2 is 0.9750000000000001 in binary).
pub fn upper_probability(confidence: f64) -> f64 {
    ((1.0 + confidence) / 2.0 * 1e12).round() / 1e12
}

/// Rounds to 6 decimals so that printed aggregates are short and identical however they were
/// produced (a full run or merged shards accumulate in the same order anyway).
pub fn round6(x: f64) -> f64 {
    let r = (x * 1e6).round() / 1e6;
    if r == 0.0 { 0.0 } else { r }
}

/// Mean and confidence interval of one metric over the seeds that produced a value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Seeds with a value (a statistic over no pods is null and is left out).
    pub n: usize,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1 in the denominator); null when n < 2.
    pub sd: Option<f64>,
    /// Half-width t((1 + c) / 2, n−1) × sd / √n at the confidence level c of the aggregate
    /// (compare.json's `confidence`, 0.95 by default; the name predates `--confidence`); null
    /// when n < 2.
    pub ci95: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

impl Estimate {
    /// At the default 95 % level.
    pub fn of(values: &[f64]) -> Estimate {
        Estimate::at(values, DEFAULT_CONFIDENCE)
    }

    /// At confidence level `confidence`.
    pub fn at(values: &[f64], confidence: f64) -> Estimate {
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
        let half = t_quantile(confidence, n - 1) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean: Some(round6(mean)),
            sd: Some(round6(sd)),
            ci95: Some(round6(half)),
            lo: Some(round6(mean - half)),
            hi: Some(round6(mean + half)),
        }
    }

    /// The paired difference `variant − baseline` over seeds where both have a value, at the
    /// default 95 % level.
    pub fn paired(variant: &[Option<f64>], baseline: &[Option<f64>]) -> Estimate {
        Estimate::paired_at(variant, baseline, DEFAULT_CONFIDENCE)
    }

    /// The paired difference at confidence level `confidence`.
    pub fn paired_at(
        variant: &[Option<f64>],
        baseline: &[Option<f64>],
        confidence: f64,
    ) -> Estimate {
        let d: Vec<f64> = variant
            .iter()
            .zip(baseline)
            .filter_map(|(v, b)| Some((*v)? - (*b)?))
            .collect();
        Estimate::at(&d, confidence)
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

    /// Published two-sided critical values, to 6 decimals: NIST/SEMATECH e-Handbook §1.3.6.7.2
    /// (upper-tail 0.025 and 0.05 columns, printed to 3 decimals there) and, for the digits
    /// beyond, the standard 6-decimal tables (R's `qt(p, df)` prints the same).
    #[test]
    fn t_quantiles_match_published_tables() {
        let cases = [
            // (confidence, df, t)
            (0.95, 1, 12.706205),
            (0.95, 2, 4.302653),
            (0.95, 4, 2.776445),
            (0.95, 7, 2.364624),
            (0.95, 9, 2.262157),
            (0.95, 19, 2.093024),
            (0.95, 30, 2.042272),
            (0.95, 100, 1.983972),
            (0.90, 9, 1.833113),
            (0.99, 9, 3.249836),
            (0.99, 19, 2.860935),
        ];
        for (c, df, want) in cases {
            let got = t_quantile(c, df);
            assert!(
                (got - want).abs() < 5e-7,
                "t({c}, {df}) = {got}, expected {want}"
            );
        }
    }

    #[test]
    fn t_quantiles_for_many_seeds_follow_the_cornish_fisher_expansion() {
        // t(p, ν) ≈ z + (z³ + z)/(4ν) + (5z⁵ + 16z³ + 3z)/(96ν²) with z = z(0.975) = 1.959964
        // (Abramowitz & Stegun 26.7.5): at ν = 10,000 the terms give 1.959964 + 0.000237
        // + 0.0000000 = 1.960201.
        let t = t_quantile(0.95, 10_000);
        assert!((t - 1.960201).abs() < 1e-6, "{t}");
    }

    #[test]
    fn the_upper_probability_of_95_percent_is_exactly_0975() {
        assert_eq!(upper_probability(0.95), 0.975);
        assert_eq!(upper_probability(0.9), 0.95);
    }
}
