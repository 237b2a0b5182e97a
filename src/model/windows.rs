//! Windows versions and the container/host compatibility rule applied at container creation.
//!
//! Owns: parsing `10.0.BUILD.REVISION`, the process-isolation rule of hcsshim
//! (`osversion/platform_compat_windows.go`, used by containerd's Windows platform matcher), the
//! Windows Server 2016 revision rule, and the Hyper-V rule (any image build up to the host's,
//! MicrosoftDocs/Virtualization-Documentation `deploy-containers/version-compatibility.md`).
//! Does not own: when the check runs (the kubelet) or image platform selection (`image`).

use std::fmt;
use std::str::FromStr;

/// `MAJOR.MINOR.BUILD.REVISION`; the revision is optional on image platforms.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WinVersion {
    pub major: u16,
    pub minor: u16,
    pub build: u32,
    pub revision: Option<u32>,
}

impl FromStr for WinVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let expected = || {
            format!(
                "expected a Windows version `10.0.BUILD.REVISION` such as \"10.0.20348.2340\", \
                 found \"{s}\""
            )
        };
        let parts: Vec<&str> = s.trim().split('.').collect();
        if parts.len() < 3 || parts.len() > 4 {
            return Err(expected());
        }
        let num = |p: &str| p.parse::<u32>().map_err(|_| expected());
        let major = num(parts[0])?;
        let minor = num(parts[1])?;
        Ok(WinVersion {
            major: u16::try_from(major).map_err(|_| expected())?,
            minor: u16::try_from(minor).map_err(|_| expected())?,
            build: num(parts[2])?,
            revision: parts.get(3).map(|p| num(p)).transpose()?,
        })
    }
}

impl fmt::Display for WinVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)?;
        if let Some(r) = self.revision {
            write!(f, ".{r}")?;
        }
        Ok(())
    }
}

impl WinVersion {
    /// The `node.kubernetes.io/windows-build` label value: `MAJOR.MINOR.BUILD`.
    pub fn build_label(&self) -> String {
        format!("{}.{}.{}", self.major, self.minor, self.build)
    }
}

/// Well-known builds (hcsshim `osversion/windowsbuilds.go`).
pub mod builds {
    pub const RS1_WS2016: u32 = 14393;
    pub const RS3_1709: u32 = 16299;
    pub const RS4_1803: u32 = 17134;
    pub const RS5_WS2019: u32 = 17763;
    pub const V19H1_1903: u32 = 18362;
    pub const V19H2_1909: u32 = 18363;
    pub const V20H1_2004: u32 = 19041;
    pub const V20H2: u32 = 19042;
    pub const LTSC2022: u32 = 20348;
    pub const WIN11_21H2: u32 = 22000;
    pub const WS23H2: u32 = 25398;
    pub const LTSC2025: u32 = 26100;

    /// Every build above, in order.
    pub const ALL: [u32; 12] = [
        RS1_WS2016, RS3_1709, RS4_1803, RS5_WS2019, V19H1_1903, V19H2_1909, V20H1_2004, V20H2,
        LTSC2022, WIN11_21H2, WS23H2, LTSC2025,
    ];

    /// The LTSC releases that anchor the stable-ABI window (hcsshim `compatLTSCReleases`).
    pub const COMPAT_LTSC: [u32; 2] = [LTSC2022, LTSC2025];
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IsolationMode {
    Process,
    HyperV,
}

/// The error text the runtime reports when the image build cannot run on the host.
pub const OS_MISMATCH_MESSAGE: &str = "The operating system of the container does not match \
the operating system of the host. (0xc0370101)";

/// Whether a process-isolated container built for `ctr` runs on `host`.
///
/// hcsshim `CheckHostAndContainerCompat`: major.minor must match; a host older than WS2022
/// needs the exact build; from WS2022 on, the container build must lie between the newest LTSC
/// release strictly older than the host (or WS2022 itself when the host is WS2022) and the host
/// build, inclusive. On top, WS2016 (14393) process isolation also needs the same revision
/// (Microsoft's compatibility page: "Windows Server 2016 ... the revision must match").
pub fn process_compatible(host: WinVersion, ctr: WinVersion) -> bool {
    if host.major != ctr.major || host.minor != ctr.minor {
        return false;
    }
    if host.build < builds::LTSC2022 {
        if host.build != ctr.build {
            return false;
        }
        if host.build == builds::RS1_WS2016 {
            // An image without a revision cannot be checked; containerd lets it through.
            return match (host.revision, ctr.revision) {
                (Some(h), Some(c)) => h == c,
                _ => true,
            };
        }
        return true;
    }
    let mut lowest = builds::LTSC2022;
    for &ltsc in builds::COMPAT_LTSC.iter().rev() {
        if host.build > ltsc {
            lowest = ltsc;
            break;
        }
    }
    lowest <= ctr.build && ctr.build <= host.build
}

/// Whether a Hyper-V isolated container built for `ctr` runs on `host`: any build up to the
/// host's (a utility VM runs the container's own kernel; newer than the host never works).
pub fn hyperv_compatible(host: WinVersion, ctr: WinVersion) -> bool {
    host.major == ctr.major && host.minor == ctr.minor && ctr.build <= host.build
}

pub fn compatible(mode: IsolationMode, host: WinVersion, ctr: WinVersion) -> bool {
    match mode {
        IsolationMode::Process => process_compatible(host, ctr),
        IsolationMode::HyperV => hyperv_compatible(host, ctr),
    }
}
