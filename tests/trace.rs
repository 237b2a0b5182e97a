//! Trace replay input (docs/traces.md): the hybridsim trace format and its errors, the Alibaba
//! and Google adapters on the bundled samples, and `hybridsim trace convert|summarize|generate`
//! through the binary.

use hybridsim::trace::{TraceCursor, TraceError, TraceOs, TracePod, TraceReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = "tests/fixtures/traces";
const GI: u64 = 1 << 30;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn read_all(path: &Path) -> Vec<TracePod> {
    hybridsim::trace::open(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn parse(csv: &str) -> Result<Vec<TracePod>, TraceError> {
    TraceReader::new(csv.as_bytes(), "t.csv")?.collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_example_trace_reads_into_integer_units() {
    let pods = read_all(&Path::new(FIXTURES).join("example.csv"));
    assert_eq!(pods.len(), 5);
    // Row 1: "0,500m,1Gi,600": arrival 0, 500 millicores, 2^30 bytes, 600 s = 600,000 ms.
    assert_eq!(
        pods[0],
        TracePod {
            arrival_ms: 0,
            cpu_millis: 500,
            memory_bytes: GI,
            duration_ms: 600_000,
            os: Some(TraceOs::Linux),
            image: "nginx:1.27".into(),
            labels: pairs(&[("app", "web")]),
            name: "web-0".into(),
            ..TracePod::default()
        }
    );
    // Row 2: arrival 0.5 s = 500 ms; duration 10m = 600,000 ms.
    assert_eq!((pods[1].arrival_ms, pods[1].duration_ms), (500, 600_000));
    // Row 3: 90s = 90,000 ms; 2 cores = 2000 m; 4Gi = 4 × 2^30; 1h30m = 5,400,000 ms.
    let p = &pods[2];
    assert_eq!(
        (p.arrival_ms, p.cpu_millis, p.memory_bytes, p.duration_ms),
        (90_000, 2000, 4 * GI, 5_400_000)
    );
    assert_eq!((p.priority, p.os), (100, Some(TraceOs::Windows)));
    assert_eq!(p.labels, pairs(&[("app", "iis"), ("tier", "front")]));
    assert_eq!(p.node_selector, pairs(&[("kubernetes.io/os", "windows")]));
    // Row 4: only the required cells; 512Mi = 536,870,912 B; 45.25 s = 45,250 ms; the empty
    // optional cells leave the defaults.
    assert_eq!(
        pods[3],
        TracePod {
            arrival_ms: 90_000,
            cpu_millis: 250,
            memory_bytes: 512 << 20,
            duration_ms: 45_250,
            ..TracePod::default()
        }
    );
    // Row 5: 1.5 cores = 1500 m; 3.1GB = 3,100,000,000 B; 0.001 s = 1 ms; "Linux" in any case.
    let p = &pods[4];
    assert_eq!(
        (p.cpu_millis, p.memory_bytes, p.duration_ms, p.priority),
        (1500, 3_100_000_000, 1, -5)
    );
    assert_eq!(p.os, Some(TraceOs::Linux));
    assert_eq!(p.node_selector, pairs(&[("disktype", "ssd")]));
}

#[test]
fn read_into_reuses_one_pod_and_matches_the_iterator() {
    let path = Path::new(FIXTURES).join("example.csv");
    let mut r = hybridsim::trace::open(&path).unwrap();
    let mut pod = TracePod::default();
    let mut seen = Vec::new();
    while r.read_into(&mut pod).unwrap() {
        seen.push(pod.clone());
    }
    assert_eq!(seen, read_all(&path));
    assert_eq!(r.rows(), 5);
}

#[test]
fn the_cursor_shows_the_next_arrival_then_hands_over_the_pod() {
    let path = Path::new(FIXTURES).join("example.csv");
    let mut c = TraceCursor::new(hybridsim::trace::open(&path).unwrap());
    // Arrivals of example.csv: 0, 0.5 s, 90 s, 90 s, 120 s. Peeking does not consume.
    assert_eq!(c.next_arrival_ms().unwrap(), Some(0));
    assert_eq!(c.next_arrival_ms().unwrap(), Some(0));
    let mut pod = TracePod::default();
    let mut arrivals = Vec::new();
    while let Some(t) = c.next_arrival_ms().unwrap() {
        assert!(c.pop_into(&mut pod).unwrap());
        assert_eq!(pod.arrival_ms, t);
        arrivals.push(t);
    }
    assert_eq!(arrivals, vec![0, 500, 90_000, 90_000, 120_000]);
    assert!(!c.pop_into(&mut pod).unwrap());
    assert_eq!(
        pod.name, "batch-7",
        "the last pod stays in place at the end"
    );
    assert_eq!(c.rows(), 5);
}

#[test]
fn the_cursor_reports_a_bad_row_when_it_reaches_it() {
    let csv = "arrival,cpu,memory,duration\n0,1,1Gi,60\n5,1,1Gi,-30\n";
    let mut c = TraceCursor::new(TraceReader::new(csv.as_bytes(), "t.csv").unwrap());
    assert_eq!(c.next_arrival_ms().unwrap(), Some(0));
    assert!(c.pop_into(&mut TracePod::default()).unwrap());
    let e = c.next_arrival_ms().unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (3, Some("duration")));
}

#[test]
fn a_byte_order_mark_before_the_header_is_ignored() {
    let pods = parse("\u{feff}arrival,cpu,memory,duration\n1,1,1Gi,1\n").unwrap();
    assert_eq!(pods[0].arrival_ms, 1000);
}

/// (case, file, line, column, what the message must say)
const BAD: &[(&str, &str, u64, Option<&str>, &str)] = &[
    (
        "a negative duration is refused",
        "arrival,cpu,memory,duration\n0,1,1Gi,60\n5,1,1Gi,-30\n",
        3,
        Some("duration"),
        "`-30` is negative",
    ),
    (
        "a header without a required column names it",
        "arrival,cpu,duration\n0,1,60\n",
        1,
        None,
        "lacks the required column `memory`",
    ),
    (
        "an unparsable quantity says what was expected",
        "arrival,cpu,memory,duration\n0,2 cores,1Gi,60\n",
        2,
        Some("cpu"),
        "expected CPU such as",
    ),
    (
        "a size with an unknown unit says what was expected",
        "arrival,cpu,memory,duration\n0,1,3 parsecs,60\n",
        2,
        Some("memory"),
        "expected a size such as",
    ),
    (
        "a row out of arrival order names both lines",
        "arrival,cpu,memory,duration\n10,1,1Gi,60\n12,1,1Gi,60\n11.5,1,1Gi,60\n",
        4,
        Some("arrival"),
        "arrival 11.5 s is before the arrival 12 s of line 3",
    ),
    (
        "a missing cell is a row with too few fields",
        "arrival,cpu,memory,duration\n0,1,1Gi\n",
        2,
        None,
        "expected 4 fields (as in the first line), found 3",
    ),
    (
        "an empty required cell is refused",
        "arrival,cpu,memory,duration\n0,,1Gi,60\n",
        2,
        Some("cpu"),
        "empty; a value is required",
    ),
    (
        "an unknown column is refused with the known ones",
        "arrival,cpu,memroy,memory,duration\n",
        1,
        None,
        "unknown column `memroy`",
    ),
    (
        "an unknown os is refused",
        "arrival,cpu,memory,duration,os\n0,1,1Gi,60,macos\n",
        2,
        Some("os"),
        "expected `linux` or `windows`, found `macos`",
    ),
    (
        "a label without a value is refused",
        "arrival,cpu,memory,duration,labels\n0,1,1Gi,60,app\n",
        2,
        Some("labels"),
        "expected `key=value` pairs",
    ),
    (
        "a priority outside i32 is refused",
        "arrival,cpu,memory,duration,priority\n0,1,1Gi,60,3000000000\n",
        2,
        Some("priority"),
        "expected an integer priority",
    ),
    (
        "a duration with an unknown unit is refused",
        "arrival,cpu,memory,duration\n0,1,1Gi,5y\n",
        2,
        Some("duration"),
        "unknown duration unit `y`",
    ),
    ("an empty file asks for a header", "", 1, None, "empty file"),
];

#[test]
fn bad_rows_are_errors_naming_file_line_and_column() {
    for &(case, csv, line, column, says) in BAD {
        let e = parse(csv).expect_err(case);
        assert_eq!(e.file, "t.csv", "{case}");
        assert_eq!(e.line, line, "{case}: {e}");
        assert_eq!(e.column.as_deref(), column, "{case}: {e}");
        assert!(e.message.contains(says), "{case}: {e}");
    }
}

#[test]
fn the_error_text_reads_file_line_column_message() {
    let e = parse("arrival,cpu,memory,duration\n0,1,1Gi,-30\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv:2: column `duration`: `-30` is negative; expected a duration ≥ 0"
    );
}

#[test]
fn comments_blank_lines_and_equal_arrivals_are_accepted() {
    let pods = parse("# c\narrival,cpu,memory,duration\n\n5,1,1Gi,1\n# mid\n5,1,1Gi,2\n").unwrap();
    assert_eq!(
        pods.iter().map(|p| p.duration_ms).collect::<Vec<_>>(),
        vec![1000, 2000]
    );
}

#[test]
fn a_file_without_line_breaks_fails_without_reading_it_whole() {
    // 4 MiB without a newline: the reader stops once the line passes 1 MiB.
    let mut data = b"arrival,cpu,memory,duration\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 4 << 20));
    let e = TraceReader::new(&data[..], "big.csv")
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(e.message.contains("longer than 1048576 bytes"), "{e}");
}

fn convert(from: &str, input: &str, out: &Path, extra: &[&str]) -> (String, String) {
    let o = bin()
        .args(["trace", "convert", "--from", from])
        .arg(Path::new(FIXTURES).join(input))
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(o.status.success(), "{t:?}");
    t
}

#[test]
fn the_alibaba_sample_converts_task_rows_into_instances() {
    let out = tmp("alibaba.csv");
    let (stdout, _) = convert(
        "alibaba-batch-task",
        "alibaba-batch_task.csv",
        &out,
        &["--node-memory", "100Gi"],
    );
    // 30 rows; skipped: 5 not Terminated (Failed, Running, Waiting, Cancelled, Interrupted),
    // one each with start_time 0, end < start, empty plan_*, instance_num 0. The 21 others
    // carry 4+2+1+3+1+2 + 2+1 + 1+1+1 + 3 + 2+1 + 1 + 6×1 = 32 instances. The earliest kept
    // start_time is 86400 s, moved to 0.
    assert_eq!(
        stdout,
        "read 30 batch_task rows from tests/fixtures/traces/alibaba-batch_task.csv\n\
         skipped 9:\n\
         \x20          1  end_time before start_time\n\
         \x20          1  instance_num empty or 0\n\
         \x20          1  plan_cpu or plan_mem empty\n\
         \x20          1  start_time or end_time 0 (not recorded)\n\
         \x20          5  status is not Terminated\n\
         wrote 32 pods to "
            .to_string()
            + &out.display().to_string()
            + " (arrivals moved 86400 s earlier so the first is 0)\n"
    );
    let pods = read_all(&out);
    assert_eq!(pods.len(), 32);
    // Row 1 `M1,4,j_1001,1,Terminated,86400,86700,100,0.50`: four pods at 0 s running
    // 300 s; plan_cpu 100 = 1 core = 1000 m; plan_mem 0.50 % of 100 Gi = 0.5 Gi.
    for (i, p) in pods[..4].iter().enumerate() {
        assert_eq!(p.name, format!("j_1001-M1-{i}"));
        assert_eq!(
            (p.arrival_ms, p.duration_ms, p.cpu_millis, p.memory_bytes),
            (0, 300_000, 1000, GI / 2)
        );
        assert_eq!(p.os, Some(TraceOs::Linux));
    }
    // Next by arrival: j_1013 M1 at 86401 s → 1 s, then row 3
    // `M1,1,j_1002,1,Terminated,86405,90005,400,3.13` at 5 s: 3600 s, 400 → 4000 m, 3.13 % of
    // 100 Gi = 3.13 × 2^30 = 3,221,225,472 + 139,586,437.12 = 3,360,811,909.12 B → 3,360,811,909.
    assert_eq!(
        (pods[4].name.as_str(), pods[4].arrival_ms),
        ("j_1013-M1-0", 1000)
    );
    let p = &pods[5];
    assert_eq!(p.name, "j_1002-M1-0");
    assert_eq!(
        (p.arrival_ms, p.duration_ms, p.cpu_millis, p.memory_bytes),
        (5000, 3_600_000, 4000, 3_360_811_909)
    );
    // Row 14 `M1,2,j_1011,1,Terminated,86450,86450,25,0.05`: zero duration, 25 → 250 m.
    let p = pods.iter().find(|p| p.name == "j_1011-M1-1").unwrap();
    assert_eq!(
        (p.arrival_ms, p.duration_ms, p.cpu_millis),
        (50_000, 0, 250)
    );
    // The latest: row 5 `R3_1_2,...,90010,90012,100,0.39` at 90010 − 86400 = 3610 s, 2 s.
    let p = pods.last().unwrap();
    assert_eq!(p.name, "j_1002-R3_1_2-0");
    assert_eq!((p.arrival_ms, p.duration_ms), (3_610_000, 2000));
    assert!(pods.windows(2).all(|w| w[0].arrival_ms <= w[1].arrival_ms));
}

#[test]
fn the_google_sample_converts_finished_job_instances_from_json_and_csv_alike() {
    let (json, csv) = (tmp("google-json.csv"), tmp("google-csv.csv"));
    let scale = ["--node-cpu", "32", "--node-memory", "128Gi"];
    let (stdout, _) = convert(
        "google-instance-events",
        "google-instance_events.json",
        &json,
        &scale,
    );
    convert(
        "google-instance-events",
        "google-instance_events.csv",
        &csv,
        &scale,
    );
    assert_eq!(std::fs::read(&json).unwrap(), std::fs::read(&csv).unwrap());
    // 39 events; six instances do not become pods, one reason each.
    assert_eq!(
        stdout,
        format!(
            "read 39 instance events from tests/fixtures/traces/google-instance_events.json\n\
             skipped 6:\n\
             \x20          1  FINISH after the trace window\n\
             \x20          1  FINISH without an earlier SUBMIT or SCHEDULE\n\
             \x20          1  alloc-set instance (a reservation, not a pod)\n\
             \x20          1  ended by KILL\n\
             \x20          1  ended by LOST\n\
             \x20          1  no FINISH in the trace\n\
             wrote 5 pods to {}\n",
            json.display()
        )
    );
    let pods = read_all(&json);
    let got: Vec<(&str, u64, u64, u64, u64, i32)> = pods
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.arrival_ms,
                p.duration_ms,
                p.cpu_millis,
                p.memory_bytes,
                p.priority,
            )
        })
        .collect();
    // 1.0 = 32 cores = 32,000 m and 128 Gi.
    // 1002-1: SUBMIT 0, SCHEDULE 1000 µs, FINISH 2,500,600 µs → run 2,499,600 µs = 2499.6 ms,
    //   rounded half up to 2500 ms; cpus 0.03125 → 1000 m (the UPDATE_RUNNING to 0.5 is
    //   ignored); memory 0.0078125 × 128 Gi = 1 Gi. It finishes first, so among the two
    //   arrivals at 0 it comes first.
    // 1002-0: SUBMIT 0 at 0.01, UPDATE_PENDING to 0.015625 → 500 m and 1 Gi; SCHEDULE 0,
    //   FINISH 660,000,400 µs → 660,000 ms.
    // 1001-0: SUBMIT 600 s, SCHEDULE 600.5 s, FINISH 1200.5 s → 600 s; 0.0625 → 2000 m,
    //   0.03125 × 128 Gi = 4 Gi; priority 200.
    // 1001-1: first SUBMIT 600 s; scheduled at 700 s, evicted at 800 s, resubmitted and
    //   scheduled at 900 s, FINISH 1500 s → the last run, 600 s.
    // 1004-0: SUBMIT 605 s, FAIL, resubmitted, SCHEDULE 660 s, FINISH 720 s → 60 s;
    //   0.25 → 8000 m, 0.125 × 128 Gi = 16 Gi; priority 103.
    assert_eq!(
        got,
        vec![
            ("1002-1", 0, 2500, 1000, GI, 0),
            ("1002-0", 0, 660_000, 500, GI, 0),
            ("1001-0", 600_000, 600_000, 2000, 4 * GI, 200),
            ("1001-1", 600_000, 600_000, 2000, 4 * GI, 200),
            ("1004-0", 605_000, 60_000, 8000, 16 * GI, 103),
        ]
    );
}

