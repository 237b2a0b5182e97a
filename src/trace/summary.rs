//! `hybridsim trace summarize`: counts, arrival span and request/duration percentiles of a
//! trace, in one pass with fixed memory.
//!
//! Percentiles come from a log-linear histogram (exact below 2048, then 1024 buckets per power
//! of two), so memory does not grow with the file. Each bucket remembers the smallest value it
//! received, and a percentile is reported as that value for the bucket holding the nearest-rank
//! value: a value of the trace, at most 0.1 % below the exact percentile, and exact whenever the
//! bucket holds one distinct value (typical of traces with a few request sizes). Minimum and
//! maximum are exact.

use super::write::{format_cpu, format_seconds};
use super::{TraceError, TraceOs, TracePod, TraceReader};
use std::fmt::Write as _;
use std::io::Read;

const EXACT: u64 = 2048;
const SUB_BITS: u32 = 10;
const BUCKETS: usize = EXACT as usize + (64 - 11) * (1 << SUB_BITS);

/// A fixed-size histogram of u64 values with ≤ 0.1 % relative bucket width.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    /// The smallest value seen in each bucket.
    lowest: Vec<u64>,
    n: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            lowest: vec![u64::MAX; BUCKETS],
            n: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

fn bucket(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // ≥ 11
    let shift = e - SUB_BITS;
    let mantissa = (v >> shift) as usize; // in [1024, 2048)
    EXACT as usize + (e as usize - 11) * (1 << SUB_BITS) + mantissa - (1 << SUB_BITS)
}

#[cfg(test)]
fn lower_edge(b: usize) -> u64 {
    if b < EXACT as usize {
        return b as u64;
    }
    let k = b - EXACT as usize;
    let e = (k >> SUB_BITS) as u32 + 11;
    let mantissa = (k & ((1 << SUB_BITS) - 1)) as u64 + (1 << SUB_BITS);
    mantissa << (e - SUB_BITS)
}

impl Histogram {
    pub fn add(&mut self, v: u64) {
        let b = bucket(v);
        self.counts[b] += 1;
        self.lowest[b] = self.lowest[b].min(v);
        self.n += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    pub fn min(&self) -> Option<u64> {
        (self.n > 0).then_some(self.min)
    }

    pub fn max(&self) -> Option<u64> {
        (self.n > 0).then_some(self.max)
    }

    /// Nearest-rank percentile `q` in (0, 100], as the smallest value seen in its bucket.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        if self.n == 0 {
            return None;
        }
        let rank = ((q / 100.0 * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(self.lowest[b]);
            }
        }
        Some(self.max)
    }
}

/// What `summarize` measures.
#[derive(Clone, Default)]
pub struct TraceSummary {
    pub pods: u64,
    pub first_arrival_ms: Option<u64>,
    pub last_arrival_ms: Option<u64>,
    pub cpu_millis: Histogram,
    pub memory_bytes: Histogram,
    pub duration_ms: Histogram,
    pub linux: u64,
    pub windows: u64,
    pub os_unspecified: u64,
    pub priority_min: Option<i32>,
    pub priority_max: Option<i32>,
    /// Σ cpu × duration, in millicore-milliseconds.
    pub cpu_work: u128,
}

impl TraceSummary {
    pub fn add(&mut self, p: &TracePod) {
        self.pods += 1;
        self.first_arrival_ms.get_or_insert(p.arrival_ms);
        self.last_arrival_ms = Some(p.arrival_ms);
        self.cpu_millis.add(p.cpu_millis);
        self.memory_bytes.add(p.memory_bytes);
        self.duration_ms.add(p.duration_ms);
        match p.os {
            Some(TraceOs::Linux) => self.linux += 1,
            Some(TraceOs::Windows) => self.windows += 1,
            None => self.os_unspecified += 1,
        }
        self.priority_min = Some(self.priority_min.map_or(p.priority, |m| m.min(p.priority)));
        self.priority_max = Some(self.priority_max.map_or(p.priority, |m| m.max(p.priority)));
        self.cpu_work += u128::from(p.cpu_millis) * u128::from(p.duration_ms);
    }

