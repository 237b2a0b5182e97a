//! The scheduler's side of InterPodAffinity: each cycle's PreFilter/PreScore state from the
//! cluster's bound-pods index, and node label values as topology domains.
//!
//! Owns: which templates relate to which (computed once per incoming template and cached),
//! the interning of topology keys and label values, and `State` for the current pod. Does not
//! own: the formulas (`plugins::inter_pod_affinity`) or the index (`Cluster::affinity_pods`).
//!
//! Cost: nothing runs in a scenario where no template has pod affinity terms. Otherwise a
//! cycle visits only the nodes holding pods of templates related to the pod (one entry per
//! (template, node), with its count), as upstream's PreFilter visits every node's pods; the
//! filter and score are then map lookups per node and topology key.

use super::plugins::inter_pod_affinity::{self as ipa, Dom, Incoming, KeyId, Keys, Relation};
use crate::model::cluster::Cluster;
use crate::model::labels::{HOSTNAME_LABEL, WINDOWS_BUILD_LABEL, ZONE_LABEL};
use crate::model::windows::WinVersion;
use crate::model::{NodeId, Spec, TemplateId};
use std::collections::BTreeMap;

/// How a topology key's value is found on a node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum KeyKind {
    /// `kubernetes.io/hostname`: unique per node; the domain is the node id.
    Host,
    /// The zone label: per node in a pool over several zones, else the pool's label.
    Zone,
    /// `node.kubernetes.io/windows-build`: the node's own build (`Cluster::build_label`),
    /// which differs from its pool's during and after an upgrade.
    Build,
    /// Any other label: the pool's (a node has no other labels of its own).
    Pool,
}

/// Topology keys, their kinds, and the interned value of each key in each pool and zone.
#[derive(Default)]
struct Doms {
    keys: Keys,
    kinds: Vec<KeyKind>,
    /// Per key, per pool: the interned value of the pool's label (None: no such label).
    pool: Vec<Vec<Option<Dom>>>,
    /// Per `ZoneId`: the interned zone name.
    zone: Vec<Dom>,
    /// Whether each pool spreads its nodes over several zones.
    multi_zone: Vec<bool>,
    /// Each pool spec's Windows version (what its build label says).
    pool_version: Vec<Option<WinVersion>>,
    values: BTreeMap<String, Dom>,
}

/// The value of the build key for a node of `v`: the (major, minor, build) triple the label
/// `major.minor.build` spells, packed, so a pool's label and a node's own build compare
/// without interning strings on the hot path. Interned values (small counters) of a pool
/// label that no version backs get the top bit, so they never equal a packed triple.
fn build_dom(v: WinVersion) -> Dom {
    ((v.major as Dom) << 48) | ((v.minor as Dom) << 32) | v.build as Dom
}
const UNVERSIONED: Dom = 1 << 63;

impl Doms {
    fn intern(values: &mut BTreeMap<String, Dom>, v: &str) -> Dom {
        let n = values.len() as Dom;
        *values.entry(v.to_string()).or_insert(n)
    }

    /// Makes sure every key named so far has its per-pool values.
    fn fill(&mut self, spec: &Spec) {
        while self.kinds.len() < self.keys.len() {
            let k = self.kinds.len() as KeyId;
            let name = self.keys.name(k).to_string();
            self.kinds.push(match name.as_str() {
                HOSTNAME_LABEL => KeyKind::Host,
                ZONE_LABEL => KeyKind::Zone,
                WINDOWS_BUILD_LABEL => KeyKind::Build,
                _ => KeyKind::Pool,
            });
            let build = name == WINDOWS_BUILD_LABEL;
            let row = spec
                .pools
                .iter()
                .map(|p| match p.version {
                    // Validation makes a versioned pool's label its version's build.
                    Some(v) if build => Some(build_dom(v)),
                    _ => p.labels.get(&name).map(|v| {
                        Self::intern(&mut self.values, v) | if build { UNVERSIONED } else { 0 }
                    }),
                })
                .collect();
            self.pool.push(row);
        }
    }

    /// The node's value of key `k`.
    #[inline]
    fn get(&self, cluster: &Cluster, node: NodeId, k: KeyId) -> Option<Dom> {
        let n = cluster.node(node);
        match self.kinds[k as usize] {
            KeyKind::Host => Some(node.0 as Dom),
            KeyKind::Zone if self.multi_zone[n.pool.idx()] => cluster
                .spread
                .zone_of(n.pool, n.ordinal)
                .map(|z| self.zone[z as usize]),
            // A node off its pool spec's build (`Cluster::off_pool_build`) has its own label.
            KeyKind::Build
                if cluster.any_off_build()
                    && cluster.off_build[n.pool.idx()] > 0
                    && !Cluster::same_build(n.version, self.pool_version[n.pool.idx()]) =>
            {
                n.version.map(build_dom)
            }
            _ => self.pool[k as usize][n.pool.idx()],
        }
    }
}

/// An incoming template's terms and the templates related to it.
struct Prepared {
    incoming: Incoming,
    related: Vec<(TemplateId, Relation)>,
}

/// InterPodAffinity state of the scheduler.
#[derive(Default)]
pub(super) struct InterPod {
    /// Some template has pod affinity terms.
    enabled: bool,
    /// The templates whose pods the cluster's index counts.
    tracked: Vec<TemplateId>,
    doms: Doms,
    prepared: Vec<Option<Prepared>>,
    state: ipa::State,
    /// The current cycle's template, when the plugin has anything to do for it.
    active: Option<TemplateId>,
    raw: Vec<i64>,
}

