//! Scalar resources, host ports and NodeResourcesFit's scoring strategy: the checks the
//! `pools`, `workloads` and `settings` sections share for them.
//!
//! Owns: which `Res::scalar` slot each resource name gets (`ephemeral-storage` is slot 0, the
//! extended resources follow in order of first appearance: scoring strategy, pools, pod
//! templates), the extended-resource name rule, the container port rules and the scoring
//! strategy's rules. Does not own: the formulas that use them (`scheduler::plugins`).

use super::Ctx;
use crate::model::{
    EPHEMERAL_STORAGE, FitScoring, FitScoringKind, HostPort, SCALAR_SLOTS, ScoredResource,
};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::BTreeMap;

/// The name of slot 0 of `Res::scalar`.
pub const EPHEMERAL_STORAGE_NAME: &str = "ephemeral-storage";

/// `v1helper.IsExtendedResourceName`: a name with a domain prefix outside `kubernetes.io`
/// (native resources have none or a `kubernetes.io/` one), not starting with the quota
/// prefix `requests.`, and each part a qualified name's characters.
pub fn is_extended_resource_name(name: &str) -> bool {
    let Some((domain, rest)) = name.split_once('/') else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    !name.contains("kubernetes.io/") && !name.starts_with("requests.") && ok(domain) && ok(rest)
}

impl Ctx {
    /// The slot of extended resource `name`, interning it; an error at `path` when the name
    /// is no extended resource name or one too many.
    pub(super) fn extended_slot(&mut self, name: &str, path: Path) -> Option<usize> {
        if !is_extended_resource_name(name) {
            self.err(
                path,
                format!(
                    "\"{name}\" is not an extended resource name: expected DOMAIN/NAME with a \
                     domain outside kubernetes.io, e.g. nvidia.com/gpu"
                ),
            );
            return None;
        }
        if let Some(i) = self.extended.iter().position(|n| n == name) {
            return Some(i + 1);
        }
        if self.extended.len() + 1 >= SCALAR_SLOTS {
            self.err(
                path,
                format!(
                    "\"{name}\" would be extended resource number {}: hybridsim models at most \
                     {} distinct extended resources per scenario",
                    self.extended.len() + 1,
                    SCALAR_SLOTS - 1
                ),
            );
            return None;
        }
        self.extended.push(name.to_string());
        Some(self.extended.len())
    }

    /// `Spec::scalar_names`: `ephemeral-storage`, then the extended resources interned.
    pub(super) fn scalar_names(&self) -> Vec<String> {
        std::iter::once(EPHEMERAL_STORAGE_NAME.to_string())
            .chain(self.extended.iter().cloned())
            .collect()
    }
}

/// A container's scalar requests as a `Res::scalar` array.
pub(super) fn container_scalars(
    cx: &mut Ctx,
    c: &raw::Container,
    path: &Path,
) -> [u64; SCALAR_SLOTS] {
    let mut out = [0; SCALAR_SLOTS];
    out[EPHEMERAL_STORAGE] = c.ephemeral_storage.0;
    for (name, &v) in &c.extended_resources {
        if let Some(slot) = cx.extended_slot(name, path.field("extended_resources").key(name)) {
            out[slot] = v;
        }
    }
    out
}

/// A pool's allocatable scalar resources: ephemeral-storage is `ephemeral_storage` or the
/// disk less the `nodefs.available` hard-eviction share (kubelet allocatable: capacity −
/// reserved (none for ephemeral-storage by default) − eviction threshold), and the extended
/// resources given.
pub(super) fn pool_scalars(
    cx: &mut Ctx,
    p: &raw::Pool,
    nodefs_percent: u32,
    path: &Path,
) -> [u64; SCALAR_SLOTS] {
    let mut out = [0; SCALAR_SLOTS];
    out[EPHEMERAL_STORAGE] = match p.ephemeral_storage {
        Some(b) => b.0,
        None => {
            // The disk as the pool validates it: given (or filled by a preset) or the default.
            let disk = p
                .disk
                .map_or(crate::scenario::defaults::DISK_BYTES, |b| b.0);
            disk - disk / 100 * u64::from(nodefs_percent.min(100))
        }
    };
    for (name, &v) in &p.extended_resources {
        if let Some(slot) = cx.extended_slot(name, path.field("extended_resources").key(name)) {
            out[slot] = v;
        }
    }
    out
}

