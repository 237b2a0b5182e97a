//! Workload objects and RuntimeClasses → the scenario's `workloads` and `runtime_classes`.
//!
//! Owns: the mapping of pod templates (containers, requests, probes, selectors, node and pod
//! (anti-)affinity, labels, tolerations, RuntimeClass, HostProcess, priority), the kind each workload object becomes,
//! the API server's defaults the import applies (requests from limits, `replicas: 1`), the
//! required fields it checks (k8s-openapi decodes a missing required field as empty, so the
//! checks are here), and an assumption for everything it drops or fills in. Does not own:
//! workload names (`mod.rs` makes them unique across all objects) or images (`images`).

use super::k8s::{Kind, Object, ObjectRef, Origin, Skipped};
use super::nodes::taint_effect;
use super::{Assumptions, ImportError, jobs, limits, quantity};
use crate::model::pod_affinity::{
    LabelSelector as PodLabelSelector, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm,
};
use crate::scenario::raw::{
    self, NodeAffinity, PreferredTerm, Requirement, SelectorOperator, Term, Toleration,
    TolerationOperator,
};
use crate::scenario::units::{Bytes, Cpu, Duration};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::{BTreeMap, BTreeSet};

/// The annotation that asked for Hyper-V isolation in the Kubernetes versions that supported
/// it (alpha, removed in 1.21); the simulator can still model it.
pub const HYPERV_ANNOTATION: &str = "experimental.windows.kubernetes.io/isolation-type";

/// A workload before its name is made unique.
#[derive(Clone, Debug)]
pub struct Draft {
    pub origin: Origin,
    pub id: ObjectRef,
    pub namespace: String,
    pub name: String,
    pub kind: raw::WorkloadKind,
    pub replicas: u32,
    pub template: raw::PodTemplate,
    /// Jobs only: the modelled `JobSpec`.
    pub job: Option<raw::Job>,
    /// When it is created (a CronJob's firing; 0 for everything else).
    pub created_at: Duration,
    /// A CronJob's `Replace`: when the next firing deletes it.
    pub deleted_at: Option<Duration>,
}

#[derive(Clone, Debug, Default)]
pub struct Mapped {
    pub workloads: Vec<Draft>,
    pub runtime_classes: Vec<raw::RuntimeClass>,
    pub skipped: Vec<Skipped>,
}

/// The inputs' PriorityClasses as the scenario's `priority_classes`, less the built-in
/// `system-` ones the scenario has anyway. The API server refuses a user class above
/// 1,000,000,000 and a preemptionPolicy other than the two, so the import does too.
pub fn priority_classes(
    objects: &[Object],
    errs: &mut Vec<ImportError>,
) -> Vec<raw::PriorityClass> {
    let mut out = Vec::new();
    for o in objects {
        let Kind::PriorityClass(pc) = &o.kind else {
            continue;
        };
        if o.id.name.starts_with("system-") {
            continue;
        }
        let value = pc.value.unwrap_or(0);
        let policy = match pc.preemption_policy.as_deref() {
            None | Some("PreemptLowerPriority") => {
                crate::model::PreemptionPolicy::PreemptLowerPriority
            }
            Some("Never") => crate::model::PreemptionPolicy::Never,
            Some(other) => {
                errs.push(ImportError::at(
                    &o.origin,
                    Some(&o.id),
                    format!(
                        "preemptionPolicy: unknown value \"{other}\" (PreemptLowerPriority or \
                         Never)"
                    ),
                ));
                continue;
            }
        };
        if value > 1_000_000_000 {
            errs.push(ImportError::at(
                &o.origin,
                Some(&o.id),
                format!(
                    "value: {value} is above 1000000000, the highest a user-defined class may \
                     have (the API server refuses it)"
                ),
            ));
            continue;
        }
        out.push(raw::PriorityClass {
            name: o.id.name.clone(),
            value,
            global_default: pc.global_default == Some(true),
            preemption_policy: policy,
        });
    }
    out
}

/// PriorityClass values: the inputs' own plus the two the API server always has.
struct Priorities {
    classes: BTreeMap<String, i32>,
    global_default: Option<(String, i32)>,
}

impl Priorities {
    fn new(objects: &[Object]) -> Self {
        let mut classes: BTreeMap<String, i32> = [
            ("system-node-critical".to_string(), 2_000_001_000),
            ("system-cluster-critical".to_string(), 2_000_000_000),
        ]
        .into_iter()
        .collect();
        let mut global_default = None;
        for o in objects {
            if let Kind::PriorityClass(pc) = &o.kind {
                let v = pc.value.unwrap_or(0);
                classes.insert(o.id.name.clone(), v);
                if pc.global_default == Some(true) {
                    global_default = Some((o.id.name.clone(), v));
                }
            }
        }
        Priorities {
            classes,
            global_default,
        }
    }
}

struct Cx<'a> {
    subject: String,
    asm: &'a mut Assumptions,
    /// The object's namespace's LimitRange defaults, if it has any.
    limits: Option<&'a limits::Namespace>,
}

impl Cx<'_> {
    fn note(&mut self, text: impl Into<String>) {
        self.asm.add(self.subject.clone(), text);
    }
}

