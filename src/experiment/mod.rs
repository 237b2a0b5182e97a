//! Experiments: many runs of one scenario (variants × swept parameters × seeds), their
//! statistics, and the files that compare them.
//!
//! Owns: loading a scenario together with its variants and assertions, the plan of runs, running
//! them in parallel with results independent of the thread count, and the per-run records the
//! outputs are built from. Does not own: the simulation itself, summaries (`report`), plots
//! (`report::plots`) or argument parsing (`cli`).
//!
//! Determinism: every run is one single-threaded `simulation::run(spec, seed)`. rayon only
//! hands runs to threads; the records are collected in plan order (run index = group index ×
//! seeds + seed index), and every output is written in that order, so `--jobs 1` and
//! `--jobs 8` write identical bytes. Each variant runs with the same seeds, and the simulator
//! derives each component's random stream from the seed (per-pool provisioning streams are keyed
//! by the pool's name), so variants share their random draws wherever their structure agrees.

pub mod assertions;
pub mod cmd;
pub mod optimize;
pub mod overlay;
pub mod series;
pub mod shard;
pub mod stats;
pub mod table;
pub mod verdict;

use crate::model::{Os, Spec, WorkloadKind};
use crate::report::{self, stats::Stats};
use crate::scenario::locate::{self, Path};
use crate::scenario::{self, ScenarioError, ScenarioErrors, raw};
use crate::simulation::{self, RunOutput};
use assertions::Assertion;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path as FsPath;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most runs (groups × seeds) one plan may have: each run's record holds every metric of
/// its summary (a few hundred named numbers, ~10–20 KB), so this bounds a plan's records to a
/// few GB. Commands refuse larger plans before building them (`cli::args`, `Plan::count_runs`);
/// a larger study is several plans (other `--seeds` ranges).
pub const MAX_RUNS: usize = 100_000;

/// A progress callback: `(runs done, runs in total)`. Called from worker threads.
pub type Progress<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// The name of the one variant a scenario without `variants` is compared as.
pub const IMPLICIT_BASELINE: &str = "baseline";

/// A variant ready to run.
#[derive(Clone, Debug)]
pub struct VariantSpec {
    pub name: String,
    pub description: String,
    /// The overlaid raw scenario (sweeps overlay it again).
    pub raw: raw::Scenario,
    pub spec: Spec,
}

/// A scenario file with its variants applied and its assertions parsed, all validated.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub file: String,
    pub raw: raw::Scenario,
    /// The scenario as written, without any variant: what `run` and `check` (without
    /// `--variants`) simulate.
    pub base: Spec,
    /// The declared variants, or one implicit `baseline` equal to the base.
    pub variants: Vec<VariantSpec>,
    pub assertions: Vec<Assertion>,
}

fn located(text: &str, file: &str, path: &Path, message: String) -> ScenarioError {
    let pos = locate::locate(text, path);
    ScenarioError {
        file: file.to_string(),
        line: pos.map(|p| p.0),
        col: pos.map(|p| p.1),
        message,
    }
}

/// The summary a run of `spec` has, with every key present, computed without simulating
/// (validation never runs the simulation: a scenario of millions of nodes validates in
/// milliseconds). Assertions are checked against it so that a misspelt metric is an error
/// before anything runs, not a silent pass afterwards.
pub fn summary_shape(spec: &Spec) -> Value {
    let out = RunOutput::empty(spec, spec.seed);
    serde_json::to_value(report::Summary::new(spec, &out)).expect("summaries serialise")
}

/// Whether a missing key under this metric means zero rather than a typo: the scheduler's
/// reasons appear in `unschedulable_reasons`, and a workload's failure reasons in
/// `workloads.NAME.failures`, only once they occurred (the latter only for real reason names).
fn zero_when_absent(metric: &str) -> bool {
    if metric.starts_with("unschedulable_reasons.") {
        return true;
    }
    let mut parts = metric.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("workloads"), Some(_), Some("failures"), Some(reason), None)
            if crate::model::cluster::Reason::ALL.iter().any(|r| r.as_str() == reason)
    )
}

