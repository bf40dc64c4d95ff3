//! The fuzz targets of obsctl's parsers, as plain functions of `&[u8]`.
//!
//! Each `fuzz_targets/<name>.rs` is a one-line libFuzzer wrapper around the
//! function of the same name here, and `src/bin/fuzz-stable.rs` runs the
//! same functions on the stable toolchain (see `run.sh`). A target panics
//! when obsctl panics or when a property below does not hold.
//!
//! obsctl has no HTTP `Link` header parser (it never follows pagination
//! links: GitHub lookups ask for `per_page=100` once), so there is no
//! target for one.

use std::str::FromStr;
use std::time::Duration;

use obsctl::context::{Repo, github_urls, parse_remote_slug, parse_url};
use obsctl::http::{self, Provider, Response, server_requested_wait};
use obsctl::message::escape::mentions;
use obsctl::message::limits::{self, discord as dmax, len, slack as smax};
use obsctl::message::payload::{self, Target as To};
use obsctl::message::slack::all_blocks;
use obsctl::message::template::{self, Vars};
use obsctl::message::{Message, Severity, discord_payload, slack_payload};
use obsctl::redact::{Redactor, redact_patterns};
use serde_json::Value;

/// A fuzz target: one input, panics on a finding.
pub type Target = fn(&[u8]);

/// Every target, by name (the names of `fuzz_targets/*.rs`).
pub const TARGETS: &[(&str, Target)] = &[
    ("version", version),
    ("repo_slug", repo_slug),
    ("remote_url", remote_url),
    ("config_urls", config_urls),
    ("retry_after", retry_after),
    ("redact", redact),
    ("payload", payload),
    ("template", template),
    ("message", message),
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `release::validate_version`: never panics; what it accepts is a usable
/// Sentry version and GitHub tag.
pub fn version(data: &[u8]) {
    let v = text(data);
    match obsctl::release::validate_version(&v) {
        Ok(()) => {
            assert!(!v.is_empty());
            assert_eq!(v.trim(), v);
            assert!(v.chars().count() <= obsctl::release::MAX_VERSION_LEN);
            assert!(!v.contains(['/', '\\', '\n', '\r', '\t']));
            assert!(!matches!(v.as_str(), "." | ".." | "latest"));
            // The segment obsctl puts in Sentry URLs is one segment.
            assert!(!http::segment(&v).contains('/'));
        }
        Err(e) => assert!(e.starts_with("invalid release version"), "{e}"),
    }
}

/// `Repo::from_str` (GITHUB_REPOSITORY, --repo): what parses prints back
/// as itself and parses again to the same slug.
pub fn repo_slug(data: &[u8]) {
    let s = text(data);
    if let Ok(repo) = Repo::from_str(&s) {
        let shown = repo.to_string();
        assert_eq!(Repo::from_str(&shown).expect("reparses"), repo);
        assert_eq!(shown, s.trim());
        assert!(!repo.owner.is_empty() && !repo.name.is_empty());
    }
}

/// `context::parse_remote_slug` (git remote URLs: scp-like, https, ssh).
pub fn remote_url(data: &[u8]) {
    let s = text(data);
    if let Some(repo) = parse_remote_slug(&s) {
        let slug = repo.to_string();
        assert_eq!(Repo::from_str(&slug).expect("a valid slug"), repo);
        // `.git` is stripped once: a name keeps it only from `x.git.git`.
        assert!(
            !repo.name.ends_with(".git") || s.contains(".git.git"),
            "{s:?} gave {slug}"
        );
        // The same repository as an https remote gives the same slug.
        let https = format!("https://github.com/{slug}.git");
        if !repo.name.ends_with(".git") {
            assert_eq!(parse_remote_slug(&https), Some(repo));
        }
    }
}

/// `parse_url` and `github_urls` (GITHUB_API_URL, GITHUB_GRAPHQL_URL,
/// GITHUB_SERVER_URL, SENTRY_URL), and `http::join` on what they accept.
/// Input: up to three lines; an empty line is an unset variable.
pub fn config_urls(data: &[u8]) {
    let s = text(data);
    let mut lines = s.split('\n');
    let mut next = || lines.next().filter(|l| !l.is_empty());
    let (api, graphql, server) = (next(), next(), next());
    if let Some(Ok(u)) = api.map(|a| parse_url("SENTRY_URL", a)) {
        assert!(matches!(u.scheme(), "http" | "https"));
        assert!(u.host().is_some());
        let joined = http::join(&u, "organizations/acme/releases/");
        assert!(joined.path().ends_with("organizations/acme/releases/"));
        assert!(joined.path().starts_with(u.path().trim_end_matches('/')));
    }
    if let Ok((api, graphql, server)) = github_urls(api, graphql, server) {
        for u in [&api, &graphql, &server] {
            assert!(matches!(u.scheme(), "http" | "https"), "{u}");
        }
        let repos = http::join(&api, "repos/acme/web/releases");
        assert!(
            repos.path().ends_with("/repos/acme/web/releases"),
            "{repos}"
        );
    }
}

/// `http::server_requested_wait`: `Retry-After` (seconds or a date),
/// `x-ratelimit-reset`, Discord's JSON `retry_after`. Input: the first byte
/// picks the status, then `name: value` header lines, an empty line, the
/// body.
pub fn retry_after(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let status = [429u16, 403, 503, 500, 200][first as usize % 5];
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = reqwest::header::HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = reqwest::header::HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (name, value) {
            headers.append(n, v);
        }
    }
    let resp = Response {
        provider: Provider::GitHub,
        op: "fuzz".into(),
        status: reqwest::StatusCode::from_u16(status).expect("valid status"),
        headers,
        body: bytes::Bytes::copy_from_slice(body),
        dry_run: false,
    };
    if let Some(wait) = server_requested_wait(&resp) {
        // What the retry loop does with it must not overflow either.
        let _ = wait.as_secs_f64().ceil();
        let _ = Duration::from_secs(60).checked_sub(wait);
    }
    let _ = resp.error_message();
}

