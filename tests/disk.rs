//! A node's disk: image garbage collection, pulls that do not fit, DiskPressure and its
//! evictions, end to end through whole runs. Every expected time and count is derived in a
//! comment from the kubelet's rules (k/k `pkg/kubelet/images/image_gc_manager.go`,
//! `pkg/kubelet/eviction/`) as docs/scenario-format.md states them.

mod common;
use common::*;
use hybridsim::model::cluster::Termination;
use hybridsim::report::summary::Summary;

const GB: u64 = 1_000_000_000;

/// One Windows node with a 100 GB disk of which the OS takes 20 GB: 80 GB for images. Five
/// images of one layer each, 10 GB compressed and 10 GB unpacked: 20 GB on disk each, so four
/// fill the disk. Downloads at 1 GB/s take 10 s.
fn one_node(kubelet: &str, extraction: &str, workloads: &str, timeline: &str, dur: &str) -> String {
    format!(
        r#"Scenario(
    name: "disk",
    duration: "{dur}",
    kubelet: ({kubelet}),
    pools: [(name: "win", os: Windows, os_version: "10.0.20348.1", cpu: "16", memory: "64Gi",
             count: 1, disk: "100GB", os_disk: "20GB", pull_bandwidth: "1GB/s",
             extraction_rate: "{extraction}")],
    layers: [
        (name: "la", size: "10GB"), (name: "lb", size: "10GB"), (name: "lc", size: "10GB"),
        (name: "ld", size: "10GB"), (name: "le", size: "10GB"),
    ],
    images: [
        (name: "a:1", platforms: [(os: Windows, layers: ["la"])]),
        (name: "b:1", platforms: [(os: Windows, layers: ["lb"])]),
        (name: "c:1", platforms: [(os: Windows, layers: ["lc"])]),
        (name: "d:1", platforms: [(os: Windows, layers: ["ld"])]),
        (name: "e:1", platforms: [(os: Windows, layers: ["le"])]),
    ],
    workloads: [{workloads}],
    timeline: [{timeline}],
)"#
    )
}

fn deployment(name: &str, image: &str, created: &str) -> String {
    format!(
        r#"(name: "{name}", replicas: 1, created_at: {created},
            template: (containers: [(image: "{image}")])),"#
    )
}

