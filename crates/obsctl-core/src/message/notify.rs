//! The plan of `obsctl notify`: the message built from the flags (templates
//! rendered, every value checked — bad input is a [`UsageError`] before
//! anything is sent), the Slack thread to post in, and the routes the
//! message's event and severity select. The command adds what needs the
//! configuration (`--channel`, a `--payload` file) and sends.

use super::escape::Mention;
use super::template::{self, Vars};
use super::{Event, Message, Route, Severity, has_credentials, is_http_url, route};
use crate::error::UsageError;

/// `obsctl notify`'s message flags, as given (templates not yet rendered).
#[derive(Clone, Debug, Default)]
pub struct NotifyRequest {
    /// `--title` (no message without one: only a payload file is sent).
    pub title: Option<String>,
    /// `--text`.
    pub text: Option<String>,
    /// `--field KEY=VALUE`, in order.
    pub fields: Vec<String>,
    /// `--link LABEL=URL`, in order (http(s) URLs only).
    pub links: Vec<String>,
    /// `--mention`: Slack `U…`/`W…`/`S…` ids, Discord `user:ID`/`role:ID`.
    pub mentions: Vec<String>,
    /// `--thread TS`: a Slack message ts (`1503435956.000247`).
    pub thread: Option<String>,
    /// `--severity` (default `info`).
    pub severity: Severity,
    /// `--event`.
    pub event: Option<Event>,
    /// `--include-emails`: keep e-mail addresses (redacted otherwise).
    pub include_emails: bool,
}

/// What `obsctl notify` sends, before the configuration picks destinations.
#[derive(Clone, Debug)]
pub struct NotifyPlan {
    /// The built message; `None` when only a `--payload` file is sent.
    pub message: Option<Message>,
    /// Post as a reply in this Slack thread.
    pub thread_ts: Option<String>,
    /// The routes of the message's event and severity (unless `--channel`).
    pub routes: Vec<Route>,
}

impl NotifyPlan {
    /// Render and check the flags with `vars` (the run's template
    /// variables). The message carries a context line (repository • ref •
    /// short SHA • by actor) and a "CI run" link when the run URL is known.
    pub fn new(req: &NotifyRequest, vars: &Vars) -> Result<NotifyPlan, UsageError> {
        let title = match &req.title {
            Some(t) if t.trim().is_empty() => {
                return Err(UsageError("--title must not be empty".into()));
            }
            Some(t) => Some(render(t, vars, "--title")?),
            None => None,
        };
        let text = match &req.text {
            Some(t) => render(t, vars, "--text")?,
            None => String::new(),
        };
        let mut fields = Vec::new();
        for f in &req.fields {
            let (k, v) = pair(f, "--field", "KEY=VALUE")?;
            fields.push((render(k, vars, "--field")?, render(v, vars, "--field")?));
        }
        let mut links = Vec::new();
        for l in &req.links {
            let (label, url) = pair(l, "--link", "LABEL=URL")?;
            let template = url;
            let url = render(url, vars, "--link")?;
            if !is_http_url(&url) {
                // Name the template variables that came out empty (outside
                // CI `{{run_url}}` has no value unless --run-url gives one).
                let empty: Vec<&str> =
                    ["run_url", "actor", "ref", "sha", "short_sha", "repository"]
                        .into_iter()
                        .filter(|v| template.contains(&format!("{{{{{v}}}}}")))
                        .filter(|v| {
                            render(&format!("{{{{{v}}}}}"), vars, "--link")
                                .is_ok_and(|x| x.is_empty())
                        })
                        .collect();
                let hint = match empty.as_slice() {
                    [] => String::new(),
                    names => format!(
                        " ({} {} empty here: outside CI pass it, e.g. --run-url URL)",
                        names
                            .iter()
                            .map(|n| format!("{{{{{n}}}}}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if names.len() == 1 { "is" } else { "are" }
                    ),
                };
                return Err(UsageError(format!(
                    "--link {label}: {url:?} is not an http(s) URL{hint}"
                )));
            }
            if has_credentials(&url) {
                return Err(UsageError(format!(
                    "--link {label}: the URL carries credentials (user:password@) and would be \
                     published in the message; give it without them"
                )));
            }
            links.push((label.to_string(), url));
        }
        check_flags(req)?;
        let routing = Message {
            severity: req.severity,
            event: req.event,
            ..Message::default()
        };
        Ok(NotifyPlan {
            message: title.map(|title| {
                let msg = Message {
                    title,
                    text,
                    severity: req.severity,
                    event: req.event,
                    fields,
                    links,
                    mentions: req.mentions.clone(),
                    include_emails: req.include_emails,
                    ..Message::default()
                };
                with_run_context(msg, vars)
            }),
            thread_ts: req.thread.as_ref().map(|t| t.trim().to_string()),
            routes: route(&routing),
        })
    }
}

/// `--mention` and `--thread`, checked.
fn check_flags(req: &NotifyRequest) -> Result<(), UsageError> {
    for m in &req.mentions {
        if Mention::parse(m).is_none() {
            return Err(UsageError(format!(
                "--mention {m:?}: expected a Slack user (U…/W…) or group (S…) id, or a Discord \
                 user:ID (or ID) or role:ID"
            )));
        }
    }
    if let Some(ts) = &req.thread {
        if !is_slack_ts(ts.trim()) {
            return Err(UsageError(format!(
                "--thread {ts:?}: expected a Slack message ts such as 1503435956.000247"
            )));
        }
    }
    Ok(())
}

/// The context line (repository • ref • short SHA • by actor) and the
/// "CI run" link, from the run's variables.
fn with_run_context(mut msg: Message, vars: &Vars) -> Message {
    let context: Vec<String> = [
        vars.get("repository"),
        vars.get("ref"),
        vars.get("short_sha"),
    ]
    .into_iter()
    .flatten()
    .map(String::from)
    .chain(vars.get("actor").map(|a| format!("by {a}")))
    .collect();
    if !context.is_empty() {
        msg.context.push(context.join(" • "));
    }
    if let Some(run) = vars.get("run_url") {
        if is_http_url(run) && !msg.links.iter().any(|(_, u)| u == run) {
            msg.links.push(("CI run".into(), run.to_string()));
        }
    }
    msg
}

fn render(s: &str, vars: &Vars, what: &str) -> Result<String, UsageError> {
    template::render(s, vars, &|v| v.to_string()).map_err(|e| UsageError(format!("{what}: {e}")))
}

fn pair<'a>(s: &'a str, flag: &str, form: &str) -> Result<(&'a str, &'a str), UsageError> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => Err(UsageError(format!("{flag} {s:?}: expected {form}"))),
    }
}

