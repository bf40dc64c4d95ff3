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
use crate::chart::page::{card, escape, page, score_bar};
use crate::chart::{Scale, Series, Style, TimeChart, ValueFormat};
use crate::quickcheck::{self, Measured, QuickCheck};

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
    /// The DORA Quick Check (2025) scores of the window: the headline
    /// ([`quick_check_of`]); `null` without deployments.
    pub quick_check: Option<QuickCheck>,
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

/// The Quick Check scores of one window, compared with `benchmark`
/// (`all`: every industry). `None` without deployments.
pub fn quick_check_of(m: &Metrics, benchmark: &str) -> Option<QuickCheck> {
    quickcheck::quick_check(
        &Measured {
            lead_time_secs: m.lead_time.median_seconds,
            deploys_per_day: m.deployment_frequency.per_day,
            recovery_secs: m.recovery_time.median_seconds,
            change_failure_rate: m.change_failure_rate.rate,
            rework_rate: m.rework_rate.rate,
        },
        benchmark,
    )
}

/// One headline row: metric, value, Quick Check score (0–10), 2023 band.
pub type HeadlineRow = (&'static str, String, Option<f64>, Option<Band>);

/// The five headline values as text (`n/a` where there is no data), each
/// with its Quick Check score and DORA 2023 band (rework has no band).
pub fn headline(m: &Metrics) -> [HeadlineRow; 5] {
    let q = quick_check_of(m, "all");
    let sc = |f: fn(&QuickCheck) -> Option<f64>| q.as_ref().and_then(f);
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
    let w = &m.rework_rate;
    let rework = match w.rate {
        Some(rate) => format!("{:.1}% ({}/{})", rate * 100.0, w.rework, w.total),
        None if no_failure_data => "n/a (git tags record no failures: pass --incidents)".into(),
        None => "n/a (no deployments)".into(),
    };
    [
        (
            "Deployment frequency",
            freq,
            sc(|q| q.scores.deployfreq),
            f.band,
        ),
        (
            "Lead time for changes",
            lead,
            sc(|q| q.scores.leadtime),
            l.band,
        ),
        (
            "Change failure rate",
            cfr,
            sc(|q| q.scores.changefailure),
            c.band,
        ),
        (
            "Failed-deployment recovery time",
            rec,
            sc(|q| q.scores.failurerecovery),
            r.band,
        ),
        (
            "Deployment rework rate",
            rework,
            sc(|q| q.scores.rework),
            None,
        ),
    ]
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "n/a".into())
}

