//! Secret redaction: one immutable [`Redactor`] built from the resolved
//! configuration, applied to every line obsctl prints (logs, errors, dry-run
//! output, `$GITHUB_OUTPUT`, step summaries) and to message text it sends.
//!
//! Two layers:
//! - **known secrets**: the exact values read from flags and environment
//!   (tokens, webhook URLs), replaced by `<NAME>`;
//! - **token-looking strings**: GitHub, Slack, Sentry tokens, Slack and Discord
//!   webhook paths and `Bearer …` values, replaced even when obsctl was not
//!   told about them (a token pasted into a commit message, say).

use std::sync::{Arc, LazyLock, RwLock};

use regex::Regex;

/// Secrets shorter than this are not registered: replacing a 3-character
/// "token" everywhere would mangle ordinary text and protects nothing.
const MIN_SECRET_LEN: usize = 6;

/// A token pattern, its replacement, and a literal every match contains
/// (ASCII, matched case-insensitively): the regex is compiled and run only
/// on text that contains the literal, so a command that prints nothing
/// token-like compiles none of them (they are a good part of a short
/// command's start-up).
struct TokenPattern {
    literal: &'static str,
    replacement: &'static str,
    regex: LazyLock<Regex>,
}

macro_rules! token_pattern {
    ($literal:expr, $pattern:expr, $replacement:expr) => {
        TokenPattern {
            literal: $literal,
            replacement: $replacement,
            regex: LazyLock::new(|| Regex::new($pattern).expect("valid redaction pattern")),
        }
    };
}

static TOKEN_PATTERNS: [TokenPattern; 9] = [
    token_pattern!("gh", r"\bgh[pousr]_[A-Za-z0-9_]{16,}", "<github-token>"),
    token_pattern!(
        "github_pat_",
        r"\bgithub_pat_[A-Za-z0-9_]{20,}",
        "<github-token>"
    ),
    token_pattern!(
        "xox",
        r"\bxox[abposre](\.xox[abposr])?-[A-Za-z0-9-]{8,}",
        "<slack-token>"
    ),
    token_pattern!("xapp-", r"\bxapp-[A-Za-z0-9-]{8,}", "<slack-token>"),
    token_pattern!(
        "sntry",
        r"\bsntry[su]_[A-Za-z0-9+/=_]{16,}",
        "<sentry-token>"
    ),
    token_pattern!(
        "hooks.slack.com/",
        r"(?i)hooks\.slack\.com/(services|workflows|triggers)/[A-Za-z0-9/_-]+",
        "hooks.slack.com/<redacted>"
    ),
    token_pattern!(
        "/webhooks/",
        r"(?i)(discord(app)?\.com/api(/v\d+)?/webhooks/\d+/)[A-Za-z0-9_-]+",
        "${1}<redacted>"
    ),
    token_pattern!(
        "bearer",
        r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
        "Bearer <redacted>"
    ),
    token_pattern!(
        "@",
        r"(https?://)[0-9a-f]{32}(:[0-9a-f]{32})?@([A-Za-z0-9.-]+(:\d+)?/)",
        "${1}<dsn-key>@${3}"
    ),
];

/// Whether `text` contains `literal` (ASCII), ignoring ASCII case.
fn contains_ignore_case(text: &str, literal: &str) -> bool {
    let (t, l) = (text.as_bytes(), literal.as_bytes());
    l.is_empty() || t.windows(l.len()).any(|w| w.eq_ignore_ascii_case(l))
}

/// Replaces secrets in text. Cheap to clone; immutable once built.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// (secret, label), longest first so that a URL containing a token is
    /// replaced whole before the token alone.
    secrets: Vec<(String, String)>,
    /// Secrets learned while the command runs (a DSN key read from the
    /// Sentry API): shared by every clone of this redactor, append-only.
    late: Arc<RwLock<Vec<(String, String)>>>,
}

impl Redactor {
    /// A redactor with no known secrets (the patterns still apply).
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a secret value under a label (usually the variable name).
    pub fn with_secret(mut self, label: &str, value: &str) -> Self {
        self.add(label, value);
        self
    }

