//! Making untrusted text safe for a target: token redaction, e-mail hiding,
//! Slack mrkdwn escaping, Discord markdown/mention defusing, and the
//! mention ids obsctl itself is allowed to ping.

use std::sync::LazyLock;

use regex::Regex;

use crate::redact::redact_patterns;

/// `Name <user@host>` (a git author) and bare `user@host.tld`.
static BRACKETED_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*<[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}>").expect("valid regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
        .expect("valid regex")
});

/// Replacement for a hidden address.
pub const EMAIL_HIDDEN: &str = "[email hidden]";

/// Redact token-looking strings and (unless `include_emails`) hide e-mail
/// addresses. The result is still raw text: escape it for the target next.
pub fn clean(text: &str, include_emails: bool) -> String {
    let text = redact_patterns(text);
    if include_emails {
        return text;
    }
    let text = BRACKETED_EMAIL.replace_all(&text, "");
    EMAIL.replace_all(&text, EMAIL_HIDDEN).into_owned()
}

/// Slack mrkdwn (and plain_text) escaping: `&`, `<`, `>` become entities,
/// so `<!channel>`, `<@U123>` and `<https://x|click>` show as text; and
/// `@channel`, `@here`, `@everyone` get a zero-width space after the `@`
/// (Slack links them only with `link_names`, which obsctl never sets).
pub fn slack_escape(text: &str) -> String {
    defuse_slack_keywords(&slack_escape_entities(text))
}

static SLACK_KEYWORDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)@(channel|here|everyone)").expect("valid regex"));

fn defuse_slack_keywords(text: &str) -> String {
    SLACK_KEYWORDS.replace_all(text, "@\u{200B}$1").into_owned()
}

fn slack_escape_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Discord escaping: `\`, `[`, `]`, `<`, `>` and `` ` `` are
/// backslash-escaped (no masked links, no `<@id>`/`<#id>`/`<@&id>`
/// mentions, no code spans hiding text), and `@everyone` / `@here` get a
/// zero-width space after the `@` so they never read as mentions even
/// where `allowed_mentions` does not apply.
pub fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(c, '\\' | '[' | ']' | '<' | '>' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    defuse_everyone(&out)
}

static EVERYONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)@(everyone|here)").expect("valid regex"));

/// `@everyone` → `@\u{200B}everyone` (also `@here`).
pub fn defuse_everyone(text: &str) -> String {
    EVERYONE.replace_all(text, "@\u{200B}$1").into_owned()
}

/// Whom a message may ping: only ids given on purpose (`--mention`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mention {
    /// Slack user `U…`/`W…`.
    SlackUser(String),
    /// Slack user group `S…`.
    SlackGroup(String),
    /// Discord user snowflake (`user:ID` or a bare number).
    DiscordUser(String),
    /// Discord role snowflake (`role:ID`).
    DiscordRole(String),
}

impl Mention {
    /// Accepted forms: `U0123ABCD`, `W0123ABCD`, `S0123ABCD` (also as
    /// `<@U…>`, `<!subteam^S…>`, `slack:U…`), `123456789012345678`,
    /// `user:123…`, `<@123…>`, `role:123…`, `<@&123…>`, `discord:123…`.
    pub fn parse(s: &str) -> Option<Mention> {
        let s = s.trim();
        let slack_id = |v: &str| {
            v.len() >= 3
                && v.len() <= 32
                && v.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        };
        let snowflake = |v: &str| {
            v.len() >= 5
                && v.len() <= 20
                && v.chars().all(|c| c.is_ascii_digit())
                && !v.starts_with('0')
        };
        if let Some(v) = s
            .strip_prefix("role:")
            .or_else(|| s.strip_prefix("<@&").and_then(|v| v.strip_suffix('>')))
        {
            return snowflake(v).then(|| Mention::DiscordRole(v.to_string()));
        }
        if let Some(v) = s
            .strip_prefix("<!subteam^")
            .and_then(|v| v.strip_suffix('>'))
        {
            return (slack_id(v) && v.starts_with('S')).then(|| Mention::SlackGroup(v.to_string()));
        }
        let v = s
            .strip_prefix("user:")
            .or_else(|| s.strip_prefix("discord:"))
            .or_else(|| s.strip_prefix("slack:"))
            .or_else(|| s.strip_prefix("<@").and_then(|v| v.strip_suffix('>')))
            .unwrap_or(s);
        if snowflake(v) {
            return Some(Mention::DiscordUser(v.to_string()));
        }
        if slack_id(v) {
            return match v.as_bytes()[0] {
                b'U' | b'W' => Some(Mention::SlackUser(v.to_string())),
                b'S' => Some(Mention::SlackGroup(v.to_string())),
                _ => None,
            };
        }
        None
    }

