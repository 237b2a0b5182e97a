//! PodDisruptionBudgets (`policy/v1`) → the `disruption_budget` of the workloads they cover.
//!
//! Owns: checking a budget as the API server validates it (exactly one of `minAvailable` and
//! `maxUnavailable`, an integer ≥ 0 or a percentage 0–100 %), matching its selector against the
//! pod labels of the imported workloads of its namespace, and what happens when that match is
//! not exactly one Deployment (stated each time). Does not own: what a budget does in a run
//! (`controllers::drain`, `model::disruption`) or workload names (`mod.rs`).

use super::k8s::{Kind, Object, Skipped};
use super::workloads::{Draft, label_selector};
use super::{Assumptions, ImportError};
use crate::model::pod_affinity::LabelSelector as PodLabelSelector;
use crate::scenario::raw::{self, DisruptionBudget, IntOrPercent};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// What the budgets did: one per workload, the mapped-objects lines and the skipped ones.
pub struct Assigned {
    pub budgets: Vec<Option<DisruptionBudget>>,
    pub mapped: Vec<(super::k8s::Origin, String, String)>,
    pub skipped: Vec<Skipped>,
}

fn int_or_percent(v: &IntOrString, at: &str) -> Result<IntOrPercent, String> {
    match v {
        IntOrString::Int(n) => u32::try_from(*n)
            .map(IntOrPercent::Int)
            .map_err(|_| format!("{at}: {n} is negative (the API server refuses it)")),
        IntOrString::String(s) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p <= 100)
            .map(IntOrPercent::Percent)
            .ok_or_else(|| {
                format!(
                    "{at}: \"{s}\" is neither an integer nor a percentage from 0% to 100% (the \
                     API server refuses it)"
                )
            }),
    }
}

/// The budget a PodDisruptionBudget's spec stands for, checked as the API server does.
fn budget(
    p: &PodDisruptionBudget,
    asm: &mut Assumptions,
    subject: &str,
) -> Result<DisruptionBudget, String> {
    let spec = p.spec.as_ref();
    let min = spec.and_then(|s| s.min_available.as_ref());
    let max = spec.and_then(|s| s.max_unavailable.as_ref());
    match (min, max) {
        (Some(_), Some(_)) => Err(
            "spec: minAvailable and maxUnavailable cannot be both set (the API server refuses \
             it)"
            .into(),
        ),
        (Some(m), None) => Ok(DisruptionBudget {
            min_available: Some(int_or_percent(m, "spec.minAvailable")?),
            max_unavailable: None,
        }),
        (None, Some(m)) => Ok(DisruptionBudget {
            min_available: None,
            max_unavailable: Some(int_or_percent(m, "spec.maxUnavailable")?),
        }),
        (None, None) => {
            // The disruption controller's getExpectedPodCount leaves desiredHealthy at 0 when
            // neither is set: every disruption is allowed.
            asm.add(
                subject.to_string(),
                "neither minAvailable nor maxUnavailable: imported as min_available 0, as the \
                 disruption controller then wants 0 healthy pods (every eviction allowed)",
            );
            Ok(DisruptionBudget {
                min_available: Some(IntOrPercent::Int(0)),
                max_unavailable: None,
            })
        }
    }
}

/// A budget read and checked, with its selector; `selector: None` is policy/v1's null
/// selector, which selects no pods.
pub struct Parsed<'a> {
    object: &'a Object,
    budget: DisruptionBudget,
    selector: Option<PodLabelSelector>,
}

/// Reads and checks every PodDisruptionBudget among the inputs, before anything is mapped, so
/// that its errors are reported together with the others.
pub fn parse<'a>(
    objects: &'a [Object],
    asm: &mut Assumptions,
    errs: &mut Vec<ImportError>,
) -> Vec<Parsed<'a>> {
    let mut out = Vec::new();
    for o in objects {
        let Kind::PodDisruptionBudget(p) = &o.kind else {
            continue;
        };
        let checked = budget(p, asm, &o.id.to_string()).and_then(|budget| {
            let selector = p
                .spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .map(|s| label_selector(s, "spec.selector"))
                .transpose()?;
            Ok(Parsed {
                object: o,
                budget,
                selector,
            })
        });
        match checked {
            Ok(p) => out.push(p),
            Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
        }
    }
    out
}

