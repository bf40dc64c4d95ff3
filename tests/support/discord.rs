//! The Discord fake: webhooks — execute (`POST /api/webhooks/{id}/{token}`,
//! `?wait=true` answers the message, else 204) and edit
//! (`PATCH .../messages/{message_id}`). The webhook is
//! [`super::DISCORD_ID`] / [`super::DISCORD_SECRET`]; another id is 404
//! `10015 Unknown Webhook`, another token 401 `50027`. Every body is checked
//! against the request schema, the strict message subset
//! (`discord/webhook-message.json`), the 6000-character embed total and
//! "not empty"; a break is 400 `50035 Invalid Form Body`.

use serde_json::{Value, json};
use wiremock::ResponseTemplate;

use super::{Call, DISCORD_ID, Route, State, contract, json_reply, now};

/// What the Discord fake keeps.
#[derive(Default)]
pub struct Records {
    /// Executed messages, as edited since, with their `id`.
    pub posts: Vec<Value>,
    /// Accepted edit bodies, in order, with the edited message's id in `_id`.
    pub edits: Vec<Value>,
    /// Every accepted call in order: the body with `_method` (`POST`,
    /// `PATCH`) and the message's `_id`.
    pub accepted: Vec<Value>,
    /// The webhook was deleted: every call is `404 10015`.
    pub deleted: bool,
}

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "discord.execute",
            "POST",
            "/api/webhooks/{id}/{token}",
            execute,
        )
        .check(|_, c| problems(&c.body, false)),
        Route::new(
            "discord.edit",
            "PATCH",
            "/api/webhooks/{id}/{token}/messages/{message_id}",
            edit,
        )
        .check(|_, c| problems(&c.body, true)),
    ]
}

/// Everything Discord rejects in an execute (`edit: false`) or edit body:
/// the request schema, the strict message subset and [`message_problems`].
/// Also for tests that check payloads without sending them.
pub fn problems(body: &Value, edit: bool) -> Vec<String> {
    let file = if edit {
        "discord/update-webhook-message.json"
    } else {
        "discord/execute-webhook.json"
    };
    let mut errs = contract::errors(file, Some("request"), body);
    errs.extend(contract::errors("discord/webhook-message.json", None, body));
    errs.extend(message_problems(body));
    errs
}

/// Discord's checks beyond the schemas: the 6000-character embed total and
/// "not empty".
pub fn message_problems(body: &Value) -> Vec<String> {
    let mut errs = vec![];
    let s = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let total: usize = body["embeds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            s(&e["title"])
                + s(&e["description"])
                + s(&e["footer"]["text"])
                + s(&e["author"]["name"])
                + e["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| s(&f["name"]) + s(&f["value"]))
                    .sum::<usize>()
        })
        .sum();
    if total > 6000 {
        errs.push(format!("embeds total {total} > 6000"));
    }
    let content = body["content"]
        .as_str()
        .is_some_and(|c| !c.trim().is_empty());
    let embeds = body["embeds"].as_array().is_some_and(|e| !e.is_empty());
    if !content && !embeds {
        errs.push("empty message".into());
    }
    errs
}

fn unknown_webhook() -> ResponseTemplate {
    json_reply(404, json!({"code": 10015, "message": "Unknown Webhook"}))
}

fn message(id: &str, body: &Value) -> Value {
    json!({
        "type": 0, "id": id, "channel_id": "800000000000000001",
        "content": body.get("content").cloned().unwrap_or(json!("")),
        "embeds": body.get("embeds").cloned().unwrap_or(json!([])),
        "mentions": [], "mention_roles": [], "attachments": [],
        "timestamp": now(), "edited_timestamp": null,
        "flags": 0, "components": [], "pinned": false, "mention_everyone": false, "tts": false,
        "webhook_id": DISCORD_ID,
        "author": {"id": DISCORD_ID, "username": "obsctl", "discriminator": "0000",
                   "avatar": null, "bot": true, "global_name": null},
    })
}

fn execute(s: &mut State, c: &Call) -> ResponseTemplate {
    if s.discord.deleted {
        return unknown_webhook();
    }
    let id = (900_000_000_000_000_000u64 + s.id()).to_string();
    let mut m = c.body.clone();
    m["id"] = json!(id);
    s.discord.posts.push(m);
    let mut a = c.body.clone();
    a["_method"] = json!("POST");
    a["_id"] = json!(id);
    s.discord.accepted.push(a);
    if c.query("wait") != Some("true") {
        return ResponseTemplate::new(204);
    }
    json_reply(200, message(&id, &c.body))
}

fn edit(s: &mut State, c: &Call) -> ResponseTemplate {
    if s.discord.deleted {
        return unknown_webhook();
    }
    let id = c.param("message_id").to_string();
    let Some(m) = s.discord.posts.iter_mut().find(|m| m["id"] == id.as_str()) else {
        return json_reply(404, json!({"code": 10008, "message": "Unknown Message"}));
    };
    for (k, v) in c.body.as_object().into_iter().flatten() {
        m[k] = v.clone();
    }
    let mut e = c.body.clone();
    e["_id"] = json!(id);
    s.discord.edits.push(e.clone());
    e["_method"] = json!("PATCH");
    s.discord.accepted.push(e);
    json_reply(200, message(&id, &c.body))
}
