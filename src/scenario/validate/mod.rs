//! Raw scenario → validated `Spec`: resolves names to ids, fills computed defaults, checks
//! semantics, and bounds the size of the run.
//!
//! Every problem is collected (not just the first) with the path of the offending value, so
//! the caller can print `FILE:LINE:COL: what was expected` for each. Nothing here panics on bad
//! input: all indexing is on ids this module has just created.
//!
//! Validation is a pure function of the raw scenario and the files it refers to, read
//! beforehand (`scenario::files`). One file per section of the scenario: `settings` (top level,
//! kubelet, scheduler, controllers, autoscaler), `images` (layers and images), `pools`,
//! `runtime_classes`, `workloads` (templates, HPAs, copies), `priority_classes` (the Priority
//! admission plugin on templates), `quotas` (namespaces and ResourceQuotas), `timeline`,
//! `variants`; `limits`
//! estimates the run's size before copies are expanded; `checks` holds rules several sections
//! share. Defaults live in `scenario::defaults`; assertions are parsed by
//! `experiment::assertions`, which owns their grammar.

mod checks;
mod images;
pub mod limits;
mod pools;
mod priority_classes;
pub mod quotas;
mod resources;
pub use resources::is_extended_resource_name;
mod runtime_classes;
mod settings;
mod timeline;
mod trace;
pub mod variants;
mod workloads;

use super::files::ScenarioFiles;
use super::locate::Path;
use super::raw;
use crate::model::Spec;

/// Kept here for the scheduler, which imported it from this module before the label keys moved
/// to `model::labels`.
pub use crate::model::labels::{HOSTNAME_LABEL, POOL_LABEL};

/// One semantic problem, located by its path in the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: Path,
    pub message: String,
}

/// The problems found so far.
#[derive(Default)]
struct Ctx {
    diags: Vec<Diagnostic>,
    /// Extended resource names in slot order (`resources`).
    extended: Vec<String>,
}

impl Ctx {
    fn err(&mut self, path: Path, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            path,
            message: message.into(),
        });
    }
}

/// Validates `raw` into a `Spec`, or returns every problem found. Load curves are read
/// relative to the working directory.
pub fn validate(raw: &raw::Scenario) -> Result<Spec, Vec<Diagnostic>> {
    validate_in(raw, None)
}

/// Reads the files `raw` refers to (relative to `base_dir`), then validates.
pub fn validate_in(
    raw: &raw::Scenario,
    base_dir: Option<&std::path::Path>,
) -> Result<Spec, Vec<Diagnostic>> {
    let files = ScenarioFiles::read(raw, base_dir);
    validate_with(raw, &files)
}

/// Validates `raw` with the files it refers to already read: no IO.
pub fn validate_with(raw: &raw::Scenario, files: &ScenarioFiles) -> Result<Spec, Vec<Diagnostic>> {
    let mut cx = Ctx::default();
    settings::check_top(&mut cx, raw);
    let settings = settings::check(&mut cx, raw);
    let catalog = images::check(&mut cx, raw);
    let pools = pools::check(&mut cx, raw, &catalog, settings.global_parallel);
    let rc_ix = runtime_classes::check(&mut cx, raw);
    let checked = workloads::check(&mut cx, raw, &catalog, &rc_ix, files);
    priority_classes::check(&mut cx, raw);
    cx.diags.extend(checked.priority_diags);
    // The size of the run is bounded before copies are expanded: the expansion allocates in
    // proportion to `count`, and the run in proportion to the pods and samples.
    if !limits::check(&mut cx, raw, &checked.hpas, &checked.index) {
        return Err(cx.diags);
    }
    let (mut workloads, copies) = workloads::expand(
        &mut cx,
        raw,
        &checked.hpas,
        &checked.strategies,
        &checked.template_of,
    );
    let mut templates = checked.templates;
    let rollouts = timeline::Rollouts {
        catalog: &catalog,
        rc_ix: &rc_ix,
        templates: &mut templates,
    };
    let timeline = timeline::check(&mut cx, raw, &checked.index, &copies, rollouts);
    let namespaces = quotas::namespaces(&mut cx, raw);
    let resource_quotas = quotas::check(&mut cx, raw, &namespaces);
    let trace = trace::check(
        &mut cx,
        raw,
        &catalog,
        &rc_ix,
        files,
        &mut templates,
        &mut workloads,
    );

    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    quotas::assign(raw, &namespaces, &mut workloads, &copies);
    let any_scalar_request = templates
        .iter()
        .any(|t| crate::model::any_scalar(&t.scalar_requests));
    Ok(Spec {
        name: raw.name.clone(),
        seed: raw.seed,
        duration: raw.duration.0,
        sample_interval: raw.sample_interval.0,
        kubelet: settings.kubelet,
        scheduler: settings.scheduler,
        controllers: settings.controllers,
        autoscaler: settings.autoscaler,
        pools,
        layers: catalog.layers,
        images: catalog.images,
        registries: catalog.registries,
        templates,
        workloads,
        timeline,
        trace,
        scalar_names: cx.scalar_names(),
        any_scalar_request,
        namespaces,
        quotas: resource_quotas,
    })
}
