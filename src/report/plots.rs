//! Plots (SVG and PNG) of a run or of a compare/sweep, drawn with plotters. The only plotters
//! user.
//!
//! Owns: the figures, their titles, axes, units and legends. Does not own: any number in them.
//! Every plot is drawn from the output files (`pods.csv`, `timeseries.csv`, `summary.json`;
//! `compare.json`, `startup_cdf.csv`), never from in-memory state, so `run --plots` and
//! `hybridsim plot DIR` produce the same bytes.
//!
//! Fonts: text is laid out and rasterised with ab_glyph from DejaVu Sans embedded in the binary
//! (assets/fonts), not from system font libraries, so a bare CI machine renders the same PNGs.
//! SVGs name the font family and leave the glyphs to the viewer.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in, so it cannot be missing; a failure would be a corrupt asset.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("assets/fonts/DejaVuSans.ttf is not a valid font"));
    });
}

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

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A figure drawn once per backend.
trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

fn svg_of<F: Figure>(f: &F) -> io::Result<Vec<u8>> {
    ensure_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, f.size()).into_drawing_area();
        root.fill(&WHITE).map_err(io::Error::other)?;
        f.draw(&root).map_err(io::Error::other)?;
        root.present().map_err(io::Error::other)?;
    }
    Ok(s.into_bytes())
}

mod glyph_fix {
    use super::FONT;
    use plotters::prelude::DrawingBackend;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };

    /// BitMapBackend with correct glyph placement. plotters 0.3.7's ab_glyph renderer draws each
    /// glyph at the pen position without its left side bearing, so narrow letters collide ("cl"
    /// reads "d"). Everything but text is delegated unchanged; text is laid out exactly as plotters
    /// lays it out (same advance widths, kerning, anchor and rotation), only rasterised with the
    /// bearing.
    pub(super) struct GlyphFix<DB>(pub DB);

    impl<DB: DrawingBackend> DrawingBackend for GlyphFix<DB> {
        type ErrorType = DB::ErrorType;
        fn get_size(&self) -> (u32, u32) {
            self.0.get_size()
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.ensure_prepared()
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.present()
        }
        fn draw_pixel(
            &mut self,
            p: BackendCoord,
            c: BackendColor,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_pixel(p, c)
        }
        fn draw_line<S: BackendStyle>(
            &mut self,
            a: BackendCoord,
            b: BackendCoord,
            s: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_line(a, b, s)
        }
        fn draw_rect<S: BackendStyle>(
            &mut self,
            a: BackendCoord,
            b: BackendCoord,
            s: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_rect(a, b, s, fill)
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            s: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_path(path, s)
        }
        fn draw_circle<S: BackendStyle>(
            &mut self,
            c: BackendCoord,
            r: u32,
            s: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.draw_circle(c, r, s, fill)
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            v: I,
            s: &S,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.fill_polygon(v, s)
        }
        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            self.0.blit_bitmap(pos, size, src)
        }
        fn draw_text<TStyle: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &TStyle,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            use ab_glyph::{Font, FontRef, ScaleFont};
            use plotters_backend::text_anchor::{HPos, VPos};
            let color = style.color();
            if color.alpha == 0.0 {
                return Ok(());
            }
            // The same box plotters computes, so anchoring matches the layout of the chart.
            let ((min_x, min_y), (max_x, max_y)) = style
                .layout_box(text)
                .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
            let (width, height) = (max_x - min_x, max_y - min_y);
            let dx = match style.anchor().h_pos {
                HPos::Left => 0,
                HPos::Right => -width,
                HPos::Center => -width / 2,
            };
            let dy = match style.anchor().v_pos {
                VPos::Top => 0,
                VPos::Center => -height / 2,
                VPos::Bottom => -height,
            };
            let trans = style.transform();
            let (w, h) = self.get_size();
            let font = FontRef::try_from_slice(FONT).expect("the embedded font parses");
            let size = style.size() as f32;
            let scaled = font.as_scaled(size);
            let mut pen = 0f32;
            let mut prev = None;
            for ch in text.chars() {
                let id = scaled.glyph_id(ch);
                if let Some(p) = prev {
                    pen += scaled.kern(p, id);
                }
                prev = Some(id);
                let glyph = id.with_scale_and_position(size, ab_glyph::point(0.0, 0.0));
                if let Some(q) = scaled.outline_glyph(glyph) {
                    let r = q.px_bounds();
                    // plotters' vertical placement (baseline at half the size), plus the bearing.
                    let (gx, gy) = ((pen + r.min.x) as i32, (size / 2.0 + r.min.y) as i32);
                    let mut px = Vec::new();
                    q.draw(|x, y, a| px.push((x as i32 + gx, y as i32 + gy, a)));
                    for (x, y, a) in px {
                        let (x, y) = trans.transform(x + dx - min_x, y + dy - min_y);
                        let (x, y) = (pos.0 + x, pos.1 + y);
                        if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                            let c = BackendColor {
                                alpha: color.alpha * a as f64,
                                rgb: color.rgb,
                            };
                            self.0.draw_pixel((x, y), c)?;
                        }
                    }
                }
                pen += scaled.h_advance(id);
            }
            Ok(())
        }
    }
}
use glyph_fix::GlyphFix;

