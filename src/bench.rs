//! `hybridsim bench`: run a scenario end to end and measure it (wall time, events, pods,
//! scheduling attempts, peak memory, time-weighted mean node count, and event throughput
//! against a raw binary-heap hold model run in the same process), so speed targets live in a
//! benchmark and not in tests.
//!
//! Owns: the measurement and its JSON shape. Does not own: printing or progress drawing (cli,
//! which gets a callback per finished run).

use crate::model::Spec;
use crate::model::cluster::Cluster;
use crate::report;
use crate::simulation;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
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
    /// Time-weighted mean number of nodes in the cluster (registered: from Ready to deletion
    /// or the end of the run), over the simulated duration.
    pub nodes_mean: f64,
    pub scheduling_attempts: u64,
    /// Mean number of events queued after each pop: the size of the hold-model reference.
    pub queue_mean: f64,
    /// Operations per second of the hold model (median of the runs): a raw `BinaryHeap` of
    /// `queue_mean` (time, seq) entries, each operation popping the earliest and pushing it
    /// back a random time later, run for `events` operations after each simulation run.
    pub hold_ops_per_s: f64,
    /// Median over the runs of events/s of the run divided by ops/s of the hold model run
    /// right after it: the share of a bare priority queue's throughput the simulator reaches
    /// (issue 10's target: 0.3). Pairs measured back to back, so a busy machine slows both.
    pub hold_ratio: f64,
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

/// Time-weighted mean number of registered nodes (from `ready_at` to `deleted_at`, or `end`)
/// over `[0, end]`; the node count at the end when `end` is 0.
pub fn mean_nodes(cl: &Cluster, end: u64) -> f64 {
    if end == 0 {
        return cl.registered.len() as f64;
    }
    let mut node_ms: u128 = 0;
    for n in &cl.nodes {
        if let Some(ready) = n.ready_at {
            let gone = n.deleted_at.unwrap_or(end).min(end);
            node_ms += u128::from(gone.saturating_sub(ready));
        }
    }
    node_ms as f64 / end as f64
}

/// What one hold-model run did: its operations and whether popped times never went back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoldRun {
    pub ops: u64,
    pub wall_s: f64,
    pub queue_len: usize,
    pub monotone: bool,
}

