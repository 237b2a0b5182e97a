//! The built-in image catalog: Microsoft's Windows base images and the images built on them,
//! with their platform entries and layer sizes, plus the tag conventions that reveal a Windows
//! image's build from its name.
//!
//! Owns: image references (`docker.io/library/…` normalisation, so `nginx:1.27` in a pod
//! matches `docker.io/library/nginx:1.27` in a node's `status.images`), the catalog table, and
//! reading builds out of tags (`ltsc2022` → 10.0.20348, `nanoserver-1809` → 10.0.17763).
//! Does not own: the order in which the user's catalog, this catalog, node caches and the
//! default are consulted, or the assumptions printed about the result (`images`).
//!
//! Sizes: DESIGN §2.3 gives the download sizes it cites (MS Tech Community "Reducing the size
//! of Windows Server Container Images"; microsoft/Windows-Containers #321, #475): Server Core
//! ltsc2019 ≈ 1.5 GB base + 0.4–0.8 GB monthly update, Server Core ltsc2022 ≈ 1.25–1.33 GB +
//! 0.3–0.9 GB (≈ 3.1–3.9 GB on disk), Server ltsc2022 ≈ 3.1 GB + 0.85 GB, Nano Server ≈ 0.1 GB
//! download and ≈ 0.3 GB on disk. Every other number here is an estimate and its note says so;
//! the import repeats the note for each image it takes from this table.

use std::fmt;

const MB: u64 = 1_000_000;
const GB: u64 = 1_000_000_000;

