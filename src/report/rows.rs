//! Typed rows of every CSV output: one struct per file (`PodRow` for pods.csv, `TimeseriesRow`
//! in a `Timeseries` for timeseries.csv, `ScalingRow` for scaling.csv, `CompareRow` in a
//! `CompareTable` for compare.csv, `StartupCdfRow` in a `StartupCdf` for startup_cdf.csv).
//! The same types write the files (csv + serde), feed the plots in memory, and read the files
//! back for `hybridsim plot DIR` and the tests.
//!
//! Owns: the column names, their order and each cell's text form (schemas in docs/outputs.md),
//! and the errors for a file that does not match them. Does not own: the numbers (the run's
//! `RunOutput`, the experiment's records), which rows exist (`report::run_tables`,
//! `experiment::table`), or writing files (`report::write_atomically`).
//!
//! Cells with a fixed text form are newtypes (`Secs`, `Fixed3`, `Fixed6`, `Metric`) whose value
//! is exactly what the file holds, so a row written and read back is equal to the row in memory
//! and a plot drawn from memory is the plot drawn from the file. None of them accepts a
//! non-finite number when reading: `inf` or `NaN` in a file is an error naming the file, line
//! and column, never a value handed to plotters (whose axis code loops forever on one).

use serde::de::Error as _;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::io;
use std::str::FromStr;

// ---------------------------------------------------------------------------------------------
// Cells

/// A time in milliseconds, written as seconds with exactly three decimals (`12.345`): stable
/// text on every machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Secs(pub u64);

impl Secs {
    pub fn ms(self) -> u64 {
        self.0
    }
    /// Seconds as f64: the same value as parsing the written text (`ms / 1000` is correctly
    /// rounded like the parse of `S.mmm`, both from the exact rational ms/1000).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

impl FromStr for Secs {
    type Err = String;
    /// `S`, `S.d`, `S.dd` or `S.ddd`: digits only, so `inf`, `NaN`, signs and exponents are
    /// refused.
    fn from_str(s: &str) -> Result<Secs, String> {
        let expected = || format!("expected seconds with up to three decimals, found \"{s}\"");
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 3 {
            return Err(expected());
        }
        let w: u64 = whole.parse().map_err(|_| expected())?;
        let f: u64 = format!("{frac:0<3}").parse().map_err(|_| expected())?;
        w.checked_mul(1000)
            .and_then(|x| x.checked_add(f))
            .map(Secs)
            .ok_or_else(expected)
    }
}

/// A finite number written with a fixed number of decimals. The value held is the written
/// text parsed back, so a written and re-read cell is equal to the one in memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Fixed<const D: usize>(f64);

/// Three decimals: the HPA's load and unserved load in timeseries.csv.
pub type Fixed3 = Fixed<3>;
/// Six decimals: the fraction of pods Ready in startup_cdf.csv.
pub type Fixed6 = Fixed<6>;

impl<const D: usize> Fixed<D> {
    /// `x` rounded to D decimals, as the file will hold it.
    pub fn new(x: f64) -> Fixed<D> {
        Fixed(format!("{x:.D$}").parse().unwrap_or(x))
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<const D: usize> fmt::Display for Fixed<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.D$}", self.0)
    }
}

fn finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("expected a finite number, found \"{s}\"")),
    }
}

impl<const D: usize> FromStr for Fixed<D> {
    type Err = String;
    fn from_str(s: &str) -> Result<Fixed<D>, String> {
        finite(s).map(Fixed)
    }
}

/// A compare.csv metric: Rust's shortest text that parses back to the same f64 (`315.714`,
/// `3`, `0.25`), empty where the run has no value.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Metric(pub Option<f64>);

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(x) => write!(f, "{x}"),
            None => Ok(()),
        }
    }
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Metric, String> {
        if s.is_empty() {
            Ok(Metric(None))
        } else {
            finite(s).map(|x| Metric(Some(x)))
        }
    }
}

/// Serde through the text form for the cell newtypes.
macro_rules! text_serde {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(D::Error::custom)
            }
        }
    )*};
}
text_serde!(Secs, Fixed3, Fixed6, Metric);

/// `Option<Secs>` as an empty cell or seconds (csv's own `Option` handling would read a
/// malformed cell as None instead of reporting it).
mod opt_secs {
    use super::Secs;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Secs>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.collect_str(x),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secs>, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(D::Error::custom)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading and writing

/// An error in an output file read back: `FILE: line L, column `NAME`: what was expected`.
fn at(file: &str, line: u64, column: Option<&str>, msg: impl fmt::Display) -> String {
    match column {
        Some(c) => format!("{file}: line {line}, column `{c}`: {msg}"),
        None => format!("{file}: line {line}: {msg}"),
    }
}

/// A csv error with the file, line and column name where the csv crate knows them.
fn csv_error(file: &str, header: &csv::StringRecord, e: &csv::Error) -> String {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let col = err.field().and_then(|i| header.get(i as usize));
            // The deserializer's own message already says what was found.
            let msg = match err.kind() {
                csv::DeserializeErrorKind::Message(m) => m.clone(),
                k => k.to_string(),
            };
            at(file, line, col, msg)
        }
        _ => format!("{file}: {e}"),
    }
}

