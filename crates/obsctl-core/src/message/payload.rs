//! `--payload FILE`: a hand-written Slack Block Kit payload, a Discord
//! webhook payload, or both as `{"slack": {...}, "discord": {...}}`.
//! Validated (structure and limits, with the JSON path of each problem),
//! then template variables are substituted inside string values (escaped
//! for the target) and the limits are enforced again by truncation, since a
//! variable may hold a long commit message.

use serde_json::{Map, Value, json};

use super::discord::embed_total;
use super::escape::{Mention, clean, defuse_everyone, discord_escape, slack_escape};
use super::limits::{discord as dmax, len, slack as smax, truncate, truncate_escaped};
use super::template::{self, UnknownVariable, Vars};
use crate::text::more_line;

/// The payloads a file holds, per provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayloadFile {
    /// The Slack Block Kit payload (`blocks`, `attachments`, `text`), if the file has one.
    pub slack: Option<Value>,
    /// The Discord webhook payload (`content`, `embeds`), if the file has one.
    pub discord: Option<Value>,
}

const SLACK_KEYS: &[&str] = &["blocks", "attachments", "text"];
const DISCORD_KEYS: &[&str] = &["embeds", "content"];

/// Recognise and validate a payload file's JSON.
pub fn parse(v: Value) -> Result<PayloadFile, String> {
    let Value::Object(obj) = &v else {
        return Err("the payload must be a JSON object".into());
    };
    let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
    let file = if obj.contains_key("slack") || obj.contains_key("discord") {
        if has(SLACK_KEYS) || has(DISCORD_KEYS) {
            return Err("mix of a {\"slack\", \"discord\"} wrapper and message keys".into());
        }
        PayloadFile {
            slack: obj.get("slack").cloned(),
            discord: obj.get("discord").cloned(),
        }
    } else {
        match (has(SLACK_KEYS), has(DISCORD_KEYS)) {
            (true, false) => PayloadFile {
                slack: Some(v.clone()),
                discord: None,
            },
            (false, true) => PayloadFile {
                slack: None,
                discord: Some(v.clone()),
            },
            (true, true) => {
                return Err(
                    "ambiguous payload: it has Slack keys (blocks/attachments/text) and Discord \
                     keys (embeds/content); use {\"slack\": {...}, \"discord\": {...}}"
                        .into(),
                );
            }
            (false, false) => {
                return Err(
                    "not a Slack payload (blocks, attachments or text) nor a Discord payload \
                     (embeds or content)"
                        .into(),
                );
            }
        }
    };
    if let Some(s) = &file.slack {
        validate_slack(s).map_err(|e| format!("Slack payload: {e}"))?;
    }
    if let Some(d) = &file.discord {
        validate_discord(d).map_err(|e| format!("Discord payload: {e}"))?;
    }
    Ok(file)
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{path} must be an object"))
}

fn arr<'a>(v: &'a Value, path: &str, max: usize) -> Result<&'a Vec<Value>, String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{path} must be an array"))?;
    if a.len() > max {
        return Err(format!("{path} has {} items; the limit is {max}", a.len()));
    }
    Ok(a)
}

fn string(v: &Value, path: &str, min: usize, max: usize) -> Result<(), String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{path} must be a string"))?;
    let n = len(s);
    if n < min || n > max {
        return Err(format!(
            "{path} is {n} characters long; it must be {min} to {max}"
        ));
    }
    Ok(())
}

fn opt_string(o: &Map<String, Value>, key: &str, path: &str, max: usize) -> Result<(), String> {
    match o.get(key) {
        Some(v) => string(v, &format!("{path}/{key}"), 0, max),
        None => Ok(()),
    }
}

