//! Scenario files: RON text → raw structures → validated `Spec`, with errors that point at
//! `FILE:LINE:COL`.
//!
//! Owns: reading scenario files and reporting their problems. Does not own: what the fields
//! mean at run time (the simulation) or writing scenarios (`import`, through `raw`).

pub mod defaults;
pub mod files;
pub mod intern;
pub mod locate;
pub mod presets;
pub mod raw;
pub mod trace;
pub mod units;
pub mod validate;

use crate::model::Spec;
use std::fmt;
use std::path::Path as FsPath;

/// A problem in a scenario file, with its position where known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// All problems found in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

/// RON options of every scenario-format reader: `Some(x)` may be written `x`.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Parses RON text into the raw scenario.
pub fn parse_raw(text: &str, file: &str) -> Result<raw::Scenario, ScenarioErrors> {
    raw::with_template_interning(|| ron_options().from_str::<raw::Scenario>(text)).map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            file: file.to_string(),
            line: Some(e.span.start.line),
            col: Some(e.span.start.col),
            message: describe_ron_error(&e.code),
        }])
    })
}

fn describe_ron_error(code: &ron::Error) -> String {
    let s = code.to_string();
    // ron says "Unexpected missing field named `x` in `Pool`"; keep it, it names the field.
    s
}

/// Validates a raw scenario, locating each problem in `text`. Relative file references
/// resolve against the directory of `file`.
pub fn validate_raw(raw: &raw::Scenario, text: &str, file: &str) -> Result<Spec, ScenarioErrors> {
    let base = FsPath::new(file).parent();
    validate::validate_in(raw, base).map_err(|diags| {
        ScenarioErrors(
            diags
                .into_iter()
                .map(|d| {
                    let pos = locate::locate(text, &d.path);
                    ScenarioError {
                        file: file.to_string(),
                        line: pos.map(|p| p.0),
                        col: pos.map(|p| p.1),
                        message: format!("{}: {}", d.path, d.message),
                    }
                })
                .collect(),
        )
    })
}

/// Parses and validates scenario text.
pub fn load_str(text: &str, file: &str) -> Result<(raw::Scenario, Spec), ScenarioErrors> {
    let raw = parse_raw(text, file)?;
    let spec = validate_raw(&raw, text, file)?;
    Ok((raw, spec))
}

/// Reads a scenario file's text, with the error every loader reports when it cannot.
pub fn read_text(path: &FsPath) -> Result<(String, String), ScenarioErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ScenarioErrors(vec![ScenarioError {
            file: file.clone(),
            line: None,
            col: None,
            message: format!("cannot read the scenario: {e}"),
        }])
    })?;
    Ok((text, file))
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &FsPath) -> Result<(raw::Scenario, Spec), ScenarioErrors> {
    let (text, file) = read_text(path)?;
    load_str(&text, &file)
}

/// Parses any type of the scenario format family (e.g. `import`'s image catalog) from RON
/// text with the scenario's options; the error is `LINE:COL: message`.
pub fn from_ron<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    ron_options()
        .from_str::<T>(text)
        .map_err(|e| format!("{}:{}: {}", e.span.start.line, e.span.start.col, e.code))
}

/// Serialises a raw scenario as readable RON (used by `import`).
pub fn to_ron(raw: &raw::Scenario) -> Result<String, ron::Error> {
    let cfg = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .indentor("    ".to_string());
    ron_options().to_string_pretty(raw, cfg)
}
