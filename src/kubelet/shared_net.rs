//! Layer downloads of every node at once, when some registry's egress is limited: each
//! download is held by two links, its node's download bandwidth and (if limited) its
//! registry's egress, and rates are the max-min fair allocation over both (progressive
//! filling: the link with the smallest fair share fixes the rate of every download still
//! unfixed through it, and the others share what is left). With no registry limit this is
//! the per-node processor sharing of `fluid::Fluid`, which runs then instead.
//!
//! Owns: the downloads' remaining bytes and rates, and when the next one ends. Does not own:
//! which layers a node downloads (`pull::NodePuller`, which hands its downloads over in shared
//! mode) or what a finished download unblocks (the kubelet pumps the node again).
//!
//! Rates change only when a download starts, ends or is cancelled, so between those moments
//! every download progresses linearly and completion times follow exactly; the allocation is
//! recomputed at each change, in time linear in the downloads times the links they cross.

use crate::model::NodeId;

/// Remaining amounts at or below this (bytes) count as done; absorbs rounding to whole ms.
const EPS: f64 = 1e-3;

#[derive(Clone, Debug)]
struct Download {
    node: NodeId,
    layer: u32,
    /// Index into the limited registries, if the image's registry is limited.
    registry: Option<u16>,
    remaining: f64,
    /// Bytes per ms, from the last allocation.
    rate: f64,
    /// The rate it would have without any registry limit: its node's bandwidth split evenly
    /// over the node's downloads (max-min over node links alone), from the last allocation.
    free_rate: f64,
}

/// Max-min fair downloads over node links and limited registry links.
#[derive(Clone, Debug)]
pub struct SharedNet {
    /// Per limited registry: egress in bytes per ms.
    registry_rate: Vec<f64>,
    /// Per node: download bandwidth in bytes per ms (grows as nodes join).
    node_rate: Vec<f64>,
    downloads: Vec<Download>,
    last: u64,
    /// Scratch of the allocation, per node and per registry: capacity left, downloads unfixed.
    node_left: Vec<(f64, u32)>,
    registry_left: Vec<(f64, u32)>,
    fixed: Vec<bool>,
    /// Per node: ms its downloads lost behind registry limits (`registry_wait_ms`).
    wait: Vec<f64>,
}

impl SharedNet {
    /// `registry_rates` in bytes per second, one per limited registry.
    pub fn new(registry_rates: &[u64]) -> Self {
        SharedNet {
            registry_rate: registry_rates.iter().map(|&r| r as f64 / 1000.0).collect(),
            node_rate: Vec::new(),
            downloads: Vec::new(),
            last: 0,
            node_left: Vec::new(),
            registry_left: vec![(0.0, 0); registry_rates.len()],
            fixed: Vec::new(),
            wait: Vec::new(),
        }
    }

    /// Registers node `node` with its download bandwidth (bytes per second).
    pub fn add_node(&mut self, node: NodeId, bandwidth: u64) {
        if self.node_rate.len() <= node.idx() {
            self.node_rate.resize(node.idx() + 1, 0.0);
            self.node_left.resize(node.idx() + 1, (0.0, 0));
            self.wait.resize(node.idx() + 1, 0.0);
        }
        self.node_rate[node.idx()] = bandwidth as f64 / 1000.0;
    }

    pub fn is_empty(&self) -> bool {
        self.downloads.is_empty()
    }

    fn advance(&mut self, now: u64) {
        if now > self.last {
            let dt = (now - self.last) as f64;
            for d in &mut self.downloads {
                d.remaining -= d.rate * dt;
                // Slowed to `rate` from `free_rate`: a fraction 1 − rate/free_rate of each
                // ms is lost to the registry.
                if d.registry.is_some() && d.free_rate > 0.0 && d.rate < d.free_rate {
                    self.wait[d.node.idx()] += dt * (1.0 - d.rate / d.free_rate);
                }
            }
        }
        self.last = self.last.max(now);
    }

    /// Starts a download of `bytes` for `node`'s `layer`.
    pub fn add(&mut self, now: u64, node: NodeId, layer: u32, registry: Option<u16>, bytes: u64) {
        self.advance(now);
        self.downloads.push(Download {
            node,
            layer,
            registry,
            remaining: bytes as f64,
            rate: 0.0,
            free_rate: 0.0,
        });
        self.allocate();
    }

