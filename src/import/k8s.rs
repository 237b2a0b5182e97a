//! Reading Kubernetes objects from files: YAML (one or many documents), JSON, and the `List`
//! wrapper `kubectl get -o yaml|json` prints, into the typed objects of `k8s-openapi`.
//!
//! Owns: walking the input paths, splitting documents, recognising `kind`/`apiVersion`, the
//! typed decoding (with the path of the field that failed), and naming every object by
//! file, document and `kind/namespace/name` in errors. Does not own: what an object means for
//! the scenario (`workloads`, `nodes`); kinds it does not support are returned as skipped, not
//! rejected, because real manifest folders mix Services and ConfigMaps in with Deployments.

use super::ImportError;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where an object came from: its file, the document in that file (1-based) and, for a `List`,
/// the item in it (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub doc: usize,
    pub item: Option<usize>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: document {}", self.file, self.doc)?;
        if let Some(i) = self.item {
            write!(f, ", item {i}")?;
        }
        Ok(())
    }
}

/// `kind/namespace/name` (or `kind/name` for cluster-scoped kinds), as kubectl names objects.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{ns}/{}", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// The supported kinds, decoded into the Kubernetes API types.
#[derive(Clone, Debug)]
pub enum Kind {
    Deployment(Box<Deployment>),
    ReplicaSet(Box<ReplicaSet>),
    StatefulSet(Box<StatefulSet>),
    DaemonSet(Box<DaemonSet>),
    Pod(Box<Pod>),
    RuntimeClass(Box<RuntimeClass>),
    PriorityClass(Box<PriorityClass>),
    Node(Box<Node>),
}

#[derive(Clone, Debug)]
pub struct Object {
    pub origin: Origin,
    pub id: ObjectRef,
    pub kind: Kind,
}

/// An object the import does not use, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub origin: Origin,
    pub id: String,
    pub why: String,
}

/// Everything read from the inputs.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    pub files: Vec<String>,
    pub objects: Vec<Object>,
    pub skipped: Vec<Skipped>,
}

/// The kinds the import maps, with the one `apiVersion` each is served as today.
const SUPPORTED: [(&str, &str); 8] = [
    ("Deployment", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("Pod", "v1"),
    ("Node", "v1"),
    ("RuntimeClass", "node.k8s.io/v1"),
    ("PriorityClass", "scheduling.k8s.io/v1"),
];

fn namespaced(kind: &str) -> bool {
    !matches!(
        kind,
        "Node" | "RuntimeClass" | "PriorityClass" | "Namespace"
    )
}

/// Reads every path: files as given, directories recursively (files ending in `.yaml`, `.yml`
/// or `.json`, in name order, hidden entries skipped). Returns what could be read together
/// with every error, rather than stopping at the first, so one run shows all that is wrong
/// with a folder.
pub fn read(paths: &[PathBuf]) -> (Documents, Vec<ImportError>) {
    let mut files = Vec::new();
    let mut errs = Vec::new();
    for p in paths {
        collect(p, true, &mut files, &mut errs);
    }
    let mut docs = Documents::default();
    for f in &files {
        let name = f.display().to_string();
        match std::fs::read_to_string(f) {
            Ok(text) => read_text(&name, &text, &mut docs, &mut errs),
            Err(e) => errs.push(ImportError::file(&name, format!("cannot read: {e}"))),
        }
        docs.files.push(name);
    }
    (docs, errs)
}

fn collect(p: &Path, explicit: bool, out: &mut Vec<PathBuf>, errs: &mut Vec<ImportError>) {
    let name = p.display().to_string();
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            errs.push(ImportError::file(&name, format!("cannot read: {e}")));
            return;
        }
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                errs.push(ImportError::file(&name, format!("cannot list: {e}")));
                return;
            }
        };
        entries.sort();
        for e in entries {
            let hidden = e
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                collect(&e, false, out, errs);
            }
        }
    } else if explicit || is_manifest_name(p) {
        out.push(p.to_path_buf());
    }
}

