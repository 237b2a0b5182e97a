//! `hybridsim bench`: run a scenario end to end and measure it (wall time, events, pods,
//! scheduling attempts, peak memory), so speed targets live in a benchmark and not in tests.
//!
//! Owns: the measurement and its JSON shape. Does not own: printing or progress drawing (cli,
//! which gets a callback per finished run).

use crate::model::Spec;
use crate::report;
use crate::simulation;
use serde::Serialize;
use std::time::Instant;

#[derive(Clone, Debug, Serialize)]
pub struct BenchResult {
    pub scenario: String,
    pub git_revision: String,
    pub seed: u64,
    pub runs: usize,
    /// Median wall time of the runs.
    pub wall_s: f64,
    pub wall_s_min: f64,
    pub wall_s_median: f64,
    pub simulated_s: f64,
    pub events: u64,
    pub events_per_s: f64,
    pub pods: u64,
    pub pods_per_s: f64,
    pub nodes: u64,
    pub scheduling_attempts: u64,
    /// Peak resident set size of the process (getrusage's ru_maxrss), bytes; 0 where
    /// unavailable.
    pub peak_rss_bytes: u64,
    /// FNV-1a of summary.json, to check an optimisation changed no result.
    pub summary_fnv64: String,
}

/// Peak resident set size of this process in bytes, from `getrusage(RUSAGE_SELF)`: POSIX, so
/// it works beyond Linux, unlike /proc/self/status's VmHWM. `ru_maxrss` is in KiB on Linux and
/// the BSDs but in bytes on macOS (getrusage(2) of each). 0 if the call fails.
pub fn peak_rss_bytes() -> u64 {
    // SAFETY: `getrusage` only writes the struct it is given; a zeroed `rusage` is a valid
    // value of a plain C struct of integers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a live `rusage`.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0;
    }
    let max = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    if cfg!(target_os = "macos") {
        max
    } else {
        max * 1024
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// Runs `spec` `repeat` times with `seed` and measures it; `progress(done, repeat)` is called
/// after each run.
pub fn bench(
    spec: &Spec,
    seed: u64,
    repeat: usize,
    progress: &dyn Fn(usize, usize),
) -> std::io::Result<BenchResult> {
    let repeat = repeat.max(1);
    let mut walls = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        // Free the previous run first so peak RSS is that of one run, not two.
        drop(last.take());
        let t = Instant::now();
        let out = simulation::run(spec, seed);
        walls.push(t.elapsed().as_secs_f64());
        last = Some(out);
        progress(walls.len(), repeat);
    }
    let out = last.expect("at least one run");
    let summary = report::Summary::new(spec, &out);
    let json = report::summary_json(&summary)?;
    walls.sort_by(f64::total_cmp);
    let median = if repeat % 2 == 1 {
        walls[repeat / 2]
    } else {
        (walls[repeat / 2 - 1] + walls[repeat / 2]) / 2.0
    };
    let pods = out.cluster.pods.len() as u64;
    Ok(BenchResult {
        scenario: spec.name.clone(),
        git_revision: env!("HYBRIDSIM_GIT_REV").to_string(),
        seed,
        runs: repeat,
        wall_s: round(median, 4),
        wall_s_min: round(walls[0], 4),
        wall_s_median: round(median, 4),
        simulated_s: spec.duration as f64 / 1000.0,
        events: out.events,
        events_per_s: round(out.events as f64 / median.max(1e-9), 0),
        pods,
        pods_per_s: round(pods as f64 / median.max(1e-9), 0),
        nodes: out.cluster.nodes.len() as u64,
        scheduling_attempts: out.scheduling_attempts,
        peak_rss_bytes: peak_rss_bytes(),
        summary_fnv64: crate::engine::hash::fnv1a64_hex(&json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_grows_by_at_least_the_memory_touched() {
        let before = peak_rss_bytes();
        assert!(before > 0, "getrusage gave no peak RSS");
        // 64 MiB written byte by byte is resident at once (every page touched, nothing
        // freed before the read below), so the peak is at least that much above any earlier
        // figure... unless the earlier peak was already higher, hence the max with `before`.
        let n = 64 << 20;
        let v = vec![1u8; n];
        let after = peak_rss_bytes();
        assert!(v.iter().map(|&b| b as usize).sum::<usize>() == n);
        assert!(after >= n as u64, "peak {after} < {n}");
        assert!(after >= before);
    }
}
