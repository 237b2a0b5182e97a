//! A node's disk as the kubelet manages it: image garbage collection (k/k
//! `pkg/kubelet/images/image_gc_manager.go`) and the eviction manager's disk signals (k/k
//! `pkg/kubelet/eviction/eviction_manager.go`).
//!
//! Owns: per-node image records (first detected, last used), the GC pass, the eviction
//! manager's disk check (DiskPressure, node-level reclaim, choosing the pod to evict) and the
//! per-pool disk counters. Does not own: the bytes on disk (the puller counts its layers,
//! `pull`), applying the DiskPressure taint or terminating the evicted pod (it pushes
//! `Effect::DiskPressure` and `Effect::Evict`, which the loop carries out).
//!
//! The rules, from upstream:
//! - **Detection** (`detectImages`): an image seen for the first time gets `firstDetected` =
//!   the pass's time, except at the kubelet's start, where it is "unknown in the past" (the
//!   node's preloaded images); an image used by a container of a pod on the node gets
//!   `lastUsed` = now. Records of images no longer there are dropped.
//! - **GC pass** every `ImageGCPeriod` (5 min, the first at the kubelet's start):
//!   `usagePercent = 100 - available*100/capacity` (integer division); at or above
//!   `imageGCHighThresholdPercent` it frees `capacity*(100-low)/100 - available` bytes.
//!   A high threshold of 100 turns image GC off (`StartGarbageCollection`).
//! - **freeSpace**: images in order of `lastUsed`, then `firstDetected`; one in use now, or
//!   detected less than `imageMinimumGCAge` ago, is skipped; each removed image adds its own
//!   size to the bytes freed (`spaceFreed += image.size`) and the pass stops once that reaches
//!   the target. An image's size here is its on-disk size as if it were alone on the node, so
//!   when it shares layers with an image that stays, the pass counts more than the disk
//!   gains; the next pass sees the real usage. A pass that counts less than its target is a
//!   failed GC (`FreeDiskSpaceFailed`; `ImageGCFailed` when it happens twice in a row).
//! - **Eviction manager** every 10 s: a hard threshold is met when available disk is below
//!   `nodefs.available` or `imagefs.available` of the capacity (containerd keeps images on the
//!   node's root disk, so both signals see the same disk). Then the node has DiskPressure
//!   (and the `node.kubernetes.io/disk-pressure:NoSchedule` taint); the condition stays until
//!   no threshold has been met for `evictionPressureTransitionPeriod` (5 min). Under a met
//!   threshold the kubelet first reclaims node-level resources (`DeleteUnusedImages`: every
//!   image freeSpace may remove); if a threshold is still met it evicts one pod per pass, hard
//!   eviction having no grace period.
//!
//! Simplifications (docs/scenario-format.md): detection runs only with the passes (upstream
//! also detects on its own 5-minute loop); every image a pod on the node lists counts as in
//! use, including containers not yet created; pods use no disk of their own (no writable
//! layers, logs or emptyDir), so eviction ranks pods by priority alone, lowest first, ties by
//! creation order (upstream ties on usage are broken by an unstable sort), and system-critical
//! pods are never evicted; the DiskPressure taint appears with the condition (upstream the node
//! lifecycle controller adds it on its next sync) and admission does not reject pods under
//! DiskPressure (the taint keeps the scheduler away, DaemonSet pods included).

use super::Kubelet;
use crate::effect::{Ctx, Effect, Event};
use crate::model::cluster::NodeState;
use crate::model::{ImageId, NodeId, PodId, Spec};

/// How often the kubelet runs image garbage collection: `ImageGCPeriod = 5 * time.Minute`
/// (k/k `pkg/kubelet/kubelet.go`; not configurable).
pub const IMAGE_GC_PERIOD_MS: u64 = 300_000;
/// The eviction manager's monitoring period: `evictionMonitoringPeriod = time.Second * 10`
/// (k/k `pkg/kubelet/kubelet.go`).
pub const EVICTION_MONITORING_PERIOD_MS: u64 = 10_000;
/// kubelet `evictionPressureTransitionPeriod` default 5 min: how long a pressure condition
/// stays after its threshold was last met (k/k `pkg/kubelet/apis/config/v1beta1/defaults.go`).
pub const EVICTION_PRESSURE_TRANSITION_MS: u64 = 300_000;

