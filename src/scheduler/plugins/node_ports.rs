//! NodePorts (k/k `plugins/nodeports/node_ports.go`, `framework/types.go` `HostPortInfo`):
//! Filter rejects a node where a pod already there (bound, terminating, or nominated there
//! with at least this pod's priority) uses one of the pod's host ports. A port is
//! (host IP, protocol, port); `0.0.0.0` conflicts with the same (protocol, port) on any IP,
//! and a specific IP with the same IP or `0.0.0.0`. A pod without host ports passes at once
//! (upstream's PreFilter returns Skip), so scenarios without host ports pay one emptiness
//! check per node.
//!
//! Owns: the conflict rule. Does not own: which pods are on a node (`Cluster::pods_on`) or
//! the host-port defaulting of host-network pods (`scenario::validate`).

use crate::model::HostPort;

pub const NAME: &str = "NodePorts";
/// `ErrReason`.
pub const REASON: &str = "node(s) didn't have free ports for the requested pod ports";
/// `DefaultBindAllHostIP`.
pub const BIND_ALL: &str = "0.0.0.0";

/// `HostPortInfo.CheckConflict` of one wanted port against one used port: same protocol and
/// port, and either address is `0.0.0.0` or both are the same.
pub fn conflict(want: &HostPort, used: &HostPort) -> bool {
    want.port == used.port
        && want.protocol == used.protocol
        && (want.host_ip == BIND_ALL || used.host_ip == BIND_ALL || want.host_ip == used.host_ip)
}

/// `fitsPorts`: whether none of `want` conflicts with any of the ports in `used` (the host
/// ports of each pod on the node).
pub fn fits<'a>(want: &[HostPort], used: impl IntoIterator<Item = &'a [HostPort]>) -> bool {
    if want.is_empty() {
        return true;
    }
    for ports in used {
        for u in ports {
            if want.iter().any(|w| conflict(w, u)) {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Protocol::{self, *};

    fn hp(ip: &str, protocol: Protocol, port: u16) -> HostPort {
        HostPort {
            host_ip: ip.to_string(),
            protocol,
            port,
        }
    }

    /// Cases from k/k `nodeports/node_ports_test.go` `TestNodePorts` and `framework/types_test.go`
    /// `TestHostPortInfo_Check`, each (wanted, used, fits).
    #[test]
    fn a_host_port_conflicts_on_the_same_protocol_and_port_when_an_address_overlaps() {
        // (name, wanted ports, the ports of each pod on the node, fits)
        type Case = (&'static str, Vec<HostPort>, Vec<Vec<HostPort>>, bool);
        let cases: Vec<Case> = vec![
            (
                "a pod without host ports fits any node",
                vec![],
                vec![vec![hp(BIND_ALL, TCP, 8080)]],
                true,
            ),
            (
                "the same ip, protocol and port conflict",
                vec![hp("127.0.0.1", UDP, 8080)],
                vec![vec![hp("127.0.0.1", UDP, 8080)]],
                false,
            ),
            (
                "another protocol does not conflict",
                vec![hp("127.0.0.1", UDP, 8080)],
                vec![vec![hp("127.0.0.1", TCP, 8080)]],
                true,
            ),
            (
                "another ip does not conflict",
                vec![hp("127.0.0.2", UDP, 8080)],
                vec![vec![hp("127.0.0.1", UDP, 8080)]],
                true,
            ),
            (
                "another port does not conflict",
                vec![hp("127.0.0.1", TCP, 8081)],
                vec![vec![hp("127.0.0.1", TCP, 8080)]],
                true,
            ),
            (
                // CheckConflict with ip 0.0.0.0 checks every ip's (protocol, port).
                "0.0.0.0 wanted conflicts with a specific ip in use",
                vec![hp(BIND_ALL, TCP, 8001)],
                vec![vec![hp("127.0.0.1", TCP, 8001)]],
                false,
            ),
            (
                // A specific ip checks itself and 0.0.0.0.
                "a specific ip wanted conflicts with 0.0.0.0 in use",
                vec![hp("10.0.10.10", TCP, 8001)],
                vec![vec![hp(BIND_ALL, TCP, 8001)]],
                false,
            ),
            (
                "0.0.0.0 on another protocol does not conflict",
                vec![hp("10.0.10.10", TCP, 8001)],
                vec![vec![hp(BIND_ALL, UDP, 8001)]],
                true,
            ),
            (
                "any pod on the node counts",
                vec![hp(BIND_ALL, TCP, 80), hp(BIND_ALL, TCP, 443)],
                vec![
                    vec![hp(BIND_ALL, TCP, 8080)],
                    vec![hp("10.0.0.4", TCP, 443)],
                ],
                false,
            ),
        ];
        for (name, want, used, expected) in cases {
            let got = fits(&want, used.iter().map(Vec::as_slice));
            assert_eq!(got, expected, "{name}");
        }
    }
}
