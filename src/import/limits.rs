//! LimitRanges (`v1`) → the cpu and memory requests a container without its own gets.
//!
//! Owns: which request a namespace's LimitRanges give a container that has neither a request
//! nor a limit for cpu or memory, as the API server arrives at it: the LimitRange's own
//! defaulting (k/k `pkg/apis/core/v1/defaults.go` `SetDefaults_LimitRangeItem`: a missing
//! `default` is the `max`, a missing `defaultRequest` is the `default`, else the `min`), then
//! the LimitRanger admission plugin at pod creation (k/k
//! `plugin/pkg/admission/limitranger/admission.go`: `defaultContainerResourceRequirements`
//! takes the `defaultRequest` of every `type: Container` item, a later item overriding an
//! earlier one; `mergePodResourceRequirements` fills a container's, and an init container's,
//! missing requests from it; each LimitRange of the namespace is applied in turn, so the first
//! one to set a resource wins). Does not own: the pod defaulting that copies a limit into a
//! missing request, which runs before admission (`workloads::container`), or the min/max and
//! ratio checks, which reject pods rather than shape them (stated, not applied).

use super::k8s::{Kind, Object};
use super::{Assumptions, ImportError, quantity};
use std::collections::BTreeMap;

/// One resource's default request, with where it came from for the assumption text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Default {
    /// Millicores for cpu, bytes for memory.
    pub value: u64,
    /// The quantity as written (`"250m"`).
    pub quantity: String,
    /// `LimitRange/NS/NAME spec.limits[I].FIELD`.
    pub source: String,
}

/// The default requests of one namespace.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Namespace {
    pub cpu: Option<Default>,
    pub memory: Option<Default>,
}

impl Namespace {
    pub fn get(&self, key: &str) -> Option<&Default> {
        match key {
            "cpu" => self.cpu.as_ref(),
            "memory" => self.memory.as_ref(),
            _ => None,
        }
    }
}

/// Every namespace's defaults, by namespace.
pub type Defaults = BTreeMap<String, Namespace>;

/// Reads every LimitRange among the inputs. The plugin lists a namespace's LimitRanges from an
/// informer cache in no defined order; the import takes them in name order (stated when a
/// namespace has several).
pub fn collect(objects: &[Object], asm: &mut Assumptions, errs: &mut Vec<ImportError>) -> Defaults {
    let mut ranges: Vec<&Object> = objects
        .iter()
        .filter(|o| matches!(o.kind, Kind::LimitRange(_)))
        .collect();
    ranges.sort_by(|a, b| (&a.id.namespace, &a.id.name).cmp(&(&b.id.namespace, &b.id.name)));
    let mut out = Defaults::new();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in ranges {
        let Kind::LimitRange(lr) = &o.kind else {
            continue;
        };
        let ns = o.id.namespace.clone().unwrap_or_default();
        seen.entry(ns.clone()).or_default().push(o.id.name.clone());
        match one(o, lr, asm) {
            Ok(own) => {
                let entry = out.entry(ns).or_default();
                // The first LimitRange to set a resource wins: the plugin only fills what is
                // still missing.
                if entry.cpu.is_none() {
                    entry.cpu = own.cpu;
                }
                if entry.memory.is_none() {
                    entry.memory = own.memory;
                }
            }
            Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
        }
    }
    for (ns, names) in seen.into_iter().filter(|(_, n)| n.len() > 1) {
        asm.add(
            format!("namespace {ns}"),
            format!(
                "{} LimitRanges ({}): applied in name order, the first to default a resource \
                 wins (the admission plugin takes them in its cache's order, which no object \
                 records)",
                names.len(),
                names.join(", ")
            ),
        );
    }
    out
}

