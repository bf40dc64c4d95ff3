//! Discord webhook payload: one embed (title, description, colour, fields,
//! links, footer, timestamp), mentions only from configured ids in
//! `content`, and `allowed_mentions: {"parse": []}` plus those explicit ids,
//! so nothing in the text can ping anyone.

use serde_json::{Value, json};

use super::escape::{Mention, clean, defuse_everyone, discord_escape, mentions};
use super::limits::{self, ELLIPSIS, discord as max, len, truncate};
use super::{Message, is_http_url};
use crate::text::more_line;

fn text(raw: &str, include_emails: bool, limit: usize) -> String {
    truncate(&discord_escape(clean(raw, include_emails).trim()), limit)
}

/// Discord trims values before checking they are non-empty.
fn non_empty(s: String) -> String {
    if s.trim().is_empty() { "-".into() } else { s }
}

/// The execute-webhook (and edit-message) body.
pub fn discord_payload(msg: &Message) -> Value {
    let emails = msg.include_emails;
    let mut title = text(&msg.title, emails, max::TITLE);
    if title.is_empty() {
        title = "(no title)".into();
    }
    let mut description = text(&msg.text, emails, max::DESCRIPTION);

    let mut fields: Vec<(String, String)> = msg
        .fields
        .iter()
        .map(|(k, v)| {
            (
                non_empty(text(k, emails, max::FIELD_NAME)),
                non_empty(text(v, emails, max::FIELD_VALUE)),
            )
        })
        .collect();
    // Links as one field of masked links, whole links only.
    let mut links = String::new();
    for (label, url) in &msg.links {
        let url = url.trim();
        if !is_http_url(url) || len(url) > max::URL {
            continue;
        }
        let url = url
            .replace('(', "%28")
            .replace(')', "%29")
            .replace(' ', "%20");
        let mut label = text(label, emails, 100);
        if label.is_empty() {
            label = "link".into();
        }
        let item = format!("[{label}]({url})");
        let sep = if links.is_empty() { "" } else { " • " };
        if len(&links) + len(sep) + len(&item) > max::FIELD_VALUE {
            break;
        }
        links.push_str(sep);
        links.push_str(&item);
    }
    let link_field = (!links.is_empty()).then(|| ("Links".to_string(), links));

    let context: Vec<String> = msg
        .context
        .iter()
        // Footers render no markdown and cannot ping or link: escaping
        // would show the backslashes.
        .map(|c| defuse_everyone(clean(c, emails).trim()))
        .filter(|c| !c.is_empty())
        .collect();
    let mut footer = truncate(&context.join(" • "), max::FOOTER);
    if footer.is_empty() {
        footer = "obsctl".into();
    }

    // Fields are a list: cut at whole fields, with a last field
    // `… and N more`, first to the 25 fields (the links field kept), then
    // within the 6000-unit total after the description has been shortened.
    let room = max::FIELDS - usize::from(link_field.is_some());
    let mut omitted = 0;
    if fields.len() > room {
        omitted = fields.len() - (room - 1);
        fields.truncate(room - 1);
    }
    let listed = |fields: &[(String, String)], omitted: usize| {
        let mut out = fields.to_vec();
        if omitted > 0 {
            out.push((ELLIPSIS.to_string(), more_line(omitted)));
        }
        out.extend(link_field.clone());
        out
    };
    let total = |t: &str, d: &str, f: &[(String, String)], ft: &str| {
        len(t) + len(d) + len(ft) + f.iter().map(|(k, v)| len(k) + len(v)).sum::<usize>()
    };
    let over = |t: &str, d: &str, f: &[(String, String)], o: usize, ft: &str| {
        total(t, d, &listed(f, o), ft).saturating_sub(max::TOTAL)
    };
    let mut excess = over(&title, &description, &fields, omitted, &footer);
    if excess > 0 {
        let keep = len(&description).saturating_sub(excess + 1);
        description = if keep == 0 {
            String::new()
        } else {
            truncate(&description, keep)
        };
        excess = over(&title, &description, &fields, omitted, &footer);
    }
    while excess > 0 && !fields.is_empty() {
        fields.pop();
        omitted += 1;
        excess = over(&title, &description, &fields, omitted, &footer);
    }
    if excess > 0 {
        footer = truncate(&footer, len(&footer).saturating_sub(excess + 1).max(1));
        excess = over(&title, &description, &fields, omitted, &footer);
    }
    if excess > 0 {
        title = truncate(&title, len(&title).saturating_sub(excess + 1).max(1));
    }
    let fields = listed(&fields, omitted);

    let mut embed = json!({
        "title": title,
        "color": msg.color(),
        "footer": { "text": footer },
    });
    if !description.is_empty() {
        embed["description"] = Value::String(description);
    }
    if !fields.is_empty() {
        embed["fields"] = fields
            .into_iter()
            .map(|(name, value)| {
                let inline = len(&value) <= 40 && name != "Links";
                json!({ "name": name, "value": value, "inline": inline })
            })
            .collect();
    }
    if let Some(url) = msg.url.as_deref().map(str::trim) {
        if is_http_url(url) && len(url) <= max::URL {
            embed["url"] = Value::String(url.to_string());
        }
    }
    if let Some(ts) = msg.timestamp {
        embed["timestamp"] = Value::String(crate::text::rfc3339(ts));
    }

    let mut payload = json!({ "embeds": [embed] });
    let ids = mentions(&msg.mentions);
    let pings: Vec<String> = ids.iter().filter_map(Mention::discord).collect();
    let mut users: Vec<&str> = Vec::new();
    let mut roles: Vec<&str> = Vec::new();
    for m in &ids {
        match m {
            Mention::DiscordUser(id) if users.len() < max::ALLOWED_MENTION_IDS => users.push(id),
            Mention::DiscordRole(id) if roles.len() < max::ALLOWED_MENTION_IDS => roles.push(id),
            _ => {}
        }
    }
    let mut allowed = json!({ "parse": [] });
    if !users.is_empty() {
        allowed["users"] = json!(users);
    }
    if !roles.is_empty() {
        allowed["roles"] = json!(roles);
    }
    payload["allowed_mentions"] = allowed;
    if !pings.is_empty() {
        // Whole mentions only.
        let mut content = String::new();
        for p in pings {
            let sep = if content.is_empty() { "" } else { " " };
            if len(&content) + len(sep) + len(&p) > max::CONTENT {
                break;
            }
            content.push_str(sep);
            content.push_str(&p);
        }
        payload["content"] = Value::String(content);
    }
    payload
}

