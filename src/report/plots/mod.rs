//! Plots (SVG and PNG) of a run or of a compare/sweep, drawn with plotters. The only plotters
//! user.
//!
//! Owns: turning figures into SVG and PNG bytes, and the entry points: `run_plots` and
//! `compare_plots` draw from a run's or an experiment's typed rows in memory (`run --plots`,
//! `compare/sweep/merge --plots`; a run's startup CDF from its tally's latency multisets,
//! `RunCdf`); `plot_dir` reads a run directory's files back into the same rows and multisets
//! (`hybridsim plot DIR`; a compare directory is read by `experiment::table`), so both draw
//! the same bytes. Does not own: any number in the figures.
//!
//! Split: `glyph` (font and PNG text placement), `figures` (what each plot shows), `data` (rows
//! to figures, files to rows).

mod data;
mod figures;
mod glyph;
mod planner;

pub use data::{CompareData, CompareGroup, RunCdf};
use figures::Figure;
use glyph::GlyphFix;
pub use planner::{Interval, OptimizeConstraint, OptimizeData, OptimizePoint};
use plotters::prelude::*;
use std::io;
use std::path::Path;

use super::rows::VariantSeries;
use super::{StartupCdf, Summary, Timeseries};

/// Plot files as (name, bytes).
pub type PlotFiles = Vec<(&'static str, Vec<u8>)>;

fn svg_of<F: Figure>(f: &F) -> io::Result<Vec<u8>> {
    glyph::ensure_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, f.size()).into_drawing_area();
        root.fill(&WHITE).map_err(io::Error::other)?;
        f.draw(&root).map_err(io::Error::other)?;
        root.present().map_err(io::Error::other)?;
    }
    Ok(s.into_bytes())
}

/// PNG bytes drawn into an in-memory RGB buffer and encoded with the `image` crate's PNG
/// encoder at its defaults: the encoder and settings plotters uses when it saves to a file, so
/// the bytes are the same as before, without a temporary file.
fn png_of<F: Figure>(f: &F) -> io::Result<Vec<u8>> {
    use image::ImageEncoder;
    glyph::ensure_font();
    let (w, h) = f.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = GlyphFix(BitMapBackend::with_buffer(&mut rgb, (w, h))).into_drawing_area();
        root.fill(&WHITE).map_err(io::Error::other)?;
        f.draw(&root).map_err(io::Error::other)?;
        root.present().map_err(io::Error::other)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(io::Error::other)?;
    Ok(png)
}

fn both<F: Figure>(f: &F, svg: &'static str, png: &'static str) -> io::Result<PlotFiles> {
    Ok(vec![(svg, svg_of(f)?), (png, png_of(f)?)])
}

/// Plots of one run: `startup_cdf` (from its startup latencies) and `timeline`, SVG and PNG.
pub fn run_plots(summary: &Summary, startup: RunCdf, ts: &Timeseries) -> io::Result<PlotFiles> {
    let (cdf, timeline) = data::run_figures(summary, startup, ts);
    let mut out = both(&cdf, "startup_cdf.svg", "startup_cdf.png")?;
    out.extend(both(&timeline, "timeline.svg", "timeline.png")?);
    Ok(out)
}

/// Plots of a compare or sweep: `startup_cdf` (one line per group, a panel per OS),
/// `failures` (stacked bars) and, from the per-variant time series, `timeline` (nodes and
/// waiting pods over time per group, with bands), SVG and PNG.
pub fn compare_plots(
    data: &CompareData,
    cdf: &StartupCdf,
    series: Option<&VariantSeries>,
) -> io::Result<PlotFiles> {
    let (cdf, failures) = data::compare_figures(data, cdf);
    let mut out = both(&cdf, "startup_cdf.svg", "startup_cdf.png")?;
    out.extend(both(&failures, "failures.svg", "failures.png")?);
    if let Some(fig) = series.and_then(|vs| data::variant_timeline(data, vs)) {
        out.extend(both(&fig, "timeline.svg", "timeline.png")?);
    }
    Ok(out)
}

/// Plots of an optimize search: `frontier` (objective against each SLO metric, with the front,
/// the SLO lines and the chosen point) and, when parameters were searched, `by_parameter`
/// (each metric against each parameter with its interval band), SVG and PNG.
pub fn optimize_plots(data: &OptimizeData) -> io::Result<PlotFiles> {
    let mut out = both(
        &planner::FrontierFigure(data),
        "frontier.svg",
        "frontier.png",
    )?;
    if !data.params.is_empty() {
        out.extend(both(
            &planner::ParamFigure(data),
            "by_parameter.svg",
            "by_parameter.png",
        )?);
    }
    Ok(out)
}

/// Redraws the plots of a run directory (summary.json, pods.csv, timeseries.csv) from its
/// files. A file that does not match its schema, or holds a non-finite number, is an
/// `InvalidData` error naming the file, line and column; a directory without summary.json is
/// `NotFound`.
pub fn plot_dir(dir: &Path) -> io::Result<PlotFiles> {
    if dir.join("summary.json").is_file() {
        let (summary, startup, ts) = data::read_run_dir(dir)?;
        run_plots(&summary, startup, &ts)
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

/// Reads a file of an output directory, naming it in the error (for `experiment::table`).
pub fn read_output(dir: &Path, name: &str) -> io::Result<Vec<u8>> {
    data::read(dir, name)
}