/// The host ports of a template's (app) containers, as upstream's `GetHostPorts`: ports with
/// a `hostPort`; with `host_network`, API defaulting sets an unset `hostPort` to the
/// `containerPort` (k/k `pkg/apis/core/v1/defaults.go` `SetDefaults_Pod`). Checks the ranges,
/// the host IP, and duplicates (`AccumulateUniqueHostPorts`).
pub(super) fn host_ports(
    cx: &mut Ctx,
    containers: &[raw::Container],
    host_network: bool,
    path: &Path,
) -> Vec<HostPort> {
    let mut out: Vec<HostPort> = Vec::new();
    for (c, ct) in containers.iter().enumerate() {
        for (j, port) in ct.ports.iter().enumerate() {
            let pp = path.field("containers").index(c).field("ports").index(j);
            if !(1..=65535).contains(&port.container_port) {
                cx.err(
                    pp.field("container_port"),
                    "expected a port number from 1 to 65535",
                );
                continue;
            }
            if port.host_port > 65535 {
                cx.err(
                    pp.field("host_port"),
                    "expected 0 (no host port) or a port number from 1 to 65535",
                );
                continue;
            }
            if !port.host_ip.is_empty() && port.host_ip.parse::<std::net::IpAddr>().is_err() {
                cx.err(
                    pp.field("host_ip"),
                    "expected an IP address (e.g. 0.0.0.0 or 10.0.0.4), or nothing for every \
                     address",
                );
                continue;
            }
            let hp = if port.host_port == 0 && host_network {
                port.container_port
            } else {
                port.host_port
            };
            if hp == 0 {
                continue;
            }
            let h = HostPort {
                host_ip: if port.host_ip.is_empty() {
                    "0.0.0.0".to_string()
                } else {
                    port.host_ip.clone()
                },
                protocol: port.protocol,
                port: hp as u16,
            };
            if out.contains(&h) {
                cx.err(
                    pp.field("host_port"),
                    format!(
                        "duplicate host port {}/{:?} on {} in one pod (the API server rejects it)",
                        h.port, h.protocol, h.host_ip
                    ),
                );
                continue;
            }
            out.push(h);
        }
    }
    out
}

/// NodeResourcesFit's scoring strategy with upstream's defaults and rules
/// (k/k `pkg/scheduler/apis/config/v1/defaults.go` `SetDefaults_NodeResourcesFitArgs`,
/// `validation/validation_pluginargs.go` `ValidateNodeResourcesFitArgs`): weights 1..=100, a
/// resource at most once, RequestedToCapacityRatio's shape of at least one point with
/// utilization 0..=100 strictly increasing and score 0..=10 (scaled ×10 to the node score,
/// `MaxNodeScore / MaxCustomPriorityScore`).
pub(super) fn scoring(cx: &mut Ctx, s: Option<&raw::ScoringStrategy>, path: &Path) -> FitScoring {
    let Some(s) = s else {
        return FitScoring::default();
    };
    let mut out = FitScoring {
        kind: s.kind,
        resources: Vec::new(),
        shape: Vec::new(),
    };
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for (i, r) in s.resources.iter().enumerate() {
        let rp = path.field("resources").index(i);
        if !(1..=100).contains(&r.weight) {
            cx.err(rp.field("weight"), "expected a weight from 1 to 100");
        }
        if seen.insert(&r.name, ()).is_some() {
            cx.err(
                rp.field("name"),
                format!("resource \"{}\" listed twice", r.name),
            );
            continue;
        }
        let res = match r.name.as_str() {
            "cpu" => ScoredResource::Cpu,
            "memory" => ScoredResource::Memory,
            EPHEMERAL_STORAGE_NAME => ScoredResource::Scalar(EPHEMERAL_STORAGE),
            name => match cx.extended_slot(name, rp.field("name")) {
                Some(slot) => ScoredResource::Scalar(slot),
                None => continue,
            },
        };
        out.resources.push((res, r.weight));
    }
    if s.resources.is_empty() {
        out.resources = FitScoring::default().resources;
    }
    match (&s.requested_to_capacity_ratio, s.kind) {
        (None, FitScoringKind::RequestedToCapacityRatio) => cx.err(
            path.field("requested_to_capacity_ratio"),
            "type RequestedToCapacityRatio needs `requested_to_capacity_ratio: (shape: [...])`",
        ),
        (Some(_), FitScoringKind::LeastAllocated | FitScoringKind::MostAllocated) => cx.err(
            path.field("requested_to_capacity_ratio"),
            "only type RequestedToCapacityRatio takes a shape",
        ),
        (Some(r), FitScoringKind::RequestedToCapacityRatio) => {
            let sp = path.field("requested_to_capacity_ratio").field("shape");
            if r.shape.is_empty() {
                cx.err(sp.clone(), "expected at least one shape point");
            }
            let mut last = -1;
            for (i, pt) in r.shape.iter().enumerate() {
                if !(0..=100).contains(&pt.utilization) {
                    cx.err(
                        sp.index(i).field("utilization"),
                        "expected a utilization from 0 to 100",
                    );
                } else if pt.utilization <= last {
                    cx.err(
                        sp.index(i).field("utilization"),
                        "utilization values must be strictly increasing",
                    );
                }
                if !(0..=10).contains(&pt.score) {
                    cx.err(sp.index(i).field("score"), "expected a score from 0 to 10");
                }
                last = last.max(pt.utilization);
                out.shape
                    .push((i64::from(pt.utilization), i64::from(pt.score) * 10));
            }
        }
        (None, _) => {}
    }
    out
}