#[test]
fn image_gc_frees_the_least_recently_used_old_enough_image_and_a_pull_that_does_not_fit_waits_for_it()
 {
    // Hard eviction off (0 %), so only image GC acts.
    let workloads = [
        deployment("wa", "a:1", "Some(\"0s\")"),
        deployment("wb", "b:1", "Some(\"0s\")"),
        deployment("wc", "c:1", "Some(\"0s\")"),
        deployment("wd", "d:1", "Some(\"0s\")"),
        deployment("we", "e:1", "None"),
        deployment("wa2", "a:1", "None"),
    ]
    .concat();
    let timeline = r#"(at: "100s", action: Delete(workload: "wa")),
        (at: "100s", action: Delete(workload: "wb")),
        (at: "150s", action: Create(workload: "we")),
        (at: "800s", action: Create(workload: "wa2")),"#;
    let text = one_node(
        "eviction_nodefs_available: 0, eviction_imagefs_available: 0",
        "1GB/s",
        &workloads,
        timeline,
        "1000s",
    );
    let (spec, out) = run(&text);
    let p = |n: &str| pod(&spec, &out, n);
    // Serialized pulls, 10 s download + 10 s extraction each: a 0–20 s, b 20–40, c 40–60,
    // d 60–80. The disk is then full: 20 + 4 × 20 = 100 GB.
    assert_eq!(p("wd-0").pulled, Some(80_000));
    // wa and wb go at 100 s; their images stay. we binds at 150 s: e needs 20 GB, 0 are free,
    // so the pull fails at once (no space left on device) and backs off 10, 20, 40, 80, 160,
    // 300 s: failures at 150, 160, 180, 220, 300, 460 s, next try at 760 s.
    // GC passes run every 5 min from the node's start (0 s). At 0 s nothing is on disk. At
    // 300 s usage is 100 % ≥ 85: free 100 × 20 % − 0 = 20 GB. Detection first sees a–d now
    // (firstDetected 300 s), so none is 2 min old: nothing is freed, a failed pass. At 600 s:
    // c, d are in use (lastUsed 600 s); a and b were never seen in use and were detected
    // together, so the tie goes by image order: a goes, 20 GB counted ≥ 20 GB, the pass stops.
    // At 760 s e fits (60 + 20 = 80 GB of 80): 760 + 10 + 10 = 780 s.
    assert_eq!(p("we-0").pulled, Some(780_000));
    // wa2 binds at 800 s and needs a again: the disk is full (b, c, d, e). Failures at 800,
    // 810, 830, 870 s, next try at 950 s. The 900 s pass frees 20 GB: b (never used, detected
    // 300 s) before c, d, e (in use). At 950 s a is pulled again: 950 + 20 = 970 s.
    assert_eq!(p("wa2-0").pulled, Some(970_000));
    let s = Summary::new(&spec, &out);
    let d = &s.disk["win"];
    assert_eq!(d.images_collected, 2, "a at 600 s, b at 900 s");
    assert_eq!(d.bytes_collected, 40 * GB);
    assert_eq!(d.gc_failures, 1, "the 300 s pass");
    assert_eq!(d.pulls_disk_full, 6 + 4);
    // Downloads: a, b, c, d, e, and a again (10 GB each); the last one is a re-pull.
    assert_eq!(d.bytes_pulled, 60 * GB);
    assert_eq!(d.bytes_repulled, 10 * GB);
    assert_eq!(d.evictions, 0);
    assert_eq!(d.peak_disk_used, 100 * GB);
    let m = p("we-0").message;
    assert!(
        m.is_none(),
        "we-0 recovered: its reason is cleared once Ready"
    );
}

#[test]
fn a_full_disk_brings_disk_pressure_evictions_one_every_10s_then_reclaim_and_the_taint_lifts_5_min_later()
 {
    // Default thresholds (evict below 15 % available). Pulls of 10 s download + 2.5 s
    // extraction (4 GB/s): a 0–12.5 s, b 12.5–25, c 25–37.5; d starts at 37.5 s and its 20 GB
    // count from then: 100 GB used, 0 available.
    let workloads = [
        deployment("wa", "a:1", "Some(\"0s\")"),
        deployment("wb", "b:1", "Some(\"0s\")"),
        deployment("wc", "c:1", "Some(\"0s\")"),
        deployment("wd", "d:1", "Some(\"0s\")"),
    ]
    .concat();
    let text = one_node("", "4GB/s", &workloads, "", "480s");
    let (spec, out) = run(&text);
    let p = |n: &str| pod(&spec, &out, n);
    // The eviction manager looks every 10 s from 0 s. At 40 s available (0) < 15 %: the node
    // has DiskPressure. Reclaim first: a, b, c are first detected now and in use, nothing goes.
    // Then one pod is evicted per pass, all of priority 0, oldest first: wa-0 at 40 s, wb-0 at
    // 50 s, wc-0 at 60 s, wd-0 at 70 s, each ending at once (hard eviction, no grace).
    for (name, at) in [
        ("wa-0", 40_000),
        ("wb-0", 50_000),
        ("wc-0", 60_000),
        ("wd-0", 70_000),
    ] {
        let pod = p(name);
        assert_eq!(
            pod.termination.map(|t| t.0),
            Some(Termination::Evicted),
            "{name}"
        );
        assert_eq!(pod.ended, Some(at), "{name}");
        let m = pod.termination.map(|t| out.messages.get(t.1).to_string());
        assert_eq!(
            m.as_deref(),
            Some("The node was low on resource: ephemeral-storage. ")
        );
    }
    // The replacements wait: the node carries node.kubernetes.io/disk-pressure:NoSchedule.
    // From 80 s on no pod is left to evict. At 160 s a, b, c are 2 min old (detected 40 s) and
    // unused: the reclaim removes all three (d, detected at 50 s at the earliest, is not old
    // enough); 40 GB used, 60 % available: no threshold met from then on. DiskPressure lifts
    // 5 min after the threshold was last met (160 s): at the 460 s pass. The replacements bind
    // then.
    assert_eq!(p("wa-1").scheduled, Some(460_000));
    assert_eq!(p("wd-1").scheduled, Some(460_000));
    // wa-1 pulls a again from 460 s: 460 + 10 + 2.5 = 472.5 s; wb-1's pull of b starts then.
    assert_eq!(p("wa-1").pulled, Some(472_500));
    let s = Summary::new(&spec, &out);
    let d = &s.disk["win"];
    assert_eq!(d.evictions, 4);
    assert_eq!(d.pressure_onsets, 1);
    assert_eq!(d.images_collected, 3);
    assert_eq!(d.bytes_collected, 60 * GB);
    assert_eq!(s.terminations["Evicted"], 4);
    // Re-pulls: a (download from 460 s) and b (from 472.5 s), 10 GB each, before the end.
    assert_eq!(d.bytes_repulled, 20 * GB);
}

