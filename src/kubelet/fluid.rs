//! A processor-sharing resource: a fixed rate split equally among the jobs using it.
//!
//! Models a node's download bandwidth (shared by its concurrent layer downloads) and its
//! extraction throughput (shared by concurrent unpacks). Between changes every job progresses
//! at rate / n, so completion times follow exactly from the remaining amounts; callers advance
//! the resource to the current time before any change.

/// Remaining amounts at or below this (bytes) count as done; absorbs rounding to whole ms.
const EPS: f64 = 1e-3;

#[derive(Clone, Debug)]
pub struct Fluid {
    /// Units per millisecond.
    rate_per_ms: f64,
    jobs: Vec<(u32, f64)>,
    last: u64,
}

impl Fluid {
    /// `rate` in units per second.
    pub fn new(rate: u64) -> Self {
        Fluid {
            rate_per_ms: rate as f64 / 1000.0,
            jobs: Vec::new(),
            last: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    pub fn advance(&mut self, now: u64) {
        if now > self.last && !self.jobs.is_empty() {
            let per_job = self.rate_per_ms * (now - self.last) as f64 / self.jobs.len() as f64;
            for j in &mut self.jobs {
                j.1 -= per_job;
            }
        }
        self.last = self.last.max(now);
    }

    pub fn add(&mut self, now: u64, key: u32, amount: u64) {
        self.advance(now);
        self.jobs.push((key, amount as f64));
    }

    /// Removes a job (a cancelled download), returning whether it was there.
    pub fn remove(&mut self, now: u64, key: u32) -> bool {
        self.advance(now);
        let before = self.jobs.len();
        self.jobs.retain(|j| j.0 != key);
        before != self.jobs.len()
    }

    /// When the next job finishes, rounded up to the millisecond.
    pub fn next_completion(&self) -> Option<u64> {
        let min = self.jobs.iter().map(|j| j.1).fold(f64::INFINITY, f64::min);
        if !min.is_finite() {
            return None;
        }
        let ms = (min.max(0.0) * self.jobs.len() as f64 / self.rate_per_ms).ceil();
        Some(self.last + ms as u64)
    }

    /// Advances to `now` and moves finished job keys to `out`, in the order they were added.
    pub fn drain_done(&mut self, now: u64, out: &mut Vec<u32>) {
        self.advance(now);
        self.jobs.retain(|j| {
            if j.1 <= EPS {
                out.push(j.0);
                false
            } else {
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_runs_at_full_rate() {
        // 1 GB at 100 MB/s = 10 s.
        let mut f = Fluid::new(100_000_000);
        f.add(0, 1, 1_000_000_000);
        assert_eq!(f.next_completion(), Some(10_000));
    }

    #[test]
    fn two_jobs_share_the_rate_and_the_survivor_speeds_up() {
        // 100 MB/s shared by a 200 MB and a 600 MB job: both at 50 MB/s; the first ends at 4 s
        // (200/50), the second has 400 MB left and then runs alone: 4 s + 400/100 = 8 s.
        let mut f = Fluid::new(100_000_000);
        f.add(0, 1, 200_000_000);
        f.add(0, 2, 600_000_000);
        assert_eq!(f.next_completion(), Some(4000));
        let mut done = Vec::new();
        f.drain_done(4000, &mut done);
        assert_eq!(done, vec![1]);
        assert_eq!(f.next_completion(), Some(8000));
        f.drain_done(8000, &mut done);
        assert_eq!(done, vec![1, 2]);
    }
}
