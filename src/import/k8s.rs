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
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, Node, Pod, ResourceQuota};
use k8s_openapi::api::node::v1::RuntimeClass;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde::de::DeserializeOwned;
use serde::de::DeserializeSeed;
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
    HorizontalPodAutoscaler(Box<HorizontalPodAutoscaler>),
    Job(Box<Job>),
    CronJob(Box<CronJob>),
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    LimitRange(Box<LimitRange>),
    /// Only `kube-system/cluster-autoscaler-status`; other ConfigMaps are skipped.
    ConfigMap(Box<ConfigMap>),
    ResourceQuota(Box<ResourceQuota>),
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
const SUPPORTED: [(&str, &str); 14] = [
    ("HorizontalPodAutoscaler", "autoscaling/v2"),
    ("Deployment", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("Pod", "v1"),
    ("Node", "v1"),
    ("RuntimeClass", "node.k8s.io/v1"),
    ("PriorityClass", "scheduling.k8s.io/v1"),
    ("Job", "batch/v1"),
    ("CronJob", "batch/v1"),
    ("PodDisruptionBudget", "policy/v1"),
    ("LimitRange", "v1"),
    ("ResourceQuota", "v1"),
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
    read_with_stdin(paths, &mut std::io::stdin().lock())
}

/// The name standard input is reported under, when a path is `-`.
pub const STDIN_NAME: &str = "<stdin>";

/// [`read`], with `-` read from `stdin` (`kubectl get … -o yaml | hybridsim import -`), once,
/// under the same size limit as a file.
pub fn read_with_stdin(
    paths: &[PathBuf],
    stdin: &mut dyn std::io::Read,
) -> (Documents, Vec<ImportError>) {
    let mut files = Vec::new();
    let mut errs = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            if !files.iter().any(|f: &PathBuf| f.as_os_str() == "-") {
                files.push(p.clone());
            }
            continue;
        }
        collect(p, true, &mut files, &mut errs);
    }
    let mut docs = Documents::default();
    for f in &files {
        let stdin_path = f.as_os_str() == "-";
        let name = if stdin_path {
            STDIN_NAME.to_string()
        } else {
            f.display().to_string()
        };
        let bytes = if stdin_path {
            read_limited(stdin)
        } else {
            read_bounded(f)
        };
        match bytes {
            Ok(bytes) => read_bytes(&name, &bytes, &mut docs, &mut errs),
            Err(e) => errs.push(ImportError::file(&name, e)),
        }
        docs.files.push(name);
    }
    reject_duplicates(&mut docs, &mut errs);
    (docs, errs)
}

/// Largest input file: `kubectl get nodes,pods -A -o yaml` of a 5,000-node cluster is tens of
/// megabytes; anything beyond this is not a cluster dump and would only make the parser slow.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Deepest nesting of flow collections (`[`, `{`) plus compact block sequences (`- - x`) a
/// document may have. Kubernetes objects nest about 15 levels (a pod template's node
/// affinity); the YAML parser gives up at 128 but only after a scan that is quadratic in the
/// text (issue 11: 400 KB took 284 s), so the limit is checked before it runs.
pub const MAX_NESTING: usize = 100;

/// Reads a file, refusing one larger than [`MAX_FILE_BYTES`] before reading it.
fn read_bounded(f: &Path) -> Result<Vec<u8>, String> {
    let mut file = std::fs::File::open(f).map_err(|e| format!("cannot read: {e}"))?;
    read_limited(&mut file)
}

/// Reads at most [`MAX_FILE_BYTES`]; more is refused.
fn read_limited(file: &mut dyn std::io::Read) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    // One byte more than the limit tells "too large" from "exactly the limit".
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "larger than {} MiB; split it into several files",
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

/// Reads the documents of one file's bytes: invalid UTF-8 is an error with its byte offset and
/// line; a UTF-8 byte order mark (Windows editors write one) is dropped.
pub fn read_bytes(file: &str, bytes: &[u8], docs: &mut Documents, errs: &mut Vec<ImportError>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => read_text(file, text, docs, errs),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let col = at
                - bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            errs.push(ImportError::file(
                file,
                format!(
                    "not valid UTF-8: byte {at} (line {line}, column {col}) is 0x{:02x}; save \
                     the file as UTF-8",
                    bytes[at]
                ),
            ));
        }
    }
}

/// What a linear pre-scan of a file finds before the YAML parser may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// The deepest nesting: flow collections (`[`, `{`) plus `- ` sequence entries that open
    /// on the same line.
    pub depth: usize,
    /// The 1-based line where that depth is first reached.
    pub depth_line: usize,
}