    /// Register a secret value under `label`: it is replaced by `<label>`
    /// wherever it appears. Values shorter than a few characters, or already
    /// registered, are ignored; surrounding white space is trimmed.
    pub fn add(&mut self, label: &str, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|(s, _)| s == value) {
            return;
        }
        self.secrets.push((value.to_string(), format!("<{label}>")));
        // The forms a secret takes once escaped for a target (Slack's
        // `&amp; &lt; &gt;`, HTML, JSON strings, Markdown backslashes):
        // text is escaped before it is redacted on its way out.
        for escaped in escaped_forms(value) {
            if !self.secrets.iter().any(|(s, _)| *s == escaped) {
                self.secrets.push((escaped, format!("<{label}>")));
            }
        }
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
    }

    /// Register a secret URL (a webhook, a DSN): the whole URL, and the
    /// parts that are secret on their own, so that a server reflecting only
    /// the path (or a log line showing only the token) is redacted too:
    /// the path, its last segment (the token of Slack and Discord webhooks),
    /// the query, and the user and password (a DSN's key).
    pub fn add_url(&mut self, label: &str, value: &str) {
        self.add(label, value);
        let Ok(url) = url::Url::parse(value.trim()) else {
            return;
        };
        // Parts shorter than this could be ordinary words or ids.
        const MIN_PART: usize = 16;
        let mut parts: Vec<String> = vec![url.username().to_string()];
        parts.extend(url.password().map(String::from));
        let path = url.path().trim_end_matches('/');
        if path.len() >= MIN_PART {
            parts.push(path.to_string());
        }
        if let Some(last) = path.rsplit('/').next() {
            if last.len() >= MIN_PART {
                parts.push(last.to_string());
            }
        }
        if let Some(q) = url.query().filter(|q| q.len() >= MIN_PART) {
            parts.push(q.to_string());
        }
        for part in parts {
            if part.len() >= MIN_SECRET_LEN {
                self.add(label, &part);
            }
        }
    }

    /// Register a secret learned at run time (every clone sees it). Returns
    /// whether it was new (the caller then masks it in Actions).
    pub fn add_late(&self, label: &str, value: &str) -> bool {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|(s, _)| s == value) {
            return false;
        }
        let mut late = self.late.write().expect("redactor lock");
        if late.iter().any(|(s, _)| s == value) {
            return false;
        }
        late.push((value.to_string(), format!("<{label}>")));
        late.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        true
    }

    /// The registered secret values, for `::add-mask::`.
    pub fn secrets(&self) -> Vec<String> {
        let late = self.late.read().expect("redactor lock");
        self.secrets
            .iter()
            .chain(late.iter())
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// Redact the known secrets only (not token-looking strings): for what
    /// obsctl sends, where untrusted text is handled by its target's escaping.
    pub fn redact_known(&self, text: &str) -> String {
        let mut out = text.to_string();
        let late = self.late.read().expect("redactor lock");
        let mut all: Vec<&(String, String)> = self.secrets.iter().chain(late.iter()).collect();
        if !late.is_empty() {
            all.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        }
        for (secret, label) in all {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), label);
            }
        }
        out
    }

    /// Redact known secrets and token-looking strings.
    pub fn redact(&self, text: &str) -> String {
        redact_patterns(&self.redact_known(text))
    }
}

/// A secret as it reads after escaping for Slack/HTML, in a JSON string
/// and with Markdown backslashes (only the forms that differ from it).
fn escaped_forms(value: &str) -> Vec<String> {
    let html = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let json = serde_json::to_string(value)
        .map(|q| q[1..q.len() - 1].to_string())
        .unwrap_or_default();
    let markdown: String = value
        .chars()
        .flat_map(|c| {
            let escape = c.is_ascii_punctuation();
            escape.then_some('\\').into_iter().chain([c])
        })
        .collect();
    let mut forms = Vec::new();
    for f in [html, json, markdown] {
        if !f.is_empty() && f != value && !forms.contains(&f) {
            forms.push(f);
        }
    }
    forms
}

