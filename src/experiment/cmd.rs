//! The experiment commands (`compare`, `sweep`, `merge`, `plot`, `check`) as functions from
//! their arguments to what to print and the exit code.
//!
//! Owns: the order of steps of each command and its messages. Does not own: argument parsing
//! (`cli::args` hands over typed, bounded values), printing and progress drawing (`cli`, which
//! prints an `Outcome`, exits with its code, and draws progress from the callback given here).
//!
//! Exit codes, as everywhere in hybridsim: 0 success; 1 an assertion failed or an output could
//! not be written; 2 bad input.

use super::{Loaded, Plan, Progress, RunRecord, shard, table};
use crate::report;
use std::path::{Path, PathBuf};

/// What a command prints and how it exits.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Outcome {
    fn bad_input(msg: impl Into<String>) -> Outcome {
        Outcome {
            stderr: msg.into(),
            code: 2,
            ..Default::default()
        }
    }
    fn io_error(msg: impl Into<String>) -> Outcome {
        Outcome {
            stderr: msg.into(),
            code: 1,
            ..Default::default()
        }
    }
}

/// Arguments of `compare` and `sweep`, validated (`cli::args` parses and bounds them).
#[derive(Clone, Debug)]
pub struct ExperimentArgs {
    pub file: PathBuf,
    /// The seeds, in order (at most `MAX_RUNS`).
    pub seeds: Vec<u64>,
    pub out: Option<PathBuf>,
    /// Worker threads, at least 1.
    pub jobs: usize,
    /// `(K, N)`: run slice K (0-based) of N; needs `out`, excludes `plots`.
    pub shard: Option<(usize, usize)>,
    pub plots: bool,
    pub quiet: bool,
    /// Confidence level of the intervals, 0 < c < 1 (`stats::DEFAULT_CONFIDENCE`).
    pub confidence: f64,
    /// `(PATH, [V1, V2, ...])` (sweep only).
    pub sets: Vec<(String, Vec<String>)>,
}

/// Default number of seeds of a compare or sweep.
pub const DEFAULT_SEEDS: u64 = 10;

fn load(file: &Path) -> Result<Loaded, Outcome> {
    super::load(file).map_err(|e| Outcome::bad_input(e.to_string()))
}

fn write(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), Outcome> {
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    report::write_atomically(dir, &refs).map_err(|e| {
        Outcome::io_error(format!(
            "error: cannot write outputs to {}: {e}",
            dir.display()
        ))
    })
}

fn names(files: &[(String, Vec<u8>)]) -> String {
    files
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the outputs of a complete set of records (a full run or a merge) and renders the
/// table.
fn finish(
    meta: &super::PlanMeta,
    records: &[RunRecord],
    out: Option<&Path>,
    plots: bool,
    quiet: bool,
    confidence: f64,
) -> Outcome {
    let (agg, files) = match table::files(meta, records, plots, confidence) {
        Ok(x) => x,
        Err(e) => return Outcome::io_error(format!("error: {e}")),
    };
    let mut stdout = if quiet {
        String::new()
    } else {
        table::render(&agg)
    };
    if let Some(dir) = out {
        if let Err(o) = write(dir, &files) {
            return o;
        }
        if !quiet {
            stdout.push_str(&format!("\nwrote {} to {}\n", names(&files), dir.display()));
        }
    }
    Outcome {
        stdout,
        ..Default::default()
    }
}

/// `compare` (no `sets`) and `sweep`. `progress(done, total)` is called as runs finish.
pub fn experiment(a: &ExperimentArgs, sweep: bool, progress: &Progress<'_>) -> Outcome {
    if sweep && a.sets.is_empty() {
        return Outcome::bad_input("error: sweep needs at least one --set PATH=V1,V2,...");
    }
    if a.shard.is_some() && a.out.is_none() {
        return Outcome::bad_input("error: --shard needs --out DIR to write its shard file into");
    }
    if a.shard.is_some() && a.plots {
        return Outcome::bad_input(
            "error: --plots draws from all runs; pass it to `hybridsim merge` instead of a shard",
        );
    }
    let loaded = match load(&a.file) {
        Ok(l) => l,
        Err(o) => return o,
    };
    // Counted before the plan is built: a grid of --set values multiplies quickly.
    let planned = Plan::count_runs(&loaded, &a.sets, a.seeds.len());
    if planned > super::MAX_RUNS as u128 {
        let values: Vec<String> = a.sets.iter().map(|(_, v)| v.len().to_string()).collect();
        return Outcome::bad_input(format!(
            "error: {planned} runs ({} variants × {} values × {} seeds); at most {} runs fit \
             in one plan: use fewer values or seeds, or split the seeds into several plans",
            loaded.variants.len(),
            if values.is_empty() {
                "1".into()
            } else {
                values.join(" × ")
            },
            a.seeds.len(),
            super::MAX_RUNS
        ));
    }
    let plan = match Plan::sweep(&loaded, &a.sets, a.seeds.clone()) {
        Ok(p) => p,
        Err(e) => return Outcome::bad_input(format!("{}: {e}", a.file.display())),
    };
    let runs = plan.meta.runs();
    let indices: Vec<usize> = match a.shard {
        Some((k, n)) => super::shard_indices(runs, k, n),
        None => (0..runs).collect(),
    };
    let records = match super::run_many(&plan, &indices, a.jobs, progress) {
        Ok(r) => r,
        Err(e) => return Outcome::io_error(format!("error: {e}")),
    };
    match (a.shard, &a.out) {
        (Some((k, n)), Some(dir)) => {
            let file = shard::ShardFile::new(&plan.meta, k, n, &records);
            let bytes = match file.to_bytes() {
                Ok(b) => b,
                Err(e) => return Outcome::io_error(format!("error: {e}")),
            };
            let name = shard::file_name(k, n);
            if let Err(o) = write(dir, &[(name.clone(), bytes)]) {
                return o;
            }
            Outcome {
                stdout: if a.quiet {
                    String::new()
                } else {
                    // The shards of one plan usually share one --out (docs/distributed.md), so
                    // the hint names it; shards written elsewhere are listed after it.
                    format!(
                        "shard {k}/{n}: {} of {runs} runs; wrote {}\nonce all {n} shards are \
                         written, merge them with: hybridsim merge {} --out {}\n",
                        records.len(),
                        dir.join(name).display(),
                        dir.display(),
                        dir.join("merged").display()
                    )
                },
                ..Default::default()
            }
        }
        _ => finish(
            &plan.meta,
            &records,
            a.out.as_deref(),
            a.plots,
            a.quiet,
            a.confidence,
        ),
    }
}

/// `merge DIR... --out OUT`, with intervals at `confidence`.
pub fn merge(inputs: &[PathBuf], out: &Path, plots: bool, quiet: bool, confidence: f64) -> Outcome {
    let paths = match shard::find(inputs) {
        Ok(p) => p,
        Err(e) => return Outcome::bad_input(format!("error: {e}")),
    };
    match shard::merge(&paths) {
        Ok((meta, records)) => finish(&meta, &records, Some(out), plots, quiet, confidence),
        Err(e) => Outcome::bad_input(format!("error: {e}")),
    }
}

/// `plot DIR`.
pub fn plot(dir: &Path) -> Outcome {
    let drawn = if dir.join("compare.json").is_file() {
        table::plot_dir(dir)
    } else {
        report::plots::plot_dir(dir)
    };
    let files = match drawn {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Outcome::bad_input(format!("error: {e}"));
        }
        Err(e) => return Outcome::bad_input(format!("error: cannot plot {}: {e}", dir.display())),
    };
    let files: Vec<(String, Vec<u8>)> =
        files.into_iter().map(|(n, b)| (n.to_string(), b)).collect();
    if let Err(o) = write(dir, &files) {
        return o;
    }
    Outcome {
        stdout: format!("wrote {} to {}\n", names(&files), dir.display()),
        ..Default::default()
    }
}