/// Maps every workload and RuntimeClass object. Errors name the object; mapping goes on with
/// the next one so that one run reports everything.
pub fn map(objects: &[Object], asm: &mut Assumptions, errs: &mut Vec<ImportError>) -> Mapped {
    let prio = Priorities::new(objects);
    let defaults = limits::collect(objects, asm, errs);
    let present: BTreeSet<(String, String, String)> = objects
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                Kind::Deployment(_)
                    | Kind::ReplicaSet(_)
                    | Kind::StatefulSet(_)
                    | Kind::DaemonSet(_)
                    | Kind::Job(_)
                    | Kind::CronJob(_)
            )
        })
        .map(|o| {
            (
                o.id.kind.clone(),
                o.id.namespace.clone().unwrap_or_default(),
                o.id.name.clone(),
            )
        })
        .collect();
    let mut out = Mapped::default();
    let groups = orphan_groups(objects, &present);
    let observed = jobs::observed_run_times(objects);
    let epoch = objects
        .iter()
        .any(|o| matches!(o.kind, Kind::CronJob(_)))
        .then(|| jobs::epoch(objects));
    if let Some((s, from)) = &epoch {
        asm.add(
            "scenario",
            format!(
                "time 0 is {}: {from}; CronJob schedules are read from that instant on",
                jobs::rfc3339(*s)
            ),
        );
    }
    for o in objects {
        let ns = o.id.namespace.clone().unwrap_or_default();
        let mut cx = Cx {
            subject: o.id.to_string(),
            asm,
            limits: defaults.get(&ns),
        };
        let mut job: Option<raw::Job> = None;
        let result: Result<Option<(raw::WorkloadKind, u32, raw::PodTemplate)>, String> = match &o
            .kind
        {
            Kind::Deployment(d) => {
                let s = &d.spec;
                check_selector(&s.selector, s.template.metadata.as_ref())
                    .and_then(|_| replicas(s.replicas))
                    .and_then(|r| {
                        template_of(&s.template, &prio, &mut cx)
                            .map(|t| Some((raw::WorkloadKind::Deployment, r, t)))
                    })
            }
            Kind::ReplicaSet(rs) => {
                if let Some(owner) = owner_present(&rs.metadata, &ns, &present) {
                    out.skipped.push(managed_by(o, &owner));
                    Ok(None)
                } else {
                    let s = rs.spec.clone();
                    cx.note("a ReplicaSet is imported as a Deployment (same pods)");
                    check_selector(
                        &s.selector,
                        s.template.as_ref().and_then(|t| t.metadata.as_ref()),
                    )
                    .and_then(|_| replicas(s.replicas))
                    .and_then(|r| {
                        let t = s.template.unwrap_or_default();
                        template_of(&t, &prio, &mut cx)
                            .map(|t| Some((raw::WorkloadKind::Deployment, r, t)))
                    })
                }
            }
            Kind::StatefulSet(ss) => {
                let s = ss.spec.clone();
                cx.note(
                    "a StatefulSet is imported as a Deployment: pods start in parallel, not \
                         one by one (podManagementPolicy OrderedReady), and volumes are not \
                         modelled",
                );
                check_selector(&s.selector, s.template.metadata.as_ref())
                    .and_then(|_| replicas(s.replicas))
                    .and_then(|r| {
                        template_of(&s.template, &prio, &mut cx)
                            .map(|t| Some((raw::WorkloadKind::Deployment, r, t)))
                    })
            }
            Kind::DaemonSet(ds) => {
                let s = ds.spec.clone();
                check_selector(&s.selector, s.template.metadata.as_ref()).and_then(|_| {
                    template_of(&s.template, &prio, &mut cx)
                        .map(|t| Some((raw::WorkloadKind::DaemonSet, 1, t)))
                })
            }
            Kind::Pod(p) => {
                if let Some(owner) = owner_present(&p.metadata, &ns, &present) {
                    out.skipped.push(managed_by(o, &owner));
                    Ok(None)
                } else if let Some(g) = groups.iter().find(|g| g.pods.contains(&o.id)) {
                    if g.pods[0] != o.id {
                        out.skipped.push(Skipped {
                            origin: o.origin.clone(),
                            id: o.id.to_string(),
                            why: format!(
                                "one of the {} pods of {}, imported once from {}",
                                g.pods.len(),
                                g.owner,
                                g.pods[0]
                            ),
                        });
                        Ok(None)
                    } else {
                        match g.kind {
                            raw::WorkloadKind::Job => orphan_job(
                                o, p, g, objects, &observed, &prio, &mut cx,
                            )
                            .map(|(spec, t)| {
                                job = Some(spec);
                                Some((raw::WorkloadKind::Job, 1, t))
                            }),
                            kind => {
                                cx.note(format!(
                                    "owned by {}, which is not among the inputs: its {} pod(s) \
                                     are imported as one {} ({}) from this pod's spec",
                                    g.owner,
                                    g.pods.len(),
                                    match kind {
                                        raw::WorkloadKind::DaemonSet => "DaemonSet",
                                        _ => "Deployment",
                                    },
                                    match kind {
                                        raw::WorkloadKind::DaemonSet =>
                                            "one pod per matching node, as its controller places them",
                                        _ => "replicas = the number of its pods in the inputs",
                                    }
                                ));
                                let replicas = match kind {
                                    raw::WorkloadKind::DaemonSet => 1,
                                    _ => g.pods.len() as u32,
                                };
                                match &p.spec {
                                    None => Err("spec: missing required field".to_string()),
                                    Some(spec) => pod_template(
                                        spec,
                                        Some(&p.metadata),
                                        "spec",
                                        &prio,
                                        &mut cx,
                                    )
                                    .map(|t| Some((kind, replicas, t))),
                                }
                            }
                        }
                    }
                } else {
                    cx.note(
                        "a bare Pod (no ownerReferences): imported as a Pod, created once and \
                         never recreated, as nothing recreates a bare Pod",
                    );
                    match &p.spec {
                        None => Err("spec: missing required field".to_string()),
                        Some(spec) => pod_template(spec, Some(&p.metadata), "spec", &prio, &mut cx)
                            .map(|t| Some((raw::WorkloadKind::Pod, 1, t))),
                    }
                }
            }
            Kind::Job(j) => {
                if let Some(owner) = owner_present(&j.metadata, &ns, &present) {
                    out.skipped.push(managed_by(o, &owner));
                    Ok(None)
                } else {
                    match &j.spec {
                        None => Err("spec: missing required field".to_string()),
                        Some(s) => {
                            let seen = observed
                                .get(&(ns.clone(), o.id.name.clone()))
                                .map(Vec::as_slice)
                                .unwrap_or_default();
                            let metas = [
                                ("metadata", Some(&j.metadata)),
                                ("spec.template.metadata", s.template.metadata.as_ref()),
                            ];
                            match job_of(s, "spec", &metas, seen, &prio, &mut cx) {
                                Ok(Ok((spec, t))) => {
                                    job = Some(spec);
                                    Ok(Some((raw::WorkloadKind::Job, 1, t)))
                                }
                                Ok(Err(why)) => {
                                    out.skipped.push(Skipped {
                                        origin: o.origin.clone(),
                                        id: o.id.to_string(),
                                        why,
                                    });
                                    Ok(None)
                                }
                                Err(e) => Err(e),
                            }
                        }
                    }
                }
            }
            Kind::CronJob(c) => {
                let epoch = epoch.as_ref().map_or(jobs::DEFAULT_EPOCH_S, |e| e.0);
                match cron_job(o, c, epoch, &observed, &prio, &mut cx) {
                    Ok(Ok(drafts)) => out.workloads.extend(drafts),
                    Ok(Err(why)) => out.skipped.push(Skipped {
                        origin: o.origin.clone(),
                        id: o.id.to_string(),
                        why,
                    }),
                    Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
                }
                Ok(None)
            }
            Kind::RuntimeClass(rc) => {
                match runtime_class(&o.id.name, rc, &mut cx) {
                    Ok(r) => out.runtime_classes.push(r),
                    Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
                }
                Ok(None)
            }
            Kind::Node(_)
            | Kind::PriorityClass(_)
            | Kind::HorizontalPodAutoscaler(_)
            | Kind::PodDisruptionBudget(_)
            | Kind::LimitRange(_)
            | Kind::ResourceQuota(_)
            | Kind::ConfigMap(_) => Ok(None),
        };
        let name = groups
            .iter()
            .find(|g| g.pods.first() == Some(&o.id))
            .map_or_else(|| o.id.name.clone(), |g| g.name.clone());
        match result {
            Ok(Some((kind, replicas, template))) => out.workloads.push(Draft {
                origin: o.origin.clone(),
                id: o.id.clone(),
                namespace: ns,
                name,
                kind,
                replicas,
                template,
                job,
                created_at: Duration(0),
                deleted_at: None,
            }),
            Ok(None) => {}
            Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
        }
    }
    out
}