/// Scans `text` once, with no allocation. A bracket or quote counts only where YAML
/// lets one begin a node (at the start of a line's content or after `:`, `-`, `?`, `,`, `[`,
/// `{`), so brackets inside plain scalars, quoted scalars and comments do not.
pub fn scan(text: &str) -> Scan {
    let (mut depth, mut max, mut max_line) = (0usize, 0usize, 1usize);
    let mut line = 1usize;
    let mut quote: Option<u8> = None;
    // The last byte of the line that is not a space, if any.
    let mut prev: Option<u8> = None;
    let mut compact = 0usize;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' && q == b'"' {
                i += 2;
                continue;
            }
            if c == q {
                // '' inside a single-quoted scalar is an escaped quote.
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                quote = None;
                prev = Some(c);
            } else if c == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        let node_start = matches!(prev, None | Some(b':' | b'-' | b'?'))
            || (depth > 0 && matches!(prev, Some(b',' | b'[' | b'{')));
        match c {
            b'\n' => {
                line += 1;
                prev = None;
                compact = 0;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' if node_start => quote = Some(c),
            b'[' | b'{' if node_start || depth > 0 => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b'-' if depth == 0
                && matches!(prev, None | Some(b'-'))
                && matches!(b.get(i + 1), Some(b' ' | b'\n') | None) =>
            {
                compact += 1;
            }
            _ => {}
        }
        prev = Some(c);
        if depth + compact > max {
            max = depth + compact;
            max_line = line;
        }
        i += 1;
    }
    Scan {
        depth: max,
        depth_line: max_line,
    }
}

/// Values a file may expand to beyond one per byte of its text: room for ordinary use of
/// anchors and aliases (PyYAML writes `&id001`/`*id001` for repeated lists), far below what
/// an alias bomb expands to.
pub const MIN_VALUE_BUDGET: u64 = 1_000_000;

/// The number of YAML values a file may still build.
pub struct Budget {
    left: std::cell::Cell<u64>,
    total: u64,
}

impl Budget {
    pub fn new(total: u64) -> Self {
        Budget {
            left: std::cell::Cell::new(total),
            total,
        }
    }

    fn take<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.left.get().checked_sub(1) {
            Some(l) => {
                self.left.set(l);
                Ok(())
            }
            None => Err(E::custom(format!(
                "the document expands to more than {} values, more than its text holds: YAML \
                 aliases repeat large nodes (an alias bomb?)",
                self.total
            ))),
        }
    }
}

/// Deserialises any YAML value into a JSON value, as `Value::deserialize` does, counting every
/// value (aliases included) against a [`Budget`] and stopping when it is spent.
pub struct BoundedValue<'a>(pub &'a Budget);

impl<'de> serde::de::DeserializeSeed<'de> for BoundedValue<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BoundedValue<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::from(v))
    }
    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => self.visit_f64(v as f64),
        }
    }
    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => self.visit_f64(v as f64),
        }
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take()?;
        // As serde_json does: a non-finite number becomes null.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.0.take()?;
        Ok(Value::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(BoundedValue(self.0))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take()?;
        let mut out = serde_json::Map::new();
        while let Some(k) = map.next_key::<String>()? {
            self.0.take()?;
            let v = map.next_value_seed(BoundedValue(self.0))?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

/// Two objects with the same kind, namespace and name cannot both exist in a cluster; given
/// twice (a node list passed twice, a folder with a copy), they would double a pool or a
/// workload. The second and later copies are refused, naming where the first came from.
fn reject_duplicates(docs: &mut Documents, errs: &mut Vec<ImportError>) {
    let mut first: std::collections::BTreeMap<ObjectRef, Origin> = Default::default();
    let mut kept = Vec::with_capacity(docs.objects.len());
    for o in std::mem::take(&mut docs.objects) {
        match first.get(&o.id) {
            Some(f) => errs.push(ImportError::at(
                &o.origin,
                Some(&o.id),
                format!(
                    "{} is given twice (first in {f}); a cluster has one object per kind, \
                     namespace and name, so remove one of them",
                    o.id
                ),
            )),
            None => {
                first.insert(o.id.clone(), o.origin.clone());
                kept.push(o);
            }
        }
    }
    docs.objects = kept;
}

/// Why a name cannot be carried into the scenario (and is not a valid Kubernetes name either):
/// control characters (a newline would end the comment the name is quoted in) or, for
/// `metadata.name`, more than the 253 characters of a DNS subdomain (k8s apimachinery
/// `IsDNS1123Subdomain`).
fn name_problem(what: &str, name: &str) -> Option<String> {
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!(
            "{what} {name:?} contains the control character {:?}, which no Kubernetes name \
             may hold",
            c
        ));
    }
    if what == "metadata.name" && name.len() > 253 {
        return Some(format!(
            "{what} is {} characters long; a Kubernetes name has at most 253 (a DNS \
             subdomain)",
            name.len()
        ));
    }
    None
}