pub(crate) fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new())
}

pub(crate) fn finish(w: csv::Writer<Vec<u8>>) -> io::Result<Vec<u8>> {
    w.into_inner().map_err(|e| io::Error::other(e.to_string()))
}

/// Writes a header and rows. The header is written explicitly (not derived by csv from the
/// first row) so that a file without rows still has it.
fn write_rows<R: Serialize>(header: &[impl AsRef<[u8]>], rows: &[R]) -> io::Result<Vec<u8>> {
    let mut w = writer();
    w.write_record(header).map_err(io::Error::other)?;
    for r in rows {
        w.serialize(r).map_err(io::Error::other)?;
    }
    finish(w)
}

/// Reads rows of a fixed-column file by column name, checking the header first.
fn read_rows<R: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    file: &str,
    header: &[&str],
) -> Result<Vec<R>, String> {
    let mut r = csv::Reader::from_reader(bytes);
    let h = r.headers().map_err(|e| format!("{file}: {e}"))?.clone();
    if h.iter().ne(header.iter().copied()) {
        return Err(format!(
            "{file}: line 1: expected the header `{}`, found `{}`",
            header.join(","),
            h.iter().collect::<Vec<_>>().join(",")
        ));
    }
    r.deserialize()
        .map(|row| row.map_err(|e| csv_error(file, &h, &e)))
        .collect()
}

/// One cell of a dynamic-column file, parsed with its type's `FromStr`.
fn cell<T: FromStr>(
    file: &str,
    header: &csv::StringRecord,
    rec: &csv::StringRecord,
    i: usize,
    expected: &str,
) -> Result<T, String>
where
    T::Err: fmt::Display,
{
    let line = rec.position().map_or(0, |p| p.line());
    let text = rec.get(i).unwrap_or("");
    text.parse().map_err(|e: T::Err| {
        let msg = if expected.is_empty() {
            e.to_string()
        } else {
            format!("expected {expected}, found \"{text}\"")
        };
        at(file, line, header.get(i), msg)
    })
}

/// Records of a dynamic-column file, each with exactly the header's number of cells.
fn records(
    bytes: &[u8],
    file: &str,
) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), String> {
    let mut r = csv::Reader::from_reader(bytes);
    let h = r.headers().map_err(|e| format!("{file}: {e}"))?.clone();
    let recs = r
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{file}: {e}"))?;
    Ok((h, recs))
}

// ---------------------------------------------------------------------------------------------
// pods.csv

/// A row of `pods.csv`: one pod.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PodRow {
    /// `WORKLOAD-ORDINAL`.
    pub pod: String,
    pub workload: String,
    /// `linux`, `windows`, or empty for a pod never bound.
    pub os: String,
    pub node: String,
    pub pool: String,
    pub created_s: Secs,
    #[serde(with = "opt_secs")]
    pub scheduled_s: Option<Secs>,
    #[serde(with = "opt_secs")]
    pub pulled_s: Option<Secs>,
    #[serde(with = "opt_secs")]
    pub started_s: Option<Secs>,
    #[serde(with = "opt_secs")]
    pub ready_s: Option<Secs>,
    #[serde(with = "opt_secs")]
    pub ended_s: Option<Secs>,
    /// The pod's phase at the end (`Ready`, `Pending`, `Failed`, …).
    pub outcome: String,
    pub reason: String,
    pub message: String,
    pub scheduling_attempts: u64,
}

impl PodRow {
    pub const HEADER: [&'static str; 15] = [
        "pod",
        "workload",
        "os",
        "node",
        "pool",
        "created_s",
        "scheduled_s",
        "pulled_s",
        "started_s",
        "ready_s",
        "ended_s",
        "outcome",
        "reason",
        "message",
        "scheduling_attempts",
    ];
    pub const FILE: &'static str = "pods.csv";

    pub fn write(rows: &[PodRow]) -> io::Result<Vec<u8>> {
        write_rows(&Self::HEADER, rows)
    }
    pub fn read(bytes: &[u8]) -> Result<Vec<PodRow>, String> {
        read_rows(bytes, Self::FILE, &Self::HEADER)
    }
}