    /// The Slack mrkdwn for a Slack mention, `None` for a Discord one.
    pub fn slack(&self) -> Option<String> {
        match self {
            Mention::SlackUser(id) => Some(format!("<@{id}>")),
            Mention::SlackGroup(id) => Some(format!("<!subteam^{id}>")),
            _ => None,
        }
    }

    /// The Discord markup for a Discord mention, `None` for a Slack one.
    pub fn discord(&self) -> Option<String> {
        match self {
            Mention::DiscordUser(id) => Some(format!("<@{id}>")),
            Mention::DiscordRole(id) => Some(format!("<@&{id}>")),
            _ => None,
        }
    }
}

/// The valid mentions of a list, without repeats, in order.
pub fn mentions(list: &[String]) -> Vec<Mention> {
    let mut out: Vec<Mention> = Vec::new();
    for m in list.iter().filter_map(|s| Mention::parse(s)) {
        if !out.contains(&m) {
            out.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_escaping_neutralises_control_sequences() {
        assert_eq!(
            slack_escape("<!channel> & <https://evil.example|click>"),
            "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
        );
    }

    #[test]
    fn discord_escaping_defuses_mentions_and_links() {
        let out = discord_escape("@everyone @Here <@123456> [click](https://evil.example)");
        assert!(
            !out.contains("@everyone") && !out.contains("@Here"),
            "{out}"
        );
        assert!(out.contains("\\<@123456\\>"), "{out}");
        assert!(out.contains("\\[click\\](https://evil.example)"), "{out}");
    }

    #[test]
    fn emails_are_hidden_unless_asked() {
        let t = "Fix by Jane Doe <jane@example.com>, cc bob.smith@corp.example.org";
        assert_eq!(clean(t, false), "Fix by Jane Doe, cc [email hidden]");
        assert_eq!(clean(t, true), t);
    }

    #[test]
    fn tokens_are_redacted() {
        let out = clean("oops ghp_fake_token_for_tests_0123456789", true);
        assert_eq!(out, "oops <github-token>");
    }

    #[test]
    fn mention_forms() {
        use Mention::*;
        assert_eq!(
            Mention::parse("U024BE7LH"),
            Some(SlackUser("U024BE7LH".into()))
        );
        assert_eq!(
            Mention::parse("<@W024BE7LH>"),
            Some(SlackUser("W024BE7LH".into()))
        );
        assert_eq!(
            Mention::parse("S0614TZR7"),
            Some(SlackGroup("S0614TZR7".into()))
        );
        assert_eq!(
            Mention::parse("<!subteam^S0614TZR7>"),
            Some(SlackGroup("S0614TZR7".into()))
        );
        assert_eq!(
            Mention::parse("80351110224678912"),
            Some(DiscordUser("80351110224678912".into()))
        );
        assert_eq!(
            Mention::parse("role:80351110224678912"),
            Some(DiscordRole("80351110224678912".into()))
        );
        assert_eq!(
            Mention::parse("<@&80351110224678912>"),
            Some(DiscordRole("80351110224678912".into()))
        );
        for bad in [
            "everyone",
            "@here",
            "<!channel>",
            "u123",
            "role:abc",
            "",
            "C024BE91L",
        ] {
            assert_eq!(Mention::parse(bad), None, "{bad}");
        }
    }
}
