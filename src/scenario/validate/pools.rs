//! The `pools` section: node shapes, allocatable from the reservation defaults, the labels
//! every node carries, node-group bounds and provisioning.
//!
//! Owns: the checks on pools and their conversion into `PoolSpec`, including the node names a
//! pool lists (unique across the scenario) and the pattern inferred from them. Does not own:
//! the default values (`defaults`) or how a name is formed (`model::cluster::NodeNaming`).

use super::Ctx;
use super::checks::{check_delay, index_names, parse_version};
use super::images::Catalog;
use crate::model::labels::{
    ARCH_LABEL, HOSTNAME_LABEL, INSTANCE_TYPE_LABEL, OS_LABEL, POOL_LABEL, WINDOWS_BUILD_LABEL,
    ZONE_LABEL,
};
use crate::model::windows::WinVersion;
use crate::model::{NodeGroupSpec, Os, PoolSpec, Res};
use crate::scenario::defaults;
use crate::scenario::locate::Path;
use crate::scenario::raw;

/// The value the kubelet itself gives a well-known label on nodes of `p`, if it sets it.
fn labels_set_by_kubelet(p: &raw::Pool, version: Option<WinVersion>, key: &str) -> Option<String> {
    match key {
        OS_LABEL => Some(p.os.label().to_string()),
        ARCH_LABEL => Some(p.arch.clone()),
        WINDOWS_BUILD_LABEL => version.map(|v| v.build_label()),
        POOL_LABEL => Some(p.name.clone()),
        INSTANCE_TYPE_LABEL => p.instance_type.clone(),
        ZONE_LABEL => p.zone.clone().or_else(|| match p.zones.as_slice() {
            [z] => Some(z.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// The zones of a pool's nodes: `zone` alone, or the `zones` its nodes take in turn. Both at
/// once, an empty name or a repeated zone are errors.
fn check_zones(cx: &mut Ctx, p: &raw::Pool, path: &Path) -> Vec<String> {
    if p.zone.is_some() && !p.zones.is_empty() {
        cx.err(
            path.field("zones"),
            "expected either zone (one zone) or zones (nodes spread over several), not both",
        );
    }
    for (i, z) in p.zones.iter().enumerate() {
        if z.is_empty() {
            cx.err(
                path.field("zones").index(i),
                "expected a non-empty zone name",
            );
        } else if p.zones[..i].contains(z) {
            cx.err(
                path.field("zones").index(i),
                format!("zone \"{z}\" is listed twice"),
            );
        }
    }
    if p.zones.len() > 1 && p.labels.contains_key(ZONE_LABEL) {
        cx.err(
            path.field("labels").key(ZONE_LABEL),
            "topology.kubernetes.io/zone is set per node from zones; remove it",
        );
    }
    match &p.zone {
        Some(z) => vec![z.clone()],
        None => p.zones.clone(),
    }
}

pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    catalog: &Catalog,
    global_parallel: u32,
) -> Vec<PoolSpec> {
    let pp = Path::root().field("pools");
    if raw.pools.is_empty() {
        cx.err(pp.clone(), "expected at least one node pool");
    }
    index_names(cx, raw.pools.iter().map(|p| p.name.as_str()), &pp, "pool");
    let mut pools = Vec::with_capacity(raw.pools.len());
    for (i, p) in raw.pools.iter().enumerate() {
        let path = pp.index(i);
        let version = parse_version(cx, &p.os_version, p.os, &path, true);
        let resolved = resolve_preset(cx, raw, p, version, &path);
        let p = &resolved;
        let cpu = p.cpu.map_or(0, |c| c.0);
        let memory = p.memory.map_or(0, |m| m.0);
        let disk = p.disk.map_or(defaults::DISK_BYTES, |b| b.0);
        let max_pods = p.max_pods.unwrap_or(defaults::MAX_PODS);
        for (field, given) in [("cpu", p.cpu.is_some()), ("memory", p.memory.is_some())] {
            if !given {
                cx.err(
                    path.clone(),
                    format!(
                        "expected {field}: give it, or a preset with an instance_type it knows \
                         (docs/presets.md)"
                    ),
                );
            }
        }
        for (field, zero) in [
            ("cpu", p.cpu.is_some() && cpu == 0),
            ("memory", p.memory.is_some() && memory == 0),
            ("disk", disk == 0),
            ("max_pods", max_pods == 0),
        ] {
            if zero {
                cx.err(path.field(field), format!("expected a positive {field}"));
            }
        }
        for (field, r) in [
            ("pull_bandwidth", p.pull_bandwidth),
            ("extraction_rate", p.extraction_rate),
        ] {
            if r.is_some_and(|r| r.0 == 0) {
                cx.err(path.field(field), format!("expected a positive {field}"));
            }
        }
        if p.max_parallel_image_pulls == Some(0) {
            cx.err(
                path.field("max_parallel_image_pulls"),
                "expected at least 1 parallel pull",
            );
        }
        let reserved = p.reserved.clone().unwrap_or_default();
        let reserved_cpu = reserved.cpu.map_or(defaults::reserved_cpu(cpu), |c| c.0);
        let reserved_mem = reserved
            .memory
            .map_or(defaults::reserved_memory(p.os, max_pods as u64), |m| m.0);
        let eviction = p
            .eviction_threshold
            .map_or(defaults::EVICTION_BYTES, |b| b.0);
        if cpu > 0 && reserved_cpu >= cpu {
            cx.err(
                path.field("reserved"),
                format!("reserved CPU ({reserved_cpu}m) leaves nothing allocatable of {cpu}m"),
            );
        }
        if memory > 0 && reserved_mem.saturating_add(eviction) >= memory {
            cx.err(
                path.field("memory"),
                format!(
                    "reserved memory plus eviction threshold ({} bytes) leaves nothing \
                     allocatable of {} bytes",
                    reserved_mem.saturating_add(eviction),
                    memory
                ),
            );
        }
        for (t, taint) in p.taints.iter().enumerate() {
            if taint.key.is_empty() {
                cx.err(
                    path.field("taints").index(t).field("key"),
                    "expected a non-empty taint key",
                );
            }
        }
        let mut labels = p.labels.clone();
        labels.insert(OS_LABEL.into(), p.os.label().into());
        labels.insert(ARCH_LABEL.into(), p.arch.clone());
        labels.insert(POOL_LABEL.into(), p.name.clone());
        if let Some(t) = &p.instance_type {
            labels.insert(INSTANCE_TYPE_LABEL.into(), t.clone());
        }
        let zones = check_zones(cx, p, &path);
        if let [z] = zones.as_slice() {
            labels.insert(ZONE_LABEL.into(), z.clone());
        }
        if let Some(v) = version {
            labels.insert(WINDOWS_BUILD_LABEL.into(), v.build_label());
        }
        for (k, v) in &p.labels {
            if let Some(own) = labels_set_by_kubelet(p, version, k).filter(|own| own != v) {
                cx.err(
                    path.field("labels").key(k),
                    format!("{k} is set by the kubelet to \"{own}\" on this pool; remove it"),
                );
            }
        }
        if p.labels.contains_key(HOSTNAME_LABEL) {
            cx.err(
                path.field("labels").key(HOSTNAME_LABEL),
                "kubernetes.io/hostname is set per node by the kubelet; remove it",
            );
        }
        let preloaded = p
            .preloaded_images
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(j, n)| catalog.resolve(cx, n, path.field("preloaded_images").index(j)))
            .collect();
        let capacity = Res {
            cpu_m: cpu,
            mem: memory,
            pods: max_pods as u64,
        };
        let scalar =
            super::resources::pool_scalars(cx, p, raw.kubelet.eviction_nodefs_available, &path);
        let autoscale = p.autoscale.as_ref().map(|g| {
            let gp = path.field("autoscale");
            if g.max == 0 || g.min > g.max {
                cx.err(
                    gp.clone(),
                    format!(
                        "expected 0 ≤ min ≤ max and max ≥ 1, found min {} max {}",
                        g.min, g.max
                    ),
                );
            } else if p.count < g.min || p.count > g.max {
                cx.err(
                    path.field("count"),
                    format!(
                        "the initial count {} must lie between the group's min {} and max {}",
                        p.count, g.min, g.max
                    ),
                );
            }
            NodeGroupSpec {
                min: g.min,
                max: g.max,
                priority: g.priority,
            }
        });
        let provisioning = match &p.provisioning {
            Some(d) => check_delay(cx, d, &path.field("provisioning")),
            None => defaults::provisioning(p.os),
        };
        if !(0.0..=1.0).contains(&p.provisioning_failure_rate) {
            cx.err(
                path.field("provisioning_failure_rate"),
                "expected a probability from 0 to 1",
            );
        }
        let price_per_hour = p.price_per_hour.unwrap_or(0.0);
        if !(price_per_hour >= 0.0 && price_per_hour.is_finite()) {
            cx.err(
                path.field("price_per_hour"),
                "expected a non-negative price",
            );
        }
        pools.push(PoolSpec {
            name: p.name.clone(),
            os: p.os,
            version,
            arch: p.arch.clone(),
            capacity,
            allocatable: Res {
                cpu_m: cpu.saturating_sub(reserved_cpu),
                mem: memory.saturating_sub(reserved_mem.saturating_add(eviction)),
                pods: max_pods as u64,
            },
            disk,
            labels,
            zones,
            taints: p.taints.clone(),
            pull_bandwidth: p.pull_bandwidth.map_or(defaults::PULL_BANDWIDTH, |r| r.0),
            extraction_rate: p.extraction_rate.map_or(
                match p.os {
                    Os::Linux => defaults::LINUX_EXTRACTION,
                    Os::Windows => defaults::WINDOWS_EXTRACTION,
                },
                |r| r.0,
            ),
            max_parallel_pulls: p.max_parallel_image_pulls.unwrap_or(global_parallel),
            initial_count: p.count,
            preloaded,
            autoscale,
            provisioning,
            provisioning_failure_rate: p.provisioning_failure_rate,
            price_per_hour,
            naming: crate::model::cluster::NodeNaming::infer(p.node_names.clone()),
            unschedulable: p.unschedulable,
            os_disk: check_os_disk(cx, p, &path),
            allocatable_scalar: scalar,
        });
    }
    check_node_names(cx, raw, &pp);
    pools
}

/// `node_names`: one per initial node, each a Kubernetes node name (a DNS-1123 subdomain:
/// lowercase letters, digits, `-` and `.`, starting and ending alphanumeric, at most 253), and
/// no name twice in the scenario (a cluster has one Node per name).
fn check_node_names(cx: &mut Ctx, raw: &raw::Scenario, pp: &Path) {
    let mut seen: std::collections::BTreeMap<&str, &str> = Default::default();
    for (i, p) in raw.pools.iter().enumerate() {
        if p.node_names.is_empty() {
            continue;
        }
        let path = pp.index(i).field("node_names");
        if p.node_names.len() != p.count as usize {
            cx.err(
                path.clone(),
                format!(
                    "expected one name per initial node: count is {}, found {} names",
                    p.count,
                    p.node_names.len()
                ),
            );
        }
        for (j, n) in p.node_names.iter().enumerate() {
            let ok = !n.is_empty()
                && n.len() <= 253
                && n.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                })
                && n.starts_with(|c: char| c.is_ascii_alphanumeric())
                && n.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                cx.err(
                    path.index(j),
                    format!(
                        "{n:?} is not a node name: expected lowercase letters, digits, '-' and \
                         '.', starting and ending with a letter or digit, at most 253 characters"
                    ),
                );
            }
            if let Some(other) = seen.insert(n, &p.name) {
                cx.err(
                    path.index(j),
                    format!("node name {n} is used twice (also in pool {other})"),
                );
            }
        }
    }
}

