//! `optimize`: the cheapest configuration that meets every constraint at the end of its
//! confidence interval, found with as few runs as the intervals allow.
//!
//! Owns: the search space (`--set PATH[+PATH…]=VALUES` over every declared variant), the
//! adaptive search (`search`, generic over how a run is measured so it can be tested on
//! numbers chosen by hand), the verdict of a candidate, the Pareto fronts, the winner and its
//! margins, and the files and table that report them. Does not own: the simulation, the
//! interval arithmetic (`stats`), the assertion grammar (`assertions`), the drawing
//! (`report::plots`) or printing (`cli`).
//!
//! The search, in rounds: every candidate runs seeds `first .. first + initial`; after each
//! round each constraint is judged on the confidence interval of its metric's mean (an upper
//! bound `<`/`<=` holds when the interval's upper end meets it and fails when even the lower
//! end misses it; a lower bound mirrored, as `check --seeds` judges). A candidate whose every
//! constraint holds is feasible, one with any failed constraint is out; the rest are open and
//! get their seed count doubled (capped at `max_seeds`) in the next round, unless a feasible
//! candidate already beats them outright on the objective (its interval's upper end below
//! their lower end). The search ends when no candidate is open, at the seed cap, or when the
//! next round would pass `max_runs`. Every candidate uses the same seeds, so candidates share
//! their random draws wherever their structure agrees (common random numbers).
//!
//! Determinism: rounds are decided only from values collected in (candidate, seed) order, and
//! every run is one single-threaded simulation, so the outputs are the same bytes for any
//! `--jobs`.

use super::assertions::{self, Assertion, Op};
use super::cmd::Outcome;
use super::stats::Estimate;
use super::{GroupMeta, Loaded, Plan, PlanMeta, Progress, overlay};
use crate::model::Spec;
use crate::report;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The most candidates (variants × value combinations) one search may have: each is a
/// validated spec held in memory, and each needs at least `--seeds` runs.
pub const MAX_CANDIDATES: usize = 10_000;

/// Default `--max-runs`: about a minute of morning-peak runs on 2 cores.
pub const DEFAULT_MAX_RUNS: usize = 2_000;

/// The options of `optimize` (docs/experiments.md#optimize), flattened into the subcommand so
/// that `cli` only wires it.
#[derive(clap::Args, Clone, Debug)]
pub struct OptimizeCli {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// A dimension of the search space: `PATH=V1,V2,...`, `PATH=A..B` (integers, both ends
    /// included), or several paths set together, `P1+P2=V,...` (each value one for all, or
    /// `x;y` one per path). Repeatable: the space is the product, times every variant.
    #[arg(long = "set", value_name = "PATH[+PATH...]=VALUES")]
    pub sets: Vec<String>,
    /// Only these declared variants (repeatable; default: every variant).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// The metric to minimise (its mean over seeds): a compare.csv column, e.g. cost.total,
    /// nodes.win-apps.node_hours, apps.startup_latency_s.windows.p99.
    #[arg(long, default_value = "cost.total", value_name = "METRIC")]
    pub objective: String,
    /// A constraint in the assertion syntax, judged on its confidence interval, e.g.
    /// 'windows p99 startup <= 300s' (repeatable; default: the scenario's assertions).
    #[arg(long = "constraint", value_name = "ASSERTION")]
    pub constraints: Vec<String>,
    /// Seeds every candidate runs first (2 to 1000).
    #[arg(long, default_value = "3", value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub seeds: u64,
    /// The most seeds a candidate whose verdict is still open gets (2 to 10000).
    #[arg(long, default_value = "30", value_parser = clap::value_parser!(u64).range(2..=10000))]
    pub max_seeds: u64,
    /// The first seed; candidates run seeds FIRST, FIRST+1, ...
    #[arg(long, default_value = "1", value_name = "FIRST")]
    pub first_seed: u64,
    /// The most runs the whole search may make (1 to 100000); a round that would pass it is
    /// not started and its open candidates are reported as undecided.
    #[arg(long, default_value_t = DEFAULT_MAX_RUNS as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_runs: u64,
    /// Confidence level of the intervals (Student t), between 0 and 1 exclusive.
    #[arg(long, value_name = "LEVEL", default_value = "0.95")]
    pub confidence: f64,
    /// Worker threads (default: all cores). Outputs do not depend on it.
    #[arg(long, value_name = "J", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub jobs: Option<u64>,
    /// Directory to write optimize.csv, optimize.json and frontier.csv into.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw the frontier and metric-vs-parameter plots (SVG and PNG) into --out.
    #[arg(long, requires = "out")]
    pub plots: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

// ---------------------------------------------------------------------------------------------
// The search space

/// The values of one dimension, kept unexpanded until the space is counted.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    List(Vec<String>),
    /// Integers from..=to.
    Range(i64, i64),
}

impl Values {
    fn len(&self) -> u128 {
        match self {
            Values::List(v) => v.len() as u128,
            Values::Range(a, b) => (*b as i128 - *a as i128 + 1) as u128,
        }
    }
    fn expand(&self) -> Vec<String> {
        match self {
            Values::List(v) => v.clone(),
            Values::Range(a, b) => (*a..=*b).map(|i| i.to_string()).collect(),
        }
    }
}

/// One dimension: paths set together to one value (or one value each).
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// `NAME:` given before the paths, for tables and plots.
    pub name: Option<String>,
    pub paths: Vec<String>,
    pub values: Values,
}

impl Param {
    /// Its `NAME:`, else `P1+P2`: the name in tables, file headers and plots.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.paths.join("+"))
    }
}

