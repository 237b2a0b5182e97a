//! Sampling a pool's node provisioning delay (request → Ready).

use crate::model::DelayDist;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

/// Draws one delay in milliseconds.
pub fn sample(d: DelayDist, rng: &mut impl Rng) -> u64 {
    match d {
        DelayDist::Fixed(ms) => ms,
        DelayDist::Uniform(a, b) => {
            if a == b {
                a
            } else {
                rng.random_range(a..=b)
            }
        }
        DelayDist::LogNormal { mu, sigma } => {
            if sigma <= 0.0 {
                return mu.exp().round() as u64;
            }
            let dist = LogNormal::new(mu, sigma).expect("sigma is positive and finite");
            dist.sample(rng).round() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn quantile(mut v: Vec<u64>, q: f64) -> u64 {
        v.sort_unstable();
        v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
    }

    #[test]
    fn log_normal_reproduces_its_median_and_p95() {
        // median 6 min, p95 10 min. With n = 20,000 draws the sample median's standard error is
        // about 1.2533 σ_ln·median/√n ≈ 1.2533 × 0.3106 × 360 s / 141 ≈ 1.0 s, so ±1 % (3.6 s) is
        // more than three standard errors; the p95 estimate is noisier, so ±3 %.
        let d = DelayDist::log_normal(360_000, 600_000);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let v: Vec<u64> = (0..20_000).map(|_| sample(d, &mut rng)).collect();
        let med = quantile(v.clone(), 0.5) as f64;
        let p95 = quantile(v, 0.95) as f64;
        assert!((med / 360_000.0 - 1.0).abs() < 0.01, "median {med}");
        assert!((p95 / 600_000.0 - 1.0).abs() < 0.03, "p95 {p95}");
    }

    #[test]
    fn uniform_stays_in_bounds_and_centres_on_the_midpoint() {
        let d = DelayDist::Uniform(60_000, 120_000);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v: Vec<u64> = (0..20_000).map(|_| sample(d, &mut rng)).collect();
        assert!(v.iter().all(|&x| (60_000..=120_000).contains(&x)));
        // Median of U(60, 120) s is 90 s; its standard error with n = 20,000 is ≈ 0.2 s.
        let med = quantile(v, 0.5) as f64;
        assert!((med - 90_000.0).abs() < 1_000.0, "median {med}");
        assert_eq!(sample(DelayDist::Fixed(42), &mut rng), 42);
    }
}
