//! `obsctl.toml`: the team's services, their alerts and SLOs — the model and
//! its parser. Pure: the caller reads the file (or `--config FILE`) and hands
//! the text here; flags and environment win over what it says, and that
//! merge happens in the CLI crate's one resolution step.
//!
//! Every error names `file:line:column` ([`ConfigError`]); the values that
//! later checks point at ([`Alert::key`], [`Service::name`], …) keep their
//! byte spans ([`toml::Spanned`]) so a semantic error (a duplicate key, an
//! unknown service) is reported at the right place too.
//!
//! ```toml
//! [sentry]
//! org = "acme"
//!
//! [[service]]
//! name = "web"
//! sentry_project = "web"
//! environment = "production"
//! health_url = "https://web.example.com/healthz"
//!
//! [[alert]]
//! key = "web-error-rate"
//! service = "web"
//! kind = "error-rate"
//! threshold = 0.01
//! window = "5m"
//! severity = "critical"
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The default file name, looked up at the repository root.
pub const FILE_NAME: &str = "obsctl.toml";

/// The whole file. Every table is optional: an empty file is a valid config.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[sentry]`: the organization (and, for self-hosted, the URL).
    #[serde(default)]
    pub sentry: SentrySection,
    /// `[slack]`: channel names → IDs for Sentry's Slack actions, and defaults.
    #[serde(default)]
    pub slack: SlackSection,
    /// `[[service]]`: one entry per service, in file order.
    #[serde(default, rename = "service")]
    pub services: Vec<Service>,
    /// `[[alert]]`: Sentry monitors and alerts as code, in file order.
    #[serde(default, rename = "alert")]
    pub alerts: Vec<Alert>,
    /// `[alerts]`: settings shared by every `[[alert]]` (routing per severity).
    #[serde(default, rename = "alerts")]
    pub alert_settings: AlertSettings,
    /// `[notes]`: release-notes groups (like git-cliff's `cliff.toml`).
    #[serde(default)]
    pub notes: Option<toml::Table>,
    /// `[release]`: release-series settings (tag patterns).
    #[serde(default)]
    pub release: ReleaseSection,
    /// `[status]`: the status page's title and defaults.
    #[serde(default)]
    pub status: StatusSection,
}

/// [`Config`] with the parts only the `alerts` commands read (`[[alert]]`,
/// `[alerts]`, `[slack]`) ignored, whatever they hold (see
/// [`Config::parse_lenient`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithoutAlerts {
    #[serde(default)]
    sentry: SentrySection,
    #[serde(default, rename = "slack")]
    _slack: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "service")]
    services: Vec<Service>,
    #[serde(default, rename = "alert")]
    _alerts: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "alerts")]
    _alert_settings: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    notes: Option<toml::Table>,
    #[serde(default)]
    release: ReleaseSection,
    #[serde(default)]
    status: StatusSection,
}

/// `[sentry]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SentrySection {
    /// The organization slug (`SENTRY_ORG` and `--sentry-org` win over it).
    pub org: Option<String>,
    /// The Sentry URL for self-hosted installs (`SENTRY_URL` wins over it).
    pub url: Option<String>,
}

/// `[slack]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SlackSection {
    /// Channel name (with or without `#`) → channel ID (`C…`), for when the
    /// bot token cannot list channels (the value keeps its span for `alerts lint`).
    #[serde(default)]
    pub channel_ids: BTreeMap<String, Spanned<String>>,
}

/// `[release]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSection {
    /// Tag patterns of the release series (`v*`; `!*-rc*` excludes). Flags win.
    #[serde(default)]
    pub tag_patterns: Vec<String>,
}

/// `[status]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StatusSection {
    /// The status page's title.
    pub title: Option<String>,
}

/// `[alerts]`: routing shared by every alert.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Severity → Slack channels; defaults: critical → `#incidents` and
    /// `#monitoring`, warning → `#monitoring`. Keys are severities (checked
    /// by `alerts lint` at the value's span).
    #[serde(default)]
    pub channels: BTreeMap<String, Spanned<Vec<String>>>,
    /// Minutes between two notifications of the same issue (Sentry's
    /// workflow `frequency`; default 30, Sentry's own default).
    pub frequency_minutes: Option<Spanned<i64>>,
}