/// Parses `[NAME:]PATH[+PATH...]=V1,V2,...` or `[NAME:]PATH=A..B`.
pub fn parse_param(text: &str) -> Result<Param, String> {
    let (paths, values) = text.split_once('=').ok_or_else(|| {
        format!("--set {text}: expected PATH=V1,V2,... or PATH=A..B (e.g. 'pools[win].count=1..6')")
    })?;
    // A name ends at the first `:` before any `[`, so element names may hold colons.
    let (name, paths) = match paths.find(':') {
        Some(i) if paths.find('[').is_none_or(|b| i < b) => {
            let name = paths[..i].trim();
            if name.is_empty() {
                return Err(format!("--set {text}: empty name before `:`"));
            }
            (Some(name.to_string()), &paths[i + 1..])
        }
        _ => (None, paths),
    };
    let paths: Vec<String> = paths.split('+').map(|p| p.trim().to_string()).collect();
    for p in &paths {
        overlay::OverlayPath::parse(p).map_err(|e| format!("--set {text}: {e}"))?;
    }
    let v = values.trim();
    let range = v.split_once("..").and_then(|(a, b)| {
        Some((
            a.trim().parse::<i64>().ok()?,
            b.trim().trim_start_matches('=').parse::<i64>().ok()?,
        ))
    });
    let values = match range {
        Some((a, b)) if b < a => {
            return Err(format!("--set {text}: the range {a}..{b} is empty"));
        }
        Some((a, b)) => Values::Range(a, b),
        None => {
            let list = split_list(v);
            if list.iter().any(String::is_empty) {
                return Err(format!("--set {text}: empty value"));
            }
            for x in &list {
                let n = split_tuple(x).len();
                if n != 1 && n != paths.len() {
                    return Err(format!(
                        "--set {text}: the value \"{x}\" has {n} parts separated by `;`, \
                         expected 1 (for every path) or {} (one per path)",
                        paths.len()
                    ));
                }
            }
            Values::List(list)
        }
    };
    Ok(Param {
        name,
        paths,
        values,
    })
}

/// Splits `V1,V2,...` at the commas outside brackets and quotes, so that JSON values
/// (`{"a":1,"b":2}`) stay whole (as `sweep --set` splits them).
fn split_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    let mut cur = String::new();
    for c in text.chars() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else {
            match c {
                '"' => in_str = true,
                '[' | '{' | '(' => depth += 1,
                ']' | '}' | ')' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(std::mem::take(&mut cur).trim().to_string());
                    continue;
                }
                _ => {}
            }
        }
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

fn split_tuple(v: &str) -> Vec<&str> {
    v.split(';').map(str::trim).collect()
}

/// The candidates' specs and names: every chosen variant × combination (the last `--set`
/// varies fastest), validated.
fn build(
    loaded: &Loaded,
    variants: &[String],
    params: &[Param],
    seeds: Vec<u64>,
) -> Result<Plan, String> {
    let chosen: Vec<&super::VariantSpec> = if variants.is_empty() {
        loaded.variants.iter().collect()
    } else {
        let mut out = Vec::new();
        for name in variants {
            match loaded.variants.iter().find(|v| &v.name == name) {
                Some(v) => out.push(v),
                None => {
                    let names: Vec<&str> =
                        loaded.variants.iter().map(|v| v.name.as_str()).collect();
                    return Err(format!(
                        "--variant {name}: no such variant; the scenario has {}",
                        names.join(", ")
                    ));
                }
            }
        }
        out
    };
    let expanded: Vec<Vec<String>> = params.iter().map(|p| p.values.expand()).collect();
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for values in &expanded {
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
    let base_dir = Path::new(&loaded.file).parent();
    let (mut groups, mut specs, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for v in &chosen {
        for combo in &combos {
            let what = || {
                let kv: Vec<String> = params
                    .iter()
                    .zip(combo)
                    .map(|(p, x)| format!("{}={x}", p.label()))
                    .collect();
                format!("variant \"{}\" with {}", v.name, kv.join(", "))
            };
            let spec = if params.is_empty() {
                v.spec.clone()
            } else {
                let mut val = overlay::to_value(&v.raw);
                let mut failed = None;
                'set: for (p, value) in params.iter().zip(combo) {
                    let parts = split_tuple(value);
                    for (i, path) in p.paths.iter().enumerate() {
                        let x = if parts.len() == 1 { parts[0] } else { parts[i] };
                        if let Err(e) = overlay::set_path(&mut val, path, overlay::parse_value(x)) {
                            failed = Some(e);
                            break 'set;
                        }
                    }
                }
                if let Some(e) = failed {
                    errors.push(format!("{}: {e}", what()));
                    continue;
                }
                let r = match overlay::from_value(val) {
                    Ok(r) => r,
                    Err(e) => {
                        errors.push(format!("{}: {e}", what()));
                        continue;
                    }
                };
                match crate::scenario::validate::validate_in(&r, base_dir) {
                    Ok(s) => s,
                    Err(diags) => {
                        for d in diags {
                            errors.push(format!("{}: {}: {}", what(), d.path, d.message));
                        }
                        continue;
                    }
                }
            };
            groups.push(GroupMeta {
                variant: v.name.clone(),
                description: String::new(),
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
            scenario_hash: String::new(),
            params: params.iter().map(Param::label).collect(),
            groups,
            seeds,
            slo: super::assertions::slo_lines(&loaded.assertions),
        },
        specs,
    })
}

// ---------------------------------------------------------------------------------------------
// Verdicts

/// A constraint's state after a round.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The decisive end of the interval meets the bound.
    Holds,
    /// Even the other end misses it, or a seed measured no value: more seeds will not help.
    Fails,
    /// The interval straddles the bound.
    Open,
}

/// A candidate's state.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every constraint holds.
    Feasible,
    /// A constraint fails.
    Infeasible,
    /// Still open, but a feasible candidate's objective interval lies wholly below its own:
    /// it cannot win, so it got no more seeds.
    Outclassed,
    /// Still open at the seed cap or when the run budget ran out.
    Undecided,
}

/// Judges `op threshold` on the interval `[lo, hi]` of a metric whose seeds all had a value.
pub fn judge(op: Op, t: f64, lo: f64, hi: f64) -> Verdict {
    let (holds, fails) = match op {
        Op::Le => (hi <= t, lo > t),
        Op::Lt => (hi < t, lo >= t),
        Op::Ge => (lo >= t, hi < t),
        Op::Gt => (lo > t, hi <= t),
        Op::Eq => (lo == t && hi == t, t < lo || t > hi),
        Op::Ne => (t < lo || t > hi, lo == t && hi == t),
    };
    if holds {
        Verdict::Holds
    } else if fails {
        Verdict::Fails
    } else {
        Verdict::Open
    }
}

