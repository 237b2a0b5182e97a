//! The figures: what each plot shows and how it is laid out (titles, axes, units, legends,
//! colours). Each is drawn the same way on the SVG and the PNG backend.
//!
//! Owns: `CdfFigure`, `FailureFigure`, `TimelineFigure`, `VariantTimelineFigure` and their drawing. Does not own: the
//! numbers in them (`data` builds the figures from typed rows), fonts and PNG text (`glyph`),
//! or encoding (`super`).

use super::glyph::FAMILY;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Tableau 10: distinguishable colours, also in greyscale print order.
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

pub(super) fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

pub type DrawResult = Result<(), String>;

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A figure drawn once per backend.
pub trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

pub(super) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

// ---------------------------------------------------------------------------------------------
// Startup CDF

/// A startup-latency CDF figure: one panel per OS group, one step line per variant.
pub struct CdfFigure {
    pub title: String,
    /// (panel title, lines).
    pub panels: Vec<(String, Vec<Series>)>,
    /// SLO markers: a dashed vertical line at the bound on their panel, and for a percentile
    /// the target point (bound, fraction) the curve must reach.
    pub slo: Vec<SloMark>,
}

/// One startup-latency SLO on one panel of a `CdfFigure`.
#[derive(Clone, Debug, PartialEq)]
pub struct SloMark {
    /// Index into `CdfFigure::panels`.
    pub panel: usize,
    /// The legend text (the assertion as written).
    pub label: String,
    /// The bound (s).
    pub seconds: f64,
    /// The fraction of pods Ready the curve must reach by the bound (none for a mean).
    pub fraction: Option<f64>,
}

/// SLO lines are black and dashed: no series colour of the palette, and readable in grey.
const SLO_COLOR: RGBColor = BLACK;

