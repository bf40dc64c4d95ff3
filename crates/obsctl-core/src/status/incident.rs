//! Incidents as GitHub issues: obsctl's marker (so that only its own issues
//! are ever updated or closed) and the state machine of `status check`
//! (what to write given the confirmed health and the open incident).
//!
//! An issue is obsctl's when its body holds a marker line such as
//! `<!-- obsctl:incident service=web source=check state=down -->`; its
//! comments written by obsctl hold `<!-- obsctl:update status=identified
//! state=degraded -->`. Both are HTML comments: invisible on GitHub.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::health::Health;

/// The start of every incident marker.
pub const INCIDENT_MARKER: &str = "<!-- obsctl:incident";
/// The start of every update (comment) marker.
pub const UPDATE_MARKER: &str = "<!-- obsctl:update";

/// Who opened an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `status check`: a failing health check (managed automatically).
    Check,
    /// `incident open`: declared by a person (never closed by `status check`).
    Declared,
}

/// The impact of a declared incident (Statuspage's scale, without `none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// Degraded performance.
    Minor,
    /// A partial outage.
    Major,
    /// A major outage.
    Critical,
}

impl Impact {
    /// `minor`, `major`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// Parse `minor|major|critical`.
    pub fn parse(s: &str) -> Option<Impact> {
        match s {
            "minor" => Some(Impact::Minor),
            "major" => Some(Impact::Major),
            "critical" => Some(Impact::Critical),
            _ => None,
        }
    }
}

/// The status of an incident update (Statuspage's incident statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum UpdateStatus {
    /// Looking into it (the first update of every incident).
    Investigating,
    /// The cause is known.
    Identified,
    /// A fix is out; watching.
    Monitoring,
    /// Over (the issue is closed).
    Resolved,
}

impl UpdateStatus {
    /// Statuspage's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "investigating",
            UpdateStatus::Identified => "identified",
            UpdateStatus::Monitoring => "monitoring",
            UpdateStatus::Resolved => "resolved",
        }
    }

    /// Capitalised, for comments and pages.
    pub fn title(self) -> &'static str {
        match self {
            UpdateStatus::Investigating => "Investigating",
            UpdateStatus::Identified => "Identified",
            UpdateStatus::Monitoring => "Monitoring",
            UpdateStatus::Resolved => "Resolved",
        }
    }

    /// Parse Statuspage's word.
    pub fn parse(s: &str) -> Option<UpdateStatus> {
        match s {
            "investigating" => Some(UpdateStatus::Investigating),
            "identified" => Some(UpdateStatus::Identified),
            "monitoring" => Some(UpdateStatus::Monitoring),
            "resolved" => Some(UpdateStatus::Resolved),
            _ => None,
        }
    }
}

/// The marker in an incident issue's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The `[[service]]` name.
    pub service: String,
    /// Who opened it.
    pub source: Source,
    /// For check incidents: the health when it was opened (down or degraded).
    pub state: Option<Health>,
    /// For declared incidents: the impact.
    pub impact: Option<Impact>,
    /// For declared incidents: the deployment it names (id or SHA).
    pub deployment: Option<String>,
}

/// Percent-encode everything but `[A-Za-z0-9._:-]`, so that a value can
/// neither end the HTML comment nor split a `key=value` pair.
fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn dec(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of the first comment starting with `prefix`.
fn pairs(text: &str, prefix: &str) -> Option<Vec<(String, String)>> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    let end = rest.find("-->")?;
    Some(
        rest[..end]
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), dec(v)))
            .collect(),
    )
}

impl Marker {
    /// The marker of a `status check` incident.
    pub fn check(service: &str, state: Health) -> Self {
        Self {
            service: service.to_string(),
            source: Source::Check,
            state: Some(state),
            impact: None,
            deployment: None,
        }
    }

    /// The marker of a declared incident.
    pub fn declared(service: &str, impact: Impact, deployment: Option<&str>) -> Self {
        Self {
            service: service.to_string(),
            source: Source::Declared,
            state: None,
            impact: Some(impact),
            deployment: deployment.map(String::from),
        }
    }

    /// Find and read the marker in an issue body; `None` when the issue is
    /// not obsctl's (or the marker is unreadable).
    pub fn parse(body: &str) -> Option<Marker> {
        let kv = pairs(body, INCIDENT_MARKER)?;
        let get = |k: &str| kv.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
        let service = get("service").filter(|s| !s.is_empty())?;
        let source = match get("source").as_deref() {
            Some("check") => Source::Check,
            Some("declared") => Source::Declared,
            _ => return None,
        };
        Some(Marker {
            service,
            source,
            state: get("state").as_deref().and_then(Health::parse),
            impact: get("impact").as_deref().and_then(Impact::parse),
            deployment: get("deployment"),
        })
    }

