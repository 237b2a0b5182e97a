//! The human-readable run summary printed by `hybridsim run`.

use super::Summary;
use super::stats::Stats;
use std::fmt::Write;

fn f(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

fn stats_row(out: &mut String, label: &str, s: &Stats) {
    let _ = writeln!(
        out,
        "  {label:<10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
        s.count,
        f(s.mean),
        f(s.p50),
        f(s.p90),
        f(s.p99),
        f(s.max)
    );
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scenario {} (seed {}), {} s simulated",
        s.scenario, s.seed, s.duration_s
    );
    let p = &s.pods;
    let _ = writeln!(
        out,
        "pods: {} created, {} became Ready; at the end {} Ready, {} pending, {} running not \
         Ready; {} failed, {} rejected, {} deleted",
        p.created,
        p.ready,
        p.ready_at_end,
        p.pending_at_end,
        p.running_not_ready_at_end,
        p.failed,
        p.rejected,
        p.deleted
    );
    let failing: Vec<_> = s.failures.iter().filter(|(_, n)| **n > 0).collect();
    if failing.is_empty() {
        let _ = writeln!(out, "failures: none");
    } else {
        let _ = writeln!(out, "failures (pods affected / failed attempts):");
        for (r, n) in failing {
            let a = s.failure_attempts.get(r).copied().unwrap_or(0);
            let _ = writeln!(out, "  {r:<22} {n:>6} / {a}");
        }
        for (r, n) in &s.unschedulable_reasons {
            let _ = writeln!(out, "    unschedulable: {r} ({n} attempts)");
        }
    }
    // Only quotas that refused something: a planner sees which namespace limit held pods back.
    let refusing: Vec<_> = s
        .quota_refusals
        .iter()
        .filter(|(_, q)| q.refusals > 0)
        .collect();
    if !refusing.is_empty() {
        let _ = writeln!(out, "pod creations refused by ResourceQuota:");
        for (name, q) in refusing {
            let _ = writeln!(out, "  {name} {} ({})", q.refusals, q.last_message);
        }
    }
    let _ = writeln!(out, "startup latency, created -> Ready (s):");
    let _ = writeln!(
        out,
        "  {:<10} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "os", "count", "mean", "p50", "p90", "p99", "max"
    );
    for k in ["all", "linux", "windows"] {
        if let Some(st) = s.startup_latency_s.get(k) {
            stats_row(&mut out, k, st);
        }
    }
    let ph = &s.phases_s;
    let _ = writeln!(
        out,
        "phases, mean (p99) s: queue {} ({}), pull {} ({}), start {} ({}), ready {} ({})",
        f(ph.queue.mean),
        f(ph.queue.p99),
        f(ph.pull.mean),
        f(ph.pull.p99),
        f(ph.start.mean),
        f(ph.start.p99),
        f(ph.ready.mean),
        f(ph.ready.p99)
    );
    let _ = writeln!(
        out,
        "nodes (billed min-max, node-hours, cost, scale-ups/downs/failed):"
    );
    for (name, n) in &s.nodes {
        let _ = writeln!(
            out,
            "  {name:<16} {:<7} {:>3}-{:<3} {:>9.2} h {:>10.2}  {}/{}/{}  provisioning p50 {} s",
            n.os,
            n.min,
            n.max,
            n.node_hours,
            n.cost,
            n.scale_ups,
            n.scale_downs,
            n.failed_scale_ups,
            f(n.provisioning_s.p50)
        );
    }
    let _ = writeln!(out, "cost total {:.2}", s.cost.total);
    for (name, d) in s.demand.iter().take(MAX_ROWS) {
        let _ = writeln!(
            out,
            "  demand {name}: {:.1}% unserved ({:.0} of {:.0} load-seconds), peak unserved {:.1}, \
             replicas max {} end {}",
            d.unserved_fraction * 100.0,
            d.unserved,
            d.offered,
            d.max_unserved_rate,
            d.max_replicas_seen,
            d.replicas_at_end
        );
    }
    more(&mut out, s.demand.len());
    for (name, d) in s.disk.iter().take(MAX_ROWS) {
        let gb = |b: u64| b as f64 / 1e9;
        let _ = writeln!(
            out,
            "  disk {name}: {} images collected ({:.1} GB), {} GC failures, {} disk-full pulls, \
             {} evictions, {:.1} GB pulled ({:.1} GB re-pulled), peak {:.1} GB",
            d.images_collected,
            gb(d.bytes_collected),
            d.gc_failures,
            d.pulls_disk_full,
            d.evictions,
            gb(d.bytes_pulled),
            gb(d.bytes_repulled),
            gb(d.peak_disk_used)
        );
    }
    more(&mut out, s.disk.len());
    let _ = writeln!(out, "workloads:");
    for (name, w) in s.workloads.iter().take(MAX_ROWS) {
        let _ = writeln!(
            out,
            "  {name:<24} {:>4} created {:>4} ready {:>4} pending  p50 {:>7} p99 {:>7}",
            w.created,
            w.ready,
            w.pending_at_end,
            f(w.startup_latency_s.p50),
            f(w.startup_latency_s.p99)
        );
    }
    more(&mut out, s.workloads.len());
    if !s.rollouts.is_empty() {
        let _ = writeln!(out, "rollouts:");
        for r in s.rollouts.iter().take(MAX_ROWS) {
            let end = match (r.completed_s, r.duration_s) {
                (Some(c), Some(d)) => format!("complete at {c} s ({d} s)"),
                _ => "not complete".to_string(),
            };
            let _ = writeln!(
                out,
                "  {:<24} to {} from {} s, {end}",
                r.workload,
                r.images.join(", "),
                r.started_s
            );
        }
        more(&mut out, s.rollouts.len());
    }
    if !s.upgrades.is_empty() {
        let _ = writeln!(out, "pool upgrades:");
        for u in s.upgrades.iter().take(MAX_ROWS) {
            let end = match (&u.failed, u.completed_s, u.duration_s) {
                (Some(why), _, _) => format!("FAILED: {why}"),
                (None, Some(c), Some(d)) => format!("complete at {c} s ({d} s)"),
                _ => "not complete".to_string(),
            };
            let _ = writeln!(
                out,
                "  {} {} -> {} from {} s, {end}; {} nodes, {} pods evicted, {} refused (PDB), \
                 {} pods failed on the new build",
                u.pool,
                u.from_build,
                u.to_build,
                u.started_s,
                u.nodes_upgraded,
                u.pods_evicted,
                u.evictions_refused,
                u.pods_failed_on_new_build
            );
        }
        more(&mut out, s.upgrades.len());
    }
    out
}

/// Per-workload lines shown on the console; summary.json has them all.
const MAX_ROWS: usize = 12;

fn more(out: &mut String, n: usize) {
    if n > MAX_ROWS {
        let _ = writeln!(out, "  … and {} more (see summary.json)", n - MAX_ROWS);
    }
}
