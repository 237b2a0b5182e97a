//! The outcome of a scheduling attempt in upstream's terms (k/k `pkg/scheduler/framework`,
//! `interface.go`): a `Code`, and the plugins that rejected nodes (`Diagnosis.UnschedulablePlugins`),
//! which the scheduling queue's hints use to decide which cluster events can help a parked pod.
//!
//! Owns: codes, plugin identities and plugin sets. Does not own: the message text (interned in
//! `model::messages`) or the hints themselves (`scheduler::queue`).

/// `framework.Code` values a failed attempt can carry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Code {
    /// Some node rejected the pod for a reason that can change by preemption or freed
    /// resources (NodeResourcesFit).
    Unschedulable,
    /// Every rejection is one preemption cannot resolve (taints, affinity, cordon).
    UnschedulableAndUnresolvable,
    /// Not a filter verdict: the cluster had no nodes at all (`ErrNoNodesAvailable`).
    Error,
}

/// The filter plugins hybridsim runs, in upstream's default order, as bit positions.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Plugin {
    NodeUnschedulable = 0,
    /// DaemonSet pods name their node through required node affinity (`matchFields`); the
    /// rejection is NodeAffinity's, as upstream.
    NodeAffinity = 1,
    TaintToleration = 2,
    NodeResourcesFit = 3,
    InterPodAffinity = 4,
    NodePorts = 5,
}

impl Plugin {
    pub const ALL: [Plugin; 6] = [
        Plugin::NodeUnschedulable,
        Plugin::NodeAffinity,
        Plugin::TaintToleration,
        Plugin::NodePorts,
        Plugin::NodeResourcesFit,
        Plugin::InterPodAffinity,
    ];

    /// The upstream plugin name.
    pub fn name(self) -> &'static str {
        use super::plugins::*;
        match self {
            Plugin::NodeUnschedulable => node_unschedulable::NAME,
            Plugin::NodeAffinity => node_affinity::NAME,
            Plugin::TaintToleration => taint_toleration::NAME,
            Plugin::NodeResourcesFit => node_resources_fit::NAME,
            Plugin::InterPodAffinity => inter_pod_affinity::NAME,
            Plugin::NodePorts => node_ports::NAME,
        }
    }

    /// Whether a rejection by this plugin can be resolved by preemption
    /// (`Unschedulable`) or not (`UnschedulableAndUnresolvable`), as each upstream plugin
    /// returns it. InterPodAffinity's anti-affinity rejections are `Unschedulable`, its
    /// affinity ones not: `Scheduler` corrects the code when only the latter occurred.
    pub fn code(self) -> Code {
        match self {
            Plugin::NodeResourcesFit | Plugin::InterPodAffinity | Plugin::NodePorts => {
                Code::Unschedulable
            }
            _ => Code::UnschedulableAndUnresolvable,
        }
    }
}

/// A set of plugins (bits by `Plugin as u8`); bit 15 marks "no nodes at all".
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginSet(u16);

impl PluginSet {
    const NO_NODES: u16 = 1 << 15;

    pub fn empty() -> Self {
        PluginSet(0)
    }

    /// The marker set of an attempt that found no nodes at all.
    pub fn no_nodes() -> Self {
        PluginSet(Self::NO_NODES)
    }

    pub fn insert(&mut self, p: Plugin) {
        self.0 |= 1 << p as u8;
    }

    pub fn contains(self, p: Plugin) -> bool {
        self.0 & (1 << p as u8) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_no_nodes(self) -> bool {
        self.0 & Self::NO_NODES != 0
    }

    /// The plugins in the set, in upstream order.
    pub fn iter(self) -> impl Iterator<Item = Plugin> {
        Plugin::ALL.into_iter().filter(move |&p| self.contains(p))
    }

    /// The aggregate code of an attempt rejected by these plugins: resolvable if any
    /// rejection is.
    pub fn code(self) -> Code {
        if self.is_no_nodes() {
            Code::Error
        } else if self.iter().any(|p| p.code() == Code::Unschedulable) {
            Code::Unschedulable
        } else {
            Code::UnschedulableAndUnresolvable
        }
    }
}

/// Why a pod could not be scheduled.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    /// The plugins that rejected at least one node.
    pub plugins: PluginSet,
    /// The interned `0/N nodes are available: …` message.
    pub message: u32,
}

impl Status {
    pub fn new(plugins: PluginSet, message: u32) -> Status {
        Status {
            code: plugins.code(),
            plugins,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_by_resources_is_resolvable_and_one_by_taints_alone_is_not() {
        let mut s = PluginSet::empty();
        s.insert(Plugin::TaintToleration);
        assert_eq!(s.code(), Code::UnschedulableAndUnresolvable);
        s.insert(Plugin::NodeResourcesFit);
        assert_eq!(s.code(), Code::Unschedulable);
        assert_eq!(
            s.iter().map(Plugin::name).collect::<Vec<_>>(),
            vec!["TaintToleration", "NodeResourcesFit"]
        );
        assert_eq!(PluginSet::no_nodes().code(), Code::Error);
    }
}
