//! Autoscalers: the cluster autoscaler (node groups grow for unschedulable pods and shrink when
//! under-used) and the HorizontalPodAutoscaler (replicas follow a load curve).
//!
//! Owns: the decisions (how many nodes of which pool, which node to remove, how many replicas)
//! and their bookkeeping (back-off, unneeded timers, stabilisation windows). Does not own:
//! carrying them out; the simulation creates and deletes nodes and the controllers create and
//! delete pods.

pub mod binpacking;
pub mod cluster_autoscaler;
pub mod expander;
pub mod hpa;
pub mod provisioning;
