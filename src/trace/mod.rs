//! Trace replay input: one row per pod, with its own arrival time, requests and run duration.
//!
//! Owns: the hybridsim trace format (a CSV with a header, docs/traces.md) and its streaming
//! reader and writer, the adapters from public cluster traces (Alibaba cluster-trace-v2018
//! `batch_task`, Google cluster-data 2019 `instance_events`), an external sort for traces
//! that are not in arrival order, the `hybridsim trace` command (convert, summarize,
//! generate) and the benchmark workload generator.
//!
//! Does not own: what a trace pod does in a run. Nothing here depends on the simulation;
//! `TracePod` is plain data in the simulation's integer units (milliseconds, millicores,
//! bytes), and the simulation pulls pods one at a time from a `TraceCursor` as its clock
//! reaches their arrival, so memory stays proportional to live pods.

pub mod alibaba;
pub mod cmd;
pub mod generate;
pub mod google;
mod limit;
pub mod read;
pub mod sort;
pub mod summary;
pub mod write;

pub use read::{Column, TraceCursor, TraceReader, open};
pub use write::TraceWriter;

use std::fmt;

/// Operating system a trace pod asks for (the `os` column).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TraceOs {
    Linux,
    Windows,
}

impl TraceOs {
    /// The `kubernetes.io/os` label value, also the spelling in the trace file.
    pub fn label(self) -> &'static str {
        match self {
            TraceOs::Linux => "linux",
            TraceOs::Windows => "windows",
        }
    }
}

/// One pod of a trace, in the simulation's integer units.
///
/// Optional columns that are absent or empty leave their field at the `Default` value: priority
/// 0 (Kubernetes' priority without a PriorityClass), no OS, no image, no labels, no node
/// selector, no name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TracePod {
    /// Time the pod is created, in milliseconds from the start of the trace.
    pub arrival_ms: u64,
    /// CPU request in millicores.
    pub cpu_millis: u64,
    /// Memory request in bytes.
    pub memory_bytes: u64,
    /// How long the pod runs once its containers have started, in milliseconds.
    pub duration_ms: u64,
    pub priority: i32,
    /// `None`: the trace does not say; the pod carries no `kubernetes.io/os` selector.
    pub os: Option<TraceOs>,
    /// Image reference; empty when the trace gives none.
    pub image: String,
    /// Pod labels in file order (keys are unique).
    pub labels: Vec<(String, String)>,
    /// Node selector in file order (keys are unique).
    pub node_selector: Vec<(String, String)>,
    /// Pod name; empty when the trace gives none.
    pub name: String,
}

/// A problem with a trace file: where it is and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    pub file: String,
    /// 1-based line; 0 when the problem is with the file as a whole (cannot be opened).
    pub line: u64,
    /// Column name, when the problem is in one cell.
    pub column: Option<String>,
    pub message: String,
}

impl TraceError {
    pub fn new(file: &str, line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        TraceError {
            file: file.to_string(),
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(c) = &self.column {
            write!(f, ": column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for TraceError {}