impl Figure for CdfFigure {
    fn size(&self) -> (u32, u32) {
        let names = (self.legend().len() + self.slo_labels().len()) as u32;
        (
            560 * self.panels.len().max(1) as u32,
            540 + 26 * names.div_ceil(3),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        let legend = self.legend();
        let slo_labels = self.slo_labels();
        // One legend under all panels: the groups are the same in each, and a legend inside a
        // panel would cover the curves. SLO entries follow the groups.
        let rows = (legend.len() + slo_labels.len()).div_ceil(3) as i32;
        let (panels, strip) = root.split_vertically(root.dim_in_pixel().1 as i32 - 26 * rows - 12);
        let areas = panels.split_evenly((1, self.panels.len().max(1)));
        let col_w = strip.dim_in_pixel().0 as i32 / 3;
        // Legend cells, three to a row: the groups' solid lines, then the SLOs' dashes.
        let cell = |i: usize| (40 + col_w * (i as i32 % 3), 6 + 26 * (i as i32 / 3));
        let label = |text: String, (x, y): (i32, i32)| {
            strip
                .draw(&Text::new(text, (x + 36, y), font(16)))
                .map_err(err)
        };
        for (i, (name, c)) in legend.iter().enumerate() {
            let (x, y) = cell(i);
            strip
                .draw(&PathElement::new(
                    vec![(x, y + 4), (x + 28, y + 4)],
                    c.stroke_width(4),
                ))
                .map_err(err)?;
            label(name.clone(), (x, y))?;
        }
        for (j, slo) in slo_labels.iter().enumerate() {
            let (x, y) = cell(legend.len() + j);
            for k in 0..3 {
                let x0 = x + 11 * k;
                strip
                    .draw(&PathElement::new(
                        vec![(x0, y + 4), (x0 + 7, y + 4)],
                        SLO_COLOR.stroke_width(2),
                    ))
                    .map_err(err)?;
            }
            label(format!("SLO: {slo}"), (x, y))?;
        }
        // One x range for every panel so that they can be compared side by side. Log scale:
        // Linux pods start in seconds and Windows pods in minutes.
        let xs = self
            .panels
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
        let (mut lo, mut hi) = (f64::INFINITY, 0f64);
        // The SLO bounds are in range too: a bound far right of every curve still shows.
        for x in xs.chain(self.slo.iter().map(|m| m.seconds)) {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        if !lo.is_finite() || lo <= 0.0 {
            lo = 1.0;
        }
        if hi <= lo {
            hi = lo * 10.0;
        }
        let lo = 10f64.powf(lo.log10().floor()).max(0.1);
        let hi = (hi * 1.5).max(lo * 10.0);
        for (p, (area, (name, series))) in areas.iter().zip(&self.panels).enumerate() {
            let mut chart = ChartBuilder::on(area)
                .caption(name, font(20))
                .margin(12)
                .x_label_area_size(50)
                .y_label_area_size(60)
                .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.02f64)
                .map_err(err)?;
            chart
                .configure_mesh()
                // Few labels and no minor grid: plotters' log axis otherwise crowds labels
                // (60 70 80 90 100) and shades whole decades with minor lines.
                .x_labels(8)
                .light_line_style(TRANSPARENT)
                .x_desc("startup latency, created → Ready (s, log scale)")
                .y_desc("fraction of pods Ready")
                .axis_desc_style(font(16))
                .label_style(font(14))
                .x_label_formatter(&|x| {
                    if *x >= 1.0 {
                        format!("{x:.0}")
                    } else {
                        format!("{x}")
                    }
                })
                .y_label_formatter(&|y| format!("{y:.1}"))
                .draw()
                .map_err(err)?;
            if series.is_empty() {
                chart
                    .draw_series(std::iter::once(Text::new(
                        "no pods",
                        ((lo * hi).sqrt(), 0.5),
                        font(18),
                    )))
                    .map_err(err)?;
            }
            // SLOs first, so the curves are drawn over them.
            for m in self.slo.iter().filter(|m| m.panel == p) {
                let x = m.seconds.max(lo);
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x, 0.0), (x, 1.02)],
                        8,
                        5,
                        SLO_COLOR.stroke_width(2),
                    ))
                    .map_err(err)?;
                if let Some(f) = m.fraction {
                    // The target: the curve must pass through the corner above and left of it.
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(lo, f), (x, f)],
                            4,
                            4,
                            SLO_COLOR.stroke_width(1),
                        ))
                        .map_err(err)?;
                    chart
                        .draw_series(std::iter::once(Circle::new((x, f), 5, SLO_COLOR.filled())))
                        .map_err(err)?;
                }
            }
            let n = series.len();
            for (i, s) in series.iter().enumerate() {
                let c = self.color_of(&s.name);
                // Earlier lines are drawn wider, so a line hidden under an identical later
                // one still shows as a coloured edge (e.g. two strategies with equal results).
                let width = 2 + (n - 1 - i) * 4 / (n - 1).max(1);
                // A CDF is a step function: hold each fraction until the next latency.
                let mut pts = Vec::with_capacity(s.points.len() * 2 + 2);
                let mut prev = 0.0;
                for &(x, y) in &s.points {
                    let x = x.max(lo);
                    pts.push((x, prev));
                    pts.push((x, y));
                    prev = y;
                }
                pts.push((hi, prev));
                chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(width as u32)))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

impl CdfFigure {
    /// The SLO legend entries: each assertion once, in first-seen order.
    fn slo_labels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in &self.slo {
            if !out.contains(&m.label.as_str()) {
                out.push(&m.label);
            }
        }
        out
    }

    /// Series names in first-seen order with their colours (a name keeps its colour across
    /// panels even when a panel lacks some series).
    fn legend(&self) -> Vec<(String, RGBColor)> {
        let mut names: Vec<String> = Vec::new();
        for (_, series) in &self.panels {
            for s in series {
                if !names.contains(&s.name) {
                    names.push(s.name.clone());
                }
            }
        }
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, color(i)))
            .collect()
    }

    fn color_of(&self, name: &str) -> RGBColor {
        self.legend()
            .into_iter()
            .find(|(n, _)| n == name)
            .map_or(BLACK, |(_, c)| c)
    }
}

// ---------------------------------------------------------------------------------------------
// Failures by reason

/// Stacked bars: for each group, the mean pods affected per run by each failure reason.
pub struct FailureFigure {
    pub title: String,
    pub groups: Vec<String>,
    /// What the groups are: "variant", or the swept paths.
    pub x_desc: String,
    /// (reason, mean pods per group), only reasons that occurred.
    pub reasons: Vec<(String, Vec<f64>)>,
}

/// The failures bar of pods that were Unschedulable and bound later: they waited for a node
/// (or for room on one) rather than failed, drawn in light grey so the eye goes to real
/// failures.
pub const WAITED: &str = "Unschedulable, bound later";

