//! Helpers shared by the integration tests: build small scenarios from RON snippets and run
//! them.
#![allow(dead_code)]

use hybridsim::model::Spec;
use hybridsim::model::cluster::{Pod, Reason};
use hybridsim::scenario;
use hybridsim::simulation::{self, RunOutput};

pub fn spec(text: &str) -> Spec {
    match scenario::load_str(text, "test.ron") {
        Ok((_, s)) => s,
        Err(e) => panic!("scenario does not load:\n{e}"),
    }
}

pub fn run(text: &str) -> (Spec, RunOutput) {
    let s = spec(text);
    let out = simulation::run(&s, s.seed);
    (s, out)
}

/// The pod named `WORKLOAD-ORDINAL`.
pub fn pod<'a>(spec: &Spec, out: &'a RunOutput, name: &str) -> &'a Pod {
    out.cluster
        .pods
        .iter()
        .find(|p| format!("{}-{}", spec.workloads[p.workload.idx()].name, p.ordinal) == name)
        .unwrap_or_else(|| panic!("no pod {name}"))
}

pub fn attempts(out: &RunOutput, r: Reason) -> u64 {
    out.rec.attempts.get(&r).copied().unwrap_or(0)
}

/// A one-pool Linux scenario with the given pool extras, layers, images and workloads.
pub fn linux_scenario(pool_extra: &str, rest: &str, duration: &str) -> String {
    format!(
        r#"Scenario(
    name: "t",
    duration: "{duration}",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1, {pool_extra})],
    {rest}
)"#
    )
}
