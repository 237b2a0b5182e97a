//! Simulated time: an integer count of milliseconds since the start of the run.
//!
//! Integer time keeps runs byte-identical across machines: no floating-point clock drift, and
//! two events at "the same" instant compare equal exactly.

use std::fmt;

/// Milliseconds since the start of the simulation.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }

    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * 1000)
    }

    pub const fn millis(self) -> u64 {
        self.0
    }

    /// Seconds as a float, for reports only; decisions never use it.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    pub fn saturating_add(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }

    pub fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}
