//! Output formats of `dora report`, all pure string building: JSON (the
//! stable contract, see docs/dora-report.md), a table for terminals, Markdown (also
//! the Actions step summary), CSV and NDJSON of the per-deployment rows, and
//! a self-contained HTML page with inline SVG charts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::text::human_duration_coarse as human;

use super::engine::{Band, Delta, Metrics, Row};
use super::input::parse_time;
use super::model::Outcome;

/// The whole report. JSON field order is part of the contract.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `owner/name`, when known.
    pub repository: Option<String>,
    /// The deployment environment reported on.
    pub environment: String,
    /// Where deployments came from: `github` or `git`.
    pub source: String,
    #[serde(flatten)]
    /// The metrics of the window.
    pub current: Metrics,
    /// `--compare-previous`: the preceding window of equal length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Metrics>,
    /// `--compare-previous`: current minus previous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Delta>,
    /// Human-readable warnings (shallow clone and its fix, ...); the
    /// machine-readable side is `diagnostics`.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// The report as pretty-printed JSON (the `--format json` contract).
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("report serializes")
}

fn band(b: Option<Band>) -> &'static str {
    b.map(Band::as_str).unwrap_or("-")
}

fn paint(text: &str, b: Option<Band>, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match b {
        Some(Band::Elite) => "32",
        Some(Band::High) => "36",
        Some(Band::Medium) => "33",
        Some(Band::Low) => "31",
        None => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// The four headline values as text, `n/a` where there is no data.
pub fn headline(m: &Metrics) -> [(&'static str, String, Option<Band>); 4] {
    let f = &m.deployment_frequency;
    let freq = match f.per_day {
        Some(pd) => format!(
            "{} deploys ({pd:.2}/day, {:.2}/week)",
            f.deployments,
            f.per_week.unwrap_or(0.0)
        ),
        None => "n/a (no deployments found)".into(),
    };
    let l = &m.lead_time;
    let lead = match (l.median_seconds, l.p90_seconds) {
        (Some(med), Some(p90)) => format!(
            "median {}, p90 {} ({} changes)",
            human(med),
            human(p90),
            l.changes
        ),
        _ => "n/a (no changes)".into(),
    };
    let no_failure_data = m.diagnostics.get(super::engine::Diagnostic::NoFailureData) > 0;
    let c = &m.change_failure_rate;
    let cfr = match c.rate {
        Some(rate) => format!("{:.1}% ({}/{})", rate * 100.0, c.failed, c.total),
        None if no_failure_data => "n/a (git tags record no failures: pass --incidents)".into(),
        None => "n/a (no deployments)".into(),
    };
    let r = &m.recovery_time;
    let rec = match r.median_seconds {
        Some(med) => format!(
            "median {} ({}/{} recovered)",
            human(med),
            r.recovered,
            r.failures
        ),
        None if no_failure_data => "n/a (no failure data)".into(),
        None if r.failures > 0 => format!("n/a (0/{} recovered)", r.failures),
        None => "n/a (no failures)".into(),
    };
    [
        ("Deployment frequency", freq, f.band),
        ("Lead time for changes", lead, l.band),
        ("Change failure rate", cfr, c.band),
        ("Failed-deployment recovery time", rec, r.band),
    ]
}

fn title(r: &Report) -> String {
    format!(
        "DORA report: {} · {} · source {}",
        r.repository.as_deref().unwrap_or("(local repository)"),
        r.environment,
        r.source
    )
}

fn diagnostics_line(m: &Metrics) -> Option<String> {
    (!m.diagnostics.is_empty()).then(|| {
        m.diagnostics
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// The terminal table; `color` only on a TTY without `NO_COLOR`.
pub fn text(r: &Report, color: bool) -> String {
    let m = &r.current;
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(r));
    let _ = writeln!(out, "window: {} → {}\n", m.window.since, m.window.until);
    let rows = headline(m);
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let prev = r.previous.as_ref().map(headline);
    let _ = writeln!(
        out,
        "{:w0$}  {:w1$}  {:6}{}",
        "Metric",
        "Value",
        "Band",
        if prev.is_some() {
            "  Previous window"
        } else {
            ""
        }
    );
    for (i, (name, value, b)) in rows.iter().enumerate() {
        let pad = " ".repeat(w1 - value.chars().count());
        let band_text = format!("{:6}", band(*b));
        let _ = write!(
            out,
            "{name:w0$}  {value}{pad}  {}",
            paint(&band_text, *b, color)
        );
        if let Some(p) = &prev {
            let _ = write!(out, "  {} ({})", p[i].1, band(p[i].2));
        }
        out.push('\n');
    }
    if let Some(d) = diagnostics_line(m) {
        let _ = writeln!(out, "\ndiagnostics: {d}");
    }
    // Warnings are not repeated here: the command prints them once, on
    // stderr (this text goes to stdout).
    out
}

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The report as GitHub-flavoured Markdown (also the step summary).
pub fn markdown(r: &Report) -> String {
    let m = &r.current;
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", md_escape(&title(r)));
    let _ = writeln!(out, "Window: `{}` → `{}`\n", m.window.since, m.window.until);
    let prev = r.previous.as_ref().map(headline);
    if prev.is_some() {
        let _ = writeln!(out, "| Metric | Value | Band | Previous window | Band |");
        let _ = writeln!(out, "|---|---|---|---|---|");
    } else {
        let _ = writeln!(out, "| Metric | Value | Band |");
        let _ = writeln!(out, "|---|---|---|");
    }
    for (i, (name, value, b)) in headline(m).iter().enumerate() {
        let _ = write!(out, "| {name} | {} | {} |", md_escape(value), band(*b));
        if let Some(p) = &prev {
            let _ = write!(out, " {} | {} |", md_escape(&p[i].1), band(p[i].2));
        }
        out.push('\n');
    }
    if let Some(d) = diagnostics_line(m) {
        let _ = writeln!(out, "\nDiagnostics: {}", md_escape(&d));
    }
    for w in &r.warnings {
        let _ = writeln!(out, "\n> **Warning:** {}", md_escape(w));
    }
    out
}

const CSV_HEADER: &str = "repository,environment,id,sha,deployed_at,status,changes,median_lead_time_seconds,incidents,recovery_seconds";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn status(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
    }
}

/// One line per deployment in the window, with a header.
pub fn csv(r: &Report) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    let repo = r.repository.clone().unwrap_or_default();
    for row in &r.current.deployments {
        let cells = [
            csv_field(&repo),
            csv_field(&r.environment),
            csv_field(&row.id),
            csv_field(&row.sha),
            row.deployed_at.clone(),
            status(row.status).into(),
            opt(row.changes),
            opt(row.median_lead_time_seconds),
            row.incidents.to_string(),
            opt(row.recovery_seconds),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// One JSON object per deployment in the window.
pub fn ndjson(r: &Report) -> String {
    #[derive(Serialize)]
    struct Line<'a> {
        repository: Option<&'a str>,
        environment: &'a str,
        #[serde(flatten)]
        row: &'a Row,
    }
    let mut out = String::new();
    for row in &r.current.deployments {
        let line = Line {
            repository: r.repository.as_deref(),
            environment: &r.environment,
            row,
        };
        out.push_str(&serde_json::to_string(&line).expect("row serializes"));
        out.push('\n');
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const W: f64 = 640.0;
const H: f64 = 200.0;
const PAD: f64 = 36.0;

/// A bar chart: labels under bars, values above.
fn svg_bars(title: &str, bars: &[(String, f64)], unit: &str) -> String {
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        html_escape(title),
        html_escape(title)
    );
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1e-9);
    let n = bars.len().max(1) as f64;
    let bw = (W - 2.0 * PAD) / n;
    let _ = write!(
        s,
        "<line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>",
        H - PAD,
        W - PAD,
        H - PAD
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let h = (H - 2.0 * PAD) * v / max;
        let x = PAD + i as f64 * bw;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {}{}</title></rect>",
            x + bw * 0.1,
            H - PAD - h,
            bw * 0.8,
            h,
            html_escape(label),
            trim_num(*v),
            unit
        );
        if bars.len() <= 20 || i % (bars.len() / 10).max(1) == 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{}\" class=\"label\">{}</text>",
                x + bw / 2.0,
                H - PAD + 14.0,
                html_escape(label)
            );
        }
    }
    let _ = write!(
        s,
        "<text x=\"4\" y=\"{}\" class=\"label start\">{}{}</text>",
        PAD - 8.0,
        trim_num(max),
        unit
    );
    s.push_str("</svg></figure>");
    s
}

/// A scatter-and-line chart of (unix time, value) points.
fn svg_points(title: &str, points: &[(i64, f64, String)], x0: i64, x1: i64, unit: &str) -> String {
    let mut s = format!(
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        html_escape(title),
        html_escape(title)
    );
    let _ = write!(
        s,
        "<line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>",
        H - PAD,
        W - PAD,
        H - PAD
    );
    if points.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" class=\"label\">no data</text>",
            W / 2.0,
            H / 2.0
        );
    }
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9);
    let span = (x1 - x0).max(1) as f64;
    let xy = |t: i64, v: f64| {
        (
            PAD + (W - 2.0 * PAD) * (t - x0) as f64 / span,
            H - PAD - (H - 2.0 * PAD) * v / max,
        )
    };
    if points.len() > 1 {
        let path: Vec<String> = points
            .iter()
            .map(|p| {
                let (x, y) = xy(p.0, p.1);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(s, "<polyline points=\"{}\"/>", path.join(" "));
    }
    for p in points {
        let (x, y) = xy(p.0, p.1);
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\"><title>{}: {}{}</title></circle>",
            html_escape(&p.2),
            trim_num(p.1),
            unit
        );
    }
    let _ = write!(
        s,
        "<text x=\"4\" y=\"{}\" class=\"label start\">{}{}</text>",
        PAD - 8.0,
        trim_num(max),
        unit
    );
    s.push_str("</svg></figure>");
    s
}

