//! Raw scenario → validated `Spec`: resolves names to ids, fills defaults, checks semantics.
//!
//! Every problem is collected (not just the first) with the path of the offending value, so
//! the caller can print `FILE:LINE:COL: what was expected` for each. Nothing here panics on bad
//! input: all indexing is on ids this module has just created.

use super::locate::Path;
use super::raw;
use crate::model::selector::{SelectorOperator, Term, Toleration, TolerationOperator};
use crate::model::windows::{IsolationMode, WinVersion};
use crate::model::*;
use std::collections::{BTreeMap, HashMap};

/// One semantic problem, located by its path in the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: Path,
    pub message: String,
}

/// Label keys the kubelet sets per node, which pool-level static filters cannot see.
pub use crate::model::labels::HOSTNAME_LABEL;
pub const POOL_LABEL: &str = "hybridsim.io/pool";

/// AKS CPU reservation by core count (aks `node-resource-reservations.md`): 1, 2, 4, 8, 16, 32,
/// 64 cores reserve 60, 100, 140, 180, 260, 420, 740 millicores; in between, the lower row.
pub fn default_reserved_cpu(cpu_m: u64) -> u64 {
    const TABLE: [(u64, u64); 7] = [
        (1, 60),
        (2, 100),
        (4, 140),
        (8, 180),
        (16, 260),
        (32, 420),
        (64, 740),
    ];
    let cores = cpu_m / 1000;
    let mut r = TABLE[0].1;
    for (c, m) in TABLE {
        if cores >= c {
            r = m;
        }
    }
    r
}

/// AKS memory reservation (aks `node-resource-reservations.md`, Kubernetes 1.29+):
/// "20 MB per allowed pod + 50 MB", taken as MiB as the kubelet's quantities are; Windows adds
/// 2 GiB for the system
/// (k/web `windows-resource-management.md`).
pub fn default_reserved_memory(os: Os, max_pods: u64) -> u64 {
    let kube = 20 * (1 << 20) * max_pods + 50 * (1 << 20);
    match os {
        Os::Linux => kube,
        Os::Windows => kube + (2 << 30),
    }
}

/// kubelet default hard eviction threshold `memory.available<100Mi`.
pub const DEFAULT_EVICTION: u64 = 100 << 20;

/// Default registry download bandwidth per node: an assumption (≈ 1 Gbit/s effective), see
/// docs/scenario-format.md.
pub const DEFAULT_PULL_BANDWIDTH: u64 = 125_000_000;
/// Windows extraction: 2 GB in ≈ 140 s ≈ 14 MB/s (microsoft/Windows-Containers #607).
pub const DEFAULT_WINDOWS_EXTRACTION: u64 = 14_000_000;
/// Linux extraction: an order of magnitude faster than Windows (assumption, see docs).
pub const DEFAULT_LINUX_EXTRACTION: u64 = 150_000_000;

struct Ctx {
    diags: Vec<Diagnostic>,
}

impl Ctx {
    fn err(&mut self, path: Path, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            path,
            message: message.into(),
        });
    }
}

fn index_names<'a>(
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