/// Checks that every assertion names a metric of `shape`.
pub fn check_metrics(assertions: &[Assertion], shape: &Value) -> Vec<(usize, String)> {
    assertions
        .iter()
        .enumerate()
        .filter(|(_, a)| !zero_when_absent(&a.metric))
        .filter_map(|(i, a)| assertions::lookup(shape, &a.metric).err().map(|e| (i, e)))
        .collect()
}

/// Evaluates assertions on one run's summary.
pub fn evaluate(
    assertions: &[Assertion],
    summary: &Value,
) -> Result<Vec<assertions::Outcome>, String> {
    assertions
        .iter()
        .map(|a| match assertions::evaluate(a, summary) {
            Err(_) if zero_when_absent(&a.metric) => {
                let mut zero = summary.clone();
                let _ = overlay::set_path(&mut zero, &a.metric, Value::from(0));
                assertions::evaluate(a, &zero)
            }
            r => r,
        })
        .collect()
}

/// Reads, parses and validates a scenario with its variants and assertions. Every problem is
/// reported as `FILE:LINE:COL: message`; problems inside a variant name it.
pub fn load(path: &FsPath) -> Result<Loaded, ScenarioErrors> {
    let (text, file) = crate::scenario::read_text(path)?;
    load_str(&text, &file)
}

/// What `run --variant NAME --set PATH=VALUE ...` simulates: the scenario as written (or its
/// declared variant `variant`), with each `(path, value)` overlaid in order exactly as `sweep`
/// overlays one combination of its values, and validated again; with the scenario's
/// assertions (a variant keeps them). Errors are whole messages.
pub fn load_variant(
    path: &FsPath,
    variant: Option<&str>,
    sets: &[(String, String)],
) -> Result<(Spec, Vec<Assertion>), String> {
    let loaded = load(path).map_err(|e| e.to_string())?;
    let assertions = loaded.assertions.clone();
    let chosen = match variant {
        None => VariantSpec {
            name: IMPLICIT_BASELINE.into(),
            description: String::new(),
            raw: {
                let mut r = loaded.raw.clone();
                r.variants.clear();
                r
            },
            spec: loaded.base.clone(),
        },
        Some(name) => {
            if loaded.raw.variants.is_empty() {
                return Err(format!(
                    "{}: --variant {name}: the scenario declares no variants",
                    path.display()
                ));
            }
            match loaded.variants.iter().find(|v| v.name == name) {
                Some(v) => v.clone(),
                None => {
                    let names: Vec<&str> =
                        loaded.variants.iter().map(|v| v.name.as_str()).collect();
                    return Err(format!(
                        "{}: --variant {name}: no such variant; the scenario declares {}",
                        path.display(),
                        names.join(", ")
                    ));
                }
            }
        }
    };
    if sets.is_empty() {
        return Ok((chosen.spec, assertions));
    }
    let one = Loaded {
        variants: vec![chosen],
        ..loaded
    };
    let sets: Vec<(String, Vec<String>)> = sets
        .iter()
        .map(|(p, v)| (p.clone(), vec![v.clone()]))
        .collect();
    // One variant × one combination × one seed: the plan's only spec. The seed is the
    // caller's business (`run --seed`), so any value does here.
    let plan = Plan::sweep(&one, &sets, vec![0]).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = plan.specs.into_iter().next().expect("one group");
    Ok((spec, assertions))
}

/// `load` on text already read; `file` names it in errors and anchors relative paths.
pub fn load_str(text: &str, file: &str) -> Result<Loaded, ScenarioErrors> {
    let raw = scenario::parse_raw(text, file)?;
    let checked = check_all(raw, text, file, Keep::All)?;
    let raw = checked.raw;
    let mut variants = checked.variants;
    if variants.is_empty() {
        variants.push(VariantSpec {
            name: IMPLICIT_BASELINE.into(),
            description: "the scenario as written".into(),
            raw: {
                let mut r = raw.clone();
                r.variants.clear();
                r
            },
            spec: checked.base.clone(),
        });
    }
    Ok(Loaded {
        file: file.to_string(),
        raw,
        base: checked.base,
        variants,
        assertions: checked.assertions,
    })
}

