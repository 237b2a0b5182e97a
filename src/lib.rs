//! hybridsim: a discrete-event simulator of Kubernetes clusters that mix Linux and Windows
//! nodes. See ARCHITECTURE.md for the code map.

pub mod autoscaler;
pub mod bench;
pub mod cli;
pub mod controllers;
pub mod effect;
pub mod engine;
pub mod experiment;
pub mod import;
pub mod kubelet;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod simulation;
pub mod trace;
