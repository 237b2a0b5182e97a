//! Files a scenario refers to (load-curve CSVs of HPAs, the `trace:` file), read before
//! validation so that validation is a pure function of the raw scenario and these texts.
//! A trace is not held: it is scanned row by row (`scenario::trace::source::scan`) and only
//! what validation needs (rows, distinct pod shapes) is kept; the run streams it again.
//!
//! Owns: resolving a reference against the scenario's directory and reading it, with the
//! error a reader reports when it cannot. Does not own: what the text means (`validate`
//! parses it and reports bad rows).

use super::raw;
use super::trace::source::{TraceScan, scan};
use std::collections::BTreeMap;
use std::path::Path;

/// The text of one referenced file, with the path it was read from for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadCurveText {
    pub display: String,
    pub text: String,
}

/// Every file a scenario refers to, keyed by the reference as written in the scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioFiles {
    load_curves: BTreeMap<String, Result<LoadCurveText, String>>,
    /// The scan of the scenario's `trace:`, keyed by the reference as written.
    trace: Option<(String, Result<TraceScan, String>)>,
}

impl ScenarioFiles {
    /// Reads every file `raw` refers to; relative references resolve against `base_dir`.
    /// A file that cannot be read is kept as its error, which validation reports at the
    /// reference.
    pub fn read(raw: &raw::Scenario, base_dir: Option<&Path>) -> ScenarioFiles {
        let mut files = ScenarioFiles::default();
        for w in &raw.workloads {
            if let Some(raw::Load::Csv(f)) = w.hpa.as_ref().map(|h| &h.load) {
                if files.load_curves.contains_key(f) {
                    continue;
                }
                let path = base_dir.map_or_else(|| std::path::PathBuf::from(f), |d| d.join(f));
                let read = std::fs::read_to_string(&path)
                    .map(|text| LoadCurveText {
                        display: path.display().to_string(),
                        text,
                    })
                    .map_err(|e| format!("cannot read load curve {}: {e}", path.display()));
                files.load_curves.insert(f.clone(), read);
            }
        }
        if let Some(t) = &raw.trace {
            let path = base_dir.map_or_else(|| std::path::PathBuf::from(t), |d| d.join(t));
            files.trace = Some((t.clone(), scan(&path, &path.display().to_string())));
        }
        files
    }

    /// The scan of trace `reference`, or why it is not available (the message names the file,
    /// line and column of a bad row).
    pub fn trace(&self, reference: &str) -> Result<&TraceScan, String> {
        match &self.trace {
            Some((r, Ok(s))) if r == reference => Ok(s),
            Some((r, Err(e))) if r == reference => Err(e.clone()),
            _ => Err(format!("trace {reference} was not read before validation")),
        }
    }

    /// Files given as text (tests, fuzzing): `reference → text`.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = (&'a str, &'a str)>) -> ScenarioFiles {
        ScenarioFiles {
            load_curves: texts
                .into_iter()
                .map(|(f, t)| {
                    (
                        f.to_string(),
                        Ok(LoadCurveText {
                            display: f.to_string(),
                            text: t.to_string(),
                        }),
                    )
                })
                .collect(),
            trace: None,
        }
    }

    /// The text of load curve `reference`, or why it is not available.
    pub fn load_curve(&self, reference: &str) -> Result<&LoadCurveText, String> {
        match self.load_curves.get(reference) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(format!(
                "load curve {reference} was not read before validation"
            )),
        }
    }
}
