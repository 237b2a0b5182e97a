//! The kubelet's start path for a bound pod: admission, image pulls, container creation with
//! the Windows OS/build check, start delays, init containers and readiness.
//!
//! Owns: per-node pullers and the per-pod start-path state machine (`Pod::stage`). Does not
//! own: releasing node resources or replacing failed pods (it pushes `Effect::PodFailed` and the
//! loop and the controllers act on it), readiness bookkeeping of workloads
//! (`Effect::PodReady`), or scheduling. Driven through a `Ctx`, so it can be tested without a
//! whole run (see the tests at the bottom).
//!
//! No Windows-specific admission: upstream's kubelet has none for `privileged` or `hostNetwork`.
//! On Windows it builds the container config without reading `privileged` (k/k
//! `pkg/kubelet/kuberuntime/kuberuntime_container_windows.go` `generateWindowsContainerConfig`;
//! the CRI's `WindowsContainerSecurityContext` has no such field), and `hostNetwork` without
//! HostProcess gives the pod a container network unless the alpha `WindowsHostNetwork` gate is
//! on (KEP-3503). The API server forbids `privileged` only for pods with `spec.os.name:
//! windows` (`validateWindows`), which the import checks (docs/upstream.md).
//!
//! Sources: image pull back-off 10 s doubling to 300 s and
//! serialized pulls (k/k `pkg/kubelet/apis/config/v1beta1/defaults.go`); readiness probe ticks
//! from the worker's start, first success at or after `initialDelaySeconds`
//! (k/k `pkg/kubelet/prober/worker.go`); HostProcess containers skip the Windows build check
//! at creation (k/web `docs/tasks/configure-pod-container/create-hostprocess-pod.md`: they "do
//! not inherit the same compatibility requirements as Windows server containers").

pub mod disk;
pub mod fluid;
pub mod pull;
pub mod shared_net;

use crate::effect::{Ctx, Effect, Event};
use crate::model::cluster::{PodPhase, Reason, Stage};
use crate::model::image::{LayerGraph, NO_PLATFORM_MESSAGE, select_platform_on};
use crate::model::windows::{IsolationMode, OS_MISMATCH_MESSAGE, compatible};
use crate::model::{ContainerSpec, NodeId, Os, PodId, PoolId, PullPolicy, Spec};
use pull::{NodePuller, PullDone, PullEnv, PullError, PullRequest};

pub const PULL_TIMEOUT_MESSAGE: &str = "image pull cancelled: pull timeout exceeded";
/// `throttledImageService.PullImage` when the `registryPullQPS` bucket is empty (k/k
/// `pkg/kubelet/images/helpers.go`).
pub const PULL_QPS_MESSAGE: &str = "pull QPS exceeded";
pub const NEVER_PULL_MESSAGE: &str = "container image is not present with pull policy of Never";

pub use crate::engine::backoff;

/// When a container started at `started` first passes its readiness probe: immediately
/// without a probe or with no initial delay, else at the first probe tick (every `period`
/// from the pod's admission at `admitted`) at or after `started + initial`.
pub fn ready_time(started: u64, admitted: u64, probe: Option<(u64, u64)>) -> u64 {
    match probe {
        None | Some((0, _)) => started,
        Some((initial, period)) => {
            let earliest = started + initial;
            let since = earliest.saturating_sub(admitted);
            let ticks = since.div_ceil(period);
            admitted + ticks * period
        }
    }
}

