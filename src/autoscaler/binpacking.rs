//! The cluster autoscaler's node-count estimate: first-fit decreasing bin packing of pending
//! pods onto empty template nodes (k/as `estimator/binpacking_estimator.go`, which sorts pods
//! by cpu/allocatable + memory/allocatable, largest first).

use crate::model::Res;

/// Result of packing: nodes opened, and for each input pod the node it went to (None when it
/// did not fit within the node limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    pub nodes: u32,
    pub placement: Vec<Option<u32>>,
}

/// Packs `pods` onto nodes with `allocatable`, each starting with `overhead` (DaemonSet pods
/// the new node would run), opening at most `max_nodes` nodes.
pub fn estimate(pods: &[Res], allocatable: Res, overhead: Res, max_nodes: u32) -> Estimate {
    let score = |r: &Res| {
        let c = if allocatable.cpu_m > 0 {
            r.cpu_m as f64 / allocatable.cpu_m as f64
        } else {
            0.0
        };
        let m = if allocatable.mem > 0 {
            r.mem as f64 / allocatable.mem as f64
        } else {
            0.0
        };
        c + m
    };
    let mut order: Vec<usize> = (0..pods.len()).collect();
    // Largest first; equal scores keep their arrival order (stable sort).
    order.sort_by(|&a, &b| score(&pods[b]).total_cmp(&score(&pods[a])));
    let mut bins: Vec<Res> = Vec::new();
    let mut placement = vec![None; pods.len()];
    let fits = |bin: &Res, p: &Res| {
        bin.cpu_m + p.cpu_m <= allocatable.cpu_m
            && bin.mem + p.mem <= allocatable.mem
            && bin.pods < allocatable.pods
    };
    for i in order {
        let p = &pods[i];
        if let Some(b) = bins.iter().position(|bin| fits(bin, p)) {
            add(&mut bins[b], p);
            placement[i] = Some(b as u32);
        } else if (bins.len() as u32) < max_nodes && fits(&overhead, p) {
            let mut bin = overhead;
            add(&mut bin, p);
            placement[i] = Some(bins.len() as u32);
            bins.push(bin);
        }
    }
    Estimate {
        nodes: bins.len() as u32,
        placement,
    }
}

fn add(bin: &mut Res, p: &Res) {
    bin.cpu_m += p.cpu_m;
    bin.mem += p.mem;
    bin.pods += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cpu_m: u64, mem_gi: u64) -> Res {
        Res {
            cpu_m,
            mem: mem_gi << 30,
            pods: 1,
        }
    }

    #[test]
    fn first_fit_decreasing_by_hand() {
        // Nodes of 4,000m / 16 Gi / 30 pods. Pods (cpu m, Gi): a 1000/2, b 3000/4, c 2000/8,
        // d 500/1, e 2500/2. Scores (cpu/4000 + mem/16): a .375, b 1.0, c 1.0, d .1875,
        // e .75. Order: b, c (tie, arrival order), e, a, d.
        //   b → node 0 (3000/4); c does not fit node 0 (5000m) → node 1 (2000/8);
        //   e does not fit 0 (5500m) nor 1 (4500m) → node 2 (2500/2);
        //   a → node 0 (4000/6); d → node 1 (2500/9). Three nodes.
        let pods = [r(1000, 2), r(3000, 4), r(2000, 8), r(500, 1), r(2500, 2)];
        let alloc = Res {
            cpu_m: 4000,
            mem: 16 << 30,
            pods: 30,
        };
        let e = estimate(&pods, alloc, Res::default(), 100);
        assert_eq!(e.nodes, 3);
        assert_eq!(
            e.placement,
            vec![Some(0), Some(0), Some(1), Some(1), Some(2)]
        );
    }

    #[test]
    fn the_node_limit_and_daemonset_overhead_are_respected() {
        let alloc = Res {
            cpu_m: 4000,
            mem: 16 << 30,
            pods: 30,
        };
        // Each node already runs a 1,000m DaemonSet pod: only one 3,000m pod fits per node.
        let overhead = r(1000, 1);
        let pods = [r(3000, 1), r(3000, 1), r(3000, 1)];
        let e = estimate(&pods, alloc, overhead, 2);
        assert_eq!(e.nodes, 2);
        assert_eq!(e.placement.iter().filter(|p| p.is_none()).count(), 1);
        // A pod larger than an empty node never opens one.
        let e = estimate(&[r(5000, 1)], alloc, Res::default(), 10);
        assert_eq!(e.nodes, 0);
    }
}
