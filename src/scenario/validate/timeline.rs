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

/// A node action (cordon, uncordon, taints, drain), or None after reporting what is wrong with it.
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
        raw::Action::Drain {
            node,
            pool,
            timeout,
            force,
        } => node_target(cx, raw, p, node, pool).map(|t| {
            TimelineAction::Drain(
                t,
                crate::model::DrainOptions {
                    // kubectl: `--timeout=0s` (the default) means no limit.
                    timeout: timeout.map(|d| d.0).filter(|&ms| ms > 0),
                    force: *force,
                },
            )
        }),
        raw::Action::UpgradePool { .. } | raw::Action::PatchPool { .. } => {
            pool_upgrade(cx, raw, p, action)
        }
        raw::Action::Create { .. }
        | raw::Action::Scale { .. }
        | raw::Action::Delete { .. }
        | raw::Action::UpdateImage { .. }
        | raw::Action::UpdateTemplate { .. } => None,
    }
}

/// An `UpgradePool` / `PatchPool`, or None after reporting what is wrong: the pool must exist
/// and run Windows; an upgrade's build must parse and be newer than the pool's, with a
/// surge of at least one node; a patch's revision must be newer than the pool's.
fn pool_upgrade(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    p: &Path,
    action: &raw::Action,
) -> Option<TimelineAction> {
    use crate::model::windows::WinVersion;
    use crate::scenario::defaults;
    let (pool, drain_timeout) = match action {
        raw::Action::UpgradePool {
            pool,
            drain_timeout,
            ..
        }
        | raw::Action::PatchPool {
            pool,
            drain_timeout,
            ..
        } => (pool, drain_timeout),
        _ => return None,
    };
    let Some(pi) = raw.pools.iter().position(|x| &x.name == pool) else {
        let known: Vec<&str> = raw.pools.iter().map(|x| x.name.as_str()).collect();
        cx.err(
            p.field("pool"),
            format!("unknown pool \"{pool}\" (pools: {})", known.join(", ")),
        );
        return None;
    };
    let rp = &raw.pools[pi];
    let current = match (rp.os, rp.os_version.as_deref()) {
        (crate::model::Os::Windows, Some(v)) => v.parse::<WinVersion>().ok()?,
        _ => {
            cx.err(
                p.field("pool"),
                format!(
                    "pool \"{pool}\" is not a Windows pool with an `os_version`: only Windows \
                     builds are upgraded or patched here"
                ),
            );
            return None;
        }
    };
    if drain_timeout.is_some_and(|d| d.0 == 0) {
        cx.err(
            p.field("drain_timeout"),
            "expected a drain timeout above 0 (AKS `drainTimeoutInMinutes` is 1 to 1440; \
             leave it out for the default 30m)",
        );
        return None;
    }
    let drain_timeout = drain_timeout
        .map(|d| d.0)
        .unwrap_or(defaults::UPGRADE_DRAIN_TIMEOUT_MS);
    let pool = PoolId::from_idx(pi);
    match action {
        raw::Action::UpgradePool {
            to_build,
            max_surge,
            ..
        } => {
            let to = match to_build.parse::<WinVersion>() {
                Ok(v) => v,
                Err(e) => {
                    cx.err(p.field("to_build"), e);
                    return None;
                }
            };
            let key = |v: WinVersion| (v.major, v.minor, v.build, v.revision.unwrap_or(0));
            if key(to) <= key(current) {
                cx.err(
                    p.field("to_build"),
                    format!(
                        "{to} is not newer than pool \"{}\"'s {current}: an upgrade moves to \
                         a newer build (a downgrade needs a new pool)",
                        rp.name
                    ),
                );
                return None;
            }
            let max_surge = match max_surge {
                None => crate::model::IntOrPercent::Int(defaults::UPGRADE_MAX_SURGE),
                Some(raw::IntOrPercent::Int(0) | raw::IntOrPercent::Percent(0)) => {
                    cx.err(
                        p.field("max_surge"),
                        "max_surge 0 adds no node, so no old node could ever be drained \
                         (this simulator has no `maxUnavailable` upgrades): expected at least \
                         1 or \"1%\"",
                    );
                    return None;
                }
                Some(raw::IntOrPercent::Int(n)) => crate::model::IntOrPercent::Int(*n),
                Some(raw::IntOrPercent::Percent(n)) => crate::model::IntOrPercent::Percent(*n),
            };
            Some(TimelineAction::UpgradePool(
                pool,
                crate::model::UpgradeSpec {
                    to,
                    max_surge,
                    drain_timeout,
                },
            ))
        }
        raw::Action::PatchPool {
            to_revision,
            reboot_time,
            ..
        } => {
            if *to_revision <= current.revision.unwrap_or(0) {
                cx.err(
                    p.field("to_revision"),
                    format!(
                        "revision {to_revision} is not newer than pool \"{}\"'s {current}",
                        rp.name
                    ),
                );
                return None;
            }
            Some(TimelineAction::PatchPool(
                pool,
                crate::model::PatchSpec {
                    to_revision: *to_revision,
                    reboot: reboot_time.map(|d| d.0),
                    drain_timeout,
                },
            ))
        }
        _ => None,
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
            std::sync::Arc::make_mut(&mut t).containers[i].image = image.clone();
            t
        }
        raw::Action::UpdateTemplate { template, .. } => std::sync::Arc::new(template.clone()),
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
