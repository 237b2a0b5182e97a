//! The `layers` and `images` sections: sizes, platform entries, layer references and each
//! image's default pull policy.
//!
//! Owns: the image catalog of the spec and name → id resolution for the sections that refer to
//! images (pools' preloads, containers). Does not own: which node pulls what (the kubelet).

use super::Ctx;
use super::checks::{index_names, parse_version};
use crate::model::{ImageId, ImageSpec, LayerId, LayerSpec, PlatformSpec, PullPolicy};
use crate::scenario::locate::Path;
use crate::scenario::raw;
use std::collections::HashMap;

/// Layers and images, converted, with the index other sections resolve image names through.
pub(super) struct Catalog {
    pub layers: Vec<LayerSpec>,
    pub images: Vec<ImageSpec>,
    pub registries: Vec<crate::model::RegistrySpec>,
    image_ix: HashMap<String, u32>,
}

impl Catalog {
    /// The id of image `name`, or an error at `path`.
    pub fn resolve(&self, cx: &mut Ctx, name: &str, path: Path) -> Option<ImageId> {
        match self.image_ix.get(name) {
            Some(&i) => Some(ImageId(i)),
            None => {
                cx.err(
                    path,
                    format!("unknown image \"{name}\"; declare it under `images`"),
                );
                None
            }
        }
    }
}

/// The pull policy of a container that gives none.
fn default_policy(image: &str) -> PullPolicy {
    // k/web docs/concepts/containers/images.md: `:latest` or no tag → Always. A digest pins
    // the image, so it counts as a tag here.
    let name = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return PullPolicy::IfNotPresent;
    }
    match name.rsplit_once(':') {
        None => PullPolicy::Always,
        Some((_, "latest")) => PullPolicy::Always,
        Some(_) => PullPolicy::IfNotPresent,
    }
}

pub(super) fn check(cx: &mut Ctx, raw: &raw::Scenario) -> Catalog {
    let root = Path::root();
    // Layers first: images refer to them.
    let lp = root.field("layers");
    let layer_ix = index_names(cx, raw.layers.iter().map(|l| l.name.as_str()), &lp, "layer");
    let mut layers = Vec::with_capacity(raw.layers.len());
    for (i, l) in raw.layers.iter().enumerate() {
        if l.size.0 == 0 {
            cx.err(
                lp.index(i).field("size"),
                "expected a positive layer size, e.g. \"1.3GB\"",
            );
        }
        if l.unpacked == Some(crate::scenario::units::Bytes(0)) {
            cx.err(
                lp.index(i).field("unpacked"),
                "expected a positive unpacked size",
            );
        }
        layers.push(LayerSpec {
            name: l.name.clone(),
            size: l.size.0,
            unpacked: l.unpacked.map_or(l.size.0, |b| b.0),
        });
    }

    let ip = root.field("images");
    let image_ix = index_names(cx, raw.images.iter().map(|i| i.name.as_str()), &ip, "image");
    let mut images = Vec::with_capacity(raw.images.len());
    for (i, im) in raw.images.iter().enumerate() {
        let p = ip.index(i);
        if im.platforms.is_empty() {
            cx.err(
                p.field("platforms"),
                "expected at least one platform entry (os, layers)",
            );
        }
        let mut platforms = Vec::new();
        for (j, pl) in im.platforms.iter().enumerate() {
            let pp = p.field("platforms").index(j);
            let version = parse_version(cx, &pl.os_version, pl.os, &pp, false);
            if pl.layers.is_empty() {
                cx.err(pp.field("layers"), "expected at least one layer name");
            }
            let mut ids = Vec::new();
            for (n, ln) in pl.layers.iter().enumerate() {
                match layer_ix.get(ln) {
                    Some(&id) => ids.push(LayerId(id)),
                    None => cx.err(
                        pp.field("layers").index(n),
                        format!("unknown layer \"{ln}\"; declare it under `layers`"),
                    ),
                }
            }
            // Saturating: a file may declare absurd sizes; they must not wrap.
            let size = ids
                .iter()
                .fold(0u64, |a, l| a.saturating_add(layers[l.idx()].size));
            platforms.push(PlatformSpec {
                os: pl.os,
                version,
                arch: pl.arch.clone(),
                layers: ids,
                size,
            });
        }
        images.push(ImageSpec {
            name: im.name.clone(),
            platforms,
            default_policy: default_policy(&im.name),
            registry: None,
        });
    }
    let registries = registries(cx, raw, &mut images);
    Catalog {
        layers,
        images,
        registries,
        image_ix,
    }
}

/// The registry host of an image name, as a Docker reference is normalised
/// (`distribution/reference`, `splitDockerDomain`): the part before the first `/` when it
/// has a `.` or a `:` or is `localhost`; otherwise Docker Hub, `docker.io`.
pub fn registry_host(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// The `registries` with limited egress; each image learns which one it comes from. A
/// registry no image comes from is an error: a misspelt host would limit nothing.
fn registries(
    cx: &mut Ctx,
    raw: &raw::Scenario,
    images: &mut [ImageSpec],
) -> Vec<crate::model::RegistrySpec> {
    let rp = Path::root().field("registries");
    let ix = index_names(
        cx,
        raw.registries.iter().map(|r| r.host.as_str()),
        &rp,
        "registry",
    );
    for im in images.iter_mut() {
        im.registry = ix.get(registry_host(&im.name)).map(|&i| i as u16);
    }
    let mut out = Vec::with_capacity(raw.registries.len());
    for (i, r) in raw.registries.iter().enumerate() {
        let p = rp.index(i);
        if r.bandwidth.0 == 0 {
            cx.err(
                p.field("bandwidth"),
                "expected a positive egress such as \"1GB/s\" (leave the registry out for no \
                 limit)",
            );
        }
        if !images.iter().any(|im| im.registry == Some(i as u16)) {
            let mut hosts: Vec<&str> = images.iter().map(|im| registry_host(&im.name)).collect();
            hosts.sort_unstable();
            hosts.dedup();
            cx.err(
                p.field("host"),
                format!(
                    "no image comes from registry \"{}\"; the images' registries are: {}",
                    r.host,
                    hosts.join(", ")
                ),
            );
        }
        out.push(crate::model::RegistrySpec {
            host: r.host.clone(),
            bandwidth: r.bandwidth.0,
        });
    }
    out
}
