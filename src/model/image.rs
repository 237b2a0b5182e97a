//! Image platform selection (which manifest-list entry a node's runtime picks) and the layer
//! graph (which layers each entry is made of, which entries share a layer).
//!
//! Owns: the selection rule and the graph's derived indexes. Does not own: per-node layer
//! states, disk use or garbage collection (the kubelet's puller, which reads the graph).
//!
//! containerd on Windows matches `os`/`arch` and keeps only entries whose `os.version` the host
//! can run (containerd `platforms` Windows matcher, which calls hcsshim's compatibility check;
//! the CRI pulls with `platforms.DefaultSpec()`, the host's own platform, in
//! `internal/cri/server/images/image_pull.go`): when no entry is compatible the pull fails with
//! `ErrImagePull` before anything is downloaded. That is the default (`strict`). The
//! Docker-era behaviour, still available, pulls some Windows entry anyway and lets the mismatch
//! surface at container creation as `CreateContainerError`. An image with no entry for the
//! node's OS or architecture fails to pull (`no match for platform in manifest: not found`).

use super::windows::{IsolationMode, WinVersion, compatible};
use super::{ImageId, ImageSpec, LayerId, LayerSpec, Os, PoolSpec};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// The error text of a pull with no platform entry for the node.
pub const NO_PLATFORM_MESSAGE: &str = "no match for platform in manifest: not found";

/// Index of the platform entry `pool`'s runtime pulls, or None when nothing matches.
///
/// With `strict`, a Windows entry the host cannot run is never chosen (containerd ≥ 1.7 filters
/// manifest lists by host compatibility, so the pull fails with ErrImagePull); without it, the
/// runtime falls back to any Windows entry and the mismatch surfaces at container creation
/// (Docker-era behaviour, and containerd with single-manifest images).
pub fn select_platform(
    image: &ImageSpec,
    pool: &PoolSpec,
    mode: IsolationMode,
    strict: bool,
) -> Option<usize> {
    select_platform_on(image, pool, pool.version, mode, strict)
}

/// `select_platform` for a node of `pool` whose own Windows version is `host` (a node keeps
/// its version when its pool is upgraded, and a surge node has the new one).
pub fn select_platform_on(
    image: &ImageSpec,
    pool: &PoolSpec,
    host: Option<WinVersion>,
    mode: IsolationMode,
    strict: bool,
) -> Option<usize> {
    let mut fallback = None;
    let mut best: Option<(usize, u32)> = None;
    for (i, p) in image.platforms.iter().enumerate() {
        if p.os != pool.os || p.arch != pool.arch {
            continue;
        }
        if pool.os == Os::Linux {
            return Some(i);
        }
        fallback.get_or_insert(i);
        let (Some(host), Some(ctr)) = (host, p.version) else {
            // An entry without os.version (e.g. HostProcess images) matches any host.
            if p.version.is_none() {
                best.get_or_insert((i, 0));
            }
            continue;
        };
        if compatible(mode, host, ctr) {
            // Prefer the newest compatible build, as containerd's ordering does.
            if best.is_none_or(|(_, b)| ctr.build > b) {
                best = Some((i, ctr.build));
            }
        }
    }
    match best {
        Some((i, _)) => Some(i),
        None if strict => None,
        None => fallback,
    }
}

