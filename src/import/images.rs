//! The scenario's `layers` and `images`: what each image a pod uses is made of, and which
//! images each node already holds.
//!
//! Owns: the order of knowledge (the user's catalog, then the built-in catalog, then tag
//! conventions, then HostProcess pods, then what node caches reveal, then the default of a
//! Linux image of `--default-image-size`), the user catalog file (`--images`, RON or YAML),
//! and one stated assumption per image. Does not own: the catalog table or reference parsing
//! (`catalog`), or which pool preloads what (`mod.rs`).

use super::catalog::{self, CatalogLayer, Known, Ref};
use super::nodes::NodeFacts;
use super::{Assumptions, ImportError};
use crate::scenario::raw::{self, Os};
use crate::scenario::units::Bytes;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// An entry of the user catalog. Either full `platforms` (as in a scenario, layers named
/// under `layers` or from the built-in catalog), or a shorthand: `base` (an image this one is
/// built `FROM`, whose platforms it inherits) and/or `os`/`os_version`/`arch`, plus `size` and
/// `unpacked` for the image's own layer.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserImage {
    pub name: String,
    #[serde(default)]
    pub platforms: Vec<raw::Platform>,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub os: Option<Os>,
    #[serde(default)]
    pub os_version: Option<String>,
    #[serde(default)]
    pub arch: Option<String>,
    #[serde(default)]
    pub size: Option<Bytes>,
    #[serde(default)]
    pub unpacked: Option<Bytes>,
}

/// `--images FILE`: overrides the built-in catalog and the tag conventions. A layer named like
/// a built-in one (`servercore-ltsc2022-base`) replaces its sizes everywhere.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserCatalog {
    #[serde(default)]
    pub layers: Vec<raw::Layer>,
    #[serde(default)]
    pub images: Vec<UserImage>,
    #[serde(skip)]
    pub file: String,
}

/// Reads a user catalog: `.ron` as RON, `.yaml`/`.yml`/`.json` as YAML, anything else as RON
/// and then YAML.
pub fn load_user(path: &Path) -> Result<UserCatalog, ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::file(&file, format!("cannot read the image catalog: {e}")))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    // RON belongs to `scenario`; the catalog is a type of the scenario's format family.
    let ron = || crate::scenario::from_ron::<UserCatalog>(&text);
    let yaml = || serde_yaml_ng::from_str::<UserCatalog>(&text).map_err(|e| e.to_string());
    let parsed = match ext {
        "ron" => ron(),
        "yaml" | "yml" | "json" => yaml(),
        _ => ron().or_else(|r| yaml().map_err(|y| format!("as RON: {r}; as YAML: {y}"))),
    };
    let mut cat =
        parsed.map_err(|e| ImportError::file(&file, format!("not a valid image catalog: {e}")))?;
    cat.file = file;
    Ok(cat)
}

/// An image some pod uses, with what the import knows about its users.
#[derive(Clone, Debug, Default)]
pub struct ImageUse {
    pub name: String,
    pub workloads: Vec<String>,
    /// Used by a HostProcess pod (Windows, runs on every build).
    pub host_process: bool,
    /// Used by a pod that selects Windows nodes.
    pub windows_pods: bool,
}

/// A layer as the scenario will declare it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct LayerDef {
    name: String,
    size: u64,
    unpacked: Option<u64>,
}

impl From<CatalogLayer> for LayerDef {
    fn from(l: CatalogLayer) -> Self {
        LayerDef {
            name: l.name,
            size: l.size,
            unpacked: Some(l.unpacked),
        }
    }
}

#[derive(Clone, Debug)]
struct PlatformDef {
    os: Os,
    os_version: Option<String>,
    arch: String,
    layers: Vec<LayerDef>,
}

/// The result: the scenario's layers and images, and how to find an image by reference.
#[derive(Clone, Debug, Default)]
pub struct Book {
    pub layers: Vec<raw::Layer>,
    pub images: Vec<raw::Image>,
    /// Canonical reference → the scenario's image name.
    pub by_canonical: BTreeMap<String, String>,
}

