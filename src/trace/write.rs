//! Writing the hybridsim trace format, in canonical spellings that `TraceReader` reads back to
//! the same values: times in decimal seconds (`"612.5"`), CPU as `"500m"` or whole cores, memory
//! with the largest exact unit (`"1Gi"`).

use super::TracePod;
use super::read::Column;
pub use crate::scenario::trace::format_seconds;
use crate::scenario::trace::push_seconds;
use crate::scenario::units::format_bytes;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Writes pods as trace rows. The required columns are always written; `optional` chooses which
/// of the others appear (in `Column::ALL` order).
pub struct TraceWriter<W: Write> {
    csv: csv::Writer<W>,
    columns: Vec<Column>,
    buf: String,
}

impl<W: Write> TraceWriter<W> {
    /// Writes the header.
    pub fn new(w: W, optional: &[Column]) -> io::Result<Self> {
        let columns: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| c.required() || optional.contains(c))
            .collect();
        let mut csv = csv::WriterBuilder::new().from_writer(w);
        csv.write_record(columns.iter().map(|c| c.name()))?;
        Ok(TraceWriter {
            csv,
            columns,
            buf: String::new(),
        })
    }

    pub fn write(&mut self, pod: &TracePod) -> io::Result<()> {
        for &c in &self.columns {
            self.buf.clear();
            let b = &mut self.buf;
            match c {
                Column::Arrival => push_seconds(b, pod.arrival_ms),
                Column::Cpu => push_cpu(b, pod.cpu_millis),
                Column::Memory => b.push_str(&format_bytes(pod.memory_bytes)),
                Column::Duration => push_seconds(b, pod.duration_ms),
                Column::Priority => {
                    let _ = write!(b, "{}", pod.priority);
                }
                Column::Os => b.push_str(pod.os.map_or("", |o| o.label())),
                Column::Image => b.push_str(&pod.image),
                Column::Labels => push_pairs(b, &pod.labels),
                Column::NodeSelector => push_pairs(b, &pod.node_selector),
                Column::Name => b.push_str(&pod.name),
            }
            self.csv.write_field(self.buf.as_bytes())?;
        }
        self.csv.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

fn push_cpu(b: &mut String, m: u64) {
    if m.is_multiple_of(1000) {
        let _ = write!(b, "{}", m / 1000);
    } else {
        let _ = write!(b, "{m}m");
    }
}

/// Millicores as `"500m"` or whole cores `"2"`.
pub fn format_cpu(m: u64) -> String {
    let mut s = String::new();
    push_cpu(&mut s, m);
    s
}

fn push_pairs(b: &mut String, pairs: &[(String, String)]) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            b.push(';');
        }
        b.push_str(k);
        b.push('=');
        b.push_str(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{TraceOs, TraceReader};

    #[test]
    fn seconds_are_written_without_trailing_zeros() {
        assert_eq!(format_seconds(0), "0");
        assert_eq!(format_seconds(612_500), "612.5");
        assert_eq!(format_seconds(1), "0.001");
        assert_eq!(format_seconds(3_600_000), "3600");
        assert_eq!(format_cpu(500), "500m");
        assert_eq!(format_cpu(2000), "2");
    }

    #[test]
    fn every_column_reads_back_to_the_same_pod() {
        let pod = TracePod {
            arrival_ms: 1_234,
            cpu_millis: 1500,
            memory_bytes: 3 << 29,
            duration_ms: 600_001,
            priority: -7,
            os: Some(TraceOs::Windows),
            image: "mcr.microsoft.com/windows/servercore:ltsc2022".into(),
            labels: vec![("app".into(), "web".into()), ("tier".into(), "a,b".into())],
            node_selector: vec![("kubernetes.io/os".into(), "windows".into())],
            name: "pod, with comma".into(),
        };
        let mut w = TraceWriter::new(Vec::new(), &Column::ALL).unwrap();
        w.write(&pod).unwrap();
        w.write(&TracePod {
            arrival_ms: 2000,
            ..TracePod::default()
        })
        .unwrap();
        let bytes = w.finish().unwrap();
        let back: Vec<TracePod> = TraceReader::new(&bytes[..], "mem")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            back,
            vec![
                pod,
                TracePod {
                    arrival_ms: 2000,
                    ..TracePod::default()
                }
            ]
        );
    }
}
