//! ResourceQuota admission: a namespace's quotas, its usage, and whether a new pod fits.
//!
//! Owns: the quota rules of k/k `staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go`
//! (`checkRequest`: every quota of the pod's namespace, in name order; the `Constraints` check of
//! each first, then `used + requested <= hard` for each resource the pod requests and the quota
//! tracks) and of the pod evaluator, k/k `pkg/quota/v1/evaluator/core/pods.go` (what a pod
//! uses: `pods`, `count/pods`, `requests.cpu`/`cpu`, `requests.memory`/`memory`,
//! `requests.ephemeral-storage`/`ephemeral-storage`, `requests.<extended>`; which pods count:
//! `QuotaV1Pod`; the `validationSet` rule that a quota on cpu or memory refuses a container
//! that does not request it), and the namespace usage kept up to date as pods change phase.
//! Does not own: what a controller does after a refusal (`controllers`), or the counts the
//! summary reports (`report::summary` reads `QuotaUsage::refusals`).
//!
//! Usage is charged when a pod is created and returned when it leaves the phases
//! `QuotaV1Pod` counts (`charged`), both through `metrics::Recorder`, which sees every phase
//! change: O(1) per change, nothing scans pods. A scenario without quotas has no `QuotaUsage`
//! (`Recorder::quota` is None), so its hot path tests one `Option`.

use super::cluster::PodPhase;
use super::{EPHEMERAL_STORAGE, Res, Scalars, Spec, TemplateId, WorkloadId};
use std::fmt::Write;

/// What one `hard` entry of a quota counts.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tracked {
    /// `pods`, `count/pods`.
    Pods,
    /// `requests.cpu`, `cpu` (millicores).
    Cpu,
    /// `requests.memory`, `memory` (bytes).
    Memory,
    /// `requests.ephemeral-storage`, `ephemeral-storage`, `requests.<extended resource>`: a
    /// slot of `Scalars`.
    Scalar(usize),
}

/// One ResourceQuota (`v1`), validated: only resources the model evaluates, no scopes.
#[derive(Clone, Debug, PartialEq)]
pub struct QuotaSpec {
    pub name: String,
    /// Index into `Spec::namespaces`.
    pub namespace: u32,
    /// `spec.hard`: (resource name as written, what it counts, the limit), sorted by name as
    /// upstream's `prettyPrint` lists them.
    pub hard: Vec<(String, Tracked, u64)>,
}

/// A namespace's usage: what its charged pods request.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub pods: u64,
    pub cpu_m: u64,
    pub mem: u64,
    pub scalars: Scalars,
}

impl Usage {
    fn get(&self, t: Tracked) -> u64 {
        match t {
            Tracked::Pods => self.pods,
            Tracked::Cpu => self.cpu_m,
            Tracked::Memory => self.mem,
            Tracked::Scalar(s) => self.scalars[s],
        }
    }
}

/// The usage of one pod of a template (`PodUsageFunc`: one pod, its effective requests).
fn pod_usage(r: &Res, s: &Scalars) -> Usage {
    Usage {
        pods: 1,
        cpu_m: r.cpu_m,
        mem: r.mem,
        scalars: *s,
    }
}

/// Whether a pod in `phase` counts against its namespace's quotas (`QuotaV1Pod`): every pod
/// but terminal ones (Succeeded, Failed) and those that never existed (Rejected by admission)
/// or are gone (Deleted). A terminating pod counts: upstream stops charging it only once
/// `deletionTimestamp + deletionGracePeriodSeconds` has passed, that is twice its grace period
/// after the deletion (the API server sets `deletionTimestamp` to now + grace), and the model's
/// terminating pods leave after one grace period (`controllers::terminate_pod`). A pod stuck
/// terminating on a down node is the one difference: it counts here until it leaves.
pub fn charged(phase: PodPhase) -> bool {
    phase.holds_node()
}

/// A refused pod creation: the quota that refused it and upstream's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Index into `Spec::quotas`.
    pub quota: usize,
    pub message: String,
}

/// The live usage of every namespace and the refusals so far.
#[derive(Clone, Debug, Default)]
pub struct QuotaUsage {
    /// Per workload, its namespace (copied from the spec so phase changes need no spec).
    ns_of: Vec<u32>,
    /// Per template, one pod's usage.
    per_pod: Vec<Usage>,
    /// Per namespace (`Spec::namespaces`).
    pub used: Vec<Usage>,
    /// Per workload, pod creations refused.
    pub refusals: Vec<u64>,
    /// Per quota (`Spec::quotas`), pod creations it refused.
    pub quota_refusals: Vec<u64>,
    /// Per quota, the message of its latest refusal (empty if none).
    pub last_message: Vec<String>,
}

