//! Namespaces and the `resource_quotas` section.
//!
//! Owns: the namespace name rule (a DNS-1123 label, as the API server validates
//! `metadata.namespace`: k/k `staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`
//! `IsDNS1123Label`), the namespace index every workload gets, and which `hard` entries of a
//! ResourceQuota the model can evaluate (those of k/k `pkg/quota/v1/evaluator/core/pods.go`
//! that do not need limits: `pods`, `count/pods`, `requests.cpu`/`cpu`,
//! `requests.memory`/`memory`, `requests.ephemeral-storage`/`ephemeral-storage`,
//! `requests.<extended resource>`). Does not own: admission itself (`model::quota`).

use super::Ctx;
use crate::model::quota::{QuotaSpec, Tracked};
use crate::model::{EPHEMERAL_STORAGE, WorkloadSpec};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use crate::scenario::units::{parse_bytes, parse_cpu_millis};

/// The namespace of a workload that names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// `IsDNS1123Label`: at most 63 characters, lower-case alphanumerics or `-`, starting and
/// ending with an alphanumeric.
pub fn is_dns1123_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

fn check_label(cx: &mut Ctx, s: &str, path: Path) {
    if !is_dns1123_label(s) {
        cx.err(
            path,
            format!(
                "namespace \"{s}\" is not a DNS-1123 label: a lowercase RFC 1123 label must \
                 consist of lower case alphanumeric characters or '-', and must start and end \
                 with an alphanumeric character (at most 63 characters, e.g. 'my-name' or \
                 '123-abc')"
            ),
        );
    }
}

/// Every namespace the scenario names (workloads and quotas), with `default`, sorted.
pub(super) fn namespaces(cx: &mut Ctx, raw: &raw::Scenario) -> Vec<String> {
    let mut out = vec![DEFAULT_NAMESPACE.to_string()];
    for (i, w) in raw.workloads.iter().enumerate() {
        if let Some(ns) = &w.namespace {
            check_label(
                cx,
                ns,
                Path::root().field("workloads").index(i).field("namespace"),
            );
            out.push(ns.clone());
        }
    }
    for (i, q) in raw.resource_quotas.iter().enumerate() {
        check_label(
            cx,
            &q.namespace,
            Path::root()
                .field("resource_quotas")
                .index(i)
                .field("namespace"),
        );
        out.push(q.namespace.clone());
    }
    out.sort();
    out.dedup();
    out
}

fn ns_index(namespaces: &[String], ns: &str) -> u32 {
    namespaces
        .binary_search_by(|n| n.as_str().cmp(ns))
        .unwrap_or(0) as u32
}

/// Gives every workload its namespace index: the trace's and those that name none get
/// `default`. `copies[i]` are the workloads of raw workload `i`.
pub(super) fn assign(
    raw: &raw::Scenario,
    namespaces: &[String],
    workloads: &mut [WorkloadSpec],
    copies: &super::workloads::Copies,
) {
    let default = ns_index(namespaces, DEFAULT_NAMESPACE);
    for w in workloads.iter_mut() {
        w.namespace = default;
    }
    for (w, (ids, _)) in raw.workloads.iter().zip(copies) {
        if let Some(ns) = &w.namespace {
            let i = ns_index(namespaces, ns);
            for id in ids {
                workloads[id.idx()].namespace = i;
            }
        }
    }
}

/// The message for a `hard` entry the model does not evaluate.
fn not_modelled(name: &str) -> String {
    format!(
        "quota resource \"{name}\" is not modelled: hybridsim evaluates pods, count/pods, \
         requests.cpu (cpu), requests.memory (memory), requests.ephemeral-storage \
         (ephemeral-storage) and requests.<extended resource> (e.g. requests.nvidia.com/gpu); \
         limits.*, object counts and scopes are not modelled"
    )
}

/// Checks `resource_quotas` into `Spec::quotas`, sorted by (namespace, name).
pub(super) fn check(cx: &mut Ctx, raw: &raw::Scenario, namespaces: &[String]) -> Vec<QuotaSpec> {
    let base = Path::root().field("resource_quotas");
    let mut out: Vec<QuotaSpec> = Vec::with_capacity(raw.resource_quotas.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, q) in raw.resource_quotas.iter().enumerate() {
        let p = base.index(i);
        if q.name.is_empty() {
            cx.err(p.field("name"), "a ResourceQuota needs a name");
        }
        if !seen.insert((q.namespace.as_str(), q.name.as_str())) {
            cx.err(
                p.field("name"),
                format!(
                    "ResourceQuota \"{}\" is declared twice in namespace \"{}\"",
                    q.name, q.namespace
                ),
            );
        }
        let mut hard = Vec::with_capacity(q.hard.len());
        for (name, amount) in &q.hard {
            let kp = p.field("hard").key(name);
            let s = amount.0.as_str();
            let count = |s: &str| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("expected a whole number for \"{name}\", found \"{s}\""))
            };
            let (tracked, parsed) = match name.as_str() {
                "pods" | "count/pods" => (Tracked::Pods, count(s)),
                "cpu" | "requests.cpu" => (Tracked::Cpu, parse_cpu_millis(s)),
                "memory" | "requests.memory" => (Tracked::Memory, parse_bytes(s)),
                "ephemeral-storage" | "requests.ephemeral-storage" => {
                    (Tracked::Scalar(EPHEMERAL_STORAGE), parse_bytes(s))
                }
                other => {
                    let ext = other
                        .strip_prefix("requests.")
                        .filter(|e| super::resources::is_extended_resource_name(e));
                    let Some(ext) = ext else {
                        cx.err(kp, not_modelled(other));
                        continue;
                    };
                    let Some(slot) = cx.extended_slot(ext, kp.clone()) else {
                        continue;
                    };
                    (Tracked::Scalar(slot), count(s))
                }
            };
            match parsed {
                Ok(v) => hard.push((name.clone(), tracked, v)),
                Err(e) => cx.err(kp, e),
            }
        }
        out.push(QuotaSpec {
            name: q.name.clone(),
            namespace: ns_index(namespaces, &q.namespace),
            hard,
        });
    }
    out.sort_by(|a, b| (a.namespace, &a.name).cmp(&(b.namespace, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_is_a_dns_1123_label() {
        assert!(is_dns1123_label("team-a"));
        assert!(is_dns1123_label("123-abc"));
        assert!(!is_dns1123_label("Team-A"), "upper case");
        assert!(!is_dns1123_label("-a"), "starts with '-'");
        assert!(
            !is_dns1123_label("a."),
            "a dot is for subdomains, not labels"
        );
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label(&"a".repeat(64)), "64 > 63 characters");
    }
}
