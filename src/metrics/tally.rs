//! Per-pod outcomes summed up: what `summary.json` says about pods (counts by final phase,
//! reasons met, graceful deletions, startup latencies by OS and by phase, per workload),
//! gathered one pod at a time in any order.
//!
//! Owns: the aggregation (`PodTally::add`) and exact latency multisets (`Hist`). Does not own:
//! the summary's shape and statistics (`report::summary`, `report::stats`), the startup CDF
//! drawn from the multisets (`report::plots::RunCdf`), nor when a pod is
//! added (the report adds the pods still held at the end; the simulation adds each page of
//! finished trace pods it gives back, `model::pod_arena`). Every field is a sum or a multiset,
//! so the result does not depend on that order or on which pods were retired early: a run
//! gives the same summary with retirement on or off (tests/trace_replay.rs).

use crate::model::Os;
use crate::model::Spec;
use crate::model::cluster::{Node, Pod, PodPhase, Reason, Termination};

/// An exact multiset of millisecond values. Values arrive in `raw`; once there are many they
/// are sorted and merged into `runs` of (value, count), so a multiset of a billion samples
/// with few distinct values (latencies are whole milliseconds) takes little memory, and the
/// statistics read from it are those of the sorted list of every value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hist {
    raw: Vec<u64>,
    runs: Vec<(u64, u64)>,
}

/// Raw values held before a merge: amortises the sort, bounds the memory of a run of distinct
/// values to 2× the distinct count plus this.
const RAW_MAX: usize = 1 << 16;

impl Hist {
    pub fn push(&mut self, v: u64) {
        self.raw.push(v);
        if self.raw.len() >= RAW_MAX.max(self.runs.len()) {
            self.compact();
        }
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Hist) {
        self.compact();
        let mut o = other.clone();
        o.compact();
        self.runs = merge_runs(&self.runs, o.runs.iter().copied());
    }

    /// Moves `raw` into `runs`, which stay sorted by value with distinct values.
    fn compact(&mut self) {
        if self.raw.is_empty() {
            return;
        }
        self.raw.sort_unstable();
        self.runs = merge_runs(&self.runs, self.raw.iter().map(|&v| (v, 1)));
        self.raw.clear();
    }

    /// The values as sorted (value, count) runs, and how many values there are.
    pub fn sorted_runs(&mut self) -> (&[(u64, u64)], u64) {
        self.compact();
        let n = self.runs.iter().map(|r| r.1).sum();
        (&self.runs, n)
    }
}

/// Merges sorted runs `a` with sorted (value, count) pairs `b` (values may repeat in `b`).
fn merge_runs(a: &[(u64, u64)], b: impl Iterator<Item = (u64, u64)>) -> Vec<(u64, u64)> {
    // Room for `a` and up to 16 new values: most histograms of a run are one workload's, of
    // a pod or a few, so a fixed 16 would be most of their memory.
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(a.len() + b.size_hint().0.min(16));
    let mut add = |v: u64, c: u64| match out.last_mut() {
        Some((last, n)) if *last == v => *n += c,
        _ => out.push((v, c)),
    };
    let mut a = a.iter().copied().peekable();
    for (v, c) in b {
        while let Some(&(av, ac)) = a.peek() {
            if av > v {
                break;
            }
            add(av, ac);
            a.next();
        }
        add(v, c);
    }
    a.for_each(|(v, c)| add(v, c));
    out
}

/// One workload's part of the tally.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkloadTally {
    pub created: u64,
    pub ready: u64,
    pub pending_at_end: u64,
    /// Pods that met each reason (`Reason::ALL` order).
    pub failures: [u64; Reason::ALL.len()],
    /// created → Ready of the pods that became Ready.
    pub startup: Hist,
}

/// Pod outcomes summed over any set of pods (see the module comment).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodTally {
    /// Pods by final phase (`metrics::phase_index` order).
    pub phases: [u64; PodPhase::COUNT],
    /// Pods that became Ready at some point.
    pub ready: u64,
    /// Graceful deletions by reason (`Termination::ALL` order).
    pub terminations: [u64; Termination::ALL.len()],
    /// Pods that met each reason (`Reason::ALL` order).
    pub failures: [u64; Reason::ALL.len()],
    /// Pods that were Unschedulable once and bound later.
    pub unschedulable_then_bound: u64,
    /// created → Ready: all pods, pods on Linux nodes, pods on Windows nodes.
    pub startup: [Hist; 3],
    /// The four start phases (queue, pull, start, ready) of pods that went through all.
    pub phases_ms: [Hist; 4],
    /// Per workload (`Spec::workloads` order); empty until a pod is added, so that a tally
    /// nothing is added to (a run's `retired` when it retires no pod) costs nothing per
    /// workload. `size_workloads` makes it whole.
    pub workloads: Vec<WorkloadTally>,
    /// Pods bound to a Linux node, to a Windows node (the node they were last bound to): the
    /// denominators of the per-OS startup CDFs, whose numerators are `startup[1]`, `[2]`.
    pub bound: [u64; 2],
}

impl PodTally {
    /// Makes `workloads` one entry per workload of `spec` (what reading them needs).
    pub fn size_workloads(&mut self, spec: &Spec) {
        self.grow_workloads(spec.workloads.len());
    }

    fn grow_workloads(&mut self, n: usize) {
        if self.workloads.len() < n {
            self.workloads.resize(n, WorkloadTally::default());
        }
    }

