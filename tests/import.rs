//! `hybridsim import` end to end: fixtures in the real Kubernetes schema (manifests as they sit
//! in a repository, node lists as `kubectl get nodes -o json|yaml` prints them) are imported,
//! the scenario is run, and the pods.csv rows are checked. Every expected value is derived in
//! the comment above its assertion from the manifests and the upstream rules, not read off the
//! simulator.

use hybridsim::import::{self, Imported, Options};
use hybridsim::scenario::{self, raw};
use hybridsim::simulation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIX: &str = "tests/fixtures/import";

fn options(paths: &[&str], images: Option<&str>) -> Options {
    let paths: Vec<PathBuf> = paths.iter().map(|p| Path::new(FIX).join(p)).collect();
    let images = images.map(|p| Path::new(FIX).join(p));
    Options::new(
        &paths,
        Path::new("imported.ron"),
        images.as_deref(),
        "100MB",
    )
    .unwrap()
}

fn import_ok(paths: &[&str], images: Option<&str>) -> Imported {
    import::import(&options(paths, images)).unwrap_or_else(|e| panic!("import failed:\n{e}"))
}

/// One row of pods.csv, by column name.
type Row = BTreeMap<String, String>;

/// Runs the imported scenario and returns pods.csv as rows.
fn run(imp: &Imported) -> Vec<Row> {
    let (_, spec) = scenario::load_str(&imp.text, "imported.ron")
        .unwrap_or_else(|e| panic!("the imported scenario does not load:\n{e}"));
    let out = simulation::run(&spec, spec.seed);
    let csv = hybridsim::report::pods_csv(&spec, &out).unwrap();
    let mut r = csv::Reader::from_reader(csv.as_slice());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn rows_of<'a>(rows: &'a [Row], workload: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r["workload"] == workload).collect()
}

fn count_in_pool(rows: &[&Row], pool: &str) -> usize {
    rows.iter().filter(|r| r["pool"] == pool).count()
}

fn pool<'a>(s: &'a raw::Scenario, name: &str) -> &'a raw::Pool {
    s.pools
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no pool {name}"))
}

fn assumed(imp: &Imported, subject: &str, needle: &str) -> bool {
    imp.assumptions
        .iter()
        .any(|a| a.subjects.iter().any(|s| s == subject) && a.text.contains(needle))
}

#[test]
fn a_ws2019_deployment_selecting_only_windows_fails_exactly_on_the_ws2022_nodes() {
    let imp = import_ok(&["build-mismatch", "nodes/nodes.json"], None);
    // The image tag `4.8-windowsservercore-ltsc2019` names build 17763 (ltsc2019 = Windows
    // Server 2019, hcsshim osversion RS5), so the catalog gives it one platform 10.0.17763.
    let img = imp
        .scenario
        .images
        .iter()
        .find(|i| i.name.ends_with("aspnet:4.8-windowsservercore-ltsc2019"))
        .unwrap();
    assert_eq!(img.platforms.len(), 1);
    assert_eq!(img.platforms[0].os_version.as_deref(), Some("10.0.17763"));
    // nodes.json: akswin19000000/1 report kernelVersion 10.0.17763.5576 (pool win19),
    // akswin22000000/1 report 10.0.20348.2340 (pool win22).
    assert_eq!(
        pool(&imp.scenario, "win19").os_version.as_deref(),
        Some("10.0.17763.5576")
    );
    assert_eq!(
        pool(&imp.scenario, "win22").os_version.as_deref(),
        Some("10.0.20348.2340")
    );

    let rows = run(&imp);
    let pods = rows_of(&rows, "legacy-portal");
    // replicas: 4 in the manifest.
    assert_eq!(pods.len(), 4);
    // The selector kubernetes.io/os=windows excludes the one Linux node; the four Windows nodes
    // are untainted and identical in shape, and LeastAllocated scoring puts each new pod on an
    // empty node before any node gets a second: two pods per build.
    assert_eq!(count_in_pool(&pods, "win19"), 2);
    assert_eq!(count_in_pool(&pods, "win22"), 2);
    for p in &pods {
        match p["pool"].as_str() {
            // Host 17763 < 20348: process isolation needs the exact build; 17763 = 17763.
            "win19" => {
                assert_eq!(p["outcome"], "Ready", "{p:?}");
                assert_eq!(p["reason"], "", "{p:?}");
            }
            // Host 20348: the image build must lie in 20348..=20348; 17763 does not, and
            // containerd's platform match (the default) finds no entry: the pull fails.
            "win22" => {
                assert_ne!(p["outcome"], "Ready", "{p:?}");
                assert_eq!(p["reason"], "ErrImagePull", "{p:?}");
                assert_eq!(
                    p["message"], "no match for platform in manifest: not found",
                    "{p:?}"
                );
                assert_eq!(p["ready_s"], "", "{p:?}");
            }
            other => panic!("pod on unexpected pool {other}: {p:?}"),
        }
    }
    // The Service in the same file is listed as skipped, not fatal.
    assert!(
        imp.skipped
            .iter()
            .any(|s| s.id == "Service/shop/legacy-portal" && s.origin.doc == 2)
    );
}

