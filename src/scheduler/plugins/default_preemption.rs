//! DefaultPreemption (k/k `plugins/defaultpreemption/default_preemption.go`, with the shared
//! evaluator of `pkg/scheduler/framework/preemption/preemption.go`): the PostFilter that, when
//! no node fits a pod, looks for a node where removing lower-priority pods makes it fit.
//!
//! Owns: the formulas, as pure functions on plain values: how many candidate nodes a dry run
//! looks for, which pods of one node are the minimal victims (`SelectVictimsOnNode`), and
//! which candidate node wins (`pickOneNodeForPreemption`). Does not own: which nodes are
//! tried, nominations, or deleting the victims (`scheduler::preemption` decides, the
//! simulation carries it out through `controllers::terminate_pod`).
//!
//! PodDisruptionBudgets (a workload's `disruption_budget`) split the potential victims into
//! PDB-violating and non-violating ones (`filterPodsWithPDBViolation`), the violating ones are
//! reprieved first, and the node choice prefers the fewest violations.

use crate::model::{PodId, Res, Scalars};

pub const NAME: &str = "DefaultPreemption";
/// `minCandidateNodesPercentage` default (`DefaultPreemptionArgs`, k/k
/// `pkg/scheduler/apis/config/v1/defaults.go`).
pub const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
/// `minCandidateNodesAbsolute` default.
pub const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;
/// The `DisruptionTarget` condition message a victim gets (`prepareCandidate`), with the
/// default scheduler's name.
pub const VICTIM_CONDITION_MESSAGE: &str =
    "default-scheduler: preempting to accommodate a higher priority pod";

/// The victim's event (`prepareCandidate`: reason `Preempted`, note `Preempted by pod %v on
/// node %v`). Upstream prints the preemptor's UID; hybridsim's pods have none, so the
/// preemptor's name stands in for it.
pub fn victim_message(preemptor: &str, node: &str) -> String {
    format!("Preempted by pod {preemptor} on node {node}")
}

/// `calculateNumCandidates`: 10 % of the nodes where preemption might help, at least 100,
/// at most all of them.
pub fn num_candidates(num_nodes: usize) -> usize {
    (num_nodes * MIN_CANDIDATE_NODES_PERCENTAGE / 100)
        .max(MIN_CANDIDATE_NODES_ABSOLUTE)
        .min(num_nodes)
}

/// A pod on a node as preemption sees it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PodInfo {
    pub pod: PodId,
    pub priority: i32,
    /// `status.startTime` (ms): when the kubelet accepted the pod, its binding time here.
    pub start: u64,
    pub requests: Res,
    /// The budget covering the pod, an index into the `allowed` counts given to
    /// `select_victims_on_node`; None: no budget.
    pub budget: Option<u32>,
    /// The pod's scalar resource requests (all zero unless the scenario has some).
    pub scalar: Scalars,
}

/// A node's amounts as preemption sees them.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeAmounts {
    pub allocatable: Res,
    pub allocatable_scalar: Scalars,
    /// The requested sum with the nominated pods of at least the preemptor's priority added
    /// (`RunFilterPluginsWithNominatedPods`).
    pub requested: Res,
    pub requested_scalar: Scalars,
}

/// `util.MoreImportantPod`: the higher priority, then the earlier start time.
fn more_important(a: &PodInfo, b: &PodInfo) -> std::cmp::Ordering {
    b.priority.cmp(&a.priority).then(a.start.cmp(&b.start))
}

/// NodeResourcesFit on the node's amounts; the scalar slots only when the preemptor asks for
/// some (a slot the pod does not ask for never fails).
fn fits(
    node: &NodeAmounts,
    requested: Res,
    requested_scalar: &Scalars,
    pod: Res,
    pod_scalar: Option<&Scalars>,
) -> bool {
    use super::node_resources_fit as nrf;
    !nrf::filter(node.allocatable, requested, pod).any()
        && pod_scalar.is_none_or(|ps| {
            nrf::scalar_filter(&node.allocatable_scalar, requested_scalar, ps) == 0
        })
}

