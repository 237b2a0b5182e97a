//! NodeResourcesFit (k/k `plugins/noderesources/fit.go`, `least_allocated.go`): Filter checks
//! the pod's requests against allocatable minus what bound pods request (pods, cpu, memory);
//! Score is LeastAllocated over cpu and memory with equal weights, computed on the non-zero
//! requests (100m / 200Mi for containers that request nothing).

use crate::model::Res;

pub const NAME: &str = "NodeResourcesFit";
pub const TOO_MANY_PODS: &str = "Too many pods";
pub const INSUFFICIENT_CPU: &str = "Insufficient cpu";
pub const INSUFFICIENT_MEMORY: &str = "Insufficient memory";

/// Which resources do not fit, as upstream reports them: all insufficient resources of the
/// node, not just the first.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Insufficient {
    pub pods: bool,
    pub cpu: bool,
    pub memory: bool,
}

impl Insufficient {
    pub fn any(self) -> bool {
        self.pods || self.cpu || self.memory
    }
}

pub fn filter(allocatable: Res, requested: Res, pod: Res) -> Insufficient {
    Insufficient {
        pods: requested.pods + 1 > allocatable.pods,
        // Requests of zero never fail (fit.go only checks resources the pod asks for).
        cpu: pod.cpu_m > 0 && requested.cpu_m + pod.cpu_m > allocatable.cpu_m,
        memory: pod.mem > 0 && requested.mem + pod.mem > allocatable.mem,
    }
}

/// `leastRequestedScore`: (capacity − requested) × 100 / capacity; 0 when over capacity.
fn least_requested(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    ((capacity - requested) as i64 * super::MAX_NODE_SCORE) / capacity as i64
}

/// LeastAllocated score for the node after adding the pod (non-zero requests).
pub fn least_allocated(allocatable: Res, nonzero_requested: Res, pod_nonzero: Res) -> i64 {
    let cpu = least_requested(
        nonzero_requested.cpu_m + pod_nonzero.cpu_m,
        allocatable.cpu_m,
    );
    let mem = least_requested(nonzero_requested.mem + pod_nonzero.mem, allocatable.mem);
    (cpu + mem) / 2
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
                memory: false
            }
        );
        // 30 pods already: the 31st does not fit, and 7Gi more memory does not either.
        let got = filter(alloc, res(0, 10, 30), res(0, 7, 1));
        assert_eq!(
            got,
            Insufficient {
                pods: true,
                cpu: false,
                memory: true
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
}
