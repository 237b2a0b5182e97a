//! `hybridsim trace generate`: the peers' benchmark workload (issue 15) as a trace, the same
//! bytes for the same seed on every machine.
//!
//! P pods of the same requests arrive at independent uniform times over the span (whole
//! milliseconds in [0, span)) and each runs an independent uniform duration in [min, max] ms.
//! Rows are written in arrival order without holding P arrivals in memory: a first pass counts
//! arrivals per second of the span, then each second's arrivals are drawn within that second
//! and sorted. Memory is one counter per second of the span (14 KB for an hour), whatever P.
//!
//! Three ChaCha8 streams of the seed (`set_stream` 0, 1, 2) keep the parts independent:
//! arrival seconds, offsets within a second, durations. Only integer draws
//! (`random_range`), so no floating point reaches the output.

use super::read::Column;
use super::{TraceOs, TracePod, TraceWriter};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    pub pods: u64,
    pub seed: u64,
    pub span_ms: u64,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub min_duration_ms: u64,
    pub max_duration_ms: u64,
}

impl GenerateOptions {
    /// The peers' workload: 0.5 CPU / 1 GiB pods over 1 h, each running U[300 s, 1800 s].
    pub fn peers(pods: u64, seed: u64) -> Self {
        GenerateOptions {
            pods,
            seed,
            span_ms: 3_600_000,
            cpu_millis: 500,
            memory_bytes: 1 << 30,
            min_duration_ms: 300_000,
            max_duration_ms: 1_800_000,
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.span_ms == 0 {
            return Err("the span must be longer than 0".into());
        }
        if self.min_duration_ms > self.max_duration_ms {
            return Err(format!(
                "--min-duration ({} ms) is above --max-duration ({} ms)",
                self.min_duration_ms, self.max_duration_ms
            ));
        }
        // One u32 counter per second: keep the table under 400 MB.
        if self.span_ms / 1000 >= 100_000_000 {
            return Err("the span must be shorter than 10^8 s (about 3 years)".into());
        }
        Ok(())
    }
}

fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(id);
    r
}

/// Writes the workload; returns the number of pods written.
pub fn generate<W: Write>(o: &GenerateOptions, out: &mut TraceWriter<W>) -> io::Result<u64> {
    o.check()
        .map_err(|m| io::Error::new(io::ErrorKind::InvalidInput, m))?;
    let seconds = o.span_ms.div_ceil(1000) as usize;
    let mut per_second = vec![0u32; seconds];
    let mut arrivals = stream(o.seed, 0);
    for _ in 0..o.pods {
        let t = arrivals.random_range(0..o.span_ms);
        per_second[(t / 1000) as usize] += 1;
    }
    let mut offsets = stream(o.seed, 1);
    let mut durations = stream(o.seed, 2);
    let mut within: Vec<u64> = Vec::new();
    let mut pod = TracePod {
        cpu_millis: o.cpu_millis,
        memory_bytes: o.memory_bytes,
        os: Some(TraceOs::Linux),
        ..TracePod::default()
    };
    let mut i = 0u64;
    for (s, &n) in per_second.iter().enumerate() {
        let start = s as u64 * 1000;
        // The last second may be partial when the span is not whole seconds.
        let end = (start + 1000).min(o.span_ms);
        within.clear();
        within.extend((0..n).map(|_| offsets.random_range(start..end)));
        within.sort_unstable();
        for &t in &within {
            pod.arrival_ms = t;
            pod.duration_ms = durations.random_range(o.min_duration_ms..=o.max_duration_ms);
            pod.name.clear();
            use std::fmt::Write as _;
            let _ = write!(pod.name, "pod-{i}");
            out.write(&pod)?;
            i += 1;
        }
    }
    Ok(i)
}

/// The optional columns `generate` writes.
pub const COLUMNS: [Column; 2] = [Column::Os, Column::Name];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TraceReader;

    fn run(o: &GenerateOptions) -> Vec<u8> {
        let mut w = TraceWriter::new(Vec::new(), &COLUMNS).unwrap();
        assert_eq!(generate(o, &mut w).unwrap(), o.pods);
        w.finish().unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
        let a = run(&GenerateOptions::peers(1000, 7));
        assert_eq!(a, run(&GenerateOptions::peers(1000, 7)));
        assert_ne!(a, run(&GenerateOptions::peers(1000, 8)));
    }

    #[test]
    fn the_peers_workload_has_the_documented_distributions() {
        let n = 100_000;
        let bytes = run(&GenerateOptions::peers(n, 1));
        let pods: Vec<TracePod> = TraceReader::new(&bytes[..], "gen")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(pods.len() as u64, n);
        assert!(
            pods.iter()
                .all(|p| p.cpu_millis == 500 && p.memory_bytes == 1 << 30)
        );
        assert!(pods.iter().all(|p| p.arrival_ms < 3_600_000));
        assert!(
            pods.iter()
                .all(|p| (300_000..=1_800_000).contains(&p.duration_ms))
        );
        // U[300 s, 1800 s]: mean 1050 s, sd 1500/√12 ≈ 433 s; over 10^5 pods the mean's sd is
        // ≈ 1.37 s, so ±10 s is over 7 sd. Arrivals U[0, 3600 s): mean 1800 s, sd of the mean
        // 1039/316 ≈ 3.3 s; ±20 s is over 6 sd.
        let mean =
            |f: fn(&TracePod) -> u64| pods.iter().map(f).sum::<u64>() as f64 / n as f64 / 1000.0;
        let d = mean(|p| p.duration_ms);
        let a = mean(|p| p.arrival_ms);
        assert!((d - 1050.0).abs() < 10.0, "mean duration {d}");
        assert!((a - 1800.0).abs() < 20.0, "mean arrival {a}");
        // Each 10-minute block expects n/6 ≈ 16,667 arrivals, sd √(n·(1/6)(5/6)) ≈ 118; ±1000
        // is over 8 sd.
        for block in 0..6 {
            let c = pods
                .iter()
                .filter(|p| p.arrival_ms / 600_000 == block)
                .count() as f64;
            assert!((c - n as f64 / 6.0).abs() < 1000.0, "block {block}: {c}");
        }
    }

    #[test]
    fn a_span_that_is_not_whole_seconds_keeps_arrivals_inside_it() {
        let o = GenerateOptions {
            span_ms: 1500,
            ..GenerateOptions::peers(2000, 3)
        };
        let bytes = run(&o);
        let pods: Vec<TracePod> = TraceReader::new(&bytes[..], "gen")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(pods.iter().all(|p| p.arrival_ms < 1500));
        // The partial second [1000, 1500) holds a third of the span: about 667 of 2000.
        let late = pods.iter().filter(|p| p.arrival_ms >= 1000).count();
        assert!((500..850).contains(&late), "{late}");
    }
}
