//! The `workloads` section: pod templates (containers, RuntimeClass merge, affinity,
//! effective requests), HPAs with their load curves, and the expansion of templated workloads
//! (`count`, `stagger`) into copies.
//!
//! Owns: the checks on workloads and their conversion into `TemplateSpec`, `HpaSpec` and
//! `WorkloadSpec`. Does not own: reading load-curve files (`scenario::files`, done before
//! validation) or the size limits that must pass before copies are expanded (`limits`).

use super::Ctx;
use super::checks::{check_pod_affinity, check_terms, check_tolerations, index_names};
use super::images::Catalog;
use crate::model::labels::HOSTNAME_LABEL;
use crate::model::windows::IsolationMode;
use crate::model::*;
use crate::scenario::defaults;
use crate::scenario::files::{LoadCurveText, ScenarioFiles};
use crate::scenario::intern::{ByContent, print_of};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::{BTreeMap, HashMap};

/// What the per-workload checks produce, one entry per raw workload (but `templates`).
pub(super) struct Checked {
    /// The distinct templates of the raw workloads, in order of first use: workloads whose
    /// pod templates validate to the same `TemplateSpec` share one (`Interner`).
    pub templates: Vec<TemplateSpec>,
    /// Per raw workload, its template in `templates`.
    pub template_of: Vec<TemplateId>,
    /// The problems found resolving the templates' priority classes, reported after the
    /// `priority_classes` section's own (`priority_classes::check`).
    pub priority_diags: Vec<super::Diagnostic>,
    pub hpas: Vec<Option<Box<HpaSpec>>>,
    /// Workload name → index into `raw.workloads`.
    pub index: HashMap<String, u32>,
    /// Per raw workload, its rolling-update strategy.
    pub strategies: Vec<RollingUpdateSpec>,
}