fn png_of<F: Figure>(f: &F, name: &str) -> io::Result<Vec<u8>> {
    ensure_font();
    // plotters encodes PNGs only into a file: draw into a private temporary file, read it back,
    // and let the caller write the bytes atomically with the other outputs.
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp =
        std::env::temp_dir().join(format!("hybridsim-plot-{}-{n}-{name}", std::process::id()));
    let result = (|| {
        {
            let root = GlyphFix(BitMapBackend::new(&tmp, f.size())).into_drawing_area();
            root.fill(&WHITE).map_err(io::Error::other)?;
            f.draw(&root).map_err(io::Error::other)?;
            root.present().map_err(io::Error::other)?;
        }
        std::fs::read(&tmp)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn both<F: Figure>(
    f: &F,
    stem: &'static str,
    png: &'static str,
) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    Ok(vec![(stem, svg_of(f)?), (png, png_of(f, png)?)])
}

fn font(size: u32) -> TextStyle<'static> {
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
}

impl Figure for CdfFigure {
    fn size(&self) -> (u32, u32) {
        let names = self.legend().len() as u32;
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
        // One legend under all panels: the groups are the same in each, and a legend inside a
        // panel would cover the curves.
        let rows = legend.len().div_ceil(3) as i32;
        let (panels, strip) = root.split_vertically(root.dim_in_pixel().1 as i32 - 26 * rows - 12);
        let areas = panels.split_evenly((1, self.panels.len().max(1)));
        let col_w = strip.dim_in_pixel().0 as i32 / 3;
        for (i, (name, c)) in legend.iter().enumerate() {
            let (x, y) = (40 + col_w * (i as i32 % 3), 6 + 26 * (i as i32 / 3));
            strip
                .draw(&PathElement::new(
                    vec![(x, y + 4), (x + 28, y + 4)],
                    c.stroke_width(4),
                ))
                .map_err(err)?;
            strip
                .draw(&Text::new(name.clone(), (x + 36, y), font(16)))
                .map_err(err)?;
        }
        // One x range for every panel so that they can be compared side by side. Log scale:
        // Linux pods start in seconds and Windows pods in minutes.
        let xs = self
            .panels
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
        let (mut lo, mut hi) = (f64::INFINITY, 0f64);
        for x in xs {
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
        for (area, (name, series)) in areas.iter().zip(&self.panels) {
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
            let c = color(r);
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
                .draw(&Rectangle::new([(10, y), (28, y + 18)], color(r).filled()))
                .map_err(err)?;
            legend
                .draw(&Text::new(reason.clone(), (36, y + 2), font(14)))
                .map_err(err)?;
            y += 28;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Timeline of one run

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
}

impl Figure for TimelineFigure {
    fn size(&self) -> (u32, u32) {
        (1100, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let root = root.titled(&self.title, font(24)).map_err(err)?;
        let (top, bottom) = root.split_vertically(root.dim_in_pixel().1 / 2);
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
            .y_label_formatter(&|y| format!("{y:.0}"))
            .axis_desc_style(font(16))
            .label_style(font(14))
            .draw()
            .map_err(err)?;
        for (i, s) in self.pods.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
                .map_err(err)?
                .label(&s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
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
            .y_label_formatter(&|y| format!("{y:.0}"))
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
                .map_err(err)?
                .label(format!("{pool} Ready"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
            if prov.iter().any(|p| p.1 > 0.0) {
                chart
                    .draw_series(DashedLineSeries::new(prov.clone(), 6, 4, c.stroke_width(2)))
                    .map_err(err)?
                    .label(format!("{pool} provisioning"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], c.stroke_width(2))
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// From output files to figures

fn bad(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {e}"))
}

fn read_csv(bytes: &[u8], what: &str) -> io::Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| bad(what, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(what, e))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

fn col(header: &[String], name: &str, what: &str) -> io::Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| bad(what, format!("no column `{name}`")))
}

fn f(s: &str) -> Option<f64> {
    s.parse().ok()
}

/// Empirical CDF points (latency, fraction of `total` Ready by then) of sorted latencies.
fn cdf_points(mut lat: Vec<f64>, total: usize) -> Vec<(f64, f64)> {
    lat.sort_by(|a, b| a.total_cmp(b));
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for (i, x) in lat.iter().enumerate() {
        let y = (i + 1) as f64 / total as f64;
        match pts.last_mut() {
            Some(p) if p.0 == *x => p.1 = y,
            _ => pts.push((*x, y)),
        }
    }
    pts
}

/// Plots of one run from its output files: `startup_cdf` and `timeline`, SVG and PNG.
pub fn run_plots(
    summary_json: &[u8],
    pods_csv: &[u8],
    timeseries_csv: &[u8],
) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    let summary: Value =
        serde_json::from_slice(summary_json).map_err(|e| bad("summary.json", e))?;
    let scenario = summary["scenario"].as_str().unwrap_or("run").to_string();
    let seed = summary["seed"].as_u64().unwrap_or(0);
    let (h, rows) = read_csv(pods_csv, "pods.csv")?;
    let (c_os, c_created, c_ready) = (
        col(&h, "os", "pods.csv")?,
        col(&h, "created_s", "pods.csv")?,
        col(&h, "ready_s", "pods.csv")?,
    );
    // Every pod counts in the denominator, so pods that never became Ready keep the curve below
    // 1. The per-OS panels count the pods bound to a node of that OS (unbound pods have none).
    let mut panels = Vec::new();
    for (os, title) in [
        ("all", "all pods"),
        ("linux", "pods on Linux nodes"),
        ("windows", "pods on Windows nodes"),
    ] {
        let group: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| os == "all" || r[c_os] == os)
            .collect();
        if group.is_empty() {
            continue;
        }
        let lat: Vec<f64> = group
            .iter()
            .filter_map(|r| Some(f(&r[c_ready])? - f(&r[c_created])?))
            .collect();
        panels.push((
            format!("{title}: {} of {} Ready", lat.len(), group.len()),
            vec![Series {
                name: format!("seed {seed}"),
                points: cdf_points(lat, group.len()),
            }],
        ));
    }
    let cdf = CdfFigure {
        title: format!("{scenario} (seed {seed}): startup latency CDF"),
        panels,
    };
    let (h, rows) = read_csv(timeseries_csv, "timeseries.csv")?;
    let t = col(&h, "time_s", "timeseries.csv")?;
    let time: Vec<f64> = rows
        .iter()
        .map(|r| f(&r[t]).unwrap_or(0.0) / 60.0)
        .collect();
    let series_of = |c: usize| -> Vec<(f64, f64)> {
        rows.iter()
            .zip(&time)
            .map(|(r, &x)| (x, f(&r[c]).unwrap_or(0.0)))
            .collect()
    };
    let mut pods = Vec::new();
    for (name, label) in [
        ("pending", "pending (not bound)"),
        ("starting", "starting (pulling, creating)"),
        ("running", "running, not Ready"),
        ("ready", "Ready"),
    ] {
        pods.push(Series {
            name: label.into(),
            points: series_of(col(&h, name, "timeseries.csv")?),
        });
    }
    let mut nodes = Vec::new();
    for (i, name) in h.iter().enumerate() {
        if let Some(pool) = name.strip_prefix("nodes_ready_") {
            let prov = col(&h, &format!("nodes_provisioning_{pool}"), "timeseries.csv")?;
            nodes.push(PoolLines {
                pool: pool.to_string(),
                ready: series_of(i),
                provisioning: series_of(prov),
            });
        }
    }
    let timeline = TimelineFigure {
        title: format!("{scenario} (seed {seed}): pods and nodes over time"),
        pods,
        nodes,
        end_min: time.last().copied().unwrap_or(1.0),
    };
    let mut out = both(&cdf, "startup_cdf.svg", "startup_cdf.png")?;
    out.extend(both(&timeline, "timeline.svg", "timeline.png")?);
    Ok(out)
}

/// Plots of a compare or sweep from `compare.json` and `startup_cdf.csv`: `startup_cdf` (one
/// line per group, a panel per OS) and `failures` (stacked bars), SVG and PNG.
pub fn compare_plots(
    compare_json: &[u8],
    startup_cdf_csv: &[u8],
) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    let agg: Value = serde_json::from_slice(compare_json).map_err(|e| bad("compare.json", e))?;
    let scenario = agg["scenario"].as_str().unwrap_or("compare").to_string();
    let nseeds = agg["seeds"].as_array().map_or(0, |s| s.len());
    let params: Vec<String> = agg["params"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let groups = agg["groups"]
        .as_array()
        .ok_or_else(|| bad("compare.json", "no `groups`"))?;
    let multi = groups.iter().any(|g| g["variant"] != groups[0]["variant"]);
    // Short labels: a sweep's groups are named by their values only (`56MB/s, Price`), the
    // swept paths go into the axis title and the figure title once.
    let short = |variant: &str, values: &[String]| -> String {
        if values.is_empty() {
            return variant.to_string();
        }
        let v = values.join(", ");
        if multi { format!("{variant}: {v}") } else { v }
    };
    let labels: Vec<String> = groups
        .iter()
        .map(|g| {
            let values: Vec<String> = params
                .iter()
                .map(|p| g["params"][p].as_str().unwrap_or("?").to_string())
                .collect();
            short(g["variant"].as_str().unwrap_or("?"), &values)
        })
        .collect();
    let what = if params.is_empty() {
        "variant".to_string()
    } else if multi {
        format!("variant: {}", params.join(", "))
    } else {
        params.join(", ")
    };
    // Failures: reasons with a positive mean in some group, in the JSON's (sorted) order.
    let mut reasons: Vec<(String, Vec<f64>)> = Vec::new();
    if let Some(first) = groups.first().and_then(|g| g["metrics"].as_object()) {
        for key in first.keys().filter(|k| k.starts_with("failures.")) {
            let vals: Vec<f64> = groups
                .iter()
                .map(|g| g["metrics"][key]["mean"].as_f64().unwrap_or(0.0))
                .collect();
            if vals.iter().any(|v| *v > 0.0) {
                reasons.push((key.trim_start_matches("failures.").to_string(), vals));
            }
        }
    }
    let failures = FailureFigure {
        title: format!("{scenario}: failures by reason ({nseeds} seeds)"),
        groups: labels.clone(),
        x_desc: what.clone(),
        reasons,
    };
    let (h, rows) = read_csv(startup_cdf_csv, "startup_cdf.csv")?;
    let c_os = col(&h, "os", "startup_cdf.csv")?;
    let c_lat = col(&h, "latency_s", "startup_cdf.csv")?;
    let c_frac = col(&h, "fraction", "startup_cdf.csv")?;
    // (os, label) → the CDF points.
    let mut lines: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for r in &rows {
        let label = short(&r[0], &r[1..c_os]);
        let e = lines.entry((r[c_os].clone(), label)).or_default();
        if let (Some(x), Some(y)) = (f(&r[c_lat]), f(&r[c_frac])) {
            e.push((x, y));
        }
    }
    let mut panels = Vec::new();
    for (os, title) in [
        ("all", "all Deployment pods"),
        ("linux", "on Linux nodes"),
        ("windows", "on Windows nodes"),
    ] {
        let series: Vec<Series> = labels
            .iter()
            .filter_map(|l| {
                lines.get(&(os.to_string(), l.clone())).map(|p| Series {
                    name: l.clone(),
                    points: p.clone(),
                })
            })
            .collect();
        if os == "all" || !series.is_empty() {
            panels.push((title.to_string(), series));
        }
    }
    let cdf = CdfFigure {
        title: if params.is_empty() {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled)")
        } else {
            format!("{scenario}: startup latency CDF ({nseeds} seeds pooled) by {what}")
        },
        panels,
    };
    let mut out = both(&cdf, "startup_cdf.svg", "startup_cdf.png")?;
    out.extend(both(&failures, "failures.svg", "failures.png")?);
    Ok(out)
}

fn read(dir: &Path, name: &str) -> io::Result<Vec<u8>> {
    std::fs::read(dir.join(name))
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display())))
}

/// Regenerates the plots of an output directory: a compare/sweep directory (compare.json) or
/// a run directory (summary.json, pods.csv, timeseries.csv).
pub fn plot_dir(dir: &Path) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    if dir.join("compare.json").is_file() {
        compare_plots(&read(dir, "compare.json")?, &read(dir, "startup_cdf.csv")?)
    } else if dir.join("summary.json").is_file() {
        run_plots(
            &read(dir, "summary.json")?,
            &read(dir, "pods.csv")?,
            &read(dir, "timeseries.csv")?,
        )
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: neither compare.json (from compare, sweep or merge) nor summary.json (from \
                 run --out) is there",
                dir.display()
            ),
        ))
    }
}
