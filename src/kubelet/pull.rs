//! Image pulls on one node: the kubelet's pull queue (serialized by default), containerd's
//! per-pull layer downloads (3 at a time) sharing the node's bandwidth, in-order extraction
//! sharing the node's extraction rate, the layer cache, and de-duplication of a layer that two
//! pulls need (the second waits for the first's download).
//!
//! Owns: per-node layer states and pull progress. Does not own: whether a pull is needed
//! (image presence and pull policy, in `kubelet`), or what a failed pull does to the pod.

use super::fluid::Fluid;
use crate::model::image::select_platform;
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

/// One node's pull machinery.
#[derive(Clone, Debug)]
pub struct NodePuller {
    pub layers: Vec<LayerState>,
    queue: VecDeque<PullRequest>,
    active: Vec<ActivePull>,
    net: Fluid,
    disk: Fluid,
    parallel: u32,
    /// Generation of the node's pending I/O completion event.
    pub io_gen: u32,
    io_at: Option<u64>,
}

/// Everything a puller needs from the scenario, passed in to keep pullers small.
pub struct PullEnv<'a> {
    pub spec: &'a Spec,
    pub pool: PoolId,
    pub node: NodeId,
    pub now: u64,
    pub strict_platform: bool,
}

impl NodePuller {
    pub fn new(spec: &Spec, pool: PoolId) -> Self {
        let p = spec.pool(pool);
        NodePuller {
            layers: vec![LayerState::Absent; spec.layers.len()],
            queue: VecDeque::new(),
            active: Vec::new(),
            net: Fluid::new(p.pull_bandwidth),
            disk: Fluid::new(p.extraction_rate),
            parallel: p.max_parallel_pulls.max(1),
            io_gen: 0,
            io_at: None,
        }
    }

    /// Marks every layer of `image`'s platform for this pool present (a preloaded image).
    pub fn preload(&mut self, spec: &Spec, pool: PoolId, image: ImageId) -> bool {
        let img = &spec.images[image.idx()];
        let Some(pi) = select_platform(img, spec.pool(pool), IsolationMode::Process, false) else {
            return false;
        };
        for &l in &img.platforms[pi].layers {
            self.layers[l.idx()] = LayerState::Present;
        }
        true
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
                match select_platform(img, spec.pool(env.pool), req.isolation, env.strict_platform)
                {
                    None => done.push(PullDone {
                        node: env.node,
                        request: req,
                        result: Err(PullError::NoPlatform),
                    }),
                    Some(pi) => {
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
                let layers = &spec.images[a.req.image.idx()].platforms[a.platform as usize].layers;
                for &l in layers.iter() {
                    if a.downloading >= max_dl {
                        break;
                    }
                    if self.layers[l.idx()] == LayerState::Absent {
                        self.layers[l.idx()] = LayerState::Downloading(a.id);
                        self.net.add(env.now, l.0, spec.layers[l.idx()].size);
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
            if let LayerState::Downloading(owner) = self.layers[l as usize]
                && let Some(a) = self.active.iter_mut().find(|a| a.id == owner)
            {
                a.downloading -= 1;
            }
            self.layers[l as usize] = LayerState::Downloaded;
        }
        scratch.clear();
        self.disk.drain_done(now, scratch);
        for &l in scratch.iter() {
            self.layers[l as usize] = LayerState::Present;
        }
        self.io_at = None;
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

    /// Cancels pull `id` if it is still running (timeout): its own downloads stop and their
    /// layers go back to absent; finished layers stay in the cache.
    pub fn cancel(&mut self, now: u64, id: u32) -> Option<PullRequest> {
        let pos = self.active.iter().position(|a| a.id == id)?;
        let a = self.active.remove(pos);
        for (l, st) in self.layers.iter_mut().enumerate() {
            if *st == LayerState::Downloading(id) {
                self.net.remove(now, l as u32);
                *st = LayerState::Absent;
            }
        }
        Some(a.req)
    }
}
