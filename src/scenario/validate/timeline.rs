//! The `timeline` section: create, scale and delete actions, applied to every copy of a
//! templated workload at its shifted time.
//!
//! Owns: the checks on timeline entries and the time-ordered action list of the spec. Does not
//! own: what an action does (the controllers).

use super::Ctx;
use super::workloads::Copies;
use crate::model::{TimelineAction, WorkloadId};
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
