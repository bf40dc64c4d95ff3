//! The status site's model: what `status build` reads (services, incident
//! issues, the latest check) and the view every renderer shares (component
//! statuses, the page indicator, 90 days of uptime, open and past
//! incidents), plus the Statuspage v2 JSON, the Atom feed and the shields.io
//! badges. Deterministic: the same input gives the same bytes; time is
//! measured up to [`reference_time`], never the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::health::Health;
use super::incident::{Impact, Marker, Source, UpdateMarker, UpdateStatus, visible_text};
use super::rollup::{self, ComponentStatus, Indicator, OpenSignal};
use super::uptime::{self, Day, Interval};

/// Statuspage lists at most this many incidents in `incidents.json`.
pub const MAX_INCIDENTS: usize = 50;

/// One service's result in `status check --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The `[[service]]` name.
    pub name: String,
    /// `up | degraded | down` (after confirmation).
    pub status: Health,
    /// The HTTP status of the last probe, when an answer came.
    pub http_status: Option<u16>,
    /// The last probe's latency, ms.
    pub latency_ms: Option<u64>,
    /// Why it is not up (safe to print), else null.
    pub error: Option<String>,
}

/// `status check --format json`, and `status build --checks FILE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckReport {
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: DateTime<Utc>,
    /// One entry per service, in config order.
    pub services: Vec<CheckResult>,
}

/// A service on the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The `[[service]]` name.
    pub name: String,
    /// `critical = true`: its major outage makes the page critical.
    pub critical: bool,
}

/// One public update of an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentUpdate {
    /// Stable id: `gh-issue-<n>-body` or `gh-comment-<id>`.
    pub id: String,
    /// The incident status it sets.
    pub status: UpdateStatus,
    /// For check incidents: the health it reports.
    pub state: Option<Health>,
    /// The public text.
    pub body: String,
    /// When it was written.
    pub at: DateTime<Utc>,
}

/// One obsctl incident issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRecord {
    /// The issue number.
    pub number: u64,
    /// The issue title (the incident's name).
    pub title: String,
    /// The issue's web URL.
    pub url: String,
    /// obsctl's marker.
    pub marker: Marker,
    /// When the issue was opened.
    pub created_at: DateTime<Utc>,
    /// When it was closed (None while open).
    pub closed_at: Option<DateTime<Utc>>,
    /// The public updates, oldest first (the first is the issue body).
    pub updates: Vec<IncidentUpdate>,
}

fn first_paragraph(s: &str) -> String {
    s.split("\n\n").next().unwrap_or("").trim().to_string()
}

/// `**Identified**: text` (how `incident update` writes) → `text`.
fn strip_status_prefix(text: &str, status: UpdateStatus) -> String {
    let prefix = format!("**{}**", status.title());
    match text.strip_prefix(&prefix) {
        Some(rest) => rest.trim_start_matches(':').trim().to_string(),
        None => text.to_string(),
    }
}

impl IncidentRecord {
    /// Read an issue; `None` when it carries no obsctl marker. Only
    /// comments obsctl wrote (with its update marker) become public updates:
    /// other discussion on the issue stays on GitHub.
    /// `comments` are `(id, created_at, body)`.
    pub fn from_issue(
        number: u64,
        title: &str,
        url: &str,
        body: &str,
        created_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
        comments: &[(u64, DateTime<Utc>, &str)],
    ) -> Option<Self> {
        let marker = Marker::parse(body)?;
        let first = match marker.source {
            // The issue text of a check incident names URLs and errors
            // that may be internal: the page says only what happened.
            Source::Check => format!(
                "{} is {}.",
                marker.service,
                marker.state.unwrap_or(Health::Down).as_str()
            ),
            Source::Declared => visible_text(body),
        };
        let mut updates = vec![IncidentUpdate {
            id: format!("gh-issue-{number}-body"),
            status: UpdateStatus::Investigating,
            state: marker.state,
            body: first,
            at: created_at,
        }];
        let mut sorted: Vec<_> = comments.to_vec();
        sorted.sort_by_key(|(id, at, _)| (*at, *id));
        for (id, at, text) in sorted {
            let Some(m) = UpdateMarker::parse(text) else {
                continue;
            };
            let visible = visible_text(text);
            updates.push(IncidentUpdate {
                id: format!("gh-comment-{id}"),
                status: m.status,
                state: m.state,
                body: match marker.source {
                    Source::Check => first_paragraph(&visible),
                    Source::Declared => strip_status_prefix(&visible, m.status),
                },
                at,
            });
        }
        Some(Self {
            number,
            title: title.to_string(),
            url: url.to_string(),
            marker,
            created_at,
            closed_at,
            updates,
        })
    }

