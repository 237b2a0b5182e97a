//! `scenarios/scale-small.ron` end to end (500 nodes, ~100 workloads, ~17,000 pods, 24 h).

use criterion::{Criterion, criterion_group, criterion_main};
use hybridsim::scenario;
use hybridsim::simulation;
use std::hint::black_box;

fn scale_small(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/scale-small.ron");
    let spec = scenario::load(std::path::Path::new(path)).expect("valid").1;
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10);
    g.bench_function("scale-small", |b| {
        b.iter(|| black_box(simulation::run(&spec, spec.seed)))
    });
    g.finish();
}

criterion_group!(benches, scale_small);
criterion_main!(benches);