fn check_tolerations(cx: &mut Ctx, tols: &[Toleration], base: &Path) {
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

fn check_terms(cx: &mut Ctx, terms: &[Term], base: &Path) {
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

fn parse_version(
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

/// The value the kubelet itself gives a well-known label on nodes of `p`, if it sets it.
fn labels_set_by_kubelet(p: &raw::Pool, version: Option<WinVersion>, key: &str) -> Option<String> {
    match key {
        "kubernetes.io/os" => Some(p.os.label().to_string()),
        "kubernetes.io/arch" => Some(p.arch.clone()),
        "node.kubernetes.io/windows-build" => version.map(|v| v.build_label()),
        POOL_LABEL => Some(p.name.clone()),
        "node.kubernetes.io/instance-type" => p.instance_type.clone(),
        "topology.kubernetes.io/zone" => p.zone.clone(),
        _ => None,
    }
}

fn default_policy(image: &str) -> PullPolicy {
    // k/web docs/concepts/containers/images.md: `:latest` or no tag → Always. A digest pins
    // the image, so it counts as a tag here.
    let name = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return PullPolicy::IfNotPresent;
    }
    match name.rsplit_once(':') {
        None => PullPolicy::Always,
        Some((_, "latest")) => PullPolicy::Always,
        Some(_) => PullPolicy::IfNotPresent,
    }
}

/// Default provisioning delays (DESIGN §2.6): Linux ≈ 40–90 s on EKS/Karpenter and 3–4 min
/// request-to-schedulable on GCE → log-normal, median 90 s, p95 3 min; Windows 4–8 min on EKS
/// without image caching and ≈ 10 min on AKS → median 6 min, p95 10 min.
pub fn default_provisioning(os: Os) -> DelayDist {
    match os {
        Os::Linux => DelayDist::log_normal(90_000, 180_000),
        Os::Windows => DelayDist::log_normal(360_000, 600_000),
    }
}

fn check_delay(cx: &mut Ctx, d: &raw::Delay, path: &Path) -> DelayDist {
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

/// Reads a `time_s,value` CSV load curve.
fn read_load_csv(file: &std::path::Path) -> Result<Vec<(u64, f64)>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read load curve {}: {e}", file.display()))?;
    let mut pts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || (i == 0 && l.chars().next().is_some_and(|c| c.is_alphabetic())) {
            continue;
        }
        let bad = || {
            format!(
                "{}:{}: expected `time_s,value` with numbers, found \"{l}\"",
                file.display(),
                i + 1
            )
        };
        let (t, v) = l.split_once(',').ok_or_else(bad)?;
        let t: f64 = t.trim().parse().map_err(|_| bad())?;
        let v: f64 = v.trim().parse().map_err(|_| bad())?;
        if !(t >= 0.0 && t.is_finite() && v >= 0.0 && v.is_finite()) {
            return Err(bad());
        }
        pts.push(((t * 1000.0).round() as u64, v));
    }
    Ok(pts)
}

/// Validates `raw` into a `Spec`, or returns every problem found. Relative file references
/// (load curves) resolve against `base_dir`.
pub fn validate(raw: &raw::Scenario) -> Result<Spec, Vec<Diagnostic>> {
    validate_in(raw, None)
}

pub fn validate_in(
    raw: &raw::Scenario,
    base_dir: Option<&std::path::Path>,
) -> Result<Spec, Vec<Diagnostic>> {
    let mut cx = Ctx { diags: Vec::new() };
    let root = Path::root();
    if raw.name.trim().is_empty() {
        cx.err(root.field("name"), "expected a non-empty scenario name");
    }
    if raw.duration.0 == 0 {
        cx.err(
            root.field("duration"),
            "expected a positive duration, e.g. \"2h\"",
        );
    }
    if raw.sample_interval.0 == 0 {
        cx.err(
            root.field("sample_interval"),
            "expected a positive sample interval, e.g. \"10s\"",
        );
    }
    let k = &raw.kubelet;
    let kp = root.field("kubelet");
    if k.max_concurrent_downloads == 0 {
        cx.err(
            kp.field("max_concurrent_downloads"),
            "expected at least 1 concurrent download",
        );
    }
    for (name, v) in [
        ("image_pull_backoff", k.image_pull_backoff),
        ("create_backoff", k.create_backoff),
    ] {
        if v.0 == 0 {
            cx.err(kp.field(name), "expected a positive back-off");
        }
    }
    // k/k kubelet config defaults: serializeImagePulls = (maxParallelImagePulls unset or 1);
    // validation rejects an explicit true with more than one parallel pull.
    let serialize = k
        .serialize_image_pulls
        .unwrap_or(k.max_parallel_image_pulls.is_none_or(|n| n <= 1));
    if serialize && k.max_parallel_image_pulls.is_some_and(|n| n > 1) {
        cx.err(
            kp.field("max_parallel_image_pulls"),
            "parallel pulls need serialize_image_pulls: false (as the kubelet's validation \
             requires)",
        );
    }
    if k.max_parallel_image_pulls == Some(0) {
        cx.err(
            kp.field("max_parallel_image_pulls"),
            "expected at least 1 (omit it for no limit)",
        );
    }
    let s = &raw.scheduler;
    if s.percentage_of_nodes_to_score > 100 {
        cx.err(
            root.field("scheduler")
                .field("percentage_of_nodes_to_score"),
            "expected 0 (adaptive) or a percentage from 1 to 100",
        );
    }
    if s.pod_initial_backoff.0 == 0 {
        cx.err(
            root.field("scheduler").field("pod_initial_backoff"),
            "expected a positive back-off",
        );
    }

    let ap = root.field("autoscaler");
    let a = &raw.autoscaler;
    if a.scan_interval.0 == 0 {
        cx.err(
            ap.field("scan_interval"),
            "expected a positive scan interval",
        );
    }
    if !(a.scale_down_utilization_threshold > 0.0 && a.scale_down_utilization_threshold <= 1.0) {
        cx.err(
            ap.field("scale_down_utilization_threshold"),
            "expected a fraction in (0, 1], e.g. 0.5",
        );
    }
    if a.max_nodes_per_scaleup == 0 {
        cx.err(ap.field("max_nodes_per_scaleup"), "expected at least 1");
    }

    // Layers and images first: pools and workloads refer to them.
    let lp = root.field("layers");
    let layer_ix = index_names(
        &mut cx,
        raw.layers.iter().map(|l| l.name.as_str()),
        &lp,
        "layer",
    );
    let mut layers = Vec::with_capacity(raw.layers.len());
    for (i, l) in raw.layers.iter().enumerate() {
        if l.size.0 == 0 {
            cx.err(
                lp.index(i).field("size"),
                "expected a positive layer size, e.g. \"1.3GB\"",
            );
        }
        if l.unpacked == Some(super::units::Bytes(0)) {
            cx.err(
                lp.index(i).field("unpacked"),
                "expected a positive unpacked size",
            );
        }
        layers.push(LayerSpec {
            name: l.name.clone(),
            size: l.size.0,
            unpacked: l.unpacked.map_or(l.size.0, |b| b.0),
        });
    }

    let ip = root.field("images");
    let image_ix = index_names(
        &mut cx,
        raw.images.iter().map(|i| i.name.as_str()),
        &ip,
        "image",
    );
    let mut images = Vec::with_capacity(raw.images.len());
    for (i, im) in raw.images.iter().enumerate() {
        let p = ip.index(i);
        if im.platforms.is_empty() {
            cx.err(
                p.field("platforms"),
                "expected at least one platform entry (os, layers)",
            );
        }
        let mut platforms = Vec::new();
        for (j, pl) in im.platforms.iter().enumerate() {
            let pp = p.field("platforms").index(j);
            let version = parse_version(&mut cx, &pl.os_version, pl.os, &pp, false);
            if pl.layers.is_empty() {
                cx.err(pp.field("layers"), "expected at least one layer name");
            }
            let mut ids = Vec::new();
            for (n, ln) in pl.layers.iter().enumerate() {
                match layer_ix.get(ln) {
                    Some(&id) => ids.push(LayerId(id)),
                    None => cx.err(
                        pp.field("layers").index(n),
                        format!("unknown layer \"{ln}\"; declare it under `layers`"),
                    ),
                }
            }
            let size = ids.iter().map(|l| layers[l.idx()].size).sum();
            platforms.push(PlatformSpec {
                os: pl.os,
                version,
                arch: pl.arch.clone(),
                layers: ids,
                size,
            });
        }
        images.push(ImageSpec {
            name: im.name.clone(),
            platforms,
            default_policy: default_policy(&im.name),
        });
    }
    let resolve_image = |cx: &mut Ctx, name: &str, path: Path| -> Option<ImageId> {
        match image_ix.get(name) {
            Some(&i) => Some(ImageId(i)),
            None => {
                cx.err(
                    path,
                    format!("unknown image \"{name}\"; declare it under `images`"),
                );
                None
            }
        }
    };

    // Pools.
    let pp = root.field("pools");
    if raw.pools.is_empty() {
        cx.err(pp.clone(), "expected at least one node pool");
    }
    index_names(
        &mut cx,
        raw.pools.iter().map(|p| p.name.as_str()),
        &pp,
        "pool",
    );
    let global_parallel = if serialize {
        1
    } else {
        k.max_parallel_image_pulls.unwrap_or(u32::MAX)
    };
    let mut pools = Vec::with_capacity(raw.pools.len());
    for (i, p) in raw.pools.iter().enumerate() {
        let path = pp.index(i);
        let version = parse_version(&mut cx, &p.os_version, p.os, &path, true);
        for (field, zero) in [
            ("cpu", p.cpu.0 == 0),
            ("memory", p.memory.0 == 0),
            ("disk", p.disk.0 == 0),
            ("max_pods", p.max_pods == 0),
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
        let reserved_cpu = reserved.cpu.map_or(default_reserved_cpu(p.cpu.0), |c| c.0);
        let reserved_mem = reserved
            .memory
            .map_or(default_reserved_memory(p.os, p.max_pods as u64), |m| m.0);
        let eviction = p.eviction_threshold.map_or(DEFAULT_EVICTION, |b| b.0);
        if p.cpu.0 > 0 && reserved_cpu >= p.cpu.0 {
            cx.err(
                path.field("reserved"),
                format!(
                    "reserved CPU ({reserved_cpu}m) leaves nothing allocatable of {}m",
                    p.cpu.0
                ),
            );
        }
        if p.memory.0 > 0 && reserved_mem + eviction >= p.memory.0 {
            cx.err(
                path.field("memory"),
                format!(
                    "reserved memory plus eviction threshold ({} bytes) leaves nothing \
                     allocatable of {} bytes",
                    reserved_mem + eviction,
                    p.memory.0
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
        labels.insert("kubernetes.io/os".into(), p.os.label().into());
        labels.insert("kubernetes.io/arch".into(), p.arch.clone());
        labels.insert(POOL_LABEL.into(), p.name.clone());
        if let Some(t) = &p.instance_type {
            labels.insert("node.kubernetes.io/instance-type".into(), t.clone());
        }
        if let Some(z) = &p.zone {
            labels.insert("topology.kubernetes.io/zone".into(), z.clone());
        }
        if let Some(v) = version {
            labels.insert("node.kubernetes.io/windows-build".into(), v.build_label());
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
            .enumerate()
            .filter_map(|(j, n)| resolve_image(&mut cx, n, path.field("preloaded_images").index(j)))
            .collect();
        let capacity = Res {
            cpu_m: p.cpu.0,
            mem: p.memory.0,
            pods: p.max_pods as u64,
        };
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
            Some(d) => check_delay(&mut cx, d, &path.field("provisioning")),
            None => default_provisioning(p.os),
        };
        if !(0.0..=1.0).contains(&p.provisioning_failure_rate) {
            cx.err(
                path.field("provisioning_failure_rate"),
                "expected a probability from 0 to 1",
            );
        }
        if !(p.price_per_hour >= 0.0 && p.price_per_hour.is_finite()) {
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
                cpu_m: p.cpu.0.saturating_sub(reserved_cpu),
                mem: p.memory.0.saturating_sub(reserved_mem + eviction),
                pods: p.max_pods as u64,
            },
            disk: p.disk.0,
            labels,
            taints: p.taints.clone(),
            pull_bandwidth: p.pull_bandwidth.map_or(DEFAULT_PULL_BANDWIDTH, |r| r.0),
            extraction_rate: p.extraction_rate.map_or(
                match p.os {
                    Os::Linux => DEFAULT_LINUX_EXTRACTION,
                    Os::Windows => DEFAULT_WINDOWS_EXTRACTION,
                },
                |r| r.0,
            ),
            max_parallel_pulls: p.max_parallel_image_pulls.unwrap_or(global_parallel),
            initial_count: p.count,
            preloaded,
            autoscale,
            provisioning,
            provisioning_failure_rate: p.provisioning_failure_rate,
            price_per_hour: p.price_per_hour,
        });
    }

    // RuntimeClasses.
    let rp = root.field("runtime_classes");
    let rc_ix = index_names(
        &mut cx,
        raw.runtime_classes.iter().map(|r| r.name.as_str()),
        &rp,
        "RuntimeClass",
    );
    for (i, rc) in raw.runtime_classes.iter().enumerate() {
        if rc.handler.trim().is_empty() {
            cx.err(rp.index(i).field("handler"), "expected a non-empty handler");
        }
        if let Some(s) = &rc.scheduling {
            check_tolerations(
                &mut cx,
                &s.tolerations,
                &rp.index(i).field("scheduling").field("tolerations"),
            );
        }
    }

    // Workloads and their templates.
    let wp = root.field("workloads");
    let wl_ix = index_names(
        &mut cx,
        raw.workloads.iter().map(|w| w.name.as_str()),
        &wp,
        "workload",
    );
    let mut templates = Vec::with_capacity(raw.workloads.len());
    let mut workloads: Vec<WorkloadSpec> = Vec::with_capacity(raw.workloads.len());
    // Per raw workload: the ids of its copies and their stagger.
    let mut copies: Vec<(Vec<WorkloadId>, u64)> = Vec::with_capacity(raw.workloads.len());
    for (i, w) in raw.workloads.iter().enumerate() {
        let path = wp.index(i);
        let tp = path.field("template");
        let t = &w.template;
        if t.containers.is_empty() {
            cx.err(tp.field("containers"), "expected at least one container");
        }
        let mut isolation = match t.isolation {
            raw::Isolation::Process => IsolationMode::Process,
            raw::Isolation::HyperV => IsolationMode::HyperV,
        };
        let conv = |cx: &mut Ctx, list: &[raw::Container], field: &'static str| {
            let mut out = Vec::new();
            for (c, ct) in list.iter().enumerate() {
                let cp = tp.field(field).index(c);
                if let Some(p) = &ct.readiness_probe
                    && p.period.0 == 0
                {
                    cx.err(
                        cp.field("readiness_probe").field("period"),
                        "expected a positive probe period",
                    );
                }
                if let Some(image) = resolve_image(cx, &ct.image, cp.field("image")) {
                    out.push(ContainerSpec {
                        name: if ct.name.is_empty() {
                            format!("{field}-{c}")
                        } else {
                            ct.name.clone()
                        },
                        image,
                        policy: match ct.image_pull_policy {
                            Some(raw::PullPolicy::Always) => PullPolicy::Always,
                            Some(raw::PullPolicy::IfNotPresent) => PullPolicy::IfNotPresent,
                            Some(raw::PullPolicy::Never) => PullPolicy::Never,
                            None => images[image.idx()].default_policy,
                        },
                        cpu_m: ct.cpu.0,
                        mem: ct.memory.0,
                        privileged: ct.privileged,
                        start_delay: ct.start_delay.map(|d| d.0),
                        probe: ct
                            .readiness_probe
                            .as_ref()
                            .map(|p| (p.initial_delay.0, p.period.0.max(1))),
                        run_for: ct.run_for.map_or(0, |d| d.0),
                    });
                }
            }
            out
        };
        let init_containers = conv(&mut cx, &t.init_containers, "init_containers");
        let containers = conv(&mut cx, &t.containers, "containers");
        check_tolerations(&mut cx, &t.tolerations, &tp.field("tolerations"));
        let mut node_selector: BTreeMap<String, String> = t.node_selector.clone();
        let mut tolerations = t.tolerations.clone();
        let mut overhead = Res::default();
        let mut runtime_class = None;
        let mut conflict = None;
        if let Some(rc_name) = &t.runtime_class_name {
            match rc_ix.get(rc_name) {
                None => cx.err(
                    tp.field("runtime_class_name"),
                    format!(
                        "unknown RuntimeClass \"{rc_name}\"; declare it under `runtime_classes`"
                    ),
                ),
                Some(&r) => {
                    let rc = &raw.runtime_classes[r as usize];
                    runtime_class = Some(rc.handler.clone());
                    // containerd's Windows handlers: `runhcs-wcow-hypervisor` runs Hyper-V
                    // isolated containers (k/web windows user guide, RuntimeClass examples).
                    if rc.handler.contains("hypervisor") {
                        isolation = IsolationMode::HyperV;
                    }
                    if let Some(s) = &rc.scheduling {
                        // RuntimeClass admission (k/web runtime-class.md): a key the pod
                        // already selects with another value rejects the pod.
                        for (k, v) in &s.node_selector {
                            match node_selector.get(k) {
                                Some(pv) if pv != v => {
                                    conflict = Some(format!(
                                        "pod nodeSelector {k}={pv} conflicts with RuntimeClass \
                                         \"{rc_name}\" scheduling nodeSelector {k}={v}"
                                    ));
                                }
                                _ => {
                                    node_selector.insert(k.clone(), v.clone());
                                }
                            }
                        }
                        tolerations.extend(s.tolerations.iter().cloned());
                    }
                    if let Some(o) = &rc.overhead {
                        overhead.cpu_m += o.cpu.0;
                        overhead.mem += o.memory.0;
                    }
                }
            }
        }
        if isolation == IsolationMode::HyperV {
            overhead.mem += k.hyperv_memory_overhead.0;
        }
        let (required, preferred) = match &t.affinity {
            Some(a) => {
                if let Some(req) = &a.required {
                    if req.is_empty() {
                        cx.err(
                            tp.field("affinity").field("required"),
                            "required node affinity needs at least one term (the API server \
                             rejects an empty nodeSelectorTerms list)",
                        );
                    }
                    check_terms(&mut cx, req, &tp.field("affinity").field("required"));
                }
                for (j, pt) in a.preferred.iter().enumerate() {
                    let pp = tp.field("affinity").field("preferred").index(j);
                    if !(1..=100).contains(&pt.weight) {
                        cx.err(pp.field("weight"), "expected a weight from 1 to 100");
                    }
                    check_terms(
                        &mut cx,
                        std::slice::from_ref(&pt.preference),
                        &pp.field("preference"),
                    );
                }
                (a.required.clone(), a.preferred.clone())
            }
            None => (None, Vec::new()),
        };
        let per_node_labels = node_selector.contains_key(HOSTNAME_LABEL)
            || required
                .iter()
                .flatten()
                .chain(preferred.iter().map(|p| &p.preference))
                .flat_map(|t| &t.match_expressions)
                .any(|r| r.key == HOSTNAME_LABEL);
        // Effective requests (k8s resourcehelper.PodRequests): max(sum of app containers, max of
        // init containers) + overhead. The non-zero variant applies the scheduler's defaults of
        // 100m CPU and 200Mi memory to containers that request nothing (scoring only).
        let sum = |f: &dyn Fn(&ContainerSpec) -> u64| containers.iter().map(f).sum::<u64>();
        let max_init =
            |f: &dyn Fn(&ContainerSpec) -> u64| init_containers.iter().map(f).max().unwrap_or(0);
        let nz_cpu = |c: &ContainerSpec| if c.cpu_m == 0 { 100 } else { c.cpu_m };
        let nz_mem = |c: &ContainerSpec| if c.mem == 0 { 200 << 20 } else { c.mem };
        let requests = Res {
            cpu_m: sum(&|c| c.cpu_m).max(max_init(&|c| c.cpu_m)) + overhead.cpu_m,
            mem: sum(&|c| c.mem).max(max_init(&|c| c.mem)) + overhead.mem,
            pods: 1,
        };
        let nonzero = Res {
            cpu_m: sum(&nz_cpu).max(max_init(&nz_cpu)) + overhead.cpu_m,
            mem: sum(&nz_mem).max(max_init(&nz_mem)) + overhead.mem,
            pods: 1,
        };
        let images_of_pod = init_containers
            .iter()
            .chain(containers.iter())
            .map(|c| c.image)
            .collect();
        let privileged = init_containers
            .iter()
            .chain(containers.iter())
            .any(|c| c.privileged);
        if w.kind == raw::WorkloadKind::DaemonSet && w.replicas != 1 {
            cx.err(
                path.field("replicas"),
                "a DaemonSet runs one pod per matching node; remove `replicas`",
            );
        }
        templates.push(TemplateSpec {
            init_containers,
            containers,
            node_selector: node_selector.into_iter().collect(),
            required,
            preferred,
            tolerations,
            runtime_class,
            host_network: t.host_network,
            host_process: t.host_process,
            isolation,
            priority: t.priority,
            requests,
            nonzero,
            per_node_labels,
            images: images_of_pod,
            privileged,
            admission_error: conflict,
        });
        if let Some(at) = w.created_at
            && at.0 > raw.duration.0
        {
            cx.err(
                path.field("created_at"),
                format!(
                    "created_at {at} is after the end of the scenario ({})",
                    raw.duration
                ),
            );
        }
        let hpa = w.hpa.as_ref().map(|h| {
            let hp = path.field("hpa");
            if w.kind == raw::WorkloadKind::DaemonSet {
                cx.err(hp.clone(), "an HPA scales Deployments, not DaemonSets");
            }
            if h.min_replicas == 0 || h.max_replicas < h.min_replicas {
                cx.err(
                    hp.field("max_replicas"),
                    format!(
                        "expected 1 ≤ min_replicas ≤ max_replicas, found {} and {}",
                        h.min_replicas, h.max_replicas
                    ),
                );
            }
            if !(h.capacity_per_pod > 0.0 && h.capacity_per_pod.is_finite()) {
                cx.err(hp.field("capacity_per_pod"), "expected a positive capacity");
            }
            if !(h.target_utilization > 0.0 && h.target_utilization.is_finite()) {
                cx.err(
                    hp.field("target_utilization"),
                    "expected a positive target, e.g. 0.7",
                );
            }
            if !(h.tolerance >= 0.0 && h.tolerance < 1.0) {
                cx.err(
                    hp.field("tolerance"),
                    "expected a tolerance from 0 to 1, e.g. 0.1",
                );
            }
            if h.sync_period.0 == 0 {
                cx.err(hp.field("sync_period"), "expected a positive sync period");
            }
            let mut load_unreadable = false;
            let load = match &h.load {
                raw::Load::Points(pts) => {
                    let v: Vec<(u64, f64)> = pts.iter().map(|(t, v)| (t.0, *v)).collect();
                    v
                }
                raw::Load::Csv(f) => {
                    let file = base_dir.map_or_else(|| std::path::PathBuf::from(f), |d| d.join(f));
                    match read_load_csv(&file) {
                        Ok(v) => v,
                        Err(e) => {
                            cx.err(hp.field("load"), e);
                            load_unreadable = true;
                            Vec::new()
                        }
                    }
                }
            };
            if load.is_empty() && !load_unreadable {
                cx.err(
                    hp.field("load"),
                    "expected at least one (time, value) point",
                );
            }
            if load.windows(2).any(|w| w[1].0 <= w[0].0) {
                cx.err(
                    hp.field("load"),
                    "load points must have strictly increasing times",
                );
            }
            if load.iter().any(|p| !(p.1 >= 0.0 && p.1.is_finite())) {
                cx.err(hp.field("load"), "load values must be non-negative numbers");
            }
            HpaSpec {
                min_replicas: h.min_replicas,
                max_replicas: h.max_replicas,
                load,
                capacity_per_pod: h.capacity_per_pod,
                target_utilization: h.target_utilization,
                tolerance: h.tolerance,
                sync_period: h.sync_period.0.max(1),
                scale_up_window: h.scale_up_stabilization.0,
                scale_down_window: h.scale_down_stabilization.0,
            }
        });
        if w.count == 0 {
            cx.err(path.field("count"), "expected at least one copy");
        }
        let kind = match w.kind {
            raw::WorkloadKind::Deployment => WorkloadKind::Deployment,
            raw::WorkloadKind::DaemonSet => WorkloadKind::DaemonSet,
        };
        let mut ids = Vec::with_capacity(w.count as usize);
        for c in 0..w.count {
            let shift = c as u64 * w.stagger.0;
            let name = if w.count == 1 {
                w.name.clone()
            } else {
                format!("{}-{c}", w.name)
            };
            ids.push(WorkloadId::from_idx(workloads.len()));
            workloads.push(WorkloadSpec {
                hpa: hpa.as_ref().map(|h| HpaSpec {
                    load: h.load.iter().map(|&(t, v)| (t + shift, v)).collect(),
                    ..h.clone()
                }),
                name,
                kind,
                replicas: w.replicas,
                created_at: w
                    .created_at
                    .map(|d| d.0 + shift)
                    .filter(|&t| t <= raw.duration.0),
                template: TemplateId::from_idx(i),
            });
        }
        copies.push((ids, w.stagger.0));
    }
    // Copies must not collide with other workloads' names.
    let mut seen = std::collections::BTreeSet::new();
    for (i, w) in workloads.iter().enumerate() {
        if !seen.insert(w.name.as_str()) {
            let raw_i = copies
                .iter()
                .position(|(ids, _)| ids.iter().any(|x| x.idx() == i));
            cx.err(
                wp.index(raw_i.unwrap_or(0)).field("name"),
                format!(
                    "workload name \"{}\" is used twice (copies are named NAME-i)",
                    w.name
                ),
            );
        }
    }

    // Timeline.
    let tlp = root.field("timeline");
    let mut timeline = Vec::with_capacity(raw.timeline.len());
    for (i, e) in raw.timeline.iter().enumerate() {
        let p = tlp.index(i);
        if e.at.0 > raw.duration.0 {
            cx.err(
                p.field("at"),
                format!(
                    "at {} is after the end of the scenario ({})",
                    e.at, raw.duration
                ),
            );
        }
        let (name, make): (&str, Box<dyn Fn(WorkloadId) -> TimelineAction>) = match &e.action {
            raw::Action::Create { workload } => (workload, Box::new(TimelineAction::Create)),
            raw::Action::Delete { workload } => (workload, Box::new(TimelineAction::Delete)),
            raw::Action::Scale { workload, replicas } => {
                let r = *replicas;
                (workload, Box::new(move |w| TimelineAction::Scale(w, r)))
            }
        };
        match wl_ix.get(name) {
            None => cx.err(
                p.field("action").field("workload"),
                format!("unknown workload \"{name}\""),
            ),
            Some(&w) => {
                if matches!(e.action, raw::Action::Scale { .. })
                    && raw.workloads[w as usize].kind == raw::WorkloadKind::DaemonSet
                {
                    cx.err(
                        p.field("action"),
                        format!("workload \"{name}\" is a DaemonSet and cannot be scaled"),
                    );
                }
                // An action on a templated workload applies to every copy, shifted like it.
                if let Some((ids, stagger)) = copies.get(w as usize) {
                    for (c, &id) in ids.iter().enumerate() {
                        let at = e.at.0 + c as u64 * stagger;
                        if at <= raw.duration.0 {
                            timeline.push((at, make(id)));
                        }
                    }
                }
            }
        }
    }
    // Sort by time, keeping file order for equal times (a stable sort).
    timeline.sort_by_key(|(t, _)| *t);

    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    Ok(Spec {
        name: raw.name.clone(),
        seed: raw.seed,
        duration: raw.duration.0,
        sample_interval: raw.sample_interval.0,
        kubelet: KubeletConfig {
            max_concurrent_downloads: k.max_concurrent_downloads,
            pull_backoff: (k.image_pull_backoff.0, k.image_pull_backoff_max.0),
            create_backoff: (k.create_backoff.0, k.create_backoff_max.0),
            pull_timeout: k.pull_timeout.map(|d| d.0),
            linux_start_delay: k.linux_start_delay.0,
            windows_start_delay: k.windows_start_delay.0,
            hyperv_start_delay: k.hyperv_start_delay.0,
            hyperv_memory_overhead: k.hyperv_memory_overhead.0,
            strict_platform_match: k.strict_platform_match,
        },
        scheduler: SchedulerConfig {
            percentage_of_nodes_to_score: s.percentage_of_nodes_to_score,
            initial_backoff: s.pod_initial_backoff.0,
            max_backoff: s.pod_max_backoff.0.max(s.pod_initial_backoff.0),
            max_in_unschedulable: s.max_in_unschedulable.0,
        },
        controllers: ControllerConfig {
            failed_pod_backoff: (
                raw.controllers.failed_pod_backoff.0.max(1),
                raw.controllers.failed_pod_backoff_max.0,
            ),
        },
        autoscaler: {
            let a = &raw.autoscaler;
            AutoscalerConfig {
                scan_interval: a.scan_interval.0.max(1),
                expander: a.expander,
                max_nodes_per_scaleup: a.max_nodes_per_scaleup.max(1),
                max_node_provision_time: a.max_node_provision_time.0,
                initial_backoff: a.initial_backoff.0,
                max_backoff: a.max_backoff.0.max(a.initial_backoff.0),
                scale_down_enabled: a.scale_down_enabled,
                scale_down_utilization_threshold: a.scale_down_utilization_threshold,
                scale_down_unneeded_time: a.scale_down_unneeded_time.0,
                scale_down_delay_after_add: a.scale_down_delay_after_add.0,
                scale_down_delay_after_delete: a.scale_down_delay_after_delete.0,
                scale_down_delay_after_failure: a.scale_down_delay_after_failure.0,
                max_empty_bulk_delete: a.max_empty_bulk_delete.max(1),
            }
        },
        pools,
        layers,
        images,
        templates,
        workloads,
        timeline,
    })
}