#[test]
fn bundled_scenarios_with_large_disks_track_no_disk() {
    // quickstart's pools keep the 128 GiB default disk; its OS share plus every layer is far
    // below 84 % of it, so no GC or eviction event runs and the outputs have no disk columns.
    let (spec, out) = run(include_str!("../scenarios/quickstart.ron"));
    assert!(out.disk.iter().all(Option::is_none));
    assert!(Summary::new(&spec, &out).disk.is_empty());
    assert!(out.rec.samples.iter().all(|s| s.disk_used.is_empty()));
}

/// `hybridsim validate` on `text`: (exit code, stderr with the file's path shortened to
/// `name`).
fn validate(name: &str, text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("hybridsim-disk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hybridsim"))
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    (
        out.status.code().unwrap_or(-1),
        err.replace(&path.display().to_string(), name),
    )
}

#[test]
fn bad_disk_settings_are_errors_with_positions() {
    let cases = [
        (
            "small-disk.ron",
            one_node("", "1GB/s", "", "", "1h")
                .replace(r#"os_disk: "20GB""#, r#"os_disk: "200GB""#),
            "\"200GB\"",
            "pools[0].os_disk: disk (100000000000 bytes) is not larger than what the OS occupies on it (os_disk, \
             200000000000 bytes): nothing is left for images",
        ),
        (
            "default-os.ron",
            one_node("", "1GB/s", "", "", "1h")
                .replace(r#"disk: "100GB", os_disk: "20GB""#, r#"disk: "30GB""#),
            "\"30GB\"",
            "pools[0].disk: disk (30000000000 bytes) is not larger than what the OS occupies on it (os_disk, \
             32000000000 bytes, the default for this OS): nothing is left for images",
        ),
        (
            "gc-order.ron",
            one_node(
                "image_gc_high_threshold: 70, image_gc_low_threshold: 75",
                "1GB/s",
                "",
                "",
                "1h",
            ),
            "75",
            "kubelet.image_gc_low_threshold: expected image_gc_low_threshold (75) below image_gc_high_threshold (70), as the \
             kubelet's validation requires",
        ),
        (
            "gc-range.ron",
            one_node("image_gc_high_threshold: 101", "1GB/s", "", "", "1h"),
            "101",
            "kubelet.image_gc_high_threshold: expected a percentage from 0 to 100, found 101",
        ),
        (
            "evict-range.ron",
            one_node("eviction_imagefs_available: 100", "1GB/s", "", "", "1h"),
            "100)",
            "kubelet.eviction_imagefs_available: expected a percentage of available disk below \
             100, found 100",
        ),
    ];
    for (name, text, needle, message) in cases {
        let (code, err) = validate(name, &text);
        assert_eq!(code, 2, "{name}: {err}");
        let (l, c) = pos_of(&text, needle);
        let want = format!("{name}:{l}:{c}: {message}");
        assert!(
            err.lines().any(|x| x == want),
            "{name}: want\n  {want}\ngot\n{err}"
        );
    }
}