/// Images and their layers as a graph: each platform entry of an image points at its layers in
/// order (edge weight = position from the base), and each layer points at its parent (the layer
/// below it in some entry). Built once per run; the hot paths read the flat arrays derived from
/// it, never the graph itself, so a pull or a GC pass allocates nothing.
///
/// A layer is identified by its name, as containerd's content store identifies a blob by its
/// digest: two entries that list the same layer share one download and one copy on disk.
/// (containerd's snapshots are keyed by the chain of parents, so a layer shared under two
/// different parents would be unpacked twice; `parents` exposes that case, and scenarios
/// describe shared bases, where the chains agree.)
pub struct LayerGraph {
    graph: DiGraph<Vertex, u16>,
    /// First entry index of each image (`entry_start[image] + platform`), plus the total.
    entry_start: Vec<u32>,
    /// Per layer, the entries that use it: `users[user_start[l]..user_start[l + 1]]`.
    user_start: Vec<u32>,
    users: Vec<u32>,
    /// Per entry, its layers in order, from the graph's edges: `entry_layers[span]`.
    layer_start: Vec<u32>,
    entry_layers: Vec<LayerId>,
    /// Per entry, what its layers occupy on disk when all are present (see `disk_bytes`).
    entry_disk: Vec<u64>,
    layer_disk: Vec<u64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Vertex {
    Entry { image: ImageId, platform: u16 },
    Layer(LayerId),
}

impl LayerGraph {
    pub fn new(images: &[ImageSpec], layers: &[LayerSpec]) -> Self {
        let mut graph = DiGraph::new();
        let layer_vertex: Vec<NodeIndex> = (0..layers.len())
            .map(|l| graph.add_node(Vertex::Layer(LayerId(l as u32))))
            .collect();
        let mut entry_start = Vec::with_capacity(images.len() + 1);
        let mut entry_vertex = Vec::new();
        for (i, img) in images.iter().enumerate() {
            entry_start.push(entry_vertex.len() as u32);
            for (p, plat) in img.platforms.iter().enumerate() {
                let v = graph.add_node(Vertex::Entry {
                    image: ImageId(i as u32),
                    platform: p as u16,
                });
                entry_vertex.push(v);
                for (pos, &l) in plat.layers.iter().enumerate() {
                    graph.add_edge(v, layer_vertex[l.idx()], pos as u16);
                    if pos > 0 {
                        let parent = layer_vertex[plat.layers[pos - 1].idx()];
                        graph.update_edge(layer_vertex[l.idx()], parent, 0);
                    }
                }
            }
        }
        entry_start.push(entry_vertex.len() as u32);
        // A layer counts its compressed blob (kept in the content store: containerd's
        // `discard_unpacked_layers` is false by default) and its unpacked snapshot.
        let layer_disk: Vec<u64> = layers.iter().map(|l| l.size + l.unpacked).collect();
        let mut layer_start = Vec::with_capacity(entry_vertex.len() + 1);
        let mut entry_layers = Vec::new();
        let mut entry_disk = Vec::with_capacity(entry_vertex.len());
        let mut ordered: Vec<(u16, LayerId)> = Vec::new();
        for &v in &entry_vertex {
            layer_start.push(entry_layers.len() as u32);
            ordered.clear();
            for e in graph.edges_directed(v, Direction::Outgoing) {
                if let Vertex::Layer(l) = graph[e.target()] {
                    ordered.push((*e.weight(), l));
                }
            }
            ordered.sort_unstable();
            let mut disk = 0u64;
            let seen_from = entry_layers.len();
            for &(_, l) in &ordered {
                // A layer listed twice in one entry is stored once.
                if !entry_layers[seen_from..].contains(&l) {
                    disk = disk.saturating_add(layer_disk[l.idx()]);
                }
                entry_layers.push(l);
            }
            entry_disk.push(disk);
        }
        layer_start.push(entry_layers.len() as u32);
        let mut user_start = Vec::with_capacity(layers.len() + 1);
        let mut users = Vec::new();
        for &lv in &layer_vertex {
            user_start.push(users.len() as u32);
            let from = users.len();
            for n in graph.neighbors_directed(lv, Direction::Incoming) {
                if let Vertex::Entry { image, platform } = graph[n] {
                    users.push(entry_start[image.idx()] + platform as u32);
                }
            }
            users[from..].sort_unstable();
            let mut k = from;
            for j in from..users.len() {
                if k == from || users[k - 1] != users[j] {
                    users[k] = users[j];
                    k += 1;
                }
            }
            users.truncate(k);
        }
        user_start.push(users.len() as u32);
        LayerGraph {
            graph,
            entry_start,
            user_start,
            users,
            layer_start,
            entry_layers,
            entry_disk,
            layer_disk,
        }
    }

    /// The flat index of `image`'s platform entry `platform`.
    #[inline]
    pub fn entry(&self, image: ImageId, platform: u16) -> u32 {
        self.entry_start[image.idx()] + platform as u32
    }

    pub fn entries(&self) -> usize {
        self.entry_disk.len()
    }

    /// The entry's layers from the base up.
    #[inline]
    pub fn layers(&self, entry: u32) -> &[LayerId] {
        let e = entry as usize;
        &self.entry_layers[self.layer_start[e] as usize..self.layer_start[e + 1] as usize]
    }

    /// The entries (of any image) that list `layer`.
    #[inline]
    pub fn users(&self, layer: LayerId) -> &[u32] {
        let l = layer.idx();
        &self.users[self.user_start[l] as usize..self.user_start[l + 1] as usize]
    }

    /// Whether more than one entry lists the layer (a shared base).
    pub fn shared(&self, layer: LayerId) -> bool {
        self.users(layer).len() > 1
    }