/// What `run`, `bench` and `validate` need of a scenario file: its base spec and its
/// assertions, with the file's variants and assertions validated as `load` validates them.
/// Nothing else is kept: the raw scenario is dropped once everything is checked and each
/// variant's spec as soon as it has passed, so a scenario of 100k workloads is held once (as
/// a `Spec`), not four times (raw and spec, and their copies as the implicit baseline).
pub fn load_base(path: &FsPath) -> Result<(Spec, Vec<Assertion>), ScenarioErrors> {
    let (text, file) = crate::scenario::read_text(path)?;
    let raw = scenario::parse_raw(&text, &file)?;
    let checked = check_all(raw, &text, &file, Keep::BaseOnly)?;
    Ok((checked.base, checked.assertions))
}

/// Whether `check_all` keeps the variants' specs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    All,
    BaseOnly,
}

/// A scenario file, validated with its variants and assertions.
struct Checked {
    raw: raw::Scenario,
    base: Spec,
    /// Empty with `Keep::BaseOnly`, and when the file declares none.
    variants: Vec<VariantSpec>,
    assertions: Vec<Assertion>,
}

/// Validates `raw` (parsed from `text`), each of its variants and its assertions, reporting
/// every problem located in `text`. With `Keep::BaseOnly` no variant is kept.
fn check_all(
    raw: raw::Scenario,
    text: &str,
    file: &str,
    keep: Keep,
) -> Result<Checked, ScenarioErrors> {
    let base = scenario::validate_raw(&raw, text, file)?;
    let base_dir = FsPath::new(file).parent();
    let mut errs = Vec::new();
    let root = Path::root();
    let mut variants = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, v) in raw.variants.iter().enumerate() {
        let vp = root.field("variants").index(i);
        if let Some(e) = scenario::validate::variants::name_problem(&v.name, &mut seen) {
            errs.push(located(text, file, &vp.field("name"), e));
            continue;
        }
        let overlaid = match overlay::apply_variant(&raw, v) {
            Ok(r) => r,
            Err((at, msg)) => {
                let p = match at {
                    Some(j) => vp.field("changes").index(j),
                    None => vp.clone(),
                };
                errs.push(located(
                    text,
                    file,
                    &p,
                    format!("variant \"{}\": {msg}", v.name),
                ));
                continue;
            }
        };
        match scenario::validate::validate_in(&overlaid, base_dir) {
            Ok(spec) if keep == Keep::All => variants.push(VariantSpec {
                name: v.name.clone(),
                description: v.description.clone(),
                raw: overlaid,
                spec,
            }),
            Ok(_) => {}
            Err(diags) => {
                for d in diags {
                    errs.push(located(
                        text,
                        file,
                        &vp,
                        format!(
                            "variant \"{}\": after its changes, {}: {}",
                            v.name, d.path, d.message
                        ),
                    ));
                }
            }
        }
    }
    let mut parsed = Vec::new();
    for (i, a) in raw.assertions.iter().enumerate() {
        match assertions::parse(a) {
            Ok(a) => parsed.push(a),
            Err(e) => errs.push(located(text, file, &root.field("assertions").index(i), e)),
        }
    }
    if parsed.len() == raw.assertions.len() && !parsed.is_empty() {
        let shape = summary_shape(&base);
        for (i, e) in check_metrics(&parsed, &shape) {
            errs.push(located(text, file, &root.field("assertions").index(i), e));
        }
    }
    if !errs.is_empty() {
        return Err(ScenarioErrors(errs));
    }
    Ok(Checked {
        raw,
        base,
        variants,
        assertions: parsed,
    })
}

/// One group of runs: a variant, with the swept values applied (none for `compare`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupMeta {
    pub variant: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Swept values as given on the command line, in `PlanMeta::params` order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
}

/// What a set of runs is, independent of the machine that runs it: enough for `merge` to
/// rebuild the outputs and to refuse shards of a different plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanMeta {
    pub scenario: String,
    /// FNV-1a of the scenario (as parsed, so comments and layout do not count), the swept
    /// values and the seeds.
    pub scenario_hash: String,
    /// Swept paths (`--set`), in command-line order.
    pub params: Vec<String>,
    pub groups: Vec<GroupMeta>,
    pub seeds: Vec<u64>,
    /// The scenario's startup-latency SLOs, for the plots (`assertions::slo_lines`).
    /// Omitted when none, so plans without them keep their shard bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<report::SloLine>,
}