/// `[[service]]`: one deployable service.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// The key in reports and on the status page; unique in the file.
    pub name: Spanned<String>,
    /// The Sentry project slug (default: the service name).
    pub sentry_project: Option<String>,
    /// The deploy environment watched (default: `production`).
    pub environment: Option<String>,
    /// The health check URL (`status check`, `uptime` alerts).
    pub health_url: Option<Spanned<String>>,
    /// HTTP method of the health check (default `GET`).
    pub method: Option<String>,
    /// Expected HTTP status codes of the health check (default: any 2xx).
    #[serde(default)]
    pub expected_status: Vec<u16>,
    /// Slower than this (but the expected status) is *degraded*; default 1,000 ms.
    pub max_latency_ms: Option<u64>,
    /// Health check request headers: header name → the name of the
    /// environment variable that holds its value (never the value itself).
    #[serde(default)]
    pub headers_from_env: BTreeMap<String, String>,
    /// A critical service going down is also announced in #incidents.
    #[serde(default)]
    pub critical: bool,
    /// `[service.slo]`: thresholds of `deploy verify`.
    #[serde(default)]
    pub slo: Option<Slo>,
}

impl Service {
    /// The Sentry project slug: `sentry_project`, else the service name.
    pub fn project(&self) -> &str {
        self.sentry_project
            .as_deref()
            .unwrap_or_else(|| self.name.get_ref().as_str())
    }

    /// The environment watched: `environment`, else `production`.
    pub fn environment(&self) -> &str {
        self.environment.as_deref().unwrap_or("production")
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }
}

/// `[service.slo]`: `deploy verify` thresholds; each unset one takes the
/// epic's default (documented in `docs/deploy-verify.md`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// Highest acceptable failure rate, a ratio 0–1 (default 0.01).
    pub error_rate_max: Option<f64>,
    /// Highest acceptable relative increase of the failure rate over the baseline, a ratio (default 0.5 = +50 %).
    pub error_rate_increase_max: Option<f64>,
    /// Highest acceptable p95 latency in ms (default 1,000).
    pub p95_ms_max: Option<f64>,
    /// Highest acceptable relative increase of p95 over the baseline, a ratio (default 0.2 = +20 %).
    pub p95_increase_max: Option<f64>,
    /// Lowest acceptable candidate throughput as a share of the baseline's (default 0.1).
    pub throughput_min_ratio: Option<f64>,
    /// Largest acceptable drop of crash-free sessions, in percentage points (default 0.5).
    pub crash_free_drop_max_pp: Option<f64>,
    /// Fewer transactions than this in either window is inconclusive (default 100).
    pub min_transactions: Option<u64>,
}

/// `[[alert]]`: one Sentry monitor and its alert, managed by obsctl.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    /// Stable identity (the marker `obsctl:key=<key>`); renaming is a delete + create.
    pub key: Spanned<String>,
    /// The `[[service]]` it watches.
    pub service: Spanned<String>,
    /// `error-rate | p95-latency | zero-traffic | uptime | error-spike`.
    pub kind: Spanned<String>,
    /// Units by kind: error-rate a ratio 0–1; p95-latency ms; zero-traffic
    /// events per window; error-spike percent increase; uptime: unused.
    pub threshold: Option<Spanned<f64>>,
    /// The value at which the monitor resolves (hysteresis); default: the threshold.
    pub resolve_threshold: Option<Spanned<f64>>,
    /// Sentry's windows only: 1m 5m 10m 15m 30m 1h 2h 4h 1d (uptime: 1m 5m 10m 20m 30m 1h).
    pub window: Spanned<String>,
    /// `critical` (priority high, #incidents + #monitoring) or `warning` (medium, #monitoring).
    pub severity: Spanned<String>,
    /// Channels overriding the severity's routing.
    #[serde(default)]
    pub channels: Option<Spanned<Vec<String>>>,
    /// `false` keeps the monitor but disables it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `uptime` only: the check's timeout in ms (default 5,000; 1,000–30,000).
    pub timeout_ms: Option<Spanned<i64>>,
}

fn yes() -> bool {
    true
}

/// A TOML syntax or type error of `source` (the text of `file`), at its place.
fn syntax_error(file: &str, source: &str, e: &toml::de::Error) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        problems: vec![Problem {
            position: e.span().map(|s| Position::at(source, s.start)),
            message: e.message().trim().to_string(),
        }],
    }
}

