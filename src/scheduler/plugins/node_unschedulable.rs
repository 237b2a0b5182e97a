//! NodeUnschedulable: a cordoned node (`spec.unschedulable`) admits only pods that tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule` (k/k `plugins/nodeunschedulable`).

use crate::model::selector::{Taint, TaintEffect, Toleration, tolerated};

pub const NAME: &str = "NodeUnschedulable";
pub const REASON: &str = "node(s) were unschedulable";
pub const TAINT_KEY: &str = "node.kubernetes.io/unschedulable";

/// Whether the pod may land on a node with the given cordon state.
pub fn filter(cordoned: bool, tolerations: &[Toleration]) -> bool {
    if !cordoned {
        return true;
    }
    let taint = Taint {
        key: TAINT_KEY.into(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    };
    tolerated(tolerations, &taint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::selector::TolerationOperator;

    #[test]
    fn a_cordoned_node_rejects_pods_without_the_unschedulable_toleration() {
        assert!(filter(false, &[]));
        assert!(!filter(true, &[]));
        let t = Toleration {
            key: TAINT_KEY.into(),
            operator: TolerationOperator::Exists,
            effect: Some(TaintEffect::NoSchedule),
            ..Default::default()
        };
        assert!(filter(true, &[t]));
    }
}
