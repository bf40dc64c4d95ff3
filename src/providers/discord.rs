//! Discord webhooks: execute with `?wait=true` (so the message id comes
//! back for later edits) and edit with `PATCH …/messages/{id}`. The webhook
//! URL is the credential: it is never shown; errors name the variable it
//! came from. A 429's `retry_after` is honoured by the HTTP policy.

use anyhow::{Result, anyhow};
use reqwest::Url;
use serde_json::{Value, json};

use crate::http::{self, Http, Provider, Request, Response};

/// Under `--dry-run` nothing is posted: the message id is Discord's to
/// assign, so the planned records show this placeholder (never a made-up id).
pub const DRY_RUN_MESSAGE_ID: &str = "{discord_message_id}";
const DRY_RUN_CHANNEL_ID: &str = "{discord_channel_id}";

/// Execute the webhook; returns the new message's id.
pub async fn execute(http: &Http, url: &Url, var: &str, payload: &Value) -> Result<String> {
    let req = Request::post(
        Provider::Discord,
        format!("post message to the webhook in {var}"),
        url.clone(),
    )
    .query(&[("wait", "true")])
    .json(payload)
    .create_once()
    .dry_run_reply(json!({ "id": DRY_RUN_MESSAGE_ID, "channel_id": DRY_RUN_CHANNEL_ID }));
    let resp = http.send(req).await?;
    message_id(&resp, var)
}

/// Edit a message this webhook posted.
pub async fn edit(
    http: &Http,
    url: &Url,
    var: &str,
    message_id_: &str,
    payload: &Value,
) -> Result<String> {
    // Under --dry-run a message "posted" earlier has the placeholder id.
    let planned = http.is_dry_run() && message_id_ == DRY_RUN_MESSAGE_ID;
    if !planned && (message_id_.is_empty() || !message_id_.chars().all(|c| c.is_ascii_digit())) {
        return Err(anyhow!(
            "{}: cannot edit message {message_id_:?}: not a Discord message id",
            Provider::Discord
        ));
    }
    let mut target = http::join(url, &format!("messages/{message_id_}"));
    target.set_query(url.query());
    let req = Request::patch(
        Provider::Discord,
        format!("edit message via the webhook in {var}"),
        target,
    )
    .json(payload)
    .dry_run_reply(json!({ "id": message_id_, "channel_id": DRY_RUN_CHANNEL_ID }));
    let resp = http.send(req).await?;
    message_id(&resp, var)
}

fn message_id(resp: &Response, var: &str) -> Result<String> {
    if resp.is_success() {
        let v: Value = resp.json()?;
        return match v.get("id").and_then(Value::as_str) {
            Some(id) => Ok(id.to_string()),
            None => Err(anyhow!(
                "{}: {}: the answer had no message id",
                Provider::Discord,
                resp.op
            )),
        };
    }
    let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    let code = body.get("code").and_then(Value::as_u64).unwrap_or(0);
    let hint = match (resp.status.as_u16(), code) {
        (_, 10008) => "the message was deleted".to_string(),
        (404, _) | (_, 10015) => format!(
            "the webhook in {var} was deleted (Unknown Webhook): create a new webhook and update {var}"
        ),
        (401, _) | (_, 50027) => {
            format!("the webhook token in {var} is invalid: copy the webhook URL again into {var}")
        }
        (403, _) => "the webhook may not post there (missing permissions)".to_string(),
        (429, _) => "rate limited and the retry budget ran out: raise --retry-budget".to_string(),
        (400, _) => {
            "Discord rejected the message content: please report this obsctl bug".to_string()
        }
        _ => "Discord had a problem: try again later".to_string(),
    };
    let message = resp.error_message();
    Err(anyhow!(
        "{}: {} failed: HTTP {}: {}: {hint}",
        Provider::Discord,
        resp.op,
        resp.status.as_u16(),
        crate::redact::redact_patterns(&message)
    ))
}