/// `filterPodsWithPDBViolation`: walking the pods in the order given (most important first),
/// each pod with a budget takes one of its `allowed` disruptions; a pod that takes the budget
/// below zero is violating. Returns (violating, non-violating), each in the order given.
pub fn split_by_budget(pods: &[PodInfo], allowed: &[u32]) -> (Vec<PodInfo>, Vec<PodInfo>) {
    let mut left: Vec<i64> = allowed.iter().map(|&a| i64::from(a)).collect();
    let mut violating = Vec::new();
    let mut non_violating = Vec::new();
    for p in pods {
        let violated = p.budget.is_some_and(|b| {
            let l = &mut left[b as usize];
            *l -= 1;
            *l < 0
        });
        if violated {
            violating.push(*p);
        } else {
            non_violating.push(*p);
        }
    }
    (violating, non_violating)
}

/// The filters other than NodeResourcesFit that removing pods can satisfy (their upstream
/// status is `Unschedulable`, not `UnschedulableAndUnresolvable`): NodePorts and
/// InterPodAffinity's anti-affinity. `SelectVictimsOnNode` takes pods off the node and puts
/// them back (`RunPreFilterExtensionRemovePod` / `AddPod`), and asks whether the preemptor
/// then passes (`RunFilterPluginsWithNominatedPods`); NodeResourcesFit's sums are kept by
/// `select_victims_on_node` itself.
pub trait OtherFilters {
    /// Takes `p` off the node.
    fn remove(&mut self, p: &PodInfo);
    /// Puts `p` back on the node.
    fn add(&mut self, p: &PodInfo);
    /// Whether the preemptor passes the other filters on the node as it is now.
    fn fits(&mut self) -> bool;
}

/// No other filter can reject the preemptor (it has no host ports and no anti-affinity is
/// involved): only the resources decide.
impl OtherFilters for () {
    fn remove(&mut self, _: &PodInfo) {}
    fn add(&mut self, _: &PodInfo) {}
    fn fits(&mut self) -> bool {
        true
    }
}

/// `SelectVictimsOnNode`: remove every pod of lower priority than the preemptor; if the
/// preemptor still does not fit (NodeResourcesFit on the sums, then `others`), the node is no
/// candidate (`None`; also when it has no lower-priority pod at all). Otherwise add the
/// removed pods back, the PDB-violating ones first, each group most important first
/// (`MoreImportantPod`), keeping each that still leaves the preemptor fitting: the rest are
/// the victims, in that order, with how many of them violate a budget.
/// `node` holds the node's allocatable and requested amounts; `pods` are the node's
/// pods in the order the node lists them (which breaks ties between equally important pods);
/// `allowed` the disruptions each budget allows (`PodInfo::budget` indexes it).
pub fn select_victims_on_node(
    node: &NodeAmounts,
    pods: &[PodInfo],
    priority: i32,
    pod_requests: Res,
    pod_scalar: &Scalars,
    allowed: &[u32],
    others: &mut impl OtherFilters,
) -> Option<(Vec<PodInfo>, u32)> {
    let mut potential: Vec<PodInfo> = pods
        .iter()
        .copied()
        .filter(|p| p.priority < priority)
        .collect();
    if potential.is_empty() {
        return None;
    }
    // The scalar sums matter only when the preemptor asks for a scalar resource.
    let pod_scalar = crate::model::any_scalar(pod_scalar).then_some(pod_scalar);
    let mut req = node.requested;
    let mut req_scalar = node.requested_scalar;
    for p in &potential {
        req.cpu_m -= p.requests.cpu_m;
        req.mem -= p.requests.mem;
        req.pods -= p.requests.pods;
        if pod_scalar.is_some() {
            crate::model::sub_scalars(&mut req_scalar, &p.scalar);
        }
        others.remove(p);
    }
    if !fits(node, req, &req_scalar, pod_requests, pod_scalar) || !others.fits() {
        return None;
    }
    // Stable: equally important pods keep the node's order.
    potential.sort_by(more_important);
    let (violating, non_violating) = split_by_budget(&potential, allowed);
    let n_violating_pods = violating.len();
    let mut victims = Vec::new();
    let mut num_violating = 0;
    for (i, p) in violating.into_iter().chain(non_violating).enumerate() {
        let back = Res {
            cpu_m: req.cpu_m + p.requests.cpu_m,
            mem: req.mem + p.requests.mem,
            pods: req.pods + p.requests.pods,
        };
        let mut back_scalar = req_scalar;
        if pod_scalar.is_some() {
            crate::model::add_scalars(&mut back_scalar, &p.scalar);
        }
        // Put back, the pod stays if the preemptor still fits (the resources first: the
        // other filters are dearer).
        let stays = fits(node, back, &back_scalar, pod_requests, pod_scalar) && {
            others.add(&p);
            let ok = others.fits();
            if !ok {
                others.remove(&p);
            }
            ok
        };
        if stays {
            req = back;
            req_scalar = back_scalar;
        } else {
            victims.push(p);
            num_violating += u32::from(i < n_violating_pods);
        }
    }
    Some((victims, num_violating))
}

