//! One scheduling cycle (filter with the adaptive node sample, score, select) on clusters of
//! 500, 5,000 and 15,000 nodes: 60 % Linux, 40 % Windows split over WS2019 and WS2022, Windows
//! tainted, pods with selectors, tolerations and a preferred affinity. Nodes are a third full so
//! resource filters and scores do real work. The cluster is not changed between iterations, so
//! this is the steady-state cost with warm per-pool caches.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hybridsim::model::cluster::{Cluster, Node, NodeState, Pod};
use hybridsim::model::messages::Messages;
use hybridsim::model::*;
use hybridsim::scenario;
use hybridsim::scheduler::Scheduler;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

fn spec(nodes: u32) -> Spec {
    let lin = nodes * 6 / 10;
    let w19 = nodes * 15 / 100;
    let w22 = nodes - lin - w19;
    let text = format!(
        r#"Scenario(name: "bench", duration: "1h",
    pools: [
        (name: "lin", os: Linux, cpu: "8", memory: "32Gi", count: {lin}, labels: {{"tier": "apps"}}),
        (name: "w19", os: Windows, os_version: "10.0.17763.5576", cpu: "8", memory: "32Gi", count: {w19},
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
        (name: "w22", os: Windows, os_version: "10.0.20348.2340", cpu: "8", memory: "32Gi", count: {w22},
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
    ],
    layers: [(name: "l", size: "50MB"), (name: "w", size: "1GB")],
    images: [
        (name: "web:1", platforms: [(os: Linux, layers: ["l"])]),
        (name: "iis:1", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["w"])]),
    ],
    workloads: [
        (name: "web", template: (containers: [(image: "web:1", cpu: "250m", memory: "256Mi")],
            node_selector: {{"kubernetes.io/os": "linux"}},
            affinity: (preferred: [(weight: 10, preference: (match_expressions: [(key: "tier", operator: In, values: ["apps"])]))]))),
        (name: "iis", template: (containers: [(image: "iis:1", cpu: "500m", memory: "1Gi")],
            node_selector: {{"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348"}},
            tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
    ],
)"#
    );
    scenario::load_str(&text, "bench.ron").expect("valid").1
}

fn cluster(spec: &Spec) -> Cluster {
    let mut cl = Cluster::new(spec.pools.len(), spec.images.len());
    for (p, pool) in spec.pools.iter().enumerate() {
        for o in 0..pool.initial_count {
            let id = NodeId::from_idx(cl.nodes.len());
            // A third of each node used, varying so scores differ.
            let used = Res {
                cpu_m: pool.allocatable.cpu_m / 3 + (o as u64 % 7) * 100,
                mem: pool.allocatable.mem / 3,
                pods: 10,
            };
            cl.nodes.push(Node {
                pool: PoolId::from_idx(p),
                ordinal: o,
                state: NodeState::Ready,
                cordoned: false,
                requested: used,
                nonzero: used,
                created_at: 0,
                ready_at: Some(0),
                deleted_at: None,
                version: pool.version,
                sums_at: 0,
            });
            cl.register(id);
            cl.push_node_images();
            cl.pods_on.push(Vec::new());
            // Every third Windows node already has the IIS image.
            if pool.os == Os::Windows && o % 3 == 0 {
                cl.add_node_image(id, ImageId(1));
            }
        }
    }
    for t in 0..2u32 {
        cl.pods
            .push(Pod::new(WorkloadId(t), TemplateId(t), 0, None, 0));
    }
    cl
}

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduling_cycle");
    for &n in &[500u32, 5_000, 15_000] {
        let spec = spec(n);
        let cl = cluster(&spec);
        let mut sched = Scheduler::new(&spec, ChaCha8Rng::seed_from_u64(1));
        let mut msgs = Messages::default();
        let mut i = 0u32;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                // Alternate a Linux and a Windows pod.
                i ^= 1;
                black_box(sched.schedule(&spec, &cl, PodId(i), &mut msgs))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
