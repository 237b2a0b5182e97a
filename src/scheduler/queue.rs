//! The scheduling queue (k/k `pkg/scheduler/backend/queue`): an active queue ordered by
//! PrioritySort (priority, then arrival), a back-off stage (1 s doubling to 10 s per failed
//! attempt), and the unschedulable pool that cluster events and a periodic flush
//! (after `podMaxInUnschedulablePodsDuration`, 5 min) move pods out of.
//!
//! Queueing hints (k/k `framework.QueueingHintFn`, `EventsToRegister`): a parked pod remembers
//! which plugins rejected it, and a cluster event moves it only if one of those plugins
//! registered for that event. NodeResourcesFit registers for freed resources; every filter
//! plugin registers for a node joining, behind the pre-check that the new node passes the pod's
//! static filters (taints and node affinity on the node's pool; `preCheckForNode`).
//!
//! Entries are validated lazily against each pod's queue state, so removing a deleted pod is
//! O(1) and nothing is searched.

use super::status::{Plugin, PluginSet};
use crate::engine::backoff;
use crate::model::pod_arena::Paged;
use crate::model::{NodeId, PodId, PoolId, TemplateId};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum QState {
    None,
    Active,
    /// Waiting for back-off to expire; the number is the generation of the expiry event.
    Backoff(u32),
    /// Parked after a failed attempt, since the given time.
    Unschedulable(u64),
}

#[derive(PartialEq, Eq)]
struct ActiveEntry {
    priority: i32,
    timestamp: u64,
    pod: PodId,
}

impl Ord for ActiveEntry {
    fn cmp(&self, o: &Self) -> Ordering {
        // Max-heap: higher priority first, then the earlier arrival, then the lower id.
        self.priority
            .cmp(&o.priority)
            .then_with(|| o.timestamp.cmp(&self.timestamp))
            .then_with(|| o.pod.cmp(&self.pod))
    }
}
impl PartialOrd for ActiveEntry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Cluster events of one instant that can make parked pods schedulable.
#[derive(Clone, Debug, Default)]
pub struct ClusterEvents {
    /// Some bound pod returned its requests to a node.
    pub resources_freed: bool,
    /// Pools that gained a Ready node, in the order they did (no duplicates).
    pub nodes_added: Vec<PoolId>,
    /// Nodes that became less restrictive: uncordoned, or a taint removed (upstream's
    /// `UpdateNodeTaint` node event), in the order they did (no duplicates).
    pub nodes_updated: Vec<NodeId>,
    /// Some pod was bound (upstream's Pod/Add of an assigned pod); only set while some
    /// template has inter-pod affinity terms, whose required affinity it may satisfy.
    pub pods_bound: bool,
}

impl ClusterEvents {
    pub fn is_empty(&self) -> bool {
        !self.resources_freed
            && self.nodes_added.is_empty()
            && self.nodes_updated.is_empty()
            && !self.pods_bound
    }

    pub fn node_updated(&mut self, node: NodeId) {
        if !self.nodes_updated.contains(&node) {
            self.nodes_updated.push(node);
        }
    }

    pub fn node_added(&mut self, pool: PoolId) {
        if !self.nodes_added.contains(&pool) {
            self.nodes_added.push(pool);
        }
    }

    pub fn clear(&mut self) {
        self.resources_freed = false;
        self.nodes_added.clear();
        self.nodes_updated.clear();
        self.pods_bound = false;
    }
}

