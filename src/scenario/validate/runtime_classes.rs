//! The `runtime_classes` section: handlers and the tolerations their scheduling adds.
//!
//! Owns: the checks on RuntimeClasses and the name index templates resolve them through.
//! Does not own: merging a class into a pod template (`workloads`).

use super::Ctx;
use super::checks::{check_tolerations, index_names};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

/// Checks every RuntimeClass; returns name → index into `raw.runtime_classes`.
pub(super) fn check(cx: &mut Ctx, raw: &raw::Scenario) -> HashMap<String, u32> {
    let rp = Path::root().field("runtime_classes");
    let rc_ix = index_names(
        cx,
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
                cx,
                &s.tolerations,
                &rp.index(i).field("scheduling").field("tolerations"),
            );
        }
    }
    rc_ix
}