// ---------------------------------------------------------------------------------------------
// scaling.csv

/// A row of `scaling.csv`: one cluster-autoscaler action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingRow {
    pub time_s: Secs,
    pub pool: String,
    /// Nodes requested by a scale-up (`N`, written without a plus sign), or `-1` per node removed
    /// (scale-down) or given up (failed scale-up).
    pub delta: i32,
    /// `scale-up`, `scale-down` or `failed-scale-up`.
    pub kind: String,
    pub reason: String,
}

impl ScalingRow {
    pub const HEADER: [&'static str; 5] = ["time_s", "pool", "delta", "kind", "reason"];
    pub const FILE: &'static str = "scaling.csv";

    pub fn write(rows: &[ScalingRow]) -> io::Result<Vec<u8>> {
        write_rows(&Self::HEADER, rows)
    }
    pub fn read(bytes: &[u8]) -> Result<Vec<ScalingRow>, String> {
        read_rows(bytes, Self::FILE, &Self::HEADER)
    }
}

// ---------------------------------------------------------------------------------------------
// timeseries.csv

/// One HPA workload's cells of a sample: `replicas_W`, `ready_W`, `load_W`, `unserved_W`.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaCells {
    pub replicas: u32,
    pub ready: u32,
    pub load: Fixed3,
    pub unserved: Fixed3,
}

/// A row of `timeseries.csv`: one sample. The per-pool and per-HPA-workload cells follow the
/// fixed ones in the order of the `Timeseries` they belong to.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeseriesRow {
    pub time_s: Secs,
    pub pending: u32,
    pub starting: u32,
    pub running: u32,
    pub ready: u32,
    pub failed: u32,
    pub pulls_in_flight: u32,
    /// `nodes_ready_POOL`, per pool.
    pub nodes_ready: Vec<u32>,
    /// `nodes_provisioning_POOL`, per pool.
    pub nodes_provisioning: Vec<u32>,
    /// `disk_used_POOL`, per pool, when the run tracks disks (else empty).
    pub disk_used: Vec<u64>,
    /// `nodes_cordoned_POOL` and `nodes_not_ready_POOL`, per pool, when the scenario has node
    /// lifecycle actions (else empty).
    pub nodes_cordoned: Vec<u32>,
    pub nodes_not_ready: Vec<u32>,
    /// Per HPA workload.
    pub hpa: Vec<HpaCells>,
    /// `pods_build_VERSION`, per Windows version of `Timeseries::builds`, when the scenario
    /// upgrades or patches a pool (else empty): pods bound to registered nodes of that version.
    pub pods_build: Vec<u32>,
}

/// A row is a flat record of cells, in header order.
impl Serialize for TimeseriesRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = 7
            + self.nodes_ready.len()
            + self.nodes_provisioning.len()
            + self.disk_used.len()
            + self.nodes_cordoned.len()
            + self.nodes_not_ready.len()
            + 4 * self.hpa.len()
            + self.pods_build.len();
        let mut seq = s.serialize_seq(Some(n))?;
        seq.serialize_element(&self.time_s)?;
        for v in [
            self.pending,
            self.starting,
            self.running,
            self.ready,
            self.failed,
            self.pulls_in_flight,
        ] {
            seq.serialize_element(&v)?;
        }
        for v in self.nodes_ready.iter().chain(&self.nodes_provisioning) {
            seq.serialize_element(v)?;
        }
        for v in &self.disk_used {
            seq.serialize_element(v)?;
        }
        for v in self.nodes_cordoned.iter().chain(&self.nodes_not_ready) {
            seq.serialize_element(v)?;
        }
        for h in &self.hpa {
            seq.serialize_element(&h.replicas)?;
            seq.serialize_element(&h.ready)?;
            seq.serialize_element(&h.load)?;
            seq.serialize_element(&h.unserved)?;
        }
        for v in &self.pods_build {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

/// `timeseries.csv`: its dynamic columns (pools, HPA workloads) and its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeseries {
    /// Pool names, in scenario order.
    pub pools: Vec<String>,
    /// Names of the workloads with an HPA, in scenario order.
    pub hpa_workloads: Vec<String>,
    /// Whether the `disk_used_POOL` columns are there (some pool's disk can fill).
    pub disk: bool,
    /// Whether the `nodes_cordoned_POOL` and `nodes_not_ready_POOL` columns are there (the
    /// scenario has node lifecycle actions).
    pub lifecycle: bool,
    pub rows: Vec<TimeseriesRow>,
    /// The Windows versions (`10.0.BUILD.REV`) of the `pods_build_*` columns, oldest first;
    /// empty unless the scenario upgrades or patches a pool. Last in the header, after the
    /// HPA cells.
    pub builds: Vec<String>,
}

