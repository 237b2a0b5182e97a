//! Plain data the simulation runs on: ids, the validated scenario (`Spec`), node and pod
//! arenas, the image/layer graph, and the matching rules that are pure functions of that data.
//!
//! Owns: data and pure predicates. Does not own: IO, time or decisions; those belong to the
//! scheduler, kubelet and controllers.

pub mod cluster;
pub mod disruption;
pub mod ids;
pub mod image;
pub mod labels;
pub mod messages;
pub mod node_list;
pub mod pod_affinity;
pub mod pod_arena;
pub mod quota;
pub mod selector;
pub mod spec;
pub mod taint_overlay;
pub mod topology;
pub mod trace;
pub mod windows;

pub use ids::*;
pub use spec::*;

use serde::{Deserialize, Serialize};

/// Operating system of a node pool or an image platform entry.
#[derive(Copy, Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Os {
    Linux,
    Windows,
}

impl Os {
    /// The `kubernetes.io/os` label value.
    pub fn label(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }
}
