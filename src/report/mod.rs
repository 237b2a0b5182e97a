//! Everything that leaves a run as text or pictures: `summary.json`, `pods.csv`,
//! `timeseries.csv`, `scaling.csv`, the plots, and the console summary. The only module that
//! writes files.
//!
//! Owns: output schemas (typed rows in `rows`, documented in docs/outputs.md), the run's rows
//! built from its `RunOutput`, and writing files whole or not at all. Does not own: the numbers
//! (the simulation and `summary`), the compare/sweep tables (`experiment::table`, which builds
//! its rows with the types here).

pub mod console;
pub mod plots;
pub mod rows;
pub mod stats;
pub mod summary;

use crate::metrics::tally::PodTally;
use crate::model::Spec;
use crate::model::cluster::{Cluster, Pod, PodPhase};
use crate::model::messages::Messages;
use crate::simulation::RunOutput;
pub use rows::{
    CompareRow, CompareTable, Fixed3, Fixed6, HpaCells, Metric, PodRow, ScalingRow, Secs,
    StartupCdf, StartupCdfRow, Timeseries, TimeseriesRow,
};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
pub use summary::{SloLine, Summary};

/// Milliseconds as seconds with exactly three decimals: stable text on every machine.
pub fn secs(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
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
        PodPhase::Terminating => "Terminating",
        PodPhase::Succeeded => "Succeeded",
    }
}

/// The rows of `pods.csv`: one per pod held at the end, in creation order.
pub fn pod_rows(spec: &Spec, out: &RunOutput) -> Vec<PodRow> {
    out.cluster
        .pods
        .iter()
        .map(|p| pod_row(spec, &out.cluster, &out.messages, p))
        .collect()
}

/// The `pods.csv` row of one pod.
pub fn pod_row(spec: &Spec, cl: &Cluster, messages: &Messages, p: &Pod) -> PodRow {
    let wl = &spec.workloads[p.workload.idx()];
    let (os, node, pool) = match p.node {
        Some(n) => {
            let pool = spec.pool(cl.node(n).pool);
            (pool.os.label(), cl.node_name(spec, n), pool.name.as_str())
        }
        None => ("", String::new(), ""),
    };
    PodRow {
        // A bare Pod keeps its own name; controller-made pods are `WORKLOAD-N`.
        pod: if wl.kind == crate::model::WorkloadKind::Pod {
            wl.name.clone()
        } else {
            format!("{}-{}", wl.name, p.ordinal)
        },
        workload: wl.name.clone(),
        os: os.to_string(),
        node,
        pool: pool.to_string(),
        created_s: Secs(p.created),
        scheduled_s: p.scheduled.map(Secs),
        pulled_s: p.pulled.map(Secs),
        started_s: p.started.map(Secs),
        ready_s: p.ready.map(Secs),
        ended_s: p.ended.map(Secs),
        outcome: phase_name(p.phase).to_string(),
        // A graceful deletion (eviction, preemption) is why the pod ended, and says more than
        // the last start-path failure it may have hit before.
        reason: match p.termination {
            Some((t, _)) => t.as_str(),
            None => p.reason.map(|r| r.as_str()).unwrap_or(""),
        }
        .to_string(),
        message: p
            .termination
            .map(|(_, m)| m)
            .or(p.message)
            .map(|m| messages.get(m))
            .unwrap_or("")
            .to_string(),
        scheduling_attempts: p.sched_attempts as u64,
    }
}

/// The `pods.csv` rows of pods the run gave back before its end
/// (`simulation::Simulation::on_retire`), kept in an unnamed temporary file until `pods.csv`
/// is written, so a run of millions of pods holds none of their rows in memory. Each page of
/// pods is one block of rows; pages are ranges of ids, so the file is put together in id order
/// by interleaving blocks with the rows of the pods still held (`write_pods_csv`).
pub struct PodRowSpill {
    file: std::fs::File,
    /// (first pod id, byte offset, byte length) of each block, in the order written.
    blocks: Vec<(usize, u64, u64)>,
    end: u64,
    /// The first write error; the rows are then incomplete and `write_pods_csv` fails with it.
    error: Option<io::Error>,
}

impl PodRowSpill {
    /// A spill in the system's temporary directory. On Unix the file is unlinked at once: it
    /// lives as long as this handle, and nothing is left behind if the process is killed.
    pub fn new() -> io::Result<PodRowSpill> {
        let path = std::env::temp_dir().join(staging_name(std::process::id()) + ".pods");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        #[cfg(unix)]
        std::fs::remove_file(&path)?;
        Ok(PodRowSpill {
            file,
            blocks: Vec::new(),
            end: 0,
            error: None,
        })
    }