/// The message of a pod evicted under disk pressure (k/k `pkg/kubelet/eviction/helpers.go`,
/// `nodeLowMessageFmt`, for the `ephemeral-storage` resource the disk signals map to).
pub const EVICTION_MESSAGE: &str = "The node was low on resource: ephemeral-storage. ";
/// The error of a pull that does not fit on the node's disk (containerd surfaces the
/// filesystem's ENOSPC).
pub const NO_SPACE_MESSAGE: &str = "failed to pull and unpack image: no space left on device";
/// `scheduling.SystemCriticalPriority`: pods at or above it are critical and the eviction
/// manager never evicts them (k/k `pkg/kubelet/types/pod_update.go` `IsCriticalPod`).
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;

/// What the kubelet knows of one image on one node (`imageRecord`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Record {
    seen: bool,
    /// `firstDetected`; None: detected at the kubelet's start, "unknown in the past".
    first: Option<u64>,
    /// `lastUsed`; None: never seen in use (Go's zero time, the oldest).
    last_used: Option<u64>,
}

/// One node's image records and pressure state.
#[derive(Clone, Debug, Default)]
pub struct NodeDisk {
    /// Per image; empty on nodes whose disk cannot fill (nothing to record).
    records: Vec<Record>,
    pub pressure: bool,
    /// When a hard threshold was last met.
    last_met: u64,
}

/// Per-pool disk counters over the run (the summary's `disk` section).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    /// Images removed by GC passes and node-level reclaim.
    pub images_collected: u64,
    /// Bytes those removals freed on disk.
    pub bytes_collected: u64,
    /// GC passes that could not count enough bytes to reach the low threshold.
    pub gc_failures: u64,
    /// Pull attempts that failed because the image did not fit.
    pub pulls_disk_full: u64,
    /// Pods the eviction manager evicted.
    pub evictions: u64,
    /// Times a node of the pool came under DiskPressure.
    pub pressure_onsets: u64,
    /// Compressed bytes downloaded by the pool's nodes, and the part that re-pulled layers
    /// GC had removed (filled in at the end from the pullers).
    pub bytes_pulled: u64,
    pub bytes_repulled: u64,
}

/// Whether anything disk-related can ever happen on a node of `pool`: its OS plus every layer
/// of the scenario reaching the lowest usage at which the GC triggers, a hard eviction
/// threshold is met, or a pull does not fit. GC triggers only when `used*100 >
/// capacity*(high-1)`; a threshold of p % available is met only when `used*100 >
/// capacity*(100-p)`; a pull fails only when `used > capacity`. Pools that cannot get there
/// run no GC or eviction events at all, which keeps their runs what they were.
pub fn disk_can_fill(spec: &Spec, pool: usize, all_layers: u64) -> bool {
    let p = &spec.pools[pool];
    let k = &spec.kubelet;
    let lowest = (k.gc_high_percent.saturating_sub(1))
        .min(100 - k.evict_nodefs_percent.min(100))
        .min(100 - k.evict_imagefs_percent.min(100)) as u128;
    let used = p.os_disk as u128 + all_layers as u128;
    used * 100 > p.disk as u128 * lowest
}

/// Per pool, `disk_can_fill` with every layer of the scenario (blob plus snapshot each).
pub fn managed_pools(spec: &Spec) -> Vec<bool> {
    let all_layers = spec
        .layers
        .iter()
        .map(|l| l.size.saturating_add(l.unpacked))
        .fold(0u64, u64::saturating_add);
    (0..spec.pools.len())
        .map(|p| disk_can_fill(spec, p, all_layers))
        .collect()
}

impl Kubelet {
    /// A node became Ready: its kubelet starts image GC and the eviction manager (both run
    /// at once, then periodically), and the images already there count as detected "in the
    /// past".
    pub fn node_ready(&mut self, cx: &mut Ctx, node: NodeId) {
        let pool = cx.cluster.nodes[node.idx()].pool;
        if !self.disk_managed[pool.idx()] {
            return;
        }
        let nimg = cx.spec.images.len();
        let puller = &self.pullers[node.idx()];
        let d = &mut self.disks[node.idx()];
        d.records = (0..nimg)
            .map(|i| Record {
                seen: puller.image_entry(ImageId::from_idx(i)).is_some(),
                first: None,
                last_used: None,
            })
            .collect();
        cx.at(cx.now, Event::ImageGc(node));
        cx.at(cx.now, Event::EvictionSync(node));
    }

    fn node_running(cx: &Ctx, node: NodeId) -> bool {
        cx.cluster.nodes[node.idx()].state != NodeState::Deleted
    }

