//! `obsctl notify`: build a message (or take a `--payload` file), route it
//! by event and severity (or `--channel`), send it to every configured Slack
//! and Discord destination, and report where it went.

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::cli::NotifyArgs;
use crate::context::{Context, UsageError, usage};
use crate::message::escape::{Mention, mentions};
use crate::message::payload::{self, Target};
use crate::message::template::{self, Vars};
use crate::message::{Message, Route, is_http_url, route};
use crate::notifier::{Delivery, Notifier, Outgoing, report_failures};

/// The template variables known from the run (CI context, flags, `--var`).
pub fn vars_from_context(ctx: &Context, overrides: &[String]) -> Result<Vars> {
    let mut vars = Vars::new();
    if let Some(tag) = &ctx.ci.tag {
        vars.set("version", tag.clone());
    }
    if let Some(env) = &ctx.default_environment {
        vars.set("environment", env.clone());
    }
    // Outside CI (or where the CI leaves a value out) the local repository
    // fills it, as `deploy start` does: HEAD, `user.name`, the branch. A SHA
    // the repository knows is peeled to its commit (an annotated tag's id).
    let local = crate::git::Git::open(&ctx.repo_path).ok();
    let sha = match &ctx.ci.sha {
        Some(s) => Some(
            local
                .as_ref()
                .and_then(|git| git.resolve(s).ok())
                .unwrap_or_else(|| s.clone()),
        ),
        None => local.as_ref().and_then(|git| git.head_sha().ok()),
    };
    if let Some(sha) = &sha {
        vars.set("sha", sha.clone());
        vars.set("short_sha", crate::text::short_sha(sha));
    }
    let actor = ctx
        .ci
        .actor
        .clone()
        .or_else(|| local.as_ref().and_then(crate::git::Git::user_name));
    if let Some(v) = actor {
        vars.set("actor", v);
    }
    if let Some(v) = &ctx.ci.run_url {
        vars.set("run_url", v.clone());
    }
    let ref_name = ctx
        .ci
        .ref_name
        .clone()
        .or_else(|| local.as_ref().and_then(crate::git::Git::head_branch));
    if let Some(v) = ref_name {
        vars.set("ref", v);
    }
    let repository = match ctx.repository() {
        Ok(Some(r)) => Some(r.to_string()),
        _ => ctx.ci.repository.clone(),
    };
    if let Some(r) = repository {
        vars.set("repository", r);
    }
    for o in overrides {
        let Some((name, value)) = o.split_once('=') else {
            return usage(format!("--var {o:?}: expected NAME=VALUE"));
        };
        let name = name.trim();
        if matches!(name, "title" | "text") || !vars.set(name, value) {
            return usage(format!(
                "--var {name}: not a settable template variable; known: {}",
                template::VARIABLES
                    .iter()
                    .map(|(n, _)| *n)
                    .filter(|n| !matches!(*n, "title" | "text"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if name == "sha" {
            vars.set("short_sha", crate::text::short_sha(value.trim()));
        }
    }
    Ok(vars)
}

fn render(s: &str, vars: &Vars, what: &str) -> Result<String> {
    template::render(s, vars, &|v| v.to_string())
        .map_err(|e| UsageError(format!("{what}: {e}")).into())
}

fn pair<'a>(s: &'a str, flag: &str, form: &str) -> Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => usage(format!("{flag} {s:?}: expected {form}")),
    }
}

fn is_slack_ts(ts: &str) -> bool {
    let mut parts = ts.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

pub async fn run(args: NotifyArgs, ctx: &Context) -> Result<()> {
    let mut vars = vars_from_context(ctx, &args.vars)?;
    if let Some(e) = args.event {
        vars.set("event", crate::message::Event::from(e).as_str());
    }
    if let Some(s) = args.severity {
        vars.set("severity", crate::message::Severity::from(s).as_str());
    }
    let message = build_message(&args, &vars)?;
    let mut outgoing = Outgoing {
        message: message.clone(),
        slack: None,
        discord: None,
        thread_ts: args.thread.as_ref().map(|t| t.trim().to_string()),
    };
    if let Some(path) = &args.payload {
        let (slack, discord) = load_payload(&args, path, &vars, message.as_ref())?;
        outgoing.slack = slack;
        outgoing.discord = discord;
    }
    let deliveries = deliver(&args, ctx, &outgoing).await?;
    print_result(ctx, &deliveries);
    if deliveries.is_empty() && ctx.strict && !ctx.slack_disabled() {
        anyhow::bail!(
            "notify: nothing was sent (--strict): no Slack or Discord destination is configured for this message"
        );
    }
    report_failures(ctx, &deliveries).context("notify")
}

/// The message from the flags, with templates rendered and every value
/// checked (bad input is exit 2 before anything is sent). `None` when only
/// a payload file is sent.
fn build_message(args: &NotifyArgs, vars: &Vars) -> Result<Option<Message>> {
    let vars = vars.clone();
    let title = match &args.title {
        Some(t) if t.trim().is_empty() => return usage("--title must not be empty"),
        Some(t) => Some(render(t, &vars, "--title")?),
        None => None,
    };
    let text = match &args.text {
        Some(t) => render(t, &vars, "--text")?,
        None => String::new(),
    };
    let mut fields = Vec::new();
    for f in &args.fields {
        let (k, v) = pair(f, "--field", "KEY=VALUE")?;
        fields.push((render(k, &vars, "--field")?, render(v, &vars, "--field")?));
    }
    let mut links = Vec::new();
    for l in &args.links {
        let (label, url) = pair(l, "--link", "LABEL=URL")?;
        let url = render(url, &vars, "--link")?;
        if !is_http_url(&url) {
            return usage(format!("--link {label}: {url:?} is not an http(s) URL"));
        }
        links.push((label.to_string(), url));
    }
    for m in &args.mentions {
        if Mention::parse(m).is_none() {
            return usage(format!(
                "--mention {m:?}: expected a Slack user (U…/W…) or group (S…) id, or a Discord \
                 user:ID (or ID) or role:ID"
            ));
        }
    }
    if let Some(ts) = &args.thread {
        if !is_slack_ts(ts.trim()) {
            return usage(format!(
                "--thread {ts:?}: expected a Slack message ts such as 1503435956.000247"
            ));
        }
    }

    Ok(title.map(|title| {
        let mut msg = Message {
            title,
            text: text.clone(),
            severity: args.severity.map(Into::into).unwrap_or_default(),
            event: args.event.map(Into::into),
            fields,
            links,
            mentions: args.mentions.clone(),
            include_emails: args.include_emails,
            ..Message::default()
        };
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
    }))
}

/// `--payload FILE`: the Slack and Discord payloads it holds, with the
/// template variables substituted and escaped for each target.
fn load_payload(
    args: &NotifyArgs,
    path: &std::path::Path,
    vars: &Vars,
    message: Option<&Message>,
) -> Result<(Option<Value>, Option<Value>)> {
    let (mut slack, mut discord) = (None, None);
    let raw = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--payload {}: cannot read it: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&raw)
        .map_err(|e| UsageError(format!("--payload {}: not valid JSON: {e}", path.display())))?;
    let file = payload::parse(value)
        .map_err(|e| UsageError(format!("--payload {}: {e}", path.display())))?;
    let mut pvars = vars.clone();
    if let Some(m) = message {
        pvars.set("title", m.title.clone());
        pvars.set("text", m.text.clone());
    }
    let ids = mentions(&args.mentions);
    let what = format!("--payload {}", path.display());
    if let Some(mut s) = file.slack {
        payload::substitute(&mut s, &pvars, Target::Slack, args.include_emails)
            .map_err(|e| UsageError(format!("{what}: {e}")))?;
        payload::finish_slack(&mut s, message.map(|m| m.title.as_str()));
        slack = Some(s);
    }
    if let Some(mut d) = file.discord {
        payload::substitute(&mut d, &pvars, Target::Discord, args.include_emails)
            .map_err(|e| UsageError(format!("{what}: {e}")))?;
        payload::finish_discord(&mut d, &ids);
        discord = Some(d);
    }
    Ok((slack, discord))
}

/// Send to `--channel`, else to the routes of the message's event and severity.
async fn deliver(args: &NotifyArgs, ctx: &Context, outgoing: &Outgoing) -> Result<Vec<Delivery>> {
    let notifier = Notifier::from_context(ctx)?;
    // Routing looks at event and severity only: a stand-in when the
    // payload file replaces the message.
    let routing_msg = Message {
        severity: args.severity.map(Into::into).unwrap_or_default(),
        event: args.event.map(Into::into),
        ..Message::default()
    };
    Ok(match args.channel.as_deref().map(str::trim) {
        Some(ch) if !ch.is_empty() => {
            match Route::parse(ch).or_else(|| notifier.route_of_channel(ch)) {
                Some(r) => send(&notifier, outgoing, &[r]).await,
                None if notifier.is_empty() => Vec::new(),
                None if !notifier.has_slack_bot() => {
                    return usage(format!(
                        "--channel {ch}: not a route (deployments, incidents, monitoring) and \
                         posting to a Slack channel by name needs SLACK_BOT_TOKEN (incoming \
                         webhooks post to the fixed channel they were made for)"
                    ));
                }
                None => notifier.send_to_channel(outgoing, ch).await,
            }
        }
        Some(_) => return usage("--channel must not be empty"),
        None => send(&notifier, outgoing, &route(&routing_msg)).await,
    })
}

async fn send(notifier: &Notifier, out: &Outgoing, routes: &[Route]) -> Vec<Delivery> {
    let mut out = out.clone();
    if let Some(m) = out.message.as_mut() {
        m.timestamp.get_or_insert_with(chrono::Utc::now);
    }
    notifier.send_outgoing(&out, routes).await
}

fn print_result(ctx: &Context, deliveries: &[Delivery]) {
    if ctx.dry_run {
        let planned = ctx.http.planned();
        let mut text = crate::commands::dry_run_text(&planned);
        if planned.is_empty() {
            text.push_str("\n(none: no Slack or Discord destination is configured)\n");
        }
        ctx.ui.result(
            &text,
            &json!({ "dry_run": true, "requests": planned, "deliveries": deliveries }),
        );
        return;
    }
    let mut text = String::new();
    for d in deliveries {
        let routes = if d.routes.is_empty() {
            String::new()
        } else {
            format!(
                " [{}]",
                d.routes
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let line = if d.skipped {
            format!("skipped  {}{routes}", d.target)
        } else if d.ok {
            match (&d.reference, d.id()) {
                (Some(crate::notifier::MessageRef::SlackBot { channel, ts }), _) => {
                    format!("sent     {}{routes}: channel {channel}, ts {ts}", d.target)
                }
                (_, Some(id)) => format!("sent     {}{routes}: message {id}", d.target),
                _ => format!("sent     {}{routes}", d.target),
            }
        } else {
            format!("failed   {}{routes}", d.target)
        };
        text.push_str(&line);
        text.push('\n');
    }
    if deliveries.is_empty() {
        text.push_str("nothing sent: no Slack or Discord destination is configured\n");
    }
    ctx.ui.result(&text, &json!({ "deliveries": deliveries }));
}
