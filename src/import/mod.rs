//! `hybridsim import`: Kubernetes manifests and node lists → a scenario file.
//!
//! Owns: the pipeline (read objects → map workloads, RuntimeClasses, PriorityClasses and
//! nodes → describe the images → put HPAs, PodDisruptionBudgets and the cluster autoscaler's
//! settings and bounds on what they concern → assemble a `scenario::raw::Scenario` → render it
//! with every assumption as a comment), the checks that the result parses back unchanged and validates, and the errors
//! and assumptions it reports. Does not own: the scenario format (`scenario::raw`) or its
//! validation (`scenario::validate`, run here on the import's own output), printing or
//! writing files (`cli`, `report`).
//!
//! Nothing is guessed silently: every default, dropped field and image description the import
//! had to make up is an `Assumption`, printed by the CLI and written into the scenario.

pub mod autoscaler;
pub mod catalog;
pub mod hpa;
pub mod images;
pub mod jobs;
pub mod k8s;
pub mod limits;
pub mod nodes;
pub mod pdb;
pub mod quantity;
pub mod quotas;
pub mod render;
pub mod workloads;

use crate::scenario::raw::{self, Os, TaintEffect, Toleration, TolerationOperator};
use crate::scenario::units::{self, Duration};
use crate::scenario::{self as scen, defaults};
pub use k8s::{ObjectRef, Origin, Skipped};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// How long an imported scenario runs (a CronJob's firings are those within it).
pub const DURATION: Duration = Duration(3_600_000);

/// What to import and how.
#[derive(Clone, Debug)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// The scenario file to be written; its stem names the scenario.
    pub output: PathBuf,
    /// `--images`: the user's image catalog.
    pub images: Option<PathBuf>,
    /// `--default-image-size` in bytes.
    pub default_image_size: u64,
}

impl Options {
    pub fn new(
        paths: &[PathBuf],
        output: &Path,
        images: Option<&Path>,
        default_image_size: &str,
    ) -> Result<Options, String> {
        let size = units::parse_bytes(default_image_size)
            .map_err(|e| format!("--default-image-size: {e}"))?;
        if size == 0 {
            return Err("--default-image-size: expected a positive size such as \"100MB\"".into());
        }
        if output.file_name().and_then(|n| n.to_str()).is_none() {
            return Err(format!(
                "-o {}: expected a file name such as cluster.ron",
                output.display()
            ));
        }
        Ok(Options {
            paths: paths.to_vec(),
            output: output.to_path_buf(),
            images: images.map(Path::to_path_buf),
            default_image_size: size,
        })
    }

    /// The output's directory and file name, for writing it atomically.
    pub fn output_parts(&self) -> (PathBuf, String) {
        let dir = match self.output.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .output
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("scenario.ron")
            .to_string();
        (dir, name)
    }

    fn scenario_name(&self) -> String {
        self.output
            .file_stem()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .unwrap_or("imported")
            .to_string()
    }
}

/// A problem with the input, located as precisely as the import knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub file: Option<String>,
    pub doc: Option<usize>,
    pub item: Option<usize>,
    pub object: Option<String>,
    pub message: String,
}

