//! Command-line interface: argument parsing, printing and exit codes. The only module that
//! prints or exits.
//!
//! Exit codes: 0 success; 1 the run worked but something it checks failed (or an output could
//! not be written); 2 bad input (a scenario that does not parse or validate, bad arguments).

use crate::report;
use crate::simulation;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "hybridsim",
    version,
    about = "Discrete-event simulator of hybrid Linux/Windows Kubernetes clusters"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and print a summary; with --out, write summary.json, pods.csv and
    /// timeseries.csv.
    Run {
        /// Scenario file (RON).
        file: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Directory to write the output files into (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
        /// Also draw startup_cdf and timeline plots (SVG and PNG) into --out.
        #[arg(long, requires = "out")]
        plots: bool,
    },
    /// Run a scenario end to end and print one JSON object of measurements (wall time,
    /// events/s, pods/s, peak memory, git revision).
    Bench {
        /// Scenario file (RON).
        file: PathBuf,
        /// Runs to make; wall time is reported as min and median.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Parse and check a scenario; print every problem as FILE:LINE:COL: message.
    Validate {
        /// Scenario file (RON).
        file: PathBuf,
    },
    /// Turn Kubernetes manifests and node lists (YAML or JSON files, or directories of them)
    /// into a scenario; print every assumption made (they are also written as comments).
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
        /// Download size of an image that nothing describes (assumed Linux).
        #[arg(long, default_value = "100MB")]
        default_image_size: String,
    },
    /// Run every variant of a scenario over many seeds; print a ranked table with 95 %
    /// confidence intervals and write compare.csv, compare.json and startup_cdf.csv.
    Compare {
        #[command(flatten)]
        args: ExperimentCli,
    },
    /// Like compare, over the cartesian product of --set values (and every variant).
    Sweep {
        #[command(flatten)]
        args: ExperimentCli,
        /// PATH=V1,V2,... e.g. `pools[win2022].count=2,4,8` (repeatable).
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
    },
    /// Join the shard files of `compare|sweep --shard K/N` into the outputs of one full run.
    Merge {
        /// Shard directories (or shard-K-of-N.json files).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Also draw the plots.
        #[arg(long)]
        plots: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Regenerate the plots of a run, compare, sweep or merge output directory.
    Plot { dir: PathBuf },
    /// Run a scenario and evaluate its assertions: exit 0 if all hold, 1 if any is violated.
    Check {
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
    /// Convert, summarise or generate pod traces (docs/traces.md).
    #[command(subcommand)]
    Trace(crate::trace::cmd::TraceCommand),
}

/// Options shared by compare and sweep (docs/experiments.md).
#[derive(clap::Args, Debug)]
pub struct ExperimentCli {
    /// Scenario file (RON).
    file: PathBuf,
    /// `N` (seeds 1..=N) or `A..B` (both ends included). Default 10.
    #[arg(long)]
    seeds: Option<String>,
    /// Directory to write the outputs into.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores). Outputs do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only slice K of N (K 0-based): runs whose index i has i % N == K.
    #[arg(long)]
    shard: Option<String>,
    /// Also draw startup_cdf and failures plots (SVG and PNG) into --out.
    #[arg(long, requires = "out")]
    plots: bool,
    #[arg(long, short)]
    quiet: bool,
}

impl ExperimentCli {
    fn into_args(self, sets: Vec<String>) -> crate::experiment::cmd::ExperimentArgs {
        crate::experiment::cmd::ExperimentArgs {
            file: self.file,
            seeds: self.seeds,
            out: self.out,
            jobs: self.jobs,
            shard: self.shard,
            plots: self.plots,
            quiet: self.quiet,
            sets,
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

pub fn main_with(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run {
            file,
            seed,
            out,
            quiet,
            plots,
        } => run(&file, seed, out, quiet, plots),
        Command::Validate { file } => validate(&file),
        Command::Bench { file, repeat, seed } => bench(&file, repeat, seed),
        Command::Import {
            paths,
            output,
            images,
            default_image_size,
        } => import(&paths, &output, images.as_deref(), &default_image_size),
        Command::Compare { args } => emit(crate::experiment::cmd::experiment(
            &args.into_args(Vec::new()),
            false,
        )),
        Command::Sweep { args, sets } => emit(crate::experiment::cmd::experiment(
            &args.into_args(sets),
            true,
        )),
        Command::Merge {
            inputs,
            out,
            plots,
            quiet,
        } => emit(crate::experiment::cmd::merge(&inputs, &out, plots, quiet)),
        Command::Plot { dir } => emit(crate::experiment::cmd::plot(&dir)),
        Command::Check {
            file,
            seed,
            variants,
            ci,
        } => emit(crate::experiment::verdict::check(
            &file, seed, variants, &ci,
        )),
        Command::Trace(cmd) => emit(crate::trace::cmd::run(cmd)),
    }
}

fn import(
    paths: &[PathBuf],
    output: &std::path::Path,
    images: Option<&std::path::Path>,
    default_image_size: &str,
) -> ExitCode {
    let opts = match crate::import::Options::new(paths, output, images, default_image_size) {
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
    // Through `experiment::load`, so that variants and assertions are validated as well.
    match crate::experiment::load(file) {
        Ok(loaded) => Ok(loaded.base),
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
    match crate::bench::bench(&spec, seed, repeat) {
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

fn validate(file: &std::path::Path) -> ExitCode {
    match load(file) {
        Ok(spec) => {
            println!(
                "{}: ok ({} pools, {} images, {} workloads)",
                file.display(),
                spec.pools.len(),
                spec.images.len(),
                spec.workloads.len()
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn run(
    file: &std::path::Path,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    plots: bool,
) -> ExitCode {
    let spec = match load(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let seed = seed.unwrap_or(spec.seed);
    let started = Instant::now();
    let result = simulation::run(&spec, seed);
    let wall = started.elapsed();
    let summary = report::Summary::new(&spec, &result);
    if let Some(dir) = &out {
        let files = match report::run_files(&spec, &result, &summary, plots) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        if let Err(e) = report::write_atomically(dir, &files) {
            eprintln!("error: cannot write outputs to {}: {e}", dir.display());
            return ExitCode::from(1);
        }
    }
    if !quiet {
        print!("{}", report::console::render(&summary));
        println!(
            "wall time {:.3} s, {} events",
            wall.as_secs_f64(),
            result.events
        );
        if let Some(dir) = &out {
            println!(
                "wrote summary.json, pods.csv, timeseries.csv to {}",
                dir.display()
            );
        }
    }
    ExitCode::SUCCESS
}
