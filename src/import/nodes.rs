//! Nodes → pools: the facts of each `Node` object (OS, build, shape, labels, taints, image
//! cache), and the grouping of identical nodes into pools.
//!
//! Owns: reading `status.nodeInfo`, `status.capacity`/`allocatable`, `spec.taints`,
//! `spec.unschedulable` and `status.images`; deciding which labels and taints describe a pool
//! (and which are per node or transient, and so left out); naming pools. Does not own: which
//! cached images become `preloaded_images` (that needs the image table, `mod.rs`), or any
//! default the simulator applies to a pool field left empty (`scenario::validate`).
//!
//! A pool is a set of nodes with the same OS, full Windows version, architecture, capacity,
//! allocatable, labels (less per-node ones), taints, instance type, zone and cordon state.
//! Cached images are deliberately not part of that key: every node pulls different app images
//! over its life, and keying on them would split a real node pool into one pool per node.

use super::Assumptions;
use super::catalog;
use super::k8s::Origin;
use super::quantity;
use crate::model::windows::WinVersion;
use crate::scenario::raw::{self, Os, Taint, TaintEffect};
use crate::scenario::units::{Bytes, Cpu};
use k8s_openapi::api::core::v1::Node;
use std::collections::{BTreeMap, BTreeSet};

/// Labels the simulator sets on every node itself (from the pool's os, arch, os_version,
/// instance_type and zone, plus the node's name), so the scenario must not repeat them.
pub const SIMULATOR_LABELS: [&str; 7] = [
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "kubernetes.io/hostname",
    "node.kubernetes.io/windows-build",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/zone",
    "hybridsim.io/pool",
];

/// Deprecated duplicates of labels the simulator sets.
fn is_beta_label(k: &str) -> bool {
    k.starts_with("beta.kubernetes.io/") || k.starts_with("failure-domain.beta.kubernetes.io/")
}

/// Labels that name a node's pool in AKS, EKS, GKE and Karpenter clusters.
pub const POOL_NAME_LABELS: [&str; 6] = [
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "eks.amazonaws.com/nodegroup",
    "alpha.eksctl.io/nodegroup-name",
    "cloud.google.com/gke-nodepool",
    "karpenter.sh/nodepool",
];

/// The cordon taint the node lifecycle controller adds to `spec.unschedulable` nodes.
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";

/// Taints the control plane adds and removes as node conditions change (k/k
/// `well_known_taints.go`, and the cluster autoscaler's): a snapshot of them says nothing about
/// the pool. `not-ready` and `unreachable` are not among them: a node that was NotReady or
/// unreachable when the list was taken is imported as it was, tainted, so the scheduler
/// treats it as upstream's does.
fn is_condition_taint(key: &str) -> bool {
    matches!(
        key,
        "node.kubernetes.io/memory-pressure"
            | "node.kubernetes.io/disk-pressure"
            | "node.kubernetes.io/pid-pressure"
            | "node.kubernetes.io/network-unavailable"
            | "node.kubernetes.io/out-of-service"
            | "node.cloudprovider.kubernetes.io/uninitialized"
            | "node.cloudprovider.kubernetes.io/shutdown"
            | "ToBeDeletedByClusterAutoscaler"
            | "DeletionCandidateOfClusterAutoscaler"
    )
}

/// One entry of `status.images`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedImage {
    pub names: Vec<String>,
    pub size: Option<u64>,
}

/// What the import uses of one Node object.
#[derive(Clone, Debug)]
pub struct NodeFacts {
    pub origin: Origin,
    pub name: String,
    pub os: Os,
    /// Windows: `10.0.BUILD.REVISION`.
    pub os_version: Option<String>,
    pub build: Option<u32>,
    pub arch: String,
    pub cpu_m: u64,
    pub memory: u64,
    pub disk: Option<u64>,
    pub max_pods: Option<u32>,
    /// capacity − allocatable (cpu millicores, memory bytes).
    pub reserved: Option<(u64, u64)>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub instance_type: Option<String>,
    pub zone: Option<String>,
    pub unschedulable: bool,
    pub images: Vec<CachedImage>,
}

