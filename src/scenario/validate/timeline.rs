//! The `timeline` section: create, scale and delete actions, applied to every copy of a
//! templated workload at its shifted time.
//!
//! Owns: the checks on timeline entries and the time-ordered action list of the spec. Does not
//! own: what an action does (the controllers).

use super::Ctx;
use super::images::Catalog;
use super::workloads::Copies;
use crate::model::{
    FailTarget, NodeTarget, PoolId, TemplateId, TemplateSpec, TimelineAction, WorkloadId,
};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

/// What a rolling update (`UpdateImage`, `UpdateTemplate`) needs to build its new pod
/// template: the image catalog, the RuntimeClasses, and the templates it appends to.
pub(super) struct Rollouts<'a> {
    pub catalog: &'a Catalog,
    pub rc_ix: &'a HashMap<String, u32>,
    pub templates: &'a mut Vec<TemplateSpec>,
}

pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    wl_ix: &HashMap<String, u32>,
    copies: &Copies,
    mut rollouts: Rollouts,
) -> Vec<(u64, TimelineAction)> {
    let tlp = Path::root().field("timeline");
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
            raw::Action::UpdateImage { workload, .. }
            | raw::Action::UpdateTemplate { workload, .. } => {
                let Some(t) =
                    rollout_template(cx, raw, wl_ix, &p.field("action"), &e.action, &mut rollouts)
                else {
                    continue;
                };
                (workload, Box::new(move |w| TimelineAction::Rollout(w, t)))
            }
            other => {
                if let Some(a) = node_action(cx, raw, &p.field("action"), other) {
                    timeline.push((e.at.0, a));
                }
                continue;
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
                if matches!(e.action, raw::Action::Scale { .. })
                    && raw.workloads[w as usize].kind == raw::WorkloadKind::Pod
                {
                    cx.err(
                        p.field("action"),
                        format!("workload \"{name}\" is a bare Pod and cannot be scaled"),
                    );
                }
                if matches!(e.action, raw::Action::Scale { .. })
                    && raw.workloads[w as usize].kind == raw::WorkloadKind::Job
                {
                    cx.err(
                        p.field("action"),
                        format!(
                            "workload \"{name}\" is a Job: its size is `job.completions` and \
                             `job.parallelism`, not a replica count"
                        ),
                    );
                }
                // An action on a templated workload applies to every copy, shifted like it.
                if let Some((ids, stagger)) = copies.get(w as usize) {
                    for (c, &id) in ids.iter().enumerate() {
                        let at = e.at.0.saturating_add((c as u64).saturating_mul(*stagger));
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

    timeline
}

/// A node action (cordon, uncordon, taints), or None after reporting what is wrong with it.
fn node_action(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    p: &Path,
    action: &raw::Action,
) -> Option<TimelineAction> {
    match action {
        raw::Action::Cordon { node, pool } => {
            node_target(cx, raw, p, node, pool).map(TimelineAction::Cordon)
        }
        raw::Action::Uncordon { node, pool } => {
            node_target(cx, raw, p, node, pool).map(TimelineAction::Uncordon)
        }
        raw::Action::AddTaint { node, pool, taint } => {
            let target = node_target(cx, raw, p, node, pool);
            if taint.key.is_empty() {
                cx.err(
                    p.field("taint").field("key"),
                    "expected a non-empty taint key",
                );
                return None;
            }
            target.map(|t| TimelineAction::AddTaint(t, taint.clone()))
        }
        raw::Action::RemoveTaint {
            node,
            pool,
            key,
            effect,
        } => {
            let target = node_target(cx, raw, p, node, pool);
            if key.is_empty() {
                cx.err(p.field("key"), "expected a non-empty taint key");
                return None;
            }
            target.map(|t| TimelineAction::RemoveTaint(t, key.clone(), *effect))
        }
        raw::Action::FailNode {
            node,
            pool,
            count,
            fraction,
        } => fail_target(cx, raw, p, node, pool, *count, *fraction).map(TimelineAction::FailNode),
        raw::Action::RecoverNode {
            node,
            pool,
            count,
            fraction,
        } => {
            fail_target(cx, raw, p, node, pool, *count, *fraction).map(TimelineAction::RecoverNode)
        }
        raw::Action::Create { .. }
        | raw::Action::Scale { .. }
        | raw::Action::Delete { .. }
        | raw::Action::UpdateImage { .. }
        | raw::Action::UpdateTemplate { .. } => None,
    }
}

/// `FailNode` / `RecoverNode` targets: a node by name, or a pool with `count` or `fraction`
/// (exactly one of the two), or a whole pool (`fraction` 1).
fn fail_target(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    p: &Path,
    node: &Option<String>,
    pool: &Option<String>,
    count: Option<u32>,
    fraction: Option<f64>,
) -> Option<FailTarget> {
    if node.is_some() && (count.is_some() || fraction.is_some()) {
        cx.err(
            p.clone(),
            "`count` and `fraction` choose nodes of a `pool`; a `node` names one node",
        );
        return None;
    }
    if let Some(f) = fraction
        && !(f > 0.0 && f <= 1.0)
    {
        cx.err(
            p.field("fraction"),
            format!("expected a fraction of the pool's nodes in (0, 1], got {f}"),
        );
        return None;
    }
    if count == Some(0) {
        cx.err(p.field("count"), "expected at least one node");
        return None;
    }
    match node_target(cx, raw, p, node, pool)? {
        NodeTarget::Node { pool, ordinal } => Some(FailTarget::Node { pool, ordinal }),
        NodeTarget::Pool(pool) => match (count, fraction) {
            (Some(_), Some(_)) => {
                cx.err(p.clone(), "expected one of `count` or `fraction`, not both");
                None
            }
            (Some(count), None) => Some(FailTarget::Count { pool, count }),
            (None, f) => Some(FailTarget::Fraction {
                pool,
                // Parts per million, rounded to the nearest: exact for every fraction written
                // with up to six decimals.
                per_million: (f.unwrap_or(1.0) * 1e6).round() as u32,
            }),
        },
    }
}

/// The new pod template of an `UpdateImage` / `UpdateTemplate`, appended to the spec's
/// templates (one per timeline entry, shared by the workload's copies), or None after
/// reporting what is wrong. Only Deployments roll.
fn rollout_template(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    wl_ix: &HashMap<String, u32>,
    p: &Path,
    action: &raw::Action,
    r: &mut Rollouts,
) -> Option<TemplateId> {
    let name = match action {
        raw::Action::UpdateImage { workload, .. }
        | raw::Action::UpdateTemplate { workload, .. } => workload,
        _ => return None,
    };
    let Some(&wi) = wl_ix.get(name.as_str()) else {
        cx.err(p.field("workload"), format!("unknown workload \"{name}\""));
        return None;
    };
    let w = &raw.workloads[wi as usize];
    if w.kind != raw::WorkloadKind::Deployment {
        cx.err(
            p.clone(),
            format!(
                "workload \"{name}\" is not a Deployment: only Deployments roll out a new template"
            ),
        );
        return None;
    }
    let new_template = match action {
        raw::Action::UpdateImage {
            workload,
            image,
            container,
        } => {
            r.catalog.resolve(cx, image, p.field("image"))?;
            let mut t = w.template.clone();
            let names: Vec<String> = t
                .containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if c.name.is_empty() {
                        format!("containers-{i}")
                    } else {
                        c.name.clone()
                    }
                })
                .collect();
            let i = match container {
                Some(c) => match names.iter().position(|n| n == c) {
                    Some(i) => i,
                    None => {
                        cx.err(
                            p.field("container"),
                            format!(
                                "workload \"{workload}\" has no container \"{c}\" (containers: {})",
                                names.join(", ")
                            ),
                        );
                        return None;
                    }
                },
                None if t.containers.len() == 1 => 0,
                None => {
                    cx.err(
                        p.clone(),
                        format!(
                            "workload \"{workload}\" has {} containers: name the one to update                              with `container` ({})",
                            t.containers.len(),
                            names.join(", ")
                        ),
                    );
                    return None;
                }
            };
            t.containers[i].image = image.clone();
            t
        }
        raw::Action::UpdateTemplate { template, .. } => template.clone(),
        _ => return None,
    };
    let mut updated = w.clone();
    updated.template = new_template;
    let before = cx.diags.len();
    let spec =
        super::workloads::template(cx, raw, &updated, &p.field("template"), r.catalog, r.rc_ix);
    if cx.diags.len() > before {
        return None;
    }
    r.templates.push(spec);
    Some(TemplateId::from_idx(r.templates.len() - 1))
}

/// Resolves `node: "POOL-N"` or `pool: "POOL"` (exactly one). A node name must be one the
/// run can create: its pool must exist and, unless the pool grows (a node group), N must be
/// below the pool's `count`.
fn node_target(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    p: &Path,
    node: &Option<String>,
    pool: &Option<String>,
) -> Option<NodeTarget> {
    let pool_ix = |name: &str| raw.pools.iter().position(|q| q.name == name);
    let names = || {
        raw.pools
            .iter()
            .map(|q| format!("\"{}\"", q.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (node, pool) {
        (Some(_), Some(_)) | (None, None) => {
            cx.err(
                p.clone(),
                "expected exactly one of `node` (a node name such as \"win-0\") or `pool`",
            );
            None
        }
        (None, Some(name)) => match pool_ix(name) {
            Some(i) => Some(NodeTarget::Pool(PoolId::from_idx(i))),
            None => {
                cx.err(
                    p.field("pool"),
                    format!("unknown pool \"{name}\" (pools: {})", names()),
                );
                None
            }
        },
        (Some(name), None) => {
            let parsed = name
                .rsplit_once('-')
                .and_then(|(pl, n)| Some((pool_ix(pl)?, n.parse::<u32>().ok()?)));
            let Some((i, ordinal)) = parsed else {
                cx.err(
                    p.field("node"),
                    format!(
                        "unknown node \"{name}\": nodes are named POOL-N, N counting from 0 \
                         (pools: {})",
                        names()
                    ),
                );
                return None;
            };
            let q = &raw.pools[i];
            if q.autoscale.is_none() && ordinal >= q.count {
                cx.err(
                    p.field("node"),
                    format!(
                        "unknown node \"{name}\": pool \"{}\" has {} node(s), {}-0 to {}-{}, \
                         and does not grow",
                        q.name,
                        q.count,
                        q.name,
                        q.name,
                        q.count.saturating_sub(1)
                    ),
                );
                return None;
            }
            Some(NodeTarget::Node {
                pool: PoolId::from_idx(i),
                ordinal,
            })
        }
    }
}
