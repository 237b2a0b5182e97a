//! NodeAffinity (k/k `plugins/nodeaffinity`): Filter requires the pod's nodeSelector and its
//! required node affinity (terms ORed, expressions ANDed); Score sums the weights of matching
//! preferred terms, normalised by the maximum over the scored nodes.

use crate::model::TemplateSpec;
use crate::model::selector::{Labels, preferred_score, required_matches};

pub const NAME: &str = "NodeAffinity";
pub const REASON: &str = "node(s) didn't match Pod's node affinity/selector";

pub fn filter(t: &TemplateSpec, labels: &impl Labels) -> bool {
    required_matches(&t.node_selector, t.required.as_deref(), labels)
}

pub fn score(t: &TemplateSpec, labels: &impl Labels) -> i64 {
    preferred_score(&t.preferred, labels)
}

#[cfg(test)]
mod tests {
    use crate::model::selector::{Requirement, SelectorOperator::*, Term, required_matches};
    use std::collections::BTreeMap;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    fn req(k: &str, op: crate::model::selector::SelectorOperator, vals: &[&str]) -> Requirement {
        Requirement {
            key: k.into(),
            operator: op,
            values: vals.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Operator semantics from component-helpers `nodeaffinity` and k/web
    /// `assign-pod-node.md`.
    #[test]
    fn requirement_table() {
        let win = labels(&[
            ("kubernetes.io/os", "windows"),
            ("node.kubernetes.io/windows-build", "10.0.20348"),
            ("cores", "8"),
        ]);
        let cases = vec![
            (
                "In matches a listed value",
                req("kubernetes.io/os", In, &["windows"]),
                true,
            ),
            (
                "In fails on another value",
                req("kubernetes.io/os", In, &["linux"]),
                false,
            ),
            (
                "In fails when the label is absent",
                req("zone", In, &["a"]),
                false,
            ),
            (
                "NotIn matches another value",
                req("kubernetes.io/os", NotIn, &["linux"]),
                true,
            ),
            (
                "NotIn matches an absent label",
                req("zone", NotIn, &["a"]),
                true,
            ),
            (
                "NotIn fails on a listed value",
                req("kubernetes.io/os", NotIn, &["windows"]),
                false,
            ),
            (
                "Exists matches a present label",
                req("cores", Exists, &[]),
                true,
            ),
            (
                "DoesNotExist matches an absent label",
                req("zone", DoesNotExist, &[]),
                true,
            ),
            (
                "DoesNotExist fails on a present label",
                req("cores", DoesNotExist, &[]),
                false,
            ),
            (
                "Gt compares integers: 8 > 4",
                req("cores", Gt, &["4"]),
                true,
            ),
            (
                "Gt is strict: 8 > 8 is false",
                req("cores", Gt, &["8"]),
                false,
            ),
            (
                "Lt compares integers: 8 < 16",
                req("cores", Lt, &["16"]),
                true,
            ),
            (
                "Gt on an absent label fails",
                req("zone", Gt, &["1"]),
                false,
            ),
            (
                "Gt on a non-integer label fails",
                req("node.kubernetes.io/windows-build", Gt, &["1"]),
                false,
            ),
        ];
        for (name, r, want) in cases {
            assert_eq!(r.matches(&win), want, "{name}");
        }
    }

    #[test]
    fn terms_are_ored_and_expressions_anded_and_an_empty_term_matches_nothing() {
        let l = labels(&[("kubernetes.io/os", "windows"), ("tier", "web")]);
        let win = req("kubernetes.io/os", In, &["windows"]);
        let api = req("tier", In, &["api"]);
        let t_and = Term {
            match_expressions: vec![win.clone(), api.clone()],
        };
        let t_win = Term {
            match_expressions: vec![win.clone()],
        };
        assert!(!required_matches(
            &[],
            Some(std::slice::from_ref(&t_and)),
            &l
        ));
        assert!(required_matches(&[], Some(&[t_and.clone(), t_win]), &l));
        assert!(!required_matches(&[], Some(&[Term::default()]), &l));
        assert!(!required_matches(&[], Some(&[]), &l));
        assert!(required_matches(&[], None, &l));
        // nodeSelector and affinity must both hold.
        let sel = vec![("tier".to_string(), "api".to_string())];
        assert!(!required_matches(&sel, None, &l));
    }
}