impl PlanMeta {
    pub fn runs(&self) -> usize {
        self.groups.len() * self.seeds.len()
    }
    /// (group, seed) of run `i`.
    pub fn at(&self, i: usize) -> (usize, u64) {
        let n = self.seeds.len();
        (i / n, self.seeds[i % n])
    }
    /// Several declared variants: labels name the variant as well as the swept values.
    pub fn multi_variant(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g.variant != self.groups[0].variant)
    }
    /// The name a group goes by in tables and legends.
    pub fn label(&self, g: usize) -> String {
        group_label(
            &self.groups[g].variant,
            &self.params,
            &self.groups[g].params,
            self.multi_variant(),
        )
    }
}

/// `variant`, `path=value, …` or `variant path=value, …`.
pub fn group_label(variant: &str, paths: &[String], values: &[String], multi: bool) -> String {
    if paths.is_empty() {
        return variant.to_string();
    }
    let kv: Vec<String> = paths
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{p}={v}"))
        .collect();
    if multi {
        format!("{variant} {}", kv.join(", "))
    } else {
        kv.join(", ")
    }
}

/// A plan with the validated spec of every group.
#[derive(Clone, Debug)]
pub struct Plan {
    pub meta: PlanMeta,
    pub specs: Vec<Spec>,
}

fn hash_of(raw: &raw::Scenario, sets: &[(String, Vec<String>)], seeds: &[u64]) -> String {
    let v = serde_json::json!({ "scenario": raw, "sets": sets, "seeds": seeds });
    crate::engine::hash::fnv1a64_hex(v.to_string().as_bytes())
}

impl Plan {
    /// The number of runs `Plan::sweep(loaded, sets, seeds)` would have (variants × the product
    /// of the value counts × seeds), computed without building it; u128 so that no product of
    /// command-line counts overflows.
    pub fn count_runs(loaded: &Loaded, sets: &[(String, Vec<String>)], seeds: usize) -> u128 {
        sets.iter()
            .map(|(_, v)| v.len() as u128)
            .fold(loaded.variants.len() as u128 * seeds as u128, |a, b| {
                a.saturating_mul(b)
            })
    }

    /// Every variant × seed.
    pub fn compare(loaded: &Loaded, seeds: Vec<u64>) -> Plan {
        Plan::sweep(loaded, &[], seeds).expect("a compare has no swept value to reject")
    }

    /// Every variant × combination of swept values × seed. The combinations vary the last
    /// `--set` fastest.
    pub fn sweep(
        loaded: &Loaded,
        sets: &[(String, Vec<String>)],
        seeds: Vec<u64>,
    ) -> Result<Plan, String> {
        let mut combos: Vec<Vec<String>> = vec![Vec::new()];
        for (_, values) in sets {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        let base_dir = FsPath::new(&loaded.file).parent();
        let mut groups = Vec::new();
        let mut specs = Vec::new();
        let mut errors = Vec::new();
        for v in &loaded.variants {
            for combo in &combos {
                let spec = if sets.is_empty() {
                    v.spec.clone()
                } else {
                    let mut val = overlay::to_value(&v.raw);
                    let what = || {
                        let kv: Vec<String> = sets
                            .iter()
                            .zip(combo)
                            .map(|((p, _), x)| format!("{p}={x}"))
                            .collect();
                        format!("variant \"{}\" with {}", v.name, kv.join(", "))
                    };
                    let mut failed = false;
                    for ((path, _), value) in sets.iter().zip(combo) {
                        if let Err(e) =
                            overlay::set_path(&mut val, path, overlay::parse_value(value))
                        {
                            errors.push(format!("{}: {e}", what()));
                            failed = true;
                            break;
                        }
                    }
                    if failed {
                        continue;
                    }
                    let r = match overlay::from_value(val) {
                        Ok(r) => r,
                        Err(e) => {
                            errors.push(format!("{}: {e}", what()));
                            continue;
                        }
                    };
                    match scenario::validate::validate_in(&r, base_dir) {
                        Ok(s) => s,
                        Err(diags) => {
                            for d in diags {
                                errors.push(format!("{}: {}: {}", what(), d.path, d.message));
                            }
                            continue;
                        }
                    }
                };
                // The implicit baseline's description ("the scenario as written") is not true
                // of a group with swept values, whose label says what it is.
                let description = if combo.is_empty() || !loaded.raw.variants.is_empty() {
                    v.description.clone()
                } else {
                    String::new()
                };
                groups.push(GroupMeta {
                    variant: v.name.clone(),
                    description,
                    params: combo.clone(),
                });
                specs.push(spec);
            }
        }
        if !errors.is_empty() {
            errors.dedup();
            return Err(errors.join("\n"));
        }
        Ok(Plan {
            meta: PlanMeta {
                scenario: loaded.raw.name.clone(),
                scenario_hash: hash_of(&loaded.raw, sets, &seeds),
                params: sets.iter().map(|(p, _)| p.clone()).collect(),
                groups,
                seeds,
                slo: assertions::slo_lines(&loaded.assertions),
            },
            specs,
        })
    }
}

/// Startup of the Deployment pods of one run, for the CDF: ready latencies by the OS of the
/// node they ran on, and the pods that never became Ready.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PodSample {
    /// created → Ready in ms, pods on Linux nodes.
    pub linux_ms: Vec<u64>,
    pub windows_ms: Vec<u64>,
    /// Pods never Ready: on Linux nodes, on Windows nodes, never bound.
    pub not_ready: [u64; 3],
}

