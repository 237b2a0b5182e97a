//! Image pulls on one node: the kubelet's pull queue (serialized by default), containerd's
//! per-pull layer downloads (3 at a time) sharing the node's bandwidth, in-order extraction
//! sharing the node's extraction rate, the layer cache, and de-duplication of a layer that two
//! pulls need (the second waits for the first's download).
//!
//! Layers come from the run's `LayerGraph` (images → layers in order); each node counts, per
//! layer, the images on it that list the layer, so removing an image (image garbage
//! collection) frees exactly the layers nothing else on the node uses.
//!
//! Disk: a layer counts on the node's disk (its compressed blob plus its snapshot, the
//! graph's `layer_disk`) from the moment a pull that needs it starts until image garbage
//! collection removes it. A pull whose missing layers do not fit in what the OS leaves of the
//! disk fails at once with `NoSpace` (containerd's `no space left on device`); the
//! simplification is that a real pull fails part-way, after downloading what fit.
//!
//! Owns: per-node layer states, per-layer image references, pull progress and the bytes the
//! node's images occupy. Does not own: whether a pull is needed (image presence and pull
//! policy, in `kubelet`), what a failed pull does to the pod, or when images are collected
//! (`kubelet::disk`).

use super::fluid::Fluid;
use crate::model::image::{LayerGraph, select_platform_on};
use crate::model::windows::IsolationMode;
use crate::model::{ImageId, LayerId, NodeId, PodId, PoolId, Spec};
use std::collections::VecDeque;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LayerState {
    Absent,
    /// Being downloaded by the pull with this id.
    Downloading(u32),
    /// Downloaded, waiting to be extracted in order.
    Downloaded,
    Extracting,
    Present,
}

/// A request to make an image available for one pod's container.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub pod: PodId,
    pub generation: u32,
    pub image: ImageId,
    pub isolation: IsolationMode,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PullError {
    /// No manifest-list entry for the node's platform.
    NoPlatform,
    /// The attempt ran past the configured pull timeout.
    Timeout,
    /// The image's missing layers do not fit on the node's disk.
    NoSpace,
    /// The kubelet's `registryPullQPS` token bucket was empty (`pull QPS exceeded`).
    QpsExceeded,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PullDone {
    pub node: NodeId,
    pub request: PullRequest,
    /// The platform entry pulled, or why the pull failed.
    pub result: Result<u16, PullError>,
}

#[derive(Clone, Debug)]
struct ActivePull {
    id: u32,
    req: PullRequest,
    platform: u16,
    next_extract: usize,
    downloading: u32,
}

/// No entry of this image is on the node.
const NO_ENTRY: u16 = u16::MAX;

/// One node's pull machinery.
#[derive(Clone, Debug)]
pub struct NodePuller {
    pub layers: Vec<LayerState>,
    /// Per layer: how many images on the node list it (an entry listing a layer twice counts
    /// twice, symmetrically on removal). A present layer at 0 belongs to no image.
    refs: Vec<u16>,
    /// Per image: the platform entry the node has, or `NO_ENTRY`.
    entry_of: Vec<u16>,
    queue: VecDeque<PullRequest>,
    active: Vec<ActivePull>,
    net: Fluid,
    disk: Fluid,
    parallel: u32,
    /// Per layer: its bytes count on the disk (present, in progress, or needed by a running
    /// pull).
    counted: Vec<bool>,
    /// Bytes the counted layers occupy.
    pub image_bytes: u64,
    /// Bytes of the disk left to images: the pool's `disk` minus what the OS occupies.
    room: u64,
    /// Per layer: image GC removed it from this node, so downloading it again is a re-pull.
    collected: Vec<bool>,
    /// Compressed bytes downloaded, and the part of them that re-pulled collected layers.
    pub bytes_pulled: u64,
    pub bytes_repulled: u64,
    /// Generation of the node's pending I/O completion event.
    pub io_gen: u32,
    io_at: Option<u64>,
    /// Some registry's egress is limited: downloads go to the run's `SharedNet` through
    /// `outbox` (layer, bytes, image) and `cancelled`, not to `net`.
    shared: bool,
    pub outbox: Vec<(u32, u64, ImageId)>,
    pub cancelled: Vec<u32>,
    /// `registryPullQPS` token bucket (golang.org/x/time/rate, as the kubelet's
    /// `flowcontrol.NewTokenBucketRateLimiter`): tokens, and when they were counted.
    qps_tokens: f64,
    qps_at: u64,
}

/// Everything a puller needs from the scenario, passed in to keep pullers small.
pub struct PullEnv<'a> {
    pub spec: &'a Spec,
    pub pool: PoolId,
    /// The node's own Windows version (its pool's unless upgraded).
    pub version: Option<crate::model::windows::WinVersion>,
    pub node: NodeId,
    pub now: u64,
    pub strict_platform: bool,
    pub graph: &'a LayerGraph,
}