pub fn taint_effect(s: &str) -> Result<TaintEffect, String> {
    match s {
        "NoSchedule" => Ok(TaintEffect::NoSchedule),
        "PreferNoSchedule" => Ok(TaintEffect::PreferNoSchedule),
        "NoExecute" => Ok(TaintEffect::NoExecute),
        "" => Err("missing required field".into()),
        other => Err(format!(
            "unknown effect \"{other}\" (expected NoSchedule, PreferNoSchedule or NoExecute)"
        )),
    }
}

/// The Windows version of a node: `status.nodeInfo.kernelVersion` is the full
/// `10.0.BUILD.REVISION` on Windows; older or hand-written objects may only carry the build
/// label or the OS image name, and then the revision is unknown.
fn windows_version(
    subject: &str,
    kernel: &str,
    labels: &BTreeMap<String, String>,
    os_image: &str,
    asm: &mut Assumptions,
) -> Result<WinVersion, String> {
    if let Ok(v) = kernel.parse::<WinVersion>()
        && v.revision.is_some()
    {
        return Ok(v);
    }
    if let Some(b) = labels.get("node.kubernetes.io/windows-build")
        && let Ok(v) = b.parse::<WinVersion>()
    {
        asm.add(
            subject,
            "status.nodeInfo.kernelVersion has no Windows revision; build taken from the \
             node.kubernetes.io/windows-build label, revision assumed 0",
        );
        return Ok(WinVersion {
            revision: Some(0),
            ..v
        });
    }
    for (year, build) in [
        ("2016", 14393),
        ("2019", 17763),
        ("2022", 20348),
        ("2025", 26100),
    ] {
        if os_image.contains(&format!("Windows Server {year}")) {
            asm.add(
                subject,
                format!(
                    "no Windows version in kernelVersion or labels; build {build} taken from \
                     osImage \"Windows Server {year}\", revision assumed 0"
                ),
            );
            return Ok(WinVersion {
                major: 10,
                minor: 0,
                build,
                revision: Some(0),
            });
        }
    }
    Err(
        "a Windows node needs its version: status.nodeInfo.kernelVersion (\"10.0.20348.2340\"), \
         the node.kubernetes.io/windows-build label or a \"Windows Server YEAR\" osImage"
            .into(),
    )
}