pub struct Kubelet {
    pub pullers: Vec<NodePuller>,
    /// Nodes whose puller runs pulls now, in no particular order, and each node's index in
    /// it (`u32::MAX`: not there): a sample's count of pulls in flight visits these, not
    /// every node (`pulls_in_flight`).
    busy: Vec<NodeId>,
    busy_pos: Vec<u32>,
    next_pull_id: u32,
    done: Vec<PullDone>,
    started: Vec<u32>,
    scratch: Vec<u32>,
    strict_platform: bool,
    finishing: bool,
    /// Images → layers, built once from the spec; read by every node's puller.
    pub graph: LayerGraph,
    /// Per node: image records and DiskPressure (`disk`).
    disks: Vec<disk::NodeDisk>,
    /// Per pool: whether its disk can fill at all (`disk::disk_can_fill`).
    disk_managed: Vec<bool>,
    disk_stats: Vec<disk::DiskStats>,
    /// Scratch of the GC: images in use on a node, eviction order, layers freed.
    in_use: Vec<bool>,
    gc_order: Vec<(Option<u64>, Option<u64>, u32)>,
    freed_layers: Vec<crate::model::LayerId>,
    /// Every node's downloads when some registry's egress is limited (`shared_net`); its
    /// pending completion event's generation and time.
    shared: Option<shared_net::SharedNet>,
    net_gen: u32,
    net_at: Option<u64>,
    net_done: Vec<(NodeId, u32)>,
    net_nodes: Vec<NodeId>,
}

impl Kubelet {
    pub fn new(spec: &Spec) -> Self {
        let graph = LayerGraph::new(&spec.images, &spec.layers);
        Kubelet {
            disks: Vec::new(),
            disk_managed: disk::managed_pools(spec),
            disk_stats: vec![disk::DiskStats::default(); spec.pools.len()],
            in_use: Vec::new(),
            gc_order: Vec::new(),
            freed_layers: Vec::new(),
            pullers: Vec::new(),
            next_pull_id: 0,
            busy: Vec::new(),
            busy_pos: Vec::new(),
            done: Vec::new(),
            started: Vec::new(),
            scratch: Vec::new(),
            strict_platform: spec.kubelet.strict_platform_match,
            finishing: false,
            graph,
            shared: (!spec.registries.is_empty()).then(|| {
                let rates: Vec<u64> = spec.registries.iter().map(|r| r.bandwidth).collect();
                shared_net::SharedNet::new(&rates)
            }),
            net_gen: 0,
            net_at: None,
            net_done: Vec::new(),
            net_nodes: Vec::new(),
        }
    }

    /// Sets up a new node's puller with its pool's preloaded images.
    pub fn add_node(&mut self, cx: &mut Ctx, node: NodeId, pool: PoolId) {
        let spec = cx.spec;
        let mut p = NodePuller::new(spec, pool);
        for &img in &spec.pool(pool).preloaded {
            if p.preload(
                spec,
                &self.graph,
                pool,
                cx.cluster.nodes[node.idx()].version,
                img,
            ) {
                cx.cluster.add_node_image(node, img);
            }
        }
        if let Some(net) = &mut self.shared {
            p.share_downloads();
            net.add_node(node, spec.pool(pool).pull_bandwidth);
        }
        debug_assert_eq!(self.pullers.len(), node.idx());
        self.pullers.push(p);
        self.disks.push(disk::NodeDisk::default());
    }

    /// Pulls running on registered nodes (the timeseries' `pulls_in_flight`): O(busy
    /// nodes), not O(nodes), once per sample.
    pub fn pulls_in_flight(&self, cluster: &crate::model::cluster::Cluster) -> usize {
        self.busy
            .iter()
            .filter(|&&n| cluster.registered.contains(n))
            .map(|n| self.pullers[n.idx()].in_flight())
            .sum()
    }

    /// Puts `node` in `busy` or takes it out after its puller's running pulls may have
    /// changed (every path that starts or ends a pull ends here: `pump`, which also follows
    /// every I/O completion and a deadline's cancel, and a stop). O(1).
    fn note_busy(&mut self, node: NodeId) {
        let i = node.idx();
        if self.busy_pos.len() <= i {
            self.busy_pos
                .resize(self.pullers.len().max(i + 1), u32::MAX);
        }
        let running = self.pullers[i].in_flight() > 0;
        let pos = self.busy_pos[i];
        if running && pos == u32::MAX {
            self.busy_pos[i] = self.busy.len() as u32;
            self.busy.push(node);
        } else if !running && pos != u32::MAX {
            self.busy.swap_remove(pos as usize);
            if let Some(&moved) = self.busy.get(pos as usize) {
                self.busy_pos[moved.idx()] = pos;
            }
            self.busy_pos[i] = u32::MAX;
        }
    }

