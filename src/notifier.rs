//! The delivery layer: turns a [`Message`] into one request per distinct
//! destination (Slack bot channel, Slack incoming webhook, Discord webhook),
//! sends them concurrently, and reports each outcome as a [`Delivery`]. It
//! never fails the caller: failures come back as data, and
//! [`report_failures`] turns them into warnings (or an error under
//! `--strict`).
//!
//! Configuration (flags win over the environment; blank counts as unset):
//! - `SLACK_BOT_TOKEN` (+ `SLACK_API_URL`, default `https://slack.com/api`):
//!   posts with `chat.postMessage` to the route's channel,
//!   `OBSCTL_SLACK_CHANNEL_DEPLOYMENTS|_INCIDENTS|_MONITORING` (default
//!   `#deployments`, `#incidents`, `#monitoring`); messages can be updated
//!   and replied to in a thread. When set, Slack webhooks are not used.
//! - `SLACK_WEBHOOK_URL_<ROUTE>`, else `SLACK_WEBHOOK_URL`: incoming
//!   webhooks (cannot be updated later).
//! - `DISCORD_WEBHOOK_URL_<ROUTE>`, else `DISCORD_WEBHOOK_URL`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use reqwest::Url;
use serde::Serialize;
use serde_json::Value;

use crate::context::{Context, ProviderState};
use crate::http::{Http, Provider};
use crate::message::{Message, Route, discord_payload, slack_payload};
use crate::providers::{discord, slack};
use crate::ui::Ui;

pub use crate::message::MessageRef;

/// The outcome for one destination.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// Which destination, in words, without secrets: `Slack #deployments`,
    /// `Slack webhook SLACK_WEBHOOK_URL_INCIDENTS`, `Discord webhook
    /// DISCORD_WEBHOOK_URL`.
    pub target: String,
    pub provider: Provider,
    /// The routes that resolved to this destination.
    pub routes: Vec<Route>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<MessageRef>,
    /// Not attempted on purpose (`--no-slack`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl Delivery {
    /// The outcome of one attempt; errors are redacted.
    fn from_result(
        target: String,
        provider: Provider,
        routes: Vec<Route>,
        result: Result<MessageRef>,
        redactor: &crate::redact::Redactor,
    ) -> Self {
        match result {
            Ok(reference) => Delivery {
                target,
                provider,
                routes,
                ok: true,
                error: None,
                reference: Some(reference),
                skipped: false,
            },
            Err(e) => Self::failed(target, provider, routes, redactor.redact(&format!("{e:#}"))),
        }
    }

    fn failed(target: String, provider: Provider, routes: Vec<Route>, error: String) -> Self {
        Delivery {
            target,
            provider,
            routes,
            ok: false,
            error: Some(error),
            reference: None,
            skipped: false,
        }
    }

    fn skipped(target: &str, provider: Provider) -> Self {
        Delivery {
            target: target.to_string(),
            provider,
            routes: Vec::new(),
            ok: true,
            error: None,
            reference: None,
            skipped: true,
        }
    }

    /// The id to show: Slack `ts`, Discord message id.
    pub fn id(&self) -> Option<&str> {
        match self.reference.as_ref()? {
            MessageRef::SlackBot { ts, .. } => Some(ts),
            MessageRef::Discord { message_id, .. } => Some(message_id),
            MessageRef::SlackWebhook { .. } => None,
        }
    }
}

/// What to send: a message (built for each target), and/or prepared
/// payloads from a `--payload` file that take its place per provider.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    pub message: Option<Message>,
    /// A finished Slack payload (no `channel`: it is set per destination).
    pub slack: Option<Value>,
    /// A finished Discord payload.
    pub discord: Option<Value>,
    /// Post as a reply in this Slack thread.
    pub thread_ts: Option<String>,
}

impl Outgoing {
    pub fn message(msg: &Message) -> Self {
        Self {
            message: Some(msg.clone()),
            ..Self::default()
        }
    }

    fn slack_body(&self, channel: Option<&str>) -> Option<Value> {
        let mut body = match (&self.slack, &self.message) {
            (Some(p), _) => {
                let mut p = p.clone();
                if let Some(o) = p.as_object_mut() {
                    o.remove("channel");
                    if let Some(c) = channel {
                        o.insert("channel".into(), Value::String(c.to_string()));
                    }
                }
                p
            }
            (None, Some(m)) => slack_payload(m, channel),
            (None, None) => return None,
        };
        if let Some(ts) = &self.thread_ts {
            body["thread_ts"] = Value::String(ts.clone());
        }
        Some(body)
    }