/// `DORA Quick Check (2025): 7.2/10 (throughput 6.0, stability 8.4)`.
fn qc_line(q: &Option<QuickCheck>) -> String {
    match q {
        Some(q) => format!(
            "DORA Quick Check (2025): {:.1}/10 (throughput {:.1}, stability {:.1})",
            q.scores.performance, q.scores.throughput, q.scores.stability
        ),
        None => "DORA Quick Check (2025): n/a (no deployments)".into(),
    }
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
    let _ = writeln!(out, "window: {} → {}", m.window.since, m.window.until);
    let _ = writeln!(out, "{}\n", qc_line(&r.quick_check));
    let rows = headline(m);
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let prev = r.previous.as_ref().map(headline);
    let _ = writeln!(
        out,
        "{:w0$}  {:w1$}  {:5}  {:9}{}",
        "Metric",
        "Value",
        "Score",
        "2023 band",
        if prev.is_some() {
            "  Previous window"
        } else {
            ""
        }
    );
    for (i, (name, value, sc, b)) in rows.iter().enumerate() {
        let pad = " ".repeat(w1 - value.chars().count());
        let band_text = format!("{:9}", band(*b));
        let _ = write!(
            out,
            "{name:w0$}  {value}{pad}  {:5}  {}",
            score(*sc),
            paint(&band_text, *b, color)
        );
        if let Some(p) = &prev {
            let _ = write!(
                out,
                "  {} (score {}, {})",
                p[i].1,
                score(p[i].2),
                band(p[i].3)
            );
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
    let _ = writeln!(out, "**{}**\n", qc_line(&r.quick_check));
    let prev = r.previous.as_ref().map(headline);
    if prev.is_some() {
        let _ = writeln!(
            out,
            "| Metric | Value | Score (0–10) | 2023 band | Previous window | Score | 2023 band |"
        );
        let _ = writeln!(out, "|---|---|---:|---|---|---:|---|");
    } else {
        let _ = writeln!(out, "| Metric | Value | Score (0–10) | 2023 band |");
        let _ = writeln!(out, "|---|---|---:|---|");
    }
    for (i, (name, value, sc, b)) in headline(m).iter().enumerate() {
        let _ = write!(
            out,
            "| {name} | {} | {} | {} |",
            md_escape(value),
            score(*sc),
            band(*b)
        );
        if let Some(p) = &prev {
            let _ = write!(
                out,
                " {} | {} | {} |",
                md_escape(&p[i].1),
                score(p[i].2),
                band(p[i].3)
            );
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
    escape(s)
}

fn unix(s: &str) -> i64 {
    parse_time(s).map(|t| t.timestamp()).unwrap_or(0)
}

/// The charts of one window; `shift` moves another window's points onto
/// this one's time axis (`--compare-previous`: the previous window, shifted
/// by its length, drawn as a second series).
fn charts(r: &Report) -> Vec<TimeChart> {
    let m = &r.current;
    let (since, until) = (unix(&m.window.since), unix(&m.window.until));
    let len = until - since;
    let week = 7 * 86_400;
    let bucket = if len > 21 * 86_400 { week } else { 86_400 };
    let per = if bucket == week { "week" } else { "day" };
    let origin = if bucket == week { 4 * 86_400 } else { 0 };
    let starts: Vec<i64> = {
        let mut t = (since - origin).div_euclid(bucket) * bucket + origin;
        let mut v = Vec::new();
        while t < until {
            v.push(t);
            t += bucket;
        }
        v
    };
    let windows: Vec<(&str, &Metrics, i64)> = std::iter::once(("this window", m, 0))
        .chain(
            r.previous
                .as_ref()
                .map(|p| ("previous window (shifted)", p, len)),
        )
        .collect();
    let base = |id: &str, title: String, y: String, format| TimeChart {
        id: format!("dora-{id}"),
        title,
        y_title: y,
        format,
        scale: Scale::Linear,
        style: Style::Bars,
        bucket_secs: bucket,
        since,
        until,
        series: Vec::new(),
        markers: Vec::new(),
        empty_reason: "no deployments in the window".into(),
        y_max: None,
    };
    let mut freq = base(
        "deploys",
        format!("Successful deployments per {per}"),
        format!("Deployments per {per}"),
        ValueFormat::Number(""),
    );
    let mut cfr = base(
        "cfr",
        format!("Change failure rate per {per}"),
        "Change failure rate (%)".into(),
        ValueFormat::Number(" %"),
    );
    cfr.y_max = Some(100.0);
    cfr.empty_reason =
        "no deployments in the window (a period without deployments has no rate)".into();
    let mut lead = base(
        "lead-time",
        "Lead time per deployment (median of its changes, log scale)".into(),
        "Lead time (log scale)".into(),
        ValueFormat::Duration,
    );
    lead.scale = Scale::Log;
    lead.style = Style::Points;
    lead.empty_reason = "no lead time: no deployment with known changes in the window".into();
    let mut rec = base(
        "recovery",
        "Recovery time per failure (log scale)".into(),
        "Recovery time (log scale)".into(),
        ValueFormat::Duration,
    );
    rec.scale = Scale::Log;
    rec.style = Style::Points;
    rec.empty_reason = "no recovered failure in the window".into();
    for (name, w, shift) in windows {
        let rows: Vec<(i64, &Row)> = w
            .deployments
            .iter()
            .map(|d| (unix(&d.deployed_at) + shift, d))
            .collect();
        let any = !rows.is_empty();
        let in_bucket = |t0: i64| {
            rows.iter()
                .filter(move |(t, _)| *t >= t0 && *t < t0 + bucket)
        };
        freq.series.push(Series {
            name: name.into(),
            points: starts
                .iter()
                .map(|&t0| {
                    (
                        t0.max(since),
                        any.then(|| {
                            in_bucket(t0)
                                .filter(|(_, d)| d.status == Outcome::Success)
                                .count() as f64
                        }),
                    )
                })
                .collect(),
        });
        cfr.series.push(Series {
            name: name.into(),
            points: starts
                .iter()
                .map(|&t0| {
                    let all = in_bucket(t0).count();
                    let failed = in_bucket(t0)
                        .filter(|(_, d)| d.status == Outcome::Failure || d.incidents > 0)
                        .count();
                    // A period without deployments has no rate: a gap, not 0 %.
                    (
                        t0.max(since),
                        (all > 0).then(|| failed as f64 * 100.0 / all as f64),
                    )
                })
                .collect(),
        });
        lead.series.push(Series {
            name: name.into(),
            points: rows
                .iter()
                .map(|(t, d)| (*t, d.median_lead_time_seconds))
                .collect(),
        });
        rec.series.push(Series {
            name: name.into(),
            points: rows
                .iter()
                .map(|(t, d)| (*t, d.recovery_seconds.map(|s| s as f64)))
                .collect(),
        });
    }
    vec![freq, lead, cfr, rec]
}

/// One self-contained page (the same chart module and page shell as
/// `obsctl report`): no scripts, fonts or images from anywhere. With
/// `--compare-previous`, the previous window's values, scores and change
/// are in the table and its series in the charts.
pub fn html(r: &Report) -> String {
    let m = &r.current;
    let mut s = String::new();
    let _ = write!(s, "<header><h1>{}</h1>", html_escape(&title(r)));
    let _ = write!(
        s,
        "<p class=\"muted\">Window {} → {} (UTC){}</p></header>",
        html_escape(&m.window.since),
        html_escape(&m.window.until),
        r.previous
            .as_ref()
            .map(|p| format!(
                " · compared with {} → {}",
                html_escape(&p.window.since),
                html_escape(&p.window.until)
            ))
            .unwrap_or_default()
    );
    for w in &r.warnings {
        let _ = write!(s, "<p class=\"note\">Warning: {}</p>", html_escape(w));
    }
    let q = &r.quick_check;
    let pq = r.previous.as_ref().and_then(|p| quick_check_of(p, "all"));
    s.push_str("<div class=\"cards\">");
    let qv = |q: &Option<QuickCheck>, f: fn(&QuickCheck) -> f64| {
        q.as_ref()
            .map(|q| format!("{:.1}/10", f(q)))
            .unwrap_or_else(|| "n/a".into())
    };
    let was = |f: fn(&QuickCheck) -> f64| {
        pq.as_ref()
            .map(|p| format!("previous window {:.1}", f(p)))
            .unwrap_or_default()
    };
    s.push_str(&card(
        "DORA Quick Check (2025)",
        &qv(q, |q| q.scores.performance),
        &was(|q| q.scores.performance),
    ));
    s.push_str(&card(
        "Throughput",
        &qv(q, |q| q.scores.throughput),
        &was(|q| q.scores.throughput),
    ));
    s.push_str(&card(
        "Stability",
        &qv(q, |q| q.scores.stability),
        &was(|q| q.scores.stability),
    ));
    if let Some(b) = q.as_ref().and_then(|q| q.benchmark.as_ref()) {
        let z = b.z.get("performance").copied().unwrap_or(0.0);
        s.push_str(&card(
            "Against the 2025 benchmark",
            &format!("{z:+.2} σ"),
            &b.name,
        ));
    }
    s.push_str("</div>");
    let prev = r.previous.as_ref().map(headline);
    s.push_str("<div class=\"tw\"><table><tr><th>Metric</th><th>Value</th><th>Score (0–10)</th><th>2023 band</th>");
    if prev.is_some() {
        s.push_str("<th>Previous window</th><th>Score</th><th>2023 band</th>");
    }
    s.push_str("</tr>");
    for (i, (name, value, sc, b)) in headline(m).into_iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td>{name}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td>",
            html_escape(&value),
            sc.map(score_bar).unwrap_or_else(|| "n/a".into()),
            band(b),
            band(b)
        );
        if let Some(p) = &prev {
            let _ = write!(
                s,
                "<td>{}</td><td>{}</td><td class=\"{}\">{}</td>",
                html_escape(&p[i].1),
                p[i].2.map(score_bar).unwrap_or_else(|| "n/a".into()),
                band(p[i].3),
                band(p[i].3)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></div>");
    if let Some(c) = &r.change {
        let pct = |v: Option<f64>| {
            v.map(|v| format!("{:+.1} pp", v * 100.0))
                .unwrap_or_else(|| "n/a".into())
        };
        let dur = |v: Option<f64>| {
            v.map(|v| format!("{}{}", if v < 0.0 { "−" } else { "+" }, human(v.abs())))
                .unwrap_or_else(|| "n/a".into())
        };
        let _ = write!(
            s,
            "<p class=\"muted\">Change against the previous window: deployments {:+}, lead time {}, change failure rate {}, recovery {}, rework rate {}.</p>",
            c.deployments,
            dur(c.lead_time_median_seconds),
            pct(c.change_failure_rate),
            dur(c.recovery_median_seconds),
            pct(c.rework_rate)
        );
    }
    s.push_str("<div class=\"charts\">");
    for c in charts(r) {
        s.push_str(&c.render());
    }
    s.push_str("</div>");
    if !m.deployments.is_empty() {
        let _ = write!(
            s,
            "<details><summary>{} deployment(s) in the window</summary><div class=\"tw\"><table><tr><th>Deployment</th><th>Commit</th>\
<th>Deployed (UTC)</th><th>Status</th><th class=\"n\">Changes</th><th class=\"n\">Median lead time</th><th class=\"n\">Incidents</th>\
<th class=\"n\">Recovery</th><th>Rework</th></tr>",
            m.deployments.len()
        );
        for d in &m.deployments {
            let _ = write!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                html_escape(&d.id),
                html_escape(crate::text::short_sha(&d.sha)),
                html_escape(&d.deployed_at),
                status(d.status),
                d.changes
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                d.median_lead_time_seconds
                    .map(human)
                    .unwrap_or_else(|| "-".into()),
                d.incidents,
                d.recovery_seconds
                    .map(|r| human(r as f64))
                    .unwrap_or_else(|| "-".into()),
                if d.rework { "yes" } else { "" }
            );
        }
        s.push_str("</table></div></details>");
    }
    if let Some(d) = diagnostics_line(m) {
        let _ = write!(s, "<p class=\"muted\">Diagnostics: {}</p>", html_escape(&d));
    }
    s.push_str(
        "<footer>Made by obsctl dora report. Scores: DORA Quick Check (2025 edition, 0–10, higher is better); bands: DORA 2023 (elite/high/medium/low). A period without deployments has no rate: a gap, never 0 %.</footer>",
    );
    page(&title(r), &s)
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
            quick_check: quick_check_of(&metrics(&a, w), "all"),
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
        assert_eq!(h.matches("<figure class=\"chart\"").count(), 4);
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

#[cfg(test)]
mod page_tests {
    use super::*;
    use crate::dora::engine::{Window, analyze, delta, metrics};
    use crate::dora::input::parse_time;
    use crate::dora::model::{Change, ChangeSet, Deployment, Incident};

    /// 120 days of deployments (some failed, one incident), both windows.
    fn compared() -> Report {
        let start = parse_time("2025-10-01").unwrap();
        let mut deps = Vec::new();
        let mut when = std::collections::HashMap::new();
        for i in 0..70 {
            let at = start + chrono::Duration::hours(i * 41 + (i % 5) * 7);
            let id = format!("v1.{i}");
            let sha = format!("{:040x}", i + 1);
            when.insert(sha.clone(), (at, i));
            deps.push(if i % 11 == 5 {
                Deployment::failed(&id, &sha, at)
            } else {
                Deployment::success(&id, &sha, at)
            });
        }
        let incidents = [Incident {
            id: "inc-1".into(),
            created_at: start + chrono::Duration::days(100),
            resolved_at: Some(start + chrono::Duration::days(101)),
            deployment: None,
        }];
        let mut source = |sha: &str, _: &[String], _: bool| {
            let (at, i) = when[sha];
            ChangeSet::Known(vec![Change {
                sha: format!("c{sha}"),
                author_time: at - chrono::Duration::minutes(30 + 97 * (i % 13) * (i % 4 + 1)),
                is_merge: false,
            }])
        };
        let w = Window {
            since: parse_time("2025-12-10").unwrap(),
            until: parse_time("2026-01-31").unwrap(),
        };
        let a = analyze(
            &deps,
            &incidents,
            Default::default(),
            w.previous().since,
            &mut source,
        );
        let cur = metrics(&a, w);
        let prev = metrics(&a, w.previous());
        Report {
            repository: Some("acme/web".into()),
            environment: "production".into(),
            source: "git".into(),
            quick_check: quick_check_of(&cur, "all"),
            change: Some(delta(&cur, &prev)),
            current: cur,
            previous: Some(prev),
            warnings: vec![],
        }
    }

    #[test]
    fn compare_previous_is_in_the_page() {
        let r = compared();
        let h = html(&r);
        assert!(h.contains("Previous window"));
        assert!(h.contains("previous window (shifted)"));
        assert!(h.contains("Change against the previous window"));
        assert!(h.contains("DORA Quick Check (2025)"));
        assert!(
            h.contains(">2025-12-"),
            "ticks carry the year across new year"
        );
        assert!(r.current.rework_rate.rate.is_some());
        let md = markdown(&r);
        assert!(
            md.contains("| Previous window | Score | 2023 band |"),
            "{md}"
        );
        assert!(text(&r, false).contains("2023 band"));
    }
}