/// Whether `events` may resolve a rejection by `rejectors`: the plugins' hints, ORed as
/// upstream does. `node_fits(pool)` is the pre-check of a joined node of `pool`.
pub fn worth_retrying(
    rejectors: PluginSet,
    events: &ClusterEvents,
    mut node_fits: impl FnMut(PoolId) -> bool,
) -> bool {
    if events.resources_freed && rejectors.contains(Plugin::NodeResourcesFit) {
        return true;
    }
    // NodePorts registers for Pod/Delete (k/k `nodeports` `isSchedulableAfterPodDeleted`): a
    // pod that left may have freed the port.
    if events.resources_freed && rejectors.contains(Plugin::NodePorts) {
        return true;
    }
    // InterPodAffinity registers for Pod/Add and Pod/Delete (k/k `interpodaffinity/plugin.go`
    // `EventsToRegister`): a deleted pod may lift anti-affinity, a bound one satisfy affinity.
    if (events.resources_freed || events.pods_bound) && rejectors.contains(Plugin::InterPodAffinity)
    {
        return true;
    }
    // Every filter plugin (and an attempt that found no nodes at all) registers for NodeAdd.
    !rejectors.is_empty() && events.nodes_added.iter().any(|&p| node_fits(p))
}

/// An entry of the unschedulable pool, with what the cluster autoscaler reads of the pod:
/// its loop over thousands of parked pods then reads this list, not each pod's record.
#[derive(Copy, Clone, Debug)]
struct Parked {
    pod: PodId,
    template: TemplateId,
    /// Pinned to a node (a DaemonSet pod): no new node can help it.
    pinned: bool,
}

pub struct SchedulingQueue {
    active: BinaryHeap<ActiveEntry>,
    unschedulable: Vec<Parked>,
    // Per pod, paged like the pod arena so that the pages of retired pods are given back with
    // theirs (`retire_page`); a retired pod reads as never queued.
    state: Paged<QState>,
    backoff_gen: Paged<u32>,
    /// Time of the last failed attempt, per pod.
    last_failure: Paged<u64>,
    /// The plugins that rejected the pod's last attempt, per pod.
    rejectors: Paged<PluginSet>,
    initial_backoff: u64,
    max_backoff: u64,
}

impl SchedulingQueue {
    /// Gives back page `k` of the per-pod tables (`model::pod_arena`): its pods are finished
    /// and no longer queued anywhere.
    pub fn retire_page(&mut self, k: usize) {
        self.state.retire_page(k);
        self.backoff_gen.retire_page(k);
        self.last_failure.retire_page(k);
        self.rejectors.retire_page(k);
    }

    pub fn new(initial_backoff: u64, max_backoff: u64) -> Self {
        SchedulingQueue {
            active: BinaryHeap::new(),
            unschedulable: Vec::new(),
            state: Paged::new(QState::None),
            backoff_gen: Paged::new(0),
            last_failure: Paged::new(0),
            rejectors: Paged::new(PluginSet::empty()),
            initial_backoff,
            max_backoff,
        }
    }

    fn ensure(&mut self, pod: PodId) {
        if self.state.len() <= pod.idx() {
            let n = pod.idx() + 1;
            self.state.resize(n, QState::None);
            self.backoff_gen.resize(n, 0);
            self.last_failure.resize(n, 0);
            self.rejectors.resize(n, PluginSet::empty());
        }
    }

    pub fn state(&self, pod: PodId) -> QState {
        if pod.idx() < self.state.len() {
            self.state[pod.idx()]
        } else {
            QState::None
        }
    }

    /// `calculateBackoffDuration`: initial × 2^(attempts−1), capped at the maximum.
    pub fn backoff_duration(&self, attempts: u32) -> u64 {
        backoff(self.initial_backoff, self.max_backoff, attempts)
    }

    pub fn push_active(&mut self, pod: PodId, priority: i32, timestamp: u64) {
        self.ensure(pod);
        self.state[pod.idx()] = QState::Active;
        self.active.push(ActiveEntry {
            priority,
            timestamp,
            pod,
        });
    }