impl Timeseries {
    pub const FILE: &'static str = "timeseries.csv";
    /// The columns every timeseries.csv starts with.
    pub const FIXED: [&'static str; 7] = [
        "time_s",
        "pending",
        "starting",
        "running",
        "ready",
        "failed",
        "pulls_in_flight",
    ];
    /// The cells of each HPA workload, as column-name prefixes.
    pub const HPA: [&'static str; 4] = ["replicas", "ready", "load", "unserved"];

    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = Self::FIXED.iter().map(|s| s.to_string()).collect();
        h.extend(self.pools.iter().map(|p| format!("nodes_ready_{p}")));
        h.extend(self.pools.iter().map(|p| format!("nodes_provisioning_{p}")));
        if self.disk {
            h.extend(self.pools.iter().map(|p| format!("disk_used_{p}")));
        }
        if self.lifecycle {
            h.extend(self.pools.iter().map(|p| format!("nodes_cordoned_{p}")));
            h.extend(self.pools.iter().map(|p| format!("nodes_not_ready_{p}")));
        }
        for w in &self.hpa_workloads {
            h.extend(Self::HPA.iter().map(|c| format!("{c}_{w}")));
        }
        h.extend(
            self.builds
                .iter()
                .map(|b| format!("{}{b}", Self::BUILD_PREFIX)),
        );
        h
    }

    /// The prefix of the per-Windows-version pod counts.
    pub const BUILD_PREFIX: &'static str = "pods_build_";

    pub fn write(&self) -> io::Result<Vec<u8>> {
        write_rows(&self.header(), &self.rows)
    }

    /// Reads a timeseries.csv: the header gives the pools (`nodes_ready_*`, then the same
    /// pools as `nodes_provisioning_*`) and the HPA workloads (groups of four columns).
    pub fn read(bytes: &[u8]) -> Result<Timeseries, String> {
        let file = Self::FILE;
        let (h, recs) = records(bytes, file)?;
        let all: Vec<&str> = h.iter().collect();
        // The per-build columns close the header; the rest is read as before.
        let nb = all
            .iter()
            .rev()
            .take_while(|n| n.starts_with(Self::BUILD_PREFIX))
            .count();
        let names = &all[..all.len() - nb];
        let bad_header = |what: &str| format!("{file}: line 1: {what}");
        if names.len() < 7 || names[..7] != Self::FIXED {
            return Err(bad_header(&format!(
                "expected the header to start with `{}`",
                Self::FIXED.join(",")
            )));
        }
        let pools: Vec<String> = names[7..]
            .iter()
            .map_while(|n| n.strip_prefix("nodes_ready_"))
            .map(str::to_string)
            .collect();
        let np = pools.len();
        let disk = np > 0
            && names.len() >= 7 + 3 * np
            && names[7 + 2 * np..7 + 3 * np]
                .iter()
                .all(|n| n.starts_with("disk_used_"));
        let base = if disk { 3 } else { 2 };
        let lifecycle = np > 0
            && names.len() >= 7 + (base + 2) * np
            && names[7 + base * np..7 + (base + 1) * np]
                .iter()
                .all(|n| n.starts_with("nodes_cordoned_"));
        let mut ts = Timeseries {
            pools,
            hpa_workloads: Vec::new(),
            disk,
            lifecycle,
            rows: Vec::new(),
            builds: all[all.len() - nb..]
                .iter()
                .map(|n| n[Self::BUILD_PREFIX.len()..].to_string())
                .collect(),
        };
        let per_pool = base + if lifecycle { 2 } else { 0 };
        let rest = &names[7 + per_pool * np.min((names.len() - 7) / per_pool)..];
        if rest.len().is_multiple_of(4) {
            ts.hpa_workloads = rest
                .chunks(4)
                .filter_map(|c| c[0].strip_prefix("replicas_").map(str::to_string))
                .collect();
        }
        let expected = ts.header();
        if all.iter().ne(expected.iter()) {
            return Err(bad_header(&format!(
                "expected `{}` (pools as nodes_ready_*, then nodes_provisioning_* in the same \
                 order, then disk_used_* in the same order when disks are tracked, then replicas_W,ready_W,load_W,unserved_W per HPA workload, then pods_build_VERSION per Windows version when pools are upgraded), found `{}`",
                expected.join(","),
                all.join(",")
            )));
        }
        let nh = ts.hpa_workloads.len();
        let count = "a whole number";
        for rec in &recs {
            let c = |i: usize| cell::<u32>(file, &h, rec, i, count);
            let mut row = TimeseriesRow {
                time_s: cell(file, &h, rec, 0, "")?,
                pending: c(1)?,
                starting: c(2)?,
                running: c(3)?,
                ready: c(4)?,
                failed: c(5)?,
                pulls_in_flight: c(6)?,
                nodes_ready: Vec::with_capacity(np),
                nodes_provisioning: Vec::with_capacity(np),
                disk_used: Vec::new(),
                nodes_cordoned: Vec::new(),
                nodes_not_ready: Vec::new(),
                hpa: Vec::with_capacity(nh),
                pods_build: Vec::with_capacity(nb),
            };
            for p in 0..np {
                row.nodes_ready.push(c(7 + p)?);
                row.nodes_provisioning.push(c(7 + np + p)?);
                if ts.disk {
                    row.disk_used.push(cell::<u64>(
                        file,
                        &h,
                        rec,
                        7 + 2 * np + p,
                        "a whole number of bytes",
                    )?);
                }
            }
            if ts.lifecycle {
                for p in 0..np {
                    row.nodes_cordoned.push(c(7 + base * np + p)?);
                    row.nodes_not_ready.push(c(7 + (base + 1) * np + p)?);
                }
            }
            for w in 0..nh {
                let i = 7 + per_pool * np + 4 * w;
                row.hpa.push(HpaCells {
                    replicas: c(i)?,
                    ready: c(i + 1)?,
                    load: cell(file, &h, rec, i + 2, "")?,
                    unserved: cell(file, &h, rec, i + 3, "")?,
                });
            }
            for b in 0..nb {
                row.pods_build.push(c(all.len() - nb + b)?);
            }
            ts.rows.push(row);
        }
        Ok(ts)
    }
}

