//! The plots a planner decides with, drawn from an `optimize` search: the frontier (objective
//! against each constraint's metric, with the SLO line and the chosen point) and each metric
//! against each searched parameter with its confidence band.
//!
//! Owns: `OptimizeData` (what `experiment::optimize` hands over: plain numbers and names), the
//! two figures and their layout. Does not own: the search, the intervals or the front (all
//! computed by `experiment::optimize`), fonts (`glyph`) or encoding (`super`).
//!
//! Legends sit in a strip beside the plot area, never inside it, so no legend covers a point.

use super::figures::{DrawResult, Figure, color, err, font};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A (mean, lo, hi) triple; lo and hi are None with fewer than two seeds.
pub type Interval = (Option<f64>, Option<f64>, Option<f64>);

/// One constraint of the search.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizeConstraint {
    /// As written, e.g. `windows p99 startup <= 300s`.
    pub text: String,
    pub metric: String,
    /// In the metric's units.
    pub threshold: f64,
    /// Candidates on the Pareto front of objective against this metric, cheapest first
    /// (empty for `==`/`!=`, which have no better direction).
    pub front: Vec<usize>,
}

/// One candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizePoint {
    pub label: String,
    pub variant: String,
    /// Values of the searched parameters, in `OptimizeData::params` order.
    pub params: Vec<String>,
    pub feasible: bool,
    pub objective: Interval,
    /// One per constraint.
    pub metrics: Vec<Interval>,
}

/// An optimize search, for its plots.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizeData {
    pub scenario: String,
    pub objective: String,
    pub confidence: f64,
    /// The searched parameters' labels.
    pub params: Vec<String>,
    pub constraints: Vec<OptimizeConstraint>,
    pub points: Vec<OptimizePoint>,
    pub winner: Option<usize>,
}

const LEGEND_W: u32 = 330;

/// Range of values padded by 8 % (or ±1 around a single value).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.08
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// Splits text into lines of at most about `width` characters, at spaces and commas.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_inclusive([' ', ',']) {
        if line.chars().count() + word.chars().count() > width && !line.trim().is_empty() {
            out.push(line.trim_end().to_string());
            line = "  ".to_string();
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        out.push(line.trim_end().to_string());
    }
    out
}

fn short(x: f64) -> String {
    if x.abs() >= 100.0 || x == x.round() {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

// ---------------------------------------------------------------------------------------------
// Frontier

/// Objective (y) against each constraint's metric (x): every candidate with its interval on
/// the metric, the Pareto front, the SLO line, and the chosen configuration.
pub struct FrontierFigure<'a>(pub &'a OptimizeData);

impl FrontierFigure<'_> {
    fn panels(&self) -> Vec<usize> {
        (0..self.0.constraints.len()).collect()
    }
}