/// `check FILE [--seed N] [--variants]`.
pub fn check(file: &Path, seed: Option<u64>, variants: bool) -> Outcome {
    let loaded = match load(file) {
        Ok(l) => l,
        Err(o) => return o,
    };
    if loaded.assertions.is_empty() {
        return Outcome::bad_input(format!(
            "{}: the scenario has no `assertions`; nothing to check (see docs/experiments.md)",
            file.display()
        ));
    }
    let targets: Vec<(String, &crate::model::Spec)> = if variants {
        loaded
            .variants
            .iter()
            .map(|v| (format!("variant {}", v.name), &v.spec))
            .collect()
    } else {
        vec![("scenario as written".to_string(), &loaded.base)]
    };
    let mut stdout = String::new();
    let (mut failed, mut total) = (0, 0);
    for (what, spec) in targets {
        let seed = seed.unwrap_or(spec.seed);
        let (_, summary) = super::simulate(spec, seed);
        let value = serde_json::to_value(&summary).expect("summaries serialise");
        let outcomes = match super::evaluate(&loaded.assertions, &value) {
            Ok(o) => o,
            // A variant may remove what an assertion names (a pool, a workload).
            Err(e) => return Outcome::bad_input(format!("{}: {what}: {e}", file.display())),
        };
        stdout.push_str(&format!("{what} (seed {seed}):\n"));
        let width = outcomes
            .iter()
            .map(|o| o.assertion.text.len())
            .max()
            .unwrap_or(0);
        for o in outcomes {
            total += 1;
            // Summary keys ending in `_s` hold seconds (startup_latency_s, phases_s, …).
            let unit = if o.assertion.metric.split('.').any(|k| k.ends_with("_s")) {
                " s"
            } else {
                ""
            };
            let measured = match o.measured {
                Some(m) => format!("measured {m}{unit}"),
                None => "no value (no pod in that group became Ready)".into(),
            };
            if !o.holds {
                failed += 1;
            }
            stdout.push_str(&format!(
                "  {} {:<width$}  {measured}  [{}]\n",
                if o.holds { "ok  " } else { "FAIL" },
                o.assertion.text,
                o.assertion.metric
            ));
        }
    }
    if failed > 0 {
        stdout.push_str(&format!("{failed} of {total} assertion checks failed\n"));
    } else {
        stdout.push_str(&format!("all {total} assertion checks hold\n"));
    }
    Outcome {
        stdout,
        stderr: String::new(),
        code: if failed > 0 { 1 } else { 0 },
    }
}