impl Book {
    /// The scenario images a node's `status.images` holds.
    pub fn cached_on(&self, node: &NodeFacts) -> BTreeSet<String> {
        node.images
            .iter()
            .flat_map(|ci| &ci.names)
            .filter_map(|n| self.by_canonical.get(&Ref::parse(n).canonical()))
            .cloned()
            .collect()
    }

    fn add(&mut self, name: &str, platforms: Vec<PlatformDef>) {
        let mut out = Vec::new();
        for p in platforms {
            let mut names = Vec::new();
            for l in p.layers {
                names.push(l.name.clone());
                if !self.layers.iter().any(|x| x.name == l.name) {
                    self.layers.push(raw::Layer {
                        name: l.name,
                        size: Bytes(l.size),
                        unpacked: l.unpacked.filter(|u| *u != l.size).map(Bytes),
                    });
                }
            }
            out.push(raw::Platform {
                os: p.os,
                os_version: p.os_version,
                arch: p.arch,
                layers: names,
            });
        }
        self.by_canonical
            .insert(Ref::parse(name).canonical(), name.to_string());
        self.images.push(raw::Image {
            name: name.to_string(),
            platforms: out,
        });
    }
}

struct Ctx<'a> {
    user: Option<&'a UserCatalog>,
    default_size: u64,
    /// Architectures of the Linux pools, for images nothing describes.
    linux_arches: Vec<String>,
}

impl Ctx<'_> {
    /// A layer's definition: the user's sizes when the user catalog names the layer.
    fn layer(&self, l: LayerDef) -> LayerDef {
        match self
            .user
            .and_then(|u| u.layers.iter().find(|x| x.name == l.name))
        {
            Some(u) => LayerDef {
                name: l.name,
                size: u.size.0,
                unpacked: u.unpacked.map(|b| b.0),
            },
            None => l,
        }
    }

    fn known_platforms(&self, k: &Known) -> Vec<PlatformDef> {
        k.platforms
            .iter()
            .map(|(build, layers)| PlatformDef {
                os: Os::Windows,
                os_version: build.map(catalog::os_version),
                arch: "amd64".into(),
                layers: layers
                    .iter()
                    .cloned()
                    .map(|l| self.layer(l.into()))
                    .collect(),
            })
            .collect()
    }

    fn user_entry(&self, r: &Ref) -> Option<&UserImage> {
        let canon = r.canonical();
        self.user?
            .images
            .iter()
            .find(|u| Ref::parse(&u.name).canonical() == canon)
    }

    /// The user catalog's answer, with the chain of `base` images followed (`depth` guards
    /// against a cycle).
    fn user_platforms(&self, u: &UserImage, depth: u32) -> Result<Vec<PlatformDef>, String> {
        let file = self.user.map_or("", |c| c.file.as_str());
        let bad = |m: String| format!("{file}: image {}: {m}", u.name);
        if depth > 16 {
            return Err(bad("`base` images form a cycle".into()));
        }
        let shorthand = u.base.is_some()
            || u.os.is_some()
            || u.os_version.is_some()
            || u.size.is_some()
            || u.unpacked.is_some();
        if !u.platforms.is_empty() {
            if shorthand {
                return Err(bad(
                    "give either `platforms` or the shorthand (base, os, os_version, size), \
                     not both"
                        .into(),
                ));
            }
            let mut out = Vec::new();
            for p in &u.platforms {
                let mut layers = Vec::new();
                for ln in &p.layers {
                    let def = if let Some(l) = self
                        .user
                        .and_then(|c| c.layers.iter().find(|l| &l.name == ln))
                    {
                        LayerDef {
                            name: l.name.clone(),
                            size: l.size.0,
                            unpacked: l.unpacked.map(|b| b.0),
                        }
                    } else if let Some(l) = catalog::layer_by_name(ln) {
                        l.into()
                    } else {
                        return Err(bad(format!(
                            "layer \"{ln}\" is neither under `layers` nor a built-in catalog \
                             layer"
                        )));
                    };
                    layers.push(def);
                }
                out.push(PlatformDef {
                    os: p.os,
                    os_version: p.os_version.clone(),
                    arch: p.arch.clone(),
                    layers,
                });
            }
            return Ok(out);
        }
        let own = |size: u64| LayerDef {
            name: u.name.clone(),
            size,
            unpacked: u.unpacked.map(|b| b.0),
        };
        let size = u.size.map(|b| b.0);
        if let Some(base) = &u.base {
            let br = Ref::parse(base);
            let mut plats = if let Some(bu) = self.user_entry(&br) {
                self.user_platforms(bu, depth + 1)?
            } else if let Some(k) = catalog::lookup(&br).or_else(|| catalog::by_convention(&br)) {
                self.known_platforms(&k)
            } else {
                return Err(bad(format!(
                    "base \"{base}\" is neither in the image catalog nor named by a tag \
                     convention"
                )));
            };
            let own_layer = own(size.unwrap_or(self.default_size));
            for p in &mut plats {
                p.layers.push(own_layer.clone());
            }
            return Ok(plats);
        }
        let Some(os) = u.os else {
            return Err(bad(
                "needs `platforms`, a `base`, or `os` with `size`".into()
            ));
        };
        let Some(size) = size else {
            return Err(bad("needs `size` (download size of the image)".into()));
        };
        if os == Os::Windows && u.os_version.is_none() {
            return Err(bad(
                "a Windows image needs `os_version` (\"10.0.20348\"), or a `base`".into(),
            ));
        }
        Ok(vec![PlatformDef {
            os,
            os_version: u.os_version.clone(),
            arch: u.arch.clone().unwrap_or_else(|| "amd64".into()),
            layers: vec![own(size)],
        }])
    }
}

