//! Per-node taints that differ from the node's pool: what `kubectl taint nodes` and the node
//! lifecycle controller change on one node during a run.
//!
//! Owns: the overlay (a node's full taint list, replacing its pool's) and the edits that keep
//! it minimal: a node whose taints are back to its pool's leaves the overlay, so the common
//! case (no overlay at all) costs the scheduler one `is_empty` check. Does not own: what a
//! taint does (the TaintToleration plugin, taint eviction) or who changes taints (timeline
//! actions in `controllers`).

use super::NodeId;
use super::selector::{Taint, TaintEffect};
use std::collections::BTreeMap;

/// Nodes whose taints differ from their pool's, with their full taint list.
#[derive(Clone, Debug, Default)]
pub struct TaintOverlay {
    nodes: BTreeMap<NodeId, Vec<Taint>>,
}

impl TaintOverlay {
    /// No node differs from its pool: the scheduler's per-pool caches hold for every node.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node's own taint list, if it differs from its pool's.
    #[inline]
    pub fn get(&self, node: NodeId) -> Option<&[Taint]> {
        if self.nodes.is_empty() {
            return None;
        }
        self.nodes.get(&node).map(Vec::as_slice)
    }

    /// Adds `taint` to the node (whose pool taints are `pool`), replacing a taint with the same
    /// key and effect as `kubectl taint --overwrite` does. Returns whether anything changed.
    pub fn add(&mut self, node: NodeId, pool: &[Taint], taint: &Taint) -> bool {
        let mut list = self.current(node, pool);
        match list
            .iter_mut()
            .find(|t| t.key == taint.key && t.effect == taint.effect)
        {
            Some(t) if t.value == taint.value => return false,
            Some(t) => t.value = taint.value.clone(),
            None => list.push(taint.clone()),
        }
        self.store(node, pool, list);
        true
    }

    /// Removes the node's taints with `key` and, if given, `effect` (`kubectl taint nodes N
    /// key:effect-`, or `key-` for every effect). Returns whether anything changed.
    pub fn remove(
        &mut self,
        node: NodeId,
        pool: &[Taint],
        key: &str,
        effect: Option<TaintEffect>,
    ) -> bool {
        let mut list = self.current(node, pool);
        let before = list.len();
        list.retain(|t| !(t.key == key && effect.is_none_or(|e| e == t.effect)));
        if list.len() == before {
            return false;
        }
        self.store(node, pool, list);
        true
    }

    /// Forgets a node (it left the cluster).
    pub fn forget(&mut self, node: NodeId) {
        self.nodes.remove(&node);
    }

    fn current(&self, node: NodeId, pool: &[Taint]) -> Vec<Taint> {
        self.nodes
            .get(&node)
            .cloned()
            .unwrap_or_else(|| pool.to_vec())
    }

    fn store(&mut self, node: NodeId, pool: &[Taint], list: Vec<Taint>) {
        if list == pool {
            self.nodes.remove(&node);
        } else {
            self.nodes.insert(node, list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_whose_taints_return_to_its_pools_leaves_the_overlay() {
        let pool = vec![Taint::new("os", "windows", TaintEffect::NoSchedule)];
        let mut o = TaintOverlay::default();
        let n = NodeId(3);
        let gpu = Taint::new("maintenance", "true", TaintEffect::NoExecute);
        assert!(o.add(n, &pool, &gpu));
        assert_eq!(o.get(n), Some(&[pool[0].clone(), gpu.clone()][..]));
        // The same taint again changes nothing; another value overwrites it in place.
        assert!(!o.add(n, &pool, &gpu));
        let other = Taint::new("maintenance", "soon", TaintEffect::NoExecute);
        assert!(o.add(n, &pool, &other));
        assert_eq!(o.get(n).unwrap()[1].value, "soon");
        // Removing it makes the node its pool's again: no overlay left.
        assert!(o.remove(n, &pool, "maintenance", Some(TaintEffect::NoExecute)));
        assert!(o.is_empty());
    }

    #[test]
    fn removing_a_key_without_an_effect_removes_every_effect_of_that_key() {
        let pool = vec![
            Taint::new("os", "windows", TaintEffect::NoSchedule),
            Taint::new("os", "windows", TaintEffect::PreferNoSchedule),
        ];
        let mut o = TaintOverlay::default();
        assert!(o.remove(NodeId(0), &pool, "os", None));
        assert_eq!(o.get(NodeId(0)), Some(&[][..]));
        // Removing a key the node does not have changes nothing and adds no overlay.
        assert!(!o.remove(NodeId(1), &pool, "gpu", None));
        assert_eq!(o.get(NodeId(1)), None);
    }
}