    pub fn pop_active(&mut self) -> Option<PodId> {
        while let Some(e) = self.active.pop() {
            if self.state(e.pod) == QState::Active {
                self.state[e.pod.idx()] = QState::None;
                return Some(e.pod);
            }
        }
        None
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// Parks a pod of `template` (`pinned` to a node or not) after a failed attempt that
    /// `rejectors` caused.
    pub fn mark_unschedulable(
        &mut self,
        (pod, template, pinned): (PodId, TemplateId, bool),
        now: u64,
        rejectors: PluginSet,
    ) {
        self.ensure(pod);
        self.rejectors[pod.idx()] = rejectors;
        self.state[pod.idx()] = QState::Unschedulable(now);
        self.last_failure[pod.idx()] = now;
        self.unschedulable.push(Parked {
            pod,
            template,
            pinned,
        });
    }

    /// When a parked pod's back-off ends, given its attempts so far.
    pub fn backoff_expiry(&self, pod: PodId, attempts: u32) -> u64 {
        self.last_failure[pod.idx()] + self.backoff_duration(attempts)
    }

    /// Moves the parked pods chosen by `select` (given each pod, the time it was parked and
    /// the plugins that rejected it) out of the unschedulable pool. Each comes back
    /// either active (returned in `to_active`) or, if still backing off, in back-off until the
    /// returned expiry (in `to_backoff`, with the generation its expiry event must carry).
    pub fn move_unschedulable(
        &mut self,
        mut select: impl FnMut(PodId, u64, PluginSet) -> Option<u32>,
        now: u64,
        to_active: &mut Vec<PodId>,
        to_backoff: &mut Vec<(PodId, u64, u32)>,
    ) {
        let mut kept = 0;
        for i in 0..self.unschedulable.len() {
            let entry = self.unschedulable[i];
            let pod = entry.pod;
            let QState::Unschedulable(since) = self.state(pod) else {
                continue; // stale entry
            };
            match select(pod, since, self.rejectors[pod.idx()]) {
                None => {
                    self.unschedulable[kept] = entry;
                    kept += 1;
                }
                Some(attempts) => {
                    let expiry = self.backoff_expiry(pod, attempts);
                    if expiry > now {
                        let g = self.backoff_gen[pod.idx()].wrapping_add(1);
                        self.backoff_gen[pod.idx()] = g;
                        self.state[pod.idx()] = QState::Backoff(g);
                        to_backoff.push((pod, expiry, g));
                    } else {
                        self.state[pod.idx()] = QState::None;
                        to_active.push(pod);
                    }
                }
            }
        }
        self.unschedulable.truncate(kept);
    }

    /// The plugins that rejected a pod's last attempt.
    pub fn rejectors(&self, pod: PodId) -> PluginSet {
        if pod.idx() < self.rejectors.len() {
            self.rejectors[pod.idx()]
        } else {
            PluginSet::empty()
        }
    }

    /// Whether a back-off expiry event with generation `g` is still current for `pod`.
    pub fn backoff_current(&self, pod: PodId, g: u32) -> bool {
        self.state(pod) == QState::Backoff(g)
    }

    /// Forgets a pod (deleted or bound).
    pub fn remove(&mut self, pod: PodId) {
        if pod.idx() < self.state.len() {
            self.state[pod.idx()] = QState::None;
        }
    }

    /// Pods parked as unschedulable now and not pinned to a node, with their templates, in
    /// the order they were parked: the pods a cluster autoscaler may add nodes for.
    pub fn unschedulable_pods(&self) -> Vec<(PodId, TemplateId)> {
        self.unschedulable
            .iter()
            .filter(|e| !e.pinned && matches!(self.state(e.pod), QState::Unschedulable(_)))
            .map(|e| (e.pod, e.template))
            .collect()
    }

    pub fn unschedulable_len(&self) -> usize {
        self.unschedulable.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        // k/k defaults podInitialBackoffSeconds=1, podMaxBackoffSeconds=10: 1, 2, 4, 8, 10, 10.
        let q = SchedulingQueue::new(1000, 10_000);
        let got: Vec<u64> = (1..=6).map(|a| q.backoff_duration(a)).collect();
        assert_eq!(got, vec![1000, 2000, 4000, 8000, 10_000, 10_000]);
    }

    #[test]
    fn higher_priority_pops_first_then_earlier_arrival() {
        let mut q = SchedulingQueue::new(1000, 10_000);
        q.push_active(PodId(0), 0, 5);
        q.push_active(PodId(1), 10, 9);
        q.push_active(PodId(2), 0, 1);
        let order: Vec<_> = std::iter::from_fn(|| q.pop_active()).collect();
        assert_eq!(order, vec![PodId(1), PodId(2), PodId(0)]);
    }

    #[test]
    fn freed_resources_help_only_pods_that_lacked_resources() {
        let freed = ClusterEvents {
            resources_freed: true,
            nodes_added: vec![],
            ..Default::default()
        };
        let mut lacked = PluginSet::empty();
        lacked.insert(Plugin::NodeResourcesFit);
        let mut tainted = PluginSet::empty();
        tainted.insert(Plugin::TaintToleration);
        // NodeResourcesFit registers for pod deletion (resources freed); TaintToleration does not.
        assert!(worth_retrying(lacked, &freed, |_| true));
        assert!(!worth_retrying(tainted, &freed, |_| true));
    }

    #[test]
    fn a_joined_node_helps_only_pods_whose_static_filters_it_passes() {
        let added = ClusterEvents {
            resources_freed: false,
            nodes_added: vec![PoolId(1)],
            ..Default::default()
        };
        let mut tainted = PluginSet::empty();
        tainted.insert(Plugin::TaintToleration);
        // The pre-check: a new node of pool 1 helps if the pod passes pool 1's static filters.
        assert!(worth_retrying(tainted, &added, |p| p == PoolId(1)));
        assert!(!worth_retrying(tainted, &added, |p| p == PoolId(0)));
        // A pod that found no nodes at all waits for any node it can use.
        assert!(worth_retrying(PluginSet::no_nodes(), &added, |_| true));
        // Nothing rejected (never parked by a filter): no event concerns it.
        assert!(!worth_retrying(PluginSet::empty(), &added, |_| true));
    }

    #[test]
    fn a_moved_pod_still_in_backoff_waits_for_its_expiry() {
        let mut q = SchedulingQueue::new(1000, 10_000);
        q.mark_unschedulable((PodId(0), TemplateId(0), false), 10_000, PluginSet::empty());
        q.mark_unschedulable((PodId(1), TemplateId(0), false), 10_000, PluginSet::empty());
        let (mut act, mut back) = (Vec::new(), Vec::new());
        // Pod 0 failed 3 times: back-off 4 s ends at 14 s; pod 1 failed once: ends at 11 s.
        q.move_unschedulable(
            |p, _, _| Some(if p == PodId(0) { 3 } else { 1 }),
            12_000,
            &mut act,
            &mut back,
        );
        assert_eq!(act, vec![PodId(1)]);
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].0, back[0].1), (PodId(0), 14_000));
        assert_eq!(q.unschedulable_len(), 0);
    }

    #[test]
    fn the_autoscaler_sees_parked_pods_with_their_templates_but_not_pinned_or_removed_ones() {
        let mut q = SchedulingQueue::new(1000, 10_000);
        // Parked in this order: 0 (template 4), 1 (pinned: a DaemonSet pod), 2 (template 5,
        // then deleted), 3 (template 4). No new node helps 1, and 2 is gone: 0 and 3 remain,
        // in park order, each with its own template.
        q.mark_unschedulable((PodId(0), TemplateId(4), false), 1_000, PluginSet::empty());
        q.mark_unschedulable((PodId(1), TemplateId(9), true), 1_000, PluginSet::empty());
        q.mark_unschedulable((PodId(2), TemplateId(5), false), 2_000, PluginSet::empty());
        q.mark_unschedulable((PodId(3), TemplateId(4), false), 3_000, PluginSet::empty());
        q.remove(PodId(2));
        assert_eq!(
            q.unschedulable_pods(),
            vec![(PodId(0), TemplateId(4)), (PodId(3), TemplateId(4))]
        );
    }
}