    /// The invariant checker's view of `busy`: the nodes whose puller runs pulls, found by
    /// visiting every puller, against the index. Empty when they agree.
    pub fn busy_violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.pullers.iter().enumerate() {
            let listed = self.busy_pos.get(i).is_some_and(|&pos| pos != u32::MAX);
            if listed != (p.in_flight() > 0) {
                out.push(format!(
                    "node {i} runs {} pulls but is {}listed as busy",
                    p.in_flight(),
                    if listed { "" } else { "not " }
                ));
            }
        }
        for (k, n) in self.busy.iter().enumerate() {
            if self.busy_pos.get(n.idx()) != Some(&(k as u32)) {
                out.push(format!(
                    "busy entry {k} (node {}) has a stale position",
                    n.idx()
                ));
            }
        }
        out
    }

    /// A pod was bound to its node: the start path.
    pub fn pod_bound(&mut self, cx: &mut Ctx, pod: PodId) {
        let now = cx.now;
        // A failed node's kubelet never sees the binding; the pod's start path begins when the
        // node recovers (`controllers::node_lifecycle` asks for it with `Effect::RestartPod`).
        if let Some(node) = cx.cluster.pods[pod.idx()].node
            && !cx.cluster.nodes_down.is_empty()
            && cx.cluster.nodes_down.contains(&node)
        {
            return;
        }
        let p = &mut cx.cluster.pods[pod.idx()];
        p.step = 0;
        p.step_attempts = 0;
        p.stage = Stage::Image;
        p.ready_candidate = now;
        self.advance(cx, pod);
    }

    fn container(spec: &Spec, t: crate::model::TemplateId, step: usize) -> &ContainerSpec {
        let t = spec.template(t);
        if step < t.init_containers.len() {
            &t.init_containers[step]
        } else {
            &t.containers[step - t.init_containers.len()]
        }
    }

    fn start_delay(spec: &Spec, c: &ContainerSpec, os: Os, iso: IsolationMode) -> u64 {
        let k = &spec.kubelet;
        let base = c.start_delay.unwrap_or(match os {
            Os::Linux => k.linux_start_delay,
            Os::Windows => k.windows_start_delay,
        });
        let hyperv = if os == Os::Windows && iso == IsolationMode::HyperV {
            k.hyperv_start_delay
        } else {
            0
        };
        base + hyperv
    }

    /// Drives the pod's start path as far as it can go now.
    pub fn advance(&mut self, cx: &mut Ctx, pod: PodId) {
        let spec = cx.spec;
        let now = cx.now;
        loop {
            let p = &cx.cluster.pods[pod.idx()];
            if p.phase != PodPhase::Starting {
                return;
            }
            let t = spec.template(p.template);
            let n_init = t.init_containers.len();
            let total = n_init + t.containers.len();
            let step = p.step as usize;
            let node = p.node.expect("starting pod has a node");
            let pool_id = cx.cluster.nodes[node.idx()].pool;
            let pool = spec.pool(pool_id);
            let generation = p.generation;
            if step >= total {
                let p = &mut cx.cluster.pods[pod.idx()];
                p.started = Some(now);
                p.stage = Stage::Probing;
                cx.rec.set_phase(p, PodPhase::Running);
                let at = p.ready_candidate.max(now);
                let run = p.run_ms;
                cx.at(at, Event::PodReady { pod, generation });
                // A Job's pod exits successfully its run time after its containers started.
                if let Some(run) = run {
                    cx.after(run, Event::PodSucceeded { pod, generation });
                }
                return;
            }
            let c = Self::container(spec, p.template, step);
            match p.stage {
                Stage::Image => {
                    let present = cx.cluster.node_has_image(node, c.image);
                    match (c.policy, present) {
                        (PullPolicy::Never, false) => {
                            let m = cx.messages.intern(NEVER_PULL_MESSAGE);
                            self.retry_later(cx, pod, Reason::ErrImageNeverPull, m, true);
                            return;
                        }
                        (PullPolicy::IfNotPresent | PullPolicy::Never, true) => {
                            let p = &mut cx.cluster.pods[pod.idx()];
                            p.pulled = Some(now);
                            p.stage = Stage::Create;
                        }
                        _ => {
                            cx.cluster.pods[pod.idx()].stage = Stage::Pulling;
                            self.pullers[node.idx()].submit(PullRequest {
                                pod,
                                generation,
                                image: c.image,
                                isolation: t.isolation,
                            });
                            self.pump(cx, node);
                            return;
                        }
                    }
                }
                Stage::Pulling | Stage::Probing | Stage::Done => return,
                Stage::Create => {
                    // HostProcess containers are job objects on the host, not HCS compute
                    // systems, so the build check does not apply to them (k/web
                    // `create-hostprocess-pod.md`; hcsshim `internal/jobcontainers`).
                    let host = cx.cluster.nodes[node.idx()].version;
                    if let Some(host) = host.filter(|_| !t.host_process) {
                        let img = &spec.images[c.image.idx()];
                        // The entry on disk: under strict matching a pulled image is always a
                        // compatible entry, but a preloaded one may be the fallback entry, so
                        // the check looks at what the permissive choice would have put there.
                        let pi = select_platform_on(img, pool, Some(host), t.isolation, false);
                        let ctr = pi.and_then(|i| img.platforms[i].version);
                        if let Some(ctr) = ctr
                            && !compatible(t.isolation, host, ctr)
                        {
                            let m = cx.messages.intern(OS_MISMATCH_MESSAGE);
                            self.retry_later(cx, pod, Reason::CreateContainerError, m, false);
                            return;
                        }
                    }
                    let delay = Self::start_delay(spec, c, pool.os, t.isolation);
                    let p = &mut cx.cluster.pods[pod.idx()];
                    p.stage = Stage::Starting;
                    p.step_attempts = 0;
                    cx.after(delay, Event::KubeletStep { pod, generation });
                    return;
                }
                Stage::Starting => {
                    let p = &mut cx.cluster.pods[pod.idx()];
                    if step < n_init {
                        p.stage = Stage::InitRunning;
                        cx.after(c.run_for, Event::KubeletStep { pod, generation });
                        return;
                    }
                    let admitted = p.scheduled.unwrap_or(now);
                    p.ready_candidate = p.ready_candidate.max(ready_time(now, admitted, c.probe));
                    p.step += 1;
                    p.stage = Stage::Image;
                }
                Stage::InitRunning => {
                    let p = &mut cx.cluster.pods[pod.idx()];
                    p.step += 1;
                    p.stage = Stage::Image;
                }
            }
        }
    }

    /// Records a failed pull or create attempt and retries after the kubelet's back-off.
    fn retry_later(&mut self, cx: &mut Ctx, pod: PodId, reason: Reason, msg: u32, pull: bool) {
        let k = &cx.spec.kubelet;
        let (base, max) = if pull {
            k.pull_backoff
        } else {
            k.create_backoff
        };
        let p = &mut cx.cluster.pods[pod.idx()];
        cx.rec.failure(p, reason, msg);
        p.step_attempts = p.step_attempts.saturating_add(1);
        p.stage = if pull { Stage::Image } else { Stage::Create };
        let generation = p.generation;
        let delay = backoff(base, max, p.step_attempts as u32);
        cx.after(delay, Event::KubeletStep { pod, generation });
    }

    fn pump(&mut self, cx: &mut Ctx, node: NodeId) {
        let now = cx.now;
        let env = PullEnv {
            spec: cx.spec,
            pool: cx.cluster.nodes[node.idx()].pool,
            version: cx.cluster.nodes[node.idx()].version,
            node,
            now,
            strict_platform: self.strict_platform,
            graph: &self.graph,
        };
        self.started.clear();
        self.pullers[node.idx()].pump(
            &env,
            &mut self.next_pull_id,
            &mut self.done,
            &mut self.started,
        );
        self.note_busy(node);
        let puller = &mut self.pullers[node.idx()];
        if let Some(timeout) = cx.spec.kubelet.pull_timeout {
            for &id in &self.started {
                cx.after(timeout, Event::PullDeadline { node, pull: id });
            }
        }
        if let Some((at, generation)) = puller.reschedule() {
            cx.at(at, Event::NodeIo { node, generation });
        }
        if let Some(net) = &mut self.shared {
            for (layer, bytes, image) in puller.outbox.drain(..) {
                let registry = cx.spec.images[image.idx()].registry;
                net.add(now, node, layer, registry, bytes);
            }
            for layer in puller.cancelled.drain(..) {
                net.remove(now, node, layer);
            }
            self.reschedule_net(cx);
        }
        self.finish_pulls(cx);
    }

    /// Schedules the shared net's next completion if it moved; older events go stale.
    fn reschedule_net(&mut self, cx: &mut Ctx) {
        let Some(net) = &self.shared else {
            return;
        };
        let next = net.next_completion();
        if next != self.net_at {
            self.net_at = next;
            self.net_gen = self.net_gen.wrapping_add(1);
            if let Some(at) = next {
                cx.at(
                    at,
                    Event::NetIo {
                        generation: self.net_gen,
                    },
                );
            }
        }
    }

    /// Downloads of the shared net ended: their nodes extract and go on, in node order.
    pub fn net_io(&mut self, cx: &mut Ctx, generation: u32) {
        if generation != self.net_gen {
            return;
        }
        self.net_at = None;
        let Some(net) = &mut self.shared else {
            return;
        };
        self.net_done.clear();
        net.drain_done(cx.now, &mut self.net_done);
        self.net_nodes.clear();
        for &(node, layer) in &self.net_done {
            self.pullers[node.idx()].download_done(layer);
            self.net_nodes.push(node);
        }
        self.net_nodes.sort_unstable();
        self.net_nodes.dedup();
        for i in 0..self.net_nodes.len() {
            let node = self.net_nodes[i];
            self.pump(cx, node);
        }
        self.reschedule_net(cx);
    }

    /// A node stopped (failed, or rebooting for a patch): its pulls end with it, so with a
    /// limited registry their downloads leave the shared net now and the other nodes' rates
    /// rise at once. Finished layers stay on the node; its pods' pending steps are already
    /// stale (the node lifecycle bumped their generations) and they pull again from their
    /// first container when it recovers. Without a registry limit every node downloads on its
    /// own link and nothing is shared, so nothing changes (the machine's pulls are left to run
    /// out unobserved, as before).
    pub fn node_stopped(&mut self, cx: &mut Ctx, node: NodeId) {
        if self.shared.is_none() {
            return;
        }
        let now = cx.now;
        let puller = &mut self.pullers[node.idx()];
        puller.stop(&self.graph, now);
        puller.cancelled.clear();
        self.note_busy(node);
        if let Some(net) = &mut self.shared {
            net.remove_node(now, node);
        }
        self.reschedule_net(cx);
    }

    /// A node was deleted: its downloads stop taking their registry's egress.
    pub fn node_deleted(&mut self, now: u64, node: NodeId) {
        if let Some(net) = &mut self.shared {
            net.remove_node(now, node);
        }
    }

    fn finish_pulls(&mut self, cx: &mut Ctx) {
        // Re-entered through advance → pump; the outermost call drains everything in order.
        if self.finishing {
            return;
        }
        self.finishing = true;
        let mut i = 0;
        while i < self.done.len() {
            let d = self.done[i];
            i += 1;
            let now = cx.now;
            let pod = d.request.pod;
            if let Ok(platform) = d.result {
                cx.cluster.add_node_image(d.node, d.request.image);
                self.pullers[d.node.idx()].add_image(&self.graph, d.request.image, platform);
            }
            let p = &cx.cluster.pods[pod.idx()];
            if p.generation != d.request.generation || p.stage != Stage::Pulling {
                continue;
            }
            match d.result {
                Ok(_) => {
                    let p = &mut cx.cluster.pods[pod.idx()];
                    p.pulled = Some(now);
                    p.stage = Stage::Create;
                    p.step_attempts = 0;
                    self.advance(cx, pod);
                }
                Err(PullError::NoPlatform) => {
                    let m = cx.messages.intern(NO_PLATFORM_MESSAGE);
                    self.retry_later(cx, pod, Reason::ErrImagePull, m, true);
                }
                Err(PullError::Timeout) => {
                    let m = cx.messages.intern(PULL_TIMEOUT_MESSAGE);
                    self.retry_later(cx, pod, Reason::ImagePullTimeout, m, true);
                }
                Err(PullError::QpsExceeded) => {
                    let m = cx.messages.intern(PULL_QPS_MESSAGE);
                    self.retry_later(cx, pod, Reason::ErrImagePull, m, true);
                }
                Err(PullError::NoSpace) => {
                    let pool = cx.cluster.nodes[d.node.idx()].pool;
                    self.disk_stats[pool.idx()].pulls_disk_full += 1;
                    let m = cx.messages.intern(disk::NO_SPACE_MESSAGE);
                    self.retry_later(cx, pod, Reason::ErrImagePull, m, true);
                }
            }
        }
        self.done.clear();
        self.finishing = false;
    }

    pub fn node_io(&mut self, cx: &mut Ctx, node: NodeId, generation: u32) {
        let puller = &mut self.pullers[node.idx()];
        if puller.io_gen != generation {
            return;
        }
        puller.complete_io(cx.now, &mut self.scratch);
        self.pump(cx, node);
    }

    pub fn pull_deadline(&mut self, cx: &mut Ctx, node: NodeId, pull: u32) {
        let now = cx.now;
        if let Some(req) = self.pullers[node.idx()].cancel(&self.graph, now, pull) {
            self.done.push(PullDone {
                node,
                request: req,
                result: Err(PullError::Timeout),
            });
            self.pump(cx, node);
        }
    }

    pub fn step_event(&mut self, cx: &mut Ctx, pod: PodId, generation: u32) {
        if cx.cluster.pods[pod.idx()].generation == generation {
            self.advance(cx, pod);
        }
    }

    pub fn pod_ready(&mut self, cx: &mut Ctx, pod: PodId, generation: u32) {
        let now = cx.now;
        let p = &mut cx.cluster.pods[pod.idx()];
        if p.generation != generation || p.phase != PodPhase::Running {
            return;
        }
        p.ready = Some(now);
        p.stage = Stage::Done;
        p.reason = None;
        p.message = None;
        cx.rec.set_phase(p, PodPhase::Ready);
        cx.push(Effect::PodReady(pod));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_lands_on_the_first_probe_tick_after_the_initial_delay() {
        // Admitted at 100 s, started at 131.5 s, initialDelay 30 s, period 10 s: earliest
        // 161.5 s; ticks at 100 + 10k → first ≥ 161.5 is 170 s.
        assert_eq!(
            ready_time(131_500, 100_000, Some((30_000, 10_000))),
            170_000
        );
        // No probe, or no initial delay: Ready when started.
        assert_eq!(ready_time(131_500, 100_000, None), 131_500);
        assert_eq!(ready_time(131_500, 100_000, Some((0, 10_000))), 131_500);
        // Exactly on a tick: 100 + 40 = 140 = 110 + 30.
        assert_eq!(
            ready_time(110_000, 100_000, Some((30_000, 10_000))),
            140_000
        );
    }
}