/// Reads the facts of one Node; `Err` is a message about a missing or malformed field.
pub fn facts(node: &Node, origin: &Origin, asm: &mut Assumptions) -> Result<NodeFacts, String> {
    let name = node.metadata.name.clone().unwrap_or_default();
    let subject = format!("node {name}");
    let mut labels = node.metadata.labels.clone().unwrap_or_default();
    let status = node.status.as_ref();
    let info = status.and_then(|s| s.node_info.as_ref());
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());

    let os_name = info
        .and_then(|i| non_empty(&i.operating_system))
        .or_else(|| labels.get("kubernetes.io/os").cloned())
        .or_else(|| labels.get("beta.kubernetes.io/os").cloned());
    let os = match os_name.as_deref() {
        Some("linux") => Os::Linux,
        Some("windows") => Os::Windows,
        Some(other) => {
            return Err(format!(
                "status.nodeInfo.operatingSystem: \"{other}\" is not supported (linux or windows)"
            ));
        }
        None => {
            asm.add(
                &subject,
                "no status.nodeInfo.operatingSystem or kubernetes.io/os label; assumed Linux",
            );
            Os::Linux
        }
    };
    let arch = info
        .and_then(|i| non_empty(&i.architecture))
        .or_else(|| labels.get("kubernetes.io/arch").cloned())
        .unwrap_or_else(|| {
            asm.add(
                &subject,
                "no status.nodeInfo.architecture or kubernetes.io/arch label; assumed amd64",
            );
            "amd64".into()
        });
    let version = match os {
        Os::Linux => None,
        Os::Windows => Some(windows_version(
            &subject,
            info.map_or("", |i| i.kernel_version.as_str()),
            &labels,
            info.map_or("", |i| i.os_image.as_str()),
            asm,
        )?),
    };

    let empty = BTreeMap::new();
    let capacity = status.and_then(|s| s.capacity.as_ref()).unwrap_or(&empty);
    let need = |key: &str| -> Result<&str, String> {
        capacity.get(key).map(|q| q.0.as_str()).ok_or_else(|| {
            format!(
                "status.capacity.{key}: missing required field (the pool's shape comes from \
                 the node's capacity; `kubectl get nodes -o yaml` includes it)"
            )
        })
    };
    let at = |key: &'static str, r: Result<u64, String>| r.map_err(|e| format!("{key}: {e}"));
    let cpu_m = at("status.capacity.cpu", quantity::cpu_millis(need("cpu")?))?;
    let memory = at("status.capacity.memory", quantity::bytes(need("memory")?))?;
    if cpu_m == 0 || memory == 0 {
        return Err("status.capacity: cpu and memory must be positive".into());
    }
    let disk = match capacity.get("ephemeral-storage") {
        Some(q) => Some(at(
            "status.capacity.ephemeral-storage",
            quantity::bytes(&q.0),
        )?),
        None => {
            asm.add(
                &subject,
                "no status.capacity.ephemeral-storage; disk left at the simulator's default \
                 (128Gi)",
            );
            None
        }
    };
    let max_pods = match capacity.get("pods") {
        Some(q) => {
            let n = at("status.capacity.pods", quantity::count(&q.0))?;
            Some(u32::try_from(n).map_err(|_| "status.capacity.pods: too large".to_string())?)
        }
        None => {
            asm.add(
                &subject,
                "no status.capacity.pods; max_pods left at the kubelet default (110)",
            );
            None
        }
    };
    let allocatable = status.and_then(|s| s.allocatable.as_ref());
    let reserved = match allocatable.map(|a| (a.get("cpu"), a.get("memory"))) {
        Some((Some(c), Some(m))) => {
            let ac = at("status.allocatable.cpu", quantity::cpu_millis(&c.0))?;
            let am = at("status.allocatable.memory", quantity::bytes(&m.0))?;
            if ac == 0 || am == 0 {
                return Err(
                    "status.allocatable: cpu and memory must be positive (the node could run \
                     no pod)"
                        .into(),
                );
            }
            if ac > cpu_m || am > memory {
                return Err("status.allocatable exceeds status.capacity".into());
            }
            Some((cpu_m - ac, memory - am))
        }
        _ => {
            asm.add(
                &subject,
                "no status.allocatable cpu and memory; reserved resources and the 100Mi eviction \
                 threshold left at the simulator's defaults (AKS tables)",
            );
            None
        }
    };

    let instance_type = labels
        .get("node.kubernetes.io/instance-type")
        .or_else(|| labels.get("beta.kubernetes.io/instance-type"))
        .cloned();
    let zone = labels
        .get("topology.kubernetes.io/zone")
        .or_else(|| labels.get("failure-domain.beta.kubernetes.io/zone"))
        .cloned();
    for k in SIMULATOR_LABELS {
        labels.remove(k);
    }
    // Labels that carry the node's own name (AKS and EKS add a few) are per node: keeping them
    // would make every node its own pool.
    let per_node: Vec<String> = labels
        .iter()
        .filter(|(_, v)| **v == name)
        .map(|(k, _)| k.clone())
        .collect();
    for k in &per_node {
        labels.remove(k);
        asm.add(
            &subject,
            format!("label {k} carries the node's name, so it is per node; dropped"),
        );
    }

    let spec = node.spec.as_ref();
    let unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
    let mut taints = Vec::new();
    for (i, t) in spec
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .enumerate()
    {
        let p = format!("spec.taints[{i}]");
        if t.key.is_empty() {
            return Err(format!("{p}.key: missing required field"));
        }
        let effect = taint_effect(&t.effect).map_err(|e| format!("{p}.effect: {e}"))?;
        if matches!(
            t.key.as_str(),
            "node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable"
        ) {
            asm.add(
                &subject,
                format!(
                    "taint {}:{} kept as it was at the snapshot: the node stays tainted for the \
                     whole run (the simulator does not model it recovering)",
                    t.key,
                    effect.as_str()
                ),
            );
        }
        if is_condition_taint(&t.key) {
            asm.add(
                &subject,
                format!(
                    "taint {}:{} reflects a node condition at the time of the snapshot; dropped",
                    t.key,
                    effect.as_str()
                ),
            );
            continue;
        }
        if t.key == UNSCHEDULABLE_TAINT && !unschedulable {
            continue;
        }
        taints.push(Taint {
            key: t.key.clone(),
            value: t.value.clone().unwrap_or_default(),
            effect,
        });
    }
    if unschedulable && !taints.iter().any(|t| t.key == UNSCHEDULABLE_TAINT) {
        taints.push(Taint::new(UNSCHEDULABLE_TAINT, "", TaintEffect::NoSchedule));
    }

    let images = status
        .and_then(|s| s.images.as_ref())
        .into_iter()
        .flatten()
        .map(|ci| CachedImage {
            names: ci.names.clone().unwrap_or_default(),
            size: ci.size_bytes.and_then(|s| u64::try_from(s).ok()),
        })
        .filter(|ci| !ci.names.is_empty())
        .collect();
    Ok(NodeFacts {
        origin: origin.clone(),
        name,
        os,
        os_version: version.map(|v| v.to_string()),
        build: version.map(|v| v.build),
        arch,
        cpu_m,
        memory,
        disk,
        max_pods,
        reserved,
        labels,
        taints,
        instance_type,
        zone,
        unschedulable,
        images,
    })
}

