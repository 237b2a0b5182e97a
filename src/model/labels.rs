//! Well-known node label keys the model, the scheduler and the scenario format share.
//!
//! Owns: the key strings. Does not own: which values nodes get (`scenario::validate::pools`
//! sets them per pool; the simulation sets the hostname per node).

/// Set by the kubelet on every node to the node's name (k/k
/// `staging/src/k8s.io/api/core/v1/well_known_labels.go` `LabelHostname`). Pool-level static
/// filters cannot see it, because every node of a pool has its own value.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
/// `kubernetes.io/os` (`LabelOSStable`, same file).
pub const OS_LABEL: &str = "kubernetes.io/os";
/// `kubernetes.io/arch` (`LabelArchStable`, same file).
pub const ARCH_LABEL: &str = "kubernetes.io/arch";
/// `node.kubernetes.io/windows-build` (`LabelWindowsBuild`, same file).
pub const WINDOWS_BUILD_LABEL: &str = "node.kubernetes.io/windows-build";
/// `node.kubernetes.io/instance-type` (`LabelInstanceTypeStable`, same file).
pub const INSTANCE_TYPE_LABEL: &str = "node.kubernetes.io/instance-type";
/// `topology.kubernetes.io/zone` (`LabelTopologyZone`, same file).
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// The simulator's own label naming a node's pool.
pub const POOL_LABEL: &str = "hybridsim.io/pool";
/// The taint the node lifecycle controller gives a node with the DiskPressure condition
/// (k/k `staging/src/k8s.io/api/core/v1/well_known_taints.go` `TaintNodeDiskPressure`), with
/// effect NoSchedule (`TaintNodesByCondition`).
pub const DISK_PRESSURE_TAINT: &str = "node.kubernetes.io/disk-pressure";
