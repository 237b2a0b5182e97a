//! A scenario's trace as the run reads it: one pass at load time (`scan`) that checks every
//! row and collects the distinct pod shapes, and a cursor (`TraceSource`) that streams the file
//! again during each run, mapping each row to its shape's template.
//!
//! Owns: what makes two trace pods the same shape, and the two passes over the file. Does not
//! own: the templates themselves (`validate::trace` builds one per shape from the scenario's
//! `trace_template`) or what the run does with an arrival (`model::trace`, the simulation).
//!
//! Memory is one row and the shape table, whatever the file size: neither pass holds the file.

use super::read::{Column, TraceReader, open};
use super::{TraceOs, TracePod};
use crate::model::TemplateId;
use crate::model::trace::{ArrivalSource, TraceArrival};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most distinct pod shapes a trace may have: each is a template, and the scheduler keeps
/// per-template caches (× pools). Public traces quantise requests, so real traces have far
/// fewer; a trace above this is almost certainly not quantised at all.
pub const MAX_SHAPES: usize = 65_536;

/// What a trace row asks of the cluster, besides its arrival and duration: two rows of the
/// same shape share a template.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    /// `None` when the trace has no `priority` column (the template's priority stays).
    pub priority: Option<i32>,
    pub os: Option<TraceOs>,
    /// Empty: the template's image.
    pub image: String,
    pub node_selector: Vec<(String, String)>,
}

impl Shape {
    fn of(pod: &TracePod, has_priority: bool) -> Shape {
        Shape {
            cpu_millis: pod.cpu_millis,
            memory_bytes: pod.memory_bytes,
            priority: has_priority.then_some(pod.priority),
            os: pod.os,
            image: pod.image.clone(),
            node_selector: pod.node_selector.clone(),
        }
    }

    /// Whether `pod` has this shape, without allocating (the common case: a row like the last).
    fn matches(&self, pod: &TracePod, has_priority: bool) -> bool {
        self.cpu_millis == pod.cpu_millis
            && self.memory_bytes == pod.memory_bytes
            && self.priority == has_priority.then_some(pod.priority)
            && self.os == pod.os
            && self.image == pod.image
            && self.node_selector == pod.node_selector
    }
}

/// What the load-time pass learnt about a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceScan {
    /// The file as named in messages.
    pub display: String,
    pub path: PathBuf,
    /// Rows (pods).
    pub rows: u64,
    /// Arrival of the last row (ms); 0 for an empty trace.
    pub last_arrival: u64,
    pub has_priority: bool,
    /// Distinct shapes in first-seen order, each with the line it first appears on.
    pub shapes: Vec<(Shape, u64)>,
}

/// Reads the whole trace once, row by row: every row is checked (a bad row is an error with
/// its file, line and column) and the distinct shapes are collected.
pub fn scan(path: &Path, display: &str) -> Result<TraceScan, String> {
    let mut reader = open(path).map_err(|e| e.to_string())?;
    let has_priority = reader.has(Column::Priority);
    let mut index: HashMap<Shape, usize> = HashMap::new();
    let mut shapes: Vec<(Shape, u64)> = Vec::new();
    let mut last: Option<usize> = None;
    let mut pod = TracePod::default();
    let mut last_arrival = 0;
    while reader.read_into(&mut pod).map_err(|e| e.to_string())? {
        last_arrival = pod.arrival_ms;
        if let Some(l) = last
            && shapes[l].0.matches(&pod, has_priority)
        {
            continue;
        }
        let shape = Shape::of(&pod, has_priority);
        let i = match index.get(&shape) {
            Some(&i) => i,
            None => {
                if shapes.len() == MAX_SHAPES {
                    return Err(format!(
                        "{display}:{}: more than {MAX_SHAPES} distinct pod shapes (cpu, memory, \
                         priority, os, image, node selector); expected a trace whose requests \
                         are quantised, as the public traces' are",
                        reader.line()
                    ));
                }
                shapes.push((shape.clone(), reader.line()));
                index.insert(shape, shapes.len() - 1);
                shapes.len() - 1
            }
        };
        last = Some(i);
    }
    Ok(TraceScan {
        display: display.to_string(),
        path: path.to_path_buf(),
        rows: reader.rows(),
        last_arrival,
        has_priority,
        shapes,
    })
}

/// The shapes of a scanned trace and the template of each (`first_template` + shape index).
pub struct ShapeTable {
    shapes: Vec<Shape>,
    index: HashMap<Shape, usize>,
    first_template: TemplateId,
    has_priority: bool,
}

impl ShapeTable {
    pub fn new(scan: &TraceScan, first_template: TemplateId) -> ShapeTable {
        let shapes: Vec<Shape> = scan.shapes.iter().map(|(s, _)| s.clone()).collect();
        let index = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect();
        ShapeTable {
            shapes,
            index,
            first_template,
            has_priority: scan.has_priority,
        }
    }

    /// The shape index of `pod`, trying `hint` (the previous row's) first.
    fn lookup(&self, pod: &TracePod, hint: Option<usize>) -> Option<usize> {
        if let Some(h) = hint
            && self.shapes[h].matches(pod, self.has_priority)
        {
            return Some(h);
        }
        // Only looked up, never iterated: the order of a HashMap never reaches the run.
        self.index.get(&Shape::of(pod, self.has_priority)).copied()
    }
}

/// The run's cursor over a trace file: one row in memory, read when the run asks for it.
pub struct TraceSource {
    reader: TraceReader<File>,
    row: TracePod,
    table: Arc<ShapeTable>,
    last_shape: Option<usize>,
}

impl TraceSource {
    pub fn open(path: &Path, display: &str, table: Arc<ShapeTable>) -> Result<Self, String> {
        let f = File::open(path).map_err(|e| format!("{display}: {e}"))?;
        let reader = TraceReader::new(f, display).map_err(|e| e.to_string())?;
        Ok(TraceSource {
            reader,
            row: TracePod::default(),
            table,
            last_shape: None,
        })
    }
}

impl ArrivalSource for TraceSource {
    fn next_arrival(&mut self) -> Result<Option<TraceArrival>, String> {
        if !self
            .reader
            .read_into(&mut self.row)
            .map_err(|e| e.to_string())?
        {
            return Ok(None);
        }
        let Some(s) = self.table.lookup(&self.row, self.last_shape) else {
            return Err(format!(
                "{}:{}: this row's pod shape was not in the file when the scenario was loaded; \
                 expected the trace not to change during a run",
                self.reader.file(),
                self.reader.line()
            ));
        };
        self.last_shape = Some(s);
        Ok(Some(TraceArrival {
            at: self.row.arrival_ms,
            template: TemplateId::from_idx(self.table.first_template.idx() + s),
            run_ms: self.row.duration_ms,
        }))
    }
}