fn text_object(v: &Value, path: &str, max: usize, plain_only: bool) -> Result<(), String> {
    let o = obj(v, path)?;
    match o.get("type").and_then(Value::as_str) {
        Some("plain_text") => {}
        Some("mrkdwn") if !plain_only => {}
        _ if plain_only => return Err(format!("{path}/type must be \"plain_text\"")),
        _ => return Err(format!("{path}/type must be \"plain_text\" or \"mrkdwn\"")),
    }
    string(
        o.get("text").unwrap_or(&Value::Null),
        &format!("{path}/text"),
        1,
        max,
    )
}

fn validate_blocks(blocks: &[Value], path: &str) -> Result<(), String> {
    for (i, b) in blocks.iter().enumerate() {
        let p = format!("{path}/{i}");
        let o = obj(b, &p)?;
        let kind = o
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{p}/type must be a string"))?;
        opt_string(o, "block_id", &p, smax::BLOCK_ID)?;
        match kind {
            "header" => text_object(
                o.get("text").unwrap_or(&Value::Null),
                &format!("{p}/text"),
                smax::HEADER,
                true,
            )?,
            "section" => {
                if !o.contains_key("text") && !o.contains_key("fields") {
                    return Err(format!("{p}: a section needs text or fields"));
                }
                if let Some(t) = o.get("text") {
                    text_object(t, &format!("{p}/text"), smax::SECTION_TEXT, false)?;
                }
                if let Some(f) = o.get("fields") {
                    let fp = format!("{p}/fields");
                    for (j, f) in arr(f, &fp, smax::FIELDS)?.iter().enumerate() {
                        text_object(f, &format!("{fp}/{j}"), smax::FIELD_TEXT, false)?;
                    }
                }
            }
            "context" => {
                let ep = format!("{p}/elements");
                let el = arr(
                    o.get("elements").unwrap_or(&Value::Null),
                    &ep,
                    smax::CONTEXT_ELEMENTS,
                )?;
                if el.is_empty() {
                    return Err(format!("{ep} must not be empty"));
                }
                for (j, e) in el.iter().enumerate() {
                    let eo = obj(e, &format!("{ep}/{j}"))?;
                    if eo.get("type").and_then(Value::as_str) != Some("image") {
                        text_object(e, &format!("{ep}/{j}"), smax::CONTEXT_TEXT, false)?;
                    }
                }
            }
            "actions" => {
                let ep = format!("{p}/elements");
                let el = arr(
                    o.get("elements").unwrap_or(&Value::Null),
                    &ep,
                    smax::ACTIONS_ELEMENTS,
                )?;
                if el.is_empty() {
                    return Err(format!("{ep} must not be empty"));
                }
                for (j, e) in el.iter().enumerate() {
                    let bp = format!("{ep}/{j}");
                    let eo = obj(e, &bp)?;
                    if eo.get("type").and_then(Value::as_str) == Some("button") {
                        text_object(
                            eo.get("text").unwrap_or(&Value::Null),
                            &format!("{bp}/text"),
                            smax::BUTTON_TEXT,
                            true,
                        )?;
                        opt_string(eo, "url", &bp, smax::BUTTON_URL)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Structure and limits of a Slack message payload.
pub fn validate_slack(v: &Value) -> Result<(), String> {
    let o = obj(v, "the payload")?;
    if let Some(t) = o.get("text") {
        string(t, "/text", 0, 40_000)?;
    }
    let mut total = 0;
    if let Some(b) = o.get("blocks") {
        let blocks = arr(b, "/blocks", smax::BLOCKS)?;
        total += blocks.len();
        validate_blocks(blocks, "/blocks")?;
    }
    if let Some(a) = o.get("attachments") {
        for (i, att) in arr(a, "/attachments", 100)?.iter().enumerate() {
            let ap = format!("/attachments/{i}");
            let ao = obj(att, &ap)?;
            if let Some(b) = ao.get("blocks") {
                let bp = format!("{ap}/blocks");
                let blocks = arr(b, &bp, smax::BLOCKS)?;
                total += blocks.len();
                validate_blocks(blocks, &bp)?;
            }
        }
    }
    if total > smax::BLOCKS {
        return Err(format!(
            "{total} blocks in all; the limit is {}",
            smax::BLOCKS
        ));
    }
    let nonempty = |k: &str| match o.get(k) {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    };
    if !nonempty("text") && !nonempty("blocks") && !nonempty("attachments") {
        return Err("it needs text, blocks or attachments".into());
    }
    Ok(())
}

/// Structure and limits of a Discord webhook payload.
pub fn validate_discord(v: &Value) -> Result<(), String> {
    let o = obj(v, "the payload")?;
    opt_string(o, "content", "", dmax::CONTENT)?;
    if let Some(e) = o.get("embeds") {
        for (i, e) in arr(e, "/embeds", dmax::EMBEDS)?.iter().enumerate() {
            let p = format!("/embeds/{i}");
            let eo = obj(e, &p)?;
            opt_string(eo, "title", &p, dmax::TITLE)?;
            opt_string(eo, "description", &p, dmax::DESCRIPTION)?;
            opt_string(eo, "url", &p, dmax::URL)?;
            if let Some(c) = eo.get("color") {
                if c.as_u64().is_none_or(|c| c > 0xFF_FFFF) {
                    return Err(format!("{p}/color must be an integer 0..=16777215"));
                }
            }
            if let Some(f) = eo.get("footer") {
                opt_string(
                    obj(f, &format!("{p}/footer"))?,
                    "text",
                    &format!("{p}/footer"),
                    dmax::FOOTER,
                )?;
            }
            if let Some(a) = eo.get("author") {
                opt_string(
                    obj(a, &format!("{p}/author"))?,
                    "name",
                    &format!("{p}/author"),
                    dmax::AUTHOR,
                )?;
            }
            if let Some(f) = eo.get("fields") {
                let fp = format!("{p}/fields");
                for (j, f) in arr(f, &fp, dmax::FIELDS)?.iter().enumerate() {
                    let jp = format!("{fp}/{j}");
                    let fo = obj(f, &jp)?;
                    string(
                        fo.get("name").unwrap_or(&Value::Null),
                        &format!("{jp}/name"),
                        1,
                        dmax::FIELD_NAME,
                    )?;
                    string(
                        fo.get("value").unwrap_or(&Value::Null),
                        &format!("{jp}/value"),
                        1,
                        dmax::FIELD_VALUE,
                    )?;
                }
            }
        }
    }
    let total = embed_total(v);
    if total > dmax::TOTAL {
        return Err(format!(
            "the embeds hold {total} characters in all; the limit is {}",
            dmax::TOTAL
        ));
    }
    let content = o
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    let embeds = o
        .get("embeds")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty());
    if !content && !embeds {
        return Err("it needs content or embeds (Discord rejects an empty message)".into());
    }
    Ok(())
}

/// Which target a substitution is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Slack mrkdwn.
    Slack,
    /// Discord Markdown.
    Discord,
}

const URL_KEYS: &[&str] = &["url", "image_url", "icon_url", "avatar_url"];

/// Substitute variables in every string value (never in keys). Values are
/// redacted, e-mails hidden (unless `include_emails`) and escaped for the
/// target; in URL fields they are only redacted.
pub fn substitute(
    v: &mut Value,
    vars: &Vars,
    target: Target,
    include_emails: bool,
) -> Result<(), UnknownVariable> {
    fn walk(
        v: &mut Value,
        key: Option<&str>,
        vars: &Vars,
        esc: &dyn Fn(&str) -> String,
        url_esc: &dyn Fn(&str) -> String,
    ) -> Result<(), UnknownVariable> {
        match v {
            Value::String(s) if s.contains("{{") => {
                let is_url = key.is_some_and(|k| URL_KEYS.contains(&k));
                *s = template::render(s, vars, if is_url { url_esc } else { esc })?;
            }
            Value::Array(a) => {
                for x in a {
                    walk(x, key, vars, esc, url_esc)?;
                }
            }
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    walk(x, Some(k), vars, esc, url_esc)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let url_esc = |s: &str| crate::redact::redact_patterns(s);
    match target {
        Target::Slack => {
            let esc = |s: &str| slack_escape(&clean(s, include_emails));
            walk(v, None, vars, &esc, &url_esc)
        }
        Target::Discord => {
            let esc = |s: &str| discord_escape(&clean(s, include_emails));
            walk(v, None, vars, &esc, &url_esc)
        }
    }
}

/// Whether a string value is at most `max` characters (non-strings pass).
fn fits(v: &Value, max: usize) -> bool {
    v.as_str().is_none_or(|s| len(s) <= max)
}

/// Remove the URL keys of an object whose value is longer than `max`.
fn drop_long_url(v: &mut Value, max: usize) {
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, x| !URL_KEYS.contains(&k.as_str()) || fits(x, max));
    }
}

fn clamp_str(v: &mut Value, max: usize, escaped: bool) {
    if let Value::String(s) = v {
        if len(s) > max {
            *s = if escaped {
                truncate_escaped(s, max)
            } else {
                truncate(s, max)
            };
        }
    }
}

/// A variable without a value can leave a text empty, which Slack and
/// Discord reject: put a dash there.
fn not_blank(v: &mut Value) {
    if let Value::String(s) = v {
        if s.trim().is_empty() {
            *s = "-".into();
        }
    }
}

fn clamp_text_object(v: &mut Value, max: usize) {
    if let Some(t) = v.get_mut("text") {
        not_blank(t);
        clamp_str(t, max, true);
    }
}

/// A list cut at whole items with a last one saying how many were left
/// out (`… and N more`, made by `more`); `max == 0` leaves nothing.
fn cut_list(items: &mut Vec<Value>, max: usize, more: impl Fn(usize) -> Value) {
    if items.len() <= max {
        return;
    }
    if max == 0 {
        items.clear();
        return;
    }
    let omitted = items.len() - (max - 1);
    items.truncate(max - 1);
    items.push(more(omitted));
}

fn more_mrkdwn(omitted: usize) -> Value {
    json!({ "type": "mrkdwn", "text": more_line(omitted) })
}

fn clamp_blocks(blocks: &mut Vec<Value>, room: usize) {
    cut_list(
        blocks,
        room,
        |n| json!({ "type": "context", "elements": [more_mrkdwn(n)] }),
    );
    for b in blocks.iter_mut() {
        match b.get("type").and_then(Value::as_str) {
            Some("header") => {
                if let Some(t) = b.get_mut("text") {
                    clamp_text_object(t, smax::HEADER);
                }
            }
            Some("section") => {
                if let Some(t) = b.get_mut("text") {
                    clamp_text_object(t, smax::SECTION_TEXT);
                }
                if let Some(Value::Array(f)) = b.get_mut("fields") {
                    cut_list(f, smax::FIELDS, more_mrkdwn);
                    f.iter_mut()
                        .for_each(|f| clamp_text_object(f, smax::FIELD_TEXT));
                }
            }
            Some("context") => {
                if let Some(Value::Array(e)) = b.get_mut("elements") {
                    cut_list(e, smax::CONTEXT_ELEMENTS, more_mrkdwn);
                    e.iter_mut()
                        .for_each(|e| clamp_text_object(e, smax::CONTEXT_TEXT));
                }
            }
            Some("actions") => {
                if let Some(Value::Array(e)) = b.get_mut("elements") {
                    // A URL a variable made too long cannot be cut (the link
                    // would break): its button goes, as in the builders.
                    e.retain(|e| e.get("url").is_none_or(|u| fits(u, smax::BUTTON_URL)));
                    e.truncate(smax::ACTIONS_ELEMENTS);
                    for e in e.iter_mut() {
                        if let Some(t) = e.get_mut("text") {
                            clamp_text_object(t, smax::BUTTON_TEXT);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Enforce Slack's limits by truncation; set the `text` fallback when
/// missing (from `fallback`, else the header).
pub fn finish_slack(v: &mut Value, fallback: Option<&str>) {
    let mut room = smax::BLOCKS;
    if let Some(Value::Array(blocks)) = v.get_mut("blocks") {
        clamp_blocks(blocks, room);
        room -= blocks.len();
    }
    if let Some(Value::Array(atts)) = v.get_mut("attachments") {
        for a in atts.iter_mut() {
            if let Some(Value::Array(blocks)) = a.get_mut("blocks") {
                clamp_blocks(blocks, room);
                room -= blocks.len();
            }
        }
    }
    let has_text = v
        .get("text")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.trim().is_empty());
    if !has_text {
        let header = v
            .get("blocks")
            .and_then(Value::as_array)
            .and_then(|b| b.iter().find(|b| b["type"] == "header"))
            .and_then(|b| b["text"]["text"].as_str())
            .map(String::from);
        let text = fallback
            .map(|f| slack_escape(&clean(f, false)))
            .or(header)
            .unwrap_or_else(|| "(message)".into());
        v["text"] = Value::String(text);
    }
    if let Some(t) = v.get_mut("text") {
        clamp_str(t, 40_000, true);
    }
}

/// N of a field that says `… and N more` (see [`more_field`]).
fn more_count(field: &Value) -> Option<usize> {
    if field["name"] != crate::text::ELLIPSIS.to_string().as_str() {
        return None;
    }
    let v = field["value"].as_str()?;
    v.strip_prefix("… and ")?
        .strip_suffix(" more")?
        .parse()
        .ok()
}

fn more_field(omitted: usize) -> Value {
    json!({ "name": crate::text::ELLIPSIS.to_string(), "value": more_line(omitted), "inline": false })
}

/// Enforce Discord's limits by truncation and replace `allowed_mentions`
/// with `{"parse": []}` plus the configured ids.
pub fn finish_discord(v: &mut Value, mentions: &[Mention]) {
    if let Some(c) = v.get_mut("content") {
        clamp_str(c, dmax::CONTENT, false);
        if let Value::String(s) = c {
            *s = defuse_everyone(s);
            if len(s) > dmax::CONTENT {
                *s = truncate(s, dmax::CONTENT);
            }
        }
    }
    if let Some(Value::Array(embeds)) = v.get_mut("embeds") {
        embeds.truncate(dmax::EMBEDS);
        for e in embeds.iter_mut() {
            clamp_str(&mut e["title"], dmax::TITLE, false);
            if let Some(d) = e.get_mut("description") {
                clamp_str(d, dmax::DESCRIPTION, false);
            }
            if let Some(f) = e.get_mut("footer").and_then(|f| f.get_mut("text")) {
                clamp_str(f, dmax::FOOTER, false);
            }
            if let Some(Value::Array(fields)) = e.get_mut("fields") {
                cut_list(fields, dmax::FIELDS, more_field);
                for f in fields.iter_mut() {
                    for (key, max) in [("name", dmax::FIELD_NAME), ("value", dmax::FIELD_VALUE)] {
                        not_blank(&mut f[key]);
                        clamp_str(&mut f[key], max, false);
                    }
                }
            }
            if e.get("title") == Some(&Value::Null) {
                e.as_object_mut().map(|o| o.remove("title"));
            }
            // A URL a variable made too long cannot be cut: it goes.
            drop_long_url(e, dmax::URL);
            for part in ["author", "footer", "image", "thumbnail"] {
                if let Some(p) = e.get_mut(part) {
                    drop_long_url(p, dmax::URL);
                }
            }
        }
        // The 6000 total: shrink descriptions, last embed first.
        let mut excess = embed_total(v).saturating_sub(dmax::TOTAL);
        if let Some(Value::Array(embeds)) = v.get_mut("embeds") {
            for e in embeds.iter_mut().rev() {
                if excess == 0 {
                    break;
                }
                if let Some(Value::String(d)) = e.get_mut("description") {
                    let n = len(d);
                    let keep = n.saturating_sub(excess + 1);
                    *d = if keep == 0 {
                        "…".into()
                    } else {
                        truncate(d, keep)
                    };
                    excess = excess.saturating_sub(n - len(d));
                }
            }
        }
        // Still over: whole fields left out from the last embed backwards,
        // with a last field saying how many.
        let count = v["embeds"].as_array().map_or(0, Vec::len);
        for i in (0..count).rev() {
            let mut dropped = 0;
            while embed_total(v) > dmax::TOTAL {
                let Some(Value::Array(fields)) = v["embeds"][i].get_mut("fields") else {
                    break;
                };
                // A `… and N more` already there (the 25-field cut, or the
                // previous turn) is replaced by one with the new count.
                if let Some(n) = fields.last().and_then(more_count) {
                    dropped = n;
                    fields.pop();
                }
                if fields.pop().is_none() {
                    break;
                }
                dropped += 1;
                fields.push(more_field(dropped));
            }
        }
    }
    let users: Vec<&str> = mentions
        .iter()
        .filter_map(|m| match m {
            Mention::DiscordUser(id) => Some(id.as_str()),
            _ => None,
        })
        .take(dmax::ALLOWED_MENTION_IDS)
        .collect();
    let roles: Vec<&str> = mentions
        .iter()
        .filter_map(|m| match m {
            Mention::DiscordRole(id) => Some(id.as_str()),
            _ => None,
        })
        .take(dmax::ALLOWED_MENTION_IDS)
        .collect();
    let mut allowed = json!({ "parse": [] });
    if !users.is_empty() {
        allowed["users"] = json!(users);
    }
    if !roles.is_empty() {
        allowed["roles"] = json!(roles);
    }
    v["allowed_mentions"] = allowed;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_and_validates() {
        let slack = json!({"text": "hi", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x"}}]});
        assert!(parse(slack.clone()).unwrap().slack.is_some());
        let discord = json!({"embeds": [{"title": "x"}]});
        assert!(parse(discord).unwrap().discord.is_some());
        let both = json!({"slack": slack, "discord": {"content": "x"}});
        let f = parse(both).unwrap();
        assert!(f.slack.is_some() && f.discord.is_some());

        let long_header = json!({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x".repeat(151)}}]});
        let err = parse(long_header).unwrap_err();
        assert!(err.contains("/blocks/0/text/text"), "{err}");
        assert!(parse(json!({"blocks": []})).is_err());
        assert!(parse(json!({"embeds": [], "content": ""})).is_err());
        assert!(parse(json!([1])).is_err());
        assert!(parse(json!({"text": "a", "embeds": []})).is_err());
        let too_many = json!({"embeds": [{"fields": (0..26).map(|i| json!({"name": i.to_string(), "value": "v"})).collect::<Vec<_>>()}]});
        assert!(parse(too_many).is_err());
    }

    #[test]
    fn substitution_escapes_for_the_target() {
        let mut vars = Vars::new();
        vars.set("title", "<!channel> @everyone");
        vars.set("run_url", "https://ci.example/run?a=1&b=2");
        let mut s = json!({"text": "{{title}}", "blocks": [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "run"}, "url": "{{run_url}}"}]}]});
        substitute(&mut s, &vars, Target::Slack, false).unwrap();
        assert_eq!(s["text"], "&lt;!channel&gt; @\u{200B}everyone");
        assert_eq!(
            s["blocks"][0]["elements"][0]["url"],
            "https://ci.example/run?a=1&b=2"
        );
        let mut d = json!({"content": "{{title}}"});
        substitute(&mut d, &vars, Target::Discord, false).unwrap();
        assert_eq!(d["content"], "\\<!channel\\> @\u{200B}everyone");
        assert!(
            substitute(
                &mut json!({"text": "{{nope}}"}),
                &vars,
                Target::Slack,
                false
            )
            .is_err()
        );
    }

    #[test]
    fn finishing_enforces_limits() {
        let mut s = json!({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x".repeat(400)}}]});
        finish_slack(&mut s, None);
        assert!(validate_slack(&s).is_ok());
        assert!(s["text"].as_str().is_some());
        let mut d = json!({"content": "@everyone", "embeds": [{"description": "d".repeat(4096)}, {"description": "e".repeat(4096)}], "allowed_mentions": {"parse": ["everyone"]}});
        finish_discord(&mut d, &[]);
        assert!(validate_discord(&d).is_ok(), "{}", embed_total(&d));
        assert_eq!(d["allowed_mentions"], json!({"parse": []}));
        assert_ne!(d["content"], "@everyone");
    }

    /// Lists in a payload file are cut at whole items, with a last item
    /// `… and N more` (blocks, section fields, context elements, Discord
    /// fields, and fields left out for the 6000 total).
    #[test]
    fn payload_lists_are_cut_at_whole_items_and_say_how_many() {
        let field = json!({"type": "mrkdwn", "text": "f"});
        let section = json!({"type": "section", "fields": vec![field; 12]});
        let mut s = json!({"text": "t", "blocks": vec![section; 60]});
        finish_slack(&mut s, None);
        assert!(validate_slack(&s).is_ok());
        let blocks = s["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 50);
        assert_eq!(blocks[49]["elements"][0]["text"], "… and 11 more");
        assert_eq!(blocks[0]["fields"].as_array().unwrap().len(), 10);
        assert_eq!(blocks[0]["fields"][9]["text"], "… and 3 more");

        let f = json!({"name": "k", "value": "v".repeat(1000)});
        let mut d = json!({"embeds": [{"title": "t", "fields": vec![f; 30]}]});
        finish_discord(&mut d, &[]);
        assert!(validate_discord(&d).is_ok(), "{}", embed_total(&d));
        let fields = d["embeds"][0]["fields"].as_array().unwrap();
        let real = fields.iter().filter(|f| f["name"] == "k").count();
        assert!(real < 24, "the 6000 total drops more than the count does");
        assert_eq!(
            fields.last().unwrap()["value"],
            format!("… and {} more", 30 - real)
        );
    }

    /// Found by fuzzing: a variable that makes a URL longer than its limit
    /// (a button's 3000, an embed's 2048) must not reach the API.
    #[test]
    fn urls_made_too_long_by_variables_are_dropped() {
        let mut vars = Vars::new();
        vars.set("title", "x".repeat(5000));
        let mut s = json!({"blocks": [{"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "a"}, "url": "https://e.test/{{title}}"},
            {"type": "button", "text": {"type": "plain_text", "text": "b"}, "url": "https://e.test/ok"}]}]});
        substitute(&mut s, &vars, Target::Slack, false).unwrap();
        finish_slack(&mut s, Some("t"));
        let els = s["blocks"][0]["elements"].as_array().unwrap();
        assert_eq!(els.len(), 1);
        assert_eq!(els[0]["url"], "https://e.test/ok");
        assert!(validate_slack(&s).is_ok());
        let mut d = json!({"embeds": [{"title": "t", "url": "https://e.test/{{title}}",
            "author": {"name": "a", "url": "https://e.test/{{title}}"}}]});
        substitute(&mut d, &vars, Target::Discord, false).unwrap();
        finish_discord(&mut d, &[]);
        assert!(d["embeds"][0].get("url").is_none());
        assert!(d["embeds"][0]["author"].get("url").is_none());
        assert_eq!(d["embeds"][0]["author"]["name"], "a");
    }
}