/// Redact token-looking strings only (no registered secrets): for untrusted
/// text that goes into messages.
pub fn redact_patterns(text: &str) -> String {
    let mut out = std::borrow::Cow::Borrowed(text);
    for p in &TOKEN_PATTERNS {
        if !contains_ignore_case(&out, p.literal) {
            continue;
        }
        if p.regex.is_match(&out) {
            out = std::borrow::Cow::Owned(p.regex.replace_all(&out, p.replacement).into_owned());
        }
    }
    out.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_pattern_is_tried_when_its_literal_is_there() {
        // One token of each kind, in both cases where the pattern ignores
        // case: each must be redacted (a wrong literal would skip it).
        let tokens = [
            "ghp_abcdefghijklmnop1234",
            "github_pat_abcdefghijklmnopqrstu123",
            "xoxb-12345678-abcdefgh",
            "xapp-1-ABCDEFGH-1234",
            "sntrys_abcdefghijklmnop1234",
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "HTTPS://HOOKS.SLACK.COM/SERVICES/T000/B000/XXXX",
            "https://discord.com/api/webhooks/123/secret-part",
            "https://DISCORDAPP.COM/API/WEBHOOKS/123/secret-part",
            "Authorization: bearer abcdefgh1234",
            "BEARER abcdefgh1234",
            "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42",
        ];
        assert_eq!(TOKEN_PATTERNS.len(), 9);
        for t in tokens {
            let out = redact_patterns(&format!("x {t} y"));
            assert_ne!(out, format!("x {t} y"), "{t} not redacted");
            assert!(out.contains("<"), "{t} -> {out}");
        }
        // Nothing token-like: nothing compiled, nothing changed.
        let plain = "Release v1.2.0: 300 commits, http://127.0.0.1:9/releases/v1.2.0/";
        assert_eq!(redact_patterns(plain), plain);
        assert!(contains_ignore_case("A BeArEr b", "bearer"));
        assert!(!contains_ignore_case("bear", "bearer"));
    }

    #[test]
    fn escaped_forms_of_a_secret_are_redacted_too() {
        let r = Redactor::new().with_secret("GITHUB_TOKEN", "sec&ret<xyz>123");
        for text in [
            "x sec&amp;ret&lt;xyz&gt;123",
            r"x sec\&ret\<xyz\>123",
            "x sec&ret<xyz>123",
        ] {
            let out = r.redact(text);
            assert!(!out.contains("ret"), "{text} -> {out}");
        }
        let r = Redactor::new().with_secret("T", "quote\"d-secret");
        assert!(
            !r.redact(r#"{"text":"quote\"d-secret"}"#)
                .contains("d-secret")
        );
    }

    #[test]
    fn known_secrets_are_replaced_longest_first() {
        let r = Redactor::new()
            .with_secret(
                "SLACK_WEBHOOK_URL",
                "https://example.test/hook/abcdef123456",
            )
            .with_secret("TOKEN", "abcdef123456");
        assert_eq!(
            r.redact("posting to https://example.test/hook/abcdef123456 with abcdef123456"),
            "posting to <SLACK_WEBHOOK_URL> with <TOKEN>"
        );
    }

    #[test]
    fn secret_parts_of_urls_are_registered() {
        let mut r = Redactor::new();
        r.add_url(
            "SLACK_WEBHOOK_URL",
            "https://hooks.example/services/T000/B000/abcdefghijklmnopqrstuvwx",
        );
        r.add_url(
            "SENTRY_DSN",
            "https://f00dfacecafebeef0123456789abcdef@o1.ingest.example/42",
        );
        assert_eq!(
            r.redact(
                "echo: /services/T000/B000/abcdefghijklmnopqrstuvwx and abcdefghijklmnopqrstuvwx"
            ),
            "echo: <SLACK_WEBHOOK_URL> and <SLACK_WEBHOOK_URL>"
        );
        assert_eq!(
            r.redact("key f00dfacecafebeef0123456789abcdef"),
            "key <SENTRY_DSN>"
        );
        // Short, public parts (ids, `/42`) are left alone.
        assert_eq!(r.redact("T000 B000 /42"), "T000 B000 /42");
    }

    #[test]
    fn late_secrets_reach_every_clone() {
        let r = Redactor::new().with_secret("TOKEN", "abcdef123456");
        let clone = r.clone();
        assert!(r.add_late("SENTRY_DSN_KEY", "0123456789abcdef0123456789abcdef"));
        assert!(!r.add_late("SENTRY_DSN_KEY", "0123456789abcdef0123456789abcdef"));
        assert_eq!(
            clone.redact("key 0123456789abcdef0123456789abcdef, token abcdef123456"),
            "key <SENTRY_DSN_KEY>, token <TOKEN>"
        );
        assert_eq!(clone.secrets().len(), 2);
    }

    #[test]
    fn short_values_are_not_registered() {
        let r = Redactor::new().with_secret("X", "abc");
        assert_eq!(r.redact("abc"), "abc");
        assert_eq!(r.secrets().len(), 0);
    }

    #[test]
    fn token_patterns_are_redacted() {
        let cases = [
            (
                "token ghp_fake_token_for_tests_0123456789 here",
                "token <github-token> here",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijkl",
                "<github-token>",
            ),
            ("xoxb-fake-0123-abcdefghij", "<slack-token>"),
            ("xoxe.xoxp-1-abcdefghijklmnop", "<slack-token>"),
            ("sntrys_eyJpYXQiOjE2OTQ0MDAwMDB9", "<sentry-token>"),
            (
                "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX",
                "https://hooks.slack.com/<redacted>",
            ),
            (
                "https://discord.com/api/webhooks/123456/secret-token_x",
                "https://discord.com/api/webhooks/123456/<redacted>",
            ),
            (
                "Authorization: Bearer abc.def.ghi123",
                "Authorization: Bearer <redacted>",
            ),
            (
                "https://0123456789abcdef0123456789abcdef@o1.ingest.sentry.io/42",
                "https://<dsn-key>@o1.ingest.sentry.io/42",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact_patterns(input), want, "input: {input}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let text = "fix: handle ghp_ prefix in docs; bearer of bad news";
        assert_eq!(redact_patterns(text), text);
    }
}