/// The characters Discord counts towards the 6000 total, over all embeds.
pub fn embed_total(payload: &Value) -> usize {
    let s = |v: &Value| v.as_str().map(limits::len).unwrap_or(0);
    payload
        .get("embeds")
        .and_then(Value::as_array)
        .map(|embeds| {
            embeds
                .iter()
                .map(|e| {
                    s(&e["title"])
                        + s(&e["description"])
                        + s(&e["footer"]["text"])
                        + s(&e["author"]["name"])
                        + e.get("fields")
                            .and_then(Value::as_array)
                            .map(|f| f.iter().map(|f| s(&f["name"]) + s(&f["value"])).sum())
                            .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Severity;

    #[test]
    fn shape() {
        let msg = Message::new("Deployed")
            .text("all good")
            .severity(Severity::Critical)
            .field("Env", "prod")
            .link("Run", "https://ci.example/run/1")
            .mention("80351110224678912")
            .mention("role:80351110224678913")
            .mention("U024BE7LH");
        let p = discord_payload(&msg);
        assert_eq!(p["allowed_mentions"]["parse"], json!([]));
        assert_eq!(p["allowed_mentions"]["users"], json!(["80351110224678912"]));
        assert_eq!(p["allowed_mentions"]["roles"], json!(["80351110224678913"]));
        assert_eq!(p["content"], "<@80351110224678912> <@&80351110224678913>");
        let e = &p["embeds"][0];
        assert_eq!(e["color"], 0xE01E5A);
        assert_eq!(e["fields"][1]["value"], "[Run](https://ci.example/run/1)");
    }

    #[test]
    fn total_is_enforced() {
        let mut msg = Message::new("x".repeat(300)).text("y".repeat(5000));
        for i in 0..30 {
            msg = msg.field(format!("k{i}"), "v".repeat(1100));
        }
        let p = discord_payload(&msg);
        assert!(embed_total(&p) <= max::TOTAL, "{}", embed_total(&p));
        assert!(p["embeds"][0]["fields"].as_array().unwrap().len() <= max::FIELDS);
    }
}