    fn discord_body(&self) -> Option<Value> {
        match (&self.discord, &self.message) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(m)) => Some(discord_payload(m)),
            (None, None) => None,
        }
    }
}

#[derive(Clone, Debug)]
enum Dest {
    SlackBot { channel: String },
    SlackWebhook { url: Url, var: String },
    Discord { url: Url, var: String },
}

impl Dest {
    /// Two destinations with the same key get one message.
    fn key(&self) -> String {
        match self {
            Dest::SlackBot { channel } => {
                format!(
                    "slack-bot:{}",
                    channel.trim_start_matches('#').to_lowercase()
                )
            }
            Dest::SlackWebhook { url, .. } => format!("slack-hook:{url}"),
            Dest::Discord { url, .. } => format!("discord:{url}"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Dest::SlackBot { channel } => format!("Slack {channel}"),
            Dest::SlackWebhook { var, .. } => format!("Slack webhook {var}"),
            Dest::Discord { var, .. } => format!("Discord webhook {var}"),
        }
    }

    fn provider(&self) -> Provider {
        match self {
            Dest::Discord { .. } => Provider::Discord,
            _ => Provider::Slack,
        }
    }
}

struct Planned {
    dest: Dest,
    routes: Vec<Route>,
}

/// Slack and Discord destinations, resolved once from the context.
pub struct Notifier {
    http: Http,
    ui: Arc<Ui>,
    disabled: bool,
    bot: Option<slack::SlackBot>,
    channels: BTreeMap<Route, String>,
    slack_hooks: BTreeMap<Route, (Url, String)>,
    discord_hooks: BTreeMap<Route, (Url, String)>,
    webhook_notice_given: Arc<AtomicBool>,
}

impl Notifier {
    /// Read the configuration. A malformed URL is a usage error naming its
    /// variable; nothing configured gives an empty notifier and one notice.
    pub fn from_context(ctx: &Context) -> Result<Notifier> {
        let mut n = Notifier {
            http: ctx.http.clone(),
            ui: ctx.ui.clone(),
            disabled: ctx.slack_disabled(),
            bot: None,
            channels: BTreeMap::new(),
            slack_hooks: BTreeMap::new(),
            discord_hooks: BTreeMap::new(),
            webhook_notice_given: Arc::default(),
        };
        if n.disabled {
            return Ok(n);
        }
        n.channels = ctx.slack_channels.clone();
        if let ProviderState::Ready(cfg) = ctx.slack_state()? {
            if let Some((token, api)) = &cfg.bot {
                n.bot = Some(slack::SlackBot::new(
                    ctx.http.clone(),
                    token.clone(),
                    api.clone(),
                ));
            }
            n.slack_hooks = cfg.webhooks.clone();
        }
        if let ProviderState::Ready(cfg) = ctx.discord_state()? {
            n.discord_hooks = cfg.webhooks.clone();
        }
        if n.is_empty() {
            ctx.ui.notice(
                "Slack and Discord skipped: none of SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL(_<ROUTE>), \
                 DISCORD_WEBHOOK_URL(_<ROUTE>) is set",
            );
        } else if n.bot.is_some() && !n.slack_hooks.is_empty() {
            ctx.ui
                .verbose("Slack: SLACK_BOT_TOKEN is set, so Slack incoming webhooks are not used");
        }
        Ok(n)
    }

    /// No destination at all (nothing configured, or `--no-slack`).
    pub fn is_empty(&self) -> bool {
        self.disabled
            || (self.bot.is_none() && self.slack_hooks.is_empty() && self.discord_hooks.is_empty())
    }

    pub fn has_slack_bot(&self) -> bool {
        !self.disabled && self.bot.is_some()
    }

    /// The Slack channel a route posts to with the bot token.
    pub fn channel(&self, route: Route) -> Option<&str> {
        self.channels.get(&route).map(String::as_str)
    }