#[cfg(test)]
mod state_machine {
    //! The start path driven one event at a time through a `Ctx`, without a simulation.
    use super::*;
    use crate::effect::testing::Harness;

    const SCENARIO: &str = r#"Scenario(
        name: "unit", duration: "1h",
        pools: [
            (name: "lin", os: Linux, cpu: "4", memory: "16Gi", preloaded_images: ["app:1"]),
            (name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "4", memory: "16Gi"),
        ],
        layers: [(name: "l1", size: "100MB")],
        images: [(name: "app:1", platforms: [(os: Linux, layers: ["l1"])])],
        workloads: [
            (name: "web", replicas: 1, template: (containers: [(image: "app:1",
                start_delay: "2s", readiness_probe: (initial_delay: "10s", period: "5s"))])),
            (name: "priv", replicas: 1, template: (containers: [(image: "app:1",
                privileged: true)])),
        ],
    )"#;

    #[test]
    fn a_cached_image_starts_after_the_start_delay_and_is_ready_on_the_first_probe_tick() {
        let mut h = Harness::new(SCENARIO);
        let mut k = Kubelet::new(&h.spec);
        let node = h.ready_node(0);
        k.add_node(&mut h.cx(0), node, PoolId(0));
        // Bound and admitted at 100 s. The image is preloaded (IfNotPresent), so the container
        // is created at once and started after its 2 s start delay: a step at 102 s.
        let pod = h.bound_pod(0, node, 100_000);
        k.pod_bound(&mut h.cx(100_000), pod);
        let gen0 = h.cluster.pods[pod.idx()].generation;
        assert_eq!(
            h.take(),
            vec![Effect::At(
                102_000,
                Event::KubeletStep {
                    pod,
                    generation: gen0
                }
            )]
        );
        // At 102 s the container runs. Probes tick every 5 s from admission (100 s); the first
        // tick at or after 102 + 10 s = 112 s is 115 s: PodReady is scheduled for 115 s.
        k.step_event(&mut h.cx(102_000), pod, gen0);
        assert_eq!(h.cluster.pods[pod.idx()].phase, PodPhase::Running);
        assert_eq!(
            h.take(),
            vec![Effect::At(
                115_000,
                Event::PodReady {
                    pod,
                    generation: gen0
                }
            )]
        );
        // The probe succeeds: the pod is Ready and the loop is told (its controller resets).
        k.pod_ready(&mut h.cx(115_000), pod, gen0);
        assert_eq!(h.cluster.pods[pod.idx()].phase, PodPhase::Ready);
        assert_eq!(h.take(), vec![Effect::PodReady(pod)]);
    }

    #[test]
    fn a_privileged_pod_on_a_windows_node_is_not_rejected_and_starts_its_image_pull() {
        // Upstream's kubelet ignores `privileged` on Windows (generateWindowsContainerConfig
        // never reads it): admission passes and the start path goes on to the image. app:1
        // has no Windows platform, so the pull fails with ErrImagePull, not an admission error.
        let mut h = Harness::new(SCENARIO);
        let mut k = Kubelet::new(&h.spec);
        let node = h.ready_node(1);
        k.add_node(&mut h.cx(0), node, PoolId(1));
        let pod = h.bound_pod(1, node, 5_000);
        k.pod_bound(&mut h.cx(5_000), pod);
        let p = &h.cluster.pods[pod.idx()];
        assert_ne!(p.phase, PodPhase::Failed);
        assert_eq!(p.reason, Some(Reason::ErrImagePull));
        assert!(!h.take().contains(&Effect::PodFailed(pod)));
    }

    #[test]
    fn an_image_without_a_platform_for_the_node_fails_the_pull_and_retries_after_10s() {
        let mut h = Harness::new(SCENARIO);
        let mut k = Kubelet::new(&h.spec);
        // The Windows node has no Linux platform for app:1: the pull fails at once with
        // ErrImagePull and is retried after the 10 s pull back-off.
        let node = h.ready_node(1);
        k.add_node(&mut h.cx(0), node, PoolId(1));
        let pod = h.bound_pod(0, node, 0);
        k.pod_bound(&mut h.cx(0), pod);
        let p = &h.cluster.pods[pod.idx()];
        assert_eq!(p.reason, Some(Reason::ErrImagePull));
        let generation = p.generation;
        assert_eq!(
            h.take(),
            vec![Effect::At(10_000, Event::KubeletStep { pod, generation })]
        );
    }
}
