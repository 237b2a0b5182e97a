//! InterPodAffinity (k/k `plugins/interpodaffinity`, `filtering.go` and `scoring.go` as of
//! v1.30): required pod affinity and anti-affinity, the existing pods' required anti-affinity
//! (symmetry), and the preferred terms' score, weight 2 in the default profile.
//!
//! Owns: the formulas, as pure functions over topology domains: `relation` (what one existing
//! pod of a template contributes for an incoming pod of another: upstream's `updateWithPod` and
//! `processExistingPod`, decided once per pair of templates since labels and terms are the
//! template's), `State` (PreFilter's `affinityCounts`, `antiAffinityCounts` and
//! `existingAntiAffinityCounts`, and PreScore's `topologyScore`), `State::filter`,
//! `State::score` and `normalize`. Does not own: which pods are bound where (the cluster's
//! `PodsByTemplate`, kept by binds and releases) or a node's label values (`scheduler`, which
//! maps each (node, topology key) to a `Dom`).
//!
//! All pods share one namespace, so a term's namespaces are always the pod's own.

use crate::model::pod_affinity::PodAffinity;
use std::collections::BTreeMap;

pub const NAME: &str = "InterPodAffinity";
/// `ErrReasonAffinityRulesNotMatch` (UnschedulableAndUnresolvable).
pub const REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
/// `ErrReasonAntiAffinityRulesNotMatch` (Unschedulable).
pub const REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
/// `ErrReasonExistingAntiAffinityRulesNotMatch` (Unschedulable).
pub const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
/// `InterPodAffinityArgs.hardPodAffinityWeight` default: an existing pod's required affinity
/// term that selects the incoming pod scores like a preferred term of this weight.
pub const HARD_POD_AFFINITY_WEIGHT: i64 = 1;

/// An interned topology key.
pub type KeyId = u16;
/// A node's value of one topology key, as an id (the caller's interning).
pub type Dom = u64;

/// The parts of a pod (template) the plugin reads.
#[derive(Copy, Clone)]
pub struct PodTerms<'a> {
    pub labels: &'a BTreeMap<String, String>,
    pub affinity: &'a PodAffinity,
    pub anti: &'a PodAffinity,
}

/// Interned topology keys.
#[derive(Default, Debug)]
pub struct Keys {
    names: Vec<String>,
}

impl Keys {
    pub fn id(&mut self, key: &str) -> KeyId {
        if let Some(i) = self.names.iter().position(|k| k == key) {
            return i as KeyId;
        }
        self.names.push(key.to_string());
        (self.names.len() - 1) as KeyId
    }
    pub fn name(&self, id: KeyId) -> &str {
        &self.names[id as usize]
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The incoming pod's own required terms (`PodInfo.RequiredAffinityTerms` and
/// `RequiredAntiAffinityTerms`), as keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Incoming {
    pub affinity_keys: Vec<KeyId>,
    pub anti_keys: Vec<KeyId>,
    /// `podMatchesAllAffinityTerms(terms, pod)`: the pod selects itself with every required
    /// affinity term (false without terms), so the first pod of such a group may land anywhere.
    pub self_match: bool,
    /// The pod has preferred terms of its own (PreScore then walks every node's pods upstream;
    /// here it only changes nothing, as the sums are the same).
    pub preferred: bool,
}

impl Incoming {
    pub fn new(p: PodTerms, keys: &mut Keys) -> Incoming {
        let req = &p.affinity.required;
        Incoming {
            affinity_keys: req.iter().map(|t| keys.id(&t.topology_key)).collect(),
            anti_keys: p
                .anti
                .required
                .iter()
                .map(|t| keys.id(&t.topology_key))
                .collect(),
            self_match: !req.is_empty() && req.iter().all(|t| t.matches(p.labels)),
            preferred: !p.affinity.preferred.is_empty() || !p.anti.preferred.is_empty(),
        }
    }

