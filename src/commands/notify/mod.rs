//! `obsctl notify`: build a message (or take a `--payload` file), route it
//! by event and severity (or `--channel`), send it to every configured Slack
//! and Discord destination, and report where it went.
//!
//! Resolved options (the run's template variables) → the core's
//! [`NotifyPlan`] (message, thread, routes; unit-tested) → execute.

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::cli::NotifyArgs;
use crate::context::{Context, UsageError, usage};
use crate::message::escape::mentions;
use crate::message::notify::{NotifyPlan, NotifyRequest};
use crate::message::payload::{self, Target};
use crate::message::template::{self, Vars};
use crate::message::{Message, Route};
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

pub async fn run(args: NotifyArgs, ctx: &Context) -> Result<()> {
    let mut vars = vars_from_context(ctx, &args.vars)?;
    if let Some(e) = args.event {
        vars.set("event", crate::message::Event::from(e).as_str());
    }
    if let Some(s) = args.severity {
        vars.set("severity", crate::message::Severity::from(s).as_str());
    }
    let plan = NotifyPlan::new(&request(&args), &vars)?;
    let mut outgoing = Outgoing {
        message: plan.message.clone(),
        slack: None,
        discord: None,
        thread_ts: plan.thread_ts.clone(),
    };
    if let Some(path) = &args.payload {
        let (slack, discord) = load_payload(&args, path, &vars, plan.message.as_ref())?;
        outgoing.slack = slack;
        outgoing.discord = discord;
    }
    let deliveries = deliver(&args, ctx, &outgoing, &plan.routes).await?;
    print_result(ctx, &deliveries);
    if deliveries.is_empty() && ctx.strict && !ctx.slack_disabled() {
        anyhow::bail!(
            "notify: nothing was sent (--strict): no Slack or Discord destination is configured for this message"
        );
    }
    report_failures(ctx, &deliveries).context("notify")
}

/// The message flags, as the core's plan takes them.
fn request(args: &NotifyArgs) -> NotifyRequest {
    NotifyRequest {
        title: args.title.clone(),
        text: args.text.clone(),
        fields: args.fields.clone(),
        links: args.links.clone(),
        mentions: args.mentions.clone(),
        thread: args.thread.clone(),
        severity: args.severity.map(Into::into).unwrap_or_default(),
        event: args.event.map(Into::into),
        include_emails: args.include_emails,
    }
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

/// Send to `--channel`, else to `routes` (the message's event and severity).
async fn deliver(
    args: &NotifyArgs,
    ctx: &Context,
    outgoing: &Outgoing,
    routes: &[Route],
) -> Result<Vec<Delivery>> {
    let notifier = Notifier::from_context(ctx)?;
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
        None => send(&notifier, outgoing, routes).await,
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