/// What one run leaves for the outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    pub index: usize,
    /// Flattened metrics in a fixed order: the `apps.*` figures, then summary.json's numbers.
    pub metrics: Vec<(String, Option<f64>)>,
    pub pods: PodSample,
    /// Nodes and waiting pods over time (`series`).
    pub series: series::RunSeries,
}

/// Keys of summary.json that are not per-run measurements (or not numbers) and stay out of
/// compare.csv: they are the same on every row or are free-form text.
const SKIPPED: [&str; 4] = ["scenario", "seed", "duration_s", "unschedulable_reasons"];

/// Numeric leaves of a summary as `dotted.path → value` (null → None), in the summary's order.
/// A workload's `failures` lists only the reasons that occurred; here every reason of the
/// top-level `failures` is filled in with 0, so that the columns depend on the scenario and not
/// on what happened in a run.
pub fn flatten(summary: &Value) -> Vec<(String, Option<f64>)> {
    let mut summary = summary.clone();
    let reasons: Vec<String> = summary["failures"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(wls) = summary.get_mut("workloads").and_then(Value::as_object_mut) {
        for w in wls.values_mut() {
            if let Some(f) = w.get_mut("failures").and_then(Value::as_object_mut) {
                for r in &reasons {
                    f.entry(r.clone()).or_insert(Value::from(0));
                }
            }
        }
    }
    flatten_value(&summary)
}

fn flatten_value(summary: &Value) -> Vec<(String, Option<f64>)> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<(String, Option<f64>)>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    if prefix.is_empty() && SKIPPED.contains(&k.as_str()) {
                        continue;
                    }
                    walk(&p, v, out);
                }
            }
            Value::Number(n) => out.push((prefix.to_string(), n.as_f64())),
            Value::Null => out.push((prefix.to_string(), None)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", summary, &mut out);
    out
}

/// The `apps.*` columns, in the order compare.csv lists them (first).
pub const APP_COLUMNS: [&str; 20] = [
    "apps.pods",
    "apps.never_ready",
    "apps.startup_latency_s.all.count",
    "apps.startup_latency_s.all.mean",
    "apps.startup_latency_s.all.p50",
    "apps.startup_latency_s.all.p90",
    "apps.startup_latency_s.all.p99",
    "apps.startup_latency_s.all.max",
    "apps.startup_latency_s.linux.count",
    "apps.startup_latency_s.linux.mean",
    "apps.startup_latency_s.linux.p50",
    "apps.startup_latency_s.linux.p90",
    "apps.startup_latency_s.linux.p99",
    "apps.startup_latency_s.linux.max",
    "apps.startup_latency_s.windows.count",
    "apps.startup_latency_s.windows.mean",
    "apps.startup_latency_s.windows.p50",
    "apps.startup_latency_s.windows.p90",
    "apps.startup_latency_s.windows.p99",
    "apps.startup_latency_s.windows.max",
];

fn stats_cols(prefix: &str, s: &Stats, out: &mut Vec<(String, Option<f64>)>) {
    out.push((format!("{prefix}.count"), Some(s.count as f64)));
    for (k, v) in [
        ("mean", s.mean),
        ("p50", s.p50),
        ("p90", s.p90),
        ("p99", s.p99),
        ("max", s.max),
    ] {
        out.push((format!("{prefix}.{k}"), v));
    }
}