impl Figure for FrontierFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (620 * self.panels().len().max(1) as u32 + LEGEND_W, 600)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let d = self.0;
        let root = root
            .titled(
                &format!(
                    "{}: {} against each SLO metric ({} % intervals)",
                    d.scenario,
                    d.objective,
                    short(d.confidence * 100.0)
                ),
                font(22),
            )
            .map_err(err)?;
        let (plot, strip) = root.split_horizontally(root.dim_in_pixel().0 - LEGEND_W);
        let panels = self.panels();
        let areas = plot.split_evenly((1, panels.len().max(1)));
        let front_c = color(0);
        let ok_c = color(2);
        let slo_c = color(3);
        for (area, &k) in areas.iter().zip(&panels) {
            let c = &d.constraints[k];
            let xs = d
                .points
                .iter()
                .flat_map(|p| {
                    let (m, lo, hi) = p.metrics[k];
                    [m, lo, hi]
                })
                .flatten()
                .chain([c.threshold]);
            let (x0, x1) = padded(xs);
            let (y0, y1) = padded(d.points.iter().filter_map(|p| p.objective.0));
            let mut chart = ChartBuilder::on(area)
                .caption(format!("c{}: {}", k + 1, c.text), font(17))
                .margin(14)
                .x_label_area_size(50)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(format!("{} (mean, interval)", c.metric))
                .y_desc(format!("{} (mean)", d.objective))
                .x_label_formatter(&|x| short(*x))
                .y_label_formatter(&|y| short(*y))
                .axis_desc_style(font(14))
                .label_style(font(13))
                .light_line_style(TRANSPARENT)
                .draw()
                .map_err(err)?;
            // The SLO line first, so the points are drawn over it.
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(c.threshold, y0), (c.threshold, y1)],
                    8,
                    5,
                    slo_c.stroke_width(2),
                ))
                .map_err(err)?;
            for p in &d.points {
                let (Some(y), (Some(m), lo, hi)) = (p.objective.0, p.metrics[k]) else {
                    continue;
                };
                if let (Some(lo), Some(hi)) = (lo, hi) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(lo, y), (hi, y)],
                            RGBColor(150, 150, 150).stroke_width(1),
                        )))
                        .map_err(err)?;
                }
                let style = if p.feasible {
                    ok_c.filled()
                } else {
                    RGBColor(120, 120, 120).stroke_width(2)
                };
                chart
                    .draw_series(std::iter::once(Circle::new((m, y), 5, style)))
                    .map_err(err)?;
            }
            let front: Vec<(f64, f64)> = c
                .front
                .iter()
                .filter_map(|&i| Some((d.points[i].metrics[k].0?, d.points[i].objective.0?)))
                .collect();
            chart
                .draw_series(LineSeries::new(front.clone(), front_c.stroke_width(2)))
                .map_err(err)?;
            chart
                .draw_series(front.iter().map(|&p| Circle::new(p, 3, front_c.filled())))
                .map_err(err)?;
            // Front points carry their candidate number, which the strip beside names.
            for &i in &c.front {
                if let (Some(x), Some(y)) = (d.points[i].metrics[k].0, d.points[i].objective.0) {
                    chart
                        .draw_series(std::iter::once(
                            EmptyElement::at((x, y))
                                + Text::new(format!("#{i}"), (8, -18), font(12).color(&front_c)),
                        ))
                        .map_err(err)?;
                }
            }
            if let Some(w) = d.winner
                && let (Some(y), Some(m)) = (d.points[w].objective.0, d.points[w].metrics[k].0)
            {
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (m, y),
                        11,
                        BLACK.stroke_width(3),
                    )))
                    .map_err(err)?;
            }
        }
        let chosen = match d.winner {
            Some(w) => format!("chosen: {}", d.points[w].label),
            None => "no configuration meets every SLO".to_string(),
        };
        strip
            .draw(&Text::new("legend", (10, 40), font(16)))
            .map_err(err)?;
        let grey = RGBColor(120, 120, 120);
        let whisker = RGBColor(150, 150, 150);
        let texts = [
            "meets every SLO",
            "misses an SLO, or undecided",
            "interval of the SLO metric",
            "Pareto front (means)",
            "SLO bound",
            "chosen configuration",
        ];
        for (i, text) in texts.iter().enumerate() {
            let y = 70 + 28 * i as i32;
            let (x, m) = (10, y + 8);
            match i {
                0 => strip.draw(&Circle::new((x + 14, m), 5, ok_c.filled())),
                1 => strip.draw(&Circle::new((x + 14, m), 5, grey.stroke_width(2))),
                2 => strip.draw(&PathElement::new(
                    vec![(x, m), (x + 28, m)],
                    whisker.stroke_width(1),
                )),
                3 => strip.draw(&PathElement::new(
                    vec![(x, m), (x + 28, m)],
                    front_c.stroke_width(2),
                )),
                4 => strip
                    .draw(&PathElement::new(
                        vec![(x, m), (x + 10, m)],
                        slo_c.stroke_width(2),
                    ))
                    .and_then(|_| {
                        strip.draw(&PathElement::new(
                            vec![(x + 17, m), (x + 28, m)],
                            slo_c.stroke_width(2),
                        ))
                    }),
                _ => strip.draw(&Circle::new((x + 14, m), 9, BLACK.stroke_width(3))),
            }
            .map_err(err)?;
            strip
                .draw(&Text::new(text.to_string(), (48, y), font(14)))
                .map_err(err)?;
        }
        let mut lines = vec![chosen];
        let mut on_front: Vec<usize> = Vec::new();
        for c in &d.constraints {
            for &i in &c.front {
                if !on_front.contains(&i) {
                    on_front.push(i);
                }
            }
        }
        if !on_front.is_empty() {
            lines.push(String::new());
            lines.push("on a front:".into());
            lines.extend(
                on_front
                    .iter()
                    .map(|&i| format!("#{i} {}", d.points[i].label)),
            );
        }
        let mut y = 250;
        for line in lines {
            for part in wrap(&line, 38) {
                strip
                    .draw(&Text::new(part, (10, y), font(13)))
                    .map_err(err)?;
                y += 18;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Metric against parameter

/// A row of panels per metric (the objective, then each constraint's), a column per searched
/// parameter: the mean over seeds against the parameter's values with the interval as a band,
/// one line per combination of the other parameters (and variant).
pub struct ParamFigure<'a>(pub &'a OptimizeData);

/// A line of a panel: its name and, per value of the parameter, the candidate there.
type Line = (String, Vec<Option<usize>>);

/// The most lines a panel draws; further combinations are named as left out in the title.
const MAX_LINES: usize = 8;

impl ParamFigure<'_> {
    /// Per parameter: its distinct values in first-seen order, and the lines (label of the
    /// other values → candidate per value index).
    fn layout(&self, p: usize) -> (Vec<String>, Vec<Line>) {
        let d = self.0;
        let mut values: Vec<String> = Vec::new();
        for pt in &d.points {
            if !values.contains(&pt.params[p]) {
                values.push(pt.params[p].clone());
            }
        }
        let multi = d.points.iter().any(|q| q.variant != d.points[0].variant);
        let mut lines: Vec<Line> = Vec::new();
        for (i, pt) in d.points.iter().enumerate() {
            let mut rest: Vec<String> = Vec::new();
            if multi {
                rest.push(pt.variant.clone());
            }
            for (j, v) in pt.params.iter().enumerate() {
                if j != p {
                    rest.push(format!("{}={v}", d.params[j]));
                }
            }
            let name = if rest.is_empty() {
                "mean".to_string()
            } else {
                rest.join(", ")
            };
            let x = values.iter().position(|v| v == &pt.params[p]).unwrap_or(0);
            match lines.iter_mut().find(|(n, _)| n == &name) {
                Some((_, v)) => v[x] = Some(i),
                None => {
                    let mut v = vec![None; values.len()];
                    v[x] = Some(i);
                    lines.push((name, v));
                }
            }
        }
        (values, lines)
    }

    fn rows(&self) -> usize {
        1 + self.0.constraints.len()
    }
}

