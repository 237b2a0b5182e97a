//! Typed, bounded command-line values: seed ranges, shards, `--set`, worker counts, repeat
//! counts and sizes, each a clap value parser, so a bad value is refused by clap (exit 2, with
//! the flag and the expected form) before anything is loaded or allocated.
//!
//! Owns: the grammar and the limits of argument values, and turning the raw clap structures into
//! the validated arguments the commands take (ripgrep's LowArgs → HiArgs split: clap gives typed
//! but unrelated values; `into_*` functions add the defaults and the checks that need several
//! values together). Does not own: what the commands do with them (`experiment::cmd`, `cli`).
//!
//! Why limits: every count here becomes an allocation or a thread. `--seeds 18446744073709551615`
//! used to build a vector of 2⁶⁴ seeds (capacity overflow, a panic); a bound refused up front
//! gives an error that says what the limit is instead.

use crate::experiment::{self, overlay};
use std::fmt;

/// The most runs (groups × seeds) one compare, sweep or shard plan may have
/// (`experiment::MAX_RUNS`, which says why).
pub const MAX_RUNS: u64 = experiment::MAX_RUNS as u64;

/// The most worker threads `--jobs` accepts: far above any machine's cores, low enough that a
/// typo (`--jobs 80000`) is an error rather than 80,000 threads.
pub const MAX_JOBS: usize = 1024;

/// The most repeats `bench --repeat` accepts.
pub const MAX_REPEAT: usize = 10_000;

/// `--seeds`: `N` (seeds 1..=N) or `A..B` (A to B, both ends included; `A..=B` is accepted
/// too), at most [`MAX_RUNS`] seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRange {
    pub first: u64,
    pub last: u64,
}

impl SeedRange {
    /// Number of seeds (≥ 1, ≤ MAX_RUNS by construction).
    pub fn count(&self) -> usize {
        (self.last - self.first + 1) as usize
    }
    pub fn seeds(&self) -> Vec<u64> {
        (self.first..=self.last).collect()
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.first, self.last)
    }
}

/// Parses `--seeds`.
pub fn parse_seeds(text: &str) -> Result<SeedRange, String> {
    let t = text.trim();
    let bad =
        || "expected a count N (seeds 1..=N) or a range A..B (both ends included)".to_string();
    let (first, last) = if let Some((a, b)) = t.split_once("..") {
        let a: u64 = a.trim().parse().map_err(|_| bad())?;
        let b: u64 = b
            .trim()
            .trim_start_matches('=')
            .parse()
            .map_err(|_| bad())?;
        if b < a {
            return Err(format!("the range is empty ({b} < {a})"));
        }
        (a, b)
    } else {
        let n: u64 = t.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err("expected at least one seed".into());
        }
        (1, n)
    };
    // In u128: `0..18446744073709551615` holds 2⁶⁴ seeds, one more than u64 counts.
    let count = u128::from(last) - u128::from(first) + 1;
    if count > u128::from(MAX_RUNS) {
        return Err(format!(
            "{count} seeds; at most {MAX_RUNS} runs fit in one plan (split a larger study into \
             several --seeds ranges)"
        ));
    }
    Ok(SeedRange { first, last })
}

/// `--shard K/N`: K is 0-based (0 ≤ K < N), as Kubernetes' JOB_COMPLETION_INDEX and Slurm's
/// default array indices are; N ≤ [`MAX_RUNS`] (more shards than a plan can have runs would
/// all be empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

/// Parses `--shard`.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || "expected K/N with 0 <= K < N (K is 0-based), e.g. 0/4".to_string();
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let k: u64 = k.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || k >= n {
        return Err(bad());
    }
    if n > MAX_RUNS {
        return Err(format!(
            "{n} shards; a plan has at most {MAX_RUNS} runs, so at most {MAX_RUNS} shards"
        ));
    }
    Ok(Shard {
        k: k as usize,
        n: n as usize,
    })
}

/// `--set PATH=V1,V2,...`: an overlay path (docs/experiments.md) and one or more values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArg {
    pub path: String,
    pub values: Vec<String>,
}

/// Splits `V1,V2,...` at top-level commas, so JSON values (`{"a":1,"b":2}`) stay whole.
pub fn split_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    let mut cur = String::new();
    for c in text.chars() {
        if in_str {
            cur.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
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
        cur.push(c);
    }
    out.push(cur.trim().to_string());
    out
}

/// Parses `--set PATH=V1,V2,...` (sweep).
pub fn parse_set(text: &str) -> Result<SetArg, String> {
    let (path, values) = text
        .split_once('=')
        .ok_or_else(|| "expected PATH=V1,V2,...".to_string())?;
    let path = path.trim();
    overlay::OverlayPath::parse(path)?;
    let values = split_values(values);
    if values.iter().any(|v| v.is_empty()) {
        return Err("empty value".into());
    }
    Ok(SetArg {
        path: path.to_string(),
        values,
    })
}

/// Parses `--set PATH=VALUE` (run): exactly one value, which may itself contain top-level
/// commas only inside JSON brackets or strings.
pub fn parse_set_one(text: &str) -> Result<SetArg, String> {
    let s = parse_set(text).map_err(|e| e.replace("V1,V2,...", "VALUE"))?;
    if s.values.len() != 1 {
        return Err(format!(
            "`run` takes one value per --set, got {} (use `hybridsim sweep` for several)",
            s.values.len()
        ));
    }
    Ok(s)
}