#[test]
fn a_linux_deployment_without_selector_gets_err_image_pull_on_untainted_windows_nodes() {
    let imp = import_ok(&["forgotten-selector", "nodes/nodes.yaml"], None);
    // nginx:1.27 is in no catalog, has no Windows tag and no node caches it: it is assumed a
    // Linux image of the default size, and the import says so.
    let img = imp
        .scenario
        .images
        .iter()
        .find(|i| i.name == "nginx:1.27")
        .unwrap();
    assert!(img.platforms.iter().all(|p| p.os == raw::Os::Linux));
    assert!(assumed(&imp, "image nginx:1.27", "assumed a Linux image"));
    assert!(assumed(&imp, "image nginx:1.27", "100 MB"));

    let rows = run(&imp);
    let pods = rows_of(&rows, "web");
    // replicas: 5; no selector and no taints, so all five nodes are feasible, and LeastAllocated
    // spreads the pods one per node: 1 on the Linux node, 4 on the Windows nodes.
    assert_eq!(pods.len(), 5);
    assert_eq!(count_in_pool(&pods, "system"), 1);
    assert_eq!(
        count_in_pool(&pods, "win19") + count_in_pool(&pods, "win22"),
        4
    );
    for p in &pods {
        if p["os"] == "windows" {
            // A Linux-only manifest has no entry for windows/amd64: the pull fails.
            assert_eq!(p["reason"], "ErrImagePull", "{p:?}");
            assert_eq!(p["pulled_s"], "", "{p:?}");
            assert_ne!(p["outcome"], "Ready", "{p:?}");
        } else {
            assert_eq!(p["outcome"], "Ready", "{p:?}");
        }
    }
    // The ConfigMap and the Service are skipped with their file and document.
    let skipped: Vec<(&str, usize)> = imp
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.origin.doc))
        .collect();
    assert!(skipped.contains(&("ConfigMap/default/web-config", 1)));
    assert!(skipped.contains(&("Service/default/web", 3)));
}

