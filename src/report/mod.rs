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

/// Name prefix of the staging directories `write_atomically` creates inside the output
/// directory (also recognised when left behind by a killed process).
pub const STAGING_PREFIX: &str = ".hybridsim-staging-";

/// A staging directory not modified for this long belongs to a writer that died (kill -9, power
/// loss): a live writer creates its staging directory and fills it in one go, after every byte
/// has been rendered in memory, so its directory's mtime is at most seconds old.
pub const STALE_STAGING_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// A staging name no other writer uses, even one in another PID namespace with the same pid
/// (the pods of an Indexed Job each run as PID 1 and may share one `--out` volume): the pid,
/// the time in nanoseconds, a per-process counter and 64 random bits from the OS. The random
/// bits never reach an output, so determinism is untouched.
fn staging_name(pid: u32) -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let random: u64 = rand::random();
    format!("{STAGING_PREFIX}{pid}-{nanos}-{n}-{random:016x}")
}

/// Removes staging directories in `dir` left by writers that died: only entries named
/// `STAGING_PREFIX*` that are real directories (not symlinks), are not `ours`, and were last
/// modified more than `STALE_STAGING_AFTER` ago. Best effort: a directory another process
/// removes first, or one that cannot be read, is left to the next write.
fn remove_stale_staging(dir: &Path, ours: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(STAGING_PREFIX) || name == ours {
            continue;
        }
        // symlink_metadata: a symlink named like a staging directory is never followed.
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age > STALE_STAGING_AFTER);
        if meta.is_dir() && old {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Creates `dir` and its missing parents; returns the directories it created, outermost first,
/// so that a failed write can remove them again.
fn create_dirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut missing = Vec::new();
    let mut p = Some(dir);
    while let Some(d) = p {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d.to_path_buf());
        p = d.parent();
    }
    missing.reverse();
    std::fs::create_dir_all(dir)?;
    Ok(missing)
}

/// Flushes a directory's entries (creations, renames) to disk. Unix only: elsewhere a
/// directory cannot be opened as a file, and renames are made durable by the file system.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `files` into `dir` whole or not at all: everything goes to a staging directory
/// inside `dir` first (a name unique across processes and hosts, see `staging_name`) and is
/// renamed into place only once every file is written and flushed; then the directory itself
/// is flushed, so the renames survive a crash. Stale staging directories of killed writers are
/// removed on the way. If the write fails, the staging directory and any directory this call
/// created (`dir` and its missing parents) are removed, so a failure leaves no empty `--out`.
pub fn write_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> io::Result<()> {
    write_atomically_as(dir, files, std::process::id())
}

