//! TaintToleration (k/k `plugins/tainttoleration`): Filter rejects a node with a NoSchedule or
//! NoExecute taint the pod does not tolerate, naming the first such taint; Score counts the
//! PreferNoSchedule taints not tolerated by the pod's tolerations with an empty or
//! PreferNoSchedule effect, normalised in reverse (fewer is better).

use crate::model::selector::{Taint, TaintEffect, Toleration, tolerated};

pub const NAME: &str = "TaintToleration";

/// The reason text for an untolerated taint: `node(s) had untolerated taint {key: value}`.
pub fn reason(taint: &Taint) -> String {
    format!(
        "node(s) had untolerated taint {{{}: {}}}",
        taint.key, taint.value
    )
}

/// The first NoSchedule/NoExecute taint that no toleration matches, by position.
pub fn first_untolerated<'a>(
    taints: impl IntoIterator<Item = &'a Taint>,
    tolerations: &[Toleration],
) -> Option<(usize, &'a Taint)> {
    taints.into_iter().enumerate().find(|(_, t)| {
        matches!(t.effect, TaintEffect::NoSchedule | TaintEffect::NoExecute)
            && !tolerated(tolerations, t)
    })
}

/// Score before normalisation: the number of intolerable PreferNoSchedule taints.
pub fn count_intolerable_prefer<'a>(
    taints: impl IntoIterator<Item = &'a Taint>,
    tolerations: &[Toleration],
) -> i64 {
    taints
        .into_iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
        .filter(|t| {
            !tolerations.iter().any(|tol| {
                matches!(tol.effect, None | Some(TaintEffect::PreferNoSchedule)) && tol.tolerates(t)
            })
        })
        .count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::selector::TolerationOperator::{Equal, Exists};

    fn taint(k: &str, v: &str, e: TaintEffect) -> Taint {
        Taint::new(k, v, e)
    }
    fn tol(
        k: &str,
        op: crate::model::selector::TolerationOperator,
        v: &str,
        e: Option<TaintEffect>,
    ) -> Toleration {
        Toleration {
            key: k.into(),
            operator: op,
            value: v.into(),
            effect: e,
            toleration_seconds: None,
        }
    }

    /// Cases from the upstream semantics (k8s.io/api `toleration.go`, k/web
    /// `taint-and-toleration.md`): (name, taints, tolerations, expected first untolerated).
    #[test]
    fn filter_table() {
        use TaintEffect::*;
        let os = taint("os", "windows", NoSchedule);
        type Case = (&'static str, Vec<Taint>, Vec<Toleration>, Option<usize>);
        let cases: Vec<Case> = vec![
            (
                "a pod without tolerations cannot land on a node tainted os=windows:NoSchedule",
                vec![os.clone()],
                vec![],
                Some(0),
            ),
            (
                "an Equal toleration with the same key, value and effect tolerates the taint",
                vec![os.clone()],
                vec![tol("os", Equal, "windows", Some(NoSchedule))],
                None,
            ),
            (
                "an Equal toleration with another value does not tolerate the taint",
                vec![os.clone()],
                vec![tol("os", Equal, "linux", Some(NoSchedule))],
                Some(0),
            ),
            (
                "an Exists toleration ignores the value",
                vec![os.clone()],
                vec![tol("os", Exists, "", Some(NoSchedule))],
                None,
            ),
            (
                "an empty effect matches every effect",
                vec![os.clone(), taint("os", "windows", NoExecute)],
                vec![tol("os", Equal, "windows", None)],
                None,
            ),
            (
                "a toleration for another effect does not match",
                vec![os.clone()],
                vec![tol("os", Equal, "windows", Some(NoExecute))],
                Some(0),
            ),
            (
                "an empty key with Exists tolerates everything",
                vec![os.clone(), taint("gpu", "", NoExecute)],
                vec![tol("", Exists, "", None)],
                None,
            ),
            (
                "PreferNoSchedule taints never fail the filter",
                vec![taint("spot", "true", PreferNoSchedule)],
                vec![],
                None,
            ),
            (
                "the reported taint is the first untolerated one in node order",
                vec![
                    os.clone(),
                    taint("b", "1", NoSchedule),
                    taint("c", "2", NoExecute),
                ],
                vec![tol("os", Exists, "", None)],
                Some(1),
            ),
        ];
        for (name, taints, tols, want) in cases {
            let got = first_untolerated(&taints, &tols).map(|(i, _)| i);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn the_reason_names_key_and_value_like_the_real_event() {
        assert_eq!(
            reason(&taint("os", "windows", TaintEffect::NoSchedule)),
            "node(s) had untolerated taint {os: windows}"
        );
        assert_eq!(
            reason(&taint(
                "node.kubernetes.io/not-ready",
                "",
                TaintEffect::NoSchedule
            )),
            "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
        );
    }

    #[test]
    fn score_counts_prefer_no_schedule_taints_not_tolerated_for_that_effect() {
        use TaintEffect::*;
        let taints = vec![
            taint("a", "1", PreferNoSchedule),
            taint("b", "2", PreferNoSchedule),
            taint("c", "3", NoSchedule),
        ];
        assert_eq!(count_intolerable_prefer(&taints, &[]), 2);
        // A NoSchedule-only toleration does not count for PreferNoSchedule taints.
        let t = vec![tol("a", Equal, "1", Some(NoSchedule))];
        assert_eq!(count_intolerable_prefer(&taints, &t), 2);
        let t = vec![
            tol("a", Equal, "1", None),
            tol("b", Exists, "", Some(PreferNoSchedule)),
        ];
        assert_eq!(count_intolerable_prefer(&taints, &t), 0);
    }
}
