//! Per-variant time series of compare (issue 17 item 2): a run's series sampled from a tiny
//! scenario whose node and pod times are derived by hand, thinning to at most 240 points, the
//! aggregation over seeds into `variant_timeseries.csv` checked by hand on two runs,
//! `unschedulable_then_bound` in summary.json, and shard format 3 round-tripping the series.

mod common;
use common::*;
use hybridsim::experiment::series::{self, MAX_POINTS, RunSeries, SERIES};
use hybridsim::experiment::shard::{self, FORMAT, ShardFile};
use hybridsim::experiment::{GroupMeta, PlanMeta, PodSample, RunRecord};
use hybridsim::report::Summary;
use hybridsim::report::rows::VariantSeries;

/// An empty Linux pool and an empty Windows pool (tainted os=windows), both autoscaled, with a
/// Windows pod that fits a Windows node once one is added and a Linux pod of 5 cores that no
/// node of either pool can hold (4-core nodes).
fn waits_for_a_node(duration: &str, sample: &str) -> String {
    format!(
        r#"Scenario(name: "t", duration: "{duration}", sample_interval: "{sample}",
    pools: [
        (name: "lin", os: Linux, cpu: "4", memory: "16Gi", count: 0,
            autoscale: (min: 0, max: 3), provisioning: Fixed("2m")),
        (name: "win", os: Windows, os_version: "10.0.20348.2340", cpu: "4", memory: "16Gi",
            count: 0, autoscale: (min: 0, max: 3), provisioning: Fixed("5m"),
            taints: [(key: "os", value: "windows", effect: NoSchedule)]),
    ],
    layers: [(name: "l", size: "10MB"), (name: "w", size: "10MB")],
    images: [
        (name: "lin:1", platforms: [(os: Linux, layers: ["l"])]),
        (name: "win:1", platforms: [(os: Windows, os_version: "10.0.20348.2340", layers: ["w"])]),
    ],
    workloads: [
        (name: "w", template: (containers: [(image: "win:1", cpu: "1")],
            node_selector: {{"kubernetes.io/os": "windows"}},
            tolerations: [(key: "os", value: "windows", effect: NoSchedule)])),
        (name: "big", template: (containers: [(image: "lin:1", cpu: "5")],
            node_selector: {{"kubernetes.io/os": "linux"}})),
    ],
)"#
    )
}

fn column<'a>(s: &'a RunSeries, name: &str) -> &'a [u32] {
    let i = SERIES
        .iter()
        .position(|n| *n == name)
        .expect("a series name");
    &s.values[i]
}