// ---------------------------------------------------------------------------------------------
// compare.csv

/// A row of `compare.csv`: one run of a compare or sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    pub variant: String,
    pub seed: u64,
    /// The swept values, in the order of `CompareTable::params`.
    pub params: Vec<String>,
    /// One cell per metric, in the order of `CompareTable::metrics`.
    pub metrics: Vec<Metric>,
}

impl Serialize for CompareRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2 + self.params.len() + self.metrics.len()))?;
        seq.serialize_element(&self.variant)?;
        seq.serialize_element(&self.seed)?;
        for p in &self.params {
            seq.serialize_element(p)?;
        }
        for m in &self.metrics {
            seq.serialize_element(m)?;
        }
        seq.end()
    }
}

/// `compare.csv`: `variant`, `seed`, the swept paths, then every metric.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareTable {
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    pub rows: Vec<CompareRow>,
}

impl CompareTable {
    pub const FILE: &'static str = "compare.csv";

    pub fn header(&self) -> Vec<String> {
        let mut h = vec!["variant".to_string(), "seed".to_string()];
        h.extend(self.params.iter().cloned());
        h.extend(self.metrics.iter().cloned());
        h
    }

    pub fn write(&self) -> io::Result<Vec<u8>> {
        write_rows(&self.header(), &self.rows)
    }

    /// Reads a compare.csv. The swept paths are the columns between `seed` and the first
    /// metric; `params` names how many there are (from compare.json, or 0 for a compare).
    pub fn read(bytes: &[u8], params: usize) -> Result<CompareTable, String> {
        let file = Self::FILE;
        let (h, recs) = records(bytes, file)?;
        let names: Vec<String> = h.iter().map(str::to_string).collect();
        if names.len() < 2 + params || names[0] != "variant" || names[1] != "seed" {
            return Err(format!(
                "{file}: line 1: expected `variant,seed`, {params} swept paths, then the metrics"
            ));
        }
        let mut t = CompareTable {
            params: names[2..2 + params].to_vec(),
            metrics: names[2 + params..].to_vec(),
            rows: Vec::with_capacity(recs.len()),
        };
        for rec in &recs {
            t.rows.push(CompareRow {
                variant: rec[0].to_string(),
                seed: cell(file, &h, rec, 1, "a seed (a whole number)")?,
                params: (2..2 + params).map(|i| rec[i].to_string()).collect(),
                metrics: (2 + params..names.len())
                    .map(|i| cell(file, &h, rec, i, ""))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(t)
    }

    /// The value of `metric` in `row`, if the column exists and the run has a value.
    pub fn get(&self, row: &CompareRow, metric: &str) -> Option<f64> {
        let i = self.metrics.iter().position(|m| m == metric)?;
        row.metrics[i].0
    }
}

// ---------------------------------------------------------------------------------------------
// startup_cdf.csv

/// A row of `startup_cdf.csv`: one point of a group's pooled startup-latency CDF.
#[derive(Clone, Debug, PartialEq)]
pub struct StartupCdfRow {
    pub variant: String,
    /// The swept values, in the order of `StartupCdf::params`.
    pub params: Vec<String>,
    /// `all`, `linux` or `windows`.
    pub os: String,
    pub latency_s: Secs,
    /// Fraction of the group's pods Ready at or before `latency_s`.
    pub fraction: Fixed6,
    /// The denominator: the group's pods (Ready or not).
    pub pods: u64,
}

impl Serialize for StartupCdfRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(5 + self.params.len()))?;
        seq.serialize_element(&self.variant)?;
        for p in &self.params {
            seq.serialize_element(p)?;
        }
        seq.serialize_element(&self.os)?;
        seq.serialize_element(&self.latency_s)?;
        seq.serialize_element(&self.fraction)?;
        seq.serialize_element(&self.pods)?;
        seq.end()
    }
}

