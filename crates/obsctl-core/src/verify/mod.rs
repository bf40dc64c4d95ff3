//! `deploy verify`: did this deploy make errors, latency, throughput or
//! crashes worse? The pure judge: windows ([`windows`]), per-release
//! aggregates in, checks and a verdict out, the exit code, and the report
//! (table rows, Markdown). The CLI fetches the aggregates (Sentry's Explore
//! table on the `spans` dataset and release-health sessions) and renders.
//!
//! Units everywhere: failure rates and crash-free rates are ratios 0–1,
//! latencies are milliseconds (`_ms`), throughput is transactions per
//! minute (`epm`), crash-free drops are percentage points (`_pp`).

pub mod report;
pub mod stats;
pub mod windows;

use serde::Serialize;

use crate::config::Slo;

/// The thresholds of the checks, from `[service.slo]` or the defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Thresholds {
    /// Highest acceptable candidate failure rate, ratio 0–1 (default 0.01).
    pub error_rate_max: f64,
    /// Highest relative increase of the failure rate, ratio (0.5 = +50 %).
    pub error_rate_increase_max: f64,
    /// Highest acceptable candidate p95, ms (default 1,000).
    pub p95_ms_max: f64,
    /// Highest relative increase of p95, ratio (0.2 = +20 %).
    pub p95_increase_max: f64,
    /// Lowest candidate throughput as a share of the baseline's (0.1).
    pub throughput_min_ratio: f64,
    /// Largest drop of crash-free sessions, percentage points (0.5).
    pub crash_free_drop_max_pp: f64,
    /// Fewer transactions than this in either window: inconclusive (100).
    pub min_transactions: u64,
    /// Significance level of `--method mann-whitney` (0.05).
    pub alpha: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            error_rate_max: 0.01,
            error_rate_increase_max: 0.5,
            p95_ms_max: 1000.0,
            p95_increase_max: 0.2,
            throughput_min_ratio: 0.1,
            crash_free_drop_max_pp: 0.5,
            min_transactions: 100,
            alpha: 0.05,
        }
    }
}

impl Thresholds {
    /// The service's `[service.slo]` over the defaults (unset → default).
    pub fn from_slo(slo: Option<&Slo>) -> Self {
        let d = Self::default();
        let Some(s) = slo else { return d };
        Self {
            error_rate_max: s.error_rate_max.unwrap_or(d.error_rate_max),
            error_rate_increase_max: s
                .error_rate_increase_max
                .unwrap_or(d.error_rate_increase_max),
            p95_ms_max: s.p95_ms_max.unwrap_or(d.p95_ms_max),
            p95_increase_max: s.p95_increase_max.unwrap_or(d.p95_increase_max),
            throughput_min_ratio: s.throughput_min_ratio.unwrap_or(d.throughput_min_ratio),
            crash_free_drop_max_pp: s.crash_free_drop_max_pp.unwrap_or(d.crash_free_drop_max_pp),
            min_transactions: s.min_transactions.unwrap_or(d.min_transactions),
            alpha: d.alpha,
        }
    }

    /// Problems with the values (negative, NaN, a ratio above 1), each
    /// naming its `[service.slo]` key.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |name: &str, v: f64, max: Option<f64>| {
            if !v.is_finite() || v < 0.0 || max.is_some_and(|m| v > m) {
                out.push(match max {
                    Some(m) => format!("{name} = {v}: expected a number from 0 to {m}"),
                    None => format!("{name} = {v}: expected a number ≥ 0"),
                });
            }
        };
        check("error_rate_max", self.error_rate_max, Some(1.0));
        check(
            "error_rate_increase_max",
            self.error_rate_increase_max,
            None,
        );
        check("p95_ms_max", self.p95_ms_max, None);
        check("p95_increase_max", self.p95_increase_max, None);
        check("throughput_min_ratio", self.throughput_min_ratio, Some(1.0));
        check(
            "crash_free_drop_max_pp",
            self.crash_free_drop_max_pp,
            Some(100.0),
        );
        out
    }
}

/// How the relative checks decide (`--method`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Compare the window aggregates with the thresholds.
    #[default]
    Threshold,
    /// Also require a significant one-sided Mann-Whitney U test on the
    /// per-minute buckets before a relative increase fails.
    MannWhitney,
}

