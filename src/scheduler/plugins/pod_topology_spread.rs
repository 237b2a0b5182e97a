//! PodTopologySpread (k/k `plugins/podtopologyspread`: `plugin.go`, `common.go`,
//! `filtering.go`, `scoring.go`): spreads the replicas of a workload over nodes and zones.
//!
//! With the default `SystemDefaulting`, a pod with no constraints of its own that is owned by
//! a ReplicaSet, StatefulSet or Service (here: every Deployment pod) gets
//! `systemDefaultConstraints`: hostname maxSkew 3 and zone maxSkew 5, both `ScheduleAnyway`,
//! selecting the pods of the same owner. They only score; nothing is filtered.
//!
//! Owns: the formulas (normalising weight, score per count, normalisation, skew). Does not
//! own: the counts (`model::topology`, kept by binds and releases) or which nodes are scored
//! (`scheduler`).

pub const NAME: &str = "PodTopologySpread";
/// `ErrReasonConstraintsNotMatch` (`plugin.go`).
pub const REASON: &str = "node(s) didn't match pod topology spread constraints";

/// `systemDefaultConstraints` (`plugin.go`): maxSkew of the hostname constraint.
pub const DEFAULT_HOSTNAME_MAX_SKEW: i32 = 3;
/// `systemDefaultConstraints`: maxSkew of the zone constraint.
pub const DEFAULT_ZONE_MAX_SKEW: i32 = 5;

/// `topologyNormalizingWeight` (`scoring.go`): ln(size + 2), where size is the number of
/// topology values among the scored nodes (for hostname: the number of scored nodes), so the
/// counts of a topology with few domains are not watered down by one with many.
pub fn normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

/// `scoreForCount` (`scoring.go`): count × weight + (maxSkew − 1); the maxSkew term waters
/// down differences between domains so a larger maxSkew tolerates more skew.
pub fn score_for_count(count: u32, max_skew: i32, weight: f64) -> f64 {
    count as f64 * weight + (max_skew - 1) as f64
}

