//! The hybridsim trace format as a scenario reads it: `TracePod` (one row, in the simulation's
//! integer units), its errors, and the streaming reader (`read`), one row in memory at a time.
//!
//! Owns: the format's rows and reading them. Does not own: converting public traces,
//! summarising, sorting or writing traces (the `trace` module, which re-exports these types),
//! nor what a trace pod does in a run (`validate::trace` turns rows into templates and
//! `source` hands the simulation one arrival at a time).
//!
//! It lives under `scenario` because a scenario's `trace:` file is read while the scenario is
//! loaded (validated row by row) and streamed again during the run, and `scenario` is the module
//! that reads the files a scenario refers to.

pub(crate) mod limit;
pub mod read;
pub mod source;

use std::fmt;
use std::fmt::Write as _;

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

/// Appends milliseconds as decimal seconds without trailing zeros: 612500 → `612.5`.
pub fn push_seconds(b: &mut String, ms: u64) {
    let _ = write!(b, "{}", ms / 1000);
    let frac = ms % 1000;
    if frac != 0 {
        let _ = write!(b, ".{frac:03}");
        while b.ends_with('0') {
            b.pop();
        }
    }
}

/// Milliseconds as decimal seconds without trailing zeros: 612500 → `"612.5"`.
pub fn format_seconds(ms: u64) -> String {
    let mut s = String::new();
    push_seconds(&mut s, ms);
    s
}
