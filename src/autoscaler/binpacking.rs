//! The cluster autoscaler's node-count estimate: first-fit decreasing bin packing of pending
//! pods onto empty template nodes (k/as `estimator/binpacking_estimator.go`, which sorts pods
//! by cpu/allocatable + memory/allocatable, largest first).
//!
//! Upstream runs the scheduler's filters against each node it adds, every one a copy of the
//! template node with its own hostname (`simulator/node_info_utils.go`
//! `SanitizedTemplateNodeInfoFromNodeInfo`). Besides cpu, memory and the pod count, `Rules`
//! checks what the pods already placed on a new node change: the sums of extended resources and
//! ephemeral-storage, and required pod anti-affinity by `kubernetes.io/hostname` between the
//! pending pods. It is None in the common case (no scalar requests, no anti-affinity), which
//! keeps the plain packing.

use crate::model::{Res, Scalars};
use crate::scheduler::plugins::node_resources_fit::scalars_fit;

/// What a new node checks besides cpu, memory and the pod count.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    /// The template node's allocatable scalar resources.
    pub allocatable_scalar: Scalars,
    /// Per pod (parallel to the pods), its scalar requests; empty when no pod has any.
    pub scalar: &'a [Scalars],
    /// Per pod, its group (its template's row in `conflict`); empty without anti-affinity.
    pub group: &'a [u32],
    /// `conflict[a × groups + b]`: whether a pod of group a may share a domain with one of
    /// group b (a's required anti-affinity selects b's labels, or b's selects a's).
    pub conflict: &'a [Conflict],
    pub groups: usize,
}

/// How far apart required anti-affinity keeps two pods on the new nodes of one pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Conflict {
    #[default]
    None,
    /// Not on the same node (`kubernetes.io/hostname`: each new node is its own domain).
    Node,
    /// Not on any two new nodes: the term's key has one value on the template node (the
    /// pool's zone, say), which every new node copies.
    Pool,
}

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
    estimate_with(pods, allocatable, overhead, max_nodes, None)
}

/// `estimate`, with the `rules` of the pods' scalar requests and anti-affinity when some apply.
pub fn estimate_with(
    pods: &[Res],
    allocatable: Res,
    overhead: Res,
    max_nodes: u32,
    rules: Option<&Rules>,
) -> Estimate {
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
    // Per bin, with rules: its scalar sums and the pods placed on it.
    let mut bin_scalar: Vec<Scalars> = Vec::new();
    let mut bin_pods: Vec<Vec<usize>> = Vec::new();
    let mut placement = vec![None; pods.len()];
    let fits = |bin: &Res, p: &Res| {
        bin.cpu_m + p.cpu_m <= allocatable.cpu_m
            && bin.mem + p.mem <= allocatable.mem
            && bin.pods < allocatable.pods
    };
    // The rules on bin `b` (None: a new, empty node) for pod `i`.
    let rules_fit =
        |b: Option<usize>, i: usize, bin_scalar: &[Scalars], bin_pods: &[Vec<usize>]| {
            let Some(r) = rules else {
                return true;
            };
            let zero = [0; crate::model::SCALAR_SLOTS];
            if !r.scalar.is_empty()
                && !scalars_fit(
                    &r.allocatable_scalar,
                    b.map_or(&zero, |b| &bin_scalar[b]),
                    &r.scalar[i],
                )
            {
                return false;
            }
            if r.group.is_empty() {
                return true;
            }
            let g = r.group[i] as usize;
            let row = &r.conflict[g * r.groups..(g + 1) * r.groups];
            bin_pods.iter().enumerate().all(|(c, on)| {
                on.iter().all(|&q| match row[r.group[q] as usize] {
                    Conflict::None => true,
                    Conflict::Node => Some(c) != b,
                    Conflict::Pool => false,
                })
            })
        };
    for i in order {
        let p = &pods[i];
        if let Some(b) = (0..bins.len())
            .find(|&b| fits(&bins[b], p) && rules_fit(Some(b), i, &bin_scalar, &bin_pods))
        {
            add(&mut bins[b], p);
            placement[i] = Some(b as u32);
            if let Some(r) = rules {
                if !r.scalar.is_empty() {
                    crate::model::add_scalars(&mut bin_scalar[b], &r.scalar[i]);
                }
                bin_pods[b].push(i);
            }
        } else if (bins.len() as u32) < max_nodes
            && fits(&overhead, p)
            && rules_fit(None, i, &bin_scalar, &bin_pods)
        {
            let mut bin = overhead;
            add(&mut bin, p);
            placement[i] = Some(bins.len() as u32);
            bins.push(bin);
            if let Some(r) = rules {
                bin_scalar.push(r.scalar.get(i).copied().unwrap_or_default());
                bin_pods.push(vec![i]);
            }
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

    #[test]
    fn rules_table_scalars_and_anti_affinity_on_new_nodes() {
        // Nodes of 4,000m / 16 Gi / 30 pods with 2 GPUs (slot 0); five 500m / 1 Gi pods, so
        // cpu and memory alone put all five on one node (2,500m).
        let alloc = Res {
            cpu_m: 4000,
            mem: 16 << 30,
            pods: 30,
        };
        let pods = [r(500, 1); 5];
        let gpu = |n| {
            let mut s = [0; crate::model::SCALAR_SLOTS];
            s[0] = n;
            s
        };
        use Conflict::{Node, None as Free, Pool};
        // (name, scalar requests per pod, groups per pod, conflict matrix, expected nodes)
        type Case = (
            &'static str,
            Vec<Scalars>,
            Vec<u32>,
            Vec<Conflict>,
            usize,
            u32,
        );
        let cases: Vec<Case> = vec![
            // One GPU each, two per node: ⌈5 / 2⌉ = 3 nodes (without the sums: 1).
            (
                "one gpu per pod puts two pods on a node",
                vec![gpu(1); 5],
                vec![],
                vec![],
                0,
                3,
            ),
            // Pods 0..2 ask for no GPU, 3 and 4 for two: 0, 1, 2 and 3 share node 0 (2 GPUs),
            // pod 4 opens node 1.
            (
                "only the gpu pods are kept apart",
                vec![gpu(0), gpu(0), gpu(0), gpu(2), gpu(2)],
                vec![],
                vec![],
                0,
                2,
            ),
            // One group that repels itself by hostname: one pod per node, 5 nodes.
            (
                "hostname anti-affinity puts one replica per node",
                vec![],
                vec![0; 5],
                vec![Node],
                1,
                5,
            ),
            // Groups 0 (pods 0, 1, 2) and 1 (pods 3, 4) repel each other by hostname, not
            // themselves: node 0 takes 0, 1, 2; pods 3 and 4 share node 1.
            (
                "two groups that repel each other take a node each",
                vec![],
                vec![0, 0, 0, 1, 1],
                vec![Free, Node, Node, Free],
                2,
                2,
            ),
            // A term on a key every new node shares (the pool's zone): the first pod opens
            // node 0; no other pod of the group may go on any new node: 1 node, 4 unplaced.
            (
                "a pool-wide key admits one replica in all",
                vec![],
                vec![0; 5],
                vec![Pool],
                1,
                1,
            ),
        ];
        for (name, scalar, group, conflict, groups, want) in cases {
            let rules = Rules {
                allocatable_scalar: gpu(2),
                scalar: &scalar,
                group: &group,
                conflict: &conflict,
                groups,
            };
            let e = estimate_with(&pods, alloc, Res::default(), 100, Some(&rules));
            assert_eq!(e.nodes, want, "{name}");
        }
    }
}
