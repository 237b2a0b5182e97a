//! Command-line interface: argument parsing, printing and exit codes. The only module that
//! prints or exits.
//!
//! Exit codes: 0 success; 1 the run worked but something it checks failed (or an output could
//! not be written); 2 bad input (a scenario that does not parse or validate, bad arguments).

use crate::report;
use crate::scenario;
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
}

pub fn main_with(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run {
            file,
            seed,
            out,
            quiet,
        } => run(&file, seed, out, quiet),
        Command::Validate { file } => validate(&file),
        Command::Import {
            paths,
            output,
            images,
            default_image_size,
        } => import(&paths, &output, images.as_deref(), &default_image_size),
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
    match scenario::load(file) {
        Ok((_, spec)) => Ok(spec),
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
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

fn run(file: &std::path::Path, seed: Option<u64>, out: Option<PathBuf>, quiet: bool) -> ExitCode {
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
        let files = match report::run_files(&spec, &result, &summary) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: cannot render outputs: {e}");
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
