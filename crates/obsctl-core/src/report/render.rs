//! `report`'s formats: JSON (the model itself), text, Markdown (for the
//! Actions step summary, kept under its 1 MiB) and one self-contained HTML
//! page with the charts of [`crate::chart`]. The three human formats carry
//! the same content; only HTML draws it.

use std::fmt::Write as _;

use super::{Delivery, Performance, Report, ServiceReport, Status, UserImpact};
use crate::chart::page::{card, escape, page, score_bar};
use crate::chart::{Marker, Scale, Series, Style, TimeChart, ValueFormat, duration_label, number};
use crate::quickcheck::{DURATION_BUCKETS, FREQUENCY_BUCKETS, QuickCheck};

/// GitHub's limit on one step summary.
pub const STEP_SUMMARY_MAX: usize = 1024 * 1024;

/// The JSON document.
pub fn json(r: &Report) -> String {
    serde_json::to_string_pretty(r).expect("report serializes") + "\n"
}

fn pct(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r.is_finite() => {
            let p = r * 100.0;
            if p != 0.0 && p.abs() < 0.1 {
                format!("{p:.3} %")
            } else if p > 99.0 && p < 100.0 {
                format!("{p:.2} %")
            } else {
                format!("{p:.1} %")
            }
        }
        _ => "n/a".into(),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{} ms", number(v.round())))
        .unwrap_or_else(|| "n/a".into())
}

fn secs(v: Option<f64>) -> String {
    v.map(duration_label).unwrap_or_else(|| "n/a".into())
}

fn count(v: Option<f64>) -> String {
    v.map(|v| number(v.round())).unwrap_or_else(|| "n/a".into())
}

/// The Quick Check headline, e.g. `6.9/10 (throughput 6.0, stability 8.3)`.
fn qc_line(q: &Option<QuickCheck>) -> String {
    match q {
        Some(q) => format!(
            "{:.1}/10 (throughput {:.1}, stability {:.1})",
            q.scores.performance, q.scores.throughput, q.scores.stability
        ),
        None => "n/a (no deployments)".into(),
    }
}

/// The rows of the Quick Check table: metric, measured, answer, score, 2023 band.
fn qc_rows(d: &Delivery) -> Vec<[String; 5]> {
    let q = d.quick_check.as_ref();
    let sc = |f: fn(&QuickCheck) -> Option<f64>| q.and_then(f);
    let bucket = |b: Option<i8>, texts: &[&str; 6]| match b {
        Some(b @ 1..=6) => texts[(b - 1) as usize].to_string(),
        _ => "unknown".into(),
    };
    let band = |b: &Option<String>| b.clone().unwrap_or_else(|| "-".into());
    let show = |s: Option<f64>| s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "n/a".into());
    vec![
        [
            "Deployment frequency".into(),
            match d.deployments_per_day {
                Some(f) => format!("{} deploys ({}/day)", d.deployments_count, number(f)),
                None => "n/a".into(),
            },
            bucket(q.map(|q| q.inputs.deployfreq), &FREQUENCY_BUCKETS),
            show(sc(|q| q.scores.deployfreq)),
            band(&d.band_2023_deployment_frequency),
        ],
        [
            "Lead time for changes".into(),
            match d.lead_time_median_secs {
                Some(m) => format!(
                    "median {}, p90 {}",
                    secs(Some(m)),
                    secs(d.lead_time_p90_secs)
                ),
                None => "n/a (no changes)".into(),
            },
            bucket(q.map(|q| q.inputs.leadtime), &DURATION_BUCKETS),
            show(sc(|q| q.scores.leadtime)),
            band(&d.band_2023_lead_time),
        ],
        [
            "Failed-deployment recovery time".into(),
            match d.recovery_median_secs {
                Some(m) => format!("median {}", secs(Some(m))),
                None => "n/a (no recovered failures)".into(),
            },
            bucket(q.map(|q| q.inputs.failurerecovery), &DURATION_BUCKETS),
            show(sc(|q| q.scores.failurerecovery)),
            band(&d.band_2023_recovery_time),
        ],
        [
            "Change failure rate".into(),
            pct(d.change_failure_ratio),
            q.and_then(|q| q.inputs.changefailure)
                .map(|p| format!("{p:.1} %"))
                .unwrap_or_else(|| "unknown".into()),
            show(sc(|q| q.scores.changefailure)),
            band(&d.band_2023_change_failure_rate),
        ],
        [
            "Deployment rework rate".into(),
            match d.rework_ratio {
                Some(r) => format!(
                    "{} ({}/{})",
                    pct(Some(r)),
                    d.rework_count,
                    d.deployments_total_count
                ),
                None if d.deployments_total_count > 0 => "n/a (no failure data)".into(),
                None => "n/a (no deployments)".into(),
            },
            q.and_then(|q| q.inputs.rework)
                .map(|p| format!("{p:.1} %"))
                .unwrap_or_else(|| "unknown".into()),
            show(sc(|q| q.scores.rework)),
            "- (new in 2024)".into(),
        ],
    ]
}

