//! The kube-scheduler plugins hybridsim models, one per file, named as upstream
//! (k/k `pkg/scheduler/framework/plugins`). Each exposes plain functions for its Filter and
//! Score extension points; `scheduler::cycle` calls them in the upstream default order
//! (k/k `pkg/scheduler/apis/config/v1/default_plugins.go`).

pub mod default_preemption;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_ports;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;

use crate::model::{PoolId, Spec, TemplateId};

/// Whether a pod template passes the filters that depend only on a pool's template node
/// (TaintToleration on NoSchedule/NoExecute taints, NodeAffinity and nodeSelector on the pool's
/// labels): the DaemonSet controller's `nodeShouldRunDaemonPod`, the cluster autoscaler's
/// template-node check, and the scheduling queue's pre-check for a node that joined.
/// A pool over several zones passes if a node in one of its zones would.
pub fn passes_static_filters(spec: &Spec, t: TemplateId, pool: PoolId) -> bool {
    passes_static_filters_with_build(spec, t, pool, None)
}

/// `passes_static_filters` for a node of `pool` whose `node.kubernetes.io/windows-build` is
/// `build` instead of its pool spec's (the pool's nodes after an upgrade started).
pub fn passes_static_filters_with_build(
    spec: &Spec,
    t: TemplateId,
    pool: PoolId,
    build: Option<&str>,
) -> bool {
    let t = spec.template(t);
    let p = spec.pool(pool);
    let labels = WithZone {
        labels: &p.labels,
        zone: None,
        build,
    };
    taint_toleration::first_untolerated(&p.taints, &t.tolerations).is_none()
        && (node_affinity::filter(t, &labels)
            || (p.zones.len() > 1
                && p.zones.iter().any(|z| {
                    node_affinity::filter(
                        t,
                        &WithZone {
                            labels: &p.labels,
                            zone: Some(z),
                            build,
                        },
                    )
                })))
}

/// A pool's labels with one of its zones, and a build label of its own if given.
struct WithZone<'a> {
    labels: &'a std::collections::BTreeMap<String, String>,
    zone: Option<&'a str>,
    build: Option<&'a str>,
}

impl crate::model::selector::Labels for WithZone<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        if key == crate::model::labels::ZONE_LABEL && self.zone.is_some() {
            self.zone
        } else if key == crate::model::labels::WINDOWS_BUILD_LABEL && self.build.is_some() {
            self.build
        } else {
            self.labels.get(key).map(String::as_str)
        }
    }
}

/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;

/// Score weights of the default profile.
pub mod weights {
    pub const TAINT_TOLERATION: i64 = 3;
    pub const NODE_AFFINITY: i64 = 2;
    pub const NODE_RESOURCES_FIT: i64 = 1;
    pub const NODE_RESOURCES_BALANCED_ALLOCATION: i64 = 1;
    pub const POD_TOPOLOGY_SPREAD: i64 = 2;
    pub const IMAGE_LOCALITY: i64 = 1;
    pub const INTER_POD_AFFINITY: i64 = 2;
}

/// `helper.DefaultNormalizeScore`: scale to 0..=max by the largest score; `reverse` flips it
/// (for counts where fewer is better). All-zero scores become `max` when reversed, else stay 0.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max_count = scores.iter().copied().max().unwrap_or(0).max(0);
    if max_count == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        let v = MAX_NODE_SCORE * *s / max_count;
        *s = if reverse { MAX_NODE_SCORE - v } else { v };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_scales_by_the_maximum_and_reverses_counts() {
        // Counts 0, 1, 2 reversed: 100 - 100*c/2 = 100, 50, 0.
        let mut s = vec![0, 1, 2];
        default_normalize(&mut s, true);
        assert_eq!(s, vec![100, 50, 0]);
        // Weights 0, 30, 60 forward: 100*w/60 = 0, 50, 100.
        let mut s = vec![0, 30, 60];
        default_normalize(&mut s, false);
        assert_eq!(s, vec![0, 50, 100]);
        // No intolerable taints anywhere: every node gets the full score when reversed.
        let mut s = vec![0, 0];
        default_normalize(&mut s, true);
        assert_eq!(s, vec![100, 100]);
        let mut s = vec![0, 0];
        default_normalize(&mut s, false);
        assert_eq!(s, vec![0, 0]);
    }
}