    /// The route whose configured channel is `name` (`#deploys`), if any.
    pub fn route_of_channel(&self, name: &str) -> Option<Route> {
        let norm = |s: &str| s.trim().trim_start_matches('#').to_lowercase();
        self.channels
            .iter()
            .find(|(_, c)| norm(c) == norm(name))
            .map(|(r, _)| *r)
    }

    fn slack_dest(&self, route: Route) -> Option<Dest> {
        if self.bot.is_some() {
            let channel = self.channels.get(&route)?.clone();
            return Some(Dest::SlackBot { channel });
        }
        self.slack_hooks
            .get(&route)
            .map(|(url, var)| Dest::SlackWebhook {
                url: url.clone(),
                var: var.clone(),
            })
    }

    fn discord_dest(&self, route: Route) -> Option<Dest> {
        self.discord_hooks
            .get(&route)
            .map(|(url, var)| Dest::Discord {
                url: url.clone(),
                var: var.clone(),
            })
    }

    /// One entry per distinct destination, routes merged.
    fn plan(&self, routes: &[Route]) -> Vec<Planned> {
        let mut out: Vec<Planned> = Vec::new();
        if self.is_empty() {
            return out;
        }
        for &route in routes {
            let dests: Vec<Dest> = [self.slack_dest(route), self.discord_dest(route)]
                .into_iter()
                .flatten()
                .collect();
            if dests.is_empty() {
                self.ui.notice(&format!(
                    "no Slack or Discord destination for the {route} route: set \
                     SLACK_WEBHOOK_URL_{s} or SLACK_WEBHOOK_URL, DISCORD_WEBHOOK_URL_{s} or \
                     DISCORD_WEBHOOK_URL, or SLACK_BOT_TOKEN",
                    s = route.env_suffix()
                ));
            }
            for dest in dests {
                match out.iter_mut().find(|p| p.dest.key() == dest.key()) {
                    Some(p) => {
                        if !p.routes.contains(&route) {
                            p.routes.push(route);
                        }
                    }
                    None => out.push(Planned {
                        dest,
                        routes: vec![route],
                    }),
                }
            }
        }
        out
    }

    /// Send `msg` once to each distinct destination of `routes`,
    /// concurrently. Never fails: see each [`Delivery`].
    pub async fn send(&self, msg: &Message, routes: &[Route]) -> Vec<Delivery> {
        let mut msg = msg.clone();
        msg.timestamp.get_or_insert_with(chrono::Utc::now);
        self.send_outgoing(&Outgoing::message(&msg), routes).await
    }

    /// Like [`Notifier::send`], for prepared payloads and thread replies.
    pub async fn send_outgoing(&self, out: &Outgoing, routes: &[Route]) -> Vec<Delivery> {
        let planned = self.plan(routes);
        self.run(out, planned).await
    }

    /// Post to one Slack channel by name or id, with the bot token
    /// (`--channel #somewhere` that is not a route's channel).
    pub async fn send_to_channel(&self, out: &Outgoing, channel: &str) -> Vec<Delivery> {
        if self.disabled {
            return vec![Delivery::skipped(
                &format!("Slack {channel}"),
                Provider::Slack,
            )];
        }
        if self.bot.is_none() {
            return vec![Delivery::failed(
                format!("Slack {channel}"),
                Provider::Slack,
                Vec::new(),
                format!(
                    "Slack: posting to {channel} needs SLACK_BOT_TOKEN (incoming webhooks post to \
                     the fixed channel they were made for); or pass a route name to --channel \
                     (deployments, incidents, monitoring)"
                ),
            )];
        }
        let planned = vec![Planned {
            dest: Dest::SlackBot {
                channel: channel.to_string(),
            },
            routes: Vec::new(),
        }];
        self.run(out, planned).await
    }

