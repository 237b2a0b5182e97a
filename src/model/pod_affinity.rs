//! Inter-pod affinity data: pod labels' selectors (`metav1.LabelSelector`), the affinity terms a
//! pod template declares (`core/v1` PodAffinity and PodAntiAffinity), which the scenario format
//! shares, and the index of bound pods per template that InterPodAffinity counts from.
//!
//! Owns: label-selector matching (apimachinery `LabelSelectorAsSelector`: matchLabels and
//! matchExpressions ANDed, an empty selector matches every pod, a missing one none) and the
//! index, kept by `Cluster::bind`/`release`. Does not own: how terms become filter verdicts or
//! scores (`scheduler::plugins::inter_pod_affinity`).

use super::selector::{Requirement, SelectorOperator};
use super::{NodeId, TemplateId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `metav1.LabelSelector`: `match_labels` and `match_expressions` (In, NotIn, Exists,
/// DoesNotExist) all must hold.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether a pod with `labels` is selected. NotIn and DoesNotExist match a pod without the
    /// key, as `labels.Requirement.Matches` does.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let v = labels.get(&r.key);
                match r.operator {
                    SelectorOperator::In => v.is_some_and(|v| r.values.contains(v)),
                    SelectorOperator::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                    SelectorOperator::Exists => v.is_some(),
                    SelectorOperator::DoesNotExist => v.is_none(),
                    // Refused by validation (a label selector has no Gt/Lt).
                    SelectorOperator::Gt | SelectorOperator::Lt => false,
                }
            })
    }
}

/// `PodAffinityTerm`: the pods `label_selector` selects, counted per value of the nodes'
/// `topology_key` label. All pods share one namespace in hybridsim, so `namespaces` and
/// `namespaceSelector` have nothing to choose between and are not modelled.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PodAffinityTerm {
    /// None selects no pod (a nil selector in the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    pub topology_key: String,
}

impl PodAffinityTerm {
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.label_selector
            .as_ref()
            .is_some_and(|s| s.matches(labels))
    }
}

/// `WeightedPodAffinityTerm`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WeightedPodAffinityTerm {
    /// 1..=100.
    pub weight: i32,
    pub pod_affinity_term: PodAffinityTerm,
}

/// `PodAffinity` or `PodAntiAffinity` (same shape): `required` is
/// `requiredDuringSchedulingIgnoredDuringExecution`, `preferred`
/// `preferredDuringSchedulingIgnoredDuringExecution`, as `NodeAffinity` names them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct PodAffinity {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<PodAffinityTerm>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred: Vec<WeightedPodAffinityTerm>,
}

impl PodAffinity {
    pub fn is_empty(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }

    pub fn terms(&self) -> impl Iterator<Item = &PodAffinityTerm> {
        self.required
            .iter()
            .chain(self.preferred.iter().map(|w| &w.pod_affinity_term))
    }
}

/// Which templates' pods inter-pod affinity can involve: those with terms of their own
/// (symmetry, and existing pods' terms in scoring) and those some term selects. All false in a
/// scenario without terms, so nothing is counted there.
pub fn tracked(templates: &[super::TemplateSpec]) -> Vec<bool> {
    let terms: Vec<&PodAffinityTerm> = templates
        .iter()
        .flat_map(|t| t.pod_affinity.terms().chain(t.pod_anti_affinity.terms()))
        .collect();
    templates
        .iter()
        .map(|t| {
            !t.pod_affinity.is_empty()
                || !t.pod_anti_affinity.is_empty()
                || terms.iter().any(|term| term.matches(&t.labels))
        })
        .collect()
}

/// Bound pods per template and node, for the templates inter-pod affinity can involve (those
/// with terms, and those some term selects); nothing is kept in a scenario without terms.
#[derive(Clone, Debug, Default)]
pub struct PodsByTemplate {
    tracked: Vec<bool>,
    /// Per template: node → bound pods of the template there (ordered: counting is
    /// deterministic whatever consumes it).
    on: Vec<BTreeMap<NodeId, u32>>,
}