/// What the search needs to know.
#[derive(Clone, Debug)]
pub struct Search {
    /// Minimised: the mean of metric 0 of each run.
    pub objective: String,
    /// Metric `i + 1` of each run is constraint `i`'s.
    pub constraints: Vec<Assertion>,
    pub first_seed: u64,
    pub initial_seeds: usize,
    pub max_seeds: usize,
    pub max_runs: usize,
    pub confidence: f64,
}

/// Per run, its metric values (objective first, then one per constraint).
pub type Measured = Vec<Vec<Option<f64>>>;

/// Runs the given (candidate, seed) pairs and returns, for each in order, its metric values
/// (objective first, then one per constraint); None where a run has no value.
pub type Measure<'a> = dyn Fn(&[(usize, u64)]) -> Result<Measured, String> + 'a;

/// One constraint of one candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Judged {
    pub estimate: Estimate,
    pub verdict: Verdict,
    /// How far the decisive end is inside the bound (positive) or outside it (negative), in
    /// the metric's units; null without a value or for `==`/`!=`.
    pub margin: Option<f64>,
}

/// One candidate after the search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub index: usize,
    pub seeds: usize,
    pub status: Status,
    pub objective: Estimate,
    pub constraints: Vec<Judged>,
}

/// One round of the search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Round {
    /// Seeds each candidate of the round has after it.
    pub seeds: usize,
    pub candidates: usize,
    pub runs: usize,
}

/// What the search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Found {
    pub candidates: Vec<Candidate>,
    pub rounds: Vec<Round>,
    pub runs: usize,
    /// Why the search stopped: `decided`, `seed cap` or `run budget`.
    pub stopped: &'static str,
    /// The feasible candidate with the lowest objective mean (the first on ties).
    pub winner: Option<usize>,
}

fn margin(op: Op, t: f64, lo: f64, hi: f64) -> Option<f64> {
    match op {
        Op::Le | Op::Lt => Some(super::stats::round6(t - hi)),
        Op::Ge | Op::Gt => Some(super::stats::round6(lo - t)),
        Op::Eq | Op::Ne => None,
    }
}

fn judge_values(a: &Assertion, values: &[Option<f64>], confidence: f64) -> Judged {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let estimate = Estimate::at(&present, confidence);
    let ends = match (estimate.lo, estimate.hi, estimate.mean) {
        (Some(lo), Some(hi), _) => Some((lo, hi)),
        (_, _, Some(m)) => Some((m, m)),
        _ => None,
    };
    match ends {
        // A seed without a value (no pod of that group became Ready) fails, as in `check`.
        Some((lo, hi)) if present.len() == values.len() => Judged {
            // One seed has no interval: nothing is decided on it.
            verdict: if present.len() < 2 {
                Verdict::Open
            } else {
                judge(a.op, a.value, lo, hi)
            },
            margin: margin(a.op, a.value, lo, hi),
            estimate,
        },
        _ => Judged {
            estimate,
            verdict: Verdict::Fails,
            margin: None,
        },
    }
}

/// The adaptive search over `n` candidates (see the module comment).
pub fn search(s: &Search, n: usize, measure: &Measure<'_>) -> Result<Found, String> {
    let metrics = 1 + s.constraints.len();
    // values[candidate][metric][seed index]
    let mut values: Vec<Vec<Vec<Option<f64>>>> = vec![vec![Vec::new(); metrics]; n];
    let mut status = vec![Status::Undecided; n];
    let mut open: Vec<usize> = (0..n).collect();
    let mut target = s.initial_seeds.min(s.max_seeds);
    let (mut rounds, mut runs) = (Vec::new(), 0usize);
    let stopped = loop {
        let jobs: Vec<(usize, u64)> = open
            .iter()
            .flat_map(|&c| (values[c][0].len()..target).map(move |k| (c, k as u64)))
            .map(|(c, k)| (c, s.first_seed + k))
            .collect();
        if runs + jobs.len() > s.max_runs {
            if rounds.is_empty() {
                return Err(format!(
                    "{n} candidates × {target} seeds = {} runs, more than --max-runs {}: \
                     narrow the search space, or raise --max-runs",
                    jobs.len(),
                    s.max_runs
                ));
            }
            break "run budget";
        }
        let measured = measure(&jobs)?;
        for ((c, _), m) in jobs.iter().zip(measured) {
            for (i, v) in m.into_iter().enumerate().take(metrics) {
                values[*c][i].push(v);
            }
        }
        runs += jobs.len();
        rounds.push(Round {
            seeds: target,
            candidates: open.len(),
            runs: jobs.len(),
        });
        for &c in &open {
            let verdicts: Vec<Verdict> = s
                .constraints
                .iter()
                .enumerate()
                .map(|(i, a)| judge_values(a, &values[c][i + 1], s.confidence).verdict)
                .collect();
            status[c] = if verdicts.contains(&Verdict::Fails) {
                Status::Infeasible
            } else if verdicts.iter().all(|v| *v == Verdict::Holds) {
                Status::Feasible
            } else {
                Status::Undecided
            };
        }
        // A clear loser on the objective gets no more seeds.
        let objective = |c: usize| {
            let present: Vec<f64> = values[c][0].iter().flatten().copied().collect();
            Estimate::at(&present, s.confidence)
        };
        let best_hi = (0..n)
            .filter(|&c| status[c] == Status::Feasible)
            .filter_map(|c| {
                let e = objective(c);
                e.hi.or(e.mean)
            })
            .fold(f64::INFINITY, f64::min);
        for &c in &open {
            if status[c] == Status::Undecided {
                let e = objective(c);
                if e.lo.or(e.mean).is_some_and(|lo| lo > best_hi) {
                    status[c] = Status::Outclassed;
                }
            }
        }
        open.retain(|&c| status[c] == Status::Undecided);
        if open.is_empty() {
            break "decided";
        }
        if target >= s.max_seeds {
            break "seed cap";
        }
        target = (target * 2).min(s.max_seeds);
    };
    let candidates: Vec<Candidate> = (0..n)
        .map(|c| {
            let present: Vec<f64> = values[c][0].iter().flatten().copied().collect();
            Candidate {
                index: c,
                seeds: values[c][0].len(),
                status: status[c],
                objective: Estimate::at(&present, s.confidence),
                constraints: s
                    .constraints
                    .iter()
                    .enumerate()
                    .map(|(i, a)| judge_values(a, &values[c][i + 1], s.confidence))
                    .collect(),
            }
        })
        .collect();
    let winner = candidates
        .iter()
        .filter(|c| c.status == Status::Feasible)
        .filter_map(|c| c.objective.mean.map(|m| (m, c.index)))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(_, i)| i);
    Ok(Found {
        candidates,
        rounds,
        runs,
        stopped,
        winner,
    })
}