fn trim_num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// One self-contained page: no scripts, fonts or images from anywhere.
pub fn html(r: &Report) -> String {
    let m = &r.current;
    let since = parse_time(&m.window.since)
        .map(|t| t.timestamp())
        .unwrap_or(0);
    let until = parse_time(&m.window.until)
        .map(|t| t.timestamp())
        .unwrap_or(since + 1);
    let weeks = (((until - since) as f64) / 604_800.0).ceil().max(1.0) as usize;
    let mut per_week = vec![0.0; weeks];
    let mut failed_week = vec![(0u64, 0u64); weeks];
    let mut lead = Vec::new();
    let mut recovery = Vec::new();
    for row in &m.deployments {
        let t = parse_time(&row.deployed_at)
            .map(|t| t.timestamp())
            .unwrap_or(since);
        let w = (((t - since) / 604_800) as usize).min(weeks - 1);
        failed_week[w].1 += 1;
        match row.status {
            Outcome::Success => {
                per_week[w] += 1.0;
                if row.incidents > 0 {
                    failed_week[w].0 += 1;
                }
            }
            Outcome::Failure => failed_week[w].0 += 1,
        }
        if let Some(l) = row.median_lead_time_seconds {
            lead.push((t, l / 3600.0, row.id.clone()));
        }
        if let Some(rs) = row.recovery_seconds {
            recovery.push((t, rs as f64 / 3600.0, row.id.clone()));
        }
    }
    let week_label = |i: usize| {
        chrono::DateTime::from_timestamp(since + i as i64 * 604_800, 0)
            .map(|d| d.format("%m-%d").to_string())
            .unwrap_or_default()
    };
    let freq_bars: Vec<(String, f64)> = per_week
        .iter()
        .enumerate()
        .map(|(i, v)| (week_label(i), *v))
        .collect();
    let cfr_bars: Vec<(String, f64)> = failed_week
        .iter()
        .enumerate()
        .map(|(i, (f, t))| {
            (
                week_label(i),
                if *t > 0 {
                    *f as f64 * 100.0 / *t as f64
                } else {
                    0.0
                },
            )
        })
        .collect();

    let mut s = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
    );
    let _ = write!(s, "<title>{}</title>", html_escape(&title(r)));
    s.push_str(
        "<style>body{font:14px system-ui,sans-serif;margin:2em auto;max-width:720px;color:#222}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}\
.elite{color:#1a7f37}.high{color:#0969da}.medium{color:#9a6700}.low{color:#cf222e}\
svg{width:100%;height:auto;background:#fafafa}rect{fill:#0969da}polyline{fill:none;stroke:#0969da}\
circle{fill:#cf222e}.axis{stroke:#888}.label{font-size:10px;text-anchor:middle;fill:#555}.start{text-anchor:start}\
figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:4px}.warn{background:#fff8c5;padding:8px}</style></head><body>",
    );
    let _ = write!(s, "<h1>{}</h1>", html_escape(&title(r)));
    let _ = write!(
        s,
        "<p>Window: {} → {}</p>",
        html_escape(&m.window.since),
        html_escape(&m.window.until)
    );
    for w in &r.warnings {
        let _ = write!(s, "<p class=\"warn\">Warning: {}</p>", html_escape(w));
    }
    s.push_str("<table><tr><th>Metric</th><th>Value</th><th>Band</th></tr>");
    for (name, value, b) in headline(m) {
        let _ = write!(
            s,
            "<tr><td>{name}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            html_escape(&value),
            band(b),
            band(b)
        );
    }
    s.push_str("</table>");
    s.push_str(&svg_bars("Deployments per week", &freq_bars, ""));
    s.push_str(&svg_points(
        "Lead time trend (median per deployment, hours)",
        &lead,
        since,
        until,
        " h",
    ));
    s.push_str(&svg_bars(
        "Change failure rate per week (%)",
        &cfr_bars,
        " %",
    ));
    s.push_str(&svg_points(
        "Recovery time per failure (hours)",
        &recovery,
        since,
        until,
        " h",
    ));
    if let Some(d) = diagnostics_line(m) {
        let _ = write!(s, "<p>Diagnostics: {}</p>", html_escape(&d));
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanized() {
        assert_eq!(human(40.0), "40s");
        assert_eq!(human(125.0), "2m");
        assert_eq!(human(3.0 * 3600.0 + 120.0), "3h 2m");
        assert_eq!(human(2.0 * 86_400.0 + 3600.0), "2d 1h");
    }

    fn sample() -> Report {
        use crate::dora::engine::{Window, analyze, metrics};
        use crate::dora::input::parse_time;
        use crate::dora::model::{ChangeSet, Deployment};
        let t = |s: &str| parse_time(s).unwrap();
        let deps = [
            Deployment::success("v1", "c1", t("2024-01-02")),
            Deployment::failed("<b>v2</b>", "c2", t("2024-01-03")),
            Deployment::success("v3,\"x\"", "c3", t("2024-01-04")),
        ];
        let mut none = |_: &str, _: &[String], _: bool| ChangeSet::Known(vec![]);
        let a = analyze(&deps, &[], Default::default(), t("2024-01-01"), &mut none);
        let w = Window {
            since: t("2024-01-01"),
            until: t("2024-01-15"),
        };
        Report {
            repository: Some("acme/web".into()),
            environment: "production".into(),
            source: "git".into(),
            current: metrics(&a, w),
            previous: None,
            change: None,
            warnings: vec!["a <warning>".into()],
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let r = sample();
        assert!(text(&r, true).contains("\x1b[31m"), "low band in red");
        assert!(!text(&r, false).contains('\x1b'));
        // Warnings go to stderr once (the command prints them), not into the table.
        assert!(!text(&r, false).contains("warning"));
    }

    #[test]
    fn untrusted_text_is_escaped_per_format() {
        let r = sample();
        let h = html(&r);
        assert!(
            h.contains("&lt;b&gt;v2&lt;/b&gt;") && !h.contains("<b>v2"),
            "html"
        );
        assert!(h.contains("a &lt;warning&gt;"));
        assert_eq!(h.matches("<svg").count(), 4);
        let c = csv(&r);
        assert!(c.contains(",\"v3,\"\"x\"\"\","), "{c}");
        assert_eq!(c.lines().count(), 4);
        let m = markdown(&r);
        assert!(m.contains("a \\<warning\\>"), "{m}");
        for line in ndjson(&r).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["repository"], "acme/web");
        }
    }

    #[test]
    fn escaping() {
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(html_escape("<script>&'"), "&lt;script&gt;&amp;&#39;");
        assert_eq!(md_escape("a|b\n*c*"), "a\\|b \\*c\\*");
    }
}