/// A parsed image reference, e.g. `mcr.microsoft.com/windows/servercore:ltsc2022`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ref {
    /// Registry host, `docker.io` when the reference names none.
    pub domain: String,
    /// Repository path; Docker Hub official images get `library/`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Ref {
    /// Parses a reference the way the container runtime normalises it (distribution
    /// `reference.ParseNormalizedNamed`): the first component is a registry only if it has a
    /// `.` or `:` or is `localhost`.
    pub fn parse(s: &str) -> Ref {
        let s = s.trim();
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        let (domain, path) = match name.split_once('/') {
            Some((first, p)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_ascii_lowercase(), p.to_string())
            }
            _ => ("docker.io".to_string(), name.to_string()),
        };
        let domain = if domain == "index.docker.io" {
            "docker.io".to_string()
        } else {
            domain
        };
        let path = if domain == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        Ref {
            domain,
            path,
            tag,
            digest,
        }
    }

    /// `domain/path`, without tag or digest.
    pub fn repo(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The fully qualified reference; a reference with neither tag nor digest means `:latest`.
    pub fn canonical(&self) -> String {
        let mut s = self.repo();
        match (&self.tag, &self.digest) {
            (Some(t), _) => {
                s.push(':');
                s.push_str(t);
            }
            (None, None) => s.push_str(":latest"),
            (None, Some(_)) => {}
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// One layer of a catalog image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogLayer {
    pub name: String,
    /// Compressed (download) size in bytes.
    pub size: u64,
    /// Size on disk after extraction.
    pub unpacked: u64,
}

/// The layers an image is made of, base first.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    Nano,
    ServerCoreBase,
    ServerCoreUpdate,
    ServerBase,
    ServerUpdate,
    WindowsBase,
    WindowsUpdate,
    Iis,
    NetfxRuntime,
    NetfxAspnet,
    NetfxSdk,
    SampleAspnet,
    SampleDotnet,
}

/// Windows builds named in tags (hcsshim `osversion/windowsbuilds.go`; Microsoft's tag names
/// on mcr.microsoft.com). The SAC numbers (`1809`, `2004`, …) are also ordinary version
/// numbers, so they count only on Microsoft's repositories or after `windowsservercore-` /
/// `nanoserver-`.
const TAG_BUILDS: [(&str, u32, bool); 10] = [
    ("ltsc2016", 14393, true),
    ("1607", 14393, false),
    ("ltsc2019", 17763, true),
    ("1809", 17763, false),
    ("1903", 18362, false),
    ("1909", 18363, false),
    ("2004", 19041, false),
    ("20h2", 19042, false),
    ("ltsc2022", 20348, true),
    ("ltsc2025", 26100, true),
];

/// The tag Microsoft uses for a build, for layer names.
pub fn build_tag(build: u32) -> String {
    match build {
        14393 => "ltsc2016".into(),
        17763 => "ltsc2019".into(),
        18362 => "1903".into(),
        18363 => "1909".into(),
        19041 => "2004".into(),
        19042 => "20h2".into(),
        20348 => "ltsc2022".into(),
        26100 => "ltsc2025".into(),
        b => b.to_string(),
    }
}

/// The builds a multi-platform tag (`4.8`, `aspnetapp`, `windowsservercore`) is assumed to
/// carry: the LTSC releases Microsoft publishes its current images for.
pub const CURRENT_LTSC: [u32; 3] = [17763, 20348, 26100];

/// `10.0.BUILD` as an image platform's `os.version`.
pub fn os_version(build: u32) -> String {
    format!("10.0.{build}")
}

/// A layer of the catalog with its size; see the module doc for the sources.
pub fn layer(f: Family, build: u32) -> CatalogLayer {
    let t = build_tag(build);
    // Server Core ltsc2022: 1.3 GB + 0.6 GB download (DESIGN §2.3); on disk the upper end of
    // the measured 3.1–3.9 GB, split 3.0 GB + 0.9 GB. Older builds have the 1.5 GB base of
    // ltsc2019; its on-disk size is an estimate scaled from ltsc2022 by download size
    // (2.1 / 1.9 × 3.9 GB ≈ 4.3 GB = 3.4 GB + 0.9 GB). ltsc2025 is assumed to be like ltsc2022.
    let old = build < 20348;
    let (name, size, unpacked) = match f {
        Family::Nano => (format!("nanoserver-{t}"), 100 * MB, 300 * MB),
        Family::ServerCoreBase if old => (format!("servercore-{t}-base"), 1500 * MB, 3400 * MB),
        Family::ServerCoreBase => (format!("servercore-{t}-base"), 1300 * MB, 3 * GB),
        Family::ServerCoreUpdate => (format!("servercore-{t}-update"), 600 * MB, 900 * MB),
        // Server ltsc2022: 3.1 GB + 0.85 GB download (DESIGN §2.3); on disk estimated with the
        // Server Core ratios (3.0 / 1.3 for the base, 0.9 / 0.6 for the update).
        Family::ServerBase => (format!("server-{t}-base"), 3100 * MB, 7150 * MB),
        Family::ServerUpdate => (format!("server-{t}-update"), 850 * MB, 1275 * MB),
        // The full `windows` image (1809 and later): no published size; assumed like Server.
        Family::WindowsBase => (format!("windows-{t}-base"), 3100 * MB, 7150 * MB),
        Family::WindowsUpdate => (format!("windows-{t}-update"), 850 * MB, 1275 * MB),
        // Estimates, the same as scenarios/quickstart.ron uses.
        Family::Iis => (format!("iis-{t}"), 150 * MB, 400 * MB),
        Family::NetfxRuntime => (format!("netfx48-runtime-{t}"), 400 * MB, 1200 * MB),
        Family::NetfxAspnet => (format!("netfx48-aspnet-{t}"), 150 * MB, 400 * MB),
        Family::NetfxSdk => (format!("netfx48-sdk-{t}"), 1500 * MB, 4500 * MB),
        Family::SampleAspnet => (format!("samples-aspnetapp-{t}"), 30 * MB, 80 * MB),
        Family::SampleDotnet => (format!("samples-dotnetapp-{t}"), 10 * MB, 30 * MB),
    };
    CatalogLayer {
        name,
        size,
        unpacked,
    }
}

const CORE: [Family; 2] = [Family::ServerCoreBase, Family::ServerCoreUpdate];

/// One repository of the catalog.
pub struct Repo {
    pub repo: &'static str,
    pub stack: &'static [Family],
    /// Builds of a tag that names none (a multi-platform manifest list).
    pub multi: &'static [u32],
    pub note: &'static str,
}

const MEASURED_CORE: &str = "sizes from DESIGN §2.3 (Server Core ltsc2019 1.5 GB + 0.6 GB, \
ltsc2022 1.3 GB + 0.6 GB download, ≈ 3.9 GB on disk; ltsc2025 assumed like ltsc2022)";

pub const REPOS: [Repo; 10] = [
    Repo {
        repo: "mcr.microsoft.com/windows/nanoserver",
        stack: &[Family::Nano],
        multi: &CURRENT_LTSC,
        note: "sizes from DESIGN §2.3 (Nano Server ≈ 0.1 GB download, ≈ 0.3 GB on disk)",
    },
    Repo {
        repo: "mcr.microsoft.com/windows/servercore",
        stack: &CORE,
        multi: &CURRENT_LTSC,
        note: MEASURED_CORE,
    },
    Repo {
        repo: "mcr.microsoft.com/windows/server",
        stack: &[Family::ServerBase, Family::ServerUpdate],
        multi: &[20348, 26100],
        note: "download sizes from DESIGN §2.3 (Server ltsc2022 3.1 GB + 0.85 GB); on-disk \
               sizes estimated with Server Core's ratios",
    },
    Repo {
        repo: "mcr.microsoft.com/windows",
        stack: &[Family::WindowsBase, Family::WindowsUpdate],
        multi: &[17763],
        note: "no published size; estimated like the Server image (3.1 GB + 0.85 GB)",
    },
    Repo {
        repo: "mcr.microsoft.com/windows/servercore/iis",
        stack: &[
            Family::ServerCoreBase,
            Family::ServerCoreUpdate,
            Family::Iis,
        ],
        multi: &CURRENT_LTSC,
        note: "Server Core layers from DESIGN §2.3; the IIS layer (150 MB, 400 MB on disk) is \
               an estimate",
    },
    Repo {
        repo: "mcr.microsoft.com/dotnet/framework/runtime",
        stack: &[
            Family::ServerCoreBase,
            Family::ServerCoreUpdate,
            Family::NetfxRuntime,
        ],
        multi: &CURRENT_LTSC,
        note: "Server Core layers from DESIGN §2.3; the .NET Framework layer (400 MB, 1.2 GB \
               on disk) is an estimate",
    },
    Repo {
        repo: "mcr.microsoft.com/dotnet/framework/aspnet",
        stack: &[
            Family::ServerCoreBase,
            Family::ServerCoreUpdate,
            Family::Iis,
            Family::NetfxRuntime,
            Family::NetfxAspnet,
        ],
        multi: &CURRENT_LTSC,
        note: "Server Core layers from DESIGN §2.3; the IIS, .NET Framework and ASP.NET layers \
               (150 MB + 400 MB + 150 MB) are estimates",
    },
    Repo {
        repo: "mcr.microsoft.com/dotnet/framework/sdk",
        stack: &[
            Family::ServerCoreBase,
            Family::ServerCoreUpdate,
            Family::NetfxRuntime,
            Family::NetfxSdk,
        ],
        multi: &CURRENT_LTSC,
        note: "Server Core layers from DESIGN §2.3; the .NET Framework and SDK layers (400 MB + \
               1.5 GB) are estimates",
    },
    Repo {
        repo: "mcr.microsoft.com/dotnet/framework/samples",
        // Replaced per tag: `dotnetapp*` is a console app on the runtime image, everything
        // else (`aspnetapp*`) a web app on the ASP.NET image.
        stack: &[],
        multi: &CURRENT_LTSC,
        note: "Server Core layers from DESIGN §2.3; the .NET Framework, IIS, ASP.NET and sample \
               layers are estimates",
    },
    Repo {
        // HostProcess containers (CNI, kube-proxy, CSI proxies) build on this; its manifest
        // has no os.version, so it runs on every Windows build.
        repo: "mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image",
        stack: &[],
        multi: &[],
        note: "the HostProcess base image: no os.version (runs on every build), one layer of \
               about 10 kB (estimate)",
    },
];

/// A catalog or convention answer: one platform per Windows build (`None` = no os.version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub platforms: Vec<(Option<u32>, Vec<CatalogLayer>)>,
    /// Where the answer comes from and which of it is estimated.
    pub note: String,
}

