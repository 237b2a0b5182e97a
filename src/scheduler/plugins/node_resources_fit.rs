//! NodeResourcesFit (k/k `plugins/noderesources/fit.go`, `least_allocated.go`,
//! `most_allocated.go`, `requested_to_capacity_ratio.go`, `resource_allocation.go`): Filter
//! checks the pod's requests against allocatable minus what bound pods request (pods, cpu,
//! memory, ephemeral-storage and extended resources); Score follows the profile's scoring
//! strategy: LeastAllocated over cpu and memory with equal weights by default, computed on
//! the non-zero requests (100m / 200Mi for containers that request nothing), or
//! MostAllocated / RequestedToCapacityRatio over the resources and weights configured.
//!
//! Owns: the fit rule and the score formulas. Does not own: the strategy's validation
//! (`scenario::validate`) or the node sums (`Cluster::bind`).

use crate::model::{FitScoring, FitScoringKind, Res, SCALAR_SLOTS, Scalars, ScoredResource};

pub const NAME: &str = "NodeResourcesFit";
pub const TOO_MANY_PODS: &str = "Too many pods";
pub const INSUFFICIENT_CPU: &str = "Insufficient cpu";
pub const INSUFFICIENT_MEMORY: &str = "Insufficient memory";

/// `Insufficient <resource>` for a scalar resource (`fitsRequest`: `fmt.Sprintf("Insufficient
/// %v", rName)`), e.g. `Insufficient nvidia.com/gpu`.
pub fn insufficient_message(name: &str) -> String {
    format!("Insufficient {name}")
}

/// Which resources do not fit, as upstream reports them: all insufficient resources of the
/// node, not just the first.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Insufficient {
    pub pods: bool,
    pub cpu: bool,
    pub memory: bool,
    /// Bit k: scalar slot k is insufficient (`scalar_filter`).
    pub scalar: u8,
}

impl Insufficient {
    pub fn any(self) -> bool {
        self.pods || self.cpu || self.memory || self.scalar != 0
    }
}

/// The cpu, memory and pod checks; `scalar` stays 0 (`scalar_filter` checks the scalar
/// resources, only in scenarios that have them).
pub fn filter(allocatable: Res, requested: Res, pod: Res) -> Insufficient {
    Insufficient {
        pods: requested.pods + 1 > allocatable.pods,
        // Requests of zero never fail (fit.go only checks resources the pod asks for).
        cpu: pod.cpu_m > 0 && requested.cpu_m + pod.cpu_m > allocatable.cpu_m,
        memory: pod.mem > 0 && requested.mem + pod.mem > allocatable.mem,
        scalar: 0,
    }
}

/// The ephemeral-storage and extended resource checks: bit k set when slot k does not fit.
pub fn scalar_filter(allocatable: &Scalars, requested: &Scalars, pod: &Scalars) -> u8 {
    let mut scalar = 0u8;
    for k in 0..SCALAR_SLOTS {
        let want = pod[k];
        // Like cpu and memory, a scalar the pod does not ask for never fails; an extended
        // resource the node does not advertise has allocatable 0.
        if want > 0 && requested[k].saturating_add(want) > allocatable[k] {
            scalar |= 1 << k;
        }
    }
    scalar
}

/// Whether the pod's ephemeral-storage and extended resources fit (cpu, memory and pods
/// aside): the cluster autoscaler's check that a node group's template node can hold them.
pub fn scalars_fit(allocatable: &Scalars, requested: &Scalars, pod: &Scalars) -> bool {
    !crate::model::any_scalar(pod) || scalar_filter(allocatable, requested, pod) == 0
}

/// `leastRequestedScore`: (capacity − requested) × 100 / capacity; 0 when over capacity.
fn least_requested(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    ((capacity - requested) as i64 * super::MAX_NODE_SCORE) / capacity as i64
}

/// `mostRequestedScore`: requested × 100 / capacity, requested capped at capacity (pods
/// without requests count their non-zero defaults and may exceed it).
fn most_requested(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    let r = requested.min(capacity) as u128;
    (r * super::MAX_NODE_SCORE as u128 / capacity as u128) as i64
}

/// `helper.BuildBrokenLinearFunction`: the shape's first score below its first point, its
/// last above the last, linear (integer division) in between.
fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for i in 0..shape.len() {
        if p <= shape[i].0 {
            if i == 0 {
                return shape[0].1;
            }
            let (u0, s0) = shape[i - 1];
            let (u1, s1) = shape[i];
            return s0 + (s1 - s0) * (p - u0) / (u1 - u0);
        }
    }
    shape.last().map_or(0, |s| s.1)
}

/// `scaledUtilization` with `maxUtilization` 100: requested × 100 / capacity, exact, clamped
/// to 0..=100.
fn scaled_utilization(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested == 0 {
        return 0;
    }
    if requested >= capacity {
        return 100;
    }
    (requested as u128 * 100 / capacity as u128) as i64
}