    /// The console text; `name` is the file as the user gave it.
    pub fn render(&self, name: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{name}: {} pods", self.pods);
        let (Some(first), Some(last)) = (self.first_arrival_ms, self.last_arrival_ms) else {
            return s;
        };
        let _ = writeln!(
            s,
            "arrivals: first {} s, last {} s, span {} s",
            format_seconds(first),
            format_seconds(last),
            format_seconds(last - first)
        );
        let _ = writeln!(
            s,
            "{:<10}{:>12}{:>12}{:>12}{:>12}{:>12}",
            "", "min", "p50", "p90", "p99", "max"
        );
        type Format = fn(u64) -> String;
        let rows: [(&str, &Histogram, Format); 3] = [
            ("cpu", &self.cpu_millis, format_cpu),
            ("memory", &self.memory_bytes, format_memory),
            ("duration", &self.duration_ms, |ms| {
                format!("{}s", format_seconds(ms))
            }),
        ];
        for (label, h, f) in rows {
            let _ = write!(s, "{label:<10}");
            let values = [
                h.min(),
                h.percentile(50.0),
                h.percentile(90.0),
                h.percentile(99.0),
                h.max(),
            ];
            for v in values {
                let _ = write!(s, "{:>12}", v.map_or_else(String::new, f));
            }
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "os: linux {}, windows {}, unspecified {}",
            self.linux, self.windows, self.os_unspecified
        );
        if let (Some(lo), Some(hi)) = (self.priority_min, self.priority_max) {
            let _ = writeln!(s, "priority: {lo} .. {hi}");
        }
        // millicore·ms → core·h: / 1000 (millicores) / 3.6e6 (ms per hour).
        let core_hours = self.cpu_work as f64 / 1000.0 / 3_600_000.0;
        let _ = writeln!(s, "cpu requested × duration: {core_hours:.1} core-hours");
        s
    }
}

/// Memory with a binary unit: exact `Gi`/`Mi` when it divides, else MiB with one decimal.
pub fn format_memory(b: u64) -> String {
    if b == 0 {
        "0".into()
    } else if b.is_multiple_of(1 << 30) {
        format!("{}Gi", b >> 30)
    } else if b.is_multiple_of(1 << 20) {
        format!("{}Mi", b >> 20)
    } else {
        format!("{:.1}Mi", b as f64 / f64::from(1 << 20))
    }
}

/// Reads the whole trace (reusing one pod's buffers) and summarises it.
pub fn summarize<R: Read>(reader: &mut TraceReader<R>) -> Result<TraceSummary, TraceError> {
    let mut s = TraceSummary::default();
    let mut pod = TracePod::default();
    while reader.read_into(&mut pod)? {
        s.add(&pod);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_2048_and_within_a_thousandth_above() {
        for v in [0u64, 1, 2047] {
            assert_eq!(lower_edge(bucket(v)), v);
        }
        // 2048 = 2^11 starts the first log bucket, width 2^(11-10) = 2: 2049 shares it.
        assert_eq!(lower_edge(bucket(2049)), 2048);
        // 1 Gi = 2^30 is a bucket edge, so it is reported exactly.
        assert_eq!(lower_edge(bucket(1 << 30)), 1 << 30);
        // 1,049,999: e = 19 (2^19 = 524,288), width 2^9 = 512, edge = floor(v/512)*512 =
        // 2050*512 = 1,049,600.
        assert_eq!(lower_edge(bucket(1_049_999)), 1_049_600);
        for v in [3000u64, 123_456_789, u64::MAX] {
            let lo = lower_edge(bucket(v));
            assert!(lo <= v && (v - lo) as f64 / v as f64 <= 1.0 / 1024.0, "{v}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.add(v * 10);
        }
        // Nearest rank: p50 = 50th value = 500, p90 = 900, p99 = 990, all < 2048 so exact.
        assert_eq!(h.percentile(50.0), Some(500));
        assert_eq!(h.percentile(90.0), Some(900));
        assert_eq!(h.percentile(99.0), Some(990));
        assert_eq!((h.min(), h.max()), (Some(10), Some(1000)));
    }

    #[test]
    fn a_percentile_is_the_smallest_value_seen_in_its_bucket() {
        let mut h = Histogram::default();
        // 1,049,999 and 1,050,000 share the bucket [1,049,600, 1,050,112) (width 512); the
        // p50 of {1,049,999, 1,050,000, 5,400,000} is the 2nd value, reported as the
        // bucket's smallest, 1,049,999: 1 ms below, never below the bucket's edge.
        for v in [1_050_000, 1_049_999, 5_400_000] {
            h.add(v);
        }
        assert_eq!(h.percentile(50.0), Some(1_049_999));
        assert_eq!(h.percentile(99.0), Some(5_400_000));
    }
}