/// Light grey, outside the palette, for `WAITED`.
const WAITED_COLOR: RGBColor = RGBColor(199, 199, 199);

fn reason_color(i: usize, reason: &str) -> RGBColor {
    if reason == WAITED {
        WAITED_COLOR
    } else {
        color(i)
    }
}

impl Figure for FailureFigure {
    fn size(&self) -> (u32, u32) {
        // Room for each bar's label under it (about 8 px per character at 14 px).
        let longest = self
            .groups
            .iter()
            .map(|g| g.chars().count())
            .max()
            .unwrap_or(0) as u32;
        let per_group = 120.max(8 * longest + 10);
        (220.max(per_group * self.groups.len() as u32) + 360, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        let n = self.groups.len();
        let totals: Vec<f64> = (0..n)
            .map(|g| self.reasons.iter().map(|(_, v)| v[g]).sum())
            .collect();
        let top = totals.iter().cloned().fold(0.0, f64::max);
        let ymax = if top > 0.0 { top * 1.15 } else { 1.0 };
        let (plot, legend) = root.split_horizontally(root.dim_in_pixel().0 - 250);
        let groups = self.groups.clone();
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.max(1))
            .x_label_formatter(&move |x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < groups.len() {
                    groups[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_desc(self.x_desc.as_str())
            .y_desc("pods that hit the reason, per run (mean over seeds)")
            .axis_desc_style(font(16))
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        if self.reasons.is_empty() {
            chart
                .draw_series(std::iter::once(Text::new(
                    "no failures in any variant",
                    ((n as f64 - 1.0) / 2.0 - 0.4, ymax / 2.0),
                    font(18),
                )))
                .map_err(err)?;
        }
        let mut base = vec![0.0; n];
        for (r, (reason, vals)) in self.reasons.iter().enumerate() {
            let c = reason_color(r, reason);
            let bars: Vec<Rectangle<(f64, f64)>> = (0..n)
                .filter(|&g| vals[g] > 0.0)
                .map(|g| {
                    let x = g as f64;
                    Rectangle::new(
                        [(x - 0.35, base[g]), (x + 0.35, base[g] + vals[g])],
                        c.filled(),
                    )
                })
                .collect();
            for g in 0..n {
                base[g] += vals[g];
            }
            chart.draw_series(bars).map_err(err)?;
            let _ = reason;
        }
        // Totals above the bars, so the height can be read without the grid.
        chart
            .draw_series((0..n).filter(|&g| totals[g] > 0.0).map(|g| {
                Text::new(
                    format!("{:.1}", totals[g]),
                    (g as f64 - 0.12, totals[g] + ymax * 0.02),
                    font(14),
                )
            }))
            .map_err(err)?;
        // The legend sits beside the plot: stacked bars would hide under a legend box.
        let mut y = 60;
        legend
            .draw(&Text::new("failure reason", (10, y - 30), font(16)))
            .map_err(err)?;
        for (r, (reason, _)) in self.reasons.iter().enumerate().rev() {
            legend
                .draw(&Rectangle::new(
                    [(10, y), (28, y + 18)],
                    reason_color(r, reason).filled(),
                ))
                .map_err(err)?;
            legend
                .draw(&Text::new(reason.clone(), (36, y + 2), font(14)))
                .map_err(err)?;
            if reason == WAITED {
                y += 18;
                legend
                    .draw(&Text::new("(waited for capacity)", (36, y + 2), font(13)))
                    .map_err(err)?;
            }
            y += 28;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Timeline of one run

/// A count axis label: whole numbers only. With few pods or nodes plotters puts ticks at
/// halves, which `{:.0}` printed as duplicates ("3 2 2 2 1 0 0" on quickstart's node axis).
fn whole(y: &f64) -> String {
    if (y - y.round()).abs() < 1e-9 {
        format!("{y:.0}")
    } else {
        String::new()
    }
}

/// Width of the strip beside the timeline's charts that holds their legends.
const TIMELINE_LEGEND_W: u32 = 260;

/// One pool's node counts over time, in (minutes, nodes).
pub struct PoolLines {
    pub pool: String,
    pub ready: Vec<(f64, f64)>,
    pub provisioning: Vec<(f64, f64)>,
}

/// Pods by phase (top) and nodes per pool (bottom) over the run.
pub struct TimelineFigure {
    pub title: String,
    pub pods: Vec<Series>,
    pub nodes: Vec<PoolLines>,
    pub end_min: f64,
    /// Timeline actions to mark, as (minutes, label) in time order; empty draws no marker.
    pub actions: Vec<(f64, String)>,
}

/// Width of the legend strip when timeline actions are listed in it: their labels
/// (`UpgradePool win to 10.0.20348.2700`) need more room than the series names.
const TIMELINE_ACTIONS_LEGEND_W: u32 = 360;
/// Longest action label drawn in the strip, in characters; longer ones are cut.
const ACTION_LABEL_MAX: usize = 40;
const MARKER_GREY: RGBColor = RGBColor(110, 110, 110);

impl TimelineFigure {
    fn legend_w(&self) -> u32 {
        if self.actions.is_empty() {
            TIMELINE_LEGEND_W
        } else {
            TIMELINE_ACTIONS_LEGEND_W
        }
    }

    /// Lists the actions under the pods legend, `k  T min  label`, k the marker's number;
    /// what does not fit the strip is counted on a last line.
    fn draw_action_list<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        top: i32,
        marks: &[f64],
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        if self.actions.is_empty() {
            return Ok(());
        }
        const LINE: i32 = 19;
        let bottom = area.dim_in_pixel().1 as i32 - 4;
        area.draw(&Text::new("timeline actions", (4, top), font(14)))
            .map_err(err)?;
        let mut y = top + LINE + 2;
        let fits = ((bottom - y) / LINE).max(1) as usize;
        let shown = if self.actions.len() <= fits {
            self.actions.len()
        } else {
            fits - 1
        };
        for (t, label) in &self.actions[..shown] {
            let k = marks.iter().position(|m| m == t).map_or(0, |i| i + 1);
            let label: String = if label.chars().count() > ACTION_LABEL_MAX {
                label
                    .chars()
                    .take(ACTION_LABEL_MAX - 2)
                    .chain("..".chars())
                    .collect()
            } else {
                label.clone()
            };
            area.draw(&Text::new(
                format!("{k:>2}  {t:.1} min  {label}"),
                (4, y),
                font(13),
            ))
            .map_err(err)?;
            y += LINE;
        }
        if shown < self.actions.len() {
            area.draw(&Text::new(
                format!(
                    "+{} more (summary.json timeline)",
                    self.actions.len() - shown
                ),
                (4, y),
                font(13),
            ))
            .map_err(err)?;
        }
        Ok(())
    }

    /// The distinct times of the actions, in order: marker `k` (1-based) stands at
    /// `marks[k - 1]`, and every action at that time is listed under `k`.
    fn marks(&self) -> Vec<f64> {
        let mut m: Vec<f64> = Vec::new();
        for &(t, _) in &self.actions {
            if m.last() != Some(&t) {
                m.push(t);
            }
        }
        m
    }
}

impl Figure for TimelineFigure {
    fn size(&self) -> (u32, u32) {
        // 1100 for the charts and a strip beside them for the legends.
        (1100 + self.legend_w(), 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        // The legends sit in a strip beside the charts: inside, wherever they go, some run's
        // lines pass under them (morning-peak's peak fills the upper right at 380-420 min).
        let (charts, strip) =
            root.split_horizontally(root.dim_in_pixel().0 as i32 - self.legend_w() as i32);
        let (top, bottom) = charts.split_vertically(charts.dim_in_pixel().1 / 2);
        let (strip_top, strip_bottom) = strip.split_vertically(strip.dim_in_pixel().1 / 2);
        let mut top_legend: Vec<(String, RGBColor, bool)> = Vec::new();
        let mut bottom_legend: Vec<(String, RGBColor, bool)> = Vec::new();
        let xmax = self.end_min.max(1.0);
        let ymax = |s: &mut dyn Iterator<Item = f64>| s.fold(0.0, f64::max).max(1.0) * 1.1;
        let pmax = ymax(&mut self.pods.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
        let mut chart = ChartBuilder::on(&top)
            .caption("pods by phase", font(18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..xmax, 0f64..pmax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (min)")
            .y_desc("pods")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&whole)
            .axis_desc_style(font(16))
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        for (i, s) in self.pods.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
                .map_err(err)?;
            top_legend.push((s.name.clone(), c, false));
        }
        // Each action time gets a dashed grey line and its number in the chart's headroom
        // (the y axis runs to 1.1 × the highest count, so the top 9 % holds no data).
        let marks = self.marks();
        for (k, &x) in marks.iter().enumerate() {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, 0.0), (x, pmax)],
                    5,
                    4,
                    MARKER_GREY.stroke_width(1),
                ))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x, pmax))
                        + Text::new(format!("{}", k + 1), (3, 2), font(13).color(&MARKER_GREY)),
                ))
                .map_err(err)?;
        }
        let nmax = ymax(
            &mut self
                .nodes
                .iter()
                .flat_map(|l| l.ready.iter().chain(&l.provisioning).map(|p| p.1)),
        );
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                "nodes per pool (solid: Ready, dashed: provisioning)",
                font(18),
            )
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..xmax, 0f64..nmax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (min)")
            .y_desc("nodes")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&whole)
            .axis_desc_style(font(16))
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        for (
            i,
            PoolLines {
                pool,
                ready,
                provisioning: prov,
            },
        ) in self.nodes.iter().enumerate()
        {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(ready.clone(), c.stroke_width(2)))
                .map_err(err)?;
            bottom_legend.push((format!("{pool} Ready"), c, false));
            if prov.iter().any(|p| p.1 > 0.0) {
                chart
                    .draw_series(DashedLineSeries::new(prov.clone(), 6, 4, c.stroke_width(2)))
                    .map_err(err)?;
                bottom_legend.push((format!("{pool} provisioning"), c, true));
            }
        }
        for &x in &marks {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, 0.0), (x, nmax)],
                    5,
                    4,
                    MARKER_GREY.stroke_width(1),
                ))
                .map_err(err)?;
        }
        for (area, rows) in [(&strip_top, &top_legend), (&strip_bottom, &bottom_legend)] {
            // Level with the chart's caption and plotting area (caption 18 px, margin 10).
            let mut y = 40;
            for (name, c, dashed) in rows {
                let m = y + 8;
                if *dashed {
                    area.draw(&PathElement::new(vec![(4, m), (14, m)], c.stroke_width(3)))
                        .map_err(err)?;
                    area.draw(&PathElement::new(vec![(20, m), (30, m)], c.stroke_width(3)))
                        .map_err(err)?;
                } else {
                    area.draw(&PathElement::new(vec![(4, m), (30, m)], c.stroke_width(3)))
                        .map_err(err)?;
                }
                area.draw(&Text::new(name.clone(), (38, y), font(14)))
                    .map_err(err)?;
                y += 24;
            }
        }
        self.draw_action_list(&strip_top, 40 + 24 * top_legend.len() as i32 + 16, &marks)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Per-variant timeline of a compare or sweep

