//! The streaming reader of the hybridsim trace format: one `TracePod` per CSV row, one row in
//! memory at a time.
//!
//! Rows must come in arrival order (equal arrivals allowed). A row that arrives before the row
//! above it is rejected with both lines named: the simulation consumes a trace as a cursor
//! over arrivals, and accepting disorder would mean either holding the file in memory or
//! silently creating pods late. `hybridsim trace convert --from hybridsim` sorts a file with
//! bounded memory.

use super::limit::LineLimit;
use super::{TraceError, TraceOs, TracePod};
use crate::scenario::units::{parse_bytes, parse_cpu_millis, parse_duration_ms};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The columns of the trace format, in the order the writer puts them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Arrival,
    Cpu,
    Memory,
    Duration,
    Priority,
    Os,
    Image,
    Labels,
    NodeSelector,
    Name,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Arrival,
        Column::Cpu,
        Column::Memory,
        Column::Duration,
        Column::Priority,
        Column::Os,
        Column::Image,
        Column::Labels,
        Column::NodeSelector,
        Column::Name,
    ];

    /// The header spelling.
    pub fn name(self) -> &'static str {
        match self {
            Column::Arrival => "arrival",
            Column::Cpu => "cpu",
            Column::Memory => "memory",
            Column::Duration => "duration",
            Column::Priority => "priority",
            Column::Os => "os",
            Column::Image => "image",
            Column::Labels => "labels",
            Column::NodeSelector => "node_selector",
            Column::Name => "name",
        }
    }

    /// The four columns without which a row is not a pod.
    pub fn required(self) -> bool {
        matches!(
            self,
            Column::Arrival | Column::Cpu | Column::Memory | Column::Duration
        )
    }

    fn from_name(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Reads a trace file row by row. Also an `Iterator` of owned pods that stops after the first
/// error.
pub struct TraceReader<R: Read> {
    csv: csv::Reader<LineLimit<R>>,
    record: csv::ByteRecord,
    file: String,
    /// Field index of each column (by `Column as usize`), `None` when the header lacks it.
    index: [Option<usize>; 10],
    sorted: bool,
    last: Option<(u64, u64)>,
    rows: u64,
    /// Line of the row read last (0 before the first).
    line: u64,
    done: bool,
}

/// Opens a trace file; `file` in errors is the path as given.
pub fn open(path: &Path) -> Result<TraceReader<File>, TraceError> {
    let name = path.display().to_string();
    let f = File::open(path).map_err(|e| TraceError::new(&name, 0, None, e.to_string()))?;
    TraceReader::new(f, &name)
}

impl<R: Read> TraceReader<R> {
    /// Reads the header. `file` names the source in errors. Lines starting with `#` are
    /// comments; blank lines are skipped.
    pub fn new(reader: R, file: &str) -> Result<Self, TraceError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .comment(Some(b'#'))
            .from_reader(LineLimit::new(reader));
        let mut header = csv::ByteRecord::new();
        let got = csv
            .read_byte_record(&mut header)
            .map_err(|e| csv_error(file, e))?;
        if !got {
            return Err(TraceError::new(
                file,
                1,
                None,
                "empty file; expected a header such as `arrival,cpu,memory,duration`",
            ));
        }
        let line = header.position().map_or(1, |p| p.line());
        let mut index = [None; 10];
        for (i, raw) in header.iter().enumerate() {
            // A spreadsheet's UTF-8 byte order mark is not part of the first name.
            let raw = if i == 0 {
                raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw)
            } else {
                raw
            };
            let name = std::str::from_utf8(raw).unwrap_or("").trim();
            let Some(col) = Column::from_name(name) else {
                return Err(TraceError::new(
                    file,
                    line,
                    None,
                    format!(
                        "unknown column `{name}` in the header (field {}); expected columns: {}",
                        i + 1,
                        Column::ALL.map(Column::name).join(", ")
                    ),
                ));
            };
            if index[col as usize].replace(i).is_some() {
                return Err(TraceError::new(
                    file,
                    line,
                    None,
                    format!("column `{name}` appears twice in the header"),
                ));
            }
        }
        let missing: Vec<&str> = Column::ALL
            .into_iter()
            .filter(|c| c.required() && index[*c as usize].is_none())
            .map(Column::name)
            .collect();
        if !missing.is_empty() {
            return Err(TraceError::new(
                file,
                line,
                None,
                format!(
                    "the header lacks the required column{} {}; expected at least \
                     `arrival,cpu,memory,duration`",
                    if missing.len() > 1 { "s" } else { "" },
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(TraceReader {
            csv,
            record: csv::ByteRecord::new(),
            file: file.to_string(),
            index,
            sorted: true,
            last: None,
            rows: 0,
            line: 0,
            done: false,
        })
    }

    /// Accept rows in any arrival order (for sorting a file).
    pub fn unsorted(mut self) -> Self {
        self.sorted = false;
        self
    }

    /// Whether the header has this column.
    pub fn has(&self, c: Column) -> bool {
        self.index[c as usize].is_some()
    }

    /// Pods read so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The line of the row read last (0 before the first), for messages about that row.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The file as named in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Reads the next row into `pod`, reusing its strings and vectors (no allocation once
    /// they have grown to the trace's longest values). Returns `Ok(false)` at the end.
    pub fn read_into(&mut self, pod: &mut TracePod) -> Result<bool, TraceError> {
        if !self
            .csv
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(&self.file, e))?
        {
            return Ok(false);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        self.line = line;
        let field = |c: Column| -> Result<&str, TraceError> {
            match self.index[c as usize] {
                None => Ok(""),
                Some(i) => std::str::from_utf8(self.record.get(i).unwrap_or(b""))
                    .map(str::trim)
                    .map_err(|_| {
                        TraceError::new(&self.file, line, Some(c.name()), "not valid UTF-8")
                    }),
            }
        };
        let err = |c: Column, m: String| TraceError::new(&self.file, line, Some(c.name()), m);
        pod.arrival_ms = parse_time(field(Column::Arrival)?, "an arrival time")
            .map_err(|m| err(Column::Arrival, m))?;
        pod.cpu_millis = parse_quantity(field(Column::Cpu)?, parse_cpu_millis)
            .map_err(|m| err(Column::Cpu, m))?;
        pod.memory_bytes = parse_quantity(field(Column::Memory)?, parse_bytes)
            .map_err(|m| err(Column::Memory, m))?;
        pod.duration_ms = parse_time(field(Column::Duration)?, "a duration")
            .map_err(|m| err(Column::Duration, m))?;
        let p = field(Column::Priority)?;
        pod.priority = if p.is_empty() {
            0
        } else {
            p.parse().map_err(|_| {
                err(
                    Column::Priority,
                    format!("expected an integer priority (i32), found `{p}`"),
                )
            })?
        };
        let os = field(Column::Os)?;
        pod.os = if os.is_empty() {
            None
        } else if os.eq_ignore_ascii_case("linux") {
            Some(TraceOs::Linux)
        } else if os.eq_ignore_ascii_case("windows") {
            Some(TraceOs::Windows)
        } else {
            return Err(err(
                Column::Os,
                format!("expected `linux` or `windows`, found `{os}`"),
            ));
        };
        set_string(&mut pod.image, field(Column::Image)?);
        set_string(&mut pod.name, field(Column::Name)?);
        parse_pairs(field(Column::Labels)?, &mut pod.labels).map_err(|m| err(Column::Labels, m))?;
        parse_pairs(field(Column::NodeSelector)?, &mut pod.node_selector)
            .map_err(|m| err(Column::NodeSelector, m))?;
        if self.sorted {
            if let Some((prev, prev_line)) = self.last
                && pod.arrival_ms < prev
            {
                return Err(err(
                    Column::Arrival,
                    format!(
                        "arrival {} s is before the arrival {} s of line {prev_line}; rows must \
                         be in arrival order (sort the file with `hybridsim trace convert --from \
                         hybridsim`)",
                        super::format_seconds(pod.arrival_ms),
                        super::format_seconds(prev)
                    ),
                ));
            }
            self.last = Some((pod.arrival_ms, line));
        }
        self.rows += 1;
        Ok(true)
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<TracePod, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut pod = TracePod::default();
        match self.read_into(&mut pod) {
            Ok(true) => Some(Ok(pod)),
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// The simulation's view of a trace: the next pod's arrival without consuming it, then the pod
/// itself. Rows are read lazily, one ahead at most, and pods are moved out by swapping buffers,
/// so a run that pops every pod into the same `TracePod` allocates only while its strings grow.
pub struct TraceCursor<R: Read> {
    reader: TraceReader<R>,
    next: TracePod,
    ready: bool,
    ended: bool,
}

impl<R: Read> TraceCursor<R> {
    pub fn new(reader: TraceReader<R>) -> Self {
        TraceCursor {
            reader,
            next: TracePod::default(),
            ready: false,
            ended: false,
        }
    }

    /// The next pod, reading it if needed; `None` at the end of the trace.
    pub fn peek(&mut self) -> Result<Option<&TracePod>, TraceError> {
        if !self.ready && !self.ended {
            self.ready = self.reader.read_into(&mut self.next)?;
            self.ended = !self.ready;
        }
        Ok(if self.ready { Some(&self.next) } else { None })
    }

    /// When the next pod arrives, in milliseconds; `None` at the end of the trace.
    pub fn next_arrival_ms(&mut self) -> Result<Option<u64>, TraceError> {
        Ok(self.peek()?.map(|p| p.arrival_ms))
    }

    /// Moves the next pod into `out` (its old buffers are reused for the row after); returns
    /// `Ok(false)` at the end of the trace.
    pub fn pop_into(&mut self, out: &mut TracePod) -> Result<bool, TraceError> {
        if self.peek()?.is_none() {
            return Ok(false);
        }
        std::mem::swap(out, &mut self.next);
        self.ready = false;
        Ok(true)
    }

    /// Pods read so far, including one peeked at.
    pub fn rows(&self) -> u64 {
        self.reader.rows()
    }
}

/// A csv crate error as a trace error with its line.
pub(crate) fn csv_error(file: &str, e: csv::Error) -> TraceError {
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields (as in the first line), found {len}"),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    };
    TraceError::new(file, line, None, message)
}

fn set_string(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

fn parse_quantity(s: &str, parse: fn(&str) -> Result<u64, String>) -> Result<u64, String> {
    if s.is_empty() {
        return Err("empty; a value is required".into());
    }
    if s.starts_with('-') {
        return Err(format!("`{s}` is negative; expected a quantity ≥ 0"));
    }
    parse(s)
}

/// An arrival or a duration: seconds as a decimal number (`"90"`, `"1.5"`), or a duration
/// with units (`"90s"`, `"1h30m"`, `"250ms"`), in milliseconds.
pub fn parse_time(s: &str, what: &str) -> Result<u64, String> {
    if s.is_empty() {
        return Err(format!(
            "empty; expected {what} in seconds (`90`, `1.5`) or with a unit (`90s`, `1h30m`)"
        ));
    }
    if s.starts_with('-') {
        return Err(format!("`{s}` is negative; expected {what} ≥ 0"));
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return seconds_to_ms(s).ok_or_else(|| {
            format!("expected {what} in seconds (`90`, `1.5`) or with a unit (`90s`), found `{s}`")
        });
    }
    parse_duration_ms(s)
}

/// Exact decimal seconds to milliseconds, rounding half up at the millisecond as
/// `scenario::units` does.
fn seconds_to_ms(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let mut ms: u64 = 0;
    for b in int.bytes() {
        ms = ms.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    ms = ms.checked_mul(1000)?;
    let f = frac.as_bytes();
    let mut part = 0u64;
    for i in 0..3 {
        part = part * 10 + f.get(i).map_or(0, |b| u64::from(b - b'0'));
    }
    // The value is at least x.xxx5 exactly when the fourth decimal is 5 or more.
    if f.get(3).is_some_and(|&b| b >= b'5') {
        part += 1;
    }
    ms.checked_add(part)
}

/// `k=v;k=v` into `out`, reusing its strings. Keys must be unique; spaces around keys and
/// values are ignored; an empty cell is no pairs.
fn parse_pairs(s: &str, out: &mut Vec<(String, String)>) -> Result<(), String> {
    let mut n = 0;
    for part in s.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!(
                "expected `key=value` pairs separated by `;`, found `{part}`"
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(format!("empty key in `{part}`; expected `key=value`"));
        }
        if out[..n].iter().any(|(ek, _)| ek == k) {
            return Err(format!("key `{k}` is given twice"));
        }
        if n < out.len() {
            set_string(&mut out[n].0, k);
            set_string(&mut out[n].1, v);
        } else {
            out.push((k.to_string(), v.to_string()));
        }
        n += 1;
    }
    out.truncate(n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_seconds_convert_exactly_with_half_up_rounding() {
        // 1.5 s = 1500 ms; 0.0005 s is half a millisecond and rounds up to 1 ms; 0.00049 s
        // rounds down to 0; 12 s = 12000 ms; ".25" = 250 ms.
        assert_eq!(seconds_to_ms("1.5"), Some(1500));
        assert_eq!(seconds_to_ms("0.0005"), Some(1));
        assert_eq!(seconds_to_ms("0.00049"), Some(0));
        assert_eq!(seconds_to_ms("12"), Some(12_000));
        assert_eq!(seconds_to_ms(".25"), Some(250));
        assert_eq!(seconds_to_ms("1.2.3"), None);
        assert_eq!(seconds_to_ms("."), None);
        // u64::MAX ms is about 1.8e16 s: 1e17 s overflows.
        assert_eq!(seconds_to_ms("100000000000000000"), None);
    }

    #[test]
    fn pairs_reuse_entries_and_reject_duplicates() {
        let mut v = vec![("old".to_string(), "x".to_string()); 3];
        parse_pairs("app=web; tier = front ;", &mut v).unwrap();
        assert_eq!(
            v,
            vec![
                ("app".to_string(), "web".to_string()),
                ("tier".to_string(), "front".to_string())
            ]
        );
        assert!(
            parse_pairs("a=1;a=2", &mut v)
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            parse_pairs("novalue", &mut v)
                .unwrap_err()
                .contains("key=value")
        );
    }
}
