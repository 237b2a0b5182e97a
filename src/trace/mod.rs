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
pub mod sort;
pub mod summary;
pub mod write;

pub use crate::scenario::trace::read;
pub use crate::scenario::trace::{TraceError, TraceOs, TracePod};
pub use read::{Column, TraceCursor, TraceReader, open};
pub use write::TraceWriter;
