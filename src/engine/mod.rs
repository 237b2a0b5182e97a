//! Generic discrete-event core: simulated time, the event queue and seeded random streams.
//!
//! Owns: `SimTime` (integer milliseconds), the `(time, sequence)` ordered queue, and the
//! per-component random streams. Does not own: anything about Kubernetes. The event type is a
//! parameter; the closed event enum lives in `simulation::event`.

pub mod hash;
mod queue;
mod rng;
mod time;

pub use queue::EventQueue;
pub use rng::{RngStreams, StreamId};
pub use time::SimTime;
