//! Interning by content: values kept once and found again by a hash of some of their fields
//! (a print) and then by `==`.
//!
//! Owns: the buckets. Does not own: what is hashed or compared (each user hashes the fields
//! its values most often differ in, and compares whole values), nor where the values live.
//! Used for pod templates, raw (`raw::with_template_interning`) and validated
//! (`validate::workloads`). Only looked up, never iterated, so nothing here can reach the
//! order of a decision or an output.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;

/// Handles of kept values by print; several values may share a print.
#[derive(Debug)]
pub struct ByContent<V> {
    by_print: HashMap<u64, Vec<V>>,
}

impl<V> Default for ByContent<V> {
    fn default() -> Self {
        ByContent {
            by_print: HashMap::new(),
        }
    }
}

impl<V: Clone> ByContent<V> {
    /// The handle of a kept value with print `print` for which `same` holds.
    pub fn find(&self, print: u64, same: impl Fn(&V) -> bool) -> Option<V> {
        self.by_print.get(&print)?.iter().find(|v| same(v)).cloned()
    }

    /// Keeps `v`, the handle of a value with print `print` that `find` did not find.
    pub fn keep(&mut self, print: u64, v: V) {
        self.by_print.entry(print).or_default().push(v);
    }
}

/// The print of what `feed` hashes: std's default hasher, whose keys are fixed, so a print is
/// the same on every run (it never reaches an output anyway). A closure, so a value's parts
/// are hashed where they are, not gathered first.
pub fn print_of(feed: impl FnOnce(&mut DefaultHasher)) -> u64 {
    let mut h = DefaultHasher::new();
    feed(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_found_by_its_print_and_equality_and_not_by_its_print_alone() {
        // Two different values forced onto one print: each is found only by itself.
        let mut b = ByContent::default();
        b.keep(7, "a");
        b.keep(7, "b");
        assert_eq!(b.find(7, |v| *v == "b"), Some("b"));
        assert_eq!(b.find(7, |v| *v == "c"), None);
        assert_eq!(b.find(8, |v| *v == "a"), None);
        use std::hash::Hash;
        let p = || print_of(|h| (1u8, "x").hash(h));
        assert_eq!(p(), p());
    }
}