/// `GetEarliestPodStartTime`: the earliest start among the victims of the highest priority.
fn earliest_start_of_highest(victims: &[PodInfo]) -> Option<u64> {
    let top = victims.iter().map(|v| v.priority).max()?;
    victims
        .iter()
        .filter(|v| v.priority == top)
        .map(|v| v.start)
        .min()
}

/// One criterion of the node choice: (PDB violations, victims) → score, higher is better.
type Criterion = dyn Fn(u32, &[PodInfo]) -> i64;

/// `pickOneNodeForPreemption`: among candidates (PDB violations and victims of each), keep those with the best value of each criterion in turn until one is left: the
/// fewest PDB violations, the lowest highest-victim priority, the smallest sum of victim
/// priorities (each offset by 2³¹ so negative priorities do not favour more victims), the
/// fewest victims, the latest start of the highest-priority victims. Remaining ties go to the
/// first candidate in the order given (upstream: its map order). Returns an index.
pub fn pick_one_node(candidates: &[(u32, &[PodInfo])]) -> Option<usize> {
    if candidates.is_empty() {
        return None;
    }
    let criteria: [&Criterion; 5] = [
        &|pdb, _| -(pdb as i64),
        &|_, v| -(v.iter().map(|p| p.priority).max().unwrap_or(i32::MIN) as i64),
        &|_, v| {
            -v.iter()
                .map(|p| p.priority as i64 + i32::MAX as i64 + 1)
                .sum::<i64>()
        },
        &|_, v| -(v.len() as i64),
        &|_, v| earliest_start_of_highest(v).map_or(i64::MIN, |s| s as i64),
    ];
    let mut selected: Vec<usize> = (0..candidates.len()).collect();
    for f in criteria {
        if selected.len() == 1 {
            break;
        }
        let scores: Vec<i64> = selected
            .iter()
            .map(|&i| f(candidates[i].0, candidates[i].1))
            .collect();
        let best = *scores.iter().max().expect("non-empty");
        selected = selected
            .iter()
            .zip(&scores)
            .filter(|&(_, &s)| s == best)
            .map(|(&i, _)| i)
            .collect();
    }
    Some(selected[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(id: u32, priority: i32, start_s: u64, cpu_m: u64) -> PodInfo {
        PodInfo {
            pod: PodId(id),
            priority,
            start: start_s * 1000,
            requests: Res {
                cpu_m,
                mem: 0,
                pods: 1,
            },
            budget: None,
            scalar: [0; crate::model::SCALAR_SLOTS],
        }
    }

    const NONE: Scalars = [0; crate::model::SCALAR_SLOTS];

    fn on_node(allocatable: Res, requested: Res) -> NodeAmounts {
        NodeAmounts {
            allocatable,
            requested,
            ..NodeAmounts::default()
        }
    }

    fn res(cpu_m: u64, pods: u64) -> Res {
        Res {
            cpu_m,
            mem: 1 << 30,
            pods,
        }
    }

    #[test]
    fn candidate_counts_follow_the_default_arguments() {
        // max(N × 10 / 100, 100), capped at N.
        let cases = [
            ("fewer than 100 nodes are all candidates", 12, 12),
            ("exactly 100 nodes give 100", 100, 100),
            ("999 nodes give the absolute minimum of 100", 999, 100),
            ("5000 nodes give 10 %: 500", 5000, 500),
        ];
        for (name, n, want) in cases {
            assert_eq!(num_candidates(n), want, "{name}");
        }
    }

    #[test]
    fn victim_selection_table() {
        // A 4-CPU node, 110 pods allowed; the preemptor (priority 1000) asks for the CPU given.
        let alloc = res(4000, 110);
        // (name, pods on the node, preemptor cpu, expected victims in order, or None)
        type Case = (&'static str, Vec<PodInfo>, u64, Option<Vec<u32>>);
        let cases: Vec<Case> = vec![
            (
                // Four 1-CPU pods of priority 0 fill the node. Removing all four frees 4 CPU.
                // Reprieve by importance: equal priority, earlier start first: pods 0 (0 s),
                // 1 (1 s), 2 (2 s) come back (3 + 1 = 4 ≤ 4); pod 3 (3 s) does not (5 > 4).
                "the least important pod of a full node is the only victim of a 1-CPU pod",
                vec![
                    pod(0, 0, 0, 1000),
                    pod(1, 0, 1, 1000),
                    pod(2, 0, 2, 1000),
                    pod(3, 0, 3, 1000),
                ],
                1000,
                Some(vec![3]),
            ),
            (
                // A 2-CPU pod: pods 0 and 1 come back (2 + 2 = 4); 2 and 3 do not.
                "a 2-CPU pod evicts the two most recently started pods",
                vec![
                    pod(0, 0, 0, 1000),
                    pod(1, 0, 1, 1000),
                    pod(2, 0, 2, 1000),
                    pod(3, 0, 3, 1000),
                ],
                2000,
                Some(vec![2, 3]),
            ),
            (
                // Priority 500 is reprieved before the older priority-0 pods: 500's pod (3)
                // back (1 CPU), then pod 0 (2), pod 1 (3); pod 2 does not fit (4 + 1 > 4).
                "higher-priority victims are reprieved first whatever their start time",
                vec![
                    pod(0, 0, 0, 1000),
                    pod(1, 0, 1, 1000),
                    pod(2, 0, 2, 1000),
                    pod(3, 500, 3, 1000),
                ],
                1000,
                Some(vec![2]),
            ),
            (
                // Pods of equal or higher priority are never victims: only pod 3 (priority 0,
                // 1 CPU) can go, freeing 1 CPU of the 2 needed.
                "a node where removing every lower-priority pod is not enough is no candidate",
                vec![
                    pod(0, 1000, 0, 1000),
                    pod(1, 2000, 1, 1000),
                    pod(2, 1000, 2, 1000),
                    pod(3, 0, 3, 1000),
                ],
                2000,
                None,
            ),
            (
                "a node without lower-priority pods is no candidate",
                vec![
                    pod(0, 1000, 0, 1000),
                    pod(1, 1000, 1, 1000),
                    pod(2, 1000, 2, 1000),
                    pod(3, 1000, 3, 1000),
                ],
                1000,
                None,
            ),
            (
                // A node allowing 3 pods holds 3 (3 CPU of 4): the 1-CPU pod fits by CPU
                // (3 + 1 ≤ 4) but not by count (3 + 1 > 3). Removing pod 1 (the only lower
                // priority) leaves 2 pods; adding it back makes 3 again: it is the victim.
                "the pod-count limit makes a victim even when CPU is free",
                vec![
                    pod(0, 2000, 0, 1000),
                    pod(1, 0, 1, 1000),
                    pod(2, 2000, 2, 1000),
                ],
                1000,
                Some(vec![1]),
            ),
        ];
        for (name, pods, cpu, want) in cases {
            let mut requested = Res::default();
            for p in &pods {
                requested.cpu_m += p.requests.cpu_m;
                requested.mem += p.requests.mem;
                requested.pods += 1;
            }
            let alloc = if name.contains("pod-count") {
                res(4000, 3)
            } else {
                alloc
            };
            let node = on_node(alloc, requested);
            let got = select_victims_on_node(&node, &pods, 1000, res(cpu, 1), &NONE, &[], &mut ())
                .map(|(v, _)| v.iter().map(|p| p.pod.0).collect::<Vec<_>>());
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn node_choice_table() {
        // (name, candidates as lists of (priority, start s), expected index)
        type Case = (&'static str, Vec<Vec<(i32, u64)>>, usize);
        let cases: Vec<Case> = vec![
            (
                // Highest victim priority 100 vs 50: the node with 50 wins.
                "the node whose most important victim has the lowest priority wins",
                vec![vec![(100, 0)], vec![(50, 0), (50, 0)]],
                1,
            ),
            (
                // Highest 10 on both; sums (10 + 2³¹) + (0 + 2³¹) vs (10 + 2³¹): the single
                // victim's sum is smaller by 2³¹.
                "with equal highest priorities the smaller offset sum wins",
                vec![vec![(10, 0), (0, 0)], vec![(10, 0)]],
                1,
            ),
            (
                // Highest −5 on both; without the 2³¹ offset the two victims would sum to −10
                // and win; with it: 2 × (2³¹ − 5) > 2³¹ − 5, so the single victim wins.
                "negative priorities do not make more victims look cheaper",
                vec![vec![(-5, 0), (-5, 0)], vec![(-5, 0)]],
                1,
            ),
            (
                // Same priorities and sums, same count: earliest starts 10 s vs 40 s; the
                // later one (40 s, the younger pods) wins.
                "the node whose victims started latest wins the last tie",
                vec![vec![(0, 10)], vec![(0, 40)]],
                1,
            ),
            (
                // The start time counts only among the highest-priority victims: 5 s (prio 5)
                // vs 20 s (prio 5); the low victim started at 99 s is ignored. Equal sums.
                "only the highest-priority victims' start times count",
                vec![vec![(5, 5), (0, 99)], vec![(5, 20), (0, 1)]],
                1,
            ),
            (
                "a full tie goes to the first candidate",
                vec![vec![(0, 7)], vec![(0, 7)]],
                0,
            ),
        ];
        for (name, cands, want) in cases {
            let lists: Vec<Vec<PodInfo>> = cands
                .iter()
                .map(|c| {
                    c.iter()
                        .enumerate()
                        .map(|(i, &(pr, s))| pod(i as u32, pr, s, 100))
                        .collect()
                })
                .collect();
            let refs: Vec<(u32, &[PodInfo])> = lists.iter().map(|l| (0, l.as_slice())).collect();
            assert_eq!(pick_one_node(&refs), Some(want), "{name}");
        }
    }

    #[test]
    fn pdb_violating_victims_are_reprieved_first_and_counted() {
        // A 4-CPU node full with four 1-CPU priority-0 pods started at 0..3 s; pods 0 and 1
        // are under a budget allowing 1 disruption, pods 2 and 3 have none.
        // filterPodsWithPDBViolation walks them most important first (0, 1, 2, 3): pod 0 takes
        // the budget to 0 (non-violating), pod 1 to −1 (violating).
        let mut pods = vec![
            pod(0, 0, 0, 1000),
            pod(1, 0, 1, 1000),
            pod(2, 0, 2, 1000),
            pod(3, 0, 3, 1000),
        ];
        pods[0].budget = Some(0);
        pods[1].budget = Some(0);
        let (v, nv) = split_by_budget(&pods, &[1]);
        assert_eq!(v.iter().map(|p| p.pod.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(
            nv.iter().map(|p| p.pod.0).collect::<Vec<_>>(),
            vec![0, 2, 3]
        );
        let requested = Res {
            cpu_m: 4000,
            mem: 0,
            pods: 4,
        };
        let cases = [
            // A 1-CPU preemptor: reprieve order 1 (violating), then 0, 2, 3: pods 1, 0, 2 come
            // back (3 CPU), pod 3 does not: one victim, not violating. Without budgets it is
            // the same pod 3.
            ("a 1-CPU pod spares the violating pod", 1000, vec![3], 0),
            // A 3-CPU preemptor: only one pod can come back: pod 1 (the violating one, tried
            // first); victims 0, 2, 3, none violating.
            (
                "a 3-CPU pod keeps the violating pod as the one reprieved",
                3000,
                vec![0, 2, 3],
                0,
            ),
            // A 4-CPU preemptor: nothing comes back; victims in reprieve order 1, 0, 2, 3, and
            // pod 1 counts as a violation.
            (
                "a 4-CPU pod evicts everything with one violation",
                4000,
                vec![1, 0, 2, 3],
                1,
            ),
        ];
        for (name, cpu, want, violations) in cases {
            let (victims, n) = select_victims_on_node(
                &on_node(res(4000, 110), requested),
                &pods,
                1000,
                Res {
                    cpu_m: cpu,
                    pods: 1,
                    ..Res::default()
                },
                &NONE,
                &[1],
                &mut (),
            )
            .expect("a candidate");
            assert_eq!(
                victims.iter().map(|p| p.pod.0).collect::<Vec<_>>(),
                want,
                "{name}"
            );
            assert_eq!(n, violations, "{name}");
        }
        // The node choice prefers the fewest violations over every other criterion: a node
        // with one violating victim of priority 0 loses to one with a non-violating victim of
        // priority 100.
        let a = [pod(0, 0, 0, 100)];
        let b = [pod(1, 100, 0, 100)];
        assert_eq!(pick_one_node(&[(1, &a), (0, &b)]), Some(1));
    }

    /// NodePorts as a dry run sees it: each pod's host ports; the removed pods hold none.
    struct Ports<'a> {
        want: Vec<crate::model::HostPort>,
        held: &'a [(u32, Vec<crate::model::HostPort>)],
        off: Vec<u32>,
    }

    impl OtherFilters for Ports<'_> {
        fn remove(&mut self, p: &PodInfo) {
            self.off.push(p.pod.0);
        }
        fn add(&mut self, p: &PodInfo) {
            self.off.retain(|&q| q != p.pod.0);
        }
        fn fits(&mut self) -> bool {
            let off = &self.off;
            super::super::node_ports::fits(
                &self.want,
                self.held
                    .iter()
                    .filter(|(q, _)| !off.contains(q))
                    .map(|(_, h)| h.as_slice()),
            )
        }
    }

    #[test]
    fn a_host_port_held_by_a_lower_priority_pod_makes_it_a_victim() {
        use crate::model::{HostPort, Protocol};
        let hp = |ip: &str, port| HostPort {
            host_ip: ip.to_string(),
            protocol: Protocol::TCP,
            port,
        };
        // A 4-CPU node; the preemptor (priority 1000, 1 CPU) wants the host port given.
        // (name, pods (id, priority, cpu m) started at id seconds, their host ports, wanted
        // port, expected victims or None)
        type Case = (
            &'static str,
            Vec<(u32, i32, u64)>,
            Vec<(u32, Vec<HostPort>)>,
            HostPort,
            Option<Vec<u32>>,
        );
        let cases: Vec<Case> = vec![
            (
                // 2 CPU used, so the resources fit all along. Remove pods 0 and 1: the port is
                // free. Reprieve by importance (start 0 s, then 1 s): pod 0 back → 0.0.0.0:80
                // conflicts → victim; pod 1 back → fits. Victims: [0].
                "a node with room only lacks the port: its holder is the one victim",
                vec![(0, 0, 1000), (1, 0, 1000)],
                vec![(0, vec![hp("0.0.0.0", 80)])],
                hp("0.0.0.0", 80),
                Some(vec![0]),
            ),
            (
                // Full node (4 × 1 CPU); pod 0 holds the port. Remove all: 0 CPU, port free.
                // Pod 0 back: conflict → victim (its CPU stays free). Pods 1, 2, 3 back:
                // 1 + 1, 2 + 1, 3 + 1 ≤ 4 CPU → all stay. Victims: [0], not the youngest pod
                // (3) that the resources alone would pick.
                "the port holder's eviction also makes the CPU room",
                vec![(0, 0, 1000), (1, 0, 1000), (2, 0, 1000), (3, 0, 1000)],
                vec![(0, vec![hp("0.0.0.0", 80)])],
                hp("0.0.0.0", 80),
                Some(vec![0]),
            ),
            (
                // The holder has priority 2000: it is never removed, so the port stays taken
                // after removing pod 1: no candidate.
                "a port held by a more important pod leaves the node out",
                vec![(0, 2000, 1000), (1, 0, 1000)],
                vec![(0, vec![hp("0.0.0.0", 80)])],
                hp("0.0.0.0", 80),
                None,
            ),
            (
                // 10.0.0.5:80 wanted: pod 0's 10.0.0.4:80 does not conflict (different
                // specific addresses), pod 1's 0.0.0.0:80 does (CheckConflict). Reprieve 0 →
                // stays, 1 → victim.
                "only the pod whose address overlaps is evicted",
                vec![(0, 0, 1000), (1, 0, 1000)],
                vec![(0, vec![hp("10.0.0.4", 80)]), (1, vec![hp("0.0.0.0", 80)])],
                hp("10.0.0.5", 80),
                Some(vec![1]),
            ),
        ];
        for (name, pods, held, want, expected) in cases {
            let infos: Vec<PodInfo> = pods
                .iter()
                .map(|&(id, pr, cpu)| pod(id, pr, id as u64, cpu))
                .collect();
            let mut requested = Res::default();
            for p in &infos {
                requested.cpu_m += p.requests.cpu_m;
                requested.pods += 1;
            }
            let mut others = Ports {
                want: vec![want],
                held: &held,
                off: vec![],
            };
            let got = select_victims_on_node(
                &on_node(res(4000, 110), requested),
                &infos,
                1000,
                res(1000, 1),
                &NONE,
                &[],
                &mut others,
            )
            .map(|(v, _)| v.iter().map(|p| p.pod.0).collect::<Vec<_>>());
            assert_eq!(got, expected, "{name}");
        }
    }
}
