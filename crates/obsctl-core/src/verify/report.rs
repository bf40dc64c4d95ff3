//! The verify report: the model printed as `--format json`, its table rows
//! (the CLI draws them with comfy-table), the Markdown step summary and the
//! lines of the chat message. Every number carries its unit.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::windows::Windows;
use super::{CheckResult, InconclusiveAs, Method, Quantity, Thresholds, Unit, Verdict};

/// One service's part of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServiceReport {
    /// The `[[service]]` name (or the Sentry project when no config).
    pub service: String,
    /// The Sentry project slug queried.
    pub project: String,
    /// The service's verdict ([`super::roll_up`]).
    pub verdict: Verdict,
    /// Transactions of the baseline release in its window.
    pub baseline_transactions: u64,
    /// Transactions of the candidate release in its window.
    pub candidate_transactions: u64,
    /// The thresholds applied.
    pub thresholds: Thresholds,
    /// The checks, in order.
    pub checks: Vec<CheckResult>,
}

/// The whole report (`--format json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The environment judged.
    pub environment: String,
    /// The candidate release (this deploy's version).
    pub candidate: String,
    /// The baseline release (deployed before it).
    pub baseline: String,
    /// Where the baseline came from: `flag`, `github`, `sentry`.
    pub baseline_source: String,
    /// When the deploy finished.
    pub deploy_finished_at: DateTime<Utc>,
    /// The windows compared.
    pub windows: Windows,
    /// Length of each window, minutes.
    pub window_minutes: f64,
    /// `threshold` or `mann-whitney`.
    pub method: Method,
    /// Per service.
    pub services: Vec<ServiceReport>,
    /// The overall verdict.
    pub verdict: Verdict,
    /// `service:check` of every failed check.
    pub failed_checks: Vec<String>,
    /// The process exit code (after `--inconclusive`).
    pub exit_code: i32,
    /// How `--inconclusive` maps an inconclusive verdict.
    pub inconclusive_as: InconclusiveAs,
    /// What limited the judgement, in words (e.g. the bound on the GitHub
    /// deployments read for the baseline was reached); omitted when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Report {
    /// `service:check` for every failed check, in report order.
    pub fn failed(services: &[ServiceReport]) -> Vec<String> {
        services
            .iter()
            .flat_map(|s| {
                s.checks
                    .iter()
                    .filter(|c| c.result == Verdict::Fail)
                    .map(move |c| format!("{}:{}", s.service, c.check.as_str()))
            })
            .collect()
    }

    /// Header + one row per service × check: service, check, baseline,
    /// candidate, threshold, result.
    pub fn table_rows(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let header = vec![
            "service",
            "check",
            "baseline",
            "candidate",
            "threshold",
            "result",
        ];
        let rows = self
            .services
            .iter()
            .flat_map(|s| {
                s.checks.iter().map(move |c| {
                    vec![
                        s.service.clone(),
                        c.check.as_str().to_string(),
                        c.baseline
                            .map(format_quantity)
                            .unwrap_or_else(|| "–".into()),
                        c.candidate
                            .map(format_quantity)
                            .unwrap_or_else(|| "–".into()),
                        format_limits(c),
                        result_word(c),
                    ]
                })
            })
            .collect();
        (header, rows)
    }

    /// The first line of every rendering.
    pub fn headline(&self) -> String {
        format!(
            "Verify {} on {}: {} (baseline {}, {:.0}-minute windows)",
            self.candidate,
            self.environment,
            self.verdict.as_str().to_uppercase(),
            self.baseline,
            self.window_minutes
        )
    }

    /// The step summary: a heading, the verdict and the table.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### Deploy verify: {} — {}\n\n`{}` against `{}` on **{}**; candidate {} → {}, baseline {} → {} (UTC).\n\n",
            md(&self.candidate),
            self.verdict.as_str(),
            md(&self.candidate),
            md(&self.baseline),
            md(&self.environment),
            self.windows.candidate.start.format("%H:%M"),
            self.windows.candidate.end.format("%H:%M"),
            self.windows.baseline.start.format("%H:%M"),
            self.windows.baseline.end.format("%H:%M"),
        );
        let (header, rows) = self.table_rows();
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if !self.failed_checks.is_empty() {
            out.push_str(&format!(
                "\nFailed: {}\n",
                self.failed_checks
                    .iter()
                    .map(|f| format!("`{}`", md(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }

    /// Plain lines for the chat message: one per check that did not pass,
    /// or one per service when all passed.
    pub fn message_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for s in &self.services {
            let bad: Vec<&CheckResult> = s
                .checks
                .iter()
                .filter(|c| c.result != Verdict::Pass)
                .collect();
            if bad.is_empty() {
                lines.push(format!("{}: all checks passed", s.service));
            }
            for c in bad {
                lines.push(format!(
                    "{} {}: {} ({})",
                    s.service,
                    c.check.as_str(),
                    result_word(c),
                    c.detail
                ));
            }
        }
        lines
    }
}

fn result_word(c: &CheckResult) -> String {
    match (c.result, c.reason) {
        (Verdict::Inconclusive, Some(super::Reason::NoSessions)) => "no sessions".into(),
        (Verdict::Inconclusive, Some(super::Reason::LowTraffic)) => {
            "inconclusive (low traffic)".into()
        }
        (v, _) => v.as_str().into(),
    }
}

fn format_limits(c: &CheckResult) -> String {
    c.limits
        .iter()
        .map(|l| match l.kind {
            "max" => format!("≤ {}", format_quantity(l.limit)),
            "max_increase" => format!("≤ +{} rel.", trim_num(l.limit.value * 100.0, 1) + " %"),
            "min_ratio_of_baseline" => {
                format!(
                    "≥ {} % of baseline, > 0",
                    trim_num(l.limit.value * 100.0, 1)
                )
            }
            "max_drop" => format!("drop ≤ {}", format_quantity(l.limit)),
            other => format!("{other} {}", format_quantity(l.limit)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number with its unit, for people: `3.00 %`, `1,400 ms`, `12.5/min`,
/// `0.5 pp`, `1,234`.
pub fn format_quantity(q: Quantity) -> String {
    match q.unit {
        Unit::Ratio => format!("{} %", trim_num(q.value * 100.0, 2)),
        Unit::Ms => format!("{} ms", thousands(q.value.round() as i64)),
        Unit::PerMinute => format!("{:.1}/min", q.value),
        Unit::PercentagePoints => format!("{} pp", trim_num(q.value, 2)),
        Unit::Count => thousands(q.value.round() as i64),
    }
}

fn trim_num(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// Escape text for a Markdown table cell (pipes, backticks, HTML).
pub fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The warning `deploy verify` gives when it read `read` deployments of
/// `environment` (its bound, newest first) and GitHub has more: a baseline
/// deployed before them is not seen.
pub fn baseline_search_bound_warning(environment: &str, read: usize) -> String {
    format!(
        "read only the newest {read} GitHub deployments of {environment} (the bound) and there \
         are more: the baseline is looked for among them; pass --baseline if it was deployed \
         before them"
    )
}