fn note_of(status: Status, note: &Option<String>) -> Option<String> {
    match (status, note) {
        (Status::Ok, None) => None,
        (Status::Ok, Some(n)) => Some(n.clone()),
        (Status::NoData, n) => Some(format!(
            "no data: {}",
            n.as_deref().unwrap_or("nothing in the window")
        )),
        (Status::Unavailable, n) => Some(format!(
            "unavailable: {}",
            n.as_deref().unwrap_or("not configured")
        )),
    }
}

/// The terminal text.
pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", r.title);
    let _ = writeln!(
        o,
        "window: {} → {} (per {})",
        r.window.since, r.window.until, r.window.bucket
    );
    for s in &r.services {
        let _ = writeln!(
            o,
            "\n== {} (Sentry project {}, environment {})",
            s.name, s.sentry_project, s.environment
        );
        let p = &s.performance;
        match (&p.totals, note_of(p.status, &p.note)) {
            (Some(t), _) => {
                let _ = writeln!(
                    o,
                    "performance: {} transactions ({}/day), failure rate {}, p50 {}, p95 {}",
                    count(Some(t.transactions_count)),
                    number(t.transactions_per_day),
                    pct(t.failure_ratio),
                    ms(t.p50_ms),
                    ms(t.p95_ms)
                );
            }
            (None, n) => {
                let _ = writeln!(o, "performance: {}", n.unwrap_or_default());
            }
        }
        for rel in p.releases.iter().take(5) {
            let _ = writeln!(
                o,
                "  release {}: {} transactions, failure rate {}, p95 {}",
                rel.release,
                count(Some(rel.transactions_count)),
                pct(rel.failure_ratio),
                ms(rel.p95_ms)
            );
        }
        let u = &s.user_impact;
        match (&u.totals, note_of(u.status, &u.note)) {
            (Some(t), _) => {
                let _ = writeln!(
                    o,
                    "user impact: {} sessions, {} users, crash-free sessions {}, crash-free users {}",
                    count(Some(t.sessions_count)),
                    count(t.active_users_count),
                    pct(t.crash_free_sessions_ratio),
                    pct(t.crash_free_users_ratio)
                );
            }
            (None, n) => {
                let _ = writeln!(o, "user impact: {}", n.unwrap_or_default());
            }
        }
        for rel in u.releases.iter().take(5) {
            let _ = writeln!(
                o,
                "  release {}: adoption {}, crash-free sessions {}, users {}",
                rel.release,
                pct(rel.adoption_ratio),
                pct(rel.crash_free_sessions_ratio),
                count(rel.active_users_count)
            );
        }
        let d = &s.delivery;
        let _ = writeln!(o, "delivery: DORA Quick Check {}", qc_line(&d.quick_check));
        if let Some(n) = note_of(d.status, &d.note) {
            let _ = writeln!(o, "  {n}");
        }
        if d.status != Status::Unavailable {
            for row in qc_rows(d) {
                let _ = writeln!(
                    o,
                    "  {}: {} — score {} (2023 band: {})",
                    row[0], row[1], row[3], row[4]
                );
            }
        }
    }
    o
}

