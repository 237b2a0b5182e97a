//! Google cluster-data 2019 (trace v3) `instance_events` → trace pods.
//!
//! Schema: google/cluster-data `clusterdata_trace_format_v3.proto`, message `InstanceEvent`:
//! `time` (µs since the trace start), `type` (EventType: SUBMIT 0, QUEUE 1, ENABLE 2,
//! SCHEDULE 3, EVICT 4, FAIL 5, FINISH 6, KILL 7, LOST 8, UPDATE_PENDING 9, UPDATE_RUNNING 10),
//! `collection_id`, `collection_type` (JOB 0, ALLOC_SET 1), `priority`, `instance_index`,
//! `resource_request {cpus, memory}` (normalised: NCUs and normalised RAM), and fields this
//! adapter drops (scheduling_class, missing_type, alloc ids, machine_id, constraint).
//!
//! Two encodings are read: JSON lines as Google publishes the trace for download (nested
//! `resource_request`, 64-bit integers as strings or numbers), and CSV with a header as a
//! BigQuery query writes it (`resource_request.cpus` or `resource_request_cpus` columns; other
//! columns ignored). The first non-blank byte decides: `{` is JSON lines.
//!
//! An instance (collection_id, instance_index) of a job becomes a pod when it FINISHes: it
//! arrives at its first SUBMIT and runs from its last SCHEDULE to the FINISH. Memory holds only
//! instances that have started but not ended. docs/traces.md has the full mapping.

use super::read::csv_error;
use super::{TraceError, TraceOs, TracePod};
use crate::scenario::trace::limit::LineLimit;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};

/// Scaling the normalised requests need: what 1.0 stands for.
#[derive(Clone, Copy, Debug)]
pub struct GoogleOptions {
    pub node_cpu_millis: u64,
    pub node_memory_bytes: u64,
}

const SUBMIT: i64 = 0;
const QUEUE: i64 = 1;
const ENABLE: i64 = 2;
const SCHEDULE: i64 = 3;
const EVICT: i64 = 4;
const FAIL: i64 = 5;
const FINISH: i64 = 6;
const KILL: i64 = 7;
const LOST: i64 = 8;
const UPDATE_PENDING: i64 = 9;
const UPDATE_RUNNING: i64 = 10;
const EVENT_NAMES: [&str; 11] = [
    "SUBMIT",
    "QUEUE",
    "ENABLE",
    "SCHEDULE",
    "EVICT",
    "FAIL",
    "FINISH",
    "KILL",
    "LOST",
    "UPDATE_PENDING",
    "UPDATE_RUNNING",
];
/// The trace's timestamp for "after the end of the trace window" (2^63 - 1).
const AFTER_WINDOW: i64 = i64::MAX;

/// One event with the fields the adapter uses.
#[derive(Debug, Default, Clone, Copy)]
struct Event {
    time: i64,
    kind: i64,
    collection_id: i64,
    collection_type: i64,
    priority: Option<i32>,
    instance_index: i64,
    cpus: Option<f64>,
    memory: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    submit: Option<i64>,
    scheduled: Option<i64>,
    last_time: i64,
    last_line: u64,
    cpus: Option<f64>,
    memory: Option<f64>,
    priority: i32,
}

enum Source<R: Read> {
    Json {
        r: BufReader<LineLimit<R>>,
        text: String,
        line: u64,
    },
    Csv {
        csv: Box<csv::Reader<BufReader<LineLimit<R>>>>,
        record: csv::StringRecord,
        /// Field index of time, type, collection_id, instance_index, collection_type, priority,
        /// cpus, memory.
        idx: [Option<usize>; 8],
    },
}

const CSV_COLUMNS: [&[&str]; 8] = [
    &["time"],
    &["type"],
    &["collection_id"],
    &["instance_index"],
    &["collection_type"],
    &["priority"],
    &["resource_request.cpus", "resource_request_cpus"],
    &["resource_request.memory", "resource_request_memory"],
];

