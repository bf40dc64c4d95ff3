//! Slack: the Web API for a bot token (`chat.postMessage`, `chat.update`,
//! thread replies) and incoming webhooks. JSON bodies; the bot token goes
//! in `Authorization: Bearer`. Slack answers most Web API errors with HTTP
//! 200 and `ok: false`: those are errors here, with the fix named.
//!
//! Posting is not idempotent, so posts stay `Safety::CreateOnce`: the HTTP
//! policy retries them only when Slack certainly did not take them (429
//! after its `Retry-After`, connection refused).

use anyhow::{Result, anyhow};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{self, Http, Provider, Request, Response};

pub const DEFAULT_API_URL: &str = "https://slack.com/api";

/// A posted message, as Slack identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The channel id (`C…`), even when posted by name.
    pub channel: String,
    pub ts: String,
}

#[derive(Debug, Deserialize)]
struct ApiAnswer {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    needed: Option<String>,
}

/// The Web API with a bot token.
#[derive(Clone)]
pub struct SlackBot {
    http: Http,
    token: String,
    api: Url,
}

/// Under `--dry-run` nothing is posted: the channel id and `ts` are
/// Slack's to assign, so the planned records show these placeholders (never
/// a made-up id).
pub const DRY_RUN_CHANNEL: &str = "{slack_channel_id}";
/// See [`DRY_RUN_CHANNEL`].
pub const DRY_RUN_TS: &str = "{slack_ts}";

impl SlackBot {
    pub fn new(http: Http, token: String, api: Url) -> Self {
        Self { http, token, api }
    }

    fn request(&self, method: &str, op: &str, body: &Value) -> Request {
        Request::post(Provider::Slack, op, http::join(&self.api, method))
            .bearer(&self.token)
            .header("content-type", "application/json; charset=utf-8")
            .json(body)
            .create_once()
    }

    /// `chat.postMessage`; `payload` carries `channel` (and `thread_ts`
    /// for a reply). `shown` is the channel as configured, for messages.
    pub async fn post_message(&self, payload: &Value, shown: &str) -> Result<Posted> {
        let req = self
            .request(
                "chat.postMessage",
                &format!("post message to {shown}"),
                payload,
            )
            .dry_run_reply(json!({ "ok": true, "channel": DRY_RUN_CHANNEL, "ts": DRY_RUN_TS }));
        let resp = self.http.send(req).await?;
        answer(&resp, shown)
    }

    /// `chat.update` of a message this bot posted (`payload` carries
    /// `channel` id and `ts`).
    pub async fn update_message(&self, payload: &Value) -> Result<Posted> {
        let shown = payload["channel"]
            .as_str()
            .unwrap_or("the channel")
            .to_string();
        let req = self
            .request(
                "chat.update",
                &format!("update message in {shown}"),
                payload,
            )
            .idempotent()
            .dry_run_reply(json!({
                "ok": true,
                "channel": shown,
                "ts": payload["ts"].as_str().unwrap_or(DRY_RUN_TS),
            }));
        let resp = self.http.send(req).await?;
        answer(&resp, &shown)
    }
}

impl SlackBot {
    /// Channel name (without `#`) → ID for every channel the bot can see:
    /// `conversations.list` (public and private, archived left out),
    /// paginated with `response_metadata.next_cursor` to the end (at most
    /// 100 pages of 1,000). Needs `channels:read` (and `groups:read` for
    /// private channels). A read: it goes out even under `--dry-run` when the
    /// bot was built on [`Http::for_reads`].
    pub async fn channel_ids(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let mut out = std::collections::BTreeMap::new();
        let mut cursor = String::new();
        for _ in 0..100 {
            let mut req = Request::get(
                Provider::Slack,
                "list channels (conversations.list)",
                http::join(&self.api, "conversations.list"),
            )
            .bearer(&self.token)
            .query(&[
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", "1000"),
            ]);
            if !cursor.is_empty() {
                req = req.query(&[("cursor", cursor.as_str())]);
            }
            let resp = self.http.send(req).await?;
            let v: Value = resp.json().map_err(|_| {
                anyhow!(
                    "{}: {} failed: HTTP {}: not a Slack Web API answer; check SLACK_API_URL",
                    Provider::Slack,
                    resp.op,
                    resp.status.as_u16()
                )
            })?;
            if v["ok"] != Value::Bool(true) {
                let code = v["error"].as_str().unwrap_or("unknown_error");
                let hint = match code {
                    "missing_scope" => format!(
                        "SLACK_BOT_TOKEN lacks a scope (needed: {}): add channels:read (and groups:read for private channels) to the Slack app and reinstall it, or give the IDs in [slack] channel_ids",
                        v["needed"].as_str().unwrap_or("channels:read")
                    ),
                    other => api_hint(other, "", None).unwrap_or_else(|| {
                        "give the channel IDs in [slack] channel_ids instead".into()
                    }),
                };
                return Err(anyhow!(
                    "{}: {} failed: {code}: {hint}",
                    Provider::Slack,
                    resp.op
                ));
            }
            for c in v["channels"].as_array().into_iter().flatten() {
                if let (Some(name), Some(id)) = (c["name"].as_str(), c["id"].as_str()) {
                    out.insert(name.to_string(), id.to_string());
                }
            }
            cursor = v["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if cursor.is_empty() {
                return Ok(out);
            }
        }
        Err(anyhow!(
            "{}: list channels (conversations.list): more than 100 pages: give the IDs in [slack] channel_ids",
            Provider::Slack
        ))
    }
}