fn md(s: &str) -> String {
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

/// Markdown for `$GITHUB_STEP_SUMMARY`: the same content as the HTML
/// without charts; per-bucket tables in `<details>`. Kept under
/// [`STEP_SUMMARY_MAX`]: past it, the per-bucket tables are left out (and
/// it says so).
pub fn markdown(r: &Report) -> String {
    let full = markdown_with(r, true);
    if full.len() <= STEP_SUMMARY_MAX {
        return full;
    }
    let mut short = markdown_with(r, false);
    short.push_str("\n> Per-bucket tables were left out to stay within the step summary's 1 MiB: see the JSON or HTML report.\n");
    short
}

fn markdown_with(r: &Report, buckets: bool) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## {}\n", md(&r.title));
    let _ = writeln!(
        o,
        "Window `{}` → `{}`, per {}.\n",
        r.window.since, r.window.until, r.window.bucket
    );
    let _ = writeln!(
        o,
        "| Service | DORA Quick Check | Transactions/day | Failure rate | p95 | Crash-free sessions | Deploys |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
    for s in &r.services {
        let t = s.performance.totals.as_ref();
        let u = s.user_impact.totals.as_ref();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            md(&s.name),
            s.delivery
                .quick_check
                .as_ref()
                .map(|q| format!("{:.1}/10", q.scores.performance))
                .unwrap_or_else(|| "n/a".into()),
            t.map(|t| number(t.transactions_per_day))
                .unwrap_or_else(|| "no data".into()),
            t.map(|t| pct(t.failure_ratio))
                .unwrap_or_else(|| "no data".into()),
            t.map(|t| ms(t.p95_ms)).unwrap_or_else(|| "no data".into()),
            u.map(|u| pct(u.crash_free_sessions_ratio))
                .unwrap_or_else(|| "no sessions".into()),
            s.deploys.len()
        );
    }
    for s in &r.services {
        let _ = writeln!(o, "\n### {}\n", md(&s.name));
        let _ = writeln!(
            o,
            "Sentry project `{}`, environment `{}`.\n",
            md(&s.sentry_project),
            md(&s.environment)
        );
        md_performance(&mut o, &s.performance, buckets);
        md_users(&mut o, &s.user_impact, buckets);
        md_delivery(&mut o, &s.delivery);
    }
    o
}

fn md_performance(o: &mut String, p: &Performance, buckets: bool) {
    let _ = writeln!(o, "**Performance**\n");
    if let Some(n) = note_of(p.status, &p.note) {
        let _ = writeln!(o, "> {}\n", md(&n));
    }
    if let Some(t) = &p.totals {
        let _ = writeln!(
            o,
            "{} transactions ({}/day), failure rate {}, p50 {}, p95 {}.\n",
            count(Some(t.transactions_count)),
            number(t.transactions_per_day),
            pct(t.failure_ratio),
            ms(t.p50_ms),
            ms(t.p95_ms)
        );
    }
    if !p.releases.is_empty() {
        let _ = writeln!(
            o,
            "| Release | Transactions | Failure rate | p50 | p95 | Last seen |\n|---|---:|---:|---:|---:|---|"
        );
        for r in &p.releases {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                md(&r.release),
                count(Some(r.transactions_count)),
                pct(r.failure_ratio),
                ms(r.p50_ms),
                ms(r.p95_ms),
                r.last_seen.as_deref().unwrap_or("-")
            );
        }
        o.push('\n');
    }
    if buckets && p.status == Status::Ok {
        let _ = writeln!(
            o,
            "<details><summary>Per bucket</summary>\n\n| Start (UTC) | Transactions | Failure rate | p50 | p95 |\n|---|---:|---:|---:|---:|"
        );
        for b in &p.buckets {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                b.start,
                count(b.transactions_count),
                pct(b.failure_ratio),
                ms(b.p50_ms),
                ms(b.p95_ms)
            );
        }
        let _ = writeln!(o, "\n</details>\n");
    }
}

