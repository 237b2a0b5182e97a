//! Well-known label keys (k/k `staging/src/k8s.io/api/core/v1/well_known_labels.go`) that more
//! than one module needs: the scenario sets them on pools, the scheduler matches them.

/// Set by the kubelet to the node's name; unique per node.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