/// `startup_cdf.csv`: `variant`, the swept paths, `os`, `latency_s`, `fraction`, `pods`.
#[derive(Clone, Debug, PartialEq)]
pub struct StartupCdf {
    pub params: Vec<String>,
    pub rows: Vec<StartupCdfRow>,
}

impl StartupCdf {
    pub const FILE: &'static str = "startup_cdf.csv";
    const TAIL: [&'static str; 4] = ["os", "latency_s", "fraction", "pods"];

    pub fn header(&self) -> Vec<String> {
        group_header(&self.params, &Self::TAIL)
    }

    pub fn write(&self) -> io::Result<Vec<u8>> {
        write_rows(&self.header(), &self.rows)
    }

    /// Reads a startup_cdf.csv; the swept paths are the columns between `variant` and `os`.
    pub fn read(bytes: &[u8]) -> Result<StartupCdf, String> {
        let file = Self::FILE;
        let (h, recs) = records(bytes, file)?;
        let params = group_params(file, &h, &Self::TAIL)?;
        let n = h.len();
        let mut t = StartupCdf {
            params,
            rows: Vec::with_capacity(recs.len()),
        };
        for rec in &recs {
            t.rows.push(StartupCdfRow {
                variant: rec[0].to_string(),
                params: (1..n - 4).map(|i| rec[i].to_string()).collect(),
                os: rec[n - 4].to_string(),
                latency_s: cell(file, &h, rec, n - 3, "")?,
                fraction: cell(file, &h, rec, n - 2, "")?,
                pods: cell(file, &h, rec, n - 1, "a whole number")?,
            });
        }
        Ok(t)
    }
}

/// The header of a per-group table: `variant`, the swept paths, then the table's own columns.
fn group_header(params: &[String], tail: &[&str]) -> Vec<String> {
    let mut h = vec!["variant".to_string()];
    h.extend(params.iter().cloned());
    h.extend(tail.iter().map(|c| c.to_string()));
    h
}

/// Checks a per-group table's header (`group_header`) and returns its swept paths, the
/// columns between `variant` and the table's own.
fn group_params(file: &str, h: &csv::StringRecord, tail: &[&str]) -> Result<Vec<String>, String> {
    let names: Vec<&str> = h.iter().collect();
    let (n, t) = (names.len(), tail.len());
    if n < t + 1 || names[0] != "variant" || names[n - t..] != *tail {
        return Err(format!(
            "{file}: line 1: expected `variant`, the swept paths, then `{}`",
            tail.join(",")
        ));
    }
    Ok(names[1..n - t].iter().map(|s| s.to_string()).collect())
}

// ---------------------------------------------------------------------------------------------
// variant_timeseries.csv

/// A row of `variant_timeseries.csv`: one series of one group at one sample time, over the
/// group's seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantSeriesRow {
    pub variant: String,
    /// The swept values, in the order of `VariantSeries::params`.
    pub params: Vec<String>,
    /// `nodes_ready.linux`, `pods_waiting.windows`, … (`experiment::series::SERIES`).
    pub series: String,
    pub time_s: Secs,
    /// Seeds averaged.
    pub runs: u64,
    pub mean: Fixed3,
    /// The mean's confidence interval (compare's `--confidence`); empty with one seed.
    pub lo: Metric,
    pub hi: Metric,
    /// The smallest and largest value over the seeds.
    pub min: Fixed3,
    pub max: Fixed3,
}

impl Serialize for VariantSeriesRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(9 + self.params.len()))?;
        seq.serialize_element(&self.variant)?;
        for p in &self.params {
            seq.serialize_element(p)?;
        }
        seq.serialize_element(&self.series)?;
        seq.serialize_element(&self.time_s)?;
        seq.serialize_element(&self.runs)?;
        seq.serialize_element(&self.mean)?;
        seq.serialize_element(&self.lo)?;
        seq.serialize_element(&self.hi)?;
        seq.serialize_element(&self.min)?;
        seq.serialize_element(&self.max)?;
        seq.end()
    }
}

