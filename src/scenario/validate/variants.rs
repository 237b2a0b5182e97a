//! The `variants` section's own rules: every variant has a non-empty name, unique in the file.
//!
//! Owns: the name checks. Does not own: applying a variant's changes (`experiment::overlay`)
//! or validating the overlaid scenario (this module's `validate_in`, called per variant by
//! `experiment::load_str`).

use std::collections::BTreeSet;

/// What is wrong with a variant called `name`, given the names already `seen` (to which a
/// good name is added).
pub fn name_problem(name: &str, seen: &mut BTreeSet<String>) -> Option<String> {
    if name.trim().is_empty() {
        Some("expected a non-empty variant name".into())
    } else if !seen.insert(name.to_string()) {
        Some(format!("duplicate variant name \"{name}\""))
    } else {
        None
    }
}