#[test]
fn a_runtimeclass_with_a_build_selector_and_toleration_places_pods_only_on_matching_nodes() {
    let imp = import_ok(&["runtimeclass"], None);
    let rc = &imp.scenario.runtime_classes[0];
    // runtimeclass.yaml: handler runhcs-wcow-process, overhead 100m / 64Mi, nodeSelector on the
    // 10.0.20348 build, toleration os=windows:NoSchedule.
    assert_eq!(rc.name, "windows-2022");
    assert_eq!(rc.handler, "runhcs-wcow-process");
    let o = rc.overhead.as_ref().unwrap();
    assert_eq!((o.cpu.0, o.memory.0), (100, 64 << 20));
    let s = rc.scheduling.as_ref().unwrap();
    assert_eq!(
        s.node_selector
            .get("node.kubernetes.io/windows-build")
            .map(String::as_str),
        Some("10.0.20348")
    );
    // runtimeclass/nodes.yaml: akswin22000002 is cordoned (spec.unschedulable), so it forms its
    // own pool carrying the cordon taint.
    let cordoned = pool(&imp.scenario, "win22-cordoned");
    assert_eq!(cordoned.count, 1);
    assert!(
        cordoned
            .taints
            .iter()
            .any(|t| t.key == "node.kubernetes.io/unschedulable")
    );
    assert_eq!(pool(&imp.scenario, "win22").count, 2);

    let rows = run(&imp);
    let site = rows_of(&rows, "iis-site");
    // The RuntimeClass adds windows-build=10.0.20348 (only the win22 pools carry it) and the
    // os=windows toleration; the cordoned node admits no pod without the unschedulable
    // toleration. So all 4 replicas land on the 2 schedulable WS2022 nodes, and the ltsc2022
    // IIS image runs there (host 20348, image 20348).
    assert_eq!(site.len(), 4);
    assert_eq!(count_in_pool(&site, "win22"), 4);
    assert!(site.iter().all(|p| p["outcome"] == "Ready"), "{site:?}");
    // The same pods without the RuntimeClass select Windows but do not tolerate os=windows,
    // and the Linux node fails the selector: nowhere to go.
    let no_rc = rows_of(&rows, "iis-site-no-rc");
    assert_eq!(no_rc.len(), 2);
    assert!(
        no_rc
            .iter()
            .all(|p| p["node"].is_empty() && p["reason"] == "Unschedulable"),
        "{no_rc:?}"
    );
    // The HostProcess DaemonSet tolerates every taint (operator Exists, no key), so it runs on
    // every Windows node, the cordoned one included (DaemonSet pods tolerate the cordon):
    // 2 WS2019 + 3 WS2022 = 5 pods; its image runs on any build.
    let ds = rows_of(&rows, "windows-exporter");
    assert_eq!(ds.len(), 5);
    assert_eq!(count_in_pool(&ds, "win22-cordoned"), 1);
    assert!(ds.iter().all(|p| p["outcome"] == "Ready"), "{ds:?}");
    // iis-site sets only limits: the API server copies them into requests, and the import
    // states it.
    let w = imp
        .scenario
        .workloads
        .iter()
        .find(|w| w.name == "iis-site")
        .unwrap();
    assert_eq!(w.template.containers[0].cpu.0, 500);
    assert!(assumed(
        &imp,
        "Deployment/web/iis-site",
        "requests.cpu defaulted to limits.cpu"
    ));
}

#[test]
fn node_lists_from_kubectl_json_and_yaml_import_to_the_same_pools() {
    let json = import_ok(&["nodes/nodes.json"], None);
    let yaml = import_ok(&["nodes/nodes.yaml"], None);
    assert_eq!(json.scenario.pools, yaml.scenario.pools);
    let s = &json.scenario;
    // 1 Linux node (agentpool system), 2 WS2019 (win19), 2 WS2022 (win22): three shapes.
    let names: Vec<&str> = s.pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["system", "win19", "win22"]);
    let counts: Vec<u32> = s.pools.iter().map(|p| p.count).collect();
    assert_eq!(counts, [1, 2, 2]);
    let w = pool(s, "win19");
    // capacity cpu "4" = 4000m, allocatable "3860m": reserved 140m.
    assert_eq!(w.cpu.unwrap().0, 4000);
    assert_eq!(w.reserved.as_ref().unwrap().cpu.unwrap().0, 140);
    // capacity memory 16776692Ki, allocatable 13911540Ki: reserved (16776692 − 13911540) Ki =
    // 2865152 Ki = 2,933,915,648 bytes, and no further eviction threshold.
    assert_eq!(w.memory.unwrap().0, 16_776_692 * 1024);
    assert_eq!(
        w.reserved.as_ref().unwrap().memory.unwrap().0,
        2_865_152 * 1024
    );
    assert_eq!(w.eviction_threshold.map(|b| b.0), Some(0));
    // capacity pods "30", ephemeral-storage 133703676Ki.
    assert_eq!(w.max_pods, Some(30));
    assert_eq!(w.disk.unwrap().0, 133_703_676 * 1024);
    assert_eq!(w.instance_type.as_deref(), Some("Standard_D4s_v3"));
    assert_eq!(w.zone.as_deref(), Some("0"));
    // Labels the simulator sets itself, and per-node ones, are not repeated.
    for k in [
        "kubernetes.io/hostname",
        "kubernetes.io/os",
        "node.kubernetes.io/windows-build",
        "beta.kubernetes.io/os",
    ] {
        assert!(!w.labels.contains_key(k), "{k}");
    }
    assert_eq!(w.labels["kubernetes.azure.com/os-sku"], "Windows2019");
    // status.images of both WS2019 nodes holds servercore:ltsc2019, but no pod uses an image
    // built on it here, so nothing is declared or preloaded.
    assert_eq!(w.preloaded_images, None);
    // The Linux pool: 16374584Ki − 13968184Ki = 2406400Ki reserved.
    let l = pool(s, "system");
    assert_eq!(l.os, raw::Os::Linux);
    assert_eq!(l.os_version, None);
    assert_eq!(
        l.reserved.as_ref().unwrap().memory.unwrap().0,
        2_406_400 * 1024
    );
    assert_eq!(l.max_pods, Some(110));
}

