//! Distributed runs: the file one shard writes, and `merge`, which rebuilds from all shards
//! exactly the files a single run would have written.
//!
//! Owns: the shard file format (`shard-K-of-N.json`) and the checks that the shards belong to
//! one plan and cover it exactly once. Does not own: scheduling the shards (Kubernetes, Slurm;
//! see docs/distributed.md) or the outputs themselves (`table`).
//!
//! Exactness: metric values are JSON numbers, written in Rust's shortest round-trip form and
//! read with serde_json's `float_roundtrip` parser (correctly rounded), so every value after a
//! merge is the same f64 as in the process that ran it. The merged records then go through the
//! same `table::files` as a single run.
//!
//! Integrity: each file carries `checksum`, FNV-1a 64 of the file's content (the JSON of every
//! other field). `merge` recomputes it and refuses a file whose content changed after it was
//! written (an edited value, a truncated or corrupted copy). It is a check against accidents and
//! careless edits, not a signature: anyone can recompute it.

use super::{PlanMeta, PodSample, RunRecord, series::RunSeries};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bumped on any incompatible change of the file. 2: metric values as JSON numbers (were
/// text) and a checksum. 3: each record's time series (`series`).
pub const FORMAT: u32 = 3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub index: usize,
    /// (metric, value; None = no value).
    pub metrics: Vec<(String, Option<f64>)>,
    pub pods: PodSample,
    pub series: RunSeries,
}

/// What `compare --shard K/N` / `sweep --shard K/N` writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    pub format: u32,
    /// 0-based shard index K.
    pub shard: usize,
    pub shards: usize,
    pub plan: PlanMeta,
    pub records: Vec<StoredRecord>,
    /// FNV-1a 64 (hex) of the JSON of the fields above, in this order; see the module doc.
    pub checksum: String,
}

pub fn file_name(k: usize, n: usize) -> String {
    format!("shard-{k}-of-{n}.json")
}

impl ShardFile {
    pub fn new(plan: &PlanMeta, k: usize, n: usize, records: &[RunRecord]) -> ShardFile {
        let mut f = ShardFile {
            format: FORMAT,
            shard: k,
            shards: n,
            plan: plan.clone(),
            records: records
                .iter()
                .map(|r| StoredRecord {
                    index: r.index,
                    metrics: r.metrics.clone(),
                    pods: r.pods.clone(),
                    series: r.series.clone(),
                })
                .collect(),
            checksum: String::new(),
        };
        f.checksum = f.content_checksum();
        f
    }

    /// The checksum of everything but `checksum`: FNV-1a 64 of the compact JSON of the file
    /// with an empty checksum. Serialisation is deterministic (struct fields in order, floats
    /// in shortest round-trip form), so a file read back recomputes the checksum it was written
    /// with exactly when its content is unchanged.
    pub fn content_checksum(&self) -> String {
        let body = ShardFile {
            checksum: String::new(),
            ..self.clone()
        };
        // Serialising plain data (strings, integers, finite floats) cannot fail; a non-finite
        // float would be written as null and is refused by `to_bytes` before it gets here.
        let json = serde_json::to_vec(&body).unwrap_or_default();
        crate::engine::hash::fnv1a64_hex(&json)
    }

    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        // JSON has no inf or NaN (serde_json writes null, which would read back as "no
        // value"): refuse rather than change a value. Summary metrics are always finite.
        for r in &self.records {
            if let Some((k, v)) = r
                .metrics
                .iter()
                .find(|(_, v)| v.is_some_and(|x| !x.is_finite()))
            {
                return Err(std::io::Error::other(format!(
                    "run {}: `{k}` is {v:?}, which a shard file cannot hold",
                    r.index
                )));
            }
        }
        let mut v = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        v.push(b'\n');
        Ok(v)
    }

    fn records(&self) -> Vec<RunRecord> {
        self.records
            .iter()
            .map(|r| RunRecord {
                index: r.index,
                metrics: r.metrics.clone(),
                pods: r.pods.clone(),
                series: r.series.clone(),
            })
            .collect()
    }
}

/// The shard files named by `inputs`: files as given, directories scanned for
/// `shard-*-of-*.json`.
pub fn find(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                return Err(format!("{}: no shard-K-of-N.json file in it", p.display()));
            }
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    Ok(out)
}

/// Reads shard files and returns the plan and every record in plan order, or why the shards
/// do not make up one complete plan.
pub fn merge(paths: &[PathBuf]) -> Result<(PlanMeta, Vec<RunRecord>), String> {
    let mut shards: Vec<(String, ShardFile)> = Vec::new();
    for p in paths {
        let origin = p.display().to_string();
        let text = std::fs::read(p).map_err(|e| format!("{origin}: {e}"))?;
        // The format first, so that a file of another version gets that message rather than
        // a field-by-field parse error.
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let f: Format = serde_json::from_slice(&text)
            .map_err(|e| format!("{origin}: not a hybridsim shard file: {e}"))?;
        if f.format != FORMAT {
            return Err(format!(
                "{origin}: shard format {} is not the supported format {FORMAT}; rerun the shard \
                 with this hybridsim",
                f.format
            ));
        }
        let s: ShardFile = serde_json::from_slice(&text)
            .map_err(|e| format!("{origin}: not a hybridsim shard file: {e}"))?;
        if s.format != FORMAT {
            return Err(format!(
                "{origin}: shard format {} is not the supported format {FORMAT}; rerun the shard \
                 with this hybridsim",
                s.format
            ));
        }
        let sum = s.content_checksum();
        if sum != s.checksum {
            return Err(format!(
                "{origin}: the content does not match its checksum (recorded {}, computed \
                 {sum}): the file was edited, truncated or corrupted after the shard wrote it; \
                 rerun that shard",
                s.checksum
            ));
        }
        shards.push((origin, s));
    }
    let Some((first_origin, first)) = shards.first() else {
        return Err("no shard files to merge".into());
    };
    let (plan, n) = (first.plan.clone(), first.shards);
    let mut seen: Vec<Option<&str>> = vec![None; n];
    for (origin, s) in &shards {
        if s.plan.scenario_hash != plan.scenario_hash || s.plan != plan {
            return Err(format!(
                "{origin} belongs to a different run than {first_origin}: scenario \"{}\" hash {} \
                 vs \"{}\" hash {} (same file, --set values and --seeds on every shard?)",
                s.plan.scenario, s.plan.scenario_hash, plan.scenario, plan.scenario_hash
            ));
        }
        if s.shards != n {
            return Err(format!(
                "{origin} is shard {}/{} but {first_origin} is one of {n} shards",
                s.shard, s.shards
            ));
        }
        if s.shard >= n {
            return Err(format!("{origin}: shard {} is not below {n}", s.shard));
        }
        if let Some(other) = seen[s.shard] {
            return Err(format!(
                "shard {}/{n} is given twice: {other} and {origin}",
                s.shard
            ));
        }
        seen[s.shard] = Some(origin);
        let expect = super::shard_indices(plan.runs(), s.shard, n);
        let got: Vec<usize> = s.records.iter().map(|r| r.index).collect();
        if got != expect {
            return Err(format!(
                "{origin}: shard {}/{n} should hold runs {:?}… ({} runs) but holds {} runs",
                s.shard,
                &expect[..expect.len().min(5)],
                expect.len(),
                got.len()
            ));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shard{}: {} (shard indices are 0-based)",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ));
    }
    let mut records: Vec<RunRecord> = Vec::with_capacity(plan.runs());
    for (_, s) in &shards {
        records.extend(s.records());
    }
    records.sort_by_key(|r| r.index);
    Ok((plan, records))
}
