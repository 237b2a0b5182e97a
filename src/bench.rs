//! `hybridsim bench`: run a scenario end to end and measure it (wall time, events, pods,
//! scheduling attempts, peak memory), so speed targets live in a benchmark and not in tests.
//!
//! Owns: the measurement and its JSON shape. Does not own: printing (cli).

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
    /// Peak resident set size of the process (VmHWM), bytes; 0 where unavailable.
    pub peak_rss_bytes: u64,
    /// FNV-1a of summary.json, to check an optimisation changed no result.
    pub summary_fnv64: String,
}

/// Peak resident set size of this process from /proc/self/status, in bytes.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// Runs `spec` `repeat` times with `seed` and measures it.
pub fn bench(spec: &Spec, seed: u64, repeat: usize) -> std::io::Result<BenchResult> {
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