/// A position in the file: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Position {
    /// The position of byte offset `offset` in `source` (clamped to its end).
    pub fn at(source: &str, offset: usize) -> Self {
        let offset = offset.min(source.len());
        let before = &source[..floor_char_boundary(source, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Self { line, column }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem in the file, at a place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where (None when the problem is the file as a whole).
    pub position: Option<Position>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Every problem found in one file. Displays as one `file:line:column: message` line each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
pub struct ConfigError {
    /// The file's path as the user named it.
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.position {
                Some(pos) => write!(
                    f,
                    "{}:{}:{}: {}",
                    self.file, pos.line, pos.column, p.message
                )?,
                None => write!(f, "{}: {}", self.file, p.message)?,
            }
        }
        Ok(())
    }
}

impl ConfigError {
    /// A problem at the start of `span` in `source`.
    pub fn problem_at(
        source: &str,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            position: Some(Position::at(source, span.start)),
            message: message.into(),
        }
    }
}

impl Config {
    /// Parse `source` (the text of `file`) and check it: unique service
    /// names, alerts naming known services, and the alert checks of
    /// [`crate::alerts::lint`] (kinds, windows, units, duplicate keys).
    pub fn parse(file: &str, source: &str) -> Result<Config, ConfigError> {
        let config = Config::parse_syntax(file, source)?;
        let mut problems = config.check(source);
        // The alert checks too (`alerts lint`): the file is checked once,
        // every problem listed, in file order.
        problems.extend(crate::alerts::lint::alert_problems(&config, source));
        problems.sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                file: file.to_string(),
                problems,
            })
        }
    }

    /// Parse `source` (the text of `file`) for a command that does not read
    /// the `[[alert]]`, `[alerts]` and `[slack]` parts: syntax, types and
    /// [`Config::check`] are errors; the alert problems (see
    /// [`crate::alerts::lint::alert_problems`]) are returned beside the
    /// config, in file order, for the caller to warn about.
    ///
    /// An unknown field or a wrong type inside those parts (a deserialization
    /// error, so no config at all) is such a problem too: when the file
    /// parses with them ignored, the config without them is returned and the
    /// original error (at its `line:column`) is the one problem.
    pub fn parse_lenient(file: &str, source: &str) -> Result<(Config, Vec<Problem>), ConfigError> {
        let config = match Config::parse_syntax(file, source) {
            Ok(config) => config,
            Err(strict) => {
                // A problem outside those parts is the error (it is
                // this command's), the original one when both fail alike.
                let rest = toml::from_str::<WithoutAlerts>(source)
                    .map_err(|e| syntax_error(file, source, &e))?;
                let config = Config {
                    sentry: rest.sentry,
                    services: rest.services,
                    notes: rest.notes,
                    release: rest.release,
                    status: rest.status,
                    ..Config::default()
                };
                let problems = config.check(source);
                if !problems.is_empty() {
                    return Err(ConfigError {
                        file: file.to_string(),
                        problems,
                    });
                }
                return Ok((config, strict.problems));
            }
        };
        let problems = config.check(source);
        if !problems.is_empty() {
            return Err(ConfigError {
                file: file.to_string(),
                problems,
            });
        }
        let mut alert_problems = crate::alerts::lint::alert_problems(&config, source);
        alert_problems.sort_by_key(|p| p.position.map(|p| (p.line, p.column)));
        Ok((config, alert_problems))
    }

    /// Parse `source` as TOML into the model, without the cross-checks of
    /// [`Config::check`]. Errors: the syntax or type error at its place.
    pub fn parse_syntax(file: &str, source: &str) -> Result<Config, ConfigError> {
        toml::from_str(source).map_err(|e| syntax_error(file, source, &e))
    }

    /// The checks every command relies on (service names present and
    /// unique), as problems positioned in `source`. The `[[alert]]` checks
    /// (alerts naming known services too) are
    /// [`crate::alerts::lint::alert_problems`].
    pub fn check(&self, source: &str) -> Vec<Problem> {
        let config = self;
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for s in &config.services {
            let name = s.name.get_ref();
            if name.trim().is_empty() {
                problems.push(ConfigError::problem_at(
                    source,
                    s.name.span(),
                    "a service name cannot be blank",
                ));
            } else if !seen.insert(name.as_str()) {
                problems.push(ConfigError::problem_at(
                    source,
                    s.name.span(),
                    format!("service \"{name}\" is defined twice: service names must be unique"),
                ));
            }
        }
        problems
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name.get_ref() == name)
    }

    /// The names of all services, in file order (for "no such service" errors).
    pub fn service_names(&self) -> Vec<&str> {
        self.services.iter().map(|s| s.name()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[sentry]
org = "acme"

[[service]]
name = "web"
sentry_project = "web"
environment = "production"
health_url = "https://web.example.com/healthz"

[[alert]]
key = "web-error-rate"
service = "web"
kind = "error-rate"
threshold = 0.01
window = "5m"
severity = "critical"
"#;

    #[test]
    fn parses_the_documented_example() {
        let c = Config::parse("obsctl.toml", EXAMPLE).unwrap();
        assert_eq!(c.sentry.org.as_deref(), Some("acme"));
        assert_eq!(c.services[0].project(), "web");
        assert_eq!(c.alerts[0].key.get_ref(), "web-error-rate");
        assert!(c.alerts[0].enabled);
    }

    #[test]
    fn empty_file_is_valid() {
        assert_eq!(Config::parse("obsctl.toml", "").unwrap(), Config::default());
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = Config::parse("obsctl.toml", "[sentry]\norg = \n").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("obsctl.toml:2:"), "{text}");
    }

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let e = Config::parse(
            "obsctl.toml",
            "[[service]]\nname = \"web\"\nhealth = \"x\"\n",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("obsctl.toml:3:1:"), "{text}");
        assert!(text.contains("health"), "{text}");
    }

    #[test]
    fn duplicate_service_at_second_occurrence_and_unknown_service() {
        let src = "[[service]]\nname = \"web\"\n[[service]]\nname = \"web\"\n[[alert]]\nkey = \"k\"\nservice = \"api\"\nkind = \"error-rate\"\nthreshold = 0.01\nwindow = \"5m\"\nseverity = \"warning\"\n";
        let e = Config::parse("o.toml", src).unwrap_err();
        assert_eq!(e.problems.len(), 2);
        assert_eq!(e.problems[0].position.unwrap().line, 4);
        assert_eq!(e.problems[1].position.unwrap().line, 7);
        assert!(e.problems[1].message.contains("\"api\""));
    }

    #[test]
    fn lenient_parse_keeps_alert_problems_apart() {
        let src = "[[service]]\nname = \"web\"\n[[alert]]\nkey = \"k\"\nservice = \"api\"\nkind = \"error-rat\"\nthreshold = 0.01\nwindow = \"5m\"\nseverity = \"warning\"\n";
        assert!(Config::parse("o.toml", src).is_err());
        let (config, problems) = Config::parse_lenient("o.toml", src).unwrap();
        assert_eq!(config.services.len(), 1);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].position.unwrap().line, 5);
        assert!(problems[1].message.contains("error-rat"));
        // Service problems stay errors.
        let twice = format!("{src}[[service]]\nname = \"web\"\n");
        let e = Config::parse_lenient("o.toml", &twice).unwrap_err();
        assert_eq!(e.problems.len(), 1);
    }

    #[test]
    fn lenient_parse_keeps_an_unknown_alert_field_apart() {
        let src = "[[service]]\nname = \"web\"\n[[alert]]\nkey = \"k\"\nservice = \"web\"\nkind = \"error-rate\"\ntreshold = 0.01\nwindow = \"5m\"\nseverity = \"warning\"\n[slack]\nchanel_ids = {}\n";
        let strict = Config::parse("o.toml", src).unwrap_err();
        assert_eq!(strict.problems.len(), 1);
        let (config, problems) = Config::parse_lenient("o.toml", src).unwrap();
        assert_eq!(config.services.len(), 1);
        assert!(config.alerts.is_empty());
        assert_eq!(problems, strict.problems);
        assert_eq!(problems[0].position.unwrap().line, 7, "{problems:?}");
        assert!(problems[0].message.contains("treshold"), "{problems:?}");
        // An unknown field elsewhere stays an error, and so does a service problem.
        let bad = format!("{src}[status]\ntitel = \"x\"\n");
        let e = Config::parse_lenient("o.toml", &bad).unwrap_err();
        assert!(e.problems[0].message.contains("titel"), "{e}");
        let twice = format!("{src}[[service]]\nname = \"web\"\n");
        let e = Config::parse_lenient("o.toml", &twice).unwrap_err();
        assert!(e.problems[0].message.contains("defined twice"), "{e}");
    }

    #[test]
    fn position_counts_characters() {
        assert_eq!(Position::at("é\nab", 4), Position { line: 2, column: 2 });
        assert_eq!(Position::at("abc", 99), Position { line: 1, column: 4 });
    }
}
