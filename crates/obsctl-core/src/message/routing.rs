//! Which channels hear about what.
//!
//! | message | routes |
//! |---|---|
//! | event `deployment` or `release` | Deployments |
//! | severity `critical` | Incidents and Monitoring |
//! | event `incident` | Incidents and Monitoring |
//! | event `alert` | Monitoring |
//! | anything else (no event, `custom`; info/success/warning) | Monitoring |
//!
//! Rules add up: a critical deployment goes to Deployments, Incidents and
//! Monitoring. `--channel` on the command line replaces the routing.

use serde::{Deserialize, Serialize};

use super::{Event, Message, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// Where a message goes: one webhook (or bot channel) per route.
pub enum Route {
    /// #deployments: releases and deployments.
    Deployments,
    /// #incidents: critical news and production deploy failures.
    Incidents,
    /// #monitoring: everything else.
    Monitoring,
}

impl Route {
    /// Every route, in display order.
    pub const ALL: [Route; 3] = [Route::Deployments, Route::Incidents, Route::Monitoring];

    /// The lowercase name (`deployments`, `incidents`, `monitoring`).
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Deployments => "deployments",
            Route::Incidents => "incidents",
            Route::Monitoring => "monitoring",
        }
    }

    /// The suffix of the per-route variables (`SLACK_WEBHOOK_URL_DEPLOYMENTS`).
    pub fn env_suffix(self) -> &'static str {
        match self {
            Route::Deployments => "DEPLOYMENTS",
            Route::Incidents => "INCIDENTS",
            Route::Monitoring => "MONITORING",
        }
    }

    /// The default Slack channel name.
    pub fn default_channel(self) -> &'static str {
        match self {
            Route::Deployments => "#deployments",
            Route::Incidents => "#incidents",
            Route::Monitoring => "#monitoring",
        }
    }

    /// `deployments`, `#deployments`, `Deployments` → the route.
    pub fn parse(s: &str) -> Option<Route> {
        let s = s.trim().trim_start_matches('#').to_ascii_lowercase();
        Route::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The routes of a message, in a stable order, without repeats.
pub fn route(msg: &Message) -> Vec<Route> {
    let mut routes = Vec::new();
    if matches!(msg.event, Some(Event::Deployment | Event::Release)) {
        routes.push(Route::Deployments);
    }
    if msg.severity == Severity::Critical || msg.event == Some(Event::Incident) {
        routes.push(Route::Incidents);
        routes.push(Route::Monitoring);
    }
    if msg.event == Some(Event::Alert) {
        routes.push(Route::Monitoring);
    }
    if routes.is_empty() {
        routes.push(Route::Monitoring);
    }
    routes.sort();
    routes.dedup();
    routes
}

#[cfg(test)]
mod tests {
    use super::*;
    use Route::*;

    #[test]
    fn routing_table() {
        let cases: &[(Option<Event>, Severity, &[Route])] = &[
            (None, Severity::Info, &[Monitoring]),
            (None, Severity::Warning, &[Monitoring]),
            (None, Severity::Critical, &[Incidents, Monitoring]),
            (Some(Event::Deployment), Severity::Info, &[Deployments]),
            (Some(Event::Deployment), Severity::Success, &[Deployments]),
            (Some(Event::Release), Severity::Info, &[Deployments]),
            (
                Some(Event::Deployment),
                Severity::Critical,
                &[Deployments, Incidents, Monitoring],
            ),
            (Some(Event::Alert), Severity::Warning, &[Monitoring]),
            (
                Some(Event::Alert),
                Severity::Critical,
                &[Incidents, Monitoring],
            ),
            (
                Some(Event::Incident),
                Severity::Info,
                &[Incidents, Monitoring],
            ),
            (Some(Event::Custom), Severity::Info, &[Monitoring]),
            (
                Some(Event::Custom),
                Severity::Critical,
                &[Incidents, Monitoring],
            ),
        ];
        for (event, severity, want) in cases {
            let msg = Message {
                event: *event,
                severity: *severity,
                ..Message::new("t")
            };
            assert_eq!(route(&msg), *want, "{event:?} {severity:?}");
        }
    }

    #[test]
    fn route_names_parse() {
        assert_eq!(Route::parse("#Deployments"), Some(Deployments));
        assert_eq!(Route::parse("incidents"), Some(Incidents));
        assert_eq!(Route::parse("#random"), None);
    }
}

/// How to find a sent message again, for an update or a thread reply.
/// Serializable so that it can ride in a GitHub deployment payload; it
/// never holds a secret (webhook URLs are resolved again by route).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageRef {
    /// Posted with the Slack bot token.
    SlackBot {
        /// The channel id Slack returned.
        channel: String,
        /// The message's `ts`.
        ts: String,
    },
    /// Posted through a Slack incoming webhook: cannot be updated.
    SlackWebhook {
        /// The route whose webhook it went through.
        route: Route,
    },
    /// Posted through the route's Discord webhook.
    Discord {
        /// The route whose webhook it went through.
        route: Route,
        /// Discord's message id.
        message_id: String,
    },
}

impl MessageRef {
    /// Whether the message can be edited in place (Slack bot, Discord);
    /// incoming-webhook messages cannot.
    pub fn is_updatable(&self) -> bool {
        !matches!(self, MessageRef::SlackWebhook { .. })
    }
}