/// Sizes for people: `1.9 GB`, `150 MB`, `10 kB` (decimal units, as registries show them).
pub fn human(b: u64) -> String {
    if b >= 1_000_000_000 {
        let h = (b + 5_000_000) / 10_000_000;
        let (int, frac) = (h / 100, h % 100);
        if frac == 0 {
            format!("{int} GB")
        } else if frac % 10 == 0 {
            format!("{int}.{} GB", frac / 10)
        } else {
            format!("{int}.{frac:02} GB")
        }
    } else if b >= 1_000_000 {
        format!("{} MB", (b + 500_000) / 1_000_000)
    } else {
        format!("{} kB", b.div_ceil(1000))
    }
}

fn describe(platforms: &[PlatformDef]) -> String {
    platforms
        .iter()
        .map(|p| {
            let size: u64 = p.layers.iter().map(|l| l.size).sum();
            let disk: u64 = p.layers.iter().map(|l| l.unpacked.unwrap_or(l.size)).sum();
            let os = match (p.os, &p.os_version) {
                (Os::Linux, _) => "Linux".to_string(),
                (Os::Windows, Some(v)) => format!("Windows {v}"),
                (Os::Windows, None) => "Windows (any build)".to_string(),
            };
            let arch = if p.arch == "amd64" {
                String::new()
            } else {
                format!(" {}", p.arch)
            };
            let n = p.layers.len();
            format!(
                "{os}{arch}: {} download, {} on disk, {n} layer{}",
                human(size),
                human(disk),
                if n == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Node caches that hold `r`: (the node, the size it reports).
fn cached_by<'n>(nodes: &'n [NodeFacts], r: &Ref) -> Vec<(&'n NodeFacts, Option<u64>)> {
    let canon = r.canonical();
    let mut out = Vec::new();
    for n in nodes {
        for ci in &n.images {
            if ci.names.iter().any(|x| Ref::parse(x).canonical() == canon) {
                out.push((n, ci.size));
                break;
            }
        }
    }
    out
}

/// Builds the scenario's images: one per image the pods use, plus catalog images that node
/// caches hold and that share layers with them (a cached Server Core base makes every image
/// built on it a shorter pull).
pub fn build(
    uses: &[ImageUse],
    nodes: &[NodeFacts],
    user: Option<&UserCatalog>,
    default_size: u64,
    asm: &mut Assumptions,
) -> Result<Book, Vec<ImportError>> {
    let mut linux_arches: Vec<String> = nodes
        .iter()
        .filter(|n| n.os == Os::Linux)
        .map(|n| n.arch.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if linux_arches.is_empty() {
        linux_arches.push("amd64".into());
    }
    let cx = Ctx {
        user,
        default_size,
        linux_arches,
    };
    let mut book = Book::default();
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for u in uses {
        let r = Ref::parse(&u.name);
        if !seen.insert(r.canonical()) {
            // The same image under another spelling (`nginx` and `docker.io/library/nginx`):
            // declare it again under this name with the same layers.
            if let Some(first) = book.by_canonical.get(&r.canonical()).cloned()
                && let Some(img) = book.images.iter().find(|i| i.name == first).cloned()
            {
                book.images.push(raw::Image {
                    name: u.name.clone(),
                    platforms: img.platforms,
                });
            }
            continue;
        }
        let subject = format!("image {}", u.name);
        let (plats, how) = match resolve(&cx, u, &r, nodes) {
            Ok(x) => x,
            Err(e) => {
                errs.push(ImportError::general(e));
                continue;
            }
        };
        let mut text = format!("{} ({how})", describe(&plats));
        if u.windows_pods && plats.iter().all(|p| p.os == Os::Linux) {
            text.push_str(
                "; WARNING: pods that select Windows nodes use it, so they will fail with \
                 ErrImagePull unless the image is declared in --images",
            );
        }
        asm.add(&subject, text);
        book.add(&u.name, plats);
    }
    if !errs.is_empty() {
        return Err(errs);
    }

    // Cached catalog images that share layers with the images in use.
    let used_layers: BTreeSet<String> = book.layers.iter().map(|l| l.name.clone()).collect();
    let mut extra: Vec<(String, Vec<PlatformDef>, String)> = Vec::new();
    for n in nodes {
        for ci in &n.images {
            let Some(name) = ci.names.iter().find(|x| !x.contains('@')) else {
                continue;
            };
            let r = Ref::parse(name);
            if !seen.insert(r.canonical()) {
                continue;
            }
            let found = if let Some(ue) = cx.user_entry(&r) {
                cx.user_platforms(ue, 0).ok().map(|p| {
                    (
                        p,
                        format!("user catalog {}", cx.user.map_or("", |c| &c.file)),
                    )
                })
            } else {
                catalog::lookup(&r).map(|k| (cx.known_platforms(&k), k.note))
            };
            if let Some((plats, how)) = found
                && plats
                    .iter()
                    .flat_map(|p| &p.layers)
                    .any(|l| used_layers.contains(&l.name))
            {
                extra.push((name.clone(), plats, how));
            }
        }
    }
    for (name, plats, how) in extra {
        asm.add(
            format!("image {name}"),
            format!(
                "{} ({how}); declared because node caches hold it and it shares layers with \
                 images the pods use",
                describe(&plats)
            ),
        );
        book.add(&name, plats);
    }

    let mut unused = BTreeSet::new();
    for ci in nodes.iter().flat_map(|n| &n.images) {
        let declared = ci
            .names
            .iter()
            .any(|x| book.by_canonical.contains_key(&Ref::parse(x).canonical()));
        if let Some(name) = ci
            .names
            .iter()
            .find(|x| !x.contains('@'))
            .or(ci.names.first())
            && !declared
        {
            unused.insert(name.clone());
        }
    }
    if !unused.is_empty() {
        const SHOWN: usize = 4;
        let mut list: Vec<String> = unused.iter().take(SHOWN).cloned().collect();
        if unused.len() > SHOWN {
            list.push(format!("and {} more", unused.len() - SHOWN));
        }
        asm.add(
            "node caches",
            format!(
                "{} cached image{} that no pod uses and that share{} no known layer with the                  images in use are not declared ({})",
                unused.len(),
                if unused.len() == 1 { "" } else { "s" },
                if unused.len() == 1 { "s" } else { "" },
                list.join(", ")
            ),
        );
    }
    Ok(book)
}

/// What one image is made of, and how the import knows.
fn resolve(
    cx: &Ctx,
    u: &ImageUse,
    r: &Ref,
    nodes: &[NodeFacts],
) -> Result<(Vec<PlatformDef>, String), String> {
    if let Some(ue) = cx.user_entry(r) {
        let file = cx.user.map_or("", |c| c.file.as_str());
        let how = match &ue.base {
            Some(b) => format!(
                "user catalog {file}: built on {b}, plus its own layer of {}",
                match ue.size {
                    Some(s) => human(s.0),
                    None => format!("{} (--default-image-size)", human(cx.default_size)),
                }
            ),
            None => format!("user catalog {file}"),
        };
        return Ok((cx.user_platforms(ue, 0)?, how));
    }
    if let Some(k) = catalog::lookup(r) {
        return Ok((cx.known_platforms(&k), k.note));
    }
    let cached = cached_by(nodes, r);
    let cached_size = cached.iter().filter_map(|(_, s)| *s).max();
    if let Some(k) = catalog::by_convention(r) {
        let mut plats = cx.known_platforms(&k);
        let app = cx.layer(LayerDef {
            name: format!("{} (app)", u.name),
            size: cx.default_size,
            unpacked: None,
        });
        for p in &mut plats {
            p.layers.push(app.clone());
        }
        return Ok((
            plats,
            format!(
                "{}; its own layer assumed {} (--default-image-size)",
                k.note,
                human(cx.default_size)
            ),
        ));
    }
    if u.host_process {
        let size = cached_size.unwrap_or(cx.default_size);
        return Ok((
            vec![PlatformDef {
                os: Os::Windows,
                os_version: None,
                arch: "amd64".into(),
                layers: vec![cx.layer(LayerDef {
                    name: u.name.clone(),
                    size,
                    unpacked: None,
                })],
            }],
            format!(
                "unknown image used by a HostProcess pod: assumed built on the HostProcess base \
                 image, which has no os.version and runs on every Windows build; one layer of \
                 {}",
                if cached_size.is_some() {
                    "the size node caches report"
                } else {
                    "--default-image-size"
                }
            ),
        ));
    }
    if !cached.is_empty() {
        // A node only pulls a platform entry for its own OS and architecture, so the nodes
        // that cache an image tell which platforms it has.
        let mut platforms: BTreeMap<(bool, Option<u32>, String), ()> = BTreeMap::new();
        for (n, _) in &cached {
            platforms.insert((n.os == Os::Windows, n.build, n.arch.clone()), ());
        }
        let size = cached_size.unwrap_or(cx.default_size);
        let several = platforms.len() > 1;
        let plats = platforms
            .into_keys()
            .map(|(win, build, arch)| {
                let os = if win { Os::Windows } else { Os::Linux };
                let tag = match (win, build) {
                    (true, Some(b)) => format!("10.0.{b}"),
                    _ => format!("linux/{arch}"),
                };
                PlatformDef {
                    os,
                    os_version: if win {
                        build.map(catalog::os_version)
                    } else {
                        None
                    },
                    arch,
                    layers: vec![cx.layer(LayerDef {
                        name: if several {
                            format!("{} ({tag})", u.name)
                        } else {
                            u.name.clone()
                        },
                        size,
                        unpacked: None,
                    })],
                }
            })
            .collect();
        return Ok((
            plats,
            format!(
                "not in any catalog; {} node cache(s) hold it (status.images), so it has a \
                 platform for each OS/build/architecture of those nodes; one layer of {} \
                 (sizeBytes{})",
                cached.len(),
                human(size),
                if cached_size.is_none() {
                    " missing: --default-image-size"
                } else {
                    ""
                }
            ),
        ));
    }
    let several = cx.linux_arches.len() > 1;
    let plats = cx
        .linux_arches
        .iter()
        .map(|arch| PlatformDef {
            os: Os::Linux,
            os_version: None,
            arch: arch.clone(),
            layers: vec![cx.layer(LayerDef {
                name: if several {
                    format!("{} (linux/{arch})", u.name)
                } else {
                    u.name.clone()
                },
                size: cx.default_size,
                unpacked: None,
            })],
        })
        .collect();
    Ok((
        plats,
        format!(
            "unknown: not in the user or built-in catalog, no tag convention and no node cache; \
             assumed a Linux image{} of one {} layer (--default-image-size)",
            if several {
                " for every architecture of the Linux nodes"
            } else {
                ""
            },
            human(cx.default_size)
        ),
    ))
}