    /// Marks the images the pods on `node` use (`imagesInUse`).
    fn mark_in_use(&mut self, cx: &Ctx, node: NodeId) {
        self.in_use.clear();
        self.in_use.resize(cx.spec.images.len(), false);
        for &p in &cx.cluster.pods_on[node.idx()] {
            let pod = &cx.cluster.pods[p.idx()];
            if !pod.phase.holds_node() {
                continue;
            }
            let t = cx.spec.template(pod.template);
            for c in t.init_containers.iter().chain(&t.containers) {
                self.in_use[c.image.idx()] = true;
            }
        }
    }

    /// `detectImages` at `now`.
    fn detect(&mut self, cx: &Ctx, node: NodeId) {
        self.mark_in_use(cx, node);
        let puller = &self.pullers[node.idx()];
        let d = &mut self.disks[node.idx()];
        for (i, rec) in d.records.iter_mut().enumerate() {
            if puller.image_entry(ImageId::from_idx(i)).is_none() {
                *rec = Record::default();
                continue;
            }
            if !rec.seen {
                rec.seen = true;
                rec.first = Some(cx.now);
            }
            if self.in_use[i] {
                rec.last_used = Some(cx.now);
            }
        }
    }

    /// `freeSpace`: detects, then removes images in eviction order until the sizes counted
    /// reach `to_free`. Returns the bytes counted.
    fn free_space(&mut self, cx: &mut Ctx, node: NodeId, to_free: i128) -> i128 {
        self.detect(cx, node);
        let now = cx.now;
        let min_age = cx.spec.kubelet.gc_min_age;
        let pool = cx.cluster.nodes[node.idx()].pool;
        let mut order = std::mem::take(&mut self.gc_order);
        order.clear();
        for (i, rec) in self.disks[node.idx()].records.iter().enumerate() {
            if rec.seen {
                order.push((rec.last_used, rec.first, i as u32));
            }
        }
        // lastUsed, then firstDetected (None sorts first: never used / detected in the past);
        // the image id breaks the ties upstream leaves to an unstable sort.
        order.sort_unstable();
        let mut counted: i128 = 0;
        let mut removed = false;
        for &(last_used, first, i) in &order {
            if last_used == Some(now) {
                continue;
            }
            if first.is_some_and(|f| now - f < min_age) {
                continue;
            }
            let image = ImageId(i);
            let puller = &mut self.pullers[node.idx()];
            let Some(platform) = puller.image_entry(image) else {
                continue;
            };
            let entry = self.graph.entry(image, platform);
            self.freed_layers.clear();
            let freed = puller.remove_image(&self.graph, image, &mut self.freed_layers);
            cx.cluster.remove_node_image(node, image);
            self.disks[node.idx()].records[i as usize] = Record::default();
            let st = &mut self.disk_stats[pool.idx()];
            st.images_collected += 1;
            st.bytes_collected = st.bytes_collected.saturating_add(freed);
            removed = true;
            counted += self.graph.disk_bytes(entry) as i128;
            if counted >= to_free {
                break;
            }
        }
        self.gc_order = order;
        if removed {
            cx.cluster.version += 1;
        }
        counted
    }

    /// (capacity, available) of the node's disk.
    fn disk_use(&self, cx: &Ctx, node: NodeId) -> (u64, u64) {
        let pool = cx.spec.pool(cx.cluster.nodes[node.idx()].pool);
        let used = pool
            .os_disk
            .saturating_add(self.pullers[node.idx()].image_bytes);
        (pool.disk, pool.disk.saturating_sub(used))
    }

    /// One image GC pass (`GarbageCollect`), then the next one `ImageGCPeriod` later.
    pub fn image_gc(&mut self, cx: &mut Ctx, node: NodeId) {
        if !Self::node_running(cx, node) {
            return;
        }
        let k = &cx.spec.kubelet;
        let (high, low) = (k.gc_high_percent, k.gc_low_percent);
        if high >= 100 {
            return;
        }
        let (cap, avail) = self.disk_use(cx, node);
        let (cap, avail) = (cap as i128, avail as i128);
        let usage = 100 - avail * 100 / cap;
        if usage >= high as i128 {
            let to_free = cap * (100 - low as i128) / 100 - avail;
            let freed = self.free_space(cx, node, to_free);
            if freed < to_free {
                let pool = cx.cluster.nodes[node.idx()].pool;
                self.disk_stats[pool.idx()].gc_failures += 1;
            }
        } else {
            self.detect(cx, node);
        }
        cx.after(IMAGE_GC_PERIOD_MS, Event::ImageGc(node));
    }

    /// Whether a hard eviction threshold on the disk is met now.
    fn threshold_met(&self, cx: &Ctx, node: NodeId) -> bool {
        let k = &cx.spec.kubelet;
        let (cap, avail) = self.disk_use(cx, node);
        let pct = k.evict_nodefs_percent.max(k.evict_imagefs_percent) as u128;
        // `available < capacity * p%`, the quantity truncated as upstream's
        // `GetThresholdQuantity` does.
        (avail as u128) < cap as u128 * pct / 100
    }