/// `math.Round` as `Score` applies it to a node's summed `scoreForCount`s (`int64(math.Round(
/// score))`, `scoring.go`): half away from zero, as `f64::round`. `f64::round` is a call into
/// libm on the baseline x86-64 target, once per scored node; the truncating conversion is
/// one instruction, and the fraction `s − trunc(s)` is exact in floating point, so comparing
/// it with ±0.5 rounds exactly as `f64::round` does for every `s` of magnitude below 2^63.
#[inline(always)]
pub fn round_half_away(s: f64) -> i64 {
    let t = s as i64;
    let frac = s - t as f64;
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// `NormalizeScore` (`scoring.go`): raw scores are "matching pods" (more is worse); each
/// becomes 100 × (max + min − score) / max, over the nodes not ignored (`None`, which score
/// 0). When every raw score is 0 all nodes get 100.
pub fn normalize(raw: &[Option<i64>], out: &mut Vec<i64>) {
    let (mut min, mut max) = (i64::MAX, 0i64);
    for s in raw.iter().flatten() {
        min = min.min(*s);
        max = max.max(*s);
    }
    let norm = Normalizer::new(min, max);
    out.clear();
    out.extend(raw.iter().map(|s| s.map_or(0, |s| norm.score(s))));
}

/// `NormalizeScore` for raw scores whose minimum and maximum over the nodes not ignored are
/// known, one node at a time: the scheduler's last pass reads each node's normalised score
/// here as it selects, with no vector of them.
pub struct Normalizer {
    min: i64,
    max: i64,
    /// Raw scores are rounded pod counts times small weights: a cycle's few hundred nodes
    /// take a few distinct values. With a narrow range, each value's quotient is computed
    /// once into a table, not once per node (an integer division each).
    tabled: bool,
    table: [i64; NORMALIZE_TABLE],
}

impl Normalizer {
    /// For raw scores between `min` and `max` (`max` 0: every raw score is 0).
    pub fn new(min: i64, max: i64) -> Normalizer {
        let mut n = Normalizer {
            min,
            max,
            tabled: max > 0 && max - min < NORMALIZE_TABLE as i64,
            table: [0; NORMALIZE_TABLE],
        };
        if n.tabled {
            for k in 0..=(max - min) {
                n.table[k as usize] = n.formula(min + k);
            }
        }
        n
    }

    fn formula(&self, s: i64) -> i64 {
        super::MAX_NODE_SCORE * (self.max + self.min - s) / self.max
    }

    /// The normalised score of raw score `s` (between the minimum and the maximum).
    #[inline(always)]
    pub fn score(&self, s: i64) -> i64 {
        if self.max == 0 {
            super::MAX_NODE_SCORE
        } else if self.tabled {
            self.table[(s - self.min) as usize]
        } else {
            self.formula(s)
        }
    }
}

/// The widest range of raw scores `normalize` tables.
const NORMALIZE_TABLE: usize = 128;

/// The Filter judgement for one DoNotSchedule constraint (`filtering.go`): placing the pod in
/// a domain that already holds `match_num` matching pods gives skew
/// `match_num + self_match − global_min`, where the global minimum is taken as 0 while fewer
/// than `min_domains` eligible domains exist. The node passes when skew ≤ maxSkew.
pub fn fits(
    match_num: u32,
    self_match: bool,
    global_min: u32,
    domains: usize,
    min_domains: u32,
    max_skew: i32,
) -> bool {
    let min = if domains < min_domains as usize {
        0
    } else {
        global_min
    };
    (match_num as i64 + self_match as i64 - min as i64) <= max_skew as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw score of a node under the two system-default constraints, as `Score` computes it:
    /// the sum over constraints of `scoreForCount`, rounded.
    fn default_raw(on_node: u32, nodes: usize, in_zone: Option<(u32, usize)>) -> i64 {
        let mut s = score_for_count(
            on_node,
            DEFAULT_HOSTNAME_MAX_SKEW,
            normalizing_weight(nodes),
        );
        if let Some((c, zones)) = in_zone {
            s += score_for_count(c, DEFAULT_ZONE_MAX_SKEW, normalizing_weight(zones));
        }
        round_half_away(s)
    }

    #[test]
    fn normalizing_through_the_table_gives_the_formula_for_narrow_and_wide_ranges() {
        // NormalizeScore: 100 × (max + min − s) / max. Raw 0, 3, 6 (max 6, min 0): 100,
        // 50, 0. Raw 10, 11, 12: 100 × (22 − s) / 12 = 100, 91, 83 (integer division).
        let mut out = Vec::new();
        normalize(&[Some(0), Some(3), Some(6), None], &mut out);
        assert_eq!(out, [100, 50, 0, 0]);
        normalize(&[Some(10), Some(11), Some(12)], &mut out);
        assert_eq!(out, [100, 91, 83]);
        // Ranges around the table's width (127, 128, 129 wide) and far beyond it agree with
        // the formula on every value.
        for (lo, hi) in [(5, 132), (5, 133), (5, 134), (0, 10_000)] {
            let raw: Vec<Option<i64>> = (lo..=hi).map(Some).collect();
            normalize(&raw, &mut out);
            for (s, got) in (lo..=hi).zip(&out) {
                assert_eq!(*got, 100 * (hi + lo - s) / hi, "raw {s} in {lo}..={hi}");
            }
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero_as_go_math_round() {
        // Go's math.Round and Rust's f64::round both round half away from zero: 0.5 → 1,
        // 2.5 → 3, −2.5 → −3. The largest double below 0.5 (0.49999999999999994) must give
        // 0: adding 0.5 and flooring would give 1 there. 2^52 + 0.5 is not representable
        // (2^52 + 1 is the next double), so large values are integers already.
        let cases = [
            (0.0, 0),
            (0.5, 1),
            (1.4999999999999998, 1),
            (2.5, 3),
            (-2.5, -3),
            (-0.49999999999999994, 0),
            (0.49999999999999994, 0),
            (7.75, 8),
            (4_503_599_627_370_497.0, 4_503_599_627_370_497),
        ];
        for (x, want) in cases {
            assert_eq!(round_half_away(x), want, "{x}");
            assert_eq!(
                round_half_away(x),
                x.round() as i64,
                "same as f64::round at {x}"
            );
        }
        // And on a grid of the values spread scores take (count × ln(n + 2) + skew terms).
        for count in 0..200u32 {
            for n in [1usize, 2, 5, 100, 500, 4_999] {
                let s = score_for_count(count, DEFAULT_HOSTNAME_MAX_SKEW, normalizing_weight(n))
                    + score_for_count(count / 3, DEFAULT_ZONE_MAX_SKEW, normalizing_weight(3));
                assert_eq!(round_half_away(s), s.round() as i64, "{s}");
            }
        }
    }

    #[test]
    fn the_system_default_scores_favour_the_node_with_fewer_replicas() {
        // Three scored nodes without zones, holding 0, 1 and 2 replicas. Hostname weight
        // ln(3 + 2) = 1.6094; raw = c × 1.6094 + 2 → round(2) = 2, round(3.609) = 4,
        // round(5.219) = 5. Normalised: 100 × (5 + 2 − s) / 5 → 100, 60, 40.
        let raw: Vec<Option<i64>> = [0, 1, 2]
            .iter()
            .map(|&c| Some(default_raw(c, 3, None)))
            .collect();
        assert_eq!(raw, vec![Some(2), Some(4), Some(5)]);
        let mut out = Vec::new();
        normalize(&raw, &mut out);
        assert_eq!(out, vec![100, 60, 40]);
    }

    #[test]
    fn the_zone_constraint_adds_its_weighted_count_for_nodes_with_a_zone() {
        // Four scored nodes in two zones; zone a holds 3 replicas, zone b 1; the two nodes
        // hold 1 (zone a) and 0 (zone b) replicas. Hostname weight ln 6 = 1.7918, zone weight
        // ln 4 = 1.3863.
        // Node in a: 1 × 1.7918 + 2 + 3 × 1.3863 + 4 = 11.95 → 12.
        // Node in b: 0 + 2 + 1 × 1.3863 + 4 = 7.386 → 7.
        let a = default_raw(1, 4, Some((3, 2)));
        let b = default_raw(0, 4, Some((1, 2)));
        assert_eq!((a, b), (12, 7));
        // 100 × (12 + 7 − 12) / 12 = 58 (integer division); 100 × (12 + 7 − 7) / 12 = 100.
        let mut out = Vec::new();
        normalize(&[Some(a), Some(b)], &mut out);
        assert_eq!(out, vec![58, 100]);
    }

    #[test]
    fn ignored_nodes_score_zero_and_all_zero_raw_scores_give_everyone_the_maximum() {
        let mut out = Vec::new();
        normalize(&[Some(0), None, Some(0)], &mut out);
        assert_eq!(out, vec![100, 0, 100]);
        // min and max are taken over the nodes not ignored: min 2, max 4 → 100 × (6 − s) / 4.
        normalize(&[Some(2), None, Some(4), Some(3)], &mut out);
        assert_eq!(out, vec![100, 0, 50, 75]);
    }

    #[test]
    fn filter_table() {
        // (name, match_num, self_match, global_min, domains, min_domains, max_skew, fits)
        let cases = [
            (
                "a domain one above the minimum admits a maxSkew 1 pod when the pod does not match itself",
                1,
                false,
                0,
                3,
                1,
                1,
                true,
            ),
            (
                "a domain one above the minimum rejects a maxSkew 1 pod that matches its own selector",
                1,
                true,
                0,
                3,
                1,
                1,
                false,
            ),
            (
                "the emptiest domain always admits a maxSkew 1 pod",
                0,
                true,
                0,
                3,
                1,
                1,
                true,
            ),
            (
                "a domain at the minimum of 2 admits the pod: 2 + 1 − 2 = 1",
                2,
                true,
                2,
                2,
                1,
                1,
                true,
            ),
            (
                "fewer domains than minDomains take the global minimum as 0: 2 + 1 − 0 > 1",
                2,
                true,
                2,
                2,
                3,
                1,
                false,
            ),
            (
                "maxSkew 3 tolerates a domain two above the minimum: 2 + 1 − 0 = 3",
                2,
                true,
                0,
                3,
                1,
                3,
                true,
            ),
        ];
        for (name, m, own, min, domains, min_domains, skew, want) in cases {
            assert_eq!(
                fits(m, own, min, domains, min_domains, skew),
                want,
                "{name}"
            );
        }
    }
}
