//! Command-line interface: argument parsing, printing, progress drawing and exit codes. The only
//! module that prints, draws on the terminal or exits.
//!
//! Owns: the clap commands (their help, examples and exit codes), turning their arguments into
//! the validated values the commands take (`args`), and drawing progress from the callbacks the
//! commands call. Does not own: what a command does (`simulation`, `report`, `experiment`,
//! `import`, `bench`).
//!
//! Exit codes: 0 success; 1 the run worked but something it checks failed (or an output could
//! not be written); 2 bad input (a scenario that does not parse or validate, bad arguments).

pub mod args;

use crate::report;
use crate::simulation;
use args::{SeedRange, SetArg, Shard, Size};
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Help epilogues: examples first, then the exit codes. `concat!` needs literals, hence macros.
macro_rules! after {
    ($examples:literal) => {
        concat!(
            "Examples:\n",
            $examples,
            "\n\nExit codes:\n  0  success\n  1  the run worked but a check failed, or an output \
             could not be written\n  2  bad input: a scenario or argument that does not parse or \
             validate"
        )
    };
}

#[derive(Parser, Debug)]
#[command(
    name = "hybridsim",
    version,
    about = "Discrete-event simulator of hybrid Linux/Windows Kubernetes clusters",
    after_help = after!(
        "  hybridsim run scenarios/quickstart.ron
  hybridsim run scenarios/quickstart.ron --out /tmp/qs --plots
  hybridsim compare scenarios/taint-strategies.ron --seeds 20 --out /tmp/ts
  hybridsim validate my-cluster.ron

Every command has its own --help with examples. Documentation: README.md and docs/*.md."
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and print a summary; with --out, write summary.json, pods.csv,
    /// timeseries.csv and scaling.csv (and, with --plots, startup_cdf and timeline as SVG and
    /// PNG).
    #[command(after_help = after!(
        "  hybridsim run scenarios/quickstart.ron
  hybridsim run scenarios/quickstart.ron --seed 7 --out /tmp/qs --plots
  hybridsim run scenarios/taint-strategies.ron --variant runtimeclass-pinned
  hybridsim run scenarios/quickstart.ron --set 'pools[win2022].count=4'"
    ))]
    Run {
        /// Scenario file (RON).
        file: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Directory to write the output files into (created if missing; files are replaced
        /// all together or not at all).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing on success (errors still go to stderr).
        #[arg(long, short)]
        quiet: bool,
        /// Also draw startup_cdf and timeline plots (SVG and PNG) into --out. The CDF is
        /// drawn from the run's exact latency tally, so no finished pod is kept for it.
        #[arg(long, requires = "out")]
        plots: bool,
        /// Run this declared variant of the scenario instead of the scenario as written.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
        /// Change one field before running, e.g. `pools[win2022].count=4` (repeatable; applied
        /// after --variant, in order; paths as in `sweep --set`, docs/experiments.md).
        #[arg(long = "set", value_name = "PATH=VALUE", value_parser = args::parse_set_one)]
        sets: Vec<SetArg>,
        /// Check the simulator's run-time invariants at every event, bind and sample (no node
        /// over-committed, pods bound only to Ready nodes, pod lifecycle conserved, time never
        /// backwards); a violation is a hybridsim bug: it is printed and the exit code is 1.
        #[arg(long)]
        check_invariants: bool,
    },
    /// Run a scenario end to end and print one JSON object of measurements (wall time,
    /// events/s, pods/s, peak memory, git revision).
    #[command(after_help = after!(
        "  hybridsim bench scenarios/scale-small.ron --repeat 3"
    ))]
    Bench {
        /// Scenario file (RON).
        file: PathBuf,
        /// Runs to make (1 to 10000); wall time is reported as min and median.
        #[arg(long, default_value = "1", value_parser = args::parse_repeat)]
        repeat: usize,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Parse and check a scenario; print every problem as FILE:LINE:COL: message.
    #[command(after_help = after!("  hybridsim validate scenarios/morning-peak.ron"))]
    Validate {
        /// Scenario file (RON).
        file: PathBuf,
    },
    /// Turn Kubernetes manifests and node lists (YAML or JSON files, or directories of them)
    /// into a scenario; print every assumption made (they are also written as comments).
    #[command(after_help = after!(
        "  kubectl get nodes -o yaml > nodes.yaml
  hybridsim import manifests/ nodes.yaml -o cluster.ron
  hybridsim import deploy.yaml nodes.yaml -o cluster.ron --images catalog.ron"
    ))]
    Import {
        /// Manifests and node lists (`kubectl get nodes -o yaml|json`), files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Scenario file to write (RON); written whole or not at all.
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Image catalog (RON or YAML) that overrides the built-in one and tag conventions.
        #[arg(long)]
        images: Option<PathBuf>,
        /// Download size of an image that nothing describes (assumed Linux), e.g. 100MB, 1Gi.
        #[arg(long, default_value = "100MB", value_parser = args::parse_size)]
        default_image_size: Size,
    },
    /// Run every variant of a scenario over many seeds; print a ranked table with 95 %
    /// confidence intervals and write compare.csv, compare.json and startup_cdf.csv.
    #[command(after_help = after!(
        "  hybridsim compare scenarios/taint-strategies.ron --seeds 20 --out /tmp/ts --plots
  hybridsim compare scenarios/taint-strategies.ron --seeds 1..200 --shard 0/8 --out /results/ts"
    ))]
    Compare {
        #[command(flatten)]
        args: ExperimentCli,
    },
    /// Like compare, over the cartesian product of --set values (and every variant).
    #[command(after_help = after!(
        "  hybridsim sweep scenarios/quickstart.ron --set 'pools[win2022].count=1,2,4' --seeds 5
  hybridsim sweep scenarios/morning-peak.ron --set autoscaler.expander=LeastWaste,Price \\
      --set 'pools[win-apps].extraction_rate=14MB/s,28MB/s' --out /tmp/sweep"
    ))]
    Sweep {
        #[command(flatten)]
        args: ExperimentCli,
        /// PATH=V1,V2,... e.g. `pools[win2022].count=2,4,8` (repeatable; the last varies
        /// fastest).
        #[arg(long = "set", required = true, value_name = "PATH=V1,V2,...", value_parser = args::parse_set)]
        sets: Vec<SetArg>,
    },
    /// Join the shard files of `compare|sweep --shard K/N` into the outputs of one full run.
    #[command(after_help = after!(
        "  hybridsim merge /results/ts --out /results/ts/merged --plots
  hybridsim merge a/shard-0-of-2.json b/shard-1-of-2.json --out merged"
    ))]
    Merge {
        /// Shard directories (every shard-K-of-N.json inside is used) or shard files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Directory to write compare.csv, compare.json and startup_cdf.csv into.
        #[arg(long)]
        out: PathBuf,
        /// Also draw the startup_cdf and failures plots (SVG and PNG).
        #[arg(long)]
        plots: bool,
        /// Print nothing on success (errors still go to stderr).
        #[arg(long, short)]
        quiet: bool,
        /// Confidence level of the intervals, between 0 and 1 exclusive.
        #[arg(long, value_name = "LEVEL", default_value = "0.95", value_parser = args::parse_confidence)]
        confidence: f64,
    },
    /// Regenerate the plots of a run, compare, sweep or merge output directory.
    #[command(after_help = after!(
        "  hybridsim plot /tmp/qs      # after run --out /tmp/qs
  hybridsim plot /tmp/ts      # after compare --out /tmp/ts"
    ))]
    Plot {
        /// Output directory of `run --out` (summary.json, pods.csv, timeseries.csv) or of
        /// compare, sweep or merge (compare.json, startup_cdf.csv); plots are written into it.
        dir: PathBuf,
    },
    /// Run a scenario and evaluate its assertions: exit 0 if all hold, 1 if any is violated.
    #[command(after_help = after!(
        "  hybridsim check scenarios/morning-peak.ron
  hybridsim check scenarios/taint-strategies.ron --variants"
    ))]
    Check {
        /// Scenario file (RON) with an `assertions` section.
        file: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Check every variant instead of the scenario as written.
        #[arg(long)]
        variants: bool,
        #[command(flatten)]
        ci: crate::experiment::verdict::CheckCi,
    },
    /// Find the cheapest configuration whose constraints hold at the end of their confidence
    /// intervals: searches every variant × --set value, adds seeds only where a verdict is
    /// still open, and prints the winner with its margins and the Pareto front.
    #[command(after_help = after!(
        "  hybridsim optimize scenarios/morning-peak.ron \\
      --set 'pools[win-apps].count+pools[win-apps].autoscale.min=1..6' \\
      --constraint 'windows p99 startup <= 900s' --out /tmp/opt --plots
  hybridsim optimize cluster.ron --set 'pools[w].count=1..20' --constraint 'apps.never_ready <= 0'

Exit code 1 here means that no candidate meets every constraint (the closest are printed)."
    ))]
    Optimize {
        #[command(flatten)]
        args: crate::experiment::optimize::OptimizeCli,
    },
    /// Convert, summarise or generate pod traces (docs/traces.md).
    #[command(subcommand, after_help = after!(
        "  hybridsim trace generate --pods 10000 --seed 1 -o peers.csv
  hybridsim trace summarize peers.csv
  hybridsim trace convert --from alibaba-batch-task batch_task.csv -o alibaba.csv"
    ))]
    Trace(crate::trace::cmd::TraceCommand),
}

/// Options shared by compare and sweep (docs/experiments.md), as clap parsed them: typed and
/// bounded one by one; `into_args` adds the defaults.
#[derive(clap::Args, Debug)]
pub struct ExperimentCli {
    /// Scenario file (RON).
    file: PathBuf,
    /// `N` (seeds 1..=N) or `A..B` (both ends included), at most 100000 runs in all. Default 10.
    #[arg(long, value_name = "N|A..B", value_parser = args::parse_seeds)]
    seeds: Option<SeedRange>,
    /// Directory to write the outputs into (created if missing).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: all cores). Outputs do not depend on it.
    #[arg(long, value_name = "J", value_parser = args::parse_jobs)]
    jobs: Option<usize>,
    /// Run only slice K of N (K 0-based): runs whose index i has i % N == K. Needs --out.
    #[arg(long, value_name = "K/N", value_parser = args::parse_shard, requires = "out")]
    shard: Option<Shard>,
    /// Also draw startup_cdf and failures plots (SVG and PNG) into --out (not with --shard:
    /// pass it to merge).
    #[arg(long, requires = "out", conflicts_with = "shard")]
    plots: bool,
    /// Print nothing but errors: no table, no progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Confidence level of the intervals (Student t), between 0 and 1 exclusive; the table
    /// header and compare.json's `confidence` name it.
    #[arg(long, value_name = "LEVEL", default_value = "0.95", value_parser = args::parse_confidence)]
    confidence: f64,
}

impl ExperimentCli {
    /// The validated arguments of `experiment::cmd::experiment`.
    fn into_args(self, sets: Vec<SetArg>) -> crate::experiment::cmd::ExperimentArgs {
        crate::experiment::cmd::ExperimentArgs {
            file: self.file,
            seeds: self
                .seeds
                .unwrap_or(SeedRange {
                    first: 1,
                    last: crate::experiment::cmd::DEFAULT_SEEDS,
                })
                .seeds(),
            out: self.out,
            jobs: self.jobs.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, |n| n.get().min(args::MAX_JOBS))
            }),
            shard: self.shard.map(|s| (s.k, s.n)),
            plots: self.plots,
            quiet: self.quiet,
            confidence: self.confidence,
            sets: sets.into_iter().map(|s| (s.path, s.values)).collect(),
        }
    }
}

/// Prints what an experiment command produced and exits with its code.
fn emit(o: crate::experiment::cmd::Outcome) -> ExitCode {
    print!("{}", o.stdout);
    if !o.stderr.is_empty() {
        eprintln!("{}", o.stderr.trim_end());
    }
    ExitCode::from(o.code)
}

/// A progress bar on stderr, drawn only when stderr is a terminal and not `--quiet`, so that
/// pipes, CI logs and redirected output never see control characters.
fn bar(quiet: bool, template: &str) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

fn experiment(a: ExperimentCli, sets: Vec<SetArg>, sweep: bool) -> ExitCode {
    let b = bar(
        a.quiet,
        "{bar:40} {pos}/{len} runs, {elapsed} elapsed, ~{eta} left",
    );
    let args = a.into_args(sets);
    // Runs finish on worker threads in any order: `inc` counts them, `total` sizes the bar.
    let progress = |_done: usize, total: usize| {
        b.set_length(total as u64);
        b.inc(1);
    };
    let o = crate::experiment::cmd::experiment(&args, sweep, &progress);
    b.finish_and_clear();
    emit(o)
}

pub fn main_with(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run {
            file,
            seed,
            out,
            quiet,
            plots,
            variant,
            sets,
            check_invariants,
        } => run(&RunArgs {
            file,
            seed,
            out,
            quiet,
            plots,
            variant,
            sets,
            check_invariants,
        }),
        Command::Validate { file } => validate(&file),
        Command::Bench { file, repeat, seed } => bench(&file, repeat, seed),
        Command::Import {
            paths,
            output,
            images,
            default_image_size,
        } => import(&paths, &output, images.as_deref(), &default_image_size),
        Command::Compare { args } => experiment(args, Vec::new(), false),
        Command::Sweep { args, sets } => experiment(args, sets, true),
        Command::Merge {
            inputs,
            out,
            plots,
            quiet,
            confidence,
        } => emit(crate::experiment::cmd::merge(
            &inputs, &out, plots, quiet, confidence,
        )),
        Command::Plot { dir } => emit(crate::experiment::cmd::plot(&dir)),
        Command::Check {
            file,
            seed,
            variants,
            ci,
        } => {
            let seeds = match ci.seeds.as_deref().map(args::parse_seeds).transpose() {
                Ok(s) => s.map(|r| r.seeds()),
                Err(e) => {
                    eprintln!("error: --seeds: {e}");
                    return ExitCode::from(2);
                }
            };
            emit(crate::experiment::verdict::check(
                &file, seed, variants, &ci, seeds,
            ))
        }
        Command::Optimize { args } => {
            let b = bar(
                args.quiet,
                "{bar:40} {pos}/{len} runs of this round, {elapsed} elapsed",
            );
            // Each round starts a new count: `done` restarts at 1.
            let progress = |done: usize, total: usize| {
                b.set_length(total as u64);
                b.set_position(done as u64);
            };
            let o = crate::experiment::optimize::optimize(&args, &progress);
            b.finish_and_clear();
            emit(o)
        }
        Command::Trace(cmd) => emit(crate::trace::cmd::run(cmd)),
    }
}

fn import(
    paths: &[PathBuf],
    output: &std::path::Path,
    images: Option<&std::path::Path>,
    default_image_size: &Size,
) -> ExitCode {
    let opts = match crate::import::Options::new(paths, output, images, &default_image_size.text) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let imported = match crate::import::import(&opts) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", crate::import::render::console(&imported));
    let (dir, name) = opts.output_parts();
    if let Err(e) = report::write_atomically(&dir, &[(name.as_str(), imported.text.into_bytes())]) {
        eprintln!("error: cannot write {}: {e}", output.display());
        return ExitCode::from(1);
    }
    println!("wrote {}", output.display());
    ExitCode::SUCCESS
}

fn load(file: &std::path::Path) -> Result<crate::model::Spec, ExitCode> {
    // Through `experiment::load_base`, so that variants and assertions are validated as well.
    match crate::experiment::load_base(file) {
        Ok((base, _)) => Ok(base),
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn bench(file: &std::path::Path, repeat: usize, seed: Option<u64>) -> ExitCode {
    let spec = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(spec.seed);
    // stdout carries the JSON, so progress goes to stderr (and only to a terminal).
    let b = bar(
        false,
        "{bar:40} {pos}/{len} runs, {elapsed} elapsed, ~{eta} left",
    );
    b.set_length(repeat as u64);
    b.enable_steady_tick(Duration::from_millis(200));
    let progress = |_done: usize, _total: usize| b.inc(1);
    let r = crate::bench::bench(&spec, seed, repeat, &progress);
    b.finish_and_clear();
    match r {
        Ok(r) => match serde_json::to_string_pretty(&r) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `n thing` or `n things`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn validate(file: &std::path::Path) -> ExitCode {
    match load(file) {
        Ok(spec) => {
            println!(
                "{}: ok ({}, {}, {})",
                file.display(),
                plural(spec.pools.len(), "pool", "pools"),
                plural(spec.images.len(), "image", "images"),
                plural(spec.workloads.len(), "workload", "workloads")
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

/// `run`'s arguments.
struct RunArgs {
    file: PathBuf,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    plots: bool,
    variant: Option<String>,
    sets: Vec<SetArg>,
    check_invariants: bool,
}

fn run(a: &RunArgs) -> ExitCode {
    let (spec, assertions) = if a.variant.is_none() && a.sets.is_empty() {
        match crate::experiment::load_base(&a.file) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    } else {
        let sets: Vec<(String, String)> = a
            .sets
            .iter()
            .map(|s| (s.path.clone(), s.values[0].clone()))
            .collect();
        match crate::experiment::load_variant(&a.file, a.variant.as_deref(), &sets) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        }
    };
    let seed = a.seed.unwrap_or(spec.seed);
    // The simulation reports no progress of its own: a spinner with the elapsed time shows
    // that a long run (scale-5k takes seconds) is working. Drawn only on a terminal.
    let spinner = bar(a.quiet, "{spinner} simulating {msg}, {elapsed} elapsed");
    spinner.set_message(spec.name.clone());
    spinner.enable_steady_tick(Duration::from_millis(100));
    let started = Instant::now();
    // Finished trace pods are given back as the run goes, so memory follows the live pods;
    // with `--out` their pods.csv rows go to a temporary file first (`PodRowSpill`). With
    // `--plots` too: the startup CDF is drawn from the tally, which counts the retired pods.
    let mut spill = None;
    if a.out.is_some() {
        match report::PodRowSpill::new() {
            Ok(s) => spill = Some(s),
            Err(e) => {
                spinner.finish_and_clear();
                eprintln!("error: cannot create a temporary file for pod rows: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut sim = simulation::Simulation::new(&spec, seed).retire_finished();
    if let Some(s) = &mut spill {
        sim = sim.on_retire(Box::new(|spec, cl, messages, first, pods| {
            s.add(spec, cl, messages, first, pods)
        }));
    }
    if a.check_invariants {
        sim = sim.check_invariants();
    }
    let (result, violations) = sim.run_checked();
    if !violations.is_empty() {
        spinner.finish_and_clear();
        eprintln!("error: the run broke hybridsim's invariants (a bug; please report it):");
        for v in &violations {
            eprintln!("  {v}");
        }
        return ExitCode::from(1);
    }
    if let Some(e) = &result.trace_error {
        spinner.finish_and_clear();
        eprintln!("error: the trace replay stopped: {e}");
        return ExitCode::from(2);
    }
    let wall = started.elapsed();
    spinner.finish_and_clear();
    let mut tally = report::Summary::tally(&spec, &result);
    let mut summary = report::Summary::of_tally(&spec, &result, &mut tally);
    summary.slo = crate::experiment::assertions::slo_lines(&assertions);
    let mut written = Vec::new();
    if let Some(dir) = &a.out {
        let plots = a.plots.then_some(tally);
        let files = match report::run_files_but_pods(&spec, &result, &summary, plots) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        let mut pods =
            |w: &mut dyn std::io::Write| report::write_pods_csv(w, &spec, &result, spill.as_mut());
        let written_ok =
            report::write_atomically_streaming(dir, &files, (report::PodRow::FILE, &mut pods));
        if let Err(e) = written_ok {
            eprintln!("error: cannot write outputs to {}: {e}", dir.display());
            return ExitCode::from(1);
        }
        written = files.iter().map(|f| f.0).collect();
        // pods.csv is listed second, after summary.json.
        written.insert(1, report::PodRow::FILE);
    }
    if !a.quiet {
        print!("{}", report::console::render(&summary));
        println!(
            "wall time {:.3} s, {} events",
            wall.as_secs_f64(),
            result.events
        );
        if let Some(dir) = &a.out {
            println!("wrote {} to {}", written.join(", "), dir.display());
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_clap_definition_is_consistent() {
        // clap checks its own invariants (unique flags, valid `requires`/`conflicts_with`
        // targets) only when asked or at parse time.
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_examples_exit_codes_and_help_for_every_argument() {
        let cli = super::Cli::command();
        let mut seen = 0;
        for sub in cli.get_subcommands() {
            seen += 1;
            let name = sub.get_name();
            let after = sub
                .get_after_help()
                .map(|s| s.to_string())
                .unwrap_or_default();
            assert!(after.contains("Examples:\n  "), "{name}: no examples");
            assert!(
                after.contains(&format!("hybridsim {name} ")),
                "{name}: no example of it"
            );
            assert!(after.contains("Exit codes:"), "{name}: no exit codes");
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(arg.get_help().is_some(), "{name} {id}: no help text");
            }
        }
        // run, bench, validate, import, compare, sweep, merge, plot, check.
        assert!(seen >= 9, "{seen} subcommands");
    }
}
