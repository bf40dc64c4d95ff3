//! The Slack fake: the Web API (`chat.postMessage`, `chat.update`; errors
//! as HTTP 200 `ok: false`, as Slack does) and incoming webhooks (text
//! answers: `ok`, `no_text`, `invalid_blocks`, `no_service`). Every message
//! is checked against the contracts: the method's request schema, Block Kit
//! (`slack/block-kit-message.json`, also inside attachments), attachment
//! colours, at most 50 blocks, a non-empty `text`.
//!
//! Channels: by default any `#name` exists, the bot is in it and its id is
//! `C` + the name in capitals (`#deployments` → `CDEPLOYMENTS`). A test that
//! needs unknown channels sets [`Records::channels`] and `open = false`.
//!
//! To add a Web API method (`conversations.list`, ...): a route below (or a
//! `slack_<area>.rs` file with `routes()` and one `r.extend(...)` line).

use std::collections::HashMap;

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, Route, State, contract, json_reply};

/// What the Slack fake keeps.
pub struct Records {
    /// Any channel name exists (see the module doc).
    pub open: bool,
    /// Channel name (without `#`) → id; the bot is a member of these.
    pub channels: HashMap<String, String>,
    /// Channels that exist but the bot is not in (`not_in_channel`).
    pub not_member: Vec<String>,
    /// Accepted `chat.postMessage` bodies, as updated since, with the
    /// channel id in `channel` and the message's `ts`.
    pub posts: Vec<Value>,
    /// Every accepted Web API call in order: the body with `_method`
    /// (`chat.postMessage` / `chat.update`), `_channel` (the id) and `_ts`.
    pub accepted: Vec<Value>,
    /// Message timestamps handed out so far (`1700000000.000001`, ...).
    pub seq: u64,
    /// Accepted `chat.update` bodies, in order.
    pub updates: Vec<Value>,
    /// Messages posted before the test (by another process): see [`Records::seed_post`].
    pub earlier: Vec<Value>,
    /// Accepted incoming-webhook bodies, with the hook's last path segment in `_hook`.
    pub hook_posts: Vec<Value>,
    /// Last path segments of webhooks that were revoked (`404 no_service`).
    pub revoked: Vec<String>,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            open: true,
            channels: HashMap::new(),
            not_member: vec![],
            posts: vec![],
            updates: vec![],
            accepted: vec![],
            seq: 0,
            earlier: vec![],
            hook_posts: vec![],
            revoked: vec![],
        }
    }
}

impl Records {
    /// Only these channels exist (name without `#`, id).
    pub fn only_channels(&mut self, channels: &[(&str, &str)]) {
        self.open = false;
        self.channels = channels
            .iter()
            .map(|(n, id)| (n.to_string(), id.to_string()))
            .collect();
    }

    /// A message the bot posted earlier (e.g. by `deploy start` in another
    /// process), so that `chat.update` finds it.
    pub fn seed_post(&mut self, channel_id: &str, ts: &str, text: &str) {
        self.earlier
            .push(json!({"channel": channel_id, "ts": ts, "text": text}));
        // Later posts get later timestamps.
        let n = ts
            .rsplit('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        self.seq = self.seq.max(n);
    }
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "slack.post_message",
            "POST",
            "/api/chat.postMessage",
            post_message,
        )
        .check(|_, c| web_api_problems(&c.body, "chat.postMessage")),
        Route::new("slack.update", "POST", "/api/chat.update", update)
            .check(|_, c| web_api_problems(&c.body, "chat.update")),
        Route::new("slack.webhook", "POST", "/services/{*hook}", webhook)
            .check(|_, c| webhook_problems(&c.body)),
        Route::new("slack.webhook", "POST", "/hooks/{*hook}", webhook)
            .check(|_, c| webhook_problems(&c.body)),
    ]
}

/// Everything Slack rejects in a Web API call of `method`
/// (`chat.postMessage`, `chat.update`): its arguments as the spec declares
/// them, and the message ([`message_problems`]). Also for tests that check
/// payloads without sending them.
pub fn web_api_problems(body: &Value, method: &str) -> Vec<String> {
    let mut errs = web_api_form(body, &format!("slack/{method}.json"));
    errs.extend(message_problems(body));
    errs
}

/// Everything Slack rejects in an incoming-webhook payload.
pub fn webhook_problems(body: &Value) -> Vec<String> {
    let mut errs = contract::errors("slack/incoming-webhook.json", None, body);
    errs.extend(message_problems(body));
    errs
}

