//! Everything that leaves a run as text: `summary.json`, `pods.csv`, `timeseries.csv`, and the
//! console summary. The only module that writes files.
//!
//! Owns: output schemas (documented in docs/outputs.md) and writing them whole or not at all.
//! Does not own: the numbers (the simulation and `summary`).

pub mod console;
pub mod plots;
pub mod stats;
pub mod summary;

use crate::model::Spec;
use crate::model::cluster::PodPhase;
use crate::simulation::RunOutput;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
pub use summary::Summary;

/// Milliseconds as seconds with exactly three decimals: stable text on every machine.
pub fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn opt_secs(ms: Option<u64>) -> String {
    ms.map(secs).unwrap_or_default()
}

pub fn phase_name(p: PodPhase) -> &'static str {
    match p {
        PodPhase::Pending => "Pending",
        PodPhase::Starting => "Starting",
        PodPhase::Running => "Running",
        PodPhase::Ready => "Ready",
        PodPhase::Failed => "Failed",
        PodPhase::Rejected => "Rejected",
        PodPhase::Deleted => "Deleted",
    }
}

fn csv_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// `pods.csv`: one row per pod.
pub fn pods_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pod",
        "workload",
        "os",
        "node",
        "pool",
        "created_s",
        "scheduled_s",
        "pulled_s",
        "started_s",
        "ready_s",
        "ended_s",
        "outcome",
        "reason",
        "message",
        "scheduling_attempts",
    ])
    .map_err(csv_err)?;
    let cl = &out.cluster;
    for p in &cl.pods {
        let wl = &spec.workloads[p.workload.idx()];
        let (os, node, pool) = match p.node {
            Some(n) => {
                let pool = spec.pool(cl.node(n).pool);
                (pool.os.label(), cl.node_name(spec, n), pool.name.as_str())
            }
            None => ("", String::new(), ""),
        };
        w.write_record([
            format!("{}-{}", wl.name, p.ordinal).as_str(),
            wl.name.as_str(),
            os,
            node.as_str(),
            pool,
            secs(p.created).as_str(),
            opt_secs(p.scheduled).as_str(),
            opt_secs(p.pulled).as_str(),
            opt_secs(p.started).as_str(),
            opt_secs(p.ready).as_str(),
            opt_secs(p.ended).as_str(),
            phase_name(p.phase),
            p.reason.map(|r| r.as_str()).unwrap_or(""),
            p.message.map(|m| out.messages.get(m)).unwrap_or(""),
            p.sched_attempts.to_string().as_str(),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// `timeseries.csv`: one row per sample.
pub fn timeseries_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "time_s",
        "pending",
        "starting",
        "running",
        "ready",
        "failed",
        "pulls_in_flight",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in &spec.pools {
        header.push(format!("nodes_ready_{}", p.name));
    }
    for p in &spec.pools {
        header.push(format!("nodes_provisioning_{}", p.name));
    }
    for wl in spec.workloads.iter().filter(|w| w.hpa.is_some()) {
        for col in ["replicas", "ready", "load", "unserved"] {
            header.push(format!("{col}_{}", wl.name));
        }
    }
    w.write_record(&header).map_err(csv_err)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for s in &out.rec.samples {
        row.clear();
        row.push(secs(s.time_ms));
        for v in [
            s.pending,
            s.starting,
            s.running,
            s.ready,
            s.failed,
            s.pulls_in_flight,
        ] {
            row.push(v.to_string());
        }
        row.extend(s.nodes_ready.iter().map(|v| v.to_string()));
        row.extend(s.nodes_provisioning.iter().map(|v| v.to_string()));
        for h in &s.hpa {
            row.push(h.replicas.to_string());
            row.push(h.ready.to_string());
            row.push(format!("{:.3}", h.load));
            row.push(format!("{:.3}", h.unserved));
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// `scaling.csv`: one row per cluster-autoscaler action.
pub fn scaling_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "pool", "delta", "kind", "reason"])
        .map_err(csv_err)?;
    for e in &out.scaling {
        w.write_record([
            secs(e.time).as_str(),
            spec.pool(e.pool).name.as_str(),
            e.delta.to_string().as_str(),
            e.kind.as_str(),
            e.reason.as_str(),
        ])
        .map_err(csv_err)?;
    }
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

pub fn summary_json(summary: &Summary) -> io::Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(summary).map_err(io::Error::other)?;
    v.push(b'\n');
    Ok(v)
}

/// Writes `files` into `dir` whole or not at all: everything goes to a staging directory
/// inside `dir` first and is renamed into place only once every file is written.
pub fn write_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let staging: PathBuf = dir.join(format!(".hybridsim-staging-{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir_all(&staging)?;
        for (name, bytes) in files {
            let mut f = std::fs::File::create(staging.join(name))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        for (name, _) in files {
            std::fs::rename(staging.join(name), dir.join(name))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// All files of one run.
pub fn run_files(
    spec: &Spec,
    out: &RunOutput,
    summary: &Summary,
) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    Ok(vec![
        ("summary.json", summary_json(summary)?),
        ("pods.csv", pods_csv(spec, out)?),
        ("timeseries.csv", timeseries_csv(spec, out)?),
        ("scaling.csv", scaling_csv(spec, out)?),
    ])
}