/// A Slack message ts: digits, a dot, digits.
pub fn is_slack_ts(ts: &str) -> bool {
    let mut parts = ts.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::new();
        v.set("repository", "acme/web");
        v.set("ref", "feature/login");
        v.set("short_sha", "abc1234");
        v.set("actor", "octocat");
        v.set("run_url", "https://ci.example/run/1");
        v.set("version", "v1.2.0");
        v
    }

    fn req(title: &str) -> NotifyRequest {
        NotifyRequest {
            title: Some(title.into()),
            ..NotifyRequest::default()
        }
    }

    #[test]
    fn renders_the_message_with_the_runs_context() {
        let mut r = req("Deployed {{version}}");
        r.text = Some("on {{ref}}".into());
        r.fields = vec!["Env = prod".into()];
        r.links = vec!["Docs=https://docs.example/{{version}}".into()];
        r.event = Some(Event::Deployment);
        let p = NotifyPlan::new(&r, &vars()).unwrap();
        let m = p.message.unwrap();
        assert_eq!(m.title, "Deployed v1.2.0");
        assert_eq!(m.text, "on feature/login");
        assert_eq!(m.fields, vec![("Env".to_string(), "prod".to_string())]);
        assert_eq!(m.links[0].1, "https://docs.example/v1.2.0");
        assert_eq!(m.links[1].0, "CI run");
        assert_eq!(
            m.context,
            vec!["acme/web • feature/login • abc1234 • by octocat".to_string()]
        );
        assert_eq!(p.routes, vec![Route::Deployments]);
    }

    #[test]
    fn a_link_whose_variable_is_empty_says_which_and_how_to_set_it() {
        let mut v = vars();
        v.set("run_url", "");
        let mut r = req("t");
        r.links = vec!["Run={{run_url}}".into()];
        let e = NotifyPlan::new(&r, &v).unwrap_err().0;
        assert!(e.contains("{{run_url}} is empty here"), "{e}");
        assert!(e.contains("--run-url"), "{e}");
        r.links = vec!["Run=ftp://x".into()];
        let e = NotifyPlan::new(&r, &v).unwrap_err().0;
        assert!(!e.contains("empty here"), "{e}");
    }

    #[test]
    fn without_a_title_only_a_payload_is_sent() {
        let p = NotifyPlan::new(&NotifyRequest::default(), &vars()).unwrap();
        assert!(p.message.is_none());
        assert_eq!(p.routes, vec![Route::Monitoring]);
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        let mut bad = vec![req(" ")];
        let mut r = req("t");
        r.fields = vec!["=v".into()];
        bad.push(r);
        let mut r = req("t");
        r.links = vec!["x=ftp://a".into()];
        bad.push(r);
        let mut r = req("t");
        r.mentions = vec!["@here".into()];
        bad.push(r);
        let mut r = req("t");
        r.thread = Some("yesterday".into());
        bad.push(r);
        bad.push(req("{{nope}}"));
        for r in bad {
            assert!(NotifyPlan::new(&r, &vars()).is_err(), "{r:?}");
        }
        let mut r = req("t");
        r.thread = Some(" 1503435956.000247 ".into());
        let p = NotifyPlan::new(&r, &vars()).unwrap();
        assert_eq!(p.thread_ts.as_deref(), Some("1503435956.000247"));
    }

    #[test]
    fn critical_goes_to_incidents_and_monitoring() {
        let mut r = req("t");
        r.severity = Severity::Critical;
        let p = NotifyPlan::new(&r, &vars()).unwrap();
        assert!(p.routes.contains(&Route::Incidents), "{:?}", p.routes);
    }
}