/// Puts each PodDisruptionBudget on the Deployments whose pod labels its selector matches, in
/// its namespace. `most[i]` is the most replicas workload `i` ever asks for (its replicas or its
/// HPA's maximum), for a `minAvailable` that can never be met.
pub fn assign(
    parsed: &[Parsed],
    drafts: &[Draft],
    names: &[String],
    most: &[u32],
    asm: &mut Assumptions,
) -> Assigned {
    let mut out = Assigned {
        budgets: vec![None; drafts.len()],
        mapped: Vec::new(),
        skipped: Vec::new(),
    };
    let mut owner: Vec<Option<String>> = vec![None; drafts.len()];
    for p in parsed {
        let o = p.object;
        let b = &p.budget;
        let subject = o.id.to_string();
        let skip = |why: String| Skipped {
            origin: o.origin.clone(),
            id: subject.clone(),
            why,
        };
        // policy/v1: a null selector selects no pods; an empty one selects every pod of the
        // namespace.
        let Some(sel) = &p.selector else {
            out.skipped.push(skip(
                "spec.selector is unset: in policy/v1 it selects no pods".into(),
            ));
            continue;
        };
        let ns = o.id.namespace.as_deref().unwrap_or("default");
        let matched: Vec<usize> = drafts
            .iter()
            .enumerate()
            .filter(|(_, d)| d.namespace == ns && sel.matches(&d.template.labels))
            .map(|(i, _)| i)
            .collect();
        let (deploys, others): (Vec<usize>, Vec<usize>) = matched
            .iter()
            .partition(|&&i| drafts[i].kind == raw::WorkloadKind::Deployment);
        if !others.is_empty() {
            asm.add(
                subject.clone(),
                format!(
                    "also selects the pods of {}, which are not Deployments: a budget in the \
                     scenario covers a Deployment's pods only (a drain does not evict DaemonSet \
                     pods; bare Pods and Jobs are not drained here)",
                    others
                        .iter()
                        .map(|&i| names[i].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        if deploys.is_empty() {
            out.skipped.push(skip(format!(
                "its selector matches no imported Deployment's pod labels in namespace {ns}"
            )));
            continue;
        }
        if deploys.len() > 1 {
            asm.add(
                subject.clone(),
                format!(
                    "selects the pods of {} workloads ({}); each gets the budget on its own \
                     pods (upstream counts them together: an integer minAvailable is then \
                     stricter here, an integer maxUnavailable looser; a percentage is close)",
                    deploys.len(),
                    deploys
                        .iter()
                        .map(|&i| names[i].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let mut onto = Vec::new();
        for &i in &deploys {
            if let Some(first) = &owner[i] {
                asm.add(
                    subject.clone(),
                    format!(
                        "workload {} is already covered by {first}; kept that one (upstream \
                         refuses every eviction of a pod covered by more than one budget)",
                        names[i]
                    ),
                );
                continue;
            }
            let mut mine = b.clone();
            if let Some(IntOrPercent::Int(n)) = b.min_available
                && n > most[i]
            {
                // desiredHealthy n above every pod the workload can have: disruptionsAllowed
                // stays 0, the same as maxUnavailable 0 (the scenario refuses an unmeetable
                // minAvailable outright).
                asm.add(
                    subject.clone(),
                    format!(
                        "minAvailable {n} is more than workload {} ever has ({}): no eviction \
                         is ever allowed, imported as max_unavailable 0",
                        names[i], most[i]
                    ),
                );
                mine = DisruptionBudget {
                    min_available: None,
                    max_unavailable: Some(IntOrPercent::Int(0)),
                };
            }
            out.budgets[i] = Some(mine);
            owner[i] = Some(subject.clone());
            onto.push(names[i].as_str());
        }
        if onto.is_empty() {
            out.skipped.push(skip(
                "every Deployment it selects is already covered by another budget".into(),
            ));
        } else {
            out.mapped.push((
                o.origin.clone(),
                subject.clone(),
                format!("disruption_budget of workload {}", onto.join(", ")),
            ));
        }
    }
    out
}