    /// Keeps the rows of `pods`, whose first id is `first`.
    pub fn add(
        &mut self,
        spec: &Spec,
        cl: &Cluster,
        messages: &Messages,
        first: usize,
        pods: &[Pod],
    ) {
        if self.error.is_some() {
            return;
        }
        let rows = (|| {
            let mut w = rows::writer();
            for p in pods {
                w.serialize(pod_row(spec, cl, messages, p))
                    .map_err(io::Error::other)?;
            }
            rows::finish(w)
        })();
        let written = rows.and_then(|bytes| {
            self.file.write_all(&bytes)?;
            Ok(bytes.len() as u64)
        });
        match written {
            Ok(n) => {
                self.blocks.push((first, self.end, n));
                self.end += n;
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// Streams `pods.csv` to `w`: the header, then one row per pod in id order, the rows of
/// retired pods copied from `spill` and those of the pods held formatted now. Byte for byte
/// the file `PodRow::write(&pod_rows(..))` gives when nothing was retired.
pub fn write_pods_csv(
    w: &mut dyn Write,
    spec: &Spec,
    out: &RunOutput,
    spill: Option<&mut PodRowSpill>,
) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    w.write_all(&PodRow::write(&[])?)?;
    let mut blocks: Vec<(usize, u64, u64)> = Vec::new();
    let mut file = None;
    if let Some(s) = spill {
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        blocks = std::mem::take(&mut s.blocks);
        blocks.sort_unstable();
        file = Some(&mut s.file);
    }
    // Copies one block of spilled rows to `w`.
    fn copy(
        f: &mut std::fs::File,
        w: &mut dyn Write,
        (_, at, len): (usize, u64, u64),
    ) -> io::Result<()> {
        f.seek(SeekFrom::Start(at))?;
        if io::copy(&mut f.take(len), w)? != len {
            return Err(io::Error::other("the spilled pod rows were cut short"));
        }
        Ok(())
    }
    // Writes the rows formatted so far and starts a new buffer.
    fn drain(rows: &mut csv::Writer<Vec<u8>>, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(&rows::finish(std::mem::replace(rows, rows::writer()))?)
    }
    let mut next = blocks.into_iter().peekable();
    let mut rows = rows::writer();
    for (id, p) in out.cluster.pods.iter_ids() {
        if next.peek().is_some_and(|b| b.0 < id) {
            drain(&mut rows, w)?;
            while let Some(b) = next.next_if(|b| b.0 < id) {
                copy(file.as_mut().expect("blocks come from the spill"), w, b)?;
            }
        }
        rows.serialize(pod_row(spec, &out.cluster, &out.messages, p))
            .map_err(io::Error::other)?;
        if rows.get_ref().len() >= 1 << 20 {
            drain(&mut rows, w)?;
        }
    }
    drain(&mut rows, w)?;
    for b in next {
        copy(file.as_mut().expect("blocks come from the spill"), w, b)?;
    }
    Ok(())
}

/// `timeseries.csv` of a run: one row per sample.
pub fn timeseries(spec: &Spec, out: &RunOutput) -> Timeseries {
    // The pods_build columns oldest version first, whatever order the run met them in; a
    // sample taken before a version appeared has 0 there.
    let mut build_order: Vec<usize> = (0..out.rec.builds.len()).collect();
    build_order.sort_by_key(|&i| out.rec.builds[i]);
    Timeseries {
        pools: spec.pools.iter().map(|p| p.name.clone()).collect(),
        hpa_workloads: spec
            .workloads
            .iter()
            .filter(|w| w.hpa.is_some())
            .map(|w| w.name.clone())
            .collect(),
        disk: out.disk.iter().any(Option::is_some),
        lifecycle: crate::simulation::has_lifecycle_actions(spec),
        builds: build_order
            .iter()
            .map(|&i| out.rec.builds[i].to_string())
            .collect(),
        rows: out
            .rec
            .samples
            .iter()
            .map(|s| TimeseriesRow {
                time_s: Secs(s.time_ms),
                pending: s.pending,
                starting: s.starting,
                running: s.running,
                ready: s.ready,
                failed: s.failed,
                pulls_in_flight: s.pulls_in_flight,
                nodes_ready: s.nodes_ready.clone(),
                nodes_provisioning: s.nodes_provisioning.clone(),
                disk_used: s.disk_used.clone(),
                nodes_cordoned: s.nodes_cordoned.clone(),
                nodes_not_ready: s.nodes_not_ready.clone(),
                hpa: s
                    .hpa
                    .iter()
                    .map(|h| HpaCells {
                        replicas: h.replicas,
                        ready: h.ready,
                        load: Fixed3::new(h.load),
                        unserved: Fixed3::new(h.unserved),
                    })
                    .collect(),
                pods_build: build_order
                    .iter()
                    .map(|&i| s.pods_build.get(i).copied().unwrap_or(0))
                    .collect(),
            })
            .collect(),
    }
}

/// The rows of `scaling.csv`: one per cluster-autoscaler action, in time order.
pub fn scaling_rows(spec: &Spec, out: &RunOutput) -> Vec<ScalingRow> {
    out.scaling
        .iter()
        .map(|e| ScalingRow {
            time_s: Secs(e.time),
            pool: spec.pool(e.pool).name.clone(),
            delta: e.delta,
            kind: e.kind.as_str().to_string(),
            reason: e.reason.clone(),
        })
        .collect()
}

/// `pods.csv`: one row per pod.
pub fn pods_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    PodRow::write(&pod_rows(spec, out))
}

/// `timeseries.csv`: one row per sample.
pub fn timeseries_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    timeseries(spec, out).write()
}

/// `scaling.csv`: one row per cluster-autoscaler action.
pub fn scaling_csv(spec: &Spec, out: &RunOutput) -> io::Result<Vec<u8>> {
    ScalingRow::write(&scaling_rows(spec, out))
}

pub fn summary_json(summary: &Summary) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    write_summary_json(&mut v, summary)?;
    Ok(v)
}