/// Figures over Deployment pods only. DaemonSet pods are infrastructure (a pre-pull DaemonSet
/// does the slow pull itself), so counting them would charge the strategy that adds one with
/// exactly the wait it removes from the applications.
pub fn app_metrics(spec: &Spec, out: &RunOutput) -> (Vec<(String, Option<f64>)>, PodSample) {
    let mut sample = PodSample::default();
    let mut created = 0u64;
    for p in &out.cluster.pods {
        if spec.workloads[p.workload.idx()].kind != WorkloadKind::Deployment {
            continue;
        }
        created += 1;
        let os = p.node.map(|n| spec.pool(out.cluster.node(n).pool).os);
        match (p.ready, os) {
            (Some(r), Some(Os::Linux)) => sample.linux_ms.push(r - p.created),
            (Some(r), Some(Os::Windows)) => sample.windows_ms.push(r - p.created),
            (Some(_), None) => {}
            (None, Some(Os::Linux)) => sample.not_ready[0] += 1,
            (None, Some(Os::Windows)) => sample.not_ready[1] += 1,
            (None, None) => sample.not_ready[2] += 1,
        }
    }
    let mut m = vec![
        ("apps.pods".to_string(), Some(created as f64)),
        (
            "apps.never_ready".to_string(),
            Some(sample.not_ready.iter().sum::<u64>() as f64),
        ),
    ];
    let mut all: Vec<u64> = sample
        .linux_ms
        .iter()
        .chain(&sample.windows_ms)
        .copied()
        .collect();
    stats_cols(
        "apps.startup_latency_s.all",
        &Stats::of_ms(&mut all),
        &mut m,
    );
    stats_cols(
        "apps.startup_latency_s.linux",
        &Stats::of_ms(&mut sample.linux_ms.clone()),
        &mut m,
    );
    stats_cols(
        "apps.startup_latency_s.windows",
        &Stats::of_ms(&mut sample.windows_ms.clone()),
        &mut m,
    );
    sample.linux_ms.sort_unstable();
    sample.windows_ms.sort_unstable();
    (m, sample)
}

/// Simulates one spec and seed; returns the summary as JSON with the run.
/// No per-pod file is written and the app metrics count Deployment pods only, so finished
/// trace pods are given back as the run goes (`simulation::run_for_summary`).
pub fn simulate(spec: &Spec, seed: u64) -> (RunOutput, report::Summary) {
    let out = simulation::run_for_summary(spec, seed);
    let summary = report::Summary::new(spec, &out);
    (out, summary)
}

/// Runs plan entry `index`.
pub fn run_one(plan: &Plan, index: usize) -> RunRecord {
    let (g, seed) = plan.meta.at(index);
    let spec = &plan.specs[g];
    let (out, summary) = simulate(spec, seed);
    let (mut metrics, pods) = app_metrics(spec, &out);
    metrics.extend(flatten(
        &serde_json::to_value(&summary).expect("summaries serialise"),
    ));
    RunRecord {
        index,
        metrics,
        pods,
        series: series::RunSeries::of_run(spec, &out),
    }
}

/// Runs the given plan entries on `jobs` threads and returns their records in the order of
/// `indices`, whatever order they finished in. `progress(done, total)` is called once per
/// finished run, from the worker thread that finished it (the caller draws; this module never
/// touches the terminal).
pub fn run_many(
    plan: &Plan,
    indices: &[usize],
    jobs: usize,
    progress: &Progress<'_>,
) -> Result<Vec<RunRecord>, String> {
    let done = AtomicUsize::new(0);
    let total = indices.len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| format!("cannot start {jobs} worker threads: {e}"))?;
    Ok(pool.install(|| {
        // An indexed parallel iterator collects in input order, not completion order.
        indices
            .par_iter()
            .map(|&i| {
                let r = run_one(plan, i);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                r
            })
            .collect()
    }))
}

/// The run indices shard K of N takes: every i with i % N == K.
pub fn shard_indices(runs: usize, k: usize, n: usize) -> Vec<usize> {
    (0..runs).filter(|i| i % n == k).collect()
}