fn tokens(tag: &str) -> Vec<String> {
    tag.to_ascii_lowercase()
        .split(['-', '_'])
        .map(str::to_string)
        .collect()
}

/// The Windows build a tag names, if any. `bare_sac` allows SAC numbers on their own.
pub fn tag_build(tag: &str, bare_sac: bool) -> Option<u32> {
    let toks = tokens(tag);
    for (i, t) in toks.iter().enumerate() {
        let after_base =
            i > 0 && matches!(toks[i - 1].as_str(), "windowsservercore" | "nanoserver");
        for (name, build, unambiguous) in TAG_BUILDS {
            if t == name && (unambiguous || bare_sac || after_base) {
                return Some(build);
            }
        }
    }
    None
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Base {
    ServerCore,
    Nano,
}

fn tag_base(tag: &str) -> Option<Base> {
    let toks = tokens(tag);
    if toks.iter().any(|t| t == "windowsservercore") {
        Some(Base::ServerCore)
    } else if toks.iter().any(|t| t == "nanoserver") {
        Some(Base::Nano)
    } else {
        None
    }
}

/// A catalog layer by name, so a user catalog can stack its own layers on the built-in ones.
pub fn layer_by_name(name: &str) -> Option<CatalogLayer> {
    const ALL: [Family; 13] = [
        Family::Nano,
        Family::ServerCoreBase,
        Family::ServerCoreUpdate,
        Family::ServerBase,
        Family::ServerUpdate,
        Family::WindowsBase,
        Family::WindowsUpdate,
        Family::Iis,
        Family::NetfxRuntime,
        Family::NetfxAspnet,
        Family::NetfxSdk,
        Family::SampleAspnet,
        Family::SampleDotnet,
    ];
    TAG_BUILDS
        .iter()
        .flat_map(|&(_, b, _)| ALL.iter().map(move |&f| layer(f, b)))
        .chain(std::iter::once(host_process_layer()))
        .find(|l| l.name == name)
}

fn host_process_layer() -> CatalogLayer {
    CatalogLayer {
        name: "windows-host-process-base".into(),
        size: 10_000,
        unpacked: 10_000,
    }
}

fn stack_layers(stack: &[Family], build: u32) -> Vec<CatalogLayer> {
    stack.iter().map(|&f| layer(f, build)).collect()
}

/// The built-in catalog's answer for `r`, if its repository is in the table.
pub fn lookup(r: &Ref) -> Option<Known> {
    let repo = r.repo();
    let entry = REPOS.iter().find(|e| e.repo == repo)?;
    if entry.multi.is_empty() {
        return Some(Known {
            platforms: vec![(None, vec![host_process_layer()])],
            note: entry.note.to_string(),
        });
    }
    let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
    let stack: Vec<Family> = if entry.stack.is_empty() {
        if tag.to_ascii_lowercase().starts_with("dotnetapp") {
            vec![
                Family::ServerCoreBase,
                Family::ServerCoreUpdate,
                Family::NetfxRuntime,
                Family::SampleDotnet,
            ]
        } else {
            vec![
                Family::ServerCoreBase,
                Family::ServerCoreUpdate,
                Family::Iis,
                Family::NetfxRuntime,
                Family::NetfxAspnet,
                Family::SampleAspnet,
            ]
        }
    } else {
        entry.stack.to_vec()
    };
    let (builds, how) = match tag_build(&tag, true) {
        Some(b) => (vec![b], format!("tag `{tag}` → Windows 10.0.{b}")),
        None => (
            entry.multi.to_vec(),
            format!(
                "tag `{tag}` names no Windows build; assumed a manifest list for {}",
                list_builds(entry.multi)
            ),
        ),
    };
    Some(Known {
        platforms: builds
            .iter()
            .map(|&b| (Some(b), stack_layers(&stack, b)))
            .collect(),
        note: format!("built-in catalog: {how}; {}", entry.note),
    })
}

fn list_builds(builds: &[u32]) -> String {
    builds
        .iter()
        .map(|b| format!("10.0.{b}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a tag says about an image outside the catalog: `*-windowsservercore-ltsc2022`,
/// `*-nanoserver-1809`, or a bare `ltsc20xx`. The image's own layers are unknown; the caller
/// adds one app layer on top of the base layers returned here.
pub fn by_convention(r: &Ref) -> Option<Known> {
    let tag = r.tag.as_deref()?;
    let build = tag_build(tag, false);
    let base = tag_base(tag);
    let (base, base_note) = match (base, build) {
        (None, None) => return None,
        (Some(b), _) => (b, ""),
        (None, Some(_)) => (
            Base::ServerCore,
            "; the tag names no base image, Server Core assumed",
        ),
    };
    let stack: &[Family] = match base {
        Base::ServerCore => &CORE,
        Base::Nano => &[Family::Nano],
    };
    let (builds, how) = match build {
        Some(b) => (vec![b], format!("tag `{tag}` → Windows 10.0.{b}")),
        None => (
            CURRENT_LTSC.to_vec(),
            format!(
                "tag `{tag}` names a Windows base but no build; assumed a manifest list for {}",
                list_builds(&CURRENT_LTSC)
            ),
        ),
    };
    Some(Known {
        platforms: builds
            .iter()
            .map(|&b| (Some(b), stack_layers(stack, b)))
            .collect(),
        note: format!(
            "tag convention: {how}{base_note}; base layers from the built-in catalog ({})",
            match base {
                Base::ServerCore => MEASURED_CORE,
                Base::Nano => "Nano Server ≈ 0.1 GB download, DESIGN §2.3",
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalise_like_the_container_runtime() {
        assert_eq!(
            Ref::parse("nginx:1.27").canonical(),
            "docker.io/library/nginx:1.27"
        );
        assert_eq!(
            Ref::parse("nginx").canonical(),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            Ref::parse("localhost:5000/app").canonical(),
            "localhost:5000/app:latest"
        );
        let r = Ref::parse("mcr.microsoft.com/windows/servercore@sha256:abc");
        assert_eq!(r.repo(), "mcr.microsoft.com/windows/servercore");
        assert_eq!(r.tag, None);
        assert_eq!(
            r.canonical(),
            "mcr.microsoft.com/windows/servercore@sha256:abc"
        );
    }

    #[test]
    fn tags_name_builds() {
        assert_eq!(tag_build("ltsc2019", false), Some(17763));
        assert_eq!(tag_build("1809", true), Some(17763));
        assert_eq!(tag_build("1809", false), None);
        assert_eq!(
            tag_build("4.8-windowsservercore-ltsc2019", false),
            Some(17763)
        );
        assert_eq!(tag_build("nanoserver-1809", false), Some(17763));
        assert_eq!(tag_build("20H2", true), Some(19042));
        assert_eq!(tag_build("ltsc2025", false), Some(26100));
        assert_eq!(tag_build("1.27", true), None);
    }

    #[test]
    fn catalog_images_share_their_base_layers() {
        let iis = lookup(&Ref::parse(
            "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022",
        ))
        .unwrap();
        let core = lookup(&Ref::parse("mcr.microsoft.com/windows/servercore:ltsc2022")).unwrap();
        assert_eq!(iis.platforms.len(), 1);
        assert_eq!(iis.platforms[0].0, Some(20348));
        assert_eq!(iis.platforms[0].1[..2], core.platforms[0].1[..]);
        // 1.3 GB + 0.6 GB download (DESIGN §2.3).
        let total: u64 = core.platforms[0].1.iter().map(|l| l.size).sum();
        assert_eq!(total, 1_900_000_000);
        let multi = lookup(&Ref::parse(
            "mcr.microsoft.com/dotnet/framework/runtime:4.8",
        ))
        .unwrap();
        assert_eq!(multi.platforms.len(), 3);
        assert!(lookup(&Ref::parse("nginx:1.27")).is_none());
    }

    #[test]
    fn conventions_apply_only_to_unambiguous_tags() {
        let k = by_convention(&Ref::parse("golang:1.22-nanoserver-ltsc2022")).unwrap();
        assert_eq!(k.platforms[0].0, Some(20348));
        assert_eq!(k.platforms[0].1[0].name, "nanoserver-ltsc2022");
        assert!(by_convention(&Ref::parse("contoso/app:2004")).is_none());
        assert!(by_convention(&Ref::parse("nginx:1.27")).is_none());
    }
}