    async fn run(&self, out: &Outgoing, planned: Vec<Planned>) -> Vec<Delivery> {
        let mut set = tokio::task::JoinSet::new();
        let mut results: Vec<Option<Delivery>> = Vec::new();
        let mut meta: Vec<(String, Provider, Vec<Route>)> = Vec::new();
        for (i, p) in planned.into_iter().enumerate() {
            let target = p.dest.describe();
            let provider = p.dest.provider();
            results.push(None);
            meta.push((target.clone(), provider, p.routes.clone()));
            let body = match &p.dest {
                Dest::SlackBot { channel } => out.slack_body(Some(channel)),
                Dest::SlackWebhook { .. } => out.slack_body(None),
                Dest::Discord { .. } => out.discord_body(),
            };
            let Some(body) = body else {
                self.ui.notice(&format!(
                    "{target}: skipped: the payload file has no {provider} payload and no --title was given"
                ));
                results[i] = Some(Delivery::skipped(&target, provider));
                continue;
            };
            if matches!(p.dest, Dest::SlackWebhook { .. })
                && !self.webhook_notice_given.swap(true, Ordering::Relaxed)
            {
                self.ui.notice(
                    "Slack: messages sent through incoming webhooks cannot be updated later; set \
                     SLACK_BOT_TOKEN (chat:write) to update messages in place",
                );
            }
            if out.thread_ts.is_some() && matches!(p.dest, Dest::Discord { .. }) {
                self.ui
                    .verbose("Discord: --thread applies to Slack only; posting a new message");
            }
            let http = self.http.clone();
            let bot = self.bot.clone();
            let route = p.routes.first().copied().unwrap_or(Route::Monitoring);
            let dest = p.dest.clone();
            set.spawn(async move {
                let outcome = deliver(&http, bot.as_ref(), &dest, route, &body).await;
                (i, outcome)
            });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, outcome)) => {
                    let (target, provider, routes) = meta[i].clone();
                    results[i] = Some(Delivery::from_result(
                        target,
                        provider,
                        routes,
                        outcome,
                        &self.ui.redactor,
                    ));
                }
                Err(e) => self.ui.verbose(&format!("a notification task failed: {e}")),
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                d.unwrap_or_else(|| {
                    let (target, provider, routes) = meta[i].clone();
                    Delivery::failed(
                        target,
                        provider,
                        routes,
                        "internal error while sending".into(),
                    )
                })
            })
            .collect()
    }

    /// Update a sent message in place (`chat.update`, Discord PATCH). A
    /// Slack webhook message cannot be updated: a new message is posted, and
    /// a notice says so.
    pub async fn update(&self, r: &MessageRef, msg: &Message) -> Delivery {
        let mut msg = msg.clone();
        msg.timestamp.get_or_insert_with(chrono::Utc::now);
        self.follow_up(r, &msg, false).await
    }

    /// Reply to a sent message: a thread reply with the Slack bot; a new
    /// message elsewhere.
    pub async fn reply(&self, r: &MessageRef, msg: &Message) -> Delivery {
        let mut msg = msg.clone();
        msg.timestamp.get_or_insert_with(chrono::Utc::now);
        self.follow_up(r, &msg, true).await
    }

    async fn follow_up(&self, r: &MessageRef, msg: &Message, reply: bool) -> Delivery {
        let (target, provider, routes) = self.follow_up_target(r);
        if self.disabled {
            return Delivery::skipped(&target, provider);
        }
        let result = match r {
            MessageRef::SlackBot { channel, ts } => {
                self.slack_bot_follow_up(channel, ts, msg, reply).await
            }
            MessageRef::SlackWebhook { route } => {
                self.slack_webhook_follow_up(*route, msg, reply).await
            }
            MessageRef::Discord { route, message_id } => {
                self.discord_follow_up(*route, message_id, msg, reply).await
            }
        };
        Delivery::from_result(target, provider, routes, result, &self.ui.redactor)
    }

    /// Where a follow-up goes, in words without secrets.
    fn follow_up_target(&self, r: &MessageRef) -> (String, Provider, Vec<Route>) {
        match r {
            MessageRef::SlackBot { channel, .. } => {
                (format!("Slack {channel}"), Provider::Slack, Vec::new())
            }
            MessageRef::SlackWebhook { route } => (
                self.slack_hooks
                    .get(route)
                    .map(|(_, var)| format!("Slack webhook {var}"))
                    .unwrap_or_else(|| format!("Slack webhook ({route})")),
                Provider::Slack,
                vec![*route],
            ),
            MessageRef::Discord { route, .. } => (
                self.discord_hooks
                    .get(route)
                    .map(|(_, var)| format!("Discord webhook {var}"))
                    .unwrap_or_else(|| format!("Discord webhook ({route})")),
                Provider::Discord,
                vec![*route],
            ),
        }
    }

    /// `chat.update`, or a thread reply (`thread_ts`), with the bot token.
    async fn slack_bot_follow_up(
        &self,
        channel: &str,
        ts: &str,
        msg: &Message,
        reply: bool,
    ) -> Result<MessageRef> {
        let bot = self.bot.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "Slack: cannot {} the message in {channel}: SLACK_BOT_TOKEN is not set",
                if reply { "reply to" } else { "update" }
            )
        })?;
        let mut body = slack_payload(msg, Some(channel));
        let posted = if reply {
            body["thread_ts"] = Value::String(ts.to_string());
            bot.post_message(&body, channel).await?
        } else {
            body["ts"] = Value::String(ts.to_string());
            bot.update_message(&body).await?
        };
        Ok(MessageRef::SlackBot {
            channel: posted.channel,
            ts: posted.ts,
        })
    }

    /// A webhook message cannot be edited: a new message (with a notice
    /// when an update was meant).
    async fn slack_webhook_follow_up(
        &self,
        route: Route,
        msg: &Message,
        reply: bool,
    ) -> Result<MessageRef> {
        let (url, var) = self.slack_hooks.get(&route).ok_or_else(|| {
            anyhow::anyhow!(
                "Slack: no webhook for the {route} route any more (SLACK_WEBHOOK_URL_{} or SLACK_WEBHOOK_URL)",
                route.env_suffix()
            )
        })?;
        if !reply {
            self.ui.notice(&format!(
                "Slack: a message sent through the webhook in {var} cannot be updated: \
                 posted a new message instead (set SLACK_BOT_TOKEN to update in place)"
            ));
        }
        slack::post_webhook(&self.http, url, var, &slack_payload(msg, None)).await?;
        Ok(MessageRef::SlackWebhook { route })
    }

    /// Edit the Discord message (PATCH), or post a new one as the reply.
    async fn discord_follow_up(
        &self,
        route: Route,
        message_id: &str,
        msg: &Message,
        reply: bool,
    ) -> Result<MessageRef> {
        let (url, var) = self.discord_hooks.get(&route).ok_or_else(|| {
            anyhow::anyhow!(
                "Discord: no webhook for the {route} route any more (DISCORD_WEBHOOK_URL_{} or DISCORD_WEBHOOK_URL)",
                route.env_suffix()
            )
        })?;
        let body = discord_payload(msg);
        let id = if reply {
            discord::execute(&self.http, url, var, &body).await?
        } else {
            discord::edit(&self.http, url, var, message_id, &body).await?
        };
        Ok(MessageRef::Discord {
            route,
            message_id: id,
        })
    }
}

