//! The cluster autoscaler's own configuration → the scenario's `autoscaler` settings and the
//! pools' `autoscale` bounds.
//!
//! Owns: finding the cluster autoscaler among the inputs (a Deployment or Pod running the
//! `cluster-autoscaler` image, whose command-line flags are read with the autoscaler's own
//! spellings: `--expander=least-waste`, `--scale-down-unneeded-time=10m`,
//! `--nodes=MIN:MAX:GROUP`), reading the node-group bounds the autoscaler publishes in the
//! `kube-system/cluster-autoscaler-status` ConfigMap (the YAML of cluster-autoscaler ≥ 1.30, or
//! the older text with `(minSize=N, maxSize=M)`), and matching node-group names to pools. Does
//! not own: what the autoscaler does in a run (`autoscaler::cluster_autoscaler`) or pools
//! (`nodes`).
//!
//! Node objects carry no bounds: AKS (`kubernetes.azure.com/agentpool`), EKS
//! (`eks.amazonaws.com/nodegroup`) and GKE (`cloud.google.com/gke-nodepool`) label a node's
//! pool, while its minimum and maximum live in the cloud's node-pool or scaling-group settings,
//! and auto-discovery tags (`k8s.io/cluster-autoscaler/enabled`) are on the cloud's groups, not
//! on any Kubernetes object. Without one of the two sources above, pools are imported at a
//! fixed size (stated).

use super::catalog::Ref;
use super::k8s::{Kind, Object, Origin};
use super::{Assumptions, ImportError};
use crate::scenario::raw::{self, Expander, NodeGroup};
use crate::scenario::units::{Duration, parse_duration_ms};
use k8s_openapi::api::core::v1 as core;

/// The ConfigMap the autoscaler writes its status to (`--status-config-map-name` default).
pub const STATUS_CONFIG_MAP: &str = "cluster-autoscaler-status";

/// One node group's bounds, with where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub source: String,
}

/// What the inputs say about the autoscaler.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// `None`: no autoscaler Deployment/Pod among the inputs (the simulator's defaults apply).
    pub settings: Option<raw::AutoscalerSettings>,
    pub groups: Vec<Group>,
    /// The objects read, for the mapped-objects list.
    pub mapped: Vec<(Origin, String, String)>,
}

fn is_autoscaler(c: &core::Container) -> bool {
    c.image
        .as_deref()
        .is_some_and(|i| Ref::parse(i).repo().ends_with("/cluster-autoscaler"))
}

/// The autoscaler's expander names (`cluster-autoscaler/expander/expander.go`).
fn expander(name: &str) -> Result<Option<Expander>, String> {
    Ok(Some(match name {
        "least-waste" => Expander::LeastWaste,
        "random" => Expander::Random,
        "most-pods" => Expander::MostPods,
        "least-nodes" => Expander::LeastNodes,
        "priority" => Expander::Priority,
        "price" => Expander::Price,
        "grpc" => return Ok(None),
        other => {
            return Err(format!(
                "unknown expander \"{other}\" (random, most-pods, least-waste, least-nodes, \
                 price, priority, grpc)"
            ));
        }
    }))
}

fn duration(flag: &str, v: &str) -> Result<Duration, String> {
    parse_duration_ms(v)
        .map(Duration)
        .map_err(|e| format!("--{flag}={v}: {e}"))
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("--{flag}={v}: expected a number"))
}

fn boolean(flag: &str, v: &str) -> Result<bool, String> {
    // Go's strconv.ParseBool, which the flag package uses.
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("--{flag}={v}: expected true or false")),
    }
}

/// The flags that take no value when given alone (`--scale-down-enabled`).
const BOOL_FLAGS: [&str; 9] = [
    "scale-down-enabled",
    "balance-similar-node-groups",
    "skip-nodes-with-local-storage",
    "skip-nodes-with-system-pods",
    "skip-nodes-with-custom-controller-pods",
    "ignore-daemonsets-utilization",
    "logtostderr",
    "write-status-configmap",
    "enforce-node-group-min-size",
];

/// `(flag, value)` pairs from a container's command and args, as Go's flag package reads them:
/// `--name=value` or `-name=value`, `--name value`, and a bare boolean flag meaning true.
/// Tokens before the first flag (the binary) are skipped.
pub fn flags(tokens: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].trim();
        i += 1;
        let Some(body) = t.strip_prefix("--").or_else(|| t.strip_prefix('-')) else {
            continue;
        };
        match body.split_once('=') {
            Some((k, v)) => out.push((k.to_string(), v.to_string())),
            None if BOOL_FLAGS.contains(&body) => out.push((body.to_string(), "true".into())),
            None => {
                let v = tokens.get(i).cloned().unwrap_or_default();
                i += 1;
                out.push((body.to_string(), v));
            }
        }
    }
    out
}