    /// The layers directly below `layer` in some entry, in ascending id order.
    pub fn parents(&self, layer: LayerId) -> Vec<LayerId> {
        let v = NodeIndex::new(layer.idx());
        let mut out: Vec<LayerId> = self
            .graph
            .neighbors_directed(v, Direction::Outgoing)
            .filter_map(|n| match self.graph[n] {
                Vertex::Layer(l) => Some(l),
                Vertex::Entry { .. } => None,
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// Bytes one layer occupies on disk: compressed blob + unpacked snapshot.
    #[inline]
    pub fn layer_disk(&self, layer: LayerId) -> u64 {
        self.layer_disk[layer.idx()]
    }

    /// Bytes the entry occupies on a node that has none of its layers.
    pub fn disk_bytes(&self, entry: u32) -> u64 {
        self.entry_disk[entry as usize]
    }
}

#[cfg(test)]
mod graph_tests {
    use super::*;
    use crate::model::PullPolicy;

    const GB: u64 = 1_000_000_000;

    fn layer(name: &str, size: u64, unpacked: u64) -> LayerSpec {
        LayerSpec {
            name: name.into(),
            size,
            unpacked,
        }
    }

    fn image(name: &str, layers: &[u32]) -> ImageSpec {
        ImageSpec {
            name: name.into(),
            platforms: vec![crate::model::PlatformSpec {
                os: Os::Windows,
                version: None,
                arch: "amd64".into(),
                layers: layers.iter().map(|&l| LayerId(l)).collect(),
                size: 0,
            }],
            default_policy: PullPolicy::IfNotPresent,
            registry: None,
        }
    }

    /// base (1 GB compressed, 2 GB unpacked), update (0.5/1), app1 (0.1/0.2), app2 (0.2/0.3);
    /// a = base+update+app1, b = base+update+app2, c = base alone.
    fn graph() -> LayerGraph {
        let layers = [
            layer("base", GB, 2 * GB),
            layer("update", GB / 2, GB),
            layer("app1", GB / 10, GB / 5),
            layer("app2", GB / 5, 3 * GB / 10),
        ];
        let images = [
            image("a", &[0, 1, 2]),
            image("b", &[0, 1, 3]),
            image("c", &[0]),
        ];
        LayerGraph::new(&images, &layers)
    }

    #[test]
    fn an_entry_lists_its_layers_from_the_base_up() {
        let g = graph();
        assert_eq!(g.entries(), 3);
        assert_eq!(
            g.layers(g.entry(ImageId(1), 0)),
            &[LayerId(0), LayerId(1), LayerId(3)]
        );
        assert_eq!(g.layers(g.entry(ImageId(2), 0)), &[LayerId(0)]);
    }

    #[test]
    fn a_shared_base_is_used_by_every_image_built_on_it_and_an_app_layer_by_one() {
        let g = graph();
        // Entries are numbered in image order: a = 0, b = 1, c = 2.
        assert_eq!(g.users(LayerId(0)), &[0, 1, 2]);
        assert_eq!(g.users(LayerId(1)), &[0, 1]);
        assert_eq!(g.users(LayerId(2)), &[0]);
        assert!(g.shared(LayerId(0)) && g.shared(LayerId(1)));
        assert!(!g.shared(LayerId(2)) && !g.shared(LayerId(3)));
    }

    #[test]
    fn a_layers_parent_is_the_layer_below_it_in_its_entries() {
        let g = graph();
        assert_eq!(g.parents(LayerId(2)), vec![LayerId(1)]);
        assert_eq!(g.parents(LayerId(3)), vec![LayerId(1)]);
        // update sits on base in both a and b: one parent edge, not two.
        assert_eq!(g.parents(LayerId(1)), vec![LayerId(0)]);
        assert_eq!(g.parents(LayerId(0)), Vec::<LayerId>::new());
    }

    #[test]
    fn an_entry_on_disk_is_its_blobs_plus_its_snapshots() {
        let g = graph();
        // a: (1 + 2) + (0.5 + 1) + (0.1 + 0.2) = 4.8 GB.
        assert_eq!(g.disk_bytes(g.entry(ImageId(0), 0)), 4_800_000_000);
        // c: 1 + 2 = 3 GB.
        assert_eq!(g.disk_bytes(g.entry(ImageId(2), 0)), 3 * GB);
        assert_eq!(g.layer_disk(LayerId(3)), 500_000_000);
    }
}