/// One group's line in a panel: the mean over seeds and the interval band, in minutes.
#[derive(Clone, Debug)]
pub struct BandLine {
    /// Index into `VariantTimelineFigure::labels` (and the colour).
    pub group: usize,
    pub mean: Vec<(f64, f64)>,
    /// (minute, low, high) of the mean's interval; empty with one seed.
    pub band: Vec<(f64, f64, f64)>,
}

/// Nodes and waiting pods over time, one line per group with its confidence band, a panel per
/// series (two columns), the group legend in a strip beside the panels.
pub struct VariantTimelineFigure {
    pub title: String,
    pub labels: Vec<String>,
    /// Per label: the earlier group whose lines it equals in every panel (its own are not drawn).
    pub same_as: Vec<Option<usize>>,
    /// What the band is, with its confidence ("band: 95 % confidence interval").
    pub band: String,
    /// (panel title, y axis, lines).
    pub panels: Vec<(String, String, Vec<BandLine>)>,
    pub end_min: f64,
    /// Said under the legend when groups were left out of the plot.
    pub note: Option<String>,
}

/// The one line of a panel where every group is equal: dark grey, outside the palette.
const ALL_EQUAL_COLOR: RGBColor = RGBColor(64, 64, 64);

/// Width of the strip beside the per-variant timeline that holds the group legend.
const VARIANT_LEGEND_W: u32 = 300;