    /// The service it is about.
    pub fn service(&self) -> &str {
        &self.marker.service
    }

    /// Open (not closed).
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }

    /// The health a check incident currently reports.
    pub fn current_state(&self) -> Option<Health> {
        self.updates
            .iter()
            .rev()
            .find_map(|u| u.state.filter(|s| *s != Health::Up))
            .or(self.marker.state)
    }

    /// Statuspage's status: resolved when closed, else the newest update's.
    pub fn status(&self) -> UpdateStatus {
        if self.closed_at.is_some() {
            return UpdateStatus::Resolved;
        }
        self.updates
            .iter()
            .rev()
            .map(|u| u.status)
            .find(|s| *s != UpdateStatus::Resolved)
            .unwrap_or(UpdateStatus::Investigating)
    }

    /// The impact (see [`Marker::impact_for`]); the worst state it reported.
    pub fn impact(&self, critical: bool) -> Impact {
        let worst = self.updates.iter().filter_map(|u| u.state).max();
        self.marker
            .impact_for(worst.filter(|s| *s != Health::Up), critical)
    }

    /// What it says about its service while open.
    pub fn signal(&self) -> OpenSignal {
        match (self.marker.source, self.marker.impact) {
            (Source::Declared, Some(i)) => OpenSignal::Declared(i),
            (Source::Declared, None) => OpenSignal::Declared(Impact::Minor),
            (Source::Check, _) => OpenSignal::Check(self.current_state().unwrap_or(Health::Down)),
        }
    }

    /// The newest event: closing, else the newest update.
    pub fn last_event(&self) -> DateTime<Utc> {
        let newest = self
            .updates
            .iter()
            .map(|u| u.at)
            .max()
            .unwrap_or(self.created_at);
        self.closed_at.map_or(newest, |c| c.max(newest))
    }

    /// When the first `monitoring` update was written.
    pub fn monitoring_at(&self) -> Option<DateTime<Utc>> {
        self.updates
            .iter()
            .find(|u| u.status == UpdateStatus::Monitoring)
            .map(|u| u.at)
    }

    /// The bad stretches of time it stands for, up to `now` when open.
    pub fn intervals(&self, now: DateTime<Utc>) -> Vec<Interval> {
        let end = self.closed_at.unwrap_or(now).min(now);
        match self.marker.source {
            Source::Declared => {
                let level = match self.marker.impact.unwrap_or(Impact::Minor) {
                    Impact::Minor => Health::Degraded,
                    Impact::Major | Impact::Critical => Health::Down,
                };
                vec![Interval {
                    start: self.created_at,
                    end,
                    level,
                }]
            }
            Source::Check => {
                let mut out = Vec::new();
                let mut at = self.created_at;
                let mut level = self.marker.state.unwrap_or(Health::Down);
                for u in self.updates.iter().skip(1) {
                    let Some(s) = u.state else { continue };
                    if u.at > at && u.at <= end {
                        out.push(Interval {
                            start: at,
                            end: u.at,
                            level,
                        });
                        at = u.at;
                    }
                    level = s;
                }
                if end > at {
                    out.push(Interval {
                        start: at,
                        end,
                        level,
                    });
                }
                out
            }
        }
    }
}

/// Everything `status build` renders from.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteInput {
    /// The page title.
    pub title: String,
    /// Where the page is served (absolute URL; a trailing `/` is added).
    pub page_url: String,
    /// The services, in config order.
    pub services: Vec<ServiceInfo>,
    /// obsctl's incident issues (any order).
    pub incidents: Vec<IncidentRecord>,
    /// The latest `status check --format json`, if given.
    pub checks: Option<CheckReport>,
    /// Days of history (default 90).
    pub days: u32,
    /// `--now`, if given.
    pub now: Option<DateTime<Utc>>,
}