#[test]
fn status_images_make_the_first_pull_a_cache_hit() {
    let imp = import_ok(&["cache", "nodes/nodes.json"], None);
    // Both WS2022 nodes list mcr.microsoft.com/windows/servercore:ltsc2022 in status.images.
    assert_eq!(
        pool(&imp.scenario, "win22").preloaded_images.as_deref(),
        Some(&["mcr.microsoft.com/windows/servercore:ltsc2022".to_string()][..])
    );
    let rows = run(&imp);
    let pods = rows_of(&rows, "build-agent");
    // replicas: 2, selected onto build 10.0.20348: both land on win22 nodes, whose cache
    // already holds every layer of the image, so nothing is pulled: pulled_s = scheduled_s.
    assert_eq!(pods.len(), 2);
    for p in &pods {
        assert_eq!(p["pool"], "win22", "{p:?}");
        assert!(!p["scheduled_s"].is_empty(), "{p:?}");
        assert_eq!(p["pulled_s"], p["scheduled_s"], "{p:?}");
        assert_eq!(p["outcome"], "Ready", "{p:?}");
    }
}

#[test]
fn the_generated_scenario_reads_back_unchanged_and_validates() {
    for paths in [
        vec!["build-mismatch", "nodes/nodes.json"],
        vec!["forgotten-selector", "nodes/nodes.yaml"],
        vec!["runtimeclass"],
        vec!["cache", "nodes/nodes.json"],
    ] {
        let imp = import_ok(&paths, None);
        let back = scenario::parse_raw(&imp.text, "imported.ron").unwrap();
        assert_eq!(back, imp.scenario, "{paths:?}");
        assert!(scenario::validate_raw(&back, &imp.text, "imported.ron").is_ok());
        // Every assumption is in the file as a comment.
        for a in &imp.assumptions {
            let first_word = a.text.split(' ').next().unwrap();
            assert!(imp.text.contains(first_word), "{a}");
        }
        assert!(
            imp.text
                .starts_with("// imported: generated by `hybridsim import`")
        );
    }
}

#[test]
fn bad_inputs_are_named_by_file_document_and_object() {
    let err = import::import(&options(&["errors", "nodes/nodes.json"], None)).unwrap_err();
    let msgs: Vec<String> = err.0.iter().map(ToString::to_string).collect();
    let f = |name: &str| format!("{FIX}/errors/{name}");
    // bad-yaml.yaml: the flow mapping `{app: broken` opened on line 5 is never closed.
    assert!(
        msgs.iter().any(|m| m.starts_with(&format!(
            "{}: document 1: not valid YAML:",
            f("bad-yaml.yaml")
        )) && m.contains("line 6")),
        "{msgs:#?}"
    );
    // missing-image.yaml: document 2 is Deployment shop/api, whose only container has no image.
    assert!(
        msgs.contains(&format!(
            "{}: document 2 (Deployment/shop/api): spec.template.spec.containers[0].image: \
             missing required field",
            f("missing-image.yaml")
        )),
        "{msgs:#?}"
    );
    // settings.yaml is an application's config: no kind.
    assert!(
        msgs.contains(&format!(
            "{}: document 1: not a Kubernetes object: `kind` is missing",
            f("settings.yaml")
        )),
        "{msgs:#?}"
    );
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
}

