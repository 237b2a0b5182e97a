//! Checks shared by several sections: unique names, tolerations, node selector terms, Windows
//! versions and delay distributions.
//!
//! Owns: the rules that do not belong to one section of the file. Does not own: which section
//! calls them or what the checked values mean at run time.

use super::Ctx;
use crate::model::selector::{SelectorOperator, Term, Toleration, TolerationOperator};
use crate::model::windows::WinVersion;
use crate::model::{DelayDist, Os};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

/// Indexes the names of one list, reporting empty and duplicate names. The map is only looked
/// up, never iterated, so its order cannot reach an output.
pub(super) fn index_names<'a>(
    cx: &mut Ctx,
    items: impl Iterator<Item = &'a str>,
    base: &Path,
    what: &str,
) -> HashMap<String, u32> {
    let mut map = HashMap::new();
    for (i, name) in items.enumerate() {
        let p = base.index(i).field("name");
        if name.trim().is_empty() {
            cx.err(p, format!("expected a non-empty {what} name"));
        } else if map.insert(name.to_string(), i as u32).is_some() {
            cx.err(p, format!("duplicate {what} name \"{name}\""));
        }
    }
    map
}

pub(super) fn check_tolerations(cx: &mut Ctx, tols: &[Toleration], base: &Path) {
    for (i, t) in tols.iter().enumerate() {
        let p = base.index(i);
        if t.key.is_empty() && t.operator != TolerationOperator::Exists {
            cx.err(
                p.field("operator"),
                "a toleration with an empty key must use operator Exists (it then tolerates \
                 every taint)",
            );
        }
        if t.operator == TolerationOperator::Exists && !t.value.is_empty() {
            cx.err(
                p.field("value"),
                "a toleration with operator Exists must not have a value",
            );
        }
    }
}

pub(super) fn check_terms(cx: &mut Ctx, terms: &[Term], base: &Path) {
    for (i, term) in terms.iter().enumerate() {
        let tp = base.index(i).field("match_expressions");
        for (j, r) in term.match_expressions.iter().enumerate() {
            let p = tp.index(j);
            if r.key.is_empty() {
                cx.err(p.field("key"), "expected a non-empty label key");
            }
            match r.operator {
                SelectorOperator::In | SelectorOperator::NotIn if r.values.is_empty() => cx.err(
                    p.field("values"),
                    "operators In and NotIn need at least one value",
                ),
                SelectorOperator::Exists | SelectorOperator::DoesNotExist
                    if !r.values.is_empty() =>
                {
                    cx.err(
                        p.field("values"),
                        "operators Exists and DoesNotExist take no values",
                    )
                }
                SelectorOperator::Gt | SelectorOperator::Lt
                    if r.values.len() != 1 || r.values[0].parse::<i64>().is_err() =>
                {
                    cx.err(
                        p.field("values"),
                        "operators Gt and Lt need exactly one integer value",
                    )
                }
                _ => {}
            }
        }
    }
}

pub(super) fn parse_version(
    cx: &mut Ctx,
    v: &Option<String>,
    os: Os,
    path: &Path,
    need_revision: bool,
) -> Option<WinVersion> {
    match (os, v) {
        (Os::Linux, Some(_)) => {
            cx.err(
                path.field("os_version"),
                "os_version is for Windows only; remove it or set os: Windows",
            );
            None
        }
        (Os::Linux, None) => None,
        (Os::Windows, None) if need_revision => {
            cx.err(
                path.field("os"),
                "a Windows pool needs os_version: \"10.0.BUILD.REVISION\" (e.g. \
                 \"10.0.20348.2340\" for Windows Server 2022)",
            );
            None
        }
        (Os::Windows, None) => None,
        (Os::Windows, Some(s)) => match s.parse::<WinVersion>() {
            Ok(v) if need_revision && v.revision.is_none() => {
                cx.err(
                    path.field("os_version"),
                    format!(
                        "expected a full Windows version `10.0.BUILD.REVISION`, found \"{s}\" \
                         (the revision is the monthly patch level)"
                    ),
                );
                None
            }
            Ok(v) if v.major != 10 || v.minor != 0 => {
                cx.err(
                    path.field("os_version"),
                    format!("expected a Windows 10.0.x version, found \"{s}\""),
                );
                None
            }
            Ok(v) => Some(v),
            Err(e) => {
                cx.err(path.field("os_version"), e);
                None
            }
        },
    }
}

/// Checks a delay distribution and converts it.
pub(super) fn check_delay(cx: &mut Ctx, d: &raw::Delay, path: &Path) -> DelayDist {
    match *d {
        raw::Delay::Fixed(v) => DelayDist::Fixed(v.0),
        raw::Delay::Uniform(a, b) => {
            if a.0 > b.0 {
                cx.err(
                    path.clone(),
                    format!("Uniform({a}, {b}): the lower bound exceeds the upper"),
                );
            }
            DelayDist::Uniform(a.0, b.0.max(a.0))
        }
        raw::Delay::LogNormal { median, p95 } => {
            if median.0 == 0 || p95.0 < median.0 {
                cx.err(
                    path.clone(),
                    format!("LogNormal needs 0 < median ≤ p95, found median {median}, p95 {p95}"),
                );
                return DelayDist::Fixed(median.0);
            }
            DelayDist::log_normal(median.0, p95.0)
        }
    }
}

/// The API server's checks of `podAffinity`/`podAntiAffinity` (k/k
/// `validatePodAffinityTerm`, `ValidateLabelSelector`): a non-empty topology key, label
/// selector operators In/NotIn (with values) and Exists/DoesNotExist (without), and preferred
/// weights from 1 to 100.
pub(super) fn check_pod_affinity(
    cx: &mut Ctx,
    a: &crate::model::pod_affinity::PodAffinity,
    base: &Path,
) {
    use crate::model::pod_affinity::PodAffinityTerm;
    let term = |cx: &mut Ctx, t: &PodAffinityTerm, p: Path| {
        if t.topology_key.is_empty() {
            cx.err(
                p.field("topology_key"),
                "expected a non-empty topology key (a node label such as kubernetes.io/hostname)",
            );
        }
        let Some(sel) = &t.label_selector else {
            return;
        };
        for (j, r) in sel.match_expressions.iter().enumerate() {
            let rp = p
                .field("label_selector")
                .field("match_expressions")
                .index(j);
            if r.key.is_empty() {
                cx.err(rp.field("key"), "expected a non-empty label key");
            }
            match r.operator {
                SelectorOperator::In | SelectorOperator::NotIn if r.values.is_empty() => cx.err(
                    rp.field("values"),
                    "operators In and NotIn need at least one value",
                ),
                SelectorOperator::Exists | SelectorOperator::DoesNotExist
                    if !r.values.is_empty() =>
                {
                    cx.err(
                        rp.field("values"),
                        "operators Exists and DoesNotExist take no values",
                    )
                }
                SelectorOperator::Gt | SelectorOperator::Lt => cx.err(
                    rp.field("operator"),
                    "expected In, NotIn, Exists or DoesNotExist (a label selector has no Gt/Lt)",
                ),
                _ => {}
            }
        }
    };
    for (i, t) in a.required.iter().enumerate() {
        term(cx, t, base.field("required").index(i));
    }
    for (i, w) in a.preferred.iter().enumerate() {
        let p = base.field("preferred").index(i);
        if !(1..=100).contains(&w.weight) {
            cx.err(p.field("weight"), "expected a weight from 1 to 100");
        }
        term(cx, &w.pod_affinity_term, p.field("pod_affinity_term"));
    }
}
