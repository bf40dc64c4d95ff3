//! Slack Block Kit payload: a header block at the top level, then a colour
//! bar (a legacy attachment carrying the severity colour) around the body:
//! section text, mentions, fields (≤ 10 per section), link buttons (≤ 25 per
//! actions block) and a context block. The top-level `text` fallback is
//! always set (notifications, screen readers).

use serde_json::{Value, json};

use super::escape::{clean, mentions, slack_escape};
use super::limits::{self, slack as max, truncate_escaped};
use super::{Message, is_http_url};

/// Escape and cut untrusted text for a Slack text object.
fn text(raw: &str, include_emails: bool, limit: usize) -> String {
    let s = slack_escape(clean(raw, include_emails).trim());
    truncate_escaped(&s, limit)
}

fn mrkdwn(s: String) -> Value {
    json!({ "type": "mrkdwn", "text": s })
}

/// The payload for `chat.postMessage` (with `channel`) or an incoming
/// webhook (without). `chat.update` takes the same with `ts` added.
pub fn slack_payload(msg: &Message, channel: Option<&str>) -> Value {
    let emails = msg.include_emails;
    let mut title = text(&msg.title, emails, max::HEADER);
    if title.is_empty() {
        title = "(no title)".into();
    }
    let header = json!({
        "type": "header",
        "text": { "type": "plain_text", "text": title, "emoji": true },
    });

    let mut body: Vec<Value> = Vec::new();
    let body_text = text(&msg.text, emails, max::SECTION_TEXT);
    if !body_text.is_empty() {
        body.push(json!({ "type": "section", "text": mrkdwn(body_text.clone()) }));
    }
    let pings: Vec<String> = mentions(&msg.mentions)
        .iter()
        .filter_map(|m| m.slack())
        .collect();
    if !pings.is_empty() {
        let line = limits::truncate(&pings.join(" "), max::SECTION_TEXT);
        // Cut mid-mention: drop the broken tail rather than show `<@U12…`.
        let line = match line.strip_suffix(limits::ELLIPSIS) {
            Some(cut) => cut
                .rsplit_once(' ')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default(),
            None => line,
        };
        if !line.is_empty() {
            body.push(json!({ "type": "section", "text": mrkdwn(line) }));
        }
    }
    let fields: Vec<Value> = msg
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let k = text(k, emails, 200);
            let v = text(v, emails, max::FIELD_TEXT);
            if k.is_empty() && v.is_empty() {
                return None;
            }
            let joined = match (k.is_empty(), v.is_empty()) {
                (false, false) => format!("*{k}*\n{v}"),
                (false, true) => format!("*{k}*"),
                _ => v,
            };
            Some(mrkdwn(truncate_escaped(&joined, max::FIELD_TEXT)))
        })
        .collect();
    for chunk in fields.chunks(max::FIELDS) {
        body.push(json!({ "type": "section", "fields": chunk }));
    }
    let buttons: Vec<Value> = msg
        .links
        .iter()
        .filter_map(|(label, url)| {
            let url = url.trim();
            if !is_http_url(url) || limits::len(url) > max::BUTTON_URL {
                return None;
            }
            let mut label = text(label, emails, max::BUTTON_TEXT);
            if label.is_empty() {
                label = "Open".into();
            }
            Some(json!({
                "type": "button",
                "text": { "type": "plain_text", "text": label, "emoji": true },
                "url": url,
            }))
        })
        .collect();
    for chunk in buttons.chunks(max::ACTIONS_ELEMENTS) {
        body.push(json!({ "type": "actions", "elements": chunk }));
    }
    let mut ctx: Vec<String> = msg
        .context
        .iter()
        .map(|c| text(c, emails, max::CONTEXT_TEXT))
        .filter(|c| !c.is_empty())
        .collect();
    if ctx.len() > max::CONTEXT_ELEMENTS {
        let rest = ctx.split_off(max::CONTEXT_ELEMENTS - 1).join(" • ");
        ctx.push(truncate_escaped(&rest, max::CONTEXT_TEXT));
    }
    if !ctx.is_empty() {
        let elements: Vec<Value> = ctx.into_iter().map(mrkdwn).collect();
        body.push(json!({ "type": "context", "elements": elements }));
    }
    // One block is the header; keep the total within the limit.
    let room = max::BLOCKS - 1;
    if body.len() > room {
        let omitted = body.len() - (room - 1);
        body.truncate(room - 1);
        body.push(json!({
            "type": "context",
            "elements": [mrkdwn(crate::text::more_line(omitted))],
        }));
    }

    let mut fallback = title.clone();
    if !body_text.is_empty() {
        fallback.push_str(": ");
        fallback.push_str(&body_text);
    }
    let fallback = truncate_escaped(&fallback, max::FALLBACK_TEXT);

    let mut payload = json!({
        "text": fallback,
        "blocks": [header],
        "unfurl_links": false,
        "unfurl_media": false,
    });
    let mut attachment = json!({
        "color": format!("#{:06X}", msg.color()),
        "fallback": fallback,
    });
    if !body.is_empty() {
        attachment["blocks"] = Value::Array(body);
    }
    payload["attachments"] = json!([attachment]);
    if let Some(channel) = channel {
        payload["channel"] = Value::String(channel.to_string());
    }
    payload
}

/// Every block of a payload: the top-level ones and those inside
/// attachments (the limits apply to the total).
pub fn all_blocks(payload: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::new();
    if let Some(b) = payload.get("blocks").and_then(Value::as_array) {
        out.extend(b);
    }
    if let Some(atts) = payload.get("attachments").and_then(Value::as_array) {
        for a in atts {
            if let Some(b) = a.get("blocks").and_then(Value::as_array) {
                out.extend(b);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Severity;

    #[test]
    fn shape_and_fallback() {
        let msg = Message::new("Deployed v1.2.3")
            .text("to production")
            .severity(Severity::Success)
            .field("Env", "production")
            .link("Run", "https://ci.example/run/1")
            .link("bad", "javascript:alert(1)")
            .context_line("acme/web • main")
            .mention("U024BE7LH")
            .mention("role:80351110224678912");
        let p = slack_payload(&msg, Some("#deployments"));
        assert_eq!(p["channel"], "#deployments");
        assert_eq!(p["text"], "Deployed v1.2.3: to production");
        assert_eq!(p["blocks"][0]["type"], "header");
        let att = &p["attachments"][0];
        assert_eq!(att["color"], "#2EB67D");
        let blocks = att["blocks"].as_array().unwrap();
        let types: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            ["section", "section", "section", "actions", "context"]
        );
        assert_eq!(blocks[1]["text"]["text"], "<@U024BE7LH>");
        assert_eq!(blocks[2]["fields"][0]["text"], "*Env*\nproduction");
        assert_eq!(blocks[3]["elements"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn untrusted_text_is_neutralised() {
        let msg = Message::new(
            "<!channel> fix <https://evil.example|click> ghp_fake_token_for_tests_0123456789",
        );
        let p = slack_payload(&msg, None);
        let s = p.to_string();
        assert!(!s.contains("<!channel>"), "{s}");
        assert!(!s.contains("<https://evil"), "{s}");
        assert!(!s.contains("ghp_"), "{s}");
        assert!(s.contains("&lt;!channel&gt;"), "{s}");
    }
}