#[test]
fn a_user_catalog_in_yaml_or_ron_overrides_the_built_in_one() {
    let yaml = import_ok(
        &["catalog/orders-api.yaml", "nodes/nodes.json"],
        Some("catalog/images.yaml"),
    );
    let ron = import_ok(
        &["catalog/orders-api.yaml", "nodes/nodes.json"],
        Some("catalog/images.ron"),
    );
    assert_eq!(yaml.scenario.images, ron.scenario.images);
    assert_eq!(yaml.scenario.layers, ron.scenario.layers);
    let s = &yaml.scenario;
    let api = s
        .images
        .iter()
        .find(|i| i.name == "contoso.azurecr.io/orders-api:4.2")
        .unwrap();
    // base aspnet:4.8-windowsservercore-ltsc2022 = Server Core base + update, IIS, .NET
    // runtime, ASP.NET (5 catalog layers), plus the image's own layer: 6 layers on 10.0.20348.
    assert_eq!(api.platforms.len(), 1);
    assert_eq!(api.platforms[0].os_version.as_deref(), Some("10.0.20348"));
    assert_eq!(api.platforms[0].layers.len(), 6);
    assert_eq!(
        api.platforms[0].layers[5],
        "contoso.azurecr.io/orders-api:4.2"
    );
    let layer = |n: &str| s.layers.iter().find(|l| l.name == n).unwrap();
    // The user's catalog redefines the Server Core update layer: 700MB / 1GB, not 600MB / 900MB.
    assert_eq!(layer("servercore-ltsc2022-update").size.0, 700_000_000);
    assert_eq!(
        layer("contoso.azurecr.io/orders-api:4.2").size.0,
        30_000_000
    );
    let shipper = s
        .images
        .iter()
        .find(|i| i.name == "contoso.azurecr.io/log-shipper:1.0")
        .unwrap();
    assert_eq!(shipper.platforms.len(), 2);
    assert!(assumed(
        &yaml,
        "image contoso.azurecr.io/orders-api:4.2",
        "user catalog"
    ));
    // Both containers run on the 2 WS2022 nodes: 2 pods, Ready.
    let rows = run(&yaml);
    let pods = rows_of(&rows, "orders-api");
    assert_eq!(pods.len(), 2);
    assert!(pods.iter().all(|p| p["outcome"] == "Ready"), "{pods:?}");
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
}