/// Replacement labels, each replaced by a separator before looking for a
/// secret in redacted text (a secret may be spelled like part of a label).
const LABELS: &[&str] = &[
    "Bearer <redacted>",
    "hooks.slack.com/<redacted>",
    "<redacted>",
    "<github-token>",
    "<slack-token>",
    "<sentry-token>",
    "<dsn-key>",
    "<SECRET>",
];

/// `redact::redact_patterns` is idempotent and never panics; a registered
/// secret never survives `Redactor::redact`. Input: a first line used as a
/// secret, then the text.
pub fn redact(data: &[u8]) {
    let s = text(data);
    let once = redact_patterns(&s);
    let twice = redact_patterns(&once);
    assert_eq!(once, twice, "redact_patterns is not idempotent on {s:?}");

    if let Some((secret, body)) = s.split_once('\n') {
        let secret = secret.trim();
        let plain = secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let r = Redactor::new().with_secret("SECRET", secret);
        let out = r.redact(body);
        assert_eq!(r.redact(&out), out, "Redactor::redact is not idempotent");
        if plain && secret.len() >= 6 {
            let mut rest = out.clone();
            for l in LABELS {
                rest = rest.replace(l, "\u{0}");
            }
            assert!(
                !rest.contains(secret),
                "secret {secret:?} survived in {out:?}"
            );
        }
    }
}

/// `--payload` files: recognition and validation, variable substitution
/// (a variable may hold anything) and the final truncation: what obsctl
/// would send is within every Slack and Discord limit. Input: the value of
/// `{{title}}`, a line `---`, the JSON file.
pub fn payload(data: &[u8]) {
    let s = text(data);
    let (title, json) = match s.split_once("\n---\n") {
        Some((t, j)) => (t.to_string(), j.to_string()),
        None => ("T".to_string(), s.clone()),
    };
    let Ok(v) = serde_json::from_str::<Value>(&json) else {
        return;
    };
    let Ok(file) = payload::parse(v) else {
        return;
    };
    let mut vars = Vars::new();
    vars.set("title", title.clone());
    vars.set("text", title.repeat(3));
    vars.set("version", "1.2.3");
    if let Some(mut sl) = file.slack
        && payload::substitute(&mut sl, &vars, To::Slack, false).is_ok()
    {
        payload::finish_slack(&mut sl, Some(&title));
        check_slack(&sl);
    }
    if let Some(mut d) = file.discord
        && payload::substitute(&mut d, &vars, To::Discord, false).is_ok()
    {
        let ids = mentions(&["U024BE7LH".into(), "role:80351110224678913".into()]);
        payload::finish_discord(&mut d, &ids);
        check_discord(&d);
    }
}

/// `template::render`: never panics; text without `{{` is unchanged; what
/// it substitutes is escaped.
pub fn template(data: &[u8]) {
    let s = text(data);
    let mut vars = Vars::new();
    vars.set("version", "1.2.3");
    vars.set("title", "<b>&{{version}}");
    let esc = |v: &str| v.replace('<', "&lt;");
    match template::render(&s, &vars, &esc) {
        Ok(out) => {
            if !s.contains("{{") {
                assert_eq!(out, s);
            }
            // A value is not rendered again (no template injection).
            if s.contains("{{title}}") {
                assert!(out.contains("&lt;b>&{{version}}"), "{out:?}");
            }
        }
        Err(e) => assert!(!template::is_known(&e.name), "{e:?}"),
    }
}