async fn deliver(
    http: &Http,
    bot: Option<&slack::SlackBot>,
    dest: &Dest,
    route: Route,
    body: &Value,
) -> Result<MessageRef> {
    match dest {
        Dest::SlackBot { channel } => {
            let bot = bot.ok_or_else(|| anyhow::anyhow!("Slack: SLACK_BOT_TOKEN is not set"))?;
            let posted = bot.post_message(body, channel).await?;
            Ok(MessageRef::SlackBot {
                channel: posted.channel,
                ts: posted.ts,
            })
        }
        Dest::SlackWebhook { url, var } => {
            slack::post_webhook(http, url, var, body).await?;
            Ok(MessageRef::SlackWebhook { route })
        }
        Dest::Discord { url, var } => {
            let id = discord::execute(http, url, var, body).await?;
            Ok(MessageRef::Discord {
                route,
                message_id: id,
            })
        }
    }
}

/// Warn about each failed delivery, or fail under `--strict`.
pub fn report_failures(ctx: &Context, deliveries: &[Delivery]) -> Result<()> {
    let failed: Vec<&Delivery> = deliveries.iter().filter(|d| !d.ok).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = failed
        .iter()
        .map(|d| {
            format!(
                "notification to {} failed: {}",
                d.target,
                d.error.as_deref().unwrap_or("unknown error")
            )
        })
        .collect();
    if ctx.strict {
        anyhow::bail!(
            "{} of {} notifications failed (--strict):\n{}",
            failed.len(),
            deliveries.len(),
            lines.join("\n")
        );
    }
    for line in lines {
        ctx.ui.warn(&line);
    }
    Ok(())
}