/// The OS's share of the pool's disk: given or the OS default; it must leave room for images.
fn check_os_disk(cx: &mut Ctx, p: &raw::Pool, path: &Path) -> u64 {
    let os_disk = p.os_disk.map_or(defaults::os_disk(p.os), |b| b.0);
    let disk = p.disk.map_or(defaults::DISK_BYTES, |b| b.0);
    if disk > 0 && os_disk >= disk {
        let field = if p.os_disk.is_some() {
            "os_disk"
        } else {
            "disk"
        };
        cx.err(
            path.field(field),
            format!(
                "disk ({} bytes) is not larger than what the OS occupies on it (os_disk, {} \
                 bytes{}): nothing is left for images",
                disk,
                os_disk,
                if p.os_disk.is_some() {
                    ""
                } else {
                    ", the default for this OS"
                }
            ),
        );
    }
    os_disk
}

/// The pool with its preset's values in the fields it leaves out (`scenario::presets`); the
/// checks above then treat them as if written. Without a preset, the pool as written.
fn resolve_preset(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    p: &raw::Pool,
    version: Option<WinVersion>,
    path: &Path,
) -> raw::Pool {
    let (resolved, errs) = crate::scenario::presets::resolve_pool(
        p,
        raw.preset,
        &raw.images,
        version.map(|v| v.build),
        path,
    );
    for e in errs {
        cx.err(e.path, e.message);
    }
    resolved
}