/// One release's transactions in its window (Explore, `dataset=spans`,
/// `is_transaction:true`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Traffic {
    /// `count(span.duration)`: transactions in the window.
    pub transactions: u64,
    /// `failure_rate()`: ratio 0–1.
    pub failure_rate: f64,
    /// `p95(span.duration)`: milliseconds.
    pub p95_ms: f64,
    /// Transactions per minute of the release's own window.
    pub epm: f64,
}

/// One release's release-health sessions (`/sessions/`, ratios 0–1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Sessions {
    /// `crash_free_rate(session)`, ratio 0–1 (None: no sessions).
    pub crash_free_sessions: Option<f64>,
    /// `crash_free_rate(user)`, ratio 0–1.
    pub crash_free_users: Option<f64>,
    /// `count_unique(user)`.
    pub users: Option<f64>,
}

/// Per-minute buckets of one release (for `--method mann-whitney`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Buckets {
    /// Failure rate per minute, ratios 0–1.
    pub failure_rate: Vec<f64>,
    /// p95 per minute, ms.
    pub p95_ms: Vec<f64>,
}

/// Everything known about one release of one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReleaseData {
    /// Explore aggregates (None: no transactions at all).
    pub traffic: Option<Traffic>,
    /// Sessions (None: the project sends none).
    pub sessions: Option<Sessions>,
    /// Per-minute buckets (only fetched for `--method mann-whitney`).
    pub buckets: Option<Buckets>,
}

impl ReleaseData {
    fn transactions(&self) -> u64 {
        self.traffic.map(|t| t.transactions).unwrap_or(0)
    }
}

/// The checks, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Failure rate: absolute ceiling and relative increase.
    ErrorRate,
    /// p95 latency: absolute ceiling and relative increase.
    P95Latency,
    /// Throughput did not collapse.
    Throughput,
    /// Crash-free sessions did not drop.
    CrashFreeSessions,
}

impl Check {
    /// The name used in outputs (`failed_checks`) and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::ErrorRate => "error-rate",
            Check::P95Latency => "p95-latency",
            Check::Throughput => "throughput",
            Check::CrashFreeSessions => "crash-free-sessions",
        }
    }
}

/// The outcome of a check, of a service and of the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No regression found.
    Pass,
    /// A regression: roll back.
    Fail,
    /// Not enough data to say.
    Inconclusive,
}

impl Verdict {
    /// `pass`, `fail`, `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// Why a check could not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Fewer than `min_transactions` in a window.
    LowTraffic,
    /// No release-health sessions for one of the releases (does not block
    /// the other checks from passing).
    NoSessions,
}

/// The unit of a number in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A ratio 0–1 (shown as a percentage).
    Ratio,
    /// Milliseconds.
    Ms,
    /// Events (transactions) per minute.
    PerMinute,
    /// Percentage points.
    PercentagePoints,
    /// A count.
    Count,
}

/// A number and its unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quantity {
    /// The value, in `unit`.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
}

impl Quantity {
    /// A value in `unit`.
    pub fn new(value: f64, unit: Unit) -> Self {
        Self { value, unit }
    }
}

/// One limit a check applies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Limit {
    /// `max` (absolute ceiling), `max_increase` (relative, ratio),
    /// `min_ratio_of_baseline`, `max_drop`.
    pub kind: &'static str,
    /// The limit, with its unit.
    pub limit: Quantity,
}

/// The result of one check of one service.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub check: Check,
    /// Its outcome.
    pub result: Verdict,
    /// Why it is inconclusive, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// The baseline's value.
    pub baseline: Option<Quantity>,
    /// The candidate's value.
    pub candidate: Option<Quantity>,
    /// The limits applied.
    pub limits: Vec<Limit>,
    /// One sentence: what was compared and why it passed or failed.
    pub detail: String,
    /// Mann-Whitney p-value (one-sided), under `--method mann-whitney`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
}