/// Parses a `time_s,value` CSV load curve already read from disk. A first line starting with
/// a letter is a header.
pub(crate) fn parse_load_csv(file: &LoadCurveText) -> Result<Vec<(u64, f64)>, String> {
    let mut pts = Vec::new();
    for (i, line) in file.text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || (i == 0 && l.chars().next().is_some_and(|c| c.is_alphabetic())) {
            continue;
        }
        let bad = || {
            format!(
                "{}:{}: expected `time_s,value` with numbers, found \"{l}\"",
                file.display,
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

/// Checks every workload's template, HPA and fields, without expanding copies. Each
/// template's priority class is resolved (the Priority admission plugin) before it is
/// interned, since two templates that differ only in their class differ after it.
pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    catalog: &Catalog,
    rc_ix: &HashMap<String, u32>,
    files: &ScenarioFiles,
) -> Checked {
    let classes = super::priority_classes::Classes::new(raw);
    let mut priority_cx = Ctx::default();
    let mut interner = Interner::default();
    let mut template_of = Vec::with_capacity(raw.workloads.len());
    let wp = Path::root().field("workloads");
    let index = index_names(
        cx,
        raw.workloads.iter().map(|w| w.name.as_str()),
        &wp,
        "workload",
    );
    let mut hpas = Vec::with_capacity(raw.workloads.len());
    let mut strategies = Vec::with_capacity(raw.workloads.len());
    for (i, w) in raw.workloads.iter().enumerate() {
        let path = wp.index(i);
        let tp = path.field("template");
        let mut spec = template(cx, raw, w, &tp, catalog, rc_ix);
        classes.apply(&mut priority_cx, w, &tp, &mut spec);
        template_of.push(interner.intern(spec, w.kind));
        if w.kind == raw::WorkloadKind::DaemonSet && w.replicas != 1 {
            cx.err(
                path.field("replicas"),
                "a DaemonSet runs one pod per matching node; remove `replicas`",
            );
        }
        if w.kind == raw::WorkloadKind::Pod && w.replicas != 1 {
            cx.err(
                path.field("replicas"),
                "a bare Pod is one pod; remove `replicas`",
            );
        }
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
        job(cx, w, &path);
        hpas.push(hpa(cx, w, &path, files).map(Box::new));
        strategies.push(strategy(cx, w, &path));
        if w.count == 0 {
            cx.err(path.field("count"), "expected at least one copy");
        }
    }
    Checked {
        templates: interner.templates,
        template_of,
        priority_diags: priority_cx.diags,
        hpas,
        index,
        strategies,
    }
}

/// Gives equal templates one id. Thousands of workloads often share a pod template (an
/// imported cluster's Deployments, a trace written as one Job per pod); one `TemplateSpec`
/// each would hold kilobytes per workload, and the scheduler's and the autoscaler's
/// per-template caches would start cold for every pod.
///
/// Sharing is exact: everything a template id keys holds for any pod of that content
/// (filter and score caches, pod-affinity counts by labels, the autoscaler's fit caches),
/// and what a controller keys by template (a rollout's ReplicaSets) it keys within one
/// workload. The scheduler derives two flags from the kinds of the workloads using a template
/// (`tolerates_unschedulable` for DaemonSets, the default spreading of Deployments), so
/// templates of different kind classes are never shared. Ids are given in order of first
/// use, so a scenario with no equal templates keeps id i for raw workload i.
#[derive(Default)]
struct Interner {
    templates: Vec<TemplateSpec>,
    /// Template indices by `fingerprint` (equal ones are found by `==`).
    by_print: ByContent<u32>,
    /// The kind class of each template (`kind_class`).
    class: Vec<u8>,
}

impl Interner {
    fn intern(&mut self, spec: TemplateSpec, kind: raw::WorkloadKind) -> TemplateId {
        let class = kind_class(kind);
        let print = fingerprint(&spec, class);
        let same = |&t: &u32| self.class[t as usize] == class && self.templates[t as usize] == spec;
        if let Some(t) = self.by_print.find(print, same) {
            return TemplateId(t);
        }
        let t = self.templates.len() as u32;
        self.by_print.keep(print, t);
        self.templates.push(spec);
        self.class.push(class);
        TemplateId(t)
    }
}

/// What the scheduler tells apart by the kinds of the workloads using a template: DaemonSet
/// pods tolerate cordoned nodes, Deployment pods get the default topology spreading.
fn kind_class(kind: raw::WorkloadKind) -> u8 {
    match kind {
        raw::WorkloadKind::Deployment => 0,
        raw::WorkloadKind::DaemonSet => 1,
        raw::WorkloadKind::Pod | raw::WorkloadKind::Job => 2,
    }
}

/// A hash of the fields in which templates most often differ; equal templates have equal
/// prints, and `Interner::intern` compares whole templates within a print.
fn fingerprint(t: &TemplateSpec, class: u8) -> u64 {
    use std::hash::Hash;
    print_of(|h| {
        class.hash(h);
        (t.requests.cpu_m, t.requests.mem, t.scalar_requests).hash(h);
        (t.priority, t.containers.len(), t.init_containers.len()).hash(h);
        for c in t.init_containers.iter().chain(&t.containers) {
            (c.image.0, &c.name, c.start_delay, c.run_for).hash(h);
        }
        (&t.labels, &t.node_selector).hash(h);
    })
}

pub(super) fn template(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    w: &raw::Workload,
    tp: &Path,
    catalog: &Catalog,
    rc_ix: &HashMap<String, u32>,
) -> TemplateSpec {
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
            if let Some(image) = catalog.resolve(cx, &ct.image, cp.field("image")) {
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
                        None => catalog.images[image.idx()].default_policy,
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
    let init_containers = conv(cx, &t.init_containers, "init_containers");
    let containers = conv(cx, &t.containers, "containers");
    check_tolerations(cx, &t.tolerations, &tp.field("tolerations"));
    let mut node_selector: BTreeMap<String, String> = t.node_selector.clone();
    let mut tolerations = t.tolerations.clone();
    // DaemonSet pods carry the controller's own unlimited tolerations for these taints, so the
    // admission plugin adds nothing to them (`taint_eviction::daemon_tolerations`).
    if w.kind != raw::WorkloadKind::DaemonSet {
        tolerations.extend(default_toleration_seconds(&t.tolerations));
    }
    let mut overhead = Res::default();
    let mut runtime_class = None;
    let mut conflict = None;
    if let Some(rc_name) = &t.runtime_class_name {
        match rc_ix.get(rc_name) {
            None => cx.err(
                tp.field("runtime_class_name"),
                format!("unknown RuntimeClass \"{rc_name}\"; declare it under `runtime_classes`"),
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
                    overhead.cpu_m = overhead.cpu_m.saturating_add(o.cpu.0);
                    overhead.mem = overhead.mem.saturating_add(o.memory.0);
                }
            }
        }
    }
    if isolation == IsolationMode::HyperV {
        overhead.mem = overhead
            .mem
            .saturating_add(raw.kubelet.hyperv_memory_overhead.0);
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
                check_terms(cx, req, &tp.field("affinity").field("required"));
            }
            for (j, pt) in a.preferred.iter().enumerate() {
                let pp = tp.field("affinity").field("preferred").index(j);
                if !(1..=100).contains(&pt.weight) {
                    cx.err(pp.field("weight"), "expected a weight from 1 to 100");
                }
                check_terms(
                    cx,
                    std::slice::from_ref(&pt.preference),
                    &pp.field("preference"),
                );
            }
            (a.required.clone(), a.preferred.clone())
        }
        None => (None, Vec::new()),
    };
    for (field, a) in [
        ("pod_affinity", &t.pod_affinity),
        ("pod_anti_affinity", &t.pod_anti_affinity),
    ] {
        if let Some(a) = a.as_deref() {
            check_pod_affinity(cx, a, &tp.field(field));
        }
    }
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
    // Saturating: requests near u64::MAX are refused by no parser, and must not wrap.
    let sum = |f: &dyn Fn(&ContainerSpec) -> u64| {
        containers.iter().map(f).fold(0u64, u64::saturating_add)
    };
    let max_init =
        |f: &dyn Fn(&ContainerSpec) -> u64| init_containers.iter().map(f).max().unwrap_or(0);
    let nz_cpu = |c: &ContainerSpec| {
        if c.cpu_m == 0 {
            defaults::NONZERO_CPU_M
        } else {
            c.cpu_m
        }
    };
    let nz_mem = |c: &ContainerSpec| {
        if c.mem == 0 {
            defaults::NONZERO_MEMORY
        } else {
            c.mem
        }
    };
    // Scalar resources the same way, per slot (resourcehelper.PodRequests); no overhead
    // (RuntimeClass overhead here is cpu and memory).
    let mut scalars = [0u64; crate::model::SCALAR_SLOTS];
    {
        let per = |cx: &mut Ctx, list: &[raw::Container], field: &'static str| {
            list.iter()
                .enumerate()
                .map(|(c, ct)| {
                    super::resources::container_scalars(cx, ct, &tp.field(field).index(c))
                })
                .collect::<Vec<_>>()
        };
        let app = per(cx, &t.containers, "containers");
        let init = per(cx, &t.init_containers, "init_containers");
        for (k, slot) in scalars.iter_mut().enumerate() {
            let sum = app.iter().map(|a| a[k]).fold(0u64, u64::saturating_add);
            *slot = sum.max(init.iter().map(|a| a[k]).max().unwrap_or(0));
        }
    }
    let host_ports = super::resources::host_ports(cx, &t.containers, t.host_network, tp);
    let requests = Res {
        cpu_m: sum(&|c| c.cpu_m)
            .max(max_init(&|c| c.cpu_m))
            .saturating_add(overhead.cpu_m),
        mem: sum(&|c| c.mem)
            .max(max_init(&|c| c.mem))
            .saturating_add(overhead.mem),
        pods: 1,
    };
    let nonzero = Res {
        cpu_m: sum(&nz_cpu)
            .max(max_init(&nz_cpu))
            .saturating_add(overhead.cpu_m),
        mem: sum(&nz_mem)
            .max(max_init(&nz_mem))
            .saturating_add(overhead.mem),
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
    TemplateSpec {
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
        termination_grace_ms: t
            .termination_grace_period
            .map_or(defaults::TERMINATION_GRACE_PERIOD_MS, |d| d.0),
        requests,
        nonzero,
        per_node_labels,
        images: images_of_pod,
        privileged,
        // Set with the priority by `priority_classes::apply`.
        preemption_policy: PreemptionPolicy::PreemptLowerPriority,
        admission_error: conflict,
        labels: t.labels.clone(),
        pod_affinity: t.pod_affinity.as_deref().cloned().unwrap_or_default(),
        pod_anti_affinity: t.pod_anti_affinity.as_deref().cloned().unwrap_or_default(),
        host_ports,
        scalar_requests: scalars,
    }
}