impl Figure for VariantTimelineFigure {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(2).max(1) as u32;
        (1300 + VARIANT_LEGEND_W, 60 + 360 * rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        let (charts, strip) =
            root.split_horizontally(root.dim_in_pixel().0 as i32 - VARIANT_LEGEND_W as i32);
        let rows = self.panels.len().div_ceil(2).max(1);
        let cells = charts.split_evenly((rows, 2));
        let xmax = self.end_min.max(1.0);
        for ((title, ylabel, lines), area) in self.panels.iter().zip(cells.iter()) {
            let top = lines
                .iter()
                .flat_map(|l| l.mean.iter().map(|p| p.1).chain(l.band.iter().map(|b| b.2)))
                .fold(0.0, f64::max);
            let ymax = top.max(1.0) * 1.1;
            let mut chart = ChartBuilder::on(area)
                .caption(title.as_str(), font(18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0f64..xmax, 0f64..ymax)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("time (min)")
                .y_desc(ylabel.as_str())
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&whole)
                .axis_desc_style(font(16))
                .label_style(font(14))
                .draw()
                .map_err(err)?;
            // Every group equal here, mean and band (3 Linux nodes throughout): one grey line
            // and band, said in the legend, rather than the last colour covering the rest.
            let all_equal = lines.len() > 1
                && lines
                    .iter()
                    .all(|l| l.mean == lines[0].mean && l.band == lines[0].band);
            let drawn = if all_equal { &lines[..1] } else { &lines[..] };
            let band_color = |l: &BandLine| {
                if all_equal {
                    ALL_EQUAL_COLOR
                } else {
                    color(l.group)
                }
            };
            // Bands first, so that every mean line is drawn over every band.
            for l in drawn.iter().filter(|l| !l.band.is_empty()) {
                let c = band_color(l);
                let mut poly: Vec<(f64, f64)> =
                    l.band.iter().map(|&(x, _, hi)| (x, hi.min(ymax))).collect();
                poly.extend(l.band.iter().rev().map(|&(x, lo, _)| (x, lo.max(0.0))));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .map_err(err)?;
            }
            if all_equal {
                chart
                    .draw_series(LineSeries::new(
                        lines[0].mean.clone(),
                        ALL_EQUAL_COLOR.stroke_width(2),
                    ))
                    .map_err(err)?;
                continue;
            }
            // A line equal to an earlier one in this panel is dashed over it, so both colours
            // show (runtimeclass-build and prepull add the same nodes).
            for (i, l) in lines.iter().enumerate() {
                let style = color(l.group).stroke_width(2);
                if lines[..i].iter().any(|m| m.mean == l.mean) {
                    chart
                        .draw_series(DashedLineSeries::new(l.mean.clone(), 6, 6, style))
                        .map_err(err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(l.mean.clone(), style))
                        .map_err(err)?;
                }
            }
        }
        let mut y = 40;
        strip
            .draw(&Text::new("line: mean over seeds,", (4, y), font(14)))
            .map_err(err)?;
        strip
            .draw(&Text::new(self.band.clone(), (4, y + 18), font(14)))
            .map_err(err)?;
        strip
            .draw(&Text::new(
                "of the mean; dashed: equal to",
                (4, y + 36),
                font(14),
            ))
            .map_err(err)?;
        strip
            .draw(&Text::new("a line under it", (4, y + 54), font(14)))
            .map_err(err)?;
        strip
            .draw(&PathElement::new(
                vec![(4, y + 80), (30, y + 80)],
                ALL_EQUAL_COLOR.stroke_width(3),
            ))
            .map_err(err)?;
        strip
            .draw(&Text::new("every group equal", (38, y + 72), font(14)))
            .map_err(err)?;
        y += 110;
        for (i, name) in self.labels.iter().enumerate() {
            let m = y + 8;
            strip
                .draw(&PathElement::new(
                    vec![(4, m), (30, m)],
                    color(i).stroke_width(3),
                ))
                .map_err(err)?;
            strip
                .draw(&Text::new(name.clone(), (38, y), font(14)))
                .map_err(err)?;
            if let Some(h) = self.same_as.get(i).copied().flatten() {
                y += 18;
                strip
                    .draw(&Text::new(
                        format!("same as {}: not drawn", self.labels[h]),
                        (38, y),
                        font(13),
                    ))
                    .map_err(err)?;
            }
            y += 24;
        }
        if let Some(note) = &self.note {
            strip
                .draw(&Text::new(note.clone(), (4, y + 10), font(13)))
                .map_err(err)?;
        }
        Ok(())
    }
}
