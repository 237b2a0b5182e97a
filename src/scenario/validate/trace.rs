//! The `trace` and `trace_template` fields: a trace replay's synthetic workload and one
//! template per distinct pod shape of the trace.
//!
//! Owns: how a trace row becomes a pod (the template stamped with the row's requests, image,
//! priority, OS and node selector) and the `TraceSpec` the run opens its cursor from. Does not
//! own: reading the file (`scenario::files` scans it before validation, `scenario::trace`
//! streams it during the run) or what the run does with the pods.

use super::Ctx;
use super::images::Catalog;
use super::workloads::template;
use crate::model::labels::OS_LABEL;
use crate::model::trace::{ArrivalSource, OpenArrivals, TraceSpec};
use crate::model::*;
use crate::scenario::files::ScenarioFiles;
use crate::scenario::locate::Path;
use crate::scenario::raw;
use crate::scenario::trace::source::{ShapeTable, TraceSource};
use crate::scenario::units::{Bytes, Cpu, Duration};
use std::collections::HashMap;
use std::sync::Arc;

/// The name of the synthetic workload of trace pods: pods are `trace-0`, `trace-1`, … in
/// arrival order in pods.csv.
pub const TRACE_WORKLOAD: &str = "trace";

/// Checks the trace fields; with a trace, appends its templates (the base template, then one
/// per shape in first-seen order) and its workload, and returns its spec.
pub(super) fn check(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    catalog: &Catalog,
    rc_ix: &HashMap<String, u32>,
    files: &ScenarioFiles,
    templates: &mut Vec<TemplateSpec>,
    workloads: &mut Vec<WorkloadSpec>,
) -> Option<TraceSpec> {
    let root = Path::root();
    let Some(file) = &raw.trace else {
        if raw.trace_template.is_some() {
            cx.err(
                root.field("trace_template"),
                "a trace_template without a trace; add `trace: \"FILE.csv\"` or remove it",
            );
        }
        return None;
    };
    let Some(base) = &raw.trace_template else {
        cx.err(
            root.field("trace"),
            "a trace needs `trace_template: (containers: [(name: …, image: …)])`, the pod \
             every row is stamped from (image, start delay, tolerations); each row's cpu and \
             memory replace its first container's requests",
        );
        return None;
    };
    let scan = match files.trace(file) {
        Ok(s) => s,
        Err(e) => {
            cx.err(root.field("trace"), e);
            return None;
        }
    };
    if workloads.iter().any(|w| w.name == TRACE_WORKLOAD) {
        cx.err(
            root.field("trace"),
            format!(
                "a workload is named `{TRACE_WORKLOAD}`, the name of the trace pods' workload; \
                 rename it"
            ),
        );
    }
    if scan.rows > raw.limits.max_pods {
        cx.err(
            root.field("trace"),
            format!(
                "the trace has {} pods, above limits.max_pods = {}; raise the limit with \
                 `limits: (max_pods: N)` if the machine can take it",
                scan.rows, raw.limits.max_pods
            ),
        );
    }
    let tp = root.field("trace_template");
    if base.priority_class_name.is_some() {
        // Classes are resolved per workload template before the trace is stamped; a trace
        // row carries its pod's resolved priority (a `priority` column), as a dump does.
        cx.err(
            tp.field("priority_class_name"),
            "a trace pod's priority comes from the trace's `priority` column (or the \
             template's `priority`); remove `priority_class_name` from the trace_template",
        );
    }
    let stamp = |t: raw::PodTemplate| raw::Workload {
        name: TRACE_WORKLOAD.to_string(),
        kind: raw::WorkloadKind::Pod,
        replicas: 1,
        created_at: None,
        hpa: None,
        count: 1,
        stagger: Duration(0),
        template: std::sync::Arc::new(t),
        job: None,
        strategy: None,
        disruption_budget: None,
        namespace: None,
    };
    let base_id = TemplateId::from_idx(templates.len());
    templates.push(template(cx, raw, &stamp(base.clone()), &tp, catalog, rc_ix));
    if base.containers.is_empty() {
        return None;
    }
    let first = TemplateId::from_idx(templates.len());
    for (shape, line) in &scan.shapes {
        let mut t = base.clone();
        t.containers[0].cpu = Cpu(shape.cpu_millis);
        t.containers[0].memory = Bytes(shape.memory_bytes);
        if !shape.image.is_empty() {
            t.containers[0].image = shape.image.clone();
        }
        if let Some(p) = shape.priority {
            t.priority = p;
        }
        if let Some(os) = shape.os {
            t.node_selector
                .insert(OS_LABEL.to_string(), os.label().to_string());
        }
        for (k, v) in &shape.node_selector {
            t.node_selector.insert(k.clone(), v.clone());
        }
        // Problems of a shape (an image not in `images`) belong to the row that first has it,
        // not to the trace_template that is fine on its own.
        let mut scratch = Ctx::default();
        templates.push(template(&mut scratch, raw, &stamp(t), &tp, catalog, rc_ix));
        for d in scratch.diags {
            cx.err(
                root.field("trace"),
                format!(
                    "{}:{line}: the pod of this row (trace_template with the row's values): \
                     {}: {}",
                    scan.display, d.path, d.message
                ),
            );
        }
    }
    let wl = WorkloadId::from_idx(workloads.len());
    workloads.push(WorkloadSpec {
        name: TRACE_WORKLOAD.to_string(),
        kind: WorkloadKind::Trace,
        replicas: 0,
        created_at: None,
        template: base_id,
        hpa: None,
        job: None,
        strategy: Default::default(),
        disruption_budget: None,
        // `default` (`quotas::assign`).
        namespace: 0,
    });
    let table = Arc::new(ShapeTable::new(scan, first));
    let (path, display) = (scan.path.clone(), scan.display.clone());
    let open: Arc<OpenArrivals> = Arc::new(move || {
        TraceSource::open(&path, &display, Arc::clone(&table))
            .map(|s| Box::new(s) as Box<dyn ArrivalSource>)
    });
    Some(TraceSpec::new(scan.display.clone(), wl, scan.rows, open))
}