fn write_atomically_as(dir: &Path, files: &[(&str, Vec<u8>)], pid: u32) -> io::Result<()> {
    let created = create_dirs(dir)?;
    let name = staging_name(pid);
    let staging = dir.join(&name);
    let result = (|| {
        remove_stale_staging(dir, &name);
        std::fs::create_dir(&staging)?;
        for (file, bytes) in files {
            let mut f = std::fs::File::create(staging.join(file))?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        for (file, _) in files {
            std::fs::rename(staging.join(file), dir.join(file))?;
        }
        sync_dir(dir)?;
        // A directory this call created must itself be recorded in its parent.
        if let Some(parent) = created.first().and_then(|d| d.parent())
            && !parent.as_os_str().is_empty()
        {
            sync_dir(parent)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    if result.is_err() {
        // Innermost first; remove_dir only removes empty directories, so nothing another
        // writer put there meanwhile is lost.
        for d in created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("hybridsim-report-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn staging_dirs(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n.starts_with(STAGING_PREFIX))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn two_writers_with_the_same_pid_into_one_directory_never_collide() {
        // Two shards of an Indexed Job, each PID 1 in its own PID namespace, writing into one
        // shared --out. Before the staging name carried more than the pid, one writer's cleanup
        // removed the other's staging directory mid-write and its rename failed (3 of 20
        // trials in the fuzzing report). Each writer writes its own file 200 times; every write
        // must succeed and leave its file whole.
        let dir = scratch("concurrent");
        std::fs::create_dir_all(&dir).unwrap();
        let writer = |k: u8| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let name = format!("shard-{k}.json");
                for i in 0..200u32 {
                    let bytes = vec![k; 4096 + i as usize];
                    write_atomically_as(&dir, &[(name.as_str(), bytes.clone())], 1)
                        .unwrap_or_else(|e| panic!("writer {k}, write {i}: {e}"));
                    assert_eq!(std::fs::read(dir.join(&name)).unwrap(), bytes);
                }
            })
        };
        let (a, b) = (writer(0), writer(1));
        a.join().unwrap();
        b.join().unwrap();
        // Both files whole (the last write of each: 4096 + 199 bytes), no staging left.
        for k in [0u8, 1] {
            assert_eq!(
                std::fs::read(dir.join(format!("shard-{k}.json"))).unwrap(),
                vec![k; 4096 + 199]
            );
        }
        assert_eq!(staging_dirs(&dir), Vec::<String>::new());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn staging_names_with_the_same_pid_differ() {
        // Same pid, same process: the counter and the random bits still make them unique.
        let a = staging_name(1);
        let b = staging_name(1);
        assert_ne!(a, b);
        assert!(a.starts_with(".hybridsim-staging-1-"), "{a}");
    }

    #[test]
    fn a_stale_staging_directory_is_removed_and_a_fresh_one_is_kept() {
        // A kill -9 left a staging directory with a truncated file two hours ago (older than
        // STALE_STAGING_AFTER = 1 h): the next write removes it. A staging directory modified
        // a minute ago may belong to a live writer on another host: it stays. So do files and
        // symlinks that merely carry the prefix.
        let dir = scratch("stale");
        let stale = dir.join(format!("{STAGING_PREFIX}7-1-0-00"));
        let fresh = dir.join(format!("{STAGING_PREFIX}8-1-0-00"));
        for d in [&stale, &fresh] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("pods.csv"), b"pod,workl").unwrap();
        }
        let set_age = |p: &Path, age: Duration| {
            std::fs::File::open(p)
                .unwrap()
                .set_modified(SystemTime::now() - age)
                .unwrap();
        };
        set_age(&stale, Duration::from_secs(2 * 3600));
        set_age(&fresh, Duration::from_secs(60));
        let file = dir.join(format!("{STAGING_PREFIX}file"));
        std::fs::write(&file, b"x").unwrap();
        set_age(&file, Duration::from_secs(2 * 3600));
        write_atomically(&dir, &[("a.txt", b"a".to_vec())]).unwrap();
        assert!(
            !stale.exists(),
            "the stale staging directory is still there"
        );
        assert!(
            fresh.join("pods.csv").exists(),
            "a fresh staging directory was removed"
        );
        assert!(file.exists(), "a plain file with the prefix was removed");
        assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"a");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_leaves_no_directory_it_created() {
        // `new/out` does not exist; the write fails (a file name in a subdirectory the staging
        // directory does not have). Neither `new/out` nor `new` may remain, while the existing
        // parent is untouched.
        let parent = scratch("failed");
        std::fs::create_dir_all(&parent).unwrap();
        let out = parent.join("new").join("out");
        let e = write_atomically(
            &out,
            &[("a.txt", b"a".to_vec()), ("sub/b.txt", b"b".to_vec())],
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
        assert!(
            !parent.join("new").exists(),
            "the write left {}",
            out.display()
        );
        assert!(parent.is_dir());
        // A failed write into an existing directory keeps it and what it held.
        std::fs::write(parent.join("keep.txt"), b"k").unwrap();
        write_atomically(&parent, &[("sub/b.txt", b"b".to_vec())]).unwrap_err();
        assert_eq!(std::fs::read(parent.join("keep.txt")).unwrap(), b"k");
        assert_eq!(staging_dirs(&parent), Vec::<String>::new());
        let _ = std::fs::remove_dir_all(&parent);
    }
}