/// The names of `v` the scenario carries: its own name and namespace, its labels, and (in a
/// pod template or pod) container names and images.
fn check_names(v: &Value) -> Option<String> {
    let meta = v.get("metadata");
    for (field, key) in [
        ("metadata.name", "name"),
        ("metadata.namespace", "namespace"),
    ] {
        if let Some(n) = meta.and_then(|m| m.get(key)).and_then(Value::as_str)
            && let Some(p) = name_problem(field, n)
        {
            return Some(p);
        }
    }
    let label_maps = [
        meta.and_then(|m| m.get("labels")),
        v.pointer("/spec/template/metadata/labels"),
        v.pointer("/spec/jobTemplate/spec/template/metadata/labels"),
    ];
    for labels in label_maps.into_iter().flatten() {
        if let Some(m) = labels.as_object() {
            for (k, val) in m {
                if let Some(p) = name_problem("label key", k) {
                    return Some(p);
                }
                if let Some(p) = val.as_str().and_then(|s| name_problem("label value", s)) {
                    return Some(p);
                }
            }
        }
    }
    let pod_specs = [
        v.pointer("/spec/template/spec"),
        v.pointer("/spec"),
        v.pointer("/spec/jobTemplate/spec/template/spec"),
    ];
    for spec in pod_specs.into_iter().flatten() {
        for list in ["containers", "initContainers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for field in ["name", "image"] {
                    if let Some(p) = c
                        .get(field)
                        .and_then(Value::as_str)
                        .and_then(|s| name_problem(&format!("spec.{list}[].{field}"), s))
                    {
                        return Some(p);
                    }
                }
            }
        }
    }
    None
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
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let found = scan(text);
    if found.depth > MAX_NESTING {
        errs.push(ImportError::file(
            file,
            format!(
                "line {}: nested more than {MAX_NESTING} levels deep; a Kubernetes object \
                 nests about 15, so this is not a manifest (the YAML parser is not run on it)",
                found.depth_line
            ),
        ));
        return;
    }
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
    // Aliases make a document expand beyond its text; the parser bounds alias jumps by the
    // document's size, not the values they build, so the values are counted here.
    let budget = Budget::new(text.len() as u64 + MIN_VALUE_BUDGET);
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let origin = Origin {
            file: file.to_string(),
            doc: i + 1,
            item: None,
        };
        match BoundedValue(&budget).deserialize(de) {
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
        } else if name.chars().any(char::is_control) {
            // Printed in one-line messages: keep a newline in a name visible as `\n`.
            name.escape_debug().to_string()
        } else {
            name.clone()
        },
    };
    let served = match SUPPORTED.iter().find(|(k, _)| *k == kind) {
        Some(&(_, served)) => served,
        // The one ConfigMap the import reads: the bounds the cluster autoscaler publishes.
        None if kind == "ConfigMap"
            && name == super::autoscaler::STATUS_CONFIG_MAP
            && id.namespace.as_deref() == Some("kube-system") =>
        {
            "v1"
        }
        None => {
            docs.skipped.push(Skipped {
                origin,
                id: id.to_string(),
                why: format!("kind {kind} is not used by the simulator"),
            });
            return;
        }
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
    if let Some(p) = check_names(&v) {
        errs.push(ImportError::at(&origin, Some(&id), p));
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
        "HorizontalPodAutoscaler" => typed(v).map(|o| Kind::HorizontalPodAutoscaler(Box::new(o))),
        "Job" => typed(v).map(|o| Kind::Job(Box::new(o))),
        "CronJob" => typed(v).map(|o| Kind::CronJob(Box::new(o))),
        "PodDisruptionBudget" => typed(v).map(|o| Kind::PodDisruptionBudget(Box::new(o))),
        "LimitRange" => typed(v).map(|o| Kind::LimitRange(Box::new(o))),
        "ConfigMap" => typed(v).map(|o| Kind::ConfigMap(Box::new(o))),
        "ResourceQuota" => typed(v).map(|o| Kind::ResourceQuota(Box::new(o))),
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
