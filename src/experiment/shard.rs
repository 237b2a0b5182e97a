//! Distributed runs: the file one shard writes, and `merge`, which rebuilds from all shards
//! exactly the files a single run would have written.
//!
//! Owns: the shard file format (`shard-K-of-N.json`) and the checks that the shards belong to
//! one plan and cover it exactly once. Does not own: scheduling the shards (Kubernetes, Slurm;
//! see docs/distributed.md) or the outputs themselves (`table`).
//!
//! Exactness: metric values are stored as text in Rust's shortest round-trip form and parsed
//! back with `str::parse::<f64>`, which is correctly rounded, so every value after a merge is
//! the same f64 as in the process that ran it. (serde_json's default float parser is not
//! guaranteed to round-trip, so numbers do not travel as JSON numbers.) The merged records then
//! go through the same `table::files` as a single run.

use super::{PlanMeta, PodSample, RunRecord};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bumped on any incompatible change of the file.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub index: usize,
    /// (metric, value as text; None = no value).
    pub metrics: Vec<(String, Option<String>)>,
    pub pods: PodSample,
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
}

pub fn file_name(k: usize, n: usize) -> String {
    format!("shard-{k}-of-{n}.json")
}

impl ShardFile {
    pub fn new(plan: &PlanMeta, k: usize, n: usize, records: &[RunRecord]) -> ShardFile {
        ShardFile {
            format: FORMAT,
            shard: k,
            shards: n,
            plan: plan.clone(),
            records: records
                .iter()
                .map(|r| StoredRecord {
                    index: r.index,
                    metrics: r
                        .metrics
                        .iter()
                        .map(|(k, v)| (k.clone(), v.map(|x| format!("{x}"))))
                        .collect(),
                    pods: r.pods.clone(),
                })
                .collect(),
        }
    }

    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let mut v = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        v.push(b'\n');
        Ok(v)
    }

    fn records(&self, origin: &str) -> Result<Vec<RunRecord>, String> {
        self.records
            .iter()
            .map(|r| {
                let metrics = r
                    .metrics
                    .iter()
                    .map(|(k, v)| match v {
                        None => Ok((k.clone(), None)),
                        Some(t) => t.parse::<f64>().map(|x| (k.clone(), Some(x))).map_err(|_| {
                            format!("{origin}: run {}: `{k}` is not a number: \"{t}\"", r.index)
                        }),
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(RunRecord {
                    index: r.index,
                    metrics,
                    pods: r.pods.clone(),
                })
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
        let s: ShardFile = serde_json::from_slice(&text)
            .map_err(|e| format!("{origin}: not a hybridsim shard file: {e}"))?;
        if s.format != FORMAT {
            return Err(format!(
                "{origin}: shard format {} is not the supported format {FORMAT}; rerun the shard \
                 with this hybridsim",
                s.format
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
    for (origin, s) in &shards {
        records.extend(s.records(origin)?);
    }
    records.sort_by_key(|r| r.index);
    Ok((plan, records))
}