/// Run every check for one service.
pub fn evaluate(
    baseline: &ReleaseData,
    candidate: &ReleaseData,
    t: &Thresholds,
    method: Method,
) -> Vec<CheckResult> {
    let low = baseline.transactions() < t.min_transactions
        || candidate.transactions() < t.min_transactions;
    let low_detail = format!(
        "{} baseline and {} candidate transactions: fewer than {} in a window",
        baseline.transactions(),
        candidate.transactions(),
        t.min_transactions
    );
    let bt = baseline.traffic.unwrap_or_default();
    let ct = candidate.traffic.unwrap_or_default();
    let samples =
        |f: fn(&Buckets) -> &Vec<f64>| match (&baseline.buckets, &candidate.buckets, method) {
            (Some(b), Some(c), Method::MannWhitney) => Some((f(b).clone(), f(c).clone())),
            _ => None,
        };
    let error_rate = relative_check(
        Check::ErrorRate,
        Quantity::new(bt.failure_rate, Unit::Ratio),
        Quantity::new(ct.failure_rate, Unit::Ratio),
        t.error_rate_max,
        t.error_rate_increase_max,
        samples(|b| &b.failure_rate),
        method,
        t.alpha,
        low.then(|| low_detail.clone()),
    );
    let p95 = relative_check(
        Check::P95Latency,
        Quantity::new(bt.p95_ms, Unit::Ms),
        Quantity::new(ct.p95_ms, Unit::Ms),
        t.p95_ms_max,
        t.p95_increase_max,
        samples(|b| &b.p95_ms),
        method,
        t.alpha,
        low.then(|| low_detail.clone()),
    );
    vec![
        error_rate,
        p95,
        throughput(baseline, candidate, t),
        crash_free(baseline, candidate, t),
    ]
}

#[allow(clippy::too_many_arguments)]
fn relative_check(
    check: Check,
    base: Quantity,
    cand: Quantity,
    max: f64,
    max_increase: f64,
    samples: Option<(Vec<f64>, Vec<f64>)>,
    method: Method,
    alpha: f64,
    low_traffic: Option<String>,
) -> CheckResult {
    let limits = vec![
        Limit {
            kind: "max",
            limit: Quantity::new(max, base.unit),
        },
        Limit {
            kind: "max_increase",
            limit: Quantity::new(max_increase, Unit::Ratio),
        },
    ];
    let mut r = CheckResult {
        check,
        result: Verdict::Pass,
        reason: None,
        baseline: Some(base),
        candidate: Some(cand),
        limits,
        detail: String::new(),
        p_value: None,
    };
    if let Some(detail) = low_traffic {
        r.result = Verdict::Inconclusive;
        r.reason = Some(Reason::LowTraffic);
        r.detail = detail;
        return r;
    }
    let show = |v: f64| report::format_quantity(Quantity::new(v, base.unit));
    let increase = (base.value > 0.0).then(|| cand.value / base.value - 1.0);
    let mut over_relative = increase.is_some_and(|i| i > max_increase);
    if method == Method::MannWhitney {
        let test = samples.and_then(|(b, c)| stats::mann_whitney_greater(&c, &b));
        r.p_value = test.map(|m| m.p_value);
        // Without buckets (or without variance) the aggregates decide.
        if let Some(m) = test {
            over_relative &= m.p_value < alpha;
        }
    }
    let mut reasons = Vec::new();
    if cand.value > max {
        reasons.push(format!(
            "{} is above the {} ceiling",
            show(cand.value),
            show(max)
        ));
    }
    if over_relative {
        reasons.push(format!(
            "{} is {:+.0} % against the baseline's {} (limit +{:.0} %{})",
            show(cand.value),
            increase.unwrap_or(0.0) * 100.0,
            show(base.value),
            max_increase * 100.0,
            r.p_value
                .map(|p| format!(", Mann-Whitney p = {p:.3}"))
                .unwrap_or_default()
        ));
    }
    if reasons.is_empty() {
        r.detail = format!(
            "{} against the baseline's {}: within {} and +{:.0} %",
            show(cand.value),
            show(base.value),
            show(max),
            max_increase * 100.0
        );
    } else {
        r.result = Verdict::Fail;
        r.detail = reasons.join("; ");
    }
    r
}