/// The time everything is measured up to: `--now`, else the checks'
/// `checked_at`, else the newest incident event, else the Unix epoch. Never
/// the clock, so that a rebuild from the same input gives the same bytes.
pub fn reference_time(input: &SiteInput) -> DateTime<Utc> {
    input
        .now
        .or(input.checks.as_ref().map(|c| c.checked_at))
        .or(input.incidents.iter().map(IncidentRecord::last_event).max())
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// One service as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceView {
    /// The name.
    pub name: String,
    /// The component id and file name: lowercase `[a-z0-9-]`, unique.
    pub slug: String,
    /// `critical = true`.
    pub critical: bool,
    /// The rolled-up component status.
    pub status: ComponentStatus,
    /// The latest check of it, if any.
    pub check: Option<CheckResult>,
    /// One entry per day, oldest first.
    pub days: Vec<Day>,
    /// Uptime over the days, a ratio 0–1.
    pub uptime: f64,
    /// The newest event that concerns it (else the reference time).
    pub updated_at: DateTime<Utc>,
}

/// The page, derived once and rendered in every format.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteView {
    /// The title.
    pub title: String,
    /// The page URL, ending in `/`.
    pub page_url: String,
    /// Statuspage's `page.id`: the slug of the title.
    pub page_id: String,
    /// The reference time.
    pub now: DateTime<Utc>,
    /// The page indicator.
    pub indicator: Indicator,
    /// The services, in config order.
    pub services: Vec<ServiceView>,
    /// Open incidents, newest first.
    pub open: Vec<IncidentRecord>,
    /// Closed incidents of the window, newest first.
    pub past: Vec<IncidentRecord>,
    /// Days of history.
    pub days: u32,
}

/// Lowercase `[a-z0-9-]`, runs of anything else as one `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let t = out.trim_matches('-').to_string();
    if t.is_empty() { "service".into() } else { t }
}

/// RFC 3339, UTC, whole seconds.
pub fn ts(t: DateTime<Utc>) -> String {
    crate::text::rfc3339(t)
}

/// Derive the view.
pub fn view(input: &SiteInput) -> SiteView {
    let now = reference_time(input);
    let window_start = now - Duration::days(input.days.max(1) as i64);
    let mut incidents: Vec<IncidentRecord> = input
        .incidents
        .iter()
        .filter(|i| i.created_at <= now)
        .filter(|i| i.is_open() || i.closed_at.is_some_and(|c| c >= window_start))
        .cloned()
        .collect();
    // Closed after the reference time: open as of then.
    for i in &mut incidents {
        if i.closed_at.is_some_and(|c| c > now) {
            i.closed_at = None;
        }
        i.updates.retain(|u| u.at <= now);
    }
    incidents.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.number)));
    let mut used = BTreeMap::new();
    let services: Vec<ServiceView> = input
        .services
        .iter()
        .map(|s| {
            let base = slug(&s.name);
            let n = used.entry(base.clone()).or_insert(0);
            *n += 1;
            let slug = if *n == 1 { base } else { format!("{base}-{n}") };
            let mine: Vec<&IncidentRecord> =
                incidents.iter().filter(|i| i.service() == s.name).collect();
            let signals: Vec<OpenSignal> = mine
                .iter()
                .filter(|i| i.is_open())
                .map(|i| i.signal())
                .collect();
            let check = input
                .checks
                .as_ref()
                .and_then(|c| c.services.iter().find(|r| r.name == s.name))
                .cloned();
            let status = rollup::component_status(check.as_ref().map(|c| c.status), &signals);
            let intervals: Vec<Interval> = mine.iter().flat_map(|i| i.intervals(now)).collect();
            let days = if now == DateTime::UNIX_EPOCH {
                Vec::new()
            } else {
                uptime::daily(&intervals, now, input.days)
            };
            ServiceView {
                name: s.name.clone(),
                slug,
                critical: s.critical,
                status,
                uptime: uptime::ratio(&days),
                days,
                updated_at: mine.iter().map(|i| i.last_event()).max().unwrap_or(now),
                check,
            }
        })
        .collect();
    let critical_of = |name: &str| input.services.iter().any(|s| s.name == name && s.critical);
    let unresolved: Vec<Impact> = incidents
        .iter()
        .filter(|i| i.is_open())
        .map(|i| i.impact(critical_of(i.service())))
        .collect();
    let components: Vec<(ComponentStatus, bool)> =
        services.iter().map(|s| (s.status, s.critical)).collect();
    let (open, past) = incidents.into_iter().partition(IncidentRecord::is_open);
    let mut page_url = input.page_url.clone();
    if !page_url.ends_with('/') {
        page_url.push('/');
    }
    SiteView {
        title: input.title.clone(),
        page_id: slug(&input.title),
        page_url,
        now,
        indicator: rollup::indicator(&components, &unresolved),
        services,
        open,
        past,
        days: input.days,
    }
}

