//! Plots: produced by `run --plots`, `compare --plots` and `plot DIR`, with the expected titles
//! and series, as real PNGs, and identical whichever command drew them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hybridsim"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hybridsim-plots-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn ok(args: &[&str]) {
    let o = bin().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "hybridsim {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(p: &Path) -> String {
    String::from_utf8(read(p)).unwrap()
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The number of `<polyline` elements: plotters draws each line series as one.
fn polylines(svg: &str) -> usize {
    svg.matches("<polyline").count()
}

#[test]
fn run_plots_show_the_startup_cdf_per_os_and_the_timeline_per_pool() {
    let d = tmp("run");
    ok(&[
        "run",
        "scenarios/morning-peak.ron",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    let cdf = text(&d.join("startup_cdf.svg"));
    assert!(cdf.contains("morning-peak (seed 1): startup latency CDF"));
    // morning-peak seed 1: 67 pods, 38 on Linux nodes and 29 on Windows nodes, all Ready
    // (summary.json startup_latency_s counts; 71/41/30 before its HPAs, which have no
    // behavior block, followed the controller's max(2 × current, 4) per sync).
    for panel in [
        "all pods: 67 of 67 Ready",
        "pods on Linux nodes: 38 of 38 Ready",
        "pods on Windows nodes: 29 of 29 Ready",
    ] {
        assert!(cdf.contains(panel), "missing panel title {panel}");
    }
    assert!(cdf.contains("startup latency, created → Ready (s, log scale)"));
    let tl = text(&d.join("timeline.svg"));
    for series in [
        "pending (not bound)",
        "Ready",
        "system Ready",
        "linux-apps Ready",
        "win-apps Ready",
        "win-apps provisioning",
        "time (min)",
    ] {
        assert!(tl.contains(series), "timeline lacks {series}");
    }
    // 4 pod phases + 3 pools Ready; the two autoscaled pools also draw a dashed provisioning
    // line, which plotters writes as many short segments, so at least 7 polylines.
    assert!(polylines(&tl) >= 7, "{}", polylines(&tl));
    // The timeline's legends stand in a strip right of its 1100-px-wide charts, where no line
    // runs: every legend text starts at x >= 1100 (in morning-peak they used to sit inside the
    // plot, over the lines at 380-420 min).
    for name in ["pending (not bound)", "Ready", "win-apps provisioning"] {
        let at = tl
            .find(&format!("\n{name}\n</text>"))
            .unwrap_or_else(|| panic!("no legend text {name}"));
        let tag = &tl[tl[..at].rfind("<text x=\"").unwrap() + 9..];
        let x: u32 = tag[..tag.find('"').unwrap()].parse().unwrap();
        assert!(x >= 1100, "legend {name} at x = {x}, inside the charts");
    }
    for (png, size) in [
        ("startup_cdf.png", (1680, 566)),
        // 1100 for the charts + 260 for the legend strip.
        ("timeline.png", (1360, 800)),
    ] {
        let b = read(&d.join(png));
        assert_eq!(png_size(&b), size, "{png}");
        // Non-trivial: a blank white 1100×800 PNG compresses to a few kB.
        assert!(b.len() > 30_000, "{png} is only {} bytes", b.len());
    }
}

#[test]
fn compare_plots_have_a_line_and_a_bar_per_variant_and_plot_dir_redraws_them_identically() {
    let d = tmp("compare");
    let f = "scenarios/taint-strategies.ron";
    ok(&[
        "compare",
        f,
        "--seeds",
        "3",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    let cdf = text(&d.join("startup_cdf.svg"));
    let variants = [
        "none",
        "node-selector",
        "taints-tolerations",
        "runtimeclass",
        "runtimeclass-build",
        "prepull",
    ];
    // The legend names each variant once (plotters writes SVG text as `>\nTEXT\n</text>`).
    for v in variants {
        assert_eq!(
            cdf.matches(&format!("\n{v}\n</text>")).count(),
            1,
            "legend entry {v}"
        );
    }
    // Each variant's colour (Tableau 10, in plan order) strokes 4 polylines: its legend swatch
    // and one CDF line in each of the three panels (all, Linux, Windows: every variant has pods
    // on both OSes, the web front end on Linux and the apps on Windows).
    for c in ["1F77B4", "FF7F0E", "2CA02C", "D62728", "9467BD", "8C564B"] {
        let n = cdf
            .split("<polyline")
            .skip(1)
            .filter(|p| {
                p.split('>')
                    .next()
                    .unwrap()
                    .contains(&format!("stroke=\"#{c}\""))
            })
            .count();
        assert_eq!(n, 4, "colour #{c}");
    }
    assert!(polylines(&cdf) >= 24);
    let fails = text(&d.join("failures.svg"));
    assert!(fails.contains("taint-strategies: failures by reason (3 seeds)"));
    // Reasons that occur: ErrImagePull (none, node-selector, and the os-only strategies' build
    // mismatch under containerd's matching), Unschedulable (pods waiting for the autoscaler);
    // the others never do.
    for r in ["ErrImagePull", "Unschedulable"] {
        assert!(fails.contains(r), "legend lacks {r}");
    }
    // Every Unschedulable pod here waits for a Windows node the autoscaler adds and is bound
    // then (the stranded pods are ErrImagePull, bound but never started): the bar is the grey
    // "bound later" share only.
    assert!(
        fails.contains("\nUnschedulable, bound later\n</text>"),
        "{fails}"
    );
    assert!(fails.contains("(waited for capacity)"));
    assert!(!fails.contains("never bound"));
    // The per-variant timeline: taints-tolerations and runtimeclass are the same constraints
    // written two ways (identical on every seed, the scenario's header), so runtimeclass is
    // drawn once, as taints-tolerations, and the legend says so.
    let tl = text(&d.join("timeline.svg"));
    assert!(tl.contains("taint-strategies: nodes and waiting pods over time by variant (3 seeds)"));
    assert!(tl.contains("same as taints-tolerations: not drawn"));
    assert_eq!(tl.matches("same as ").count(), 1);
    for panel in [
        "Windows nodes Ready",
        "Windows nodes provisioning (added, not Ready)",
        "Windows app pods waiting (created, not Ready)",
        "Linux app pods waiting (created, not Ready)",
    ] {
        assert!(tl.contains(panel), "timeline lacks {panel}");
    }
    assert!(!fails.contains("CreateContainerError"));
    assert!(!fails.contains("UnsupportedOnWindows"));
    for v in variants {
        assert!(fails.contains(v), "x axis lacks {v}");
    }
    // `plot DIR` redraws from the files alone: byte-identical.
    let before: Vec<Vec<u8>> = [
        "startup_cdf.svg",
        "startup_cdf.png",
        "failures.svg",
        "failures.png",
        "timeline.svg",
        "timeline.png",
    ]
    .iter()
    .map(|n| read(&d.join(n)))
    .collect();
    for n in [
        "startup_cdf.svg",
        "startup_cdf.png",
        "failures.svg",
        "failures.png",
        "timeline.svg",
        "timeline.png",
    ] {
        std::fs::remove_file(d.join(n)).unwrap();
    }
    ok(&["plot", d.to_str().unwrap()]);
    for (i, n) in [
        "startup_cdf.svg",
        "startup_cdf.png",
        "failures.svg",
        "failures.png",
        "timeline.svg",
        "timeline.png",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(read(&d.join(n)), before[i], "{n} differs after `plot`");
    }
}

#[test]
fn plot_refuses_a_directory_without_outputs() {
    let d = tmp("empty");
    std::fs::create_dir_all(&d).unwrap();
    let o = bin().args(["plot", d.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("neither compare.json"));
}

/// Runs `hybridsim ARGS` and returns its exit code and stderr, failing instead of hanging if it
/// has not finished within `limit` (a guard: a regression must fail the suite, not stall it).
fn run_with_timeout(args: &[&str], limit: std::time::Duration) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // The reader thread drains stderr so the child cannot block on a full pipe.
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hybridsim {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}

#[test]
fn plot_refuses_a_non_finite_cell_naming_file_line_and_column_instead_of_hanging() {
    // Before typed rows, `plot` parsed `inf` as a float and plotters' axis code looped forever
    // on the infinite range (hybridsim 0.1 hangs on this very file). Now every timeseries.csv
    // cell is a whole number, seconds or a fixed-decimal number, none of which accepts `inf` or
    // `NaN`: bad input (exit 2) naming the cell. quickstart's timeseries.csv starts with
    // time_s,pending,…; line 3 is the second sample.
    let d = tmp("inf");
    ok(&[
        "run",
        "scenarios/quickstart.ron",
        "--out",
        d.to_str().unwrap(),
        "-q",
    ]);
    let ts = d.join("timeseries.csv");
    let original = text(&ts);
    for (value, column) in [("inf", 1), ("NaN", 0), ("-inf", 7)] {
        let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
        let header: Vec<&str> = lines[0].split(',').collect();
        let name = header[column].to_string();
        let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
        cells[column] = value.to_string();
        lines[2] = cells.join(",");
        std::fs::write(&ts, lines.join("\n") + "\n").unwrap();
        let (code, err) = run_with_timeout(
            &["plot", d.to_str().unwrap()],
            std::time::Duration::from_secs(60),
        );
        assert_eq!(code, Some(2), "{value} in {name}: {err}");
        assert!(
            err.contains(&format!("timeseries.csv: line 3, column `{name}`"))
                && err.contains(&format!("found \"{value}\"")),
            "{value} in {name}: {err}"
        );
    }
    assert!(!d.join("timeline.png").exists(), "a plot was written");
}

#[test]
fn plot_dir_redraws_a_run_identically_from_its_files() {
    // `run --plots` draws the timeline from the rows in memory and the startup CDF from the
    // run's tally of latencies in ms, `plot DIR` from the files read back into the same rows
    // and the same latencies rebuilt from pods.csv: the bytes must agree.
    let d = tmp("redraw");
    ok(&[
        "run",
        "scenarios/morning-peak.ron",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    let names = [
        "startup_cdf.svg",
        "startup_cdf.png",
        "timeline.svg",
        "timeline.png",
    ];
    let before: Vec<Vec<u8>> = names.iter().map(|n| read(&d.join(n))).collect();
    for n in names {
        std::fs::remove_file(d.join(n)).unwrap();
    }
    ok(&["plot", d.to_str().unwrap()]);
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(&read(&d.join(n)), b, "{n} differs after `plot`");
    }
}

/// `<circle` elements of an SVG with their centres (cx, cy).
fn circles(svg: &str) -> Vec<(f64, f64)> {
    let attr = |tag: &str, name: &str| -> f64 {
        let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
    };
    svg.match_indices("<circle")
        .map(|(i, _)| {
            let tag = &svg[i..i + svg[i..].find('>').unwrap()];
            (attr(tag, "cx"), attr(tag, "cy"))
        })
        .collect()
}

#[test]
fn a_startup_slo_is_drawn_on_its_os_panel_by_run_compare_and_plot_dir() {
    // taint-strategies asserts "windows p99 startup < 15m": an upper bound on the Windows p99,
    // so the SLO is 900 s on the Windows panel, with its target at fraction 0.99.
    let d = tmp("slo-run");
    let f = "scenarios/taint-strategies.ron";
    ok(&["run", f, "--out", d.to_str().unwrap(), "--plots", "-q"]);
    let summary: serde_json::Value = serde_json::from_str(&text(&d.join("summary.json"))).unwrap();
    assert_eq!(
        summary["slo"],
        serde_json::json!([{"assertion": "windows p99 startup < 15m", "os": "windows",
                            "stat": "p99", "seconds": 900.0}])
    );
    let cdf = text(&d.join("startup_cdf.svg"));
    // (SVG text escapes `<`.)
    assert!(
        cdf.contains("SLO: windows p99 startup &lt; 15m"),
        "no SLO legend"
    );
    // The run has pods on both OSes: three panels of 560 px, Windows the third (x from 1120).
    // The only circle of a CDF is the SLO's target, so exactly one, in that panel.
    let c = circles(&cdf);
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(
        c[0].0 > 1120.0,
        "target at x = {} is not on the Windows panel",
        c[0].0
    );
    // plot DIR reads the SLO back from summary.json and draws the same bytes.
    let before = read(&d.join("startup_cdf.png"));
    std::fs::remove_file(d.join("startup_cdf.png")).unwrap();
    ok(&["plot", d.to_str().unwrap()]);
    assert_eq!(read(&d.join("startup_cdf.png")), before);

    // compare keeps the SLO in compare.json and draws it on its own Windows panel.
    let d = tmp("slo-compare");
    ok(&[
        "compare",
        f,
        "--seeds",
        "1",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    let agg: serde_json::Value = serde_json::from_str(&text(&d.join("compare.json"))).unwrap();
    assert_eq!(agg["slo"][0]["seconds"], 900.0);
    let c = circles(&text(&d.join("startup_cdf.svg")));
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(c[0].0 > 1120.0, "target at x = {}", c[0].0);

    // A scenario without latency assertions draws no SLO and writes no `slo` key.
    let d = tmp("slo-none");
    ok(&[
        "run",
        "scenarios/morning-peak.ron",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    assert!(!text(&d.join("summary.json")).contains("\"slo\""));
    let cdf = text(&d.join("startup_cdf.svg"));
    assert!(!cdf.contains("SLO:") && circles(&cdf).is_empty());
}

#[test]
fn the_run_timeline_marks_the_timeline_actions_beside_the_charts_and_plot_dir_redraws_them() {
    let d = tmp("actions");
    ok(&[
        "run",
        "scenarios/pool-upgrade.ron",
        "--out",
        d.to_str().unwrap(),
        "--plots",
        "-q",
    ]);
    // pool-upgrade's timeline: Scale at 15 min, UpgradePool at 30 min (its file). summary.json
    // lists them, since the scenario has a lifecycle action.
    let summary = text(&d.join("summary.json"));
    assert!(summary.contains("\"action\": \"UpgradePool win to 10.0.20348.2700\""));
    let tl = text(&d.join("timeline.svg"));
    // The list stands in the legend strip right of the 1100-px charts (x >= 1100), one line
    // per action: number, minutes, label.
    for line in [
        "1  15.0 min  Scale app to 6",
        "2  30.0 min  UpgradePool win to 10.0.20348.2700",
    ] {
        let at = tl
            .find(&format!("{line}\n</text>"))
            .unwrap_or_else(|| panic!("no action line {line}"));
        let tag = &tl[tl[..at].rfind("<text x=\"").unwrap() + 9..];
        let x: u32 = tag[..tag.find('"').unwrap()].parse().unwrap();
        assert!(
            x >= 1100,
            "action line {line} at x = {x}, inside the charts"
        );
    }
    // The strip is 360 px wide with actions (260 without): 1460 × 800.
    assert_eq!(png_size(&read(&d.join("timeline.png"))), (1460, 800));
    // plot DIR redraws the same bytes from the files (the actions come from summary.json).
    let svg = read(&d.join("timeline.svg"));
    let png = read(&d.join("timeline.png"));
    std::fs::remove_file(d.join("timeline.svg")).unwrap();
    std::fs::remove_file(d.join("timeline.png")).unwrap();
    ok(&["plot", d.to_str().unwrap()]);
    assert_eq!(read(&d.join("timeline.svg")), svg);
    assert_eq!(read(&d.join("timeline.png")), png);
}