fn throughput(baseline: &ReleaseData, candidate: &ReleaseData, t: &Thresholds) -> CheckResult {
    let b = baseline.traffic.unwrap_or_default().epm;
    let c = candidate.traffic.unwrap_or_default().epm;
    let mut r = CheckResult {
        check: Check::Throughput,
        result: Verdict::Pass,
        reason: None,
        baseline: Some(Quantity::new(b, Unit::PerMinute)),
        candidate: Some(Quantity::new(c, Unit::PerMinute)),
        limits: vec![Limit {
            kind: "min_ratio_of_baseline",
            limit: Quantity::new(t.throughput_min_ratio, Unit::Ratio),
        }],
        detail: String::new(),
        p_value: None,
    };
    // A quiet candidate is the very thing this check catches: only a quiet
    // baseline makes it inconclusive.
    if baseline.transactions() < t.min_transactions {
        r.result = Verdict::Inconclusive;
        r.reason = Some(Reason::LowTraffic);
        r.detail = format!(
            "{} baseline transactions: fewer than {}",
            baseline.transactions(),
            t.min_transactions
        );
    } else if c <= 0.0 || c < b * t.throughput_min_ratio {
        r.result = Verdict::Fail;
        r.detail = format!(
            "{:.1}/min is below {:.0} % of the baseline's {:.1}/min",
            c,
            t.throughput_min_ratio * 100.0,
            b
        );
    } else {
        r.detail = format!("{c:.1}/min against the baseline's {b:.1}/min");
    }
    r
}

fn crash_free(baseline: &ReleaseData, candidate: &ReleaseData, t: &Thresholds) -> CheckResult {
    let get = |d: &ReleaseData| d.sessions.and_then(|s| s.crash_free_sessions);
    let (b, c) = (get(baseline), get(candidate));
    let mut r = CheckResult {
        check: Check::CrashFreeSessions,
        result: Verdict::Inconclusive,
        reason: Some(Reason::NoSessions),
        baseline: b.map(|v| Quantity::new(v, Unit::Ratio)),
        candidate: c.map(|v| Quantity::new(v, Unit::Ratio)),
        limits: vec![Limit {
            kind: "max_drop",
            limit: Quantity::new(t.crash_free_drop_max_pp, Unit::PercentagePoints),
        }],
        detail:
            "no release-health sessions for one of the releases (the project may not send sessions)"
                .into(),
        p_value: None,
    };
    if let (Some(b), Some(c)) = (b, c) {
        let drop_pp = (b - c) * 100.0;
        r.reason = None;
        if drop_pp > t.crash_free_drop_max_pp {
            r.result = Verdict::Fail;
            r.detail = format!(
                "{:.2} % crash-free sessions, {drop_pp:.2} pp below the baseline's {:.2} % (limit {} pp)",
                c * 100.0,
                b * 100.0,
                t.crash_free_drop_max_pp
            );
        } else {
            r.result = Verdict::Pass;
            r.detail = format!(
                "{:.2} % crash-free sessions against the baseline's {:.2} %",
                c * 100.0,
                b * 100.0
            );
        }
    }
    r
}

/// A service's verdict: any failed check fails it; else a check without
/// enough traffic makes it inconclusive; a check inconclusive only for
/// lack of sessions does not keep the others from passing.
pub fn roll_up(checks: &[CheckResult]) -> Verdict {
    if checks.iter().any(|c| c.result == Verdict::Fail) {
        Verdict::Fail
    } else if checks
        .iter()
        .any(|c| c.result == Verdict::Inconclusive && c.reason != Some(Reason::NoSessions))
    {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

/// The run's verdict over its services: any fail → fail; else any
/// inconclusive → inconclusive; else pass (no services: inconclusive).
pub fn overall(services: &[Verdict]) -> Verdict {
    if services.contains(&Verdict::Fail) {
        Verdict::Fail
    } else if services.is_empty() || services.contains(&Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

/// What `--inconclusive` maps an inconclusive verdict to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InconclusiveAs {
    /// Exit 4 (the default).
    #[default]
    Inconclusive,
    /// Exit 3, as a failure.
    Fail,
    /// Exit 0, as a pass.
    Pass,
}

/// The exit code of a verdict: pass 0, fail 3, inconclusive 4 (or as mapped).
pub fn exit_code(verdict: Verdict, inconclusive: InconclusiveAs) -> i32 {
    match (verdict, inconclusive) {
        (Verdict::Pass, _) => 0,
        (Verdict::Fail, _) => 3,
        (Verdict::Inconclusive, InconclusiveAs::Inconclusive) => 4,
        (Verdict::Inconclusive, InconclusiveAs::Fail) => 3,
        (Verdict::Inconclusive, InconclusiveAs::Pass) => 0,
    }
}

#[cfg(test)]
mod tests;