fn md_users(o: &mut String, u: &UserImpact, buckets: bool) {
    let _ = writeln!(o, "**User impact**\n");
    if let Some(n) = note_of(u.status, &u.note) {
        let _ = writeln!(o, "> {}\n", md(&n));
    }
    if let Some(t) = &u.totals {
        let _ = writeln!(
            o,
            "{} sessions, {} active users, crash-free sessions {}, crash-free users {}.\n",
            count(Some(t.sessions_count)),
            count(t.active_users_count),
            pct(t.crash_free_sessions_ratio),
            pct(t.crash_free_users_ratio)
        );
    }
    if !u.releases.is_empty() {
        let _ = writeln!(
            o,
            "| Release | Adoption | Sessions | Active users | Crash-free sessions | Crash-free users |\n|---|---:|---:|---:|---:|---:|"
        );
        for r in &u.releases {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                md(&r.release),
                pct(r.adoption_ratio),
                count(Some(r.sessions_count)),
                count(r.active_users_count),
                pct(r.crash_free_sessions_ratio),
                pct(r.crash_free_users_ratio)
            );
        }
        o.push('\n');
    }
    if buckets && u.status == Status::Ok {
        let _ = writeln!(
            o,
            "<details><summary>Active users per bucket</summary>\n\n| Start (UTC) | Active users | Sessions |\n|---|---:|---:|"
        );
        for b in &u.buckets {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                b.start,
                count(b.active_users_count),
                count(b.sessions_count)
            );
        }
        let _ = writeln!(o, "\n</details>\n");
    }
}

fn md_delivery(o: &mut String, d: &Delivery) {
    let _ = writeln!(
        o,
        "**Delivery** (DORA{}): Quick Check {}\n",
        d.source
            .as_deref()
            .map(|s| format!(", source {s}"))
            .unwrap_or_default(),
        qc_line(&d.quick_check)
    );
    if let Some(n) = note_of(d.status, &d.note) {
        let _ = writeln!(o, "> {}\n", md(&n));
    }
    if d.status == Status::Unavailable {
        return;
    }
    let _ = writeln!(
        o,
        "| Metric | Measured | Quick Check answer | Score (0–10) | 2023 band |\n|---|---|---|---:|---|"
    );
    for row in qc_rows(d) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            row[0],
            md(&row[1]),
            md(&row[2]),
            row[3],
            md(&row[4])
        );
    }
    if let Some(b) = d.quick_check.as_ref().and_then(|q| q.benchmark.as_ref()) {
        let _ = writeln!(
            o,
            "\nBenchmark ({}, DORA 2025): performance z = {}.",
            md(&b.name),
            b.z.get("performance")
                .map(|z| format!("{z:+.2}"))
                .unwrap_or_else(|| "n/a".into())
        );
    }
    o.push('\n');
}

// ---------------------------------------------------------------- HTML

fn markers(s: &ServiceReport) -> Vec<Marker> {
    s.deploys
        .iter()
        .map(|d| Marker {
            at: d.at_unix,
            label: format!("deploy {} ({})", d.name, d.source),
        })
        .collect()
}

fn base_chart(
    r: &Report,
    s: &ServiceReport,
    id: &str,
    title: &str,
    y_title: &str,
    format: ValueFormat,
) -> TimeChart {
    TimeChart {
        id: format!("{}-{id}", s.name),
        title: title.into(),
        y_title: y_title.into(),
        format,
        scale: Scale::Linear,
        style: Style::Line,
        bucket_secs: r.window.bucket_secs,
        since: r.window.since_unix,
        until: r.window.until_unix,
        series: Vec::new(),
        markers: markers(s),
        empty_reason: String::new(),
        y_max: None,
    }
}