    /// Pods added.
    pub fn created(&self) -> u64 {
        self.phases.iter().sum()
    }

    /// Adds one pod; `nodes` resolves its node's pool (for the OS).
    pub fn add(&mut self, spec: &Spec, nodes: &[Node], p: &Pod) {
        self.size_workloads(spec);
        let wl = &mut self.workloads[p.workload.idx()];
        wl.created += 1;
        self.phases[super::phase_index(p.phase)] += 1;
        if matches!(p.phase, PodPhase::Pending | PodPhase::Starting) {
            wl.pending_at_end += 1;
        }
        if let Some((t, _)) = p.termination {
            let k = Termination::ALL
                .iter()
                .position(|&x| x == t)
                .expect("in ALL");
            self.terminations[k] += 1;
        }
        if p.reasons_seen & Reason::Unschedulable.bit() != 0 && p.scheduled.is_some() {
            self.unschedulable_then_bound += 1;
        }
        for (k, r) in Reason::ALL.iter().enumerate() {
            if p.reasons_seen & r.bit() != 0 {
                self.failures[k] += 1;
                wl.failures[k] += 1;
            }
        }
        // The node's OS, as `report::pod_row` gives it (none when never bound).
        let os = p.node.map(|n| spec.pool(nodes[n.idx()].pool).os);
        match os {
            Some(Os::Linux) => self.bound[0] += 1,
            Some(Os::Windows) => self.bound[1] += 1,
            None => {}
        }
        let Some(ready) = p.ready else {
            return;
        };
        self.ready += 1;
        wl.ready += 1;
        let l = ready - p.created;
        self.startup[0].push(l);
        wl.startup.push(l);
        match os {
            Some(Os::Linux) => self.startup[1].push(l),
            Some(Os::Windows) => self.startup[2].push(l),
            None => {}
        }
        if let (Some(s), Some(pu), Some(st)) = (p.scheduled, p.pulled, p.started) {
            self.phases_ms[0].push(s - p.created);
            self.phases_ms[1].push(pu.saturating_sub(s));
            self.phases_ms[2].push(st.saturating_sub(pu));
            self.phases_ms[3].push(ready.saturating_sub(st));
        }
    }

    /// Adds every pod `other` counted.
    pub fn merge(&mut self, other: &PodTally) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.phases, &other.phases);
        self.ready += other.ready;
        add(&mut self.terminations, &other.terminations);
        add(&mut self.failures, &other.failures);
        self.unschedulable_then_bound += other.unschedulable_then_bound;
        for (a, b) in self.startup.iter_mut().zip(&other.startup) {
            a.merge(b);
        }
        for (a, b) in self.phases_ms.iter_mut().zip(&other.phases_ms) {
            a.merge(b);
        }
        self.grow_workloads(other.workloads.len());
        for (a, b) in self.workloads.iter_mut().zip(&other.workloads) {
            a.created += b.created;
            a.ready += b.ready;
            a.pending_at_end += b.pending_at_end;
            add(&mut a.failures, &b.failures);
            a.startup.merge(&b.startup);
        }
        add(&mut self.bound, &other.bound);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The values of a multiset, in order, expanded from its runs.
    fn expand(h: &mut Hist) -> Vec<u64> {
        let (runs, n) = h.sorted_runs();
        let v: Vec<u64> = runs
            .iter()
            .flat_map(|&(v, c)| std::iter::repeat_n(v, c as usize))
            .collect();
        assert_eq!(v.len() as u64, n);
        v
    }

    #[test]
    fn a_hist_of_one_value_keeps_room_for_one_run_not_sixteen() {
        // A run of 100k single-pod workloads holds 100k one-value histograms: merging one raw
        // value into no runs reserves min(1, 16) = 1 run (16 bytes), not 16 (256 bytes).
        let mut h = Hist::default();
        h.push(7);
        let (runs, n) = h.sorted_runs();
        assert_eq!((runs, n), (&[(7, 1)][..], 1));
        assert!(h.runs.capacity() < 16, "capacity {}", h.runs.capacity());
    }

    #[test]
    fn a_tally_holds_no_workload_until_a_tally_with_some_is_merged_into_it() {
        let mut empty = PodTally::default();
        assert!(empty.workloads.is_empty());
        let mut some = PodTally::default();
        some.grow_workloads(3);
        some.workloads[2].created = 5;
        empty.merge(&some);
        assert_eq!(empty.workloads.len(), 3);
        assert_eq!(empty.workloads[2].created, 5);
    }

    #[test]
    fn a_hist_holds_exactly_the_values_pushed_and_merged_in_any_order() {
        // 300,000 values over 5,000 distinct ones, pushed in random order into one Hist and
        // split between two that are merged: both expand to the plain sorted list.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let values: Vec<u64> = (0..300_000).map(|_| rng.random_range(0..5_000)).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        let mut one = Hist::default();
        values.iter().for_each(|&v| one.push(v));
        assert_eq!(expand(&mut one), sorted);
        let (mut a, mut b) = (Hist::default(), Hist::default());
        values[..123_457].iter().for_each(|&v| a.push(v));
        values[123_457..].iter().for_each(|&v| b.push(v));
        a.merge(&b);
        assert_eq!(expand(&mut a), sorted);
        // Compacted, it holds at most one run per distinct value: ≤ 5,000 entries.
        assert!(a.runs.len() <= 5_000 && a.raw.is_empty());
    }
}
