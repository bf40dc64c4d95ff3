//! Charts for the HTML reports (`report`, `dora report`), drawn with
//! [`plotters`]' SVG backend into a `String`: no font files, no I/O.
//!
//! One visual language for every chart:
//! - a time x axis with tick labels chosen here (UTC midnights, hours,
//!   weeks or month starts) that carry the year whenever the window crosses
//!   one (ISO dates then), and an axis title naming the time zone;
//! - a y axis with a title that names the unit, linear from 0 or
//!   logarithmic (durations: lead time, recovery time) with ticks at round
//!   durations (1m, 1h, 1d, 1w, …);
//! - missing data is a gap (`None` breaks the line), never a 0;
//! - deploy markers: a vertical line and a triangle per deploy;
//! - hover values: an SVG `<title>` on every point, bar and marker;
//! - responsive: each chart is drawn twice (a wide and a narrow variant,
//!   both with a `viewBox` and no fixed size); CSS shows one of them;
//! - light and dark: colours are drawn as the light theme's hex values and
//!   [`css`] maps them to CSS variables, so `prefers-color-scheme: dark`
//!   (or the page's own switch) recolours them.
//!
//! A chart without any value renders as a figure that says "no data" and
//! why, never as an empty axis.

pub mod page;
mod ticks;

use std::fmt::Write as _;

use plotters::prelude::*;

pub use ticks::{TimeTicks, duration_label, time_ticks};

/// Colours as drawn (the light theme); [`css`] maps each to a variable.
pub mod palette {
    /// Text and tick labels.
    pub const INK: (u8, u8, u8) = (0x24, 0x29, 0x2F);
    /// Axis lines.
    pub const AXIS: (u8, u8, u8) = (0x57, 0x60, 0x6A);
    /// Grid lines.
    pub const GRID: (u8, u8, u8) = (0xD8, 0xDE, 0xE4);
    /// Deploy markers.
    pub const MARKER: (u8, u8, u8) = (0xCF, 0x22, 0x2E);
    /// Series colours, in order.
    pub const SERIES: [(u8, u8, u8); 4] = [
        (0x09, 0x69, 0xDA),
        (0xBC, 0x4C, 0x00),
        (0x82, 0x50, 0xDF),
        (0x1A, 0x7F, 0x37),
    ];
}

fn hex(c: (u8, u8, u8)) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The stylesheet every page that shows charts includes: theme variables
/// (light by default, dark under `prefers-color-scheme: dark` or
/// `data-theme="dark"` on `<html>`), the mapping of the drawn colours onto
/// them, and the wide/narrow switch at 640 px.
pub fn css() -> String {
    let mut s = String::from(
        ":root{--bg:#ffffff;--fg:#24292f;--muted:#57606a;--axis:#57606a;--grid:#d8dee4;--marker:#cf222e;\
--s0:#0969da;--s1:#bc4c00;--s2:#8250df;--s3:#1a7f37;--card:#f6f8fa;--border:#d0d7de;\
--good:#1a7f37;--ok:#0969da;--warn:#9a6700;--bad:#cf222e}\
@media (prefers-color-scheme: dark){:root:not([data-theme=light]){--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--axis:#8b949e;\
--grid:#30363d;--marker:#ff7b72;--s0:#58a6ff;--s1:#f0883e;--s2:#bc8cff;--s3:#3fb950;--card:#161b22;--border:#30363d;\
--good:#3fb950;--ok:#58a6ff;--warn:#d29922;--bad:#f85149}}\
:root[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--axis:#8b949e;--grid:#30363d;--marker:#ff7b72;\
--s0:#58a6ff;--s1:#f0883e;--s2:#bc8cff;--s3:#3fb950;--card:#161b22;--border:#30363d;--good:#3fb950;--ok:#58a6ff;--warn:#d29922;--bad:#f85149}\
figure.chart{margin:1.25em 0;min-width:0}figure.chart figcaption{font-weight:600;margin-bottom:.25em}\
figure.chart svg{display:block;width:100%;height:auto;overflow:visible}\
figure.chart svg.narrow{display:none}@media (max-width:640px){figure.chart svg.wide{display:none}figure.chart svg.narrow{display:block}}\
figure.chart .legend{display:flex;flex-wrap:wrap;gap:.25em 1em;font-size:.85em;color:var(--muted);margin:.2em 0}\
figure.chart .legend i{display:inline-block;width:1.4em;height:.3em;vertical-align:middle;margin-right:.35em;border-radius:2px}\
figure.chart .legend i.mk{width:.15em;height:1em;background:var(--marker)}\
figure.chart p.nodata{border:1px dashed var(--border);border-radius:6px;padding:1.5em;text-align:center;color:var(--muted);margin:0}\
figure.chart .hit{fill:transparent;stroke:none}figure.chart .hit:hover{stroke:var(--fg);stroke-width:1.5}\
",
    );
    let map = [
        (palette::INK, "--fg"),
        (palette::AXIS, "--axis"),
        (palette::GRID, "--grid"),
        (palette::MARKER, "--marker"),
        (palette::SERIES[0], "--s0"),
        (palette::SERIES[1], "--s1"),
        (palette::SERIES[2], "--s2"),
        (palette::SERIES[3], "--s3"),
    ];
    for (c, var) in map {
        let h = hex(c);
        let _ = write!(
            s,
            "figure.chart [fill=\"{h}\"]{{fill:var({var})}}figure.chart [stroke=\"{h}\"]{{stroke:var({var})}}"
        );
    }
    s
}