    pub fn has_required(&self) -> bool {
        !self.affinity_keys.is_empty() || !self.anti_keys.is_empty()
    }
}

/// What each existing pod of one template adds to the counts for an incoming pod of another,
/// under the topology key of each term (the value is the existing pod's node's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Relation {
    /// `affinityCounts`: the existing pod matches ALL the incoming pod's required affinity
    /// terms, so it counts once under each term's key; else empty.
    pub affinity: Vec<KeyId>,
    /// `antiAffinityCounts`: the keys of the incoming pod's required anti-affinity terms that
    /// select the existing pod.
    pub anti: Vec<KeyId>,
    /// `existingAntiAffinityCounts`: the keys of the existing pod's required anti-affinity
    /// terms that select the incoming pod.
    pub existing_anti: Vec<KeyId>,
    /// `processExistingPod`: (key, weight) added to `topologyScore` per existing pod: the
    /// incoming pod's preferred affinity (+w) and anti-affinity (−w) terms selecting it, and
    /// its own required affinity (+hardPodAffinityWeight), preferred affinity (+w) and
    /// preferred anti-affinity (−w) terms selecting the incoming pod.
    pub score: Vec<(KeyId, i64)>,
}

impl Relation {
    pub fn is_empty(&self) -> bool {
        self.affinity.is_empty()
            && self.anti.is_empty()
            && self.existing_anti.is_empty()
            && self.score.is_empty()
    }
}

/// The relation of an existing pod `e` to the incoming pod `p`.
pub fn relation(p: PodTerms, e: PodTerms, keys: &mut Keys) -> Relation {
    let mut r = Relation::default();
    let req = &p.affinity.required;
    if !req.is_empty() && req.iter().all(|t| t.matches(e.labels)) {
        r.affinity = req.iter().map(|t| keys.id(&t.topology_key)).collect();
    }
    for t in &p.anti.required {
        if t.matches(e.labels) {
            r.anti.push(keys.id(&t.topology_key));
        }
    }
    for t in &e.anti.required {
        if t.matches(p.labels) {
            r.existing_anti.push(keys.id(&t.topology_key));
        }
    }
    let mut score = |t: &crate::model::pod_affinity::PodAffinityTerm, target, w: i64| {
        if t.matches(target) {
            r.score.push((keys.id(&t.topology_key), w));
        }
    };
    for w in &p.affinity.preferred {
        score(&w.pod_affinity_term, e.labels, w.weight as i64);
    }
    for w in &p.anti.preferred {
        score(&w.pod_affinity_term, e.labels, -(w.weight as i64));
    }
    for t in &e.affinity.required {
        score(t, p.labels, HARD_POD_AFFINITY_WEIGHT);
    }
    for w in &e.affinity.preferred {
        score(&w.pod_affinity_term, p.labels, w.weight as i64);
    }
    for w in &e.anti.preferred {
        score(&w.pod_affinity_term, p.labels, -(w.weight as i64));
    }
    r
}

/// Why the filter rejected a node, in the order upstream's Filter checks.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Affinity,
    AntiAffinity,
    ExistingAntiAffinity,
}

impl Reason {
    pub fn text(self) -> &'static str {
        match self {
            Reason::Affinity => REASON_AFFINITY,
            Reason::AntiAffinity => REASON_ANTI_AFFINITY,
            Reason::ExistingAntiAffinity => REASON_EXISTING_ANTI_AFFINITY,
        }
    }
}

/// One cycle's counts by (topology key, value).
#[derive(Default, Debug)]
pub struct State {
    affinity: BTreeMap<(KeyId, Dom), i64>,
    anti: BTreeMap<(KeyId, Dom), i64>,
    existing_anti: BTreeMap<(KeyId, Dom), i64>,
    existing_keys: Vec<KeyId>,
    topology_score: BTreeMap<(KeyId, Dom), i64>,
    score_keys: Vec<KeyId>,
}

impl State {
    pub fn clear(&mut self) {
        self.affinity.clear();
        self.anti.clear();
        self.existing_anti.clear();
        self.existing_keys.clear();
        self.topology_score.clear();
        self.score_keys.clear();
    }