fn hpa(cx: &mut Ctx, w: &raw::Workload, path: &Path, files: &ScenarioFiles) -> Option<HpaSpec> {
    w.hpa.as_ref().map(|h| {
        let hp = path.field("hpa");
        if w.kind == raw::WorkloadKind::DaemonSet {
            cx.err(hp.clone(), "an HPA scales Deployments, not DaemonSets");
        }
        if w.kind == raw::WorkloadKind::Pod {
            cx.err(hp.clone(), "an HPA scales Deployments, not bare Pods");
        }
        if w.kind == raw::WorkloadKind::Job {
            cx.err(hp.clone(), "an HPA scales Deployments, not Jobs");
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
            raw::Load::Csv(f) => match files.load_curve(f).and_then(parse_load_csv) {
                Ok(v) => v,
                Err(e) => {
                    cx.err(hp.field("load"), e);
                    load_unreadable = true;
                    Vec::new()
                }
            },
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
        let (scale_up_window, scale_down_window, behavior) = hpa_behavior(cx, h, &hp);
        HpaSpec {
            min_replicas: h.min_replicas,
            max_replicas: h.max_replicas,
            load,
            capacity_per_pod: h.capacity_per_pod,
            target_utilization: h.target_utilization,
            tolerance: h.tolerance,
            sync_period: h.sync_period.0.max(1),
            scale_up_window,
            scale_down_window,
            behavior,
        }
    })
}

/// The windows and policies of an HPA: `behavior` with the API's defaults for what it leaves
/// out (k/k `pkg/apis/autoscaling/v2/defaults.go`), its scale-down window defaulting to
/// `scale_down_stabilization` (the controller's flag, `maybeInitScaleDownStabilizationWindow`).
/// A non-zero `scale_up_stabilization` without `behavior` stands for a behavior whose scale-up
/// has that window (it exists only in a behavior). Limits from k/k validation
/// `validateScalingRules`: windows ≤ 3600 s, at least one policy, values > 0, periods 1–1800 s.
/// Returns the scale-up window, the scale-down window and the policies.
fn hpa_behavior(
    cx: &mut Ctx,
    h: &raw::Hpa,
    hp: &Path,
) -> (u64, u64, Option<crate::model::HpaBehaviorSpec>) {
    let implied = raw::HpaBehavior::default();
    let b = match &h.behavior {
        Some(b) => b,
        None if h.scale_up_stabilization.0 > 0 => &implied,
        None => return (0, h.scale_down_stabilization.0, None),
    };
    const MAX_WINDOW_MS: u64 = 3_600_000;
    const MAX_PERIOD_MS: u64 = 1_800_000;
    let bp = hp.field("behavior");
    let side = |cx: &mut Ctx,
                rules: &Option<raw::ScalingRules>,
                name: &'static str,
                default: crate::model::ScalingRulesSpec,
                default_window: u64|
     -> (crate::model::ScalingRulesSpec, u64) {
        let sp = bp.field(name);
        let Some(r) = rules else {
            return (default, default_window);
        };
        let window = r.stabilization_window.map_or(default_window, |d| d.0);
        if window > MAX_WINDOW_MS {
            cx.err(
                sp.field("stabilization_window"),
                "expected at most 3600s, as the API server allows",
            );
        }
        let policies = match &r.policies {
            None => default.policies,
            Some(ps) => {
                if ps.is_empty() {
                    cx.err(sp.field("policies"), "expected at least one policy");
                }
                for (i, p) in ps.iter().enumerate() {
                    if p.value == 0 {
                        cx.err(
                            sp.field("policies").index(i).field("value"),
                            "expected a positive value",
                        );
                    }
                    if p.period.0 == 0 || p.period.0 > MAX_PERIOD_MS || p.period.0 % 1000 != 0 {
                        cx.err(
                            sp.field("policies").index(i).field("period"),
                            "expected whole seconds from 1s to 1800s, as the API server allows",
                        );
                    }
                }
                ps.iter()
                    .map(|p| crate::model::ScalingPolicySpec {
                        kind: p.kind,
                        value: p.value,
                        period: p.period.0,
                    })
                    .collect()
            }
        };
        (
            crate::model::ScalingRulesSpec {
                select_policy: r.select_policy.unwrap_or(default.select_policy),
                policies,
            },
            window,
        )
    };
    let (up, up_window) = side(
        cx,
        &b.scale_up,
        "scale_up",
        crate::model::ScalingRulesSpec::default_scale_up(),
        h.scale_up_stabilization.0,
    );
    let (down, down_window) = side(
        cx,
        &b.scale_down,
        "scale_down",
        crate::model::ScalingRulesSpec::default_scale_down(),
        h.scale_down_stabilization.0,
    );
    (
        up_window,
        down_window,
        Some(crate::model::HpaBehaviorSpec {
            scale_up: up,
            scale_down: down,
        }),
    )
}

/// The checks on a Job's fields, and that only Jobs have them.
fn job(cx: &mut Ctx, w: &raw::Workload, path: &Path) {
    if w.kind != raw::WorkloadKind::Job {
        if w.job.is_some() {
            cx.err(
                path.field("job"),
                "`job` belongs to Jobs; set `kind: Job` or remove it",
            );
        }
        return;
    }
    if w.replicas != 1 {
        cx.err(
            path.field("replicas"),
            "a Job's size is `job.completions` and `job.parallelism`; remove `replicas`",
        );
    }
    match &w.job {
        None => cx.err(
            path.field("kind"),
            "a Job needs `job: (run_time: DURATION)`: how long each pod runs",
        ),
        Some(j) => {
            let jp = path.field("job");
            if j.completions == 0 {
                cx.err(jp.field("completions"), "expected at least one completion");
            }
            if j.parallelism == 0 {
                cx.err(
                    jp.field("parallelism"),
                    "expected a parallelism of at least 1",
                );
            }
            if j.active_deadline.is_some_and(|d| d.0 == 0) {
                cx.err(
                    jp.field("active_deadline"),
                    "expected a positive deadline (the API server rejects 0)",
                );
            }
        }
    }
}

/// The validated `JobSpec` of a Job workload with a `job` section.
fn job_spec(w: &raw::Workload) -> Option<JobSpec> {
    w.job.as_ref().map(|j| JobSpec {
        completions: j.completions,
        parallelism: j.parallelism,
        backoff_limit: j.backoff_limit,
        active_deadline: j.active_deadline.map(|d| d.0),
        run_time: j.run_time.0,
        failure_backoff: (
            defaults::JOB_POD_FAILURE_BACKOFF_MS,
            defaults::JOB_POD_FAILURE_BACKOFF_MAX_MS,
        ),
    })
}

/// The most pods one life of a Job creates: `completions` that succeed and `backoff_limit + 1`
/// that fail (the last failure ends the Job), for the size limits.
pub(super) fn job_pods_bound(w: &raw::Workload) -> u64 {
    w.job.as_ref().map_or(0, |j| {
        (j.completions as u64)
            .saturating_add(j.backoff_limit as u64)
            .saturating_add(1)
    })
}

/// The DefaultTolerationSeconds admission plugin (k/k
/// `plugin/pkg/admission/defaulttolerationseconds/admission.go`): a pod without a toleration
/// of `node.kubernetes.io/not-ready:NoExecute` (resp. `unreachable`) gets one with
/// `tolerationSeconds: 300`. A toleration counts when its key is that key or empty and its
/// effect is NoExecute or empty, whatever its operator. The plugin runs before RuntimeClass
/// admission (k/k `pkg/kubeapiserver/options/plugins.go`, `AllOrderedPlugins`), so only the
/// pod's own tolerations are looked at and the defaults come before the RuntimeClass's.
fn default_toleration_seconds(own: &[selector::Toleration]) -> Vec<selector::Toleration> {
    let tolerates = |key: &str| {
        own.iter().any(|t| {
            (t.key == key || t.key.is_empty())
                && matches!(t.effect, None | Some(selector::TaintEffect::NoExecute))
        })
    };
    [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]
    .into_iter()
    .filter(|key| !tolerates(key))
    .map(|key| selector::Toleration {
        key: key.into(),
        operator: selector::TolerationOperator::Exists,
        value: String::new(),
        effect: Some(selector::TaintEffect::NoExecute),
        toleration_seconds: Some(defaults::DEFAULT_TOLERATION_SECONDS),
    })
    .collect()
}

/// A Deployment's `strategy`, with the API's 25 % for a field left out. `maxSurge` and
/// `maxUnavailable` both 0 is rejected as the API server's `ValidateRollingUpdateDeployment`
/// does ("may not be 0 when `maxSurge` is 0").
fn strategy(cx: &mut Ctx, w: &raw::Workload, path: &Path) -> RollingUpdateSpec {
    let Some(s) = &w.strategy else {
        return RollingUpdateSpec::default();
    };
    let sp = path.field("strategy");
    if w.kind != raw::WorkloadKind::Deployment {
        cx.err(
            sp.clone(),
            "`strategy` is a Deployment's rolling update; remove it from this workload",
        );
    }
    // The raw value is already checked (an integer, or a percent up to 100 as the API
    // validates `maxUnavailable`; `maxSurge` percents may exceed 100 upstream, here they are
    // capped at 100 % too).
    let one = |v: &Option<raw::IntOrPercent>| match v {
        None => IntOrPercent::Percent(defaults::ROLLING_UPDATE_PERCENT),
        Some(v) => int_or_percent(*v),
    };
    let out = RollingUpdateSpec {
        max_surge: one(&s.max_surge),
        max_unavailable: one(&s.max_unavailable),
    };
    let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    if zero(out.max_surge) && zero(out.max_unavailable) {
        cx.err(
            sp.field("max_unavailable"),
            "may not be 0 when `max_surge` is 0: the rollout could never replace a pod",
        );
    }
    out
}

/// The model's `IntOrPercent` of a parsed one (the parser bounds percents to 0..=100).
fn int_or_percent(v: raw::IntOrPercent) -> IntOrPercent {
    match v {
        raw::IntOrPercent::Int(n) => IntOrPercent::Int(n),
        raw::IntOrPercent::Percent(p) => IntOrPercent::Percent(p),
    }
}

/// Copies of each raw workload: their ids and their stagger.
pub(super) type Copies = Vec<(Vec<WorkloadId>, u64)>;

/// Expands templated workloads into their copies. Call only once the size limits passed: the
/// work here is proportional to the `count`s.
pub(super) fn expand(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    hpas: &[Option<Box<HpaSpec>>],
    strategies: &[RollingUpdateSpec],
    template_of: &[TemplateId],
) -> (Vec<WorkloadSpec>, Copies) {
    let wp = Path::root().field("workloads");
    // `limits::check` has bounded the copies.
    let copies_total: usize = raw.workloads.iter().map(|w| w.count as usize).sum();
    let mut workloads: Vec<WorkloadSpec> = Vec::with_capacity(copies_total);
    // The raw workload each copy comes from, to report name collisions where they are written.
    let mut owner: Vec<usize> = Vec::with_capacity(copies_total);
    let mut copies: Copies = Vec::with_capacity(raw.workloads.len());
    for (i, (w, hpa)) in raw.workloads.iter().zip(hpas).enumerate() {
        let kind = match w.kind {
            raw::WorkloadKind::Deployment => WorkloadKind::Deployment,
            raw::WorkloadKind::DaemonSet => WorkloadKind::DaemonSet,
            raw::WorkloadKind::Pod => WorkloadKind::Pod,
            raw::WorkloadKind::Job => WorkloadKind::Job,
        };
        let job = job_spec(w);
        let budget = disruption_budget(cx, raw, i);
        let mut ids = Vec::with_capacity(w.count as usize);
        for c in 0..w.count {
            // Saturating: a huge stagger pushes late copies past the end, never wraps around.
            let shift = (c as u64).saturating_mul(w.stagger.0);
            let name = if w.count == 1 {
                w.name.clone()
            } else {
                format!("{}-{c}", w.name)
            };
            ids.push(WorkloadId::from_idx(workloads.len()));
            owner.push(i);
            workloads.push(WorkloadSpec {
                hpa: hpa.as_ref().map(|h| {
                    let mut h = h.clone();
                    for p in &mut h.load {
                        p.0 = p.0.saturating_add(shift);
                    }
                    h
                }),
                name,
                kind,
                replicas: w.replicas,
                created_at: w
                    .created_at
                    .map(|d| d.0.saturating_add(shift))
                    .filter(|&t| t <= raw.duration.0),
                template: template_of[i],
                job: job.clone(),
                strategy: strategies[i],
                disruption_budget: budget,
                // Set once every namespace is known (`quotas::assign`).
                namespace: 0,
            });
        }
        copies.push((ids, w.stagger.0));
    }
    // Copies must not collide with other workloads' names.
    let mut seen = std::collections::BTreeSet::new();
    for (w, &raw_i) in workloads.iter().zip(&owner) {
        if !seen.insert(w.name.as_str()) {
            cx.err(
                wp.index(raw_i).field("name"),
                format!(
                    "workload name \"{}\" is used twice (copies are named NAME-i)",
                    w.name
                ),
            );
        }
    }
    (workloads, copies)
}

/// The `disruption_budget` of raw workload `i`, checked: exactly one of `min_available` and
/// `max_unavailable` (the API's validation), on a Deployment, and one that can be met. An
/// integer `min_available` above the most replicas the workload ever asks for (its `replicas`,
/// its HPA's `max_replicas`, its timeline `Scale`s) can never be met: every eviction of its
/// pods would be refused for the whole run, so it is an error here (upstream accepts it and
/// reports `disruptionsAllowed: 0`). A budget that allows no disruption while met
/// (`max_unavailable: 0`, `min_available: "100%"` or equal to the replicas) is accepted: the
/// Kubernetes docs describe it as a deliberate way to forbid voluntary evictions, and a drain
/// then stops at its timeout.
fn disruption_budget(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    i: usize,
) -> Option<crate::model::disruption::Budget> {
    use crate::model::disruption::Budget;
    let w = &raw.workloads[i];
    let b = w.disruption_budget.as_ref()?;
    let p = Path::root()
        .field("workloads")
        .index(i)
        .field("disruption_budget");
    if w.kind != raw::WorkloadKind::Deployment {
        cx.err(
            p,
            format!(
                "workload \"{}\" is not a Deployment: `disruption_budget` is supported on \
                 Deployments (a drain never evicts DaemonSet pods)",
                w.name
            ),
        );
        return None;
    }
    let budget = match (b.min_available, b.max_unavailable) {
        (Some(_), Some(_)) | (None, None) => {
            cx.err(
                p,
                "expected exactly one of `min_available` and `max_unavailable` (as a \
                 PodDisruptionBudget's spec)",
            );
            return None;
        }
        (Some(v), None) => Budget::MinAvailable(int_or_percent(v)),
        (None, Some(v)) => Budget::MaxUnavailable(int_or_percent(v)),
    };
    if let Budget::MinAvailable(IntOrPercent::Int(n)) = budget {
        let scales = raw.timeline.iter().filter_map(|e| match &e.action {
            raw::Action::Scale { workload, replicas } if *workload == w.name => Some(*replicas),
            _ => None,
        });
        let most = scales
            .chain(std::iter::once(w.replicas))
            .chain(w.hpa.as_ref().map(|h| h.max_replicas))
            .max()
            .unwrap_or(0);
        if n > most {
            cx.err(
                p.field("min_available"),
                format!(
                    "min_available {n} can never be met: workload \"{}\" has at most {most} \
                     replica(s) (its replicas, HPA max_replicas and timeline Scales), so every \
                     eviction of its pods would be refused",
                    w.name
                ),
            );
            return None;
        }
    }
    Some(budget)
}

#[cfg(test)]
mod tests {
    use crate::model::Spec;

    /// A scenario with these workloads (and a `high` priority class) on one Linux pool.
    fn spec(workloads: &str) -> Spec {
        let text = format!(
            r#"Scenario(
    name: "t",
    duration: "1h",
    pools: [(name: "p", os: Linux, cpu: "8", memory: "32Gi", count: 1)],
    layers: [(name: "l", size: "1MB")],
    images: [(name: "app:1", platforms: [(os: Linux, layers: ["l"])])],
    priority_classes: [(name: "high", value: 1000)],
    workloads: [{workloads}],
)"#
        );
        crate::scenario::load_str(&text, "t.ron")
            .unwrap_or_else(|e| panic!("{e}"))
            .1
    }

    fn ids(s: &Spec) -> Vec<u32> {
        s.workloads.iter().map(|w| w.template.0).collect()
    }

    const POD: &str = r#"(containers: [(image: "app:1", cpu: "1")])"#;

    #[test]
    fn two_deployments_with_equal_templates_share_one_and_a_third_with_another_request_does_not() {
        let s = spec(&format!(
            r#"(name: "a", template: {POD}), (name: "b", template: {POD}),
               (name: "c", template: (containers: [(image: "app:1", cpu: "2")]))"#
        ));
        assert_eq!(ids(&s), [0, 0, 1]);
        assert_eq!(s.templates.len(), 2);
    }

    #[test]
    fn a_deployment_and_a_job_with_equal_templates_keep_two_because_the_scheduler_spreads_only_the_deployment()
     {
        let s = spec(&format!(
            r#"(name: "a", template: {POD}), (name: "j", kind: Job, job: (run_time: "1m"), template: {POD}),
               (name: "p", kind: Pod, template: {POD})"#
        ));
        // A Job and a bare Pod are one class: neither is spread by default nor a DaemonSet.
        assert_eq!(ids(&s), [0, 1, 1]);
    }

    #[test]
    fn templates_that_differ_only_in_their_priority_class_keep_two() {
        let s = spec(&format!(
            r#"(name: "a", template: {POD}),
               (name: "b", template: (containers: [(image: "app:1", cpu: "1")], priority_class_name: "high"))"#
        ));
        assert_eq!(ids(&s), [0, 1]);
        assert_eq!(s.templates[1].priority, 1000);
        assert_eq!(s.templates[0].priority, 0);
    }

    #[test]
    fn with_no_equal_templates_raw_workload_i_keeps_template_i_and_copies_share_it() {
        let s = spec(
            r#"(name: "a", count: 2, template: (containers: [(image: "app:1", cpu: "1")])),
               (name: "b", template: (containers: [(image: "app:1", cpu: "2")]))"#,
        );
        assert_eq!(ids(&s), [0, 0, 1]);
    }
}