#[test]
fn the_cli_writes_a_scenario_that_validate_and_run_accept_or_nothing_on_bad_input() {
    let dir = std::env::temp_dir().join(format!("hybridsim-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("cluster.ron");
    let r = bin()
        .arg("import")
        .arg(Path::new(FIX).join("build-mismatch"))
        .arg(Path::new(FIX).join("nodes/nodes.yaml"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(stdout.contains("Assumptions ("), "{stdout}");
    assert!(stdout.contains("wrote "), "{stdout}");
    for cmd in ["validate", "run"] {
        let r = bin().arg(cmd).arg(&out).output().unwrap();
        assert!(
            r.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }

    let bad = dir.join("bad.ron");
    let r = bin()
        .arg("import")
        .arg(Path::new(FIX).join("errors"))
        .arg("-o")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("missing-image.yaml: document 2"));
    assert!(!bad.exists());
    let r = bin()
        .args(["import", "--default-image-size", "lots"])
        .arg(Path::new(FIX).join("nodes"))
        .arg("-o")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(!bad.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_worked_example_of_docs_import_md_runs_as_documented() {
    let imp = import_ok(
        &["example/manifests", "example/nodes.yaml"],
        Some("example/images.yaml"),
    );
    let s = &imp.scenario;
    // nodes.yaml: 2 Ubuntu (system), 2 WS2019 (win19), 2 schedulable WS2022 (win22) and 1
    // cordoned WS2022 node (win22-cordoned).
    let pools: Vec<(&str, u32)> = s.pools.iter().map(|p| (p.name.as_str(), p.count)).collect();
    assert_eq!(
        pools,
        [
            ("system", 2),
            ("win19", 2),
            ("win22", 2),
            ("win22-cordoned", 1)
        ]
    );
    // Five workload objects; the Namespace, ConfigMap and Service are skipped; the HPA of
    // orders-api (autoscaling/v2) is imported onto it.
    assert_eq!(s.workloads.len(), 5);
    assert_eq!(imp.skipped.len(), 3);
    assert!(
        s.workloads
            .iter()
            .any(|w| w.name == "orders-api" && w.hpa.is_some())
    );
    let rows = run(&imp);
    // storefront selects linux: 6 pods on the 2 Linux nodes, nginx runs there.
    let web = rows_of(&rows, "storefront");
    assert_eq!((web.len(), count_in_pool(&web, "system")), (6, 6));
    assert!(web.iter().all(|p| p["outcome"] == "Ready"));
    // intranet (RuntimeClass windows-2022) and orders-api (build selector + toleration) only
    // fit the schedulable WS2022 nodes, where their ltsc2022-based images run.
    for w in ["intranet", "orders-api"] {
        let pods = rows_of(&rows, w);
        assert_eq!(count_in_pool(&pods, "win22"), pods.len(), "{w}");
        assert!(
            pods.iter().all(|p| p["outcome"] == "Ready"),
            "{w}: {pods:?}"
        );
    }
    // legacy-portal (ltsc2019 image, os selector and the taint's toleration) may land on either
    // Windows build: Ready on 17763 hosts, ErrImagePull on 20348 hosts (no entry for 20348).
    let legacy = rows_of(&rows, "legacy-portal");
    assert_eq!(legacy.len(), 4);
    for p in &legacy {
        match p["pool"].as_str() {
            "win19" => assert_eq!(p["outcome"], "Ready", "{p:?}"),
            "win22" => assert_eq!(p["reason"], "ErrImagePull", "{p:?}"),
            other => panic!("legacy-portal on {other}"),
        }
    }
    // The exporter tolerates os=windows and, as a DaemonSet, the cordon: all 5 Windows nodes.
    assert_eq!(rows_of(&rows, "windows-exporter").len(), 5);
}

#[test]
fn kubectl_get_all_output_imports_each_workload_once() {
    let imp = import_ok(&["owned", "nodes/nodes.json"], None);
    let s = &imp.scenario;
    // The ReplicaSet belongs to Deployment tools/web and the first Pod to that ReplicaSet, so
    // both are skipped; the bare Pod debug/web shares the name `web` with the Deployment, so
    // both take their namespace: tools-web and debug-web.
    let names: Vec<(&str, u32)> = s
        .workloads
        .iter()
        .map(|w| (w.name.as_str(), w.replicas))
        .collect();
    assert_eq!(names, [("tools-web", 2), ("cache", 3), ("debug-web", 1)]);
    let skipped: Vec<&str> = imp.skipped.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "ReplicaSet/tools/web-5d4f8c7b9",
            "Pod/tools/web-5d4f8c7b9-x7k2p"
        ]
    );
    assert!(assumed(
        &imp,
        "StatefulSet/tools/cache",
        "imported as a Deployment"
    ));
    // A Pod without ownerReferences is a bare Pod: kind Pod, never recreated.
    assert!(assumed(&imp, "Pod/debug/web", "imported as a Pod"));
    // The StatefulSet selects beta.kubernetes.io/os, so the pools keep that label (on every
    // pool, since every node carries it) and the pods still find the Linux node.
    assert_eq!(
        pool(s, "system")
            .labels
            .get("beta.kubernetes.io/os")
            .map(String::as_str),
        Some("linux")
    );
    let rows = run(&imp);
    let cache = rows_of(&rows, "cache");
    assert_eq!(cache.len(), 3);
    assert!(
        cache
            .iter()
            .all(|p| p["pool"] == "system" && p["outcome"] == "Ready")
    );
}

// Hostile and careless input (issue 11 item 7): each is refused with its position, fast, and
// never reaches the YAML parser or the generated scenario.

fn read_one(file: &str, bytes: &[u8]) -> (import::k8s::Documents, Vec<String>) {
    let mut docs = import::k8s::Documents::default();
    let mut errs = Vec::new();
    import::k8s::read_bytes(file, bytes, &mut docs, &mut errs);
    (docs, errs.iter().map(ToString::to_string).collect())
}

#[test]
fn a_node_list_given_twice_is_refused_instead_of_doubling_every_pool() {
    let err =
        import::import(&options(&["nodes/nodes.json", "nodes/nodes.json"], None)).unwrap_err();
    let msgs: Vec<String> = err.0.iter().map(ToString::to_string).collect();
    // The first item of nodes.json is node aks-system-12345678-vmss000000; its second reading
    // is document 1, item 1 of the second path.
    let f = format!("{FIX}/nodes/nodes.json");
    let want = format!(
        "{f}: document 1, item 1 (Node/aks-system-12345678-vmss000000): \
         Node/aks-system-12345678-vmss000000 is given twice (first in {f}: document 1, item 1); \
         a cluster has one object per kind, namespace and name, so remove one of them"
    );
    assert!(msgs.contains(&want), "{msgs:#?}");
}

#[test]
fn a_200000_deep_flow_nesting_is_refused_within_a_second() {
    // 200,000 `[` on line 1: far above the 100 levels allowed, found by a linear scan.
    let text = format!("a: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let t = std::time::Instant::now();
    let (docs, errs) = read_one("deep.yaml", text.as_bytes());
    assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
    assert!(docs.objects.is_empty());
    assert_eq!(
        errs,
        [
            "deep.yaml: line 1: nested more than 100 levels deep; a Kubernetes object nests about \
          15, so this is not a manifest (the YAML parser is not run on it)"
        ]
    );
}

#[test]
fn an_alias_bomb_is_refused_within_a_second() {
    // Nine levels of nine aliases each: 9⁹ ≈ 387 million strings if expanded. The parser's
    // own limit (alias jumps ≤ 100 × the document's events) stops this one.
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    let t = std::time::Instant::now();
    let (docs, errs) = read_one("bomb.yaml", text.as_bytes());
    assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
    assert!(docs.objects.is_empty());
    assert_eq!(
        errs,
        ["bomb.yaml: document 1: not valid YAML: repetition limit exceeded"]
    );
}

#[test]
fn a_wide_alias_bomb_is_refused_by_the_value_budget_within_a_second() {
    // One anchor of 3,000 strings, aliased 3,000 times: few enough jumps for the parser's
    // limit, but 9 million values; the budget is one value per byte of the text plus 10⁶.
    let n = 3000;
    let text = format!(
        "a: &a [{}]\nb: [{}]\n",
        vec!["x"; n].join(","),
        vec!["*a"; n].join(",")
    );
    let budget = text.len() as u64 + 1_000_000;
    let t = std::time::Instant::now();
    let (docs, errs) = read_one("wide.yaml", text.as_bytes());
    assert!(t.elapsed().as_secs_f64() < 1.0, "{:?}", t.elapsed());
    assert!(docs.objects.is_empty());
    assert_eq!(errs.len(), 1, "{errs:#?}");
    // The parser prefixes the path where the budget ran out (`b[337][670]: `).
    assert!(
        errs[0].starts_with("wide.yaml: document 1: not valid YAML: b[")
            && errs[0].contains(&format!(
                "the document expands to more than {budget} values, more than its text holds: \
                 YAML aliases repeat large nodes (an alias bomb?)"
            )),
        "{errs:#?}"
    );
}

#[test]
fn brackets_and_quotes_inside_scalars_do_not_count_as_nesting() {
    // A script with unbalanced brackets in a plain scalar, a quoted one and a comment: the
    // only nesting is the flow sequence `[a, [b]]` (2) inside the block sequence
    // entry `- ` (1), on line 5.
    let text = "args: echo [[[[ *x\nb: \"{{{{{\"\n# [[[[[\nc:\n- [a, [b]]\n";
    let scan = import::k8s::scan(text);
    assert_eq!((scan.depth, scan.depth_line), (3, 5));
}

#[test]
fn a_byte_order_mark_is_dropped() {
    let text = "\u{feff}apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n";
    let (docs, errs) = read_one("bom.yaml", text.as_bytes());
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(docs.objects[0].id.to_string(), "Node/n1");
}

#[test]
fn invalid_utf8_is_reported_with_its_byte_offset_and_line() {
    // "apiVersion: v1\n" is 15 bytes, "kind: Node\n" 11, "metadata:\n" 10, "  name: caf" 11:
    // the Latin-1 é (0xe9) is byte 47 (0-based), on line 4, column 12.
    let bytes = b"apiVersion: v1\nkind: Node\nmetadata:\n  name: caf\xe9\n";
    let (_, errs) = read_one("latin1.yaml", bytes);
    assert_eq!(
        errs,
        [
            "latin1.yaml: not valid UTF-8: byte 47 (line 4, column 12) is 0xe9; save the file as \
          UTF-8"
        ]
    );
}

#[test]
fn a_newline_in_a_name_is_refused_at_the_manifest() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"web\\nx\"\n";
    let (docs, errs) = read_one("nl.yaml", text.as_bytes());
    assert!(docs.objects.is_empty());
    assert_eq!(
        errs,
        [
            "nl.yaml: document 1 (Deployment/default/web\\nx): metadata.name \"web\\nx\" contains \
          the control character '\\n', which no Kubernetes name may hold"
        ]
    );
}