    /// Counts `count` existing pods related by `rel` on one node; `dom(key)` is that node's
    /// value of the key, None when it lacks the label (the pod then counts under no pair of
    /// that key, as upstream's `node.Labels[term.TopologyKey]` lookup skips it).
    pub fn add(&mut self, rel: &Relation, count: u32, dom: impl Fn(KeyId) -> Option<Dom>) {
        self.update(rel, count as i64, dom);
    }

    /// `updateWithPod` with multiplier −1 (`RemovePod`, as preemption's dry run calls it):
    /// takes `count` pods related by `rel` off one node. A pair whose count drops to zero is
    /// deleted, as upstream's `topologyToMatchedTermCount.update` does, so the first-of-a-group
    /// exception of `filter` sees an empty affinity map again.
    pub fn remove(&mut self, rel: &Relation, count: u32, dom: impl Fn(KeyId) -> Option<Dom>) {
        self.update(rel, -(count as i64), dom);
    }

    fn update(&mut self, rel: &Relation, c: i64, dom: impl Fn(KeyId) -> Option<Dom>) {
        fn bump(m: &mut BTreeMap<(KeyId, Dom), i64>, pair: (KeyId, Dom), c: i64) {
            let v = m.entry(pair).or_default();
            *v += c;
            if *v == 0 {
                m.remove(&pair);
            }
        }
        for &k in &rel.affinity {
            if let Some(d) = dom(k) {
                bump(&mut self.affinity, (k, d), c);
            }
        }
        for &k in &rel.anti {
            if let Some(d) = dom(k) {
                bump(&mut self.anti, (k, d), c);
            }
        }
        for &k in &rel.existing_anti {
            if let Some(d) = dom(k) {
                bump(&mut self.existing_anti, (k, d), c);
                if !self.existing_keys.contains(&k) {
                    self.existing_keys.push(k);
                }
            }
        }
        for &(k, w) in &rel.score {
            if let Some(d) = dom(k) {
                *self.topology_score.entry((k, d)).or_default() += w * c;
                if !self.score_keys.contains(&k) {
                    self.score_keys.push(k);
                }
            }
        }
    }

    /// Filter for a node whose value of each key is `dom(key)`: `satisfyPodAffinity`, then
    /// `satisfyPodAntiAffinity`, then `satisfyExistingPodsAntiAffinity`.
    pub fn filter(&self, p: &Incoming, dom: impl Fn(KeyId) -> Option<Dom>) -> Result<(), Reason> {
        // Affinity: the node needs every term's key, and each pair some matching pod;
        // unless no pod anywhere matched and the pod selects itself (the first of a group).
        let mut pods_exist = true;
        for &k in &p.affinity_keys {
            match dom(k) {
                None => return Err(Reason::Affinity),
                Some(d) => {
                    if self.affinity.get(&(k, d)).copied().unwrap_or(0) <= 0 {
                        pods_exist = false;
                    }
                }
            }
        }
        if !(pods_exist || (self.affinity.is_empty() && p.self_match)) {
            return Err(Reason::Affinity);
        }
        // Anti-affinity: no term's pair on this node may hold a matching pod.
        for &k in &p.anti_keys {
            if let Some(d) = dom(k)
                && self.anti.get(&(k, d)).copied().unwrap_or(0) > 0
            {
                return Err(Reason::AntiAffinity);
            }
        }
        // Symmetry: no existing pod's anti-affinity term may select this pod in the node's
        // domain (upstream walks the node's labels; only keys some term names can hit).
        for &k in &self.existing_keys {
            if let Some(d) = dom(k)
                && self.existing_anti.get(&(k, d)).copied().unwrap_or(0) > 0
            {
                return Err(Reason::ExistingAntiAffinity);
            }
        }
        Ok(())
    }