#[test]
fn conversions_that_lack_a_scale_or_meet_bad_rows_exit_2_with_the_place() {
    let out = tmp("never.csv");
    let o = bin()
        .args(["trace", "convert", "--from", "google-instance-events"])
        .arg(Path::new(FIXTURES).join("google-instance_events.json"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("--node-cpu is required"),
        "{:?}",
        text(&o)
    );

    let bad = tmp("bad_batch_task.csv");
    std::fs::write(&bad, "M1,1,j_1,1,Terminated,10,20,1OO,0.5\n").unwrap();
    let o = bin()
        .args(["trace", "convert", "--from", "alibaba-batch-task"])
        .arg(&bad)
        .args(["--node-memory", "64Gi", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o).1,
        format!(
            "{}:1: column `plan_cpu`: expected a number ≥ 0, found `1OO`\n",
            bad.display()
        )
    );
    assert!(!out.exists(), "a failed conversion writes nothing");
}

#[test]
fn google_events_of_one_instance_out_of_time_order_are_an_error_naming_both_lines() {
    let input = tmp("google-disorder.csv");
    // Instance 7-0: SUBMIT at 100 s (line 2), SCHEDULE at 50 s (line 4). Instance 8-0 in
    // between may be earlier: instances interleave freely.
    std::fs::write(
        &input,
        "time,type,collection_id,instance_index,resource_request.cpus,resource_request.memory\n\
         100000000,SUBMIT,7,0,0.1,0.1\n\
         20000000,SUBMIT,8,0,0.1,0.1\n\
         50000000,SCHEDULE,7,0,0.1,0.1\n",
    )
    .unwrap();
    let o = bin()
        .args(["trace", "convert", "--from", "google-instance-events"])
        .arg(&input)
        .args(["--node-cpu", "1", "--node-memory", "1Gi", "-o"])
        .arg(tmp("never-google.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o).1,
        format!(
            "{}:4: column `time`: SCHEDULE at 50000000 µs is earlier than this instance's event \
             at 100000000 µs on line 2; the events of an instance must be in time order (export \
             with ORDER BY time)\n",
            input.display()
        )
    );
}

#[test]
fn a_google_json_line_that_is_not_an_event_is_an_error_with_its_line() {
    let input = tmp("google-bad.json");
    std::fs::write(
        &input,
        "{\"time\":\"0\",\"type\":\"0\",\"collection_id\":\"1\",\"instance_index\":\"0\"}\n\
         {\"time\":\"5\",\"type\":\"SHUTDOWN\",\"collection_id\":\"1\",\"instance_index\":\"0\"}\n",
    )
    .unwrap();
    let o = bin()
        .args(["trace", "convert", "--from", "google-instance-events"])
        .arg(&input)
        .args(["--node-cpu", "1", "--node-memory", "1Gi", "-o"])
        .arg(tmp("never-google-json.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o).1;
    assert!(
        err.starts_with(&format!(
            "{}:2: column `type`: expected an event type 0..=10 or one of SUBMIT",
            input.display()
        )),
        "{err}"
    );
}

#[test]
fn convert_from_hybridsim_sorts_a_trace_stably() {
    let unsorted = tmp("unsorted.csv");
    std::fs::write(
        &unsorted,
        "arrival,cpu,memory,duration,name\n30,1,1Gi,5,c\n10,1,1Gi,5,a\n30,1,1Gi,5,d\n20,1,1Gi,5,b\n",
    )
    .unwrap();
    let out = tmp("sorted.csv");
    let o = bin()
        .args(["trace", "convert", "--from", "hybridsim", "--keep-origin"])
        .arg(&unsorted)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    // Sorted by arrival, c before d (input order) at 30 s; the origin is kept.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "arrival,cpu,memory,duration,name\n10,1,1Gi,5,a\n20,1,1Gi,5,b\n30,1,1Gi,5,c\n30,1,1Gi,5,d\n"
    );
}

#[test]
fn summarize_reports_counts_span_percentiles_and_os_mix() {
    let o = bin()
        .args(["trace", "summarize"])
        .arg(Path::new(FIXTURES).join("example.csv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    // cpu 500 500 2000 250 1500 m → sorted 250 500 500 1500 2000: nearest-rank p50 = 3rd =
    // 500, p90 and p99 = 5th = 2000 (exact below 2048). Memory sorted 512Mi 1Gi 1Gi 3.1GB
    // 4Gi: p50 1Gi; p90 = 4Gi, a histogram edge. Durations sorted 0.001 45.25 600 600 5400 s:
    // p50 = 600 s, p90 = p99 = 5400 s; each of these buckets holds one distinct value, so the
    // percentiles are exact. Work: 0.5×600 + 0.5×600 + 2×5400 + 0.25×45.25 + 1.5×0.001 =
    // 11411.314 core-s / 3600 = 3.17 core-h.
    assert_eq!(
        text(&o).0,
        "tests/fixtures/traces/example.csv: 5 pods\n\
         arrivals: first 0 s, last 120 s, span 120 s\n\
         \x20                  min         p50         p90         p99         max\n\
         cpu               250m        500m           2           2           2\n\
         memory           512Mi         1Gi         4Gi         4Gi         4Gi\n\
         duration        0.001s        600s       5400s       5400s       5400s\n\
         os: linux 3, windows 1, unspecified 1\n\
         priority: -5 .. 100\n\
         cpu requested × duration: 3.2 core-hours\n"
    );
}

#[test]
fn generate_writes_the_same_file_for_the_same_seed() {
    let (a, b) = (tmp("gen-a.csv"), tmp("gen-b.csv"));
    for out in [&a, &b] {
        let o = bin()
            .args(["trace", "generate", "--pods", "5000", "--seed", "42", "-o"])
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{:?}", text(&o));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let pods = read_all(&a);
    assert_eq!(pods.len(), 5000);
    assert_eq!(pods[0].name, "pod-0");
    assert!(
        pods.iter()
            .all(|p| p.cpu_millis == 500 && p.memory_bytes == GI)
    );
}

#[test]
fn the_dataset_names_and_summary_are_accepted_as_spellings_of_the_formats_and_of_summarize() {
    // `--from alibaba-v2018` / `google-2019` name the same adapters as `alibaba-batch-task` /
    // `google-instance-events` (the datasets' own names: cluster-trace-v2018, cluster-data
    // 2019), and `trace summary` is `trace summarize`: byte-identical outputs.
    let cases: [(&str, &str, &str, &[&str]); 2] = [
        (
            "alibaba-batch-task",
            "alibaba-v2018",
            "alibaba-batch_task.csv",
            &["--node-memory", "100Gi"],
        ),
        (
            "google-instance-events",
            "google-2019",
            "google-instance_events.json",
            &["--node-cpu", "32", "--node-memory", "128Gi"],
        ),
    ];
    for (canonical, alias, file, extra) in cases {
        let a = tmp(&format!("{alias}-canonical.csv"));
        let b = tmp(&format!("{alias}-alias.csv"));
        convert(canonical, file, &a, extra);
        convert(alias, file, &b, extra);
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }
    let run = |cmd: &str| {
        bin()
            .args(["trace", cmd])
            .arg(Path::new(FIXTURES).join("example.csv"))
            .output()
            .unwrap()
    };
    let (a, b) = (run("summarize"), run("summary"));
    assert!(b.status.success());
    assert_eq!(a.stdout, b.stdout);
}