impl Figure for ParamFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let cols = self.0.params.len().max(1) as u32;
        (540 * cols + LEGEND_W, 60 + 330 * self.rows() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let d = self.0;
        let root = root
            .titled(
                &format!(
                    "{}: each metric against each searched parameter (mean, {} % band)",
                    d.scenario,
                    short(d.confidence * 100.0)
                ),
                font(22),
            )
            .map_err(err)?;
        let (plot, strip) = root.split_horizontally(root.dim_in_pixel().0 - LEGEND_W);
        let cols = d.params.len().max(1);
        let areas = plot.split_evenly((self.rows(), cols));
        // Colours are per column (line j of a column has colour j, skipping the SLO red), so
        // no two lines of a panel share one; the strip lists each column's lines.
        let line_color = |j: usize| color(if j >= 3 { j + 1 } else { j });
        let mut columns: Vec<(String, Vec<String>)> = Vec::new();
        for (p, _) in d.params.iter().enumerate() {
            let (values, lines) = self.layout(p);
            let shown = lines.len().min(MAX_LINES);
            columns.push((
                d.params[p].clone(),
                lines.iter().take(shown).map(|(n, _)| n.clone()).collect(),
            ));
            for r in 0..self.rows() {
                let area = &areas[r * cols + p];
                let get = |i: usize| -> Interval {
                    if r == 0 {
                        d.points[i].objective
                    } else {
                        d.points[i].metrics[r - 1]
                    }
                };
                let (metric, slo) = if r == 0 {
                    (d.objective.clone(), None)
                } else {
                    let c = &d.constraints[r - 1];
                    (c.metric.clone(), Some(c.threshold))
                };
                let ys = lines
                    .iter()
                    .take(shown)
                    .flat_map(|(_, v)| v.iter().flatten())
                    .flat_map(|&i| {
                        let (m, lo, hi) = get(i);
                        [m, lo, hi]
                    })
                    .flatten()
                    .chain(slo);
                let (y0, y1) = padded(ys);
                let n = values.len();
                let mut caption = metric.clone();
                if lines.len() > shown {
                    caption.push_str(&format!(" (first {shown} of {} lines)", lines.len()));
                }
                let labels = values.clone();
                let mut chart = ChartBuilder::on(area)
                    .caption(caption, font(15))
                    .margin(12)
                    .x_label_area_size(40)
                    .y_label_area_size(64)
                    .build_cartesian_2d(-0.3f64..(n as f64 - 0.7), y0..y1)
                    .map_err(err)?;
                chart
                    .configure_mesh()
                    .x_labels(n.clamp(1, 12))
                    .x_label_formatter(&move |x| {
                        let i = x.round();
                        if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                            labels[i as usize].clone()
                        } else {
                            String::new()
                        }
                    })
                    .y_label_formatter(&|y| short(*y))
                    .axis_desc_style(font(13))
                    .label_style(font(12))
                    .light_line_style(TRANSPARENT)
                    .x_desc(d.params[p].clone())
                    .draw()
                    .map_err(err)?;
                if let Some(t) = slo {
                    chart
                        .draw_series(DashedLineSeries::new(
                            vec![(-0.3, t), (n as f64 - 0.7, t)],
                            8,
                            5,
                            color(3).stroke_width(2),
                        ))
                        .map_err(err)?;
                }
                for (j, (_, idx)) in lines.iter().take(shown).enumerate() {
                    let c = line_color(j);
                    let pts: Vec<(f64, Interval)> = idx
                        .iter()
                        .enumerate()
                        .filter_map(|(x, i)| Some((x as f64, get((*i)?))))
                        .collect();
                    let band: Vec<(f64, f64)> = pts
                        .iter()
                        .filter_map(|(x, (_, lo, _))| Some((*x, (*lo)?)))
                        .chain(
                            pts.iter()
                                .rev()
                                .filter_map(|(x, (_, _, hi))| Some((*x, (*hi)?))),
                        )
                        .collect();
                    if band.len() >= 4 {
                        chart
                            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))
                            .map_err(err)?;
                    }
                    let means: Vec<(f64, f64)> = pts
                        .iter()
                        .filter_map(|(x, (m, _, _))| Some((*x, (*m)?)))
                        .collect();
                    chart
                        .draw_series(LineSeries::new(means.clone(), c.stroke_width(2)))
                        .map_err(err)?;
                    chart
                        .draw_series(means.iter().map(|&p| Circle::new(p, 3, c.filled())))
                        .map_err(err)?;
                    // Whiskers as well as the band: one value has no band to draw.
                    for (x, (_, lo, hi)) in &pts {
                        if let (Some(lo), Some(hi)) = (lo, hi) {
                            chart
                                .draw_series(std::iter::once(PathElement::new(
                                    vec![(*x, *lo), (*x, *hi)],
                                    c.stroke_width(1),
                                )))
                                .map_err(err)?;
                        }
                    }
                }
            }
        }
        let mut y = 40;
        let entry = |text: &str, c: RGBColor, y: &mut i32| -> DrawResult {
            strip
                .draw(&PathElement::new(
                    vec![(10, *y + 8), (38, *y + 8)],
                    c.stroke_width(3),
                ))
                .map_err(err)?;
            for part in wrap(text, 34) {
                strip
                    .draw(&Text::new(part, (48, *y), font(13)))
                    .map_err(err)?;
                *y += 18;
            }
            *y += 8;
            Ok(())
        };
        for (param, names) in &columns {
            if columns.len() > 1 || names.len() > 1 {
                for part in wrap(&format!("lines against {param}:"), 40) {
                    strip
                        .draw(&Text::new(part, (10, y), font(14)))
                        .map_err(err)?;
                    y += 20;
                }
            }
            for (j, name) in names.iter().enumerate() {
                entry(name, line_color(j), &mut y)?;
            }
            y += 10;
        }
        entry("SLO bound", color(3), &mut y)?;
        Ok(())
    }
}