impl QuotaUsage {
    /// Empty usage for `spec`; None when it has no quota, so phase changes cost nothing.
    pub fn for_spec(spec: &Spec) -> Option<QuotaUsage> {
        if !spec.has_quotas() {
            return None;
        }
        Some(QuotaUsage {
            ns_of: spec.workloads.iter().map(|w| w.namespace).collect(),
            per_pod: spec
                .templates
                .iter()
                .map(|t| pod_usage(&t.requests, &t.scalar_requests))
                .collect(),
            used: vec![Usage::default(); spec.namespaces.len()],
            refusals: vec![0; spec.workloads.len()],
            quota_refusals: vec![0; spec.quotas.len()],
            last_message: vec![String::new(); spec.quotas.len()],
        })
    }

    /// A pod of `wl` from template `t` moved from `from` to `to` (a new pod: from None).
    #[inline]
    pub fn transition(
        &mut self,
        wl: WorkloadId,
        t: TemplateId,
        from: Option<PodPhase>,
        to: PodPhase,
    ) {
        let (was, is) = (from.is_some_and(charged), charged(to));
        if was == is {
            return;
        }
        let (Some(&ns), Some(u)) = (self.ns_of.get(wl.idx()), self.per_pod.get(t.idx())) else {
            return;
        };
        let used = &mut self.used[ns as usize];
        if is {
            used.pods += u.pods;
            used.cpu_m += u.cpu_m;
            used.mem += u.mem;
            super::add_scalars(&mut used.scalars, &u.scalars);
        } else {
            used.pods -= u.pods;
            used.cpu_m -= u.cpu_m;
            used.mem -= u.mem;
            super::sub_scalars(&mut used.scalars, &u.scalars);
        }
    }

    /// Records a refusal of a pod of `wl` by quota `q`.
    pub fn refused(&mut self, wl: WorkloadId, q: usize, message: String) {
        self.refusals[wl.idx()] += 1;
        self.quota_refusals[q] += 1;
        self.last_message[q] = message;
    }

    /// Whether the ResourceQuota admission plugin lets a pod of `wl` from template `t` be
    /// created now. The caller charges the pod's usage by creating it.
    pub fn admit(&self, spec: &Spec, wl: WorkloadId, t: TemplateId) -> Result<(), Refusal> {
        let ns = spec.workloads[wl.idx()].namespace;
        let quotas = spec.quotas_of(ns);
        let first = quotas.start;
        let tpl = spec.template(t);
        // `Constraints` of every quota first (`checkRequest`'s first loop): a quota on cpu or
        // memory refuses a pod with a container that does not request it.
        for (qi, q) in spec.quotas[quotas.clone()].iter().enumerate() {
            let mut missing = String::new();
            for (name, tracked, _) in &q.hard {
                let unset = match tracked {
                    Tracked::Cpu => tpl
                        .init_containers
                        .iter()
                        .chain(&tpl.containers)
                        .any(|c| c.cpu_m == 0),
                    Tracked::Memory => tpl
                        .init_containers
                        .iter()
                        .chain(&tpl.containers)
                        .any(|c| c.mem == 0),
                    _ => false,
                };
                if unset {
                    if !missing.is_empty() {
                        missing.push(',');
                    }
                    missing.push_str(name);
                }
            }
            if !missing.is_empty() {
                return Err(Refusal {
                    quota: first + qi,
                    message: format!("failed quota: {}: must specify {missing}", q.name),
                });
            }
        }
        let used = &self.used[ns as usize];
        let req = &self.per_pod[t.idx()];
        for (qi, q) in spec.quotas[quotas].iter().enumerate() {
            // Only what the pod requests is checked (`RemoveZeros` of the delta): a quota
            // already over a limit the pod does not use lets it through.
            let exceeded = |&&(_, tr, hard): &&(String, Tracked, u64)| {
                let r = req.get(tr);
                r > 0 && used.get(tr) + r > hard
            };
            if !q.hard.iter().any(|e| exceeded(&e)) {
                continue;
            }
            let list = |value: &dyn Fn(Tracked, u64) -> u64| {
                let mut s = String::new();
                for (name, tr, hard) in q.hard.iter().filter(exceeded) {
                    if !s.is_empty() {
                        s.push(',');
                    }
                    let _ = write!(s, "{name}={}", format_quantity(*tr, value(*tr, *hard)));
                }
                s
            };
            return Err(Refusal {
                quota: first + qi,
                message: format!(
                    "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                    q.name,
                    list(&|tr, _| req.get(tr)),
                    list(&|tr, _| used.get(tr)),
                    list(&|_, hard| hard),
                ),
            });
        }
        Ok(())
    }
}