impl NodePuller {
    pub fn new(spec: &Spec, pool: PoolId) -> Self {
        let p = spec.pool(pool);
        NodePuller {
            layers: vec![LayerState::Absent; spec.layers.len()],
            refs: vec![0; spec.layers.len()],
            entry_of: vec![NO_ENTRY; spec.images.len()],
            queue: VecDeque::new(),
            active: Vec::new(),
            net: Fluid::new(p.pull_bandwidth),
            disk: Fluid::new(p.extraction_rate),
            parallel: p.max_parallel_pulls.max(1),
            counted: vec![false; spec.layers.len()],
            image_bytes: 0,
            room: p.disk.saturating_sub(p.os_disk),
            collected: vec![false; spec.layers.len()],
            bytes_pulled: 0,
            bytes_repulled: 0,
            io_gen: 0,
            io_at: None,
            shared: false,
            outbox: Vec::new(),
            cancelled: Vec::new(),
            // A new limiter starts with a full bucket.
            qps_tokens: f64::from(spec.kubelet.registry_burst),
            qps_at: 0,
        }
    }

    /// Hands this node's downloads to the run's `SharedNet` (some registry is limited).
    pub fn share_downloads(&mut self) {
        self.shared = true;
    }

    /// The kubelet's `throttledImageService.PullImage`: `limiter.TryAccept()` takes a token if
    /// the bucket (refilled at `qps` per second up to `burst`) has one; QPS 0 is no limit.
    fn try_accept(&mut self, spec: &Spec, now: u64) -> bool {
        let qps = spec.kubelet.registry_pull_qps;
        if qps <= 0.0 {
            return true;
        }
        let burst = f64::from(spec.kubelet.registry_burst);
        let elapsed = now.saturating_sub(self.qps_at) as f64 / 1000.0;
        self.qps_tokens = (self.qps_tokens + elapsed * qps).min(burst);
        self.qps_at = self.qps_at.max(now);
        if self.qps_tokens >= 1.0 {
            self.qps_tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Marks every layer of `image`'s platform for this pool present (a preloaded image).
    pub fn preload(
        &mut self,
        spec: &Spec,
        graph: &LayerGraph,
        pool: PoolId,
        version: Option<crate::model::windows::WinVersion>,
        image: ImageId,
    ) -> bool {
        let img = &spec.images[image.idx()];
        let Some(pi) =
            select_platform_on(img, spec.pool(pool), version, IsolationMode::Process, false)
        else {
            return false;
        };
        for &l in graph.layers(graph.entry(image, pi as u16)) {
            self.layers[l.idx()] = LayerState::Present;
            self.count(graph, l);
        }
        self.add_image(graph, image, pi as u16);
        true
    }

    /// Records that the node now has `image` (entry `platform`), all of whose layers are
    /// present: its layers gain a reference. Returns false if the image was already there.
    pub fn add_image(&mut self, graph: &LayerGraph, image: ImageId, platform: u16) -> bool {
        if self.entry_of[image.idx()] != NO_ENTRY {
            return false;
        }
        self.entry_of[image.idx()] = platform;
        for &l in graph.layers(graph.entry(image, platform)) {
            debug_assert_eq!(self.layers[l.idx()], LayerState::Present);
            self.refs[l.idx()] = self.refs[l.idx()].saturating_add(1);
        }
        true
    }

    /// The platform entry of `image` on the node, if it is there.
    pub fn image_entry(&self, image: ImageId) -> Option<u16> {
        let e = self.entry_of[image.idx()];
        (e != NO_ENTRY).then_some(e)
    }

    /// Removes `image` from the node (image garbage collection): its layers lose a reference,
    /// and those no other image on the node lists, and no running pull needs, go back to
    /// absent. Their ids go to `freed` (base first); returns the bytes freed on disk. Removing
    /// an image that is not there frees nothing.
    pub fn remove_image(
        &mut self,
        graph: &LayerGraph,
        image: ImageId,
        freed: &mut Vec<LayerId>,
    ) -> u64 {
        let platform = self.entry_of[image.idx()];
        if platform == NO_ENTRY {
            return 0;
        }
        self.entry_of[image.idx()] = NO_ENTRY;
        let mut bytes = 0u64;
        for &l in graph.layers(graph.entry(image, platform)) {
            let r = &mut self.refs[l.idx()];
            *r = r.saturating_sub(1);
            if *r == 0
                && self.layers[l.idx()] == LayerState::Present
                && !self.active_needs(graph, l)
            {
                self.layers[l.idx()] = LayerState::Absent;
                self.uncount(graph, l);
                self.collected[l.idx()] = true;
                bytes = bytes.saturating_add(graph.layer_disk(l));
                freed.push(l);
            }
        }
        bytes
    }

    /// Counts `layer` on the disk if it is not already.
    fn count(&mut self, graph: &LayerGraph, layer: LayerId) {
        if !self.counted[layer.idx()] {
            self.counted[layer.idx()] = true;
            self.image_bytes = self.image_bytes.saturating_add(graph.layer_disk(layer));
        }
    }

    fn uncount(&mut self, graph: &LayerGraph, layer: LayerId) {
        if self.counted[layer.idx()] {
            self.counted[layer.idx()] = false;
            self.image_bytes = self.image_bytes.saturating_sub(graph.layer_disk(layer));
        }
    }

    /// Bytes the entry's layers not yet counted would add to the disk (a layer listed twice
    /// is stored once).
    pub fn missing_bytes(&self, graph: &LayerGraph, entry: u32) -> u64 {
        let layers = graph.layers(entry);
        let mut bytes = 0u64;
        for (j, &l) in layers.iter().enumerate() {
            if !self.counted[l.idx()] && !layers[..j].contains(&l) {
                bytes = bytes.saturating_add(graph.layer_disk(l));
            }
        }
        bytes
    }

    /// Bytes of the disk left to images (the pool's disk minus the OS).
    pub fn room(&self) -> u64 {
        self.room
    }

    /// Whether a running pull lists `layer` (containerd's pull lease keeps its content).
    fn active_needs(&self, graph: &LayerGraph, layer: LayerId) -> bool {
        self.active.iter().any(|a| {
            graph
                .layers(graph.entry(a.req.image, a.platform))
                .contains(&layer)
        })
    }

    pub fn layer_present(&self, l: LayerId) -> bool {
        self.layers[l.idx()] == LayerState::Present
    }

    /// Pulls running now (for the time series).
    pub fn in_flight(&self) -> usize {
        self.active.len()
    }

    pub fn submit(&mut self, req: PullRequest) {
        self.queue.push_back(req);
    }

    /// Starts queued pulls and downloads/extractions that can start; collects finished pulls.
    /// Returns the ids of pulls started (the caller arms their timeouts).
    pub fn pump(
        &mut self,
        env: &PullEnv,
        next_pull_id: &mut u32,
        done: &mut Vec<PullDone>,
        started: &mut Vec<u32>,
    ) {
        let spec = env.spec;
        let max_dl = spec.kubelet.max_concurrent_downloads;
        loop {
            while (self.active.len() as u32) < self.parallel {
                let Some(req) = self.queue.pop_front() else {
                    break;
                };
                let img = &spec.images[req.image.idx()];
                if !self.try_accept(spec, env.now) {
                    done.push(PullDone {
                        node: env.node,
                        request: req,
                        result: Err(PullError::QpsExceeded),
                    });
                    continue;
                }
                match select_platform_on(
                    img,
                    spec.pool(env.pool),
                    env.version,
                    req.isolation,
                    env.strict_platform,
                ) {
                    None => done.push(PullDone {
                        node: env.node,
                        request: req,
                        result: Err(PullError::NoPlatform),
                    }),
                    Some(pi)
                        if self.image_bytes.saturating_add(
                            self.missing_bytes(env.graph, env.graph.entry(req.image, pi as u16)),
                        ) > self.room =>
                    {
                        done.push(PullDone {
                            node: env.node,
                            request: req,
                            result: Err(PullError::NoSpace),
                        })
                    }
                    Some(pi) => {
                        for &l in env.graph.layers(env.graph.entry(req.image, pi as u16)) {
                            self.count(env.graph, l);
                        }
                        let id = *next_pull_id;
                        *next_pull_id += 1;
                        started.push(id);
                        self.active.push(ActivePull {
                            id,
                            req,
                            platform: pi as u16,
                            next_extract: 0,
                            downloading: 0,
                        });
                    }
                }
            }
            let mut finished_any = false;
            let mut i = 0;
            while i < self.active.len() {
                let a = &mut self.active[i];
                let layers = env.graph.layers(env.graph.entry(a.req.image, a.platform));
                for &l in layers.iter() {
                    if a.downloading >= max_dl {
                        break;
                    }
                    if self.layers[l.idx()] == LayerState::Absent {
                        self.layers[l.idx()] = LayerState::Downloading(a.id);
                        let size = spec.layers[l.idx()].size;
                        self.bytes_pulled = self.bytes_pulled.saturating_add(size);
                        if self.collected[l.idx()] {
                            self.bytes_repulled = self.bytes_repulled.saturating_add(size);
                        }
                        if self.shared {
                            self.outbox.push((l.0, size, a.req.image));
                        } else {
                            self.net.add(env.now, l.0, size);
                        }
                        a.downloading += 1;
                    }
                }
                while a.next_extract < layers.len() {
                    let l = layers[a.next_extract];
                    match self.layers[l.idx()] {
                        LayerState::Present => a.next_extract += 1,
                        LayerState::Downloaded => {
                            self.layers[l.idx()] = LayerState::Extracting;
                            self.disk.add(env.now, l.0, spec.layers[l.idx()].unpacked);
                            break;
                        }
                        _ => break,
                    }
                }
                if a.next_extract == layers.len() {
                    done.push(PullDone {
                        node: env.node,
                        request: a.req,
                        result: Ok(a.platform),
                    });
                    self.active.remove(i);
                    finished_any = true;
                } else {
                    i += 1;
                }
            }
            if !finished_any || self.queue.is_empty() {
                break;
            }
        }
    }

    /// Applies download and extraction completions up to `now`.
    pub fn complete_io(&mut self, now: u64, scratch: &mut Vec<u32>) {
        scratch.clear();
        self.net.drain_done(now, scratch);
        for &l in scratch.iter() {
            self.download_done(l);
        }
        scratch.clear();
        self.disk.drain_done(now, scratch);
        for &l in scratch.iter() {
            self.layers[l as usize] = LayerState::Present;
        }
        self.io_at = None;
    }

    /// Layer `l`'s download ended (here or in the `SharedNet`): it waits for extraction.
    pub fn download_done(&mut self, l: u32) {
        if let LayerState::Downloading(owner) = self.layers[l as usize]
            && let Some(a) = self.active.iter_mut().find(|a| a.id == owner)
        {
            a.downloading -= 1;
        }
        self.layers[l as usize] = LayerState::Downloaded;
    }

    /// The time of the next I/O completion if it differs from the one already scheduled;
    /// bumps the generation so older events go stale.
    pub fn reschedule(&mut self) -> Option<(u64, u32)> {
        let next = match (self.net.next_completion(), self.disk.next_completion()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if next == self.io_at {
            return None;
        }
        self.io_at = next;
        self.io_gen = self.io_gen.wrapping_add(1);
        next.map(|t| (t, self.io_gen))
    }

    /// The node stopped: every running pull is cancelled as by `cancel` and the queued
    /// requests are dropped (their pods ask again when the node is back).
    pub fn stop(&mut self, graph: &LayerGraph, now: u64) {
        self.queue.clear();
        while let Some(id) = self.active.first().map(|a| a.id) {
            self.cancel(graph, now, id);
        }
    }

    /// Cancels pull `id` if it is still running (timeout): its own downloads stop and their
    /// layers go back to absent; finished layers stay in the cache. Absent layers no other
    /// running pull needs stop counting on the disk.
    pub fn cancel(&mut self, graph: &LayerGraph, now: u64, id: u32) -> Option<PullRequest> {
        let pos = self.active.iter().position(|a| a.id == id)?;
        let a = self.active.remove(pos);
        for (l, st) in self.layers.iter_mut().enumerate() {
            if *st == LayerState::Downloading(id) {
                if self.shared {
                    self.cancelled.push(l as u32);
                } else {
                    self.net.remove(now, l as u32);
                }
                *st = LayerState::Absent;
            }
        }
        for &l in graph.layers(graph.entry(a.req.image, a.platform)) {
            if self.layers[l.idx()] == LayerState::Absent && !self.active_needs(graph, l) {
                self.uncount(graph, l);
            }
        }
        Some(a.req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [(name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi",
            preloaded_images: ["a", "b"])],
        layers: [
            (name: "base", size: "1GB", unpacked: "2GB"),
            (name: "update", size: "500MB", unpacked: "1GB"),
            (name: "app1", size: "100MB", unpacked: "200MB"),
            (name: "app2", size: "200MB", unpacked: "300MB"),
        ],
        images: [
            (name: "a", platforms: [(os: Windows, layers: ["base", "update", "app1"])]),
            (name: "b", platforms: [(os: Windows, layers: ["base", "update", "app2"])]),
        ],
        workloads: [],
    )"#;

    #[test]
    fn removing_an_image_frees_only_the_layers_no_other_image_on_the_node_lists() {
        let (_, spec) = crate::scenario::load_str(SCENARIO, "unit.ron").unwrap();
        let graph = LayerGraph::new(&spec.images, &spec.layers);
        let mut p = NodePuller::new(&spec, PoolId(0));
        for i in 0..2 {
            assert!(p.preload(&spec, &graph, PoolId(0), spec.pools[0].version, ImageId(i)));
        }
        let mut freed = Vec::new();
        // a goes: base and update are still listed by b; only app1 (100 MB + 200 MB) is freed.
        assert_eq!(p.remove_image(&graph, ImageId(0), &mut freed), 300_000_000);
        assert_eq!(freed, vec![LayerId(2)]);
        assert_eq!(p.image_entry(ImageId(0)), None);
        assert!(p.layer_present(LayerId(0)) && !p.layer_present(LayerId(2)));
        // b goes: now nothing lists base, update or app2: 3 GB + 1.5 GB + 0.5 GB, base first.
        freed.clear();
        assert_eq!(
            p.remove_image(&graph, ImageId(1), &mut freed),
            5_000_000_000
        );
        assert_eq!(freed, vec![LayerId(0), LayerId(1), LayerId(3)]);
        // Removing an image that is not there frees nothing.
        freed.clear();
        assert_eq!(p.remove_image(&graph, ImageId(1), &mut freed), 0);
        assert!(freed.is_empty());
    }

    #[test]
    fn preloaded_layers_count_on_the_disk_once_and_collected_ones_stop_counting() {
        let (_, spec) = crate::scenario::load_str(SCENARIO, "unit.ron").unwrap();
        let graph = LayerGraph::new(&spec.images, &spec.layers);
        let mut p = NodePuller::new(&spec, PoolId(0));
        // The pool keeps the 128 GiB default disk and the 32 GB Windows OS share.
        assert_eq!(p.room(), (128u64 << 30) - 32_000_000_000);
        // a: base (1 + 2 GB) + update (0.5 + 1) + app1 (0.1 + 0.2) = 4.8 GB missing.
        let a = graph.entry(ImageId(0), 0);
        assert_eq!(p.missing_bytes(&graph, a), 4_800_000_000);
        p.preload(&spec, &graph, PoolId(0), spec.pools[0].version, ImageId(0));
        assert_eq!(p.image_bytes, 4_800_000_000);
        // b shares base and update: only app2 (0.2 + 0.3 GB) is missing, and counts once.
        let b = graph.entry(ImageId(1), 0);
        assert_eq!(p.missing_bytes(&graph, b), 500_000_000);
        p.preload(&spec, &graph, PoolId(0), spec.pools[0].version, ImageId(1));
        assert_eq!(p.image_bytes, 5_300_000_000);
        // Collecting a frees app1 only (0.3 GB): 5.0 GB stay counted.
        let mut freed = Vec::new();
        p.remove_image(&graph, ImageId(0), &mut freed);
        assert_eq!(p.image_bytes, 5_000_000_000);
        assert_eq!(p.missing_bytes(&graph, a), 300_000_000);
    }
}