/// The Pareto front of objective (lower is better) against constraint `k`'s metric (lower is
/// better for `<`/`<=`, higher for `>`/`>=`), on the means: the candidates no other candidate
/// beats on both; identical points keep the first. Sorted by objective. None for `==`/`!=`,
/// which name no better direction.
pub fn front(found: &Found, constraints: &[Assertion], k: usize) -> Option<Vec<usize>> {
    let sign = match constraints[k].op {
        Op::Le | Op::Lt => 1.0,
        Op::Ge | Op::Gt => -1.0,
        Op::Eq | Op::Ne => return None,
    };
    let pts: Vec<(usize, f64, f64)> = found
        .candidates
        .iter()
        .filter_map(|c| {
            Some((
                c.index,
                c.objective.mean?,
                sign * c.constraints[k].estimate.mean?,
            ))
        })
        .collect();
    let mut out: Vec<(usize, f64)> = pts
        .iter()
        .filter(|&&(i, x, y)| {
            !pts.iter().any(|&(j, x2, y2)| {
                (x2 <= x && y2 <= y && (x2 < x || y2 < y)) || (x2 == x && y2 == y && j < i)
            })
        })
        .map(|&(i, x, _)| (i, x))
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    Some(out.into_iter().map(|(i, _)| i).collect())
}

/// Candidates ranked by how far they miss: the sum over constraints of the decisive end's
/// distance outside its bound, relative to the bound (absolute when the bound is 0).
fn closest(found: &Found, constraints: &[Assertion], k: usize) -> Vec<usize> {
    let miss = |c: &Candidate| -> f64 {
        c.constraints
            .iter()
            .zip(constraints)
            .map(|(j, a)| match j.margin {
                Some(m) if m < 0.0 => -m / a.value.abs().max(1.0),
                Some(_) => 0.0,
                None if j.verdict == Verdict::Holds => 0.0,
                None => f64::INFINITY,
            })
            .sum()
    };
    let mut v: Vec<(f64, usize)> = found
        .candidates
        .iter()
        .map(|c| (miss(c), c.index))
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    v.into_iter().take(k).map(|(_, i)| i).collect()
}

// ---------------------------------------------------------------------------------------------
// Metrics

/// Checks that `metric` is a per-run column (compare.csv) of runs of `spec`.
fn check_metric(spec: &Spec, metric: &str, what: &str) -> Result<(), String> {
    let shape = super::summary_shape(spec);
    if super::APP_COLUMNS.contains(&metric) {
        return Ok(());
    }
    let flat = super::flatten(&shape);
    if flat.iter().any(|(k, _)| k == metric) {
        return Ok(());
    }
    // The lookup's message names the keys that do exist.
    assertions::lookup(&shape, metric).map_err(|e| format!("{what}: {e}"))?;
    Err(format!(
        "{what}: \"{metric}\" is not a per-run number (compare.csv has no such column); use \
         e.g. failures.Unschedulable, cost.total or apps.startup_latency_s.windows.p99"
    ))
}

/// The value of `metric` in one run's record (None when absent or null).
fn value_of(record: &super::RunRecord, metric: &str) -> Option<f64> {
    record
        .metrics
        .iter()
        .find(|(k, _)| k == metric)
        .and_then(|(_, v)| *v)
}

// ---------------------------------------------------------------------------------------------
// The command

fn bad(msg: impl Into<String>) -> Outcome {
    Outcome {
        stderr: msg.into(),
        code: 2,
        ..Default::default()
    }
}