fn answer(resp: &Response, shown: &str) -> Result<Posted> {
    if resp.status.as_u16() == 429 {
        return Err(anyhow!(
            "{}: {} failed: rate limited (HTTP 429) and the retry budget ran out; \
             raise --retry-budget or send fewer messages",
            Provider::Slack,
            resp.op
        ));
    }
    let parsed: ApiAnswer = resp.json().map_err(|_| {
        anyhow!(
            "{}: {} failed: HTTP {}: {}: not a Slack Web API answer; check SLACK_API_URL \
             (default {DEFAULT_API_URL})",
            Provider::Slack,
            resp.op,
            resp.status.as_u16(),
            resp.error_message()
        )
    })?;
    if parsed.ok {
        return Ok(Posted {
            channel: parsed.channel.unwrap_or_else(|| shown.to_string()),
            ts: parsed.ts.unwrap_or_default(),
        });
    }
    let code = parsed.error.unwrap_or_else(|| "unknown_error".into());
    let hint = api_hint(&code, shown, parsed.needed.as_deref());
    let detail = parsed.errors.map(|e| format!(" {e}")).unwrap_or_default();
    Err(anyhow!(
        "{}: {} failed: {code}{detail}{}",
        Provider::Slack,
        resp.op,
        hint.map(|h| format!(": {h}")).unwrap_or_default()
    ))
}

/// The fix for a Web API error code.
pub fn api_hint(code: &str, channel: &str, needed: Option<&str>) -> Option<String> {
    let bare = channel.trim_start_matches('#');
    Some(match code {
        "not_in_channel" => format!(
            "the bot is not a member of #{bare}: invite the bot to #{bare} (`/invite @your-bot` in the channel)"
        ),
        "channel_not_found" => format!(
            "no channel #{bare} that the bot can see: check the channel name (OBSCTL_SLACK_CHANNEL_*, --channel) \
             and invite the bot to #{bare} (private channels are invisible until it is invited)"
        ),
        "is_archived" => format!("#{bare} is archived: unarchive it or configure another channel"),
        "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired" => {
            "SLACK_BOT_TOKEN is invalid or revoked: set a valid bot token (xoxb-…) in SLACK_BOT_TOKEN".into()
        }
        "missing_scope" => format!(
            "SLACK_BOT_TOKEN lacks a scope{}: add chat:write to the Slack app and reinstall it",
            needed.map(|n| format!(" (needed: {n})")).unwrap_or_default()
        ),
        "restricted_action" => format!("the workspace does not let the bot post in #{bare}"),
        "cant_update_message" | "message_not_found" => {
            "the message to update was not posted by this bot token (or was deleted)".into()
        }
        "invalid_blocks" | "invalid_blocks_format" | "msg_too_long" | "msg_blocks_too_long" | "no_text"
        | "invalid_arguments" => "Slack rejected the message content: please report this obsctl bug".into(),
        "ratelimited" => "rate limited: send fewer messages or raise --retry-budget".into(),
        _ => return None,
    })
}

/// POST a payload to an incoming webhook. `var` names the variable the URL
/// came from (`SLACK_WEBHOOK_URL_DEPLOYMENTS`), for the fix; the URL itself
/// is a secret and is never shown.
pub async fn post_webhook(http: &Http, url: &Url, var: &str, payload: &Value) -> Result<()> {
    let req = Request::post(
        Provider::Slack,
        format!("post message to the webhook in {var}"),
        url.clone(),
    )
    .json(payload)
    .create_once()
    .dry_run_reply(Value::String("ok".into()));
    let resp = http.send(req).await?;
    let json_ok =
        || serde_json::from_slice::<Value>(&resp.body).is_ok_and(|v| v["ok"] == Value::Bool(true));
    // Only 200 with `ok` is success (workflow webhooks answer `{"ok": true}`).
    if resp.dry_run || (resp.is_success() && (resp.text().trim() == "ok" || json_ok())) {
        return Ok(());
    }
    let body = resp.text().trim().to_string();
    let code: String = body.chars().take(200).collect();
    let hint = match (resp.status.as_u16(), code.as_str()) {
        (404, _) | (_, "no_service" | "no_team" | "team_disabled" | "invalid_token") => format!(
            "the webhook in {var} was revoked or disabled: create a new incoming webhook and update {var}"
        ),
        (_, "channel_not_found") => format!(
            "the channel of the webhook in {var} no longer exists: create a new incoming webhook and update {var}"
        ),
        (_, "channel_is_archived") | (410, _) => format!(
            "the channel of the webhook in {var} is archived: unarchive it or create a webhook for another channel"
        ),
        (_, "action_prohibited") | (403, _) => {
            "the workspace does not allow posting there".to_string()
        }
        (_, "invalid_payload" | "no_text" | "invalid_blocks" | "too_many_attachments")
        | (400, _) => {
            "Slack rejected the message content: please report this obsctl bug".to_string()
        }
        (429, _) => "rate limited and the retry budget ran out: raise --retry-budget".to_string(),
        (200, _) => {
            "an unexpected answer for a webhook: check that the URL is a Slack incoming webhook"
                .to_string()
        }
        _ => "Slack had a problem: try again later".to_string(),
    };
    Err(anyhow!(
        "{}: posting to the webhook in {var} failed: HTTP {}: {}: {hint}",
        Provider::Slack,
        resp.status.as_u16(),
        if code.is_empty() {
            "no body".to_string()
        } else {
            code
        }
    ))
}
