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

/// 1-based (line, column) of the first `needle` in `text`: where an error about that value must
/// point, found in the test's own text independently of the simulator's locator.
pub fn pos_of(text: &str, needle: &str) -> (usize, usize) {
    pos_after(text, needle, "")
}

/// As `pos_of`, for the first `needle` after the first `after`.
pub fn pos_after(text: &str, needle: &str, after: &str) -> (usize, usize) {
    let start = text.find(after).expect("anchor present");
    let i = start + text[start..].find(needle).expect("needle present");
    let line = text[..i].matches('\n').count() + 1;
    let col = i - text[..i].rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

/// The load errors of `text` read as file `t.ron`; panics if it validates.
pub fn load_errors(text: &str) -> String {
    match scenario::load_str(text, "t.ron") {
        Ok(_) => panic!("validated:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that loading `text` reports, at the position of the first `needle`, an error line
/// that contains `want`.
pub fn assert_error_at(text: &str, needle: &str, want: &str) {
    let err = load_errors(text);
    let (line, col) = pos_of(text, needle);
    let at = format!("t.ron:{line}:{col}: ");
    assert!(
        err.lines().any(|l| l.starts_with(&at) && l.contains(want)),
        "want {at}…{want}\ngot {err}"
    );
}
