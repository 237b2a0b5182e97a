//! The pending-event set, ordered by `(time, insertion sequence)`.
//!
//! Ties at the same millisecond resolve in insertion order, which makes the run deterministic
//! without any component having to invent tie-break keys. Cancellation is lazy: components
//! carry a generation number in their events and ignore stale ones, which is cheaper than a
//! removable heap for the patterns we have (a node reschedules its next I/O completion often).
//!
//! Lanes: a periodic event that reschedules itself a fixed period after it fires is pushed in
//! nondecreasing time order, so a FIFO already holds it sorted by `(time, seq)` and it need not
//! pay a heap push and pop. `schedule_lane` puts such events in a FIFO lane; `pop` takes the
//! smallest `(time, seq)` among the heap top and the lane fronts. Seq numbers come from the same
//! counter as the heap's, so the pop order is exactly the one a single heap would give. An event
//! that would break a lane's order goes to the heap instead, so a lane is never unsorted.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (time, seq) pops first.
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A min-queue of events keyed by `(time, seq)`.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// FIFO lanes, each sorted by `(time, seq)` (see the module doc).
    lanes: Vec<VecDeque<Entry<E>>>,
    next_seq: u64,
    now: SimTime,
    popped: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lanes: Vec::new(),
            next_seq: 0,
            now: SimTime::ZERO,
            popped: 0,
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            ..Self::new()
        }
    }

    /// The time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at `time`. Scheduling in the past is a logic error in the caller; the
    /// event is clamped to `now` so time never runs backwards.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
    }

    /// Schedules `event` at `time` in FIFO lane `lane` (created on first use). Same order as
    /// `schedule`: only cheaper when events of a lane arrive in time order; one that does not
    /// goes to the heap.
    #[inline]
    pub fn schedule_lane(&mut self, lane: usize, time: SimTime, event: E) {
        let time = time.max(self.now);
        if self.lanes.len() <= lane {
            self.lanes.resize_with(lane + 1, VecDeque::new);
        }
        let l = &mut self.lanes[lane];
        if l.back().is_some_and(|b| b.time > time) {
            self.schedule(time, event);
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        l.push_back(Entry { time, seq, event });
    }

    /// Schedules `event` `delay_ms` after now.
    pub fn schedule_in(&mut self, delay_ms: u64, event: E) {
        let t = self.now.saturating_add(delay_ms);
        self.schedule(t, event);
    }

    /// Where the earliest event is: `None` for the heap, `Some(i)` for lane `i`.
    fn earliest(&self) -> Option<Option<usize>> {
        // `Entry`'s order is reversed (max-heap), so the earliest event is the greatest entry.
        let mut best: Option<(Option<usize>, &Entry<E>)> = self.heap.peek().map(|e| (None, e));
        for (i, l) in self.lanes.iter().enumerate() {
            if let Some(f) = l.front()
                && best.is_none_or(|(_, b)| f > b)
            {
                best = Some((Some(i), f));
            }
        }
        best.map(|(w, _)| w)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = if self.lanes.is_empty() {
            self.heap.pop()?
        } else {
            match self.earliest()? {
                None => self.heap.pop()?,
                Some(i) => self.lanes[i].pop_front()?,
            }
        };
        self.now = e.time;
        self.popped += 1;
        Some((e.time, e.event))
    }

    /// Moves the clock forward to `time` without popping (an arrival the loop takes from
    /// outside the queue, before the events queued for the same instant). Never moves it back.
    pub fn advance_to(&mut self, time: SimTime) {
        debug_assert!(time >= self.now, "time runs backwards");
        self.now = self.now.max(time);
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        let heap = self.heap.peek().map(|e| e.time);
        let lanes = self.lanes.iter().filter_map(|l| l.front()).map(|e| e.time);
        heap.into_iter().chain(lanes).min()
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events popped so far (stale ones included): the engine's unit of work.
    pub fn popped(&self) -> u64 {
        self.popped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_order_and_ties_in_insertion_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), "c");
        q.schedule(SimTime(1), "a");
        q.schedule(SimTime(5), "d");
        q.schedule(SimTime(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
    }

    #[test]
    fn lane_events_interleave_with_heap_events_exactly_by_time_then_insertion() {
        // The same schedule calls as the test above, plus lane ones; the expected order is the
        // one a single heap gives: by time, then by call order (the seq counter is shared).
        let mut q = EventQueue::new();
        q.schedule_lane(0, SimTime(5), "c");
        q.schedule(SimTime(1), "a");
        q.schedule(SimTime(5), "d");
        q.schedule_lane(0, SimTime(5), "e");
        q.schedule_lane(1, SimTime(1), "b");
        // Out of order for lane 0 (3 < 5): it must still pop at 3, before "c".
        q.schedule_lane(0, SimTime(3), "b2");
        assert_eq!(q.len(), 6);
        assert_eq!(q.peek_time(), Some(SimTime(1)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, vec!["a", "b", "b2", "c", "d", "e"]);
        assert!(q.is_empty());
        assert_eq!(q.popped(), 6);
    }

    #[test]
    fn scheduling_in_the_past_is_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(10), 1);
        q.pop();
        q.schedule(SimTime(3), 2);
        assert_eq!(q.pop(), Some((SimTime(10), 2)));
    }
}
