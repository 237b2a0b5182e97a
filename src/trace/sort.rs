//! Sorting pods by arrival with bounded memory: sorted runs of at most `chunk` pods are spilled
//! to temporary trace files, then merged. The sort is stable (pods with equal arrivals keep
//! their input order), so a conversion is deterministic.
//!
//! Converters need it because the public traces are not in arrival order: Alibaba's
//! `batch_task` is not sorted by `start_time`, and a Google instance is only known to be a pod
//! once its FINISH event is read, long after its SUBMIT.

use super::read::Column;
use super::{TraceError, TracePod, TraceReader, TraceWriter};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Pods held in memory before a sorted run is spilled (about 150 MB of pods).
pub const DEFAULT_CHUNK: usize = 1_000_000;

pub struct Sorter {
    chunk: usize,
    buf: Vec<TracePod>,
    dir: PathBuf,
    runs: Vec<PathBuf>,
    pushed: u64,
}

/// What `Sorter::finish` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sorted {
    pub pods: u64,
    /// The earliest arrival, subtracted from every arrival when rebasing.
    pub first_arrival_ms: u64,
    /// Sorted runs spilled to disk (0: everything fit in memory).
    pub runs: usize,
}

impl Sorter {
    /// `dir` receives the spilled runs (created on the first spill, removed by `finish` or on
    /// drop).
    pub fn new(dir: PathBuf, chunk: usize) -> Self {
        Sorter {
            chunk: chunk.max(1),
            buf: Vec::new(),
            dir,
            runs: Vec::new(),
            pushed: 0,
        }
    }

    pub fn push(&mut self, pod: TracePod) -> io::Result<()> {
        self.buf.push(pod);
        self.pushed += 1;
        if self.buf.len() >= self.chunk {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("run-{}.csv", self.runs.len()));
        self.buf.sort_by_key(|p| p.arrival_ms);
        let mut w = TraceWriter::new(BufWriter::new(File::create(&path)?), &Column::ALL)?;
        for p in self.buf.drain(..) {
            w.write(&p)?;
        }
        w.finish()?.flush()?;
        self.runs.push(path);
        Ok(())
    }

    /// Writes every pod in arrival order; with `rebase`, arrivals are shifted so that the first
    /// is 0.
    pub fn finish<W: Write>(
        mut self,
        out: &mut TraceWriter<W>,
        rebase: bool,
    ) -> Result<Sorted, TraceError> {
        let io_err =
            |e: io::Error| TraceError::new(&self.dir.display().to_string(), 0, None, e.to_string());
        let mut buf = std::mem::take(&mut self.buf);
        buf.sort_by_key(|p| p.arrival_ms);
        if self.runs.is_empty() {
            let first = if rebase {
                buf.first().map_or(0, |p| p.arrival_ms)
            } else {
                0
            };
            for mut p in buf {
                p.arrival_ms -= first;
                out.write(&p).map_err(io_err)?;
            }
            return Ok(Sorted {
                pods: self.pushed,
                first_arrival_ms: first,
                runs: 0,
            });
        }
        // The in-memory remainder is the last run; merging reads it from memory.
        let mut readers = Vec::new();
        for path in &self.runs {
            let f = File::open(path).map_err(io_err)?;
            readers.push(TraceReader::new(
                BufReader::new(f),
                &path.display().to_string(),
            )?);
        }
        let mut tail = buf.into_iter();
        let mut heads: Vec<Option<TracePod>> = Vec::new();
        for r in &mut readers {
            heads.push(r.next().transpose()?);
        }
        heads.push(tail.next());
        let last = heads.len() - 1;
        // Ties go to the lower run index, which holds earlier input: the merge is stable.
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|p| Reverse((p.arrival_ms, i))))
            .collect();
        let first = match (rebase, heap.peek()) {
            (true, Some(Reverse((a, _)))) => *a,
            _ => 0,
        };
        while let Some(Reverse((_, i))) = heap.pop() {
            let mut p = heads[i].take().expect("a head in the heap is present");
            p.arrival_ms -= first;
            out.write(&p).map_err(io_err)?;
            let next = if i == last {
                tail.next()
            } else {
                readers[i].next().transpose()?
            };
            if let Some(n) = next {
                heap.push(Reverse((n.arrival_ms, i)));
                heads[i] = Some(n);
            }
        }
        Ok(Sorted {
            pods: self.pushed,
            first_arrival_ms: first,
            runs: self.runs.len(),
        })
    }
}

impl Drop for Sorter {
    fn drop(&mut self) {
        if !self.runs.is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The directory for spilled runs next to `output`.
pub fn spill_dir(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "trace".into(), |n| n.to_string_lossy().into_owned());
    output.with_file_name(format!(".{name}.sort-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(arrival_ms: u64, name: &str) -> TracePod {
        TracePod {
            arrival_ms,
            name: name.into(),
            ..TracePod::default()
        }
    }

    fn sorted_names(chunk: usize, rebase: bool) -> (Vec<(u64, String)>, Sorted) {
        let dir = std::env::temp_dir().join(format!(
            "hybridsim-sort-{}-{chunk}-{rebase}",
            std::process::id()
        ));
        let mut s = Sorter::new(dir.clone(), chunk);
        // Input order a..g; equal arrivals (b, d, f at 5000 ms) must keep that order.
        for (t, n) in [
            (7000, "a"),
            (5000, "b"),
            (9000, "c"),
            (5000, "d"),
            (3000, "e"),
            (5000, "f"),
            (8000, "g"),
        ] {
            s.push(pod(t, n)).unwrap();
        }
        let mut w = TraceWriter::new(Vec::new(), &[Column::Name]).unwrap();
        let r = s.finish(&mut w, rebase).unwrap();
        assert!(!dir.exists(), "spilled runs are removed");
        let bytes = w.finish().unwrap();
        let pods = TraceReader::new(&bytes[..], "mem")
            .unwrap()
            .map(|p| p.map(|p| (p.arrival_ms, p.name)))
            .collect::<Result<_, _>>()
            .unwrap();
        (pods, r)
    }

    #[test]
    fn merging_spilled_runs_gives_the_same_stable_order_as_sorting_in_memory() {
        // Stable sort by arrival of the input above: e(3000) b d f(5000) a(7000) g(8000) c(9000).
        let expected: Vec<(u64, String)> = [
            (3000, "e"),
            (5000, "b"),
            (5000, "d"),
            (5000, "f"),
            (7000, "a"),
            (8000, "g"),
            (9000, "c"),
        ]
        .into_iter()
        .map(|(t, n)| (t, n.to_string()))
        .collect();
        let (mem, r) = sorted_names(100, false);
        assert_eq!((mem.clone(), r.runs), (expected.clone(), 0));
        // Chunks of 2: runs {a,b} {c,d} {e,f} spilled, {g} in memory.
        let (spilled, r) = sorted_names(2, false);
        assert_eq!((spilled, r.runs), (expected, 3));
    }

    #[test]
    fn rebasing_moves_the_first_arrival_to_zero() {
        // First arrival 3000 ms: every arrival drops by 3 s, c ends at 6000 ms.
        let (pods, r) = sorted_names(2, true);
        assert_eq!(r.first_arrival_ms, 3000);
        assert_eq!(pods.first().unwrap(), &(0, "e".to_string()));
        assert_eq!(pods.last().unwrap(), &(6000, "c".to_string()));
    }
}