    /// The impact on the page: declared, else down → critical for a
    /// critical service, major otherwise; degraded → minor.
    pub fn impact_for(&self, state: Option<Health>, critical: bool) -> Impact {
        match (self.source, self.impact, state.or(self.state)) {
            (Source::Declared, Some(i), _) => i,
            (_, _, Some(Health::Down)) if critical => Impact::Critical,
            (_, _, Some(Health::Down)) => Impact::Major,
            _ => Impact::Minor,
        }
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{INCIDENT_MARKER} service={} source={}",
            enc(&self.service),
            match self.source {
                Source::Check => "check",
                Source::Declared => "declared",
            }
        )?;
        if let Some(s) = self.state {
            write!(f, " state={}", s.as_str())?;
        }
        if let Some(i) = self.impact {
            write!(f, " impact={}", i.as_str())?;
        }
        if let Some(d) = &self.deployment {
            write!(f, " deployment={}", enc(d))?;
        }
        write!(f, " -->")
    }
}

/// The marker of a comment obsctl wrote: the update's status and, for
/// check incidents, the health it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateMarker {
    /// The incident status this update sets.
    pub status: UpdateStatus,
    /// The health the service moved to (check incidents).
    pub state: Option<Health>,
}

impl UpdateMarker {
    /// Read the marker of a comment; `None` for comments obsctl did not write.
    pub fn parse(body: &str) -> Option<UpdateMarker> {
        let kv = pairs(body, UPDATE_MARKER)?;
        let get = |k: &str| kv.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
        Some(UpdateMarker {
            status: UpdateStatus::parse(get("status")?.as_str())?,
            state: get("state").as_deref().and_then(Health::parse),
        })
    }
}

impl fmt::Display for UpdateMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{UPDATE_MARKER} status={}", self.status.as_str())?;
        if let Some(s) = self.state {
            write!(f, " state={}", s.as_str())?;
        }
        write!(f, " -->")
    }
}

/// The text of an issue body or comment without obsctl's marker lines.
pub fn visible_text(body: &str) -> String {
    body.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with(INCIDENT_MARKER) || t.starts_with(UPDATE_MARKER))
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// An open `status check` incident of one service, as read from GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenIncident {
    /// The issue number.
    pub number: u64,
    /// The health it currently reports: the newest obsctl comment's state,
    /// else the body marker's.
    pub state: Health,
    /// When the issue was opened.
    pub opened_at: DateTime<Utc>,
}

/// What `status check` writes for one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Nothing to write.
    Nothing,
    /// Open an incident issue.
    Open {
        /// `<name> is down` / `<name> is degraded`.
        title: String,
        /// The issue body (text, then the marker).
        body: String,
        /// The health reported.
        state: Health,
    },
    /// Comment on the open incident: the state changed (down ↔ degraded).
    Comment {
        /// The issue number.
        number: u64,
        /// The comment body.
        body: String,
        /// The new health.
        state: Health,
        /// The health before.
        from: Health,
    },
    /// Comment and close: the service is up again.
    Close {
        /// The issue number.
        number: u64,
        /// The comment body.
        body: String,
        /// How long the incident lasted, seconds.
        duration_secs: i64,
    },
}

/// What one check saw, for the issue text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// The HTTP status, when an answer came.
    pub http_status: Option<u16>,
    /// The time to the answer (or failure), ms.
    pub latency_ms: u64,
    /// Why it failed (timeout, refused, unexpected status), already safe to print.
    pub error: Option<String>,
}

/// "1h 5m", "42s": a duration in words (the one text module's coarse form).
pub fn human_duration(secs: i64) -> String {
    crate::text::human_duration_coarse(secs.max(0) as f64)
}

fn describe(service: &str, state: Health, obs: &Observation, url: &str) -> String {
    let mut text = format!("`status check` found **{service}** {}.\n\n", state.as_str());
    text.push_str(&format!("- URL: {url}\n"));
    match obs.http_status {
        Some(s) => text.push_str(&format!("- HTTP status: {s}\n")),
        None => text.push_str("- HTTP status: no answer\n"),
    }
    text.push_str(&format!("- Latency: {} ms\n", obs.latency_ms));
    if let Some(e) = &obs.error {
        text.push_str(&format!("- Error: {e}\n"));
    }
    text
}