/// Streams pods out of an `instance_events` export, in FINISH order (not arrival order).
pub struct InstanceEventsReader<R: Read> {
    src: Source<R>,
    file: String,
    opts: GoogleOptions,
    live: HashMap<(i64, i64), Pending>,
    /// Instances or events skipped, by reason (ordered, so reports are deterministic).
    pub skipped: BTreeMap<&'static str, u64>,
    pub events: u64,
    done: bool,
}

impl<R: Read> InstanceEventsReader<R> {
    pub fn new(reader: R, file: &str, opts: GoogleOptions) -> Result<Self, TraceError> {
        let mut r = BufReader::new(LineLimit::new(reader));
        let io = |e: std::io::Error| TraceError::new(file, 0, None, e.to_string());
        // Look at the first non-blank byte without consuming it.
        let json = loop {
            let buf = r.fill_buf().map_err(io)?;
            if buf.is_empty() {
                break false;
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(p) => break buf[p] == b'{',
                None => {
                    let n = buf.len();
                    r.consume(n);
                }
            }
        };
        let src = if json {
            Source::Json {
                r,
                text: String::new(),
                line: 0,
            }
        } else {
            let mut csv = csv::ReaderBuilder::new().from_reader(r);
            let header = csv.headers().map_err(|e| csv_error(file, e))?.clone();
            let mut idx = [None; 8];
            for (slot, names) in idx.iter_mut().zip(CSV_COLUMNS) {
                *slot = header.iter().position(|h| names.contains(&h.trim()));
            }
            if let Some(missing) = (0..4).find(|&i| idx[i].is_none()) {
                return Err(TraceError::new(
                    file,
                    1,
                    None,
                    format!(
                        "the header lacks the column `{}`; expected an instance_events export \
                         with at least time, type, collection_id, instance_index (and \
                         resource_request.cpus, resource_request.memory)",
                        CSV_COLUMNS[missing][0]
                    ),
                ));
            }
            Source::Csv {
                csv: Box::new(csv),
                record: csv::StringRecord::new(),
                idx,
            }
        };
        Ok(InstanceEventsReader {
            src,
            file: file.to_string(),
            opts,
            live: HashMap::new(),
            skipped: BTreeMap::new(),
            events: 0,
            done: false,
        })
    }

    /// Instances started but not yet ended (the adapter's memory).
    pub fn live_instances(&self) -> usize {
        self.live.len()
    }

    fn read_event(&mut self) -> Result<Option<(Event, u64)>, TraceError> {
        let file = &self.file;
        match &mut self.src {
            Source::Json { r, text, line } => loop {
                text.clear();
                let n = r
                    .read_line(text)
                    .map_err(|e| TraceError::new(file, *line + 1, None, e.to_string()))?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                if text.trim().is_empty() {
                    continue;
                }
                let j: JsonEvent = serde_json::from_str(text).map_err(|e| {
                    TraceError::new(file, *line, None, format!("not an instance event: {e}"))
                })?;
                return json_event(j)
                    .map(|ev| Some((ev, *line)))
                    .map_err(|(col, m)| TraceError::new(file, *line, Some(col), m));
            },
            Source::Csv { csv, record, idx } => {
                if !csv.read_record(record).map_err(|e| csv_error(file, e))? {
                    return Ok(None);
                }
                let line = record.position().map_or(0, |p| p.line());
                let cell = |i: usize| idx[i].and_then(|k| record.get(k)).map(str::trim);
                let err =
                    |i: usize, m: String| TraceError::new(file, line, Some(CSV_COLUMNS[i][0]), m);
                let int = |i: usize| -> Result<Option<i64>, TraceError> {
                    match cell(i) {
                        None | Some("") => Ok(None),
                        Some(s) => s
                            .parse()
                            .map(Some)
                            .map_err(|_| err(i, format!("expected an integer, found `{s}`"))),
                    }
                };
                let float = |i: usize| -> Result<Option<f64>, TraceError> {
                    match cell(i) {
                        None | Some("") => Ok(None),
                        Some(s) => match s.parse::<f64>() {
                            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                            _ => Err(err(i, format!("expected a number ≥ 0, found `{s}`"))),
                        },
                    }
                };
                let required =
                    |i: usize| int(i)?.ok_or_else(|| err(i, "empty; a value is required".into()));
                let kind = event_type(cell(1).unwrap_or("")).map_err(|m| err(1, m))?;
                let priority = match int(5)? {
                    None => None,
                    Some(p) => Some(
                        i32::try_from(p)
                            .map_err(|_| err(5, format!("priority {p} is not an i32")))?,
                    ),
                };
                let ev = Event {
                    time: required(0)?,
                    kind,
                    collection_id: required(2)?,
                    instance_index: required(3)?,
                    collection_type: int(4)?.unwrap_or(0),
                    priority,
                    cpus: float(6)?,
                    memory: float(7)?,
                };
                Ok(Some((ev, line)))
            }
        }
    }

    fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    fn next_pod(&mut self) -> Result<Option<TracePod>, TraceError> {
        loop {
            let Some((ev, line)) = self.read_event()? else {
                let left = self.live.len() as u64;
                if left > 0 {
                    *self.skipped.entry("no FINISH in the trace").or_default() += left;
                    self.live.clear();
                }
                return Ok(None);
            };
            self.events += 1;
            if ev.time < 0 {
                return Err(TraceError::new(
                    &self.file,
                    line,
                    Some("time"),
                    format!(
                        "time {} is negative; expected µs since the trace start",
                        ev.time
                    ),
                ));
            }
            if ev.collection_type != 0 {
                if ev.kind == SUBMIT {
                    self.skip("alloc-set instance (a reservation, not a pod)");
                }
                continue;
            }
            let key = (ev.collection_id, ev.instance_index);
            if let Some(p) = self.live.get(&key)
                && ev.time < p.last_time
            {
                return Err(TraceError::new(
                    &self.file,
                    line,
                    Some("time"),
                    format!(
                        "{} at {} µs is earlier than this instance's event at {} µs on line {}; \
                         the events of an instance must be in time order (export with ORDER \
                         BY time)",
                        EVENT_NAMES[ev.kind as usize], ev.time, p.last_time, p.last_line
                    ),
                ));
            }
            match ev.kind {
                SUBMIT | SCHEDULE | UPDATE_PENDING => {
                    let p = self.live.entry(key).or_insert(Pending {
                        submit: None,
                        scheduled: None,
                        last_time: ev.time,
                        last_line: line,
                        cpus: None,
                        memory: None,
                        priority: 0,
                    });
                    if ev.kind == SUBMIT && p.submit.is_none() {
                        p.submit = Some(ev.time);
                    }
                    if ev.kind == SCHEDULE {
                        p.scheduled = Some(ev.time);
                    }
                    p.cpus = ev.cpus.or(p.cpus);
                    p.memory = ev.memory.or(p.memory);
                    p.priority = ev.priority.unwrap_or(p.priority);
                    p.last_time = ev.time;
                    p.last_line = line;
                }
                QUEUE | ENABLE | UPDATE_RUNNING => {
                    if let Some(p) = self.live.get_mut(&key) {
                        p.last_time = ev.time;
                        p.last_line = line;
                    }
                }
                EVICT | FAIL => {
                    // The instance goes back to pending and is usually rescheduled; the time
                    // it ran is lost work, so only its last run counts.
                    if let Some(p) = self.live.get_mut(&key) {
                        p.scheduled = None;
                        p.last_time = ev.time;
                        p.last_line = line;
                    }
                }
                KILL => {
                    self.live.remove(&key);
                    self.skip("ended by KILL");
                }
                LOST => {
                    self.live.remove(&key);
                    self.skip("ended by LOST");
                }
                FINISH => {
                    let Some(p) = self.live.remove(&key) else {
                        self.skip("FINISH without an earlier SUBMIT or SCHEDULE");
                        continue;
                    };
                    let Some(start) = p.scheduled else {
                        self.skip("FINISH without an earlier SUBMIT or SCHEDULE");
                        continue;
                    };
                    if ev.time == AFTER_WINDOW {
                        self.skip("FINISH after the trace window");
                        continue;
                    }
                    // Microseconds to the nearest millisecond, halves up.
                    let us_to_ms = |us: i64| (us as u64).saturating_add(500) / 1000;
                    let scale =
                        |v: Option<f64>, full: u64| (v.unwrap_or(0.0) * full as f64).round() as u64;
                    return Ok(Some(TracePod {
                        arrival_ms: us_to_ms(p.submit.unwrap_or(start)),
                        duration_ms: us_to_ms(ev.time - start),
                        cpu_millis: scale(p.cpus, self.opts.node_cpu_millis),
                        memory_bytes: scale(p.memory, self.opts.node_memory_bytes),
                        priority: p.priority,
                        // A Borg task is a Linux program (trace v3 document, introduction).
                        os: Some(TraceOs::Linux),
                        name: format!("{}-{}", key.0, key.1),
                        ..TracePod::default()
                    }));
                }
                _ => unreachable!("event_type accepts 0..=10 only"),
            }
        }
    }
}

