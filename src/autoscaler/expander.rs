//! Cluster-autoscaler expanders: choosing which node group to grow when several could help
//! (k/as `cluster-autoscaler/expander`). Ties fall back to a random choice, as upstream.

use crate::model::{ExpanderKind, PoolId, Res, Spec};
use rand::Rng;

/// One way to help the pending pods: grow `pool` by `nodes`, placing the pods at `pods`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleOption {
    pub pool: PoolId,
    pub nodes: u32,
    /// Sum of the requests of the pods this option would place.
    pub requested: Res,
    pub pods: u32,
}

/// least-waste score: unused fraction of the new nodes' CPU plus that of their memory, on
/// node capacity (k/as `expander/waste`).
pub fn waste(spec: &Spec, o: &ScaleOption) -> f64 {
    let cap = spec.pool(o.pool).capacity;
    let cpu = (o.nodes as u64 * cap.cpu_m) as f64;
    let mem = (o.nodes as u64 * cap.mem) as f64;
    (cpu - o.requested.cpu_m as f64) / cpu + (mem - o.requested.mem as f64) / mem
}

/// Picks the index of the best option.
pub fn choose(
    kind: ExpanderKind,
    spec: &Spec,
    options: &[ScaleOption],
    rng: &mut impl Rng,
) -> usize {
    debug_assert!(!options.is_empty());
    // Lower key is better; a random pick among equal best keys.
    let key = |o: &ScaleOption| -> f64 {
        match kind {
            ExpanderKind::Random => 0.0,
            ExpanderKind::LeastWaste => waste(spec, o),
            ExpanderKind::MostPods => -(o.pods as f64),
            ExpanderKind::LeastNodes => o.nodes as f64,
            ExpanderKind::Priority => {
                -(spec.pool(o.pool).autoscale.map_or(0, |g| g.priority) as f64)
            }
            ExpanderKind::Price => {
                spec.pool(o.pool).price_per_hour * o.nodes as f64 / o.pods.max(1) as f64
            }
        }
    };
    let keys: Vec<f64> = options.iter().map(key).collect();
    let best = keys.iter().copied().fold(f64::INFINITY, f64::min);
    let tied: Vec<usize> = (0..options.len())
        .filter(|&i| (keys[i] - best).abs() <= 1e-12)
        .collect();
    if tied.len() == 1 {
        tied[0]
    } else {
        tied[rng.random_range(0..tied.len())]
    }
}