impl SiteView {
    fn critical(&self, service: &str) -> bool {
        self.services
            .iter()
            .any(|s| s.name == service && s.critical)
    }

    fn page(&self) -> Value {
        json!({
            "id": self.page_id,
            "name": self.title,
            "url": self.page_url,
            "time_zone": "Etc/UTC",
            "updated_at": ts(self.now),
        })
    }

    fn component(&self, s: &ServiceView, position: usize) -> Value {
        json!({
            "id": s.slug,
            "name": s.name,
            "status": s.status.as_str(),
            "updated_at": ts(s.updated_at),
            "position": position,
            "description": null,
            "showcase": true,
            "start_date": null,
            "group_id": null,
            "page_id": self.page_id,
            "group": false,
            "only_show_if_degraded": false,
        })
    }

    fn components(&self) -> Vec<Value> {
        self.services
            .iter()
            .enumerate()
            .map(|(i, s)| self.component(s, i + 1))
            .collect()
    }

    /// The anchor of an incident on the page (`#incident-12`).
    pub fn incident_link(&self, i: &IncidentRecord) -> String {
        format!("{}#incident-{}", self.page_url, i.number)
    }

    fn incident(&self, i: &IncidentRecord) -> Value {
        let id = format!("gh-issue-{}", i.number);
        let service = self
            .services
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == i.service());
        let affected = service
            .map(|(_, s)| json!([{"code": s.slug, "name": s.name}]))
            .unwrap_or(Value::Null);
        let mut updates: Vec<Value> = i
            .updates
            .iter()
            .map(|u| {
                json!({
                    "id": u.id,
                    "status": u.status.as_str(),
                    "body": u.body,
                    "incident_id": id,
                    "created_at": ts(u.at),
                    "updated_at": ts(u.at),
                    "display_at": ts(u.at),
                    "affected_components": affected,
                })
            })
            .collect();
        if let Some(closed) = i.closed_at {
            if !i.updates.iter().any(|u| u.status == UpdateStatus::Resolved) {
                updates.push(json!({
                    "id": format!("gh-issue-{}-closed", i.number),
                    "status": "resolved",
                    "body": "This incident has been resolved.",
                    "incident_id": id,
                    "created_at": ts(closed),
                    "updated_at": ts(closed),
                    "display_at": ts(closed),
                    "affected_components": affected,
                }));
            }
        }
        updates.reverse();
        json!({
            "id": id,
            "name": i.title,
            "status": i.status().as_str(),
            "impact": i.impact(self.critical(i.service())).as_str(),
            "created_at": ts(i.created_at),
            "updated_at": ts(i.last_event()),
            "started_at": ts(i.created_at),
            "monitoring_at": i.monitoring_at().map(ts),
            "resolved_at": i.closed_at.map(ts),
            "shortlink": self.incident_link(i),
            "page_id": self.page_id,
            "incident_updates": updates,
            "components": service.map(|(n, s)| vec![self.component(s, n + 1)]).unwrap_or_default(),
        })
    }

    fn status(&self) -> Value {
        json!({"indicator": self.indicator.as_str(), "description": self.indicator.description()})
    }

    /// The Statuspage v2 documents: `(path under the site root, JSON)`.
    pub fn statuspage(&self) -> Vec<(String, Value)> {
        let unresolved: Vec<Value> = self.open.iter().map(|i| self.incident(i)).collect();
        let mut all: Vec<&IncidentRecord> = self.open.iter().chain(&self.past).collect();
        all.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.number)));
        let newest: Vec<Value> = all
            .iter()
            .take(MAX_INCIDENTS)
            .map(|i| self.incident(i))
            .collect();
        let none = json!({"page": self.page(), "scheduled_maintenances": []});
        vec![
            (
                "api/v2/status.json".into(),
                json!({"page": self.page(), "status": self.status()}),
            ),
            (
                "api/v2/summary.json".into(),
                json!({
                    "page": self.page(),
                    "status": self.status(),
                    "components": self.components(),
                    "incidents": unresolved,
                    "scheduled_maintenances": [],
                }),
            ),
            (
                "api/v2/components.json".into(),
                json!({"page": self.page(), "components": self.components()}),
            ),
            (
                "api/v2/incidents.json".into(),
                json!({"page": self.page(), "incidents": newest}),
            ),
            (
                "api/v2/incidents/unresolved.json".into(),
                json!({"page": self.page(), "incidents": unresolved}),
            ),
            ("api/v2/scheduled-maintenances.json".into(), none.clone()),
            (
                "api/v2/scheduled-maintenances/upcoming.json".into(),
                none.clone(),
            ),
            ("api/v2/scheduled-maintenances/active.json".into(), none),
        ]
    }

    /// shields.io endpoint badges: `badge/<slug>.json` (state) and
    /// `badge/<slug>-uptime.json` (uptime over the days).
    pub fn badges(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for s in &self.services {
            let (message, color) = s.status.badge();
            out.push((
                format!("badge/{}.json", s.slug),
                json!({"schemaVersion": 1, "label": s.name, "message": message, "color": color}),
            ));
            let color = match s.uptime {
                u if u >= 0.999 => "brightgreen",
                u if u >= 0.99 => "green",
                u if u >= 0.95 => "yellow",
                _ => "red",
            };
            out.push((
                format!("badge/{}-uptime.json", s.slug),
                json!({
                    "schemaVersion": 1,
                    "label": format!("{} uptime", s.name),
                    "message": uptime::percent(s.uptime),
                    "color": color,
                }),
            ));
        }
        out
    }

    /// `history.atom`: one entry per incident of the window, newest first.
    pub fn atom(&self) -> String {
        let mut all: Vec<&IncidentRecord> = self.open.iter().chain(&self.past).collect();
        all.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.number)));
        let updated = all.iter().map(|i| i.last_event()).max().unwrap_or(self.now);
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        x.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
        x.push_str(&format!(
            "  <title>{} incident history</title>\n",
            xml(&self.title)
        ));
        x.push_str(&format!("  <id>{}history.atom</id>\n", xml(&self.page_url)));
        x.push_str(&format!(
            "  <link rel=\"alternate\" href=\"{}\"/>\n",
            xml(&self.page_url)
        ));
        x.push_str(&format!(
            "  <link rel=\"self\" href=\"{}history.atom\"/>\n",
            xml(&self.page_url)
        ));
        x.push_str(&format!("  <updated>{}</updated>\n", ts(updated)));
        x.push_str(&format!(
            "  <author><name>{}</name></author>\n",
            xml(&self.title)
        ));
        for i in all {
            let link = self.incident_link(i);
            let mut text = String::new();
            for u in i.updates.iter().rev() {
                text.push_str(&format!(
                    "{} ({}): {}\n",
                    u.status.title(),
                    ts(u.at),
                    u.body
                ));
            }
            if let Some(c) = i.closed_at {
                text = format!("Resolved ({}).\n{text}", ts(c));
            }
            x.push_str("  <entry>\n");
            x.push_str(&format!("    <title>{}</title>\n", xml(&i.title)));
            x.push_str(&format!("    <id>{}</id>\n", xml(&link)));
            x.push_str(&format!(
                "    <link rel=\"alternate\" href=\"{}\"/>\n",
                xml(&link)
            ));
            x.push_str(&format!(
                "    <published>{}</published>\n",
                ts(i.created_at)
            ));
            x.push_str(&format!("    <updated>{}</updated>\n", ts(i.last_event())));
            x.push_str(&format!(
                "    <content type=\"text\">{}</content>\n",
                xml(text.trim_end())
            ));
            x.push_str("  </entry>\n");
        }
        x.push_str("</feed>\n");
        x
    }
}