/// Any `Message` becomes Slack (API and webhook) and Discord payloads
/// within every limit. Input: fields separated by U+001F (title, text,
/// then name/value pairs, label/url pairs after a U+001E, context lines
/// after a second U+001E).
pub fn message(data: &[u8]) {
    let s = text(data);
    let mut sections = s.split('\u{1e}');
    let head: Vec<&str> = sections.next().unwrap_or("").split('\u{1f}').collect();
    let links: Vec<&str> = sections.next().unwrap_or("").split('\u{1f}').collect();
    let context: Vec<String> = sections
        .next()
        .unwrap_or("")
        .split('\u{1f}')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    let severity = [
        Severity::Info,
        Severity::Success,
        Severity::Warning,
        Severity::Critical,
    ][s.len() % 4];
    let msg = Message {
        title: head.first().copied().unwrap_or("").to_string(),
        text: head.get(1).copied().unwrap_or("").to_string(),
        severity,
        fields: head
            .get(2..)
            .unwrap_or(&[])
            .chunks(2)
            .map(|c| {
                (
                    c[0].to_string(),
                    c.get(1).copied().unwrap_or("").to_string(),
                )
            })
            .collect(),
        links: links
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect(),
        mentions: vec![
            "U024BE7LH".into(),
            "80351110224678912".into(),
            head.get(1).copied().unwrap_or("").to_string(),
        ],
        context,
        url: links.first().map(|l| l.to_string()),
        include_emails: s.len().is_multiple_of(2),
        ..Message::default()
    };
    let api = slack_payload(&msg, Some("#deployments"));
    check_slack(&api);
    assert!(!api["text"].as_str().expect("text").trim().is_empty());
    check_slack(&slack_payload(&msg, None));
    let d = discord_payload(&msg);
    check_discord(&d);
    assert_eq!(d["allowed_mentions"]["parse"], serde_json::json!([]));
}

fn str_len(v: &Value) -> usize {
    v.as_str().map_or(0, len)
}

fn at_most(what: &str, v: &Value, max: usize) {
    let n = str_len(v);
    assert!(n <= max, "{what}: {n} > {max}");
}

/// Slack's Block Kit limits (the ones obsctl's payloads can reach).
pub fn check_slack(p: &Value) {
    at_most("text", &p["text"], 40_000);
    let blocks = all_blocks(p);
    assert!(blocks.len() <= smax::BLOCKS, "{} blocks", blocks.len());
    for b in blocks {
        at_most("block_id", &b["block_id"], smax::BLOCK_ID);
        match b["type"].as_str().unwrap_or("") {
            "header" => at_most("header", &b["text"]["text"], smax::HEADER),
            "section" => {
                at_most("section", &b["text"]["text"], smax::SECTION_TEXT);
                let fields = b["fields"].as_array().map_or(&[][..], Vec::as_slice);
                assert!(fields.len() <= smax::FIELDS, "{} fields", fields.len());
                for f in fields {
                    at_most("field", &f["text"], smax::FIELD_TEXT);
                }
            }
            "context" => {
                let els = b["elements"].as_array().map_or(&[][..], Vec::as_slice);
                assert!(els.len() <= smax::CONTEXT_ELEMENTS);
                for e in els {
                    at_most("context", &e["text"], smax::CONTEXT_TEXT);
                }
            }
            "actions" => {
                let els = b["elements"].as_array().map_or(&[][..], Vec::as_slice);
                assert!(els.len() <= smax::ACTIONS_ELEMENTS);
                for e in els {
                    at_most("button", &e["text"]["text"], smax::BUTTON_TEXT);
                    at_most("button url", &e["url"], smax::BUTTON_URL);
                }
            }
            _ => {}
        }
    }
}

/// Discord's webhook limits.
pub fn check_discord(p: &Value) {
    at_most("content", &p["content"], dmax::CONTENT);
    let embeds = p["embeds"].as_array().map_or(&[][..], Vec::as_slice);
    assert!(embeds.len() <= dmax::EMBEDS);
    let mut total = 0;
    for e in embeds {
        at_most("title", &e["title"], dmax::TITLE);
        at_most("description", &e["description"], dmax::DESCRIPTION);
        at_most("footer", &e["footer"]["text"], dmax::FOOTER);
        at_most("author", &e["author"]["name"], dmax::AUTHOR);
        at_most("url", &e["url"], dmax::URL);
        total += str_len(&e["title"])
            + str_len(&e["description"])
            + str_len(&e["footer"]["text"])
            + str_len(&e["author"]["name"]);
        let fields = e["fields"].as_array().map_or(&[][..], Vec::as_slice);
        assert!(fields.len() <= dmax::FIELDS);
        for f in fields {
            at_most("field name", &f["name"], dmax::FIELD_NAME);
            at_most("field value", &f["value"], dmax::FIELD_VALUE);
            total += str_len(&f["name"]) + str_len(&f["value"]);
        }
    }
    assert!(
        total <= dmax::TOTAL,
        "embeds total {total} > {}",
        dmax::TOTAL
    );
    let ids = p["allowed_mentions"]["users"]
        .as_array()
        .map_or(0, Vec::len)
        + p["allowed_mentions"]["roles"]
            .as_array()
            .map_or(0, Vec::len);
    assert!(ids <= 2 * dmax::ALLOWED_MENTION_IDS);
    let _ = limits::ELLIPSIS;
}