    /// Cancels `node`'s download of `layer` (a pull timed out), if it runs.
    pub fn remove(&mut self, now: u64, node: NodeId, layer: u32) {
        self.advance(now);
        let before = self.downloads.len();
        self.downloads
            .retain(|d| !(d.node == node && d.layer == layer));
        if self.downloads.len() != before {
            self.allocate();
        }
    }

    /// Drops every download of `node` (the node was deleted).
    pub fn remove_node(&mut self, now: u64, node: NodeId) {
        self.advance(now);
        let before = self.downloads.len();
        self.downloads.retain(|d| d.node != node);
        if self.downloads.len() != before {
            self.allocate();
        }
    }

    /// Per node (by node index), the download time lost behind registry limits up to `now`:
    /// for every download from a limited registry, ∫ (1 − rate / free rate) dt, where the
    /// free rate is what the node's link would give it with no registry limit. One download
    /// slowed from 100 to 50 MB/s for 60 s lost 30 s: the time it took beyond its own link's.
    pub fn registry_wait_ms(&mut self, now: u64) -> &[f64] {
        self.advance(now);
        &self.wait
    }

    /// When the next download ends, rounded up to the millisecond.
    pub fn next_completion(&self) -> Option<u64> {
        self.downloads
            .iter()
            .filter(|d| d.rate > 0.0)
            .map(|d| self.last + (d.remaining.max(0.0) / d.rate).ceil() as u64)
            .min()
    }

    /// Advances to `now` and moves the finished downloads' (node, layer) to `out`, in the
    /// order they started; the others get new rates.
    pub fn drain_done(&mut self, now: u64, out: &mut Vec<(NodeId, u32)>) {
        self.advance(now);
        let before = self.downloads.len();
        self.downloads.retain(|d| {
            if d.remaining <= EPS {
                out.push((d.node, d.layer));
                false
            } else {
                true
            }
        });
        if self.downloads.len() != before {
            self.allocate();
        }
    }