impl ImportError {
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: Some(file.to_string()),
            doc: None,
            item: None,
            object: None,
            message: message.into(),
        }
    }

    pub fn at(origin: &Origin, object: Option<&ObjectRef>, message: impl Into<String>) -> Self {
        ImportError {
            file: Some(origin.file.clone()),
            doc: Some(origin.doc),
            item: origin.item,
            object: object.map(ToString::to_string),
            message: message.into(),
        }
    }

    pub fn general(message: impl Into<String>) -> Self {
        ImportError {
            file: None,
            doc: None,
            item: None,
            object: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(d) = self.doc {
            write!(f, "document {d}")?;
            if let Some(i) = self.item {
                write!(f, ", item {i}")?;
            }
            if self.object.is_none() {
                write!(f, ": ")?;
            }
        }
        if let Some(o) = &self.object {
            if self.doc.is_some() {
                write!(f, " ")?;
            }
            write!(f, "({o}): ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Every problem found, one per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportErrors(pub Vec<ImportError>);

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

/// Something the import had to assume, with everything it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumption {
    pub subjects: Vec<String>,
    pub text: String,
}

impl fmt::Display for Assumption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 6;
        let n = self.subjects.len();
        let mut who = self.subjects[..n.min(SHOWN)].join(", ");
        if n > SHOWN {
            who.push_str(&format!(" and {} more", n - SHOWN));
        }
        write!(f, "{who}: {}", self.text)
    }
}

/// Assumptions in the order first made; the same text for several subjects (every node of a
/// pool lacking the same field) is stated once.
#[derive(Clone, Debug, Default)]
pub struct Assumptions(pub Vec<Assumption>);

impl Assumptions {
    pub fn add(&mut self, subject: impl Into<String>, text: impl Into<String>) {
        let (subject, text) = (subject.into(), text.into());
        match self.0.iter_mut().find(|a| a.text == text) {
            Some(a) => {
                if !a.subjects.contains(&subject) {
                    a.subjects.push(subject);
                }
            }
            None => self.0.push(Assumption {
                subjects: vec![subject],
                text,
            }),
        }
    }
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    pub scenario: raw::Scenario,
    /// The scenario file: a comment header, then the RON.
    pub text: String,
    pub output: String,
    pub files: Vec<String>,
    /// Each imported object and what it became.
    pub mapped: Vec<(Origin, String, String)>,
    pub skipped: Vec<Skipped>,
    /// Each pool and the names of the nodes it stands for.
    pub pools: Vec<(String, Vec<String>)>,
    pub assumptions: Vec<Assumption>,
}

fn selected_keys(t: &raw::PodTemplate, out: &mut BTreeSet<String>) {
    out.extend(t.node_selector.keys().cloned());
    if let Some(a) = &t.affinity {
        for term in a
            .required
            .iter()
            .flatten()
            .chain(a.preferred.iter().map(|p| &p.preference))
        {
            out.extend(term.match_expressions.iter().map(|r| r.key.clone()));
        }
    }
}

/// Whether a template asks for Windows nodes (for the warning on images assumed Linux).
fn selects_windows(t: &raw::PodTemplate, rcs: &[raw::RuntimeClass]) -> bool {
    let os = "kubernetes.io/os";
    let rc_sel = t
        .runtime_class_name
        .as_ref()
        .and_then(|n| rcs.iter().find(|r| &r.name == n))
        .and_then(|r| r.scheduling.as_ref())
        .and_then(|s| s.node_selector.get(os));
    let affinity = t
        .affinity
        .as_ref()
        .and_then(|a| a.required.as_ref())
        .is_some_and(|terms| {
            terms.iter().all(|term| {
                term.match_expressions.iter().any(|r| {
                    r.key == os
                        && r.operator == raw::SelectorOperator::In
                        && r.values.iter().all(|v| v == "windows")
                })
            })
        });
    t.node_selector.get(os).map(String::as_str) == Some("windows")
        || rc_sel.map(String::as_str) == Some("windows")
        || affinity
}

/// Workload names: the object's name when no other imported workload has it, else
/// `namespace-name`, then with the kind, then numbered.
fn unique_names(drafts: &[workloads::Draft]) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for d in drafts {
        *count.entry(d.name.as_str()).or_default() += 1;
    }
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    for d in drafts {
        let base = if count[d.name.as_str()] == 1 {
            d.name.clone()
        } else {
            format!("{}-{}", d.namespace, d.name)
        };
        let mut name = base.clone();
        if used.contains(&name) {
            name = format!("{base}-{}", d.id.kind.to_ascii_lowercase());
        }
        let mut k = 2;
        while used.contains(&name) {
            name = format!("{base}-{k}");
            k += 1;
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// Runs the whole import. Errors are input problems; on success the scenario text has been
/// parsed back (equal to what was serialised) and validated.
pub fn import(opts: &Options) -> Result<Imported, ImportErrors> {
    let (docs, mut errs) = k8s::read(&opts.paths);
    let user = match &opts.images {
        Some(p) => match images::load_user(p) {
            Ok(u) => Some(u),
            Err(e) => {
                errs.push(e);
                None
            }
        },
        None => None,
    };
    let mut asm = Assumptions::default();

    errs.extend(workloads::owner_cycles(&docs.objects));
    let mapped = workloads::map(&docs.objects, &mut asm, &mut errs);
    let budgets = pdb::parse(&docs.objects, &mut asm, &mut errs);
    let priority_classes = workloads::priority_classes(&docs.objects, &mut errs);
    let cluster_autoscaler = autoscaler::read(&docs.objects, &mut asm, &mut errs);
    quotas::check(&docs.objects, &mut errs);
    let mut node_facts = Vec::new();
    for o in &docs.objects {
        if let k8s::Kind::Node(n) = &o.kind {
            match nodes::facts(n, &o.origin, &mut asm) {
                Ok(f) => node_facts.push(f),
                Err(e) => errs.push(ImportError::at(&o.origin, Some(&o.id), e)),
            }
        }
    }
    if !errs.is_empty() {
        return Err(ImportErrors(errs));
    }
    if node_facts.is_empty() {
        return Err(ImportErrors(vec![ImportError::general(
            "no Node objects among the inputs: add a node list (`kubectl get nodes -o yaml > \
             nodes.yaml`) so the scenario has pools",
        )]));
    }

    let mut drafts = mapped.workloads;
    let mut runtime_classes = mapped.runtime_classes;
    for d in &drafts {
        if let Some(rc) = &d.template.runtime_class_name
            && !runtime_classes.iter().any(|r| &r.name == rc)
        {
            asm.add(
                format!("RuntimeClass {rc}"),
                format!(
                    "used by {} but not among the inputs; declared with handler \"{rc}\" and no \
                     scheduling (a real API server rejects pods naming a RuntimeClass that does \
                     not exist)",
                    d.id
                ),
            );
            runtime_classes.push(raw::RuntimeClass {
                name: rc.clone(),
                handler: rc.clone(),
                scheduling: None,
                overhead: None,
            });
        }
    }
    let mut selected = BTreeSet::new();
    for d in &drafts {
        selected_keys(&d.template, &mut selected);
    }
    for rc in &runtime_classes {
        if let Some(s) = &rc.scheduling {
            selected.extend(s.node_selector.keys().cloned());
        }
    }
    let groups = nodes::group(&node_facts, &selected, &mut asm);

    if groups.iter().any(|g| {
        g.pool
            .taints
            .iter()
            .any(|t| t.key == nodes::UNSCHEDULABLE_TAINT)
    }) {
        let cordon = raw::Taint::new(nodes::UNSCHEDULABLE_TAINT, "", TaintEffect::NoSchedule);
        for d in drafts
            .iter_mut()
            .filter(|d| d.kind == raw::WorkloadKind::DaemonSet)
        {
            if !crate::model::selector::tolerated(&d.template.tolerations, &cordon) {
                d.template.tolerations.push(Toleration {
                    key: nodes::UNSCHEDULABLE_TAINT.into(),
                    operator: TolerationOperator::Exists,
                    effect: Some(TaintEffect::NoSchedule),
                    ..Default::default()
                });
                asm.add(
                    d.id.to_string(),
                    "toleration node.kubernetes.io/unschedulable:NoSchedule added, as the \
                     DaemonSet controller adds it to its pods, so they still land on cordoned \
                     nodes",
                );
            }
        }
    }

    let names = unique_names(&drafts);
    let mut uses: Vec<images::ImageUse> = Vec::new();
    for (d, name) in drafts.iter().zip(&names) {
        let t = &d.template;
        for c in t.init_containers.iter().chain(&t.containers) {
            let i = match uses.iter().position(|u| u.name == c.image) {
                Some(i) => i,
                None => {
                    uses.push(images::ImageUse {
                        name: c.image.clone(),
                        ..Default::default()
                    });
                    uses.len() - 1
                }
            };
            let u = &mut uses[i];
            if !u.workloads.contains(name) {
                u.workloads.push(name.clone());
            }
            u.host_process |= t.host_process;
            u.windows_pods |= selects_windows(t, &runtime_classes);
        }
    }
    let book = images::build(
        &uses,
        &node_facts,
        user.as_ref(),
        opts.default_image_size,
        &mut asm,
    )
    .map_err(ImportErrors)?;

    let mut pools = Vec::new();
    let mut pool_nodes = Vec::new();
    for g in groups {
        let mut pool = g.pool;
        let sets: Vec<BTreeSet<String>> = g
            .nodes
            .iter()
            .map(|&i| book.cached_on(&node_facts[i]))
            .collect();
        let all: BTreeSet<&String> = sets.iter().flatten().collect();
        let everywhere: Vec<String> = book
            .images
            .iter()
            .map(|i| &i.name)
            .filter(|n| sets.iter().all(|s| s.contains(*n)))
            .cloned()
            .collect();
        let partial: Vec<String> = all
            .into_iter()
            .filter(|n| !everywhere.contains(n))
            .cloned()
            .collect();
        if !partial.is_empty() {
            asm.add(
                format!("pool {}", pool.name),
                format!(
                    "{} held by some but not all of its nodes' caches; not preloaded (a pool \
                     preloads an image only when every node of the group has it)",
                    partial.join(", ")
                ),
            );
        }
        pool.preloaded_images = (!everywhere.is_empty()).then_some(everywhere);
        pool_nodes.push((
            pool.name.clone(),
            g.nodes
                .iter()
                .map(|&i| node_facts[i].name.clone())
                .collect::<Vec<_>>(),
        ));
        pools.push(pool);
    }

    autoscaler::apply(&cluster_autoscaler, &mut pools, &mut asm);

    // HPAs: each onto the Deployment-like workload its scaleTargetRef names.
    let mut hpas: Vec<Option<raw::Hpa>> = vec![None; drafts.len()];
    let mut hpa_mapped = Vec::new();
    let mut hpa_skipped = Vec::new();
    for o in &docs.objects {
        let k8s::Kind::HorizontalPodAutoscaler(h) = &o.kind else {
            continue;
        };
        let r = &h.spec.scale_target_ref;
        let ns = o.id.namespace.as_deref().unwrap_or("default");
        let target = drafts.iter().position(|d| {
            d.namespace == ns
                && ((d.id.kind == r.kind && d.id.name == r.name)
                    || (r.kind == "Deployment"
                        && d.name == r.name
                        && d.kind == raw::WorkloadKind::Deployment))
        });
        let why = match target {
            None => Err(format!(
                "its target {}/{ns}/{} is not among the imported workloads",
                r.kind, r.name
            )),
            Some(i) if drafts[i].kind != raw::WorkloadKind::Deployment => Err(format!(
                "its target {} is imported as a {:?}, which an HPA does not scale",
                drafts[i].id, drafts[i].kind
            )),
            Some(i) if hpas[i].is_some() => Err(format!(
                "{} already has an HPA among the inputs (two HPAs fighting over one target)",
                drafts[i].id
            )),
            Some(i) => hpa::map(o, h, drafts[i].replicas, &mut asm).map(|m| (i, m)),
        };
        match why {
            Ok((i, m)) => {
                hpas[i] = Some(m);
                hpa_mapped.push((
                    o.origin.clone(),
                    o.id.to_string(),
                    format!("hpa of workload {}", names[i]),
                ));
            }
            Err(why) => hpa_skipped.push(k8s::Skipped {
                origin: o.origin.clone(),
                id: o.id.to_string(),
                why,
            }),
        }
    }

    // PodDisruptionBudgets: each onto the Deployments whose pods its selector matches.
    let most: Vec<u32> = drafts
        .iter()
        .zip(&hpas)
        .map(|(d, h)| {
            h.as_ref()
                .map_or(d.replicas, |h| h.max_replicas.max(d.replicas))
        })
        .collect();
    let pdbs = pdb::assign(&budgets, &drafts, &names, &most, &mut asm);

    let quotas = quotas::collect(&docs.objects, &mut asm);

    let workloads: Vec<raw::Workload> = drafts
        .iter()
        .zip(&names)
        .zip(hpas)
        .zip(pdbs.budgets)
        .map(|(((d, name), hpa), disruption_budget)| raw::Workload {
            name: name.clone(),
            kind: d.kind,
            replicas: d.replicas,
            created_at: Some(d.created_at),
            hpa: hpa.map(Box::new),
            count: 1,
            stagger: Duration(0),
            template: std::sync::Arc::new(d.template.clone()),
            job: d.job.clone(),
            strategy: None,
            disruption_budget,
            namespace: d.id.namespace.clone().filter(|n| n != "default"),
        })
        .collect();

    // A CronJob's Replace: each Job deleted at the next firing.
    let mut timeline: Vec<raw::TimelineEntry> = drafts
        .iter()
        .zip(&names)
        .filter_map(|(d, name)| {
            d.deleted_at.map(|at| raw::TimelineEntry {
                at,
                action: raw::Action::Delete {
                    workload: name.clone(),
                },
            })
        })
        .collect();
    timeline.sort_by_key(|e| e.at);

    asm.add(
        "scenario",
        "duration 1h and seed 1; kubelet, scheduler and controller settings are the simulator's \
         defaults (serialized image pulls; a Windows image whose build the host cannot run is \
         pulled and fails at container creation); every workload but a CronJob's Jobs is created at time 0",
    );
    asm.add(
        "pools",
        format!(
            "Node objects do not report registry bandwidth or extraction speed: the simulator's \
             defaults apply ({}/s download, extraction {}/s on Linux and {}/s on Windows)",
            images::human(defaults::PULL_BANDWIDTH),
            images::human(defaults::LINUX_EXTRACTION),
            images::human(defaults::WINDOWS_EXTRACTION)
        ),
    );
    if pools.iter().all(|p| p.os != Os::Linux) {
        asm.add(
            "pools",
            "no Linux node among the inputs; a real cluster needs one for its control plane and \
             system pods",
        );
    }

    let mut mapped_objects = Vec::new();
    for (d, name) in drafts.iter().zip(&names) {
        let kind = match d.kind {
            raw::WorkloadKind::Deployment => "Deployment",
            raw::WorkloadKind::DaemonSet => "DaemonSet",
            raw::WorkloadKind::Pod => "Pod",
            raw::WorkloadKind::Job => "Job",
        };
        mapped_objects.push((
            d.origin.clone(),
            d.id.to_string(),
            format!("workload {name} ({kind})"),
        ));
    }
    for o in &docs.objects {
        let what = match &o.kind {
            k8s::Kind::RuntimeClass(_) => format!("RuntimeClass {}", o.id.name),
            k8s::Kind::LimitRange(_) => format!(
                "default requests of the containers of namespace {}",
                o.id.namespace.as_deref().unwrap_or("default")
            ),
            k8s::Kind::PriorityClass(pc) => format!(
                "priority class {} (value {}, preemptionPolicy {})",
                o.id.name,
                pc.value.unwrap_or(0),
                pc.preemption_policy
                    .as_deref()
                    .unwrap_or("PreemptLowerPriority")
            ),
            k8s::Kind::Node(_) => match pool_nodes.iter().find(|(_, ns)| ns.contains(&o.id.name)) {
                Some((p, _)) => format!("a node of pool {p}"),
                None => continue,
            },
            _ => continue,
        };
        mapped_objects.push((o.origin.clone(), o.id.to_string(), what));
    }
    mapped_objects.extend(hpa_mapped);
    mapped_objects.extend(pdbs.mapped);
    mapped_objects.extend(quotas.mapped);
    mapped_objects.extend(cluster_autoscaler.mapped);
    mapped_objects.sort_by(|a, b| {
        (a.0.file.as_str(), a.0.doc, a.0.item).cmp(&(b.0.file.as_str(), b.0.doc, b.0.item))
    });

    let mut skipped = docs.skipped;
    skipped.extend(mapped.skipped);
    skipped.extend(hpa_skipped);
    skipped.extend(pdbs.skipped);
    skipped.extend(quotas.skipped);
    skipped.sort_by(|a, b| {
        (a.origin.file.as_str(), a.origin.doc, a.origin.item).cmp(&(
            b.origin.file.as_str(),
            b.origin.doc,
            b.origin.item,
        ))
    });
    let name = opts.scenario_name();
    let scenario = raw::Scenario {
        name: name.clone(),
        description: format!(
            "Imported by `hybridsim import` from {} file{}.",
            docs.files.len(),
            if docs.files.len() == 1 { "" } else { "s" }
        ),
        seed: 1,
        duration: DURATION,
        sample_interval: Duration::secs(10),
        kubelet: Default::default(),
        scheduler: Default::default(),
        controllers: Default::default(),
        autoscaler: cluster_autoscaler.settings.clone().unwrap_or_default(),
        pools,
        layers: book.layers,
        images: book.images,
        runtime_classes,
        priority_classes,
        workloads,
        timeline,
        variants: Vec::new(),
        assertions: Vec::new(),
        limits: Default::default(),
        trace: None,
        trace_template: None,
        registries: Vec::new(),
        preset: None,
        resource_quotas: quotas.quotas,
    };
    let output = opts.output.display().to_string();
    // General statements first, then pools, images and the objects they concern; the order
    // within a group is the order the import made them in.
    let rank = |a: &Assumption| {
        let s = a.subjects[0].as_str();
        if s == "scenario" {
            0
        } else if s == "pools" || s == "nodes" || s.starts_with("pool ") || s.starts_with("node ") {
            1
        } else if s.starts_with("image ") || s == "node caches" {
            2
        } else {
            3
        }
    };
    asm.0.sort_by_key(rank);
    let mut imported = Imported {
        scenario,
        text: String::new(),
        output: output.clone(),
        files: docs.files,
        mapped: mapped_objects,
        skipped,
        pools: pool_nodes,
        assumptions: asm.0,
    };
    let body = scen::to_ron(&imported.scenario).map_err(|e| {
        ImportErrors(vec![ImportError::general(format!(
            "cannot serialise the scenario: {e}"
        ))])
    })?;
    imported.text = format!("{}{body}\n", render::header(&imported));

    // The file must read back as exactly what was built, and pass the same validation `run`
    // applies; anything else is a bug here or an input the format cannot express.
    let back = scen::parse_raw(&imported.text, &output).map_err(|e| {
        ImportErrors(vec![ImportError::general(format!(
            "the generated scenario does not parse back (a bug in the import):\n{e}"
        ))])
    })?;
    if back != imported.scenario {
        return Err(ImportErrors(vec![ImportError::general(
            "the generated scenario reads back different from what was written (a bug in the \
             import)",
        )]));
    }
    scen::validate_raw(&back, &imported.text, &output).map_err(|e| {
        ImportErrors(vec![ImportError::general(format!(
            "the generated scenario does not validate:\n{e}"
        ))])
    })?;
    Ok(imported)
}