/// The classic hold model on a raw `std::collections::BinaryHeap`: `n` pending (time, seq)
/// entries; each of `ops` operations pops the earliest and schedules it again 1 ms to 1,000 s
/// later (one ChaCha8 draw, as `benches/engine.rs`). The reference a discrete-event engine is
/// compared with: no event handling, only the queue.
pub fn hold_model(n: usize, ops: u64, seed: u64) -> HoldRun {
    let n = n.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(n + 1);
    for seq in 0..n as u64 {
        heap.push(Reverse((rng.random_range(0..1_000_000), seq)));
    }
    let mut last = 0;
    let mut monotone = true;
    let t = Instant::now();
    for seq in n as u64..n as u64 + ops {
        let Reverse((time, _)) = heap.pop().expect("the heap holds n entries");
        monotone &= time >= last;
        last = time;
        heap.push(Reverse((time + rng.random_range(1..1_000_000), seq)));
    }
    let wall_s = t.elapsed().as_secs_f64();
    HoldRun {
        ops,
        wall_s,
        queue_len: std::hint::black_box(heap.len()),
        monotone,
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let k = v.len();
    if k % 2 == 1 {
        v[k / 2]
    } else {
        (v[k / 2 - 1] + v[k / 2]) / 2.0
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// Runs `spec` `repeat` times with `seed` and measures it, each run followed by a hold-model
/// run of the same number of operations; `progress(done, repeat)` is called after each pair.
pub fn bench(
    spec: &Spec,
    seed: u64,
    repeat: usize,
    progress: &dyn Fn(usize, usize),
) -> std::io::Result<BenchResult> {
    let repeat = repeat.max(1);
    let mut walls = Vec::with_capacity(repeat);
    let mut hold_rates = Vec::with_capacity(repeat);
    let mut ratios = Vec::with_capacity(repeat);
    let mut last = None;
    for _ in 0..repeat {
        // Free the previous run first so peak RSS is that of one run, not two.
        drop(last.take());
        let t = Instant::now();
        // Bench writes no per-pod file: finished trace pods are given back as in `run`
        // without `--out`.
        let out = simulation::run_for_summary(spec, seed);
        let wall = t.elapsed().as_secs_f64();
        if let Some(e) = &out.trace_error {
            return Err(std::io::Error::other(format!(
                "the trace replay stopped: {e}"
            )));
        }
        walls.push(wall);
        let queue = out.queue_len_sum as f64 / out.events.max(1) as f64;
        let hold = hold_model(queue.round() as usize, out.events, seed);
        let hold_rate = hold.ops as f64 / hold.wall_s.max(1e-9);
        hold_rates.push(hold_rate);
        ratios.push((out.events as f64 / wall.max(1e-9)) / hold_rate);
        last = Some(out);
        progress(walls.len(), repeat);
    }
    let out = last.expect("at least one run");
    let summary = report::Summary::new(spec, &out);
    let summary_fnv64 = report::summary_fnv64(&summary)?;
    let median = median(&mut walls);
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
        nodes_mean: round(mean_nodes(&out.cluster, out.end), 1),
        scheduling_attempts: out.scheduling_attempts,
        queue_mean: round(out.queue_len_sum as f64 / out.events.max(1) as f64, 1),
        hold_ops_per_s: round(self::median(&mut hold_rates), 0),
        hold_ratio: round(self::median(&mut ratios), 3),
        peak_rss_bytes: peak_rss_bytes(),
        summary_fnv64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cluster::{Node, NodeState};
    use crate::model::{PoolId, Res};

    fn node(ready_at: Option<u64>, deleted_at: Option<u64>) -> Node {
        Node {
            pool: PoolId::from_idx(0),
            ordinal: 0,
            state: NodeState::Ready,
            cordoned: false,
            requested: Res::default(),
            nonzero: Res::default(),
            created_at: 0,
            ready_at,
            deleted_at,
            version: None,
            sums_at: 0,
        }
    }

    #[test]
    fn the_mean_node_count_weights_each_node_by_the_time_it_was_in_the_cluster() {
        // Over 1,000 ms: a node there throughout counts 1000 ms; one Ready at 250 and deleted
        // at 750 counts 500; one never Ready counts 0; one Ready at 900 and deleted after the
        // end counts 100 (cut at the end). (1000 + 500 + 0 + 100) / 1000 = 1.6 nodes.
        let mut cl = Cluster::new(1, 0);
        cl.nodes = vec![
            node(Some(0), None),
            node(Some(250), Some(750)),
            node(None, Some(400)),
            node(Some(900), Some(5_000)),
        ];
        assert_eq!(mean_nodes(&cl, 1_000), 1.6);
    }

    #[test]
    fn the_summary_fingerprint_is_that_of_the_summary_json_run_writes() {
        // bench hashes summary.json's bytes as serde writes them instead of holding them; the
        // figure must be FNV-1a 64 of the very bytes `run --out` writes.
        let text = std::fs::read_to_string("scenarios/quickstart.ron").unwrap();
        let (_, spec) = crate::scenario::load_str(&text, "scenarios/quickstart.ron").unwrap();
        let r = bench(&spec, spec.seed, 1, &|_, _| {}).unwrap();
        let out = simulation::run(&spec, spec.seed);
        let json = report::summary_json(&report::Summary::new(&spec, &out)).unwrap();
        assert_eq!(r.summary_fnv64, crate::engine::hash::fnv1a64_hex(&json));
    }

    #[test]
    fn the_hold_model_keeps_its_queue_size_and_pops_in_time_order() {
        // Each operation pops one entry and pushes one: 1,000 entries before, 1,000 after;
        // every push is later than the entry popped, so popped times never decrease.
        let h = hold_model(1_000, 50_000, 7);
        assert_eq!(h.ops, 50_000);
        assert_eq!(h.queue_len, 1_000);
        assert!(h.monotone);
        assert!(h.wall_s > 0.0);
    }

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