/// `variant_timeseries.csv`: `variant`, the swept paths, `series`, `time_s`, `runs`, `mean`,
/// `lo`, `hi`, `min`, `max`.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantSeries {
    pub params: Vec<String>,
    pub rows: Vec<VariantSeriesRow>,
}

impl VariantSeries {
    pub const FILE: &'static str = "variant_timeseries.csv";
    const TAIL: [&'static str; 8] = ["series", "time_s", "runs", "mean", "lo", "hi", "min", "max"];

    pub fn header(&self) -> Vec<String> {
        group_header(&self.params, &Self::TAIL)
    }

    pub fn write(&self) -> io::Result<Vec<u8>> {
        write_rows(&self.header(), &self.rows)
    }

    /// Reads a variant_timeseries.csv; the swept paths are the columns between `variant` and
    /// `series`.
    pub fn read(bytes: &[u8]) -> Result<VariantSeries, String> {
        let file = Self::FILE;
        let (h, recs) = records(bytes, file)?;
        let params = group_params(file, &h, &Self::TAIL)?;
        let p = params.len() + 1;
        let mut out = VariantSeries {
            params,
            rows: Vec::with_capacity(recs.len()),
        };
        for rec in &recs {
            out.rows.push(VariantSeriesRow {
                variant: rec[0].to_string(),
                params: (1..p).map(|i| rec[i].to_string()).collect(),
                series: rec[p].to_string(),
                time_s: cell(file, &h, rec, p + 1, "")?,
                runs: cell(file, &h, rec, p + 2, "a whole number")?,
                mean: cell(file, &h, rec, p + 3, "")?,
                lo: cell(file, &h, rec, p + 4, "")?,
                hi: cell(file, &h, rec, p + 5, "")?,
                min: cell(file, &h, rec, p + 6, "")?,
                max: cell(file, &h, rec, p + 7, "")?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_back_to_the_milliseconds_written() {
        // "12.3" is 12 s + 300 ms; "7" is 7000 ms; the written form always has 3 decimals.
        assert_eq!("12.345".parse::<Secs>(), Ok(Secs(12_345)));
        assert_eq!("12.3".parse::<Secs>(), Ok(Secs(12_300)));
        assert_eq!("7".parse::<Secs>(), Ok(Secs(7_000)));
        assert_eq!(Secs(12_300).to_string(), "12.300");
        for bad in ["inf", "NaN", "-1.000", "1e3", "1.2345", "", "."] {
            assert!(bad.parse::<Secs>().is_err(), "{bad:?} was accepted");
        }
        // The f64 of the written text: 0.1 + 0.2 style rounding must not creep in.
        assert_eq!(Secs(12_345).as_f64(), "12.345".parse::<f64>().unwrap());
    }

    #[test]
    fn fixed_cells_hold_what_the_file_holds_and_refuse_non_finite_numbers() {
        // 1/3 written with 6 decimals is 0.333333; the cell holds that, not 1/3.
        let f = Fixed6::new(1.0 / 3.0);
        assert_eq!(f.to_string(), "0.333333");
        assert_eq!(f.get(), 0.333333);
        assert_eq!("0.333333".parse::<Fixed6>(), Ok(f));
        for bad in ["inf", "-inf", "NaN", "x"] {
            assert!(bad.parse::<Fixed3>().is_err(), "{bad:?} was accepted");
            assert!(bad.parse::<Metric>().is_err(), "{bad:?} was accepted");
        }
        assert_eq!("".parse::<Metric>(), Ok(Metric(None)));
    }

    #[test]
    fn the_row_structs_field_names_are_the_headers() {
        // csv derives a header from the field names when asked; it must be the HEADER constant
        // the files are written with, so the struct and the documented schema cannot drift.
        fn derived<R: Serialize>(row: &R) -> String {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.serialize(row).unwrap();
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            text.lines().next().unwrap().to_string()
        }
        let pod = PodRow {
            pod: "web-0".into(),
            workload: "web".into(),
            os: "linux".into(),
            node: "n-0".into(),
            pool: "n".into(),
            created_s: Secs(0),
            scheduled_s: Some(Secs(1)),
            pulled_s: None,
            started_s: None,
            ready_s: None,
            ended_s: None,
            outcome: "Pending".into(),
            reason: String::new(),
            message: String::new(),
            scheduling_attempts: 1,
        };
        assert_eq!(derived(&pod), PodRow::HEADER.join(","));
        let scaling = ScalingRow {
            time_s: Secs(10),
            pool: "win".into(),
            delta: 2,
            kind: "scale-up".into(),
            reason: "pending pods".into(),
        };
        assert_eq!(derived(&scaling), ScalingRow::HEADER.join(","));
        // And both read back equal.
        assert_eq!(
            PodRow::read(&PodRow::write(std::slice::from_ref(&pod)).unwrap()),
            Ok(vec![pod])
        );
        assert_eq!(
            ScalingRow::read(&ScalingRow::write(std::slice::from_ref(&scaling)).unwrap()),
            Ok(vec![scaling])
        );
    }

    #[test]
    fn a_timeseries_written_reads_back_equal_and_an_inf_cell_is_named() {
        let ts = Timeseries {
            pools: vec!["lin".into(), "win".into()],
            hpa_workloads: vec!["api".into()],
            disk: false,
            lifecycle: false,
            builds: Vec::new(),
            rows: vec![TimeseriesRow {
                time_s: Secs(10_000),
                pending: 1,
                starting: 2,
                running: 3,
                ready: 4,
                failed: 0,
                pulls_in_flight: 1,
                nodes_ready: vec![2, 0],
                nodes_provisioning: vec![0, 1],
                disk_used: Vec::new(),
                nodes_cordoned: Vec::new(),
                nodes_not_ready: Vec::new(),
                hpa: vec![HpaCells {
                    replicas: 3,
                    ready: 2,
                    load: Fixed3::new(1.5),
                    unserved: Fixed3::new(0.25),
                }],
                pods_build: Vec::new(),
            }],
        };
        // With disks tracked, the per-pool disk columns sit between the node counts and the
        // HPA cells, and read back as such.
        let mut with_disk = ts.clone();
        with_disk.disk = true;
        with_disk.rows[0].disk_used = vec![12_000_000_000, 0];
        let bytes = with_disk.write().unwrap();
        assert!(String::from_utf8(bytes.clone()).unwrap().starts_with(
            "time_s,pending,starting,running,ready,failed,pulls_in_flight,\
                     nodes_ready_lin,nodes_ready_win,nodes_provisioning_lin,\
                     nodes_provisioning_win,disk_used_lin,disk_used_win,replicas_api,"
        ));
        assert_eq!(Timeseries::read(&bytes), Ok(with_disk.clone()));
        // With node lifecycle actions, the cordoned and NotReady counts follow the disk
        // columns (cordoned for every pool, then NotReady), still before the HPA cells.
        let mut with_lifecycle = with_disk;
        with_lifecycle.lifecycle = true;
        with_lifecycle.rows[0].nodes_cordoned = vec![0, 1];
        with_lifecycle.rows[0].nodes_not_ready = vec![2, 0];
        let bytes = with_lifecycle.write().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(
            "disk_used_win,nodes_cordoned_lin,nodes_cordoned_win,nodes_not_ready_lin,\
             nodes_not_ready_win,replicas_api,"
        ));
        assert!(text.contains(",12000000000,0,0,1,2,0,3,2,"), "{text}");
        assert_eq!(Timeseries::read(&bytes), Ok(with_lifecycle.clone()));
        // With a pool upgrade, the pods per Windows version close the header, after the HPA
        // cells, one column per version in the order given.
        let mut with_builds = with_lifecycle;
        with_builds.builds = vec!["10.0.17763.5458".into(), "10.0.20348.2340".into()];
        with_builds.rows[0].pods_build = vec![7, 3];
        let bytes = with_builds.write().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("unserved_api,pods_build_10.0.17763.5458,pods_build_10.0.20348.2340\n"),
            "{text}"
        );
        assert!(text.ends_with(",1.500,0.250,7,3\n"), "{text}");
        assert_eq!(Timeseries::read(&bytes), Ok(with_builds));
        let bytes = ts.write().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(
            text,
            "time_s,pending,starting,running,ready,failed,pulls_in_flight,nodes_ready_lin,\
             nodes_ready_win,nodes_provisioning_lin,nodes_provisioning_win,replicas_api,\
             ready_api,load_api,unserved_api\n10.000,1,2,3,4,0,1,2,0,0,1,3,2,1.500,0.250\n"
        );
        assert_eq!(Timeseries::read(&bytes), Ok(ts));
        // Line 2 is the first row; column 10 (0-based) is nodes_provisioning_win.
        let bad = text.replace("2,0,0,1,3", "2,0,0,inf,3");
        assert_eq!(
            Timeseries::read(bad.as_bytes()).unwrap_err(),
            "timeseries.csv: line 2, column `nodes_provisioning_win`: expected a whole number, \
             found \"inf\""
        );
        let bad = text.replace("1.500", "NaN");
        assert_eq!(
            Timeseries::read(bad.as_bytes()).unwrap_err(),
            "timeseries.csv: line 2, column `load_api`: expected a finite number, found \"NaN\""
        );
    }
}