    /// One pass of the eviction manager's disk signals (`synchronize`), then the next one
    /// `evictionMonitoringPeriod` later.
    pub fn eviction_sync(&mut self, cx: &mut Ctx, node: NodeId) {
        if !Self::node_running(cx, node) {
            return;
        }
        let now = cx.now;
        let pool = cx.cluster.nodes[node.idx()].pool;
        if self.threshold_met(cx, node) {
            let d = &mut self.disks[node.idx()];
            d.last_met = now;
            if !d.pressure {
                d.pressure = true;
                self.disk_stats[pool.idx()].pressure_onsets += 1;
                cx.push(Effect::DiskPressure(node, true));
            }
            // `reclaimNodeLevelResources`: delete unused images, then look again.
            self.free_space(cx, node, i128::MAX);
            if self.threshold_met(cx, node)
                && let Some(victim) = Self::eviction_victim(cx, node)
            {
                self.disk_stats[pool.idx()].evictions += 1;
                cx.push(Effect::Evict(victim));
            }
        } else {
            let d = &mut self.disks[node.idx()];
            if d.pressure && now - d.last_met >= EVICTION_PRESSURE_TRANSITION_MS {
                d.pressure = false;
                cx.push(Effect::DiskPressure(node, false));
            }
        }
        cx.after(EVICTION_MONITORING_PERIOD_MS, Event::EvictionSync(node));
    }

    /// The pod the eviction manager evicts first: a live, non-critical pod of the lowest
    /// priority, the oldest among equals.
    fn eviction_victim(cx: &Ctx, node: NodeId) -> Option<PodId> {
        cx.cluster.pods_on[node.idx()]
            .iter()
            .copied()
            .filter(|&p| {
                let pod = &cx.cluster.pods[p.idx()];
                pod.phase.is_live()
                    && cx.spec.template(pod.template).priority < SYSTEM_CRITICAL_PRIORITY
            })
            .min_by_key(|&p| {
                (
                    cx.spec.template(cx.cluster.pods[p.idx()].template).priority,
                    p,
                )
            })
    }

    /// Whether any pool's disk can fill (the time series then has disk columns).
    pub fn tracks_disk(&self) -> bool {
        self.disk_managed.iter().any(|&m| m)
    }

    /// Per pool, the bytes in use on its registered nodes' disks (OS plus images).
    pub fn disk_used_per_pool(
        &self,
        spec: &Spec,
        cluster: &crate::model::cluster::Cluster,
    ) -> Vec<u64> {
        let mut out = vec![0u64; spec.pools.len()];
        for n in cluster.registered.iter() {
            let pool = cluster.nodes[n.idx()].pool;
            out[pool.idx()] = out[pool.idx()]
                .saturating_add(spec.pool(pool).os_disk)
                .saturating_add(self.pullers[n.idx()].image_bytes);
        }
        out
    }

    /// Per pool, the disk counters of the run, with the bytes its nodes pulled. Pools whose
    /// disk cannot fill are None.
    /// Per pool, the seconds its nodes' downloads lost behind registry limits up to `now`
    /// (`SharedNet::registry_wait_ms`); empty when no registry is limited.
    pub fn registry_wait_s(
        &mut self,
        cluster: &crate::model::cluster::Cluster,
        npools: usize,
        now: u64,
    ) -> Vec<f64> {
        let Some(net) = &mut self.shared else {
            return Vec::new();
        };
        let mut out = vec![0.0; npools];
        for (n, w) in net.registry_wait_ms(now).iter().enumerate() {
            out[cluster.nodes[n].pool.idx()] += w / 1000.0;
        }
        out
    }

    pub fn disk_stats(&self, cluster: &crate::model::cluster::Cluster) -> Vec<Option<DiskStats>> {
        let mut out: Vec<Option<DiskStats>> = self
            .disk_stats
            .iter()
            .zip(&self.disk_managed)
            .map(|(s, &m)| m.then(|| s.clone()))
            .collect();
        for (n, puller) in self.pullers.iter().enumerate() {
            let pool = cluster.nodes[n].pool;
            if let Some(s) = &mut out[pool.idx()] {
                s.bytes_pulled = s.bytes_pulled.saturating_add(puller.bytes_pulled);
                s.bytes_repulled = s.bytes_repulled.saturating_add(puller.bytes_repulled);
            }
        }
        out
    }
}
