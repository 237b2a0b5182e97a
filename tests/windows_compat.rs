//! The Windows container/host build rule as a table over every build DESIGN §2.2 names.
//!
//! Expected sets are written out by hand from the upstream rule (hcsshim
//! `osversion/platform_compat_windows.go`, see docs/upstream.md §1):
//!   - host build < 20348: only the same build (WS2016 also the same revision);
//!   - host 20348: only 20348;
//!   - hosts 22000 and 25398: 20348 up to the host;
//!   - host 26100: 20348 up to 26100 (the loop looks for an LTSC strictly older than the host,
//!     so WS2025 still runs WS2022 images — DESIGN §2.2 said 26100 only; upstream wins).
//!
//! Hyper-V isolation runs every image build up to the host's.

use hybridsim::model::windows::{IsolationMode, WinVersion, builds, compatible};

fn v(build: u32, rev: u32) -> WinVersion {
    WinVersion {
        major: 10,
        minor: 0,
        build,
        revision: Some(rev),
    }
}

#[test]
fn process_isolation_matrix() {
    let expected: &[(u32, &[u32])] = &[
        (14393, &[14393]),
        (16299, &[16299]),
        (17134, &[17134]),
        (17763, &[17763]),
        (18362, &[18362]),
        (18363, &[18363]),
        (19041, &[19041]),
        (19042, &[19042]),
        (20348, &[20348]),
        (22000, &[20348, 22000]),
        (25398, &[20348, 22000, 25398]),
        (26100, &[20348, 22000, 25398, 26100]),
    ];
    for &(host, runs) in expected {
        for &ctr in builds::ALL.iter() {
            let want = runs.contains(&ctr);
            let got = compatible(IsolationMode::Process, v(host, 100), v(ctr, 100));
            assert_eq!(got, want, "process: host {host}, container {ctr}");
        }
    }
}

#[test]
fn hyperv_isolation_runs_any_build_up_to_the_host() {
    for &host in builds::ALL.iter() {
        for &ctr in builds::ALL.iter() {
            let got = compatible(IsolationMode::HyperV, v(host, 1), v(ctr, 2));
            assert_eq!(got, ctr <= host, "hyper-v: host {host}, container {ctr}");
        }
    }
}

#[test]
fn ws2016_process_isolation_also_needs_the_same_revision() {
    // Same build, different patch revision: refused on 14393 only.
    assert!(!compatible(
        IsolationMode::Process,
        v(14393, 1715),
        v(14393, 1770)
    ));
    assert!(compatible(
        IsolationMode::Process,
        v(14393, 1770),
        v(14393, 1770)
    ));
    assert!(compatible(
        IsolationMode::Process,
        v(17763, 5576),
        v(17763, 1000)
    ));
    // Hyper-V isolation does not care about the revision.
    assert!(compatible(
        IsolationMode::HyperV,
        v(14393, 1715),
        v(14393, 1770)
    ));
}

#[test]
fn a_host_newer_than_the_newest_ltsc_runs_from_that_ltsc_up() {
    // A hypothetical 26200 host: newest LTSC strictly older is 26100 → 26100..=26200.
    assert!(compatible(IsolationMode::Process, v(26200, 1), v(26100, 1)));
    assert!(!compatible(
        IsolationMode::Process,
        v(26200, 1),
        v(20348, 1)
    ));
    // Never a newer image than the host.
    assert!(!compatible(
        IsolationMode::Process,
        v(20348, 1),
        v(26100, 1)
    ));
}

#[test]
fn versions_parse_with_and_without_revision() {
    let w: WinVersion = "10.0.20348.2340".parse().unwrap();
    assert_eq!((w.build, w.revision), (20348, Some(2340)));
    assert_eq!(w.build_label(), "10.0.20348");
    let w: WinVersion = "10.0.17763".parse().unwrap();
    assert_eq!(w.revision, None);
    assert!("ltsc2022".parse::<WinVersion>().is_err());
    assert!("10.0".parse::<WinVersion>().is_err());
}
