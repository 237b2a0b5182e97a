//! The `priority_classes` section, and what the Priority admission plugin does with it: each
//! pod template's `priority_class_name` (or the global default class) becomes its priority
//! and preemption policy (k/k `plugin/pkg/admission/priority/admission.go`,
//! `pkg/apis/scheduling/validation/validation.go`).
//!
//! Owns: the checks on priority classes, the built-in `system-` classes, and resolving a
//! template's class. Does not own: what priorities do at run time (`scheduler`: PrioritySort
//! and DefaultPreemption).

use super::Ctx;
use super::checks::index_names;
use crate::model::{PreemptionPolicy, TemplateSpec};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

/// `scheduling.HighestUserDefinablePriority` (k/k `pkg/apis/scheduling/types.go`).
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
/// `scheduling.SystemPriorityClassPrefix`: names reserved for the built-in classes.
pub const SYSTEM_PREFIX: &str = "system-";
/// The classes every cluster has (`scheduling.SystemPriorityClasses()`):
/// `system-cluster-critical` = `SystemCriticalPriority` (2 × the highest user priority) and
/// `system-node-critical` 1000 above it; neither is a global default.
pub const SYSTEM_CLASSES: [(&str, i32); 2] = [
    (
        "system-cluster-critical",
        2 * HIGHEST_USER_DEFINABLE_PRIORITY,
    ),
    (
        "system-node-critical",
        2 * HIGHEST_USER_DEFINABLE_PRIORITY + 1000,
    ),
];

/// Checks the declared classes (`Classes::apply` resolves each template's class).
pub(super) fn check(cx: &mut Ctx, raw: &raw::Scenario) {
    let base = Path::root().field("priority_classes");
    index_names(
        cx,
        raw.priority_classes.iter().map(|c| c.name.as_str()),
        &base,
        "priority class",
    );
    let mut default: Option<&raw::PriorityClass> = None;
    for (i, c) in raw.priority_classes.iter().enumerate() {
        let p = base.index(i);
        if c.name.starts_with(SYSTEM_PREFIX) {
            cx.err(
                p.field("name"),
                format!(
                    "priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system \
                     use only (the built-in classes are system-cluster-critical and \
                     system-node-critical)"
                ),
            );
        } else if c.value > HIGHEST_USER_DEFINABLE_PRIORITY {
            cx.err(
                p.field("value"),
                format!(
                    "maximum allowed value of a user defined priority is \
                     {HIGHEST_USER_DEFINABLE_PRIORITY}"
                ),
            );
        }
        if c.global_default {
            // The admission plugin refuses a second default class.
            match default {
                Some(d) => cx.err(
                    p.field("global_default"),
                    format!(
                        "PriorityClass {} is already marked as default. Only one default can exist",
                        d.name
                    ),
                ),
                None => default = Some(c),
            }
        }
    }
}

/// The priority classes by name and the global default class: what the Priority admission
/// plugin needs to resolve one pod template. Building it reports nothing; `check` reports the
/// section's problems.
pub(super) struct Classes<'a> {
    raw: &'a raw::Scenario,
    /// Name → index; a duplicated name keeps its last class, as `index_names` does.
    index: HashMap<&'a str, usize>,
    /// The first class marked `global_default` (the admission plugin refuses a second).
    default: Option<&'a raw::PriorityClass>,
}

impl<'a> Classes<'a> {
    pub(super) fn new(raw: &'a raw::Scenario) -> Self {
        let mut index = HashMap::new();
        for (i, c) in raw.priority_classes.iter().enumerate() {
            if !c.name.trim().is_empty() {
                index.insert(c.name.as_str(), i);
            }
        }
        Classes {
            raw,
            index,
            default: raw.priority_classes.iter().find(|c| c.global_default),
        }
    }

    /// Sets `t`'s priority and preemption policy from `w`'s `priority_class_name` (or the
    /// global default class); `tp` is the template's path, for the problems found.
    pub(super) fn apply(&self, cx: &mut Ctx, w: &raw::Workload, tp: &Path, t: &mut TemplateSpec) {
        let (raw, index, default) = (self.raw, &self.index, self.default);
        let resolved = match &w.template.priority_class_name {
            Some(name) => {
                let found = index
                    .get(name.as_str())
                    .map(|&k| {
                        let c = &raw.priority_classes[k];
                        (c.value, c.preemption_policy)
                    })
                    .or_else(|| {
                        SYSTEM_CLASSES
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|&(_, v)| (v, PreemptionPolicy::PreemptLowerPriority))
                    });
                if found.is_none() {
                    cx.err(
                        tp.field("priority_class_name"),
                        format!(
                            "no PriorityClass with name {name} was found; declare it under \
                         `priority_classes`"
                        ),
                    );
                }
                found
            }
            // hybridsim's shorthand: a bare `priority` with no class keeps its value (upstream
            // needs a class for any priority but 0 or the default's).
            None if w.template.priority != 0 => None,
            None => default.map(|c| (c.value, c.preemption_policy)),
        };
        if let Some((value, policy)) = resolved {
            if w.template.priority != 0 && w.template.priority != value {
                cx.err(
                    tp.field("priority"),
                    format!(
                        "the integer value of priority ({}) must not be provided in pod spec; \
                     priority admission controller computed {value} from the given \
                     PriorityClass name",
                        w.template.priority
                    ),
                );
            }
            t.priority = value;
            t.preemption_policy = policy;
        }
    }
}
