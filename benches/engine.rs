//! The event queue under the classic hold model: with N events pending, pop the earliest and
//! schedule a new one a random time later, so the queue stays at N.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hybridsim::engine::{EventQueue, SimTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue_hold");
    for &n in &[1_000usize, 100_000, 1_000_000] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut q: EventQueue<u64> = EventQueue::with_capacity(n + 1);
        for i in 0..n {
            q.schedule(SimTime(rng.random_range(0..1_000_000)), i as u64);
        }
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let (t, e) = q.pop().expect("queue holds n events");
                q.schedule(SimTime(t.0 + rng.random_range(1..1_000_000)), black_box(e));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
