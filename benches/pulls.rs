//! The image-pull path end to end: one Windows node, 40 pods over 8 images that share a Server
//! Core base, serialized and parallel pulls (download sharing, in-order extraction, layer
//! de-duplication), plus the kubelet start path around them.

use criterion::{Criterion, criterion_group, criterion_main};
use hybridsim::scenario;
use hybridsim::simulation;
use std::hint::black_box;

fn scenario_text(parallel: bool) -> String {
    let mut layers = String::from(
        r#"(name: "base", size: "1.3GB", unpacked: "3GB"), (name: "delta", size: "600MB", unpacked: "900MB"),"#,
    );
    let mut images = String::new();
    let mut workloads = String::new();
    for i in 0..8 {
        layers.push_str(&format!(r#"(name: "app{i}", size: "{}MB"),"#, 20 + 10 * i));
        images.push_str(&format!(
            r#"(name: "app{i}:1", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["base", "delta", "app{i}"])]),"#
        ));
        workloads.push_str(&format!(
            r#"(name: "w{i}", replicas: 5, template: (containers: [(image: "app{i}:1", cpu: "50m")])),"#
        ));
    }
    let kubelet = if parallel {
        r#"kubelet: (serialize_image_pulls: false, max_parallel_image_pulls: 4),"#
    } else {
        ""
    };
    format!(
        r#"Scenario(name: "pulls", duration: "2h", {kubelet}
    pools: [(name: "w", os: Windows, os_version: "10.0.20348.2340", cpu: "64", memory: "256Gi", count: 1)],
    layers: [{layers}], images: [{images}], workloads: [{workloads}])"#
    )
}

fn pulls(c: &mut Criterion) {
    let mut g = c.benchmark_group("image_pull_path");
    for (name, parallel) in [("serialized", false), ("parallel4", true)] {
        let spec = scenario::load_str(&scenario_text(parallel), "pulls.ron")
            .expect("valid")
            .1;
        g.bench_function(name, |b| b.iter(|| black_box(simulation::run(&spec, 1))));
    }
    g.finish();
}

criterion_group!(benches, pulls);
criterion_main!(benches);