/// `optimize`. `progress(done, total)` is called as the runs of a round finish.
pub fn optimize(a: &OptimizeCli, progress: &Progress<'_>) -> Outcome {
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        return bad(format!(
            "error: --confidence {}: expected a level between 0 and 1 exclusive, e.g. 0.95",
            a.confidence
        ));
    }
    if a.seeds > a.max_seeds {
        return bad(format!(
            "error: --seeds {} is more than --max-seeds {}",
            a.seeds, a.max_seeds
        ));
    }
    let params = match a
        .sets
        .iter()
        .map(|s| parse_param(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(p) => p,
        Err(e) => return bad(format!("error: {e}")),
    };
    let loaded = match super::load(&a.file) {
        Ok(l) => l,
        Err(e) => return bad(e.to_string()),
    };
    let constraints: Vec<Assertion> = if a.constraints.is_empty() {
        loaded.assertions.clone()
    } else {
        match a
            .constraints
            .iter()
            .map(|c| assertions::parse(c).map_err(|e| format!("error: --constraint: {e}")))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(c) => c,
            Err(e) => return bad(e),
        }
    };
    if constraints.is_empty() {
        return bad(format!(
            "error: no constraint: pass --constraint 'ASSERTION' (e.g. 'windows p99 startup <= \
             300s'), or declare `assertions` in {}",
            a.file.display()
        ));
    }
    if let Err(e) = check_metric(&loaded.base, &a.objective, "--objective") {
        return bad(format!("error: {e}"));
    }
    for c in &constraints {
        if let Err(e) = check_metric(&loaded.base, &c.metric, &format!("constraint \"{c}\"")) {
            return bad(format!("error: {e}"));
        }
    }
    let variants = if a.variants.is_empty() {
        loaded.variants.len() as u128
    } else {
        a.variants.len() as u128
    };
    let count = params
        .iter()
        .fold(variants, |n, p| n.saturating_mul(p.values.len()));
    if count == 0 {
        return bad("error: the search space is empty");
    }
    if count > MAX_CANDIDATES as u128 {
        let dims: Vec<String> = params.iter().map(|p| p.values.len().to_string()).collect();
        return bad(format!(
            "error: {count} candidates ({variants} variants × {}); at most {MAX_CANDIDATES}: \
             narrow the ranges or list fewer values",
            if dims.is_empty() {
                "1".into()
            } else {
                dims.join(" × ")
            }
        ));
    }
    let max_seeds = a.max_seeds as usize;
    let seeds: Vec<u64> = (0..max_seeds as u64)
        .map(|k| a.first_seed.saturating_add(k))
        .collect();
    let plan = match build(&loaded, &a.variants, &params, seeds) {
        Ok(p) => p,
        Err(e) => return bad(format!("{}: {e}", a.file.display())),
    };
    let search_settings = Search {
        objective: a.objective.clone(),
        constraints: constraints.clone(),
        first_seed: a.first_seed,
        initial_seeds: a.seeds as usize,
        max_seeds,
        max_runs: a.max_runs as usize,
        confidence: a.confidence,
    };
    let jobs = a.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                stderr: format!("error: cannot start {jobs} worker threads: {e}"),
                code: 1,
                ..Default::default()
            };
        }
    };
    let metric_names: Vec<String> = std::iter::once(a.objective.clone())
        .chain(constraints.iter().map(|c| c.metric.clone()))
        .collect();
    let measure = |pairs: &[(usize, u64)]| -> Result<Measured, String> {
        let done = AtomicUsize::new(0);
        let total = pairs.len();
        Ok(pool.install(|| {
            // An indexed parallel iterator collects in input order, not completion order.
            pairs
                .par_iter()
                .map(|&(c, seed)| {
                    let k = (seed - a.first_seed) as usize;
                    let r = super::run_one(&plan, c * max_seeds + k);
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    metric_names.iter().map(|m| value_of(&r, m)).collect()
                })
                .collect()
        }))
    };
    let found = match search(&search_settings, plan.meta.groups.len(), &measure) {
        Ok(f) => f,
        Err(e) => return bad(format!("error: {e}")),
    };
    let report = Report::new(&plan.meta, &params, &search_settings, found);
    let mut stdout = if a.quiet {
        String::new()
    } else {
        report.render()
    };
    if let Some(dir) = &a.out {
        let files = match report.files(a.plots) {
            Ok(f) => f,
            Err(e) => {
                return Outcome {
                    stderr: format!("error: {e}"),
                    code: 1,
                    ..Default::default()
                };
            }
        };
        let refs: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        if let Err(e) = report::write_atomically(dir, &refs) {
            return Outcome {
                stderr: format!("error: cannot write outputs to {}: {e}", dir.display()),
                code: 1,
                ..Default::default()
            };
        }
        if !a.quiet {
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            stdout.push_str(&format!(
                "\nwrote {} to {}\n",
                names.join(", "),
                dir.display()
            ));
        }
    }
    Outcome {
        stdout,
        stderr: String::new(),
        // Like `check`: no configuration meets the constraints is a failed check.
        code: if report.found.winner.is_some() { 0 } else { 1 },
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs

/// A constraint as written to optimize.json.
#[derive(Clone, Debug, Serialize)]
struct ConstraintOut {
    assertion: String,
    metric: String,
    op: &'static str,
    threshold: f64,
}

/// A candidate as written to optimize.json.
#[derive(Clone, Debug, Serialize)]
struct CandidateOut<'a> {
    index: usize,
    variant: &'a str,
    /// `--set` label → value.
    params: Vec<(String, String)>,
    label: String,
    #[serde(flatten)]
    found: &'a Candidate,
}

/// A front as written to optimize.json.
#[derive(Clone, Debug, Serialize)]
struct FrontOut {
    constraint: String,
    candidates: Vec<usize>,
}

/// The search's result with its names, ready to print and write.
pub struct Report {
    pub meta: PlanMeta,
    pub params: Vec<Param>,
    pub search: Search,
    pub found: Found,
}

fn op_str(op: Op) -> &'static str {
    match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Eq => "==",
        Op::Ne => "!=",
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| super::stats::round6(v).to_string())
}

impl Report {
    pub fn new(meta: &PlanMeta, params: &[Param], search: &Search, found: Found) -> Report {
        Report {
            meta: meta.clone(),
            params: params.to_vec(),
            search: search.clone(),
            found,
        }
    }

    /// A candidate's name: its variant (when several were searched) and values.
    pub fn label(&self, c: usize) -> String {
        super::group_label(
            &self.meta.groups[c].variant,
            &self.meta.params,
            &self.meta.groups[c].params,
            self.meta.multi_variant() || self.meta.params.is_empty(),
        )
    }

    fn fronts(&self) -> Vec<(usize, Vec<usize>)> {
        (0..self.search.constraints.len())
            .filter_map(|k| front(&self.found, &self.search.constraints, k).map(|f| (k, f)))
            .collect()
    }

    /// optimize.csv: one row per candidate.
    pub fn csv(&self) -> String {
        let mut head = vec!["candidate".to_string(), "variant".to_string()];
        head.extend(self.meta.params.iter().cloned());
        head.extend(
            ["seeds", "status", "objective", "objective.mean"]
                .iter()
                .map(|s| s.to_string()),
        );
        head.extend(
            ["objective.lo", "objective.hi"]
                .iter()
                .map(|s| s.to_string()),
        );
        for (i, _) in self.search.constraints.iter().enumerate() {
            for k in ["mean", "lo", "hi", "verdict", "margin"] {
                head.push(format!("c{}.{k}", i + 1));
            }
        }
        head.push("pareto".into());
        let fronts = self.fronts();
        let mut out = String::new();
        let line = |cells: Vec<String>| -> String {
            let quoted: Vec<String> = cells
                .into_iter()
                .map(|c| {
                    if c.contains([',', '"', '\n']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c
                    }
                })
                .collect();
            quoted.join(",") + "\n"
        };
        out.push_str(&line(head));
        for c in &self.found.candidates {
            let g = &self.meta.groups[c.index];
            let mut row = vec![c.index.to_string(), g.variant.clone()];
            row.extend(g.params.iter().cloned());
            row.push(c.seeds.to_string());
            row.push(status_str(c.status).into());
            row.push(self.search.objective.clone());
            row.extend([c.objective.mean, c.objective.lo, c.objective.hi].map(num));
            for j in &c.constraints {
                row.extend([j.estimate.mean, j.estimate.lo, j.estimate.hi].map(num));
                row.push(verdict_str(j.verdict).into());
                row.push(num(j.margin));
            }
            let on: Vec<String> = fronts
                .iter()
                .filter(|(_, f)| f.contains(&c.index))
                .map(|(k, _)| format!("c{}", k + 1))
                .collect();
            row.push(on.join(" "));
            out.push_str(&line(row));
        }
        out
    }

