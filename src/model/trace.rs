//! A trace replay as the simulation sees it: where the trace's pods go (`TraceSpec`) and the
//! cursor the run pulls them from, one arrival at a time (`ArrivalSource`).
//!
//! Owns: the shape of that hand-over. Does not own: reading the trace file (`scenario::trace`
//! implements `ArrivalSource` over its streaming reader and builds the templates) or what a
//! trace pod does (the simulation creates it through `controllers::Controllers::trace_arrival`).
//! Nothing here does IO: the spec holds an opener that `scenario` built, and the run calls it.

use super::{TemplateId, WorkloadId};
use std::fmt;
use std::sync::Arc;

/// One pod of a trace, resolved to the run's ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TraceArrival {
    /// When the pod is created (ms from the start of the run).
    pub at: u64,
    /// The template of the pod's shape (requests, image, priority, node selector).
    pub template: TemplateId,
    /// How long it runs once its containers have started, then it Succeeds (ms).
    pub run_ms: u64,
}

/// A cursor over a trace's pods in arrival order. The run holds one and asks for the next pod
/// only once it has created the previous one, so a trace of any length costs one row.
pub trait ArrivalSource {
    /// The next pod, `Ok(None)` at the end; an error (the file changed or became unreadable
    /// since the scenario was validated) ends the replay.
    fn next_arrival(&mut self) -> Result<Option<TraceArrival>, String>;
}

/// Opens a fresh cursor at the first pod. Each run opens its own, so runs in parallel do not
/// share a position.
pub type OpenArrivals = dyn Fn() -> Result<Box<dyn ArrivalSource>, String> + Send + Sync;

/// A scenario's `trace:`: its pods belong to one synthetic workload, have no controller that
/// replaces them, and come from a cursor opened at the start of each run.
#[derive(Clone)]
pub struct TraceSpec {
    /// The trace file as it was named to the user (in messages).
    pub file: String,
    /// The synthetic workload every trace pod belongs to (kind `Trace`).
    pub workload: WorkloadId,
    /// Pods in the trace (counted when the scenario was validated).
    pub pods: u64,
    open: Arc<OpenArrivals>,
}

impl TraceSpec {
    pub fn new(file: String, workload: WorkloadId, pods: u64, open: Arc<OpenArrivals>) -> Self {
        TraceSpec {
            file,
            workload,
            pods,
            open,
        }
    }

    /// A cursor at the trace's first pod.
    pub fn open(&self) -> Result<Box<dyn ArrivalSource>, String> {
        (self.open)()
    }
}

impl fmt::Debug for TraceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceSpec")
            .field("file", &self.file)
            .field("workload", &self.workload)
            .field("pods", &self.pods)
            .finish_non_exhaustive()
    }
}
