//! Overlays: the one mechanism behind scenario variants and `sweep --set`.
//!
//! Owns: parsing overlay paths (`pools[win2022].count`), editing a raw scenario through its JSON
//! form, and turning each typed `raw::Change` into such edits. Does not own: validation of the
//! result (the caller runs `scenario::validate`) or what the fields mean.
//!
//! Why JSON: every raw type round-trips through `serde_json` (unit newtypes are strings, enums
//! externally tagged), so one generic "edit the value at this path" covers every field of the
//! format, present and future, without a hand-written setter per field. Deserialising back
//! through the raw types re-applies `deny_unknown_fields` and every unit parser, so a misspelt
//! path or a bad value fails exactly as it would in the file.

use crate::scenario::raw;
use serde_json::{Map, Value};
use std::fmt;

/// One step of an overlay path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object field, e.g. `pools`.
    Field(String),
    /// A list element by position, `[1]`.
    Index(usize),
    /// A list element whose `name` field equals this, `[win2022]`.
    Name(String),
}

/// A parsed overlay path such as `workloads[iis].template.node_selector`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayPath(pub Vec<Step>);

impl fmt::Display for OverlayPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Field(n) if i == 0 => write!(f, "{n}")?,
                Step::Field(n) => write!(f, ".{n}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Name(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl OverlayPath {
    /// Parses `a.b[name].c[0]`. A selector that is all digits is an index; anything else
    /// names an element. Field names are the snake_case names of the scenario file.
    pub fn parse(text: &str) -> Result<OverlayPath, String> {
        let mut steps = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        let mut expect_field = true;
        while i < b.len() {
            match b[i] {
                b'[' => {
                    let end = text[i..]
                        .find(']')
                        .map(|e| i + e)
                        .ok_or_else(|| format!("path \"{text}\": `[` without a closing `]`"))?;
                    let sel = text[i + 1..end].trim();
                    if sel.is_empty() {
                        return Err(format!("path \"{text}\": empty `[]` selector"));
                    }
                    if steps.is_empty() {
                        return Err(format!("path \"{text}\": must start with a field name"));
                    }
                    steps.push(match sel.parse::<usize>() {
                        Ok(n) if sel.bytes().all(|c| c.is_ascii_digit()) => Step::Index(n),
                        _ => Step::Name(sel.trim_matches('"').to_string()),
                    });
                    i = end + 1;
                    expect_field = false;
                }
                b'.' => {
                    if expect_field {
                        return Err(format!("path \"{text}\": empty field name"));
                    }
                    i += 1;
                    expect_field = true;
                }
                _ => {
                    if !expect_field {
                        return Err(format!(
                            "path \"{text}\": expected `.` or `[` after `{}`",
                            &text[..i]
                        ));
                    }
                    let end = text[i..]
                        .find(['.', '['])
                        .map(|e| i + e)
                        .unwrap_or(text.len());
                    let name = text[i..end].trim();
                    if name.is_empty() {
                        return Err(format!("path \"{text}\": empty field name"));
                    }
                    steps.push(Step::Field(name.to_string()));
                    i = end;
                    expect_field = false;
                }
            }
        }
        if steps.is_empty() || expect_field {
            return Err(format!("path \"{text}\": expected a field name"));
        }
        Ok(OverlayPath(steps))
    }
}

/// Parses a `--set` or `Set` value: JSON when it parses as JSON (numbers, booleans, null,
/// lists, objects, quoted strings), otherwise the text itself as a string (`200MB/s`, `6m`).
pub fn parse_value(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// How to treat the value at the end of the path.
enum Edit<'a> {
    /// Replace it.
    Set(Value),
    /// Append to a list (created if absent).
    Push(Value),
    /// Merge keys into a map (created if absent).
    Merge(&'a Map<String, Value>),
}

/// The list element a `[name]` or `[index]` step selects.
fn select<'v>(
    list: &'v mut [Value],
    step: &Step,
    path: &OverlayPath,
) -> Result<&'v mut Value, String> {
    match step {
        Step::Index(n) => {
            let len = list.len();
            list.get_mut(*n)
                .ok_or_else(|| format!("{path}: index {n} is out of range ({len} elements)"))
        }
        Step::Name(name) => {
            let names: Vec<String> = list
                .iter()
                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                .collect();
            list.iter_mut()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| {
                    format!(
                        "{path}: no element named \"{name}\" (there are: {})",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    )
                })
        }
        Step::Field(_) => unreachable!("select is only called for list selectors"),
    }
}

