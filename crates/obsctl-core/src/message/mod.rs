//! The messaging model and its pure builders (no I/O): what `notify`,
//! `release create` and `deploy start|finish` say, routed by event and
//! severity, rendered as a Slack Block Kit payload or a Discord webhook
//! payload.
//!
//! Untrusted text (titles, commit messages, branch names, field values)
//! stays raw in [`Message`]; the builders redact token-looking strings, hide
//! e-mail addresses (unless [`Message::include_emails`]), escape for the
//! target and truncate to the target's limits, in that order. JSON is always
//! built with serde.

pub mod discord;
pub mod escape;
pub mod limits;
pub mod notify;
pub mod payload;
pub mod routing;
pub mod slack;
pub mod template;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use discord::discord_payload;
pub use routing::{MessageRef, Route, route};
pub use slack::slack_payload;

/// How bad (or good) the news is: picks the colour, and `Critical` routes
/// to #incidents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    /// Neutral news (blue).
    Info,
    /// A good outcome (a deployment that succeeded): green.
    Success,
    /// Something needs attention (yellow).
    Warning,
    /// Something is broken (red); also routed to #incidents.
    Critical,
}

impl Severity {
    /// The colour bar (Slack attachment) / embed colour (Discord), 0xRRGGBB.
    pub fn color(self) -> u32 {
        match self {
            Severity::Info => 0x439FE0,
            Severity::Success => 0x2EB67D,
            Severity::Warning => 0xECB22E,
            Severity::Critical => 0xE01E5A,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Success => "success",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What happened; picks the route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// A deployment started or ended.
    Deployment,
    /// A release was created.
    Release,
    /// An alert fired.
    Alert,
    /// An incident was opened or changed.
    Incident,
    /// Anything else.
    Custom,
}

impl Event {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Deployment => "deployment",
            Event::Release => "release",
            Event::Alert => "alert",
            Event::Incident => "incident",
            Event::Custom => "custom",
        }
    }
}

/// One notification, provider-neutral. Every string is raw (unescaped,
/// untruncated): the builders make it safe for each target.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Message {
    /// The headline (Slack header block, Discord embed title).
    pub title: String,
    /// The body (Slack section, Discord embed description); may be empty.
    pub text: String,
    /// Picks the colour and, when critical, the #incidents route.
    pub severity: Severity,
    /// Picks the route; `None` routes like [`Event::Custom`].
    pub event: Option<Event>,
    /// `(name, value)` pairs shown as fields.
    pub fields: Vec<(String, String)>,
    /// `(label, url)`: Slack link buttons, Discord masked links. Only
    /// http(s) URLs are kept.
    pub links: Vec<(String, String)>,
    /// Who to ping, by configured id only: Slack `U…`/`W…` users and
    /// `S…` user groups, Discord `user:ID` (or a bare snowflake) and
    /// `role:ID`. See [`escape::Mention::parse`]. Anything else is dropped.
    pub mentions: Vec<String>,
    /// Small print (Slack context block, Discord footer).
    pub context: Vec<String>,
    /// Overrides the severity colour (0xRRGGBB).
    pub color: Option<u32>,
    /// Where the title links to (Discord embed URL).
    pub url: Option<String>,
    /// When it happened (Discord embed timestamp); the notifier fills in
    /// "now" when unset.
    pub timestamp: Option<DateTime<Utc>>,
    /// Send e-mail addresses found in the text as they are
    /// (`--include-emails`); by default they are hidden.
    pub include_emails: bool,
}

impl Message {
    /// A message with this title and nothing else.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// Set the body.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Set the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Set the event.
    pub fn event(mut self, event: Event) -> Self {
        self.event = Some(event);
        self
    }

    /// Add a `(name, value)` field.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Add a link button (http(s) URLs only are kept).
    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.links.push((label.into(), url.into()));
        self
    }

    /// Add a line of small print.
    pub fn context_line(mut self, line: impl Into<String>) -> Self {
        self.context.push(line.into());
        self
    }

    /// Add a mention by id (see [`Message::mentions`]).
    pub fn mention(mut self, id: impl Into<String>) -> Self {
        self.mentions.push(id.into());
        self
    }

    /// The colour shown, 0xRRGGBB: [`Message::color`] if set, else the severity's.
    pub fn color(&self) -> u32 {
        self.color.unwrap_or_else(|| self.severity.color()) & 0xFF_FFFF
    }
}

/// Whether `url` carries credentials (`user:password@`): a URL obsctl
/// publishes (a link, an environment or status page URL) must not.
pub fn has_credentials(url: &str) -> bool {
    url::Url::parse(url.trim()).is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
}

/// Whether `url` is an absolute http(s) URL with a host.
pub fn is_http_url(url: &str) -> bool {
    url::Url::parse(url.trim())
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}