/// Parses `--jobs`: 1..=[`MAX_JOBS`].
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| "expected a number of worker threads, at least 1".to_string())?;
    match n {
        0 => Err("expected at least 1 worker thread".into()),
        n if n > MAX_JOBS => Err(format!("at most {MAX_JOBS} worker threads")),
        n => Ok(n),
    }
}

/// Parses `bench --repeat`: 1..=[`MAX_REPEAT`].
pub fn parse_repeat(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| "expected a number of runs, at least 1".to_string())?;
    match n {
        0 => Err("expected at least 1 run".into()),
        n if n > MAX_REPEAT => Err(format!("at most {MAX_REPEAT} runs")),
        n => Ok(n),
    }
}

/// Parses `--confidence`: a level strictly between 0 and 1, with at most 4 decimals (0.95,
/// 0.99, 0.999), so the header can print it exactly as a percentage.
pub fn parse_confidence(text: &str) -> Result<f64, String> {
    let bad = || "expected a level between 0 and 1 exclusive, e.g. 0.95 or 0.99".to_string();
    let c: f64 = text.trim().parse().map_err(|_| bad())?;
    if !(c > 0.0 && c < 1.0) {
        return Err(bad());
    }
    if ((c * 1e4).round() - c * 1e4).abs() > 1e-6 {
        return Err("at most 4 decimals, e.g. 0.95 or 0.999".into());
    }
    Ok(c)
}

/// A positive size with a unit (`100MB`, `1.5GiB`), as the scenario format writes sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Size {
    /// As given, for messages and for APIs that take the text.
    pub text: String,
    pub bytes: u64,
}

/// Parses a size with `scenario::units::parse_bytes`, refusing 0.
pub fn parse_size(text: &str) -> Result<Size, String> {
    let bytes = crate::scenario::units::parse_bytes(text)?;
    if bytes == 0 {
        return Err("expected a positive size such as \"100MB\"".into());
    }
    Ok(Size {
        text: text.to_string(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_count_n_means_seeds_one_to_n() {
        assert_eq!(parse_seeds("3").unwrap().seeds(), vec![1, 2, 3]);
    }

    #[test]
    fn a_seed_range_includes_both_ends() {
        // 5..7 and 5..=7 are the three seeds 5, 6, 7.
        assert_eq!(parse_seeds("5..7").unwrap().seeds(), vec![5, 6, 7]);
        assert_eq!(parse_seeds("5..=7").unwrap().count(), 3);
    }

    #[test]
    fn seed_counts_above_the_run_limit_are_refused_without_allocating() {
        // 2⁶⁴ − 1 seeds: the count itself is the error; nothing is collected.
        let e = parse_seeds("18446744073709551615").unwrap_err();
        assert!(e.contains("18446744073709551615 seeds"), "{e}");
        // 0..u64::MAX is 2⁶⁴ seeds, which overflows u64 arithmetic: counted in u128.
        let e = parse_seeds("0..18446744073709551615").unwrap_err();
        assert!(e.contains("18446744073709551616 seeds"), "{e}");
        // Exactly the limit is accepted.
        assert_eq!(
            parse_seeds(&MAX_RUNS.to_string()).unwrap().count() as u64,
            MAX_RUNS
        );
    }

    #[test]
    fn empty_or_malformed_seed_ranges_are_refused() {
        assert!(parse_seeds("0").is_err());
        assert!(parse_seeds("7..5").unwrap_err().contains("empty (5 < 7)"));
        assert!(parse_seeds("x").is_err());
    }

    #[test]
    fn shards_are_zero_based_and_bounded() {
        assert_eq!(parse_shard("0/4").unwrap(), Shard { k: 0, n: 4 });
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(
            parse_shard("0/4294967296")
                .unwrap_err()
                .contains("4294967296 shards")
        );
    }

    #[test]
    fn set_values_split_at_top_level_commas_only() {
        let s = parse_set(r#"workloads[web].template.node_selector={"a":"1","b":"2"},{}"#).unwrap();
        assert_eq!(s.values, vec![r#"{"a":"1","b":"2"}"#, "{}"]);
        assert!(
            parse_set("pools[x].count=1,,2")
                .unwrap_err()
                .contains("empty value")
        );
        assert!(parse_set("pools[x].count").is_err());
    }

    #[test]
    fn run_takes_exactly_one_value_per_set() {
        assert_eq!(parse_set_one("pools[x].count=3").unwrap().values, vec!["3"]);
        assert!(
            parse_set_one("pools[x].count=3,4")
                .unwrap_err()
                .contains("got 2")
        );
    }

    #[test]
    fn zero_jobs_and_zero_repeats_are_refused() {
        assert!(parse_jobs("0").is_err());
        assert_eq!(parse_jobs("2").unwrap(), 2);
        assert!(parse_jobs("1025").is_err());
        assert!(parse_repeat("0").is_err());
        assert_eq!(parse_repeat("3").unwrap(), 3);
    }

    #[test]
    fn confidence_levels_lie_strictly_between_0_and_1() {
        assert_eq!(parse_confidence("0.9").unwrap(), 0.9);
        for bad in ["0", "1", "95", "-0.5", "NaN", "inf", "0.123456"] {
            assert!(parse_confidence(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_units_and_refuse_zero() {
        // 100MB = 100 × 10⁶ bytes (decimal SI prefix, as in the scenario format).
        assert_eq!(parse_size("100MB").unwrap().bytes, 100_000_000);
        assert!(parse_size("0MB").is_err());
        assert!(parse_size("lots").is_err());
    }
}