fn metadata(o: &Object) -> Option<&ObjectMeta> {
    Some(match &o.kind {
        Kind::Deployment(d) => &d.metadata,
        Kind::ReplicaSet(r) => &r.metadata,
        Kind::StatefulSet(s) => &s.metadata,
        Kind::DaemonSet(d) => &d.metadata,
        Kind::Pod(p) => &p.metadata,
        _ => return None,
    })
}

/// Owner references that lead back to where they started (A owned by B owned by A) cannot
/// come from a cluster: the garbage collector would delete them. Each cycle among the inputs
/// is an error naming it, found by following every object's owners (each object is visited
/// once per start, so this stops after at most as many steps as there are objects).
pub fn owner_cycles(objects: &[Object]) -> Vec<ImportError> {
    let index: BTreeMap<(&str, &str, &str), usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let ns = o.id.namespace.as_deref().unwrap_or("");
            ((o.id.kind.as_str(), ns, o.id.name.as_str()), i)
        })
        .collect();
    let owners = |i: usize| -> Vec<usize> {
        let o = &objects[i];
        let ns = o.id.namespace.as_deref().unwrap_or("");
        metadata(o)
            .and_then(|m| m.owner_references.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|r| index.get(&(r.kind.as_str(), ns, r.name.as_str())).copied())
            .collect()
    };
    let mut errs = Vec::new();
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for start in 0..objects.len() {
        if reported.contains(&start) {
            continue;
        }
        // Depth-first from `start`, looking for a path back to it.
        let mut stack = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in owners(at) {
                if next == start {
                    let chain: Vec<String> = path
                        .iter()
                        .chain(std::iter::once(&start))
                        .map(|&i| objects[i].id.to_string())
                        .collect();
                    reported.extend(path.iter().copied());
                    errs.push(ImportError::at(
                        &objects[start].origin,
                        Some(&objects[start].id),
                        format!(
                            "metadata.ownerReferences form a cycle: {} (a cluster cannot hold \
                             this: each object would own itself)",
                            chain.join(" → ")
                        ),
                    ));
                    stack.clear();
                    break;
                }
                if seen.insert(next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
    errs
}

/// The pods of one controller that is not among the inputs.
struct OrphanGroup {
    /// `Kind/namespace/name` of the owner.
    owner: String,
    /// The workload name: the owner's, less the `-HASH` a Deployment gives its ReplicaSets
    /// (when the pods' `pod-template-hash` label is that hash).
    name: String,
    /// What the group becomes.
    kind: raw::WorkloadKind,
    /// The pods, in input order.
    pods: Vec<ObjectRef>,
}

/// Groups Pods whose controller (the `controller: true` owner reference, else the first) is
/// not among the inputs by that controller, so `kubectl get pods -A` of a DaemonSet becomes
/// one DaemonSet, not one workload per pod.
fn orphan_groups(
    objects: &[Object],
    present: &BTreeSet<(String, String, String)>,
) -> Vec<OrphanGroup> {
    let mut groups: Vec<OrphanGroup> = Vec::new();
    for o in objects {
        let Kind::Pod(p) = &o.kind else { continue };
        let ns = o.id.namespace.clone().unwrap_or_default();
        if owner_present(&p.metadata, &ns, present).is_some() {
            continue;
        }
        let refs = p.metadata.owner_references.as_deref().unwrap_or_default();
        let Some(owner) = refs
            .iter()
            .find(|r| r.controller == Some(true))
            .or_else(|| refs.first())
        else {
            continue;
        };
        let key = format!("{}/{ns}/{}", owner.kind, owner.name);
        if let Some(g) = groups.iter_mut().find(|g| g.owner == key) {
            g.pods.push(o.id.clone());
            continue;
        }
        let hash = p
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"));
        let name = match (owner.kind.as_str(), hash) {
            ("ReplicaSet", Some(h)) => owner
                .name
                .strip_suffix(h.as_str())
                .and_then(|n| n.strip_suffix('-'))
                .filter(|n| !n.is_empty())
                .unwrap_or(&owner.name)
                .to_string(),
            _ => owner.name.clone(),
        };
        let kind = match owner.kind.as_str() {
            "DaemonSet" => raw::WorkloadKind::DaemonSet,
            "Job" | "CronJob" => raw::WorkloadKind::Job,
            // ReplicaSet, StatefulSet, ReplicationController and other scalable owners.
            _ => raw::WorkloadKind::Deployment,
        };
        groups.push(OrphanGroup {
            owner: key,
            name,
            kind,
            pods: vec![o.id.clone()],
        });
    }
    groups
}

/// A Job's modelled spec and its pod template, with the run time from `metas`' annotation,
/// the `seen` finished pods or the default (each stated); `Ok(Err(why))` for a Job that
/// creates no pods.
fn job_of(
    s: &k8s_openapi::api::batch::v1::JobSpec,
    at: &str,
    metas: &[(&str, Option<&ObjectMeta>)],
    seen: &[u64],
    prio: &Priorities,
    cx: &mut Cx,
) -> Result<Result<(raw::Job, raw::PodTemplate), String>, String> {
    let rt = jobs::run_time(metas, seen)?;
    let mut notes = Vec::new();
    let spec = match jobs::job(s, at, rt.ms(), &mut |n| notes.push(n))? {
        Ok(spec) => spec,
        Err(why) => return Ok(Err(why)),
    };
    let t = match &s.template.spec {
        None => return Err(format!("{at}.template.spec: missing required field")),
        Some(p) => pod_template(
            p,
            s.template.metadata.as_ref(),
            &format!("{at}.template.spec"),
            prio,
            cx,
        )?,
    };
    cx.note(rt.note());
    for n in notes {
        cx.note(n);
    }
    Ok(Ok((spec, t)))
}

/// A CronJob → one Job per firing of its schedule within the scenario, each created at its
/// firing and named as the CronJob controller names it; `Ok(Err(why))` when it creates none.
fn cron_job(
    o: &Object,
    c: &k8s_openapi::api::batch::v1::CronJob,
    epoch: i64,
    observed: &BTreeMap<(String, String), Vec<u64>>,
    prio: &Priorities,
    cx: &mut Cx,
) -> Result<Result<Vec<Draft>, String>, String> {
    // k8s-openapi decodes a missing spec as empty: the missing schedule says so.
    let s = &c.spec;
    if s.schedule.trim().is_empty() {
        return Err("spec.schedule: missing required field".into());
    }
    let schedule = jobs::Schedule::parse(&s.schedule).map_err(|e| format!("spec.schedule: {e}"))?;
    let policy = s.concurrency_policy.as_deref().unwrap_or("Allow");
    if !matches!(policy, "Allow" | "Forbid" | "Replace") {
        return Err(format!(
            "spec.concurrencyPolicy: unknown value \"{policy}\" (Allow, Forbid or Replace)"
        ));
    }
    let Some(js) = &s.job_template.spec else {
        return Err("spec.jobTemplate.spec: missing required field".into());
    };
    if s.suspend == Some(true) {
        return Ok(Err(
            "spec.suspend is true: the CronJob creates no Jobs".into()
        ));
    }
    match s.time_zone.as_deref() {
        None | Some("UTC" | "Etc/UTC") => {}
        Some(tz) => cx.note(format!(
            "WARNING: spec.timeZone {tz} is not read: the schedule is evaluated in UTC, so \
             schedules at fixed hours fire at the wrong hour (edit the generated created_at)"
        )),
    }
    let ns = o.id.namespace.clone().unwrap_or_default();
    // The finished pods of this CronJob's earlier Jobs (named CRONJOB-MINUTES).
    let seen: Vec<u64> = observed
        .iter()
        .filter(|((n, job), _)| *n == ns && jobs::spawned_by(job, &o.id.name))
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    let metas = [
        ("metadata", Some(&c.metadata)),
        (
            "spec.jobTemplate.metadata",
            s.job_template.metadata.as_ref(),
        ),
        (
            "spec.jobTemplate.spec.template.metadata",
            js.template.metadata.as_ref(),
        ),
    ];
    let (spec, template) = match job_of(js, "spec.jobTemplate.spec", &metas, &seen, prio, cx)? {
        Ok(v) => v,
        Err(why) => return Ok(Err(why)),
    };
    let span = super::DURATION.ms();
    let (firings, forbidden) = jobs::firings(
        &o.id.name,
        &schedule,
        policy,
        jobs::min_duration_ms(&spec),
        epoch,
        span,
    );
    if firings.is_empty() {
        return Ok(Err(format!(
            "its schedule \"{}\" does not fire within the scenario's {} from time 0 ({})",
            s.schedule,
            crate::scenario::units::format_duration_ms(span),
            jobs::rfc3339(epoch)
        )));
    }
    cx.note(format!(
        "schedule \"{}\" fires {} time(s) within the scenario (from time 0 at {}, UTC): each \
         firing is a Job created then, named CRONJOB-MINUTES as the CronJob controller names it",
        s.schedule,
        firings.len() + forbidden.len(),
        jobs::rfc3339(epoch)
    ));
    match policy {
        "Forbid" if !forbidden.is_empty() => cx.note(format!(
            "concurrencyPolicy Forbid: the firing(s) at {} are skipped, as they come before the \
             previous Job can end ({} rounds of run_time, no pull or queueing counted: the \
             import cannot know when a simulated Job ends, so a slower Job may overlap the next)",
            forbidden
                .iter()
                .map(|t| crate::scenario::units::format_duration_ms(*t))
                .collect::<Vec<_>>()
                .join(", "),
            spec.completions.div_ceil(spec.parallelism.max(1))
        )),
        "Replace" if firings.len() > 1 => cx.note(
            "concurrencyPolicy Replace: each Job is deleted at the next firing (a timeline \
             Delete); deleting a Job that has finished changes nothing",
        ),
        _ => {}
    }
    Ok(Ok(firings
        .into_iter()
        .map(|f| Draft {
            origin: o.origin.clone(),
            id: o.id.clone(),
            namespace: ns.clone(),
            name: f.name,
            kind: raw::WorkloadKind::Job,
            replicas: 1,
            template: template.clone(),
            job: Some(spec.clone()),
            created_at: Duration(f.at_ms),
            deleted_at: f.deleted_at_ms.map(Duration),
        })
        .collect()))
}

/// The pods of a Job that is not among the inputs → one Job: `completions` = its pods that did
/// not fail (each pod that ran or runs is one completion), `parallelism` the same (pods do not
/// record it), `backoffLimit` the API default; the run time from the pod's annotation or the
/// group's finished pods.
fn orphan_job(
    o: &Object,
    p: &core::Pod,
    g: &OrphanGroup,
    objects: &[Object],
    observed: &BTreeMap<(String, String), Vec<u64>>,
    prio: &Priorities,
    cx: &mut Cx,
) -> Result<(raw::Job, raw::PodTemplate), String> {
    let Some(spec) = &p.spec else {
        return Err("spec: missing required field".to_string());
    };
    let not_failed = objects
        .iter()
        .filter(|x| g.pods.contains(&x.id))
        .filter(|x| match &x.kind {
            Kind::Pod(p) => p.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Failed"),
            _ => false,
        })
        .count()
        .max(1) as u32;
    let ns = o.id.namespace.clone().unwrap_or_default();
    let job_name = g.owner.rsplit('/').next().unwrap_or_default().to_string();
    let seen = observed
        .get(&(ns, job_name))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let rt = jobs::run_time(&[("metadata", Some(&p.metadata))], seen)?;
    let t = pod_template(spec, Some(&p.metadata), "spec", prio, cx)?;
    cx.note(format!(
        "owned by {}, which is not among the inputs: its {} pod(s) are imported as one Job from \
         this pod's spec, with completions = parallelism = {not_failed} (its pods that did not \
         fail; a pod does not record the Job's parallelism) and the API's backoffLimit {}",
        g.owner,
        g.pods.len(),
        API_BACKOFF_LIMIT
    ));
    cx.note(rt.note());
    Ok((
        raw::Job {
            completions: not_failed,
            parallelism: not_failed,
            backoff_limit: API_BACKOFF_LIMIT,
            active_deadline: None,
            run_time: Duration(rt.ms()),
        },
        t,
    ))
}

/// The API server's default `backoffLimit` (k/k `pkg/apis/batch/v1/defaults.go`).
const API_BACKOFF_LIMIT: u32 = 6;

fn replicas(r: Option<i32>) -> Result<u32, String> {
    // The API server defaults an omitted replicas to 1.
    let r = r.unwrap_or(1);
    u32::try_from(r).map_err(|_| format!("spec.replicas: {r} is negative"))
}

/// The controller of an object, when that controller is among the inputs: a ReplicaSet
/// created by a Deployment is named `DEPLOYMENT-HASH`, so a Pod of an imported Deployment is
/// recognised through its ReplicaSet even when the ReplicaSet itself is not in the inputs.
/// The skip entry of an object whose owner is imported too (the owner stands for it).
fn managed_by(o: &Object, owner: &str) -> Skipped {
    Skipped {
        origin: o.origin.clone(),
        id: o.id.to_string(),
        why: format!("managed by {owner}, which is imported"),
    }
}

fn owner_present(
    meta: &ObjectMeta,
    ns: &str,
    present: &BTreeSet<(String, String, String)>,
) -> Option<String> {
    for o in meta.owner_references.iter().flatten() {
        let has = |kind: &str, name: &str| {
            present.contains(&(kind.to_string(), ns.to_string(), name.to_string()))
        };
        if has(&o.kind, &o.name) {
            return Some(format!("{}/{ns}/{}", o.kind, o.name));
        }
        if o.kind == "ReplicaSet"
            && let Some((deploy, _hash)) = o.name.rsplit_once('-')
            && has("Deployment", deploy)
        {
            return Some(format!("Deployment/{ns}/{deploy}"));
        }
        // A CronJob's Job is named `CRONJOB-MINUTES`: its pods (and the Job, which names its
        // owner anyway) are the CronJob's, even when the Job is not among the inputs.
        if o.kind == "Job"
            && let Some((cron, _minutes)) = o.name.rsplit_once('-')
            && jobs::spawned_by(&o.name, cron)
            && has("CronJob", cron)
        {
            return Some(format!("CronJob/{ns}/{cron}"));
        }
    }
    None
}

/// apps/v1 requires a non-empty selector that matches the template's labels; the API server
/// rejects the object otherwise, so the import does too.
fn check_selector(sel: &LabelSelector, meta: Option<&ObjectMeta>) -> Result<(), String> {
    let labels = meta.and_then(|m| m.labels.as_ref());
    let ml = sel.match_labels.as_ref().filter(|m| !m.is_empty());
    let me = sel.match_expressions.as_ref().filter(|m| !m.is_empty());
    if ml.is_none() && me.is_none() {
        return Err(
            "spec.selector: missing required field (apps/v1 needs a non-empty \
                    selector matching spec.template.metadata.labels)"
                .into(),
        );
    }
    for (k, v) in ml.into_iter().flatten() {
        if labels.and_then(|l| l.get(k)) != Some(v) {
            return Err(format!(
                "spec.selector.matchLabels {k}={v} does not match spec.template.metadata.labels \
                 (the API server rejects this object)"
            ));
        }
    }
    Ok(())
}

fn template_of(
    t: &core::PodTemplateSpec,
    prio: &Priorities,
    cx: &mut Cx,
) -> Result<raw::PodTemplate, String> {
    match &t.spec {
        None => Err("spec.template.spec: missing required field".into()),
        Some(spec) => pod_template(spec, t.metadata.as_ref(), "spec.template.spec", prio, cx),
    }
}

fn pod_template(
    spec: &core::PodSpec,
    meta: Option<&ObjectMeta>,
    at: &str,
    prio: &Priorities,
    cx: &mut Cx,
) -> Result<raw::PodTemplate, String> {
    if spec.containers.is_empty() {
        return Err(format!(
            "{at}.containers: missing required field (a pod needs at least one container)"
        ));
    }
    windows_os_fields(spec, at)?;
    let pod_host_process = spec
        .security_context
        .as_ref()
        .and_then(|s| s.windows_options.as_ref())
        .and_then(|w| w.host_process);
    let mut init_containers = Vec::new();
    let mut sidecars = Vec::new();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let p = format!("{at}.initContainers[{i}]");
        let mut ct = container(c, &p, cx)?;
        if c.restart_policy.as_deref() == Some("Always") {
            cx.note(format!(
                "init container {} has restartPolicy Always (a native sidecar); imported as a \
                 regular container started before the others",
                c.name
            ));
            sidecars.push(ct);
        } else {
            cx.note(format!(
                "init container {}: how long it runs is not in the manifest; imported as \
                 finishing at once (set run_for)",
                c.name
            ));
            ct.run_for = None;
            init_containers.push(ct);
        }
    }
    let mut containers = sidecars;
    for (i, c) in spec.containers.iter().enumerate() {
        containers.push(container(c, &format!("{at}.containers[{i}]"), cx)?);
    }
    let all_containers_host_process = spec.containers.iter().all(|c| {
        c.security_context
            .as_ref()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process)
            == Some(true)
    });
    let host_process = pod_host_process.unwrap_or(all_containers_host_process);

    let mut affinity = None;
    let mut pod_affinity = None;
    let mut pod_anti_affinity = None;
    if let Some(a) = &spec.affinity {
        if let Some(pa) = &a.pod_affinity {
            pod_affinity = inter_pod(
                pa.required_during_scheduling_ignored_during_execution
                    .as_deref(),
                pa.preferred_during_scheduling_ignored_during_execution
                    .as_deref(),
                &format!("{at}.affinity.podAffinity"),
                cx,
            )?;
        }
        if let Some(pa) = &a.pod_anti_affinity {
            pod_anti_affinity = inter_pod(
                pa.required_during_scheduling_ignored_during_execution
                    .as_deref(),
                pa.preferred_during_scheduling_ignored_during_execution
                    .as_deref(),
                &format!("{at}.affinity.podAntiAffinity"),
                cx,
            )?;
        }
        if let Some(na) = &a.node_affinity {
            affinity = node_affinity(na, &format!("{at}.affinity.nodeAffinity"), cx)?;
        }
    }
    if spec
        .topology_spread_constraints
        .as_ref()
        .is_some_and(|t| !t.is_empty())
    {
        cx.note("topologySpreadConstraints are not modelled; ignored");
    }
    if let Some(n) = &spec.node_name {
        cx.note(format!(
            "nodeName {n} binds the pod without the scheduler; ignored, the pod is scheduled"
        ));
    }
    let mut tolerations = Vec::new();
    for (i, t) in spec.tolerations.iter().flatten().enumerate() {
        tolerations.push(toleration(t, &format!("{at}.tolerations[{i}]"))?);
    }
    // The Priority admission plugin resolves the class (named, else the globalDefault) into
    // the pod's priority and records the class name; the scenario keeps both, so the class's
    // preemptionPolicy applies too (`priority_classes`).
    let (priority, priority_class_name) = match &spec.priority_class_name {
        Some(pc) => match prio.classes.get(pc) {
            Some(&v) => {
                if let Some(p) = spec.priority.filter(|p| *p != v) {
                    cx.note(format!(
                        "priority {p} differs from PriorityClass {pc}'s value {v}; the class's \
                         value is taken, as the admission plugin computes it at creation"
                    ));
                }
                (v, Some(pc.clone()))
            }
            None => {
                cx.note(format!(
                    "priorityClassName {pc} is not among the inputs; priority {} assumed",
                    spec.priority.unwrap_or(0)
                ));
                (spec.priority.unwrap_or(0), None)
            }
        },
        None => match (spec.priority, &prio.global_default) {
            (Some(p), _) => (p, None),
            (None, Some((name, v))) => {
                cx.note(format!(
                    "no priorityClassName; the globalDefault PriorityClass {name} ({v}) applies"
                ));
                (*v, Some(name.clone()))
            }
            (None, None) => (0, None),
        },
    };
    let isolation = match meta
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(HYPERV_ANNOTATION))
    {
        Some(v) if v.eq_ignore_ascii_case("hyperv") => raw::Isolation::HyperV,
        _ => raw::Isolation::Process,
    };
    Ok(raw::PodTemplate {
        init_containers,
        containers,
        node_selector: spec.node_selector.clone().unwrap_or_default(),
        affinity,
        tolerations,
        runtime_class_name: spec.runtime_class_name.clone(),
        host_network: spec.host_network.unwrap_or(false),
        host_process,
        isolation,
        priority,
        termination_grace_period: None,
        priority_class_name,
        labels: meta
            .and_then(|m| m.labels.clone())
            .unwrap_or_default()
            .into_iter()
            .collect(),
        pod_affinity,
        pod_anti_affinity,
    })
}

