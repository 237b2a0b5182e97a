//! ResourceQuotas (`v1`) → the scenario's `resource_quotas`.
//!
//! Owns: which quotas and which `spec.hard` entries the import carries over. The model
//! evaluates the pod resources of k/k `pkg/quota/v1/evaluator/core/pods.go` that need no
//! limits (`pods`, `count/pods`, `requests.cpu`/`cpu`, `requests.memory`/`memory`,
//! `requests.ephemeral-storage`/`ephemeral-storage`, `requests.<extended resource>`); other
//! entries (`limits.*`, `services`, `count/…` of other kinds, storage) are dropped and stated.
//! A quota with `scopes` or a `scopeSelector` applies to a subset of pods the model cannot
//! tell apart (BestEffort, Terminating, PriorityClass, …): it is skipped, with why. Does not
//! own: admission (`model::quota`).

use super::k8s::{Kind, Object, Origin, Skipped};
use super::{Assumptions, ImportError, quantity};
use crate::scenario::raw;
use crate::scenario::validate::quotas::DEFAULT_NAMESPACE;

/// What the import made of the inputs' ResourceQuotas.
#[derive(Default)]
pub struct Collected {
    pub quotas: Vec<raw::ResourceQuota>,
    /// (origin, object, what it became), as `Imported::mapped` lists them.
    pub mapped: Vec<(Origin, String, String)>,
    pub skipped: Vec<Skipped>,
}

/// `spec.hard[name] = value` as the scenario writes it: None when the model does not evaluate
/// `name`; an error when the value is not a Kubernetes quantity (the API server would have
/// refused the object). Parsed with the import's quantity reader (`1e9`, `4G`, `0.5Gi`,
/// `1k` …) and written back in a form the scenario's units read exactly: millicores for
/// CPU, bytes for sizes, plain counts.
fn amount(name: &str, value: &str) -> Result<Option<String>, String> {
    let count = || -> Result<Option<String>, String> {
        quantity::count(value).map(|n| Some(n.to_string()))
    };
    match name {
        "pods" | "count/pods" => count(),
        "cpu" | "requests.cpu" => quantity::cpu_millis(value).map(|m| Some(format!("{m}m"))),
        "memory" | "requests.memory" | "ephemeral-storage" | "requests.ephemeral-storage" => {
            quantity::bytes(value).map(|b| Some(b.to_string()))
        }
        other => match other.strip_prefix("requests.") {
            Some(ext) if crate::scenario::validate::is_extended_resource_name(ext) => count(),
            _ => Ok(None),
        },
    }
}

/// The errors of the inputs' ResourceQuotas: a `spec.hard` value that is not a quantity,
/// named with its object and position (checked with every other object's errors, before
/// anything is written).
pub fn check(objects: &[Object], errs: &mut Vec<ImportError>) {
    for o in objects {
        let Kind::ResourceQuota(rq) = &o.kind else {
            continue;
        };
        let hard = rq.spec.as_ref().and_then(|s| s.hard.as_ref());
        for (name, q) in hard.into_iter().flatten() {
            if let Err(e) = amount(name, &q.0) {
                errs.push(ImportError::at(
                    &o.origin,
                    Some(&o.id),
                    format!("spec.hard[{name}]: {e}"),
                ));
            }
        }
    }
}

/// Reads every ResourceQuota among the inputs, in (namespace, name) order.
pub fn collect(objects: &[Object], asm: &mut Assumptions) -> Collected {
    let mut out = Collected::default();
    let mut quotas: Vec<&Object> = objects
        .iter()
        .filter(|o| matches!(o.kind, Kind::ResourceQuota(_)))
        .collect();
    quotas.sort_by(|a, b| (&a.id.namespace, &a.id.name).cmp(&(&b.id.namespace, &b.id.name)));
    for o in quotas {
        let Kind::ResourceQuota(rq) = &o.kind else {
            continue;
        };
        let spec = rq.spec.clone().unwrap_or_default();
        let scoped =
            spec.scopes.as_ref().is_some_and(|s| !s.is_empty()) || spec.scope_selector.is_some();
        if scoped {
            out.skipped.push(Skipped {
                origin: o.origin.clone(),
                id: o.id.to_string(),
                why: "its scopes/scopeSelector select pods by what the model does not track \
                      (QoS class, terminating, priority class): quota not applied"
                    .into(),
            });
            continue;
        }
        let mut hard = std::collections::BTreeMap::new();
        let mut dropped = Vec::new();
        for (name, q) in spec.hard.unwrap_or_default() {
            // A malformed value was reported by `check`, which runs first.
            match amount(&name, &q.0) {
                Ok(Some(v)) => {
                    hard.insert(name, raw::QuotaAmount(v));
                }
                Ok(None) => dropped.push(format!("{name} is not modelled")),
                Err(_) => {}
            }
        }
        if !dropped.is_empty() {
            asm.add(
                o.id.to_string(),
                format!(
                    "spec.hard entries stated, not modelled: {} (only pods and requests are \
                     evaluated)",
                    dropped.join("; ")
                ),
            );
        }
        if hard.is_empty() {
            out.skipped.push(Skipped {
                origin: o.origin.clone(),
                id: o.id.to_string(),
                why: "no spec.hard entry the model evaluates".into(),
            });
            continue;
        }
        let namespace =
            o.id.namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        out.mapped.push((
            o.origin.clone(),
            o.id.to_string(),
            format!("resource quota {} of namespace {namespace}", o.id.name),
        ));
        out.quotas.push(raw::ResourceQuota {
            name: o.id.name.clone(),
            namespace,
            hard,
        });
    }
    out
}
