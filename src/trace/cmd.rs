//! `hybridsim trace convert|summarize|generate`: argument handling and the text they print.
//! Returns an `Outcome` for `cli` to print, like the experiment commands.
//!
//! Output traces are streamed to a temporary file next to the destination and renamed into
//! place, so a failed conversion leaves no partial file. They do not go through
//! `report::write_atomically`, which takes whole files in memory: a converted trace can be
//! larger than memory.

use super::alibaba::{AlibabaOptions, BatchTaskReader};
use super::generate::{self, GenerateOptions};
use super::google::{GoogleOptions, InstanceEventsReader};
use super::read::Column;
use super::sort::{DEFAULT_CHUNK, Sorter, spill_dir};
use super::summary::summarize;
use super::write::format_seconds;
use super::{TraceError, TracePod, TraceWriter};
use crate::experiment::cmd::Outcome;
use crate::scenario::units::{parse_bytes, parse_cpu_millis, parse_duration_ms};
use clap::{Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum TraceCommand {
    /// Convert a public cluster trace (or an unsorted hybridsim trace) into a hybridsim trace
    /// sorted by arrival; print what was skipped and why.
    Convert {
        /// Input format.
        #[arg(long, value_enum)]
        from: Format,
        /// The trace file to read.
        input: PathBuf,
        /// The hybridsim trace (CSV) to write.
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// CPU of the machine that a normalised request of 1.0 stands for (google), e.g. `32`.
        #[arg(long)]
        node_cpu: Option<String>,
        /// Memory that a normalised request of 1.0 (google) or plan_mem 100 (alibaba) stands
        /// for, e.g. `128Gi`.
        #[arg(long)]
        node_memory: Option<String>,
        /// Keep the trace's own time origin instead of moving the first arrival to 0.
        #[arg(long)]
        keep_origin: bool,
    },
    /// Print pods, arrival span, percentiles of requests and durations, and the OS mix.
    #[command(visible_alias = "summary")]
    Summarize {
        /// A hybridsim trace (CSV).
        file: PathBuf,
    },
    /// Write the peers' benchmark workload: P pods of 0.5 CPU / 1 GiB arriving uniformly over
    /// 1 h, each running U[300 s, 1800 s]; the same file for the same seed.
    Generate {
        /// Number of pods.
        #[arg(long)]
        pods: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Arrivals are uniform over [0, span).
        #[arg(long, default_value = "1h")]
        span: String,
        #[arg(long, default_value = "500m")]
        cpu: String,
        #[arg(long, default_value = "1Gi")]
        memory: String,
        #[arg(long, default_value = "300s")]
        min_duration: String,
        #[arg(long, default_value = "1800s")]
        max_duration: String,
        /// The hybridsim trace (CSV) to write.
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Alibaba cluster-trace-v2018 batch_task.csv.
    #[value(alias = "alibaba-v2018")]
    AlibabaBatchTask,
    /// Google cluster-data 2019 instance_events (JSON lines or CSV with a header).
    #[value(alias = "google-2019")]
    GoogleInstanceEvents,
    /// A hybridsim trace, possibly out of arrival order.
    Hybridsim,
}

/// Runs one trace command.
pub fn run(cmd: TraceCommand) -> Outcome {
    let r = match cmd {
        TraceCommand::Convert {
            from,
            input,
            output,
            node_cpu,
            node_memory,
            keep_origin,
        } => convert(
            from,
            &input,
            &output,
            node_cpu.as_deref(),
            node_memory.as_deref(),
            keep_origin,
        ),
        TraceCommand::Summarize { file } => summarize_file(&file),
        TraceCommand::Generate {
            pods,
            seed,
            span,
            cpu,
            memory,
            min_duration,
            max_duration,
            output,
        } => (|| {
            let arg = |name: &str, v: &str, p: fn(&str) -> Result<u64, String>| {
                p(v).map_err(|e| Failure::input(format!("--{name}: {e}")))
            };
            let o = GenerateOptions {
                pods,
                seed,
                span_ms: arg("span", &span, parse_duration_ms)?,
                cpu_millis: arg("cpu", &cpu, parse_cpu_millis)?,
                memory_bytes: arg("memory", &memory, parse_bytes)?,
                min_duration_ms: arg("min-duration", &min_duration, parse_duration_ms)?,
                max_duration_ms: arg("max-duration", &max_duration, parse_duration_ms)?,
            };
            generate_file(&o, &output)
        })(),
    };
    match r {
        Ok(stdout) => Outcome {
            stdout,
            ..Outcome::default()
        },
        Err(f) => Outcome {
            stderr: f.message,
            code: f.code,
            ..Outcome::default()
        },
    }
}

/// An error message and its exit code (2 bad input, 1 could not write).
struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    fn input(m: impl std::fmt::Display) -> Self {
        Failure {
            message: format!("error: {m}"),
            code: 2,
        }
    }
    fn output(path: &Path, e: impl std::fmt::Display) -> Self {
        Failure {
            message: format!("error: cannot write {}: {e}", path.display()),
            code: 1,
        }
    }
}

impl From<TraceError> for Failure {
    fn from(e: TraceError) -> Self {
        Failure {
            message: e.to_string(),
            code: 2,
        }
    }
}

fn open(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

/// Streams into `OUTPUT.tmp-PID` and renames it to `output` when `body` succeeds.
fn write_streamed<T>(
    output: &Path,
    optional: &[Column],
    body: impl FnOnce(&mut TraceWriter<BufWriter<File>>) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let name = output
        .file_name()
        .map_or_else(|| "trace".into(), |n| n.to_string_lossy().into_owned());
    let tmp = output.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let f = File::create(&tmp).map_err(|e| Failure::output(output, e))?;
        let mut w = TraceWriter::new(BufWriter::new(f), optional)
            .map_err(|e| Failure::output(output, e))?;
        let r = body(&mut w)?;
        w.finish()
            .and_then(|mut b| b.flush())
            .map_err(|e| Failure::output(output, e))?;
        std::fs::rename(&tmp, output).map_err(|e| Failure::output(output, e))?;
        Ok(r)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn scale_arg(
    flag: &str,
    v: Option<&str>,
    parse: fn(&str) -> Result<u64, String>,
    why: &str,
) -> Result<u64, Failure> {
    let v = v.ok_or_else(|| Failure::input(format!("--{flag} is required: {why}")))?;
    let n = parse(v).map_err(|e| Failure::input(format!("--{flag}: {e}")))?;
    if n == 0 {
        return Err(Failure::input(format!("--{flag} must be more than 0")));
    }
    Ok(n)
}

fn convert(
    from: Format,
    input: &Path,
    output: &Path,
    node_cpu: Option<&str>,
    node_memory: Option<&str>,
    keep_origin: bool,
) -> Result<String, Failure> {
    let file = input.display().to_string();
    let mut sorter = Sorter::new(spill_dir(output), DEFAULT_CHUNK);
    let mut skipped = BTreeMap::new();
    let (read, optional): (String, Vec<Column>) = match from {
        Format::AlibabaBatchTask => {
            let opts = AlibabaOptions {
                node_memory_bytes: scale_arg(
                    "node-memory",
                    node_memory,
                    parse_bytes,
                    "batch_task's plan_mem is a percentage of a machine's memory",
                )?,
            };
            let mut r = BatchTaskReader::new(open(input)?, &file, opts);
            feed(&mut r, &mut sorter, output)?;
            skipped = r.skipped;
            (
                format!("{} batch_task rows", r.rows),
                vec![Column::Os, Column::Name],
            )
        }
        Format::GoogleInstanceEvents => {
            let why = "instance_events requests are normalised to the largest machine";
            let opts = GoogleOptions {
                node_cpu_millis: scale_arg("node-cpu", node_cpu, parse_cpu_millis, why)?,
                node_memory_bytes: scale_arg("node-memory", node_memory, parse_bytes, why)?,
            };
            let mut r = InstanceEventsReader::new(open(input)?, &file, opts)?;
            feed(&mut r, &mut sorter, output)?;
            skipped = r.skipped;
            (
                format!("{} instance events", r.events),
                vec![Column::Priority, Column::Os, Column::Name],
            )
        }
        Format::Hybridsim => {
            let mut r = super::TraceReader::new(open(input)?, &file)?.unsorted();
            let optional = Column::ALL.into_iter().filter(|&c| r.has(c)).collect();
            feed(&mut r, &mut sorter, output)?;
            (format!("{} rows", r.rows()), optional)
        }
    };
    let sorted = write_streamed(output, &optional, |w| {
        sorter.finish(w, !keep_origin).map_err(Failure::from)
    })?;
    let mut s = String::new();
    let _ = writeln!(s, "read {read} from {file}");
    let total: u64 = skipped.values().sum();
    if total > 0 {
        let _ = writeln!(s, "skipped {total}:");
        for (reason, n) in &skipped {
            let _ = writeln!(s, "  {n:>10}  {reason}");
        }
    }
    let _ = write!(s, "wrote {} pods to {}", sorted.pods, output.display());
    if sorted.first_arrival_ms > 0 {
        let _ = write!(
            s,
            " (arrivals moved {} s earlier so the first is 0)",
            format_seconds(sorted.first_arrival_ms)
        );
    }
    s.push('\n');
    Ok(s)
}

fn feed(
    pods: &mut impl Iterator<Item = Result<TracePod, TraceError>>,
    sorter: &mut Sorter,
    output: &Path,
) -> Result<(), Failure> {
    for p in pods {
        sorter.push(p?).map_err(|e| Failure::output(output, e))?;
    }
    Ok(())
}

fn summarize_file(path: &Path) -> Result<String, Failure> {
    let mut r = super::TraceReader::new(open(path)?, &path.display().to_string())?;
    let s = summarize(&mut r)?;
    Ok(s.render(&path.display().to_string()))
}

fn generate_file(o: &GenerateOptions, output: &Path) -> Result<String, Failure> {
    let n = write_streamed(output, &generate::COLUMNS, |w| {
        generate::generate(o, w).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => Failure::input(e),
            _ => Failure::output(output, e),
        })
    })?;
    Ok(format!(
        "wrote {n} pods to {} (seed {}, arrivals uniform over {} s)\n",
        output.display(),
        o.seed,
        format_seconds(o.span_ms)
    ))
}