/// A `metav1.LabelSelector` (a PodDisruptionBudget's, a pod affinity term's) in the model's
/// form. The set-based operators are the only ones the API server accepts here.
pub fn label_selector(s: &LabelSelector, at: &str) -> Result<PodLabelSelector, String> {
    let mut match_expressions = Vec::new();
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let p = format!("{at}.matchExpressions[{i}]");
        let operator = match r.operator.as_str() {
            "In" => SelectorOperator::In,
            "NotIn" => SelectorOperator::NotIn,
            "Exists" => SelectorOperator::Exists,
            "DoesNotExist" => SelectorOperator::DoesNotExist,
            "" => return Err(format!("{p}.operator: missing required field")),
            o => {
                return Err(format!(
                    "{p}.operator: unknown operator \"{o}\" (In, NotIn, Exists, DoesNotExist)"
                ));
            }
        };
        if r.key.is_empty() {
            return Err(format!("{p}.key: missing required field"));
        }
        match_expressions.push(Requirement {
            key: r.key.clone(),
            operator,
            values: r.values.clone().unwrap_or_default(),
        });
    }
    Ok(PodLabelSelector {
        match_labels: s
            .match_labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        match_expressions,
    })
}

/// `podAffinity` or `podAntiAffinity`: required and preferred terms, each with its label
/// selector and topology key. The scenario has no namespaces, so a term matches pods of every
/// namespace (stated); `namespaces`, `namespaceSelector`, `matchLabelKeys` and
/// `mismatchLabelKeys` are stated and not modelled.
fn inter_pod(
    required: Option<&[core::PodAffinityTerm]>,
    preferred: Option<&[core::WeightedPodAffinityTerm]>,
    at: &str,
    cx: &mut Cx,
) -> Result<Option<Box<PodAffinity>>, String> {
    let mut noted = BTreeSet::new();
    let mut term = |t: &core::PodAffinityTerm, p: &str| -> Result<PodAffinityTerm, String> {
        if t.topology_key.is_empty() {
            return Err(format!("{p}.topologyKey: missing required field"));
        }
        for (set, field) in [
            (
                t.namespaces.as_ref().is_some_and(|n| !n.is_empty()),
                "namespaces",
            ),
            (t.namespace_selector.is_some(), "namespaceSelector"),
            (
                t.match_label_keys.as_ref().is_some_and(|n| !n.is_empty()),
                "matchLabelKeys",
            ),
            (
                t.mismatch_label_keys
                    .as_ref()
                    .is_some_and(|n| !n.is_empty()),
                "mismatchLabelKeys",
            ),
        ] {
            if set {
                noted.insert(field);
            }
        }
        Ok(PodAffinityTerm {
            label_selector: t
                .label_selector
                .as_ref()
                .map(|s| label_selector(s, &format!("{p}.labelSelector")))
                .transpose()?,
            topology_key: t.topology_key.clone(),
        })
    };
    let mut out = PodAffinity::default();
    let req_at = format!("{at}.requiredDuringSchedulingIgnoredDuringExecution");
    for (i, t) in required.into_iter().flatten().enumerate() {
        out.required.push(term(t, &format!("{req_at}[{i}]"))?);
    }
    let pref_at = format!("{at}.preferredDuringSchedulingIgnoredDuringExecution");
    for (i, w) in preferred.into_iter().flatten().enumerate() {
        let p = format!("{pref_at}[{i}]");
        if !(1..=100).contains(&w.weight) {
            return Err(format!(
                "{p}.weight: {} is outside 1..100 (the API server refuses it)",
                w.weight
            ));
        }
        out.preferred.push(WeightedPodAffinityTerm {
            weight: w.weight,
            pod_affinity_term: term(&w.pod_affinity_term, &format!("{p}.podAffinityTerm"))?,
        });
    }
    if out.is_empty() {
        return Ok(None);
    }
    let field = at.rsplit('.').next().unwrap_or(at);
    cx.note(format!(
        "{field}: {} required and {} preferred term(s) imported; they match pods of every \
         namespace, as the scenario has none (upstream: the pod's own namespace unless the term \
         says otherwise)",
        out.required.len(),
        out.preferred.len()
    ));
    if !noted.is_empty() {
        cx.note(format!(
            "{field}: {} not modelled; ignored",
            noted.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(Some(Box::new(out)))
}

/// The API server's `validateWindows` (k/k `pkg/apis/core/validation/validation.go`) refuses
/// a pod with `spec.os.name: windows` whose containers set `securityContext.privileged` at all
/// (`sc.Privileged != nil`, so `false` too): such a manifest never makes a pod. Without
/// `spec.os` nothing refuses it, and the kubelet ignores the field on Windows.
fn windows_os_fields(spec: &core::PodSpec, at: &str) -> Result<(), String> {
    if spec.os.as_ref().map(|o| o.name.as_str()) != Some("windows") {
        return Ok(());
    }
    for (list, cs) in [
        (
            "initContainers",
            spec.init_containers.as_deref().unwrap_or_default(),
        ),
        ("containers", spec.containers.as_slice()),
    ] {
        for (i, c) in cs.iter().enumerate() {
            if c.security_context
                .as_ref()
                .and_then(|s| s.privileged)
                .is_some()
            {
                return Err(format!(
                    "{at}.{list}[{i}].securityContext.privileged: cannot be set for a windows \
                     pod (spec.os.name is windows; the API server refuses this object)"
                ));
            }
        }
    }
    Ok(())
}

fn container(c: &core::Container, at: &str, cx: &mut Cx) -> Result<raw::Container, String> {
    if c.name.is_empty() {
        return Err(format!("{at}.name: missing required field"));
    }
    let image = c
        .image
        .clone()
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| format!("{at}.image: missing required field"))?;
    let image_pull_policy = match c.image_pull_policy.as_deref() {
        None | Some("") => None,
        Some("Always") => Some(raw::PullPolicy::Always),
        Some("IfNotPresent") => Some(raw::PullPolicy::IfNotPresent),
        Some("Never") => Some(raw::PullPolicy::Never),
        Some(other) => {
            return Err(format!(
                "{at}.imagePullPolicy: unknown value \"{other}\" (Always, IfNotPresent or Never)"
            ));
        }
    };
    let res = c.resources.as_ref();
    let requests = res.and_then(|r| r.requests.as_ref());
    let limits = res.and_then(|r| r.limits.as_ref());
    let mut amount = |key: &str| -> Result<Option<String>, String> {
        if let Some(q) = requests.and_then(|r| r.get(key)) {
            return Ok(Some(q.0.clone()));
        }
        if let Some(q) = limits.and_then(|l| l.get(key)) {
            // The API server defaults a missing request to the limit (k/k
            // `pkg/apis/core/v1/defaults.go` SetDefaults_ResourceList on requests).
            cx.note(format!(
                "container {}: requests.{key} defaulted to limits.{key} ({}), as the API server \
                 does",
                c.name, q.0
            ));
            return Ok(Some(q.0.clone()));
        }
        if let Some(d) = cx.limits.and_then(|l| l.get(key)) {
            // Neither a request nor a limit: the LimitRanger admission plugin fills the
            // request from the namespace's LimitRange when the pod is created.
            cx.note(format!(
                "container {}: requests.{key} {} from {} (the LimitRanger admission plugin \
                 sets it at pod creation)",
                c.name, d.quantity, d.source
            ));
            return Ok(Some(d.quantity.clone()));
        }
        Ok(None)
    };
    let cpu_q = amount("cpu")?;
    let mem_q = amount("memory")?;
    let cpu = match &cpu_q {
        Some(q) => quantity::cpu_millis(q).map_err(|e| format!("{at}.resources cpu: {e}"))?,
        None => 0,
    };
    let memory = match &mem_q {
        Some(q) => quantity::bytes(q).map_err(|e| format!("{at}.resources memory: {e}"))?,
        None => 0,
    };
    if cpu_q.is_none() && mem_q.is_none() {
        cx.note(format!(
            "container {}: no cpu or memory requests or limits, and no LimitRange of its \
             namespace among the inputs defaults them; imported as requesting nothing",
            c.name
        ));
    }
    let other: BTreeSet<&String> = requests
        .into_iter()
        .chain(limits)
        .flat_map(|m| m.keys())
        .filter(|k| *k != "cpu" && *k != "memory")
        .collect();
    if !other.is_empty() {
        cx.note(format!(
            "container {}: resources {} are not modelled; ignored",
            c.name,
            other.into_iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let readiness_probe = match &c.readiness_probe {
        None => None,
        Some(p) => {
            let secs = |v: Option<i32>, default: i32, field: &str| -> Result<Duration, String> {
                let v = v.unwrap_or(default);
                u64::try_from(v)
                    .map(Duration::secs)
                    .map_err(|_| format!("{at}.readinessProbe.{field}: {v} is negative"))
            };
            Some(raw::Probe {
                initial_delay: secs(p.initial_delay_seconds, 0, "initialDelaySeconds")?,
                // The API server defaults periodSeconds to 10.
                period: secs(p.period_seconds, 10, "periodSeconds")?,
            })
        }
    };
    let privileged = c
        .security_context
        .as_ref()
        .and_then(|s| s.privileged)
        .unwrap_or(false);
    Ok(raw::Container {
        name: c.name.clone(),
        image,
        image_pull_policy,
        cpu: Cpu(cpu),
        memory: Bytes(memory),
        privileged,
        start_delay: None,
        readiness_probe,
        run_for: None,
        ..Default::default()
    })
}

fn requirement(r: &core::NodeSelectorRequirement, at: &str) -> Result<Requirement, String> {
    let operator = match r.operator.as_str() {
        "In" => SelectorOperator::In,
        "NotIn" => SelectorOperator::NotIn,
        "Exists" => SelectorOperator::Exists,
        "DoesNotExist" => SelectorOperator::DoesNotExist,
        "Gt" => SelectorOperator::Gt,
        "Lt" => SelectorOperator::Lt,
        "" => return Err(format!("{at}.operator: missing required field")),
        o => {
            return Err(format!(
                "{at}.operator: unknown operator \"{o}\" (In, NotIn, Exists, DoesNotExist, Gt, \
                 Lt)"
            ));
        }
    };
    if r.key.is_empty() {
        return Err(format!("{at}.key: missing required field"));
    }
    Ok(Requirement {
        key: r.key.clone(),
        operator,
        values: r.values.clone().unwrap_or_default(),
    })
}

/// A node selector term; `None` when only `matchFields` (node names, which pools do not
/// have) was in it.
fn term(t: &core::NodeSelectorTerm, at: &str, cx: &mut Cx) -> Result<Option<Term>, String> {
    if t.match_fields.as_ref().is_some_and(|f| !f.is_empty()) {
        cx.note(format!(
            "{at}.matchFields selects nodes by name, which the scenario's pools do not have; \
             ignored"
        ));
    }
    let mut exprs = Vec::new();
    for (i, r) in t.match_expressions.iter().flatten().enumerate() {
        exprs.push(requirement(r, &format!("{at}.matchExpressions[{i}]"))?);
    }
    Ok((!exprs.is_empty()).then_some(Term {
        match_expressions: exprs,
    }))
}

fn node_affinity(
    na: &core::NodeAffinity,
    at: &str,
    cx: &mut Cx,
) -> Result<Option<NodeAffinity>, String> {
    let mut required = None;
    if let Some(sel) = &na.required_during_scheduling_ignored_during_execution {
        let p = format!("{at}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
        let mut terms = Vec::new();
        for (i, t) in sel.node_selector_terms.iter().enumerate() {
            if let Some(t) = term(t, &format!("{p}[{i}]"), cx)? {
                terms.push(t);
            }
        }
        if terms.is_empty() && !sel.node_selector_terms.is_empty() {
            cx.note(
                "required node affinity had only matchFields terms; the pod may land on any node",
            );
        }
        if !terms.is_empty() {
            required = Some(terms);
        }
    }
    let mut preferred = Vec::new();
    let p = format!("{at}.preferredDuringSchedulingIgnoredDuringExecution");
    for (i, pt) in na
        .preferred_during_scheduling_ignored_during_execution
        .iter()
        .flatten()
        .enumerate()
    {
        if !(1..=100).contains(&pt.weight) {
            return Err(format!("{p}[{i}].weight: {} is not in 1..=100", pt.weight));
        }
        if let Some(t) = term(&pt.preference, &format!("{p}[{i}].preference"), cx)? {
            preferred.push(PreferredTerm {
                weight: pt.weight,
                preference: t,
            });
        }
    }
    Ok(
        (required.is_some() || !preferred.is_empty()).then_some(NodeAffinity {
            required,
            preferred,
        }),
    )
}

pub fn toleration(t: &core::Toleration, at: &str) -> Result<Toleration, String> {
    let operator = match t.operator.as_deref() {
        None | Some("") | Some("Equal") => TolerationOperator::Equal,
        Some("Exists") => TolerationOperator::Exists,
        Some(o) => {
            return Err(format!(
                "{at}.operator: unknown operator \"{o}\" (Equal or Exists)"
            ));
        }
    };
    let key = t.key.clone().unwrap_or_default();
    let value = t.value.clone().unwrap_or_default();
    if key.is_empty() && operator != TolerationOperator::Exists {
        return Err(format!(
            "{at}: a toleration with an empty key must use operator Exists"
        ));
    }
    if operator == TolerationOperator::Exists && !value.is_empty() {
        return Err(format!(
            "{at}.value: a toleration with operator Exists must not have a value"
        ));
    }
    let effect = match t.effect.as_deref() {
        None | Some("") => None,
        Some(e) => Some(taint_effect(e).map_err(|m| format!("{at}.effect: {m}"))?),
    };
    Ok(Toleration {
        key,
        operator,
        value,
        effect,
        // A negative tolerationSeconds means "evict at once" to the API (treated as 0).
        toleration_seconds: t.toleration_seconds.map(|s| s.max(0) as u64),
    })
}

fn runtime_class(
    name: &str,
    rc: &k8s_openapi::api::node::v1::RuntimeClass,
    cx: &mut Cx,
) -> Result<raw::RuntimeClass, String> {
    if rc.handler.is_empty() {
        return Err("handler: missing required field".into());
    }
    let scheduling = match &rc.scheduling {
        None => None,
        Some(s) => {
            let mut tolerations = Vec::new();
            for (i, t) in s.tolerations.iter().flatten().enumerate() {
                tolerations.push(toleration(t, &format!("scheduling.tolerations[{i}]"))?);
            }
            Some(raw::Scheduling {
                node_selector: s.node_selector.clone().unwrap_or_default(),
                tolerations,
            })
        }
    };
    let overhead = match rc.overhead.as_ref().and_then(|o| o.pod_fixed.as_ref()) {
        None => None,
        Some(m) => {
            let mut r = raw::Resources::default();
            for (k, q) in m {
                match k.as_str() {
                    "cpu" => {
                        r.cpu = Cpu(quantity::cpu_millis(&q.0)
                            .map_err(|e| format!("overhead.podFixed.cpu: {e}"))?)
                    }
                    "memory" => {
                        r.memory = Bytes(
                            quantity::bytes(&q.0)
                                .map_err(|e| format!("overhead.podFixed.memory: {e}"))?,
                        )
                    }
                    other => cx.note(format!(
                        "overhead.podFixed.{other} is not modelled; ignored"
                    )),
                }
            }
            Some(r)
        }
    };
    Ok(raw::RuntimeClass {
        name: name.to_string(),
        handler: rc.handler.clone(),
        scheduling,
        overhead,
    })
}