/// The charts of one service, in page order.
pub fn service_charts(r: &Report, s: &ServiceReport) -> Vec<TimeChart> {
    let p = &s.performance;
    let why = p.note.clone().unwrap_or_else(|| "no transactions".into());
    let per = r.window.bucket;
    let pts = |f: fn(&super::PerfBucket) -> Option<f64>| -> Vec<(i64, Option<f64>)> {
        p.buckets.iter().map(|b| (b.start_unix, f(b))).collect()
    };
    let mut throughput = base_chart(
        r,
        s,
        "throughput",
        &format!("Throughput (transactions per {per})"),
        &format!("Transactions per {per}"),
        ValueFormat::Number(""),
    );
    throughput.style = Style::Bars;
    throughput.series = vec![Series {
        name: "transactions".into(),
        points: pts(|b| b.transactions_count),
    }];
    throughput.empty_reason = why.clone();
    let mut failure = base_chart(
        r,
        s,
        "failure-rate",
        &format!("Failure rate (per {per})"),
        "Failure rate (%)",
        ValueFormat::Number(" %"),
    );
    failure.series = vec![Series {
        name: "failure rate".into(),
        points: pts(|b| b.failure_ratio.map(|v| v * 100.0)),
    }];
    failure.empty_reason = why.clone();
    failure.y_max = Some(100.0);
    let mut latency = base_chart(
        r,
        s,
        "latency",
        &format!("Latency p50 and p95 (per {per})"),
        "Latency (ms)",
        ValueFormat::Number(" ms"),
    );
    latency.series = vec![
        Series {
            name: "p50".into(),
            points: pts(|b| b.p50_ms),
        },
        Series {
            name: "p95".into(),
            points: pts(|b| b.p95_ms),
        },
    ];
    latency.empty_reason = why;
    let u = &s.user_impact;
    let mut users = base_chart(
        r,
        s,
        "active-users",
        &format!("Active users (per {per})"),
        &format!("Users per {per}"),
        ValueFormat::Number(""),
    );
    users.series = vec![Series {
        name: "active users".into(),
        points: u
            .buckets
            .iter()
            .map(|b| (b.start_unix, b.active_users_count))
            .collect(),
    }];
    users.empty_reason = u.note.clone().unwrap_or_else(|| "no sessions".into());
    vec![throughput, failure, latency, users]
}

/// Delivery charts: deployments per week and lead time per deployment (log).
pub fn delivery_charts(r: &Report, s: &ServiceReport) -> Vec<TimeChart> {
    let d = &s.delivery;
    let why = d
        .note
        .clone()
        .unwrap_or_else(|| "no deployments in the window".into());
    let week = 7 * 86_400;
    let days = r.window.days();
    let bucket = if days > 21.0 { week } else { 86_400 };
    let per = if bucket == week { "week" } else { "day" };
    let origin = if bucket == week { 4 * 86_400 } else { 0 };
    let first = (r.window.since_unix - origin).div_euclid(bucket) * bucket + origin;
    let mut counts: Vec<(i64, Option<f64>)> = Vec::new();
    let mut t = first;
    while t < r.window.until_unix {
        let n = d
            .deployments
            .iter()
            .filter(|x| x.status == "success" && x.at_unix >= t && x.at_unix < t + bucket)
            .count();
        // Every bucket is a real count when the source was read (0 is a fact).
        counts.push((
            t.max(r.window.since_unix),
            (d.status != Status::Unavailable).then_some(n as f64),
        ));
        t += bucket;
    }
    let mut freq = base_chart(
        r,
        s,
        "deploys",
        &format!("Successful deployments per {per}"),
        &format!("Deployments per {per}"),
        ValueFormat::Number(""),
    );
    freq.style = Style::Bars;
    freq.bucket_secs = bucket;
    freq.markers.clear();
    freq.series = vec![Series {
        name: "deployments".into(),
        points: counts,
    }];
    freq.empty_reason = why.clone();
    if d.deployments.is_empty() {
        freq.series.clear();
    }
    let mut lead = base_chart(
        r,
        s,
        "lead-time",
        "Lead time per deployment (median of its changes, log scale)",
        "Lead time (log scale)",
        ValueFormat::Duration,
    );
    lead.scale = Scale::Log;
    lead.style = Style::Points;
    lead.markers.clear();
    lead.series = vec![Series {
        name: "median lead time".into(),
        points: d
            .deployments
            .iter()
            .map(|x| (x.at_unix, x.lead_time_median_secs))
            .collect(),
    }];
    lead.empty_reason = if d.deployments.is_empty() {
        why
    } else {
        "no lead time: no deployment with known changes".into()
    };
    vec![freq, lead]
}

fn html_table(head: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<div class=\"tw\"><table><tr>");
    for (i, h) in head.iter().enumerate() {
        let _ = write!(
            s,
            "<th{}>{}</th>",
            if numeric[i] { " class=\"n\"" } else { "" },
            escape(h)
        );
    }
    s.push_str("</tr>");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let _ = write!(
                s,
                "<td{}>{}</td>",
                if numeric[i] { " class=\"n\"" } else { "" },
                c
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</table></div>");
    s
}

fn html_note(status: Status, note: &Option<String>) -> String {
    note_of(status, note)
        .map(|n| format!("<p class=\"note\">{}</p>", escape(&n)))
        .unwrap_or_default()
}

