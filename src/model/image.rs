//! Image platform selection: which manifest-list entry a node's runtime picks.
//!
//! containerd on Windows matches `os`/`arch` and keeps only entries whose `os.version` the host
//! can run (containerd `platforms` Windows matcher, which calls hcsshim's compatibility check;
//! the CRI pulls with `platforms.DefaultSpec()`, the host's own platform, in
//! `internal/cri/server/images/image_pull.go`): when no entry is compatible the pull fails with
//! `ErrImagePull` before anything is downloaded. That is the default (`strict`). The
//! Docker-era behaviour, still available, pulls some Windows entry anyway and lets the mismatch
//! surface at container creation as `CreateContainerError`. An image with no entry for the
//! node's OS or architecture fails to pull (`no match for platform in manifest: not found`).

use super::windows::{IsolationMode, compatible};
use super::{ImageSpec, Os, PoolSpec};

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
        let (Some(host), Some(ctr)) = (pool.version, p.version) else {
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