    /// optimize.json.
    pub fn json(&self) -> serde_json::Value {
        let constraints: Vec<ConstraintOut> = self
            .search
            .constraints
            .iter()
            .map(|c| ConstraintOut {
                assertion: c.text.clone(),
                metric: c.metric.clone(),
                op: op_str(c.op),
                threshold: c.value,
            })
            .collect();
        let candidates: Vec<CandidateOut> = self
            .found
            .candidates
            .iter()
            .map(|c| CandidateOut {
                index: c.index,
                variant: &self.meta.groups[c.index].variant,
                params: self
                    .meta
                    .params
                    .iter()
                    .cloned()
                    .zip(self.meta.groups[c.index].params.iter().cloned())
                    .collect(),
                label: self.label(c.index),
                found: c,
            })
            .collect();
        let fronts: Vec<FrontOut> = self
            .fronts()
            .into_iter()
            .map(|(k, f)| FrontOut {
                constraint: self.search.constraints[k].text.clone(),
                candidates: f,
            })
            .collect();
        serde_json::json!({
            "scenario": self.meta.scenario,
            "objective": self.search.objective,
            "minimise": "mean over seeds",
            "constraints": constraints,
            "confidence": self.search.confidence,
            "seeds": {
                "first": self.search.first_seed,
                "initial": self.search.initial_seeds,
                "max": self.search.max_seeds,
            },
            "max_runs": self.search.max_runs,
            "runs": self.found.runs,
            "stopped": self.found.stopped,
            "rounds": self.found.rounds,
            "params": self.meta.params,
            "candidates": candidates,
            "winner": self.found.winner,
            "closest": if self.found.winner.is_none() {
                closest(&self.found, &self.search.constraints, 3)
            } else {
                Vec::new()
            },
            "frontier": fronts,
        })
    }

    /// frontier.csv: the Pareto front of each constraint, one row per point.
    pub fn frontier_csv(&self) -> String {
        let mut out = String::from(
            "constraint,candidate,label,objective.mean,metric,metric.mean,metric.lo,metric.hi,status\n",
        );
        for (k, f) in self.fronts() {
            let a = &self.search.constraints[k];
            for &i in &f {
                let c = &self.found.candidates[i];
                let e = &c.constraints[k].estimate;
                let cells = [
                    format!("c{}", k + 1),
                    i.to_string(),
                    self.label(i),
                    num(c.objective.mean),
                    a.metric.clone(),
                    num(e.mean),
                    num(e.lo),
                    num(e.hi),
                    status_str(c.status).to_string(),
                ];
                let cells: Vec<String> = cells
                    .into_iter()
                    .map(|s| {
                        if s.contains([',', '"']) {
                            format!("\"{}\"", s.replace('"', "\"\""))
                        } else {
                            s
                        }
                    })
                    .collect();
                out.push_str(&(cells.join(",") + "\n"));
            }
        }
        out
    }

    /// Every output file, in a fixed order.
    pub fn files(&self, plots: bool) -> Result<Vec<(String, Vec<u8>)>, String> {
        let json = serde_json::to_vec_pretty(&self.json())
            .map_err(|e| format!("cannot render optimize.json: {e}"))?;
        let mut files = vec![
            ("optimize.csv".to_string(), self.csv().into_bytes()),
            ("optimize.json".to_string(), json),
            ("frontier.csv".to_string(), self.frontier_csv().into_bytes()),
        ];
        if plots {
            let p = report::plots::optimize_plots(&self.plot_data())
                .map_err(|e| format!("cannot draw plots: {e}"))?;
            files.extend(p.into_iter().map(|(n, b)| (n.to_string(), b)));
        }
        Ok(files)
    }

    /// What the plots need.
    pub fn plot_data(&self) -> report::plots::OptimizeData {
        use report::plots::{OptimizeData, OptimizePoint};
        let fronts = self.fronts();
        OptimizeData {
            scenario: self.meta.scenario.clone(),
            objective: self.search.objective.clone(),
            confidence: self.search.confidence,
            params: self.meta.params.clone(),
            constraints: self
                .search
                .constraints
                .iter()
                .enumerate()
                .map(|(k, a)| report::plots::OptimizeConstraint {
                    text: a.text.clone(),
                    metric: a.metric.clone(),
                    threshold: a.value,
                    front: fronts
                        .iter()
                        .find(|(j, _)| *j == k)
                        .map(|(_, f)| f.clone())
                        .unwrap_or_default(),
                })
                .collect(),
            points: self
                .found
                .candidates
                .iter()
                .map(|c| OptimizePoint {
                    label: self.label(c.index),
                    variant: self.meta.groups[c.index].variant.clone(),
                    params: self.meta.groups[c.index].params.clone(),
                    feasible: c.status == Status::Feasible,
                    objective: (c.objective.mean, c.objective.lo, c.objective.hi),
                    metrics: c
                        .constraints
                        .iter()
                        .map(|j| (j.estimate.mean, j.estimate.lo, j.estimate.hi))
                        .collect(),
                })
                .collect(),
            winner: self.found.winner,
        }
    }