fn terms(spec: &Spec, t: TemplateId) -> ipa::PodTerms<'_> {
    let t = spec.template(t);
    ipa::PodTerms {
        labels: &t.labels,
        affinity: &t.pod_affinity,
        anti: &t.pod_anti_affinity,
    }
}

impl InterPod {
    pub(super) fn new(spec: &Spec) -> InterPod {
        let tracked = crate::model::pod_affinity::tracked(&spec.templates);
        let enabled = spec
            .templates
            .iter()
            .any(|t| !t.pod_affinity.is_empty() || !t.pod_anti_affinity.is_empty());
        let mut zone_names: Vec<&String> = spec.pools.iter().flat_map(|p| &p.zones).collect();
        zone_names.sort();
        zone_names.dedup();
        let mut doms = Doms {
            multi_zone: spec.pools.iter().map(|p| p.zones.len() > 1).collect(),
            pool_version: spec.pools.iter().map(|p| p.version).collect(),
            ..Default::default()
        };
        // Same order as `SpreadCounts::zone_names`, so a `ZoneId` indexes this table.
        doms.zone = zone_names
            .iter()
            .map(|z| Doms::intern(&mut doms.values, z))
            .collect();
        InterPod {
            enabled,
            tracked: (0..tracked.len())
                .filter(|&i| enabled && tracked[i])
                .map(TemplateId::from_idx)
                .collect(),
            doms,
            prepared: (0..spec.templates.len()).map(|_| None).collect(),
            ..Default::default()
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }

    /// PreFilter and PreScore for a pod of template `tid`: the counts of this cycle.
    pub(super) fn prefilter(&mut self, spec: &Spec, cluster: &Cluster, tid: TemplateId) {
        self.active = None;
        if !self.enabled {
            return;
        }
        if self.prepared[tid.idx()].is_none() {
            let p = terms(spec, tid);
            let incoming = Incoming::new(p, &mut self.doms.keys);
            let mut related = Vec::new();
            for &e in &self.tracked {
                let r = ipa::relation(p, terms(spec, e), &mut self.doms.keys);
                if !r.is_empty() {
                    related.push((e, r));
                }
            }
            self.doms.fill(spec);
            self.prepared[tid.idx()] = Some(Prepared { incoming, related });
        }
        let prep = self.prepared[tid.idx()].as_ref().expect("prepared above");
        if !prep.incoming.has_required() && prep.related.is_empty() {
            return; // PreFilter and PreScore would both Skip.
        }
        self.active = Some(tid);
        self.state.clear();
        let doms = &self.doms;
        for (e, rel) in &prep.related {
            for (node, c) in cluster.affinity_pods.nodes(*e) {
                self.state.add(rel, c, |k| doms.get(cluster, node, k));
            }
        }
    }

    /// Preemption's dry run (`RunPreFilterExtensionRemovePod` / `AddPod`): takes one bound
    /// pod of template `e` off `node` in this cycle's counts, or puts it back (`add`). A pod
    /// of a template unrelated to the cycle's counts nothing either way.
    pub(super) fn update_pod(&mut self, cluster: &Cluster, e: TemplateId, node: NodeId, add: bool) {
        let Some(tid) = self.active else {
            return;
        };
        let prep = self.prepared[tid.idx()]
            .as_ref()
            .expect("active is prepared");
        if let Some((_, rel)) = prep.related.iter().find(|(t, _)| *t == e) {
            let doms = &self.doms;
            let dom = |k| doms.get(cluster, node, k);
            if add {
                self.state.add(rel, 1, dom);
            } else {
                self.state.remove(rel, 1, dom);
            }
        }
    }

    /// Whether `filter` may reject a node this cycle (the pod or a placed pod has terms).
    #[inline]
    pub(super) fn filters(&self) -> bool {
        self.active.is_some()
    }

    /// Filter for `node` in the current cycle.
    #[inline(always)]
    pub(super) fn filter(&self, cluster: &Cluster, node: NodeId) -> Result<(), ipa::Reason> {
        // The common case (no affinity terms this cycle) stays inlined in the scan; the rest
        // is a call.
        match self.active {
            None => Ok(()),
            Some(tid) => self.filter_active(cluster, node, tid),
        }
    }

    #[inline(never)]
    fn filter_active(
        &self,
        cluster: &Cluster,
        node: NodeId,
        tid: TemplateId,
    ) -> Result<(), ipa::Reason> {
        let prep = self.prepared[tid.idx()]
            .as_ref()
            .expect("active is prepared");
        self.state
            .filter(&prep.incoming, |k| self.doms.get(cluster, node, k))
    }

    /// Whether `scores` gives this cycle's pod scores to normalise over the nodes (an
    /// active topology term); when not, InterPodAffinity adds nothing to any node.
    pub(super) fn scores_nodes(&self) -> bool {
        self.active.is_some() && self.state.has_topology_score()
    }

    /// Normalised scores of `nodes` into `out` (parallel); false (and `out` untouched) when
    /// the plugin scores nothing this cycle, so the caller adds nothing.
    pub(super) fn scores(
        &mut self,
        cluster: &Cluster,
        nodes: &[NodeId],
        out: &mut Vec<i64>,
    ) -> bool {
        if !self.scores_nodes() {
            return false;
        }
        self.raw.clear();
        for &node in nodes {
            let s = self.state.score(|k| self.doms.get(cluster, node, k));
            self.raw.push(s);
        }
        ipa::normalize(&mut self.raw, true);
        out.clear();
        out.extend_from_slice(&self.raw);
        true
    }
}
