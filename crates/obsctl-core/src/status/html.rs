//! `index.html`: the status page, one self-contained file that works
//! without JavaScript. Overall banner, one row per service with its state
//! and a daily uptime bar, open incidents with their updates, past
//! incidents. Accessible: every state is written in words (and an icon),
//! never by colour alone; the bar's days differ in height too and the bar
//! has a text summary; colours meet WCAG AA contrast in light and dark
//! (`prefers-color-scheme`); the layout reflows down to 320 px.

use chrono::{DateTime, Utc};

use super::health::Health;
use super::incident::UpdateStatus;
use super::rollup::{ComponentStatus, Indicator};
use super::site::{IncidentRecord, ServiceView, SiteView, ts, xml};
use super::uptime;

const CSS: &str = r#"
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--ok-bar:#2da44e;--warn-bar:#d4a72c;--bad-bar:#cf222e;--none-bar:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#151b23;--fg:#f0f6fc;--muted:#9198a1;--line:#3d444d;
--ok:#3fb950;--warn:#d29922;--bad:#f85149;--ok-bar:#2ea043;--warn-bar:#bb8009;--bad-bar:#da3633;--none-bar:#3d444d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:inherit}
.wrap{max-width:960px;margin:0 auto;padding:24px 16px 48px}
header h1{font-size:1.75rem;margin:0 0 16px}
.banner{display:flex;gap:12px;align-items:center;padding:16px 20px;border-radius:8px;color:#fff;margin:0 0 32px}
.banner p{margin:0}.banner small{opacity:.95}
.banner.i-none{background:#1a7f37}.banner.i-minor{background:#9a6700}.banner.i-major{background:#bc4c00}.banner.i-critical{background:#cf222e}
.banner .icon{font-size:1.5rem;font-weight:700;width:2rem;height:2rem;border-radius:50%;border:2px solid #fff;display:inline-flex;align-items:center;justify-content:center;flex:none}
h2{font-size:1.25rem;margin:32px 0 12px}
.services{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:8px}
.service{padding:16px 20px;border-top:1px solid var(--line)}.service:first-child{border-top:0}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 16px;align-items:baseline}
.row h3{margin:0;font-size:1.05rem}
.state{font-weight:600;white-space:nowrap}
.s-operational .state{color:var(--ok)}.s-degraded_performance .state{color:var(--warn)}
.s-partial_outage .state,.s-major_outage .state{color:var(--bad)}
.detail{color:var(--muted);font-size:.875rem;margin:2px 0 0}
.bar{display:flex;gap:2px;height:34px;align-items:flex-end;margin:12px 0 4px}
.bar span{flex:1 1 0;min-width:1px;border-radius:2px;height:100%;background:var(--ok-bar)}
.bar .d-degraded{background:var(--warn-bar);height:70%}
.bar .d-down{background:var(--bad-bar);height:100%;outline:1px solid var(--fg);outline-offset:-1px}
.bar .d-up{height:55%}
.legend{display:flex;justify-content:space-between;color:var(--muted);font-size:.8125rem}
.legend .short{display:none}
.keys{color:var(--muted);font-size:.8125rem;margin:8px 0 0}
.incident{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 12px}
.incident h3{margin:0 0 4px;font-size:1.05rem}
.meta{color:var(--muted);font-size:.875rem;margin:0 0 8px}
.updates{list-style:none;margin:0;padding:0}
.updates li{border-left:3px solid var(--line);padding:2px 0 2px 12px;margin:8px 0}
.updates .st{font-weight:600}
.updates p{margin:2px 0 0;white-space:pre-line;overflow-wrap:anywhere}
.none{color:var(--muted)}
footer{color:var(--muted);font-size:.875rem;margin-top:40px}
@media (max-width:600px){.wrap{padding:16px 12px 32px}.bar span:nth-child(-n+60){display:none}
.legend .long{display:none}.legend .short{display:inline}.banner{padding:12px 14px}}
"#;

fn when(t: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        ts(t),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

fn icon(s: ComponentStatus) -> &'static str {
    match s {
        ComponentStatus::Operational => "✓",
        ComponentStatus::DegradedPerformance => "!",
        ComponentStatus::PartialOutage | ComponentStatus::MajorOutage => "✕",
    }
}

fn banner_icon(i: Indicator) -> &'static str {
    match i {
        Indicator::None => "✓",
        Indicator::Minor => "!",
        Indicator::Major | Indicator::Critical => "✕",
    }
}

fn service_row(s: &ServiceView, days: u32) -> String {
    let mut h = format!(
        "<li class=\"service s-{}\" id=\"service-{}\">\n<div class=\"row\"><h3>{}</h3><span class=\"state\"><span aria-hidden=\"true\">{} </span>{}</span></div>\n",
        s.status.as_str(),
        xml(&s.slug),
        xml(&s.name),
        icon(s.status),
        s.status.label()
    );
    if let Some(c) = &s.check {
        let mut d = format!("Last check: {}", c.status.as_str());
        if let Some(code) = c.http_status {
            d.push_str(&format!(", HTTP {code}"));
        }
        if let Some(ms) = c.latency_ms {
            d.push_str(&format!(", {ms} ms"));
        }
        h.push_str(&format!("<p class=\"detail\">{}</p>\n", xml(&d)));
    }
    if !s.days.is_empty() {
        let down = s.days.iter().filter(|d| d.worst == Health::Down).count();
        let degraded = s
            .days
            .iter()
            .filter(|d| d.worst == Health::Degraded)
            .count();
        let pct = uptime::percent(s.uptime);
        h.push_str(&format!(
            "<div class=\"bar\" role=\"img\" aria-label=\"{}: {pct} uptime over the last {days} days; {down} days with an outage, {degraded} days degraded\">",
            xml(&s.name)
        ));
        for d in &s.days {
            let (class, what) = match d.worst {
                Health::Down => (
                    "d-down",
                    format!("down {}", super::incident::human_duration(d.down_secs)),
                ),
                Health::Degraded => (
                    "d-degraded",
                    format!(
                        "degraded {}",
                        super::incident::human_duration(d.degraded_secs)
                    ),
                ),
                Health::Up => ("d-up", "no incidents".to_string()),
            };
            h.push_str(&format!(
                "<span class=\"{class}\" title=\"{}: {what}\"></span>",
                d.date
            ));
        }
        h.push_str("</div>\n");
        h.push_str(&format!(
            "<div class=\"legend\" aria-hidden=\"true\"><span><span class=\"long\">{days} days ago</span><span class=\"short\">30 days ago</span></span><span><span class=\"long\">{pct} uptime</span><span class=\"short\">{pct} over {days} days</span></span><span>Today</span></div>\n"
        ));
    }
    h.push_str("</li>\n");
    h
}

fn incident_block(v: &SiteView, i: &IncidentRecord) -> String {
    let critical = v
        .services
        .iter()
        .any(|s| s.name == i.service() && s.critical);
    let mut h = format!(
        "<article class=\"incident\" id=\"incident-{}\">\n<h3>{}</h3>\n<p class=\"meta\">{} · impact: {} · started {}",
        i.number,
        xml(&i.title),
        xml(i.service()),
        i.impact(critical).as_str(),
        when(i.created_at)
    );
    if let Some(c) = i.closed_at {
        h.push_str(&format!(
            " · resolved {} (after {})",
            when(c),
            super::incident::human_duration((c - i.created_at).num_seconds())
        ));
    }
    h.push_str("</p>\n<ol class=\"updates\" reversed>\n");
    let mut updates: Vec<(UpdateStatus, DateTime<Utc>, String)> = i
        .updates
        .iter()
        .map(|u| (u.status, u.at, u.body.clone()))
        .collect();
    if let Some(c) = i.closed_at {
        if !updates.iter().any(|u| u.0 == UpdateStatus::Resolved) {
            updates.push((
                UpdateStatus::Resolved,
                c,
                "This incident has been resolved.".into(),
            ));
        }
    }
    for (status, at, body) in updates.iter().rev() {
        h.push_str(&format!(
            "<li><span class=\"st\">{}</span> · {}<p>{}</p></li>\n",
            status.title(),
            when(*at),
            xml(body)
        ));
    }
    h.push_str("</ol>\n</article>\n");
    h
}

/// Render the page.
pub fn render(v: &SiteView) -> String {
    let mut h =
        String::from("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"color-scheme\" content=\"light dark\">\n");
    h.push_str(&format!(
        "<title>{} — {}</title>\n",
        xml(&v.title),
        v.indicator.description()
    ));
    h.push_str("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Incident history\" href=\"history.atom\">\n");
    h.push_str(&format!(
        "<style>{CSS}</style>\n</head>\n<body>\n<div class=\"wrap\">\n"
    ));
    h.push_str(&format!(
        "<header><h1>{}</h1></header>\n<main>\n",
        xml(&v.title)
    ));
    h.push_str(&format!(
        "<section class=\"banner i-{}\" aria-label=\"Overall status\"><span class=\"icon\" aria-hidden=\"true\">{}</span><p><strong>{}</strong><br><small>As of {}</small></p></section>\n",
        v.indicator.as_str(),
        banner_icon(v.indicator),
        v.indicator.description(),
        when(v.now)
    ));
    h.push_str("<section aria-labelledby=\"h-services\">\n<h2 id=\"h-services\">Services</h2>\n");
    if v.services.is_empty() {
        h.push_str("<p class=\"none\">No services are configured.</p>\n");
    } else {
        h.push_str("<ul class=\"services\">\n");
        for s in &v.services {
            h.push_str(&service_row(s, v.days));
        }
        h.push_str("</ul>\n");
        h.push_str(&format!(
            "<p class=\"keys\">Bars: one per day (UTC), tallest = an outage, medium = degraded, short = no incidents. Uptime counts outage time over the last {} days.</p>\n",
            v.days
        ));
    }
    h.push_str(
        "</section>\n<section aria-labelledby=\"h-open\">\n<h2 id=\"h-open\">Open incidents</h2>\n",
    );
    if v.open.is_empty() {
        h.push_str("<p class=\"none\">No open incidents.</p>\n");
    }
    for i in &v.open {
        h.push_str(&incident_block(v, i));
    }
    h.push_str(&format!(
        "</section>\n<section aria-labelledby=\"h-past\">\n<h2 id=\"h-past\">Past incidents (last {} days)</h2>\n",
        v.days
    ));
    if v.past.is_empty() {
        h.push_str("<p class=\"none\">No incidents.</p>\n");
    }
    for i in &v.past {
        h.push_str(&incident_block(v, i));
    }
    h.push_str("</section>\n</main>\n<footer><p>Machine-readable: <a href=\"api/v2/summary.json\">Statuspage API v2</a> · <a href=\"history.atom\">Atom feed</a>. Built by obsctl.</p></footer>\n</div>\n</body>\n</html>\n");
    h
}