/// Decide what to write for `service`, given its confirmed `health` now and
/// its open check incident (if any). Pure and idempotent: with the state
/// GitHub holds after the write, the same health decides [`Action::Nothing`].
pub fn decide(
    service: &str,
    url: &str,
    health: Health,
    obs: &Observation,
    open: Option<&OpenIncident>,
    now: DateTime<Utc>,
) -> Action {
    match (health, open) {
        (Health::Up, None) => Action::Nothing,
        (Health::Up, Some(o)) => {
            let secs = (now - o.opened_at).num_seconds().max(0);
            let marker = UpdateMarker {
                status: UpdateStatus::Resolved,
                state: Some(Health::Up),
            };
            Action::Close {
                number: o.number,
                body: format!(
                    "Resolved: {service} is up again after {}.\n\n{marker}",
                    human_duration(secs)
                ),
                duration_secs: secs,
            }
        }
        (bad, None) => Action::Open {
            title: format!("{service} is {}", bad.as_str()),
            body: format!(
                "{}\nobsctl comments here when the state changes and closes this issue when the service is up again.\n\n{}",
                describe(service, bad, obs, url),
                Marker::check(service, bad)
            ),
            state: bad,
        },
        (bad, Some(o)) if bad == o.state => Action::Nothing,
        (bad, Some(o)) => {
            let marker = UpdateMarker {
                status: UpdateStatus::Investigating,
                state: Some(bad),
            };
            Action::Comment {
                number: o.number,
                body: format!(
                    "{service} is now {} (was {}).\n\n{}\n{marker}",
                    bad.as_str(),
                    o.state.as_str(),
                    describe(service, bad, obs, url).trim_end()
                ),
                state: bad,
                from: o.state,
            }
        }
    }
}

/// The current health of an open check incident: the newest obsctl comment
/// with a state, else the marker's. `comments` are in any order, with times.
pub fn current_state(marker: &Marker, comments: &[(DateTime<Utc>, &str)]) -> Option<Health> {
    let mut newest: Option<(DateTime<Utc>, Health)> = None;
    for (at, body) in comments {
        if let Some(state) = UpdateMarker::parse(body).and_then(|m| m.state) {
            if newest.is_none_or(|(t, _)| *at >= t) {
                newest = Some((*at, state));
            }
        }
    }
    newest.map(|(_, s)| s).or(marker.state)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn markers_round_trip_and_cannot_be_broken_out_of() {
        let m = Marker::check("web api --> x", Health::Down);
        let text = format!("hello\n\n{m}\n");
        assert!(!m.to_string()[4..].contains("-->x"));
        assert_eq!(Marker::parse(&text), Some(m));
        let d = Marker::declared("web", Impact::Major, Some("abc123"));
        assert_eq!(Marker::parse(&d.to_string()), Some(d.clone()));
        assert_eq!(Marker::parse("no marker"), None);
        assert_eq!(Marker::parse("<!-- obsctl:incident source=check -->"), None);
        let u = UpdateMarker {
            status: UpdateStatus::Identified,
            state: None,
        };
        assert_eq!(UpdateMarker::parse(&format!("x\n{u}")), Some(u));
        assert_eq!(visible_text(&format!("Body\n\n{d}\n")), "Body");
    }

    #[test]
    fn state_machine() {
        let now = t("2026-11-29T12:00:00Z");
        let obs = Observation::default();
        let d = |h, o| decide("web", "https://x/h", h, &obs, o, now);
        assert_eq!(d(Health::Up, None), Action::Nothing);
        let Action::Open { title, body, state } = d(Health::Down, None) else {
            panic!()
        };
        assert_eq!(title, "web is down");
        assert_eq!(state, Health::Down);
        assert_eq!(Marker::parse(&body).unwrap().state, Some(Health::Down));
        let open = OpenIncident {
            number: 7,
            state: Health::Down,
            opened_at: t("2026-11-29T10:55:00Z"),
        };
        // Same state again: nothing (idempotent).
        assert_eq!(d(Health::Down, Some(&open)), Action::Nothing);
        let Action::Comment { number, body, .. } = d(Health::Degraded, Some(&open)) else {
            panic!()
        };
        assert_eq!(number, 7);
        assert_eq!(
            UpdateMarker::parse(&body).unwrap().state,
            Some(Health::Degraded)
        );
        let Action::Close {
            body,
            duration_secs,
            ..
        } = d(Health::Up, Some(&open))
        else {
            panic!()
        };
        assert_eq!(duration_secs, 3900);
        assert!(
            body.starts_with("Resolved: web is up again after 1h 5m."),
            "{body}"
        );
    }

    #[test]
    fn current_state_is_the_newest_comment() {
        let m = Marker::check("web", Health::Down);
        let c1 = "<!-- obsctl:update status=investigating state=degraded -->";
        let c2 = "<!-- obsctl:update status=investigating state=down -->";
        assert_eq!(current_state(&m, &[]), Some(Health::Down));
        assert_eq!(
            current_state(
                &m,
                &[
                    (t("2026-01-01T00:02:00Z"), c2),
                    (t("2026-01-01T00:01:00Z"), c1),
                    (t("2026-01-01T00:03:00Z"), "human text"),
                ]
            ),
            Some(Health::Down)
        );
        assert_eq!(
            current_state(&m, &[(t("2026-01-01T00:01:00Z"), c1)]),
            Some(Health::Degraded)
        );
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(300), "5m");
        assert_eq!(human_duration(7200), "2h 0m");
        assert_eq!(human_duration(90_000), "1d 1h");
    }
}