/// One LimitRange's default requests: each `type: Container` item's, a later item overriding
/// an earlier one, as `defaultContainerResourceRequirements` builds its map.
fn one(
    o: &Object,
    lr: &k8s_openapi::api::core::v1::LimitRange,
    asm: &mut Assumptions,
) -> Result<Namespace, String> {
    let subject = o.id.to_string();
    let mut out = Namespace::default();
    let Some(spec) = &lr.spec else {
        return Err("spec: missing required field".into());
    };
    for (i, item) in spec.limits.iter().enumerate() {
        let at = format!("spec.limits[{i}]");
        match item.type_.as_str() {
            "Container" => {}
            "" => return Err(format!("{at}.type: missing required field")),
            t => {
                asm.add(
                    subject.clone(),
                    format!(
                        "{at} (type {t}) sets no defaults a pod's scheduling depends on; its \
                         min/max checks are not applied"
                    ),
                );
                continue;
            }
        }
        if item.max.is_some() || item.min.is_some() || item.max_limit_request_ratio.is_some() {
            asm.add(
                subject.clone(),
                format!(
                    "{at}: min, max and maxLimitRequestRatio are not checked (a pod they refuse \
                     is imported as if admitted); they only default requests, as below"
                ),
            );
        }
        for key in ["cpu", "memory"] {
            // SetDefaults_LimitRangeItem: default ← max; defaultRequest ← default, else min.
            let pick = [
                ("defaultRequest", item.default_request.as_ref()),
                ("default", item.default.as_ref()),
                ("max", item.max.as_ref()),
                ("min", item.min.as_ref()),
            ]
            .into_iter()
            .find_map(|(f, m)| m.and_then(|m| m.get(key)).map(|q| (f, q)));
            let Some((field, q)) = pick else {
                continue;
            };
            let value = match key {
                "cpu" => quantity::cpu_millis(&q.0),
                _ => quantity::bytes(&q.0),
            }
            .map_err(|e| format!("{at}.{field}.{key}: {e}"))?;
            let d = Default {
                value,
                quantity: q.0.clone(),
                source: format!("{subject} {at}.{field}"),
            };
            match key {
                "cpu" => out.cpu = Some(d),
                _ => out.memory = Some(d),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::k8s;

    fn defaults(yaml: &str) -> (Defaults, Vec<String>) {
        let mut docs = k8s::Documents::default();
        let mut errs = Vec::new();
        k8s::read_text("lr.yaml", yaml, &mut docs, &mut errs);
        assert!(errs.is_empty(), "{errs:?}");
        let mut asm = Assumptions::default();
        let mut errs = Vec::new();
        let d = collect(&docs.objects, &mut asm, &mut errs);
        (d, errs.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn default_request_falls_back_to_default_then_max_then_min() {
        let (d, errs) = defaults(
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: a, namespace: n}\nspec:\n  \
             limits:\n  - type: Container\n    default: {cpu: 500m}\n    max: {memory: 1Gi}\n    \
             min: {memory: 64Mi}\n",
        );
        assert!(errs.is_empty());
        // cpu: no defaultRequest, default 500m → defaultRequest 500m (SetDefaults_LimitRangeItem).
        // memory: no default, max 1Gi → default 1Gi → defaultRequest 1Gi; min is only used when
        // defaultRequest is still missing after that, so 1Gi = 1073741824 bytes.
        let n = &d["n"];
        assert_eq!(n.cpu.as_ref().map(|c| c.value), Some(500));
        assert_eq!(n.memory.as_ref().map(|m| m.value), Some(1 << 30));
        assert!(
            n.memory
                .as_ref()
                .unwrap()
                .source
                .ends_with("spec.limits[0].max")
        );
    }

    #[test]
    fn the_first_limit_range_by_name_wins_and_a_later_item_overrides_an_earlier_one() {
        let (d, _) = defaults(
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: b, namespace: n}\nspec:\n  \
             limits:\n  - type: Container\n    defaultRequest: {cpu: 300m, memory: 300Mi}\n\
             ---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: a, namespace: n}\nspec:\n  \
             limits:\n  - type: Container\n    defaultRequest: {cpu: 100m}\n  - type: Container\n    \
             defaultRequest: {cpu: 200m}\n",
        );
        // a before b: a's items give cpu 100m then 200m (the later overrides); a sets no
        // memory, so b's 300Mi = 314572800 bytes fills it.
        assert_eq!(d["n"].cpu.as_ref().map(|c| c.value), Some(200));
        assert_eq!(d["n"].memory.as_ref().map(|m| m.value), Some(300 << 20));
    }

    #[test]
    fn a_malformed_quantity_is_an_error_naming_its_field() {
        let (_, errs) = defaults(
            "apiVersion: v1\nkind: LimitRange\nmetadata: {name: a, namespace: n}\nspec:\n  \
             limits:\n  - type: Container\n    defaultRequest: {memory: lots}\n",
        );
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].contains("spec.limits[0].defaultRequest.memory"),
            "{errs:?}"
        );
    }
}
