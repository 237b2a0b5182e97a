//! The `timeline` section: create, scale and delete actions, applied to every copy of a
//! templated workload at its shifted time.
//!
//! Owns: the checks on timeline entries and the time-ordered action list of the spec. Does not
//! own: what an action does (the controllers).

use super::Ctx;
use super::workloads::Copies;
use crate::model::{NodeTarget, PoolId, TimelineAction, WorkloadId};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    wl_ix: &HashMap<String, u32>,
    copies: &Copies,
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
        raw::Action::Create { .. } | raw::Action::Scale { .. } | raw::Action::Delete { .. } => None,
    }
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