/// How values are shown (tick labels, hover, tables).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueFormat {
    /// A plain number with a unit suffix (`" req"`, `"%"`, `" ms"`, `""`).
    Number(&'static str),
    /// A duration in seconds, shown as `40s`, `12m`, `3h 5m`, `2d 4h`.
    Duration,
}

impl ValueFormat {
    /// `v` as text in this format.
    pub fn show(self, v: f64) -> String {
        match self {
            ValueFormat::Number(suffix) => format!("{}{suffix}", number(v)),
            ValueFormat::Duration => duration_label(v),
        }
    }
}

/// A number with at most 3 significant digits after the point, thousands
/// separated by a thin space: `1 234`, `12.5`, `0.123`.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 || v == v.trunc() {
        format!("{:.0}", v)
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    // Thousands separators on the integer part.
    let (sign, rest) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", &s));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.len() <= 4 {
        return s;
    }
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{2009}');
        }
        grouped.push(ch);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// The y scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Linear from 0.
    Linear,
    /// Logarithmic (values must be > 0; used for durations).
    Log,
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Points joined by lines; `None` breaks the line.
    Line,
    /// One bar per point, `bucket_secs` wide; `None` draws no bar.
    Bars,
    /// Points only (one value per event, e.g. lead time per deployment).
    Points,
}

/// One named series of `(unix seconds, value)` points; `None` = no data
/// for that time (drawn as a gap, said as "no data" on hover).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points in time order: unix seconds (UTC), value in the chart's unit.
    pub points: Vec<(i64, Option<f64>)>,
}

/// A deploy (or other event) drawn as a vertical line.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Unix seconds (UTC).
    pub at: i64,
    /// Shown on hover, e.g. `deploy v1.4.0`.
    pub label: String,
}

/// A time chart: the specification; [`TimeChart::render`] draws it.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeChart {
    /// A stable id (`data-chart` attribute), e.g. `web-p95`.
    pub id: String,
    /// The caption above the chart.
    pub title: String,
    /// The y axis title, naming the unit: `p95 latency (ms)`.
    pub y_title: String,
    /// How values are shown.
    pub format: ValueFormat,
    /// Linear or logarithmic y.
    pub scale: Scale,
    /// How the series are drawn.
    pub style: Style,
    /// Bucket width in seconds (bars, and the hover text of a bucket).
    pub bucket_secs: i64,
    /// The x range: window start and end, unix seconds.
    pub since: i64,
    /// Window end (exclusive), unix seconds.
    pub until: i64,
    /// The series (at most 4 are coloured distinctly).
    pub series: Vec<Series>,
    /// Deploy markers.
    pub markers: Vec<Marker>,
    /// What to say when there is no value at all: `no data: …`.
    pub empty_reason: String,
    /// An upper bound for the y axis (e.g. 100 for percentages).
    pub y_max: Option<f64>,
}

/// Drawing size of one variant.
#[derive(Clone, Copy)]
struct Variant {
    class: &'static str,
    w: u32,
    h: u32,
    max_x_ticks: usize,
    font: f64,
}

const WIDE: Variant = Variant {
    class: "wide",
    w: 600,
    h: 280,
    max_x_ticks: 6,
    font: 15.0,
};
const NARROW: Variant = Variant {
    class: "narrow",
    w: 380,
    h: 260,
    max_x_ticks: 3,
    font: 15.0,
};

pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl TimeChart {
    /// Whether any series has a value.
    pub fn has_data(&self) -> bool {
        self.series
            .iter()
            .any(|s| s.points.iter().any(|p| p.1.is_some_and(f64::is_finite)))
    }

    /// The `<figure>`: caption, legend and the two SVG variants; or, without
    /// any value, the caption and a "no data" note (no empty axes).
    pub fn render(&self) -> String {
        let mut out = format!(
            "<figure class=\"chart\" data-chart=\"{}\"><figcaption>{}</figcaption>",
            esc(&self.id),
            esc(&self.title)
        );
        if !self.has_data() {
            let _ = write!(
                out,
                "<p class=\"nodata\">no data: {}</p></figure>",
                esc(&self.empty_reason)
            );
            return out;
        }
        out.push_str("<div class=\"legend\">");
        for (i, s) in self.series.iter().enumerate() {
            let _ = write!(
                out,
                "<span><i style=\"background:var(--s{})\"></i>{}</span>",
                i % 4,
                esc(&s.name)
            );
        }
        if !self.markers.is_empty() {
            let _ = write!(
                out,
                "<span><i class=\"mk\"></i>deploy ({})</span>",
                self.markers.len()
            );
        }
        if self.scale == Scale::Log {
            out.push_str("<span>log scale</span>");
        }
        out.push_str("</div>");
        for v in [WIDE, NARROW] {
            out.push_str(&self.svg(v));
        }
        out.push_str("</figure>");
        out
    }

    fn y_range(&self) -> (f64, f64, Vec<f64>) {
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
            .filter(|v| v.is_finite())
            .collect();
        match self.scale {
            Scale::Linear => {
                let max = values.iter().copied().fold(0.0_f64, f64::max);
                let max = self.y_max.map(|m| max.min(m)).unwrap_or(max);
                let (top, step) = ticks::nice_linear(max);
                let mut t = Vec::new();
                let mut v = 0.0;
                while v <= top + step * 1e-6 {
                    t.push(v);
                    v += step;
                }
                (0.0, top, t)
            }
            Scale::Log => {
                let pos: Vec<f64> = values.iter().map(|v| v.max(1.0)).collect();
                let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = pos.iter().copied().fold(0.0_f64, f64::max);
                let marks = ticks::duration_marks(lo, hi);
                let lo = marks.first().copied().unwrap_or(lo).min(lo);
                let hi = marks.last().copied().unwrap_or(hi).max(hi);
                (
                    lo.log10(),
                    hi.log10().max(lo.log10() + 0.5),
                    marks.iter().map(|m| m.log10()).collect(),
                )
            }
        }
    }

    fn y_of(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Log => v.max(1.0).log10(),
        }
    }

    fn svg(&self, var: Variant) -> String {
        let mut buf = String::new();
        let (y0, y1, y_ticks) = self.y_range();
        let ticks = time_ticks(self.since, self.until, var.max_x_ticks);
        let (x0, x1) = (self.since as f64, self.until as f64);
        let mut overlay = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, (var.w, var.h)).into_drawing_area();
            let ink = rgb(palette::INK);
            let label_font = ("sans-serif", var.font).into_font().color(&ink);
            let desc_font = ("sans-serif", var.font).into_font().color(&ink);
            let mut chart = ChartBuilder::on(&root)
                .margin_top(10)
                .margin_right(if var.class == "wide" { 24 } else { 14 })
                .margin_left(4)
                .x_label_area_size(48)
                .y_label_area_size(if var.class == "wide" { 78 } else { 66 })
                .build_cartesian_2d(
                    Axis {
                        lo: x0,
                        hi: x1,
                        ticks: ticks.at.iter().map(|&t| t as f64).collect(),
                    },
                    Axis {
                        lo: y0,
                        hi: y1,
                        ticks: y_ticks.clone(),
                    },
                )
                .expect("chart builds on a string backend");
            let scale = self.scale;
            let format = self.format;
            let y_fmt = move |v: &f64| match scale {
                Scale::Linear => format.show(*v),
                Scale::Log => duration_label(10f64.powf(*v)),
            };
            let tick_fmt = ticks.format;
            let x_fmt = move |v: &f64| ticks::label(*v as i64, tick_fmt);
            chart
                .configure_mesh()
                .x_desc(ticks.title.clone())
                .y_desc(self.y_title.clone())
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .label_style(label_font)
                .axis_desc_style(desc_font)
                .axis_style(rgb(palette::AXIS))
                .bold_line_style(rgb(palette::GRID))
                .light_line_style(TRANSPARENT)
                .disable_x_mesh()
                .draw()
                .expect("mesh draws");

            // Deploy markers under the data.
            let mk = rgb(palette::MARKER);
            for m in self
                .markers
                .iter()
                .filter(|m| m.at >= self.since && m.at < self.until)
            {
                let x = m.at as f64;
                let _ = chart.draw_series(LineSeries::new(
                    [(x, y0), (x, y1)],
                    mk.mix(0.55).stroke_width(1),
                ));
                let _ = chart.draw_series(std::iter::once(TriangleMarker::new(
                    (x, y1),
                    5,
                    mk.filled(),
                )));
                let (px, py) = chart.backend_coord(&(x, y1));
                let (_, pb) = chart.backend_coord(&(x, y0));
                let _ = write!(
                    overlay,
                    "<rect class=\"hit\" x=\"{}\" y=\"{}\" width=\"8\" height=\"{}\"><title>{} — {}</title></rect>",
                    px - 4,
                    py - 6,
                    (pb - py + 6).max(1),
                    esc(&m.label),
                    esc(&ticks::hover_time(m.at))
                );
            }

            for (i, s) in self.series.iter().enumerate() {
                let color = rgb(palette::SERIES[i % 4]);
                let pts: Vec<(i64, f64)> = s
                    .points
                    .iter()
                    .filter(|p| p.0 >= self.since && p.0 < self.until)
                    .filter_map(|p| p.1.filter(|v| v.is_finite()).map(|v| (p.0, v)))
                    .collect();
                match self.style {
                    Style::Bars => {
                        let n = self.series.len().max(1) as i64;
                        let slot = (self.bucket_secs as f64 * 0.8) / n as f64;
                        for &(t, v) in &pts {
                            let left = t as f64 + self.bucket_secs as f64 * 0.1 + slot * i as f64;
                            let right = (left + slot).min(x1);
                            let base = match self.scale {
                                Scale::Linear => 0.0,
                                Scale::Log => y0,
                            };
                            let _ = chart.draw_series(std::iter::once(Rectangle::new(
                                [(left, base), (right, self.y_of(v))],
                                color.filled(),
                            )));
                            let (ax, ay) = chart.backend_coord(&(left, self.y_of(v)));
                            let (bx, by) = chart.backend_coord(&(right, base));
                            let _ = write!(
                                overlay,
                                "<rect class=\"hit\" x=\"{ax}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {} — {}</title></rect>",
                                ay.min(by - 2),
                                (bx - ax).max(2),
                                (by - ay).max(2),
                                esc(&s.name),
                                esc(&ticks::hover_bucket(t, self.bucket_secs)),
                                esc(&self.format.show(v))
                            );
                        }
                    }
                    Style::Line | Style::Points => {
                        if self.style == Style::Line {
                            // One line per run of consecutive values: a None breaks it.
                            let mut run: Vec<(f64, f64)> = Vec::new();
                            let mut runs = Vec::new();
                            for p in &s.points {
                                match p.1.filter(|v| v.is_finite()) {
                                    Some(v) if p.0 >= self.since && p.0 < self.until => {
                                        run.push((p.0 as f64, self.y_of(v)))
                                    }
                                    _ => {
                                        if !run.is_empty() {
                                            runs.push(std::mem::take(&mut run));
                                        }
                                    }
                                }
                            }
                            if !run.is_empty() {
                                runs.push(run);
                            }
                            for r in runs.into_iter().filter(|r| r.len() > 1) {
                                let _ =
                                    chart.draw_series(LineSeries::new(r, color.stroke_width(2)));
                            }
                        }
                        let radius = if self.style == Style::Points { 4 } else { 2 };
                        let _ = chart.draw_series(pts.iter().map(|&(t, v)| {
                            Circle::new((t as f64, self.y_of(v)), radius, color.filled())
                        }));
                        for &(t, v) in &pts {
                            let (px, py) = chart.backend_coord(&(t as f64, self.y_of(v)));
                            let when = if self.style == Style::Points {
                                ticks::hover_time(t)
                            } else {
                                ticks::hover_bucket(t, self.bucket_secs)
                            };
                            let _ = write!(
                                overlay,
                                "<circle class=\"hit\" cx=\"{px}\" cy=\"{py}\" r=\"6\"><title>{}: {} — {}</title></circle>",
                                esc(&s.name),
                                esc(&when),
                                esc(&self.format.show(v))
                            );
                        }
                    }
                }
            }
            root.present().expect("svg string");
        }
        finish_svg(&buf, var.class, &self.title, &overlay)
    }
}

/// A linear axis with the ticks chosen here (plotters' own choice of round
/// numbers knows nothing of days and durations).
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.hi - self.lo).max(f64::MIN_POSITIVE);
        let t = (v - self.lo) / span;
        (limit.0 as f64 + t * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Make plotters' document responsive (no fixed width/height, a class and
/// an accessible name) and append the hover overlay.
fn finish_svg(svg: &str, class: &str, title: &str, overlay: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    let end_open = body.find('>').unwrap_or(0);
    let open = &body[..end_open];
    let view_box = open
        .split("viewBox=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("0 0 100 100");
    let inner = body[end_open + 1..]
        .trim_end()
        .strip_suffix("</svg>")
        .unwrap_or(&body[end_open + 1..]);
    format!(
        "<svg class=\"{class}\" viewBox=\"{view_box}\" role=\"img\" aria-label=\"{}\">{}<g class=\"hover\">{overlay}</g></svg>",
        esc(title),
        inner.lines().map(str::trim).collect::<String>()
    )
}

#[cfg(test)]
mod tests;