/// LeastAllocated score for the node after adding the pod (non-zero requests): the default
/// strategy's fast path, equal to `score` with cpu and memory at weight 1 on nodes with
/// both allocatable.
pub fn least_allocated(allocatable: Res, nonzero_requested: Res, pod_nonzero: Res) -> i64 {
    let cpu = least_requested(
        nonzero_requested.cpu_m + pod_nonzero.cpu_m,
        allocatable.cpu_m,
    );
    let mem = least_requested(nonzero_requested.mem + pod_nonzero.mem, allocatable.mem);
    (cpu + mem) / 2
}

/// What a node's pods and the pod request, in the terms the score uses.
#[derive(Copy, Clone, Debug)]
pub struct ScoreInput {
    pub allocatable: Res,
    /// The node's requested sum (`nodeInfo.Requested`).
    pub requested: Res,
    /// The node's non-zero requested sum (`nodeInfo.NonZeroRequested`).
    pub nonzero_requested: Res,
    pub pod: Res,
    pub pod_nonzero: Res,
    /// The scalar resources: the node's allocatable and requested, the pod's requests.
    pub allocatable_scalar: Scalars,
    pub requested_scalar: Scalars,
    pub pod_scalar: Scalars,
}

/// `calculateResourceAllocatableRequest`: (allocatable, requested after adding the pod) of one
/// resource. Cpu and memory use the non-zero sums; ephemeral-storage and extended resources
/// the actual ones; an extended resource the pod does not request is (0, 0), skipped.
fn allocatable_requested(r: ScoredResource, x: &ScoreInput) -> (u64, u64) {
    match r {
        ScoredResource::Cpu => (
            x.allocatable.cpu_m,
            x.nonzero_requested.cpu_m + x.pod_nonzero.cpu_m,
        ),
        ScoredResource::Memory => (
            x.allocatable.mem,
            x.nonzero_requested.mem + x.pod_nonzero.mem,
        ),
        ScoredResource::Scalar(k) => {
            if k != crate::model::EPHEMERAL_STORAGE && x.pod_scalar[k] == 0 {
                return (0, 0);
            }
            (
                x.allocatable_scalar[k],
                x.requested_scalar[k] + x.pod_scalar[k],
            )
        }
    }
}