impl PodsByTemplate {
    /// `tracked[t]`: template t's pods are counted.
    pub fn new(tracked: Vec<bool>) -> PodsByTemplate {
        let on = vec![BTreeMap::new(); tracked.len()];
        PodsByTemplate { tracked, on }
    }

    /// Counts a pod of `t` bound to (`add`) or released from `node`.
    #[inline]
    pub fn update(&mut self, t: TemplateId, node: NodeId, add: bool) {
        if !self.tracked.get(t.idx()).copied().unwrap_or(false) {
            return;
        }
        let m = &mut self.on[t.idx()];
        if add {
            *m.entry(node).or_insert(0) += 1;
        } else if let Some(c) = m.get_mut(&node) {
            *c -= 1;
            if *c == 0 {
                m.remove(&node);
            }
        }
    }

    /// The nodes with bound pods of `t`, and how many (empty for an untracked template).
    pub fn nodes(&self, t: TemplateId) -> impl Iterator<Item = (NodeId, u32)> + '_ {
        self.on
            .get(t.idx())
            .into_iter()
            .flat_map(|m| m.iter().map(|(&n, &c)| (n, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn req(key: &str, op: SelectorOperator, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            operator: op,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// apimachinery `labels.Requirement.Matches` and `LabelSelectorAsSelector` semantics.
    #[test]
    fn label_selector_table() {
        use SelectorOperator::*;
        let iis = labels(&[("app", "iis"), ("tier", "web")]);
        let sel = |ml: &[(&str, &str)], me: Vec<Requirement>| LabelSelector {
            match_labels: labels(ml),
            match_expressions: me,
        };
        let cases: Vec<(&str, LabelSelector, bool)> = vec![
            (
                "an empty selector selects every pod",
                sel(&[], vec![]),
                true,
            ),
            (
                "match_labels needs every pair",
                sel(&[("app", "iis"), ("tier", "db")], vec![]),
                false,
            ),
            (
                "In matches one of the listed values",
                sel(&[], vec![req("app", In, &["nginx", "iis"])]),
                true,
            ),
            (
                "NotIn matches a pod without the key",
                sel(&[], vec![req("zone", NotIn, &["a"])]),
                true,
            ),
            (
                "NotIn rejects a listed value",
                sel(&[], vec![req("app", NotIn, &["iis"])]),
                false,
            ),
            (
                "Exists needs the key",
                sel(&[], vec![req("tier", Exists, &[])]),
                true,
            ),
            (
                "DoesNotExist rejects a pod with the key",
                sel(&[], vec![req("tier", DoesNotExist, &[])]),
                false,
            ),
            (
                "labels and expressions are ANDed",
                sel(&[("app", "iis")], vec![req("tier", In, &["db"])]),
                false,
            ),
        ];
        for (name, s, want) in cases {
            assert_eq!(s.matches(&iis), want, "{name}");
        }
        // A term without a selector selects nothing, unlike an empty selector.
        let t = PodAffinityTerm {
            label_selector: None,
            topology_key: "kubernetes.io/hostname".into(),
        };
        assert!(!t.matches(&iis));
    }

    #[test]
    fn the_index_counts_binds_and_releases_of_tracked_templates_only() {
        let mut ix = PodsByTemplate::new(vec![true, false]);
        ix.update(TemplateId(0), NodeId(3), true);
        ix.update(TemplateId(0), NodeId(3), true);
        ix.update(TemplateId(0), NodeId(1), true);
        ix.update(TemplateId(1), NodeId(1), true);
        assert_eq!(
            ix.nodes(TemplateId(0)).collect::<Vec<_>>(),
            vec![(NodeId(1), 1), (NodeId(3), 2)]
        );
        assert_eq!(ix.nodes(TemplateId(1)).count(), 0);
        ix.update(TemplateId(0), NodeId(1), false);
        assert_eq!(
            ix.nodes(TemplateId(0)).collect::<Vec<_>>(),
            vec![(NodeId(3), 2)]
        );
    }
}