fn edit(root: &mut Value, path: &OverlayPath, e: Edit<'_>) -> Result<(), String> {
    let mut cur = root;
    let last = path.0.len() - 1;
    for (i, step) in path.0.iter().enumerate() {
        let is_last = i == last;
        match step {
            Step::Field(name) => {
                let obj = match cur {
                    Value::Object(o) => o,
                    // An omitted optional struct serialises as null: editing inside it starts
                    // from an empty object, and the struct's own defaults fill the rest.
                    Value::Null => {
                        *cur = Value::Object(Map::new());
                        cur.as_object_mut().expect("just made an object")
                    }
                    other => {
                        return Err(format!(
                            "{path}: `{name}` is inside a {}, not a structure",
                            kind(other)
                        ));
                    }
                };
                if is_last {
                    match e {
                        Edit::Set(v) => {
                            obj.insert(name.clone(), v);
                        }
                        Edit::Push(v) => match obj.entry(name.clone()).or_insert(Value::Null) {
                            Value::Array(a) => a.push(v),
                            slot @ Value::Null => *slot = Value::Array(vec![v]),
                            other => {
                                return Err(format!("{path}: is a {}, not a list", kind(other)));
                            }
                        },
                        Edit::Merge(m) => match obj.entry(name.clone()).or_insert(Value::Null) {
                            Value::Object(o) => {
                                for (k, v) in m {
                                    o.insert(k.clone(), v.clone());
                                }
                            }
                            slot @ Value::Null => *slot = Value::Object(m.clone()),
                            other => {
                                return Err(format!("{path}: is a {}, not a map", kind(other)));
                            }
                        },
                    }
                    return Ok(());
                }
                // Fields left out of the file are absent from the JSON (skip_serializing_if):
                // create them so a path can reach e.g. `kubelet.max_parallel_image_pulls`.
                cur = obj.entry(name.clone()).or_insert(Value::Null);
            }
            sel => {
                let list = match cur {
                    Value::Array(a) => a,
                    other => {
                        return Err(format!(
                            "{path}: `[...]` selects from a list, found a {}",
                            kind(other)
                        ));
                    }
                };
                let elem = select(list, sel, path)?;
                if is_last {
                    match e {
                        Edit::Set(v) => *elem = v,
                        _ => return Err(format!("{path}: cannot append or merge into an element")),
                    }
                    return Ok(());
                }
                cur = elem;
            }
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "structure",
    }
}

/// A raw scenario as an editable JSON value (without its variants: overlays never nest).
pub fn to_value(raw: &raw::Scenario) -> Value {
    let mut base = raw.clone();
    base.variants.clear();
    serde_json::to_value(&base).expect("raw scenario types always serialise to JSON")
}

/// Back from JSON to the raw types, equal pod templates shared as `parse_raw` shares them;
/// errors name the offending path inside the scenario.
pub fn from_value(v: Value) -> Result<raw::Scenario, String> {
    raw::with_template_interning(|| serde_path_to_error::deserialize::<_, raw::Scenario>(v))
        .map_err(|e| {
            let p = e.path().to_string();
            if p == "." || p.is_empty() {
                e.inner().to_string()
            } else {
                format!("{p}: {}", e.inner())
            }
        })
}

/// Sets the value at `path` (text form), as `sweep --set` and `Set` do.
pub fn set_path(v: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let p = OverlayPath::parse(path)?;
    edit(v, &p, Edit::Set(value))
}

fn to_json<T: serde::Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("raw scenario types always serialise to JSON")
}

/// Applies one typed change to the scenario's JSON form.
pub fn apply_change(v: &mut Value, change: &raw::Change) -> Result<(), String> {
    use raw::Change::*;
    let p = |s: String| OverlayPath::parse(&s);
    match change {
        AddTaint { pool, taint } => edit(
            v,
            &p(format!("pools[{pool}].taints"))?,
            Edit::Push(to_json(taint)),
        ),
        AddToleration {
            workload,
            toleration,
        } => edit(
            v,
            &p(format!("workloads[{workload}].template.tolerations"))?,
            Edit::Push(to_json(toleration)),
        ),
        SetNodeSelector { workload, selector } => {
            let m = match to_json(selector) {
                Value::Object(m) => m,
                _ => unreachable!("a BTreeMap serialises to an object"),
            };
            edit(
                v,
                &p(format!("workloads[{workload}].template.node_selector"))?,
                Edit::Merge(&m),
            )
        }
        SetRuntimeClass {
            workload,
            runtime_class,
        } => edit(
            v,
            &p(format!("workloads[{workload}].template.runtime_class_name"))?,
            Edit::Set(Value::String(runtime_class.clone())),
        ),
        AddRuntimeClass { runtime_class } => edit(
            v,
            &p("runtime_classes".into())?,
            Edit::Push(to_json(runtime_class)),
        ),
        AddWorkload { workload } => edit(v, &p("workloads".into())?, Edit::Push(to_json(workload))),
        SetPool { pool, field, value } => {
            set_path(v, &format!("pools[{pool}].{field}"), parse_value(value))
        }
        Set { path, value } => set_path(v, path, parse_value(value)),
    }
}

/// The scenario a variant describes: the base with every change applied in order. On error,
/// returns the index of the failing change (None when the result as a whole does not
/// deserialise) and the message.
pub fn apply_variant(
    base: &raw::Scenario,
    variant: &raw::Variant,
) -> Result<raw::Scenario, (Option<usize>, String)> {
    let mut v = to_value(base);
    for (i, c) in variant.changes.iter().enumerate() {
        apply_change(&mut v, c).map_err(|e| (Some(i), e))?;
    }
    from_value(v).map_err(|e| {
        // Point at the first change after which the scenario no longer reads (a misspelt field,
        // a bad unit), replaying the changes one at a time; only done on this error path.
        let mut v = to_value(base);
        for (i, c) in variant.changes.iter().enumerate() {
            let _ = apply_change(&mut v, c);
            if from_value(v.clone()).is_err() {
                return (Some(i), e);
            }
        }
        (None, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_fields_names_and_indices() {
        let p = OverlayPath::parse("pools[win2022].count").unwrap();
        assert_eq!(
            p.0,
            vec![
                Step::Field("pools".into()),
                Step::Name("win2022".into()),
                Step::Field("count".into())
            ]
        );
        let p = OverlayPath::parse("pools[1].pull_bandwidth").unwrap();
        assert_eq!(p.0[1], Step::Index(1));
        assert_eq!(p.to_string(), "pools[1].pull_bandwidth");
        for bad in ["", ".a", "a.", "a..b", "[0]", "a[", "a[]", "a[0]b"] {
            assert!(OverlayPath::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn values_are_json_when_they_parse_and_strings_otherwise() {
        assert_eq!(parse_value("6"), Value::from(6));
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("200MB/s"), Value::String("200MB/s".into()));
        assert_eq!(parse_value("\"6\""), Value::String("6".into()));
    }
}