    /// The console report: the settings, the winner with its margins, the ranked feasible set,
    /// the fronts, and when nothing is feasible the closest candidates.
    pub fn render(&self) -> String {
        let s = &self.search;
        let f = &self.found;
        let pct = super::stats::round6(s.confidence * 100.0);
        let mut out = format!(
            "optimize {}: minimise mean {} over {} candidates, subject to (at the {pct} % \
             interval's decisive end):\n",
            self.meta.scenario,
            s.objective,
            f.candidates.len()
        );
        for (k, a) in s.constraints.iter().enumerate() {
            out.push_str(&format!("  c{}  {}  [{}]\n", k + 1, a.text, a.metric));
        }
        let rounds: Vec<String> = f
            .rounds
            .iter()
            .map(|r| format!("{} × {} seeds", r.candidates, r.seeds))
            .collect();
        out.push_str(&format!(
            "{} runs in {} rounds ({}); stopped: {}\n\n",
            f.runs,
            f.rounds.len(),
            rounds.join(", "),
            f.stopped
        ));
        let describe = |i: usize| -> String {
            let c = &f.candidates[i];
            let mut t = format!(
                "{}: {} = {} (seeds {}, {})",
                self.label(i),
                s.objective,
                c.objective.show(3),
                c.seeds,
                status_str(c.status)
            );
            for (k, (j, a)) in c.constraints.iter().zip(&s.constraints).enumerate() {
                let end = match (j.estimate.lo, j.estimate.hi) {
                    (Some(lo), Some(hi)) => format!("[{lo}, {hi}]"),
                    _ => num(j.estimate.mean),
                };
                let m = j.margin.map_or(String::new(), |m| format!(", margin {m}"));
                t.push_str(&format!(
                    "\n    c{} {}: {} {end}{m} → {}",
                    k + 1,
                    a.metric,
                    j.estimate.show(3),
                    verdict_str(j.verdict)
                ));
            }
            t
        };
        match f.winner {
            Some(w) => out.push_str(&format!("winner  {}\n", describe(w))),
            None => {
                out.push_str("no candidate meets every constraint; the closest:\n");
                for i in closest(f, &s.constraints, 3) {
                    out.push_str(&format!("  {}\n", describe(i)));
                }
            }
        }
        let mut feasible: Vec<&Candidate> = f
            .candidates
            .iter()
            .filter(|c| c.status == Status::Feasible)
            .collect();
        feasible.sort_by(|a, b| {
            a.objective
                .mean
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.objective.mean.unwrap_or(f64::INFINITY))
                .then(a.index.cmp(&b.index))
        });
        let width = (0..f.candidates.len())
            .map(|i| self.label(i).chars().count())
            .max()
            .unwrap_or(0)
            .max(9);
        out.push_str(&format!(
            "\nfeasible, cheapest first ({} of {}):\n",
            feasible.len(),
            f.candidates.len()
        ));
        for c in feasible.iter().take(10) {
            out.push_str(&format!(
                "  {:<width$}  {}\n",
                self.label(c.index),
                c.objective.show(3)
            ));
        }
        if feasible.len() > 10 {
            out.push_str(&format!(
                "  … {} more in optimize.csv\n",
                feasible.len() - 10
            ));
        }
        let counts = |st: Status| f.candidates.iter().filter(|c| c.status == st).count();
        out.push_str(&format!(
            "infeasible {}, outclassed {}, undecided {}\n",
            counts(Status::Infeasible),
            counts(Status::Outclassed),
            counts(Status::Undecided)
        ));
        for (k, fr) in self.fronts() {
            let a = &s.constraints[k];
            out.push_str(&format!(
                "\nPareto front: {} vs {} (c{})\n  {:<width$}  {:>22}  {:>22}  status\n",
                s.objective,
                a.metric,
                k + 1,
                "candidate",
                s.objective,
                a.metric
            ));
            for i in fr {
                let c = &f.candidates[i];
                out.push_str(&format!(
                    "  {:<width$}  {:>22}  {:>22}  {}\n",
                    self.label(i),
                    c.objective.show(3),
                    c.constraints[k].estimate.show(3),
                    status_str(c.status)
                ));
            }
        }
        out
    }
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Feasible => "feasible",
        Status::Infeasible => "infeasible",
        Status::Outclassed => "outclassed",
        Status::Undecided => "undecided",
    }
}