    /// Progressive filling: repeatedly take the link whose capacity left, split over its
    /// unfixed downloads, is smallest; fix those downloads at that share and take it from the
    /// other link each of them crosses. Ties go to nodes before registries, lower index
    /// first, so the result does not depend on anything but the downloads.
    fn allocate(&mut self) {
        for d in &self.downloads {
            let n = &mut self.node_left[d.node.idx()];
            *n = (self.node_rate[d.node.idx()], 0);
            if let Some(r) = d.registry {
                self.registry_left[r as usize] = (self.registry_rate[r as usize], 0);
            }
        }
        for d in &self.downloads {
            self.node_left[d.node.idx()].1 += 1;
            if let Some(r) = d.registry {
                self.registry_left[r as usize].1 += 1;
            }
        }
        for d in &mut self.downloads {
            let n = self.node_left[d.node.idx()];
            d.free_rate = n.0 / f64::from(n.1);
        }
        self.fixed.clear();
        self.fixed.resize(self.downloads.len(), false);
        let mut unfixed = self.downloads.len();
        while unfixed > 0 {
            // The bottleneck: the smallest fair share over links with unfixed downloads.
            let mut best: Option<(f64, bool, usize)> = None;
            let share = |(left, n): (f64, u32)| left.max(0.0) / f64::from(n);
            for d in self.downloads.iter() {
                let n = self.node_left[d.node.idx()];
                if n.1 > 0 {
                    let s = share(n);
                    if best.is_none_or(|(b, reg, i)| s < b || (s == b && (reg || d.node.idx() < i)))
                    {
                        best = Some((s, false, d.node.idx()));
                    }
                }
            }
            for (r, &l) in self.registry_left.iter().enumerate() {
                if l.1 > 0 {
                    let s = share(l);
                    if best.is_none_or(|(b, reg, i)| s < b || (s == b && reg && r < i)) {
                        best = Some((s, true, r));
                    }
                }
            }
            let Some((s, is_registry, link)) = best else {
                break;
            };
            for (k, d) in self.downloads.iter_mut().enumerate() {
                let through = if is_registry {
                    d.registry == Some(link as u16)
                } else {
                    d.node.idx() == link
                };
                if self.fixed[k] || !through {
                    continue;
                }
                self.fixed[k] = true;
                unfixed -= 1;
                d.rate = s;
                let n = &mut self.node_left[d.node.idx()];
                n.0 -= s;
                n.1 -= 1;
                if let Some(r) = d.registry {
                    let l = &mut self.registry_left[r as usize];
                    l.0 -= s;
                    l.1 -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn without_a_registry_limit_each_node_shares_its_own_bandwidth() {
        // Node 0 at 100 MB/s with two 200 MB downloads: 50 MB/s each, both end at 4 s. Node 1
        // at 100 MB/s with one 100 MB download: alone on its link, ends at 1 s.
        let mut net = SharedNet::new(&[]);
        net.add_node(NodeId(0), 100 * MB);
        net.add_node(NodeId(1), 100 * MB);
        net.add(0, NodeId(0), 1, None, 200 * MB);
        net.add(0, NodeId(0), 2, None, 200 * MB);
        net.add(0, NodeId(1), 1, None, 100 * MB);
        assert_eq!(net.next_completion(), Some(1000));
        let mut out = Vec::new();
        net.drain_done(1000, &mut out);
        assert_eq!(out, vec![(NodeId(1), 1)]);
        assert_eq!(net.next_completion(), Some(4000));
    }

    #[test]
    fn a_limited_registry_is_shared_by_every_node_pulling_from_it() {
        // Four nodes at 100 MB/s each pull 300 MB from a registry limited to 200 MB/s: the
        // registry is the bottleneck (200/4 = 50 MB/s < 100), so each gets 50 MB/s and all end
        // at 300/50 = 6 s, where alone each would take 3 s.
        let mut net = SharedNet::new(&[200 * MB]);
        for n in 0..4 {
            net.add_node(NodeId(n), 100 * MB);
            net.add(0, NodeId(n), 7, Some(0), 300 * MB);
        }
        assert_eq!(net.next_completion(), Some(6000));
        let mut out = Vec::new();
        net.drain_done(6000, &mut out);
        assert_eq!(out.len(), 4);
        assert!(net.is_empty());
    }

    #[test]
    fn capacity_a_slow_node_leaves_unused_goes_to_the_others() {
        // Registry 150 MB/s; node 0 has 20 MB/s, nodes 1 and 2 have 100 MB/s; one download
        // each from the registry. Fair share 50 MB/s at the registry, but node 0's link fixes
        // it at 20; the 130 left go to nodes 1 and 2: 65 MB/s each. 130 MB downloads: nodes 1
        // and 2 end at 2 s; then node 0 (40 MB done, 90 MB left) stays at its own 20 MB/s:
        // 2 s + 90/20 = 6.5 s.
        let mut net = SharedNet::new(&[150 * MB]);
        net.add_node(NodeId(0), 20 * MB);
        net.add_node(NodeId(1), 100 * MB);
        net.add_node(NodeId(2), 100 * MB);
        for n in 0..3 {
            net.add(0, NodeId(n), 1, Some(0), 130 * MB);
        }
        assert_eq!(net.next_completion(), Some(2000));
        let mut out = Vec::new();
        net.drain_done(2000, &mut out);
        assert_eq!(out, vec![(NodeId(1), 1), (NodeId(2), 1)]);
        assert_eq!(net.next_completion(), Some(6500));
    }

    #[test]
    fn a_download_from_an_unlimited_registry_takes_what_its_node_has_left() {
        // Node 0 at 100 MB/s pulls one layer from a registry limited to 30 MB/s and one from
        // an unlimited registry: the limited one is fixed at 30, the other gets the 70 left.
        // 70 MB from the unlimited one ends at 1 s; 60 MB from the limited one at 2 s.
        let mut net = SharedNet::new(&[30 * MB]);
        net.add_node(NodeId(0), 100 * MB);
        net.add(0, NodeId(0), 1, Some(0), 60 * MB);
        net.add(0, NodeId(0), 2, None, 70 * MB);
        assert_eq!(net.next_completion(), Some(1000));
        let mut out = Vec::new();
        net.drain_done(1000, &mut out);
        assert_eq!(out, vec![(NodeId(0), 2)]);
        // Alone now, still capped at 30 MB/s by the registry: 30 MB left, 1 s more.
        assert_eq!(net.next_completion(), Some(2000));
    }
}