/// The grouping key: everything a pool states about its nodes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Shape {
    windows: bool,
    os_version: Option<String>,
    arch: String,
    cpu_m: u64,
    memory: u64,
    disk: Option<u64>,
    max_pods: Option<u32>,
    reserved: Option<(u64, u64)>,
    labels: BTreeMap<String, String>,
    taints: Vec<(String, String, TaintEffect)>,
    instance_type: Option<String>,
    zone: Option<String>,
    unschedulable: bool,
}

/// A pool and the nodes (indices into the facts) it stands for.
#[derive(Clone, Debug)]
pub struct Group {
    pub pool: raw::Pool,
    pub nodes: Vec<usize>,
}

fn sanitize(s: &str) -> String {
    let t: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    t.trim_matches('-').to_string()
}

/// Groups nodes into pools, in order of each pool's first node. `selected` holds every label
/// key a workload or RuntimeClass selects on: deprecated `beta.kubernetes.io/*` labels are
/// kept only when something selects on them.
pub fn group(
    nodes: &[NodeFacts],
    selected: &BTreeSet<String>,
    asm: &mut Assumptions,
) -> Vec<Group> {
    let mut order: Vec<(Shape, Vec<usize>)> = Vec::new();
    let mut index: BTreeMap<Shape, usize> = BTreeMap::new();
    let mut dropped_beta = BTreeSet::new();
    for (i, n) in nodes.iter().enumerate() {
        let mut labels = n.labels.clone();
        labels.retain(|k, _| {
            let keep = !is_beta_label(k) || selected.contains(k);
            if !keep {
                dropped_beta.insert(k.clone());
            }
            keep
        });
        let shape = Shape {
            windows: n.os == Os::Windows,
            os_version: n.os_version.clone(),
            arch: n.arch.clone(),
            cpu_m: n.cpu_m,
            memory: n.memory,
            disk: n.disk,
            max_pods: n.max_pods,
            reserved: n.reserved,
            labels,
            taints: n
                .taints
                .iter()
                .map(|t| (t.key.clone(), t.value.clone(), t.effect))
                .collect(),
            instance_type: n.instance_type.clone(),
            zone: n.zone.clone(),
            unschedulable: n.unschedulable,
        };
        match index.get(&shape) {
            Some(&g) => order[g].1.push(i),
            None => {
                index.insert(shape.clone(), order.len());
                order.push((shape, vec![i]));
            }
        }
    }
    if !dropped_beta.is_empty() {
        asm.add(
            "nodes",
            format!(
                "labels {} duplicate the GA labels the simulator sets and no workload selects \
                 on them; dropped",
                dropped_beta.into_iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let mut used_names = BTreeSet::new();
    let mut groups = Vec::new();
    for (shape, members) in order {
        let first = &nodes[members[0]];
        let base = POOL_NAME_LABELS
            .iter()
            .find_map(|k| shape.labels.get(*k))
            .map(|v| sanitize(v))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| match (first.os, first.build) {
                (Os::Windows, Some(b)) => format!("windows-{}", catalog::build_tag(b)),
                (Os::Windows, None) => "windows".into(),
                (Os::Linux, _) if first.arch == "amd64" => "linux".into(),
                (Os::Linux, _) => format!("linux-{}", sanitize(&first.arch)),
            });
        let base = if shape.unschedulable {
            format!("{base}-cordoned")
        } else {
            base
        };
        let mut name = base.clone();
        let mut k = 2;
        while !used_names.insert(name.clone()) {
            name = format!("{base}-{k}");
            k += 1;
        }
        if shape.unschedulable {
            asm.add(
                format!("pool {name}"),
                "its nodes are cordoned (spec.unschedulable → unschedulable: true), so the \
                 scheduler's NodeUnschedulable filter turns pods away with `node(s) were \
                 unschedulable`; they also keep the node.kubernetes.io/unschedulable:NoSchedule \
                 taint the control plane gives cordoned nodes, and only pods that tolerate it \
                 (DaemonSets among them) land there",
            );
        }
        let pool = raw::Pool {
            name,
            os: first.os,
            os_version: shape.os_version.clone(),
            arch: shape.arch.clone(),
            cpu: Some(Cpu(shape.cpu_m)),
            memory: Some(Bytes(shape.memory)),
            disk: Some(Bytes(shape.disk.unwrap_or(128 << 30))),
            max_pods: Some(shape.max_pods.unwrap_or(110)),
            reserved: shape.reserved.map(|(c, m)| raw::Reserved {
                cpu: Some(Cpu(c)),
                memory: Some(Bytes(m)),
            }),
            // Allocatable already has the eviction threshold taken off; subtracting it again
            // would shrink the node.
            eviction_threshold: shape.reserved.map(|_| Bytes(0)),
            labels: shape.labels.clone(),
            taints: first.taints.clone(),
            pull_bandwidth: None,
            extraction_rate: None,
            max_parallel_image_pulls: None,
            count: members.len() as u32,
            instance_type: shape.instance_type.clone(),
            zone: shape.zone.clone(),
            zones: Vec::new(),
            preloaded_images: None,
            autoscale: None,
            provisioning: None,
            provisioning_failure_rate: 0.0,
            price_per_hour: None,
            node_names: members.iter().map(|&i| nodes[i].name.clone()).collect(),
            unschedulable: shape.unschedulable,
            os_disk: None,
            preset: None,
            network_plugin: None,
            ephemeral_storage: None,
            extended_resources: Default::default(),
        };
        groups.push(Group {
            pool,
            nodes: members,
        });
    }
    groups
}