/// NodeResourcesFit's Score under `strategy`. Resources with allocatable 0 are skipped.
/// LeastAllocated and MostAllocated: Σ score × weight / Σ weight (integer division).
/// RequestedToCapacityRatio: the shape at the utilization (100 when over capacity), only
/// resources scoring above 0 count, and the mean is rounded.
pub fn score(strategy: &FitScoring, x: &ScoreInput) -> i64 {
    let mut node_score = 0i64;
    let mut weight_sum = 0i64;
    for &(r, weight) in &strategy.resources {
        let (alloc, req) = allocatable_requested(r, x);
        if alloc == 0 {
            continue;
        }
        let s = match strategy.kind {
            FitScoringKind::LeastAllocated => least_requested(req, alloc),
            FitScoringKind::MostAllocated => most_requested(req, alloc),
            FitScoringKind::RequestedToCapacityRatio => {
                let u = if req > alloc {
                    100
                } else {
                    scaled_utilization(req, alloc)
                };
                let s = broken_linear(&strategy.shape, u);
                if s <= 0 {
                    continue;
                }
                s
            }
        };
        node_score += s * weight;
        weight_sum += weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    match strategy.kind {
        FitScoringKind::RequestedToCapacityRatio => {
            (node_score as f64 / weight_sum as f64).round() as i64
        }
        _ => node_score / weight_sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(cpu_m: u64, mem_gi: u64, pods: u64) -> Res {
        Res {
            cpu_m,
            mem: mem_gi << 30,
            pods,
        }
    }

    #[test]
    fn filter_reports_every_insufficient_resource() {
        let alloc = res(4000, 16, 30);
        // 3500m used + 1000m asked > 4000m; 10Gi + 4Gi ≤ 16Gi; 29 + 1 ≤ 30 pods.
        let got = filter(alloc, res(3500, 10, 29), res(1000, 4, 1));
        assert_eq!(
            got,
            Insufficient {
                pods: false,
                cpu: true,
                memory: false,
                scalar: 0
            }
        );
        // 30 pods already: the 31st does not fit, and 7Gi more memory does not either.
        let got = filter(alloc, res(0, 10, 30), res(0, 7, 1));
        assert_eq!(
            got,
            Insufficient {
                pods: true,
                cpu: false,
                memory: true,
                scalar: 0
            }
        );
        // Exactly full still fits: 3000 + 1000 = 4000.
        assert!(!filter(alloc, res(3000, 0, 0), res(1000, 0, 1)).any());
    }

    #[test]
    fn least_allocated_matches_the_upstream_formula() {
        // cpu: (4000 − 1000) × 100 / 4000 = 75; memory: (16 − 4) × 100 / 16 = 75; mean 75.
        assert_eq!(
            least_allocated(res(4000, 16, 30), res(500, 2, 0), res(500, 2, 1)),
            75
        );
        // cpu (2000−1500)*100/2000 = 25; memory (8−2)*100/8 = 75; (25+75)/2 = 50.
        assert_eq!(
            least_allocated(res(2000, 8, 30), res(1000, 1, 0), res(500, 1, 1)),
            50
        );
        // Over capacity scores 0 for that resource: cpu 0, memory 50 → 25.
        assert_eq!(
            least_allocated(res(1000, 8, 30), res(1000, 3, 0), res(500, 1, 1)),
            25
        );
    }

    fn with_scalar(mut r: Scalars, k: usize, v: u64) -> Scalars {
        r[k] = v;
        r
    }

    const NONE: Scalars = [0; SCALAR_SLOTS];

    #[test]
    fn ephemeral_storage_and_extended_resources_fail_only_when_requested_and_short() {
        // Slot 0 ephemeral-storage, slot 1 nvidia.com/gpu. Node: 10 GiB and 4 GPUs allocatable,
        // 8 GiB and 3 GPUs requested.
        let gib = 1u64 << 30;
        let alloc = with_scalar(with_scalar(NONE, 0, 10 * gib), 1, 4);
        let used = with_scalar(with_scalar(NONE, 0, 8 * gib), 1, 3);
        let cases = [
            // 8 + 3 = 11 GiB > 10 and 3 + 2 = 5 GPUs > 4: both bits (fitsRequest lists each).
            (
                "both short",
                with_scalar(with_scalar(NONE, 0, 3 * gib), 1, 2),
                0b11,
            ),
            // 8 + 2 = 10 GiB ≤ 10 fits exactly; 3 + 1 = 4 ≤ 4 fits.
            (
                "exactly full fits",
                with_scalar(with_scalar(NONE, 0, 2 * gib), 1, 1),
                0,
            ),
            // A pod asking for no GPU is not checked for them.
            ("no gpu asked", with_scalar(NONE, 0, gib), 0),
        ];
        for (name, pod, bits) in cases {
            assert_eq!(scalar_filter(&alloc, &used, &pod), bits, "{name}");
            assert_eq!(scalars_fit(&alloc, &used, &pod), bits == 0, "{name}");
        }
        // A node that does not advertise the resource has allocatable 0: one GPU is too many.
        let got = scalar_filter(&NONE, &NONE, &with_scalar(NONE, 1, 1));
        assert_eq!(got, 0b10);
        let ins = Insufficient {
            scalar: got,
            ..Insufficient::default()
        };
        assert!(ins.any());
        assert_eq!(
            insufficient_message("nvidia.com/gpu"),
            "Insufficient nvidia.com/gpu"
        );
    }

    fn input(alloc: Res, nonzero_requested: Res, pod: Res) -> ScoreInput {
        input_scalar(alloc, nonzero_requested, pod, (NONE, NONE, NONE))
    }

    /// With scalar amounts (allocatable, requested, pod).
    fn input_scalar(
        alloc: Res,
        nonzero_requested: Res,
        pod: Res,
        scalar: (Scalars, Scalars, Scalars),
    ) -> ScoreInput {
        ScoreInput {
            allocatable: alloc,
            requested: nonzero_requested,
            nonzero_requested,
            pod,
            pod_nonzero: pod,
            allocatable_scalar: scalar.0,
            requested_scalar: scalar.1,
            pod_scalar: scalar.2,
        }
    }

    fn strategy(kind: FitScoringKind, resources: &[(ScoredResource, i64)]) -> FitScoring {
        FitScoring {
            kind,
            resources: resources.to_vec(),
            shape: Vec::new(),
        }
    }

    #[test]
    fn scoring_strategies_follow_the_upstream_formulas() {
        use FitScoringKind::*;
        use ScoredResource::*;
        let cm = [(Cpu, 1), (Memory, 1)];
        let mem = |m: u64| Res {
            mem: m,
            ..Res::default()
        };
        // The pod of k/k most_allocated_test "nothing scheduled, resources requested,
        // differently sized nodes": cpu 3000m, memory 5000 on nodes of 4000m/10000 and
        // 6000m/10000.
        let pod = Res {
            cpu_m: 3000,
            mem: 5000,
            pods: 1,
        };
        let node1 = Res {
            cpu_m: 4000,
            mem: 10000,
            pods: 110,
        };
        let node2 = Res {
            cpu_m: 6000,
            ..node1
        };
        let rtcr = |shape: &[(i64, i64)], resources: &[(ScoredResource, i64)]| FitScoring {
            kind: RequestedToCapacityRatio,
            resources: resources.to_vec(),
            // Shape scores are given ×10 (MaxNodeScore / MaxCustomPriorityScore).
            shape: shape.iter().map(|&(u, s)| (u, s * 10)).collect(),
        };
        let cases: Vec<(&str, FitScoring, ScoreInput, i64)> = vec![
            // Upstream expects 62 and 50: (3000×100/4000 + 5000×100/10000) / 2 = (75+50)/2.
            (
                "most allocated on the small node",
                strategy(MostAllocated, &cm),
                input(node1, mem(0), pod),
                62,
            ),
            // (3000×100/6000 + 50) / 2 = 50.
            (
                "most allocated on the large node",
                strategy(MostAllocated, &cm),
                input(node2, mem(0), pod),
                50,
            ),
            // Weights 1 and 2: (75×1 + 50×2) / 3 = 175/3 = 58.
            (
                "most allocated weighs memory twice",
                strategy(MostAllocated, &[(Cpu, 1), (Memory, 2)]),
                input(node1, mem(0), pod),
                58,
            ),
            // Least: ((4000−3000)×100/4000 + (10000−5000)×100/10000) / 2 = (25+50)/2 = 37.
            (
                "least allocated on the small node",
                strategy(LeastAllocated, &cm),
                input(node1, mem(0), pod),
                37,
            ),
            // Shape (0,0)-(100,10): the utilization itself, 75 and 50, mean 62.5 rounded to 63.
            (
                "requested to capacity ratio rounds the mean",
                rtcr(&[(0, 0), (100, 10)], &cm),
                input(node1, mem(0), pod),
                63,
            ),
            // Shape (0,10)-(100,0): 100−75 = 25 and 100−50 = 50, mean 37.5 → 38.
            (
                "requested to capacity ratio spreading",
                rtcr(&[(0, 10), (100, 0)], &cm),
                input(node1, mem(0), pod),
                38,
            ),
            // Memory already at 5000: 10000/10000 = 100 % scores 0 and drops out of the mean;
            // cpu 25 alone → 25.
            (
                "a resource scoring 0 does not count",
                rtcr(&[(0, 10), (100, 0)], &cm),
                input(node1, mem(5000), pod),
                25,
            ),
            // Three points (0,0) (50,10) (100,5): cpu at 75 % → 100 + (50−100)×(75−50)/50 = 75;
            // memory at 50 % → 100; mean 87.5 → 88.
            (
                "a broken line between points",
                rtcr(&[(0, 0), (50, 10), (100, 5)], &cm),
                input(node1, mem(0), pod),
                88,
            ),
        ];
        for (name, s, x, expected) in cases {
            assert_eq!(score(&s, &x), expected, "{name}");
        }
    }

    #[test]
    fn extended_resources_count_in_the_score_only_for_pods_that_request_them() {
        use ScoredResource::*;
        let s = FitScoring {
            kind: FitScoringKind::LeastAllocated,
            resources: vec![(Cpu, 1), (Memory, 1), (Scalar(1), 3)],
            shape: Vec::new(),
        };
        // Node 4000m, 8 GiB, 4 example.com/foo; 1000m, 2 GiB, 1 foo requested.
        let (alloc, alloc_s) = (res(4000, 8, 110), with_scalar(NONE, 1, 4));
        let (used, used_s) = (res(1000, 2, 0), with_scalar(NONE, 1, 1));
        // The pod asks 1000m, 2 GiB, 2 foo: cpu (4000−2000)×100/4000 = 50, memory
        // (8−4)×100/8 = 50, foo (4−3)×100/4 = 25; (50 + 50 + 25×3) / 5 = 35.
        let pod = res(1000, 2, 1);
        let x = input_scalar(alloc, used, pod, (alloc_s, used_s, with_scalar(NONE, 1, 2)));
        assert_eq!(score(&s, &x), 35);
        // Without foo in the pod the resource is skipped (upstream's (0, 0)): (50+50)/2 = 50.
        let x = input_scalar(alloc, used, pod, (alloc_s, used_s, NONE));
        assert_eq!(score(&s, &x), 50);
        // The default strategy is the cpu/memory fast path on every node with both.
        let d = FitScoring::default();
        for (a, u, p) in [
            (res(4000, 16, 30), res(500, 2, 0), res(500, 2, 1)),
            (res(2000, 8, 30), res(1000, 1, 0), res(500, 1, 1)),
            (res(1000, 8, 30), res(1000, 3, 0), res(500, 1, 1)),
        ] {
            assert_eq!(score(&d, &input(a, u, p)), least_allocated(a, u, p));
        }
    }
}