/// The page.
pub fn html(r: &Report) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<header><h1>{}</h1><p class=\"muted\">Window {} → {} (UTC), per {} · generated {} · {} service(s)</p></header>",
        escape(&r.title),
        escape(&r.window.since),
        escape(&r.window.until),
        r.window.bucket,
        escape(&r.generated_at),
        r.services.len()
    );
    b.push_str("<h2>Overview</h2>");
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|s| {
            let t = s.performance.totals.as_ref();
            let u = s.user_impact.totals.as_ref();
            vec![
                format!(
                    "<a href=\"#svc-{}\">{}</a>",
                    escape(&s.name),
                    escape(&s.name)
                ),
                s.delivery
                    .quick_check
                    .as_ref()
                    .map(|q| score_bar(q.scores.performance))
                    .unwrap_or_else(|| "n/a".into()),
                escape(
                    &t.map(|t| number(t.transactions_per_day))
                        .unwrap_or_else(|| "no data".into()),
                ),
                escape(
                    &t.map(|t| pct(t.failure_ratio))
                        .unwrap_or_else(|| "no data".into()),
                ),
                escape(&t.map(|t| ms(t.p95_ms)).unwrap_or_else(|| "no data".into())),
                escape(
                    &u.map(|u| pct(u.crash_free_sessions_ratio))
                        .unwrap_or_else(|| "no sessions".into()),
                ),
                s.deploys.len().to_string(),
            ]
        })
        .collect();
    b.push_str(&html_table(
        &[
            "Service",
            "DORA Quick Check (0–10)",
            "Transactions/day",
            "Failure rate",
            "p95",
            "Crash-free sessions",
            "Deploys",
        ],
        &[false, false, true, true, true, true, true],
        &rows,
    ));
    for s in &r.services {
        html_service(&mut b, r, s);
    }
    b.push_str(
        "<footer>Made by obsctl report. Scores: DORA Quick Check (2025 edition, 0–10, higher is better); bands: DORA 2023 \
(elite/high/medium/low). Missing data is shown as a gap or “no data”, never as 0.</footer>",
    );
    page(&r.title, &b)
}