/// Applies one flag to the settings; `Ok(false)` for a flag the simulator does not model.
fn apply_flag(
    s: &mut raw::AutoscalerSettings,
    groups: &mut Vec<Group>,
    k: &str,
    v: &str,
    subject: &str,
    asm: &mut Assumptions,
) -> Result<bool, String> {
    match k {
        "scan-interval" => s.scan_interval = duration(k, v)?,
        "expander" => {
            let names: Vec<&str> = v.split(',').map(str::trim).collect();
            match expander(names[0]).map_err(|e| format!("--{k}={v}: {e}"))? {
                Some(e) => s.expander = Some(e),
                None => asm.add(
                    subject.to_string(),
                    "--expander=grpc asks an external service, which the simulator cannot; the \
                     default least-waste is used",
                ),
            }
            for n in &names[1..] {
                expander(n).map_err(|e| format!("--{k}={v}: {e}"))?;
            }
            if names.len() > 1 {
                asm.add(
                    subject.to_string(),
                    format!(
                        "--expander={v}: only the first expander ({}) is modelled; the others \
                         only break its ties upstream",
                        names[0]
                    ),
                );
            }
        }
        "max-nodes-per-scaleup" => s.max_nodes_per_scaleup = number(k, v)?,
        "max-node-provision-time" => s.max_node_provision_time = duration(k, v)?,
        "initial-node-group-backoff-duration" => s.initial_backoff = duration(k, v)?,
        "max-node-group-backoff-duration" => s.max_backoff = duration(k, v)?,
        "scale-down-enabled" => s.scale_down_enabled = boolean(k, v)?,
        "scale-down-utilization-threshold" => {
            s.scale_down_utilization_threshold = number(k, v)?;
        }
        "scale-down-unneeded-time" => s.scale_down_unneeded_time = duration(k, v)?,
        "scale-down-delay-after-add" => s.scale_down_delay_after_add = duration(k, v)?,
        "scale-down-delay-after-delete" => s.scale_down_delay_after_delete = duration(k, v)?,
        "scale-down-delay-after-failure" => s.scale_down_delay_after_failure = duration(k, v)?,
        "max-empty-bulk-delete" => s.max_empty_bulk_delete = number(k, v)?,
        "nodes" => {
            // `MIN:MAX:NAME` (cluster-autoscaler/config/dynamic/node_group_spec.go).
            let mut parts = v.splitn(3, ':');
            let (Some(min), Some(max), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("--nodes={v}: expected MIN:MAX:NAME"));
            };
            let min: u32 = number(k, min)?;
            let max: u32 = number(k, max)?;
            if min > max || name.is_empty() {
                return Err(format!(
                    "--nodes={v}: expected MIN ≤ MAX and a node-group name"
                ));
            }
            groups.push(Group {
                name: name.to_string(),
                min,
                max,
                source: format!("{subject} --nodes"),
            });
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The bounds in a status ConfigMap's `data.status`: the YAML form (`nodeGroups[].name`,
/// `.health.minSize`, `.health.maxSize`), else the text form, whose `Name:` line is followed by
/// a `Health:` line ending `(minSize=N, maxSize=M)`.
pub fn status_groups(status: &str, source: &str) -> Vec<Group> {
    let mut out = Vec::new();
    if let Ok(v) = serde_yaml_ng::from_str::<serde_json::Value>(status)
        && let Some(groups) = v.get("nodeGroups").and_then(|g| g.as_array())
    {
        for g in groups {
            let name = g.get("name").and_then(|n| n.as_str());
            let h = g.get("health");
            let n = |k: &str| {
                h.and_then(|h| h.get(k))
                    .and_then(|v| v.as_u64())
                    .and_then(|v| u32::try_from(v).ok())
            };
            if let (Some(name), Some(min), Some(max)) = (name, n("minSize"), n("maxSize")) {
                out.push(Group {
                    name: name.to_string(),
                    min,
                    max,
                    source: source.to_string(),
                });
            }
        }
        return out;
    }
    let mut name: Option<String> = None;
    for line in status.lines() {
        let t = line.trim();
        if let Some(n) = t.strip_prefix("Name:") {
            name = Some(n.trim().to_string());
        } else if let (Some(n), Some(at)) = (&name, t.find("(minSize=")) {
            let tail = &t[at + "(minSize=".len()..];
            let min = tail.split(',').next().and_then(|m| m.trim().parse().ok());
            let max = tail
                .split("maxSize=")
                .nth(1)
                .and_then(|m| m.trim_end_matches(')').trim().parse().ok());
            if let (Some(min), Some(max)) = (min, max) {
                out.push(Group {
                    name: n.clone(),
                    min,
                    max,
                    source: source.to_string(),
                });
                name = None;
            }
        }
    }
    out
}

/// Reads the autoscaler's flags and published bounds from the inputs.
pub fn read(objects: &[Object], asm: &mut Assumptions, errs: &mut Vec<ImportError>) -> Found {
    let mut found = Found::default();
    for o in objects {
        let spec = match &o.kind {
            Kind::Deployment(d) => d.spec.template.spec.as_ref(),
            Kind::Pod(p) => p.spec.as_ref(),
            Kind::ConfigMap(cm) => {
                let status = cm.data.as_ref().and_then(|d| d.get("status"));
                let subject = o.id.to_string();
                match status {
                    Some(s) => {
                        let groups = status_groups(s, &format!("{subject} data.status"));
                        if groups.is_empty() {
                            asm.add(
                                subject.clone(),
                                "data.status names no node group with minSize and maxSize; \
                                 pools keep a fixed size",
                            );
                        }
                        found.mapped.push((
                            o.origin.clone(),
                            subject,
                            format!("bounds of {} node group(s)", groups.len()),
                        ));
                        found.groups.extend(groups);
                    }
                    None => asm.add(subject, "no data.status; pools keep a fixed size"),
                }
                continue;
            }
            _ => continue,
        };
        let Some(c) = spec.and_then(|s| s.containers.iter().find(|c| is_autoscaler(c))) else {
            continue;
        };
        let subject = o.id.to_string();
        if found.settings.is_some() {
            asm.add(
                subject,
                "a second cluster autoscaler among the inputs; only the first one's flags are \
                 read",
            );
            continue;
        }
        let tokens: Vec<String> = c
            .command
            .iter()
            .flatten()
            .chain(c.args.iter().flatten())
            .cloned()
            .collect();
        let mut s = raw::AutoscalerSettings::default();
        let mut ignored = Vec::new();
        let mut bad = false;
        for (k, v) in flags(&tokens) {
            match apply_flag(&mut s, &mut found.groups, &k, &v, &subject, asm) {
                Ok(true) => {}
                Ok(false) => {
                    if k == "node-group-auto-discovery" {
                        asm.add(
                            subject.clone(),
                            format!(
                                "--node-group-auto-discovery={v}: the discovered groups' bounds \
                                 are tags on the cloud's scaling groups, not in any Kubernetes \
                                 object; only the status ConfigMap ({STATUS_CONFIG_MAP}) gives \
                                 them here"
                            ),
                        );
                    } else {
                        ignored.push(k);
                    }
                }
                Err(e) => {
                    bad = true;
                    errs.push(ImportError::at(
                        &o.origin,
                        Some(&o.id),
                        format!("container {}: {e}", c.name),
                    ));
                }
            }
        }
        if bad {
            continue;
        }
        if !ignored.is_empty() {
            asm.add(
                subject.clone(),
                format!(
                    "autoscaler flags not modelled: {}",
                    ignored
                        .iter()
                        .map(|k| format!("--{k}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        asm.add(
            "scenario",
            format!(
                "autoscaler settings from the flags of {subject} (container {}); a flag not \
                 given keeps the autoscaler's default",
                c.name
            ),
        );
        found.mapped.push((
            o.origin.clone(),
            subject,
            "the scenario's autoscaler settings (and workload)".into(),
        ));
        found.settings = Some(s);
    }
    found
}

/// Whether node group `g` is the group of a pool with these node names and labels: the cloud
/// names a node after its group (AKS: VMSS `aks-POOL-ID-vmss` + 6 characters; GKE: MIG
/// `gke-CLUSTER-POOL-HASH-grp`, nodes `gke-CLUSTER-POOL-HASH-XXXX`), or the group is named
/// after the pool label (EKS: ASG `eks-NODEGROUP-UUID`; or the label's value itself).
fn matches(g: &str, pool: &raw::Pool) -> bool {
    let prefix = g
        .strip_suffix("-grp")
        .map_or(g.to_string(), |p| format!("{p}-"));
    if !pool.node_names.is_empty() && pool.node_names.iter().all(|n| n.starts_with(&prefix)) {
        return true;
    }
    super::nodes::POOL_NAME_LABELS
        .iter()
        .filter_map(|k| pool.labels.get(*k))
        .any(|v| g == v || g.starts_with(&format!("eks-{v}-")))
}

/// Sets each pool's `autoscale` from the node groups that match it; states the groups that
/// match no pool and the pools no group covers.
pub fn apply(found: &Found, pools: &mut [raw::Pool], asm: &mut Assumptions) {
    if found.groups.is_empty() {
        asm.add(
            "pools",
            format!(
                "no node-group bounds among the inputs (Node objects carry none: AKS, EKS and \
                 GKE keep a pool's minimum and maximum in the cloud's settings); every pool \
                 keeps a fixed size. Add the {STATUS_CONFIG_MAP} ConfigMap (kubectl get cm -n \
                 kube-system {STATUS_CONFIG_MAP} -o yaml) or set `autoscale` by hand"
            ),
        );
        return;
    }
    for g in &found.groups {
        let hits: Vec<usize> = (0..pools.len())
            .filter(|&i| matches(&g.name, &pools[i]))
            .collect();
        // A cordoned pool is part of the same group: the bounds go to the schedulable one,
        // less the other matched pools' nodes.
        let Some(&target) = hits
            .iter()
            .find(|&&i| !pools[i].unschedulable)
            .or(hits.first())
        else {
            asm.add(
                format!("node group {}", g.name),
                format!(
                    "({}, min {} max {}) matches no pool's node names or pool label; ignored",
                    g.source, g.min, g.max
                ),
            );
            continue;
        };
        let others: u32 = hits
            .iter()
            .filter(|&&i| i != target)
            .map(|&i| pools[i].count)
            .sum();
        let p = &mut pools[target];
        let mut min = g.min.saturating_sub(others);
        let mut max = g.max.saturating_sub(others).max(1);
        let mut note = format!("autoscale min {min} max {max} from {}", g.source);
        if others > 0 {
            note.push_str(&format!(
                " (the group's {} to {} less its {others} node(s) in other pools)",
                g.min, g.max
            ));
        }
        if p.count < min || p.count > max {
            // The scenario needs the initial count inside the bounds; the autoscaler brings a
            // group back within them itself, which a run would not show from a widened range.
            min = min.min(p.count);
            max = max.max(p.count);
            note.push_str(&format!(
                "; widened to {min}..{max} to hold the {} imported node(s)",
                p.count
            ));
        }
        p.autoscale = Some(NodeGroup {
            min,
            max,
            priority: 0,
        });
        asm.add(format!("pool {}", p.name), note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_read_as_gos_flag_package_reads_them() {
        let t: Vec<String> = [
            "./cluster-autoscaler",
            "--expander=least-waste",
            "--scale-down-enabled",
            "-scale-down-unneeded-time=5m",
            "--nodes",
            "1:10:pool",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            flags(&t),
            vec![
                ("expander".to_string(), "least-waste".to_string()),
                ("scale-down-enabled".into(), "true".into()),
                ("scale-down-unneeded-time".into(), "5m".into()),
                ("nodes".into(), "1:10:pool".into()),
            ]
        );
    }

    #[test]
    fn status_bounds_are_read_from_the_yaml_and_the_older_text_form() {
        let yaml = "time: 2024-05-01 10:00:00 +0000 UTC\nautoscalerStatus: Running\nnodeGroups:\n\
                    - name: aks-win22-12345678-vmss\n  health:\n    status: Healthy\n    \
                    cloudProviderTarget: 2\n    minSize: 1\n    maxSize: 8\n";
        let g = status_groups(yaml, "s");
        assert_eq!(
            (g[0].name.as_str(), g[0].min, g[0].max),
            ("aks-win22-12345678-vmss", 1, 8)
        );
        let text = "Cluster-autoscaler status at 2023-01-01 00:00:00 +0000 UTC:\nNodeGroups:\n  \
                    Name:        gke-c-pool-1a2b3c4d-grp\n  Health:      Healthy (ready=3 \
                    unready=0 notStarted=0 longNotStarted=0 registered=3 longUnregistered=0 \
                    cloudProviderTarget=3 (minSize=2, maxSize=6))\n";
        let g = status_groups(text, "s");
        assert_eq!(
            (g[0].name.as_str(), g[0].min, g[0].max),
            ("gke-c-pool-1a2b3c4d-grp", 2, 6)
        );
    }
}
