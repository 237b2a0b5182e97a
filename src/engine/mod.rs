//! Generic discrete-event core: simulated time, the event queue, seeded random streams, the
//! back-off rule and a stable hash.
//!
//! Owns: `SimTime` (integer milliseconds), the `(time, sequence)` ordered queue, the
//! per-component random streams, exponential back-off and FNV-1a. Does not own: anything about
//! Kubernetes. The event type is a parameter; the closed event enum lives in `effect`.

mod backoff;
pub mod hash;
mod queue;
mod rng;
mod time;

pub use backoff::backoff;
pub use queue::EventQueue;
pub use rng::{RngStreams, StreamId};
pub use time::SimTime;