/// `summary_fnv64` of `bench`: FNV-1a 64 of the bytes `summary_json` gives, as 16 hex digits,
/// hashed as they are written rather than held.
pub fn summary_fnv64(summary: &Summary) -> io::Result<String> {
    let mut h = crate::engine::hash::Fnv1a64::default();
    write_summary_json(&mut h, summary)?;
    Ok(crate::engine::hash::hex(h.finish()))
}

/// summary.json's bytes: pretty JSON and a final newline.
fn write_summary_json(w: &mut impl io::Write, summary: &Summary) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, summary).map_err(io::Error::other)?;
    w.write_all(b"\n")
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
    write_atomically_as(dir, files, None, std::process::id())
}

/// A file written by a function rather than from bytes in memory (a `pods.csv` of millions of
/// rows): its name and the writer.
pub type Streamed<'a> = (&'a str, &'a mut dyn FnMut(&mut dyn Write) -> io::Result<()>);

/// `write_atomically` with one more file, `streamed`, written through a buffer straight into
/// the staging directory, under the same whole-or-nothing rule.
pub fn write_atomically_streaming(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    streamed: Streamed,
) -> io::Result<()> {
    write_atomically_as(dir, files, Some(streamed), std::process::id())
}

fn write_atomically_as(
    dir: &Path,
    files: &[(&str, Vec<u8>)],
    mut streamed: Option<Streamed>,
    pid: u32,
) -> io::Result<()> {
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
        if let Some((file, write)) = &mut streamed {
            let mut f = io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(staging.join(&**file))?,
            );
            write(&mut f)?;
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        let names = files
            .iter()
            .map(|f| f.0)
            .chain(streamed.as_ref().map(|s| s.0));
        for file in names {
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

/// The files of one run but `pods.csv`, which the caller streams (`write_pods_csv`), in the
/// order they are listed: `summary.json`, `timeseries.csv`, `scaling.csv`, and with `plots`
/// the four plot files when given the run's tally (`Summary::tally`): the timeline drawn from
/// the time series, the startup CDF from every pod's latency in the tally (`plots::RunCdf`),
/// retired pods included, so plotting keeps no pod. An error says which step failed ("cannot
/// render outputs", "cannot draw plots").
pub fn run_files_but_pods(
    spec: &Spec,
    out: &RunOutput,
    summary: &Summary,
    plots: Option<PodTally>,
) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    let render = |e: io::Error| io::Error::new(e.kind(), format!("cannot render outputs: {e}"));
    let ts = timeseries(spec, out);
    let mut files = vec![
        ("summary.json", summary_json(summary).map_err(render)?),
        (Timeseries::FILE, ts.write().map_err(render)?),
        (
            ScalingRow::FILE,
            ScalingRow::write(&scaling_rows(spec, out)).map_err(render)?,
        ),
    ];
    if let Some(tally) = plots {
        let startup = plots::RunCdf::of_tally(tally);
        let p = plots::run_plots(summary, startup, &ts)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot draw plots: {e}")))?;
        files.extend(p);
    }
    Ok(files)
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
                    write_atomically_as(&dir, &[(name.as_str(), bytes.clone())], None, 1)
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