impl<R: Read> Iterator for InstanceEventsReader<R> {
    type Item = Result<TracePod, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_pod().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// An event type as its number (`"6"`) or its name (`"FINISH"`).
fn event_type(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>()
        && (0..=10).contains(&n)
    {
        return Ok(n);
    }
    EVENT_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(s))
        .map(|n| n as i64)
        .ok_or_else(|| {
            format!(
                "expected an event type 0..=10 or one of {}, found `{s}`",
                EVENT_NAMES.join(", ")
            )
        })
}

/// A JSON scalar that BigQuery may write as a number or as a string.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Deserialize, Debug)]
struct JsonResources {
    cpus: Option<Scalar>,
    memory: Option<Scalar>,
}

#[derive(Deserialize, Debug)]
struct JsonEvent {
    time: Option<Scalar>,
    #[serde(rename = "type")]
    kind: Option<Scalar>,
    collection_id: Option<Scalar>,
    collection_type: Option<Scalar>,
    priority: Option<Scalar>,
    instance_index: Option<Scalar>,
    resource_request: Option<JsonResources>,
}

fn json_event(j: JsonEvent) -> Result<Event, (&'static str, String)> {
    fn int(v: Option<Scalar>, col: &'static str) -> Result<Option<i64>, (&'static str, String)> {
        match v {
            None => Ok(None),
            Some(Scalar::Int(i)) => Ok(Some(i)),
            Some(Scalar::Str(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| (col, format!("expected an integer, found \"{s}\""))),
            Some(Scalar::Float(f)) => Err((col, format!("expected an integer, found {f}"))),
        }
    }
    fn float(v: Option<Scalar>, col: &'static str) -> Result<Option<f64>, (&'static str, String)> {
        let f = match v {
            None => return Ok(None),
            Some(Scalar::Int(i)) => i as f64,
            Some(Scalar::Float(f)) => f,
            Some(Scalar::Str(s)) => s
                .trim()
                .parse()
                .map_err(|_| (col, format!("expected a number, found \"{s}\"")))?,
        };
        if f.is_finite() && f >= 0.0 {
            Ok(Some(f))
        } else {
            Err((col, format!("expected a number ≥ 0, found {f}")))
        }
    }
    let req = |v: Option<i64>, col: &'static str| {
        v.ok_or((col, "missing; a value is required".to_string()))
    };
    let kind = match j.kind {
        Some(Scalar::Str(s)) => event_type(&s).map_err(|m| ("type", m))?,
        other => {
            let n = req(int(other, "type")?, "type")?;
            event_type(&n.to_string()).map_err(|m| ("type", m))?
        }
    };
    let priority = match int(j.priority, "priority")? {
        None => None,
        Some(p) => Some(i32::try_from(p).map_err(|_| ("priority", format!("{p} is not an i32")))?),
    };
    let (cpus, memory) = match j.resource_request {
        None => (None, None),
        Some(r) => (
            float(r.cpus, "resource_request.cpus")?,
            float(r.memory, "resource_request.memory")?,
        ),
    };
    Ok(Event {
        time: req(int(j.time, "time")?, "time")?,
        kind,
        collection_id: req(int(j.collection_id, "collection_id")?, "collection_id")?,
        collection_type: int(j.collection_type, "collection_type")?.unwrap_or(0),
        priority,
        instance_index: req(int(j.instance_index, "instance_index")?, "instance_index")?,
        cpus,
        memory,
    })
}
