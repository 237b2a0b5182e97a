//! NodeResourcesBalancedAllocation (k/k `plugins/noderesources/balanced_allocation.go`):
//! favours nodes whose cpu and memory fractions stay close after placing the pod. With two
//! resources the standard deviation is |f_cpu − f_mem| / 2 and the score (1 − std) × 100.
//! Computed on actual requests (`useRequested`); skipped for pods that request nothing.

use crate::model::Res;

pub const NAME: &str = "NodeResourcesBalancedAllocation";

pub fn score(allocatable: Res, requested: Res, pod: Res) -> i64 {
    if pod.cpu_m == 0 && pod.mem == 0 {
        return 0;
    }
    let frac = |r: u64, a: u64| {
        if a == 0 {
            1.0
        } else {
            ((r as f64) / (a as f64)).min(1.0)
        }
    };
    let fc = frac(requested.cpu_m + pod.cpu_m, allocatable.cpu_m);
    let fm = frac(requested.mem + pod.mem, allocatable.mem);
    let std = ((fc - fm) / 2.0).abs();
    ((1.0 - std) * super::MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_fractions_score_100_and_skew_lowers_the_score() {
        let alloc = Res {
            cpu_m: 4000,
            mem: 16 << 30,
            pods: 110,
        };
        // cpu 2000/4000 = 0.5, memory 8/16 = 0.5: std 0 → 100.
        let pod = Res {
            cpu_m: 2000,
            mem: 8 << 30,
            pods: 1,
        };
        assert_eq!(score(alloc, Res::default(), pod), 100);
        // cpu 4000/4000 = 1.0, memory 0/16 = 0: std 0.5 → 50.
        let pod = Res {
            cpu_m: 4000,
            mem: 0,
            pods: 1,
        };
        assert_eq!(score(alloc, Res::default(), pod), 50);
        // Best-effort pods are skipped.
        assert_eq!(score(alloc, Res::default(), Res::default()), 0);
    }
}