fn html_service(b: &mut String, r: &Report, s: &ServiceReport) {
    let _ = write!(
        b,
        "<section id=\"svc-{}\"><h2>{} <small>Sentry project {} · {}</small></h2>",
        escape(&s.name),
        escape(&s.name),
        escape(&s.sentry_project),
        escape(&s.environment)
    );
    let p = &s.performance;
    let u = &s.user_impact;
    let d = &s.delivery;
    b.push_str("<div class=\"cards\">");
    let t = p.totals.as_ref();
    b.push_str(&card(
        "Transactions / day",
        &t.map(|t| number(t.transactions_per_day))
            .unwrap_or_else(|| "no data".into()),
        &t.map(|t| format!("{} in the window", count(Some(t.transactions_count))))
            .unwrap_or_default(),
    ));
    b.push_str(&card(
        "Failure rate",
        &t.map(|t| pct(t.failure_ratio))
            .unwrap_or_else(|| "no data".into()),
        "failed ÷ all transactions",
    ));
    b.push_str(&card(
        "p95 latency",
        &t.map(|t| ms(t.p95_ms)).unwrap_or_else(|| "no data".into()),
        &t.map(|t| format!("p50 {}", ms(t.p50_ms)))
            .unwrap_or_default(),
    ));
    let ut = u.totals.as_ref();
    b.push_str(&card(
        "Crash-free sessions",
        &ut.map(|u| pct(u.crash_free_sessions_ratio))
            .unwrap_or_else(|| "no sessions".into()),
        &ut.map(|u| format!("users {}", pct(u.crash_free_users_ratio)))
            .unwrap_or_default(),
    ));
    b.push_str(&card(
        "Active users",
        &ut.map(|u| count(u.active_users_count))
            .unwrap_or_else(|| "no sessions".into()),
        "distinct, whole window",
    ));
    b.push_str(&card(
        "DORA Quick Check",
        &d.quick_check
            .as_ref()
            .map(|q| format!("{:.1}/10", q.scores.performance))
            .unwrap_or_else(|| "n/a".into()),
        &d.quick_check
            .as_ref()
            .map(|q| {
                format!(
                    "throughput {:.1} · stability {:.1}",
                    q.scores.throughput, q.scores.stability
                )
            })
            .unwrap_or_else(|| "no deployments".into()),
    ));
    b.push_str("</div>");

    let charts = service_charts(r, s);
    b.push_str("<h3>Performance trends</h3>");
    b.push_str(&html_note(p.status, &p.note));
    if p.status == Status::Ok {
        b.push_str("<div class=\"charts\">");
        for c in &charts[..3] {
            b.push_str(&c.render());
        }
        b.push_str("</div>");
    }
    if !p.releases.is_empty() {
        b.push_str("<h3>Per release</h3>");
        let rows: Vec<Vec<String>> = p
            .releases
            .iter()
            .map(|x| {
                vec![
                    escape(&x.release),
                    count(Some(x.transactions_count)),
                    pct(x.failure_ratio),
                    ms(x.p50_ms),
                    ms(x.p95_ms),
                    escape(x.first_seen.as_deref().unwrap_or("-")),
                    escape(x.last_seen.as_deref().unwrap_or("-")),
                ]
            })
            .collect();
        b.push_str(&html_table(
            &[
                "Release",
                "Transactions",
                "Failure rate",
                "p50",
                "p95",
                "First seen",
                "Last seen",
            ],
            &[false, true, true, true, true, false, false],
            &rows,
        ));
    }
    b.push_str("<h3>User impact</h3>");
    b.push_str(&html_note(u.status, &u.note));
    if u.status == Status::Ok {
        b.push_str("<div class=\"charts\">");
        b.push_str(&charts[3].render());
        b.push_str("</div>");
    }
    if !u.releases.is_empty() {
        let rows: Vec<Vec<String>> = u
            .releases
            .iter()
            .map(|x| {
                vec![
                    escape(&x.release),
                    pct(x.adoption_ratio),
                    count(Some(x.sessions_count)),
                    count(x.active_users_count),
                    pct(x.crash_free_sessions_ratio),
                    pct(x.crash_free_users_ratio),
                ]
            })
            .collect();
        b.push_str(&html_table(
            &[
                "Release",
                "Adoption",
                "Sessions",
                "Active users",
                "Crash-free sessions",
                "Crash-free users",
            ],
            &[false, true, true, true, true, true],
            &rows,
        ));
    }
    let _ = write!(
        b,
        "<h3>Delivery <small class=\"muted\">DORA{} · environment {}</small></h3>",
        d.source
            .as_deref()
            .map(|s| format!(", source {}", escape(s)))
            .unwrap_or_default(),
        escape(&s.environment)
    );
    b.push_str(&html_note(d.status, &d.note));
    if d.status != Status::Unavailable {
        let rows: Vec<Vec<String>> = qc_rows(d)
            .into_iter()
            .map(|row| {
                let score = row[3]
                    .parse::<f64>()
                    .map(score_bar)
                    .unwrap_or_else(|_| escape(&row[3]));
                let band = row[4].split_whitespace().next().unwrap_or("-").to_string();
                vec![
                    escape(&row[0]),
                    escape(&row[1]),
                    escape(&row[2]),
                    score,
                    format!(
                        "<span class=\"{}\">{}</span>",
                        escape(&band),
                        escape(&row[4])
                    ),
                ]
            })
            .collect();
        b.push_str(&html_table(
            &[
                "Metric",
                "Measured",
                "Quick Check answer",
                "Score (0–10)",
                "2023 band",
            ],
            &[false, false, false, false, false],
            &rows,
        ));
        if let Some(q) = &d.quick_check {
            let _ = write!(
                b,
                "<p class=\"muted\">DORA Quick Check (2025): performance {:.1}, throughput {:.1}, stability {:.1}{}.</p>",
                q.scores.performance,
                q.scores.throughput,
                q.scores.stability,
                q.benchmark
                    .as_ref()
                    .and_then(|bm| bm
                        .z
                        .get("performance")
                        .map(|z| format!(" · {z:+.2} σ against {}", escape(&bm.name))))
                    .unwrap_or_default()
            );
        }
        b.push_str("<div class=\"charts\">");
        for c in delivery_charts(r, s) {
            b.push_str(&c.render());
        }
        b.push_str("</div>");
    }
    b.push_str("</section>");
}