/// Escape text for XML and HTML (`& < > " '`), dropping control characters
/// that XML 1.0 forbids.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Every file of the site: `(path under --out, bytes)`, sorted by path.
pub fn render(input: &SiteInput) -> Vec<(String, Vec<u8>)> {
    let v = view(input);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (path, doc) in v.statuspage().into_iter().chain(v.badges()) {
        let mut text = serde_json::to_string_pretty(&doc).expect("JSON serializes");
        text.push('\n');
        files.push((path, text.into_bytes()));
    }
    files.push(("history.atom".into(), v.atom().into_bytes()));
    files.push(("index.html".into(), super::html::render(&v).into_bytes()));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn check_incident(n: u64, service: &str, open: bool) -> IncidentRecord {
        let body = format!("x\n\n{}", Marker::check(service, Health::Down));
        let c1 = "web is now degraded (was down).\n\nmore\n<!-- obsctl:update status=investigating state=degraded -->";
        let c2 = "Resolved: web is up again after 1h.\n\n<!-- obsctl:update status=resolved state=up -->";
        let mut comments = vec![
            (11, t("2026-11-28T10:30:00Z"), c1),
            (9, t("2026-11-28T10:40:00Z"), "human chat"),
        ];
        if !open {
            comments.push((12, t("2026-11-28T11:00:00Z"), c2));
        }
        IncidentRecord::from_issue(
            n,
            &format!("{service} is down"),
            "https://github.com/acme/web/issues/1",
            &body,
            t("2026-11-28T10:00:00Z"),
            (!open).then(|| t("2026-11-28T11:00:00Z")),
            &comments,
        )
        .unwrap()
    }

    fn input(incidents: Vec<IncidentRecord>) -> SiteInput {
        SiteInput {
            title: "Acme Status".into(),
            page_url: "https://acme.github.io/web".into(),
            services: vec![
                ServiceInfo {
                    name: "web".into(),
                    critical: true,
                },
                ServiceInfo {
                    name: "api".into(),
                    critical: false,
                },
            ],
            incidents,
            checks: None,
            days: 90,
            now: None,
        }
    }

    #[test]
    fn records_keep_only_obsctl_comments_and_time_the_states() {
        let i = check_incident(1, "web", false);
        assert_eq!(i.updates.len(), 3, "the human comment is not published");
        assert_eq!(i.updates[0].body, "web is down.");
        assert_eq!(i.updates[1].body, "web is now degraded (was down).");
        let iv = i.intervals(t("2026-11-29T00:00:00Z"));
        assert_eq!(iv.len(), 2);
        assert_eq!(
            (iv[0].level, (iv[0].end - iv[0].start).num_minutes()),
            (Health::Down, 30)
        );
        assert_eq!(
            (iv[1].level, (iv[1].end - iv[1].start).num_minutes()),
            (Health::Degraded, 30)
        );
        assert_eq!(i.status(), UpdateStatus::Resolved);
        assert_eq!(i.impact(true), Impact::Critical);
        assert_eq!(
            IncidentRecord::from_issue(
                2,
                "t",
                "u",
                "no marker",
                t("2026-01-01T00:00:00Z"),
                None,
                &[]
            ),
            None
        );
    }

    #[test]
    fn open_incident_decides_the_page_without_checks() {
        let v = view(&input(vec![check_incident(1, "web", true)]));
        // Reference time: the newest event (the human comment is not an event).
        assert_eq!(ts(v.now), "2026-11-28T10:30:00Z");
        assert_eq!(v.services[0].status, ComponentStatus::DegradedPerformance);
        assert_eq!(v.services[1].status, ComponentStatus::Operational);
        // A critical service's incident, degraded now but down before: the
        // incident's impact is its worst.
        assert_eq!(v.indicator, Indicator::Critical);
        assert_eq!(v.open.len(), 1);
        assert_eq!(v.services[0].days.len(), 90);
    }

    #[test]
    fn same_input_same_bytes_and_no_clock() {
        let a = render(&input(vec![check_incident(1, "web", false)]));
        let b = render(&input(vec![check_incident(1, "web", false)]));
        assert_eq!(a, b);
        let paths: Vec<&str> = a.iter().map(|(p, _)| p.as_str()).collect();
        assert!(paths.contains(&"api/v2/summary.json"));
        assert!(paths.contains(&"badge/web.json"));
        assert!(paths.contains(&"index.html"));
        // Times come from the input only: the newest event, 2026-11-28.
        let summary = &a
            .iter()
            .find(|(p, _)| p == "api/v2/summary.json")
            .unwrap()
            .1;
        assert!(
            String::from_utf8_lossy(summary).contains("\"updated_at\": \"2026-11-28T11:00:00Z\"")
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(xml("<a href='x'>&\u{1}"), "&lt;a href=&#39;x&#39;&gt;&amp;");
        assert_eq!(slug("Web API (eu)"), "web-api-eu");
        assert_eq!(slug("!!"), "service");
    }
}