/// The Web API spec declares form arguments, where `blocks` and
/// `attachments` are JSON-encoded strings; over JSON they travel as arrays.
/// Check the body as declared, those two encoded as the spec expects.
fn web_api_form(body: &Value, file: &str) -> Vec<String> {
    let mut args = body.clone();
    for k in ["blocks", "attachments"] {
        if let Some(v) = args.get(k).filter(|v| !v.is_string()).cloned() {
            args[k] = Value::String(v.to_string());
        }
    }
    contract::errors(file, Some("request"), &args)
}

/// Everything Slack checks in a message beyond the method's arguments.
pub fn message_problems(body: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    if body["text"].as_str().is_none_or(|t| t.trim().is_empty()) {
        errs.push("no_text: a message needs a non-empty `text` (the notification)".into());
    }
    let mut kit = json!({});
    for k in ["text", "blocks"] {
        if let Some(v) = body.get(k) {
            kit[k] = v.clone();
        }
    }
    errs.extend(contract::errors("slack/block-kit-message.json", None, &kit));
    let mut total = body["blocks"].as_array().map_or(0, Vec::len);
    for att in body["attachments"].as_array().into_iter().flatten() {
        if let Some(blocks) = att.get("blocks") {
            total += blocks.as_array().map_or(0, Vec::len);
            errs.extend(contract::errors(
                "slack/block-kit-message.json",
                None,
                &json!({ "blocks": blocks }),
            ));
        }
        if !att["color"].as_str().is_some_and(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|x| x.is_ascii_hexdigit())
        }) {
            errs.push(format!("attachment color {}", att["color"]));
        }
    }
    if total > 50 {
        errs.push(format!("{total} blocks (at most 50)"));
    }
    errs
}

fn slack_error(code: &str) -> ResponseTemplate {
    json_reply(200, json!({ "ok": false, "error": code }))
}

/// The channel id for what was sent, or Slack's error.
fn channel_id(r: &Records, channel: &str) -> Result<String, &'static str> {
    let name = channel.trim_start_matches('#');
    if let Some(id) = r.channels.get(name) {
        return Ok(id.clone());
    }
    if r.channels.values().any(|v| v == channel) {
        return Ok(channel.to_string());
    }
    if r.not_member.iter().any(|n| n == name) {
        return Err("not_in_channel");
    }
    if r.open && !channel.is_empty() {
        return Ok(if channel.starts_with('#') {
            format!("C{}", name.to_uppercase())
        } else {
            channel.to_string()
        });
    }
    Err("channel_not_found")
}

fn post_message(s: &mut State, c: &Call) -> ResponseTemplate {
    let id = match channel_id(&s.slack, c.body["channel"].as_str().unwrap_or("")) {
        Ok(id) => id,
        Err(e) => return slack_error(e),
    };
    s.slack.seq += 1;
    let ts = format!("1700000000.{:06}", s.slack.seq);
    let mut m = c.body.clone();
    m["channel"] = json!(id);
    m["ts"] = json!(ts);
    s.slack.posts.push(m);
    let mut a = c.body.clone();
    a["_method"] = json!("chat.postMessage");
    a["_channel"] = json!(id);
    a["_ts"] = json!(ts);
    s.slack.accepted.push(a);
    json_reply(
        200,
        json!({
            "ok": true, "channel": id, "ts": ts,
            "message": {"type": "message", "subtype": "bot_message", "text": c.body["text"],
                        "ts": ts, "bot_id": "B19LU7CSY"},
        }),
    )
}

fn update(s: &mut State, c: &Call) -> ResponseTemplate {
    let channel = c.body["channel"].as_str().unwrap_or("");
    let ts = c.body["ts"].clone();
    // chat.update needs the channel id (not a name) and a ts this bot posted.
    let Some(m) = s
        .slack
        .posts
        .iter_mut()
        .chain(s.slack.earlier.iter_mut())
        .find(|m| m["channel"] == channel && m["ts"] == ts)
    else {
        return slack_error(if channel.starts_with('#') {
            "channel_not_found"
        } else {
            "message_not_found"
        });
    };
    for (k, v) in c.body.as_object().into_iter().flatten() {
        m[k] = v.clone();
    }
    s.slack.updates.push(c.body.clone());
    let mut a = c.body.clone();
    a["_method"] = json!("chat.update");
    a["_channel"] = json!(channel);
    a["_ts"] = ts.clone();
    s.slack.accepted.push(a);
    json_reply(
        200,
        json!({"ok": true, "channel": channel, "ts": ts, "text": c.body["text"]}),
    )
}

fn webhook(s: &mut State, c: &Call) -> ResponseTemplate {
    let hook = c.param("hook").rsplit('/').next().unwrap_or("").to_string();
    if s.slack.revoked.contains(&hook) {
        return ResponseTemplate::new(404).set_body_string("no_service");
    }
    let mut m = c.body.clone();
    m["_hook"] = json!(hook);
    s.slack.hook_posts.push(m);
    ResponseTemplate::new(200).set_body_string("ok")
}