fn verdict_str(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Fails => "fails",
        Verdict::Open => "open",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(constraint: &str, initial: usize, max: usize, max_runs: usize) -> Search {
        Search {
            objective: "cost".into(),
            constraints: vec![assertions::parse(constraint).unwrap()],
            first_seed: 1,
            initial_seeds: initial,
            max_seeds: max,
            max_runs,
            confidence: 0.95,
        }
    }

    #[test]
    fn judging_an_interval_against_each_operator() {
        // (op, threshold, lo, hi, expected): the decisive end decides a hold, the other end a
        // failure, and anything in between stays open.
        let cases = [
            (Op::Le, 10.0, 8.0, 10.0, Verdict::Holds),
            (Op::Le, 10.0, 9.0, 11.0, Verdict::Open),
            (Op::Le, 10.0, 10.5, 11.0, Verdict::Fails),
            (Op::Lt, 10.0, 9.0, 10.0, Verdict::Open),
            (Op::Lt, 10.0, 10.0, 12.0, Verdict::Fails),
            (Op::Ge, 5.0, 5.0, 6.0, Verdict::Holds),
            (Op::Ge, 5.0, 4.0, 6.0, Verdict::Open),
            (Op::Gt, 5.0, 3.0, 5.0, Verdict::Fails),
            (Op::Eq, 0.0, 0.0, 0.0, Verdict::Holds),
            (Op::Eq, 0.0, 1.0, 2.0, Verdict::Fails),
            (Op::Ne, 0.0, 1.0, 2.0, Verdict::Holds),
        ];
        for (op, t, lo, hi, want) in cases {
            assert_eq!(judge(op, t, lo, hi), want, "{op:?} {t} on [{lo}, {hi}]");
        }
    }

    /// Candidate c measures, on seed s, cost c and latency `base[c] + noise[s]`, where the
    /// noise of seeds 1, 2, 3, ... repeats the pattern -1, 0, +1: the mean over 3k seeds is
    /// the base, the sample sd over 3 seeds is 1 (values b-1, b, b+1) and the 95 % half-width
    /// t(0.975, 2) × 1 / √3 = 4.302653 / 1.732051 = 2.484.
    fn synthetic(base: Vec<f64>) -> impl Fn(&[(usize, u64)]) -> Result<Measured, String> {
        move |pairs| {
            Ok(pairs
                .iter()
                .map(|&(c, s)| {
                    let noise = [-1.0, 0.0, 1.0][((s - 1) % 3) as usize];
                    vec![Some(c as f64), Some(base[c] + noise)]
                })
                .collect())
        }
    }

    #[test]
    fn only_the_candidates_whose_interval_straddles_the_bound_get_more_seeds() {
        // Bound latency <= 10. Base latencies 20, 9, 5 (costs 0, 1, 2):
        // after 3 seeds, candidate 0's interval 20 ± 2.484 lies above 10 (fails, stops);
        // candidate 1's 9 ± 2.484 = [6.52, 11.48] straddles 10 (open); candidate 2's
        // [2.52, 7.48] holds. Candidate 1 goes to 6 seeds (pattern twice: mean 9, sd
        // sqrt(4/5) = 0.894, half-width t(0.975, 5) 2.570582 × 0.894 / √6 = 0.939, upper end
        // 9.94 <= 10: holds). Runs: 3 × 3 + 3 = 12; the cheapest feasible is candidate 1.
        let found = search(
            &settings("latency <= 10", 3, 30, 1000),
            3,
            &synthetic(vec![20.0, 9.0, 5.0]),
        )
        .unwrap();
        let seeds: Vec<usize> = found.candidates.iter().map(|c| c.seeds).collect();
        assert_eq!(seeds, vec![3, 6, 3]);
        let status: Vec<Status> = found.candidates.iter().map(|c| c.status).collect();
        assert_eq!(
            status,
            vec![Status::Infeasible, Status::Feasible, Status::Feasible]
        );
        assert_eq!(found.runs, 12);
        assert_eq!(found.winner, Some(1));
        assert_eq!(found.stopped, "decided");
        let hi = found.candidates[1].constraints[0].estimate.hi.unwrap();
        assert!((hi - 9.938).abs() < 1e-3, "{hi}");
    }

    #[test]
    fn an_open_candidate_costlier_than_a_feasible_one_gets_no_more_seeds() {
        // Candidate 0 (cost 0) holds at 3 seeds ([2.52, 7.48] <= 10); candidate 1 (cost 1,
        // base 9) straddles, but its cost interval (zero width, 1) lies above candidate 0's
        // (0): it cannot win and is outclassed after the first round, 6 runs in all.
        let found = search(
            &settings("latency <= 10", 3, 30, 1000),
            2,
            &synthetic(vec![5.0, 9.0]),
        )
        .unwrap();
        assert_eq!(found.candidates[1].status, Status::Outclassed);
        assert_eq!(found.runs, 6);
        assert_eq!(found.winner, Some(0));
    }

    #[test]
    fn the_seed_cap_and_the_run_budget_stop_the_search_with_open_candidates_undecided() {
        // Base 10 on a bound of 10: the interval [10 - h, 10 + h] straddles at any seed count.
        // Seeds 3 → 6 → 8 (cap): 3 + 3 + 2 = 8 runs, stopped by the cap.
        let found = search(
            &settings("latency <= 10", 3, 8, 1000),
            1,
            &synthetic(vec![10.0]),
        )
        .unwrap();
        assert_eq!(
            (found.candidates[0].seeds, found.runs, found.stopped),
            (8, 8, "seed cap")
        );
        assert_eq!(found.candidates[0].status, Status::Undecided);
        assert_eq!(found.winner, None);
        // A budget of 7 admits the first two rounds (6 runs) but not the third (2 more).
        let found = search(
            &settings("latency <= 10", 3, 8, 7),
            1,
            &synthetic(vec![10.0]),
        )
        .unwrap();
        assert_eq!((found.runs, found.stopped), (6, "run budget"));
        // A first round larger than the budget is refused with the count.
        let e = search(
            &settings("latency <= 10", 3, 8, 5),
            2,
            &synthetic(vec![10.0, 10.0]),
        )
        .unwrap_err();
        assert!(e.contains("2 candidates × 3 seeds = 6 runs"), "{e}");
    }

    #[test]
    fn the_front_keeps_the_points_no_other_beats_on_both_axes() {
        // synthetic() gives candidate c the cost c: (cost, latency) = (0, 9), (1, 5), (2, 6),
        // (3, 1). (2, 6) is beaten by (1, 5) on both axes; each other point is the best on
        // one axis among those no cheaper, so the front is candidates 0, 1, 3.
        let found = search(
            &settings("latency <= 100", 3, 3, 1000),
            4,
            &synthetic(vec![9.0, 5.0, 6.0, 1.0]),
        )
        .unwrap();
        let f = front(&found, &settings("latency <= 100", 3, 3, 1).constraints, 0).unwrap();
        assert_eq!(f, vec![0, 1, 3]);
    }

    #[test]
    fn parameters_parse_lists_ranges_and_tuples() {
        let p = parse_param("pools[w].count+pools[w].autoscale.min=1..4").unwrap();
        assert_eq!(p.paths.len(), 2);
        assert_eq!(p.values.expand(), vec!["1", "2", "3", "4"]);
        let p = parse_param("shape:pools[w].cpu+pools[w].memory=4;16Gi,8;32Gi").unwrap();
        assert_eq!((p.values.len(), p.label().as_str()), (2, "shape"));
        assert_eq!(p.paths, vec!["pools[w].cpu", "pools[w].memory"]);
        assert!(
            parse_param("pools[w].count=5..1")
                .unwrap_err()
                .contains("empty")
        );
        assert!(parse_param("pools[w].cpu+pools[w].memory=4;16Gi;1").is_err());
        assert!(parse_param("pools[w].count").is_err());
        // 10⁹ values are counted, not expanded.
        let p = parse_param("pools[w].count=1..1000000000").unwrap();
        assert_eq!(p.values.len(), 1_000_000_000);
    }
}