#[test]
fn a_runs_series_count_nodes_and_waiting_pods_at_each_sample() {
    let (spec, out) = run(&waits_for_a_node("10m", "60s"));
    // Premise (tests/autoscaling.rs derives it): the Windows pod is Unschedulable at 0 s, the
    // scan at 10 s adds one Windows node, Fixed 5 min provisioning makes it Ready at 310 s and
    // the pod is bound then; a 10 MB pull and the start take seconds, so it is Ready after the
    // 300 s sample and before the 360 s one.
    let w = pod(&spec, &out, "w-0");
    assert_eq!(w.scheduled, Some(310_000));
    let ready = w.ready.expect("the Windows pod becomes Ready");
    assert!(ready > 300_000 && ready < 360_000, "{ready}");
    let s = RunSeries::of_run(&spec, &out);
    // Samples every 60 s from 0 to 600 s: 11 points, under the cap, all kept.
    let times: Vec<u64> = (0..=10).map(|i| i * 60_000).collect();
    assert_eq!(s.times_ms, times);
    assert_eq!(s.values.len(), SERIES.len());
    // The Windows node is provisioning from the scan at 10 s until 310 s: at 60…300 s (5
    // samples), Ready from 360 s on (5 samples). No Linux node: the 5-core pod fits no node of
    // the Linux template, so the autoscaler adds none.
    assert_eq!(
        column(&s, "nodes_provisioning.windows"),
        [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        column(&s, "nodes_ready.windows"),
        [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    );
    assert_eq!(column(&s, "nodes_ready.linux"), [0; 11]);
    assert_eq!(column(&s, "nodes_provisioning.linux"), [0; 11]);
    // Waiting = created (0 s) ≤ t < Ready (between 300 and 360 s): 0…300 s for the Windows
    // pod (its selector says windows); the Linux pod (selector linux) waits all run long.
    assert_eq!(
        column(&s, "pods_waiting.windows"),
        [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    );
    assert_eq!(column(&s, "pods_waiting.linux"), [1; 11]);
    // Both pods name their OS: nothing is left for `unknown`.
    assert_eq!(column(&s, "pods_waiting.unknown"), [0; 11]);
}

#[test]
fn a_long_run_keeps_at_most_240_points_every_kth_sample_from_the_first() {
    // 10 s samples for 2,390 s: 0, 10, …, 2,390 = 240 samples, exactly the cap: all kept.
    let (spec, out) = run(&waits_for_a_node("2390s", "10s"));
    assert_eq!(MAX_POINTS, 240);
    let s = RunSeries::of_run(&spec, &out);
    assert_eq!(s.times_ms.len(), 240);
    assert_eq!(s.times_ms.last(), Some(&2_390_000));
    // 2,400 s: 241 samples; the smallest stride that fits is ⌈241 / 240⌉ = 2, keeping samples
    // 0, 2, …, 240, i.e. 0, 20, …, 2,400 s: ⌈241 / 2⌉ = 121 points.
    let (spec, out) = run(&waits_for_a_node("2400s", "10s"));
    let s = RunSeries::of_run(&spec, &out);
    let times: Vec<u64> = (0..=120).map(|i| i * 20_000).collect();
    assert_eq!(s.times_ms, times);
    // On the kept times the counts are those of those instants: the Windows pod waits from 0
    // until it is Ready between 300 and 320 s (bound at 310 s, a pull and start of seconds,
    // checked above), so at 0, 20, …, 300 s (16 points) and not from 320 s; the node is
    // provisioning at 20…300 s (15 points: the scan that adds it is at 10 s).
    let ready = pod(&spec, &out, "w-0").ready.unwrap();
    assert!(ready > 300_000 && ready < 320_000, "{ready}");
    let waiting = column(&s, "pods_waiting.windows");
    assert_eq!(&waiting[..16], &[1; 16]);
    assert!(waiting[16..].iter().all(|&v| v == 0));
    let prov = column(&s, "nodes_provisioning.windows");
    assert_eq!(prov[0], 0);
    assert_eq!(&prov[1..16], &[1; 15]);
    assert!(prov[16..].iter().all(|&v| v == 0));
}

#[test]
fn a_pod_unschedulable_until_a_node_arrives_counts_as_bound_later_and_one_never_bound_does_not() {
    let (spec, out) = run(&waits_for_a_node("10m", "60s"));
    let summary = Summary::new(&spec, &out);
    // Both pods were Unschedulable at 0 s (no node at all). The Windows pod was bound at 310 s
    // to the node the autoscaler added; the 5-core Linux pod fits no node and is never bound.
    // So failures.Unschedulable = 2 and unschedulable_then_bound = 1.
    assert_eq!(summary.failures.get("Unschedulable"), Some(&2));
    assert_eq!(summary.unschedulable_then_bound, 1);
    assert!(pod(&spec, &out, "big-0").scheduled.is_none());
    let json: serde_json::Value = serde_json::to_value(&summary).unwrap();
    assert_eq!(json["unschedulable_then_bound"], 1);
}

/// One group (`v`) of two seeds, and a record per seed with hand-made series.
fn two_runs() -> (PlanMeta, Vec<RunRecord>) {
    let meta = PlanMeta {
        scenario: "t".into(),
        scenario_hash: "0".into(),
        params: vec![],
        groups: vec![GroupMeta {
            variant: "v".into(),
            description: String::new(),
            params: vec![],
        }],
        seeds: vec![1, 2],
        slo: vec![],
    };
    let series = |vals: [[u32; 3]; 7]| RunSeries {
        times_ms: vec![0, 60_000, 120_000],
        values: vals.iter().map(|v| v.to_vec()).collect(),
    };
    // SERIES order: ready lin, ready win, prov lin, prov win, waiting lin, win, unknown.
    let a = series([[3, 3, 3], [0, 2, 4], [0; 3], [0; 3], [0; 3], [0; 3], [0; 3]]);
    let b = series([[3, 3, 3], [2, 2, 8], [0; 3], [0; 3], [0; 3], [0; 3], [0; 3]]);
    let rec = |index, series| RunRecord {
        index,
        metrics: vec![("apps.pods".into(), Some(1.0))],
        pods: PodSample::default(),
        series,
    };
    (meta, vec![rec(0, a), rec(1, b)])
}

#[test]
fn the_variant_series_are_the_mean_over_seeds_with_a_t_interval_and_the_range() {
    let (meta, records) = two_runs();
    let vs = series::aggregate(&meta, &records, 0.95);
    // pods_waiting.unknown is 0 in every run: left out, so 6 series × 3 times = 18 rows.
    assert_eq!(vs.rows.len(), 18);
    assert!(vs.rows.iter().all(|r| r.series != "pods_waiting.unknown"));
    let win: Vec<_> = vs
        .rows
        .iter()
        .filter(|r| r.series == "nodes_ready.windows")
        .collect();
    let cells: Vec<_> = win
        .iter()
        .map(|r| {
            (
                r.time_s.0,
                r.runs,
                r.mean.get(),
                r.lo.0,
                r.hi.0,
                r.min.get(),
                r.max.get(),
            )
        })
        .collect();
    // Windows nodes Ready, seed 1 then seed 2: (0, 2), (2, 2), (4, 8).
    // t = 0: mean 1; sd √2; t(0.975, 1) = 12.7062047 (published tables); half-width
    //   12.7062047 × √2 / √2 = 12.7062047 → [−11.706205, 13.706205] (6 decimals); range 0…2.
    // t = 60 s: both 2: sd 0, the interval is the point [2, 2].
    // t = 120 s: mean 6; sd 2√2; half-width 12.7062047 × 2√2 / √2 = 25.4124094 →
    //   [−19.412409, 31.412409]; range 4…8.
    assert_eq!(
        cells,
        vec![
            (0, 2, 1.0, Some(-11.706205), Some(13.706205), 0.0, 2.0),
            (60_000, 2, 2.0, Some(2.0), Some(2.0), 2.0, 2.0),
            (120_000, 2, 6.0, Some(-19.412409), Some(31.412409), 4.0, 8.0),
        ]
    );
    // The file holds the same and reads back into the same rows.
    let bytes = vs.write().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("variant,series,time_s,runs,mean,lo,hi,min,max\n"),
        "{text}"
    );
    assert_eq!(VariantSeries::read(&bytes).unwrap(), vs);
}

#[test]
fn a_shard_of_format_3_keeps_the_series_and_a_format_2_shard_is_refused_by_name() {
    let (meta, records) = two_runs();
    let d = std::env::temp_dir().join(format!("hybridsim-variant-series-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let path = d.join(shard::file_name(0, 1));
    let file = ShardFile::new(&meta, 0, 1, &records);
    std::fs::write(&path, file.to_bytes().unwrap()).unwrap();
    // Written and merged back (the only shard of 1): the plan and every record, series
    // included, equal what was written.
    let (plan, back) = shard::merge(std::slice::from_ref(&path)).unwrap();
    assert_eq!(plan, meta);
    assert_eq!(back, records);
    assert_eq!(FORMAT, 3);
    // A shard written before the series (format 2: no `series` in its records) is refused
    // with its format named, not with a missing-field parse error.
    let mut j: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    j["format"] = serde_json::json!(2);
    for r in j["records"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("series");
    }
    let old = d.join("old.json");
    std::fs::write(&old, serde_json::to_vec(&j).unwrap()).unwrap();
    let err = shard::merge(std::slice::from_ref(&old)).unwrap_err();
    assert_eq!(
        err,
        format!(
            "{}: shard format 2 is not the supported format 3; rerun the shard with this \
             hybridsim",
            old.display()
        )
    );
    std::fs::remove_dir_all(&d).ok();
}
