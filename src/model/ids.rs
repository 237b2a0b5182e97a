//! Integer ids into the arenas of the run. Newtypes so a pod id is never used as a node id.

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u32);
        impl $name {
            #[inline]
            pub fn idx(self) -> usize { self.0 as usize }
            #[inline]
            pub fn from_idx(i: usize) -> Self { $name(i as u32) }
        }
    )*};
}

id!(
    /// A node pool (node group).
    PoolId,
    /// A node, alive or gone; ids are never reused within a run.
    NodeId,
    /// A pod, alive or gone; ids are never reused within a run.
    PodId,
    /// An image reference (a manifest list).
    ImageId,
    /// A content-addressed layer.
    LayerId,
    /// A resolved pod template (after RuntimeClass merge).
    TemplateId,
    /// A workload (Deployment or DaemonSet).
    WorkloadId,
);