fn is_manifest_name(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Reads the documents of one file's text (exposed for tests).
pub fn read_text(file: &str, text: &str, docs: &mut Documents, errs: &mut Vec<ImportError>) {
    let json = file.ends_with(".json") || text.trim_start().starts_with('{');
    if json {
        let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        for (i, v) in stream.enumerate() {
            let origin = Origin {
                file: file.to_string(),
                doc: i + 1,
                item: None,
            };
            match v {
                Ok(v) => document(origin, v, docs, errs),
                Err(e) => {
                    errs.push(ImportError::at(
                        &origin,
                        None,
                        format!("not valid JSON: {e}"),
                    ));
                    return;
                }
            }
        }
        return;
    }
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let origin = Origin {
            file: file.to_string(),
            doc: i + 1,
            item: None,
        };
        match Value::deserialize(de) {
            Ok(v) => document(origin, v, docs, errs),
            Err(e) => {
                errs.push(ImportError::at(
                    &origin,
                    None,
                    format!("not valid YAML: {e}"),
                ));
                // The parser cannot resynchronise after a syntax error.
                return;
            }
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn str_field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn document(origin: Origin, v: Value, docs: &mut Documents, errs: &mut Vec<ImportError>) {
    // `---` at the end of a file, or a document holding only comments.
    if v.is_null() {
        return;
    }
    if !v.is_object() {
        errs.push(ImportError::at(
            &origin,
            None,
            format!(
                "not a Kubernetes object: expected a mapping with `apiVersion` and `kind`, \
                 found {}",
                type_name(&v)
            ),
        ));
        return;
    }
    let (Some(kind), Some(api_version)) =
        (str_field(&v, &["kind"]), str_field(&v, &["apiVersion"]))
    else {
        let missing = if str_field(&v, &["kind"]).is_none() {
            "kind"
        } else {
            "apiVersion"
        };
        errs.push(ImportError::at(
            &origin,
            None,
            format!("not a Kubernetes object: `{missing}` is missing"),
        ));
        return;
    };
    let (kind, api_version) = (kind.to_string(), api_version.to_string());
    if let Some(items) = v.get("items").and_then(Value::as_array)
        && kind.ends_with("List")
    {
        // `kubectl get -o yaml` prints `kind: List` with fully typed items; a typed list read
        // straight from the API (`NodeList`) leaves `kind` and `apiVersion` off its items.
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        for (j, item) in items.iter().enumerate() {
            let mut item = item.clone();
            if let (Some(k), Some(obj)) = (item_kind, item.as_object_mut()) {
                obj.entry("kind").or_insert_with(|| Value::from(k));
                obj.entry("apiVersion")
                    .or_insert_with(|| Value::from(api_version.as_str()));
            }
            let o = Origin {
                item: Some(j + 1),
                ..origin.clone()
            };
            document(o, item, docs, errs);
        }
        return;
    }
    let name = str_field(&v, &["metadata", "name"])
        .unwrap_or("")
        .to_string();
    let namespace = namespaced(&kind).then(|| {
        str_field(&v, &["metadata", "namespace"])
            .unwrap_or("default")
            .to_string()
    });
    let id = ObjectRef {
        kind: kind.clone(),
        namespace,
        name: if name.is_empty() {
            "<no name>".into()
        } else {
            name.clone()
        },
    };
    let Some(&(_, served)) = SUPPORTED.iter().find(|(k, _)| *k == kind) else {
        docs.skipped.push(Skipped {
            origin,
            id: id.to_string(),
            why: format!("kind {kind} is not used by the simulator"),
        });
        return;
    };
    if api_version != served {
        errs.push(ImportError::at(
            &origin,
            Some(&id),
            format!(
                "apiVersion {api_version} is not supported for {kind}; the API server serves \
                 it as {served} (convert the manifest with `kubectl convert` or edit apiVersion)"
            ),
        ));
        return;
    }
    if name.is_empty() {
        errs.push(ImportError::at(
            &origin,
            Some(&id),
            "metadata.name: missing required field",
        ));
        return;
    }
    let decoded = match kind.as_str() {
        "Deployment" => typed(v).map(|o| Kind::Deployment(Box::new(o))),
        "ReplicaSet" => typed(v).map(|o| Kind::ReplicaSet(Box::new(o))),
        "StatefulSet" => typed(v).map(|o| Kind::StatefulSet(Box::new(o))),
        "DaemonSet" => typed(v).map(|o| Kind::DaemonSet(Box::new(o))),
        "Pod" => typed(v).map(|o| Kind::Pod(Box::new(o))),
        "Node" => typed(v).map(|o| Kind::Node(Box::new(o))),
        "RuntimeClass" => typed(v).map(|o| Kind::RuntimeClass(Box::new(o))),
        "PriorityClass" => typed(v).map(|o| Kind::PriorityClass(Box::new(o))),
        other => Err(format!("kind {other} has no decoder (a bug in the import)")),
    };
    match decoded {
        Ok(kind) => docs.objects.push(Object { origin, id, kind }),
        Err(e) => errs.push(ImportError::at(&origin, Some(&id), e)),
    }
}

/// Decodes into a `k8s-openapi` type, naming the field that does not fit.
fn typed<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(file: &str, text: &str) -> (Documents, Vec<ImportError>) {
        let mut docs = Documents::default();
        let mut errs = Vec::new();
        read_text(file, text, &mut docs, &mut errs);
        (docs, errs)
    }

    #[test]
    fn a_list_with_untyped_items_takes_the_kind_from_the_list() {
        let (docs, errs) = read_str(
            "n.json",
            r#"{"apiVersion":"v1","kind":"NodeList","items":[{"metadata":{"name":"a"}}]}"#,
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(docs.objects.len(), 1);
        assert_eq!(docs.objects[0].id.to_string(), "Node/a");
        assert_eq!(docs.objects[0].origin.item, Some(1));
    }

    #[test]
    fn a_wrongly_typed_field_is_named_by_its_path() {
        let (_, errs) = read_str(
            "d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n",
        );
        assert_eq!(errs.len(), 1);
        let msg = errs[0].to_string();
        assert!(
            msg.starts_with("d.yaml: document 1 (Deployment/default/web): spec.replicas:"),
            "{msg}"
        );
    }
}