    /// Score before normalisation: Σ over the keys of `topologyScore` of the value at the
    /// node's label, for the keys the node has.
    pub fn score(&self, dom: impl Fn(KeyId) -> Option<Dom>) -> i64 {
        self.score_keys
            .iter()
            .filter_map(|&k| dom(k).and_then(|d| self.topology_score.get(&(k, d))))
            .sum()
    }

    /// `len(topologyScore) != 0`: NormalizeScore does nothing without it.
    pub fn has_topology_score(&self) -> bool {
        !self.topology_score.is_empty()
    }
}

/// NormalizeScore: min-max scaling to 0..=100, `int64(100 × (s − min) / (max − min))` in
/// floating point (truncated); all zero when every score is equal. Scores may be negative.
pub fn normalize(scores: &mut [i64], has_topology_score: bool) {
    if !has_topology_score || scores.is_empty() {
        return;
    }
    let min = *scores.iter().min().expect("non-empty");
    let max = *scores.iter().max().expect("non-empty");
    let diff = max - min;
    for s in scores.iter_mut() {
        let mut f = 0.0f64;
        if diff > 0 {
            f = super::MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64);
        }
        *s = f as i64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels::{HOSTNAME_LABEL, ZONE_LABEL};
    use crate::model::pod_affinity::{LabelSelector, PodAffinityTerm, WeightedPodAffinityTerm};

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn term(app: &str, key: &str) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: labels(&[("app", app)]),
                match_expressions: vec![],
            }),
            topology_key: key.into(),
        }
    }
    fn weighted(w: i32, t: PodAffinityTerm) -> WeightedPodAffinityTerm {
        WeightedPodAffinityTerm {
            weight: w,
            pod_affinity_term: t,
        }
    }

    /// A pod template for the tests.
    #[derive(Default, Clone)]
    struct Tpl {
        labels: BTreeMap<String, String>,
        affinity: PodAffinity,
        anti: PodAffinity,
    }
    impl Tpl {
        fn app(app: &str) -> Tpl {
            Tpl {
                labels: labels(&[("app", app)]),
                ..Default::default()
            }
        }
        fn terms(&self) -> PodTerms<'_> {
            PodTerms {
                labels: &self.labels,
                affinity: &self.affinity,
                anti: &self.anti,
            }
        }
    }

    /// A toy cluster: nodes as label maps (hostname n0, n1, … plus `zone`), existing pods
    /// as (template, node). Label values are interned by string.
    struct World {
        nodes: Vec<BTreeMap<String, String>>,
        pods: Vec<(Tpl, usize)>,
    }

    impl World {
        /// Nodes n0..n(len−1), in the given zones ("" for no zone label).
        fn new(zones: &[&str]) -> World {
            let nodes = zones
                .iter()
                .enumerate()
                .map(|(i, z)| {
                    let mut m = labels(&[(HOSTNAME_LABEL, &format!("n{i}"))]);
                    if !z.is_empty() {
                        m.insert(ZONE_LABEL.into(), z.to_string());
                    }
                    m
                })
                .collect();
            World {
                nodes,
                pods: vec![],
            }
        }
        fn dom<'a>(&'a self, keys: &'a Keys, node: usize) -> impl Fn(KeyId) -> Option<Dom> + 'a {
            move |k| {
                self.nodes[node].get(keys.name(k)).map(|v| {
                    // Stable interning of values for the test: a hash of the string.
                    v.bytes().fold(1469598103934665603u64, |h, b| {
                        (h ^ b as u64).wrapping_mul(1099511628211)
                    })
                })
            }
        }
        /// PreFilter/PreScore for `p`, then each node's filter verdict and raw score.
        fn run(&self, p: &Tpl) -> (Vec<Result<(), Reason>>, Vec<i64>, bool) {
            let mut keys = Keys::default();
            let inc = Incoming::new(p.terms(), &mut keys);
            let mut st = State::default();
            for (e, node) in &self.pods {
                let rel = relation(p.terms(), e.terms(), &mut keys);
                st.add(&rel, 1, self.dom(&keys, *node));
            }
            let verdicts = (0..self.nodes.len())
                .map(|n| st.filter(&inc, self.dom(&keys, n)))
                .collect();
            let scores = (0..self.nodes.len())
                .map(|n| st.score(self.dom(&keys, n)))
                .collect();
            (verdicts, scores, st.has_topology_score())
        }
    }

    use Reason::*;
    const OK: Result<(), Reason> = Ok(());

    /// Filter cases from `filtering.go` semantics; the expected verdicts are derived in each
    /// case's comment.
    #[test]
    fn filter_table() {
        let mut anti_iis_host = Tpl::app("iis");
        anti_iis_host.anti.required = vec![term("iis", HOSTNAME_LABEL)];
        let mut anti_iis_zone = Tpl::app("iis");
        anti_iis_zone.anti.required = vec![term("iis", ZONE_LABEL)];
        let mut with_db_zone = Tpl::app("web");
        with_db_zone.affinity.required = vec![term("db", ZONE_LABEL)];
        let mut self_aff = Tpl::app("cache");
        self_aff.affinity.required = vec![term("cache", ZONE_LABEL)];
        let mut avoid_iis_host = Tpl::app("batch");
        avoid_iis_host.anti.required = vec![term("iis", HOSTNAME_LABEL)];
        type Case = (
            &'static str,
            Vec<&'static str>,
            Vec<(Tpl, usize)>,
            Tpl,
            Vec<Result<(), Reason>>,
        );
        let cases: Vec<Case> = vec![
            (
                // One IIS pod on n0: the hostname pair (hostname, n0) has count 1, so n0
                // fails anti-affinity; n1 and n2 have count 0.
                "required anti-affinity by hostname keeps one replica per node",
                vec!["a", "a", "a"],
                vec![(anti_iis_host.clone(), 0)],
                anti_iis_host.clone(),
                vec![Err(AntiAffinity), OK, OK],
            ),
            (
                // The IIS pod on n0 (zone a) puts (zone, a) at 1: n0 and n1 (zone a) fail,
                // n2 (zone b) passes; a node without a zone label has no pair and passes.
                "required anti-affinity by zone rejects every node of an occupied zone",
                vec!["a", "a", "b", ""],
                vec![(anti_iis_zone.clone(), 0)],
                anti_iis_zone.clone(),
                vec![Err(AntiAffinity), Err(AntiAffinity), OK, OK],
            ),
            (
                // The existing IIS pod's anti-affinity selects the batch pod? No: it selects
                // app=iis, so a plain web pod passes everywhere (no counts at all).
                "an existing pod's anti-affinity does not reject pods it does not select",
                vec!["a", "a"],
                vec![(anti_iis_host.clone(), 0)],
                Tpl::app("web"),
                vec![OK, OK],
            ),
            (
                // A plain IIS pod (no terms of its own) is selected by the existing IIS pod's
                // anti-affinity term: existingAntiAffinityCounts[(hostname, n0)] = 1, so n0
                // fails with the symmetry reason.
                "an existing pod's anti-affinity rejects a pod it selects on its node",
                vec!["a", "a"],
                vec![(anti_iis_host.clone(), 0)],
                Tpl::app("iis"),
                vec![Err(ExistingAntiAffinity), OK],
            ),
            (
                // db on n1 (zone b): affinityCounts[(zone, b)] = 1. n1 and n2 (zone b) pass;
                // n0 (zone a) has count 0 → fails; n3 lacks the zone label → fails at once.
                "required affinity by zone needs a matching pod in the node's zone",
                vec!["a", "b", "b", ""],
                vec![(Tpl::app("db"), 1)],
                with_db_zone.clone(),
                vec![Err(Affinity), OK, OK, Err(Affinity)],
            ),
            (
                // No db pod anywhere and the web pod does not select itself (app=web ≠ db):
                // affinityCounts is empty but self_match is false → every node fails.
                "required affinity with no matching pod anywhere fails every node",
                vec!["a", "b"],
                vec![],
                with_db_zone.clone(),
                vec![Err(Affinity), Err(Affinity)],
            ),
            (
                // The first cache pod: no cache pod exists (affinityCounts empty) and the pod
                // matches its own term, so any node with the zone key passes; the node
                // without a zone label still fails (all topology labels must exist).
                "the first pod of a self-affine group may land on any node with the key",
                vec!["a", "b", ""],
                vec![],
                self_aff.clone(),
                vec![OK, OK, Err(Affinity)],
            ),
            (
                // Once one cache pod runs in zone b, the exception no longer applies:
                // zone a has count 0 and fails.
                "later pods of a self-affine group follow the first one's zone",
                vec!["a", "b"],
                vec![(self_aff.clone(), 1)],
                self_aff.clone(),
                vec![Err(Affinity), OK],
            ),
            (
                // Affinity is checked first: with no db pod, n0 fails for affinity even
                // though its IIS pod would also fail anti-affinity there.
                "affinity is reported before anti-affinity on the same node",
                vec!["a", "a"],
                vec![(Tpl::app("iis"), 0)],
                {
                    let mut t = with_db_zone.clone();
                    t.anti.required = vec![term("iis", HOSTNAME_LABEL)];
                    t
                },
                vec![Err(Affinity), Err(Affinity)],
            ),
            (
                // A batch pod avoiding IIS by hostname: n0 hosts IIS (count 1) → anti;
                // n1 passes.
                "anti-affinity toward another app's pods",
                vec!["a", "a"],
                vec![(Tpl::app("iis"), 0)],
                avoid_iis_host.clone(),
                vec![Err(AntiAffinity), OK],
            ),
        ];
        for (name, zones, pods, p, want) in cases {
            let mut w = World::new(&zones);
            w.pods = pods;
            let (got, _, _) = w.run(&p);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn the_reasons_are_upstreams_texts() {
        assert_eq!(Affinity.text(), "node(s) didn't match pod affinity rules");
        assert_eq!(
            AntiAffinity.text(),
            "node(s) didn't match pod anti-affinity rules"
        );
        assert_eq!(
            ExistingAntiAffinity.text(),
            "node(s) didn't satisfy existing pods anti-affinity rules"
        );
    }

    /// Raw scores from `scoring.go` (`processExistingPod` then `Score`) and the min-max
    /// normalisation.
    #[test]
    fn score_table() {
        let mut pref_anti_iis = Tpl::app("iis");
        pref_anti_iis.anti.preferred = vec![weighted(100, term("iis", HOSTNAME_LABEL))];
        let mut pref_aff_db_zone = Tpl::app("web");
        pref_aff_db_zone.affinity.preferred = vec![
            weighted(5, term("db", ZONE_LABEL)),
            weighted(3, term("cache", HOSTNAME_LABEL)),
        ];
        let mut db_wants_web = Tpl::app("db");
        db_wants_web.affinity.required = vec![term("web", ZONE_LABEL)];
        let mut db_prefers_no_web = Tpl::app("db");
        db_prefers_no_web.anti.preferred = vec![weighted(7, term("web", HOSTNAME_LABEL))];
        type Case = (
            &'static str,
            Vec<&'static str>,
            Vec<(Tpl, usize)>,
            Tpl,
            Vec<i64>,
            Vec<i64>,
        );
        let cases: Vec<Case> = vec![
            (
                // Two IIS pods on n0, one on n1, each with the same preferred term. Per
                // existing pod: −100 for the incoming pod's term selecting it, and −100 for
                // its own term selecting the incoming pod (processExistingPod counts both).
                // topologyScore[hostname][n0] = 2·(−200) = −400, [n1] = −200.
                // Raw −400, −200, 0; min −400, max 0: 0, 100·200/400 = 50, 100.
                "preferred anti-affinity favours the node with fewest matching pods",
                vec!["a", "a", "a"],
                vec![
                    (pref_anti_iis.clone(), 0),
                    (pref_anti_iis.clone(), 0),
                    (pref_anti_iis.clone(), 1),
                ],
                pref_anti_iis.clone(),
                vec![-400, -200, 0],
                vec![0, 50, 100],
            ),
            (
                // The same existing pods without terms of their own: only the incoming
                // pod's term counts, −100 per pod: raw −200, −100, 0 → 0, 50, 100.
                "only the incoming pod's preferred term counts when existing pods have none",
                vec!["a", "a", "a"],
                vec![
                    (Tpl::app("iis"), 0),
                    (Tpl::app("iis"), 0),
                    (Tpl::app("iis"), 1),
                ],
                pref_anti_iis.clone(),
                vec![-200, -100, 0],
                vec![0, 50, 100],
            ),
            (
                // db on n0 (zone a): [zone][a] += 5; cache on n2: [hostname][n2] += 3.
                // n0: 5, n1 (zone a): 5, n2 (zone b): 3, n3: 0. Max 5, min 0:
                // 100, 100, 100·3/5 = 60, 0.
                "preferred affinity sums the weights of every matching term per domain",
                vec!["a", "a", "b", "b"],
                vec![(Tpl::app("db"), 0), (Tpl::app("cache"), 2)],
                pref_aff_db_zone.clone(),
                vec![5, 5, 3, 0],
                vec![100, 100, 60, 0],
            ),
            (
                // The existing db pod's required affinity selects the web pod: it adds
                // hardPodAffinityWeight 1 at [zone][b] (db is on n1). Raw 0, 1 → 0, 100.
                "an existing pod's required affinity toward the pod counts with weight 1",
                vec!["a", "b"],
                vec![(db_wants_web.clone(), 1)],
                Tpl::app("web"),
                vec![0, 1],
                vec![0, 100],
            ),
            (
                // The existing db pod on n0 prefers no web pod on its host: [hostname][n0]
                // −= 7. Raw −7, 0 → 0, 100.
                "an existing pod's preferred anti-affinity toward the pod lowers its node",
                vec!["a", "a"],
                vec![(db_prefers_no_web.clone(), 0)],
                Tpl::app("web"),
                vec![-7, 0],
                vec![0, 100],
            ),
            (
                // Nothing relates: topologyScore is empty and NormalizeScore leaves 0s.
                "pods without terms score zero everywhere",
                vec!["a", "b"],
                vec![(Tpl::app("db"), 0)],
                Tpl::app("web"),
                vec![0, 0],
                vec![0, 0],
            ),
        ];
        for (name, zones, pods, p, raw, norm) in cases {
            let mut w = World::new(&zones);
            w.pods = pods;
            let (_, mut got, has) = w.run(&p);
            assert_eq!(got, raw, "{name}: raw");
            normalize(&mut got, has);
            assert_eq!(got, norm, "{name}: normalised");
        }
    }

    #[test]
    fn normalisation_truncates_and_leaves_equal_scores_at_zero() {
        // Raw 0, 1, 3: min 0, max 3 → 0, int(100/3) = 33, 100.
        let mut s = vec![0, 1, 3];
        normalize(&mut s, true);
        assert_eq!(s, vec![0, 33, 100]);
        // All equal (the map holds an entry whose weights cancelled): max − min = 0 → 0s.
        let mut s = vec![4, 4];
        normalize(&mut s, true);
        assert_eq!(s, vec![0, 0]);
    }

    #[test]
    fn a_term_without_a_selector_selects_no_pod_and_an_empty_one_every_pod() {
        let mut keys = Keys::default();
        let mut p = Tpl::app("iis");
        p.anti.required = vec![PodAffinityTerm {
            label_selector: None,
            topology_key: HOSTNAME_LABEL.into(),
        }];
        assert!(relation(p.terms(), Tpl::app("db").terms(), &mut keys).is_empty());
        p.anti.required[0].label_selector = Some(LabelSelector::default());
        assert_eq!(
            relation(p.terms(), Tpl::app("db").terms(), &mut keys).anti,
            vec![keys.id(HOSTNAME_LABEL)]
        );
    }
}