/// A quantity as `resource.Quantity.String()` prints it in canonical form: cpu in cores or
/// millicores (`2`, `1500m`), bytes with the largest binary suffix that divides them exactly
/// (`8Gi`), else the largest decimal one (`500M`), else plain; counts plain. Upstream keeps
/// each quantity's own format (a quota written `8G` prints `8G`); here a byte amount that both
/// suffixes divide prints binary.
pub fn format_quantity(t: Tracked, v: u64) -> String {
    match t {
        Tracked::Pods => v.to_string(),
        Tracked::Cpu if v.is_multiple_of(1000) => (v / 1000).to_string(),
        Tracked::Cpu => format!("{v}m"),
        Tracked::Memory | Tracked::Scalar(EPHEMERAL_STORAGE) => format_bytes(v),
        // Extended resources are integers.
        Tracked::Scalar(_) => v.to_string(),
    }
}

fn format_bytes(v: u64) -> String {
    if v == 0 {
        return "0".into();
    }
    const BIN: [(&str, u32); 6] = [
        ("Ei", 60),
        ("Pi", 50),
        ("Ti", 40),
        ("Gi", 30),
        ("Mi", 20),
        ("Ki", 10),
    ];
    for (suffix, shift) in BIN {
        if v.is_multiple_of(1u64 << shift) {
            return format!("{}{suffix}", v >> shift);
        }
    }
    const DEC: [(&str, u64); 6] = [
        ("E", 1_000_000_000_000_000_000),
        ("P", 1_000_000_000_000_000),
        ("T", 1_000_000_000_000),
        ("G", 1_000_000_000),
        ("M", 1_000_000),
        ("k", 1_000),
    ];
    for (suffix, unit) in DEC {
        if v.is_multiple_of(unit) {
            return format!("{}{suffix}", v / unit);
        }
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario whose workloads are: 0 `web` (team-a, 1 CPU, 1Gi), 1 `nomem` (team-a, 1 CPU,
    /// no memory request), 2 `gpu` (team-a, 1 CPU, 1Gi, one example.com/gpu), 3 `elsewhere`
    /// (team-b, as `web`); `quotas` is the `resource_quotas` list.
    fn spec_with(quotas: &str) -> Spec {
        let text = format!(
            r#"Scenario(name: "q", duration: "1h",
            pools: [(name: "lin", os: Linux, cpu: "64", memory: "256Gi",
                     extended_resources: {{"example.com/gpu": 8}})],
            layers: [(name: "l1", size: "1MB")],
            images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
            resource_quotas: [{quotas}],
            workloads: [
                (name: "web", namespace: "team-a",
                 template: (containers: [(image: "app:1", cpu: "1", memory: "1Gi")])),
                (name: "nomem", namespace: "team-a",
                 template: (containers: [(image: "app:1", cpu: "1")])),
                (name: "gpu", namespace: "team-a",
                 template: (containers: [(image: "app:1", cpu: "1", memory: "1Gi",
                                          extended_resources: {{"example.com/gpu": 1}})])),
                (name: "elsewhere", namespace: "team-b",
                 template: (containers: [(image: "app:1", cpu: "1", memory: "1Gi")])),
            ])"#
        );
        crate::scenario::load_str(&text, "q.ron")
            .unwrap_or_else(|e| panic!("{e}"))
            .1
    }

    /// (case, quotas, `web` pods already charged, workload asking, expected).
    type Case<'a> = (&'a str, &'a str, u32, u32, Result<(), &'a str>);

    #[test]
    fn admission_refuses_exactly_what_upstream_refuses() {
        let cases: [Case; 9] = [
            (
                // pods: 2 used + 1 > 2.
                "a pod count at its limit refuses the next pod",
                r#"(name: "q", namespace: "team-a", hard: {"pods": 2})"#,
                2,
                0,
                Err("exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"),
            ),
            (
                // 1 used + 1 <= 2.
                "a pod count below its limit admits",
                r#"(name: "q", namespace: "team-a", hard: {"count/pods": 2})"#,
                1,
                0,
                Ok(()),
            ),
            (
                // cpu: 3 × 1000m + 1000m = 4000m > 3500m; memory 3Gi + 1Gi <= 8Gi is not listed.
                "only the exceeded resources are listed",
                r#"(name: "c", namespace: "team-a",
                    hard: {"requests.cpu": "3500m", "requests.memory": "8Gi"})"#,
                3,
                0,
                Err(
                    "exceeded quota: c, requested: requests.cpu=1, used: requests.cpu=3, \
                     limited: requests.cpu=3500m",
                ),
            ),
            (
                // cpu 2 + 1 > 2 and memory 2Gi + 1Gi > 2Gi: both, in name order.
                "several exceeded resources are listed in name order",
                r#"(name: "c", namespace: "team-a", hard: {"memory": "2Gi", "cpu": "2"})"#,
                2,
                0,
                Err(
                    "exceeded quota: c, requested: cpu=1,memory=1Gi, used: cpu=2,memory=2Gi, \
                     limited: cpu=2,memory=2Gi",
                ),
            ),
            (
                // validationSet: a quota on requests.memory needs every container to ask for it.
                "a quota on memory refuses a container without a memory request",
                r#"(name: "m", namespace: "team-a", hard: {"requests.memory": "100Gi"})"#,
                0,
                1,
                Err("failed quota: m: must specify requests.memory"),
            ),
            (
                // Extended resources are not in the validationSet: a pod asking none passes
                // a quota on them, however full.
                "a quota on an extended resource ignores pods that do not request it",
                r#"(name: "g", namespace: "team-a", hard: {"requests.example.com/gpu": 0})"#,
                0,
                0,
                Ok(()),
            ),
            (
                // gpu: 0 used + 1 > 0.
                "a quota on an extended resource refuses a pod over it",
                r#"(name: "g", namespace: "team-a", hard: {"requests.example.com/gpu": 0})"#,
                0,
                2,
                Err(
                    "exceeded quota: g, requested: requests.example.com/gpu=1, used: \
                     requests.example.com/gpu=0, limited: requests.example.com/gpu=0",
                ),
            ),
            (
                // The quota is on team-a; `elsewhere` is in team-b.
                "a quota of another namespace does not apply",
                r#"(name: "q", namespace: "team-a", hard: {"pods": 0})"#,
                0,
                3,
                Ok(()),
            ),
            (
                // Constraints of every quota come first (`checkRequest`): `b`'s missing memory
                // request is reported even though `a` (earlier by name) is exceeded.
                "a missing request is reported before an exceeded quota",
                r#"(name: "a", namespace: "team-a", hard: {"pods": 0}),
                   (name: "b", namespace: "team-a", hard: {"memory": "1Ti"})"#,
                0,
                1,
                Err("failed quota: b: must specify memory"),
            ),
        ];
        for (case, quotas, charged_web, asking, want) in cases {
            let spec = spec_with(quotas);
            let mut u = QuotaUsage::for_spec(&spec).expect("quotas");
            let web = spec.workloads[0].template;
            for _ in 0..charged_web {
                u.transition(WorkloadId(0), web, None, PodPhase::Pending);
            }
            let wl = WorkloadId(asking);
            let got = u.admit(&spec, wl, spec.workloads[asking as usize].template);
            assert_eq!(
                got.map_err(|r| r.message),
                want.map_err(|m| m.split_whitespace().collect::<Vec<_>>().join(" ")),
                "{case}"
            );
        }
    }

    #[test]
    fn pods_stop_counting_when_they_end_and_terminating_ones_still_count() {
        let spec = spec_with(r#"(name: "q", namespace: "team-a", hard: {"pods": 1})"#);
        let mut u = QuotaUsage::for_spec(&spec).unwrap();
        let (wl, t) = (WorkloadId(0), spec.workloads[0].template);
        let team_a = spec.namespaces.iter().position(|n| n == "team-a").unwrap();
        u.transition(wl, t, None, PodPhase::Pending);
        u.transition(wl, t, Some(PodPhase::Pending), PodPhase::Ready);
        // Ready → Terminating: still charged (QuotaV1Pod, within its grace period).
        u.transition(wl, t, Some(PodPhase::Ready), PodPhase::Terminating);
        assert_eq!((u.used[team_a].pods, u.used[team_a].cpu_m), (1, 1_000));
        assert!(u.admit(&spec, wl, t).is_err());
        // Gone: nothing charged, the next pod fits.
        u.transition(wl, t, Some(PodPhase::Terminating), PodPhase::Deleted);
        assert_eq!(u.used[team_a], Usage::default());
        assert!(u.admit(&spec, wl, t).is_ok());
        // Succeeded and Failed free it too; Rejected never existed.
        for end in [PodPhase::Succeeded, PodPhase::Failed, PodPhase::Rejected] {
            u.transition(wl, t, None, PodPhase::Pending);
            u.transition(wl, t, Some(PodPhase::Pending), end);
            assert_eq!(u.used[team_a].pods, 0, "{end:?}");
        }
    }

    #[test]
    fn quantities_print_in_canonical_form() {
        // 8 × 2^30 bytes is 8Gi; 500 × 10^6 is no multiple of 1024 → 500M; 1.5 cores → 1500m.
        assert_eq!(format_quantity(Tracked::Memory, 8 << 30), "8Gi");
        assert_eq!(format_quantity(Tracked::Memory, 500_000_000), "500M");
        assert_eq!(format_quantity(Tracked::Cpu, 1500), "1500m");
        assert_eq!(format_quantity(Tracked::Cpu, 3000), "3");
        assert_eq!(format_quantity(Tracked::Pods, 7), "7");
        assert_eq!(format_quantity(Tracked::Scalar(1), 2), "2");
    }
}
